/* Unit tests of the committee's quorum rule (review_decision_reached), a pure
 * function: votes and colleges in, a decision or none out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "services/review/review.h"

#define R "researchers"
#define L "local_authorities"
#define E "ess_networks"

typedef struct {
    const char *decisions[8];
    const char *colleges[8];
    size_t count;
    const char *expected;   /* NULL: the file stays open */
} case_t;

static void test_default_quorum(void **state)
{
    review_rules_t rules = {.quorum_votes = 3, .quorum_colleges = 2};
    static const case_t cases[] = {
        {{"approve", "approve", "approve"}, {R, L, E}, 3, "approve"},
        {{"approve", "approve", "approve"}, {R, R, R}, 3, NULL},          /* one college */
        {{"approve", "approve"}, {R, L}, 2, NULL},                         /* two votes */
        {{"approve", "approve", "reject"}, {R, L, E}, 3, "approve"},       /* majority */
        {{"approve", "reject", "changes"}, {R, L, E}, 3, NULL},            /* no majority */
        {{"approve", "approve", "reject", "reject"}, {R, L, E, R}, 4, NULL}, /* a tie */
        {{"reject", "reject", "approve", "reject"}, {R, L, E, R}, 4, "reject"},
        {{"changes", "changes", "changes"}, {R, R, E}, 3, "changes"},
        {{0}, {0}, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = review_decision_reached(&rules, cases[i].decisions, cases[i].colleges,
                                                  cases[i].count);
        if (cases[i].expected)
            assert_string_equal(got, cases[i].expected);
        else
            assert_null(got);
    }
}

static void test_configured_quorum(void **state)
{
    const char *d[] = {"approve", "approve", "approve", "approve", "approve"};
    const char *c[] = {R, L, E, R, L};
    review_rules_t five = {.quorum_votes = 5, .quorum_colleges = 3};
    assert_null(review_decision_reached(&five, d, c, 4));
    assert_string_equal(review_decision_reached(&five, d, c, 5), "approve");
    review_rules_t three_colleges = {.quorum_votes = 3, .quorum_colleges = 3};
    const char *c2[] = {R, L, L};
    assert_null(review_decision_reached(&three_colleges, d, c2, 3));
}

static void test_complaint_round(void **state)
{
    (void)state;
    review_rules_t rules = {.quorum_votes = 3, .quorum_colleges = 2};
    const char *c[] = {R, L, E, R};
    const char *reinstate[] = {"reinstate", "withdraw", "reinstate"};
    assert_string_equal(review_decision_reached(&rules, reinstate, c, 3), "reinstate");
    const char *split[] = {"withdraw", "reinstate", "withdraw", "reinstate"};
    assert_null(review_decision_reached(&rules, split, c, 4));
    const char *withdraw[] = {"withdraw", "withdraw", "reinstate"};
    assert_string_equal(review_decision_reached(&rules, withdraw, c, 3), "withdraw");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_quorum),
        cmocka_unit_test(test_configured_quorum),
        cmocka_unit_test(test_complaint_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
