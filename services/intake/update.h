/*  services/intake/update.h - an update of a listing already approved or
 *  published (issue "Mettre à jour une fiche", proto/README.md 7.6).
 *
 *  The applicant sends the whole document again, as for any `amend`.  The
 *  listing stays as it is while the update goes through validation and,
 *  when a substantive field changed, a committee round: the record keeps
 *  its state (approved, published), and an "update" map says what is on
 *  its way: {revision, changed: [paths], substantive, at}.  Review decides
 *  minor from substantive again from its own copy of the listed
 *  application; intake's list is what the applicant and the history read.
 *
 *  An update is compared with the document on the directory: the stored
 *  document, or, once an update was sent (waiting, or refused), the copy
 *  kept apart in INTAKE_DB_LISTED until an update is approved.
 *
 *  Refused before anything is stored: an update that changes nothing, and
 *  one that fails the charter (a blocking criterion, judged on the day of
 *  the request exactly as validation will judge it): the listing must not
 *  be taken down, or left waiting, for an update that cannot pass.
 */
#ifndef ESSP_INTAKE_UPDATE_H
#define ESSP_INTAKE_UPDATE_H

#include "record.h"

#include "proto/schema_change.h"

/*  True when the record is a listing an update may change: approved or
 *  published. */
bool update_applies(const msgpack_object *record);

/*  True when the record's update is the revision `event` is about. */
bool update_is_for(const msgpack_object *record, const msgpack_object *event);

/*  Checks the update `application` (as sent) of the application id
 *  against its stored document: 0 with *changes filled, SERVICE_REFUSED
 *  with the refusal packed (invalid / application / unchanged; invalid /
 *  application.FIELD / the failing criterion's code), or an LMDB code. */
int update_check(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s, const char *id,
                 size_t id_len, const msgpack_object *application, schema_changes_t *changes);

/*  Before the document is replaced by an update: keeps the document on
 *  the directory apart (INTAKE_DB_LISTED), unless it is kept already (an
 *  update waits, or one was refused).  0 or an LMDB code. */
int update_keep_listed(MDB_txn *txn, service_t *svc, const char *id, size_t id_len);

/*  The update is listed (approved): the copy kept apart goes; erasure
 *  drops it too.  0 or an LMDB code. */
int update_forget_listed(MDB_txn *txn, service_t *svc, const char *id, size_t id_len);

/*  The history's why: "revision N; changed: P1, P2; minor" (or
 *  "substantive"). */
void update_describe(text_t *why, uint64_t revision, const schema_changes_t *changes);

/*  Packs the pair "update": {revision, changed, substantive, at}. */
void update_pack(msgpack_packer *pk, uint64_t revision, const schema_changes_t *changes, int64_t now);

/*  Packs "changed" and "substantive" (2 pairs) into a receipt. */
void update_pack_receipt(msgpack_packer *pk, const schema_changes_t *changes);

#endif
