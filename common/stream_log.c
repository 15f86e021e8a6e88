/*  common/stream_log.c - see stream_log.h. */
#define _GNU_SOURCE  /* memmem */
#include "stream_log.h"

#include "proto/doc.h"
#include "store.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct stream_log_t {
    MDB_dbi db;
    uint64_t head;      /* last committed seq */
    uint64_t pending;   /* last seq appended in the open transaction */
};

stream_log_t *stream_log_new(MDB_txn *txn, MDB_dbi db)
{
    stream_log_t *self = calloc(1, sizeof *self);
    assert(self);
    self->db = db;
    /* Keys are seqs: the last is the head (none, or not a seq: 0). */
    if (store_last_u64_key(txn, db, &self->head))
        self->head = 0;
    self->pending = self->head;
    return self;
}

void stream_log_destroy(stream_log_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

uint64_t stream_log_head(const stream_log_t *self)
{
    return self->head;
}

uint64_t stream_log_begin(stream_log_t *self, msgpack_sbuffer *buf, msgpack_packer *pk,
                          const char *type, int64_t at, size_t fields)
{
    msgpack_sbuffer_clear(buf);
    uint64_t seq = self->pending + 1;
    msgpack_pack_map(pk, fields + 4);
    proto_pack_kv_uint(pk, "seq", seq);
    proto_pack_kv_uint(pk, "v", PROTO_VERSION);
    proto_pack_kv_str(pk, "type", type);
    proto_pack_kv_uint(pk, "at", at < 0 ? 0 : (uint64_t)at);
    return seq;
}

int stream_log_end(stream_log_t *self, MDB_txn *txn, msgpack_sbuffer *buf)
{
    unsigned char key_bytes[8];
    uint64_t seq = self->pending + 1;
    store_u64_key(seq, key_bytes);
    MDB_val key = {8, key_bytes}, value = {buf->size, buf->data};
    /* Keys only ever grow: MDB_APPEND skips the search and fills pages. */
    int rc = mdb_put(txn, self->db, &key, &value, MDB_APPEND);
    if (rc == 0)
        self->pending = seq;
    return rc;
}

int stream_log_get(const stream_log_t *self, MDB_txn *txn, uint64_t seq, MDB_val *event)
{
    unsigned char key_bytes[8];
    store_u64_key(seq, key_bytes);
    MDB_val key = {8, key_bytes};
    return mdb_get(txn, self->db, &key, event);
}

void stream_log_committed(stream_log_t *self)
{
    self->head = self->pending;
}

void stream_log_aborted(stream_log_t *self)
{
    self->pending = self->head;
}

size_t stream_log_pack_after(const stream_log_t *self, MDB_txn *txn, uint64_t after, size_t max,
                             size_t max_bytes, const stream_omit_t *omit, msgpack_packer *pk)
{
    MDB_val found[PROTO_BATCH_MAX];
    if (max > PROTO_BATCH_MAX)
        max = PROTO_BATCH_MAX;
    size_t count = 0, bytes = 0;
    MDB_cursor *cursor;
    if (after < self->head && mdb_cursor_open(txn, self->db, &cursor) == 0) {
        unsigned char key_bytes[8];
        store_u64_key(after + 1, key_bytes);
        MDB_val key = {8, key_bytes}, value;
        int rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
        while (rc == 0 && count < max && store_u64_from_key(key.mv_data) <= self->head
               && (count == 0 || bytes + value.mv_size <= max_bytes)) {
            found[count++] = value;
            bytes += value.mv_size;
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
        }
        mdb_cursor_close(cursor);
    }
    msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++)
        stream_omit_pack_event(omit, found[i].mv_data, found[i].mv_size, pk);
    return count;
}

void stream_log_pack_redacted(const msgpack_object *event, uint64_t seq, msgpack_packer *pk)
{
    uint64_t at = 0;
    doc_uint(event, "at", &at);
    msgpack_pack_map(pk, 5);
    proto_pack_kv_uint(pk, "seq", seq);
    proto_pack_kv_uint(pk, "v", PROTO_VERSION);
    proto_pack_kv_str(pk, "type", "redacted");
    proto_pack_kv_uint(pk, "at", at);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *doc_get(event, "id"));
}

/*  True when the stored event names `id`; decodes it into zone. */
static bool s_event_of(const MDB_val *value, const char *id, size_t id_len, msgpack_zone *zone,
                       msgpack_object *event)
{
    /* A cheap filter first: most events do not contain the id's bytes. */
    if (!memmem(value->mv_data, value->mv_size, id, id_len))
        return false;
    msgpack_zone_clear(zone);
    proto_error_t err;
    if (wire_decode_stored(value->mv_data, value->mv_size, zone, event, &err))
        return false;
    const msgpack_object *named = doc_get(event, "id");
    return named && named->type == MSGPACK_OBJECT_STR && named->via.str.size == id_len
        && memcmp(named->via.str.ptr, id, id_len) == 0 && !doc_str_eq(event, "type", "redacted");
}

int stream_log_redact(stream_log_t *self, MDB_txn *txn, const char *id, size_t id_len,
                      stream_log_rewrite_fn rewrite, void *arg, size_t *count)
{
    if (count)
        *count = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, self->db, &cursor);
    if (rc)
        return rc;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 8192);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    MDB_val key, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        msgpack_object event;
        if (key.mv_size != 8 || !s_event_of(&value, id, id_len, &zone, &event))
            continue;
        uint64_t seq = store_u64_from_key(key.mv_data);
        msgpack_sbuffer_clear(&buf);
        if (rewrite)
            rewrite(arg, &event, seq, &pk);
        else
            stream_log_pack_redacted(&event, seq, &pk);
        MDB_val replacement = {buf.size, buf.data};
        /* The key handed to the put must not point into the page the put
         * rewrites: a value of another size moves the node, and LMDB would
         * copy the key from bytes it has just shifted. */
        unsigned char key_bytes[8];
        memcpy(key_bytes, key.mv_data, sizeof key_bytes);
        MDB_val stable_key = {sizeof key_bytes, key_bytes};
        if ((rc = mdb_cursor_put(cursor, &stable_key, &replacement, MDB_CURRENT)))
            break;
        if (count)
            (*count)++;
    }
    mdb_cursor_close(cursor);
    msgpack_sbuffer_destroy(&buf);
    msgpack_zone_destroy(&zone);
    return rc == MDB_NOTFOUND ? 0 : rc;
}
