/*  services/review/direct.c - see direct.h. */
#include "direct.h"

#include "listing.h"
#include "rounds.h"
#include "votes.h"

#include <stdio.h>
#include <string.h>

int direct_approve(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                   const msgpack_object *application, int64_t approved_at, const char *provenance,
                   int64_t now)
{
    review_decision_t d = votes_decision(self, file, application, "approve", approved_at);
    msgpack_object nobody = {.type = MSGPACK_OBJECT_ARRAY};
    review_set_t extra[] = {{"provenance", review_str(provenance)},
                            {"approved_at", review_uint((uint64_t)approved_at)}};
    int rc = votes_emit_decided(self, svc, txn, file, application, &nobody, &d, extra, 2, now);
    /* A listed file (a later version of it) leaves its old place in the
     * expiry index before it takes its new one. */
    if (rc == 0)
        rc = listing_index_forget(svc, txn, file);
    if (rc)
        return rc;
    char id[PROTO_ID_MAX + 1], renews[PROTO_ID_MAX + 1] = "";
    doc_strcpy(file, "id", id, sizeof id);
    doc_strcpy(file, "renews", renews, sizeof renews);
    review_set_t set[10];
    size_t n = votes_decided_file(&d, set);
    set[n++] = extra[0];
    msgpack_object key = review_str(id);
    if ((rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, file, set, n)))
        return rc;
    return votes_after_decision(self, svc, txn, &d, id, renews, now);
}

int direct_apply_imported(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                          int64_t now)
{
    uint64_t approved_at;
    const msgpack_object *application = doc_map(event, "application");
    if (!doc_str_eq(event, "verdict", "review") || !application || !doc_uint(event, "approved_at", &approved_at))
        return 0;
    msgpack_object file;
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), doc_get(event, "id"), &self->zone, &file);
    if (rc != MDB_NOTFOUND)
        return rc;   /* 0: already here (the event seen again), or an LMDB code */
    if ((rc = rounds_store_new(self, svc, txn, event, now)))
        return rc;
    if ((rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), doc_get(event, "id"), &self->zone, &file)))
        return rc;
    return direct_approve(self, svc, txn, &file, application, (int64_t)approved_at, "imported", now);
}
