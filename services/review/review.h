/*  services/review/review.h - the Scientific and Ethics Committee.
 *
 *  Review keeps the committee (members, their college, their declared
 *  ties), the queue of files that passed validation, and the votes.  A
 *  member tied to the applicant or to one of its reference clients (same
 *  SIREN) is recused: the queue shows it before anyone votes, and such a
 *  vote is refused.  The quorum decides: at least ESSP_QUORUM_VOTES
 *  (default 3) votes from at least ESSP_QUORUM_COLLEGES (default 2)
 *  colleges, and a strict majority of the votes cast; a tie keeps the file
 *  open.  Reject and changes need a written motivation, which the applicant
 *  sees.  A decision, or a withdrawal, is one event of review's stream.
 *
 *  Members and staff speak to review through its CURVE endpoint: a vote
 *  and a queue are those of the member the key names (common/auth.h);
 *  essp-notify, with its service key, reads `pending` there too.
 *
 *  An amended file comes back from validation with a higher revision: a
 *  new round opens, the earlier rounds are kept in the file.  A rejected
 *  file may be appealed once (a round of kind "appeal"); a listed file
 *  may be the subject of a complaint (a round of kind "complaint" that
 *  reinstates or withdraws it); a listing expires (tick), is renewed by a
 *  later application, or is erased on request.  The parts:
 *    members.h   the committee, its ties and networks, e-mails and digests
 *    pending.h   what waits for whom, for the staff and essp-notify
 *    rounds.h    files entering the queue, rounds opening (queued)
 *    queue.h     what a member has to vote on, with filters
 *    votes.h     votes, self-recusal, decisions
 *    ballots.h   the votes of a round, stored one per key
 *    direct.h    files decided without a round (imported listings)
 *    listing.h   the life of a listing: expiry, complaint, withdrawal,
 *                renewal, erasure
 */
#ifndef ESSP_REVIEW_H
#define ESSP_REVIEW_H

#include "common/service.h"

/*  Members by name; files by id; the expiry index: BE64(expires) + id
 *  of every listed file, so that a tick reads only what is due; the votes,
 *  one record each (ballots.h); the application of each file by id, and
 *  validation's report of it, kept compact, each apart from the file so
 *  that a vote reads and rewrites only a small record (rounds.h). */
enum { REVIEW_DB_MEMBERS, REVIEW_DB_FILES, REVIEW_DB_EXPIRY, REVIEW_DB_VOTES, REVIEW_DB_APPLICATIONS,
       REVIEW_DB_REPORTS };
extern const char *const review_dbs[];

/*  The same quorum holds in every kind of round (review, appeal,
 *  complaint): an appeal or a complaint is judged by as many members and
 *  colleges as the first decision was. */
typedef struct {
    unsigned quorum_votes;
    unsigned quorum_colleges;
    unsigned listing_years;       /* a listing lasts this many years */
    bool expiry_follows;          /* an ESUS agreement or a Qualiopi certificate
                                     that ends earlier ends the listing */
} review_rules_t;

/*  The rules from the environment or the config file (common/config.h):
 *  ESSP_QUORUM_VOTES (3), ESSP_QUORUM_COLLEGES (2), ESSP_LISTING_YEARS
 *  (3), ESSP_EXPIRY_FOLLOWS_CERTIFICATES (1). */
review_rules_t review_rules_from_env(void);

void *review_context_new(review_rules_t rules);
void review_context_destroy(void **ctx_p);

/*  The requests answered only on the authenticated endpoint (member and
 *  staff requests), NULL-terminated; review_handle also checks the role
 *  the sender's key carries. */
extern const char *const review_secure_types[];

int review_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

int review_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now);

/*  The pure rule: given what each counted vote chose and its college,
 *  the committee's decision (the choice of a strict majority of the
 *  votes, whatever the round's kind), or NULL while the file stays open. */
const char *review_decision_reached(const review_rules_t *rules, const char *const *choices,
                                    const char *const *colleges, size_t count);

#endif
