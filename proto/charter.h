/*  proto/charter.h - the charter of ESS Pratiques as rules.
 *
 *  charter_check() is a pure function: an application (a decoded msgpack
 *  map that already passed the schema, see proto/schema.h) and the day it
 *  is judged on go in, a report criterion by criterion comes out.  No clock,
 *  no I/O: the validation service and `essp check` run exactly this code.
 *  Criterion codes are those of the charter (ESS-FORM, REF-CI, LOY-NDA...)
 *  and are part of the public protocol: never rename one.
 */
#ifndef ESSP_PROTO_CHARTER_H
#define ESSP_PROTO_CHARTER_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
 *  proto/date.h) and fills `report`.  Never fails: what cannot be read is
 *  a criterion that fails, with a reason. */
void charter_check(const msgpack_object *application, int32_t today, charter_report_t *report);

/*  The first criterion of `report` whose failure blocks (the one to name
 *  when an application is refused at once), or NULL when none does. */
const criterion_result_t *charter_first_blocking(const charter_report_t *report);

/*  Packs a report as the msgpack map documented in proto/README.md:
 *  {"charter": version, "verdict": "incomplete"|"review",
 *   "private_area": bool,
 *   "criteria": [{"code", "outcome", "blocking", "field", "reason"}...]} */
void charter_report_pack(const charter_report_t *report, msgpack_packer *pk);

/*  "pass", "fail", "review", "warn". */
const char *criterion_outcome_name(criterion_outcome_t outcome);

/*  "incomplete", "review". */
const char *charter_verdict_name(charter_verdict_t verdict);

/*  How the rules read the charter where it leaves room (proto/charter.md
 *  has the full list, criterion by criterion):
 *  - Each problem is reported once, under the code that owns it: a
 *    commercial company that gives no ESUS agreement fails ESS-FORM, and
 *    ESS-ESUS (which judges the dates of an agreement that is given) is
 *    then a pass "sans objet".
 *  - An ESUS agreement is valid up to and including its expiry date: one
 *    that expires on the submission day passes.  It must be granted on or
 *    before the submission day.  Its length is compared with the law's
 *    maximum (5 years, 2 for a company under 3 years old on the grant
 *    date) using date_add_years, so expiring on the anniversary is allowed.
 *  - CLI-TRAINING is the only fail that does not block: the entry can be
 *    listed, report.private_area stays false.  The private area is opened
 *    only to an applicant who supports the whole approach, asks for it,
 *    and names at least one person whose session was strictly before the
 *    submission day, with nobody left untrained.
 *  - A reference is "older than 10 years" when today's year minus its year
 *    is more than 10; a year after today's year is in the future.
 *
 *  The table of criteria, for documentation and an HTTP listing, and a
 *  readable summary for the applicant and `essp check`. */

/*  How a criterion is decided. */
#define CHARTER_CHECK_AUTOMATIC  "automatic"   /* computed from the data */
#define CHARTER_CHECK_COMMITMENT "commitment"  /* a commitment ticked by the applicant */
#define CHARTER_CHECK_COMMITTEE  "committee"   /* presence checked, content judged by the committee */

/*  Bit of `outcome` in charter_criterion_t.outcomes. */
#define CRITERION_OUTCOME_BIT(outcome) (1u << (unsigned)(outcome))

typedef struct {
    const char *code;                  /* "ESS-FORM" */
    int article;                       /* 1..4, the article of the charter */
    const char *title_fr;              /* the commitment, in the charter's French */
    const char *title_en;              /* the same in English, for logs and docs */
    const char *check;                 /* one of CHARTER_CHECK_* */
    unsigned outcomes;                 /* CRITERION_OUTCOME_BIT of each outcome it can give */
} charter_criterion_t;

/*  Points *out at the static table of every criterion, in charter order
 *  (the order of the results in a report), and returns how many there
 *  are. */
size_t charter_criteria(const charter_criterion_t **out);

/*  The criterion with this code, or NULL. */
const charter_criterion_t *charter_criterion_find(const char *code);

/*  The result for `code` in a report, or NULL. */
const criterion_result_t *charter_report_find(const charter_report_t *report, const char *code);

/*  The outcome in French, as the applicant reads it: "conforme",
 *  "non conforme", "à examiner par le comité", "point d'attention". */
const char *criterion_outcome_label(criterion_outcome_t outcome);

/*  The text of a commitment's box on the form, as it reads after « Je
 *  m'engage à : » ("m'interdire toute concurrence déloyale"), for the key
 *  under "commitments" ("fair_competition"); NULL when it is no commitment.
 *  The reason of an unticked commitment quotes exactly this text, so the
 *  applicant finds the box it names. */
const char *charter_commitment_text(const char *key);

/*  Writes a readable French summary of the report to `out`: the verdict,
 *  the private-area access, then one line per criterion (code, outcome in
 *  French, reason, and the field to change when there is one). */
void charter_report_text(const charter_report_t *report, FILE *out);

#endif
