/*  proto/history.c on what is not a good record: the head a status record
 *  keeps (absent, malformed, packed and read back), record keys, erasure
 *  of bytes that are not a record, and the verifier and the decoder fed
 *  malformed bodies: each is refused or reported as a break, never taken
 *  for a record. */
#include "proto/history.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

/* A decoded message and the memory behind it. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_zone zone;
    msgpack_object obj;
} packed_t;

static void s_begin(packed_t *self)
{
    msgpack_sbuffer_init(&self->buf);
    msgpack_packer_init(&self->pk, &self->buf, msgpack_sbuffer_write);
    msgpack_zone_init(&self->zone, 1024);
}

static void s_decode(packed_t *self)
{
    proto_error_t err;
    assert_int_equal(wire_decode(self->buf.data, self->buf.size, &self->zone, &self->obj, &err), 0);
}

static void s_end(packed_t *self)
{
    msgpack_zone_destroy(&self->zone);
    msgpack_sbuffer_destroy(&self->buf);
}

static void test_head_read_and_pack(void **state)
{
    (void) state;
    history_head_t head = { .count = 5 };
    memset(head.head, 0xab, sizeof head.head);

    /* Packed into a status record, read back. */
    packed_t p;
    s_begin(&p);
    msgpack_pack_map(&p.pk, 2);
    proto_pack_kv_str(&p.pk, "id", "A7K2");
    history_head_pack(&p.pk, &head);
    s_decode(&p);
    history_head_t back;
    assert_int_equal(history_head_read(&p.obj, &back), 0);
    assert_int_equal(back.count, 5);
    assert_memory_equal(back.head, head.head, HISTORY_HASH_BYTES);
    s_end(&p);

    /* A record without "history": an empty chain. */
    s_begin(&p);
    msgpack_pack_map(&p.pk, 1);
    proto_pack_kv_str(&p.pk, "id", "A7K2");
    s_decode(&p);
    memset(&back, 0x55, sizeof back);
    assert_int_equal(history_head_read(&p.obj, &back), 0);
    assert_int_equal(back.count, 0);
    static const unsigned char zeros[HISTORY_HASH_BYTES];
    assert_memory_equal(back.head, zeros, HISTORY_HASH_BYTES);
    s_end(&p);

    /* Malformed: no count, a head that is not bin 32. */
    for (int variant = 0; variant < 3; variant++) {
        s_begin(&p);
        msgpack_pack_map(&p.pk, 1);
        proto_pack_str(&p.pk, "history");
        msgpack_pack_map(&p.pk, variant == 0 ? 1 : 2);
        if (variant != 0)
            proto_pack_kv_uint(&p.pk, "count", 1);
        proto_pack_str(&p.pk, "head");
        if (variant == 1)
            proto_pack_str(&p.pk, "not bin");
        else
            msgpack_pack_bin_with_body(&p.pk, zeros, variant == 2 ? 31 : 32);
        s_decode(&p);
        assert_int_equal(history_head_read(&p.obj, &back), -1);
        s_end(&p);
    }
}

static void test_keys(void **state)
{
    (void) state;
    unsigned char key[HISTORY_KEY_MAX];
    size_t len = history_key("A7K2", 4, 0x0102030405060708ull, key);
    assert_int_equal(len, 12);
    assert_memory_equal(key, "A7K2\x01\x02\x03\x04\x05\x06\x07\x08", 12);
    /* An id longer than an id can be is cut, so the key stays in bounds. */
    char id[64];
    memset(id, 'z', sizeof id);
    len = history_key(id, sizeof id, 1, key);
    assert_int_equal(len, HISTORY_KEY_MAX);
    assert_int_equal(key[HISTORY_KEY_MAX - 1], 1);
    assert_int_equal(key[HISTORY_KEY_MAX - 9], 'z');
}

static void s_record(msgpack_sbuffer *out, history_head_t *head, const char *why)
{
    history_change_t change = { 1700000000, "staff", 5, "decided", why, strlen(why), "approved" };
    msgpack_sbuffer_init(out);
    history_append(head, &change, out);
}

static void test_erase_refuses_what_is_not_a_record(void **state)
{
    (void) state;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    static const unsigned char garbage[] = { 0xc1, 0x00 };
    assert_int_equal(history_erase(garbage, sizeof garbage, &out), -1);
    static const unsigned char not_pair[] = { 0x91, 0xc4, 0x00 };          /* [bin ""] */
    assert_int_equal(history_erase(not_pair, sizeof not_pair, &out), -1);
    static const unsigned char short_hash[] = { 0x92, 0xc4, 0x01, 0x90, 0xc4, 0x01, 0x00 };
    assert_int_equal(history_erase(short_hash, sizeof short_hash, &out), -1);
    assert_int_equal(out.size, 0);

    /* A good record erases once, then says it is erased already. */
    history_head_t head = { 0 };
    msgpack_sbuffer rec;
    s_record(&rec, &head, "motivation");
    assert_int_equal(history_erase(rec.data, rec.size, &out), 0);
    assert_true(out.size > 0);
    msgpack_sbuffer again;
    msgpack_sbuffer_init(&again);
    assert_int_equal(history_erase(out.data, out.size, &again), 1);
    assert_int_equal(again.size, 0);
    msgpack_sbuffer_destroy(&again);
    msgpack_sbuffer_destroy(&rec);
    msgpack_sbuffer_destroy(&out);
}

static void test_verifier_breaks_on_malformed_input(void **state)
{
    (void) state;
    history_verifier_t v;
    history_verifier_init(&v);
    static const unsigned char garbage[] = { 0x93, 0x01, 0x02, 0x03 };
    assert_int_equal(history_verify_stored(&v, garbage, sizeof garbage), -1);
    assert_true(v.broken);
    assert_int_equal(v.brk.n, 1);
    assert_non_null(strstr(v.brk.reason, "not [body, hash]"));
    /* Once broken, later records are not looked at. */
    history_head_t head = { 0 };
    msgpack_sbuffer rec;
    s_record(&rec, &head, "why");
    assert_int_equal(history_verify_stored(&v, rec.data, rec.size), -1);
    assert_int_equal(v.brk.n, 1);
    assert_int_equal(history_verify_record(&v, "x", 1, "h", 1), -1);
    history_verifier_fini(&v);

    /* A body that is neither form: an array with the wrong parts. */
    history_verifier_init(&v);
    static const unsigned char body[] = { 0x92, 0x01, 0x02 };
    unsigned char hash[HISTORY_HASH_BYTES] = { 0 };
    assert_int_equal(history_verify_record(&v, body, sizeof body, hash, sizeof hash), -1);
    assert_non_null(strstr(v.brk.reason, "not a history record"));
    history_verifier_fini(&v);
    msgpack_sbuffer_destroy(&rec);
}

/* Bodies of the current form with one part wrong: [core, tail]. */
static void s_body(msgpack_sbuffer *out, int flaw)
{
    msgpack_sbuffer core;
    msgpack_sbuffer_init(&core);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &core, msgpack_sbuffer_write);
    static const unsigned char zeros[32];
    if (flaw == 0) {
        msgpack_pack_array(&pk, 0);                     /* core not a map */
    } else {
        msgpack_pack_map(&pk, flaw == 1 ? 6 : 7);
        proto_pack_kv_uint(&pk, "n", 1);
        proto_pack_kv_uint(&pk, "at", 2);
        proto_pack_kv_str(&pk, "who", "w");
        proto_pack_kv_str(&pk, "what", "x");
        proto_pack_str(&pk, "why_digest");
        msgpack_pack_bin_with_body(&pk, zeros, 32);
        if (flaw != 1)
            proto_pack_kv_str(&pk, "state", "s");       /* flaw 1: no state */
        proto_pack_str(&pk, "prev");
        msgpack_pack_bin_with_body(&pk, zeros, 32);
    }
    msgpack_sbuffer_init(out);
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, core.data, core.size);
    msgpack_pack_map(&pk, 2);
    proto_pack_kv_str(&pk, "why", "because");
    proto_pack_str(&pk, "salt");
    msgpack_pack_bin_with_body(&pk, zeros, flaw == 2 ? 15 : 16);   /* flaw 2: short salt */
    msgpack_sbuffer_destroy(&core);
}

static void test_body_decode_refuses_malformed_bodies(void **state)
{
    (void) state;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object out;
    for (int flaw = 0; flaw <= 3; flaw++) {
        msgpack_sbuffer body;
        s_body(&body, flaw);
        int rc = history_body_decode(body.data, body.size, &zone, &out);
        if (flaw == 3) {
            assert_int_equal(rc, 0);
            assert_true(doc_str_eq(&out, "why", "because"));
            assert_false(doc_bool(&out, "erased", true));
        } else {
            assert_int_equal(rc, -1);
        }
        msgpack_sbuffer_destroy(&body);
    }
    /* Not msgpack, an empty body, an early map missing its why. */
    assert_int_equal(history_body_decode("\xc1", 1, &zone, &out), -1);
    assert_int_equal(history_body_decode("", 0, &zone, &out), -1);
    static const unsigned char early[] = { 0x81, 0xa3, 'w', 'h', 'o', 0xa1, 'x' };
    assert_int_equal(history_body_decode(early, sizeof early, &zone, &out), -1);
    msgpack_zone_destroy(&zone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_read_and_pack),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_erase_refuses_what_is_not_a_record),
        cmocka_unit_test(test_verifier_breaks_on_malformed_input),
        cmocka_unit_test(test_body_decode_refuses_malformed_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
