/*  services/intake/status_page.h - where an application stands, as the
 *  applicant reads it, what to do first: the state in one sentence, the
 *  committee's motivations (each once), what happens next (the next
 *  meetings, how the applicant hears back), the appeal and the amendment
 *  form when the application can be amended; then the details (the
 *  charter's report, the decisions with their dates in French) and the
 *  notice on personal data.  The sentences are texts.h's.
 */
#ifndef ESSP_INTAKE_STATUS_PAGE_H
#define ESSP_INTAKE_STATUS_PAGE_H

#include "web.h"

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>

/*  Where the application stands: `status` is intake's status reply (with
 *  the application), `now` (unix seconds) tells which meetings are still
 *  to come.  When it can be amended the page holds the amendment form,
 *  prefilled from the application, or as posted (amend not NULL) with its
 *  errors. */
void web_page_status(web_t *self, FILE *out, const msgpack_object *status, const char *token,
                     const web_form_t *amend, int64_t now);

#endif
