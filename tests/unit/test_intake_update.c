/*  Unit tests of intake's updates of a listing (services/intake/update.h)
 *  on a real LMDB environment in a temporary folder (core_bench.h): an
 *  amend of a published application keeps it published, says what it
 *  changes and whether the committee must see it, records it in the
 *  history, and is compared with the listing (not with an update the
 *  committee refused); an update that fails the charter or changes
 *  nothing is refused and writes nothing.
 */
#define _GNU_SOURCE              /* asprintf */
#include "services/intake/intake.h"

#include "core_bench.h"
#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_PHONE "\"02 51 37 64 20\""
#define S_THEMES "\"csr_iso26000\"\n    ]"
#define S_CONFIDENTIALITY "\"confidentiality\": true"

typedef struct {
    core_bench_t *bench;
    void *ctx;
    char *application;
    msgpack_zone zone;
    int64_t now;
    char id[PROTO_ID_MAX + 1];
    char token[64];
} fixture_t;

/*  text with its one occurrence of `from` replaced by `to`, malloc'd. */
static char *s_replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    char *out = NULL;
    assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
    return out;
}

/*  One request as the shell runs it; *reply copied into the zone. */
static int s_request(fixture_t *t, msgpack_object *reply, const char *text)
{
    t->now += 60;
    core_bench_peer(t->bench, NULL, NULL);
    int rc = core_bench_request(t->bench, intake_handle, t->ctx, t->now, "%s", text);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_object(&pk, *core_bench_reply(t->bench)), 0);
    char *bytes = msgpack_zone_malloc(&t->zone, buf.size);
    memcpy(bytes, buf.data, buf.size);
    size_t off = 0;
    assert_int_equal(msgpack_unpack(bytes, buf.size, &off, &t->zone, reply), MSGPACK_UNPACK_SUCCESS);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static int s_amend(fixture_t *t, msgpack_object *reply, const char *application)
{
    char *text = NULL;
    assert_true(asprintf(&text, "{\"v\":1,\"type\":\"amend\",\"rid\":3,\"id\":\"%s\",\"token\":\"%s\",\"application\":%s}",
                         t->id, t->token, application) > 0);
    int rc = s_request(t, reply, text);
    free(text);
    return rc;
}

static void s_event(fixture_t *t, service_apply_fn apply, const char *type, const char *fields)
{
    t->now += 60;
    assert_int_equal(core_bench_apply(t->bench, apply, t->ctx, type, t->now, "{\"seq\":1,\"type\":\"%s\",%s}",
                                      type, fields), 0);
}

static void s_decided(fixture_t *t, int revision, int round, const char *decision)
{
    char fields[320];
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":%d,\"round\":%d,\"decision\":\"%s\","
             "\"motivations\":[\"Les thèmes ajoutés ne sont pas étayés.\"],\"voters\":[\"a\",\"b\",\"c\"]",
             t->id, revision, round, decision);
    s_event(t, intake_apply_review, "decided", fields);
}

static int s_setup(void **state)
{
    fixture_t *t = calloc(1, sizeof *t);
    t->bench = core_bench_new(intake_dbs);
    t->ctx = intake_context_new();
    core_bench_hooks(t->bench, intake_before_commit, intake_ended, t->ctx);
    assert_int_equal(core_bench_start(t->bench, intake_start, t->ctx), 0);
    t->application = core_bench_fixture("applications/valid/mutuelle-entraide-vendee.json");
    msgpack_zone_init(&t->zone, 65536);
    t->now = 1767225600;         /* 2026-01-01 */
    *state = t;
    /* Published: submitted, validated, approved, listed. */
    msgpack_object reply;
    char *text = NULL;
    assert_true(asprintf(&text, "{\"v\":1,\"type\":\"submit\",\"rid\":1,\"application\":%s}", t->application) > 0);
    assert_int_equal(s_request(t, &reply, text), 0);
    free(text);
    assert_true(doc_strcpy(&reply, "id", t->id, sizeof t->id) > 0);
    assert_true(doc_strcpy(&reply, "token", t->token, sizeof t->token) > 0);
    char fields[256];
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"verdict\":\"review\","
             "\"report\":{\"charter\":\"2018.1\",\"verdict\":\"review\",\"criteria\":[]}", t->id);
    s_event(t, intake_apply_validation, "validated", fields);
    s_decided(t, 1, 1, "approve");
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"version\":1,\"entry\":{}", t->id);
    s_event(t, intake_apply_publication, "upsert", fields);
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *t = *state;
    core_bench_destroy(&t->bench);
    intake_context_destroy(&t->ctx);
    msgpack_zone_destroy(&t->zone);
    free(t->application);
    free(t);
    return 0;
}

static void s_assert_str(const msgpack_object *map, const char *key, const char *expected)
{
    char value[512] = "";
    if (doc_strcpy(map, key, value, sizeof value) < 0 || strcmp(value, expected) != 0)
        fail_msg("%s: \"%s\", expected \"%s\"", key, value, expected);
}

static msgpack_object s_status(fixture_t *t)
{
    char text[160];
    snprintf(text, sizeof text, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"token\":\"%s\"}", t->id, t->token);
    msgpack_object reply;
    assert_int_equal(s_request(t, &reply, text), 0);
    return reply;
}

/*  The last record of the application's history. */
static msgpack_object s_last_record(fixture_t *t)
{
    char text[160];
    snprintf(text, sizeof text, "{\"v\":1,\"type\":\"history\",\"id\":\"%s\",\"token\":\"%s\"}", t->id, t->token);
    msgpack_object reply, record;
    assert_int_equal(s_request(t, &reply, text), 0);
    assert_true(doc_bool(&reply, "verified", false));
    const msgpack_object *records = doc_array(&reply, "records");
    const msgpack_object *body = &doc_at(records, doc_len(records) - 1)->via.array.ptr[0];
    assert_int_equal(history_body_decode(body->via.bin.ptr, body->via.bin.size, &t->zone, &record), 0);
    return record;
}

static void s_assert_changed(const msgpack_object *reply, const char *first, const char *second, bool substantive)
{
    const msgpack_object *changed = doc_array(reply, "changed");
    assert_int_equal(doc_len(changed), second ? 2 : 1);
    assert_true(doc_is(doc_at(changed, 0), first));
    if (second)
        assert_true(doc_is(doc_at(changed, 1), second));
    assert_int_equal(doc_bool(reply, "substantive", !substantive), substantive);
}

static void test_an_update_keeps_the_listing_published(void **state)
{
    fixture_t *t = *state;
    char *phone = s_replace(t->application, S_PHONE, "\"02 51 11 22 33\"");
    uint64_t head = core_bench_head(t->bench);
    msgpack_object reply;
    assert_int_equal(s_amend(t, &reply, phone), 0);
    free(phone);
    s_assert_str(&reply, "type", "receipt");
    s_assert_str(&reply, "state", "published");
    s_assert_changed(&reply, "organisation.public_contact.phone", NULL, false);
    const msgpack_object *submitted = core_bench_event(t->bench, head, "submitted");
    assert_non_null(submitted);
    uint64_t revision = 0;
    assert_true(doc_uint(submitted, "revision", &revision) && revision == 2);
    msgpack_object status = s_status(t);
    s_assert_str(&status, "state", "published");
    const msgpack_object *update = doc_map(&status, "update");
    assert_non_null(update);
    assert_true(doc_uint(update, "revision", &revision) && revision == 2);
    msgpack_object record = s_last_record(t);
    s_assert_str(&record, "what", "updated");
    s_assert_str(&record, "state", "published");
    s_assert_str(&record, "why", "revision 2; changed: organisation.public_contact.phone; minor");
}

static void test_a_refused_update_writes_nothing(void **state)
{
    fixture_t *t = *state;
    char *unticked = s_replace(t->application, S_CONFIDENTIALITY, "\"confidentiality\": false");
    uint64_t head = core_bench_head(t->bench);
    msgpack_object reply;
    int rc = s_amend(t, &reply, unticked);
    free(unticked);
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "application.commitments.confidentiality", "CLI-CONFID");
    rc = s_amend(t, &reply, t->application);
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "application", "unchanged");
    assert_int_equal(core_bench_head(t->bench), head);
    msgpack_object status = s_status(t);
    uint64_t revision = 0;
    assert_true(doc_uint(&status, "revision", &revision) && revision == 1);
    assert_null(doc_map(&status, "update"));
}

/*  After a refused update the next one is compared with what is listed;
 *  once one is approved, with it. */
static void test_updates_are_compared_with_the_listing(void **state)
{
    fixture_t *t = *state;
    char *themes = s_replace(t->application, S_THEMES, "\"csr_iso26000\", \"diversity_equality\"]");
    char *phone = s_replace(t->application, S_PHONE, "\"02 51 11 22 33\"");
    char *both = s_replace(themes, S_PHONE, "\"02 51 11 22 33\"");
    msgpack_object reply;
    assert_int_equal(s_amend(t, &reply, themes), 0);
    s_assert_changed(&reply, "offer.themes", NULL, true);
    s_decided(t, 2, 2, "reject");
    msgpack_object status = s_status(t);
    s_assert_str(&status, "state", "published");
    /* The phone alone, against the listing: not the refused themes. */
    assert_int_equal(s_amend(t, &reply, phone), 0);
    s_assert_changed(&reply, "organisation.public_contact.phone", NULL, false);
    s_decided(t, 3, 1, "approve");
    /* Now the listing has the new phone: the themes alone changed. */
    assert_int_equal(s_amend(t, &reply, both), 0);
    s_assert_changed(&reply, "offer.themes", NULL, true);
    free(themes);
    free(phone);
    free(both);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_update_keeps_the_listing_published, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_refused_update_writes_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_updates_are_compared_with_the_listing, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
