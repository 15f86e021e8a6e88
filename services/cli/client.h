/*  services/cli/client.h - one request, one reply, to one service.
 *
 *  The CLI's way of talking to the stack: a DEALER connected to the
 *  service's ROUTER, the request sent, the reply awaited for
 *  ESSP_TIMEOUT_MS (default 5000), and on silence the socket closed and
 *  the request sent again on a new one, ESSP_RETRIES times (default 3)
 *  ("lazy pirate").  Requests that change state carry an idempotency key,
 *  so a request resent after a lost reply is applied once.  SIGINT and
 *  SIGTERM end a wait at once (the call returns EXIT_UNREACHABLE with
 *  zsys_interrupted set, and prints nothing).
 */
#ifndef ESSP_CLI_CLIENT_H
#define ESSP_CLI_CLIENT_H

#include "common/config.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

/*  Exit codes of the essp tool.  EXIT_UNAVAILABLE is EX_TEMPFAIL of
 *  sysexits.h: the service could not store the request for now (code
 *  `unavailable`, rule `storage`), nothing was changed, the same command
 *  later will do. */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_NOT_READY = 4,
       EXIT_UNAVAILABLE = 75 };

typedef struct {
    void *frame;                 /* the reply bytes (czmq frame), owned */
    msgpack_zone zone;
    bool zone_live;              /* zone holds memory until reply_release */
    msgpack_object msg;          /* the decoded reply */
} reply_t;

/*  Sends the request (a packed msgpack map) to `service` and waits for the
 *  reply.  wait_ms: extra time the service may hold the request (a pull).
 *  Returns EXIT_OK with *reply decoded, EXIT_UNREACHABLE when no answer
 *  came, EXIT_REFUSED when the reply was an error (printed on stderr).
 *  Every reply that came holds memory until reply_release; after
 *  EXIT_UNREACHABLE nothing is held (releasing it again is harmless).
 *  A reply `unavailable` (storage short for now) is followed by the same
 *  bytes again (same rid, same idempotency key) after a growing pause
 *  (1 s doubling up to ESSP_BACKOFF_MAX_MS, default 30000), said on
 *  stderr, for ESSP_RETRY_FOR_S seconds (default 600), when the request is
 *  one whose resend is answered as the first (client_may_resend); then,
 *  or at once for the others, EXIT_UNAVAILABLE. */
int client_call(service_id_t service, const msgpack_sbuffer *request, uint32_t wait_ms,
                reply_t *reply);

/*  The same, always on the service's plain endpoint, even with a key in
 *  use: the requests anyone may send there (ping, submit, publication's
 *  pull and directory). */
int client_call_plain(service_id_t service, const msgpack_sbuffer *request, uint32_t wait_ms,
                      reply_t *reply);

void reply_release(reply_t *reply);

/*  True when the request (its decoded map) may be sent again after an
 *  `unavailable` reply because a resend is answered as the first one
 *  (proto/README.md §2.5): the reads, submit / amend / appeal carrying an
 *  idempotency key, vote, recuse, erase, withdraw, complaint, tick.  Not
 *  member_add, member_remove, member_update, token_reissue, nor a submit,
 *  amend or appeal without a key. */
bool client_may_resend(const msgpack_object *request);

/*  From now on, requests to review, intake and validation go to their
 *  authenticated endpoint (review base+5, intake base+6, validation
 *  base+7) with this key pair (a zcert_t,
 *  common/auth.h), owned by the client.  Returns 0; a call says so when
 *  the service's public key is missing. */
int client_use_key(void *cert);

/*  A fresh request id. */
uint64_t client_next_rid(void);

/*  A request being packed: its buffer and its packer. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} request_t;

/*  Starts a request map of `type` with a fresh rid and `fields` more
 *  entries (count them with proto_entries). */
void request_init(request_t *r, const char *type, size_t fields);

/*  Sends the request, prints the reply (whole, or its `list` field one
 *  item per line), frees the request and returns the exit code. */
int request_call_and_print(service_id_t service, request_t *r, const char *list);

/*  A fresh idempotency key for this invocation: every retry inside it
 *  carries the same one, so the service applies the request once. */
void request_new_key(char out[33]);

#endif
