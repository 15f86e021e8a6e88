/*  Unit tests of common/service's turns: requests answered only after
 *  their turn commits; a turn whose commit fails, run again part by part;
 *  the storage-error replies when the parts fail too; a poisoned stream
 *  batch in a turn, which stops only its own stream; a full map, grown.
 *  The service runs in a thread (tests/unit/service_fixture.h), the
 *  store's fault hook making commits and puts fail on purpose. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto/doc.h"
#include "proto/messages.h"
#include "service_fixture.h"

static void test_requests_are_answered_after_the_commit(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    fixture_ask(f, "status", "a1", "ack", "stored");
    /* A refusal is an answer: its reply goes out, nothing is written, and
     * the batch around it commits. */
    fixture_ask(f, "status", "refuse", "error", PROTO_E_NOT_FOUND);
    fixture_ask(f, "member_list", NULL, "error", PROTO_E_INVALID);
    /* What does not decode, or breaks the catalogue, is refused by the
     * shell before the core sees it. */
    assert_int_equal(zsock_send(f->client, "b", "\xc1", (size_t)1), 0);
    msgpack_object reply;
    assert_true(fixture_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_INVALID));
    fixture_send(f, f->client, "status", 0, NULL, NULL);
    assert_true(fixture_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_INVALID));
    /* A pid file while it runs. */
    char pid[128];
    snprintf(pid, sizeof pid, "%s/run/%s.pid", f->home, config_service_name(f->def.id));
    assert_int_equal(access(pid, F_OK), 0);
    fixture_stop(f);
    assert_int_not_equal(access(pid, F_OK), 0);
    store_t *store = fixture_open(f);
    assert_true(fixture_has(store, "a1"));
    assert_false(fixture_has(store, "refuse"));
    store_destroy(&store);
}

static void test_a_failed_turn_answers_with_storage_errors(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    /* The turn's commit fails, and the request's own transaction, run
     * apart, fails too: the reply says nothing was stored. */
    store_fault_set(STORE_FAULT_COMMIT, 1, 2, MDB_PANIC);
    fixture_send(f, f->client, "status", 1, "lost", NULL);
    msgpack_object reply;
    assert_true(fixture_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "type", "error"));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_INTERNAL));
    assert_true(doc_str_eq(&reply, "rule", "storage"));
    uint64_t rid = 0;
    assert_true(doc_uint(&reply, "rid", &rid));
    assert_int_equal(rid, f->rid);
    assert_int_equal(store_fault_calls(STORE_FAULT_COMMIT), 2);
    /* The same when the core itself fails. */
    fixture_ask(f, "status", "broken", "error", PROTO_E_INTERNAL);
    /* The service goes on. */
    fixture_ask(f, "status", "kept", "ack", "stored");
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_false(fixture_has(store, "lost"));
    assert_true(fixture_has(store, "kept"));
    store_destroy(&store);
}

static void test_a_full_disk_is_unavailable_not_internal(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    /* No room on the disk, in the turn and apart: a temporary trouble,
     * which a client resends later. */
    store_fault_set(STORE_FAULT_COMMIT, 1, 2, ENOSPC);
    fixture_send(f, f->client, "status", 1, "no-room", NULL);
    msgpack_object reply;
    assert_true(fixture_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_UNAVAILABLE));
    assert_true(doc_str_eq(&reply, "rule", "storage"));
    /* Room again: the same request is stored. */
    fixture_ask(f, "status", "no-room", "ack", "stored");
    fixture_stop(f);
}

static void test_a_turn_that_fails_once_is_run_again_apart(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    store_fault_set(STORE_FAULT_COMMIT, 1, 1, MDB_PANIC);
    fixture_ask(f, "status", "second-try", "ack", "stored");
    assert_int_equal(store_fault_calls(STORE_FAULT_COMMIT), 2);
    /* A full map, in the turn and then apart: the map grows and the same
     * transaction runs again. */
    store_fault_set(STORE_FAULT_PUT, 1, 1, MDB_MAP_FULL);
    fixture_ask(f, "status", "grown", "ack", "stored");
    store_fault_set(STORE_FAULT_COMMIT, 1, 2, MDB_MAP_FULL);
    fixture_ask(f, "status", "grown-twice", "ack", "stored");
    store_fault_set(STORE_FAULT_COMMIT, 1, 1, MDB_PANIC);
    store_fault_set(STORE_FAULT_PUT, 2, 1, MDB_MAP_FULL);
    fixture_ask(f, "status", "grown-apart", "ack", "stored");
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_true(fixture_has(store, "second-try"));
    assert_true(fixture_has(store, "grown"));
    assert_true(fixture_has(store, "grown-twice"));
    assert_true(fixture_has(store, "grown-apart"));
    store_destroy(&store);
}

static void test_a_poisoned_batch_stops_only_its_stream(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    assert_int_equal(fixture_pull_of(f, 1, 5000), 0);
    /* One turn receives a request, a poisoned batch on stream 0 and a good
     * one on stream 1: the turn fails, and each part runs again apart. */
    fixture_hold_turn(f);
    fixture_deliver(f, 0, 1, (const char *const[]){"poison", NULL}, NULL);
    fixture_deliver(f, 1, 1, (const char *const[]){"good", NULL}, NULL);
    fixture_send(f, f->client, "status", 1, "beside", NULL);
    long mark = fixture_log_mark(f);
    store_fault_clear();
    fixture_release_turn(f);
    msgpack_object reply;
    assert_true(fixture_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "state", "stored"));
    /* Separate turns would end the same: the log tells that the three came
     * in one turn, and the commits that the request and the good batch
     * then went each alone (after the held turn's own commit). */
    fixture_expect_logged(f, mark, "its 1 requests and 2 stream batches again, one transaction each", true);
    assert_int_equal(store_fault_calls(STORE_FAULT_COMMIT), 3);
    assert_int_equal(fixture_pull_of(f, 1, 5000), 1);
    /* Stream 0 asks again from its cursor, a second later. */
    int64_t asked = zclock_mono();
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    assert_true(zclock_mono() - asked >= 500);
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_true(fixture_has(store, "beside"));
    assert_true(fixture_has(store, "ev:good"));
    assert_false(fixture_has(store, "ev:poison"));
    assert_int_equal(fixture_cursor(f, store, 0), 0);
    assert_int_equal(fixture_cursor(f, store, 1), 1);
    store_destroy(&store);
}

static void test_when_every_part_fails_the_requests_get_storage_errors(void **state)
{
    service_fixture_t *f = *state;
    fixture_start(f);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    fixture_hold_turn(f);
    fixture_deliver(f, 0, 1, (const char *const[]){"late", NULL}, NULL);
    zsock_t *other = fixture_client(f);
    fixture_send(f, other, "ping", 0, NULL, NULL);      /* needs no transaction */
    fixture_send(f, f->client, "status", 1, "refused-by-disk", NULL);
    /* The hold's own commit passes; then the turn, the requests apart and
     * the batch apart all fail. */
    store_fault_set(STORE_FAULT_COMMIT, 2, 3, MDB_PANIC);
    fixture_release_turn(f);
    msgpack_object reply;
    assert_true(fixture_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "rule", "storage"));
    assert_true(fixture_reply(f, other, 5000, &reply));
    assert_true(doc_str_eq(&reply, "type", "pong"));
    zsock_destroy(&other);
    /* The stream asks again from its cursor, and then it is applied. */
    assert_int_equal(fixture_pull_of(f, 0, 5000), 0);
    fixture_deliver(f, 0, 1, (const char *const[]){"late", NULL}, NULL);
    assert_int_equal(fixture_pull_of(f, 0, 5000), 1);
    fixture_stop(f);
    store_t *store = fixture_open(f);
    assert_false(fixture_has(store, "refused-by-disk"));
    assert_true(fixture_has(store, "ev:late"));
    store_destroy(&store);
}

int main(void)
{
    zsys_init();
    zsys_set_logsystem(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_requests_are_answered_after_the_commit, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_turn_answers_with_storage_errors, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_full_disk_is_unavailable_not_internal, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_turn_that_fails_once_is_run_again_apart, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_poisoned_batch_stops_only_its_stream, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_when_every_part_fails_the_requests_get_storage_errors, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
