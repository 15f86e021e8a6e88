/*  services/intake/fields.h - the fields of the application form, as the
 *  web pages' modules (form.h, pages.h, status_page.h) share them.
 *
 *  One field per field of proto/application.schema.json that an applicant
 *  fills in: its label, its widget, its options, the hint shown when its
 *  pattern fails; grouped by article of the charter.  web_new (web.h)
 *  compiles each field's own part of the schema once and keeps what the
 *  pages show of it (help text, required, limits).  The options of legal
 *  forms, themes, formats and scopes are proto's labels
 *  (directory_label(), proto/directory.h): one table for every page.
 */
#ifndef ESSP_INTAKE_FIELDS_H
#define ESSP_INTAKE_FIELDS_H

#include "web.h"

#include "proto/schema.h"

#include <stdbool.h>
#include <stddef.h>

#define WEB_FIELD_COUNT 50       /* entries of web_fields */
#define WEB_ARRAY_COUNT 2        /* entries of web_arrays */

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
    int labels;                  /* 1 + directory_kind_t: the options are proto's labels of that kind */
} field_t;

/*  The arrays of objects, their rows shown by default, and their row label. */
typedef struct {
    const char *name;
    int rows;
    const char *row_label;
    const char *add_label;
} array_t;

/*  What the form knows of a field from the schema. */
typedef struct {
    schema_t *schema;            /* the field's own part of the schema */
    char *help;                  /* its French description */
    bool required;               /* required in its object */
    bool marked;                 /* shown as required: its object is always sent */
    long long min_length, max_length, minimum, maximum, max_items;
} field_info_t;

struct web_t {
    web_settings_t settings;
    field_info_t info[WEB_FIELD_COUNT];
    char *array_help[WEB_ARRAY_COUNT];
};

typedef struct {
    char *name;
    char *value;
} pair_t;

typedef struct {
    char *name;                  /* input name, "" for the whole form */
    char *message;
} form_error_t;

/*  A posted form (form.h): its pairs, the errors recorded next to
 *  inputs, and the rows of each array. */
struct web_form_t {
    pair_t *pairs;
    size_t count;
    form_error_t *errors;
    size_t error_count;
    int rows[WEB_ARRAY_COUNT];                 /* rows posted */
    int row_of[WEB_ARRAY_COUNT][WEB_ROWS_MAX]; /* application index -> posted row */
    int extra_row;                           /* array that gets one more row, or -1 */
    bool checked;                            /* "Vérifier ma candidature" ran on it */
};

extern const field_t web_fields[];
extern const char *const web_groups[];
extern const array_t web_arrays[];
/*  Objects the form always sends (NULL-terminated). */
extern const char *const web_always[];

/*  The array whose rows `path` names ("references[].year" -> 0), with the
 *  length of its prefix; -1 when it names no array. */
int fields_array_of(const char *path, size_t *prefix);

/*  The field of an input name ("references[2].year"), or -1. */
int fields_of_input(const char *name);

/*  The label of field f as the page shows it. */
const char *fields_label(size_t f);

/*  The options of a W_SELECT or W_CHECKS field, in display order. */
size_t fields_option_count(const field_t *field);
option_t fields_option(const field_t *field, size_t i);

#endif
