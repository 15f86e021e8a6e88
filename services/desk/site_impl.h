/*  services/desk/site_impl.h - the web site's state, shared by http.c,
 *  site.c, core_client.c, client.c and the session pages (not the pages'
 *  API: that is site.h). */
#ifndef ESSP_DESK_SITE_IMPL_H
#define ESSP_DESK_SITE_IMPL_H

#include "site.h"

#include <czmq.h>
#include <sodium.h>
#include <pthread.h>
#include <stdatomic.h>

#define SITE_POOL_MAX 64
#define SITE_COOKIE "essp_desk"              /* the session */
#define SITE_FORM_COOKIE "essp_desk_form"    /* the CSRF token of forms before login */

struct desk_site_t {
    char inproc[64];                         /* the core's ROUTER, in process */
    unsigned char inproc_key[32];            /* proves a request comes from this process */
    pthread_mutex_t lock;
    zsock_t *pool[SITE_POOL_MAX];
    size_t pool_count;
    atomic_bool stopping;
    bool secure_cookie;                      /* Secure on cookies (behind TLS) */
    char url[256];                           /* config_desk_url(), ends with '/' */
    int core_timeout_ms;
    int call_timeout_ms;                     /* review and intake */
    int64_t lock_minutes;                    /* for the messages */
    int64_t idle_s, absolute_s;              /* a session's ends (as the core's) */
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown logins: the same time */
};

/*  Sends one request to the desk's core and waits for its reply (after
 *  the commit): 0, or -1 when it did not come in time. */
int site_core_call(desk_site_t *site, const msgpack_sbuffer *request, uint64_t rid, desk_reply_t *reply);

/*  Starts a desk_get / desk_write request: the head and the inproc key;
 *  `fields` more pairs follow.  *rid is its rid. */
void site_core_begin(desk_site_t *site, msgpack_sbuffer *buf, msgpack_packer *pk, const char *type,
                     size_t fields, uint64_t *rid);

/*  Routes and runs one request: fills req's response.  cookie is the
 *  Cookie header (or NULL). */
void site_handle(desk_site_t *site, desk_request_t *req, const char *cookie);

/*  The hash under which a session id (its cookie text) is stored: 0, or -1
 *  when the text is not one of our ids. */
int site_session_hash(const char *cookie_text, unsigned char hash[32]);

/*  A fresh random token as text (43 characters of base64url). */
void site_random_token(char out[DESK_CSRF_TEXT]);

/*  The Set-Cookie value of a session (max_age 0 deletes it). */
void site_session_cookie(desk_site_t *site, const char *value, long max_age, char *out, size_t cap);

#endif
