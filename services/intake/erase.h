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

/*  Whether an application of this listing (SIRET and advisor, as
 *  listing_key makes it) was erased, and when (*at, unix
 *  seconds).  An import is published without a vote: run again with the
 *  file the directory came from, it would bring back the data of a
 *  person who asked for their erasure.  The erasure keeps only a keyed
 *  hash of the listing (BLAKE2b under intake's secret, the one tokens are
 *  derived with), which names nobody without that secret and a guess of
 *  both the SIRET and the advisor's name.  0 or an LMDB code. */
int erase_listing_erased(MDB_txn *txn, service_t *svc, const scratch_t *s, const char *listing, bool *erased,
                         uint64_t *at);

#endif
