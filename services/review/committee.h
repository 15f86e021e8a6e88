/*  services/review/committee.h - what every part of review shares.
 *
 *  The context of the service (the rules, one packing buffer, one zone
 *  for the records a request loads) and the small tools every handler
 *  uses: records edited as lists of (key, value) pairs, and the loads
 *  that refuse a request naming a file that is not there.  A handler
 *  refuses through service_refuse (common/service.h): it packs the error
 *  reply and returns SERVICE_REFUSED, which every helper here passes up
 *  unchanged, so that MDB_NOTFOUND only ever means "not in LMDB".
 *
 *  A stored record (a member, a file) is rewritten by naming the fields
 *  that change: review_put packs the old record without them, then the
 *  new values.  Values are msgpack objects; review_str, review_uint...
 *  make them, review_map and review_append build maps and arrays in a
 *  zone.  An object may point into LMDB's memory: everything is packed
 *  before anything is written, which is why review_put packs first.
 */
#ifndef ESSP_REVIEW_COMMITTEE_H
#define ESSP_REVIEW_COMMITTEE_H

#include "review.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <stdbool.h>
#include <stdint.h>

/*  States of a file in review's store (not intake's states). */
#define FILE_OPEN      "open"       /* a round is open: members vote */
#define FILE_DECIDED   "decided"    /* the last round decided */
#define FILE_WITHDRAWN "withdrawn"  /* off the directory for good (see "ended") */

#define REVIEW_TICK_MAX 1000        /* listings one tick may withdraw */
#define REVIEW_EXPIRY_KEY_MAX (8 + PROTO_ID_MAX)

typedef struct {
    review_rules_t rules;
    msgpack_sbuffer buf;            /* records and items packed aside */
    msgpack_packer pk;
    msgpack_zone zone;              /* cleared at each request and event */
    /* The keys a tick found due (listing.c). */
    unsigned char due_keys[REVIEW_TICK_MAX][REVIEW_EXPIRY_KEY_MAX];
    size_t due_lens[REVIEW_TICK_MAX];
} review_t;

/*  One field of a record or an event. */
typedef struct {
    const char *key;
    msgpack_object val;
} review_set_t;

bool review_same_str(const msgpack_object *a, const msgpack_object *b);

/*  True when text is absent, not a string, or only white space. */
bool review_blank(const msgpack_object *text);

msgpack_object review_str(const char *text);          /* points to text */
msgpack_object review_strn(const char *text, size_t len);
msgpack_object review_uint(uint64_t value);
msgpack_object review_bool(bool value);
msgpack_object review_nil(void);

/*  A map of the n pairs, or an array `array` with `item` appended,
 *  allocated in zone (the pairs' values are copied, not their bytes). */
msgpack_object review_map(msgpack_zone *zone, const review_set_t *pairs, size_t n);
msgpack_object review_append(msgpack_zone *zone, const msgpack_object *array, msgpack_object item);

/*  A copy of map keeping only the keys listed (NULL-terminated). */
msgpack_object review_keep(msgpack_zone *zone, const msgpack_object *map, const char *const *keys);

/*  Loads the record stored under the string `key`: 0, MDB_NOTFOUND or an
 *  LMDB code. */
int review_load(MDB_txn *txn, MDB_dbi db, const msgpack_object *key, msgpack_zone *zone,
                msgpack_object *out);

/*  Loads the file a request names by its "id": 0; SERVICE_REFUSED with
 *  the refusal packed (not_found / id / exists) when there is none; or an
 *  LMDB code. */
int review_load_file(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req,
                     msgpack_object *file);

/*  Stores under `key` the record `base` (NULL: none) with the n fields
 *  of `set` replaced or added. */
int review_put(review_t *self, MDB_txn *txn, MDB_dbi db, const msgpack_object *key,
               const msgpack_object *base, const review_set_t *set, size_t n);

/*  Appends the event `type` with the n fields of `set`. */
int review_emit(service_t *svc, MDB_txn *txn, const char *type, int64_t at, const review_set_t *set,
                size_t n);

/*  The file's current round kind ("review" for files stored before
 *  kinds existed). */
const char *review_kind_of(const msgpack_object *file);

/*  True when the file is on the directory: its last decision approved or
 *  reinstated it and nothing withdrew it since, or it is a listing whose
 *  update the committee has or refused (listing_kept, amended.h). */
bool review_is_listed(const msgpack_object *file);

/*  True when a complaint round is open (intake shows it "suspended"). */
bool review_is_suspended(const msgpack_object *file);

#endif
