/*  tests/bench/bench_peers_redis.c - the pipeline on Redis Streams, with
 *  hiredis (see bench_peers.h).
 *
 *  redis-server runs with an append-only file, fsync'd before every reply
 *  (appendfsync always: Redis writes and fsyncs the file once per turn of
 *  its event loop, for every client served in it, before it replies) or
 *  once a second (everysec), and no RDB snapshots.  Stream s(i) has the
 *  consumer group "stage<i+1>"; records are entries of one field, "r".
 *
 *  Each stage: XREADGROUP ... COUNT 100 BLOCK 1000 from s(i-1); the XADDs
 *  of the batch to s(i), pipelined, every reply awaited (the entries are
 *  in the append-only file, fsync'd under "always"); then one XACK of the
 *  batch's ids, its reply awaited.  Acknowledging after the appends is
 *  what a careful consumer does: a crash in between delivers the batch
 *  again (at least once), it never loses it.
 */
#include "bench_peers_parts.h"

#include "bench_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ESSP_BENCH_HAVE_HIREDIS
#include <hiredis/hiredis.h>

typedef struct {
    redisContext *redis;
    char group[16];              /* a stage's consumer group on its upstream */
} s_client_t;

static void s_group(int stage, char out[16])
{
    snprintf(out, 16, "stage%d", stage);
}

static redisContext *s_connect(bench_peer_run_t *run)
{
    struct timeval timeout = {30, 0};
    redisContext *redis = redisConnectWithTimeout("127.0.0.1", run->port, timeout);
    if (!redis || redis->err) {
        bench_peer_fail(run, "cannot connect to redis-server: %s", redis ? redis->errstr : "no memory");
        redisFree(redis);
        return NULL;
    }
    redisSetTimeout(redis, timeout);
    return redis;
}

/*  Reads `n` replies, each of the type expected; 0 or -1 (and fails the run). */
static int s_replies(bench_peer_run_t *run, redisContext *redis, size_t n, int type, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(redis, (void **)&reply) != REDIS_OK || !reply || reply->type != type) {
            bench_peer_fail(run, "%s: %s", what,
                            !reply ? redis->errstr : reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
            freeReplyObject(reply);
            return -1;
        }
        freeReplyObject(reply);
    }
    return 0;
}

static void s_append_xadd(redisContext *redis, const char *stream, const char *data, size_t len)
{
    const char *argv[] = {"XADD", stream, "*", "r", data};
    size_t lens[] = {4, strlen(stream), 1, 1, len};
    redisAppendCommandArgv(redis, 5, argv, lens);
}

static void *s_client_connect(bench_peer_run_t *run, int worker)
{
    s_client_t *client = calloc(1, sizeof *client);
    if (client && !(client->redis = s_connect(run))) {
        free(client);
        return NULL;
    }
    if (client)
        s_group(worker, client->group);
    return client;
}

static void s_client_disconnect(void *arg)
{
    s_client_t *client = arg;
    redisFree(client->redis);
    free(client);
}

static int s_produce(bench_peer_run_t *run, void *arg)
{
    s_client_t *client = arg;
    atomic_store(&run->first_ns, bench_now_ns());
    for (size_t sent = 0; sent < run->count && !bench_peer_failed(run);) {
        size_t n = run->count - sent < BENCH_PEER_BATCH ? run->count - sent : BENCH_PEER_BATCH;
        for (size_t i = 0; i < n; i++)
            s_append_xadd(client->redis, "s0", run->record, run->len);
        if (s_replies(run, client->redis, n, REDIS_REPLY_STRING, "XADD s0") != 0)
            return -1;
        sent += n;
    }
    return bench_peer_failed(run) ? -1 : 0;
}

/*  Pulls a batch of s(stage-1) (NULL: none within a second). */
static redisReply *s_pull(bench_peer_run_t *run, s_client_t *client, const char *source)
{
    const char *argv[] = {"XREADGROUP", "GROUP", client->group, client->group, "COUNT", "100",
                          "BLOCK", "1000", "STREAMS", source, ">"};
    size_t lens[11];
    for (int i = 0; i < 11; i++)
        lens[i] = strlen(argv[i]);
    redisReply *reply = redisCommandArgv(client->redis, 11, argv, lens);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        bench_peer_fail(run, "XREADGROUP %s: %s", source, reply ? reply->str : client->redis->errstr);
        freeReplyObject(reply);
        return NULL;
    }
    bool batch = reply->type == REDIS_REPLY_ARRAY && reply->elements == 1
              && reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2
              && reply->element[0]->element[1]->type == REDIS_REPLY_ARRAY;
    if (!batch && reply->type != REDIS_REPLY_NIL)
        bench_peer_fail(run, "XREADGROUP %s: unexpected reply", source);
    if (!batch)
        freeReplyObject(reply);
    return batch ? reply : NULL;
}

/*  Appends the batch's records to `target`, then acknowledges them. */
static int s_move(bench_peer_run_t *run, s_client_t *client, const redisReply *entries, const char *source,
                  const char *target)
{
    size_t n = entries->elements;
    const char *ack[3 + BENCH_PEER_BATCH] = {"XACK", source, client->group};
    size_t ack_lens[3 + BENCH_PEER_BATCH] = {4, strlen(source), strlen(client->group)};
    for (size_t i = 0; i < n; i++) {
        const redisReply *entry = entries->element[i];
        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[1]->type != REDIS_REPLY_ARRAY
            || entry->element[1]->elements != 2) {
            bench_peer_fail(run, "XREADGROUP %s: an entry without its record", source);
            return -1;
        }
        const redisReply *value = entry->element[1]->element[1];
        s_append_xadd(client->redis, target, value->str, value->len);
        ack[3 + i] = entry->element[0]->str;
        ack_lens[3 + i] = entry->element[0]->len;
    }
    if (s_replies(run, client->redis, n, REDIS_REPLY_STRING, "XADD") != 0)
        return -1;
    redisAppendCommandArgv(client->redis, (int)(3 + n), ack, ack_lens);
    return s_replies(run, client->redis, 1, REDIS_REPLY_INTEGER, "XACK");
}

static int s_stage(bench_peer_run_t *run, void *arg, int stage)
{
    s_client_t *client = arg;
    char source[8], target[8];
    bench_peer_stream(stage - 1, source);
    bench_peer_stream(stage, target);
    size_t moved = 0;
    int64_t heard = bench_now_ns();
    while (moved < run->count && !bench_peer_failed(run)) {
        redisReply *reply = s_pull(run, client, source);
        if (!reply) {
            if (bench_now_ns() - heard > BENCH_PEER_IDLE_NS)
                bench_peer_fail(run, "stage %d received nothing for 30 s (%zu of %zu records)", stage, moved,
                                run->count);
            continue;
        }
        const redisReply *entries = reply->element[0]->element[1];
        int rc = entries->elements <= BENCH_PEER_BATCH ? s_move(run, client, entries, source, target) : -1;
        moved += entries->elements;
        freeReplyObject(reply);
        if (rc != 0)
            return -1;
        heard = bench_now_ns();
    }
    if (stage == BENCH_PEER_STAGES)
        atomic_store(&run->last_ns, bench_now_ns());
    return bench_peer_failed(run) ? -1 : 0;
}

static const bench_peer_ops_t s_ops = {s_client_connect, s_produce, s_stage, s_client_disconnect};

/*  The streams and their groups, from the start: a group created at $
 *  after the producer began would miss its first entries. */
static int s_setup(bench_peer_run_t *run)
{
    redisContext *redis = s_connect(run);
    if (!redis)
        return -1;
    int rc = 0;
    for (int stage = 1; rc == 0 && stage <= BENCH_PEER_STAGES; stage++) {
        char stream[8], group[16];
        bench_peer_stream(stage - 1, stream);
        s_group(stage, group);
        redisReply *reply = redisCommand(redis, "XGROUP CREATE %s %s 0 MKSTREAM", stream, group);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            bench_peer_fail(run, "XGROUP CREATE %s: %s", stream, reply ? reply->str : redis->errstr);
            rc = -1;
        }
        freeReplyObject(reply);
    }
    redisFree(redis);
    return rc;
}

/*  What the last stream holds: every record once, none twice. */
static int s_check(bench_peer_run_t *run)
{
    redisContext *redis = s_connect(run);
    if (!redis)
        return -1;
    redisReply *reply = redisCommand(redis, "XLEN s%d", BENCH_PEER_STAGES);
    long long held = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    freeReplyObject(reply);
    redisFree(redis);
    if (held != (long long)run->count) {
        bench_peer_fail(run, "s%d holds %lld records, not %zu", BENCH_PEER_STAGES, held, run->count);
        return -1;
    }
    return 0;
}

int bench_peers_redis(bool always, const void *record, size_t len, size_t count, bench_peer_result_t *out)
{
    char program[PATH_MAX];
    if (bench_peer_server_find("redis-server", program, sizeof program) != 0) {
        snprintf(out->why, sizeof out->why, "redis-server is not installed (apt-get install redis-server)");
        return -1;
    }
    bench_peer_server_t server;
    out->ran = true;
    if (bench_peer_server_prepare(&server, "redis", out->why, sizeof out->why) != 0) {
        bench_peer_server_stop(&server);
        return -1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", server.port);
    char *argv[] = {program, "--port", port, "--bind", "127.0.0.1", "--dir", server.dir, "--appendonly", "yes",
                    "--appendfsync", always ? "always" : "everysec", "--save", "", "--logfile", "", NULL};
    bench_peer_run_t run = BENCH_PEER_RUN(&s_ops, record, len, count, server.port);
    int rc = bench_peer_server_start(&server, argv, out->why, sizeof out->why);
    if (rc == 0 && (rc = s_setup(&run)) == 0 && (rc = bench_peer_pipeline(&run, &server, out)) == 0)
        rc = s_check(&run);
    if (rc != 0 && !out->why[0])
        snprintf(out->why, sizeof out->why, "%s", run.why);
    bench_peer_server_stop(&server);
    return rc;
}

#else

int bench_peers_redis(bool always, const void *record, size_t len, size_t count, bench_peer_result_t *out)
{
    (void)always, (void)record, (void)len, (void)count;
    snprintf(out->why, sizeof out->why, "hiredis not built in: apt-get install libhiredis-dev, then rebuild");
    return -1;
}

#endif
