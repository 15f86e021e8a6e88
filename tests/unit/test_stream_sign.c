/* Unit tests of the publication stream's signatures: the worked example of
 * proto/stream.md section 4.1, byte for byte, and the key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/stream_sign.h"
#include "common/stream_key.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const s_seed_hex = "6dafd51a547e3e03ee99eedf038b36450986e3a9a7416df87b0b98208add0158";
static const char *const s_public_hex = "07434b4355910ce62fc70f3a2bbcebb40fdc2241616f7ff50a936491f11866e7";
static const char *const s_content_hex =
    "84a474797065a87769746864726177a26174ce69264300a26964ac786d7272776b6a763531397aa6726561736f6e"
    "a977697468647261776e";
static const char *const s_sig_hex =
    "6e23e93086be41d5d3c3f4db3025aa4e347e25f1a70838acf1c2cd540ad02956856d591d7acc183c0a64707fea21a1"
    "8e9e05838ae2d5c24bc19aaab653d38d08";

static size_t s_hex(const char *hex, unsigned char *out, size_t cap)
{
    size_t len = 0;
    assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &len, NULL), 0);
    return len;
}

static void s_example_key(stream_sign_key_t *key)
{
    unsigned char seed[32];
    assert_int_equal(s_hex(s_seed_hex, seed, sizeof seed), 32);
    assert_int_equal(crypto_sign_seed_keypair(key->public_key, key->secret, seed), 0);
}

static void test_worked_example_of_the_spec(void **state)
{
    stream_sign_key_t key;
    s_example_key(&key);
    char hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(key.public_key, hex);
    assert_string_equal(hex, s_public_hex);
    unsigned char content[64], expected[64], sig[STREAM_SIGN_BYTES];
    size_t len = s_hex(s_content_hex, content, sizeof content);
    assert_int_equal(len, 56);
    assert_int_equal(s_hex(s_sig_hex, expected, sizeof expected), 64);
    assert_int_equal(stream_sign(&key, 42, content, len, sig), 0);
    assert_memory_equal(sig, expected, 64);
    assert_true(stream_sign_verify(key.public_key, 42, content, len, sig, sizeof sig));
}

static void test_what_is_signed_is_exact(void **state)
{
    stream_sign_key_t key, other;
    s_example_key(&key);
    assert_int_equal(crypto_sign_keypair(other.public_key, other.secret), 0);
    unsigned char content[64], sig[STREAM_SIGN_BYTES];
    size_t len = s_hex(s_content_hex, content, sizeof content);
    assert_int_equal(stream_sign(&key, 42, content, len, sig), 0);
    /* What was signed verifies: each refusal below is for its one change. */
    assert_true(stream_sign_verify(key.public_key, 42, content, len, sig, sizeof sig));
    assert_false(stream_sign_verify(key.public_key, 43, content, len, sig, sizeof sig));
    assert_false(stream_sign_verify(other.public_key, 42, content, len, sig, sizeof sig));
    assert_false(stream_sign_verify(key.public_key, 42, content, len, sig, 63));
    content[10] ^= 1;
    assert_false(stream_sign_verify(key.public_key, 42, content, len, sig, sizeof sig));
    content[10] ^= 1;
    assert_true(stream_sign_verify(key.public_key, 42, content, len, sig, sizeof sig));
    sig[0] ^= 0x80;
    assert_false(stream_sign_verify(key.public_key, 42, content, len, sig, sizeof sig));
}

static void test_public_key_hex_parsing(void **state)
{
    unsigned char key[STREAM_SIGN_PUBLIC_BYTES];
    char padded[80];
    snprintf(padded, sizeof padded, "  %s\n", s_public_hex);
    assert_int_equal(stream_sign_public_from_hex(padded, strlen(padded), key), 0);
    char hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(key, hex);
    assert_string_equal(hex, s_public_hex);
    assert_int_equal(stream_sign_public_from_hex(s_public_hex, 63, key), -1);
    assert_int_equal(stream_sign_public_from_hex("zz", 2, key), -1);
    char bad[65];
    memcpy(bad, s_public_hex, 65);
    bad[5] = 'g';
    assert_int_equal(stream_sign_public_from_hex(bad, 64, key), -1);
}

static void test_key_created_once_private_then_read(void **state)
{
    char dir[] = "/tmp/essp-key-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char keys[128], path[160], pub[160];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(path, sizeof path, "%s/publication.key", keys);
    snprintf(pub, sizeof pub, "%s/publication.pub", keys);
    stream_sign_key_t first, again;
    assert_int_equal(stream_sign_key_load_or_create(keys, &first), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stream_sign_key_load_or_create(keys, &again), 0);
    assert_memory_equal(first.secret, again.secret, sizeof first.secret);
    FILE *file = fopen(pub, "r");
    assert_non_null(file);
    char text[80] = "";
    assert_non_null(fgets(text, sizeof text, file));
    fclose(file);
    char hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(first.public_key, hex);
    assert_int_equal(strncmp(text, hex, 64), 0);
    /* A key file that holds no key is refused, not replaced. */
    file = fopen(path, "w");
    assert_non_null(file);
    fputs("not a key\n", file);
    fclose(file);
    assert_int_equal(stream_sign_key_load_or_create(keys, &again), -1);
    file = fopen(path, "r");
    assert_non_null(file);
    assert_non_null(fgets(text, sizeof text, file));
    fclose(file);
    assert_string_equal(text, "not a key\n");
    unlink(path);
    unlink(pub);
    rmdir(keys);
    rmdir(dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_of_the_spec),
        cmocka_unit_test(test_what_is_signed_is_exact),
        cmocka_unit_test(test_public_key_hex_parsing),
        cmocka_unit_test(test_key_created_once_private_then_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
