/*  services/publication/publication.h - the directory and its stream.
 *
 *  Publication follows review's stream.  An approved file becomes a
 *  directory entry holding ONLY the public fields of the application (the
 *  fields marked "x-public" in proto/application.schema.json, projected
 *  here, at the boundary, whatever review sent); a withdrawal removes the
 *  entry.  Each change is one event of publication's stream, the stream
 *  downstream sites consume: "upsert" (a versioned entry) or "withdraw" (a
 *  tombstone with its reason).  A site asks from its own cursor (0 =
 *  everything) and so catches up exactly after any absence.
 */
#ifndef ESSP_PUBLICATION_H
#define ESSP_PUBLICATION_H

#include "common/service.h"

enum { PUBLICATION_DB_ENTRIES, PUBLICATION_DB_NAMES };
extern const char *const publication_dbs[];

void *publication_context_new(void);
void publication_context_destroy(void **ctx_p);

int publication_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

int publication_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now);

#endif
