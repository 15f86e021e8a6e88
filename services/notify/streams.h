/*  services/notify/streams.h - what notify does with each upstream event
 *  (service_def_t.upstreams of notify's shell).
 *
 *  intake: submitted (the file is kept: organisation, contact, address;
 *  receipt with the tracking link when the sealed token opens), appealed
 *  (appeal received), erased (confirmation and staff notice, then the
 *  address is suppressed for good and everything kept of the file is
 *  purged, unsent letters and waiting events included; the id alone stays
 *  in `files`, with an empty value, and every later event about it, from
 *  any stream, is dropped), token_reissued (the new link).
 *  validation: validated with verdict incomplete (the failed criteria).
 *  review: queued (review: in review; complaint: staff), decided
 *  (approved, changes, rejected; a complaint round's outcome), withdrawn
 *  (withdrawn, expired, suspended).  publication: upsert (published; the
 *  listing's end is kept and its reminders planned), withdraw (the
 *  listing and its reminders dropped).  A `redacted` event of any stream,
 *  and review's withdrawn of kind "erased", drop the events waiting for
 *  the file (the erasure itself waits for intake's `erased`).  Every other
 *  type changes nothing.  An event older than NOTIFY_STALE_AFTER
 *  when applied updates what is kept but writes no letter.
 */
#ifndef ESSP_NOTIFY_STREAMS_H
#define ESSP_NOTIFY_STREAMS_H

#include "common/service.h"

int notify_apply_intake(void *ctx, service_t *svc, MDB_txn *txn, const char *type, const msgpack_object *event,
                        int64_t now);
int notify_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now);
int notify_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type, const msgpack_object *event,
                        int64_t now);
int notify_apply_publication(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now);

/*  The listing reminders due at `at` (60 and 14 days before a listing
 *  ends) into the outbox, written at `now` (the clock's time: a tick asked
 *  for a future day still mails now); each is written once.  *count:
 *  letters added. */
int notify_reminders_due(void *ctx, service_t *svc, MDB_txn *txn, int64_t at, int64_t now, size_t *count);

/*  What notify keeps of an application: 0, MDB_NOTFOUND or an LMDB code. */
struct letters_file_t;
int notify_file_get(service_t *svc, MDB_txn *txn, const char *id, size_t id_len, struct letters_file_t *file);

#endif
