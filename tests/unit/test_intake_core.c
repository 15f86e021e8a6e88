/*  intake's core on a real LMDB environment in a temporary folder, with no
 *  process and no socket: the handlers (submit, amend, status, history,
 *  appeal, erase) are called as the shell calls them, through
 *  service_request_t, and the stream handlers with the events of
 *  validation and review.  The replies are read back: receipts, acks, and
 *  refusals with their code, field and rule.
 *
 *  The core reaches the shell only through service_db, service_event_*,
 *  service_log_redact and service_refuse*: this file defines them over a
 *  store_t and a stream_log_t of its own (so common/service.c, its sockets
 *  and its loop, are not linked in), as the shell does (common/service.h).
 */
#define _GNU_SOURCE              /* asprintf */
#include "services/intake/intake.h"

#include "common/store.h"
#include "common/stream_log.h"
#include "proto/doc.h"
#include "proto/history.h"
#include "proto/json_codec.h"
#include "proto/messages.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ------------------------------------------------------ the shell, here */

struct service_t {
    store_t *store;
    stream_log_t *log;
    msgpack_sbuffer event_buf;
    msgpack_packer event_pk;
};

#define S_DB_EVENTS 7            /* after intake's seven databases */

MDB_dbi service_db(service_t *self, size_t index)
{
    assert_true(index < S_DB_EVENTS);
    return store_db(self->store, index);
}

msgpack_packer *service_event_begin(service_t *self, const char *type, int64_t at, size_t fields,
                                    uint64_t *seq)
{
    uint64_t next = stream_log_begin(self->log, &self->event_buf, &self->event_pk, type, at, fields);
    if (seq)
        *seq = next;
    return &self->event_pk;
}

int service_event_end(service_t *self, MDB_txn *txn)
{
    return stream_log_end(self->log, txn, &self->event_buf);
}

int service_log_redact(service_t *self, MDB_txn *txn, const char *id, size_t id_len,
                       stream_log_rewrite_fn rewrite, void *arg, size_t *count)
{
    return stream_log_redact(self->log, txn, id, id_len, rewrite, arg, count);
}

int service_refuse(service_request_t *req, const char *code, const char *field, const char *rule,
                   const char *format, ...)
{
    proto_error_t err;
    char message[PROTO_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    proto_error_set(&err, field, rule, "%s", message);
    return service_refuse_error(req, code, &err);
}

int service_refuse_error(service_request_t *req, const char *code, const proto_error_t *err)
{
    proto_pack_error(req->reply, req->has_rid, req->rid, code, err);
    return SERVICE_REFUSED;
}

/* ------------------------------------------------------------- fixture */

typedef struct {
    char dir[64];
    service_t svc;
    void *ctx;
    char *application;           /* a valid application, JSON */
    msgpack_zone zone;           /* requests, events and replies of one test */
    msgpack_sbuffer reply_buf;
    int64_t now;
} core_t;

static char *s_read_fixture(const char *name)
{
    const char *root = getenv("ESSP_FIXTURES");
    assert_non_null(root);
    char path[512];
    snprintf(path, sizeof path, "%s/applications/valid/%s", root, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)len + 1);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return text;
}

static int s_setup(void **state)
{
    core_t *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/essp-intake-core-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    const char *names[S_DB_EVENTS + 2];
    for (size_t i = 0; i < S_DB_EVENTS; i++)
        names[i] = intake_dbs[i];
    names[S_DB_EVENTS] = "events";
    names[S_DB_EVENTS + 1] = NULL;
    t->svc.store = store_new(t->dir, names);
    assert_non_null(t->svc.store);
    msgpack_sbuffer_init(&t->svc.event_buf);
    msgpack_packer_init(&t->svc.event_pk, &t->svc.event_buf, msgpack_sbuffer_write);
    t->ctx = intake_context_new();
    MDB_txn *txn;
    assert_int_equal(store_begin(t->svc.store, false, &txn), 0);
    t->svc.log = stream_log_new(txn, store_db(t->svc.store, S_DB_EVENTS));
    assert_int_equal(intake_start(t->ctx, &t->svc, txn), 0);
    assert_int_equal(store_commit(t->svc.store, txn), 0);
    t->application = s_read_fixture("mutuelle-entraide-vendee.json");
    msgpack_zone_init(&t->zone, 65536);
    msgpack_sbuffer_init(&t->reply_buf);
    t->now = 1767225600;         /* 2026-01-01 */
    *state = t;
    return 0;
}

static int s_teardown(void **state)
{
    core_t *t = *state;
    stream_log_destroy(&t->svc.log);
    store_destroy(&t->svc.store);
    intake_context_destroy(&t->ctx);
    msgpack_sbuffer_destroy(&t->svc.event_buf);
    msgpack_sbuffer_destroy(&t->reply_buf);
    msgpack_zone_destroy(&t->zone);
    free(t->application);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", t->dir);
    assert_int_equal(system(command), 0);
    free(t);
    return 0;
}

/*  A msgpack object from JSON text (printf-style), in the test's zone. */
static msgpack_object s_object(core_t *t, const char *format, ...)
{
    char *text = NULL;
    va_list args;
    va_start(args, format);
    assert_true(vasprintf(&text, format, args) >= 0);
    va_end(args);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    if (json_codec_to_msgpack(text, strlen(text), &buf, &err) != 0)
        fail_msg("bad JSON in the test: %s (%s)", text, err.message);
    free(text);
    /* The zone outlives the buffer: copy the bytes into it. */
    char *bytes = msgpack_zone_malloc(&t->zone, buf.size);
    memcpy(bytes, buf.data, buf.size);
    msgpack_object obj;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(bytes, buf.size, &off, &t->zone, &obj), MSGPACK_UNPACK_SUCCESS);
    msgpack_sbuffer_destroy(&buf);
    return obj;
}

/*  One write transaction around fn, committed whatever it returned (a
 *  refusal must have written nothing, which the tests check). */
static int s_commit(core_t *t, MDB_txn *txn, int rc)
{
    if (rc == 0 || rc == SERVICE_REFUSED) {
        assert_int_equal(store_commit(t->svc.store, txn), 0);
        stream_log_committed(t->svc.log);
    } else {
        mdb_txn_abort(txn);
        stream_log_aborted(t->svc.log);
    }
    return rc;
}

/*  Runs one request as the shell does; *reply is its decoded reply.
 *  Returns what the handler returned. */
static int s_request(core_t *t, msgpack_object *reply, const msgpack_object *msg, const char *peer_role)
{
    const char *type = NULL;
    uint64_t rid = 0;
    bool has_rid = false;
    proto_error_t err;
    if (proto_request_check(msg, &type, &rid, &has_rid, &err) != 0)
        fail_msg("the request breaks the catalogue: %s %s (%s)", err.field, err.rule, err.message);
    msgpack_sbuffer_clear(&t->reply_buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &t->reply_buf, msgpack_sbuffer_write);
    t->now += 60;
    service_request_t req = {.msg = msg, .type = type, .has_rid = has_rid, .rid = rid, .reply = &pk,
                             .now = t->now, .now_ms = t->now * 1000, .peer_name = peer_role ? "Anne" : NULL,
                             .peer_role = peer_role};
    MDB_txn *txn;
    assert_int_equal(store_begin(t->svc.store, false, &txn), 0);
    int rc = s_commit(t, txn, intake_handle(t->ctx, &t->svc, txn, &req));
    char *bytes = msgpack_zone_malloc(&t->zone, t->reply_buf.size);
    memcpy(bytes, t->reply_buf.data, t->reply_buf.size);
    size_t off = 0;
    assert_int_equal(msgpack_unpack(bytes, t->reply_buf.size, &off, &t->zone, reply), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, t->reply_buf.size);   /* exactly one reply */
    return rc;
}

typedef int (*apply_fn)(void *, service_t *, MDB_txn *, const char *, const msgpack_object *, int64_t);

static void s_apply(core_t *t, apply_fn apply, const char *type, const msgpack_object *event)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(t->svc.store, false, &txn), 0);
    t->now += 60;
    assert_int_equal(s_commit(t, txn, apply(t->ctx, &t->svc, txn, type, event, t->now)), 0);
}

static void s_assert_str(const msgpack_object *map, const char *key, const char *expected)
{
    char value[256] = "";
    if (doc_strcpy(map, key, value, sizeof value) < 0 || strcmp(value, expected) != 0)
        fail_msg("%s: \"%s\", expected \"%s\"", key, value, expected);
}

static void s_assert_refused(core_t *t, int rc, const msgpack_object *reply, const char *code,
                             const char *field, const char *rule)
{
    (void)t;
    assert_int_equal(rc, SERVICE_REFUSED);
    s_assert_str(reply, "type", "error");
    s_assert_str(reply, "code", code);
    s_assert_str(reply, "field", field);
    s_assert_str(reply, "rule", rule);
}

/*  Submits the fixture (with its SIRET replaced when siret is not NULL). */
static int s_submit(core_t *t, msgpack_object *reply, const char *key, const char *siret)
{
    const char *application = t->application;
    char *changed = NULL;
    if (siret) {
        const char *at = strstr(application, "\"477 848 642 00013\"");
        assert_non_null(at);
        assert_true(asprintf(&changed, "%.*s\"%s\"%s", (int)(at - application), application, siret,
                             at + strlen("\"477 848 642 00013\"")) > 0);
        application = changed;
    }
    msgpack_object msg = key ? s_object(t, "{\"v\":1,\"type\":\"submit\",\"rid\":7,\"key\":\"%s\",\"application\":%s}",
                                        key, application)
                             : s_object(t, "{\"v\":1,\"type\":\"submit\",\"rid\":7,\"application\":%s}", application);
    free(changed);
    return s_request(t, reply, &msg, NULL);
}

static void s_id_of(const msgpack_object *reply, char id[PROTO_ID_MAX + 1], char token[64])
{
    assert_true(doc_strcpy(reply, "id", id, PROTO_ID_MAX + 1) == 16);
    if (token)
        assert_true(doc_strcpy(reply, "token", token, 64) == INTAKE_TOKEN_CHARS);
}

static msgpack_object s_status(core_t *t, const char *id, const char *token)
{
    msgpack_object msg = token ? s_object(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"token\":\"%s\"}", id, token)
                               : s_object(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\"}", id);
    msgpack_object reply;
    /* Without the token, as staff (the authenticated endpoint). */
    assert_int_equal(s_request(t, &reply, &msg, token ? NULL : "staff"), 0);
    s_assert_str(&reply, "type", "status");
    return reply;
}

static uint64_t s_head(core_t *t)
{
    return stream_log_head(t->svc.log);
}

static void s_validated(core_t *t, const char *id, int revision, const char *verdict)
{
    msgpack_object event = s_object(t, "{\"seq\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":%d,"
                                       "\"verdict\":\"%s\",\"report\":{\"charter\":\"2018.1\",\"verdict\":\"%s\","
                                       "\"criteria\":[]}}", id, revision, verdict, verdict);
    s_apply(t, intake_apply_validation, "validated", &event);
}

static void s_review_event(core_t *t, const char *type, const char *fields)
{
    msgpack_object event = s_object(t, "{\"seq\":1,\"type\":\"%s\",%s}", type, fields);
    s_apply(t, intake_apply_review, type, &event);
}

/* --------------------------------------------------------------- tests */

static void test_submit_answers_a_receipt_and_appends_submitted(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    s_assert_str(&reply, "type", "receipt");
    s_assert_str(&reply, "state", "received");
    uint64_t rid = 0, revision = 0;
    assert_true(doc_uint(&reply, "rid", &rid) && rid == 7);
    assert_true(doc_uint(&reply, "revision", &revision) && revision == 1);
    assert_false(doc_bool(&reply, "duplicate", true));
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    assert_int_equal(s_head(t), 1);
    msgpack_object status = s_status(t, id, token);
    s_assert_str(&status, "state", "received");
    s_assert_str(&status, "siret", "47784864200013");     /* digits only */
    assert_null(doc_get(&status, "token_hash"));           /* never leaves the service */
}

static void test_a_resent_key_gets_the_same_receipt(void **state)
{
    core_t *t = *state;
    msgpack_object first, again;
    assert_int_equal(s_submit(t, &first, "key-1", NULL), 0);
    assert_int_equal(s_submit(t, &again, "key-1", NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64], id2[PROTO_ID_MAX + 1], token2[64];
    s_id_of(&first, id, token);
    s_id_of(&again, id2, token2);
    assert_string_equal(id, id2);
    assert_string_equal(token, token2);
    assert_true(doc_bool(&again, "duplicate", false));
    assert_int_equal(s_head(t), 1);                         /* one "submitted" */
    /* The same key with another application: refused. */
    msgpack_object reply;
    int rc = s_submit(t, &reply, "key-1", "356 000 000 00048");
    s_assert_refused(t, rc, &reply, PROTO_E_CONFLICT, "key", "unique");
}

static void test_refusals_of_submit_write_nothing(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    msgpack_object msg = s_object(t, "{\"v\":1,\"type\":\"submit\",\"application\":{\"organisation\":{}}}");
    int rc = s_request(t, &reply, &msg, NULL);
    assert_int_equal(rc, SERVICE_REFUSED);
    s_assert_str(&reply, "code", PROTO_E_INVALID);
    char field[PROTO_FIELD_MAX];
    assert_true(doc_strcpy(&reply, "field", field, sizeof field) > 0);
    assert_true(strncmp(field, "application.", 12) == 0);  /* named inside the request */
    assert_int_equal(s_head(t), 0);
    /* A second open application for one SIRET. */
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    rc = s_submit(t, &reply, NULL, NULL);
    s_assert_refused(t, rc, &reply, PROTO_E_CONFLICT, "application.organisation.siret", "unique");
    /* A renewal of an unknown application. */
    msgpack_object renew = s_object(t, "{\"v\":1,\"type\":\"submit\",\"renews\":\"zzzzzzzzzzzzzzzz\",\"application\":%s}",
                                    t->application);
    rc = s_request(t, &reply, &renew, NULL);
    s_assert_refused(t, rc, &reply, PROTO_E_INVALID, "renews", "exists");
    assert_int_equal(s_head(t), 1);
}

static void test_status_refuses_a_wrong_token_as_an_unknown_id(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    msgpack_object wrong = s_object(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"token\":\"%.42sx\"}", id, token);
    s_assert_refused(t, s_request(t, &reply, &wrong, NULL), &reply, PROTO_E_NOT_FOUND, "id", "exists");
    msgpack_object unknown = s_object(t, "{\"v\":1,\"type\":\"status\",\"id\":\"0000000000000000\"}");
    s_assert_refused(t, s_request(t, &reply, &unknown, NULL), &reply, PROTO_E_NOT_FOUND, "id", "exists");
    msgpack_object with = s_object(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"with_application\":true}", id);
    assert_int_equal(s_request(t, &reply, &with, "staff"), 0);
    assert_non_null(doc_map(&reply, "application"));
}

/*  status, history, amend and appeal read or change an application: they
 *  need its token, or a staff key (the authenticated endpoint); without
 *  either, the answer is the one for an unknown id, as over HTTP.  A
 *  member's or a service's key is no staff key. */
static void test_reading_or_changing_needs_the_token_or_a_staff_key(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    uint64_t head = s_head(t);
    const char *const requests[] = {
        "{\"v\":1,\"type\":\"status\",\"id\":\"%s\"%s}",
        "{\"v\":1,\"type\":\"history\",\"id\":\"%s\"%s}",
        "{\"v\":1,\"type\":\"appeal\",\"id\":\"%s\",\"motivation\":\"Relisez.\"%s}",
    };
    const char *const roles[] = {NULL, "member", "service"};
    char wrong[96];
    snprintf(wrong, sizeof wrong, ",\"token\":\"%.42sx\"", token);
    for (size_t i = 0; i < sizeof requests / sizeof *requests; i++) {
        for (size_t r = 0; r < sizeof roles / sizeof *roles; r++) {
            msgpack_object bare = s_object(t, requests[i], id, "");
            s_assert_refused(t, s_request(t, &reply, &bare, roles[r]), &reply, PROTO_E_NOT_FOUND, "id", "exists");
            msgpack_object other = s_object(t, requests[i], id, wrong);
            s_assert_refused(t, s_request(t, &reply, &other, roles[r]), &reply, PROTO_E_NOT_FOUND, "id", "exists");
        }
    }
    msgpack_object amend = s_object(t, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"application\":%s}", id,
                                    t->application);
    s_assert_refused(t, s_request(t, &reply, &amend, NULL), &reply, PROTO_E_NOT_FOUND, "id", "exists");
    s_assert_refused(t, s_request(t, &reply, &amend, "member"), &reply, PROTO_E_NOT_FOUND, "id", "exists");
    assert_int_equal(s_head(t), head);                      /* nothing was written */
    /* The token, or a staff key. */
    msgpack_object with = s_object(t, requests[0], id, "");
    assert_int_equal(s_request(t, &reply, &with, "staff"), 0);
    s_assert_str(&reply, "type", "status");
    char right[96];
    snprintf(right, sizeof right, ",\"token\":\"%s\"", token);
    msgpack_object history = s_object(t, requests[1], id, right);
    assert_int_equal(s_request(t, &reply, &history, NULL), 0);
    s_assert_str(&reply, "type", "history");
}

/*  Item "in_review means votable": a report that passes keeps the file
 *  received; review's "queued" moves it to in_review. */
static void test_in_review_only_once_review_has_the_file(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    s_validated(t, id, 1, "review");
    msgpack_object status = s_status(t, id, token);
    s_assert_str(&status, "state", "received");
    assert_non_null(doc_map(&status, "report"));            /* the report is known */
    /* A round of another revision moves nothing. */
    char fields[160];
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":2,\"round\":1,\"kind\":\"review\"", id);
    s_review_event(t, "queued", fields);
    status = s_status(t, id, token);
    s_assert_str(&status, "state", "received");
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":1,\"kind\":\"review\"", id);
    s_review_event(t, "queued", fields);
    status = s_status(t, id, token);
    s_assert_str(&status, "state", "in_review");
    /* The round may reach intake before the report: in_review all the same,
     * and the report arriving later keeps it. */
    assert_int_equal(s_submit(t, &reply, NULL, "356 000 000 00048"), 0);
    char other[PROTO_ID_MAX + 1];
    s_id_of(&reply, other, NULL);
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":1,\"kind\":\"review\"", other);
    s_review_event(t, "queued", fields);
    s_validated(t, other, 1, "review");
    status = s_status(t, other, NULL);
    s_assert_str(&status, "state", "in_review");
    assert_non_null(doc_map(&status, "report"));
}

static void test_amend_an_incomplete_application(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    msgpack_object amend = s_object(t, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"token\":\"%s\",\"application\":%s}",
                                    id, token, t->application);
    s_assert_refused(t, s_request(t, &reply, &amend, NULL), &reply, PROTO_E_CONFLICT, "id", "state");
    s_validated(t, id, 1, "incomplete");
    reply = s_status(t, id, token);
    s_assert_str(&reply, "state", "incomplete");
    assert_int_equal(s_request(t, &reply, &amend, NULL), 0);
    s_assert_str(&reply, "type", "receipt");
    uint64_t revision = 0;
    assert_true(doc_uint(&reply, "revision", &revision) && revision == 2);
    msgpack_object status = s_status(t, id, token);
    s_assert_str(&status, "state", "received");
    assert_true(doc_get(&status, "report")->type == MSGPACK_OBJECT_NIL);   /* the old report is dropped */
    /* The SIRET cannot change. */
    s_validated(t, id, 2, "incomplete");
    const char *at = strstr(t->application, "\"477 848 642 00013\"");
    char *changed = NULL;
    assert_true(asprintf(&changed, "%.*s\"35600000000048\"%s", (int)(at - t->application), t->application,
                         at + strlen("\"477 848 642 00013\"")) > 0);
    msgpack_object moved = s_object(t, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"application\":%s}", id, changed);
    free(changed);
    s_assert_refused(t, s_request(t, &reply, &moved, "staff"), &reply, PROTO_E_INVALID,
                     "application.organisation.siret", "immutable");
}

static void test_an_appeal_is_in_review_once_its_round_opens(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64], fields[256];
    s_id_of(&reply, id, token);
    msgpack_object appeal = s_object(t, "{\"v\":1,\"type\":\"appeal\",\"id\":\"%s\",\"motivation\":\"Trois références.\","
                                        "\"key\":\"appeal-1\"}", id);
    s_assert_refused(t, s_request(t, &reply, &appeal, "staff"), &reply, PROTO_E_CONFLICT, "id", "state");
    s_validated(t, id, 1, "review");
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":1,\"kind\":\"review\"", id);
    s_review_event(t, "queued", fields);
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":1,\"kind\":\"review\",\"decision\":\"reject\","
                                    "\"motivations\":[\"Aucune référence.\"],\"at\":1767225700", id);
    s_review_event(t, "decided", fields);
    reply = s_status(t, id, token);
    s_assert_str(&reply, "state", "rejected");
    msgpack_object blank = s_object(t, "{\"v\":1,\"type\":\"appeal\",\"id\":\"%s\",\"motivation\":\"  \"}", id);
    s_assert_refused(t, s_request(t, &reply, &blank, "staff"), &reply, PROTO_E_INVALID, "motivation", "required");
    uint64_t head = s_head(t);
    assert_int_equal(s_request(t, &reply, &appeal, "staff"), 0);
    s_assert_str(&reply, "type", "ack");
    s_assert_str(&reply, "state", "rejected");              /* recorded; the round is not open yet */
    assert_int_equal(s_head(t), head + 1);                  /* "appealed" */
    assert_int_equal(s_request(t, &reply, &appeal, "staff"), 0);   /* the same key: the same answer */
    s_assert_str(&reply, "state", "rejected");
    assert_int_equal(s_head(t), head + 1);
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":2,\"kind\":\"appeal\"", id);
    s_review_event(t, "queued", fields);
    msgpack_object status = s_status(t, id, token);
    s_assert_str(&status, "state", "in_review");
    s_assert_str(doc_map(&status, "appeal"), "motivation", "Trois références.");
    msgpack_object second = s_object(t, "{\"v\":1,\"type\":\"appeal\",\"id\":\"%s\",\"motivation\":\"Encore.\"}", id);
    s_assert_refused(t, s_request(t, &reply, &second, "staff"), &reply, PROTO_E_CONFLICT, "id", "appeal_used");
}

/*  Record i of a history reply, decoded (stored: [body as bin, hash]). */
static msgpack_object s_record(core_t *t, const msgpack_object *records, size_t i)
{
    const msgpack_object *stored = doc_at(records, i);
    assert_true(stored && stored->type == MSGPACK_OBJECT_ARRAY && stored->via.array.size == 2);
    const msgpack_object *body = &stored->via.array.ptr[0];
    assert_int_equal(body->type, MSGPACK_OBJECT_BIN);
    msgpack_object record;
    assert_int_equal(history_body_decode(body->via.bin.ptr, body->via.bin.size, &t->zone, &record), 0);
    return record;
}

static void test_history_records_every_change_and_verifies(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64], fields[160];
    s_id_of(&reply, id, token);
    s_validated(t, id, 1, "review");
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":1,\"kind\":\"review\"", id);
    s_review_event(t, "queued", fields);
    s_review_event(t, "queued", fields);                     /* again: nothing more recorded */
    msgpack_object msg = s_object(t, "{\"v\":1,\"type\":\"history\",\"id\":\"%s\",\"token\":\"%s\"}", id, token);
    assert_int_equal(s_request(t, &reply, &msg, NULL), 0);
    s_assert_str(&reply, "type", "history");
    assert_true(doc_bool(&reply, "verified", false));
    const msgpack_object *records = doc_array(&reply, "records");
    assert_int_equal(doc_len(records), 3);
    msgpack_object record = s_record(t, records, 0);
    s_assert_str(&record, "what", "submitted");
    record = s_record(t, records, 1);
    s_assert_str(&record, "what", "validated");
    s_assert_str(&record, "state", "received");
    record = s_record(t, records, 2);
    s_assert_str(&record, "what", "queued");
    s_assert_str(&record, "who", "review");
    s_assert_str(&record, "state", "in_review");
    s_assert_str(&record, "why", "round 1 opens");
}

static void test_erase_is_for_staff_and_keeps_a_pseudonymised_record(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    msgpack_object erase = s_object(t, "{\"v\":1,\"type\":\"erase\",\"id\":\"%s\"}", id);
    s_assert_refused(t, s_request(t, &reply, &erase, "member"), &reply, PROTO_E_FORBIDDEN, "type", "role");
    msgpack_object unknown = s_object(t, "{\"v\":1,\"type\":\"erase\",\"id\":\"0000000000000000\"}");
    s_assert_refused(t, s_request(t, &reply, &unknown, "staff"), &reply, PROTO_E_NOT_FOUND, "id", "exists");
    assert_int_equal(s_request(t, &reply, &erase, "staff"), 0);
    s_assert_str(&reply, "type", "ack");
    s_assert_str(&reply, "state", "withdrawn");
    msgpack_object status = s_status(t, id, token);         /* the token still reads what became of it */
    s_assert_str(&status, "state", "withdrawn");
    s_assert_str(&status, "reason", "erased");
    assert_null(doc_get(&status, "name"));
    assert_null(doc_get(&status, "siret"));
    /* Again: the same answer, nothing more. */
    uint64_t head = s_head(t);
    assert_int_equal(s_request(t, &reply, &erase, "staff"), 0);
    s_assert_str(&reply, "state", "withdrawn");
    assert_int_equal(s_head(t), head);
    /* The SIRET is free again. */
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
}

static void test_an_unsupported_type_is_refused(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    msgpack_object ping = s_object(t, "{\"v\":1,\"type\":\"ping\"}");
    s_assert_refused(t, s_request(t, &reply, &ping, NULL), &reply, PROTO_E_INVALID, "type", "unsupported");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submit_answers_a_receipt_and_appends_submitted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_resent_key_gets_the_same_receipt, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_of_submit_write_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reading_or_changing_needs_the_token_or_a_staff_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_status_refuses_a_wrong_token_as_an_unknown_id, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_in_review_only_once_review_has_the_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_amend_an_incomplete_application, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_appeal_is_in_review_once_its_round_opens, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_history_records_every_change_and_verifies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_erase_is_for_staff_and_keeps_a_pseudonymised_record, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_unsupported_type_is_refused, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
