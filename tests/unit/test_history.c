/*  The audit trail's hash chain (proto/history.h): records
 *  appended verify; a changed byte, a removed record, two records swapped,
 *  a record rewritten with its hash recomputed, a cut tail and an extra
 *  record are each reported at the record they concern.  After erasure
 *  (the whys gone, an "erased" record appended) the chain still verifies
 *  and the same alterations are still found; a why erased with no erasure
 *  recorded is a break; records of the early form still verify. */
#include "proto/history.h"

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

/*  The bytes are those proto/README.md describes: the body is [core as
 *  bin, tail], the hash is BLAKE2b-256 of the core, the core's why_digest
 *  the salted digest of the tail's why, the core's prev the previous hash. */
static void test_the_layout_is_the_documented_one(void **state)
{
    chain_t c;
    s_chain(&c);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object stored, body, core;
    assert_int_equal(msgpack_unpack(c.stored[1].data, c.stored[1].size, NULL, &zone, &stored),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(stored.type, MSGPACK_OBJECT_ARRAY);
    msgpack_object_bin body_bin = stored.via.array.ptr[0].via.bin, hash = stored.via.array.ptr[1].via.bin;
    assert_int_equal(msgpack_unpack(body_bin.ptr, body_bin.size, NULL, &zone, &body), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(body.type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(body.via.array.size, 2);
    msgpack_object_bin core_bin = body.via.array.ptr[0].via.bin;
    const msgpack_object *tail = &body.via.array.ptr[1];
    unsigned char computed[32];
    crypto_generichash(computed, 32, (const unsigned char *)core_bin.ptr, core_bin.size, NULL, 0);
    assert_memory_equal(computed, hash.ptr, 32);
    assert_int_equal(msgpack_unpack(core_bin.ptr, core_bin.size, NULL, &zone, &core), MSGPACK_UNPACK_SUCCESS);
    static const char *const keys[] = {"n", "at", "who", "what", "why_digest", "state", "prev"};
    assert_int_equal(core.via.map.size, 7);
    for (size_t i = 0; i < 7; i++)
        assert_memory_equal(core.via.map.ptr[i].key.via.str.ptr, keys[i], strlen(keys[i]));
    assert_int_equal(core.via.map.ptr[0].val.via.u64, 2);
    /* why_digest = BLAKE2b-256 keyed with the salt, of the why. */
    assert_int_equal(tail->via.map.size, 2);
    msgpack_object_str why = tail->via.map.ptr[0].val.via.str;
    msgpack_object_bin salt = tail->via.map.ptr[1].val.via.bin;
    assert_int_equal(salt.size, 16);
    assert_memory_equal(why.ptr, "reason number 2", why.size);
    crypto_generichash(computed, 32, (const unsigned char *)why.ptr, why.size, (const unsigned char *)salt.ptr,
                       salt.size);
    assert_memory_equal(computed, core.via.map.ptr[4].val.via.bin.ptr, 32);
    /* Shown: the fields with the why of the tail. */
    msgpack_object map;
    assert_int_equal(history_body_decode(body_bin.ptr, body_bin.size, &zone, &map), 0);
    assert_int_equal(map.via.map.size, 8);
    assert_memory_equal(map.via.map.ptr[4].val.via.str.ptr, "reason number 2", 15);
    assert_false(map.via.map.ptr[7].val.via.boolean);
    msgpack_object first;
    msgpack_zone second_zone;
    msgpack_zone_init(&second_zone, 512);
    assert_int_equal(msgpack_unpack(c.stored[0].data, c.stored[0].size, NULL, &second_zone, &first),
                     MSGPACK_UNPACK_SUCCESS);
    assert_memory_equal(core.via.map.ptr[6].val.via.bin.ptr, first.via.array.ptr[1].via.bin.ptr, 32);
    unsigned char key[HISTORY_KEY_MAX];
    assert_int_equal(history_key("abc", 3, 258, key), 11);
    assert_memory_equal(key, "abc\0\0\0\0\0\0\x01\x02", 11);
    msgpack_zone_destroy(&second_zone);
    msgpack_zone_destroy(&zone);
    s_chain_fini(&c);
}

/*  Erases the whys of the first `count` records in place. */
static void s_erase(chain_t *c, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        msgpack_sbuffer erased;
        msgpack_sbuffer_init(&erased);
        assert_int_equal(history_erase(c->stored[i].data, c->stored[i].size, &erased), 0);
        msgpack_sbuffer_destroy(&c->stored[i]);
        c->stored[i] = erased;
    }
}

static bool s_contains(const msgpack_sbuffer *buf, const char *text)
{
    size_t len = strlen(text);
    for (size_t i = 0; i + len <= buf->size; i++)
        if (memcmp(buf->data + i, text, len) == 0)
            return true;
    return false;
}

/*  The chain of s_chain, its five whys erased and a sixth record, the
 *  erasure, appended: it verifies, and no why is left in any byte. */
static void test_the_chain_verifies_after_erasure(void **state)
{
    chain_t c;
    s_chain(&c);
    msgpack_sbuffer last;
    history_head_t head = c.head;
    msgpack_sbuffer_init(&last);
    history_change_t erasure = {1700000100, "staff", 5, HISTORY_WHAT_ERASED, "personal data erased", 20,
                                "withdrawn"};
    s_erase(&c, S_RECORDS);
    history_append(&head, &erasure, &last);
    history_verifier_t v;
    history_verifier_init(&v);
    for (size_t i = 0; i < S_RECORDS; i++) {
        assert_false(s_contains(&c.stored[i], "reason number"));
        assert_int_equal(history_verify_stored(&v, c.stored[i].data, c.stored[i].size), 0);
    }
    assert_int_equal(history_verify_stored(&v, last.data, last.size), 0);
    assert_int_equal(history_verify_end(&v, &head), 0);
    history_verifier_fini(&v);
    /* Erasing again changes nothing. */
    msgpack_sbuffer again;
    msgpack_sbuffer_init(&again);
    assert_int_equal(history_erase(c.stored[2].data, c.stored[2].size, &again), 1);
    assert_int_equal(again.size, 0);
    /* Shown: the fields, an empty why, erased true. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object stored, map;
    assert_int_equal(msgpack_unpack(c.stored[2].data, c.stored[2].size, NULL, &zone, &stored),
                     MSGPACK_UNPACK_SUCCESS);
    msgpack_object_bin body = stored.via.array.ptr[0].via.bin;
    assert_int_equal(history_body_decode(body.ptr, body.size, &zone, &map), 0);
    assert_int_equal(map.via.map.ptr[4].val.via.str.size, 0);
    assert_memory_equal(map.via.map.ptr[3].val.via.str.ptr, "amended", 7);
    assert_true(map.via.map.ptr[7].val.via.boolean);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&again);
    msgpack_sbuffer_destroy(&last);
    s_chain_fini(&c);
}

/*  After erasure every byte of an erased record's core, changed, still
 *  breaks the chain at that record; so does a record removed. */
static void test_alterations_are_found_after_erasure(void **state)
{
    chain_t c;
    s_chain(&c);
    s_erase(&c, S_RECORDS);
    history_head_t head = c.head;
    msgpack_sbuffer last;
    msgpack_sbuffer_init(&last);
    history_change_t erasure = {1700000100, "staff", 5, HISTORY_WHAT_ERASED, "", 0, "withdrawn"};
    history_append(&head, &erasure, &last);
    msgpack_sbuffer *third = &c.stored[2];
    /* The core runs from the body's second byte to the tail, 9 bytes
     * ({erased: true}) before the stored hash (34 bytes). */
    size_t checked = 0;
    for (size_t at = 4; at < third->size - 34 - 9; at++) {
        third->data[at] ^= 0x01;
        history_verifier_t v;
        history_verifier_init(&v);
        for (size_t i = 0; i < S_RECORDS; i++)
            history_verify_stored(&v, c.stored[i].data, c.stored[i].size);
        history_verify_stored(&v, last.data, last.size);
        assert_int_equal(history_verify_end(&v, &head), -1);
        assert_int_equal(v.brk.n, 3);
        history_verifier_fini(&v);
        third->data[at] ^= 0x01;
        checked++;
    }
    assert_true(checked > 60);
    /* An erased record removed. */
    history_verifier_t v;
    history_verifier_init(&v);
    static const int without_second[] = {0, 2, 3, 4, -1};
    for (const int *i = without_second; *i >= 0; i++)
        history_verify_stored(&v, c.stored[*i].data, c.stored[*i].size);
    history_verify_stored(&v, last.data, last.size);
    assert_int_equal(history_verify_end(&v, &head), -1);
    assert_int_equal(v.brk.n, 2);
    assert_non_null(strstr(v.brk.reason, "record 2 is missing"));
    history_verifier_fini(&v);
    msgpack_sbuffer_destroy(&last);
    s_chain_fini(&c);
}

/*  A why changed in the tail of a record that was not erased breaks it at
 *  its digest; a why erased with no erasure recorded after it is a break
 *  too. */
static void test_a_why_changed_or_erased_quietly_is_found(void **state)
{
    chain_t c;
    s_chain(&c);
    history_break_t brk;
    msgpack_sbuffer *fourth = &c.stored[3];
    for (size_t i = 0; i + 6 <= fourth->size; i++)
        if (memcmp(fourth->data + i, "number", 6) == 0)
            fourth->data[i] = 'N';
    assert_int_equal(s_verify(&c, s_all, &c.head, &brk), -1);
    assert_int_equal(brk.n, 4);
    assert_non_null(strstr(brk.reason, "why does not match its digest"));
    s_chain_fini(&c);

    s_chain(&c);
    s_erase(&c, 2);
    assert_int_equal(s_verify(&c, s_all, &c.head, &brk), -1);
    assert_int_equal(brk.n, 1);
    assert_non_null(strstr(brk.reason, "no erasure is recorded after it"));
    s_chain_fini(&c);
}

/*  A record of the early form (one map, the why inside the hashed bytes)
 *  still verifies, and is followed by records of the current form. */
static void test_early_records_still_verify(void **state)
{
    msgpack_sbuffer body, early;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&early);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    static const unsigned char zeros[32];
    msgpack_pack_map(&pk, 7);
    const char *const texts[][2] = {{"who", "applicant"}, {"what", "submitted"}, {"why", "revision 1"}};
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_str_with_body(&pk, "at", 2);
    msgpack_pack_uint64(&pk, 1700000000);
    for (size_t i = 0; i < 3; i++) {
        msgpack_pack_str_with_body(&pk, texts[i][0], strlen(texts[i][0]));
        msgpack_pack_str_with_body(&pk, texts[i][1], strlen(texts[i][1]));
    }
    msgpack_pack_str_with_body(&pk, "state", 5);
    msgpack_pack_str_with_body(&pk, "received", 8);
    msgpack_pack_str_with_body(&pk, "prev", 4);
    msgpack_pack_bin_with_body(&pk, zeros, 32);
    history_head_t head = {1, {0}};
    crypto_generichash(head.head, 32, (const unsigned char *)body.data, body.size, NULL, 0);
    msgpack_packer_init(&pk, &early, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, body.data, body.size);
    msgpack_pack_bin_with_body(&pk, head.head, 32);
    msgpack_sbuffer next;
    msgpack_sbuffer_init(&next);
    history_change_t change = {1700000001, "validation", 10, "validated", "verdict review", 14, "in_review"};
    history_append(&head, &change, &next);
    history_verifier_t v;
    history_verifier_init(&v);
    assert_int_equal(history_verify_stored(&v, early.data, early.size), 0);
    assert_int_equal(history_verify_stored(&v, next.data, next.size), 0);
    assert_int_equal(history_verify_end(&v, &head), 0);
    history_verifier_fini(&v);
    /* It cannot be erased, and a changed byte of its why is found. */
    msgpack_sbuffer erased;
    msgpack_sbuffer_init(&erased);
    assert_int_equal(history_erase(early.data, early.size, &erased), -1);
    for (size_t i = 0; i + 8 <= early.size; i++)
        if (memcmp(early.data + i, "revision", 8) == 0)
            early.data[i] = 'R';
    history_verifier_init(&v);
    assert_int_equal(history_verify_stored(&v, early.data, early.size), -1);
    assert_int_equal(v.brk.n, 1);
    history_verifier_fini(&v);
    msgpack_sbuffer_destroy(&erased);
    msgpack_sbuffer_destroy(&next);
    msgpack_sbuffer_destroy(&early);
    msgpack_sbuffer_destroy(&body);
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
        cmocka_unit_test(test_the_chain_verifies_after_erasure),
        cmocka_unit_test(test_alterations_are_found_after_erasure),
        cmocka_unit_test(test_a_why_changed_or_erased_quietly_is_found),
        cmocka_unit_test(test_early_records_still_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
