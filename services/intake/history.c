/*  services/intake/history.c - see history.h. */
#include "history.h"

#include "common/doc.h"
#include "proto/error.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const unsigned char s_zero[HISTORY_HASH_BYTES];

static void s_pack_text(msgpack_packer *pk, const char *key, const char *text, size_t len)
{
    if (!text)
        text = "", len = 0;
    proto_pack_kv_strn(pk, key, text, proto_utf8_prefix(text, len, HISTORY_TEXT_MAX));
}

void history_append(history_head_t *head, const history_change_t *change, msgpack_sbuffer *out)
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    proto_pack_kv_uint(&pk, "n", head->count + 1);
    proto_pack_kv_uint(&pk, "at", change->at > 0 ? (uint64_t)change->at : 0);
    s_pack_text(&pk, "who", change->who, change->who_len);
    proto_pack_kv_str(&pk, "what", change->what);
    s_pack_text(&pk, "why", change->why, change->why_len);
    proto_pack_kv_str(&pk, "state", change->state);
    proto_pack_str(&pk, "prev");
    msgpack_pack_bin_with_body(&pk, head->head, HISTORY_HASH_BYTES);

    unsigned char hash[HISTORY_HASH_BYTES];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)body.data, body.size, NULL, 0);
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, body.data, body.size);
    msgpack_pack_bin_with_body(&pk, hash, sizeof hash);
    msgpack_sbuffer_destroy(&body);
    head->count++;
    memcpy(head->head, hash, sizeof hash);
}

int history_head_read(const msgpack_object *record, history_head_t *head)
{
    memset(head, 0, sizeof *head);
    const msgpack_object *history = doc_get(record, "history");
    if (!history)
        return 0;
    const msgpack_object *hash = doc_get(history, "head");
    if (!doc_uint(history, "count", &head->count) || !hash || hash->type != MSGPACK_OBJECT_BIN
        || hash->via.bin.size != HISTORY_HASH_BYTES)
        return -1;
    memcpy(head->head, hash->via.bin.ptr, HISTORY_HASH_BYTES);
    return 0;
}

void history_head_pack(msgpack_packer *pk, const history_head_t *head)
{
    proto_pack_str(pk, "history");
    msgpack_pack_map(pk, 2);
    proto_pack_kv_uint(pk, "count", head->count);
    proto_pack_str(pk, "head");
    msgpack_pack_bin_with_body(pk, head->head, HISTORY_HASH_BYTES);
}

size_t history_key(const char *id, size_t id_len, uint64_t n, unsigned char out[HISTORY_KEY_MAX])
{
    if (id_len > HISTORY_KEY_MAX - 8)
        id_len = HISTORY_KEY_MAX - 8;
    memcpy(out, id, id_len);
    for (int i = 0; i < 8; i++)
        out[id_len + (size_t)i] = (unsigned char)(n >> (56 - 8 * i));
    return id_len + 8;
}

/* ------------------------------------------------------------ verifying */

void history_verifier_init(history_verifier_t *self)
{
    memset(self, 0, sizeof *self);
    msgpack_zone_init(&self->zone, 1024);
}

void history_verifier_fini(history_verifier_t *self)
{
    msgpack_zone_destroy(&self->zone);
}

static int s_break(history_verifier_t *self, uint64_t n, const char *format, ...)
{
    self->broken = true;
    self->brk.n = n;
    va_list args;
    va_start(args, format);
    vsnprintf(self->brk.reason, sizeof self->brk.reason, format, args);
    va_end(args);
    return -1;
}

int history_body_decode(const void *body, size_t len, msgpack_zone *zone, msgpack_object *out)
{
    proto_error_t err;
    if (wire_decode(body, len, zone, out, &err) || out->type != MSGPACK_OBJECT_MAP)
        return -1;
    static const char *const texts[] = {"who", "what", "why", "state", NULL};
    const char *text;
    size_t text_len;
    uint64_t number;
    for (const char *const *key = texts; *key; key++)
        if (!doc_str(out, *key, &text, &text_len))
            return -1;
    return doc_uint(out, "n", &number) && doc_uint(out, "at", &number) ? 0 : -1;
}

int history_verify_record(history_verifier_t *self, const void *body, size_t body_len,
                          const void *hash, size_t hash_len)
{
    if (self->broken)
        return -1;
    unsigned long long expected = (unsigned long long)self->count + 1;
    unsigned char computed[HISTORY_HASH_BYTES];
    crypto_generichash(computed, sizeof computed, body, body_len, NULL, 0);
    if (hash_len != HISTORY_HASH_BYTES || sodium_memcmp(computed, hash, sizeof computed) != 0)
        return s_break(self, expected, "record %llu was altered: its bytes do not match its hash", expected);
    msgpack_zone_clear(&self->zone);
    msgpack_object map;
    uint64_t n = 0;
    if (history_body_decode(body, body_len, &self->zone, &map) || !doc_uint(&map, "n", &n))
        return s_break(self, expected, "record %llu is not a history record", expected);
    if (n != expected)
        return s_break(self, expected,
                       "record %llu is missing: record %llu comes in its place (removed or moved)",
                       expected, (unsigned long long)n);
    const msgpack_object *prev = doc_get(&map, "prev");
    if (!prev || prev->type != MSGPACK_OBJECT_BIN || prev->via.bin.size != HISTORY_HASH_BYTES
        || memcmp(prev->via.bin.ptr, self->prev, HISTORY_HASH_BYTES) != 0)
        return s_break(self, expected,
                       "record %llu does not follow record %llu: its prev is not that record's hash",
                       expected, expected - 1);
    self->count++;
    memcpy(self->prev, computed, sizeof computed);
    return 0;
}

int history_verify_stored(history_verifier_t *self, const void *bytes, size_t len)
{
    if (self->broken)
        return -1;
    msgpack_zone_clear(&self->zone);
    msgpack_object stored;
    proto_error_t err;
    unsigned long long expected = (unsigned long long)self->count + 1;
    if (wire_decode(bytes, len, &self->zone, &stored, &err) || stored.type != MSGPACK_OBJECT_ARRAY
        || stored.via.array.size != 2 || stored.via.array.ptr[0].type != MSGPACK_OBJECT_BIN
        || stored.via.array.ptr[1].type != MSGPACK_OBJECT_BIN)
        return s_break(self, expected, "record %llu is not [body, hash]", expected);
    /* The bins point into `bytes`, not into the zone the next step clears. */
    const msgpack_object_bin body = stored.via.array.ptr[0].via.bin;
    const msgpack_object_bin hash = stored.via.array.ptr[1].via.bin;
    return history_verify_record(self, body.ptr, body.size, hash.ptr, hash.size);
}

int history_verify_end(history_verifier_t *self, const history_head_t *expected)
{
    if (self->broken)
        return -1;
    unsigned long long have = (unsigned long long)self->count;
    unsigned long long want = (unsigned long long)expected->count;
    if (have < want)
        return s_break(self, have + 1, "records %llu to %llu are missing: the application counts %llu",
                       have + 1, want, want);
    if (have > want)
        return s_break(self, want + 1, "record %llu is beyond the %llu the application counts",
                       want + 1, want);
    const unsigned char *head = have ? self->prev : s_zero;
    if (memcmp(head, expected->head, HISTORY_HASH_BYTES) != 0)
        return s_break(self, have, "record %llu is not the head the application keeps", have);
    return 0;
}
