/*  services/intake/request.h - one HTTP request of intake's gateway, from
 *  its headers to its response, and the gateway's state that its modules
 *  (bridge.h, api.h, site.h, http.c) share.
 *
 *  A request gets a route from its method and URL, is counted against its
 *  address's rate limit, and is answered in its own language: JSON for the
 *  API (/api/...), an HTML page for people.  Every response carries the
 *  same safety headers (nosniff, no-referrer, no-store, and a strict CSP on
 *  pages).
 */
#ifndef ESSP_INTAKE_REQUEST_H
#define ESSP_INTAKE_REQUEST_H

#include "http.h"
#include "ratelimit.h"
#include "web.h"

#include "proto/messages.h"

#include <czmq.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define REQUEST_POOL_MAX 256     /* DEALER sockets kept for the next requests */

typedef enum {
    R_NONE,          /* no such resource: 404 */
    R_METHOD,        /* the resource, another method: 405 */
    R_HEALTH,        /* GET /healthz */
    R_CHARTER,       /* GET /api/v1/charter */
    R_SUBMIT,        /* POST /api/v1/applications[?renews={id}] */
    R_STATUS,        /* GET /api/v1/applications/{id} */
    R_AMEND,         /* PUT /api/v1/applications/{id} */
    R_APPEAL,        /* POST /api/v1/applications/{id}/appeal */
    R_API_NONE,      /* anything else under /api/: a JSON 404 */
    R_STATIC,        /* GET /static/{name} */
    R_FORM,          /* GET / */
    R_CHARTER_PAGE,  /* GET /charte */
    R_FORM_POST,     /* POST /candidature */
    R_FOLLOW,        /* GET /suivi/{id} */
    R_FOLLOW_POST,   /* POST /suivi/{id} */
    R_AMEND_POST,    /* POST /suivi/{id}/modifier */
    R_APPEAL_POST,   /* POST /suivi/{id}/appel */
    R_REISSUE,       /* POST /api/v1/token-reissue */
    R_LOST_LINK,     /* GET /suivi/lien-perdu */
    R_LOST_LINK_POST,/* POST /suivi/lien-perdu */
    R_CHECK,         /* POST /api/v1/check: the charter on an application, nothing stored */
    R_CHECK_POST,    /* POST /candidature/verifier: the same from the form */
} route_t;

/*  One open connection, from its accept to its close: the deadline by
 *  which what it is sending must have arrived (http.c's reaper closes it
 *  past that). */
typedef struct conn_s {
    struct conn_s *prev, *next;
    int fd;
    int64_t deadline_ms;         /* 0: none (a request in the works) */
    const char *phase;           /* "head", "body", "idle" (keep-alive) */
    unsigned requests;           /* completed on this connection */
    bool cut;
} conn_t;

struct http_t {
    http_config_t config;
    struct MHD_Daemon *daemon;
    pthread_mutex_t conn_lock;   /* the list of connections */
    conn_t *conns;
    pthread_t reaper;
    bool reaper_running;
    unsigned char proxy[16];     /* ESSP_TRUSTED_PROXY, parsed */
    size_t proxy_len;            /* 0: no proxy trusted */
    ratelimit_t *limits;
    ratelimit_t *reissue_limits; /* the lost-link requests, per address */
    web_t *web;
    pthread_mutex_t lock;
    zsock_t *pool[REQUEST_POOL_MAX];
    size_t pool_count;
    atomic_bool stopping;
    atomic_uint_fast64_t rid;
};

/*  One HTTP request, from its headers to its response. */
typedef struct {
    route_t route;
    char id[PROTO_ID_MAX + 1];
    char static_name[32];
    bool api;                    /* errors as JSON, not as pages */
    bool has_body;
    char *body;
    size_t len, cap;
    bool answered;               /* a response is queued: ignore the rest */
    bool too_large;              /* over the limit: the rest is read and dropped */
    size_t dropped;
    int64_t started_ms;
    bool routed;                 /* the headers are in: route known */
    /* For its log line (common/event_log.h). */
    int64_t received_us;         /* monotonic, from its request line */
    char method[8];
    char path[128];              /* without the query string */
    unsigned status;             /* of the response queued, 0 before */
    bool logged;
} request_t;

/*  Pages are written to a memory stream. */
typedef struct {
    char *html;
    size_t len;
    FILE *out;
} page_t;

int64_t request_now_ms(void);

enum MHD_Result request_json(struct MHD_Connection *c, unsigned status, json_t *value,
                             const char *header, const char *header_value);

enum MHD_Result request_json_error(struct MHD_Connection *c, unsigned status, const char *message,
                                   const char *field, const char *rule);

void request_page_open(page_t *page);

enum MHD_Result request_page_send(struct MHD_Connection *c, unsigned status, page_t *page);

enum MHD_Result request_page_message(struct MHD_Connection *c, unsigned status, const char *title,
                                     const char *text);

/*  The refusals that come before a request is read, in the request's own
 *  language (JSON for the API, a page for people). */
enum MHD_Result request_refuse(struct MHD_Connection *c, request_t *r, unsigned status, const char *rule,
                               const char *header, const char *value);

/*  503 for a change (submit, amend, appeal) handed to the core that did
 *  not answer in time (rule `unanswered`): the core may still commit it,
 *  so the answer says so and tells how to learn the outcome without
 *  making the change twice (the same form again, the same
 *  Idempotency-Key), never that nothing was stored. */
enum MHD_Result request_refuse_unanswered(struct MHD_Connection *c, request_t *r);

/*  Seconds a client waits before it resends after a 503. */
#define REQUEST_STORAGE_RETRY_AFTER "60"

/*  503 when the core could not store the request for now (code
 *  `unavailable`, rule `storage`: the disk under its store is short), with
 *  Retry-After: JSON for the API, a page in French for people. */
enum MHD_Result request_refuse_storage(struct MHD_Connection *c, request_t *r);

void request_route(request_t *r, const char *method, const char *url);

/*  The client's address (4 or 16 bytes into out, its length returned, 0
 *  when unknown): the TCP peer, or the X-Real-IP header when the peer is
 *  the trusted proxy (ESSP_TRUSTED_PROXY) and the header is an address. */
size_t request_client_address(http_t *self, struct MHD_Connection *c, unsigned char out[16]);

/*  Health checks and static files are free; everything else counts,
 *  against the bucket of request_client_address. */
bool request_rate_limited(http_t *self, struct MHD_Connection *c, request_t *r, int64_t *retry_ms);

bool request_content_type_is(struct MHD_Connection *c, const char *expected);

#endif
