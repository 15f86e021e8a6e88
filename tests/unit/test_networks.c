/* Unit tests of proto/networks: the list is well formed, and a network
 * declared under one name is found under any other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/networks.h"
#include "proto/text.h"

static bool s_same(const char *a, const char *b)
{
    return networks_same(a, strlen(a), b, strlen(b));
}

/*  Each alias is stored folded, and no folded name (alias, name or code)
 *  designates two networks: a lookup would otherwise depend on the order. */
static void test_list_is_folded_and_unambiguous(void **state)
{
    (void)state;
    size_t count;
    const network_t *all = networks_all(&count);
    assert_true(count >= 20);
    for (size_t i = 0; i < count; i++) {
        assert_non_null(all[i].aliases[0]);
        for (const char *const *alias = all[i].aliases; *alias; alias++) {
            char folded[256];
            text_fold(*alias, strlen(*alias), folded, sizeof folded);
            assert_string_equal(folded, *alias);
            assert_ptr_equal(networks_find(*alias, strlen(*alias)), &all[i]);
        }
        assert_ptr_equal(networks_find(all[i].name, strlen(all[i].name)), &all[i]);
        assert_ptr_equal(networks_find(all[i].code, strlen(all[i].code)), &all[i]);
        for (size_t j = i + 1; j < count; j++)
            assert_string_not_equal(all[i].code, all[j].code);
    }
}

static void test_aliases_designate_the_same_network(void **state)
{
    (void)state;
    assert_true(s_same("URSCOP Ouest", "Union régionale des Scop de l'Ouest"));
    assert_true(s_same("Union Régionale des SCOP de l’Ouest", "les Scop de l'Ouest"));
    assert_true(s_same("Mouvement associatif", "LE MOUVEMENT ASSOCIATIF DES PAYS DE LA LOIRE"));
    assert_true(s_same("FNMF", "Mutualité française"));
    assert_true(s_same("France Active Pays de la Loire", "France Active"));
    assert_true(s_same("Mouves", "Impact France"));
    assert_true(s_same("cress-pdl", "Chambre régionale de l'économie sociale et solidaire des Pays de la Loire"));
}

static void test_different_networks_do_not_match(void **state)
{
    (void)state;
    assert_false(s_same("URSCOP Ouest", "CG Scop"));
    assert_false(s_same("URSCOP Ouest", "France Active"));
    assert_false(s_same("Copea", "Coopérer pour entreprendre"));
    assert_false(s_same("", ""));
    assert_false(s_same("   ", "-"));
}

/*  Names outside the list are compared folded, as before the list. */
static void test_free_text_is_compared_folded(void **state)
{
    (void)state;
    assert_null(networks_find("Collectif des Tiers-Lieux de Sarthe", 35));
    assert_true(s_same("Collectif des Tiers-Lieux de Sarthe", "collectif des tiers lieux de sarthe"));
    assert_false(s_same("Collectif des Tiers-Lieux de Sarthe", "Collectif de Mayenne"));
    /* Invalid UTF-8 is compared byte for byte, and never crashes. */
    assert_false(s_same("\xff\xfe", "URSCOP Ouest"));
    assert_true(s_same("\xff\xfe", "\xff\xfe"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_is_folded_and_unambiguous),
        cmocka_unit_test(test_aliases_designate_the_same_network),
        cmocka_unit_test(test_different_networks_do_not_match),
        cmocka_unit_test(test_free_text_is_compared_folded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
