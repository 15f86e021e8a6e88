/*  services/review/listing.h - the life of a listing after its approval.
 *
 *  A file approved (or reinstated after a complaint) is listed until:
 *    - it expires: `expires` = the earliest of the approval day plus
 *      ESSP_LISTING_YEARS years and, when ESSP_EXPIRY_FOLLOWS_CERTIFICATES
 *      is 1, the end of its ESUS agreement and of its Qualiopi
 *      certificate (dates at 00:00 UTC).  A reinstated listing keeps the
 *      term of its approval: a complaint neither shortens nor extends it.
 *      The expiry index (BE64 expires + id) lets `tick` read only what is
 *      due; tick withdraws at most REVIEW_TICK_MAX listings at a time;
 *    - staff bring a complaint: the listing is suspended and a complaint
 *      round decides to reinstate or withdraw it;
 *    - staff withdraw it;
 *    - a renewal of it is approved (the old file is withdrawn, "renewed");
 *    - the accompanying organisation asks for its data to be erased.
 *  Each end is a `withdrawn` event whose kind says which, with a reason
 *  in French for people.  Time comes only from the request or the event.
 */
#ifndef ESSP_REVIEW_LISTING_H
#define ESSP_REVIEW_LISTING_H

#include "committee.h"

typedef enum { EXPIRY_YEARS, EXPIRY_ESUS, EXPIRY_QUALIOPI } review_expiry_cause_t;

typedef struct {
    int64_t expires;                 /* unix seconds, 00:00 UTC */
    review_expiry_cause_t cause;
} review_expiry_t;

/*  The pure rule.  esus and qualiopi are the "YYYY-MM-DD" end dates of the
 *  agreement and the certificate, NULL when the application has none (a
 *  date that does not parse counts as none); they count only when
 *  `follows`.  On a tie the years are the cause. */
review_expiry_t review_expiry(int64_t approved_at, unsigned years, bool follows, const char *esus,
                              const char *qualiopi);

/*  The expiry of a file's listing approved at `approved_at`, from its
 *  application (rounds_application) and the rules. */
review_expiry_t listing_expiry_of(const review_rules_t *rules, const msgpack_object *application,
                                  int64_t approved_at);

const char *listing_cause_name(review_expiry_cause_t cause);

/*  The expiry index: adds id under expires, forgets the file's key. */
int listing_index_add(service_t *svc, MDB_txn *txn, const msgpack_object *id, int64_t expires);
int listing_index_forget(service_t *svc, MDB_txn *txn, const msgpack_object *file);

/*  complaint, withdraw, tick (staff). */
int listing_complaint(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int listing_withdraw(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);
int listing_tick(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

/*  The renewal `new_id` of the file `old_id` was approved: the old file,
 *  when listed, is withdrawn (kind renewed). */
int listing_renewed(review_t *self, service_t *svc, MDB_txn *txn, const char *old_id,
                    const char *new_id, int64_t now);

/*  `erased` from validation: the file keeps only what the audit needs
 *  (id, rounds, decisions, voters, dates), review's log is redacted, and
 *  `withdrawn` kind erased is appended. */
int listing_apply_erased(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                         int64_t now);

#endif
