/* Unit tests of common/doc: typed lookups that never trust the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/doc.h"

/* {"a": {"b": "xyz", "n": -3, "u": 7, "t": true}, "list": ["p", "q"]} */
static msgpack_object s_sample(msgpack_zone *zone, msgpack_sbuffer *buf)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "a", 1);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str_with_body(&pk, "b", 1);
    msgpack_pack_str_with_body(&pk, "xyz", 3);
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_int(&pk, -3);
    msgpack_pack_str_with_body(&pk, "u", 1);
    msgpack_pack_int(&pk, 7);
    msgpack_pack_str_with_body(&pk, "t", 1);
    msgpack_pack_true(&pk);
    msgpack_pack_str_with_body(&pk, "list", 4);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_str_with_body(&pk, "p", 1);
    msgpack_pack_str_with_body(&pk, "q", 1);
    msgpack_object obj;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(buf->data, buf->size, &off, zone, &obj), MSGPACK_UNPACK_SUCCESS);
    return obj;
}

static void test_lookups(void **state)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_object root = s_sample(&zone, &buf);

    char text[8];
    assert_int_equal(doc_strcpy(doc_map(&root, "a"), "b", text, sizeof text), 3);
    assert_string_equal(text, "xyz");
    assert_true(doc_is(doc_path(&root, "a.b"), "xyz"));
    assert_null(doc_path(&root, "a.b.c"));
    assert_null(doc_path(&root, "a.missing"));
    int64_t n;
    assert_true(doc_int(doc_map(&root, "a"), "n", &n));
    assert_int_equal(n, -3);
    uint64_t u;
    assert_false(doc_uint(doc_map(&root, "a"), "n", &u));
    assert_true(doc_uint(doc_map(&root, "a"), "u", &u));
    assert_true(doc_bool(doc_map(&root, "a"), "t", false));
    assert_false(doc_bool(doc_map(&root, "a"), "b", false));  /* wrong type reads as absent */
    assert_int_equal(doc_len(doc_array(&root, "list")), 2);
    assert_true(doc_array_has(&root, "list", "q"));
    assert_false(doc_array_has(&root, "list", "r"));
    assert_null(doc_array(&root, "a"));
    assert_int_equal(doc_strcpy(&root, "list", text, sizeof text), -1);

    msgpack_sbuffer_destroy(&buf);
    msgpack_zone_destroy(&zone);
}

static void test_truncating_copy(void **state)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_object root = s_sample(&zone, &buf);
    char small[3];
    assert_int_equal(doc_strcpy(doc_map(&root, "a"), "b", small, sizeof small), 3);
    assert_string_equal(small, "xy");
    msgpack_sbuffer_destroy(&buf);
    msgpack_zone_destroy(&zone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_truncating_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
