/*  services/intake/stored_report.c - see stored_report.h. */
#include "stored_report.h"

#include "intake.h"

#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"
#include "common/log.h"
#include "common/store.h"

#include <stdbool.h>

/*  A pair of a criterion that holds its default and is left out. */
static bool s_default(const msgpack_object_kv *kv)
{
    if (doc_is(&kv->key, "blocking"))
        return kv->val.type == MSGPACK_OBJECT_BOOLEAN && !kv->val.via.boolean;
    if (doc_is(&kv->key, "field"))
        return kv->val.type == MSGPACK_OBJECT_STR && kv->val.via.str.size == 0;
    return false;
}

static void s_pack_kept_criterion(msgpack_packer *pk, const msgpack_object *criterion)
{
    if (criterion->type != MSGPACK_OBJECT_MAP) {
        msgpack_pack_object(pk, *criterion);
        return;
    }
    const msgpack_object_map *map = &criterion->via.map;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < map->size; i++)
        kept += !s_default(&map->ptr[i]);
    msgpack_pack_map(pk, kept);
    for (uint32_t i = 0; i < map->size; i++)
        if (!s_default(&map->ptr[i])) {
            msgpack_pack_object(pk, map->ptr[i].key);
            msgpack_pack_object(pk, map->ptr[i].val);
        }
}

/*  The report's map, each criterion through `criterion`. */
static void s_pack_report(msgpack_packer *pk, const msgpack_object *report,
                          void (*criterion)(msgpack_packer *, const msgpack_object *))
{
    if (report->type != MSGPACK_OBJECT_MAP) {
        msgpack_pack_object(pk, *report);
        return;
    }
    msgpack_pack_map(pk, report->via.map.size);
    for (uint32_t i = 0; i < report->via.map.size; i++) {
        const msgpack_object_kv *kv = &report->via.map.ptr[i];
        msgpack_pack_object(pk, kv->key);
        if (!doc_is(&kv->key, "criteria") || kv->val.type != MSGPACK_OBJECT_ARRAY) {
            msgpack_pack_object(pk, kv->val);
            continue;
        }
        msgpack_pack_array(pk, kv->val.via.array.size);
        for (uint32_t j = 0; j < kv->val.via.array.size; j++)
            criterion(pk, &kv->val.via.array.ptr[j]);
    }
}

void stored_report_pack(msgpack_sbuffer *buf, const msgpack_object *report)
{
    msgpack_sbuffer_clear(buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    s_pack_report(&pk, report, s_pack_kept_criterion);
}

static void s_pack_whole_criterion(msgpack_packer *pk, const msgpack_object *criterion)
{
    if (criterion->type != MSGPACK_OBJECT_MAP) {
        msgpack_pack_object(pk, *criterion);
        return;
    }
    const msgpack_object_map *map = &criterion->via.map;
    bool blocking = doc_get(criterion, "blocking") == NULL, field = doc_get(criterion, "field") == NULL;
    msgpack_pack_map(pk, map->size + blocking + field);
    bool placed = !blocking && !field;
    for (uint32_t i = 0; i <= map->size; i++) {
        if (i < map->size) {
            msgpack_pack_object(pk, map->ptr[i].key);
            msgpack_pack_object(pk, map->ptr[i].val);
        }
        /* where validation puts them: after the outcome (or at the end) */
        if (!placed && (i == map->size || doc_is(&map->ptr[i].key, "outcome"))) {
            if (blocking)
                proto_pack_kv_bool(pk, "blocking", false);
            if (field)
                proto_pack_kv_str(pk, "field", "");
            placed = true;
        }
    }
}

int stored_report_unpack(msgpack_packer *pk, const void *kept, size_t len)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, len * 2 + 1024);
    msgpack_object report;
    proto_error_t err;
    int rc = 0;
    if (wire_decode_stored(kept, len, &zone, &report, &err)) {
        log_warn("a kept validation report does not decode: %s", err.message);
        msgpack_pack_nil(pk);
        rc = -1;
    } else {
        s_pack_report(pk, &report, s_pack_whole_criterion);
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

int stored_report_put(MDB_txn *txn, service_t *svc, const char *id, size_t id_len,
                      const msgpack_object *report, msgpack_sbuffer *buf)
{
    stored_report_pack(buf, report);
    return store_put_ordered(txn, service_db(svc, INTAKE_DB_REPORTS), id, id_len, buf->data, buf->size);
}
