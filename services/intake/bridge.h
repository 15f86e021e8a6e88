/*  services/intake/bridge.h - the bridge from the HTTP threads to
 *  intake's core.
 *
 *  Each call becomes the MessagePack request a ZeroMQ client would send
 *  (submit, amend, status, appeal, ping), sent on a DEALER socket of a
 *  pool (ZeroMQ sockets are not thread-safe: one per thread at a time) to
 *  the service's ROUTER through its in-process endpoint, and waits for the
 *  reply with the same rid: the reply comes after the commit, so a receipt
 *  means durable.
 */
#ifndef ESSP_INTAKE_BRIDGE_H
#define ESSP_INTAKE_BRIDGE_H

#include "request.h"

#include <msgpack.h>

/*  services/intake/http.c - see http.h. */
#define REQUEST_POOL_MAX 256

/*  What the core answered. */
typedef struct {
    char *bytes;
    msgpack_zone zone;
    msgpack_object msg;
} reply_t;

void bridge_reply_free(reply_t *reply);

/*  What bridge_core_call returns when no reply came: the request never
 *  reached the core (nothing was done), or it did and no answer came in
 *  time (the core may still commit it). */
#define BRIDGE_UNSENT (-1)
#define BRIDGE_UNANSWERED (-2)

/*  Sends one request to the core and waits for its reply: the one with
 *  the same rid, or an error without rid (a request the core could not
 *  read: it is the answer to this one, since a socket carries one request
 *  at a time).
 *  Returns 0, BRIDGE_UNSENT, or BRIDGE_UNANSWERED when the core did not
 *  answer in time or the service is stopping; a socket that timed out is
 *  not reused (a late reply would be read as the answer to another
 *  request). */
int bridge_core_call(http_t *self, const msgpack_sbuffer *request, uint64_t rid, int timeout_ms,
                     reply_t *reply);

/*  The 503 of a change (submit, amend, appeal) the core did not answer
 *  (rc from bridge_core_call): `unanswered` when it was handed over, since
 *  the core may still commit it; `unavailable` when it never was. */
enum MHD_Result bridge_refuse(struct MHD_Connection *c, request_t *r, int rc);

uint64_t bridge_next_rid(http_t *self);

bool bridge_reply_is(const reply_t *reply, const char *type);

void bridge_pack_init(msgpack_sbuffer *buf, msgpack_packer *pk);

/*  A token of the wrong shape (length, characters, bytes that are not
 *  UTF-8) is no token of ours: the core gets one that matches nothing, so
 *  the answer is the same as for a wrong token. */
void bridge_pack_token(msgpack_packer *pk, const char *token);

/*  Asks the core for the status of r->id with the token (and the
 *  application); 0 and the reply, or as bridge_core_call. */
int bridge_fetch_status(http_t *self, const char *id, const char *token, reply_t *reply);

/*  Sends an appeal of r->id to the core: 0 with its reply, or as
 *  bridge_core_call. */
int bridge_send_appeal(http_t *self, const char *id, const char *token, const char *motivation,
                       const char *key, reply_t *reply);

#endif
