/*  tests/bench/bench_engine.c - see bench_engine.h.
 *
 *  The four stages are essp-bench-stage processes (engine_stage.c), each
 *  in a home of its own under one temporary directory.  Their process
 *  table is a bench_stack_t, so that the stack's readings of /proc (CPU,
 *  pages written) and its ports serve them as they serve the services:
 *  stage k (0..3) is pids[k] and listens on base_port + k, which its
 *  ESSP_PORT of base_port + k - 3 gives (it runs as publication, at
 *  offset 3; its metrics port, offset 19, lands on base_port + 16 + k,
 *  inside the same block of 32 free ports).
 */
#define _GNU_SOURCE   /* environ, mkdtemp */
#include "bench_engine.h"

#include "bench_stack.h"
#include "bench_stats.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define S_CLIENTS 16             /* pipelining DEALER clients, as the pipeline's */
#define S_WINDOW 32              /* requests in flight on each */
#define S_PULL_MAX 1000          /* events the bench asks of the last stream at once */
#define S_HELD_MS 1000           /* how long its pulls are held */
#define S_READY_NS (10 * (int64_t)1000000000)
#define S_STALL_NS (30 * (int64_t)1000000000)
#define S_STOP_NS (15 * (int64_t)1000000000)

typedef struct {
    bench_stack_t stages;        /* the process table (see above) */
    bool durable;
    const char *record;
    size_t len, count;
    zsock_t *clients[S_CLIENTS];
    size_t in_flight[S_CLIENTS];
    size_t sent, receipted;
    zsock_t *reader;             /* pulls the last stage's stream */
    bool pulling;
    uint64_t cursor;
    uint8_t *seen;               /* record index -> read from the last stream */
    size_t received;
    int64_t last_progress;
    msgpack_sbuffer buf, copy;   /* a request; an application packed again */
    msgpack_packer pk, copy_pk;
    msgpack_zone zone;
    zmq_msg_t msg;
    char why[256];
} engine_t;

static int s_fail(engine_t *self, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int s_fail(engine_t *self, const char *format, ...)
{
    if (self->why[0])
        return -1;           /* the first reason is the one that counts */
    va_list args;
    va_start(args, format);
    vsnprintf(self->why, sizeof self->why, format, args);
    va_end(args);
    return -1;
}

/* -------------------------------------------------------------- stages */

static void s_stage_home(const engine_t *self, int k, char *out, size_t cap)
{
    snprintf(out, cap, "%s/stage%d", self->stages.home, k + 1);
}

/*  The environment of stage k, built before the fork: the caller's, less
 *  every ESSP_ setting (the default configuration, as bench_stack's), plus
 *  where the stage lives and what it follows.  free() each entry. */
static char **s_stage_environment(const engine_t *self, int k)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 5, sizeof *env);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "ESSP_", 5) != 0)
            env[m++] = strdup(environ[i]);
    char home[CONFIG_PATH_MAX + 16];
    s_stage_home(self, k, home, sizeof home);
    if (asprintf(&env[m++], "ESSP_HOME=%s", home) < 0
        || asprintf(&env[m++], "ESSP_PORT=%d", self->stages.base_port + k - SERVICE_PUBLICATION) < 0
        || asprintf(&env[m++], "ESSP_DURABLE=%d", self->durable ? 1 : 0) < 0
        || (k > 0 && asprintf(&env[m++], "ESSP_PUBLICATION_ENDPOINT=tcp://127.0.0.1:%d",
                              self->stages.base_port + k - 1) < 0))
        abort();
    return env;
}

static void s_free_environment(char **env)
{
    for (char **e = env; *e; e++)
        free(*e);
    free(env);
}

/*  Starts stage k; its stderr (what a crash says) beside its log. */
static pid_t s_spawn(engine_t *self, int k)
{
    char home[CONFIG_PATH_MAX + 16], log_dir[CONFIG_PATH_MAX + 32], err_path[CONFIG_PATH_MAX + 64];
    char program[CONFIG_PATH_MAX + 32];
    s_stage_home(self, k, home, sizeof home);
    snprintf(log_dir, sizeof log_dir, "%s/log", home);
    snprintf(err_path, sizeof err_path, "%s/stage.stderr", log_dir);
    snprintf(program, sizeof program, "%s/essp-bench-stage", self->stages.bin_dir);
    if (config_mkdirs(log_dir) != 0)
        return -1;
    char **env = s_stage_environment(self, k);
    char *argv[] = {program, k == 0 ? "first" : "next", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        if (chdir(home) != 0)
            _exit(126);
        execve(program, argv, env);
        fprintf(stderr, "cannot run %s: %s\n", program, strerror(errno));
        _exit(127);
    }
    s_free_environment(env);
    return pid;
}

static int s_start(engine_t *self, const char *bin_dir)
{
    snprintf(self->stages.bin_dir, sizeof self->stages.bin_dir, "%s", bin_dir);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(self->stages.home, sizeof self->stages.home, "%s/essp-engine-XXXXXX", tmp);
    if (!mkdtemp(self->stages.home)) {
        self->stages.home[0] = '\0';
        return s_fail(self, "cannot create a home in %s: %s", tmp, strerror(errno));
    }
    if ((self->stages.base_port = bench_stack_free_base_port()) < 0)
        return s_fail(self, "no free block of loopback ports");
    char program[CONFIG_PATH_MAX + 32];
    snprintf(program, sizeof program, "%s/essp-bench-stage", bin_dir);
    if (access(program, X_OK) != 0)
        return s_fail(self, "%s is not there (build the target essp-bench-stage)", program);
    int64_t deadline = bench_now_ns() + S_READY_NS;
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++)
        if ((self->stages.pids[k] = s_spawn(self, k)) < 0)
            return s_fail(self, "cannot start stage %d: %s", k + 1, strerror(errno));
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++)
        if (bench_stack_wait_pong(&self->stages, (service_id_t)k, deadline) != 0)
            return s_fail(self, "stage %d did not answer within 10 s (see %s/stage%d/log)", k + 1,
                          self->stages.home, k + 1);
    return 0;
}

/*  SIGTERM to every stage, then waits: 0 when each exited 0 in time. */
static int s_stop(engine_t *self)
{
    int failures = 0;
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++)
        if (self->stages.pids[k] > 0)
            kill(self->stages.pids[k], SIGTERM);
    int64_t deadline = bench_now_ns() + S_STOP_NS;
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++) {
        if (self->stages.pids[k] <= 0)
            continue;
        int status = 0;
        pid_t done;
        while ((done = waitpid(self->stages.pids[k], &status, WNOHANG)) == 0 && bench_now_ns() < deadline)
            zclock_sleep(10);
        if (done == 0) {
            kill(self->stages.pids[k], SIGKILL);
            waitpid(self->stages.pids[k], &status, 0);
        }
        if (done <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failures += s_fail(self, "stage %d did not stop cleanly on SIGTERM", k + 1) != 0;
        self->stages.pids[k] = 0;
    }
    return failures ? -1 : 0;
}

/*  CPU seconds and bytes written of each stage so far. */
static int s_read_stages(engine_t *self, double cpu[BENCH_ENGINE_STAGES], double written[BENCH_ENGINE_STAGES])
{
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++) {
        double kernel;
        if (bench_stack_cpu(&self->stages, (service_id_t)k, &cpu[k], &kernel) != 0
            || bench_stack_written(&self->stages, (service_id_t)k, &written[k]) != 0)
            return s_fail(self, "cannot read /proc of stage %d", k + 1);
    }
    return 0;
}

static double s_own_cpu_s(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* -------------------------------------------------------------- the wire */

static zsock_t *s_dealer(const engine_t *self, int stage)
{
    char endpoint[CONFIG_ENDPOINT_MAX];
    bench_stack_endpoint(&self->stages, (service_id_t)stage, endpoint, sizeof endpoint);
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 0);
    zsock_set_rcvhwm(sock, 0);
    zsock_set_maxmsgsize(sock, PROTO_REPLY_MAX);
    zsock_connect(sock, "%s", endpoint);
    return sock;
}

static int s_send(engine_t *self, zsock_t *sock)
{
    return zmq_send(zsock_resolve(sock), self->buf.data, self->buf.size, 0) < 0 ? -1 : 0;
}

/*  Record i as a submit: its name "r<i>" in key, its bytes as they are. */
static int s_submit(engine_t *self, size_t client)
{
    char key[24];
    snprintf(key, sizeof key, "r%zu", self->sent);
    msgpack_sbuffer_clear(&self->buf);
    proto_pack_request(&self->pk, "submit", self->sent + 1, 2);
    proto_pack_kv_str(&self->pk, "key", key);
    proto_pack_kv_raw(&self->pk, "application", self->record, self->len);
    if (s_send(self, self->clients[client]) != 0)
        return s_fail(self, "cannot send a record to stage 1");
    self->in_flight[client]++;
    self->sent++;
    return 0;
}

/*  Fills every client's window, round robin, until all are sent. */
static int s_feed(engine_t *self)
{
    for (bool more = true; more && self->sent < self->count;) {
        more = false;
        for (size_t c = 0; c < S_CLIENTS && self->sent < self->count; c++)
            if (self->in_flight[c] < S_WINDOW) {
                if (s_submit(self, c) != 0)
                    return -1;
                more = true;
            }
    }
    return 0;
}

static void s_pull(engine_t *self)
{
    if (self->pulling)
        return;
    msgpack_sbuffer_clear(&self->buf);
    proto_pack_request(&self->pk, "pull", self->cursor + 1, 3);
    proto_pack_kv_uint(&self->pk, "after", self->cursor);
    proto_pack_kv_uint(&self->pk, "max", S_PULL_MAX);
    proto_pack_kv_uint(&self->pk, "wait", S_HELD_MS);
    self->pulling = s_send(self, self->reader) == 0;
}

/*  One message off sock without waiting: 1 decoded, 0 none, -1 garbage. */
static int s_recv(engine_t *self, zsock_t *sock, msgpack_object *obj)
{
    zmq_msg_close(&self->msg);
    zmq_msg_init(&self->msg);
    if (zmq_msg_recv(&self->msg, zsock_resolve(sock), ZMQ_DONTWAIT) < 0)
        return 0;
    msgpack_zone_clear(&self->zone);
    size_t offset = 0;
    if (msgpack_unpack(zmq_msg_data(&self->msg), zmq_msg_size(&self->msg), &offset, &self->zone, obj)
        != MSGPACK_UNPACK_SUCCESS)
        return s_fail(self, "an undecodable reply");
    return 1;
}

static int s_refused(engine_t *self, const char *what, const msgpack_object *reply)
{
    char code[32] = "", message[PROTO_MESSAGE_MAX] = "";
    doc_strcpy(reply, "code", code, sizeof code);
    doc_strcpy(reply, "message", message, sizeof message);
    return s_fail(self, "%s refused: %s: %s", what, code, message);
}

static int s_on_receipt(engine_t *self, size_t client, const msgpack_object *reply)
{
    if (!doc_str_eq(reply, "type", "receipt"))
        return s_refused(self, "a record", reply);
    self->in_flight[client]--;
    self->receipted++;
    return 0;
}

/* ------------------------------------------------------------ the check */

/*  The index of record "r<i>", or -1 when the id is not one of ours. */
static long s_record_index(const engine_t *self, const msgpack_object *id)
{
    if (!id || id->type != MSGPACK_OBJECT_STR || id->via.str.size < 2 || id->via.str.size > 21
        || id->via.str.ptr[0] != 'r')
        return -1;
    size_t index = 0;
    for (uint32_t i = 1; i < id->via.str.size; i++) {
        char c = id->via.str.ptr[i];
        if (c < '0' || c > '9')
            return -1;
        index = index * 10 + (size_t)(c - '0');
    }
    return index < self->count ? (long)index : -1;
}

/*  One event of the last stream: the next seq, one of ours, not seen
 *  before, and its application the record's very bytes (packed again
 *  from the decoded event: msgpack-c packs each value in its shortest
 *  form, as the record was packed, so equal bytes mean an equal record). */
static int s_check_event(engine_t *self, const msgpack_object *event)
{
    uint64_t seq = 0;
    if (!doc_uint(event, "seq", &seq) || seq != self->cursor + 1)
        return s_fail(self, "the last stream skipped from seq %llu to %llu",
                      (unsigned long long)self->cursor, (unsigned long long)seq);
    long index = s_record_index(self, doc_get(event, "id"));
    if (!doc_str_eq(event, "type", "submitted") || index < 0)
        return s_fail(self, "seq %llu of the last stream is not one of the bench's records",
                      (unsigned long long)seq);
    if (self->seen[index])
        return s_fail(self, "record r%ld came through twice (again at seq %llu)", index,
                      (unsigned long long)seq);
    const msgpack_object *application = doc_get(event, "application");
    msgpack_sbuffer_clear(&self->copy);
    if (application)
        msgpack_pack_object(&self->copy_pk, *application);
    if (!application || self->copy.size != self->len || memcmp(self->copy.data, self->record, self->len) != 0)
        return s_fail(self, "record r%ld came out changed (%zu bytes instead of %zu)", index,
                      self->copy.size, self->len);
    self->seen[index] = 1;
    self->cursor = seq;
    self->received++;
    return 0;
}

static int s_on_batch(engine_t *self, const msgpack_object *reply)
{
    self->pulling = false;
    const msgpack_object *events = doc_array(reply, "events");
    if (!doc_str_eq(reply, "type", "batch") || !events)
        return s_refused(self, "the pull of the last stream", reply);
    for (size_t i = 0; i < doc_len(events); i++)
        if (s_check_event(self, doc_at(events, i)) != 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------------------ run */

static int s_drain_clients(engine_t *self, const zmq_pollitem_t *items)
{
    msgpack_object obj;
    for (size_t c = 0; c < S_CLIENTS; c++) {
        if (!(items[c].revents & ZMQ_POLLIN))
            continue;
        int rc;
        while ((rc = s_recv(self, self->clients[c], &obj)) == 1)
            if (s_on_receipt(self, c, &obj) != 0)
                return -1;
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int s_drain_reader(engine_t *self)
{
    msgpack_object obj;
    int rc;
    while ((rc = s_recv(self, self->reader, &obj)) == 1)
        if (s_on_batch(self, &obj) != 0)
            return -1;
    return rc;
}

/*  Sends every record, reads the last stream until each came through. */
static int s_pump(engine_t *self, int64_t *ended)
{
    zmq_pollitem_t items[S_CLIENTS + 1];
    for (size_t c = 0; c < S_CLIENTS; c++)
        items[c] = (zmq_pollitem_t){zsock_resolve(self->clients[c]), 0, ZMQ_POLLIN, 0};
    items[S_CLIENTS] = (zmq_pollitem_t){zsock_resolve(self->reader), 0, ZMQ_POLLIN, 0};
    self->last_progress = bench_now_ns();
    while (self->received < self->count) {
        size_t before = self->received + self->receipted;
        if (s_feed(self) != 0)
            return -1;
        s_pull(self);
        if (zmq_poll(items, S_CLIENTS + 1, 100) < 0 && errno != EINTR)
            return s_fail(self, "poll: %s", strerror(errno));
        if (s_drain_clients(self, items) != 0
            || ((items[S_CLIENTS].revents & ZMQ_POLLIN) && s_drain_reader(self) != 0))
            return -1;
        int64_t now = bench_now_ns();
        if (zsys_interrupted)
            return s_fail(self, "interrupted");
        if (self->received + self->receipted > before)
            self->last_progress = now;
        else if (now - self->last_progress > S_STALL_NS)
            return s_fail(self, "no progress for 30 s: %zu sent, %zu acknowledged, %zu read from stage %d",
                          self->sent, self->receipted, self->received, BENCH_ENGINE_STAGES);
    }
    *ended = bench_now_ns();
    return 0;
}

static void s_result(const engine_t *self, double cpu[2][BENCH_ENGINE_STAGES],
                     double written[2][BENCH_ENGINE_STAGES], double own_cpu_s, double seconds,
                     bench_engine_result_t *out)
{
    double n = (double)self->count;
    out->records = self->count;
    out->seconds = seconds;
    out->records_per_s = seconds > 0 ? n / seconds : 0;
    for (int k = 0; k < BENCH_ENGINE_STAGES; k++) {
        out->cpu_us_per_stage[k] = (cpu[1][k] - cpu[0][k]) * 1e6 / n;
        out->written_kib_per_stage[k] = (written[1][k] - written[0][k]) / 1024.0 / n;
        out->cpu_us_per_record += out->cpu_us_per_stage[k];
        out->written_kib_per_record += out->written_kib_per_stage[k];
    }
    out->bench_cpu_us_per_record = own_cpu_s * 1e6 / n;
}

/*  Connects, runs, reads the stages' figures around the run. */
static int s_measure(engine_t *self, bench_engine_result_t *out)
{
    for (size_t c = 0; c < S_CLIENTS; c++)
        self->clients[c] = s_dealer(self, 0);
    self->reader = s_dealer(self, BENCH_ENGINE_STAGES - 1);
    double cpu[2][BENCH_ENGINE_STAGES], written[2][BENCH_ENGINE_STAGES];
    if (s_read_stages(self, cpu[0], written[0]) != 0)
        return -1;
    double own = s_own_cpu_s();
    int64_t started = bench_now_ns(), ended = started;
    if (s_pump(self, &ended) != 0 || s_read_stages(self, cpu[1], written[1]) != 0)
        return -1;
    own = s_own_cpu_s() - own;
    s_result(self, cpu, written, own, (double)(ended - started) / 1e9, out);
    return 0;
}

static void s_init(engine_t *self, const void *record, size_t len, size_t count, bool durable)
{
    memset(self, 0, sizeof *self);
    self->durable = durable;
    self->record = record;
    self->len = len;
    self->count = count;
    self->seen = calloc(count ? count : 1, 1);
    msgpack_sbuffer_init(&self->buf);
    msgpack_packer_init(&self->pk, &self->buf, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->copy);
    msgpack_packer_init(&self->copy_pk, &self->copy, msgpack_sbuffer_write);
    msgpack_zone_init(&self->zone, 1 << 20);
    zmq_msg_init(&self->msg);
}

static void s_fini(engine_t *self)
{
    for (size_t c = 0; c < S_CLIENTS; c++)
        zsock_destroy(&self->clients[c]);
    zsock_destroy(&self->reader);
    zmq_msg_close(&self->msg);
    msgpack_zone_destroy(&self->zone);
    msgpack_sbuffer_destroy(&self->buf);
    msgpack_sbuffer_destroy(&self->copy);
    free(self->seen);
}

int bench_engine_run(const char *bin_dir, const void *record, size_t len, size_t count, bool durable,
                     bench_engine_result_t *out)
{
    memset(out, 0, sizeof *out);
    out->durable = durable;
    out->clients = S_CLIENTS;
    out->window = S_WINDOW;
    engine_t *self = malloc(sizeof *self);
    s_init(self, record, len, count, durable);
    int rc = count == 0 ? s_fail(self, "no record to run") : 0;
    zsys_init();
    if (rc == 0)
        rc = s_start(self, bin_dir);
    if (rc == 0)
        rc = s_measure(self, out);
    s_fini(self);
    if (s_stop(self) != 0)
        rc = -1;
    /* A run that failed keeps its stages' homes: their logs say why. */
    if (rc == 0)
        bench_stack_remove(&self->stages);
    out->ran = rc == 0;
    if (rc != 0 && self->stages.home[0])
        snprintf(out->why, sizeof out->why, "%.150s (the stages' logs: %.80s)", self->why, self->stages.home);
    else
        snprintf(out->why, sizeof out->why, "%s", self->why);
    free(self);
    return rc;
}
