/*  services/desk/core_web.c - the requests of the desk's web threads
 *  (desk_get, desk_write): see core.h. */
#include "core_impl.h"
#include "throttle.h"

#include "common/log.h"
#include "common/store.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ throttles */

static void s_throttle_key(const char *kind, const char *who, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%s", kind, who);
}

static throttle_t s_throttle_get(service_t *svc, MDB_txn *txn, const char *key)
{
    throttle_t t = {0, 0};
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object doc;
    if (store_get_doc(txn, service_db(svc, DB_THROTTLES), key, strlen(key), &zone, &doc) == 0) {
        uint64_t count = 0;
        doc_uint(&doc, "count", &count);
        doc_int(&doc, "first", &t.first);
        t.count = (uint32_t)count;
    }
    msgpack_zone_destroy(&zone);
    return t;
}

static int s_throttle_put(service_t *svc, MDB_txn *txn, const char *key, throttle_t t)
{
    if (t.count == 0) {
        int rc = mdb_del(txn, service_db(svc, DB_THROTTLES), &(MDB_val){strlen(key), (void *)key}, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    core_buffer_t b;
    core_buffer_init(&b);
    msgpack_pack_map(&b.pk, 2);
    proto_pack_kv_uint(&b.pk, "count", t.count);
    proto_pack_kv_int(&b.pk, "first", t.first);
    return core_buffer_put(&b, txn, service_db(svc, DB_THROTTLES), key, strlen(key));
}

/* ------------------------------------------------------------- reading */

static bool s_get_raw(service_t *svc, MDB_txn *txn, int db, const void *key, size_t len, MDB_val *value)
{
    return mdb_get(txn, service_db(svc, db), &(MDB_val){len, (void *)key}, value) == 0;
}

/*  A session that is too old or idle too long is deleted here: the
 *  reply says "expired" and the page asks to log in again. */
static int s_get_session(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req,
                         const void *hash, msgpack_zone *zone, size_t *fields, msgpack_object *session,
                         bool *expired, bool *found, char *email, size_t cap)
{
    int rc = store_get_doc(txn, service_db(svc, DB_SESSIONS), hash, 32, zone, session);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    int64_t created = 0, seen = 0;
    doc_int(session, "created", &created);
    doc_int(session, "seen", &seen);
    if (req->now - seen >= self->idle_s || req->now - created >= self->absolute_s) {
        *expired = true;
        (*fields)++;
        return mdb_del(txn, service_db(svc, DB_SESSIONS), &(MDB_val){32, (void *)hash}, NULL);
    }
    *found = true;
    (*fields)++;
    doc_strcpy(session, "email", email, cap);
    /* Seen now: the idle timeout counts from here. */
    core_buffer_t b;
    core_buffer_init(&b);
    static const char *const skip[] = {"seen", NULL};
    doc_pack_map_except(&b.pk, session, skip, 1);
    proto_pack_kv_int(&b.pk, "seen", req->now);
    return core_buffer_put(&b, txn, service_db(svc, DB_SESSIONS), hash, 32);
}

int core_web_get(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    char email[256] = "", address[80] = "";
    doc_strcpy(req->msg, "address", address, sizeof address);
    const void *session_hash = NULL, *token_hash = NULL;
    bool expired = false, has_session = false, locked = false;
    size_t fields = 0;
    msgpack_object session;
    MDB_val invitation = {0}, account = {0};
    bool has_invitation = false, has_account = false;
    uint32_t failures = 0;
    int rc = 0;
    if (core_bin(req->msg, "session", &session_hash, 32)) {
        rc = s_get_session(self, svc, txn, req, session_hash, &zone, &fields, &session, &expired, &has_session,
                           email, sizeof email);
        if (rc)
            goto done;
    }
    if (core_bin(req->msg, "token_hash", &token_hash, 32)
        && (has_invitation = s_get_raw(svc, txn, DB_INVITATIONS, token_hash, 32, &invitation))) {
        fields++;
        msgpack_object inv;
        if (store_get_doc(txn, service_db(svc, DB_INVITATIONS), token_hash, 32, &zone, &inv) == 0)
            doc_strcpy(&inv, "email", email, sizeof email);
    }
    if (!*email && doc_get(req->msg, "email")) {
        const char *text;
        size_t len;
        doc_str(req->msg, "email", &text, &len);
        if (desk_email_fold(text, len, email, sizeof email) != 0)
            *email = '\0';
    }
    if (*email && (has_account = s_get_raw(svc, txn, DB_ACCOUNTS, email, strlen(email), &account)))
        fields++;
    /* The throttles of a login: the account's and the address's. */
    bool throttled = doc_get(req->msg, "email") || doc_get(req->msg, "address");
    if (throttled) {
        char key[300];
        throttle_t t = {0, 0};
        if (*email) {
            s_throttle_key("account", email, key, sizeof key);
            t = throttle_at(s_throttle_get(svc, txn, key), req->now, self->lock_s);
        }
        s_throttle_key("address", address, key, sizeof key);
        throttle_t a = throttle_at(s_throttle_get(svc, txn, key), req->now, self->lock_s);
        locked = t.count >= self->max_failures || a.count >= self->max_failures;
        failures = t.count > a.count ? t.count : a.count;
        fields += 2;
    }
    proto_pack_reply(req->reply, "desk_record", req->has_rid, req->rid, fields);
    if (has_account)
        proto_pack_kv_raw(req->reply, "account", account.mv_data, account.mv_size);
    if (has_invitation)
        proto_pack_kv_raw(req->reply, "invitation", invitation.mv_data, invitation.mv_size);
    if (has_session) {
        /* Read again: s_get_session rewrote it (seen). */
        MDB_val now_value;
        if (s_get_raw(svc, txn, DB_SESSIONS, session_hash, 32, &now_value))
            proto_pack_kv_raw(req->reply, "session", now_value.mv_data, now_value.mv_size);
        else
            proto_pack_kv_bool(req->reply, "expired", true);
    }
    if (expired)
        proto_pack_kv_bool(req->reply, "expired", true);
    if (throttled) {
        proto_pack_kv_bool(req->reply, "locked", locked);
        proto_pack_kv_uint(req->reply, "failures", failures);
    }
done:
    msgpack_zone_destroy(&zone);
    return rc;
}

/* ------------------------------------------------------------- writing */

static int s_session_put(service_t *svc, MDB_txn *txn, service_request_t *req, const void *hash, const char *email,
                         const char *stage)
{
    char csrf[80] = "";
    doc_strcpy(req->msg, "csrf", csrf, sizeof csrf);
    core_buffer_t b;
    core_buffer_init(&b);
    msgpack_pack_map(&b.pk, 5);
    proto_pack_kv_str(&b.pk, "email", email);
    proto_pack_kv_int(&b.pk, "created", req->now);
    proto_pack_kv_int(&b.pk, "seen", req->now);
    proto_pack_kv_str(&b.pk, "csrf", csrf);
    proto_pack_kv_str(&b.pk, "stage", stage);
    return core_buffer_put(&b, txn, service_db(svc, DB_SESSIONS), hash, 32);
}

/*  Rewrites the account with the request's fields among `fields`
 *  replaced (bin or string as they came), and `state` when not NULL. */
static int s_account_rewrite(service_t *svc, MDB_txn *txn, service_request_t *req, const char *email,
                             const msgpack_object *account, const char *const *fields, const char *state,
                             const char *const *drop)
{
    const char *skip[16];
    size_t n = 0, extra = 0;
    /* A field the request leaves out keeps its value. */
    for (size_t i = 0; fields[i]; i++) {
        if (!doc_get(req->msg, fields[i]))
            continue;
        skip[n++] = fields[i];
        extra++;
    }
    if (state) {
        skip[n++] = "state";
        extra++;
    }
    for (size_t i = 0; drop && drop[i]; i++)
        skip[n++] = drop[i];
    skip[n] = NULL;
    core_buffer_t b;
    core_buffer_init(&b);
    doc_pack_map_except(&b.pk, account, skip, extra);
    for (size_t i = 0; fields[i]; i++) {
        const msgpack_object *v = doc_get(req->msg, fields[i]);
        if (!v)
            continue;
        proto_pack_str(&b.pk, fields[i]);
        msgpack_pack_object(&b.pk, *v);
    }
    if (state)
        proto_pack_kv_str(&b.pk, "state", state);
    return core_buffer_put(&b, txn, service_db(svc, DB_ACCOUNTS), email, strlen(email));
}

static int s_password_set(service_t *svc, MDB_txn *txn, service_request_t *req, msgpack_zone *zone)
{
    const void *token_hash, *session;
    if (!core_bin(req->msg, "token_hash", &token_hash, 32) || !core_bin(req->msg, "session", &session, 32)
        || !doc_get(req->msg, "pwhash") || !doc_get(req->msg, "salt") || !doc_get(req->msg, "sealed_secret"))
        return service_refuse(req, PROTO_E_INVALID, "token_hash", "required", "password_set needs its fields");
    msgpack_object inv, account;
    int rc = store_get_doc(txn, service_db(svc, DB_INVITATIONS), token_hash, 32, zone, &inv);
    uint64_t expires = 0;
    if (rc == 0)
        doc_uint(&inv, "expires", &expires);
    if (rc == MDB_NOTFOUND || doc_bool(&inv, "used", true) || (int64_t)expires <= req->now)
        return service_refuse(req, PROTO_E_CONFLICT, "token_hash", "usable", "the invitation is used or expired");
    if (rc)
        return rc;
    char email[256], role[16] = "";
    doc_strcpy(&inv, "email", email, sizeof email);
    core_buffer_t b;
    core_buffer_init(&b);
    doc_pack_map_except(&b.pk, &inv, (const char *const[]){"used", NULL}, 1);
    proto_pack_kv_bool(&b.pk, "used", true);
    if ((rc = core_buffer_put(&b, txn, service_db(svc, DB_INVITATIONS), token_hash, 32)))
        return rc;
    if ((rc = store_get_doc(txn, service_db(svc, DB_ACCOUNTS), email, strlen(email), zone, &account)))
        return rc == MDB_NOTFOUND ? service_refuse(req, PROTO_E_NOT_FOUND, "email", "exists", "the account is gone") : rc;
    doc_strcpy(&account, "role", role, sizeof role);
    static const char *const fields[] = {"pwhash", "salt", "sealed_secret", NULL};
    static const char *const drop[] = {"invitation", "totp_sealed", "recovery", "totp_step", NULL};
    if ((rc = s_account_rewrite(svc, txn, req, email, &account, fields, "active", drop)))
        return rc;
    /* The staff enrol their second factor before anything else. */
    return s_session_put(svc, txn, req, session, email, strcmp(role, "staff") == 0 ? "enrol" : "full");
}

static int s_with_account(service_t *svc, MDB_txn *txn, service_request_t *req, msgpack_zone *zone, char *email,
                          size_t cap, msgpack_object *account)
{
    int rc = core_email_of(req, email, cap);
    if (rc)
        return rc;
    rc = store_get_doc(txn, service_db(svc, DB_ACCOUNTS), email, strlen(email), zone, account);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "email", "exists", "no account with this e-mail address");
    return rc;
}

/*  A TOTP code's step is accepted once per account: "step" must be later
 *  than the last one accepted, which is kept. */
static int s_totp_step(service_t *svc, MDB_txn *txn, service_request_t *req, msgpack_zone *zone,
                       const char *email)
{
    uint64_t step = 0, last = 0;
    if (!doc_uint(req->msg, "step", &step))
        return 0;
    msgpack_object account;
    int rc = store_get_doc(txn, service_db(svc, DB_ACCOUNTS), email, strlen(email), zone, &account);
    if (rc)
        return rc == MDB_NOTFOUND ? service_refuse(req, PROTO_E_NOT_FOUND, "email", "exists", "the account is gone") : rc;
    if (doc_uint(&account, "totp_step", &last) && step <= last)
        return service_refuse(req, PROTO_E_CONFLICT, "step", "once", "this code was used already");
    core_buffer_t b;
    core_buffer_init(&b);
    doc_pack_map_except(&b.pk, &account, (const char *const[]){"totp_step", NULL}, 1);
    proto_pack_kv_uint(&b.pk, "totp_step", step);
    return core_buffer_put(&b, txn, service_db(svc, DB_ACCOUNTS), email, strlen(email));
}

static int s_stage(service_t *svc, MDB_txn *txn, service_request_t *req, msgpack_zone *zone, const char *stage)
{
    const void *hash;
    msgpack_object session;
    char email[256] = "";
    if (!core_bin(req->msg, "session", &hash, 32))
        return service_refuse(req, PROTO_E_INVALID, "session", "required", "which session");
    int rc = store_get_doc(txn, service_db(svc, DB_SESSIONS), hash, 32, zone, &session);
    if (rc)
        return rc == MDB_NOTFOUND ? service_refuse(req, PROTO_E_NOT_FOUND, "session", "exists", "no such session") : rc;
    doc_strcpy(&session, "email", email, sizeof email);
    if ((rc = s_totp_step(svc, txn, req, zone, email)))
        return rc;
    /* Read again: the account's write may have moved LMDB's pages. */
    if ((rc = store_get_doc(txn, service_db(svc, DB_SESSIONS), hash, 32, zone, &session)))
        return rc;
    core_buffer_t b;
    core_buffer_init(&b);
    doc_pack_map_except(&b.pk, &session, (const char *const[]){"stage", NULL}, 1);
    proto_pack_kv_str(&b.pk, "stage", stage);
    return core_buffer_put(&b, txn, service_db(svc, DB_SESSIONS), hash, 32);
}

static int s_recovery_use(service_t *svc, MDB_txn *txn, service_request_t *req, msgpack_zone *zone)
{
    char email[256];
    msgpack_object account;
    const void *code;
    int rc = s_with_account(svc, txn, req, zone, email, sizeof email, &account);
    if (rc)
        return rc;
    const msgpack_object *codes = doc_array(&account, "recovery");
    size_t n = doc_len(codes), hit = n;
    if (!core_bin(req->msg, "code_hash", &code, 32))
        return service_refuse(req, PROTO_E_INVALID, "code_hash", "required", "which code");
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *c = doc_at(codes, i);
        if (c->type == MSGPACK_OBJECT_BIN && c->via.bin.size == 32 && !memcmp(c->via.bin.ptr, code, 32))
            hit = i;
    }
    if (hit == n)
        return service_refuse(req, PROTO_E_NOT_FOUND, "code_hash", "unused", "no such unused recovery code");
    core_buffer_t b;
    core_buffer_init(&b);
    doc_pack_map_except(&b.pk, &account, (const char *const[]){"recovery", NULL}, 1);
    proto_pack_str(&b.pk, "recovery");
    msgpack_pack_array(&b.pk, n - 1);
    for (size_t i = 0; i < n; i++)
        if (i != hit)
            msgpack_pack_object(&b.pk, *doc_at(codes, i));
    if ((rc = core_buffer_put(&b, txn, service_db(svc, DB_ACCOUNTS), email, strlen(email))))
        return rc;
    return s_stage(svc, txn, req, zone, "full");
}

static int s_login_failed(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    char email[256] = "", address[80] = "", key[300];
    const char *text;
    size_t len;
    if (doc_str(req->msg, "email", &text, &len) && desk_email_fold(text, len, email, sizeof email) != 0)
        *email = '\0';
    doc_strcpy(req->msg, "address", address, sizeof address);
    int rc = 0;
    if (*email) {
        s_throttle_key("account", email, key, sizeof key);
        rc = s_throttle_put(svc, txn, key, throttle_fail(s_throttle_get(svc, txn, key), req->now, self->lock_s));
    }
    s_throttle_key("address", address, key, sizeof key);
    if (!rc)
        rc = s_throttle_put(svc, txn, key, throttle_fail(s_throttle_get(svc, txn, key), req->now, self->lock_s));
    return rc;
}

/*  Sessions whose cookie never came back end here, at the next login:
 *  the store keeps no session past its end. */
static int s_sweep_sessions(desk_core_t *self, service_t *svc, MDB_txn *txn, int64_t now)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, DB_SESSIONS), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 512);
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        msgpack_object session;
        int64_t created = 0, seen = 0;
        msgpack_zone_clear(&zone);
        if (store_get_doc(txn, service_db(svc, DB_SESSIONS), key.mv_data, key.mv_size, &zone, &session) != 0)
            continue;
        doc_int(&session, "created", &created);
        doc_int(&session, "seen", &seen);
        if ((now - seen >= self->idle_s || now - created >= self->absolute_s) && (rc = mdb_cursor_del(cursor, 0)))
            break;
    }
    msgpack_zone_destroy(&zone);
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_write(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req, const char *op,
                   msgpack_zone *zone)
{
    char email[256];
    msgpack_object account;
    const void *hash;
    int rc;
    if ((!strcmp(op, "password_set") || !strcmp(op, "session_open"))
        && (rc = s_sweep_sessions(self, svc, txn, req->now)))
        return rc;
    if (!strcmp(op, "password_set"))
        return s_password_set(svc, txn, req, zone);
    if (!strcmp(op, "login_failed"))
        return s_login_failed(self, svc, txn, req);
    if (!strcmp(op, "session_stage")) {
        char stage[16] = "";
        doc_strcpy(req->msg, "stage", stage, sizeof stage);
        return s_stage(svc, txn, req, zone, stage);
    }
    if (!strcmp(op, "session_close")) {
        if (!core_bin(req->msg, "session", &hash, 32))
            return service_refuse(req, PROTO_E_INVALID, "session", "required", "which session");
        rc = mdb_del(txn, service_db(svc, DB_SESSIONS), &(MDB_val){32, (void *)hash}, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    if (!strcmp(op, "recovery_use"))
        return s_recovery_use(svc, txn, req, zone);
    if ((rc = s_with_account(svc, txn, req, zone, email, sizeof email, &account)))
        return rc;
    if (!core_bin(req->msg, "session", &hash, 32))
        return service_refuse(req, PROTO_E_INVALID, "session", "required", "which session");
    if (!strcmp(op, "session_open")) {
        char stage[16] = "full", key[300];
        doc_strcpy(req->msg, "stage", stage, sizeof stage);
        /* A success clears the account's failures (not the address's:
         * one right password must not unlock guessing at others). */
        s_throttle_key("account", email, key, sizeof key);
        if ((rc = s_throttle_put(svc, txn, key, (throttle_t){0, 0})))
            return rc;
        return s_session_put(svc, txn, req, hash, email, stage);
    }
    if (!strcmp(op, "password_change")) {
        static const char *const fields[] = {"pwhash", "salt", "sealed_secret", "totp_sealed", NULL};
        if ((rc = s_account_rewrite(svc, txn, req, email, &account, fields, NULL, NULL)))
            return rc;
        return core_end_sessions(svc, txn, email, hash);
    }
    /* totp_set: the enrolment's secret and recovery codes. */
    static const char *const fields[] = {"totp_sealed", "recovery", NULL};
    if ((rc = s_account_rewrite(svc, txn, req, email, &account, fields, NULL, NULL)))
        return rc;
    return s_stage(svc, txn, req, zone, "full");
}

int core_web_write(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    char op[32];
    doc_strcpy(req->msg, "op", op, sizeof op);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    int rc = s_write(self, svc, txn, req, op, &zone);
    msgpack_zone_destroy(&zone);
    if (rc)
        return rc;
    proto_pack_reply(req->reply, "desk_done", req->has_rid, req->rid, 1);
    proto_pack_kv_str(req->reply, "op", op);
    return 0;
}
