/*  common/service.h - the shell every service runs in.
 *
 *  A service is a pure core (handlers over an LMDB transaction, the
 *  decoded message and the time, passed in) in this thin shell, which owns
 *  what the core must not: the sockets, the loop, the LMDB environment, the
 *  clock, the signals.  The shell:
 *    - binds a ROUTER where clients send requests (and anyone pulls a
 *      public event log), and, when the service declares secure_types or
 *      its log is private, a second ROUTER that speaks CURVE and knows who
 *      sends each request: downstream services pull a private log there,
 *      each with its own key pair (auth_server_cert), as this service
 *      pulls its own upstreams;
 *    - in each turn of its loop, drains up to SERVICE_BATCH requests that
 *      are ready and the replies of its upstream streams, runs the requests
 *      and applies each batch of events together with that stream's new
 *      cursor, all in ONE write transaction, commits (one fsync), and only
 *      then sends the replies: group commit, exactly once across kill -9,
 *      and no reply before the state is durable (when that transaction
 *      fails, the requests and each batch are run again apart, so that one
 *      poisoned batch stops only its own stream);
 *    - holds pulls that found nothing new and answers them as soon as an
 *      event is appended (or with an empty batch when their wait expires);
 *    - on SIGTERM/SIGINT finishes the batch in hand and exits 0.
 */
#ifndef ESSP_COMMON_SERVICE_H
#define ESSP_COMMON_SERVICE_H

#include "config.h"
#include "metrics.h"
#include "stream_log.h"

#include "proto/error.h"
#include "proto/messages.h"

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#define SERVICE_BATCH 512
#define SERVICE_UPSTREAMS_MAX 4

typedef struct service_t service_t;

/*  What a request ended as, for the shell's log and metrics.  The shell
 *  fills it (id from the request's "id" field); service_refuse and
 *  service_refuse_error record the code and rule; a core that creates
 *  an application names it with service_request_set_id.  Only what is not
 *  private: a code, a rule, an application id. */
typedef struct {
    char code[32];                  /* "" when answered, else the error code */
    char rule[PROTO_RULE_MAX];      /* the rule of a refusal, "" otherwise */
    char id[PROTO_ID_MAX + 1];      /* the application concerned, "" when none */
} service_outcome_t;

/*  One request, already decoded and checked against the catalogue. */
typedef struct {
    const msgpack_object *msg;
    const char *type;            /* catalogue name, e.g. "submit" */
    bool has_rid;
    uint64_t rid;
    msgpack_packer *reply;       /* pack exactly one reply map here */
    int64_t now;                 /* unix seconds of this batch */
    int64_t now_ms;              /* the same instant in milliseconds (orders ids) */
    /* Who sent it, as the certificate store says (see common/auth.h):
     * both NULL on the plain ROUTER, both set on the secure one. */
    const char *peer_name;
    const char *peer_role;       /* "member" or "staff" */
    service_outcome_t outcome;   /* what it ended as (see above) */
} service_request_t;

/*  What a handler returns when it refused the request: the error reply is
 *  packed (by service_refuse) and nothing was written.  Negative and
 *  outside LMDB's range (MDB_KEYEXIST..MDB_LAST_ERRCODE), so that it is
 *  never taken for an LMDB or an errno code. */
#define SERVICE_REFUSED (-31000)

/*  Runs one request inside the batch's write transaction.  Packs a reply
 *  and returns 0; or refuses it with service_refuse() and returns what that
 *  returns (SERVICE_REFUSED); or returns an LMDB error code: the whole
 *  batch is then rolled back (and run again after growing the map on
 *  MDB_MAP_FULL).  A handler must check everything before it writes
 *  anything, so that a refused request changes nothing. */
typedef int (*service_handle_fn)(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  Applies one event of an upstream stream inside a transaction; returns 0
 *  or an LMDB code (batch rolled back and retried). */
typedef int (*service_apply_fn)(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                                const msgpack_object *event, int64_t now);

typedef struct {
    service_id_t from;
    service_apply_fn apply;
    /* The top-level fields of its events this service never reads
     * (NULL-terminated, at most PROTO_OMIT_MAX; NULL: none): its pulls ask
     * the producer to leave them out (common/stream_omit.h). */
    const char *const *omit;
} service_upstream_t;

typedef struct {
    service_id_t id;
    const char *const *dbs;      /* the core's databases, NULL-terminated */
    void *ctx;
    /* Called once, after the store is open, inside a write transaction. */
    int (*start)(void *ctx, service_t *svc, MDB_txn *txn);
    service_handle_fn handle;
    /* Optional: state a core keeps in memory beside its transactions
     * (intake's batched index writes).  before_commit runs in each write
     * transaction (the start's too) once everything else is in it, just
     * before the commit; a code other than 0 rolls the transaction back.
     * ended runs once the transaction is over, committed or rolled back. */
    int (*before_commit)(void *ctx, service_t *svc, MDB_txn *txn);
    void (*ended)(void *ctx, service_t *svc, bool committed);
    /* Optional: figures of the core's own for /metrics, read in the loop a
     * few times a second: fills at most `max` gauges, returns how many. */
    size_t (*gauges)(void *ctx, metrics_gauge_t *out, size_t max);
    service_upstream_t upstreams[SERVICE_UPSTREAMS_MAX];
    size_t upstream_count;
    /* Optional front end of the service's own (intake's HTTP gateway).
     * attach runs once the ROUTER is bound, before the loop; detach once
     * the loop has ended, before the ROUTER closes.  The front end's
     * threads send requests on DEALER sockets (one per thread at a time:
     * ZeroMQ sockets are not thread-safe) connected to
     * service_inproc_endpoint(): they go through the same ROUTER, the same
     * batches and the same commit as every other request, so a reply still
     * means "durable".  attach returns 0, or -1 to stop the service. */
    int (*attach)(void *ctx, service_t *svc);
    void (*detach)(void *ctx, service_t *svc);
    /* Optional: the request types (NULL-terminated) answered only on the
     * service's CURVE ROUTER, bound on config_secure_bind_endpoint()
     * behind zauth and the certificate store (common/auth.h); on the plain
     * ROUTER they are refused (forbidden, rule authentication).  The CURVE
     * ROUTER is also bound when the service's stream is private
     * (auth_may_pull): its pulls are answered only there, to the keys
     * auth_may_pull admits (else forbidden, rule role; on the plain ROUTER
     * rule authentication).  Its requests join the same batches; each
     * carries the sender's name and role. */
    const char *const *secure_types;
    /* Optional: the request types (NULL-terminated) that a front end of
     * the service's own sends again and again while idle (notify's
     * sender asking for the letters due): answered, they get no log line
     * (common/event_log.h); refused, they do. */
    const char *const *quiet_types;
    /* Optional: the request types (NULL-terminated) that bring new work
     * in (intake's submit), refused with `unavailable` / `storage` while
     * the disk under the store has less than ESSP_DISK_RESERVE_MB free
     * (default 64), so that what is already inside still has room to
     * commit.  Every service also warns in its log when the disk has less
     * than 10 % or less than the map's next growth free. */
    const char *const *room_types;
    /* Optional: the log keeps the last field of its large events apart
     * (stream_log_keep_tails, in a database "tails" after the cursors'):
     * validation, whose events carry the application and its report, just
     * over what a leaf page of LMDB holds.  A core that reads its own
     * events back (service_log_get) must not hold one across another call
     * of its log. */
    bool log_tails;
    /* Optional: the field of the service's events that repeats, byte for
     * byte, the field of that name in the content they carry signed
     * (publication's upsert: "entry"): the log keeps those bytes once
     * (stream_log_keep_signed_copy). */
    const char *log_signed_copy;
} service_def_t;

/*  Runs the service until SIGTERM; returns the process exit code. */
int service_main(const service_def_t *def);

/*  The one way a core refuses a request: packs the error reply {code,
 *  field, rule, message} into req->reply and returns SERVICE_REFUSED.
 *    return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists",
 *                          "no file with this id is before the committee");
 *  service_refuse_error does the same with an error a checker filled. */
int service_refuse(service_request_t *req, const char *code, const char *field, const char *rule,
                   const char *format, ...) __attribute__((format(printf, 5, 6)));
int service_refuse_error(service_request_t *req, const char *code, const proto_error_t *err);

/*  Names the application a request concerns when the request did not
 *  carry it (a submission: the id it created), for the log. */
void service_request_set_id(service_request_t *req, const char *id, size_t len);

/*  The i-th database of def->dbs. */
MDB_dbi service_db(service_t *self, size_t index);

/*  Appending to this service's event log (see common/stream_log.h): begin
 *  packs the head {seq, type, at} and returns the packer for `fields` more
 *  pairs; end appends inside txn. */
msgpack_packer *service_event_begin(service_t *self, const char *type, int64_t at, size_t fields,
                                    uint64_t *seq);
int service_event_end(service_t *self, MDB_txn *txn);

/*  Appends an upstream's `event` to this service's log, under this
 *  service's own seq, `type` and `at`, with every field of it but the
 *  producer's envelope (seq, v, type, at): for a stage that passes events
 *  on.  When `event` is the one the shell is applying, its fields go as
 *  the producer packed them, neither decoded nor packed again; otherwise
 *  (a core run outside the shell, in a unit test) they are packed from
 *  the decoded event, to the same bytes. */
int service_event_forward(service_t *self, MDB_txn *txn, const char *type, int64_t at,
                          const msgpack_object *event);

/*  Erasure: rewrites this service's committed events about `id` in place
 *  (see stream_log_redact in common/stream_log.h).  It also makes the
 *  shell compact the store after the turn commits (a copy of the live
 *  pages replaces the data file), so that the erased bytes do not stay in
 *  LMDB's freed pages. */
int service_log_redact(service_t *self, MDB_txn *txn, const char *id, size_t id_len,
                       stream_log_rewrite_fn rewrite, void *arg, size_t *count);

/*  Erasure outside the event log (a core's own records of a person): the
 *  shell compacts the store after the turn commits, as after
 *  service_log_redact. */
void service_request_compact(service_t *self);

/*  The in-process endpoint the ROUTER also binds ("inproc://essp-intake"),
 *  for the threads of an attached front end. */
const char *service_inproc_endpoint(service_t *self);

/*  The last committed seq of this service's log. */
uint64_t service_log_head(service_t *self);
/*  The stored bytes of event `seq` of this service's log (stream_log_get). */
int service_log_get(service_t *self, MDB_txn *txn, uint64_t seq, MDB_val *event);

#endif
