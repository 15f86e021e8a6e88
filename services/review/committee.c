/*  services/review/committee.c - see committee.h. */
#include "committee.h"

#include "common/store.h"

#include <string.h>

bool review_same_str(const msgpack_object *a, const msgpack_object *b)
{
    if (!a || !b)
        return !a && !b;
    return a->type == MSGPACK_OBJECT_STR && b->type == MSGPACK_OBJECT_STR
        && a->via.str.size == b->via.str.size
        && memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size) == 0;
}

bool review_blank(const msgpack_object *text)
{
    if (!text || text->type != MSGPACK_OBJECT_STR)
        return true;
    for (uint32_t i = 0; i < text->via.str.size; i++)
        if (!strchr(" \n\t\r", text->via.str.ptr[i]))
            return false;
    return true;
}

msgpack_object review_strn(const char *text, size_t len)
{
    msgpack_object obj = {.type = MSGPACK_OBJECT_STR};
    obj.via.str.ptr = text;
    obj.via.str.size = (uint32_t)len;
    return obj;
}

msgpack_object review_str(const char *text)
{
    return review_strn(text, strlen(text));
}

msgpack_object review_uint(uint64_t value)
{
    msgpack_object obj = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER};
    obj.via.u64 = value;
    return obj;
}

msgpack_object review_bool(bool value)
{
    msgpack_object obj = {.type = MSGPACK_OBJECT_BOOLEAN};
    obj.via.boolean = value;
    return obj;
}

msgpack_object review_nil(void)
{
    msgpack_object obj = {.type = MSGPACK_OBJECT_NIL};
    return obj;
}

msgpack_object review_map(msgpack_zone *zone, const review_set_t *pairs, size_t n)
{
    msgpack_object obj = {.type = MSGPACK_OBJECT_MAP};
    msgpack_object_kv *kv = msgpack_zone_malloc(zone, sizeof *kv * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        kv[i].key = review_str(pairs[i].key);
        kv[i].val = pairs[i].val;
    }
    obj.via.map.size = (uint32_t)n;
    obj.via.map.ptr = kv;
    return obj;
}

msgpack_object review_append(msgpack_zone *zone, const msgpack_object *array, msgpack_object item)
{
    size_t count = doc_len(array);
    msgpack_object obj = {.type = MSGPACK_OBJECT_ARRAY};
    msgpack_object *items = msgpack_zone_malloc(zone, sizeof *items * (count + 1));
    for (size_t i = 0; i < count; i++)
        items[i] = *doc_at(array, i);
    items[count] = item;
    obj.via.array.size = (uint32_t)(count + 1);
    obj.via.array.ptr = items;
    return obj;
}

msgpack_object review_keep(msgpack_zone *zone, const msgpack_object *map, const char *const *keys)
{
    review_set_t pairs[16];
    size_t n = 0;
    for (size_t k = 0; keys[k] && n < 16; k++) {
        const msgpack_object *val = doc_get(map, keys[k]);
        if (val)
            pairs[n++] = (review_set_t){keys[k], *val};
    }
    return review_map(zone, pairs, n);
}

int review_load(MDB_txn *txn, MDB_dbi db, const msgpack_object *key, msgpack_zone *zone,
                msgpack_object *out)
{
    return store_get_doc(txn, db, key->via.str.ptr, key->via.str.size, zone, out);
}

int review_load_file(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req,
                     msgpack_object *file)
{
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), doc_get(req->msg, "id"), &self->zone, file);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists",
                              "no file with this id is before the committee");
    return rc;
}

int review_put(review_t *self, MDB_txn *txn, MDB_dbi db, const msgpack_object *key,
               const msgpack_object *base, const review_set_t *set, size_t n)
{
    const char *skip[33];
    size_t k = 0;
    for (; k < n && k < 32; k++)
        skip[k] = set[k].key;
    skip[k] = NULL;
    msgpack_sbuffer_clear(&self->buf);
    doc_pack_map_except(&self->pk, base, skip, n);
    for (size_t i = 0; i < n; i++) {
        proto_pack_str(&self->pk, set[i].key);
        msgpack_pack_object(&self->pk, set[i].val);
    }
    return store_put_ordered(txn, db, key->via.str.ptr, key->via.str.size, self->buf.data, self->buf.size);
}

int review_emit(service_t *svc, MDB_txn *txn, const char *type, int64_t at, const review_set_t *set,
                size_t n)
{
    msgpack_packer *pk = service_event_begin(svc, type, at, n, NULL);
    for (size_t i = 0; i < n; i++) {
        proto_pack_str(pk, set[i].key);
        msgpack_pack_object(pk, set[i].val);
    }
    return service_event_end(svc, txn);
}

const char *review_kind_of(const msgpack_object *file)
{
    if (doc_str_eq(file, "kind", "appeal"))
        return "appeal";
    if (doc_str_eq(file, "kind", "complaint"))
        return "complaint";
    return "review";
}

bool review_is_listed(const msgpack_object *file)
{
    if (doc_str_eq(file, "state", FILE_DECIDED)
        && (doc_str_eq(file, "decision", "approve") || doc_str_eq(file, "decision", "reinstate")))
        return true;
    /* A listing whose update is before the committee, or was refused,
     * stays on the directory as it was (amended.h). */
    return doc_bool(file, "listing_kept", false) && !doc_str_eq(file, "state", FILE_WITHDRAWN)
        && !review_is_suspended(file);
}

bool review_is_suspended(const msgpack_object *file)
{
    return doc_str_eq(file, "state", FILE_OPEN) && doc_str_eq(file, "kind", "complaint");
}
