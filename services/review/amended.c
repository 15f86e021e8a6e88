/*  services/review/amended.c - see amended.h. */
#include "amended.h"

#include "listing.h"
#include "rounds.h"

#include "proto/schema.h"
#include "proto/schema_change.h"
#include "proto/wire.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool amended_keeps_term(const msgpack_object *file)
{
    return doc_bool(file, "listing_kept", false) && doc_get(file, "approved_at");
}

size_t amended_decided_extra(const msgpack_object *file, const review_decision_t *d, review_set_t *set)
{
    /* A review round of a listing is the round of an update (a listing is
     * never appealed: its application is not rejected). */
    if (!d->decision || !doc_bool(file, "listing_kept", false) || strcmp(review_kind_of(file), "review") != 0)
        return 0;
    size_t n = 0;
    set[n++] = (review_set_t){"change", review_str("substantive")};
    if (strcmp(d->decision, "approve") == 0 && amended_keeps_term(file))
        set[n++] = (review_set_t){"approved_at", review_uint((uint64_t)d->approved_at)};
    return n;
}

/*  The stored content of the file `id` ({application, listed?}; a report
 *  too when stored before it went apart: rounds.h). */
static int s_content(review_t *self, service_t *svc, MDB_txn *txn, const char *id, msgpack_object *content)
{
    msgpack_object key = review_str(id);
    return review_load(txn, service_db(svc, REVIEW_DB_APPLICATIONS), &key, &self->zone, content);
}

/*  A copy of obj in buf, decoded into the zone: what LMDB holds moves
 *  when the transaction writes. */
static int s_copy(review_t *self, msgpack_sbuffer *buf, const msgpack_object *obj, msgpack_object *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    proto_error_t err;
    if (msgpack_pack_object(&pk, *obj) || wire_decode(buf->data, buf->size, &self->zone, out, &err))
        return ENOMEM;
    return 0;
}

/*  The application on the directory: kept apart while an update waits,
 *  else the file's own. */
static int s_listed(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                    msgpack_sbuffer *buf, msgpack_object *listed)
{
    msgpack_object content, application;
    char id[PROTO_ID_MAX + 1];
    doc_strcpy(file, "id", id, sizeof id);
    int rc = s_content(self, svc, txn, id, &content);
    if (rc == 0 && doc_map(&content, "listed"))
        return s_copy(self, buf, doc_map(&content, "listed"), listed);
    if ((rc = rounds_content(svc, txn, file, &self->zone, &application, NULL)))
        return rc;
    return s_copy(self, buf, &application, listed);
}

/*  Only minor fields changed: decided "approve" at once, the listing's
 *  term kept, no round and no votes. */
static int s_publish_minor(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *old,
                           const msgpack_object *event, int64_t now)
{
    char id[PROTO_ID_MAX + 1];
    doc_strcpy(old, "id", id, sizeof id);
    msgpack_object key = review_str(id), file;
    uint64_t revision = 1, approved_at = (uint64_t)now;
    doc_uint(event, "revision", &revision);
    doc_uint(old, "approved_at", &approved_at);
    /* old points into LMDB: read (packed again) before anything is written. */
    review_set_t first[] = {{"revision", review_uint(revision)}, {"listing_kept", review_bool(true)}};
    int rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, old, first, 2);
    if (rc || (rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), &key, &self->zone, &file))
        || (rc = listing_index_forget(svc, txn, &file))
        || (rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), &key, &self->zone, &file)))
        return rc;
    const msgpack_object *application = doc_map(event, "application");
    review_decision_t d = votes_decision(self, &file, application, "approve", (int64_t)approved_at);
    msgpack_object nobody = {.type = MSGPACK_OBJECT_ARRAY};
    review_set_t extra[] = {{"approved_at", review_uint(approved_at)}, {"change", review_str("minor")}};
    if ((rc = votes_emit_decided(self, svc, txn, &file, application, &nobody, &d, extra, 2, now)))
        return rc;
    review_set_t set[8];
    size_t n = votes_decided_file(&d, set);
    if ((rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, &file, set, n))
        || (rc = rounds_put_content(self, svc, txn, id, application, doc_get(event, "report"), NULL)))
        return rc;
    log_info("listing %s updated (revision %llu): minor changes, published without a round", id,
             (unsigned long long)revision);
    return listing_index_add(svc, txn, &key, d.expiry.expires);
}

/*  A substantive change: a review round, the listing kept as it is. */
static int s_before_committee(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *old,
                              const msgpack_object *event, const msgpack_object *listed, int64_t now)
{
    char id[PROTO_ID_MAX + 1];
    doc_strcpy(old, "id", id, sizeof id);
    msgpack_object key = review_str(id), file;
    int rc = rounds_reopen(self, svc, txn, old, event, now);
    if (rc || (rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), &key, &self->zone, &file)))
        return rc;
    review_set_t set[] = {{"listing_kept", review_bool(true)}};
    if ((rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, &file, set, 1)))
        return rc;
    return rounds_put_content(self, svc, txn, id, doc_map(event, "application"), doc_get(event, "report"), listed);
}

int amended_apply_validated(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *old,
                            const msgpack_object *event, int64_t now)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_object listed;
    int rc = s_listed(self, svc, txn, old, &buf, &listed);
    if (rc == 0) {
        schema_changes_t changes;
        schema_changes(schema_application(), &listed, doc_map(event, "application"), &changes);
        /* While the committee has an update, the next one goes to it too:
         * the round in hand is never decided behind its back. */
        bool minor = !changes.substantive && doc_str_eq(old, "state", FILE_DECIDED);
        rc = minor ? s_publish_minor(self, svc, txn, old, event, now)
                   : s_before_committee(self, svc, txn, old, event, &listed, now);
    }
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/*  The file's name, parties and networks from the application it keeps
 *  now: the next round (a complaint, the next update) checks conflicts
 *  against that document, not against an update that was refused. */
static int s_derive_file(review_t *self, service_t *svc, MDB_txn *txn, const char *id,
                         const msgpack_object *application)
{
    msgpack_object key = review_str(id), file;
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), &key, &self->zone, &file);
    if (rc)
        return rc;
    review_set_t set[ROUNDS_DERIVED];
    size_t n = rounds_derived(&self->zone, application, set);
    return review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, &file, set, n);
}

/*  Keeps `side` of the stored content as the listing's application, and
 *  the file's derived fields with it; the report stays (apart, or moved
 *  apart when stored with the application before).  The content is
 *  copied first: writing the file moves what LMDB holds. */
static int s_keep(review_t *self, service_t *svc, MDB_txn *txn, const char *id, const msgpack_object *stored,
                  const char *side)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_object content;
    int rc = s_copy(self, &buf, stored, &content);
    const msgpack_object *kept = doc_map(&content, side), *report = doc_get(&content, "report");
    if (rc == 0 && kept && (rc = s_derive_file(self, svc, txn, id, kept)) == 0)
        rc = report ? rounds_put_content(self, svc, txn, id, kept, report, NULL)
                    : rounds_put_application(self, svc, txn, id, kept, NULL);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

int amended_decided(review_t *self, service_t *svc, MDB_txn *txn, const char *id, const char *decision)
{
    msgpack_object content;
    int rc = s_content(self, svc, txn, id, &content);
    if (rc == MDB_NOTFOUND || (rc == 0 && !doc_map(&content, "listed")))
        return 0;
    if (rc)
        return rc;
    /* The listing's application after the decision. */
    const char *side = strcmp(decision, "approve") == 0 ? "application"
                     : strcmp(decision, "reject") == 0 || strcmp(decision, "changes") == 0 ? "listed"
                                                                                           : NULL;
    return side ? s_keep(self, svc, txn, id, &content, side) : 0;
}

int amended_drop_update(review_t *self, service_t *svc, MDB_txn *txn, const char *id)
{
    return amended_decided(self, svc, txn, id, "reject");
}
