/*  Unit tests of proto/charter's report as a whole: the verdict,
 *  applications that cannot be read, the criteria table, the names and
 *  labels of outcomes and verdicts, the msgpack layout of a report and its
 *  text summary (tests/unit/charter_cases.h). */
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
/*  The report as a whole.                                                  */

static void test_verdict_incomplete_on_any_blocking_fail(void **state)
{
    charter_report_t report;
    cases_judge(NULL, "{'commitments': {'tax_compliance': false}}", NULL, &report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_INCOMPLETE);
    const criterion_result_t *first = charter_first_blocking(&report);
    assert_non_null(first);
    assert_int_equal(first->outcome, CRITERION_FAIL);
    assert_string_equal(first->field, "commitments.tax_compliance");
    /* a warn alone does not */
    cases_judge(NULL, "{'organisation': {'nda': '52 44 12563 49'}}", NULL, &report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_REVIEW);
    assert_null(charter_first_blocking(&report));
    /* everything wrong at once: every failing code is named */
    cases_judge(NULL, "{'organisation': {'siret': '1', 'legal_form': 'sarl'}, 'principles': null,"
                " 'references': [], 'commitments': null, 'trained_people': null}", NULL, &report);
    cases_assert_well_formed(&report);
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
    charter_check(NULL, cases_day(TODAY), &report);
    cases_assert_well_formed(&report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_INCOMPLETE);
    for (size_t i = 0; i < COUNT(objects); i++) {
        charter_check(&objects[i], cases_day(TODAY), &report);
        cases_assert_well_formed(&report);
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
        assert_true(strlen(c->title_fr) > 10 && cases_utf8_valid(c->title_fr));
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
    cases_judge(NULL, "{'trained_people': [], 'organisation': {'nda': '52 44 12563 49'}}", NULL,
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
    cases_judge(NULL, NULL, NULL, &report);
    char *text = s_text(&report);
    assert_non_null(strstr(text, "Verdict : dossier complet"));
    assert_non_null(strstr(text, "accès accordé"));
    assert_non_null(strstr(text, "ESS-PURPOSE   à examiner par le comité : "));
    assert_non_null(strstr(text, "LOY-CHARTER   conforme : Engagement pris."));
    assert_true(cases_utf8_valid(text));
    free(text);

    cases_judge(NULL, "{'commitments': {'fair_competition': false, 'tax_compliance': false},"
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
        cmocka_unit_test(test_verdict_incomplete_on_any_blocking_fail),
        cmocka_unit_test(test_unreadable_applications_fail_without_crashing),
        cmocka_unit_test(test_criteria_table),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_pack_layout),
        cmocka_unit_test(test_text_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
