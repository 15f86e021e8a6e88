/*  services/intake/keys.c - see keys.h. */
#include "keys.h"

#include "application.h"
#include "documents.h"

#include "proto/doc.h"
#include "proto/messages.h"
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

int keys_lookup(MDB_txn *txn, scratch_t *s, const msgpack_object *msg, msgpack_object *known)
{
    const char *key;
    size_t len;
    if (!doc_str(msg, "key", &key, &len))
        return MDB_NOTFOUND;
    MDB_val stored;
    int rc = index_batch_get(s->index, txn, INTAKE_INDEX_KEYS, key, len, &stored);
    return rc ? rc : store_decode_doc(&stored, &s->zone, known);
}

#define S_DIGEST_BYTES 32

/*  The digest an earlier version kept with a key: BLAKE2b-256 of the
 *  request's application as packed again.  Only a key remembered then is
 *  checked with it. */
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

/*  Whether the request's application, reduced as intake keeps it, is
 *  byte for byte the one event `seq` carries (an erased event carries
 *  none).  0 or an LMDB code. */
static int s_same_as_event(MDB_txn *txn, service_t *svc, const msgpack_object *msg, uint64_t seq,
                           keys_match_t *match)
{
    *match = KEYS_OTHER;
    MDB_val kept;
    int rc = documents_of_event(txn, svc, seq, &kept);
    if (rc == MDB_NOTFOUND)
        *match = KEYS_ERASED;
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    const msgpack_object *application = doc_map(msg, "application");
    if (!application)
        return 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    application_pack_normalized(&pk, application, "");
    if (buf.size == kept.mv_size && memcmp(buf.data, kept.mv_data, buf.size) == 0)
        *match = KEYS_SAME;
    msgpack_sbuffer_destroy(&buf);
    return 0;
}

int keys_matches(MDB_txn *txn, service_t *svc, const msgpack_object *known, const msgpack_object *msg,
                 keys_match_t *match)
{
    uint64_t event;
    if (doc_uint(known, "event", &event))
        return s_same_as_event(txn, svc, msg, event, match);
    const msgpack_object *stored = doc_get(known, "digest");
    *match = KEYS_SAME;
    if (!stored)
        return 0;
    unsigned char digest[S_DIGEST_BYTES];
    s_application_digest(msg, digest);
    if (stored->type != MSGPACK_OBJECT_BIN || stored->via.bin.size != S_DIGEST_BYTES
        || sodium_memcmp(stored->via.bin.ptr, digest, S_DIGEST_BYTES) != 0)
        *match = KEYS_OTHER;
    return 0;
}

int keys_refuse(service_request_t *req, keys_match_t match, const char *other)
{
    if (match == KEYS_ERASED)
        return service_refuse(req, PROTO_E_CONFLICT, "key", "unique",
                              "this idempotency key was sent with an application that has since been erased: "
                              "send the request with a new key");
    return service_refuse(req, PROTO_E_CONFLICT, "key", "unique", "this idempotency key was already used %s",
                          other);
}

/*  Remembers the idempotency key of a submit or an amend (with the event
 *  that carries its application) or, event 0, of an appeal, so that a
 *  retry gets the same answer. */
int keys_remember(MDB_txn *txn, scratch_t *s, const msgpack_object *msg, const char *id,
                  uint64_t revision, uint64_t event)
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
    if (event)
        proto_pack_kv_uint(&pk, "event", event);
    else
        proto_pack_kv_bool(&pk, "appeal", true);
    int rc = index_batch_put(s->index, txn, INTAKE_INDEX_KEYS, key, len, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}
