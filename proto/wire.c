/*  proto/wire.c - see wire.h.
 *
 *  The prescan is a recursive descent over the raw bytes (recursion is
 *  bounded by WIRE_DEPTH_MAX).  It never allocates in proportion to a
 *  declared count: the only memory it takes is a stack of key spans for the
 *  maps being walked, which grows with the keys actually read.
 */
#include "wire.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/path.h"

typedef struct {
    const uint8_t *ptr;
    uint32_t len;
    uint32_t order;         /* position in its map, to report the second copy */
} wire_key_t;

typedef struct {
    const uint8_t *key;     /* NULL: an array element */
    uint32_t len;
    uint32_t index;
} wire_frame_t;

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    size_t nodes;
    size_t max_nodes;       /* WIRE_NODES_MAX, or the caller's bound */
    bool stored;            /* wire_decode_stored: the structure only */
    wire_key_t *keys;       /* keys of every map being walked, innermost last */
    size_t nkeys;
    size_t keys_cap;
    /* Where the scan is: one frame per level, a map key or an array index.
     * The path text is built from them only when something is refused, so
     * the success path costs one assignment per element. */
    wire_frame_t frames[WIRE_DEPTH_MAX + 2];
    size_t nframes;
    proto_error_t *err;
} wire_scan_t;

static int s_fail(wire_scan_t *self, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail(wire_scan_t *self, const char *rule, const char *fmt, ...)
{
    if (!self->err)
        return -1;
    proto_path_t path;
    proto_path_clear(&path);
    for (size_t i = 0; i < self->nframes; i++) {
        const wire_frame_t *frame = &self->frames[i];
        if (frame->key)
            proto_path_push_key(&path, (const char *) frame->key, frame->len);
        else
            proto_path_push_index(&path, frame->index);
    }
    char message[PROTO_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    /* proto_error_set cuts the path and the message on a character boundary. */
    return proto_error_set(self->err, path.text, rule, "%s", message);
}

/*  Offset of the first invalid byte of a UTF-8 text, or len when valid.
 *  Follows RFC 3629 table 3-7: no overlong form, no surrogate, nothing
 *  above U+10FFFF. */
static size_t s_utf8_check(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* Most text is ASCII: eight bytes at a time while no high bit is
         * set (memcpy: no alignment assumed). */
        if (len - i >= 8) {
            uint64_t word;
            memcpy(&word, p + i, 8);
            if ((word & 0x8080808080808080u) == 0) {
                i += 8;
                continue;
            }
            while (p[i] < 0x80)     /* stops within the word: it has a high bit */
                i++;
        }
        uint8_t c = p[i];
        size_t extra;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        else if (c >= 0xC2 && c <= 0xDF)
            extra = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0)
                lo = 0xA0;          /* overlong below U+0800 */
            else if (c == 0xED)
                hi = 0x9F;          /* surrogates U+D800..DFFF */
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0)
                lo = 0x90;          /* overlong below U+10000 */
            else if (c == 0xF4)
                hi = 0x8F;          /* above U+10FFFF */
        }
        else
            return i;
        if (len - i <= extra)
            return i;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= extra; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
        i += extra + 1;
    }
    return len;
}

static size_t s_left(const wire_scan_t *self)
{
    return self->size - self->pos;
}

/*  Reads a big-endian unsigned of `width` bytes; the caller checked room. */
static uint64_t s_read_be(wire_scan_t *self, size_t width)
{
    uint64_t value = 0;
    for (size_t i = 0; i < width; i++)
        value = (value << 8) | self->data[self->pos + i];
    self->pos += width;
    return value;
}

static int s_skip(wire_scan_t *self, size_t width, const char *what)
{
    if (s_left(self) < width)
        return s_fail(self, "truncated", "%s needs %zu bytes, %zu left", what, width, s_left(self));
    self->pos += width;
    return 0;
}

/*  Reads the length field of a str/bin/array/map header. */
static int s_read_count(wire_scan_t *self, size_t width, const char *what, uint64_t *count)
{
    if (s_left(self) < width)
        return s_fail(self, "truncated", "%s header needs %zu bytes, %zu left", what, width, s_left(self));
    *count = s_read_be(self, width);
    return 0;
}

/*  The body of a str of `len` bytes: present and valid UTF-8. */
static int s_scan_str_body(wire_scan_t *self, uint64_t len, const uint8_t **body)
{
    if (len > s_left(self))
        return s_fail(self, "truncated", "string of %llu bytes declared with %zu bytes left",
                      (unsigned long long) len, s_left(self));
    const uint8_t *p = self->data + self->pos;
    size_t bad = self->stored ? (size_t) len : s_utf8_check(p, (size_t) len);
    if (bad < len)
        return s_fail(self, "utf8", "invalid UTF-8 at byte %zu of a string (0x%02x)", bad, p[bad]);
    self->pos += (size_t) len;
    if (body)
        *body = p;
    return 0;
}

/*  When byte b starts a str, its length; false for any other type. */
static bool s_str_header(wire_scan_t *self, uint8_t b, uint64_t *len, int *rc)
{
    *rc = 0;
    if (b >= 0xA0 && b <= 0xBF) {
        *len = b & 0x1F;
        return true;
    }
    if (b >= 0xD9 && b <= 0xDB) {
        *rc = s_read_count(self, (size_t) 1 << (b - 0xD9), "str", len);
        return true;
    }
    return false;
}

static int s_count_nodes(wire_scan_t *self, uint64_t more)
{
    if (more > self->max_nodes - self->nodes)
        return s_fail(self, "too_many_nodes", "more than %zu objects in one message", self->max_nodes);
    self->nodes += (size_t) more;
    return 0;
}

static int s_scan_object(wire_scan_t *self, int depth);

static int s_scan_array(wire_scan_t *self, uint64_t count, int depth)
{
    if (depth >= WIRE_DEPTH_MAX)
        return s_fail(self, "depth", "arrays and maps nested deeper than %d", WIRE_DEPTH_MAX);
    if (count > s_left(self))
        return s_fail(self, "truncated", "array of %llu elements declared with %zu bytes left",
                      (unsigned long long) count, s_left(self));
    if (count > self->max_nodes - self->nodes)
        return s_fail(self, "too_many_nodes", "array of %llu elements: more than %zu objects in one message",
                      (unsigned long long) count, self->max_nodes);
    size_t frame = self->nframes++;
    for (uint32_t i = 0; i < count; i++) {
        self->frames[frame] = (wire_frame_t) { NULL, 0, i };
        if (s_scan_object(self, depth + 1))
            return -1;
    }
    self->nframes = frame;
    return 0;
}

static int s_key_push(wire_scan_t *self, const uint8_t *ptr, uint32_t len, uint32_t order)
{
    if (self->nkeys == self->keys_cap) {
        size_t cap = self->keys_cap ? self->keys_cap * 2 : 64;
        wire_key_t *keys = realloc(self->keys, cap * sizeof *keys);
        if (!keys)
            return s_fail(self, "nomem", "out of memory while checking map keys");
        self->keys = keys;
        self->keys_cap = cap;
    }
    self->keys[self->nkeys++] = (wire_key_t) { ptr, len, order };
    return 0;
}

static int s_key_cmp(const void *a, const void *b)
{
    const wire_key_t *x = a, *y = b;
    size_t common = x->len < y->len ? x->len : y->len;
    int diff = memcmp(x->ptr, y->ptr, common);
    if (diff)
        return diff;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/*  Sorts the keys of the map just walked (from `base` on) and reports the
 *  earliest second occurrence of a key. */
static int s_check_duplicates(wire_scan_t *self, size_t base)
{
    size_t count = self->nkeys - base;
    if (count < 2)
        return 0;                   /* before self->keys + base: NULL + 0 is undefined */
    wire_key_t *keys = self->keys + base;
    const wire_key_t *dup = NULL;
    if (count <= 16) {
        /* Small maps, nearly all of them: comparing pairs beats sorting. */
        for (size_t j = 1; j < count && !dup; j++)
            for (size_t i = 0; i < j && !dup; i++)
                if (keys[i].len == keys[j].len && memcmp(keys[i].ptr, keys[j].ptr, keys[j].len) == 0)
                    dup = &keys[j];
    } else {
        qsort(keys, count, sizeof *keys, s_key_cmp);
        for (size_t i = 1; i < count; i++) {
            if (keys[i].len == keys[i - 1].len && memcmp(keys[i].ptr, keys[i - 1].ptr, keys[i].len) == 0
                && (!dup || keys[i].order < dup->order))
                dup = &keys[i];
        }
    }
    if (!dup)
        return 0;
    self->frames[self->nframes++] = (wire_frame_t) { dup->ptr, dup->len, 0 };
    return s_fail(self, "duplicate_key", "key appears twice in the same map");
}

/*  One key: a str (counted as a node), pushed on the key stack. */
static int s_scan_key(wire_scan_t *self, uint32_t order)
{
    if (s_count_nodes(self, 1))
        return -1;
    if (s_left(self) < 1)
        return s_fail(self, "truncated", "map key missing");
    uint8_t b = self->data[self->pos++];
    uint64_t len = 0;
    int rc;
    if (!s_str_header(self, b, &len, &rc))
        return s_fail(self, "key_type", "map key %u is not a string (type byte 0x%02x)", (unsigned) order, b);
    const uint8_t *body;
    if (rc || s_scan_str_body(self, len, &body))
        return -1;
    return self->stored ? 0 : s_key_push(self, body, (uint32_t) len, order);
}

static int s_scan_map(wire_scan_t *self, uint64_t count, int depth)
{
    if (depth >= WIRE_DEPTH_MAX)
        return s_fail(self, "depth", "arrays and maps nested deeper than %d", WIRE_DEPTH_MAX);
    if (count > s_left(self) / 2)
        return s_fail(self, "truncated", "map of %llu pairs declared with %zu bytes left",
                      (unsigned long long) count, s_left(self));
    if (count > (self->max_nodes - self->nodes) / 2)
        return s_fail(self, "too_many_nodes", "map of %llu pairs: more than %zu objects in one message",
                      (unsigned long long) count, self->max_nodes);
    size_t base = self->nkeys;
    size_t frame = self->nframes;
    for (uint32_t i = 0; i < count; i++) {
        self->nframes = frame;   /* a bad key is reported at the map's path */
        if (s_scan_key(self, i))
            return -1;
        if (!self->stored) {
            const wire_key_t *key = &self->keys[self->nkeys - 1];
            self->frames[frame] = (wire_frame_t) { key->ptr, key->len, 0 };
            self->nframes = frame + 1;
        }
        if (s_scan_object(self, depth + 1))
            return -1;
    }
    self->nframes = frame;
    int rc = s_check_duplicates(self, base);
    self->nkeys = base;
    return rc;
}

/*  Containers and variable-length types, by their header byte. */
static int s_scan_sized(wire_scan_t *self, uint8_t b, int depth)
{
    uint64_t count = 0;
    if (b >= 0x80 && b <= 0x8F)
        return s_scan_map(self, b & 0x0F, depth);
    if (b >= 0x90 && b <= 0x9F)
        return s_scan_array(self, b & 0x0F, depth);
    if (b == 0xDC || b == 0xDD)
        return s_read_count(self, b == 0xDC ? 2 : 4, "array", &count) ? -1
             : s_scan_array(self, count, depth);
    if (b == 0xDE || b == 0xDF)
        return s_read_count(self, b == 0xDE ? 2 : 4, "map", &count) ? -1
             : s_scan_map(self, count, depth);
    if (b >= 0xC4 && b <= 0xC6) {
        if (s_read_count(self, (size_t) 1 << (b - 0xC4), "bin", &count))
            return -1;
        if (count > s_left(self))
            return s_fail(self, "truncated", "bin of %llu bytes declared with %zu bytes left",
                          (unsigned long long) count, s_left(self));
        self->pos += (size_t) count;
        return 0;
    }
    int rc;
    if (s_str_header(self, b, &count, &rc))
        return rc ? -1 : s_scan_str_body(self, count, NULL);
    return s_fail(self, "malformed", "unexpected type byte 0x%02x", b);
}

static int s_scan_object(wire_scan_t *self, int depth)
{
    if (s_count_nodes(self, 1))
        return -1;
    if (s_left(self) < 1)
        return s_fail(self, "truncated", "object missing at byte %zu", self->pos);
    uint8_t b = self->data[self->pos++];
    if (b <= 0x7F || b >= 0xE0 || b == 0xC0 || b == 0xC2 || b == 0xC3)
        return 0;                                   /* fixint, nil, bool */
    if (b == 0xC1)
        return s_fail(self, "malformed", "byte 0xc1 is never used in MessagePack");
    if ((b >= 0xC7 && b <= 0xC9) || (b >= 0xD4 && b <= 0xD8))
        return s_fail(self, "ext", "ext types are not accepted (type byte 0x%02x)", b);
    if (b == 0xCA || b == 0xCB)
        return s_skip(self, b == 0xCA ? 4 : 8, "float");
    if (b >= 0xCC && b <= 0xCF)
        return s_skip(self, (size_t) 1 << (b - 0xCC), "uint");
    if (b >= 0xD0 && b <= 0xD3)
        return s_skip(self, (size_t) 1 << (b - 0xD0), "int");
    return s_scan_sized(self, b, depth);
}

static int s_prescan(const void *data, size_t size, size_t max_nodes, bool stored, proto_error_t *err)
{
    assert(data || size == 0);
    wire_scan_t scan = { .data = data, .size = size, .max_nodes = max_nodes, .stored = stored, .err = err };
    int rc = s_scan_object(&scan, 0);
    if (rc == 0 && scan.pos != size)
        rc = s_fail(&scan, "trailing_bytes", "%zu bytes after the end of the message", size - scan.pos);
    free(scan.keys);
    if (rc == 0)
        proto_error_clear(err);
    return rc;
}

int wire_prescan(const void *data, size_t size, proto_error_t *err)
{
    return s_prescan(data, size, WIRE_NODES_MAX, false, err);
}

static int s_decode(const void *data, size_t size, size_t max_nodes, bool stored, msgpack_zone *zone,
                    msgpack_object *out, proto_error_t *err)
{
    assert(zone && out);
    if (s_prescan(data, size, max_nodes, stored, err))
        return -1;
    size_t offset = 0;
    msgpack_object obj;
    msgpack_unpack_return rc = msgpack_unpack(data, size, &offset, zone, &obj);
    if (rc == MSGPACK_UNPACK_NOMEM_ERROR)
        return proto_error_set(err, "", "nomem", "out of memory while decoding the message");
    if (rc != MSGPACK_UNPACK_SUCCESS || offset != size)
        return proto_error_set(err, "", "malformed", "the message could not be decoded (%d)", (int) rc);
    *out = obj;
    return 0;
}

int wire_decode(const void *data, size_t size, msgpack_zone *zone,
                msgpack_object *out, proto_error_t *err)
{
    return s_decode(data, size, WIRE_NODES_MAX, false, zone, out, err);
}

int wire_decode_reply(const void *data, size_t size, msgpack_zone *zone,
                      msgpack_object *out, proto_error_t *err)
{
    return s_decode(data, size, WIRE_REPLY_NODES_MAX, false, zone, out, err);
}

int wire_decode_stored(const void *data, size_t size, msgpack_zone *zone,
                       msgpack_object *out, proto_error_t *err)
{
    return s_decode(data, size, WIRE_REPLY_NODES_MAX, true, zone, out, err);
}
