/*  services/desk/pages_login.c - logging in and out, and the invitation
 *  that sets a password.
 *
 *  A refused login gets one answer, byte for byte, whatever the reason
 *  (unknown login, wrong password, an account or address locked after too
 *  many failures), in the same time: an unknown login is verified against
 *  a hash of a password nobody knows.  Each failure makes the next answer
 *  wait longer (throttle.h).
 */
#include "auth_flow.h"
#include "pages_auth.h"
#include "core.h"
#include "password.h"
#include "throttle.h"

#include "common/html.h"
#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* --------------------------------------------------------------- login */

static void s_login_form(desk_request_t *req, const char *problem)
{
    desk_page_begin(req, "Connexion");
    if (problem)
        desk_error(req, problem);
    else if (req->expired_notice || desk_query(req, "expiree"))
        desk_notice(req, "Votre session a expiré : reconnectez-vous pour continuer.");
    fputs("<form method=\"post\" action=\"/connexion\" class=\"stack\">", req->out);
    desk_csrf_field(req);
    fputs("<label for=\"email\">Adresse électronique</label>"
          "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required maxlength=\"254\">"
          "<label for=\"password\">Mot de passe</label>"
          "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
          "<button type=\"submit\">Se connecter</button></form>"
          "<p class=\"hint\">Mot de passe oublié ? Demandez à l'équipe de le réinitialiser : vous recevrez une "
          "nouvelle invitation.</p>",
          req->out);
    desk_page_end(req);
}

static int s_login_page(desk_request_t *req)
{
    if (req->session.active)
        return desk_redirect(req, desk_home_of(req->session.role));
    s_login_form(req, NULL);
    return 0;
}

static const char s_refused[] =
    "Adresse électronique ou mot de passe incorrect, ou connexion suspendue après trop d'essais manqués. "
    "Vérifiez votre saisie et réessayez ; après 10 essais manqués, attendez 15 minutes.";

/*  A failure: counted, then answered after the throttle's delay. */
static int s_login_refused(desk_request_t *req, const char *email, uint32_t failures)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(req->site, &buf, &pk, "desk_write", proto_entries(2, *email), &rid);
    proto_pack_kv_str(&pk, "op", "login_failed");
    proto_pack_kv_str(&pk, "address", req->address);
    if (*email)
        proto_pack_kv_str(&pk, "email", email);
    if (flow_write(req, &buf, rid, NULL) < 0)
        return 0;
    int delay = throttle_delay_ms(failures + 1);
    if (delay)
        usleep((useconds_t)delay * 1000);
    s_login_form(req, s_refused);
    return 0;
}

/*  The session starts: the secrets go to memory, the record to the core. */
static int s_login_open(desk_request_t *req, const char *email, const char *name, const char *role,
                        session_secrets_t *secrets)
{
    const char *stage = strcmp(role, "staff") ? "full" : secrets->totp_len ? "totp" : "enrol";
    flow_session_t s;
    flow_session_new(&s);
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(req->site, &buf, &pk, "desk_write", 6, &rid);
    proto_pack_kv_str(&pk, "op", "session_open");
    proto_pack_kv_str(&pk, "email", email);
    flow_pack_bin(&pk, "session", s.hash, 32);
    proto_pack_kv_str(&pk, "csrf", s.csrf);
    proto_pack_kv_str(&pk, "stage", stage);
    proto_pack_kv_str(&pk, "address", req->address);
    if (session_keys_put(s.hash, secrets) != 0)
        return -1;
    int rc = flow_write(req, &buf, rid, NULL);
    if (rc != 0) {
        session_keys_drop(s.hash);
        return rc < 0 ? 0 : -1;
    }
    log_info("desk: %s logged in (%s)", name, stage);
    /* Who this request was, for its log line (services/desk/http.c). */
    snprintf(req->session.name, sizeof req->session.name, "%s", name);
    flow_session_cookie(req, &s);
    sodium_memzero(&s, sizeof s);
    return desk_redirect(req, !strcmp(stage, "full") ? desk_home_of(role) : "/double-facteur");
}

static int s_login(desk_request_t *req)
{
    const char *typed = desk_form(req, "email"), *password = desk_form(req, "password");
    char email[DESK_EMAIL_MAX + 1] = "";
    if (!typed || desk_email_fold(typed, strlen(typed), email, sizeof email) != 0)
        *email = '\0';
    if (!password)
        password = "";
    desk_reply_t reply;
    if (flow_get(req, *email ? email : NULL, NULL, true, &reply) != 0)
        return 0;
    const msgpack_object *account = doc_map(&reply.msg, "account");
    bool locked = doc_bool(&reply.msg, "locked", false);
    uint64_t failures = 0;
    doc_uint(&reply.msg, "failures", &failures);
    bool usable = account && doc_str_eq(account, "state", "active") && !locked;
    /* Always one Argon2id verification: the dummy one for an unknown
     * login, so that the time says nothing either. */
    char hash[crypto_pwhash_STRBYTES];
    snprintf(hash, sizeof hash, "%s", req->site->dummy_hash);
    if (usable)
        doc_strcpy(account, "pwhash", hash, sizeof hash);
    bool right = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    if (!usable || !right) {
        desk_reply_free(&reply);
        if (locked)
            log_info("desk: a login refused while locked (from %s)", req->address);
        return s_login_refused(req, email, (uint32_t)failures);
    }
    session_secrets_t secrets;
    char name[DESK_NAME_MAX + 1], role[16];
    flow_person(account, name, sizeof name, role, sizeof role);
    int rc = flow_open_secrets(account, password, &secrets);
    desk_reply_free(&reply);
    if (rc != 0) {
        log_error("desk: the sealed secrets of %s do not open with its password", name);
        return desk_error_page(req, 500, "Compte inutilisable",
                               "Vos clés n'ont pas pu être ouvertes. Demandez à l'équipe de réinitialiser votre "
                               "mot de passe.");
    }
    rc = s_login_open(req, email, name, role, &secrets);
    sodium_memzero(&secrets, sizeof secrets);
    return rc;
}

static int s_logout(desk_request_t *req)
{
    if (*req->session.email) {
        msgpack_sbuffer buf;
        msgpack_packer pk;
        uint64_t rid;
        site_core_begin(req->site, &buf, &pk, "desk_write", 2, &rid);
        proto_pack_kv_str(&pk, "op", "session_close");
        flow_pack_bin(&pk, "session", req->session.id_hash, 32);
        if (flow_write(req, &buf, rid, NULL) != 0)
            return 0;
        session_keys_drop(req->session.id_hash);
        log_info("desk: %s logged out", req->session.name);
    }
    site_session_cookie(req->site, "", 0, req->set_cookie, sizeof req->set_cookie);
    return desk_redirect(req, "/connexion");
}

/* ----------------------------------------------------------- invitation */

static const char s_stale[] = "Ce lien d'invitation n'est plus valable : il a déjà servi ou il a expiré (il vaut "
                              "7 jours). Demandez à l'équipe une nouvelle invitation.";

/*  The invitation the path names, and its account: 0 with the reply, or
 *  1 when there is none usable (the page says so), -1 (service down). */
static int s_invitation(desk_request_t *req, unsigned char token[32], unsigned char hash[32], desk_reply_t *reply)
{
    if (sealed_token_parse(req->rest, token) != 0) {
        desk_error_page(req, 404, "Invitation introuvable", s_stale);
        return 1;
    }
    sealed_token_hash(token, hash);
    if (flow_get(req, NULL, hash, false, reply) != 0)
        return -1;
    const msgpack_object *inv = doc_map(&reply->msg, "invitation");
    uint64_t expires = 0;
    if (inv)
        doc_uint(inv, "expires", &expires);
    if (!inv || !doc_map(&reply->msg, "account") || doc_bool(inv, "used", true) || (int64_t)expires <= time(NULL)) {
        desk_reply_free(reply);
        desk_error_page(req, 410, "Invitation périmée", s_stale);
        return 1;
    }
    return 0;
}

static void s_invitation_form(desk_request_t *req, const msgpack_object *account, const char *problem)
{
    desk_page_begin(req, "Choisir votre mot de passe");
    if (problem)
        desk_error(req, problem);
    fputs("<p>Bienvenue ", req->out);
    char name[DESK_NAME_MAX + 1] = "", email[DESK_EMAIL_MAX + 1] = "";
    doc_strcpy(account, "name", name, sizeof name);
    doc_strcpy(account, "email", email, sizeof email);
    html_escape_z(req->out, name);
    fputs(". Votre identifiant est <strong>", req->out);
    html_escape_z(req->out, email);
    fputs("</strong>. Choisissez un mot de passe d'au moins 12 caractères (une phrase de plusieurs mots convient "
          "très bien).</p><form method=\"post\" class=\"stack\" action=\"/invitation/",
          req->out);
    html_escape_z(req->out, req->rest);
    fputs("\">", req->out);
    desk_csrf_field(req);
    fputs("<label for=\"password\">Mot de passe</label>"
          "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required "
          "minlength=\"12\">"
          "<label for=\"confirm\">Le même, une seconde fois</label>"
          "<input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" required>"
          "<button type=\"submit\">Enregistrer mon mot de passe</button></form>",
          req->out);
    desk_page_end(req);
}

static int s_invitation_page(desk_request_t *req)
{
    unsigned char token[32], hash[32];
    desk_reply_t reply;
    if (s_invitation(req, token, hash, &reply) != 0)
        return 0;
    s_invitation_form(req, doc_map(&reply.msg, "account"), NULL);
    desk_reply_free(&reply);
    sodium_memzero(token, sizeof token);
    return 0;
}

/*  The secret sealed under the token is resealed under the password. */
static int s_invitation_accept(desk_request_t *req, const msgpack_object *account, const unsigned char token[32],
                               const unsigned char hash[32], const char *password)
{
    char email[DESK_EMAIL_MAX + 1], name[DESK_NAME_MAX + 1], role[16];
    doc_strcpy(account, "email", email, sizeof email);
    flow_person(account, name, sizeof name, role, sizeof role);
    const void *sealed, *public_key;
    session_secrets_t secrets = {0};
    unsigned char token_key[32], salt[SEALED_SALT_BYTES], resealed[FLOW_SEALED_SECRET];
    char pwhash[crypto_pwhash_STRBYTES];
    sealed_key_from_token(token, token_key);
    bool opened = flow_bin(account, "sealed_secret", &sealed, 72) && flow_bin(account, "public_key", &public_key, 32)
        && sealed_open(token_key, sealed, 72, secrets.secret_key) == 0;
    sodium_memzero(token_key, sizeof token_key);
    if (!opened)
        return desk_error_page(req, 500, "Invitation inutilisable",
                               "La clé de cette invitation ne s'ouvre pas. Demandez à l'équipe une nouvelle "
                               "invitation.");
    memcpy(secrets.public_key, public_key, 32);
    randombytes_buf(salt, sizeof salt);
    if (sealed_key_from_password(password, strlen(password), salt, secrets.password_key) != 0
        || crypto_pwhash_str(pwhash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        sodium_memzero(&secrets, sizeof secrets);
        return -1;
    }
    sealed_seal(secrets.password_key, secrets.secret_key, 32, resealed);
    flow_session_t s;
    flow_session_new(&s);
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(req->site, &buf, &pk, "desk_write", 7, &rid);
    proto_pack_kv_str(&pk, "op", "password_set");
    flow_pack_bin(&pk, "token_hash", hash, 32);
    proto_pack_kv_str(&pk, "pwhash", pwhash);
    flow_pack_bin(&pk, "salt", salt, sizeof salt);
    flow_pack_bin(&pk, "sealed_secret", resealed, sizeof resealed);
    flow_pack_bin(&pk, "session", s.hash, 32);
    proto_pack_kv_str(&pk, "csrf", s.csrf);
    int rc = session_keys_put(s.hash, &secrets);
    sodium_memzero(&secrets, sizeof secrets);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&buf);
        return -1;
    }
    rc = flow_write(req, &buf, rid, NULL);
    if (rc != 0) {
        session_keys_drop(s.hash);
        return rc < 0 ? 0 : desk_error_page(req, 410, "Invitation périmée", s_stale);
    }
    log_info("desk: %s set their password from an invitation", name);
    snprintf(req->session.name, sizeof req->session.name, "%s", name);
    flow_session_cookie(req, &s);
    return desk_redirect(req, strcmp(role, "staff") ? desk_home_of(role) : "/double-facteur");
}

static int s_invitation_post(desk_request_t *req)
{
    unsigned char token[32], hash[32];
    desk_reply_t reply;
    if (s_invitation(req, token, hash, &reply) != 0)
        return 0;
    const msgpack_object *account = doc_map(&reply.msg, "account");
    const char *password = desk_form(req, "password"), *confirm = desk_form(req, "confirm");
    char email[DESK_EMAIL_MAX + 1] = "", name[DESK_NAME_MAX + 1] = "";
    doc_strcpy(account, "email", email, sizeof email);
    doc_strcpy(account, "name", name, sizeof name);
    const char *problem = password_problem(password, email, name);
    if (!problem && (!confirm || strcmp(password, confirm)))
        problem = "Les deux mots de passe saisis diffèrent. Saisissez le même mot de passe dans les deux champs.";
    int rc = 0;
    if (problem) {
        req->status = 422;
        s_invitation_form(req, account, problem);
    } else {
        rc = s_invitation_accept(req, account, token, hash, password);
    }
    desk_reply_free(&reply);
    sodium_memzero(token, sizeof token);
    return rc;
}

/* ------------------------------------------------------------------ routes */

const desk_route_t desk_auth_routes[] = {
    {"GET", "/connexion", DESK_MATCH_EXACT, DESK_ROLE_NONE, s_login_page},
    {"POST", "/connexion", DESK_MATCH_EXACT, DESK_ROLE_NONE, s_login},
    {"POST", "/deconnexion", DESK_MATCH_EXACT, DESK_ROLE_NONE, s_logout},
    {"GET", "/invitation", DESK_MATCH_PREFIX, DESK_ROLE_NONE, s_invitation_page},
    {"POST", "/invitation", DESK_MATCH_PREFIX, DESK_ROLE_NONE, s_invitation_post},
    {"GET", "/double-facteur", DESK_MATCH_EXACT, DESK_ROLE_NONE, pages_factor_page},
    {"POST", "/double-facteur", DESK_MATCH_EXACT, DESK_ROLE_NONE, pages_factor_post},
    {"GET", "/codes-de-secours", DESK_MATCH_EXACT, DESK_ROLE_STAFF, pages_recovery_page},
    {"POST", "/codes-de-secours", DESK_MATCH_EXACT, DESK_ROLE_STAFF, pages_recovery_post},
    {"GET", "/preferences", DESK_MATCH_EXACT, DESK_ROLE_ANY, pages_preferences},
    {"POST", "/preferences/mot-de-passe", DESK_MATCH_EXACT, DESK_ROLE_ANY, pages_password_post},
    {"POST", "/preferences/resume", DESK_MATCH_EXACT, DESK_ROLE_MEMBER, pages_digest_post},
    {0}};
