/*  tests/bench/bench_compare.c - see bench_compare.h. */
#include "bench_compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The targets: essp's figure over the peer's, at least. */
#define S_ENGINE_DURABLE_OVER_REDIS 3.0
#define S_ENGINE_VOLATILE_OVER_NATS 2.0
#define S_APPLICATION_OVER_REDIS 2.0

/*  essp's figures a peer's is set beside. */
typedef enum { S_APPLICATION, S_ENGINE_DURABLE, S_ENGINE_VOLATILE } s_essp_t;

typedef struct {
    const char *key;             /* in the JSON */
    s_essp_t essp;
    const char *essp_name;       /* in the table */
    const char *peer_key;
    bench_peer_t peer;
    double target;               /* 0: shown, no target */
} s_pair_t;

static const s_pair_t s_pairs[] = {
    {"engine_durable_to_redis_always", S_ENGINE_DURABLE, "engine, durable", "redis_always", BENCH_PEER_REDIS_ALWAYS,
     S_ENGINE_DURABLE_OVER_REDIS},
    {"engine_non_durable_to_nats", S_ENGINE_VOLATILE, "engine, ESSP_DURABLE=0", "nats_file", BENCH_PEER_NATS_FILE,
     S_ENGINE_VOLATILE_OVER_NATS},
    {"application_to_redis_always", S_APPLICATION, "application, durable", "redis_always", BENCH_PEER_REDIS_ALWAYS,
     S_APPLICATION_OVER_REDIS},
    {"engine_non_durable_to_redis_everysec", S_ENGINE_VOLATILE, "engine, ESSP_DURABLE=0", "redis_everysec", BENCH_PEER_REDIS_EVERYSEC,
     0},
};
#define S_PAIRS (sizeof s_pairs / sizeof s_pairs[0])

static const char *const s_peer_keys[BENCH_PEERS] = {"redis_always", "redis_everysec", "nats_file"};

void bench_compare_application(bench_compare_t *self, size_t count, double per_s, const double *cpu_us,
                               int services)
{
    self->with_application = true;
    self->app_count = count;
    self->app_per_s = per_s;
    self->app_cpu_us = 0;
    for (int i = 0; i < services; i++)
        self->app_cpu_us += cpu_us[i];
}

static void s_load(double out[3])
{
    out[0] = out[1] = out[2] = -1;
    FILE *file = fopen("/proc/loadavg", "r");
    if (file && fscanf(file, "%lf %lf %lf", &out[0], &out[1], &out[2]) != 3)
        out[0] = out[1] = out[2] = -1;
    if (file)
        fclose(file);
}

int bench_compare_run(bench_compare_t *self, const char *bin_dir, bench_apps_t *apps, size_t count, bool peers)
{
    size_t len;
    const char *made = bench_apps_make(apps, 0, &len);
    char *record = malloc(len);
    if (!record)
        return -1;
    memcpy(record, made, len);
    self->count = count;
    self->record_bytes = len;
    s_load(self->load);
    int failures = 0;
    self->with_engine = true;
    for (int i = 0; i < 2; i++)
        if (bench_engine_run(bin_dir, record, len, count, i == 0, &self->engine[i]) != 0) {
            fprintf(stderr, "essp-bench: the engine (%s) did not complete: %s\n", i == 0 ? "durable" : "ESSP_DURABLE=0",
                    self->engine[i].why);
            self->engine[i].ran = false;
            failures++;
        }
    if (peers) {
        self->with_peers = true;
        if (bench_peers_run(record, len, count, self->peer) != 0)
            failures++;
        for (int i = 0; i < BENCH_PEERS; i++)
            if (!self->peer[i].ran)
                fprintf(stderr, "essp-bench: %s not measured: %s\n", bench_peer_name((bench_peer_t)i),
                        self->peer[i].why);
    }
    free(record);
    return failures ? -1 : 0;
}

/*  essp's figure of a pair; false when it was not measured. */
static bool s_essp(const bench_compare_t *self, const s_pair_t *pair, double *per_s)
{
    if (pair->essp == S_APPLICATION) {
        *per_s = self->app_per_s;
        return self->with_application && self->app_per_s > 0;
    }
    const bench_engine_result_t *engine = &self->engine[pair->essp == S_ENGINE_DURABLE ? 0 : 1];
    *per_s = engine->records_per_s;
    return self->with_engine && engine->ran && engine->records_per_s > 0;
}

/*  The ratio of a pair; false when either side was not measured. */
static bool s_ratio(const bench_compare_t *self, const s_pair_t *pair, double *ratio)
{
    double essp;
    const bench_peer_result_t *peer = &self->peer[pair->peer];
    if (!s_essp(self, pair, &essp) || !peer->ran || peer->records_per_s <= 0)
        return false;
    *ratio = essp / peer->records_per_s;
    return true;
}

/* ------------------------------------------------------------------ table */

static void s_row(const char *what, bool ran, double per_s, double cpu_us, const char *why)
{
    if (ran)
        printf("  %-38s %10.0f %12.1f\n", what, per_s, cpu_us);
    else
        printf("  %-38s not measured: %s\n", what, why);
}

static void s_engine_row(const char *what, const bench_engine_result_t *engine)
{
    if (engine->ran)
        printf("  %-38s %10.0f %12.1f  (pages written: %.2f KiB per record)\n", what, engine->records_per_s,
               engine->cpu_us_per_record, engine->written_kib_per_record);
    else
        s_row(what, false, 0, 0, engine->why);
}

void bench_compare_print_table(const bench_compare_t *self)
{
    if (!self->with_engine)
        return;
    if (self->with_peers)
        printf("\nessp beside the stacks a user would pick instead: %zu records of %zu bytes through four\n"
               "stages, each pulling a batch, appending it to the next stream and acknowledging it (the\n"
               "peers' stages pull 100 at a time)",
               self->count, self->record_bytes);
    else
        printf("\nthe engine alone: %zu records of %zu bytes through four stages", self->count, self->record_bytes);
    printf("; load average %.2f %.2f %.2f (1, 5, 15 min) when it began\n", self->load[0], self->load[1],
           self->load[2]);
    printf("  %-38s %10s %12s\n", "", "records/s", "CPU us/rec");
    if (self->with_application)
        printf("  %-38s %10.0f %12.1f  (%zu applications; CPU: the four services)\n", "essp application end to end, durable",
               self->app_per_s, self->app_cpu_us, self->app_count);
    s_engine_row("essp engine, durable", &self->engine[0]);
    s_engine_row("essp engine, ESSP_DURABLE=0", &self->engine[1]);
    if (!self->with_peers)
        return;
    for (int i = 0; i < BENCH_PEERS; i++)
        s_row(bench_peer_name((bench_peer_t)i), self->peer[i].ran, self->peer[i].records_per_s,
              self->peer[i].cpu_us_per_record, self->peer[i].why);
    printf("  (a peer's CPU: its server and the five clients' threads)\n\n");
    printf("  %-24s %-38s %8s   %s\n", "essp", "beside", "ratio", "target");
    for (size_t i = 0; i < S_PAIRS; i++) {
        const s_pair_t *pair = &s_pairs[i];
        double ratio = 0;
        bool measured = s_ratio(self, pair, &ratio);
        printf("  %-24s %-38s ", pair->essp_name, bench_peer_name(pair->peer));
        if (!measured)
            printf("%8s   %s\n", "-", pair->target > 0 ? "not measured" : "");
        else if (pair->target > 0)
            printf("   x%.2f   >= x%.0f: %s\n", ratio, pair->target, ratio >= pair->target ? "met" : "MISSED");
        else
            printf("   x%.2f\n", ratio);
    }
}

/* ------------------------------------------------------------------- JSON */

static void s_json_string(const char *text)
{
    putchar('"');
    for (const char *c = text; *c; c++)
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if ((unsigned char)*c >= 0x20)
            putchar(*c);
    putchar('"');
}

static void s_json_engine(const char *key, const bench_engine_result_t *e, const char *tail)
{
    printf("\"%s\":{\"ran\":%s,\"why\":", key, e->ran ? "true" : "false");
    s_json_string(e->why);
    printf(",\"records\":%zu,\"seconds\":%.3f,\"records_per_s\":%.1f,\"cpu_us_per_record\":%.1f,"
           "\"written_kib_per_record\":%.2f}%s",
           e->records, e->seconds, e->records_per_s, e->cpu_us_per_record, e->written_kib_per_record, tail);
}

static void s_json_peer(int i, const bench_peer_result_t *p, const char *tail)
{
    printf("\"%s\":{\"name\":", s_peer_keys[i]);
    s_json_string(bench_peer_name((bench_peer_t)i));
    printf(",\"ran\":%s,\"why\":", p->ran ? "true" : "false");
    s_json_string(p->why);
    printf(",\"records\":%zu,\"seconds\":%.3f,\"records_per_s\":%.1f,\"cpu_us_per_record\":%.1f}%s", p->records,
           p->seconds, p->records_per_s, p->cpu_us_per_record, tail);
}

static void s_json_comparison(const bench_compare_t *self)
{
    printf("\"comparison\":{");
    for (size_t i = 0; i < S_PAIRS; i++) {
        const s_pair_t *pair = &s_pairs[i];
        double ratio = 0;
        bool measured = s_ratio(self, pair, &ratio);
        printf("%s\"%s\":{\"peer\":\"%s\",", i ? "," : "", pair->key, pair->peer_key);
        if (measured)
            printf("\"value\":%.3f", ratio);
        else
            printf("\"value\":null");
        if (pair->target > 0)
            printf(",\"target\":%.1f,\"met\":%s", pair->target,
                   !measured ? "null" : ratio >= pair->target ? "true" : "false");
        printf("}");
    }
    printf("}");
}

void bench_compare_print_json(const bench_compare_t *self, const char *tail)
{
    printf("\"engine\":{\"records\":%zu,\"record_bytes\":%zu,\"load_average\":[%.2f,%.2f,%.2f],", self->count,
           self->record_bytes, self->load[0], self->load[1], self->load[2]);
    s_json_engine("durable", &self->engine[0], ",");
    s_json_engine("non_durable", &self->engine[1], "}");
    if (self->with_peers) {
        printf(",\"peers\":{");
        for (int i = 0; i < BENCH_PEERS; i++)
            s_json_peer(i, &self->peer[i], i + 1 < BENCH_PEERS ? "," : "},");
        s_json_comparison(self);
    }
    printf("%s", tail);
}

int bench_compare_engine_alone(const char *bin_dir, bench_apps_t *apps, size_t count, bool json)
{
    bench_compare_t compare;
    memset(&compare, 0, sizeof compare);
    int rc = bench_compare_run(&compare, bin_dir, apps, count, false);
    if (json) {
        printf("{");
        bench_compare_print_json(&compare, "}\n");
    } else
        bench_compare_print_table(&compare);
    return rc;
}
