/*  services/intake/ids.c - see ids.h. */
#include "ids.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  A new id: 16 characters of Crockford base32.  The first 8 are the
 *  milliseconds since 2020-01-01T00:00:00Z (40 bits, enough until 2054), the
 *  last 8 a random number (40 bits).  The time prefix makes ids of one batch
 *  neighbours in every tree keyed by id (they share the rightmost leaf pages
 *  instead of dirtying one page each); the random part keeps ids unguessable
 *  and lets two gateways create ids without agreeing on a counter.
 *
 *  Within one millisecond the random part grows: each id adds a random step
 *  of 1 to 2^28 to the one before, so that the ids of a turn come in key
 *  order and are appended to the trees' last pages (store_put_ordered), not
 *  put in the middle of them, where LMDB's split leaves pages half empty;
 *  the next id of a known one is still one guess in 268 million (and 4,000
 *  ids of one millisecond fit below 2^40 on average).  A step
 *  that would overflow, or a clock that went back, draws afresh.  submit
 *  checks the id is free all the same. */
#define S_ID_EPOCH_MS 1577836800000ull
#define S_RANDOM_BITS 40
#define S_STEP_BITS 28

static uint64_t s_draw(unsigned bits)
{
    uint64_t r;
    randombytes_buf(&r, sizeof r);
    return r & ((1ull << bits) - 1);
}

void ids_new(char id[IDS_CHARS + 1], int64_t now_ms)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    static __thread uint64_t last_ms, last_random;
    uint64_t ms = now_ms > 0 ? (uint64_t)now_ms : 0;
    ms = ms > S_ID_EPOCH_MS ? ms - S_ID_EPOCH_MS : 0;
    uint64_t random;
    if (ms == last_ms && last_random < (1ull << S_RANDOM_BITS) - (1ull << S_STEP_BITS) - 1)
        random = last_random + 1 + s_draw(S_STEP_BITS);
    else
        random = s_draw(S_RANDOM_BITS - 1);   /* room for the steps that follow */
    last_ms = ms;
    last_random = random;
    for (int i = 7; i >= 0; i--, ms >>= 5)
        id[i] = alphabet[ms & 31];
    for (int i = 15; i >= 8; i--, random >>= 5)
        id[i] = alphabet[random & 31];
    id[IDS_CHARS] = '\0';
}

void intake_token_hash(const char *token, size_t len, unsigned char hash[INTAKE_TOKEN_HASH_BYTES])
{
    crypto_generichash(hash, INTAKE_TOKEN_HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

static void s_token_encode(const unsigned char bytes[32], char token[INTAKE_TOKEN_CHARS + 1])
{
    sodium_bin2base64(token, INTAKE_TOKEN_CHARS + 1, bytes, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/*  The token of a new application.  Without an idempotency key it is 32
 *  random bytes.  With one it is derived from the key, the id and this
 *  intake's secret, so that a resent submission gets the same token back
 *  although only its hash is stored. */
void ids_token_new(const scratch_t *s, const char *id, const char *key, size_t key_len,
                   char token[INTAKE_TOKEN_CHARS + 1])
{
    unsigned char bytes[32];
    if (!key) {
        randombytes_buf(bytes, sizeof bytes);
    } else {
        crypto_generichash_state state;
        crypto_generichash_init(&state, s->secret, sizeof s->secret, sizeof bytes);
        crypto_generichash_update(&state, (const unsigned char *)"essp-token-v1", 14);
        crypto_generichash_update(&state, (const unsigned char *)id, strlen(id) + 1);
        crypto_generichash_update(&state, (const unsigned char *)key, key_len);
        crypto_generichash_final(&state, bytes, sizeof bytes);
    }
    s_token_encode(bytes, token);
}

bool intake_token_matches(const msgpack_object *record, const char *token, size_t len)
{
    const msgpack_object *stored = doc_get(record, "token_hash");
    if (!stored || stored->type != MSGPACK_OBJECT_BIN || stored->via.bin.size != INTAKE_TOKEN_HASH_BYTES)
        return false;
    unsigned char hash[INTAKE_TOKEN_HASH_BYTES];
    intake_token_hash(token, len, hash);
    return sodium_memcmp(hash, stored->via.bin.ptr, sizeof hash) == 0;
}

/*  A request that names a token must name the right one; a wrong token is
 *  answered exactly like an unknown id, so that nobody learns which ids
 *  exist.  (Requests without a token come from the operators' side: the
 *  essp tool over ZeroMQ; the HTTP gateway always sends one.) */
bool ids_token_refused(const service_request_t *req, const msgpack_object *record)
{
    const char *token;
    size_t len;
    if (req->peer_role && strcmp(req->peer_role, "staff") == 0)
        return false;
    if (!doc_str(req->msg, "token", &token, &len))
        return true;
    return !intake_token_matches(record, token, len);
}
