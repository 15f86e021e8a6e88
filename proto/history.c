/*  proto/history.c - see history.h. */
#include "history.h"

#include "proto/doc.h"
#include "proto/error.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const unsigned char s_zero[HISTORY_HASH_BYTES];

#define S_SALT_BYTES 16

static size_t s_cut(const char *text, size_t len)
{
    return text ? proto_utf8_prefix(text, len, HISTORY_TEXT_MAX) : 0;
}

static void s_why_digest(const unsigned char salt[S_SALT_BYTES], const char *why, size_t len,
                         unsigned char digest[HISTORY_HASH_BYTES])
{
    crypto_generichash(digest, HISTORY_HASH_BYTES, (const unsigned char *)why, len, salt, S_SALT_BYTES);
}

/*  Packs [body as bin, hash as bin], body = [core as bin, tail as given]. */
static void s_pack_stored(msgpack_sbuffer *out, const void *core, size_t core_len, const void *tail,
                          size_t tail_len, const unsigned char hash[HISTORY_HASH_BYTES])
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, core, core_len);
    msgpack_sbuffer_write(&body, tail, tail_len);
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, body.data, body.size);
    msgpack_pack_bin_with_body(&pk, hash, HISTORY_HASH_BYTES);
    msgpack_sbuffer_destroy(&body);
}

void history_append(history_head_t *head, const history_change_t *change, msgpack_sbuffer *out)
{
    const char *why = change->why ? change->why : "";
    size_t why_len = s_cut(change->why, change->why_len);
    unsigned char salt[S_SALT_BYTES], digest[HISTORY_HASH_BYTES];
    randombytes_buf(salt, sizeof salt);
    s_why_digest(salt, why, why_len, digest);

    msgpack_sbuffer core;
    msgpack_sbuffer_init(&core);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &core, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    proto_pack_kv_uint(&pk, "n", head->count + 1);
    proto_pack_kv_uint(&pk, "at", change->at > 0 ? (uint64_t)change->at : 0);
    proto_pack_kv_strn(&pk, "who", change->who ? change->who : "", s_cut(change->who, change->who_len));
    proto_pack_kv_str(&pk, "what", change->what);
    proto_pack_str(&pk, "why_digest");
    msgpack_pack_bin_with_body(&pk, digest, sizeof digest);
    proto_pack_kv_str(&pk, "state", change->state);
    proto_pack_str(&pk, "prev");
    msgpack_pack_bin_with_body(&pk, head->head, HISTORY_HASH_BYTES);

    msgpack_sbuffer tail;
    msgpack_sbuffer_init(&tail);
    msgpack_packer_init(&pk, &tail, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    proto_pack_kv_strn(&pk, "why", why, why_len);
    proto_pack_str(&pk, "salt");
    msgpack_pack_bin_with_body(&pk, salt, sizeof salt);

    unsigned char hash[HISTORY_HASH_BYTES];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)core.data, core.size, NULL, 0);
    s_pack_stored(out, core.data, core.size, tail.data, tail.size, hash);
    msgpack_sbuffer_destroy(&core);
    msgpack_sbuffer_destroy(&tail);
    head->count++;
    memcpy(head->head, hash, sizeof hash);
}

/*  The parts of a stored record: body and hash as bins (pointing into the
 *  stored bytes). */
static int s_split_stored(const void *bytes, size_t len, msgpack_zone *zone, msgpack_object_bin *body,
                          msgpack_object_bin *hash)
{
    msgpack_object stored;
    proto_error_t err;
    if (wire_decode(bytes, len, zone, &stored, &err) || stored.type != MSGPACK_OBJECT_ARRAY
        || stored.via.array.size != 2 || stored.via.array.ptr[0].type != MSGPACK_OBJECT_BIN
        || stored.via.array.ptr[1].type != MSGPACK_OBJECT_BIN)
        return -1;
    *body = stored.via.array.ptr[0].via.bin;
    *hash = stored.via.array.ptr[1].via.bin;
    return 0;
}

/*  A body of the current form: its core bytes and its tail (a map). */
static int s_split_body(const void *body, size_t len, msgpack_zone *zone, msgpack_object_bin *core,
                        msgpack_object *tail)
{
    msgpack_object parts;
    proto_error_t err;
    if (wire_decode(body, len, zone, &parts, &err) || parts.type != MSGPACK_OBJECT_ARRAY
        || parts.via.array.size != 2 || parts.via.array.ptr[0].type != MSGPACK_OBJECT_BIN
        || parts.via.array.ptr[1].type != MSGPACK_OBJECT_MAP)
        return -1;
    *core = parts.via.array.ptr[0].via.bin;
    *tail = parts.via.array.ptr[1];
    return 0;
}

static bool s_tail_erased(const msgpack_object *tail)
{
    return doc_bool(tail, "erased", false);
}

int history_erase(const void *stored, size_t len, msgpack_sbuffer *out)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object_bin body, hash, core;
    msgpack_object tail;
    int rc = -1;
    if (s_split_stored(stored, len, &zone, &body, &hash) == 0 && hash.size == HISTORY_HASH_BYTES
        && s_split_body(body.ptr, body.size, &zone, &core, &tail) == 0) {
        rc = 1;
        if (!s_tail_erased(&tail)) {
            static const unsigned char erased[] = {0x81, 0xa6, 'e', 'r', 'a', 's', 'e', 'd', 0xc3};
            s_pack_stored(out, core.ptr, core.size, erased, sizeof erased, (const unsigned char *)hash.ptr);
            rc = 0;
        }
    }
    msgpack_zone_destroy(&zone);
    return rc;
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
    __attribute__((format(printf, 3, 4)));

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

static bool s_texts_present(const msgpack_object *map, const char *const *keys)
{
    const char *text;
    size_t len;
    for (const char *const *key = keys; *key; key++)
        if (!doc_str(map, *key, &text, &len))
            return false;
    return true;
}

static bool s_bin32(const msgpack_object *map, const char *key)
{
    const msgpack_object *value = doc_get(map, key);
    return value && value->type == MSGPACK_OBJECT_BIN && value->via.bin.size == HISTORY_HASH_BYTES;
}

static bool s_numbers_present(const msgpack_object *map)
{
    uint64_t number;
    return doc_uint(map, "n", &number) && doc_uint(map, "at", &number);
}

/*  The record as it is shown, from the core and the tail: a map of 8
 *  pairs in the zone (the values point into the decoded objects). */
static int s_display(const msgpack_object *core, const msgpack_object *tail, msgpack_zone *zone,
                     msgpack_object *out)
{
    static const char *const keys[] = {"n", "at", "who", "what", "why", "state", "prev", "erased"};
    msgpack_object_kv *kv = msgpack_zone_malloc(zone, 8 * sizeof *kv);
    if (!kv)
        return -1;
    bool erased = s_tail_erased(tail);
    /* Once erased the why shows "", whatever else the (unhashed) tail holds. */
    const msgpack_object *why = erased ? NULL : doc_get(tail, "why");
    for (size_t i = 0; i < 8; i++) {
        kv[i].key.type = MSGPACK_OBJECT_STR;
        kv[i].key.via.str.ptr = keys[i];
        kv[i].key.via.str.size = (uint32_t)strlen(keys[i]);
        const msgpack_object *value = i == 4 ? why : i == 7 ? NULL : doc_get(core, keys[i]);
        if (value) {
            kv[i].val = *value;
        } else if (i == 7) {
            kv[i].val.type = MSGPACK_OBJECT_BOOLEAN;
            kv[i].val.via.boolean = erased;
        } else {
            kv[i].val.type = MSGPACK_OBJECT_STR;
            kv[i].val.via.str.ptr = "";
            kv[i].val.via.str.size = 0;
        }
    }
    out->type = MSGPACK_OBJECT_MAP;
    out->via.map.size = 8;
    out->via.map.ptr = kv;
    return 0;
}

/*  The core of a current record, checked: a map with every field. */
static int s_core_decode(const msgpack_object_bin *core, msgpack_zone *zone, msgpack_object *out)
{
    static const char *const texts[] = {"who", "what", "state", NULL};
    proto_error_t err;
    if (wire_decode(core->ptr, core->size, zone, out, &err) || out->type != MSGPACK_OBJECT_MAP)
        return -1;
    return s_texts_present(out, texts) && s_numbers_present(out) && s_bin32(out, "why_digest")
        && s_bin32(out, "prev") ? 0 : -1;
}

/*  A tail is {why, salt} or {erased: true}. */
static bool s_tail_valid(const msgpack_object *tail)
{
    if (s_tail_erased(tail))
        return true;
    const char *why;
    size_t len;
    const msgpack_object *salt = doc_get(tail, "salt");
    return doc_str(tail, "why", &why, &len) && salt && salt->type == MSGPACK_OBJECT_BIN
        && salt->via.bin.size == S_SALT_BYTES;
}

/*  Whether the body is of the form written before the why stood apart. */
static bool s_is_early(const void *body, size_t len)
{
    /* A map (fixmap, map16, map32) where the current form has an array. */
    unsigned char first = len ? *(const unsigned char *)body : 0;
    return (first & 0xf0) == 0x80 || first == 0xde || first == 0xdf;
}

int history_body_decode(const void *body, size_t len, msgpack_zone *zone, msgpack_object *out)
{
    proto_error_t err;
    if (s_is_early(body, len)) {
        static const char *const texts[] = {"who", "what", "why", "state", NULL};
        msgpack_object map;
        if (wire_decode(body, len, zone, &map, &err) || map.type != MSGPACK_OBJECT_MAP
            || !s_texts_present(&map, texts) || !s_numbers_present(&map))
            return -1;
        static const msgpack_object no_tail = {MSGPACK_OBJECT_NIL, {0}};
        msgpack_object tail = no_tail;
        /* The why of an early record is in its one map. */
        msgpack_object_kv *kv = msgpack_zone_malloc(zone, sizeof *kv);
        if (!kv)
            return -1;
        kv->key.type = MSGPACK_OBJECT_STR;
        kv->key.via.str.ptr = "why";
        kv->key.via.str.size = 3;
        kv->val = *doc_get(&map, "why");
        tail.type = MSGPACK_OBJECT_MAP;
        tail.via.map.size = 1;
        tail.via.map.ptr = kv;
        return s_display(&map, &tail, zone, out);
    }
    msgpack_object_bin core;
    msgpack_object tail, fields;
    if (s_split_body(body, len, zone, &core, &tail) || s_core_decode(&core, zone, &fields)
        || !s_tail_valid(&tail))
        return -1;
    return s_display(&fields, &tail, zone, out);
}

/*  Checks the hash of a record and finds its fields: 0 with *fields (the
 *  core, or the early body) and *erased, or -1 with the break recorded. */
static int s_check_hash(history_verifier_t *self, unsigned long long expected, const void *body,
                        size_t body_len, const void *hash, size_t hash_len, msgpack_object *fields,
                        bool *erased)
{
    unsigned char computed[HISTORY_HASH_BYTES];
    msgpack_object_bin core = {(uint32_t)body_len, body};
    msgpack_object tail = {MSGPACK_OBJECT_NIL, {0}};
    bool early = s_is_early(body, body_len);
    *erased = false;
    if (!early && s_split_body(body, body_len, &self->zone, &core, &tail))
        return s_break(self, expected, "record %llu is not a history record", expected);
    crypto_generichash(computed, sizeof computed, (const unsigned char *)core.ptr, core.size, NULL, 0);
    if (hash_len != HISTORY_HASH_BYTES || sodium_memcmp(computed, hash, sizeof computed) != 0)
        return s_break(self, expected, "record %llu was altered: its bytes do not match its hash", expected);
    memcpy(self->prev_candidate, computed, sizeof computed);
    if (early)
        return history_body_decode(body, body_len, &self->zone, fields) == 0
            ? 0 : s_break(self, expected, "record %llu is not a history record", expected);
    if (s_core_decode(&core, &self->zone, fields) || !s_tail_valid(&tail))
        return s_break(self, expected, "record %llu is not a history record", expected);
    *erased = s_tail_erased(&tail);
    if (*erased)
        return 0;
    const char *why;
    size_t why_len;
    doc_str(&tail, "why", &why, &why_len);
    unsigned char digest[HISTORY_HASH_BYTES];
    s_why_digest((const unsigned char *)doc_get(&tail, "salt")->via.bin.ptr, why, why_len, digest);
    if (sodium_memcmp(digest, doc_get(fields, "why_digest")->via.bin.ptr, sizeof digest) != 0)
        return s_break(self, expected, "record %llu was altered: its why does not match its digest", expected);
    return 0;
}

int history_verify_record(history_verifier_t *self, const void *body, size_t body_len,
                          const void *hash, size_t hash_len)
{
    if (self->broken)
        return -1;
    unsigned long long expected = (unsigned long long)self->count + 1;
    msgpack_zone_clear(&self->zone);
    msgpack_object fields;
    bool erased;
    if (s_check_hash(self, expected, body, body_len, hash, hash_len, &fields, &erased))
        return -1;
    uint64_t n = 0;
    doc_uint(&fields, "n", &n);
    if (n != expected)
        return s_break(self, expected,
                       "record %llu is missing: record %llu comes in its place (removed or moved)",
                       expected, (unsigned long long)n);
    const msgpack_object *prev = doc_get(&fields, "prev");
    if (!prev || prev->type != MSGPACK_OBJECT_BIN || prev->via.bin.size != HISTORY_HASH_BYTES
        || memcmp(prev->via.bin.ptr, self->prev, HISTORY_HASH_BYTES) != 0)
        return s_break(self, expected,
                       "record %llu does not follow record %llu: its prev is not that record's hash",
                       expected, expected - 1);
    if (erased && !self->erased_pending)
        self->erased_pending = expected;
    if (doc_str_eq(&fields, "what", HISTORY_WHAT_ERASED))
        self->erased_pending = 0;
    self->count++;
    memcpy(self->prev, self->prev_candidate, HISTORY_HASH_BYTES);
    return 0;
}

int history_verify_stored(history_verifier_t *self, const void *bytes, size_t len)
{
    if (self->broken)
        return -1;
    msgpack_zone_clear(&self->zone);
    msgpack_object_bin body, hash;
    unsigned long long expected = (unsigned long long)self->count + 1;
    if (s_split_stored(bytes, len, &self->zone, &body, &hash))
        return s_break(self, expected, "record %llu is not [body, hash]", expected);
    /* The bins point into `bytes`, not into the zone the next step clears. */
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
    if (self->erased_pending)
        return s_break(self, self->erased_pending,
                       "record %llu has its why erased, but no erasure is recorded after it",
                       (unsigned long long)self->erased_pending);
    const unsigned char *head = have ? self->prev : s_zero;
    if (memcmp(head, expected->head, HISTORY_HASH_BYTES) != 0)
        return s_break(self, have, "record %llu is not the head the application keeps", have);
    return 0;
}
