/*  services/desk/site.c - see site.h: the router (session, role, second
 *  factor, CSRF), the page frame and the helpers of the pages. */
#include "site_impl.h"

#include "forms.h"

#include "common/html.h"
#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <string.h>
#include <time.h>

/* --------------------------------------------------------------- fields */

static const char *s_field(const desk_field_t *fields, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (!strcmp(fields[i].name, name))
            return fields[i].value;
    return NULL;
}

const char *desk_form(const desk_request_t *req, const char *name)
{
    return s_field(req->form, req->form_count, name);
}

const char *desk_query(const desk_request_t *req, const char *name)
{
    return s_field(req->query, req->query_count, name);
}

size_t desk_form_all(const desk_request_t *req, const char *name, const char **values, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < req->form_count && n < cap; i++)
        if (!strcmp(req->form[i].name, name))
            values[n++] = req->form[i].value;
    return n;
}

/* ---------------------------------------------------------------- pages */

const char *desk_home_of(const char *role)
{
    return role && !strcmp(role, "staff") ? "/admin" : "/comite";
}

void desk_page_begin(desk_request_t *req, const char *title)
{
    FILE *out = req->out;
    fputs("<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
          out);
    html_escape_z(out, title);
    fputs(" — ESS Pratiques</title><link rel=\"stylesheet\" href=\"/static/desk.css\">"
          "<link rel=\"stylesheet\" href=\"/static/pages.css\"></head><body>"
          "<header class=\"desk\"><p class=\"brand\">ESS Pratiques — ",
          out);
    bool staff = !strcmp(req->session.role, "staff");
    fputs(staff ? "l'équipe" : "le comité", out);
    fputs("</p>", out);
    if (req->session.active) {
        fputs("<nav aria-label=\"Menu principal\"><ul>", out);
        if (staff)
            fputs("<li><a href=\"/admin/personnes\">Personnes</a></li>"
                  "<li><a href=\"/admin/candidatures\">Candidatures</a></li>"
                  "<li><a href=\"/admin/horloge\">Horloge</a></li>",
                  out);
        else
            fputs("<li><a href=\"/comite\">Mes dossiers</a></li>", out);
        fputs("<li><a href=\"/preferences\">Préférences</a></li></ul></nav>", out);
    }
    if (*req->session.email) {
        fputs("<form class=\"logout\" method=\"post\" action=\"/deconnexion\"><span class=\"who\">", out);
        html_escape_z(out, req->session.name);
        fputs("</span>", out);
        desk_csrf_field(req);
        fputs("<button type=\"submit\">Se déconnecter</button></form>", out);
    }
    fputs("</header><main>\n<h1>", out);
    html_escape_z(out, title);
    fputs("</h1>\n", out);
}

void desk_page_end(desk_request_t *req)
{
    fputs("\n</main></body></html>\n", req->out);
}

void desk_csrf_field(desk_request_t *req)
{
    fputs("<input type=\"hidden\" name=\"csrf\" value=\"", req->out);
    html_escape_z(req->out, req->session.csrf);
    fputs("\">", req->out);
}

void desk_notice(desk_request_t *req, const char *text)
{
    fputs("<p class=\"notice\">", req->out);
    html_escape_z(req->out, text);
    fputs("</p>\n", req->out);
}

void desk_error(desk_request_t *req, const char *text)
{
    fputs("<p class=\"error\" role=\"alert\">", req->out);
    html_escape_z(req->out, text);
    fputs("</p>\n", req->out);
}

int desk_error_page(desk_request_t *req, int status, const char *title, const char *what_to_do)
{
    /* Whatever the handler wrote so far is dropped. */
    fflush(req->out);
    rewind(req->out);
    req->status = status;
    *req->location = '\0';
    desk_page_begin(req, title);
    desk_error(req, what_to_do);
    fputs("<p><a href=\"/\">Revenir à l'accueil</a></p>", req->out);
    desk_page_end(req);
    return 0;
}

int desk_redirect(desk_request_t *req, const char *location)
{
    req->status = 303;
    snprintf(req->location, sizeof req->location, "%s", location);
    return 0;
}

/* -------------------------------------------------------------- tokens */

void site_random_token(char out[DESK_CSRF_TEXT])
{
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2base64(out, DESK_CSRF_TEXT, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes, sizeof bytes);
}

int site_session_hash(const char *cookie_text, unsigned char hash[32])
{
    unsigned char id[32];
    size_t len = 0;
    const char *end = NULL;
    if (strlen(cookie_text) != 43
        || sodium_base642bin(id, sizeof id, cookie_text, 43, NULL, &len, &end,
                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0
        || len != 32 || *end)
        return -1;
    static const unsigned char context[] = "essp desk session v1";
    crypto_generichash(hash, 32, id, sizeof id, context, sizeof context - 1);
    sodium_memzero(id, sizeof id);
    return 0;
}

void site_session_cookie(desk_site_t *site, const char *value, long max_age, char *out, size_t cap)
{
    /* No Max-Age while alive: a session cookie, gone with the browser;
     * the server ends it anyway (idle 30 min, at most 12 h). */
    char age[32] = "";
    if (max_age >= 0)
        snprintf(age, sizeof age, "; Max-Age=%ld", max_age);
    snprintf(out, cap, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s%s", SITE_COOKIE, value,
             site->secure_cookie ? "; Secure" : "", age);
}

/* -------------------------------------------------------------- session */

/*  The session the cookie names, from the core (which ends it when idle
 *  or too old).  A session whose keys are not in this process's memory
 *  (the desk restarted) is ended too. */
static void s_session(desk_site_t *site, desk_request_t *req, const char *cookie)
{
    char text[64];
    unsigned char hash[32];
    if (!cookie || forms_cookie(cookie, SITE_COOKIE, text, sizeof text) != 0 || site_session_hash(text, hash) != 0)
        return;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
    site_core_begin(site, &buf, &pk, "desk_get", 1, &rid);
    proto_pack_str(&pk, "session");
    msgpack_pack_bin(&pk, 32);
    msgpack_pack_bin_body(&pk, hash, 32);
    desk_reply_t reply;
    int rc = site_core_call(site, &buf, rid, &reply);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0)
        return;
    const msgpack_object *session = doc_map(&reply.msg, "session");
    const msgpack_object *account = doc_map(&reply.msg, "account");
    /* A cookie of ours naming no session names one that ended (expired
     * here, or swept at a later login). */
    req->expired_notice = doc_bool(&reply.msg, "expired", false) || !session;
    if (session && account) {
        session_secrets_t secrets;
        bool keys = session_keys_get(hash, &secrets);
        sodium_memzero(&secrets, sizeof secrets);
        if (!keys) {
            desk_reply_free(&reply);
            site_core_begin(site, &buf, &pk, "desk_write", 2, &rid);
            proto_pack_kv_str(&pk, "op", "session_close");
            proto_pack_str(&pk, "session");
            msgpack_pack_bin(&pk, 32);
            msgpack_pack_bin_body(&pk, hash, 32);
            if (site_core_call(site, &buf, rid, &reply) == 0)
                desk_reply_free(&reply);
            msgpack_sbuffer_destroy(&buf);
            req->expired_notice = true;
            return;
        }
        desk_session_t *s = &req->session;
        memcpy(s->id_hash, hash, 32);
        s->has_keys = true;
        doc_strcpy(account, "email", s->email, sizeof s->email);
        doc_strcpy(account, "name", s->name, sizeof s->name);
        doc_strcpy(account, "role", s->role, sizeof s->role);
        doc_strcpy(session, "csrf", s->csrf, sizeof s->csrf);
        doc_strcpy(session, "stage", s->stage, sizeof s->stage);
        s->active = !strcmp(s->stage, "full");
    }
    desk_reply_free(&reply);
}

/*  Before login, forms carry the token of a cookie of their own (double
 *  submit): a page of another site cannot read it, so cannot post a
 *  login in the visitor's name. */
static void s_form_token(desk_site_t *site, desk_request_t *req, const char *cookie)
{
    char text[64];
    if (cookie && forms_cookie(cookie, SITE_FORM_COOKIE, text, sizeof text) == 0 && strlen(text) == 43) {
        memcpy(req->session.csrf, text, 44);
        return;
    }
    site_random_token(req->session.csrf);
    snprintf(req->form_cookie, sizeof req->form_cookie, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s",
             SITE_FORM_COOKIE, req->session.csrf, site->secure_cookie ? "; Secure" : "");
}

/* --------------------------------------------------------------- routes */

static const desk_route_t *s_match(const desk_route_t *table, const char *method, const char *path,
                                   bool *other_method, const char **rest)
{
    for (const desk_route_t *r = table; r->method; r++) {
        size_t len = strlen(r->path);
        bool hit = r->match == DESK_MATCH_EXACT ? !strcmp(path, r->path)
                                                : !strncmp(path, r->path, len) && (path[len] == '/' || !path[len]);
        if (!hit)
            continue;
        if (strcmp(r->method, method)) {
            *other_method = true;
            continue;
        }
        *rest = r->match == DESK_MATCH_PREFIX ? path + len + (path[len] == '/') : "";
        return r;
    }
    return NULL;
}

static const desk_route_t *s_route(const char *method, const char *path, bool *other_method, const char **rest)
{
    const desk_route_t *const tables[] = {desk_auth_routes, desk_member_routes, desk_staff_routes};
    for (size_t i = 0; i < 3; i++) {
        const desk_route_t *r = s_match(tables[i], method, path, other_method, rest);
        if (r)
            return r;
    }
    return NULL;
}

static bool s_role_allows(desk_role_t need, const char *role)
{
    switch (need) {
    case DESK_ROLE_NONE:
    case DESK_ROLE_ANY: return true;
    case DESK_ROLE_MEMBER: return !strcmp(role, "member");
    case DESK_ROLE_STAFF: return !strcmp(role, "staff");
    }
    return false;
}

void site_handle(desk_site_t *site, desk_request_t *req, const char *cookie)
{
    session_keys_sweep((int64_t)time(NULL), site->idle_s, site->absolute_s);
    s_session(site, req, cookie);
    if (!*req->session.email)
        s_form_token(site, req, cookie);
    if (!strcmp(req->path, "/")) {
        if (req->session.active)
            desk_redirect(req, desk_home_of(req->session.role));
        else
            desk_redirect(req, *req->session.email ? "/double-facteur" : "/connexion");
        return;
    }
    bool other_method = false;
    const desk_route_t *route = s_route(req->method, req->path, &other_method, &req->rest);
    if (!route) {
        if (other_method)
            desk_error_page(req, 405, "Méthode non permise",
                            "Cette adresse ne s'utilise pas ainsi. Revenez à la page précédente et utilisez "
                            "ses boutons.");
        else
            desk_error_page(req, 404, "Page introuvable",
                            "Cette page n'existe pas. Vérifiez l'adresse ou revenez à l'accueil.");
        return;
    }
    if (route->role != DESK_ROLE_NONE) {
        if (!*req->session.email) {
            desk_redirect(req, req->expired_notice ? "/connexion?expiree=1" : "/connexion");
            return;
        }
        if (!req->session.active) {
            desk_redirect(req, "/double-facteur");
            return;
        }
        if (!s_role_allows(route->role, req->session.role)) {
            desk_error_page(req, 403, "Accès refusé",
                            !strcmp(req->session.role, "staff")
                                ? "Cette page est réservée aux membres du comité. Utilisez le menu de l'équipe."
                                : "Cette page est réservée à l'équipe. Vos dossiers sont dans « Mes dossiers ».");
            return;
        }
    }
    if (!strcmp(req->method, "POST")) {
        const char *sent = desk_form(req, "csrf");
        if (!sent || !forms_token_eq(sent, req->session.csrf)) {
            log_info("desk: a form without its CSRF token refused (%s %s)", req->method, req->path);
            desk_error_page(req, 403, "Formulaire refusé",
                            "Ce formulaire a expiré ou ne vient pas de ce site : rien n'a été fait. "
                            "Rechargez la page et recommencez.");
            return;
        }
    }
    if (route->handler(req) != 0)
        desk_error_page(req, 500, "Erreur du service",
                        "Le service a rencontré une erreur ; rien n'a été enregistré. Réessayez dans une "
                        "minute ; si cela dure, prévenez l'équipe.");
}
