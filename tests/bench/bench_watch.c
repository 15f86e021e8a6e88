/*  tests/bench/bench_watch.c - see bench_watch.h. */
#include "bench_watch.h"

#include "bench_stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct bench_watch_t {
    const bench_stack_t *stack;
    unsigned interval_ms;
    unsigned pss_ms;             /* 0: no Pss */
    atomic_bool stop;
    pthread_t thread;
    /* written by the thread only, read after it is joined */
    long peak_rss_kib[BENCH_SERVICES];
    long peak_anon_kib[BENCH_SERVICES];
    long peak_pss_kib[BENCH_SERVICES];
    size_t readings;
    int64_t pss_read;            /* when Pss was read last */
    int64_t started, ended;
};

/*  One reading of the four services; with Pss when it is due (or
 *  `last`, the reading at the end). */
static void s_read_all(bench_watch_t *self, bool last)
{
    int64_t now = bench_now_ns();
    bool pss = self->pss_ms && (last || now - self->pss_read >= (int64_t)self->pss_ms * 1000000);
    if (pss)
        self->pss_read = now;
    for (int i = 0; i < BENCH_SERVICES; i++) {
        bench_memory_t memory;
        if ((pss ? bench_stack_memory(self->stack, (service_id_t)i, &memory)
                 : bench_stack_status(self->stack, (service_id_t)i, &memory)) != 0)
            continue;
        if (memory.rss_kib > self->peak_rss_kib[i])
            self->peak_rss_kib[i] = memory.rss_kib;
        if (memory.anon_kib > self->peak_anon_kib[i])
            self->peak_anon_kib[i] = memory.anon_kib;
        if (memory.pss_kib > self->peak_pss_kib[i])
            self->peak_pss_kib[i] = memory.pss_kib;
    }
    self->readings++;
}

static void *s_run(void *arg)
{
    bench_watch_t *self = arg;
    struct timespec pause = {.tv_sec = self->interval_ms / 1000,
                             .tv_nsec = (long)(self->interval_ms % 1000) * 1000000};
    while (!atomic_load(&self->stop)) {
        s_read_all(self, false);
        nanosleep(&pause, NULL);
    }
    s_read_all(self, true);
    self->ended = bench_now_ns();
    return NULL;
}

bench_watch_t *bench_watch_start(const bench_stack_t *stack, unsigned interval_ms, unsigned pss_ms)
{
    bench_watch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->stack = stack;
    self->interval_ms = interval_ms;
    self->pss_ms = pss_ms;
    atomic_init(&self->stop, false);
    self->started = bench_now_ns();
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        free(self);
        return NULL;
    }
    return self;
}

void bench_watch_stop(bench_watch_t **self_p, bench_stack_t *stack, bench_watch_report_t *report)
{
    bench_watch_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stop, true);
    pthread_join(self->thread, NULL);
    for (int i = 0; i < BENCH_SERVICES; i++) {
        if (self->peak_rss_kib[i] > stack->peak_rss_kib[i])
            stack->peak_rss_kib[i] = self->peak_rss_kib[i];
        if (self->peak_anon_kib[i] > stack->peak_anon_kib[i])
            stack->peak_anon_kib[i] = self->peak_anon_kib[i];
        if (self->peak_pss_kib[i] > stack->peak_pss_kib[i])
            stack->peak_pss_kib[i] = self->peak_pss_kib[i];
    }
    if (report) {
        report->readings = self->readings;
        report->seconds = (double)(self->ended - self->started) / 1e9;
        report->interval_ms = self->readings > 1 ? report->seconds * 1e3 / (double)(self->readings - 1) : 0;
    }
    free(self);
    *self_p = NULL;
}
