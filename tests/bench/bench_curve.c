/*  tests/bench/bench_curve.c - see bench_curve.h. */
#define _XOPEN_SOURCE 700   /* nftw */
#include "bench_curve.h"

#include "bench_pipeline.h"
#include "bench_watch.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* From the size before the largest to the largest (100,000 to 1,000,000),
 * the throughput drops by at most this much (issue #19). */
#define S_TARGET_DROP_PCT 20.0
/* How often the services' memory is read during a run: a turn of a
 * service lasts a few milliseconds. */
#define S_WATCH_MS 10
/* The next size starts only if the disk has room for its stack: the last
 * size's bytes per application, times the next size, times this. */
#define S_DISK_MARGIN 1.5

void bench_curve_defaults(bench_curve_config_t *config)
{
    static const size_t sizes[] = {10000, 100000, 1000000};
    memcpy(config->sizes, sizes, sizeof sizes);
    config->count = sizeof sizes / sizeof *sizes;
}

int bench_curve_parse(const char *text, bench_curve_config_t *config)
{
    size_t count = 0;
    const char *at = text;
    while (*at) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(at, &end, 10);
        if (end == at || errno || n < 1 || n > 10000000 || (*end && *end != ',')
            || count == BENCH_CURVE_SIZES_MAX || (count && n <= config->sizes[count - 1])) {
            fprintf(stderr, "essp-bench: --curve '%s': expected up to %d increasing sizes from 1 to "
                    "10000000, separated by commas\n", text, BENCH_CURVE_SIZES_MAX);
            return -1;
        }
        config->sizes[count++] = (size_t)n;
        at = *end ? end + 1 : end;
    }
    config->count = count;
    return count ? 0 : -1;
}

/* ---------------------------------------------------------------- disk */

/* nftw passes no argument to its callback: the sum it makes is here. */
static long long s_home_bytes;

static int s_add_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)flag, (void)ftw;
    s_home_bytes += (long long)st->st_blocks * 512;
    return 0;
}

/*  The stores' sizes and the home's blocks, once the services have
 *  closed their stores. */
static void s_disk(const bench_stack_t *stack, bench_curve_point_t *p)
{
    for (int i = 0; i < BENCH_SERVICES; i++) {
        char path[CONFIG_PATH_MAX + 64];
        struct stat st;
        snprintf(path, sizeof path, "%s/data/%s/data.mdb", stack->home, config_service_name((service_id_t)i));
        p->store_bytes[i] = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    }
    s_home_bytes = 0;
    nftw(stack->home, s_add_entry, 16, FTW_PHYS);
    p->home_bytes = s_home_bytes;
}

/*  Whether the disk the homes go to has room for n applications, at the
 *  bytes per application of the last point. */
static int s_room_for(const bench_curve_point_t *last, size_t n)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    struct statvfs fs;
    if (!last || statvfs(tmp, &fs) != 0)
        return 0;
    double need = (double)last->home_bytes / (double)last->applications * (double)n * S_DISK_MARGIN;
    double room = (double)fs.f_bavail * (double)fs.f_frsize;
    if (room >= need)
        return 0;
    fprintf(stderr, "essp-bench: %zu applications need about %.1f GiB in %s, which has %.1f GiB free\n", n,
            need / (1 << 30), tmp, room / (1 << 30));
    return -1;
}

/* --------------------------------------------------------------- a point */

/*  The run of one size on a started stack, and the catch-up after it. */
static int s_measure(const bench_curve_config_t *c, bench_stack_t *stack, bench_apps_t *apps,
                     bench_curve_point_t *p)
{
    long rss_before = bench_proc_self_kib("VmRSS");
    bench_pipeline_t *pipeline = bench_pipeline_new(stack, apps, p->applications);
    int rc = bench_pipeline_committee(pipeline);
    bench_phase_t phase = {p->applications, c->clients, c->window, 0, 0, c->backlog};
    bench_result_t result;
    bench_usage_t before, after;
    bench_proc_usage(stack, &before);
    bench_watch_t *watch = bench_watch_start(stack, S_WATCH_MS, 0);
    if (rc == 0)
        rc = bench_pipeline_run(pipeline, &phase, &result);
    bench_watch_stop(&watch, stack, NULL);
    bench_proc_usage(stack, &after);
    p->bench_rss_kib = bench_proc_self_kib("VmRSS");
    p->bench_state_bytes = (double)(p->bench_rss_kib - rss_before) * 1024 / (double)p->applications;
    if (rc == 0) {
        p->seconds = result.seconds;
        p->per_s = result.per_s;
        p->receipt = result.receipt;
        bench_proc_cost(&before, &after, p->applications, &p->cost);
        memcpy(p->peak_anon_kib, stack->peak_anon_kib, sizeof p->peak_anon_kib);
        rc = bench_pipeline_catch_up(pipeline, &p->catch_up_entries, &p->catch_up_seconds);
    }
    bench_pipeline_destroy(&pipeline);
    return rc;
}

static int s_point(const bench_curve_config_t *c, const char *bin_dir, bench_apps_t *apps,
                   bench_curve_point_t *p)
{
    p->load_before = bench_proc_load();
    bench_stack_t stack;
    if (bench_stack_start(&stack, bin_dir) != 0) {
        if (stack.home[0])
            fprintf(stderr, "essp-bench: the stack's home is kept in %s\n", stack.home);
        return -1;
    }
    int rc = s_measure(c, &stack, apps, p);
    if (rc != 0)
        bench_stack_print_errors(&stack);
    if (bench_stack_stop(&stack) != 0)
        rc = -1;
    s_disk(&stack, p);
    if (c->keep || rc != 0)
        fprintf(stderr, "essp-bench: the stack's home is kept in %s\n", stack.home);
    else
        bench_stack_remove(&stack);
    p->load_after = bench_proc_load();
    return rc;
}

int bench_curve_run(const bench_curve_config_t *config, const char *bin_dir, bench_apps_t *apps,
                    bench_curve_t *out)
{
    memset(out, 0, sizeof *out);
    bench_proc_machine(&out->machine);
    out->config = *config;
    out->watch_ms = S_WATCH_MS;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < config->count; i++) {
        bench_curve_point_t *p = &out->points[i];
        p->applications = config->sizes[i];
        rc = s_room_for(i ? &out->points[i - 1] : NULL, p->applications);
        if (rc == 0) {
            fprintf(stderr, "essp-bench: curve: %zu applications on a fresh stack\n", p->applications);
            rc = s_point(config, bin_dir, apps, p);
        }
        if (rc == 0)
            out->count = i + 1;
    }
    out->bench_hwm_kib = bench_proc_self_kib("VmHWM");
    return rc;
}

/* ---------------------------------------------------------------- output */

static double s_catch_up_per_s(const bench_curve_point_t *p)
{
    return p->catch_up_seconds > 0 ? (double)p->catch_up_entries / p->catch_up_seconds : 0;
}

static double s_store_per_app(const bench_curve_point_t *p, int service)
{
    return (double)p->store_bytes[service] / (double)p->applications;
}

static double s_stores_per_app(const bench_curve_point_t *p)
{
    double total = 0;
    for (int i = 0; i < BENCH_SERVICES; i++)
        total += s_store_per_app(p, i);
    return total;
}

/*  The drop of throughput from the point before the last to the last, in
 *  %; false when the curve has fewer than two points. */
static bool s_drop(const bench_curve_t *curve, double *pct)
{
    if (curve->count < 2 || curve->points[curve->count - 2].per_s <= 0)
        return false;
    *pct = (1 - curve->points[curve->count - 1].per_s / curve->points[curve->count - 2].per_s) * 100;
    return true;
}

typedef double (*s_figure_fn)(const bench_curve_point_t *p, int service);

static double s_per_s(const bench_curve_point_t *p, int service) { (void)service; return p->per_s; }
static double s_p99(const bench_curve_point_t *p, int service) { (void)service; return p->receipt.p99_ms; }
static double s_disk_total(const bench_curve_point_t *p, int service) { (void)service; return s_stores_per_app(p); }
static double s_home_mib(const bench_curve_point_t *p, int service) { (void)service; return (double)p->home_bytes / (1 << 20); }
static double s_catch_up(const bench_curve_point_t *p, int service) { (void)service; return s_catch_up_per_s(p); }
static double s_cpu_all(const bench_curve_point_t *p, int service) { (void)service; return bench_proc_services_cpu_us(&p->cost); }
static double s_cpu(const bench_curve_point_t *p, int service) { return p->cost.cpu_us[service]; }
static double s_kernel(const bench_curve_point_t *p, int service) { return p->cost.kernel_us[service]; }
static double s_minor(const bench_curve_point_t *p, int service) { return p->cost.faults[service].minor; }
static double s_major(const bench_curve_point_t *p, int service) { return p->cost.faults[service].major; }
static double s_cpu_bench(const bench_curve_point_t *p, int service) { (void)service; return p->cost.bench_cpu_us; }
static double s_written(const bench_curve_point_t *p, int service) { return p->cost.written_kib[service]; }
static double s_anon(const bench_curve_point_t *p, int service) { return (double)p->peak_anon_kib[service]; }
static double s_bench_mib(const bench_curve_point_t *p, int service) { (void)service; return (double)p->bench_rss_kib / 1024; }
static double s_bench_state(const bench_curve_point_t *p, int service) { (void)service; return p->bench_state_bytes; }
static double s_seconds(const bench_curve_point_t *p, int service) { (void)service; return p->seconds; }
static double s_load(const bench_curve_point_t *p, int service) { (void)service; return p->load_after; }

/*  One row: a figure of each point, with that many decimals; service -1 for a figure of the
 *  stack, or the service the row is about (its name is the label). */
static void s_row(const bench_curve_t *curve, const char *label, int service, s_figure_fn fn, int decimals)
{
    if (service >= 0)
        printf("    %-38s", config_service_name((service_id_t)service));
    else
        printf("  %-40s", label);
    for (size_t i = 0; i < curve->count; i++) {
        char cell[32];
        snprintf(cell, sizeof cell, "%.*f", decimals, fn(&curve->points[i], service));
        printf(" %12s", cell);
    }
    printf("\n");
}

static void s_rows_by_service(const bench_curve_t *curve, s_figure_fn fn, int decimals)
{
    for (int i = 0; i < BENCH_SERVICES; i++)
        s_row(curve, NULL, i, fn, decimals);
}

void bench_curve_print_table(const bench_curve_t *curve)
{
    const bench_curve_config_t *c = &curve->config;
    printf("essp-bench --curve: %ld CPU (%s), %ld MiB; durable (fsync before every reply); a fresh stack "
           "for each size;\n%zu clients x %zu in flight, at most %zu not yet in review (0: no limit)\n\n",
           curve->machine.nproc, curve->machine.cpu, curve->machine.mem_mib, c->clients, c->window, c->backlog);
    printf("  %-40s", "applications");
    for (size_t i = 0; i < curve->count; i++)
        printf(" %12zu", curve->points[i].applications);
    printf("\n");
    s_row(curve, "throughput (applications/s)", -1, s_per_s, 0);
    s_row(curve, "receipt p99 under that load (ms)", -1, s_p99, 1);
    s_row(curve, "bytes on disk per application (data.mdb)", -1, s_disk_total, 0);
    s_rows_by_service(curve, s_store_per_app, 0);
    s_row(curve, "disk used by the stack's home (MiB)", -1, s_home_mib, 1);
    s_row(curve, "catch-up from seq 0 (entries/s)", -1, s_catch_up, 0);
    s_row(curve, "CPU per application, 4 services (us)", -1, s_cpu_all, 1);
    s_rows_by_service(curve, s_cpu, 1);
    s_row(curve, "  bench (not in the four)", -1, s_cpu_bench, 1);
    printf("  %-40s\n", "  of which in the kernel (us)");
    s_rows_by_service(curve, s_kernel, 1);
    printf("  %-40s\n", "page faults per application: minor");
    s_rows_by_service(curve, s_minor, 2);
    printf("  %-40s\n", "  major (read from the disk)");
    s_rows_by_service(curve, s_major, 3);
    printf("  %-40s\n", "pages written per application (KiB)");
    s_rows_by_service(curve, s_written, 1);
    printf("  %-40s\n", "peak RssAnon during the run (KiB)");
    s_rows_by_service(curve, s_anon, 0);
    s_row(curve, "bench VmRSS at the end of the run (MiB)", -1, s_bench_mib, 1);
    s_row(curve, "  its growth during the run per appl. (B)", -1, s_bench_state, 0);
    s_row(curve, "run (s)", -1, s_seconds, 1);
    s_row(curve, "load average (1 min) after the size", -1, s_load, 2);
    double drop;
    const bench_curve_point_t *last = &curve->points[curve->count - 1];
    if (s_drop(curve, &drop))
        printf("\nthroughput from %zu to %zu applications: %.0f -> %.0f/s, a drop of %.1f %% (negative: a gain)"
               "  target <= %.0f %%: %s\n", last[-1].applications, last->applications, last[-1].per_s, last->per_s,
               drop, S_TARGET_DROP_PCT, drop <= S_TARGET_DROP_PCT ? "met" : "MISSED");
    printf("  (bytes on disk: each service's data.mdb after the stack stopped, divided by N; peak RssAnon:\n"
           "   /proc/PID/status read every %u ms during the run; the bench's VmHWM over the curve: %ld MiB)\n",
           curve->watch_ms, curve->bench_hwm_kib / 1024);
}

static void s_json_services(const char *key, const bench_curve_point_t *p, s_figure_fn fn, const char *tail)
{
    printf("\"%s\":{", key);
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf("%s\"%s\":%.3f", i ? "," : "", config_service_name((service_id_t)i), fn(p, i));
    printf("}%s", tail);
}

static void s_json_point(const bench_curve_point_t *p, const char *tail)
{
    printf("{\"applications\":%zu,\"seconds\":%.3f,\"applications_per_s\":%.1f,", p->applications, p->seconds,
           p->per_s);
    printf("\"receipt_ms\":{\"count\":%zu,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},", p->receipt.count,
           p->receipt.p50_ms, p->receipt.p99_ms, p->receipt.max_ms);
    printf("\"disk_bytes_per_application\":{\"total\":%.1f,", s_stores_per_app(p));
    s_json_services("by_service", p, s_store_per_app, "},");
    printf("\"home_bytes\":%lld,", p->home_bytes);
    printf("\"catch_up\":{\"entries\":%zu,\"seconds\":%.3f,\"entries_per_s\":%.1f},", p->catch_up_entries,
           p->catch_up_seconds, s_catch_up_per_s(p));
    printf("\"cpu_us_per_application\":{\"services\":%.1f,\"bench\":%.1f,", bench_proc_services_cpu_us(&p->cost),
           p->cost.bench_cpu_us);
    s_json_services("by_service", p, s_cpu, ",");
    s_json_services("kernel_by_service", p, s_kernel, "},");
    s_json_services("minor_faults_per_application", p, s_minor, ",");
    s_json_services("major_faults_per_application", p, s_major, ",");
    s_json_services("written_kib_per_application", p, s_written, ",");
    s_json_services("peak_anon_kib", p, s_anon, ",");
    printf("\"bench_rss_kib\":%ld,\"bench_growth_bytes_per_application\":%.1f,", p->bench_rss_kib,
           p->bench_state_bytes);
    printf("\"load_before\":%.2f,\"load_after\":%.2f}%s", p->load_before, p->load_after, tail);
}

void bench_curve_print_json(const bench_curve_t *curve)
{
    const bench_curve_config_t *c = &curve->config;
    printf("{\"machine\":{\"nproc\":%ld,\"mem_mib\":%ld},", curve->machine.nproc, curve->machine.mem_mib);
    printf("\"config\":{\"clients\":%zu,\"window\":%zu,\"backlog\":%zu,\"durable\":true,\"watch_ms\":%u},",
           c->clients, c->window, c->backlog, curve->watch_ms);
    printf("\"curve\":{\"points\":[");
    for (size_t i = 0; i < curve->count; i++)
        s_json_point(&curve->points[i], i + 1 < curve->count ? "," : "");
    printf("],\"bench_hwm_kib\":%ld", curve->bench_hwm_kib);
    double drop;
    if (s_drop(curve, &drop))
        printf(",\"drop\":{\"from\":%zu,\"to\":%zu,\"value_pct\":%.1f,\"target_pct\":%.1f,\"met\":%s}",
               curve->points[curve->count - 2].applications, curve->points[curve->count - 1].applications, drop,
               S_TARGET_DROP_PCT, drop <= S_TARGET_DROP_PCT ? "true" : "false");
    printf("}}\n");
}

int bench_curve_report(const bench_curve_config_t *config, const char *bin_dir, bench_apps_t *apps, bool json)
{
    bench_curve_t curve;
    int rc = bench_curve_run(config, bin_dir, apps, &curve);
    if (rc != 0)
        fprintf(stderr, "essp-bench: the curve did not complete (%zu of %zu sizes measured)\n", curve.count,
                config->count);
    if (curve.count && json)
        bench_curve_print_json(&curve);
    else if (curve.count)
        bench_curve_print_table(&curve);
    return rc;
}
