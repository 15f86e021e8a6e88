/*  services/desk/auth_flow.c - see auth_flow.h. */
#include "auth_flow.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <string.h>

void flow_session_new(flow_session_t *s)
{
    site_random_token(s->id_text);
    site_session_hash(s->id_text, s->hash);
    site_random_token(s->csrf);
}

void flow_session_cookie(desk_request_t *req, const flow_session_t *s)
{
    site_session_cookie(req->site, s->id_text, -1, req->set_cookie, sizeof req->set_cookie);
}

void flow_pack_bin(msgpack_packer *pk, const char *key, const void *bytes, size_t len)
{
    proto_pack_str(pk, key);
    msgpack_pack_bin(pk, len);
    msgpack_pack_bin_body(pk, bytes, len);
}

/*  Said after a read or a write the desk's core did not answer in time: a
 *  write may still be committed, so the page does not say that nothing
 *  was. */
int flow_core_down(desk_request_t *req)
{
    return desk_error_page(req, 503, "Service indisponible",
                           "Le service n'a pas répondu à temps. Réessayez dans une minute ; si cela dure, "
                           "prévenez l'équipe.");
}

int flow_get(desk_request_t *req, const char *email, const unsigned char *token_hash, bool with_address,
             desk_reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(req->site, &buf, &pk, "desk_get", proto_entries(0, email, token_hash, with_address), &rid);
    if (email)
        proto_pack_kv_str(&pk, "email", email);
    if (token_hash)
        flow_pack_bin(&pk, "token_hash", token_hash, 32);
    if (with_address)
        proto_pack_kv_str(&pk, "address", req->address);
    int rc = site_core_call(req->site, &buf, rid, reply);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0)
        flow_core_down(req);
    return rc;
}

int flow_write(desk_request_t *req, msgpack_sbuffer *buf, uint64_t rid, desk_reply_t *reply)
{
    desk_reply_t own;
    desk_reply_t *r = reply ? reply : &own;
    int rc = site_core_call(req->site, buf, rid, r);
    msgpack_sbuffer_destroy(buf);
    if (rc != 0) {
        flow_core_down(req);
        return -1;
    }
    rc = desk_reply_is(r, "error") ? 1 : 0;
    if (!reply)
        desk_reply_free(&own);
    return rc;
}

bool flow_bin(const msgpack_object *map, const char *key, const void **bytes, size_t len)
{
    const msgpack_object *v = doc_get(map, key);
    if (!v || v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != len)
        return false;
    *bytes = v->via.bin.ptr;
    return true;
}

void flow_person(const msgpack_object *account, char *name, size_t name_cap, char *role, size_t role_cap)
{
    doc_strcpy(account, "name", name, name_cap);
    doc_strcpy(account, "role", role, role_cap);
}

int flow_open_secrets(const msgpack_object *account, const char *password, session_secrets_t *secrets)
{
    const void *salt, *sealed, *public_key;
    memset(secrets, 0, sizeof *secrets);
    if (!flow_bin(account, "salt", &salt, SEALED_SALT_BYTES) || !flow_bin(account, "sealed_secret", &sealed, 72)
        || !flow_bin(account, "public_key", &public_key, 32)
        || sealed_key_from_password(password, strlen(password), salt, secrets->password_key) != 0
        || sealed_open(secrets->password_key, sealed, 72, secrets->secret_key) != 0)
        goto fail;
    memcpy(secrets->public_key, public_key, 32);
    const msgpack_object *totp = doc_get(account, "totp_sealed");
    if (totp && totp->type == MSGPACK_OBJECT_BIN) {
        size_t len = totp->via.bin.size;
        if (len <= SEALED_OVERHEAD || len - SEALED_OVERHEAD > SESSION_TOTP_MAX
            || sealed_open(secrets->password_key, (const unsigned char *)totp->via.bin.ptr, len, secrets->totp) != 0)
            goto fail;
        secrets->totp_len = len - SEALED_OVERHEAD;
    }
    return 0;
fail:
    sodium_memzero(secrets, sizeof *secrets);
    return -1;
}
