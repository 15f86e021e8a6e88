/*  services/intake/submit.h - an application comes in: submit (a new one)
 *  and amend (a new revision of an incomplete one, or of one whose changes
 *  the committee requested).
 *
 *  Both check the application against the whole schema, store it with
 *  its identifiers normalized, answer a receipt and append "submitted" for
 *  validation.  Refusals (service_refuse): the schema's, a key used with
 *  another application, a second open application for one SIRET, a
 *  renewal of what cannot be renewed, an amendment in the wrong state or
 *  changing the SIRET.
 */
#ifndef ESSP_INTAKE_SUBMIT_H
#define ESSP_INTAKE_SUBMIT_H

#include "record.h"

int submit_new(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);
int submit_amend(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);

#endif
