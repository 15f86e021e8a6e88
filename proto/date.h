/*  proto/date.h - calendar dates as day numbers.
 *
 *  Every rule that depends on time takes "today" as an argument: nothing in
 *  the rules reads the clock, so a result can always be reproduced.  A date
 *  is an int32 count of days since 1970-01-01 (proleptic Gregorian), which
 *  makes "expires before submission" a plain comparison.
 */
#ifndef ESSP_PROTO_DATE_H
#define ESSP_PROTO_DATE_H

#include <stddef.h>
#include <stdint.h>

/*  Parses exactly "YYYY-MM-DD" (len bytes, no terminator needed) into a day
 *  number.  Returns 0, or -1 when the text is not a real calendar date
 *  (2023-02-29 is refused).  Years 1000..9999. */
int date_parse(const char *text, size_t len, int32_t *days);

/*  Writes "YYYY-MM-DD" (11 bytes with the terminator) for a day number. */
void date_format(int32_t days, char out[11]);

/*  Day number from a civil date; no range check. */
int32_t date_from_civil(int year, int month, int day);

/*  Civil date of a day number. */
void date_to_civil(int32_t days, int *year, int *month, int *day);

/*  The same day `years` years later; 29 February becomes 28 February in a
 *  year that has none (the rule used for agreement and listing expiry). */
int32_t date_add_years(int32_t days, int years);

/*  Today in UTC, for the thin shells (main.c, the CLI) that pass time in. */
int32_t date_today_utc(void);

/*  Times a person reads are in the time of the committee, Europe/Paris.
 *  The rule is computed rather than read from the TZ database, so that a
 *  page renders the same on every machine (tzdata may be absent) and the
 *  process's TZ never matters: summer time (UTC+2) runs from 01:00 UTC on
 *  the last Sunday of March to 01:00 UTC on the last Sunday of October
 *  (EU directive 2000/84/EC); UTC+1 otherwise. */

/*  The offset of Europe/Paris from UTC at unix time t, in seconds. */
int date_paris_offset(int64_t unix_time);

/*  "6 décembre 2026 à 14 h 05" (Paris time; "1er" for the first of a
 *  month).  Writes at most cap bytes with the terminator; returns the
 *  length, or -1 when cap is too small (out then holds ""). */
int date_french(int64_t unix_time, char *out, size_t cap);

/*  "6 décembre 2026" for a day number (no time zone: a day is a day). */
int date_french_day(int32_t days, char *out, size_t cap);

/*  ISO 8601 with the Paris offset: "2026-12-06T14:05:00+01:00", for
 *  machine outputs that stand beside the raw seconds.  Returns the length
 *  (25), or -1 when cap < 26. */
int date_iso8601(int64_t unix_time, char *out, size_t cap);

#endif
