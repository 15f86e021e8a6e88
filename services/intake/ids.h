/*  services/intake/ids.h - the identifiers intake hands out: the id of an
 *  application and the applicant's token (its hash functions are in
 *  intake.h, for the HTTP gateway and the tests).
 *
 *  An id is 16 characters of Crockford base32: 8 of milliseconds since
 *  2020 (ids of one batch are neighbours in every tree keyed by id), 8
 *  random (unguessable, and two gateways need no shared counter).
 */
#ifndef ESSP_INTAKE_IDS_H
#define ESSP_INTAKE_IDS_H

#include "record.h"

#define IDS_CHARS 16

/*  A new id; the caller checks it is free. */
void ids_new(char id[IDS_CHARS + 1], int64_t now_ms);

/*  The token of a new application: random without an idempotency key
 *  (key NULL); with one, derived from the key, the id and the secret in
 *  s, so that a resent submission gets the same token back although only
 *  its hash is stored. */
void ids_token_new(const scratch_t *s, const char *id, const char *key, size_t key_len,
                   char token[INTAKE_TOKEN_CHARS + 1]);

/*  True when the request may not read or change the record: it names no
 *  token or one that is not the record's, and does not come with a staff
 *  key (req->peer_role, the authenticated endpoint).  A missing or wrong
 *  token is answered exactly like an unknown id, as over HTTP. */
bool ids_token_refused(const service_request_t *req, const msgpack_object *record);

#endif
