/*  services/intake/record.c - see record.h. */
#include "record.h"

#include "stored_report.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void record_scratch_init(scratch_t *s)
{
    msgpack_sbuffer_init(&s->buf);
    msgpack_packer_init(&s->pk, &s->buf, msgpack_sbuffer_write);
    msgpack_zone_init(&s->zone, 4096);
    msgpack_sbuffer_init(&s->hist);
}

void record_scratch_fini(scratch_t *s)
{
    msgpack_sbuffer_destroy(&s->buf);
    msgpack_zone_destroy(&s->zone);
    msgpack_sbuffer_destroy(&s->hist);
}

void text_add(text_t *t, const char *text, size_t len)
{
    size_t room = HISTORY_TEXT_MAX - t->len;
    size_t n = proto_utf8_prefix(text, len, room);
    memcpy(t->text + t->len, text, n);
    t->len += n;
    t->text[t->len] = '\0';
}

void text_set(text_t *t, const char *text)
{
    t->len = 0;
    text_add(t, text, strlen(text));
}

/*  Appends `label`, then the number. */
void text_add_number(text_t *t, const char *label, uint64_t value)
{
    char part[32];
    int n = snprintf(part, sizeof part, "%llu", (unsigned long long)value);
    text_add(t, label, strlen(label));
    text_add(t, part, n > 0 ? (size_t)n : 0);
}

bool record_is_state(const msgpack_object *record, const char *state)
{
    return doc_str_eq(record, "state", state);
}

/*  The key must not point into the record being replaced: LMDB may move or
 *  free that memory while it writes the new value. */
int record_id(const msgpack_object *record, char id[PROTO_ID_MAX + 1])
{
    int id_len = doc_strcpy(record, "id", id, PROTO_ID_MAX + 1);
    return id_len <= 0 || id_len > PROTO_ID_MAX ? -1 : id_len;
}

/*  An erased application keeps no personal data: of what happens to it
 *  afterwards only the end of its file elsewhere is recorded (review's
 *  "withdrawn" and publication's "withdraw" of kind erased, whose texts
 *  are about the erasure, not about the applicant). */
bool record_is_erased(const msgpack_object *record)
{
    return doc_get(record, "erased_at") != NULL;
}

int record_load(MDB_txn *txn, service_t *svc, const char *id, size_t len, msgpack_zone *zone,
                msgpack_object *record)
{
    return store_get_doc(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, len, zone, record);
}

int record_store(MDB_txn *txn, service_t *svc, const char *id, size_t len,
                 msgpack_sbuffer *buf)
{
    return store_put(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, len, buf->data, buf->size);
}

int record_listing_holder(MDB_txn *txn, service_t *svc, msgpack_zone *zone, const char *listing,
                          char id[PROTO_ID_MAX + 1], msgpack_object *record, bool *found)
{
    *found = false;
    if (!*listing)
        return 0;
    MDB_val key = {strlen(listing), (void *)listing}, value;
    int rc = mdb_get(txn, service_db(svc, INTAKE_DB_SIRETS), &key, &value);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    snprintf(id, PROTO_ID_MAX + 1, "%.*s", (int)(value.mv_size > PROTO_ID_MAX ? PROTO_ID_MAX : value.mv_size),
             (const char *)value.mv_data);
    rc = record_load(txn, svc, id, strlen(id), zone, record);
    *found = rc == 0;
    return rc;
}

/*  Drops the report of an application (amended, erased); having none is
 *  not an error. */
int record_drop_report(MDB_txn *txn, service_t *svc, const char *id, size_t len)
{
    MDB_val key = {len, (void *)id};
    int rc = mdb_del(txn, service_db(svc, INTAKE_DB_REPORTS), &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  Packs the value of the record's "report" as a status reply gives it:
 *  true means it is in the reports database (nil if it went missing);
 *  anything else (nil, or a report kept in the record by an earlier
 *  version) goes out as it is. */
int record_pack_report(msgpack_packer *pk, MDB_txn *txn, service_t *svc, const char *id, size_t len,
                       const msgpack_object *value)
{
    if (value->type != MSGPACK_OBJECT_BOOLEAN || !value->via.boolean) {
        msgpack_pack_object(pk, *value);
        return 0;
    }
    MDB_val key = {len, (void *)id}, report;
    int rc = mdb_get(txn, service_db(svc, INTAKE_DB_REPORTS), &key, &report);
    if (rc == MDB_NOTFOUND) {
        log_warn("report of %.*s missing", (int)len, id);
        msgpack_pack_nil(pk);
        return 0;
    }
    if (rc)
        return rc;
    stored_report_unpack(pk, report.mv_data, report.mv_size);
    return 0;
}

/*  Prepares the history record of a change in s->hist and moves *head to
 *  it; nothing is written yet, so the caller can still read a record that
 *  points into LMDB and pack the application with its new head. */
void record_history_prepare(scratch_t *s, history_head_t *head, const char *what, const char *state,
                            int64_t now)
{
    history_change_t change = {now, s->who.text, s->who.len, what, s->why.text, s->why.len, state};
    msgpack_sbuffer_clear(&s->hist);
    history_append(head, &change, &s->hist);
}

int record_history_store(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                         const history_head_t *head)
{
    unsigned char key[HISTORY_KEY_MAX];
    size_t key_len = history_key(id, id_len, head->count, key);
    return store_put_ordered(txn, service_db(svc, INTAKE_DB_HISTORY), key, key_len, s->hist.data, s->hist.size);
}

void record_pack_ack(service_request_t *req, const char *id, size_t id_len, const char *state)
{
    proto_pack_reply(req->reply, "ack", req->has_rid, req->rid, 2);
    proto_pack_kv_strn(req->reply, "id", id, id_len);
    proto_pack_kv_str(req->reply, "state", state);
}

void record_pack_new(msgpack_packer *pk, const record_new_t *n)
{
    bool imported = n->approved_at > 0;
    msgpack_pack_map(pk, proto_entries(12, n->renews) + (imported ? 2 : 0));
    if (n->renews)
        proto_pack_kv_str(pk, "renews", n->renews);
    proto_pack_kv_str(pk, "id", n->id);
    proto_pack_kv_uint(pk, "revision", 1);
    proto_pack_kv_str(pk, "state", STATE_RECEIVED);
    const char *name = "";
    size_t name_len = 0;
    doc_str(doc_map(n->application, "organisation"), "name", &name, &name_len);
    proto_pack_kv_strn(pk, "name", name, name_len);
    proto_pack_kv_str(pk, "siret", n->siret);
    proto_pack_kv_str(pk, "listing", n->listing);
    proto_pack_kv_uint(pk, "submitted_at", (uint64_t)n->now);
    proto_pack_kv_uint(pk, "updated_at", (uint64_t)n->now);
    proto_pack_str(pk, "report");
    msgpack_pack_nil(pk);
    proto_pack_str(pk, "decisions");
    msgpack_pack_array(pk, 0);
    if (imported) {
        proto_pack_kv_str(pk, "provenance", "imported");
        proto_pack_kv_uint(pk, "approved_at", n->approved_at);
    }
    unsigned char hash[INTAKE_TOKEN_HASH_BYTES];
    intake_token_hash(n->token, strlen(n->token), hash);
    proto_pack_str(pk, "token_hash");
    msgpack_pack_bin_with_body(pk, hash, sizeof hash);
    history_head_pack(pk, n->history);
}
