/*  services/intake/status_page.c - see status_page.h. */
#include "status_page.h"
#include "fields.h"
#include "form_page.h"
#include "pages.h"
#include "form.h"

#include "common/html.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "proto/charter.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *s_state_label(const char *state, const char **explanation)
{
    static const struct { const char *state, *label, *text; } states[] = {
        {"received", "Reçue", "Votre dossier est enregistré ; la vérification de la charte va commencer. "
                              "Revenez sur cette page dans quelques instants."},
        {"incomplete", "Incomplète", "Certains critères de la charte ne sont pas remplis : corrigez les "
                                     "points signalés ci-dessous, puis envoyez la modification."},
        {"in_review", "En cours d'examen", "Votre dossier est complet : le Comité Scientifique et Éthique "
                                           "l'examine."},
        {"changes_requested", "Modifications demandées", "Le comité demande des modifications : lisez ses "
                                                         "motivations, corrigez votre dossier et envoyez-le."},
        {"rejected", "Refusée", "Le comité a refusé la candidature ; ses motivations sont indiquées ci-dessous."},
        {"approved", "Acceptée", "Le comité a accepté la candidature ; elle va être publiée dans l'annuaire."},
        {"published", "Publiée", "Votre structure figure dans l'annuaire d'ESS Pratiques."},
        {"suspended", "Suspendue", "Inscription suspendue : une réclamation est examinée par le comité."},
        {"withdrawn", "Retirée", "Le dossier a été retiré."},
    };
    for (size_t i = 0; i < sizeof states / sizeof *states; i++)
        if (strcmp(states[i].state, state) == 0) {
            *explanation = states[i].text;
            return states[i].label;
        }
    *explanation = "";
    return state;
}

/*  A state or an outcome written into a class or data attribute: a word of
 *  lowercase letters and underscores, or "other". */
static const char *s_word(const char *text)
{
    if (!*text || strspn(text, "abcdefghijklmnopqrstuvwxyz_") != strlen(text))
        return "other";
    return text;
}

static const char *s_outcome_label(const char *outcome)
{
    if (strcmp(outcome, "pass") == 0)
        return "Conforme";
    if (strcmp(outcome, "fail") == 0)
        return "Non conforme";
    if (strcmp(outcome, "review") == 0)
        return "À examiner par le comité";
    if (strcmp(outcome, "warn") == 0)
        return "Point d'attention";
    return outcome;
}

static const char *s_decision_label(const char *decision)
{
    if (strcmp(decision, "approve") == 0)
        return "Candidature acceptée";
    if (strcmp(decision, "reject") == 0)
        return "Candidature refusée";
    if (strcmp(decision, "changes") == 0)
        return "Modifications demandées";
    if (strcmp(decision, "reinstate") == 0)
        return "Inscription rétablie";
    if (strcmp(decision, "withdraw") == 0)
        return "Inscription retirée";
    return decision;
}

/*  The round of a decision, when it is not a first review. */
static const char *s_round_kind_label(const char *kind)
{
    if (strcmp(kind, "appeal") == 0)
        return "appel, ";
    if (strcmp(kind, "complaint") == 0)
        return "réclamation, ";
    return "";
}

/*  Why a withdrawn file was withdrawn, when its kind says more than the
 *  reason: erased, expired, renewed. */
static const char *s_withdrawal_explanation(const char *kind)
{
    if (strcmp(kind, "erased") == 0)
        return "Les données personnelles de ce dossier ont été effacées à votre demande ; il ne reste que "
               "son numéro, ses dates et les décisions du comité.";
    if (strcmp(kind, "expired") == 0)
        return "L'inscription a expiré : pour figurer de nouveau dans l'annuaire, déposez une candidature "
               "de renouvellement.";
    if (strcmp(kind, "renewed") == 0)
        return "Cette inscription a été remplacée par celle de son renouvellement.";
    return NULL;
}

static void s_str_of(const msgpack_object *map, const char *key, char *buf, size_t cap)
{
    if (doc_strcpy(map, key, buf, cap) < 0)
        buf[0] = '\0';
}

static void s_report(FILE *out, const msgpack_object *report)
{
    fputs("<section aria-labelledby=\"rapport\">\n<h2 id=\"rapport\">Vérification de la charte</h2>\n", out);
    const msgpack_object *criteria = doc_array(report, "criteria");
    if (!report || !criteria) {
        fputs("<p class=\"pending\">La vérification de votre dossier est en cours. Actualisez cette page "
              "dans quelques instants.</p>\n</section>\n", out);
        return;
    }
    fputs("<table class=\"report\">\n<caption>Le résultat, critère par critère</caption>\n"
          "<thead><tr><th scope=\"col\">Critère</th><th scope=\"col\">Résultat</th>"
          "<th scope=\"col\">Explication</th></tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < doc_len(criteria); i++) {
        const msgpack_object *c = doc_at(criteria, i);
        char code[32], outcome[16], reason[1024];
        s_str_of(c, "code", code, sizeof code);
        s_str_of(c, "outcome", outcome, sizeof outcome);
        s_str_of(c, "reason", reason, sizeof reason);
        const charter_criterion_t *criterion = charter_criterion_find(code);
        fprintf(out, "<tr class=\"outcome-%s\" data-code=\"", s_word(outcome));
        html_escape_z(out, code);
        fputs("\"><th scope=\"row\"><span class=\"code\">", out);
        html_escape_z(out, code);
        fputs("</span> ", out);
        html_escape_z(out, criterion ? criterion->title_fr : "");
        fprintf(out, "</th><td class=\"outcome\"><span class=\"badge %s\">", s_word(outcome));
        html_escape_z(out, s_outcome_label(outcome));
        fputs("</span></td><td>", out);
        html_escape_z(out, reason);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

static void s_decisions(FILE *out, const msgpack_object *decisions, const msgpack_object *reason)
{
    if (doc_len(decisions) == 0 && !reason)
        return;
    fputs("<section aria-labelledby=\"decisions\">\n<h2 id=\"decisions\">Décisions du comité</h2>\n", out);
    if (doc_len(decisions) > 0) {
        fputs("<ol class=\"decisions\">\n", out);
        for (size_t i = 0; i < doc_len(decisions); i++) {
            const msgpack_object *d = doc_at(decisions, i);
            char decision[32], kind[16];
            uint64_t round = 0, at = 0, revision = 0;
            s_str_of(d, "decision", decision, sizeof decision);
            s_str_of(d, "kind", kind, sizeof kind);
            doc_uint(d, "round", &round);
            doc_uint(d, "at", &at);
            doc_uint(d, "revision", &revision);
            fputs("<li>\n<p><strong>", out);
            html_escape_z(out, s_decision_label(decision));
            fprintf(out, "</strong> (%stour %llu, révision %llu, le ", s_round_kind_label(kind),
                    (unsigned long long)round, (unsigned long long)revision);
            pages_date(out, at);
            fputs(")</p>\n", out);
            const msgpack_object *motivations = doc_array(d, "motivations");
            if (doc_len(motivations) > 0) {
                fputs("<ul class=\"motivations\">\n", out);
                for (size_t m = 0; m < doc_len(motivations); m++) {
                    const msgpack_object *text = doc_at(motivations, m);
                    if (text->type != MSGPACK_OBJECT_STR)
                        continue;
                    fputs("<li>", out);
                    html_escape(out, text->via.str.ptr, text->via.str.size);
                    fputs("</li>\n", out);
                }
                fputs("</ul>\n", out);
            }
            fputs("</li>\n", out);
        }
        fputs("</ol>\n", out);
    }
    if (reason && reason->type == MSGPACK_OBJECT_STR && reason->via.str.size) {
        fputs("<p class=\"reason\">Motif : ", out);
        html_escape(out, reason->via.str.ptr, reason->via.str.size);
        fputs("</p>\n", out);
    }
    fputs("</section>\n", out);
}

/*  Adds the pairs of one value of the application to a form. */
static void s_pairs_of_value(web_form_t *form, const field_t *field, const char *name,
                             const msgpack_object *value)
{
    char text[64];
    if (!value)
        return;
    switch (value->type) {
    case MSGPACK_OBJECT_STR:
        form_add(form, name, strlen(name), value->via.str.ptr, value->via.str.size);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        if (value->via.boolean)
            form_add(form, name, strlen(name), "true", 4);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(text, sizeof text, "%lld", value->type == MSGPACK_OBJECT_NEGATIVE_INTEGER
                                                ? (long long)value->via.i64 : (long long)value->via.u64);
        form_add(form, name, strlen(name), text, strlen(text));
        break;
    case MSGPACK_OBJECT_ARRAY:
        if (field->widget == W_CHECKS) {
            for (uint32_t i = 0; i < value->via.array.size; i++)
                s_pairs_of_value(form, field, name, &value->via.array.ptr[i]);
        } else {
            char *joined = NULL;
            size_t len = 0;
            FILE *buf = open_memstream(&joined, &len);
            const char *sep = strchr(field->separators, ',') ? ", " : "\n";
            for (uint32_t i = 0; i < value->via.array.size; i++) {
                const msgpack_object *item = &value->via.array.ptr[i];
                if (item->type != MSGPACK_OBJECT_STR)
                    continue;
                fprintf(buf, "%s%.*s", i ? sep : "", (int)item->via.str.size, item->via.str.ptr);
            }
            fclose(buf);
            form_add(form, name, strlen(name), joined, len);
            free(joined);
        }
        break;
    default:
        break;
    }
}

/*  The form of an application as stored, for the applicant to amend. */
static web_form_t *s_form_of_application(const msgpack_object *application)
{
    web_form_t *form = form_new();
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++) {
        size_t prefix;
        int a = fields_array_of(web_fields[f].path, &prefix);
        if (a < 0) {
            s_pairs_of_value(form, &web_fields[f], web_fields[f].path, doc_path(application, web_fields[f].path));
            continue;
        }
        const msgpack_object *rows = doc_array(application, web_arrays[a].name);
        const char *key = web_fields[f].path + prefix + 3;
        for (size_t row = 0; row < doc_len(rows) && row < WEB_ROWS_MAX; row++) {
            char name[128];
            snprintf(name, sizeof name, "%s[%zu].%s", web_arrays[a].name, row, key);
            s_pairs_of_value(form, &web_fields[f], name, doc_get(doc_at(rows, row), key));
            form->row_of[a][row] = (int)row;
            if ((int)row + 1 > form->rows[a])
                form->rows[a] = (int)row + 1;
        }
    }
    return form;
}

/*  The failed criteria of the report, next to the fields they name. */
static void s_report_errors(web_form_t *form, const msgpack_object *report)
{
    const msgpack_object *criteria = doc_array(report, "criteria");
    for (size_t i = 0; i < doc_len(criteria); i++) {
        const msgpack_object *c = doc_at(criteria, i);
        if (!doc_str_eq(c, "outcome", "fail"))
            continue;
        char field[128], reason[1024], name[160];
        s_str_of(c, "field", field, sizeof field);
        s_str_of(c, "reason", reason, sizeof reason);
        int f;
        form_place_error(form, field, &f, name, sizeof name);
        if (f < 0 && strncmp(field, "references", 10) == 0)
            snprintf(name, sizeof name, "references[0].client");
        else if (f < 0 && strncmp(field, "trained_people", 14) == 0)
            snprintf(name, sizeof name, "trained_people[0].name");
        form_add_error(form, name, reason);
    }
}

/*  The appeal: made (its date and motivation), or, for a rejected
 *  application that was not appealed yet, the form to make it. */
static void s_appeal(FILE *out, const char *id, const char *token, const char *state, const msgpack_object *appeal)
{
    if (appeal) {
        uint64_t at = 0;
        doc_uint(appeal, "at", &at);
        fputs("<section aria-labelledby=\"appel\">\n<h2 id=\"appel\">Votre appel</h2>\n<p>Appel déposé le ", out);
        pages_date(out, at);
        /* Rejected still: the appeal round is not open yet (intake says
         * in_review once the committee has it). */
        fputs(strcmp(state, "rejected") == 0 ? " ; il est transmis au comité, qui va réexaminer votre candidature.</p>\n"
                                             : " ; le comité réexamine votre candidature.</p>\n", out);
        const char *motivation;
        size_t len;
        if (doc_str(appeal, "motivation", &motivation, &len)) {
            fputs("<blockquote class=\"appeal\">", out);
            html_escape(out, motivation, len);
            fputs("</blockquote>\n", out);
        }
        fputs("</section>\n", out);
        return;
    }
    if (strcmp(state, "rejected") != 0)
        return;
    fputs("<section aria-labelledby=\"appel\">\n<h2 id=\"appel\">Faire appel de la décision</h2>\n"
          "<p>Vous pouvez demander une seule fois au comité de réexaminer sa décision. Expliquez pourquoi : "
          "chaque membre du comité lira votre motivation.</p>\n<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("/appel\" class=\"appeal\">\n<input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\">\n<label for=\"motivation\">Motivation de l'appel <span class=\"required\">(obligatoire)</span>"
          "</label>\n<textarea id=\"motivation\" name=\"motivation\" rows=\"6\" required maxlength=\"2000\">"
          "</textarea>\n<button type=\"submit\" class=\"primary\">Faire appel de la décision</button>\n</form>\n"
          "</section>\n", out);
}

void web_page_status(web_t *self, FILE *out, const msgpack_object *status, const char *token,
                     const web_form_t *amend)
{
    char id[64], state[32], name[256], kind[16], renews[64];
    uint64_t revision = 0, submitted = 0, updated = 0, expires = 0;
    s_str_of(status, "id", id, sizeof id);
    s_str_of(status, "state", state, sizeof state);
    s_str_of(status, "name", name, sizeof name);
    s_str_of(status, "withdrawn_kind", kind, sizeof kind);
    s_str_of(status, "renews", renews, sizeof renews);
    doc_uint(status, "revision", &revision);
    doc_uint(status, "submitted_at", &submitted);
    doc_uint(status, "updated_at", &updated);
    bool has_expiry = doc_uint(status, "expires", &expires);
    bool erased = doc_get(status, "erased_at") != NULL;
    const char *explanation;
    const char *label = s_state_label(state, &explanation);
    if (strcmp(state, "withdrawn") == 0 && s_withdrawal_explanation(kind))
        explanation = s_withdrawal_explanation(kind);
    /* Validation has reported and the file goes to the committee: it shows
     * in_review only once the committee has it (members can vote). */
    if (strcmp(state, "received") == 0 && doc_map(status, "report"))
        explanation = "La vérification de la charte est terminée : votre dossier est transmis au Comité "
                      "Scientifique et Éthique. Revenez sur cette page dans quelques instants.";
    pages_head(out, "Suivi de votre candidature");
    fputs("<h1>Suivi de votre candidature</h1>\n<dl class=\"facts\">\n<dt>Structure</dt><dd>", out);
    html_escape_z(out, erased ? "(données effacées)" : name);
    fputs("</dd>\n<dt>Dossier</dt><dd class=\"id\">", out);
    html_escape_z(out, id);
    fprintf(out, "</dd>\n<dt>Révision</dt><dd>%llu</dd>\n<dt>Déposée le</dt><dd>", (unsigned long long)revision);
    pages_date(out, submitted);
    fputs("</dd>\n<dt>Mise à jour le</dt><dd>", out);
    pages_date(out, updated);
    if (*renews) {
        fputs("</dd>\n<dt>Renouvelle le dossier</dt><dd class=\"id renews\">", out);
        html_escape_z(out, renews);
    }
    if (has_expiry) {
        fputs("</dd>\n<dt>Inscription valable jusqu'au</dt><dd class=\"expires\">", out);
        pages_date(out, expires);
    }
    fprintf(out, "</dd>\n</dl>\n<div class=\"state state-%s\">\n<p>État : <strong class=\"state-label\" "
                 "data-state=\"%s\">", s_word(state), s_word(state));
    html_escape_z(out, label);
    fputs("</strong></p>\n<p>", out);
    html_escape_z(out, explanation);
    fputs("</p>\n", out);
    bool amendable = strcmp(state, "incomplete") == 0 || strcmp(state, "changes_requested") == 0;
    const msgpack_object *application = doc_map(status, "application");
    if (amendable && application)
        fputs("<p><a href=\"#modifier\">Modifier votre dossier</a></p>\n", out);
    fputs("</div>\n", out);
    fputs("<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\" class=\"refresh\"><input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\"><button type=\"submit\">Actualiser</button></form>\n", out);
    if (!erased)
        s_report(out, doc_map(status, "report"));
    s_decisions(out, doc_array(status, "decisions"), erased ? NULL : doc_get(status, "reason"));
    s_appeal(out, id, token, state, doc_map(status, "appeal"));
    if (amendable && application) {
        fputs("<section aria-labelledby=\"modifier\">\n<h2 id=\"modifier\">Modifier votre dossier</h2>\n"
              "<p>Corrigez les points signalés, puis envoyez : le dossier est vérifié de nouveau.</p>\n", out);
        web_form_t *prefilled = NULL;
        if (!amend) {
            prefilled = s_form_of_application(application);
            s_report_errors(prefilled, doc_map(status, "report"));
        }
        char action[128];
        snprintf(action, sizeof action, "/suivi/%s/modifier", id);
        form_page_write(out, self, amend ? amend : prefilled, action, "jeton", token, NULL, "Envoyer la modification");
        web_form_destroy(&prefilled);
        fputs("</section>\n", out);
    }
    pages_foot(out);
}
