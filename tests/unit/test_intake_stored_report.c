/*  The validation report as intake keeps it: criteria without their
 *  defaults (blocking false, field ""), given back whole. */
#include "services/intake/stored_report.h"

#include "proto/charter.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/*  A report as validation packs it: 21 criteria, most passing, two failing
 *  (one blocking, on a field), one to review. */
static void s_report(msgpack_sbuffer *out)
{
    static charter_report_t report;
    memset(&report, 0, sizeof report);
    report.version = CHARTER_VERSION;
    report.verdict = CHARTER_VERDICT_INCOMPLETE;
    report.count = 21;
    static char codes[21][24];
    for (size_t i = 0; i < report.count; i++) {
        criterion_result_t *r = &report.results[i];
        snprintf(codes[i], sizeof codes[i], "C-%02zu", i);
        r->code = codes[i];
        r->outcome = CRITERION_PASS;
        snprintf(r->reason, sizeof r->reason, "Engagement pris (critère %zu).", i);
    }
    report.results[3].outcome = CRITERION_FAIL;
    report.results[3].blocking = true;
    snprintf(report.results[3].field, sizeof report.results[3].field, "/identity/siret");
    report.results[7].outcome = CRITERION_FAIL;   /* not blocking, with a field */
    snprintf(report.results[7].field, sizeof report.results[7].field, "/references/0/date");
    report.results[9].outcome = CRITERION_REVIEW;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    charter_report_pack(&report, &pk);
}

/*  Unpacks `kept` as a status reply gives it and checks the bytes are
 *  `whole`'s. */
static void s_assert_given_back(const msgpack_sbuffer *kept, const msgpack_sbuffer *whole)
{
    msgpack_sbuffer back;
    msgpack_sbuffer_init(&back);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &back, msgpack_sbuffer_write);
    assert_int_equal(stored_report_unpack(&pk, kept->data, kept->size), 0);
    assert_int_equal(back.size, whole->size);
    assert_memory_equal(back.data, whole->data, whole->size);
    msgpack_sbuffer_destroy(&back);
}

static msgpack_object s_decode(const msgpack_sbuffer *buf, msgpack_zone *zone)
{
    msgpack_object obj;
    proto_error_t err;
    assert_int_equal(wire_decode_stored(buf->data, buf->size, zone, &obj, &err), 0);
    return obj;
}

/*  Kept and given back, the bytes are validation's, byte for byte, and
 *  what is kept is smaller by the defaults of 19 criteria. */
static void test_kept_report_comes_back_whole(void **state)
{
    (void)state;
    msgpack_sbuffer whole, kept;
    msgpack_sbuffer_init(&whole);
    msgpack_sbuffer_init(&kept);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    s_report(&whole);
    msgpack_object report = s_decode(&whole, &zone);
    stored_report_pack(&kept, &report);
    /* "blocking" false is 10 bytes, left out of the 20 criteria but 3;
     * "field" "" is 7 bytes, left out of the 19 criteria but 3 and 7 */
    assert_int_equal(whole.size - kept.size, 20 * 10 + 19 * 7);
    s_assert_given_back(&kept, &whole);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&whole);
    msgpack_sbuffer_destroy(&kept);
}

/*  A report kept whole by an earlier version goes out as it is. */
static void test_whole_report_goes_out_unchanged(void **state)
{
    (void)state;
    msgpack_sbuffer whole;
    msgpack_sbuffer_init(&whole);
    s_report(&whole);
    s_assert_given_back(&whole, &whole);
    msgpack_sbuffer_destroy(&whole);
}

/*  A criterion without an outcome gets its defaults at its end; one that
 *  is not a map, and a report that is not one, go as they are. */
static void test_odd_shapes(void **state)
{
    (void)state;
    msgpack_sbuffer kept, back;
    msgpack_sbuffer_init(&kept);
    msgpack_sbuffer_init(&back);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &kept, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    proto_pack_str(&pk, "criteria");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_map(&pk, 1);
    proto_pack_kv_str(&pk, "code", "X");
    msgpack_pack_map(&pk, 0);
    msgpack_pack_uint8(&pk, 7);
    msgpack_packer_init(&pk, &back, msgpack_sbuffer_write);
    assert_int_equal(stored_report_unpack(&pk, kept.data, kept.size), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj = s_decode(&back, &zone);
    const msgpack_object *criteria = &obj.via.map.ptr[0].val;
    assert_int_equal(criteria->via.array.size, 3);
    const msgpack_object *first = &criteria->via.array.ptr[0];
    assert_int_equal(first->via.map.size, 3);
    assert_true(first->via.map.ptr[1].val.type == MSGPACK_OBJECT_BOOLEAN);
    assert_false(first->via.map.ptr[1].val.via.boolean);
    assert_int_equal(first->via.map.ptr[2].val.via.str.size, 0);
    assert_int_equal(criteria->via.array.ptr[1].via.map.size, 2);
    assert_int_equal(criteria->via.array.ptr[2].via.u64, 7);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&kept);
    msgpack_sbuffer_destroy(&back);
}

/*  Kept bytes that do not decode (cut short, or the byte 0xc1) give nil
 *  and -1; nothing is read past their end. */
static void test_broken_bytes_give_nil(void **state)
{
    (void)state;
    msgpack_sbuffer whole, back;
    msgpack_sbuffer_init(&whole);
    s_report(&whole);
    const unsigned char never[] = {0xc1};
    const struct {
        const void *data;
        size_t len;
    } cases[] = {{whole.data, whole.size / 2}, {never, 1}, {whole.data, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msgpack_sbuffer_init(&back);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &back, msgpack_sbuffer_write);
        assert_int_equal(stored_report_unpack(&pk, cases[i].data, cases[i].len), -1);
        assert_int_equal(back.size, 1);
        assert_int_equal((unsigned char)back.data[0], 0xc0);
        msgpack_sbuffer_destroy(&back);
    }
    msgpack_sbuffer_destroy(&whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kept_report_comes_back_whole),
        cmocka_unit_test(test_whole_report_goes_out_unchanged),
        cmocka_unit_test(test_odd_shapes),
        cmocka_unit_test(test_broken_bytes_give_nil),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
