/*  services/intake/keys.h - idempotency keys: a retried submit, amend or
 *  appeal with the same "key" gets the same answer and changes nothing.
 *
 *  A key is remembered (INTAKE_DB_KEYS) with the application it made and,
 *  for a submit or an amend, what it was first sent with: keys are the
 *  clients' choice, and without that anyone who sends another applicant's
 *  key would get that applicant's receipt.  What it was sent with is the
 *  seq of the "submitted" event the request made, which carries the
 *  application as intake keeps it (identifiers reduced to digits, see
 *  application.h; documents.h: the log keeps that event for good).  A
 *  retry is the same request when its application, reduced the same way,
 *  is byte for byte the event's.  Nothing is computed for a key that is
 *  never retried: keys remembered with a digest of the application (by an
 *  earlier version) are still checked against that digest.
 */
#ifndef ESSP_INTAKE_KEYS_H
#define ESSP_INTAKE_KEYS_H

#include "record.h"

/*  The remembered entry of the request's key into *known: 0, MDB_NOTFOUND
 *  (a new key, or no key), or an LMDB code. */
int keys_lookup(MDB_txn *txn, scratch_t *s, const msgpack_object *msg, msgpack_object *known);

/*  True when a remembered key belongs to the application `id`. */
bool keys_is_for(const msgpack_object *known, const char *id, size_t id_len);

/*  What a remembered key was first sent with, beside this request. */
typedef enum {
    KEYS_SAME,                   /* this request's application (or a key kept
                                  * before either the event or a digest was) */
    KEYS_OTHER,                  /* another application */
    KEYS_ERASED                  /* an application erased since */
} keys_match_t;

/*  Whether a remembered key was first sent with this request's
 *  application, into *match.  0 or an LMDB code. */
int keys_matches(MDB_txn *txn, service_t *svc, const msgpack_object *known, const msgpack_object *msg,
                 keys_match_t *match);

/*  Refuses a request whose key was first sent with something else:
 *  conflict / key / unique, the message saying what (`other` for
 *  KEYS_OTHER, "... another application"). */
int keys_refuse(service_request_t *req, keys_match_t match, const char *other);

/*  Remembers the request's key (none: nothing to do) for application id
 *  at this revision, made by the "submitted" event `event`; an appeal's
 *  key (event 0) is marked as such. */
int keys_remember(MDB_txn *txn, scratch_t *s, const msgpack_object *msg, const char *id, uint64_t revision,
                  uint64_t event);

#endif
