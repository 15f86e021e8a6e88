/*  services/intake/web.h - the applicant's web pages, in French.
 *
 *  The whole API of the pages, in six modules: fields.c (the form's
 *  fields and web_new), form.h (a posted form), form_check.h (the
 *  application it makes), form_page.h (the form as HTML), pages.h (the
 *  other pages), status_page.h (where an application stands); beside
 *  them texts.h (the sentences an applicant reads, for a proofreader)
 *  and precheck.h (« Vérifier ma candidature »: the charter's own check
 *  of a posted form, nothing stored).
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
#include <stdint.h>
#include <stdio.h>

typedef struct web_t web_t;
typedef struct web_form_t web_form_t;

#define WEB_FORM_PAIRS_MAX 4000  /* name=value pairs in one posted form */
#define WEB_ROWS_MAX 50          /* rows of an array (the schema's maxItems) */

/*  The per-field schemas, compiled once.  NULL if the embedded schema lacks
 *  a field of the form (a build defect). */
web_t *web_new(void);
void web_destroy(web_t **self_p);

/*  What staff set that the pages tell applicants (common/config.h): the
 *  committee's next meetings (day numbers, sorted), how many years data
 *  are kept after a listing ends, the address for personal-data requests.
 *  web_new sets the defaults (no meeting, 3 years, the default address). */
#define WEB_MEETINGS_MAX 32
typedef struct {
    int32_t meetings[WEB_MEETINGS_MAX];
    size_t meeting_count;
    int retention_years;
    char contact_email[256];
} web_settings_t;

void web_set_settings(web_t *self, const web_settings_t *settings);

/*  Whether the form has an input for this schema path ("references[].year"). */
bool web_has_field(const char *path);

#include "form.h"
#include "form_check.h"
#include "form_page.h"
#include "pages.h"
#include "status_page.h"

#endif
