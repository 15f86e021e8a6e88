/* Unit tests of common/service: the shell run in a thread of the test, with
 * a small core of the test's own, clients on inproc DEALERs, and the
 * upstream producers played by the test on inproc ROUTERs.  The store's
 * fault hook (ESSP_STORE_FAULTS) makes commits and puts fail on purpose:
 * a turn that fails as a whole and is run again part by part, the
 * storage-error replies after a failed turn, a poisoned stream batch that
 * stops only its own stream, a full map; then the pulls of the service's
 * own log (a private one by a staff key on the CURVE ROUTER, and to no
 * one else but its readers' keys), an erasure's compaction, the
 * authenticated ROUTER, and every way the service can fail to start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/auth.h"
#include "common/service.h"
#include "common/store.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

/* ------------------------------------------------------- the test's core */

static atomic_int s_hold;       /* a "hold" request waits while this is set */
static atomic_int s_holding;    /* ... and says it is waiting */
static atomic_int s_detached;
static int s_start_rc;
static int s_attach_rc;

static const char *const s_dbs[] = {"items", NULL};

/*  status {id}: stores id and answers ack; ids "refuse" (refused), "hold"
 *  (waits for the test), "broken" (an LMDB error).  erase {id}: appends an
 *  "erased" event.  withdraw {id}: redacts the events about id. */
static int s_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    (void)ctx;
    char id[64] = "";
    doc_strcpy(req->msg, "id", id, sizeof id);
    const char *state = "stored";
    int rc = 0;
    if (strcmp(req->type, "status") == 0) {
        if (strcmp(id, "refuse") == 0)
            return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists", "no %s here", id);
        if (strcmp(id, "broken") == 0)
            return MDB_CORRUPTED;
        if (strcmp(id, "hold") == 0) {
            atomic_store(&s_holding, 1);
            while (atomic_load(&s_hold))
                usleep(1000);
            atomic_store(&s_holding, 0);
        }
        rc = store_put(txn, service_db(svc, 0), id, strlen(id), "1", 1);
    } else if (strcmp(req->type, "erase") == 0) {
        uint64_t seq;
        msgpack_packer *pk = service_event_begin(svc, "erased", req->now, 1, &seq);
        proto_pack_kv_str(pk, "id", id);
        rc = service_event_end(svc, txn);
        state = "logged";
    } else if (strcmp(req->type, "withdraw") == 0) {
        size_t count = 0;
        rc = service_log_redact(svc, txn, id, strlen(id), NULL, NULL, &count);
        state = count ? "redacted" : "none";
    } else {
        return service_refuse(req, PROTO_E_INVALID, "type", "handled", "not handled here");
    }
    if (rc)
        return rc;
    proto_pack_reply(req->reply, "ack", req->has_rid, req->rid, 2);
    proto_pack_kv_str(req->reply, "id", req->peer_name ? req->peer_name : id);
    proto_pack_kv_str(req->reply, "state", state);
    return 0;
}

/*  Stores "ev:<id>" for every event; the event about "poison" fails. */
static int s_apply(void *ctx, service_t *svc, MDB_txn *txn, const char *type, const msgpack_object *event,
                   int64_t now)
{
    (void)ctx;
    (void)type;
    (void)now;
    char id[64] = "", key[80];
    doc_strcpy(event, "id", id, sizeof id);
    if (strcmp(id, "poison") == 0)
        return MDB_INCOMPATIBLE;
    snprintf(key, sizeof key, "ev:%s", id);
    return store_put(txn, service_db(svc, 0), key, strlen(key), "1", 1);
}

static int s_start_core(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)ctx;
    (void)txn;
    (void)service_log_head(svc);
    return s_start_rc;
}

static int s_attach(void *ctx, service_t *svc)
{
    (void)ctx;
    if (strncmp(service_inproc_endpoint(svc), "inproc://essp-", 14) != 0)
        return -1;
    return s_attach_rc;
}

static void s_detach(void *ctx, service_t *svc)
{
    (void)ctx;
    (void)svc;
    atomic_fetch_add(&s_detached, 1);
}

/* ----------------------------------------------------------- the fixture */

typedef struct {
    char home[64];
    service_def_t def;
    pthread_t thread;
    int code;
    atomic_int done;             /* service_main returned */
    bool running;
    zsock_t *client;
    zsock_t *puller;             /* pulls the service's log: f->client, or a
                                  * staff key on the secure ROUTER when the
                                  * stream is private */
    zsock_t *producer[2];        /* the two upstreams */
    zframe_t *identity[2];       /* of the consumer's last pull */
    msgpack_zone zone;
    uint64_t rid;
} fixture_t;

static int s_run;                /* services started so far: ports and names */

/*  A block of 16 ports of its own for each start (a ZeroMQ socket frees
 *  its port in ZeroMQ's own thread, a moment after it is closed), apart
 *  from other test processes' blocks, below Linux's ephemeral ports. */
static void s_fresh_port(int block)
{
    char port[16];
    snprintf(port, sizeof port, "%d", 20000 + (int)((getpid() * 176L + block * 16L) % 12000));
    setenv("ESSP_PORT", port, 1);
}

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->home, sizeof f->home, "/tmp/essp-service-XXXXXX");
    assert_non_null(mkdtemp(f->home));
    setenv("ESSP_HOME", f->home, 1);
    unsetenv("ESSP_BIND");
    /* A fresh port range and a fresh service name each time: the sockets
     * of the previous run close in ZeroMQ's own thread, a moment later. */
    s_run++;
    s_fresh_port(s_run);
    f->def.id = (service_id_t)(s_run % SERVICE_COUNT);
    f->def.dbs = s_dbs;
    f->def.handle = s_handle;
    f->def.start = s_start_core;
    f->def.attach = s_attach;
    f->def.detach = s_detach;
    f->def.upstream_count = 2;
    /* The secure endpoints an earlier run pointed at its producers. */
    for (int s = 0; s < SERVICE_COUNT; s++) {
        char var[64];
        snprintf(var, sizeof var, "ESSP_%s_SECURE_ENDPOINT", config_service_name((service_id_t)s));
        for (char *c = var; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        unsetenv(var);
    }
    for (size_t u = 0; u < 2; u++) {
        service_id_t from = (service_id_t)((f->def.id + 1 + u) % SERVICE_COUNT);
        f->def.upstreams[u] = (service_upstream_t){from, s_apply};
        char var[64], endpoint[64];
        snprintf(var, sizeof var, "ESSP_%s_ENDPOINT", config_service_name(from));
        for (char *c = var; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        snprintf(endpoint, sizeof endpoint, "inproc://service-test-%d-%zu", s_run, u);
        setenv(var, endpoint, 1);
        /* A private upstream is pulled on its secure endpoint with the
         * producer's public key from keys/ (CURVE does not apply to
         * inproc: the test's ROUTER needs no keys of its own). */
        snprintf(var, sizeof var, "ESSP_%s_SECURE_ENDPOINT", config_service_name(from));
        for (char *c = var; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        setenv(var, endpoint, 1);
        zcert_t *producer_cert = auth_server_cert(from);
        assert_non_null(producer_cert);
        zcert_destroy(&producer_cert);
        f->producer[u] = zsock_new(ZMQ_ROUTER);
        assert_int_equal(zsock_bind(f->producer[u], "%s", endpoint), 0);
    }
    s_start_rc = s_attach_rc = 0;
    atomic_store(&s_detached, 0);
    msgpack_zone_init(&f->zone, 4096);
    store_fault_clear();
    *state = f;
    return 0;
}

static void s_stop(fixture_t *f);

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    s_stop(f);
    store_fault_clear();
    for (size_t u = 0; u < 2; u++) {
        zframe_destroy(&f->identity[u]);
        zsock_destroy(&f->producer[u]);
    }
    zsock_destroy(&f->puller);
    zsock_destroy(&f->client);
    msgpack_zone_destroy(&f->zone);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", f->home);
    assert_int_equal(system(command), 0);
    free(f);
    return 0;
}

static void *s_service_thread(void *arg)
{
    fixture_t *f = arg;
    f->code = service_main(&f->def);
    atomic_store(&f->done, 1);
    return NULL;
}

static void s_send(fixture_t *f, zsock_t *sock, const char *type, size_t fields, const char *id,
                   const char *more)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, type, ++f->rid, fields);
    if (id)
        proto_pack_kv_str(&pk, "id", id);
    if (more)
        proto_pack_kv_str(&pk, "reason", more);
    assert_int_equal(zsock_send(sock, "b", buf.data, buf.size), 0);
    msgpack_sbuffer_destroy(&buf);
}

/*  The next reply on sock, decoded into f->zone (false after timeout_ms). */
static bool s_reply(fixture_t *f, zsock_t *sock, int timeout_ms, msgpack_object *reply)
{
    zsock_set_rcvtimeo(sock, timeout_ms);
    zframe_t *frame = zframe_recv(sock);
    if (!frame)
        return false;
    proto_error_t err;
    msgpack_zone_clear(&f->zone);
    /* The zone keeps pointers into the frame's bytes: copy them. */
    void *copy = msgpack_zone_malloc(&f->zone, zframe_size(frame));
    memcpy(copy, zframe_data(frame), zframe_size(frame));
    int rc = wire_decode_reply(copy, zframe_size(frame), &f->zone, reply, &err);
    zframe_destroy(&frame);
    assert_int_equal(rc, 0);
    return true;
}

static void s_start(fixture_t *f)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    msgpack_object reply;
    /* A port another program holds by chance: another block of ports. */
    for (int attempt = 0; attempt < 5; attempt++) {
        atomic_store(&f->done, 0);
        assert_int_equal(pthread_create(&f->thread, NULL, s_service_thread, f), 0);
        f->client = zsock_new(ZMQ_DEALER);
        assert_int_equal(zsock_connect(f->client, "%s", endpoint), 0);
        /* Ready when it answers a ping. */
        s_send(f, f->client, "ping", 0, NULL, NULL);
        bool answered = false;
        for (int i = 0; i < 100 && !answered && !atomic_load(&f->done); i++)
            answered = s_reply(f, f->client, 100, &reply);
        if (answered) {
            f->running = true;
            assert_true(doc_str_eq(&reply, "type", "pong"));
            assert_true(doc_str_eq(&reply, "service", config_service_name(f->def.id)));
            return;
        }
        pthread_join(f->thread, NULL);
        assert_int_equal(f->code, 1);
        zsock_destroy(&f->client);
        s_fresh_port(1000 + 10 * s_run + attempt);
        usleep(100 * 1000);   /* ZeroMQ frees the in-process endpoint */
    }
    fail_msg("the service did not start");
}

static void s_stop(fixture_t *f)
{
    if (!f->running)
        return;
    zsys_interrupted = 1;
    pthread_join(f->thread, NULL);
    zsys_interrupted = 0;
    f->running = false;
    assert_int_equal(f->code, 0);
    assert_int_equal(atomic_load(&s_detached), f->def.attach ? 1 : 0);
}

/*  A request and its reply; asserts the reply's type (and error code). */
static void s_ask(fixture_t *f, const char *type, const char *id, const char *expect_type,
                  const char *expect_state)
{
    bool withdraw = strcmp(type, "withdraw") == 0;
    s_send(f, f->client, type, withdraw ? 2 : id ? 1 : 0, id, withdraw ? "test" : NULL);
    msgpack_object reply;
    assert_true(s_reply(f, f->client, 5000, &reply));
    uint64_t rid = 0;
    assert_true(doc_uint(&reply, "rid", &rid));
    assert_int_equal(rid, f->rid);
    if (!doc_str_eq(&reply, "type", expect_type)) {
        char message[256] = "";
        doc_strcpy(&reply, "message", message, sizeof message);
        fail_msg("expected %s, got a reply: %s", expect_type, message);
    }
    if (expect_state)
        assert_true(doc_str_eq(&reply, strcmp(expect_type, "error") == 0 ? "code" : "state", expect_state));
}

/*  The next pull of upstream u (after which seq), within timeout_ms; -1
 *  when none came. */
static int64_t s_pull_of(fixture_t *f, size_t u, int timeout_ms)
{
    zsock_set_rcvtimeo(f->producer[u], timeout_ms);
    zmsg_t *msg = zmsg_recv(f->producer[u]);
    if (!msg)
        return -1;
    zframe_destroy(&f->identity[u]);
    f->identity[u] = zmsg_pop(msg);
    zframe_t *payload = zmsg_pop(msg);
    zmsg_destroy(&msg);
    msgpack_object request;
    proto_error_t err;
    msgpack_zone_clear(&f->zone);
    assert_int_equal(wire_decode(zframe_data(payload), zframe_size(payload), &f->zone, &request, &err), 0);
    uint64_t after = 0;
    assert_true(doc_str_eq(&request, "type", "pull"));
    assert_true(doc_uint(&request, "after", &after));
    zframe_destroy(&payload);
    return (int64_t)after;
}

/*  Upstream u answers its last pull with events first.. about ids. */
static void s_deliver(fixture_t *f, size_t u, uint64_t first, const char *const *ids, const char *type)
{
    size_t count = 0;
    while (ids[count])
        count++;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_reply(&pk, "batch", true, 1, 2);
    proto_pack_kv_uint(&pk, "head", first + count - 1);
    proto_pack_str(&pk, "events");
    msgpack_pack_array(&pk, count);
    for (size_t i = 0; i < count; i++) {
        msgpack_pack_map(&pk, 5);
        proto_pack_kv_uint(&pk, "seq", first + i);
        proto_pack_kv_uint(&pk, "v", PROTO_VERSION);
        proto_pack_kv_str(&pk, "type", type ? type : "erased");
        proto_pack_kv_uint(&pk, "at", 1700000000);
        proto_pack_kv_str(&pk, "id", ids[i]);
    }
    zframe_t *identity = zframe_dup(f->identity[u]);
    zframe_send(&identity, f->producer[u], ZFRAME_MORE);
    zsock_send(f->producer[u], "b", buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

/*  After the service stopped: its store, as a later start would see it. */
static store_t *s_open(fixture_t *f)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/data/%s", f->home, config_service_name(f->def.id));
    static const char *const names[] = {"items", "events", "cursors", NULL};
    store_t *store = store_new(dir, names);
    assert_non_null(store);
    return store;
}

static bool s_has(store_t *store, const char *key)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(store, true, &txn), 0);
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, store_db(store, 0), &k, &v);
    mdb_txn_abort(txn);
    return rc == 0;
}

static uint64_t s_cursor(fixture_t *f, store_t *store, size_t u)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(store, true, &txn), 0);
    uint64_t cursor = 0;
    store_get_u64(txn, store_db(store, 2), config_service_name(f->def.upstreams[u].from), &cursor);
    mdb_txn_abort(txn);
    return cursor;
}

/* ------------------------------------------------------------ the tests */

static void test_requests_are_answered_after_the_commit(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    s_ask(f, "status", "a1", "ack", "stored");
    /* A refusal is an answer: its reply goes out, nothing is written, and
     * the batch around it commits. */
    s_ask(f, "status", "refuse", "error", PROTO_E_NOT_FOUND);
    s_ask(f, "member_list", NULL, "error", PROTO_E_INVALID);
    /* What does not decode, or breaks the catalogue, is refused by the
     * shell before the core sees it. */
    assert_int_equal(zsock_send(f->client, "b", "\xc1", (size_t)1), 0);
    msgpack_object reply;
    assert_true(s_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_INVALID));
    s_send(f, f->client, "status", 0, NULL, NULL);
    assert_true(s_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_INVALID));
    /* A pid file while it runs. */
    char pid[128];
    snprintf(pid, sizeof pid, "%s/run/%s.pid", f->home, config_service_name(f->def.id));
    assert_int_equal(access(pid, F_OK), 0);
    s_stop(f);
    assert_int_not_equal(access(pid, F_OK), 0);
    store_t *store = s_open(f);
    assert_true(s_has(store, "a1"));
    assert_false(s_has(store, "refuse"));
    store_destroy(&store);
}

static void test_a_failed_turn_answers_with_storage_errors(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    /* The turn's commit fails, and the request's own transaction, run
     * apart, fails too: the reply says nothing was stored. */
    store_fault_set(STORE_FAULT_COMMIT, 1, 2, MDB_PANIC);
    s_send(f, f->client, "status", 1, "lost", NULL);
    msgpack_object reply;
    assert_true(s_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "type", "error"));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_INTERNAL));
    assert_true(doc_str_eq(&reply, "rule", "storage"));
    uint64_t rid = 0;
    assert_true(doc_uint(&reply, "rid", &rid));
    assert_int_equal(rid, f->rid);
    assert_int_equal(store_fault_calls(STORE_FAULT_COMMIT), 2);
    /* The same when the core itself fails. */
    s_ask(f, "status", "broken", "error", PROTO_E_INTERNAL);
    /* The service goes on. */
    s_ask(f, "status", "kept", "ack", "stored");
    s_stop(f);
    store_t *store = s_open(f);
    assert_false(s_has(store, "lost"));
    assert_true(s_has(store, "kept"));
    store_destroy(&store);
}

static void test_a_turn_that_fails_once_is_run_again_apart(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    store_fault_set(STORE_FAULT_COMMIT, 1, 1, MDB_PANIC);
    s_ask(f, "status", "second-try", "ack", "stored");
    assert_int_equal(store_fault_calls(STORE_FAULT_COMMIT), 2);
    /* A full map, in the turn and then apart: the map grows and the same
     * transaction runs again. */
    store_fault_set(STORE_FAULT_PUT, 1, 1, MDB_MAP_FULL);
    s_ask(f, "status", "grown", "ack", "stored");
    store_fault_set(STORE_FAULT_COMMIT, 1, 2, MDB_MAP_FULL);
    s_ask(f, "status", "grown-twice", "ack", "stored");
    store_fault_set(STORE_FAULT_COMMIT, 1, 1, MDB_PANIC);
    store_fault_set(STORE_FAULT_PUT, 2, 1, MDB_MAP_FULL);
    s_ask(f, "status", "grown-apart", "ack", "stored");
    s_stop(f);
    store_t *store = s_open(f);
    assert_true(s_has(store, "second-try"));
    assert_true(s_has(store, "grown"));
    assert_true(s_has(store, "grown-twice"));
    assert_true(s_has(store, "grown-apart"));
    store_destroy(&store);
}

static void test_stream_batches_are_applied_with_their_cursor(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    assert_int_equal(s_pull_of(f, 0, 5000), 0);
    s_deliver(f, 0, 1, (const char *const[]){"e1", "e2", NULL}, NULL);
    assert_int_equal(s_pull_of(f, 0, 5000), 2);
    /* A repeated batch changes nothing; the next events follow on. */
    s_deliver(f, 0, 1, (const char *const[]){"e1", "e2", "e3", NULL}, NULL);
    assert_int_equal(s_pull_of(f, 0, 5000), 3);
    /* An event the catalogue does not know stops the stream (retried from
     * the cursor a second later), not the service. */
    s_deliver(f, 0, 4, (const char *const[]){"e4", NULL}, "bogus");
    s_ask(f, "status", "alive", "ack", "stored");
    assert_int_equal(s_pull_of(f, 0, 5000), 3);
    /* A full map while applying: grows, applies. */
    store_fault_set(STORE_FAULT_PUT, 1, 1, MDB_MAP_FULL);
    s_deliver(f, 0, 4, (const char *const[]){"e4", NULL}, NULL);
    assert_int_equal(s_pull_of(f, 0, 5000), 4);
    s_stop(f);
    store_t *store = s_open(f);
    assert_true(s_has(store, "ev:e1"));
    assert_true(s_has(store, "ev:e3"));
    assert_true(s_has(store, "ev:e4"));
    assert_int_equal(s_cursor(f, store, 0), 4);
    assert_int_equal(s_cursor(f, store, 1), 0);
    store_destroy(&store);
}

/*  Holds the service inside a request's handler, so that what the test
 *  sends meanwhile lands in the next turn, all together. */
static void s_hold_turn(fixture_t *f)
{
    atomic_store(&s_hold, 1);
    s_send(f, f->client, "status", 1, "hold", NULL);
    while (!atomic_load(&s_holding))
        usleep(1000);
}

static void s_release_turn(fixture_t *f)
{
    usleep(50 * 1000);   /* what was sent is at the sockets */
    atomic_store(&s_hold, 0);
    msgpack_object reply;
    assert_true(s_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "id", "hold"));
}

static void test_a_poisoned_batch_stops_only_its_stream(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    assert_int_equal(s_pull_of(f, 0, 5000), 0);
    assert_int_equal(s_pull_of(f, 1, 5000), 0);
    /* One turn receives a request, a poisoned batch on stream 0 and a good
     * one on stream 1: the turn fails, and each part runs again apart. */
    s_hold_turn(f);
    s_deliver(f, 0, 1, (const char *const[]){"poison", NULL}, NULL);
    s_deliver(f, 1, 1, (const char *const[]){"good", NULL}, NULL);
    s_send(f, f->client, "status", 1, "beside", NULL);
    s_release_turn(f);
    msgpack_object reply;
    assert_true(s_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "state", "stored"));
    assert_int_equal(s_pull_of(f, 1, 5000), 1);
    /* Stream 0 asks again from its cursor, a second later. */
    int64_t asked = zclock_mono();
    assert_int_equal(s_pull_of(f, 0, 5000), 0);
    assert_true(zclock_mono() - asked >= 500);
    s_stop(f);
    store_t *store = s_open(f);
    assert_true(s_has(store, "beside"));
    assert_true(s_has(store, "ev:good"));
    assert_false(s_has(store, "ev:poison"));
    assert_int_equal(s_cursor(f, store, 0), 0);
    assert_int_equal(s_cursor(f, store, 1), 1);
    store_destroy(&store);
}

static void test_when_every_part_fails_the_requests_get_storage_errors(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    assert_int_equal(s_pull_of(f, 0, 5000), 0);
    s_hold_turn(f);
    s_deliver(f, 0, 1, (const char *const[]){"late", NULL}, NULL);
    zsock_t *other = zsock_new(ZMQ_DEALER);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    assert_int_equal(zsock_connect(other, "%s", endpoint), 0);
    s_send(f, other, "ping", 0, NULL, NULL);      /* needs no transaction */
    s_send(f, f->client, "status", 1, "refused-by-disk", NULL);
    /* The hold's own commit passes; then the turn, the requests apart and
     * the batch apart all fail. */
    store_fault_set(STORE_FAULT_COMMIT, 2, 3, MDB_PANIC);
    s_release_turn(f);
    msgpack_object reply;
    assert_true(s_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "rule", "storage"));
    assert_true(s_reply(f, other, 5000, &reply));
    assert_true(doc_str_eq(&reply, "type", "pong"));
    zsock_destroy(&other);
    /* The stream asks again from its cursor, and then it is applied. */
    assert_int_equal(s_pull_of(f, 0, 5000), 0);
    s_deliver(f, 0, 1, (const char *const[]){"late", NULL}, NULL);
    assert_int_equal(s_pull_of(f, 0, 5000), 1);
    s_stop(f);
    store_t *store = s_open(f);
    assert_false(s_has(store, "refused-by-disk"));
    assert_true(s_has(store, "ev:late"));
    store_destroy(&store);
}

/*  A client that may pull the service's log: anyone's when the stream is
 *  public, else a staff key's on the secure ROUTER. */
static zsock_t *s_puller(fixture_t *f)
{
    if (auth_stream_is_public(f->def.id))
        return f->client;
    if (!f->puller) {
        assert_int_equal(auth_issue(AUTH_ROLE_STAFF, "puller"), 0);
        zcert_t *cert = auth_load(AUTH_ROLE_STAFF, "puller");
        assert_non_null(cert);
        f->puller = zsock_new(ZMQ_DEALER);
        assert_int_equal(auth_make_client(f->puller, cert, f->def.id), 0);
        zcert_destroy(&cert);
        char endpoint[CONFIG_ENDPOINT_MAX];
        config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
        assert_int_equal(zsock_connect(f->puller, "%s", endpoint), 0);
    }
    return f->puller;
}

/*  A pull of the service's own log, on sock. */
static void s_pull_on(fixture_t *f, zsock_t *sock, uint64_t after, uint64_t wait)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "pull", ++f->rid, 3);
    proto_pack_kv_uint(&pk, "after", after);
    proto_pack_kv_uint(&pk, "max", 10);
    proto_pack_kv_uint(&pk, "wait", wait);
    assert_int_equal(zsock_send(sock, "b", buf.data, buf.size), 0);
    msgpack_sbuffer_destroy(&buf);
}

/*  A pull of the service's own log, by a client that may. */
static void s_pull(fixture_t *f, uint64_t after, uint64_t wait)
{
    s_pull_on(f, s_puller(f), after, wait);
}

static size_t s_batch_len(fixture_t *f, int timeout_ms, uint64_t *first_seq)
{
    msgpack_object reply;
    assert_true(s_reply(f, s_puller(f), timeout_ms, &reply));
    assert_true(doc_str_eq(&reply, "type", "batch"));
    const msgpack_object *events = doc_array(&reply, "events");
    assert_non_null(events);
    if (doc_len(events) && first_seq)
        assert_true(doc_uint(doc_at(events, 0), "seq", first_seq));
    return doc_len(events);
}

static void test_the_log_is_pulled_and_pulls_are_held(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    s_ask(f, "erase", "p1", "ack", "logged");
    uint64_t seq = 0;
    s_pull(f, 0, 0);
    assert_int_equal(s_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 1);
    /* Nothing new: an empty batch at once without wait... */
    s_pull(f, 1, 0);
    assert_int_equal(s_batch_len(f, 5000, NULL), 0);
    /* ... held until the wait is over with one ... */
    int64_t asked = zclock_mono();
    s_pull(f, 1, 200);
    assert_int_equal(s_batch_len(f, 5000, NULL), 0);
    assert_true(zclock_mono() - asked >= 150);
    /* ... and answered as soon as an event is appended. */
    s_pull(f, 1, 10000);
    zsock_t *other = zsock_new(ZMQ_DEALER);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    assert_int_equal(zsock_connect(other, "%s", endpoint), 0);
    s_send(f, other, "erase", 1, "p2", NULL);
    msgpack_object reply;
    assert_true(s_reply(f, other, 5000, &reply));
    assert_int_equal(s_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 2);
    /* A pull whose read transaction cannot begin gets no answer (its
     * consumer asks again when its wait is over)... */
    store_fault_set(STORE_FAULT_BEGIN, 1, 1, MDB_READERS_FULL);
    s_pull(f, 0, 0);
    assert_false(s_reply(f, s_puller(f), 300, &reply));
    /* ... and a held pull stays held until it can be answered. */
    s_pull(f, 2, 10000);
    usleep(50 * 1000);
    store_fault_set(STORE_FAULT_BEGIN, 2, 1, MDB_READERS_FULL);   /* the turn's, then the pull's */
    s_send(f, other, "erase", 1, "p3", NULL);
    assert_true(s_reply(f, other, 5000, &reply));
    assert_int_equal(s_batch_len(f, 5000, &seq), 1);
    assert_int_equal(seq, 3);
    assert_int_equal(store_fault_calls(STORE_FAULT_BEGIN), 3);
    /* A pull still held when the service stops is dropped. */
    s_pull(f, 3, 20000);
    usleep(50 * 1000);
    zsock_destroy(&other);
    s_stop(f);
}

static void test_an_erasure_compacts_the_store(void **state)
{
    fixture_t *f = *state;
    s_start(f);
    s_ask(f, "erase", "gone", "ack", "logged");
    s_ask(f, "erase", "kept", "ack", "logged");
    s_ask(f, "withdraw", "gone", "ack", "redacted");
    s_pull(f, 0, 0);
    msgpack_object reply;
    assert_true(s_reply(f, s_puller(f), 5000, &reply));
    const msgpack_object *events = doc_array(&reply, "events");
    assert_int_equal(doc_len(events), 2);
    assert_true(doc_str_eq(doc_at(events, 0), "type", "redacted"));
    assert_true(doc_str_eq(doc_at(events, 1), "type", "erased"));
    /* A compaction that fails leaves the store as it was, in service. */
    store_fault_set(STORE_FAULT_COPY, 1, 1, MDB_PANIC);
    s_ask(f, "withdraw", "kept", "ack", "redacted");
    /* (the compaction runs after the turn's replies, before the next turn) */
    s_ask(f, "status", "after", "ack", "stored");
    assert_int_equal(store_fault_calls(STORE_FAULT_COPY), 1);
    s_stop(f);
    store_t *store = s_open(f);
    assert_true(s_has(store, "after"));
    store_destroy(&store);
}

/*  A pull on sock is refused forbidden / type / rule. */
static void s_pull_refused(fixture_t *f, zsock_t *sock, const char *rule)
{
    s_pull_on(f, sock, 0, 0);
    msgpack_object reply;
    assert_true(s_reply(f, sock, 10000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_FORBIDDEN));
    assert_true(doc_str_eq(&reply, "field", "type"));
    assert_true(doc_str_eq(&reply, "rule", rule));
}

/*  A DEALER on the service's secure ROUTER with cert's keys. */
static zsock_t *s_secure_client(fixture_t *f, zcert_t *cert)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_int_equal(auth_make_client(sock, cert, f->def.id), 0);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    assert_int_equal(zsock_connect(sock, "%s", endpoint), 0);
    return sock;
}

static void test_a_private_stream_is_served_only_to_its_readers(void **state)
{
    fixture_t *f = *state;
    /* Who reads each private stream (the upstreams of each main.c). */
    static const char *const readers[SERVICE_COUNT] = {
        [SERVICE_INTAKE] = " validation ", [SERVICE_VALIDATION] = " review intake ",
        [SERVICE_REVIEW] = " publication intake "};
    if (auth_stream_is_public(f->def.id))
        f->def.id = SERVICE_VALIDATION;
    s_start(f);
    s_ask(f, "erase", "e1", "ack", "logged");
    /* Anonymous, on the plain ROUTER. */
    s_pull_refused(f, f->client, "authentication");
    /* Staff, on the secure ROUTER. */
    uint64_t seq = 0;
    s_pull(f, 0, 0);
    assert_int_equal(s_batch_len(f, 10000, &seq), 1);
    assert_int_equal(seq, 1);
    /* Each service's key: its readers' only. */
    for (int other = 0; other < SERVICE_COUNT; other++) {
        zcert_t *cert = auth_server_cert((service_id_t)other);
        assert_non_null(cert);
        zsock_t *sock = s_secure_client(f, cert);
        char word[32];
        snprintf(word, sizeof word, " %s ", config_service_name((service_id_t)other));
        if (strstr(readers[f->def.id], word)) {
            s_pull_on(f, sock, 0, 0);
            msgpack_object reply;
            assert_true(s_reply(f, sock, 10000, &reply));
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
    zsock_t *sock = s_secure_client(f, member);
    s_pull_refused(f, sock, "role");
    zsock_destroy(&sock);
    zcert_destroy(&member);
    s_stop(f);
}

static void test_secure_types_are_answered_only_on_the_curve_router(void **state)
{
    fixture_t *f = *state;
    static const char *const secure[] = {"erase", NULL};
    f->def.secure_types = secure;
    f->def.attach = NULL;   /* no front end */
    f->def.detach = NULL;
    s_start(f);
    s_ask(f, "erase", "x", "error", PROTO_E_FORBIDDEN);
    /* A staff key, issued into the certificate store. */
    assert_int_equal(auth_issue(AUTH_ROLE_STAFF, "ops"), 0);
    zcert_t *cert = auth_load(AUTH_ROLE_STAFF, "ops");
    assert_non_null(cert);
    zsock_t *secure_client = zsock_new(ZMQ_DEALER);
    assert_int_equal(auth_make_client(secure_client, cert, f->def.id), 0);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    assert_int_equal(zsock_connect(secure_client, "%s", endpoint), 0);
    s_send(f, secure_client, "erase", 1, "y", NULL);
    msgpack_object reply;
    assert_true(s_reply(f, secure_client, 10000, &reply));
    assert_true(doc_str_eq(&reply, "type", "ack"));
    assert_true(doc_str_eq(&reply, "id", "ops"));   /* the handler saw who */
    zsock_destroy(&secure_client);
    zcert_destroy(&cert);
    /* A key in the store that names no one is refused. */
    cert = zcert_new();
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/keys/allowed/anonymous.cert", f->home);
    assert_int_equal(zcert_save_public(cert, path), 0);
    secure_client = zsock_new(ZMQ_DEALER);
    assert_int_equal(auth_make_client(secure_client, cert, f->def.id), 0);
    assert_int_equal(zsock_connect(secure_client, "%s", endpoint), 0);
    s_send(f, secure_client, "erase", 1, "z", NULL);
    assert_true(s_reply(f, secure_client, 10000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_FORBIDDEN));
    zsock_destroy(&secure_client);
    zcert_destroy(&cert);
    s_stop(f);
}

static void test_a_service_that_cannot_start_says_so(void **state)
{
    fixture_t *f = *state;
    /* Not a port. */
    setenv("ESSP_PORT", "seventy", 1);
    assert_int_equal(service_main(&f->def), 2);
    s_fresh_port(100 + s_run);
    /* The core's start fails; the store cannot be opened; its first
     * transaction cannot begin. */
    s_start_rc = MDB_PANIC;
    assert_int_equal(service_main(&f->def), 1);
    s_start_rc = 0;
    store_fault_set(STORE_FAULT_OPEN, 1, 1, MDB_PANIC);
    assert_int_equal(service_main(&f->def), 1);
    store_fault_set(STORE_FAULT_BEGIN, 1, 1, MDB_PANIC);
    assert_int_equal(service_main(&f->def), 1);
    store_fault_clear();
    /* The front end fails to attach (and is then not detached). */
    s_attach_rc = -1;
    assert_int_equal(service_main(&f->def), 1);
    assert_int_equal(atomic_load(&s_detached), 0);
    s_attach_rc = 0;
    usleep(100 * 1000);   /* ZeroMQ frees the in-process endpoint */
    /* The port is taken. */
    s_fresh_port(200 + s_run);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    zsock_t *squatter = zsock_new(ZMQ_ROUTER);
    assert_true(zsock_bind(squatter, "%s", endpoint) >= 0);
    assert_int_equal(service_main(&f->def), 1);
    zsock_destroy(&squatter);
    /* An address that is none. */
    setenv("ESSP_BIND", "256.0.0.1", 1);
    assert_int_equal(service_main(&f->def), 1);
    unsetenv("ESSP_BIND");
    /* The secure endpoint's port is taken. */
    static const char *const secure[] = {"erase", NULL};
    f->def.secure_types = secure;
    s_fresh_port(300 + s_run);
    config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    squatter = zsock_new(ZMQ_ROUTER);
    assert_true(zsock_bind(squatter, "%s", endpoint) >= 0);
    assert_int_equal(service_main(&f->def), 1);
    zsock_destroy(&squatter);
    f->def.secure_types = NULL;
    usleep(100 * 1000);
    /* No pid file: run/ is a file; the pid file is a directory. */
    char path[128];
    snprintf(path, sizeof path, "rm -rf %s/run", f->home);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/run", f->home);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    s_fresh_port(500 + s_run);
    assert_int_equal(service_main(&f->def), 1);
    unlink(path);
    usleep(100 * 1000);
    snprintf(path, sizeof path, "%s/run/%s.pid", f->home, config_service_name(f->def.id));
    assert_int_equal(config_mkdirs(path), 0);
    s_fresh_port(600 + s_run);
    assert_int_equal(service_main(&f->def), 1);
    rmdir(path);
    usleep(100 * 1000);
    /* The secure endpoint has no keys: keys/ is a file. */
    snprintf(path, sizeof path, "rm -rf %s/keys", f->home);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/keys", f->home);
    file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    f->def.secure_types = secure;
    s_fresh_port(700 + s_run);
    assert_int_equal(service_main(&f->def), 1);
    f->def.secure_types = NULL;
    unlink(path);
    usleep(100 * 1000);
    /* The in-process endpoint is taken. */
    s_fresh_port(400 + s_run);
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    squatter = zsock_new(ZMQ_ROUTER);
    assert_int_equal(zsock_bind(squatter, "%s", endpoint), 0);
    assert_int_equal(service_main(&f->def), 1);
    zsock_destroy(&squatter);
}

int main(void)
{
    zsys_init();
    zsys_set_logsystem(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_requests_are_answered_after_the_commit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_turn_answers_with_storage_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_turn_that_fails_once_is_run_again_apart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stream_batches_are_applied_with_their_cursor, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_poisoned_batch_stops_only_its_stream, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_when_every_part_fails_the_requests_get_storage_errors, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_the_log_is_pulled_and_pulls_are_held, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_erasure_compacts_the_store, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_secure_types_are_answered_only_on_the_curve_router, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_private_stream_is_served_only_to_its_readers, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_service_that_cannot_start_says_so, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
