/*  services/intake/form_page.c - see form_page.h. */
#include "form_page.h"
#include "api.h"
#include "fields.h"
#include "form.h"
#include "pages.h"
#include "texts.h"

#include "common/html.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proto/charter.h"

/*  Whether an input is shown as required: by the schema, or because the
 *  charter blocks without it (fields.c, web_new).  In rows, only the
 *  first: one reference of each kind is enough. */
static bool s_marked(const web_t *self, size_t f, const char *name)
{
    const char *bracket = strchr(name, '[');
    return self->info[f].marked && (!bracket || strncmp(bracket, "[0]", 3) == 0);
}

static void s_attr_ids(FILE *out, const char *name, bool help, const char *error)
{
    if (!help && !error)
        return;
    fputs(" aria-describedby=\"", out);
    if (help) {
        fputs("h-", out);
        html_escape_z(out, name);
    }
    if (error) {
        fputs(help ? " e-" : "e-", out);
        html_escape_z(out, name);
    }
    fputs("\"", out);
    if (error)
        fputs(" aria-invalid=\"true\"", out);
}

/*  A description that only repeats the label ("Code postal.") is no help. */
static bool s_helps(const web_t *self, size_t f)
{
    const char *help = self->info[f].help, *label = web_fields[f].label;
    size_t len = strlen(help);
    if (len && help[len - 1] == '.')
        len--;
    return len > 0 && !(label && strlen(label) == len && strncasecmp(label, help, len) == 0);
}

static void s_help_and_error(FILE *out, const web_t *self, size_t f, const char *name, const char *error,
                             bool help)
{
    if (help && s_helps(self, f)) {
        fputs("<p class=\"help\" id=\"h-", out);
        html_escape_z(out, name);
        fputs("\">", out);
        html_escape_z(out, self->info[f].help);
        fputs("</p>\n", out);
    }
    if (error) {
        fputs("<p class=\"error\" id=\"e-", out);
        html_escape_z(out, name);
        fputs("\"><span class=\"visually-hidden\">Erreur : </span>", out);
        html_escape_z(out, error);
        fputs("</p>\n", out);
    }
}

static bool s_has_value(const web_form_t *form, const char *name, const char *value)
{
    for (size_t i = 0; form && i < form->count; i++)
        if (strcmp(form->pairs[i].name, name) == 0 && strcmp(form->pairs[i].value, value) == 0)
            return true;
    return false;
}

static void s_input(FILE *out, const char *type, const char *name, const char *value, const web_t *self,
                    size_t f, const char *error, const char *extra)
{
    fprintf(out, "<input type=\"%s\" id=\"f-", type);
    html_escape_z(out, name);
    fputs("\" name=\"", out);
    html_escape_z(out, name);
    fputs("\" value=\"", out);
    html_escape_z(out, value ? value : "");
    fputs("\"", out);
    if (self->info[f].max_length > 0)
        fprintf(out, " maxlength=\"%lld\"", self->info[f].max_length);
    if (s_marked(self, f, name))
        fputs(" aria-required=\"true\"", out);
    if (extra)
        fputs(extra, out);
    s_attr_ids(out, name, s_helps(self, f), error);
    fputs(">\n", out);
}

static void s_label_tag(FILE *out, const char *name, const char *label, bool required)
{
    fputs("<label for=\"f-", out);
    html_escape_z(out, name);
    fputs("\">", out);
    html_escape_z(out, label);
    if (required)
        fputs(" <abbr class=\"req\" title=\"obligatoire\">*</abbr>", out);
    fputs("</label>\n", out);
}

static void s_field(FILE *out, const web_t *self, const web_form_t *form, size_t f, const char *name)
{
    const field_t *field = &web_fields[f];
    const field_info_t *info = &self->info[f];
    const char *error = form_error_of(form, name);
    const char *value = web_form_get(form, name);
    bool commitment = field->label == NULL;
    if (field->widget == W_CHECKS) {
        fputs(error ? "<fieldset class=\"field checks has-error\"" : "<fieldset class=\"field checks\"", out);
        fputs(" id=\"f-", out);
        html_escape_z(out, name);
        fputs("\" tabindex=\"-1\"><legend>", out);
        html_escape_z(out, fields_label(f));
        if (s_marked(self, f, name))
            fputs(" <abbr class=\"req\" title=\"obligatoire\">*</abbr>", out);
        fputs("</legend>\n", out);
        s_help_and_error(out, self, f, name, error, true);
        for (size_t i = 0; i < fields_option_count(field); i++) {
            option_t o = fields_option(field, i);
            fputs("<label class=\"choice\"><input type=\"checkbox\" name=\"", out);
            html_escape_z(out, name);
            fprintf(out, "\" value=\"%s\"%s> ", o.value, s_has_value(form, name, o.value) ? " checked" : "");
            html_escape_z(out, o.label);
            fputs("</label>\n", out);
        }
        fputs("</fieldset>\n", out);
        return;
    }
    fputs(error ? "<div class=\"field has-error" : "<div class=\"field", out);
    fputs(field->widget == W_BOOL ? " check\">\n" : "\">\n", out);
    if (field->widget == W_BOOL) {
        fputs("<input type=\"checkbox\" id=\"f-", out);
        html_escape_z(out, name);
        fputs("\" name=\"", out);
        html_escape_z(out, name);
        fprintf(out, "\" value=\"true\"%s%s", value ? " checked" : "",
                s_marked(self, f, name) ? " aria-required=\"true\"" : "");
        s_attr_ids(out, name, !commitment && s_helps(self, f), error);
        fputs(">\n", out);
        s_label_tag(out, name, fields_label(f), s_marked(self, f, name));
        s_help_and_error(out, self, f, name, error, !commitment);
        fputs("</div>\n", out);
        return;
    }
    s_label_tag(out, name, fields_label(f), s_marked(self, f, name));
    s_help_and_error(out, self, f, name, error, true);
    switch (field->widget) {
    case W_TEXTAREA:
    case W_LIST:
        fputs("<textarea id=\"f-", out);
        html_escape_z(out, name);
        fputs("\" name=\"", out);
        html_escape_z(out, name);
        fprintf(out, "\" rows=\"%d\"", field->widget == W_LIST ? 2 : 4);
        if (info->max_length > 0)
            fprintf(out, " maxlength=\"%lld\"", info->max_length);
        if (s_marked(self, f, name))
            fputs(" aria-required=\"true\"", out);
        s_attr_ids(out, name, s_helps(self, f), error);
        fputs(">", out);
        html_escape_z(out, value);
        fputs("</textarea>\n", out);
        if (strcmp(field->path, "ties.networks") == 0)
            html_networks_list(out);
        break;
    case W_SELECT:
        fputs("<select id=\"f-", out);
        html_escape_z(out, name);
        fputs("\" name=\"", out);
        html_escape_z(out, name);
        fputs("\"", out);
        if (s_marked(self, f, name))
            fputs(" aria-required=\"true\"", out);
        s_attr_ids(out, name, s_helps(self, f), error);
        fputs(">\n<option value=\"\">— choisir —</option>\n", out);
        for (size_t i = 0; i < fields_option_count(field); i++) {
            option_t o = fields_option(field, i);
            fprintf(out, "<option value=\"%s\"%s>", o.value,
                    value && strcmp(value, o.value) == 0 ? " selected" : "");
            html_escape_z(out, o.label);
            fputs("</option>\n", out);
        }
        fputs("</select>\n", out);
        break;
    case W_EMAIL: s_input(out, "email", name, value, self, f, error, " autocomplete=\"email\""); break;
    case W_TEL: s_input(out, "tel", name, value, self, f, error, " autocomplete=\"tel\""); break;
    case W_URL: s_input(out, "url", name, value, self, f, error, " autocomplete=\"url\""); break;
    case W_DATE: s_input(out, "date", name, value, self, f, error, NULL); break;
    case W_YEAR: s_input(out, "number", name, value, self, f, error, " inputmode=\"numeric\" min=\"1900\" max=\"2200\""); break;
    default: s_input(out, "text", name, value, self, f, error, NULL); break;
    }
    fputs("</div>\n", out);
}

static int s_rows_shown(const web_form_t *form, int a)
{
    int rows = web_arrays[a].rows;
    if (form && form->rows[a] > rows)
        rows = form->rows[a];
    if (form && form->extra_row == a)
        rows++;
    return rows > WEB_ROWS_MAX ? WEB_ROWS_MAX : rows;
}

static void s_rows(FILE *out, const web_t *self, const web_form_t *form, int a)
{
    const array_t *array = &web_arrays[a];
    size_t prefix = strlen(array->name);
    fprintf(out, "<div class=\"rows\" data-array=\"%s\">\n", array->name);
    fputs("<p class=\"help\">", out);
    html_escape_z(out, self->array_help[a]);
    fputs("</p>\n", out);
    int rows = s_rows_shown(form, a);
    for (int row = 0; row < rows; row++) {
        fprintf(out, "<fieldset class=\"row\" data-row=\"%d\"><legend>%s n° <span class=\"n\">%d</span></legend>\n",
                row, array->row_label, row + 1);
        for (size_t f = 0; f < WEB_FIELD_COUNT; f++) {
            if (fields_array_of(web_fields[f].path, NULL) != a)
                continue;
            char name[128];
            snprintf(name, sizeof name, "%s[%d].%s", array->name, row, web_fields[f].path + prefix + 3);
            s_field(out, self, form, f, name);
        }
        fputs("</fieldset>\n", out);
    }
    fprintf(out, "<button type=\"submit\" name=\"_add\" value=\"%s\" class=\"add-row\" formnovalidate>%s</button>\n",
            array->name, array->add_label);
    fputs("</div>\n", out);
}

static void s_article_intro(FILE *out, int article)
{
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    fprintf(out, "<details class=\"charter\"><summary>Ce que demande l'article %d de la charte</summary>\n<ul>\n",
            article);
    for (size_t i = 0; i < count; i++) {
        if (criteria[i].article != article)
            continue;
        fputs("<li>", out);
        html_escape_z(out, criteria[i].title_fr);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n</details>\n", out);
}

static void s_error_summary(FILE *out, const web_form_t *form)
{
    if (form && form->checked && form->error_count == 0) {
        fputs("<div class=\"summary ready\" role=\"status\" tabindex=\"-1\" id=\"verification\">\n<p>"
              TEXTS_CHECK_READY "</p>\n</div>\n", out);
        return;
    }
    if (!form || form->error_count == 0)
        return;
    fprintf(out, "<div class=\"summary\" role=\"alert\" tabindex=\"-1\" id=\"erreurs\">\n"
                 "<h2>%zu point%s à corriger</h2>\n%s<ul>\n",
            form->error_count, form->error_count > 1 ? "s" : "",
            form->checked ? "<p>" TEXTS_CHECK_FAILED "</p>\n" : "");
    for (size_t i = 0; i < form->error_count; i++) {
        const char *name = form->errors[i].name;
        int f = *name ? fields_of_input(name) : -1;
        fputs("<li>", out);
        if (f >= 0) {
            fputs("<a href=\"#f-", out);
            html_escape_z(out, name);
            fputs("\">", out);
            size_t prefix;
            int a = fields_array_of(name, &prefix);
            if (a >= 0)
                fprintf(out, "%s n° %ld — ", web_arrays[a].row_label, strtol(name + prefix + 1, NULL, 10) + 1);
            if (web_fields[f].label) {
                html_escape_z(out, web_fields[f].label);
            } else {
                fputs("Je m'engage à ", out);
                html_escape_z(out, fields_label(f));
            }
            fputs("</a> : ", out);
        }
        html_escape_z(out, form->errors[i].message);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n</div>\n", out);
}

/*  In an amendment the SIRET cannot change: shown, sent, not editable. */
static void s_siret_fixed(FILE *out, const web_form_t *form)
{
    fputs("<div class=\"field\">\n<label for=\"f-organisation.siret\">Numéro SIRET</label>\n"
          "<p class=\"help\" id=\"h-organisation.siret\">Le SIRET d'un dossier ne change pas : pour un autre "
          "établissement, déposez une nouvelle candidature.</p>\n", out);
    const char *error = form_error_of(form, "organisation.siret");
    if (error) {
        fputs("<p class=\"error\" id=\"e-organisation.siret\"><span class=\"visually-hidden\">Erreur : </span>", out);
        html_escape_z(out, error);
        fputs("</p>\n", out);
    }
    fputs("<input type=\"text\" id=\"f-organisation.siret\" name=\"organisation.siret\" readonly "
          "aria-describedby=\"h-organisation.siret\" value=\"", out);
    html_escape_z(out, web_form_get(form, "organisation.siret"));
    fputs("\">\n</div>\n", out);
}

void form_page_new_key(char key[33])
{
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2hex(key, 33, bytes, sizeof bytes);
}

const char *form_page_key(const web_form_t *form)
{
    const char *key = form ? web_form_get(form, "_key") : NULL;
    return key && *key && strlen(key) <= API_KEY_MAX ? key : NULL;
}

const char *form_page_key_or_new(const web_form_t *form, char fresh[33])
{
    const char *key = form_page_key(form);
    if (key)
        return key;
    form_page_new_key(fresh);
    return fresh;
}

/*  The whole form: sections by group, rows, commitments. */
void form_page_write(FILE *out, const web_t *self, const web_form_t *form, const char *action,
                     const char *hidden_name, const char *hidden_value, const char *key,
                     const char *submit)
{
    s_error_summary(out, form);
    fputs("<form method=\"post\" action=\"", out);
    html_escape_z(out, action);
    fputs("\" class=\"application\" novalidate data-ready=\"" TEXTS_CHECK_READY "\">\n", out);
    if (hidden_name) {
        fprintf(out, "<input type=\"hidden\" name=\"%s\" value=\"", hidden_name);
        html_escape_z(out, hidden_value);
        fputs("\">\n", out);
    }
    if (key) {
        fputs("<input type=\"hidden\" name=\"_key\" value=\"", out);
        html_escape_z(out, key);
        fputs("\">\n", out);
    }
    fputs("<p class=\"note\">Les champs marqués <abbr class=\"req\" title=\"obligatoire\">*</abbr> "
          "sont obligatoires.</p>\n", out);
    int group = -1;
    bool in_commitments = false;
    bool rows_done[WEB_ARRAY_COUNT] = {false, false};
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++) {
        const field_t *field = &web_fields[f];
        bool commitment = field->label == NULL;
        if (in_commitments && (!commitment || field->group != group)) {
            fputs("</fieldset>\n", out);
            in_commitments = false;
        }
        if (field->group != group) {
            if (group >= 0)
                fputs("</section>\n", out);
            group = field->group;
            fprintf(out, "<section class=\"group\" aria-labelledby=\"g%d\">\n<h2 id=\"g%d\">", group, group);
            html_escape_z(out, web_groups[group]);
            fputs("</h2>\n", out);
            if (group > 0)
                s_article_intro(out, group);
        }
        int a = fields_array_of(field->path, NULL);
        if (a >= 0) {
            if (!rows_done[a])
                s_rows(out, self, form, a);
            rows_done[a] = true;
            continue;
        }
        if (commitment && !in_commitments) {
            fputs("<fieldset class=\"commitments\"><legend>Je m'engage à :</legend>\n", out);
            in_commitments = true;
        }
        if (hidden_name && strcmp(field->path, "organisation.siret") == 0)
            s_siret_fixed(out, form);
        else
            s_field(out, self, form, f, field->path);
    }
    if (in_commitments)
        fputs("</fieldset>\n", out);
    fputs("</section>\n<p class=\"actions\">", out);
    /* The check before sending is offered on a new application: it
     * answers with the application form (an amendment is checked by
     * validation when it is sent). */
    if (!hidden_name)
        fputs("<button type=\"submit\" class=\"check\" formaction=\"/candidature/verifier\" "
              "formnovalidate>Vérifier ma candidature</button> ", out);
    fputs("<button type=\"submit\" class=\"primary\">", out);
    html_escape_z(out, submit);
    fputs("</button></p>\n</form>\n", out);
}

void web_page_apply(web_t *self, FILE *out, const web_form_t *form, const char *key)
{
    pages_head(out, "Demander à figurer dans l'annuaire");
    fputs("<h1>Demander à figurer dans l'annuaire</h1>\n"
          "<p class=\"lead\">Ce formulaire présente votre structure et votre offre au regard de la charte "
          "d'ESS Pratiques. Il est vérifié critère par critère, puis examiné par le Comité scientifique et "
          "éthique. Avant de l'envoyer, le bouton « Vérifier ma candidature » signale ce qui manque. Après "
          "l'envoi, vous recevez un code de suivi personnel. <a href=\"#donnees\">Ce que deviennent vos "
          "données personnelles</a>.</p>\n", out);
    /* A renewal sent back with its errors stays a renewal. */
    const char *renews = form ? web_form_get(form, "_renews") : NULL;
    if (renews && *renews)
        form_page_write(out, self, form, "/candidature", "_renews", renews, key, "Envoyer le renouvellement");
    else
        form_page_write(out, self, form, "/candidature", NULL, NULL, key, "Envoyer ma candidature");
    texts_privacy_notice(out, &self->settings);
    pages_foot(out);
}
