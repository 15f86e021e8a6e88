/*  essp-notify's letters of each upstream event on a real LMDB
 *  (tests/unit/notify_bench.h): who is written to, once, saying what; what
 *  an erasure leaves; reminders of listings and the members' digests. */
#include "notify_bench.h"

#include "services/notify/outbox.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <sodium.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_erasure_confirms_then_silence(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "Contact@Mutuelle.example", T0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 1,
                                      "{\"seq\": 5, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"kind\": \"review\"}", T0 + 1),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "erased", T0 + 2,
                                      "{\"seq\": 2, \"type\": \"erased\", \"at\": %d, \"id\": \"app1\"}", T0 + 2),
                     0);
    const msgpack_object *due = notify_bench_due(t, T0 + 2);
    /* The receipt and the in-review letter were purged unsent; what is left:
     * the confirmation, and one notice per staff address. */
    assert_int_equal(doc_len(due), 3);
    char *bytes = notify_bench_field(notify_bench_find(due, "Contact@Mutuelle.example"), "bytes");
    assert_non_null(strstr(bytes, "effac"));
    free(bytes);
    assert_non_null(notify_bench_find(due, "staff@cress.example"));
    /* Later events about the file, or a new file with the same address in
     * another case: nothing, ever. */
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 3,
                                      "{\"seq\": 6, \"type\": \"decided\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"decision\": \"approve\", \"motivations\": [], \"expires\": %d}",
                                      T0 + 3, T0 + 400 * 86400),
                     0);
    notify_bench_submitted(t, 9, "app9", "contact@mutuelle.EXAMPLE", T0 + 4);
    assert_int_equal(doc_len(notify_bench_due(t, T0 + 4)), 0);
    /* What notify keeps of the letters about it no longer names the
     * address; the confirmation forgets it once sent. */
    char *confirmation = notify_bench_field(notify_bench_find(notify_bench_due(t, T0 + 1000), "Contact@Mutuelle.example"), "message_id");
    assert_int_equal(notify_bench_mark(t, confirmation, "sent", T0 + 1000), 0);
    free(confirmation);
    core_bench_peer(t->bench, "staff", "alice");
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0, "{\"v\": 1, \"type\": \"mail_failed\"}"), 0);
    const msgpack_object *letters = doc_array(core_bench_reply(t->bench), "letters");
    /* The receipt and the in-review letter, then the second file's receipt,
     * held back. */
    assert_int_equal(doc_len(letters), 3);
    for (size_t i = 0; i < 2; i++) {
        assert_true(doc_str_eq(doc_at(letters, i), "to", OUTBOX_ERASED_ADDRESS));
        assert_true(doc_str_eq(doc_at(letters, i), "error", "dossier effacé : courrier non envoyé"));
    }
    assert_true(doc_str_eq(doc_at(letters, 2), "id", "app9"));
    assert_true(doc_str_eq(doc_at(letters, 2), "to", "contact@mutuelle.EXAMPLE"));
    char *error = notify_bench_field(doc_at(letters, 2), "error");
    assert_non_null(strstr(error, "adresse effacée"));
    free(error);
}

static void test_old_events_write_no_letter(void **state)
{
    core_t *t = *state;
    /* notify started on a stack with history: applied a year later. */
    notify_bench_submitted_at(t, 1, "app1", "contact@mutuelle.example", T0 - 365 * 86400, T0);
    assert_int_equal(doc_len(notify_bench_due(t, T0)), 0);
    /* ...but what it keeps is up to date: a fresh event about it is mailed. */
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0,
                                      "{\"seq\": 5, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"kind\": \"review\"}", T0),
                     0);
    assert_int_equal(doc_len(notify_bench_due(t, T0)), 1);
}

/*  The letter to app1's contact after a validated event whose report is
 *  `report` (JSON), with a blocking criterion and a passing one. */
static char *s_incomplete_letter(core_t *t, const char *report)
{
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    notify_bench_due(t, T0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_validation, t->notify, "validated", T0 + 1,
                                      "{\"seq\": 1, \"type\": \"validated\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"verdict\": \"incomplete\", \"report\": %s}", T0 + 1, report),
                     0);
    char *text = notify_bench_letter_text(t, T0 + 1, "contact@mutuelle.example");
    assert_non_null(strstr(text, "Engagement de confidentialit=C3=A9 non coch=C3=A9."));
    assert_null(strstr(text, "Statut reconnu"));
    return text;
}

static void test_incomplete_lists_each_failed_criterion(void **state)
{
    char *text = s_incomplete_letter(*state, "{\"criteria\": ["
                                             "{\"code\": \"LOY-NDA\", \"outcome\": \"fail\", \"blocking\": true, \"field\": \"x\","
                                             " \"reason\": \"Engagement de confidentialité non coché.\"},"
                                             "{\"code\": \"ESS-FORM\", \"outcome\": \"pass\", \"blocking\": false, \"field\": \"\","
                                             " \"reason\": \"Statut reconnu.\"}]}");
    assert_non_null(strstr(text, "https://candidater.example/suivi/app1"));
    free(text);
}

/*  The same from a report in its compact form (what validation sends):
 *  each criterion an array, its outcome and a frequent reason by number
 *  (0: "Engagement pris.", proto/README.md). */
static void test_incomplete_reads_a_compact_report(void **state)
{
    char *text = s_incomplete_letter(*state, "[1, \"2018.1\", \"incomplete\", false, ["
                                             "[\"LOY-NDA\", 1, true, \"commitments.nda\","
                                             " \"Engagement de confidentialit\u00e9 non coch\u00e9.\"],"
                                             "[\"LOY-TAX\", 1, true, \"\", 0],"
                                             "[\"ESS-FORM\", 0, false, \"\", \"Statut reconnu.\"]]]");
    assert_non_null(strstr(text, "Engagement pris."));
    free(text);
}

static void test_a_rejection_says_how_to_appeal_once(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    notify_bench_due(t, T0);
#define DECIDED "{\"seq\": %d, \"type\": \"decided\", \"at\": %d, \"id\": \"app1\", \"revision\": 1," \
                          " \"round\": %d, \"kind\": \"%s\", \"decision\": \"reject\"," \
                          " \"motivations\": [\"Pas de r\\u00e9f\\u00e9rences.\"]}"
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 1, DECIDED, 8, T0 + 1, 1,
                                      "review"),
                     0);
    char *text = notify_bench_letter_text(t, T0 + 1, "contact@mutuelle.example");
    assert_non_null(strstr(text, "Pas de r=C3=A9f=C3=A9rences."));
    assert_non_null(strstr(text, "faire appel"));
    free(text);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 2, DECIDED, 9, T0 + 2, 2,
                                      "appeal"),
                     0);
    text = notify_bench_letter_text(t, T0 + 2, "contact@mutuelle.example");
    assert_non_null(strstr(text, "d=C3=A9finitive"));
    assert_null(strstr(text, "faire appel depuis"));
    free(text);
}

/*  A listing imported by staff (approved before essp): no receipt, no
 *  approval letter; the published letter only, with its page and end. */
static void test_an_imported_listing_gets_the_published_letter_only(void **state)
{
    core_t *t = *state;
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "submitted", T0,
                                      "{\"seq\": 1, \"v\": 1, \"type\": \"submitted\", \"at\": %d, \"id\": \"imp1\","
                                      " \"revision\": 1, \"provenance\": \"imported\", \"approved_at\": %d,"
                                      " \"application\": {\"organisation\": {\"name\": \"Coop Import\","
                                      " \"private_contact\": {\"name\": \"Zoé Brochard\", \"email\": \"imp@coop.example\"}}}}",
                                      T0, T0 - 400 * 86400),
                     0);
    assert_int_equal(doc_len(notify_bench_due(t, T0)), 0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 1,
                                      "{\"seq\": 2, \"type\": \"decided\", \"at\": %d, \"id\": \"imp1\", \"revision\": 1,"
                                      " \"round\": 1, \"decision\": \"approve\", \"motivations\": [],"
                                      " \"provenance\": \"imported\", \"expires\": %d}",
                                      T0 + 1, T0 + 700 * 86400),
                     0);
    assert_int_equal(doc_len(notify_bench_due(t, T0 + 1)), 0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "upsert", T0 + 2,
                                      "{\"seq\": 3, \"type\": \"upsert\", \"at\": %d, \"id\": \"imp1\", \"version\": 1,"
                                      " \"entry\": {\"id\": \"imp1\", \"listed_until\": \"2027-12-06\"}}", T0 + 2),
                     0);
    char *text = notify_bench_letter_text(t, T0 + 2, "imp@coop.example");
    assert_non_null(strstr(text, "https://annuaire.example/accompagnateurs/imp1.html"));
    free(text);
}

static void test_published_then_reminders_60_and_14_days_before(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    notify_bench_send_all(t, T0, notify_bench_due(t, T0));
    /* Listed until 2027-12-06. */
    int64_t expires = 1828051200;
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "upsert", T0 + 1,
                                      "{\"seq\": 3, \"type\": \"upsert\", \"at\": %d, \"id\": \"app1\", \"version\": 1,"
                                      " \"entry\": {\"id\": \"app1\", \"listed_until\": \"2027-12-06\"}}", T0 + 1),
                     0);
    char *text = notify_bench_letter_text(t, T0 + 1, "contact@mutuelle.example");
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
    /* Asked for a day to come (essp mail tick --at), mailed now. */
    text = notify_bench_letter_text(t, T0, "contact@mutuelle.example");
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
    notify_bench_submitted(t, 2, "app2", "autre@coop.example", T0);
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

/*  A listing published with less than sixty days left (reinstated,
 *  imported), or a tick that came late: the letter says the days really
 *  left, and the sixty-day one is not written with a month or less left. */
static void test_reminders_say_the_days_really_left(void **state)
{
    core_t *t = *state;
    uint64_t letters = 0;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    notify_bench_submitted(t, 2, "app2", "autre@coop.example", T0);
    notify_bench_send_all(t, T0, notify_bench_due(t, T0));
    /* app1 listed until 2027-01-20 (45 days left), app2 until 2026-12-26 (20). */
    int64_t end1 = 1800403200, end2 = 1798243200;
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "upsert", T0 + 1,
                                      "{\"seq\": 3, \"type\": \"upsert\", \"at\": %d, \"id\": \"app1\", \"version\": 1,"
                                      " \"entry\": {\"id\": \"app1\", \"listed_until\": \"2027-01-20\"}}", T0 + 1),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "upsert", T0 + 1,
                                      "{\"seq\": 4, \"type\": \"upsert\", \"at\": %d, \"id\": \"app2\", \"version\": 1,"
                                      " \"entry\": {\"id\": \"app2\", \"listed_until\": \"2026-12-26\"}}", T0 + 1),
                     0);
    notify_bench_send_all(t, T0 + 1, notify_bench_due(t, T0 + 1));
    /* The sixty-day moment of app1 has passed: its letter leaves at the
     * next tick, saying 45 days; app2 gets none. */
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0 + 2, TICK, (long long) (T0 + 2)), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 1);
    char *text = notify_bench_letter_text(t, T0 + 2, "contact@mutuelle.example");
    assert_non_null(strstr(text, "dans 45 jours."));
    assert_null(strstr(text, "deux mois"));
    free(text);
    /* app2's tick came three days before its end: three days, not two weeks. */
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0 + 2, TICK, (long long) (end2 - 3 * 86400 + 3600)), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 1);
    text = notify_bench_letter_text(t, T0 + 2, "autre@coop.example");
    assert_non_null(strstr(text, "dans 3 jours."));
    assert_null(strstr(text, "deux semaines"));
    free(text);
    /* Fourteen days before app1's end, to the day: so worded. */
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0 + 2, TICK, (long long) (end1 - 14 * 86400)), 0);
    text = notify_bench_letter_text(t, T0 + 2, "contact@mutuelle.example");
    assert_non_null(strstr(text, "dans deux semaines (14 jours)."));
    free(text);
    /* Nothing else was planned for either. */
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, T0 + 2, TICK, (long long) end1), 0);
    assert_true(doc_uint(core_bench_reply(t->bench), "letters", &letters));
    assert_int_equal(letters, 0);
}

/*  Whether any key or value of notify's databases holds one of needles
 *  (core_bench_start runs it in a transaction of the store). */
typedef struct {
    const char *const *needles;
    size_t hits;
} s_scan_t;

static bool s_holds(const MDB_val *v, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= v->mv_size && i <= v->mv_size - n; i++)
        if (!memcmp((const char *) v->mv_data + i, needle, n))
            return true;
    return false;
}

static int s_scan(void *ctx, service_t *svc, MDB_txn *txn)
{
    s_scan_t *scan = ctx;
    for (size_t db = 0; notify_dbs[db]; db++) {
        MDB_cursor *cursor;
        MDB_val k, v;
        assert_int_equal(mdb_cursor_open(txn, service_db(svc, db), &cursor), 0);
        while (mdb_cursor_get(cursor, &k, &v, MDB_NEXT) == 0)
            for (const char *const *n = scan->needles; *n; n++)
                if (s_holds(&k, *n) || s_holds(&v, *n)) {
                    print_message("%s holds %s\n", notify_dbs[db], *n);
                    scan->hits++;
                }
        mdb_cursor_close(cursor);
    }
    return 0;
}

static size_t s_traces(core_t *t, const char *const *needles)
{
    s_scan_t scan = { needles, 0 };
    assert_int_equal(core_bench_start(t->bench, s_scan, &scan), 0);
    return scan.hits;
}

#define S_PERSON "{\"organisation\": {\"name\": \"Mutuelle <Entraide>\", \"private_contact\": {\"name\": \"Zoé Brochard\"," \
                 " \"email\": \"zoe@mutuelle.example\"}}}"

/*  The streams are read apart: validation's and review's events about a
 *  file, whole applications, may come after intake's `erased` and before
 *  their own stream is redacted.  They bring nothing of the person back,
 *  and write nobody; an erasure seen first on review's stream leaves
 *  nothing waiting. */
static void test_nothing_of_an_erased_person_comes_back(void **state)
{
    core_t *t = *state;
    static const char *const person[] = { "Brochard", "zoe@mutuelle.example", "Entraide", NULL };
    notify_bench_submitted(t, 1, "app1", "zoe@mutuelle.example", T0);
    notify_bench_send_all(t, T0, notify_bench_due(t, T0));
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "erased", T0 + 10,
                                      "{\"seq\": 2, \"type\": \"erased\", \"at\": %d, \"id\": \"app1\"}", T0 + 10),
                     0);
    assert_int_equal(core_bench_compactions(t->bench), 1);
    notify_bench_send_all(t, T0 + 10, notify_bench_due(t, T0 + 10));
    assert_int_equal(s_traces(t, person), 0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_validation, t->notify, "validated", T0 + 11,
                                      "{\"seq\": 7, \"type\": \"validated\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"verdict\": \"review\", \"report\": [], \"application\": " S_PERSON "}", T0 + 5),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 11,
                                      "{\"seq\": 8, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"kind\": \"review\"}", T0 + 6),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0 + 11,
                                      "{\"seq\": 9, \"type\": \"decided\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"decision\": \"approve\", \"motivations\": [], \"expires\": %d,"
                                      " \"application\": " S_PERSON "}", T0 + 7, T0 + 400 * 86400),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "withdrawn", T0 + 11,
                                      "{\"seq\": 10, \"type\": \"withdrawn\", \"at\": %d, \"id\": \"app1\","
                                      " \"reason\": \"RGPD\", \"kind\": \"erased\"}", T0 + 10),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_publication, t->notify, "upsert", T0 + 11,
                                      "{\"seq\": 3, \"type\": \"upsert\", \"at\": %d, \"id\": \"app1\", \"version\": 1,"
                                      " \"entry\": {\"id\": \"app1\", \"listed_until\": \"2027-12-06\"}}", T0 + 8),
                     0);
    assert_int_equal(doc_len(notify_bench_due(t, T0 + 400 * 86400)), 0);
    assert_int_equal(s_traces(t, person), 0);
    /* Review's notice of the erasure first: what waited for the file goes. */
    static const char *const app2[] = { "app2", NULL };
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 12,
                                      "{\"seq\": 11, \"type\": \"queued\", \"at\": %d, \"id\": \"app2\", \"revision\": 1,"
                                      " \"round\": 1, \"kind\": \"review\"}", T0 + 12),
                     0);
    assert_int_equal(s_traces(t, app2), 1);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "withdrawn", T0 + 12,
                                      "{\"seq\": 12, \"type\": \"withdrawn\", \"at\": %d, \"id\": \"app2\","
                                      " \"reason\": \"RGPD\", \"kind\": \"erased\"}", T0 + 12),
                     0);
    assert_int_equal(s_traces(t, app2), 0);
    /* And a redacted event drops them too. */
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 13,
                                      "{\"seq\": 13, \"type\": \"queued\", \"at\": %d, \"id\": \"app2\", \"revision\": 1,"
                                      " \"round\": 2, \"kind\": \"review\"}", T0 + 13),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_validation, t->notify, "redacted", T0 + 13,
                                      "{\"seq\": 4, \"type\": \"redacted\", \"at\": %d, \"id\": \"app2\"}", T0 + 13),
                     0);
    assert_int_equal(s_traces(t, app2), 0);
}

/*  The recipient's name of a composed letter: its To: header's encoded
 *  words, decoded and put together (malloc'd). */
static char *s_to_name(const char *bytes)
{
    const char *p = strstr(bytes, "\r\nTo: ");
    assert_non_null(p);
    const char *end = strchr(p, '<');
    assert_non_null(end);
    char *name = calloc(1, 2048);
    size_t len = 0;
    while ((p = strstr(p, "=?UTF-8?B?")) && p < end) {
        p += 10;
        const char *close = strstr(p, "?=");
        size_t got = 0;
        assert_int_equal(sodium_base642bin((unsigned char *) name + len, 2047 - len, p, (size_t) (close - p), NULL,
                                           &got, NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        len += got;
        p = close + 2;
    }
    return name;
}

/*  200 characters, the schema's limit, of up to 4 bytes each: the names
 *  arrive whole, in the To: header and in the text, from the event and
 *  from what notify keeps of the file. */
static void test_long_accented_names_arrive_whole(void **state)
{
    core_t *t = *state;
    char organisation[4 * 200 + 1] = "", contact[2 * 200 + 1] = "Z", qp[12 * 200 + 1] = "";
    for (int i = 0; i < 200; i++) {
        strcat(organisation, "\xF0\x9F\x8C\xB1");     /* U+1F331, 4 bytes */
        strcat(qp, "=F0=9F=8C=B1");
    }
    for (int i = 1; i < 200; i++)
        strcat(contact, "\xC3\xA9");                   /* é: 399 bytes, an odd number */
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "submitted", T0,
                                      "{\"seq\": 1, \"v\": 1, \"type\": \"submitted\", \"at\": %d, \"id\": \"app1\","
                                      " \"revision\": 1, \"application\": {\"organisation\": {\"name\": \"%s\","
                                      " \"private_contact\": {\"name\": \"%s\", \"email\": \"zoe@mutuelle.example\"}}}}",
                                      T0, organisation, contact),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 1,
                                      "{\"seq\": 5, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 1, \"kind\": \"review\"}", T0 + 1),
                     0);
    const msgpack_object *due = notify_bench_due(t, T0 + 1);
    assert_int_equal(doc_len(due), 2);
    for (size_t i = 0; i < 2; i++) {
        char *bytes = notify_bench_field(doc_at(due, i), "bytes");
        char *name = s_to_name(bytes);
        assert_string_equal(name, contact);
        char *text = notify_bench_text(bytes);
        assert_non_null(strstr(text, qp));
        free(text);
        free(name);
        free(bytes);
    }
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
    const msgpack_object *due = notify_bench_due(t, T0);
    assert_int_equal(doc_len(due), 2);
    assert_null(notify_bench_find(due, "bob@comite.example"));
    for (size_t i = 0; i < 2; i++) {
        char *bytes = notify_bench_field(doc_at(due, i), "bytes");
        assert_non_null(strstr(bytes, "List-Unsubscribe: <https://comite.example/preferences>\r\n"));
        assert_non_null(strstr(bytes, "Coop &lt;A&gt;"));
        free(bytes);
    }
    notify_bench_send_all(t, T0, due);
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
    char *text = notify_bench_letter_text(t, T0 + 8 * 86400, "alice@comite.example");
    assert_non_null(strstr(text, "f2"));
    assert_null(strstr(text, "f1"));
    free(text);
}

static void test_a_complaint_tells_staff_and_suspends(void **state)
{
    core_t *t = *state;
    notify_bench_submitted(t, 1, "app1", "contact@mutuelle.example", T0);
    notify_bench_due(t, T0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "withdrawn", T0 + 1,
                                      "{\"seq\": 10, \"type\": \"withdrawn\", \"at\": %d, \"id\": \"app1\","
                                      " \"reason\": \"Une r\\u00e9clamation a \\u00e9t\\u00e9 d\\u00e9pos\\u00e9e.\","
                                      " \"kind\": \"suspended\"}", T0 + 1),
                     0);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "queued", T0 + 1,
                                      "{\"seq\": 11, \"type\": \"queued\", \"at\": %d, \"id\": \"app1\", \"revision\": 1,"
                                      " \"round\": 3, \"kind\": \"complaint\"}", T0 + 1),
                     0);
    const msgpack_object *due = notify_bench_due(t, T0 + 1);
    assert_int_equal(doc_len(due), 3);
    char *bytes = notify_bench_field(notify_bench_find(due, "contact@mutuelle.example"), "bytes");
    char *text = notify_bench_text(bytes);
    assert_non_null(strstr(text, "retir=C3=A9e de l=E2=80=99annuaire"));
    free(text);
    free(bytes);
    bytes = notify_bench_field(notify_bench_find(due, "veille@cress.example"), "bytes");
    text = notify_bench_text(bytes);
    assert_non_null(strstr(text, "app1"));
    assert_non_null(strstr(text, "tour 3"));
    free(text);
    free(bytes);
}

/*  Review's decision applied before intake's submission (the streams are
 *  read apart): the decision carries the application, the letter goes. */
static void test_a_decision_before_the_submission_still_reaches_the_applicant(void **state)
{
    core_t *t = *state;
    assert_int_equal(core_bench_apply(t->bench, notify_apply_review, t->notify, "decided", T0,
                                      "{\"seq\": 4, \"type\": \"decided\", \"at\": %d, \"id\": \"app5\", \"revision\": 1,"
                                      " \"round\": 1, \"decision\": \"approve\", \"motivations\": [], \"expires\": %d,"
                                      " \"application\": {\"organisation\": {\"name\": \"Coop\","
                                      " \"private_contact\": {\"name\": \"Yves\", \"email\": \"yves@coop.example\"}}}}",
                                      T0, T0 + 365 * 86400),
                     0);
    char *text = notify_bench_letter_text(t, T0, "yves@coop.example");
    assert_non_null(strstr(text, "approuv=C3=A9"));
    free(text);
}

/*  validation's verdict applied before intake's submission, without the
 *  application: it waits for the file, then writes its letter. */
static void test_an_event_before_its_file_waits_for_it(void **state)
{
    core_t *t = *state;
    assert_int_equal(core_bench_apply(t->bench, notify_apply_validation, t->notify, "validated", T0,
                                      "{\"seq\": 3, \"type\": \"validated\", \"at\": %d, \"id\": \"app6\","
                                      " \"revision\": 1, \"verdict\": \"incomplete\", \"report\": {\"criteria\": ["
                                      "{\"code\": \"LOY-NDA\", \"outcome\": \"fail\", \"blocking\": true,"
                                      " \"field\": \"\", \"reason\": \"Engagement manquant.\"}]}}", T0),
                     0);
    assert_int_equal(doc_len(notify_bench_due(t, T0)), 0);
    notify_bench_submitted(t, 6, "app6", "six@coop.example", T0);
    const msgpack_object *due = notify_bench_due(t, T0);
    assert_int_equal(doc_len(due), 2);              /* the receipt, then the incomplete letter */
    bool incomplete = false;
    for (size_t i = 0; i < 2; i++) {
        char *id = notify_bench_field(doc_at(due, i), "message_id");
        incomplete |= strncmp(id, "validation.3.", 13) == 0;
        free(id);
    }
    assert_true(incomplete);
    /* Applied once: the submission applied again writes nothing more. */
    notify_bench_submitted(t, 6, "app6", "six@coop.example", T0);
    assert_int_equal(doc_len(notify_bench_due(t, T0 + 1)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_event_before_its_file_waits_for_it, notify_bench_setup,
                                        notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_decision_before_the_submission_still_reaches_the_applicant,
                                        notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_erasure_confirms_then_silence, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_an_imported_listing_gets_the_published_letter_only, notify_bench_setup,
                                        notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_old_events_write_no_letter, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_reads_a_compact_report, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_lists_each_failed_criterion, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_rejection_says_how_to_appeal_once, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_published_then_reminders_60_and_14_days_before, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_reminders_say_the_days_really_left, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_nothing_of_an_erased_person_comes_back, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_long_accented_names_arrive_whole, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_members_get_one_digest_a_day_and_reminders, notify_bench_setup, notify_bench_teardown),
        cmocka_unit_test_setup_teardown(test_a_complaint_tells_staff_and_suspends, notify_bench_setup, notify_bench_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
