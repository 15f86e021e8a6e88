/*  services/intake/status_page.c - see status_page.h. */
#include "status_page.h"
#include "fields.h"
#include "form_page.h"
#include "pages.h"
#include "form.h"
#include "texts.h"

#include "common/html.h"
#include "proto/doc.h"
#include "proto/error.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "proto/charter.h"
#include "proto/date.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*  A state or an outcome written into a class or data attribute: a word of
 *  lowercase letters and underscores, or "other". */
static const char *s_word(const char *text)
{
    if (!*text || strspn(text, "abcdefghijklmnopqrstuvwxyz_") != strlen(text))
        return "other";
    return text;
}

/*  The string at `key` in buf, cut when too long between two characters,
 *  never inside one (the page would show garbage there). */
static void s_str_of(const msgpack_object *map, const char *key, char *buf, size_t cap)
{
    const char *text = "";
    size_t len = 0;
    if (!doc_str(map, key, &text, &len))
        text = "", len = 0;
    len = proto_utf8_prefix(text, len, cap - 1);
    memcpy(buf, text, len);
    buf[len] = '\0';
}

static void s_report(FILE *out, const msgpack_object *report)
{
    fputs("<section aria-labelledby=\"rapport\">\n<h3 id=\"rapport\">Vérification de la charte</h3>\n", out);
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
        html_escape_z(out, texts_outcome(outcome));
        fputs("</span></td><td>", out);
        html_escape_z(out, reason);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

static void s_datetime(FILE *out, uint64_t at)
{
    char text[64], iso[32];
    date_french((int64_t)at, text, sizeof text);
    date_iso8601((int64_t)at, iso, sizeof iso);
    fprintf(out, "<time datetime=\"%s\">", iso);
    html_escape_z(out, text);
    fputs("</time>", out);
}

/*  Whether a motivation was already written: a rejection carries the same
 *  reason once per member who gave it, the applicant reads it once. */
static bool s_seen(const msgpack_object *list, size_t before, const msgpack_object *text)
{
    for (size_t i = 0; i < before; i++) {
        const msgpack_object *other = doc_at(list, i);
        if (other->type == MSGPACK_OBJECT_STR && other->via.str.size == text->via.str.size
            && memcmp(other->via.str.ptr, text->via.str.ptr, text->via.str.size) == 0)
            return true;
    }
    return false;
}

/*  The committee's motivations of its last decision, each once, and the
 *  reason of a withdrawal: what the applicant must read first. */
static void s_motivations(FILE *out, const msgpack_object *decisions, const msgpack_object *reason)
{
    size_t n = doc_len(decisions);
    const msgpack_object *motivations = n ? doc_array(doc_at(decisions, n - 1), "motivations") : NULL;
    bool has_reason = reason && reason->type == MSGPACK_OBJECT_STR && reason->via.str.size;
    if (doc_len(motivations) == 0 && !has_reason)
        return;
    fputs("<section aria-labelledby=\"motivations\">\n<h2 id=\"motivations\">Les motivations du comité</h2>\n",
          out);
    if (doc_len(motivations) > 0) {
        fputs("<ul class=\"motivations\">\n", out);
        for (size_t m = 0; m < doc_len(motivations); m++) {
            const msgpack_object *text = doc_at(motivations, m);
            if (text->type != MSGPACK_OBJECT_STR || text->via.str.size == 0 || s_seen(motivations, m, text))
                continue;
            fputs("<li>", out);
            html_escape(out, text->via.str.ptr, text->via.str.size);
            fputs("</li>\n", out);
        }
        fputs("</ul>\n", out);
    }
    if (has_reason) {
        fputs("<p class=\"reason\">Motif : ", out);
        html_escape(out, reason->via.str.ptr, reason->via.str.size);
        fputs("</p>\n", out);
    }
    fputs("</section>\n", out);
}

/*  The history of the committee's decisions, oldest first, with dates. */
static void s_decisions(FILE *out, const msgpack_object *decisions)
{
    if (doc_len(decisions) == 0)
        return;
    fputs("<section aria-labelledby=\"decisions\">\n<h3 id=\"decisions\">Décisions du comité</h3>\n"
          "<ol class=\"decisions\">\n", out);
    for (size_t i = 0; i < doc_len(decisions); i++) {
        const msgpack_object *d = doc_at(decisions, i);
        char decision[32], kind[16];
        uint64_t round = 0, at = 0;
        s_str_of(d, "decision", decision, sizeof decision);
        s_str_of(d, "kind", kind, sizeof kind);
        doc_uint(d, "round", &round);
        doc_uint(d, "at", &at);
        fputs("<li><strong>", out);
        html_escape_z(out, texts_decision(decision));
        fprintf(out, "</strong> (%stour %llu, le ", texts_round_kind(kind), (unsigned long long)round);
        s_datetime(out, at);
        fputs(")</li>\n", out);
    }
    fputs("</ol>\n</section>\n", out);
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
        if (strcmp(name, "organisation.rna") == 0 && value->via.str.size == 4
            && memcmp(value->via.str.ptr, "none", 4) == 0)
            form_add(form, name, strlen(name), "aucun", 5);   /* as the form writes it */
        else
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
        s_datetime(out, at);
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

/*  The facts of the file: number, dates, the file it renews, expiry. */
static void s_facts(FILE *out, const msgpack_object *status, const char *id, const char *name, bool erased)
{
    char renews[64];
    uint64_t submitted = 0, updated = 0, expires = 0;
    s_str_of(status, "renews", renews, sizeof renews);
    doc_uint(status, "submitted_at", &submitted);
    doc_uint(status, "updated_at", &updated);
    bool has_expiry = doc_uint(status, "expires", &expires);
    fputs("<dl class=\"facts\">\n<dt>Structure</dt><dd>", out);
    html_escape_z(out, erased ? "(données effacées)" : name);
    fputs("</dd>\n<dt>Dossier</dt><dd class=\"id\">", out);
    html_escape_z(out, id);
    fputs("</dd>\n<dt>Déposée le</dt><dd>", out);
    s_datetime(out, submitted);
    fputs("</dd>\n<dt>Mise à jour le</dt><dd>", out);
    s_datetime(out, updated);
    if (*renews) {
        fputs("</dd>\n<dt>Renouvelle le dossier</dt><dd class=\"id renews\">", out);
        html_escape_z(out, renews);
    }
    if (has_expiry) {
        char day[48];
        date_french_day((int32_t)(expires / 86400), day, sizeof day);
        fputs("</dd>\n<dt>Inscription valable jusqu'au</dt><dd class=\"expires\">", out);
        html_escape_z(out, day);
    }
    fputs("</dd>\n</dl>\n", out);
}

/*  The state in one sentence, first thing on the page. */
static void s_state(FILE *out, const msgpack_object *status, const char *state, bool amendable, bool updatable)
{
    char kind[16];
    s_str_of(status, "withdrawn_kind", kind, sizeof kind);
    const char *sentence = texts_state_sentence(state);
    if (strcmp(state, "withdrawn") == 0 && texts_withdrawal(kind))
        sentence = texts_withdrawal(kind);
    /* Validation has reported and the file goes to the committee: it shows
     * in_review only once the committee has it (members can vote). */
    if (strcmp(state, "received") == 0 && doc_map(status, "report"))
        sentence = "La vérification de la charte est terminée : votre dossier est transmis au Comité "
                   "scientifique et éthique. Revenez sur cette page dans quelques instants.";
    fprintf(out, "<div class=\"state state-%s\" id=\"etat\">\n<p class=\"state-sentence\">"
                 "<strong class=\"state-label\" data-state=\"%s\">", s_word(state), s_word(state));
    html_escape_z(out, texts_state_label(state));
    fputs("</strong> — ", out);
    html_escape_z(out, sentence);
    fputs("</p>\n", out);
    if (amendable)
        fputs("<p><a href=\"#modifier\">Modifier votre dossier</a></p>\n", out);
    if (updatable)
        fputs("<p><a href=\"#mettre-a-jour\">Mettre à jour ma fiche</a></p>\n", out);
    fputs("</div>\n", out);
}

/*  A listing may be renewed from its page when it ends within
 *  S_RENEW_DAYS, or once it has expired; the renewal is a new
 *  application (new number, new code) naming the listing it renews. */
#define S_RENEW_DAYS 90

static bool s_renewable(const msgpack_object *status, const char *state, int64_t now)
{
    uint64_t expires = 0;
    if (strcmp(state, "withdrawn") == 0)
        return doc_str_eq(status, "withdrawn_kind", "expired");
    bool listed = strcmp(state, "approved") == 0 || strcmp(state, "published") == 0;
    return listed && doc_uint(status, "expires", &expires) && (int64_t)expires - now <= S_RENEW_DAYS * 86400;
}

/*  « Renouveler »: the form prefilled from the listing, posted to the
 *  application form's address with the listing it renews. */
static void s_renewal(FILE *out, web_t *self, const char *id, const msgpack_object *application, bool expired)
{
    fputs("<section aria-labelledby=\"renouveler\">\n<h2 id=\"renouveler\">Renouveler votre inscription</h2>\n<p>",
          out);
    fputs(expired ? TEXTS_RENEW_EXPIRED : TEXTS_RENEW_SOON, out);
    fputs("</p>\n", out);
    web_form_t *prefilled = s_form_of_application(application);
    char key[33];
    form_page_new_key(key);
    form_page_write(out, self, prefilled, "/candidature", "_renews", id, key, "Envoyer le renouvellement");
    web_form_destroy(&prefilled);
    fputs("</section>\n", out);
}

/*  The French label of a changed field (a path of proto/schema_change.h). */
static const char *s_field_label(const char *path)
{
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++)
        if (strcmp(web_fields[f].path, path) == 0)
            return web_fields[f].label;
    if (strcmp(path, "references") == 0)
        return "Références";
    if (strcmp(path, "trained_people") == 0)
        return "Personnes formées";
    return path;
}

/*  The fields an update changes, by their labels. */
static void s_changed_fields(FILE *out, const msgpack_object *changed)
{
    fputs("<ul class=\"changed\">\n", out);
    for (size_t i = 0; i < doc_len(changed); i++) {
        const msgpack_object *path = doc_at(changed, i);
        if (path->type != MSGPACK_OBJECT_STR)
            continue;
        char text[PROTO_FIELD_MAX];
        snprintf(text, sizeof text, "%.*s", (int)path->via.str.size, path->via.str.ptr);
        fputs("<li data-field=\"", out);
        html_escape_z(out, text);
        fputs("\">", out);
        html_escape_z(out, s_field_label(text));
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

/*  The decision on the update's revision, or NULL while none. */
static const msgpack_object *s_update_decision(const msgpack_object *decisions, uint64_t revision)
{
    const msgpack_object *found = NULL;
    for (size_t i = 0; i < doc_len(decisions); i++) {
        uint64_t r = 0;
        if (doc_uint(doc_at(decisions, i), "revision", &r) && r == revision)
            found = doc_at(decisions, i);
    }
    return found;
}

/*  Where the last update stands, in one sentence. */
static const char *s_update_sentence(const char *outcome)
{
    if (strcmp(outcome, "committee") == 0)
        return " touche des points que le comité juge : le Comité scientifique et éthique l'examine. Votre "
               "fiche reste en ligne telle qu'elle est publiée jusqu'à sa décision.";
    if (strcmp(outcome, "publishing") == 0)
        return " ne touche que des informations pratiques : elle est publiée dès que la vérification de la "
               "charte est terminée, sans examen par le comité.";
    if (strcmp(outcome, "published") == 0)
        return " est publiée dans l'annuaire.";
    if (strcmp(outcome, "rejected") == 0)
        return " n'a pas été retenue par le comité : votre fiche reste en ligne telle qu'elle était publiée.";
    return " appelle des modifications selon le comité : votre fiche reste en ligne telle qu'elle était "
           "publiée, et vous pouvez envoyer une nouvelle mise à jour ci-dessous.";
}

static void s_update_outcome(FILE *out, const msgpack_object *update, const msgpack_object *decisions)
{
    uint64_t revision = 0, at = 0;
    doc_uint(update, "revision", &revision);
    doc_uint(update, "at", &at);
    const msgpack_object *decision = s_update_decision(decisions, revision);
    bool substantive = doc_bool(update, "substantive", false);
    const char *outcome = !decision                                     ? (substantive ? "committee" : "publishing")
                          : doc_str_eq(decision, "decision", "approve") ? "published"
                          : doc_str_eq(decision, "decision", "reject")  ? "rejected"
                                                                        : "changes";
    fprintf(out, "<div class=\"update\" id=\"mise-a-jour\">\n<p class=\"update-outcome\" data-outcome=\"%s\">"
                 "Votre mise à jour du ", outcome);
    s_datetime(out, at);
    fputs(s_update_sentence(outcome), out);
    fputs("</p>\n<p>Champs modifiés :</p>\n", out);
    s_changed_fields(out, doc_array(update, "changed"));
    fputs("</div>\n", out);
}

/*  « Mettre à jour ma fiche »: the listing's form prefilled (or as posted,
 *  with its errors), what happens to minor and to substantive changes said
 *  before it. */
static void s_update(FILE *out, web_t *self, const char *id, const char *token, const msgpack_object *status,
                     const msgpack_object *application, const web_form_t *amend)
{
    fputs("<section aria-labelledby=\"mettre-a-jour\">\n<h2 id=\"mettre-a-jour\">Mettre à jour ma fiche</h2>\n",
          out);
    const msgpack_object *update = doc_map(status, "update");
    if (update)
        s_update_outcome(out, update, doc_array(status, "decisions"));
    fputs("<p>" TEXTS_UPDATE_INTRO "</p>\n<ul class=\"update-rules\">\n<li>" TEXTS_UPDATE_MINOR "</li>\n<li>"
          TEXTS_UPDATE_SUBSTANTIVE "</li>\n</ul>\n", out);
    web_form_t *prefilled = amend ? NULL : s_form_of_application(application);
    char action[128], fresh[33];
    snprintf(action, sizeof action, "/suivi/%s/modifier", id);
    /* Its key makes a resend of the same form (a double click, Back and
     * send again) one update, not two identical revisions. */
    form_page_write(out, self, amend ? amend : prefilled, action, "jeton", token, form_page_key_or_new(amend, fresh),
                    "Mettre à jour ma fiche");
    web_form_destroy(&prefilled);
    fputs("</section>\n", out);
}

void web_page_status(web_t *self, FILE *out, const msgpack_object *status, const char *token,
                     const web_form_t *amend, int64_t now)
{
    /* The name whole: the schema's 200 characters of up to 4 bytes. */
    char id[64], state[32], name[4 * 200 + 1], email[256] = "";
    s_str_of(status, "id", id, sizeof id);
    s_str_of(status, "state", state, sizeof state);
    s_str_of(status, "name", name, sizeof name);
    bool erased = doc_get(status, "erased_at") != NULL;
    const msgpack_object *application = doc_map(status, "application");
    bool amendable = (strcmp(state, "incomplete") == 0 || strcmp(state, "changes_requested") == 0)
                     && application;
    if (!erased && doc_strcpy(doc_path(application, "organisation.private_contact"), "email", email,
                              sizeof email) < 0)
        email[0] = '\0';
    pages_head(out, "Suivi de votre candidature");
    fputs("<h1>Suivi de votre candidature</h1>\n", out);
    bool updatable = (strcmp(state, "approved") == 0 || strcmp(state, "published") == 0) && application && !erased;
    s_state(out, status, state, amendable, updatable);
    const msgpack_object *decisions = doc_array(status, "decisions");
    s_motivations(out, decisions, erased ? NULL : doc_get(status, "reason"));
    texts_next_steps(out, &self->settings, state, now, email);
    fputs("<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\" class=\"refresh\"><input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\"><button type=\"submit\">Actualiser</button></form>\n", out);
    s_appeal(out, id, token, state, doc_map(status, "appeal"));
    if (!erased && application && s_renewable(status, state, now))
        s_renewal(out, self, id, application, strcmp(state, "withdrawn") == 0);
    if (updatable)
        s_update(out, self, id, token, status, application, amend);
    if (amendable) {
        fputs("<section aria-labelledby=\"modifier\">\n<h2 id=\"modifier\">Modifier votre dossier</h2>\n"
              "<p>Corrigez les points signalés, puis envoyez : le dossier est vérifié de nouveau.</p>\n", out);
        web_form_t *prefilled = NULL;
        if (!amend) {
            prefilled = s_form_of_application(application);
            s_report_errors(prefilled, doc_map(status, "report"));
        }
        char action[128], fresh[33];
        snprintf(action, sizeof action, "/suivi/%s/modifier", id);
        form_page_write(out, self, amend ? amend : prefilled, action, "jeton", token,
                        form_page_key_or_new(amend, fresh), "Envoyer la modification");
        web_form_destroy(&prefilled);
        fputs("</section>\n", out);
    }
    fputs("<section aria-labelledby=\"details\" class=\"details\">\n<h2 id=\"details\">Le détail de votre "
          "dossier</h2>\n", out);
    s_facts(out, status, id, name, erased);
    if (!erased)
        s_report(out, doc_map(status, "report"));
    s_decisions(out, decisions);
    fputs("</section>\n", out);
    texts_privacy_notice(out, &self->settings);
    pages_foot(out);
}
