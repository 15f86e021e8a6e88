/*  essp-notify's core on a real LMDB (tests/unit/core_bench.h): events of
 *  the upstream streams in, letters in the outbox, the sender's requests
 *  (outbox_due, outbox_mark, mail_tick, mail_digest) and the staff's
 *  (mail_failed) as the shell runs them.  What is checked is what a person
 *  would: who gets a letter, once, with what in it; what an erasure leaves;
 *  when a letter is tried again. */
#include "services/notify/notify.h"
#include "services/notify/outbox.h"

#include "core_bench.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define T0 1796515200                 /* 2026-12-06 00:00 UTC */
#define APP(email, name)                                                                                        \
    "{\"organisation\": {\"name\": \"" name "\", \"private_contact\": {\"name\": \"Zoé Brochard\","           \
    " \"email\": \"" email "\"}}}"

typedef struct {
    core_bench_t *bench;
    notify_t *notify;
} core_t;

static int s_token_open(void *arg, const unsigned char *sealed, size_t len, char *out, size_t cap)
{
    (void) arg;
    /* The test's "sealing" is the token backwards. */
    if (len + 1 > cap)
        return -1;
    for (size_t i = 0; i < len; i++)
        out[i] = (char) sealed[len - 1 - i];
    out[len] = 0;
    return 0;
}

static int s_setup(void **state)
{
    core_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    notify_settings_t settings;
    memset(&settings, 0, sizeof settings);
    strcpy(settings.from, "essp@cress.example");
    strcpy(settings.public_url, "https://candidater.example/");
    strcpy(settings.directory_url, "https://annuaire.example/");
    strcpy(settings.desk_url, "https://comite.example/");
    strcpy(settings.staff, "staff@cress.example, veille@cress.example");
    strcpy(settings.templates, ESSP_NOTIFY_TEMPLATES_DIR);
    settings.reminder_days = 7;
    for (size_t i = 0; i < NOTIFY_SECRET_BYTES; i++)
        settings.sender_secret[i] = (unsigned char) (i % 16 * 0x11);
    settings.token_open = s_token_open;
    t->notify = notify_new(&settings);
    assert_non_null(t->notify);
    t->bench = core_bench_new(notify_dbs);
    *state = t;
    return 0;
}

static int s_teardown(void **state)
{
    core_t *t = *state;
    core_bench_destroy(&t->bench);
    notify_destroy(&t->notify);
    free(t);
    return 0;
}

static void s_submitted_at(core_t *t, uint64_t seq, const char *id, const char *email, int64_t at, int64_t now)
{
    char app[400];
    snprintf(app, sizeof app, APP("%s", "Mutuelle <Entraide>"), email);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "submitted", now,
                                      "{\"seq\": %llu, \"v\": 1, \"type\": \"submitted\", \"at\": %lld, \"id\": \"%s\","
                                      " \"revision\": 1, \"application\": %s}",
                                      (unsigned long long) seq, (long long) at, id, app),
                     0);
}

static void s_submitted(core_t *t, uint64_t seq, const char *id, const char *email, int64_t at)
{
    s_submitted_at(t, seq, id, email, at, at);
}

/*  The letters due at `at` (handed out: leased). */
static const msgpack_object *s_due(core_t *t, int64_t at)
{
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, at,
                                        "{\"v\": 1, \"type\": \"outbox_due\", \"secret\": \"" SECRET "\", \"at\": %lld,"
                                        " \"limit\": 100}", (long long) at),
                     0);
    assert_string_equal(core_bench_reply_type(t->bench), "outbox_due");
    return doc_array(core_bench_reply(t->bench), "messages");
}

static char *s_field(const msgpack_object *m, const char *key)
{
    const msgpack_object *v = doc_get(m, key);
    assert_non_null(v);
    if (v->type == MSGPACK_OBJECT_BIN)
        return strndup(v->via.bin.ptr, v->via.bin.size);
    assert_int_equal(v->type, MSGPACK_OBJECT_STR);
    return strndup(v->via.str.ptr, v->via.str.size);
}

/*  The letter of the due list sent to `to`, or NULL. */
static const msgpack_object *s_find(const msgpack_object *messages, const char *to)
{
    for (size_t i = 0; i < doc_len(messages); i++)
        if (doc_str_eq(doc_at(messages, i), "to", to))
            return doc_at(messages, i);
    return NULL;
}

static int s_mark(core_t *t, const char *id, const char *outcome, int64_t at)
{
    return core_bench_request(t->bench, notify_handle, t->notify, at,
                              "{\"v\": 1, \"type\": \"outbox_mark\", \"secret\": \"" SECRET "\", \"message_id\": \"%s\","
                              " \"at\": %lld, \"outcome\": \"%s\", \"error\": \"451 4.3.0 try later\"}",
                              id, (long long) at, outcome);
}

/* ---- receipt, Message-ID, idempotence ----------------------------------- */

static void test_a_submission_gets_one_receipt(void **state)
{
    core_t *t = *state;
    s_submitted(t, 42, "app1", "contact@mutuelle.example", T0);
    s_submitted(t, 42, "app1", "contact@mutuelle.example", T0);     /* replayed after a crash */
    const msgpack_object *due = s_due(t, T0);
    assert_int_equal(doc_len(due), 1);
    char *id = s_field(doc_at(due, 0), "message_id");
    char *bytes = s_field(doc_at(due, 0), "bytes");
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
    assert_int_equal(doc_len(s_due(t, T0 + 60)), 0);
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
    char *bytes = s_field(doc_at(s_due(t, T0), 0), "bytes");
    /* Quoted-printable writes '=' as =3D. */
    assert_non_null(strstr(bytes, "https://candidater.example/suivi/app7#jeton=3DABCDEF"));
    free(bytes);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

/* ---- delivery: sent, retried, failed -------------------------------------- */

static void test_sent_purges_the_body(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *id = s_field(doc_at(s_due(t, T0), 0), "message_id");
    assert_int_equal(s_mark(t, id, "sent", T0 + 5), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "sent"));
    /* Never handed out again, even once the lease is over. */
    assert_int_equal(doc_len(s_due(t, T0 + 100000)), 0);
    /* A repeated mark (its reply was lost) changes nothing. */
    assert_int_equal(s_mark(t, id, "failed", T0 + 6), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "sent"));
    free(id);
}

static void test_a_temporary_failure_is_retried_later(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *id = s_field(doc_at(s_due(t, T0), 0), "message_id");
    assert_int_equal(s_mark(t, id, "retry", T0 + 10), 0);
    const msgpack_object *reply = core_bench_reply(t->bench);
    assert_true(doc_str_eq(reply, "state", "pending"));
    uint64_t next = 0;
    assert_true(doc_uint(reply, "next_at", &next));
    /* First retry: one minute, +-20 %. */
    assert_true(next >= T0 + 10 + 48 && next <= T0 + 10 + 72);
    assert_int_equal(doc_len(s_due(t, (int64_t) next - 1)), 0);
    const msgpack_object *due = s_due(t, (int64_t) next);
    assert_int_equal(doc_len(due), 1);
    uint64_t attempts = 0;
    assert_true(doc_uint(doc_at(due, 0), "attempts", &attempts));
    assert_int_equal(attempts, 1);
    /* Three days of retries: failed for good. */
    assert_int_equal(s_mark(t, id, "retry", T0 + NOTIFY_RETRY_GIVE_UP + 1), 0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "failed"));
    free(id);
}

static void test_a_permanent_failure_is_not_retried_and_staff_know(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *id = s_field(doc_at(s_due(t, T0), 0), "message_id");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0,
                                        "{\"v\": 1, \"type\": \"outbox_mark\", \"secret\": \"" SECRET "\", \"message_id\": \"%s\","
                                        " \"at\": %d, \"outcome\": \"failed\", \"error\": \"550 5.1.1 no such user\"}",
                                        id, T0 + 20),
                     0);
    assert_true(doc_str_eq(core_bench_reply(t->bench), "state", "failed"));
    /* Never again for that letter; each staff address gets a notice. */
    const msgpack_object *due = s_due(t, T0 + 100000);
    assert_int_equal(doc_len(due), 2);
    assert_null(s_find(due, "contact@mutuelle.example"));
    char *notice = s_field(s_find(due, "staff@cress.example"), "bytes");
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

static void test_the_sender_must_know_the_secret(void **state)
{
    core_t *t = *state;
    int rc = core_bench_request(t->bench, notify_handle, t->notify, T0,
                                "{\"v\": 1, \"type\": \"outbox_due\", \"secret\": \"%064d\", \"at\": %d}", 0, T0);
    core_bench_assert_refused(t->bench, rc, "forbidden", "secret", "secret");
    rc = s_mark(t, "intake.1.0000000000000000@cress.example", "sent", T0);
    core_bench_assert_refused(t->bench, rc, "not_found", "message_id", "exists");
    rc = s_mark(t, "x@y", "maybe", T0);
    core_bench_assert_refused(t->bench, rc, "invalid", "outcome", "enum");
}

static void test_backoff_bounds(void **state)
{
    (void) state;
    uint32_t jitters[] = { 0, 2000, 4000, 4001, UINT32_MAX, 123456789 };
    int64_t expected = 60;
    for (uint32_t attempts = 1; attempts <= 30; attempts++) {
        for (size_t j = 0; j < sizeof jitters / sizeof *jitters; j++) {
            int64_t delay = outbox_next_attempt(attempts, 1000, jitters[j]) - 1000;
            assert_true(delay >= expected * 8 / 10 && delay <= expected * 12 / 10);
        }
        expected = expected * 2 > 3600 ? 3600 : expected * 2;
    }
    assert_int_equal(outbox_next_attempt(1, 0, 0), 48);
    assert_int_equal(outbox_next_attempt(1, 0, 4000), 72);
    assert_int_equal(outbox_next_attempt(20, 0, 2000), 3600);
}

/* ---- bad recipients, erasure, old events ---------------------------------- */

static void test_an_address_with_a_line_break_is_never_a_recipient(void **state)
{
    core_t *t = *state;
    s_submitted(t, 3, "app3", "a@b.example\\r\\nBcc: victim@example.com", T0);
    const msgpack_object *due = s_due(t, T0);
    /* Only the staff's notices: the letter itself is failed, with why. */
    assert_int_equal(doc_len(due), 2);
    for (size_t i = 0; i < doc_len(due); i++) {
        char *bytes = s_field(doc_at(due, i), "bytes");
        assert_null(strstr(bytes, "\r\nBcc:"));
        free(bytes);
    }
    core_bench_peer(t->bench, "staff", "alice");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, "{\"v\": 1, \"type\": \"mail_failed\"}"), 0);
    const msgpack_object *letters = doc_array(core_bench_reply(t->bench), "letters");
    assert_int_equal(doc_len(letters), 1);
    char *error = s_field(doc_at(letters, 0), "error");
    assert_non_null(strstr(error, "retour à la ligne"));
    free(error);
}

static void test_erasure_confirms_then_silence(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "Contact@Mutuelle.example", T0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 1,
                                      "{\"seq\": 5, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"kind\": \"review\"}", T0 + 1),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "erased", T0 + 2,
                                      "{\"seq\": 2, \"type\": \"erased\", \"at\": %d, \"id\": \"app1\"}", T0 + 2),
                     0);
    const msgpack_object *due = s_due(t, T0 + 2);
    /* The receipt and the in-review letter were purged unsent; what is left:
     * the confirmation, and one notice per staff address. */
    assert_int_equal(doc_len(due), 3);
    char *bytes = s_field(s_find(due, "Contact@Mutuelle.example"), "bytes");
    assert_non_null(strstr(bytes, "effac"));
    free(bytes);
    assert_non_null(s_find(due, "staff@cress.example"));
    /* Later events about the file, or a new file with the same address in
     * another case: nothing, ever. */
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 3,
                                      "{\"seq\": 6, \"type\": \"decided\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"decision\": \"approve\", \"motivations\": [], \"expires\": %d}",
                                      T0 + 3, T0 + 400 * 86400),
                     0);
    s_submitted(t, 9, "app9", "contact@mutuelle.EXAMPLE", T0 + 4);
    assert_int_equal(doc_len(s_due(t, T0 + 4)), 0);
}

static void test_old_events_write_no_letter(void **state)
{
    core_t *t = *state;
    /* notify started on a stack with history: applied a year later. */
    s_submitted_at(t, 1, "app1", "contact@mutuelle.example", T0 - 365 * 86400, T0);
    assert_int_equal(doc_len(s_due(t, T0)), 0);
    /* ...but what it keeps is up to date: a fresh event about it is mailed. */
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0,
                                      "{\"seq\": 5, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"kind\": \"review\"}", T0),
                     0);
    assert_int_equal(doc_len(s_due(t, T0)), 1);
}

/* ---- what the letters say ------------------------------------------------- */

/*  The plain text part of a composed letter, decoded from quoted-printable
 *  enough to search it: soft breaks removed, =XX kept as they are. */
static char *s_text(const char *bytes)
{
    const char *start = strstr(bytes, "Content-Type: text/plain");
    assert_non_null(start);
    start = strstr(start, "\r\n\r\n") + 4;
    const char *end = strstr(start, "\r\n--=_essp_");
    char *out = calloc(1, (size_t) (end - start) + 1);
    size_t n = 0;
    for (const char *p = start; p < end; p++) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 2;
            continue;
        }
        out[n++] = *p;
    }
    return out;
}

/*  Every letter due at `at` is sent (the server said 250). */
static void s_send_all(core_t *t, int64_t at, const msgpack_object *due)
{
    size_t n = doc_len(due);
    char **ids = calloc(n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = s_field(doc_at(due, i), "message_id");
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s_mark(t, ids[i], "sent", at), 0);
        free(ids[i]);
    }
    free(ids);
}

/*  The text of the letter due at `at` to `to`; then everything due is sent. */
static char *s_only_letter_text(core_t *t, int64_t at, const char *to)
{
    const msgpack_object *due = s_due(t, at);
    const msgpack_object *m = s_find(due, to);
    assert_non_null(m);
    char *bytes = s_field(m, "bytes");
    char *text = s_text(bytes);
    free(bytes);
    s_send_all(t, at, due);
    return text;
}

static void test_incomplete_lists_each_failed_criterion(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    s_due(t, T0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_validation, t->notify, "validated", T0 + 1,
                                      "{\"seq\": 1, \"type\": \"validated\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"verdict\": \"incomplete\", \"report\": {\"criteria\": ["
                                      "{\"code\": \"LOY-NDA\", \"outcome\": \"fail\", \"blocking\": true, \"field\": \"x\","
                                      " \"reason\": \"Engagement de confidentialité non coché.\"},"
                                      "{\"code\": \"ESS-FORM\", \"outcome\": \"pass\", \"blocking\": false, \"field\": \"\","
                                      " \"reason\": \"Statut reconnu.\"}]}}", T0 + 1),
                     0);
    char *text = s_only_letter_text(t, T0 + 1, "contact@mutuelle.example");
    assert_non_null(strstr(text, "Engagement de confidentialit=C3=A9 non coch=C3=A9."));
    assert_null(strstr(text, "Statut reconnu"));
    assert_non_null(strstr(text, "https://candidater.example/suivi/app1"));
    free(text);
}

static void test_a_rejection_says_how_to_appeal_once(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    s_due(t, T0);
#define DECIDED "{\"seq\": %d, \"type\": \"decided\", \"at\": %d, \"id\": \"app1\", \"revision\": 1," \
                          " \"round\": %d, \"kind\": \"%s\", \"decision\": \"reject\"," \
                          " \"motivations\": [\"Pas de r\\u00e9f\\u00e9rences.\"]}"
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 1, DECIDED, 8, T0 + 1, 1,
                                      "review"),
                     0);
    char *text = s_only_letter_text(t, T0 + 1, "contact@mutuelle.example");
    assert_non_null(strstr(text, "Pas de r=C3=A9f=C3=A9rences."));
    assert_non_null(strstr(text, "faire appel"));
    free(text);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 2, DECIDED, 9, T0 + 2, 2,
                                      "appeal"),
                     0);
    text = s_only_letter_text(t, T0 + 2, "contact@mutuelle.example");
    assert_non_null(strstr(text, "d=C3=A9finitive"));
    assert_null(strstr(text, "faire appel depuis"));
    free(text);
}

static void test_published_then_reminders_60_and_14_days_before(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    s_send_all(t, T0, s_due(t, T0));
    /* Listed until 2027-12-06. */
    int64_t expires = 1828051200;
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "upsert", T0 + 1,
                                      "{\"seq\": 3, \"type\": \"upsert\", \"at\": %d, \"id\": \"app1\", \"version\": 1,"
                                      " \"entry\": {\"id\": \"app1\", \"listed_until\": \"2027-12-06\"}}", T0 + 1),
                     0);
    char *text = s_only_letter_text(t, T0 + 1, "contact@mutuelle.example");
    assert_non_null(strstr(text, "https://annuaire.example/accompagnateurs/app1.html"));
    assert_non_null(strstr(text, "6 d=C3=A9cembre 2027"));
    free(text);
#define TICK "{\"v\": 1, \"type\": \"mail_tick\", \"secret\": \"" SECRET "\", \"at\": %lld}"
    uint64_t letters = 0;
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, TICK, (long long) (expires - 61 * 86400)), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 0);
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, TICK, (long long) (expires - 60 * 86400)), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 1);
    text = s_only_letter_text(t, expires - 60 * 86400, "contact@mutuelle.example");
    assert_non_null(strstr(text, "60 jours"));
    assert_non_null(strstr(text, "renouvel"));
    free(text);
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, TICK, (long long) (expires - 59 * 86400)), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 0);
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, TICK, (long long) (expires - 13 * 86400)), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 1);
    /* A withdrawn listing gets no reminder. */
    s_submitted(t, 2, "app2", "autre@coop.example", T0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "upsert", T0 + 1,
                                      "{\"seq\": 4, \"type\": \"upsert\", \"at\": %d, \"id\": \"app2\", \"version\": 1,"
                                      " \"entry\": {\"id\": \"app2\", \"listed_until\": \"2027-12-06\"}}", T0 + 1),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "withdraw", T0 + 2,
                                      "{\"seq\": 5, \"type\": \"withdraw\", \"at\": %d, \"id\": \"app2\","
                                      " \"reason\": \"withdrawn\"}", T0 + 2),
                     0);
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, TICK, (long long) expires), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 0);
}

#define PENDING                                                                                                  \
    "{\"members\": ["                                                                                          \
    "{\"name\": \"Alice\", \"email\": \"alice@comite.example\", \"digest\": true, \"files\": ["                 \
    "{\"id\": \"f1\", \"name\": \"Coop <A>\", \"kind\": \"review\", \"round\": 1, \"queued_at\": %d},"           \
    "{\"id\": \"f2\", \"name\": \"Coop B\", \"kind\": \"appeal\", \"round\": 2, \"queued_at\": %d}]},"            \
    "{\"name\": \"Bob\", \"email\": \"bob@comite.example\", \"digest\": false, \"files\": ["                     \
    "{\"id\": \"f1\", \"name\": \"Coop <A>\", \"kind\": \"review\", \"round\": 1, \"queued_at\": %d}]}]}"

static void test_members_get_one_digest_a_day_and_reminders(void **state)
{
    core_t *t = *state;
#define DIGEST "{\"v\": 1, \"type\": \"mail_digest\", \"secret\": \"" SECRET "\", \"at\": %d, \"pending\": " PENDING "}"
    uint64_t letters = 0;
    /* f1 queued 10 days ago, f2 today: one digest of both, one reminder of f1. */
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, DIGEST, T0, T0 - 10 * 86400, T0,
                                        T0 - 10 * 86400),
                     0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 2);
    const msgpack_object *due = s_due(t, T0);
    assert_int_equal(doc_len(due), 2);
    assert_null(s_find(due, "bob@comite.example"));
    for (size_t i = 0; i < 2; i++) {
        char *bytes = s_field(doc_at(due, i), "bytes");
        assert_non_null(strstr(bytes, "List-Unsubscribe: <https://comite.example/preferences>\r\n"));
        assert_non_null(strstr(bytes, "Coop &lt;A&gt;"));
        free(bytes);
    }
    s_send_all(t, T0, due);
    /* Asked again the same day or the next: nothing new to say. */
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, DIGEST, T0 + 3600, T0 - 10 * 86400, T0,
                                        T0 - 10 * 86400),
                     0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 0);
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, DIGEST, T0 + 86400, T0 - 10 * 86400,
                                        T0, T0 - 10 * 86400),
                     0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 0);
    /* A week later f2 is overdue: one reminder of f2 alone. */
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, DIGEST, T0 + 8 * 86400,
                                        T0 - 10 * 86400, T0, T0 - 10 * 86400),
                     0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 1);
    char *text = s_only_letter_text(t, T0 + 8 * 86400, "alice@comite.example");
    assert_non_null(strstr(text, "f2"));
    assert_null(strstr(text, "f1"));
    free(text);
}

static void test_receipts_carry_no_list_unsubscribe(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    char *bytes = s_field(doc_at(s_due(t, T0), 0), "bytes");
    assert_null(strstr(bytes, "List-Unsubscribe"));
    free(bytes);
}

static void test_a_complaint_tells_staff_and_suspends(void **state)
{
    core_t *t = *state;
    s_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    s_due(t, T0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "withdrawn", T0 + 1,
                                      "{\"seq\": 10, \"type\": \"withdrawn\", \"at\": %d, \"id\": \"app1\","
                                      " \"reason\": \"Une r\\u00e9clamation a \\u00e9t\\u00e9 d\\u00e9pos\\u00e9e.\","
                                      " \"kind\": \"suspended\"}", T0 + 1),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 1,
                                      "{\"seq\": 11, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 3, \"kind\": \"complaint\"}", T0 + 1),
                     0);
    const msgpack_object *due = s_due(t, T0 + 1);
    assert_int_equal(doc_len(due), 3);
    char *bytes = s_field(s_find(due, "contact@mutuelle.example"), "bytes");
    char *text = s_text(bytes);
    assert_non_null(strstr(text, "retir=C3=A9e de l=E2=80=99annuaire"));
    free(text);
    free(bytes);
    bytes = s_field(s_find(due, "veille@cress.example"), "bytes");
    text = s_text(bytes);
    assert_non_null(strstr(text, "app1"));
    assert_non_null(strstr(text, "tour 3"));
    free(text);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_submission_gets_one_receipt, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_receipt_carries_the_opened_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sent_purges_the_body, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_temporary_failure_is_retried_later, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_permanent_failure_is_not_retried_and_staff_know, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_sender_must_know_the_secret, s_setup, s_teardown),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test_setup_teardown(test_an_address_with_a_line_break_is_never_a_recipient, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_erasure_confirms_then_silence, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_old_events_write_no_letter, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_lists_each_failed_criterion, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_rejection_says_how_to_appeal_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_published_then_reminders_60_and_14_days_before, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_members_get_one_digest_a_day_and_reminders, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_receipts_carry_no_list_unsubscribe, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_complaint_tells_staff_and_suspends, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
