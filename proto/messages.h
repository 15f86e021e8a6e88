/*  proto/messages.h - the message catalogue: every request, reply and
 *  stream event the services and the CLI exchange, defined once.
 *
 *  Every message is one ZeroMQ frame holding one MessagePack map with
 *  "v" (protocol version, PROTO_VERSION), "type" (a name below) and, on
 *  requests, an optional "rid" (any unsigned integer the client chooses,
 *  echoed in the reply).  proto/README.md is the same catalogue for people.
 *
 *  proto_request_check() is the strict gate every service puts in front of
 *  its handlers: unknown type, unknown field, missing field, wrong type,
 *  string too long or not in its enum, array too long: refused with the
 *  field and the rule named.  After it, handlers may read fields with the
 *  accessors of proto/doc.h without re-checking types.
 */
#ifndef ESSP_PROTO_MESSAGES_H
#define ESSP_PROTO_MESSAGES_H

#include "error.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1

/*  The envelope every event of a stream begins with: "seq", "v", "type",
 *  "at" (NULL-terminated).  A stage that passes an upstream's event on
 *  replaces it with its own. */
extern const char *const proto_envelope_keys[];

/*  Size limits, enforced with ZMQ_MAXMSGSIZE on every socket before a byte
 *  is decoded. */
#define PROTO_REQUEST_MAX   (1u << 20)   /* one request: 1 MiB */
#define PROTO_BATCH_BYTES   (8u << 20)   /* a stream batch stops growing at 8 MiB */
#define PROTO_REPLY_MAX     (64u << 20)  /* what a client accepts in one reply */
#define PROTO_BATCH_MAX     1000         /* events in one batch */
#define PROTO_PAGE_MAX      1000         /* entries in one directory page */
#define PROTO_WAIT_MAX_MS   30000        /* longest a pull may be held */
#define PROTO_OMIT_MAX      4            /* fields a pull may ask to leave out of each event */
#define PROTO_OMIT_NAME_MAX 32
#define PROTO_HOLD_MAX_MS   600000       /* longest a backup may hold a service's upstreams */
#define PROTO_ID_MAX        32
#define PROTO_NAME_MAX      100
#define PROTO_TEXT_MAX      4000
#define PROTO_EMAIL_MAX     254          /* an e-mail address (RFC 5321 path) */

/*  Error codes of an "error" reply (the CLI maps them to exit codes). */
#define PROTO_E_INVALID     "invalid"      /* the request breaks a rule: see field, rule */
#define PROTO_E_NOT_FOUND   "not_found"    /* no such application, member, file */
#define PROTO_E_CONFLICT    "conflict"     /* not allowed in the current state */
#define PROTO_E_FORBIDDEN   "forbidden"    /* not allowed for this member */
#define PROTO_E_INTERNAL    "internal"     /* the service failed; nothing was changed */
#define PROTO_E_UNAVAILABLE "unavailable"  /* storage is short for now (disk full, reserve
                                            * reached); nothing was changed: resend later */

/*  Application states, as status replies and the CLI name them. */
#define STATE_RECEIVED          "received"
#define STATE_INCOMPLETE        "incomplete"
#define STATE_IN_REVIEW         "in_review"
#define STATE_CHANGES_REQUESTED "changes_requested"
#define STATE_REJECTED          "rejected"
#define STATE_APPROVED          "approved"
#define STATE_PUBLISHED         "published"
#define STATE_SUSPENDED         "suspended"   /* a complaint is before the committee */
#define STATE_WITHDRAWN         "withdrawn"

/*  Checks a decoded request against the catalogue.  On success *type is the
 *  catalogue's name of the message (static storage) and *rid its request
 *  id (0 when absent, *has_rid false). */
int proto_request_check(const msgpack_object *msg, const char **type, uint64_t *rid,
                        bool *has_rid, proto_error_t *err);

/*  Checks a decoded event of a durable stream ("submitted", "validated",
 *  "decided", "withdrawn", "upsert", "withdraw"): its "seq" and the fields
 *  its type requires.  Consumers use it so that a corrupt or foreign log
 *  stops the consumer with a clear error instead of a wrong state. */
int proto_event_check(const msgpack_object *event, const char **type, uint64_t *seq,
                      proto_error_t *err);

/*  Packs the head of a reply map: {"v":1, "type":type, ["rid":rid], ...}
 *  announcing `fields` more key/value pairs that the caller packs next. */
void proto_pack_reply(msgpack_packer *pk, const char *type, bool has_rid, uint64_t rid,
                      size_t fields);

/*  Packs a whole error reply. */
void proto_pack_error(msgpack_packer *pk, bool has_rid, uint64_t rid, const char *code,
                      const proto_error_t *err);

/*  The number of entries of a map that has `always` entries and one more
 *  for each optional entry that is present (a true value or a non-NULL
 *  pointer):  proto_entries(4, token, outcome != NULL)  counts 4 to 6.
 *  The one way to count a map's entries before packing it. */
#define proto_entries(always, ...) \
    ((size_t)(always) + proto_count_present((const bool[]){__VA_ARGS__}, \
                                            sizeof((const bool[]){__VA_ARGS__}) / sizeof(bool)))
size_t proto_count_present(const bool *present, size_t n);

/*  Packs the head of a request map {"v":1, "type":type, "rid":rid, ...}. */
void proto_pack_request(msgpack_packer *pk, const char *type, uint64_t rid, size_t fields);

/*  Packs a NUL-terminated string / a key with its value. */
void proto_pack_str(msgpack_packer *pk, const char *text);
void proto_pack_kv_str(msgpack_packer *pk, const char *key, const char *value);
void proto_pack_kv_strn(msgpack_packer *pk, const char *key, const char *value, size_t len);
void proto_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t value);
void proto_pack_kv_int(msgpack_packer *pk, const char *key, int64_t value);
void proto_pack_kv_bool(msgpack_packer *pk, const char *key, bool value);
/*  A key followed by an already-encoded msgpack value (copied as bytes). */
void proto_pack_kv_raw(msgpack_packer *pk, const char *key, const void *bytes, size_t len);

/*  Writes raw msgpack bytes (an already-encoded value) into the packer's
 *  buffer: the way stored events and documents are forwarded unchanged. */
void proto_pack_raw(msgpack_packer *pk, const void *bytes, size_t len);

/*  The colleges of the committee. */
bool proto_is_college(const char *text, size_t len);

/*  The decisions a vote may carry: "approve", "reject", "changes" in a
 *  review or appeal round; "reinstate", "withdraw" in a complaint round. */
bool proto_is_decision(const char *text, size_t len);

/*  The kinds of committee round: "review" (a file that passed
 *  validation), "appeal" (against a rejection), "complaint" (about a
 *  listing, which is suspended meanwhile). */
bool proto_is_round_kind(const char *text, size_t len);

/*  Withdrawal reasons of the public stream, and kinds of review's
 *  "withdrawn": "withdrawn", "expired", "suspended", "erased", "renewed". */
bool proto_is_withdraw_reason(const char *text, size_t len);

/*  Calls fn for every message type of the catalogue with its kind
 *  ("request", "reply", "event"): used by the documentation test. */
void proto_foreach_message(void (*fn)(const char *type, const char *kind, void *arg), void *arg);

#endif
