/*  tests/bench/bench_baseline.c - see bench_baseline.h. */
#include "bench_baseline.h"

#include <czmq.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PIPELINE_WINDOW 1000

/* ------------------------------------------------------------------ LMDB */

static void s_key(uint64_t seq, unsigned char key[8])
{
    for (int i = 7; i >= 0; i--, seq >>= 8)
        key[i] = (unsigned char)(seq & 0xff);
}

/*  One transaction of `count` appends after *seq, committed. */
static int s_commit(MDB_env *env, MDB_dbi dbi, uint64_t *seq, size_t count, const char *record,
                    size_t size)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        unsigned char key[8];
        s_key(++*seq, key);
        MDB_val k = {8, key}, v = {size, (void *)record};
        rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND);
    }
    if (rc == 0)
        return mdb_txn_commit(txn);
    mdb_txn_abort(txn);
    return rc;
}

int bench_lmdb_baseline(const char *dir, size_t record_size, size_t records, size_t batch,
                        size_t singles, bench_lmdb_t *out)
{
    memset(out, 0, sizeof *out);
    out->record_size = record_size;
    out->batch = batch;
    char *record = malloc(record_size);
    for (size_t i = 0; i < record_size; i++)
        record[i] = (char)('a' + i % 26);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_mapsize(env, (size_t)1 << 30);
    if (!rc)
        rc = mdb_env_open(env, dir, MDB_NOTLS, 0600);
    if (!rc)
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, NULL, 0, &dbi);
    if (!rc)
        rc = mdb_txn_commit(txn);
    bench_samples_t group, single;
    bench_samples_init(&group);
    bench_samples_init(&single);
    uint64_t seq = 0;
    int64_t started = bench_now_ns();
    while (rc == 0 && out->records < records) {
        size_t count = records - out->records < batch ? records - out->records : batch;
        int64_t t0 = bench_now_ns();
        rc = s_commit(env, dbi, &seq, count, record, record_size);
        bench_samples_add(&group, bench_now_ns() - t0);
        out->records += count;
    }
    double seconds = (double)(bench_now_ns() - started) / 1e9;
    out->records_per_s = seconds > 0 ? (double)out->records / seconds : 0;
    for (size_t i = 0; rc == 0 && i < singles; i++) {
        int64_t t0 = bench_now_ns();
        rc = s_commit(env, dbi, &seq, 1, record, record_size);
        bench_samples_add(&single, bench_now_ns() - t0);
    }
    out->group_commit = bench_samples_pct(&group);
    out->single_commit = bench_samples_pct(&single);
    bench_samples_fini(&group);
    bench_samples_fini(&single);
    if (env)
        mdb_env_close(env);
    free(record);
    if (rc)
        fprintf(stderr, "essp-bench: LMDB baseline in %s: %s\n", dir, mdb_strerror(rc));
    return rc ? -1 : 0;
}

/* ----------------------------------------------------------------- ZeroMQ */

/*  The echo: every message back to its sender, until the pipe speaks. */
static void s_echo(zsock_t *pipe, void *args)
{
    zsock_t *router = args;
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait(poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv(router);
        if (msg)
            zmsg_send(&msg, router);
    }
    zpoller_destroy(&poller);
}

static int s_echoed(zsock_t *dealer)
{
    zframe_t *frame = zframe_recv(dealer);
    int rc = frame ? 0 : -1;
    zframe_destroy(&frame);
    return rc;
}

static void s_send_copy(zsock_t *dealer, const char *message, size_t size)
{
    zframe_t *frame = zframe_new(message, size);
    zframe_send(&frame, dealer, 0);
}

int bench_zmq_baseline(size_t message_size, size_t round_trips, size_t pipelined, bench_zmq_t *out)
{
    memset(out, 0, sizeof *out);
    out->message_size = message_size;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_sndhwm(router, 100000);
    zsock_set_rcvhwm(router, 100000);
    int port = zsock_bind(router, "tcp://127.0.0.1:*");
    if (port < 0) {
        zsock_destroy(&router);
        return -1;
    }
    zactor_t *echo = zactor_new(s_echo, router);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    zsock_set_linger(dealer, 0);
    zsock_connect(dealer, "tcp://127.0.0.1:%d", port);
    char *message = calloc(1, message_size);
    int rc = 0;
    bench_samples_t rtt;
    bench_samples_init(&rtt);
    for (size_t i = 0; rc == 0 && i < round_trips; i++) {
        int64_t t0 = bench_now_ns();
        s_send_copy(dealer, message, message_size);
        rc = s_echoed(dealer);
        if (i > 0)   /* the first one also pays for the connection */
            bench_samples_add(&rtt, bench_now_ns() - t0);
    }
    out->round_trip = bench_samples_pct(&rtt);
    bench_samples_fini(&rtt);
    size_t sent = 0, received = 0;
    int64_t started = bench_now_ns();
    while (rc == 0 && received < pipelined) {
        while (sent < pipelined && sent - received < S_PIPELINE_WINDOW) {
            s_send_copy(dealer, message, message_size);
            sent++;
        }
        rc = s_echoed(dealer);
        received++;
    }
    double seconds = (double)(bench_now_ns() - started) / 1e9;
    out->pipelined = received;
    out->pipelined_per_s = seconds > 0 ? (double)received / seconds : 0;
    free(message);
    zsock_destroy(&dealer);
    zactor_destroy(&echo);
    zsock_destroy(&router);
    return rc;
}
