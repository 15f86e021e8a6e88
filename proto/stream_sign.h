/*  proto/stream_sign.h - the signatures of the publication
 *  stream.
 *
 *  Every event of the publication stream carries "signed", a MessagePack
 *  bin holding the event's content (a map encoded once, by publication),
 *  and "sig", the 64-byte Ed25519 signature (libsodium's
 *  crypto_sign_detached) of the byte string
 *
 *      "essp-stream-v1\n" || seq as 8 bytes big-endian || signed
 *
 *  A consumer in any language verifies the bytes it received, as they are:
 *  nothing is re-encoded, so no canonical MessagePack is needed.  The seq
 *  is signed too, so a mirror cannot reorder, drop or replay events
 *  without the signatures showing it.  proto/stream.md is the same
 *  contract for people.
 *
 *  Where the key is kept on disk is common/stream_key.h.
 */
#ifndef ESSP_PROTO_STREAM_SIGN_H
#define ESSP_PROTO_STREAM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_SIGN_CONTEXT "essp-stream-v1\n"
#define STREAM_SIGN_CONTEXT_LEN 15
#define STREAM_SIGN_PUBLIC_BYTES 32
#define STREAM_SIGN_SECRET_BYTES 64
#define STREAM_SIGN_BYTES 64
#define STREAM_SIGN_HEX_MAX 65          /* 64 hex digits and a NUL */

typedef struct {
    unsigned char secret[STREAM_SIGN_SECRET_BYTES];
    unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES];
} stream_sign_key_t;

/*  Signs: sig = Ed25519(context || seq || body).  0, or -1 when memory
 *  for the message could not be had. */
int stream_sign(const stream_sign_key_t *key, uint64_t seq, const void *body, size_t len,
                unsigned char sig[STREAM_SIGN_BYTES]);

/*  True when sig is the signature of (context || seq || body) by the
 *  holder of public_key. */
bool stream_sign_verify(const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES], uint64_t seq,
                        const void *body, size_t len, const unsigned char *sig, size_t sig_len);

/*  The public key as 64 lower-case hex digits. */
void stream_sign_public_hex(const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES],
                            char out[STREAM_SIGN_HEX_MAX]);

/*  Parses 64 hex digits (surrounding white space allowed) into a public
 *  key; 0 or -1. */
int stream_sign_public_from_hex(const char *text, size_t len,
                                unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES]);

#endif
