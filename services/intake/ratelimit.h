/*  services/intake/ratelimit.h - a token bucket per client address.
 *
 *  The HTTP gateway is public: each client address may make `rate`
 *  requests per second on average, with bursts of up to `burst`.  The
 *  table has a fixed number of slots, so memory does not grow with the
 *  number of addresses: a new address takes a free slot or the one idle
 *  the longest, and then inherits that slot's tokens (a bucket idle long
 *  enough to be full again is the same as no bucket at all; a bucket in
 *  use is shared, so that addresses evicting each other get no fresh
 *  burst).  An IPv6 address counts by its /64 prefix, which one host
 *  holds whole.  Time is passed in, so the rule is testable; the
 *  table is locked inside, so the gateway's threads can share it.
 */
#ifndef ESSP_INTAKE_RATELIMIT_H
#define ESSP_INTAKE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ratelimit_t ratelimit_t;

/*  rate > 0 requests per second, burst >= 1, slots >= 1. */
ratelimit_t *ratelimit_new(double rate, double burst, size_t slots);
void ratelimit_destroy(ratelimit_t **self_p);

/*  Takes one token for the address (4 bytes of IPv4, or 16 of IPv6 of
 *  which the first 8 count) at now_ms.
 *  True when allowed; false when the bucket is empty, with *retry_ms the
 *  wait until the next token. */
bool ratelimit_take(ratelimit_t *self, const void *address, size_t len, int64_t now_ms,
                    int64_t *retry_ms);

#endif
