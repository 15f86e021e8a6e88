/* Unit tests of review's core on a temporary LMDB (tests/unit/core_bench.h):
 * the committee's requests (member_add, member_list, member_remove, queue,
 * vote, recuse, complaint, withdraw, tick) and validation's events
 * (validated, appealed, erased) go through review_handle and
 * review_apply_validation as the shell would give them, and the tests read
 * the replies, the refusals (code, field, rule; SERVICE_REFUSED returned,
 * nothing written) and the events of review's stream. */
#define _GNU_SOURCE              /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "review_bench.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "services/review/review.h"
#include "common/store.h"

#define S_AT 1764547200          /* 2025-12-01 00:00 UTC */
#define S_DAY 86400
#define S_SIREN "853645562"      /* the applicant of REVIEW_BENCH_FIXTURE */

/* ---------------------------------------------------------------- helpers */

/*  Sends a request as `name` of `role`. */
#define S_AS(t, role, name, ...) \
    (core_bench_peer((t)->bench, role, name), \
     core_bench_request((t)->bench, review_handle, (t)->review, S_AT, __VA_ARGS__))
#define S_STAFF(t, ...) S_AS(t, "staff", "staff", __VA_ARGS__)

static void s_member(fixture_t *t, const char *name, const char *college, const char *ties, const char *networks)
{
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"%s\",\"college\":\"%s\",\"ties\":%s,"
                        "\"networks\":%s}", name, college, ties, networks);
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "member");
}

/*  The committee of most tests: two researchers, a local authority, a
 *  network; none tied to the fixture's applicant. */
static void s_committee(fixture_t *t)
{
    s_member(t, "alice", "researchers", "[]", "[]");
    s_member(t, "bruno", "local_authorities", "[]", "[]");
    s_member(t, "chloe", "ess_networks", "[]", "[\"Réseau Breton\"]");
    s_member(t, "david", "researchers", "[]", "[]");
}

/*  Validation's `validated` for revision `revision` of file `id`. */
static void s_validated(fixture_t *t, const char *id, int revision)
{
    int rc = core_bench_apply(t->bench, review_apply_validation, t->review, "validated", S_AT,
                              "{\"seq\":1,\"v\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":%d,"
                              "\"at\":%d,\"verdict\":\"review\",\"report\":{\"verdict\":\"review\"},"
                              "\"application\":%s}", id, revision, S_AT, t->application);
    assert_int_equal(rc, 0);
}

static int s_vote(fixture_t *t, const char *member, const char *id, const char *decision,
                  const char *motivation)
{
    if (!motivation)
        return S_AS(t, "member", member, "{\"v\":1,\"type\":\"vote\",\"id\":\"%s\",\"decision\":\"%s\"}", id,
                    decision);
    return S_AS(t, "member", member, "{\"v\":1,\"type\":\"vote\",\"id\":\"%s\",\"decision\":\"%s\","
                "\"motivation\":\"%s\"}", id, decision, motivation);
}

/*  Three votes from two colleges for `decision`: the quorum decides. */
static void s_decide(fixture_t *t, const char *id, const char *decision)
{
    const char *motivation = strcmp(decision, "approve") == 0 || strcmp(decision, "reinstate") == 0
                                 ? NULL : "Les engagements ne sont pas démontrés.";
    assert_int_equal(s_vote(t, "alice", id, decision, motivation), 0);
    assert_int_equal(s_vote(t, "bruno", id, decision, motivation), 0);
    assert_int_equal(s_vote(t, "chloe", id, decision, motivation), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "outcome", decision));
}

static uint64_t s_uint(const msgpack_object *map, const char *key)
{
    uint64_t value = 0;
    assert_true(doc_uint(map, key, &value));
    return value;
}

static const msgpack_object *s_reply(fixture_t *t)
{
    return core_bench_reply(t->bench);
}

/* ---------------------------------------------------------------- members */

static void test_member_add_list_remove(void **state)
{
    fixture_t *t = *state;
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"rid\":7,\"name\":\"alice\",\"college\":\"researchers\","
                        "\"ties\":[\"853 645 562 00010\"],\"networks\":[\"CRESS Bretagne\"]}");
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "member");
    assert_int_equal(s_uint(s_reply(t), "rid"), 7);
    assert_true(doc_is(doc_at(doc_array(s_reply(t), "ties"), 0), S_SIREN));   /* the SIREN of the SIRET */
    s_member(t, "bruno", "local_authorities", "[]", "[]");

    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_list\"}");
    assert_int_equal(rc, 0);
    const msgpack_object *members = doc_array(s_reply(t), "members");
    assert_int_equal(doc_len(members), 2);
    assert_true(doc_str_eq(doc_at(members, 0), "name", "alice"));
    assert_int_equal(doc_len(doc_array(doc_at(members, 0), "networks")), 1);

    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_remove\",\"name\":\"bruno\"}");
    assert_int_equal(rc, 0);
    assert_true(doc_str_eq(s_reply(t), "college", "local_authorities"));
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_list\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "members")), 1);
}

static void test_member_refusals(void **state)
{
    fixture_t *t = *state;
    s_member(t, "alice", "researchers", "[]", "[]");
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"alice\",\"college\":\"ess_networks\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "name", "unique");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"eve\",\"college\":\"researchers\","
                    "\"ties\":[\"853645562\",\"12345\"]}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "ties[1]", "siren");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"eve\",\"college\":\"researchers\","
                    "\"networks\":[\"CRESS\",\"  \"]}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "networks[1]", "required");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_remove\",\"name\":\"nobody\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "name", "exists");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_list\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "members")), 1);   /* eve was never added */
}

/*  The role a key carries decides what it may ask; review answers only
 *  its own requests. */
static void test_roles(void **state)
{
    fixture_t *t = *state;
    int rc = S_AS(t, "member", "alice",
                  "{\"v\":1,\"type\":\"member_add\",\"name\":\"x\",\"college\":\"researchers\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "type", "role");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"vote\",\"id\":\"a1\",\"decision\":\"approve\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "type", "role");
    rc = S_AS(t, NULL, NULL, "{\"v\":1,\"type\":\"tick\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "type", "role");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"hello\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "type", "unsupported");
}

/* ------------------------------------------------------------------ queue */

static void test_queue_conflicts_and_filters(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_member(t, "tiago", "researchers", "[\"" S_SIREN "\"]", "[]");
    s_member(t, "nina", "ess_networks", "[]", "[\"cress pays de la loire\"]");
    uint64_t head = core_bench_head(t->bench);
    s_validated(t, "a1", 1);
    const msgpack_object *queued = core_bench_event(t->bench, head, "queued");
    assert_non_null(queued);
    assert_true(doc_str_eq(queued, "kind", "review"));
    assert_int_equal(s_uint(queued, "round"), 1);

    int rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\"}");
    assert_int_equal(rc, 0);
    const msgpack_object *items = doc_array(s_reply(t), "items");
    assert_int_equal(doc_len(items), 1);
    assert_true(doc_str_eq(doc_at(items, 0), "id", "a1"));
    assert_false(doc_bool(doc_at(items, 0), "recused", true));
    assert_true(doc_str_eq(doc_at(items, 0), "kind", "review"));

    S_AS(t, "member", "tiago", "{\"v\":1,\"type\":\"queue\"}");
    items = doc_array(s_reply(t), "items");
    assert_true(doc_bool(doc_at(items, 0), "recused", false));
    assert_int_equal(doc_len(doc_array(doc_at(items, 0), "conflicts")), 1);
    S_AS(t, "member", "nina", "{\"v\":1,\"type\":\"queue\"}");
    assert_true(doc_bool(doc_at(doc_array(s_reply(t), "items"), 0), "recused", false));

    S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\",\"department\":\"44\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 1);
    S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\",\"department\":\"49\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 0);
    S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\",\"theme\":\"democratic_governance\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 1);
    /* Once alice voted, the file leaves her queue, and other researchers'
     * when they filter by their college. */
    assert_int_equal(s_vote(t, "alice", "a1", "approve", NULL), 0);
    S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 0);
    S_AS(t, "member", "david", "{\"v\":1,\"type\":\"queue\",\"college\":\"researchers\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 0);
    S_AS(t, "member", "david", "{\"v\":1,\"type\":\"queue\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 1);
}

/*  A report of validation's shape, two criteria. */
#define S_REPORT "{\"charter\":\"2018.1\",\"verdict\":\"review\",\"private_area\":false,\"criteria\":[" \
                 "{\"code\":\"LOY-TAX\",\"outcome\":\"pass\",\"blocking\":false,\"field\":\"\"," \
                 "\"reason\":\"Engagement pris.\"},{\"code\":\"ESS-ID\",\"outcome\":\"review\"," \
                 "\"blocking\":false,\"field\":\"organisation.siret\",\"reason\":\"%s\"}]}"

/*  The file's report as the committee reads it in its queue. */
static const msgpack_object *s_queued_report(fixture_t *t)
{
    assert_int_equal(S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\"}"), 0);
    const msgpack_object *items = doc_array(s_reply(t), "items");
    assert_int_equal(doc_len(items), 1);
    return doc_get(doc_at(items, 0), "report");
}

static void s_assert_report(const msgpack_object *report, const char *second_reason)
{
    const msgpack_object *criteria = doc_array(report, "criteria");
    assert_int_equal(doc_len(criteria), 2);
    assert_true(doc_str_eq(report, "charter", "2018.1"));
    assert_true(doc_str_eq(doc_at(criteria, 0), "reason", "Engagement pris."));
    assert_true(doc_str_eq(doc_at(criteria, 1), "field", "organisation.siret"));
    assert_true(doc_str_eq(doc_at(criteria, 1), "reason", second_reason));
    assert_false(doc_bool(doc_at(criteria, 1), "blocking", true));
}

/*  A file stored before its report went apart: application and report
 *  in one record. */
static int s_store_together(void *ctx, service_t *svc, MDB_txn *txn)
{
    fixture_t *t = ctx;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    char *json;
    assert_true(asprintf(&json, "{\"application\":%s,\"report\":" S_REPORT "}", t->application, "Lu ensemble.")
                > 0);
    proto_error_t err;
    assert_int_equal(json_codec_to_msgpack(json, strlen(json), &buf, &err), 0);
    int rc = store_put(txn, __wrap_service_db(svc, REVIEW_DB_APPLICATIONS), "a1", 2, buf.data, buf.size);
    MDB_val key = {2, "a1"};
    if (!rc)
        rc = mdb_del(txn, __wrap_service_db(svc, REVIEW_DB_REPORTS), &key, NULL);
    msgpack_sbuffer_destroy(&buf);
    free(json);
    return rc;
}

/*  Validation's "validated" of file a1, with a report of its shape. */
static void s_validated_with_report(fixture_t *t)
{
    int rc = core_bench_apply(t->bench, review_apply_validation, t->review, "validated", S_AT,
                              "{\"seq\":1,\"v\":1,\"type\":\"validated\",\"id\":\"a1\",\"revision\":1,"
                              "\"at\":%d,\"verdict\":\"review\",\"report\":" S_REPORT ",\"application\":%s}",
                              S_AT, "À vérifier.", t->application);
    assert_int_equal(rc, 0);
}

/*  The committee reads validation's report as validation made it: kept
 *  apart and compact (proto/kept_report.h), or, for a file stored before,
 *  with its application. */
static void test_the_committee_reads_the_report_as_made(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated_with_report(t);
    s_assert_report(s_queued_report(t), "À vérifier.");
    assert_int_equal(core_bench_start(t->bench, s_store_together, t), 0);
    s_assert_report(s_queued_report(t), "Lu ensemble.");
}

/*  The same report in its compact form (what validation sends): kept as
 *  it came, read whole by the committee. */
static void test_a_compact_report_reads_whole(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    int rc = core_bench_apply(t->bench, review_apply_validation, t->review, "validated", S_AT,
                              "{\"seq\":1,\"v\":1,\"type\":\"validated\",\"id\":\"a1\",\"revision\":1,"
                              "\"at\":%d,\"verdict\":\"review\",\"report\":[1,\"2018.1\",\"review\",false,"
                              "[[\"LOY-TAX\",0,false,\"\",0],[\"ESS-ID\",2,false,\"organisation.siret\",\"%s\"]]],"
                              "\"application\":%s}",
                              S_AT, "À vérifier.", t->application);
    assert_int_equal(rc, 0);
    const msgpack_object *report = s_queued_report(t);
    s_assert_report(report, "À vérifier.");
    assert_true(doc_str_eq(report, "verdict", "review"));
    assert_true(doc_str_eq(doc_at(doc_array(report, "criteria"), 1), "outcome", "review"));
}

/*  The kept report of file a1 replaced by s_spoilt: a store broken
 *  behind review's back. */
static const char *s_spoilt;
static size_t s_spoilt_len;

static int s_spoil_report(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)ctx;
    return store_put(txn, __wrap_service_db(svc, REVIEW_DB_REPORTS), "a1", 2, s_spoilt, s_spoilt_len);
}

/*  A kept report review cannot read (bytes that are not MessagePack, or
 *  a compact form of the wrong size) does not take the file from the
 *  committee: its queue still lists the file with its application, the
 *  report nil (and a warning in the log names the file). */
static void test_a_report_that_cannot_be_read_leaves_the_file_listed(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated_with_report(t);
    static const struct {
        const char *bytes;
        size_t len;
    } spoilt[] = {{"\xc1\x01", 2}, {"\x92\x01\xa6" "2018.1", 9}};
    for (size_t i = 0; i < sizeof spoilt / sizeof spoilt[0]; i++) {
        s_spoilt = spoilt[i].bytes;
        s_spoilt_len = spoilt[i].len;
        assert_int_equal(core_bench_start(t->bench, s_spoil_report, t), 0);
        assert_int_equal(S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\"}"), 0);
        const msgpack_object *items = doc_array(s_reply(t), "items");
        assert_int_equal(doc_len(items), 1);
        const msgpack_object *item = doc_at(items, 0);
        assert_true(doc_str_eq(item, "id", "a1"));
        const msgpack_object *report = doc_get(item, "report");
        assert_non_null(report);
        assert_int_equal(report->type, MSGPACK_OBJECT_NIL);
        assert_non_null(doc_map(item, "application"));
    }
}

static void test_queue_paging(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    s_validated(t, "a2", 1);
    s_validated(t, "a3", 1);
    S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\",\"limit\":2}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 2);
    assert_true(doc_str_eq(s_reply(t), "next", "a2"));
    S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\",\"limit\":2,\"after\":\"a2\"}");
    assert_int_equal(doc_len(doc_array(s_reply(t), "items")), 1);
    assert_null(doc_get(s_reply(t), "next"));
}

static void test_queue_refusals(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    int rc = S_AS(t, "member", "zoe", "{\"v\":1,\"type\":\"queue\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "member", "exists");
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\",\"member\":\"bruno\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "member", "identity");
}

/* ------------------------------------------------------------------- vote */

static void test_quorum_decides(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    assert_int_equal(s_vote(t, "alice", "a1", "approve", NULL), 0);
    assert_string_equal(core_bench_reply_type(t->bench), "vote_ack");
    assert_int_equal(s_uint(s_reply(t), "votes"), 1);
    assert_null(doc_get(s_reply(t), "outcome"));
    /* Two researchers are one college: no quorum yet. */
    assert_int_equal(s_vote(t, "david", "a1", "approve", NULL), 0);
    assert_null(doc_get(s_reply(t), "outcome"));
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_vote(t, "bruno", "a1", "approve", NULL), 0);
    assert_true(doc_str_eq(s_reply(t), "outcome", "approve"));
    assert_true(doc_str_eq(s_reply(t), "decision", "approve"));
    assert_false(doc_bool(s_reply(t), "duplicate", true));
    const msgpack_object *decided = core_bench_event(t->bench, head, "decided");
    assert_non_null(decided);
    assert_true(doc_str_eq(decided, "decision", "approve"));
    assert_true(doc_str_eq(decided, "kind", "review"));
    assert_int_equal(doc_len(doc_array(decided, "voters")), 3);
    assert_non_null(doc_map(decided, "application"));
    assert_true(s_uint(decided, "expires") > S_AT);

    /* The same vote again is acknowledged with the decision, counted once. */
    assert_int_equal(s_vote(t, "bruno", "a1", "approve", NULL), 0);
    assert_true(doc_bool(s_reply(t), "duplicate", false));
    assert_true(doc_str_eq(s_reply(t), "outcome", "approve"));
    assert_int_equal(s_uint(s_reply(t), "votes"), 3);
    /* The round is over. */
    int rc = s_vote(t, "chloe", "a1", "approve", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "id", "state");
}

static void test_a_tie_keeps_the_file_open(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    assert_int_equal(s_vote(t, "alice", "a1", "approve", NULL), 0);
    assert_int_equal(s_vote(t, "bruno", "a1", "reject", "Non."), 0);
    /* The next member reads the votes so far, and why when a vote says. */
    S_AS(t, "member", "chloe", "{\"v\":1,\"type\":\"queue\"}");
    const msgpack_object *votes = doc_array(doc_at(doc_array(s_reply(t), "items"), 0), "votes");
    assert_int_equal(doc_len(votes), 2);
    assert_null(doc_get(doc_at(votes, 0), "motivation"));
    assert_true(doc_str_eq(doc_at(votes, 1), "member", "bruno"));
    assert_true(doc_str_eq(doc_at(votes, 1), "motivation", "Non."));
    assert_int_equal(s_vote(t, "chloe", "a1", "approve", NULL), 0);
    assert_true(doc_str_eq(s_reply(t), "outcome", "approve"));   /* 2 of 3: a strict majority */
    s_validated(t, "a2", 1);
    assert_int_equal(s_vote(t, "alice", "a2", "approve", NULL), 0);
    assert_int_equal(s_vote(t, "bruno", "a2", "reject", "Non."), 0);
    assert_int_equal(s_vote(t, "chloe", "a2", "changes", "Précisez."), 0);
    assert_null(doc_get(s_reply(t), "outcome"));
    assert_int_equal(s_vote(t, "david", "a2", "reject", "Non."), 0);
    assert_null(doc_get(s_reply(t), "outcome"));                  /* 2 of 4: a tie */
}

static void test_vote_refusals(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_member(t, "tiago", "researchers", "[\"" S_SIREN "\"]", "[]");
    s_validated(t, "a1", 1);
    int rc = s_vote(t, "alice", "nope", "approve", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "id", "exists");
    rc = s_vote(t, "zoe", "a1", "approve", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "member", "exists");
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"vote\",\"id\":\"a1\",\"member\":\"bruno\","
                                    "\"decision\":\"approve\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "member", "identity");
    rc = s_vote(t, "tiago", "a1", "approve", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "member", "recused");
    rc = s_vote(t, "alice", "a1", "reinstate", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "decision", "round_kind");
    rc = s_vote(t, "alice", "a1", "reject", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "motivation", "required");
    rc = s_vote(t, "alice", "a1", "changes", "   ");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "motivation", "required");
    assert_int_equal(s_vote(t, "alice", "a1", "approve", NULL), 0);
    rc = s_vote(t, "alice", "a1", "reject", "Finalement non.");
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "member", "already_voted");
}

/* ----------------------------------------------------------------- recuse */

static void test_recusal(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    int rc = S_AS(t, "member", "alice",
                  "{\"v\":1,\"type\":\"recuse\",\"id\":\"a1\",\"reason\":\"Ancienne associée.\"}");
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "recused");
    assert_false(doc_bool(s_reply(t), "duplicate", true));
    assert_int_equal(s_uint(s_reply(t), "round"), 1);
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"recuse\",\"id\":\"a1\",\"reason\":\"Autre chose.\"}");
    assert_int_equal(rc, 0);
    assert_true(doc_bool(s_reply(t), "duplicate", false));
    assert_true(doc_str_eq(s_reply(t), "reason", "Ancienne associée."));
    rc = s_vote(t, "alice", "a1", "approve", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "member", "recused");

    rc = S_AS(t, "member", "bruno", "{\"v\":1,\"type\":\"recuse\",\"id\":\"a1\",\"reason\":\" \"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "reason", "required");
    rc = S_AS(t, "member", "bruno", "{\"v\":1,\"type\":\"recuse\",\"id\":\"a9\",\"reason\":\"x\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "id", "exists");
    assert_int_equal(s_vote(t, "bruno", "a1", "approve", NULL), 0);
    rc = S_AS(t, "member", "bruno", "{\"v\":1,\"type\":\"recuse\",\"id\":\"a1\",\"reason\":\"Trop tard.\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "member", "already_voted");
}

/* ------------------------------------------------- appeal, new revision */

static void test_appeal_round(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    s_decide(t, "a1", "reject");
    uint64_t head = core_bench_head(t->bench);
    int rc = core_bench_apply(t->bench, review_apply_validation, t->review, "appealed", S_AT + S_DAY,
                              "{\"id\":\"a1\",\"revision\":1,\"at\":%d,\"motivation\":\"Nous contestons.\"}",
                              S_AT + S_DAY);
    assert_int_equal(rc, 0);
    const msgpack_object *queued = core_bench_event(t->bench, head, "queued");
    assert_non_null(queued);
    assert_true(doc_str_eq(queued, "kind", "appeal"));
    assert_int_equal(s_uint(queued, "round"), 2);
    S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"queue\"}");
    const msgpack_object *item = doc_at(doc_array(s_reply(t), "items"), 0);
    assert_true(doc_str_eq(item, "kind", "appeal"));
    assert_true(doc_str_eq(item, "appeal", "Nous contestons."));
    /* A second appeal is ignored: once per file. */
    s_decide(t, "a1", "reject");
    head = core_bench_head(t->bench);
    core_bench_apply(t->bench, review_apply_validation, t->review, "appealed", S_AT + 2 * S_DAY,
                     "{\"id\":\"a1\",\"revision\":1,\"at\":%d,\"motivation\":\"Encore.\"}", S_AT + 2 * S_DAY);
    assert_int_equal(core_bench_head(t->bench), head);
}

static void test_new_revision_opens_a_round(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    s_decide(t, "a1", "changes");
    uint64_t head = core_bench_head(t->bench);
    s_validated(t, "a1", 1);                      /* the same revision again: nothing */
    assert_int_equal(core_bench_head(t->bench), head);
    s_validated(t, "a1", 2);
    const msgpack_object *queued = core_bench_event(t->bench, head, "queued");
    assert_int_equal(s_uint(queued, "round"), 2);
    assert_int_equal(s_uint(queued, "revision"), 2);
    /* Everyone votes again in the new round. */
    assert_int_equal(s_vote(t, "alice", "a1", "approve", NULL), 0);
    assert_int_equal(s_uint(s_reply(t), "round"), 2);
}

/* ----------------------------------------------- complaint, withdraw, tick */

static void test_complaint_round(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"complaint\",\"id\":\"a1\",\"reason\":\"Plainte.\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "id", "state");   /* not listed yet */
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"complaint\",\"id\":\"a9\",\"reason\":\"Plainte.\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "id", "exists");
    s_decide(t, "a1", "approve");

    uint64_t head = core_bench_head(t->bench);
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"complaint\",\"id\":\"a1\",\"reason\":\"Plainte d'un client.\"}");
    assert_int_equal(rc, 0);
    assert_true(doc_str_eq(s_reply(t), "state", STATE_SUSPENDED));
    const msgpack_object *withdrawn = core_bench_event(t->bench, head, "withdrawn");
    assert_true(doc_str_eq(withdrawn, "kind", "suspended"));
    assert_true(doc_str_eq(core_bench_event(t->bench, head, "queued"), "kind", "complaint"));
    /* The same complaint again: the same answer, nothing new. */
    head = core_bench_head(t->bench);
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"complaint\",\"id\":\"a1\",\"reason\":\"Plainte d'un client.\"}");
    assert_int_equal(rc, 0);
    assert_true(doc_str_eq(s_reply(t), "state", STATE_SUSPENDED));
    assert_int_equal(core_bench_head(t->bench), head);

    rc = s_vote(t, "alice", "a1", "approve", NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "decision", "round_kind");
    s_decide(t, "a1", "reinstate");
    const msgpack_object *decided = core_bench_event(t->bench, head, "decided");
    assert_true(doc_str_eq(decided, "kind", "complaint"));
    assert_true(doc_str_eq(decided, "decision", "reinstate"));
}

static void test_withdraw(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    s_decide(t, "a1", "approve");
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"withdraw\",\"id\":\"a9\",\"reason\":\"Cessation.\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "id", "exists");
    uint64_t head = core_bench_head(t->bench);
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"withdraw\",\"id\":\"a1\",\"reason\":\"Cessation d'activité.\"}");
    assert_int_equal(rc, 0);
    assert_true(doc_str_eq(s_reply(t), "state", STATE_WITHDRAWN));
    const msgpack_object *withdrawn = core_bench_event(t->bench, head, "withdrawn");
    assert_true(doc_str_eq(withdrawn, "kind", "withdrawn"));
    assert_true(doc_str_eq(withdrawn, "reason", "Cessation d'activité."));
    head = core_bench_head(t->bench);
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"withdraw\",\"id\":\"a1\",\"reason\":\"Encore.\"}");
    assert_int_equal(rc, 0);                                  /* already withdrawn: the same ack */
    assert_int_equal(core_bench_head(t->bench), head);
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"recuse\",\"id\":\"a1\",\"reason\":\"x\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "id", "state");
}

static void test_tick_expires_listings(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    uint64_t head = core_bench_head(t->bench);
    s_decide(t, "a1", "approve");
    uint64_t expires = s_uint(core_bench_event(t->bench, head, "decided"), "expires");
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"tick\",\"now\":%llu}", (unsigned long long)expires - 1);
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "ticked");
    assert_int_equal(doc_len(doc_array(s_reply(t), "expired")), 0);
    head = core_bench_head(t->bench);
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"tick\",\"now\":%llu}", (unsigned long long)expires);
    assert_int_equal(rc, 0);
    const msgpack_object *expired = doc_array(s_reply(t), "expired");
    assert_int_equal(doc_len(expired), 1);
    assert_true(doc_is(doc_at(expired, 0), "a1"));
    assert_false(doc_bool(s_reply(t), "more", true));
    assert_true(doc_str_eq(core_bench_event(t->bench, head, "withdrawn"), "kind", "expired"));
    /* Nothing is due twice. */
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"tick\",\"now\":%llu}", (unsigned long long)expires + S_DAY);
    assert_int_equal(doc_len(doc_array(s_reply(t), "expired")), 0);
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"complaint\",\"id\":\"a1\",\"reason\":\"Trop tard.\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "id", "state");
}

/* ---------------------------------------------------------------- erasure */

static void test_erasure_keeps_the_audit(void **state)
{
    fixture_t *t = *state;
    s_committee(t);
    s_validated(t, "a1", 1);
    s_decide(t, "a1", "approve");
    uint64_t head = core_bench_head(t->bench);
    int rc = core_bench_apply(t->bench, review_apply_validation, t->review, "erased", S_AT + S_DAY,
                              "{\"id\":\"a1\",\"at\":%d}", S_AT + S_DAY);
    assert_int_equal(rc, 0);
    assert_true(doc_str_eq(core_bench_event(t->bench, head, "withdrawn"), "kind", "erased"));
    /* The earlier events of a1 are redacted: no application left. */
    const msgpack_object *events = core_bench_events(t->bench, 0);
    for (size_t i = 0; i < doc_len(events); i++)
        assert_null(doc_get(doc_at(events, i), "application"));
    assert_null(core_bench_event(t->bench, 0, "decided"));
    int rc2 = s_vote(t, "david", "a1", "approve", NULL);
    core_bench_assert_refused(t->bench, rc2, PROTO_E_CONFLICT, "id", "state");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_member_add_list_remove, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_member_refusals, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_roles, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_queue_conflicts_and_filters, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_queue_paging, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_report_that_cannot_be_read_leaves_the_file_listed, review_bench_setup,
                                        review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_compact_report_reads_whole, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_the_committee_reads_the_report_as_made, review_bench_setup,
                                        review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_queue_refusals, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_quorum_decides, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_tie_keeps_the_file_open, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_vote_refusals, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_recusal, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_appeal_round, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_new_revision_opens_a_round, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_complaint_round, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_withdraw, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_tick_expires_listings, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_erasure_keeps_the_audit, review_bench_setup, review_bench_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
