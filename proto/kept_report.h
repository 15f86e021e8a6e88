/*  proto/kept_report.h - a validation report as a service keeps it in its
 *  store (intake's reports, review's): smaller, and given back as
 *  validation made it, byte for byte.
 *
 *  A report lists every criterion of the charter with five fields; most
 *  criteria pass, with `blocking: false` and `field: ""`.  Kept as
 *  validation sends it, a report of 21 criteria is 2,104 bytes: just over
 *  the 2,038 bytes an LMDB value may take inside a 4 KiB leaf, so each
 *  report took a page of its own.
 *
 *  A report of exactly the shape validation packs (charter_report_pack)
 *  is kept in a compact form: an array [1, charter, verdict, private_area,
 *  criteria], each criterion [code, outcome, blocking, field, reason]
 *  without keys, the outcome by its number, and a reason that is one of
 *  the charter's frequent fixed texts ("Engagement pris.") by its number
 *  in a table that only grows.  A report of the bench's applications
 *  takes 418 bytes instead of 1,747: nine a leaf instead of two.  A report
 *  of any other shape is kept as a map, each criterion without those two
 *  defaults (1,771 bytes for the same report).  Reports kept whole by an
 *  earlier version are given as they are.
 */
#ifndef ESSP_PROTO_KEPT_REPORT_H
#define ESSP_PROTO_KEPT_REPORT_H

#include "error.h"

#include <msgpack.h>
#include <stddef.h>

/*  Packs `report` as it is kept into buf (cleared first). */
void kept_report_pack(msgpack_sbuffer *buf, const msgpack_object *report);

/*  Packs the kept bytes as validation made them (a map's criteria get
 *  back their `blocking` and `field` after their `outcome`).  Bytes that
 *  do not decode, or a compact form that names no known outcome or
 *  reason, go out as nil: -1 then, with err saying why, 0 otherwise. */
int kept_report_unpack(msgpack_packer *pk, const void *kept, size_t len, proto_error_t *err);

/*  The report as validation made it, decoded into zone (its bytes too).
 *  -1 with err as kept_report_unpack. */
int kept_report_decode(const void *kept, size_t len, msgpack_zone *zone, msgpack_object *report, proto_error_t *err);

#endif
