/*  The rules of an application's life that depend only on its record
 *  (services/intake/rules.h): who may appeal, what a renewal may renew,
 *  when a SIRET is free, and which state a suspension or a listing leads
 *  to whichever of review's and publication's streams intake reads first. */
#include "services/intake/rules.h"

#include "proto/json_codec.h"
#include "proto/messages.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    msgpack_sbuffer buf;
    msgpack_zone zone;
    msgpack_object obj;
} record_t;

/*  A record from JSON, for reading. */
static const msgpack_object *s_record(record_t *r, const char *json)
{
    msgpack_sbuffer_init(&r->buf);
    msgpack_zone_init(&r->zone, 1024);
    proto_error_t err;
    assert_int_equal(json_codec_to_msgpack(json, strlen(json), &r->buf, &err), 0);
    assert_int_equal(msgpack_unpack(r->buf.data, r->buf.size, NULL, &r->zone, &r->obj), MSGPACK_UNPACK_SUCCESS);
    return &r->obj;
}

static void s_done(record_t *r)
{
    msgpack_sbuffer_destroy(&r->buf);
    msgpack_zone_destroy(&r->zone);
}

/*  The code, field and rule of a refusal ("" when accepted). */
static void s_expect(const char *code, const proto_error_t *err, const char *want_code, const char *field,
                     const char *rule)
{
    if (!want_code) {
        assert_null(code);
        return;
    }
    assert_non_null(code);
    assert_string_equal(code, want_code);
    assert_string_equal(err->field, field);
    assert_string_equal(err->rule, rule);
    assert_true(strlen(err->message) > 0);
}

static void test_only_a_rejection_can_be_appealed_once(void **state)
{
    static const struct {
        const char *record, *motivation, *code, *field, *rule;
    } cases[] = {
        {"{\"state\":\"rejected\"}", "Nos références ont été mal lues.", NULL, NULL, NULL},
        {"{\"state\":\"rejected\"}", " \t\r\n ", PROTO_E_INVALID, "motivation", "required"},
        {"{\"state\":\"rejected\"}", "", PROTO_E_INVALID, "motivation", "required"},
        {"{\"state\":\"in_review\"}", "Encore.", PROTO_E_CONFLICT, "id", "state"},
        {"{\"state\":\"approved\"}", "Pourquoi pas.", PROTO_E_CONFLICT, "id", "state"},
        {"{\"state\":\"changes_requested\"}", "Non.", PROTO_E_CONFLICT, "id", "state"},
        /* After the appeal: in review, then rejected again. */
        {"{\"state\":\"in_review\",\"appeal\":{\"motivation\":\"x\",\"at\":1}}", "Encore.", PROTO_E_CONFLICT,
         "id", "appeal_used"},
        {"{\"state\":\"rejected\",\"appeal\":{\"motivation\":\"x\",\"at\":1}}", "Encore.", PROTO_E_CONFLICT,
         "id", "appeal_used"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        record_t r;
        proto_error_t err;
        proto_error_clear(&err);
        const char *code = intake_appeal_refused(s_record(&r, cases[i].record), cases[i].motivation,
                                                 strlen(cases[i].motivation), &err);
        s_expect(code, &err, cases[i].code, cases[i].field, cases[i].rule);
        s_done(&r);
    }
    record_t r;
    proto_error_t err;
    intake_appeal_refused(s_record(&r, "{\"state\":\"published\"}"), "x", 1, &err);
    assert_non_null(strstr(err.message, "published"));
    s_done(&r);
}

static void test_a_renewal_renews_a_listing_of_its_siret(void **state)
{
    static const char siret[] = "35600000000048";
    static const struct {
        const char *record, *rule;
    } cases[] = {
        {"{\"state\":\"published\",\"siret\":\"35600000000048\"}", NULL},
        {"{\"state\":\"approved\",\"siret\":\"35600000000048\"}", NULL},
        {"{\"state\":\"withdrawn\",\"withdrawn_kind\":\"expired\",\"siret\":\"35600000000048\"}", NULL},
        {"{\"state\":\"withdrawn\",\"withdrawn_kind\":\"renewed\",\"siret\":\"35600000000048\"}", NULL},
        {"{\"state\":\"published\",\"siret\":\"73282932000074\"}", "same_siret"},
        {"{\"state\":\"withdrawn\",\"reason\":\"erased\",\"withdrawn_kind\":\"erased\"}", "same_siret"},
        {"{\"state\":\"withdrawn\",\"withdrawn_kind\":\"withdrawn\",\"siret\":\"35600000000048\"}", "state"},
        {"{\"state\":\"withdrawn\",\"withdrawn_kind\":\"suspended\",\"siret\":\"35600000000048\"}", "state"},
        {"{\"state\":\"suspended\",\"siret\":\"35600000000048\"}", "state"},
        {"{\"state\":\"rejected\",\"siret\":\"35600000000048\"}", "state"},
        {"{\"state\":\"in_review\",\"siret\":\"35600000000048\"}", "state"},
        /* A withdrawal whose kind is not known is not an expiry. */
        {"{\"state\":\"withdrawn\",\"reason\":\"expired\",\"siret\":\"35600000000048\"}", "state"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        record_t r;
        proto_error_t err;
        proto_error_clear(&err);
        const char *code = intake_renewal_refused(s_record(&r, cases[i].record), "old", siret, &err);
        s_expect(code, &err, cases[i].rule ? PROTO_E_INVALID : NULL, "renews", cases[i].rule);
        s_done(&r);
    }
    proto_error_t err;
    s_expect(intake_renewal_refused(NULL, "nosuchid", siret, &err), &err, PROTO_E_INVALID, "renews", "exists");
    assert_non_null(strstr(err.message, "nosuchid"));
}

static void test_a_renewal_opens_beside_the_listing_it_renews(void **state)
{
    static const struct {
        const char *holder, *renews;
        bool free;
    } cases[] = {
        {"{\"state\":\"published\"}", "old", true},
        {"{\"state\":\"approved\"}", "old", true},
        {"{\"state\":\"published\"}", NULL, false},
        {"{\"state\":\"published\"}", "other", false},
        {"{\"state\":\"suspended\"}", "old", false},
        {"{\"state\":\"in_review\"}", "old", false},
        {"{\"state\":\"received\"}", NULL, false},
        {"{\"state\":\"rejected\"}", NULL, true},
        {"{\"state\":\"withdrawn\"}", NULL, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        record_t r;
        assert_int_equal(intake_siret_free(s_record(&r, cases[i].holder), "old", cases[i].renews), cases[i].free);
        s_done(&r);
    }
}

static const char *s_str(const char *text)
{
    return text ? text : "(stays)";
}

/*  Each case: the record, the stream the suspension (or listing) comes
 *  from, the state it leads to. */
static void test_suspensions_whichever_stream_comes_first(void **state)
{
    static const struct {
        const char *record;
        int by;                  /* 0: publication's upsert */
        const char *state;
    } cases[] = {
        /* Review first: suspended; publication's withdrawal follows, the
         * file stays suspended. */
        {"{\"state\":\"published\"}", INTAKE_BY_REVIEW, STATE_SUSPENDED},
        {"{\"state\":\"suspended\",\"suspensions\":[1,0]}", INTAKE_BY_PUBLICATION, STATE_SUSPENDED},
        /* Publication first: suspended; review's follows. */
        {"{\"state\":\"published\"}", INTAKE_BY_PUBLICATION, STATE_SUSPENDED},
        {"{\"state\":\"suspended\",\"suspensions\":[0,1]}", INTAKE_BY_REVIEW, STATE_SUSPENDED},
        /* Reinstated by review before publication's withdrawal arrives:
         * that withdrawal is late. */
        {"{\"state\":\"approved\",\"suspensions\":[1,0]}", INTAKE_BY_PUBLICATION, NULL},
        /* Listed again by publication before review's suspension arrives. */
        {"{\"state\":\"published\",\"suspensions\":[0,1]}", INTAKE_BY_REVIEW, NULL},
        /* A second complaint. */
        {"{\"state\":\"published\",\"suspensions\":[1,1]}", INTAKE_BY_REVIEW, STATE_SUSPENDED},
        {"{\"state\":\"published\",\"suspensions\":[1,1]}", INTAKE_BY_PUBLICATION, STATE_SUSPENDED},
        /* A withdrawn file stays withdrawn. */
        {"{\"state\":\"withdrawn\"}", INTAKE_BY_REVIEW, NULL},
        /* Listings: forward from approved; a suspended file only once
         * publication has seen every suspension (it lists again after the
         * reinstatement); a late listing of the suspended file is not. */
        {"{\"state\":\"approved\"}", 0, STATE_PUBLISHED},
        {"{\"state\":\"suspended\",\"suspensions\":[1,0]}", 0, NULL},
        {"{\"state\":\"suspended\",\"suspensions\":[1,1]}", 0, STATE_PUBLISHED},
        {"{\"state\":\"suspended\",\"suspensions\":[0,1]}", 0, STATE_PUBLISHED},
        {"{\"state\":\"withdrawn\"}", 0, NULL},
        {"{\"state\":\"published\"}", 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        record_t r;
        const msgpack_object *record = s_record(&r, cases[i].record);
        const char *after = cases[i].by ? intake_suspended_state(record, (intake_stream_t)cases[i].by)
                                        : intake_listed_state(record);
        if (!cases[i].state != !after || (after && strcmp(after, cases[i].state) != 0))
            fail_msg("case %zu (%s): %s, expected %s", i, cases[i].record, s_str(after), s_str(cases[i].state));
        s_done(&r);
    }
}

static void test_ranks_keep_late_events_from_moving_back(void **state)
{
    record_t r;
    assert_null(intake_forward(s_record(&r, "{\"state\":\"published\"}"), STATE_APPROVED));
    s_done(&r);
    assert_null(intake_forward(s_record(&r, "{\"state\":\"suspended\"}"), STATE_APPROVED));
    s_done(&r);
    assert_string_equal(intake_forward(s_record(&r, "{\"state\":\"in_review\"}"), STATE_REJECTED), STATE_REJECTED);
    s_done(&r);
    assert_null(intake_forward(s_record(&r, "{\"state\":\"in_review\"}"), STATE_IN_REVIEW));
    s_done(&r);
    assert_int_equal(intake_state_rank("suspended", 9), intake_state_rank("published", 9));
}

/*  in_review means votable: only review's "queued" leads there. */
static void test_a_round_open_at_review_is_in_review(void **state)
{
    static const struct {
        const char *record, *kind, *state;   /* state NULL: it stays */
    } cases[] = {
        {"{\"state\":\"received\"}", "review", STATE_IN_REVIEW},
        {"{\"state\":\"in_review\"}", "review", NULL},                 /* the report came after */
        {"{\"state\":\"approved\"}", "review", NULL},                  /* late */
        {"{\"state\":\"rejected\",\"appeal\":{\"at\":1}}", "appeal", STATE_IN_REVIEW},
        {"{\"state\":\"rejected\"}", "appeal", NULL},                  /* never appealed */
        {"{\"state\":\"in_review\",\"appeal\":{\"at\":1}}", "appeal", NULL},
        {"{\"state\":\"suspended\"}", "complaint", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        record_t r;
        const char *after = intake_queued_state(s_record(&r, cases[i].record), cases[i].kind, strlen(cases[i].kind));
        if (cases[i].state)
            assert_string_equal(after, cases[i].state);
        else
            assert_null(after);
        s_done(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_a_rejection_can_be_appealed_once),
        cmocka_unit_test(test_a_renewal_renews_a_listing_of_its_siret),
        cmocka_unit_test(test_a_renewal_opens_beside_the_listing_it_renews),
        cmocka_unit_test(test_suspensions_whichever_stream_comes_first),
        cmocka_unit_test(test_ranks_keep_late_events_from_moving_back),
        cmocka_unit_test(test_a_round_open_at_review_is_in_review),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
