/*  services/intake/import.h - listings approved before essp existed,
 *  brought in by the staff (essp import; proto/README.md « Importer
 *  l'annuaire existant »).
 *
 *  `import` (staff key, secure endpoint) carries up to IMPORT_ROWS_MAX
 *  rows {line, application, approved_at}.  Each row is checked, in this
 *  order, before anything is stored: the schema (schema_validate, as a
 *  submission), the approval date (not in the future), the charter
 *  (charter_check as of today, the code validation runs: a blocking
 *  failure refuses the row), the listing's term (approved more than
 *  ESSP_LISTING_YEARS years ago: it has ended, reported and not
 *  imported), and whether the listing (structure and advisor) is already
 *  here (reported, not imported again: an import run twice, or resumed
 *  after a kill, adds nothing twice).  The rows that pass are stored in
 *  the request's one transaction as applications with provenance
 *  "imported" and their approved_at, and `submitted` carries both:
 *  validation passes them on and review decides them without a round
 *  (services/review/direct.h).  With dry_run nothing is stored: the
 *  reply says what would happen.
 *
 *  The reply `imported`: {dry_run, results: [{line, outcome, id?, field?,
 *  rule?, message?}]}, one result per row in order; outcome is imported,
 *  would_import (dry run), already, ended or refused; messages in French.
 */
#ifndef ESSP_INTAKE_IMPORT_H
#define ESSP_INTAKE_IMPORT_H

#include "record.h"

int import_rows(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s);

#endif
