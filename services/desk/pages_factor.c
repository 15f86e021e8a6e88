/*  services/desk/pages_factor.c - the staff's second factor: enrolment at
 *  first login (the secret shown once with its otpauth:// URI, confirmed
 *  by a first code, then 10 recovery codes shown once), the code asked at
 *  each login, a recovery code instead (each works once), and new
 *  recovery codes.  Failed codes count against the same throttles as
 *  passwords. */
#include "auth_flow.h"
#include "pages_auth.h"
#include "qr.h"
#include "throttle.h"
#include "totp.h"

#include "common/html.h"
#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static void s_enrol_form(desk_request_t *req, const session_secrets_t *secrets, const char *problem)
{
    char base32[64], uri[1024];
    totp_base32(secrets->enrol, secrets->enrol_len, base32, sizeof base32);
    totp_uri(secrets->enrol, secrets->enrol_len, req->session.email, uri, sizeof uri);
    desk_page_begin(req, "Activer la double authentification");
    if (problem)
        desk_error(req, problem);
    fputs("<p>Les comptes de l'équipe se protègent par un second facteur. Ajoutez ce compte dans votre "
          "application d'authentification (FreeOTP, Aegis, Google Authenticator…) avec la clé ci-dessous, puis "
          "saisissez le code à 6 chiffres qu'elle affiche.</p><p>Clé : <code class=\"secret\">",
          req->out);
    html_escape_z(req->out, base32);
    fputs("</code></p><p>Ou photographiez ce code avec l'application :</p>", req->out);
    qr_svg(uri, req->out);
    fputs("<p class=\"hint\">Ou ouvrez ce lien sur votre téléphone : <a href=\"", req->out);
    html_escape_z(req->out, uri);
    fputs("\">", req->out);
    html_escape_z(req->out, uri);
    fputs("</a></p><form method=\"post\" action=\"/double-facteur\" class=\"stack\">", req->out);
    desk_csrf_field(req);
    fputs("<label for=\"code\">Code à 6 chiffres</label>"
          "<input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required "
          "maxlength=\"7\"><button type=\"submit\">Activer</button></form>",
          req->out);
    desk_page_end(req);
}

static void s_code_form(desk_request_t *req, const char *problem)
{
    desk_page_begin(req, "Code de vérification");
    if (problem)
        desk_error(req, problem);
    fputs("<form method=\"post\" action=\"/double-facteur\" class=\"stack\">", req->out);
    desk_csrf_field(req);
    fputs("<label for=\"code\">Code à 6 chiffres de votre application d'authentification</label>"
          "<input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" maxlength=\"7\">"
          "<button type=\"submit\">Valider</button></form>"
          "<form method=\"post\" action=\"/double-facteur\" class=\"stack\">",
          req->out);
    desk_csrf_field(req);
    fputs("<label for=\"secours\">Ou un code de secours (il ne servira qu'une fois)</label>"
          "<input id=\"secours\" name=\"secours\" autocomplete=\"off\" maxlength=\"24\">"
          "<button type=\"submit\">Utiliser ce code de secours</button></form>",
          req->out);
    desk_page_end(req);
}

int pages_factor_page(desk_request_t *req)
{
    if (!*req->session.email)
        return desk_redirect(req, "/connexion");
    if (req->session.active)
        return desk_redirect(req, desk_home_of(req->session.role));
    session_secrets_t secrets;
    if (!session_keys_get(req->session.id_hash, &secrets))
        return desk_redirect(req, "/connexion?expiree=1");
    if (!strcmp(req->session.stage, "enrol")) {
        /* One secret per enrolment: a reload shows the same one. */
        if (!secrets.enrol_len) {
            totp_new_secret(secrets.enrol);
            secrets.enrol_len = TOTP_SECRET_BYTES;
            session_keys_put(req->session.id_hash, &secrets);
        }
        s_enrol_form(req, &secrets, NULL);
    } else {
        s_code_form(req, NULL);
    }
    sodium_memzero(&secrets, sizeof secrets);
    return 0;
}

/*  Shows the codes once (they are stored hashed only). */
static void s_show_codes(desk_request_t *req, char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_TEXT])
{
    desk_page_begin(req, "Vos codes de secours");
    fputs("<p>Chacun de ces codes remplace une fois le code de votre application, si vous la perdez. Notez-les "
          "et gardez-les en lieu sûr : ils ne seront plus jamais affichés.</p><ol class=\"codes\">",
          req->out);
    for (size_t i = 0; i < TOTP_RECOVERY_CODES; i++) {
        fputs("<li>", req->out);
        html_escape_z(req->out, codes[i]);
        fputs("</li>", req->out);
    }
    fputs("</ol><p><a href=\"/admin\">Continuer vers l'accueil de l'équipe</a></p>", req->out);
    desk_page_end(req);
}

/*  Stores new recovery codes (and, with totp, the enrolled secret sealed
 *  under the password's key), and shows the codes. */
static int s_store_codes(desk_request_t *req, const session_secrets_t *secrets, bool with_totp, int64_t step)
{
    char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_TEXT];
    unsigned char hashes[TOTP_RECOVERY_CODES][32], sealed[SESSION_TOTP_MAX + SEALED_OVERHEAD];
    totp_recovery_new(codes, hashes);
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(req->site, &buf, &pk, "desk_write", with_totp ? 6 : 4, &rid);
    proto_pack_kv_str(&pk, "op", "totp_set");
    proto_pack_kv_str(&pk, "email", req->session.email);
    flow_pack_bin(&pk, "session", req->session.id_hash, 32);
    if (with_totp) {
        sealed_seal(secrets->password_key, secrets->totp, secrets->totp_len, sealed);
        flow_pack_bin(&pk, "totp_sealed", sealed, secrets->totp_len + SEALED_OVERHEAD);
        proto_pack_kv_uint(&pk, "step", (uint64_t)step);
    }
    proto_pack_str(&pk, "recovery");
    msgpack_pack_array(&pk, TOTP_RECOVERY_CODES);
    for (size_t i = 0; i < TOTP_RECOVERY_CODES; i++) {
        msgpack_pack_bin(&pk, 32);
        msgpack_pack_bin_body(&pk, hashes[i], 32);
    }
    int rc = flow_write(req, &buf, rid, NULL);
    if (rc == 0)
        s_show_codes(req, codes);
    sodium_memzero(codes, sizeof codes);
    return rc > 0 ? -1 : 0;
}

/*  A wrong code: counted like a wrong password; 0 when the page is made. */
static void s_failed(desk_request_t *req, uint32_t failures)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(req->site, &buf, &pk, "desk_write", 3, &rid);
    proto_pack_kv_str(&pk, "op", "login_failed");
    proto_pack_kv_str(&pk, "address", req->address);
    proto_pack_kv_str(&pk, "email", req->session.email);
    if (flow_write(req, &buf, rid, NULL) < 0)
        return;
    int delay = throttle_delay_ms(failures + 1);
    if (delay)
        usleep((useconds_t)delay * 1000);
}

static const char s_wrong_code[] = "Ce code n'est pas le bon, ou il a expiré, ou trop d'essais ont échoué. Saisissez "
                                   "le code affiché en ce moment par votre application ; après 10 essais manqués, "
                                   "attendez 15 minutes.";

static int s_enrol(desk_request_t *req, session_secrets_t *secrets, bool locked, uint32_t failures)
{
    const char *code = desk_form(req, "code");
    int64_t step = 0;
    if (!secrets->enrol_len)
        return desk_redirect(req, "/double-facteur");
    if (locked || !code || !totp_check(secrets->enrol, secrets->enrol_len, code, time(NULL), &step)) {
        s_failed(req, failures);
        req->status = 422;
        s_enrol_form(req, secrets, s_wrong_code);
        return 0;
    }
    memcpy(secrets->totp, secrets->enrol, secrets->enrol_len);
    secrets->totp_len = secrets->enrol_len;
    secrets->enrol_len = 0;
    sodium_memzero(secrets->enrol, sizeof secrets->enrol);
    if (session_keys_put(req->session.id_hash, secrets) != 0)
        return -1;
    log_info("desk: %s enrolled a second factor", req->session.name);
    return s_store_codes(req, secrets, true, step);
}

static int s_verify(desk_request_t *req, session_secrets_t *secrets, bool locked, uint32_t failures)
{
    const char *code = desk_form(req, "code"), *recovery = desk_form(req, "secours");
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    bool passed = false;
    int64_t step = 0;
    if (!locked && code && *code && totp_check(secrets->totp, secrets->totp_len, code, time(NULL), &step)) {
        /* The core accepts each step once: a code seen over a shoulder
         * does not open a second session. */
        site_core_begin(req->site, &buf, &pk, "desk_write", 4, &rid);
        proto_pack_kv_str(&pk, "op", "session_stage");
        flow_pack_bin(&pk, "session", req->session.id_hash, 32);
        proto_pack_kv_str(&pk, "stage", "full");
        proto_pack_kv_uint(&pk, "step", (uint64_t)step);
        int rc = flow_write(req, &buf, rid, NULL);
        if (rc < 0)
            return 0;
        passed = rc == 0;
    } else if (!locked && recovery && *recovery) {
        unsigned char hash[32];
        if (totp_recovery_hash(recovery, hash) == 0) {
            site_core_begin(req->site, &buf, &pk, "desk_write", 4, &rid);
            proto_pack_kv_str(&pk, "op", "recovery_use");
            proto_pack_kv_str(&pk, "email", req->session.email);
            flow_pack_bin(&pk, "session", req->session.id_hash, 32);
            flow_pack_bin(&pk, "code_hash", hash, 32);
            int rc = flow_write(req, &buf, rid, NULL);
            if (rc < 0)
                return 0;
            passed = rc == 0;
            if (passed)
                log_info("desk: %s used a recovery code", req->session.name);
        }
    }
    if (!passed) {
        s_failed(req, failures);
        req->status = 422;
        s_code_form(req, s_wrong_code);
        return 0;
    }
    return desk_redirect(req, desk_home_of(req->session.role));
}

int pages_factor_post(desk_request_t *req)
{
    if (!*req->session.email)
        return desk_redirect(req, "/connexion");
    if (req->session.active)
        return desk_redirect(req, desk_home_of(req->session.role));
    session_secrets_t secrets;
    if (!session_keys_get(req->session.id_hash, &secrets))
        return desk_redirect(req, "/connexion?expiree=1");
    desk_reply_t reply;
    if (flow_get(req, req->session.email, NULL, true, &reply) != 0) {
        sodium_memzero(&secrets, sizeof secrets);
        return 0;
    }
    bool locked = doc_bool(&reply.msg, "locked", false);
    uint64_t failures = 0;
    doc_uint(&reply.msg, "failures", &failures);
    desk_reply_free(&reply);
    int rc = !strcmp(req->session.stage, "enrol") ? s_enrol(req, &secrets, locked, (uint32_t)failures)
                                                  : s_verify(req, &secrets, locked, (uint32_t)failures);
    sodium_memzero(&secrets, sizeof secrets);
    return rc;
}

int pages_recovery_page(desk_request_t *req)
{
    desk_page_begin(req, "Codes de secours");
    fputs("<p>Si vous avez perdu vos codes de secours, ou en avez utilisé plusieurs, générez-en 10 nouveaux : les "
          "anciens cesseront de fonctionner.</p><form method=\"post\" action=\"/codes-de-secours\">",
          req->out);
    desk_csrf_field(req);
    fputs("<button type=\"submit\">Générer 10 nouveaux codes</button></form>", req->out);
    desk_page_end(req);
    return 0;
}

int pages_recovery_post(desk_request_t *req)
{
    session_secrets_t secrets;
    if (!session_keys_get(req->session.id_hash, &secrets))
        return desk_redirect(req, "/connexion?expiree=1");
    int rc = s_store_codes(req, &secrets, false, 0);
    sodium_memzero(&secrets, sizeof secrets);
    return rc;
}
