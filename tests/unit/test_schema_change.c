/* Unit tests of proto/schema_change.c: which fields an update of a
 * listing changes, and whether the committee must see it.  A minor
 * update is published without a vote, so the class of each field is
 * what stands between an applicant and an unreviewed listing: every
 * field must carry its mark, the issue's lists must hold, and a change
 * nobody marked must count as substantive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/schema.h"
#include "proto/schema_change.h"
#include "json_doc.h"

#define S_BASE                                                                                     \
    "\"organisation\": {\"name\": \"Coop Conseil\", \"siret\": \"35600000000048\", "              \
    "\"legal_form\": \"scop\", \"address\": {\"postcode\": \"44000\", \"city\": \"Nantes\"}, "     \
    "\"public_contact\": {\"email\": \"a@b.fr\", \"phone\": \"02 40 00 00 00\"}, "                \
    "\"private_contact\": {\"name\": \"Anne\", \"email\": \"anne@b.fr\"}}, "                        \
    "\"principles\": {\"purpose\": \"p\", \"governance\": \"g\", \"surplus\": \"s\"}, "

#define S_REFS "\"references\": [{\"client\": \"Asso\", \"client_is_ess\": true, \"year\": 2022, " \
               "\"kind\": \"support\", \"summary\": \"RSE\"}], \"commitments\": {\"confidentiality\": true}"

static const char *s_before =
    "{" S_BASE "\"offer\": {\"scope\": [\"whole\"], \"formats\": [\"support\"], "
    "\"themes\": [\"csr_iso26000\"], \"departments\": [\"44\"]}, " S_REFS "}";

typedef struct {
    json_doc_t before, after;
    schema_changes_t changes;
} diff_t;

static void s_diff(diff_t *self, const char *before, const char *after)
{
    json_doc_init(&self->before, before);
    json_doc_init(&self->after, after);
    schema_changes(schema_application(), &self->before.obj, &self->after.obj, &self->changes);
}

static void s_done(diff_t *self)
{
    json_doc_fini(&self->before);
    json_doc_fini(&self->after);
}

/* ------------------------------------------------------------ the marks */

static void s_check_marked(const char *path, bool is_public, const char *type, const char *description,
                           void *arg)
{
    (void)is_public, (void)type, (void)description;
    size_t *count = arg;
    schema_change_t change = schema_change_of_field(schema_application(), path);
    if (change == SCHEMA_CHANGE_NONE)
        fail_msg("%s has no x-change mark", path);
    /* A value inside an array is compared with its array: its mark must
     * say the same, or the schema would promise what the code does not do. */
    const char *items = strstr(path, "[]");
    if (items) {
        char array[PROTO_FIELD_MAX];
        snprintf(array, sizeof array, "%.*s", (int)(items - path), path);
        assert_int_equal(change, schema_change_of_field(schema_application(), array));
    }
    (*count)++;
}

static void test_every_field_is_marked(void **state)
{
    (void)state;
    size_t count = 0;
    schema_foreach_field(schema_application(), s_check_marked, &count);
    assert_true(count > 50);
}

static void s_expect(const char *path, schema_change_t change)
{
    if (schema_change_of_field(schema_application(), path) != change)
        fail_msg("%s should be %s", path, schema_change_name(change));
}

/* The lists of issue #15: contacts, website, départements served, trained
 * people and sessions, formats are minor; legal form, purpose, governance,
 * surplus use, references, scope, themes are substantive. */
static void test_issue_lists(void **state)
{
    (void)state;
    const char *minor[] = {"organisation.public_contact", "organisation.public_contact.phone",
                           "organisation.public_contact.email", "organisation.private_contact.email",
                           "organisation.address.city", "organisation.website", "offer.departments",
                           "trained_people", "trained_people[].session_date", "offer.formats"};
    const char *substantive[] = {"organisation.legal_form", "principles.purpose", "principles.governance",
                                 "principles.surplus", "references", "references[].summary", "offer.scope",
                                 "offer.themes", "organisation.siret", "advisor", "organisation.name"};
    for (size_t i = 0; i < sizeof minor / sizeof *minor; i++)
        s_expect(minor[i], SCHEMA_CHANGE_MINOR);
    for (size_t i = 0; i < sizeof substantive / sizeof *substantive; i++)
        s_expect(substantive[i], SCHEMA_CHANGE_SUBSTANTIVE);
    assert_int_equal(schema_change_of_field(schema_application(), "organisation.nonexistent"), SCHEMA_CHANGE_NONE);
}

/* ---------------------------------------------------------- the changes */

static void test_nothing_changed(void **state)
{
    (void)state;
    diff_t d;
    s_diff(&d, s_before, s_before);
    assert_int_equal(d.changes.count, 0);
    assert_false(d.changes.substantive);
    char joined[64] = "x";
    schema_changes_join(&d.changes, joined, sizeof joined);
    assert_string_equal(joined, "");
    s_done(&d);
}

static void test_phone_is_minor(void **state)
{
    (void)state;
    diff_t d;
    char after[2048];
    snprintf(after, sizeof after, "%s", s_before);
    char *phone = strstr(after, "02 40 00 00 00");
    memcpy(phone, "02 51 11 22 33", 14);
    s_diff(&d, s_before, after);
    assert_int_equal(d.changes.count, 1);
    assert_string_equal(d.changes.fields[0].path, "organisation.public_contact.phone");
    assert_int_equal(d.changes.fields[0].change, SCHEMA_CHANGE_MINOR);
    assert_false(d.changes.substantive);
    s_done(&d);
}

static void test_themes_are_substantive_with_the_rest_in_order(void **state)
{
    (void)state;
    diff_t d;
    const char *after =
        "{" S_BASE "\"offer\": {\"scope\": [\"whole\"], \"formats\": [\"support\", \"training\"], "
        "\"themes\": [\"csr_iso26000\", \"democratic_governance\"], \"departments\": [\"44\", \"85\"]}, "
        S_REFS "}";
    s_diff(&d, s_before, after);
    assert_int_equal(d.changes.count, 3);
    assert_string_equal(d.changes.fields[0].path, "offer.formats");
    assert_string_equal(d.changes.fields[1].path, "offer.themes");
    assert_string_equal(d.changes.fields[2].path, "offer.departments");
    assert_int_equal(d.changes.fields[1].change, SCHEMA_CHANGE_SUBSTANTIVE);
    assert_true(d.changes.substantive);
    char joined[128];
    schema_changes_join(&d.changes, joined, sizeof joined);
    assert_string_equal(joined, "offer.formats, offer.themes, offer.departments");
    /* Cut on a whole path, never in the middle of one. */
    schema_changes_join(&d.changes, joined, 30);
    assert_string_equal(joined, "offer.formats, offer.themes");
    s_done(&d);
}

static void test_added_and_removed_members(void **state)
{
    (void)state;
    diff_t d;
    /* A website appears, the phone goes: both named, both minor. */
    char after[2048];
    snprintf(after, sizeof after, "%s", s_before);
    char *phone = strstr(after, ", \"phone\": \"02 40 00 00 00\"");
    memmove(phone, phone + strlen(", \"phone\": \"02 40 00 00 00\""), strlen(phone) - 26 + 1);
    char *name = strstr(after, "\"name\": \"Coop Conseil\", ");
    const char *site = "\"website\": \"https://coop.example\", ";
    memmove(name + strlen(site), name, strlen(name) + 1);
    memcpy(name, site, strlen(site));
    s_diff(&d, s_before, after);
    assert_int_equal(d.changes.count, 2);
    assert_string_equal(d.changes.fields[0].path, "organisation.website");
    assert_string_equal(d.changes.fields[1].path, "organisation.public_contact.phone");
    assert_false(d.changes.substantive);
    s_done(&d);
}

static void test_a_reference_counts_whole(void **state)
{
    (void)state;
    diff_t d;
    char after[2048];
    snprintf(after, sizeof after, "%s", s_before);
    char *summary = strstr(after, "\"RSE\"");
    memcpy(summary, "\"RSO\"", 5);
    s_diff(&d, s_before, after);
    assert_int_equal(d.changes.count, 1);
    assert_string_equal(d.changes.fields[0].path, "references");
    assert_true(d.changes.substantive);
    s_done(&d);
}

static void test_from_nothing(void **state)
{
    (void)state;
    json_doc_t doc;
    json_doc_init(&doc, s_before);
    schema_changes_t changes;
    schema_changes(schema_application(), NULL, &doc.obj, &changes);
    assert_true(changes.count >= 10);
    assert_true(changes.substantive);
    json_doc_fini(&doc);
}

/* A field nobody marked is for the committee, and so is a mark inherited
 * from an unmarked parent. */
static void test_unmarked_is_substantive(void **state)
{
    (void)state;
    schema_t *schema = json_doc_schema(
        "{\"type\": \"object\", \"properties\": {"
        "\"contact\": {\"type\": \"object\", \"x-change\": \"minor\", \"properties\": {\"phone\": {\"type\": \"string\"}}},"
        "\"note\": {\"type\": \"string\"}}}");
    json_doc_t a, b;
    json_doc_init(&a, "{\"contact\": {\"phone\": \"1\"}, \"note\": \"x\"}");
    json_doc_init(&b, "{\"contact\": {\"phone\": \"2\"}, \"note\": \"x\"}");
    schema_changes_t changes;
    schema_changes(schema, &a.obj, &b.obj, &changes);
    assert_int_equal(changes.count, 1);
    assert_string_equal(changes.fields[0].path, "contact.phone");
    assert_int_equal(changes.fields[0].change, SCHEMA_CHANGE_MINOR);
    assert_false(changes.substantive);
    json_doc_fini(&b);
    json_doc_init(&b, "{\"contact\": {\"phone\": \"1\"}, \"note\": \"y\"}");
    schema_changes(schema, &a.obj, &b.obj, &changes);
    assert_int_equal(changes.count, 1);
    assert_int_equal(changes.fields[0].change, SCHEMA_CHANGE_SUBSTANTIVE);
    assert_true(changes.substantive);
    json_doc_fini(&a);
    json_doc_fini(&b);
    schema_destroy(&schema);
}

static void test_bad_mark_refused(void **state)
{
    (void)state;
    const char *text = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"x-change\": \"small\"}}}";
    proto_error_t err;
    schema_t *schema = schema_new(text, strlen(text), &err);
    assert_null(schema);
    assert_string_equal(err.field, "a");
    assert_non_null(strstr(err.message, "x-change"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field_is_marked),
        cmocka_unit_test(test_issue_lists),
        cmocka_unit_test(test_nothing_changed),
        cmocka_unit_test(test_phone_is_minor),
        cmocka_unit_test(test_themes_are_substantive_with_the_rest_in_order),
        cmocka_unit_test(test_added_and_removed_members),
        cmocka_unit_test(test_a_reference_counts_whole),
        cmocka_unit_test(test_from_nothing),
        cmocka_unit_test(test_unmarked_is_substantive),
        cmocka_unit_test(test_bad_mark_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
