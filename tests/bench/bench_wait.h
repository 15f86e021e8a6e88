/*  tests/bench/bench_wait.h - where a receipt's time goes under offered
 *  load, beside the receipt the bench measures.
 *
 *  The bench times a receipt from its send to its read of the reply.  Two
 *  readings split that time: what intake itself took (its log says, for
 *  each request, how long from its receiving the request to its reply:
 *  the turn, the commit and its fsync), and how long the threads of each
 *  process were ready to run but waited for a CPU (the kernel's
 *  /proc/PID/task/TID/schedstat: time on a CPU, time waiting in the run
 *  queue, and the number of times the thread was given a CPU).  A receipt
 *  crosses at least six threads (the bench's, ZeroMQ's I/O threads of
 *  both processes, intake's), each of which may wait for a CPU when it is
 *  woken: on a machine of two CPUs shared by the four services and the
 *  bench, these waits are much of what is left.
 */
#ifndef ESSP_BENCH_WAIT_H
#define ESSP_BENCH_WAIT_H

#include "bench_stack.h"
#include "bench_stats.h"

#include <stddef.h>
#include <stdint.h>

/*  Every thread of a process together. */
typedef struct {
    double run_s;                /* on a CPU */
    double wait_s;               /* ready, waiting for a CPU */
    uint64_t slices;             /* times a thread was given a CPU */
} bench_sched_t;

/*  The four services (BENCH_SERVICES), then the bench itself. */
#define BENCH_WAIT_PROCESSES (BENCH_SERVICES + 1)

/*  Reads every process now (zeros for one that cannot be read). */
void bench_wait_read(const bench_stack_t *stack, bench_sched_t out[BENCH_WAIT_PROCESSES]);

/*  after - before, for each process. */
void bench_wait_diff(const bench_sched_t before[BENCH_WAIT_PROCESSES],
                     const bench_sched_t after[BENCH_WAIT_PROCESSES], bench_sched_t out[BENCH_WAIT_PROCESSES]);

/*  The wait for a CPU per time a thread of the process was given one, in
 *  milliseconds (0 when it never ran). */
double bench_wait_per_slice_ms(const bench_sched_t *sched);

/*  Intake's own time for its last `count` submit requests (its log's
 *  "us", received -> replied, the rotated file read too); out->count 0
 *  when the log cannot be read. */
void bench_wait_intake_submits(const bench_stack_t *stack, size_t count, bench_pct_t *out);

#endif
