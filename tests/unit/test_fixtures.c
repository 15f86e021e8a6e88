/* The application fixtures, judged as the services judge them.
 *
 * Every JSON file under $ESSP_FIXTURES/applications/valid and .../invalid
 * goes through the real path: json_codec_to_msgpack, wire_decode,
 * schema_validate against the application schema, then charter_check.
 * The directories are listed at run time, so a new fixture is tested as
 * soon as it is added.  What each file must give is in its name (see
 * tests/fixtures/applications/README.md):
 *   valid/NAME.json          verdict review, no fail and no warn, on the
 *                            reference day and still on S_LATER;
 *   invalid/CODE-NAME.json   CODE fails (or warns, for the files listed in
 *                            s_warn_fixtures), every other code passes
 *                            or goes to review. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>

#include "proto/date.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "proto/charter.h"

/*  The reference day of the fixtures, and a later day on which the valid
 *  ones must still be valid. */
#define S_TODAY "2026-11-26"
#define S_LATER "2027-12-31"

#define S_FILES_MAX 256
#define S_NAME_MAX  256

/*  Invalid fixtures that break their criterion with a warn, not a fail. */
static const char *const s_warn_fixtures[] = {
    "REF-DATES-old.json",
    "LOY-NDA-shape.json",
};

#define COUNT(table) (sizeof table / sizeof *table)

typedef struct {
    size_t count;
    char names[S_FILES_MAX][S_NAME_MAX];
} s_listing_t;

static int s_compare(const void *a, const void *b)
{
    return strcmp(a, b);
}

static const char *s_root(void)
{
    const char *root = getenv("ESSP_FIXTURES");
    if (!root)
        fail_msg("ESSP_FIXTURES is not set (run through ctest)");
    return root;
}

/*  The *.json files of applications/<kind>, sorted. */
static void s_list(const char *kind, s_listing_t *listing)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/applications/%s", s_root(), kind);
    DIR *dir = opendir(path);
    if (!dir)
        fail_msg("cannot open %s", path);
    listing->count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t len = strlen(entry->d_name);
        if (len < 6 || strcmp(entry->d_name + len - 5, ".json") != 0)
            continue;
        assert_true(listing->count < S_FILES_MAX && len < S_NAME_MAX);
        memcpy(listing->names[listing->count++], entry->d_name, len + 1);
    }
    closedir(dir);
    qsort(listing->names, listing->count, S_NAME_MAX, s_compare);
}

static char *s_read(const char *kind, const char *name, size_t *size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/applications/%s/%s", s_root(), kind, name);
    FILE *file = fopen(path, "rb");
    if (!file)
        fail_msg("cannot open %s", path);
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    assert_true(length >= 0);
    rewind(file);
    char *text = malloc((size_t)length + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)length, file), (size_t)length);
    fclose(file);
    text[length] = '\0';
    *size = (size_t)length;
    return text;
}

static int32_t s_day(const char *text)
{
    int32_t day;
    assert_int_equal(date_parse(text, strlen(text), &day), 0);
    return day;
}

/*  Parses, decodes and schema-checks one fixture, then judges it on each
 *  day of `days` into reports[]. */
static void s_judge(const char *kind, const char *name, const char *const *days, size_t n,
                    charter_report_t *reports)
{
    size_t size;
    char *text = s_read(kind, name, &size);
    proto_error_t err;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (json_codec_to_msgpack(text, size, &buf, &err) != 0)
        fail_msg("%s/%s: not JSON: %s %s %s", kind, name, err.field, err.rule, err.message);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object application;
    if (wire_decode(buf.data, buf.size, &zone, &application, &err) != 0)
        fail_msg("%s/%s: wire: %s %s %s", kind, name, err.field, err.rule, err.message);
    if (schema_validate(schema_application(), &application, &err) != 0)
        fail_msg("%s/%s: schema refuses %s (%s): %s", kind, name, err.field, err.rule,
                 err.message);
    for (size_t i = 0; i < n; i++)
        charter_check(&application, s_day(days[i]), &reports[i]);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    free(text);
}

static void s_print(const char *name, const charter_report_t *report)
{
    fprintf(stderr, "--- %s\n", name);
    charter_report_text(report, stderr);
}

static void test_valid_fixtures_go_to_committee(void **state)
{
    static s_listing_t listing;
    s_list("valid", &listing);
    assert_true(listing.count >= 6);
    const char *const days[] = {S_TODAY, S_LATER};
    for (size_t f = 0; f < listing.count; f++) {
        charter_report_t reports[COUNT(days)];
        s_judge("valid", listing.names[f], days, COUNT(days), reports);
        for (size_t d = 0; d < COUNT(days); d++) {
            const charter_report_t *report = &reports[d];
            bool clean = report->verdict == CHARTER_VERDICT_REVIEW;
            for (size_t i = 0; i < report->count; i++)
                clean &= report->results[i].outcome == CRITERION_PASS
                      || report->results[i].outcome == CRITERION_REVIEW;
            if (!clean) {
                s_print(listing.names[f], report);
                fail_msg("valid/%s is not clean on %s", listing.names[f], days[d]);
            }
        }
    }
}

/*  The criterion whose code starts the file name (the longest one, so a
 *  code that is a prefix of another cannot steal its files). */
static const charter_criterion_t *s_criterion_of(const char *name)
{
    const charter_criterion_t *criteria, *best = NULL;
    size_t count = charter_criteria(&criteria);
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(criteria[i].code);
        if (strncmp(name, criteria[i].code, len) == 0 && name[len] == '-'
            && (!best || len > strlen(best->code)))
            best = &criteria[i];
    }
    return best;
}

static bool s_is_warn_fixture(const char *name)
{
    for (size_t i = 0; i < COUNT(s_warn_fixtures); i++)
        if (strcmp(s_warn_fixtures[i], name) == 0)
            return true;
    return false;
}

/*  Checks one invalid fixture and returns the outcome its code gave. */
static criterion_outcome_t s_check_invalid(const char *name)
{
    const charter_criterion_t *criterion = s_criterion_of(name);
    if (!criterion)
        fail_msg("invalid/%s: the name does not start with a criterion code", name);
    criterion_outcome_t expected = s_is_warn_fixture(name) ? CRITERION_WARN : CRITERION_FAIL;
    const char *const days[] = {S_TODAY};
    charter_report_t report;
    s_judge("invalid", name, days, 1, &report);
    bool as_named = true;
    for (size_t i = 0; i < report.count; i++) {
        const criterion_result_t *r = &report.results[i];
        if (strcmp(r->code, criterion->code) == 0)
            as_named &= r->outcome == expected;
        else
            as_named &= r->outcome == CRITERION_PASS || r->outcome == CRITERION_REVIEW;
    }
    if (!as_named) {
        s_print(name, &report);
        fail_msg("invalid/%s: expected %s %s and nothing else", name, criterion->code,
                 criterion_outcome_name(expected));
    }
    return expected;
}

static void test_invalid_fixtures_break_their_criterion(void **state)
{
    static s_listing_t listing;
    s_list("invalid", &listing);
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    unsigned covered[CHARTER_CRITERIA_MAX] = {0};
    for (size_t f = 0; f < listing.count; f++) {
        criterion_outcome_t outcome = s_check_invalid(listing.names[f]);
        covered[s_criterion_of(listing.names[f]) - criteria] |= CRITERION_OUTCOME_BIT(outcome);
    }
    /* every way a criterion can go wrong has its fixture */
    const criterion_outcome_t wrong[] = {CRITERION_FAIL, CRITERION_WARN};
    for (size_t i = 0; i < count; i++)
        for (size_t w = 0; w < COUNT(wrong); w++) {
            unsigned bit = CRITERION_OUTCOME_BIT(wrong[w]);
            if ((criteria[i].outcomes & bit) && !(covered[i] & bit))
                fail_msg("no invalid/%s-NAME.json fixture gives %s", criteria[i].code,
                         criterion_outcome_name(wrong[w]));
        }
}

static void test_warn_table_names_existing_files(void **state)
{
    static s_listing_t listing;
    s_list("invalid", &listing);
    for (size_t i = 0; i < COUNT(s_warn_fixtures); i++)
        assert_non_null(bsearch(s_warn_fixtures[i], listing.names, listing.count, S_NAME_MAX,
                                s_compare));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_fixtures_go_to_committee),
        cmocka_unit_test(test_invalid_fixtures_break_their_criterion),
        cmocka_unit_test(test_warn_table_names_existing_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
