/*  services/intake/form.h - a posted form: what an applicant sent from
 *  the application form, the application it makes, and its errors.
 *
 *  Errors (of a field alone, form_check.h, or of the core, which checks the
 *  whole application again) are placed next to the input they name.
 */
#ifndef ESSP_INTAKE_FORM_H
#define ESSP_INTAKE_FORM_H

#include "web.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

/*  Parses an application/x-www-form-urlencoded body.  NULL when it is not
 *  one: more than WEB_FORM_PAIRS_MAX pairs, a broken %-escape, or a NUL
 *  byte (%00), which no text may hold. */
web_form_t *web_form_parse(const char *body, size_t len);

/*  As web_form_parse, NULL for the same bodies and for a NUL byte (%00)
 *  in a name or a value; field then holds (cap bytes) the input name of
 *  the pair that could not be read, or "" when it cannot be named (too
 *  many pairs, a name that is itself unreadable). */
web_form_t *web_form_parse_field(const char *body, size_t len, char *field, size_t cap);
void web_form_destroy(web_form_t **self_p);

/*  The first value posted under `name`, or NULL. */
const char *web_form_get(const web_form_t *form, const char *name);

/*  The array whose "add a row" button was pressed ("references",
 *  "trained_people"), or NULL when the form was really submitted. */
const char *web_form_added_row(const web_form_t *form);

/*  For the pages: an empty form, one more pair, the error recorded for an
 *  input (NULL when none). */
web_form_t *form_new(void);
void form_add(web_form_t *form, const char *name, size_t name_len, const char *value, size_t value_len);
const char *form_error_of(const web_form_t *form, const char *name);
void form_add_error(web_form_t *form, const char *name, const char *message);

/*  The input an error about `field` (a path inside the application) goes
 *  next to: its name (cap bytes), and its field in *f_out (-1: none, the
 *  name is then "", the whole form). */
void form_place_error(web_form_t *form, const char *field, int *f_out, char *name, size_t cap);

#endif
