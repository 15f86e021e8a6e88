/*  tests/bench/bench_compare.h - essp beside the stacks a user would pick
 *  instead, in the same run and on the same records (essp-bench --peers),
 *  and the engine alone (--engine).
 *
 *  The application end to end comes from the bench's main run; the engine
 *  (bench_engine.h) runs durable, then with ESSP_DURABLE=0; the peers
 *  (bench_peers.h) run the same four-stage pipeline on Redis Streams and
 *  NATS JetStream.  The comparison sets each peer's figure beside essp's,
 *  with the ratio, and marks the targets of the issue met or MISSED:
 *  engine durable >= 3x Redis Streams (always), engine with ESSP_DURABLE=0
 *  >= 2x NATS JetStream, the application >= 2x Redis Streams (always).
 */
#ifndef ESSP_BENCH_COMPARE_H
#define ESSP_BENCH_COMPARE_H

#include "bench_apps.h"
#include "bench_engine.h"
#include "bench_peers.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t count;                        /* records through each pipeline */
    size_t record_bytes;
    double load[3];                      /* /proc/loadavg when the comparison began */
    bool with_application;
    size_t app_count;
    double app_per_s;                    /* applications end to end, durable */
    double app_cpu_us;                   /* the four services, per application */
    bool with_engine;
    bench_engine_result_t engine[2];     /* durable, then ESSP_DURABLE=0 */
    bool with_peers;
    bench_peer_result_t peer[BENCH_PEERS];
} bench_compare_t;

/*  The application's figures from the main run; cpu_us: per application,
 *  of each of the `services`. */
void bench_compare_application(bench_compare_t *self, size_t count, double per_s, const double *cpu_us,
                               int services);

/*  Runs the engine (durable, then not) and, when `peers`, every peer, with
 *  `count` copies of one application of `apps`.  0 when every run that
 *  could run completed (a peer not installed is not a failure); the
 *  reasons of the others are in the results and on stderr. */
int bench_compare_run(bench_compare_t *self, const char *bin_dir, bench_apps_t *apps, size_t count, bool peers);

/*  --engine: runs the engine alone and prints it (a table, or one JSON
 *  object); 0 when both runs completed. */
int bench_compare_engine_alone(const char *bin_dir, bench_apps_t *apps, size_t count, bool json);

/*  The table; the comparison only when peers ran. */
void bench_compare_print_table(const bench_compare_t *self);

/*  "engine":{...} and, when peers ran, ,"peers":{...},"comparison":{...}
 *  (members of the caller's JSON object), then `tail`. */
void bench_compare_print_json(const bench_compare_t *self, const char *tail);

#endif
