/*  services/intake/keys.c - see keys.h. */
#include "keys.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  True when a remembered key belongs to the application `id`. */
bool keys_is_for(const msgpack_object *known, const char *id, size_t id_len)
{
    const char *known_id;
    size_t known_len;
    return doc_str(known, "id", &known_id, &known_len) && known_len == id_len
        && memcmp(known_id, id, id_len) == 0;
}

int keys_lookup(MDB_txn *txn, service_t *svc, const msgpack_object *msg, scratch_t *s,
                msgpack_object *known)
{
    const char *key;
    size_t len;
    if (!doc_str(msg, "key", &key, &len))
        return MDB_NOTFOUND;
    return store_get_doc(txn, service_db(svc, INTAKE_DB_KEYS), key, len, &s->zone, known);
}

#define S_DIGEST_BYTES 32

/*  The digest of a request's application: a key is bound to what it was
 *  first sent with. */
static void s_application_digest(const msgpack_object *msg, unsigned char out[S_DIGEST_BYTES])
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    const msgpack_object *application = doc_get(msg, "application");
    if (application)
        msgpack_pack_object(&pk, *application);
    crypto_generichash(out, S_DIGEST_BYTES, (const unsigned char *)buf.data, buf.size, NULL, 0);
    msgpack_sbuffer_destroy(&buf);
}

/*  True when a remembered key was first sent with this request's
 *  application.  Keys are the clients' choice: without this, anyone who
 *  sends a key another applicant used would be answered with that
 *  applicant's receipt and token.  Keys remembered without a digest
 *  (before it existed) are taken as they are. */
bool keys_matches(const msgpack_object *known, const msgpack_object *msg)
{
    const msgpack_object *stored = doc_get(known, "digest");
    if (!stored)
        return true;
    unsigned char digest[S_DIGEST_BYTES];
    s_application_digest(msg, digest);
    return stored->type == MSGPACK_OBJECT_BIN && stored->via.bin.size == S_DIGEST_BYTES
        && sodium_memcmp(stored->via.bin.ptr, digest, S_DIGEST_BYTES) == 0;
}

/*  Remembers the idempotency key of a submit, an amend (with the digest
 *  of its application) or (appeal true) an appeal, so that a retry gets
 *  the same answer. */
int keys_remember(MDB_txn *txn, service_t *svc, const msgpack_object *msg, const char *id,
                  uint64_t revision, bool appeal)
{
    const char *key;
    size_t len;
    if (!doc_str(msg, "key", &key, &len))
        return 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    proto_pack_kv_str(&pk, "id", id);
    proto_pack_kv_uint(&pk, "revision", revision);
    if (appeal) {
        proto_pack_kv_bool(&pk, "appeal", true);
    } else {
        unsigned char digest[S_DIGEST_BYTES];
        s_application_digest(msg, digest);
        proto_pack_str(&pk, "digest");
        msgpack_pack_bin_with_body(&pk, digest, sizeof digest);
    }
    int rc = store_put(txn, service_db(svc, INTAKE_DB_KEYS), key, len, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}
