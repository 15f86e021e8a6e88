/* Unit tests of common/sealed_token.h: a token sealed to a CurveZMQ key
 * pair opens with that pair only, and nothing short or altered opens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/sealed_token.h"

#include <czmq.h>

static const char s_token[] = "A5-lvhQ0m8yP2rTq9xWc3nJb7eKd1uZs4fGh6iLo0pV";

static void test_round_trip_with_a_zcert(void **state)
{
    (void)state;
    zcert_t *cert = zcert_new();
    uint8_t sealed[SEALED_TOKEN_MAX], out[128];
    size_t len = 0;
    assert_int_equal(sealed_token_seal(zcert_public_key(cert), s_token, strlen(s_token), sealed, sizeof sealed, &len),
                     0);
    assert_int_equal(len, strlen(s_token) + SEALED_TOKEN_OVERHEAD);
    /* Not the token in clear. */
    assert_null(memmem(sealed, len, s_token, 8));
    int n = sealed_token_open(zcert_public_key(cert), zcert_secret_key(cert), sealed, len, out, sizeof out);
    assert_int_equal(n, (int)strlen(s_token));
    assert_memory_equal(out, s_token, strlen(s_token));
    /* Two seals of one token differ (a new ephemeral key each time). */
    uint8_t again[SEALED_TOKEN_MAX];
    size_t again_len = 0;
    assert_int_equal(sealed_token_seal(zcert_public_key(cert), s_token, strlen(s_token), again, sizeof again,
                                       &again_len), 0);
    assert_memory_not_equal(again, sealed, len);
    zcert_destroy(&cert);
}

static void test_another_key_does_not_open(void **state)
{
    (void)state;
    zcert_t *notify = zcert_new(), *other = zcert_new();
    uint8_t sealed[SEALED_TOKEN_MAX], out[128];
    size_t len = 0;
    assert_int_equal(sealed_token_seal(zcert_public_key(notify), s_token, strlen(s_token), sealed, sizeof sealed, &len),
                     0);
    assert_int_equal(sealed_token_open(zcert_public_key(other), zcert_secret_key(other), sealed, len, out, sizeof out),
                     -1);
    /* The right public key with another secret key neither. */
    assert_int_equal(sealed_token_open(zcert_public_key(notify), zcert_secret_key(other), sealed, len, out,
                                       sizeof out), -1);
    zcert_destroy(&notify);
    zcert_destroy(&other);
}

static void test_truncated_or_altered_is_refused(void **state)
{
    (void)state;
    zcert_t *cert = zcert_new();
    uint8_t sealed[SEALED_TOKEN_MAX], out[128];
    size_t len = 0;
    assert_int_equal(sealed_token_seal(zcert_public_key(cert), s_token, strlen(s_token), sealed, sizeof sealed, &len),
                     0);
    const uint8_t *pk = zcert_public_key(cert), *sk = zcert_secret_key(cert);
    assert_int_equal(sealed_token_open(pk, sk, sealed, len - 1, out, sizeof out), -1);
    assert_int_equal(sealed_token_open(pk, sk, sealed, SEALED_TOKEN_OVERHEAD, out, sizeof out), -1);
    assert_int_equal(sealed_token_open(pk, sk, sealed, 0, out, sizeof out), -1);
    sealed[len / 2] ^= 1;
    assert_int_equal(sealed_token_open(pk, sk, sealed, len, out, sizeof out), -1);
    sealed[len / 2] ^= 1;
    /* The token does not fit in what the caller gives. */
    assert_int_equal(sealed_token_open(pk, sk, sealed, len, out, 10), -1);
    assert_int_equal(sealed_token_open(pk, sk, sealed, len, out, sizeof out), (int)strlen(s_token));
    zcert_destroy(&cert);
}

static void test_seal_limits(void **state)
{
    (void)state;
    zcert_t *cert = zcert_new();
    uint8_t sealed[SEALED_TOKEN_MAX], big[SEALED_TOKEN_MAX];
    size_t len = 0;
    memset(big, 'x', sizeof big);
    /* Too little room, and a secret longer than the limit. */
    assert_int_equal(sealed_token_seal(zcert_public_key(cert), s_token, strlen(s_token), sealed, 20, &len), -1);
    assert_int_equal(sealed_token_seal(zcert_public_key(cert), big, SEALED_TOKEN_MAX - SEALED_TOKEN_OVERHEAD + 1,
                                       sealed, sizeof sealed, &len), -1);
    assert_int_equal(sealed_token_seal(zcert_public_key(cert), big, SEALED_TOKEN_MAX - SEALED_TOKEN_OVERHEAD,
                                       sealed, sizeof sealed, &len), 0);
    assert_int_equal(len, SEALED_TOKEN_MAX);
    zcert_destroy(&cert);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_with_a_zcert),
        cmocka_unit_test(test_another_key_does_not_open),
        cmocka_unit_test(test_truncated_or_altered_is_refused),
        cmocka_unit_test(test_seal_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
