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
    unsigned char address[16] = {0};
    for (int i = 0; i < 1000; i++) {
        address[0] = (unsigned char)i;
        address[1] = (unsigned char)(i >> 8);
        assert_true(ratelimit_take(limits, address, 16, 10 + i, NULL));
    }
    /* The newest stays limited: memory is bounded, the rule still holds. */
    assert_false(ratelimit_take(limits, address, 16, 1010, NULL));
    ratelimit_destroy(&limits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_burst_then_one_request_per_period),
        cmocka_unit_test(test_addresses_have_buckets_of_their_own),
        cmocka_unit_test(test_a_full_table_forgets_the_longest_idle_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
