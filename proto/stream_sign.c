/*  proto/stream_sign.c - see stream_sign.h. */
#include "stream_sign.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The signed message is built in one buffer: libsodium signs contiguous
 *  bytes, and Ed25519 hashes the message twice anyway. */
static unsigned char *s_message(uint64_t seq, const void *body, size_t len, size_t *out_len)
{
    unsigned char *message = malloc(STREAM_SIGN_CONTEXT_LEN + 8 + len);
    if (!message)
        return NULL;
    memcpy(message, STREAM_SIGN_CONTEXT, STREAM_SIGN_CONTEXT_LEN);
    for (int i = 0; i < 8; i++)
        message[STREAM_SIGN_CONTEXT_LEN + i] = (unsigned char)(seq >> (56 - 8 * i));
    if (len)
        memcpy(message + STREAM_SIGN_CONTEXT_LEN + 8, body, len);
    *out_len = STREAM_SIGN_CONTEXT_LEN + 8 + len;
    return message;
}

int stream_sign(const stream_sign_key_t *key, uint64_t seq, const void *body, size_t len,
                unsigned char sig[STREAM_SIGN_BYTES])
{
    size_t message_len;
    unsigned char *message = s_message(seq, body, len, &message_len);
    if (!message)
        return -1;
    crypto_sign_detached(sig, NULL, message, message_len, key->secret);
    free(message);
    return 0;
}

bool stream_sign_verify(const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES], uint64_t seq,
                        const void *body, size_t len, const unsigned char *sig, size_t sig_len)
{
    if (sig_len != STREAM_SIGN_BYTES)
        return false;
    size_t message_len;
    unsigned char *message = s_message(seq, body, len, &message_len);
    if (!message)
        return false;
    bool good = crypto_sign_verify_detached(sig, message, message_len, public_key) == 0;
    free(message);
    return good;
}

void stream_sign_public_hex(const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES],
                            char out[STREAM_SIGN_HEX_MAX])
{
    sodium_bin2hex(out, STREAM_SIGN_HEX_MAX, public_key, STREAM_SIGN_PUBLIC_BYTES);
}

int stream_sign_public_from_hex(const char *text, size_t len,
                                unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES])
{
    size_t bin_len;
    const char *end;
    while (len && (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t'))
        text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\n' || text[len - 1] == '\r'
                   || text[len - 1] == '\t'))
        len--;
    if (len != 2 * STREAM_SIGN_PUBLIC_BYTES)
        return -1;
    if (sodium_hex2bin(public_key, STREAM_SIGN_PUBLIC_BYTES, text, len, NULL, &bin_len, &end) != 0
        || bin_len != STREAM_SIGN_PUBLIC_BYTES || end != text + len)
        return -1;
    return 0;
}
