/*  essp-notify's outbox and its sender's requests (outbox_due, outbox_mark,
 *  mail_failed) on a real LMDB (tests/unit/notify_bench.h): one receipt per
 *  event and recipient, handed out once, retried with backoff after a 4xx,
 *  never after a 5xx (and staff told), bodies forgotten once sent, no
 *  recipient that could break a header. */
#include "notify_bench.h"

#include "services/notify/outbox.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_a_submission_gets_one_receipt(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 42, "app1", "contact@mutuelle.example", T0);
    notify_bench_submitted(t, 42, "app1", "contact@mutuelle.example", T0);     /* replayed after a crash */
    const msgpack_object *due = notify_bench_due(t, T0);
    assert_int_equal(doc_len(due), 1);
    char *id = notify_bench_field(doc_at(due, 0), "message_id");
    char *bytes = notify_bench_field(doc_at(due, 0), "bytes");
    assert_int_equal(strncmp(id, "intake.42.", 10), 0);
    assert_non_null(strstr(id, "@cress.example"));
    assert_non_null(strstr(bytes, "To: =?UTF-8?B?"));
    assert_non_null(strstr(bytes, "<contact@mutuelle.example>"));
    /* No token in the event: the letter points to the lost-link page. */
    assert_non_null(strstr(bytes, "https://candidater.example/suivi/lien-perdu"));
    assert_null(strstr(bytes, "jeton"));
    free(id);
    free(bytes);
    /* Handed out: not handed out again while the sender works on it. */
    assert_int_equal(doc_len(notify_bench_due(t, T0 + 60)), 0);
}

static void test_the_receipt_carries_the_opened_token(void **state)
{
    core_t *t = *state;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    proto_pack_kv_uint(&pk, "seq", 7);
    proto_pack_kv_uint(&pk, "v", 1);
    proto_pack_kv_str(&pk, "type", "submitted");
    proto_pack_kv_uint(&pk, "at", T0);
    proto_pack_kv_str(&pk, "id", "app7");
    proto_pack_kv_uint(&pk, "revision", 1);
    proto_pack_str(&pk, "application");
    msgpack_pack_map(&pk, 1);
    proto_pack_str(&pk, "organisation");
    msgpack_pack_map(&pk, 2);
    proto_pack_kv_str(&pk, "name", "Coop");
    proto_pack_str(&pk, "private_contact");
    msgpack_pack_map(&pk, 1);
    proto_pack_kv_str(&pk, "email", "a@coop.example");
    proto_pack_str(&pk, "token_sealed");
    msgpack_pack_bin(&pk, 6);
    msgpack_pack_bin_body(&pk, "FEDCBA", 6);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object event;
    assert_int_equal(msgpack_unpack(buf.data, buf.size, NULL, &zone, &event), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(core_bench_apply_object(t->bench, notify_apply_intake, t->notify, "submitted", T0, &event), 0);
    char *bytes = notify_bench_field(doc_at(notify_bench_due(t, T0), 0), "bytes");
    /* Quoted-printable writes '=' as =3D. */
    assert_non_null(strstr(bytes, "https://candidater.example/suivi/app7#jeton=3DABCDEF"));
    free(bytes);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static void test_sent_purges_the_body(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *id = notify_bench_field(doc_at(notify_bench_due(t, T0), 0), "message_id");
    assert_int_equal(notify_bench_mark(t, id, "sent", T0 + 5), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "sent"));
    /* Never handed out again, even once the lease is over. */
    assert_int_equal(doc_len(notify_bench_due(t, T0 + 100000)), 0);
    /* A repeated mark (its reply was lost) changes nothing. */
    assert_int_equal(notify_bench_mark(t, id, "failed", T0 + 6), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "sent"));
    free(id);
}

static void test_a_temporary_failure_is_retried_later(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *id = notify_bench_field(doc_at(notify_bench_due(t, T0), 0), "message_id");
    assert_int_equal(notify_bench_mark(t, id, "retry", T0 + 10), 0);
    const msgpack_object *reply = core_bench_reply(t->bench);
    assert_true(doc_str_eq(reply, "state", "pending"));
    uint64_t next = 0;
    assert_true(doc_uint(reply, "next_at", &next));
    /* First retry: one minute, +-20 %. */
    assert_true(next >= T0 + 10 + 48 && next <= T0 + 10 + 72);
    assert_int_equal(doc_len(notify_bench_due(t, (int64_t) next - 1)), 0);
    const msgpack_object *due = notify_bench_due(t, (int64_t) next);
    assert_int_equal(doc_len(due), 1);
    uint64_t attempts = 0;
    assert_true(doc_uint(doc_at(due, 0), "attempts", &attempts));
    assert_int_equal(attempts, 1);
    /* Three days of retries: failed for good. */
    assert_int_equal(notify_bench_mark(t, id, "retry", T0 + NOTIFY_RETRY_GIVE_UP + 1), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "failed"));
    free(id);
}

static void test_a_permanent_failure_is_not_retried_and_staff_know(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *id = notify_bench_field(doc_at(notify_bench_due(t, T0), 0), "message_id");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0,
                                        "{\"v\": 1, \"type\": \"outbox_mark\", \"secret\": \"" SECRET "\", \"message_id\": \"%s\","
                                        " \"at\": %d, \"outcome\": \"failed\", \"error\": \"550 5.1.1 no such user\"}",
                                        id, T0 + 20),
                     0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "failed"));
    /* Never again for that letter; each staff address gets a notice. */
    const msgpack_object *due = notify_bench_due(t, T0 + 100000);
    assert_int_equal(doc_len(due), 2);
    assert_null(notify_bench_find(due, "contact@mutuelle.example"));
    char *notice = notify_bench_field(notify_bench_find(due, "staff@cress.example"), "bytes");
    assert_non_null(strstr(notice, "550 5.1.1 no such user"));
    free(notice);
    /* mail_failed, for staff: the letter, its error, its attempts. */
    core_bench_peer(t->bench, "staff", "alice");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, "{\"v\": 1, \"type\": \"mail_failed\"}"), 0);
    const msgpack_object *letters = doc_array(core_bench_reply(t->bench), "letters");
    assert_int_equal(doc_len(letters), 1);
    assert_true(doc_str_eq(doc_at(letters, 0), "message_id", id));
    assert_true(doc_str_eq(doc_at(letters, 0), "kind", "receipt"));
    assert_true(doc_str_eq(doc_at(letters, 0), "id", "app1"));
    assert_true(doc_str_eq(doc_at(letters, 0), "error", "550 5.1.1 no such user"));
    free(id);
}

/*  A server's answer often quotes the address: once the file is erased,
 *  a failed letter keeps the answer's code only, and no address. */
static void test_an_erasure_removes_the_address_from_the_errors(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *id = notify_bench_field(doc_at(notify_bench_due(t, T0), 0), "message_id");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0,
                                        "{\"v\": 1, \"type\": \"outbox_mark\", \"secret\": \"" SECRET "\", \"message_id\": \"%s\","
                                        " \"at\": %d, \"outcome\": \"failed\","
                                        " \"error\": \"550 5.1.1 <contact@mutuelle.example>: no such user\"}",
                                        id, T0 + 20),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "erased", T0 + 30,
                                      "{\"seq\": 2, \"type\": \"erased\", \"at\": %d, \"id\": \"app1\"}", T0 + 30),
                     0);
    core_bench_peer(t->bench, "staff", "alice");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0 + 40, "{\"v\": 1, \"type\": \"mail_failed\"}"), 0);
    const msgpack_object *letters = doc_array(core_bench_reply(t->bench), "letters");
    assert_int_equal(doc_len(letters), 1);
    const msgpack_object *letter = doc_at(letters, 0);
    assert_true(doc_str_eq(letter, "message_id", id));
    assert_true(doc_str_eq(letter, "error", "550 : réponse du serveur effacée avec le dossier"));
    assert_true(doc_str_eq(letter, "to", "(adresse effacée)"));
    free(id);
}

/*  Whether text is whole UTF-8 characters (no sequence cut short). */
static bool s_utf8_whole(const char *text)
{
    for (const unsigned char *p = (const unsigned char *) text; *p;) {
        int more = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (more < 0)
            return false;
        for (p++; more > 0; more--, p++)
            if ((*p & 0xC0) != 0x80)
                return false;
    }
    return true;
}

/*  An error longer than the outbox keeps, or cut again in the give-up's
 *  words, ends on a whole character: mail_failed's reply stays UTF-8. */
static void test_a_long_error_is_cut_between_characters(void **state)
{
    core_t *t = *state;
    char error[700] = "5";
    for (size_t n = 1; n + 2 < sizeof error; n += 2)
        memcpy(error + n, "\xc3\xa9", 3);  /* "5é..." and "é...": each cut falls inside one of them */
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    notify_bench_submitted(t, 2, "app2", "autre@mutuelle.example", T0);
    const msgpack_object *due = notify_bench_due(t, T0);
    char *first = notify_bench_field(notify_bench_find(due, "contact@mutuelle.example"), "message_id");
    char *second = notify_bench_field(notify_bench_find(due, "autre@mutuelle.example"), "message_id");
#define S_MARK "{\"v\": 1, \"type\": \"outbox_mark\", \"secret\": \"" SECRET "\", \"message_id\": \"%s\"," \
               " \"at\": %d, \"outcome\": \"%s\", \"error\": \"%s\"}"
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, S_MARK, first, T0 + 20, "failed", error + 1), 0);
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, S_MARK, second,
                                        T0 + NOTIFY_RETRY_GIVE_UP + 1, "retry", error), 0);
#undef S_MARK
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "failed"));
    core_bench_peer(t->bench, "staff", "alice");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, "{\"v\": 1, \"type\": \"mail_failed\"}"), 0);
    const msgpack_object *letters = doc_array(core_bench_reply(t->bench), "letters");
    assert_int_equal(doc_len(letters), 2);
    for (size_t i = 0; i < 2; i++) {
        char *kept = notify_bench_field(doc_at(letters, i), "error");
        assert_true(strlen(kept) > 300);
        assert_true(s_utf8_whole(kept));
        free(kept);
    }
    free(first);
    free(second);
}

static void test_the_sender_must_know_the_secret(void **state)
{
    core_t *t = *state;
    int rc = core_bench_request(t->bench, notify_handle, t->notify, T0,
                                "{\"v\": 1, \"type\": \"outbox_due\", \"secret\": \"%064d\", \"at\": %d}", 0, T0);
    core_bench_assert_refused(t->bench, rc, "forbidden", "secret", "secret");
    rc = notify_bench_mark(t, "intake.1.0000000000000000@cress.example", "sent", T0);
    core_bench_assert_refused(t->bench, rc, "not_found", "message_id", "exists");
    rc = notify_bench_mark(t, "x@y", "maybe", T0);
    core_bench_assert_refused(t->bench, rc, "invalid", "outcome", "enum");
}

static void test_backoff_bounds(void **state)
{
    (void) state;
    uint32_t jitters[] = { 0, 2000, 4000, 4001, UINT32_MAX, 123456789 };
    int64_t expected = 60;
    for (uint32_t attempts = 1; attempts <= 30; attempts++) {
        for (size_t j = 0; j < sizeof jitters / sizeof *jitters; j++) {
            int64_t delay = outbox_next_attempt(attempts, 60, 1000, jitters[j]) - 1000;
            assert_true(delay >= expected * 8 / 10 && delay <= expected * 12 / 10);
        }
        expected = expected * 2 > 3600 ? 3600 : expected * 2;
    }
    assert_int_equal(outbox_next_attempt(1, 60, 0, 0), 48);
    assert_int_equal(outbox_next_attempt(1, 60, 0, 4000), 72);
    assert_int_equal(outbox_next_attempt(20, 60, 0, 2000), 3600);
    /* A shorter first delay (a setting) doubles the same way. */
    assert_int_equal(outbox_next_attempt(3, 5, 0, 2000), 20);
}

static void test_an_address_with_a_line_break_is_never_a_recipient(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 3, "app3", "a@b.example\\r\\nBcc: victim@example.com", T0);
    const msgpack_object *due = notify_bench_due(t, T0);
    /* Only the staff's notices: the letter itself is failed, with why. */
    assert_int_equal(doc_len(due), 2);
    for (size_t i = 0; i < doc_len(due); i++) {
        char *bytes = notify_bench_field(doc_at(due, i), "bytes");
        assert_null(strstr(bytes, "\r\nBcc:"));
        free(bytes);
    }
    core_bench_peer(t->bench, "staff", "alice");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, "{\"v\": 1, \"type\": \"mail_failed\"}"), 0);
    const msgpack_object *letters = doc_array(core_bench_reply(t->bench), "letters");
    assert_int_equal(doc_len(letters), 1);
    char *error = notify_bench_field(doc_at(letters, 0), "error");
    assert_non_null(strstr(error, "retour à la ligne"));
    free(error);
}

static void test_receipts_carry_no_list_unsubscribe(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *bytes = notify_bench_field(doc_at(notify_bench_due(t, T0), 0), "bytes");
    assert_null(strstr(bytes, "List-Unsubscribe"));
    free(bytes);
}

static void test_settings_and_their_defaults(void **state)
{
    (void) state;
    notify_settings_t s;
    unsetenv("ESSP_MAIL_FROM");
    unsetenv("ESSP_PUBLIC_URL");
    unsetenv("ESSP_MAIL_TEMPLATES");
    unsetenv("ESSP_MAIL_RETRY_FIRST_S");
    setenv("ESSP_CONFIG", "/nonexistent/essp.conf", 1);
    setenv("ESSP_PORT", "7700", 1);
    notify_settings_load(&s);
    assert_string_equal(s.from, "essp@localhost");
    assert_string_equal(s.domain, "essp.invalid");
    assert_string_equal(s.public_url, "http://127.0.0.1:7704/");
    assert_string_equal(s.directory_url, "http://127.0.0.1:7704/annuaire/");
    assert_string_equal(s.desk_url, "http://127.0.0.1:7711/");
    assert_int_equal(s.reminder_days, 7);
    assert_int_equal(s.retry_first_s, 60);
    assert_non_null(strstr(s.templates, "services/notify/templates"));
    setenv("ESSP_MAIL_FROM", "annuaire@cress-pdl.org", 1);
    setenv("ESSP_PUBLIC_URL", "https://candidater.esspratiques.fr", 1);
    setenv("ESSP_MAIL_REMINDER_DAYS", "3", 1);
    setenv("ESSP_MAIL_RETRY_FIRST_S", "5", 1);
    notify_settings_load(&s);
    assert_string_equal(s.domain, "cress-pdl.org");
    assert_string_equal(s.public_url, "https://candidater.esspratiques.fr/");
    assert_int_equal(s.reminder_days, 3);
    assert_int_equal(s.retry_first_s, 5);
    unsetenv("ESSP_MAIL_FROM");
    unsetenv("ESSP_PUBLIC_URL");
    unsetenv("ESSP_MAIL_REMINDER_DAYS");
    unsetenv("ESSP_MAIL_RETRY_FIRST_S");
}

static int s_restart(void *ctx, service_t *svc, MDB_txn *txn)
{
    return notify_start_at(ctx, svc, txn, T0 + 10);
}

/*  A kill -9 while the sender had letters in hand: due again at start,
 *  not ten minutes later; a letter waiting for its retry keeps its time. */
static void test_a_restart_hands_out_again_what_had_no_outcome(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "un@coop.example", T0);
    notify_bench_submitted(t, 2, "app2", "deux@coop.example", T0);
    const msgpack_object *due = notify_bench_due(t, T0);
    assert_int_equal(doc_len(due), 2);
    char *id = notify_bench_field(notify_bench_find(due, "deux@coop.example"), "message_id");
    assert_int_equal(notify_bench_mark(t, id, "retry", T0 + 5), 0);
    free(id);
    assert_int_equal(doc_len(notify_bench_due(t, T0 + 10)), 0);
    assert_int_equal(core_bench_start(t->bench, s_restart, t->notify), 0);
    due = notify_bench_due(t, T0 + 10);
    assert_int_equal(doc_len(due), 1);
    assert_non_null(notify_bench_find(due, "un@coop.example"));
}

/*  `essp mail tick` by staff: their key stands for the secret. */
static void test_staff_may_run_the_reminders(void **state)
{
    core_t *t = *state;
#define STAFF_TICK "{\"v\": 1, \"type\": \"mail_tick\", \"secret\": \"%064d\", \"at\": %d}"
    core_bench_peer(t->bench, "member", "bob");
    int rc = core_bench_request(t->bench, notify_handle, t->notify, T0, STAFF_TICK, 0, T0);
    core_bench_assert_refused(t->bench, rc, "forbidden", "secret", "secret");
    core_bench_peer(t->bench, "staff", "alice");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, STAFF_TICK, 0, T0), 0);
    assert_string_equal(core_bench_reply_type(t->bench), "mail_ticked");
}

/*  A batch the sender stopped after a connection failed: the letters it
 *  did not try are given back, due again at once, no attempt counted. */
static void test_letters_not_tried_are_released(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "un@coop.example", T0);
    notify_bench_submitted(t, 2, "app2", "deux@coop.example", T0);
    const msgpack_object *due = notify_bench_due(t, T0);
    assert_int_equal(doc_len(due), 2);
    char *tried = notify_bench_field(notify_bench_find(due, "un@coop.example"), "message_id");
    char *untried = notify_bench_field(notify_bench_find(due, "deux@coop.example"), "message_id");
    assert_int_equal(notify_bench_mark(t, tried, "retry", T0 + 1), 0);
    assert_int_equal(notify_bench_mark(t, untried, "release", T0 + 1), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "pending"));
    due = notify_bench_due(t, T0 + 2);
    assert_int_equal(doc_len(due), 1);
    assert_non_null(notify_bench_find(due, "deux@coop.example"));
    uint64_t attempts = 9;
    assert_true(doc_uint(doc_at(due, 0), "attempts", &attempts));
    assert_int_equal(attempts, 0);
    free(tried);
    free(untried);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_letters_not_tried_are_released, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_restart_hands_out_again_what_had_no_outcome, notify_bench_setup,
                                        notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_staff_may_run_the_reminders, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_submission_gets_one_receipt, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_the_receipt_carries_the_opened_token, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_sent_purges_the_body, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_temporary_failure_is_retried_later, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_an_erasure_removes_the_address_from_the_errors, notify_bench_setup,
                                        notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_permanent_failure_is_not_retried_and_staff_know, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_long_error_is_cut_between_characters, notify_bench_setup,
                                        notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_the_sender_must_know_the_secret, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test_setup_teardown(test_an_address_with_a_line_break_is_never_a_recipient, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_receipts_carry_no_list_unsubscribe, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test(test_settings_and_their_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
