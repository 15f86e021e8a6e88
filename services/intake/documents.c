/*  services/intake/documents.c - see documents.h. */
#include "documents.h"

#include "common/log.h"
#include "common/store.h"
#include "common/stream_omit.h"

#include <string.h>

/*  A reference: msgpack's uint64 (0xcf, then 8 bytes big-endian).  An
 *  application is a map, whose first byte is never 0xcf. */
#define S_REFERENCE_BYTES 9
#define S_UINT64 0xcf

int documents_put(MDB_txn *txn, service_t *svc, const char *id, size_t id_len, uint64_t seq)
{
    unsigned char reference[S_REFERENCE_BYTES] = {S_UINT64};
    store_u64_key(seq, reference + 1);
    /* Ids grow (proto/README.md §3.3): a new application's goes last. */
    return store_put_ordered(txn, service_db(svc, INTAKE_DB_DOCUMENTS), id, id_len, reference, sizeof reference);
}

int documents_resolve(MDB_txn *txn, service_t *svc, const MDB_val *stored, MDB_val *application)
{
    const unsigned char *bytes = stored->mv_data;
    if (stored->mv_size != S_REFERENCE_BYTES || bytes[0] != S_UINT64) {
        *application = *stored;
        return 0;
    }
    return documents_of_event(txn, svc, store_u64_from_key(bytes + 1), application);
}

int documents_of_event(MDB_txn *txn, service_t *svc, uint64_t seq, MDB_val *application)
{
    MDB_val event;
    int rc = service_log_get(svc, txn, seq, &event);
    if (rc == MDB_NOTFOUND) {
        log_error("the application in event %llu of intake's log is missing", (unsigned long long)seq);
        return MDB_CORRUPTED;
    }
    if (rc)
        return rc;
    const void *value;
    size_t len;
    /* A redacted event (erasure) keeps no application. */
    if (!stream_omit_field(event.mv_data, event.mv_size, "application", &value, &len))
        return MDB_NOTFOUND;
    *application = (MDB_val){len, (void *)value};
    return 0;
}

int documents_get_raw(MDB_txn *txn, service_t *svc, int db, const char *id, size_t id_len, MDB_val *application)
{
    MDB_val key = {id_len, (void *)id}, stored;
    int rc = mdb_get(txn, service_db(svc, db), &key, &stored);
    return rc ? rc : documents_resolve(txn, svc, &stored, application);
}

int documents_get(MDB_txn *txn, service_t *svc, int db, const char *id, size_t id_len, msgpack_zone *zone,
                  msgpack_object *application)
{
    MDB_val raw;
    int rc = documents_get_raw(txn, svc, db, id, id_len, &raw);
    return rc ? rc : store_decode_doc(&raw, zone, application);
}
