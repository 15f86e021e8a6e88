/* Unit tests of essp-notify's shell: the Paris clock of the daily digest,
 * the Maildir the letters go to when no SMTP server is set, and what the
 * SMTP client keeps of a server's words and of its host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "services/notify/maildir.h"
#include "services/notify/schedule.h"
#include "services/notify/smtp.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_paris_offset_winter_and_summer(void **state)
{
    assert_int_equal(schedule_paris_offset(1768456800), 3600);    /* 2026-01-15 06:00 UTC */
    assert_int_equal(schedule_paris_offset(1782889200), 7200);    /* 2026-07-01 07:00 UTC */
}

static void test_paris_offset_changes_at_one_utc_on_the_last_sundays(void **state)
{
    assert_int_equal(schedule_paris_offset(1774745999), 3600);    /* 2026-03-29 00:59:59 UTC */
    assert_int_equal(schedule_paris_offset(1774746000), 7200);    /* 01:00:00 */
    assert_int_equal(schedule_paris_offset(1792889999), 7200);    /* 2026-10-25 00:59:59 UTC */
    assert_int_equal(schedule_paris_offset(1792890000), 3600);    /* 01:00:00 */
}

static void test_next_digest_is_eight_in_paris(void **state)
{
    /* 07:00 in Paris in winter: 08:00 is 07:00 UTC the same day. */
    assert_int_equal(schedule_next_at_hour(1768456800, 8), 1768456800 + 3600);
    /* 09:00 in Paris in summer: tomorrow 08:00, 06:00 UTC. */
    assert_int_equal(schedule_next_at_hour(1782889200, 8), 1782972000);
    /* 08:30 on the Saturday before the change to summer time: Sunday 08:00
     * is already CEST, 06:00 UTC. */
    assert_int_equal(schedule_next_at_hour(1774683000, 8), 1774764000);
    /* Exactly at the hour: the next day's. */
    assert_int_equal(schedule_next_at_hour(1768456800 + 3600, 8), 1768456800 + 3600 + 86400);
}

static int s_count(const char *dir, char *name, size_t cap)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') {
            count++;
            snprintf(name, cap, "%s", e->d_name);
        }
    closedir(d);
    return count;
}

static void test_maildir_renames_into_new_once_per_letter(void **state)
{
    char root[] = "/tmp/essp-maildir-XXXXXX";
    assert_non_null(mkdtemp(root));
    assert_int_equal(maildir_prepare(root), 0);
    const char message[] = "From: a@example.org\r\nTo: b@example.org\r\nSubject: Bonjour\r\n\r\nCorps\r\n";
    const char *id = "submitted.12.0123abcd@esspratiques.fr";
    assert_int_equal(maildir_deliver(root, id, strlen(id), message, sizeof message - 1), 0);
    /* Written again (a crash before the sent mark): the same file. */
    assert_int_equal(maildir_deliver(root, id, strlen(id), message, sizeof message - 1), 0);
    char dir[600], name[300], path[1000];
    snprintf(dir, sizeof dir, "%s/new", root);
    assert_int_equal(s_count(dir, name, sizeof name), 1);
    assert_non_null(strstr(name, ".eml"));
    assert_null(strchr(name, ':'));
    snprintf(dir, sizeof dir, "%s/tmp", root);
    assert_int_equal(s_count(dir, name, sizeof name), 0);
    /* Another letter: another file. */
    const char *other = "submitted.13.0123abcd@esspratiques.fr";
    assert_int_equal(maildir_deliver(root, other, strlen(other), message, sizeof message - 1), 0);
    snprintf(dir, sizeof dir, "%s/new", root);
    assert_int_equal(s_count(dir, name, sizeof name), 2);
    snprintf(path, sizeof path, "%s/new/%s", root, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char back[200];
    size_t n = fread(back, 1, sizeof back, f);
    fclose(f);
    assert_int_equal(n, sizeof message - 1);
    assert_memory_equal(back, message, n);
    char command[700];
    snprintf(command, sizeof command, "rm -rf '%s'", root);
    assert_int_equal(system(command), 0);
}

static void test_maildir_reports_a_directory_it_cannot_write(void **state)
{
    const char *id = "x@y";
    assert_int_equal(maildir_deliver("/nonexistent/essp-mail", id, 3, "a", 1), -1);
}

/*  A reply in Latin-1 (or anything not ASCII) becomes '?': the core
 *  stores only valid UTF-8, and a cut never falls inside a character. */
static void test_a_server_line_is_kept_in_printable_ascii(void **state)
{
    char out[16];
    const char latin1[] = "550 Refus\xe9 \x01\x7f";
    smtp_printable(latin1, sizeof latin1 - 1, out, sizeof out);
    assert_string_equal(out, "550 Refus? ??");
    const char utf8[] = "451 \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    smtp_printable(utf8, sizeof utf8 - 1, out, sizeof out);
    assert_string_equal(out, "451 ???????????");
    smtp_printable("250 OK", 6, out, 4);
    assert_string_equal(out, "250");
}

static void test_loopback_hosts(void **state)
{
    assert_true(smtp_host_is_loopback("127.0.0.1"));
    assert_true(smtp_host_is_loopback("127.1.2.3"));
    assert_true(smtp_host_is_loopback("localhost"));
    assert_true(smtp_host_is_loopback("[::1]"));
    assert_true(smtp_host_is_loopback("::1"));
    assert_false(smtp_host_is_loopback("128.0.0.1"));
    assert_false(smtp_host_is_loopback("mail.example.org"));
    assert_false(smtp_host_is_loopback("localhost.example.org"));
    assert_false(smtp_host_is_loopback("[::2]"));
    assert_false(smtp_host_is_loopback(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paris_offset_winter_and_summer),
        cmocka_unit_test(test_paris_offset_changes_at_one_utc_on_the_last_sundays),
        cmocka_unit_test(test_next_digest_is_eight_in_paris),
        cmocka_unit_test(test_maildir_renames_into_new_once_per_letter),
        cmocka_unit_test(test_maildir_reports_a_directory_it_cannot_write),
        cmocka_unit_test(test_a_server_line_is_kept_in_printable_ascii),
        cmocka_unit_test(test_loopback_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
