/*  services/intake/ratelimit.c - see ratelimit.h. */
#include "ratelimit.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_ADDRESS_MAX 16
#define S_PROBE 8

typedef struct {
    unsigned char address[S_ADDRESS_MAX];
    size_t len;                  /* 0: free slot */
    double tokens;
    int64_t seen_ms;
} bucket_t;

struct ratelimit_t {
    pthread_mutex_t lock;
    double rate, burst;
    size_t slots;
    bucket_t *buckets;
};

ratelimit_t *ratelimit_new(double rate, double burst, size_t slots)
{
    assert(rate > 0 && burst >= 1 && slots >= 1);
    ratelimit_t *self = calloc(1, sizeof *self);
    assert(self);
    self->buckets = calloc(slots, sizeof *self->buckets);
    assert(self->buckets);
    self->rate = rate;
    self->burst = burst;
    self->slots = slots;
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void ratelimit_destroy(ratelimit_t **self_p)
{
    ratelimit_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy(&self->lock);
    free(self->buckets);
    free(self);
    *self_p = NULL;
}

static size_t s_hash(const unsigned char *bytes, size_t len)
{
    size_t h = 1469598103934665603u;     /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ bytes[i]) * 1099511628211u;
    return h;
}

/*  The tokens of bucket b at now_ms: what it had plus what the rate gave
 *  back since it was last seen, at most a burst. */
static double s_refilled(const ratelimit_t *self, const bucket_t *b, int64_t now_ms)
{
    double tokens = b->tokens;
    if (b->seen_ms && now_ms > b->seen_ms)
        tokens += (double)(now_ms - b->seen_ms) * self->rate / 1000.0;
    return tokens > self->burst ? self->burst : tokens;
}

/*  The slot of this address: its own, a free one, or the one idle the
 *  longest among the probed ones.  A newcomer that takes a slot over
 *  inherits that slot's tokens, not a fresh burst: a bucket idle long
 *  enough is full again anyway, and under pressure (every probed slot in
 *  use) addresses that take turns in one slot share one bucket, so that
 *  rotating addresses buys no requests. */
static bucket_t *s_slot(ratelimit_t *self, const unsigned char *address, size_t len,
                        int64_t now_ms)
{
    size_t start = s_hash(address, len) % self->slots;
    bucket_t *oldest = NULL;
    for (size_t i = 0; i < S_PROBE && i < self->slots; i++) {
        bucket_t *b = &self->buckets[(start + i) % self->slots];
        if (b->len == len && memcmp(b->address, address, len) == 0)
            return b;
        bool free_slot = b->len == 0;
        if (!oldest || (free_slot && oldest->len != 0)
            || (!free_slot && oldest->len != 0 && b->seen_ms < oldest->seen_ms))
            oldest = b;
    }
    oldest->tokens = oldest->len == 0 ? self->burst : s_refilled(self, oldest, now_ms);
    oldest->seen_ms = oldest->len == 0 ? 0 : (now_ms > oldest->seen_ms ? now_ms : oldest->seen_ms);
    memcpy(oldest->address, address, len);
    oldest->len = len;
    return oldest;
}

bool ratelimit_take(ratelimit_t *self, const void *address, size_t len, int64_t now_ms,
                    int64_t *retry_ms)
{
    /* An IPv6 host has a /64 to itself: its 64-bit prefix is its address. */
    if (len > S_ADDRESS_MAX / 2)
        len = S_ADDRESS_MAX / 2;
    pthread_mutex_lock(&self->lock);
    bucket_t *b = s_slot(self, address, len, now_ms);
    b->tokens = s_refilled(self, b, now_ms);
    if (now_ms > b->seen_ms)
        b->seen_ms = now_ms;
    bool allowed = b->tokens >= 1.0;
    if (allowed)
        b->tokens -= 1.0;
    else if (retry_ms)
        *retry_ms = (int64_t)((1.0 - b->tokens) * 1000.0 / self->rate) + 1;
    pthread_mutex_unlock(&self->lock);
    return allowed;
}
