/* Unit tests of common/metrics and common/health: the text format
 * Prometheus reads (cumulative buckets, +Inf, _sum and _count, escaped
 * labels), counts by type, outcome and rule, what a snapshot holds once
 * published, and the lines of health for a stream that is silent, never
 * answered, lacks its producer's key, or was rewound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/health.h"
#include "common/metrics.h"

/*  The text of a snapshot (malloc'd). */
static char *s_text(const metrics_snapshot_t *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    metrics_write_text(s, out);
    fclose(out);
    return text;
}

static void s_has_line(const char *text, const char *line)
{
    char *wanted = malloc(strlen(line) + 3);
    sprintf(wanted, "\n%s\n", line);
    if (!strstr(text, wanted))
        fail_msg("no line «%s» in:\n%s", line, text);
    free(wanted);
}

static void test_requests_by_type_and_outcome(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("intake", 1000);
    metrics_request(m, "submit", "ok", NULL, 700);
    metrics_request(m, "submit", "ok", NULL, 3000);
    metrics_request(m, "submit", "invalid", "pattern", 40);
    metrics_request(m, NULL, "invalid", "trailing_bytes", 10);
    metrics_request(m, "pull", "ok", NULL, -1);
    metrics_publish(m, 2000);
    metrics_snapshot_t *s = malloc(sizeof *s);
    metrics_read(m, s);
    char *text = s_text(s);
    s_has_line(text, "essp_requests_total{service=\"intake\",type=\"submit\",outcome=\"ok\"} 2");
    s_has_line(text, "essp_requests_total{service=\"intake\",type=\"submit\",outcome=\"invalid\"} 1");
    s_has_line(text, "essp_requests_total{service=\"intake\",type=\"invalid\",outcome=\"invalid\"} 1");
    s_has_line(text, "essp_requests_total{service=\"intake\",type=\"pull\",outcome=\"ok\"} 1");
    s_has_line(text, "essp_errors_total{service=\"intake\",rule=\"pattern\"} 1");
    s_has_line(text, "essp_errors_total{service=\"intake\",rule=\"trailing_bytes\"} 1");
    /* Cumulative buckets: 40 <= 50; 700 <= 1000; 3000 <= 5000. */
    s_has_line(text, "essp_request_duration_microseconds_bucket{service=\"intake\",type=\"submit\",le=\"50\"} 1");
    s_has_line(text, "essp_request_duration_microseconds_bucket{service=\"intake\",type=\"submit\",le=\"500\"} 1");
    s_has_line(text, "essp_request_duration_microseconds_bucket{service=\"intake\",type=\"submit\",le=\"1000\"} 2");
    s_has_line(text, "essp_request_duration_microseconds_bucket{service=\"intake\",type=\"submit\",le=\"5000\"} 3");
    s_has_line(text, "essp_request_duration_microseconds_bucket{service=\"intake\",type=\"submit\",le=\"+Inf\"} 3");
    s_has_line(text, "essp_request_duration_microseconds_sum{service=\"intake\",type=\"submit\"} 3740");
    s_has_line(text, "essp_request_duration_microseconds_count{service=\"intake\",type=\"submit\"} 3");
    /* A held pull is counted, never timed. */
    assert_null(strstr(text, "type=\"pull\",le="));
    assert_non_null(strstr(text, "# TYPE essp_requests_total counter\n"));
    assert_non_null(strstr(text, "# TYPE essp_request_duration_microseconds histogram\n"));
    free(text);
    free(s);
    metrics_destroy(&m);
    assert_null(m);
}

static void test_only_published_figures_are_read(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("review", 0);
    metrics_commit(m, 3, 120);
    metrics_publish(m, 100);
    metrics_commit(m, 600, 9000000);   /* after the snapshot: not seen yet */
    metrics_snapshot_t *s = malloc(sizeof *s);
    metrics_read(m, s);
    char *text = s_text(s);
    s_has_line(text, "essp_commit_items_count{service=\"review\"} 1");
    s_has_line(text, "essp_commit_items_bucket{service=\"review\",le=\"2\"} 0");
    s_has_line(text, "essp_commit_items_bucket{service=\"review\",le=\"4\"} 1");
    s_has_line(text, "essp_commit_duration_microseconds_sum{service=\"review\"} 120");
    free(text);
    metrics_publish(m, 300);
    metrics_read(m, s);
    text = s_text(s);
    s_has_line(text, "essp_commit_items_count{service=\"review\"} 2");
    s_has_line(text, "essp_commit_items_bucket{service=\"review\",le=\"512\"} 1");
    s_has_line(text, "essp_commit_items_bucket{service=\"review\",le=\"1024\"} 2");
    /* Above the last bound: only +Inf holds it. */
    s_has_line(text, "essp_commit_duration_microseconds_bucket{service=\"review\",le=\"5000000\"} 1");
    s_has_line(text, "essp_commit_duration_microseconds_bucket{service=\"review\",le=\"+Inf\"} 2");
    free(text);
    free(s);
    metrics_destroy(&m);
}

static void test_labels_are_escaped_and_rules_bounded(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("desk", 0);
    metrics_request(m, "desk_get", "invalid", "a\"b\\c\nd", 1);
    char rule[32];
    for (int i = 0; i < METRICS_RULES_MAX + 10; i++) {
        snprintf(rule, sizeof rule, "rule_%d", i);
        metrics_request(m, "desk_get", "invalid", rule, 1);
    }
    metrics_publish(m, 1);
    metrics_snapshot_t *s = malloc(sizeof *s);
    metrics_read(m, s);
    char *text = s_text(s);
    s_has_line(text, "essp_errors_total{service=\"desk\",rule=\"a\\\"b\\\\c\\nd\"} 1");
    /* The rules past the table's room are counted together. */
    assert_int_equal(s->rule_count, METRICS_RULES_MAX);
    s_has_line(text, "essp_errors_total{service=\"desk\",rule=\"other\"} 12");
    free(text);
    free(s);
    metrics_destroy(&m);
}

static void test_streams_and_space(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("publication", 0);
    metrics_snapshot_t *live = metrics_live(m);
    live->head = 77;
    live->stream_count = 1;
    live->streams[0] = (metrics_stream_t){.producer = "review", .cursor = 40, .head = 52, .answered_ms = 4000,
                                          .unlinked = true};
    live->has_space = true;
    live->disk_free_bytes = 5;
    live->disk_total_bytes = 100;
    metrics_publish(m, 9000);
    metrics_snapshot_t *s = malloc(sizeof *s);
    metrics_read(m, s);
    char *text = s_text(s);
    s_has_line(text, "essp_stream_head{service=\"publication\"} 77");
    s_has_line(text, "essp_consumer_cursor{service=\"publication\",producer=\"review\"} 40");
    s_has_line(text, "essp_consumer_producer_head{service=\"publication\",producer=\"review\"} 52");
    s_has_line(text, "essp_consumer_lag{service=\"publication\",producer=\"review\"} 12");
    s_has_line(text, "essp_consumer_rewound{service=\"publication\",producer=\"review\"} 0");
    s_has_line(text, "essp_consumer_silence_seconds{service=\"publication\",producer=\"review\"} 5");
    s_has_line(text, "essp_consumer_unlinked{service=\"publication\",producer=\"review\"} 1");
    s_has_line(text, "essp_disk_free_bytes{service=\"publication\"} 5");
    s_has_line(text, "essp_disk_total_bytes{service=\"publication\"} 100");
    assert_null(strstr(text, "essp_log_lines_lost_total"));
    assert_null(strstr(text, "essp_intake_"));  /* no gauge of a core's own */
    free(text);
    free(s);
    metrics_destroy(&m);
}

/*  A core's own figures are gauges, named and explained as it says, with
 *  the service's label; only those it filled. */
static void test_a_core_gauge(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("intake", 0);
    metrics_snapshot_t *live = metrics_live(m);
    live->gauge_count = 1;
    live->gauges[0] = (metrics_gauge_t){.name = "essp_intake_index_writes", .help = "Writes held.", .value = 42};
    live->gauges[1] = (metrics_gauge_t){.name = "essp_not_filled", .help = "No.", .value = 1};
    metrics_publish(m, 1000);
    metrics_snapshot_t *s = malloc(sizeof *s);
    metrics_read(m, s);
    char *text = s_text(s);
    s_has_line(text, "# HELP essp_intake_index_writes Writes held.");
    s_has_line(text, "# TYPE essp_intake_index_writes gauge");
    s_has_line(text, "essp_intake_index_writes{service=\"intake\"} 42");
    assert_null(strstr(text, "essp_not_filled"));
    free(text);
    free(s);
    metrics_destroy(&m);
}

static void test_health_says_what_it_waits_for(void **state)
{
    (void)state;
    metrics_t *m = metrics_new("intake", 1000);
    metrics_snapshot_t *s = metrics_live(m);
    s->stream_count = 4;
    s->streams[0] = (metrics_stream_t){.producer = "validation", .cursor = 5, .head = 5, .answered_ms = 20000};
    s->streams[1] = (metrics_stream_t){.producer = "review", .cursor = 40, .head = 12, .rewound = true,
                                       .answered_ms = 24000};
    s->streams[2] = (metrics_stream_t){.producer = "publication", .key_missing = true};
    s->streams[3] = (metrics_stream_t){.producer = "notify"};
    char lines[HEALTH_WAITING_MAX][HEALTH_LINE_MAX];
    /* At 25 s: validation silent for 5 s only is still fine. */
    size_t n = health_waiting(s, 25000, lines, HEALTH_WAITING_MAX);
    assert_int_equal(n, 3);
    assert_string_equal(lines[0], "stopped: rewind of review (head 12 < cursor 40)");
    assert_string_equal(lines[1], "producer key keys/publication.cert missing");
    assert_string_equal(lines[2], "following notify: no answer yet (started 24 s ago)");
    /* A producer that refuses the key, or is down: no pull gets through. */
    s->streams[3].unlinked = true;
    s->streams[3].keyed = true;
    assert_int_equal(health_waiting(s, 25000, lines, HEALTH_WAITING_MAX), 3);
    assert_string_equal(lines[2], "following notify: no connection for 24 s (notify down, or not admitting "
                                  "keys/allowed/service-intake.cert)");
    /* A public stream has no key to refuse. */
    s->streams[3].keyed = false;
    assert_int_equal(health_waiting(s, 25000, lines, HEALTH_WAITING_MAX), 3);
    assert_string_equal(lines[2], "following notify: no connection for 24 s (notify down or unreachable)");
    s->streams[3].unlinked = false;
    n = health_waiting(s, 32500, lines, HEALTH_WAITING_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(lines[0], "following validation: not answered since 12 s");
    bool ready = true;
    char *json = health_json(s, 32500, &ready);
    assert_false(ready);
    json_error_t error;
    json_t *doc = json_loads(json, 0, &error);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "service")), "intake");
    assert_int_equal(json_array_size(json_object_get(doc, "waiting")), 4);
    json_t *review = json_array_get(json_object_get(doc, "streams"), 1);
    assert_true(json_is_true(json_object_get(review, "rewound")));
    assert_int_equal(json_integer_value(json_object_get(review, "lag")), 0);
    json_decref(doc);
    free(json);
    /* Every stream answering, nothing in the way: ready. */
    s->stream_count = 1;
    s->streams[0].answered_ms = 32000;
    assert_int_equal(health_waiting(s, 32500, lines, HEALTH_WAITING_MAX), 0);
    json = health_json(s, 32500, &ready);
    assert_true(ready);
    free(json);
    metrics_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_by_type_and_outcome),
        cmocka_unit_test(test_only_published_figures_are_read),
        cmocka_unit_test(test_labels_are_escaped_and_rules_bounded),
        cmocka_unit_test(test_streams_and_space),
        cmocka_unit_test(test_a_core_gauge),
        cmocka_unit_test(test_health_says_what_it_waits_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
