/*  services/intake/sealing.h - the applicant's token, sealed for
 *  essp-notify, which mails the tracking link.
 *
 *  Intake keeps only the hash of a token, so the token can reach notify
 *  only in the event that makes it: `submitted` (first revision) and
 *  `token_reissued` carry `token_sealed`, the token sealed
 *  (common/sealed_token.h) to notify's public key, which only notify's
 *  secret key opens.  That key is read from the certificate store,
 *  keys/allowed/service-notify.cert (role service, name notify), written
 *  when notify first starts; intake looks for it at a seal, at most once a
 *  second, until it is there, then keeps it.  Without it the events go
 *  without the field, and intake says so once in its log.
 */
#ifndef ESSP_INTAKE_SEALING_H
#define ESSP_INTAKE_SEALING_H

#include "common/sealed_token.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Seals the token for notify into out: true, or false when notify's key
 *  is not (yet) in the store or is not notify's. */
bool sealing_token(const char *token, size_t len, uint8_t out[SEALED_TOKEN_MAX], size_t *out_len);

/*  Forgets the key found (a store under another ESSP_HOME, in tests). */
void sealing_forget(void);

#endif
