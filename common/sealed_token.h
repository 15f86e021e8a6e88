/*  common/sealed_token.h - a short secret sealed to one recipient's key.
 *
 *  A sealed box (libsodium crypto_box_seal: an ephemeral X25519 key, then
 *  XSalsa20-Poly1305) that only the holder of the recipient's secret key
 *  opens.  The recipient's key is a CurveZMQ key (zcert_public_key,
 *  zcert_secret_key: X25519, 32 bytes each), so that a service's key pair
 *  serves for both.  The sender keeps nothing that could open the box
 *  again.  Knows nothing of what the secret is.
 */
#ifndef ESSP_COMMON_SEALED_TOKEN_H
#define ESSP_COMMON_SEALED_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define SEALED_TOKEN_KEY_BYTES 32   /* an X25519 public or secret key */
#define SEALED_TOKEN_OVERHEAD  48   /* crypto_box_SEALBYTES */
#define SEALED_TOKEN_MAX       256  /* the longest secret sealed, plus the overhead */

/*  Seals `len` bytes of `token` to recipient_pk into out (cap bytes at
 *  least len + SEALED_TOKEN_OVERHEAD); *out_len gets the sealed length.
 *  0, or -1 when out is too small or len + overhead exceeds
 *  SEALED_TOKEN_MAX. */
int sealed_token_seal(const uint8_t recipient_pk[SEALED_TOKEN_KEY_BYTES], const void *token, size_t len,
                      uint8_t *out, size_t cap, size_t *out_len);

/*  Opens a sealed token with the recipient's key pair into out (cap
 *  bytes).  Returns the token's length, or -1 when the box is too short,
 *  was not sealed to this key, was altered, or does not fit in cap. */
int sealed_token_open(const uint8_t pk[SEALED_TOKEN_KEY_BYTES], const uint8_t sk[SEALED_TOKEN_KEY_BYTES],
                      const uint8_t *sealed, size_t len, uint8_t *out, size_t cap);

#endif
