/* Unit tests of the pure rules of a file's life before the committee:
 * the listing's expiry, network ties, the queue's filters, which decision
 * fits which round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/date.h"
#include "services/review/listing.h"
#include "services/review/members.h"
#include "services/review/queue.h"
#include "services/review/votes.h"

static int64_t s_at(int y, int m, int d, int seconds)
{
    return (int64_t)date_from_civil(y, m, d) * 86400 + seconds;
}

static void test_expiry_years(void **state)
{
    (void)state;
    review_expiry_t e = review_expiry(s_at(2026, 11, 26, 45296), 3, true, NULL, NULL);
    assert_int_equal(e.expires, s_at(2029, 11, 26, 0));   /* the day, at 00:00 UTC */
    assert_int_equal(e.cause, EXPIRY_YEARS);
    e = review_expiry(s_at(2024, 2, 29, 3600), 3, true, NULL, NULL);
    assert_int_equal(e.expires, s_at(2027, 2, 28, 0));    /* no 29 February in 2027 */
    e = review_expiry(s_at(2026, 1, 10, 0), 5, false, NULL, NULL);
    assert_int_equal(e.expires, s_at(2031, 1, 10, 0));
}

static void test_expiry_certificates(void **state)
{
    (void)state;
    int64_t approved = s_at(2026, 11, 26, 600);
    review_expiry_t e = review_expiry(approved, 3, true, "2028-06-30", NULL);
    assert_int_equal(e.expires, s_at(2028, 6, 30, 0));
    assert_int_equal(e.cause, EXPIRY_ESUS);
    e = review_expiry(approved, 3, true, "2028-06-30", "2027-12-31");
    assert_int_equal(e.expires, s_at(2027, 12, 31, 0));
    assert_int_equal(e.cause, EXPIRY_QUALIOPI);
    e = review_expiry(approved, 3, true, "2031-01-01", "2030-05-05");   /* later: the years count */
    assert_int_equal(e.expires, s_at(2029, 11, 26, 0));
    assert_int_equal(e.cause, EXPIRY_YEARS);
    e = review_expiry(approved, 3, true, "2029-11-26", NULL);            /* same day: the years */
    assert_int_equal(e.cause, EXPIRY_YEARS);
    e = review_expiry(approved, 3, false, "2027-01-01", "2027-02-01");   /* follows off */
    assert_int_equal(e.expires, s_at(2029, 11, 26, 0));
    assert_int_equal(e.cause, EXPIRY_YEARS);
    e = review_expiry(approved, 3, true, "2027-02-30", "not a date");     /* not dates: none */
    assert_int_equal(e.cause, EXPIRY_YEARS);
    assert_string_equal(listing_cause_name(EXPIRY_ESUS), "esus");
}

static int s_net(const char *a, const char *b)
{
    return review_network_matches(a, strlen(a), b, strlen(b));
}

static void test_network_ties(void **state)
{
    (void)state;
    assert_true(s_net("CRESS Grand Est", "CRESS Grand Est"));
    assert_true(s_net("cress grand est", "CRESS GRAND EST"));
    assert_true(s_net("Réseau Économie Solidaire", "reseau economie solidaire"));
    assert_true(s_net("  Mouvement  Associatif ", "Mouvement associatif"));
    assert_true(s_net("France Active - Pays de la Loire", "France Active Pays de la Loire"));
    assert_false(s_net("CRESS Grand Est", "CRESS Bretagne"));
    assert_false(s_net("CRESS", "CRESS Grand Est"));
    assert_false(s_net("", ""));
    assert_false(s_net("   ", "  "));
}

static void test_queue_filters(void **state)
{
    (void)state;
    const char *voted[] = {"researchers"};
    const char *themes[] = {"governance", "rso"};
    review_facts_t facts = {voted, 1, "44", themes, 2};
    review_filter_t any = {NULL, NULL, NULL};
    assert_true(review_filter_matches(&any, &facts));
    review_filter_t college = {"researchers", NULL, NULL};
    assert_false(review_filter_matches(&college, &facts));       /* that college has voted */
    college.college = "ess_networks";
    assert_true(review_filter_matches(&college, &facts));
    review_filter_t dept = {NULL, "44", NULL};
    assert_true(review_filter_matches(&dept, &facts));
    dept.department = "49";
    assert_false(review_filter_matches(&dept, &facts));
    review_filter_t theme = {NULL, NULL, "rso"};
    assert_true(review_filter_matches(&theme, &facts));
    theme.theme = "rs";
    assert_false(review_filter_matches(&theme, &facts));
    review_filter_t all = {"local_authorities", "44", "governance"};
    assert_true(review_filter_matches(&all, &facts));
    review_facts_t unknown = {NULL, 0, "", NULL, 0};
    assert_false(review_filter_matches(&dept, &unknown));
    assert_true(review_filter_matches(&college, &unknown));
}

static void test_decision_fits_round(void **state)
{
    (void)state;
    static const char *const ordinary[] = {"approve", "reject", "changes"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(review_decision_fits("review", ordinary[i]));
        assert_true(review_decision_fits("appeal", ordinary[i]));
        assert_false(review_decision_fits("complaint", ordinary[i]));
    }
    assert_true(review_decision_fits("complaint", "reinstate"));
    assert_true(review_decision_fits("complaint", "withdraw"));
    assert_false(review_decision_fits("review", "reinstate"));
    assert_false(review_decision_fits("appeal", "withdraw"));
    assert_false(review_decision_fits("review", "maybe"));
    assert_false(review_needs_motivation("approve"));
    assert_false(review_needs_motivation("reinstate"));
    assert_true(review_needs_motivation("reject"));
    assert_true(review_needs_motivation("changes"));
    assert_true(review_needs_motivation("withdraw"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_years),
        cmocka_unit_test(test_expiry_certificates),
        cmocka_unit_test(test_network_ties),
        cmocka_unit_test(test_queue_filters),
        cmocka_unit_test(test_decision_fits_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
