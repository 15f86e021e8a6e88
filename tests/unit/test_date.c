/* Unit tests of proto/date: the calendar every time rule relies on. */
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

/* Unix seconds of a UTC civil time. */
static int64_t s_utc(int y, int mo, int d, int h, int mi)
{
    return (int64_t)date_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static void test_french_winter_and_summer(void **state)
{
    char text[64];
    assert_int_equal(date_french(s_utc(2026, 12, 6, 13, 5), text, sizeof text),
                     (int)strlen("6 décembre 2026 à 14 h 05"));
    assert_string_equal(text, "6 décembre 2026 à 14 h 05");
    date_french(s_utc(2026, 7, 1, 6, 0), text, sizeof text);
    assert_string_equal(text, "1er juillet 2026 à 8 h 00");
    /* 23:30 UTC on 31 December is already the next year in Paris. */
    date_french(s_utc(2026, 12, 31, 23, 30), text, sizeof text);
    assert_string_equal(text, "1er janvier 2027 à 0 h 30");
}

static void test_paris_offset_at_the_changes(void **state)
{
    /* 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC. */
    assert_int_equal(date_paris_offset(s_utc(2026, 3, 29, 0, 59)), 3600);
    assert_int_equal(date_paris_offset(s_utc(2026, 3, 29, 1, 0)), 7200);
    assert_int_equal(date_paris_offset(s_utc(2026, 10, 25, 0, 59)), 7200);
    assert_int_equal(date_paris_offset(s_utc(2026, 10, 25, 1, 0)), 3600);
    /* 2027: 28 March and 31 October (a month ending on a Sunday). */
    assert_int_equal(date_paris_offset(s_utc(2027, 3, 28, 1, 0) - 1), 3600);
    assert_int_equal(date_paris_offset(s_utc(2027, 3, 28, 1, 0)), 7200);
    assert_int_equal(date_paris_offset(s_utc(2027, 10, 31, 1, 0) - 1), 7200);
    assert_int_equal(date_paris_offset(s_utc(2027, 10, 31, 1, 0)), 3600);
    /* The wall clock jumps from 2 h 00 to 3 h 00, and back from 3 h 00 to 2 h 00. */
    char text[64];
    date_french(s_utc(2026, 3, 29, 1, 0) - 60, text, sizeof text);
    assert_string_equal(text, "29 mars 2026 à 1 h 59");
    date_french(s_utc(2026, 3, 29, 1, 0), text, sizeof text);
    assert_string_equal(text, "29 mars 2026 à 3 h 00");
    date_french(s_utc(2026, 10, 25, 1, 0) - 60, text, sizeof text);
    assert_string_equal(text, "25 octobre 2026 à 2 h 59");
    date_french(s_utc(2026, 10, 25, 1, 0), text, sizeof text);
    assert_string_equal(text, "25 octobre 2026 à 2 h 00");
}

static void test_iso8601_with_offset(void **state)
{
    char text[32];
    assert_int_equal(date_iso8601(s_utc(2026, 12, 6, 13, 5), text, sizeof text), 25);
    assert_string_equal(text, "2026-12-06T14:05:00+01:00");
    date_iso8601(s_utc(2026, 6, 30, 22, 0) + 7, text, sizeof text);
    assert_string_equal(text, "2026-07-01T00:00:07+02:00");
    date_iso8601(s_utc(2026, 10, 25, 1, 0), text, sizeof text);
    assert_string_equal(text, "2026-10-25T02:00:00+01:00");
    assert_int_equal(date_iso8601(0, text, 25), -1);
    assert_string_equal(text, "");
}

static void test_french_refuses_a_short_buffer(void **state)
{
    char text[10];
    assert_int_equal(date_french(s_utc(2026, 12, 6, 13, 5), text, sizeof text), -1);
    assert_string_equal(text, "");
    char day[32];
    int32_t d;
    date_parse("2027-03-18", 10, &d);
    assert_int_equal(date_french_day(d, day, sizeof day), (int)strlen("18 mars 2027"));
    assert_string_equal(day, "18 mars 2027");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_known_days),
        cmocka_unit_test(test_parse_refuses_impossible_dates),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_add_years_keeps_day_or_clamps_leap_day),
        cmocka_unit_test(test_french_winter_and_summer),
        cmocka_unit_test(test_paris_offset_at_the_changes),
        cmocka_unit_test(test_iso8601_with_offset),
        cmocka_unit_test(test_french_refuses_a_short_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
