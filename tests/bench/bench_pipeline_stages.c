/*  tests/bench/bench_pipeline_stages.c - what happens to an application
 *  in the pipeline, as the bench sees it: submitted and receipted, queued
 *  by review, listed and voted on by the committee, published and
 *  delivered to the followers of the publication stream (see
 *  bench_pipeline.h for the times measured). */
#include "bench_pipeline_parts.h"

#include "common/auth.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <stdio.h>

#define S_MEETING_MAX 2000       /* files on one meeting's list */

/* ---------------------------------------------- the committee's members */

static const struct {
    const char *name;
    const char *college;
} s_committee[PIPELINE_MEMBERS] = {
    {"Claire Moreau", "researchers"},
    {"Hervé Le Guen", "local_authorities"},
    {"Sophie Bernard", "ess_networks"},
};

int bench_pipeline_committee(bench_pipeline_t *self)
{
    /* As the essp tool does: a staff key adds the members, each member
     * gets a key pair and votes with it. */
    if (pipeline_staff_key() != 0
        || !(self->staff = pipeline_secure_dealer(SERVICE_REVIEW, AUTH_ROLE_STAFF, "bench"))) {
        fprintf(stderr, "essp-bench: no staff key for review's authenticated endpoint\n");
        return -1;
    }
    int rc = 0;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (size_t m = 0; rc == 0 && m < PIPELINE_MEMBERS; m++) {
        pipeline_begin(self);
        proto_pack_request(&self->pk, "member_add", m + 1, 2);
        proto_pack_kv_str(&self->pk, "name", s_committee[m].name);
        proto_pack_kv_str(&self->pk, "college", s_committee[m].college);
        msgpack_object reply;
        rc = pipeline_send(self, self->staff);
        if (rc == 0 && pipeline_wait_reply(self, self->staff, &msg, &reply) != 1)
            rc = -1;
        else if (rc == 0 && !doc_str_eq(&reply, "type", "member"))
            rc = pipeline_refused("member_add", &reply);
        if (rc == 0 && (auth_issue(AUTH_ROLE_MEMBER, s_committee[m].name) != 0
                        || !(self->voters[m] = pipeline_secure_dealer(SERVICE_REVIEW, AUTH_ROLE_MEMBER, s_committee[m].name))))
            rc = -1;
    }
    zmq_msg_close(&msg);
    return rc;
}

/* ------------------------------------------------------------ submitting */

int pipeline_submit(bench_pipeline_t *self, size_t index, int client)
{
    size_t size;
    const char *application = bench_apps_make(self->apps, (uint32_t)index + 1, &size);
    /* Idempotency keys come in no order (a client's random ids): the
     * splitmix64 finalizer of the index, one-to-one. */
    uint64_t z = (uint64_t)index + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    char key[32];
    snprintf(key, sizeof key, "bench-%016llx", (unsigned long long)z);
    pipeline_begin(self);
    proto_pack_request(&self->pk, "submit", index + 1, 2);
    proto_pack_kv_str(&self->pk, "key", key);
    proto_pack_kv_raw(&self->pk, "application", application, size);
    app_t *app = &self->app[index];
    app->client = client;
    app->sent = bench_now_ns();
    self->client_in_flight[client]++;
    return pipeline_send(self, self->clients[client]);
}

int pipeline_on_receipt(bench_pipeline_t *self, const msgpack_object *reply)
{
    uint64_t rid = 0;
    doc_uint(reply, "rid", &rid);
    if (rid == 0 || rid > self->used)
        return -1;
    app_t *app = &self->app[rid - 1];
    self->client_in_flight[app->client]--;
    if (!doc_str_eq(reply, "type", "receipt"))
        return pipeline_refused("a submission", reply);
    if (doc_strcpy(reply, "id", app->id, sizeof app->id) != PIPELINE_ID_LEN)
        return -1;
    app->receipt = bench_now_ns();
    self->last_progress = app->receipt;
    bench_samples_add(&self->receipt, app->receipt - app->sent);
    pipeline_remember(self, rid - 1);
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
int pipeline_meeting(bench_pipeline_t *self)
{
    size_t files = self->list_count < S_MEETING_MAX ? self->list_count : S_MEETING_MAX;
    size_t from = self->list_count - files;
    for (size_t f = from; f < self->list_count; f++) {
        size_t index = self->list[f];
        app_t *app = &self->app[index];
        app->listed = false;
        /* Listed once review has the file ("queued"): each member votes
         * once. */
        for (size_t m = 0; m < PIPELINE_MEMBERS; m++) {
            if (app->votes_sent & (1u << m))
                continue;
            pipeline_begin(self);
            proto_pack_request(&self->pk, "vote", index * 4 + m + 1, 2);
            proto_pack_kv_strn(&self->pk, "id", app->id, PIPELINE_ID_LEN);
            proto_pack_kv_str(&self->pk, "decision", "approve");
            if (pipeline_send(self, self->voters[m]) != 0)
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

int pipeline_on_vote(bench_pipeline_t *self, const msgpack_object *reply)
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
    return pipeline_refused("a vote", reply);
}

/* -------------------------------------------------------------- streams */

int pipeline_on_batch(bench_pipeline_t *self, reader_t *reader, const msgpack_object *reply,
                      event_fn fn)
{
    reader->in_flight = false;
    const msgpack_object *events = doc_array(reply, "events");
    if (!doc_str_eq(reply, "type", "batch") || !events)
        return pipeline_refused("a pull", reply);
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
int pipeline_on_queued(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event,
                       int64_t now)
{
    if (!doc_str_eq(event, "type", "queued") || !doc_str_eq(event, "kind", "review"))
        return 0;
    long index = pipeline_lookup(self, doc_get(event, "id"));
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
    long index = pipeline_lookup(self, doc_get(event, "id"));
    if (index < 0)
        return NULL;
    app_t *app = &self->app[index];
    if (!app->delivered)
        app->delivered = now;
    return app;
}

int pipeline_on_upsert(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event,
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

int pipeline_on_follower(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event,
                         int64_t now)
{
    app_t *app = s_delivered(self, event, now);
    if (app) {
        bench_samples_add(&self->fanout, now - app->delivered);
        bench_samples_add(&self->vote_to_delivery, now - app->voted);
    }
    return 0;
}
