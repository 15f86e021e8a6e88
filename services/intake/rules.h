/*  services/intake/rules.h - the rules of an application's life that
 *  depend only on its record: who may appeal, what a renewal may renew,
 *  which state an event of the streams leads to.
 *
 *  Pure functions over intake's stored record (a MessagePack map, see
 *  intake.h): no LMDB, no clock, so that each rule is tested alone
 *  (tests/unit/test_intake_rules.c).  A refusal fills a proto_error_t
 *  (field, rule, message) and returns the error code of the reply.
 */
#ifndef ESSP_INTAKE_RULES_H
#define ESSP_INTAKE_RULES_H

#include "proto/error.h"
#include "proto/listing.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

/*  Where a state stands in the life of one revision: events of the
 *  streams, which intake reads in no fixed order between streams, move a
 *  file forward only (suspended ranks with published). */
int intake_state_rank(const char *state, size_t len);

/*  `state` when it moves the record forward by rank, else NULL. */
const char *intake_forward(const msgpack_object *record, const char *state);

/*  The state after review's "queued" (a round of kind `kind` is open, so
 *  members can vote): in_review for a review round of a received file (its
 *  revision passed validation) and for the appeal round of a rejected file
 *  that was appealed; NULL otherwise (a complaint round leaves a listing
 *  suspended; a late event moves nothing back). */
const char *intake_queued_state(const msgpack_object *record, const char *kind, size_t len);

/*  An appeal of the application whose record this is: NULL when it may be
 *  appealed, else the error code with err filled.  The motivation must say
 *  something (invalid / motivation / required); one appeal per application
 *  (conflict / id / appeal_used); only a rejection can be appealed
 *  (conflict / id / state). */
const char *intake_appeal_refused(const msgpack_object *record, const char *motivation, size_t len,
                                  proto_error_t *err);

/*  A listing's key (proto/listing.h). */
#define INTAKE_LISTING_MAX LISTING_KEY_MAX

/*  The listing key a stored record holds ("listing"; records stored
 *  before the advisor field hold only "siret", which is their key). */
void intake_record_listing(const msgpack_object *record, char out[INTAKE_LISTING_MAX]);

/*  A renewal of `renewed` (the record named by "renews", NULL when there
 *  is none) by an application for `listing` (its key): NULL when it may,
 *  else PROTO_E_INVALID with err on field "renews", rule exists,
 *  same_siret (another structure or another advisor) or state.  What may
 *  be renewed: a listing approved or published, or withdrawn because it
 *  expired or was renewed already. */
const char *intake_renewal_refused(const msgpack_object *renewed, const char *renewed_id, const char *listing,
                                   proto_error_t *err);

/*  Whether a new application of the SIRET may open while `holder` (the
 *  record of the application that holds the SIRET, id holder_id) exists:
 *  when that one is closed (rejected, withdrawn), or when the new one
 *  renews it (renews, may be NULL) while it is still approved or
 *  published. */
bool intake_siret_free(const msgpack_object *holder, const char *holder_id, const char *renews);

/*  Suspensions are counted on each stream: review's "withdrawn" kind
 *  suspended, publication's "withdraw" reason suspended.  Publication
 *  withdraws a listing for the k-th suspension only after review made it,
 *  and lists it again only after review reinstated it, so comparing the
 *  counts tells a late event of one stream from a new one, whichever
 *  stream intake reads first. */
typedef enum { INTAKE_BY_REVIEW = 1, INTAKE_BY_PUBLICATION = 2 } intake_stream_t;

/*  The counts a record keeps under "suspensions" ([review, publication]). */
void intake_suspensions(const msgpack_object *record, uint64_t *by_review, uint64_t *by_publication);

/*  The state after one more suspension seen on stream `by`: suspended, or
 *  NULL when the state stays (the file was withdrawn, or the other stream
 *  already showed this suspension and the file was reinstated since). */
const char *intake_suspended_state(const msgpack_object *record, intake_stream_t by);

/*  The state after publication's "upsert": published when it moves an
 *  approved file forward, or a suspended one that publication has listed
 *  again after every suspension review made; NULL otherwise (a late
 *  listing, a withdrawn file). */
const char *intake_listed_state(const msgpack_object *record);

#endif
