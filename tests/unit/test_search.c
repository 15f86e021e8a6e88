/* Unit tests of proto/search and proto/acronyms: what a visitor types and
 * which listings it finds, the acronyms both ways, theme labels and
 * codes, words that must all match, and the bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/acronyms.h"
#include "proto/json_codec.h"
#include "proto/search.h"
#include "proto/text.h"
#include "proto/wire.h"

typedef struct {
    msgpack_sbuffer buf;
    msgpack_zone zone;
    msgpack_object obj;
} doc_t;

static void s_doc(doc_t *d, const char *json)
{
    proto_error_t err;
    msgpack_sbuffer_init(&d->buf);
    msgpack_zone_init(&d->zone, 4096);
    if (json_codec_to_msgpack(json, strlen(json), &d->buf, &err))
        fail_msg("test JSON refused: %s", err.message);
    assert_int_equal(wire_decode(d->buf.data, d->buf.size, &d->zone, &d->obj, &err), 0);
}

static void s_doc_free(doc_t *d)
{
    msgpack_sbuffer_destroy(&d->buf);
    msgpack_zone_destroy(&d->zone);
}

/*  An entry as publication publishes it, with the given name, city,
 *  description and themes (a JSON array). */
static void s_entry(doc_t *d, const char *name, const char *city, const char *description, const char *themes)
{
    char json[4096];
    snprintf(json, sizeof json,
             "{\"organisation\": {\"name\": \"%s\", \"legal_form\": \"association\","
             " \"address\": {\"postcode\": \"44000\", \"city\": \"%s\"}},"
             " \"offer\": {\"scope\": [\"specific\"], \"formats\": [\"training\"], \"themes\": %s,"
             " \"departments\": [\"44\"], \"description\": \"%s\"}, \"id\": \"x1\", \"version\": 1}",
             name, city, themes, description);
    s_doc(d, json);
}

/*  What a visitor's text finds, asked both ways: the fast path
 *  (search_entry_matches) and the words the mirror writes. */
static bool s_finds(const char *typed, const msgpack_object *entry)
{
    char query[256], words[SEARCH_WORDS_MAX];
    text_fold(typed, strlen(typed), query, sizeof query);
    search_entry_words(entry, words, sizeof words);
    bool fast = search_entry_matches(query, entry);
    bool slow = search_words_match(query, words);
    if (fast != slow)
        fail_msg("\"%s\": search_entry_matches says %d, the words say %d", typed, fast, slow);
    return fast;
}

static void test_every_word_must_begin_a_word(void **state)
{
    (void)state;
    doc_t e;
    s_entry(&e, "Ancrage Conseil", "Saint-Nazaire", "Diagnostics partagés et formations.",
            "[\"democratic_governance\"]");
    assert_true(s_finds("", &e.obj));
    assert_true(s_finds("ancrage", &e.obj));
    assert_true(s_finds("ANCR", &e.obj));                 /* as one types */
    assert_true(s_finds("saint nazaire", &e.obj));
    assert_true(s_finds("Saint-Nazaire ancrage", &e.obj));
    assert_true(s_finds("44", &e.obj));                   /* the postcode 44000 */
    assert_true(s_finds("diagnostic partage", &e.obj));
    assert_false(s_finds("ancrage nantes", &e.obj));      /* one word missing */
    assert_false(s_finds("crage", &e.obj));               /* inside a word, not its start */
    assert_false(s_finds("nazaire-sud", &e.obj));
    s_doc_free(&e);
}

static void test_theme_labels_and_codes_find_the_theme(void **state)
{
    (void)state;
    doc_t e;
    s_entry(&e, "Boussole", "Laval", "", "[\"csr_iso26000\", \"democratic_governance\"]");
    assert_true(s_finds("Gouvernance démocratique", &e.obj));
    assert_true(s_finds("democratic_governance", &e.obj));
    assert_true(s_finds("csr_iso26000", &e.obj));
    assert_true(s_finds("ISO 26000", &e.obj));
    assert_true(s_finds("RSE", &e.obj));                  /* « RSE, RSO et ISO 26000 » */
    assert_true(s_finds("responsabilité sociétale", &e.obj));
    assert_true(s_finds("formation", &e.obj));            /* its format's label */
    assert_true(s_finds("association", &e.obj));          /* its legal form's label */
    assert_false(s_finds("développement durable", &e.obj));
    s_doc_free(&e);
}

static void test_acronyms_find_their_expansion_and_back(void **state)
{
    (void)state;
    doc_t spelled, short_;
    s_entry(&spelled, "Trajectoires", "Angers",
            "Actions spécifiques : gestion prévisionnelle des compétences, qualité de vie au travail.",
            "[\"diversity_equality\"]");
    s_entry(&short_, "Atelier RH", "Nantes", "Diagnostic GPEC et QVCT pour les SCOP.", "[\"diversity_equality\"]");
    assert_true(s_finds("gpec", &spelled.obj));
    assert_true(s_finds("GPEC Angers", &spelled.obj));
    assert_true(s_finds("gestion prévisionnelle des emplois", &spelled.obj));
    assert_true(s_finds("QVCT", &spelled.obj));           /* QVT's wording is one of QVCT's */
    assert_true(s_finds("qvt", &spelled.obj));
    assert_false(s_finds("scop", &spelled.obj));
    assert_true(s_finds("gestion prévisionnelle", &short_.obj));
    assert_true(s_finds("Gestion prévisionnelle des compétences", &short_.obj));
    assert_true(s_finds("conditions de travail", &short_.obj));
    assert_true(s_finds("société coopérative et participative", &short_.obj));
    assert_false(s_finds("responsabilité sociétale", &short_.obj));
    s_doc_free(&spelled);
    s_doc_free(&short_);
}

static void test_an_expansion_brings_the_acronyms_it_holds(void **state)
{
    (void)state;
    doc_t e;
    s_entry(&e, "Tremplin", "Rezé", "Nous accompagnons les structures d’insertion par l’activité économique.",
            "[\"users_unmet_needs\"]");
    assert_true(s_finds("SIAE", &e.obj));
    assert_true(s_finds("iae", &e.obj));
    assert_false(s_finds("ess", &e.obj));
    s_doc_free(&e);
}

static void test_short_acronyms_do_not_match_inside_words(void **state)
{
    (void)state;
    doc_t e;
    s_entry(&e, "Les Diverses Cordées", "Cholet", "Une course universelle, des escales.", "[\"ethics_deontology\"]");
    assert_false(s_finds("rse", &e.obj));
    assert_false(s_finds("cae", &e.obj));
    assert_false(s_finds("ess", &e.obj));
    assert_false(s_finds("gestion previsionnelle", &e.obj));
    s_doc_free(&e);
}

/*  Every acronym of the list, written alone in a description, finds its
 *  expansion, and its expansion alone finds the acronym. */
static void test_every_acronym_of_the_list_both_ways(void **state)
{
    (void)state;
    size_t count;
    const acronym_t *list = acronyms_table(&count);
    assert_true(count >= 7);
    for (size_t i = 0; i < count; i++) {
        const acronym_t *a = &list[i];
        for (const char *c = a->acronym; *c; c++)
            assert_true(*c >= 'A' && *c <= 'Z');       /* acronyms in capitals */
        if (i > 0)
            assert_true(strcmp(list[i - 1].acronym, a->acronym) < 0);
        doc_t by_acronym, by_expansion;
        char text[256];
        snprintf(text, sizeof text, "Nous travaillons la %s avec vous.", a->acronym);
        s_entry(&by_acronym, "Alpha", "Nantes", text, "[\"ethics_deontology\"]");
        snprintf(text, sizeof text, "Nous travaillons : %s.", a->expansion);
        s_entry(&by_expansion, "Beta", "Nantes", text, "[\"ethics_deontology\"]");
        if (!s_finds(a->expansion, &by_acronym.obj) || !s_finds(a->acronym, &by_expansion.obj))
            fail_msg("%s and « %s » do not find each other", a->acronym, a->expansion);
        for (size_t k = 0; k < ACRONYMS_ALSO_MAX && a->also[k]; k++) {
            doc_t also;
            snprintf(text, sizeof text, "Nous travaillons : %s.", a->also[k]);
            s_entry(&also, "Gamma", "Nantes", text, "[\"ethics_deontology\"]");
            if (!s_finds(a->acronym, &also.obj) || !s_finds(a->expansion, &also.obj))
                fail_msg("« %s » is not found by %s", a->also[k], a->acronym);
            s_doc_free(&also);
        }
        s_doc_free(&by_acronym);
        s_doc_free(&by_expansion);
    }
    for (const char *const *must = (const char *const[]){"GPEC", "RSE", "QVCT", "ESUS", "SCOP", "SCIC", "CAE", NULL};
         *must; must++) {
        size_t i = 0;
        while (i < count && strcmp(list[i].acronym, *must) != 0)
            i++;
        if (i == count)
            fail_msg("%s is missing from the list", *must);
    }
}

static void test_words_are_folded_and_bounded(void **state)
{
    (void)state;
    doc_t e;
    s_entry(&e, "L’Œuvre — Coop’", "Rezé", "ÉCOLE « ouverte »", "[\"csr_iso26000\"]");
    char words[SEARCH_WORDS_MAX];
    size_t n = search_entry_words(&e.obj, words, sizeof words);
    assert_int_equal(n, strlen(words));
    assert_true(strncmp(words, "l oeuvre coop reze 44000 ecole ouverte association rse rso et iso 26000 "
                               "csr iso26000 formation rse responsabilite societale des entreprises "
                               "rso responsabilite societale des organisations", n) == 0);
    assert_int_equal(words[0] == ' ' || words[n - 1] == ' ', 0);
    assert_null(strstr(words, "  "));
    /* A small buffer holds what fits, NUL-terminated, and no byte more. */
    for (size_t cap = 0; cap < 40; cap++) {
        char small[48];
        memset(small, 'X', sizeof small);
        size_t m = search_entry_words(&e.obj, small, cap);
        if (cap)
            assert_true(m < cap && small[m] == '\0');
        else
            assert_int_equal(m, 0);
        for (size_t i = cap; i < sizeof small; i++)
            assert_int_equal(small[i], 'X');
    }
    s_doc_free(&e);
}

/*  An entry that names its advisor (the person or team within the
 *  structure) is found by that name too. */
static void test_the_advisor_named_finds_the_listing(void **state)
{
    (void)state;
    doc_t e;
    s_doc(&e, "{\"organisation\": {\"name\": \"Coopérative Ouvrages\", \"legal_form\": \"cae\","
              " \"address\": {\"postcode\": \"49000\", \"city\": \"Angers\"}},"
              " \"advisor\": \"Élise Marchand\", \"offer\": {\"themes\": [], \"formats\": [\"support\"]}}");
    assert_true(s_finds("elise marchand", &e.obj));
    assert_true(s_finds("Marchand CAE", &e.obj));
    assert_true(s_finds("coopérative d’activité et d’emploi", &e.obj));
    assert_false(s_finds("dupont", &e.obj));
    s_doc_free(&e);
}

/*  Declared networks find the listing, under any name the list of
 *  networks gives them (proto/networks.h); a name outside the list, as
 *  written. */
static void test_declared_networks_find_the_listing_by_any_name(void **state)
{
    (void)state;
    doc_t e;
    s_doc(&e, "{\"organisation\": {\"name\": \"Ancrage Conseil\", \"legal_form\": \"scop\","
              " \"address\": {\"postcode\": \"44000\", \"city\": \"Nantes\"}},"
              " \"offer\": {\"themes\": [], \"formats\": [\"support\"]},"
              " \"ties\": {\"networks\": [\"Union régionale des Scop de l'Ouest\", \"Collectif Tiers-Lieux 44\"]}}");
    assert_true(s_finds("urscop", &e.obj));
    assert_true(s_finds("URSCOP Ouest Nantes", &e.obj));
    assert_true(s_finds("union regionale", &e.obj));
    assert_true(s_finds("tiers lieux", &e.obj));
    assert_false(s_finds("france active", &e.obj));
    s_doc_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_word_must_begin_a_word),
        cmocka_unit_test(test_theme_labels_and_codes_find_the_theme),
        cmocka_unit_test(test_acronyms_find_their_expansion_and_back),
        cmocka_unit_test(test_an_expansion_brings_the_acronyms_it_holds),
        cmocka_unit_test(test_short_acronyms_do_not_match_inside_words),
        cmocka_unit_test(test_every_acronym_of_the_list_both_ways),
        cmocka_unit_test(test_words_are_folded_and_bounded),
        cmocka_unit_test(test_the_advisor_named_finds_the_listing),
        cmocka_unit_test(test_declared_networks_find_the_listing_by_any_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
