/* Fuzz target: the msgpack -> JSON direction of proto/json_codec.h, on any
 * message the wire accepts (what a service, or the gateway, turns into
 * JSON for a client).  Aborts when an invariant breaks:
 *   - json_codec_dump renders exactly the objects JSON can carry: it
 *     refuses only a map key holding a NUL byte, an unsigned integer above
 *     INT64_MAX and a NaN or infinite float (the wire refuses the rest of
 *     json_codec.h's list: non-str keys, duplicate keys, bad UTF-8, ext,
 *     depth);
 *   - the JSON it renders comes back through json_codec_to_msgpack to the
 *     same structure: same types (a float32 comes back a float64 of the same
 *     value, a bin comes back as its padded base64 str), same values, keys
 *     in the same order;
 *   - that second object dumps to the very same text, compact or pretty,
 *     and the pretty text converts to the same bytes as the compact one. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json_codec.h"
#include "proto/wire.h"

#define FUZZ_NAME "fuzz_dump"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What JSON can carry, for an object the wire accepted. */
static bool s_representable_at(const msgpack_object *obj, int depth)
{
    /* A container nested deeper than a JSON document may be (the limit
     * of the other direction, so that whatever is dumped parses back). */
    if ((obj->type == MSGPACK_OBJECT_ARRAY || obj->type == MSGPACK_OBJECT_MAP)
        && depth >= WIRE_DOCUMENT_DEPTH_MAX)
        return false;
    switch (obj->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return obj->via.u64 <= INT64_MAX;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return isfinite(obj->via.f64);
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < obj->via.array.size; i++)
            if (!s_representable_at(&obj->via.array.ptr[i], depth + 1))
                return false;
        return true;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < obj->via.map.size; i++) {
            const msgpack_object *key = &obj->via.map.ptr[i].key;
            if (key->type != MSGPACK_OBJECT_STR
                || (key->via.str.size && memchr(key->via.str.ptr, 0, key->via.str.size))
                || !s_representable_at(&obj->via.map.ptr[i].val, depth + 1))
                return false;
        }
        return true;
    case MSGPACK_OBJECT_EXT:
        return false;
    default:
        return true;
    }
}

static bool s_representable(const msgpack_object *obj)
{
    return s_representable_at(obj, 0);
}

/* RFC 4648 base64, padded, written independently of the codec's. */
static bool s_is_base64_of(const msgpack_object *str, const unsigned char *bytes, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (str->via.str.size != (len + 2) / 3 * 4)
        return false;
    const char *text = str->via.str.ptr;
    for (size_t i = 0, o = 0; i < len; i += 3, o += 4) {
        unsigned b0 = bytes[i], b1 = i + 1 < len ? bytes[i + 1] : 0, b2 = i + 2 < len ? bytes[i + 2] : 0;
        char quad[4] = { alphabet[b0 >> 2], alphabet[((b0 & 3) << 4) | (b1 >> 4)],
                         i + 1 < len ? alphabet[((b1 & 15) << 2) | (b2 >> 6)] : '=',
                         i + 2 < len ? alphabet[b2 & 63] : '=' };
        if (memcmp(text + o, quad, 4) != 0)
            return false;
    }
    return true;
}

/* back is what the JSON of orig came back as. */
static bool s_same_structure(const msgpack_object *orig, const msgpack_object *back)
{
    switch (orig->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return back->type == MSGPACK_OBJECT_POSITIVE_INTEGER && back->via.u64 == orig->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return back->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && back->via.i64 == orig->via.i64;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return back->type == MSGPACK_OBJECT_FLOAT64 && back->via.f64 == orig->via.f64
            && signbit(back->via.f64) == signbit(orig->via.f64);
    case MSGPACK_OBJECT_BIN:
        return back->type == MSGPACK_OBJECT_STR
            && s_is_base64_of(back, (const unsigned char *) orig->via.bin.ptr, orig->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:
        if (back->type != MSGPACK_OBJECT_ARRAY || back->via.array.size != orig->via.array.size)
            return false;
        for (uint32_t i = 0; i < orig->via.array.size; i++)
            if (!s_same_structure(&orig->via.array.ptr[i], &back->via.array.ptr[i]))
                return false;
        return true;
    case MSGPACK_OBJECT_MAP:
        if (back->type != MSGPACK_OBJECT_MAP || back->via.map.size != orig->via.map.size)
            return false;
        for (uint32_t i = 0; i < orig->via.map.size; i++)
            if (!fuzz_same(&orig->via.map.ptr[i].key, &back->via.map.ptr[i].key)
                || !s_same_structure(&orig->via.map.ptr[i].val, &back->via.map.ptr[i].val))
                return false;
        return true;
    default:                        /* nil, bool, str */
        return fuzz_same(orig, back);
    }
}

static void s_check_rendered(const msgpack_object *obj, const char *text)
{
    msgpack_sbuffer buf, pretty_buf;
    msgpack_sbuffer_init(&buf);
    msgpack_sbuffer_init(&pretty_buf);
    proto_error_t err;
    FUZZ_REQUIRE(json_codec_to_msgpack(text, strlen(text), &buf, &err) == 0, "rendered JSON converts back");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object back;
    FUZZ_REQUIRE(wire_decode(buf.data, buf.size, &zone, &back, &err) == 0, "converted JSON decodes");
    FUZZ_REQUIRE(s_same_structure(obj, &back), "msgpack -> JSON -> msgpack keeps the structure");
    char *again = json_codec_dump(&back, false);
    FUZZ_REQUIRE(again && strcmp(again, text) == 0, "the second dump is the same text");
    free(again);
    char *pretty = json_codec_dump(obj, true);
    FUZZ_REQUIRE(pretty != NULL, "what dumps compact dumps pretty");
    FUZZ_REQUIRE(json_codec_to_msgpack(pretty, strlen(pretty), &pretty_buf, &err) == 0,
                 "pretty JSON converts back");
    FUZZ_REQUIRE(pretty_buf.size == buf.size && memcmp(pretty_buf.data, buf.data, buf.size) == 0,
                 "pretty and compact JSON convert to the same bytes");
    free(pretty);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&pretty_buf);
    msgpack_sbuffer_destroy(&buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    proto_error_t err;
    if (wire_decode(data, size, &zone, &obj, &err) == 0) {
        char *text = json_codec_dump(&obj, false);
        FUZZ_REQUIRE((text != NULL) == s_representable(&obj),
                     "json_codec_dump refuses exactly what JSON cannot carry");
        if (text)
            s_check_rendered(&obj, text);
        free(text);
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
