/*  services/notify/template.h - the letters' texts, in files a person can
 *  edit: services/notify/templates/<kind>.txt and <kind>.html.
 *
 *  The syntax is a small part of Mustache:
 *    {{name}}                 the value of a variable (in .html files,
 *                             HTML-escaped: & < > " ' become entities)
 *    {{#name}} ... {{/name}}  a section: repeated once per item of a list,
 *                             or shown once when a flag is on; nothing
 *                             when it is empty.  Inside, the item's
 *                             variables, then the outer ones.
 *    {{^name}} ... {{/name}}  shown only when the section is empty
 *  The first line of the .txt file is the subject: "Objet : ..." (its
 *  variables are replaced too), then an empty line, then the text.
 *
 *  Every name a template uses must be declared for its kind (letters.h
 *  declares them): an unknown name, an unclosed section or a missing file
 *  is an error when the templates are loaded, never a silent blank in a
 *  letter.  A declared variable without a value at rendering is an error
 *  too.
 */
#ifndef ESSP_NOTIFY_TEMPLATE_H
#define ESSP_NOTIFY_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

/*  The values of one letter: variables and sections (lists of items, each
 *  with its own variables). */
typedef struct vars_t vars_t;

vars_t *vars_new(void);
void vars_destroy(vars_t **self_p);

/*  Sets a variable (the value is copied; len bytes, or strlen). */
int vars_set(vars_t *self, const char *name, const char *value);
int vars_setn(vars_t *self, const char *name, const char *value, size_t len);
int vars_setf(vars_t *self, const char *name, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/*  Appends an item to the list `section` and returns it (owned by self),
 *  or NULL when memory runs out. */
vars_t *vars_add_item(vars_t *self, const char *section);

/*  Makes `section` an empty list (shown by {{^section}}), or a flag of one
 *  item when on. */
int vars_flag(vars_t *self, const char *section, bool on);

/*  The value of a variable, or NULL. */
const char *vars_get(const vars_t *self, const char *name);

/*  What a kind of letter may name: its variables and its sections. */
typedef struct {
    const char *kind;
    const char *const *names;      /* NULL-terminated: the variables */
    const char *const *sections;   /* NULL-terminated: the sections */
} template_spec_t;

typedef struct template_t template_t;

/*  Loads <dir>/<spec->kind>.txt and .html and checks them against spec.
 *  NULL on error, with the file, the line and the reason in err. */
template_t *template_load(const char *dir, const template_spec_t *spec, char *err, size_t cap);
void template_destroy(template_t **self_p);

/*  Renders the subject, the text and the HTML into malloc'd strings
 *  (free them).  0, or -1 with the reason in err (a variable with no
 *  value, memory). */
int template_render(const template_t *self, const vars_t *vars, char **subject, char **text,
                    char **html, char *err, size_t cap);

#endif
