/* Unit tests of common/log (one JSON line per message on stderr when the
 * log is not opened, filtered by ESSP_LOG) and common/html (the one
 * escaping of the project's pages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/html.h"
#include "common/log.h"

/*  What the log calls of fn write to stderr, into out. */
static void s_capture(void (*fn)(void), char *out, size_t cap)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *file = tmpfile();
    assert_non_null(file);
    dup2(fileno(file), STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(file);
    size_t len = fread(out, 1, cap - 1, file);
    out[len] = '\0';
    fclose(file);
}

static void s_all_levels(void)
{
    log_debug("a debug line %d", 1);
    log_info("an info line %s", "here");
    log_warn("a warning");
    log_error("an error");
}

static void s_count(const char *text, const char *tag, int expected)
{
    int count = 0;
    for (const char *p = text; (p = strstr(p, tag)); p += strlen(tag))
        count++;
    assert_int_equal(count, expected);
}

static void test_levels_follow_essp_log(void **state)
{
    (void)state;
    char out[4096];
    log_set_name("intake");
    unsetenv("ESSP_LOG");
    log_set_level_from_env();   /* unset: info, as before */
    s_capture(s_all_levels, out, sizeof out);
    s_count(out, "\"level\":\"debug\"", 0);
    s_count(out, ",\"service\":\"intake\",\"kind\":\"message\",\"level\":\"info\",\"msg\":\"an info line here\"}\n", 1);
    s_count(out, "\"level\":\"warn\",\"msg\":\"a warning\"}\n", 1);
    s_count(out, "\"level\":\"error\",\"msg\":\"an error\"}\n", 1);
    /* {"time":"2026-11-26T10:00:00.123Z",...: UTC, milliseconds. */
    assert_memory_equal(out, "{\"time\":\"", 9);
    assert_int_equal(out[13], '-');
    assert_int_equal(out[19], 'T');
    assert_int_equal(out[28], '.');
    assert_int_equal(out[32], 'Z');

    setenv("ESSP_LOG", "debug", 1);
    log_set_level_from_env();
    s_capture(s_all_levels, out, sizeof out);
    s_count(out, "\"level\":\"debug\",\"msg\":\"a debug line 1\"}\n", 1);
    s_count(out, "\n", 4);

    setenv("ESSP_LOG", "warn", 1);
    log_set_level_from_env();
    s_capture(s_all_levels, out, sizeof out);
    s_count(out, "\"info\"", 0);
    s_count(out, "\n", 2);

    setenv("ESSP_LOG", "error", 1);
    log_set_level_from_env();
    s_capture(s_all_levels, out, sizeof out);
    s_count(out, "\"warn\"", 0);
    s_count(out, "\"error\"", 1);

    /* A word it does not know changes nothing. */
    setenv("ESSP_LOG", "loud", 1);
    log_set_level_from_env();
    s_capture(s_all_levels, out, sizeof out);
    s_count(out, "\n", 1);
    unsetenv("ESSP_LOG");
}

static void test_html_escapes_the_five_characters(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    html_escape_z(out, "<a href=\"x\">Tom & Jerry's</a> é");
    html_escape_z(out, NULL);
    html_escape(out, "a<b", 2);   /* only len bytes */
    fclose(out);
    assert_string_equal(text, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; éa&lt;");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_follow_essp_log),
        cmocka_unit_test(test_html_escapes_the_five_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
