/*  services/intake/web.h - the applicant's web pages, in French.
 *
 *  The HTTP gateway (http.h) serves them; this module only turns data into
 *  HTML and posted forms into applications, with no socket and no clock of
 *  its own, so it can be tested alone.
 *
 *  The form has one input per field of proto/application.schema.json,
 *  grouped by article of the charter, with the schema's French description
 *  as help text.  Input names are the schema paths ("organisation.siret",
 *  "references[2].year"), so an error that names a field (from the schema,
 *  the core or the validation report) lands next to its input.  Arrays of
 *  objects (references, trained people) have a fixed number of rows and an
 *  "add a row" button that works without JavaScript (the form comes back
 *  with one more row) and without a round trip with it (static/essp.js).
 *
 *  Checks of a posted form: each field alone against its own part of the
 *  schema, so that every wrong field is shown at once; then the whole
 *  application goes to the core, which checks it again against the whole
 *  schema (the one authority) before it stores anything.
 */
#ifndef ESSP_INTAKE_WEB_H
#define ESSP_INTAKE_WEB_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct web_t web_t;
typedef struct web_form_t web_form_t;

#define WEB_FORM_PAIRS_MAX 4000  /* name=value pairs in one posted form */
#define WEB_ROWS_MAX 50          /* rows of an array (the schema's maxItems) */

/*  The per-field schemas, compiled once.  NULL if the embedded schema lacks
 *  a field of the form (a build defect). */
web_t *web_new(void);
void web_destroy(web_t **self_p);

/*  Parses an application/x-www-form-urlencoded body.  NULL when it is not
 *  one: more than WEB_FORM_PAIRS_MAX pairs, or a broken %-escape. */
web_form_t *web_form_parse(const char *body, size_t len);
void web_form_destroy(web_form_t **self_p);

/*  The first value posted under `name`, or NULL. */
const char *web_form_get(const web_form_t *form, const char *name);

/*  The array whose "add a row" button was pressed ("references",
 *  "trained_people"), or NULL when the form was really submitted. */
const char *web_form_added_row(const web_form_t *form);

/*  Builds the application from the form into out (one msgpack map) and
 *  checks each field; returns the number of errors recorded in the form
 *  (0: the application may go to the core). */
size_t web_form_application(web_t *self, web_form_t *form, msgpack_sbuffer *out);

/*  Records an error of the core (rule of proto_error_t, and the field path
 *  inside the application) in French next to its field. */
void web_form_error(web_t *self, web_form_t *form, const char *field, const char *rule);

/*  The pages.  Each writes one whole HTML document. */

/*  The application form: empty (form NULL), or as posted, with its errors.
 *  key is the idempotency key the form carries, so that posting it twice
 *  gives one application. */
void web_page_apply(web_t *self, FILE *out, const web_form_t *form, const char *key);

/*  After a submission: the id, the token and the way to follow. */
void web_page_receipt(FILE *out, const char *id, const char *token, bool duplicate);

/*  Asks for the token of application `id` (the link of the receipt fills
 *  it in with JavaScript); notice, when not NULL, says what went wrong. */
void web_page_follow(FILE *out, const char *id, const char *notice);

/*  Where the application stands: `status` is intake's status reply (with
 *  the application).  When it can be amended the page ends with the
 *  amendment form, prefilled from the application, or as posted (amend not
 *  NULL) with its errors. */
void web_page_status(web_t *self, FILE *out, const msgpack_object *status, const char *token,
                     const web_form_t *amend);

/*  After an amendment. */
void web_page_amended(FILE *out, const char *id, const char *token, unsigned long revision);

/*  The charter: its four articles and their criteria, in French. */
void web_page_charter(FILE *out);

/*  A page with a title and a sentence (errors: not found, too large...). */
void web_page_message(FILE *out, const char *title, const char *text);

/*  Whether the form has an input for this schema path ("references[].year"). */
bool web_has_field(const char *path);

/*  The static files: "essp.css", "essp.js"; NULL when unknown. */
const char *web_static(const char *name, size_t *len, const char **content_type);

#endif
