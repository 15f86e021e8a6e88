/*  The texts of the public side that must agree with each other: each
 *  commitment's box on the form (proto/application.schema.json) reads as
 *  the charter's own text (charter_commitment_text), first person after
 *  « Je m'engage à : », and the reason of an unticked box quotes it
 *  exactly; the committee's meeting dates are read from the setting, or
 *  refused with the bad date named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/config.h"
#include "proto/charter.h"
#include "proto/date.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"

static const char *const s_keys[] = {"contract_before_action", "within_competence", "confidentiality",
                                     "non_discrimination", "conflict_disclosure", "tax_compliance",
                                     "regulatory_watch", "intellectual_property", "fair_competition",
                                     "charter_on_request"};

typedef struct {
    const char *key;
    char description[512];
} s_find_t;

static void s_find(const char *path, bool is_public, const char *type, const char *description, void *arg)
{
    s_find_t *find = arg;
    char wanted[96];
    snprintf(wanted, sizeof wanted, "commitments.%s", find->key);
    if (strcmp(path, wanted) == 0)
        snprintf(find->description, sizeof find->description, "%s", description);
}

static void test_the_box_the_schema_and_the_reason_say_the_same(void **state)
{
    /* An application with every commitment unticked. */
    static const char json[] = "{\"commitments\":{}}";
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    assert_int_equal(json_codec_to_msgpack(json, strlen(json), &buf, &err), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object app;
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &app, &err), 0);
    charter_report_t report;
    charter_check(&app, date_from_civil(2026, 12, 6), &report);
    for (size_t i = 0; i < sizeof s_keys / sizeof *s_keys; i++) {
        const char *text = charter_commitment_text(s_keys[i]);
        assert_non_null(text);
        s_find_t find = {.key = s_keys[i]};
        schema_foreach_field(schema_application(), s_find, &find);
        assert_string_equal(find.description, text);
        /* First person, never the applicant addressed as « vous ». */
        assert_null(strstr(text, "vous"));
        assert_null(strstr(text, "vos "));
        assert_null(strstr(text, "S'"));
        char field[96], quote[600];
        snprintf(field, sizeof field, "commitments.%s", s_keys[i]);
        snprintf(quote, sizeof quote, "« %s »", text);
        bool found = false;
        for (size_t r = 0; r < report.count; r++)
            if (strcmp(report.results[r].field, field) == 0) {
                found = true;
                assert_non_null(strstr(report.results[r].reason, quote));
            }
        assert_true(found);
    }
    assert_string_equal(charter_commitment_text("tax_compliance"), "respecter mes obligations fiscales");
    assert_null(charter_commitment_text("purpose"));
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static void test_meeting_dates_are_read_sorted_or_refused(void **state)
{
    int32_t days[CONFIG_MEETINGS_MAX];
    size_t count = 99;
    char error[160];
    assert_int_equal(config_parse_meetings(" 2027-10-07 , 2027-03-18,", days, CONFIG_MEETINGS_MAX, &count,
                                           error, sizeof error), 0);
    assert_int_equal(count, 2);
    assert_int_equal(days[0], date_from_civil(2027, 3, 18));
    assert_int_equal(days[1], date_from_civil(2027, 10, 7));
    assert_int_equal(config_parse_meetings(NULL, days, CONFIG_MEETINGS_MAX, &count, error, sizeof error), 0);
    assert_int_equal(count, 0);
    assert_int_equal(config_parse_meetings("", days, CONFIG_MEETINGS_MAX, &count, error, sizeof error), 0);
    assert_int_equal(count, 0);
    assert_int_equal(config_parse_meetings("2027-03-18,2027-02-30", days, CONFIG_MEETINGS_MAX, &count, error,
                                           sizeof error), -1);
    assert_string_equal(error, "ESSP_COMMITTEE_MEETINGS: '2027-02-30' is not a date YYYY-MM-DD");
    assert_int_equal(config_parse_meetings("18/03/2027", days, CONFIG_MEETINGS_MAX, &count, error,
                                           sizeof error), -1);
    assert_non_null(strstr(error, "'18/03/2027'"));
    assert_int_equal(config_parse_meetings("2027-03-18,2027-03-19,2027-03-20", days, 2, &count, error,
                                           sizeof error), -1);
    assert_non_null(strstr(error, "more than 2 dates"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_box_the_schema_and_the_reason_say_the_same),
        cmocka_unit_test(test_meeting_dates_are_read_sorted_or_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
