/*  services/intake/form.c - see form.h. */
#include "form.h"
#include "fields.h"

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
    int a = fields_array_of(name, &prefix);
    if (a < 0)
        return;
    char *end;
    long index = strtol(name + prefix + 1, &end, 10);
    if (*end == ']' && index >= 0 && index < WEB_ROWS_MAX && index + 1 > form->rows[a])
        form->rows[a] = (int)index + 1;
}

web_form_t *form_new(void)
{
    web_form_t *form = calloc(1, sizeof *form);
    assert(form);
    form->extra_row = -1;
    return form;
}

void form_add(web_form_t *form, const char *name, size_t name_len, const char *value,
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
    web_form_t *form = form_new();
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
            form_add(form, name, strlen(name), value, strlen(value));
            free(name);
            free(value);
        }
        start = end + 1;
    }
    const char *added = web_form_added_row(form);
    for (int a = 0; added && a < WEB_ARRAY_COUNT; a++)
        if (strcmp(web_arrays[a].name, added) == 0)
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
    for (int a = 0; add && a < WEB_ARRAY_COUNT; a++)
        if (strcmp(add, web_arrays[a].name) == 0)
            return web_arrays[a].name;
    return NULL;
}

void form_add_error(web_form_t *form, const char *name, const char *message)
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

const char *form_error_of(const web_form_t *form, const char *name)
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

/*  The input a field path of the application designates: the same name,
 *  with a row of the application turned into the row of the form; an
 *  item of a list is the list; an object, its first field. */
static void s_input_of(const web_form_t *form, const char *field, char *name, size_t cap)
{
    size_t prefix;
    int a = fields_array_of(field, &prefix);
    if (a >= 0) {
        char *end;
        long index = strtol(field + prefix + 1, &end, 10);
        if (*end == ']' && index >= 0 && index < WEB_ROWS_MAX)
            snprintf(name, cap, "%s[%d]%s", web_arrays[a].name, form->row_of[a][index], end + 1);
        else
            snprintf(name, cap, "%s", field);
    } else {
        snprintf(name, cap, "%s", field);
    }
    char *bracket = strrchr(name, '[');
    if (bracket && bracket[strlen(bracket) - 1] == ']' && !strchr(bracket, '.'))
        *bracket = '\0';
}

/*  The first field under an object path ("organisation.esus"), with its
 *  input name. */
static int s_first_under(const char *path, char *name, size_t cap)
{
    size_t len = strlen(path);
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++)
        if (strncmp(web_fields[f].path, path, len) == 0 && web_fields[f].path[len] == '.'
            && fields_array_of(web_fields[f].path, NULL) < 0) {
            snprintf(name, cap, "%s", web_fields[f].path);
            return (int)f;
        }
    return -1;
}

void form_place_error(web_form_t *form, const char *field, int *f_out, char *name, size_t cap)
{
    s_input_of(form, field, name, cap);
    int f = fields_of_input(name);
    if (f < 0) {
        char object[160];
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
    form_place_error(form, field, &f, name, sizeof name);
    s_message(self, f, rule, message, sizeof message);
    form_add_error(form, name, message);
}
