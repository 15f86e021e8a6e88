/*  tests/bench/bench_peers.h - the stacks a user would pick instead of
 *  essp's streams, measured on the same records in the same run.
 *
 *  The same four-stage pipeline as the engine (bench_engine.h): a
 *  producer appends the records to the first stream; each stage pulls a
 *  batch of 100, appends it to the next stream and acknowledges it; the
 *  figure ends when the last stream holds every record.  On Redis Streams
 *  (hiredis; XREADGROUP, XADD, XACK) with appendfsync always and
 *  everysec, and on NATS JetStream (the NATS C client; file storage).
 *  The servers (Debian's redis-server and nats-server) are started on
 *  loopback in a temporary directory and stopped afterwards.
 */
#ifndef ESSP_BENCH_PEERS_H
#define ESSP_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    BENCH_PEER_REDIS_ALWAYS,
    BENCH_PEER_REDIS_EVERYSEC,
    BENCH_PEER_NATS_FILE,
    BENCH_PEERS
} bench_peer_t;

typedef struct {
    bool ran;                      /* false: why says plainly what is missing */
    char why[256];
    size_t records;
    double seconds;
    double records_per_s;
    double cpu_us_per_record;      /* the server and the four stages */
} bench_peer_result_t;

/*  "Redis Streams, appendfsync always", ... */
const char *bench_peer_name(bench_peer_t peer);

/*  Runs each peer in turn.  Returns 0 when every peer that could run
 *  completed; a peer that is not installed is not an error. */
int bench_peers_run(const void *record, size_t len, size_t count, bench_peer_result_t out[BENCH_PEERS]);

#endif
