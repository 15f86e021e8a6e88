/*  common/sealed_key.c - see sealed_key.h. */
#include "sealed_key.h"

#include <stdio.h>
#include <string.h>

/*  Two contexts: the stored hash of a token must never be the key it
 *  opens, or the store alone would open the sealed secret. */
static const unsigned char s_key_context[] = "essp sealed key from token v1";
static const unsigned char s_hash_context[] = "essp token hash v1";

void sealed_key_from_token(const unsigned char token[SEALED_TOKEN_BYTES], unsigned char key[SEALED_KEY_BYTES])
{
    crypto_generichash(key, SEALED_KEY_BYTES, s_key_context, sizeof s_key_context - 1, token,
                       SEALED_TOKEN_BYTES);
}

void sealed_token_hash(const unsigned char token[SEALED_TOKEN_BYTES], unsigned char hash[32])
{
    crypto_generichash(hash, 32, s_hash_context, sizeof s_hash_context - 1, token, SEALED_TOKEN_BYTES);
}

int sealed_key_from_password(const char *password, size_t len, const unsigned char salt[SEALED_SALT_BYTES],
                             unsigned char key[SEALED_KEY_BYTES])
{
    return crypto_pwhash(key, SEALED_KEY_BYTES, password, len, salt, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

void sealed_seal(const unsigned char key[SEALED_KEY_BYTES], const unsigned char *secret, size_t len,
                 unsigned char *out)
{
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, secret, len, out, key);
}

int sealed_open(const unsigned char key[SEALED_KEY_BYTES], const unsigned char *sealed, size_t len,
                unsigned char *out)
{
    if (len < SEALED_OVERHEAD)
        return -1;
    return crypto_secretbox_open_easy(out, sealed + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES,
                                      sealed, key) == 0 ? 0 : -1;
}

void sealed_token_text(const unsigned char token[SEALED_TOKEN_BYTES], char *out, size_t cap)
{
    char text[sodium_base64_ENCODED_LEN(SEALED_TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(text, sizeof text, token, SEALED_TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, cap, "%s", text);
}

int sealed_token_parse(const char *text, unsigned char token[SEALED_TOKEN_BYTES])
{
    size_t len = 0;
    const char *end = NULL;
    if (strlen(text) != 43
        || sodium_base642bin(token, SEALED_TOKEN_BYTES, text, 43, NULL, &len, &end,
                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0
        || len != SEALED_TOKEN_BYTES || *end)
        return -1;
    return 0;
}
