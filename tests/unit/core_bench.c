/*  tests/unit/core_bench.c - a service's core on a temporary LMDB, the
 *  shell's calls answered by the bench: see core_bench.h. */
#include "core_bench.h"

#include "common/store.h"
#include "common/stream_log.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define S_DBS_MAX (STORE_DBS_MAX - 2)  /* the core's, beside the log's and the cursors' */

/*  The bench is what the core holds as its service_t: the wrapped calls
 *  cast it back. */
struct core_bench_t {
    char dir[64];
    store_t *store;
    size_t db_count;            /* the core's databases; the log follows */
    stream_log_t *log;
    msgpack_sbuffer event_buf;
    msgpack_packer event_pk;
    msgpack_sbuffer request;    /* the request as msgpack */
    msgpack_sbuffer reply;
    msgpack_packer reply_pk;
    msgpack_sbuffer events;     /* the last events read, as msgpack */
    msgpack_zone zone;          /* the decoded request, reply, events */
    msgpack_object reply_obj;
    const char *role, *name;
    uint64_t head_before;       /* the log's head before the last request */
    int (*before_commit)(void *ctx, service_t *svc, MDB_txn *txn);
    void (*ended)(void *ctx, service_t *svc, bool committed);
    void *hooks_ctx;
    size_t compactions;         /* asked by the core (service_request_compact) */
};

static core_bench_t *s_bench(service_t *svc)
{
    return (core_bench_t *)(void *)svc;
}

core_bench_t *core_bench_new(const char *const *dbs)
{
    core_bench_t *self = calloc(1, sizeof *self);
    assert_non_null(self);
    snprintf(self->dir, sizeof self->dir, "/tmp/essp-core-XXXXXX");
    assert_non_null(mkdtemp(self->dir));
    const char *names[S_DBS_MAX + 2];
    for (; dbs[self->db_count]; self->db_count++) {
        assert_true(self->db_count < S_DBS_MAX);
        names[self->db_count] = dbs[self->db_count];
    }
    names[self->db_count] = "events";
    names[self->db_count + 1] = NULL;
    /* A store thrown away after the test needs no fsync at each commit. */
    setenv("ESSP_DURABLE", "0", 1);
    self->store = store_new(self->dir, names);
    assert_non_null(self->store);
    MDB_txn *txn;
    assert_int_equal(store_begin(self->store, false, &txn), 0);
    self->log = stream_log_new(txn, store_db(self->store, self->db_count));
    assert_int_equal(store_commit(self->store, txn), 0);
    msgpack_sbuffer_init(&self->event_buf);
    msgpack_packer_init(&self->event_pk, &self->event_buf, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->request);
    msgpack_sbuffer_init(&self->reply);
    msgpack_packer_init(&self->reply_pk, &self->reply, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->events);
    msgpack_zone_init(&self->zone, 65536);
    return self;
}

void core_bench_destroy(core_bench_t **self_p)
{
    core_bench_t *self = *self_p;
    if (!self)
        return;
    stream_log_destroy(&self->log);
    store_destroy(&self->store);
    static const char *const files[] = {"data.mdb", "lock.mdb", NULL};
    for (size_t i = 0; files[i]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", self->dir, files[i]);
        unlink(path);
    }
    rmdir(self->dir);
    msgpack_sbuffer_destroy(&self->event_buf);
    msgpack_sbuffer_destroy(&self->request);
    msgpack_sbuffer_destroy(&self->reply);
    msgpack_sbuffer_destroy(&self->events);
    msgpack_zone_destroy(&self->zone);
    free(self);
    *self_p = NULL;
}

service_t *core_bench_service(core_bench_t *self)
{
    return (service_t *)(void *)self;
}

void core_bench_peer(core_bench_t *self, const char *role, const char *name)
{
    self->role = role;
    self->name = name;
}

/*  The text made from format, malloc'd. */
static char *s_text(const char *format, va_list args) __attribute__((format(printf, 1, 0)));
static char *s_text(const char *format, va_list args)
{
    va_list again;
    va_copy(again, args);
    int len = vsnprintf(NULL, 0, format, args);
    assert_true(len >= 0);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    vsnprintf(text, (size_t)len + 1, format, again);
    va_end(again);
    return text;
}

/*  Decodes the JSON text made from format into self->zone, cleared
 *  first; the text, malloc'd, in *text. */
static msgpack_object s_decode_json(core_bench_t *self, char **text_p, const char *format, va_list args)
    __attribute__((format(printf, 3, 0)));
static msgpack_object s_decode_json(core_bench_t *self, char **text_p, const char *format, va_list args)
{
    char *text = *text_p = s_text(format, args);
    msgpack_zone_clear(&self->zone);
    proto_error_t err;
    msgpack_sbuffer_clear(&self->request);
    if (json_codec_to_msgpack(text, strlen(text), &self->request, &err))
        fail_msg("not JSON (%s: %s): %s", err.rule, err.message, text);
    msgpack_object obj;
    assert_int_equal(wire_decode(self->request.data, self->request.size, &self->zone, &obj, &err), 0);
    return obj;
}

/*  Commits as the shell does when rc says the turn holds (0, or a
 *  refusal that wrote nothing), rolls back otherwise. */
static void s_end(core_bench_t *self, MDB_txn *txn, int rc)
{
    bool commit = rc == 0 || rc == SERVICE_REFUSED;
    if (commit && self->before_commit)
        assert_int_equal(self->before_commit(self->hooks_ctx, core_bench_service(self), txn), 0);
    if (commit) {
        assert_int_equal(store_commit(self->store, txn), 0);
        stream_log_committed(self->log);
    } else {
        mdb_txn_abort(txn);
        stream_log_aborted(self->log);
    }
    if (self->ended)
        self->ended(self->hooks_ctx, core_bench_service(self), commit);
}

void core_bench_hooks(core_bench_t *self, int (*before_commit)(void *ctx, service_t *svc, MDB_txn *txn),
                      void (*ended)(void *ctx, service_t *svc, bool committed), void *ctx)
{
    self->before_commit = before_commit;
    self->ended = ended;
    self->hooks_ctx = ctx;
}

int core_bench_start(core_bench_t *self, int (*start)(void *ctx, service_t *svc, MDB_txn *txn), void *ctx)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(self->store, false, &txn), 0);
    int rc = start(ctx, core_bench_service(self), txn);
    s_end(self, txn, rc);
    return rc;
}

int core_bench_request(core_bench_t *self, service_handle_fn handle, void *ctx, int64_t now,
                       const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text;
    msgpack_object msg = s_decode_json(self, &text, format, args);
    va_end(args);
    service_request_t req = {.msg = &msg, .reply = &self->reply_pk, .now = now, .now_ms = now * 1000,
                             .peer_name = self->name, .peer_role = self->role};
    proto_error_t err;
    if (proto_request_check(&msg, &req.type, &req.rid, &req.has_rid, &err))
        fail_msg("the catalogue refuses %s: %s", text, err.message);
    free(text);
    msgpack_sbuffer_clear(&self->reply);
    self->head_before = stream_log_head(self->log);
    MDB_txn *txn;
    assert_int_equal(store_begin(self->store, false, &txn), 0);
    int rc = handle(ctx, core_bench_service(self), txn, &req);
    s_end(self, txn, rc);
    self->reply_obj.type = MSGPACK_OBJECT_NIL;
    if (self->reply.size)
        assert_int_equal(wire_decode_reply(self->reply.data, self->reply.size, &self->zone, &self->reply_obj, &err),
                         0);
    return rc;
}

const msgpack_object *core_bench_reply(core_bench_t *self)
{
    return &self->reply_obj;
}

const char *core_bench_reply_type(core_bench_t *self)
{
    static char type[32];
    if (doc_strcpy(&self->reply_obj, "type", type, sizeof type) <= 0)
        return "";
    return type;
}

void core_bench_assert_refused(core_bench_t *self, int rc, const char *code, const char *field,
                               const char *rule)
{
    const msgpack_object *reply = &self->reply_obj;
    char text[PROTO_MESSAGE_MAX];
    if (doc_strcpy(reply, "message", text, sizeof text) <= 0)
        snprintf(text, sizeof text, "(no message)");
    assert_int_equal(rc, SERVICE_REFUSED);
    assert_string_equal(core_bench_reply_type(self), "error");
    assert_true(doc_str_eq(reply, "code", code));
    if (!doc_str_eq(reply, "field", field) || !doc_str_eq(reply, "rule", rule))
        fail_msg("refused on another field or rule than %s / %s: %s", field, rule, text);
    /* A refusal writes nothing: no event either. */
    assert_int_equal(stream_log_head(self->log), self->head_before);
}

int core_bench_apply(core_bench_t *self, service_apply_fn apply, void *ctx, const char *type, int64_t now,
                     const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text;
    msgpack_object event = s_decode_json(self, &text, format, args);
    va_end(args);
    free(text);
    MDB_txn *txn;
    assert_int_equal(store_begin(self->store, false, &txn), 0);
    int rc = apply(ctx, core_bench_service(self), txn, type, &event, now);
    s_end(self, txn, rc);
    return rc;
}

int core_bench_apply_object(core_bench_t *self, service_apply_fn apply, void *ctx, const char *type, int64_t now,
                            const msgpack_object *event)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(self->store, false, &txn), 0);
    int rc = apply(ctx, core_bench_service(self), txn, type, event, now);
    s_end(self, txn, rc);
    return rc;
}

uint64_t core_bench_head(core_bench_t *self)
{
    return stream_log_head(self->log);
}

const msgpack_object *core_bench_events(core_bench_t *self, uint64_t after)
{
    static msgpack_object events;
    msgpack_sbuffer_clear(&self->events);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &self->events, msgpack_sbuffer_write);
    MDB_txn *txn;
    assert_int_equal(store_begin(self->store, true, &txn), 0);
    msgpack_pack_map(&pk, 1);
    proto_pack_str(&pk, "events");
    stream_log_pack_after(self->log, txn, after, 1000, 64 << 20, NULL, &pk);
    mdb_txn_abort(txn);
    msgpack_object batch;
    proto_error_t err;
    assert_int_equal(wire_decode_reply(self->events.data, self->events.size, &self->zone, &batch, &err), 0);
    events = *doc_array(&batch, "events");
    return &events;
}

const msgpack_object *core_bench_event(core_bench_t *self, uint64_t after, const char *type)
{
    const msgpack_object *events = core_bench_events(self, after);
    for (size_t i = 0; i < doc_len(events); i++)
        if (doc_str_eq(doc_at(events, i), "type", type))
            return doc_at(events, i);
    return NULL;
}

char *core_bench_fixture(const char *path)
{
    const char *root = getenv("ESSP_FIXTURES");
    char full[512];
    snprintf(full, sizeof full, "%s/%s", root ? root : "tests/fixtures", path);
    FILE *file = fopen(full, "rb");
    if (!file)
        fail_msg("no fixture %s", full);
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, file), (size_t)size);
    text[size] = '\0';
    fclose(file);
    return text;
}

/* ------------------------------------------------- the shell, wrapped */

MDB_dbi __wrap_service_db(service_t *svc, size_t index)
{
    core_bench_t *self = s_bench(svc);
    assert_true(index < self->db_count);
    return store_db(self->store, index);
}

msgpack_packer *__wrap_service_event_begin(service_t *svc, const char *type, int64_t at, size_t fields,
                                           uint64_t *seq)
{
    core_bench_t *self = s_bench(svc);
    uint64_t next = stream_log_begin(self->log, &self->event_buf, &self->event_pk, type, at, fields);
    if (seq)
        *seq = next;
    return &self->event_pk;
}

int __wrap_service_event_end(service_t *svc, MDB_txn *txn)
{
    return stream_log_end(s_bench(svc)->log, txn, &s_bench(svc)->event_buf);
}

/*  The shell's forward, from the decoded event: the bench has no
 *  consumer whose bytes it could take. */
int __wrap_service_event_forward(service_t *svc, MDB_txn *txn, const char *type, int64_t at,
                                 const msgpack_object *event)
{
    msgpack_packer *pk = __wrap_service_event_begin(svc, type, at, doc_count_except(event, proto_envelope_keys), NULL);
    doc_pack_pairs_except(pk, event, proto_envelope_keys);
    return __wrap_service_event_end(svc, txn);
}

int __wrap_service_log_redact(service_t *svc, MDB_txn *txn, const char *id, size_t id_len,
                              stream_log_rewrite_fn rewrite, void *arg, size_t *count)
{
    return stream_log_redact(s_bench(svc)->log, txn, id, id_len, rewrite, arg, count);
}

void __wrap_service_request_compact(service_t *svc)
{
    s_bench(svc)->compactions++;
}

size_t core_bench_compactions(core_bench_t *self)
{
    return self->compactions;
}

uint64_t __wrap_service_log_head(service_t *svc)
{
    return stream_log_head(s_bench(svc)->log);
}

int __wrap_service_log_get(service_t *svc, MDB_txn *txn, uint64_t seq, MDB_val *event)
{
    return stream_log_get(s_bench(svc)->log, txn, seq, event);
}
