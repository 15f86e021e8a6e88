/* Unit tests of proto/'s small edges: the wire pre-scan's node bound met
 * inside nested containers, duplicate keys among many keys sharing a
 * prefix, a map key whose header is cut, the reply and stored decoders;
 * the JSON codec's error text kept ASCII; doc_pack_map_except; the error
 * helpers without an error; today's date; identifiers' status names; a
 * stream signature of the wrong length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "proto/date.h"
#include "proto/doc.h"
#include "proto/identifiers.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/stream_sign.h"
#include "proto/wire.h"

#include <sodium.h>

/* [X, nil] where X is an array of `inner` nils: with inner = NODES_MAX - 2
 * the outer array, X and its items use up the bound exactly, and the last
 * nil is one object too many, found when it is counted, not announced. */
static unsigned char *s_nested(uint32_t inner, size_t *size)
{
    unsigned char *data = malloc(1 + 5 + inner + 1);
    assert_non_null(data);
    size_t n = 0;
    data[n++] = 0x92;
    data[n++] = 0xdd;
    data[n++] = (unsigned char) (inner >> 24);
    data[n++] = (unsigned char) (inner >> 16);
    data[n++] = (unsigned char) (inner >> 8);
    data[n++] = (unsigned char) inner;
    memset(data + n, 0xc0, inner);
    n += inner;
    data[n++] = 0xc0;
    *size = n;
    return data;
}

static void test_node_bound_inside_containers(void **state)
{
    (void) state;
    size_t size;
    proto_error_t err;
    unsigned char *data = s_nested(WIRE_NODES_MAX - 2, &size);
    assert_int_equal(wire_prescan(data, size, &err), -1);
    assert_string_equal(err.rule, "too_many_nodes");
    assert_string_equal(err.field, "[1]");
    /* One fewer fits; and a reply may hold far more. */
    free(data);
    data = s_nested(WIRE_NODES_MAX - 3, &size);
    assert_int_equal(wire_prescan(data, size, &err), 0);
    free(data);
    data = s_nested(WIRE_NODES_MAX + 10, &size);
    assert_int_equal(wire_prescan(data, size, &err), -1);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object obj;
    assert_int_equal(wire_decode(data, size, &zone, &obj, &err), -1);
    assert_int_equal(wire_decode_reply(data, size, &zone, &obj, &err), 0);
    assert_int_equal(obj.via.array.size, 2);
    assert_int_equal(obj.via.array.ptr[0].via.array.size, WIRE_NODES_MAX + 10);
    msgpack_zone_destroy(&zone);
    free(data);
}

/* More than 16 keys are sorted to find a duplicate: keys that are
 * prefixes of one another sort by length, and the second copy of the
 * repeated one is named. */
static void test_duplicates_among_many_keys(void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    static const char *const keys[] = { "k", "kk", "kkk", "k1", "k12", "k123", "a", "ab", "abc", "b", "bc",
                                        "bcd", "c", "cd", "cde", "d", "de", "kk" };
    size_t count = sizeof keys / sizeof *keys;
    msgpack_pack_map(&pk, count);
    for (size_t i = 0; i < count; i++) {
        proto_pack_str(&pk, keys[i]);
        msgpack_pack_uint64(&pk, i);
    }
    proto_error_t err;
    assert_int_equal(wire_prescan(buf.data, buf.size, &err), -1);
    assert_string_equal(err.rule, "duplicate_key");
    assert_string_equal(err.field, "kk");
    /* Without the repeat, all distinct. */
    msgpack_sbuffer_clear(&buf);
    msgpack_pack_map(&pk, count - 1);
    for (size_t i = 0; i + 1 < count; i++) {
        proto_pack_str(&pk, keys[i]);
        msgpack_pack_uint64(&pk, i);
    }
    assert_int_equal(wire_prescan(buf.data, buf.size, &err), 0);
    msgpack_sbuffer_destroy(&buf);
}

static void test_cut_key_header(void **state)
{
    (void) state;
    proto_error_t err;
    static const unsigned char str8[] = { 0x81, 0xd9 };            /* {str8 with no length */
    assert_int_equal(wire_prescan(str8, sizeof str8, &err), -1);
    assert_string_equal(err.rule, "truncated");
    static const unsigned char str16[] = { 0x81, 0xda, 0x00 };
    assert_int_equal(wire_prescan(str16, sizeof str16, &err), -1);
    assert_string_equal(err.rule, "truncated");
    static const unsigned char no_key[] = { 0x81 };
    assert_int_equal(wire_prescan(no_key, sizeof no_key, &err), -1);
    assert_string_equal(err.rule, "truncated");
    assert_non_null(strstr(err.message, "map"));
    /* No error to fill: still refused. */
    assert_int_equal(wire_prescan(no_key, sizeof no_key, NULL), -1);
}

/* What a service reads back from its own LMDB: the structure is walked,
 * UTF-8 and duplicate keys are not checked again. */
static void test_stored_decoder(void **state)
{
    (void) state;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj;
    proto_error_t err;
    static const unsigned char dup_and_latin1[] = { 0x82, 0xa1, 'a', 0xa1, 0xe9, 0xa1, 'a', 0xc0 };
    assert_int_equal(wire_decode(dup_and_latin1, sizeof dup_and_latin1, &zone, &obj, &err), -1);
    assert_int_equal(wire_decode_stored(dup_and_latin1, sizeof dup_and_latin1, &zone, &obj, &err), 0);
    assert_int_equal(obj.via.map.size, 2);
    static const unsigned char cut[] = { 0x92, 0xc0 };
    assert_int_equal(wire_decode_stored(cut, sizeof cut, &zone, &obj, &err), -1);
    assert_string_equal(err.rule, "truncated");
    static const unsigned char ext[] = { 0xd4, 0x01, 0x02 };
    assert_int_equal(wire_decode_stored(ext, sizeof ext, &zone, &obj, &err), -1);
    assert_string_equal(err.rule, "ext");
    msgpack_zone_destroy(&zone);
}

/* jansson quotes the input near a syntax error: the message keeps only
 * ASCII, so it stays valid UTF-8 whatever was sent. */
static void test_json_error_text_is_ascii(void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    const char *text = "{\"a\": \xc3\xa9t\xc3\xa9}";
    assert_int_equal(json_codec_to_msgpack(text, strlen(text), &buf, &err), -1);
    assert_string_equal(err.rule, "json_syntax");
    for (const char *c = err.message; *c; c++)
        assert_true((unsigned char) *c < 0x80 && (unsigned char) *c >= 0x20);
    assert_int_equal(buf.size, 0);
    msgpack_sbuffer_destroy(&buf);
}

static void test_pack_map_except(void **state)
{
    (void) state;
    msgpack_sbuffer in;
    msgpack_sbuffer_init(&in);
    proto_error_t err;
    const char *json = "{\"id\": \"A\", \"state\": \"received\", \"token\": \"t\", \"revision\": 2}";
    assert_int_equal(json_codec_to_msgpack(json, strlen(json), &in, &err), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object record;
    assert_int_equal(wire_decode(in.data, in.size, &zone, &record, &err), 0);

    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    static const char *const skip[] = { "state", "token", NULL };
    doc_pack_map_except(&pk, &record, skip, 1);
    proto_pack_kv_str(&pk, "state", "in_review");
    msgpack_object again;
    assert_int_equal(wire_decode(out.data, out.size, &zone, &again, &err), 0);
    char *text = json_codec_dump(&again, false);
    assert_string_equal(text, "{\"id\":\"A\",\"revision\":2,\"state\":\"in_review\"}");
    free(text);

    /* No skip list: a copy; not a map: an empty map and the extras. */
    msgpack_sbuffer_clear(&out);
    doc_pack_map_except(&pk, &record, NULL, 0);
    assert_int_equal(wire_decode(out.data, out.size, &zone, &again, &err), 0);
    assert_int_equal(again.via.map.size, 4);
    msgpack_sbuffer_clear(&out);
    msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };
    doc_pack_map_except(&pk, &nil, skip, 1);
    proto_pack_kv_uint(&pk, "n", 1);
    doc_pack_map_except(&pk, NULL, skip, 0);
    msgpack_sbuffer copy;
    msgpack_sbuffer_init(&copy);
    msgpack_sbuffer_write(&copy, out.data, out.size - 1);      /* the first map only */
    assert_int_equal(wire_decode(copy.data, copy.size, &zone, &again, &err), 0);
    assert_int_equal(again.via.map.size, 1);
    assert_int_equal((unsigned char) out.data[out.size - 1], 0x80);
    msgpack_sbuffer_destroy(&copy);
    msgpack_sbuffer_destroy(&out);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&in);
}

static void test_small_helpers(void **state)
{
    (void) state;
    /* An error helper with nowhere to write still says "refused". */
    assert_int_equal(proto_error_set(NULL, "f", "r", "%s", "m"), -1);
    proto_error_clear(NULL);
    proto_error_t err;
    proto_error_set(&err, NULL, NULL, "plain");
    assert_string_equal(err.field, "");
    assert_string_equal(err.rule, "");

    /* Today, as the clock says, in days since 1970. */
    int32_t before = (int32_t) (time(NULL) / 86400);
    int32_t today = date_today_utc();
    assert_true(today == before || today == before + 1);
    char text[11];
    date_format(today, text);
    int32_t parsed;
    assert_int_equal(date_parse(text, 10, &parsed), 0);
    assert_int_equal(parsed, today);

    assert_string_equal(id_status_name(ID_OK), "ok");
    assert_string_equal(id_status_name(ID_BAD_SHAPE), "shape");
    assert_string_equal(id_status_name((id_status_t) 99), "unknown");
    char digits[ID_SIRET_LEN + 1];
    assert_int_equal(id_siret_check(NULL, 0, digits), ID_BAD_LENGTH);
}

static void test_signature_of_the_wrong_length(void **state)
{
    (void) state;
    stream_sign_key_t key;
    crypto_sign_keypair(key.public_key, key.secret);
    unsigned char sig[STREAM_SIGN_BYTES + 1];
    assert_int_equal(stream_sign(&key, 7, "body", 4, sig), 0);
    assert_true(stream_sign_verify(key.public_key, 7, "body", 4, sig, STREAM_SIGN_BYTES));
    assert_false(stream_sign_verify(key.public_key, 7, "body", 4, sig, STREAM_SIGN_BYTES - 1));
    sig[STREAM_SIGN_BYTES] = 0;
    assert_false(stream_sign_verify(key.public_key, 7, "body", 4, sig, STREAM_SIGN_BYTES + 1));
    assert_false(stream_sign_verify(key.public_key, 8, "body", 4, sig, STREAM_SIGN_BYTES));
    /* An empty body is signed too. */
    assert_int_equal(stream_sign(&key, 1, NULL, 0, sig), 0);
    assert_true(stream_sign_verify(key.public_key, 1, NULL, 0, sig, STREAM_SIGN_BYTES));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_bound_inside_containers),
        cmocka_unit_test(test_duplicates_among_many_keys),
        cmocka_unit_test(test_cut_key_header),
        cmocka_unit_test(test_stored_decoder),
        cmocka_unit_test(test_json_error_text_is_ascii),
        cmocka_unit_test(test_pack_map_except),
        cmocka_unit_test(test_small_helpers),
        cmocka_unit_test(test_signature_of_the_wrong_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
