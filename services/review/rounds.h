/*  services/review/rounds.h - files entering the committee's queue, and
 *  the rounds of votes on them.
 *
 *  A file is one application before the committee.  It holds the current
 *  round (number, kind, votes) and the earlier rounds, each with its
 *  revision, kind, decision and votes.  A round opens when a validated
 *  file enters (kind "review"), when an amended file comes back (a new
 *  "review" round), when the applicant appeals a rejection ("appeal",
 *  once per file) and when staff bring a complaint against a listing
 *  ("complaint", listing.h).  Each opening appends `queued`, on which the
 *  members' `essp queue --follow` wakes.
 *
 *  The stored file: id, revision, round, kind, state (open, decided,
 *  withdrawn), decision, queued_at (when the current round opened; files
 *  whose round opened before it was kept have none), name, parties, networks (those the application
 *  declares ties with), renews, rounds (the earlier ones, with their
 *  votes), recusals (the votes of the current round are records of their
 *  own, ballots.h);
 *  then, as its life goes on: appeal and appealed, complaint and
 *  complained_at, approved_at, expires and expires_cause, ended and
 *  ended_at (which end withdrew it), erased.
 *
 *  The application and validation's report are stored apart, together in
 *  one record {application, report} under the file's id
 *  (REVIEW_DB_APPLICATIONS), written when the file enters and when a new
 *  revision arrives: a vote reads and rewrites only the small file.  One
 *  record, not two: the report alone passes LMDB's node limit, so apart
 *  each would cost a page of its own.  Files stored before that carry them in the file
 *  (keys "application" and "report"); they are read from there until a new
 *  revision moves them out.
 */
#ifndef ESSP_REVIEW_ROUNDS_H
#define ESSP_REVIEW_ROUNDS_H

#include "committee.h"

/*  `validated` with verdict review: a new file enters (or an amended one
 *  opens a new round). */
int rounds_apply_validated(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                           int64_t now);

/*  A new revision of the stored file `old` (validated): a new review
 *  round opens with it, its application and report stored. */
int rounds_reopen(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *old,
                  const msgpack_object *event, int64_t now);

/*  Stores the new file of a `validated` event (round 1 of kind review,
 *  open, no votes) with its application and report, and appends nothing:
 *  s_enter appends `queued`; a file decided without a round (direct.h)
 *  is decided in the same transaction instead. */
int rounds_store_new(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event, int64_t now);

/*  `appealed`: a file decided reject, never appealed, opens an appeal
 *  round; any other file is left as it is. */
int rounds_apply_appealed(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                          int64_t now);

/*  Opens round+1 of kind `kind` on a stored file: the current round goes
 *  into "rounds", the votes start empty, the n fields of `extra` are set
 *  too; stores the file and appends `queued`. */
int rounds_open(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                const char *kind, const review_set_t *extra, size_t n, int64_t now);

/*  What the file keeps of its application for the conflict checks and
 *  the lists (queue, pending): name, parties, networks.  They must follow
 *  the application the committee judges, whichever document that is: the
 *  update under review, or the listing it went back to (amended.h).
 *  Fills set (room for ROUNDS_DERIVED), returns the count; the values
 *  point into application and zone. */
#define ROUNDS_DERIVED 3
size_t rounds_derived(msgpack_zone *zone, const msgpack_object *application, review_set_t *set);

/*  Stores the content of the file `id`: its application, and the
 *  application on the directory while an update waits (listed; NULL:
 *  none), under its id in REVIEW_DB_APPLICATIONS; validation's report
 *  (NULL or nil: none) kept compact in REVIEW_DB_REPORTS
 *  (proto/kept_report.h).  Together they took an overflow page of 4 KiB
 *  per revision; apart, an application of up to 2 KB stays in a leaf. */
int rounds_put_content(review_t *self, service_t *svc, MDB_txn *txn, const char *id,
                       const msgpack_object *application, const msgpack_object *report,
                       const msgpack_object *listed);

/*  The same without touching the report (kept as it is). */
int rounds_put_application(review_t *self, service_t *svc, MDB_txn *txn, const char *id,
                           const msgpack_object *application, const msgpack_object *listed);

/*  The file's application and its report (report may be NULL): the
 *  application points into LMDB's memory (or into the file), the report
 *  into zone (or LMDB's memory, as stored before it went apart); nil when
 *  the file has none.  0 or an LMDB code. */
int rounds_content(service_t *svc, MDB_txn *txn, const msgpack_object *file, msgpack_zone *zone,
                   msgpack_object *application, msgpack_object *report);

/*  Erasure: deletes the stored application and report of the file `id`. */
int rounds_forget_content(service_t *svc, MDB_txn *txn, const msgpack_object *id);

/*  The file's earlier rounds with its current round (whose votes are
 *  `votes`) appended. */
msgpack_object rounds_closed(msgpack_zone *zone, const msgpack_object *file, const msgpack_object *votes);

#endif
