/*  The validation report as a service keeps it: compact (no keys, the
 *  charter's frequent reasons by number), or, for a report of another
 *  shape, its criteria without their defaults (blocking false, field "");
 *  given back whole, byte for byte. */
#include "proto/kept_report.h"

#include "charter_cases.h"

#include "proto/charter.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*  A report as validation packs it: 21 criteria, most passing, two failing
 *  (one blocking, on a field), one to review; each criterion's reason is
 *  `reason` (NULL: a text of its own). */
static void s_report_with(msgpack_sbuffer *out, const char *reason)
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
        if (reason)
            snprintf(r->reason, sizeof r->reason, "%s", reason);
        else
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

static void s_report(msgpack_sbuffer *out)
{
    s_report_with(out, NULL);
}

/*  Unpacks `kept` as a status reply gives it and checks the bytes are
 *  `whole`'s. */
static void s_assert_given_back(const msgpack_sbuffer *kept, const msgpack_sbuffer *whole)
{
    msgpack_sbuffer back;
    msgpack_sbuffer_init(&back);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &back, msgpack_sbuffer_write);
    proto_error_t err;
    assert_int_equal(kept_report_unpack(&pk, kept->data, kept->size, &err), 0);
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

/*  A report as validation packs it is kept compact and given back byte
 *  for byte: without the keys of its 21 criteria (code 5 bytes, outcome 8,
 *  blocking 9, field 6, reason 7) and of the report (charter 8, verdict 8,
 *  private_area 13, criteria 9, for one byte of form), with each outcome a
 *  number (pass and fail 4 bytes less, review 6), and each reason of the
 *  charter's frequent texts a number ("Engagement pris." 16 bytes less). */
static void test_compact_report_comes_back_whole(void **state)
{
    (void)state;
    msgpack_sbuffer whole, kept;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    const size_t keys = 21 * (5 + 8 + 9 + 6 + 7) + (8 + 8 + 13 + 9) - 1, outcomes = 21 * 4 + 2;
    const struct {
        const char *reason;
        size_t saved;
    } cases[] = {{NULL, keys + outcomes}, {"Engagement pris.", keys + outcomes + 21 * 16}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msgpack_sbuffer_init(&whole);
        msgpack_sbuffer_init(&kept);
        s_report_with(&whole, cases[i].reason);
        msgpack_object report = s_decode(&whole, &zone);
        kept_report_pack(&kept, &report);
        assert_int_equal((unsigned char)kept.data[0], 0x95);   /* an array of 5: the compact form */
        assert_int_equal(whole.size - kept.size, cases[i].saved);
        s_assert_given_back(&kept, &whole);
        msgpack_sbuffer_destroy(&whole);
        msgpack_sbuffer_destroy(&kept);
    }
    msgpack_zone_destroy(&zone);
}

/*  Decoded (what review hands its committee), a kept report is the
 *  report validation made, and it lives in the zone it was decoded into. */
static void test_a_kept_report_decodes_whole(void **state)
{
    (void)state;
    msgpack_sbuffer whole, kept, again;
    msgpack_sbuffer_init(&whole);
    msgpack_sbuffer_init(&kept);
    msgpack_sbuffer_init(&again);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    s_report_with(&whole, "Engagement pris.");
    msgpack_object report = s_decode(&whole, &zone);
    kept_report_pack(&kept, &report);
    msgpack_zone decoded_zone;
    msgpack_zone_init(&decoded_zone, 64);
    msgpack_object decoded;
    proto_error_t err;
    assert_int_equal(kept_report_decode(kept.data, kept.size, &decoded_zone, &decoded, &err), 0);
    msgpack_sbuffer_destroy(&kept);   /* the decoded report does not point into it */
    msgpack_packer pk;
    msgpack_packer_init(&pk, &again, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, decoded);
    assert_int_equal(again.size, whole.size);
    assert_memory_equal(again.data, whole.data, whole.size);
    static const unsigned char never[] = {0xc1};
    assert_int_equal(kept_report_decode(never, 1, &decoded_zone, &decoded, &err), -1);
    msgpack_zone_destroy(&decoded_zone);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&whole);
    msgpack_sbuffer_destroy(&again);
}

/*  A report of another shape (here one key more than validation packs)
 *  is kept as a map, its criteria smaller by the defaults of 19 of them,
 *  and given back whole. */
static void test_kept_report_comes_back_whole(void **state)
{
    (void)state;
    msgpack_sbuffer whole, kept, wider;
    msgpack_sbuffer_init(&whole);
    msgpack_sbuffer_init(&kept);
    msgpack_sbuffer_init(&wider);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    s_report(&whole);
    /* The same report with "note": "x" at its end. */
    msgpack_packer pk;
    msgpack_packer_init(&pk, &wider, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    proto_pack_raw(&pk, whole.data + 1, whole.size - 1);
    proto_pack_kv_str(&pk, "note", "x");
    msgpack_sbuffer_destroy(&whole);
    whole = wider;
    msgpack_object report = s_decode(&whole, &zone);
    kept_report_pack(&kept, &report);
    assert_int_equal((unsigned char)kept.data[0], 0x85);   /* a map of 5: the kept form */
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
    proto_error_t err;
    assert_int_equal(kept_report_unpack(&pk, kept.data, kept.size, &err), 0);
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
    /* The compact form with an outcome, then a reason, that no table has. */
    const unsigned char unknown_outcome[] = {0x95, 0x01, 0xa1, 'c', 0xa1, 'v', 0xc2, 0x91,
                                             0x95, 0xa1, 'X', 0x09, 0xc2, 0xa0, 0xa1, 'r'};
    const unsigned char unknown_reason[] = {0x95, 0x01, 0xa1, 'c', 0xa1, 'v', 0xc2, 0x91,
                                            0x95, 0xa1, 'X', 0x00, 0xc2, 0xa0, 0xcc, 0xff};
    const struct {
        const void *data;
        size_t len;
    } cases[] = {{whole.data, whole.size / 2}, {never, 1}, {whole.data, 0},
                 {unknown_outcome, sizeof unknown_outcome}, {unknown_reason, sizeof unknown_reason}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msgpack_sbuffer_init(&back);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &back, msgpack_sbuffer_write);
        proto_error_t err;
        proto_error_clear(&err);
        assert_int_equal(kept_report_unpack(&pk, cases[i].data, cases[i].len, &err), -1);
        assert_true(err.message[0] != '\0');
        assert_int_equal(back.size, 1);
        assert_int_equal((unsigned char)back.data[0], 0xc0);
        msgpack_sbuffer_destroy(&back);
    }
    msgpack_sbuffer_destroy(&whole);
}

/*  The criteria kept_report_each gives, one line each
 *  ("code|outcome|blocking|field|reason\n"), appended to a buffer. */
static int s_line(const kept_criterion_t *c, void *arg)
{
    msgpack_sbuffer *lines = arg;
    char line[1024];
    int n = snprintf(line, sizeof line, "%.*s|%.*s|%d|%.*s|%.*s\n", (int)c->code_len, c->code, (int)c->outcome_len,
                     c->outcome, c->blocking, (int)c->field_len, c->field, (int)c->reason_len, c->reason);
    msgpack_sbuffer_write(lines, line, (size_t)n);
    return 0;
}

static void s_assert_same_criteria(const msgpack_object *a, const msgpack_object *b)
{
    msgpack_sbuffer la, lb;
    msgpack_sbuffer_init(&la);
    msgpack_sbuffer_init(&lb);
    proto_error_t err;
    assert_int_equal(kept_report_each(a, s_line, &la, &err), 0);
    assert_int_equal(kept_report_each(b, s_line, &lb, &err), 0);
    assert_true(la.size > 0);
    assert_int_equal(la.size, lb.size);
    assert_memory_equal(la.data, lb.data, la.size);
    msgpack_sbuffer_destroy(&la);
    msgpack_sbuffer_destroy(&lb);
}

/*  The compact form packed straight from the charter's report (what
 *  validation sends) is, byte for byte, what kept_report_pack makes of the
 *  map charter_report_pack writes; it is given back as that map, and read
 *  criterion by criterion the same: for reports the charter makes (every
 *  criterion passing, failing ones, one with the private area granted) and
 *  for made-up ones (reasons of no table, a criterion with no code, no
 *  version). */
static void s_assert_compact_is_kept_form(charter_report_t *report)
{
    msgpack_sbuffer whole, kept, direct;
    msgpack_sbuffer_init(&whole);
    msgpack_sbuffer_init(&kept);
    msgpack_sbuffer_init(&direct);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &whole, msgpack_sbuffer_write);
    charter_report_pack(report, &pk);
    msgpack_object map = s_decode(&whole, &zone);
    kept_report_pack(&kept, &map);
    msgpack_packer_init(&pk, &direct, msgpack_sbuffer_write);
    kept_report_pack_charter(&pk, report);
    assert_int_equal((unsigned char)direct.data[0], 0x95);   /* an array of 5: the compact form */
    assert_int_equal(direct.size, kept.size);
    assert_memory_equal(direct.data, kept.data, kept.size);
    s_assert_given_back(&direct, &whole);
    msgpack_object compact = s_decode(&direct, &zone);
    s_assert_same_criteria(&map, &compact);
    msgpack_sbuffer_destroy(&whole);
    msgpack_sbuffer_destroy(&kept);
    msgpack_sbuffer_destroy(&direct);
    msgpack_zone_destroy(&zone);
}

static void test_the_charter_packs_the_compact_form(void **state)
{
    (void)state;
    static charter_report_t report;
    static const char *const patches[] = {
        NULL,
        "{'organisation': {'siret': '123 456 789 00012'}}",
        "{'commitments': {'tax_compliance': false}}",
        "{'trained_people': [{'name': 'A B', 'session_date': '2026-11-03'}]}",
        "{'references': {'ess': [], 'continuous_improvement': []}, 'offer': {'training': false}}",
    };
    for (size_t i = 0; i < sizeof patches / sizeof *patches; i++) {
        cases_judge(NULL, patches[i], NULL, &report);
        s_assert_compact_is_kept_form(&report);
    }
    cases_judge(NULL, patches[1], NULL, &report);
    assert_int_equal(report.verdict, CHARTER_VERDICT_INCOMPLETE);   /* the cases cover both verdicts */
    cases_judge(NULL, patches[3], NULL, &report);
    assert_true(report.private_area);                               /* and both private areas */

    snprintf(report.results[0].reason, sizeof report.results[0].reason, "Un motif qu'aucune table ne donne.");
    report.results[1].code = NULL;
    report.version = NULL;
    s_assert_compact_is_kept_form(&report);
}

static int s_stop_at_second(const kept_criterion_t *c, void *arg)
{
    (void)c;
    return ++*(int *)arg == 2 ? 7 : 0;
}

/*  A report is read criterion by criterion whatever its form: the map of
 *  an earlier version's event, the map kept without its defaults, the
 *  compact form; the reading stops at the callback's first non-zero.
 *  Anything else is refused, naming the field and the rule. */
static void test_each_criterion_in_every_form(void **state)
{
    (void)state;
    msgpack_sbuffer whole, kept, thin;
    msgpack_sbuffer_init(&whole);
    msgpack_sbuffer_init(&kept);
    msgpack_sbuffer_init(&thin);
    s_report(&whole);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object map = s_decode(&whole, &zone);
    kept_report_pack(&kept, &map);
    msgpack_object compact = s_decode(&kept, &zone);
    assert_int_equal(compact.type, MSGPACK_OBJECT_ARRAY);
    s_assert_same_criteria(&map, &compact);
    /* A map with one key more is kept without its criteria's defaults. */
    msgpack_packer pk;
    msgpack_packer_init(&pk, &thin, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, map.via.map.size + 1);
    for (uint32_t i = 0; i < map.via.map.size; i++) {
        msgpack_pack_object(&pk, map.via.map.ptr[i].key);
        msgpack_pack_object(&pk, map.via.map.ptr[i].val);
    }
    proto_pack_kv_str(&pk, "note", "x");
    msgpack_object wider = s_decode(&thin, &zone);
    kept_report_pack(&kept, &wider);
    msgpack_object without_defaults = s_decode(&kept, &zone);
    assert_int_equal(without_defaults.type, MSGPACK_OBJECT_MAP);
    assert_true(kept.size < thin.size);
    s_assert_same_criteria(&map, &without_defaults);

    int seen = 0;
    proto_error_t err;
    assert_int_equal(kept_report_each(&compact, s_stop_at_second, &seen, &err), 7);
    assert_int_equal(seen, 2);

    static const unsigned char text[] = {0xa1, 'x'}, nil[] = {0xc0}, no_criteria[] = {0x81, 0xa1, 'v', 0xc2},
                               form_2[] = {0x95, 0x02, 0xa1, 'c', 0xa1, 'v', 0xc2, 0x90},
                               short_form[] = {0x92, 0x01, 0xa1, 'c'},
                               bad_criterion[] = {0x95, 0x01, 0xa1, 'c', 0xa1, 'v', 0xc2, 0x91, 0x93, 0xa1, 'X', 0x00, 0xc2},
                               unknown_outcome[] = {0x95, 0x01, 0xa1, 'c', 0xa1, 'v', 0xc2, 0x91,
                                                    0x95, 0xa1, 'X', 0x09, 0xc2, 0xa0, 0xa1, 'r'},
                               outcome_text[] = {0x95, 0x01, 0xa1, 'c', 0xa1, 'v', 0xc2, 0x91,
                                                 0x95, 0xa1, 'X', 0xa4, 'p', 'a', 's', 's', 0xc2, 0xa0, 0xa1, 'r'},
                               /* {"criteria": [{"outcome": "pass"}]}: a map's criterion without its code */
                               map_without_code[] = {0x81, 0xa8, 'c', 'r', 'i', 't', 'e', 'r', 'i', 'a', 0x91, 0x81,
                                                     0xa7, 'o', 'u', 't', 'c', 'o', 'm', 'e', 0xa4, 'p', 'a', 's', 's'};
    const struct {
        const unsigned char *data;
        size_t len;
        const char *rule;
    } cases[] = {{text, sizeof text, "type"},           {nil, sizeof nil, "type"},
                 {no_criteria, sizeof no_criteria, "type"}, {form_2, sizeof form_2, "type"},
                 {short_form, sizeof short_form, "type"}, {bad_criterion, sizeof bad_criterion, "criterion"},
                 {unknown_outcome, sizeof unknown_outcome, "criterion"},
                 {outcome_text, sizeof outcome_text, "criterion"},
                 {map_without_code, sizeof map_without_code, "criterion"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        msgpack_object report;
        size_t offset = 0;
        assert_int_equal(msgpack_unpack((const char *)cases[i].data, cases[i].len, &offset, &zone, &report),
                         MSGPACK_UNPACK_SUCCESS);
        proto_error_clear(&err);
        seen = 0;
        assert_int_equal(kept_report_each(&report, s_stop_at_second, &seen, &err), -1);
        assert_string_equal(err.field, "report");
        assert_string_equal(err.rule, cases[i].rule);
        assert_int_equal(seen, 0);
    }
    assert_int_equal(kept_report_each(NULL, s_stop_at_second, &seen, &err), -1);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&whole);
    msgpack_sbuffer_destroy(&kept);
    msgpack_sbuffer_destroy(&thin);
}

static int s_keep_reason(const kept_criterion_t *c, void *arg)
{
    snprintf(arg, 600, "%.*s", (int)c->reason_len, c->reason);
    return 0;
}

/*  The text reason number n stands for in a compact report, read through
 *  kept_report_each; false when no reason has that number. */
static bool s_reason_of(uint8_t n, char text[600])
{
    const unsigned char bytes[] = {0x95, 0x01, 0xa1, 'c', 0xa1, 'v', 0xc2, 0x91, 0x95, 0xa1, 'X', 0x00, 0xc2, 0xa0, 0xcc, n};
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object report;
    size_t offset = 0;
    assert_int_equal(msgpack_unpack((const char *)bytes, sizeof bytes, &offset, &zone, &report), MSGPACK_UNPACK_SUCCESS);
    proto_error_t err;
    bool known = kept_report_each(&report, s_keep_reason, text, &err) == 0;
    msgpack_zone_destroy(&zone);
    return known;
}

/*  proto/README.md's table of the compact form's reasons is the code's:
 *  each number with its text, and none beyond. */
static void test_the_protocol_lists_every_reason(void **state)
{
    (void)state;
    const char *fixtures = getenv("ESSP_FIXTURES");
    assert_non_null(fixtures);
    char path[4096];
    snprintf(path, sizeof path, "%s/../../proto/README.md", fixtures);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char readme[1 << 20];
    size_t len = fread(readme, 1, sizeof readme - 1, f);
    fclose(f);
    readme[len] = '\0';
    char text[600], row[700];
    uint8_t n = 0;
    for (; s_reason_of(n, text); n++) {
        snprintf(row, sizeof row, "| %u | `%s` |", n, text);
        if (!strstr(readme, row))
            fail_msg("proto/README.md lacks the row %s", row);
    }
    assert_true(n >= 15);
    snprintf(row, sizeof row, "| %u | `", n);
    assert_null(strstr(readme, row));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_report_comes_back_whole),
        cmocka_unit_test(test_kept_report_comes_back_whole),
        cmocka_unit_test(test_a_kept_report_decodes_whole),
        cmocka_unit_test(test_whole_report_goes_out_unchanged),
        cmocka_unit_test(test_odd_shapes),
        cmocka_unit_test(test_broken_bytes_give_nil),
        cmocka_unit_test(test_the_charter_packs_the_compact_form),
        cmocka_unit_test(test_each_criterion_in_every_form),
        cmocka_unit_test(test_the_protocol_lists_every_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
