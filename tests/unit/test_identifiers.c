/* Unit tests of proto/identifiers: SIREN, SIRET, RNA, NDA
 * and postcodes, one table per identifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/identifiers.h"

#define COUNT(table) (sizeof table / sizeof *table)

typedef struct {
    const char *text;
    id_status_t status;
    const char *digits;     /* what the check gives back */
} id_case_t;

static void test_digits_drop_spaces_only(void **state)
{
    static const struct {
        const char *text;
        size_t cap;
        int count;
        const char *out;
    } cases[] = {
        {"356 000 000 00048", 15, 14, "35600000000048"},
        {"35600000000048", 15, 14, "35600000000048"},
        {"  52 44 12563 44 ", 12, 11, "52441256344"},
        {"", 4, 0, ""},
        {"   ", 4, 0, ""},
        {"356-000-000", 15, -1, ""},          /* dashes are not spaces */
        {"356\t000", 15, -1, ""},             /* neither are tabs */
        {"35600000000048", 14, -1, ""},       /* one digit too many for the buffer */
        {"12a4", 8, -1, ""},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[32] = "junk";
        assert_int_equal(id_digits(cases[i].text, strlen(cases[i].text), out, cases[i].cap),
                         cases[i].count);
        assert_string_equal(out, cases[i].out);
    }
    char out[4];
    assert_int_equal(id_digits(NULL, 3, out, sizeof out), -1);
    assert_int_equal(id_digits("123", 3, out, 0), -1);
}

static void test_luhn(void **state)
{
    static const struct {
        const char *digits;
        bool valid;
    } cases[] = {
        {"0", true}, {"18", true}, {"79927398713", true}, {"79927398710", false},
        {"458813995", true}, {"458813996", false}, {"45881399500016", true},
        {"4588139950001x", false},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        assert_int_equal(id_luhn(cases[i].digits, strlen(cases[i].digits)), cases[i].valid);
}

static void s_run(const id_case_t *cases, size_t count,
                  id_status_t (*check)(const char *, size_t, char *))
{
    for (size_t i = 0; i < count; i++) {
        char digits[32] = "junk";
        id_status_t status = check(cases[i].text, strlen(cases[i].text), digits);
        if (status != cases[i].status)
            fail_msg("%s: %s, expected %s", cases[i].text, id_status_name(status),
                     id_status_name(cases[i].status));
        assert_string_equal(digits, cases[i].digits);
        /* digits may be NULL */
        assert_int_equal(check(cases[i].text, strlen(cases[i].text), NULL), cases[i].status);
    }
}

static void test_siren(void **state)
{
    static const id_case_t cases[] = {
        {"458813995", ID_OK, "458813995"},
        {"458 813 995", ID_OK, "458813995"},
        {"356000000", ID_OK, "356000000"},          /* La Poste's SIREN is Luhn-valid */
        {"458813996", ID_BAD_CHECKSUM, "458813996"},
        {"45881399", ID_BAD_LENGTH, "45881399"},
        {"4588139950", ID_BAD_LENGTH, "458813995"},
        {"458.813.995", ID_BAD_CHARS, ""},
        {"", ID_BAD_LENGTH, ""},
    };
    s_run(cases, COUNT(cases), id_siren_check);
}

static void test_siret(void **state)
{
    static const id_case_t cases[] = {
        {"45881399500016", ID_OK, "45881399500016"},
        {"458 813 995 00016", ID_OK, "45881399500016"},
        {" 96987973300018 ", ID_OK, "96987973300018"},
        {"45881399500017", ID_BAD_CHECKSUM, "45881399500017"},
        /* the 14 digits pass Luhn, their SIREN 123456789 does not */
        {"12345678900007", ID_BAD_CHECKSUM, "12345678900007"},
        /* digit sum a multiple of 5 is La Poste's rule only */
        {"73282932000072", ID_BAD_CHECKSUM, "73282932000072"},
        /* La Poste: head office passes Luhn, establishments the digit sum */
        {"35600000000048", ID_OK, "35600000000048"},
        {"356 000 000 00048", ID_OK, "35600000000048"},
        {"35600000012346", ID_OK, "35600000012346"},   /* Luhn fails, sum 30 */
        {"356 000 000 00001", ID_OK, "35600000000001"},
        {"35600000012345", ID_BAD_CHECKSUM, "35600000012345"},  /* sum 29 */
        /* Luhn is not La Poste's rule: only its head office passes by it */
        {"35600000000014", ID_BAD_CHECKSUM, "35600000000014"},  /* sum 19 */
        {"4588139950001", ID_BAD_LENGTH, "4588139950001"},
        {"458813995000160", ID_BAD_LENGTH, "45881399500016"},
        {"4588139950001A", ID_BAD_CHARS, ""},
        {"458-813-995-00016", ID_BAD_CHARS, ""},
        {"", ID_BAD_LENGTH, ""},
    };
    s_run(cases, COUNT(cases), id_siret_check);
}

static void test_siren_of_siret(void **state)
{
    char siren[ID_SIREN_LEN + 1];
    assert_int_equal(id_siret_siren("458 813 995 00016", 17, siren), 0);
    assert_string_equal(siren, "458813995");
    assert_int_equal(id_siret_siren("35600000012346", 14, siren), 0);
    assert_string_equal(siren, ID_LA_POSTE_SIREN);
    assert_int_equal(id_siret_siren("458813995", 9, siren), -1);
    assert_string_equal(siren, "");
    assert_int_equal(id_siret_siren("45881399500O16", 14, siren), -1);
}

static void test_rna(void **state)
{
    static const struct {
        const char *text;
        id_status_t status;
        bool none;
    } cases[] = {
        {"W442001234", ID_OK, false},
        {"W491002345", ID_OK, false},
        {"W2A1234567", ID_OK, false},     /* Corse-du-Sud */
        {"W2B0001234", ID_OK, false},     /* Haute-Corse */
        {"none", ID_OK, true},            /* Alsace-Moselle */
        {"W2C1234567", ID_BAD_SHAPE, false},
        {"W2a1234567", ID_BAD_SHAPE, false},
        {"WA21234567", ID_BAD_SHAPE, false},
        {"w442001234", ID_BAD_SHAPE, false},
        {"W44200123", ID_BAD_SHAPE, false},
        {"W4420012345", ID_BAD_SHAPE, false},
        {"W44 2001234", ID_BAD_SHAPE, false},
        {"W44200123A", ID_BAD_SHAPE, false},
        {"442001234", ID_BAD_SHAPE, false},
        {"None", ID_OK, true},            /* as a person types it */
        {"aucun", ID_OK, true},           /* what the form and the reasons say */
        {"AUCUN", ID_OK, true},
        {"aucune", ID_BAD_SHAPE, false},
        {"non", ID_BAD_SHAPE, false},
        {"", ID_BAD_SHAPE, false},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t len = strlen(cases[i].text);
        if (id_rna_check(cases[i].text, len) != cases[i].status)
            fail_msg("%s", cases[i].text);
        assert_int_equal(id_rna_is_none(cases[i].text, len), cases[i].none);
    }
    assert_int_equal(id_rna_check(NULL, 0), ID_BAD_SHAPE);
}

static void test_nda(void **state)
{
    static const id_case_t cases[] = {
        {"52 44 12563 44", ID_OK, "52441256344"},
        {"52441256344", ID_OK, "52441256344"},
        {"52 49 01234 49", ID_OK, "52490123449"},
        {"11 75 54321 75", ID_OK, "11755432175"},
        {"44 67 02468 67", ID_OK, "44670246867"},   /* Grand Est, Bas-Rhin */
        {"52 44 12563 49", ID_BAD_SHAPE, "52441256349"},  /* département differs */
        {"00 44 12563 44", ID_BAD_SHAPE, "00441256344"},
        {"52 00 12563 00", ID_BAD_SHAPE, "52001256300"},
        {"52 44 12563 4", ID_BAD_LENGTH, "5244125634"},
        {"52 44 12563 444", ID_BAD_LENGTH, "52441256344"},
        {"52-44-12563-44", ID_BAD_CHARS, ""},
        {"", ID_BAD_LENGTH, ""},
    };
    s_run(cases, COUNT(cases), id_nda_check);
}

static void test_postcode_department(void **state)
{
    static const struct {
        const char *postcode;
        int rc;
        const char *department;
    } cases[] = {
        {"44000", 0, "44"}, {"49100", 0, "49"}, {"53000", 0, "53"}, {"72000", 0, "72"},
        {"85000", 0, "85"}, {"01000", 0, "01"}, {"67000", 0, "67"}, {"95000", 0, "95"},
        {"20000", 0, "2A"}, {"20090", 0, "2A"}, {"20199", 0, "2A"},
        {"20200", 0, "2B"}, {"20600", 0, "2B"}, {"20290", 0, "2B"},
        {"97400", 0, "974"}, {"97133", 0, "971"}, {"97600", 0, "976"}, {"98800", 0, "988"},
        {"00100", -1, ""}, {"96000", -1, ""}, {"4400", -1, ""}, {"440000", -1, ""},
        {"44 00", -1, ""}, {"2A000", -1, ""}, {"", -1, ""},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char department[4] = "xx";
        int rc = id_postcode_department(cases[i].postcode, strlen(cases[i].postcode), department);
        if (rc != cases[i].rc)
            fail_msg("%s", cases[i].postcode);
        assert_string_equal(department, cases[i].department);
    }
}

static void test_status_names(void **state)
{
    assert_string_equal(id_status_name(ID_OK), "ok");
    assert_string_equal(id_status_name(ID_BAD_CHARS), "chars");
    assert_string_equal(id_status_name(ID_BAD_LENGTH), "length");
    assert_string_equal(id_status_name(ID_BAD_CHECKSUM), "checksum");
    assert_string_equal(id_status_name(ID_BAD_SHAPE), "shape");
}

/* The addresses notify writes to: printable ASCII, one '@' inside, none
 * of what a header is made of; each refusal says why, in French. */
static void test_mail_address_rule(void **state)
{
    (void)state;
    static const char *const good[] = {"a@b", "essp@localhost", "a.b+c@example.org", "!#$%&'*+/=?^_`{|}~@x.fr"};
    static const char *const bad[] = {"", "a", "a@", "@b", "a b@c.org", "a@b@c", "a@b.org\r\nBcc: x@y",
                                      "zoé@exemple.fr", "contact@crèche-solidaire.fr", "<a@b.org>",
                                      "a@b.org,c@d.org", "jean@asso.fr,", "a\t@b.org", "a(b)@c.fr",
                                      "[a]@b.fr", "a\\b@c.fr", "a:b@c.fr", "a;b@c.fr", "\"a\"@b.fr", "a@b\x7f"};
    for (size_t i = 0; i < COUNT(good); i++) {
        const char *reason = "junk";
        assert_true(id_mail_address_check(good[i], strlen(good[i]), &reason));
        assert_null(reason);
    }
    for (size_t i = 0; i < COUNT(bad); i++) {
        const char *reason = NULL;
        if (id_mail_address_check(bad[i], strlen(bad[i]), &reason))
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(reason);
        assert_true(strstr(reason, "L’adresse") == reason);
    }
    assert_false(id_mail_address_check(NULL, 0, NULL));
    char long_address[300];
    memset(long_address, 'a', sizeof long_address);
    memcpy(long_address + 243, "@exemple.fr", 12);   /* 254 bytes: fits */
    assert_true(id_mail_address_check(long_address, strlen(long_address), NULL));
    /* The applicants' and members' rule is this one with a dotted domain. */
    assert_true(id_email_valid(long_address, strlen(long_address)));
    memset(long_address, 'a', sizeof long_address);
    memcpy(long_address + 244, "@exemple.fr", 12);   /* 255 bytes: too long */
    assert_false(id_mail_address_check(long_address, strlen(long_address), NULL));
    assert_false(id_email_valid("essp@localhost", 14));
    assert_false(id_email_valid("zoé@exemple.fr", strlen("zoé@exemple.fr")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_drop_spaces_only),
        cmocka_unit_test(test_luhn),
        cmocka_unit_test(test_siren),
        cmocka_unit_test(test_siret),
        cmocka_unit_test(test_siren_of_siret),
        cmocka_unit_test(test_rna),
        cmocka_unit_test(test_nda),
        cmocka_unit_test(test_postcode_department),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_mail_address_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
