/*  tests/bench/bench_watch.h - each service's memory at its peak.
 *
 *  /proc keeps the most a process was ever resident (VmHWM), but that
 *  counts the LMDB pages it has touched through its map; of its own
 *  memory (RssAnon) there is only the value now.  A peak of RssAnon is
 *  therefore the largest of many readings: a thread of the bench reads
 *  /proc/PID/status of the four services every few milliseconds while a
 *  phase runs (a service's turn, and the buffers it allocates for a large
 *  batch, last milliseconds; the same turns recur all along a run, so the
 *  largest reading comes near the true peak).  status is answered from
 *  the kernel's counters without taking the service's memory-map lock,
 *  so the readings do not slow the services down.
 */
#ifndef ESSP_BENCH_WATCH_H
#define ESSP_BENCH_WATCH_H

#include "bench_stack.h"

#include <stddef.h>

typedef struct bench_watch_t bench_watch_t;

/*  How the peak was taken: shown beside it. */
typedef struct {
    size_t readings;             /* readings of all four services */
    double seconds;              /* the time the watch ran */
    double interval_ms;          /* the mean time between two readings */
} bench_watch_report_t;

/*  Starts reading every interval_ms, with Pss every pss_ms (0: never);
 *  NULL if the thread cannot start. */
bench_watch_t *bench_watch_start(const bench_stack_t *stack, unsigned interval_ms, unsigned pss_ms);

/*  Stops the thread and keeps in stack->peak_rss_kib / peak_anon_kib /
 *  peak_pss_kib the largest VmRSS, RssAnon and Pss read; *report (may be NULL) says how many
 *  readings it took. */
void bench_watch_stop(bench_watch_t **self_p, bench_stack_t *stack, bench_watch_report_t *report);

#endif
