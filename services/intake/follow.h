/*  services/intake/follow.h - what an applicant asks of an application
 *  once it is submitted: its status, its history (the audit trail,
 *  verified), and an appeal of a rejection.
 *
 *  An unknown id and a wrong token get the same refusal (not_found), so
 *  that nobody learns which ids exist.
 */
#ifndef ESSP_INTAKE_FOLLOW_H
#define ESSP_INTAKE_FOLLOW_H

#include "record.h"

int follow_status(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);
int follow_history(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);
int follow_appeal(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);

#endif
