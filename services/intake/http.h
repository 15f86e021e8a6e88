/*  services/intake/http.h - intake's HTTP gateway: the JSON API and the
 *  applicant's web pages (proto/http.md is the specification).
 *
 *  libmicrohttpd serves HTTP on its own threads.  Those threads never
 *  touch LMDB: each request that needs intake's core becomes the same
 *  MessagePack request a ZeroMQ client sends (submit, amend, status, ping),
 *  sent on a DEALER socket to the ROUTER of the service through its
 *  in-process endpoint.  The single writer runs it in the same batch and
 *  the same transaction as every other request and replies after the
 *  commit, so a 201 means the application is durable.  ZeroMQ sockets are
 *  not thread-safe: a pool hands each request a DEALER of its own.
 *
 *  In files of one purpose: request.h (a request, its route and its
 *  responses), bridge.h (to the core and back), api.h (the JSON API),
 *  site.h (the applicant's pages; their HTML is web.h's), and here the
 *  daemon's life cycle and the dispatch.
 *
 *  Limits, all configurable (see http_config_from_env):
 *    ESSP_HTTP_BODY_MAX  bytes of a request body (262144): 413 beyond
 *    ESSP_HTTP_RATE      requests per second per client address (5)
 *    ESSP_HTTP_BURST     burst allowed per address (30): 429 beyond
 *    ESSP_HTTP_REISSUE_PER_HOUR  requests for a lost tracking link per
 *                        client address and hour (10; burst the same):
 *                        429 beyond
 *    ESSP_HTTP_HEAD_TIMEOUT  seconds a request's head (request line and
 *                        headers) may take to arrive whole, from the
 *                        connection's opening or, on a kept-alive
 *                        connection, from its request line (10)
 *    ESSP_HTTP_BODY_TIMEOUT  seconds its body may take, from the end of
 *                        the head (30)
 *    ESSP_HTTP_TIMEOUT   seconds a connection may stay idle, and between
 *                        two requests (30)
 *                        Past a deadline the connection is closed: a
 *                        trickle of bytes does not keep it open.
 *    ESSP_HTTP_THREADS   threads serving connections (64): a thread waits
 *                        for the commit, so more threads, bigger batches
 *    ESSP_HTTP_CONNECTIONS   open connections in all (4096), per client
 *                        address (ESSP_HTTP_PER_ADDRESS, 32): the global cap
 *                        leaves room for 128 addresses at their cap
 *    ESSP_TRUSTED_PROXY  the reverse proxy's address (none by default):
 *                        from it, X-Real-IP is the client's address (rate
 *                        limit); and since every connection then comes
 *                        from it, ESSP_HTTP_PER_ADDRESS defaults to the
 *                        global cap
 *  The port is config_http_port() (ESSP_PORT + 4), the address
 *  config_http_bind() (ESSP_HTTP_BIND), never ESSP_BIND.
 */
#ifndef ESSP_INTAKE_HTTP_H
#define ESSP_INTAKE_HTTP_H

#include "web.h"

#include <stddef.h>

typedef struct http_t http_t;

typedef struct {
    char bind[64];               /* numeric IPv4 or IPv6 address */
    int port;
    char inproc[64];             /* the service's ROUTER, in process */
    size_t body_max;
    double rate, burst;
    unsigned timeout_s;          /* idle, and between two requests */
    unsigned head_timeout_s;     /* a request's head, whole */
    unsigned body_timeout_s;     /* a request's body, whole */
    char trusted_proxy[64];      /* numeric address, "" for none */
    unsigned threads;
    unsigned connections, per_address;
    int core_timeout_ms;         /* longest wait for the core's reply */
    double reissue_per_hour;     /* lost-link requests per client address */
    web_settings_t pages;        /* meetings, retention, contact: what pages tell */
    char pages_error[160];       /* a setting that cannot be read: http_new refuses */
} http_config_t;

/*  The defaults, overridden by the environment. */
void http_config_from_env(http_config_t *config, const char *inproc);

/*  Starts serving; NULL when the address cannot be bound. */
http_t *http_new(const http_config_t *config);

/*  Stops accepting, lets the requests in hand finish (those waiting for
 *  the core get 503 once the service's loop has stopped), and frees. */
void http_destroy(http_t **self_p);

#endif
