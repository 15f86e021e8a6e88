/*  services/intake/keys.h - idempotency keys: a retried submit, amend or
 *  appeal with the same "key" gets the same answer and changes nothing.
 *
 *  A key is remembered (INTAKE_DB_KEYS) with the application it made and,
 *  for a submit or an amend, the digest of the application first sent
 *  with it: keys are the clients' choice, and without the digest anyone
 *  who sends another applicant's key would get that applicant's receipt.
 */
#ifndef ESSP_INTAKE_KEYS_H
#define ESSP_INTAKE_KEYS_H

#include "record.h"

/*  The remembered entry of the request's key into *known: 0, MDB_NOTFOUND
 *  (a new key, or no key), or an LMDB code. */
int keys_lookup(MDB_txn *txn, service_t *svc, const msgpack_object *msg, scratch_t *s, msgpack_object *known);

/*  True when a remembered key belongs to the application `id`. */
bool keys_is_for(const msgpack_object *known, const char *id, size_t id_len);

/*  True when a remembered key was first sent with this request's
 *  application (keys remembered before digests existed: true). */
bool keys_matches(const msgpack_object *known, const msgpack_object *msg);

/*  Remembers the request's key (none: nothing to do) for application id
 *  at this revision; `appeal` marks the key of an appeal. */
int keys_remember(MDB_txn *txn, service_t *svc, const msgpack_object *msg, const char *id, uint64_t revision,
                  bool appeal);

#endif
