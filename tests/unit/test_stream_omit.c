/* Unit tests of common/stream_omit: the fields a consumer leaves out of
 * the events it pulls, cut from the stored bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/stream_omit.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} packed_t;

static void s_init(packed_t *p)
{
    msgpack_sbuffer_init(&p->buf);
    msgpack_packer_init(&p->pk, &p->buf, msgpack_sbuffer_write);
}

/*  An event as a producer stores it, with a value of every msgpack kind
 *  inside the application it carries. */
static void s_event(packed_t *p)
{
    msgpack_packer *pk = &p->pk;
    msgpack_pack_map(pk, 10);
    proto_pack_kv_uint(pk, "seq", 7);
    proto_pack_kv_uint(pk, "v", PROTO_VERSION);
    proto_pack_kv_str(pk, "type", "validated");
    proto_pack_kv_uint(pk, "at", 1700000000);
    proto_pack_kv_str(pk, "id", "01HZY3K2Q8D9ABCD");
    proto_pack_kv_uint(pk, "revision", 1);
    proto_pack_kv_str(pk, "verdict", "complete");
    proto_pack_str(pk, "application");
    msgpack_pack_map(pk, 9);
    proto_pack_kv_str(pk, "name", "Mutuelle d'entraide de Vendée");
    proto_pack_str(pk, "numbers");
    msgpack_pack_array(pk, 8);
    msgpack_pack_int(pk, -1);
    msgpack_pack_int(pk, -100);
    msgpack_pack_int(pk, -40000);
    msgpack_pack_int64(pk, -5000000000LL);
    msgpack_pack_uint64(pk, 200);
    msgpack_pack_uint64(pk, 60000);
    msgpack_pack_uint64(pk, 4000000000ULL);
    msgpack_pack_uint64(pk, 9000000000000ULL);
    proto_pack_str(pk, "floats");
    msgpack_pack_array(pk, 2);
    msgpack_pack_float(pk, 1.5f);
    msgpack_pack_double(pk, 2.25);
    proto_pack_str(pk, "flags");
    msgpack_pack_array(pk, 3);
    msgpack_pack_true(pk);
    msgpack_pack_false(pk);
    msgpack_pack_nil(pk);
    proto_pack_str(pk, "bin");
    char bytes[300];
    memset(bytes, 0xc1, sizeof bytes);   /* the never-used byte, inside a binary */
    msgpack_pack_bin(pk, sizeof bytes);
    msgpack_pack_bin_body(pk, bytes, sizeof bytes);
    proto_pack_str(pk, "ext");
    msgpack_pack_ext(pk, 4, 1);
    msgpack_pack_ext_body(pk, "abcd", 4);
    proto_pack_str(pk, "long");
    char text[70000];
    memset(text, 'a', sizeof text);
    msgpack_pack_str(pk, sizeof text);
    msgpack_pack_str_body(pk, text, sizeof text);
    proto_pack_str(pk, "nested");
    msgpack_pack_map(pk, 1);
    proto_pack_str(pk, "deeper");
    msgpack_pack_array(pk, 20);
    for (int i = 0; i < 20; i++)
        msgpack_pack_map(pk, 0);
    proto_pack_str(pk, "wide");
    msgpack_pack_array(pk, 17);
    for (int i = 0; i < 17; i++)
        msgpack_pack_int(pk, i);
    proto_pack_str(pk, "report");
    msgpack_pack_map(pk, 1);
    proto_pack_kv_str(pk, "verdict", "complete");
    proto_pack_kv_str(pk, "renews", "01HZY3K2Q8D9ZZZZ");
}

/*  Decodes what was packed (one object) into zone. */
static msgpack_object s_decode(const packed_t *p, msgpack_zone *zone)
{
    msgpack_object out;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(p->buf.data, p->buf.size, &off, zone, &out), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, p->buf.size);
    return out;
}

static void test_the_omitted_fields_are_cut_and_the_others_kept_byte_for_byte(void **state)
{
    (void)state;
    packed_t event, out;
    s_init(&event);
    s_init(&out);
    s_event(&event);
    stream_omit_t omit;
    stream_omit_from_names(&omit, (const char *const[]){"application", "renews", NULL});
    stream_omit_pack_event(&omit, event.buf.data, event.buf.size, &out.pk);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object whole = s_decode(&event, &zone), cut = s_decode(&out, &zone);
    assert_int_equal(cut.via.map.size, 8);
    assert_null(doc_get(&cut, "application"));
    assert_null(doc_get(&cut, "renews"));
    /* Every field that stays, in its order, with its value. */
    static const char *const kept[] = {"seq", "v", "type", "at", "id", "revision", "verdict", "report"};
    for (size_t i = 0; i < 8; i++) {
        assert_true(doc_is(&cut.via.map.ptr[i].key, kept[i]));
        assert_true(msgpack_object_equal(cut.via.map.ptr[i].val, *doc_get(&whole, kept[i])));
    }
    /* What a consumer checks still holds. */
    const char *type;
    uint64_t seq;
    proto_error_t err;
    assert_int_equal(proto_event_check(&cut, &type, &seq, &err), 0);
    assert_int_equal(seq, 7);
    /* The application alone was ~70 KB: the event is now a few dozen bytes. */
    assert_true(out.buf.size < 200);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&event.buf);
    msgpack_sbuffer_destroy(&out.buf);
}

static void test_an_event_without_the_fields_goes_as_stored(void **state)
{
    (void)state;
    packed_t event, out;
    s_init(&event);
    s_init(&out);
    s_event(&event);
    stream_omit_t omit;
    stream_omit_from_names(&omit, (const char *const[]){"entry", "sig", NULL});
    stream_omit_pack_event(&omit, event.buf.data, event.buf.size, &out.pk);
    assert_int_equal(out.buf.size, event.buf.size);
    assert_memory_equal(out.buf.data, event.buf.data, event.buf.size);
    /* No list at all: the same. */
    msgpack_sbuffer_clear(&out.buf);
    stream_omit_pack_event(NULL, event.buf.data, event.buf.size, &out.pk);
    assert_memory_equal(out.buf.data, event.buf.data, event.buf.size);
    msgpack_sbuffer_destroy(&event.buf);
    msgpack_sbuffer_destroy(&out.buf);
}

/*  Bytes that are not a whole map of string keys go unchanged: a cut
 *  never reads past the end nor trusts a count. */
static void test_bytes_that_do_not_parse_go_unchanged(void **state)
{
    (void)state;
    packed_t event;
    s_init(&event);
    s_event(&event);
    stream_omit_t omit;
    stream_omit_from_names(&omit, (const char *const[]){"application", NULL});
    static const unsigned char map32_huge[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a', 0x01};
    static const unsigned char int_key[] = {0x81, 0x01, 0x02};
    static const unsigned char not_a_map[] = {0x92, 0x01, 0x02};
    static const unsigned char unused_byte[] = {0x81, 0xa1, 'a', 0xc1};
    static const unsigned char array32_huge[] = {0x81, 0xa1, 'a', 0xdd, 0x7f, 0xff, 0xff, 0xff};
    const struct {
        const void *bytes;
        size_t len;
    } cases[] = {{map32_huge, sizeof map32_huge},     {int_key, sizeof int_key},
                 {not_a_map, sizeof not_a_map},       {unused_byte, sizeof unused_byte},
                 {array32_huge, sizeof array32_huge}, {event.buf.data, event.buf.size - 1},
                 {event.buf.data, 40}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        packed_t out;
        s_init(&out);
        stream_omit_pack_event(&omit, cases[i].bytes, cases[i].len, &out.pk);
        assert_int_equal(out.buf.size, cases[i].len);
        assert_memory_equal(out.buf.data, cases[i].bytes, cases[i].len);
        msgpack_sbuffer_destroy(&out.buf);
    }
    msgpack_sbuffer_destroy(&event.buf);
}

/*  A field is found in the stored bytes: its value's bytes are the ones
 *  a packer gives the decoded value (every kind inside the application);
 *  a field the event lacks, and bytes that do not parse, find nothing.
 *  So for the last field taken to the end (stream_omit_last_value). */
static void test_a_field_is_found_in_the_stored_bytes(void **state)
{
    (void)state;
    packed_t event;
    s_init(&event);
    s_event(&event);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1 << 17);
    msgpack_object decoded = s_decode(&event, &zone);
    const char *const names[] = {"seq", "application", "report", "renews"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const void *value;
        size_t len;
        assert_true(stream_omit_field(event.buf.data, event.buf.size, names[i], &value, &len));
        packed_t expected;
        s_init(&expected);
        msgpack_pack_object(&expected.pk, *doc_get(&decoded, names[i]));
        assert_int_equal(len, expected.buf.size);
        assert_memory_equal(value, expected.buf.data, len);
        msgpack_sbuffer_destroy(&expected.buf);
    }
    const void *value;
    size_t len;
    /* The last field, taken to the end of the bytes without a walk, is
     * the same bytes; another field, or a map whose last field is
     * another, finds nothing that way. */
    assert_true(stream_omit_last_value(event.buf.data, event.buf.size, "renews", &value, &len));
    const void *walked;
    size_t walked_len;
    assert_true(stream_omit_field(event.buf.data, event.buf.size, "renews", &walked, &walked_len));
    assert_ptr_equal(value, walked);
    assert_int_equal(len, walked_len);
    assert_false(stream_omit_last_value(event.buf.data, event.buf.size, "report", &value, &len));
    assert_false(stream_omit_last_value(event.buf.data, event.buf.size, "renew", &value, &len));
    assert_false(stream_omit_last_value(event.buf.data, 40, "renews", &value, &len));
    static const unsigned char empty[] = {0x80};
    assert_false(stream_omit_last_value(empty, sizeof empty, "a", &value, &len));
    assert_false(stream_omit_field(event.buf.data, event.buf.size, "motivation", &value, &len));
    assert_false(stream_omit_field(event.buf.data, event.buf.size, "applicatio", &value, &len));
    assert_false(stream_omit_field(event.buf.data, event.buf.size - 1, "renews", &value, &len));
    static const unsigned char not_a_map[] = {0x92, 0x01, 0x02};
    assert_false(stream_omit_field(not_a_map, sizeof not_a_map, "a", &value, &len));
    assert_false(stream_omit_field(event.buf.data, 0, "seq", &value, &len));
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&event.buf);
}

/*  A stage that passes an event on keeps every field but the envelope,
 *  byte for byte and in order; a map with more fields than asked for, or
 *  bytes that do not parse, give -1. */
static void test_the_body_is_every_field_but_the_envelope(void **state)
{
    (void)state;
    packed_t event;
    s_init(&event);
    s_event(&event);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1 << 17);
    msgpack_object decoded = s_decode(&event, &zone);
    size_t spans[STREAM_OMIT_FIELDS_MAX][2];
    int n = stream_omit_body(event.buf.data, event.buf.size, spans, STREAM_OMIT_FIELDS_MAX);
    static const char *const body[] = {"id", "revision", "verdict", "application", "report", "renews"};
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) {
        packed_t expected;
        s_init(&expected);
        proto_pack_str(&expected.pk, body[i]);
        msgpack_pack_object(&expected.pk, *doc_get(&decoded, body[i]));
        assert_int_equal(spans[i][1], expected.buf.size);
        assert_memory_equal(event.buf.data + spans[i][0], expected.buf.data, spans[i][1]);
        msgpack_sbuffer_destroy(&expected.buf);
    }
    assert_int_equal(stream_omit_body(event.buf.data, event.buf.size, spans, 5), -1);
    assert_int_equal(stream_omit_body(event.buf.data, event.buf.size - 1, spans, STREAM_OMIT_FIELDS_MAX), -1);
    static const unsigned char not_a_map[] = {0x92, 0x01, 0x02};
    assert_int_equal(stream_omit_body(not_a_map, sizeof not_a_map, spans, STREAM_OMIT_FIELDS_MAX), -1);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&event.buf);
}

/*  The events of a batch, walked one by one in its bytes: each is the
 *  bytes its producer packed; a walk stops at the array's end, and finds
 *  nothing in bytes cut short. */
static void test_a_batchs_events_are_walked_in_its_bytes(void **state)
{
    (void)state;
    packed_t one, batch;
    s_init(&one);
    s_init(&batch);
    s_event(&one);
    msgpack_pack_map(&batch.pk, 3);
    proto_pack_kv_str(&batch.pk, "type", "batch");
    proto_pack_str(&batch.pk, "events");
    msgpack_pack_array(&batch.pk, 3);
    proto_pack_raw(&batch.pk, one.buf.data, one.buf.size);
    msgpack_pack_map(&batch.pk, 1);
    proto_pack_kv_uint(&batch.pk, "seq", 8);
    proto_pack_raw(&batch.pk, one.buf.data, one.buf.size);
    proto_pack_kv_uint(&batch.pk, "head", 9);
    stream_omit_walk_t walk;
    assert_true(stream_omit_walk_begin(&walk, batch.buf.data, batch.buf.size, "events"));
    const void *event;
    size_t len;
    assert_true(stream_omit_walk_next(&walk, &event, &len));
    assert_int_equal(len, one.buf.size);
    assert_memory_equal(event, one.buf.data, len);
    assert_true(stream_omit_walk_next(&walk, &event, &len));
    assert_int_equal(len, 1 + 4 + 1);   /* {"seq": 8}: the map's byte, the key's 4, a fixint */
    assert_true(stream_omit_walk_next(&walk, &event, &len));
    assert_memory_equal(event, one.buf.data, one.buf.size);
    assert_false(stream_omit_walk_next(&walk, &event, &len));
    /* No such array; an array cut short. */
    assert_false(stream_omit_walk_begin(&walk, batch.buf.data, batch.buf.size, "head"));
    assert_false(stream_omit_walk_begin(&walk, batch.buf.data, batch.buf.size, "entries"));
    assert_false(stream_omit_walk_begin(&walk, batch.buf.data, batch.buf.size - 1000, "events"));
    msgpack_sbuffer_destroy(&one.buf);
    msgpack_sbuffer_destroy(&batch.buf);
}

/*  A pull's "omit", as a producer reads it. */
static int s_from_request(const char *const *names, size_t count, stream_omit_t *omit, proto_error_t *err)
{
    packed_t pull;
    s_init(&pull);
    proto_pack_request(&pull.pk, "pull", 1, 2);
    proto_pack_kv_uint(&pull.pk, "after", 0);
    proto_pack_str(&pull.pk, "omit");
    msgpack_pack_array(&pull.pk, count);
    for (size_t i = 0; i < count; i++)
        proto_pack_str(&pull.pk, names[i]);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object msg;
    const char *type;
    uint64_t rid;
    bool has_rid;
    assert_int_equal(wire_decode(pull.buf.data, pull.buf.size, &zone, &msg, err), 0);
    int rc = proto_request_check(&msg, &type, &rid, &has_rid, err);
    if (rc == 0)
        rc = stream_omit_from_request(omit, &msg, err);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&pull.buf);
    return rc;
}

static void test_a_pulls_omit_is_checked(void **state)
{
    (void)state;
    stream_omit_t omit;
    proto_error_t err;
    assert_int_equal(s_from_request((const char *const[]){"application", "signed"}, 2, &omit, &err), 0);
    assert_int_equal(omit.count, 2);
    /* The envelope and the subject stay in every event. */
    static const char *const kept[] = {"seq", "v", "type", "at", "id"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(s_from_request(&kept[i], 1, &omit, &err), -1);
        assert_string_equal(err.field, "omit");
        assert_string_equal(err.rule, "kept");
    }
    assert_int_equal(s_from_request((const char *const[]){""}, 1, &omit, &err), -1);
    assert_string_equal(err.rule, "length");
    assert_int_equal(s_from_request((const char *const[]){"a_name_longer_than_thirty_two_bytes"}, 1, &omit, &err), -1);
    assert_string_equal(err.rule, "length");
    /* At most PROTO_OMIT_MAX names: the catalogue says so. */
    assert_int_equal(s_from_request((const char *const[]){"a", "b", "c", "d", "e"}, 5, &omit, &err), -1);
    assert_string_equal(err.field, "omit");
    /* The list a consumer sends is the list the producer reads. */
    stream_omit_t mine;
    stream_omit_from_names(&mine, (const char *const[]){"application", "sig", NULL});
    packed_t pull;
    s_init(&pull);
    proto_pack_request(&pull.pk, "pull", 1, 1 + stream_omit_fields(&mine));
    proto_pack_kv_uint(&pull.pk, "after", 0);
    stream_omit_pack(&mine, &pull.pk);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object msg;
    const char *type;
    uint64_t rid;
    bool has_rid;
    assert_int_equal(wire_decode(pull.buf.data, pull.buf.size, &zone, &msg, &err), 0);
    assert_int_equal(proto_request_check(&msg, &type, &rid, &has_rid, &err), 0);
    assert_int_equal(stream_omit_from_request(&omit, &msg, &err), 0);
    assert_int_equal(omit.count, 2);
    assert_memory_equal(omit.names[0], "application", 11);
    assert_memory_equal(omit.names[1], "sig", 3);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&pull.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_omitted_fields_are_cut_and_the_others_kept_byte_for_byte),
        cmocka_unit_test(test_an_event_without_the_fields_goes_as_stored),
        cmocka_unit_test(test_bytes_that_do_not_parse_go_unchanged),
        cmocka_unit_test(test_a_pulls_omit_is_checked),
        cmocka_unit_test(test_a_field_is_found_in_the_stored_bytes),
        cmocka_unit_test(test_the_body_is_every_field_but_the_envelope),
        cmocka_unit_test(test_a_batchs_events_are_walked_in_its_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
