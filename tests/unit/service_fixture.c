/*  tests/unit/service_fixture.c - common/service run in a thread of a
 *  test, with a core of its own: see service_fixture.h. */
#include "service_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/auth.h"
#include "common/config.h"
#include "common/service_impl.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

static const char *const s_dbs[] = {"items", NULL};

/*  status {id}: stores id and answers ack; ids "refuse" (refused), "hold"
 *  (waits for the test), "broken" (an LMDB error).  erase {id}: appends an
 *  "erased" event.  withdraw {id}: redacts the events about id. */
static int s_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    service_fixture_t *f = ctx;
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
            f->held = svc;
            atomic_store(&f->holding, 1);
            while (atomic_load(&f->hold))
                usleep(1000);
            atomic_store(&f->holding, 0);
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
    service_fixture_t *f = ctx;
    (void)txn;
    (void)service_log_head(svc);
    return f->start_rc;
}

static int s_attach(void *ctx, service_t *svc)
{
    service_fixture_t *f = ctx;
    atomic_fetch_add(&f->attaches, 1);
    if (strncmp(service_inproc_endpoint(svc), "inproc://essp-", 14) != 0)
        return -1;
    return f->attach_rc;
}

static void s_detach(void *ctx, service_t *svc)
{
    service_fixture_t *f = ctx;
    (void)svc;
    atomic_fetch_add(&f->detached, 1);
}

static int s_run;                /* services started so far: ports and names */

/*  A block of 16 ports of its own for each start (a ZeroMQ socket frees
 *  its port in ZeroMQ's own thread, a moment after it is closed), apart
 *  from other test processes' blocks, below Linux's ephemeral ports. */
void fixture_fresh_port(int block)
{
    char port[16];
    snprintf(port, sizeof port, "%d", 20000 + (int)((getpid() * 176L + block * 16L) % 12000));
    setenv("ESSP_PORT", port, 1);
}

/*  Whether the TCP port of endpoint ("tcp://127.0.0.1:port") is free now:
 *  bound and closed at once, as ZeroMQ binds it (SO_REUSEADDR). */
static bool s_port_free(const char *endpoint)
{
    const char *colon = strrchr(endpoint, ':');
    assert_non_null(colon);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int one = 1;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool free_now = bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return free_now;
}

void fixture_free_port(service_fixture_t *f, int block)
{
    char plain[CONFIG_ENDPOINT_MAX], secure[CONFIG_ENDPOINT_MAX];
    for (int attempt = 0; attempt < 20; attempt++) {
        fixture_fresh_port(block + 37 * attempt);
        config_bind_endpoint(f->def.id, plain, sizeof plain);
        config_secure_bind_endpoint(f->def.id, secure, sizeof secure);
        if (s_port_free(plain) && s_port_free(secure))
            return;
    }
    fail_msg("no block of free ports");
}

int fixture_setup(void **state)
{
    service_fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->home, sizeof f->home, "/tmp/essp-service-XXXXXX");
    assert_non_null(mkdtemp(f->home));
    setenv("ESSP_HOME", f->home, 1);
    unsetenv("ESSP_BIND");
    /* A fresh port range and a fresh service name each time: the sockets
     * of the previous run close in ZeroMQ's own thread, a moment later. */
    f->run = ++s_run;
    fixture_fresh_port(s_run);
    f->def.id = (service_id_t)(s_run % SERVICE_COUNT);
    f->def.ctx = f;
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
        f->def.upstreams[u] = (service_upstream_t){.from = from, .apply = s_apply};
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
    msgpack_zone_init(&f->zone, 4096);
    store_fault_clear();
    *state = f;
    return 0;
}

int fixture_teardown(void **state)
{
    service_fixture_t *f = *state;
    fixture_stop(f);
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

/*  The service's sockets the test sends to: its ROUTERs, then the
 *  consumers of its two upstreams. */
enum { S_PLAIN, S_SECURE, S_UPSTREAM, S_SOCKETS = S_UPSTREAM + 2 };
_Static_assert(S_SOCKETS == sizeof ((service_fixture_t *)0)->sent, "a flag for each socket");

/*  Notes that the test sent to socket `to` while it holds the turn. */
static void s_sent(service_fixture_t *f, int to)
{
    if (atomic_load(&f->holding))
        f->sent[to] = true;
}

/*  The socket of the service that what sock sends arrives at: the secure
 *  ROUTER for the staff puller (set only when the stream is private). */
static int s_destination(service_fixture_t *f, zsock_t *sock)
{
    return f->puller && sock == f->puller ? S_SECURE : S_PLAIN;
}

static void *s_service_thread(void *arg)
{
    service_fixture_t *f = arg;
    f->code = service_main(&f->def);
    atomic_store(&f->done, 1);
    return NULL;
}

void fixture_send(service_fixture_t *f, zsock_t *sock, const char *type, size_t fields, const char *id,
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
    s_sent(f, s_destination(f, sock));
    msgpack_sbuffer_destroy(&buf);
}

/*  The next reply on sock, decoded into f->zone (false after timeout_ms). */
bool fixture_reply(service_fixture_t *f, zsock_t *sock, int timeout_ms, msgpack_object *reply)
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

void fixture_start(service_fixture_t *f)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    msgpack_object reply;
    atomic_store(&f->detached, 0);      /* counted anew for each run */
    zsock_destroy(&f->client);          /* the client of a run before */
    /* A port another program holds by chance: another block of ports. */
    for (int attempt = 0; attempt < 5; attempt++) {
        atomic_store(&f->done, 0);
        assert_int_equal(pthread_create(&f->thread, NULL, s_service_thread, f), 0);
        f->client = zsock_new(ZMQ_DEALER);
        assert_int_equal(zsock_connect(f->client, "%s", endpoint), 0);
        /* Ready when it answers a ping. */
        fixture_send(f, f->client, "ping", 0, NULL, NULL);
        bool answered = false;
        for (int i = 0; i < 100 && !answered && !atomic_load(&f->done); i++)
            answered = fixture_reply(f, f->client, 100, &reply);
        if (answered) {
            f->running = true;
            assert_true(doc_str_eq(&reply, "type", "pong"));
            assert_true(doc_str_eq(&reply, "service", config_service_name(f->def.id)));
            return;
        }
        pthread_join(f->thread, NULL);
        assert_int_equal(f->code, 1);
        zsock_destroy(&f->client);
        fixture_fresh_port(1000 + 10 * s_run + attempt);
        fixture_wait_endpoints_free(f);
    }
    fail_msg("the service did not start");
}

void fixture_stop(service_fixture_t *f)
{
    if (!f->running)
        return;
    zsys_interrupted = 1;
    pthread_join(f->thread, NULL);
    zsys_interrupted = 0;
    /* The stop's grace alarm would end this process, with status 0, in
     * the middle of a later test: the service's teardown is over. */
    alarm(0);
    f->running = false;
    assert_int_equal(f->code, 0);
    assert_int_equal(atomic_load(&f->detached), f->def.attach ? 1 : 0);
}

/*  A request and its reply; asserts the reply's type (and error code). */
void fixture_ask(service_fixture_t *f, const char *type, const char *id, const char *expect_type,
                 const char *expect_state)
{
    bool withdraw = strcmp(type, "withdraw") == 0;
    fixture_send(f, f->client, type, withdraw ? 2 : id ? 1 : 0, id, withdraw ? "test" : NULL);
    msgpack_object reply;
    assert_true(fixture_reply(f, f->client, 5000, &reply));
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
int64_t fixture_pull_of(service_fixture_t *f, size_t u, int timeout_ms)
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
    assert_true(doc_uint(&request, "rid", &f->pull_rid[u]));
    f->last_pull_omit = doc_len(doc_array(&request, "omit"));
    zframe_destroy(&payload);
    return (int64_t)after;
}

/*  Upstream u answers its last pull with events first.. about ids. */
void fixture_deliver(service_fixture_t *f, size_t u, uint64_t first, const char *const *ids, const char *type)
{
    size_t count = 0;
    while (ids[count])
        count++;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_reply(&pk, "batch", true, f->pull_rid[u], 2);
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
    s_sent(f, S_UPSTREAM + (int)u);
    msgpack_sbuffer_destroy(&buf);
}

/*  After the service stopped: its store, as a later start would see it. */
store_t *fixture_open(service_fixture_t *f)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/data/%s", f->home, config_service_name(f->def.id));
    static const char *const names[] = {"items", "events", "cursors", NULL};
    store_t *store = store_new(dir, names);
    assert_non_null(store);
    return store;
}

bool fixture_has(store_t *store, const char *key)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(store, true, &txn), 0);
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, store_db(store, 0), &k, &v);
    mdb_txn_abort(txn);
    return rc == 0;
}

uint64_t fixture_cursor(service_fixture_t *f, store_t *store, size_t u)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(store, true, &txn), 0);
    /* The cursor is the value's first 8 bytes (a fingerprint of the event
     * at the cursor may follow: common/stream_mark.h). */
    const char *name = config_service_name(f->def.upstreams[u].from);
    MDB_val key = {strlen(name), (void *)name}, value;
    uint64_t cursor = 0;
    if (mdb_get(txn, store_db(store, 2), &key, &value) == 0 && value.mv_size >= 8)
        cursor = store_u64_from_key(value.mv_data);
    mdb_txn_abort(txn);
    return cursor;
}

zsock_t *fixture_client(service_fixture_t *f)
{
    zsock_t *client = zsock_new(ZMQ_DEALER);
    assert_non_null(client);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    assert_int_equal(zsock_connect(client, "%s", endpoint), 0);
    return client;
}

/*  Holds the service inside a request's handler, so that what the test
 *  sends meanwhile lands in the next turn, all together. */
void fixture_hold_turn(service_fixture_t *f)
{
    atomic_store(&f->hold, 1);
    fixture_send(f, f->client, "status", 1, "hold", NULL);
    while (!atomic_load(&f->holding))
        usleep(1000);
}

/*  The service's socket `to`. */
static zsock_t *s_service_socket(service_fixture_t *f, int to)
{
    if (to == S_PLAIN)
        return f->held->router;
    if (to == S_SECURE)
        return f->held->secure;
    return stream_consumer_socket(f->held->consumers[to - S_UPSTREAM]);
}

/*  Returns once each socket of the service the test sent to while holding
 *  the turn has a message waiting: the next poll of the loop then finds
 *  them all.  A message sent in-process is in its pipe when the send
 *  returns; one on TCP comes through ZeroMQ's I/O thread, after the
 *  others sent on its connection before it.  The sockets are the
 *  service's, read here while its thread waits in the held handler and
 *  touches none of them (the atomics hold and holding order the two
 *  threads' uses). */
static void s_wait_sent(service_fixture_t *f)
{
    for (int to = 0; to < S_SOCKETS; to++) {
        if (!f->sent[to])
            continue;
        f->sent[to] = false;
        zsock_t *sock = s_service_socket(f, to);
        assert_non_null(sock);
        int64_t until = zclock_mono() + 5000;
        while (!(zsock_events(sock) & ZMQ_POLLIN)) {
            if (zclock_mono() > until)
                fail_msg("what the test sent did not reach the service's socket %d", to);
            usleep(1000);
        }
    }
}

void fixture_release_turn(service_fixture_t *f)
{
    s_wait_sent(f);
    atomic_store(&f->hold, 0);
    msgpack_object reply;
    assert_true(fixture_reply(f, f->client, 5000, &reply));
    assert_true(doc_str_eq(&reply, "id", "hold"));
}

static void s_log_path(service_fixture_t *f, char *out, size_t cap)
{
    snprintf(out, cap, "%s/log/%s.log", f->home, config_service_name(f->def.id));
}

long fixture_log_mark(service_fixture_t *f)
{
    char path[128];
    s_log_path(f, path, sizeof path);
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/*  The lines of the service's log from mark on, NUL-terminated (free
 *  them); "" when there is no log. */
static char *s_log_since(service_fixture_t *f, long mark)
{
    char path[128];
    s_log_path(f, path, sizeof path);
    FILE *file = fopen(path, "r");
    long size = 0;
    if (file) {
        assert_int_equal(fseek(file, 0, SEEK_END), 0);
        size = ftell(file);
    }
    size_t len = size > mark ? (size_t)(size - mark) : 0;
    char *lines = calloc(1, len + 1);
    assert_non_null(lines);
    if (len) {
        assert_int_equal(fseek(file, mark, SEEK_SET), 0);
        assert_int_equal(fread(lines, 1, len, file), len);
    }
    if (file)
        fclose(file);
    return lines;
}

void fixture_expect_logged(service_fixture_t *f, long mark, const char *text, bool present)
{
    char *lines = s_log_since(f, mark);
    bool found = strstr(lines, text) != NULL;
    if (found != present)
        fprintf(stderr, "the service's log:\n%s", lines);
    free(lines);
    if (found != present)
        fail_msg("the service's log %s \"%s\"", present ? "does not say" : "says", text);
}

/*  Returns once endpoint can be bound: a closed socket frees its
 *  in-process endpoints in ZeroMQ's reaper thread, a moment later, but an
 *  unbind frees one at once, so the probe leaves it free. */
static void s_wait_inproc_free(const char *endpoint)
{
    int64_t until = zclock_mono() + 5000;
    for (;;) {
        zsock_t *probe = zsock_new(ZMQ_ROUTER);
        assert_non_null(probe);
        bool bound = zsock_bind(probe, "%s", endpoint) == 0;
        if (bound)
            assert_int_equal(zsock_unbind(probe, "%s", endpoint), 0);
        zsock_destroy(&probe);
        if (bound)
            return;
        if (zclock_mono() > until)
            fail_msg("%s stays bound", endpoint);
        usleep(1000);
    }
}

void fixture_wait_endpoints_free(service_fixture_t *f)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    s_wait_inproc_free(endpoint);
    s_wait_inproc_free("inproc://zeromq.zap.01");   /* zauth's, bound for a secure ROUTER */
}

zsock_t *fixture_secure_client(service_fixture_t *f, zcert_t *cert)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_int_equal(auth_make_client(sock, cert, f->def.id), 0);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    assert_int_equal(zsock_connect(sock, "%s", endpoint), 0);
    return sock;
}

zsock_t *fixture_puller(service_fixture_t *f)
{
    if (auth_stream_is_public(f->def.id))
        return f->client;
    if (!f->puller) {
        assert_int_equal(auth_issue(AUTH_ROLE_STAFF, "puller"), 0);
        zcert_t *cert = auth_load(AUTH_ROLE_STAFF, "puller");
        assert_non_null(cert);
        f->puller = fixture_secure_client(f, cert);
        zcert_destroy(&cert);
    }
    return f->puller;
}

void fixture_pull_on(service_fixture_t *f, zsock_t *sock, uint64_t after, uint64_t wait)
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
    s_sent(f, s_destination(f, sock));
    msgpack_sbuffer_destroy(&buf);
}

void fixture_pull(service_fixture_t *f, uint64_t after, uint64_t wait)
{
    fixture_pull_on(f, fixture_puller(f), after, wait);
}

size_t fixture_batch_len(service_fixture_t *f, int timeout_ms, uint64_t *first_seq)
{
    msgpack_object reply;
    assert_true(fixture_reply(f, fixture_puller(f), timeout_ms, &reply));
    assert_true(doc_str_eq(&reply, "type", "batch"));
    const msgpack_object *events = doc_array(&reply, "events");
    assert_non_null(events);
    if (doc_len(events) && first_seq)
        assert_true(doc_uint(doc_at(events, 0), "seq", first_seq));
    return doc_len(events);
}

