/*  tests/bench/bench_proc.h - what the bench reads from /proc about the
 *  machine, the services of a stack and itself.
 *
 *  A figure per application is the difference of two readings, one before
 *  a phase and one after it, divided by the applications of the phase:
 *  what the services used for anything else in that time (their timers,
 *  another reader) is counted too, which is why the phases run alone.
 */
#ifndef ESSP_BENCH_PROC_H
#define ESSP_BENCH_PROC_H

#include "bench_stack.h"

#include <stddef.h>

typedef struct {
    char cpu[128];               /* model name of the first CPU */
    long nproc;                  /* CPUs online */
    long mem_mib;
} bench_machine_t;

/*  What the services and the bench have used since they started. */
typedef struct {
    double cpu_s[BENCH_SERVICES];      /* user + system */
    double kernel_s[BENCH_SERVICES];   /* the system part of it */
    double written[BENCH_SERVICES];    /* bytes written (LMDB's pages, the log: bench_stack_written) */
    bench_faults_t faults[BENCH_SERVICES];
    double bench_cpu_s;                /* the bench's own, its I/O threads included */
} bench_usage_t;

/*  The same between two readings, per application. */
typedef struct {
    double cpu_us[BENCH_SERVICES];
    double kernel_us[BENCH_SERVICES];
    double written_kib[BENCH_SERVICES];
    bench_faults_t faults[BENCH_SERVICES];
    double bench_cpu_us;
} bench_cost_t;

void bench_proc_machine(bench_machine_t *out);

/*  The directory the bench runs from (the services are there too); 0 or -1. */
int bench_proc_bin_dir(char *out, size_t cap);

/*  The 1-minute load average, or -1. */
double bench_proc_load(void);

/*  CPU seconds (user + system) of this process, every thread included. */
double bench_proc_self_cpu(void);

/*  Every service's CPU, page faults and pages written now (0 for one that cannot be
 *  read), and the bench's CPU. */
void bench_proc_usage(const bench_stack_t *stack, bench_usage_t *out);

/*  (after - before) / applications. */
void bench_proc_cost(const bench_usage_t *before, const bench_usage_t *after, size_t applications,
                     bench_cost_t *out);

/*  The CPU of the four services together in a cost, the bench's excluded. */
double bench_proc_services_cpu_us(const bench_cost_t *cost);

/*  Every service's memory now; all fields -1 for one that cannot be read. */
void bench_proc_memory(const bench_stack_t *stack, bench_memory_t out[BENCH_SERVICES]);

/*  A "VmRSS" or "VmHWM" (any KiB field of /proc/self/status) of the
 *  bench itself, in KiB, or -1. */
long bench_proc_self_kib(const char *field);

#endif
