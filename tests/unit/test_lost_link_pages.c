/*  The pages that lead to « J'ai perdu mon lien de suivi »: the receipt no
 *  longer says the code cannot be sent again, and points to the page, as
 *  the follow page does; the page itself is one e-mail field, POSTed. */
#define _GNU_SOURCE              /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "services/intake/pages.h"

static char *s_render(void (*render)(FILE *out))
{
    char *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&html, &len);
    assert_non_null(out);
    render(out);
    fclose(out);
    return html;
}

static void s_receipt(FILE *out)
{
    web_page_receipt(out, "01kb4x3z7mq2vbna", "A5-lvhQ0m8yP2rTq9xWc3nJb7eKd1uZs4fGh6iLo0pV", false,
                     1796562300);
}

static void s_follow(FILE *out)
{
    web_page_follow(out, "01kb4x3z7mq2vbna", NULL);
}

static void s_lost_link(FILE *out)
{
    web_page_lost_link(out, "Indiquez l'adresse électronique de la personne à contacter pour le dossier.");
}

static void test_the_receipt_points_to_the_lost_link_page(void **state)
{
    (void)state;
    char *html = s_render(s_receipt);
    assert_null(strstr(html, "ne peut pas vous être renvoyé"));
    assert_non_null(strstr(html, "envoyé par courriel"));
    assert_non_null(strstr(html, "dossier n° <strong class=\"id\">01kb4x3z7mq2vbna</strong>, le "
                                 "6 décembre 2026 à 14 h 05."));
    assert_non_null(strstr(html, "<a href=\"/suivi/lien-perdu\">demandez un nouveau lien de suivi</a>"));
    free(html);
    html = s_render(s_follow);
    assert_non_null(strstr(html, "<a href=\"/suivi/lien-perdu\">J'ai perdu mon lien de suivi</a>"));
    free(html);
}

static void test_the_lost_link_page(void **state)
{
    (void)state;
    char *html = s_render(s_lost_link);
    assert_non_null(strstr(html, "<html lang=\"fr\">"));
    assert_non_null(strstr(html, "<h1>J'ai perdu mon lien de suivi</h1>"));
    assert_non_null(strstr(html, "<form method=\"post\" action=\"/suivi/lien-perdu\""));
    assert_non_null(strstr(html, "type=\"email\" id=\"courriel\" name=\"courriel\""));
    assert_non_null(strstr(html, "role=\"alert\""));            /* the notice */
    assert_non_null(strstr(html, "<footer class=\"site\">"));   /* the layout of every page */
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_receipt_points_to_the_lost_link_page),
        cmocka_unit_test(test_the_lost_link_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
