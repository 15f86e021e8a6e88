/*  tests/bench/bench_wait.c - see bench_wait.h. */
#include "bench_wait.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  Adds /proc/<pid>/task/<tid>/schedstat of every thread of pid (0: this
 *  process) to *out: three numbers, ns on a CPU, ns waiting, slices. */
static void s_read_process(pid_t pid, bench_sched_t *out)
{
    char dir_path[64];
    if (pid)
        snprintf(dir_path, sizeof dir_path, "/proc/%ld/task", (long)pid);
    else
        snprintf(dir_path, sizeof dir_path, "/proc/self/task");
    DIR *dir = opendir(dir_path);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char path[128];
        snprintf(path, sizeof path, "%s/%.32s/schedstat", dir_path, entry->d_name);
        FILE *file = fopen(path, "r");
        if (!file)
            continue;   /* the thread has just ended */
        unsigned long long run, wait, slices;
        if (fscanf(file, "%llu %llu %llu", &run, &wait, &slices) == 3) {
            out->run_s += (double)run / 1e9;
            out->wait_s += (double)wait / 1e9;
            out->slices += slices;
        }
        fclose(file);
    }
    closedir(dir);
}

void bench_wait_read(const bench_stack_t *stack, bench_sched_t out[BENCH_WAIT_PROCESSES])
{
    memset(out, 0, sizeof(bench_sched_t) * BENCH_WAIT_PROCESSES);
    for (int i = 0; i < BENCH_SERVICES; i++)
        if (stack->pids[i] > 0)
            s_read_process(stack->pids[i], &out[i]);
    s_read_process(0, &out[BENCH_SERVICES]);
}

void bench_wait_diff(const bench_sched_t before[BENCH_WAIT_PROCESSES],
                     const bench_sched_t after[BENCH_WAIT_PROCESSES], bench_sched_t out[BENCH_WAIT_PROCESSES])
{
    for (int i = 0; i < BENCH_WAIT_PROCESSES; i++) {
        /* A thread that ended between the readings takes its counts with
         * it: a negative difference reads as nothing. */
        out[i].run_s = after[i].run_s > before[i].run_s ? after[i].run_s - before[i].run_s : 0;
        out[i].wait_s = after[i].wait_s > before[i].wait_s ? after[i].wait_s - before[i].wait_s : 0;
        out[i].slices = after[i].slices > before[i].slices ? after[i].slices - before[i].slices : 0;
    }
}

double bench_wait_per_slice_ms(const bench_sched_t *sched)
{
    return sched->slices ? sched->wait_s * 1e3 / (double)sched->slices : 0;
}

/*  The "us" of a log line of a submit request, or -1. */
static long long s_submit_us(const char *line)
{
    if (!strstr(line, "\"kind\":\"request\",\"type\":\"submit\""))
        return -1;
    const char *us = strstr(line, "\"us\":");
    return us ? strtoll(us + 5, NULL, 10) : -1;
}

/*  Appends the submits' durations of one log file to the ring (the last
 *  `cap` kept); -1 when the file cannot be opened, else 0. */
static int s_read_log(const char *path, int64_t *ring, size_t cap, size_t *seen)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char line[2048];
    while (fgets(line, sizeof line, file)) {
        long long us = s_submit_us(line);
        if (us >= 0)
            ring[(*seen)++ % cap] = (int64_t)us * 1000;
    }
    fclose(file);
    return 0;
}

void bench_wait_intake_submits(const bench_stack_t *stack, size_t count, bench_pct_t *out)
{
    memset(out, 0, sizeof *out);
    if (count == 0)
        return;
    int64_t *ring = calloc(count, sizeof *ring);
    if (!ring)
        return;
    char path[CONFIG_PATH_MAX + 32];
    size_t seen = 0;
    /* The rotated file holds the older lines: read first. */
    snprintf(path, sizeof path, "%s/log/intake.log.1", stack->home);
    s_read_log(path, ring, count, &seen);
    snprintf(path, sizeof path, "%s/log/intake.log", stack->home);
    if (s_read_log(path, ring, count, &seen) == 0 && seen >= count) {
        bench_samples_t samples;
        bench_samples_init(&samples);
        for (size_t i = 0; i < count; i++)
            bench_samples_add(&samples, ring[i]);
        *out = bench_samples_pct(&samples);
        bench_samples_fini(&samples);
    }
    free(ring);
}
