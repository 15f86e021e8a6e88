/*  services/publication/keys.c - see keys.h. */
#include "keys.h"

#include "common/store.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <sodium.h>
#include <string.h>

void publication_keys_init(publication_keys_t *self, const stream_sign_key_t *first)
{
    memset(self, 0, sizeof *self);
    self->ring[0] = *first;
    self->ring_count = 1;
    self->links[0] = (publication_key_link_t){.since = 1, .seq = 0};
    memcpy(self->links[0].public_key, first->public_key, STREAM_SIGN_PUBLIC_BYTES);
    self->count = 1;
}

void publication_keys_clear(publication_keys_t *self)
{
    sodium_memzero(self->ring, sizeof self->ring);
    self->ring_count = 0;
}

const stream_sign_key_t *publication_keys_seed(const publication_keys_t *self,
                                               const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES])
{
    for (size_t i = 0; i < self->ring_count; i++)
        if (memcmp(self->ring[i].public_key, public_key, STREAM_SIGN_PUBLIC_BYTES) == 0)
            return &self->ring[i];
    return NULL;
}

int publication_keys_add_seed(publication_keys_t *self, const stream_sign_key_t *key)
{
    if (publication_keys_seed(self, key->public_key))
        return 0;
    if (self->ring_count == PUBLICATION_KEYS_MAX)
        return -1;
    self->ring[self->ring_count++] = *key;
    return 0;
}

int publication_keys_index(const publication_keys_t *self,
                           const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES])
{
    for (size_t i = 0; i < self->count; i++)
        if (memcmp(self->links[i].public_key, public_key, STREAM_SIGN_PUBLIC_BYTES) == 0)
            return (int)i;
    return -1;
}

const publication_key_link_t *publication_keys_link_at(const publication_keys_t *self, uint64_t seq)
{
    size_t i = self->count;
    while (i > 1 && self->links[i - 1].since > seq)
        i--;
    return &self->links[i - 1];
}

const stream_sign_key_t *publication_keys_at(const publication_keys_t *self, uint64_t seq)
{
    return publication_keys_seed(self, publication_keys_link_at(self, seq)->public_key);
}

const publication_key_link_t *publication_keys_current(const publication_keys_t *self)
{
    return &self->links[self->count - 1];
}

/*  One stored link: {key: bin 32, since, seq}. */
static bool s_link_decode(const MDB_val *v, msgpack_zone *zone, publication_key_link_t *link)
{
    msgpack_object record;
    proto_error_t err;
    if (wire_decode_stored(v->mv_data, v->mv_size, zone, &record, &err) != 0)
        return false;
    const msgpack_object *key = doc_get(&record, "key");
    if (!key || key->type != MSGPACK_OBJECT_BIN || key->via.bin.size != STREAM_SIGN_PUBLIC_BYTES
        || !doc_uint(&record, "since", &link->since) || !doc_uint(&record, "seq", &link->seq))
        return false;
    memcpy(link->public_key, key->via.bin.ptr, STREAM_SIGN_PUBLIC_BYTES);
    return true;
}

int publication_keys_read(publication_keys_t *self, MDB_txn *txn, MDB_dbi db)
{
    MDB_stat st;
    int rc = mdb_stat(txn, db, &st);
    if (rc || (st.ms_entries == self->stored && self->count == (self->stored ? self->stored : 1)))
        return rc;
    MDB_cursor *cursor;
    rc = mdb_cursor_open(txn, db, &cursor);
    if (rc)
        return rc;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    size_t count = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0 && count < PUBLICATION_KEYS_MAX;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(&zone);
        if (!s_link_decode(&v, &zone, &self->links[count])) {
            rc = MDB_CORRUPTED;
            break;
        }
        count++;
    }
    mdb_cursor_close(cursor);
    msgpack_zone_destroy(&zone);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    self->stored = count;
    if (count) {
        self->count = count;
    } else if (self->ring_count) {
        /* No rotation ever: the first seed signs from seq 1. */
        self->links[0] = (publication_key_link_t){.since = 1, .seq = 0};
        memcpy(self->links[0].public_key, self->ring[0].public_key, STREAM_SIGN_PUBLIC_BYTES);
        self->count = 1;
    }
    return 0;
}

static int s_link_put(MDB_txn *txn, MDB_dbi db, const publication_key_link_t *link)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    proto_pack_str(&pk, "key");
    msgpack_pack_bin_with_body(&pk, link->public_key, STREAM_SIGN_PUBLIC_BYTES);
    proto_pack_kv_uint(&pk, "since", link->since);
    proto_pack_kv_uint(&pk, "seq", link->seq);
    unsigned char key[8];
    store_u64_key(link->since, key);
    int rc = store_put(txn, db, key, sizeof key, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

int publication_keys_append(publication_keys_t *self, MDB_txn *txn, MDB_dbi db,
                            const publication_key_link_t *link)
{
    if (self->count == PUBLICATION_KEYS_MAX)
        return -1;
    self->links[self->count++] = *link;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < self->count; i++)
        rc = s_link_put(txn, db, &self->links[i]);
    if (rc == 0)
        self->stored = self->count;
    return rc;
}
