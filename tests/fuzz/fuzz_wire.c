/* Fuzz target: hostile bytes off a socket.  Runs the whole receiving path
 * (safe decode, schema check, public projection, JSON dump) and aborts when
 * an invariant between the codecs breaks, so the fuzzer reports it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_require(int condition, const char *what)
{
    if (!condition) {
        fprintf(stderr, "fuzz_wire: invariant broken: %s\n", what);
        abort();
    }
}

/* Every error travels to clients: its three texts must be valid UTF-8. */
static void s_check_error(const proto_error_t *err)
{
    s_require(err->rule[0] != 0, "an error names its rule");
    const char *texts[] = { err->field, err->rule, err->message };
    for (size_t i = 0; i < 3; i++) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        msgpack_pack_str_with_body(&pk, texts[i], strlen(texts[i]));
        s_require(wire_prescan(buf.data, buf.size, NULL) == 0, "error texts are valid UTF-8");
        msgpack_sbuffer_destroy(&buf);
    }
}

/* What validates projects to a message the wire accepts. */
static void s_check_projection(const msgpack_object *doc)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    s_require(schema_pack_public(schema_application(), doc, &pk) == 0, "a valid document projects");
    s_require(wire_prescan(buf.data, buf.size, NULL) == 0, "the projection is a valid message");
    msgpack_sbuffer_destroy(&buf);
}

/* JSON dumped from a message comes back to the same JSON. */
static void s_check_json(const char *text)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    s_require(json_codec_to_msgpack(text, strlen(text), &buf, &err) == 0, "dumped JSON parses back");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    s_require(wire_decode(buf.data, buf.size, &zone, &obj, &err) == 0, "parsed JSON decodes");
    char *again = json_codec_dump(&obj, false);
    s_require(again && strcmp(again, text) == 0, "JSON round trip is stable");
    free(again);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    proto_error_t err;
    if (wire_decode(data, size, &zone, &obj, &err) != 0)
        s_check_error(&err);
    else {
        if (schema_validate(schema_application(), &obj, &err) == 0)
            s_check_projection(&obj);
        else
            s_check_error(&err);
        char *text = json_codec_dump(&obj, false);
        if (text)
            s_check_json(text);
        free(text);
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
