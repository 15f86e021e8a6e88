/*  tests/unit/service_fixture.h - common/service run in a thread of a test,
 *  for the test_service_*.c files.
 *
 *  The service runs a small core of the fixture's own: "status {id}"
 *  stores id and answers ack (ids "refuse": refused, "hold": waits while
 *  the test holds the turn, "broken": an LMDB error); "erase {id}" appends
 *  an "erased" event; "withdraw {id}" redacts the events about id.  Its
 *  two upstreams are played by the test on inproc ROUTERs; each event
 *  applied stores "ev:<id>" (the event about "poison" fails).  Clients are
 *  inproc DEALERs.  The store's fault hook (ESSP_STORE_FAULTS, linked from
 *  essp_common_faults) is cleared before and after each test.
 */
#ifndef ESSP_TESTS_SERVICE_FIXTURE_H
#define ESSP_TESTS_SERVICE_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <czmq.h>

#include "common/service.h"
#include "common/store.h"

typedef struct {
    char home[64];
    int run;                     /* services started so far in this process */
    service_def_t def;
    pthread_t thread;
    int code;
    atomic_int done;             /* service_main returned */
    bool running;
    zsock_t *client;
    zsock_t *puller;             /* pulls the service's log: f->client, or a
                                  * staff key on the secure ROUTER when the
                                  * stream is private */
    zsock_t *producer[2];        /* the two upstreams */
    zframe_t *identity[2];       /* of the consumer's last pull */
    uint64_t pull_rid[2];        /* its rid, which a producer's reply repeats */
    msgpack_zone zone;
    uint64_t rid;
    size_t last_pull_omit;       /* names in the "omit" of the last pull fixture_pull_of saw */
    /* The core's knobs and what it says back. */
    atomic_int hold;             /* a "hold" request waits while this is set */
    atomic_int holding;          /* ... and says it is waiting */
    atomic_int attaches;         /* times the front end's attach was called */
    atomic_int detached;         /* times the front end was detached */
    int start_rc;                /* what the core's start returns */
    int attach_rc;               /* what the front end's attach returns */
    /* While the test holds a turn: the service, and which of its sockets
     * the test sent to (fixture_release_turn waits for them). */
    service_t *held;
    bool sent[4];
} service_fixture_t;

/*  cmocka's setup and teardown: a fresh ESSP_HOME, port block, service
 *  name and pair of upstreams each time; the teardown stops the service
 *  if it runs and removes the home. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/*  A block of 16 ports of its own (ESSP_PORT) for each start. */
void fixture_fresh_port(int block);
/*  The same, where the service's two ports on 127.0.0.1 are free now
 *  (other test processes use blocks of theirs): for a start whose binds
 *  must not fail by chance. */
void fixture_free_port(service_fixture_t *f, int block);

/*  Starts service_main in a thread; returns once it answers a ping. */
void fixture_start(service_fixture_t *f);
/*  Interrupts it and asserts that it exited 0 and detached its front end. */
void fixture_stop(service_fixture_t *f);

/*  A DEALER connected to the service's in-process endpoint. */
zsock_t *fixture_client(service_fixture_t *f);

/*  Sends type {id, reason: more} with fields fields (a new rid). */
void fixture_send(service_fixture_t *f, zsock_t *sock, const char *type, size_t fields, const char *id,
                  const char *more);
/*  The next reply on sock, decoded into f->zone (false after timeout_ms). */
bool fixture_reply(service_fixture_t *f, zsock_t *sock, int timeout_ms, msgpack_object *reply);
/*  A request and its reply; asserts the reply's type and its state (or,
 *  for an error, its code) when expect_state is not NULL. */
void fixture_ask(service_fixture_t *f, const char *type, const char *id, const char *expect_type,
                 const char *expect_state);

/*  The next pull of upstream u (after which seq), within timeout_ms; -1
 *  when none came. */
int64_t fixture_pull_of(service_fixture_t *f, size_t u, int timeout_ms);
/*  Upstream u answers its last pull with events first.. about ids
 *  (NULL-terminated), of type type (NULL: "erased"). */
void fixture_deliver(service_fixture_t *f, size_t u, uint64_t first, const char *const *ids, const char *type);

/*  Holds the service inside a request's handler, so that what the test
 *  sends meanwhile lands in the next turn, all together; then, once what
 *  was sent waits at the service's sockets, lets it go and takes the held
 *  request's reply. */
void fixture_hold_turn(service_fixture_t *f);
void fixture_release_turn(service_fixture_t *f);

/*  The service's log ($ESSP_HOME/log/<service>.log): its size now, where
 *  the lines of what follows begin; then asserts that the lines from mark
 *  on hold text (present) or do not, showing them when they are not as
 *  expected. */
long fixture_log_mark(service_fixture_t *f);
void fixture_expect_logged(service_fixture_t *f, long mark, const char *text, bool present);

/*  Returns once the in-process endpoints a stopped service bound (its
 *  ROUTER's, zauth's) are free again for the next start. */
void fixture_wait_endpoints_free(service_fixture_t *f);

/*  A client that may pull the service's log: f->client when the stream
 *  is public, else a staff key's DEALER on the secure ROUTER. */
zsock_t *fixture_puller(service_fixture_t *f);
/*  A DEALER on the service's secure ROUTER with cert's keys. */
zsock_t *fixture_secure_client(service_fixture_t *f, zcert_t *cert);
/*  A pull of the service's own log on sock. */
void fixture_pull_on(service_fixture_t *f, zsock_t *sock, uint64_t after, uint64_t wait);
/*  A pull of the service's own log by a client that may (fixture_puller),
 *  and the length of the batch that answers it (its first seq in
 *  *first_seq when not NULL). */
void fixture_pull(service_fixture_t *f, uint64_t after, uint64_t wait);
size_t fixture_batch_len(service_fixture_t *f, int timeout_ms, uint64_t *first_seq);

/*  After the service stopped: its store, as a later start would see it;
 *  whether "items" holds key; the committed cursor of upstream u. */
store_t *fixture_open(service_fixture_t *f);
bool fixture_has(store_t *store, const char *key);
uint64_t fixture_cursor(service_fixture_t *f, store_t *store, size_t u);

#endif
