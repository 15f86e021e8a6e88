/* Fuzz target: a hostile request off a socket, through the gate every
 * service puts in front of its handlers: the safe decoder, then the
 * message catalogue (proto_request_check), and the same bytes read as a
 * stream event (proto_event_check).  Aborts when an invariant breaks, so
 * the fuzzer reports it:
 *   - a refusal names its rule, and the error reply built from it is a
 *     message the wire accepts (field and message echo the input: they
 *     must stay valid UTF-8 and within their limits);
 *   - an accepted request has a catalogue type, a version 1, and a rid
 *     exactly when it carries one;
 *   - the application of an accepted submit or amend goes on as intake
 *     takes it: checked against the schema and, when valid, projected to
 *     a public entry the wire accepts;
 *   - an accepted directory request goes on as publication takes it: its
 *     filter is read (or refused with "enum" or "max"), each text of it
 *     NUL-terminated within its field, and matched against the request
 *     itself as a hostile entry. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/directory.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/schema.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_require(int condition, const char *what)
{
    if (!condition) {
        fprintf(stderr, "fuzz_request: invariant broken: %s\n", what);
        abort();
    }
}

/* The refusal travels back as an error reply: it must be one. */
static void s_check_refusal(const proto_error_t *err, bool has_rid, uint64_t rid)
{
    s_require(err->rule[0] != 0, "a refusal names its rule");
    s_require(strlen(err->field) < PROTO_FIELD_MAX && strlen(err->message) < PROTO_MESSAGE_MAX,
              "error texts fit their limits");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_error(&pk, has_rid, rid, PROTO_E_INVALID, err);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object reply;
    proto_error_t again;
    s_require(wire_decode(buf.data, buf.size, &zone, &reply, &again) == 0, "the error reply decodes");
    s_require(doc_is(doc_get(&reply, "type"), "error"), "the error reply says error");
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

static void s_check_request(const msgpack_object *msg)
{
    const char *type = NULL;
    uint64_t rid = 0;
    bool has_rid = true;
    proto_error_t err;
    if (proto_request_check(msg, &type, &rid, &has_rid, &err) != 0) {
        s_check_refusal(&err, has_rid, rid);
        return;
    }
    s_require(type != NULL && doc_is(doc_get(msg, "type"), type), "the type is the message's");
    uint64_t version = 0;
    s_require(doc_uint(msg, "v", &version) && version == PROTO_VERSION, "an accepted request has v 1");
    uint64_t stated = 0;
    s_require(has_rid == doc_uint(msg, "rid", &stated) && (!has_rid || stated == rid),
              "rid is the request's");
    if (strcmp(type, "directory") == 0) {
        directory_filter_t filter;
        if (directory_filter_from_request(msg, &filter, &err) != 0) {
            s_require(strcmp(err.rule, "enum") == 0 || strcmp(err.rule, "max") == 0,
                      "a directory filter is refused for a code or a length");
            s_check_refusal(&err, has_rid, rid);
        } else {
            s_require(memchr(filter.department, 0, sizeof filter.department) && memchr(filter.theme, 0, sizeof filter.theme)
                      && memchr(filter.format, 0, sizeof filter.format) && memchr(filter.scope, 0, sizeof filter.scope)
                      && memchr(filter.legal_form, 0, sizeof filter.legal_form) && memchr(filter.q, 0, sizeof filter.q),
                      "a filter's texts are NUL-terminated");
            directory_matches(&filter, msg);
        }
    }
    const msgpack_object *application = doc_map(msg, "application");
    if (!application)
        return;
    s_require(strcmp(type, "submit") == 0 || strcmp(type, "amend") == 0, "only submit and amend carry one");
    if (schema_validate(schema_application(), application, &err) != 0) {
        s_check_refusal(&err, has_rid, rid);
        return;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    s_require(schema_pack_public(schema_application(), application, &pk) == 0, "a valid application projects");
    s_require(wire_prescan(buf.data, buf.size, NULL) == 0, "the projection is a valid message");
    msgpack_sbuffer_destroy(&buf);
}

static void s_check_event(const msgpack_object *msg)
{
    const char *type = NULL;
    uint64_t seq = 0;
    proto_error_t err;
    if (proto_event_check(msg, &type, &seq, &err) != 0)
        s_check_refusal(&err, false, 0);
    else
        s_require(type != NULL && seq >= 1, "an accepted event has a type and a seq");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object msg;
    proto_error_t err;
    if (wire_decode(data, size, &zone, &msg, &err) == 0) {
        s_check_request(&msg);
        s_check_event(&msg);
    } else
        s_require(err.rule[0] != 0, "a decoding error names its rule");
    msgpack_zone_destroy(&zone);
    return 0;
}
