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
 *  and a queue are those of the member the key names (common/auth.h).
 *
 *  An amended file comes back from validation with a higher revision: a
 *  new round opens, the earlier rounds are kept in the file.
 */
#ifndef ESSP_REVIEW_H
#define ESSP_REVIEW_H

#include "common/service.h"

enum { REVIEW_DB_MEMBERS, REVIEW_DB_FILES };
extern const char *const review_dbs[];

typedef struct {
    unsigned quorum_votes;
    unsigned quorum_colleges;
} review_rules_t;

/*  The rules from the environment (defaults of the charter). */
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

/*  The pure rule: given the decisions of the counted votes and their
 *  colleges, the decision reached, or NULL while the file stays open. */
const char *review_outcome(const review_rules_t *rules, const char *const *decisions,
                           const char *const *colleges, size_t count);

#endif
