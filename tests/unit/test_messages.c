/* Unit tests of proto/messages: the strict gate in front of every handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/messages.h"
#include "proto/wire.h"

/* Packs a request from a compact description: pairs of key and a value
 * given as a tag: "s:text", "u:123", "b:1", "m:" (empty map), "a:" (empty
 * array). */
static int s_check(const char *const *pairs, size_t count, const char **type, proto_error_t *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, count);
    for (size_t i = 0; i < count; i++) {
        proto_pack_str(&pk, pairs[2 * i]);
        const char *value = pairs[2 * i + 1];
        if (value[0] == 's')
            proto_pack_str(&pk, value + 2);
        else if (value[0] == 'u')
            msgpack_pack_uint64(&pk, strtoull(value + 2, NULL, 10));
        else if (value[0] == 'b')
            msgpack_pack_true(&pk);
        else if (value[0] == 'm')
            msgpack_pack_map(&pk, 0);
        else
            msgpack_pack_array(&pk, 0);
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj;
    uint64_t rid;
    bool has_rid;
    int rc = wire_decode(buf.data, buf.size, &zone, &obj, err);
    if (rc == 0)
        rc = proto_request_check(&obj, type, &rid, &has_rid, err);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

typedef struct {
    const char *pairs[16];
    size_t count;
    const char *field;     /* NULL: accepted */
    const char *rule;
} case_t;

static void test_catalogue_table(void **state)
{
    static const case_t cases[] = {
        {{"v", "u:1", "type", "s:ping"}, 2, NULL, NULL},
        {{"v", "u:1", "type", "s:ping", "rid", "u:9"}, 3, NULL, NULL},
        /* "seq" is ignored on any message, whatever its value (README section 4.1). */
        {{"v", "u:1", "type", "s:ping", "seq", "u:5"}, 3, NULL, NULL},
        {{"v", "u:1", "type", "s:ping", "seq", "s:x"}, 3, NULL, NULL},
        {{"v", "u:1", "type", "s:status", "id", "s:abc", "seq", "u:1"}, 4, NULL, NULL},
        {{"type", "s:ping"}, 1, "v", "required"},
        {{"v", "u:2", "type", "s:ping"}, 2, "v", "version"},
        {{"v", "s:1", "type", "s:ping"}, 2, "v", "required"},
        {{"v", "u:1"}, 1, "type", "required"},
        {{"v", "u:1", "type", "s:submitted"}, 2, "type", "unknown_type"},
        {{"v", "u:1", "type", "s:status"}, 2, "id", "required"},
        {{"v", "u:1", "type", "s:status", "id", "u:4"}, 3, "id", "type"},
        {{"v", "u:1", "type", "s:status", "id", "s:"}, 3, "id", "min"},
        {{"v", "u:1", "type", "s:status", "id", "s:abc", "x", "u:1"}, 4, "x", "unknown_field"},
        {{"v", "u:1", "type", "s:submit", "application", "m:"}, 3, NULL, NULL},
        {{"v", "u:1", "type", "s:submit", "application", "a:"}, 3, "application", "type"},
        {{"v", "u:1", "type", "s:vote", "id", "s:a", "member", "s:m", "decision", "s:yes"}, 5, "decision", "enum"},
        {{"v", "u:1", "type", "s:vote", "id", "s:a", "member", "s:m", "decision", "s:changes"}, 5, NULL, NULL},
        {{"v", "u:1", "type", "s:member_add", "name", "s:A", "college", "s:ess_networks"}, 4, NULL, NULL},
        {{"v", "u:1", "type", "s:member_add", "name", "s:A", "college", "s:kings"}, 4, "college", "enum"},
        {{"v", "u:1", "type", "s:pull", "after", "u:0", "max", "u:1001"}, 4, "max", "range"},
        {{"v", "u:1", "type", "s:pull", "after", "u:0", "wait", "u:30001"}, 4, "wait", "range"},
        {{"v", "u:1", "type", "s:pull", "after", "u:18446744073709551615"}, 3, NULL, NULL},
        {{"v", "u:1", "type", "s:directory", "limit", "u:0"}, 3, "limit", "range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *type = NULL;
        proto_error_t err;
        proto_error_clear(&err);
        int rc = s_check(cases[i].pairs, cases[i].count, &type, &err);
        if (!cases[i].field) {
            assert_int_equal(rc, 0);
            assert_non_null(type);
        } else {
            assert_int_equal(rc, -1);
            assert_string_equal(err.field, cases[i].field);
            assert_string_equal(err.rule, cases[i].rule);
            assert_true(strlen(err.message) > 0);
        }
    }
}

static void test_error_messages_stay_valid_utf8(void **state)
{
    /* A quoted value cut at 40 bytes must not split "é" in two. */
    char value[64];
    memset(value, 'a', 39);
    memcpy(value + 39, "\xc3\xa9zz", 5);
    assert_int_equal(proto_utf8_prefix(value, strlen(value), 40), 39);
    assert_int_equal(proto_utf8_prefix(value, strlen(value), 41), 41);
    assert_int_equal(proto_utf8_prefix("abc", 3, 40), 3);
    proto_error_t err;
    char long_text[400];
    memset(long_text, 'x', sizeof long_text);
    memcpy(long_text + 250, "\xe2\x82\xac", 3);   /* a euro sign astride the 256-byte limit */
    long_text[399] = '\0';
    proto_error_set(&err, "f", "r", "%s", long_text);
    size_t len = strlen(err.message);
    assert_true(len <= 255);
    assert_false((unsigned char)err.message[len - 1] >= 0xC0);
}

static void s_count(const char *type, const char *kind, void *arg)
{
    (void)type;
    (void)kind;
    (*(int *)arg)++;
}

static void test_catalogue_lists_every_message(void **state)
{
    int count = 0;
    proto_foreach_message(s_count, &count);
    assert_true(count >= 28);
    assert_true(proto_is_decision("reject", 6));
    assert_false(proto_is_decision("rejected", 8));
    assert_true(proto_is_withdraw_reason("erased", 6));
    assert_true(proto_is_college("local_authorities", 17));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_table),
        cmocka_unit_test(test_error_messages_stay_valid_utf8),
        cmocka_unit_test(test_catalogue_lists_every_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
