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

/*  services/intake/form.c - see form.h. */
static int s_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*  Decodes one urlencoded component; NULL on a broken escape, and on a
 *  NUL byte (%00), which no text of a form may hold: read as the end of
 *  the string, it would silently cut the value short. */
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
    if ((size_t)(o - out) != strlen(out)) {
        free(out);
        return NULL;
    }
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
    char unread[1];
    return web_form_parse_field(body, len, unread, sizeof unread);
}

/*  The name of the pair that body[start, end) holds, decoded as far as it
 *  can be, for the page that says which field could not be read. */
static void s_name_of_pair(const char *body, size_t start, size_t end, char *field, size_t cap)
{
    const char *eq = memchr(body + start, '=', end - start);
    char *name = s_decode(body + start, eq ? (size_t)(eq - (body + start)) : end - start);
    snprintf(field, cap, "%s", name ? name : "");
    free(name);
}

web_form_t *web_form_parse_field(const char *body, size_t len, char *field, size_t cap)
{
    field[0] = '\0';
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
            bool ok = name && value && form->count < WEB_FORM_PAIRS_MAX;
            if (ok)
                form_add(form, name, strlen(name), value, strlen(value));
            free(name);
            free(value);
            if (!ok) {
                if (form->count < WEB_FORM_PAIRS_MAX)
                    s_name_of_pair(body, start, end, field, cap);
                goto fail;
            }
        }
        start = end + 1;
    }
    const char *added = web_form_added_row(form);
    for (int a = 0; added && a < WEB_ARRAY_COUNT; a++)
        if (strcmp(web_arrays[a].name, added) == 0)
            form->extra_row = a;
    return form;
fail:
    web_form_destroy(&form);
    return NULL;
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
