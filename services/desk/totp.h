/*  services/desk/totp.h - the staff's second factor: TOTP (RFC 6238:
 *  HMAC-SHA1, 30-second steps, 6 digits, one step of drift either way),
 *  computed by liboath; and the recovery codes that stand in for it once
 *  each.
 */
#ifndef ESSP_DESK_TOTP_H
#define ESSP_DESK_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20         /* 160 bits, RFC 4226's recommendation */
#define TOTP_RECOVERY_CODES 10
#define TOTP_RECOVERY_TEXT 20        /* "abcd-efgh-ijkl-mnop" + NUL: 80 bits */

/*  A fresh random secret. */
void totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES]);

/*  The secret in base32 (RFC 4648, no padding), as authenticator apps
 *  take it: 0, or -1 when cap is too small. */
int totp_base32(const unsigned char *secret, size_t len, char *out, size_t cap);

/*  otpauth://totp/ESS%20Pratiques:<email>?secret=...&issuer=ESS%20Pratiques
 *  (Key Uri Format of authenticator apps). */
int totp_uri(const unsigned char *secret, size_t len, const char *email, char *out, size_t cap);

/*  The code of the step holding `now`, with `digits` digits (6 here; the
 *  RFC's test vectors have 8): 0 or -1. */
int totp_code(const unsigned char *secret, size_t len, int64_t now, unsigned digits, char *out, size_t cap);

/*  True when code (6 digits; spaces are ignored) is the one of now's
 *  step, or of the step before or after; *step (when not NULL) is then
 *  the step it belongs to (unix seconds / 30), which the desk keeps so
 *  that a code is accepted once. */
bool totp_check(const unsigned char *secret, size_t len, const char *code, int64_t now, int64_t *step);

/*  TOTP_RECOVERY_CODES fresh codes as text, and the hash stored of each. */
void totp_recovery_new(char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_TEXT],
                       unsigned char hashes[TOTP_RECOVERY_CODES][32]);

/*  The hash of a code as typed (case, spaces and dashes do not count):
 *  0, or -1 when it is not a code's shape. */
int totp_recovery_hash(const char *typed, unsigned char hash[32]);

#endif
