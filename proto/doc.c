/*  proto/doc.c - see doc.h. */
#include "doc.h"
#include "error.h"

#include <string.h>

static bool s_key_is(const msgpack_object *key, const char *name, size_t name_len)
{
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == name_len
        && memcmp(key->via.str.ptr, name, name_len) == 0;
}

static const msgpack_object *s_get_n(const msgpack_object *map, const char *key, size_t key_len)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (s_key_is(&kv->key, key, key_len))
            return &kv->val;
    }
    return NULL;
}

const msgpack_object *doc_get(const msgpack_object *map, const char *key)
{
    return s_get_n(map, key, strlen(key));
}

const msgpack_object *doc_path(const msgpack_object *root, const char *path)
{
    const msgpack_object *node = root;
    while (node && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        node = s_get_n(node, path, len);
        path += len + (dot != NULL);
    }
    return node;
}

bool doc_str(const msgpack_object *map, const char *key, const char **text, size_t *len)
{
    const msgpack_object *value = doc_get(map, key);
    if (!value || value->type != MSGPACK_OBJECT_STR)
        return false;
    if (text)
        *text = value->via.str.ptr;
    if (len)
        *len = value->via.str.size;
    return true;
}

int doc_strcpy(const msgpack_object *map, const char *key, char *buf, size_t cap)
{
    const char *text;
    size_t len;
    if (!doc_str(map, key, &text, &len))
        return -1;
    if (cap > 0) {
        /* A cut ends at the last whole character: never invalid UTF-8. */
        size_t copy = proto_utf8_prefix(text, len, cap - 1);
        memcpy(buf, text, copy);
        buf[copy] = '\0';
    }
    return len > 0x7fffffff ? 0x7fffffff : (int)len;
}

bool doc_is(const msgpack_object *obj, const char *expected)
{
    size_t len = strlen(expected);
    return obj && obj->type == MSGPACK_OBJECT_STR && obj->via.str.size == len
        && memcmp(obj->via.str.ptr, expected, len) == 0;
}

bool doc_str_eq(const msgpack_object *map, const char *key, const char *expected)
{
    return doc_is(doc_get(map, key), expected);
}

bool doc_bool(const msgpack_object *map, const char *key, bool fallback)
{
    const msgpack_object *value = doc_get(map, key);
    if (!value || value->type != MSGPACK_OBJECT_BOOLEAN)
        return fallback;
    return value->via.boolean;
}

bool doc_int(const msgpack_object *map, const char *key, int64_t *out)
{
    const msgpack_object *value = doc_get(map, key);
    if (!value)
        return false;
    if (value->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = value->via.i64;
        return true;
    }
    if (value->type == MSGPACK_OBJECT_POSITIVE_INTEGER && value->via.u64 <= INT64_MAX) {
        *out = (int64_t)value->via.u64;
        return true;
    }
    return false;
}

bool doc_uint(const msgpack_object *map, const char *key, uint64_t *out)
{
    const msgpack_object *value = doc_get(map, key);
    if (!value || value->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *out = value->via.u64;
    return true;
}

const msgpack_object *doc_array(const msgpack_object *map, const char *key)
{
    const msgpack_object *value = doc_get(map, key);
    return value && value->type == MSGPACK_OBJECT_ARRAY ? value : NULL;
}

const msgpack_object *doc_map(const msgpack_object *map, const char *key)
{
    const msgpack_object *value = doc_get(map, key);
    return value && value->type == MSGPACK_OBJECT_MAP ? value : NULL;
}

size_t doc_len(const msgpack_object *array)
{
    return array && array->type == MSGPACK_OBJECT_ARRAY ? array->via.array.size : 0;
}

const msgpack_object *doc_at(const msgpack_object *array, size_t i)
{
    return &array->via.array.ptr[i];
}

bool doc_array_has(const msgpack_object *map, const char *key, const char *value)
{
    const msgpack_object *array = doc_array(map, key);
    for (size_t i = 0; i < doc_len(array); i++)
        if (doc_is(doc_at(array, i), value))
            return true;
    return false;
}

static bool s_skipped(const msgpack_object *key, const char *const *skip)
{
    for (; skip && *skip; skip++)
        if (doc_is(key, *skip))
            return true;
    return false;
}

size_t doc_count_except(const msgpack_object *map, const char *const *skip)
{
    size_t kept = 0;
    uint32_t size = map && map->type == MSGPACK_OBJECT_MAP ? map->via.map.size : 0;
    for (uint32_t i = 0; i < size; i++)
        kept += !s_skipped(&map->via.map.ptr[i].key, skip);
    return kept;
}

void doc_pack_pairs_except(msgpack_packer *pk, const msgpack_object *map, const char *const *skip)
{
    uint32_t size = map && map->type == MSGPACK_OBJECT_MAP ? map->via.map.size : 0;
    for (uint32_t i = 0; i < size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (s_skipped(&kv->key, skip))
            continue;
        msgpack_pack_object(pk, kv->key);
        msgpack_pack_object(pk, kv->val);
    }
}

void doc_pack_map_except(msgpack_packer *pk, const msgpack_object *map, const char *const *skip,
                         size_t extra)
{
    msgpack_pack_map(pk, doc_count_except(map, skip) + extra);
    doc_pack_pairs_except(pk, map, skip);
}
