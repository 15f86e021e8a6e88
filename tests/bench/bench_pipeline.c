/*  tests/bench/bench_pipeline.c - the pipeline's driver: its life cycle,
 *  a phase's loop (submissions fed, readers pulling, meetings held, all
 *  the sockets polled), the phase's result, and the catch-up of a new
 *  reader.  See bench_pipeline.h; the parts: bench_pipeline_parts.h. */
#include "bench_pipeline_parts.h"

#include "proto/doc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HELD_MS 1000           /* how long the bench's own pulls are held */
#define S_FOLLOWER_HELD_MS 30000
#define S_STALL_NS (30 * (int64_t)1000000000)

/* ---------------------------------------------------------- life cycle */

/*  Does fn to each of the phase's samples. */
static void s_each_samples(bench_pipeline_t *self, void (*fn)(bench_samples_t *))
{
    bench_samples_t *samples[] = {&self->receipt, &self->in_review, &self->to_published, &self->fanout,
                                  &self->vote_to_delivery};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
        fn(samples[i]);
}

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
    pipeline_reader_init(self, &self->review, SERVICE_REVIEW, 0, S_HELD_MS);
    /* The committee reads the queue, not the application a decision
     * carries for publication. */
    static const char *const review_omit[] = {"application", NULL};
    self->review.omit = review_omit;
    pipeline_reader_init(self, &self->publication, SERVICE_PUBLICATION, 0, S_HELD_MS);
    s_each_samples(self, bench_samples_init);
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
    for (size_t m = 0; m < PIPELINE_MEMBERS; m++)
        zsock_destroy(&self->voters[m]);
    s_each_samples(self, bench_samples_fini);
    msgpack_sbuffer_destroy(&self->buf);
    msgpack_zone_destroy(&self->zone);
    free(self->app);
    free(self->slots);
    free(self->list);
    free(self);
    *self_p = NULL;
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
        self->clients[c] = pipeline_dealer(self, SERVICE_INTAKE);
    self->follower_count = phase->followers;
    self->followers = calloc(phase->followers ? phase->followers : 1, sizeof *self->followers);
    for (size_t f = 0; f < phase->followers; f++)
        pipeline_reader_init(self, &self->followers[f], SERVICE_PUBLICATION, self->publication.cursor,
                             S_FOLLOWER_HELD_MS);
    s_each_samples(self, bench_samples_clear);
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
        if (pipeline_submit(self, self->first + *next, client) != 0)
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
    while ((rc = pipeline_recv(self, sock, msg, &obj)) == 1)
        if (fn(self, &obj, arg) != 0)
            return -1;
    return rc;
}

static int s_receipt_fn(bench_pipeline_t *self, const msgpack_object *obj, void *arg)
{
    return pipeline_on_receipt(self, obj);
}

static int s_vote_fn(bench_pipeline_t *self, const msgpack_object *obj, void *arg)
{
    return pipeline_on_vote(self, obj);
}

static int s_stream_fn(bench_pipeline_t *self, const msgpack_object *obj, void *arg)
{
    reader_t *reader = arg;
    event_fn fn = reader == &self->review ? pipeline_on_queued
                : reader == &self->publication ? pipeline_on_upsert : pipeline_on_follower;
    return pipeline_on_batch(self, reader, obj, fn);
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
    for (size_t m = 0; m < PIPELINE_MEMBERS; m++, k++)
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
    *n = phase->clients + 2 + PIPELINE_MEMBERS + phase->followers;
    zmq_pollitem_t *items = calloc(*n, sizeof *items);
    size_t k = 0;
    for (size_t c = 0; c < phase->clients; c++)
        items[k++] = (zmq_pollitem_t){zsock_resolve(self->clients[c]), 0, ZMQ_POLLIN, 0};
    items[k++] = (zmq_pollitem_t){zsock_resolve(self->review.sock), 0, ZMQ_POLLIN, 0};
    for (size_t m = 0; m < PIPELINE_MEMBERS; m++)
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
    int64_t started = bench_now_ns(), last_sent = started;
    self->last_progress = started;
    int rc = 0;
    while (rc == 0 && (self->published < phase->count || !s_followers_done(self))) {
        int64_t now = bench_now_ns();
        size_t before = next;
        rc = s_feed(self, phase, &next, &rr, started, now);
        if (next > before)
            last_sent = now;
        pipeline_reader_pull(self, &self->review);
        pipeline_reader_pull(self, &self->publication);
        for (size_t f = 0; f < phase->followers; f++)
            pipeline_reader_pull(self, &self->followers[f]);
        if (rc == 0 && self->votes_in_flight == 0 && self->list_count)
            rc = pipeline_meeting(self);
        long timeout = s_poll_ms(phase, next, started, now);
        if (rc == 0)
            rc = s_step(self, phase, items, n_items, timeout, &msg);
        if (zsys_interrupted) {
            fprintf(stderr, "essp-bench: interrupted\n");
            rc = -1;
        }
        now = bench_now_ns();
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
    pipeline_reader_init(self, &reader, SERVICE_PUBLICATION, 0, 0);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    uint64_t head = 1;
    int rc = 0;
    int64_t started = bench_now_ns();
    while (rc == 0 && reader.cursor < head) {
        reader.in_flight = false;
        pipeline_reader_pull(self, &reader);
        msgpack_object reply;
        if (pipeline_wait_reply(self, reader.sock, &msg, &reply) != 1 || !doc_uint(&reply, "head", &head)) {
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

