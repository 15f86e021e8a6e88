/*  The audit trail's hash chain (services/intake/history.h): records
 *  appended verify; a changed byte, a removed record, two records swapped,
 *  a record rewritten with its hash recomputed, a cut tail and an extra
 *  record are each reported at the record they concern. */
#include "services/intake/history.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define S_RECORDS 5

typedef struct {
    msgpack_sbuffer stored[S_RECORDS];
    history_head_t head;
} chain_t;

static void s_chain(chain_t *c)
{
    static const char *const whats[] = {"submitted", "validated", "amended", "validated", "decided"};
    static const char *const states[] = {"received", "incomplete", "received", "in_review", "approved"};
    memset(&c->head, 0, sizeof c->head);
    for (size_t i = 0; i < S_RECORDS; i++) {
        char why[64];
        snprintf(why, sizeof why, "reason number %zu", i + 1);
        history_change_t change = {1700000000 + (int64_t)i, "applicant", 9, whats[i], why,
                                   strlen(why), states[i]};
        msgpack_sbuffer_init(&c->stored[i]);
        history_append(&c->head, &change, &c->stored[i]);
    }
}

static void s_chain_fini(chain_t *c)
{
    for (size_t i = 0; i < S_RECORDS; i++)
        msgpack_sbuffer_destroy(&c->stored[i]);
}

/*  Verifies the records in the order `order` (indexes, -1 ends), against
 *  `head`; returns the verifier's result and copies the break. */
static int s_verify(const chain_t *c, const int *order, const history_head_t *head, history_break_t *brk)
{
    history_verifier_t v;
    history_verifier_init(&v);
    for (const int *i = order; *i >= 0; i++)
        history_verify_stored(&v, c->stored[*i].data, c->stored[*i].size);
    int rc = history_verify_end(&v, head);
    *brk = v.brk;
    history_verifier_fini(&v);
    return rc;
}

static const int s_all[] = {0, 1, 2, 3, 4, -1};

static void test_appended_records_verify(void **state)
{
    chain_t c;
    s_chain(&c);
    history_break_t brk;
    assert_int_equal(c.head.count, S_RECORDS);
    assert_int_equal(s_verify(&c, s_all, &c.head, &brk), 0);
    /* An empty chain verifies against an empty head. */
    history_head_t empty = {0};
    static const int none[] = {-1};
    assert_int_equal(s_verify(&c, none, &empty, &brk), 0);
    s_chain_fini(&c);
}

/*  Every single byte of a record's body, changed, breaks the chain at that
 *  record. */
static void test_a_changed_byte_is_found(void **state)
{
    chain_t c;
    s_chain(&c);
    msgpack_sbuffer *third = &c.stored[2];
    /* stored = [bin body, bin hash]: 0x92, then the bin header (2 bytes). */
    for (size_t at = 3; at < third->size - 34; at++) {
        third->data[at] ^= 0x01;
        history_break_t brk;
        assert_int_equal(s_verify(&c, s_all, &c.head, &brk), -1);
        assert_int_equal(brk.n, 3);
        third->data[at] ^= 0x01;
    }
    /* The stored hash changed breaks it too. */
    third->data[third->size - 1] ^= 0x80;
    history_break_t brk;
    assert_int_equal(s_verify(&c, s_all, &c.head, &brk), -1);
    assert_int_equal(brk.n, 3);
    assert_non_null(strstr(brk.reason, "altered"));
    s_chain_fini(&c);
}

static void test_a_removed_record_is_named(void **state)
{
    chain_t c;
    s_chain(&c);
    static const int without_third[] = {0, 1, 3, 4, -1};
    history_break_t brk;
    assert_int_equal(s_verify(&c, without_third, &c.head, &brk), -1);
    assert_int_equal(brk.n, 3);
    assert_non_null(strstr(brk.reason, "record 3 is missing"));
    static const int without_first[] = {1, 2, 3, 4, -1};
    assert_int_equal(s_verify(&c, without_first, &c.head, &brk), -1);
    assert_int_equal(brk.n, 1);
    s_chain_fini(&c);
}

static void test_reordered_records_are_found(void **state)
{
    chain_t c;
    s_chain(&c);
    static const int swapped[] = {0, 1, 3, 2, 4, -1};
    history_break_t brk;
    assert_int_equal(s_verify(&c, swapped, &c.head, &brk), -1);
    assert_int_equal(brk.n, 3);
    s_chain_fini(&c);
}

static void test_a_cut_tail_or_an_extra_record_is_found(void **state)
{
    chain_t c;
    s_chain(&c);
    static const int first_three[] = {0, 1, 2, -1};
    history_break_t brk;
    assert_int_equal(s_verify(&c, first_three, &c.head, &brk), -1);
    assert_int_equal(brk.n, 4);
    assert_non_null(strstr(brk.reason, "records 4 to 5 are missing"));
    /* The same records against a head of 3 with the wrong hash. */
    history_head_t head = c.head;
    head.count = 3;
    assert_int_equal(s_verify(&c, first_three, &head, &brk), -1);
    assert_int_equal(brk.n, 3);
    /* Five records where the application counts four. */
    head.count = 4;
    assert_int_equal(s_verify(&c, s_all, &head, &brk), -1);
    assert_int_equal(brk.n, 5);
    s_chain_fini(&c);
}

/*  A record rewritten whole, its hash recomputed: it verifies alone, but
 *  the next record no longer follows it. */
static void test_a_rewritten_record_breaks_the_next_link(void **state)
{
    chain_t c;
    s_chain(&c);
    history_head_t before = {1, {0}};
    msgpack_sbuffer first;
    msgpack_sbuffer_init(&first);
    /* Record 2 forged on the true record 1. */
    history_verifier_t v;
    history_verifier_init(&v);
    assert_int_equal(history_verify_stored(&v, c.stored[0].data, c.stored[0].size), 0);
    memcpy(before.head, v.prev, HISTORY_HASH_BYTES);
    history_verifier_fini(&v);
    history_change_t forged = {1700000001, "applicant", 9, "validated", "forged", 6, "in_review"};
    history_append(&before, &forged, &first);
    msgpack_sbuffer saved = c.stored[1];
    c.stored[1] = first;
    history_break_t brk;
    assert_int_equal(s_verify(&c, s_all, &c.head, &brk), -1);
    assert_int_equal(brk.n, 3);
    assert_non_null(strstr(brk.reason, "does not follow record 2"));
    c.stored[1] = saved;
    msgpack_sbuffer_destroy(&first);
    s_chain_fini(&c);
}

/*  The bytes are those proto/README.md describes: the hash is BLAKE2b-256
 *  of the body, the body's prev the previous hash. */
static void test_the_layout_is_the_documented_one(void **state)
{
    chain_t c;
    s_chain(&c);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object stored;
    assert_int_equal(msgpack_unpack(c.stored[1].data, c.stored[1].size, NULL, &zone, &stored),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(stored.type, MSGPACK_OBJECT_ARRAY);
    msgpack_object_bin body = stored.via.array.ptr[0].via.bin, hash = stored.via.array.ptr[1].via.bin;
    unsigned char computed[32];
    crypto_generichash(computed, 32, (const unsigned char *)body.ptr, body.size, NULL, 0);
    assert_memory_equal(computed, hash.ptr, 32);
    msgpack_object map;
    assert_int_equal(history_body_decode(body.ptr, body.size, &zone, &map), 0);
    static const char *const keys[] = {"n", "at", "who", "what", "why", "state", "prev"};
    assert_int_equal(map.via.map.size, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(map.via.map.ptr[i].key.via.str.size, strlen(keys[i]));
    assert_int_equal(map.via.map.ptr[0].val.via.u64, 2);
    msgpack_object first;
    msgpack_zone second_zone;
    msgpack_zone_init(&second_zone, 512);
    assert_int_equal(msgpack_unpack(c.stored[0].data, c.stored[0].size, NULL, &second_zone, &first),
                     MSGPACK_UNPACK_SUCCESS);
    assert_memory_equal(map.via.map.ptr[6].val.via.bin.ptr, first.via.array.ptr[1].via.bin.ptr, 32);
    unsigned char key[HISTORY_KEY_MAX];
    assert_int_equal(history_key("abc", 3, 258, key), 11);
    assert_memory_equal(key, "abc\0\0\0\0\0\0\x01\x02", 11);
    msgpack_zone_destroy(&second_zone);
    msgpack_zone_destroy(&zone);
    s_chain_fini(&c);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appended_records_verify),
        cmocka_unit_test(test_a_changed_byte_is_found),
        cmocka_unit_test(test_a_removed_record_is_named),
        cmocka_unit_test(test_reordered_records_are_found),
        cmocka_unit_test(test_a_cut_tail_or_an_extra_record_is_found),
        cmocka_unit_test(test_a_rewritten_record_breaks_the_next_link),
        cmocka_unit_test(test_the_layout_is_the_documented_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
