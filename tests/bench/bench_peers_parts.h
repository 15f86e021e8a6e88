/*  tests/bench/bench_peers_parts.h - what the peers' pipelines share:
 *  the server process each runs against, and the driver of the producer
 *  and the four stages (threads, one client connection each).
 *
 *  A peer (Redis, NATS) gives its own connect, produce and stage
 *  functions; the driver starts them together, times the run from the
 *  producer's first append to the last stage's last acknowledged append,
 *  and reads the CPU the server and this process spent meanwhile.
 */
#ifndef ESSP_BENCH_PEERS_PARTS_H
#define ESSP_BENCH_PEERS_PARTS_H

#include "bench_peers.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

/*  Each stage pulls at most this many records at once (the batch),
 *  and the producer appends in batches of the same size. */
#define BENCH_PEER_BATCH 100
#define BENCH_PEER_STAGES 4
/*  A stage that receives nothing for this long gives up: something
 *  upstream stopped. */
#define BENCH_PEER_IDLE_NS (30 * (int64_t)1000000000)

/* ----------------------------------------------------------------- server */

typedef struct {
    char dir[PATH_MAX];          /* temporary: the server's data and log */
    char log[PATH_MAX + 16];
    int port;                    /* on 127.0.0.1 */
    pid_t pid;
} bench_peer_server_t;

/*  The path of an installed program (PATH, then /usr/sbin and /usr/bin,
 *  where Debian puts nats-server and redis-server); 0 or -1. */
int bench_peer_server_find(const char *program, char *path, size_t cap);

/*  Creates the temporary directory and picks a free loopback port; 0, or
 *  -1 with why. */
int bench_peer_server_prepare(bench_peer_server_t *self, const char *program, char *why, size_t cap);

/*  Starts argv (argv[0] a path) with its output in the log and waits
 *  until the port accepts connections (at most 10 s); 0, or -1 with why
 *  (the server's last words when it exited). */
int bench_peer_server_start(bench_peer_server_t *self, char *const argv[], char *why, size_t cap);

/*  CPU seconds (user + system) the server has used so far; 0 when unknown. */
double bench_peer_server_cpu(const bench_peer_server_t *self);

/*  SIGTERM, then waits (SIGKILL after 15 s); removes the directory. */
void bench_peer_server_stop(bench_peer_server_t *self);

/* --------------------------------------------------------------- pipeline */

typedef struct bench_peer_run bench_peer_run_t;

typedef struct {
    /*  Opens the connection of `worker` (0: the producer; 1..4: the stages),
     *  and for a stage its subscription; NULL after bench_peer_fail. */
    void *(*connect)(bench_peer_run_t *run, int worker);
    /*  Appends run->count copies of the record to s0; 0 or -1. */
    int (*produce)(bench_peer_run_t *run, void *client);
    /*  Moves run->count records from s(stage-1) to s(stage); 0 or -1. */
    int (*stage)(bench_peer_run_t *run, void *client, int stage);
    void (*disconnect)(void *client);
} bench_peer_ops_t;

/*  Made with BENCH_PEER_RUN(ops, record, len, count, port). */
struct bench_peer_run {
    const bench_peer_ops_t *ops;
    const void *record;
    size_t len;
    size_t count;
    int port;
    atomic_bool failed;
    pthread_mutex_t lock;
    pthread_cond_t changed;      /* a worker connected, or the start */
    int connected;               /* workers connected (or given up) */
    bool go;                     /* every worker connected: the clock starts */
    char why[256];               /* the first failure */
    _Atomic int64_t first_ns;    /* the producer's first append */
    _Atomic int64_t last_ns;     /* the last stage's last append, acknowledged */
};

#define BENCH_PEER_RUN(ops_, record_, len_, count_, port_)                                               \
    ((bench_peer_run_t){.ops = (ops_), .record = (record_), .len = (len_), .count = (count_), \
                        .port = (port_), .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER})

/*  Runs the producer and the four stages against the server, each in its
 *  own thread with its own connection; fills out (but ran and why).
 *  0, or -1 with the first failure in run->why. */
int bench_peer_pipeline(bench_peer_run_t *run, const bench_peer_server_t *server,
                        bench_peer_result_t *out);

/*  Records the first failure (what went wrong, in the peer's words) and
 *  tells every worker to stop. */
void bench_peer_fail(bench_peer_run_t *run, const char *format, ...) __attribute__((format(printf, 2, 3)));

static inline bool bench_peer_failed(bench_peer_run_t *run)
{
    return atomic_load(&run->failed);
}

/*  The stream names: "s0" .. "s4". */
void bench_peer_stream(int index, char out[8]);

/*  The peers, in bench_peers_redis.c and bench_peers_nats.c: 0 when the run
 *  completed; -1 with out->why otherwise (out->ran false when the server or
 *  the client library is not installed, which is not an error). */
int bench_peers_redis(bool always, const void *record, size_t len, size_t count, bench_peer_result_t *out);
int bench_peers_nats(const void *record, size_t len, size_t count, bench_peer_result_t *out);

#endif
