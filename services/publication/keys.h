/*  services/publication/keys.h - the chain of keys that sign the stream.
 *
 *  The stream is signed by one key at a time.  A rotation appends a "key"
 *  event, signed by the key in force, that names the next key and the seq
 *  from which it signs (proto/stream_sign.h); the chain of those links is
 *  also kept in publication's store ("keys": since, as 8 bytes BE ->
 *  {key, since, seq}), written in the same transaction as the key event,
 *  so that the store, not the files, says which key signs now.  An empty
 *  "keys" means no rotation ever: the one key signs from seq 1.
 *
 *  The seeds are at hand in a ring (the key files of $ESSP_HOME/keys:
 *  common/stream_key.h): the current one signs new events, an older one
 *  signs again the redacted events of the seqs it signed, so that a
 *  site that verifies from seq 0 with the first key, following the key
 *  events, verifies every event.
 */
#ifndef ESSP_PUBLICATION_KEYS_H
#define ESSP_PUBLICATION_KEYS_H

#include "proto/stream_sign.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUBLICATION_KEYS_MAX 64

typedef struct {
    uint64_t since;          /* the first seq this key signs */
    uint64_t seq;            /* the seq of the key event that named it (0: the first key) */
    unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES];
} publication_key_link_t;

typedef struct {
    publication_key_link_t links[PUBLICATION_KEYS_MAX];   /* the chain, in seq order */
    size_t count;
    size_t stored;           /* how many links the store held when last read or written */
    stream_sign_key_t ring[PUBLICATION_KEYS_MAX];         /* the seeds at hand */
    size_t ring_count;
} publication_keys_t;

/*  A chain of one link, `first` signing from seq 1, and first in the ring. */
void publication_keys_init(publication_keys_t *self, const stream_sign_key_t *first);

/*  Forgets the seeds. */
void publication_keys_clear(publication_keys_t *self);

/*  Puts a seed in the ring unless it is there; 0, or -1 when the ring is
 *  full. */
int publication_keys_add_seed(publication_keys_t *self, const stream_sign_key_t *key);

/*  The seed of a public key, or NULL. */
const stream_sign_key_t *publication_keys_seed(const publication_keys_t *self,
                                               const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES]);

/*  The position (0 = the first key) of a public key in the chain, or -1. */
int publication_keys_index(const publication_keys_t *self,
                           const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES]);

/*  The link in force at seq (the last whose since <= seq). */
const publication_key_link_t *publication_keys_link_at(const publication_keys_t *self, uint64_t seq);

/*  The seed that signs event seq, or NULL when it is not at hand. */
const stream_sign_key_t *publication_keys_at(const publication_keys_t *self, uint64_t seq);

/*  The link in force now (the last one). */
const publication_key_link_t *publication_keys_current(const publication_keys_t *self);

/*  Reads the chain from db under txn; an empty db leaves a chain of one
 *  link: the first seed of the ring from seq 1.  Links are only ever
 *  appended, so when the store holds as many as when last read or written
 *  the chain in hand is its (a rolled back rotation leaves fewer, and is
 *  read again).  0 or an LMDB code. */
int publication_keys_read(publication_keys_t *self, MDB_txn *txn, MDB_dbi db);

/*  Appends a link to the chain and writes the whole chain to db (so that
 *  the first link is written too when it was implicit).  0, -1 when the
 *  chain is full, or an LMDB code. */
int publication_keys_append(publication_keys_t *self, MDB_txn *txn, MDB_dbi db,
                            const publication_key_link_t *link);

#endif
