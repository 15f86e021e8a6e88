/*  tests/bench/bench_stats.c - see bench_stats.h. */
#include "bench_stats.h"

#include <assert.h>
#include <stdlib.h>
#include <time.h>

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void bench_samples_init(bench_samples_t *self)
{
    *self = (bench_samples_t){0};
}

void bench_samples_fini(bench_samples_t *self)
{
    free(self->values);
    *self = (bench_samples_t){0};
}

void bench_samples_clear(bench_samples_t *self)
{
    self->count = 0;
}

void bench_samples_add(bench_samples_t *self, int64_t ns)
{
    if (self->count == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 1024;
        self->values = realloc(self->values, self->cap * sizeof *self->values);
        assert(self->values);
    }
    self->values[self->count++] = ns;
}

static int s_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*  The nearest-rank percentile: the smallest sample with at least p% of
 *  the samples at or below it. */
static double s_rank_ms(const bench_samples_t *self, double p)
{
    size_t rank = (size_t)((p / 100.0) * (double)self->count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > self->count)
        rank = self->count;
    return (double)self->values[rank - 1] / 1e6;
}

bench_pct_t bench_samples_pct(bench_samples_t *self)
{
    bench_pct_t pct = {0};
    if (self->count == 0)
        return pct;
    qsort(self->values, self->count, sizeof *self->values, s_compare);
    pct.count = self->count;
    pct.p50_ms = s_rank_ms(self, 50);
    pct.p99_ms = s_rank_ms(self, 99);
    pct.max_ms = (double)self->values[self->count - 1] / 1e6;
    return pct;
}
