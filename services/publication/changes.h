/*  services/publication/changes.h - what review's events do to the
 *  directory, and the signed form of an erased application's events.
 *
 *  Pure parts of the publication service, kept apart so that they are
 *  tested without a running service:
 *    - publication_change_of() reads one event of review's stream and says
 *      whether it lists an entry (an approval, or a reinstatement after a
 *      complaint), takes it back (with the public reason of the withdraw
 *      event), or means nothing to the directory;
 *    - publication_pack_redacted() is the stream_log_rewrite_fn with which
 *      publication redacts its own log on an erasure: each earlier event of
 *      the application becomes {seq, v, type:"redacted", at, id, signed,
 *      sig}, signed exactly as upserts and withdrawals are (stream_sign.h),
 *      so that a site that verifies every event goes on verifying a log in
 *      which the personal data are gone.
 */
#ifndef ESSP_PUBLICATION_CHANGES_H
#define ESSP_PUBLICATION_CHANGES_H

#include "keys.h"
#include "proto/stream_sign.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    PUBLICATION_NOTHING,     /* an event the directory does not use */
    PUBLICATION_LIST,        /* the entry is (again) what the event's application says */
    PUBLICATION_UNLIST       /* the entry goes, for the reason given */
} publication_change_t;

/*  The change an event of review's stream (already checked against the
 *  catalogue) makes:
 *    decided approve | reinstate   -> PUBLICATION_LIST
 *    decided withdraw              -> PUBLICATION_UNLIST, "withdrawn"
 *    withdrawn                     -> PUBLICATION_UNLIST, its kind
 *                                     (withdrawn, expired, suspended,
 *                                     erased, renewed; absent: "withdrawn")
 *    anything else                 -> PUBLICATION_NOTHING
 *  *reason (for PUBLICATION_UNLIST) points at a static string. */
publication_change_t publication_change_of(const char *type, const msgpack_object *event,
                                           const char **reason);

/*  The state of publication_pack_redacted: the key it signs with (or, when
 *  keys is set, the key of the chain in force at each event's seq, so that
 *  an event is signed again by the key that signed it first), its scratch
 *  buffer, and whether a signature could not be made (the rewrite cannot
 *  fail by itself: the caller checks `failed` after the redaction and
 *  rolls the batch back). */
typedef struct {
    const stream_sign_key_t *key;
    const publication_keys_t *keys;
    msgpack_sbuffer body;
    msgpack_packer body_pk;
    bool failed;
} publication_redactor_t;

void publication_redactor_init(publication_redactor_t *self, const stream_sign_key_t *key);
void publication_redactor_destroy(publication_redactor_t *self);

/*  A stream_log_rewrite_fn (common/stream_log.h), arg a
 *  publication_redactor_t: packs {seq, v, type:"redacted", at, id,
 *  signed, sig} where at and id are the original event's, signed is the
 *  map {type:"redacted", at, id} encoded once, and sig signs it with seq
 *  as every event of the stream is signed. */
void publication_pack_redacted(void *arg, const msgpack_object *event, uint64_t seq,
                               msgpack_packer *pk);

#endif
