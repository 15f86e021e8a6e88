/*  common/service_turn.c - a turn of the service's loop: the pulls of
 *  consumers that lag answered first, from what is committed; then the
 *  requests and the upstream batches, run in one write transaction,
 *  committed, then answered, and the other pulls; apart when together they
 *  fail (see service.h, service_impl.h). */
#include "service_impl.h"

#include "auth.h"
#include "event_log.h"
#include "log.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <string.h>
#include <time.h>

/* --------------------------------------------------------------- requests */

/*  Records that request p's reply was just packed into buf from off on. */
static void s_reply_packed(pending_t *p, const msgpack_sbuffer *buf, size_t off)
{
    p->reply_off = off;
    p->reply_len = buf->size - off;
}

/*  True when type is one of the service's quiet_types. */
static bool s_is_quiet(service_t *self, const char *type)
{
    for (const char *const *t = self->def->quiet_types; type && t && *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    return false;
}

/*  What request p ended as, once the turn is committed and its reply
 *  packed, just before the replies go (a pull: once answered or held):
 *  called once per request.  The log's line; the place for
 *  every other account of the requests. */
static void s_observe(service_t *self, const pending_t *p, int64_t duration_us)
{
    const service_outcome_t *o = &p->req.outcome;
    /* A held pull's time is its wait, by design: counted, not timed. */
    metrics_request(self->metrics, p->req.type, o->code[0] ? o->code : "ok", o->rule,
                    p->is_pull ? -1 : duration_us);
    uint64_t after;
    if (p->is_pull && p->req.peer_role && strcmp(p->req.peer_role, AUTH_ROLE_SERVICE) == 0
        && doc_uint(&p->msg, "after", &after))
        metrics_reader(self->metrics, p->req.peer_name, after);
    /* Pulls are the streams' own traffic, a steady beat of long polls:
     * no line each; nor the quiet types when answered. */
    if (p->is_pull || (!o->code[0] && s_is_quiet(self, p->req.type)))
        return;
    event_log_request(p->req.type, o->id, o->code[0] ? o->code : "ok", o->rule, duration_us,
                      p->req.peer_name);
}

/*  One event of upstream u applied and committed: called once per event. */
static void s_observe_event(service_t *self, size_t u, uint64_t seq, const char *type, const char *id,
                            const char *outcome)
{
    event_log_event(stream_consumer_name(self->consumers[u]), seq, type, id, outcome);
    metrics_live(self->metrics)->streams[u].applied++;
}

/*  Sets what p ended as before it runs (again, after a rollback): answered,
 *  about the application its "id" names. */
static void s_outcome_reset(pending_t *p)
{
    service_outcome_t *o = &p->req.outcome;
    const char *id;
    size_t len;
    *o = (service_outcome_t){.code = ""};
    if (p->req.type && doc_str(&p->msg, "id", &id, &len))
        service_request_set_id(&p->req, id, len);
}

/*  Packs an error reply before the transaction and records it. */
static void s_refuse_early(service_t *self, pending_t *p, const char *code, const proto_error_t *err)
{
    proto_pack_error(&self->early_pk, p->req.has_rid, p->req.rid, code, err);
    service_outcome_refused(&p->req.outcome, code, err->rule);
    p->ready = true;
}

/*  True when this request type is answered only on the secure ROUTER. */
static bool s_needs_secure(service_t *self, const char *type)
{
    for (const char *const *t = self->def->secure_types; t && *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    return false;
}

bool service_held(const service_t *self, int64_t now_ms)
{
    return now_ms < self->hold_until_ms;
}

/*  backup_hold, asked by `essp backup` with the staff key: from now until
 *  ms have passed (or a hold of 0 ms ends it), this service takes no
 *  batch from its upstream streams, so its cursors stay where they are
 *  while the stores it follows are copied; its requests are served as
 *  usual.  The deadline ends a hold whose backup died.  The reply carries
 *  the cursors, which the backup compares with those in this service's
 *  copy (see services/cli/cmd_backup.c for why this makes a consistent
 *  backup). */
static void s_backup_hold(service_t *self, pending_t *p, msgpack_packer *pk, int64_t now_ms)
{
    uint64_t ms = 0;
    doc_uint(&p->msg, "ms", &ms);
    bool was = service_held(self, now_ms);
    self->hold_until_ms = ms ? now_ms + (int64_t)ms : 0;
    if (ms && !was)
        log_info("upstream streams held for a backup (%s, at most %llu ms)", p->req.peer_name,
                 (unsigned long long)ms);
    else if (!ms && was)
        log_info("upstream streams released by the backup (%s)", p->req.peer_name);
    proto_pack_reply(pk, "held", p->req.has_rid, p->req.rid, 3);
    proto_pack_kv_str(pk, "service", config_service_name(self->def->id));
    proto_pack_kv_uint(pk, "ms", ms);
    proto_pack_str(pk, "cursors");
    msgpack_pack_map(pk, self->def->upstream_count);
    for (size_t u = 0; u < self->def->upstream_count; u++)
        proto_pack_kv_uint(pk, stream_consumer_name(self->consumers[u]),
                           stream_consumer_cursor(self->consumers[u]));
}

/*  Decodes and checks one request; packs an error reply when it is refused
 *  and a pong for ping, which need no transaction. */
static void s_pending_prepare(service_t *self, pending_t *p, int64_t now_wall_ms, int64_t now_ms)
{
    int64_t now = now_wall_ms / 1000;
    proto_error_t err;
    proto_error_clear(&err);
    msgpack_packer *pk = &self->early_pk;
    size_t off = self->early_buf.size;
    p->req.outcome = (service_outcome_t){.code = ""};
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
        /* Not err.message: it may quote what was sent. */
        log_info("refused a request: field '%s', rule %s", err.field, err.rule);
        s_refuse_early(self, p, PROTO_E_INVALID, &err);
    } else if (p->router != self->secure && s_needs_secure(self, p->req.type)) {
        proto_error_set(&err, "type", "authentication",
                        "'%s' needs a member or staff key: send it to the authenticated endpoint "
                        "(CURVE, see essp endpoints)", p->req.type);
        s_refuse_early(self, p, PROTO_E_FORBIDDEN, &err);
    } else if (p->router == self->secure && !p->req.peer_name) {
        proto_error_set(&err, "type", "authentication", "this key carries no name and role");
        s_refuse_early(self, p, PROTO_E_FORBIDDEN, &err);
    } else if (strcmp(p->req.type, "pull") == 0
               && !auth_may_pull(self->def->id, p->req.peer_name, p->req.peer_role)) {
        /* A private stream: on the plain ROUTER nobody is known; on the
         * secure one, the key is not one of its consumers' nor staff's. */
        if (p->router != self->secure)
            proto_error_set(&err, "type", "authentication",
                            "the %s stream carries private data: pull it on the authenticated endpoint "
                            "(CURVE, see essp endpoints) with the key of a consumer or of staff",
                            config_service_name(self->def->id));
        else
            proto_error_set(&err, "type", "role", "the key of %s (%s) may not pull the %s stream",
                            p->req.peer_name, p->req.peer_role, config_service_name(self->def->id));
        s_refuse_early(self, p, PROTO_E_FORBIDDEN, &err);
    } else if (strcmp(p->req.type, "pull") == 0) {
        p->is_pull = true;
    } else if (strcmp(p->req.type, "backup_hold") == 0
               && (p->router != self->secure || strcmp(p->req.peer_role, AUTH_ROLE_STAFF) != 0)) {
        if (p->router != self->secure)
            proto_error_set(&err, "type", "authentication",
                            "'backup_hold' needs the staff key: send it to the authenticated endpoint "
                            "(CURVE, see essp endpoints)");
        else
            proto_error_set(&err, "type", "role", "only staff may hold the streams for a backup (%s is %s)",
                            p->req.peer_name, p->req.peer_role);
        proto_pack_error(pk, p->req.has_rid, p->req.rid, PROTO_E_FORBIDDEN, &err);
        p->ready = true;
    } else if (strcmp(p->req.type, "backup_hold") == 0) {
        s_backup_hold(self, p, pk, now_ms);
        p->ready = true;
    } else if (strcmp(p->req.type, "ping") == 0) {
        proto_pack_reply(pk, "pong", p->req.has_rid, p->req.rid, 2);
        proto_pack_kv_str(pk, "service", config_service_name(self->def->id));
        proto_pack_kv_uint(pk, "head", stream_log_head(self->log));
        p->ready = true;
    } else if (strcmp(p->req.type, "health") == 0) {
        service_health(self, pk, p->req.has_rid, p->req.rid);
        p->ready = true;
    }
    if (p->ready)
        s_reply_packed(p, &self->early_buf, off);
}

/*  Takes what is ready on router into the batch, from index count on. */
static size_t s_receive_from(service_t *self, zsock_t *router, size_t count)
{
    while (router && count < SERVICE_BATCH) {
        zmsg_t *msg = zmsg_recv(router);
        if (!msg)
            break;
        pending_t *p = &self->batch[count];
        *p = (pending_t){.router = router};
        /* The payload is the last frame; the frames before it route the
         * reply back (identity, and the empty delimiter of a REQ client). */
        p->received_us = event_log_clock_us();
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

int service_txn_end(service_t *self, MDB_txn *txn, int rc, int64_t *commit_us)
{
    *commit_us = 0;
    if (rc == 0 && self->def->before_commit)
        rc = self->def->before_commit(self->def->ctx, self, txn);
    if (rc == 0) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = store_commit(self->store, txn);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        *commit_us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    } else if (txn)
        mdb_txn_abort(txn);
    if (rc == 0)
        stream_log_committed(self->log);
    else
        stream_log_aborted(self->log);
    if (self->def->ended)
        self->def->ended(self->def->ctx, self, rc == 0);
    return rc;
}

/*  service_txn_end, and the commit in the metrics.  items: the requests
 *  and events the transaction holds.  The commit's time is its fsync's,
 *  mostly: what group commit spreads over them. */
static int s_end_txn(service_t *self, MDB_txn *txn, int rc, size_t items)
{
    int64_t commit_us;
    rc = service_txn_end(self, txn, rc, &commit_us);
    if (rc == 0)
        metrics_commit(self->metrics, items, commit_us);
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
    s_outcome_reset(p);
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
    size_t items = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        pending_t *p = &self->batch[i];
        if (p->ready || p->is_pull)
            continue;
        rc = s_handle(self, txn, p);
        items++;
    }
    return s_end_txn(self, txn, rc, items);
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
        proto_pack_error(&self->late_pk, p->req.has_rid, p->req.rid, service_room_failure_code(rc), &err);
        service_outcome_refused(&p->req.outcome, service_room_failure_code(rc), err.rule);
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
    int rc = stream_consumer_receive(self->consumers[u], &b->zone, &b->events, &b->first, now_ms);
    /* The producer answered (health: it is alive). */
    metrics_live(self->metrics)->streams[u].answered_ms = now_ms;
    return rc == 1;
}

/*  Upstream u's batch is committed: each of its events is observed. */
static void s_observe_batch(service_t *self, size_t u)
{
    upstream_batch_t *b = &self->upstream[u];
    for (size_t i = b->first; i < doc_len(b->events); i++) {
        const msgpack_object *event = doc_at(b->events, i);
        char type[PROTO_RULE_MAX] = "", id[PROTO_ID_MAX + 1] = "";
        uint64_t seq = 0;
        doc_strcpy(event, "type", type, sizeof type);
        doc_strcpy(event, "id", id, sizeof id);
        doc_uint(event, "seq", &seq);
        s_observe_event(self, u, seq, type, id, "ok");
    }
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
        self->applying = event;
        self->applying_u = u;
        self->applying_i = i;
        rc = up->apply(self->def->ctx, self, txn, type, event, now);
        self->applying = NULL;
    }
    if (rc == 0) {
        /* The cursor, with the fingerprint of the event it counts: a later
         * start checks the producer still has that event there. */
        stream_mark_t mark;
        stream_mark_of(doc_at(b->events, doc_len(b->events) - 1), &mark);
        rc = stream_mark_put(txn, store_db(self->store, self->db_count + 1), stream_consumer_name(consumer), &mark);
    }
    return rc;
}

/*  The events of upstream u's batch to apply this turn. */
static size_t s_upstream_items(const service_t *self, size_t u)
{
    const upstream_batch_t *b = &self->upstream[u];
    return b->ready ? doc_len(b->events) - b->first : 0;
}

/*  Upstream u's batch alone, in its own transaction. */
static int s_apply_events(service_t *self, size_t u, int64_t now)
{
    MDB_txn *txn = NULL;
    int rc = store_begin(self->store, false, &txn);
    if (rc == 0)
        rc = s_apply_upstream(self, txn, u, now);
    return s_end_txn(self, txn, rc, s_upstream_items(self, u));
}

/*  How many events the turn's upstream batches brought. */
static size_t s_events_of_turn(service_t *self)
{
    size_t events = 0;
    for (size_t u = 0; u < self->def->upstream_count; u++)
        if (self->upstream[u].ready)
            events += doc_len(self->upstream[u].events) - self->upstream[u].first;
    return events;
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
    size_t items = 0;
    for (size_t i = 0; rc == 0 && requests && i < count; i++) {
        pending_t *p = &self->batch[i];
        if (!p->ready && !p->is_pull) {
            rc = s_handle(self, txn, p);
            items++;
        }
    }
    for (size_t u = 0; rc == 0 && u < self->def->upstream_count; u++)
        if (self->upstream[u].ready) {
            rc = s_apply_upstream(self, txn, u, now);
            items += s_upstream_items(self, u);
        }
    return s_end_txn(self, txn, rc, items);
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
            s_observe_batch(self, u);
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
        if (self->upstream[u].ready) {
            s_observe_batch(self, u);
            stream_consumer_advance(self->consumers[u], self->upstream[u].last, now_ms);
        }
}

/*  A turn of at least this many requests answers the pulls of consumers
 *  that lag before running them: below, the requests' commit is short, and
 *  their replies go first. */
#define S_PULLS_FIRST_FROM 32

/*  The batch's pulls: those of consumers that lag (lagging, before the
 *  turn's transaction), or the others (after its commit).  A consumer that
 *  lags takes its next events from what is committed at once, not after
 *  the commit of this turn's requests (up to SERVICE_BATCH of them and an
 *  fsync), and works on them meanwhile; one that has everything is
 *  answered after the commit, which may give it this turn's events. */
static void s_answer_pulls(service_t *self, size_t count, bool lagging, int64_t now_ms)
{
    MDB_txn *read_txn = NULL;
    uint64_t head = stream_log_head(self->log);
    for (size_t i = 0; i < count; i++) {
        pending_t *p = &self->batch[i];
        if (!p->is_pull || p->pull_answered || (lagging && service_pull_after(p) >= head))
            continue;
        service_handle_pull(self, &read_txn, p, now_ms);
        s_observe(self, p, event_log_clock_us() - p->received_us);
        p->pull_answered = true;
    }
    if (read_txn)
        mdb_txn_abort(read_txn);
}

void service_turn(service_t *self, bool requests_in, const bool *streams_in, int64_t now_ms)
{
    size_t count = requests_in ? s_receive_batch(self) : 0;
    /* The batch's time, read once here and given to the core with each
     * request: the core never reads a clock. */
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    int64_t now = wall_ms / 1000;
    for (size_t i = 0; i < count; i++) {
        s_pending_prepare(self, &self->batch[i], wall_ms, now_ms);
        service_room_refuse(self, &self->batch[i]);
    }
    if (count >= S_PULLS_FIRST_FROM)
        s_answer_pulls(self, count, true, now_ms);
    bool requests = s_batch_needs_txn(self, count), streams = false;
    for (size_t u = 0; u < self->def->upstream_count; u++) {
        self->upstream[u].ready =
            streams_in[u] && !service_held(self, now_ms) && s_receive_upstream(self, u, now_ms);
        streams = streams || self->upstream[u].ready;
    }
    /* The turn's lines (its events applied, its requests answered) go
     * to the log in one write, before any reply: whoever got a reply
     * finds its line in the log. */
    event_log_hold();
    if (requests || streams)
        s_commit_turn(self, count, requests, now, now_ms);
    int64_t replied_us = event_log_clock_us();
    for (size_t i = 0; i < count; i++)
        if (!self->batch[i].is_pull)
            s_observe(self, &self->batch[i], replied_us - self->batch[i].received_us);
    event_log_flush();
    /* Durable now: reply. */
    for (size_t i = 0; i < count; i++)
        if (!self->batch[i].is_pull)
            service_send(self->batch[i].router, self->batch[i].envelope, s_reply_of(self, &self->batch[i]),
                         self->batch[i].reply_len);
    s_answer_pulls(self, count, false, now_ms);
    s_release_batch(self, count);
    service_memory_turn_ended(self, count, s_events_of_turn(self), now_ms);
}
