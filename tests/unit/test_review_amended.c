/* Unit tests of review's updates of a listing (services/review/amended.h)
 * on a temporary LMDB (tests/unit/core_bench.h).  A listed file comes back
 * with a new revision: minor changes only are decided "approve" at once
 * (no queued, no voters, the listing's term and first approval kept); a
 * substantive change opens a round and the file stays a listing (it still
 * expires, a complaint still reaches it); a rejection goes back to the
 * listed application, which the next update is compared with; a complaint
 * drops an update that waits, so a reinstatement lists what was listed.
 * Conflicts follow the document judged: once a refused or dropped update
 * is gone, the listing's ties and networks recuse again, and the update's
 * do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core_bench.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "services/review/review.h"

#define S_AT 1764547200          /* 2025-12-01 00:00 UTC: the first approval */
#define S_LATER 1767225600       /* 2026-01-01 00:00 UTC: the update */
#define S_FIXTURE "applications/valid/scop-ancrage-conseil-nantes.json"
#define S_PHONE "02 40 48 17 35"
#define S_THEMES "\"strategy_consultation\"\n    ]"
#define S_TIE "969 879 733"        /* the listing's declared tie */
#define S_NEW_TIE "552 081 317"    /* the one the update declares instead */
#define S_NETWORK "\"CRESS Pays de la Loire\""

static const char *const s_members[][2] = {
    {"alice", "researchers"}, {"bob", "local_authorities"}, {"carol", "ess_networks"}};

typedef struct {
    core_bench_t *bench;
    void *review;
    char *application;
    char *phone;                 /* the application with another phone number */
    char *themes;                /* with other themes */
    char *both;                  /* the phone and the themes changed */
    char *ties;                  /* S_TIE and S_NETWORK dropped, S_NEW_TIE declared */
} fixture_t;

/*  text with its one occurrence of `from` replaced by `to`, malloc'd. */
static char *s_replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    size_t head = (size_t)(at - text), len = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(len + 1);
    memcpy(out, text, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    return out;
}

static void s_vote_all(fixture_t *t, const char *id, const char *decision)
{
    for (size_t i = 0; i < 3; i++) {
        core_bench_peer(t->bench, "member", s_members[i][0]);
        assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_LATER,
                                            "{\"v\":1,\"type\":\"vote\",\"id\":\"%s\",\"decision\":\"%s\","
                                            "\"motivation\":\"Les références ne couvrent pas ces thèmes.\"}",
                                            id, decision), 0);
    }
}

static int s_validated(fixture_t *t, const char *id, int revision, const char *application, int64_t at)
{
    return core_bench_apply(t->bench, review_apply_validation, t->review, "validated", at,
                            "{\"seq\":1,\"v\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":%d,"
                            "\"at\":%lld,\"verdict\":\"review\",\"report\":{\"verdict\":\"review\"},"
                            "\"application\":%s}", id, revision, (long long)at, application);
}

static int s_setup(void **state)
{
    fixture_t *t = calloc(1, sizeof *t);
    t->bench = core_bench_new(review_dbs);
    review_rules_t rules = {.quorum_votes = 3, .quorum_colleges = 2, .listing_years = 3, .expiry_follows = true};
    t->review = review_context_new(rules);
    t->application = core_bench_fixture(S_FIXTURE);
    t->phone = s_replace(t->application, S_PHONE, "02 51 11 22 33");
    /* Four themes become five. */
    t->themes = s_replace(t->application, S_THEMES, "\"strategy_consultation\", \"diversity_equality\"]");
    t->both = s_replace(t->themes, S_PHONE, "02 51 11 22 33");
    char *tie = s_replace(t->application, S_TIE, S_NEW_TIE);
    t->ties = s_replace(tie, ",\n      " S_NETWORK, "");
    free(tie);
    *state = t;
    for (size_t i = 0; i < 3; i++) {
        core_bench_peer(t->bench, "staff", "staff");
        assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_AT,
                                            "{\"v\":1,\"type\":\"member_add\",\"name\":\"%s\",\"college\":\"%s\","
                                            "\"ties\":[],\"networks\":[]}", s_members[i][0], s_members[i][1]), 0);
    }
    /* Listed: validated, three approvals. */
    assert_int_equal(s_validated(t, "l1", 1, t->application, S_AT), 0);
    for (size_t i = 0; i < 3; i++) {
        core_bench_peer(t->bench, "member", s_members[i][0]);
        assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_AT,
                                            "{\"v\":1,\"type\":\"vote\",\"id\":\"l1\",\"decision\":\"approve\"}"), 0);
    }
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *t = *state;
    review_context_destroy(&t->review);
    core_bench_destroy(&t->bench);
    free(t->application);
    free(t->phone);
    free(t->themes);
    free(t->both);
    free(t->ties);
    free(t);
    return 0;
}

static uint64_t s_uint(const msgpack_object *map, const char *key)
{
    uint64_t value = 0;
    assert_true(doc_uint(map, key, &value));
    return value;
}

/*  The phone of a decided event's application. */
static bool s_phone_is(const msgpack_object *decided, const char *phone)
{
    return doc_str_eq(doc_map(doc_map(doc_map(decided, "application"), "organisation"), "public_contact"), "phone",
                      phone);
}

static size_t s_themes(const msgpack_object *decided)
{
    return doc_len(doc_array(doc_map(doc_map(decided, "application"), "offer"), "themes"));
}

static void test_minor_is_published_at_once(void **state)
{
    fixture_t *t = *state;
    uint64_t head = core_bench_head(t->bench);
    const msgpack_object *first = core_bench_event(t->bench, 0, "decided");
    uint64_t expires = s_uint(first, "expires");
    assert_int_equal(s_validated(t, "l1", 2, t->phone, S_LATER), 0);
    const msgpack_object *events = core_bench_events(t->bench, head);
    assert_int_equal(doc_len(events), 1);          /* decided, and no queued: nobody votes */
    const msgpack_object *decided = doc_at(events, 0);
    assert_true(doc_str_eq(decided, "type", "decided") && doc_str_eq(decided, "decision", "approve"));
    assert_true(doc_str_eq(decided, "change", "minor"));
    assert_int_equal(s_uint(decided, "revision"), 2);
    assert_int_equal(s_uint(decided, "round"), 1);
    assert_int_equal(doc_len(doc_array(decided, "voters")), 0);
    assert_int_equal(s_uint(decided, "approved_at"), S_AT);
    assert_int_equal(s_uint(decided, "expires"), expires);
    assert_true(s_phone_is(decided, "02 51 11 22 33"));
    /* Still a listing: it expires on its day. */
    core_bench_peer(t->bench, "staff", "staff");
    assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_LATER,
                                        "{\"v\":1,\"type\":\"tick\",\"now\":%llu}", (unsigned long long)expires), 0);
    assert_int_equal(doc_len(doc_array(core_bench_reply(t->bench), "expired")), 1);
}

static void test_substantive_goes_to_a_round_and_a_rejection_keeps_the_listing(void **state)
{
    fixture_t *t = *state;
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_validated(t, "l1", 2, t->themes, S_LATER), 0);
    const msgpack_object *queued = core_bench_event(t->bench, head, "queued");
    assert_non_null(queued);
    assert_int_equal(s_uint(queued, "round"), 2);
    assert_null(core_bench_event(t->bench, head, "decided"));
    head = core_bench_head(t->bench);
    s_vote_all(t, "l1", "reject");
    const msgpack_object *decided = core_bench_event(t->bench, head, "decided");
    assert_true(doc_str_eq(decided, "decision", "reject") && doc_str_eq(decided, "change", "substantive"));
    /* The next update is compared with the listing: a phone change alone
     * is minor, and what is listed keeps the listing's themes. */
    head = core_bench_head(t->bench);
    assert_int_equal(s_validated(t, "l1", 3, t->phone, S_LATER), 0);
    decided = core_bench_event(t->bench, head, "decided");
    assert_non_null(decided);
    assert_null(core_bench_event(t->bench, head, "queued"));
    assert_true(doc_str_eq(decided, "change", "minor") && s_phone_is(decided, "02 51 11 22 33"));
    assert_int_equal(s_themes(decided), 4);
}

static void test_an_approved_substantive_update_keeps_the_term(void **state)
{
    fixture_t *t = *state;
    uint64_t expires = s_uint(core_bench_event(t->bench, 0, "decided"), "expires");
    assert_int_equal(s_validated(t, "l1", 2, t->both, S_LATER), 0);
    uint64_t head = core_bench_head(t->bench);
    s_vote_all(t, "l1", "approve");
    const msgpack_object *decided = core_bench_event(t->bench, head, "decided");
    assert_true(doc_str_eq(decided, "decision", "approve") && doc_str_eq(decided, "change", "substantive"));
    assert_int_equal(s_uint(decided, "approved_at"), S_AT);
    assert_int_equal(s_uint(decided, "expires"), expires);
    assert_int_equal(s_themes(decided), 5);
    assert_int_equal(doc_len(doc_array(decided, "voters")), 3);
}

/*  A complaint while an update waits: the committee judges the listing as
 *  it is on the directory, and a reinstatement lists that, not the update. */
static void test_a_complaint_drops_the_update_that_waits(void **state)
{
    fixture_t *t = *state;
    assert_int_equal(s_validated(t, "l1", 2, t->both, S_LATER), 0);
    core_bench_peer(t->bench, "staff", "staff");
    assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_LATER,
                                        "{\"v\":1,\"type\":\"complaint\",\"id\":\"l1\","
                                        "\"reason\":\"Un client conteste une mission.\"}"), 0);
    uint64_t head = core_bench_head(t->bench);
    s_vote_all(t, "l1", "reinstate");
    const msgpack_object *decided = core_bench_event(t->bench, head, "decided");
    assert_true(doc_str_eq(decided, "decision", "reinstate"));
    assert_true(s_phone_is(decided, S_PHONE));
    assert_int_equal(s_themes(decided), 4);
    assert_null(doc_get(decided, "change"));
}

/*  Members with conflicts: dave tied to the listing's declared tie, erin
 *  to the update's, fay a member of a network only the listing declares. */
static void s_add_conflicted(fixture_t *t)
{
    static const char *const members[] = {
        "\"name\":\"dave\",\"college\":\"researchers\",\"ties\":[\"" S_TIE "\"]",
        "\"name\":\"erin\",\"college\":\"local_authorities\",\"ties\":[\"" S_NEW_TIE "\"]",
        "\"name\":\"fay\",\"college\":\"ess_networks\",\"networks\":[" S_NETWORK "]"};
    core_bench_peer(t->bench, "staff", "staff");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_LATER,
                                            "{\"v\":1,\"type\":\"member_add\",%s}", members[i]), 0);
}

/*  What member's queue says of l1: recused or not. */
static bool s_recused(fixture_t *t, const char *member)
{
    core_bench_peer(t->bench, "member", member);
    assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_LATER, "{\"v\":1,\"type\":\"queue\"}"),
                     0);
    const msgpack_object *items = doc_array(core_bench_reply(t->bench), "items");
    for (size_t i = 0; i < doc_len(items); i++)
        if (doc_str_eq(doc_at(items, i), "id", "l1"))
            return doc_bool(doc_at(items, i), "recused", false);
    fail_msg("l1 is not in %s's queue", member);
    return false;
}

static void s_complaint(fixture_t *t)
{
    core_bench_peer(t->bench, "staff", "staff");
    assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_LATER,
                                        "{\"v\":1,\"type\":\"complaint\",\"id\":\"l1\","
                                        "\"reason\":\"Un client conteste une mission.\"}"), 0);
}

/*  The complaint round judges the listing: its tie and its network recuse
 *  dave (his vote is refused) and fay; the update's tie no longer recuses
 *  erin, whose vote counts. */
static void s_assert_listing_conflicts(fixture_t *t)
{
    assert_true(s_recused(t, "dave"));
    assert_true(s_recused(t, "fay"));
    assert_false(s_recused(t, "erin"));
    core_bench_peer(t->bench, "member", "dave");
    int rc = core_bench_request(t->bench, review_handle, t->review, S_LATER,
                                "{\"v\":1,\"type\":\"vote\",\"id\":\"l1\",\"decision\":\"reinstate\"}");
    core_bench_assert_refused(t->bench, rc, "forbidden", "member", "recused");
    core_bench_peer(t->bench, "member", "erin");
    assert_int_equal(core_bench_request(t->bench, review_handle, t->review, S_LATER,
                                        "{\"v\":1,\"type\":\"vote\",\"id\":\"l1\",\"decision\":\"reinstate\"}"), 0);
    assert_string_equal(core_bench_reply_type(t->bench), "vote_ack");
}

static void test_a_rejected_update_gives_back_the_listings_conflicts(void **state)
{
    fixture_t *t = *state;
    s_add_conflicted(t);
    assert_int_equal(s_validated(t, "l1", 2, t->ties, S_LATER), 0);
    /* The update's round judges the update: its tie, not the listing's. */
    assert_false(s_recused(t, "dave"));
    assert_false(s_recused(t, "fay"));
    assert_true(s_recused(t, "erin"));
    s_vote_all(t, "l1", "reject");
    s_complaint(t);
    s_assert_listing_conflicts(t);
}

static void test_a_dropped_update_gives_back_the_listings_conflicts(void **state)
{
    fixture_t *t = *state;
    s_add_conflicted(t);
    assert_int_equal(s_validated(t, "l1", 2, t->ties, S_LATER), 0);
    s_complaint(t);
    s_assert_listing_conflicts(t);
}

/*  Approved, the update is the listing: its conflicts hold from then on. */
static void test_an_approved_update_brings_its_conflicts(void **state)
{
    fixture_t *t = *state;
    s_add_conflicted(t);
    assert_int_equal(s_validated(t, "l1", 2, t->ties, S_LATER), 0);
    s_vote_all(t, "l1", "approve");
    s_complaint(t);
    assert_false(s_recused(t, "dave"));
    assert_false(s_recused(t, "fay"));
    assert_true(s_recused(t, "erin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_minor_is_published_at_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_substantive_goes_to_a_round_and_a_rejection_keeps_the_listing, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_an_approved_substantive_update_keeps_the_term, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_complaint_drops_the_update_that_waits, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_rejected_update_gives_back_the_listings_conflicts, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_dropped_update_gives_back_the_listings_conflicts, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_an_approved_update_brings_its_conflicts, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
