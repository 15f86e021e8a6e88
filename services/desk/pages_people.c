/*  services/desk/pages_people.c - see pages_people.h.
 *
 *  An invitation is made here, as `essp member add --email` makes one: a
 *  fresh CURVE key pair for the person, its secret sealed under a random
 *  token (common/sealed_key.h), the desk's core keeping the sealed secret,
 *  the token's hash and the public key (which it writes into
 *  keys/allowed, so that review admits it).  The token itself is never
 *  stored: the page shows the link once, for the staff to pass on.  New
 *  keys and a resent invitation are the same with `reset`: a new pair
 *  (the old key is refused from then on) and a new link. */
#include "pages_people.h"

#include "people_page.h"
#include "refusal.h"

#include "common/auth.h"
#include "common/config.h"
#include "common/html.h"
#include "common/sealed_key.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#define S_INVITATION_DAYS 7

typedef struct {
    desk_reply_t members, accounts;
    bool has_members, has_accounts;
} s_people_t;

static int s_call(desk_request_t *req, service_id_t service, msgpack_sbuffer *buf, desk_reply_t *reply)
{
    int rc = desk_call(req, service, buf, reply);
    msgpack_sbuffer_destroy(buf);
    return rc;
}

static void s_start(msgpack_sbuffer *buf, msgpack_packer *pk, const char *type, size_t fields)
{
    msgpack_sbuffer_init(buf);
    msgpack_packer_init(pk, buf, msgpack_sbuffer_write);
    proto_pack_request(pk, type, desk_next_rid(), fields);
}

static void s_fetch(desk_request_t *req, s_people_t *p)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    memset(p, 0, sizeof *p);
    s_start(&buf, &pk, "member_list", 0);
    p->has_members = s_call(req, SERVICE_REVIEW, &buf, &p->members) == 0 && desk_reply_is(&p->members, "members");
    s_start(&buf, &pk, "account_list", 0);
    p->has_accounts = s_call(req, SERVICE_DESK, &buf, &p->accounts) == 0 && desk_reply_is(&p->accounts, "accounts");
}

static void s_render(desk_request_t *req, s_people_t *p, const char *notice, const char *link, const char *error,
                     const people_form_t *form)
{
    people_view_t view = {.members = p->has_members ? &p->members.msg : NULL,
                          .accounts = p->has_accounts ? doc_array(&p->accounts.msg, "accounts") : NULL,
                          .csrf = req->session.csrf, .notice = notice, .error = error, .form = form,
                          .invitation = link};
    desk_page_begin(req, "Personnes");
    people_page_render(req->out, &view);
    desk_page_end(req);
    desk_reply_free(&p->members);
    desk_reply_free(&p->accounts);
}

static int s_page(desk_request_t *req, const char *notice, const char *link, const char *error,
                  const people_form_t *form, int status)
{
    s_people_t p;
    s_fetch(req, &p);
    req->status = status;
    s_render(req, &p, notice, link, error, form);
    return 0;
}

int pages_people(desk_request_t *req)
{
    return s_page(req, NULL, NULL, NULL, NULL, 200);
}

/*  The member account of a name (its e-mail), from the desk's list.  The
 *  role matters: a staff person may bear a member's name, and the rows of
 *  « Personnes » that act on a name are the committee's. */
static bool s_member_account(desk_request_t *req, const char *name, char *email, size_t cap)
{
    s_people_t p;
    s_fetch(req, &p);
    bool found = false;
    const msgpack_object *accounts = doc_array(&p.accounts.msg, "accounts");
    for (size_t i = 0; p.has_accounts && i < doc_len(accounts) && !found; i++) {
        const msgpack_object *a = doc_at(accounts, i);
        if (doc_str_eq(a, "name", name) && doc_str_eq(a, "role", AUTH_ROLE_MEMBER)) {
            doc_strcpy(a, "email", email, cap);
            found = true;
        }
    }
    desk_reply_free(&p.members);
    desk_reply_free(&p.accounts);
    return found;
}

/*  A new key pair and link for (email, name, role): account_invite.  0
 *  with the link in `link`; else -1 with the French refusal in `error`. */
static int s_invite(desk_request_t *req, const char *email, const char *name, const char *role, bool reset,
                    char *link, size_t link_cap, char *error, size_t error_cap)
{
    unsigned char public_key[32], secret_key[32], token[SEALED_TOKEN_BYTES], key[SEALED_KEY_BYTES], hash[32];
    unsigned char sealed[32 + SEALED_OVERHEAD];
    crypto_box_keypair(public_key, secret_key);
    randombytes_buf(token, sizeof token);
    sealed_key_from_token(token, key);
    sealed_seal(key, secret_key, sizeof secret_key, sealed);
    sealed_token_hash(token, hash);
    sodium_memzero(secret_key, sizeof secret_key);
    sodium_memzero(key, sizeof key);
    msgpack_sbuffer buf;
    msgpack_packer pk;
    s_start(&buf, &pk, "account_invite", proto_entries(7, reset));
    proto_pack_kv_str(&pk, "email", email);
    proto_pack_kv_str(&pk, "name", name);
    proto_pack_kv_str(&pk, "role", role);
    proto_pack_str(&pk, "public_key");
    msgpack_pack_bin_with_body(&pk, public_key, sizeof public_key);
    proto_pack_str(&pk, "sealed_secret");
    msgpack_pack_bin_with_body(&pk, sealed, sizeof sealed);
    proto_pack_str(&pk, "token_hash");
    msgpack_pack_bin_with_body(&pk, hash, sizeof hash);
    proto_pack_kv_uint(&pk, "expires", (uint64_t)time(NULL) + S_INVITATION_DAYS * 86400);
    if (reset)
        proto_pack_kv_bool(&pk, "reset", true);
    desk_reply_t reply;
    int rc = s_call(req, SERVICE_DESK, &buf, &reply);
    if (rc == 0 && desk_reply_is(&reply, "account")) {
        char base[CONFIG_ENDPOINT_MAX], text[64];
        config_desk_url(base, sizeof base);
        sealed_token_text(token, text, sizeof text);
        size_t len = strlen(base);
        snprintf(link, link_cap, "%s%sinvitation/%s", base, len && base[len - 1] == '/' ? "" : "/", text);
    } else {
        if (rc != 0)
            snprintf(error, error_cap, "%s", reply.problem);
        else if (doc_str_eq(&reply.msg, "field", "email") && doc_str_eq(&reply.msg, "rule", "unique"))
            snprintf(error, error_cap, "Un compte existe déjà avec cette adresse électronique : choisissez-en "
                                       "une autre, ou renvoyez l'invitation depuis la ligne de la personne.");
        else if (doc_str_eq(&reply.msg, "field", "email"))
            snprintf(error, error_cap, "L'adresse électronique n'est pas valide : écrivez-la sous la forme "
                                       "prenom.nom@exemple.fr.");
        else
            refusal_text("account_invite", &reply.msg, error, error_cap);
        rc = -1;
    }
    sodium_memzero(token, sizeof token);
    desk_reply_free(&reply);
    return rc;
}

/*  review's member_add with the form's ties and networks, one per line. */
static int s_member_add(desk_request_t *req, const people_form_t *f, char *error, size_t cap)
{
    char ties_text[DESK_FIELD_MAX + 1], networks_text[DESK_FIELD_MAX + 1];
    const char *ties[PEOPLE_LINES_MAX], *networks[PEOPLE_LINES_MAX];
    snprintf(ties_text, sizeof ties_text, "%s", f->ties ? f->ties : "");
    snprintf(networks_text, sizeof networks_text, "%s", f->networks ? f->networks : "");
    int tie_count = people_split_lines(ties_text, ties, PEOPLE_LINES_MAX);
    int network_count = people_split_lines(networks_text, networks, PEOPLE_LINES_MAX);
    if (tie_count < 0 || network_count < 0) {
        snprintf(error, cap, "Un membre a au plus %d organisations liées et %d réseaux : retirez des lignes.",
                 PEOPLE_LINES_MAX, PEOPLE_LINES_MAX);
        return -1;
    }
    msgpack_sbuffer buf;
    msgpack_packer pk;
    s_start(&buf, &pk, "member_add", 5);
    proto_pack_kv_str(&pk, "name", f->name);
    proto_pack_kv_str(&pk, "college", f->college ? f->college : "");
    proto_pack_kv_str(&pk, "email", f->email);
    proto_pack_str(&pk, "ties");
    msgpack_pack_array(&pk, (size_t)tie_count);
    for (int i = 0; i < tie_count; i++)
        proto_pack_str(&pk, ties[i]);
    proto_pack_str(&pk, "networks");
    msgpack_pack_array(&pk, (size_t)network_count);
    for (int i = 0; i < network_count; i++)
        proto_pack_str(&pk, networks[i]);
    desk_reply_t reply;
    int rc = s_call(req, SERVICE_REVIEW, &buf, &reply);
    if (rc != 0)
        snprintf(error, cap, "%s", reply.problem);
    else if (!desk_reply_is(&reply, "member")) {
        refusal_text("member_add", &reply.msg, error, cap);
        rc = -1;
    }
    desk_reply_free(&reply);
    return rc;
}

int pages_people_add(desk_request_t *req)
{
    people_form_t f = {desk_form(req, "nom"), desk_form(req, "courriel"), desk_form(req, "role"),
                       desk_form(req, "college"), desk_form(req, "ties"), desk_form(req, "networks")};
    char error[600] = "", link[512];
    bool staff = f.role && strcmp(f.role, "staff") == 0;
    if (!f.name || strspn(f.name, " \t") == strlen(f.name) || strlen(f.name) > PROTO_NAME_MAX)
        snprintf(error, sizeof error, "Écrivez le nom et le prénom de la personne (au plus %d caractères).",
                 PROTO_NAME_MAX);
    else if (!f.email || !strchr(f.email, '@') || strlen(f.email) > PROTO_EMAIL_MAX)
        snprintf(error, sizeof error, "Écrivez l'adresse électronique de la personne, sous la forme "
                                      "prenom.nom@exemple.fr : l'invitation y sera envoyée.");
    else if (!staff && s_member_add(req, &f, error, sizeof error) != 0) {
        /* error says why */
    } else if (s_invite(req, f.email, f.name, staff ? "staff" : "member", false, link, sizeof link, error,
                        sizeof error) != 0) {
        /* The member is on the committee without an account: the staff
         * fixes the address and sends the invitation from the row. */
    }
    if (error[0])
        return s_page(req, NULL, NULL, error, &f, 422);
    char notice[300];
    snprintf(notice, sizeof notice, "%s est %s ; transmettez-lui le lien d'invitation ci-dessous.", f.name,
             staff ? "ajouté·e à l'équipe" : "ajouté·e au comité");
    return s_page(req, notice, link, NULL, NULL, 200);
}

/*  A new pair and a new link for the person of the form's `name`. */
static int s_reinvite(desk_request_t *req, const char *done)
{
    const char *name = desk_form(req, "name");
    char email[DESK_EMAIL_MAX + 1] = "", error[600] = "", link[512], notice[300];
    if (!name || !s_member_account(req, name, email, sizeof email))
        return s_page(req, NULL, NULL, "Cette personne n'a pas de compte sur le bureau : ajoutez-la avec le "
                                       "formulaire, avec son adresse électronique.", NULL, 404);
    if (s_invite(req, email, name, AUTH_ROLE_MEMBER, true, link, sizeof link, error, sizeof error) != 0)
        return s_page(req, NULL, NULL, error, NULL, 422);
    snprintf(notice, sizeof notice, "%s %s", name, done);
    return s_page(req, notice, link, NULL, NULL, 200);
}

int pages_people_rekey(desk_request_t *req)
{
    return s_reinvite(req, "a de nouvelles clés : les anciennes sont refusées dès maintenant. Avec le lien "
                           "ci-dessous, la personne choisit de nouveau son mot de passe.");
}

int pages_people_invite(desk_request_t *req)
{
    return s_reinvite(req, "reçoit une nouvelle invitation ; l'ancien lien ne fonctionne plus.");
}

/*  review's member_remove; a name review no longer knows is already off
 *  the committee (a removal sent twice).  0, or -1 with why in error. */
static int s_member_remove(desk_request_t *req, const char *name, char *error, size_t cap)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    desk_reply_t reply;
    s_start(&buf, &pk, "member_remove", 1);
    proto_pack_kv_str(&pk, "name", name);
    int rc = s_call(req, SERVICE_REVIEW, &buf, &reply);
    if (rc != 0)
        snprintf(error, cap, "%s", reply.problem);
    else if (!desk_reply_is(&reply, "member") && !doc_str_eq(&reply.msg, "code", "not_found")) {
        refusal_text("member_remove", &reply.msg, error, cap);
        rc = -1;
    }
    desk_reply_free(&reply);
    return rc;
}

/*  The member's desk account, when there is one, and their certificate in
 *  keys/allowed in any case: a member added with the essp tool alone has
 *  no account, yet a key that review still admits.  0, or -1 with why in
 *  error. */
static int s_member_account_remove(desk_request_t *req, const char *name, char *error, size_t cap)
{
    char email[DESK_EMAIL_MAX + 1] = "";
    if (s_member_account(req, name, email, sizeof email)) {
        msgpack_sbuffer buf;
        msgpack_packer pk;
        desk_reply_t reply;
        s_start(&buf, &pk, "account_remove", 1);
        proto_pack_kv_str(&pk, "email", email);
        int rc = s_call(req, SERVICE_DESK, &buf, &reply);
        if (rc != 0)
            snprintf(error, cap, "%s", reply.problem);
        else if (!desk_reply_is(&reply, "account") && !doc_str_eq(&reply.msg, "code", "not_found"))
            refusal_text("account_remove", &reply.msg, error, cap);
        desk_reply_free(&reply);
        if (error[0])
            return -1;
    }
    if (auth_revoke(AUTH_ROLE_MEMBER, name) != 0) {
        snprintf(error, cap, "%s est retiré·e du comité, mais son certificat n'a pas pu être effacé des clés "
                             "admises : prévenez l'équipe technique, sa clé est encore acceptée.", name);
        return -1;
    }
    return 0;
}

int pages_people_remove(desk_request_t *req)
{
    const char *name = desk_form(req, "name");
    if (!name || !*name)
        return s_page(req, NULL, NULL, "Choisissez la personne à retirer dans la liste.", NULL, 422);
    if (!desk_form(req, "confirm")) {
        desk_page_begin(req, "Retirer du comité");
        people_page_confirm_remove(req->out, name, req->session.csrf);
        desk_page_end(req);
        return 0;
    }
    char error[600] = "";
    if (s_member_remove(req, name, error, sizeof error) == 0)
        s_member_account_remove(req, name, error, sizeof error);
    if (error[0])
        return s_page(req, NULL, NULL, error, NULL, 409);
    char notice[300];
    snprintf(notice, sizeof notice, "%s est retiré·e : sa clé est refusée dès maintenant ; ses votes passés restent "
                                    "dans les dossiers.", name);
    return s_page(req, notice, NULL, NULL, NULL, 200);
}
