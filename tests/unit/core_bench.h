/*  tests/unit/core_bench.h - a service's core on a temporary LMDB, without
 *  the shell.
 *
 *  A core speaks to its shell through six calls of common/service.h:
 *  service_db, service_event_begin, service_event_end, service_log_redact,
 *  service_log_head and service_log_get.  A test that links this bench wraps them
 *  (-Wl,--wrap=service_db,...: see tests/cmake/core_bench.cmake),
 *  so that they answer from a bench instead: a real LMDB environment in a
 *  mkdtemp folder, opened with the core's databases and an event log, as
 *  the shell opens them.  The rest of the shell is the real one, and in
 *  particular service_refuse: the replies and refusals a test reads are
 *  those the service sends.  No socket, no process, no clock: the test
 *  gives each request its time.
 *
 *  A request is written as JSON (proto/json_codec.h), goes through the
 *  same gate as on the wire (wire_decode, proto_request_check), then the
 *  core's handler runs in one write transaction that is committed as the
 *  shell commits a turn: when the handler returns 0 or SERVICE_REFUSED;
 *  on any other code it is rolled back.
 */
#ifndef ESSP_TESTS_CORE_BENCH_H
#define ESSP_TESTS_CORE_BENCH_H

#include "common/service.h"

#include <msgpack.h>
#include <stdint.h>

typedef struct core_bench_t core_bench_t;

/*  Opens a fresh store with the databases `dbs` (NULL-terminated) and the
 *  event log; fails the test when it cannot. */
core_bench_t *core_bench_new(const char *const *dbs);

/*  Closes the store and removes its folder. */
void core_bench_destroy(core_bench_t **self_p);

/*  The core's service_def_t.before_commit and .ended, run around each
 *  transaction of the bench as the shell runs them (either may be NULL). */
void core_bench_hooks(core_bench_t *self, int (*before_commit)(void *ctx, service_t *svc, MDB_txn *txn),
                      void (*ended)(void *ctx, service_t *svc, bool committed), void *ctx);

/*  Runs the core's start (service_def_t.start) in one write transaction,
 *  committed as the shell commits it when start returns 0, rolled back
 *  otherwise; returns what start returned. */
int core_bench_start(core_bench_t *self, int (*start)(void *ctx, service_t *svc, MDB_txn *txn), void *ctx);

/*  What the core receives as its service_t. */
service_t *core_bench_service(core_bench_t *self);

/*  The sender of the next requests, as the certificate store would name
 *  it: role "member" or "staff", or NULL for the plain endpoint. */
void core_bench_peer(core_bench_t *self, const char *role, const char *name);

/*  Runs the request whose JSON text is made from format (printf) at
 *  `now`; returns what the handler returned.  The request must pass the
 *  catalogue (the test fails otherwise). */
int core_bench_request(core_bench_t *self, service_handle_fn handle, void *ctx, int64_t now,
                       const char *format, ...) __attribute__((format(printf, 5, 6)));

/*  The reply the last request packed, decoded (valid until the next
 *  request), and its "type". */
const msgpack_object *core_bench_reply(core_bench_t *self);
const char *core_bench_reply_type(core_bench_t *self);

/*  Asserts that the last request was refused with this code, field and
 *  rule (and returned SERVICE_REFUSED: pass what it returned). */
void core_bench_assert_refused(core_bench_t *self, int rc, const char *code, const char *field,
                               const char *rule);

/*  Applies one event of an upstream stream, whose JSON text is made from
 *  format, in one transaction; returns what apply returned. */
int core_bench_apply(core_bench_t *self, service_apply_fn apply, void *ctx, const char *type, int64_t now,
                     const char *format, ...) __attribute__((format(printf, 6, 7)));

/*  The same with an event already decoded (for what JSON cannot say: bin
 *  fields). */
int core_bench_apply_object(core_bench_t *self, service_apply_fn apply, void *ctx, const char *type, int64_t now,
                            const msgpack_object *event);

/*  The last seq of the core's log, and the events after `after`
 *  (an array, decoded; valid until the next call of the bench). */
uint64_t core_bench_head(core_bench_t *self);

/*  How many times the core asked for its store to be compacted. */
size_t core_bench_compactions(core_bench_t *self);
const msgpack_object *core_bench_events(core_bench_t *self, uint64_t after);

/*  The first event of `type` after `after`, or NULL. */
const msgpack_object *core_bench_event(core_bench_t *self, uint64_t after, const char *type);

/*  The text of a file of tests/fixtures (ESSP_FIXTURES), malloc'd. */
char *core_bench_fixture(const char *path);

/*  The calls of common/service.h the bench answers (linked with --wrap). */
MDB_dbi __wrap_service_db(service_t *svc, size_t index);
msgpack_packer *__wrap_service_event_begin(service_t *svc, const char *type, int64_t at, size_t fields,
                                           uint64_t *seq);
int __wrap_service_event_end(service_t *svc, MDB_txn *txn);
int __wrap_service_event_forward(service_t *svc, MDB_txn *txn, const char *type, int64_t at,
                                 const msgpack_object *event);
int __wrap_service_log_redact(service_t *svc, MDB_txn *txn, const char *id, size_t id_len,
                              stream_log_rewrite_fn rewrite, void *arg, size_t *count);
uint64_t __wrap_service_log_head(service_t *svc);
void __wrap_service_request_compact(service_t *svc);
int __wrap_service_log_get(service_t *svc, MDB_txn *txn, uint64_t seq, MDB_val *event);

#endif
