/*  services/desk/site.h - the desk's web site: routes, the request a page
 *  handler gets, the page frame, errors.  The whole API of a page.
 *
 *  A page is a handler in a route table:
 *
 *    static int s_home(desk_request_t *req)
 *    {
 *        desk_page_begin(req, "Mes dossiers");
 *        fprintf(req->out, "<p>Bonjour ");
 *        html_escape_z(req->out, req->session.name);
 *        fprintf(req->out, "</p>");
 *        desk_page_end(req);
 *        return 0;
 *    }
 *    const desk_route_t desk_member_routes[] = {
 *        {"GET", "/comite", DESK_MATCH_EXACT, DESK_ROLE_MEMBER, s_home},
 *        {0}};
 *
 *  The router (site.c) does, before any handler runs:
 *    - the session: from the cookie "essp_desk" (256 random bits; only
 *      its hash is stored); none, or an expired one, on a route that needs
 *      a role: 303 to /connexion (with « Votre session a expiré » when the
 *      cookie named a session that ended);
 *    - the role: a member on a staff route, or the reverse: 403;
 *    - a staff person who has not passed the second factor (or not yet
 *      enrolled) goes to /double-facteur first;
 *    - CSRF: every POST must carry the session's token in the form field
 *      "csrf" (desk_csrf_field writes it): else 403, nothing done;
 *    - the form (application/x-www-form-urlencoded, at most 64 fields,
 *      DESK_FIELD_MAX bytes each) and the query are parsed.
 *  A handler writes its page into req->out (an open_memstream) and sets
 *  req->status (200 by default), or calls desk_redirect / desk_error_page.
 *  It returns 0; -1 answers a 500 page.  Every response carries the
 *  security headers (CSP without inline script or style, frame-ancestors
 *  'none', Referrer-Policy: same-origin, nosniff, Cache-Control: no-store).
 */
#ifndef ESSP_DESK_SITE_H
#define ESSP_DESK_SITE_H

#include "session_keys.h"

#include "common/config.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DESK_FIELD_MAX 8192          /* bytes of one form or query value */
#define DESK_FIELDS_MAX 64           /* fields of one form or query */
#define DESK_EMAIL_MAX 254
#define DESK_NAME_MAX 100            /* PROTO_NAME_MAX */
#define DESK_CSRF_TEXT 44            /* 43 characters of base64url + NUL */

typedef enum {
    DESK_ROLE_NONE,                  /* anyone, logged in or not */
    DESK_ROLE_MEMBER,                /* a committee member */
    DESK_ROLE_STAFF,                 /* the staff */
    DESK_ROLE_ANY,                   /* any logged-in person */
} desk_role_t;

typedef enum {
    DESK_MATCH_EXACT,                /* the path is the route's */
    DESK_MATCH_PREFIX,               /* the path starts with the route's; req->rest is what follows */
} desk_match_t;

/*  The logged-in person, filled by the router (all empty when none). */
typedef struct {
    bool active;                     /* a session, second factor passed */
    char email[DESK_EMAIL_MAX + 1];  /* the login, folded to lower case */
    char name[DESK_NAME_MAX + 1];    /* the name review knows (member or staff) */
    char role[8];                    /* "member" or "staff" */
    char csrf[DESK_CSRF_TEXT];       /* the session's CSRF token */
    char stage[8];                   /* "full", "totp" (code awaited), "enrol" (staff to enrol) */
    unsigned char id_hash[32];       /* the stored hash of the session id */
    bool has_keys;                   /* the person's CURVE key pair is in memory */
} desk_session_t;

typedef struct {
    char *name;
    char *value;
} desk_field_t;

typedef struct desk_site_t desk_site_t;

typedef struct {
    desk_site_t *site;
    const char *method;              /* "GET", "POST" */
    const char *path;                /* without the query */
    const char *rest;                /* after the route's prefix (DESK_MATCH_PREFIX), else "" */
    const char *address;             /* the client's address, numeric */
    desk_session_t session;
    desk_field_t query[DESK_FIELDS_MAX];
    size_t query_count;
    desk_field_t form[DESK_FIELDS_MAX];
    size_t form_count;
    /* The response. */
    FILE *out;                       /* the page's HTML */
    int status;                      /* 200 unless set */
    char location[512];              /* set by desk_redirect */
    char set_cookie[256];            /* the session's cookie, set by the session pages */
    char form_cookie[128];           /* the router's: the CSRF cookie of forms before login */
    bool expired_notice;             /* the cookie named a session that ended */
} desk_request_t;

typedef int (*desk_handler_fn)(desk_request_t *req);

typedef struct {
    const char *method;              /* NULL ends a table */
    const char *path;
    desk_match_t match;
    desk_role_t role;
    desk_handler_fn handler;
} desk_route_t;

/*  The route tables, in their own files: the session pages
 *  (pages_auth.c), the member's pages (pages_member.c, /comite...) and
 *  the staff's (pages_staff.c, /admin...).  Each ends with {0}. */
extern const desk_route_t desk_auth_routes[];
extern const desk_route_t desk_member_routes[];
extern const desk_route_t desk_staff_routes[];

/*  Stops what the member's pages started (the reader of review's stream),
 *  once the daemon serves no more requests; nothing when never started. */
void desk_member_pages_stop(void);

/*  A field of the form / of the query, NULL when absent. */
const char *desk_form(const desk_request_t *req, const char *name);
const char *desk_query(const desk_request_t *req, const char *name);
/*  Every value of a repeated form field (checkboxes): up to cap, returns
 *  how many. */
size_t desk_form_all(const desk_request_t *req, const char *name, const char **values, size_t cap);

/*  The page frame: <head> (title « title — ESS Pratiques », the CSS), the
 *  header with the navigation of the role (« Mes dossiers » for a member;
 *  « Personnes », « Candidatures » for the staff), the person's name and
 *  the logout button (a POST form with the CSRF token), then <main>.
 *  desk_page_end closes it. */
void desk_page_begin(desk_request_t *req, const char *title);
void desk_page_end(desk_request_t *req);

/*  <input type="hidden" name="csrf" value="..."> of the session: in every
 *  form that changes something. */
void desk_csrf_field(desk_request_t *req);

/*  A notice (class "notice") or an error (class "error", role="alert")
 *  paragraph, escaped. */
void desk_notice(desk_request_t *req, const char *text);
void desk_error(desk_request_t *req, const char *text);

/*  A whole page that says what went wrong and what to do, in French,
 *  with this status: returns 0 (for `return desk_error_page(...)`). */
int desk_error_page(desk_request_t *req, int status, const char *title, const char *what_to_do);

/*  303 See Other to location (a path of the site): returns 0. */
int desk_redirect(desk_request_t *req, const char *location);

/*  Each role's home: /comite for a member, /admin for the staff. */
const char *desk_home_of(const char *role);

/* ------------------------------------------------------------------------
 *  Speaking to review and intake as the logged-in person.
 *
 *  desk_call sends one request (a msgpack map packed with
 *  proto_pack_request, with its rid) to the service's CURVE endpoint with
 *  the session's key pair (the server's public key from
 *  keys/<service>.cert), so that review checks the vote comes from the
 *  member's key; it waits at most ESSP_DESK_CALL_TIMEOUT_MS (5000).
 *  Returns 0 with the reply (which may be an "error" reply: desk_reply_is),
 *  or -1 when the service did not answer in time or the session has no
 *  key in memory: reply->problem then says in French what happened and
 *  what to do (for desk_error_page).  desk_reply_free after use. */
typedef struct {
    char *bytes;
    msgpack_zone zone;
    msgpack_object msg;
    const char *problem;
} desk_reply_t;

int desk_call(desk_request_t *req, service_id_t service, const msgpack_sbuffer *request, desk_reply_t *reply);
bool desk_reply_is(const desk_reply_t *reply, const char *type);
void desk_reply_free(desk_reply_t *reply);

/*  A fresh rid for proto_pack_request. */
uint64_t desk_next_rid(void);

#endif
