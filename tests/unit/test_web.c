/*  The applicant's form (services/intake/web.h): every field of the
 *  schema has its input, posted forms become applications the schema
 *  accepts, errors land next to the right input, text is escaped. */
#include "services/intake/web.h"

#include "proto/schema.h"
#include "proto/wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static web_t *s_web;

typedef struct {
    char paths[256][128];
    size_t count;
} paths_t;

static void s_collect(const char *path, bool is_public, const char *type, const char *description, void *arg)
{
    paths_t *p = arg;
    assert_true(p->count < 256);
    snprintf(p->paths[p->count++], 128, "%s", path);
}

static bool s_has_children(const paths_t *p, const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < p->count; i++)
        if (strncmp(p->paths[i], path, len) == 0 && (p->paths[i][len] == '.' || strncmp(p->paths[i] + len, "[].", 3) == 0))
            return true;
    return false;
}

static void test_every_field_of_the_schema_has_an_input(void **state)
{
    paths_t *p = calloc(1, sizeof *p);
    schema_foreach_field(schema_application(), s_collect, p);
    size_t leaves = 0;
    for (size_t i = 0; i < p->count; i++) {
        if (s_has_children(p, p->paths[i]))
            continue;
        leaves++;
        if (!web_has_field(p->paths[i]))
            fail_msg("the form has no input for %s", p->paths[i]);
    }
    assert_true(leaves >= 45);
    assert_false(web_has_field("organisation"));
    free(p);
}

static char *s_render(const web_form_t *form)
{
    char *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&html, &len);
    web_page_apply(s_web, out, form, "cle");
    fclose(out);
    return html;
}

static const char s_valid[] =
    "organisation.name=Coop%C3%A9rative+des+Mauges&organisation.siret=477+848+642+00013"
    "&organisation.legal_form=scop&organisation.address.postcode=49300&organisation.address.city=Cholet"
    "&organisation.public_contact.email=contact%40mauges.example"
    "&organisation.private_contact.name=Anne+Morin&organisation.private_contact.email=a.morin%40mauges.example"
    "&organisation.esus.prefecture=&organisation.esus.granted=&organisation.esus.expires="
    "&principles.purpose=Engagement&principles.governance=&principles.surplus="
    "&offer.scope=whole&offer.formats=support&offer.formats=training&offer.themes=ethics_deontology"
    "&offer.departments=49%2C+44+85&organisation.nda=52+49+01234+49"
    "&references%5B0%5D.client=&references%5B0%5D.year=&references%5B0%5D.summary="
    "&references%5B1%5D.client=Association+X&references%5B1%5D.client_is_ess=true&references%5B1%5D.year=2024"
    "&references%5B1%5D.kind=support&references%5B1%5D.ci_topics=rse&references%5B1%5D.summary=Mission"
    "&trained_people%5B0%5D.name=&trained_people%5B0%5D.session_date="
    "&commitments.confidentiality=true&ties.networks=R%C3%A9seau+A%0D%0AR%C3%A9seau+B";

static void test_a_posted_form_becomes_an_application_the_schema_accepts(void **state)
{
    web_form_t *form = web_form_parse(s_valid, strlen(s_valid));
    assert_non_null(form);
    assert_string_equal(web_form_get(form, "organisation.name"), "Coopérative des Mauges");
    assert_null(web_form_added_row(form));
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    assert_int_equal(web_form_application(s_web, form, &out), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object doc;
    proto_error_t err;
    assert_int_equal(wire_decode(out.data, out.size, &zone, &doc, &err), 0);
    if (schema_validate(schema_application(), &doc, &err) != 0)
        fail_msg("%s (%s)", err.message, err.rule);
    /* The empty first reference row is no reference; the empty ESUS
     * agreement and trained people are absent; the list fields are split. */
    char *json = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&json, &len);
    msgpack_object_print(f, doc);
    fclose(f);
    assert_non_null(strstr(json, "\"references\"=>[{\"client\"=>\"Association X\""));
    assert_null(strstr(json, "esus"));
    assert_non_null(strstr(json, "{\"organisation\"=>{\"name\"=>"));
    assert_null(strstr(json, "trained_people"));
    assert_non_null(strstr(json, "\"departments\"=>[\"49\", \"44\", \"85\"]"));
    assert_non_null(strstr(json, "\"networks\"=>[\"Réseau A\", \"Réseau B\"]"));
    assert_non_null(strstr(json, "\"confidentiality\"=>true"));
    assert_non_null(strstr(json, "\"tax_compliance\"=>false"));
    assert_non_null(strstr(json, "\"year\"=>2024"));
    free(json);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&out);
    web_form_destroy(&form);
}

static void test_every_wrong_field_is_shown_next_to_its_input(void **state)
{
    static const char body[] = "organisation.name=X&organisation.siret=12&organisation.esus.granted=2020-02-30"
                               "&references%5B2%5D.client=Y&references%5B2%5D.year=vingt";
    web_form_t *form = web_form_parse(body, strlen(body));
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    assert_true(web_form_application(s_web, form, &out) >= 6);
    char *html = s_render(form);
    assert_non_null(strstr(html, "id=\"e-organisation.name\"><span class=\"visually-hidden\">Erreur : </span>Au moins 2 caractères."));
    assert_non_null(strstr(html, "id=\"e-organisation.siret\"><span class=\"visually-hidden\">Erreur : </span>Format attendu : 14 chiffres"));
    assert_non_null(strstr(html, "id=\"e-organisation.esus.granted\"><span class=\"visually-hidden\">Erreur : </span>Une date réelle"));
    /* The other fields of an agreement that was started are required. */
    assert_non_null(strstr(html, "id=\"e-organisation.esus.prefecture\""));
    assert_non_null(strstr(html, "id=\"e-references[2].year\"><span class=\"visually-hidden\">Erreur : </span>Une année en chiffres"));
    assert_non_null(strstr(html, "id=\"e-references[2].kind\""));
    assert_non_null(strstr(html, "<a href=\"#f-references[2].year\">Référence n° 3 — Année</a>"));
    assert_non_null(strstr(html, "id=\"e-offer.themes\""));
    /* What was typed stays in the form. */
    assert_non_null(strstr(html, "name=\"references[2].year\" value=\"vingt\""));
    free(html);
    msgpack_sbuffer_destroy(&out);
    web_form_destroy(&form);
}

static void test_an_error_of_the_core_lands_on_the_row_the_applicant_typed(void **state)
{
    web_form_t *form = web_form_parse(s_valid, strlen(s_valid));
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    assert_int_equal(web_form_application(s_web, form, &out), 0);
    /* references[0] of the application is row 1 of the form (row 0 was empty). */
    web_form_error(s_web, form, "references[0].year", "maximum");
    web_form_error(s_web, form, "offer.departments[1]", "pattern");
    web_form_error(s_web, form, "organisation.siret", "unique");
    char *html = s_render(form);
    assert_non_null(strstr(html, "id=\"e-references[1].year\"><span class=\"visually-hidden\">Erreur : </span>Un nombre entre 1900 et 2200."));
    assert_non_null(strstr(html, "id=\"e-offer.departments\""));
    assert_non_null(strstr(html, "Une candidature est déjà ouverte pour cette structure. Si c&#39;est la vôtre"));
    free(html);
    msgpack_sbuffer_destroy(&out);
    web_form_destroy(&form);
}

static void test_text_is_escaped_and_broken_forms_are_refused(void **state)
{
    static const char body[] = "organisation.name=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22&_add=references";
    web_form_t *form = web_form_parse(body, strlen(body));
    assert_string_equal(web_form_added_row(form), "references");
    char *html = s_render(form);
    assert_null(strstr(html, "<script>alert"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;"));
    /* "Add a row" gives one more reference row than the default three. */
    assert_non_null(strstr(html, "name=\"references[3].client\""));
    assert_null(strstr(html, "name=\"references[4].client\""));
    free(html);
    web_form_destroy(&form);
    assert_null(web_form_parse("a=%zz", 5));
    assert_null(web_form_parse("a=%4", 4));
    /* A NUL would cut the value short ("Ab"): the form is refused and the
     * field named, whatever follows it. */
    const char *nul = "organisation.siret=1&organisation.name=Ab%00cdef&x=1";
    char bad[64];
    assert_null(web_form_parse(nul, strlen(nul)));
    assert_null(web_form_parse_field(nul, strlen(nul), bad, sizeof bad));
    assert_string_equal(bad, "organisation.name");
    assert_null(web_form_parse_field("a=%zz", 5, bad, sizeof bad));
    assert_string_equal(bad, "a");
    /* Invalid UTF-8 is an error on its field, never a crash. */
    form = web_form_parse("organisation.name=%FF%FE", 24);
    assert_non_null(form);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    assert_true(web_form_application(s_web, form, &out) > 0);
    html = s_render(form);
    assert_non_null(strstr(html, "id=\"e-organisation.name\"><span class=\"visually-hidden\">Erreur : </span>Ce texte contient des caractères illisibles."));
    free(html);
    msgpack_sbuffer_destroy(&out);
    web_form_destroy(&form);
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
        cmocka_unit_test(test_every_field_of_the_schema_has_an_input),
        cmocka_unit_test(test_a_posted_form_becomes_an_application_the_schema_accepts),
        cmocka_unit_test(test_every_wrong_field_is_shown_next_to_its_input),
        cmocka_unit_test(test_an_error_of_the_core_lands_on_the_row_the_applicant_typed),
        cmocka_unit_test(test_text_is_escaped_and_broken_forms_are_refused),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
