/*  services/intake/follow.c - see follow.h. */
#include "follow.h"

#include "documents.h"
#include "ids.h"
#include "keys.h"
#include "rules.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  Fields of the stored record that a status reply leaves out: the hash of
 *  the token, the head of the history (which the history reply gives), and
 *  the suspensions counted on each stream (see s_apply_suspension). */
static bool s_internal_field(const msgpack_object *key)
{
    return doc_is(key, "token_hash") || doc_is(key, "history") || doc_is(key, "suspensions");
}

/*  Loads the application a request names, when its token (if one is
 *  given) matches.  0 with *record and the request's id; SERVICE_REFUSED, not_found (no such id
 *  and a wrong token get the same answer); or an LMDB code. */
static int s_load_requested(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s,
                            msgpack_object *record, const char **id_out, size_t *id_len_out)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    *id_out = id;
    *id_len_out = id_len;
    int rc = record_load(txn, svc, id, id_len, &s->zone, record);
    if (rc == MDB_NOTFOUND || (rc == 0 && ids_token_refused(req, record)))
        return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
    return rc;
}

int follow_status(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id;
    size_t id_len;
    msgpack_object record;
    int rc = s_load_requested(svc, txn, req, s, &record, &id, &id_len);
    if (rc)
        return rc;
    MDB_val document = {0, NULL};
    bool with_application = doc_bool(req->msg, "with_application", false);
    if (with_application) {
        rc = documents_get_raw(txn, svc, INTAKE_DB_DOCUMENTS, id, id_len, &document);
        if (rc == MDB_NOTFOUND)
            with_application = false;
        else if (rc)
            return rc;
    }
    /* The record holds the fields of a status reply, the hash of the
     * token, which never leaves the service, and the head of the history. */
    size_t fields = 0;
    for (uint32_t i = 0; i < record.via.map.size; i++)
        fields += !s_internal_field(&record.via.map.ptr[i].key);
    proto_pack_reply(req->reply, "status", req->has_rid, req->rid, fields + with_application);
    for (uint32_t i = 0; i < record.via.map.size; i++) {
        if (s_internal_field(&record.via.map.ptr[i].key))
            continue;
        msgpack_pack_object(req->reply, record.via.map.ptr[i].key);
        if (doc_is(&record.via.map.ptr[i].key, "report")) {
            if ((rc = record_pack_report(req->reply, txn, svc, id, id_len, &record.via.map.ptr[i].val)))
                return rc;
        } else {
            msgpack_pack_object(req->reply, record.via.map.ptr[i].val);
        }
    }
    if (with_application)
        proto_pack_kv_raw(req->reply, "application", document.mv_data, document.mv_size);
    return 0;
}

/*  Appends one stored record to s->hist, verifying it on the way. */
static void s_history_take(scratch_t *s, history_verifier_t *verifier, const MDB_val *value, uint64_t *count)
{
    history_verify_stored(verifier, value->mv_data, value->mv_size);
    msgpack_sbuffer_write(&s->hist, value->mv_data, value->mv_size);
    (*count)++;
}

/*  The records kept by application, (id, n), in key order: those written
 *  before the trail (record.h). */
static int s_history_read_keyed(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                                history_verifier_t *verifier, uint64_t *count)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, INTAKE_DB_HISTORY), &cursor);
    if (rc)
        return rc;
    unsigned char first[HISTORY_KEY_MAX];
    MDB_val key = {history_key(id, id_len, 0, first), first}, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        if (key.mv_size != id_len + 8 || memcmp(key.mv_data, id, id_len) != 0)
            break;
        s_history_take(s, verifier, &value, count);
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  Reads the records of one application in order into s->hist, verifying
 *  the chain on the way; *count records were read.  A record the trail
 *  does not have is skipped: the verifier names it missing. */
static int s_history_read(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                          const record_head_t *head, history_verifier_t *verifier, uint64_t *count)
{
    msgpack_sbuffer_clear(&s->hist);
    *count = 0;
    int rc = s_history_read_keyed(txn, svc, s, id, id_len, verifier, count);
    for (uint64_t n = head->from; rc == 0 && n && n <= head->chain.count; n++) {
        unsigned char key_bytes[HISTORY_KEY_MAX];
        bool in_trail;
        MDB_val key = {record_history_key(head, s, id, id_len, n, key_bytes, &in_trail), key_bytes}, value;
        if (!key.mv_size)
            continue;
        rc = mdb_get(txn, service_db(svc, INTAKE_DB_TRAIL), &key, &value);
        if (rc == 0)
            s_history_take(s, verifier, &value, count);
        else if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    return rc;
}

/*  The audit trail of one application, verified here; the records go out
 *  as stored, so that the client can verify them again. */
int follow_history(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id;
    size_t id_len;
    msgpack_object record;
    int rc = s_load_requested(svc, txn, req, s, &record, &id, &id_len);
    if (rc)
        return rc;
    record_head_t head;
    bool head_ok = record_head_read(&record, s, &head) == 0;
    history_verifier_t verifier;
    history_verifier_init(&verifier);
    uint64_t count;
    rc = s_history_read(txn, svc, s, id, id_len, &head, &verifier, &count);
    if (rc == 0) {
        if (!head_ok) {
            verifier.broken = true;
            verifier.brk.n = 0;
            snprintf(verifier.brk.reason, sizeof verifier.brk.reason,
                     "the application's record of its history head is malformed");
        }
        history_verify_end(&verifier, &head.chain);
        proto_pack_reply(req->reply, "history", req->has_rid, req->rid, proto_entries(5, verifier.broken));
        proto_pack_kv_strn(req->reply, "id", id, id_len);
        proto_pack_kv_uint(req->reply, "count", head.chain.count);
        proto_pack_str(req->reply, "head");
        msgpack_pack_bin_with_body(req->reply, head.chain.head, sizeof head.chain.head);
        proto_pack_str(req->reply, "records");
        msgpack_pack_array(req->reply, count);
        proto_pack_raw(req->reply, s->hist.data, s->hist.size);
        proto_pack_kv_bool(req->reply, "verified", !verifier.broken);
        if (verifier.broken) {
            log_warn("history of %.*s: %s", (int)id_len, id, verifier.brk.reason);
            proto_pack_str(req->reply, "break");
            msgpack_pack_map(req->reply, 2);
            proto_pack_kv_uint(req->reply, "n", verifier.brk.n);
            proto_pack_kv_str(req->reply, "reason", verifier.brk.reason);
        }
    }
    history_verifier_fini(&verifier);
    return rc;
}

/*  The rules of an appeal (rules.h): 0 when it may be appealed, else
 *  SERVICE_REFUSED. */
static int s_check_appealable(service_request_t *req, const msgpack_object *record)
{
    const char *motivation;
    size_t len;
    doc_str(req->msg, "motivation", &motivation, &len);
    proto_error_t err;
    const char *code = intake_appeal_refused(record, motivation, len, &err);
    return code ? service_refuse_error(req, code, &err) : 0;
}

/*  The applicant asks the committee to reconsider a rejection: the appeal
 *  is recorded and "appealed" tells validation (which passes it on) and
 *  review (which opens an appeal round).  The state stays rejected until
 *  review's "queued" says the appeal round is open: only then can a member
 *  vote, and only then does intake say in_review.  The ack gives the state
 *  the application is in (a retry with the same key may find it in_review). */
int follow_appeal(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id, *motivation;
    size_t id_len, motivation_len;
    doc_str(req->msg, "motivation", &motivation, &motivation_len);
    msgpack_object record, known;
    int rc = s_load_requested(svc, txn, req, s, &record, &id, &id_len);
    if (rc)
        return rc;
    char idz[PROTO_ID_MAX + 1];
    if (record_id(&record, idz) < 0)
        return MDB_CORRUPTED;
    rc = keys_lookup(txn, s, req->msg, &known);
    if (rc == 0 && (!keys_is_for(&known, id, id_len) || !doc_bool(&known, "appeal", false)))
        return service_refuse(req, PROTO_E_CONFLICT, "key", "unique",
                              "this idempotency key was already used for another request");
    char state[32] = "";
    doc_strcpy(&record, "state", state, sizeof state);
    if (rc == 0) {
        record_pack_ack(req, id, id_len, state);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    if ((rc = s_check_appealable(req, &record)))
        return rc;

    uint64_t revision = 1;
    doc_uint(&record, "revision", &revision);
    record_head_t history;
    if (record_head_read(&record, s, &history))
        return MDB_CORRUPTED;
    text_set(&s->who, "applicant");
    text_set(&s->why, "");
    text_add(&s->why, motivation, motivation_len);
    record_history_prepare(s, &history, "appealed", state, req->now);
    static const char *const changed[] = {"updated_at", "history", NULL};
    msgpack_sbuffer_clear(&s->buf);
    doc_pack_map_except(&s->pk, &record, changed, 3);
    proto_pack_kv_uint(&s->pk, "updated_at", (uint64_t)req->now);
    record_head_pack(&s->pk, &history, s);
    proto_pack_str(&s->pk, "appeal");
    msgpack_pack_map(&s->pk, 2);
    proto_pack_kv_strn(&s->pk, "motivation", motivation, motivation_len);
    proto_pack_kv_uint(&s->pk, "at", (uint64_t)req->now);
    rc = record_history_store(txn, svc, s);
    if (!rc)
        rc = record_store(txn, svc, idz, strlen(idz), &s->buf);
    if (!rc)
        rc = keys_remember(txn, s, req->msg, idz, revision, 0);
    if (!rc) {
        msgpack_packer *pk = service_event_begin(svc, "appealed", req->now, 3, NULL);
        proto_pack_kv_str(pk, "id", idz);
        proto_pack_kv_uint(pk, "revision", revision);
        proto_pack_kv_strn(pk, "motivation", motivation, motivation_len);
        rc = service_event_end(svc, txn);
    }
    if (!rc)
        record_pack_ack(req, idz, strlen(idz), state);
    return rc;
}
