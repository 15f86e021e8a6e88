/*  services/desk/http.h - the desk's HTTP server (libmicrohttpd, its own
 *  threads), on config_desk_http_bind():config_desk_http_port().
 *
 *  Like intake's gateway, the threads never touch LMDB: what changes
 *  state becomes a request to the desk's core through the service's
 *  in-process endpoint (site_core_call), run in the core's batches; the
 *  Argon2id work (login, password) runs here, in the threads.
 *  Limits (environment or essp.conf):
 *    ESSP_DESK_BODY_MAX      bytes of a request body (65536): 413 beyond
 *    ESSP_DESK_HTTP_TIMEOUT  seconds a connection may stay idle (30)
 *    ESSP_DESK_THREADS       threads serving connections (16)
 *    ESSP_DESK_CONNECTIONS   open connections (1024), per address (32)
 */
#ifndef ESSP_DESK_HTTP_H
#define ESSP_DESK_HTTP_H

#include "site.h"

typedef struct desk_http_t desk_http_t;

/*  Starts serving for the core at inproc (with its in-process key); NULL
 *  when the address cannot be bound. */
desk_http_t *desk_http_new(const char *inproc, const unsigned char inproc_key[32]);
void desk_http_destroy(desk_http_t **self_p);

#endif
