/*  services/desk/throttle.h - login failures counted per account and per
 *  address: at most max failures in a window (10 in 15 minutes); past
 *  that every login of that account or from that address gets the same
 *  refusal, even with the right password, until the window that began
 *  with the first failure has passed.  Below it each failure makes the
 *  next answer wait longer (throttle_delay_ms), so that guessing is slow
 *  before it is stopped.  Pure arithmetic: the counters live in the core.
 */
#ifndef ESSP_DESK_THROTTLE_H
#define ESSP_DESK_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t count;                  /* failures since first */
    int64_t first;                   /* unix seconds of the first one */
} throttle_t;

/*  The counter as it stands at now: reset when its window has passed. */
throttle_t throttle_at(throttle_t t, int64_t now, int64_t window);

/*  One more failure at now. */
throttle_t throttle_fail(throttle_t t, int64_t now, int64_t window);

/*  True when the counter locks at now. */
bool throttle_locked(throttle_t t, int64_t now, int64_t window, uint32_t max);

/*  How long to wait before answering after count failures: none for the
 *  first three, then 100 ms doubling, at most 1.6 s (the lock, not the
 *  delay, is what stops guessing: the delay only slows a burst). */
int throttle_delay_ms(uint32_t count);

#endif
