/*  services/intake/intake.c - see intake.h. */
#include "intake.h"

#include "history.h"

#include "common/doc.h"
#include "common/log.h"
#include "common/store.h"
#include "proto/messages.h"
#include "proto/schema.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const char *const intake_dbs[] = {"applications", "documents", "keys", "sirets", "meta", "history", NULL};

#define S_SIRET_MAX 24
#define S_SECRET_KEY "token_secret"

/*  A text of the audit trail (who, why), cut on a UTF-8 boundary. */
typedef struct {
    char text[HISTORY_TEXT_MAX + 1];
    size_t len;
} text_t;

/*  What a handler needs beside the request: scratch buffers reused across
 *  requests, and the secret tokens are derived with. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_zone zone;
    msgpack_sbuffer hist;        /* the history record of the change in hand */
    text_t who, why;
    unsigned char secret[crypto_generichash_KEYBYTES];
} scratch_t;

static void s_scratch_init(scratch_t *s)
{
    msgpack_sbuffer_init(&s->buf);
    msgpack_packer_init(&s->pk, &s->buf, msgpack_sbuffer_write);
    msgpack_zone_init(&s->zone, 4096);
    msgpack_sbuffer_init(&s->hist);
}

static void s_scratch_fini(scratch_t *s)
{
    msgpack_sbuffer_destroy(&s->buf);
    msgpack_zone_destroy(&s->zone);
    msgpack_sbuffer_destroy(&s->hist);
}

static void s_text_add(text_t *t, const char *text, size_t len)
{
    size_t room = HISTORY_TEXT_MAX - t->len;
    size_t n = proto_utf8_prefix(text, len, room);
    memcpy(t->text + t->len, text, n);
    t->len += n;
    t->text[t->len] = '\0';
}

static void s_text_set(text_t *t, const char *text)
{
    t->len = 0;
    s_text_add(t, text, strlen(text));
}

/*  Appends `label`, then the number. */
static void s_text_add_number(text_t *t, const char *label, uint64_t value)
{
    char part[32];
    int n = snprintf(part, sizeof part, "%llu", (unsigned long long)value);
    s_text_add(t, label, strlen(label));
    s_text_add(t, part, n > 0 ? (size_t)n : 0);
}

int intake_state_rank(const char *state, size_t len)
{
    static const struct { const char *state; int rank; } ranks[] = {
        {STATE_RECEIVED, 0}, {STATE_INCOMPLETE, 1}, {STATE_IN_REVIEW, 1},
        {STATE_CHANGES_REQUESTED, 2}, {STATE_REJECTED, 2}, {STATE_APPROVED, 2},
        {STATE_PUBLISHED, 3}, {STATE_WITHDRAWN, 4},
    };
    for (size_t i = 0; i < sizeof ranks / sizeof *ranks; i++)
        if (strlen(ranks[i].state) == len && memcmp(ranks[i].state, state, len) == 0)
            return ranks[i].rank;
    return -1;
}

static int s_rank_of(const msgpack_object *record)
{
    const char *state;
    size_t len;
    return doc_str(record, "state", &state, &len) ? intake_state_rank(state, len) : -1;
}

/* ------------------------------------------------------------ application */

static bool s_digits_only_path(const char *path)
{
    static const char *const paths[] = {"organisation.siret", "organisation.nda",
                                        "references[].client_siren", "ties.organisations[]", NULL};
    for (const char *const *p = paths; *p; p++)
        if (strcmp(*p, path) == 0)
            return true;
    return false;
}

static void s_pack_digits(msgpack_packer *pk, const char *text, size_t len)
{
    char digits[64];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof digits; i++)
        if (text[i] >= '0' && text[i] <= '9')
            digits[n++] = text[i];
    msgpack_pack_str_with_body(pk, digits, n);
}

#define S_PATH_MAX 128

/*  s_pack_normalized's walk: path[0..len) is the dotted path of obj, and
 *  each level appends its key or "[]" in place (a path too long for the
 *  buffer is cut, and then names no identifier). */
static void s_pack_normalized_at(msgpack_packer *pk, const msgpack_object *obj, char *path, size_t len)
{
    if (obj->type == MSGPACK_OBJECT_MAP) {
        msgpack_pack_map(pk, obj->via.map.size);
        for (uint32_t i = 0; i < obj->via.map.size; i++) {
            const msgpack_object_kv *kv = &obj->via.map.ptr[i];
            size_t sub = len;
            if (sub && sub < S_PATH_MAX - 1)
                path[sub++] = '.';
            size_t n = kv->key.via.str.size < S_PATH_MAX - 1 - sub ? kv->key.via.str.size : S_PATH_MAX - 1 - sub;
            memcpy(path + sub, kv->key.via.str.ptr, n);
            path[sub + n] = '\0';
            msgpack_pack_object(pk, kv->key);
            s_pack_normalized_at(pk, &kv->val, path, sub + n);
        }
    } else if (obj->type == MSGPACK_OBJECT_ARRAY) {
        size_t sub = len + 2 < S_PATH_MAX ? len + 2 : len;
        memcpy(path + len, "[]", sub - len);
        path[sub] = '\0';
        msgpack_pack_array(pk, obj->via.array.size);
        for (uint32_t i = 0; i < obj->via.array.size; i++)
            s_pack_normalized_at(pk, &obj->via.array.ptr[i], path, sub);
    } else if (obj->type == MSGPACK_OBJECT_STR && s_digits_only_path(path)) {
        s_pack_digits(pk, obj->via.str.ptr, obj->via.str.size);
    } else {
        msgpack_pack_object(pk, *obj);
    }
    path[len] = '\0';
}

/*  Copies the application, keeping identifiers as digits only ("356 000
 *  000 00048" is stored "35600000000048"), as the charter asks. */
static void s_pack_normalized(msgpack_packer *pk, const msgpack_object *obj, const char *path)
{
    char at[S_PATH_MAX];
    size_t len = strlen(path) < S_PATH_MAX - 1 ? strlen(path) : S_PATH_MAX - 1;
    memcpy(at, path, len);
    at[len] = '\0';
    s_pack_normalized_at(pk, obj, at, len);
}

static void s_siret_of(const msgpack_object *application, char out[S_SIRET_MAX])
{
    const char *text = "";
    size_t len = 0, n = 0;
    doc_str(doc_map(application, "organisation"), "siret", &text, &len);
    for (size_t i = 0; i < len && n < S_SIRET_MAX - 1; i++)
        if (text[i] >= '0' && text[i] <= '9')
            out[n++] = text[i];
    out[n] = '\0';
}

/*  A new id: 12 characters of Crockford base32 (60 random bits), so ids
 *  are not guessable and two gateways never need to agree on a counter. */
static void s_new_id(char id[13])
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    unsigned char bytes[12];
    randombytes_buf(bytes, sizeof bytes);
    for (int i = 0; i < 12; i++)
        id[i] = alphabet[bytes[i] & 31];
    id[12] = '\0';
}

/* ----------------------------------------------------------------- tokens */

void intake_token_hash(const char *token, size_t len, unsigned char hash[INTAKE_TOKEN_HASH_BYTES])
{
    crypto_generichash(hash, INTAKE_TOKEN_HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

static void s_token_encode(const unsigned char bytes[32], char token[INTAKE_TOKEN_CHARS + 1])
{
    sodium_bin2base64(token, INTAKE_TOKEN_CHARS + 1, bytes, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/*  The token of a new application.  Without an idempotency key it is 32
 *  random bytes.  With one it is derived from the key, the id and this
 *  intake's secret, so that a resent submission gets the same token back
 *  although only its hash is stored. */
static void s_token_new(const scratch_t *s, const char *id, const char *key, size_t key_len,
                        char token[INTAKE_TOKEN_CHARS + 1])
{
    unsigned char bytes[32];
    if (!key) {
        randombytes_buf(bytes, sizeof bytes);
    } else {
        crypto_generichash_state state;
        crypto_generichash_init(&state, s->secret, sizeof s->secret, sizeof bytes);
        crypto_generichash_update(&state, (const unsigned char *)"essp-token-v1", 14);
        crypto_generichash_update(&state, (const unsigned char *)id, strlen(id) + 1);
        crypto_generichash_update(&state, (const unsigned char *)key, key_len);
        crypto_generichash_final(&state, bytes, sizeof bytes);
    }
    s_token_encode(bytes, token);
}

bool intake_token_matches(const msgpack_object *record, const char *token, size_t len)
{
    const msgpack_object *stored = doc_get(record, "token_hash");
    if (!stored || stored->type != MSGPACK_OBJECT_BIN || stored->via.bin.size != INTAKE_TOKEN_HASH_BYTES)
        return false;
    unsigned char hash[INTAKE_TOKEN_HASH_BYTES];
    intake_token_hash(token, len, hash);
    return sodium_memcmp(hash, stored->via.bin.ptr, sizeof hash) == 0;
}

/*  A request that names a token must name the right one; a wrong token is
 *  answered exactly like an unknown id, so that nobody learns which ids
 *  exist.  (Requests without a token come from the operators' side: the
 *  essp tool over ZeroMQ; the HTTP gateway always sends one.) */
static bool s_token_refused(const msgpack_object *msg, const msgpack_object *record)
{
    const char *token;
    size_t len;
    if (!doc_str(msg, "token", &token, &len))
        return false;
    return !intake_token_matches(record, token, len);
}

/* ---------------------------------------------------------------- records */

static int s_load(MDB_txn *txn, service_t *svc, const char *id, size_t len, msgpack_zone *zone,
                  msgpack_object *record)
{
    return store_get_doc(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, len, zone, record);
}

static int s_store_record(MDB_txn *txn, service_t *svc, const char *id, size_t len,
                          msgpack_sbuffer *buf)
{
    return store_put(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, len, buf->data, buf->size);
}

/* ---------------------------------------------------------------- history */

/*  Prepares the history record of a change in s->hist and moves *head to
 *  it; nothing is written yet, so the caller can still read a record that
 *  points into LMDB and pack the application with its new head. */
static void s_history_prepare(scratch_t *s, history_head_t *head, const char *what, const char *state,
                              int64_t now)
{
    history_change_t change = {now, s->who.text, s->who.len, what, s->why.text, s->why.len, state};
    msgpack_sbuffer_clear(&s->hist);
    history_append(head, &change, &s->hist);
}

static int s_history_store(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                           const history_head_t *head)
{
    unsigned char key[HISTORY_KEY_MAX];
    size_t key_len = history_key(id, id_len, head->count, key);
    return store_put(txn, service_db(svc, INTAKE_DB_HISTORY), key, key_len, s->hist.data, s->hist.size);
}

static void s_pack_new_record(msgpack_packer *pk, const char *id, const msgpack_object *application,
                              const char *siret, const char *token, const history_head_t *history,
                              int64_t now)
{
    msgpack_pack_map(pk, 11);
    proto_pack_kv_str(pk, "id", id);
    proto_pack_kv_uint(pk, "revision", 1);
    proto_pack_kv_str(pk, "state", STATE_RECEIVED);
    const char *name = "";
    size_t name_len = 0;
    doc_str(doc_map(application, "organisation"), "name", &name, &name_len);
    proto_pack_kv_strn(pk, "name", name, name_len);
    proto_pack_kv_str(pk, "siret", siret);
    proto_pack_kv_uint(pk, "submitted_at", (uint64_t)now);
    proto_pack_kv_uint(pk, "updated_at", (uint64_t)now);
    proto_pack_str(pk, "report");
    msgpack_pack_nil(pk);
    proto_pack_str(pk, "decisions");
    msgpack_pack_array(pk, 0);
    unsigned char hash[INTAKE_TOKEN_HASH_BYTES];
    intake_token_hash(token, strlen(token), hash);
    proto_pack_str(pk, "token_hash");
    msgpack_pack_bin_with_body(pk, hash, sizeof hash);
    history_head_pack(pk, history);
}

/*  token: the applicant's token, given only in the receipt of a
 *  submission (NULL otherwise). */
static void s_pack_receipt(msgpack_packer *pk, service_request_t *req, const char *id, size_t id_len,
                           const char *state, size_t state_len, uint64_t revision, bool duplicate,
                           const char *token)
{
    proto_pack_reply(pk, "receipt", req->has_rid, req->rid, token ? 5 : 4);
    proto_pack_kv_strn(pk, "id", id, id_len);
    proto_pack_kv_strn(pk, "state", state, state_len);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_bool(pk, "duplicate", duplicate);
    if (token)
        proto_pack_kv_str(pk, "token", token);
}

static int s_reply_error(service_request_t *req, const char *code, const char *field,
                         const char *rule, const char *message)
{
    proto_error_t err;
    proto_error_set(&err, field, rule, "%s", message);
    proto_pack_error(req->reply, req->has_rid, req->rid, code, &err);
    return 0;
}

/*  The event validation consumes: the application as stored. */
static int s_emit_submitted(service_t *svc, MDB_txn *txn, const char *id, size_t id_len,
                            uint64_t revision, const void *doc, size_t doc_len, int64_t now)
{
    msgpack_packer *pk = service_event_begin(svc, "submitted", now, 3, NULL);
    proto_pack_kv_strn(pk, "id", id, id_len);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_raw(pk, "application", doc, doc_len);
    return service_event_end(svc, txn);
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
    int rc = s_load(txn, svc, id, id_len, &s->zone, &record);
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
        s_token_new(s, idz, key, key_len, token);
        has_token = intake_token_matches(&record, token, strlen(token));
    }
    s_pack_receipt(req->reply, req, id, id_len, state, state_len, revision, true,
                   has_token ? token : NULL);
    return 0;
}

/*  True when a remembered key belongs to the application `id`. */
static bool s_key_is_for(const msgpack_object *known, const char *id, size_t id_len)
{
    const char *known_id;
    size_t known_len;
    return doc_str(known, "id", &known_id, &known_len) && known_len == id_len
        && memcmp(known_id, id, id_len) == 0;
}

static int s_lookup_key(MDB_txn *txn, service_t *svc, const msgpack_object *msg, scratch_t *s,
                        msgpack_object *known)
{
    const char *key;
    size_t len;
    if (!doc_str(msg, "key", &key, &len))
        return MDB_NOTFOUND;
    return store_get_doc(txn, service_db(svc, INTAKE_DB_KEYS), key, len, &s->zone, known);
}

static int s_remember_key(MDB_txn *txn, service_t *svc, const msgpack_object *msg, const char *id,
                          uint64_t revision)
{
    const char *key;
    size_t len;
    if (!doc_str(msg, "key", &key, &len))
        return 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    proto_pack_kv_str(&pk, "id", id);
    proto_pack_kv_uint(&pk, "revision", revision);
    int rc = store_put(txn, service_db(svc, INTAKE_DB_KEYS), key, len, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
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
    proto_pack_error(req->reply, req->has_rid, req->rid, PROTO_E_INVALID, &err);
    return -1;
}

/* ----------------------------------------------------------------- submit */

/*  Refuses a second open application for one SIRET. */
static int s_check_siret_free(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s,
                              const char *siret, bool *taken)
{
    MDB_val key = {strlen(siret), (void *)siret}, value;
    *taken = false;
    int rc = mdb_get(txn, service_db(svc, INTAKE_DB_SIRETS), &key, &value);
    if (rc == MDB_NOTFOUND || !*siret)
        return 0;
    if (rc)
        return rc;
    char id[PROTO_ID_MAX + 1];
    snprintf(id, sizeof id, "%.*s", (int)(value.mv_size > PROTO_ID_MAX ? PROTO_ID_MAX : value.mv_size),
             (const char *)value.mv_data);
    msgpack_object record;
    rc = s_load(txn, svc, id, strlen(id), &s->zone, &record);
    if (rc)
        return rc;
    if (doc_str_eq(&record, "state", STATE_REJECTED) || doc_str_eq(&record, "state", STATE_WITHDRAWN))
        return 0;
    char state[32], message[PROTO_MESSAGE_MAX];
    doc_strcpy(&record, "state", state, sizeof state);
    snprintf(message, sizeof message,
             "an application for SIRET %s is already open (id %s, state %s): follow it, or amend it when it is incomplete or changes are requested", siret, id,
             state);
    *taken = true;
    return s_reply_error(req, PROTO_E_CONFLICT, "application.organisation.siret", "unique", message);
}

static int s_submit(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const msgpack_object *application = doc_map(req->msg, "application");
    msgpack_object known;
    int rc = s_lookup_key(txn, svc, req->msg, s, &known);
    if (rc == 0)
        return s_replay_receipt(txn, svc, req, s, &known);
    if (rc != MDB_NOTFOUND)
        return rc;
    if (s_validate(req, application))
        return 0;
    char siret[S_SIRET_MAX];
    s_siret_of(application, siret);
    bool taken;
    if ((rc = s_check_siret_free(txn, svc, req, s, siret, &taken)) || taken)
        return rc;

    char id[13];
    MDB_val probe_key, probe;
    do {
        s_new_id(id);
        probe_key = (MDB_val){12, id};
    } while (mdb_get(txn, service_db(svc, INTAKE_DB_APPLICATIONS), &probe_key, &probe) == 0);

    char token[INTAKE_TOKEN_CHARS + 1];
    const char *key;
    size_t key_len;
    bool keyed = doc_str(req->msg, "key", &key, &key_len);
    s_token_new(s, id, keyed ? key : NULL, keyed ? key_len : 0, token);

    history_head_t history = {0};
    s_text_set(&s->who, "applicant");
    s_text_set(&s->why, "revision 1");
    s_history_prepare(s, &history, "submitted", STATE_RECEIVED, req->now);
    msgpack_sbuffer_clear(&s->buf);
    s_pack_normalized(&s->pk, application, "");
    size_t doc_len = s->buf.size;
    s_pack_new_record(&s->pk, id, application, siret, token, &history, req->now);
    const char *doc = s->buf.data;
    rc = store_put(txn, service_db(svc, INTAKE_DB_DOCUMENTS), id, 12, doc, doc_len);
    if (!rc)
        rc = store_put(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, 12, doc + doc_len,
                       s->buf.size - doc_len);
    if (!rc && *siret)
        rc = store_put(txn, service_db(svc, INTAKE_DB_SIRETS), siret, strlen(siret), id, 12);
    if (!rc)
        rc = s_history_store(txn, svc, s, id, 12, &history);
    if (!rc)
        rc = s_remember_key(txn, svc, req->msg, id, 1);
    if (!rc)
        rc = s_emit_submitted(svc, txn, id, 12, 1, doc, doc_len, req->now);
    if (!rc)
        s_pack_receipt(req->reply, req, id, 12, STATE_RECEIVED, strlen(STATE_RECEIVED), 1, false, token);
    return rc;
}

/* ------------------------------------------------------------------ amend */

static int s_check_amendable(service_request_t *req, const msgpack_object *record,
                             const msgpack_object *application, bool *refused)
{
    *refused = true;
    if (!doc_str_eq(record, "state", STATE_INCOMPLETE)
        && !doc_str_eq(record, "state", STATE_CHANGES_REQUESTED)) {
        char state[32], message[PROTO_MESSAGE_MAX];
        doc_strcpy(record, "state", state, sizeof state);
        snprintf(message, sizeof message,
                 "an application in state %s cannot be amended: only incomplete or changes_requested ones can",
                 state);
        return s_reply_error(req, PROTO_E_CONFLICT, "id", "state", message);
    }
    char before[S_SIRET_MAX], after[S_SIRET_MAX];
    doc_strcpy(record, "siret", before, sizeof before);
    s_siret_of(application, after);
    if (strcmp(before, after) != 0)
        return s_reply_error(req, PROTO_E_INVALID, "application.organisation.siret", "immutable",
                             "an amendment cannot change the SIRET: submit a new application instead");
    *refused = false;
    return 0;
}

static int s_amend(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    const msgpack_object *application = doc_map(req->msg, "application");
    msgpack_object known, record;
    int rc = s_lookup_key(txn, svc, req->msg, s, &known);
    if (rc == 0 && !s_key_is_for(&known, id, id_len))
        return s_reply_error(req, PROTO_E_CONFLICT, "key", "unique",
                             "this idempotency key was already used for another application");
    if (rc == 0)
        return s_replay_receipt(txn, svc, req, s, &known);
    if (rc != MDB_NOTFOUND)
        return rc;
    rc = s_load(txn, svc, id, id_len, &s->zone, &record);
    if (rc == MDB_NOTFOUND || (rc == 0 && s_token_refused(req->msg, &record)))
        return s_reply_error(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
    if (rc)
        return rc;
    bool refused;
    if (s_validate(req, application) || s_check_amendable(req, &record, application, &refused) || refused)
        return 0;

    uint64_t revision = 1;
    doc_uint(&record, "revision", &revision);
    revision++;
    history_head_t history;
    if (history_head_read(&record, &history))
        return MDB_CORRUPTED;
    s_text_set(&s->who, "applicant");
    s_text_set(&s->why, "");
    s_text_add_number(&s->why, "revision ", revision);
    s_history_prepare(s, &history, "amended", STATE_RECEIVED, req->now);
    msgpack_sbuffer_clear(&s->buf);
    s_pack_normalized(&s->pk, application, "");
    size_t doc_len = s->buf.size;
    static const char *const changed[] = {"revision", "state", "updated_at", "report", "name",
                                          "history", NULL};
    doc_pack_map_except(&s->pk, &record, changed, 6);
    history_head_pack(&s->pk, &history);
    proto_pack_kv_uint(&s->pk, "revision", revision);
    proto_pack_kv_str(&s->pk, "state", STATE_RECEIVED);
    proto_pack_kv_uint(&s->pk, "updated_at", (uint64_t)req->now);
    proto_pack_str(&s->pk, "report");
    msgpack_pack_nil(&s->pk);
    const char *name = "";
    size_t name_len = 0;
    doc_str(doc_map(application, "organisation"), "name", &name, &name_len);
    proto_pack_kv_strn(&s->pk, "name", name, name_len);

    char idz[PROTO_ID_MAX + 1];
    snprintf(idz, sizeof idz, "%.*s", (int)id_len, id);
    const char *doc = s->buf.data;
    rc = store_put(txn, service_db(svc, INTAKE_DB_DOCUMENTS), id, id_len, doc, doc_len);
    if (!rc)
        rc = store_put(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, id_len, doc + doc_len,
                       s->buf.size - doc_len);
    if (!rc)
        rc = s_history_store(txn, svc, s, id, id_len, &history);
    if (!rc)
        rc = s_remember_key(txn, svc, req->msg, idz, revision);
    if (!rc)
        rc = s_emit_submitted(svc, txn, id, id_len, revision, doc, doc_len, req->now);
    if (!rc)
        s_pack_receipt(req->reply, req, id, id_len, STATE_RECEIVED, strlen(STATE_RECEIVED), revision,
                       false, NULL);
    return rc;
}

/* ----------------------------------------------------------------- status */

/*  Fields of the stored record that a status reply leaves out: the hash of
 *  the token, and the head of the history (which the history reply gives). */
static bool s_internal_field(const msgpack_object *key)
{
    return doc_is(key, "token_hash") || doc_is(key, "history");
}

/*  Loads the application a request names, when its token (if one is
 *  given) matches.  0 with *record; 1 when a not_found reply was packed (no
 *  such id and a wrong token get the same answer); or an LMDB code. */
static int s_load_requested(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s,
                            msgpack_object *record)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    int rc = s_load(txn, svc, id, id_len, &s->zone, record);
    if (rc == MDB_NOTFOUND || (rc == 0 && s_token_refused(req->msg, record))) {
        s_reply_error(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
        return 1;
    }
    return rc;
}

static int s_status(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    msgpack_object record;
    int rc = s_load_requested(svc, txn, req, s, &record);
    if (rc)
        return rc == 1 ? 0 : rc;
    MDB_val key = {id_len, (void *)id}, document = {0, NULL};
    bool with_application = doc_bool(req->msg, "with_application", false);
    if (with_application) {
        rc = mdb_get(txn, service_db(svc, INTAKE_DB_DOCUMENTS), &key, &document);
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
        msgpack_pack_object(req->reply, record.via.map.ptr[i].val);
    }
    if (with_application)
        proto_pack_kv_raw(req->reply, "application", document.mv_data, document.mv_size);
    return 0;
}

/* ---------------------------------------------------------------- history */

/*  Reads the records of one application in key order into s->hist,
 *  verifying the chain on the way; *count records were read. */
static int s_history_read(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                          history_verifier_t *verifier, uint64_t *count)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, INTAKE_DB_HISTORY), &cursor);
    if (rc)
        return rc;
    unsigned char first[HISTORY_KEY_MAX];
    MDB_val key = {history_key(id, id_len, 0, first), first}, value;
    msgpack_sbuffer_clear(&s->hist);
    *count = 0;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        if (key.mv_size != id_len + 8 || memcmp(key.mv_data, id, id_len) != 0)
            break;
        history_verify_stored(verifier, value.mv_data, value.mv_size);
        msgpack_sbuffer_write(&s->hist, value.mv_data, value.mv_size);
        (*count)++;
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  The audit trail of one application, verified here; the records go out
 *  as stored, so that the client can verify them again. */
static int s_history(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    msgpack_object record;
    int rc = s_load_requested(svc, txn, req, s, &record);
    if (rc)
        return rc == 1 ? 0 : rc;
    history_head_t head;
    bool head_ok = history_head_read(&record, &head) == 0;
    history_verifier_t verifier;
    history_verifier_init(&verifier);
    uint64_t count;
    rc = s_history_read(txn, svc, s, id, id_len, &verifier, &count);
    if (rc == 0) {
        if (!head_ok) {
            verifier.broken = true;
            verifier.brk.n = 0;
            snprintf(verifier.brk.reason, sizeof verifier.brk.reason,
                     "the application's record of its history head is malformed");
        }
        history_verify_end(&verifier, &head);
        proto_pack_reply(req->reply, "history", req->has_rid, req->rid, verifier.broken ? 6 : 5);
        proto_pack_kv_strn(req->reply, "id", id, id_len);
        proto_pack_kv_uint(req->reply, "count", head.count);
        proto_pack_str(req->reply, "head");
        msgpack_pack_bin_with_body(req->reply, head.head, sizeof head.head);
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

int intake_start(void *ctx, service_t *svc, MDB_txn *txn)
{
    scratch_t *s = ctx;
    MDB_dbi meta = service_db(svc, INTAKE_DB_META);
    MDB_val key = {strlen(S_SECRET_KEY), (void *)S_SECRET_KEY}, value;
    int rc = mdb_get(txn, meta, &key, &value);
    if (rc == 0 && value.mv_size == sizeof s->secret) {
        memcpy(s->secret, value.mv_data, sizeof s->secret);
        return 0;
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    crypto_generichash_keygen(s->secret);
    value = (MDB_val){sizeof s->secret, s->secret};
    return mdb_put(txn, meta, &key, &value, 0);
}

int intake_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    scratch_t *s = ctx;
    msgpack_zone_clear(&s->zone);
    if (strcmp(req->type, "submit") == 0)
        return s_submit(svc, txn, req, s);
    if (strcmp(req->type, "amend") == 0)
        return s_amend(svc, txn, req, s);
    if (strcmp(req->type, "status") == 0)
        return s_status(svc, txn, req, s);
    if (strcmp(req->type, "history") == 0)
        return s_history(svc, txn, req, s);
    return s_reply_error(req, PROTO_E_INVALID, "type", "unsupported",
                         "intake does not answer this message type");
}

/* ---------------------------------------------------------- the streams */

/*  Loads the record an event is about, when it concerns its current
 *  revision (events of an older revision are history, already superseded).
 *  Returns 0 and *current, or an LMDB code other than NOTFOUND. */
static int s_load_current(MDB_txn *txn, service_t *svc, scratch_t *s, const msgpack_object *event,
                          bool any_revision, msgpack_object *record, bool *current)
{
    const char *id;
    size_t id_len;
    *current = false;
    if (!doc_str(event, "id", &id, &id_len))
        return 0;
    int rc = s_load(txn, svc, id, id_len, &s->zone, record);
    if (rc == MDB_NOTFOUND) {
        log_warn("event about unknown application %.*s ignored", (int)id_len, id);
        return 0;
    }
    if (rc)
        return rc;
    uint64_t mine = 0, theirs = 0;
    doc_uint(record, "revision", &mine);
    *current = any_revision || !doc_uint(event, "revision", &theirs) || theirs == mine;
    return 0;
}

/*  Rewrites the record with a new state (when it moves the file forward),
 *  and optionally a report, a decision appended, or a reason. */
typedef struct {
    const char *state;
    const msgpack_object *report;
    const msgpack_object *decision_event;
    const msgpack_object *reason;
    const char *what;            /* the history record's "what"; who and why are in scratch */
    bool recorded;               /* a fact of its own: recorded even when the state stays */
} change_t;

static void s_pack_decision(msgpack_packer *pk, const msgpack_object *event)
{
    static const char *const fields[] = {"round", "revision", "decision", "motivations", "at"};
    msgpack_pack_map(pk, 5);
    for (size_t i = 0; i < 5; i++) {
        const msgpack_object *value = doc_get(event, fields[i]);
        proto_pack_str(pk, fields[i]);
        if (value)
            msgpack_pack_object(pk, *value);
        else
            msgpack_pack_nil(pk);
    }
}

static int s_rewrite(MDB_txn *txn, service_t *svc, scratch_t *s, const msgpack_object *record,
                     const change_t *change, int64_t now)
{
    bool forward = change->state
        && intake_state_rank(change->state, strlen(change->state)) > s_rank_of(record);
    /* A report is kept even when the state has already moved on: intake
     * reads validation's and review's streams independently, so a decision
     * can arrive before the report it was made on. */
    if (!forward && !change->decision_event && !change->report && !change->recorded)
        return 0;
    /* The history record first: it reads the head from `record`, which
     * must not be read after the first write. */
    history_head_t history;
    if (history_head_read(record, &history))
        return MDB_CORRUPTED;
    const char *after = forward ? change->state : "";
    char state[32];
    if (!forward)
        doc_strcpy(record, "state", state, sizeof state), after = state;
    s_history_prepare(s, &history, change->what, after, now);
    const char *skip[7] = {"updated_at", "history", NULL};
    size_t n = 2, extra = 2;
    if (forward)
        skip[n++] = "state", extra++;
    if (change->report)
        skip[n++] = "report", extra++;
    if (change->decision_event)
        skip[n++] = "decisions", extra++;
    if (forward && change->reason)
        skip[n++] = "reason", extra++;
    msgpack_sbuffer_clear(&s->buf);
    doc_pack_map_except(&s->pk, record, skip, extra);
    proto_pack_kv_uint(&s->pk, "updated_at", (uint64_t)now);
    history_head_pack(&s->pk, &history);
    if (forward)
        proto_pack_kv_str(&s->pk, "state", change->state);
    if (change->report) {
        proto_pack_str(&s->pk, "report");
        msgpack_pack_object(&s->pk, *change->report);
    }
    if (change->decision_event) {
        const msgpack_object *old = doc_array(record, "decisions");
        proto_pack_str(&s->pk, "decisions");
        msgpack_pack_array(&s->pk, doc_len(old) + 1);
        for (size_t i = 0; i < doc_len(old); i++)
            msgpack_pack_object(&s->pk, *doc_at(old, i));
        s_pack_decision(&s->pk, change->decision_event);
    }
    if (forward && change->reason) {
        proto_pack_str(&s->pk, "reason");
        msgpack_pack_object(&s->pk, *change->reason);
    }
    /* The key must not point into the record being replaced: LMDB may move
     * or free that memory while it writes the new value. */
    char id[PROTO_ID_MAX + 1];
    int id_len = doc_strcpy(record, "id", id, sizeof id);
    if (id_len <= 0 || id_len > PROTO_ID_MAX)
        return MDB_CORRUPTED;
    int rc = s_history_store(txn, svc, s, id, (size_t)id_len, &history);
    return rc ? rc : s_store_record(txn, svc, id, (size_t)id_len, &s->buf);
}

static int s_apply(void *ctx, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                   bool any_revision, const change_t *change, int64_t now)
{
    scratch_t *s = ctx;
    msgpack_zone_clear(&s->zone);
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, any_revision, &record, &current);
    if (rc || !current)
        return rc;
    return s_rewrite(txn, svc, s, &record, change, now);
}

/*  why of a validation: the verdict and the codes of the criteria that
 *  failed ("verdict incomplete; failing: C03, C07"). */
static void s_why_validated(text_t *why, const msgpack_object *event)
{
    const char *text;
    size_t len;
    s_text_set(why, "verdict ");
    if (doc_str(event, "verdict", &text, &len))
        s_text_add(why, text, len);
    const msgpack_object *criteria = doc_array(doc_map(event, "report"), "criteria");
    size_t failing = 0;
    for (size_t i = 0; i < doc_len(criteria); i++) {
        const msgpack_object *criterion = doc_at(criteria, i);
        if (!doc_str_eq(criterion, "outcome", "fail") || !doc_str(criterion, "code", &text, &len))
            continue;
        const char *separator = failing++ ? ", " : "; failing: ";
        s_text_add(why, separator, strlen(separator));
        s_text_add(why, text, len);
    }
}

int intake_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now)
{
    if (strcmp(type, "validated") != 0)
        return 0;
    scratch_t *s = ctx;
    bool incomplete = doc_str_eq(event, "verdict", "incomplete");
    change_t change = {incomplete ? STATE_INCOMPLETE : STATE_IN_REVIEW, doc_map(event, "report"), NULL,
                       NULL, "validated", false};
    s_text_set(&s->who, "validation");
    s_why_validated(&s->why, event);
    return s_apply(ctx, svc, txn, event, false, &change, now);
}

static const char *s_state_of_decision(const msgpack_object *event)
{
    if (doc_str_eq(event, "decision", "approve"))
        return STATE_APPROVED;
    if (doc_str_eq(event, "decision", "reject"))
        return STATE_REJECTED;
    return STATE_CHANGES_REQUESTED;
}

/*  A texts array joined with `separator`. */
static void s_text_join(text_t *t, const msgpack_object *texts, const char *separator)
{
    for (size_t i = 0; i < doc_len(texts); i++) {
        const msgpack_object *item = doc_at(texts, i);
        if (item->type != MSGPACK_OBJECT_STR)
            continue;
        if (i)
            s_text_add(t, separator, strlen(separator));
        s_text_add(t, item->via.str.ptr, item->via.str.size);
    }
}

/*  who of a decision: the members who voted in the round (events written
 *  before review named them say "committee"); why: the round, the
 *  decision and its motivations. */
static void s_describe_decision(scratch_t *s, const msgpack_object *event)
{
    const msgpack_object *voters = doc_array(event, "voters");
    s->who.len = 0;
    s_text_join(&s->who, voters, ", ");
    if (!s->who.len)
        s_text_set(&s->who, "committee");
    uint64_t round = 0;
    doc_uint(event, "round", &round);
    s_text_set(&s->why, "");
    s_text_add_number(&s->why, "round ", round);
    s_text_add(&s->why, ": ", 2);
    const char *decision = "";
    size_t len = 0;
    doc_str(event, "decision", &decision, &len);
    s_text_add(&s->why, decision, len);
    const msgpack_object *motivations = doc_array(event, "motivations");
    if (doc_len(motivations)) {
        s_text_add(&s->why, "; motivations: ", 15);
        s_text_join(&s->why, motivations, " | ");
    }
}

static void s_text_of(text_t *t, const msgpack_object *text)
{
    t->len = 0;
    t->text[0] = '\0';
    if (text && text->type == MSGPACK_OBJECT_STR)
        s_text_add(t, text->via.str.ptr, text->via.str.size);
}

int intake_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                        const msgpack_object *event, int64_t now)
{
    scratch_t *s = ctx;
    if (strcmp(type, "decided") == 0) {
        change_t change = {s_state_of_decision(event), NULL, event, NULL, "decided", false};
        s_describe_decision(s, event);
        return s_apply(ctx, svc, txn, event, false, &change, now);
    }
    if (strcmp(type, "withdrawn") == 0) {
        /* The staff's withdrawal is recorded with its reason even when the
         * publication stream withdrew the listing first. */
        change_t change = {STATE_WITHDRAWN, NULL, NULL, doc_get(event, "reason"), "withdrawn", true};
        s_text_set(&s->who, "staff");
        s_text_of(&s->why, doc_get(event, "reason"));
        return s_apply(ctx, svc, txn, event, true, &change, now);
    }
    return 0;
}

int intake_apply_publication(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now)
{
    scratch_t *s = ctx;
    s_text_set(&s->who, "publication");
    if (strcmp(type, "upsert") == 0) {
        change_t change = {STATE_PUBLISHED, NULL, NULL, NULL, "published", false};
        uint64_t version = 0;
        doc_uint(event, "version", &version);
        s_text_set(&s->why, "");
        s_text_add_number(&s->why, "listed in the directory, version ", version);
        return s_apply(ctx, svc, txn, event, true, &change, now);
    }
    if (strcmp(type, "withdraw") == 0) {
        change_t change = {STATE_WITHDRAWN, NULL, NULL, doc_get(event, "reason"), "unlisted", false};
        s_text_set(&s->why, "withdrawn from the directory: ");
        const char *reason;
        size_t len;
        if (doc_str(event, "reason", &reason, &len))
            s_text_add(&s->why, reason, len);
        return s_apply(ctx, svc, txn, event, true, &change, now);
    }
    return 0;
}

void *intake_context_new(void)
{
    scratch_t *s = calloc(1, sizeof *s);
    s_scratch_init(s);
    return s;
}

void intake_context_destroy(void **ctx_p)
{
    if (*ctx_p)
        s_scratch_fini(*ctx_p);
    free(*ctx_p);
    *ctx_p = NULL;
}
