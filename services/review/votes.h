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
#include "listing.h"

int votes_vote(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int votes_recuse(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  True when `decision` may be voted in a round of kind `kind`. */
bool review_decision_fits(const char *kind, const char *decision);

/*  True when a vote for `decision` needs a written motivation. */
bool review_needs_motivation(const char *decision);

/*  A decision and what it brings: the listing's expiry on approve and
 *  reinstate.  decision NULL: the round stays open. */
typedef struct {
    const char *decision;
    bool listed;
    review_expiry_t expiry;
    int64_t approved_at;
} review_decision_t;

/*  The decision `decision` (NULL: none) on `file` at `now`: listed on
 *  approve and reinstate, approved at `now` (a reinstated listing keeps
 *  the date of its approval), the expiry from the application. */
review_decision_t votes_decision(const review_t *self, const msgpack_object *file,
                                 const msgpack_object *application, const char *decision, int64_t now);

/*  Appends `decided` for the decision d on file: the round, the
 *  motivations and voters from `votes` (an array, empty when nobody
 *  voted), the application and expiry when listed, then the extra_n
 *  fields of `extra` (at most VOTES_DECIDED_EXTRA_MAX). */
#define VOTES_DECIDED_EXTRA_MAX 4
int votes_emit_decided(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                       const msgpack_object *application, const msgpack_object *votes,
                       const review_decision_t *d, const review_set_t *extra, size_t extra_n, int64_t now);

/*  What changes in the file when its round is decided: fills set (room
 *  for 8) and returns the count. */
size_t votes_decided_file(const review_decision_t *d, review_set_t *set);

/*  What follows a decision once the file is stored: the listing enters
 *  the expiry index; an approved renewal withdraws the listing it renews
 *  (`renews`, "" when none). */
int votes_after_decision(review_t *self, service_t *svc, MDB_txn *txn, const review_decision_t *d,
                         const char *id, const char *renews, int64_t now);

#endif
