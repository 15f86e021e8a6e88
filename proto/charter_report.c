/*  proto/charter_report.c - see charter.h: a report as msgpack (for the
 *  wire and the stream) and as text for people (essp check --text).
 */
#include "charter.h"

#include <assert.h>
#include <string.h>

static void s_pack_str(msgpack_packer *pk, const char *text)
{
    size_t len = strlen(text);
    msgpack_pack_str_with_body(pk, text, len);
}

void charter_report_pack(const charter_report_t *report, msgpack_packer *pk)
{
    assert(report && pk);
    msgpack_pack_map(pk, 4);
    s_pack_str(pk, "charter");
    s_pack_str(pk, report->version ? report->version : CHARTER_VERSION);
    s_pack_str(pk, "verdict");
    s_pack_str(pk, charter_verdict_name(report->verdict));
    s_pack_str(pk, "private_area");
    if (report->private_area)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    s_pack_str(pk, "criteria");
    msgpack_pack_array(pk, report->count);
    for (size_t i = 0; i < report->count; i++) {
        const criterion_result_t *result = &report->results[i];
        msgpack_pack_map(pk, 5);
        s_pack_str(pk, "code");
        s_pack_str(pk, result->code ? result->code : "");
        s_pack_str(pk, "outcome");
        s_pack_str(pk, criterion_outcome_name(result->outcome));
        s_pack_str(pk, "blocking");
        if (result->blocking)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        s_pack_str(pk, "field");
        s_pack_str(pk, result->field);
        s_pack_str(pk, "reason");
        s_pack_str(pk, result->reason);
    }
}

const criterion_result_t *charter_report_find(const charter_report_t *report, const char *code)
{
    for (size_t i = 0; report && code && i < report->count; i++)
        if (report->results[i].code && strcmp(report->results[i].code, code) == 0)
            return &report->results[i];
    return NULL;
}

static size_t s_count_blocking(const charter_report_t *report)
{
    size_t count = 0;
    for (size_t i = 0; i < report->count; i++)
        count += report->results[i].outcome == CRITERION_FAIL && report->results[i].blocking;
    return count;
}

void charter_report_text(const charter_report_t *report, FILE *out)
{
    assert(report && out);
    size_t blocking = s_count_blocking(report);
    fprintf(out, "Charte ESS Pratiques (règles de %s)\n",
            report->version ? report->version : CHARTER_VERSION);
    if (report->verdict == CHARTER_VERDICT_INCOMPLETE)
        fprintf(out, "Verdict : dossier incomplet, %zu critère%s à corriger avant l'examen "
                "par le comité.\n", blocking, blocking > 1 ? "s" : "");
    else
        fprintf(out, "Verdict : dossier complet, transmis au Comité scientifique et éthique.\n");
    fprintf(out, "Partie privée d'ESS Pratiques : %s.\n",
            report->private_area ? "accès accordé" : "accès non accordé");
    for (size_t i = 0; i < report->count; i++) {
        const criterion_result_t *result = &report->results[i];
        bool soft_fail = result->outcome == CRITERION_FAIL && !result->blocking;
        fprintf(out, "%-13s %s%s : %s", result->code ? result->code : "?",
                criterion_outcome_label(result->outcome), soft_fail ? " (non bloquant)" : "",
                result->reason);
        if (result->field[0])
            fprintf(out, " [champ : %s]", result->field);
        fputc('\n', out);
    }
}
