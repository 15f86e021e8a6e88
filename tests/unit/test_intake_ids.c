/*  Ids of new applications: time first, then a random part that grows
 *  within a millisecond, so that the ids of one turn come in key order. */
#include "services/intake/ids.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char s_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void s_assert_well_formed(const char *id)
{
    assert_int_equal(strlen(id), IDS_CHARS);
    for (int i = 0; i < IDS_CHARS; i++)
        assert_non_null(strchr(s_alphabet, id[i]));
}

/*  2,000 ids of one millisecond: all different, each after the one before,
 *  with the same time prefix. */
static void test_ids_of_one_millisecond_grow(void **state)
{
    (void)state;
    const int64_t now = 1767225600123;   /* 2026-01-01T00:00:00.123Z */
    char before[IDS_CHARS + 1], id[IDS_CHARS + 1];
    ids_new(before, now);
    s_assert_well_formed(before);
    for (int i = 0; i < 2000; i++) {
        ids_new(id, now);
        s_assert_well_formed(id);
        assert_memory_equal(id, before, 8);
        assert_true(strcmp(id, before) > 0);
        memcpy(before, id, sizeof id);
    }
}

/*  A later millisecond sorts after, whatever the random part; an earlier
 *  one (a clock set back) still gives a well-formed id, which is not the
 *  one before. */
static void test_time_orders_ids(void **state)
{
    (void)state;
    char a[IDS_CHARS + 1], b[IDS_CHARS + 1], c[IDS_CHARS + 1];
    for (int i = 0; i < 200; i++) {
        ids_new(a, 1767225600000 + i);
        ids_new(b, 1767225600001 + i);
        assert_true(strcmp(b, a) > 0);
    }
    ids_new(c, 1767225500000);
    s_assert_well_formed(c);
    assert_true(strcmp(c, a) < 0);
}

/*  The number the last 8 characters of an id write. */
static uint64_t s_random_part(const char *id)
{
    uint64_t n = 0;
    for (int i = 8; i < IDS_CHARS; i++)
        n = n << 5 | (uint64_t)(strchr(s_alphabet, id[i]) - s_alphabet);
    return n;
}

/*  Each step within a millisecond is 1 to 2^28 and drawn: 200 steps take
 *  nearly 200 different values. */
static void test_steps_are_random_and_bounded(void **state)
{
    (void)state;
    enum { STEPS = 200 };
    char id[IDS_CHARS + 1];
    ids_new(id, 1767225700000);
    uint64_t before = s_random_part(id), steps[STEPS];
    for (int i = 0; i < STEPS; i++) {
        ids_new(id, 1767225700000);
        uint64_t now = s_random_part(id);
        assert_true(now > before);
        steps[i] = now - before;
        assert_true(steps[i] >= 1 && steps[i] <= (1ull << 28));
        before = now;
    }
    int distinct = 0;
    for (int i = 0; i < STEPS; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = steps[j] == steps[i];
        distinct += !seen;
    }
    assert_true(distinct >= STEPS - 2);
}

static int s_compare_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

/*  Past 2^40 within one millisecond the random part is drawn afresh: the
 *  ids stay well formed and distinct, and one of them comes before the id
 *  made just before it.  20,000 steps of 2^27 on average pass 2^40. */
static void test_a_full_millisecond_draws_afresh(void **state)
{
    (void)state;
    enum { IDS = 20000 };
    static char ids[IDS][IDS_CHARS + 1];
    int backwards = 0;
    for (int i = 0; i < IDS; i++) {
        ids_new(ids[i], 1767225900000);
        s_assert_well_formed(ids[i]);
        backwards += i > 0 && strcmp(ids[i], ids[i - 1]) < 0;
    }
    assert_true(backwards >= 1);
    qsort(ids, IDS, sizeof ids[0], s_compare_ids);
    for (int i = 1; i < IDS; i++)
        assert_string_not_equal(ids[i], ids[i - 1]);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_of_one_millisecond_grow),
        cmocka_unit_test(test_time_orders_ids),
        cmocka_unit_test(test_steps_are_random_and_bounded),
        cmocka_unit_test(test_a_full_millisecond_draws_afresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
