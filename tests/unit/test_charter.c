/* Unit tests of proto/charter: one table per criterion.
 *
 * Every case starts from one complete application (s_base, which passes
 * every criterion), applies a JSON merge patch (RFC 7386: null deletes a
 * key, objects merge, anything else replaces), packs the result as
 * msgpack and judges it.  In the JSON of this file single quotes stand for
 * double quotes, so French text uses the typographic apostrophe (’). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "proto/date.h"
#include "proto/charter.h"
#include "proto/labels.h"

#define COUNT(table) (sizeof table / sizeof *table)
#define TODAY "2026-11-26"

static const char s_base[] =
    "{'organisation': {"
    "   'name': 'Association Trajectoires Solidaires',"
    "   'siret': '458 813 995 00016',"
    "   'legal_form': 'association',"
    "   'rna': 'W491002345',"
    "   'created': '2012-03-15',"
    "   'nda': '52 49 01234 49',"
    "   'address': {'street': '12 rue Lionnaise', 'postcode': '49100', 'city': 'Angers'},"
    "   'public_contact': {'email': 'contact@trajectoires-solidaires.example'},"
    "   'private_contact': {'name': 'Claire Dupuis',"
    "                       'email': 'claire.dupuis@trajectoires-solidaires.example'}},"
    " 'principles': {"
    "   'purpose': 'Nous accompagnons des structures de l’ESS du Maine-et-Loire.',"
    "   'governance': 'Conseil d’administration élu par les adhérents, salariés associés.',"
    "   'surplus': 'Les excédents sont mis en réserve et réinvestis dans le projet.'},"
    " 'offer': {'scope': ['whole', 'specific'], 'formats': ['support', 'training'],"
    "           'themes': ['continuous_improvement', 'democratic_governance'],"
    "           'departments': ['49', '44'], 'private_area': true},"
    " 'trained_people': [{'name': 'Claire Dupuis', 'session_date': '2025-03-18'}],"
    " 'references': ["
    "   {'client': 'SCIC Bois Bocage Énergie', 'client_is_ess': true, 'year': 2024,"
    "    'kind': 'support', 'ci_topics': ['guide', 'rse'],"
    "    'summary': 'Mise en œuvre du Guide des bonnes pratiques.'},"
    "   {'client': 'Régie de quartier des Justices', 'client_is_ess': true, 'year': 2021,"
    "    'kind': 'training', 'summary': 'Formation des administrateurs.'}],"
    " 'commitments': {'contract_before_action': true, 'within_competence': true,"
    "   'confidentiality': true, 'non_discrimination': true, 'conflict_disclosure': true,"
    "   'tax_compliance': true, 'regulatory_watch': true, 'intellectual_property': true,"
    "   'fair_competition': true, 'charter_on_request': true}}";

/*  A commercial company created in 2015 holding a current agreement. */
static const char s_commercial[] =
    "{'organisation': {'legal_form': 'commercial_company', 'rna': null,"
    " 'created': '2015-06-01',"
    " 'esus': {'prefecture': '49', 'granted': '2025-09-15', 'expires': '2030-09-14'}}}";

typedef struct {
    const char *patch;          /* merge patch over the base, NULL for none */
    criterion_outcome_t outcome;
    const char *field;          /* expected field ("" for none) */
    const char *contains;       /* a piece of the reason, or NULL */
    const char *today;          /* NULL for TODAY */
} s_case_t;

/* ------------------------------------------------------------------------ */
/*  Building applications.                                                  */

static json_t *s_json(const char *quoted)
{
    char *text = strdup(quoted);
    assert_non_null(text);
    for (char *c = text; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t error;
    json_t *json = json_loads(text, 0, &error);
    if (!json)
        fail_msg("bad test JSON: %s at %d: %s", error.text, error.position, quoted);
    free(text);
    return json;
}

static void s_merge(json_t *target, json_t *patch)
{
    const char *key;
    json_t *value;
    json_object_foreach(patch, key, value) {
        json_t *current = json_object_get(target, key);
        if (json_is_null(value))
            json_object_del(target, key);
        else if (json_is_object(value) && json_is_object(current))
            s_merge(current, value);
        else
            json_object_set(target, key, value);
    }
}

static void s_pack(msgpack_packer *pk, json_t *json)
{
    const char *key;
    json_t *value;
    size_t i;
    switch (json_typeof(json)) {
    case JSON_OBJECT:
        msgpack_pack_map(pk, json_object_size(json));
        json_object_foreach(json, key, value) {
            msgpack_pack_str_with_body(pk, key, strlen(key));
            s_pack(pk, value);
        }
        break;
    case JSON_ARRAY:
        msgpack_pack_array(pk, json_array_size(json));
        json_array_foreach(json, i, value)
            s_pack(pk, value);
        break;
    case JSON_STRING:
        msgpack_pack_str_with_body(pk, json_string_value(json), json_string_length(json));
        break;
    case JSON_INTEGER:
        msgpack_pack_int64(pk, json_integer_value(json));
        break;
    case JSON_REAL:
        msgpack_pack_double(pk, json_real_value(json));
        break;
    case JSON_TRUE:
        msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false(pk);
        break;
    case JSON_NULL:
        msgpack_pack_nil(pk);
        break;
    }
}

static int32_t s_day(const char *text)
{
    int32_t day;
    assert_int_equal(date_parse(text, strlen(text), &day), 0);
    return day;
}

/*  Judges base + preset + patch as on `today`. */
static void s_judge(const char *preset, const char *patch, const char *today,
                    charter_report_t *report)
{
    json_t *app = s_json(s_base);
    const char *patches[] = {preset, patch};
    for (size_t i = 0; i < COUNT(patches); i++) {
        if (!patches[i])
            continue;
        json_t *json = s_json(patches[i]);
        s_merge(app, json);
        json_decref(json);
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    s_pack(&pk, app);
    json_decref(app);

    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(buf.data, buf.size, &off, &zone, &obj),
                     MSGPACK_UNPACK_SUCCESS);
    charter_check(&obj, s_day(today ? today : TODAY), report);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

/* ------------------------------------------------------------------------ */
/*  What every result must look like.                                       */

static bool s_utf8_valid(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        size_t extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                     : (*p & 0xF8) == 0xF0 ? 3 : 9;
        if (extra == 9)
            return false;
        for (size_t k = 1; k <= extra; k++)
            if ((p[k] & 0xC0) != 0x80)
                return false;
        p += extra + 1;
    }
    return true;
}

static void s_assert_well_formed(const charter_report_t *report)
{
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    assert_int_equal(report->count, count);
    assert_string_equal(report->version, CHARTER_VERSION);
    bool blocking = false;
    for (size_t i = 0; i < report->count; i++) {
        const criterion_result_t *r = &report->results[i];
        assert_string_equal(r->code, criteria[i].code);
        assert_true(criteria[i].outcomes & CRITERION_OUTCOME_BIT(r->outcome));
        assert_true(r->reason[0] != '\0');
        assert_true(s_utf8_valid(r->reason));
        /* never cut: every reason fits with room to spare */
        assert_true(strlen(r->reason) < CHARTER_REASON_MAX - 1);
        bool fails = r->outcome == CRITERION_FAIL;
        assert_int_equal(r->blocking, fails && strcmp(r->code, "CLI-TRAINING") != 0);
        if (fails || r->outcome == CRITERION_WARN)
            assert_true(r->field[0] != '\0');
        else
            assert_string_equal(r->field, "");
        blocking |= r->blocking;
    }
    assert_int_equal(report->verdict,
                     blocking ? CHARTER_VERDICT_INCOMPLETE : CHARTER_VERDICT_REVIEW);
}

static void s_run(const char *code, const char *preset, const s_case_t *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const s_case_t *c = &cases[i];
        charter_report_t report;
        s_judge(preset, c->patch, c->today, &report);
        s_assert_well_formed(&report);
        const criterion_result_t *r = charter_report_find(&report, code);
        assert_non_null(r);
        if (r->outcome != c->outcome || strcmp(r->field, c->field) != 0
            || (c->contains && !strstr(r->reason, c->contains)))
            fail_msg("%s case %zu (%s): got %s field '%s' reason '%s'", code, i,
                     c->patch ? c->patch : "base", criterion_outcome_name(r->outcome),
                     r->field, r->reason);
    }
}

/* ------------------------------------------------------------------------ */
/*  The base application is a model applicant.                             */

static void test_base_application_goes_to_committee(void **state)
{
    charter_report_t report;
    s_judge(NULL, NULL, NULL, &report);
    s_assert_well_formed(&report);
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
        s_case_t one[] = {{patch, CRITERION_PASS, "", forms[i].label, NULL}};
        s_run("ESS-FORM", NULL, one, 1);
    }
}

static void test_ess_form(void **state)
{
    static const s_case_t cases[] = {
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
    s_run("ESS-FORM", NULL, cases, COUNT(cases));
}

static void test_ess_esus(void **state)
{
    static const s_case_t cases[] = {
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
    s_run("ESS-ESUS", s_commercial, cases, COUNT(cases));
}

static void test_ess_id(void **state)
{
    static const s_case_t cases[] = {
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
        {"{'organisation': {'rna': null}}", CRITERION_FAIL, "organisation.rna", "« none »",
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
    s_run("ESS-ID", NULL, cases, COUNT(cases));
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
    s_case_t cases[COUNT(values) + 1];
    char field[64];
    snprintf(field, sizeof field, "principles.%s", key);
    for (size_t i = 0; i < COUNT(values); i++) {
        snprintf(patch[i], sizeof patch[i], "{'principles': {'%s': %s}}", key, values[i]);
        cases[i] = (s_case_t){patch[i], outcomes[i],
                              outcomes[i] == CRITERION_FAIL ? field : "", NULL, NULL};
    }
    cases[COUNT(values)] = (s_case_t){"{'principles': null}", CRITERION_FAIL, field,
                                      "Décrivez", NULL};
    s_run(code, NULL, cases, COUNT(cases));
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

/* ------------------------------------------------------------------------ */
/*  2. Experience and references.                                           */

#define REF(ess, year, topics) \
    "{'client': 'Client', 'client_is_ess': " ess ", 'year': " year ", 'kind': 'support'," \
    " " topics " 'summary': 'Mission.'}"

static void test_ref_ess(void **state)
{
    static const s_case_t cases[] = {
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
    s_run("REF-ESS", NULL, cases, COUNT(cases));
}

static void test_ref_ci(void **state)
{
    static const s_case_t cases[] = {
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
    s_run("REF-CI", NULL, cases, COUNT(cases));
}

static void test_ref_dates(void **state)
{
    static const s_case_t cases[] = {
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
    s_run("REF-DATES", NULL, cases, COUNT(cases));
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
        s_case_t cases[COUNT(values) + 1];
        for (size_t v = 0; v < COUNT(values); v++) {
            snprintf(patches[v], sizeof patches[v], "{'commitments': {'%s': %s}}",
                     commitments[i].key, values[v]);
            bool ticked = v == 0;
            cases[v] = (s_case_t){patches[v], ticked ? CRITERION_PASS : CRITERION_FAIL,
                                  ticked ? "" : field, ticked ? "Engagement pris" : "Cochez",
                                  NULL};
        }
        cases[COUNT(values)] = (s_case_t){"{'commitments': null}", CRITERION_FAIL, field,
                                          NULL, NULL};
        s_run(commitments[i].code, NULL, cases, COUNT(cases));
    }
}

/* ------------------------------------------------------------------------ */
/*  CLI-TRAINING, and the private area it opens.                            */

static void test_cli_training(void **state)
{
    static const struct {
        s_case_t c;
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
        s_run("CLI-TRAINING", NULL, &cases[i].c, 1);
        charter_report_t report;
        s_judge(NULL, cases[i].c.patch, cases[i].c.today, &report);
        assert_int_equal(report.private_area, cases[i].private_area);
        /* never blocking: the entry can still be listed */
        assert_int_equal(report.verdict, CHARTER_VERDICT_REVIEW);
    }
}

static void test_cli_training_future_session_does_not_block(void **state)
{
    charter_report_t report;
    s_judge(NULL, "{'trained_people': [{'name': 'A B', 'session_date': '2026-12-03'}]}", NULL,
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
    static const s_case_t cases[] = {
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
    s_run("LOY-NDA", NULL, cases, COUNT(cases));
}

/* ------------------------------------------------------------------------ */
/*  The report as a whole.                                                  */

static void test_verdict_incomplete_on_any_blocking_fail(void **state)
{
    charter_report_t report;
    s_judge(NULL, "{'commitments': {'tax_compliance': false}}", NULL, &report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_INCOMPLETE);
    /* a warn alone does not */
    s_judge(NULL, "{'organisation': {'nda': '52 44 12563 49'}}", NULL, &report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_REVIEW);
    /* everything wrong at once: every failing code is named */
    s_judge(NULL, "{'organisation': {'siret': '1', 'legal_form': 'sarl'}, 'principles': null,"
            " 'references': [], 'commitments': null, 'trained_people': null}", NULL, &report);
    s_assert_well_formed(&report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_INCOMPLETE);
    size_t fails = 0;
    for (size_t i = 0; i < report.count; i++)
        fails += report.results[i].outcome == CRITERION_FAIL;
    assert_int_equal(fails, 18);
}

static void test_unreadable_applications_fail_without_crashing(void **state)
{
    msgpack_object objects[3];
    memset(objects, 0, sizeof objects);
    objects[0].type = MSGPACK_OBJECT_NIL;
    objects[1].type = MSGPACK_OBJECT_POSITIVE_INTEGER;
    objects[1].via.u64 = 7;
    objects[2].type = MSGPACK_OBJECT_MAP;   /* an empty map */
    charter_report_t report;
    charter_check(NULL, s_day(TODAY), &report);
    s_assert_well_formed(&report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_INCOMPLETE);
    for (size_t i = 0; i < COUNT(objects); i++) {
        charter_check(&objects[i], s_day(TODAY), &report);
        s_assert_well_formed(&report);
        assert_int_equal(report.verdict, CHARTER_VERDICT_INCOMPLETE);
        assert_false(report.private_area);
        assert_int_equal(charter_report_find(&report, "ESS-FORM")->outcome, CRITERION_FAIL);
    }
}

static void test_criteria_table(void **state)
{
    static const char *const order[] = {
        "ESS-FORM", "ESS-ESUS", "ESS-ID", "ESS-PURPOSE", "ESS-GOV", "ESS-SURPLUS",
        "REF-ESS", "REF-CI", "REF-DATES",
        "CLI-CONTRACT", "CLI-SCOPE", "CLI-CONFID", "CLI-TRAINING",
        "LOY-NODISCRIM", "LOY-COI", "LOY-TAX", "LOY-REG", "LOY-NDA", "LOY-IP", "LOY-FAIR",
        "LOY-CHARTER"};
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    assert_int_equal(count, COUNT(order));
    assert_true(count <= CHARTER_CRITERIA_MAX);
    assert_int_equal(charter_criteria(NULL), count);
    int article = 1;
    for (size_t i = 0; i < count; i++) {
        const charter_criterion_t *c = &criteria[i];
        assert_string_equal(c->code, order[i]);
        assert_ptr_equal(charter_criterion_find(c->code), c);
        assert_true(c->article == article || c->article == article + 1);
        article = c->article;
        assert_true(strlen(c->title_fr) > 10 && s_utf8_valid(c->title_fr));
        assert_true(strlen(c->title_en) > 10);
        assert_true(strcmp(c->check, CHARTER_CHECK_AUTOMATIC) == 0
                    || strcmp(c->check, CHARTER_CHECK_COMMITMENT) == 0
                    || strcmp(c->check, CHARTER_CHECK_COMMITTEE) == 0);
        /* every criterion can fail; only the committee's can ask for review */
        assert_true(c->outcomes & CRITERION_OUTCOME_BIT(CRITERION_FAIL));
        assert_int_equal(!!(c->outcomes & CRITERION_OUTCOME_BIT(CRITERION_REVIEW)),
                         strcmp(c->check, CHARTER_CHECK_COMMITTEE) == 0);
    }
    assert_int_equal(article, 4);
    assert_null(charter_criterion_find("ESS-XYZ"));
    assert_null(charter_criterion_find(NULL));
}

static void test_names(void **state)
{
    assert_string_equal(criterion_outcome_name(CRITERION_PASS), "pass");
    assert_string_equal(criterion_outcome_name(CRITERION_FAIL), "fail");
    assert_string_equal(criterion_outcome_name(CRITERION_REVIEW), "review");
    assert_string_equal(criterion_outcome_name(CRITERION_WARN), "warn");
    assert_string_equal(criterion_outcome_label(CRITERION_PASS), "conforme");
    assert_string_equal(criterion_outcome_label(CRITERION_FAIL), "non conforme");
    assert_string_equal(criterion_outcome_label(CRITERION_REVIEW), "à examiner par le comité");
    assert_string_equal(criterion_outcome_label(CRITERION_WARN), "point d'attention");
    assert_string_equal(charter_verdict_name(CHARTER_VERDICT_INCOMPLETE), "incomplete");
    assert_string_equal(charter_verdict_name(CHARTER_VERDICT_REVIEW), "review");
}

static bool s_key(const msgpack_object_kv *kv, const char *key)
{
    return kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key)
        && memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0;
}

static bool s_str(const msgpack_object *obj, const char *text)
{
    return obj->type == MSGPACK_OBJECT_STR && obj->via.str.size == strlen(text)
        && memcmp(obj->via.str.ptr, text, strlen(text)) == 0;
}

static void test_pack_layout(void **state)
{
    charter_report_t report;
    s_judge(NULL, "{'trained_people': [], 'organisation': {'nda': '52 44 12563 49'}}", NULL,
            &report);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    charter_report_pack(&report, &pk);

    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object root;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(buf.data, buf.size, &off, &zone, &root),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, buf.size);
    assert_int_equal(root.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(root.via.map.size, 4);
    const msgpack_object_kv *kv = root.via.map.ptr;
    assert_true(s_key(&kv[0], "charter") && s_str(&kv[0].val, CHARTER_VERSION));
    assert_true(s_key(&kv[1], "verdict") && s_str(&kv[1].val, "review"));
    assert_true(s_key(&kv[2], "private_area") && kv[2].val.type == MSGPACK_OBJECT_BOOLEAN);
    assert_false(kv[2].val.via.boolean);
    assert_true(s_key(&kv[3], "criteria") && kv[3].val.type == MSGPACK_OBJECT_ARRAY);
    const msgpack_object_array *criteria = &kv[3].val.via.array;
    assert_int_equal(criteria->size, report.count);
    for (uint32_t i = 0; i < criteria->size; i++) {
        const criterion_result_t *r = &report.results[i];
        const msgpack_object *c = &criteria->ptr[i];
        assert_int_equal(c->type, MSGPACK_OBJECT_MAP);
        assert_int_equal(c->via.map.size, 5);
        const msgpack_object_kv *f = c->via.map.ptr;
        assert_true(s_key(&f[0], "code") && s_str(&f[0].val, r->code));
        assert_true(s_key(&f[1], "outcome")
                    && s_str(&f[1].val, criterion_outcome_name(r->outcome)));
        assert_true(s_key(&f[2], "blocking") && f[2].val.type == MSGPACK_OBJECT_BOOLEAN);
        assert_int_equal(f[2].val.via.boolean, r->blocking);
        assert_true(s_key(&f[3], "field") && s_str(&f[3].val, r->field));
        assert_true(s_key(&f[4], "reason") && s_str(&f[4].val, r->reason));
    }
    const msgpack_object_kv *training = criteria->ptr[12].via.map.ptr;
    assert_true(s_str(&training[0].val, "CLI-TRAINING") && s_str(&training[1].val, "fail"));
    assert_false(training[2].val.via.boolean);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static char *s_text(const charter_report_t *report)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    charter_report_text(report, out);
    fclose(out);
    return text;
}

static void test_text_summary(void **state)
{
    charter_report_t report;
    s_judge(NULL, NULL, NULL, &report);
    char *text = s_text(&report);
    assert_non_null(strstr(text, "Verdict : dossier complet"));
    assert_non_null(strstr(text, "accès accordé"));
    assert_non_null(strstr(text, "ESS-PURPOSE   à examiner par le comité : "));
    assert_non_null(strstr(text, "LOY-CHARTER   conforme : Engagement pris."));
    assert_true(s_utf8_valid(text));
    free(text);

    s_judge(NULL, "{'commitments': {'fair_competition': false, 'tax_compliance': false},"
            " 'trained_people': [], 'organisation': {'nda': '52 44 12563 49'}}", NULL, &report);
    text = s_text(&report);
    assert_non_null(strstr(text, "Verdict : dossier incomplet, 2 critères à corriger"));
    assert_non_null(strstr(text, "accès non accordé"));
    assert_non_null(strstr(text, "LOY-FAIR      non conforme : Cochez"));
    assert_non_null(strstr(text, "[champ : commitments.fair_competition]"));
    assert_non_null(strstr(text, "CLI-TRAINING  non conforme (non bloquant) : "));
    assert_non_null(strstr(text, "LOY-NDA       point d'attention : "));
    size_t lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 3 + report.count);
    free(text);
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
        cmocka_unit_test(test_ref_ess),
        cmocka_unit_test(test_ref_ci),
        cmocka_unit_test(test_ref_dates),
        cmocka_unit_test(test_commitments),
        cmocka_unit_test(test_cli_training),
        cmocka_unit_test(test_cli_training_future_session_does_not_block),
        cmocka_unit_test(test_loy_nda),
        cmocka_unit_test(test_verdict_incomplete_on_any_blocking_fail),
        cmocka_unit_test(test_unreadable_applications_fail_without_crashing),
        cmocka_unit_test(test_criteria_table),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_pack_layout),
        cmocka_unit_test(test_text_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
