/*  services/intake/lost_link.h - "J'ai perdu mon lien de suivi": an
 *  applicant who lost the tracking link asks for a new one with the
 *  contact address of the application (proto/http.md).
 *
 *  GET /suivi/lien-perdu is the form (one e-mail field, POSTed: nothing
 *  in a URL, no CSRF token needed since nothing is tied to a session);
 *  POST /suivi/lien-perdu and POST /api/v1/token-reissue send intake's
 *  `token_reissue` (reissue.h) and answer the same sentence whatever
 *  happened: 200 with a page, 202 with {"message"}.  Each client address
 *  may ask ESSP_HTTP_REISSUE_PER_HOUR times an hour (429 beyond), on top
 *  of the gateway's own rate limit and of intake's three per address.
 */
#ifndef ESSP_INTAKE_LOST_LINK_H
#define ESSP_INTAKE_LOST_LINK_H

#include "request.h"

enum MHD_Result lost_link_page(struct MHD_Connection *c, unsigned status, const char *notice);

enum MHD_Result lost_link_post(http_t *self, struct MHD_Connection *c, request_t *r);

enum MHD_Result lost_link_api(http_t *self, struct MHD_Connection *c, request_t *r);

#endif
