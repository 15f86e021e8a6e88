/*  Unit tests of intake's core on a temporary LMDB (tests/unit/core_bench.h)
 *  for the applicant's token on its way to essp-notify: `submitted` carries
 *  it sealed to notify's key (keys/allowed/service-notify.cert), and
 *  `token_reissue` replaces a lost token, the same reply whatever the
 *  address, three times an hour per address at most. */
#define _GNU_SOURCE              /* asprintf, mkdtemp */
#include "services/intake/intake.h"
#include "services/intake/sealing.h"

#include "core_bench.h"
#include "common/sealed_token.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_CONTACT "jl.brochard@mep-vendee.example"
#define S_HOUR 3600

typedef struct {
    core_bench_t *bench;
    void *ctx;
    char *application;
    char home[64];
    zcert_t *notify;             /* notify's key pair, NULL when not in the store */
    int64_t now;
} core_t;

static void s_write_notify_cert(core_t *t)
{
    char dir[128], path[160];
    snprintf(dir, sizeof dir, "%s/keys/allowed", t->home);
    assert_int_equal(zsys_dir_create("%s", dir), 0);
    snprintf(path, sizeof path, "%s/service-notify.cert", dir);
    t->notify = zcert_new();
    zcert_t *entry = zcert_new_from(zcert_public_key(t->notify), zcert_secret_key(t->notify));
    zcert_set_meta(entry, "name", "notify");
    zcert_set_meta(entry, "role", "service");
    assert_int_equal(zcert_save_public(entry, path), 0);
    zcert_destroy(&entry);
}

static int s_setup_with(void **state, bool notify_key)
{
    core_t *t = calloc(1, sizeof *t);
    snprintf(t->home, sizeof t->home, "/tmp/essp-reissue-XXXXXX");
    assert_non_null(mkdtemp(t->home));
    setenv("ESSP_HOME", t->home, 1);
    sealing_forget();
    if (notify_key)
        s_write_notify_cert(t);
    t->bench = core_bench_new(intake_dbs);
    t->ctx = intake_context_new();
    core_bench_hooks(t->bench, intake_before_commit, intake_ended, t->ctx);
    assert_int_equal(core_bench_start(t->bench, intake_start, t->ctx), 0);
    t->application = core_bench_fixture("applications/valid/mutuelle-entraide-vendee.json");
    t->now = 1767225600;         /* 2026-01-01 */
    *state = t;
    return 0;
}

static int s_setup(void **state)
{
    return s_setup_with(state, true);
}

static int s_setup_without_notify(void **state)
{
    return s_setup_with(state, false);
}

static int s_teardown(void **state)
{
    core_t *t = *state;
    core_bench_destroy(&t->bench);
    intake_context_destroy(&t->ctx);
    zcert_destroy(&t->notify);
    free(t->application);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", t->home);
    assert_int_equal(system(command), 0);
    free(t);
    return 0;
}

/*  Runs a request a minute after the last; its reply is core_bench_reply. */
static int s_request(core_t *t, const char *role, const char *format, ...) __attribute__((format(printf, 3, 4)));
static int s_request(core_t *t, const char *role, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text = NULL;
    assert_true(vasprintf(&text, format, args) > 0);
    va_end(args);
    t->now += 60;
    core_bench_peer(t->bench, role, role ? "Anne" : NULL);
    int rc = core_bench_request(t->bench, intake_handle, t->ctx, t->now, "%s", text);
    free(text);
    return rc;
}

/*  Submits the fixture (with `key` when not NULL): its id and token. */
static void s_submit(core_t *t, const char *key, char id[PROTO_ID_MAX + 1], char token[64])
{
    int rc = key ? s_request(t, NULL, "{\"v\":1,\"type\":\"submit\",\"key\":\"%s\",\"application\":%s}", key,
                             t->application)
                 : s_request(t, NULL, "{\"v\":1,\"type\":\"submit\",\"application\":%s}", t->application);
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "receipt");
    assert_true(doc_strcpy(core_bench_reply(t->bench), "id", id, PROTO_ID_MAX + 1) > 0);
    assert_true(doc_strcpy(core_bench_reply(t->bench), "token", token, 64) > 0);
}

/*  The reply type of a status request with this token. */
static const char *s_status_with(core_t *t, const char *id, const char *token)
{
    s_request(t, NULL, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"token\":\"%s\"}", id, token);
    const char *type = core_bench_reply_type(t->bench);
    return strcmp(type, "error") == 0 && doc_str_eq(core_bench_reply(t->bench), "code", PROTO_E_NOT_FOUND)
               ? "not_found" : type;
}

/*  Asks for the token of `contact` again: the reply is always reissue_ack;
 *  the token_reissued event it appended for `id`, opened, into token (""
 *  when none). */
static void s_reissue(core_t *t, const char *contact, char token[64])
{
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_request(t, NULL, "{\"v\":1,\"type\":\"token_reissue\",\"rid\":3,\"contact\":\"%s\"}", contact),
                     0);
    assert_string_equal(core_bench_reply_type(t->bench), "reissue_ack");
    assert_int_equal(core_bench_reply(t->bench)->via.map.size, 3);   /* v, type, rid: nothing else */
    token[0] = '\0';
    const msgpack_object *event = core_bench_event(t->bench, head, "token_reissued");
    if (!event)
        return;
    const msgpack_object *sealed = doc_get(event, "token_sealed");
    if (!sealed)
        return;
    assert_int_equal(sealed->type, MSGPACK_OBJECT_BIN);
    int n = sealed_token_open(zcert_public_key(t->notify), zcert_secret_key(t->notify),
                              (const uint8_t *)sealed->via.bin.ptr, sealed->via.bin.size, (uint8_t *)token, 63);
    assert_true(n > 0);
    token[n] = '\0';
}

static size_t s_events_of(core_t *t, uint64_t after, const char *type)
{
    const msgpack_object *events = core_bench_events(t->bench, after);
    size_t n = 0;
    for (size_t i = 0; i < doc_len(events); i++)
        n += doc_str_eq(doc_at(events, i), "type", type);
    return n;
}

/* ------------------------------------------------------------------ tests */

static void test_submitted_carries_the_token_sealed_for_notify(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64], opened[64];
    s_submit(t, NULL, id, token);
    const msgpack_object *event = core_bench_event(t->bench, 0, "submitted");
    const msgpack_object *sealed = doc_get(event, "token_sealed");
    assert_non_null(sealed);
    assert_null(memmem(sealed->via.bin.ptr, sealed->via.bin.size, token, 10));
    int n = sealed_token_open(zcert_public_key(t->notify), zcert_secret_key(t->notify),
                              (const uint8_t *)sealed->via.bin.ptr, sealed->via.bin.size, (uint8_t *)opened,
                              sizeof opened - 1);
    assert_int_equal(n, (int)strlen(token));
    opened[n] = '\0';
    assert_string_equal(opened, token);
    /* Another key does not open it. */
    zcert_t *other = zcert_new();
    assert_int_equal(sealed_token_open(zcert_public_key(other), zcert_secret_key(other),
                                       (const uint8_t *)sealed->via.bin.ptr, sealed->via.bin.size,
                                       (uint8_t *)opened, sizeof opened), -1);
    zcert_destroy(&other);
}

static void test_reissue_replaces_the_token(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64], fresh[64];
    s_submit(t, NULL, id, token);
    s_reissue(t, "  JL.Brochard@MEP-Vendee.EXAMPLE ", fresh);
    assert_int_equal(strlen(fresh), INTAKE_TOKEN_CHARS);
    assert_string_not_equal(fresh, token);
    assert_string_equal(s_status_with(t, id, token), "not_found");   /* the old token, at once */
    assert_string_equal(s_status_with(t, id, fresh), "status");
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", STATE_RECEIVED));

    /* An unknown address: the same reply, nothing issued. */
    uint64_t head = core_bench_head(t->bench);
    s_reissue(t, "personne@exemple.fr", token);
    assert_string_equal(token, "");
    assert_int_equal(core_bench_head(t->bench), head);
    assert_string_equal(s_status_with(t, id, fresh), "status");
}

static void test_three_reissues_an_hour(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64], fresh[64], last[64] = "";
    s_submit(t, NULL, id, token);
    uint64_t head = core_bench_head(t->bench);
    for (int i = 0; i < 3; i++) {
        s_reissue(t, S_CONTACT, fresh);
        assert_int_equal(strlen(fresh), INTAKE_TOKEN_CHARS);
        snprintf(last, sizeof last, "%s", fresh);
    }
    assert_int_equal(s_events_of(t, head, "token_reissued"), 3);
    s_reissue(t, S_CONTACT, fresh);             /* the fourth within the hour */
    assert_string_equal(fresh, "");
    assert_int_equal(s_events_of(t, head, "token_reissued"), 3);
    assert_string_equal(s_status_with(t, id, last), "status");   /* the third stays valid */
    /* An hour after the first, one more may go. */
    t->now += S_HOUR;
    s_reissue(t, S_CONTACT, fresh);
    assert_int_equal(strlen(fresh), INTAKE_TOKEN_CHARS);
    assert_string_equal(s_status_with(t, id, last), "not_found");
    assert_string_equal(s_status_with(t, id, fresh), "status");
}

/*  A keyed submission's token is derived from its key: resent after a
 *  reissue, it gets its receipt without the old token, which stays dead. */
static void test_keyed_resend_after_reissue(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64], fresh[64];
    s_submit(t, "cle-7f3a", id, token);
    s_reissue(t, S_CONTACT, fresh);
    assert_int_equal(s_request(t, NULL, "{\"v\":1,\"type\":\"submit\",\"key\":\"cle-7f3a\",\"application\":%s}",
                               t->application), 0);
    assert_string_equal(core_bench_reply_type(t->bench), "receipt");
    assert_true(doc_bool(core_bench_reply(t->bench), "duplicate", false));
    assert_null(doc_get(core_bench_reply(t->bench), "token"));
    assert_string_equal(s_status_with(t, id, token), "not_found");
    assert_string_equal(s_status_with(t, id, fresh), "status");
}

static void test_no_reissue_once_erased(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64], fresh[64];
    s_submit(t, NULL, id, token);
    assert_int_equal(s_request(t, "staff", "{\"v\":1,\"type\":\"erase\",\"id\":\"%s\"}", id), 0);
    uint64_t head = core_bench_head(t->bench);
    s_reissue(t, S_CONTACT, fresh);
    assert_string_equal(fresh, "");
    assert_int_equal(s_events_of(t, head, "token_reissued"), 0);
}

/*  An amendment that changes the contact's address moves the application
 *  to the new address; its submitted event carries no token. */
static void test_amended_address(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64], fresh[64];
    s_submit(t, NULL, id, token);
    t->now += 60;
    assert_int_equal(core_bench_apply(t->bench, intake_apply_validation, t->ctx, "validated", t->now,
                                      "{\"seq\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":1,"
                                      "\"verdict\":\"incomplete\",\"report\":{\"charter\":\"2018.1\","
                                      "\"verdict\":\"incomplete\",\"criteria\":[]}}", id), 0);
    const char *at = strstr(t->application, S_CONTACT);
    assert_non_null(at);
    char *amended = NULL;
    assert_true(asprintf(&amended, "%.*s%s%s", (int)(at - t->application), t->application,
                         "secretariat@mep-vendee.example", at + strlen(S_CONTACT)) > 0);
    uint64_t head = core_bench_head(t->bench);
    int rc = s_request(t, NULL, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"token\":\"%s\",\"application\":%s}", id,
                       token, amended);
    free(amended);
    assert_int_equal(rc, 0);
    const msgpack_object *submitted = core_bench_event(t->bench, head, "submitted");
    assert_non_null(submitted);
    assert_null(doc_get(submitted, "token_sealed"));
    s_reissue(t, S_CONTACT, fresh);
    assert_string_equal(fresh, "");
    s_reissue(t, "Secretariat@mep-vendee.example", fresh);
    assert_int_equal(strlen(fresh), INTAKE_TOKEN_CHARS);
    assert_string_equal(s_status_with(t, id, fresh), "status");
}

/*  Without notify's key the events go without the sealed token, and a
 *  reissue still replaces the token. */
static void test_without_notify_key(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64];
    s_submit(t, NULL, id, token);
    const msgpack_object *event = core_bench_event(t->bench, 0, "submitted");
    assert_non_null(event);
    assert_null(doc_get(event, "token_sealed"));
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_request(t, NULL, "{\"v\":1,\"type\":\"token_reissue\",\"contact\":\"%s\"}", S_CONTACT), 0);
    event = core_bench_event(t->bench, head, "token_reissued");
    assert_non_null(event);
    assert_true(doc_str_eq(event, "id", id));
    assert_null(doc_get(event, "token_sealed"));
    assert_string_equal(s_status_with(t, id, token), "not_found");
}

/*  notify's key written after intake looked for it in vain: intake looks
 *  again (at most once a second), and the next event carries the token
 *  sealed to it. */
static void test_notify_key_found_after_a_miss(void **state)
{
    core_t *t = *state;
    char id[PROTO_ID_MAX + 1], token[64], fresh[64];
    s_submit(t, NULL, id, token);
    assert_null(doc_get(core_bench_event(t->bench, 0, "submitted"), "token_sealed"));
    s_write_notify_cert(t);
    zclock_sleep(1100);
    s_reissue(t, S_CONTACT, fresh);
    assert_int_equal(strlen(fresh), INTAKE_TOKEN_CHARS);
    assert_string_equal(s_status_with(t, id, fresh), "status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submitted_carries_the_token_sealed_for_notify, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reissue_replaces_the_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_three_reissues_an_hour, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_keyed_resend_after_reissue, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_reissue_once_erased, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_amended_address, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_without_notify_key, s_setup_without_notify, s_teardown),
        cmocka_unit_test_setup_teardown(test_notify_key_found_after_a_miss, s_setup_without_notify, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
