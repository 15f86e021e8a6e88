/* Unit tests of proto/json_codec: the one JSON <-> MessagePack mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/json_codec.h"
#include "proto/wire.h"

typedef struct {
    msgpack_sbuffer buf;
    msgpack_zone zone;
    msgpack_object obj;
} decoded_t;

/* JSON text -> msgpack -> safe decode; fails the test when refused. */
static void s_decode(decoded_t *self, const char *text, size_t len)
{
    msgpack_sbuffer_init(&self->buf);
    msgpack_zone_init(&self->zone, 1024);
    proto_error_t err;
    if (json_codec_to_msgpack(text, len, &self->buf, &err))
        fail_msg("refused: %s [%s] at '%s'", err.message, err.rule, err.field);
    assert_string_equal(err.rule, "");
    assert_int_equal(wire_decode(self->buf.data, self->buf.size, &self->zone, &self->obj, &err), 0);
}

static void s_release(decoded_t *self)
{
    msgpack_zone_destroy(&self->zone);
    msgpack_sbuffer_destroy(&self->buf);
}

/* Converting `text` gives back exactly `expected` (compact). */
static void s_round_trip(const char *text, const char *expected)
{
    decoded_t d;
    s_decode(&d, text, strlen(text));
    char *dump = json_codec_dump(&d.obj, false);
    assert_non_null(dump);
    assert_string_equal(dump, expected);
    free(dump);
    s_release(&d);
}

/* `text` (len bytes) is refused with `rule`; out keeps what it had. */
static void s_refused(const char *text, size_t len, const char *rule, const char *field)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_sbuffer_write(&buf, "\xc0", 1);
    proto_error_t err;
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    if (json_codec_to_msgpack(copy, len, &buf, &err) == 0)
        fail_msg("accepted, expected %s", rule);
    free(copy);
    assert_int_equal(buf.size, 1);
    if (strcmp(err.rule, rule) != 0)
        fail_msg("got %s (%s), expected %s", err.rule, err.message, rule);
    if (field)
        assert_string_equal(err.field, field);
    msgpack_sbuffer_destroy(&buf);
}

#define REFUSED(literal, rule, field) s_refused(literal, sizeof literal - 1, rule, field)

static void test_round_trips(void **state)
{
    s_round_trip("{\"b\":1,\"a\":[true,false,null,1.5,-3,\"x\"]}", "{\"b\":1,\"a\":[true,false,null,1.5,-3,\"x\"]}");
    s_round_trip(" { \"z\" : { } , \"y\" : [ ] } ", "{\"z\":{},\"y\":[]}");
    s_round_trip("\"Nantes \u00e9t\u00e9 \\u20ac \\ud834\\udd1e\"", "\"Nantes \u00e9t\u00e9 \u20ac \xf0\x9d\x84\x9e\"");
    s_round_trip("{\"\":[\"\",{}]}", "{\"\":[\"\",{}]}");     /* empty keys and strings */
    s_round_trip("3.0", "3.0");
    s_round_trip("3", "3");
    s_round_trip("-0.25e1", "-2.5");
    s_round_trip("0.1", "0.10000000000000001");                /* 17 digits: exact */
    s_round_trip("\"tab\\tquote\\\"\"", "\"tab\\tquote\\\"\"");
}

static void test_key_order_is_kept(void **state)
{
    const char *text = "{\"organisation\":{\"siret\":\"512 345 678 00021\",\"name\":\"Les Ateliers du Lien\"},"
                       "\"offer\":{\"departments\":[\"44\",\"49\"],\"themes\":[\"ethics_deontology\"]},"
                       "\"commitments\":{\"tax_compliance\":true,\"confidentiality\":true}}";
    decoded_t d;
    s_decode(&d, text, strlen(text));
    assert_int_equal(d.obj.type, MSGPACK_OBJECT_MAP);
    const msgpack_object_kv *first = &d.obj.via.map.ptr[0];
    assert_int_equal(first->key.via.str.size, 12);
    assert_memory_equal(first->key.via.str.ptr, "organisation", 12);
    assert_memory_equal(first->val.via.map.ptr[0].key.via.str.ptr, "siret", 5);
    char *dump = json_codec_dump(&d.obj, false);
    assert_string_equal(dump, text);
    free(dump);
    s_release(&d);
}

static void test_types(void **state)
{
    decoded_t d;
    const char *text = "[1, -1, 1.0, \"s\", true, false, null, {}, []]";
    s_decode(&d, text, strlen(text));
    const msgpack_object *items = d.obj.via.array.ptr;
    assert_int_equal(items[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(items[1].type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
    assert_int_equal(items[2].type, MSGPACK_OBJECT_FLOAT64);
    assert_int_equal(items[3].type, MSGPACK_OBJECT_STR);
    assert_int_equal(items[4].type, MSGPACK_OBJECT_BOOLEAN);
    assert_int_equal(items[6].type, MSGPACK_OBJECT_NIL);
    assert_int_equal(items[7].type, MSGPACK_OBJECT_MAP);
    assert_int_equal(items[8].type, MSGPACK_OBJECT_ARRAY);
    /* Integers take their smallest encoding, reals are always float64. */
    assert_int_equal((unsigned char) d.buf.data[1], 0x01);
    assert_int_equal((unsigned char) d.buf.data[3], 0xcb);
    s_release(&d);
}

static void test_appends_to_out(void **state)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    assert_int_equal(json_codec_to_msgpack("1", 1, &buf, &err), 0);
    assert_int_equal(json_codec_to_msgpack("[2]", 3, &buf, &err), 0);
    assert_int_equal(buf.size, 3);
    assert_memory_equal(buf.data, "\x01\x91\x02", 3);
    msgpack_sbuffer_destroy(&buf);
}

static void test_duplicate_keys(void **state)
{
    REFUSED("{\"a\":1,\"a\":2}", "duplicate_key", "");
    REFUSED("{\"organisation\":{\"name\":\"x\",\"siret\":\"y\",\"name\":\"z\"}}", "duplicate_key", "");
    s_round_trip("[{\"a\":1},{\"a\":2}]", "[{\"a\":1},{\"a\":2}]");
}

static void test_bad_utf8(void **state)
{
    REFUSED("\"\xc3\x28\"", "utf8", "");
    REFUSED("\"\xc0\xaf\"", "utf8", "");                      /* overlong '/' */
    REFUSED("\"\xe0\x80\xaf\"", "utf8", "");
    REFUSED("\"\xed\xa0\x80\"", "utf8", "");                  /* surrogate bytes */
    REFUSED("\"\xf4\x90\x80\x80\"", "utf8", "");              /* above U+10FFFF */
    REFUSED("{\"\xff\":1}", "utf8", "");
    REFUSED("\"\\ud800\"", "utf8", "");                       /* lone surrogate escape */
    REFUSED("\"\\udc00 x\"", "utf8", "");
    /* The message stays valid UTF-8 whatever the input was. */
    proto_error_t err;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(json_codec_to_msgpack("[1, \xff]", 5, &buf, &err), -1);
    for (const char *p = err.message; *p; p++)
        assert_true((unsigned char) *p < 0x80);
    msgpack_sbuffer_destroy(&buf);
}

/* n nested arrays (or objects with key "a") around 0. */
static char *s_nested(int n, bool objects)
{
    char *text = malloc((size_t) n * 6 + 2);
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t) sprintf(text + len, "%s", objects ? "{\"a\":" : "[");
    text[len++] = '0';
    for (int i = 0; i < n; i++)
        text[len++] = objects ? '}' : ']';
    text[len] = 0;
    return text;
}

static void test_depth(void **state)
{
    char *text = s_nested(WIRE_DOCUMENT_DEPTH_MAX, false);
    decoded_t d;
    s_decode(&d, text, strlen(text));
    s_release(&d);
    free(text);

    text = s_nested(WIRE_DOCUMENT_DEPTH_MAX + 1, false);
    char expected[200] = "";
    for (int i = 0; i < WIRE_DOCUMENT_DEPTH_MAX; i++)
        strcat(expected, "[0]");
    s_refused(text, strlen(text), "depth", expected);
    free(text);

    text = s_nested(WIRE_DOCUMENT_DEPTH_MAX + 1, true);
    strcpy(expected, "a");
    for (int i = 1; i < WIRE_DOCUMENT_DEPTH_MAX; i++)
        strcat(expected, ".a");
    s_refused(text, strlen(text), "depth", expected);
    free(text);

    /* Far deeper than jansson's own parser limit: refused, no crash. */
    text = s_nested(5000, false);
    s_refused(text, strlen(text), "depth", "");
    free(text);
}

/*  Whatever the converter accepts, the services accept too once it is the
 *  application of a request: the deepest document accepted, in its
 *  envelope, passes wire_decode (it did not when both limits were 32). */
static void test_deepest_document_fits_in_a_request(void **state)
{
    (void)state;
    for (int objects = 0; objects < 2; objects++) {
        char *text = s_nested(WIRE_DOCUMENT_DEPTH_MAX, objects);
        msgpack_sbuffer document, request;
        msgpack_sbuffer_init(&document);
        msgpack_sbuffer_init(&request);
        proto_error_t err;
        assert_int_equal(json_codec_to_msgpack(text, strlen(text), &document, &err), 0);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &request, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 3);
        msgpack_pack_str_with_body(&pk, "type", 4);
        msgpack_pack_str_with_body(&pk, "submit", 6);
        msgpack_pack_str_with_body(&pk, "rid", 3);
        msgpack_pack_uint64(&pk, 7);
        msgpack_pack_str_with_body(&pk, "application", 11);
        msgpack_sbuffer_write(&request, document.data, document.size);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object msg;
        assert_int_equal(wire_decode(request.data, request.size, &zone, &msg, &err), 0);
        msgpack_zone_destroy(&zone);
        msgpack_sbuffer_destroy(&document);
        msgpack_sbuffer_destroy(&request);
        free(text);
    }
}

static void test_big_integers(void **state)
{
    decoded_t d;
    s_decode(&d, "9223372036854775807", 19);
    assert_int_equal(d.obj.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_true(d.obj.via.u64 == INT64_MAX);
    s_release(&d);
    s_decode(&d, "-9223372036854775808", 20);
    assert_int_equal(d.obj.type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
    assert_true(d.obj.via.i64 == INT64_MIN);
    s_release(&d);
    REFUSED("9223372036854775808", "range", "");
    REFUSED("-9223372036854775809", "range", "");
    REFUSED("[1, 123456789012345678901234567890]", "range", "");
    REFUSED("1e999", "range", "");
    REFUSED("-1e999", "range", "");
    REFUSED("NaN", "json_syntax", "");
    REFUSED("Infinity", "json_syntax", "");
}

static void test_nul(void **state)
{
    /* \u0000 inside a string value is legal JSON: a NUL byte in a str. */
    decoded_t d;
    s_decode(&d, "\"a\\u0000b\"", 10);
    assert_int_equal(d.obj.type, MSGPACK_OBJECT_STR);
    assert_int_equal(d.obj.via.str.size, 3);
    assert_memory_equal(d.obj.via.str.ptr, "a\0b", 3);
    char *dump = json_codec_dump(&d.obj, false);
    assert_string_equal(dump, "\"a\\u0000b\"");
    free(dump);
    s_release(&d);
    /* A raw NUL byte is not JSON; jansson cannot hold one in a key. */
    REFUSED("\"a\0b\"", "json_syntax", "");
    REFUSED("[1]\0", "json_syntax", "");
    REFUSED("{\"a\\u0000\":1}", "json_syntax", "");
}

static void test_syntax_errors(void **state)
{
    REFUSED("", "json_syntax", "");
    REFUSED("{", "json_syntax", "");
    REFUSED("[1,]", "json_syntax", "");
    REFUSED("1 2", "json_syntax", "");
    REFUSED("{'a':1}", "json_syntax", "");
    proto_error_t err;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(json_codec_to_msgpack("{\n  \"a\": tru\n}", 14, &buf, &err), -1);
    assert_non_null(strstr(err.message, "line 2 column"));
    msgpack_sbuffer_destroy(&buf);
}

static void test_too_many_values(void **state)
{
    size_t n = WIRE_NODES_MAX;                                 /* + the array itself */
    char *text = malloc(n * 2 + 2);
    text[0] = '[';
    for (size_t i = 0; i < n; i++) {
        text[1 + 2 * i] = '0';
        text[2 + 2 * i] = ',';
    }
    text[n * 2] = ']';
    s_refused(text, n * 2 + 1, "too_many_nodes", "");
    free(text);
}

static json_t *s_from_bytes(const char *bytes, size_t len)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object obj;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(bytes, len, &off, &zone, &obj), MSGPACK_UNPACK_SUCCESS);
    json_t *value = json_codec_from_object(&obj);
    msgpack_zone_destroy(&zone);
    return value;
}

#define FROM(literal) s_from_bytes(literal, sizeof literal - 1)

static void s_expect_base64(const char *bin, size_t len, const char *expected)
{
    char bytes[16] = { (char) 0xc4, (char) len };
    memcpy(bytes + 2, bin, len);
    json_t *value = s_from_bytes(bytes, len + 2);
    assert_non_null(value);
    assert_string_equal(json_string_value(value), expected);
    json_decref(value);
}

static void test_from_object(void **state)
{
    /* RFC 4648 section 10 test vectors. */
    s_expect_base64("", 0, "");
    s_expect_base64("f", 1, "Zg==");
    s_expect_base64("fo", 2, "Zm8=");
    s_expect_base64("foo", 3, "Zm9v");
    s_expect_base64("foob", 4, "Zm9vYg==");
    s_expect_base64("fooba", 5, "Zm9vYmE=");
    s_expect_base64("foobar", 6, "Zm9vYmFy");
    s_expect_base64("\xff\xfe\x00", 3, "//4A");

    json_t *value = FROM("\xca\x3f\xc0\x00\x00");             /* float32 1.5 */
    assert_true(json_is_real(value) && json_real_value(value) == 1.5);
    json_decref(value);

    value = FROM("\x81\xa0\xc4\x00");                      /* {"": empty bin} */
    assert_true(json_is_string(json_object_get(value, "")));
    json_decref(value);

    assert_null(FROM("\xd4\x01\x00"));                         /* ext */
    assert_null(FROM("\xcf\xff\xff\xff\xff\xff\xff\xff\xff"));  /* above INT64_MAX */
    assert_null(FROM("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"));  /* NaN */
    assert_null(FROM("\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00"));  /* infinity */
    assert_null(FROM("\x81\x01\x02"));                         /* integer key */
    assert_null(FROM("\x82\xa1" "a" "\x01\xa1" "a" "\x02"));   /* duplicate key */
    assert_null(FROM("\xa2\xc0\xaf"));                         /* bad UTF-8 */
    assert_null(FROM("\x91\x91\xa1\xff"));
}

static void test_from_object_depth(void **state)
{
    /* Chain the objects by hand: one level more than a document may have. */
    msgpack_object levels[WIRE_DOCUMENT_DEPTH_MAX + 2];
    for (int i = 0; i <= WIRE_DOCUMENT_DEPTH_MAX; i++) {
        levels[i].type = MSGPACK_OBJECT_ARRAY;
        levels[i].via.array.size = 1;
        levels[i].via.array.ptr = &levels[i + 1];
    }
    levels[WIRE_DOCUMENT_DEPTH_MAX + 1].type = MSGPACK_OBJECT_NIL;
    assert_null(json_codec_from_object(&levels[0]));           /* 32 arrays */
    json_t *value = json_codec_from_object(&levels[1]);        /* 31 arrays */
    assert_non_null(value);
    json_decref(value);
    assert_null(json_codec_dump(&levels[0], false));
}

static void test_dump_pretty(void **state)
{
    decoded_t d;
    s_decode(&d, "{\"a\":[1,2]}", 11);
    char *dump = json_codec_dump(&d.obj, true);
    assert_string_equal(dump, "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
    free(dump);
    s_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_key_order_is_kept),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_appends_to_out),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_deepest_document_fits_in_a_request),
        cmocka_unit_test(test_big_integers),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_too_many_values),
        cmocka_unit_test(test_from_object),
        cmocka_unit_test(test_from_object_depth),
        cmocka_unit_test(test_dump_pretty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
