/*  The pure parts of essp-desk: the password rules and the list of common
 *  passwords, sealing a secret under a token or a password
 *  (common/sealed_key), TOTP against RFC 6238's test vectors, recovery
 *  codes, the login throttle's arithmetic, forms and cookies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/sealed_key.h"
#include "services/desk/forms.h"
#include "services/desk/password.h"
#include "services/desk/throttle.h"
#include "services/desk/totp.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void test_password_rules(void **state)
{
    (void)state;
    assert_non_null(strstr(password_problem("court", "a@b.fr", "Ana"), "12 caractères"));
    /* Twelve characters, not twelve bytes: "été" is 3 characters, 5 bytes. */
    assert_non_null(password_problem("étéétéétéé", "a@b.fr", "Ana"));
    assert_null(password_problem("étéétéétéétéz", "a@b.fr", "Ana"));
    assert_non_null(strstr(password_problem("Claire.Moreau@example.org", "claire.moreau@example.org", "C"),
                           "adresse"));
    assert_non_null(strstr(password_problem("CLAIRE MOREAU", "c@m.fr", "Claire Moreau"), "votre nom"));
    assert_non_null(strstr(password_problem("MotDePasse2024", "c@m.fr", "C"), "plus courants"));
    assert_non_null(strstr(password_problem("azertyuiop123", "c@m.fr", "C"), "plus courants"));
    assert_null(password_problem("trois chats sur un toit", "c@m.fr", "C"));
    char *long_one = malloc(PASSWORD_MAX_BYTES + 2);
    memset(long_one, 'x', PASSWORD_MAX_BYTES + 1);
    long_one[PASSWORD_MAX_BYTES + 1] = '\0';
    assert_non_null(strstr(password_problem(long_one, "c@m.fr", "C"), "200 octets"));
    free(long_one);
}

static void test_the_common_list_is_whole(void **state)
{
    (void)state;
    assert_true(password_common_count() >= 10000);
    assert_true(password_is_common("password"));
    assert_true(password_is_common("PassWord"));
    assert_true(password_is_common("soleil1987"));
    assert_false(password_is_common("trois chats sur un toit"));
    /* The header's lines are not passwords. */
    assert_false(password_is_common("# Common passwords refused by essp-desk (services/desk/password.h), one a"));
}

static void test_sealing_under_a_token(void **state)
{
    (void)state;
    unsigned char token[32], key[32], other[32], hash[32], secret[32], sealed[72], opened[32];
    randombytes_buf(token, sizeof token);
    randombytes_buf(secret, sizeof secret);
    sealed_key_from_token(token, key);
    sealed_token_hash(token, hash);
    assert_memory_not_equal(key, hash, 32);    /* the stored hash never opens */
    sealed_seal(key, secret, 32, sealed);
    assert_int_equal(sealed_open(key, sealed, 72, opened), 0);
    assert_memory_equal(opened, secret, 32);
    assert_int_equal(sealed_open(hash, sealed, 72, opened), -1);
    token[0] ^= 1;
    sealed_key_from_token(token, other);
    assert_int_equal(sealed_open(other, sealed, 72, opened), -1);
    sealed[40] ^= 1;
    assert_int_equal(sealed_open(key, sealed, 72, opened), -1);
    assert_int_equal(sealed_open(key, sealed, 39, opened), -1);

    char text[64];
    unsigned char back[32];
    sealed_token_text(key, text, sizeof text);
    assert_int_equal(strlen(text), 43);
    assert_int_equal(sealed_token_parse(text, back), 0);
    assert_memory_equal(back, key, 32);
    text[42] = '=';
    assert_int_equal(sealed_token_parse(text, back), -1);
    assert_int_equal(sealed_token_parse("court", back), -1);
}

static void test_sealing_under_a_password(void **state)
{
    (void)state;
    unsigned char salt[16], key[32], wrong[32], secret[32], sealed[72], opened[32];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(secret, sizeof secret);
    assert_int_equal(sealed_key_from_password("trois chats sur un toit", 23, salt, key), 0);
    sealed_seal(key, secret, 32, sealed);
    assert_int_equal(sealed_key_from_password("trois chats sur un toit", 23, salt, wrong), 0);
    assert_int_equal(sealed_open(wrong, sealed, 72, opened), 0);     /* the same password, the same key */
    assert_memory_equal(opened, secret, 32);
    assert_int_equal(sealed_key_from_password("trois chats sur un toiT", 23, salt, wrong), 0);
    assert_int_equal(sealed_open(wrong, sealed, 72, opened), -1);
    salt[0] ^= 1;
    assert_int_equal(sealed_key_from_password("trois chats sur un toit", 23, salt, wrong), 0);
    assert_int_equal(sealed_open(wrong, sealed, 72, opened), -1);
}

/* RFC 6238 appendix B, SHA1: the seed "12345678901234567890", 8 digits. */
static void test_totp_rfc6238_vectors(void **state)
{
    (void)state;
    const unsigned char *seed = (const unsigned char *)"12345678901234567890";
    const struct {
        int64_t at;
        const char *code;
    } vectors[] = {{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
                   {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        char code[16];
        assert_int_equal(totp_code(seed, 20, vectors[i].at, 8, code, sizeof code), 0);
        assert_string_equal(code, vectors[i].code);
    }
    /* Six digits: the last six; a step either way is accepted, two are not. */
    char code[16];
    totp_code(seed, 20, 1111111109, 6, code, sizeof code);
    assert_string_equal(code, "081804");
    assert_true(totp_check(seed, 20, "081804", 1111111109, NULL));
    assert_true(totp_check(seed, 20, "081 804", 1111111109 + 30, NULL));
    assert_true(totp_check(seed, 20, "081804", 1111111109 - 30, NULL));
    /* The step a code belongs to, whichever neighbour accepted it. */
    int64_t step = 0;
    assert_true(totp_check(seed, 20, "081804", 1111111109 + 30, &step));
    assert_int_equal(step, 1111111109 / 30);
    assert_true(totp_check(seed, 20, "081804", 1111111109 - 30, &step));
    assert_int_equal(step, 1111111109 / 30);
    assert_false(totp_check(seed, 20, "081804", 1111111109 + 60, NULL));
    assert_false(totp_check(seed, 20, "08180", 1111111109, NULL));
    assert_false(totp_check(seed, 20, "0818045", 1111111109, NULL));
    assert_false(totp_check(seed, 20, "08180a", 1111111109, NULL));
}

static void test_totp_secret_shown(void **state)
{
    (void)state;
    const unsigned char *seed = (const unsigned char *)"12345678901234567890";
    char text[64], uri[512];
    assert_int_equal(totp_base32(seed, 20, text, sizeof text), 0);
    assert_string_equal(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_int_equal(totp_uri(seed, 20, "equipe+x@cress.example", uri, sizeof uri), 0);
    assert_string_equal(uri, "otpauth://totp/ESS%20Pratiques:equipe%2Bx@cress.example?secret="
                             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ESS%20Pratiques&algorithm=SHA1&digits=6&period=30");
}

static void test_recovery_codes(void **state)
{
    (void)state;
    char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_TEXT];
    unsigned char hashes[TOTP_RECOVERY_CODES][32], hash[32];
    totp_recovery_new(codes, hashes);
    for (size_t i = 0; i < TOTP_RECOVERY_CODES; i++) {
        assert_int_equal(strlen(codes[i]), 19);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(codes[i], codes[k]);
    }
    /* As typed: upper case, spaces, no dashes. */
    char typed[40];
    snprintf(typed, sizeof typed, " %.4s %.4s%.4s%.4s", codes[3], codes[3] + 5, codes[3] + 10, codes[3] + 15);
    for (char *p = typed; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(totp_recovery_hash(typed, hash), 0);
    assert_memory_equal(hash, hashes[3], 32);
    assert_int_equal(totp_recovery_hash("abcd-efgh", hash), -1);
    assert_int_equal(totp_recovery_hash("abcd-efgh-ijkl-mnop", hash), -1);   /* i and l are not used */
}

static void test_throttle(void **state)
{
    (void)state;
    throttle_t t = {0, 0};
    for (int i = 0; i < 9; i++)
        t = throttle_fail(t, 1000 + i, 900);
    assert_int_equal(t.count, 9);
    assert_int_equal(t.first, 1000);
    assert_false(throttle_locked(t, 1010, 900, 10));
    t = throttle_fail(t, 1100, 900);
    assert_true(throttle_locked(t, 1100, 900, 10));
    assert_true(throttle_locked(t, 1899, 900, 10));
    /* The window runs from the first failure. */
    assert_false(throttle_locked(t, 1900, 900, 10));
    t = throttle_fail(t, 1900, 900);
    assert_int_equal(t.count, 1);
    assert_int_equal(t.first, 1900);
    assert_int_equal(throttle_delay_ms(1), 0);
    assert_int_equal(throttle_delay_ms(3), 0);
    assert_int_equal(throttle_delay_ms(4), 100);
    assert_int_equal(throttle_delay_ms(5), 200);
    assert_int_equal(throttle_delay_ms(8), 1600);
    assert_int_equal(throttle_delay_ms(1000), 1600);
}

static void test_forms(void **state)
{
    (void)state;
    desk_field_t fields[4];
    const char *body = "email=claire%40example.org&password=trois+chats+%C3%A9t%C3%A9&csrf=&flag";
    int n = forms_parse(body, strlen(body), fields, 4);
    assert_int_equal(n, 4);
    assert_string_equal(fields[0].value, "claire@example.org");
    assert_string_equal(fields[1].value, "trois chats été");
    assert_string_equal(fields[2].name, "csrf");
    assert_string_equal(fields[2].value, "");
    assert_string_equal(fields[3].name, "flag");
    forms_free(fields, (size_t)n);
    const char *bad[] = {"a=%zz", "a=%4", "a=%00", "a=%C3", "a=%C0%AF", "a=1&b=2&c=3&d=4&e=5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(fields, 0, sizeof fields);
        assert_int_equal(forms_parse(bad[i], strlen(bad[i]), fields, 4), -1);
        forms_free(fields, 4);
    }
    char *big = malloc(DESK_FIELD_MAX + 4);
    memcpy(big, "a=", 2);
    memset(big + 2, 'x', DESK_FIELD_MAX + 1);
    big[DESK_FIELD_MAX + 3] = '\0';
    memset(fields, 0, sizeof fields);
    assert_int_equal(forms_parse(big, strlen(big), fields, 4), -1);
    forms_free(fields, 4);
    free(big);
}

static void test_cookies_and_tokens(void **state)
{
    (void)state;
    char value[64];
    assert_int_equal(forms_cookie("a=1; essp_desk_form=x; essp_desk=abc", "essp_desk", value, sizeof value), 0);
    assert_string_equal(value, "abc");
    assert_int_equal(forms_cookie("essp_desk_form=x", "essp_desk", value, sizeof value), -1);
    assert_int_equal(forms_cookie("essp_desk=0123456789", "essp_desk", value, 5), -1);
    assert_int_equal(forms_cookie("", "essp_desk", value, sizeof value), -1);
    assert_true(forms_token_eq("abc", "abc"));
    assert_false(forms_token_eq("abc", "abd"));
    assert_false(forms_token_eq("abc", "abcd"));
    assert_false(forms_token_eq("", ""));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_the_common_list_is_whole),
        cmocka_unit_test(test_sealing_under_a_token),
        cmocka_unit_test(test_sealing_under_a_password),
        cmocka_unit_test(test_totp_rfc6238_vectors),
        cmocka_unit_test(test_totp_secret_shown),
        cmocka_unit_test(test_recovery_codes),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_cookies_and_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
