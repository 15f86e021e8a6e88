/*  services/desk/session_keys.h - the secrets a session holds in memory
 *  only: the person's CURVE key pair (opened at login from its sealed
 *  copy), the key derived from their password (to reseal at a password
 *  change or a TOTP enrolment) and, for the staff, the TOTP secret.
 *
 *  The table lives in the desk process alone, keyed by the hash of the
 *  session id; every entry is in sodium_malloc'd memory (guard pages,
 *  mlock'd so it is never swapped out) and wiped when the session ends
 *  (logout, expiry, a password change).  After a restart of the desk the
 *  table is empty: a session found in LMDB without its keys here is ended
 *  and the person asked to log in again.  Thread-safe.
 */
#ifndef ESSP_DESK_SESSION_KEYS_H
#define ESSP_DESK_SESSION_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_TOTP_MAX 32

typedef struct {
    unsigned char public_key[32];
    unsigned char secret_key[32];
    unsigned char password_key[32];          /* Argon2id(password, salt) */
    unsigned char totp[SESSION_TOTP_MAX];    /* the staff's TOTP secret (opened) */
    size_t totp_len;                         /* 0: none */
    unsigned char enrol[SESSION_TOTP_MAX];   /* a TOTP secret being enrolled */
    size_t enrol_len;
} session_secrets_t;

/*  Keeps a copy of secrets for the session (replacing an earlier one). */
int session_keys_put(const unsigned char id_hash[32], const session_secrets_t *secrets);

/*  Copies the session's secrets into *out (the caller wipes it with
 *  sodium_memzero after use): true, or false when there are none. */
bool session_keys_get(const unsigned char id_hash[32], session_secrets_t *out);

/*  Wipes and forgets the session's secrets. */
void session_keys_drop(const unsigned char id_hash[32]);

/*  Wipes the entries of sessions that ended without coming back (idle
 *  since idle_s, or older than absolute_s, now in unix seconds): the
 *  core ends such a session when its cookie returns, this ends its keys
 *  even when it never does.  Each get counts as seen. */
void session_keys_sweep(int64_t now, int64_t idle_s, int64_t absolute_s);

/*  Wipes every entry (at shutdown). */
void session_keys_clear(void);

#endif
