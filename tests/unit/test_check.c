/* Unit tests of essp check (services/cli/check.c), in-process: every
 * fixture of tests/fixtures/applications, its exit code, its JSON report
 * and its text for people; --today moving the day things are judged on;
 * files that cannot be read or break the schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "services/cli/check.h"
#include "services/cli/client.h"
#include "proto/date.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The fixtures' reference day (tests/fixtures/applications/README.md). */
static int32_t s_day(const char *text)
{
    int32_t day = 0;
    assert_int_equal(date_parse(text, strlen(text), &day), 0);
    return day;
}

typedef struct {
    int rc;
    char out[65536];
    char err[4096];
} run_t;

/*  check_file on path, what it wrote on out and err kept. */
static void s_check(run_t *run, const char *path, int32_t today, bool text)
{
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    run->rc = check_file(path, today, text, out, err);
    rewind(out);
    rewind(err);
    size_t n = fread(run->out, 1, sizeof run->out - 1, out);
    run->out[n] = '\0';
    n = fread(run->err, 1, sizeof run->err - 1, err);
    run->err[n] = '\0';
    fclose(out);
    fclose(err);
}

static void s_fixture(char *path, size_t cap, const char *folder, const char *name)
{
    const char *root = getenv("ESSP_FIXTURES");
    assert_non_null(root);
    snprintf(path, cap, "%s/applications/%s/%s", root, folder, name);
}

/*  The criterion `code` of a JSON report, or NULL. */
static json_t *s_criterion(json_t *report, const char *code)
{
    size_t i;
    json_t *criterion;
    json_array_foreach(json_object_get(report, "criteria"), i, criterion)
        if (strcmp(json_string_value(json_object_get(criterion, "code")), code) == 0)
            return criterion;
    return NULL;
}

/*  Runs fn on every fixture of folder. */
static size_t s_each_fixture(const char *folder, void (*fn)(const char *path, const char *name))
{
    char dir[1024];
    s_fixture(dir, sizeof dir, folder, "");
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t count = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[2048];
        s_fixture(path, sizeof path, folder, e->d_name);
        fn(path, e->d_name);
        count++;
    }
    closedir(d);
    return count;
}

static void s_valid(const char *path, const char *name)
{
    static run_t run;
    s_check(&run, path, s_day("2026-11-26"), false);
    if (run.rc != EXIT_OK)
        fail_msg("%s: exit %d: %s", name, run.rc, run.err);
    assert_string_equal(run.err, "");
    /* One line of JSON: the report. */
    const char *newline = strchr(run.out, '\n');
    assert_non_null(newline);
    assert_string_equal(newline, "\n");
    json_error_t error;
    json_t *report = json_loads(run.out, 0, &error);
    assert_non_null(report);
    assert_string_equal(json_string_value(json_object_get(report, "verdict")), "review");
    assert_string_equal(json_string_value(json_object_get(report, "charter")), "2018.1");
    assert_true(json_array_size(json_object_get(report, "criteria")) > 20);
    json_decref(report);
}

static void test_valid_fixtures_exit_0_with_a_review_verdict(void **state)
{
    assert_true(s_each_fixture("valid", s_valid) >= 7);
}

/*  An invalid fixture's criterion (the code its name starts with) fails
 *  or warns; the exit code is 1 exactly when a blocking criterion fails
 *  (verdict "incomplete"). */
static void s_invalid(const char *path, const char *name)
{
    static run_t run;
    s_check(&run, path, s_day("2026-11-26"), false);
    json_error_t error;
    json_t *report = json_loads(run.out, 0, &error);
    if (!report)
        fail_msg("%s: no JSON report (exit %d): %s", name, run.rc, run.err);
    char code[64];
    const char *dash = strchr(name, '-');
    dash = dash ? strchr(dash + 1, '-') : NULL;
    assert_non_null(dash);
    snprintf(code, sizeof code, "%.*s", (int)(dash - name), name);
    json_t *criterion = s_criterion(report, code);
    if (!criterion)
        fail_msg("%s: no criterion %s in the report", name, code);
    const char *outcome = json_string_value(json_object_get(criterion, "outcome"));
    if (strcmp(outcome, "fail") != 0 && strcmp(outcome, "warn") != 0)
        fail_msg("%s: %s gives %s", name, code, outcome);
    bool incomplete = strcmp(json_string_value(json_object_get(report, "verdict")), "incomplete") == 0;
    bool blocking_fail = strcmp(outcome, "fail") == 0 && json_is_true(json_object_get(criterion, "blocking"));
    assert_int_equal(incomplete, blocking_fail);
    if (run.rc != (incomplete ? EXIT_REFUSED : EXIT_OK))
        fail_msg("%s: exit %d with verdict %s", name, run.rc, incomplete ? "incomplete" : "review");
    json_decref(report);
}

static void test_invalid_fixtures_fail_their_criterion_and_exit_1_when_blocking(void **state)
{
    assert_true(s_each_fixture("invalid", s_invalid) >= 30);
}

static void test_text_says_the_verdict_and_each_criterion(void **state)
{
    static run_t run;
    char path[2048];
    s_fixture(path, sizeof path, "valid", "scop-ancrage-conseil-nantes.json");
    s_check(&run, path, s_day("2026-11-26"), true);
    assert_int_equal(run.rc, EXIT_OK);
    assert_int_equal(strncmp(run.out, "Charte ESS Pratiques (règles de 2018.1)\n",
                             strlen("Charte ESS Pratiques (règles de 2018.1)\n")), 0);
    assert_non_null(strstr(run.out, "Verdict : dossier complet"));
    assert_non_null(strstr(run.out, "\nESS-FORM      conforme : Statut juridique reconnu par la charte : "
                                    "Société coopérative et participative (SCOP).\n"));
    assert_non_null(strstr(run.out, "\nLOY-CHARTER   conforme"));

    s_fixture(path, sizeof path, "invalid", "ESS-ID-siret-checksum.json");
    s_check(&run, path, s_day("2026-11-26"), true);
    assert_int_equal(run.rc, EXIT_REFUSED);
    assert_non_null(strstr(run.out, "Verdict : dossier incomplet, 1 critère à corriger"));
    assert_non_null(strstr(run.out, "\nESS-ID        non conforme : "));
    assert_non_null(strstr(run.out, "[champ : organisation.siret]"));
    assert_string_equal(run.err, "");
}

/*  The day things are judged on moves dates from future to past. */
static void test_today_moves_the_day_of_judgement(void **state)
{
    static run_t run;
    char path[2048];
    s_fixture(path, sizeof path, "invalid", "REF-DATES-future.json");
    s_check(&run, path, s_day("2026-11-26"), false);
    json_t *report = json_loads(run.out, 0, NULL);
    assert_non_null(report);
    assert_string_equal(json_string_value(json_object_get(s_criterion(report, "REF-DATES"), "outcome")),
                        "fail");
    json_decref(report);
    s_check(&run, path, s_day("2031-01-01"), false);
    report = json_loads(run.out, 0, NULL);
    assert_non_null(report);
    assert_string_not_equal(json_string_value(json_object_get(s_criterion(report, "REF-DATES"), "outcome")),
                            "fail");
    json_decref(report);

    /* An agreement that ran out: valid when it still ran. */
    s_fixture(path, sizeof path, "invalid", "ESS-ESUS-expired.json");
    s_check(&run, path, s_day("2026-11-26"), false);
    assert_int_equal(run.rc, EXIT_REFUSED);
    s_check(&run, path, s_day("2024-01-01"), false);
    report = json_loads(run.out, 0, NULL);
    assert_non_null(report);
    assert_string_equal(json_string_value(json_object_get(s_criterion(report, "ESS-ESUS"), "outcome")),
                        "pass");
    json_decref(report);
    /* ... and not yet granted before it was. */
    s_check(&run, path, s_day("2020-01-01"), false);
    assert_int_equal(run.rc, EXIT_REFUSED);
}

static void test_unreadable_or_refused_files_exit_1_and_say_why(void **state)
{
    static run_t run;
    s_check(&run, "/nonexistent/essp/application.json", s_day("2026-11-26"), false);
    assert_int_equal(run.rc, EXIT_REFUSED);
    assert_string_equal(run.out, "");
    assert_non_null(strstr(run.err, "cannot read /nonexistent/essp/application.json"));

    char path[] = "/tmp/essp-test-check-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"organisation\": {}}", f);
    fclose(f);
    s_check(&run, path, s_day("2026-11-26"), false);
    assert_int_equal(run.rc, EXIT_REFUSED);
    assert_string_equal(run.out, "");
    assert_non_null(strstr(run.err, "rule "));
    assert_non_null(strstr(run.err, "field "));

    f = fopen(path, "w");
    fputs("{not json", f);
    fclose(f);
    s_check(&run, path, s_day("2026-11-26"), true);
    assert_int_equal(run.rc, EXIT_REFUSED);
    assert_string_equal(run.out, "");
    assert_non_null(strstr(run.err, path));
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_fixtures_exit_0_with_a_review_verdict),
        cmocka_unit_test(test_invalid_fixtures_fail_their_criterion_and_exit_1_when_blocking),
        cmocka_unit_test(test_text_says_the_verdict_and_each_criterion),
        cmocka_unit_test(test_today_moves_the_day_of_judgement),
        cmocka_unit_test(test_unreadable_or_refused_files_exit_1_and_say_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
