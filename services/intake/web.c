/*  services/intake/web.c - see web.h. */
#include "web.h"

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

extern const unsigned char web_static_css[];
extern const size_t web_static_css_size;
extern const unsigned char web_static_js[];
extern const size_t web_static_js_size;

/* ------------------------------------------------------------ the fields */

typedef enum {
    W_TEXT, W_EMAIL, W_TEL, W_URL, W_DATE, W_YEAR, W_TEXTAREA, W_SELECT, W_CHECKS, W_BOOL, W_LIST
} widget_t;

typedef struct {
    const char *value;
    const char *label;
} option_t;

typedef struct {
    const char *path;            /* schema path; "[]" marks the rows of an array */
    const char *label;
    widget_t widget;
    int group;                   /* 0: the organisation's details, 1..4: article of the charter */
    const option_t *options;     /* W_SELECT, W_CHECKS */
    const char *hint;            /* the expected shape, for a pattern that fails */
    const char *separators;      /* W_LIST: what separates the items */
} field_t;

static const option_t s_legal_forms[] = {
    {"scop", "SCOP (société coopérative et participative)"},
    {"scic", "SCIC (société coopérative d'intérêt collectif)"},
    {"cae", "CAE (coopérative d'activité et d'emploi)"},
    {"cooperative", "Autre coopérative"},
    {"mutual", "Mutuelle"},
    {"association", "Association"},
    {"foundation", "Fondation"},
    {"commercial_company", "Société commerciale agréée ESUS"},
    {NULL, NULL}};

static const option_t s_scopes[] = {
    {"whole", "La démarche d'amélioration continue dans son ensemble"},
    {"specific", "Des actions spécifiques du plan d'actions"},
    {NULL, NULL}};

static const option_t s_formats[] = {
    {"support", "Accompagnement"},
    {"training", "Formation"},
    {NULL, NULL}};

static const option_t s_themes[] = {
    {"continuous_improvement", "Démarche d'amélioration continue"},
    {"csr_iso26000", "RSE et ISO 26000"},
    {"democratic_governance", "Gouvernance démocratique"},
    {"strategy_consultation", "Concertation et élaboration de la stratégie"},
    {"territorial_anchoring", "Ancrage territorial"},
    {"wage_policy_social_exemplarity", "Politique salariale et exemplarité sociale"},
    {"users_unmet_needs", "Usagers et besoins non couverts"},
    {"diversity_equality", "Diversité et égalité"},
    {"sustainable_development", "Développement durable"},
    {"ethics_deontology", "Éthique et déontologie"},
    {NULL, NULL}};

static const option_t s_kinds[] = {
    {"support", "Accompagnement"},
    {"training", "Formation"},
    {NULL, NULL}};

static const option_t s_ci_topics[] = {
    {"rse", "RSE"},
    {"rso", "RSO"},
    {"guide", "Guide des bonnes pratiques"},
    {"iso26000", "ISO 26000"},
    {"whole_approach", "Démarche globale"},
    {NULL, NULL}};

#define S_SIREN_HINT "9 chiffres (espaces acceptés)"
#define S_DEPT_HINT "un numéro de département : 01 à 95, 2A, 2B ou 971 à 976"

static const field_t s_fields[] = {
    {"organisation.name", "Nom de la structure", W_TEXT, 0, NULL, NULL, NULL},
    {"organisation.address.street", "Adresse", W_TEXT, 0, NULL, NULL, NULL},
    {"organisation.address.postcode", "Code postal", W_TEXT, 0, NULL, "5 chiffres", NULL},
    {"organisation.address.city", "Commune", W_TEXT, 0, NULL, NULL, NULL},
    {"organisation.website", "Site web", W_URL, 0, NULL, "une adresse commençant par https:// ou http://", NULL},
    {"organisation.public_contact.email", "Courriel publié", W_EMAIL, 0, NULL, "une adresse comme contact@exemple.fr", NULL},
    {"organisation.public_contact.phone", "Téléphone publié", W_TEL, 0, NULL, "des chiffres, espaces, points, tirets ou +", NULL},
    {"organisation.private_contact.name", "Personne à contacter pour le dossier", W_TEXT, 0, NULL, NULL, NULL},
    {"organisation.private_contact.email", "Courriel de cette personne", W_EMAIL, 0, NULL, "une adresse comme prenom.nom@exemple.fr", NULL},
    {"organisation.private_contact.phone", "Téléphone de cette personne", W_TEL, 0, NULL, "des chiffres, espaces, points, tirets ou +", NULL},

    {"organisation.siret", "Numéro SIRET", W_TEXT, 1, NULL, "14 chiffres (espaces acceptés)", NULL},
    {"organisation.legal_form", "Statut juridique", W_SELECT, 1, s_legal_forms, NULL, NULL},
    {"organisation.rna", "Numéro RNA (associations)", W_TEXT, 1, NULL, NULL, NULL},
    {"organisation.created", "Date de création", W_DATE, 1, NULL, NULL, NULL},
    {"organisation.esus.prefecture", "Agrément ESUS : département de la préfecture", W_TEXT, 1, NULL, S_DEPT_HINT, NULL},
    {"organisation.esus.granted", "Agrément ESUS : date d'octroi", W_DATE, 1, NULL, NULL, NULL},
    {"organisation.esus.expires", "Agrément ESUS : date d'échéance", W_DATE, 1, NULL, NULL, NULL},
    {"principles.purpose", "Engagement collectif, solidarité et utilité sociale", W_TEXTAREA, 1, NULL, NULL, NULL},
    {"principles.governance", "Gouvernance démocratique et participative", W_TEXTAREA, 1, NULL, NULL, NULL},
    {"principles.surplus", "Utilisation des excédents", W_TEXTAREA, 1, NULL, NULL, NULL},

    {"references[].client", "Organisation cliente", W_TEXT, 2, NULL, NULL, NULL},
    {"references[].client_siren", "SIREN du client", W_TEXT, 2, NULL, S_SIREN_HINT, NULL},
    {"references[].client_is_ess", "Le client est une organisation de l'ESS", W_BOOL, 2, NULL, NULL, NULL},
    {"references[].year", "Année", W_YEAR, 2, NULL, NULL, NULL},
    {"references[].kind", "Nature de la mission", W_SELECT, 2, s_kinds, NULL, NULL},
    {"references[].ci_topics", "Volets de la démarche d'amélioration continue", W_CHECKS, 2, s_ci_topics, NULL, NULL},
    {"references[].summary", "Résumé de la mission", W_TEXTAREA, 2, NULL, NULL, NULL},

    {"offer.scope", "Votre offre porte sur", W_CHECKS, 3, s_scopes, NULL, NULL},
    {"offer.formats", "Vous proposez", W_CHECKS, 3, s_formats, NULL, NULL},
    {"offer.themes", "Thèmes couverts", W_CHECKS, 3, s_themes, NULL, NULL},
    {"offer.departments", "Départements d'intervention", W_LIST, 3, NULL, S_DEPT_HINT, ", ;\t\r\n"},
    {"offer.description", "Présentation de votre offre", W_TEXTAREA, 3, NULL, NULL, NULL},
    {"offer.private_area", "Utiliser la partie privée d'ESS Pratiques avec vos clients", W_BOOL, 3, NULL, NULL, NULL},
    {"trained_people[].name", "Nom et prénom", W_TEXT, 3, NULL, NULL, NULL},
    {"trained_people[].session_date", "Date de la session", W_DATE, 3, NULL, NULL, NULL},
    {"commitments.contract_before_action", NULL, W_BOOL, 3, NULL, NULL, NULL},
    {"commitments.within_competence", NULL, W_BOOL, 3, NULL, NULL, NULL},
    {"commitments.confidentiality", NULL, W_BOOL, 3, NULL, NULL, NULL},

    {"organisation.nda", "Numéro de déclaration d'activité (NDA)", W_TEXT, 4, NULL, "11 chiffres (espaces acceptés)", NULL},
    {"organisation.qualiopi.expires", "Certification Qualiopi : fin de validité", W_DATE, 4, NULL, NULL, NULL},
    {"commitments.non_discrimination", NULL, W_BOOL, 4, NULL, NULL, NULL},
    {"commitments.conflict_disclosure", NULL, W_BOOL, 4, NULL, NULL, NULL},
    {"commitments.tax_compliance", NULL, W_BOOL, 4, NULL, NULL, NULL},
    {"commitments.regulatory_watch", NULL, W_BOOL, 4, NULL, NULL, NULL},
    {"commitments.intellectual_property", NULL, W_BOOL, 4, NULL, NULL, NULL},
    {"commitments.fair_competition", NULL, W_BOOL, 4, NULL, NULL, NULL},
    {"commitments.charter_on_request", NULL, W_BOOL, 4, NULL, NULL, NULL},
    {"ties.organisations", "SIREN des organisations auxquelles vous êtes lié", W_LIST, 4, NULL, S_SIREN_HINT, ",;\r\n"},
    {"ties.networks", "Réseaux auxquels vous appartenez", W_LIST, 4, NULL, NULL, "\r\n"},
};

#define S_FIELD_COUNT (sizeof s_fields / sizeof *s_fields)

static const char *const s_groups[] = {
    "Votre structure",
    "Article 1 — Relever de l'Économie sociale et solidaire",
    "Article 2 — Présenter son expérience et ses références",
    "Article 3 — Prendre en compte les intérêts des clients et bénéficiaires",
    "Article 4 — Faire preuve de loyauté dans ses pratiques professionnelles",
};

/*  The arrays of objects, their rows shown by default, and their row label. */
typedef struct {
    const char *name;
    int rows;
    const char *row_label;
    const char *add_label;
} array_t;

static const array_t s_arrays[] = {
    {"references", 3, "Référence", "Ajouter une référence"},
    {"trained_people", 2, "Personne formée", "Ajouter une personne"},
};
#define S_ARRAY_COUNT 2

/*  Objects the form always sends, so that their required fields are
 *  reported one by one (the others appear when one of their fields is
 *  filled in). */
static const char *const s_always[] = {
    "organisation", "organisation.address", "organisation.public_contact",
    "organisation.private_contact", "principles", "offer", "commitments", NULL};

/*  What the form knows of a field from the schema. */
typedef struct {
    schema_t *schema;            /* the field's own part of the schema */
    char *help;                  /* its French description */
    bool required;               /* required in its object */
    bool marked;                 /* shown as required: its object is always sent */
    long long min_length, max_length, minimum, maximum, max_items;
} field_info_t;

struct web_t {
    field_info_t info[S_FIELD_COUNT];
    char *array_help[S_ARRAY_COUNT];
};

typedef struct {
    char *name;
    char *value;
} pair_t;

typedef struct {
    char *name;                  /* input name, "" for the whole form */
    char *message;
} form_error_t;

struct web_form_t {
    pair_t *pairs;
    size_t count;
    form_error_t *errors;
    size_t error_count;
    int rows[S_ARRAY_COUNT];                 /* rows posted */
    int row_of[S_ARRAY_COUNT][WEB_ROWS_MAX]; /* application index -> posted row */
    int extra_row;                           /* array that gets one more row, or -1 */
};

/* ------------------------------------------------------------- helpers */

static int s_array_of(const char *path, size_t *prefix)
{
    const char *mark = strstr(path, "[");
    if (!mark)
        return -1;
    for (int a = 0; a < S_ARRAY_COUNT; a++)
        if (strlen(s_arrays[a].name) == (size_t)(mark - path)
            && strncmp(path, s_arrays[a].name, (size_t)(mark - path)) == 0) {
            if (prefix)
                *prefix = (size_t)(mark - path);
            return a;
        }
    return -1;
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
    bool ok = true;
    for (size_t i = 0; i < S_FIELD_COUNT && ok; i++) {
        json_t *parent;
        const char *key;
        json_t *node = s_schema_node(root, s_fields[i].path, &parent, &key);
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
        info->required = s_in_required(parent, s_fields[i].path);
        info->marked = info->required && !strstr(s_fields[i].path, ".esus.")
                       && !strstr(s_fields[i].path, ".qualiopi.");
        info->min_length = s_limit(node, "minLength");
        info->max_length = s_limit(node, "maxLength");
        info->minimum = s_limit(node, "minimum");
        info->maximum = s_limit(node, "maximum");
        info->max_items = s_limit(node, "maxItems");
        ok = info->schema && info->help;
    }
    for (int a = 0; a < S_ARRAY_COUNT && ok; a++) {
        json_t *parent;
        const char *key;
        json_t *node = s_schema_node(root, s_arrays[a].name, &parent, &key);
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
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        schema_destroy(&self->info[i].schema);
        free(self->info[i].help);
    }
    for (int a = 0; a < S_ARRAY_COUNT; a++)
        free(self->array_help[a]);
    free(self);
    *self_p = NULL;
}

/* ------------------------------------------------------------- the form */

static int s_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*  Decodes one urlencoded component; NULL on a broken escape. */
static char *s_decode(const char *text, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    assert(out);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '+') {
            *o++ = ' ';
        } else if (text[i] == '%') {
            int hi = i + 2 < len ? s_hex((unsigned char)text[i + 1]) : -1;
            int lo = i + 2 < len ? s_hex((unsigned char)text[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = text[i];
        }
    }
    *o = '\0';
    return out;
}

static void s_note_row(web_form_t *form, const char *name)
{
    size_t prefix;
    int a = s_array_of(name, &prefix);
    if (a < 0)
        return;
    char *end;
    long index = strtol(name + prefix + 1, &end, 10);
    if (*end == ']' && index >= 0 && index < WEB_ROWS_MAX && index + 1 > form->rows[a])
        form->rows[a] = (int)index + 1;
}

static web_form_t *s_form_new(void)
{
    web_form_t *form = calloc(1, sizeof *form);
    assert(form);
    form->extra_row = -1;
    return form;
}

static void s_form_add(web_form_t *form, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
    form->pairs = realloc(form->pairs, (form->count + 1) * sizeof *form->pairs);
    assert(form->pairs);
    pair_t *p = &form->pairs[form->count++];
    p->name = strndup(name, name_len);
    p->value = strndup(value, value_len);
    assert(p->name && p->value);
    s_note_row(form, p->name);
}

web_form_t *web_form_parse(const char *body, size_t len)
{
    web_form_t *form = s_form_new();
    size_t start = 0;
    while (start < len) {
        size_t end = start;
        while (end < len && body[end] != '&')
            end++;
        if (end > start) {
            const char *eq = memchr(body + start, '=', end - start);
            size_t name_len = eq ? (size_t)(eq - (body + start)) : end - start;
            char *name = s_decode(body + start, name_len);
            char *value = eq ? s_decode(eq + 1, (size_t)(body + end - eq - 1)) : strdup("");
            if (!name || !value || form->count >= WEB_FORM_PAIRS_MAX) {
                free(name);
                free(value);
                web_form_destroy(&form);
                return NULL;
            }
            s_form_add(form, name, strlen(name), value, strlen(value));
            free(name);
            free(value);
        }
        start = end + 1;
    }
    const char *added = web_form_added_row(form);
    for (int a = 0; added && a < S_ARRAY_COUNT; a++)
        if (strcmp(s_arrays[a].name, added) == 0)
            form->extra_row = a;
    return form;
}

void web_form_destroy(web_form_t **self_p)
{
    web_form_t *form = *self_p;
    if (!form)
        return;
    for (size_t i = 0; i < form->count; i++) {
        free(form->pairs[i].name);
        free(form->pairs[i].value);
    }
    for (size_t i = 0; i < form->error_count; i++) {
        free(form->errors[i].name);
        free(form->errors[i].message);
    }
    free(form->pairs);
    free(form->errors);
    free(form);
    *self_p = NULL;
}

const char *web_form_get(const web_form_t *form, const char *name)
{
    for (size_t i = 0; form && i < form->count; i++)
        if (strcmp(form->pairs[i].name, name) == 0)
            return form->pairs[i].value;
    return NULL;
}

const char *web_form_added_row(const web_form_t *form)
{
    const char *add = web_form_get(form, "_add");
    for (int a = 0; add && a < S_ARRAY_COUNT; a++)
        if (strcmp(add, s_arrays[a].name) == 0)
            return s_arrays[a].name;
    return NULL;
}

static void s_add_error(web_form_t *form, const char *name, const char *message)
{
    for (size_t i = 0; i < form->error_count; i++)
        if (strcmp(form->errors[i].name, name) == 0)
            return;              /* the first error of a field is the one to fix */
    form->errors = realloc(form->errors, (form->error_count + 1) * sizeof *form->errors);
    assert(form->errors);
    form->errors[form->error_count].name = strdup(name);
    form->errors[form->error_count].message = strdup(message);
    form->error_count++;
}

static const char *s_error_of(const web_form_t *form, const char *name)
{
    for (size_t i = 0; form && i < form->error_count; i++)
        if (strcmp(form->errors[i].name, name) == 0)
            return form->errors[i].message;
    return NULL;
}

/*  The message for a broken rule, in French, with the field's limits. */
static void s_message(const web_t *self, int f, const char *rule, char *out, size_t cap)
{
    const field_info_t *info = f >= 0 ? &self->info[f] : NULL;
    const field_t *field = f >= 0 ? &s_fields[f] : NULL;
    bool shape = strcmp(rule, "pattern") == 0 || strcmp(rule, "minLength") == 0
                 || strcmp(rule, "maxLength") == 0;
    if (strcmp(rule, "required") == 0)
        snprintf(out, cap, "Ce champ est obligatoire.");
    else if (shape && field && field->hint)
        snprintf(out, cap, "Format attendu : %s.", field->hint);
    else if (strcmp(rule, "minLength") == 0 && info && info->min_length > 0)
        snprintf(out, cap, "Au moins %lld caractères.", info->min_length);
    else if (strcmp(rule, "maxLength") == 0 && info && info->max_length > 0)
        snprintf(out, cap, "Au plus %lld caractères.", info->max_length);
    else if (strcmp(rule, "pattern") == 0)
        snprintf(out, cap, "Ce format n'est pas celui attendu.");
    else if (strcmp(rule, "enum") == 0)
        snprintf(out, cap, "Choisissez une des valeurs proposées.");
    else if (strcmp(rule, "format") == 0)
        snprintf(out, cap, "Une date réelle, au format AAAA-MM-JJ.");
    else if (strcmp(rule, "minItems") == 0)
        snprintf(out, cap, "Choisissez ou indiquez au moins une valeur.");
    else if (strcmp(rule, "maxItems") == 0 && info && info->max_items > 0)
        snprintf(out, cap, "Au plus %lld valeurs.", info->max_items);
    else if (strcmp(rule, "uniqueItems") == 0)
        snprintf(out, cap, "Une même valeur est indiquée deux fois.");
    else if ((strcmp(rule, "minimum") == 0 || strcmp(rule, "maximum") == 0) && info && info->minimum >= 0)
        snprintf(out, cap, "Un nombre entre %lld et %lld.", info->minimum, info->maximum);
    else if (strcmp(rule, "type") == 0 && field && field->widget == W_YEAR)
        snprintf(out, cap, "Une année en chiffres, par exemple 2024.");
    else if (strcmp(rule, "utf8") == 0)
        snprintf(out, cap, "Ce texte contient des caractères illisibles.");
    else if (strcmp(rule, "unique") == 0)
        snprintf(out, cap, "Une candidature est déjà ouverte pour ce SIRET : suivez-la ou modifiez-la "
                           "depuis sa page de suivi.");
    else if (strcmp(rule, "immutable") == 0)
        snprintf(out, cap, "Le SIRET d'un dossier ne peut pas changer : déposez une nouvelle candidature.");
    else
        snprintf(out, cap, "Cette valeur est refusée (règle « %s »).", rule);
}

static bool s_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*  A trimmed copy as a JSON string; NULL when empty; *bad on invalid UTF-8. */
static json_t *s_text(const char *value, bool *bad)
{
    if (!value)
        return NULL;
    size_t len = strlen(value);
    while (len && s_blank((unsigned char)value[len - 1]))
        len--;
    while (len && s_blank((unsigned char)*value))
        value++, len--;
    if (!len)
        return NULL;
    json_t *text = json_stringn(value, len);
    if (!text)
        *bad = true;
    return text;
}

static json_t *s_year(const char *value, bool *bad)
{
    json_t *text = s_text(value, bad);
    if (!text)
        return NULL;
    const char *s = json_string_value(text);
    char *end;
    long long year = strtoll(s, &end, 10);
    if (*end || end == s || strlen(s) > 6)
        return text;             /* the schema says "type" */
    json_decref(text);
    return json_integer(year);
}

static json_t *s_checks(const web_form_t *form, const char *name, bool *bad)
{
    json_t *array = NULL;
    for (size_t i = 0; i < form->count; i++) {
        if (strcmp(form->pairs[i].name, name) != 0 || !*form->pairs[i].value)
            continue;
        json_t *item = json_string(form->pairs[i].value);
        if (!item) {
            *bad = true;
            continue;
        }
        if (!array)
            array = json_array();
        json_array_append_new(array, item);
    }
    return array;
}

static json_t *s_list(const char *value, const char *separators, bool *bad)
{
    json_t *array = NULL;
    while (value && *value) {
        size_t len = strcspn(value, separators);
        char item[512];
        snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), value);
        json_t *text = s_text(item, bad);
        if (text) {
            if (!array)
                array = json_array();
            json_array_append_new(array, text);
        }
        value += len;
        if (*value)
            value++;
    }
    return array;
}

/*  The value of one input, as the schema wants it. */
static json_t *s_value(const field_t *f, const web_form_t *form, const char *name, bool *bad)
{
    const char *raw = web_form_get(form, name);
    switch (f->widget) {
    case W_YEAR: return s_year(raw, bad);
    case W_CHECKS: return s_checks(form, name, bad);
    case W_BOOL: return raw ? json_true() : json_false();
    case W_LIST: return s_list(raw, f->separators, bad);
    default: return s_text(raw, bad);
    }
}

/*  The object at a dotted path, created on the way. */
static json_t *s_object_at(json_t *root, const char *path, const char **last)
{
    char part[64];
    json_t *node = root;
    for (;;) {
        const char *dot = strchr(path, '.');
        if (!dot) {
            *last = path;
            return node;
        }
        snprintf(part, sizeof part, "%.*s", (int)(dot - path), path);
        json_t *child = json_object_get(node, part);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(node, part, child);
        }
        node = child;
        path = dot + 1;
    }
}

/*  Whether the object holding a field is sent: always for the objects of
 *  s_always, else when one of its fields is filled in (an ESUS agreement
 *  with a date but no prefecture). */
static bool s_parent_present(const web_form_t *form, const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return true;
    size_t len = (size_t)(dot - path);
    for (const char *const *o = s_always; *o; o++)
        if (strlen(*o) == len && strncmp(*o, path, len) == 0)
            return true;
    for (size_t f = 0; f < S_FIELD_COUNT; f++) {
        if (strncmp(s_fields[f].path, path, len + 1) != 0 || s_fields[f].widget == W_BOOL)
            continue;
        const char *value = web_form_get(form, s_fields[f].path);
        while (value && *value && s_blank((unsigned char)*value))
            value++;
        if (value && *value)
            return true;
    }
    return false;
}

/*  Checks one value alone against its part of the schema. */
static void s_check_value(web_t *self, web_form_t *form, size_t f, const char *name, json_t *value)
{
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    const char *rule = NULL;
    if (!text || json_codec_to_msgpack(text, strlen(text), &buf, &err) != 0) {
        rule = "utf8";
    } else {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object obj;
        if (wire_decode(buf.data, buf.size, &zone, &obj, &err) != 0
            || schema_validate(self->info[f].schema, &obj, &err) != 0)
            rule = err.rule;
        msgpack_zone_destroy(&zone);
    }
    if (rule) {
        char message[256];
        s_message(self, (int)f, rule, message, sizeof message);
        s_add_error(form, name, message);
    }
    free(text);
    msgpack_sbuffer_destroy(&buf);
}

static void s_set_field(web_t *self, web_form_t *form, size_t f, const char *name, json_t *object,
                        const char *key, bool parent_present)
{
    bool bad = false;
    json_t *value = s_value(&s_fields[f], form, name, &bad);
    if (bad) {
        char message[256];
        s_message(self, (int)f, "utf8", message, sizeof message);
        s_add_error(form, name, message);
    }
    if (!value) {
        if (self->info[f].required && parent_present && !bad) {
            char message[256];
            s_message(self, (int)f, "required", message, sizeof message);
            s_add_error(form, name, message);
        }
        return;
    }
    s_check_value(self, form, f, name, value);
    json_object_set_new(object, key, value);
}

static bool s_row_empty(const web_form_t *form, int a, int row)
{
    char prefix[64];
    int n = snprintf(prefix, sizeof prefix, "%s[%d].", s_arrays[a].name, row);
    for (size_t i = 0; i < form->count; i++) {
        const char *value = form->pairs[i].value;
        if (strncmp(form->pairs[i].name, prefix, (size_t)n) != 0)
            continue;
        while (*value && s_blank((unsigned char)*value))
            value++;
        if (*value)
            return false;
    }
    return true;
}

static void s_build_rows(web_t *self, web_form_t *form, json_t *root, int a)
{
    json_t *array = json_array();
    json_object_set_new(root, s_arrays[a].name, array);
    size_t prefix = strlen(s_arrays[a].name);
    for (int row = 0; row < form->rows[a]; row++) {
        if (s_row_empty(form, a, row))
            continue;
        json_t *item = json_object();
        for (size_t f = 0; f < S_FIELD_COUNT; f++) {
            if (s_array_of(s_fields[f].path, NULL) != a)
                continue;
            char name[128];
            const char *key = s_fields[f].path + prefix + 3;
            snprintf(name, sizeof name, "%s[%d].%s", s_arrays[a].name, row, key);
            s_set_field(self, form, f, name, item, key, true);
        }
        form->row_of[a][json_array_size(array)] = row;
        json_array_append_new(array, item);
    }
    /* Only references are required; an empty list of trained people is
     * no list at all. */
    if (json_array_size(array) == 0 && strcmp(s_arrays[a].name, "references") != 0)
        json_object_del(root, s_arrays[a].name);
}

size_t web_form_application(web_t *self, web_form_t *form, msgpack_sbuffer *out)
{
    json_t *root = json_object();
    const char *last;
    for (size_t f = 0; f < S_FIELD_COUNT; f++) {
        if (s_array_of(s_fields[f].path, NULL) >= 0)
            continue;
        json_t *object = s_object_at(root, s_fields[f].path, &last);
        s_set_field(self, form, f, s_fields[f].path, object, last,
                    s_parent_present(form, s_fields[f].path));
    }
    for (const char *const *o = s_always; *o; o++) {
        json_t *parent = s_object_at(root, *o, &last);
        if (!json_object_get(parent, last))
            json_object_set_new(parent, last, json_object());
    }
    /* Optional objects: required fields are reported only when one of
     * their fields is filled in; drop those that stayed empty. */
    static const char *const optional[] = {"organisation.esus", "organisation.qualiopi", "ties", NULL};
    for (const char *const *o = optional; *o; o++) {
        json_t *parent = s_object_at(root, *o, &last);
        json_t *object = json_object_get(parent, last);
        if (json_is_object(object) && json_object_size(object) == 0)
            json_object_del(parent, last);
    }
    for (int a = 0; a < S_ARRAY_COUNT; a++)
        s_build_rows(self, form, root, a);
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    proto_error_t err;
    if (!text || json_codec_to_msgpack(text, strlen(text), out, &err) != 0)
        s_add_error(form, "", "Le formulaire n'a pas pu être lu ; vérifiez les textes saisis.");
    free(text);
    json_decref(root);
    return form->error_count;
}

/*  The input a field path of the application designates: the same name,
 *  with a row of the application turned into the row of the form; an
 *  item of a list is the list; an object, its first field. */
static void s_input_of(const web_form_t *form, const char *field, char *name, size_t cap)
{
    size_t prefix;
    int a = s_array_of(field, &prefix);
    if (a >= 0) {
        char *end;
        long index = strtol(field + prefix + 1, &end, 10);
        if (*end == ']' && index >= 0 && index < WEB_ROWS_MAX)
            snprintf(name, cap, "%s[%d]%s", s_arrays[a].name, form->row_of[a][index], end + 1);
        else
            snprintf(name, cap, "%s", field);
    } else {
        snprintf(name, cap, "%s", field);
    }
    char *bracket = strrchr(name, '[');
    if (bracket && bracket[strlen(bracket) - 1] == ']' && !strchr(bracket, '.'))
        *bracket = '\0';
}

static int s_field_of_input(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s", name);
    size_t prefix;
    int a = s_array_of(path, &prefix);
    if (a >= 0) {
        char *close = strchr(path + prefix, ']');
        if (close)
            memmove(path + prefix + 1, close, strlen(close) + 1);
    }
    for (size_t f = 0; f < S_FIELD_COUNT; f++)
        if (strcmp(s_fields[f].path, path) == 0)
            return (int)f;
    return -1;
}

/*  The first field under an object path ("organisation.esus"), with its
 *  input name. */
static int s_first_under(const char *path, char *name, size_t cap)
{
    size_t len = strlen(path);
    for (size_t f = 0; f < S_FIELD_COUNT; f++)
        if (strncmp(s_fields[f].path, path, len) == 0 && s_fields[f].path[len] == '.'
            && s_array_of(s_fields[f].path, NULL) < 0) {
            snprintf(name, cap, "%s", s_fields[f].path);
            return (int)f;
        }
    return -1;
}

static void s_place_error(web_form_t *form, const char *field, int *f_out, char *name, size_t cap)
{
    s_input_of(form, field, name, cap);
    int f = s_field_of_input(name);
    if (f < 0) {
        char object[128];
        snprintf(object, sizeof object, "%s", name);
        f = s_first_under(object, name, cap);
    }
    if (f < 0)
        name[0] = '\0';
    *f_out = f;
}

void web_form_error(web_t *self, web_form_t *form, const char *field, const char *rule)
{
    char name[160], message[256];
    int f;
    s_place_error(form, field, &f, name, sizeof name);
    s_message(self, f, rule, message, sizeof message);
    s_add_error(form, name, message);
}

/* ------------------------------------------------------------------ HTML */

static void s_head(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", out);
    html_escape_z(out, title);
    fputs(" — Annuaire ESS Pratiques</title>\n<link rel=\"stylesheet\" href=\"/static/essp.css\">\n"
          "<script src=\"/static/essp.js\" defer></script>\n</head>\n<body>\n"
          "<header class=\"site\"><p><a href=\"/\">ESS Pratiques</a> · Annuaire des accompagnateurs "
          "et formateurs de l'ESS</p></header>\n<main id=\"contenu\">\n", out);
}

static void s_foot(FILE *out)
{
    fputs("</main>\n<footer class=\"site\"><p>ESS Pratiques — CRESS Pays de la Loire. "
          "<a href=\"/charte\">La charte</a></p></footer>\n</body>\n</html>\n", out);
}

static const char *s_label(size_t f)
{
    return s_fields[f].label ? s_fields[f].label : "";
}

static void s_attr_ids(FILE *out, const char *name, bool help, const char *error)
{
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
    const char *help = self->info[f].help, *label = s_fields[f].label;
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
    if (self->info[f].marked)
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
    const field_t *field = &s_fields[f];
    const field_info_t *info = &self->info[f];
    const char *error = s_error_of(form, name);
    const char *value = web_form_get(form, name);
    bool commitment = field->label == NULL;
    if (field->widget == W_CHECKS) {
        fputs(error ? "<fieldset class=\"field checks has-error\"" : "<fieldset class=\"field checks\"", out);
        fputs(" id=\"f-", out);
        html_escape_z(out, name);
        fputs("\" tabindex=\"-1\"><legend>", out);
        html_escape_z(out, s_label(f));
        if (info->marked)
            fputs(" <abbr class=\"req\" title=\"obligatoire\">*</abbr>", out);
        fputs("</legend>\n", out);
        s_help_and_error(out, self, f, name, error, true);
        for (const option_t *o = field->options; o->value; o++) {
            fputs("<label class=\"choice\"><input type=\"checkbox\" name=\"", out);
            html_escape_z(out, name);
            fprintf(out, "\" value=\"%s\"%s> ", o->value, s_has_value(form, name, o->value) ? " checked" : "");
            html_escape_z(out, o->label);
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
        fprintf(out, "\" value=\"true\"%s", value ? " checked" : "");
        s_attr_ids(out, name, !commitment && s_helps(self, f), error);
        fputs(">\n", out);
        s_label_tag(out, name, commitment ? info->help : s_label(f), false);
        s_help_and_error(out, self, f, name, error, !commitment);
        fputs("</div>\n", out);
        return;
    }
    s_label_tag(out, name, s_label(f), info->marked);
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
        if (info->marked)
            fputs(" aria-required=\"true\"", out);
        s_attr_ids(out, name, s_helps(self, f), error);
        fputs(">", out);
        html_escape_z(out, value);
        fputs("</textarea>\n", out);
        break;
    case W_SELECT:
        fputs("<select id=\"f-", out);
        html_escape_z(out, name);
        fputs("\" name=\"", out);
        html_escape_z(out, name);
        fputs("\"", out);
        if (info->marked)
            fputs(" aria-required=\"true\"", out);
        s_attr_ids(out, name, s_helps(self, f), error);
        fputs(">\n<option value=\"\">— choisir —</option>\n", out);
        for (const option_t *o = field->options; o->value; o++) {
            fprintf(out, "<option value=\"%s\"%s>", o->value,
                    value && strcmp(value, o->value) == 0 ? " selected" : "");
            html_escape_z(out, o->label);
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
    int rows = s_arrays[a].rows;
    if (form && form->rows[a] > rows)
        rows = form->rows[a];
    if (form && form->extra_row == a)
        rows++;
    return rows > WEB_ROWS_MAX ? WEB_ROWS_MAX : rows;
}

static void s_rows(FILE *out, const web_t *self, const web_form_t *form, int a)
{
    const array_t *array = &s_arrays[a];
    size_t prefix = strlen(array->name);
    fprintf(out, "<div class=\"rows\" data-array=\"%s\">\n", array->name);
    fputs("<p class=\"help\">", out);
    html_escape_z(out, self->array_help[a]);
    fputs("</p>\n", out);
    int rows = s_rows_shown(form, a);
    for (int row = 0; row < rows; row++) {
        fprintf(out, "<fieldset class=\"row\" data-row=\"%d\"><legend>%s n° <span class=\"n\">%d</span></legend>\n",
                row, array->row_label, row + 1);
        for (size_t f = 0; f < S_FIELD_COUNT; f++) {
            if (s_array_of(s_fields[f].path, NULL) != a)
                continue;
            char name[128];
            snprintf(name, sizeof name, "%s[%d].%s", array->name, row, s_fields[f].path + prefix + 3);
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
    if (!form || form->error_count == 0)
        return;
    fprintf(out, "<div class=\"summary\" role=\"alert\" tabindex=\"-1\" id=\"erreurs\">\n"
                 "<h2>%zu point%s à corriger</h2>\n<ul>\n",
            form->error_count, form->error_count > 1 ? "s" : "");
    for (size_t i = 0; i < form->error_count; i++) {
        const char *name = form->errors[i].name;
        int f = *name ? s_field_of_input(name) : -1;
        fputs("<li>", out);
        if (f >= 0) {
            fputs("<a href=\"#f-", out);
            html_escape_z(out, name);
            fputs("\">", out);
            size_t prefix;
            int a = s_array_of(name, &prefix);
            if (a >= 0)
                fprintf(out, "%s n° %ld — ", s_arrays[a].row_label, strtol(name + prefix + 1, NULL, 10) + 1);
            html_escape_z(out, s_fields[f].label ? s_fields[f].label : "Engagement");
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
    const char *error = s_error_of(form, "organisation.siret");
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

/*  The whole form: sections by group, rows, commitments. */
static void s_form(FILE *out, const web_t *self, const web_form_t *form, const char *action,
                   const char *hidden_name, const char *hidden_value, const char *key,
                   const char *submit)
{
    s_error_summary(out, form);
    fputs("<form method=\"post\" action=\"", out);
    html_escape_z(out, action);
    fputs("\" class=\"application\" novalidate>\n", out);
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
    bool rows_done[S_ARRAY_COUNT] = {false, false};
    for (size_t f = 0; f < S_FIELD_COUNT; f++) {
        const field_t *field = &s_fields[f];
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
            html_escape_z(out, s_groups[group]);
            fputs("</h2>\n", out);
            if (group > 0)
                s_article_intro(out, group);
        }
        int a = s_array_of(field->path, NULL);
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
    fputs("</section>\n<p class=\"actions\"><button type=\"submit\" class=\"primary\">", out);
    html_escape_z(out, submit);
    fputs("</button></p>\n</form>\n", out);
}

void web_page_apply(web_t *self, FILE *out, const web_form_t *form, const char *key)
{
    s_head(out, "Demander à figurer dans l'annuaire");
    fputs("<h1>Demander à figurer dans l'annuaire</h1>\n"
          "<p class=\"lead\">Ce formulaire présente votre structure et votre offre au regard de la charte "
          "d'ESS Pratiques. Il est vérifié critère par critère, puis examiné par le Comité Scientifique et "
          "Éthique. Après l'envoi, vous recevez un code de suivi personnel.</p>\n", out);
    s_form(out, self, form, "/candidature", NULL, NULL, key, "Envoyer ma candidature");
    s_foot(out);
}

void web_page_receipt(FILE *out, const char *id, const char *token, bool duplicate)
{
    s_head(out, "Candidature reçue");
    fputs("<h1>Candidature reçue</h1>\n<p class=\"lead\">", out);
    fputs(duplicate ? "Cette candidature était déjà enregistrée : " : "Votre candidature est enregistrée : ", out);
    fputs("dossier n° <strong class=\"id\">", out);
    html_escape_z(out, id);
    fputs("</strong>.</p>\n<div class=\"token-box\">\n<p>Votre code de suivi personnel :</p>\n"
          "<p><code class=\"token\">", out);
    html_escape_z(out, token);
    fputs("</code></p>\n<p>Conservez-le : il vous sera demandé pour suivre et modifier votre dossier, "
          "et il ne peut pas vous être renvoyé.</p>\n</div>\n"
          "<p>Lien de suivi, à garder dans vos favoris : <a class=\"follow\" href=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("#jeton=", out);
    html_escape_z(out, token);
    fputs("\">suivre le dossier ", out);
    html_escape_z(out, id);
    fputs("</a></p>\n<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\">\n<input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\">\n<button type=\"submit\" class=\"primary\">Voir où en est ma candidature</button>\n</form>\n", out);
    s_foot(out);
}

void web_page_follow(FILE *out, const char *id, const char *notice)
{
    s_head(out, "Suivre une candidature");
    fputs("<h1>Suivre une candidature</h1>\n", out);
    if (notice) {
        fputs("<div class=\"summary\" role=\"alert\"><p>", out);
        html_escape_z(out, notice);
        fputs("</p></div>\n", out);
    }
    fputs("<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\" class=\"follow-form\">\n<p>Dossier n° <strong class=\"id\">", out);
    html_escape_z(out, id);
    fputs("</strong></p>\n<div class=\"field\">\n<label for=\"jeton\">Code de suivi</label>\n"
          "<p class=\"help\" id=\"h-jeton\">Le code reçu lors du dépôt de la candidature.</p>\n"
          "<input type=\"text\" id=\"jeton\" name=\"jeton\" autocomplete=\"off\" spellcheck=\"false\" "
          "aria-describedby=\"h-jeton\">\n</div>\n"
          "<p class=\"actions\"><button type=\"submit\" class=\"primary\">Voir le dossier</button></p>\n"
          "</form>\n", out);
    s_foot(out);
}

/* ------------------------------------------------------------ status page */

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

static void s_date(FILE *out, uint64_t at)
{
    static const char *const months[] = {"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
                                         "août", "septembre", "octobre", "novembre", "décembre"};
    time_t t = (time_t)at;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return;
    fprintf(out, "%d %s %d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
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
            s_date(out, at);
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
        s_form_add(form, name, strlen(name), value->via.str.ptr, value->via.str.size);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        if (value->via.boolean)
            s_form_add(form, name, strlen(name), "true", 4);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(text, sizeof text, "%lld", value->type == MSGPACK_OBJECT_NEGATIVE_INTEGER
                                                ? (long long)value->via.i64 : (long long)value->via.u64);
        s_form_add(form, name, strlen(name), text, strlen(text));
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
            s_form_add(form, name, strlen(name), joined, len);
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
    web_form_t *form = s_form_new();
    for (size_t f = 0; f < S_FIELD_COUNT; f++) {
        size_t prefix;
        int a = s_array_of(s_fields[f].path, &prefix);
        if (a < 0) {
            s_pairs_of_value(form, &s_fields[f], s_fields[f].path, doc_path(application, s_fields[f].path));
            continue;
        }
        const msgpack_object *rows = doc_array(application, s_arrays[a].name);
        const char *key = s_fields[f].path + prefix + 3;
        for (size_t row = 0; row < doc_len(rows) && row < WEB_ROWS_MAX; row++) {
            char name[128];
            snprintf(name, sizeof name, "%s[%zu].%s", s_arrays[a].name, row, key);
            s_pairs_of_value(form, &s_fields[f], name, doc_get(doc_at(rows, row), key));
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
        s_place_error(form, field, &f, name, sizeof name);
        if (f < 0 && strncmp(field, "references", 10) == 0)
            snprintf(name, sizeof name, "references[0].client");
        else if (f < 0 && strncmp(field, "trained_people", 14) == 0)
            snprintf(name, sizeof name, "trained_people[0].name");
        s_add_error(form, name, reason);
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
        s_date(out, at);
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
    s_head(out, "Suivi de votre candidature");
    fputs("<h1>Suivi de votre candidature</h1>\n<dl class=\"facts\">\n<dt>Structure</dt><dd>", out);
    html_escape_z(out, erased ? "(données effacées)" : name);
    fputs("</dd>\n<dt>Dossier</dt><dd class=\"id\">", out);
    html_escape_z(out, id);
    fprintf(out, "</dd>\n<dt>Révision</dt><dd>%llu</dd>\n<dt>Déposée le</dt><dd>", (unsigned long long)revision);
    s_date(out, submitted);
    fputs("</dd>\n<dt>Mise à jour le</dt><dd>", out);
    s_date(out, updated);
    if (*renews) {
        fputs("</dd>\n<dt>Renouvelle le dossier</dt><dd class=\"id renews\">", out);
        html_escape_z(out, renews);
    }
    if (has_expiry) {
        fputs("</dd>\n<dt>Inscription valable jusqu'au</dt><dd class=\"expires\">", out);
        s_date(out, expires);
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
        s_form(out, self, amend ? amend : prefilled, action, "jeton", token, NULL, "Envoyer la modification");
        web_form_destroy(&prefilled);
        fputs("</section>\n", out);
    }
    s_foot(out);
}

void web_page_amended(FILE *out, const char *id, const char *token, unsigned long revision)
{
    s_head(out, "Modification reçue");
    fprintf(out, "<h1>Modification reçue</h1>\n<p class=\"lead\">La révision %lu du dossier n° "
                 "<strong class=\"id\">", revision);
    html_escape_z(out, id);
    fputs("</strong> est enregistrée ; elle va être vérifiée de nouveau.</p>\n<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\">\n<input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\">\n<button type=\"submit\" class=\"primary\">Voir où en est ma candidature</button>\n</form>\n", out);
    s_foot(out);
}

void web_page_charter(FILE *out)
{
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    s_head(out, "La charte");
    fputs("<h1>La charte d'ESS Pratiques</h1>\n<p class=\"lead\">Chaque candidature est vérifiée "
          "critère par critère au regard de ces engagements, puis examinée par le Comité Scientifique "
          "et Éthique.</p>\n", out);
    for (int article = 1; article <= 4; article++) {
        fprintf(out, "<section aria-labelledby=\"a%d\">\n<h2 id=\"a%d\">", article, article);
        html_escape_z(out, s_groups[article]);
        fputs("</h2>\n<dl class=\"criteria\">\n", out);
        for (size_t i = 0; i < count; i++) {
            if (criteria[i].article != article)
                continue;
            const char *how = strcmp(criteria[i].check, CHARTER_CHECK_AUTOMATIC) == 0 ? "vérifié automatiquement"
                              : strcmp(criteria[i].check, CHARTER_CHECK_COMMITMENT) == 0 ? "engagement à cocher"
                                                                                          : "examiné par le comité";
            fputs("<dt><span class=\"code\">", out);
            html_escape_z(out, criteria[i].code);
            fputs("</span></dt>\n<dd>", out);
            html_escape_z(out, criteria[i].title_fr);
            fprintf(out, " <em>(%s)</em></dd>\n", how);
        }
        fputs("</dl>\n</section>\n", out);
    }
    fputs("<p><a href=\"/\">Déposer une candidature</a> · <a href=\"/api/v1/charter\">la charte en JSON</a></p>\n",
          out);
    s_foot(out);
}

void web_page_message(FILE *out, const char *title, const char *text)
{
    s_head(out, title);
    fputs("<h1>", out);
    html_escape_z(out, title);
    fputs("</h1>\n<p class=\"lead\">", out);
    html_escape_z(out, text);
    fputs("</p>\n<p><a href=\"/\">Revenir au formulaire de candidature</a></p>\n", out);
    s_foot(out);
}

bool web_has_field(const char *path)
{
    for (size_t f = 0; f < S_FIELD_COUNT; f++)
        if (strcmp(s_fields[f].path, path) == 0)
            return true;
    return false;
}

const char *web_static(const char *name, size_t *len, const char **content_type)
{
    if (strcmp(name, "essp.css") == 0) {
        *len = web_static_css_size;
        *content_type = "text/css; charset=utf-8";
        return (const char *)web_static_css;
    }
    if (strcmp(name, "essp.js") == 0) {
        *len = web_static_js_size;
        *content_type = "text/javascript; charset=utf-8";
        return (const char *)web_static_js;
    }
    return NULL;
}

