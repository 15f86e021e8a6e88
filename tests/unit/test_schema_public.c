/* Unit tests of proto/schema_public.c: the public projection, the privacy
 * boundary of the whole system.  What publication signs and streams to
 * every downstream site is schema_pack_public's output, so a field that
 * the schema does not mark "x-public" must never come out, however deep
 * it sits: in an object, in an object inside an array, in an array of
 * arrays of objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "json_doc.h"

typedef struct {
    json_doc_t in;          /* the document; its zone holds pub too */
    msgpack_sbuffer out;
    msgpack_object pub;
    char *json;             /* the projection as JSON */
} projection_t;

/* Decodes json, checks it against schema (it must be valid unless
 * `unchecked`), projects it: 0, or the projection's -1. */
static int s_project(projection_t *self, const schema_t *schema, const char *json, bool unchecked)
{
    memset(self, 0, sizeof *self);
    json_doc_init(&self->in, json);
    msgpack_sbuffer_init(&self->out);
    proto_error_t err;
    if (!unchecked && schema_validate(schema, &self->in.obj, &err))
        fail_msg("test document invalid: %s", err.message);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &self->out, msgpack_sbuffer_write);
    if (schema_pack_public(schema, &self->in.obj, &pk))
        return -1;
    assert_int_equal(wire_decode(self->out.data, self->out.size, &self->in.zone, &self->pub, &err), 0);
    self->json = json_codec_dump(&self->pub, false);
    assert_non_null(self->json);
    return 0;
}

static void s_done(projection_t *self)
{
    free(self->json);
    json_doc_fini(&self->in);
    msgpack_sbuffer_destroy(&self->out);
}

static void s_expect(const schema_t *schema, const char *json, const char *expected)
{
    projection_t p;
    assert_int_equal(s_project(&p, schema, json, false), 0);
    if (strcmp(p.json, expected) != 0)
        fail_msg("projection of %s\n  got      %s\n  expected %s", json, p.json, expected);
    assert_null(strstr(p.json, "SECRET"));
    s_done(&p);
}

/* An array of objects: each item keeps only its public properties, the
 * private one inside never comes out, keys stay in document order. */
static void test_array_of_objects(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        "  \"name\": {\"type\": \"string\", \"x-public\": true},"
        "  \"references\": {\"type\": \"array\", \"x-public\": true, \"items\": {"
        "    \"type\": \"object\", \"properties\": {"
        "      \"client\": {\"type\": \"string\", \"x-public\": true},"
        "      \"year\": {\"type\": \"integer\", \"x-public\": true},"
        "      \"contact\": {\"type\": \"string\"}}}}}}");
    s_expect(schema,
             "{\"references\": [{\"contact\": \"SECRET 1\", \"client\": \"Ville\", \"year\": 2024},"
             " {\"year\": 2023, \"contact\": \"SECRET 2\"}, {}],"
             " \"name\": \"Coop\"}",
             "{\"references\":[{\"client\":\"Ville\",\"year\":2024},{\"year\":2023},{}],\"name\":\"Coop\"}");
    s_expect(schema, "{\"references\": []}", "{\"references\":[]}");
    /* Undeclared keys inside an item (additionalProperties is open here)
     * are dropped, whatever they hold. */
    s_expect(schema, "{\"references\": [{\"client\": \"V\", \"notes\": {\"a\": \"SECRET\"}, \"x\": [\"SECRET\"]}]}",
             "{\"references\":[{\"client\":\"V\"}]}");
    schema_destroy(&schema);
}

/* The array itself is not marked, its items' properties are: the items
 * are still projected one by one. */
static void test_unmarked_array_of_marked_objects(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        "  \"people\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
        "    \"role\": {\"type\": \"string\", \"x-public\": true},"
        "    \"name\": {\"type\": \"string\"}}}}}}");
    s_expect(schema, "{\"people\": [{\"name\": \"SECRET\", \"role\": \"formatrice\"}, {\"name\": \"SECRET\"}]}",
             "{\"people\":[{\"role\":\"formatrice\"},{}]}");
    schema_destroy(&schema);
}

/* Nothing public below an array: the whole array is left out. */
static void test_private_array_left_out(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        "  \"id\": {\"type\": \"string\", \"x-public\": true},"
        "  \"trained\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
        "    \"name\": {\"type\": \"string\"}, \"hours\": {\"type\": \"integer\"}}}},"
        "  \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}}");
    s_expect(schema, "{\"trained\": [{\"name\": \"SECRET\", \"hours\": 3}], \"tags\": [\"SECRET\"], \"id\": \"a\"}",
             "{\"id\":\"a\"}");
    schema_destroy(&schema);
}

/* Objects in objects in arrays in objects: the boundary holds at every
 * level. */
static void test_deep_nesting(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {\"org\": {\"type\": \"object\", \"properties\": {"
        "  \"sites\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
        "    \"city\": {\"type\": \"string\", \"x-public\": true},"
        "    \"manager\": {\"type\": \"object\", \"properties\": {"
        "      \"name\": {\"type\": \"string\", \"x-public\": true},"
        "      \"phone\": {\"type\": \"string\"}}}}}}}}}}");
    s_expect(schema,
             "{\"org\": {\"sites\": [{\"manager\": {\"phone\": \"SECRET\", \"name\": \"Ana\"}, \"city\": \"Lyon\","
             " \"budget\": \"SECRET\"}]}, \"other\": \"SECRET\"}",
             "{\"org\":{\"sites\":[{\"manager\":{\"name\":\"Ana\"},\"city\":\"Lyon\"}]}}");
    schema_destroy(&schema);
}

/* An array of arrays of objects, the outer array marked public: the
 * objects deep inside are still projected, not copied whole. */
static void test_array_of_arrays_of_objects(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        "  \"grid\": {\"type\": \"array\", \"x-public\": true, \"items\": {\"type\": \"array\", \"items\": {"
        "    \"type\": \"object\", \"properties\": {"
        "      \"label\": {\"type\": \"string\", \"x-public\": true},"
        "      \"owner\": {\"type\": \"string\"}}}}}}}");
    s_expect(schema, "{\"grid\": [[{\"label\": \"a\", \"owner\": \"SECRET\"}], [], [{\"owner\": \"SECRET\"}]]}",
             "{\"grid\":[[{\"label\":\"a\"}],[],[{}]]}");
    schema_destroy(&schema);
}

/* A marked property without declared structure is copied whole; an
 * unmarked one whose descendants are marked but whose value has no
 * declared structure (null here) becomes nil, never its value. */
static void test_marked_values_and_nil(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        "  \"themes\": {\"type\": \"array\", \"x-public\": true, \"items\": {\"type\": \"string\"}},"
        "  \"contact\": {\"type\": [\"object\", \"null\"], \"properties\": {"
        "    \"email\": {\"type\": \"string\", \"x-public\": true}}},"
        "  \"anything\": {\"x-public\": true}}}");
    s_expect(schema, "{\"themes\": [\"a\", \"b\"], \"contact\": null, \"anything\": {\"k\": [1, 2.5, true]}}",
             "{\"themes\":[\"a\",\"b\"],\"contact\":null,\"anything\":{\"k\":[1,2.5,true]}}");
    s_expect(schema, "{\"contact\": {\"email\": \"e@x.fr\", \"name\": \"SECRET\"}}",
             "{\"contact\":{\"email\":\"e@x.fr\"}}");
    schema_destroy(&schema);
}

/* A document that does not have the declared shape is refused, never
 * copied: the projection assumes schema_validate ran, and says so when it
 * did not. */
static void test_wrong_shape_refused(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        "  \"org\": {\"type\": \"object\", \"x-public\": true, \"properties\": {"
        "    \"name\": {\"type\": \"string\", \"x-public\": true}}},"
        "  \"refs\": {\"type\": \"array\", \"x-public\": true, \"items\": {\"type\": \"object\", \"properties\": {"
        "    \"year\": {\"type\": \"integer\", \"x-public\": true}}}}}}");
    projection_t p;
    assert_int_equal(s_project(&p, schema, "[\"SECRET\"]", true), -1);
    s_done(&p);
    assert_int_equal(s_project(&p, schema, "{\"org\": [\"SECRET\"]}", true), -1);
    s_done(&p);
    assert_int_equal(s_project(&p, schema, "{\"refs\": {\"year\": \"SECRET\"}}", true), -1);
    s_done(&p);
    assert_int_equal(s_project(&p, schema, "{\"refs\": [[{\"year\": 1}]]}", true), -1);
    s_done(&p);
    schema_destroy(&schema);
}

/* A root schema without properties: the document is a value, public or
 * not as the root is marked. */
static void test_scalar_root(void **state)
{
    (void) state;
    schema_t *schema = json_doc_schema("{\"type\": \"string\", \"x-public\": true}");
    s_expect(schema, "\"hello\"", "\"hello\"");
    schema_destroy(&schema);
    schema = json_doc_schema("{\"type\": \"string\"}");
    s_expect(schema, "\"SECRET\"", "null");
    schema_destroy(&schema);
    schema = json_doc_schema("{\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
                      "\"a\": {\"x-public\": true}, \"b\": {}}}}");
    s_expect(schema, "[{\"a\": 1, \"b\": \"SECRET\"}]", "[{\"a\":1}]");
    schema_destroy(&schema);
}

/* The application schema: of references (an array of objects) and
 * trained_people, only the marked parts come out: the client and the
 * year, the session date; never the summary, the client's SIREN or a
 * trained person's name. */
static void test_application_arrays(void **state)
{
    (void) state;
    const char *app =
        "{\"organisation\": {\"name\": \"Coop\", \"private_contact\": {\"name\": \"SECRET\","
        " \"email\": \"SECRET@x.fr\", \"phone\": \"SECRET\"}},"
        " \"references\": [{\"client\": \"Régie\", \"client_siren\": \"SECRET\", \"year\": 2024,"
        " \"summary\": \"SECRET\"}],"
        " \"trained_people\": [{\"name\": \"SECRET\", \"session_date\": \"2026-03-12\"}]}";
    projection_t p;
    assert_int_equal(s_project(&p, schema_application(), app, true), 0);
    assert_null(strstr(p.json, "SECRET"));
    assert_string_equal(p.json, "{\"organisation\":{\"name\":\"Coop\"},\"references\":[{\"client\":\"Régie\","
                                "\"year\":2024}],\"trained_people\":[{\"session_date\":\"2026-03-12\"}]}");
    s_done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_of_objects),
        cmocka_unit_test(test_unmarked_array_of_marked_objects),
        cmocka_unit_test(test_private_array_left_out),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_array_of_arrays_of_objects),
        cmocka_unit_test(test_marked_values_and_nil),
        cmocka_unit_test(test_wrong_shape_refused),
        cmocka_unit_test(test_scalar_root),
        cmocka_unit_test(test_application_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
