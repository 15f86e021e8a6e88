/*  common/stream_consumer.c - see stream_consumer.h. */
#include "stream_consumer.h"

#include "proto/doc.h"
#include "config.h"
#include "log.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <assert.h>
#include <string.h>

struct stream_consumer_t {
    char name[32];
    zsock_t *dealer;
    char reader[32];
    uint64_t cursor;
    uint64_t head;       /* the producer's, in the last batch */
    bool rewound;        /* head < cursor was seen: stopped */
    stream_mark_t mark;  /* the event at the cursor, as applied (seq 0: not known) */
    stream_mark_t handed;   /* the last event of the batch handed over */
    bool check;          /* the next pull checks the producer's event at the cursor */
    uint64_t check_rid;  /* the pull in flight that does; 0: none */
    size_t max;
    uint32_t wait_ms;
    stream_omit_t omit;          /* fields the pulls leave out of each event */
    bool in_flight;
    uint64_t ahead;      /* the after of the pull in flight sent ahead of the
                          * commit of the batch in hand; 0: none was */
    uint64_t stale_rid;  /* replies to pulls up to this rid are dropped */
    bool pulled_ahead;   /* a pull was sent ahead of the last batch's commit */
    int64_t sent_ms;
    int64_t retry_at_ms;  /* no pull before this time (after an error) */
    uint64_t rid;
    zframe_t *last;      /* the last reply, which the decoded events point into */
    stream_omit_walk_t walk;   /* its events' bytes (stream_consumer_event_bytes) */
    size_t walk_next;          /* the index of the event the walk gives next */
    bool walking;              /* walk is set on last */
    /* CURVE only: where to connect once the producer's public key is
     * known, and where that key is. */
    bool connected;
    bool told;           /* the missing server key was logged */
    /* The link: when the last pull left (or the connection was made), and
     * how long to wait without one before connecting anew. */
    int64_t linked_ms;
    int64_t relink_ms;
    bool relinking;      /* a relink was logged and nothing came since */
    char endpoint[256];
    char server_cert[512];
};

/*  The first wait without a link before connecting anew, and the longest
 *  it grows to (doubling each time, so that a handshake over a slow link
 *  is given time to finish). */
#define S_RELINK_FIRST_MS 2000
#define S_RELINK_MAX_MS 30000
/*  The constructors do not know the caller's clock: the first poll reads it. */
#define S_UNSEEN INT64_MIN

static void s_connect(stream_consumer_t *self, int64_t now_ms)
{
    if (zsock_connect(self->dealer, "%s", self->endpoint) != 0)
        log_error("stream %s: cannot connect to %s", self->name, self->endpoint);
    self->connected = true;
    self->linked_ms = now_ms;
}

static void s_linked(stream_consumer_t *self, int64_t now_ms)
{
    self->linked_ms = now_ms;
    self->relink_ms = S_RELINK_FIRST_MS;
    if (self->relinking)
        log_info("stream %s: linked to %s again", self->name, self->endpoint);
    self->relinking = false;
}

/*  No pull could leave for a while: no connection has finished its
 *  handshake.  libzmq gives up a connection for good when the handshake
 *  fails on a protocol error: a producer refusing this reader's key (not
 *  yet in its keys/allowed/, as between an operator's copies of key files
 *  from host to host), or a mechanism that does not match.  Only a new
 *  connect tries again; it is harmless when the producer is merely down. */
static void s_relink(stream_consumer_t *self, int64_t now_ms)
{
    if (!self->relinking)
        log_warn("stream %s: no link to %s for %lld s (producer down, or refusing this service's key): "
                 "connecting anew until it answers",
                 self->name, self->endpoint, (long long)((now_ms - self->linked_ms) / 1000));
    self->relinking = true;
    zsock_disconnect(self->dealer, "%s", self->endpoint);
    s_connect(self, now_ms);
    if (self->relink_ms < S_RELINK_MAX_MS)
        self->relink_ms *= 2;
}

/*  A CURVE consumer connects once the producer's public key is there. */
static bool s_ready(stream_consumer_t *self, int64_t now_ms)
{
    if (self->connected)
        return true;
    zcert_t *server = zcert_load(self->server_cert);
    if (!server) {
        if (!self->told)
            log_warn("stream %s: waiting for the producer's public key %s", self->name, self->server_cert);
        self->told = true;
        return false;
    }
    zsock_set_curve_serverkey(self->dealer, zcert_public_txt(server));
    zcert_destroy(&server);
    s_connect(self, now_ms);
    log_info("stream %s: connecting to %s (CURVE)", self->name, self->endpoint);
    return true;
}

static stream_consumer_t *s_new(const char *name, const char *endpoint, uint64_t cursor, size_t max,
                                 uint32_t wait_ms)
{
    stream_consumer_t *self = calloc(1, sizeof *self);
    assert(self);
    snprintf(self->name, sizeof self->name, "%s", name);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->cursor = cursor;
    self->max = max;
    self->wait_ms = wait_ms;
    self->relink_ms = S_RELINK_FIRST_MS;
    self->dealer = zsock_new(ZMQ_DEALER);
    assert(self->dealer);
    zsock_set_maxmsgsize(self->dealer, PROTO_REPLY_MAX);
    zsock_set_linger(self->dealer, 0);
    /* No queueing towards a producer that is not connected: a pull sent into
     * the void would only come back as a stale duplicate later. */
    zsock_set_immediate(self->dealer, 1);
    zsock_set_reconnect_ivl(self->dealer, 100);
    zsock_set_reconnect_ivl_max(self->dealer, 1000);
    /* A silent link is noticed and the connection made anew, rather than
     * left to TCP's retransmissions (config.h, ESSP_HEARTBEAT_MS). */
    int heartbeat = config_heartbeat_ms();
    if (heartbeat > 0) {
        zsock_set_heartbeat_ivl(self->dealer, heartbeat);
        zsock_set_heartbeat_timeout(self->dealer, 3 * heartbeat);
        zsock_set_connect_timeout(self->dealer, 2 * heartbeat);
    }
    return self;
}

stream_consumer_t *stream_consumer_new(const char *name, const char *endpoint, uint64_t cursor,
                                       size_t max, uint32_t wait_ms)
{
    stream_consumer_t *self = s_new(name, endpoint, cursor, max, wait_ms);
    s_connect(self, S_UNSEEN);
    return self;
}

stream_consumer_t *stream_consumer_new_curve(const char *name, const char *endpoint, zcert_t *own,
                                             const char *server_cert, uint64_t cursor, size_t max,
                                             uint32_t wait_ms)
{
    stream_consumer_t *self = s_new(name, endpoint, cursor, max, wait_ms);
    zcert_apply(own, self->dealer);
    snprintf(self->server_cert, sizeof self->server_cert, "%s", server_cert);
    s_ready(self, S_UNSEEN);
    return self;
}

void stream_consumer_destroy(stream_consumer_t **self_p)
{
    assert(self_p);
    stream_consumer_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy(&self->last);
    zsock_destroy(&self->dealer);
    free(self);
    *self_p = NULL;
}

const char *stream_consumer_name(const stream_consumer_t *self)
{
    return self->name;
}

zsock_t *stream_consumer_socket(stream_consumer_t *self)
{
    return self->dealer;
}

uint64_t stream_consumer_cursor(const stream_consumer_t *self)
{
    return self->cursor;
}

uint64_t stream_consumer_head(const stream_consumer_t *self)
{
    return self->head;
}

bool stream_consumer_at_head(const stream_consumer_t *self)
{
    /* A pull in flight ahead (ahead) was sent for a batch that set
     * pulled_ahead: the one flag says both. */
    return self->head && self->cursor >= self->head && !self->pulled_ahead;
}

bool stream_consumer_rewound(const stream_consumer_t *self)
{
    return self->rewound;
}

bool stream_consumer_unlinked(const stream_consumer_t *self)
{
    return self->relinking;
}

void stream_consumer_set_omit(stream_consumer_t *self, const char *const *names)
{
    stream_omit_from_names(&self->omit, names);
}

void stream_consumer_set_mark(stream_consumer_t *self, const stream_mark_t *mark)
{
    if (!self->cursor || mark->seq != self->cursor)
        return;
    self->mark = *mark;
    self->check = true;
}

void stream_consumer_set_reader(stream_consumer_t *self, const char *reader)
{
    snprintf(self->reader, sizeof self->reader, "%s", reader);
}

static const char *s_reader(const stream_consumer_t *self)
{
    return self->reader[0] ? self->reader : "this service";
}

/*  The producer's store is older than the reader's: stop, once, and tell
 *  the operator what happened (what) and what brings the two back
 *  together. */
static void s_rewind_say(stream_consumer_t *self, const char *what)
{
    const char *reader = s_reader(self);
    self->rewound = true;
    log_error("stream %s: REWIND DETECTED: %s; %s stops reading %s (nothing skipped, nothing applied twice) "
              "and keeps serving. %s's store is older than %s's: restore both from the same backup (essp "
              "restore), or put back %s's newer store, then restart %s",
              self->name, what, reader, self->name, self->name, reader, self->name, reader);
}

/*  The producer's head is below the cursor. */
static void s_rewind(stream_consumer_t *self, uint64_t head)
{
    char what[256];
    snprintf(what, sizeof what, "%s's stream ends at seq %llu but %s has already applied it up to seq %llu",
             self->name, (unsigned long long)head, s_reader(self), (unsigned long long)self->cursor);
    s_rewind_say(self, what);
}

/*  The producer's head has passed the cursor, but its event under the
 *  cursor's seq is another: its store went back, then grew again. */
static void s_rewind_at(stream_consumer_t *self, uint64_t head)
{
    char what[320];
    snprintf(what, sizeof what,
             "%s's event at seq %llu is not the one %s applied under that seq (its stream went back to an "
             "older copy, then grew again to seq %llu)",
             self->name, (unsigned long long)self->cursor, s_reader(self), (unsigned long long)head);
    s_rewind_say(self, what);
}

static void s_send_pull(stream_consumer_t *self, uint64_t after, int64_t now_ms)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "pull", ++self->rid, 3 + stream_omit_fields(&self->omit));
    proto_pack_kv_uint(&pk, "after", after);
    proto_pack_kv_uint(&pk, "max", self->max);
    proto_pack_kv_uint(&pk, "wait", self->wait_ms);
    stream_omit_pack(&self->omit, &pk);
    zframe_t *frame = zframe_new(buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    if (zframe_send(&frame, self->dealer, ZFRAME_DONTWAIT) == 0) {
        self->in_flight = true;
        self->sent_ms = now_ms;
        s_linked(self, now_ms);
    } else {
        zframe_destroy(&frame);
        self->in_flight = false;
        /* No link: the producer that answers next may be another one
         * (restarted on an older store). */
        self->check = true;
    }
}

/*  The pull from the cursor; from the cursor - 1 when the producer's event
 *  at the cursor is to be checked against the one applied, so that it
 *  comes back first (and a producer whose head is the cursor - 1 holds the
 *  pull until its next event, which is then checked).  Replies to the
 *  pulls sent before a check are dropped: they were not checked. */
static void s_pull(stream_consumer_t *self, int64_t now_ms)
{
    bool check = self->check && self->cursor && self->mark.seq == self->cursor;
    self->check_rid = 0;
    if (!check) {
        self->check = false;   /* nothing to compare with (cursor 0, or a cursor of an earlier version) */
        s_send_pull(self, self->cursor, now_ms);
        return;
    }
    self->stale_rid = self->rid;
    self->ahead = 0;
    s_send_pull(self, self->cursor - 1, now_ms);
    if (self->in_flight)
        self->check_rid = self->rid;
}

void stream_consumer_poll(stream_consumer_t *self, int64_t now_ms)
{
    /* A held pull answers within wait_ms; a second more means the
     * producer lost it (restart) and it must be asked again. */
    if (self->rewound || now_ms < self->retry_at_ms)
        return;
    if (!s_ready(self, now_ms)) {
        self->retry_at_ms = now_ms + 1000;
        return;
    }
    if (self->linked_ms == S_UNSEEN)
        self->linked_ms = now_ms;
    bool lost = self->in_flight && now_ms - self->sent_ms > (int64_t)self->wait_ms + 1000;
    if (lost)
        self->check = true;   /* the producer restarted, perhaps on an older store */
    if (!self->in_flight || lost)
        s_pull(self, now_ms);
    if (!self->in_flight && now_ms - self->linked_ms >= self->relink_ms)
        s_relink(self, now_ms);
}

/*  The reply to a pull that checks the event at the cursor (s_pull): its
 *  first event is that one.  1: it is the event applied (or it, redacted);
 *  0: no event came (the next pull checks again); -1: another event (a
 *  rewind: stopped), or a reply that does not begin at the cursor. */
static int s_check_mark(stream_consumer_t *self, const msgpack_object *array, uint64_t head)
{
    if (doc_len(array) == 0)
        return 0;
    stream_mark_t now;
    stream_mark_of(doc_at(array, 0), &now);
    if (now.seq != self->cursor) {
        log_error("stream %s: asked from seq %llu, the batch begins at seq %llu", self->name,
                  (unsigned long long)self->cursor, (unsigned long long)now.seq);
        return -1;
    }
    if (!stream_mark_same(&self->mark, &now)) {
        s_rewind_at(self, head);
        return -1;
    }
    self->check = false;
    self->check_rid = 0;
    return 1;
}

static int s_check_batch(stream_consumer_t *self, const msgpack_object *reply, uint64_t rid,
                         const msgpack_object **events, size_t *first)
{
    if (doc_str_eq(reply, "type", "error")) {
        char message[PROTO_MESSAGE_MAX];
        doc_strcpy(reply, "message", message, sizeof message);
        log_error("stream %s: producer refused the pull: %s", self->name, message);
        return -1;
    }
    const msgpack_object *array = doc_array(reply, "events");
    if (!doc_str_eq(reply, "type", "batch") || !array) {
        log_error("stream %s: reply is not a batch", self->name);
        return -1;
    }
    uint64_t head;
    if (!doc_uint(reply, "head", &head)) {
        log_error("stream %s: batch without head", self->name);
        return -1;
    }
    self->head = head;
    if (head < self->cursor) {
        if (!self->rewound)
            s_rewind(self, head);
        return -1;
    }
    int checked = self->check_rid && rid == self->check_rid ? s_check_mark(self, array, head) : 1;
    if (checked <= 0)
        return checked;
    size_t skip = 0;
    for (size_t i = 0; i < doc_len(array); i++) {
        uint64_t seq;
        if (!doc_uint(doc_at(array, i), "seq", &seq)) {
            log_error("stream %s: event without seq", self->name);
            return -1;
        }
        if (seq <= self->cursor) {
            skip = i + 1;
            continue;
        }
        if (seq != self->cursor + 1 + (i - skip)) {
            log_error("stream %s: gap: expected seq %llu, got %llu", self->name,
                      (unsigned long long)(self->cursor + 1 + (i - skip)), (unsigned long long)seq);
            return -1;
        }
    }
    *events = array;
    *first = skip;
    if (skip < doc_len(array))
        stream_mark_of(doc_at(array, doc_len(array) - 1), &self->handed);
    return skip < doc_len(array) ? 1 : 0;
}

void stream_consumer_backoff(stream_consumer_t *self, int64_t now_ms)
{
    self->in_flight = false;
    self->retry_at_ms = now_ms + 1000;
    /* Whatever answers the pulls sent so far (one sent ahead of a batch
     * that was not applied) follows nothing committed: the next pull asks
     * again from the cursor. */
    self->stale_rid = self->rid;
    self->ahead = 0;
}

/*  A batch of at least this many new events is taken for a sign that more
 *  will be there by the time it is committed. */
#define S_AHEAD_FROM 32

/*  A batch to apply is in hand and the producer holds more (its head is
 *  past the batch), or will most likely by its commit (a large batch, at
 *  full speed): the pull for what follows leaves now, so that the
 *  producer reads and sends the next batch while this one is applied and
 *  committed (its fsync), instead of after.  Its reply waits on the
 *  socket until the commit; it is dropped if the batch is not applied
 *  (stream_consumer_backoff).  A consumer that took a few events and has
 *  everything asks after its commit: the producer would only hold the
 *  pull, and answer it at its next event, one batch each; asked after the
 *  commit, the events that came meanwhile make one batch, and at a
 *  thousand applications a second that keeps turns, and their wait for a
 *  CPU, fewer. */
static void s_pull_ahead(stream_consumer_t *self, const msgpack_object *events, size_t first, int64_t now_ms)
{
    uint64_t last = 0;   /* every event has one: s_check_batch saw to it */
    doc_uint(doc_at(events, doc_len(events) - 1), "seq", &last);
    self->pulled_ahead = self->head > last || doc_len(events) - first >= S_AHEAD_FROM;
    if (!self->pulled_ahead)
        return;
    s_send_pull(self, last, now_ms);
    self->ahead = self->in_flight ? last : 0;
}

int stream_consumer_receive(stream_consumer_t *self, msgpack_zone *zone,
                            const msgpack_object **events, size_t *first, int64_t now_ms)
{
    zframe_destroy(&self->last);
    self->walking = false;
    zmsg_t *msg = zmsg_recv(self->dealer);
    if (!msg)
        return -1;
    self->last = zmsg_pop(msg);
    zmsg_destroy(&msg);
    bool newer_in_flight = self->in_flight && self->rid > self->stale_rid;
    self->in_flight = false;
    if (!self->last)
        return -1;
    if (self->rewound)
        return 0;   /* stopped: a late reply is read and dropped */
    msgpack_object reply;
    proto_error_t err;
    if (wire_decode_reply(zframe_data(self->last), zframe_size(self->last), zone, &reply, &err)) {
        /* A batch of large events can hold more objects than a reply may:
         * ask for fewer events at a time rather than stall. */
        if (strcmp(err.rule, "too_many_nodes") == 0 && self->max > 1) {
            self->max /= 2;
            log_warn("stream %s: batch too large to decode, pulling %zu events at a time", self->name,
                     self->max);
            return 0;
        }
        log_error("stream %s: undecodable reply: %s", self->name, err.message);
        stream_consumer_backoff(self, now_ms);
        return -1;
    }
    uint64_t rid = 0;
    if (doc_uint(&reply, "rid", &rid) && rid <= self->stale_rid) {
        /* It answers a pull asked before a backoff, or ahead of a batch
         * not applied in full: dropped.  A pull asked since is still out. */
        self->in_flight = newer_in_flight;
        return 0;
    }
    int rc = s_check_batch(self, &reply, rid, events, first);
    if (rc < 0)
        stream_consumer_backoff(self, now_ms);
    else if (rc == 1)
        s_pull_ahead(self, *events, *first, now_ms);
    return rc;
}

bool stream_consumer_event_bytes(stream_consumer_t *self, size_t i, const void **event, size_t *len)
{
    if (!self->last)
        return false;
    if (!self->walking || i < self->walk_next) {
        self->walking = stream_omit_walk_begin(&self->walk, zframe_data(self->last), zframe_size(self->last),
                                               "events");
        self->walk_next = 0;
    }
    while (self->walking && self->walk_next <= i) {
        self->walking = stream_omit_walk_next(&self->walk, event, len);
        self->walk_next++;
    }
    return self->walking;
}

void stream_consumer_advance(stream_consumer_t *self, uint64_t seq, int64_t now_ms)
{
    if (seq > self->cursor) {
        self->cursor = seq;
        /* Committed short of the batch handed over: that event's
         * fingerprint is not known here (the caller stored it). */
        self->mark = seq == self->handed.seq ? self->handed : (stream_mark_t){0};
    }
    if (self->rewound)
        return;
    if (self->ahead && self->in_flight && self->ahead == self->cursor) {
        self->ahead = 0;   /* the pull sent ahead asks for what follows */
        return;
    }
    if (self->ahead)
        self->stale_rid = self->rid;   /* it asked past what was committed */
    self->ahead = 0;
    s_pull(self, now_ms);
}
