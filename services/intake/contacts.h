/*  services/intake/contacts.h - which applications a contact's e-mail
 *  names, so that a lost tracking link can be sent again (reissue.h)
 *  without reading every application.
 *
 *  The index (INTAKE_DB_CONTACTS) maps the keyed hash of the address of
 *  `organisation.private_contact.email`, trimmed and with its ASCII
 *  letters in lower case, followed by the application's id, to nothing:
 *  the applications of one address are one range of keys.  The hash is
 *  keyed with intake's secret, so the index alone does not give the
 *  addresses away; an erased application leaves it.  Written with each
 *  submission, amendment and erasure through index_batch.h; built once for
 *  the applications stored before it existed (contacts_build, at start).
 */
#ifndef ESSP_INTAKE_CONTACTS_H
#define ESSP_INTAKE_CONTACTS_H

#include "record.h"

#define CONTACTS_HASH_BYTES 32

/*  The hash an address is indexed under: false when the address, once
 *  trimmed, is empty or longer than PROTO_EMAIL_MAX. */
bool contacts_hash(const scratch_t *s, const char *email, size_t len, unsigned char hash[CONTACTS_HASH_BYTES]);

/*  The hash of an application's contact address (application: the
 *  document); false when it has none. */
bool contacts_hash_of(const scratch_t *s, const msgpack_object *application,
                      unsigned char hash[CONTACTS_HASH_BYTES]);

/*  Adds / removes the application `id` under `hash`. */
int contacts_put(MDB_txn *txn, scratch_t *s, const unsigned char hash[CONTACTS_HASH_BYTES], const char *id,
                 size_t id_len);
int contacts_del(MDB_txn *txn, scratch_t *s, const unsigned char hash[CONTACTS_HASH_BYTES], const char *id,
                 size_t id_len);

/*  The hash of the contact of the stored application `id` into *hash:
 *  0, MDB_NOTFOUND when it has no document or no address, or an LMDB
 *  code.  Read before the document is replaced or deleted. */
int contacts_stored_hash(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                         unsigned char hash[CONTACTS_HASH_BYTES]);

/*  Calls fn for each id indexed under hash (at most `max`), in id order,
 *  *count of them: 0 or an LMDB code.  fn must not write to the index. */
int contacts_each(MDB_txn *txn, scratch_t *s, const unsigned char hash[CONTACTS_HASH_BYTES], size_t max,
                  void (*fn)(const char *id, size_t len, void *arg), void *arg, size_t *count);

/*  Indexes every stored application once (a mark in INTAKE_DB_META says
 *  it was done): 0 or an LMDB code. */
int contacts_build(MDB_txn *txn, service_t *svc, scratch_t *s);

#endif
