/* Unit tests of common/date: the calendar every time rule relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/date.h"

static void test_parse_known_days(void **state)
{
    int32_t d;
    assert_int_equal(date_parse("1970-01-01", 10, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(date_parse("2014-07-31", 10, &d), 0);
    assert_int_equal(d, 16282);
    assert_int_equal(date_parse("2000-02-29", 10, &d), 0);
}

static void test_parse_refuses_impossible_dates(void **state)
{
    int32_t d;
    const char *bad[] = {"2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
                         "2024-4-01", "24-04-01", "2024/04/01", "2024-04-0a", "", "2024-04-011"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(date_parse(bad[i], strlen(bad[i]), &d), -1);
}

static void test_format_round_trip(void **state)
{
    char text[11];
    for (int32_t d = -1000; d < 40000; d += 7) {
        int32_t back;
        date_format(d, text);
        assert_int_equal(date_parse(text, 10, &back), 0);
        assert_int_equal(back, d);
    }
}

static void test_add_years_keeps_day_or_clamps_leap_day(void **state)
{
    int32_t d, e;
    char text[11];
    date_parse("2024-02-29", 10, &d);
    date_format(date_add_years(d, 1), text);
    assert_string_equal(text, "2025-02-28");
    date_parse("2021-06-15", 10, &d);
    date_parse("2026-06-15", 10, &e);
    assert_int_equal(date_add_years(d, 5), e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_known_days),
        cmocka_unit_test(test_parse_refuses_impossible_dates),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_add_years_keeps_day_or_clamps_leap_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
