/*  Unit tests of proto/charter, parts 2 to 4 of the charter: experience
 *  and references, the commitments, CLI-TRAINING and the private area it
 *  opens, LOY-NDA; one table of cases per criterion
 *  (tests/unit/charter_cases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/charter.h"
#include "charter_cases.h"

/* ------------------------------------------------------------------------ */
/*  2. Experience and references.                                           */

#define REF(ess, year, topics) \
    "{'client': 'Client', 'client_is_ess': " ess ", 'year': " year ", 'kind': 'support'," \
    " " topics " 'summary': 'Mission.'}"

static void test_ref_ess(void **state)
{
    static const charter_case_t cases[] = {
        {NULL, CRITERION_REVIEW, "", "2 références", NULL},
        {"{'references': [" REF("true", "2024", "") "]}", CRITERION_REVIEW, "",
         "1 référence auprès", NULL},
        {"{'references': [" REF("false", "2024", "") ", " REF("true", "2023", "") "]}",
         CRITERION_REVIEW, "", "1 référence", NULL},
        {"{'references': [" REF("false", "2024", "") "]}", CRITERION_FAIL, "references",
         "organisation de l'ESS", NULL},
        {"{'references': []}", CRITERION_FAIL, "references", NULL, NULL},
        {"{'references': null}", CRITERION_FAIL, "references", NULL, NULL},
        {"{'references': [{'client': 'Client', 'year': 2024}]}", CRITERION_FAIL, "references",
         NULL, NULL},
    };
    cases_run("REF-ESS", NULL, cases, COUNT(cases));
}

static void test_ref_ci(void **state)
{
    static const charter_case_t cases[] = {
        {NULL, CRITERION_REVIEW, "", "1 référence sur la démarche", NULL},
        {"{'references': [" REF("false", "2024", "'ci_topics': ['rso'],") ", "
         REF("true", "2020", "'ci_topics': ['whole_approach', 'iso26000'],") "]}",
         CRITERION_REVIEW, "", "2 références", NULL},
        {"{'references': [" REF("true", "2024", "'ci_topics': [],") "]}", CRITERION_FAIL,
         "references", "amélioration continue", NULL},
        {"{'references': [" REF("true", "2024", "") "]}", CRITERION_FAIL, "references", NULL,
         NULL},
        {"{'references': [" REF("true", "2024", "'ci_topics': 'rse',") "]}", CRITERION_FAIL,
         "references", NULL, NULL},
        {"{'references': []}", CRITERION_FAIL, "references", NULL, NULL},
    };
    cases_run("REF-CI", NULL, cases, COUNT(cases));
}

static void test_ref_dates(void **state)
{
    static const charter_case_t cases[] = {
        {NULL, CRITERION_PASS, "", NULL, NULL},
        {"{'references': [" REF("true", "2026", "") "]}", CRITERION_PASS, "", NULL, NULL},
        /* exactly 10 years is not older than 10 years */
        {"{'references': [" REF("true", "2016", "") "]}", CRITERION_PASS, "", NULL, NULL},
        {"{'references': [" REF("true", "2020", "") ", " REF("true", "2015", "") "]}",
         CRITERION_WARN, "references[1].year", "plus de 10 ans", NULL},
        {"{'references': [" REF("true", "1990", "") ", " REF("true", "2015", "") "]}",
         CRITERION_WARN, "references[0].year", "d'autres références", NULL},
        /* next year is in the future */
        {"{'references': [" REF("true", "2024", "") ", " REF("true", "2027", "") "]}",
         CRITERION_FAIL, "references[1].year", "2027", NULL},
        /* a future one outweighs an old one */
        {"{'references': [" REF("true", "2015", "") ", " REF("true", "2030", "") "]}",
         CRITERION_FAIL, "references[1].year", NULL, NULL},
        {"{'references': [{'client': 'Client', 'client_is_ess': true}]}", CRITERION_FAIL,
         "references[0].year", "Indiquez l'année", NULL},
        {"{'references': [" REF("true", "'2024'", "") "]}", CRITERION_FAIL,
         "references[0].year", NULL, NULL},
        {"{'references': []}", CRITERION_PASS, "", "Aucune référence", NULL},
        /* judged later, the same years move */
        {"{'references': [" REF("true", "2027", "") ", " REF("true", "2017", "") "]}",
         CRITERION_PASS, "", NULL, "2027-12-31"},
        {"{'references': [" REF("true", "2016", "") "]}", CRITERION_WARN, "references[0].year",
         NULL, "2027-01-01"},
    };
    cases_run("REF-DATES", NULL, cases, COUNT(cases));
}

/* ------------------------------------------------------------------------ */
/*  3. and 4. Commitments.                                                  */

static void test_commitments(void **state)
{
    static const struct {
        const char *code;
        const char *key;
    } commitments[] = {
        {"CLI-CONTRACT", "contract_before_action"}, {"CLI-SCOPE", "within_competence"},
        {"CLI-CONFID", "confidentiality"}, {"LOY-NODISCRIM", "non_discrimination"},
        {"LOY-COI", "conflict_disclosure"}, {"LOY-TAX", "tax_compliance"},
        {"LOY-REG", "regulatory_watch"}, {"LOY-IP", "intellectual_property"},
        {"LOY-FAIR", "fair_competition"}, {"LOY-CHARTER", "charter_on_request"},
    };
    for (size_t i = 0; i < COUNT(commitments); i++) {
        const charter_criterion_t *criterion = charter_criterion_find(commitments[i].code);
        assert_non_null(criterion);
        assert_string_equal(criterion->check, CHARTER_CHECK_COMMITMENT);
        char field[64], patches[4][128];
        const char *values[] = {"true", "false", "null", "'oui'"};
        snprintf(field, sizeof field, "commitments.%s", commitments[i].key);
        charter_case_t cases[COUNT(values) + 1];
        for (size_t v = 0; v < COUNT(values); v++) {
            snprintf(patches[v], sizeof patches[v], "{'commitments': {'%s': %s}}",
                     commitments[i].key, values[v]);
            bool ticked = v == 0;
            cases[v] = (charter_case_t){patches[v], ticked ? CRITERION_PASS : CRITERION_FAIL,
                                  ticked ? "" : field, ticked ? "Engagement pris" : "Cochez",
                                  NULL};
        }
        cases[COUNT(values)] = (charter_case_t){"{'commitments': null}", CRITERION_FAIL, field,
                                          NULL, NULL};
        cases_run(commitments[i].code, NULL, cases, COUNT(cases));
    }
}

/* ------------------------------------------------------------------------ */
/*  CLI-TRAINING, and the private area it opens.                            */

static void test_cli_training(void **state)
{
    static const struct {
        charter_case_t c;
        bool private_area;
    } cases[] = {
        {{NULL, CRITERION_PASS, "", "1 personne formée", NULL}, true},
        {{"{'trained_people': [{'name': 'A B', 'session_date': '2025-03-18'},"
          " {'name': 'C D', 'session_date': '2026-11-25'}]}",
          CRITERION_PASS, "", "2 personnes formées", NULL}, true},
        /* not asked, or asked without supporting the whole approach */
        {{"{'offer': {'private_area': false}}", CRITERION_PASS, "", "Sans objet", NULL}, false},
        {{"{'offer': {'private_area': null}, 'trained_people': null}", CRITERION_PASS, "",
          NULL, NULL}, false},
        {{"{'offer': {'scope': ['specific']}}", CRITERION_PASS, "", "dans son ensemble", NULL},
         false},
        /* nobody trained yet */
        {{"{'trained_people': []}", CRITERION_FAIL, "trained_people", "250 € TTC", NULL},
         false},
        {{"{'trained_people': null}", CRITERION_FAIL, "trained_people", NULL, NULL}, false},
        /* a session today or later has not been followed yet */
        {{"{'trained_people': [{'name': 'A B', 'session_date': '2026-11-26'}]}",
          CRITERION_FAIL, "trained_people[0].session_date", "26 novembre 2026", NULL}, false},
        {{"{'trained_people': [{'name': 'A B', 'session_date': '2025-03-18'},"
          " {'name': 'C D', 'session_date': '2027-01-14'}]}",
          CRITERION_FAIL, "trained_people[1].session_date", "personne n° 2", NULL}, false},
        {{"{'trained_people': [{'name': 'A B', 'session_date': 'mars 2025'}]}",
          CRITERION_FAIL, "trained_people[0].session_date", "AAAA-MM-JJ", NULL}, false},
        {{"{'trained_people': [{'name': 'A B'}]}", CRITERION_FAIL,
          "trained_people[0].session_date", NULL, NULL}, false},
        /* the same list, judged after the session */
        {{"{'trained_people': [{'name': 'A B', 'session_date': '2027-01-14'}]}",
          CRITERION_PASS, "", NULL, "2027-01-15"}, true},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        cases_run("CLI-TRAINING", NULL, &cases[i].c, 1);
        charter_report_t report;
        cases_judge(NULL, cases[i].c.patch, cases[i].c.today, &report);
        assert_int_equal(report.private_area, cases[i].private_area);
        /* never blocking: the entry can still be listed */
        assert_int_equal(report.verdict, CHARTER_VERDICT_REVIEW);
    }
}

static void test_cli_training_future_session_does_not_block(void **state)
{
    charter_report_t report;
    cases_judge(NULL, "{'trained_people': [{'name': 'A B', 'session_date': '2026-12-03'}]}", NULL,
                &report);
    const criterion_result_t *r = charter_report_find(&report, "CLI-TRAINING");
    assert_int_equal(r->outcome, CRITERION_FAIL);
    assert_false(r->blocking);
    assert_non_null(strstr(r->reason, "publiée"));
    assert_false(report.private_area);
    assert_int_equal(report.verdict, CHARTER_VERDICT_REVIEW);
}

/* ------------------------------------------------------------------------ */
/*  LOY-NDA.                                                                */

static void test_loy_nda(void **state)
{
    static const charter_case_t cases[] = {
        {NULL, CRITERION_PASS, "", "52490123449", NULL},
        {"{'organisation': {'nda': '52441256344'}}", CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'nda': null}}", CRITERION_FAIL, "organisation.nda",
         "numéro de déclaration d'activité", NULL},
        /* the observed layout is only a hint */
        {"{'organisation': {'nda': '52 44 12563 49'}}", CRITERION_WARN, "organisation.nda",
         "forme habituelle", NULL},
        {"{'organisation': {'nda': '00 44 12563 44'}}", CRITERION_WARN, "organisation.nda",
         NULL, NULL},
        /* not 11 digits is not an NDA */
        {"{'organisation': {'nda': '5244 125634'}}", CRITERION_FAIL, "organisation.nda",
         "11 chiffres", NULL},
        {"{'organisation': {'nda': '52 44 12563 44 1'}}", CRITERION_FAIL, "organisation.nda",
         NULL, NULL},
        {"{'organisation': {'nda': '52-44-12563-44'}}", CRITERION_FAIL, "organisation.nda",
         NULL, NULL},
        {"{'organisation': {'nda': 52441256344}}", CRITERION_FAIL, "organisation.nda", NULL,
         NULL},
        /* asked only of an applicant offering training */
        {"{'offer': {'formats': ['support']}, 'organisation': {'nda': null}}", CRITERION_PASS,
         "", "Sans objet", NULL},
        {"{'offer': {'formats': ['support']}, 'organisation': {'nda': 'x'}}", CRITERION_PASS,
         "", NULL, NULL},
        {"{'offer': null, 'organisation': {'nda': null}}", CRITERION_PASS, "", NULL, NULL},
    };
    cases_run("LOY-NDA", NULL, cases, COUNT(cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_ess),
        cmocka_unit_test(test_ref_ci),
        cmocka_unit_test(test_ref_dates),
        cmocka_unit_test(test_commitments),
        cmocka_unit_test(test_cli_training),
        cmocka_unit_test(test_cli_training_future_session_does_not_block),
        cmocka_unit_test(test_loy_nda),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
