/* Unit tests of proto/text: folding French for sorting and search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/text.h"

static void test_fold_table(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        {"École", "ecole"},
        {"COOPÉRATIVE", "cooperative"},
        {"coopérative", "cooperative"},
        {"Œuvre  d’art", "oeuvre d art"},
        {"  Île-de-France ", "ile de france"},
        {"ÇA VA, À BIENTÔT", "ca va a bientot"},
        {"Ærø", "aero"},
        {"SCIC L'Étoile 44", "scic l etoile 44"},
        {"Ÿvonne ÿ", "yvonne y"},
        {"Łódź, Ǆ", "lodz Ǆ"},
        {"Œdipe, ŒUVRE, cœur, Ĳssel", "oedipe oeuvre coeur ijssel"},
        {"l\u2019art \u2018ici\u2019 l'abc", "l art ici l abc"},
        {"Saint\u2010Nazaire \u2013 Nantes \u2014 Rezé-Sud", "saint nazaire nantes reze sud"},
        {"\u00ab\u00a0Bonjour\u202f!\u00a0\u00bb", "bonjour"},
        {"Straße 2×3 ÷ Þór Ðe", "strase 2 3 tor de"},
        {"a\u2026b \u00b0C", "a b c"},
        {"Ωmega ω", "Ωmega ω"},
        {"東京", "東京"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64];
        size_t n = text_fold(cases[i].in, strlen(cases[i].in), out, sizeof out);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
    }
}

static void test_fold_truncates_on_a_character_boundary(void **state)
{
    char out[6];
    text_fold("abcd東京", strlen("abcd東京"), out, sizeof out);
    assert_string_equal(out, "abcd");
    char tiny[1];
    assert_int_equal(text_fold("abc", 3, tiny, sizeof tiny), 0);
    assert_string_equal(tiny, "");
}

static void test_fold_survives_cut_sequences(void **state)
{
    char out[16];
    text_fold("a\xc3", 2, out, sizeof out);      /* a lone lead byte at the end */
    assert_int_equal(out[0], 'a');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_table),
        cmocka_unit_test(test_fold_truncates_on_a_character_boundary),
        cmocka_unit_test(test_fold_survives_cut_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
