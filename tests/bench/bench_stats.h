/*  tests/bench/bench_stats.h - samples of durations and their percentiles.
 *
 *  Durations are kept in nanoseconds of the bench's own monotonic clock,
 *  every sample, so that a percentile is exact (no histogram buckets) and
 *  the maximum is the true maximum.
 */
#ifndef ESSP_BENCH_STATS_H
#define ESSP_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t *values;
    size_t count;
    size_t cap;
} bench_samples_t;

/*  Percentiles in milliseconds; count 0 when there was no sample. */
typedef struct {
    size_t count;
    double p50_ms;
    double p99_ms;
    double max_ms;
} bench_pct_t;

/*  The monotonic clock, in nanoseconds. */
int64_t bench_now_ns(void);

void bench_samples_init(bench_samples_t *self);
void bench_samples_fini(bench_samples_t *self);
void bench_samples_clear(bench_samples_t *self);
void bench_samples_add(bench_samples_t *self, int64_t ns);

/*  Sorts the samples (in place) and reads p50, p99 and max. */
bench_pct_t bench_samples_pct(bench_samples_t *self);

#endif
