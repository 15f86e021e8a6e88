/*  The letters' templates (services/notify/templates) and their engine
 *  (services/notify/template.h): every template of every kind renders with
 *  every variable, none is left without a value, applicant text is escaped
 *  in HTML, and a mistake in a template file is caught when it is loaded. */
#include "services/notify/letters.h"
#include "services/notify/template.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define S_HOSTILE "Zoé <b>&\"' \r\nBcc: x@y"

/*  Every variable set, every section with two items (full) or none. */
static vars_t *s_vars(const template_spec_t *spec, const char *skip, bool full)
{
    vars_t *v = vars_new();
    assert_non_null(v);
    for (const char *const *n = spec->names; *n; n++)
        if (!skip || strcmp(*n, skip))
            assert_int_equal(vars_set(v, *n, S_HOSTILE), 0);
    for (const char *const *s = spec->sections; *s; s++)
        if (!skip || strcmp(*s, skip)) {
            assert_int_equal(vars_flag(v, *s, false), 0);
            if (full) {
                assert_non_null(vars_add_item(v, *s));
                assert_non_null(vars_add_item(v, *s));
            }
        }
    return v;
}

static vars_t *s_all_vars(const template_spec_t *spec, const char *skip)
{
    return s_vars(spec, skip, true);
}

/*  Whether rendering without `skip` fails, naming it. */
static bool s_render_fails(const template_t *t, const template_spec_t *spec, const char *skip, bool full)
{
    vars_t *v = s_vars(spec, skip, full);
    char *subject, *text, *html, err[512] = "";
    int rc = template_render(t, v, &subject, &text, &html, err, sizeof err);
    vars_destroy(&v);
    if (rc == 0) {
        free(subject), free(text), free(html);
        return false;
    }
    assert_null(subject);
    assert_non_null(strstr(err, skip));
    return true;
}

static bool s_uses(const char *kind, const char *name)
{
    char path[512], needle[80];
    snprintf(needle, sizeof needle, "%s}}", name);
    bool found = false;
    const char *exts[] = { "txt", "html" };
    for (size_t e = 0; e < 2 && !found; e++) {
        snprintf(path, sizeof path, "%s/%s.%s", ESSP_NOTIFY_TEMPLATES_DIR, kind, exts[e]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        for (const char *p = strstr(buf, needle); p && !found; p = strstr(p + 1, needle))
            found = p[-1] == '{' || p[-1] == '#' || p[-1] == '^';
    }
    return found;
}

static void test_every_kind_renders_with_every_variable(void **state)
{
    (void) state;
    const template_spec_t *specs;
    size_t count = letters_specs(&specs);
    assert_int_equal(count, 21);
    for (size_t i = 0; i < count; i++) {
        char err[512] = "";
        template_t *t = template_load(ESSP_NOTIFY_TEMPLATES_DIR, &specs[i], err, sizeof err);
        if (!t)
            fail_msg("%s: %s", specs[i].kind, err);
        vars_t *v = s_all_vars(&specs[i], NULL);
        char *subject, *text, *html;
        if (template_render(t, v, &subject, &text, &html, err, sizeof err))
            fail_msg("%s: %s", specs[i].kind, err);
        assert_true(strlen(subject) > 5 && strlen(text) > 50 && strlen(html) > 50);
        assert_null(strstr(subject, "{{"));
        assert_null(strstr(text, "{{"));
        assert_null(strstr(html, "{{"));
        /* Applicant text is inert in HTML, as it is in the plain text. */
        assert_null(strstr(html, "<b>&"));
        assert_non_null(strstr(html, "<html lang=\"fr\">"));
        free(subject);
        free(text);
        free(html);
        vars_destroy(&v);
        template_destroy(&t);
    }
}

/*  Leave out any name a template uses: the letter is not written. */
static void test_a_missing_value_is_an_error(void **state)
{
    (void) state;
    const template_spec_t *specs;
    size_t count = letters_specs(&specs), checked = 0;
    for (size_t i = 0; i < count; i++) {
        char err[512] = "";
        template_t *t = template_load(ESSP_NOTIFY_TEMPLATES_DIR, &specs[i], err, sizeof err);
        assert_non_null(t);
        const char *const *lists[] = { specs[i].names, specs[i].sections };
        for (size_t l = 0; l < 2; l++)
            for (const char *const *n = lists[l]; *n; n++) {
                if (!s_uses(specs[i].kind, *n))
                    continue;
                /* A name inside a section shows only when the section
                 * does: one of the two renderings must miss it. */
                if (!s_render_fails(t, &specs[i], *n, true) && !s_render_fails(t, &specs[i], *n, false))
                    fail_msg("%s: rendered without '%s'", specs[i].kind, *n);
                checked++;
            }
        template_destroy(&t);
    }
    assert_true(checked > 100);
}

static char s_dir[64];

static void s_write(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const s_names[] = { "nom", NULL };
static const char *const s_sections[] = { "liste", NULL };
static const template_spec_t s_spec = { "essai", s_names, s_sections };

static void s_expect_load_error(const char *txt, const char *html, const char *expected)
{
    s_write("essai.txt", txt);
    if (html)
        s_write("essai.html", html);
    char err[512] = "";
    template_t *t = template_load(s_dir, &s_spec, err, sizeof err);
    if (t)
        fail_msg("loaded: %s", txt);
    if (!strstr(err, expected))
        fail_msg("expected '%s' in '%s'", expected, err);
}

static void test_mistakes_are_caught_at_load(void **state)
{
    (void) state;
    strcpy(s_dir, "/tmp/essp-notify-tpl-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    s_expect_load_error("Objet : a\n\n{{prenom}}\n", "x", "« prenom » n’est pas une variable");
    s_expect_load_error("Objet : a\n\n{{#liste}}x\n", "x", "la section « liste » n’est pas fermée");
    s_expect_load_error("Objet : a\n\n{{/liste}}\n", "x", "ne ferme aucune section");
    s_expect_load_error("Sujet : a\n\nx\n", "x", "« Objet : … »");
    s_expect_load_error("Objet : a\n\n{{nom}\n", "x", "sans « }} »");
    s_expect_load_error("Objet : a\n\nx\n", "{{#nom}}{{/nom}}", "n’est pas une section");
    s_expect_load_error("Objet : a\n\nx\n", "<p>\n{{Nom}}</p>", "ligne 2");
    char path[128];
    snprintf(path, sizeof path, "%s/essai.html", s_dir);
    unlink(path);
    s_expect_load_error("Objet : a\n\nx\n", NULL, "fichier absent");
    snprintf(path, sizeof path, "%s/essai.txt", s_dir);
    unlink(path);
    rmdir(s_dir);
}

/*  Sections: repeated per item, inverted when empty, a tag alone on its
 *  line leaves no blank line; outer variables are seen inside. */
static void test_sections(void **state)
{
    (void) state;
    strcpy(s_dir, "/tmp/essp-notify-tpl-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    s_write("essai.txt", "Objet : {{nom}}\n\navant\n{{#liste}}\n- {{nom}}\n{{/liste}}\n{{^liste}}\nrien\n{{/liste}}\napres\n");
    s_write("essai.html", "<p>{{nom}}</p>");
    char err[512];
    template_t *t = template_load(s_dir, &s_spec, err, sizeof err);
    assert_non_null(t);
    vars_t *v = vars_new();
    vars_set(v, "nom", "Dehors");
    vars_flag(v, "liste", false);
    char *subject, *text, *html;
    assert_int_equal(template_render(t, v, &subject, &text, &html, err, sizeof err), 0);
    assert_string_equal(subject, "Dehors");
    assert_string_equal(text, "avant\nrien\napres\n");
    assert_string_equal(html, "<p>Dehors</p>");
    free(subject), free(text), free(html);
    vars_set(vars_add_item(v, "liste"), "nom", "Un");
    assert_non_null(vars_add_item(v, "liste"));
    assert_int_equal(template_render(t, v, &subject, &text, &html, err, sizeof err), 0);
    assert_string_equal(text, "avant\n- Un\n- Dehors\napres\n");
    free(subject), free(text), free(html);
    vars_destroy(&v);
    template_destroy(&t);
    char path[128];
    snprintf(path, sizeof path, "%s/essai.txt", s_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/essai.html", s_dir);
    unlink(path);
    rmdir(s_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_renders_with_every_variable),
        cmocka_unit_test(test_a_missing_value_is_an_error),
        cmocka_unit_test(test_mistakes_are_caught_at_load),
        cmocka_unit_test(test_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
