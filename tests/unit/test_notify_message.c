/*  The e-mail composer of essp-notify (services/notify/message.h): what a
 *  mail client and an SMTP server would check, line by line. */
#include "services/notify/message.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const message_t s_base = {
    .date = 1796515200,          /* 2026-12-06 00:00:00 UTC, a Sunday */
    .message_id = "intake.42.0123456789abcdef@example.org",
    .from = "essp@example.org",
    .to = "contact@mutuelle.example",
    .to_name = "Zoé Brochard",
    .subject = "Votre candidature n° A1 est enregistrée",
    .text = "Bonjour,\nligne\n",
    .html = "<p>Bonjour</p>\n",
};

static char *s_compose(const message_t *m, size_t *len)
{
    char *out = NULL;
    assert_int_equal(message_compose(m, &out, len), 0);
    assert_non_null(out);
    return out;
}

/*  Every line ends with CRLF, no bare CR or LF, none over 76 characters
 *  (the parts' limit; headers stay far below 998). */
static void s_assert_lines(const char *out, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '\r') {
            assert_true(i + 1 < len && out[i + 1] == '\n');
            assert_true(i - start <= 78);
            start = i + 2;
            i++;
        } else
            assert_true(out[i] != '\n');
    }
    assert_int_equal(start, len);
}

/*  The headers: from the start to the first empty line. */
static char *s_headers(const char *out)
{
    const char *end = strstr(out, "\r\n\r\n");
    size_t len = end ? (size_t) (end - out) + 2 : 0;
    assert_true(len > 0);
    return strndup(out, len);
}

static void test_headers_are_all_there(void **state)
{
    (void) state;
    size_t len;
    char *out = s_compose(&s_base, &len);
    char *h = s_headers(out);
    assert_non_null(strstr(h, "Date: Sun, 06 Dec 2026 00:00:00 +0000\r\n"));
    assert_non_null(strstr(h, "Message-ID: <intake.42.0123456789abcdef@example.org>\r\n"));
    assert_non_null(strstr(h, "From: ESS Pratiques <essp@example.org>\r\n"));
    assert_non_null(strstr(h, "<contact@mutuelle.example>\r\n"));
    assert_non_null(strstr(h, "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(h, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(h, "Auto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(h, "Content-Type: multipart/alternative;\r\n boundary=\"=_essp_"));
    assert_null(strstr(h, "List-Unsubscribe"));
    s_assert_lines(out, len);
    free(h);
    free(out);
}

static void test_list_unsubscribe_only_when_asked(void **state)
{
    (void) state;
    message_t m = s_base;
    m.list_unsubscribe = "http://127.0.0.1:7711/preferences";
    size_t len;
    char *out = s_compose(&m, &len);
    assert_non_null(strstr(out, "List-Unsubscribe: <http://127.0.0.1:7711/preferences>\r\n"));
    free(out);
    m.list_unsubscribe = "http://x/\r\nBcc: a@b";
    char *bad = NULL;
    assert_int_equal(message_compose(&m, &bad, &len), -1);
    assert_null(bad);
}

/*  A name with CR/LF and a header after it never makes a header: it is
 *  only ever an encoded-word. */
static void test_a_name_cannot_inject_a_header(void **state)
{
    (void) state;
    message_t m = s_base;
    m.to_name = "Zoé\r\nBcc: victim@example.com\r\n";
    m.subject = "Objet\r\nBcc: victim@example.com";
    size_t len;
    char *out = s_compose(&m, &len);
    char *h = s_headers(out);
    assert_null(strstr(h, "Bcc"));
    assert_null(strstr(h, "victim"));
    s_assert_lines(out, len);
    free(h);
    free(out);
}

static void test_encoded_words_are_short_and_whole(void **state)
{
    (void) state;
    message_t m = s_base;
    char subject[600] = "";
    for (int i = 0; i < 60; i++)
        strcat(subject, "éèà ");
    m.subject = subject;
    size_t len;
    char *out = s_compose(&m, &len);
    char *h = s_headers(out);
    for (char *w = strstr(h, "=?UTF-8?B?"); w; w = strstr(w + 1, "=?UTF-8?B?")) {
        char *end = strstr(w, "?=");
        assert_non_null(end);
        assert_true(end + 2 - w <= 75);
    }
    free(h);
    free(out);
}

static void test_addresses_are_checked(void **state)
{
    (void) state;
    const char *reason = NULL;
    assert_true(message_address_check("a.b+c@example.org", NULL));
    const char *bad[] = { "", "a", "a@", "@b", "a b@c.org", "a@b@c", "a@b.org\r\nBcc: x@y", "zoé@exemple.fr",
                          "<a@b.org>", "a@b.org,c@d.org", "a\t@b.org" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        reason = NULL;
        assert_false(message_address_check(bad[i], &reason));
        assert_non_null(reason);
    }
    message_t m = s_base;
    m.to = "a@b.org\r\nBcc: x@y.org";
    char *out = NULL;
    size_t len;
    assert_int_equal(message_compose(&m, &out, &len), -1);
    assert_null(out);
}

static void test_message_ids_are_deterministic(void **state)
{
    (void) state;
    char a[160], b[160], c[160], d[160];
    message_id_make(a, sizeof a, "intake", 42, 1796515200, "Contact@Mutuelle.example", "example.org");
    message_id_make(b, sizeof b, "intake", 42, 1796515200, "contact@mutuelle.example", "example.org");
    message_id_make(c, sizeof c, "intake", 43, 1796515200, "contact@mutuelle.example", "example.org");
    /* Seq 42 again, of another event: intake restored from a backup. */
    message_id_make(d, sizeof d, "intake", 42, 1796515260, "contact@mutuelle.example", "example.org");
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_int_equal(strncmp(a, "intake.42.1796515200.", 21), 0);
    assert_int_equal(strlen(a), strlen("intake.42.1796515200.") + 16 + strlen("@example.org"));
    assert_true(message_id_check(a));
    assert_string_equal(message_address_domain("essp@cress-pdl.org"), "cress-pdl.org");
    assert_string_equal(message_address_domain("nobody"), "essp.invalid");
}

/*  Quoted-printable: '=' encoded, long lines soft-broken at 76, trailing
 *  spaces encoded, a leading dot encoded. */
static void test_quoted_printable_bodies(void **state)
{
    (void) state;
    message_t m = s_base;
    char text[1200];
    memset(text, 'x', 500);
    strcpy(text + 500, " a=b trailing \n.dot\nFrom here\n");
    m.text = text;
    size_t len;
    char *out = s_compose(&m, &len);
    s_assert_lines(out, len);
    assert_non_null(strstr(out, "a=3Db"));
    assert_non_null(strstr(out, "trailing=20\r\n"));
    assert_non_null(strstr(out, "\r\n=2Edot\r\n"));
    assert_non_null(strstr(out, "\r\n=46rom here\r\n"));
    assert_non_null(strstr(out, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(out, "Content-Type: text/html; charset=utf-8\r\n"));
    free(out);
}

static void test_french_dates(void **state)
{
    (void) state;
    char text[40], rfc[40];
    message_date_fr(1828656000, text, sizeof text);     /* 2027-12-13 */
    assert_string_equal(text, "13 décembre 2027");
    message_date_fr(1827619200, text, sizeof text);     /* 2027-12-01 */
    assert_string_equal(text, "1er décembre 2027");
    message_date(0, rfc);
    assert_string_equal(rfc, "Thu, 01 Jan 1970 00:00:00 +0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_are_all_there),
        cmocka_unit_test(test_list_unsubscribe_only_when_asked),
        cmocka_unit_test(test_a_name_cannot_inject_a_header),
        cmocka_unit_test(test_encoded_words_are_short_and_whole),
        cmocka_unit_test(test_addresses_are_checked),
        cmocka_unit_test(test_message_ids_are_deterministic),
        cmocka_unit_test(test_quoted_printable_bodies),
        cmocka_unit_test(test_french_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
