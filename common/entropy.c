/*  common/entropy.c - see entropy.h. */
#include "entropy.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/*  1 KiB: ten applications' worth of intake's draws per system call. */
#define S_POOL_BYTES 1024

typedef struct {
    unsigned char bytes[S_POOL_BYTES];
    size_t left;   /* the last `left` bytes are not handed out yet */
} s_pool_t;

static __thread s_pool_t s_pool;

/*  Fills buf from the kernel; there is no randomness to fall back on, so
 *  a failure that is not an interruption ends the process, as libsodium's
 *  own implementation does. */
static void s_fill(void *buf, size_t size)
{
    unsigned char *at = buf;
    while (size > 0) {
        ssize_t n = getrandom(at, size, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            abort();
        at += n;
        size -= (size_t)n;
    }
}

static void s_buf(void *const buf, const size_t size)
{
    if (size >= S_POOL_BYTES / 2) {
        s_fill(buf, size);
        return;
    }
    unsigned char *out = buf;
    size_t want = size;
    while (want > 0) {
        if (s_pool.left == 0) {
            s_fill(s_pool.bytes, S_POOL_BYTES);
            s_pool.left = S_POOL_BYTES;
        }
        size_t n = want < s_pool.left ? want : s_pool.left;
        unsigned char *from = s_pool.bytes + (S_POOL_BYTES - s_pool.left);
        memcpy(out, from, n);
        sodium_memzero(from, n);
        out += n;
        want -= n;
        s_pool.left -= n;
    }
}

static uint32_t s_random(void)
{
    uint32_t r;
    s_buf(&r, sizeof r);
    return r;
}

/*  Uniform in [0, upper): values below 2^32 mod upper are drawn again, so
 *  that no remainder is favoured (libsodium's own method). */
static uint32_t s_uniform(const uint32_t upper)
{
    if (upper < 2)
        return 0;
    uint32_t min = (1U + ~upper) % upper;
    uint32_t r;
    do
        r = s_random();
    while (r < min);
    return r % upper;
}

/*  The buffer of the calling thread is dropped: after a fork, the child's
 *  only thread must not hand out what the parent will hand out too. */
static void s_drop(void)
{
    sodium_memzero(s_pool.bytes, sizeof s_pool.bytes);
    s_pool.left = 0;
}

static const char *s_name(void)
{
    return "essp-buffered-getrandom";
}

static int s_close(void)
{
    s_drop();
    return 0;
}

static randombytes_implementation s_implementation = {
    .implementation_name = s_name,
    .random = s_random,
    .stir = s_drop,
    .uniform = s_uniform,
    .buf = s_buf,
    .close = s_close,
};

void entropy_install(void)
{
    static bool installed;
    if (installed)
        return;
    installed = true;
    pthread_atfork(NULL, NULL, s_drop);
    randombytes_set_implementation(&s_implementation);
}
