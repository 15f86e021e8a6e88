/*  services/publication/publication.c - see publication.h. */
#include "publication.h"

#include "common/doc.h"
#include "common/log.h"
#include "common/store.h"
#include "common/text.h"
#include "proto/messages.h"
#include "proto/schema.h"
#include "proto/wire.h"

#include <stdlib.h>
#include <string.h>

const char *const publication_dbs[] = {"entries", "names", NULL};

#define S_NAME_KEY_MAX 480   /* LMDB keys are at most 511 bytes */

typedef struct {
    msgpack_sbuffer buf;      /* the entry being built */
    msgpack_packer pk;
    msgpack_sbuffer proj;     /* the public projection */
    msgpack_packer proj_pk;
    msgpack_zone zone;
} publication_t;

void *publication_context_new(void)
{
    publication_t *self = calloc(1, sizeof *self);
    msgpack_sbuffer_init(&self->buf);
    msgpack_packer_init(&self->pk, &self->buf, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->proj);
    msgpack_packer_init(&self->proj_pk, &self->proj, msgpack_sbuffer_write);
    msgpack_zone_init(&self->zone, 8192);
    return self;
}

void publication_context_destroy(void **ctx_p)
{
    publication_t *self = *ctx_p;
    if (self) {
        msgpack_sbuffer_destroy(&self->buf);
        msgpack_sbuffer_destroy(&self->proj);
        msgpack_zone_destroy(&self->zone);
        free(self);
    }
    *ctx_p = NULL;
}

/*  The sort key of an entry: its folded name, a 0x01, its id, so that
 *  names sort as a French reader expects and two equal names stay two. */
static size_t s_name_key(const msgpack_object *entry, char *out, size_t cap)
{
    const char *name = "", *id = "";
    size_t name_len = 0, id_len = 0;
    doc_str(doc_map(entry, "organisation"), "name", &name, &name_len);
    doc_str(entry, "id", &id, &id_len);
    size_t n = text_fold(name, name_len, out, cap - PROTO_ID_MAX - 2);
    out[n++] = '\x01';
    memcpy(out + n, id, id_len);
    return n + id_len;
}

/* --------------------------------------------------------------- entries */

/*  Packs the entry: id, version, approved_at, then the public fields. */
static int s_pack_entry(publication_t *self, const msgpack_object *event, uint64_t version,
                        msgpack_object *entry)
{
    msgpack_sbuffer_clear(&self->proj);
    const msgpack_object *application = doc_map(event, "application");
    if (!application || schema_pack_public(schema_application(), application, &self->proj_pk))
        return -1;
    msgpack_object projection;
    proto_error_t err;
    if (wire_decode(self->proj.data, self->proj.size, &self->zone, &projection, &err))
        return -1;
    uint64_t at = 0;
    doc_uint(event, "at", &at);
    msgpack_sbuffer_clear(&self->buf);
    doc_pack_map_except(&self->pk, &projection, NULL, 3);
    proto_pack_str(&self->pk, "id");
    msgpack_pack_object(&self->pk, *doc_get(event, "id"));
    proto_pack_kv_uint(&self->pk, "version", version);
    proto_pack_kv_uint(&self->pk, "approved_at", at);
    return wire_decode(self->buf.data, self->buf.size, &self->zone, entry, &err);
}

static int s_remove_name(MDB_txn *txn, service_t *svc, const msgpack_object *stored)
{
    char key[S_NAME_KEY_MAX];
    size_t len = s_name_key(doc_map(stored, "entry"), key, sizeof key);
    MDB_val k = {len, key};
    int rc = mdb_del(txn, service_db(svc, PUBLICATION_DB_NAMES), &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_upsert(publication_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                    int64_t now)
{
    const msgpack_object *id = doc_get(event, "id");
    msgpack_object stored, entry;
    uint64_t version = 1;
    int rc = store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), id->via.str.ptr,
                           id->via.str.size, &self->zone, &stored);
    if (rc == 0) {
        doc_uint(&stored, "version", &version);
        version++;
        if ((rc = s_remove_name(txn, svc, &stored)))
            return rc;
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    if (s_pack_entry(self, event, version, &entry)) {
        log_error("approved file has no publishable application: not listed");
        return 0;
    }
    /* The stream event carries the entry; the stored record adds nothing
     * private, only what the stream already says. */
    msgpack_packer *pk = service_event_begin(svc, "upsert", now, 3, NULL);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *id);
    proto_pack_kv_uint(pk, "version", version);
    proto_pack_kv_raw(pk, "entry", self->buf.data, self->buf.size);
    if ((rc = service_event_end(svc, txn)))
        return rc;
    char key[S_NAME_KEY_MAX];
    size_t key_len = s_name_key(&entry, key, sizeof key);
    MDB_val k = {key_len, key}, v = {id->via.str.size, (void *)id->via.str.ptr};
    if ((rc = mdb_put(txn, service_db(svc, PUBLICATION_DB_NAMES), &k, &v, 0)))
        return rc;
    msgpack_sbuffer record;
    msgpack_sbuffer_init(&record);
    msgpack_packer rpk;
    msgpack_packer_init(&rpk, &record, msgpack_sbuffer_write);
    msgpack_pack_map(&rpk, 2);
    proto_pack_kv_uint(&rpk, "version", version);
    proto_pack_kv_raw(&rpk, "entry", self->buf.data, self->buf.size);
    rc = store_put(txn, service_db(svc, PUBLICATION_DB_ENTRIES), id->via.str.ptr, id->via.str.size,
                   record.data, record.size);
    msgpack_sbuffer_destroy(&record);
    return rc;
}

static int s_withdraw(publication_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                      const char *reason, int64_t now)
{
    const msgpack_object *id = doc_get(event, "id");
    msgpack_object stored;
    MDB_val k = {id->via.str.size, (void *)id->via.str.ptr};
    int rc = store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), k.mv_data, k.mv_size,
                           &self->zone, &stored);
    if (rc == MDB_NOTFOUND)
        return 0;  /* never listed: nothing to take back */
    if (rc || (rc = s_remove_name(txn, svc, &stored)))
        return rc;
    if ((rc = mdb_del(txn, service_db(svc, PUBLICATION_DB_ENTRIES), &k, NULL)))
        return rc;
    msgpack_packer *pk = service_event_begin(svc, "withdraw", now, 2, NULL);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *id);
    proto_pack_kv_str(pk, "reason", reason);
    return service_event_end(svc, txn);
}

int publication_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now)
{
    publication_t *self = ctx;
    msgpack_zone_clear(&self->zone);
    if (strcmp(type, "decided") == 0 && doc_str_eq(event, "decision", "approve"))
        return s_upsert(self, svc, txn, event, now);
    if (strcmp(type, "withdrawn") == 0)
        return s_withdraw(self, svc, txn, event, "withdrawn", now);
    return 0;
}

/* -------------------------------------------------------------- directory */

/*  Positions the cursor on the first name key after the entry `after`
 *  (an id), or on the first key. */
static int s_seek(MDB_txn *txn, service_t *svc, MDB_cursor *cursor, const msgpack_object *after,
                  msgpack_zone *zone, MDB_val *key, MDB_val *value)
{
    if (!after || after->via.str.size == 0)
        return mdb_cursor_get(cursor, key, value, MDB_FIRST);
    msgpack_object stored;
    int rc = store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), after->via.str.ptr,
                           after->via.str.size, zone, &stored);
    if (rc)
        return rc;
    static char name_key[S_NAME_KEY_MAX];
    key->mv_size = s_name_key(doc_map(&stored, "entry"), name_key, sizeof name_key);
    key->mv_data = name_key;
    /* The key of `after` is there (it is listed): start just past it. */
    rc = mdb_cursor_get(cursor, key, value, MDB_SET);
    if (rc == 0)
        rc = mdb_cursor_get(cursor, key, value, MDB_NEXT);
    return rc;
}

static int s_directory(publication_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    uint64_t limit = 100;
    doc_uint(req->msg, "limit", &limit);
    const msgpack_object *after = doc_get(req->msg, "after");
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, PUBLICATION_DB_NAMES), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    rc = s_seek(txn, svc, cursor, after, &self->zone, &key, &value);
    if (rc == MDB_NOTFOUND && after && after->via.str.size) {
        mdb_cursor_close(cursor);
        proto_error_t err;
        proto_error_set(&err, "after", "exists",
                        "after: no listed entry has this id (it may have been withdrawn); start again from the beginning");
        proto_pack_error(req->reply, req->has_rid, req->rid, PROTO_E_NOT_FOUND, &err);
        return 0;
    }
    /* Entries are packed aside first: the array header needs the count. */
    msgpack_sbuffer_clear(&self->buf);
    size_t count = 0;
    bool more = false;
    char last_id[PROTO_ID_MAX + 1] = "";
    for (; rc == 0; rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        if (count == limit) {
            more = true;
            break;
        }
        msgpack_object record;
        if (store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), value.mv_data, value.mv_size,
                          &self->zone, &record) != 0)
            continue;
        msgpack_pack_object(&self->pk, *doc_get(&record, "entry"));
        count++;
        snprintf(last_id, sizeof last_id, "%.*s", (int)value.mv_size, (const char *)value.mv_data);
    }
    mdb_cursor_close(cursor);
    proto_pack_reply(req->reply, "directory", req->has_rid, req->rid, more ? 2 : 1);
    proto_pack_str(req->reply, "entries");
    msgpack_pack_array(req->reply, count);
    proto_pack_raw(req->reply, self->buf.data, self->buf.size);
    if (more)
        proto_pack_kv_str(req->reply, "next", last_id);
    return 0;
}

int publication_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    publication_t *self = ctx;
    msgpack_zone_clear(&self->zone);
    if (strcmp(req->type, "directory") == 0)
        return s_directory(self, svc, txn, req);
    proto_error_t err;
    proto_error_set(&err, "type", "unsupported", "publication answers directory, ping and pull");
    proto_pack_error(req->reply, req->has_rid, req->rid, PROTO_E_INVALID, &err);
    return 0;
}
