/* Unit tests of what an advisor's page says to make the listing
 * trustworthy (services/mirror/site_trust.c), from entries written as
 * JSON: since and until when, the training the charter asks for (a session
 * is behind only strictly before the day of the decision, as the charter
 * counts), the references; what an older entry, or a strange one, gives. */
#define _GNU_SOURCE  /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json_doc.h"
#include "proto/date.h"
#include "services/mirror/site_write.h"

/* 2026-12-06 10:00 UTC: the day of the decision in these entries. */
#define S_APPROVED "1796551200"

typedef void (*s_section_fn)(FILE *f, const msgpack_object *entry);

/*  The HTML a section writes for an entry given as JSON; freed by the caller. */
static char *s_render(s_section_fn section, const char *json)
{
    json_doc_t doc;
    json_doc_init(&doc, json);
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    assert_non_null(f);
    section(f, &doc.obj);
    fclose(f);
    json_doc_fini(&doc);
    return html;
}

static site_training_t s_training(const char *people)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"approved_at\": " S_APPROVED ", \"trained_people\": %s}", people);
    json_doc_t doc;
    json_doc_init(&doc, json);
    site_training_t t;
    site_training_of(&doc.obj, &t);
    json_doc_fini(&doc);
    return t;
}

static int32_t s_day(const char *iso)
{
    int32_t days;
    assert_int_equal(date_parse(iso, strlen(iso), &days), 0);
    return days;
}

static void test_a_session_is_behind_only_before_the_day_of_the_decision(void **state)
{
    (void)state;
    site_training_t t = s_training("[{\"session_date\": \"2026-12-05\"}, {\"session_date\": \"2026-12-06\"},"
                                   " {\"session_date\": \"2027-01-14\"}]");
    assert_int_equal(t.done, 1);
    assert_int_equal(t.planned, 2);
    assert_int_equal(t.last_done, s_day("2026-12-05"));
    assert_int_equal(t.next_planned, s_day("2026-12-06"));
    assert_false(t.several);
    /* Several sessions behind: the first and the last; one day twice is one day. */
    t = s_training("[{\"session_date\": \"2026-03-12\"}, {\"session_date\": \"2025-10-15\"},"
                   " {\"session_date\": \"2026-03-12\"}]");
    assert_int_equal(t.done, 3);
    assert_true(t.several);
    assert_int_equal(t.first_done, s_day("2025-10-15"));
    assert_int_equal(t.last_done, s_day("2026-03-12"));
    t = s_training("[{\"session_date\": \"2026-03-12\"}, {\"session_date\": \"2026-03-12\"}]");
    assert_false(t.several);
    /* A date that is no date, or no date at all, counts for nothing. */
    t = s_training("[{\"session_date\": \"2026-02-30\"}, {\"session_date\": 20260312}, {}, \"2026-01-01\"]");
    assert_int_equal(t.done + t.planned, 0);
}

static void test_the_listing_section(void **state)
{
    (void)state;
    char *html = s_render(site_listing,
                          "{\"approved_at\": " S_APPROVED ", \"listed_since\": \"2022-05-01\","
                          " \"listed_until\": \"2029-12-06\","
                          " \"trained_people\": [{\"session_date\": \"2027-01-14\"}]}");
    assert_non_null(strstr(html, "<h2 id=\"inscription\">Son inscription à l’annuaire</h2>"));
    assert_non_null(strstr(html, "Dans l’annuaire depuis le <time datetime=\"2022-05-01\">1er mai 2022</time>."));
    assert_non_null(strstr(html, "L’inscription prend fin le <time datetime=\"2029-12-06\">6 décembre 2029</time>, "
                                 "sauf renouvellement."));
    assert_non_null(strstr(html, "Formation exigée par la charte (partie privée d’ESS Pratiques) : prévue le "
                                 "<time datetime=\"2027-01-14\">14 janvier 2027</time>."));
    assert_non_null(strstr(html, "Fiche approuvée par le Comité scientifique et éthique le "
                                 "<time datetime=\"2026-12-06T10:00:00Z\">6 décembre 2026</time>."));
    free(html);
    /* An entry of an older publication service: no listed_since, no
     * listed_until; nobody trained: the training is not spoken of. */
    html = s_render(site_listing, "{\"approved_at\": " S_APPROVED "}");
    assert_non_null(strstr(html, "Dans l’annuaire depuis le <time datetime=\"2026-12-06\">6 décembre 2026</time>."));
    assert_null(strstr(html, "prend fin"));
    assert_null(strstr(html, "Formation"));
    free(html);
    /* Everyone trained, on two days: the last one. */
    html = s_render(site_listing, "{\"approved_at\": " S_APPROVED ", \"trained_people\": ["
                                  "{\"session_date\": \"2025-10-15\"}, {\"session_date\": \"2026-03-12\"}]}");
    assert_non_null(strstr(html, ": suivie par chaque personne déclarée, la dernière fois le "
                                 "<time datetime=\"2026-03-12\">12 mars 2026</time>."));
    free(html);
}

static void test_the_references_section(void **state)
{
    (void)state;
    char *html = s_render(site_references,
                          "{\"references\": ["
                          " {\"client\": \"Régie <de> quartier\", \"client_is_ess\": true, \"year\": 2023,"
                          "  \"kind\": \"training\", \"ci_topics\": [\"iso26000\", \"rso\"]},"
                          " {\"client\": \"Commune de Rezé\", \"client_is_ess\": false, \"year\": 2021, \"kind\": \"support\"},"
                          " {\"year\": 2020}, 7]}");
    assert_non_null(strstr(html, "<h2 id=\"references\">Ses références</h2>"));
    assert_non_null(strstr(html, "<li><strong class=\"client\">Régie &lt;de&gt; quartier</strong><br>Formation en 2023, "
                                 "auprès d’une organisation de l’économie sociale et solidaire.<br>"
                                 "<span class=\"volets\">Volets de la démarche d’amélioration continue : "
                                 "ISO 26000, RSO.</span></li>"));
    assert_non_null(strstr(html, "<li><strong class=\"client\">Commune de Rezé</strong><br>Accompagnement en 2021.</li>"));
    /* A reference without its client, or no map at all, is not shown. */
    assert_null(strstr(html, "2020"));
    size_t items = 0;
    for (const char *at = html; (at = strstr(at, "<li>")); at++)
        items++;
    assert_int_equal(items, 2);
    free(html);
    /* No reference to show: no section. */
    html = s_render(site_references, "{\"references\": [{\"year\": 2020}]}");
    assert_string_equal(html, "");
    free(html);
    html = s_render(site_references, "{}");
    assert_string_equal(html, "");
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_session_is_behind_only_before_the_day_of_the_decision),
        cmocka_unit_test(test_the_listing_section),
        cmocka_unit_test(test_the_references_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
