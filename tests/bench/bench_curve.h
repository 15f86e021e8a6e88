/*  tests/bench/bench_curve.h - how the cost of an application grows with
 *  the number of applications already there (essp-bench --curve).
 *
 *  For each size N of the curve, a fresh stack (durable, the default
 *  configuration) takes N applications end to end as the main run does
 *  (submission, validation, three votes, publication, closed loop), then
 *  a new reader of the publication stream catches up from seq 0, then
 *  the stack stops and its stores are measured on disk.  A point holds
 *  the throughput, the receipt latency under that load, the bytes on disk
 *  per application, the catch-up rate, the CPU and pages written per
 *  application and the memory of the services and of the bench.  The
 *  curve ends with the drop of throughput from the size before the
 *  largest to the largest (100,000 to 1,000,000 by default).
 */
#ifndef ESSP_BENCH_CURVE_H
#define ESSP_BENCH_CURVE_H

#include "bench_apps.h"
#include "bench_proc.h"
#include "bench_stack.h"
#include "bench_stats.h"

#include <stdbool.h>
#include <stddef.h>

#define BENCH_CURVE_SIZES_MAX 8

typedef struct {
    size_t sizes[BENCH_CURVE_SIZES_MAX];  /* increasing */
    size_t count;
    size_t clients, window, backlog;      /* as the main run's -c, -w, -b */
    bool keep;                            /* keep each stack's home */
} bench_curve_config_t;

typedef struct {
    size_t applications;
    double seconds;              /* first submission -> last entry published */
    double per_s;
    bench_pct_t receipt;         /* closed loop, under the load of the run */
    bench_cost_t cost;           /* CPU and pages written per application */
    long long store_bytes[BENCH_SERVICES];  /* size of each service's data.mdb, stopped */
    long long home_bytes;        /* disk used by the stack's home: stores, logs, keys */
    size_t catch_up_entries;
    double catch_up_seconds;
    long peak_anon_kib[BENCH_SERVICES];     /* RssAnon at its peak during the run */
    long bench_rss_kib;          /* the bench's VmRSS at the end of the run */
    double bench_state_bytes;    /* its growth during the run, per application */
    double load_before, load_after;         /* 1-minute load average */
} bench_curve_point_t;

typedef struct {
    bench_machine_t machine;
    bench_curve_config_t config;
    bench_curve_point_t points[BENCH_CURVE_SIZES_MAX];
    size_t count;                /* points measured */
    long bench_hwm_kib;          /* the bench's VmHWM after the curve */
    unsigned watch_ms;           /* how often the services' memory was read */
} bench_curve_t;

/*  The default sizes: 10,000, 100,000 and 1,000,000. */
void bench_curve_defaults(bench_curve_config_t *config);

/*  "N,N,..." (increasing, 1 to 10,000,000 each, at most
 *  BENCH_CURVE_SIZES_MAX); 0, or -1 with the reason on stderr. */
int bench_curve_parse(const char *text, bench_curve_config_t *config);

/*  Runs every size; 0, or -1 with the reason on stderr (out->count says
 *  how many points were measured before). */
int bench_curve_run(const bench_curve_config_t *config, const char *bin_dir, bench_apps_t *apps,
                    bench_curve_t *out);

void bench_curve_print_table(const bench_curve_t *curve);
void bench_curve_print_json(const bench_curve_t *curve);

/*  Runs the curve and prints it (a table, or one JSON object), the sizes
 *  measured even when a later one did not complete; 0 or -1. */
int bench_curve_report(const bench_curve_config_t *config, const char *bin_dir, bench_apps_t *apps, bool json);

#endif
