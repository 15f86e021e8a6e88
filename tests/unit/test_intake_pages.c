/*  The applicant's status page (services/intake/web.h) through the life
 *  of a listing: the appeal form on a rejected application not yet
 *  appealed, and only there; the appeal once made; a suspended listing;
 *  the end of a listing; a renewal; an erased application, which shows no
 *  name, no report and no reason text. */
#include "services/intake/web.h"

#include "proto/date.h"
#include "proto/json_codec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static web_t *s_web;
/*  6 December 2026, 14:05 in Paris: "now" for every page of these tests. */
static const int64_t s_now = 1796562300;

/*  The page of a status reply written in JSON. */
static char *s_page(const char *json)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    assert_int_equal(json_codec_to_msgpack(json, strlen(json), &buf, &err), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object status;
    assert_int_equal(msgpack_unpack(buf.data, buf.size, NULL, &zone, &status), MSGPACK_UNPACK_SUCCESS);
    char *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&html, &len);
    web_page_status(s_web, out, &status, "A5-lvhLY9Zr5oyl2jdclK_stHnT_v-fkq8GlbuyDzyg", NULL,
                    s_now);
    fclose(out);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return html;
}

#define S_BASE "\"id\":\"k19qpjw7nm8w\",\"revision\":1,\"name\":\"Coopérative Élan\",\"submitted_at\":1795651200," \
               "\"updated_at\":1795651300,\"report\":null"

static const char s_form[] = "action=\"/suivi/k19qpjw7nm8w/appel\"";

static void test_a_rejection_not_yet_appealed_has_the_appeal_form(void **state)
{
    char *html = s_page("{" S_BASE ",\"state\":\"rejected\",\"decisions\":[{\"round\":1,\"revision\":1,"
                        "\"decision\":\"reject\",\"motivations\":[\"Références insuffisantes.\"],\"at\":1795651300}]}");
    assert_non_null(strstr(html, "Faire appel de la décision"));
    assert_non_null(strstr(html, s_form));
    assert_non_null(strstr(html, "<textarea id=\"motivation\" name=\"motivation\""));
    assert_non_null(strstr(html, "name=\"jeton\" value=\"A5-lvhLY9Zr5oyl2jdclK_stHnT_v-fkq8GlbuyDzyg\""));
    free(html);
    /* Appealed: the appeal is shown, the form is not, even when the
     * appeal round rejected it again. */
    static const char *const states[] = {"in_review", "rejected"};
    for (size_t i = 0; i < 2; i++) {
        char json[1024];
        snprintf(json, sizeof json, "{" S_BASE ",\"state\":\"%s\",\"decisions\":[],"
                 "\"appeal\":{\"motivation\":\"Nos références <récentes> n'ont pas été lues.\",\"at\":1795660000}}",
                 states[i]);
        html = s_page(json);
        assert_null(strstr(html, s_form));
        assert_non_null(strstr(html, "Appel déposé le"));
        assert_non_null(strstr(html, "Nos références &lt;récentes&gt; n&#39;ont pas été lues."));
        free(html);
    }
    /* Any other state: no form. */
    html = s_page("{" S_BASE ",\"state\":\"published\",\"decisions\":[]}");
    assert_null(strstr(html, s_form));
    free(html);
}

static void test_a_suspended_listing_says_why(void **state)
{
    char *html = s_page("{" S_BASE ",\"state\":\"suspended\",\"reason\":\"Réclamation reçue le 3 mars.\","
                        "\"decisions\":[],\"expires\":1890345600}");
    assert_non_null(strstr(html, "data-state=\"suspended\""));
    assert_non_null(strstr(html, "Votre inscription est suspendue : une réclamation est examinée par le comité"));
    assert_non_null(strstr(html, "Inscription valable jusqu'au"));
    assert_non_null(strstr(html, "26 novembre 2029"));
    free(html);
}

static void test_complaint_decisions_and_ends_are_named(void **state)
{
    char *html = s_page("{" S_BASE ",\"state\":\"withdrawn\",\"withdrawn_kind\":\"withdrawn\","
                        "\"reason\":\"Pratiques contraires à la charte.\",\"decisions\":[{\"round\":2,\"revision\":1,"
                        "\"decision\":\"withdraw\",\"kind\":\"complaint\",\"motivations\":[\"Pratiques contraires "
                        "à la charte.\"],\"at\":1795660000}]}");
    assert_non_null(strstr(html, "Inscription retirée"));
    assert_non_null(strstr(html, "(réclamation, tour 2"));
    assert_non_null(strstr(html, "Motif : Pratiques contraires"));
    free(html);
    html = s_page("{" S_BASE ",\"state\":\"withdrawn\",\"withdrawn_kind\":\"expired\",\"reason\":\"expired\","
                  "\"decisions\":[]}");
    assert_non_null(strstr(html, "L&#39;inscription a expiré"));
    free(html);
    html = s_page("{" S_BASE ",\"state\":\"received\",\"renews\":\"wq6j74ccmt1y\",\"decisions\":[]}");
    assert_non_null(strstr(html, "Renouvelle le dossier"));
    assert_non_null(strstr(html, "wq6j74ccmt1y"));
    free(html);
}

static void test_an_erased_application_shows_what_is_kept(void **state)
{
    char *html = s_page("{\"id\":\"k19qpjw7nm8w\",\"revision\":1,\"submitted_at\":1795651200,"
                        "\"updated_at\":1795670000,\"state\":\"withdrawn\",\"reason\":\"erased\","
                        "\"withdrawn_kind\":\"erased\",\"erased_at\":1795670000,\"report\":null,"
                        "\"decisions\":[{\"round\":1,\"revision\":1,\"decision\":\"approve\","
                        "\"voters\":[\"Claire Moreau\"],\"at\":1795660000}]}");
    assert_non_null(strstr(html, "(données effacées)"));
    assert_non_null(strstr(html, "Les données personnelles de ce dossier ont été effacées"));
    assert_non_null(strstr(html, "Candidature acceptée"));
    assert_null(strstr(html, "Motif"));
    assert_null(strstr(html, "Vérification de la charte"));
    free(html);
}

/*  Between validation's report and review's "queued" the file is still
 *  received; the page says the check is done and the committee is next.
 *  An appeal not yet before the committee says it is being passed on. */
static void test_the_pages_say_what_is_true_before_the_committee_has_the_file(void **state)
{
    char *html = s_page("{\"id\":\"k19qpjw7nm8w\",\"revision\":1,\"name\":\"Coopérative Élan\","
                        "\"submitted_at\":1795651200,\"updated_at\":1795651300,\"state\":\"received\","
                        "\"report\":{\"charter\":\"2018.1\",\"verdict\":\"review\",\"criteria\":[]},\"decisions\":[]}");
    assert_non_null(strstr(html, "data-state=\"received\""));
    assert_non_null(strstr(html, "La vérification de la charte est terminée"));
    free(html);
    html = s_page("{" S_BASE ",\"state\":\"received\",\"decisions\":[]}");
    assert_null(strstr(html, "La vérification de la charte est terminée"));
    free(html);
    html = s_page("{" S_BASE ",\"state\":\"rejected\",\"decisions\":[],"
                  "\"appeal\":{\"motivation\":\"Relisez.\",\"at\":1795660000}}");
    assert_non_null(strstr(html, "il est transmis au comité"));
    free(html);
    html = s_page("{" S_BASE ",\"state\":\"in_review\",\"decisions\":[],"
                  "\"appeal\":{\"motivation\":\"Relisez.\",\"at\":1795660000}}");
    assert_non_null(strstr(html, "le comité réexamine votre candidature"));
    free(html);
}

/*  The order of a page that asks for changes: the state in one sentence,
 *  the committee's motivations each once, what comes next with the next
 *  meetings, then the details; the notice on personal data at the end. */
static void test_a_change_request_leads_with_what_to_do(void **state)
{
    web_settings_t settings = {.meeting_count = 3, .retention_years = 4};
    date_parse("2026-10-01", 10, &settings.meetings[0]);   /* past: not shown */
    date_parse("2027-03-18", 10, &settings.meetings[1]);
    date_parse("2027-10-07", 10, &settings.meetings[2]);
    snprintf(settings.contact_email, sizeof settings.contact_email, "rgpd@cress.example");
    web_set_settings(s_web, &settings);
    char *html = s_page("{" S_BASE ",\"state\":\"changes_requested\",\"decisions\":[{\"round\":1,"
                        "\"revision\":1,\"decision\":\"changes\",\"motivations\":[\"Précisez la gouvernance.\","
                        "\"Précisez la gouvernance.\",\"Ajoutez une référence récente.\"],\"at\":1796562300}],"
                        "\"application\":{\"organisation\":{\"private_contact\":{\"email\":\"jl@coop.example\"}}}}");
    const char *state_at = strstr(html, "Le comité vous demande de modifier votre dossier");
    const char *motivation = strstr(html, "<li>Précisez la gouvernance.</li>");
    const char *next = strstr(html, "Et ensuite ?");
    const char *details = strstr(html, "Le détail de votre dossier");
    assert_non_null(state_at);
    assert_non_null(motivation);
    assert_null(strstr(motivation + strlen("<li>Précisez"), "Précisez la gouvernance."));
    assert_non_null(strstr(html, "<li>Ajoutez une référence récente.</li>"));
    assert_true(state_at < motivation && motivation < next && next < details);
    assert_null(strstr(html, "1er octobre 2026"));
    assert_non_null(strstr(next, "<time datetime=\"2027-03-18\">18 mars 2027</time>"));
    assert_non_null(strstr(next, "7 octobre 2027"));
    assert_non_null(strstr(next, "<strong>jl@coop.example</strong>"));
    assert_non_null(strstr(details, "6 décembre 2026 à 14 h 05"));
    assert_null(strstr(html, "vision"));             /* no "révision" shown */
    const char *notice = strstr(html, "Vos données personnelles");
    assert_non_null(notice);
    assert_true(details < notice);
    assert_non_null(strstr(notice, "CRESS) des Pays de la Loire"));
    assert_non_null(strstr(notice, "puis 4 ans après la fin de l'inscription"));
    assert_non_null(strstr(notice, "mailto:rgpd@cress.example"));
    /* Published and private lists come from the schema's x-public marks. */
    const char *published = strstr(notice, "<ul class=\"published\">");
    const char *private = strstr(notice, "<ul class=\"private\">");
    assert_non_null(published);
    assert_non_null(private);
    const char *city = strstr(published, "<li>Commune</li>");
    const char *contact = strstr(private, "<li>Courriel de cette personne</li>");
    assert_non_null(city);
    assert_non_null(contact);
    assert_true(city < private);
    assert_null(strstr(published, "<li>Personne à contacter pour le dossier</li>") < private
                    ? strstr(published, "<li>Personne à contacter pour le dossier</li>") : NULL);
    free(html);
    /* No future meeting: said so. */
    settings.meeting_count = 1;
    web_set_settings(s_web, &settings);
    html = s_page("{" S_BASE ",\"state\":\"in_review\",\"decisions\":[]}");
    assert_non_null(strstr(html, "Aucune date n'est encore fixée"));
    free(html);
    settings.meeting_count = 0;
    web_set_settings(s_web, &settings);
}

static int s_setup(void **state)
{
    s_web = web_new();
    return s_web ? 0 : -1;
}

static int s_teardown(void **state)
{
    web_destroy(&s_web);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_rejection_not_yet_appealed_has_the_appeal_form),
        cmocka_unit_test(test_a_suspended_listing_says_why),
        cmocka_unit_test(test_complaint_decisions_and_ends_are_named),
        cmocka_unit_test(test_an_erased_application_shows_what_is_kept),
        cmocka_unit_test(test_the_pages_say_what_is_true_before_the_committee_has_the_file),
        cmocka_unit_test(test_a_change_request_leads_with_what_to_do),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
