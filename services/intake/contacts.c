/*  services/intake/contacts.c - see contacts.h. */
#include "contacts.h"

#include "documents.h"

#include "proto/doc.h"
#include "common/log.h"
#include "common/store.h"

#include <sodium.h>
#include <string.h>

#define S_BUILT_KEY "contacts_indexed"
#define S_KEY_MAX (CONTACTS_HASH_BYTES + PROTO_ID_MAX)

static bool s_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

bool contacts_hash(const scratch_t *s, const char *email, size_t len, unsigned char hash[CONTACTS_HASH_BYTES])
{
    while (len && s_space(*email)) {
        email++;
        len--;
    }
    while (len && s_space(email[len - 1]))
        len--;
    if (!len || len > PROTO_EMAIL_MAX)
        return false;
    char folded[PROTO_EMAIL_MAX];
    for (size_t i = 0; i < len; i++)
        folded[i] = email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] - 'A' + 'a') : email[i];
    crypto_generichash_state state;
    crypto_generichash_init(&state, s->secret, sizeof s->secret, CONTACTS_HASH_BYTES);
    crypto_generichash_update(&state, (const unsigned char *)"essp-contact-v1", 16);
    crypto_generichash_update(&state, (const unsigned char *)folded, len);
    crypto_generichash_final(&state, hash, CONTACTS_HASH_BYTES);
    return true;
}

bool contacts_hash_of(const scratch_t *s, const msgpack_object *application,
                      unsigned char hash[CONTACTS_HASH_BYTES])
{
    const msgpack_object *email = doc_path(application, "organisation.private_contact.email");
    return email && email->type == MSGPACK_OBJECT_STR
           && contacts_hash(s, email->via.str.ptr, email->via.str.size, hash);
}

static size_t s_key(unsigned char key[S_KEY_MAX], const unsigned char hash[CONTACTS_HASH_BYTES], const char *id,
                    size_t id_len)
{
    memcpy(key, hash, CONTACTS_HASH_BYTES);
    memcpy(key + CONTACTS_HASH_BYTES, id, id_len);
    return CONTACTS_HASH_BYTES + id_len;
}

int contacts_put(MDB_txn *txn, scratch_t *s, const unsigned char hash[CONTACTS_HASH_BYTES], const char *id,
                 size_t id_len)
{
    if (id_len > PROTO_ID_MAX)
        return MDB_BAD_VALSIZE;
    unsigned char key[S_KEY_MAX];
    return index_batch_put(s->index, txn, INTAKE_INDEX_CONTACTS, key, s_key(key, hash, id, id_len), "", 0);
}

int contacts_del(MDB_txn *txn, scratch_t *s, const unsigned char hash[CONTACTS_HASH_BYTES], const char *id,
                 size_t id_len)
{
    if (id_len > PROTO_ID_MAX)
        return 0;
    unsigned char key[S_KEY_MAX];
    return index_batch_del(s->index, txn, INTAKE_INDEX_CONTACTS, key, s_key(key, hash, id, id_len));
}

int contacts_stored_hash(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                         unsigned char hash[CONTACTS_HASH_BYTES])
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object application;
    int rc = documents_get(txn, svc, INTAKE_DB_DOCUMENTS, id, id_len, &zone, &application);
    if (rc == 0 && !contacts_hash_of(s, &application, hash))
        rc = MDB_NOTFOUND;
    msgpack_zone_destroy(&zone);
    return rc;
}

typedef struct {
    void (*fn)(const char *id, size_t len, void *arg);
    void *arg;
} each_t;

/*  An index key to the id it ends with. */
static void s_each_id(const void *key, size_t len, void *arg)
{
    const each_t *each = arg;
    each->fn((const char *)key + CONTACTS_HASH_BYTES, len - CONTACTS_HASH_BYTES, each->arg);
}

int contacts_each(MDB_txn *txn, scratch_t *s, const unsigned char hash[CONTACTS_HASH_BYTES], size_t max,
                  void (*fn)(const char *id, size_t len, void *arg), void *arg, size_t *count)
{
    each_t each = {fn, arg};
    return index_batch_each_prefix(s->index, txn, INTAKE_INDEX_CONTACTS, hash, CONTACTS_HASH_BYTES, max, s_each_id,
                                   &each, count);
}

int contacts_build(MDB_txn *txn, service_t *svc, scratch_t *s)
{
    MDB_dbi meta = service_db(svc, INTAKE_DB_META);
    MDB_val mark = {strlen(S_BUILT_KEY), (void *)S_BUILT_KEY}, value;
    int rc = mdb_get(txn, meta, &mark, &value);
    if (rc != MDB_NOTFOUND)
        return rc;
    MDB_cursor *cursor;
    if ((rc = mdb_cursor_open(txn, service_db(svc, INTAKE_DB_DOCUMENTS), &cursor)))
        return rc;
    MDB_val key;
    size_t count = 0;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        msgpack_zone_clear(&s->zone);
        msgpack_object application;
        size_t offset = 0;
        unsigned char hash[CONTACTS_HASH_BYTES];
        MDB_val bytes;
        if (documents_resolve(txn, svc, &value, &bytes)
            || msgpack_unpack(bytes.mv_data, bytes.mv_size, &offset, &s->zone, &application) != MSGPACK_UNPACK_SUCCESS
            || !contacts_hash_of(s, &application, hash))
            continue;
        /* Writing to another database keeps this cursor valid. */
        if ((rc = contacts_put(txn, s, hash, key.mv_data, key.mv_size)))
            break;
        count++;
    }
    mdb_cursor_close(cursor);
    if (rc != MDB_NOTFOUND)
        return rc;
    if (count)
        log_info("indexed the contact addresses of %zu applications", count);
    value = (MDB_val){1, "1"};
    return mdb_put(txn, meta, &mark, &value, 0);
}
