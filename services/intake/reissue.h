/*  services/intake/reissue.h - a lost tracking link, sent again.
 *
 *  `token_reissue` {contact}: for every application whose contact address
 *  (organisation.private_contact.email, compared trimmed and without case)
 *  is this one and that may still be followed (any state but withdrawn,
 *  erased included, and but rejected once the appeal is used), intake
 *  makes a new random token, stores its hash in place of the old one (the
 *  old token is refused from this commit on) and appends
 *  `token_reissued` {id, token_sealed} to its stream: notify mails the
 *  new link to that address.  The reply is the same `reissue_ack`
 *  whatever the address, so that nobody learns which addresses applied,
 *  and the work is the same too: every request looks the address up and
 *  counts against it.
 *
 *  At most REISSUE_PER_HOUR requests per address take effect in an hour
 *  (counted in INTAKE_DB_REISSUES, so the count holds across restarts);
 *  past that the reply is the same and nothing is issued.  The HTTP
 *  gateway also limits each client address (http.md).
 *
 *  A keyed submission derives its token from its key (ids.h); after a
 *  reissue the stored hash is the new token's, so a resent submission
 *  gets its receipt without a token: the old one is not handed back.
 */
#ifndef ESSP_INTAKE_REISSUE_H
#define ESSP_INTAKE_REISSUE_H

#include "record.h"

#define REISSUE_PER_HOUR 3
#define REISSUE_WINDOW 3600          /* seconds */
#define REISSUE_IDS_MAX 32           /* applications of one address served by one request */

int reissue_token(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);

/*  The rule of the record: true when a new token may be sent for it. */
bool reissue_allowed(const msgpack_object *record);

#endif
