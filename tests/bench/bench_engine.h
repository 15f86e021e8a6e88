/*  tests/bench/bench_engine.h - the engine alone: four stages built on
 *  common/ (the same service shell, durable streams and group commit as
 *  the four services) whose cores only pass the record on.
 *
 *  The first stage takes records as requests from pipelining clients and
 *  appends each to its stream; each next stage pulls its upstream's
 *  stream and appends every record to its own, in the transaction that
 *  keeps its cursor; the bench reads the last stream.  The figure is what
 *  the services' machinery costs before any domain rule runs.
 */
#ifndef ESSP_BENCH_ENGINE_H
#define ESSP_BENCH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#define BENCH_ENGINE_STAGES 4

typedef struct {
    bool ran;                       /* false: why says what was missing */
    char why[256];
    bool durable;                   /* fsync before every reply (ESSP_DURABLE=1) */
    size_t records;                 /* through the four stages */
    double seconds;                 /* first request sent -> last record read from stage 4 */
    double records_per_s;
    double cpu_us_per_record;       /* the four stages together */
    double written_kib_per_record;  /* pages the four stages wrote */
    double cpu_us_per_stage[BENCH_ENGINE_STAGES];       /* stage 1 takes the requests */
    double written_kib_per_stage[BENCH_ENGINE_STAGES];  /* bench_stack_written (wchar):
                                                         * LMDB's pages and the log's lines */
    double bench_cpu_us_per_record; /* the bench's own clients and reader, beside the stages */
    size_t clients, window;         /* DEALER clients, requests in flight on each */
} bench_engine_result_t;

/*  Runs `count` copies of `record` (len bytes of msgpack) through four
 *  stage processes started from bin_dir, in a temporary home removed
 *  afterwards.  0 when the run completed (out->ran), -1 otherwise (out->why). */
int bench_engine_run(const char *bin_dir, const void *record, size_t len, size_t count, bool durable,
                     bench_engine_result_t *out);

#endif
