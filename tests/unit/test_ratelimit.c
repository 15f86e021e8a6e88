/*  The token bucket per client address of the HTTP gateway. */
#include "services/intake/ratelimit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static const unsigned char s_a[4] = {127, 0, 0, 1}, s_b[4] = {10, 0, 0, 2};

static void test_a_burst_then_one_request_per_period(void **state)
{
    ratelimit_t *limits = ratelimit_new(2.0, 3.0, 64);
    int64_t retry = 0;
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_take(limits, s_a, 4, 1000, &retry));
    assert_false(ratelimit_take(limits, s_a, 4, 1000, &retry));
    assert_in_range(retry, 400, 501);        /* 2 per second: the next one in 0.5 s */
    assert_false(ratelimit_take(limits, s_a, 4, 1400, &retry));
    assert_true(ratelimit_take(limits, s_a, 4, 1501, &retry));
    assert_false(ratelimit_take(limits, s_a, 4, 1501, &retry));
    /* Idle long enough, the bucket is full again, and never fuller. */
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_take(limits, s_a, 4, 100000, &retry));
    assert_false(ratelimit_take(limits, s_a, 4, 100000, &retry));
    ratelimit_destroy(&limits);
    assert_null(limits);
}

static void test_addresses_have_buckets_of_their_own(void **state)
{
    ratelimit_t *limits = ratelimit_new(1.0, 1.0, 64);
    assert_true(ratelimit_take(limits, s_a, 4, 0, NULL));
    assert_false(ratelimit_take(limits, s_a, 4, 0, NULL));
    assert_true(ratelimit_take(limits, s_b, 4, 0, NULL));
    ratelimit_destroy(&limits);
}

static void test_a_full_table_forgets_the_longest_idle_address(void **state)
{
    ratelimit_t *limits = ratelimit_new(1.0, 1.0, 4);
    unsigned char address[4] = {0};
    /* Addresses a second apart: each finds the longest idle slot full
     * again, so each is served, and memory stays four slots. */
    for (int i = 0; i < 1000; i++) {
        address[0] = (unsigned char)i;
        address[1] = (unsigned char)(i >> 8);
        assert_true(ratelimit_take(limits, address, 4, 1000 * (int64_t)(i + 1), NULL));
    }
    /* The newest stays limited: the rule still holds. */
    assert_false(ratelimit_take(limits, address, 4, 1000 * 1000 + 10, NULL));
    ratelimit_destroy(&limits);
}

/*  Nine addresses that evict one another from a table too small for them
 *  (the attack of taking turns in one slot): together they get what one
 *  address gets, a burst and then the rate, not a burst each time. */
static void test_addresses_taking_turns_in_a_slot_get_no_fresh_burst(void **state)
{
    const double rate = 10.0, burst = 20.0;
    ratelimit_t *limits = ratelimit_new(rate, burst, 1);
    unsigned char address[4] = {203, 0, 113, 0};
    int allowed = 0;
    for (int64_t ms = 1; ms <= 10000; ms++) {        /* 10 s, a request each ms */
        address[3] = (unsigned char)(ms % 9);
        allowed += ratelimit_take(limits, address, 4, ms, NULL);
    }
    assert_true(allowed <= (int)(burst + rate * 10.0) + 1);
    assert_true(allowed >= (int)(rate * 10.0));
    ratelimit_destroy(&limits);
}

/*  A new address that finds a free slot has its burst at once. */
static void test_a_new_address_in_a_free_slot_has_its_burst(void **state)
{
    ratelimit_t *limits = ratelimit_new(1.0, 5.0, 64);
    unsigned char address[4] = {198, 51, 100, 7};
    for (int i = 0; i < 5; i++)
        assert_true(ratelimit_take(limits, address, 4, 100, NULL));
    assert_false(ratelimit_take(limits, address, 4, 100, NULL));
    ratelimit_destroy(&limits);
}

/*  One IPv6 host holds a /64: the addresses of one prefix share a bucket,
 *  another prefix has its own. */
static void test_an_ipv6_host_counts_by_its_prefix(void **state)
{
    ratelimit_t *limits = ratelimit_new(1.0, 2.0, 64);
    unsigned char address[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
    for (int i = 0; i < 2; i++) {
        address[15] = (unsigned char)i;
        assert_true(ratelimit_take(limits, address, 16, 100, NULL));
    }
    address[15] = 99;
    int64_t retry = 0;
    assert_false(ratelimit_take(limits, address, 16, 100, &retry));
    assert_true(retry > 0 && retry <= 1001);
    address[7] = 2;                                   /* another /64 */
    assert_true(ratelimit_take(limits, address, 16, 100, NULL));
    ratelimit_destroy(&limits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_burst_then_one_request_per_period),
        cmocka_unit_test(test_addresses_have_buckets_of_their_own),
        cmocka_unit_test(test_a_full_table_forgets_the_longest_idle_address),
        cmocka_unit_test(test_addresses_taking_turns_in_a_slot_get_no_fresh_burst),
        cmocka_unit_test(test_a_new_address_in_a_free_slot_has_its_burst),
        cmocka_unit_test(test_an_ipv6_host_counts_by_its_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
