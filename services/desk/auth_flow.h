/*  services/desk/auth_flow.h - the steps the session pages share: asking
 *  the core, opening a person's sealed secrets with their password,
 *  starting a session.  Not for the member and staff pages (site.h is
 *  theirs). */
#ifndef ESSP_DESK_AUTH_FLOW_H
#define ESSP_DESK_AUTH_FLOW_H

#include "session_keys.h"
#include "site_impl.h"

#include "common/sealed_key.h"

#define FLOW_SEALED_SECRET (32 + SEALED_OVERHEAD)   /* 72 */

/*  A new session: its id as cookie text, the hash stored, a CSRF token. */
typedef struct {
    char id_text[DESK_CSRF_TEXT];
    unsigned char hash[32];
    char csrf[DESK_CSRF_TEXT];
} flow_session_t;

void flow_session_new(flow_session_t *s);

/*  Sets the session cookie of s on the response. */
void flow_session_cookie(desk_request_t *req, const flow_session_t *s);

/*  desk_get with the fields given (NULL/false for none): 0 and the reply,
 *  or -1 (req's page already says the service is down). */
int flow_get(desk_request_t *req, const char *email, const unsigned char *token_hash, bool with_address,
             desk_reply_t *reply);

/*  Packs a key with a bin value. */
void flow_pack_bin(msgpack_packer *pk, const char *key, const void *bytes, size_t len);

/*  Sends a desk_write already packed: 0 when done, 1 when the core
 *  refused it (reply kept for the caller when reply is not NULL), -1 when
 *  the core did not answer (req's page says so). */
int flow_write(desk_request_t *req, msgpack_sbuffer *buf, uint64_t rid, desk_reply_t *reply);

/*  Opens the account's CURVE secret (and TOTP secret) with password into
 *  secrets: 0, or -1 when they do not open. */
int flow_open_secrets(const msgpack_object *account, const char *password, session_secrets_t *secrets);

/*  The bin value of an account field when it has len bytes. */
bool flow_bin(const msgpack_object *map, const char *key, const void **bytes, size_t len);

/*  The person's name and role from an account record. */
void flow_person(const msgpack_object *account, char *name, size_t name_cap, char *role, size_t role_cap);

/*  The service is down: the page that says so. */
int flow_core_down(desk_request_t *req);

#endif
