/*  The applicant's token as intake keeps it: only a hash, compared in
 *  constant time; a record without a hash, or with a hash of another
 *  size, matches no token. */
#include "services/intake/intake.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static const char s_token[] = "A5-lvhLY9Zr5oyl2jdclK_stHnT_v-fkq8GlbuyDzyg";

/*  A record {"id": "x", "token_hash": bin(hash_len)} unpacked in zone. */
static msgpack_object s_record(msgpack_sbuffer *buf, msgpack_zone *zone, size_t hash_len)
{
    unsigned char hash[INTAKE_TOKEN_HASH_BYTES + 1] = {0};
    intake_token_hash(s_token, strlen(s_token), hash);
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, hash_len ? 2 : 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, "x", 1);
    if (hash_len) {
        msgpack_pack_str_with_body(&pk, "token_hash", 10);
        msgpack_pack_bin_with_body(&pk, hash, hash_len);
    }
    msgpack_object obj;
    assert_int_equal(msgpack_unpack(buf->data, buf->size, NULL, zone, &obj), MSGPACK_UNPACK_SUCCESS);
    return obj;
}

static void test_only_the_token_matches_its_hash(void **state)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object record = s_record(&buf, &zone, INTAKE_TOKEN_HASH_BYTES);
    assert_true(intake_token_matches(&record, s_token, strlen(s_token)));
    char other[sizeof s_token];
    memcpy(other, s_token, sizeof s_token);
    other[0] = 'B';
    assert_false(intake_token_matches(&record, other, strlen(other)));
    assert_false(intake_token_matches(&record, s_token, strlen(s_token) - 1));
    assert_false(intake_token_matches(&record, "", 0));
    /* The hash is not the token. */
    unsigned char hash[INTAKE_TOKEN_HASH_BYTES];
    intake_token_hash(s_token, strlen(s_token), hash);
    assert_false(memcmp(hash, s_token, sizeof hash) == 0);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static void test_a_record_without_a_proper_hash_matches_nothing(void **state)
{
    static const size_t lengths[] = {0, 16, INTAKE_TOKEN_HASH_BYTES - 1, INTAKE_TOKEN_HASH_BYTES + 1};
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        size_t len = lengths[i];
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object record = s_record(&buf, &zone, len);
        assert_false(intake_token_matches(&record, s_token, strlen(s_token)));
        msgpack_zone_destroy(&zone);
        msgpack_sbuffer_destroy(&buf);
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_the_token_matches_its_hash),
        cmocka_unit_test(test_a_record_without_a_proper_hash_matches_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
