/*  services/review/amended.h - the update of a listing (proto/README.md
 *  section 7.6).
 *
 *  A listed file (approved or reinstated) that comes back from validation
 *  with a higher revision is an update of its listing.  Review compares
 *  the new application with the one on the directory (proto/schema_change.h):
 *    - only minor fields changed (contacts, website, départements...),
 *      and the file is not before the committee: decided "approve" at
 *      once, without a round and without votes; `decided` carries
 *      `change: "minor"` and the listing's first `approved_at`, so
 *      publication lists the next version;
 *    - a substantive field changed (or the committee already has an
 *      update of this listing): a review round opens, and the listing
 *      stays on the directory as it was until the decision.  Approve
 *      lists the update; reject and changes leave the listing as it was
 *      (publication lists nothing new).
 *  Either way the listing keeps the term of its approval: an update
 *  neither shortens nor extends it (a renewal does).
 *
 *  While an update waits, the file holds `listing_kept` (true: the file
 *  stays a listing whatever its round, committee.h review_is_listed), and
 *  the stored content keeps `listed`, the application on the directory,
 *  beside the update's application: what a refusal goes back to, and
 *  what the next update is compared with.
 */
#ifndef ESSP_REVIEW_AMENDED_H
#define ESSP_REVIEW_AMENDED_H

#include "committee.h"
#include "votes.h"

/*  `validated` (verdict review, a higher revision) of the listed file
 *  `old`: decided at once or before the committee, as above. */
int amended_apply_validated(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *old,
                            const msgpack_object *event, int64_t now);

/*  True when an approval of `file` keeps the term of its listing: the
 *  file is a listing being updated. */
bool amended_keeps_term(const msgpack_object *file);

/*  The fields `decided` adds for the decision d of a round of file: for
 *  the round of an update, change "substantive", and the listing's first
 *  approved_at when d approves it.  Fills set (room for 2), returns the
 *  count. */
size_t amended_decided_extra(const msgpack_object *file, const review_decision_t *d, review_set_t *set);

/*  After a round of the file `id` was decided: an approved update is now
 *  the listing; a refused one (reject, changes) leaves the listing as it
 *  was, and the stored application goes back to it.  The file's name,
 *  parties and networks follow the application kept (rounds_derived), so
 *  later rounds check conflicts against the listing; its revision stays
 *  the update's, the last one received (an older validated event is
 *  ignored by it).  0 or an LMDB code. */
int amended_decided(review_t *self, service_t *svc, MDB_txn *txn, const char *id, const char *decision);

/*  Before a complaint round: the update waiting, if any, is dropped (the
 *  committee judges the listing as it is on the directory, and a
 *  reinstatement lists that).  0 or an LMDB code. */
int amended_drop_update(review_t *self, service_t *svc, MDB_txn *txn, const char *id);

#endif
