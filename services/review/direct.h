/*  services/review/direct.h - a file decided "approve" without a round.
 *
 *  Some files need no committee round: a listing approved before essp
 *  existed and brought in by the staff (provenance "imported": intake
 *  checked it against the schema and the charter before storing it).
 *  Review decides such a file "approve" at once, with the approval date
 *  it was given (a listing's expiry follows from it), and appends the
 *  same `decided` event as a round's decision, with no voters and no
 *  motivations, plus:
 *    provenance   why no round was held ("imported")
 *    approved_at  the approval date given, when it is not the event's `at`
 *  so that publication, intake, essp-notify and the desk see a normal
 *  approval.  The file keeps "provenance" too.  The listing enters the
 *  expiry index like any other; an approved renewal withdraws the
 *  listing it renews.
 */
#ifndef ESSP_REVIEW_DIRECT_H
#define ESSP_REVIEW_DIRECT_H

#include "committee.h"

/*  Decides the stored file `file` (any state but withdrawn; the caller
 *  has checked it) "approve" at `approved_at` without a round: appends
 *  `decided`, rewrites the file (state decided, decision approve,
 *  approved_at, expires, provenance), moves its key in the expiry index.
 *  `application` is the file's application (rounds_content).  0 or an
 *  LMDB code. */
int direct_approve(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                   const msgpack_object *application, int64_t approved_at, const char *provenance,
                   int64_t now);

/*  `validated` of an application with provenance "imported" and verdict
 *  review: the file enters and is decided "approve" at the event's
 *  `approved_at`.  A file review already holds is left as it is (the
 *  event seen again). */
int direct_apply_imported(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                          int64_t now);

#endif
