/*  services/review/votes.h - votes, self-recusal and decisions.
 *
 *  A member votes once per round, as the member their key names.  In a
 *  review or appeal round the decisions are approve, reject, changes; in
 *  a complaint round, reinstate or withdraw.  Every decision but approve
 *  and reinstate needs a written motivation, which the applicant reads.
 *  A recused member's vote is refused and never counts.  When the quorum
 *  is reached (review_decision_reached) the round is decided: the
 *  committee's decision is the file's "decision", and `decided` carries
 *  it with the round's kind, the motivations of the votes that made it,
 *  the voters, the renewed file's id, and, on approve and reinstate, the
 *  application and the listing's expiry (listing.h).
 *
 *  A member may recuse themself from a file, with a reason, until they
 *  vote in its current round; the recusal holds for every later round.
 */
#ifndef ESSP_REVIEW_VOTES_H
#define ESSP_REVIEW_VOTES_H

#include "committee.h"

int votes_vote(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int votes_recuse(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  True when `decision` may be voted in a round of kind `kind`. */
bool review_decision_fits(const char *kind, const char *decision);

/*  True when a vote for `decision` needs a written motivation. */
bool review_needs_motivation(const char *decision);

#endif
