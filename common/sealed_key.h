/*  common/sealed_key.h - a secret kept sealed under a key that is not
 *  stored: derived from a one-time token or from a password.
 *
 *  essp-desk never keeps a usable secret key of a person: their CURVE
 *  secret key (and a staff person's TOTP secret) is stored sealed
 *  (crypto_secretbox: XSalsa20-Poly1305) under a key derived either
 *    - from an invitation token (256 random bits): keyed BLAKE2b
 *      (crypto_generichash) is enough, the token has the whole entropy;
 *    - from the person's password: Argon2id (crypto_pwhash) with a salt of
 *      its own, stored beside the sealed bytes.
 *  The CLI (essp member add --email) seals under the token, the desk
 *  reseals under the password; both use this module, which knows no
 *  domain rule.
 *
 *  A sealed secret is nonce (24) | MAC (16) | ciphertext (len).
 */
#ifndef ESSP_COMMON_SEALED_KEY_H
#define ESSP_COMMON_SEALED_KEY_H

#include <sodium.h>
#include <stddef.h>

#define SEALED_KEY_BYTES crypto_secretbox_KEYBYTES           /* 32 */
#define SEALED_SALT_BYTES crypto_pwhash_SALTBYTES            /* 16 */
#define SEALED_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define SEALED_TOKEN_BYTES 32

/*  The key a token opens: BLAKE2b keyed with the token over a fixed
 *  context, never the token's stored hash (sealed_token_hash, another
 *  context), so that the store alone opens nothing. */
void sealed_key_from_token(const unsigned char token[SEALED_TOKEN_BYTES], unsigned char key[SEALED_KEY_BYTES]);

/*  What is stored of a token: BLAKE2b keyed with the token over another
 *  context. */
void sealed_token_hash(const unsigned char token[SEALED_TOKEN_BYTES], unsigned char hash[32]);

/*  The key a password opens: Argon2id with salt, at libsodium's
 *  interactive limits.  0, or -1 when out of memory. */
int sealed_key_from_password(const char *password, size_t len, const unsigned char salt[SEALED_SALT_BYTES],
                             unsigned char key[SEALED_KEY_BYTES]);

/*  Seals len bytes of secret into out (len + SEALED_OVERHEAD bytes) with a
 *  fresh random nonce. */
void sealed_seal(const unsigned char key[SEALED_KEY_BYTES], const unsigned char *secret, size_t len,
                 unsigned char *out);

/*  Opens sealed (len bytes, at least SEALED_OVERHEAD) into out
 *  (len - SEALED_OVERHEAD bytes): 0, or -1 when the key is not the one it
 *  was sealed with or the bytes were changed. */
int sealed_open(const unsigned char key[SEALED_KEY_BYTES], const unsigned char *sealed, size_t len,
                unsigned char *out);

/*  A token as text in URLs: 43 characters of base64url without padding
 *  (cap >= 44); and back: 0, or -1 when the text is not a token. */
void sealed_token_text(const unsigned char token[SEALED_TOKEN_BYTES], char *out, size_t cap);
int sealed_token_parse(const char *text, unsigned char token[SEALED_TOKEN_BYTES]);

#endif
