/*  proto/stream_sign.c - see stream_sign.h. */
#include "stream_sign.h"

#include "doc.h"
#include "messages.h"
#include "wire.h"

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

void stream_sign_pack_key(msgpack_packer *pk, uint64_t at,
                          const unsigned char next[STREAM_SIGN_PUBLIC_BYTES], uint64_t since)
{
    char hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(next, hex);
    msgpack_pack_map(pk, 5);
    proto_pack_kv_str(pk, "type", "key");
    proto_pack_kv_uint(pk, "at", at);
    proto_pack_kv_str(pk, "algorithm", "ed25519");
    proto_pack_kv_str(pk, "key", hex);
    proto_pack_kv_uint(pk, "since", since);
}

/*  A public key written as the stream writes it: exactly 64 lower-case
 *  hex digits. */
static bool s_key_text(const msgpack_object *text, unsigned char key[STREAM_SIGN_PUBLIC_BYTES])
{
    if (!text || text->type != MSGPACK_OBJECT_STR || text->via.str.size != 2 * STREAM_SIGN_PUBLIC_BYTES)
        return false;
    for (size_t i = 0; i < text->via.str.size; i++) {
        char c = text->via.str.ptr[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return stream_sign_public_from_hex(text->via.str.ptr, text->via.str.size, key) == 0;
}

int stream_sign_open(const unsigned char trusted[STREAM_SIGN_PUBLIC_BYTES], const msgpack_object *event,
                     uint64_t seq, msgpack_zone *zone, msgpack_object *content, const char *what,
                     const char *forged, proto_error_t *err)
{
    const msgpack_object *signed_bytes = doc_get(event, "signed");
    const msgpack_object *sig = doc_get(event, "sig");
    if (!signed_bytes || signed_bytes->type != MSGPACK_OBJECT_BIN || !sig || sig->type != MSGPACK_OBJECT_BIN)
        return proto_error_set(err, signed_bytes ? "sig" : "signed", "required",
                               "seq %llu: %s is not signed: refused", (unsigned long long)seq, what);
    if (!stream_sign_verify(trusted, seq, signed_bytes->via.bin.ptr, signed_bytes->via.bin.size,
                            (const unsigned char *)sig->via.bin.ptr, sig->via.bin.size))
        return proto_error_set(err, "sig", "signature", "seq %llu: %s: refused", (unsigned long long)seq,
                               forged);
    proto_error_t why;
    if (wire_decode(signed_bytes->via.bin.ptr, signed_bytes->via.bin.size, zone, content, &why))
        return proto_error_set(err, "signed", "malformed", "seq %llu: signed content does not decode: %s",
                               (unsigned long long)seq, why.message);
    return 0;
}

int stream_sign_follow_key(const unsigned char trusted[STREAM_SIGN_PUBLIC_BYTES],
                           const msgpack_object *event, uint64_t seq, msgpack_zone *zone,
                           unsigned char next[STREAM_SIGN_PUBLIC_BYTES], uint64_t *since,
                           proto_error_t *err)
{
    msgpack_object content;
    if (stream_sign_open(trusted, event, seq, zone, &content, "the key event",
                         "the key event is not signed by the key trusted until now", err))
        return -1;
    unsigned char copy[STREAM_SIGN_PUBLIC_BYTES];
    uint64_t from = 0;
    if (!doc_str_eq(&content, "type", "key") || !doc_str_eq(&content, "algorithm", "ed25519")
        || !s_key_text(doc_get(&content, "key"), next) || !doc_uint(&content, "since", &from))
        return proto_error_set(err, "signed", "mismatch",
                               "seq %llu: signed content is not a key event's {type, at, algorithm, key, since}",
                               (unsigned long long)seq);
    if (!s_key_text(doc_get(event, "key"), copy) || memcmp(copy, next, sizeof copy) != 0)
        return proto_error_set(err, "key", "mismatch", "seq %llu: signed key differs from the event's",
                               (unsigned long long)seq);
    if (from != seq + 1)
        return proto_error_set(err, "since", "mismatch",
                               "seq %llu: a key signs from the event after its key event, not from %llu",
                               (unsigned long long)seq, (unsigned long long)from);
    if (memcmp(next, trusted, STREAM_SIGN_PUBLIC_BYTES) == 0)
        return proto_error_set(err, "key", "unchanged", "seq %llu: the key event names the key in force",
                               (unsigned long long)seq);
    *since = from;
    return 0;
}
