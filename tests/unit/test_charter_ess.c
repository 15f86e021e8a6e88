/*  Unit tests of proto/charter, part 1 of the charter: be part of the
 *  ESS (legal form, ESUS agreement, identifiers, purpose, governance,
 *  surplus), one table of cases per criterion, and the model applicant
 *  that goes to the committee (tests/unit/charter_cases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/labels.h"
#include "proto/charter.h"
#include "charter_cases.h"

/*  A commercial company created in 2015 holding a current agreement. */
static const char s_commercial[] =
    "{'organisation': {'legal_form': 'commercial_company', 'rna': null,"
    " 'created': '2015-06-01',"
    " 'esus': {'prefecture': '49', 'granted': '2025-09-15', 'expires': '2030-09-14'}}}";

/* ------------------------------------------------------------------------ */
/*  The base application is a model applicant.                             */

static void test_base_application_goes_to_committee(void **state)
{
    charter_report_t report;
    cases_judge(NULL, NULL, NULL, &report);
    cases_assert_well_formed(&report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_REVIEW);
    assert_true(report.private_area);
    for (size_t i = 0; i < report.count; i++)
        assert_true(report.results[i].outcome == CRITERION_PASS
                    || report.results[i].outcome == CRITERION_REVIEW);
}

/* ------------------------------------------------------------------------ */
/*  1. Be part of the ESS.                                                  */

/*  The charter names a legal form with proto/labels.h's wording. */
static void test_ess_form_says_the_label_of_every_legal_form(void **state)
{
    size_t count;
    const label_t *forms = labels_table(LABELS_LEGAL_FORM, &count);
    for (size_t i = 0; i < count; i++) {
        if (strcmp(forms[i].code, "commercial_company") == 0)
            continue;   /* needs its agreement: test_ess_form */
        char patch[128];
        snprintf(patch, sizeof patch, "{'organisation': {'legal_form': '%s'}}", forms[i].code);
        charter_case_t one[] = {{patch, CRITERION_PASS, "", forms[i].label, NULL}};
        cases_run("ESS-FORM", NULL, one, 1);
    }
}

static void test_ess_form(void **state)
{
    static const charter_case_t cases[] = {
        {NULL, CRITERION_PASS, "", "Association", NULL},
        {"{'organisation': {'legal_form': 'scop'}}", CRITERION_PASS, "", "SCOP", NULL},
        {"{'organisation': {'legal_form': 'scic'}}", CRITERION_PASS, "", "SCIC", NULL},
        {"{'organisation': {'legal_form': 'cae'}}", CRITERION_PASS, "", "CAE", NULL},
        {"{'organisation': {'legal_form': 'cooperative'}}", CRITERION_PASS, "", "Coopérative", NULL},
        {"{'organisation': {'legal_form': 'mutual'}}", CRITERION_PASS, "", "Mutuelle", NULL},
        {"{'organisation': {'legal_form': 'foundation'}}", CRITERION_PASS, "", "Fondation",
         NULL},
        {"{'organisation': {'legal_form': 'commercial_company',"
         " 'esus': {'prefecture': '49', 'granted': '2025-09-15', 'expires': '2027-09-14'}}}",
         CRITERION_PASS, "", "ESUS", NULL},
        /* a commercial company without the agreement is not part of the ESS */
        {"{'organisation': {'legal_form': 'commercial_company'}}", CRITERION_FAIL,
         "organisation.esus", "agrément", NULL},
        {"{'organisation': {'legal_form': 'commercial_company', 'esus': 'oui'}}",
         CRITERION_FAIL, "organisation.esus", NULL, NULL},
        {"{'organisation': {'legal_form': 'sarl'}}", CRITERION_FAIL, "organisation.legal_form",
         "statut juridique", NULL},
        {"{'organisation': {'legal_form': null}}", CRITERION_FAIL, "organisation.legal_form",
         NULL, NULL},
        {"{'organisation': {'legal_form': 7}}", CRITERION_FAIL, "organisation.legal_form",
         NULL, NULL},
        {"{'organisation': null}", CRITERION_FAIL, "organisation.legal_form", NULL, NULL},
    };
    cases_run("ESS-FORM", NULL, cases, COUNT(cases));
}

static void test_ess_esus(void **state)
{
    static const charter_case_t cases[] = {
        {NULL, CRITERION_PASS, "", "14 septembre 2030", NULL},
        /* only a commercial company needs it */
        {"{'organisation': {'legal_form': 'association', 'rna': 'W491002345', 'esus': null}}",
         CRITERION_PASS, "", "Sans objet", NULL},
        {"{'organisation': {'legal_form': 'scop', 'esus': {'expires': '2020-01-01'}}}",
         CRITERION_PASS, "", "Sans objet", NULL},
        /* a missing agreement is reported once, under ESS-FORM */
        {"{'organisation': {'esus': null}}", CRITERION_PASS, "", "ESS-FORM", NULL},
        {"{'organisation': {'esus': {'prefecture': ''}}}", CRITERION_FAIL,
         "organisation.esus.prefecture", "préfecture", NULL},
        {"{'organisation': {'esus': {'prefecture': ' '}}}", CRITERION_FAIL,
         "organisation.esus.prefecture", NULL, NULL},
        {"{'organisation': {'esus': {'prefecture': null}}}", CRITERION_FAIL,
         "organisation.esus.prefecture", NULL, NULL},
        /* granted on the submission day is granted; the day after is not */
        {"{'organisation': {'esus': {'granted': '2026-11-26', 'expires': '2031-11-26'}}}",
         CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'esus': {'granted': '2026-11-27', 'expires': '2031-11-26'}}}",
         CRITERION_FAIL, "organisation.esus.granted", "pas encore octroyé", NULL},
        {"{'organisation': {'esus': {'granted': '2027-03-01', 'expires': '2032-02-28'}}}",
         CRITERION_FAIL, "organisation.esus.granted", "1er mars 2027", NULL},
        /* the expiry date is the last valid day */
        {"{'organisation': {'esus': {'granted': '2021-11-26', 'expires': '2026-11-26'}}}",
         CRITERION_PASS, "", "26 novembre 2026", NULL},
        {"{'organisation': {'esus': {'granted': '2021-11-25', 'expires': '2026-11-25'}}}",
         CRITERION_FAIL, "organisation.esus.expires", "a pris fin le 25 novembre 2026", NULL},
        {NULL, CRITERION_PASS, "", NULL, "2030-09-14"},
        {NULL, CRITERION_FAIL, "organisation.esus.expires", NULL, "2030-09-15"},
        {"{'organisation': {'esus': {'granted': '2025-09-15', 'expires': '2025-09-14'}}}",
         CRITERION_FAIL, "organisation.esus.expires", "précède", NULL},
        /* five years at most, anniversary included */
        {"{'organisation': {'esus': {'granted': '2025-09-15', 'expires': '2030-09-15'}}}",
         CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'esus': {'granted': '2025-09-15', 'expires': '2030-09-16'}}}",
         CRITERION_FAIL, "organisation.esus.expires", "5 ans au plus", NULL},
        {"{'organisation': {'esus': {'granted': '2024-02-29', 'expires': '2029-02-28'}}}",
         CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'esus': {'granted': '2024-02-29', 'expires': '2029-03-01'}}}",
         CRITERION_FAIL, "organisation.esus.expires", NULL, NULL},
        /* a company under 3 years old on the grant date: two years at most */
        {"{'organisation': {'created': '2023-01-10',"
         " 'esus': {'granted': '2024-06-01', 'expires': '2029-05-31'}}}",
         CRITERION_FAIL, "organisation.esus.expires", "moins de 3 ans", NULL},
        {"{'organisation': {'created': '2023-01-10',"
         " 'esus': {'granted': '2025-06-01', 'expires': '2027-06-01'}}}",
         CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'created': '2023-01-10',"
         " 'esus': {'granted': '2025-06-01', 'expires': '2027-06-02'}}}",
         CRITERION_FAIL, "organisation.esus.expires", "2 ans au plus", NULL},
        /* three years old on the grant day exactly: five years */
        {"{'organisation': {'created': '2022-06-01',"
         " 'esus': {'granted': '2025-06-01', 'expires': '2030-06-01'}}}",
         CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'created': '2022-06-02',"
         " 'esus': {'granted': '2025-06-01', 'expires': '2030-06-01'}}}",
         CRITERION_FAIL, "organisation.esus.expires", "moins de 3 ans", NULL},
        /* without a creation date only a two-year agreement can be judged */
        {"{'organisation': {'created': null}}", CRITERION_FAIL, "organisation.created",
         "date de création", NULL},
        {"{'organisation': {'created': null,"
         " 'esus': {'granted': '2025-09-15', 'expires': '2027-09-15'}}}",
         CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'created': '2025-10-01'}}", CRITERION_FAIL, "organisation.created",
         "postérieure", NULL},
        {"{'organisation': {'esus': {'granted': '2025-02-30'}}}", CRITERION_FAIL,
         "organisation.esus.granted", NULL, NULL},
        {"{'organisation': {'esus': {'granted': null}}}", CRITERION_FAIL,
         "organisation.esus.granted", NULL, NULL},
        {"{'organisation': {'esus': {'expires': '14/09/2030'}}}", CRITERION_FAIL,
         "organisation.esus.expires", NULL, NULL},
    };
    cases_run("ESS-ESUS", s_commercial, cases, COUNT(cases));
}

static void test_ess_id(void **state)
{
    static const charter_case_t cases[] = {
        {NULL, CRITERION_PASS, "", "45881399500016", NULL},
        {"{'organisation': {'siret': '45881399500016'}}", CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'siret': '45881399500017'}}", CRITERION_FAIL, "organisation.siret",
         "clé de contrôle", NULL},
        {"{'organisation': {'siret': '4588139950001'}}", CRITERION_FAIL, "organisation.siret",
         "14 chiffres", NULL},
        {"{'organisation': {'siret': '458813995-00016'}}", CRITERION_FAIL,
         "organisation.siret", "que des chiffres", NULL},
        {"{'organisation': {'siret': null}}", CRITERION_FAIL, "organisation.siret", NULL, NULL},
        /* La Poste: head office (Luhn) and an establishment (digit sum) */
        {"{'organisation': {'siret': '356 000 000 00048'}}", CRITERION_PASS, "",
         "35600000000048", NULL},
        {"{'organisation': {'siret': '35600000012346'}}", CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'siret': '35600000012345'}}", CRITERION_FAIL, "organisation.siret",
         NULL, NULL},
        /* RNA, Corsica included */
        {"{'organisation': {'rna': 'W2A1234567'}}", CRITERION_PASS, "", "RNA", NULL},
        {"{'organisation': {'rna': 'W2B0001234'}}", CRITERION_PASS, "", NULL, NULL},
        {"{'organisation': {'rna': 'W2C1234567'}}", CRITERION_FAIL, "organisation.rna",
         "W suivi de 9", NULL},
        {"{'organisation': {'rna': 'W49100234'}}", CRITERION_FAIL, "organisation.rna", NULL,
         NULL},
        {"{'organisation': {'rna': 'none'}}", CRITERION_PASS, "", "Alsace-Moselle", NULL},
        {"{'organisation': {'rna': null}}", CRITERION_FAIL, "organisation.rna", "« aucun »",
         NULL},
        /* only an association is asked for it */
        {"{'organisation': {'legal_form': 'scop', 'rna': null}}", CRITERION_PASS, "", NULL,
         NULL},
        {"{'organisation': {'legal_form': 'foundation', 'rna': 'n/a'}}", CRITERION_PASS, "",
         NULL, NULL},
        /* both wrong: both said, SIRET first */
        {"{'organisation': {'siret': '45881399500017', 'rna': null}}", CRITERION_FAIL,
         "organisation.siret", "RNA", NULL},
    };
    cases_run("ESS-ID", NULL, cases, COUNT(cases));
}

static void s_principle(const char *code, const char *key)
{
    char patch[8][160];
    const char *values[] = {
        "'Une phrase.'", "'  Après des espaces.  '", "''", "'   \\n\\t  '",
        "'\\u00a0\\u202f \\u00a0'", "null", "42", "['liste']"};
    const criterion_outcome_t outcomes[] = {
        CRITERION_REVIEW, CRITERION_REVIEW, CRITERION_FAIL, CRITERION_FAIL,
        CRITERION_FAIL, CRITERION_FAIL, CRITERION_FAIL, CRITERION_FAIL};
    charter_case_t cases[COUNT(values) + 1];
    char field[64];
    snprintf(field, sizeof field, "principles.%s", key);
    for (size_t i = 0; i < COUNT(values); i++) {
        snprintf(patch[i], sizeof patch[i], "{'principles': {'%s': %s}}", key, values[i]);
        cases[i] = (charter_case_t){patch[i], outcomes[i],
                              outcomes[i] == CRITERION_FAIL ? field : "", NULL, NULL};
    }
    cases[COUNT(values)] = (charter_case_t){"{'principles': null}", CRITERION_FAIL, field,
                                      "Décrivez", NULL};
    cases_run(code, NULL, cases, COUNT(cases));
}

static void test_ess_purpose(void **state)
{
    s_principle("ESS-PURPOSE", "purpose");
}

static void test_ess_gov(void **state)
{
    s_principle("ESS-GOV", "governance");
}

static void test_ess_surplus(void **state)
{
    s_principle("ESS-SURPLUS", "surplus");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_application_goes_to_committee),
        cmocka_unit_test(test_ess_form),
        cmocka_unit_test(test_ess_form_says_the_label_of_every_legal_form),
        cmocka_unit_test(test_ess_esus),
        cmocka_unit_test(test_ess_id),
        cmocka_unit_test(test_ess_purpose),
        cmocka_unit_test(test_ess_gov),
        cmocka_unit_test(test_ess_surplus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
