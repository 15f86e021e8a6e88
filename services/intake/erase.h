/*  services/intake/erase.h - erasure of an application's personal data,
 *  on a staff key's request (secure endpoint only).
 *
 *  Intake keeps a pseudonymised record (id, revision, dates, decisions
 *  without motivations, state withdrawn, reason erased), drops the
 *  application, its report and its SIRET, erases the whys of its history
 *  (which still verifies), redacts its own log, and appends "erased",
 *  which validation passes on to review and publication.  Erasing an
 *  erased application answers the same and changes nothing.
 */
#ifndef ESSP_INTAKE_ERASE_H
#define ESSP_INTAKE_ERASE_H

#include "record.h"

int erase_application(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);

#endif
