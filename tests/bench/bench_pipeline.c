/*  tests/bench/bench_pipeline.c - see bench_pipeline.h. */
#include "bench_pipeline.h"

#include "common/auth.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MEMBERS 3
#define S_ID_LEN 16
#define S_PULL_MAX 1000
#define S_HELD_MS 1000
#define S_FOLLOWER_HELD_MS 30000
#define S_MEETING_MAX 2000
#define S_STALL_NS (30 * (int64_t)1000000000)
#define S_SAMPLE_NS (100 * (int64_t)1000000)

static const struct {
    const char *name;
    const char *college;
} s_committee[S_MEMBERS] = {
    {"Claire Moreau", "researchers"},
    {"Hervé Le Guen", "local_authorities"},
    {"Sophie Bernard", "ess_networks"},
};

/*  What the bench knows of one application; times in ns, 0 = not yet. */
typedef struct {
    int64_t sent, receipt, validated, voted, published, delivered;
    char id[S_ID_LEN + 1];
    uint8_t votes_sent;          /* members whose vote is in flight or acknowledged */
    uint8_t votes_acked;
    bool listed;                 /* on the committee's next list */
    bool reviewed;               /* review acknowledged a vote on it */
    int client;
} app_t;

/*  A reader of a durable stream: one DEALER, one pull in flight. */
typedef struct {
    zsock_t *sock;
    uint64_t cursor;
    bool in_flight;
    uint32_t wait_ms;
    size_t batches, events;
} reader_t;

struct bench_pipeline_t {
    bench_stack_t *stack;
    bench_apps_t *apps;
    app_t *app;
    size_t capacity, used;
    uint32_t *slots;             /* id -> index + 1, open addressing */
    size_t slot_mask;
    reader_t review, publication;
    zsock_t *staff;              /* review's authenticated endpoint, staff key */
    zsock_t *voters[S_MEMBERS];  /* the same, one member's key each */
    size_t *list, list_count;
    size_t votes_in_flight;
    size_t validated;            /* files review has queued, all phases */
    size_t reviewed;             /* files review has acknowledged a vote on, all phases */
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_zone zone;
    int64_t last_progress;
    /* the phase in hand */
    size_t first, count, published;
    zsock_t **clients;
    size_t *client_in_flight;
    reader_t *followers;
    size_t follower_count;
    bench_samples_t receipt, in_review, to_published, fanout, vote_to_delivery;
    size_t meetings, listed_files, votes;
};

/* ------------------------------------------------------------------ ids */

static size_t s_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < S_ID_LEN; i++)
        h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
    return (size_t)h;
}

static void s_remember(bench_pipeline_t *self, size_t index)
{
    size_t slot = s_hash(self->app[index].id) & self->slot_mask;
    while (self->slots[slot])
        slot = (slot + 1) & self->slot_mask;
    self->slots[slot] = (uint32_t)index + 1;
}

/*  The application with this id, or -1 (not yet receipted, or not ours). */
static long s_lookup(const bench_pipeline_t *self, const msgpack_object *id)
{
    if (!id || id->type != MSGPACK_OBJECT_STR || id->via.str.size != S_ID_LEN)
        return -1;
    for (size_t slot = s_hash(id->via.str.ptr) & self->slot_mask; self->slots[slot];
         slot = (slot + 1) & self->slot_mask) {
        size_t index = self->slots[slot] - 1;
        if (memcmp(self->app[index].id, id->via.str.ptr, S_ID_LEN) == 0)
            return (long)index;
    }
    return -1;
}

/* -------------------------------------------------------------- sockets */

static zsock_t *s_dealer(const bench_pipeline_t *self, service_id_t service)
{
    char endpoint[CONFIG_ENDPOINT_MAX];
    bench_stack_endpoint(self->stack, service, endpoint, sizeof endpoint);
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert(sock);
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 0);
    zsock_set_rcvhwm(sock, 0);
    zsock_set_maxmsgsize(sock, PROTO_REPLY_MAX);
    zsock_connect(sock, "%s", endpoint);
    return sock;
}

/*  A DEALER on service's authenticated endpoint with the key pair of
 *  role/name (written under the bench's ESSP_HOME); NULL without it. */
static zsock_t *s_secure_dealer(service_id_t service, const char *role, const char *name)
{
    zcert_t *cert = auth_load(role, name);
    if (!cert)
        return NULL;
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert(sock);
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 0);
    zsock_set_rcvhwm(sock, 0);
    zsock_set_maxmsgsize(sock, PROTO_REPLY_MAX);
    int rc = auth_make_client(sock, cert, service);
    zcert_destroy(&cert);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_connect_endpoint(service, endpoint, sizeof endpoint);
    if (rc != 0 || zsock_connect(sock, "%s", endpoint) != 0)
        zsock_destroy(&sock);
    return sock;
}

static void s_begin(bench_pipeline_t *self)
{
    msgpack_sbuffer_clear(&self->buf);
}

static int s_send(bench_pipeline_t *self, zsock_t *sock)
{
    return zmq_send(zsock_resolve(sock), self->buf.data, self->buf.size, 0) < 0 ? -1 : 0;
}

/*  The bench's staff key, made once: 0 or -1. */
static int s_staff_key(void)
{
    return auth_has_key(AUTH_ROLE_STAFF, "bench") ? 0 : auth_issue(AUTH_ROLE_STAFF, "bench");
}

/*  A reader of a stream: publication's anonymously, a private one (review's)
 *  with the staff key on the service's authenticated endpoint. */
static void s_reader_init(bench_pipeline_t *self, reader_t *reader, service_id_t service,
                          uint64_t cursor, uint32_t wait_ms)
{
    zsock_t *sock = auth_stream_is_public(service) ? s_dealer(self, service)
        : s_staff_key() == 0 ? s_secure_dealer(service, AUTH_ROLE_STAFF, "bench") : NULL;
    if (!sock) {
        fprintf(stderr, "essp-bench: no staff key to read the %s stream\n", config_service_name(service));
        abort();
    }
    *reader = (reader_t){.sock = sock, .cursor = cursor, .wait_ms = wait_ms};
}

static void s_reader_pull(bench_pipeline_t *self, reader_t *reader)
{
    if (reader->in_flight)
        return;
    s_begin(self);
    proto_pack_request(&self->pk, "pull", reader->cursor + 1, 3);
    proto_pack_kv_uint(&self->pk, "after", reader->cursor);
    proto_pack_kv_uint(&self->pk, "max", S_PULL_MAX);
    proto_pack_kv_uint(&self->pk, "wait", reader->wait_ms);
    reader->in_flight = s_send(self, reader->sock) == 0;
}

/*  Receives one message without waiting: 1 and *obj decoded into the
 *  pipeline's zone, 0 when none is ready, -1 on garbage.  The message
 *  stays valid until the next call (the zone and msg are reused). */
static int s_recv(bench_pipeline_t *self, zsock_t *sock, zmq_msg_t *msg, msgpack_object *obj)
{
    zmq_msg_close(msg);
    zmq_msg_init(msg);
    if (zmq_msg_recv(msg, zsock_resolve(sock), ZMQ_DONTWAIT) < 0)
        return 0;
    msgpack_zone_clear(&self->zone);
    size_t offset = 0;
    if (msgpack_unpack(zmq_msg_data(msg), zmq_msg_size(msg), &offset, &self->zone, obj)
        != MSGPACK_UNPACK_SUCCESS) {
        fprintf(stderr, "essp-bench: an undecodable reply\n");
        return -1;
    }
    return 1;
}

static int s_refused(const char *what, const msgpack_object *reply)
{
    char code[32] = "", message[PROTO_MESSAGE_MAX] = "";
    doc_strcpy(reply, "code", code, sizeof code);
    doc_strcpy(reply, "message", message, sizeof message);
    fprintf(stderr, "essp-bench: %s refused: %s: %s\n", what, code, message);
    return -1;
}

/* ---------------------------------------------------------- life cycle */

bench_pipeline_t *bench_pipeline_new(bench_stack_t *stack, bench_apps_t *apps, size_t capacity)
{
    bench_pipeline_t *self = calloc(1, sizeof *self);
    assert(self);
    self->stack = stack;
    self->apps = apps;
    self->capacity = capacity;
    self->app = calloc(capacity, sizeof *self->app);
    size_t slots = 1024;
    while (slots < 2 * capacity)
        slots *= 2;
    self->slots = calloc(slots, sizeof *self->slots);
    self->slot_mask = slots - 1;
    self->list = calloc(capacity, sizeof *self->list);
    assert(self->app && self->slots && self->list);
    msgpack_sbuffer_init(&self->buf);
    msgpack_packer_init(&self->pk, &self->buf, msgpack_sbuffer_write);
    msgpack_zone_init(&self->zone, 1 << 20);
    s_reader_init(self, &self->review, SERVICE_REVIEW, 0, S_HELD_MS);
    s_reader_init(self, &self->publication, SERVICE_PUBLICATION, 0, S_HELD_MS);
    bench_samples_t *samples[] = {&self->receipt, &self->in_review, &self->to_published, &self->fanout,
                                  &self->vote_to_delivery};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
        bench_samples_init(samples[i]);
    return self;
}

void bench_pipeline_destroy(bench_pipeline_t **self_p)
{
    bench_pipeline_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->review.sock);
    zsock_destroy(&self->publication.sock);
    zsock_destroy(&self->staff);
    for (size_t m = 0; m < S_MEMBERS; m++)
        zsock_destroy(&self->voters[m]);
    bench_samples_t *samples[] = {&self->receipt, &self->in_review, &self->to_published, &self->fanout,
                                  &self->vote_to_delivery};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
        bench_samples_fini(samples[i]);
    msgpack_sbuffer_destroy(&self->buf);
    msgpack_zone_destroy(&self->zone);
    free(self->app);
    free(self->slots);
    free(self->list);
    free(self);
    *self_p = NULL;
}

/*  Waits for the one reply to a request sent on sock (at most 10 s). */
static int s_wait_reply(bench_pipeline_t *self, zsock_t *sock, zmq_msg_t *msg, msgpack_object *reply)
{
    zpoller_t *poller = zpoller_new(sock, NULL);
    void *ready = zpoller_wait(poller, 10000);
    zpoller_destroy(&poller);
    return ready ? s_recv(self, sock, msg, reply) : -1;
}

int bench_pipeline_committee(bench_pipeline_t *self)
{
    /* As the essp tool does: a staff key adds the members, each member
     * gets a key pair and votes with it. */
    if (s_staff_key() != 0 || !(self->staff = s_secure_dealer(SERVICE_REVIEW, AUTH_ROLE_STAFF, "bench"))) {
        fprintf(stderr, "essp-bench: no staff key for review's authenticated endpoint\n");
        return -1;
    }
    int rc = 0;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (size_t m = 0; rc == 0 && m < S_MEMBERS; m++) {
        s_begin(self);
        proto_pack_request(&self->pk, "member_add", m + 1, 2);
        proto_pack_kv_str(&self->pk, "name", s_committee[m].name);
        proto_pack_kv_str(&self->pk, "college", s_committee[m].college);
        msgpack_object reply;
        rc = s_send(self, self->staff);
        if (rc == 0 && s_wait_reply(self, self->staff, &msg, &reply) != 1)
            rc = -1;
        else if (rc == 0 && !doc_str_eq(&reply, "type", "member"))
            rc = s_refused("member_add", &reply);
        if (rc == 0 && (auth_issue(AUTH_ROLE_MEMBER, s_committee[m].name) != 0
                        || !(self->voters[m] = s_secure_dealer(SERVICE_REVIEW, AUTH_ROLE_MEMBER, s_committee[m].name))))
            rc = -1;
    }
    zmq_msg_close(&msg);
    return rc;
}

/* ------------------------------------------------------------ submitting */

static int s_submit(bench_pipeline_t *self, size_t index, int client)
{
    size_t size;
    const char *application = bench_apps_make(self->apps, (uint32_t)index + 1, &size);
    char key[32];
    snprintf(key, sizeof key, "bench-%zu", index);
    s_begin(self);
    proto_pack_request(&self->pk, "submit", index + 1, 2);
    proto_pack_kv_str(&self->pk, "key", key);
    proto_pack_kv_raw(&self->pk, "application", application, size);
    app_t *app = &self->app[index];
    app->client = client;
    app->sent = bench_now_ns();
    self->client_in_flight[client]++;
    return s_send(self, self->clients[client]);
}

static int s_on_receipt(bench_pipeline_t *self, const msgpack_object *reply)
{
    uint64_t rid = 0;
    doc_uint(reply, "rid", &rid);
    if (rid == 0 || rid > self->used)
        return -1;
    app_t *app = &self->app[rid - 1];
    self->client_in_flight[app->client]--;
    if (!doc_str_eq(reply, "type", "receipt"))
        return s_refused("a submission", reply);
    if (doc_strcpy(reply, "id", app->id, sizeof app->id) != S_ID_LEN)
        return -1;
    app->receipt = bench_now_ns();
    self->last_progress = app->receipt;
    bench_samples_add(&self->receipt, app->receipt - app->sent);
    s_remember(self, rid - 1);
    return 0;
}

/* ------------------------------------------------------------ committee */

static void s_list(bench_pipeline_t *self, size_t index)
{
    if (!self->app[index].listed) {
        self->app[index].listed = true;
        self->list[self->list_count++] = index;
    }
}

/*  A meeting: every file on the list, approved by the members who have
 *  not voted on it yet. */
static int s_meeting(bench_pipeline_t *self)
{
    size_t files = self->list_count < S_MEETING_MAX ? self->list_count : S_MEETING_MAX;
    size_t from = self->list_count - files;
    for (size_t f = from; f < self->list_count; f++) {
        size_t index = self->list[f];
        app_t *app = &self->app[index];
        app->listed = false;
        /* Listed once review has the file ("queued"): each member votes
         * once. */
        for (size_t m = 0; m < S_MEMBERS; m++) {
            if (app->votes_sent & (1u << m))
                continue;
            s_begin(self);
            proto_pack_request(&self->pk, "vote", index * 4 + m + 1, 2);
            proto_pack_kv_strn(&self->pk, "id", app->id, S_ID_LEN);
            proto_pack_kv_str(&self->pk, "decision", "approve");
            if (s_send(self, self->voters[m]) != 0)
                return -1;
            app->votes_sent |= (uint8_t)(1u << m);
            self->votes_in_flight++;
            self->votes++;
        }
        app->voted = bench_now_ns();
    }
    self->list_count = from;
    self->meetings++;
    self->listed_files += files;
    return 0;
}

static int s_on_vote(bench_pipeline_t *self, const msgpack_object *reply)
{
    uint64_t rid = 0;
    doc_uint(reply, "rid", &rid);
    if (rid == 0 || (rid - 1) / 4 >= self->used)
        return -1;
    size_t index = (rid - 1) / 4, m = (rid - 1) % 4;
    app_t *app = &self->app[index];
    self->votes_in_flight--;
    if (doc_str_eq(reply, "type", "vote_ack")) {
        app->votes_acked |= (uint8_t)(1u << m);
        self->last_progress = bench_now_ns();
        if (!app->reviewed) {
            app->reviewed = true;
            self->reviewed++;
            s_list(self, index);
        }
        return 0;
    }
    return s_refused("a vote", reply);
}

/* -------------------------------------------------------------- streams */

/*  Reads a batch of a stream; calls fn for each event after the cursor,
 *  stopping (cursor left before it) when fn returns 1: an event about an
 *  application whose receipt the bench has not read yet, pulled again. */
typedef int (*event_fn)(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event,
                        int64_t now);

static int s_on_batch(bench_pipeline_t *self, reader_t *reader, const msgpack_object *reply,
                      event_fn fn)
{
    reader->in_flight = false;
    const msgpack_object *events = doc_array(reply, "events");
    if (!doc_str_eq(reply, "type", "batch") || !events)
        return s_refused("a pull", reply);
    int64_t now = bench_now_ns();
    if (doc_len(events))
        reader->batches++;
    for (size_t i = 0; i < doc_len(events); i++) {
        const msgpack_object *event = doc_at(events, i);
        uint64_t seq = 0;
        doc_uint(event, "seq", &seq);
        if (seq <= reader->cursor)
            continue;
        if (seq != reader->cursor + 1) {
            fprintf(stderr, "essp-bench: gap in a stream: %llu after %llu\n", (unsigned long long)seq,
                    (unsigned long long)reader->cursor);
            return -1;
        }
        int rc = fn(self, reader, event, now);
        if (rc < 0)
            return -1;
        if (rc == 1)
            break;
        reader->cursor = seq;
        reader->events++;
    }
    return 0;
}

/*  review's "queued" of a first review round: the committee has the file
 *  (intake says in_review at the same moment), so the members can vote. */
static int s_on_queued(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event,
                       int64_t now)
{
    if (!doc_str_eq(event, "type", "queued") || !doc_str_eq(event, "kind", "review"))
        return 0;
    long index = s_lookup(self, doc_get(event, "id"));
    if (index < 0)
        return 1;
    app_t *app = &self->app[index];
    if (!app->validated) {
        app->validated = now;
        self->last_progress = now;
        self->validated++;
        bench_samples_add(&self->in_review, now - app->sent);
        s_list(self, (size_t)index);
    }
    return 0;
}

/*  First delivery of an entry to any reader of the publication stream. */
static app_t *s_delivered(bench_pipeline_t *self, const msgpack_object *event, int64_t now)
{
    if (!doc_str_eq(event, "type", "upsert"))
        return NULL;
    long index = s_lookup(self, doc_get(event, "id"));
    if (index < 0)
        return NULL;
    app_t *app = &self->app[index];
    if (!app->delivered)
        app->delivered = now;
    return app;
}

static int s_on_upsert(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event,
                       int64_t now)
{
    app_t *app = s_delivered(self, event, now);
    if (!app)
        return doc_str_eq(event, "type", "upsert") ? 1 : 0;
    if (app->published) {
        fprintf(stderr, "essp-bench: application %s published twice\n", app->id);
        return -1;
    }
    app->published = now;
    self->last_progress = now;
    bench_samples_add(&self->to_published, now - app->voted);
    if ((size_t)(app - self->app) >= self->first)
        self->published++;
    return 0;
}

static int s_on_follower(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event,
                         int64_t now)
{
    app_t *app = s_delivered(self, event, now);
    if (app) {
        bench_samples_add(&self->fanout, now - app->delivered);
        bench_samples_add(&self->vote_to_delivery, now - app->voted);
    }
    return 0;
}

/* ---------------------------------------------------------------- phase */

static void s_phase_open(bench_pipeline_t *self, const bench_phase_t *phase)
{
    self->first = self->used;
    self->count = phase->count;
    self->published = 0;
    self->clients = calloc(phase->clients, sizeof *self->clients);
    self->client_in_flight = calloc(phase->clients, sizeof *self->client_in_flight);
    for (size_t c = 0; c < phase->clients; c++)
        self->clients[c] = s_dealer(self, SERVICE_INTAKE);
    self->follower_count = phase->followers;
    self->followers = calloc(phase->followers ? phase->followers : 1, sizeof *self->followers);
    for (size_t f = 0; f < phase->followers; f++)
        s_reader_init(self, &self->followers[f], SERVICE_PUBLICATION, self->publication.cursor,
                      S_FOLLOWER_HELD_MS);
    bench_samples_t *samples[] = {&self->receipt, &self->in_review, &self->to_published, &self->fanout,
                                  &self->vote_to_delivery};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
        bench_samples_clear(samples[i]);
    self->meetings = self->listed_files = self->votes = 0;
    self->review.batches = self->review.events = 0;
    self->publication.batches = self->publication.events = 0;
}

static void s_phase_close(bench_pipeline_t *self, const bench_phase_t *phase)
{
    for (size_t c = 0; c < phase->clients; c++)
        zsock_destroy(&self->clients[c]);
    for (size_t f = 0; f < phase->followers; f++)
        zsock_destroy(&self->followers[f].sock);
    free(self->clients);
    free(self->client_in_flight);
    free(self->followers);
    self->clients = NULL;
    self->client_in_flight = NULL;
    self->followers = NULL;
}

static bool s_followers_done(const bench_pipeline_t *self)
{
    for (size_t f = 0; f < self->follower_count; f++)
        if (self->followers[f].cursor < self->publication.cursor)
            return false;
    return true;
}

/*  Sends the submissions that are due, on clients with room in their window. */
static int s_feed(bench_pipeline_t *self, const bench_phase_t *phase, size_t *next, size_t *rr,
                  int64_t started, int64_t now)
{
    while (*next < phase->count) {
        if (phase->backlog && self->used - self->reviewed >= phase->backlog)
            return 0;
        if (phase->rate > 0 && now < started + (int64_t)((double)*next * 1e9 / phase->rate))
            return 0;
        size_t c = 0;
        while (c < phase->clients && self->client_in_flight[(*rr + c) % phase->clients] >= phase->window)
            c++;
        if (c == phase->clients)
            return 0;
        int client = (int)((*rr + c) % phase->clients);
        *rr = (size_t)client + 1;
        self->used = self->first + *next + 1;
        if (s_submit(self, self->first + *next, client) != 0)
            return -1;
        (*next)++;
    }
    return 0;
}

/*  How long the poll may sleep: until the next offered submission. */
static long s_poll_ms(const bench_phase_t *phase, size_t next, int64_t started, int64_t now)
{
    if (phase->rate <= 0 || next >= phase->count)
        return 100;
    int64_t due = started + (int64_t)((double)next * 1e9 / phase->rate);
    return due <= now ? 0 : (long)((due - now + 999999) / 1000000);
}

static int s_drain(bench_pipeline_t *self, zsock_t *sock, zmq_msg_t *msg,
                   int (*fn)(bench_pipeline_t *, const msgpack_object *, void *), void *arg)
{
    msgpack_object obj;
    int rc;
    while ((rc = s_recv(self, sock, msg, &obj)) == 1)
        if (fn(self, &obj, arg) != 0)
            return -1;
    return rc;
}

static int s_receipt_fn(bench_pipeline_t *self, const msgpack_object *obj, void *arg)
{
    return s_on_receipt(self, obj);
}

static int s_vote_fn(bench_pipeline_t *self, const msgpack_object *obj, void *arg)
{
    return s_on_vote(self, obj);
}

static int s_stream_fn(bench_pipeline_t *self, const msgpack_object *obj, void *arg)
{
    reader_t *reader = arg;
    event_fn fn = reader == &self->review ? s_on_queued
                : reader == &self->publication ? s_on_upsert : s_on_follower;
    return s_on_batch(self, reader, obj, fn);
}

static int s_step(bench_pipeline_t *self, const bench_phase_t *phase, zmq_pollitem_t *items,
                  size_t n_items, long timeout_ms, zmq_msg_t *msg)
{
    if (zmq_poll(items, (int)n_items, timeout_ms) < 0 && errno != EINTR)
        return -1;
    size_t k = 0;
    for (size_t c = 0; c < phase->clients; c++, k++)
        if ((items[k].revents & ZMQ_POLLIN) && s_drain(self, self->clients[c], msg, s_receipt_fn, NULL))
            return -1;
    if ((items[k++].revents & ZMQ_POLLIN) && s_drain(self, self->review.sock, msg, s_stream_fn, &self->review))
        return -1;
    for (size_t m = 0; m < S_MEMBERS; m++, k++)
        if ((items[k].revents & ZMQ_POLLIN) && s_drain(self, self->voters[m], msg, s_vote_fn, NULL))
            return -1;
    if ((items[k++].revents & ZMQ_POLLIN) && s_drain(self, self->publication.sock, msg, s_stream_fn, &self->publication))
        return -1;
    for (size_t f = 0; f < phase->followers; f++, k++)
        if ((items[k].revents & ZMQ_POLLIN)
            && s_drain(self, self->followers[f].sock, msg, s_stream_fn, &self->followers[f]))
            return -1;
    return 0;
}

static zmq_pollitem_t *s_poll_items(bench_pipeline_t *self, const bench_phase_t *phase, size_t *n)
{
    *n = phase->clients + 2 + S_MEMBERS + phase->followers;
    zmq_pollitem_t *items = calloc(*n, sizeof *items);
    size_t k = 0;
    for (size_t c = 0; c < phase->clients; c++)
        items[k++] = (zmq_pollitem_t){zsock_resolve(self->clients[c]), 0, ZMQ_POLLIN, 0};
    items[k++] = (zmq_pollitem_t){zsock_resolve(self->review.sock), 0, ZMQ_POLLIN, 0};
    for (size_t m = 0; m < S_MEMBERS; m++)
        items[k++] = (zmq_pollitem_t){zsock_resolve(self->voters[m]), 0, ZMQ_POLLIN, 0};
    items[k++] = (zmq_pollitem_t){zsock_resolve(self->publication.sock), 0, ZMQ_POLLIN, 0};
    for (size_t f = 0; f < phase->followers; f++)
        items[k++] = (zmq_pollitem_t){zsock_resolve(self->followers[f].sock), 0, ZMQ_POLLIN, 0};
    return items;
}

static void s_result(bench_pipeline_t *self, const bench_phase_t *phase, int64_t started,
                     int64_t last_sent, int64_t ended, bench_result_t *out)
{
    memset(out, 0, sizeof *out);
    out->count = phase->count;
    out->seconds = (double)(ended - started) / 1e9;
    out->per_s = out->seconds > 0 ? (double)phase->count / out->seconds : 0;
    double sending = (double)(last_sent - started) / 1e9;
    out->offered_per_s = sending > 0 ? (double)(phase->count - 1) / sending : 0;
    out->receipt = bench_samples_pct(&self->receipt);
    out->in_review = bench_samples_pct(&self->in_review);
    out->published = bench_samples_pct(&self->to_published);
    out->fanout = bench_samples_pct(&self->fanout);
    out->vote_to_delivery = bench_samples_pct(&self->vote_to_delivery);
    out->meetings = self->meetings;
    out->files_per_meeting = self->meetings ? (double)self->listed_files / (double)self->meetings : 0;
    out->votes = self->votes;
    out->queued_per_batch = self->review.batches
        ? (double)self->review.events / (double)self->review.batches : 0;
    out->upserts_per_batch = self->publication.batches
        ? (double)self->publication.events / (double)self->publication.batches : 0;
}

int bench_pipeline_run(bench_pipeline_t *self, const bench_phase_t *phase, bench_result_t *out)
{
    if (self->used + phase->count > self->capacity || phase->clients == 0 || phase->window == 0)
        return -1;
    s_phase_open(self, phase);
    size_t n_items;
    zmq_pollitem_t *items = s_poll_items(self, phase, &n_items);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    size_t next = 0, rr = 0;
    int64_t started = bench_now_ns(), last_sample = started, last_sent = started;
    self->last_progress = started;
    int rc = 0;
    while (rc == 0 && (self->published < phase->count || !s_followers_done(self))) {
        int64_t now = bench_now_ns();
        size_t before = next;
        rc = s_feed(self, phase, &next, &rr, started, now);
        if (next > before)
            last_sent = now;
        s_reader_pull(self, &self->review);
        s_reader_pull(self, &self->publication);
        for (size_t f = 0; f < phase->followers; f++)
            s_reader_pull(self, &self->followers[f]);
        if (rc == 0 && self->votes_in_flight == 0 && self->list_count)
            rc = s_meeting(self);
        long timeout = s_poll_ms(phase, next, started, now);
        if (rc == 0)
            rc = s_step(self, phase, items, n_items, timeout, &msg);
        if (zsys_interrupted) {
            fprintf(stderr, "essp-bench: interrupted\n");
            rc = -1;
        }
        now = bench_now_ns();
        if (now - last_sample > S_SAMPLE_NS) {
            bench_stack_sample(self->stack);
            last_sample = now;
        }
        if (rc == 0 && now - self->last_progress > S_STALL_NS) {
            fprintf(stderr, "essp-bench: no progress for 30 s: %zu of %zu submitted, %zu queued by review, "
                    "%zu published, %zu on the committee's list, %zu votes in flight\n", next, phase->count,
                    self->validated, self->published, self->list_count, self->votes_in_flight);
            rc = -1;
        }
    }
    int64_t ended = bench_now_ns();
    zmq_msg_close(&msg);
    free(items);
    if (rc == 0)
        s_result(self, phase, started, last_sent, ended, out);
    s_phase_close(self, phase);
    return rc;
}

/* ------------------------------------------------------------- catch-up */

int bench_pipeline_catch_up(bench_pipeline_t *self, size_t *entries, double *seconds)
{
    reader_t reader;
    s_reader_init(self, &reader, SERVICE_PUBLICATION, 0, 0);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    uint64_t head = 1;
    int rc = 0;
    int64_t started = bench_now_ns();
    while (rc == 0 && reader.cursor < head) {
        reader.in_flight = false;
        s_reader_pull(self, &reader);
        msgpack_object reply;
        if (s_wait_reply(self, reader.sock, &msg, &reply) != 1 || !doc_uint(&reply, "head", &head)) {
            rc = -1;
            break;
        }
        const msgpack_object *events = doc_array(&reply, "events");
        for (size_t i = 0; rc == 0 && i < doc_len(events); i++) {
            uint64_t seq = 0;
            if (!doc_uint(doc_at(events, i), "seq", &seq) || seq != reader.cursor + 1
                || !doc_map(doc_at(events, i), "entry"))
                rc = -1;
            reader.cursor = seq;
        }
        if (rc == 0 && doc_len(events) == 0 && reader.cursor < head)
            rc = -1;
    }
    *seconds = (double)(bench_now_ns() - started) / 1e9;
    *entries = (size_t)reader.cursor;
    zmq_msg_close(&msg);
    zsock_destroy(&reader.sock);
    if (rc)
        fprintf(stderr, "essp-bench: catch-up stopped at seq %llu of %llu\n",
                (unsigned long long)reader.cursor, (unsigned long long)head);
    return rc;
}
