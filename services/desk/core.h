/*  services/desk/core.h - essp-desk's core: accounts, invitations,
 *  sessions and login throttles, in the desk's own LMDB (it holds no state
 *  of the directory's process: files, votes and decisions stay in review
 *  and intake, which the desk speaks to as the logged-in person).
 *
 *  Databases (keys; values are msgpack maps):
 *    accounts     folded e-mail -> {email, name, role, state ("invited" or
 *                 "active"), public_key, sealed_secret (CURVE secret
 *                 sealed under the invitation token while invited, under
 *                 Argon2id(password) once active), salt, pwhash
 *                 (crypto_pwhash_str), totp_sealed (staff), recovery
 *                 (BLAKE2b hashes of the unused recovery codes),
 *                 invitation (token hash), created}
 *    invitations  token hash -> {email, expires, used}
 *    sessions     BLAKE2b(session id) -> {email, created, seen, csrf, stage}
 *    throttles    "account:<email>" / "address:<ip>" -> {count, first}
 *  No password and no usable secret key is stored.
 *
 *  Requests:
 *    on the CURVE endpoint, from a staff key (the CLI or the desk's own
 *    « Personnes » page): account_invite, account_list, account_remove;
 *    in process, from the web threads (proto: desk_get, desk_write),
 *    proved by the process's random inproc key: reading an account, an
 *    invitation, a session (which ends it when idle or too old, and
 *    otherwise marks it seen), and writing what a login, a logout, a
 *    password or a second factor changes.  The Argon2id work runs in the
 *    web threads, never here: it would stop every other request.
 */
#ifndef ESSP_DESK_CORE_H
#define ESSP_DESK_CORE_H

#include "common/service.h"

#include <stdint.h>

extern const char *const desk_dbs[];
extern const char *const desk_secure_types[];

typedef struct {
    unsigned char inproc[32];        /* the in-process key of this run */
    int64_t idle_s;                  /* ESSP_DESK_IDLE_SECONDS (1800) */
    int64_t absolute_s;              /* ESSP_DESK_ABSOLUTE_SECONDS (43200) */
    int64_t lock_s;                  /* ESSP_DESK_LOCK_SECONDS (900): the failure window */
    uint32_t max_failures;           /* 10 failures in the window lock */
} desk_core_t;

/*  The settings from the environment and a fresh inproc key. */
desk_core_t *desk_core_new(void);
void desk_core_destroy(void **self_p);

int desk_start(void *ctx, service_t *svc, MDB_txn *txn);
int desk_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  Folds an e-mail address (ASCII lower case) into out; 0, or -1 when it
 *  is not an address: one '@' with text on both sides, no space or
 *  control character, at most 254 bytes. */
int desk_email_fold(const char *email, size_t len, char *out, size_t cap);

#endif
