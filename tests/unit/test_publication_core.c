/* Unit tests of publication's core on a temporary LMDB
 * (tests/unit/core_bench.h): review's events go through
 * publication_apply_review and the requests (directory, hello) through
 * publication_handle as the shell would give them; the tests read the
 * signed events of the publication stream, the directory's pages and the
 * refusals (code, field, rule; SERVICE_REFUSED returned). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core_bench.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/stream_sign.h"
#include "services/publication/publication.h"

#define S_AT 1764547200          /* 2025-12-01 00:00 UTC */
#define S_EXPIRES 1859241600     /* 2028-12-01 00:00 UTC */

static const char *const s_fixtures[] = {
    "applications/valid/scop-ancrage-conseil-nantes.json",                /* works in 44, 85, 49 */
    "applications/valid/association-trajectoires-solidaires-angers.json", /* 49, 53 */
    "applications/valid/fondation-horizons-ligeriens-le-mans.json",       /* 72, 53, 61 */
};
#define S_FIXTURES (sizeof s_fixtures / sizeof *s_fixtures)

typedef struct {
    core_bench_t *bench;
    void *publication;
    stream_sign_key_t key;
    char *applications[S_FIXTURES];
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *t = calloc(1, sizeof *t);
    assert_true(sodium_init() >= 0);
    crypto_sign_keypair(t->key.public_key, t->key.secret);
    t->bench = core_bench_new(publication_dbs);
    t->publication = publication_context_new(&t->key);
    for (size_t i = 0; i < S_FIXTURES; i++)
        t->applications[i] = core_bench_fixture(s_fixtures[i]);
    core_bench_peer(t->bench, NULL, NULL);   /* publication answers on its plain endpoint */
    *state = t;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *t = *state;
    publication_context_destroy(&t->publication);
    core_bench_destroy(&t->bench);
    for (size_t i = 0; i < S_FIXTURES; i++)
        free(t->applications[i]);
    free(t);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

#define S_ASK(t, ...) core_bench_request((t)->bench, publication_handle, (t)->publication, S_AT, __VA_ARGS__)

/*  review's `decided` for file `id` with the fixture `app` as its
 *  application. */
static void s_decided(fixture_t *t, const char *id, size_t app, const char *decision)
{
    int rc = core_bench_apply(t->bench, publication_apply_review, t->publication, "decided", S_AT,
                              "{\"id\":\"%s\",\"revision\":1,\"at\":%d,\"round\":1,\"decision\":\"%s\","
                              "\"motivations\":[],\"expires\":%d,\"application\":%s}",
                              id, S_AT, decision, S_EXPIRES, t->applications[app]);
    assert_int_equal(rc, 0);
}

static void s_withdrawn(fixture_t *t, const char *id, const char *kind)
{
    int rc = core_bench_apply(t->bench, publication_apply_review, t->publication, "withdrawn", S_AT + 60,
                              "{\"id\":\"%s\",\"at\":%d,\"reason\":\"Texte pour les personnes.\","
                              "\"kind\":\"%s\"}", id, S_AT + 60, kind);
    assert_int_equal(rc, 0);
}

static const msgpack_object *s_reply(fixture_t *t)
{
    return core_bench_reply(t->bench);
}

static size_t s_page(fixture_t *t)
{
    return doc_len(doc_array(s_reply(t), "entries"));
}

/*  The text as a JSON string's content: the directory's sort keys hold
 *  control bytes (the separator between name and id). */
static void s_json_escape(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    for (; *text && n + 7 < cap; text++) {
        unsigned char c = (unsigned char)*text;
        if (c < 0x20 || c == '"' || c == '\\')
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        else
            out[n++] = (char)c;
    }
    out[n] = '\0';
}

/*  The event's signature checks against the key, over its seq. */
static void s_assert_signed(fixture_t *t, const msgpack_object *event)
{
    const msgpack_object *body = doc_get(event, "signed"), *sig = doc_get(event, "sig");
    uint64_t seq = 0;
    assert_non_null(body);
    assert_non_null(sig);
    assert_true(doc_uint(event, "seq", &seq));
    assert_true(stream_sign_verify(t->key.public_key, seq, body->via.bin.ptr, body->via.bin.size,
                                   (const unsigned char *)sig->via.bin.ptr, sig->via.bin.size));
}

/* ------------------------------------------------------------------ tests */

static void test_an_approval_publishes_the_public_fields(void **state)
{
    fixture_t *t = *state;
    s_decided(t, "a1", 0, "approve");
    const msgpack_object *upsert = core_bench_event(t->bench, 0, "upsert");
    assert_non_null(upsert);
    s_assert_signed(t, upsert);
    uint64_t version = 0;
    assert_true(doc_uint(upsert, "version", &version));
    assert_int_equal(version, 1);
    const msgpack_object *entry = doc_map(upsert, "entry");
    assert_true(doc_str_eq(entry, "id", "a1"));
    assert_true(doc_str_eq(entry, "listed_until", "2028-12-01"));
    assert_true(doc_str_eq(doc_map(entry, "organisation"), "name", "Ancrage Conseil SCOP"));
    assert_null(doc_get(doc_map(entry, "organisation"), "private_contact"));   /* the privacy boundary */

    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"rid\":3}"), 0);
    assert_string_equal(core_bench_reply_type(t->bench), "directory");
    assert_int_equal(s_page(t), 1);
    assert_null(doc_get(s_reply(t), "next"));
    /* A rejection publishes nothing. */
    uint64_t head = core_bench_head(t->bench);
    s_decided(t, "a2", 1, "reject");
    assert_int_equal(core_bench_head(t->bench), head);
}

static void test_directory_pages_and_filters(void **state)
{
    fixture_t *t = *state;
    for (size_t i = 0; i < S_FIXTURES; i++) {
        char id[8];
        snprintf(id, sizeof id, "a%zu", i + 1);
        s_decided(t, id, i, "approve");
    }
    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"limit\":2}"), 0);
    assert_int_equal(s_page(t), 2);
    const msgpack_object *entries = doc_array(s_reply(t), "entries");
    /* In name order. */
    assert_true(doc_str_eq(doc_map(doc_at(entries, 0), "organisation"), "name", "Ancrage Conseil SCOP"));
    assert_true(doc_str_eq(doc_map(doc_at(entries, 1), "organisation"), "name", "Fondation Horizons Ligériens"));
    char next[512], escaped[3072];
    assert_true(doc_strcpy(s_reply(t), "next", next, sizeof next) > 0);
    s_json_escape(next, escaped, sizeof escaped);
    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"limit\":2,\"after\":\"%s\"}", escaped), 0);
    assert_int_equal(s_page(t), 1);
    assert_true(doc_str_eq(doc_map(doc_at(doc_array(s_reply(t), "entries"), 0), "organisation"), "name",
                           "Trajectoires Solidaires"));
    assert_null(doc_get(s_reply(t), "next"));

    /* Where they work (offer.departments), not where they are. */
    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"department\":\"49\"}"), 0);
    assert_int_equal(s_page(t), 2);
    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"department\":\"72\"}"), 0);
    assert_int_equal(s_page(t), 1);
    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"legal_form\":\"scop\"}"), 0);
    assert_int_equal(s_page(t), 1);
    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"department\":\"75\"}"), 0);
    assert_int_equal(s_page(t), 0);
}

static void test_refusals(void **state)
{
    fixture_t *t = *state;
    int rc = S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"theme\":\"astrology\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "theme", "enum");
    rc = S_ASK(t, "{\"v\":1,\"type\":\"directory\",\"format\":\"carrier-pigeon\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "format", "enum");
    rc = S_ASK(t, "{\"v\":1,\"type\":\"tick\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "type", "unsupported");
}

static void test_hello_names_the_key(void **state)
{
    fixture_t *t = *state;
    s_decided(t, "a1", 0, "approve");
    assert_int_equal(S_ASK(t, "{\"v\":1,\"type\":\"hello\"}"), 0);
    char hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(t->key.public_key, hex);
    assert_true(doc_str_eq(s_reply(t), "service", "publication"));
    assert_true(doc_str_eq(s_reply(t), "key", hex));
    assert_true(doc_str_eq(s_reply(t), "algorithm", "ed25519"));
    uint64_t head = 0;
    assert_true(doc_uint(s_reply(t), "head", &head));
    assert_int_equal(head, core_bench_head(t->bench));
}

static void test_suspension_and_reinstatement(void **state)
{
    fixture_t *t = *state;
    s_decided(t, "a1", 0, "approve");
    uint64_t head = core_bench_head(t->bench);
    s_withdrawn(t, "a1", "suspended");
    const msgpack_object *withdraw = core_bench_event(t->bench, head, "withdraw");
    assert_non_null(withdraw);
    assert_true(doc_str_eq(withdraw, "reason", "suspended"));
    s_assert_signed(t, withdraw);
    S_ASK(t, "{\"v\":1,\"type\":\"directory\"}");
    assert_int_equal(s_page(t), 0);
    /* The same withdrawal again says nothing new. */
    head = core_bench_head(t->bench);
    s_withdrawn(t, "a1", "suspended");
    assert_int_equal(core_bench_head(t->bench), head);
    /* Reinstated: back, with a higher version. */
    s_decided(t, "a1", 0, "reinstate");
    const msgpack_object *upsert = core_bench_event(t->bench, head, "upsert");
    uint64_t version = 0;
    assert_true(doc_uint(upsert, "version", &version));
    assert_int_equal(version, 2);
    S_ASK(t, "{\"v\":1,\"type\":\"directory\"}");
    assert_int_equal(s_page(t), 1);
    /* A withdrawal of a file never listed says nothing. */
    head = core_bench_head(t->bench);
    s_withdrawn(t, "a9", "withdrawn");
    assert_int_equal(core_bench_head(t->bench), head);
}

static void test_erasure_redacts_and_never_lists_again(void **state)
{
    fixture_t *t = *state;
    s_decided(t, "a1", 0, "approve");
    s_decided(t, "a2", 1, "approve");
    uint64_t head = core_bench_head(t->bench);
    s_withdrawn(t, "a1", "erased");
    const msgpack_object *events = core_bench_events(t->bench, 0);
    size_t redacted = 0;
    for (size_t i = 0; i < doc_len(events); i++) {
        const msgpack_object *event = doc_at(events, i);
        if (!doc_str_eq(event, "id", "a1"))
            continue;
        assert_null(doc_get(event, "entry"));
        if (doc_str_eq(event, "type", "redacted")) {
            s_assert_signed(t, event);
            redacted++;
        }
    }
    assert_int_equal(redacted, 1);
    const msgpack_object *withdraw = core_bench_event(t->bench, head, "withdraw");
    assert_true(doc_str_eq(withdraw, "reason", "erased"));
    S_ASK(t, "{\"v\":1,\"type\":\"directory\"}");
    assert_int_equal(s_page(t), 1);
    head = core_bench_head(t->bench);
    s_decided(t, "a1", 0, "approve");
    assert_int_equal(core_bench_head(t->bench), head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_approval_publishes_the_public_fields, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_directory_pages_and_filters, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hello_names_the_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_suspension_and_reinstatement, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_erasure_redacts_and_never_lists_again, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
