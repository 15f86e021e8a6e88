/*  tests/unit/json_doc.c - schemas and documents of the proto tests,
 *  written as JSON text: see json_doc.h. */
#include "json_doc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/json_codec.h"
#include "proto/wire.h"

schema_t *json_doc_schema(const char *text)
{
    proto_error_t err;
    schema_t *schema = schema_new(text, strlen(text), &err);
    if (!schema)
        fail_msg("schema refused: %s [%s] at '%s'", err.message, err.rule, err.field);
    return schema;
}

void json_doc_init(json_doc_t *self, const char *json)
{
    msgpack_sbuffer_init(&self->buf);
    msgpack_zone_init(&self->zone, 4096);
    proto_error_t err;
    if (json_codec_to_msgpack(json, strlen(json), &self->buf, &err))
        fail_msg("test JSON refused: %s", err.message);
    assert_int_equal(wire_decode(self->buf.data, self->buf.size, &self->zone, &self->obj, &err), 0);
}

void json_doc_fini(json_doc_t *self)
{
    msgpack_zone_destroy(&self->zone);
    msgpack_sbuffer_destroy(&self->buf);
}
