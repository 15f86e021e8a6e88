/*  tests/bench/bench_stack.h - a fresh stack for one benchmark run.
 *
 *  The four real service binaries, found next to essp-bench, are started
 *  as child processes in a new temporary ESSP_HOME with free loopback
 *  ports and the default configuration (durable: fsync before every
 *  acknowledgement), as deploy/up starts them, minus the supervisor.  The
 *  stack also reads what each process holds in memory, from /proc.
 */
#ifndef ESSP_BENCH_STACK_H
#define ESSP_BENCH_STACK_H

#include "common/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*  The services the bench starts and measures: the pipeline's four
 *  (intake, validation, review, publication: the first ids of
 *  common/config.h), not the desk and notify beside it. */
#define BENCH_SERVICES (SERVICE_PUBLICATION + 1)

typedef struct {
    long rss_kib;                /* VmRSS: resident now */
    long hwm_kib;                /* VmHWM: the most it was ever resident */
    long anon_kib;               /* RssAnon: the part that is the process's own
                                  * memory (the rest is mostly LMDB's map) */
    long pss_kib;                /* Pss: resident, pages shared with other
                                  * processes (libraries) counted in part */
} bench_memory_t;

typedef struct {
    char bin_dir[CONFIG_PATH_MAX];
    char home[CONFIG_PATH_MAX];
    int base_port;
    pid_t pids[SERVICE_COUNT];
    double ready_ms;             /* from the first fork to the last pong */
    long peak_rss_kib[SERVICE_COUNT];  /* the largest VmRSS sampled */
    long peak_anon_kib[SERVICE_COUNT]; /* the largest RssAnon sampled */
    long peak_pss_kib[SERVICE_COUNT];  /* the largest Pss sampled */
} bench_stack_t;

/*  Creates the home, starts the services and waits until each answers a
 *  ping (at most 10 s).  0, or -1 with a message on stderr (the processes
 *  started are stopped again). */
int bench_stack_start(bench_stack_t *self, const char *bin_dir);

/*  A base port whose 32 ports (base .. base + 31) are free now, below the
 *  ephemeral range; -1 when none was found. */
int bench_stack_free_base_port(void);

/*  True when a TCP port on loopback can be bound now. */
bool bench_stack_port_free(int port);

/*  Pings the service at bench_stack_endpoint(self, service) until it
 *  answers (0) or the monotonic deadline passes (-1). */
int bench_stack_wait_pong(const bench_stack_t *self, service_id_t service, int64_t deadline_ns);

/*  tcp://127.0.0.1:<port of service>. */
void bench_stack_endpoint(const bench_stack_t *self, service_id_t service, char *out, size_t cap);

/*  VmRSS, VmHWM, RssAnon and Pss of a service; 0 or -1. */
int bench_stack_memory(const bench_stack_t *self, service_id_t service, bench_memory_t *out);

/*  Page faults of a process since it started: minor (the page was in
 *  memory, only mapped), major (read from the disk). */
typedef struct {
    double minor, major;
} bench_faults_t;

/*  CPU time (user + system) a service has used since it started, in
 *  seconds, and in *kernel the system part of it; 0 or -1. */
int bench_stack_cpu(const bench_stack_t *self, service_id_t service, double *seconds, double *kernel);

/*  The same, with the service's page faults. */
int bench_stack_cpu_faults(const bench_stack_t *self, service_id_t service, double *seconds, double *kernel,
                           bench_faults_t *faults);

/*  Bytes a service has written since it started: wchar of /proc/<pid>/io,
 *  what it handed to write(2), pwrite(2) and writev(2) -- LMDB's pages at
 *  each commit and its log lines (ZeroMQ's sockets use send(2), not
 *  counted).  Not write_bytes: the kernel counts there the whole page-cache
 *  folio a write dirties, and on large folios (Linux 6.x) 5,000 scattered
 *  4 KiB pages written into a 256 MiB file counted 256 MiB instead of 20
 *  (sequential writes counted right): LMDB's pages are scattered.  0 or -1. */
int bench_stack_written(const bench_stack_t *self, service_id_t service, double *bytes);

/*  VmRSS, VmHWM and RssAnon only (pss_kib -1): /proc/PID/status, which the
 *  kernel answers from counters, without walking the service's memory map
 *  as smaps_rollup does (and holding its lock meanwhile); 0 or -1. */
int bench_stack_status(const bench_stack_t *self, service_id_t service, bench_memory_t *out);

/*  The last ERROR line of each service's log, on stderr: why a run
 *  stopped, in the services' own words. */
void bench_stack_print_errors(const bench_stack_t *self);

/*  SIGTERM to every service, then waits for them; returns 0 when each
 *  exited 0 within 15 s (the others are killed). */
int bench_stack_stop(bench_stack_t *self);

/*  Removes the temporary home and everything in it. */
void bench_stack_remove(bench_stack_t *self);

#endif
