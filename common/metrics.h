/*  common/metrics.h - what a service counts, for Prometheus and for health.
 *
 *  The loop thread owns the live figures and updates them without a lock:
 *  plain counters and histograms, by request type and outcome, per commit,
 *  per stream followed.  Every METRICS_PUBLISH_MS or so (metrics_publish,
 *  which the shell calls from its loop) it copies them, under a mutex,
 *  into a snapshot; the HTTP thread (common/metrics_server.h) copies that snapshot
 *  under the same mutex and renders it.  So a request costs a few additions
 *  and the HTTP thread never sees half a turn.  Counters start at zero at
 *  each start, as Prometheus expects of a counter.
 */
#ifndef ESSP_COMMON_METRICS_H
#define ESSP_COMMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_TYPES_MAX    64   /* request types, "invalid" included */
#define METRICS_OUTCOMES_MAX 16   /* "ok" and the error codes */
#define METRICS_RULES_MAX    64   /* distinct error rules; more count as "other" */
#define METRICS_NAME_MAX     32
#define METRICS_STREAMS_MAX  4
#define METRICS_READERS_MAX  8
#define METRICS_BUCKETS      16   /* finite buckets of a histogram; +Inf follows */
#define METRICS_PUBLISH_MS   200
#define METRICS_GAUGES_MAX   4    /* gauges of a service's core (service_def_t.gauges) */
#define METRICS_HELP_MAX     160

/*  A histogram: counts[i] is the number of observations <= bounds[i] and
 *  above bounds[i-1] (counts[METRICS_BUCKETS]: above the last bound). */
typedef struct {
    uint64_t counts[METRICS_BUCKETS + 1];
    uint64_t sum;
    uint64_t count;
} metrics_histogram_t;

/*  A stream this service follows, as its consumer last saw it. */
typedef struct {
    char producer[METRICS_NAME_MAX];
    uint64_t cursor;             /* the last seq applied and committed */
    uint64_t head;               /* the producer's head in its last batch (0 before any) */
    bool rewound;                /* head < cursor was seen: consumption stopped */
    bool key_missing;            /* a private stream whose producer key (keys/<producer>.cert)
                                  * is not there yet */
    bool unlinked;               /* no connection got through for 2 s or more (stream_consumer.h) */
    bool keyed;                  /* a private stream: pulled over CURVE with this service's key */
    int64_t answered_ms;         /* monotonic ms of the producer's last reply; 0: none yet */
    uint64_t applied;            /* events applied and committed since the start */
} metrics_stream_t;

/*  A figure of a service's core of its own, rendered as a gauge `name`
 *  (essp_...) with the service's label. */
typedef struct {
    char name[2 * METRICS_NAME_MAX];
    char help[METRICS_HELP_MAX];
    uint64_t value;
} metrics_gauge_t;

/*  A service that pulls this service's stream with its own key (auth.h's
 *  role "service"), as the producer sees it: from the `after` of its last
 *  pull.  The producer's view of a reader's lag holds while the reader
 *  itself is stopped and cannot say it. */
typedef struct {
    char name[METRICS_NAME_MAX];
    uint64_t after;              /* the reader's cursor in its last pull */
} metrics_reader_t;

typedef struct {
    char service[METRICS_NAME_MAX];
    int64_t started_ms;          /* monotonic ms of the start */
    int64_t taken_ms;            /* monotonic ms of this snapshot */
    uint64_t head;               /* this service's stream head */
    size_t type_count, outcome_count, rule_count;
    char types[METRICS_TYPES_MAX][METRICS_NAME_MAX];
    char outcomes[METRICS_OUTCOMES_MAX][METRICS_NAME_MAX];
    char rules[METRICS_RULES_MAX][METRICS_NAME_MAX];
    uint64_t requests[METRICS_TYPES_MAX][METRICS_OUTCOMES_MAX];
    metrics_histogram_t latency[METRICS_TYPES_MAX];   /* µs, per type */
    uint64_t errors[METRICS_RULES_MAX];
    metrics_histogram_t commit_items;   /* requests + events per commit */
    metrics_histogram_t commit_us;      /* time of a commit (its fsync), µs */
    size_t stream_count;
    metrics_stream_t streams[METRICS_STREAMS_MAX];
    size_t reader_count;
    metrics_reader_t readers[METRICS_READERS_MAX];
    bool has_space;              /* the store's figures below are known */
    uint64_t map_bytes, used_bytes, disk_free_bytes, disk_total_bytes;
    bool has_log_lost;
    uint64_t log_lost;           /* log lines that could not be written */
    size_t gauge_count;
    metrics_gauge_t gauges[METRICS_GAUGES_MAX];
} metrics_snapshot_t;

typedef struct metrics_t metrics_t;

metrics_t *metrics_new(const char *service, int64_t now_ms);
void metrics_destroy(metrics_t **self_p);

/*  The live figures, for the loop thread only: gauges are set there
 *  directly (head, streams, space). */
metrics_snapshot_t *metrics_live(metrics_t *self);

/*  One request answered: its type (NULL when it could not be decoded:
 *  counted as "invalid"), outcome ("ok" or the error code), the rule of
 *  an error (NULL when none) and its time from receipt to reply in µs
 *  (negative: not measured, e.g. a pull held by design). */
void metrics_request(metrics_t *self, const char *type, const char *outcome, const char *rule,
                     int64_t duration_us);

/*  A pull of this service's stream by the service `reader`, after seq
 *  `after`. */
void metrics_reader(metrics_t *self, const char *reader, uint64_t after);

/*  One committed write transaction: how many requests and events it
 *  held, and how long the commit took, in µs. */
void metrics_commit(metrics_t *self, size_t items, int64_t duration_us);

/*  Copies the live figures to the snapshot the HTTP thread reads (about
 *  20 KB: the caller does it every METRICS_PUBLISH_MS, not per request). */
void metrics_publish(metrics_t *self, int64_t now_ms);

/*  The last published snapshot, copied into *out (any thread). */
void metrics_read(metrics_t *self, metrics_snapshot_t *out);

/*  Writes the snapshot in Prometheus' text format, version 0.0.4. */
void metrics_write_text(const metrics_snapshot_t *s, FILE *out);

/*  Adds one observation to a histogram with the given finite bounds. */
void metrics_observe(metrics_histogram_t *h, const uint64_t bounds[METRICS_BUCKETS], uint64_t value);

#endif
