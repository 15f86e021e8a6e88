/* Unit tests of the listing: directory filters, French labels (which must
 * cover every code of the schema), the sort key and the CSV form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/directory.h"
#include "proto/labels.h"
#include "proto/json_codec.h"
#include "proto/wire.h"

#include <stdio.h>
#include <stdlib.h>

static const char s_entry_json[] =
    "{\"organisation\": {\"name\": \"École des Transitions, \\\"Solidaires\\\"\", \"siret\": \"85364556200010\","
    " \"legal_form\": \"scic\", \"address\": {\"street\": \"1 rue A\", \"postcode\": \"49000\", \"city\": \"Angers\"},"
    " \"public_contact\": {\"email\": \"a@b.example\"}},"
    " \"offer\": {\"scope\": [\"whole\"], \"formats\": [\"support\", \"training\"],"
    " \"themes\": [\"democratic_governance\", \"diversity_equality\"], \"departments\": [\"49\", \"2A\"],"
    " \"description\": \"Ligne une\\nCOOPÉRATIVE d'accompagnement\"},"
    " \"id\": \"abc123\", \"version\": 2, \"approved_at\": 1764115200}";

typedef struct {
    msgpack_sbuffer buf;
    msgpack_zone zone;
    msgpack_object obj;
} doc_t;

static void s_doc(doc_t *d, const char *json)
{
    proto_error_t err;
    msgpack_sbuffer_init(&d->buf);
    msgpack_zone_init(&d->zone, 4096);
    assert_int_equal(json_codec_to_msgpack(json, strlen(json), &d->buf, &err), 0);
    assert_int_equal(wire_decode(d->buf.data, d->buf.size, &d->zone, &d->obj, &err), 0);
}

static void s_doc_free(doc_t *d)
{
    msgpack_sbuffer_destroy(&d->buf);
    msgpack_zone_destroy(&d->zone);
}

/*  Does the entry match the request given as JSON? */
static bool s_match(const char *request_json)
{
    doc_t entry, request;
    s_doc(&entry, s_entry_json);
    s_doc(&request, request_json);
    directory_filter_t filter;
    proto_error_t err;
    assert_int_equal(directory_filter_from_request(&request.obj, &filter, &err), 0);
    bool matches = directory_matches(&filter, &entry.obj);
    s_doc_free(&entry);
    s_doc_free(&request);
    return matches;
}

static void test_filters_combine(void **state)
{
    assert_true(s_match("{}"));
    assert_true(s_match("{\"department\": \"2A\"}"));
    assert_false(s_match("{\"department\": \"44\"}"));
    assert_true(s_match("{\"department\": \"49\", \"format\": \"training\", \"theme\": \"diversity_equality\"}"));
    assert_false(s_match("{\"department\": \"49\", \"format\": \"training\", \"scope\": \"specific\"}"));
    assert_true(s_match("{\"legal_form\": \"scic\", \"scope\": \"whole\"}"));
    assert_false(s_match("{\"legal_form\": \"scop\"}"));
    assert_true(s_match("{\"department\": \"\", \"q\": \"\"}"));
}

static void test_free_text_is_folded(void **state)
{
    assert_true(s_match("{\"q\": \"ecole\"}"));
    assert_true(s_match("{\"q\": \"ÉCOLE transitions\"}"));
    assert_true(s_match("{\"q\": \"coopérative\"}"));
    assert_true(s_match("{\"q\": \"  ANGERS  \"}"));
    assert_true(s_match("{\"q\": \"49000\"}"));
    assert_false(s_match("{\"q\": \"ecole nantes\"}"));
    assert_false(s_match("{\"q\": \"absent\"}"));
}

static void test_unknown_codes_are_refused_naming_the_field(void **state)
{
    static const struct { const char *json, *field, *rule; } cases[] = {
        {"{\"theme\": \"gardening\"}", "theme", "enum"},
        {"{\"department\": \"99\"}", "department", "enum"},
        {"{\"format\": \"webinar\"}", "format", "enum"},
        {"{\"scope\": \"all\"}", "scope", "enum"},
        {"{\"legal_form\": \"sarl\"}", "legal_form", "enum"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        doc_t request;
        s_doc(&request, cases[i].json);
        directory_filter_t filter;
        proto_error_t err;
        assert_int_equal(directory_filter_from_request(&request.obj, &filter, &err), -1);
        assert_string_equal(err.field, cases[i].field);
        assert_string_equal(err.rule, cases[i].rule);
        s_doc_free(&request);
    }
    char q[DIRECTORY_Q_MAX + 20];
    memset(q, 'a', sizeof q);
    char json[sizeof q + 16];
    snprintf(json, sizeof json, "{\"q\": \"%.*s\"}", DIRECTORY_Q_MAX, q);
    doc_t request;
    s_doc(&request, json);
    directory_filter_t filter;
    proto_error_t err;
    assert_int_equal(directory_filter_from_request(&request.obj, &filter, &err), -1);
    assert_string_equal(err.field, "q");
    s_doc_free(&request);
}

/*  Every code the schema allows has a French label, and nothing more. */
static void test_labels_cover_the_schema(void **state)
{
    const char *fixtures = getenv("ESSP_FIXTURES");
    assert_non_null(fixtures);
    char path[512];
    snprintf(path, sizeof path, "%s/../../proto/application.schema.json", fixtures);
    json_error_t error;
    json_t *schema = json_load_file(path, 0, &error);
    assert_non_null(schema);
    static const struct { const char *path; directory_kind_t kind; } enums[] = {
        {"/properties/offer/properties/themes/items/enum", DIRECTORY_THEME},
        {"/properties/organisation/properties/legal_form/enum", DIRECTORY_LEGAL_FORM},
        {"/properties/offer/properties/formats/items/enum", DIRECTORY_FORMAT},
        {"/properties/offer/properties/scope/items/enum", DIRECTORY_SCOPE},
    };
    for (size_t e = 0; e < sizeof enums / sizeof *enums; e++) {
        json_t *node = schema;
        char copy[256];
        snprintf(copy, sizeof copy, "%s", enums[e].path);
        for (char *part = strtok(copy, "/"); part && node; part = strtok(NULL, "/"))
            node = json_object_get(node, part);
        assert_non_null(node);
        const char *const *codes;
        assert_int_equal(directory_codes(enums[e].kind, &codes), json_array_size(node));
        for (size_t i = 0; i < json_array_size(node); i++) {
            const char *code = json_string_value(json_array_get(node, i));
            assert_non_null(directory_label(enums[e].kind, code, strlen(code)));
        }
    }
    json_decref(schema);
    const char *const *departments;
    assert_int_equal(directory_codes(DIRECTORY_DEPARTMENT, &departments), 102);
    assert_string_equal(directory_label(DIRECTORY_DEPARTMENT, "44", 2), "Loire-Atlantique");
}

/*  One table per label set (proto/labels.h), the directory's labels are
 *  its labels, and one wording: a capital first, the typographic
 *  apostrophe, no code without its label nor label twice. */
static void test_labels_are_one_table_per_set(void **state)
{
    for (int set = 0; set < LABELS_SET_COUNT; set++) {
        size_t count;
        const label_t *table = labels_table((labels_set_t)set, &count);
        const char *const *codes;
        assert_int_equal(directory_codes((directory_kind_t)set, &codes), count);
        assert_null(table[count].code);
        for (size_t i = 0; i < count; i++) {
            assert_string_equal(codes[i], table[i].code);
            const char *label = table[i].label;
            assert_ptr_equal(directory_label((directory_kind_t)set, codes[i], strlen(codes[i])), label);
            assert_ptr_equal(labels_find((labels_set_t)set, codes[i], strlen(codes[i])), label);
            assert_null(strchr(label, '\''));
            assert_false(label[0] >= 'a' && label[0] <= 'z');
            for (size_t j = 0; j < i; j++)
                assert_string_not_equal(table[j].label, label);
        }
    }
    assert_string_equal(labels_set_name(LABELS_LEGAL_FORM), "legal_form");
    assert_string_equal(labels_find(LABELS_LEGAL_FORM, "scop", 4),
                        "Société coopérative et participative (SCOP)");
    assert_null(labels_find(LABELS_LEGAL_FORM, "sarl", 4));
    assert_null(labels_find(LABELS_THEME, "democratic", 10));
}

static void test_sort_key_is_folded_name_then_id(void **state)
{
    doc_t entry;
    s_doc(&entry, s_entry_json);
    char key[480];
    size_t len = directory_sort_key(&entry.obj, key, sizeof key);
    static const char expected[] = "ecole des transitions solidaires\x01" "abc123";
    assert_int_equal(len, sizeof expected - 1);
    assert_memory_equal(key, expected, len);
    s_doc_free(&entry);
}

static void test_csv_row_is_rfc4180(void **state)
{
    doc_t entry;
    s_doc(&entry, s_entry_json);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_int_equal(directory_csv_header(out), 0);
    assert_int_equal(directory_csv_row(out, &entry.obj), 0);
    fclose(out);
    const char *row = strstr(text, "\r\n") + 2;
    static const char expected[] =
        "abc123,\"École des Transitions, \"\"Solidaires\"\"\",Société coopérative d’intérêt collectif (SCIC),"
        "85364556200010,1 rue A,49000,Angers,49; 2A,"
        "\"Gouvernance démocratique; Diversité, non-discrimination et égalité femmes-hommes\","
        "Accompagnement; Formation,Démarche d’amélioration continue dans son ensemble,a@b.example,,,"
        "\"Ligne une\nCOOPÉRATIVE d'accompagnement\",2,2025-11-26\r\n";
    assert_string_equal(row, expected);
    assert_int_equal(strncmp(text, "identifiant,nom,", 16), 0);
    free(text);
    s_doc_free(&entry);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters_combine),
        cmocka_unit_test(test_free_text_is_folded),
        cmocka_unit_test(test_unknown_codes_are_refused_naming_the_field),
        cmocka_unit_test(test_labels_cover_the_schema),
        cmocka_unit_test(test_labels_are_one_table_per_set),
        cmocka_unit_test(test_sort_key_is_folded_name_then_id),
        cmocka_unit_test(test_csv_row_is_rfc4180),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
