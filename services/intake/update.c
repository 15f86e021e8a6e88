/*  services/intake/update.c - see update.h. */
#include "update.h"

#include "application.h"
#include "documents.h"

#include "proto/charter.h"
#include "proto/doc.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "common/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool update_applies(const msgpack_object *record)
{
    return record_is_state(record, STATE_APPROVED) || record_is_state(record, STATE_PUBLISHED);
}

bool update_is_for(const msgpack_object *record, const msgpack_object *event)
{
    uint64_t mine = 0, theirs = 0;
    return doc_uint(doc_map(record, "update"), "revision", &mine) && doc_uint(event, "revision", &theirs)
        && mine == theirs;
}

/*  The first blocking criterion of a report that fails, refused by its
 *  field and its code: what to change, and which rule says so. */
static int s_refuse_charter(service_request_t *req, const charter_report_t *report)
{
    const criterion_result_t *r = charter_first_blocking(report);
    if (!r)
        return 0;
    char field[PROTO_FIELD_MAX];
    snprintf(field, sizeof field, "application%s%.*s", r->field[0] ? "." : "", PROTO_FIELD_MAX - 13, r->field);
    int reason_len = (int)proto_utf8_prefix(r->reason, strlen(r->reason), PROTO_MESSAGE_MAX - 80);
    return service_refuse(req, PROTO_E_INVALID, field, r->code,
                          "this update fails the charter (%s), the listing stays as it is: %.*s", r->code,
                          reason_len, r->reason);
}

static int s_check(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s, const char *id,
                   size_t id_len, const msgpack_sbuffer *sent, schema_changes_t *changes)
{
    msgpack_object after, before;
    proto_error_t err;
    if (wire_decode(sent->data, sent->size, &s->zone, &after, &err))
        return service_refuse_error(req, PROTO_E_INVALID, &err);
    int rc = documents_get(txn, svc, INTAKE_DB_LISTED, id, id_len, &s->zone, &before);
    if (rc == MDB_NOTFOUND)
        rc = documents_get(txn, svc, INTAKE_DB_DOCUMENTS, id, id_len, &s->zone, &before);
    if (rc)
        return rc;
    charter_report_t report;
    charter_check(&after, (int32_t)(req->now / 86400), &report);
    if (report.verdict == CHARTER_VERDICT_INCOMPLETE)
        return s_refuse_charter(req, &report);
    schema_changes(schema_application(), &before, &after, changes);
    if (changes->count == 0)
        return service_refuse(req, PROTO_E_INVALID, "application", "unchanged",
                              "this update changes nothing in the listing");
    return 0;
}

int update_check(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s, const char *id,
                 size_t id_len, const msgpack_object *application, schema_changes_t *changes)
{
    /* Compared as it will be stored: identifiers normalised.  The decoded
     * document points into `sent`, kept until the comparison is done. */
    msgpack_sbuffer sent;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sent);
    msgpack_packer_init(&pk, &sent, msgpack_sbuffer_write);
    application_pack_normalized(&pk, application, "");
    int rc = s_check(svc, txn, req, s, id, id_len, &sent, changes);
    msgpack_sbuffer_destroy(&sent);
    return rc;
}

int update_keep_listed(MDB_txn *txn, service_t *svc, const char *id, size_t id_len)
{
    MDB_val key = {id_len, (void *)id}, value;
    int rc = mdb_get(txn, service_db(svc, INTAKE_DB_LISTED), &key, &value);
    if (rc != MDB_NOTFOUND)
        return rc;
    if ((rc = mdb_get(txn, service_db(svc, INTAKE_DB_DOCUMENTS), &key, &value)))
        return rc;
    /* A value read is valid only until the next write: copied first. */
    void *copy = malloc(value.mv_size);
    if (!copy)
        return ENOMEM;
    memcpy(copy, value.mv_data, value.mv_size);
    rc = store_put(txn, service_db(svc, INTAKE_DB_LISTED), id, id_len, copy, value.mv_size);
    free(copy);
    return rc;
}

int update_forget_listed(MDB_txn *txn, service_t *svc, const char *id, size_t id_len)
{
    MDB_val key = {id_len, (void *)id};
    int rc = mdb_del(txn, service_db(svc, INTAKE_DB_LISTED), &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

void update_describe(text_t *why, uint64_t revision, const schema_changes_t *changes)
{
    char joined[HISTORY_TEXT_MAX / 2];
    schema_changes_join(changes, joined, sizeof joined);
    text_set(why, "");
    text_add_number(why, "revision ", revision);
    text_add(why, "; changed: ", 11);
    text_add(why, joined, strlen(joined));
    if (changes->truncated)
        text_add(why, ", …", strlen(", …"));
    const char *class = changes->substantive ? "; substantive" : "; minor";
    text_add(why, class, strlen(class));
}

static void s_pack_changed(msgpack_packer *pk, const schema_changes_t *changes)
{
    proto_pack_str(pk, "changed");
    msgpack_pack_array(pk, changes->count);
    for (size_t i = 0; i < changes->count; i++)
        proto_pack_str(pk, changes->fields[i].path);
}

void update_pack(msgpack_packer *pk, uint64_t revision, const schema_changes_t *changes, int64_t now)
{
    proto_pack_str(pk, "update");
    msgpack_pack_map(pk, 4);
    proto_pack_kv_uint(pk, "revision", revision);
    s_pack_changed(pk, changes);
    proto_pack_kv_bool(pk, "substantive", changes->substantive);
    proto_pack_kv_uint(pk, "at", (uint64_t)now);
}

void update_pack_receipt(msgpack_packer *pk, const schema_changes_t *changes)
{
    s_pack_changed(pk, changes);
    proto_pack_kv_bool(pk, "substantive", changes->substantive);
}
