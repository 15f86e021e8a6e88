/*  services/desk/pages_prefs.c - /preferences: changing one's password
 *  (the secrets in memory are resealed under the new one, the other
 *  sessions of the account end), and the member's daily digest, which
 *  review keeps (member_update, sent as the member). */
#include "auth_flow.h"
#include "pages_auth.h"
#include "password.h"

#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <string.h>

static void s_page(desk_request_t *req, const char *problem, const char *notice)
{
    desk_page_begin(req, "Préférences");
    if (problem)
        desk_error(req, problem);
    if (notice)
        desk_notice(req, notice);
    fputs("<h2>Changer de mot de passe</h2>"
          "<form method=\"post\" action=\"/preferences/mot-de-passe\" class=\"stack\">",
          req->out);
    desk_csrf_field(req);
    fputs("<label for=\"current\">Mot de passe actuel</label>"
          "<input id=\"current\" name=\"current\" type=\"password\" autocomplete=\"current-password\" required>"
          "<label for=\"password\">Nouveau mot de passe (12 caractères au moins)</label>"
          "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required "
          "minlength=\"12\">"
          "<label for=\"confirm\">Le même, une seconde fois</label>"
          "<input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" required>"
          "<button type=\"submit\">Changer mon mot de passe</button></form>",
          req->out);
    if (!strcmp(req->session.role, "member")) {
        fputs("<h2>Résumé quotidien</h2><form method=\"post\" action=\"/preferences/resume\" class=\"stack\">",
              req->out);
        desk_csrf_field(req);
        fputs("<label><input type=\"checkbox\" name=\"resume\" value=\"1\"> Recevoir le résumé quotidien des "
              "dossiers qui attendent mon vote</label><button type=\"submit\">Enregistrer</button></form>",
              req->out);
    } else {
        fputs("<h2>Second facteur</h2><p><a href=\"/codes-de-secours\">Générer de nouveaux codes de "
              "secours</a></p>",
              req->out);
    }
    desk_page_end(req);
}

int pages_preferences(desk_request_t *req)
{
    s_page(req, NULL, NULL);
    return 0;
}

/*  The new password's hash and key; the secrets resealed under it. */
static int s_change(desk_request_t *req, session_secrets_t *secrets, const char *password)
{
    unsigned char salt[SEALED_SALT_BYTES], sealed[FLOW_SEALED_SECRET], totp[SESSION_TOTP_MAX + SEALED_OVERHEAD];
    char pwhash[crypto_pwhash_STRBYTES];
    randombytes_buf(salt, sizeof salt);
    if (sealed_key_from_password(password, strlen(password), salt, secrets->password_key) != 0
        || crypto_pwhash_str(pwhash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return -1;
    sealed_seal(secrets->password_key, secrets->secret_key, 32, sealed);
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(req->site, &buf, &pk, "desk_write", proto_entries(6, secrets->totp_len), &rid);
    proto_pack_kv_str(&pk, "op", "password_change");
    proto_pack_kv_str(&pk, "email", req->session.email);
    flow_pack_bin(&pk, "session", req->session.id_hash, 32);
    proto_pack_kv_str(&pk, "pwhash", pwhash);
    flow_pack_bin(&pk, "salt", salt, sizeof salt);
    flow_pack_bin(&pk, "sealed_secret", sealed, sizeof sealed);
    if (secrets->totp_len) {
        sealed_seal(secrets->password_key, secrets->totp, secrets->totp_len, totp);
        flow_pack_bin(&pk, "totp_sealed", totp, secrets->totp_len + SEALED_OVERHEAD);
    }
    int rc = flow_write(req, &buf, rid, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : -1;
    if (session_keys_put(req->session.id_hash, secrets) != 0)
        return -1;
    log_info("desk: %s changed their password", req->session.name);
    s_page(req, NULL, "Votre mot de passe est changé. Vos autres sessions ouvertes sont fermées.");
    return 0;
}

int pages_password_post(desk_request_t *req)
{
    const char *current = desk_form(req, "current"), *password = desk_form(req, "password");
    const char *confirm = desk_form(req, "confirm");
    desk_reply_t reply;
    if (flow_get(req, req->session.email, NULL, false, &reply) != 0)
        return 0;
    const msgpack_object *account = doc_map(&reply.msg, "account");
    char pwhash[crypto_pwhash_STRBYTES] = "";
    if (account)
        doc_strcpy(account, "pwhash", pwhash, sizeof pwhash);
    desk_reply_free(&reply);
    const char *problem = NULL;
    if (!current || !*pwhash || crypto_pwhash_str_verify(pwhash, current, strlen(current)) != 0)
        problem = "Le mot de passe actuel saisi n'est pas le bon. Saisissez celui avec lequel vous vous êtes "
                  "connecté.";
    else if (!(problem = password_problem(password, req->session.email, req->session.name))
             && (!confirm || strcmp(password, confirm)))
        problem = "Les deux nouveaux mots de passe saisis diffèrent. Saisissez le même dans les deux champs.";
    if (problem) {
        req->status = 422;
        s_page(req, problem, NULL);
        return 0;
    }
    session_secrets_t secrets;
    if (!session_keys_get(req->session.id_hash, &secrets))
        return desk_redirect(req, "/connexion?expiree=1");
    int rc = s_change(req, &secrets, password);
    sodium_memzero(&secrets, sizeof secrets);
    return rc;
}

int pages_digest_post(desk_request_t *req)
{
    const char *wanted = desk_form(req, "resume");
    bool digest = wanted && !strcmp(wanted, "1");
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "member_update", desk_next_rid(), 2);
    proto_pack_kv_str(&pk, "name", req->session.name);
    proto_pack_kv_bool(&pk, "digest", digest);
    desk_reply_t reply;
    int rc = desk_call(req, SERVICE_REVIEW, &buf, &reply);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0)
        return desk_error_page(req, 503, "Service indisponible", reply.problem);
    bool refused = desk_reply_is(&reply, "error");
    desk_reply_free(&reply);
    if (refused) {
        req->status = 422;
        s_page(req, "Le service du comité n'a pas enregistré ce choix. Réessayez plus tard ; si cela dure, "
                    "prévenez l'équipe.", NULL);
        return 0;
    }
    s_page(req, NULL, digest ? "Vous recevrez le résumé quotidien." : "Vous ne recevrez plus le résumé quotidien.");
    return 0;
}
