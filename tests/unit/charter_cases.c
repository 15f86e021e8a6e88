/*  tests/unit/charter_cases.c - applications built for proto/charter's
 *  tests, judged, and their reports checked: see charter_cases.h. */
#include "charter_cases.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "proto/date.h"

/*  The model applicant: passes every criterion. */
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

int32_t cases_day(const char *text)
{
    int32_t day;
    assert_int_equal(date_parse(text, strlen(text), &day), 0);
    return day;
}

/*  Judges base + preset + patch as on `today`. */
void cases_judge(const char *preset, const char *patch, const char *today,
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
    charter_check(&obj, cases_day(today ? today : TODAY), report);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

/* ------------------------------------------------------------------------ */
/*  What every result must look like.                                       */

bool cases_utf8_valid(const char *text)
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

void cases_assert_well_formed(const charter_report_t *report)
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
        assert_true(cases_utf8_valid(r->reason));
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

void cases_run(const char *code, const char *preset, const charter_case_t *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const charter_case_t *c = &cases[i];
        charter_report_t report;
        cases_judge(preset, c->patch, c->today, &report);
        cases_assert_well_formed(&report);
        const criterion_result_t *r = charter_report_find(&report, code);
        assert_non_null(r);
        if (r->outcome != c->outcome || strcmp(r->field, c->field) != 0
            || (c->contains && !strstr(r->reason, c->contains)))
            fail_msg("%s case %zu (%s): got %s field '%s' reason '%s'", code, i,
                     c->patch ? c->patch : "base", criterion_outcome_name(r->outcome),
                     r->field, r->reason);
    }
}

