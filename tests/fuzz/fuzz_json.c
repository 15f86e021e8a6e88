/* Fuzz target: hostile JSON from the HTTP edge, through the JSON -> msgpack
 * direction of proto/json_codec.h.  Aborts when an invariant breaks:
 *   - whatever json_codec_to_msgpack accepts is one message wire_decode
 *     accepts, json_codec_dump renders, and that JSON converts to the very
 *     same bytes a second time;
 *   - a refusal names one of the documented rules, fits the error limits
 *     and leaves the output buffer as it was. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json_codec.h"
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

static int s_documented(const char *rule)
{
    static const char *const rules[] = { "json_syntax", "duplicate_key", "depth", "utf8", "range",
                                         "too_many_nodes", "nomem", NULL };
    for (const char *const *r = rules; *r; r++)
        if (strcmp(*r, rule) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    proto_error_t err;
    if (json_codec_to_msgpack((const char *) data, size, &buf, &err) == 0)
        s_check_accepted(&buf);
    else {
        s_require(s_documented(err.rule) && buf.size == 0, "a refusal names a documented rule and writes nothing");
        s_require(strlen(err.field) < PROTO_FIELD_MAX && strlen(err.message) < PROTO_MESSAGE_MAX,
                  "error texts fit their limits");
    }
    msgpack_sbuffer_destroy(&buf);
    return 0;
}
