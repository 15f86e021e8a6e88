/* Unit tests of proto/messages.c, message type by message type: for every
 * request and every stream event of the catalogue, a valid example is
 * accepted; each of its fields, taken away, is refused as "required" when
 * the catalogue requires it and accepted when not; each field given a
 * value of another type is refused as "type"; and the limits (lengths,
 * ranges, enums, item counts) hold on both sides of the edge.  Then the
 * packing helpers, whose output must be what the wire accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/wire.h"

typedef struct {
    const char *json;       /* a valid example, without v (added) */
    const char *required;   /* its required fields, space-separated, each one surrounded by spaces */
} example_t;

#define ID "\"A7K2M9P4Q8R3\""
#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define APP "{\"organisation\": {\"name\": \"Coop\"}}"

static const example_t s_requests[] = {
    { "{\"type\": \"ping\"}", " " },
    { "{\"type\": \"health\"}", " " },
    { "{\"type\": \"hello\"}", " " },
    { "{\"type\": \"member_list\"}", " " },
    { "{\"type\": \"account_list\"}", " " },
    { "{\"type\": \"account_remove\", \"email\": \"claire@example.org\"}", " email " },
    { "{\"type\": \"pull\", \"after\": 0, \"max\": 10, \"wait\": 100}", " after " },
    { "{\"type\": \"submit\", \"application\": " APP ", \"key\": \"k\", \"renews\": " ID "}", " application " },
    { "{\"type\": \"amend\", \"id\": " ID ", \"application\": " APP ", \"key\": \"k\", \"token\": \"t\"}",
      " id application " },
    { "{\"type\": \"status\", \"id\": " ID ", \"token\": \"t\", \"with_application\": true}", " id " },
    { "{\"type\": \"history\", \"id\": " ID ", \"token\": \"t\"}", " id " },
    { "{\"type\": \"appeal\", \"id\": " ID ", \"motivation\": \"m\", \"token\": \"t\", \"key\": \"k\"}",
      " id motivation " },
    { "{\"type\": \"erase\", \"id\": " ID "}", " id " },
    { "{\"type\": \"import\", \"rows\": [{\"line\": 2, \"application\": " APP ", \"approved_at\": 0}],"
      " \"dry_run\": true}", " rows " },
    { "{\"type\": \"member_add\", \"name\": \"Alice\", \"college\": \"researchers\", \"ties\": [\"Coop\"],"
      " \"networks\": [\"R\"], \"email\": \"alice@exemple.fr\", \"digest\": false}", " name college " },
    { "{\"type\": \"member_update\", \"name\": \"Alice\", \"college\": \"researchers\", \"ties\": [\"Coop\"],"
      " \"networks\": [\"R\"], \"email\": \"alice@exemple.fr\", \"digest\": true}", " name " },
    { "{\"type\": \"pending\", \"since\": 1760000000, \"older_than\": 259200}", " " },
    { "{\"type\": \"token_reissue\", \"contact\": \"contact@coop.fr\"}", " contact " },
    { "{\"type\": \"member_remove\", \"name\": \"Alice\"}", " name " },
    { "{\"type\": \"queue\", \"member\": \"Alice\", \"after\": \"\", \"limit\": 5, \"college\": \"ess_networks\","
      " \"department\": \"2A\", \"theme\": \"emploi\"}", " " },
    { "{\"type\": \"recuse\", \"id\": " ID ", \"member\": \"Alice\", \"reason\": \"r\"}", " id reason " },
    { "{\"type\": \"complaint\", \"id\": " ID ", \"reason\": \"r\"}", " id reason " },
    { "{\"type\": \"tick\", \"now\": 1760000000}", " " },
    { "{\"type\": \"vote\", \"id\": " ID ", \"member\": \"Alice\", \"decision\": \"approve\", \"motivation\": \"\"}",
      " id decision " },
    { "{\"type\": \"withdraw\", \"id\": " ID ", \"reason\": \"r\"}", " id reason " },
    { "{\"type\": \"directory\", \"after\": \"\", \"limit\": 50, \"department\": \"75\", \"theme\": \"t\","
      " \"format\": \"csv\", \"scope\": \"all\", \"legal_form\": \"scop\", \"q\": \"caf\\u00e9\"}", " " },
    { "{\"type\": \"outbox_due\", \"secret\": \"" SECRET "\", \"at\": 5, \"limit\": 10}", " secret at " },
    { "{\"type\": \"outbox_mark\", \"secret\": \"" SECRET "\", \"message_id\": \"intake.1.a@b\", \"at\": 5,"
      " \"outcome\": \"sent\", \"error\": \"\"}", " secret message_id at outcome " },
    { "{\"type\": \"mail_tick\", \"secret\": \"" SECRET "\", \"at\": 5}", " secret at " },
    { "{\"type\": \"mail_digest\", \"secret\": \"" SECRET "\", \"at\": 5, \"pending\": {}}",
      " secret at pending " },
    { "{\"type\": \"mail_failed\", \"after\": \"\", \"limit\": 10}", " " },
    { "{\"type\": \"backup_hold\", \"ms\": 30000}", " ms " },
};

static const example_t s_events[] = {
    { "{\"type\": \"submitted\", \"seq\": 1, \"id\": " ID ", \"revision\": 1, \"at\": 5, \"application\": " APP ","
      " \"renews\": " ID "}", " id revision at application " },
    { "{\"type\": \"validated\", \"seq\": 2, \"id\": " ID ", \"revision\": 1, \"at\": 5, \"verdict\": \"pass\","
      " \"report\": [1, \"2018.1\", \"review\", false, []], \"application\": " APP ", \"renews\": " ID "}",
      " id revision at verdict report " },
    { "{\"type\": \"validated\", \"seq\": 2, \"id\": " ID ", \"revision\": 1, \"at\": 5, \"verdict\": \"pass\","
      " \"report\": {}}", " id revision at verdict report " },
    { "{\"type\": \"appealed\", \"seq\": 3, \"id\": " ID ", \"revision\": 2, \"at\": 5, \"motivation\": \"m\"}",
      " id revision at motivation " },
    { "{\"type\": \"token_reissued\", \"seq\": 4, \"id\": " ID ", \"at\": 5}", " id at " },
    { "{\"type\": \"erased\", \"seq\": 4, \"id\": " ID ", \"at\": 5}", " id at " },
    { "{\"type\": \"redacted\", \"seq\": 5, \"id\": " ID ", \"at\": 5}", " id at " },
    { "{\"type\": \"queued\", \"seq\": 6, \"id\": " ID ", \"revision\": 1, \"at\": 5, \"round\": 1,"
      " \"kind\": \"appeal\"}", " id revision at round kind " },
    { "{\"type\": \"decided\", \"seq\": 7, \"id\": " ID ", \"revision\": 1, \"at\": 5, \"round\": 2,"
      " \"decision\": \"reinstate\", \"motivations\": [\"a\", \"b\"], \"application\": " APP ","
      " \"voters\": [\"x\"], \"kind\": \"complaint\", \"renews\": " ID ", \"expires\": 9}",
      " id revision at round decision motivations " },
    { "{\"type\": \"withdrawn\", \"seq\": 8, \"id\": " ID ", \"at\": 5, \"reason\": \"r\", \"kind\": \"expired\"}",
      " id at reason " },
    { "{\"type\": \"upsert\", \"seq\": 9, \"id\": " ID ", \"version\": 3, \"at\": 5, \"entry\": {}}",
      " id version at entry " },
    { "{\"type\": \"withdraw\", \"seq\": 10, \"id\": " ID ", \"at\": 5, \"reason\": \"suspended\"}",
      " id at reason " },
    { "{\"type\": \"key\", \"seq\": 11, \"key\": \"07434b4355910ce62fc70f3a2bbcebb40fdc2241616f7ff50a936491f11866e7\","
      " \"since\": 12, \"at\": 5}", " key since at " },
};

/* A decoded message and the memory behind it. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_zone zone;
    msgpack_object obj;
} message_t;

static void s_decode(message_t *self, const char *json)
{
    msgpack_sbuffer_init(&self->buf);
    msgpack_zone_init(&self->zone, 2048);
    proto_error_t err;
    if (json_codec_to_msgpack(json, strlen(json), &self->buf, &err))
        fail_msg("test JSON refused: %s (%s)", err.message, json);
    assert_int_equal(wire_decode(self->buf.data, self->buf.size, &self->zone, &self->obj, &err), 0);
}

static void s_free(message_t *self)
{
    msgpack_zone_destroy(&self->zone);
    msgpack_sbuffer_destroy(&self->buf);
}

/* Checks json (a jansson value, taken) as a request or an event; returns
 * the check's result, with err filled. */
static int s_check_json(json_t *json, bool event, const char **type, proto_error_t *err)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(json);
    assert_non_null(text);
    message_t msg;
    s_decode(&msg, text);
    free(text);
    proto_error_clear(err);
    int rc;
    if (event) {
        uint64_t seq = 0;
        rc = proto_event_check(&msg.obj, type, &seq, err);
    } else {
        uint64_t rid = 0;
        bool has_rid = false;
        rc = proto_request_check(&msg.obj, type, &rid, &has_rid, err);
    }
    s_free(&msg);
    return rc;
}

static json_t *s_example(const example_t *example)
{
    json_error_t jerr;
    json_t *json = json_loads(example->json, JSON_PRESERVE_ORDER, &jerr);
    if (!json)
        fail_msg("bad example %s: %s", example->json, jerr.text);
    json_object_set_new(json, "v", json_integer(1));
    return json;
}

/* A value of another type than value's; a report is a map or its compact
 * form (an array): a string is neither. */
static json_t *s_other_type(const char *key, const json_t *value)
{
    if (json_is_string(value))
        return json_integer(7);
    if (strcmp(key, "report") == 0)
        return json_string("x");
    if (json_is_object(value))
        return json_array();
    if (json_is_array(value))
        return json_object();
    return json_string("x");            /* integers and booleans */
}

static void s_sweep(const example_t *examples, size_t count, bool event)
{
    for (size_t e = 0; e < count; e++) {
        json_t *json = s_example(&examples[e]);
        const char *name = json_string_value(json_object_get(json, "type"));
        const char *type = NULL;
        proto_error_t err;
        if (s_check_json(json_deep_copy(json), event, &type, &err))
            fail_msg("%s refused: %s [%s] at '%s'", examples[e].json, err.message, err.rule, err.field);
        assert_string_equal(type, name);

        const char *key;
        json_t *value;
        json_object_foreach(json, key, value) {
            if (!strcmp(key, "v") || !strcmp(key, "type") || !strcmp(key, "seq"))
                continue;
            char spaced[64];
            snprintf(spaced, sizeof spaced, " %s ", key);
            bool required = strstr(examples[e].required, spaced) != NULL;

            json_t *without = json_deep_copy(json);
            json_object_del(without, key);
            int rc = s_check_json(without, event, &type, &err);
            if (required && (rc != -1 || strcmp(err.rule, "required") || strcmp(err.field, key)))
                fail_msg("%s without %s: expected required, got %d %s at '%s'", name, key, rc, err.rule, err.field);
            if (!required && rc != 0)
                fail_msg("%s without %s (optional): refused %s at '%s'", name, key, err.rule, err.field);

            json_t *mistyped = json_deep_copy(json);
            json_object_set_new(mistyped, key, s_other_type(key, value));
            rc = s_check_json(mistyped, event, &type, &err);
            if (rc != -1 || strcmp(err.rule, "type") || strcmp(err.field, key))
                fail_msg("%s with %s mistyped: expected type, got %d %s at '%s'", name, key, rc, err.rule, err.field);
            assert_non_null(strstr(err.message, key));
        }
        json_decref(json);
    }
}

static void test_every_request_type(void **state)
{
    (void) state;
    s_sweep(s_requests, sizeof s_requests / sizeof *s_requests, false);
}

static void test_every_event_type(void **state)
{
    (void) state;
    s_sweep(s_events, sizeof s_events / sizeof *s_events, true);
}

/* Every request and event type of the catalogue has its example above. */
typedef struct {
    int missing;
} census_t;

static bool s_has_example(const example_t *examples, size_t count, const char *type)
{
    char needle[80];
    snprintf(needle, sizeof needle, "{\"type\": \"%s\"", type);
    for (size_t i = 0; i < count; i++)
        if (strncmp(examples[i].json, needle, strlen(needle)) == 0)
            return true;
    return false;
}

/* The requests whose required fields are binary (keys, hashes): JSON
 * cannot write them, test_desk_binary_requests packs them. */
static bool s_binary_request(const char *type)
{
    return !strcmp(type, "account_invite") || !strcmp(type, "desk_get") || !strcmp(type, "desk_write");
}

static void s_census(const char *type, const char *kind, void *arg)
{
    census_t *census = arg;
    bool found = true;
    if (!strcmp(kind, "request") && s_binary_request(type))
        found = true;
    else if (!strcmp(kind, "request"))
        found = s_has_example(s_requests, sizeof s_requests / sizeof *s_requests, type);
    else if (!strcmp(kind, "event"))
        found = s_has_example(s_events, sizeof s_events / sizeof *s_events, type);
    if (!found) {
        print_message("no example for %s %s\n", kind, type);
        census->missing++;
    }
}

static void test_examples_cover_the_catalogue(void **state)
{
    (void) state;
    census_t census = { 0 };
    proto_foreach_message(s_census, &census);
    assert_int_equal(census.missing, 0);
}

/* One case: a request (JSON, v added) and the refusal expected, or NULL. */
typedef struct {
    const char *json;
    const char *field;
    const char *rule;
} limit_t;

static char *s_repeat(const char *prefix, char c, size_t n, const char *suffix)
{
    size_t plen = strlen(prefix), slen = strlen(suffix);
    char *text = malloc(plen + n + slen + 1);
    assert_non_null(text);
    memcpy(text, prefix, plen);
    memset(text + plen, c, n);
    memcpy(text + plen + n, suffix, slen + 1);
    return text;
}

static void s_expect_request(const char *json_text, const char *field, const char *rule)
{
    json_error_t jerr;
    json_t *json = json_loads(json_text, JSON_PRESERVE_ORDER, &jerr);
    if (!json)
        fail_msg("bad test JSON: %s", jerr.text);
    json_object_set_new(json, "v", json_integer(1));
    const char *type = NULL;
    proto_error_t err;
    int rc = s_check_json(json, false, &type, &err);
    if (!field) {
        if (rc)
            fail_msg("refused: %s [%s] at '%s'", err.message, err.rule, err.field);
        return;
    }
    if (rc != -1 || strcmp(err.field, field) || strcmp(err.rule, rule))
        fail_msg("%.120s: expected %s at '%s', got %d %s at '%s' (%s)", json_text, rule, field, rc, err.rule,
                 err.field, err.message);
}

/* A string field at its limit passes, one byte more is refused as max. */
static void s_expect_string_limit(const char *type, const char *extra, const char *field, size_t max)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "{\"type\": \"%s\"%s, \"%s\": \"", type, extra, field);
    char *at = s_repeat(prefix, 'a', max, "\"}");
    s_expect_request(at, NULL, NULL);
    char *over = s_repeat(prefix, 'a', max + 1, "\"}");
    s_expect_request(over, field, "max");
    free(at);
    free(over);
}

static void test_string_limits(void **state)
{
    (void) state;
    s_expect_string_limit("status", "", "id", PROTO_ID_MAX);
    s_expect_string_limit("status", ", \"id\": " ID, "token", 64);
    s_expect_string_limit("submit", ", \"application\": {}", "key", 64);
    s_expect_string_limit("submit", ", \"application\": {}", "renews", PROTO_ID_MAX);
    s_expect_string_limit("appeal", ", \"id\": " ID, "motivation", PROTO_TEXT_MAX);
    s_expect_string_limit("member_add", ", \"college\": \"researchers\"", "name", PROTO_NAME_MAX);
    s_expect_string_limit("member_remove", "", "name", PROTO_NAME_MAX);
    s_expect_string_limit("queue", "", "member", PROTO_NAME_MAX);
    s_expect_string_limit("queue", "", "after", PROTO_ID_MAX);
    s_expect_string_limit("queue", "", "department", 3);
    s_expect_string_limit("queue", "", "theme", 64);
    s_expect_string_limit("recuse", ", \"id\": " ID, "reason", PROTO_TEXT_MAX);
    s_expect_string_limit("complaint", ", \"id\": " ID, "reason", PROTO_TEXT_MAX);
    s_expect_string_limit("vote", ", \"id\": " ID ", \"decision\": \"reject\"", "motivation", PROTO_TEXT_MAX);
    s_expect_string_limit("withdraw", ", \"id\": " ID, "reason", PROTO_TEXT_MAX);
    s_expect_string_limit("directory", "", "after", 512);
    s_expect_string_limit("directory", "", "department", 3);
    s_expect_string_limit("directory", "", "legal_form", 32);
    s_expect_string_limit("directory", "", "format", 16);
    s_expect_string_limit("directory", "", "scope", 16);
    s_expect_string_limit("directory", "", "q", 200);
}

static void test_minimums_ranges_and_enums(void **state)
{
    (void) state;
    static const limit_t cases[] = {
        /* strings below their minimum */
        { "{\"type\": \"erase\", \"id\": \"\"}", "id", "min" },
        { "{\"type\": \"queue\", \"department\": \"7\"}", "department", "min" },
        { "{\"type\": \"appeal\", \"id\": " ID ", \"motivation\": \"\"}", "motivation", "min" },
        { "{\"type\": \"status\", \"id\": " ID ", \"token\": \"\"}", "token", "min" },
        { "{\"type\": \"vote\", \"id\": " ID ", \"decision\": \"\"}", "decision", "min" },
        { "{\"type\": \"directory\", \"q\": \"\", \"after\": \"\", \"theme\": \"\"}", NULL, NULL },
        /* unsigned ranges */
        { "{\"type\": \"pull\", \"after\": 0, \"max\": 0}", "max", "range" },
        { "{\"type\": \"pull\", \"after\": 0, \"max\": 1000, \"wait\": 30000}", NULL, NULL },
        { "{\"type\": \"queue\", \"limit\": 1001}", "limit", "range" },
        { "{\"type\": \"queue\", \"limit\": 1000}", NULL, NULL },
        { "{\"type\": \"directory\", \"limit\": 1001}", "limit", "range" },
        { "{\"type\": \"tick\", \"now\": 9223372036854775807}", NULL, NULL },
        { "{\"type\": \"tick\", \"now\": -1}", "now", "type" },
        { "{\"type\": \"pull\", \"after\": -5}", "after", "type" },
        /* enums */
        { "{\"type\": \"queue\", \"college\": \"kings\"}", "college", "enum" },
        { "{\"type\": \"queue\", \"college\": \"local_authorities\"}", NULL, NULL },
        { "{\"type\": \"vote\", \"id\": " ID ", \"decision\": \"withdraw\"}", NULL, NULL },
        { "{\"type\": \"vote\", \"id\": " ID ", \"decision\": \"Approve\"}", "decision", "enum" },
        /* arrays of strings */
        { "{\"type\": \"member_add\", \"name\": \"A\", \"college\": \"researchers\", \"ties\": [\"a\", 1]}",
          "ties[1]", "type" },
        { "{\"type\": \"member_add\", \"name\": \"A\", \"college\": \"researchers\", \"networks\": [[]]}",
          "networks[0]", "type" },
        { "{\"type\": \"member_add\", \"name\": \"A\", \"college\": \"researchers\", \"ties\": []}", NULL, NULL },
        /* the envelope */
        { "{\"type\": \"ping\", \"rid\": \"7\"}", "rid", "type" },
        { "{\"type\": \"ping\", \"rid\": -7}", "rid", "type" },
        /* seq is ignored on a request (proto/README.md 4.1) */
        { "{\"type\": \"ping\", \"seq\": 3}", NULL, NULL },
        { "{\"type\": 4}", "type", "required" },
        { "{\"type\": \"upsert\"}", "type", "unknown_type" },
        { "{\"type\": \"\"}", "type", "unknown_type" },
        { "{\"type\": \"receipt\"}", "type", "unknown_type" },
        { "{\"type\": \"ping\", \"caf\\u00e9\": 1}", "caf\xc3\xa9", "unknown_field" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        s_expect_request(cases[i].json, cases[i].field, cases[i].rule);
}

/* Array counts: 50 ties pass, 51 do not; an item longer than the text
 * limit is refused at its index. */
static void test_array_limits(void **state)
{
    (void) state;
    char json[4096];
    int used = snprintf(json, sizeof json,
                        "{\"type\": \"member_add\", \"name\": \"A\", \"college\": \"researchers\", \"ties\": [");
    for (int i = 0; i < 50; i++)
        used += snprintf(json + used, sizeof json - (size_t) used, "%s\"t%d\"", i ? ", " : "", i);
    snprintf(json + used, sizeof json - (size_t) used, "]}");
    s_expect_request(json, NULL, NULL);
    snprintf(json + used, sizeof json - (size_t) used, ", \"extra\"]}");
    s_expect_request(json, "ties", "max");

    char *item = s_repeat("{\"type\": \"member_add\", \"name\": \"A\", \"college\": \"researchers\","
                          " \"networks\": [\"ok\", \"", 'n', PROTO_TEXT_MAX + 1, "\"]}");
    s_expect_request(item, "networks[1]", "type");
    free(item);
}

/* A message that is not a map, or has no usable version. */
static void test_envelope(void **state)
{
    (void) state;
    message_t msg;
    const char *type = NULL;
    uint64_t rid = 99, seq = 99;
    bool has_rid = true;
    proto_error_t err;

    s_decode(&msg, "[1, 2]");
    assert_int_equal(proto_request_check(&msg.obj, &type, &rid, &has_rid, &err), -1);
    assert_string_equal(err.rule, "type");
    assert_false(has_rid);
    assert_int_equal(rid, 0);
    assert_int_equal(proto_event_check(&msg.obj, &type, &seq, &err), -1);
    assert_string_equal(err.rule, "type");
    s_free(&msg);

    s_decode(&msg, "{\"v\": 1, \"type\": \"ping\", \"rid\": 42}");
    assert_int_equal(proto_request_check(&msg.obj, &type, &rid, &has_rid, &err), 0);
    assert_string_equal(type, "ping");
    assert_true(has_rid);
    assert_int_equal(rid, 42);
    s_free(&msg);

    /* The version check comes before the type, for events too. */
    s_decode(&msg, "{\"v\": 0, \"type\": \"nonsense\", \"seq\": 1}");
    assert_int_equal(proto_event_check(&msg.obj, &type, &seq, &err), -1);
    assert_string_equal(err.rule, "version");
    s_free(&msg);

    /* Events carry a seq >= 1. */
    const char *no_seq[] = {
        "{\"v\": 1, \"type\": \"erased\", \"id\": \"a\", \"at\": 1}",
        "{\"v\": 1, \"type\": \"erased\", \"id\": \"a\", \"at\": 1, \"seq\": 0}",
        "{\"v\": 1, \"type\": \"erased\", \"id\": \"a\", \"at\": 1, \"seq\": \"1\"}",
    };
    for (size_t i = 0; i < 3; i++) {
        s_decode(&msg, no_seq[i]);
        assert_int_equal(proto_event_check(&msg.obj, &type, &seq, &err), -1);
        assert_string_equal(err.field, "seq");
        assert_string_equal(err.rule, "required");
        s_free(&msg);
    }
    /* Requests are not events and events not requests. */
    s_decode(&msg, "{\"v\": 1, \"type\": \"ping\", \"seq\": 1}");
    assert_int_equal(proto_event_check(&msg.obj, &type, &seq, &err), -1);
    assert_string_equal(err.rule, "unknown_type");
    assert_non_null(strstr(err.message, "event"));
    s_free(&msg);

    /* A long unknown type is quoted cut, on a character boundary. */
    char *long_type = s_repeat("{\"v\": 1, \"type\": \"", 'x', 300, "\\u00e9\"}");
    s_decode(&msg, long_type);
    assert_int_equal(proto_request_check(&msg.obj, &type, &rid, &has_rid, &err), -1);
    assert_string_equal(err.rule, "unknown_type");
    assert_true(strlen(err.message) < 120);
    s_free(&msg);
    free(long_type);
}

/* Packs {v, type, seq, id, at, reason, signed, sig} with bin values of the
 * given sizes: bin fields cannot be written in JSON. */
static int s_check_signed(const char *type, const char *reason, size_t signed_len, size_t sig_len,
                          proto_error_t *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    proto_pack_kv_uint(&pk, "v", 1);
    proto_pack_kv_str(&pk, "type", type);
    proto_pack_kv_uint(&pk, "seq", 12);
    proto_pack_kv_str(&pk, "id", "A7K2");
    proto_pack_kv_uint(&pk, "at", 100);
    proto_pack_kv_str(&pk, "reason", reason);
    static const unsigned char zeros[128];
    proto_pack_str(&pk, "signed");
    msgpack_pack_bin_with_body(&pk, zeros, signed_len);
    proto_pack_str(&pk, "sig");
    msgpack_pack_bin_with_body(&pk, zeros, sig_len);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj;
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &obj, err), 0);
    const char *name = NULL;
    uint64_t seq = 0;
    int rc = proto_event_check(&obj, &name, &seq, err);
    if (rc == 0) {
        assert_string_equal(name, type);
        assert_int_equal(seq, 12);
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static void test_signed_events(void **state)
{
    (void) state;
    proto_error_t err;
    assert_int_equal(s_check_signed("withdraw", "erased", 10, 64, &err), 0);
    assert_int_equal(s_check_signed("withdraw", "expired", 10, 63, &err), -1);
    assert_string_equal(err.field, "sig");
    assert_string_equal(err.rule, "min");
    assert_int_equal(s_check_signed("withdraw", "renewed", 10, 65, &err), -1);
    assert_string_equal(err.rule, "max");
    assert_int_equal(s_check_signed("withdraw", "signed", 10, 64, &err), -1);
    assert_string_equal(err.field, "reason");
    assert_string_equal(err.rule, "enum");
    assert_int_equal(s_check_signed("withdraw", "withdrawn", 0, 64, &err), -1);
    assert_string_equal(err.field, "signed");
    assert_string_equal(err.rule, "min");
    assert_int_equal(s_check_signed("redacted", "x", 1, 64, &err), -1);
    assert_string_equal(err.field, "reason");
    assert_string_equal(err.rule, "unknown_field");
}

/* Packs a desk request: type, its string fields (name, value pairs) and
 * its bin fields (name, size pairs), checked as a request. */
static int s_check_desk(const char *type, const char *const *strings, const char *const *bins,
                        const size_t *sizes, proto_error_t *err)
{
    size_t ns = 0, nb = 0;
    while (strings[2 * ns])
        ns++;
    while (bins[nb])
        nb++;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2 + ns + nb);
    proto_pack_kv_uint(&pk, "v", 1);
    proto_pack_kv_str(&pk, "type", type);
    for (size_t i = 0; i < ns; i++)
        proto_pack_kv_str(&pk, strings[2 * i], strings[2 * i + 1]);
    static const unsigned char zeros[128];
    for (size_t i = 0; i < nb; i++) {
        proto_pack_str(&pk, bins[i]);
        msgpack_pack_bin_with_body(&pk, zeros, sizes[i]);
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj;
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &obj, err), 0);
    const char *name = NULL;
    uint64_t rid = 0;
    bool has_rid = false;
    int rc = proto_request_check(&obj, &name, &rid, &has_rid, err);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static void test_desk_binary_requests(void **state)
{
    (void) state;
    proto_error_t err;
    const char *invite[] = {"email", "claire@example.org", "name", "Claire Moreau", "role", "member", NULL};
    const char *invite_bins[] = {"public_key", "sealed_secret", "token_hash", NULL};
    size_t sizes[] = {32, 72, 32};
    assert_int_equal(s_check_desk("account_invite", invite, invite_bins, sizes, &err), 0);
    sizes[1] = 71;
    assert_int_equal(s_check_desk("account_invite", invite, invite_bins, sizes, &err), -1);
    assert_string_equal(err.field, "sealed_secret");
    assert_string_equal(err.rule, "min");
    const char *bad_role[] = {"email", "a@b.c", "name", "N", "role", "service", NULL};
    sizes[1] = 72;
    assert_int_equal(s_check_desk("account_invite", bad_role, invite_bins, sizes, &err), -1);
    assert_string_equal(err.field, "role");
    assert_string_equal(err.rule, "enum");

    const char *get[] = {"email", "claire@example.org", NULL};
    const char *get_bins[] = {"inproc", NULL};
    size_t key[] = {32};
    assert_int_equal(s_check_desk("desk_get", get, get_bins, key, &err), 0);
    const char *none[] = {NULL};
    assert_int_equal(s_check_desk("desk_get", get, none, key, &err), -1);
    assert_string_equal(err.field, "inproc");
    assert_string_equal(err.rule, "required");
    const char *write[] = {"op", "session_close", NULL};
    const char *write_bins[] = {"inproc", "session", NULL};
    size_t write_sizes[] = {32, 32};
    assert_int_equal(s_check_desk("desk_write", write, write_bins, write_sizes, &err), 0);
    const char *bad_op[] = {"op", "drop_everything", NULL};
    assert_int_equal(s_check_desk("desk_write", bad_op, write_bins, write_sizes, &err), -1);
    assert_string_equal(err.field, "op");
    assert_string_equal(err.rule, "enum");
}

static void test_event_enums(void **state)
{
    (void) state;
    const char *cases[][3] = {
        { "{\"v\": 1, \"type\": \"queued\", \"seq\": 1, \"id\": \"a\", \"revision\": 1, \"at\": 1, \"round\": 1,"
          " \"kind\": \"retrial\"}", "kind", "enum" },
        { "{\"v\": 1, \"type\": \"queued\", \"seq\": 1, \"id\": \"a\", \"revision\": 0, \"at\": 1, \"round\": 1,"
          " \"kind\": \"review\"}", "revision", "range" },
        { "{\"v\": 1, \"type\": \"withdrawn\", \"seq\": 1, \"id\": \"a\", \"at\": 1, \"reason\": \"r\","
          " \"kind\": \"bored\"}", "kind", "enum" },
        { "{\"v\": 1, \"type\": \"decided\", \"seq\": 1, \"id\": \"a\", \"revision\": 1, \"at\": 1, \"round\": 1,"
          " \"decision\": \"approve\", \"motivations\": [1]}", "motivations[0]", "type" },
        { "{\"v\": 1, \"type\": \"upsert\", \"seq\": 1, \"id\": \"a\", \"version\": 4294967296, \"at\": 1,"
          " \"entry\": {}}", "version", "range" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        message_t msg;
        s_decode(&msg, cases[i][0]);
        const char *type = NULL;
        uint64_t seq = 0;
        proto_error_t err;
        assert_int_equal(proto_event_check(&msg.obj, &type, &seq, &err), -1);
        assert_string_equal(err.field, cases[i][1]);
        assert_string_equal(err.rule, cases[i][2]);
        s_free(&msg);
    }
}

/* The packers write what the wire accepts and the checks read back. */
static void test_packers(void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    bool flag = true;
    const char *absent = NULL;
    size_t extra = proto_entries(6, flag, absent != NULL, !flag);
    assert_int_equal(extra, 7);
    proto_pack_reply(&pk, "status", true, 77, extra);
    proto_pack_kv_str(&pk, "id", "A7K2");
    proto_pack_kv_strn(&pk, "state", "in_review_and_more", 9);
    proto_pack_kv_uint(&pk, "revision", 3);
    proto_pack_kv_int(&pk, "delta", -5);
    proto_pack_kv_bool(&pk, "with", false);
    proto_pack_kv_bool(&pk, "flag", true);
    static const unsigned char raw[] = { 0x92, 0x01, 0xa1, 'x' };      /* [1, "x"] */
    proto_pack_kv_raw(&pk, "raw", raw, sizeof raw);

    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object obj;
    proto_error_t err;
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &obj, &err), 0);
    assert_int_equal(obj.via.map.size, 10);
    uint64_t u = 0;
    int64_t i = 0;
    assert_true(doc_uint(&obj, "v", &u) && u == PROTO_VERSION);
    assert_true(doc_uint(&obj, "rid", &u) && u == 77);
    assert_true(doc_str_eq(&obj, "type", "status"));
    assert_true(doc_str_eq(&obj, "state", "in_review"));
    assert_true(doc_int(&obj, "delta", &i) && i == -5);
    assert_false(doc_bool(&obj, "with", true));
    assert_true(doc_bool(&obj, "flag", false));
    assert_int_equal(doc_len(doc_get(&obj, "raw")), 2);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);

    /* A request head, then an error reply without rid. */
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "erase", 5, 1);
    proto_pack_kv_str(&pk, "id", "A7K2");
    msgpack_zone_init(&zone, 1024);
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &obj, &err), 0);
    const char *type = NULL;
    uint64_t rid = 0;
    bool has_rid = false;
    assert_int_equal(proto_request_check(&obj, &type, &rid, &has_rid, &err), 0);
    assert_string_equal(type, "erase");
    assert_true(has_rid);
    assert_int_equal(rid, 5);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);

    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_error_set(&err, "organisation.name", "maxLength", "too long");
    proto_pack_error(&pk, false, 0, PROTO_E_INVALID, &err);
    msgpack_zone_init(&zone, 1024);
    assert_int_equal(wire_decode(buf.data, buf.size, &zone, &obj, &err), 0);
    assert_null(doc_get(&obj, "rid"));
    assert_true(doc_str_eq(&obj, "code", "invalid"));
    assert_true(doc_str_eq(&obj, "field", "organisation.name"));
    assert_true(doc_str_eq(&obj, "rule", "maxLength"));
    assert_true(doc_str_eq(&obj, "message", "too long"));
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static void test_enum_helpers(void **state)
{
    (void) state;
    assert_true(proto_is_round_kind("complaint", 9));
    assert_false(proto_is_round_kind("complain", 8));
    assert_false(proto_is_round_kind("", 0));
    assert_true(proto_is_withdraw_reason("renewed", 7));
    assert_false(proto_is_withdraw_reason("renew", 5));
    assert_true(proto_is_college("researchers", 11));
    assert_false(proto_is_college("researchers ", 12));
    assert_true(proto_is_decision("changes", 7));
    assert_int_equal(proto_count_present(NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_request_type),
        cmocka_unit_test(test_every_event_type),
        cmocka_unit_test(test_examples_cover_the_catalogue),
        cmocka_unit_test(test_string_limits),
        cmocka_unit_test(test_minimums_ranges_and_enums),
        cmocka_unit_test(test_array_limits),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_signed_events),
        cmocka_unit_test(test_desk_binary_requests),
        cmocka_unit_test(test_event_enums),
        cmocka_unit_test(test_packers),
        cmocka_unit_test(test_enum_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
