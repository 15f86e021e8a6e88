/*  services/intake/form_check.c - see form_check.h. */
#include "form_check.h"
#include "fields.h"
#include "form.h"

#include "common/html.h"
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

/*  The message for a broken rule, in French, with the field's limits. */
static void s_message(const web_t *self, int f, const char *rule, char *out, size_t cap)
{
    const field_info_t *info = f >= 0 ? &self->info[f] : NULL;
    const field_t *field = f >= 0 ? &web_fields[f] : NULL;
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
    else if (strcmp(rule, "control") == 0)
        snprintf(out, cap, "Ce texte contient un caractère invisible ou un retour à la ligne : écrivez-le sur "
                           "une seule ligne, sans caractère de contrôle.");
    else if (strcmp(rule, "unique") == 0)
        snprintf(out, cap, "Une candidature est déjà ouverte pour cette structure%s. Si c'est la vôtre, "
                           "suivez-la avec le lien de votre accusé de réception ; sinon, indiquez le nom "
                           "de la personne qui accompagne.",
                 field && strcmp(field->path, "advisor") == 0 ? " et cette personne" : "");
    else if (strcmp(rule, "same_siret") == 0)
        snprintf(out, cap, "Un renouvellement garde le SIRET et l'accompagnateur de l'inscription qu'il "
                           "renouvelle : sinon, déposez une nouvelle candidature.");
    else if (strcmp(rule, "state") == 0)
        snprintf(out, cap, "Cette inscription ne peut plus être renouvelée : déposez une nouvelle candidature.");
    else if (strcmp(rule, "immutable") == 0)
        snprintf(out, cap, "Le SIRET et le nom de l'accompagnateur d'un dossier ne peuvent pas changer : "
                           "déposez une nouvelle candidature.");
    else
        snprintf(out, cap, "Cette valeur est refusée (règle « %s »).", rule);
}

static bool s_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*  A trimmed copy of value[0..len) as a JSON string; NULL when empty;
 *  *bad on invalid UTF-8. */
static json_t *s_textn(const char *value, size_t len, bool *bad)
{
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

static json_t *s_text(const char *value, bool *bad)
{
    return value ? s_textn(value, strlen(value), bad) : NULL;
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
        /* The item whole, however long: the schema's maxLength judges it,
         * in characters; a cut here could split one and read as garbage. */
        size_t len = strcspn(value, separators);
        json_t *text = s_textn(value, len, bad);
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

/*  The value of one input, as the schema wants it.  An association with
 *  no RNA number writes « aucun » in the form; the protocol says "none"
 *  (proto/identifiers.h). */
static json_t *s_value(const field_t *f, const web_form_t *form, const char *name, bool *bad)
{
    const char *raw = web_form_get(form, name);
    if (raw && strcmp(name, "organisation.rna") == 0 && strcasecmp(raw, "aucun") == 0)
        raw = "none";
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
 *  web_always, else when one of its fields is filled in (an ESUS agreement
 *  with a date but no prefecture). */
static bool s_parent_present(const web_form_t *form, const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return true;
    size_t len = (size_t)(dot - path);
    for (const char *const *o = web_always; *o; o++)
        if (strlen(*o) == len && strncmp(*o, path, len) == 0)
            return true;
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++) {
        if (strncmp(web_fields[f].path, path, len + 1) != 0 || web_fields[f].widget == W_BOOL)
            continue;
        const char *value = web_form_get(form, web_fields[f].path);
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
        form_add_error(form, name, message);
    }
    free(text);
    msgpack_sbuffer_destroy(&buf);
}

static void s_set_field(web_t *self, web_form_t *form, size_t f, const char *name, json_t *object,
                        const char *key, bool parent_present)
{
    bool bad = false;
    json_t *value = s_value(&web_fields[f], form, name, &bad);
    if (bad) {
        char message[256];
        s_message(self, (int)f, "utf8", message, sizeof message);
        form_add_error(form, name, message);
    }
    if (!value) {
        if (self->info[f].required && parent_present && !bad) {
            char message[256];
            s_message(self, (int)f, "required", message, sizeof message);
            form_add_error(form, name, message);
        }
        return;
    }
    s_check_value(self, form, f, name, value);
    json_object_set_new(object, key, value);
}

static bool s_row_empty(const web_form_t *form, int a, int row)
{
    char prefix[64];
    int n = snprintf(prefix, sizeof prefix, "%s[%d].", web_arrays[a].name, row);
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
    json_object_set_new(root, web_arrays[a].name, array);
    size_t prefix = strlen(web_arrays[a].name);
    for (int row = 0; row < form->rows[a]; row++) {
        if (s_row_empty(form, a, row))
            continue;
        json_t *item = json_object();
        for (size_t f = 0; f < WEB_FIELD_COUNT; f++) {
            if (fields_array_of(web_fields[f].path, NULL) != a)
                continue;
            char name[128];
            const char *key = web_fields[f].path + prefix + 3;
            snprintf(name, sizeof name, "%s[%d].%s", web_arrays[a].name, row, key);
            s_set_field(self, form, f, name, item, key, true);
        }
        form->row_of[a][json_array_size(array)] = row;
        json_array_append_new(array, item);
    }
    /* Only references are required; an empty list of trained people is
     * no list at all. */
    if (json_array_size(array) == 0 && strcmp(web_arrays[a].name, "references") != 0)
        json_object_del(root, web_arrays[a].name);
}

size_t web_form_application(web_t *self, web_form_t *form, msgpack_sbuffer *out)
{
    json_t *root = json_object();
    const char *last;
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++) {
        if (fields_array_of(web_fields[f].path, NULL) >= 0)
            continue;
        json_t *object = s_object_at(root, web_fields[f].path, &last);
        s_set_field(self, form, f, web_fields[f].path, object, last,
                    s_parent_present(form, web_fields[f].path));
    }
    for (const char *const *o = web_always; *o; o++) {
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
    for (int a = 0; a < WEB_ARRAY_COUNT; a++)
        s_build_rows(self, form, root, a);
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    proto_error_t err;
    if (!text || json_codec_to_msgpack(text, strlen(text), out, &err) != 0)
        form_add_error(form, "", "Le formulaire n'a pas pu être lu ; vérifiez les textes saisis.");
    free(text);
    json_decref(root);
    return form->error_count;
}

void web_form_error(web_t *self, web_form_t *form, const char *field, const char *rule)
{
    char name[160], message[256];
    int f;
    form_place_error(form, field, &f, name, sizeof name);
    s_message(self, f, rule, message, sizeof message);
    form_add_error(form, name, message);
}
