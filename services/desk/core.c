/*  services/desk/core.c - see core.h: the dispatch, the settings, and the
 *  staff's requests on accounts (account_invite, account_list,
 *  account_remove).  The web threads' requests are in core_web.c. */
#include "core.h"

#include "core_impl.h"

#include "common/auth.h"
#include "common/log.h"
#include "common/store.h"
#include "proto/doc.h"
#include "proto/identifiers.h"
#include "proto/messages.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const char *const desk_dbs[] = {"accounts", "invitations", "sessions", "throttles", NULL};
const char *const desk_secure_types[] = {"account_invite", "account_list", "account_remove", NULL};

desk_core_t *desk_core_new(void)
{
    desk_core_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    randombytes_buf(self->inproc, sizeof self->inproc);
    self->idle_s = config_env_long("ESSP_DESK_IDLE_SECONDS", 30 * 60, 1, 86400);
    self->absolute_s = config_env_long("ESSP_DESK_ABSOLUTE_SECONDS", 12 * 3600, 1, 7 * 86400);
    self->lock_s = config_env_long("ESSP_DESK_LOCK_SECONDS", 15 * 60, 1, 86400);
    self->max_failures = (uint32_t)config_env_long("ESSP_DESK_MAX_FAILURES", 10, 1, 1000);
    return self;
}

void desk_core_destroy(void **self_p)
{
    if (*self_p) {
        sodium_memzero(*self_p, sizeof(desk_core_t));
        free(*self_p);
    }
    *self_p = NULL;
}

int desk_start(void *ctx, service_t *svc, MDB_txn *txn)
{
    return 0;
}

int desk_email_fold(const char *email, size_t len, char *out, size_t cap)
{
    if (!id_login_valid(email, len) || len + 1 > cap)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)email[i];
        out[i] = (char)(c < 0x80 ? tolower(c) : c);
    }
    out[len] = '\0';
    return 0;
}

/* ----------------------------------------------------------- records */

void core_buffer_init(core_buffer_t *b)
{
    msgpack_sbuffer_init(&b->buf);
    msgpack_packer_init(&b->pk, &b->buf, msgpack_sbuffer_write);
}

int core_buffer_put(core_buffer_t *b, MDB_txn *txn, MDB_dbi db, const void *key, size_t key_len)
{
    int rc = store_put(txn, db, key, key_len, b->buf.data, b->buf.size);
    msgpack_sbuffer_destroy(&b->buf);
    return rc;
}

void core_pack_bin(msgpack_packer *pk, const char *key, const void *bytes, size_t len)
{
    proto_pack_str(pk, key);
    msgpack_pack_bin(pk, len);
    msgpack_pack_bin_body(pk, bytes, len);
}

bool core_bin(const msgpack_object *map, const char *key, const void **bytes, size_t len)
{
    const msgpack_object *v = doc_get(map, key);
    if (!v || v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != len)
        return false;
    *bytes = v->via.bin.ptr;
    return true;
}

int core_email_of(service_request_t *req, char *out, size_t cap)
{
    const char *text;
    size_t len;
    if (!doc_str(req->msg, "email", &text, &len) || desk_email_fold(text, len, out, cap) != 0)
        return service_refuse(req, PROTO_E_INVALID, "email", "format",
                              "an e-mail address has one '@' with text on both sides and no space");
    return 0;
}

/*  Ends every session of an account (a removal, a reset, a password change
 *  ends the others). */
int core_end_sessions(service_t *svc, MDB_txn *txn, const char *email, const void *keep)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, DB_SESSIONS), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        msgpack_object session;
        msgpack_zone_clear(&zone);
        if (store_get_doc(txn, service_db(svc, DB_SESSIONS), key.mv_data, key.mv_size, &zone, &session) != 0)
            continue;
        if (!doc_str_eq(&session, "email", email) || (keep && key.mv_size == 32 && !memcmp(key.mv_data, keep, 32)))
            continue;
        if ((rc = mdb_cursor_del(cursor, 0)) != 0)
            break;
    }
    msgpack_zone_destroy(&zone);
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ------------------------------------------------- the staff's requests */

/*  Another account than `email` with this name and role: two accounts of
 *  one name would share one certificate in keys/allowed. */
static bool s_name_taken(service_t *svc, MDB_txn *txn, const char *email, const char *name, const char *role)
{
    MDB_cursor *cursor;
    if (mdb_cursor_open(txn, service_db(svc, DB_ACCOUNTS), &cursor))
        return false;
    MDB_val key, value;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    bool taken = false;
    for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0 && !taken;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        msgpack_object account;
        msgpack_zone_clear(&zone);
        if (store_get_doc(txn, service_db(svc, DB_ACCOUNTS), key.mv_data, key.mv_size, &zone, &account) != 0)
            continue;
        taken = doc_str_eq(&account, "name", name) && doc_str_eq(&account, "role", role)
            && !doc_str_eq(&account, "email", email);
    }
    msgpack_zone_destroy(&zone);
    mdb_cursor_close(cursor);
    return taken;
}

static int s_account_invite(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    char email[256], name[128], role[16];
    int rc = core_email_of(req, email, sizeof email);
    if (rc)
        return rc;
    doc_strcpy(req->msg, "name", name, sizeof name);
    doc_strcpy(req->msg, "role", role, sizeof role);
    bool reset = doc_bool(req->msg, "reset", false);
    bool direct = doc_get(req->msg, "pwhash") != NULL;
    const void *public_key = NULL, *sealed = NULL, *token_hash = NULL, *salt = NULL;
    uint64_t expires = 0;
    if (!core_bin(req->msg, "public_key", &public_key, 32))
        return service_refuse(req, PROTO_E_INVALID, "public_key", "size", "a public key is 32 bytes");
    if (!core_bin(req->msg, "sealed_secret", &sealed, 72))
        return service_refuse(req, PROTO_E_INVALID, "sealed_secret", "size", "a sealed secret key is 72 bytes");
    if (direct && !core_bin(req->msg, "salt", &salt, 16))
        return service_refuse(req, PROTO_E_INVALID, "salt", "required", "a password set directly needs its salt");
    if (!direct && (!core_bin(req->msg, "token_hash", &token_hash, 32) || !doc_uint(req->msg, "expires", &expires)))
        return service_refuse(req, PROTO_E_INVALID, "token_hash", "required",
                              "an invitation needs token_hash and expires");
    if (!direct && (int64_t)expires <= req->now)
        return service_refuse(req, PROTO_E_INVALID, "expires", "future", "the invitation would be expired already");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object old;
    rc = store_get_doc(txn, service_db(svc, DB_ACCOUNTS), email, strlen(email), &zone, &old);
    bool exists = rc == 0;
    const void *old_invitation = NULL;
    if (rc && rc != MDB_NOTFOUND)
        goto done;
    rc = 0;
    if (exists && !reset) {
        rc = service_refuse(req, PROTO_E_CONFLICT, "email", "unique", "an account with this e-mail address exists");
        goto done;
    }
    if (!exists && reset) {
        rc = service_refuse(req, PROTO_E_NOT_FOUND, "email", "exists", "no account with this e-mail address");
        goto done;
    }
    if (exists && (!doc_str_eq(&old, "name", name) || !doc_str_eq(&old, "role", role))) {
        rc = service_refuse(req, PROTO_E_CONFLICT, "name", "same", "a reset keeps the account's name and role");
        goto done;
    }
    if (s_name_taken(svc, txn, email, name, role)) {
        rc = service_refuse(req, PROTO_E_CONFLICT, "name", "unique", "another account has this name and role");
        goto done;
    }
    unsigned char old_hash[32];
    if (exists && core_bin(&old, "invitation", &old_invitation, 32))
        memcpy(old_hash, old_invitation, 32);
    /* The public half goes to the certificate store (a reset replaces the
     * old key, refused from the next connection on). */
    if (auth_install_public(role, name, public_key) != 0) {
        log_error("desk: cannot write the certificate of %s in keys/allowed", name);
        rc = service_refuse(req, PROTO_E_INTERNAL, "public_key", "store", "the certificate could not be written");
        goto done;
    }
    if (old_invitation && (rc = mdb_del(txn, service_db(svc, DB_INVITATIONS), &(MDB_val){32, old_hash}, NULL))
        && rc != MDB_NOTFOUND)
        goto done;
    if (exists && (rc = core_end_sessions(svc, txn, email, NULL)))
        goto done;
    core_buffer_t b;
    core_buffer_init(&b);
    msgpack_pack_map(&b.pk, direct ? 10 + (doc_get(req->msg, "totp_sealed") != NULL) : 8);
    proto_pack_kv_str(&b.pk, "email", email);
    proto_pack_kv_str(&b.pk, "name", name);
    proto_pack_kv_str(&b.pk, "role", role);
    proto_pack_kv_str(&b.pk, "state", direct ? "active" : "invited");
    core_pack_bin(&b.pk, "public_key", public_key, 32);
    core_pack_bin(&b.pk, "sealed_secret", sealed, 72);
    proto_pack_kv_int(&b.pk, "created", req->now);
    if (direct) {
        const char *hash;
        size_t hash_len;
        doc_str(req->msg, "pwhash", &hash, &hash_len);
        proto_pack_kv_strn(&b.pk, "pwhash", hash, hash_len);
        core_pack_bin(&b.pk, "salt", salt, 16);
        const msgpack_object *totp = doc_get(req->msg, "totp_sealed");
        if (totp)
            core_pack_bin(&b.pk, "totp_sealed", totp->via.bin.ptr, totp->via.bin.size);
        proto_pack_str(&b.pk, "recovery");
        msgpack_pack_array(&b.pk, 0);
    } else {
        core_pack_bin(&b.pk, "invitation", token_hash, 32);
    }
    if ((rc = core_buffer_put(&b, txn, service_db(svc, DB_ACCOUNTS), email, strlen(email))))
        goto done;
    if (!direct) {
        core_buffer_init(&b);
        msgpack_pack_map(&b.pk, 3);
        proto_pack_kv_str(&b.pk, "email", email);
        proto_pack_kv_uint(&b.pk, "expires", expires);
        proto_pack_kv_bool(&b.pk, "used", false);
        if ((rc = core_buffer_put(&b, txn, service_db(svc, DB_INVITATIONS), token_hash, 32)))
            goto done;
    }
    log_info("desk: account of %s (%s) %s by %s", name, role,
             reset ? "reset" : direct ? "created with its password" : "invited", req->peer_name);
    proto_pack_reply(req->reply, "account", req->has_rid, req->rid, 2);
    proto_pack_kv_str(req->reply, "email", email);
    proto_pack_kv_str(req->reply, "state", direct ? "active" : "invited");
done:
    msgpack_zone_destroy(&zone);
    return rc;
}

static int s_account_list(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, DB_ACCOUNTS), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    size_t count = 0;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        count++;
    proto_pack_reply(req->reply, "accounts", req->has_rid, req->rid, 1);
    proto_pack_str(req->reply, "accounts");
    msgpack_pack_array(req->reply, count);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0 && count;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT), count--) {
        msgpack_object account;
        msgpack_zone_clear(&zone);
        const char *email = "", *name = "", *role = "", *state = "";
        size_t el = 0, nl = 0, rl = 0, sl = 0;
        if (store_get_doc(txn, service_db(svc, DB_ACCOUNTS), key.mv_data, key.mv_size, &zone, &account) == 0) {
            doc_str(&account, "email", &email, &el);
            doc_str(&account, "name", &name, &nl);
            doc_str(&account, "role", &role, &rl);
            doc_str(&account, "state", &state, &sl);
        }
        msgpack_pack_map(req->reply, 5);
        proto_pack_kv_strn(req->reply, "email", email, el);
        proto_pack_kv_strn(req->reply, "name", name, nl);
        proto_pack_kv_strn(req->reply, "role", role, rl);
        proto_pack_kv_strn(req->reply, "state", state, sl);
        proto_pack_kv_bool(req->reply, "second_factor", doc_get(&account, "totp_sealed") != NULL);
    }
    msgpack_zone_destroy(&zone);
    mdb_cursor_close(cursor);
    return 0;
}

static int s_account_remove(desk_core_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    char email[256], name[128] = "", role[16] = "";
    int rc = core_email_of(req, email, sizeof email);
    if (rc)
        return rc;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object account;
    rc = store_get_doc(txn, service_db(svc, DB_ACCOUNTS), email, strlen(email), &zone, &account);
    if (rc == MDB_NOTFOUND) {
        msgpack_zone_destroy(&zone);
        return service_refuse(req, PROTO_E_NOT_FOUND, "email", "exists", "no account with this e-mail address");
    }
    const void *invitation = NULL;
    unsigned char hash[32];
    if (rc == 0) {
        doc_strcpy(&account, "name", name, sizeof name);
        doc_strcpy(&account, "role", role, sizeof role);
        if (core_bin(&account, "invitation", &invitation, 32))
            memcpy(hash, invitation, 32);
        rc = mdb_del(txn, service_db(svc, DB_ACCOUNTS), &(MDB_val){strlen(email), email}, NULL);
    }
    msgpack_zone_destroy(&zone);
    if (!rc && invitation)
        rc = mdb_del(txn, service_db(svc, DB_INVITATIONS), &(MDB_val){32, hash}, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if ((rc = core_end_sessions(svc, txn, email, NULL)))
        return rc;
    if (auth_revoke(role, name) != 0)
        log_error("desk: the certificate of %s is still in keys/allowed", name);
    log_info("desk: account of %s removed by %s", name, req->peer_name);
    proto_pack_reply(req->reply, "account", req->has_rid, req->rid, 2);
    proto_pack_kv_str(req->reply, "email", email);
    proto_pack_kv_str(req->reply, "state", "removed");
    return 0;
}

int desk_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    desk_core_t *self = ctx;
    bool web = strcmp(req->type, "desk_get") == 0 || strcmp(req->type, "desk_write") == 0;
    if (web) {
        const void *key;
        if (!core_bin(req->msg, "inproc", &key, 32) || sodium_memcmp(key, self->inproc, 32) != 0)
            return service_refuse(req, PROTO_E_FORBIDDEN, "inproc", "key", "only the desk's own web threads ask this");
        return strcmp(req->type, "desk_get") == 0 ? core_web_get(self, svc, txn, req)
                                                  : core_web_write(self, svc, txn, req);
    }
    bool staff_request = strcmp(req->type, "account_invite") == 0 || strcmp(req->type, "account_list") == 0
        || strcmp(req->type, "account_remove") == 0;
    if (!staff_request)
        return service_refuse(req, PROTO_E_INVALID, "type", "unsupported", "the desk does not answer this message type");
    if (!req->peer_role || strcmp(req->peer_role, AUTH_ROLE_STAFF) != 0)
        return service_refuse(req, PROTO_E_FORBIDDEN, "type", "role", "'%s' is for staff keys", req->type);
    if (strcmp(req->type, "account_invite") == 0)
        return s_account_invite(self, svc, txn, req);
    if (strcmp(req->type, "account_list") == 0)
        return s_account_list(self, svc, txn, req);
    return s_account_remove(self, svc, txn, req);
}
