/* Unit tests of common/event_log: every line is one JSON object that a
 * JSON parser reads back (hostile bytes, broken UTF-8, huge strings), a
 * token never leaves a front end's path, the service's own file rotates by
 * size, and a line that cannot be written is counted, not half written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/event_log.h"

/*  The line parsed, asserting it is one JSON object ending in "\n". */
static json_t *s_parse(const char *line, size_t len)
{
    assert_true(len > 2 && len <= EVENT_LOG_LINE_MAX);
    assert_int_equal(line[len - 1], '\n');
    assert_null(memchr(line, '\n', len - 1));
    json_error_t error;
    json_t *value = json_loadb(line, len, 0, &error);
    if (!value)
        fail_msg("not JSON: %s in %.*s", error.text, (int)len, line);
    assert_true(json_is_object(value));
    return value;
}

static const char *s_str(json_t *object, const char *key)
{
    json_t *value = json_object_get(object, key);
    assert_true(json_is_string(value));
    return json_string_value(value);
}

static void test_a_request_line_holds_the_fields_and_nothing_more(void **state)
{
    (void)state;
    char line[EVENT_LOG_LINE_MAX];
    event_log_set_service("review");
    size_t len = event_log_format_request(line, sizeof line, "vote", "6bnydddqwwbk9b4q", "conflict", "state",
                                          1234, "Claire Moreau");
    json_t *v = s_parse(line, len);
    assert_string_equal(s_str(v, "service"), "review");
    assert_string_equal(s_str(v, "kind"), "request");
    assert_string_equal(s_str(v, "type"), "vote");
    assert_string_equal(s_str(v, "id"), "6bnydddqwwbk9b4q");
    assert_string_equal(s_str(v, "outcome"), "conflict");
    assert_string_equal(s_str(v, "rule"), "state");
    assert_string_equal(s_str(v, "actor"), "Claire Moreau");
    assert_int_equal(json_integer_value(json_object_get(v, "us")), 1234);
    /* 2026-12-06T08:00:00.123Z */
    const char *time = s_str(v, "time");
    assert_int_equal(strlen(time), 24);
    assert_int_equal(time[10], 'T');
    assert_int_equal(time[19], '.');
    assert_int_equal(time[23], 'Z');
    assert_int_equal(json_object_size(v), 9);
    json_decref(v);
    /* No id, rule or actor: no key at all. */
    len = event_log_format_request(line, sizeof line, "ping", NULL, "ok", "", 5, NULL);
    v = s_parse(line, len);
    assert_null(json_object_get(v, "id"));
    assert_null(json_object_get(v, "rule"));
    assert_null(json_object_get(v, "actor"));
    json_decref(v);
}

static void test_hostile_bytes_are_escaped_and_broken_utf8_replaced(void **state)
{
    (void)state;
    char line[EVENT_LOG_LINE_MAX];
    /* Quotes, a backslash, a newline, control bytes, DEL, a valid "é" and
     * "€", then bytes that are no UTF-8: a lone continuation, an overlong
     * "/", a surrogate, a truncated sequence at the end. */
    const char *hostile = "a\"b\\c\nd\re\x01\x1f\x7f é € \x80 \xc0\xaf \xed\xa0\x80 \xe2\x82";
    size_t len = event_log_format_request(line, sizeof line, hostile, hostile, "ok", NULL, 0, hostile);
    json_t *v = s_parse(line, len);
    const char *expected = "a\"b\\c\nd\re\x01\x1f\x7f é € \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd";
    assert_string_equal(s_str(v, "type"), expected);
    assert_string_equal(s_str(v, "actor"), expected);
    json_decref(v);
    /* No raw control byte reaches the line. */
    for (size_t i = 0; i + 1 < len; i++)
        assert_true((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
}

static void test_a_huge_field_is_shortened_and_the_line_stays_whole(void **state)
{
    (void)state;
    static char huge[20000], line[EVENT_LOG_LINE_MAX];
    /* Each '"' takes two bytes escaped, each \x01 six: cut on a whole
     * escape, never half of one. */
    for (size_t i = 0; i < sizeof huge - 1; i++)
        huge[i] = i % 3 == 0 ? '"' : i % 3 == 1 ? '\x01' : 'x';
    size_t len = event_log_format_request(line, sizeof line, "submit", "id1", "ok", NULL, 7, huge);
    json_t *v = s_parse(line, len);
    assert_string_equal(s_str(v, "id"), "id1");
    size_t kept = strlen(s_str(v, "actor"));
    assert_true(kept > 1000 && kept < 4000);
    assert_memory_equal(s_str(v, "actor"), huge, kept);
    json_decref(v);
}

static void test_a_front_end_path_keeps_no_token(void **state)
{
    (void)state;
    char out[128];
    event_log_path_without("/suivi/6bnyd?jeton=SECRET", SIZE_MAX, out, sizeof out);
    assert_string_equal(out, "/suivi/6bnyd");
    event_log_path_without("/invitation/SECRETTOKEN", 1, out, sizeof out);
    assert_string_equal(out, "/invitation/\xe2\x80\xa6");
    event_log_path_without("/invitation/SECRET/more#frag", 1, out, sizeof out);
    assert_string_equal(out, "/invitation/\xe2\x80\xa6");
    event_log_path_without("/comite/dossier/6bnyd", SIZE_MAX, out, sizeof out);
    assert_string_equal(out, "/comite/dossier/6bnyd");
    char small[8];
    event_log_path_without("/a-very-long-path", SIZE_MAX, small, sizeof small);
    assert_string_equal(small, "/a-very");
}

/*  Every line of a file, parsed; returns how many. */
static size_t s_lines_of(const char *path, const char *needle, size_t *with_needle)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return 0;
    char line[EVENT_LOG_LINE_MAX + 2];
    size_t count = 0;
    while (fgets(line, sizeof line, file)) {
        json_decref(s_parse(line, strlen(line)));
        count++;
        *with_needle += strstr(line, needle) != NULL;
    }
    fclose(file);
    return count;
}

static void test_the_service_file_rotates_by_size(void **state)
{
    (void)state;
    char home[] = "/tmp/essp-event-log-XXXXXX";
    assert_non_null(mkdtemp(home));
    setenv("ESSP_HOME", home, 1);
    setenv("ESSP_LOG_MAX_BYTES", "8192", 1);
    setenv("ESSP_LOG_FILES", "3", 1);
    unsetenv("JOURNAL_STREAM");
    assert_int_equal(event_log_open("validation"), 0);
    for (int i = 0; i < 400; i++)
        event_log_event("intake", (uint64_t)i + 1, "submitted", "6bnydddqwwbk9b4q", "ok");
    char path[256];
    size_t total = 0, events = 0;
    for (int i = 0; i < 4; i++) {
        if (i == 0)
            snprintf(path, sizeof path, "%s/log/validation.log", home);
        else
            snprintf(path, sizeof path, "%s/log/validation.log.%d", home, i);
        struct stat st;
        if (i == 3) {
            assert_int_not_equal(stat(path, &st), 0);   /* three files kept */
            break;
        }
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size <= 8192);
        assert_int_equal(st.st_mode & 0777, 0640);
        total += s_lines_of(path, "\"type\":\"submitted\"", &events);
        unlink(path);
    }
    /* The three files hold the last lines, nearly 3 x 8 KiB of them. */
    assert_true(total >= 3 * 8192 / 200 && events == total);
    assert_int_equal(event_log_lost(), 0);
    snprintf(path, sizeof path, "%s/log", home);
    rmdir(path);
    rmdir(home);
}

/*  The file's content. */
static size_t s_read(const char *path, char *out, size_t cap)
{
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    size_t len = fread(out, 1, cap - 1, file);
    out[len] = '\0';
    fclose(file);
    return len;
}

static void test_held_lines_wait_for_the_flush_and_a_message_goes_first(void **state)
{
    (void)state;
    char home[] = "/tmp/essp-event-log-XXXXXX", path[256], text[8192];
    assert_non_null(mkdtemp(home));
    setenv("ESSP_HOME", home, 1);
    setenv("ESSP_LOG_MAX_BYTES", "1048576", 1);
    assert_int_equal(event_log_open("intake"), 0);
    snprintf(path, sizeof path, "%s/log/intake.log", home);
    event_log_hold();
    event_log_event("review", 7, "decided", "id1", "ok");
    event_log_request("status", "id1", "ok", NULL, 3, NULL);
    assert_int_equal(s_read(path, text, sizeof text), 0);    /* held */
    /* A message writes what was held, then itself, at once. */
    event_log_message("error", "a turn failed");
    s_read(path, text, sizeof text);
    const char *decided = strstr(text, "\"decided\""), *status = strstr(text, "\"status\"");
    const char *message = strstr(text, "a turn failed");
    assert_true(decided && status && message && decided < status && status < message);
    event_log_request("ping", NULL, "ok", NULL, 1, NULL);
    s_read(path, text, sizeof text);
    assert_null(strstr(text, "\"ping\""));               /* held again */
    event_log_flush();
    s_read(path, text, sizeof text);
    assert_non_null(strstr(text, "\"ping\""));
    /* Not holding: at once. */
    event_log_request("submit", "id2", "ok", NULL, 1, NULL);
    size_t len = s_read(path, text, sizeof text);
    assert_non_null(strstr(text, "\"submit\""));
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, 5);
    unlink(path);
    snprintf(path, sizeof path, "%s/log", home);
    rmdir(path);
    rmdir(home);
}

static void test_a_line_that_cannot_be_written_is_counted(void **state)
{
    (void)state;
    /* The service's file is /dev/full: every write fails with ENOSPC. */
    char home[] = "/tmp/essp-event-log-XXXXXX", path[256];
    assert_non_null(mkdtemp(home));
    snprintf(path, sizeof path, "%s/log", home);
    assert_int_equal(mkdir(path, 0750), 0);
    snprintf(path, sizeof path, "%s/log/review.log", home);
    assert_int_equal(symlink("/dev/full", path), 0);
    setenv("ESSP_HOME", home, 1);
    uint64_t before = event_log_lost();
    assert_int_equal(event_log_open("review"), 0);
    for (int i = 0; i < 5; i++)
        event_log_request("vote", "6bnydddqwwbk9b4q", "ok", NULL, 10, "Claire Moreau");
    assert_int_equal(event_log_lost() - before, 5);
    unlink(path);
    snprintf(path, sizeof path, "%s/log", home);
    rmdir(path);
    rmdir(home);
}

static void test_under_systemd_lines_go_to_the_journal_with_their_priority(void **state)
{
    (void)state;
    /* The journal's stream is stderr, named by JOURNAL_STREAM: a file
     * stands in for its socket. */
    char home[] = "/tmp/essp-event-log-XXXXXX", path[256], text[4096];
    assert_non_null(mkdtemp(home));
    snprintf(path, sizeof path, "%s/journal", home);
    FILE *journal = fopen(path, "w+");
    assert_non_null(journal);
    struct stat st;
    assert_int_equal(fstat(fileno(journal), &st), 0);
    char stream[64];
    snprintf(stream, sizeof stream, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", stream, 1);
    setenv("ESSP_HOME", home, 1);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(journal), STDERR_FILENO);
    assert_int_equal(event_log_open("review"), 0);
    event_log_request("vote", "id1", "ok", NULL, 3, "Claire Moreau");
    event_log_message("error", "a turn failed");
    dup2(saved, STDERR_FILENO);
    close(saved);
    unsetenv("JOURNAL_STREAM");
    s_read(path, text, sizeof text);
    /* One entry per line, its priority first (taken off by the journal). */
    assert_memory_equal(text, "<6>{\"time\":", 11);
    assert_non_null(strstr(text, "\"type\":\"vote\""));
    const char *error = strstr(text, "\n<3>{\"time\":");
    assert_non_null(error);
    assert_non_null(strstr(error, "\"level\":\"error\",\"msg\":\"a turn failed\"}\n"));
    /* No file of its own. */
    snprintf(text, sizeof text, "%s/log/review.log", home);
    assert_int_not_equal(stat(text, &st), 0);
    fclose(journal);
    unlink(path);
    snprintf(path, sizeof path, "%s/log", home);
    rmdir(path);
    rmdir(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_request_line_holds_the_fields_and_nothing_more),
        cmocka_unit_test(test_hostile_bytes_are_escaped_and_broken_utf8_replaced),
        cmocka_unit_test(test_a_huge_field_is_shortened_and_the_line_stays_whole),
        cmocka_unit_test(test_a_front_end_path_keeps_no_token),
        cmocka_unit_test(test_the_service_file_rotates_by_size),
        cmocka_unit_test(test_held_lines_wait_for_the_flush_and_a_message_goes_first),
        cmocka_unit_test(test_a_line_that_cannot_be_written_is_counted),
        cmocka_unit_test(test_under_systemd_lines_go_to_the_journal_with_their_priority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
