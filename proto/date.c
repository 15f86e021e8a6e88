/*  proto/date.c - see date.h.  Civil-date arithmetic after H. Hinnant's
 *  days_from_civil / civil_from_days, exact over the whole range. */
#include "date.h"

#include <stdio.h>
#include <time.h>

int32_t date_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void date_to_civil(int32_t z, int *year, int *month, int *day)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int y = (int)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *year = y + (m <= 2);
    *month = (int)m;
    *day = (int)d;
}

static int s_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 ? 28 + leap : days[month - 1];
}

static int s_digits(const char *text, int count)
{
    int value = 0;
    for (int i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

int date_parse(const char *text, size_t len, int32_t *days)
{
    if (!text || len != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    int year = s_digits(text, 4), month = s_digits(text + 5, 2), day = s_digits(text + 8, 2);
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > s_days_in_month(year, month))
        return -1;
    if (days)
        *days = date_from_civil(year, month, day);
    return 0;
}

void date_format(int32_t days, char out[11])
{
    int y, m, d;
    date_to_civil(days, &y, &m, &d);
    unsigned uy = (unsigned)y % 10000u, um = (unsigned)m % 100u, ud = (unsigned)d % 100u;
    out[0] = (char)('0' + uy / 1000), out[1] = (char)('0' + uy / 100 % 10);
    out[2] = (char)('0' + uy / 10 % 10), out[3] = (char)('0' + uy % 10), out[4] = '-';
    out[5] = (char)('0' + um / 10), out[6] = (char)('0' + um % 10), out[7] = '-';
    out[8] = (char)('0' + ud / 10), out[9] = (char)('0' + ud % 10), out[10] = '\0';
}

int32_t date_add_years(int32_t days, int years)
{
    int y, m, d;
    date_to_civil(days, &y, &m, &d);
    y += years;
    if (m == 2 && d == 29 && s_days_in_month(y, 2) == 28)
        d = 28;
    return date_from_civil(y, m, d);
}

int32_t date_today_utc(void)
{
    return (int32_t)(time(NULL) / 86400);
}

/*  Floor division, so that times before 1970 fall on the right day. */
static int64_t s_day_of(int64_t unix_time)
{
    return unix_time >= 0 ? unix_time / 86400 : (unix_time - 86399) / 86400;
}

/*  Day number of the last Sunday of a month (1970-01-01 was a Thursday). */
static int32_t s_last_sunday(int year, int month)
{
    int32_t last = month == 12 ? date_from_civil(year + 1, 1, 1) - 1
                               : date_from_civil(year, month + 1, 1) - 1;
    int weekday = (int)(((last % 7) + 7 + 4) % 7); /* 0 = Sunday */
    return last - weekday;
}

int date_paris_offset(int64_t unix_time)
{
    int year, month, day;
    date_to_civil((int32_t)s_day_of(unix_time), &year, &month, &day);
    int64_t start = (int64_t)s_last_sunday(year, 3) * 86400 + 3600;
    int64_t end = (int64_t)s_last_sunday(year, 10) * 86400 + 3600;
    return unix_time >= start && unix_time < end ? 7200 : 3600;
}

static const char *const s_months[] = {"janvier", "février", "mars", "avril", "mai", "juin",
                                       "juillet", "août", "septembre", "octobre", "novembre",
                                       "décembre"};

static int s_fits(int written, char *out, size_t cap)
{
    if (written < 0 || (size_t)written >= cap) {
        if (cap)
            out[0] = '\0';
        return -1;
    }
    return written;
}

int date_french_day(int32_t days, char *out, size_t cap)
{
    int year, month, day;
    date_to_civil(days, &year, &month, &day);
    int n = day == 1 ? snprintf(out, cap, "1er %s %d", s_months[month - 1], year)
                     : snprintf(out, cap, "%d %s %d", day, s_months[month - 1], year);
    return s_fits(n, out, cap);
}

int date_french(int64_t unix_time, char *out, size_t cap)
{
    int64_t local = unix_time + date_paris_offset(unix_time);
    int64_t days = s_day_of(local), seconds = local - days * 86400;
    int n = date_french_day((int32_t)days, out, cap);
    if (n < 0)
        return -1;
    int m = snprintf(out + n, cap - (size_t)n, " à %d h %02d", (int)(seconds / 3600),
                     (int)(seconds % 3600 / 60));
    return s_fits(m < 0 ? m : n + m, out, cap);
}

int date_iso8601(int64_t unix_time, char *out, size_t cap)
{
    int offset = date_paris_offset(unix_time);
    int64_t local = unix_time + offset;
    int64_t days = s_day_of(local), seconds = local - days * 86400;
    int year, month, day;
    date_to_civil((int32_t)days, &year, &month, &day);
    int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d+%02d:00", year, month, day,
                     (int)(seconds / 3600), (int)(seconds % 3600 / 60), (int)(seconds % 60),
                     offset / 3600);
    return s_fits(n, out, cap);
}
