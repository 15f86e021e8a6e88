/*  services/intake/streams.h - intake follows the file through its life:
 *  the streams of validation, review and publication, as
 *  service_def_t.upstreams of intake's shell.
 *
 *  Intake reads the three streams independently, so an event is applied
 *  only when it moves the application forward (rules.h) and concerns its
 *  current revision; each change of state is one history record.
 */
#ifndef ESSP_INTAKE_STREAMS_H
#define ESSP_INTAKE_STREAMS_H

#include "common/service.h"

/*  The streams intake follows.  validation: "validated" (the report;
 *  incomplete, or kept while the file stays received until review has it).
 *  review: "queued" (a round is open and members can vote: a review round
 *  moves a received file to in_review, an appeal round an appealed
 *  rejection; complaint rounds are recorded), "decided" (approve, reject,
 *  changes in review and appeal rounds; reinstate, withdraw in complaint
 *  rounds), "withdrawn" (kind suspended suspends the file, every other
 *  kind ends it).  publication: "upsert" (published), "withdraw" (reason
 *  suspended suspends, any other ends the file).  Each change is one
 *  history record. */
/*  What intake never reads of each stream's events, left out of its
 *  pulls (service_upstream_t.omit): the application that "validated" and
 *  "decided" carry for review and publication (intake keeps its own), and
 *  the signature of an entry (intake does not verify its own pipeline's
 *  stream; a downstream site does). */
extern const char *const intake_validation_omit[];
extern const char *const intake_review_omit[];
extern const char *const intake_publication_omit[];

int intake_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now);
int intake_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                        const msgpack_object *event, int64_t now);
int intake_apply_publication(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now);

#endif
