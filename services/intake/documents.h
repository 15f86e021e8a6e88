/*  services/intake/documents.h - the application of each file: as it was
 *  last submitted (INTAKE_DB_DOCUMENTS), and as it is on the directory
 *  while an update of the listing waits (INTAKE_DB_LISTED, update.h).
 *
 *  The application travels in intake's "submitted" event, which
 *  validation consumes and which intake's log keeps for good: it is kept
 *  there only.  INTAKE_DB_DOCUMENTS holds, for each id, the seq of the
 *  event that carries its last revision (a msgpack uint64, 9 bytes), and
 *  the application is cut from the event's stored bytes
 *  (stream_omit_field), not decoded and packed again.  Kept in both
 *  places, each 1.75 KB application took half a leaf twice.
 *
 *  An application stored whole by an earlier version (a msgpack map) is
 *  read as it is; so is what INTAKE_DB_LISTED holds (a copy of either).
 *  Erasure deletes the id from both and redacts the event (erase.h): a
 *  redacted event has no application, read as none.
 */
#ifndef ESSP_INTAKE_DOCUMENTS_H
#define ESSP_INTAKE_DOCUMENTS_H

#include "intake.h"

#include <lmdb.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/*  Records that the application of `id` is the one event `seq` carries. */
int documents_put(MDB_txn *txn, service_t *svc, const char *id, size_t id_len, uint64_t seq);

/*  The application's bytes from what a database holds under an id (the
 *  seq of an event, or the application itself).  Valid until txn writes.
 *  0, MDB_NOTFOUND (a redacted or missing event), MDB_CORRUPTED, or an
 *  LMDB code. */
int documents_resolve(MDB_txn *txn, service_t *svc, const MDB_val *stored, MDB_val *application);

/*  The application event `seq` carries, as bytes, valid until txn
 *  writes.  0, MDB_NOTFOUND (a redacted event), MDB_CORRUPTED (no such
 *  event), or an LMDB code. */
int documents_of_event(MDB_txn *txn, service_t *svc, uint64_t seq, MDB_val *application);

/*  The application of `id` in database `db` (INTAKE_DB_DOCUMENTS or
 *  INTAKE_DB_LISTED), as bytes.  0, MDB_NOTFOUND, or an LMDB code. */
int documents_get_raw(MDB_txn *txn, service_t *svc, int db, const char *id, size_t id_len, MDB_val *application);

/*  The same, decoded into zone. */
int documents_get(MDB_txn *txn, service_t *svc, int db, const char *id, size_t id_len, msgpack_zone *zone,
                  msgpack_object *application);

#endif
