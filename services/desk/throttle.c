/*  services/desk/throttle.c - see throttle.h. */
#include "throttle.h"

throttle_t throttle_at(throttle_t t, int64_t now, int64_t window)
{
    if (t.count && now - t.first >= window)
        t.count = 0;
    return t;
}

throttle_t throttle_fail(throttle_t t, int64_t now, int64_t window)
{
    t = throttle_at(t, now, window);
    if (t.count == 0)
        t.first = now;
    if (t.count < UINT32_MAX)
        t.count++;
    return t;
}

bool throttle_locked(throttle_t t, int64_t now, int64_t window, uint32_t max)
{
    return throttle_at(t, now, window).count >= max;
}

int throttle_delay_ms(uint32_t count)
{
    if (count <= 3)
        return 0;
    uint32_t steps = count - 4;
    return steps >= 4 ? 1600 : 100 << steps;
}
