/*  essp-bench: how fast the pipeline is, and what bounds it.
 *
 *  Starts a fresh stack (the four real services next to this program) in a
 *  temporary ESSP_HOME, with the default durable configuration, and
 *  measures, in one run:
 *    - baselines: LMDB group commit alone and one ZeroMQ DEALER/ROUTER hop
 *      alone, with the record size of an application;
 *    - start: from the first fork to every service answering ping;
 *    - end to end: N applications through submission, validation, the
 *      committee's votes and publication; latencies of each step;
 *    - catch-up: a new reader of the publication stream from seq 0;
 *    - fan-out: followers holding pulls on the publication stream;
 *    - offered load: receipt latency at a fixed rate of submissions;
 *    - footprint: resident memory of each service idle and at peak.
 *  With --curve, only the growth of the cost with the number of
 *  applications (bench_curve.h).
 *  Prints a table, or one JSON object with --json.  A figure that misses
 *  its target is reported, never an error: the exit code says only whether
 *  the run completed (0) or not (1; 2 for a usage error).
 */
#include "bench_apps.h"
#include "bench_baseline.h"
#include "bench_compare.h"
#include "bench_curve.h"
#include "bench_options.h"
#include "bench_pipeline.h"
#include "bench_proc.h"
#include "bench_stack.h"
#include "bench_stats.h"
#include "bench_wait.h"
#include "bench_watch.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* The targets of the pipeline, on a 2-core machine (issue #19). */
#define S_TARGET_PER_S        25000.0
#define S_TARGET_RECEIPT_COMMITS 5.0   /* offered receipt p99 <= this x one fsync'd commit's p99 */
#define S_TARGET_CATCH_UP     200000.0
#define S_TARGET_CPU_US       100.0    /* the four services together, per application */
#define S_TARGET_WRITTEN_KIB  8.0      /* pages written per application, intake and review each */
#define S_TARGET_IDLE_ANON_KIB (4 * 1024)   /* each service's own memory, idle */
#define S_TARGET_PEAK_ANON_KIB (64 * 1024)  /* and at its peak during the run */
#define S_TARGET_READY_MS     500.0


/*  The pause after the last phase before "after" is read: the services
 *  return a backlog's memory a second after their last big turn. */
#define S_SETTLE_MS 2000

typedef struct {
    bench_machine_t machine;
    bench_lmdb_t lmdb;
    bench_zmq_t zmq;
    double ready_ms;
    bench_memory_t idle[BENCH_SERVICES];
    bench_memory_t peak[BENCH_SERVICES];  /* rss, anon, pss: largest sampled; hwm: VmHWM at the end */
    bench_memory_t after[BENCH_SERVICES]; /* idle again, S_SETTLE_MS after the last phase */
    bench_watch_report_t watch;           /* how the peak was read */
    bench_result_t e2e;
    double cpu_us[BENCH_SERVICES];        /* CPU per application end to end */
    double sys_us[BENCH_SERVICES];        /* the part of it spent in the kernel */
    double written_kib[BENCH_SERVICES];   /* bytes written per application (bench_stack_written) */
    double bench_cpu_us;                 /* the bench's own, its I/O thread included */
    size_t catch_up_entries;
    double catch_up_seconds;
    bench_result_t fanout;
    bench_result_t offered;
    bench_pct_t offered_inside;           /* intake's own time for those submits (its log) */
    bench_sched_t offered_sched[BENCH_WAIT_PROCESSES]; /* CPU and run-queue waits in that phase */
    bench_compare_t compare;              /* --peers, --engine */
} report_t;

/* ----------------------------------------------------------------- phases */

static int s_baselines(const bench_options_t *o, size_t record_size, report_t *r)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[CONFIG_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/essp-bench-lmdb-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return -1;
    int rc = bench_lmdb_baseline(dir, record_size, o->quick ? 10000 : 100000, 512, o->quick ? 50 : 200,
                                 &r->lmdb);
    char file[CONFIG_PATH_MAX + 16];
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    remove(file);
    snprintf(file, sizeof file, "%s/lock.mdb", dir);
    remove(file);
    rmdir(dir);
    if (rc == 0)
        rc = bench_zmq_baseline(record_size, o->quick ? 2000 : 10000, o->quick ? 20000 : 200000, &r->zmq);
    return rc;
}

static int s_run_stack(const bench_options_t *o, bench_stack_t *stack, bench_apps_t *apps, report_t *r)
{
    r->ready_ms = stack->ready_ms;
    zclock_sleep(1000);   /* idle: started, nothing asked yet */
    bench_proc_memory(stack, r->idle);
    size_t offered_count = (size_t)(o->offered_rate * o->offered_seconds);
    if (offered_count < 1)
        offered_count = 1;
    bench_pipeline_t *pipeline = bench_pipeline_new(stack, apps, o->n + o->fanout_count + offered_count);
    int rc = bench_pipeline_committee(pipeline);
    bench_phase_t e2e = {o->n, o->clients, o->window, 0, 0, o->backlog};
    bench_usage_t before, after;
    bench_cost_t cost;
    bench_proc_usage(stack, &before);
    bench_watch_t *watch = bench_watch_start(stack, BENCH_WATCH_MS, BENCH_PSS_MS);
    if (rc == 0)
        rc = bench_pipeline_run(pipeline, &e2e, &r->e2e);
    bench_watch_stop(&watch, stack, &r->watch);
    bench_proc_usage(stack, &after);
    bench_proc_cost(&before, &after, o->n, &cost);
    memcpy(r->cpu_us, cost.cpu_us, sizeof r->cpu_us);
    memcpy(r->sys_us, cost.kernel_us, sizeof r->sys_us);
    memcpy(r->written_kib, cost.written_kib, sizeof r->written_kib);
    r->bench_cpu_us = cost.bench_cpu_us;
    bench_proc_memory(stack, r->peak);
    for (int i = 0; i < BENCH_SERVICES; i++) {
        r->peak[i].rss_kib = stack->peak_rss_kib[i];
        r->peak[i].anon_kib = stack->peak_anon_kib[i];
        r->peak[i].pss_kib = stack->peak_pss_kib[i];
    }
    if (rc == 0)
        rc = bench_pipeline_catch_up(pipeline, &r->catch_up_entries, &r->catch_up_seconds);
    bench_phase_t fanout = {o->fanout_count, o->clients, o->window, o->offered_rate, o->followers, o->backlog};
    if (rc == 0)
        rc = bench_pipeline_run(pipeline, &fanout, &r->fanout);
    bench_phase_t offered = {offered_count, o->clients, o->window, o->offered_rate, 0, o->backlog};
    bench_sched_t sched_before[BENCH_WAIT_PROCESSES], sched_after[BENCH_WAIT_PROCESSES];
    bench_wait_read(stack, sched_before);
    if (rc == 0)
        rc = bench_pipeline_run(pipeline, &offered, &r->offered);
    bench_wait_read(stack, sched_after);
    bench_wait_diff(sched_before, sched_after, r->offered_sched);
    if (rc == 0)
        bench_wait_intake_submits(stack, offered_count, &r->offered_inside);
    bench_pipeline_destroy(&pipeline);
    /* What each service kept once the work is done: the services give
     * back a backlog's memory a second after their last big turn. */
    zclock_sleep(S_SETTLE_MS);
    bench_proc_memory(stack, r->after);
    return rc;
}

/* ----------------------------------------------------------------- output */

static double s_ratio(double value, double bound)
{
    return bound > 0 ? value / bound : 0;
}

/*  A durable hop: the request travels, the service commits, the reply
 *  travels back. */
static double s_hop_p50(const report_t *r)
{
    return r->zmq.round_trip.p50_ms + r->lmdb.single_commit.p50_ms;
}

static double s_hop_p99(const report_t *r)
{
    return r->zmq.round_trip.p99_ms + r->lmdb.single_commit.p99_ms;
}

static double s_catch_up_per_s(const report_t *r)
{
    return r->catch_up_seconds > 0 ? (double)r->catch_up_entries / r->catch_up_seconds : 0;
}

/*  The offered receipt's p99 may be this much: a few times the p99 of one
 *  fsync'd LMDB commit measured in the same run, the floor of a durable
 *  reply on this disk. */
static double s_receipt_bound(const report_t *r)
{
    return S_TARGET_RECEIPT_COMMITS * r->lmdb.single_commit.p99_ms;
}

static double s_services_cpu_us(const report_t *r)
{
    double total = 0;
    for (int i = 0; i < BENCH_SERVICES; i++)
        total += r->cpu_us[i];
    return total;
}

/*  The service with the most own memory (RssAnon) in m. */
static int s_most_anon(const bench_memory_t m[BENCH_SERVICES])
{
    int most = 0;
    for (int i = 1; i < BENCH_SERVICES; i++)
        if (m[i].anon_kib > m[most].anon_kib)
            most = i;
    return most;
}

/*  What the machine's CPUs allow at the CPU cost measured per application,
 *  services and bench together. */
static double s_cpu_ceiling(const report_t *r)
{
    double total = r->bench_cpu_us;
    for (int i = 0; i < BENCH_SERVICES; i++)
        total += r->cpu_us[i];
    return total > 0 ? (double)r->machine.nproc * 1e6 / total : 0;
}

static void s_json_pct(const char *key, const bench_pct_t *p, const char *tail)
{
    printf("\"%s\":{\"count\":%zu,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}%s", key, p->count, p->p50_ms,
           p->p99_ms, p->max_ms, tail);
}

static void s_json_string(const char *key, const char *text, const char *tail)
{
    printf("\"%s\":\"", key);
    for (const char *c = text; *c; c++)
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if ((unsigned char)*c >= 0x20)
            putchar(*c);
    printf("\"%s", tail);
}

static void s_json_target(const char *key, double value, double target, bool at_least, const char *tail)
{
    bool met = at_least ? value >= target : value <= target;
    printf("\"%s\":{\"value\":%.3f,\"target\":%.3f,\"met\":%s}%s", key, value, target,
           met ? "true" : "false", tail);
}

/*  A target on every service: the largest value, and whose it is. */
static void s_json_most_anon(const char *key, const bench_memory_t m[BENCH_SERVICES], double target,
                             const char *tail)
{
    int most = s_most_anon(m);
    printf("\"%s\":{\"value\":%ld,\"target\":%.0f,\"service\":\"%s\",\"met\":%s}%s", key, m[most].anon_kib,
           target, config_service_name((service_id_t)most),
           m[most].anon_kib >= 0 && m[most].anon_kib <= target ? "true" : "false", tail);
}

static void s_json_receipt_target(const report_t *r, const char *tail)
{
    double value = r->offered.receipt.p99_ms, bound = r->lmdb.single_commit.p99_ms;
    printf("\"offered_receipt_p99_ms\":{\"value\":%.3f,\"target\":%.3f,\"single_commit_p99_ms\":%.3f,"
           "\"ratio_to_single_commit\":%.2f,\"max_ratio\":%.1f,\"met\":%s}%s", value, s_receipt_bound(r), bound,
           s_ratio(value, bound), S_TARGET_RECEIPT_COMMITS, value <= s_receipt_bound(r) ? "true" : "false", tail);
}

static void s_print_json(const bench_options_t *o, const report_t *r)
{
    printf("{\"machine\":{\"nproc\":%ld,", r->machine.nproc);
    s_json_string("cpu", r->machine.cpu, ",");
    printf("\"mem_mib\":%ld},", r->machine.mem_mib);
    printf("\"config\":{\"n\":%zu,\"clients\":%zu,\"window\":%zu,\"backlog\":%zu,\"followers\":%zu,"
           "\"offered_rate\":%.1f,\"durable\":true,\"quick\":%s,\"record_bytes\":%zu},",
           o->n, o->clients, o->window, o->backlog, o->followers, o->offered_rate, o->quick ? "true" : "false",
           r->lmdb.record_size);
    printf("\"baselines\":{\"lmdb\":{\"batch\":%zu,\"records\":%zu,\"records_per_s\":%.1f,", r->lmdb.batch,
           r->lmdb.records, r->lmdb.records_per_s);
    s_json_pct("group_commit_ms", &r->lmdb.group_commit, ",");
    s_json_pct("single_commit_ms", &r->lmdb.single_commit, "},");
    printf("\"zmq\":{");
    s_json_pct("round_trip_ms", &r->zmq.round_trip, ",");
    printf("\"pipelined\":%zu,\"pipelined_per_s\":%.1f}},", r->zmq.pipelined, r->zmq.pipelined_per_s);
    printf("\"startup\":{\"ready_ms\":%.3f},", r->ready_ms);
    const bench_result_t *e = &r->e2e;
    printf("\"end_to_end\":{\"applications\":%zu,\"seconds\":%.3f,\"applications_per_s\":%.1f,", e->count,
           e->seconds, e->per_s);
    s_json_pct("receipt_ms", &e->receipt, ",");
    s_json_pct("in_review_ms", &e->in_review, ",");
    s_json_pct("vote_to_published_ms", &e->published, ",");
    printf("\"meetings\":%zu,\"files_per_meeting\":%.1f,\"votes\":%zu,"
           "\"queued_per_batch\":%.1f,\"upserts_per_batch\":%.1f,",
           e->meetings, e->files_per_meeting, e->votes, e->queued_per_batch,
           e->upserts_per_batch);
    printf("\"cpu_us_per_application\":{");
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf("\"%s\":%.1f,", config_service_name((service_id_t)i), r->cpu_us[i]);
    printf("\"bench\":%.1f},\"kernel_us_per_application\":{", r->bench_cpu_us);
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf("%s\"%s\":%.1f", i ? "," : "", config_service_name((service_id_t)i), r->sys_us[i]);
    printf("},\"written_kib_per_application\":{");
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf("%s\"%s\":%.1f", i ? "," : "", config_service_name((service_id_t)i), r->written_kib[i]);
    printf("},\"cpu_ceiling_per_s\":%.1f,", s_cpu_ceiling(r));
    printf("\"ratio_to_lmdb_group_commit\":%.4f,\"ratio_to_zmq_pipelined\":%.4f,"
           "\"receipt_p99_ratio_to_durable_hop\":%.2f},",
           s_ratio(e->per_s, r->lmdb.records_per_s), s_ratio(e->per_s, r->zmq.pipelined_per_s),
           s_ratio(e->receipt.p99_ms, s_hop_p99(r)));
    printf("\"catch_up\":{\"entries\":%zu,\"seconds\":%.3f,\"entries_per_s\":%.1f,"
           "\"ratio_to_zmq_pipelined\":%.4f},",
           r->catch_up_entries, r->catch_up_seconds, s_catch_up_per_s(r),
           s_ratio(s_catch_up_per_s(r), r->zmq.pipelined_per_s));
    printf("\"fan_out\":{\"followers\":%zu,\"entries\":%zu,", o->followers, r->fanout.count);
    s_json_pct("delay_ms", &r->fanout.fanout, ",");
    s_json_pct("vote_to_delivery_ms", &r->fanout.vote_to_delivery, ",");
    printf("\"delay_p99_ratio_to_zmq_round_trip\":%.2f},",
           s_ratio(r->fanout.fanout.p99_ms, r->zmq.round_trip.p99_ms));
    printf("\"offered\":{\"rate\":%.1f,\"achieved_rate\":%.1f,\"applications\":%zu,", o->offered_rate,
           r->offered.offered_per_s, r->offered.count);
    s_json_pct("receipt_ms", &r->offered.receipt, ",");
    s_json_pct("in_review_ms", &r->offered.in_review, ",");
    s_json_pct("vote_to_published_ms", &r->offered.published, ",");
    printf("\"receipt_p99_ratio_to_durable_hop\":%.2f,", s_ratio(r->offered.receipt.p99_ms, s_hop_p99(r)));
    s_json_pct("inside_intake_ms", &r->offered_inside, ",");
    printf("\"cpu_wait\":{");
    for (int i = 0; i < BENCH_WAIT_PROCESSES; i++)
        printf("%s\"%s\":{\"run_s\":%.3f,\"wait_s\":%.3f,\"slices\":%llu,\"wait_per_slice_ms\":%.4f}",
               i ? "," : "", i < BENCH_SERVICES ? config_service_name((service_id_t)i) : "bench",
               r->offered_sched[i].run_s, r->offered_sched[i].wait_s,
               (unsigned long long)r->offered_sched[i].slices, bench_wait_per_slice_ms(&r->offered_sched[i]));
    printf("}},");
    printf("\"footprint\":{\"peak_readings\":%zu,\"peak_every_ms\":%.2f,", r->watch.readings, r->watch.interval_ms);
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf("\"%s\":{\"idle_rss_kib\":%ld,\"idle_hwm_kib\":%ld,\"idle_anon_kib\":%ld,\"idle_pss_kib\":%ld,"
               "\"peak_rss_kib\":%ld,\"peak_hwm_kib\":%ld,\"peak_anon_kib\":%ld,\"peak_pss_kib\":%ld,"
               "\"after_rss_kib\":%ld,\"after_anon_kib\":%ld,\"after_pss_kib\":%ld}%s",
               config_service_name((service_id_t)i), r->idle[i].rss_kib, r->idle[i].hwm_kib, r->idle[i].anon_kib,
               r->idle[i].pss_kib, r->peak[i].rss_kib, r->peak[i].hwm_kib, r->peak[i].anon_kib,
               r->peak[i].pss_kib, r->after[i].rss_kib, r->after[i].anon_kib, r->after[i].pss_kib,
               i + 1 < BENCH_SERVICES ? "," : "},");
    if (o->peers)
        bench_compare_print_json(&r->compare, ",");
    printf("\"targets\":{");
    s_json_target("applications_per_s", e->per_s, S_TARGET_PER_S, true, ",");
    s_json_receipt_target(r, ",");
    s_json_target("catch_up_entries_per_s", s_catch_up_per_s(r), S_TARGET_CATCH_UP, true, ",");
    s_json_target("cpu_us_per_application", s_services_cpu_us(r), S_TARGET_CPU_US, false, ",");
    s_json_target("written_kib_per_application_intake", r->written_kib[SERVICE_INTAKE], S_TARGET_WRITTEN_KIB,
                  false, ",");
    s_json_target("written_kib_per_application_review", r->written_kib[SERVICE_REVIEW], S_TARGET_WRITTEN_KIB,
                  false, ",");
    s_json_most_anon("idle_anon_kib_max", r->idle, S_TARGET_IDLE_ANON_KIB, ",");
    s_json_most_anon("peak_anon_kib_max", r->peak, S_TARGET_PEAK_ANON_KIB, ",");
    s_json_target("ready_ms", r->ready_ms, S_TARGET_READY_MS, false, "}}\n");
}

static void s_row_pct(const char *what, const bench_pct_t *p, double bound_p50, double bound_p99,
                      const char *target)
{
    printf("  %-34s %9.3f %9.3f %9.3f ms   %-10s x%.1f / x%.1f\n", what, p->p50_ms, p->p99_ms, p->max_ms,
           target, s_ratio(p->p50_ms, bound_p50), s_ratio(p->p99_ms, bound_p99));
}

static const char *s_mark(bool met)
{
    return met ? "met" : "MISSED";
}

/*  Where the receipt's time went (bench_wait.h): intake's own part, then
 *  each process's threads waiting for a CPU in that phase. */
static void s_print_receipt_parts(const report_t *r)
{
    if (!r->offered_inside.count)
        printf("  inside intake: its log no longer holds every submission of this phase (rotated)\n");
    else
        printf("  %-34s %9.3f %9.3f %9.3f ms   (its log: received -> replied; the rest of a receipt\n"
               "  %-34s is the sockets and the threads' waits below)\n",
               "inside intake", r->offered_inside.p50_ms, r->offered_inside.p99_ms, r->offered_inside.max_ms, "");
    double seconds = r->offered.seconds > 0 ? r->offered.seconds : 1;
    printf("  threads in this phase (schedstat)   on a CPU   waiting for one   wait each time given one\n");
    for (int i = 0; i < BENCH_WAIT_PROCESSES; i++) {
        const bench_sched_t *w = &r->offered_sched[i];
        printf("    %-31s %6.0f ms/s %10.0f ms/s %14.3f ms\n",
               i < BENCH_SERVICES ? config_service_name((service_id_t)i) : "bench", w->run_s * 1e3 / seconds,
               w->wait_s * 1e3 / seconds, bench_wait_per_slice_ms(w));
    }
}

static void s_print_footprint(const bench_options_t *o, const report_t *r)
{
    printf("footprint (KiB)     idle: RssAnon   VmRSS     Pss  VmHWM   peak: RssAnon   VmRSS     Pss"
           "   after: RssAnon   VmRSS   RssAnon: idle <= %d, peak <= %d\n", S_TARGET_IDLE_ANON_KIB,
           S_TARGET_PEAK_ANON_KIB);
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf("  %-14s %14ld %7ld %7ld %6ld %15ld %7ld %7ld %16ld %7ld   idle %s, peak %s\n",
               config_service_name((service_id_t)i), r->idle[i].anon_kib, r->idle[i].rss_kib, r->idle[i].pss_kib,
               r->idle[i].hwm_kib, r->peak[i].anon_kib, r->peak[i].rss_kib, r->peak[i].pss_kib,
               r->after[i].anon_kib, r->after[i].rss_kib,
               s_mark(r->idle[i].anon_kib >= 0 && r->idle[i].anon_kib <= S_TARGET_IDLE_ANON_KIB),
               s_mark(r->peak[i].anon_kib >= 0 && r->peak[i].anon_kib <= S_TARGET_PEAK_ANON_KIB));
    printf("  (RssAnon is a service's own memory; VmRSS adds shared libraries and the LMDB pages it has\n"
           "   touched through its map; Pss splits the pages it shares with the other services.  peak:\n"
           "   during the end-to-end phase of %zu applications, RssAnon and VmRSS the largest of %zu\n"
           "   readings of /proc/PID/status, one every %.1f ms, Pss of smaps_rollup read every %d ms;\n"
           "   VmHWM is the kernel's own peak of VmRSS.  after: %d ms after the last phase, when a\n"
           "   backlog's memory has been given back)\n",
           o->n, r->watch.readings, r->watch.interval_ms, BENCH_PSS_MS, S_SETTLE_MS);
}

static void s_print_table(const bench_options_t *o, const report_t *r)
{
    const bench_result_t *e = &r->e2e;
    printf("essp-bench: %ld CPU (%s), %ld MiB; durable (fsync before every reply); %zu-byte applications\n\n",
           r->machine.nproc, r->machine.cpu, r->machine.mem_mib, r->lmdb.record_size);
    printf("baselines\n");
    printf("  LMDB group commit, %zu x %zu B + fsync  %10.0f records/s  (commit p50 %.3f ms, p99 %.3f ms)\n",
           r->lmdb.batch, r->lmdb.record_size, r->lmdb.records_per_s, r->lmdb.group_commit.p50_ms,
           r->lmdb.group_commit.p99_ms);
    printf("  LMDB one record + fsync               p50 %.3f ms, p99 %.3f ms\n", r->lmdb.single_commit.p50_ms,
           r->lmdb.single_commit.p99_ms);
    printf("  ZeroMQ DEALER/ROUTER round trip       p50 %.3f ms, p99 %.3f ms\n", r->zmq.round_trip.p50_ms,
           r->zmq.round_trip.p99_ms);
    printf("  ZeroMQ pipelined, 1000 in flight      %10.0f messages/s\n", r->zmq.pipelined_per_s);
    printf("  durable hop (round trip + 1 commit)   p50 %.3f ms, p99 %.3f ms\n\n", s_hop_p50(r), s_hop_p99(r));

    printf("end to end: %zu applications, %zu clients x %zu in flight, at most %zu not yet in review\n", e->count,
           o->clients, o->window, o->backlog);
    printf("  throughput                          %10.0f applications/s (%.2f s)  target >= %.0f: %s\n",
           e->per_s, e->seconds, S_TARGET_PER_S, s_mark(e->per_s >= S_TARGET_PER_S));
    printf("    ratio to LMDB group commit        x%.3f    to ZeroMQ pipelined  x%.3f\n",
           s_ratio(e->per_s, r->lmdb.records_per_s), s_ratio(e->per_s, r->zmq.pipelined_per_s));
    printf("  %-34s %9s %9s %9s      %-10s ratio p50 / p99 to bound\n", "latency", "p50", "p99", "max", "");
    s_row_pct("receipt (bound: durable hop)", &e->receipt, s_hop_p50(r), s_hop_p99(r), "");
    s_row_pct("submitted -> in review (3 hops)", &e->in_review, 3 * s_hop_p50(r), 3 * s_hop_p99(r), "");
    s_row_pct("vote -> published (2 hops)", &e->published, 2 * s_hop_p50(r), 2 * s_hop_p99(r), "");
    printf("  committee: %zu meetings, %.1f files per meeting, %zu votes\n", e->meetings, e->files_per_meeting,
           e->votes);
    printf("  CPU per application (us):");
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf(" %s %.0f (kernel %.0f),", config_service_name((service_id_t)i), r->cpu_us[i], r->sys_us[i]);
    printf(" bench %.0f: at most %.0f applications/s on %ld CPU\n", r->bench_cpu_us, s_cpu_ceiling(r),
           r->machine.nproc);
    printf("  CPU of the four services together   %10.1f us per application  target <= %.0f: %s\n",
           s_services_cpu_us(r), S_TARGET_CPU_US, s_mark(s_services_cpu_us(r) <= S_TARGET_CPU_US));
    printf("  pages written per application (KiB):");
    for (int i = 0; i < BENCH_SERVICES; i++)
        printf("%s %s %.1f", i ? "," : "", config_service_name((service_id_t)i), r->written_kib[i]);
    printf("  target <= %.0f in intake: %s, in review: %s\n", S_TARGET_WRITTEN_KIB,
           s_mark(r->written_kib[SERVICE_INTAKE] <= S_TARGET_WRITTEN_KIB),
           s_mark(r->written_kib[SERVICE_REVIEW] <= S_TARGET_WRITTEN_KIB));
    printf("  events per batch seen by the bench: review %.1f, publication %.1f\n\n",
           e->queued_per_batch, e->upserts_per_batch);

    printf("offered load: %.0f submissions/s offered (%.0f achieved), %zu applications\n", o->offered_rate,
           r->offered.offered_per_s, r->offered.count);
    s_row_pct("receipt (bound: durable hop)", &r->offered.receipt, s_hop_p50(r), s_hop_p99(r),
              r->offered.receipt.p99_ms <= s_receipt_bound(r) ? "p99 met" : "p99 MISSED");
    s_row_pct("submitted -> in review", &r->offered.in_review, 3 * s_hop_p50(r), 3 * s_hop_p99(r), "");
    s_row_pct("vote -> published", &r->offered.published, 2 * s_hop_p50(r), 2 * s_hop_p99(r), "");
    s_print_receipt_parts(r);
    printf("  receipt p99 %.3f ms: x%.1f one fsync'd LMDB commit's p99 (%.3f ms); target <= x%.0f (%.3f ms): %s\n\n",
           r->offered.receipt.p99_ms, s_ratio(r->offered.receipt.p99_ms, r->lmdb.single_commit.p99_ms),
           r->lmdb.single_commit.p99_ms, S_TARGET_RECEIPT_COMMITS, s_receipt_bound(r),
           s_mark(r->offered.receipt.p99_ms <= s_receipt_bound(r)));

    printf("catch-up: %zu entries from seq 0 in %.3f s: %.0f entries/s  target >= %.0f: %s  (x%.2f of ZeroMQ pipelined)\n\n",
           r->catch_up_entries, r->catch_up_seconds, s_catch_up_per_s(r), S_TARGET_CATCH_UP,
           s_mark(s_catch_up_per_s(r) >= S_TARGET_CATCH_UP), s_ratio(s_catch_up_per_s(r), r->zmq.pipelined_per_s));

    printf("fan-out: %zu followers with held pulls, %zu entries at %.0f/s\n", o->followers, r->fanout.count,
           o->offered_rate);
    s_row_pct("first delivery -> each follower", &r->fanout.fanout, r->zmq.round_trip.p50_ms,
              r->zmq.round_trip.p99_ms, "");
    s_row_pct("vote -> delivery to a follower", &r->fanout.vote_to_delivery, 2 * s_hop_p50(r),
              2 * s_hop_p99(r), "");
    printf("\n");

    s_print_footprint(o, r);
    printf("start: all four services answer ping %.1f ms after the first fork  target <= %.0f: %s\n",
           r->ready_ms, S_TARGET_READY_MS, s_mark(r->ready_ms <= S_TARGET_READY_MS));
}

/* ------------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    bench_options_t o;
    if (bench_options_parse(argc, argv, &o) != 0)
        return 2;
    zsys_init();
    zsys_set_logsystem(false);
    report_t r;
    memset(&r, 0, sizeof r);
    bench_proc_machine(&r.machine);
    char bin_dir[CONFIG_PATH_MAX];
    bench_apps_t apps;
    if (bench_proc_bin_dir(bin_dir, sizeof bin_dir) != 0 || bench_apps_init(&apps, o.template_path) != 0)
        return 1;
    if (o.engine && !o.peers) {
        int alone = bench_compare_engine_alone(bin_dir, &apps, o.n, o.json);
        bench_apps_fini(&apps);
        return alone == 0 ? 0 : 1;
    }
    int rc;
    if (o.curve.count) {
        rc = bench_curve_report(&o.curve, bin_dir, &apps, o.json);
        bench_apps_fini(&apps);
        return rc == 0 ? 0 : 1;
    }
    rc = s_baselines(&o, apps.doc.size, &r);
    bench_stack_t stack;
    if (rc == 0 && (rc = bench_stack_start(&stack, bin_dir)) != 0 && stack.home[0])
        fprintf(stderr, "essp-bench: the stack's home is kept in %s\n", stack.home);
    else if (rc == 0) {
        rc = s_run_stack(&o, &stack, &apps, &r);
        if (rc != 0)
            bench_stack_print_errors(&stack);
        if (bench_stack_stop(&stack) != 0)
            rc = -1;
        if (o.keep || rc != 0)
            fprintf(stderr, "essp-bench: the stack's home is kept in %s\n", stack.home);
        else
            bench_stack_remove(&stack);
    }
    int compared = 0;
    if (rc == 0 && o.peers) {
        bench_compare_application(&r.compare, r.e2e.count, r.e2e.per_s, r.cpu_us, BENCH_SERVICES);
        compared = bench_compare_run(&r.compare, bin_dir, &apps, o.n, true);
    }
    bench_apps_fini(&apps);
    if (rc != 0) {
        fprintf(stderr, "essp-bench: the run did not complete\n");
        return 1;
    }
    if (o.json)
        s_print_json(&o, &r);
    else {
        s_print_table(&o, &r);
        bench_compare_print_table(&r.compare);
    }
    return compared == 0 ? 0 : 1;
}
