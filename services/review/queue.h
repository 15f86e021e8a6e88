/*  services/review/queue.h - what a member has to vote on.
 *
 *  A member's queue lists the open files whose current round has no vote
 *  of theirs, in id order, a page at a time ("after" the last id seen, at
 *  most "limit" items), and examines at most QUEUE_SCAN_MAX files per
 *  request, so that a reply stays bounded however long the store and
 *  however selective the filters: when the scan stops early the reply
 *  says "next" and the client asks again from there.
 *
 *  Filters: college C keeps the files whose current round has no vote
 *  from college C yet; department D the files whose applicant is in D
 *  (from the organisation's postcode); theme T the files whose offer
 *  lists T.
 */
#ifndef ESSP_REVIEW_QUEUE_H
#define ESSP_REVIEW_QUEUE_H

#include "committee.h"

#define QUEUE_SCAN_MAX 20000

int queue_list(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  A filter of the queue; NULL fields match everything. */
typedef struct {
    const char *college;
    const char *department;
    const char *theme;
} review_filter_t;

/*  What the filters look at in a file. */
typedef struct {
    const char *const *voted_colleges;   /* colleges with a vote in the current round */
    size_t voted_count;
    const char *department;              /* "" when unknown */
    const char *const *themes;
    size_t theme_count;
} review_facts_t;

bool review_filter_matches(const review_filter_t *filter, const review_facts_t *facts);

#endif
