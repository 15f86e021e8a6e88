/*  tests/unit/json_doc.h - schemas and documents of the proto tests,
 *  written as JSON text: a schema compiled, a document encoded to msgpack
 *  (proto/json_codec.h) and decoded as the wire decodes it (wire_decode).
 *  Either fails the test when its text is refused: the text is the test's
 *  own, not what is under test.
 */
#ifndef ESSP_TESTS_JSON_DOC_H
#define ESSP_TESTS_JSON_DOC_H

#include <msgpack.h>
#include <stddef.h>

#include "proto/schema.h"

typedef struct {
    msgpack_sbuffer buf;        /* the document as msgpack */
    msgpack_zone zone;          /* obj and what the test decodes beside it */
    msgpack_object obj;
} json_doc_t;

/*  The schema compiled from its JSON text. */
schema_t *json_doc_schema(const char *text);

/*  Encodes and decodes json into self; json_doc_fini frees it. */
void json_doc_init(json_doc_t *self, const char *json);
void json_doc_fini(json_doc_t *self);

#endif
