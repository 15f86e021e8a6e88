/*  services/review/pending.h - what waits for whom: the files each member
 *  has still to vote on, for the e-mails of essp-notify (the daily digest,
 *  the reminder of files waiting too long).
 *
 *  For each member with an e-mail: the files open for votes on which the
 *  member has not voted in the current round and is not recused from (a
 *  tie, a shared network, their own recusal: members_recused), whose
 *  round opened at or after `since` and, with `older_than`, more than
 *  that many seconds before the request.  Members with no such file are
 *  left out.  One request examines at most QUEUE_SCAN_MAX files, in id
 *  order; the reply says "more" when files were left unexamined.
 */
#ifndef ESSP_REVIEW_PENDING_H
#define ESSP_REVIEW_PENDING_H

#include "committee.h"

/*  pending (staff, or essp-notify's service key). */
int pending_list(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  The pure rule of the round's age: true when a round opened at
 *  `queued_at` (0: unknown, before rounds kept it) belongs in a reply
 *  asked at `now` with `since` and, when has_older, `older_than`. */
bool pending_round_matches(uint64_t queued_at, uint64_t since, bool has_older, uint64_t older_than, int64_t now);

#endif
