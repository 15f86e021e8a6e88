/*  services/intake/intake.c - see intake.h. */
#include "intake.h"

#include "proto/history.h"
#include "rules.h"

#include "proto/doc.h"
#include "common/log.h"
#include "common/store.h"
#include "proto/messages.h"
#include "proto/schema.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const intake_dbs[] = {"applications", "documents", "keys", "sirets", "meta", "history", "reports",
                                  NULL};

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
    text_t reason;               /* a withdrawal's reason made of several texts */
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

static bool s_is_state(const msgpack_object *record, const char *state)
{
    return doc_str_eq(record, "state", state);
}

/*  The key must not point into the record being replaced: LMDB may move or
 *  free that memory while it writes the new value. */
static int s_record_id(const msgpack_object *record, char id[PROTO_ID_MAX + 1])
{
    int id_len = doc_strcpy(record, "id", id, PROTO_ID_MAX + 1);
    return id_len <= 0 || id_len > PROTO_ID_MAX ? -1 : id_len;
}

/*  An erased application keeps no personal data: of what happens to it
 *  afterwards only the end of its file elsewhere is recorded (review's
 *  "withdrawn" and publication's "withdraw" of kind erased, whose texts
 *  are about the erasure, not about the applicant). */
static bool s_is_erased(const msgpack_object *record)
{
    return doc_get(record, "erased_at") != NULL;
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

/*  A new id: 16 characters of Crockford base32.  The first 8 are the
 *  milliseconds since 2020-01-01T00:00:00Z (40 bits, enough until 2054), the
 *  last 8 are random (40 bits).  The time prefix makes ids of one batch
 *  neighbours in every tree keyed by id (they share the rightmost leaf pages
 *  instead of dirtying one page each); the random part keeps ids unguessable
 *  and lets two gateways create ids without agreeing on a counter.  Two ids
 *  of the same millisecond differ by their random part; submit checks the id
 *  is free all the same. */
#define S_ID_CHARS 16
#define S_ID_EPOCH_MS 1577836800000ull

static void s_new_id(char id[S_ID_CHARS + 1], int64_t now_ms)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    uint64_t ms = now_ms > 0 ? (uint64_t)now_ms : 0;
    ms = ms > S_ID_EPOCH_MS ? ms - S_ID_EPOCH_MS : 0;
    for (int i = 7; i >= 0; i--, ms >>= 5)
        id[i] = alphabet[ms & 31];
    unsigned char bytes[8];
    randombytes_buf(bytes, sizeof bytes);
    for (int i = 0; i < 8; i++)
        id[8 + i] = alphabet[bytes[i] & 31];
    id[S_ID_CHARS] = '\0';
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

/*  Drops the report of an application (amended, erased); having none is
 *  not an error. */
static int s_drop_report(MDB_txn *txn, service_t *svc, const char *id, size_t len)
{
    MDB_val key = {len, (void *)id};
    int rc = mdb_del(txn, service_db(svc, INTAKE_DB_REPORTS), &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  Packs the value of the record's "report" as a status reply gives it:
 *  true means it is in the reports database (nil if it went missing);
 *  anything else (nil, or a report kept in the record by an earlier
 *  version) goes out as it is. */
static int s_pack_report(msgpack_packer *pk, MDB_txn *txn, service_t *svc, const char *id, size_t len,
                         const msgpack_object *value)
{
    if (value->type != MSGPACK_OBJECT_BOOLEAN || !value->via.boolean) {
        msgpack_pack_object(pk, *value);
        return 0;
    }
    MDB_val key = {len, (void *)id}, report;
    int rc = mdb_get(txn, service_db(svc, INTAKE_DB_REPORTS), &key, &report);
    if (rc == MDB_NOTFOUND) {
        log_warn("report of %.*s missing", (int)len, id);
        msgpack_pack_nil(pk);
        return 0;
    }
    if (rc)
        return rc;
    proto_pack_raw(pk, report.mv_data, report.mv_size);
    return 0;
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
                              const char *renews, int64_t now)
{
    msgpack_pack_map(pk, proto_entries(11, renews));
    if (renews)
        proto_pack_kv_str(pk, "renews", renews);
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
    proto_pack_reply(pk, "receipt", req->has_rid, req->rid, proto_entries(4, token));
    proto_pack_kv_strn(pk, "id", id, id_len);
    proto_pack_kv_strn(pk, "state", state, state_len);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_bool(pk, "duplicate", duplicate);
    if (token)
        proto_pack_kv_str(pk, "token", token);
}

/*  The event validation consumes: the application as stored. */
static int s_emit_submitted(service_t *svc, MDB_txn *txn, const char *id, size_t id_len,
                            uint64_t revision, const void *doc, size_t doc_len, const char *renews,
                            int64_t now)
{
    msgpack_packer *pk = service_event_begin(svc, "submitted", now, proto_entries(3, renews), NULL);
    proto_pack_kv_strn(pk, "id", id, id_len);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_raw(pk, "application", doc, doc_len);
    if (renews)
        proto_pack_kv_str(pk, "renews", renews);
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
static bool s_key_matches(const msgpack_object *known, const msgpack_object *msg)
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
static int s_remember_key(MDB_txn *txn, service_t *svc, const msgpack_object *msg, const char *id,
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

/* ----------------------------------------------------------------- submit */

/*  Refuses a second open application for one SIRET.  A renewal may be
 *  submitted while the listing it renews (`renews`) is still approved or
 *  published: renewing before expiry is the point. */
static int s_check_siret_free(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s,
                              const char *siret, const char *renews)
{
    MDB_val key = {strlen(siret), (void *)siret}, value;
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
    if (intake_siret_free(&record, id, renews))
        return 0;
    char state[32];
    doc_strcpy(&record, "state", state, sizeof state);
    return service_refuse(req, PROTO_E_CONFLICT, "application.organisation.siret", "unique",
                          "an application for SIRET %s is already open (id %s, state %s): follow it, or amend it "
                          "when it is incomplete or changes are requested", siret, id, state);
}

/*  What a renewal may renew: an earlier application of the same SIRET that
 *  is listed (approved, published) or whose listing ended by expiry or by
 *  an earlier renewal.  0 when it may (or when there is no renews),
 *  SERVICE_REFUSED, or an LMDB code. */
static int s_check_renewal(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s,
                           const char *siret, char renews[PROTO_ID_MAX + 1])
{
    if (doc_strcpy(req->msg, "renews", renews, PROTO_ID_MAX + 1) <= 0) {
        renews[0] = '\0';
        return 0;
    }
    msgpack_object record;
    int rc = s_load(txn, svc, renews, strlen(renews), &s->zone, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    proto_error_t err;
    const char *code = intake_renewal_refused(rc ? NULL : &record, renews, siret, &err);
    return code ? service_refuse_error(req, code, &err) : 0;
}

static int s_submit(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const msgpack_object *application = doc_map(req->msg, "application");
    msgpack_object known;
    int rc = s_lookup_key(txn, svc, req->msg, s, &known);
    if (rc == 0 && !s_key_matches(&known, req->msg))
        return service_refuse(req, PROTO_E_CONFLICT, "key", "unique",
                             "this idempotency key was already used with another application");
    if (rc == 0)
        return s_replay_receipt(txn, svc, req, s, &known);
    if (rc != MDB_NOTFOUND)
        return rc;
    char siret[S_SIRET_MAX], renews[PROTO_ID_MAX + 1];
    s_siret_of(application, siret);
    if ((rc = s_validate(req, application)) || (rc = s_check_renewal(txn, svc, req, s, siret, renews))
        || (rc = s_check_siret_free(txn, svc, req, s, siret, *renews ? renews : NULL)))
        return rc;

    char id[S_ID_CHARS + 1];
    MDB_val probe_key, probe;
    do {
        s_new_id(id, req->now_ms);
        probe_key = (MDB_val){S_ID_CHARS, id};
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
    s_pack_new_record(&s->pk, id, application, siret, token, &history, *renews ? renews : NULL, req->now);
    const char *doc = s->buf.data;
    rc = store_put(txn, service_db(svc, INTAKE_DB_DOCUMENTS), id, S_ID_CHARS, doc, doc_len);
    if (!rc)
        rc = store_put(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, S_ID_CHARS, doc + doc_len,
                       s->buf.size - doc_len);
    if (!rc && *siret)
        rc = store_put(txn, service_db(svc, INTAKE_DB_SIRETS), siret, strlen(siret), id, S_ID_CHARS);
    if (!rc)
        rc = s_history_store(txn, svc, s, id, S_ID_CHARS, &history);
    if (!rc)
        rc = s_remember_key(txn, svc, req->msg, id, 1, false);
    if (!rc)
        rc = s_emit_submitted(svc, txn, id, S_ID_CHARS, 1, doc, doc_len, *renews ? renews : NULL, req->now);
    if (!rc)
        s_pack_receipt(req->reply, req, id, S_ID_CHARS, STATE_RECEIVED, strlen(STATE_RECEIVED), 1, false, token);
    return rc;
}

/* ------------------------------------------------------------------ amend */

static int s_check_amendable(service_request_t *req, const msgpack_object *record,
                             const msgpack_object *application)
{
    if (!doc_str_eq(record, "state", STATE_INCOMPLETE)
        && !doc_str_eq(record, "state", STATE_CHANGES_REQUESTED)) {
        char state[32];
        doc_strcpy(record, "state", state, sizeof state);
        return service_refuse(req, PROTO_E_CONFLICT, "id", "state",
                              "an application in state %s cannot be amended: only incomplete or "
                              "changes_requested ones can", state);
    }
    char before[S_SIRET_MAX], after[S_SIRET_MAX];
    doc_strcpy(record, "siret", before, sizeof before);
    s_siret_of(application, after);
    if (strcmp(before, after) != 0)
        return service_refuse(req, PROTO_E_INVALID, "application.organisation.siret", "immutable",
                             "an amendment cannot change the SIRET: submit a new application instead");
    return 0;
}

static int s_amend(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    const msgpack_object *application = doc_map(req->msg, "application");
    msgpack_object known, record;
    /* The token first: a key must not tell a stranger anything. */
    int rc = s_load(txn, svc, id, id_len, &s->zone, &record);
    if (rc == MDB_NOTFOUND || (rc == 0 && s_token_refused(req->msg, &record)))
        return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
    if (rc)
        return rc;
    rc = s_lookup_key(txn, svc, req->msg, s, &known);
    if (rc == 0 && (!s_key_is_for(&known, id, id_len) || !s_key_matches(&known, req->msg)))
        return service_refuse(req, PROTO_E_CONFLICT, "key", "unique",
                             "this idempotency key was already used for another application");
    if (rc == 0)
        return s_replay_receipt(txn, svc, req, s, &known);
    if (rc != MDB_NOTFOUND)
        return rc;
    if ((rc = s_validate(req, application)) || (rc = s_check_amendable(req, &record, application)))
        return rc;

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

    char idz[PROTO_ID_MAX + 1], renews[PROTO_ID_MAX + 1];
    snprintf(idz, sizeof idz, "%.*s", (int)id_len, id);
    bool renewal = doc_strcpy(&record, "renews", renews, sizeof renews) > 0;
    const char *doc = s->buf.data;
    rc = store_put(txn, service_db(svc, INTAKE_DB_DOCUMENTS), id, id_len, doc, doc_len);
    if (!rc)
        rc = store_put(txn, service_db(svc, INTAKE_DB_APPLICATIONS), id, id_len, doc + doc_len,
                       s->buf.size - doc_len);
    if (!rc)
        rc = s_drop_report(txn, svc, id, id_len);
    if (!rc)
        rc = s_history_store(txn, svc, s, id, id_len, &history);
    if (!rc)
        rc = s_remember_key(txn, svc, req->msg, idz, revision, false);
    if (!rc)
        rc = s_emit_submitted(svc, txn, id, id_len, revision, doc, doc_len, renewal ? renews : NULL, req->now);
    if (!rc)
        s_pack_receipt(req->reply, req, id, id_len, STATE_RECEIVED, strlen(STATE_RECEIVED), revision,
                       false, NULL);
    return rc;
}

/* ----------------------------------------------------------------- status */

/*  Fields of the stored record that a status reply leaves out: the hash of
 *  the token, the head of the history (which the history reply gives), and
 *  the suspensions counted on each stream (see s_apply_suspension). */
static bool s_internal_field(const msgpack_object *key)
{
    return doc_is(key, "token_hash") || doc_is(key, "history") || doc_is(key, "suspensions");
}

/*  Loads the application a request names, when its token (if one is
 *  given) matches.  0 with *record; SERVICE_REFUSED, not_found (no such id
 *  and a wrong token get the same answer); or an LMDB code. */
static int s_load_requested(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s,
                            msgpack_object *record)
{
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    int rc = s_load(txn, svc, id, id_len, &s->zone, record);
    if (rc == MDB_NOTFOUND || (rc == 0 && s_token_refused(req->msg, record)))
        return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
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
        return rc;
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
        if (doc_is(&record.via.map.ptr[i].key, "report")) {
            if ((rc = s_pack_report(req->reply, txn, svc, id, id_len, &record.via.map.ptr[i].val)))
                return rc;
        } else {
            msgpack_pack_object(req->reply, record.via.map.ptr[i].val);
        }
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
        return rc;
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
        proto_pack_reply(req->reply, "history", req->has_rid, req->rid, proto_entries(5, verifier.broken));
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

/* ----------------------------------------------------------------- appeal */

static void s_pack_ack(service_request_t *req, const char *id, size_t id_len, const char *state)
{
    proto_pack_reply(req->reply, "ack", req->has_rid, req->rid, 2);
    proto_pack_kv_strn(req->reply, "id", id, id_len);
    proto_pack_kv_str(req->reply, "state", state);
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
static int s_appeal(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    const char *id, *motivation;
    size_t id_len, motivation_len;
    doc_str(req->msg, "id", &id, &id_len);
    doc_str(req->msg, "motivation", &motivation, &motivation_len);
    msgpack_object record, known;
    int rc = s_load_requested(svc, txn, req, s, &record);
    if (rc)
        return rc;
    char idz[PROTO_ID_MAX + 1];
    if (s_record_id(&record, idz) < 0)
        return MDB_CORRUPTED;
    rc = s_lookup_key(txn, svc, req->msg, s, &known);
    if (rc == 0 && (!s_key_is_for(&known, id, id_len) || !doc_bool(&known, "appeal", false)))
        return service_refuse(req, PROTO_E_CONFLICT, "key", "unique",
                             "this idempotency key was already used for another request");
    char state[32] = "";
    doc_strcpy(&record, "state", state, sizeof state);
    if (rc == 0) {
        s_pack_ack(req, id, id_len, state);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    if ((rc = s_check_appealable(req, &record)))
        return rc;

    uint64_t revision = 1;
    doc_uint(&record, "revision", &revision);
    history_head_t history;
    if (history_head_read(&record, &history))
        return MDB_CORRUPTED;
    s_text_set(&s->who, "applicant");
    s_text_set(&s->why, "");
    s_text_add(&s->why, motivation, motivation_len);
    s_history_prepare(s, &history, "appealed", state, req->now);
    static const char *const changed[] = {"updated_at", "history", NULL};
    msgpack_sbuffer_clear(&s->buf);
    doc_pack_map_except(&s->pk, &record, changed, 3);
    proto_pack_kv_uint(&s->pk, "updated_at", (uint64_t)req->now);
    history_head_pack(&s->pk, &history);
    proto_pack_str(&s->pk, "appeal");
    msgpack_pack_map(&s->pk, 2);
    proto_pack_kv_strn(&s->pk, "motivation", motivation, motivation_len);
    proto_pack_kv_uint(&s->pk, "at", (uint64_t)req->now);
    rc = s_history_store(txn, svc, s, idz, strlen(idz), &history);
    if (!rc)
        rc = s_store_record(txn, svc, idz, strlen(idz), &s->buf);
    if (!rc)
        rc = s_remember_key(txn, svc, req->msg, idz, revision, true);
    if (!rc) {
        msgpack_packer *pk = service_event_begin(svc, "appealed", req->now, 3, NULL);
        proto_pack_kv_str(pk, "id", idz);
        proto_pack_kv_uint(pk, "revision", revision);
        proto_pack_kv_strn(pk, "motivation", motivation, motivation_len);
        rc = service_event_end(svc, txn);
    }
    if (!rc)
        s_pack_ack(req, idz, strlen(idz), state);
    return rc;
}

/* ------------------------------------------------------------------ erase */

const char *const intake_secure_types[] = {"erase", NULL};

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
                                 const history_head_t *history, int64_t now)
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
    history_head_pack(pk, history);
    if (appealed) {
        proto_pack_str(pk, "appeal");
        msgpack_pack_map(pk, 1);
        proto_pack_kv_uint(pk, "at", appealed_at);
    }
}

/*  Erases the why of history records 1 to `last` of `id` in place; the
 *  chain still verifies (history.h).  *count records were erased. */
static int s_history_erase(MDB_txn *txn, service_t *svc, scratch_t *s, const char *id, size_t id_len,
                           uint64_t last, size_t *count)
{
    MDB_dbi db = service_db(svc, INTAKE_DB_HISTORY);
    *count = 0;
    for (uint64_t n = 1; n <= last; n++) {
        unsigned char key_bytes[HISTORY_KEY_MAX];
        MDB_val key = {history_key(id, id_len, n, key_bytes), key_bytes}, value;
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
 *  SIRET index. */
static int s_forget_application(MDB_txn *txn, service_t *svc, const char *id, const msgpack_object *record)
{
    MDB_val key = {strlen(id), (void *)id};
    int rc = mdb_del(txn, service_db(svc, INTAKE_DB_DOCUMENTS), &key, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if ((rc = s_drop_report(txn, svc, id, strlen(id))))
        return rc;
    char siret[S_SIRET_MAX];
    if (doc_strcpy(record, "siret", siret, sizeof siret) <= 0)
        return 0;
    MDB_val siret_key = {strlen(siret), siret}, holder;
    rc = mdb_get(txn, service_db(svc, INTAKE_DB_SIRETS), &siret_key, &holder);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (holder.mv_size != strlen(id) || memcmp(holder.mv_data, id, holder.mv_size) != 0)
        return 0;
    return mdb_del(txn, service_db(svc, INTAKE_DB_SIRETS), &siret_key, NULL);
}

/*  Erasure on request (staff key, secure endpoint): intake keeps a
 *  pseudonymised record, redacts its own log, erases the whys of the
 *  history (which still verifies), records the erasure and appends
 *  "erased", which validation passes on to review and publication.
 *  Erasing an erased application answers the same and changes nothing. */
static int s_erase(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    if (!req->peer_role || strcmp(req->peer_role, "staff") != 0)
        return service_refuse(req, PROTO_E_FORBIDDEN, "type", "role", "'erase' is for staff keys");
    const char *id;
    size_t id_len;
    doc_str(req->msg, "id", &id, &id_len);
    msgpack_object record;
    int rc = s_load(txn, svc, id, id_len, &s->zone, &record);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "id", "exists", "no application has this id");
    if (rc)
        return rc;
    char idz[PROTO_ID_MAX + 1];
    if (s_record_id(&record, idz) < 0)
        return MDB_CORRUPTED;
    if (s_is_erased(&record)) {
        s_pack_ack(req, idz, strlen(idz), STATE_WITHDRAWN);
        return 0;
    }
    /* The new record is packed before anything is written: `record`
     * points into LMDB. */
    history_head_t history;
    if (history_head_read(&record, &history))
        return MDB_CORRUPTED;
    s_text_set(&s->who, "staff");
    if (req->peer_name) {
        s_text_add(&s->who, " ", 1);
        s_text_add(&s->who, req->peer_name, strlen(req->peer_name));
    }
    s_text_set(&s->why, "personal data erased on request");
    msgpack_sbuffer_clear(&s->buf);
    history_head_t after = history;
    history_change_t change = {req->now, s->who.text, s->who.len, HISTORY_WHAT_ERASED, s->why.text,
                               s->why.len, STATE_WITHDRAWN};
    msgpack_sbuffer erasure;
    msgpack_sbuffer_init(&erasure);
    history_append(&after, &change, &erasure);
    s_pack_erased_record(&s->pk, &record, &after, req->now);
    rc = s_forget_application(txn, svc, idz, &record);
    size_t erased_records = 0, redacted = 0;
    if (!rc)
        rc = s_history_erase(txn, svc, s, idz, strlen(idz), history.count, &erased_records);
    if (!rc) {
        unsigned char key[HISTORY_KEY_MAX];
        size_t key_len = history_key(idz, strlen(idz), after.count, key);
        rc = store_put(txn, service_db(svc, INTAKE_DB_HISTORY), key, key_len, erasure.data, erasure.size);
    }
    msgpack_sbuffer_destroy(&erasure);
    if (!rc)
        rc = s_store_record(txn, svc, idz, strlen(idz), &s->buf);
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
        s_pack_ack(req, idz, strlen(idz), STATE_WITHDRAWN);
    }
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
    if (strcmp(req->type, "appeal") == 0)
        return s_appeal(svc, txn, req, s);
    if (strcmp(req->type, "erase") == 0)
        return s_erase(svc, txn, req, s);
    return service_refuse(req, PROTO_E_INVALID, "type", "unsupported",
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
    msgpack_zone_clear(&s->zone);
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

/*  What an event changes in the record.  The handler decides the state
 *  from the record as it stands; s_rewrite writes it with the history
 *  record, and optionally a report, a decision appended, a reason, the
 *  kind of a withdrawal, an expiry date, one more suspension counted. */
typedef struct {
    const char *state;           /* the new state; NULL: it stays */
    const msgpack_object *report;
    const msgpack_object *decision_event;
    const char *reason;          /* with a state withdrawn or suspended */
    size_t reason_len;
    const char *kind;            /* withdrawn_kind, with the state withdrawn */
    const msgpack_object *expires;
    int suspended_by;            /* intake_stream_t, or 0: one more suspension seen on that stream */
    const char *what;            /* the history record's "what"; who and why are in scratch */
    bool recorded;               /* a fact of its own: recorded even when the state stays */
} change_t;

static void s_pack_decision(msgpack_packer *pk, const msgpack_object *event)
{
    static const char *const fields[] = {"round", "revision", "decision", "motivations", "at"};
    const msgpack_object *kind = doc_get(event, "kind"), *voters = doc_get(event, "voters");
    msgpack_pack_map(pk, proto_entries(5, kind, voters));
    for (size_t i = 0; i < 5; i++) {
        const msgpack_object *value = doc_get(event, fields[i]);
        proto_pack_str(pk, fields[i]);
        if (value)
            msgpack_pack_object(pk, *value);
        else
            msgpack_pack_nil(pk);
    }
    if (kind) {
        proto_pack_str(pk, "kind");
        msgpack_pack_object(pk, *kind);
    }
    if (voters) {
        proto_pack_str(pk, "voters");
        msgpack_pack_object(pk, *voters);
    }
}

static int s_rewrite(MDB_txn *txn, service_t *svc, scratch_t *s, const msgpack_object *record,
                     const change_t *change, int64_t now)
{
    bool moves = change->state && !s_is_state(record, change->state);
    if (!moves && !change->decision_event && !change->report && !change->recorded && !change->suspended_by
        && !change->expires)
        return 0;
    /* The history record first: it reads the head from `record`, which
     * must not be read after the first write. */
    history_head_t history;
    if (history_head_read(record, &history))
        return MDB_CORRUPTED;
    char state[32];
    doc_strcpy(record, "state", state, sizeof state);
    const char *after = moves ? change->state : state;
    s_history_prepare(s, &history, change->what, after, now);
    /* A reason belongs to a withdrawn or suspended file: set with such a
     * state, dropped when the file leaves it (reinstated). */
    bool ends = strcmp(after, STATE_WITHDRAWN) == 0 || strcmp(after, STATE_SUSPENDED) == 0;
    bool set_reason = moves && ends && change->reason;
    const char *skip[12] = {"updated_at", "history", NULL};
    size_t n = 2, extra = 2;
    if (moves)
        skip[n++] = "state", extra++;
    if (change->report)
        skip[n++] = "report", extra++;
    if (change->decision_event)
        skip[n++] = "decisions", extra++;
    if (set_reason || (moves && !ends))
        skip[n++] = "reason", extra += set_reason;
    if (moves && change->kind)
        skip[n++] = "withdrawn_kind", extra++;
    if (change->expires)
        skip[n++] = "expires", extra++;
    if (change->suspended_by)
        skip[n++] = "suspensions", extra++;
    uint64_t by_review, by_publication;
    intake_suspensions(record, &by_review, &by_publication);
    msgpack_sbuffer_clear(&s->buf);
    doc_pack_map_except(&s->pk, record, skip, extra);
    proto_pack_kv_uint(&s->pk, "updated_at", (uint64_t)now);
    history_head_pack(&s->pk, &history);
    if (moves)
        proto_pack_kv_str(&s->pk, "state", change->state);
    if (change->report)
        proto_pack_kv_bool(&s->pk, "report", true);
    if (change->decision_event) {
        const msgpack_object *old = doc_array(record, "decisions");
        proto_pack_str(&s->pk, "decisions");
        msgpack_pack_array(&s->pk, doc_len(old) + 1);
        for (size_t i = 0; i < doc_len(old); i++)
            msgpack_pack_object(&s->pk, *doc_at(old, i));
        s_pack_decision(&s->pk, change->decision_event);
    }
    if (set_reason)
        proto_pack_kv_strn(&s->pk, "reason", change->reason, change->reason_len);
    if (moves && change->kind)
        proto_pack_kv_str(&s->pk, "withdrawn_kind", change->kind);
    if (change->expires) {
        proto_pack_str(&s->pk, "expires");
        msgpack_pack_object(&s->pk, *change->expires);
    }
    if (change->suspended_by) {
        proto_pack_str(&s->pk, "suspensions");
        msgpack_pack_array(&s->pk, 2);
        msgpack_pack_uint64(&s->pk, by_review + (change->suspended_by == INTAKE_BY_REVIEW));
        msgpack_pack_uint64(&s->pk, by_publication + (change->suspended_by == INTAKE_BY_PUBLICATION));
    }
    char id[PROTO_ID_MAX + 1];
    int id_len = s_record_id(record, id);
    if (id_len < 0)
        return MDB_CORRUPTED;
    int rc = s_history_store(txn, svc, s, id, (size_t)id_len, &history);
    if (!rc && change->report) {
        msgpack_sbuffer_clear(&s->hist);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &s->hist, msgpack_sbuffer_write);
        msgpack_pack_object(&pk, *change->report);
        rc = store_put(txn, service_db(svc, INTAKE_DB_REPORTS), id, (size_t)id_len, s->hist.data, s->hist.size);
    }
    return rc ? rc : s_store_record(txn, svc, id, (size_t)id_len, &s->buf);
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
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, false, &record, &current);
    if (rc || !current || s_is_erased(&record))
        return rc;
    /* A file that passed stays received (with its report) until review's
     * "queued" says the committee has it: in_review means votable. */
    bool incomplete = doc_str_eq(event, "verdict", "incomplete");
    change_t change = {.state = incomplete ? intake_forward(&record, STATE_INCOMPLETE) : NULL,
                       .report = doc_map(event, "report"), .what = "validated"};
    s_text_set(&s->who, "validation");
    s_why_validated(&s->why, event);
    return s_rewrite(txn, svc, s, &record, &change, now);
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
 *  before review named them say "committee"); why: the round, its kind
 *  when it is not a first review, the decision and its motivations. */
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
    const char *text = "";
    size_t len = 0;
    if (doc_str(event, "kind", &text, &len) && !doc_str_eq(event, "kind", "review")) {
        s_text_add(&s->why, " (", 2);
        s_text_add(&s->why, text, len);
        s_text_add(&s->why, ")", 1);
    }
    s_text_add(&s->why, ": ", 2);
    doc_str(event, "decision", &text, &len);
    s_text_add(&s->why, text, len);
    const msgpack_object *motivations = doc_array(event, "motivations");
    if (doc_len(motivations)) {
        s_text_add(&s->why, "; motivations: ", 15);
        s_text_join(&s->why, motivations, " | ");
    }
}

/*  A decision of the committee.  Review and appeal rounds decide approve,
 *  reject or changes on the current revision; complaint rounds reinstate a
 *  suspended listing or withdraw it (the motivations are the reason). */
static int s_apply_decided(scratch_t *s, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                           int64_t now)
{
    bool complaint = doc_str_eq(event, "decision", "reinstate") || doc_str_eq(event, "decision", "withdraw");
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, complaint, &record, &current);
    if (rc || !current || s_is_erased(&record))
        return rc;
    change_t change = {.decision_event = event, .what = "decided", .expires = doc_get(event, "expires")};
    if (doc_str_eq(event, "decision", "reinstate")) {
        change.state = s_is_state(&record, STATE_SUSPENDED) ? STATE_APPROVED : NULL;
    } else if (doc_str_eq(event, "decision", "withdraw")) {
        change.state = s_is_state(&record, STATE_WITHDRAWN) ? NULL : STATE_WITHDRAWN;
        change.kind = "withdrawn";
    } else {
        const char *state = doc_str_eq(event, "decision", "approve") ? STATE_APPROVED
            : doc_str_eq(event, "decision", "reject")                ? STATE_REJECTED
                                                                     : STATE_CHANGES_REQUESTED;
        change.state = intake_forward(&record, state);
    }
    /* The reason of a withdrawal: the committee's motivations. */
    s_text_set(&s->reason, "");
    s_text_join(&s->reason, doc_array(event, "motivations"), " | ");
    change.reason = s->reason.text;
    change.reason_len = s->reason.len;
    s_describe_decision(s, event);
    return s_rewrite(txn, svc, s, &record, &change, now);
}

/*  who of review's withdrawals: the staff withdraws, erases, and files
 *  complaints; expiry and renewal come from review's own rules. */
static const char *s_withdrawer(const char *kind)
{
    return strcmp(kind, "expired") == 0 || strcmp(kind, "renewed") == 0 ? "review" : "staff";
}

/*  review's "withdrawn": kind suspended suspends the file (a complaint is
 *  before the committee); every other kind (withdrawn, expired, renewed,
 *  erased) ends it, with the reason review gives.  The withdrawal is
 *  recorded even when the publication stream withdrew the listing first. */
static int s_apply_withdrawn(scratch_t *s, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                             int64_t now)
{
    char kind[32] = "withdrawn";
    doc_strcpy(event, "kind", kind, sizeof kind);
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, true, &record, &current);
    if (rc || !current || (s_is_erased(&record) && strcmp(kind, "erased") != 0))
        return rc;
    const char *reason = "";
    size_t reason_len = 0;
    doc_str(event, "reason", &reason, &reason_len);
    change_t change = {.reason = reason, .reason_len = reason_len, .what = "withdrawn", .recorded = true};
    if (strcmp(kind, "suspended") == 0) {
        change.state = intake_suspended_state(&record, INTAKE_BY_REVIEW);
        change.suspended_by = INTAKE_BY_REVIEW;
        change.what = "suspended";
    } else {
        change.state = STATE_WITHDRAWN;
        change.kind = kind;
    }
    s_text_set(&s->who, s_withdrawer(kind));
    s_text_set(&s->why, "");
    s_text_add(&s->why, reason, reason_len);
    return s_rewrite(txn, svc, s, &record, &change, now);
}

/*  review's "queued": a round opens, so the committee has the file and
 *  members can vote.  This, not validation's report, moves a file to
 *  in_review: a review round of the current revision (a received file),
 *  or the appeal round of an appealed rejection.  A complaint round is
 *  recorded (the listing stays suspended); a review round that moves
 *  nothing (a late event) is not. */
static int s_apply_queued(scratch_t *s, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                          int64_t now)
{
    const char *kind = "review";
    size_t kind_len = 6;
    doc_str(event, "kind", &kind, &kind_len);
    bool review = kind_len == 6 && memcmp(kind, "review", 6) == 0;
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, !review, &record, &current);
    if (rc || !current || s_is_erased(&record))
        return rc;
    change_t change = {.state = intake_queued_state(&record, kind, kind_len), .what = "queued",
                       .recorded = !review};
    uint64_t round = 0;
    doc_uint(event, "round", &round);
    s_text_set(&s->who, "review");
    s_text_set(&s->why, "");
    s_text_add_number(&s->why, "round ", round);
    if (!review) {
        s_text_add(&s->why, " (", 2);
        s_text_add(&s->why, kind, kind_len);
        s_text_add(&s->why, ")", 1);
    }
    s_text_add(&s->why, " opens", 6);
    return s_rewrite(txn, svc, s, &record, &change, now);
}

int intake_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                        const msgpack_object *event, int64_t now)
{
    scratch_t *s = ctx;
    if (strcmp(type, "decided") == 0)
        return s_apply_decided(s, svc, txn, event, now);
    if (strcmp(type, "withdrawn") == 0)
        return s_apply_withdrawn(s, svc, txn, event, now);
    if (strcmp(type, "queued") == 0)
        return s_apply_queued(s, svc, txn, event, now);
    return 0;
}

int intake_apply_publication(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now)
{
    scratch_t *s = ctx;
    bool upsert = strcmp(type, "upsert") == 0;
    if (!upsert && strcmp(type, "withdraw") != 0)
        return 0;
    char reason[32] = "withdrawn";
    doc_strcpy(event, "reason", reason, sizeof reason);
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, true, &record, &current);
    if (rc || !current || (s_is_erased(&record) && (upsert || strcmp(reason, "erased") != 0)))
        return rc;
    s_text_set(&s->who, "publication");
    if (upsert) {
        change_t change = {.state = intake_listed_state(&record), .what = "published"};
        if (!change.state)
            return 0;
        uint64_t version = 0;
        doc_uint(event, "version", &version);
        s_text_set(&s->why, "");
        s_text_add_number(&s->why, "listed in the directory, version ", version);
        return s_rewrite(txn, svc, s, &record, &change, now);
    }
    change_t change = {.reason = reason, .reason_len = strlen(reason), .what = "unlisted"};
    if (strcmp(reason, "suspended") == 0) {
        change.state = intake_suspended_state(&record, INTAKE_BY_PUBLICATION);
        change.suspended_by = INTAKE_BY_PUBLICATION;
    } else if (!s_is_state(&record, STATE_WITHDRAWN)) {
        change.state = STATE_WITHDRAWN;
        change.kind = reason;
    } else {
        return 0;
    }
    s_text_set(&s->why, "withdrawn from the directory: ");
    s_text_add(&s->why, reason, strlen(reason));
    return s_rewrite(txn, svc, s, &record, &change, now);
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
