/*  common/stream_omit.h - the fields a consumer leaves out of the events
 *  it pulls.
 *
 *  A consumer that needs a few fields of an event does not need the
 *  application it carries: intake follows validation's stream for the
 *  report, not for the application review keeps.  A pull may name up to
 *  PROTO_OMIT_MAX top-level fields ("omit"); the producer then sends each
 *  event without them, cut from the stored bytes (no decoding, no
 *  re-encoding of the fields that stay), so that neither the wire, nor
 *  the encryption of a CURVE link, nor the consumer's decoder carries
 *  what it would throw away.  The envelope ("seq", "v", "type", "at") and
 *  "id" cannot be omitted; a field an event does not have is ignored.
 */
#ifndef ESSP_COMMON_STREAM_OMIT_H
#define ESSP_COMMON_STREAM_OMIT_H

#include "proto/error.h"
#include "proto/messages.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t count;
    unsigned char lens[PROTO_OMIT_MAX];
    char names[PROTO_OMIT_MAX][PROTO_OMIT_NAME_MAX];
} stream_omit_t;

/*  Fills *out from a NULL-terminated list of names (a consumer's own
 *  list, given by its code: asserts it is within the limits). */
void stream_omit_from_names(stream_omit_t *out, const char *const *names);

/*  Fills *out from the "omit" field of a pull request (absent: empty).
 *  -1 with err naming the field and the rule when a name is empty, too
 *  long, or one of the fields every event keeps. */
int stream_omit_from_request(stream_omit_t *out, const msgpack_object *pull, proto_error_t *err);

/*  Packs the "omit" field of a pull (nothing when empty; the caller
 *  counted it in the map: see stream_omit_fields). */
void stream_omit_pack(const stream_omit_t *self, msgpack_packer *pk);

/*  1 when the pull carries an "omit" field, else 0. */
size_t stream_omit_fields(const stream_omit_t *self);

/*  Packs the stored event (`len` bytes, one msgpack map) without the
 *  omitted fields: the stored bytes of every field that stays, under a
 *  new map header.  An event that does not parse as a map of string keys
 *  (never written by a producer) goes as it is. */
void stream_omit_pack_event(const stream_omit_t *self, const void *event, size_t len, msgpack_packer *pk);

/*  The stored bytes of top-level field `name` of a stored event (one
 *  msgpack map of string keys), found without decoding the event: the
 *  same walk as the omission's.  False when the event has no such field
 *  or is not such a map. */
bool stream_omit_field(const void *event, size_t len, const char *name, const void **value, size_t *value_len);

/*  Where the last top-level field of a stored event starts (*at: the
 *  offset of its key), how many fields the event has and how many bytes
 *  its map header takes.  False when the event is not a map of string
 *  keys or when its last field is one every event keeps (seq, v, type,
 *  at, id): a log keeps a large event's last field apart
 *  (common/stream_log.h), and the fields an erasure looks for must stay
 *  in the part it reads first. */
bool stream_omit_last_field(const void *event, size_t len, size_t *at, size_t *fields, size_t *header);

/*  The value of the last field of a map that fills `len` bytes exactly
 *  (a producer's own signed content), when that field is `name`: it runs
 *  to the end of the bytes, so it is found without walking it.  False
 *  when the map's last field is another one, or the map does not parse. */
bool stream_omit_last_value(const void *map, size_t len, const char *name, const void **value, size_t *value_len);

/*  The most fields stream_omit_body gives the spans of. */
#define STREAM_OMIT_FIELDS_MAX 64

/*  The fields of an event (one msgpack map of string keys) but its
 *  envelope (seq, v, type, at), as spans of its bytes: spans[i][0] the
 *  offset of a field's key, spans[i][1] the size of key and value.  Their
 *  count, or -1 when the event is not such a map or has more than `max`
 *  fields.  A stage that passes events on appends them under its own
 *  envelope without decoding them (service_event_forward). */
int stream_omit_body(const void *event, size_t len, size_t spans[][2], size_t max);

/*  The elements of the array of top-level field `name` of a msgpack map
 *  (a batch's "events"), walked one after the other without decoding
 *  them. */
typedef struct {
    const uint8_t *p;   /* the array's bytes */
    size_t len;
    size_t at;          /* where the next element starts */
    size_t left;        /* elements not yet walked */
} stream_omit_walk_t;

/*  False when `map` has no such field or it is not an array. */
bool stream_omit_walk_begin(stream_omit_walk_t *self, const void *map, size_t len, const char *name);
/*  The next element's bytes; false when none is left or it does not fit. */
bool stream_omit_walk_next(stream_omit_walk_t *self, const void **element, size_t *element_len);

#endif
