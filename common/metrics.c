/*  common/metrics.c - see metrics.h. */
#include "metrics.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct metrics_t {
    metrics_snapshot_t live;     /* the loop thread's */
    pthread_mutex_t lock;        /* guards shared */
    metrics_snapshot_t shared;   /* what the HTTP thread reads */
};

/*  Microseconds: from 50 µs (a pong) to 5 s (a turn behind a stalled disk). */
static const uint64_t s_us_bounds[METRICS_BUCKETS] = {50,     100,    250,    500,     1000,    2500,
                                                      5000,   10000,  25000,  50000,   100000,  250000,
                                                      500000, 1000000, 2500000, 5000000};
/*  Requests and events per commit: 1 to SERVICE_BATCH and the upstreams' batches. */
static const uint64_t s_item_bounds[METRICS_BUCKETS] = {1,   2,   4,    8,    16,   32,   64,    128,
                                                        256, 512, 1024, 2048, 4096, 8192, 16384, 32768};

metrics_t *metrics_new(const char *service, int64_t now_ms)
{
    metrics_t *self = calloc(1, sizeof *self);
    assert(self);
    snprintf(self->live.service, sizeof self->live.service, "%s", service);
    self->live.started_ms = now_ms;
    pthread_mutex_init(&self->lock, NULL);
    self->shared = self->live;
    return self;
}

void metrics_destroy(metrics_t **self_p)
{
    assert(self_p);
    metrics_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

metrics_snapshot_t *metrics_live(metrics_t *self)
{
    return &self->live;
}

void metrics_observe(metrics_histogram_t *h, const uint64_t bounds[METRICS_BUCKETS], uint64_t value)
{
    size_t i = 0;
    while (i < METRICS_BUCKETS && value > bounds[i])
        i++;
    h->counts[i]++;
    h->sum += value;
    h->count++;
}

/*  The index of name in table (count entries), added when there is room;
 *  else the last slot, named "other".  A linear search over a few dozen
 *  short names: names are compared by content, never by address, since
 *  a caller's buffer may hold another name at the next request. */
static size_t s_index(char table[][METRICS_NAME_MAX], size_t *count, size_t max, const char *name)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp(table[i], name) == 0)
            return i;
    if (*count + 1 >= max) {
        /* The last slot gathers what has no room of its own. */
        if (*count < max) {
            snprintf(table[*count], METRICS_NAME_MAX, "other");
            (*count)++;
        }
        return max - 1;
    }
    snprintf(table[*count], METRICS_NAME_MAX, "%s", name);
    return (*count)++;
}

void metrics_request(metrics_t *self, const char *type, const char *outcome, const char *rule,
                     int64_t duration_us)
{
    metrics_snapshot_t *s = &self->live;
    size_t t = s_index(s->types, &s->type_count, METRICS_TYPES_MAX, type ? type : "invalid");
    size_t o = s_index(s->outcomes, &s->outcome_count, METRICS_OUTCOMES_MAX, outcome ? outcome : "ok");
    s->requests[t][o]++;
    if (duration_us >= 0)
        metrics_observe(&s->latency[t], s_us_bounds, (uint64_t)duration_us);
    if (rule && *rule)
        s->errors[s_index(s->rules, &s->rule_count, METRICS_RULES_MAX, rule)]++;
}

void metrics_reader(metrics_t *self, const char *reader, uint64_t after)
{
    metrics_snapshot_t *s = &self->live;
    size_t i = 0;
    while (i < s->reader_count && strcmp(s->readers[i].name, reader) != 0)
        i++;
    if (i == s->reader_count) {
        if (i == METRICS_READERS_MAX)
            return;
        snprintf(s->readers[i].name, sizeof s->readers[i].name, "%s", reader);
        s->reader_count++;
    }
    s->readers[i].after = after;
}

void metrics_commit(metrics_t *self, size_t items, int64_t duration_us)
{
    metrics_observe(&self->live.commit_items, s_item_bounds, items);
    metrics_observe(&self->live.commit_us, s_us_bounds, duration_us > 0 ? (uint64_t)duration_us : 0);
}

void metrics_publish(metrics_t *self, int64_t now_ms)
{
    self->live.taken_ms = now_ms;
    pthread_mutex_lock(&self->lock);
    self->shared = self->live;
    pthread_mutex_unlock(&self->lock);
}

void metrics_read(metrics_t *self, metrics_snapshot_t *out)
{
    pthread_mutex_lock(&self->lock);
    *out = self->shared;
    pthread_mutex_unlock(&self->lock);
}

/* ---------------------------------------------------------- text format */

/*  A label value as the text format wants it: \\, \" and \n escaped. */
static void s_label(FILE *out, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '\\' || *c == '"')
            fprintf(out, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", out);
        else
            fputc(*c, out);
    }
}

static void s_head(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*  name{service="...",KEY="VALUE"} value, with one extra label or none. */
static void s_sample(FILE *out, const metrics_snapshot_t *s, const char *name, const char *key,
                     const char *value, uint64_t number)
{
    fprintf(out, "%s{service=\"", name);
    s_label(out, s->service);
    if (key) {
        fprintf(out, "\",%s=\"", key);
        s_label(out, value);
    }
    fprintf(out, "\"} %llu\n", (unsigned long long)number);
}

/*  The _bucket (cumulative), _sum and _count series of one histogram;
 *  labels: the text inside {} after service (may be empty). */
static void s_histogram(FILE *out, const metrics_snapshot_t *s, const char *name, const char *key,
                        const char *value, const metrics_histogram_t *h, const uint64_t bounds[METRICS_BUCKETS])
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= METRICS_BUCKETS; i++) {
        cumulative += h->counts[i];
        fprintf(out, "%s_bucket{service=\"", name);
        s_label(out, s->service);
        if (key) {
            fprintf(out, "\",%s=\"", key);
            s_label(out, value);
        }
        if (i < METRICS_BUCKETS)
            fprintf(out, "\",le=\"%llu\"} %llu\n", (unsigned long long)bounds[i], (unsigned long long)cumulative);
        else
            fprintf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
    }
    char series[96];
    snprintf(series, sizeof series, "%s_sum", name);
    s_sample(out, s, series, key, value, h->sum);
    snprintf(series, sizeof series, "%s_count", name);
    s_sample(out, s, series, key, value, h->count);
}

static void s_write_requests(const metrics_snapshot_t *s, FILE *out)
{
    s_head(out, "essp_requests_total", "counter", "Requests answered, by type and outcome (ok or the error code).");
    for (size_t t = 0; t < s->type_count; t++)
        for (size_t o = 0; o < s->outcome_count; o++) {
            if (!s->requests[t][o])
                continue;
            fprintf(out, "essp_requests_total{service=\"");
            s_label(out, s->service);
            fprintf(out, "\",type=\"");
            s_label(out, s->types[t]);
            fprintf(out, "\",outcome=\"");
            s_label(out, s->outcomes[o]);
            fprintf(out, "\"} %llu\n", (unsigned long long)s->requests[t][o]);
        }
    s_head(out, "essp_request_duration_microseconds", "histogram",
           "Time from a request's receipt to its reply, in microseconds, by type (pulls held open excluded).");
    for (size_t t = 0; t < s->type_count; t++)
        if (s->latency[t].count)
            s_histogram(out, s, "essp_request_duration_microseconds", "type", s->types[t], &s->latency[t],
                        s_us_bounds);
    s_head(out, "essp_errors_total", "counter", "Requests refused, by the rule they broke.");
    for (size_t r = 0; r < s->rule_count; r++)
        s_sample(out, s, "essp_errors_total", "rule", s->rules[r], s->errors[r]);
}

static void s_write_commits(const metrics_snapshot_t *s, FILE *out)
{
    s_head(out, "essp_commit_items", "histogram", "Requests and events in one committed write transaction (group commit).");
    s_histogram(out, s, "essp_commit_items", NULL, NULL, &s->commit_items, s_item_bounds);
    s_head(out, "essp_commit_duration_microseconds", "histogram",
           "Time of a commit, its fsync included, in microseconds.");
    s_histogram(out, s, "essp_commit_duration_microseconds", NULL, NULL, &s->commit_us, s_us_bounds);
}

static void s_write_streams(const metrics_snapshot_t *s, FILE *out)
{
    s_head(out, "essp_stream_head", "gauge", "The last committed seq of this service's stream.");
    s_sample(out, s, "essp_stream_head", NULL, NULL, s->head);
    static const struct {
        const char *name, *help;
    } gauges[] = {
        {"essp_consumer_cursor", "The last seq of the producer's stream this service applied and committed."},
        {"essp_consumer_producer_head", "The producer's head in the last batch this service received."},
        {"essp_consumer_lag", "Events of the producer's stream not yet applied (producer head - cursor)."},
        {"essp_consumer_rewound", "1 when the producer's stream was rewound (its head below the cursor, or another event "
                                  "at it): consumption stopped."},
        {"essp_consumer_unlinked",
         "1 while no connection to the producer gets through: it is down, or refuses this service's key."},
    };
    for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
        s_head(out, gauges[g].name, "gauge", gauges[g].help);
        for (size_t i = 0; i < s->stream_count; i++) {
            const metrics_stream_t *m = &s->streams[i];
            uint64_t values[] = {m->cursor, m->head, m->head > m->cursor ? m->head - m->cursor : 0, m->rewound,
                                 m->unlinked};
            s_sample(out, s, gauges[g].name, "producer", m->producer, values[g]);
        }
    }
    s_head(out, "essp_reader_cursor", "gauge", "The cursor of a service reading this stream, from its last pull.");
    for (size_t i = 0; i < s->reader_count; i++)
        s_sample(out, s, "essp_reader_cursor", "reader", s->readers[i].name, s->readers[i].after);
    s_head(out, "essp_reader_lag", "gauge",
           "Events of this stream a reading service has not pulled yet (head - its last pull's cursor).");
    for (size_t i = 0; i < s->reader_count; i++)
        s_sample(out, s, "essp_reader_lag", "reader", s->readers[i].name,
                 s->head > s->readers[i].after ? s->head - s->readers[i].after : 0);
    s_head(out, "essp_consumer_events_applied_total", "counter", "Events of the producer's stream applied and committed.");
    for (size_t i = 0; i < s->stream_count; i++)
        s_sample(out, s, "essp_consumer_events_applied_total", "producer", s->streams[i].producer,
                 s->streams[i].applied);
    s_head(out, "essp_consumer_silence_seconds", "gauge",
           "Seconds since the producer last answered a pull (since the start when it never did).");
    for (size_t i = 0; i < s->stream_count; i++) {
        const metrics_stream_t *m = &s->streams[i];
        int64_t since = m->answered_ms ? m->answered_ms : s->started_ms;
        s_sample(out, s, "essp_consumer_silence_seconds", "producer", m->producer,
                 s->taken_ms > since ? (uint64_t)(s->taken_ms - since) / 1000 : 0);
    }
}

static void s_write_space(const metrics_snapshot_t *s, FILE *out)
{
    if (s->has_space) {
        s_head(out, "essp_store_map_bytes", "gauge", "The LMDB map size of the service's store.");
        s_sample(out, s, "essp_store_map_bytes", NULL, NULL, s->map_bytes);
        s_head(out, "essp_store_used_bytes", "gauge", "The pages of the store in use (last page + 1, times the page size).");
        s_sample(out, s, "essp_store_used_bytes", NULL, NULL, s->used_bytes);
        s_head(out, "essp_disk_free_bytes", "gauge", "Bytes free for the service on the store's filesystem.");
        s_sample(out, s, "essp_disk_free_bytes", NULL, NULL, s->disk_free_bytes);
        s_head(out, "essp_disk_total_bytes", "gauge", "Size of the store's filesystem.");
        s_sample(out, s, "essp_disk_total_bytes", NULL, NULL, s->disk_total_bytes);
    }
    if (s->has_log_lost) {
        s_head(out, "essp_log_lines_lost_total", "counter", "Log lines that could not be written whole, hence not at all.");
        s_sample(out, s, "essp_log_lines_lost_total", NULL, NULL, s->log_lost);
    }
}

void metrics_write_text(const metrics_snapshot_t *s, FILE *out)
{
    s_write_requests(s, out);
    s_write_commits(s, out);
    s_write_streams(s, out);
    s_write_space(s, out);
    for (size_t i = 0; i < s->gauge_count && i < METRICS_GAUGES_MAX; i++) {
        s_head(out, s->gauges[i].name, "gauge", s->gauges[i].help);
        s_sample(out, s, s->gauges[i].name, NULL, NULL, s->gauges[i].value);
    }
    s_head(out, "essp_uptime_seconds", "gauge", "Seconds since the service started.");
    s_sample(out, s, "essp_uptime_seconds", NULL, NULL,
             s->taken_ms > s->started_ms ? (uint64_t)(s->taken_ms - s->started_ms) / 1000 : 0);
}
