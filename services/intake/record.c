/*  services/intake/record.c - see record.h. */
#include "record.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/kept_report.h"
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
    msgpack_sbuffer_init(&s->trail);
    s->trail_next = 1;
}

void record_scratch_fini(scratch_t *s)
{
    msgpack_sbuffer_destroy(&s->buf);
    msgpack_zone_destroy(&s->zone);
    msgpack_sbuffer_destroy(&s->hist);
    msgpack_sbuffer_destroy(&s->trail);
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

int record_listing_holder(MDB_txn *txn, service_t *svc, scratch_t *s, const char *listing,
                          char id[PROTO_ID_MAX + 1], msgpack_object *record, bool *found)
{
    *found = false;
    if (!*listing)
        return 0;
    MDB_val value;
    int rc = index_batch_get(s->index, txn, INTAKE_INDEX_SIRETS, listing, strlen(listing), &value);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    snprintf(id, PROTO_ID_MAX + 1, "%.*s", (int)(value.mv_size > PROTO_ID_MAX ? PROTO_ID_MAX : value.mv_size),
             (const char *)value.mv_data);
    rc = record_load(txn, svc, id, strlen(id), &s->zone, record);
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

int record_put_report(MDB_txn *txn, service_t *svc, const char *id, size_t len, const msgpack_object *report,
                      msgpack_sbuffer *buf)
{
    kept_report_pack(buf, report);
    return store_put_ordered(txn, service_db(svc, INTAKE_DB_REPORTS), id, len, buf->data, buf->size);
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
    proto_error_t err;
    if (kept_report_unpack(pk, report.mv_data, report.mv_size, &err))
        log_warn("the kept validation report of %.*s: %s", (int)len, id, err.message);
    return 0;
}

/* ------------------------------------------------------------- history */

/*  A trail number as a key: 8 bytes, big-endian (store_u64_key). */
#define S_TRAIL_BYTES 8

void record_head_new(scratch_t *s, record_head_t *head)
{
    *head = (record_head_t){.from = 0};
    msgpack_sbuffer_clear(&s->trail);
}

int record_head_read(const msgpack_object *record, scratch_t *s, record_head_t *head)
{
    record_head_new(s, head);
    if (history_head_read(record, &head->chain))
        return -1;
    const msgpack_object *history = doc_get(record, "history");
    const msgpack_object *trail = history ? doc_get(history, "trail") : NULL;
    if (!history || !doc_uint(history, "from", &head->from))
        return trail ? -1 : 0;
    /* One number for each record from `from` to the last. */
    if (!trail || trail->type != MSGPACK_OBJECT_BIN || head->from < 1 || head->from > head->chain.count
        || trail->via.bin.size != (head->chain.count - head->from + 1) * S_TRAIL_BYTES)
        return -1;
    msgpack_sbuffer_write(&s->trail, trail->via.bin.ptr, trail->via.bin.size);
    return 0;
}

void record_head_pack(msgpack_packer *pk, const record_head_t *head, const scratch_t *s)
{
    proto_pack_str(pk, "history");
    msgpack_pack_map(pk, head->from ? 4 : 2);
    proto_pack_kv_uint(pk, "count", head->chain.count);
    proto_pack_str(pk, "head");
    msgpack_pack_bin_with_body(pk, head->chain.head, HISTORY_HASH_BYTES);
    if (!head->from)
        return;
    proto_pack_kv_uint(pk, "from", head->from);
    proto_pack_str(pk, "trail");
    msgpack_pack_bin_with_body(pk, s->trail.data, s->trail.size);
}

size_t record_history_key(const record_head_t *head, const scratch_t *s, const char *id, size_t id_len,
                          uint64_t n, unsigned char key[HISTORY_KEY_MAX], bool *in_trail)
{
    *in_trail = head->from && n >= head->from;
    if (!*in_trail)
        return history_key(id, id_len, n, key);
    size_t at = (size_t)(n - head->from) * S_TRAIL_BYTES;
    if (at + S_TRAIL_BYTES > s->trail.size)
        return 0;
    memcpy(key, s->trail.data + at, S_TRAIL_BYTES);
    return S_TRAIL_BYTES;
}

uint64_t record_trail_add(scratch_t *s, record_head_t *head)
{
    unsigned char seq[S_TRAIL_BYTES];
    s->trail_last = s->trail_next++;
    store_u64_key(s->trail_last, seq);
    if (!head->from) {
        head->from = head->chain.count;
        msgpack_sbuffer_clear(&s->trail);
    }
    msgpack_sbuffer_write(&s->trail, (const char *)seq, sizeof seq);
    return s->trail_last;
}

int record_trail_start(MDB_txn *txn, service_t *svc, scratch_t *s)
{
    uint64_t last;
    int rc = store_last_u64_key(txn, service_db(svc, INTAKE_DB_TRAIL), &last);
    if (rc == 0)
        s->trail_next = last + 1;
    return rc;
}

/*  Prepares the history record of a change in s->hist and moves *head to
 *  it; nothing is written yet, so the caller can still read a record that
 *  points into LMDB and pack the application with its new head. */
void record_history_prepare(scratch_t *s, record_head_t *head, const char *what, const char *state,
                            int64_t now)
{
    history_change_t change = {now, s->who.text, s->who.len, what, s->why.text, s->why.len, state};
    msgpack_sbuffer_clear(&s->hist);
    history_append(&head->chain, &change, &s->hist);
    record_trail_add(s, head);
}

int record_history_put(MDB_txn *txn, service_t *svc, uint64_t seq, const void *data, size_t len)
{
    unsigned char key[S_TRAIL_BYTES];
    store_u64_key(seq, key);
    /* Numbers only grow: each record goes at the end of the tree. */
    return store_put_ordered(txn, service_db(svc, INTAKE_DB_TRAIL), key, sizeof key, data, len);
}

int record_history_store(MDB_txn *txn, service_t *svc, const scratch_t *s)
{
    return record_history_put(txn, svc, s->trail_last, s->hist.data, s->hist.size);
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
    record_head_pack(pk, n->history, n->scratch);
}
