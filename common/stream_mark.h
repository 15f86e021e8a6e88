/*  common/stream_mark.h - the fingerprint of the event at a reader's cursor.
 *
 *  A reader keeps, with each cursor, a fingerprint of the event the cursor
 *  counts: its seq, at, id and type, the fields no pull ever leaves out
 *  (stream_omit.c), so that a change of a reader's omit list never changes
 *  it.  At a start, and whenever the producer may have been replaced, the
 *  reader asks the producer for that event again and compares: a producer
 *  whose store was put back to an older copy, and whose head has since
 *  passed the cursor again, numbers other events under the same seqs
 *  (proto/README.md section 6.3).  An event redacted by an erasure keeps
 *  its seq, at and id and becomes "redacted": it is still the same event.
 *
 *  In the cursors database of the service shell the value of a producer's
 *  name is the cursor (8 bytes, big-endian) followed by the fingerprint;
 *  a value of 8 bytes alone, written by an earlier version, is a cursor
 *  whose fingerprint is not known yet.
 */
#ifndef ESSP_COMMON_STREAM_MARK_H
#define ESSP_COMMON_STREAM_MARK_H

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t seq;    /* 0: no fingerprint */
    uint64_t at;
    uint64_t id;     /* hashes of the id ("" when none) and of the type */
    uint64_t type;
} stream_mark_t;

/*  The fingerprint of event (a map with seq, at, type and perhaps id). */
void stream_mark_of(const msgpack_object *event, stream_mark_t *out);

/*  True when the producer's event `now` is the event the reader applied
 *  (`applied`), or that event redacted since. */
bool stream_mark_same(const stream_mark_t *applied, const stream_mark_t *now);

/*  The cursor of stream `name` and the fingerprint kept with it (seq 0
 *  when none was); 0, MDB_NOTFOUND (cursor 0), or MDB_CORRUPTED. */
int stream_mark_get(MDB_txn *txn, MDB_dbi db, const char *name, uint64_t *cursor, stream_mark_t *mark);

/*  Stores mark->seq as the cursor of stream `name`, with the fingerprint. */
int stream_mark_put(MDB_txn *txn, MDB_dbi db, const char *name, const stream_mark_t *mark);

#endif
