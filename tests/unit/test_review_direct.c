/* Unit tests of review's decisions without a round (services/review/direct.h)
 * on a temporary LMDB (tests/unit/core_bench.h): an imported listing, given
 * by validation with provenance "imported" and its original approval date,
 * is decided "approve" at once (the normal `decided`, no `queued`), listed
 * until three years after that date, due at its expiry, and entered once
 * however many times the event comes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "review_bench.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "services/review/review.h"

#define S_AT 1764547200          /* 2025-12-01 00:00 UTC: when review sees the file */
#define S_APPROVED 1710460800    /* 2024-03-15 00:00 UTC: the original approval */
#define S_EXPIRES 1805068800     /* 2027-03-15 00:00 UTC: three years later */

static int s_imported(fixture_t *t, const char *id)
{
    return core_bench_apply(t->bench, review_apply_validation, t->review, "validated", S_AT,
                            "{\"seq\":1,\"v\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":1,"
                            "\"at\":%d,\"verdict\":\"review\",\"report\":{\"verdict\":\"review\"},"
                            "\"provenance\":\"imported\",\"approved_at\":%d,\"application\":%s}",
                            id, S_AT, S_APPROVED, t->application);
}

static uint64_t s_uint(const msgpack_object *map, const char *key)
{
    uint64_t value = 0;
    assert_true(doc_uint(map, key, &value));
    return value;
}

static void test_imported_is_approved_without_a_round(void **state)
{
    fixture_t *t = *state;
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_imported(t, "i1"), 0);
    const msgpack_object *events = core_bench_events(t->bench, head);
    assert_int_equal(doc_len(events), 1);   /* decided, and no queued: no member is asked */
    const msgpack_object *decided = doc_at(events, 0);
    assert_true(doc_str_eq(decided, "type", "decided"));
    assert_true(doc_str_eq(decided, "id", "i1"));
    assert_true(doc_str_eq(decided, "decision", "approve"));
    assert_true(doc_str_eq(decided, "provenance", "imported"));
    assert_int_equal(s_uint(decided, "approved_at"), S_APPROVED);
    assert_int_equal(s_uint(decided, "expires"), S_EXPIRES);
    assert_int_equal(s_uint(decided, "at"), S_AT);
    assert_int_equal(doc_len(doc_array(decided, "voters")), 0);
    assert_int_equal(doc_len(doc_array(decided, "motivations")), 0);
    assert_non_null(doc_map(decided, "application"));
}

static void test_imported_twice_is_entered_once(void **state)
{
    fixture_t *t = *state;
    assert_int_equal(s_imported(t, "i1"), 0);
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_imported(t, "i1"), 0);
    assert_int_equal(core_bench_head(t->bench), head);
}

static void test_imported_listing_expires_from_its_date(void **state)
{
    fixture_t *t = *state;
    assert_int_equal(s_imported(t, "i1"), 0);
    core_bench_peer(t->bench, "staff", "staff");
    int rc = core_bench_request(t->bench, review_handle, t->review, S_AT,
                                "{\"v\":1,\"type\":\"tick\",\"now\":%d}", S_EXPIRES - 1);
    assert_int_equal(rc, 0);
    assert_int_equal(doc_len(doc_array(core_bench_reply(t->bench), "expired")), 0);
    rc = core_bench_request(t->bench, review_handle, t->review, S_AT, "{\"v\":1,\"type\":\"tick\",\"now\":%d}",
                            S_EXPIRES);
    assert_int_equal(rc, 0);
    const msgpack_object *expired = doc_array(core_bench_reply(t->bench), "expired");
    assert_int_equal(doc_len(expired), 1);
    assert_true(doc_is(doc_at(expired, 0), "i1"));
}

/*  A listed file cannot be the subject of a vote: the member's queue
 *  does not show it. */
static void test_imported_is_not_in_the_queue(void **state)
{
    fixture_t *t = *state;
    core_bench_peer(t->bench, "staff", "staff");
    int rc = core_bench_request(t->bench, review_handle, t->review, S_AT,
                                "{\"v\":1,\"type\":\"member_add\",\"name\":\"alice\",\"college\":\"researchers\","
                                "\"ties\":[],\"networks\":[]}");
    assert_int_equal(rc, 0);
    assert_int_equal(s_imported(t, "i1"), 0);
    core_bench_peer(t->bench, "member", "alice");
    rc = core_bench_request(t->bench, review_handle, t->review, S_AT, "{\"v\":1,\"type\":\"queue\"}");
    assert_int_equal(rc, 0);
    assert_int_equal(doc_len(doc_array(core_bench_reply(t->bench), "items")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_imported_is_approved_without_a_round, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_imported_twice_is_entered_once, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_imported_listing_expires_from_its_date, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_imported_is_not_in_the_queue, review_bench_setup, review_bench_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
