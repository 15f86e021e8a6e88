/*  proto/kept_report.h - a validation report as validation sends it in
 *  its `validated` events and as a service keeps it in its store (intake's
 *  reports, review's): smaller, and given back as validation made it (the
 *  map of charter_report_pack), byte for byte.
 *
 *  A report lists every criterion of the charter with five fields; most
 *  criteria pass, with `blocking: false` and `field: ""`.  As a map, a
 *  report of 21 criteria is 2,104 bytes: just over the 2,038 bytes an LMDB
 *  value may take inside a 4 KiB leaf, so each report took a page of its
 *  own, and every consumer of validation's stream decoded it.
 *
 *  A report of exactly the shape validation packs (charter_report_pack)
 *  is kept in a compact form: an array [1, charter, verdict, private_area,
 *  criteria], each criterion [code, outcome, blocking, field, reason]
 *  without keys, the outcome by its number, and a reason that is one of
 *  the charter's frequent fixed texts ("Engagement pris.") by its number
 *  in a table that only grows.  A report of the bench's applications
 *  takes 418 bytes instead of 2,104: nine a leaf instead of a page each.  A report
 *  of any other shape is kept as a map, each criterion without those two
 *  defaults (1,771 bytes for the same report).  Reports kept whole by an
 *  earlier version are given as they are.
 */
#ifndef ESSP_PROTO_KEPT_REPORT_H
#define ESSP_PROTO_KEPT_REPORT_H

#include "charter.h"
#include "error.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

/*  Packs the compact form of `report` into pk: the bytes kept_report_pack
 *  gives for the map charter_report_pack writes, without that map (what
 *  validation sends in its `validated` events, proto/README.md). */
void kept_report_pack_charter(msgpack_packer *pk, const charter_report_t *report);

/*  One criterion of a report, its texts pointing into the report (or
 *  into the table of frequent reasons); not NUL-terminated. */
typedef struct {
    const char *code, *outcome, *field, *reason;
    size_t code_len, outcome_len, field_len, reason_len;
    bool blocking;
} kept_criterion_t;

/*  Calls fn on each criterion of `report` in order, whichever form it is
 *  in (a `validated` event's compact form, a map of an earlier version's
 *  event, a map kept without its defaults), without packing it again; stops
 *  at fn's first non-zero and returns it.  -1 with err when report is not a
 *  report or a criterion is not one (the criteria before it were given). */
int kept_report_each(const msgpack_object *report, int (*fn)(const kept_criterion_t *criterion, void *arg),
                     void *arg, proto_error_t *err);

/*  Packs `report` as it is kept into buf (cleared first); a report that is
 *  already compact is packed as it is. */
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
