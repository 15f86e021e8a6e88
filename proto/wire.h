/*  proto/wire.h - the safe MessagePack decoder.
 *
 *  msgpack-c's unpacker trusts the counts it reads: the five bytes
 *  `dd ff 00 00 00` (an array of 4 278 190 080 elements) make it allocate
 *  about 96 GB before it notices that no element follows.  Every message
 *  that comes off a socket therefore goes through wire_decode, which first
 *  walks the raw bytes with wire_prescan and only then lets msgpack-c build
 *  the object tree.  After a successful prescan every allocation msgpack-c
 *  makes is bounded by the size of the input (about 24 bytes of zone per
 *  input byte, and never more than WIRE_NODES_MAX objects).
 *
 *  The prescan also fixes what a valid message looks like on the wire, so
 *  that no later stage has to ask: exactly one object, no ext types, map
 *  keys are UTF-8 strings with no duplicate, every string is valid UTF-8.
 *  Bin, float32/64, nil and booleans are accepted.
 *
 *  Error rules (proto_error_t.rule), with err->field the path of the object
 *  where the scan broke ("" for the top level, "references[3]",
 *  "organisation.name"):
 *    truncated       a count or length needs more bytes than are left
 *    depth           arrays/maps nested deeper than WIRE_DEPTH_MAX
 *    too_many_nodes  more than WIRE_NODES_MAX objects (keys count too)
 *    ext             an ext or fixext object (timestamps included)
 *    utf8            a str that is not valid UTF-8 (overlong forms,
 *                    surrogates, code points above U+10FFFF are invalid)
 *    key_type        a map key that is not a str
 *    duplicate_key   the same key twice in one map (field names the key)
 *    trailing_bytes  bytes after the first complete object
 *    malformed       the byte 0xc1, which MessagePack never uses
 *    nomem           the scan could not allocate its scratch memory, or
 *                    msgpack-c ran out of memory (not the input's fault)
 */
#ifndef ESSP_PROTO_WIRE_H
#define ESSP_PROTO_WIRE_H

#include <msgpack.h>
#include <stddef.h>

#include "proto/error.h"

/*  Nesting of arrays/maps: 32 is also the size of msgpack-c's own parse
 *  stack, so a message the prescan accepts is never refused by msgpack-c. */
#define WIRE_DEPTH_MAX 32

/*  A document (an application, a JSON body) never travels alone: it is the
 *  value of a key of a request's envelope map ({"type", "rid",
 *  "application": {...}}), one level down. */
#define WIRE_ENVELOPE_DEPTH 1

/*  The nesting a document may have, so that the request that carries it
 *  stays within WIRE_DEPTH_MAX: what json_codec_to_msgpack accepts, the
 *  services accept too, and a too deep document is refused where it is
 *  read (HTTP 400, field and rule) and never by the service as a request
 *  it cannot even read (an error without rid). */
#define WIRE_DOCUMENT_DEPTH_MAX (WIRE_DEPTH_MAX - WIRE_ENVELOPE_DEPTH)

/*  Objects in one message, keys included: bounds the zone to about 5 MB. */
#define WIRE_NODES_MAX 200000

/*  Objects in one reply a client or a stream consumer accepts from the
 *  service it asked: a batch of up to 1000 events, each with a whole
 *  application and its report, holds more than WIRE_NODES_MAX.  Still
 *  bounded: the socket's ZMQ_MAXMSGSIZE caps the bytes, and each object
 *  needs at least one of them. */
#define WIRE_REPLY_NODES_MAX 4000000

/*  Checks that [data,size) is exactly one well-formed msgpack object that
 *  is safe to unpack (see the rules above).  Runs in O(n log n): duplicate
 *  keys are found by sorting each map's keys, never by comparing every
 *  pair.  Returns 0, or -1 with err filled (err may be NULL). */
int wire_prescan(const void *data, size_t size, proto_error_t *err);

/*  wire_prescan, then msgpack_unpack into zone.  *out points into zone and
 *  into data: strings are not copied, so data must outlive *out.  Returns 0,
 *  or -1 with err filled; *out is untouched on error. */
int wire_decode(const void *data, size_t size, msgpack_zone *zone,
                msgpack_object *out, proto_error_t *err);

/*  wire_decode with the WIRE_REPLY_NODES_MAX bound, for replies. */
int wire_decode_reply(const void *data, size_t size, msgpack_zone *zone,
                      msgpack_object *out, proto_error_t *err);

/*  For what a service reads back from its own LMDB: bytes that passed
 *  wire_decode when they came in (or that the service packed itself).
 *  The structure is still walked before msgpack-c unpacks it (truncation,
 *  depth, ext, the WIRE_REPLY_NODES_MAX bound), so a damaged record is an
 *  error and never an allocation sized by a corrupt count; the UTF-8 of
 *  strings and the uniqueness of keys, already checked on the way in, are
 *  not checked again (they are most of the prescan's cost). */
int wire_decode_stored(const void *data, size_t size, msgpack_zone *zone,
                       msgpack_object *out, proto_error_t *err);

#endif
