/*  services/intake/erase.c - see erase.h. */
#include "erase.h"
#include "rules.h"

#include "contacts.h"
#include "update.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  A decision without its motivations: round, revision, decision, kind,
 *  voters, at. */
static void s_pack_decision_pseudonymised(msgpack_packer *pk, const msgpack_object *decision)
{
    static const char *const kept[] = {"round", "revision", "decision", "kind", "voters", "at"};
    size_t n = 0;
    for (size_t i = 0; i < 6; i++)
        n += doc_get(decision, kept[i]) != NULL;
    msgpack_pack_map(pk, n);
    for (size_t i = 0; i < 6; i++) {
        const msgpack_object *value = doc_get(decision, kept[i]);
        if (!value)
            continue;
        proto_pack_str(pk, kept[i]);
        msgpack_pack_object(pk, *value);
    }
}

/*  What intake keeps of an erased application: its id, revision, dates,
 *  the decisions without motivations, the expiry, the renewal link and
 *  the date of an appeal; the state withdrawn, reason "erased".  No name,
 *  no SIRET, no report, no motivation.  The hash of the token stays, so
 *  that the applicant's page still says what became of the file. */
static void s_pack_erased_record(msgpack_packer *pk, const msgpack_object *record,
                                 const record_head_t *history, const scratch_t *s, int64_t now)
{
    static const char *const copied[] = {"id", "revision", "submitted_at", "token_hash", "renews", "expires",
                                         "suspensions"};
    const size_t copied_count = sizeof copied / sizeof *copied;
    const msgpack_object *decisions = doc_array(record, "decisions");
    const msgpack_object *appeal = doc_map(record, "appeal");
    uint64_t appealed_at = 0;
    bool appealed = appeal && doc_uint(appeal, "at", &appealed_at);
    size_t n = 8 + appealed;
    for (size_t i = 0; i < copied_count; i++)
        n += doc_get(record, copied[i]) != NULL;
    msgpack_pack_map(pk, n);
    for (size_t i = 0; i < copied_count; i++) {
        const msgpack_object *value = doc_get(record, copied[i]);
        if (!value)
            continue;
        proto_pack_str(pk, copied[i]);
        msgpack_pack_object(pk, *value);
    }
    proto_pack_kv_str(pk, "state", STATE_WITHDRAWN);
    proto_pack_kv_str(pk, "reason", "erased");
    proto_pack_kv_str(pk, "withdrawn_kind", "erased");
    proto_pack_kv_uint(pk, "updated_at", (uint64_t)now);
    proto_pack_kv_uint(pk, "erased_at", (uint64_t)now);
    proto_pack_str(pk, "report");
    msgpack_pack_nil(pk);
    proto_pack_str(pk, "decisions");
    msgpack_pack_array(pk, doc_len(decisions));
    for (size_t i = 0; i < doc_len(decisions); i++)
        s_pack_decision_pseudonymised(pk, doc_at(decisions, i));
    record_head_pack(pk, history, s);
    if (appealed) {
        proto_pack_str(pk, "appeal");
        msgpack_pack_map(pk, 1);
        proto_pack_kv_uint(pk, "at", appealed_at);
    }
}

/*  Erases the why of history records 1 to `last` of `id` in place; the
 *  chain still verifies (history.h).  *count records were erased. */
static int s_history_erase(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                           const record_head_t *head, uint64_t last, size_t *count)
{
    *count = 0;
    for (uint64_t n = 1; n <= last; n++) {
        unsigned char key_bytes[HISTORY_KEY_MAX];
        bool in_trail;
        MDB_val key = {record_history_key(head, s, id, id_len, n, key_bytes, &in_trail), key_bytes}, value;
        if (!key.mv_size)
            continue;
        MDB_dbi db = service_db(svc, in_trail ? INTAKE_DB_TRAIL : INTAKE_DB_HISTORY);
        int rc = mdb_get(txn, db, &key, &value);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc)
            return rc;
        msgpack_sbuffer_clear(&s->hist);
        int erased = history_erase(value.mv_data, value.mv_size, &s->hist);
        if (erased < 0)
            log_warn("history of %.*s: record %llu, of the early form, keeps its why (erasing it would break the chain)",
                     (int)id_len, id, (unsigned long long)n);
        if (erased != 0)
            continue;
        if ((rc = store_put(txn, db, key_bytes, key.mv_size, s->hist.data, s->hist.size)))
            return rc;
        (*count)++;
    }
    return 0;
}

/*  Drops the application's documents, its report and its place in the
 *  index of listings (SIRET and advisor). */
#define S_LISTING_HASH_BYTES 16
#define S_LISTING_CONTEXT "essp-erased-listing\n"

static void s_listing_hash(const scratch_t *s, const char *listing, unsigned char out[S_LISTING_HASH_BYTES])
{
    crypto_generichash_state state;
    crypto_generichash_init(&state, s->secret, sizeof s->secret, S_LISTING_HASH_BYTES);
    crypto_generichash_update(&state, (const unsigned char *)S_LISTING_CONTEXT, strlen(S_LISTING_CONTEXT));
    crypto_generichash_update(&state, (const unsigned char *)listing, strlen(listing));
    crypto_generichash_final(&state, out, S_LISTING_HASH_BYTES);
}

static int s_remember_listing(MDB_txn *txn, service_t *svc, const scratch_t *s, const char *listing, int64_t now)
{
    unsigned char hash[S_LISTING_HASH_BYTES], at[8];
    s_listing_hash(s, listing, hash);
    store_u64_key(now < 0 ? 0 : (uint64_t)now, at);
    MDB_val key = {sizeof hash, hash}, value = {sizeof at, at};
    return mdb_put(txn, service_db(svc, INTAKE_DB_ERASED_LISTINGS), &key, &value, 0);
}

int erase_listing_erased(MDB_txn *txn, service_t *svc, const scratch_t *s, const char *listing, bool *erased,
                         uint64_t *at)
{
    unsigned char hash[S_LISTING_HASH_BYTES];
    s_listing_hash(s, listing, hash);
    MDB_val key = {sizeof hash, hash}, value;
    int rc = mdb_get(txn, service_db(svc, INTAKE_DB_ERASED_LISTINGS), &key, &value);
    *erased = rc == 0;
    *at = rc == 0 && value.mv_size == 8 ? store_u64_from_key(value.mv_data) : 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_forget_application(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id,
                                const msgpack_object *record, int64_t now)
{
    MDB_val key = {strlen(id), (void *)id};
    int rc = mdb_del(txn, service_db(svc, INTAKE_DB_DOCUMENTS), &key, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if ((rc = record_drop_report(txn, svc, id, strlen(id))) || (rc = update_forget_listed(txn, svc, id, strlen(id))))
        return rc;
    char listing[INTAKE_LISTING_MAX];
    intake_record_listing(record, listing);
    if (!*listing)
        return 0;
    if ((rc = s_remember_listing(txn, svc, s, listing, now)))
        return rc;
    MDB_val holder;
    rc = index_batch_get(s->index, txn, INTAKE_INDEX_SIRETS, listing, strlen(listing), &holder);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (holder.mv_size != strlen(id) || memcmp(holder.mv_data, id, holder.mv_size) != 0)
        return 0;
    return index_batch_del(s->index, txn, INTAKE_INDEX_SIRETS, listing, strlen(listing));
}

/*  Erasure on request (staff key, secure endpoint): intake keeps a
 *  pseudonymised record, redacts its own log, erases the whys of the
 *  history (which still verifies), records the erasure and appends
 *  "erased", which validation passes on to review and publication.
 *  Erasing an erased application answers the same and changes nothing. */
int erase_application(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    if (!req->peer_role || strcmp(req->peer_role, "staff") != 0)
        return service_refuse(req, PROTO_E_FORBIDDEN, "type", "role", "'erase' is for staff keys");
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    msgpack_object record;
    int rc = record_load(txn, svc, id, id_len, &s->zone, &record);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
    if (rc)
        return rc;
    char idz[PROTO_ID_MAX + 1];
    if (record_id(&record, idz) < 0)
        return MDB_CORRUPTED;
    if (record_is_erased(&record)) {
        record_pack_ack(req, idz, strlen(idz), STATE_WITHDRAWN);
        return 0;
    }
    /* The new record is packed before anything is written: `record`
     * points into LMDB. */
    record_head_t history;
    if (record_head_read(&record, s, &history))
        return MDB_CORRUPTED;
    text_set(&s->who, "staff");
    if (req->peer_name) {
        text_add(&s->who, " ", 1);
        text_add(&s->who, req->peer_name, strlen(req->peer_name));
    }
    text_set(&s->why, "personal data erased on request");
    msgpack_sbuffer_clear(&s->buf);
    record_head_t after = history;
    history_change_t change = {req->now, s->who.text, s->who.len, HISTORY_WHAT_ERASED, s->why.text,
                               s->why.len, STATE_WITHDRAWN};
    msgpack_sbuffer erasure;
    msgpack_sbuffer_init(&erasure);
    history_append(&after.chain, &change, &erasure);
    /* The trail of `history` with the erasure's number: records 1 to
     * history.chain.count are found in it as they were. */
    uint64_t erasure_seq = record_trail_add(s, &after);
    s_pack_erased_record(&s->pk, &record, &after, s, req->now);
    unsigned char contact[CONTACTS_HASH_BYTES];
    rc = contacts_stored_hash(txn, svc, s, idz, strlen(idz), contact);
    if (rc == 0)
        rc = contacts_del(txn, s, contact, idz, strlen(idz));
    else if (rc == MDB_NOTFOUND)
        rc = 0;
    if (!rc)
        rc = s_forget_application(txn, svc, s, idz, &record, req->now);
    size_t erased_records = 0, redacted = 0;
    if (!rc)
        rc = s_history_erase(txn, svc, s, idz, strlen(idz), &after, history.chain.count, &erased_records);
    if (!rc)
        rc = record_history_put(txn, svc, erasure_seq, erasure.data, erasure.size);
    msgpack_sbuffer_destroy(&erasure);
    if (!rc)
        rc = record_store(txn, svc, idz, strlen(idz), &s->buf);
    /* Redacted before "erased" is appended, which must stay as it is. */
    if (!rc)
        rc = service_log_redact(svc, txn, idz, strlen(idz), NULL, NULL, &redacted);
    if (!rc) {
        msgpack_packer *pk = service_event_begin(svc, "erased", req->now, 1, NULL);
        proto_pack_kv_str(pk, "id", idz);
        rc = service_event_end(svc, txn);
    }
    if (!rc) {
        log_info("erased %s: %zu history records, %zu events redacted", idz, erased_records, redacted);
        record_pack_ack(req, idz, strlen(idz), STATE_WITHDRAWN);
    }
    return rc;
}
