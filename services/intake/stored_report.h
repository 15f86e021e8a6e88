/*  services/intake/stored_report.h - the latest validation report of an
 *  application, as intake keeps it (INTAKE_DB_REPORTS).
 *
 *  A report lists every criterion of the charter with five fields; most
 *  criteria pass, with `blocking: false` and `field: ""`.  Kept as
 *  validation sends it, a report of 21 criteria is 2,104 bytes: just over
 *  the 2,038 bytes an LMDB value may take inside a 4 KiB leaf, so each
 *  report took a page of its own.  Intake keeps a criterion without those
 *  two defaults (1,771 bytes for the same report, two reports a page) and
 *  puts them back when a status reply gives the report: what leaves the
 *  service is the report as validation made it.  Reports stored whole by
 *  an earlier version are given as they are.
 *
 *  A report of exactly the shape validation packs (charter_report_pack)
 *  is kept in a compact form: an array [1, charter, verdict, private_area,
 *  criteria], each criterion [code, outcome, blocking, field, reason]
 *  without keys, the outcome by its number, and a reason that is one of
 *  the charter's frequent fixed texts ("Engagement pris.") by its number
 *  in a table that only grows.  A report of the bench's applications
 *  takes 418 bytes instead of 1,747: nine a leaf instead of two.  Any
 *  other shape is kept as above. */
#ifndef ESSP_INTAKE_STORED_REPORT_H
#define ESSP_INTAKE_STORED_REPORT_H

#include "common/service.h"

#include <lmdb.h>
#include <msgpack.h>
#include <stddef.h>

/*  Packs `report` as it is kept into buf (cleared first). */
void stored_report_pack(msgpack_sbuffer *buf, const msgpack_object *report);

/*  Packs the kept bytes as validation made them: each criterion's
 *  `blocking` and `field`, when left out, come back (false, "") after its
 *  `outcome`.  Bytes that do not decode go out as nil, with a warning:
 *  -1 then, 0 otherwise. */
int stored_report_unpack(msgpack_packer *pk, const void *kept, size_t len);

/*  Stores the report of application `id`, replacing the one before. */
int stored_report_put(MDB_txn *txn, service_t *svc, const char *id, size_t id_len,
                      const msgpack_object *report, msgpack_sbuffer *buf);

#endif
