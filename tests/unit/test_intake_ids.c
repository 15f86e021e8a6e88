/*  Ids of new applications: time first, then a random part that grows
 *  within a millisecond, so that the ids of one turn come in key order. */
#include "services/intake/ids.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
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

/*  The steps are random: two runs of ids from the same millisecond do not
 *  repeat each other. */
static void test_steps_are_random(void **state)
{
    (void)state;
    char first[IDS_CHARS + 1], second[IDS_CHARS + 1], x[IDS_CHARS + 1], y[IDS_CHARS + 1];
    ids_new(first, 1767225700000);
    ids_new(x, 1767225700000);
    ids_new(second, 1767225800000);
    ids_new(y, 1767225800000);
    assert_string_not_equal(first + 8, second + 8);
    assert_string_not_equal(x + 8, y + 8);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_of_one_millisecond_grow),
        cmocka_unit_test(test_time_orders_ids),
        cmocka_unit_test(test_steps_are_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
