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
    MDB_dbi tails;      /* the last fields kept apart (stream_log_keep_tails) */
    bool splits;        /* large events are split when appended */
    bool joins;         /* the tails database may hold a tail: reads look */
    size_t inline_max;  /* the largest value a leaf page keeps beside a seq */
    msgpack_sbuffer part;   /* a head being written, an event put back together */
    msgpack_packer part_pk;
    const char *copy;   /* the field kept once, in "signed" (NULL: none) */
    msgpack_sbuffer whole;  /* an event with its copy put back */
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
    msgpack_sbuffer_init(&self->part);
    msgpack_packer_init(&self->part_pk, &self->part, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->whole);
    return self;
}

void stream_log_destroy(stream_log_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        msgpack_sbuffer_destroy(&(*self_p)->part);
        msgpack_sbuffer_destroy(&(*self_p)->whole);
    }
    free(*self_p);
    *self_p = NULL;
}

/*  LMDB keeps a value in a leaf page when its node (an 8-byte header,
 *  the key, the value) takes at most half of the page's room, less a
 *  2-byte pointer: mdb.c's me_nodemax.  2,022 bytes beside an 8-byte key
 *  in 4 KiB pages. */
static size_t s_inline_max(MDB_txn *txn)
{
    MDB_stat stat;
    if (mdb_env_stat(mdb_txn_env(txn), &stat) || stat.ms_psize < 1024)
        return 0;
    size_t node_max = (((size_t)stat.ms_psize - 16) / 2 & ~(size_t)1) - 2;
    return node_max - 8 - 8;
}

void stream_log_keep_tails(stream_log_t *self, MDB_txn *txn, MDB_dbi tails)
{
    self->tails = tails;
    self->inline_max = s_inline_max(txn);
    self->splits = self->inline_max > 0;
    MDB_stat stat;
    self->joins = mdb_stat(txn, tails, &stat) != 0 || stat.ms_entries > 0;
}

void stream_log_keep_signed_copy(stream_log_t *self, const char *field)
{
    self->copy = field;
}

/*  The bytes of field self->copy in the content an event carries signed
 *  (the payload of its bin field "signed", one map).  False when it has
 *  none. */
static bool s_signed_copy(const stream_log_t *self, const void *event, size_t len, const void **copy,
                          size_t *copy_len)
{
    const void *bin;
    size_t bin_len, header;
    if (!stream_omit_field(event, len, "signed", &bin, &bin_len))
        return false;
    const uint8_t *b = bin;
    if (b[0] == 0xc4)
        header = 2;
    else if (b[0] == 0xc5)
        header = 3;
    else if (b[0] == 0xc6)
        header = 5;
    else
        return false;
    /* The content is the producer's own map, its copied field last (an
     * upsert's entry): found without walking the entry. */
    return bin_len > header && stream_omit_last_value(b + header, bin_len - header, self->copy, copy, copy_len);
}

/*  An event whose copy repeats the signed content's goes with nil in its
 *  place (one byte instead of the entry's 800 or so), in self->part.  0
 *  with *kept false when it stays whole. */
static int s_put_once(stream_log_t *self, MDB_txn *txn, MDB_val *key, const msgpack_sbuffer *buf, bool *kept)
{
    const void *value, *source;
    size_t value_len, source_len;
    *kept = false;
    if (!self->copy || !stream_omit_field(buf->data, buf->size, self->copy, &value, &value_len)
        || !s_signed_copy(self, buf->data, buf->size, &source, &source_len) || value_len != source_len
        || value_len < 2 || memcmp(value, source, value_len) != 0)
        return 0;
    size_t at = (size_t)((const char *)value - buf->data);
    msgpack_sbuffer_clear(&self->part);
    proto_pack_raw(&self->part_pk, buf->data, at);
    msgpack_pack_nil(&self->part_pk);
    proto_pack_raw(&self->part_pk, buf->data + at + value_len, buf->size - at - value_len);
    MDB_val once = {self->part.size, self->part.data};
    int rc = mdb_put(txn, self->db, key, &once, MDB_APPEND);
    *kept = rc == 0;
    return rc;
}

/*  Where a stored event holds nil for its copy: the nil's offset, and
 *  the bytes to put back (in the signed content); len 0 when it holds
 *  none. */
typedef struct {
    size_t at;
    const void *source;
    size_t len;
} kept_once_t;

static kept_once_t s_kept_once(const stream_log_t *self, const MDB_val *stored)
{
    kept_once_t once = {0, NULL, 0};
    const void *value;
    size_t value_len;
    if (!self->copy || !stream_omit_field(stored->mv_data, stored->mv_size, self->copy, &value, &value_len)
        || value_len != 1 || *(const uint8_t *)value != 0xc0
        || !s_signed_copy(self, stored->mv_data, stored->mv_size, &once.source, &once.len))
        return (kept_once_t){0, NULL, 0};
    once.at = (size_t)((const char *)value - (const char *)stored->mv_data);
    return once;
}

/*  The three pieces of an event kept once, whole again, into pk. */
static void s_pack_whole(const MDB_val *stored, const kept_once_t *once, msgpack_packer *pk)
{
    proto_pack_raw(pk, stored->mv_data, once->at);
    proto_pack_raw(pk, once->source, once->len);
    proto_pack_raw(pk, (const char *)stored->mv_data + once->at + 1, stored->mv_size - once->at - 1);
}

/*  The stored event with its copy (`once`) put back, in self->whole; an
 *  event stored whole is given as it is. */
static MDB_val s_whole(stream_log_t *self, MDB_val stored, const kept_once_t *once)
{
    if (!once->len)
        return stored;
    msgpack_sbuffer_clear(&self->whole);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &self->whole, msgpack_sbuffer_write);
    s_pack_whole(&stored, once, &pk);
    return (MDB_val){self->whole.size, self->whole.data};
}

static MDB_val s_restore(stream_log_t *self, MDB_val stored)
{
    kept_once_t once = s_kept_once(self, &stored);
    return s_whole(self, stored, &once);
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

/*  An event too large for a leaf whose fields but the last would fit in
 *  one goes in two values: the map without its last field (its header
 *  counting one field less) in the log, and the last field's key and
 *  value, as they were, in `tails` under the same seq.  A validation
 *  event (2,259 bytes for a 1,745-byte application and its report) took
 *  an overflow page of 4 KiB of its own; its 514 bytes and the
 *  application's 1,757 now share leaves with their neighbours.  0 with
 *  *split false when the event stays whole. */
static int s_put_split(stream_log_t *self, MDB_txn *txn, MDB_val *key, const msgpack_sbuffer *buf, bool *split)
{
    size_t at, fields, header;
    *split = false;
    if (!self->splits || buf->size <= self->inline_max
        || !stream_omit_last_field(buf->data, buf->size, &at, &fields, &header) || at > self->inline_max)
        return 0;
    msgpack_sbuffer_clear(&self->part);
    msgpack_pack_map(&self->part_pk, fields - 1);
    proto_pack_raw(&self->part_pk, buf->data + header, at - header);
    MDB_val head = {self->part.size, self->part.data}, tail = {buf->size - at, buf->data + at};
    int rc = mdb_put(txn, self->db, key, &head, MDB_APPEND);
    if (rc == 0)
        rc = mdb_put(txn, self->tails, key, &tail, MDB_APPEND);
    if (rc == 0)
        *split = self->joins = true;
    return rc;
}

int stream_log_end(stream_log_t *self, MDB_txn *txn, msgpack_sbuffer *buf)
{
    unsigned char key_bytes[8];
    uint64_t seq = self->pending + 1;
    store_u64_key(seq, key_bytes);
    MDB_val key = {8, key_bytes}, value = {buf->size, buf->data};
    bool split, once = false;
    int rc = s_put_split(self, txn, &key, buf, &split);
    if (rc == 0 && !split)
        rc = s_put_once(self, txn, &key, buf, &once);
    /* Keys only ever grow: MDB_APPEND skips the search and fills pages. */
    if (rc == 0 && !split && !once)
        rc = mdb_put(txn, self->db, &key, &value, MDB_APPEND);
    if (rc == 0)
        self->pending = seq;
    return rc;
}

/*  The tail kept apart for the event under `key`: 0 with tail->mv_size 0
 *  when it has none, or an LMDB code. */
static int s_tail(const stream_log_t *self, MDB_txn *txn, const MDB_val *key, MDB_val *tail)
{
    tail->mv_size = 0;
    tail->mv_data = NULL;
    if (!self->joins)
        return 0;
    MDB_val k = *key;
    int rc = mdb_get(txn, self->tails, &k, tail);
    if (rc == MDB_NOTFOUND) {
        tail->mv_size = 0;
        return 0;
    }
    return rc;
}

/*  The event whose head is `head` and last field `tail`, whole again in
 *  self->part: the map header counting the field back, then the bytes as
 *  stored, byte for byte what the producer packed.  A head that is not a
 *  map (never written so) is given as it is. */
static MDB_val s_join(stream_log_t *self, const MDB_val *head, const MDB_val *tail)
{
    const uint8_t *p = head->mv_data;
    size_t fields, header;
    if (head->mv_size >= 1 && p[0] >= 0x80 && p[0] <= 0x8f)
        fields = p[0] & 0x0f, header = 1;
    else if (head->mv_size >= 3 && p[0] == 0xde)
        fields = (size_t)p[1] << 8 | p[2], header = 3;
    else if (head->mv_size >= 5 && p[0] == 0xdf)
        fields = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4], header = 5;
    else
        return *head;
    msgpack_sbuffer_clear(&self->part);
    msgpack_pack_map(&self->part_pk, fields + 1);
    proto_pack_raw(&self->part_pk, p + header, head->mv_size - header);
    proto_pack_raw(&self->part_pk, tail->mv_data, tail->mv_size);
    return (MDB_val){self->part.size, self->part.data};
}

int stream_log_get(stream_log_t *self, MDB_txn *txn, uint64_t seq, MDB_val *event)
{
    unsigned char key_bytes[8];
    store_u64_key(seq, key_bytes);
    MDB_val key = {8, key_bytes}, tail;
    int rc = mdb_get(txn, self->db, &key, event);
    if (rc == 0 && (rc = s_tail(self, txn, &key, &tail)) == 0 && tail.mv_size)
        *event = s_join(self, event, &tail);
    if (rc == 0)
        *event = s_restore(self, *event);
    return rc;
}

void stream_log_committed(stream_log_t *self)
{
    self->head = self->pending;
}

void stream_log_aborted(stream_log_t *self)
{
    self->pending = self->head;
}

size_t stream_log_pack_after(stream_log_t *self, MDB_txn *txn, uint64_t after, size_t max,
                             size_t max_bytes, const stream_omit_t *omit, msgpack_packer *pk)
{
    MDB_val found[PROTO_BATCH_MAX], tails[PROTO_BATCH_MAX];
    kept_once_t onces[PROTO_BATCH_MAX];
    if (max > PROTO_BATCH_MAX)
        max = PROTO_BATCH_MAX;
    size_t count = 0, bytes = 0;
    MDB_cursor *cursor;
    if (after < self->head && mdb_cursor_open(txn, self->db, &cursor) == 0) {
        unsigned char key_bytes[8];
        store_u64_key(after + 1, key_bytes);
        MDB_val key = {8, key_bytes}, value;
        int rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
        MDB_val tail = {0, NULL};
        kept_once_t once;
        size_t size = 0;
        /* Each event counted as it will be sent, its copy put back. */
        while (rc == 0 && count < max && store_u64_from_key(key.mv_data) <= self->head
               && s_tail(self, txn, &key, &tail) == 0
               && (once = s_kept_once(self, &value), size = value.mv_size + tail.mv_size + (once.len ? once.len - 1 : 0),
                   count == 0 || bytes + size <= max_bytes)) {
            tails[count] = tail;
            onces[count] = once;
            found[count++] = value;
            bytes += size;
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
        }
        mdb_cursor_close(cursor);
    }
    msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++) {
        /* A pull that omits nothing takes the pieces straight: no copy in
         * between. */
        if (onces[i].len && !tails[i].mv_size && !stream_omit_fields(omit)) {
            s_pack_whole(&found[i], &onces[i], pk);
            continue;
        }
        MDB_val event = tails[i].mv_size ? s_restore(self, s_join(self, &found[i], &tails[i]))
                                         : s_whole(self, found[i], &onces[i]);
        stream_omit_pack_event(omit, event.mv_data, event.mv_size, pk);
    }
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
        /* The id is never the field kept apart: the filter reads the head. */
        if (key.mv_size != 8 || !memmem(value.mv_data, value.mv_size, id, id_len))
            continue;
        MDB_val tail;
        if ((rc = s_tail(self, txn, &key, &tail)))
            break;
        MDB_val whole = s_restore(self, tail.mv_size ? s_join(self, &value, &tail) : value);
        if (!s_event_of(&whole, id, id_len, &zone, &event))
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
        /* The replacement is whole: the tail, with the personal data it
         * holds, goes in the same transaction. */
        if (tail.mv_size && (rc = mdb_del(txn, self->tails, &stable_key, NULL)))
            break;
        if (count)
            (*count)++;
    }
    mdb_cursor_close(cursor);
    msgpack_sbuffer_destroy(&buf);
    msgpack_zone_destroy(&zone);
    return rc == MDB_NOTFOUND ? 0 : rc;
}
