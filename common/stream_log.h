/*  common/stream_log.h - the append-only event log of a producer.
 *
 *  Events live in an LMDB database of the producer's own environment, keyed
 *  by a big-endian sequence number (1, 2, 3... without gaps), and are
 *  appended in the same write transaction as the state change that caused
 *  them: the change and its event are durable together or not at all.
 *  Each stored value is one msgpack map that starts with "seq" (see
 *  proto/README.md, "Durable streams"), so a batch can forward stored bytes
 *  unchanged.
 */
#ifndef ESSP_COMMON_STREAM_LOG_H
#define ESSP_COMMON_STREAM_LOG_H

#include "stream_omit.h"

#include <lmdb.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct stream_log_t stream_log_t;

/*  Opens the log kept in `db`; reads its head (last seq) through txn. */
stream_log_t *stream_log_new(MDB_txn *txn, MDB_dbi db);

/*  From now on an event too large for a leaf page of LMDB (over 2,022
 *  bytes with 4 KiB pages), whose fields but the last fit in one, is
 *  stored in two values under its seq: the map without its last field in
 *  the log, that field's key and value in `tails`.  Otherwise such an
 *  event takes overflow pages of its own, mostly empty (a 2,259-byte
 *  event, a 4 KiB page).  Every read puts the event back together byte
 *  for byte, so neither a consumer nor the protocol sees the difference;
 *  a log written before, or whose events are small, has no tails.  The
 *  last field is never one of "seq", "v", "type", "at", "id". */
void stream_log_keep_tails(stream_log_t *self, MDB_txn *txn, MDB_dbi tails);

/*  From now on an event whose field `field` holds the same bytes as the
 *  field of that name in the map packed in its bin field "signed" (the
 *  publication stream's upsert: "entry" beside the signed content {type,
 *  at, id, version, entry}, proto/stream.md) is stored with `field` as
 *  nil: the bytes are kept once, in "signed".  Every read puts them back
 *  byte for byte, so neither a consumer nor a signature sees the
 *  difference; events stored whole before are read as they are. */
void stream_log_keep_signed_copy(stream_log_t *self, const char *field);

void stream_log_destroy(stream_log_t **self_p);

/*  The last sequence number committed (0 when empty). */
uint64_t stream_log_head(const stream_log_t *self);

/*  Starts an event: packs the map header of `fields` + 4 entries, then
 *  "seq" (the next number), "v" (PROTO_VERSION), "type" and "at" (unix
 *  seconds).  The caller
 *  packs its `fields` key/value pairs into pk, then calls stream_log_end.
 *  pk must write into `buf`, which is cleared here. */
uint64_t stream_log_begin(stream_log_t *self, msgpack_sbuffer *buf, msgpack_packer *pk,
                          const char *type, int64_t at, size_t fields);

/*  Appends the event packed in buf under txn.  0 or an LMDB code. */
int stream_log_end(stream_log_t *self, MDB_txn *txn, msgpack_sbuffer *buf);

/*  The stored bytes of event `seq`, committed or appended under txn
 *  (valid until txn writes again, or, for an event whose last field is
 *  kept apart, until the log's next call).  0, MDB_NOTFOUND, or an LMDB
 *  code. */
int stream_log_get(stream_log_t *self, MDB_txn *txn, uint64_t seq, MDB_val *event);

/*  After the transaction of the appends committed / aborted. */
void stream_log_committed(stream_log_t *self);
void stream_log_aborted(stream_log_t *self);

/*  Packs the "events" array of a batch: the events after `after`, at most
 *  max of them and about max_bytes in total (never fewer than one event
 *  when one is there), each without the fields `omit` names (NULL: each
 *  as stored).  Returns how many were packed. */
size_t stream_log_pack_after(stream_log_t *self, MDB_txn *txn, uint64_t after, size_t max,
                             size_t max_bytes, const stream_omit_t *omit, msgpack_packer *pk);

/*  Packs the replacement of an erased application's event into pk (which
 *  writes into the buffer given to stream_log_redact): a map whose first
 *  key is "seq" = seq, like every stored event. */
typedef void (*stream_log_rewrite_fn)(void *arg, const msgpack_object *event, uint64_t seq,
                                      msgpack_packer *pk);

/*  Erasure (GDPR): rewrites in place, under txn, every committed event
 *  whose "id" is `id`, so that the log keeps its seqs without a gap while
 *  the personal data goes.  With rewrite NULL an event becomes
 *  {seq, v, type:"redacted", at, id}; a producer that signs its events
 *  passes its own rewrite.  Reads the whole log: erasures are rare, and
 *  an index by id would cost every append.  *count (may be NULL) gets how
 *  many events were rewritten.  0 or an LMDB code. */
int stream_log_redact(stream_log_t *self, MDB_txn *txn, const char *id, size_t id_len,
                      stream_log_rewrite_fn rewrite, void *arg, size_t *count);

/*  The default replacement: {seq, v, type:"redacted", at, id}. */
void stream_log_pack_redacted(const msgpack_object *event, uint64_t seq, msgpack_packer *pk);

#endif
