/*  common/service.c - see service.h. */
#include "service.h"

#include "auth.h"
#include "proto/doc.h"
#include "log.h"
#include "store.h"
#include "stream_consumer.h"
#include "stream_log.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <assert.h>
#include <stdarg.h>
#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_PARKED_MAX 4096
#define S_DB_EVENTS  "events"
#define S_DB_CURSORS "cursors"

/*  A pull that found nothing new, waiting for an event or its deadline. */
typedef struct {
    zsock_t *router;             /* the ROUTER it came in on */
    zmsg_t *envelope;            /* routing frames to answer on */
    uint64_t after;
    size_t max;
    bool has_rid;
    uint64_t rid;
    int64_t deadline_ms;
} parked_pull_t;

/*  One request of a batch, kept until its reply is sent. */
typedef struct {
    zsock_t *router;             /* the ROUTER it came in on, to answer on */
    zmsg_t *envelope;
    zframe_t *payload;
    msgpack_object msg;          /* decoded into the batch's zone */
    service_request_t req;
    size_t reply_off, reply_len; /* the reply, in early_buf when ready, else in late_buf */
    bool is_pull;
    bool ready;                  /* reply packed (error or pong) before the transaction */
} pending_t;

/*  What an upstream delivered in this turn of the loop, applied in the
 *  turn's transaction.  The events point into the consumer's last reply
 *  and into zone, both kept until the next turn. */
typedef struct {
    msgpack_zone zone;
    const msgpack_object *events;
    size_t first;                /* index of the first event after the cursor */
    uint64_t last;               /* seq of the last event applied */
    bool ready;                  /* a batch to apply this turn */
} upstream_batch_t;

struct service_t {
    const service_def_t *def;
    store_t *store;
    size_t db_count;             /* the core's databases; events, cursors follow */
    stream_log_t *log;
    zsock_t *router;
    zsock_t *secure;             /* the CURVE ROUTER, when secure_types is set */
    zactor_t *auth;              /* zauth, answering the secure ROUTER's ZAP requests */
    stream_consumer_t *consumers[SERVICE_UPSTREAMS_MAX];
    upstream_batch_t upstream[SERVICE_UPSTREAMS_MAX];
    parked_pull_t parked[S_PARKED_MAX];
    size_t parked_count;
    msgpack_sbuffer event_buf;
    msgpack_packer event_pk;
    pending_t batch[SERVICE_BATCH];
    /* Reused by every batch: one zone for its decoded requests, one buffer
     * for the replies packed before the transaction (refusals, pongs) and
     * one for those the core packs inside it, which a rollback clears. */
    msgpack_zone request_zone;
    msgpack_sbuffer early_buf, late_buf;
    msgpack_packer early_pk, late_pk;
    char pid_path[CONFIG_PATH_MAX];
    char inproc[64];             /* the ROUTER's in-process endpoint */
    bool attached;               /* def->attach succeeded: detach at the end */
    bool compact;                /* an erasure committed: compact the store after the turn */
};

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
    return SERVICE_REFUSED;
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

const char *service_inproc_endpoint(service_t *self)
{
    return self->inproc;
}

int service_log_redact(service_t *self, MDB_txn *txn, const char *id, size_t id_len,
                       stream_log_rewrite_fn rewrite, void *arg, size_t *count)
{
    /* The erased bytes leave the live records at the commit, but LMDB
     * keeps them in the freed pages: the turn ends with a compaction. */
    int rc = stream_log_redact(self->log, txn, id, id_len, rewrite, arg, count);
    self->compact = self->compact || rc == 0;
    return rc;
}

uint64_t service_log_head(service_t *self)
{
    return stream_log_head(self->log);
}

/* ---------------------------------------------------------------- replies */

static void s_send(zsock_t *router, zmsg_t *envelope, const void *data, size_t size)
{
    /* The routing frames, then the reply, sent as they are: no copy of
     * the envelope.  A ROUTER drops what it cannot route (client gone):
     * never blocks. */
    void *socket = zsock_resolve(router);
    for (zframe_t *frame = zmsg_first(envelope); frame; frame = zmsg_next(envelope))
        zmq_send(socket, zframe_data(frame), zframe_size(frame), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(socket, data, size, ZMQ_DONTWAIT);
}

static void s_pack_batch(service_t *self, MDB_txn *txn, msgpack_packer *pk, bool has_rid,
                         uint64_t rid, uint64_t after, size_t max)
{
    proto_pack_reply(pk, "batch", has_rid, rid, 2);
    proto_pack_kv_uint(pk, "head", stream_log_head(self->log));
    proto_pack_str(pk, "events");
    stream_log_pack_after(self->log, txn, after, max, PROTO_BATCH_BYTES, pk);
}

static void s_free_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

static void s_answer_pull(service_t *self, MDB_txn *txn, zsock_t *router, zmsg_t *envelope, bool has_rid,
                          uint64_t rid, uint64_t after, size_t max)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    s_pack_batch(self, txn, &pk, has_rid, rid, after, max);
    /* A batch may weigh megabytes: ZeroMQ takes the buffer over and frees
     * it once sent, instead of sending a copy. */
    size_t size = buf.size;
    void *data = msgpack_sbuffer_release(&buf);
    zmq_msg_t msg;
    if (zmq_msg_init_data(&msg, data, size, s_free_buffer, NULL) != 0) {
        s_send(router, envelope, data, size);
        free(data);
        return;
    }
    void *socket = zsock_resolve(router);
    for (zframe_t *frame = zmsg_first(envelope); frame; frame = zmsg_next(envelope))
        zmq_send(socket, zframe_data(frame), zframe_size(frame), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (zmq_msg_send(&msg, socket, ZMQ_DONTWAIT) < 0)
        zmq_msg_close(&msg);
}

static void s_unpark(service_t *self, size_t i)
{
    zmsg_destroy(&self->parked[i].envelope);
    self->parked[i] = self->parked[--self->parked_count];
}

/*  Answers every held pull that now has events, or whose wait is over. */
static void s_serve_parked(service_t *self, int64_t now_ms)
{
    uint64_t head = stream_log_head(self->log);
    MDB_txn *txn = NULL;
    for (size_t i = 0; i < self->parked_count;) {
        parked_pull_t *p = &self->parked[i];
        if (p->after >= head && now_ms < p->deadline_ms) {
            i++;
            continue;
        }
        if (!txn && store_begin(self->store, true, &txn) != 0)
            return;
        s_answer_pull(self, txn, p->router, p->envelope, p->has_rid, p->rid, p->after, p->max);
        s_unpark(self, i);
    }
    if (txn)
        mdb_txn_abort(txn);
}

static void s_handle_pull(service_t *self, MDB_txn **read_txn, pending_t *p, int64_t now_ms)
{
    uint64_t after = 0, max = 100, wait = 0;
    doc_uint(p->req.msg, "after", &after);
    doc_uint(p->req.msg, "max", &max);
    doc_uint(p->req.msg, "wait", &wait);
    if (after >= stream_log_head(self->log) && wait > 0 && self->parked_count < S_PARKED_MAX) {
        parked_pull_t *parked = &self->parked[self->parked_count++];
        parked->router = p->router;
        parked->envelope = p->envelope;
        p->envelope = NULL;
        parked->after = after;
        parked->max = max;
        parked->has_rid = p->req.has_rid;
        parked->rid = p->req.rid;
        parked->deadline_ms = now_ms + (int64_t)wait;
        return;
    }
    if (!*read_txn && store_begin(self->store, true, read_txn) != 0)
        return;
    s_answer_pull(self, *read_txn, p->router, p->envelope, p->req.has_rid, p->req.rid, after, max);
}

/* --------------------------------------------------------------- requests */

/*  Records that request p's reply was just packed into buf from off on. */
static void s_reply_packed(pending_t *p, const msgpack_sbuffer *buf, size_t off)
{
    p->reply_off = off;
    p->reply_len = buf->size - off;
}

/*  True when this request type is answered only on the secure ROUTER. */
static bool s_needs_secure(service_t *self, const char *type)
{
    for (const char *const *t = self->def->secure_types; t && *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    return false;
}

/*  Decodes and checks one request; packs an error reply when it is refused
 *  and a pong for ping, which need no transaction. */
static void s_pending_prepare(service_t *self, pending_t *p, int64_t now_wall_ms)
{
    int64_t now = now_wall_ms / 1000;
    proto_error_t err;
    proto_error_clear(&err);
    msgpack_packer *pk = &self->early_pk;
    size_t off = self->early_buf.size;
    p->req.msg = &p->msg;
    p->req.reply = &self->late_pk;
    p->req.now = now;
    p->req.now_ms = now_wall_ms;
    p->req.type = NULL;
    p->req.peer_name = p->req.peer_role = NULL;
    if (p->router == self->secure)
        auth_peer(p->payload, &p->req.peer_name, &p->req.peer_role);
    if (wire_decode(zframe_data(p->payload), zframe_size(p->payload), &self->request_zone, &p->msg, &err)
        || proto_request_check(&p->msg, &p->req.type, &p->req.rid, &p->req.has_rid, &err)) {
        log_info("refused a request: %s (field '%s', rule %s)", err.message, err.field, err.rule);
        proto_pack_error(pk, p->req.has_rid, p->req.rid, PROTO_E_INVALID, &err);
        p->ready = true;
    } else if (p->router != self->secure && s_needs_secure(self, p->req.type)) {
        proto_error_set(&err, "type", "authentication",
                        "'%s' needs a member or staff key: send it to the authenticated endpoint "
                        "(CURVE, see essp endpoints)", p->req.type);
        proto_pack_error(pk, p->req.has_rid, p->req.rid, PROTO_E_FORBIDDEN, &err);
        p->ready = true;
    } else if (p->router == self->secure && !p->req.peer_name) {
        proto_error_set(&err, "type", "authentication", "this key carries no name and role");
        proto_pack_error(pk, p->req.has_rid, p->req.rid, PROTO_E_FORBIDDEN, &err);
        p->ready = true;
    } else if (strcmp(p->req.type, "pull") == 0) {
        p->is_pull = true;
    } else if (strcmp(p->req.type, "ping") == 0) {
        proto_pack_reply(pk, "pong", p->req.has_rid, p->req.rid, 2);
        proto_pack_kv_str(pk, "service", config_service_name(self->def->id));
        proto_pack_kv_uint(pk, "head", stream_log_head(self->log));
        p->ready = true;
    }
    if (p->ready)
        s_reply_packed(p, &self->early_buf, off);
}

/*  Takes what is ready on router into the batch, from index count on. */
static size_t s_receive_from(service_t *self, zsock_t *router, size_t count)
{
    while (router && count < SERVICE_BATCH && (zsock_events(router) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv(router);
        if (!msg)
            break;
        pending_t *p = &self->batch[count];
        *p = (pending_t){.router = router};
        /* The payload is the last frame; the frames before it route the
         * reply back (identity, and the empty delimiter of a REQ client). */
        p->payload = zmsg_last(msg);
        zmsg_remove(msg, p->payload);
        p->envelope = msg;
        count++;
    }
    return count;
}

static size_t s_receive_batch(service_t *self)
{
    msgpack_zone_clear(&self->request_zone);
    msgpack_sbuffer_clear(&self->early_buf);
    msgpack_sbuffer_clear(&self->late_buf);
    return s_receive_from(self, self->secure, s_receive_from(self, self->router, 0));
}

static void s_release_batch(service_t *self, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        pending_t *p = &self->batch[i];
        zmsg_destroy(&p->envelope);
        zframe_destroy(&p->payload);
    }
}

/*  Ends a write transaction: commits it when everything in it succeeded,
 *  else rolls it back; the log's head follows either way.  Returns the
 *  final code. */
static int s_end_txn(service_t *self, MDB_txn *txn, int rc)
{
    if (rc == 0)
        rc = store_commit(self->store, txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (rc == 0)
        stream_log_committed(self->log);
    else
        stream_log_aborted(self->log);
    return rc;
}

static const char *s_reply_of(service_t *self, const pending_t *p)
{
    const msgpack_sbuffer *buf = p->ready ? &self->early_buf : &self->late_buf;
    return p->reply_len ? buf->data + p->reply_off : "";
}

/*  Runs one request in the core; its reply goes to late_buf. */
static int s_handle(service_t *self, MDB_txn *txn, pending_t *p)
{
    size_t off = self->late_buf.size;
    int rc = self->def->handle(self->def->ctx, self, txn, &p->req);
    s_reply_packed(p, &self->late_buf, off);
    return rc == SERVICE_REFUSED ? 0 : rc;
}

/*  Runs every request of the batch that needs the core in one write
 *  transaction.  Returns 0 (committed), or the LMDB code of a failure after
 *  rolling back. */
static int s_run_batch(service_t *self, size_t count)
{
    MDB_txn *txn = NULL;
    int rc = store_begin(self->store, false, &txn);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        pending_t *p = &self->batch[i];
        if (p->ready || p->is_pull)
            continue;
        rc = s_handle(self, txn, p);
    }
    return s_end_txn(self, txn, rc);
}

static bool s_batch_needs_txn(service_t *self, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!self->batch[i].ready && !self->batch[i].is_pull)
            return true;
    return false;
}

static void s_fail_batch(service_t *self, size_t count, int rc)
{
    proto_error_t err;
    proto_error_set(&err, "", "storage", "the service could not store the request (%s); nothing was changed, try again",
                    mdb_strerror(rc));
    log_error("batch of %zu rolled back: %s", count, mdb_strerror(rc));
    msgpack_sbuffer_clear(&self->late_buf);
    for (size_t i = 0; i < count; i++) {
        pending_t *p = &self->batch[i];
        if (p->ready || p->is_pull)
            continue;
        size_t off = self->late_buf.size;
        proto_pack_error(&self->late_pk, p->req.has_rid, p->req.rid, PROTO_E_INTERNAL, &err);
        s_reply_packed(p, &self->late_buf, off);
    }
}

/*  After a rollback: the replies the core packed go; the requests run
 *  again and pack them anew. */
static void s_reset_replies(service_t *self, size_t count)
{
    (void)count;
    msgpack_sbuffer_clear(&self->late_buf);
}

/* ---------------------------------------------------------------- streams */

/*  Takes upstream u's reply into the turn; true when it holds events to
 *  apply. */
static bool s_receive_upstream(service_t *self, size_t u, int64_t now_ms)
{
    upstream_batch_t *b = &self->upstream[u];
    msgpack_zone_clear(&b->zone);
    b->last = 0;
    return stream_consumer_receive(self->consumers[u], &b->zone, &b->events, &b->first, now_ms) == 1;
}

/*  Applies upstream u's batch and its new cursor inside txn; 0 or an LMDB
 *  code. */
static int s_apply_upstream(service_t *self, MDB_txn *txn, size_t u, int64_t now)
{
    const service_upstream_t *up = &self->def->upstreams[u];
    upstream_batch_t *b = &self->upstream[u];
    stream_consumer_t *consumer = self->consumers[u];
    int rc = 0;
    for (size_t i = b->first; rc == 0 && i < doc_len(b->events); i++) {
        const msgpack_object *event = doc_at(b->events, i);
        const char *type;
        proto_error_t err;
        if (proto_event_check(event, &type, &b->last, &err)) {
            log_error("stream %s: event refused: %s", stream_consumer_name(consumer), err.message);
            return MDB_INCOMPATIBLE;
        }
        rc = up->apply(self->def->ctx, self, txn, type, event, now);
    }
    if (rc == 0)
        rc = store_put_u64(txn, store_db(self->store, self->db_count + 1),
                           stream_consumer_name(consumer), b->last);
    return rc;
}

/*  Upstream u's batch alone, in its own transaction. */
static int s_apply_events(service_t *self, size_t u, int64_t now)
{
    MDB_txn *txn = NULL;
    int rc = store_begin(self->store, false, &txn);
    if (rc == 0)
        rc = s_apply_upstream(self, txn, u, now);
    return s_end_txn(self, txn, rc);
}

/* ------------------------------------------------------------------ turns */

/*  Everything a turn of the loop received, the requests that need the
 *  core and every upstream batch, in ONE write transaction: one commit and
 *  one fsync per turn instead of one per part, and a request never waits
 *  behind the commits of stream batches.  0 or the LMDB code of a
 *  failure, after rolling back. */
static int s_run_turn(service_t *self, size_t count, bool requests, int64_t now)
{
    MDB_txn *txn = NULL;
    int rc = store_begin(self->store, false, &txn);
    for (size_t i = 0; rc == 0 && requests && i < count; i++) {
        pending_t *p = &self->batch[i];
        if (!p->ready && !p->is_pull)
            rc = s_handle(self, txn, p);
    }
    for (size_t u = 0; rc == 0 && u < self->def->upstream_count; u++)
        if (self->upstream[u].ready)
            rc = s_apply_upstream(self, txn, u, now);
    return s_end_txn(self, txn, rc);
}

/*  After a turn failed as a whole: each part again in its own transaction,
 *  as before the turns were merged, so that a poisoned batch of one stream
 *  neither refuses the requests nor stops the other streams. */
static void s_commit_apart(service_t *self, size_t count, bool requests, int64_t now, int64_t now_ms)
{
    int rc;
    if (requests) {
        s_reset_replies(self, count);
        while ((rc = s_run_batch(self, count)) == MDB_MAP_FULL && store_grow(self->store) == 0)
            s_reset_replies(self, count);
        if (rc)
            s_fail_batch(self, count, rc);
    }
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        if (!self->upstream[u].ready)
            continue;
        stream_consumer_t *consumer = self->consumers[u];
        while ((rc = s_apply_events(self, u, now)) == MDB_MAP_FULL && store_grow(self->store) == 0)
            ;
        if (rc == 0) {
            stream_consumer_advance(consumer, self->upstream[u].last, now_ms);
            continue;
        }
        log_error("stream %s: batch not applied (%s); retrying from %llu", stream_consumer_name(consumer),
                  mdb_strerror(rc), (unsigned long long)stream_consumer_cursor(consumer));
        stream_consumer_backoff(consumer, now_ms);
    }
}

static void s_commit_turn(service_t *self, size_t count, bool requests, int64_t now, int64_t now_ms)
{
    int rc;
    while ((rc = s_run_turn(self, count, requests, now)) == MDB_MAP_FULL && store_grow(self->store) == 0)
        s_reset_replies(self, count);
    if (rc) {
        size_t handled = 0, batches = 0;
        for (size_t i = 0; requests && i < count; i++)
            handled += !self->batch[i].ready && !self->batch[i].is_pull;
        for (size_t u = 0; u < self->def->upstream_count; u++)
            batches += self->upstream[u].ready;
        log_warn("turn rolled back (%s): its %zu requests and %zu stream batches again, one transaction each",
                 mdb_strerror(rc), handled, batches);
        s_commit_apart(self, count, requests, now, now_ms);
        return;
    }
    for (size_t u = 0; u < self->def->upstream_count; u++)
        if (self->upstream[u].ready)
            stream_consumer_advance(self->consumers[u], self->upstream[u].last, now_ms);
}

/*  One turn of the loop: takes the ready requests and the upstream
 *  replies, commits what they change, and only then answers. */
static void s_turn(service_t *self, bool requests_in, const bool *streams_in, int64_t now_ms)
{
    size_t count = requests_in ? s_receive_batch(self) : 0;
    /* The batch's time, read once here and given to the core with each
     * request: the core never reads a clock. */
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    int64_t now = wall_ms / 1000;
    for (size_t i = 0; i < count; i++)
        s_pending_prepare(self, &self->batch[i], wall_ms);
    bool requests = s_batch_needs_txn(self, count), streams = false;
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        self->upstream[u].ready = streams_in[u] && s_receive_upstream(self, u, now_ms);
        streams = streams || self->upstream[u].ready;
    }
    if (requests || streams)
        s_commit_turn(self, count, requests, now, now_ms);
    /* Durable now: reply. */
    MDB_txn *read_txn = NULL;
    for (size_t i = 0; i < count; i++) {
        pending_t *p = &self->batch[i];
        if (p->is_pull)
            s_handle_pull(self, &read_txn, p, now_ms);
        else
            s_send(p->router, p->envelope, s_reply_of(self, p), p->reply_len);
    }
    if (read_txn)
        mdb_txn_abort(read_txn);
    s_release_batch(self, count);
}

/* ------------------------------------------------------------ life cycle */

static int s_write_pid(service_t *self)
{
    char dir[CONFIG_PATH_MAX / 2];
    config_path("run", dir, sizeof dir);
    if (config_mkdirs(dir))
        return -1;
    snprintf(self->pid_path, sizeof self->pid_path, "%s/%s.pid", dir,
             config_service_name(self->def->id));
    FILE *file = fopen(self->pid_path, "w");
    if (!file)
        return -1;
    fprintf(file, "%ld\n", (long)getpid());
    return fclose(file);
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
    assert(n + 2 <= STORE_DBS_MAX);
    self->db_count = n;
    names[n] = S_DB_EVENTS;
    names[n + 1] = S_DB_CURSORS;
    names[n + 2] = NULL;
}

static int s_open_store(service_t *self)
{
    const char *names[STORE_DBS_MAX + 1];
    s_store_names(self, names);
    char dir[CONFIG_PATH_MAX];
    s_data_dir(self, dir, sizeof dir);
    self->store = store_new(dir, names);
    return self->store ? 0 : -1;
}

static int s_start(service_t *self)
{
    MDB_txn *txn;
    int rc = store_begin(self->store, false, &txn);
    if (rc)
        return rc;
    self->log = stream_log_new(txn, store_db(self->store, self->db_count));
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        service_id_t from = self->def->upstreams[u].from;
        uint64_t cursor = 0;
        store_get_u64(txn, store_db(self->store, self->db_count + 1), config_service_name(from), &cursor);
        char endpoint[CONFIG_ENDPOINT_MAX];
        config_connect_endpoint(from, endpoint, sizeof endpoint);
        self->consumers[u] = stream_consumer_new(config_service_name(from), endpoint, cursor,
                                                 PROTO_BATCH_MAX, 1000);
        msgpack_zone_init(&self->upstream[u].zone, 65536);
        log_info("following %s at %s from seq %llu", config_service_name(from), endpoint,
                 (unsigned long long)cursor);
    }
    if (self->def->start)
        rc = self->def->start(self->def->ctx, self, txn);
    if (rc == 0)
        rc = store_commit(self->store, txn);
    else
        mdb_txn_abort(txn);
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

/*  The CURVE ROUTER, behind zauth: zauth runs before the bind, since
 *  without a ZAP handler libzmq would accept any client that knows the
 *  server's public key. */
static int s_bind_secure(service_t *self)
{
    if (!self->def->secure_types)
        return 0;
    zcert_t *cert = auth_server_cert(self->def->id);
    self->auth = cert ? auth_start() : NULL;
    if (!self->auth) {
        log_error("cannot start the authentication of the secure endpoint (keys under %s/keys)",
                  config_home());
        zcert_destroy(&cert);
        return -1;
    }
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_bind_endpoint(self->def->id, endpoint, sizeof endpoint);
    self->secure = zsock_new(ZMQ_ROUTER);
    assert(self->secure);
    auth_make_server(self->secure, cert);
    zcert_destroy(&cert);
    zsock_set_maxmsgsize(self->secure, PROTO_REQUEST_MAX);
    zsock_set_linger(self->secure, 0);
    zsock_set_sndhwm(self->secure, 100000);
    zsock_set_rcvhwm(self->secure, 100000);
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
    if (self->def->attach(self->def->ctx, self) != 0)
        return -1;
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
    if (store_compact(&self->store, dir, names) != 0 && !self->store) {
        log_error("compaction: cannot reopen the store: stopping, to be restarted");
        abort();
    }
}

static void s_loop(service_t *self)
{
    zmq_pollitem_t items[2 + SERVICE_UPSTREAMS_MAX];
    size_t n = self->def->upstream_count;
    /* The plain ROUTER, the secure one when there is one, the upstreams. */
    items[0] = (zmq_pollitem_t){zsock_resolve(self->router), 0, ZMQ_POLLIN, 0};
    size_t first = 1;
    if (self->secure)
        items[first++] = (zmq_pollitem_t){zsock_resolve(self->secure), 0, ZMQ_POLLIN, 0};
    for (size_t u = 0; u < n; u++)
        items[first + u] = (zmq_pollitem_t){zsock_resolve(stream_consumer_socket(self->consumers[u])), 0,
                                        ZMQ_POLLIN, 0};
    while (!zsys_interrupted) {
        int64_t now_ms = s_now_ms();
        for (size_t u = 0; u < n; u++)
            stream_consumer_poll(self->consumers[u], now_ms);
        if (zmq_poll(items, (int)(first + n), 100) < 0 && errno != EINTR)
            break;
        if (zsys_interrupted)
            break;
        now_ms = s_now_ms();
        bool requests_in = (items[0].revents & ZMQ_POLLIN) || (first > 1 && (items[1].revents & ZMQ_POLLIN));
        bool streams_in[SERVICE_UPSTREAMS_MAX] = {false};
        bool any = requests_in;
        for (size_t u = 0; u < n; u++) {
            streams_in[u] = items[first + u].revents & ZMQ_POLLIN;
            any = any || streams_in[u];
        }
        if (any)
            s_turn(self, requests_in, streams_in, now_ms);
        if (self->compact)
            s_compact(self);
        s_serve_parked(self, now_ms);
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
        s_unpark(self, 0);
    zsock_destroy(&self->router);
    zsock_destroy(&self->secure);
    zactor_destroy(&self->auth);
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

int service_main(const service_def_t *def)
{
    log_set_name(config_service_name(def->id));
    log_set_level_from_env();
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
    zsys_init();
    zsys_set_logsystem(false);
    int code = 1;
    if (s_open_store(self) == 0 && s_start(self) == 0 && s_bind(self) == 0 && s_bind_secure(self) == 0
        && s_write_pid(self) == 0
        && s_attach(self) == 0) {
        log_info("started (pid %ld)", (long)getpid());
        s_loop(self);
        log_info("stopping: SIGTERM received, last transaction committed");
        code = 0;
    }
    if (self->attached && self->def->detach)
        self->def->detach(self->def->ctx, self);
    s_destroy(self);
    return code;
}
