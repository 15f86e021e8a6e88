/*  services/validation/validation.h - the charter, applied to every file.
 *
 *  Validation follows intake's stream of submissions, checks each revision
 *  against the charter (charter.h) as on the day it was submitted (so a
 *  replay gives the same report), and appends one "validated" event with
 *  the report: intake shows it to the applicant, and review, when nothing
 *  blocking failed, puts the file in the committee's queue; a renewal's
 *  `renews` goes on with it.  An applicant's `appealed` and intake's
 *  `erased` are passed on unchanged as validation's own events, so that
 *  review reads one stream.  It holds no other state than its cursor and
 *  its log: exactly once comes from committing both together, and an
 *  erasure has only the log to clean: every earlier event about the
 *  application becomes {seq, v, type:"redacted", at, id} before the
 *  `erased` is appended.
 */
#ifndef ESSP_VALIDATION_H
#define ESSP_VALIDATION_H

#include "common/service.h"

int validation_apply_intake(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now);

int validation_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req);

#endif
