/*  services/intake/submit.c - see submit.h. */
#include "submit.h"

#include "application.h"
#include "contacts.h"
#include "documents.h"
#include "ids.h"
#include "keys.h"
#include "rules.h"
#include "sealing.h"
#include "update.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"
#include "proto/schema.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  token: the applicant's token, given only in the receipt of a
 *  submission (NULL otherwise); changes: what an update of a listing
 *  changes (NULL otherwise). */
static void s_pack_receipt_of(msgpack_packer *pk, service_request_t *req, const char *id, size_t id_len,
                              const char *state, size_t state_len, uint64_t revision, bool duplicate,
                              const char *token, const schema_changes_t *changes)
{
    service_request_set_id(req, id, id_len);
    proto_pack_reply(pk, "receipt", req->has_rid, req->rid, proto_entries(4, token) + (changes ? 2 : 0));
    proto_pack_kv_strn(pk, "id", id, id_len);
    proto_pack_kv_strn(pk, "state", state, state_len);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_bool(pk, "duplicate", duplicate);
    if (token)
        proto_pack_kv_str(pk, "token", token);
    if (changes)
        update_pack_receipt(pk, changes);
}

static void s_pack_receipt(msgpack_packer *pk, service_request_t *req, const char *id, size_t id_len,
                           const char *state, size_t state_len, uint64_t revision, bool duplicate,
                           const char *token)
{
    s_pack_receipt_of(pk, req, id, id_len, state, state_len, revision, duplicate, token, NULL);
}

/*  The event validation consumes: the application as stored; for a new
 *  application, its token sealed for notify (token NULL: an amendment,
 *  which keeps its token).  The event is where intake keeps the
 *  application (documents.h): INTAKE_DB_DOCUMENTS gets its seq, and so
 *  does *seq_out (the request's key keeps it, keys.h). */
static int s_emit_submitted(service_t *svc, MDB_txn *txn, const char *id, size_t id_len,
                            uint64_t revision, const void *doc, size_t doc_len, const char *renews,
                            const char *token, int64_t now, uint64_t *seq_out)
{
    uint64_t seq;
    uint8_t sealed[SEALED_TOKEN_MAX];
    size_t sealed_len = 0;
    bool has_sealed = token && sealing_token(token, strlen(token), sealed, &sealed_len);
    msgpack_packer *pk = service_event_begin(svc, "submitted", now, proto_entries(3, renews, has_sealed), &seq);
    proto_pack_kv_strn(pk, "id", id, id_len);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_raw(pk, "application", doc, doc_len);
    if (renews)
        proto_pack_kv_str(pk, "renews", renews);
    if (has_sealed) {
        proto_pack_str(pk, "token_sealed");
        msgpack_pack_bin_with_body(pk, sealed, sealed_len);
    }
    *seq_out = seq;
    int rc = service_event_end(svc, txn);
    return rc ? rc : documents_put(txn, svc, id, id_len, seq);
}

/*  A key already used: the same receipt again, whatever was resent. */
static int s_replay_receipt(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s,
                            const msgpack_object *known)
{
    const char *id;
    size_t id_len;
    uint64_t revision = 1;
    msgpack_object record;
    if (!doc_str(known, "id", &id, &id_len))
        return MDB_CORRUPTED;
    doc_uint(known, "revision", &revision);
    int rc = record_load(txn, svc, id, id_len, &s->zone, &record);
    if (rc)
        return rc;
    const char *state;
    size_t state_len;
    doc_str(&record, "state", &state, &state_len);
    /* The submission's key derives its token again; any other key (an
     * amendment's) gives another one, which the stored hash refuses. */
    char token[INTAKE_TOKEN_CHARS + 1], idz[PROTO_ID_MAX + 1];
    const char *key;
    size_t key_len;
    snprintf(idz, sizeof idz, "%.*s", (int)id_len, id);
    bool has_token = doc_str(req->msg, "key", &key, &key_len);
    if (has_token) {
        ids_token_new(s, idz, key, key_len, token);
        has_token = intake_token_matches(&record, token, strlen(token));
    }
    s_pack_receipt(req->reply, req, id, id_len, state, state_len, revision, true,
                   has_token ? token : NULL);
    return 0;
}

static int s_validate(service_request_t *req, const msgpack_object *application)
{
    proto_error_t err;
    if (schema_validate(schema_application(), application, &err) == 0)
        return 0;
    /* The schema names fields inside the application; the request nests it. */
    char field[PROTO_FIELD_MAX];
    snprintf(field, sizeof field, "application.%.*s", (int)(sizeof field - 13), err.field);
    memcpy(err.field, field, sizeof field);
    return service_refuse_error(req, PROTO_E_INVALID, &err);
}

/*  Refuses a second open application for one listing (a structure and
 *  its advisor: listing_key).  A renewal may be submitted while
 *  the listing it renews (`renews`) is still approved or published:
 *  renewing before expiry is the point.  The refusal says nothing of the
 *  open application (its id, its state): whoever holds its token follows
 *  it; anyone else learns only that the listing is taken. */
static int s_check_listing_free(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s,
                                const char *listing, const char *renews)
{
    char id[PROTO_ID_MAX + 1];
    msgpack_object record;
    bool found;
    int rc = record_listing_holder(txn, svc, s, listing, id, &record, &found);
    if (rc || !found || intake_siret_free(&record, id, renews))
        return rc;
    bool named = strchr(listing, ':') != NULL;
    return service_refuse(req, PROTO_E_CONFLICT, named ? "application.advisor" : "application.organisation.siret",
                          "unique",
                          "an application for this structure%s is already open: follow it with the link of its "
                          "receipt (a lost link is sent again to its contact), or, for another advisor of the "
                          "same structure, give their name in advisor", named ? " and this advisor" : "");
}

/*  What a renewal may renew: an earlier application of the same SIRET that
 *  is listed (approved, published) or whose listing ended by expiry or by
 *  an earlier renewal.  0 when it may (or when there is no renews),
 *  SERVICE_REFUSED, or an LMDB code. */
static int s_check_renewal(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s,
                           const char *listing, char renews[PROTO_ID_MAX + 1])
{
    if (doc_strcpy(req->msg, "renews", renews, PROTO_ID_MAX + 1) <= 0) {
        renews[0] = '\0';
        return 0;
    }
    msgpack_object record;
    int rc = record_load(txn, svc, renews, strlen(renews), &s->zone, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    proto_error_t err;
    const char *code = intake_renewal_refused(rc ? NULL : &record, renews, listing, &err);
    return code ? service_refuse_error(req, code, &err) : 0;
}

int submit_new(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const msgpack_object *application = doc_map(req->msg, "application");
    msgpack_object known;
    keys_match_t match = KEYS_OTHER;
    int rc = keys_lookup(txn, s, req->msg, &known);
    if (rc == 0 && (rc = keys_matches(txn, svc, &known, req->msg, &match)) == 0 && match != KEYS_SAME)
        return keys_refuse(req, match, "with another application");
    if (rc == 0)
        return s_replay_receipt(txn, svc, req, s, &known);
    if (rc != MDB_NOTFOUND)
        return rc;
    char siret[RECORD_SIRET_MAX], listing[INTAKE_LISTING_MAX], renews[PROTO_ID_MAX + 1];
    listing_siret(application, siret);
    listing_key(application, listing);
    if ((rc = s_validate(req, application)) || (rc = s_check_renewal(txn, svc, req, s, listing, renews))
        || (rc = s_check_listing_free(txn, svc, req, s, listing, *renews ? renews : NULL)))
        return rc;

    char id[IDS_CHARS + 1];
    MDB_val probe_key, probe;
    do {
        ids_new(id, req->now_ms);
        probe_key = (MDB_val){IDS_CHARS, id};
    } while (mdb_get(txn, service_db(svc, INTAKE_DB_APPLICATIONS), &probe_key, &probe) == 0);

    char token[INTAKE_TOKEN_CHARS + 1];
    const char *key;
    size_t key_len;
    bool keyed = doc_str(req->msg, "key", &key, &key_len);
    ids_token_new(s, id, keyed ? key : NULL, keyed ? key_len : 0, token);

    unsigned char contact[CONTACTS_HASH_BYTES];
    bool has_contact = contacts_hash_of(s, application, contact);
    record_head_t history;
    record_head_new(s, &history);
    text_set(&s->who, "applicant");
    text_set(&s->why, "revision 1");
    record_history_prepare(s, &history, "submitted", STATE_RECEIVED, req->now);
    msgpack_sbuffer_clear(&s->buf);
    application_pack_normalized(&s->pk, application, "");
    size_t doc_len = s->buf.size;
    record_pack_new(&s->pk, &(record_new_t){.id = id, .siret = siret, .listing = listing, .token = token,
                                            .renews = *renews ? renews : NULL, .application = application,
                                            .history = &history, .scratch = s, .now = req->now});
    const char *doc = s->buf.data;
    rc = store_put_ordered(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, IDS_CHARS, doc + doc_len,
                           s->buf.size - doc_len);
    if (!rc && *listing)
        rc = index_batch_put(s->index, txn, INTAKE_INDEX_SIRETS, listing, strlen(listing), id, IDS_CHARS);
    if (!rc)
        rc = record_history_store(txn, svc, s);
    if (!rc && has_contact)
        rc = contacts_put(txn, s, contact, id, IDS_CHARS);
    uint64_t event = 0;
    if (!rc)
        rc = s_emit_submitted(svc, txn, id, IDS_CHARS, 1, doc, doc_len, *renews ? renews : NULL, token, req->now,
                              &event);
    if (!rc)
        rc = keys_remember(txn, s, req->msg, id, 1, event);
    if (!rc)
        s_pack_receipt(req->reply, req, id, IDS_CHARS, STATE_RECEIVED, strlen(STATE_RECEIVED), 1, false, token);
    return rc;
}

static int s_check_amendable(service_request_t *req, const msgpack_object *record,
                             const msgpack_object *application)
{
    /* An approved or published listing takes an update (update.h). */
    if (!doc_str_eq(record, "state", STATE_INCOMPLETE)
        && !doc_str_eq(record, "state", STATE_CHANGES_REQUESTED) && !update_applies(record)) {
        char state[32];
        doc_strcpy(record, "state", state, sizeof state);
        return service_refuse(req, PROTO_E_CONFLICT, "id", "state",
                              "an application in state %s cannot be amended: only incomplete or "
                              "changes_requested ones can, and an approved or published listing can be "
                              "updated", state);
    }
    char before[INTAKE_LISTING_MAX], after[INTAKE_LISTING_MAX];
    intake_record_listing(record, before);
    listing_key(application, after);
    if (strcmp(before, after) != 0)
        return service_refuse(req, PROTO_E_INVALID, strchr(after, ':') || strchr(before, ':')
                                  ? "application.advisor" : "application.organisation.siret", "immutable",
                              "an amendment cannot change the SIRET or the advisor: submit a new "
                              "application instead");
    return 0;
}

int submit_amend(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    const msgpack_object *application = doc_map(req->msg, "application");
    msgpack_object known, record;
    /* The token first: a key must not tell a stranger anything. */
    int rc = record_load(txn, svc, id, id_len, &s->zone, &record);
    if (rc == MDB_NOTFOUND || (rc == 0 && ids_token_refused(req, &record)))
        return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
    if (rc)
        return rc;
    keys_match_t match = KEYS_OTHER;
    rc = keys_lookup(txn, s, req->msg, &known);
    if (rc == 0 && keys_is_for(&known, id, id_len) && (rc = keys_matches(txn, svc, &known, req->msg, &match)))
        return rc;
    if (rc == 0 && match != KEYS_SAME)
        return keys_refuse(req, match, "for another application");
    if (rc == 0)
        return s_replay_receipt(txn, svc, req, s, &known);
    if (rc != MDB_NOTFOUND)
        return rc;
    if ((rc = s_validate(req, application)) || (rc = s_check_amendable(req, &record, application)))
        return rc;
    /* An update keeps the listing's state: the listing stays as it is
     * until the update is published or decided. */
    schema_changes_t changes;
    bool update = update_applies(&record);
    char state[32] = STATE_RECEIVED;
    if (update) {
        doc_strcpy(&record, "state", state, sizeof state);
        if ((rc = update_check(svc, txn, req, s, id, id_len, application, &changes)))
            return rc;
    }

    /* The contact's address may change: read before the document is replaced. */
    unsigned char before[CONTACTS_HASH_BYTES], after[CONTACTS_HASH_BYTES];
    rc = contacts_stored_hash(txn, svc, s, id, id_len, before);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    bool had_contact = rc == 0, has_contact = contacts_hash_of(s, application, after);
    uint64_t revision = 1;
    doc_uint(&record, "revision", &revision);
    revision++;
    record_head_t history;
    if (record_head_read(&record, s, &history))
        return MDB_CORRUPTED;
    text_set(&s->who, "applicant");
    text_set(&s->why, "");
    text_add_number(&s->why, "revision ", revision);
    if (update)
        update_describe(&s->why, revision, &changes);
    record_history_prepare(s, &history, update ? "updated" : "amended", state, req->now);
    msgpack_sbuffer_clear(&s->buf);
    application_pack_normalized(&s->pk, application, "");
    size_t doc_len = s->buf.size;
    static const char *const changed[] = {"revision", "state", "updated_at", "report", "name",
                                          "history", "update", NULL};
    doc_pack_map_except(&s->pk, &record, changed, 6 + update);
    record_head_pack(&s->pk, &history, s);
    if (update)
        update_pack(&s->pk, revision, &changes, req->now);
    proto_pack_kv_uint(&s->pk, "revision", revision);
    proto_pack_kv_str(&s->pk, "state", state);
    proto_pack_kv_uint(&s->pk, "updated_at", (uint64_t)req->now);
    proto_pack_str(&s->pk, "report");
    msgpack_pack_nil(&s->pk);
    const char *name = "";
    size_t name_len = 0;
    doc_str(doc_map(application, "organisation"), "name", &name, &name_len);
    proto_pack_kv_strn(&s->pk, "name", name, name_len);

    char idz[PROTO_ID_MAX + 1], renews[PROTO_ID_MAX + 1];
    snprintf(idz, sizeof idz, "%.*s", (int)id_len, id);
    bool renewal = doc_strcpy(&record, "renews", renews, sizeof renews) > 0;
    const char *doc = s->buf.data;
    rc = update ? update_keep_listed(txn, svc, id, id_len) : 0;
    if (!rc)
        rc = store_put(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, id_len, doc + doc_len,
                       s->buf.size - doc_len);
    if (!rc)
        rc = record_drop_report(txn, svc, id, id_len);
    if (!rc)
        rc = record_history_store(txn, svc, s);
    if (!rc && had_contact)
        rc = contacts_del(txn, s, before, idz, strlen(idz));
    if (!rc && has_contact)
        rc = contacts_put(txn, s, after, idz, strlen(idz));
    uint64_t event = 0;
    if (!rc)
        rc = s_emit_submitted(svc, txn, id, id_len, revision, doc, doc_len, renewal ? renews : NULL, NULL,
                              req->now, &event);
    if (!rc)
        rc = keys_remember(txn, s, req->msg, idz, revision, event);
    if (!rc)
        s_pack_receipt_of(req->reply, req, id, id_len, state, strlen(state), revision, false, NULL,
                          update ? &changes : NULL);
    return rc;
}
