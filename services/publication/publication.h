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
 *  stream_sign.h).  A site asks from its own cursor (0 = everything) and
 *  so catches up exactly after any absence.  The directory answers
 *  searches (filters of proto/directory.h) page by page, in name order.
 *
 *  "entries" maps an id to {version, entry} while it is listed and to
 *  {version, withdrawn: reason} once withdrawn, so that versions only grow
 *  for an id.  An erasure also rewrites every earlier event of the id in
 *  publication's own log into a signed "redacted" event, then appends the
 *  withdraw "erased"; an erased id is never listed again.
 */
#ifndef ESSP_PUBLICATION_H
#define ESSP_PUBLICATION_H

#include "proto/stream_sign.h"
#include "common/service.h"

enum { PUBLICATION_DB_ENTRIES, PUBLICATION_DB_NAMES };
extern const char *const publication_dbs[];

/*  The core's state; it signs with key (copied). */
void *publication_context_new(const stream_sign_key_t *key);
void publication_context_destroy(void **ctx_p);

int publication_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

int publication_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now);

#endif
