/*  services/intake/reissue.c - see reissue.h. */
#include "reissue.h"

#include "contacts.h"
#include "ids.h"
#include "sealing.h"

#include "proto/doc.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <string.h>

/*  The count per address: 'a' + hash -> the BE64 times of its requests in
 *  the last hour (at most REISSUE_PER_HOUR); 't' + BE64(time) + hash -> ""
 *  for each request, so that the counts of addresses not seen again are
 *  dropped by later requests (S_PRUNE_MAX each) instead of piling up. */
#define S_PRUNE_MAX 16
#define S_COUNT_KEY (1 + CONTACTS_HASH_BYTES)
#define S_TIME_KEY (1 + 8 + CONTACTS_HASH_BYTES)

bool reissue_allowed(const msgpack_object *record)
{
    if (record_is_erased(record) || record_is_state(record, STATE_WITHDRAWN))
        return false;
    if (record_is_state(record, STATE_REJECTED))
        return doc_map(record, "appeal") == NULL;   /* the appeal is still to make */
    return true;
}

static void s_count_key(unsigned char key[S_COUNT_KEY], const unsigned char hash[CONTACTS_HASH_BYTES])
{
    key[0] = 'a';
    memcpy(key + 1, hash, CONTACTS_HASH_BYTES);
}

/*  The times of the address's requests still in the window, into times
 *  (at most REISSUE_PER_HOUR); how many. */
static int s_recent(MDB_txn *txn, MDB_dbi db, const unsigned char hash[CONTACTS_HASH_BYTES], int64_t now,
                    uint64_t times[REISSUE_PER_HOUR], size_t *count)
{
    unsigned char key_bytes[S_COUNT_KEY];
    s_count_key(key_bytes, hash);
    MDB_val key = {sizeof key_bytes, key_bytes}, value;
    *count = 0;
    int rc = mdb_get(txn, db, &key, &value);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    for (size_t i = 0; i + 8 <= value.mv_size && *count < REISSUE_PER_HOUR; i += 8) {
        uint64_t at = store_u64_from_key((const unsigned char *)value.mv_data + i);
        if ((int64_t)at > now - REISSUE_WINDOW)
            times[(*count)++] = at;
    }
    return 0;
}

static int s_store_recent(MDB_txn *txn, MDB_dbi db, const unsigned char hash[CONTACTS_HASH_BYTES],
                          const uint64_t *times, size_t count)
{
    unsigned char key[S_COUNT_KEY], value[8 * REISSUE_PER_HOUR];
    s_count_key(key, hash);
    if (!count) {
        MDB_val k = {sizeof key, key};
        int rc = mdb_del(txn, db, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    for (size_t i = 0; i < count; i++)
        store_u64_key(times[i], value + 8 * i);
    return store_put(txn, db, key, sizeof key, value, 8 * count);
}

/*  Drops the counts that ended more than an hour ago (S_PRUNE_MAX at
 *  most: the work of a request stays bounded). */
static int s_prune(MDB_txn *txn, MDB_dbi db, int64_t now)
{
    unsigned char due[S_PRUNE_MAX][S_TIME_KEY];
    size_t n = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, db, &cursor);
    if (rc)
        return rc;
    MDB_val key = {1, "t"}, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
         rc == 0 && n < S_PRUNE_MAX && key.mv_size == S_TIME_KEY && ((const char *)key.mv_data)[0] == 't'
         && (int64_t)store_u64_from_key((const unsigned char *)key.mv_data + 1) <= now - REISSUE_WINDOW;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        memcpy(due[n++], key.mv_data, S_TIME_KEY);
    mdb_cursor_close(cursor);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t times[REISSUE_PER_HOUR];
        size_t count;
        const unsigned char *hash = due[i] + 9;
        MDB_val k = {S_TIME_KEY, due[i]};
        if ((rc = s_recent(txn, db, hash, now, times, &count)) || (rc = s_store_recent(txn, db, hash, times, count))
            || (rc = mdb_del(txn, db, &k, NULL)))
            return rc;
    }
    return 0;
}

/*  Counts this request against the address: *allowed false when the
 *  address had its REISSUE_PER_HOUR already. */
static int s_count(MDB_txn *txn, service_t *svc, const unsigned char hash[CONTACTS_HASH_BYTES], int64_t now,
                   bool *allowed)
{
    MDB_dbi db = service_db(svc, INTAKE_DB_REISSUES);
    uint64_t times[REISSUE_PER_HOUR];
    size_t count;
    int rc = s_prune(txn, db, now);
    if (rc || (rc = s_recent(txn, db, hash, now, times, &count)))
        return rc;
    *allowed = count < REISSUE_PER_HOUR;
    if (!*allowed)
        return 0;
    times[count++] = (uint64_t)now;
    unsigned char time_key[S_TIME_KEY];
    time_key[0] = 't';
    store_u64_key((uint64_t)now, time_key + 1);
    memcpy(time_key + 9, hash, CONTACTS_HASH_BYTES);
    if ((rc = s_store_recent(txn, db, hash, times, count)))
        return rc;
    return store_put(txn, db, time_key, sizeof time_key, "", 0);
}

typedef struct {
    char ids[REISSUE_IDS_MAX][PROTO_ID_MAX + 1];
    size_t count;
} found_t;

static void s_collect(const char *id, size_t len, void *arg)
{
    found_t *found = arg;
    if (found->count < REISSUE_IDS_MAX && len <= PROTO_ID_MAX) {
        memcpy(found->ids[found->count], id, len);
        found->ids[found->count++][len] = '\0';
    }
}

/*  A new token for the application id, when it may have one. */
static int s_reissue_one(service_t *svc, MDB_txn *txn, scratch_t *s, const char *id, int64_t now, bool *issued)
{
    static const char *const replaced[] = {"token_hash", NULL};
    msgpack_object record;
    *issued = false;
    int rc = record_load(txn, svc, id, strlen(id), &s->zone, &record);
    if (rc == MDB_NOTFOUND || (rc == 0 && !reissue_allowed(&record)))
        return 0;
    if (rc)
        return rc;
    char token[INTAKE_TOKEN_CHARS + 1];
    ids_token_new(s, id, NULL, 0, token);
    unsigned char hash[INTAKE_TOKEN_HASH_BYTES];
    intake_token_hash(token, strlen(token), hash);
    msgpack_sbuffer_clear(&s->buf);
    doc_pack_map_except(&s->pk, &record, replaced, 1);
    proto_pack_str(&s->pk, "token_hash");
    msgpack_pack_bin_with_body(&s->pk, hash, sizeof hash);
    if ((rc = record_store(txn, svc, id, strlen(id), &s->buf)))
        return rc;
    uint8_t sealed[SEALED_TOKEN_MAX];
    size_t sealed_len = 0;
    bool has_sealed = sealing_token(token, strlen(token), sealed, &sealed_len);
    sodium_memzero(token, sizeof token);
    msgpack_packer *pk = service_event_begin(svc, "token_reissued", now, proto_entries(1, has_sealed), NULL);
    proto_pack_kv_str(pk, "id", id);
    if (has_sealed) {
        proto_pack_str(pk, "token_sealed");
        msgpack_pack_bin_with_body(pk, sealed, sealed_len);
    }
    *issued = true;
    return service_event_end(svc, txn);
}

int reissue_token(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *contact;
    size_t len;
    doc_str(req->msg, "contact", &contact, &len);
    unsigned char hash[CONTACTS_HASH_BYTES];
    /* An address that cannot be one is counted like any other, under the
     * hash of nothing: the same work, the same reply. */
    if (!contacts_hash(s, contact, len, hash))
        contacts_hash(s, "-", 1, hash);
    bool allowed = false;
    int rc = s_count(txn, svc, hash, req->now, &allowed);
    found_t found = {.count = 0};
    size_t count = 0;
    if (!rc)
        rc = contacts_each(txn, s, hash, REISSUE_IDS_MAX, s_collect, &found, &count);
    if (rc)
        return rc;
    size_t issued = 0;
    for (size_t i = 0; allowed && i < found.count; i++) {
        bool one;
        if ((rc = s_reissue_one(svc, txn, s, found.ids[i], req->now, &one)))
            return rc;
        issued += one;
    }
    if (!allowed)
        log_info("token_reissue: an address asked more than %d times within the hour: nothing issued",
                 REISSUE_PER_HOUR);
    else if (issued)
        log_info("token_reissue: %zu new tracking token(s) issued", issued);
    proto_pack_reply(req->reply, "reissue_ack", req->has_rid, req->rid, 0);
    return 0;
}
