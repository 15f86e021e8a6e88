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
 *  The key can change (rotation): the stream then carries a "key" event,
 *  signed like every event by the key in force, whose signed content
 *  names the next key and the seq from which it signs (the event's own
 *  seq + 1).  A consumer that trusts the old key verifies that event and
 *  from then on trusts the new key: stream_sign_pack_key() and
 *  stream_sign_follow_key() are the two sides of it.
 *
 *  Where the key is kept on disk is common/stream_key.h.
 */
#ifndef ESSP_PROTO_STREAM_SIGN_H
#define ESSP_PROTO_STREAM_SIGN_H

#include "error.h"

#include <msgpack.h>
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

/*  The signed content of a "key" event, packed into pk: the map
 *      {type: "key", at, algorithm: "ed25519", key: 64 lower-case hex
 *       digits (the next public key), since: the seq of the first event
 *       the next key signs}
 *  (5 pairs, in this order).  The producer encodes it once, signs those
 *  bytes with the key in force (stream_sign) under the key event's own
 *  seq, and puts them in "signed"; since is that seq + 1. */
void stream_sign_pack_key(msgpack_packer *pk, uint64_t at,
                          const unsigned char next[STREAM_SIGN_PUBLIC_BYTES], uint64_t since);

/*  Opens a signed event of the stream: its "signed" and "sig" (both bin)
 *  are there, sig is the signature of (context || seq || signed) by
 *  trusted, and the signed bytes decode (into zone, as *content).  0, or
 *  -1 with err naming the field: "signed"/"sig" rule "required"
 *  ("seq N: <what> is not signed: refused"), "sig" rule "signature"
 *  ("seq N: <forged>: refused"), "signed" rule "malformed".  The one
 *  verification of a downstream reader, for every event and the key
 *  events alike. */
int stream_sign_open(const unsigned char trusted[STREAM_SIGN_PUBLIC_BYTES], const msgpack_object *event,
                     uint64_t seq, msgpack_zone *zone, msgpack_object *content, const char *what,
                     const char *forged, proto_error_t *err);

/*  A consumer's side of a "key" event (event: the decoded event map, seq
 *  its seq): verifies sig with the key it trusts, decodes "signed" (in
 *  zone) and checks it is a key event's content: type "key", algorithm
 *  "ed25519", key 64 lower-case hex digits equal to the event's own "key",
 *  since = seq + 1, and a next key that differs from the trusted one.  0
 *  with next and *since set, or -1 with err saying why (field "sig" rule
 *  "signature" when the signature does not verify). */
int stream_sign_follow_key(const unsigned char trusted[STREAM_SIGN_PUBLIC_BYTES],
                           const msgpack_object *event, uint64_t seq, msgpack_zone *zone,
                           unsigned char next[STREAM_SIGN_PUBLIC_BYTES], uint64_t *since,
                           proto_error_t *err);

#endif
