/*  common/stream_omit.c - see stream_omit.h. */
#include "stream_omit.h"

#include "proto/doc.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

/*  An event has a dozen fields; one with more goes whole. */
#define S_FIELDS_MAX 64

static bool s_is_envelope(const char *name, size_t len)
{
    for (const char *const *k = proto_envelope_keys; *k; k++)
        if (strlen(*k) == len && memcmp(*k, name, len) == 0)
            return true;
    return false;
}

/*  The fields every consumer needs: the envelope and the subject. */
static bool s_is_kept(const char *name, size_t len)
{
    return s_is_envelope(name, len) || (len == 2 && memcmp(name, "id", 2) == 0);
}

static void s_add(stream_omit_t *self, const char *name, size_t len)
{
    self->lens[self->count] = (unsigned char)len;
    memcpy(self->names[self->count], name, len);
    self->count++;
}

void stream_omit_from_names(stream_omit_t *out, const char *const *names)
{
    out->count = 0;
    for (const char *const *n = names; n && *n; n++) {
        assert(out->count < PROTO_OMIT_MAX && strlen(*n) >= 1 && strlen(*n) <= PROTO_OMIT_NAME_MAX);
        assert(!s_is_kept(*n, strlen(*n)));
        s_add(out, *n, strlen(*n));
    }
}

int stream_omit_from_request(stream_omit_t *out, const msgpack_object *pull, proto_error_t *err)
{
    out->count = 0;
    const msgpack_object *omit = doc_get(pull, "omit");
    if (!omit)
        return 0;
    /* The catalogue checked it is an array of 1..PROTO_OMIT_MAX strings. */
    for (uint32_t i = 0; i < omit->via.array.size && i < PROTO_OMIT_MAX; i++) {
        const msgpack_object *name = &omit->via.array.ptr[i];
        if (name->type != MSGPACK_OBJECT_STR)
            return proto_error_set(err, "omit", "type", "omit[%u]: must be the name of a field", i);
        size_t len = name->via.str.size;
        if (len < 1 || len > PROTO_OMIT_NAME_MAX)
            return proto_error_set(err, "omit", "length", "omit[%u]: a field's name has 1 to %d bytes", i,
                                   PROTO_OMIT_NAME_MAX);
        if (s_is_kept(name->via.str.ptr, len))
            return proto_error_set(err, "omit", "kept",
                                   "omit[%u]: '%.*s' is in every event (seq, v, type, at and id cannot be left out)",
                                   i, (int)len, name->via.str.ptr);
        s_add(out, name->via.str.ptr, len);
    }
    return 0;
}

size_t stream_omit_fields(const stream_omit_t *self)
{
    return self && self->count ? 1 : 0;
}

void stream_omit_pack(const stream_omit_t *self, msgpack_packer *pk)
{
    if (!stream_omit_fields(self))
        return;
    proto_pack_str(pk, "omit");
    msgpack_pack_array(pk, self->count);
    for (size_t i = 0; i < self->count; i++) {
        msgpack_pack_str(pk, self->lens[i]);
        msgpack_pack_str_body(pk, self->names[i], self->lens[i]);
    }
}

/* ------------------------------------------------------------ the bytes */

static uint64_t s_be(const uint8_t *p, size_t width)
{
    uint64_t value = 0;
    for (size_t i = 0; i < width; i++)
        value = value << 8 | p[i];
    return value;
}

/*  The header of the object at p: its own bytes (*head, payload included
 *  for scalars, strings, binaries and extensions) and how many objects
 *  follow it as its children (*children).  False when p holds no whole
 *  header (or the byte 0xc1, never used). */
static bool s_header(const uint8_t *p, size_t left, uint64_t *head, uint64_t *children)
{
    static const uint8_t fixed[32] = {/* 0xc0.. */ 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 5, 9, 2, 3, 5, 9,
                                      /* 0xd0.. */ 2, 3, 5, 9, 3, 4, 6, 10, 18, 0, 0, 0, 0, 0, 0, 0};
    if (left < 1)
        return false;
    uint8_t b = p[0];
    *children = 0;
    if (b <= 0x7f || b >= 0xe0)
        *head = 1;
    else if (b <= 0x8f)
        *head = 1, *children = 2 * (uint64_t)(b & 0x0f);
    else if (b <= 0x9f)
        *head = 1, *children = b & 0x0f;
    else if (b <= 0xbf)
        *head = 1 + (uint64_t)(b & 0x1f);
    else if (b == 0xc4 || b == 0xd9)
        *head = left >= 2 ? 2 + s_be(p + 1, 1) : UINT64_MAX;
    else if (b == 0xc5 || b == 0xda)
        *head = left >= 3 ? 3 + s_be(p + 1, 2) : UINT64_MAX;
    else if (b == 0xc6 || b == 0xdb)
        *head = left >= 5 ? 5 + s_be(p + 1, 4) : UINT64_MAX;
    else if (b == 0xc7)
        *head = left >= 2 ? 3 + s_be(p + 1, 1) : UINT64_MAX;
    else if (b == 0xc8)
        *head = left >= 3 ? 4 + s_be(p + 1, 2) : UINT64_MAX;
    else if (b == 0xc9)
        *head = left >= 5 ? 6 + s_be(p + 1, 4) : UINT64_MAX;
    else if (b == 0xdc || b == 0xde)
        *head = 3, *children = left >= 3 ? s_be(p + 1, 2) * (b == 0xde ? 2 : 1) : UINT64_MAX;
    else if (b == 0xdd || b == 0xdf)
        *head = 5, *children = left >= 5 ? s_be(p + 1, 4) * (b == 0xdf ? 2 : 1) : UINT64_MAX;
    else
        *head = fixed[b - 0xc0] ? fixed[b - 0xc0] : UINT64_MAX;
    return *head <= left && *children <= left - *head;
}

/*  The size in bytes of the whole object at p (its children included),
 *  without recursion; 0 when it does not fit in `left` bytes. */
static size_t s_object_size(const uint8_t *p, size_t left)
{
    size_t at = 0;
    uint64_t pending = 1;
    while (pending) {
        uint64_t head, children;
        if (!s_header(p + at, left - at, &head, &children))
            return 0;
        at += head;
        pending += children - 1;
        /* Every object takes at least a byte. */
        if (pending > left - at)
            return 0;
    }
    return at;
}

/*  The string key at p: its text and its whole size; false when not a str. */
static bool s_key(const uint8_t *p, size_t left, const char **name, size_t *name_len, size_t *size)
{
    uint64_t head, children;
    if (!s_header(p, left, &head, &children) || !((p[0] >= 0xa0 && p[0] <= 0xbf) || (p[0] >= 0xd9 && p[0] <= 0xdb)))
        return false;
    size_t prefix = p[0] <= 0xbf ? 1 : p[0] == 0xd9 ? 2 : p[0] == 0xda ? 3 : 5;
    *name = (const char *)p + prefix;
    *name_len = (size_t)head - prefix;
    *size = (size_t)head;
    return true;
}

/*  The header of a stored event that is a map: its field count, and
 *  where its first field starts.  False when it is not a map. */
static bool s_map(const uint8_t *p, size_t len, size_t *fields, size_t *at)
{
    uint64_t head, children;
    if (!s_header(p, len, &head, &children) || !((p[0] >= 0x80 && p[0] <= 0x8f) || p[0] == 0xde || p[0] == 0xdf))
        return false;
    *fields = (size_t)(children / 2);
    *at = (size_t)head;
    return true;
}

/*  The field at offset `at`: its name, the size of its key and the size
 *  of key and value together.  False when its key is not a string or it
 *  does not fit. */
static bool s_field(const uint8_t *p, size_t len, size_t at, const char **name, size_t *name_len,
                    size_t *key_size, size_t *size)
{
    if (!s_key(p + at, len - at, name, name_len, key_size))
        return false;
    size_t value_size = s_object_size(p + at + *key_size, len - at - *key_size);
    *size = *key_size + value_size;
    return value_size != 0;
}

static bool s_omitted(const stream_omit_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->lens[i] == len && memcmp(self->names[i], name, len) == 0)
            return true;
    return false;
}

/*  The spans of the fields that stay; their count, or -1 when the event
 *  is not a map of string keys. */
static int s_kept_spans(const stream_omit_t *self, const uint8_t *p, size_t len, size_t spans[S_FIELDS_MAX][2],
                        size_t *fields)
{
    size_t at;
    if (!s_map(p, len, fields, &at) || *fields > S_FIELDS_MAX)
        return -1;
    int kept = 0;
    for (size_t i = 0; i < *fields; i++) {
        const char *name;
        size_t name_len, key_size, size;
        if (!s_field(p, len, at, &name, &name_len, &key_size, &size))
            return -1;
        if (!s_omitted(self, name, name_len)) {
            spans[kept][0] = at;
            spans[kept][1] = size;
            kept++;
        }
        at += size;
    }
    return at == len ? kept : -1;
}

void stream_omit_pack_event(const stream_omit_t *self, const void *event, size_t len, msgpack_packer *pk)
{
    size_t spans[S_FIELDS_MAX][2], fields = 0;
    int kept = self && self->count ? s_kept_spans(self, event, len, spans, &fields) : -1;
    if (kept < 0 || (size_t)kept == fields) {
        proto_pack_raw(pk, event, len);
        return;
    }
    msgpack_pack_map(pk, (size_t)kept);
    for (int i = 0; i < kept; i++)
        proto_pack_raw(pk, (const uint8_t *)event + spans[i][0], spans[i][1]);
}

bool stream_omit_field(const void *event, size_t len, const char *name, const void **value, size_t *value_len)
{
    const uint8_t *p = event;
    size_t fields, at, want = strlen(name);
    if (!s_map(p, len, &fields, &at))
        return false;
    for (size_t i = 0; i < fields; i++) {
        const char *key;
        size_t key_len, key_size, size;
        if (!s_field(p, len, at, &key, &key_len, &key_size, &size))
            return false;
        if (key_len == want && memcmp(key, name, want) == 0) {
            *value = p + at + key_size;
            *value_len = size - key_size;
            return true;
        }
        at += size;
    }
    return false;
}

bool stream_omit_last_field(const void *event, size_t len, size_t *at, size_t *fields, size_t *header)
{
    const uint8_t *p = event;
    size_t count, offset;
    if (!s_map(p, len, &count, &offset) || count < 1)
        return false;
    size_t first = offset, last = offset;
    const char *name = NULL;
    size_t name_len = 0;
    for (size_t i = 0; i < count; i++) {
        size_t key_size, size;
        last = offset;
        if (!s_field(p, len, offset, &name, &name_len, &key_size, &size))
            return false;
        offset += size;
    }
    if (offset != len || s_is_kept(name, name_len))
        return false;
    *at = last;
    *fields = count;
    *header = first;
    return true;
}

int stream_omit_body(const void *event, size_t len, size_t spans[][2], size_t max)
{
    const uint8_t *p = event;
    size_t fields, at;
    if (!s_map(p, len, &fields, &at))
        return -1;
    size_t kept = 0;
    for (size_t i = 0; i < fields; i++) {
        const char *name;
        size_t name_len, key_size, size;
        if (!s_field(p, len, at, &name, &name_len, &key_size, &size))
            return -1;
        if (!s_is_envelope(name, name_len)) {
            if (kept == max)
                return -1;
            spans[kept][0] = at;
            spans[kept][1] = size;
            kept++;
        }
        at += size;
    }
    return at == len ? (int)kept : -1;
}

bool stream_omit_walk_begin(stream_omit_walk_t *self, const void *map, size_t len, const char *name)
{
    const void *value;
    size_t value_len;
    uint64_t head, children;
    if (!stream_omit_field(map, len, name, &value, &value_len)
        || !s_header(value, value_len, &head, &children))
        return false;
    uint8_t b = *(const uint8_t *)value;
    if (!((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd))
        return false;
    *self = (stream_omit_walk_t){.p = value, .len = value_len, .at = (size_t)head, .left = (size_t)children};
    return true;
}

bool stream_omit_walk_next(stream_omit_walk_t *self, const void **element, size_t *element_len)
{
    if (self->left == 0 || self->at >= self->len)
        return false;
    size_t size = s_object_size(self->p + self->at, self->len - self->at);
    if (size == 0)
        return false;
    *element = self->p + self->at;
    *element_len = size;
    self->at += size;
    self->left--;
    return true;
}

bool stream_omit_last_value(const void *map, size_t len, const char *name, const void **value, size_t *value_len)
{
    const uint8_t *p = map;
    size_t fields, at;
    if (!s_map(p, len, &fields, &at) || fields < 1)
        return false;
    for (size_t i = 0; i + 1 < fields; i++) {
        const char *key;
        size_t key_len, key_size, size;
        if (!s_field(p, len, at, &key, &key_len, &key_size, &size))
            return false;
        at += size;
    }
    const char *key;
    size_t key_len, key_size;
    if (!s_key(p + at, len - at, &key, &key_len, &key_size) || key_len != strlen(name)
        || memcmp(key, name, key_len) != 0 || at + key_size >= len)
        return false;
    *value = p + at + key_size;
    *value_len = len - at - key_size;
    return true;
}
