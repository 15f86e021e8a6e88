/*  common/service.c - see service.h; the turns are in service_turn.c, the
 *  pulls of the service's log in service_pull.c. */
#include "service_impl.h"

#include "auth.h"
#include "compact_mark.h"
#include "entropy.h"
#include "event_log.h"
#include "health.h"
#include "log.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <assert.h>
#include <signal.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int service_refuse(service_request_t *req, const char *code, const char *field, const char *rule,
                   const char *format, ...)
{
    proto_error_t err;
    char message[PROTO_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    proto_error_set(&err, field, rule, "%s", message);
    return service_refuse_error(req, code, &err);
}

int service_refuse_error(service_request_t *req, const char *code, const proto_error_t *err)
{
    proto_pack_error(req->reply, req->has_rid, req->rid, code, err);
    service_outcome_refused(&req->outcome, code, err->rule);
    return SERVICE_REFUSED;
}

void service_outcome_refused(service_outcome_t *outcome, const char *code, const char *rule)
{
    snprintf(outcome->code, sizeof outcome->code, "%s", code);
    snprintf(outcome->rule, sizeof outcome->rule, "%s", rule);
}

void service_request_set_id(service_request_t *req, const char *id, size_t len)
{
    if (len >= sizeof req->outcome.id)
        len = sizeof req->outcome.id - 1;
    memcpy(req->outcome.id, id, len);
    req->outcome.id[len] = '\0';
}

MDB_dbi service_db(service_t *self, size_t index)
{
    assert(index < self->db_count);
    return store_db(self->store, index);
}

msgpack_packer *service_event_begin(service_t *self, const char *type, int64_t at, size_t fields,
                                    uint64_t *seq)
{
    uint64_t next = stream_log_begin(self->log, &self->event_buf, &self->event_pk, type, at, fields);
    if (seq)
        *seq = next;
    return &self->event_pk;
}

int service_event_end(service_t *self, MDB_txn *txn)
{
    return stream_log_end(self->log, txn, &self->event_buf);
}

/*  The decoded event, packed again: for an event whose bytes are not at
 *  hand, or that has more fields than the walk keeps spans of. */
static int s_forward_decoded(service_t *self, MDB_txn *txn, const char *type, int64_t at,
                             const msgpack_object *event)
{
    msgpack_packer *pk = service_event_begin(self, type, at, doc_count_except(event, proto_envelope_keys), NULL);
    doc_pack_pairs_except(pk, event, proto_envelope_keys);
    return service_event_end(self, txn);
}

int service_event_forward(service_t *self, MDB_txn *txn, const char *type, int64_t at,
                          const msgpack_object *event)
{
    const void *bytes;
    size_t len, spans[STREAM_OMIT_FIELDS_MAX][2];
    int fields = -1;
    if (event == self->applying
        && stream_consumer_event_bytes(self->consumers[self->applying_u], self->applying_i, &bytes, &len))
        fields = stream_omit_body(bytes, len, spans, STREAM_OMIT_FIELDS_MAX);
    if (fields < 0)
        return s_forward_decoded(self, txn, type, at, event);
    msgpack_packer *pk = service_event_begin(self, type, at, (size_t)fields, NULL);
    for (int i = 0; i < fields; i++)
        proto_pack_raw(pk, (const uint8_t *)bytes + spans[i][0], spans[i][1]);
    return service_event_end(self, txn);
}

const char *service_inproc_endpoint(service_t *self)
{
    return self->inproc;
}

static void s_data_dir(const service_t *self, char *out, size_t cap);
static void s_compact(service_t *self);

/*  Before the erasure's commit (common/compact_mark.h). */
static void s_owe_compaction(service_t *self)
{
    if (self->compact)
        return;
    self->compact = true;
    char dir[CONFIG_PATH_MAX];
    s_data_dir(self, dir, sizeof dir);
    compact_mark_set(dir);
}

int service_log_redact(service_t *self, MDB_txn *txn, const char *id, size_t id_len,
                       stream_log_rewrite_fn rewrite, void *arg, size_t *count)
{
    /* The erased bytes leave the live records at the commit, but LMDB
     * keeps them in the freed pages: the turn ends with a compaction. */
    int rc = stream_log_redact(self->log, txn, id, id_len, rewrite, arg, count);
    if (rc == 0)
        s_owe_compaction(self);
    return rc;
}

void service_request_compact(service_t *self)
{
    s_owe_compaction(self);
}

uint64_t service_log_head(service_t *self)
{
    return stream_log_head(self->log);
}

int service_log_get(service_t *self, MDB_txn *txn, uint64_t seq, MDB_val *event)
{
    return stream_log_get(self->log, txn, seq, event);
}

/* ------------------------------------------------------------ life cycle */

static int s_write_pid(service_t *self)
{
    char dir[CONFIG_PATH_MAX / 2];
    config_path("run", dir, sizeof dir);
    if (config_mkdirs(dir)) {
        log_error("cannot create %s for the pid file: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(self->pid_path, sizeof self->pid_path, "%s/%s.pid", dir,
             config_service_name(self->def->id));
    FILE *file = fopen(self->pid_path, "w");
    if (!file) {
        log_error("cannot write the pid file %s: %s", self->pid_path, strerror(errno));
        return -1;
    }
    fprintf(file, "%ld\n", (long)getpid());
    if (fclose(file) != 0) {
        log_error("cannot write the pid file %s: %s", self->pid_path, strerror(errno));
        return -1;
    }
    return 0;
}

static void s_data_dir(const service_t *self, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/%s", config_home(), config_service_name(self->def->id));
}

/*  The core's databases, then the log's and the cursors', NULL-terminated. */
static void s_store_names(service_t *self, const char *names[STORE_DBS_MAX + 1])
{
    size_t n = 0;
    for (; self->def->dbs && self->def->dbs[n]; n++)
        names[n] = self->def->dbs[n];
    assert(n + 3 <= STORE_DBS_MAX);
    self->db_count = n;
    names[n] = S_DB_EVENTS;
    names[n + 1] = S_DB_CURSORS;
    names[n + 2] = self->def->log_tails ? S_DB_TAILS : NULL;
    names[n + 3] = NULL;
}

static int s_open_store(service_t *self)
{
    const char *names[STORE_DBS_MAX + 1];
    s_store_names(self, names);
    char dir[CONFIG_PATH_MAX];
    s_data_dir(self, dir, sizeof dir);
    self->store = store_new(dir, names);
    if (!self->store)
        return -1;
    if (compact_mark_present(dir)) {
        log_info("an erasure's compaction is owed (it failed, or the service stopped first): compacting");
        s_compact(self);
    }
    return 0;
}

/*  Events asked of an upstream in one pull (ESSP_PULL_MAX). */
#define S_PULL_MAX 128
/*  How long a few events of an upstream that came alone may wait for
 *  company (ESSP_STREAM_WAIT_MS, s_streams_of_turn below). */
#define S_STREAM_WAIT_MS 10

static int s_start(service_t *self)
{
    MDB_txn *txn;
    int rc = store_begin(self->store, false, &txn);
    if (rc) {
        log_error("cannot begin the first transaction of the store: stopping");
        return rc;
    }
    self->log = stream_log_new(txn, store_db(self->store, self->db_count));
    if (self->def->log_tails)
        stream_log_keep_tails(self->log, txn, store_db(self->store, self->db_count + 2));
    if (self->def->log_signed_copy)
        stream_log_keep_signed_copy(self->log, self->def->log_signed_copy);
    /* A turn applies one batch in one write transaction: its size bounds
     * what a backlog takes (every page the transaction dirties is a copy
     * in memory: turns of 1,000 events took review to 27.7 MiB, of 128 to
     * 5.4 MiB, stack.memory), while 128 events a commit keep the fsyncs
     * of a catch-up few. */
    size_t pull_max = (size_t)config_env_long("ESSP_PULL_MAX", S_PULL_MAX, 1, PROTO_BATCH_MAX);
    self->stream_wait_ms = config_env_long("ESSP_STREAM_WAIT_MS", S_STREAM_WAIT_MS, 0, 1000);
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        service_id_t from = self->def->upstreams[u].from;
        uint64_t cursor = 0;
        stream_mark_t mark;
        stream_mark_get(txn, store_db(self->store, self->db_count + 1), config_service_name(from), &cursor, &mark);
        char endpoint[CONFIG_ENDPOINT_MAX];
        if (auth_stream_is_public(from)) {
            config_connect_endpoint(from, endpoint, sizeof endpoint);
            self->consumers[u] = stream_consumer_new(config_service_name(from), endpoint, cursor,
                                                     pull_max, 1000);
        } else {
            /* A private stream: on the producer's CURVE endpoint, with this
             * service's key, the producer's public key from keys/. */
            char server[CONFIG_PATH_MAX];
            config_secure_connect_endpoint(from, endpoint, sizeof endpoint);
            auth_key_path("", config_service_name(from), ".cert", server, sizeof server);
            self->consumers[u] = stream_consumer_new_curve(config_service_name(from), endpoint, self->cert,
                                                           server, cursor, pull_max, 1000);
        }
        stream_consumer_set_reader(self->consumers[u], config_service_name(self->def->id));
        stream_consumer_set_mark(self->consumers[u], &mark);
        stream_consumer_set_omit(self->consumers[u], self->def->upstreams[u].omit);
        msgpack_zone_init(&self->upstream[u].zone, 65536);
        log_info("following %s at %s from seq %llu", config_service_name(from), endpoint,
                 (unsigned long long)cursor);
    }
    if (self->def->start)
        rc = self->def->start(self->def->ctx, self, txn);
    /* A start may append events (publication adopting a new key): they
     * are served once committed. */
    int64_t commit_us;
    rc = service_txn_end(self, txn, rc, &commit_us);
    if (rc)
        log_error("the first transaction failed (the core's start, or its commit): stopping");
    return rc;
}

static int s_bind(service_t *self)
{
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_bind_endpoint(self->def->id, endpoint, sizeof endpoint);
    self->router = zsock_new(ZMQ_ROUTER);
    assert(self->router);
    /* Refuse oversize input before a byte of it is decoded. */
    zsock_set_maxmsgsize(self->router, PROTO_REQUEST_MAX);
    zsock_set_linger(self->router, 0);
    /* Per peer.  Above it a ROUTER drops replies silently, so it is high:
     * a committee client may pipeline the votes of a whole meeting. */
    zsock_set_sndhwm(self->router, 100000);
    zsock_set_rcvhwm(self->router, 100000);
    zsock_set_rcvtimeo(self->router, 0);
    if (zsock_bind(self->router, "%s", endpoint) < 0) {
        log_error("cannot bind %s: %s", endpoint, strerror(errno));
        return -1;
    }
    /* The same ROUTER, reachable from the threads of an attached front end. */
    snprintf(self->inproc, sizeof self->inproc, "inproc://essp-%s", config_service_name(self->def->id));
    if (zsock_bind(self->router, "%s", self->inproc) < 0) {
        log_error("cannot bind %s: %s", self->inproc, strerror(errno));
        return -1;
    }
    log_info("listening on %s, log head %llu", endpoint,
             (unsigned long long)stream_log_head(self->log));
    return 0;
}

/*  The service's own key pair, made on first start and registered in the
 *  certificate store (auth_server_cert): the secure ROUTER's server key
 *  and the key it pulls private streams with. */
static int s_load_cert(service_t *self)
{
    self->cert = auth_server_cert(self->def->id);
    if (!self->cert)
        log_error("cannot load or create the service key under %s/keys", config_home());
    return self->cert ? 0 : -1;
}

/*  The CURVE ROUTER, behind zauth: zauth runs before the bind, since
 *  without a ZAP handler libzmq would accept any client that knows the
 *  server's public key.  Bound when the service has requests for members
 *  or staff, or a private stream to serve. */
static int s_bind_secure(service_t *self)
{
    if (!self->def->secure_types && auth_stream_is_public(self->def->id))
        return 0;
    self->auth = auth_start();
    if (!self->auth) {
        log_error("cannot start the authentication of the secure endpoint (keys under %s/keys)",
                  config_home());
        return -1;
    }
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_bind_endpoint(self->def->id, endpoint, sizeof endpoint);
    self->secure = zsock_new(ZMQ_ROUTER);
    assert(self->secure);
    auth_make_server(self->secure, self->cert);
    zsock_set_maxmsgsize(self->secure, PROTO_REQUEST_MAX);
    zsock_set_linger(self->secure, 0);
    zsock_set_sndhwm(self->secure, 100000);
    zsock_set_rcvhwm(self->secure, 100000);
    zsock_set_rcvtimeo(self->secure, 0);
    if (zsock_bind(self->secure, "%s", endpoint) < 0) {
        log_error("cannot bind %s: %s", endpoint, strerror(errno));
        return -1;
    }
    log_info("listening on %s (CURVE, keys in %s/keys/allowed)", endpoint, config_home());
    return 0;
}

static int s_attach(service_t *self)
{
    if (!self->def->attach)
        return 0;
    if (self->def->attach(self->def->ctx, self) != 0) {
        log_error("cannot start the service's own threads (its web front end or sender): stopping");
        return -1;
    }
    self->attached = true;
    return 0;
}

/*  Erasure's last step, between two turns, with no transaction open: a
 *  compacted copy replaces the store (store_compact), so the bytes of an
 *  erased application leave LMDB's freed pages too. */
static void s_compact(service_t *self)
{
    self->compact = false;
    char dir[CONFIG_PATH_MAX];
    s_data_dir(self, dir, sizeof dir);
    const char *names[STORE_DBS_MAX + 1];
    s_store_names(self, names);
    int rc = store_compact(&self->store, dir, names);
    if (rc != 0 && !self->store) {
        log_error("compaction: cannot reopen the store: stopping, to be restarted");
        abort();
    }
    if (rc != 0)
        return;     /* the mark stays: the next start compacts */
    compact_mark_clear(dir);
}

/* ---------------------------------------------------------------- metrics */

_Static_assert(METRICS_STREAMS_MAX >= SERVICE_UPSTREAMS_MAX, "a metrics row for every upstream");

/*  The figures of the streams, the store and the disk: read here, in the
 *  loop thread, a few times a second, never by the HTTP thread (the store
 *  is replaced by a compaction). */
static void s_metrics_gauges(service_t *self)
{
    metrics_snapshot_t *live = metrics_live(self->metrics);
    live->head = stream_log_head(self->log);
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        const stream_consumer_t *consumer = self->consumers[u];
        metrics_stream_t *m = &live->streams[u];
        m->cursor = stream_consumer_cursor(consumer);
        m->head = stream_consumer_head(consumer);
        m->rewound = stream_consumer_rewound(consumer);
        m->unlinked = stream_consumer_unlinked(consumer);
        if (m->keyed) {
            char path[CONFIG_PATH_MAX];
            auth_key_path("", config_service_name(self->def->upstreams[u].from), ".cert", path, sizeof path);
            m->key_missing = access(path, R_OK) != 0;
        }
    }
    live->has_log_lost = true;
    live->log_lost = event_log_lost();
    if (self->def->gauges)
        live->gauge_count = self->def->gauges(self->def->ctx, live->gauges, METRICS_GAUGES_MAX);
    store_space_t space;
    live->has_space = store_space(self->store, &space) == 0;
    if (live->has_space) {
        live->map_bytes = space.map_size;
        live->used_bytes = space.used;
        live->disk_free_bytes = space.disk_free;
        live->disk_total_bytes = space.disk_total;
    }
}

void service_metrics_publish(service_t *self, int64_t now_ms, bool force)
{
    if (!force && now_ms - self->metrics_at_ms < METRICS_PUBLISH_MS)
        return;
    self->metrics_at_ms = now_ms;
    s_metrics_gauges(self);
    metrics_publish(self->metrics, now_ms);
}

void service_health(service_t *self, msgpack_packer *pk, bool has_rid, uint64_t rid)
{
    int64_t now_ms = s_now_ms();
    s_metrics_gauges(self);
    health_pack(metrics_live(self->metrics), now_ms, pk, has_rid, rid);
}

/*  The figures, and the HTTP port that serves them.  A port that cannot
 *  be bound is logged and the service runs on: Prometheus then sees it
 *  down (`up == 0`), which is what the alert is for. */
static void s_start_metrics(service_t *self)
{
    self->metrics = metrics_new(config_service_name(self->def->id), s_now_ms());
    metrics_snapshot_t *live = metrics_live(self->metrics);
    live->stream_count = self->def->upstream_count;
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        snprintf(live->streams[u].producer, sizeof live->streams[u].producer, "%s",
                 config_service_name(self->def->upstreams[u].from));
        live->streams[u].keyed = !auth_stream_is_public(self->def->upstreams[u].from);
    }
    service_metrics_publish(self, s_now_ms(), true);
    self->metrics_server = metrics_server_new(self->metrics, config_metrics_bind(),
                                              config_metrics_port(self->def->id));
}

/*  The ROUTERs' items are first in the poll; then the upstreams whose
 *  reply is not waiting on its socket (s_streams_of_turn), upstream map[k]
 *  at item first + k.  Returns the count of items. */
static size_t s_poll_upstreams(service_t *self, zmq_pollitem_t *items, size_t first, const int64_t *waiting,
                               size_t *map)
{
    size_t k = 0;
    for (size_t u = 0; u < self->def->upstream_count; u++)
        if (waiting[u] < 0) {
            items[first + k] = (zmq_pollitem_t){zsock_resolve(stream_consumer_socket(self->consumers[u])), 0,
                                                ZMQ_POLLIN, 0};
            map[k++] = u;
        }
    return first + k;
}

/*  How long the poll may sleep: until the first waiting reply's time is up. */
static long s_poll_timeout(service_t *self, const int64_t *waiting, int64_t now_ms)
{
    long timeout = 100;
    for (size_t u = 0; u < self->def->upstream_count; u++)
        if (waiting[u] >= 0) {
            int64_t left = waiting[u] + self->stream_wait_ms - now_ms;
            if (left < timeout)
                timeout = left > 0 ? (long)left : 0;
        }
    return timeout;
}

/*  Which upstreams' replies the turn takes (streams_in), from those that
 *  came (came) and those that wait (waiting: since when, or -1).  A reply
 *  that comes with no request in, to a consumer that keeps up (its last
 *  batch was a few events up to the producer's head: this one is a held
 *  pull answered with the few committed since), waits up to
 *  ESSP_STREAM_WAIT_MS for company: the next turn, which a request or
 *  another stream's reply brings, takes every reply that waits.  The
 *  events its producer commits meanwhile come in one batch with the next
 *  pull.  At a thousand applications a second each service otherwise ran
 *  a turn, a commit and an fsync for every few events of each upstream,
 *  and the four services' fsyncs queued on the disk behind each other,
 *  the receipts' with them.  True when the turn takes any. */
static bool s_streams_of_turn(service_t *self, bool requests_in, const bool *came, int64_t *waiting,
                              int64_t now_ms, bool *streams_in)
{
    bool turn = requests_in, any = false;
    int64_t may_wait = self->stream_wait_ms;
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        if (came[u] && waiting[u] < 0) {
            if (!requests_in && may_wait > 0 && stream_consumer_at_head(self->consumers[u]))
                waiting[u] = now_ms;
            else
                streams_in[u] = turn = any = true;
        }
        if (waiting[u] >= 0 && now_ms >= waiting[u] + may_wait)
            turn = true;
    }
    for (size_t u = 0; turn && u < self->def->upstream_count; u++)
        if (waiting[u] >= 0) {
            streams_in[u] = any = true;
            waiting[u] = -1;
        }
    return any;
}

static void s_loop(service_t *self)
{
    zmq_pollitem_t items[2 + SERVICE_UPSTREAMS_MAX];
    size_t n = self->def->upstream_count, map[SERVICE_UPSTREAMS_MAX];
    int64_t waiting[SERVICE_UPSTREAMS_MAX];
    for (size_t u = 0; u < SERVICE_UPSTREAMS_MAX; u++)
        waiting[u] = -1;
    /* The plain ROUTER, the secure one when there is one, the upstreams. */
    items[0] = (zmq_pollitem_t){zsock_resolve(self->router), 0, ZMQ_POLLIN, 0};
    size_t first = 1;
    if (self->secure)
        items[first++] = (zmq_pollitem_t){zsock_resolve(self->secure), 0, ZMQ_POLLIN, 0};
    bool was_held = false;
    while (!zsys_interrupted) {
        int64_t now_ms = s_now_ms();
        /* Held for a backup: the upstreams are neither asked nor read (a
         * reply waiting on their sockets stays there until the hold ends). */
        bool held = service_held(self, now_ms);
        if (was_held && !held && self->hold_until_ms)
            log_warn("the backup's hold of the upstream streams ran out: following them again");
        was_held = held;
        /* No reply waits during a hold: a hold begins in a request's turn,
         * which takes every reply that waits, and a held upstream is not
         * polled; what came meanwhile is read once the hold ends. */
        for (size_t u = 0; !held && u < n; u++)
            stream_consumer_poll(self->consumers[u], now_ms);
        size_t count = held ? first : s_poll_upstreams(self, items, first, waiting, map);
        if (zmq_poll(items, (int)count, s_poll_timeout(self, waiting, now_ms)) < 0 && errno != EINTR)
            break;
        if (zsys_interrupted)
            break;
        now_ms = s_now_ms();
        bool requests_in = (items[0].revents & ZMQ_POLLIN) || (first > 1 && (items[1].revents & ZMQ_POLLIN));
        bool came[SERVICE_UPSTREAMS_MAX] = {false}, streams_in[SERVICE_UPSTREAMS_MAX] = {false};
        for (size_t k = first; k < count; k++)
            came[map[k - first]] = items[k].revents & ZMQ_POLLIN;
        bool streams = s_streams_of_turn(self, requests_in, came, waiting, now_ms, streams_in);
        if (requests_in || streams)
            service_turn(self, requests_in, streams_in, now_ms);
        if (self->compact)
            s_compact(self);
        service_serve_parked(self, now_ms);
        service_room_watch(self, now_ms);
        service_memory_idle(self, now_ms);
        service_metrics_publish(self, now_ms, false);
    }
}

static void s_destroy(service_t *self)
{
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        if (self->consumers[u])
            msgpack_zone_destroy(&self->upstream[u].zone);
        stream_consumer_destroy(&self->consumers[u]);
    }
    while (self->parked_count)
        service_unpark(self, 0);
    metrics_server_destroy(&self->metrics_server);
    metrics_destroy(&self->metrics);
    zsock_destroy(&self->router);
    zsock_destroy(&self->secure);
    zactor_destroy(&self->auth);
    zcert_destroy(&self->cert);
    stream_log_destroy(&self->log);
    store_destroy(&self->store);
    msgpack_sbuffer_destroy(&self->event_buf);
    msgpack_zone_destroy(&self->request_zone);
    msgpack_sbuffer_destroy(&self->early_buf);
    msgpack_sbuffer_destroy(&self->late_buf);
    if (self->pid_path[0])
        unlink(self->pid_path);
    free(self);
}

/*  Once the loop has stopped every transaction is committed: nothing is
 *  left to lose.  ZeroMQ's teardown may still wait for its I/O thread,
 *  which can be inside a name lookup of a peer that has just gone (the
 *  containers of a stack stopped together wait on DNS): a stop is not held
 *  longer than S_STOP_GRACE_S for it. */
#define S_STOP_GRACE_S 5

static void s_stop_now(int sig)
{
    (void)sig;
    static const char said[] = "stopping: ZeroMQ's teardown took too long, exiting without it\n";
    ssize_t n = write(STDERR_FILENO, said, sizeof said - 1);
    (void)n;
    _exit(0);
}

int service_main(const service_def_t *def)
{
    entropy_install();
    log_set_name(config_service_name(def->id));
    log_set_level_from_env();
    /* From here on, the service's lines go to its own file or the journal
     * (common/event_log.h); stderr keeps what is not a line of ours (a
     * sanitizer's report, an abort). */
    event_log_open(config_service_name(def->id));
    if (config_base_port() < 0) {
        log_error("ESSP_PORT must be a port number");
        return 2;
    }
    service_t *self = calloc(1, sizeof *self);
    assert(self);
    self->def = def;
    msgpack_sbuffer_init(&self->event_buf);
    msgpack_packer_init(&self->event_pk, &self->event_buf, msgpack_sbuffer_write);
    msgpack_zone_init(&self->request_zone, 65536);
    msgpack_sbuffer_init(&self->early_buf);
    msgpack_packer_init(&self->early_pk, &self->early_buf, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->late_buf);
    msgpack_packer_init(&self->late_pk, &self->late_buf, msgpack_sbuffer_write);
    service_room_init(self);
    zsys_init();
    zsys_set_logsystem(false);
    int code = 1;
    if (s_load_cert(self) == 0 && s_open_store(self) == 0 && s_start(self) == 0 && s_bind(self) == 0
        && s_bind_secure(self) == 0 && s_write_pid(self) == 0 && s_attach(self) == 0) {
        s_start_metrics(self);
        log_info("started (pid %ld)", (long)getpid());
        s_loop(self);
        log_info("stopping: SIGTERM received, last transaction committed");
        signal(SIGALRM, s_stop_now);
        alarm(S_STOP_GRACE_S);
        code = 0;
    }
    if (self->attached && self->def->detach)
        self->def->detach(self->def->ctx, self);
    s_destroy(self);
    return code;
}
