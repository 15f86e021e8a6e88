/*  essp-bench-engine-check: the engine alone (bench_engine.h), on its own.
 *
 *    essp-bench-engine-check [-n N] [--non-durable]
 *
 *  Runs N records (default 20,000) of the bench's application through the
 *  four stages, durable unless --non-durable, and prints the figures with
 *  the machine's load average beside them.  Exits 0 only when every
 *  record came out of the last stage once, unchanged (bench_engine_run
 *  checks each one), 1 otherwise, 2 on a usage error.  It asserts no
 *  timing: the figures depend on the machine.  ctest runs it as
 *  bench.engine.
 */
#include "bench_apps.h"
#include "bench_engine.h"
#include "bench_proc.h"

#include "common/config.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ESSP_BENCH_TEMPLATE
#define ESSP_BENCH_TEMPLATE "tests/fixtures/applications/valid/mutuelle-entraide-vendee.json"
#endif

static int s_parse(int argc, char **argv, size_t *count, bool *durable)
{
    *count = 20000;
    *durable = true;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            long value = strtol(argv[++i], &end, 10);
            if (*end || value < 1 || value > 100000000)
                return -1;
            *count = (size_t)value;
        } else if (strcmp(argv[i], "--non-durable") == 0)
            *durable = false;
        else
            return -1;
    }
    return 0;
}

static void s_load(char *out, size_t cap)
{
    FILE *file = fopen("/proc/loadavg", "r");
    if (!file || !fgets(out, (int)cap, file))
        snprintf(out, cap, "?\n");
    if (file)
        fclose(file);
    out[strcspn(out, "\n")] = '\0';
}

static void s_print(const bench_engine_result_t *r, size_t record_size, const char *load_before)
{
    char load_after[128];
    s_load(load_after, sizeof load_after);
    printf("engine alone, %s: %zu records of %zu bytes through %d stages, %zu clients x %zu in flight\n",
           r->durable ? "durable (fsync before every reply and every cursor)" : "ESSP_DURABLE=0",
           r->records, record_size, BENCH_ENGINE_STAGES, r->clients, r->window);
    printf("  %.0f records/s (%.3f s, first request sent -> last record read from stage %d)\n",
           r->records_per_s, r->seconds, BENCH_ENGINE_STAGES);
    printf("  CPU %.1f us/record over the stages:", r->cpu_us_per_record);
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++)
        printf(" %d: %.1f", k + 1, r->cpu_us_per_stage[k]);
    printf("  (the bench's clients and reader: %.1f)\n", r->bench_cpu_us_per_record);
    printf("  written %.2f KiB/record over the stages:", r->written_kib_per_record);
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++)
        printf(" %d: %.2f", k + 1, r->written_kib_per_stage[k]);
    printf("\n  every record came through once, unchanged\n");
    printf("  load average before: %s  after: %s\n", load_before, load_after);
}

int main(int argc, char **argv)
{
    size_t count;
    bool durable;
    if (s_parse(argc, argv, &count, &durable) != 0) {
        fprintf(stderr, "usage: essp-bench-engine-check [-n N] [--non-durable]\n");
        return 2;
    }
    zsys_init();
    zsys_set_logsystem(false);
    char bin_dir[CONFIG_PATH_MAX], load[128];
    bench_apps_t apps;
    if (bench_proc_bin_dir(bin_dir, sizeof bin_dir) != 0 || bench_apps_init(&apps, ESSP_BENCH_TEMPLATE) != 0)
        return 1;
    size_t size;
    const char *record = bench_apps_make(&apps, 1, &size);
    s_load(load, sizeof load);
    bench_engine_result_t r;
    int rc = bench_engine_run(bin_dir, record, size, count, durable, &r);
    if (rc == 0)
        s_print(&r, size, load);
    else
        fprintf(stderr, "essp-bench-engine-check: the run did not complete: %s\n", r.why);
    bench_apps_fini(&apps);
    return rc == 0 ? 0 : 1;
}
