/*  common/sealed_token.c - see sealed_token.h. */
#include "sealed_token.h"

#include <sodium.h>

_Static_assert(SEALED_TOKEN_OVERHEAD == crypto_box_SEALBYTES, "the overhead is libsodium's");
_Static_assert(SEALED_TOKEN_KEY_BYTES == crypto_box_PUBLICKEYBYTES, "an X25519 key");

int sealed_token_seal(const uint8_t recipient_pk[SEALED_TOKEN_KEY_BYTES], const void *token, size_t len,
                      uint8_t *out, size_t cap, size_t *out_len)
{
    size_t sealed = len + crypto_box_SEALBYTES;
    if (sealed > cap || sealed > SEALED_TOKEN_MAX)
        return -1;
    if (sodium_init() < 0 || crypto_box_seal(out, token, len, recipient_pk) != 0)
        return -1;
    *out_len = sealed;
    return 0;
}

int sealed_token_open(const uint8_t pk[SEALED_TOKEN_KEY_BYTES], const uint8_t sk[SEALED_TOKEN_KEY_BYTES],
                      const uint8_t *sealed, size_t len, uint8_t *out, size_t cap)
{
    if (len <= crypto_box_SEALBYTES || len > SEALED_TOKEN_MAX || len - crypto_box_SEALBYTES > cap)
        return -1;
    if (sodium_init() < 0 || crypto_box_seal_open(out, sealed, len, pk, sk) != 0)
        return -1;
    return (int)(len - crypto_box_SEALBYTES);
}
