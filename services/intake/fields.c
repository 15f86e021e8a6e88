/*  services/intake/fields.c - see fields.h. */
#include "fields.h"
#include "form.h"

#include "common/html.h"
#include "proto/charter.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proto/directory.h"

static const option_t s_kinds[] = {
    {"support", "Accompagnement"},
    {"training", "Formation"},
    {NULL, NULL}};

#define S_SIREN_HINT "9 chiffres (espaces acceptés)"
#define S_DEPT_HINT "un numéro de département : 01 à 95, 2A, 2B ou 971 à 976"

/*  The options of legal forms, themes, formats and scopes are proto's
 *  labels (proto/directory.h), the same on every page and in the
 *  directory; those that exist only in the form are here. */
const field_t web_fields[] = {
    {"organisation.name", "Nom de la structure", W_TEXT, 0, NULL, NULL, NULL, 0},
    {"advisor", "Accompagnateur, accompagnatrice ou équipe", W_TEXT, 0, NULL, NULL, NULL, 0},
    {"organisation.address.street", "Adresse", W_TEXT, 0, NULL, NULL, NULL, 0},
    {"organisation.address.postcode", "Code postal", W_TEXT, 0, NULL, "5 chiffres", NULL, 0},
    {"organisation.address.city", "Commune", W_TEXT, 0, NULL, NULL, NULL, 0},
    {"organisation.website", "Site web", W_URL, 0, NULL, "une adresse commençant par https:// ou http://", NULL, 0},
    {"organisation.public_contact.email", "Courriel publié", W_EMAIL, 0, NULL, "une adresse comme contact@exemple.fr, sans accent ni espace", NULL, 0},
    {"organisation.public_contact.phone", "Téléphone publié", W_TEL, 0, NULL, "des chiffres, espaces, points, tirets ou +", NULL, 0},
    {"organisation.private_contact.name", "Personne à contacter pour le dossier", W_TEXT, 0, NULL, NULL, NULL, 0},
    {"organisation.private_contact.email", "Courriel de cette personne", W_EMAIL, 0, NULL, "une adresse comme prenom.nom@exemple.fr, sans accent ni espace", NULL, 0},
    {"organisation.private_contact.phone", "Téléphone de cette personne", W_TEL, 0, NULL, "des chiffres, espaces, points, tirets ou +", NULL, 0},

    {"organisation.siret", "Numéro SIRET", W_TEXT, 1, NULL, "14 chiffres (espaces acceptés)", NULL, 0},
    {"organisation.legal_form", "Statut juridique", W_SELECT, 1, NULL, NULL, NULL, 1 + DIRECTORY_LEGAL_FORM},
    {"organisation.rna", "Numéro RNA (associations)", W_TEXT, 1, NULL, NULL, NULL, 0},
    {"organisation.created", "Date de création", W_DATE, 1, NULL, NULL, NULL, 0},
    {"organisation.esus.prefecture", "Agrément ESUS : département de la préfecture", W_TEXT, 1, NULL, S_DEPT_HINT, NULL, 0},
    {"organisation.esus.granted", "Agrément ESUS : date d'octroi", W_DATE, 1, NULL, NULL, NULL, 0},
    {"organisation.esus.expires", "Agrément ESUS : date d'échéance", W_DATE, 1, NULL, NULL, NULL, 0},
    {"principles.purpose", "Engagement collectif, solidarité et utilité sociale", W_TEXTAREA, 1, NULL, NULL, NULL, 0},
    {"principles.governance", "Gouvernance démocratique et participative", W_TEXTAREA, 1, NULL, NULL, NULL, 0},
    {"principles.surplus", "Utilisation des excédents", W_TEXTAREA, 1, NULL, NULL, NULL, 0},

    {"references[].client", "Organisation cliente", W_TEXT, 2, NULL, NULL, NULL, 0},
    {"references[].client_siren", "SIREN du client", W_TEXT, 2, NULL, S_SIREN_HINT, NULL, 0},
    {"references[].client_is_ess", "Le client est une organisation de l'ESS", W_BOOL, 2, NULL, NULL, NULL, 0},
    {"references[].year", "Année", W_YEAR, 2, NULL, NULL, NULL, 0},
    {"references[].kind", "Nature de la mission", W_SELECT, 2, s_kinds, NULL, NULL, 0},
    {"references[].ci_topics", "Volets de la démarche d'amélioration continue", W_CHECKS, 2, NULL, NULL, NULL, 1 + DIRECTORY_CI_TOPIC},
    {"references[].summary", "Résumé de la mission", W_TEXTAREA, 2, NULL, NULL, NULL, 0},

    {"offer.scope", "Votre offre porte sur", W_CHECKS, 3, NULL, NULL, NULL, 1 + DIRECTORY_SCOPE},
    {"offer.formats", "Vous proposez", W_CHECKS, 3, NULL, NULL, NULL, 1 + DIRECTORY_FORMAT},
    {"offer.themes", "Thèmes couverts", W_CHECKS, 3, NULL, NULL, NULL, 1 + DIRECTORY_THEME},
    {"offer.departments", "Départements d'intervention", W_LIST, 3, NULL, S_DEPT_HINT, ", ;\t\r\n", 0},
    {"offer.description", "Présentation de votre offre", W_TEXTAREA, 3, NULL, NULL, NULL, 0},
    {"offer.private_area", "Utiliser la partie privée d'ESS Pratiques avec vos clients", W_BOOL, 3, NULL, NULL, NULL, 0},
    {"trained_people[].name", "Nom et prénom", W_TEXT, 3, NULL, NULL, NULL, 0},
    {"trained_people[].session_date", "Date de la session", W_DATE, 3, NULL, NULL, NULL, 0},
    {"commitments.contract_before_action", NULL, W_BOOL, 3, NULL, NULL, NULL, 0},
    {"commitments.within_competence", NULL, W_BOOL, 3, NULL, NULL, NULL, 0},
    {"commitments.confidentiality", NULL, W_BOOL, 3, NULL, NULL, NULL, 0},

    {"organisation.nda", "Numéro de déclaration d'activité (NDA)", W_TEXT, 4, NULL, "11 chiffres (espaces acceptés)", NULL, 0},
    {"organisation.qualiopi.expires", "Certification Qualiopi : fin de validité", W_DATE, 4, NULL, NULL, NULL, 0},
    {"commitments.non_discrimination", NULL, W_BOOL, 4, NULL, NULL, NULL, 0},
    {"commitments.conflict_disclosure", NULL, W_BOOL, 4, NULL, NULL, NULL, 0},
    {"commitments.tax_compliance", NULL, W_BOOL, 4, NULL, NULL, NULL, 0},
    {"commitments.regulatory_watch", NULL, W_BOOL, 4, NULL, NULL, NULL, 0},
    {"commitments.intellectual_property", NULL, W_BOOL, 4, NULL, NULL, NULL, 0},
    {"commitments.fair_competition", NULL, W_BOOL, 4, NULL, NULL, NULL, 0},
    {"commitments.charter_on_request", NULL, W_BOOL, 4, NULL, NULL, NULL, 0},
    {"ties.organisations", "SIREN des organisations auxquelles vous êtes lié", W_LIST, 4, NULL, S_SIREN_HINT, ",;\r\n", 0},
    {"ties.networks", "Réseaux auxquels vous appartenez", W_LIST, 4, NULL, NULL, "\r\n", 0},
};

_Static_assert(sizeof web_fields / sizeof *web_fields == WEB_FIELD_COUNT, "WEB_FIELD_COUNT");

const char *const web_groups[] = {
    "Votre structure",
    "Article 1 — Relever de l'économie sociale et solidaire (ESS)",
    "Article 2 — Présenter son expérience et ses références",
    "Article 3 — Prendre en compte les intérêts des clients et bénéficiaires",
    "Article 4 — Faire preuve de loyauté dans ses pratiques professionnelles",
};

/*  The arrays of objects, their rows shown by default, and their row label. */
const array_t web_arrays[] = {
    {"references", 3, "Référence", "Ajouter une référence"},
    {"trained_people", 2, "Personne formée", "Ajouter une personne"},
};
_Static_assert(sizeof web_arrays / sizeof *web_arrays == WEB_ARRAY_COUNT, "WEB_ARRAY_COUNT");

/*  Objects the form always sends, so that their required fields are
 *  reported one by one (the others appear when one of their fields is
 *  filled in). */
const char *const web_always[] = {
    "organisation", "organisation.address", "organisation.public_contact",
    "organisation.private_contact", "principles", "offer", "commitments", NULL};

int fields_array_of(const char *path, size_t *prefix)
{
    const char *mark = strstr(path, "[");
    if (!mark)
        return -1;
    for (int a = 0; a < WEB_ARRAY_COUNT; a++)
        if (strlen(web_arrays[a].name) == (size_t)(mark - path)
            && strncmp(path, web_arrays[a].name, (size_t)(mark - path)) == 0) {
            if (prefix)
                *prefix = (size_t)(mark - path);
            return a;
        }
    return -1;
}

/*  Fields the schema lets be empty but whose absence fails a blocking
 *  criterion of the charter (proto/charter.c): shown as required, and
 *  caught by "Vérifier ma candidature".  Those required only in some
 *  cases (NDA for training, RNA for an association, ESUS for a company)
 *  are not marked: the check names them when they apply. */
static bool s_charter_requires(const char *path)
{
    static const char *const paths[] = {"principles.purpose", "principles.governance", "principles.surplus",
                                        "references[].client_is_ess", "references[].ci_topics", NULL};
    for (const char *const *p = paths; *p; p++)
        if (strcmp(*p, path) == 0)
            return true;
    return strncmp(path, "commitments.", 12) == 0;
}

/*  The schema node of a field path ("references[].year"). */
static json_t *s_schema_node(json_t *root, const char *path, json_t **parent, const char **key)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *node = root;
    char *save = NULL;
    *parent = NULL;
    for (char *part = strtok_r(buf, ".", &save); part && node; part = strtok_r(NULL, ".", &save)) {
        size_t len = strlen(part);
        bool items = len > 2 && strcmp(part + len - 2, "[]") == 0;
        if (items)
            part[len - 2] = '\0';
        *parent = node;
        node = json_object_get(json_object_get(node, "properties"), part);
        *key = path + (part - buf);
        if (items && node) {
            node = json_object_get(node, "items");
        }
    }
    return node;
}

static long long s_limit(json_t *node, const char *keyword)
{
    json_t *value = json_object_get(node, keyword);
    return json_is_integer(value) ? (long long)json_integer_value(value) : -1;
}

static bool s_in_required(json_t *parent, const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *name = dot ? dot + 1 : path;
    json_t *required = json_object_get(parent, "required");
    size_t i;
    json_t *item;
    json_array_foreach(required, i, item)
        if (json_is_string(item) && strcmp(json_string_value(item), name) == 0)
            return true;
    return false;
}

web_t *web_new(void)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)application_schema_text, application_schema_size, 0, &jerr);
    if (!root)
        return NULL;
    web_t *self = calloc(1, sizeof *self);
    assert(self);
    self->settings.retention_years = 3;
    snprintf(self->settings.contact_email, sizeof self->settings.contact_email, "contact@esspratiques.fr");
    bool ok = true;
    for (size_t i = 0; i < WEB_FIELD_COUNT && ok; i++) {
        json_t *parent;
        const char *key;
        json_t *node = s_schema_node(root, web_fields[i].path, &parent, &key);
        if (!node) {
            ok = false;
            break;
        }
        field_info_t *info = &self->info[i];
        char *text = json_dumps(node, JSON_COMPACT);
        proto_error_t err;
        info->schema = text ? schema_new(text, strlen(text), &err) : NULL;
        free(text);
        const char *help = json_string_value(json_object_get(node, "description"));
        info->help = strdup(help ? help : "");
        info->required = s_in_required(parent, web_fields[i].path);
        info->marked = (info->required && !strstr(web_fields[i].path, ".esus.")
                        && !strstr(web_fields[i].path, ".qualiopi."))
                       || s_charter_requires(web_fields[i].path);
        info->min_length = s_limit(node, "minLength");
        info->max_length = s_limit(node, "maxLength");
        info->minimum = s_limit(node, "minimum");
        info->maximum = s_limit(node, "maximum");
        info->max_items = s_limit(node, "maxItems");
        ok = info->schema && info->help;
    }
    for (int a = 0; a < WEB_ARRAY_COUNT && ok; a++) {
        json_t *parent;
        const char *key;
        json_t *node = s_schema_node(root, web_arrays[a].name, &parent, &key);
        const char *help = json_string_value(json_object_get(node, "description"));
        self->array_help[a] = strdup(help ? help : "");
    }
    json_decref(root);
    if (!ok)
        web_destroy(&self);
    return self;
}

void web_destroy(web_t **self_p)
{
    web_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < WEB_FIELD_COUNT; i++) {
        schema_destroy(&self->info[i].schema);
        free(self->info[i].help);
    }
    for (int a = 0; a < WEB_ARRAY_COUNT; a++)
        free(self->array_help[a]);
    free(self);
    *self_p = NULL;
}

int fields_of_input(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s", name);
    size_t prefix;
    int a = fields_array_of(path, &prefix);
    if (a >= 0) {
        char *close = strchr(path + prefix, ']');
        if (close)
            memmove(path + prefix + 1, close, strlen(close) + 1);
    }
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++)
        if (strcmp(web_fields[f].path, path) == 0)
            return (int)f;
    return -1;
}

/*  A commitment's label is the charter's own text of it, the one its
 *  reason quotes when the box is left unticked. */
const char *fields_label(size_t f)
{
    if (web_fields[f].label)
        return web_fields[f].label;
    const char *text = charter_commitment_text(web_fields[f].path + strlen("commitments."));
    return text ? text : "";
}

bool web_has_field(const char *path)
{
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++)
        if (strcmp(web_fields[f].path, path) == 0)
            return true;
    return false;
}

size_t fields_option_count(const field_t *field)
{
    if (field->labels) {
        const char *const *codes;
        return directory_codes((directory_kind_t)(field->labels - 1), &codes);
    }
    size_t n = 0;
    while (field->options && field->options[n].value)
        n++;
    return n;
}

option_t fields_option(const field_t *field, size_t i)
{
    if (!field->labels)
        return field->options[i];
    const char *const *codes;
    directory_kind_t kind = (directory_kind_t)(field->labels - 1);
    directory_codes(kind, &codes);
    return (option_t){codes[i], directory_label(kind, codes[i], strlen(codes[i]))};
}

void web_set_settings(web_t *self, const web_settings_t *settings)
{
    self->settings = *settings;
}
