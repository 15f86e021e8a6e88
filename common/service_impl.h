/*  common/service_impl.h - what the pieces of the service shell share.
 *
 *  Private to common/service*.c: the shell is one module (service.h) in
 *  three files along its seams,
 *    service.c       the public calls, the life cycle, the sockets, the loop
 *    service_turn.c  a turn: the requests and the upstream batches it
 *                    received, run in one write transaction, then answered
 *    service_pull.c  the replies to pulls of this service's own log, and
 *                    the pulls held until an event arrives
 */
#ifndef ESSP_COMMON_SERVICE_IMPL_H
#define ESSP_COMMON_SERVICE_IMPL_H

#include "metrics.h"
#include "metrics_server.h"
#include "service.h"
#include "store.h"
#include "stream_consumer.h"
#include "stream_log.h"

#include <czmq.h>
#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#define S_PARKED_MAX 4096
#define S_DB_EVENTS  "events"
#define S_DB_CURSORS "cursors"
#define S_DB_TAILS   "tails"

/*  A pull that found nothing new, waiting for an event or its deadline. */
typedef struct {
    zsock_t *router;             /* the ROUTER it came in on */
    zmsg_t *envelope;            /* routing frames to answer on */
    uint64_t after;
    size_t max;
    bool has_rid;
    uint64_t rid;
    int64_t deadline_ms;
    stream_omit_t omit;          /* the fields left out of each event */
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
    bool pull_answered;          /* a pull that lagged, answered before the turn's transaction */
    bool ready;                  /* reply packed (error or pong) before the transaction */
    int64_t received_us;         /* monotonic clock at receipt, for its duration */
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
    zsock_t *secure;             /* the CURVE ROUTER, when secure_types is set or
                                  * the stream is private (auth_may_pull) */
    zactor_t *auth;              /* zauth, answering the secure ROUTER's ZAP requests */
    zcert_t *cert;               /* the service's own key pair (keys/<service>.cert) */
    stream_consumer_t *consumers[SERVICE_UPSTREAMS_MAX];
    upstream_batch_t upstream[SERVICE_UPSTREAMS_MAX];
    /* The event an upstream's apply is given (service_event_forward):
     * its upstream and index in the batch; NULL outside an apply. */
    const msgpack_object *applying;
    size_t applying_u, applying_i;
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
    metrics_t *metrics;          /* the loop's figures (common/metrics.h) */
    metrics_server_t *metrics_server;
    int64_t metrics_at_ms;       /* when the gauges were last published */
    int64_t stream_wait_ms;      /* ESSP_STREAM_WAIT_MS: how long a few events
                                  * of an upstream may wait for company */
    int64_t hold_until_ms;       /* backup_hold: no upstream batch is taken before this
                                  * (monotonic ms; 0 or past: not held) */
    struct {
        uint64_t reserve;        /* below this free on the disk, room_types are refused */
        int64_t checked_ms;
        bool low;                /* warned: under 10 % or under the map's next growth */
        bool short_reserve;      /* under the reserve */
    } room;
    struct {
        int64_t last_big_ms;
        int64_t returned_ms;     /* when memory was last given back */
        size_t largest_requests, largest_events;
        bool backlog;            /* a big turn took memory: give it back when through */
    } memory;
};

/*  service.c: records a refusal's code and rule in what a request ended as. */
void service_outcome_refused(service_outcome_t *outcome, const char *code, const char *rule);

/*  service_turn.c: one turn of the loop.  Takes the ready requests (when
 *  requests_in) and the replies of the upstreams flagged in streams_in,
 *  commits what they change, and only then answers. */
void service_turn(service_t *self, bool requests_in, const bool *streams_in, int64_t now_ms);

/*  service.c: the gauges (heads, cursors, space) into the live figures,
 *  then a snapshot for the HTTP thread; per turn, at most every
 *  METRICS_PUBLISH_MS unless forced. */
void service_metrics_publish(service_t *self, int64_t now_ms, bool force);

/*  service.c: packs the reply to a `health` request (common/health.h). */
void service_health(service_t *self, msgpack_packer *pk, bool has_rid, uint64_t rid);
/*  True while a backup holds the upstream streams (backup_hold). */
bool service_held(const service_t *self, int64_t now_ms);
/*  service_room.c: the disk under the store and the memory of a backlog.
 *  init once at start (the allocator's settings, the reserve); watch once
 *  per loop (looks at the disk once a second, logs each crossing once);
 *  refuse packs `unavailable` / `storage` for a request of def->room_types
 *  while the disk is under its reserve and returns true.  failure_code is
 *  the error code of a transaction that failed with rc. */
void service_room_init(service_t *self);
void service_room_watch(service_t *self, int64_t now_ms);
bool service_room_refuse(service_t *self, pending_t *p);
const char *service_room_failure_code(int rc);

/*  After each turn (its requests and the events it applied): a big turn
 *  marks a backlog; idle is called once per loop and, a second after the
 *  last big turn (and at most every 15 s), returns what the backlog took
 *  when RssAnon grew by more than 1 MiB since the last time: buffers back
 *  to their first size, the store reopened, malloc_trim.  return does it
 *  at once. */
void service_memory_turn_ended(service_t *self, size_t requests, size_t events, int64_t now_ms);
void service_memory_idle(service_t *self, int64_t now_ms);
void service_memory_return(service_t *self);

/*  service_pull.c: sends one reply (the routing frames, then data). */
void service_send(zsock_t *router, zmsg_t *envelope, const void *data, size_t size);

/*  service_turn.c: ends a write transaction (a turn's, the start's): the
 *  core's before_commit, then the commit when everything in it succeeded,
 *  else the rollback; the log's head and the core's ended follow either
 *  way.  Returns the final code; *commit_us: the commit's time (0 when
 *  there was none). */
int service_txn_end(service_t *self, MDB_txn *txn, int rc, int64_t *commit_us);

/*  The seq a pull asks the events after ("after"; 0 when it names none). */
uint64_t service_pull_after(const pending_t *p);

/*  Answers pull p of a batch now (opening *read_txn when it needs one, the
 *  caller aborts it), or holds it until an event or its wait's end. */
void service_handle_pull(service_t *self, MDB_txn **read_txn, pending_t *p, int64_t now_ms);

/*  Answers every held pull that now has events, or whose wait is over. */
void service_serve_parked(service_t *self, int64_t now_ms);

/*  Forgets held pull i (no answer). */
void service_unpark(service_t *self, size_t i);

#endif
