/*  services/intake/status_page.h - where an application stands, as the
 *  applicant reads it: its state in French and what it means, the
 *  validation report, the committee's decisions and motivations, the
 *  appeal, and the amendment form when the application can be amended.
 */
#ifndef ESSP_INTAKE_STATUS_PAGE_H
#define ESSP_INTAKE_STATUS_PAGE_H

#include "web.h"

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>

/*  Where the application stands: `status` is intake's status reply (with
 *  the application).  When it can be amended the page ends with the
 *  amendment form, prefilled from the application, or as posted (amend not
 *  NULL) with its errors. */
void web_page_status(web_t *self, FILE *out, const msgpack_object *status, const char *token,
                     const web_form_t *amend, int64_t now);

#endif
