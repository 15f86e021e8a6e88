/*  tests/unit/test_desk_pages.c - the desk's pages rendered from review's
 *  and intake's replies, built here as JSON and turned into the MessagePack
 *  the services send: what a member and a staff person read on them. */
#include "services/desk/applications_index.h"
#include "services/desk/applications_page.h"
#include "services/desk/clock_page.h"
#include "services/desk/file_page.h"
#include "services/desk/file_rounds.h"
#include "services/desk/french.h"
#include "services/desk/people_page.h"
#include "services/desk/queue_page.h"
#include "services/desk/refusal.h"
#include "services/desk/staff_file_page.h"

#include "proto/history.h"
#include "proto/json_codec.h"
#include "proto/wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------------ helpers */

#define S_DOCS_MAX 32
static msgpack_zone s_zone;
static msgpack_sbuffer s_bufs[S_DOCS_MAX];
static size_t s_buf_count;

/*  A JSON text as the decoded MessagePack a service would send. */
static msgpack_object s_doc(const char *json)
{
    assert_true(s_buf_count < S_DOCS_MAX);
    msgpack_sbuffer *buf = &s_bufs[s_buf_count++];
    msgpack_sbuffer_init(buf);
    proto_error_t err;
    assert_int_equal(json_codec_to_msgpack(json, strlen(json), buf, &err), 0);
    msgpack_object obj;
    assert_int_equal(wire_decode_reply(buf->data, buf->size, &s_zone, &obj, &err), 0);
    return obj;
}

static int s_setup(void **state)
{
    (void)state;
    msgpack_zone_init(&s_zone, 4096);
    s_buf_count = 0;
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < s_buf_count; i++)
        msgpack_sbuffer_destroy(&s_bufs[i]);
    msgpack_zone_destroy(&s_zone);
    return 0;
}

typedef struct {
    char *text;
    size_t len;
    FILE *out;
} s_page_t;

static FILE *s_open(s_page_t *p)
{
    p->out = open_memstream(&p->text, &p->len);
    return p->out;
}

static const char *s_close(s_page_t *p)
{
    fclose(p->out);
    return p->text;
}

/*  The position of needle in page, asserted present. */
static size_t s_at(const char *page, const char *needle)
{
    const char *found = strstr(page, needle);
    if (!found)
        fail_msg("missing from the page: %s", needle);
    return (size_t)(found - page);
}

static void s_absent(const char *page, const char *needle)
{
    if (strstr(page, needle))
        fail_msg("should not be on the page: %s", needle);
}

/*  A default field, unless the extra fields give it. */
static const char *s_unless(const char *extra, const char *key, const char *field)
{
    char quoted[40];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    return extra && strstr(extra, quoted) ? "" : field;
}

/*  A queue item of a review round: an applicant in département `postcode`
 *  offering `theme`. */
static msgpack_object s_item(const char *id, const char *name, const char *postcode, const char *theme,
                             const char *extra)
{
    char json[8000];
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"revision\":1,\"round\":1,\"name\":\"%s\",\"kind\":\"review\",%s%s%s"
             "\"report\":{\"charter\":\"2018.1\",\"verdict\":\"review\",\"private_area\":false,\"criteria\":["
             "{\"code\":\"ESS-FORM\",\"outcome\":\"pass\",\"blocking\":false,\"field\":\"\",\"reason\":\"Statut juridique reconnu : mutuelle.\"},"
             "{\"code\":\"REF-CI\",\"outcome\":\"review\",\"blocking\":false,\"field\":\"references\",\"reason\":\"Le comité juge les références.\"}]},"
             "\"application\":{\"organisation\":{\"name\":\"%s\",\"siret\":\"47784864200013\",\"legal_form\":\"mutual\","
             "\"created\":\"1998-06-01\",\"address\":{\"street\":\"3 place Napoléon\",\"postcode\":\"%s\",\"city\":\"Ville\"}},"
             "\"principles\":{\"purpose\":\"Solidarité\",\"governance\":\"Une personne, une voix\",\"surplus\":\"Réinvestis\"},"
             "\"offer\":{\"scope\":[\"specific\"],\"formats\":[\"support\"],\"themes\":[\"%s\"],\"departments\":[\"85\"],"
             "\"description\":\"Conseil\"},"
             "\"references\":[{\"client\":\"Coop A\",\"client_is_ess\":true,\"year\":2024,\"kind\":\"support\","
             "\"ci_topics\":[\"rse\"],\"summary\":\"Diagnostic RSE\"}],"
             "\"commitments\":{\"contract_before_action\":true,\"confidentiality\":false}}%s}",
             id, name, s_unless(extra, "recused", "\"recused\":false,"), s_unless(extra, "conflicts", "\"conflicts\":[],"),
             s_unless(extra, "votes", "\"votes\":[],"), name, postcode, theme, extra ? extra : "");
    return s_doc(json);
}

/* ------------------------------------------------------------------ french */

static void test_dates_are_written_in_paris_time_in_french(void **state)
{
    (void)state;
    s_page_t p;
    /* 2026-12-06 13:05 UTC is 14 h 05 in Paris (winter). */
    french_datetime(s_open(&p), 1796562300);
    assert_string_equal(s_close(&p), "6 décembre 2026 à 14 h 05");
    free(p.text);
    /* 2026-07-01 12:00 UTC is 14 h 00 (summer). */
    french_datetime(s_open(&p), 1782907200);
    assert_string_equal(s_close(&p), "1er juillet 2026 à 14 h 00");
    free(p.text);
    /* Summer time begins on 29 March 2026 at 01:00 UTC. */
    assert_int_equal(french_paris_offset(1774745999), 3600);
    assert_int_equal(french_paris_offset(1774746000), 7200);
    /* ... and ends on 25 October 2026 at 01:00 UTC. */
    assert_int_equal(french_paris_offset(1792889999), 7200);
    assert_int_equal(french_paris_offset(1792890000), 3600);
    french_date_text(s_open(&p), "2029-11-26", 10);
    assert_string_equal(s_close(&p), "26 novembre 2029");
    free(p.text);
}

/* ------------------------------------------------------------------ queue */

static void test_queue_shows_newest_first_with_filters_and_counts(void **state)
{
    (void)state;
    msgpack_object a = s_item("01aaaa0000000001", "Mutuelle de Vendée", "85000", "csr_iso26000", NULL);
    msgpack_object b = s_item("01aaaa0000000002", "Coop de Nantes", "44000", "csr_iso26000", NULL);
    msgpack_object c = s_item("01aaaa0000000003", "Scop <Angers>", "49000", "democratic_governance",
                              ",\"votes\":[{\"member\":\"Claire Moreau\",\"college\":\"researchers\",\"decision\":\"approve\"}]");
    const msgpack_object *items[] = {&a, &b, &c};
    queue_filter_t filter;
    assert_int_equal(queue_filter_set(&filter, NULL, NULL, NULL), 0);

    s_page_t p;
    queue_page_render(s_open(&p), items, 3, &filter);
    const char *page = s_close(&p);
    s_at(page, "3 dossiers attendent votre vote");
    /* Newest first: ids begin with their time. */
    assert_true(s_at(page, "Scop &lt;Angers&gt;") < s_at(page, "Coop de Nantes"));
    assert_true(s_at(page, "Coop de Nantes") < s_at(page, "Mutuelle de Vendée"));
    s_absent(page, "<Angers>");
    /* Each choice of a filter says how many files it keeps. */
    s_at(page, "<option value=\"csr_iso26000\">RSE, RSO et ISO 26000 (2)</option>");
    s_at(page, "<option value=\"85\">85 – Vendée (1)</option>");
    s_at(page, "<option value=\"researchers\">Chercheurs et chercheuses (2)</option>");
    s_at(page, "1 vote : Approuver (Chercheurs et chercheuses)");
    s_at(page, "href=\"/comite/dossier/01aaaa0000000003\"");
    free(p.text);

    /* A theme and a college from the URL: the counts of the other filters follow. */
    assert_int_equal(queue_filter_set(&filter, "researchers", "", "csr_iso26000"), 0);
    queue_page_render(s_open(&p), items, 3, &filter);
    page = s_close(&p);
    s_at(page, "2 dossiers attendent votre vote");
    s_absent(page, "Scop &lt;Angers&gt;");
    s_at(page, "<option value=\"csr_iso26000\" selected>RSE, RSO et ISO 26000 (2)</option>");
    s_at(page, "<option value=\"44\">44 – Loire-Atlantique (1)</option>");
    s_at(page, "href=\"/comite?college=researchers&amp;theme=csr_iso26000\"");
    free(p.text);

    /* A value that is no college, département or theme is left out. */
    assert_int_equal(queue_filter_set(&filter, "admins", "99", "\"><script>"), 3);
    assert_string_equal(filter.college, "");
    assert_string_equal(filter.theme, "");
}

static void test_recused_files_are_shown_apart_with_why(void **state)
{
    (void)state;
    msgpack_object free_item = s_item("01bbbb0000000001", "Mutuelle libre", "85000", "csr_iso26000", NULL);
    msgpack_object tied = s_item("01bbbb0000000002", "Mutuelle liée", "85000", "csr_iso26000",
                                 ",\"recused\":true,\"conflicts\":[{\"siren\":\"477848642\",\"role\":\"reference_client\","
                                 "\"name\":\"Coop A\"},{\"role\":\"network\",\"network\":\"Union des mutuelles\"}],"
                                 "\"recusal\":{\"reason\":\"J'ai conseillé cette mutuelle.\",\"at\":1796562300}");
    const msgpack_object *items[] = {&free_item, &tied};
    queue_filter_t filter;
    queue_filter_set(&filter, NULL, NULL, NULL);
    s_page_t p;
    queue_page_render(s_open(&p), items, 2, &filter);
    const char *page = s_close(&p);
    s_at(page, "1 dossier attend votre vote");
    size_t apart = s_at(page, "Dossiers dont vous êtes récusé·e (1)");
    assert_true(s_at(page, "Mutuelle liée") > apart);
    assert_true(s_at(page, "Mutuelle libre") < apart);
    s_at(page, "Vous êtes lié·e à un client de référence, « Coop A » (SIREN 477848642).");
    s_at(page, "Vous appartenez au réseau « Union des mutuelles », déclaré par la candidate.");
    s_at(page, "Vous vous êtes récusé·e le 6 décembre 2026 à 14 h 05 : « J&#39;ai conseillé cette mutuelle. ».");
    /* Counts are of the files the member may vote on. */
    s_at(page, "<option value=\"85\">85 – Vendée (1)</option>");
    free(p.text);
}

/* ------------------------------------------------------------------ file */

static void test_file_page_reads_by_article_and_offers_the_round_s_decisions(void **state)
{
    (void)state;
    msgpack_object item = s_item("01cccc0000000001", "Mutuelle de Vendée", "85000", "csr_iso26000",
                                 ",\"votes\":[{\"member\":\"Hervé Le Guen\",\"college\":\"ess_networks\",\"decision\":\"changes\"}]");
    file_view_t view = {.item = &item, .csrf = "tok\"en", .motivation = "Texte <gardé>"};
    s_page_t p;
    file_page_render(s_open(&p), &view);
    const char *page = s_close(&p);
    /* The application in French, article by article, each with its criteria. */
    size_t a1 = s_at(page, "Article 1 — Relever de l&#39;Économie sociale et solidaire");
    size_t a2 = s_at(page, "Article 2 — Présenter son expérience et ses références");
    assert_true(s_at(page, "Statut juridique</dt><dd>Mutuelle</dd>") > a1);
    assert_true(s_at(page, "Date de création</dt><dd>1er juin 1998</dd>") > a1);
    size_t ess_form = s_at(page, "ESS-FORM</span>");
    assert_true(ess_form > a1 && ess_form < a2);
    assert_true(s_at(page, "REF-CI</span>") > a2);
    s_at(page, "<strong class=\"outcome\">À examiner par le comité</strong>");
    s_at(page, "Thèmes couverts</dt><dd>RSE, RSO et ISO 26000</dd>");
    s_at(page, "Engagement non pris");
    s_at(page, "Référence 1 : Coop A</strong>, 2024");
    /* Votes so far, with who and their college. */
    s_at(page, "<strong>Hervé Le Guen</strong> (Réseaux de l&#39;ESS) : <span class=\"decision decision-changes\">"
               "Demander des modifications</span>");
    s_at(page, "Aucun lien n'a été détecté");
    /* A review round: approve (no motivation needed), changes, reject. */
    s_at(page, "value=\"approve\" class=\"decision-approve\" formnovalidate>Approuver</button>");
    s_at(page, "value=\"reject\" class=\"decision-reject\">Refuser</button>");
    s_at(page, "value=\"changes\" class=\"decision-changes\">Demander des modifications</button>");
    s_absent(page, "value=\"reinstate\"");
    s_at(page, "name=\"motivation\" rows=\"5\" maxlength=\"4000\" required");
    s_at(page, ">Texte &lt;gardé&gt;</textarea>");
    s_at(page, "name=\"csrf\" value=\"tok&quot;en\"");
    s_at(page, ">Me récuser</button>");
    free(p.text);
}

static void test_a_complaint_round_offers_reinstate_and_withdraw_only(void **state)
{
    (void)state;
    msgpack_object item = s_item("01cccc0000000002", "Mutuelle", "85000", "csr_iso26000",
                                 ",\"complaint\":\"Plainte d'un client.\"");
    /* The same item, as a complaint round. */
    msgpack_object *kind = NULL;
    for (uint32_t i = 0; i < item.via.map.size; i++)
        if (item.via.map.ptr[i].key.via.str.size == 4 && memcmp(item.via.map.ptr[i].key.via.str.ptr, "kind", 4) == 0)
            kind = &item.via.map.ptr[i].val;
    assert_non_null(kind);
    kind->via.str.ptr = "complaint";
    kind->via.str.size = 9;
    msgpack_object rounds = s_doc("[{\"type\":\"queued\",\"round\":1,\"kind\":\"review\",\"at\":1796562300},"
                                  "{\"type\":\"decided\",\"round\":1,\"revision\":1,\"kind\":\"review\",\"decision\":\"approve\","
                                  "\"motivations\":[\"Références solides.\"],\"voters\":[\"A\",\"B\",\"C\"],\"at\":1796562300}]");
    file_view_t view = {.item = &item, .rounds = &rounds, .events = &rounds, .csrf = "t"};
    s_page_t p;
    file_page_render(s_open(&p), &view);
    const char *page = s_close(&p);
    s_at(page, "La réclamation</h2>\n<p class=\"long\">Plainte d&#39;un client.</p>");
    s_at(page, "value=\"reinstate\" class=\"decision-reinstate\" formnovalidate>Rétablir l'inscription</button>");
    s_at(page, "value=\"withdraw\" class=\"decision-withdraw\">Retirer l'inscription</button>");
    s_absent(page, "value=\"approve\"");
    s_at(page, "Tour 1 (Examen, révision 1) : Candidature approuvée</strong>, le 6 décembre 2026 à 14 h 05");
    s_at(page, "« Références solides. »");
    s_at(page, "Votants : A, B, C.");
    s_at(page, "6 décembre 2026 à 14 h 05</time> — ouverture du tour 1 (Examen)");
    free(p.text);
}

static void test_a_recused_member_gets_no_vote_form(void **state)
{
    (void)state;
    msgpack_object item = s_item("01cccc0000000003", "Mutuelle", "85000", "csr_iso26000",
                                 ",\"recused\":true,\"conflicts\":[{\"siren\":\"477848642\",\"role\":\"applicant\"}]");
    file_view_t view = {.item = &item, .csrf = "t"};
    s_page_t p;
    file_page_render(s_open(&p), &view);
    const char *page = s_close(&p);
    s_at(page, "Vous êtes récusé·e sur ce dossier : vous ne pouvez pas voter.");
    s_at(page, "Vous êtes lié·e à la structure candidate (SIREN 477848642).");
    s_absent(page, "/comite/vote");
    s_absent(page, "/comite/recusation");
    free(p.text);
}

static void test_the_vote_rules_mirror_review_s(void **state)
{
    (void)state;
    assert_null(file_vote_check("review", "approve", ""));
    assert_null(file_vote_check("appeal", "reject", "Aucune référence vérifiable."));
    assert_null(file_vote_check("complaint", "reinstate", NULL));
    assert_non_null(strstr(file_vote_check("review", "reject", " \n\t"), "motivation écrite"));
    assert_non_null(strstr(file_vote_check("review", "changes", NULL), "motivation écrite"));
    assert_non_null(strstr(file_vote_check("complaint", "withdraw", ""), "motivation écrite"));
    assert_non_null(strstr(file_vote_check("review", "reinstate", "x"), "« Approuver »"));
    assert_non_null(strstr(file_vote_check("complaint", "approve", "x"), "Rétablir"));
    assert_non_null(file_vote_check("review", NULL, "x"));
}

static void test_the_answer_to_a_vote_names_the_decision_when_it_decided(void **state)
{
    (void)state;
    msgpack_object open = s_doc("{\"id\":\"01x\",\"round\":1,\"decision\":\"approve\",\"votes\":2,\"duplicate\":false}");
    msgpack_object decided = s_doc("{\"id\":\"01x\",\"round\":1,\"decision\":\"approve\",\"votes\":3,"
                                   "\"outcome\":\"approve\",\"duplicate\":false}");
    s_page_t p;
    file_page_vote_result(s_open(&p), &open);
    const char *page = s_close(&p);
    s_at(page, "Votre vote « Approuver » sur le dossier n° 01x est enregistré : 2 votes dans le tour 1.");
    s_at(page, "Le tour reste ouvert");
    free(p.text);
    file_page_vote_result(s_open(&p), &decided);
    page = s_close(&p);
    s_at(page, "Votre vote a décidé le tour : <strong>Candidature approuvée</strong>.");
    free(p.text);
}

/* ------------------------------------------------------------------ refusals */

static void test_refusals_are_said_in_french_with_what_to_do(void **state)
{
    (void)state;
    char buf[600];
    assert_non_null(strstr(refusal_words("vote", "forbidden", "member", "recused", buf, sizeof buf),
                           "Vous êtes récusé·e sur ce dossier"));
    assert_non_null(strstr(refusal_words("vote", "invalid", "decision", "round_kind", buf, sizeof buf),
                           "Choisissez l'un des boutons proposés"));
    assert_non_null(strstr(refusal_words("vote", "invalid", "motivation", "required", buf, sizeof buf),
                           "écrivez-la dans le champ « Motivation »"));
    assert_non_null(strstr(refusal_words("member_add", "invalid", "ties[2]", "siren", buf, sizeof buf), "(ligne 3)"));
    assert_non_null(strstr(refusal_words("member_add", "conflict", "name", "unique", buf, sizeof buf),
                           "ajoutez un second prénom"));
    assert_non_null(strstr(refusal_words("complaint", "conflict", "id", "state", buf, sizeof buf),
                           "Seule une inscription en cours"));
    assert_non_null(strstr(refusal_words("vote", "conflict", "id", "state", buf, sizeof buf), "n'est plus ouvert"));
    assert_non_null(strstr(refusal_words("vote", "internal", "", "storage", buf, sizeof buf), "rien n'a été changé"));
    assert_non_null(strstr(refusal_words("x", "conflict", "y", "z", buf, sizeof buf), "rien n'a été changé"));
    msgpack_object error = s_doc("{\"code\":\"forbidden\",\"field\":\"type\",\"rule\":\"role\",\"message\":\"wrong role\"}");
    assert_non_null(strstr(refusal_text("withdraw", &error, buf, sizeof buf), "Votre compte n'a pas le droit"));
    assert_null(strstr(buf, "wrong role"));
    assert_int_equal(refusal_status(&error), 403);
}

/* ------------------------------------------------------------------ rounds */

static void test_file_rounds_keep_each_file_s_events_and_forget_an_erased_one(void **state)
{
    (void)state;
    file_rounds_t *rounds = file_rounds_new();
    msgpack_object q = s_doc("{\"seq\":1,\"v\":1,\"type\":\"queued\",\"at\":10,\"id\":\"A\",\"revision\":1,\"round\":1,\"kind\":\"review\"}");
    msgpack_object d = s_doc("{\"seq\":2,\"v\":1,\"type\":\"decided\",\"at\":11,\"id\":\"A\",\"revision\":1,\"round\":1,"
                             "\"decision\":\"reject\",\"motivations\":[\"Non\"],\"voters\":[\"X\"]}");
    msgpack_object other = s_doc("{\"seq\":3,\"v\":1,\"type\":\"queued\",\"at\":12,\"id\":\"B\",\"revision\":1,\"round\":1,\"kind\":\"review\"}");
    msgpack_object erased = s_doc("{\"seq\":4,\"v\":1,\"type\":\"withdrawn\",\"at\":13,\"id\":\"A\",\"reason\":\"effacé\",\"kind\":\"erased\"}");
    file_rounds_apply(rounds, &q);
    file_rounds_apply(rounds, &d);
    file_rounds_apply(rounds, &d);            /* a repeat is skipped */
    file_rounds_apply(rounds, &other);
    assert_int_equal(file_rounds_cursor(rounds), 3);
    assert_int_equal(file_rounds_opened(rounds), 2);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(file_rounds_pack(rounds, "A", &buf), 2);
    msgpack_object events;
    proto_error_t err;
    assert_int_equal(wire_decode_reply(buf.data, buf.size, &s_zone, &events, &err), 0);
    assert_int_equal(events.via.array.size, 2);
    file_rounds_apply(rounds, &erased);
    msgpack_sbuffer_clear(&buf);
    assert_int_equal(file_rounds_pack(rounds, "A", &buf), 1);   /* only the erasure itself */
    msgpack_sbuffer_destroy(&buf);
    file_rounds_destroy(&rounds);
    assert_null(rounds);
}

/* ------------------------------------------------------------------ staff */

static void test_every_application_is_found_by_name_siret_id_and_state(void **state)
{
    (void)state;
    applications_index_t *index = applications_index_new();
    msgpack_object s1 = s_doc("{\"seq\":1,\"v\":1,\"type\":\"submitted\",\"at\":100,\"id\":\"01a1\",\"revision\":1,"
                              "\"application\":{\"organisation\":{\"name\":\"École des Communs\",\"siret\":\"47784864200013\"}}}");
    msgpack_object s2 = s_doc("{\"seq\":2,\"v\":1,\"type\":\"submitted\",\"at\":200,\"id\":\"01b2\",\"revision\":1,"
                              "\"application\":{\"organisation\":{\"name\":\"Mutuelle Entraide\",\"siret\":\"35600000000048\"}}}");
    msgpack_object v1 = s_doc("{\"seq\":1,\"v\":1,\"type\":\"validated\",\"at\":101,\"id\":\"01a1\",\"revision\":1,\"verdict\":\"incomplete\"}");
    msgpack_object q2 = s_doc("{\"seq\":1,\"v\":1,\"type\":\"queued\",\"at\":201,\"id\":\"01b2\",\"revision\":1,\"round\":1,\"kind\":\"review\"}");
    msgpack_object d2 = s_doc("{\"seq\":2,\"v\":1,\"type\":\"decided\",\"at\":202,\"id\":\"01b2\",\"revision\":1,\"round\":1,\"decision\":\"approve\"}");
    msgpack_object w2 = s_doc("{\"seq\":3,\"v\":1,\"type\":\"withdrawn\",\"at\":203,\"id\":\"01b2\",\"reason\":\"x\",\"kind\":\"suspended\"}");
    applications_index_apply(index, APPS_INTAKE, &s1);
    applications_index_apply(index, APPS_INTAKE, &s2);
    applications_index_apply(index, APPS_VALIDATION, &v1);
    applications_index_apply(index, APPS_REVIEW, &q2);
    applications_index_apply(index, APPS_REVIEW, &d2);
    apps_row_t rows[4];
    assert_int_equal(applications_index_search(index, "", "approved", 0, rows, 4), 1);
    applications_index_apply(index, APPS_REVIEW, &w2);
    assert_int_equal(applications_index_cursor(index, APPS_REVIEW), 3);
    /* Newest first. */
    assert_int_equal(applications_index_search(index, NULL, NULL, 0, rows, 4), 2);
    assert_string_equal(rows[0].id, "01b2");
    assert_string_equal(rows[0].state, "suspended");
    assert_string_equal(rows[1].state, "incomplete");
    /* Accents and case do not matter; a SIRET may be typed with spaces. */
    assert_int_equal(applications_index_search(index, "ecole", NULL, 0, rows, 4), 1);
    assert_string_equal(rows[0].id, "01a1");
    assert_int_equal(applications_index_search(index, "356 000 000", NULL, 0, rows, 4), 1);
    assert_string_equal(rows[0].id, "01b2");
    assert_int_equal(applications_index_search(index, "01a1", NULL, 0, rows, 4), 1);
    assert_int_equal(applications_index_search(index, "", "suspended", 0, rows, 4), 1);
    assert_int_equal(applications_index_search(index, "ecole", "suspended", 0, rows, 4), 0);

    applications_view_t view = {.query = "é&", .state = "suspended", .rows = rows, .count = 1, .matched = 1};
    applications_index_search(index, "", "suspended", 0, rows, 4);
    s_page_t p;
    applications_page_render(s_open(&p), &view);
    const char *page = s_close(&p);
    s_at(page, "value=\"é&amp;\"");
    s_at(page, "<option value=\"suspended\" selected>Suspendue</option>");
    s_at(page, "<a href=\"/admin/dossier/01b2\">Mutuelle Entraide</a>");
    s_at(page, "<span class=\"state state-suspended\">Suspendue</span>");
    free(p.text);

    /* An erasure keeps the row, without its name. */
    msgpack_object e1 = s_doc("{\"seq\":3,\"v\":1,\"type\":\"erased\",\"at\":300,\"id\":\"01a1\"}");
    applications_index_apply(index, APPS_INTAKE, &e1);
    assert_true(applications_index_get(index, "01a1", &rows[0]));
    assert_string_equal(rows[0].name, "");
    assert_string_equal(rows[0].state, "withdrawn");
    applications_index_destroy(&index);
}

static void test_people_are_acted_on_from_their_row(void **state)
{
    (void)state;
    msgpack_object members = s_doc("{\"members\":[{\"name\":\"Claire Moreau\",\"college\":\"researchers\","
                                   "\"ties\":[\"477848642\"],\"networks\":[],\"added_at\":1796562300},"
                                   "{\"name\":\"Nadia <F>\",\"college\":\"ess_networks\",\"ties\":[],"
                                   "\"networks\":[\"Union des mutuelles\"],\"added_at\":1796562300}]}");
    msgpack_object accounts = s_doc("[{\"email\":\"claire@example.org\",\"name\":\"Claire Moreau\",\"role\":\"member\",\"state\":\"invited\"},"
                                    "{\"email\":\"ops@example.org\",\"name\":\"Opérateur\",\"role\":\"staff\",\"state\":\"active\"}]");
    people_view_t view = {.members = &members, .accounts = &accounts, .csrf = "t"};
    s_page_t p;
    people_page_render(s_open(&p), &view);
    const char *page = s_close(&p);
    s_at(page, "2 membres.");
    s_at(page, "claire@example.org · invitation envoyée");
    s_at(page, "<td data-label=\"Collège\">Chercheurs et chercheuses</td><td data-label=\"Liens\">SIREN 477848642</td>"
               "<td data-label=\"Ajouté le\">6 décembre 2026</td>");
    s_at(page, "Nadia &lt;F&gt;");
    s_at(page, "Réseaux : Union des mutuelles");
    /* The actions name the person by a hidden field of their row. */
    s_at(page, "<input type=\"hidden\" name=\"name\" value=\"Claire Moreau\"><button type=\"submit\">Renvoyer l'invitation");
    s_at(page, "action=\"/admin/personnes/cles\"");
    s_at(page, "Opérateur — <span class=\"account\">ops@example.org · compte actif");
    /* The college is chosen from a list. */
    s_at(page, "<select id=\"college\" name=\"college\">");
    free(p.text);

    char text[] = " 477 848 642 \n\n  35600000000048\r\n";
    const char *lines[PEOPLE_LINES_MAX];
    assert_int_equal(people_split_lines(text, lines, PEOPLE_LINES_MAX), 2);
    assert_string_equal(lines[0], "477 848 642");
    assert_string_equal(lines[1], "35600000000048");
    char many[] = "a\nb\nc";
    assert_int_equal(people_split_lines(many, lines, 2), -1);
}

/*  A history reply of n records, as intake sends it. */
static msgpack_object s_history(int n, bool tamper)
{
    static const char *const whats[] = {"submitted", "validated", "queued"};
    static const char *const states[] = {"received", "received", "in_review"};
    history_head_t head = {0};
    msgpack_sbuffer *buf = &s_bufs[s_buf_count++];
    msgpack_sbuffer_init(buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_sbuffer records[3];
    for (int i = 0; i < n; i++) {
        msgpack_sbuffer_init(&records[i]);
        history_change_t change = {.at = 1796562300 + i * 60, .who = "applicant", .who_len = 9, .what = whats[i],
                                   .why = "revision 1", .why_len = 10, .state = states[i]};
        history_append(&head, &change, &records[i]);
    }
    if (tamper)
        records[0].data[records[0].size - 40] ^= 1;   /* a byte of the first record's hash */
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, "01x", 3);
    msgpack_pack_str_with_body(&pk, "count", 5);
    msgpack_pack_uint64(&pk, head.count);
    msgpack_pack_str_with_body(&pk, "head", 4);
    msgpack_pack_bin_with_body(&pk, head.head, sizeof head.head);
    msgpack_pack_str_with_body(&pk, "verified", 8);
    msgpack_pack_true(&pk);
    msgpack_pack_str_with_body(&pk, "records", 7);
    msgpack_pack_array(&pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        msgpack_sbuffer_write(buf, records[i].data, records[i].size);
        msgpack_sbuffer_destroy(&records[i]);
    }
    msgpack_object obj;
    proto_error_t err;
    assert_int_equal(wire_decode_reply(buf->data, buf->size, &s_zone, &obj, &err), 0);
    return obj;
}

static void test_the_staff_file_page_verifies_the_history_and_offers_the_actions(void **state)
{
    (void)state;
    msgpack_object status = s_doc("{\"id\":\"01x\",\"revision\":1,\"state\":\"published\",\"name\":\"Mutuelle\","
                                  "\"siret\":\"47784864200013\",\"submitted_at\":1796562300,\"updated_at\":1796562300,"
                                  "\"report\":null,\"decisions\":[{\"round\":1,\"revision\":1,\"decision\":\"approve\","
                                  "\"motivations\":[],\"at\":1796562300,\"kind\":\"review\",\"voters\":[\"A\"]}],"
                                  "\"expires\":1890777600}");
    msgpack_object history = s_history(3, false);
    staff_file_view_t view = {.id = "01x", .status = &status, .history = &history, .csrf = "t"};
    s_page_t p;
    staff_file_page_render(s_open(&p), &view);
    const char *page = s_close(&p);
    s_at(page, "<span class=\"state state-published\">Publiée</span>");
    s_at(page, "La chaîne de l&#39;historique est intacte : 3 enregistrements vérifiés par le bureau.");
    s_at(page, "6 décembre 2026 à 14 h 05</time> — <strong>Candidature déposée</strong>, par la structure ; état : Reçue");
    s_at(page, "Inscription jusqu'au</dt><dd>1er décembre 2029</dd>");
    s_at(page, "<span class=\"why\">révision 1</span>");
    s_at(page, "action=\"/admin/dossier/retrait\"");
    s_at(page, "action=\"/admin/dossier/reclamation\"");
    s_at(page, "recopiez le numéro du dossier : 01x.");
    s_at(page, "name=\"confirm\" required");
    free(p.text);

    char why[400];
    msgpack_object broken = s_history(2, true);
    assert_false(staff_file_history_holds(&broken, why, sizeof why));
    assert_non_null(strstr(why, "rompue à l'enregistrement n° 1"));

    assert_true(staff_file_erase_confirmed("01x", " 01x "));
    assert_false(staff_file_erase_confirmed("01x", "01"));
    assert_false(staff_file_erase_confirmed("01x", "01xy"));
    assert_false(staff_file_erase_confirmed("01x", ""));
}

static void test_the_clock_page_shows_the_quorum_read_only(void **state)
{
    (void)state;
    msgpack_object ticked = s_doc("{\"now\":1890777600,\"expired\":[\"01a\",\"01b\"],\"more\":false}");
    clock_view_t view = {.settings = {4, 3, 2, 0}, .ticked = &ticked, .csrf = "t"};
    s_page_t p;
    clock_page_render(s_open(&p), &view);
    const char *page = s_close(&p);
    s_at(page, "Votes nécessaires pour décider un tour</dt><dd>4</dd>");
    s_at(page, "Collèges différents parmi ces votes</dt><dd>3</dd>");
    s_at(page, "Durée d'une inscription</dt><dd>2 ans</dd>");
    s_at(page, "2 inscriptions retirées car arrivées à échéance");
    s_at(page, "<a href=\"/admin/dossier/01b\">01b</a>");
    s_absent(page, "name=\"quorum");
    free(p.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dates_are_written_in_paris_time_in_french, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_queue_shows_newest_first_with_filters_and_counts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_recused_files_are_shown_apart_with_why, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_file_page_reads_by_article_and_offers_the_round_s_decisions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_complaint_round_offers_reinstate_and_withdraw_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_recused_member_gets_no_vote_form, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_vote_rules_mirror_review_s, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_answer_to_a_vote_names_the_decision_when_it_decided, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_are_said_in_french_with_what_to_do, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_file_rounds_keep_each_file_s_events_and_forget_an_erased_one, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_every_application_is_found_by_name_siret_id_and_state, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_people_are_acted_on_from_their_row, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_staff_file_page_verifies_the_history_and_offers_the_actions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_clock_page_shows_the_quorum_read_only, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
