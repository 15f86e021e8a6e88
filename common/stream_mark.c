/*  common/stream_mark.c - see stream_mark.h. */
#include "stream_mark.h"

#include "proto/doc.h"
#include "store.h"

#include <string.h>

/*  The value: cursor, at, id's hash, type's hash; 8 bytes each. */
#define S_VALUE_BYTES 32

/*  FNV-1a: stable across builds and machines, which is all it needs to be
 *  (a store is put back by mistake, not forged: the cursors live in the
 *  reader's own store). */
static uint64_t s_hash(const char *text, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t s_hash_field(const msgpack_object *event, const char *field)
{
    const char *text = "";
    size_t len = 0;
    doc_str(event, field, &text, &len);
    return s_hash(text, len);
}

void stream_mark_of(const msgpack_object *event, stream_mark_t *out)
{
    *out = (stream_mark_t){0};
    doc_uint(event, "seq", &out->seq);
    doc_uint(event, "at", &out->at);
    out->id = s_hash_field(event, "id");
    out->type = s_hash_field(event, "type");
}

bool stream_mark_same(const stream_mark_t *applied, const stream_mark_t *now)
{
    static const char redacted[] = "redacted";
    /* An erasure rewrites the event under the same seq, at and id. */
    bool type = now->type == applied->type || now->type == s_hash(redacted, sizeof redacted - 1);
    return now->seq == applied->seq && now->at == applied->at && now->id == applied->id && type;
}

int stream_mark_get(MDB_txn *txn, MDB_dbi db, const char *name, uint64_t *cursor, stream_mark_t *mark)
{
    *mark = (stream_mark_t){0};
    MDB_val key = {strlen(name), (void *)name}, value;
    int rc = mdb_get(txn, db, &key, &value);
    if (rc)
        return rc;
    if (value.mv_size != 8 && value.mv_size != S_VALUE_BYTES)
        return MDB_CORRUPTED;
    const unsigned char *bytes = value.mv_data;
    *cursor = store_u64_from_key(bytes);
    if (value.mv_size == 8)
        return 0;   /* an earlier version's: no fingerprint yet */
    mark->seq = *cursor;
    mark->at = store_u64_from_key(bytes + 8);
    mark->id = store_u64_from_key(bytes + 16);
    mark->type = store_u64_from_key(bytes + 24);
    return 0;
}

int stream_mark_put(MDB_txn *txn, MDB_dbi db, const char *name, const stream_mark_t *mark)
{
    unsigned char bytes[S_VALUE_BYTES];
    store_u64_key(mark->seq, bytes);
    store_u64_key(mark->at, bytes + 8);
    store_u64_key(mark->id, bytes + 16);
    store_u64_key(mark->type, bytes + 24);
    return store_put(txn, db, name, strlen(name), bytes, sizeof bytes);
}
