/* Unit tests of proto/schema.c and proto/schema_check.c beyond the
 * application schema: every way a schema is refused when compiled, the
 * type names in messages, uniqueItems over every kind of value (the total
 * order it sorts by), long strings under a pattern, and values that only a
 * hand-built object can hold (non-string keys, ext). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "json_doc.h"

static void s_bad(const char *text, const char *field, const char *needle)
{
    proto_error_t err;
    schema_t *schema = schema_new(text, strlen(text), &err);
    if (schema)
        fail_msg("schema accepted: %s", text);
    assert_string_equal(err.rule, "schema");
    assert_string_equal(err.field, field);
    if (!strstr(err.message, needle))
        fail_msg("%s: message '%s' does not say '%s'", text, err.message, needle);
}

static void test_bad_keyword_values(void **state)
{
    (void) state;
    s_bad("{\"type\": []}", "", "must not be empty");
    s_bad("{\"type\": [\"string\", 3]}", "", "unknown type");
    s_bad("{\"properties\": []}", "", "must be an object");
    s_bad("{\"properties\": {\"a\": {\"properties\": {\"b\": {\"type\": \"nothing\"}}}}}", "a.b", "unknown type");
    s_bad("{\"required\": []}", "", "non-empty array of strings");
    s_bad("{\"required\": \"a\"}", "", "non-empty array of strings");
    s_bad("{\"enum\": [\"a\", null]}", "", "non-empty array of strings");
    s_bad("{\"uniqueItems\": \"yes\"}", "", "must be a boolean");
    s_bad("{\"x-public\": 1}", "", "must be a boolean");
    s_bad("{\"pattern\": 5}", "", "must be a string");
    s_bad("{\"maximum\": 1.5}", "", "must be an integer");
    s_bad("{\"minItems\": \"1\"}", "", "non-negative integer");
    s_bad("{\"maxItems\": -2}", "", "non-negative integer");
    s_bad("{\"minLength\": 1.0}", "", "non-negative integer");
    s_bad("{\"description\": 3}", "", "must be a string");
    s_bad("{\"title\": 3}", "", "must be a string");
    s_bad("{\"items\": {\"items\": 4}}", "[][]", "must be a JSON object");
    s_bad("[]", "", "must be a JSON object");
    /* With no error to fill, a refusal is still a NULL. */
    assert_null(schema_new("{\"type\": 1}", 11, NULL));
    assert_null(schema_new("", 0, NULL));
}

/* Checks value (JSON) against schema: the rule broken, or NULL. */
static void s_expect(const schema_t *schema, const char *json, const char *rule, const char *message)
{
    json_doc_t doc;
    json_doc_init(&doc, json);
    proto_error_t err;
    int rc = schema_validate(schema, &doc.obj, &err);
    if (!rule && rc)
        fail_msg("%s refused: %s", json, err.message);
    if (rule && (rc != -1 || strcmp(err.rule, rule)))
        fail_msg("%s: expected %s, got %d %s (%s)", json, rule, rc, err.rule, err.message);
    if (message)
        assert_string_equal(err.message, message);
    json_doc_fini(&doc);
}

static void test_type_names(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema("{\"type\": \"string\"}");
    s_expect(schema, "null", "type", "document: must be string, got null");
    s_expect(schema, "{}", "type", "document: must be string, got object");
    s_expect(schema, "[]", "type", "document: must be string, got array");
    s_expect(schema, "1.5", "type", "document: must be string, got number");
    s_expect(schema, "-3", "type", "document: must be string, got integer");
    s_expect(schema, "true", "type", "document: must be string, got boolean");

    /* bin and ext cannot be written in JSON. */
    msgpack_object value = { .type = MSGPACK_OBJECT_BIN, .via.bin = { 2, "ab" } };
    proto_error_t err;
    assert_int_equal(schema_validate(schema, &value, &err), -1);
    assert_string_equal(err.message, "document: must be string, got binary");
    value.type = MSGPACK_OBJECT_EXT;
    value.via.ext.type = 1;
    value.via.ext.size = 0;
    value.via.ext.ptr = NULL;
    assert_int_equal(schema_validate(schema, &value, &err), -1);
    assert_string_equal(err.message, "document: must be string, got ext");
    schema_destroy(&schema);

    /* An untyped schema takes anything, an ext too. */
    schema = json_doc_schema("{}");
    assert_int_equal(schema_validate(schema, &value, &err), 0);
    schema_destroy(&schema);
}

/* A closed object with a key that is not a string (only a hand-built
 * object can have one): reported at "?". */
static void test_non_string_key(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema("{\"type\": \"object\", \"additionalProperties\": false,"
                                " \"properties\": {\"a\": {}}}");
    msgpack_object_kv kv = {
        .key = { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 1 },
        .val = { .type = MSGPACK_OBJECT_NIL },
    };
    msgpack_object map = { .type = MSGPACK_OBJECT_MAP, .via.map = { 1, &kv } };
    proto_error_t err;
    assert_int_equal(schema_validate(schema, &map, &err), -1);
    assert_string_equal(err.rule, "additionalProperties");
    assert_string_equal(err.field, "?");
    schema_destroy(&schema);
}

static void test_unique_items_over_every_kind(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema("{\"type\": \"array\", \"uniqueItems\": true}");
    /* All distinct: different types, lengths, contents, orders. */
    s_expect(schema,
             "[null, true, false, 0, -1, 1.5, \"\", \"a\", \"ab\", \"b\", [], [1], [1, 2], [2],"
             " {}, {\"a\": 1}, {\"a\": 2}, {\"b\": 1}, {\"a\": 1, \"b\": 1}, [[1]], [[2]], [{\"a\": [1]}]]",
             NULL, NULL);
    s_expect(schema, "[true, 1, true]", "uniqueItems", "[2]: repeats an earlier item");
    s_expect(schema, "[false, false]", "uniqueItems", NULL);
    s_expect(schema, "[null, 1, null]", "uniqueItems", "[2]: repeats an earlier item");
    s_expect(schema, "[[1, [2]], 0, [1, [2]]]", "uniqueItems", "[2]: repeats an earlier item");
    s_expect(schema, "[{\"a\": {\"b\": 1}}, {\"a\": {\"b\": 1}}]", "uniqueItems", "[1]: repeats an earlier item");
    /* Maps compare key by key in stored order: the same pairs in another
     * order are different items (a documented difference). */
    s_expect(schema, "[{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}]", NULL, NULL);
    /* 1 and 1.0 are the same number; the earliest repeat is reported even
     * when a later pair sorts first. */
    s_expect(schema, "[\"z\", \"z\", 1, 1.0]", "uniqueItems", "[1]: repeats an earlier item");
    s_expect(schema, "[1, 2, 3, 2, 1]", "uniqueItems", "[3]: repeats an earlier item");
    /* Empty and single arrays are unique. */
    s_expect(schema, "[]", NULL, NULL);
    s_expect(schema, "[[]]", NULL, NULL);
    schema_destroy(&schema);
}

static void test_unique_bins_and_nans(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema("{\"type\": \"array\", \"uniqueItems\": true}");
    msgpack_object items[4] = {
        { .type = MSGPACK_OBJECT_BIN, .via.bin = { 2, "ab" } },
        { .type = MSGPACK_OBJECT_BIN, .via.bin = { 1, "a" } },
        { .type = MSGPACK_OBJECT_BIN, .via.bin = { 0, NULL } },
        { .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = NAN },
    };
    msgpack_object array = { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 4, items } };
    proto_error_t err;
    assert_int_equal(schema_validate(schema, &array, &err), 0);
    items[1].via.bin = (msgpack_object_bin) { 2, "ab" };
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.field, "[1]");
    /* NaN equals NaN, so the order stays total; NaN sorts after numbers. */
    items[1] = (msgpack_object) { .type = MSGPACK_OBJECT_FLOAT32, .via.f64 = NAN };
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.field, "[3]");
    items[1] = (msgpack_object) { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 7 };
    assert_int_equal(schema_validate(schema, &array, &err), 0);
    /* Two ext values compare equal (the wire never lets one through). */
    items[0] = (msgpack_object) { .type = MSGPACK_OBJECT_EXT };
    items[2] = (msgpack_object) { .type = MSGPACK_OBJECT_EXT };
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.field, "[2]");
    schema_destroy(&schema);
}

/* Beyond twice the wire's depth the comparison stops and calls the items
 * equal rather than recursing on: only a hand-built object gets there. */
static void test_unique_depth_bound(void **state)
{
    (void) state;
    enum { DEPTH = 70 };
    msgpack_object chains[2][DEPTH + 1];
    for (int c = 0; c < 2; c++) {
        for (int d = 0; d < DEPTH; d++)
            chains[c][d] = (msgpack_object) { .type = MSGPACK_OBJECT_ARRAY,
                                              .via.array = { 1, &chains[c][d + 1] } };
        chains[c][DEPTH] = (msgpack_object) { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t) c };
    }
    msgpack_object items[2] = { chains[0][0], chains[1][0] };
    msgpack_object array = { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 2, items } };
    schema_t *schema = json_doc_schema("{\"type\": \"array\", \"uniqueItems\": true}");
    proto_error_t err;
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.rule, "uniqueItems");
    schema_destroy(&schema);
}

/* A string longer than the stack buffer goes through a heap copy. */
static void test_long_string_under_a_pattern(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema("{\"type\": \"string\", \"pattern\": \"^a+$\"}");
    char json[1100];
    json[0] = '"';
    memset(json + 1, 'a', 1000);
    json[1001] = '"';
    json[1002] = 0;
    s_expect(schema, json, NULL, NULL);
    json[500] = 'b';
    s_expect(schema, json, "pattern", "document: does not match the pattern ^a+$");
    s_expect(schema, "\"a\\u0000a\"", "control", "document: must not contain the control character U+0000 (character 2)");
    schema_destroy(&schema);
}

/* Control characters are refused in every string, typed or not; line
 * breaks only outside x-multiline. */
static void test_control_characters(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        " \"line\": {\"type\": \"string\"},"
        " \"text\": {\"type\": \"string\", \"x-multiline\": true},"
        " \"any\": {},"
        " \"code\": {\"enum\": [\"a\\u0001\"]}}}");
    s_expect(schema, "{\"line\": \"a\\tb\", \"text\": \"a\\r\\nb\\tc\\n\"}", NULL, NULL);
    s_expect(schema, "{\"line\": \"a\\nb\"}", "control", "line: must be a single line, got a line break at character 2");
    s_expect(schema, "{\"text\": \"é\\u001f\"}", "control",
             "text: must not contain the control character U+001F (character 2)");
    s_expect(schema, "{\"any\": \"\\u007f\"}", "control",
             "any: must not contain the control character U+007F (character 1)");
    s_expect(schema, "{\"code\": \"a\\u0001\"}", "control",
             "code: must not contain the control character U+0001 (character 2)");
    schema_destroy(&schema);
    s_bad("{\"x-multiline\": \"yes\"}", "", "must be a boolean");
}

static void test_limits_messages(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        " \"one\": {\"type\": \"array\", \"minItems\": 1},"
        " \"two\": {\"type\": \"array\", \"minItems\": 2, \"maxItems\": 3},"
        " \"c\": {\"type\": \"string\", \"minLength\": 1},"
        " \"n\": {\"type\": \"integer\", \"minimum\": -5, \"maximum\": -1},"
        " \"e\": {\"enum\": [\"x\", \"y\"]}}}");
    s_expect(schema, "{\"one\": []}", "minItems", "one: at least 1 item, got 0");
    s_expect(schema, "{\"two\": [1]}", "minItems", "two: at least 2 items, got 1");
    s_expect(schema, "{\"two\": [1, 2, 3, 4]}", "maxItems", "two: at most 3 items, got 4");
    s_expect(schema, "{\"c\": \"\"}", "minLength", "c: at least 1 character, got 0");
    s_expect(schema, "{\"n\": -6}", "minimum", "n: at least -5, got -6");
    s_expect(schema, "{\"n\": 0}", "maximum", "n: at most -1, got 0");
    s_expect(schema, "{\"n\": -3}", NULL, NULL);
    s_expect(schema, "{\"e\": \"z\"}", "enum", "e: must be one of: x, y");
    s_expect(schema, "{\"e\": 3}", "enum", "e: must be one of: x, y");
    s_expect(schema, "{\"e\": \"y\"}", NULL, NULL);
    schema_destroy(&schema);

    /* Floats against integer limits. */
    schema = json_doc_schema("{\"type\": \"number\", \"minimum\": 0, \"maximum\": 10}");
    s_expect(schema, "-0.5", "minimum", "document: at least 0, got -0.5");
    s_expect(schema, "10.0", NULL, NULL);
    s_expect(schema, "10.25", "maximum", "document: at most 10, got 10.25");
    schema_destroy(&schema);
}

/* An enum list longer than the message can hold is cut, not overrun. */
static void test_long_enum_message(void **state)
{
    (void) state;
    char text[4096];
    int used = snprintf(text, sizeof text, "{\"enum\": [");
    for (int i = 0; i < 100; i++)
        used += snprintf(text + used, sizeof text - (size_t) used, "%s\"value_number_%03d\"", i ? ", " : "", i);
    snprintf(text + used, sizeof text - (size_t) used, "]}");
    schema_t *schema = json_doc_schema(text);
    proto_error_t err;
    msgpack_object value = { .type = MSGPACK_OBJECT_STR, .via.str = { 1, "z" } };
    assert_int_equal(schema_validate(schema, &value, &err), -1);
    assert_string_equal(err.rule, "enum");
    assert_non_null(strstr(err.message, "value_number_000"));
    assert_true(strlen(err.message) < sizeof err.message);
    schema_destroy(&schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_keyword_values),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_non_string_key),
        cmocka_unit_test(test_unique_items_over_every_kind),
        cmocka_unit_test(test_unique_bins_and_nans),
        cmocka_unit_test(test_unique_depth_bound),
        cmocka_unit_test(test_long_string_under_a_pattern),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_limits_messages),
        cmocka_unit_test(test_long_enum_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
