/*  tests/bench/bench_peers.c - see bench_peers.h; the driver of a peer's
 *  producer and stages (bench_peers_parts.h).
 */
#include "bench_peers_parts.h"
#include "bench_proc.h"

#include "bench_stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *bench_peer_name(bench_peer_t peer)
{
    switch (peer) {
    case BENCH_PEER_REDIS_ALWAYS:
        return "Redis Streams, appendfsync always";
    case BENCH_PEER_REDIS_EVERYSEC:
        return "Redis Streams, appendfsync everysec";
    case BENCH_PEER_NATS_FILE:
        return "NATS JetStream, file store";
    default:
        return "?";
    }
}

int bench_peers_run(const void *record, size_t len, size_t count, bench_peer_result_t out[BENCH_PEERS])
{
    int failures = 0;
    for (int peer = 0; peer < BENCH_PEERS; peer++) {
        bench_peer_result_t *result = &out[peer];
        memset(result, 0, sizeof *result);
        int rc = peer == BENCH_PEER_NATS_FILE ? bench_peers_nats(record, len, count, result)
                                              : bench_peers_redis(peer == BENCH_PEER_REDIS_ALWAYS, record, len,
                                                                  count, result);
        /* Not installed is said in why, and is no failure of the run. */
        if (rc != 0 && result->ran)
            failures++;
        if (rc != 0)
            result->ran = false;
    }
    return failures ? -1 : 0;
}

void bench_peer_stream(int index, char out[8])
{
    snprintf(out, 8, "s%d", index);
}

void bench_peer_fail(bench_peer_run_t *run, const char *format, ...)
{
    pthread_mutex_lock(&run->lock);
    if (!run->why[0]) {
        va_list args;
        va_start(args, format);
        vsnprintf(run->why, sizeof run->why, format, args);
        va_end(args);
    }
    atomic_store(&run->failed, true);
    pthread_mutex_unlock(&run->lock);
}

typedef struct {
    bench_peer_run_t *run;
    int worker;
    pthread_t thread;
    bool started;
} s_worker_t;

static void *s_worker(void *arg)
{
    s_worker_t *w = arg;
    bench_peer_run_t *run = w->run;
    void *client = run->ops->connect(run, w->worker);
    if (!client)
        bench_peer_fail(run, "worker %d could not connect", w->worker);
    /* Every worker waits here, connected or not, so that the producer
     * does not start before the stages can pull. */
    pthread_mutex_lock(&run->lock);
    run->connected++;
    pthread_cond_broadcast(&run->changed);
    while (!run->go)
        pthread_cond_wait(&run->changed, &run->lock);
    pthread_mutex_unlock(&run->lock);
    if (client && !bench_peer_failed(run)) {
        int rc = w->worker == 0 ? run->ops->produce(run, client) : run->ops->stage(run, client, w->worker);
        if (rc != 0)
            bench_peer_fail(run, "%s %d stopped", w->worker ? "stage" : "producer", w->worker);
    }
    if (client)
        run->ops->disconnect(client);
    return NULL;
}

int bench_peer_pipeline(bench_peer_run_t *run, const bench_peer_server_t *server, bench_peer_result_t *out)
{
    enum { WORKERS = BENCH_PEER_STAGES + 1 };
    s_worker_t workers[WORKERS];
    int started = 0;
    for (int i = 0; i < WORKERS; i++) {
        workers[i] = (s_worker_t){.run = run, .worker = i};
        workers[i].started = pthread_create(&workers[i].thread, NULL, s_worker, &workers[i]) == 0;
        if (workers[i].started)
            started++;
        else
            bench_peer_fail(run, "cannot start a thread");
    }
    pthread_mutex_lock(&run->lock);
    while (run->connected < started)
        pthread_cond_wait(&run->changed, &run->lock);
    /* Every worker connected and waiting: the CPU from here is the run's. */
    double server_before = bench_peer_server_cpu(server), self_before = bench_proc_self_cpu();
    run->go = true;
    pthread_cond_broadcast(&run->changed);
    pthread_mutex_unlock(&run->lock);
    for (int i = 0; i < WORKERS; i++)
        if (workers[i].started)
            pthread_join(workers[i].thread, NULL);
    double server_after = bench_peer_server_cpu(server), self_after = bench_proc_self_cpu();
    if (bench_peer_failed(run))
        return -1;
    int64_t first = atomic_load(&run->first_ns), last = atomic_load(&run->last_ns);
    out->records = run->count;
    out->seconds = (double)(last - first) / 1e9;
    out->records_per_s = out->seconds > 0 ? (double)run->count / out->seconds : 0;
    out->cpu_us_per_record = (server_after - server_before + self_after - self_before) * 1e6 / (double)run->count;
    return 0;
}
