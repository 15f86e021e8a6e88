/*  proto/json_codec.h - the one mapping between JSON and MessagePack.
 *
 *  JSON is for humans and HTTP, MessagePack is what travels between the
 *  services.  Both directions are defined here and nowhere else:
 *
 *      JSON                      MessagePack
 *      object (document order)   map (same order), keys are str
 *      array                     array
 *      string                    str (UTF-8; \u0000 becomes a NUL byte)
 *      integer (int64 range)     int (smallest encoding)
 *      number with . or e        float64
 *      true / false              bool
 *      null                      nil
 *
 *  Going back, float32 becomes a number, bin becomes a base64 string
 *  (RFC 4648, padded) and ext is refused.  A JSON number written with a
 *  fraction or an exponent stays a float64 even when it is integral ("3.0"),
 *  and dumps back as "3.0".
 *
 *  jansson (https://jansson.readthedocs.io) parses and prints; it owns the
 *  json_ prefix, hence json_codec_.
 */
#ifndef ESSP_PROTO_JSON_CODEC_H
#define ESSP_PROTO_JSON_CODEC_H

#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto/error.h"

/*  Parses JSON text (len bytes, no terminator needed) and appends exactly
 *  one msgpack object to out; on error out is left as it was.  Whatever
 *  this accepts, wire_decode accepts too, alone or as a value of a
 *  request's envelope: the output is checked with wire_prescan.  Refused, with err->rule:
 *    json_syntax     not JSON (message: jansson's line, column and text),
 *                    including a raw NUL byte anywhere in the text and
 *                    \u0000 inside an object key (jansson cannot hold it)
 *    duplicate_key   the same key twice in one object
 *    depth           arrays/objects nested deeper than
 *                    WIRE_DOCUMENT_DEPTH_MAX (31): the document is then
 *                    sent inside a request's envelope, within
 *                    WIRE_DEPTH_MAX (32)
 *    utf8            invalid UTF-8, or an escaped lone surrogate
 *    range           an integer outside int64, a real that overflows
 *    too_many_nodes  more than WIRE_NODES_MAX values
 *    nomem           out of memory
 *  err->field is the JSON path ("organisation.name", "references[2]") when
 *  known (depth), "" otherwise. */
int json_codec_to_msgpack(const char *text, size_t len, msgpack_sbuffer *out, proto_error_t *err);

/*  The same from a jansson value already made (the caller keeps its
 *  reference): what json_codec_to_msgpack does once the text is parsed. */
int json_codec_value_to_msgpack(json_t *value, msgpack_sbuffer *out, proto_error_t *err);

/*  The jansson value for a msgpack object (new reference), or NULL when it
 *  cannot be represented: a map key that is not a str or holds a NUL byte
 *  (it could not come back through json_codec_to_msgpack), a key twice in
 *  a map, a str that is not UTF-8, an unsigned integer above INT64_MAX, a
 *  NaN or infinite float, an ext, nesting deeper than
 *  WIRE_DOCUMENT_DEPTH_MAX (the limit of the other direction: whatever is
 *  dumped parses back). */
json_t *json_codec_from_object(const msgpack_object *obj);

/*  The JSON text of a msgpack object: malloc'd (release with free),
 *  NUL-terminated, UTF-8, keys in their stored order, compact unless pretty
 *  (then indented by 2).  NULL on the errors of json_codec_from_object. */
char *json_codec_dump(const msgpack_object *obj, bool pretty);

#endif
