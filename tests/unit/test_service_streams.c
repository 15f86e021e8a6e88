/*  Unit tests of common/service's streams: upstream batches applied with
 *  their cursor (repeats, unknown events, a full map); the service's own
 *  log pulled by a client, pulls held until an event comes or a read
 *  transaction can begin; an erasure's redaction and the compaction after
 *  it, which may fail and leave the service running; a few events at the
 *  head waiting for company (ESSP_STREAM_WAIT_MS), and a backup's hold
 *  that begins while they wait.  The service runs in
 *  a thread (tests/unit/service_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/auth.h"
#include "common/config.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "service_fixture.h"

static void test_stream_batches_are_applied_with_their_cursor(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    fixture_deliver(f, 0, 1, (const char *const[]){"e1", "e2", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 2);
    /* A repeated batch changes nothing; the next events follow on. */
    fixture_deliver(f, 0, 1, (const char *const[]){"e1", "e2", "e3", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 3);
    /* An event the catalogue does not know stops the stream (retried from
     * the cursor a second later), not the service. */
    fixture_deliver(f, 0, 4, (const char *const[]){"e4", NULL}, "bogus");
    fixture_ask(f, "status", "alive", "ack", "stored");
    assert_int_equal(fixture_pull_of(f, 0, 5000), 3);
    /* A full map while applying: grows, applies. */
    store_fault_set(STORE_FAULT_PUT, 1, 1, MDB_MAP_FULL);
    fixture_deliver(f, 0, 4, (const char *const[]){"e4", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 4);
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_true(fixture_has(store, "ev:e1"));
    assert_true(fixture_has(store, "ev:e3"));
    assert_true(fixture_has(store, "ev:e4"));
    assert_int_equal(fixture_cursor(f, store, 0), 4);
    assert_int_equal(fixture_cursor(f, store, 1), 0);
    store_destroy(&store);
}

/*  A start checks the producer's event at the cursor before it applies
 *  anything: its first pull asks from the cursor - 1, so that the event
 *  the cursor counts comes back first, to be compared with the one the
 *  service applied (its seq, at, id and type, kept with the cursor) and
 *  not applied again.  The same event passes, and so does that event
 *  redacted by an erasure; another event under that seq (the producer's
 *  store was put back to an older copy, whose head then passed the cursor
 *  again) stops the stream, at this start and at every later one. */
static void test_a_start_checks_the_event_at_the_cursor(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    fixture_deliver(f, 0, 1, (const char *const[]){"e1", "e2", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 2);
    fixture_stop(f);
    fixture_start(f);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 1);
    fixture_deliver(f, 0, 2, (const char *const[]){"e2", "e3", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 3);
    fixture_stop(f);
    /* Event 3 redacted since (its seq, at and id kept): the same event. */
    fixture_start(f);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 2);
    fixture_deliver(f, 0, 3, (const char *const[]){"e3", "e4", NULL}, "redacted");
    assert_int_equal(fixture_pull_of(f, 0, 5000), 4);
    fixture_stop(f);
    for (int start = 0; start < 2; start++) {
        long mark = fixture_log_mark(f);
        fixture_start(f);
        assert_int_equal(fixture_pull_of(f, 0, 5000), 3);
        fixture_deliver(f, 0, 4, (const char *const[]){"x4", "x5", NULL}, NULL);
        assert_int_equal(fixture_pull_of(f, 0, 1500), -1);
        fixture_ask(f, "status", "alive", "ack", "stored");
        fixture_stop(f);
        fixture_expect_logged(f, mark, "REWIND DETECTED", true);
        fixture_expect_logged(f, mark, "'s event at seq 4 is not the one", true);
        store_t *store = fixture_open(f);
        assert_false(fixture_has(store, "ev:x4"));
        assert_false(fixture_has(store, "ev:x5"));
        assert_int_equal(fixture_cursor(f, store, 0), 4);
        store_destroy(&store);
    }
}

/*  The requests of one turn on `other`: n "status" and one erase of
 *  `erased`; their replies are read after the turn. */
static void s_turn_of_requests(service_fixture_t *f, zsock_t *other, size_t n, const char *erased)
{
    for (size_t i = 0; i < n; i++) {
        char id[24];
        snprintf(id, sizeof id, "s%zu", i);
        fixture_send(f, other, "status", 1, id, NULL);
    }
    fixture_send(f, other, "erase", 1, erased, NULL);
}

/*  One turn of `requests` "status" and an erase of `erased` on `other`, and
 *  a pull (after, wait): the length of the batch that answers the pull,
 *  its first seq in *seq.  The requests' replies are read after it. */
static size_t s_turn_with_a_pull(service_fixture_t *f, zsock_t *other, size_t requests, const char *erased,
                                 uint64_t after, uint64_t wait, uint64_t *seq)
{
    fixture_hold_turn(f);
    s_turn_of_requests(f, other, requests, erased);
    fixture_pull(f, after, wait);
    fixture_release_turn(f);
    size_t len = fixture_batch_len(f, 5000, seq);
    msgpack_object reply;
    for (size_t i = 0; i <= requests; i++)
        assert_true(fixture_reply(f, other, 5000, &reply));
    return len;
}

/*  A pull of a consumer that lags, in a turn of many requests (32 and
 *  more), is answered first, from what was committed before the turn: the
 *  consumer works on its batch while the turn's requests are run and
 *  committed.  Here the turn's erase appends event 2 after the pull was
 *  answered with event 1 alone.  In a turn of a few requests, whose commit
 *  is short, the replies go first and the pull after them, with the
 *  turn's event; a pull that has everything waits for its turn's commit. */
static void test_a_pull_is_answered_before_its_turns_requests(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    fixture_ask(f, "erase", "p1", "ack", "logged");
    zsock_t *other = fixture_client(f);
    uint64_t seq = 0;
    assert_int_equal(s_turn_with_a_pull(f, other, 40, "p2", 0, 0, &seq), 1);
    assert_int_equal(seq, 1);
    fixture_pull(f, 1, 0);
    assert_int_equal(fixture_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 2);
    assert_int_equal(s_turn_with_a_pull(f, other, 2, "p3", 1, 0, &seq), 2);
    assert_int_equal(seq, 2);
    assert_int_equal(s_turn_with_a_pull(f, other, 40, "p4", 3, 10000, &seq), 1);
    assert_int_equal(seq, 4);
    zsock_destroy(&other);
    fixture_stop(f);
}

/*  A pull still held when the service stops is dropped: the stop does not
 *  wait for its 20 s, and no batch answers it. */
static void s_held_pull_is_dropped_at_stop(service_fixture_t *f)
{
    zsock_t *puller = fixture_puller(f);
    fixture_pull(f, 3, 20000);
    /* The pong behind it on the same connection: the pull is held by now,
     * not answered. */
    fixture_send(f, puller, "ping", 0, NULL, NULL);
    msgpack_object reply;
    assert_true(fixture_reply(f, puller, 5000, &reply));
    assert_true(doc_str_eq(&reply, "type", "pong"));
    int64_t stopping = zclock_mono();
    fixture_stop(f);
    assert_true(zclock_mono() - stopping < 2000);
    assert_false(fixture_reply(f, puller, 300, &reply));
}

static void test_the_log_is_pulled_and_pulls_are_held(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    fixture_ask(f, "erase", "p1", "ack", "logged");
    uint64_t seq = 0;
    fixture_pull(f, 0, 0);
    assert_int_equal(fixture_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 1);
    /* Nothing new: an empty batch at once without wait... */
    fixture_pull(f, 1, 0);
    assert_int_equal(fixture_batch_len(f, 5000, NULL), 0);
    /* ... held until the wait is over with one ... */
    int64_t asked = zclock_mono();
    fixture_pull(f, 1, 200);
    assert_int_equal(fixture_batch_len(f, 5000, NULL), 0);
    assert_true(zclock_mono() - asked >= 150);
    /* ... and answered as soon as an event is appended. */
    fixture_pull(f, 1, 10000);
    zsock_t *other = fixture_client(f);
    fixture_send(f, other, "erase", 1, "p2", NULL);
    msgpack_object reply;
    assert_true(fixture_reply(f, other, 5000, &reply));
    assert_int_equal(fixture_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 2);
    /* A pull whose read transaction cannot begin gets no answer (its
     * consumer asks again when its wait is over)... */
    store_fault_set(STORE_FAULT_BEGIN, 1, 1, MDB_READERS_FULL);
    fixture_pull(f, 0, 0);
    assert_false(fixture_reply(f, fixture_puller(f), 300, &reply));
    /* ... and a held pull stays held until it can be answered. */
    fixture_pull(f, 2, 10000);
    usleep(50 * 1000);
    store_fault_set(STORE_FAULT_BEGIN, 2, 1, MDB_READERS_FULL);   /* the turn's, then the pull's */
    fixture_send(f, other, "erase", 1, "p3", NULL);
    assert_true(fixture_reply(f, other, 5000, &reply));
    assert_int_equal(fixture_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 3);
    assert_int_equal(store_fault_calls(STORE_FAULT_BEGIN), 3);
    zsock_destroy(&other);
    s_held_pull_is_dropped_at_stop(f);
}

static void test_an_erasure_compacts_the_store(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    fixture_ask(f, "erase", "gone", "ack", "logged");
    fixture_ask(f, "erase", "kept", "ack", "logged");
    fixture_ask(f, "withdraw", "gone", "ack", "redacted");
    fixture_pull(f, 0, 0);
    msgpack_object reply;
    assert_true(fixture_reply(f, fixture_puller(f), 5000, &reply));
    const msgpack_object *events = doc_array(&reply, "events");
    assert_int_equal(doc_len(events), 2);
    assert_true(doc_str_eq(doc_at(events, 0), "type", "redacted"));
    assert_true(doc_str_eq(doc_at(events, 1), "type", "erased"));
    /* A compaction that fails leaves the store as it was, in service. */
    store_fault_set(STORE_FAULT_COPY, 1, 1, MDB_PANIC);
    fixture_ask(f, "withdraw", "kept", "ack", "redacted");
    /* (the compaction runs after the turn's replies, before the next turn) */
    fixture_ask(f, "status", "after", "ack", "stored");
    assert_int_equal(store_fault_calls(STORE_FAULT_COPY), 1);
    /* The compaction it owes is marked on disk, and made at the next
     * start, which removes the mark. */
    char mark[512];
    snprintf(mark, sizeof mark, "%s/data/%s/compact-pending", f->home, config_service_name(f->def.id));
    assert_int_equal(access(mark, F_OK), 0);
    fixture_stop(f);
    fixture_start(f);
    assert_int_equal(store_fault_calls(STORE_FAULT_COPY), 2);
    assert_int_equal(access(mark, F_OK), -1);
    fixture_ask(f, "status", "again", "ack", "stored");
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_true(fixture_has(store, "after"));
    assert_true(fixture_has(store, "again"));
    store_destroy(&store);
}

/*  A pull on sock is refused forbidden / type / rule. */
static void s_pull_refused(service_fixture_t *f, zsock_t *sock, const char *rule)
{
    fixture_pull_on(f, sock, 0, 0);
    msgpack_object reply;
    assert_true(fixture_reply(f, sock, 10000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_FORBIDDEN));
    assert_true(doc_str_eq(&reply, "field", "type"));
    assert_true(doc_str_eq(&reply, "rule", rule));
}

static void test_a_private_stream_is_served_only_to_its_readers(void **state)
{
    service_fixture_t *f = *state;
    /* Who reads each private stream (the upstreams of each main.c). */
    static const char *const readers[SERVICE_COUNT] = {
        [SERVICE_INTAKE] = " validation notify ", [SERVICE_VALIDATION] = " review intake notify ",
        [SERVICE_REVIEW] = " publication intake notify desk ", [SERVICE_DESK] = " ",
        [SERVICE_NOTIFY] = " "};
    if (auth_stream_is_public(f->def.id))
        f->def.id = SERVICE_VALIDATION;
    fixture_start(f);
    fixture_ask(f, "erase", "e1", "ack", "logged");
    /* Anonymous, on the plain ROUTER. */
    s_pull_refused(f, f->client, "authentication");
    /* Staff, on the secure ROUTER. */
    uint64_t seq = 0;
    fixture_pull(f, 0, 0);
    assert_int_equal(fixture_batch_len(f, 10000, &seq), 1);
    assert_int_equal(seq, 1);
    /* Each service's key: its readers' only. */
    for (int other = 0; other < SERVICE_COUNT; other++) {
        zcert_t *cert = auth_server_cert((service_id_t)other);
        assert_non_null(cert);
        zsock_t *sock = fixture_secure_client(f, cert);
        char word[32];
        snprintf(word, sizeof word, " %s ", config_service_name((service_id_t)other));
        if (strstr(readers[f->def.id], word)) {
            fixture_pull_on(f, sock, 0, 0);
            msgpack_object reply;
            assert_true(fixture_reply(f, sock, 10000, &reply));
            assert_true(doc_str_eq(&reply, "type", "batch"));
            assert_int_equal(doc_len(doc_array(&reply, "events")), 1);
        } else {
            s_pull_refused(f, sock, "role");
        }
        zsock_destroy(&sock);
        zcert_destroy(&cert);
    }
    /* A member's key. */
    assert_int_equal(auth_issue(AUTH_ROLE_MEMBER, "Claire"), 0);
    zcert_t *member = auth_load(AUTH_ROLE_MEMBER, "Claire");
    zsock_t *sock = fixture_secure_client(f, member);
    s_pull_refused(f, sock, "role");
    zsock_destroy(&sock);
    zcert_destroy(&member);
    fixture_stop(f);
}

/*  A pull of the service's log that leaves out `name`. */
static void s_pull_omitting(service_fixture_t *f, const char *name)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "pull", ++f->rid, 2);
    proto_pack_kv_uint(&pk, "after", 0);
    proto_pack_str(&pk, "omit");
    msgpack_pack_array(&pk, 1);
    proto_pack_str(&pk, name);
    assert_int_equal(zsock_send(fixture_puller(f), "b", buf.data, buf.size), 0);
    msgpack_sbuffer_destroy(&buf);
}

static void test_a_consumer_leaves_out_what_it_never_reads(void **state)
{
    service_fixture_t *f = *state;
    static const char *const omit[] = {"application", NULL};
    f->def.upstreams[0].omit = omit;
    fixture_start(f);
    /* Its pulls name the fields; the other upstream's name none. */
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    assert_int_equal(f->last_pull_omit, 1);
    assert_int_equal(fixture_pull_of(f, 1, 5000), 0);
    assert_int_equal(f->last_pull_omit, 0);
    /* A pull of its own log may leave out a field, not the envelope. */
    fixture_ask(f, "erase", "p1", "ack", "logged");
    s_pull_omitting(f, "application");
    uint64_t seq = 0;
    assert_int_equal(fixture_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 1);
    s_pull_omitting(f, "seq");
    msgpack_object reply;
    assert_true(fixture_reply(f, fixture_puller(f), 5000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_INVALID));
    assert_true(doc_str_eq(&reply, "field", "omit"));
    assert_true(doc_str_eq(&reply, "rule", "kept"));
    /* The service goes on. */
    fixture_ask(f, "erase", "p2", "ack", "logged");
    fixture_stop(f);
}

/*  A few events that come alone, to a consumer that had everything, wait
 *  for company (ESSP_STREAM_WAIT_MS, here its longest, 1 s, so that the
 *  test reads the order of things, not a clock): a request's turn takes them at once;
 *  with none, they are applied once the wait is over.  Applied means
 *  committed: the next pull leaves only then.  A consumer whose last
 *  batch was large does not wait; another stream's batch taken at once
 *  takes those that wait with it. */
static void test_a_few_events_at_the_head_wait_for_company(void **state)
{
    service_fixture_t *f = *state;
    setenv("ESSP_STREAM_WAIT_MS", "1000", 1);
    fixture_start(f);
    unsetenv("ESSP_STREAM_WAIT_MS");
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    /* The first batch: nothing was known of the producer's head. */
    fixture_deliver(f, 0, 1, (const char *const[]){"e1", "e2", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 1000), 2);
    /* At the head now: event 3 waits; a request's turn takes it. */
    fixture_deliver(f, 0, 3, (const char *const[]){"e3", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 200), -1);
    fixture_ask(f, "status", "alive", "ack", "stored");
    assert_int_equal(fixture_pull_of(f, 0, 500), 3);
    /* Event 4 alone, and no request: applied once the wait is over. */
    fixture_deliver(f, 0, 4, (const char *const[]){"e4", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 200), -1);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 4);
    /* What waits is told by the batch before: 40 events come after a few
     * at the head, and wait too, until a request.  After a batch of many
     * (the pull for what follows left ahead of its commit), the consumer
     * does not count on keeping up: event 45, alone, is applied at once. */
    char names[40][8];
    const char *many[41] = {NULL};
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "m%d", i + 5);
        many[i] = names[i];
    }
    fixture_deliver(f, 0, 5, many, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 200), -1);
    fixture_ask(f, "status", "busy", "ack", "stored");
    assert_int_equal(fixture_pull_of(f, 0, 500), 44);
    fixture_deliver(f, 0, 45, (const char *const[]){"e45", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 500), 45);
    /* Event 46 waits; the other stream's first batch, taken at once,
     * brings the turn that takes it too. */
    assert_int_equal(fixture_pull_of(f, 1, 1000), 0);
    fixture_deliver(f, 0, 46, (const char *const[]){"e46", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 200), -1);
    fixture_deliver(f, 1, 1, (const char *const[]){"u1", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 1, 500), 1);
    assert_int_equal(fixture_pull_of(f, 0, 500), 46);
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_true(fixture_has(store, "ev:e3"));
    assert_true(fixture_has(store, "ev:e4"));
    assert_true(fixture_has(store, "alive"));
    assert_true(fixture_has(store, "ev:e46"));
    assert_true(fixture_has(store, "ev:u1"));
    assert_int_equal(fixture_cursor(f, store, 0), 46);
    assert_int_equal(fixture_cursor(f, store, 1), 1);
    store_destroy(&store);
}

/*  backup_hold for ms (0 ends it), sent with a staff key; its reply. */
static void s_backup_hold(service_fixture_t *f, zsock_t *staff, uint64_t ms)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "backup_hold", ++f->rid, 1);
    proto_pack_kv_uint(&pk, "ms", ms);
    assert_int_equal(zsock_send(staff, "b", buf.data, buf.size), 0);
    msgpack_sbuffer_destroy(&buf);
    msgpack_object reply;
    assert_true(fixture_reply(f, staff, 5000, &reply));
    assert_true(doc_str_eq(&reply, "type", "held"));
}

/*  A backup's hold that begins while a few events wait for company: its
 *  turn takes them off the wait but applies nothing, and they are applied
 *  once the hold ends, not when their wait would have ended. */
static void test_a_hold_keeps_the_events_that_wait(void **state)
{
    service_fixture_t *f = *state;
    setenv("ESSP_STREAM_WAIT_MS", "1000", 1);
    fixture_start(f);
    unsetenv("ESSP_STREAM_WAIT_MS");
    assert_int_equal(auth_issue(AUTH_ROLE_STAFF, "backup"), 0);
    zcert_t *cert = auth_load(AUTH_ROLE_STAFF, "backup");
    zsock_t *staff = fixture_secure_client(f, cert);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    fixture_deliver(f, 0, 1, (const char *const[]){"e1", "e2", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 1000), 2);
    fixture_deliver(f, 0, 3, (const char *const[]){"e3", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 200), -1);
    s_backup_hold(f, staff, 30000);
    /* Past the second its wait had, and past the 2 s after which a pull
     * without a reply read is asked again: nothing applied, nothing asked. */
    assert_int_equal(fixture_pull_of(f, 0, 2500), -1);
    s_backup_hold(f, staff, 0);
    /* Once the hold ends the consumer asks that pull again first (before
     * it reads a socket): a pull that long without a reply read may have
     * been lost by a producer that restarted, perhaps on an older store,
     * so it asks from event 2 to check it is still the one applied, and
     * drops the reply the hold left unread (not checked).  The answer
     * brings event 3 again, and once it is committed the consumer pulls
     * for what follows. */
    assert_int_equal(fixture_pull_of(f, 0, 3000), 1);
    fixture_deliver(f, 0, 2, (const char *const[]){"e2", "e3", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 3000), 3);
    zsock_destroy(&staff);
    zcert_destroy(&cert);
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_true(fixture_has(store, "ev:e3"));
    assert_int_equal(fixture_cursor(f, store, 0), 3);
    store_destroy(&store);
}

int main(void)
{
    zsys_init();
    zsys_set_logsystem(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stream_batches_are_applied_with_their_cursor, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_pull_is_answered_before_its_turns_requests, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_the_log_is_pulled_and_pulls_are_held, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_an_erasure_compacts_the_store, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_consumer_leaves_out_what_it_never_reads, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_private_stream_is_served_only_to_its_readers, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_few_events_at_the_head_wait_for_company, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_hold_keeps_the_events_that_wait, fixture_setup,
                                        fixture_teardown),
        /* Last: the fixture picks each test's service from the count of
         * runs before it, and the tests above keep theirs. */
        cmocka_unit_test_setup_teardown(test_a_start_checks_the_event_at_the_cursor, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
