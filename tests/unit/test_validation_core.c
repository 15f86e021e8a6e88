/* Unit tests of validation's core on a temporary LMDB
 * (tests/unit/core_bench.h): intake's events go through
 * validation_apply_intake and the tests read validation's stream; a
 * request is refused (SERVICE_REFUSED). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core_bench.h"
#include "proto/charter.h"
#include "proto/doc.h"
#include "proto/kept_report.h"
#include "proto/messages.h"
#include "services/validation/validation.h"

#define S_AT 1795651200          /* 2026-11-26 00:00 UTC, the fixtures' reference day */

static const char *const s_no_dbs[] = {NULL};   /* validation keeps only its log */

static int s_setup(void **state)
{
    *state = core_bench_new(s_no_dbs);
    return 0;
}

static int s_teardown(void **state)
{
    core_bench_t *bench = *state;
    core_bench_destroy(&bench);
    return 0;
}

static size_t s_criteria_count(void)
{
    const charter_criterion_t *all;
    return charter_criteria(&all);
}

/*  kept_report_each: counts the criteria and keeps the one of `code`. */
typedef struct {
    const char *code;
    size_t count;
    kept_criterion_t criterion;
} found_t;

static int s_find(const kept_criterion_t *c, void *arg)
{
    found_t *f = arg;
    f->count++;
    if (c->code_len == strlen(f->code) && memcmp(c->code, f->code, c->code_len) == 0)
        f->criterion = *c;
    return 0;
}

static void s_submitted(core_bench_t *bench, const char *id, const char *fixture, const char *renews)
{
    char *application = core_bench_fixture(fixture);
    char extra[64] = "";
    if (renews)
        snprintf(extra, sizeof extra, ",\"renews\":\"%s\"", renews);
    int rc = core_bench_apply(bench, validation_apply_intake, NULL, "submitted", S_AT,
                              "{\"id\":\"%s\",\"revision\":1,\"at\":%d,\"application\":%s%s}", id, S_AT,
                              application, extra);
    free(application);
    assert_int_equal(rc, 0);
}

static void test_a_valid_application_goes_to_review(void **state)
{
    core_bench_t *bench = *state;
    s_submitted(bench, "a1", "applications/valid/scop-ancrage-conseil-nantes.json", "a0");
    const msgpack_object *validated = core_bench_event(bench, 0, "validated");
    assert_non_null(validated);
    assert_true(doc_str_eq(validated, "verdict", "review"));
    assert_non_null(doc_map(validated, "application"));
    assert_true(doc_str_eq(validated, "renews", "a0"));
    /* The report goes out compact (an array), every criterion in it. */
    const msgpack_object *report = doc_get(validated, "report");
    assert_true(report && report->type == MSGPACK_OBJECT_ARRAY);
    found_t found = {"ESS-ID", 0, {0}};
    proto_error_t err;
    assert_int_equal(kept_report_each(report, s_find, &found, &err), 0);
    assert_int_equal(found.count, s_criteria_count());
    assert_true(found.criterion.outcome_len == 4 && memcmp(found.criterion.outcome, "pass", 4) == 0);
}

static void test_an_incomplete_application_stays_with_intake(void **state)
{
    core_bench_t *bench = *state;
    s_submitted(bench, "a1", "applications/invalid/ESS-ID-siret-checksum.json", NULL);
    const msgpack_object *validated = core_bench_event(bench, 0, "validated");
    assert_non_null(validated);
    assert_true(doc_str_eq(validated, "verdict", "incomplete"));
    assert_null(doc_get(validated, "application"));   /* review gets nothing to judge */
    assert_null(doc_get(validated, "renews"));
    /* What intake and notify read of it: the blocking criterion and why. */
    found_t found = {"ESS-ID", 0, {0}};
    proto_error_t err;
    assert_int_equal(kept_report_each(doc_get(validated, "report"), s_find, &found, &err), 0);
    const kept_criterion_t *id = &found.criterion;
    assert_true(id->outcome_len == 4 && memcmp(id->outcome, "fail", 4) == 0 && id->blocking);
    assert_true(id->field_len == strlen("organisation.siret") && memcmp(id->field, "organisation.siret", id->field_len) == 0);
    assert_true(id->reason_len > 0);
}

static void test_appeal_and_erasure_are_passed_on(void **state)
{
    core_bench_t *bench = *state;
    s_submitted(bench, "a1", "applications/valid/scop-ancrage-conseil-nantes.json", NULL);
    int rc = core_bench_apply(bench, validation_apply_intake, NULL, "appealed", S_AT + 10,
                              "{\"seq\":9,\"v\":1,\"type\":\"appealed\",\"id\":\"a1\",\"revision\":1,\"at\":%d,"
                              "\"motivation\":\"Nous contestons.\"}", S_AT + 5);
    assert_int_equal(rc, 0);
    const msgpack_object *appealed = core_bench_event(bench, 1, "appealed");
    assert_true(doc_str_eq(appealed, "motivation", "Nous contestons."));
    uint64_t at = 0, seq = 0;
    assert_true(doc_uint(appealed, "at", &at));
    assert_int_equal(at, S_AT + 5);                    /* the moment intake saw */
    assert_true(doc_uint(appealed, "seq", &seq));
    assert_int_equal(seq, 2);                          /* validation's own seq */

    rc = core_bench_apply(bench, validation_apply_intake, NULL, "erased", S_AT + 20,
                          "{\"id\":\"a1\",\"at\":%d}", S_AT + 20);
    assert_int_equal(rc, 0);
    const msgpack_object *events = core_bench_events(bench, 0);
    assert_int_equal(doc_len(events), 3);
    assert_true(doc_str_eq(doc_at(events, 0), "type", "redacted"));
    assert_true(doc_str_eq(doc_at(events, 1), "type", "redacted"));
    assert_true(doc_str_eq(doc_at(events, 2), "type", "erased"));
    /* Other events are none of validation's business. */
    rc = core_bench_apply(bench, validation_apply_intake, NULL, "amended", S_AT, "{\"id\":\"a1\"}");
    assert_int_equal(rc, 0);
    assert_int_equal(core_bench_head(bench), 3);
}

static void test_requests_are_refused(void **state)
{
    core_bench_t *bench = *state;
    int rc = core_bench_request(bench, validation_handle, NULL, S_AT,
                                "{\"v\":1,\"type\":\"status\",\"id\":\"a1\"}");
    core_bench_assert_refused(bench, rc, PROTO_E_INVALID, "type", "unsupported");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_valid_application_goes_to_review, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_incomplete_application_stays_with_intake, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_appeal_and_erasure_are_passed_on, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_requests_are_refused, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
