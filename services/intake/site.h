/*  services/intake/site.h - the applicant's pages over HTTP: the
 *  application form and its submission, the follow-up page (asking for the
 *  token, then the status), the amendment and the appeal from that page,
 *  and the static files.  The HTML itself is web.h's.
 */
#ifndef ESSP_INTAKE_SITE_H
#define ESSP_INTAKE_SITE_H

#include "api.h"
#include "bridge.h"
#include "request.h"

enum MHD_Result site_page_form(http_t *self, struct MHD_Connection *c);

enum MHD_Result site_page_submit(http_t *self, struct MHD_Connection *c, request_t *r);

/*  "Vérifier ma candidature": the posted form checked field by field and
 *  against the charter (precheck.h), nothing sent to the core.  The form
 *  comes back with the failures next to their inputs, or a JSON answer
 *  (precheck_form_json) to a request that accepts application/json, as
 *  the page's script sends. */
enum MHD_Result site_page_check(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result site_page_follow(struct MHD_Connection *c, request_t *r, unsigned status, const char *notice);

enum MHD_Result site_page_follow_post(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result site_page_amend(http_t *self, struct MHD_Connection *c, request_t *r);

/*  The appeal form of the status page: the same appeal as the API's.
 *  Sent twice (a double click), the second finds the appeal made and
 *  shows the status page like the first. */
enum MHD_Result site_page_appeal(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result site_static(struct MHD_Connection *c, request_t *r);

#endif
