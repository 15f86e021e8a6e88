/*  tests/bench/bench_peers_nats.c - the pipeline on NATS JetStream, with
 *  the NATS C client (see bench_peers.h).
 *
 *  nats-server runs JetStream with its file store in the temporary
 *  directory (its default sync: the store is written at once and fsync'd
 *  every two minutes, not before each acknowledgement; the figure to set
 *  beside essp with ESSP_DURABLE=0).  Stream s(i) (file storage) holds one
 *  subject, "s<i>"; stage i has the durable pull consumer "stage<i>" on
 *  s(i-1), with explicit acknowledgement (the only kinds a pull consumer
 *  takes are explicit and none).
 *
 *  The producer publishes asynchronously, 100 at a time, and waits for
 *  the server's acknowledgement of each (js_PublishAsyncComplete), as a
 *  producer that must know its records are stored does.  Each stage:
 *  Fetch 100 from s(i-1); js_PublishAsync of each to s(i), every
 *  acknowledgement awaited; then natsMsg_Ack of each and one flush of the
 *  connection.  natsMsg_Ack rather than AckSync: the records are already
 *  stored downstream, so an acknowledgement lost costs a redelivery (at
 *  least once), never a record, and AckSync would add a round trip per
 *  record where the flush, like Redis's one XACK reply per batch, waits
 *  for one per batch.
 */
#include "bench_peers_parts.h"

#include "bench_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ESSP_BENCH_HAVE_NATS
#include <nats/nats.h>

/*  Milliseconds the client waits for a reply of the server before it
 *  calls the run failed. */
#define S_WAIT_MS 30000

typedef struct {
    natsConnection *nats;
    jsCtx *js;
    natsSubscription *pull;      /* a stage's, on its upstream */
} s_client_t;

static void s_client_disconnect(void *arg)
{
    s_client_t *client = arg;
    natsSubscription_Destroy(client->pull);
    jsCtx_Destroy(client->js);
    natsConnection_Destroy(client->nats);
    free(client);
}

static void s_publish_refused(jsCtx *js, jsPubAckErr *refusal, void *closure)
{
    (void)js;
    bench_peer_fail(closure, "JetStream refused a record: %s",
                    refusal->ErrText ? refusal->ErrText : natsStatus_GetText(refusal->Err));
}

/*  A status of the client library, as the run's failure; -1. */
static int s_failed(bench_peer_run_t *run, const char *what, natsStatus status)
{
    const char *text = nats_GetLastError(NULL);
    bench_peer_fail(run, "%s: %s", what, text && *text ? text : natsStatus_GetText(status));
    return -1;
}

static s_client_t *s_connect(bench_peer_run_t *run)
{
    s_client_t *client = calloc(1, sizeof *client);
    if (!client)
        return NULL;
    char url[64];
    snprintf(url, sizeof url, "nats://127.0.0.1:%d", run->port);
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = S_WAIT_MS;
    options.PublishAsync.ErrHandler = s_publish_refused;
    options.PublishAsync.ErrHandlerClosure = run;
    natsStatus status = natsConnection_ConnectTo(&client->nats, url);
    if (status == NATS_OK)
        status = natsConnection_JetStream(&client->js, client->nats, &options);
    if (status != NATS_OK) {
        s_failed(run, "cannot connect to nats-server", status);
        s_client_disconnect(client);
        return NULL;
    }
    return client;
}

static void *s_client_connect(bench_peer_run_t *run, int worker)
{
    s_client_t *client = s_connect(run);
    if (!client || worker == 0)
        return client;
    char source[8], durable[16];
    bench_peer_stream(worker - 1, source);
    snprintf(durable, sizeof durable, "stage%d", worker);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = source;
    jsErrCode code = 0;
    natsStatus status = js_PullSubscribe(&client->pull, client->js, source, durable, NULL, &options, &code);
    if (status != NATS_OK) {
        s_failed(run, "js_PullSubscribe", status);
        s_client_disconnect(client);
        return NULL;
    }
    return client;
}

/*  Waits for the server's acknowledgement of every record published. */
static int s_stored(bench_peer_run_t *run, s_client_t *client)
{
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = S_WAIT_MS;
    natsStatus status = js_PublishAsyncComplete(client->js, &options);
    return status == NATS_OK ? 0 : s_failed(run, "js_PublishAsyncComplete", status);
}

static int s_produce(bench_peer_run_t *run, void *arg)
{
    s_client_t *client = arg;
    atomic_store(&run->first_ns, bench_now_ns());
    for (size_t sent = 0; sent < run->count && !bench_peer_failed(run);) {
        size_t n = run->count - sent < BENCH_PEER_BATCH ? run->count - sent : BENCH_PEER_BATCH;
        for (size_t i = 0; i < n; i++) {
            natsStatus status = js_PublishAsync(client->js, "s0", run->record, (int)run->len, NULL);
            if (status != NATS_OK)
                return s_failed(run, "js_PublishAsync s0", status);
        }
        if (s_stored(run, client) != 0)
            return -1;
        sent += n;
    }
    return bench_peer_failed(run) ? -1 : 0;
}

/*  Appends the batch to `target`, then acknowledges it. */
static int s_move(bench_peer_run_t *run, s_client_t *client, natsMsgList *batch, const char *target)
{
    for (int i = 0; i < batch->Count; i++) {
        natsMsg *msg = batch->Msgs[i];
        natsStatus status = js_PublishAsync(client->js, target, natsMsg_GetData(msg), natsMsg_GetDataLength(msg),
                                            NULL);
        if (status != NATS_OK)
            return s_failed(run, "js_PublishAsync", status);
    }
    if (s_stored(run, client) != 0)
        return -1;
    for (int i = 0; i < batch->Count; i++) {
        natsStatus status = natsMsg_Ack(batch->Msgs[i], NULL);
        if (status != NATS_OK)
            return s_failed(run, "natsMsg_Ack", status);
    }
    natsStatus status = natsConnection_FlushTimeout(client->nats, S_WAIT_MS);
    return status == NATS_OK ? 0 : s_failed(run, "natsConnection_Flush", status);
}

static int s_stage(bench_peer_run_t *run, void *arg, int stage)
{
    s_client_t *client = arg;
    char target[8];
    bench_peer_stream(stage, target);
    size_t moved = 0;
    int64_t heard = bench_now_ns();
    while (moved < run->count && !bench_peer_failed(run)) {
        natsMsgList batch = {0};
        jsErrCode code = 0;
        natsStatus status = natsSubscription_Fetch(&batch, client->pull, BENCH_PEER_BATCH, 1000, &code);
        if (status == NATS_TIMEOUT) {
            if (bench_now_ns() - heard > BENCH_PEER_IDLE_NS)
                bench_peer_fail(run, "stage %d received nothing for 30 s (%zu of %zu records)", stage, moved,
                                run->count);
            continue;
        }
        if (status != NATS_OK)
            return s_failed(run, "natsSubscription_Fetch", status);
        int rc = s_move(run, client, &batch, target);
        moved += (size_t)batch.Count;
        natsMsgList_Destroy(&batch);
        if (rc != 0)
            return -1;
        heard = bench_now_ns();
    }
    if (stage == BENCH_PEER_STAGES)
        atomic_store(&run->last_ns, bench_now_ns());
    return bench_peer_failed(run) ? -1 : 0;
}

static const bench_peer_ops_t s_ops = {s_client_connect, s_produce, s_stage, s_client_disconnect};

/*  The five streams, file storage, one subject each. */
static int s_setup(bench_peer_run_t *run, s_client_t *client)
{
    for (int i = 0; i <= BENCH_PEER_STAGES; i++) {
        char name[8];
        bench_peer_stream(i, name);
        const char *subjects[] = {name};
        jsStreamConfig config;
        jsStreamConfig_Init(&config);
        config.Name = name;
        config.Subjects = subjects;
        config.SubjectsLen = 1;
        config.Storage = js_FileStorage;
        jsStreamInfo *info = NULL;
        jsErrCode code = 0;
        natsStatus status = js_AddStream(&info, client->js, &config, NULL, &code);
        jsStreamInfo_Destroy(info);
        if (status != NATS_OK)
            return s_failed(run, "js_AddStream", status);
    }
    return 0;
}

/*  What the last stream holds: every record once, none twice. */
static int s_check(bench_peer_run_t *run, s_client_t *client)
{
    char last[8];
    bench_peer_stream(BENCH_PEER_STAGES, last);
    jsStreamInfo *info = NULL;
    jsErrCode code = 0;
    natsStatus status = js_GetStreamInfo(&info, client->js, last, NULL, &code);
    uint64_t held = status == NATS_OK ? info->State.Msgs : 0;
    jsStreamInfo_Destroy(info);
    if (status != NATS_OK)
        return s_failed(run, "js_GetStreamInfo", status);
    if (held != run->count) {
        bench_peer_fail(run, "%s holds %llu records, not %zu", last, (unsigned long long)held, run->count);
        return -1;
    }
    return 0;
}

int bench_peers_nats(const void *record, size_t len, size_t count, bench_peer_result_t *out)
{
    char program[PATH_MAX];
    if (bench_peer_server_find("nats-server", program, sizeof program) != 0) {
        snprintf(out->why, sizeof out->why, "nats-server is not installed (apt-get install nats-server)");
        return -1;
    }
    bench_peer_server_t server;
    out->ran = true;
    if (bench_peer_server_prepare(&server, "nats", out->why, sizeof out->why) != 0) {
        bench_peer_server_stop(&server);
        return -1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", server.port);
    char *argv[] = {program, "-js", "-sd", server.dir, "-a", "127.0.0.1", "-p", port, NULL};
    bench_peer_run_t run = BENCH_PEER_RUN(&s_ops, record, len, count, server.port);
    int rc = bench_peer_server_start(&server, argv, out->why, sizeof out->why);
    s_client_t *client = rc == 0 ? s_connect(&run) : NULL;
    if (rc == 0 && (!client || s_setup(&run, client) != 0))
        rc = -1;
    if (rc == 0 && (rc = bench_peer_pipeline(&run, &server, out)) == 0)
        rc = s_check(&run, client);
    if (client)
        s_client_disconnect(client);
    if (rc != 0 && !out->why[0])
        snprintf(out->why, sizeof out->why, "%s", run.why[0] ? run.why : "the NATS client gave no reason");
    bench_peer_server_stop(&server);
    return rc;
}

#else

int bench_peers_nats(const void *record, size_t len, size_t count, bench_peer_result_t *out)
{
    (void)record, (void)len, (void)count;
    snprintf(out->why, sizeof out->why, "libnats not built in: apt-get install libnats-dev, then rebuild");
    return -1;
}

#endif
