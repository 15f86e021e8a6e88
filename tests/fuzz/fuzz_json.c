/* Fuzz target: hostile JSON from the HTTP edge.  Whatever the codec
 * accepts must decode on the wire, dump back to JSON, and convert to the
 * very same bytes a second time. */
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
        fprintf(stderr, "fuzz_json: invariant broken: %s\n", what);
        abort();
    }
}

static void s_check_accepted(const msgpack_sbuffer *first)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    proto_error_t err;
    s_require(wire_decode(first->data, first->size, &zone, &obj, &err) == 0, "accepted JSON decodes");
    schema_validate(schema_application(), &obj, &err);
    char *text = json_codec_dump(&obj, false);
    s_require(text != NULL, "accepted JSON dumps back");
    msgpack_sbuffer second;
    msgpack_sbuffer_init(&second);
    s_require(json_codec_to_msgpack(text, strlen(text), &second, &err) == 0, "dumped JSON parses back");
    s_require(second.size == first->size && memcmp(second.data, first->data, first->size) == 0,
              "JSON -> msgpack -> JSON -> msgpack is stable");
    msgpack_sbuffer_destroy(&second);
    free(text);
    msgpack_zone_destroy(&zone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    if (json_codec_to_msgpack((const char *) data, size, &buf, &err) == 0)
        s_check_accepted(&buf);
    else
        s_require(err.rule[0] != 0 && buf.size == 0, "a refusal names its rule and writes nothing");
    msgpack_sbuffer_destroy(&buf);
    return 0;
}
