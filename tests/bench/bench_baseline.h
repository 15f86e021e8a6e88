/*  tests/bench/bench_baseline.h - what the parts alone can do.
 *
 *  Every figure of the pipeline is bounded by two things it is built on:
 *  an LMDB write transaction made durable (fsync), and a ZeroMQ
 *  DEALER/ROUTER hop over loopback TCP.  Both are measured here, in the
 *  same run, with the record size and the sync mode the services use, so a
 *  figure can be read as a ratio to what the machine allows.
 */
#ifndef ESSP_BENCH_BASELINE_H
#define ESSP_BENCH_BASELINE_H

#include "bench_stats.h"

#include <stddef.h>

typedef struct {
    size_t record_size;
    size_t batch;                /* records per transaction of the group commit */
    size_t records;              /* written in group commits */
    double records_per_s;        /* group commit: K puts + one commit (fsync) */
    bench_pct_t group_commit;    /* duration of one group commit */
    bench_pct_t single_commit;   /* one record, one commit: the fsync floor */
} bench_lmdb_t;

typedef struct {
    size_t message_size;
    bench_pct_t round_trip;      /* one request, wait for the echo */
    size_t pipelined;            /* messages echoed with many in flight */
    double pipelined_per_s;
} bench_zmq_t;

/*  Writes `records` records of record_size bytes in transactions of
 *  `batch`, then `singles` one-record transactions, in a new LMDB
 *  environment under dir (default flags: fsync at every commit, as the
 *  services).  0 or -1. */
int bench_lmdb_baseline(const char *dir, size_t record_size, size_t records, size_t batch,
                        size_t singles, bench_lmdb_t *out);

/*  A ROUTER echoing in its own thread, a DEALER in this one: `round_trips`
 *  sequential round trips, then `pipelined` messages with up to 1000 in
 *  flight.  0 or -1. */
int bench_zmq_baseline(size_t message_size, size_t round_trips, size_t pipelined, bench_zmq_t *out);

#endif
