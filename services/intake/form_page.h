/*  services/intake/form_page.h - the application form as HTML: one input
 *  per field, grouped by article of the charter with the schema's French
 *  help, the rows of the arrays with their "add a row" button, the errors
 *  next to their inputs and summed up at the top.  The status page writes
 *  it again, prefilled, for an amendment.
 */
#ifndef ESSP_INTAKE_FORM_PAGE_H
#define ESSP_INTAKE_FORM_PAGE_H

#include "web.h"

#include <stdio.h>

/*  The application form: empty (form NULL), or as posted, with its errors.
 *  key is the idempotency key the form carries, so that posting it twice
 *  gives one application. */
void web_page_apply(web_t *self, FILE *out, const web_form_t *form, const char *key);

/*  A new idempotency key for a form served (32 hex digits and a NUL):
 *  posting the same form twice gives one application. */
void form_page_new_key(char key[33]);

/*  The idempotency key a posted form carries (`_key`, made when the form
 *  was served), or NULL when it carries none that can be one. */
const char *form_page_key(const web_form_t *form);

/*  The key to write into a form served again: the posted form's own, so
 *  that the form corrected and sent stays one request, or else a new one
 *  made in fresh.  form may be NULL (a form served for the first time). */
const char *form_page_key_or_new(const web_form_t *form, char fresh[33]);

/*  The form alone (no page around it), posting to `action`, with a hidden
 *  input hidden_name=hidden_value (the token of an amendment; NULL: none),
 *  the idempotency key (NULL: none) and the submit button's text. */
void form_page_write(FILE *out, const web_t *self, const web_form_t *form, const char *action,
                     const char *hidden_name, const char *hidden_value, const char *key, const char *submit);

#endif
