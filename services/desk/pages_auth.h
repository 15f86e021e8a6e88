/*  services/desk/pages_auth.h - the session pages of pages_factor.c and
 *  pages_prefs.c, routed in pages_login.c's table (desk_auth_routes):
 *    /double-facteur       the staff's TOTP step at login, and its
 *                          enrolment at first login
 *    /codes-de-secours     new recovery codes (staff)
 *    /preferences          password change; the member's daily digest
 */
#ifndef ESSP_DESK_PAGES_AUTH_H
#define ESSP_DESK_PAGES_AUTH_H

#include "site.h"

int pages_factor_page(desk_request_t *req);
int pages_factor_post(desk_request_t *req);
int pages_recovery_page(desk_request_t *req);
int pages_recovery_post(desk_request_t *req);
int pages_preferences(desk_request_t *req);
int pages_password_post(desk_request_t *req);
int pages_digest_post(desk_request_t *req);

#endif
