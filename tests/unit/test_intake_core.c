/*  Unit tests of intake's core on a real LMDB environment in a temporary
 *  folder, with no process and no socket (tests/unit/core_bench.h): the
 *  handlers (submit, amend, status, history, appeal, erase) are called as
 *  the shell calls them, and the stream handlers with the events of
 *  validation and review.  The replies are read back: receipts, acks, and
 *  refusals with their code, field and rule, packed by the real
 *  service_refuse.
 */
#define _GNU_SOURCE              /* asprintf */
/* The refusal tests run one table of request formats through every role:
 * -Wformat-nonliteral (part of -Wformat=2) would refuse the table's
 * entries as formats; their arguments are checked by hand there. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#include "services/intake/documents.h"
#include "services/intake/record.h"
#include "services/intake/intake.h"

#include "core_bench.h"
#include "proto/doc.h"
#include "proto/history.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "common/store.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------- fixture */

typedef struct {
    core_bench_t *bench;
    void *ctx;
    char *application;           /* a valid application, JSON */
    msgpack_zone zone;           /* requests, replies and records of one test */
    int64_t now;
} core_t;

static int s_setup(void **state)
{
    core_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->bench = core_bench_new(intake_dbs);
    t->ctx = intake_context_new();
    core_bench_hooks(t->bench, intake_before_commit, intake_ended, t->ctx);
    assert_int_equal(core_bench_start(t->bench, intake_start, t->ctx), 0);
    t->application = core_bench_fixture("applications/valid/mutuelle-entraide-vendee.json");
    msgpack_zone_init(&t->zone, 65536);
    t->now = 1767225600;         /* 2026-01-01 */
    *state = t;
    return 0;
}

static int s_teardown(void **state)
{
    core_t *t = *state;
    core_bench_destroy(&t->bench);
    intake_context_destroy(&t->ctx);
    msgpack_zone_destroy(&t->zone);
    free(t->application);
    free(t);
    return 0;
}

/*  JSON text made from format (printf-style), in the test's zone. */
static const char *s_text(core_t *t, const char *format, ...) __attribute__((format(printf, 2, 3)));
static const char *s_text(core_t *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int len = vsnprintf(NULL, 0, format, args);
    va_end(args);
    assert_true(len >= 0);
    char *text = msgpack_zone_malloc(&t->zone, (size_t)len + 1);
    assert_non_null(text);
    va_start(args, format);
    vsnprintf(text, (size_t)len + 1, format, args);
    va_end(args);
    return text;
}

/*  Runs one request (JSON text) as the shell does, from a peer of
 *  peer_role when not NULL, a minute after the last; *reply is its reply,
 *  copied into the test's zone (it outlives the next requests).  Returns
 *  what the handler returned. */
static int s_request(core_t *t, msgpack_object *reply, const char *request, const char *peer_role)
{
    t->now += 60;
    core_bench_peer(t->bench, peer_role, peer_role ? "Anne" : NULL);
    int rc = core_bench_request(t->bench, intake_handle, t->ctx, t->now, "%s", request);
    /* The bench decodes the whole reply buffer as one object: exactly one
     * reply. */
    const msgpack_object *packed = core_bench_reply(t->bench);
    assert_int_equal(packed->type, MSGPACK_OBJECT_MAP);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_object(&pk, *packed), 0);
    char *bytes = msgpack_zone_malloc(&t->zone, buf.size);
    memcpy(bytes, buf.data, buf.size);
    size_t off = 0;
    assert_int_equal(msgpack_unpack(bytes, buf.size, &off, &t->zone, reply), MSGPACK_UNPACK_SUCCESS);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static void s_assert_str(const msgpack_object *map, const char *key, const char *expected)
{
    char value[256] = "";
    if (doc_strcpy(map, key, value, sizeof value) < 0 || strcmp(value, expected) != 0)
        fail_msg("%s: \"%s\", expected \"%s\"", key, value, expected);
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
    const char *msg = key ? s_text(t, "{\"v\":1,\"type\":\"submit\",\"rid\":7,\"key\":\"%s\",\"application\":%s}",
                                   key, application)
                          : s_text(t, "{\"v\":1,\"type\":\"submit\",\"rid\":7,\"application\":%s}", application);
    free(changed);
    return s_request(t, reply, msg, NULL);
}

static void s_id_of(const msgpack_object *reply, char id[PROTO_ID_MAX + 1], char token[64])
{
    assert_true(doc_strcpy(reply, "id", id, PROTO_ID_MAX + 1) == 16);
    if (token)
        assert_true(doc_strcpy(reply, "token", token, 64) == INTAKE_TOKEN_CHARS);
}

static msgpack_object s_status(core_t *t, const char *id, const char *token)
{
    const char *msg = token ? s_text(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"token\":\"%s\"}", id, token)
                            : s_text(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\"}", id);
    msgpack_object reply;
    /* Without the token, as staff (the authenticated endpoint). */
    assert_int_equal(s_request(t, &reply, msg, token ? NULL : "staff"), 0);
    s_assert_str(&reply, "type", "status");
    return reply;
}

static void s_validated(core_t *t, const char *id, int revision, const char *verdict)
{
    t->now += 60;
    assert_int_equal(core_bench_apply(t->bench, intake_apply_validation, t->ctx, "validated", t->now,
                                      "{\"seq\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":%d,"
                                      "\"verdict\":\"%s\",\"report\":{\"charter\":\"2018.1\",\"verdict\":\"%s\","
                                      "\"criteria\":[]}}", id, revision, verdict, verdict),
                     0);
}

static void s_review_event(core_t *t, const char *type, const char *fields)
{
    t->now += 60;
    assert_int_equal(core_bench_apply(t->bench, intake_apply_review, t->ctx, type, t->now,
                                      "{\"seq\":1,\"type\":\"%s\",%s}", type, fields),
                     0);
}

/*  review's "queued": round `round` of revision `revision` opens. */
static void s_queued(core_t *t, const char *id, int revision, int round, const char *kind)
{
    char fields[160];
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":%d,\"round\":%d,\"kind\":\"%s\"", id, revision,
             round, kind);
    s_review_event(t, "queued", fields);
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
    assert_int_equal(core_bench_head(t->bench), 1);
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
    assert_int_equal(core_bench_head(t->bench), 1);                         /* one "submitted" */
    /* The same key with another application: refused. */
    msgpack_object reply;
    int rc = s_submit(t, &reply, "key-1", "356 000 000 00048");
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "key", "unique");
}

static void s_packed(const msgpack_object *obj, msgpack_sbuffer *out)
{
    msgpack_sbuffer_init(out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_object(&pk, *obj), 0);
}

/*  The application (JSON) and id of a key that s_keep_digest stores, as
 *  an earlier version did, with the digest of its application; and what
 *  s_read_key reads of a key. */
static const char *s_digest_application, *s_digest_id, *s_read_key_name;
static core_t *s_read_key_into;
static msgpack_object s_read_key_value;

static int s_keep_digest(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)ctx;
    /* The application as the request carries it (JSON made MessagePack as
     * core_bench_request does), packed again: what the digest hashed. */
    msgpack_sbuffer sent, buf, value;
    msgpack_sbuffer_init(&sent);
    proto_error_t err;
    assert_int_equal(json_codec_to_msgpack(s_digest_application, strlen(s_digest_application), &sent, &err), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object application;
    assert_int_equal(msgpack_unpack(sent.data, sent.size, NULL, &zone, &application), MSGPACK_UNPACK_SUCCESS);
    s_packed(&application, &buf);
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)buf.data, buf.size, NULL, 0);
    msgpack_sbuffer_destroy(&buf);
    msgpack_sbuffer_destroy(&sent);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_init(&value);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &value, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    proto_pack_kv_str(&pk, "id", s_digest_id);
    proto_pack_kv_uint(&pk, "revision", 1);
    proto_pack_str(&pk, "digest");
    msgpack_pack_bin_with_body(&pk, digest, sizeof digest);
    int rc = store_put(txn, __wrap_service_db(svc, INTAKE_DB_KEYS), "key-2", 5, value.data, value.size);
    msgpack_sbuffer_destroy(&value);
    return rc;
}

/*  Through the batched writes (index_batch.h): a key may not be in its
 *  tree yet. */
static int s_read_key(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)svc;
    MDB_val stored;
    int rc = index_batch_get(((scratch_t *)ctx)->index, txn, INTAKE_INDEX_KEYS, s_read_key_name,
                             strlen(s_read_key_name), &stored);
    return rc ? rc : store_decode_doc(&stored, &s_read_key_into->zone, &s_read_key_value);
}

/*  What intake keeps of a key. */
static msgpack_object s_kept_key(core_t *t, const char *key)
{
    s_read_key_name = key;
    s_read_key_into = t;
    assert_int_equal(core_bench_start(t->bench, s_read_key, t->ctx), 0);
    return s_read_key_value;
}

/*  A key is bound to the application it came with, as intake keeps it:
 *  a retry whose SIRET is typed with other spaces is the same request;
 *  one with another SIRET is not.  A key remembered with a digest of its
 *  application (an earlier version) is checked against that digest. */
static void test_a_key_is_bound_to_its_application(void **state)
{
    core_t *t = *state;
    msgpack_object first, again, reply;
    assert_int_equal(s_submit(t, &first, "key-1", NULL), 0);
    msgpack_object kept = s_kept_key(t, "key-1");
    uint64_t event = 0;
    assert_true(doc_uint(&kept, "event", &event));
    assert_int_equal(event, 1);                                          /* its "submitted" */
    assert_null(doc_get(&kept, "digest"));
    assert_int_equal(s_submit(t, &again, "key-1", "47784864200013"), 0);   /* the same SIRET, no spaces */
    assert_true(doc_bool(&again, "duplicate", false));
    char id[PROTO_ID_MAX + 1], id2[PROTO_ID_MAX + 1];
    s_id_of(&first, id, NULL);
    s_id_of(&again, id2, NULL);
    assert_string_equal(id, id2);
    core_bench_assert_refused(t->bench, s_submit(t, &reply, "key-1", "356 000 000 00048"), PROTO_E_CONFLICT,
                              "key", "unique");
    assert_int_equal(core_bench_head(t->bench), 1);

    /* Kept with a digest: the very same application is a retry, the SIRET
     * typed otherwise is not (the digest is of the bytes sent). */
    const char *msg = s_text(t, "{\"v\":1,\"type\":\"submit\",\"rid\":7,\"key\":\"key-2\",\"application\":%s}",
                             t->application);
    s_digest_application = t->application;
    s_digest_id = id;
    assert_int_equal(core_bench_start(t->bench, s_keep_digest, NULL), 0);
    assert_int_equal(s_request(t, &again, msg, NULL), 0);
    assert_true(doc_bool(&again, "duplicate", false));
    s_id_of(&again, id2, NULL);
    assert_string_equal(id, id2);
    core_bench_assert_refused(t->bench, s_submit(t, &reply, "key-2", "47784864200013"), PROTO_E_CONFLICT, "key",
                              "unique");
    assert_int_equal(core_bench_head(t->bench), 1);
}

/*  Key "key-3" of application s_digest_id, made by an event the log lacks. */
static int s_key_to_a_missing_event(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)ctx;
    msgpack_sbuffer value;
    msgpack_sbuffer_init(&value);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &value, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    proto_pack_kv_str(&pk, "id", s_digest_id);
    proto_pack_kv_uint(&pk, "revision", 1);
    proto_pack_kv_uint(&pk, "event", 1000000);
    int rc = store_put(txn, __wrap_service_db(svc, INTAKE_DB_KEYS), "key-3", 5, value.data, value.size);
    msgpack_sbuffer_destroy(&value);
    return rc;
}

/*  A key whose event the log lacks is a broken store, said so
 *  (MDB_CORRUPTED, the turn rolled back), never answered as a key used
 *  with another application nor taken as a new submission. */
static void test_a_key_without_its_event_is_corrupt(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1];
    s_id_of(&reply, id, NULL);
    s_digest_id = id;
    assert_int_equal(core_bench_start(t->bench, s_key_to_a_missing_event, NULL), 0);
    const char *msg = s_text(t, "{\"v\":1,\"type\":\"submit\",\"key\":\"key-3\",\"application\":%s}",
                             t->application);
    core_bench_peer(t->bench, NULL, NULL);
    assert_int_equal(core_bench_request(t->bench, intake_handle, t->ctx, t->now + 60, "%s", msg), MDB_CORRUPTED);
    assert_int_equal(core_bench_head(t->bench), 1);
}

static void test_refusals_of_submit_write_nothing(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    const char *msg = s_text(t, "{\"v\":1,\"type\":\"submit\",\"application\":{\"organisation\":{}}}");
    int rc = s_request(t, &reply, msg, NULL);
    assert_int_equal(rc, SERVICE_REFUSED);
    s_assert_str(&reply, "code", PROTO_E_INVALID);
    char field[PROTO_FIELD_MAX];
    assert_true(doc_strcpy(&reply, "field", field, sizeof field) > 0);
    assert_true(strncmp(field, "application.", 12) == 0);  /* named inside the request */
    assert_int_equal(core_bench_head(t->bench), 0);
    /* A second open application for one SIRET. */
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    rc = s_submit(t, &reply, NULL, NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_CONFLICT, "application.organisation.siret", "unique");
    /* A renewal of an unknown application. */
    const char *renew = s_text(t, "{\"v\":1,\"type\":\"submit\",\"renews\":\"zzzzzzzzzzzzzzzz\",\"application\":%s}",
                               t->application);
    rc = s_request(t, &reply, renew, NULL);
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "renews", "exists");
    assert_int_equal(core_bench_head(t->bench), 1);
}

static void test_status_refuses_a_wrong_token_as_an_unknown_id(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    const char *wrong = s_text(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"token\":\"%.42sx\"}", id, token);
    core_bench_assert_refused(t->bench, s_request(t, &reply, wrong, NULL), PROTO_E_NOT_FOUND, "id", "exists");
    const char *unknown = s_text(t, "{\"v\":1,\"type\":\"status\",\"id\":\"0000000000000000\"}");
    core_bench_assert_refused(t->bench, s_request(t, &reply, unknown, NULL), PROTO_E_NOT_FOUND, "id", "exists");
    const char *with = s_text(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"with_application\":true}", id);
    assert_int_equal(s_request(t, &reply, with, "staff"), 0);
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
    uint64_t head = core_bench_head(t->bench);
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
            const char *bare = s_text(t, requests[i], id, "");
            core_bench_assert_refused(t->bench, s_request(t, &reply, bare, roles[r]), PROTO_E_NOT_FOUND, "id",
                                      "exists");
            const char *other = s_text(t, requests[i], id, wrong);
            core_bench_assert_refused(t->bench, s_request(t, &reply, other, roles[r]), PROTO_E_NOT_FOUND, "id",
                                      "exists");
        }
    }
    const char *amend = s_text(t, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"application\":%s}", id,
                               t->application);
    core_bench_assert_refused(t->bench, s_request(t, &reply, amend, NULL), PROTO_E_NOT_FOUND, "id", "exists");
    core_bench_assert_refused(t->bench, s_request(t, &reply, amend, "member"), PROTO_E_NOT_FOUND, "id", "exists");
    assert_int_equal(core_bench_head(t->bench), head);      /* nothing was written */
    /* The token, or a staff key. */
    const char *with = s_text(t, requests[0], id, "");
    assert_int_equal(s_request(t, &reply, with, "staff"), 0);
    s_assert_str(&reply, "type", "status");
    char right[96];
    snprintf(right, sizeof right, ",\"token\":\"%s\"", token);
    const char *history = s_text(t, requests[1], id, right);
    assert_int_equal(s_request(t, &reply, history, NULL), 0);
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
    s_queued(t, id, 2, 1, "review");
    status = s_status(t, id, token);
    s_assert_str(&status, "state", "received");
    s_queued(t, id, 1, 1, "review");
    status = s_status(t, id, token);
    s_assert_str(&status, "state", "in_review");
    /* The round may reach intake before the report: in_review all the same,
     * and the report arriving later keeps it. */
    assert_int_equal(s_submit(t, &reply, NULL, "356 000 000 00048"), 0);
    char other[PROTO_ID_MAX + 1];
    s_id_of(&reply, other, NULL);
    s_queued(t, other, 1, 1, "review");
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
    const char *amend = s_text(t, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"token\":\"%s\",\"application\":%s}",
                               id, token, t->application);
    core_bench_assert_refused(t->bench, s_request(t, &reply, amend, NULL), PROTO_E_CONFLICT, "id", "state");
    s_validated(t, id, 1, "incomplete");
    reply = s_status(t, id, token);
    s_assert_str(&reply, "state", "incomplete");
    assert_int_equal(s_request(t, &reply, amend, NULL), 0);
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
    const char *moved = s_text(t, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"application\":%s}", id, changed);
    free(changed);
    core_bench_assert_refused(t->bench, s_request(t, &reply, moved, "staff"), PROTO_E_INVALID,
                     "application.organisation.siret", "immutable");
}

/*  The packed bytes of a decoded object (to compare two of them). */

static void s_assert_same(const msgpack_object *a, const msgpack_object *b)
{
    msgpack_sbuffer x, y;
    s_packed(a, &x);
    s_packed(b, &y);
    assert_int_equal(x.size, y.size);
    assert_memory_equal(x.data, y.data, x.size);
    msgpack_sbuffer_destroy(&x);
    msgpack_sbuffer_destroy(&y);
}

/*  The application as an earlier version kept it: whole, under its id. */
static const char *s_whole_id;
static const msgpack_object *s_whole_application;

static int s_store_whole(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)ctx;
    msgpack_sbuffer whole;
    s_packed(s_whole_application, &whole);
    int rc = store_put(txn, __wrap_service_db(svc, INTAKE_DB_DOCUMENTS), s_whole_id, strlen(s_whole_id), whole.data,
                       whole.size);
    msgpack_sbuffer_destroy(&whole);
    return rc;
}

/*  The application is kept once, in the "submitted" event that carries
 *  it (documents.h): a status with the application gives that event's,
 *  the amended one after an amendment, while the first event keeps the
 *  first; an application kept whole by an earlier version is read as it
 *  is. */
static void test_the_application_is_kept_in_its_event(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    const char *with = s_text(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"with_application\":true}", id);
    assert_int_equal(s_request(t, &reply, with, "staff"), 0);
    const msgpack_object *first = core_bench_event(t->bench, 0, "submitted");
    s_assert_same(doc_map(&reply, "application"), doc_map(first, "application"));

    s_validated(t, id, 1, "incomplete");
    /* The amendment says more of the governance. */
    const char *governance = strstr(t->application, "\"governance\": \"");
    assert_non_null(governance);
    size_t cut = (size_t)(governance - t->application) + strlen("\"governance\": \"");
    const char *amend = s_text(t, "{\"v\":1,\"type\":\"amend\",\"id\":\"%s\",\"token\":\"%s\",\"application\":"
                               "%.*sAssemblée générale annuelle. %s}", id, token, (int)cut, t->application,
                               t->application + cut);
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_request(t, &reply, amend, NULL), 0);
    assert_int_equal(s_request(t, &reply, with, "staff"), 0);
    const msgpack_object *second = core_bench_event(t->bench, head, "submitted");
    uint64_t revision = 0;
    assert_true(doc_uint(second, "revision", &revision) && revision == 2);
    s_assert_same(doc_map(&reply, "application"), doc_map(second, "application"));
    const char *text;
    size_t len;
    assert_true(doc_str(doc_map(doc_map(&reply, "application"), "principles"), "governance", &text, &len));
    const char *added = "Assemblée générale annuelle. ";
    assert_true(len > strlen(added) && memcmp(text, added, strlen(added)) == 0);
    first = core_bench_event(t->bench, 0, "submitted");
    assert_true(doc_uint(first, "revision", &revision) && revision == 1);
    assert_non_null(doc_map(first, "application"));

    /* Kept whole (here: the first revision), read as it is. */
    s_whole_id = id;
    s_whole_application = doc_map(first, "application");
    assert_int_equal(core_bench_start(t->bench, s_store_whole, NULL), 0);
    assert_int_equal(s_request(t, &reply, with, "staff"), 0);
    s_assert_same(doc_map(&reply, "application"), doc_map(first, "application"));
}

/*  The application of s_whole_id taken to an event the log does not have. */
static int s_refer_to_a_missing_event(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)ctx;
    return documents_put(txn, svc, s_whole_id, strlen(s_whole_id), 1000000);
}

/*  A document that names an event the log lacks is a broken store, said
 *  so (MDB_CORRUPTED, the turn rolled back), never answered as no
 *  application. */
static void test_a_document_without_its_event_is_corrupt(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1];
    s_id_of(&reply, id, NULL);
    s_whole_id = id;
    assert_int_equal(core_bench_start(t->bench, s_refer_to_a_missing_event, NULL), 0);
    const char *with = s_text(t, "{\"v\":1,\"type\":\"status\",\"id\":\"%s\",\"with_application\":true}", id);
    core_bench_peer(t->bench, "staff", "Anne");
    assert_int_equal(core_bench_request(t->bench, intake_handle, t->ctx, t->now + 60, "%s", with), MDB_CORRUPTED);
}

static void test_an_appeal_is_in_review_once_its_round_opens(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64], fields[256];
    s_id_of(&reply, id, token);
    const char *appeal = s_text(t, "{\"v\":1,\"type\":\"appeal\",\"id\":\"%s\",\"motivation\":\"Trois références.\","
                                   "\"key\":\"appeal-1\"}", id);
    core_bench_assert_refused(t->bench, s_request(t, &reply, appeal, "staff"), PROTO_E_CONFLICT, "id", "state");
    s_validated(t, id, 1, "review");
    s_queued(t, id, 1, 1, "review");
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":1,\"kind\":\"review\",\"decision\":\"reject\","
                                    "\"motivations\":[\"Aucune référence.\"],\"at\":1767225700", id);
    s_review_event(t, "decided", fields);
    reply = s_status(t, id, token);
    s_assert_str(&reply, "state", "rejected");
    const char *blank = s_text(t, "{\"v\":1,\"type\":\"appeal\",\"id\":\"%s\",\"motivation\":\"  \"}", id);
    core_bench_assert_refused(t->bench, s_request(t, &reply, blank, "staff"), PROTO_E_INVALID, "motivation", "required");
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_request(t, &reply, appeal, "staff"), 0);
    s_assert_str(&reply, "type", "ack");
    s_assert_str(&reply, "state", "rejected");              /* recorded; the round is not open yet */
    assert_int_equal(core_bench_head(t->bench), head + 1);                  /* "appealed" */
    assert_int_equal(s_request(t, &reply, appeal, "staff"), 0);   /* the same key: the same answer */
    s_assert_str(&reply, "state", "rejected");
    assert_int_equal(core_bench_head(t->bench), head + 1);
    s_queued(t, id, 1, 2, "appeal");
    msgpack_object status = s_status(t, id, token);
    s_assert_str(&status, "state", "in_review");
    s_assert_str(doc_map(&status, "appeal"), "motivation", "Trois références.");
    const char *second = s_text(t, "{\"v\":1,\"type\":\"appeal\",\"id\":\"%s\",\"motivation\":\"Encore.\"}", id);
    core_bench_assert_refused(t->bench, s_request(t, &reply, second, "staff"), PROTO_E_CONFLICT, "id", "appeal_used");
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
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    s_validated(t, id, 1, "review");
    s_queued(t, id, 1, 1, "review");
    s_queued(t, id, 1, 1, "review");   /* again: nothing more recorded */
    const char *msg = s_text(t, "{\"v\":1,\"type\":\"history\",\"id\":\"%s\",\"token\":\"%s\"}", id, token);
    assert_int_equal(s_request(t, &reply, msg, NULL), 0);
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

/*  A report in its compact form (what validation sends): kept as it came,
 *  given whole by status, each criterion with its reason (the frequent
 *  ones by number), and the history's why names the failing criteria. */
static void test_a_compact_report_is_given_whole(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    t->now += 60;
    assert_int_equal(core_bench_apply(t->bench, intake_apply_validation, t->ctx, "validated", t->now,
                                      "{\"seq\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":1,"
                                      "\"verdict\":\"incomplete\",\"report\":[1,\"2018.1\",\"incomplete\",false,"
                                      "[[\"ESS-ID\",1,true,\"organisation.siret\",\"SIRET invalide.\"],"
                                      "[\"LOY-TAX\",0,false,\"\",0],[\"ESS-FORM\",1,false,\"\",\"Forme ?\"]]]}",
                                      id),
                     0);
    msgpack_object status = s_status(t, id, token);
    s_assert_str(&status, "state", "incomplete");
    const msgpack_object *report = doc_map(&status, "report");
    assert_non_null(report);
    s_assert_str(report, "verdict", "incomplete");
    const msgpack_object *criteria = doc_array(report, "criteria");
    assert_int_equal(doc_len(criteria), 3);
    s_assert_str(doc_at(criteria, 0), "outcome", "fail");
    s_assert_str(doc_at(criteria, 0), "field", "organisation.siret");
    assert_true(doc_bool(doc_at(criteria, 0), "blocking", false));
    s_assert_str(doc_at(criteria, 1), "reason", "Engagement pris.");
    s_assert_str(doc_at(criteria, 1), "outcome", "pass");

    const char *msg = s_text(t, "{\"v\":1,\"type\":\"history\",\"id\":\"%s\",\"token\":\"%s\"}", id, token);
    assert_int_equal(s_request(t, &reply, msg, NULL), 0);
    msgpack_object record = s_record(t, doc_array(&reply, "records"), 1);
    s_assert_str(&record, "what", "validated");
    s_assert_str(&record, "why", "verdict incomplete; failing: ESS-ID, ESS-FORM");
}

/*  The record of s_whole_id with the last number of its trail cut: its
 *  history head still counts every record, its trail holds one fewer. */
static int s_cut_trail(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)ctx;
    MDB_dbi db = __wrap_service_db(svc, INTAKE_DB_APPLICATIONS);
    MDB_val key = {strlen(s_whole_id), (void *)s_whole_id}, value;
    int rc = mdb_get(txn, db, &key, &value);
    if (rc)
        return rc;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object record;
    assert_int_equal(msgpack_unpack(value.mv_data, value.mv_size, NULL, &zone, &record), MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *history = doc_map(&record, "history");
    const msgpack_object *trail = history ? doc_get(history, "trail") : NULL;
    const msgpack_object *head = history ? doc_get(history, "head") : NULL;
    uint64_t count = 0, from = 0;
    assert_non_null(trail);
    assert_non_null(head);
    assert_true(doc_uint(history, "count", &count) && doc_uint(history, "from", &from));
    assert_true(trail->type == MSGPACK_OBJECT_BIN && trail->via.bin.size == (count - from + 1) * 8);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    static const char *const skip[] = {"history", NULL};
    doc_pack_map_except(&pk, &record, skip, 1);
    proto_pack_str(&pk, "history");
    msgpack_pack_map(&pk, 4);
    proto_pack_kv_uint(&pk, "count", count);
    proto_pack_str(&pk, "head");
    msgpack_pack_object(&pk, *head);
    proto_pack_kv_uint(&pk, "from", from);
    proto_pack_str(&pk, "trail");
    msgpack_pack_bin_with_body(&pk, trail->via.bin.ptr, trail->via.bin.size - 8);
    rc = store_put(txn, db, s_whole_id, strlen(s_whole_id), out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    msgpack_zone_destroy(&zone);
    return rc;
}

/*  A record whose trail does not hold one number for each of its records
 *  is not read as a shorter history: the history reply says the record
 *  of its head is malformed and is not verified; a change to the
 *  application (here an event of validation) is refused as a broken
 *  store and changes nothing. */
static void test_a_trail_of_the_wrong_length_is_malformed(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    s_validated(t, id, 1, "review");
    s_whole_id = id;
    assert_int_equal(core_bench_start(t->bench, s_cut_trail, NULL), 0);
    const char *msg = s_text(t, "{\"v\":1,\"type\":\"history\",\"id\":\"%s\",\"token\":\"%s\"}", id, token);
    assert_int_equal(s_request(t, &reply, msg, NULL), 0);
    s_assert_str(&reply, "type", "history");
    assert_false(doc_bool(&reply, "verified", true));
    const msgpack_object *brk = doc_map(&reply, "break");
    assert_non_null(brk);
    s_assert_str(brk, "reason", "the application's record of its history head is malformed");
    uint64_t head = core_bench_head(t->bench);
    char fields[128];
    snprintf(fields, sizeof fields, "\"id\":\"%s\",\"revision\":1,\"round\":1,\"kind\":\"review\"", id);
    assert_int_equal(core_bench_apply(t->bench, intake_apply_review, t->ctx, "queued", t->now + 60,
                                      "{\"seq\":1,\"type\":\"queued\",%s}", fields),
                     MDB_CORRUPTED);
    assert_int_equal(core_bench_head(t->bench), head);
    msgpack_object status = s_status(t, id, token);
    s_assert_str(&status, "state", "received");
}

static void test_erase_is_for_staff_and_keeps_a_pseudonymised_record(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
    char id[PROTO_ID_MAX + 1], token[64];
    s_id_of(&reply, id, token);
    const char *erase = s_text(t, "{\"v\":1,\"type\":\"erase\",\"id\":\"%s\"}", id);
    core_bench_assert_refused(t->bench, s_request(t, &reply, erase, "member"), PROTO_E_FORBIDDEN, "type", "role");
    const char *unknown = s_text(t, "{\"v\":1,\"type\":\"erase\",\"id\":\"0000000000000000\"}");
    core_bench_assert_refused(t->bench, s_request(t, &reply, unknown, "staff"), PROTO_E_NOT_FOUND, "id", "exists");
    assert_int_equal(s_request(t, &reply, erase, "staff"), 0);
    s_assert_str(&reply, "type", "ack");
    s_assert_str(&reply, "state", "withdrawn");
    msgpack_object status = s_status(t, id, token);         /* the token still reads what became of it */
    s_assert_str(&status, "state", "withdrawn");
    s_assert_str(&status, "reason", "erased");
    assert_null(doc_get(&status, "name"));
    assert_null(doc_get(&status, "siret"));
    /* Again: the same answer, nothing more. */
    uint64_t head = core_bench_head(t->bench);
    assert_int_equal(s_request(t, &reply, erase, "staff"), 0);
    s_assert_str(&reply, "state", "withdrawn");
    assert_int_equal(core_bench_head(t->bench), head);
    /* The SIRET is free again. */
    assert_int_equal(s_submit(t, &reply, NULL, NULL), 0);
}

static void test_an_unsupported_type_is_refused(void **state)
{
    core_t *t = *state;
    msgpack_object reply;
    const char *ping = s_text(t, "{\"v\":1,\"type\":\"ping\"}");
    core_bench_assert_refused(t->bench, s_request(t, &reply, ping, NULL), PROTO_E_INVALID, "type", "unsupported");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submit_answers_a_receipt_and_appends_submitted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_resent_key_gets_the_same_receipt, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_key_is_bound_to_its_application, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_key_without_its_event_is_corrupt, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_of_submit_write_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reading_or_changing_needs_the_token_or_a_staff_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_status_refuses_a_wrong_token_as_an_unknown_id, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_in_review_only_once_review_has_the_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_amend_an_incomplete_application, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_application_is_kept_in_its_event, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_document_without_its_event_is_corrupt, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_appeal_is_in_review_once_its_round_opens, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_trail_of_the_wrong_length_is_malformed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_compact_report_is_given_whole, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_history_records_every_change_and_verifies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_erase_is_for_staff_and_keeps_a_pseudonymised_record, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_unsupported_type_is_refused, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
