/*  services/publication/publication.h - the directory and its stream.
 *
 *  Publication follows review's stream.  An approved (or reinstated) file
 *  becomes a directory entry holding ONLY the public fields of the
 *  application (the fields marked "x-public" in
 *  proto/application.schema.json, projected here, at the boundary,
 *  whatever review sent); a withdrawal, whatever its kind (withdrawn,
 *  expired, suspended, erased, renewed: see changes.h), removes the entry.
 *  Each change is one event of publication's stream, the stream downstream
 *  sites consume: "upsert" (a versioned entry) or "withdraw" (a tombstone
 *  with its reason), each signed with the service's Ed25519 key (see
 *  stream_sign.h); "key" when that key changes (keys.h, below).  A site asks from its own cursor (0 = everything) and
 *  so catches up exactly after any absence.  The directory answers
 *  searches (filters of proto/directory.h) page by page, in name order.
 *
 *  "entries" maps an id to {version, entry} while it is listed and to
 *  {version, withdrawn: reason, listed_since} once withdrawn, so that
 *  versions only grow for an id and a listing's first day is kept for a
 *  reinstatement or a renewal (listed_since.h).  An erasure also rewrites every earlier event of the id in
 *  publication's own log into a signed "redacted" event, then appends the
 *  withdraw "erased"; an erased id is never listed again.
 */
#ifndef ESSP_PUBLICATION_H
#define ESSP_PUBLICATION_H

#include "proto/stream_sign.h"
#include "common/service.h"

enum { PUBLICATION_DB_ENTRIES, PUBLICATION_DB_NAMES, PUBLICATION_DB_KEYS };
extern const char *const publication_dbs[];

/*  The core's state; it signs with key (copied), the first key of the
 *  chain when the store records no rotation (keys.h). */
void *publication_context_new(const stream_sign_key_t *key);
void publication_context_destroy(void **ctx_p);

/*  Where the key files are ($ESSP_HOME/keys: common/stream_key.h).  Without
 *  it the core signs with its one key and never rotates it. */
void publication_set_key_dir(void *ctx, const char *dir);

/*  The service's start (inside the start transaction): the seeds of the key
 *  folder at hand, each key of the chain checked to have its seed (-1,
 *  logged, when one is missing: the service does not start), then a
 *  rotation adopted when publication.next waits (below). */
int publication_start(void *ctx, service_t *svc, MDB_txn *txn);

/*  Once the start transaction committed: a rotation adopted is finished on
 *  disk (the old key kept as publication.key.N, the new one becomes
 *  publication.key).  Always 0. */
int publication_attach(void *ctx, service_t *svc);

/*  Key rotation (proto/stream.md section 2.1).  When keys/publication.next
 *  holds a key that is not yet in the chain, publication appends a "key"
 *  event signed by the key in force that names it, records the link in
 *  "keys" in the same transaction, and signs every later event with it;
 *  once that is committed the files are renamed (stream_sign_key_retire).
 *  It looks for the file at start, at each hello, and at most once a
 *  second of the batches' time otherwise. */
int publication_rotate(void *ctx, service_t *svc, MDB_txn *txn, int64_t now);

int publication_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

int publication_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now);

#endif
