/*  proto/json_codec.c - see json_codec.h. */
#include "json_codec.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/path.h"
#include "wire.h"

typedef struct {
    msgpack_packer pk;
    proto_path_t path;      /* path of the value being written */
    proto_error_t *err;
} json_codec_writer_t;

/*  jansson echoes the input near an error: keep the message ASCII so the
 *  error stays valid UTF-8 whatever the input was. */
static void s_ascii_only(char *text)
{
    for (; *text; text++)
        if ((unsigned char) *text >= 0x80 || (unsigned char) *text < 0x20)
            *text = '?';
}

static const char *s_rule_of(const json_error_t *jerr)
{
    switch (json_error_code(jerr)) {
    case json_error_invalid_utf8:     return "utf8";
    case json_error_duplicate_key:    return "duplicate_key";
    case json_error_numeric_overflow: return "range";
    case json_error_stack_overflow:   return "depth";
    case json_error_out_of_memory:    return "nomem";
    case json_error_invalid_syntax:
        return strncmp(jerr->text, "invalid Unicode", 15) == 0 ? "utf8" : "json_syntax";
    default:                          return "json_syntax";
    }
}

static int s_write(json_codec_writer_t *self, json_t *value, int depth);

static int s_write_object(json_codec_writer_t *self, json_t *value, int depth)
{
    if (msgpack_pack_map(&self->pk, json_object_size(value)))
        return -1;
    const char *key;
    size_t key_len;
    json_t *member;
    json_object_keylen_foreach(value, key, key_len, member) {
        size_t mark = proto_path_push_key(&self->path, key, key_len);
        if (msgpack_pack_str_with_body(&self->pk, key, key_len) || s_write(self, member, depth + 1))
            return -1;
        proto_path_pop(&self->path, mark);
    }
    return 0;
}

static int s_write_array(json_codec_writer_t *self, json_t *value, int depth)
{
    if (msgpack_pack_array(&self->pk, json_array_size(value)))
        return -1;
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item) {
        size_t mark = proto_path_push_index(&self->path, i);
        if (s_write(self, item, depth + 1))
            return -1;
        proto_path_pop(&self->path, mark);
    }
    return 0;
}

/*  Packs one value; -1 with err set for depth, -1 with err untouched when
 *  the buffer could not grow (the caller reports nomem). */
static int s_write(json_codec_writer_t *self, json_t *value, int depth)
{
    bool container = json_is_object(value) || json_is_array(value);
    if (container && depth >= WIRE_DOCUMENT_DEPTH_MAX)
        return proto_error_set(self->err, self->path.text, "depth",
                               "arrays and objects nested deeper than %d", WIRE_DOCUMENT_DEPTH_MAX);
    switch (json_typeof(value)) {
    case JSON_OBJECT:  return s_write_object(self, value, depth);
    case JSON_ARRAY:   return s_write_array(self, value, depth);
    case JSON_STRING:  return msgpack_pack_str_with_body(&self->pk, json_string_value(value), json_string_length(value));
    case JSON_INTEGER: return msgpack_pack_int64(&self->pk, json_integer_value(value));
    case JSON_REAL:    return msgpack_pack_double(&self->pk, json_real_value(value));
    case JSON_TRUE:    return msgpack_pack_true(&self->pk);
    case JSON_FALSE:   return msgpack_pack_false(&self->pk);
    default:           return msgpack_pack_nil(&self->pk);
    }
}

int json_codec_to_msgpack(const char *text, size_t len, msgpack_sbuffer *out, proto_error_t *err)
{
    assert(out && (text || len == 0));
    const char *nul = len ? memchr(text, 0, len) : NULL;
    if (nul)
        return proto_error_set(err, "", "json_syntax",
                               "NUL byte at offset %zu (inside a string, write \\u0000)", (size_t) (nul - text));
    json_error_t jerr;
    json_t *root = json_loadb(text ? text : "", len,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        s_ascii_only(jerr.text);
        return proto_error_set(err, "", s_rule_of(&jerr), "line %d column %d: %s",
                               jerr.line, jerr.column, jerr.text);
    }
    int rc = json_codec_value_to_msgpack(root, out, err);
    json_decref(root);
    return rc;
}

int json_codec_value_to_msgpack(json_t *root, msgpack_sbuffer *out, proto_error_t *err)
{
    size_t start = out->size;
    json_codec_writer_t writer = { .err = err };
    msgpack_packer_init(&writer.pk, out, msgpack_sbuffer_write);
    proto_error_clear(err);
    int rc = s_write(&writer, root, 0);
    if (rc && (!err || !err->rule[0]))
        proto_error_set(err, "", "nomem", "out of memory while encoding");
    if (rc == 0)
        rc = wire_prescan(out->data + start, out->size - start, err);
    if (rc)
        out->size = start;
    return rc;
}

static json_t *s_from(const msgpack_object *obj, int depth);

/*  msgpack-c leaves ptr NULL for an empty str or bin; jansson and the mem*
 *  functions want a real pointer even for zero bytes. */
static const char *s_bytes(const char *ptr)
{
    return ptr ? ptr : "";
}

static json_t *s_from_map(const msgpack_object_map *map, int depth)
{
    json_t *object = json_object();
    for (uint32_t i = 0; object && i < map->size; i++) {
        const msgpack_object *key = &map->ptr[i].key;
        const char *name = s_bytes(key->via.str.ptr);
        if (key->type != MSGPACK_OBJECT_STR || memchr(name, 0, key->via.str.size)
            || json_object_getn(object, name, key->via.str.size)
            || json_object_setn_new(object, name, key->via.str.size, s_from(&map->ptr[i].val, depth + 1)) != 0) {
            json_decref(object);
            object = NULL;
        }
    }
    return object;
}

static json_t *s_from_array(const msgpack_object_array *array, int depth)
{
    json_t *list = json_array();
    for (uint32_t i = 0; list && i < array->size; i++) {
        if (json_array_append_new(list, s_from(&array->ptr[i], depth + 1)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

/*  RFC 4648 base64 with padding. */
static json_t *s_base64(const unsigned char *data, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t out_len = (len + 2) / 3 * 4;
    char *text = malloc(out_len + 1);
    if (!text)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t chunk = (uint32_t) data[i] << 16;
        if (i + 1 < len)
            chunk |= (uint32_t) data[i + 1] << 8;
        if (i + 2 < len)
            chunk |= data[i + 2];
        text[o++] = alphabet[(chunk >> 18) & 63];
        text[o++] = alphabet[(chunk >> 12) & 63];
        text[o++] = i + 1 < len ? alphabet[(chunk >> 6) & 63] : '=';
        text[o++] = i + 2 < len ? alphabet[chunk & 63] : '=';
    }
    json_t *string = json_stringn_nocheck(text, out_len);
    free(text);
    return string;
}

/*  NULL for any value JSON cannot carry (see json_codec.h). */
static json_t *s_from(const msgpack_object *obj, int depth)
{
    bool container = obj->type == MSGPACK_OBJECT_MAP || obj->type == MSGPACK_OBJECT_ARRAY;
    if (container && depth >= WIRE_DOCUMENT_DEPTH_MAX)
        return NULL;
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:              return json_null();
    case MSGPACK_OBJECT_BOOLEAN:          return json_boolean(obj->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return obj->via.u64 <= INT64_MAX ? json_integer((json_int_t) obj->via.u64) : NULL;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer((json_int_t) obj->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:          return json_real(obj->via.f64);   /* NULL if not finite */
    case MSGPACK_OBJECT_STR:              return json_stringn(s_bytes(obj->via.str.ptr), obj->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return s_base64((const unsigned char *) s_bytes(obj->via.bin.ptr), obj->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:            return s_from_array(&obj->via.array, depth);
    case MSGPACK_OBJECT_MAP:              return s_from_map(&obj->via.map, depth);
    default:                              return NULL;
    }
}

json_t *json_codec_from_object(const msgpack_object *obj)
{
    assert(obj);
    return s_from(obj, 0);
}

char *json_codec_dump(const msgpack_object *obj, bool pretty)
{
    json_t *value = json_codec_from_object(obj);
    if (!value)
        return NULL;
    size_t flags = JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
    size_t size = json_dumpb(value, NULL, 0, flags);
    char *text = size ? malloc(size + 1) : NULL;
    if (text && json_dumpb(value, text, size, flags) == size)
        text[size] = 0;
    else {
        free(text);
        text = NULL;
    }
    json_decref(value);
    return text;
}
