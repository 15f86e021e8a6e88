/*  tests/bench/bench_pipeline_parts.h - what the parts of the pipeline
 *  share, inside the bench only: the state of bench_pipeline_t and the
 *  calls one part makes of another.
 *
 *    bench_pipeline.c         the driver: life cycle, a phase's loop,
 *                             its result, the catch-up
 *    bench_pipeline_wire.c    ids, sockets, messages sent and received
 *    bench_pipeline_stages.c  what happens to an application: submitted,
 *                             queued by review, voted on, published
 */
#ifndef ESSP_BENCH_PIPELINE_PARTS_H
#define ESSP_BENCH_PIPELINE_PARTS_H

#include "bench_pipeline.h"

#include "common/config.h"
#include "common/service.h"

#include <czmq.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIPELINE_MEMBERS 3       /* the committee: one member per college */
#define PIPELINE_ID_LEN 16       /* an application's id */

/*  What the bench knows of one application; times in ns, 0 = not yet. */
typedef struct {
    int64_t sent, receipt, validated, voted, published, delivered;
    char id[PIPELINE_ID_LEN + 1];
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
    const char *const *omit;     /* fields its pulls leave out (NULL: none) */
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
    zsock_t *voters[PIPELINE_MEMBERS];  /* the same, one member's key each */
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

/* ---------------------------------------------------- bench_pipeline_wire.c */

/*  Indexes app[index] by its id, once its receipt is read. */
void pipeline_remember(bench_pipeline_t *self, size_t index);
/*  The application with this id, or -1 (not yet receipted, or not ours). */
long pipeline_lookup(const bench_pipeline_t *self, const msgpack_object *id);

/*  A DEALER to service's plain endpoint, no high-water marks. */
zsock_t *pipeline_dealer(const bench_pipeline_t *self, service_id_t service);
/*  A DEALER on review's authenticated endpoint with the key pair of
 *  role/name (written under the bench's ESSP_HOME); NULL without it. */
zsock_t *pipeline_secure_dealer(service_id_t service, const char *role, const char *name);
/*  The bench's staff key, made once: 0 or -1. */
int pipeline_staff_key(void);

/*  A request is packed into self->pk after pipeline_begin, then sent. */
void pipeline_begin(bench_pipeline_t *self);
int pipeline_send(bench_pipeline_t *self, zsock_t *sock);

/*  A reader of service's stream from cursor, its pulls held wait_ms; its
 *  next pull, unless one is in flight. */
void pipeline_reader_init(bench_pipeline_t *self, reader_t *reader, service_id_t service, uint64_t cursor,
                          uint32_t wait_ms);
void pipeline_reader_pull(bench_pipeline_t *self, reader_t *reader);

/*  Receives one message without waiting: 1 and *obj decoded into the
 *  pipeline's zone, 0 when none is ready, -1 on garbage; or waits for it
 *  (at most 10 s, -1 after). */
int pipeline_recv(bench_pipeline_t *self, zsock_t *sock, zmq_msg_t *msg, msgpack_object *obj);
int pipeline_wait_reply(bench_pipeline_t *self, zsock_t *sock, zmq_msg_t *msg, msgpack_object *reply);

/*  Says on stderr that what was refused, and why; -1. */
int pipeline_refused(const char *what, const msgpack_object *reply);

/* -------------------------------------------------- bench_pipeline_stages.c */

/*  Sends application index's submission on client. */
int pipeline_submit(bench_pipeline_t *self, size_t index, int client);
/*  A receipt (or a refusal) of a submission. */
int pipeline_on_receipt(bench_pipeline_t *self, const msgpack_object *reply);

/*  A meeting of the committee over its list; a vote's acknowledgement. */
int pipeline_meeting(bench_pipeline_t *self);
int pipeline_on_vote(bench_pipeline_t *self, const msgpack_object *reply);

/*  Reads a batch of a stream; calls fn for each event after the cursor,
 *  stopping (cursor left before it) when fn returns 1: an event about an
 *  application whose receipt the bench has not read yet, pulled again. */
typedef int (*event_fn)(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event, int64_t now);
int pipeline_on_batch(bench_pipeline_t *self, reader_t *reader, const msgpack_object *reply, event_fn fn);

/*  The event_fn of review's stream, of the publication stream, and of its
 *  followers. */
int pipeline_on_queued(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event, int64_t now);
int pipeline_on_upsert(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event, int64_t now);
int pipeline_on_follower(bench_pipeline_t *self, reader_t *reader, const msgpack_object *event, int64_t now);

#endif
