/*  services/publication/listed_since.h - since when a listing has been in
 *  the directory: an entry's listed_since ("YYYY-MM-DD").
 *
 *  A visitor trusts a listing more when it has been in the directory for
 *  years, and a renewal or a new version must not make it look new.  So
 *  the first day travels with the listing: the next version of an id
 *  (an amendment, a reinstatement after a suspension) keeps its own; a
 *  renewal takes the one of the listing it renews, whether that one is
 *  still listed or has ended (what "entries" keeps of a withdrawn id holds
 *  it too); a listing that is new starts on the day of its approval.
 */
#ifndef ESSP_PUBLICATION_LISTED_SINCE_H
#define ESSP_PUBLICATION_LISTED_SINCE_H

#include "common/service.h"

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>

/*  The first day kept in a record of "entries" ({version, entry} or
 *  {version, withdrawn, listed_since}): the entry's listed_since, else
 *  (an entry published before listed_since existed) the day of its
 *  approved_at, else the record's own listed_since.  False when the record
 *  says nothing of it.  day is copied: the record may point into the
 *  database. */
bool listed_since_of(const msgpack_object *record, char day[11]);

/*  The first day of a listing that the decided event makes and that has
 *  no record of its own yet: the one of the listing it "renews" when
 *  publication knows it, else the day of the event's "approved_at" (an
 *  imported listing's original approval), else of its "at".  Returns 0
 *  or an LMDB code. */
int listed_since_new(service_t *svc, MDB_txn *txn, const msgpack_object *event, msgpack_zone *zone,
                     char day[11]);

#endif
