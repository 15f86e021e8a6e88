/*  tests/unit/charter_cases.h - applications built for proto/charter's
 *  tests, judged, and their reports checked (the test_charter_*.c files).
 *
 *  Every case starts from one complete application (a model applicant,
 *  which passes every criterion), applies JSON merge patches (RFC 7386:
 *  null deletes a key, objects merge, anything else replaces), packs the
 *  result as msgpack and judges it.  In the JSON of these files single
 *  quotes stand for double quotes, so French text uses the typographic
 *  apostrophe (’).
 */
#ifndef ESSP_TESTS_CHARTER_CASES_H
#define ESSP_TESTS_CHARTER_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/charter.h"

#define COUNT(table) (sizeof table / sizeof *table)
#define TODAY "2026-11-26"

typedef struct {
    const char *patch;          /* merge patch over the base, NULL for none */
    criterion_outcome_t outcome;
    const char *field;          /* expected field ("" for none) */
    const char *contains;       /* a piece of the reason, or NULL */
    const char *today;          /* NULL for TODAY */
} charter_case_t;

/*  The day of a YYYY-MM-DD date (asserts that it is one). */
int32_t cases_day(const char *text);

/*  Judges base + preset + patch (either NULL for none) as on today (NULL
 *  for TODAY). */
void cases_judge(const char *preset, const char *patch, const char *today, charter_report_t *report);

/*  Whether text is well-formed UTF-8. */
bool cases_utf8_valid(const char *text);

/*  Asserts what every report must look like: every criterion in the
 *  table's order, an outcome it allows, a reason that fits, a field for
 *  each fail or warning, and the verdict that follows from them. */
void cases_assert_well_formed(const charter_report_t *report);

/*  Judges each case (over preset) and checks criterion code's result. */
void cases_run(const char *code, const char *preset, const charter_case_t *cases, size_t count);

#endif
