/*  services/validation/charter.h - the charter of ESS Pratiques as rules.
 *
 *  charter_check() is a pure function: an application (a decoded msgpack
 *  map that already passed the schema, see proto/schema.h) and the day it
 *  is judged on go in, a report criterion by criterion comes out.  No clock,
 *  no I/O: the validation service and `essp check` run exactly this code.
 *  Criterion codes are those of the charter (ESS-FORM, REF-CI, LOY-NDA...)
 *  and are part of the public protocol: never rename one.
 */
#ifndef ESSP_VALIDATION_CHARTER_H
#define ESSP_VALIDATION_CHARTER_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  The version of the rules a report was checked against. */
#define CHARTER_VERSION "2018.1"

#define CHARTER_CRITERIA_MAX 32
#define CHARTER_REASON_MAX   512
#define CHARTER_FIELD_MAX    96

typedef enum {
    CRITERION_PASS,     /* the rule holds */
    CRITERION_FAIL,     /* a hard rule is broken: back to the applicant */
    CRITERION_REVIEW,   /* a human must judge: shown to the committee */
    CRITERION_WARN      /* suspicious: shown to the committee */
} criterion_outcome_t;

typedef struct {
    const char *code;                  /* "ESS-FORM", static storage */
    criterion_outcome_t outcome;
    bool blocking;                     /* a FAIL that makes the file incomplete */
    char field[CHARTER_FIELD_MAX];     /* the field to change, "" if none */
    char reason[CHARTER_REASON_MAX];   /* French, for the applicant (UTF-8) */
} criterion_result_t;

typedef enum {
    CHARTER_VERDICT_INCOMPLETE,        /* at least one blocking fail */
    CHARTER_VERDICT_REVIEW             /* goes on to the committee */
} charter_verdict_t;

typedef struct {
    const char *version;               /* CHARTER_VERSION */
    charter_verdict_t verdict;
    bool private_area;                 /* access to the private part granted */
    size_t count;
    criterion_result_t results[CHARTER_CRITERIA_MAX];
} charter_report_t;

/*  Judges `application` as on day `today` (days since 1970-01-01, see
 *  common/date.h) and fills `report`.  Never fails: what cannot be read is
 *  a criterion that fails, with a reason. */
void charter_check(const msgpack_object *application, int32_t today, charter_report_t *report);

/*  Packs a report as the msgpack map documented in proto/README.md:
 *  {"charter": version, "verdict": "incomplete"|"review",
 *   "private_area": bool,
 *   "criteria": [{"code", "outcome", "blocking", "field", "reason"}...]} */
void charter_report_pack(const charter_report_t *report, msgpack_packer *pk);

/*  "pass", "fail", "review", "warn". */
const char *criterion_outcome_name(criterion_outcome_t outcome);

/*  "incomplete", "review". */
const char *charter_verdict_name(charter_verdict_t verdict);

#endif
