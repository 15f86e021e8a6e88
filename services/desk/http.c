/*  services/desk/http.c - see http.h: the daemon's life cycle, a request
 *  from its headers to its response, and the headers every response
 *  carries. */
#include "http.h"

#include "forms.h"
#include "person_links.h"
#include "site_impl.h"

#include "common/config.h"
#include "common/event_log.h"
#include "common/health.h"
#include "common/log.h"
#include "proto/messages.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct desk_http_t {
    desk_site_t site;
    struct MHD_Daemon *daemon;
    size_t body_max;
};

/*  One request being received. */
typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
    /* For its log line (common/event_log.h): never a cookie, a form
     * field or a token. */
    int64_t received_us;
    char method[8];
    char path[128];              /* without the query, the invitation's token cut */
    char actor[DESK_NAME_MAX + 1];  /* the account's name, when logged in */
    unsigned status;
    bool logged;
} pending_t;

static const char s_csp[] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
                            "base-uri 'none'; object-src 'none'";

static void s_headers(struct MHD_Response *response)
{
    MHD_add_response_header(response, "Content-Security-Policy", s_csp);
    MHD_add_response_header(response, "X-Frame-Options", "DENY");
    MHD_add_response_header(response, "Referrer-Policy", "same-origin");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    /* Every page may carry personal data: none is kept by a cache. */
    MHD_add_response_header(response, "Cache-Control", "no-store");
}

static enum MHD_Result s_send(struct MHD_Connection *c, int status, const char *type, const void *bytes, size_t len,
                              const desk_request_t *req)
{
    struct MHD_Response *response = MHD_create_response_from_buffer(len, (void *)bytes, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    s_headers(response);
    MHD_add_response_header(response, "Content-Type", type);
    if (req && *req->location)
        MHD_add_response_header(response, "Location", req->location);
    if (req && *req->set_cookie)
        MHD_add_response_header(response, "Set-Cookie", req->set_cookie);
    if (req && *req->form_cookie)
        MHD_add_response_header(response, "Set-Cookie", req->form_cookie);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, response);
    MHD_destroy_response(response);
    return rc;
}

static const char s_plain_html[] = "text/html; charset=utf-8";

static enum MHD_Result s_message(struct MHD_Connection *c, int status, const char *title, const char *text)
{
    char page[1024];
    int len = snprintf(page, sizeof page,
                       "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>%s</title>"
                       "<link rel=\"stylesheet\" href=\"/static/desk.css\"></head><body><main><h1>%s</h1>"
                       "<p>%s</p></main></body></html>",
                       title, title, text);
    return s_send(c, status, s_plain_html, page, (size_t)len, NULL);
}

/* The files compiled in (services/desk/CMakeLists.txt, pages.cmake). */
extern const unsigned char desk_static_css[], desk_static_pages_css[], desk_static_comite_js[];
extern const size_t desk_static_css_size, desk_static_pages_css_size, desk_static_comite_js_size;

typedef struct {
    const char *path;
    const char *type;
    const unsigned char *bytes;
    const size_t *size;
} static_file_t;

static const static_file_t s_static[] = {
    {"/static/desk.css", "text/css; charset=utf-8", desk_static_css, &desk_static_css_size},
    {"/static/pages.css", "text/css; charset=utf-8", desk_static_pages_css, &desk_static_pages_css_size},
    {"/static/comite.js", "text/javascript; charset=utf-8", desk_static_comite_js, &desk_static_comite_js_size},
};

/*  "%XX" for each of len bytes; out holds 3 * len + 1. */
static size_t s_percent(char *out, const char *bytes, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        out[3 * i] = '%';
        out[3 * i + 1] = hex[(unsigned char)bytes[i] >> 4];
        out[3 * i + 2] = hex[(unsigned char)bytes[i] & 15];
    }
    return 3 * len;
}

/*  A query field follows the rules of a posted form (forms_parse: its
 *  limits, strict UTF-8, no NUL), or is dropped: the pages echo it.
 *  libmicrohttpd has decoded it already, so its bytes are encoded again
 *  for forms_parse, which alone decides. */
static enum MHD_Result s_query_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                     const char *value, size_t value_size)
{
    desk_request_t *req = cls;
    (void)kind;
    if (req->query_count == DESK_FIELDS_MAX || key_size > DESK_FIELD_MAX || value_size > DESK_FIELD_MAX)
        return MHD_YES;
    if (!value)
        value_size = 0;
    char *text = malloc(3 * (key_size + value_size) + 2);
    if (!text)
        return MHD_YES;
    size_t n = s_percent(text, key, key_size);
    text[n++] = '=';
    n += s_percent(text + n, value, value_size);
    if (forms_parse(text, n, &req->query[req->query_count], 1) == 1)
        req->query_count++;
    free(text);
    return MHD_YES;
}

static void s_address(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "unknown");
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/*  GET /healthz: the core's `health` (common/health.h) as JSON, 200 when
 *  ready, 503 when not or when the core does not answer. */
static enum MHD_Result s_health(desk_http_t *self, struct MHD_Connection *c)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    uint64_t rid = desk_next_rid();
    proto_pack_request(&pk, "health", rid, 0);
    desk_reply_t reply;
    int rc = site_core_call(&self->site, &buf, rid, &reply);
    msgpack_sbuffer_destroy(&buf);
    bool ready;
    char *body = health_reply_json(rc == 0 ? &reply.msg : NULL, "desk", &ready);
    if (rc == 0)
        desk_reply_free(&reply);
    if (!body)
        return MHD_NO;
    enum MHD_Result sent = s_send(c, ready ? 200 : 503, "application/json", body, strlen(body), NULL);
    free(body);
    return sent;
}

static enum MHD_Result s_run(desk_http_t *self, struct MHD_Connection *c, const char *url, const char *method,
                             pending_t *p)
{
    if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0)
        return s_health(self, c);
    for (size_t i = 0; i < sizeof s_static / sizeof *s_static; i++) {
        if (strcmp(method, "GET") || strcmp(url, s_static[i].path))
            continue;
        struct MHD_Response *response = MHD_create_response_from_buffer(
            *s_static[i].size, (void *)s_static[i].bytes, MHD_RESPMEM_PERSISTENT);
        s_headers(response);
        MHD_add_response_header(response, "Content-Type", s_static[i].type);
        enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, response);
        MHD_destroy_response(response);
        return rc;
    }
    if (strcmp(method, "GET") && strcmp(method, "POST"))
        return s_message(c, 405, "Méthode non permise", "Cette adresse s'ouvre dans un navigateur.");
    desk_request_t *req = calloc(1, sizeof *req);
    if (!req)
        return MHD_NO;
    char address[64], *html = NULL;
    size_t html_len = 0;
    s_address(c, address, sizeof address);
    req->site = &self->site;
    req->method = method;
    req->path = url;
    req->rest = "";
    req->address = address;
    req->status = 200;
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, s_query_field, req);
    enum MHD_Result rc;
    int parsed = p->body ? forms_parse(p->body, p->len, req->form, DESK_FIELDS_MAX) : 0;
    if (parsed < 0) {
        forms_free(req->form, DESK_FIELDS_MAX);
        rc = s_message(c, 400, "Formulaire illisible",
                       "Le formulaire envoyé dépasse les limites permises. Revenez à la page précédente et "
                       "raccourcissez votre texte.");
        goto done;
    }
    req->form_count = (size_t)parsed;
    req->out = open_memstream(&html, &html_len);
    if (!req->out) {
        rc = MHD_NO;
        goto done;
    }
    site_handle(&self->site, req, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie"));
    /* The person, once known: a session, or the login that opens one. */
    snprintf(p->actor, sizeof p->actor, "%s", req->session.name);
    fclose(req->out);
    rc = s_send(c, req->status, s_plain_html, html, html_len, req);
    free(html);
done:
    forms_free(req->form, req->form_count);
    forms_free(req->query, req->query_count);
    sodium_memzero(req, sizeof *req);
    free(req);
    return rc;
}

/*  One line per request (common/event_log.h): when its response is
 *  queued, before libmicrohttpd sends it, or at its end without one
 *  (status 0); none for health checks. */
static void s_log_request(pending_t *p)
{
    if (p->logged || strcmp(p->path, "/healthz") == 0)
        return;
    p->logged = true;
    event_log_http(p->method, p->path, (int)p->status, event_log_clock_us() - p->received_us, p->actor);
}

static enum MHD_Result s_receive(desk_http_t *self, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *upload_data, size_t *upload_size, void **con_cls)
{
    pending_t *p = *con_cls;
    if (!p) {
        if (!(p = calloc(1, sizeof *p)))
            return MHD_NO;
        *con_cls = p;
        p->received_us = event_log_clock_us();
        snprintf(p->method, sizeof p->method, "%s", method);
        /* An invitation's link carries its token as the path's second
         * segment: the log keeps "/invitation/…". */
        event_log_path_without(url, strncmp(url, "/invitation/", 12) == 0 ? 1 : SIZE_MAX, p->path,
                               sizeof p->path);
        const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (length && strtoull(length, NULL, 10) > self->body_max)
            p->too_large = true;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (p->too_large || p->len + n > self->body_max) {
            p->too_large = true;
            return MHD_YES;
        }
        if (p->len + n + 1 > p->cap) {
            size_t cap = p->cap ? p->cap : 4096;
            while (cap < p->len + n + 1)
                cap *= 2;
            char *body = realloc(p->body, cap);
            if (!body)
                return MHD_NO;
            p->body = body;
            p->cap = cap;
        }
        memcpy(p->body + p->len, upload_data, n);
        p->len += n;
        p->body[p->len] = '\0';
        return MHD_YES;
    }
    if (p->too_large)
        return s_message(c, 413, "Envoi trop volumineux",
                         "Ce que vous avez envoyé dépasse la taille permise. Raccourcissez votre texte et "
                         "renvoyez le formulaire.");
    return s_run(self, c, url, method, p);
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    enum MHD_Result rc = s_receive(cls, c, url, method, upload_data, upload_size, con_cls);
    /* The status of the response just queued, for the log line. */
    pending_t *p = *con_cls;
    const union MHD_ConnectionInfo *info;
    if (p && !p->status && (info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS))) {
        p->status = info->http_status;
        s_log_request(p);
    }
    return rc;
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    pending_t *p = *con_cls;
    if (!p)
        return;
    (void)toe;
    s_log_request(p);
    if (p->body) {
        sodium_memzero(p->body, p->len);     /* passwords */
        free(p->body);
    }
    free(p);
    *con_cls = NULL;
}

static void s_logger(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void s_logger(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t len = strlen(line);
    while (len && line[len - 1] == '\n')
        line[--len] = '\0';
    log_warn("desk http: %s", line);
}

static int s_bind_address(const char *bind, int port, struct sockaddr_storage *storage, unsigned *flags)
{
    memset(storage, 0, sizeof *storage);
    struct sockaddr_in *in = (struct sockaddr_in *)storage;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)storage;
    if (inet_pton(AF_INET, bind, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, bind, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *flags |= MHD_USE_IPv6;
        return 0;
    }
    return -1;
}

static void s_site_init(desk_site_t *site, const char *inproc, const unsigned char inproc_key[32])
{
    snprintf(site->inproc, sizeof site->inproc, "%s", inproc);
    memcpy(site->inproc_key, inproc_key, 32);
    pthread_mutex_init(&site->lock, NULL);
    config_desk_url(site->url, sizeof site->url);
    size_t len = strlen(site->url);
    if (len && site->url[len - 1] != '/' && len + 1 < sizeof site->url)
        strcat(site->url, "/");
    const char *secure = config_get("ESSP_DESK_SECURE_COOKIE");
    site->secure_cookie = (secure && !strcmp(secure, "1")) || !strncmp(site->url, "https:", 6);
    site->core_timeout_ms = (int)config_env_long("ESSP_DESK_CORE_TIMEOUT_MS", 15000, 100, 600000);
    site->call_timeout_ms = (int)config_env_long("ESSP_DESK_CALL_TIMEOUT_MS", 5000, 100, 600000);
    site->lock_minutes = (config_env_long("ESSP_DESK_LOCK_SECONDS", 15 * 60, 1, 86400) + 59) / 60;
    site->idle_s = config_env_long("ESSP_DESK_IDLE_SECONDS", 30 * 60, 1, 86400);
    site->absolute_s = config_env_long("ESSP_DESK_ABSOLUTE_SECONDS", 12 * 3600, 1, 7 * 86400);
    /* A hash of a password nobody knows, at the same limits as the real
     * ones: an unknown login costs the same verification. */
    char random_password[DESK_CSRF_TEXT];
    site_random_token(random_password);
    if (crypto_pwhash_str(site->dummy_hash, random_password, strlen(random_password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        log_error("desk http: cannot compute the hash of unknown logins (out of memory)");
}

desk_http_t *desk_http_new(const char *inproc, const unsigned char inproc_key[32])
{
    desk_http_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    s_site_init(&self->site, inproc, inproc_key);
    self->body_max = (size_t)config_env_long("ESSP_DESK_BODY_MAX", 64 * 1024, 1024, 1 << 20);
    unsigned timeout = (unsigned)config_env_long("ESSP_DESK_HTTP_TIMEOUT", 30, 1, 3600);
    unsigned threads = (unsigned)config_env_long("ESSP_DESK_THREADS", 16, 1, 256);
    unsigned connections = (unsigned)config_env_long("ESSP_DESK_CONNECTIONS", 1024, 1, 100000);
    unsigned per_address = (unsigned)config_env_long("ESSP_DESK_PER_ADDRESS", 32, 1, 100000);
    const char *bind = config_desk_http_bind();
    int port = config_desk_http_port();
    struct sockaddr_storage address;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (port <= 0 || s_bind_address(bind, port, &address, &flags) != 0) {
        log_error("desk http: cannot serve on %s:%d (ESSP_DESK_HTTP_BIND is a numeric address)", bind, port);
        desk_http_destroy(&self);
        return NULL;
    }
    self->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, &s_access, self,
                                    MHD_OPTION_EXTERNAL_LOGGER, &s_logger, self,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                                    MHD_OPTION_THREAD_POOL_SIZE, threads,
                                    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                    MHD_OPTION_CONNECTION_LIMIT, connections,
                                    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_address,
                                    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
                                    MHD_OPTION_NOTIFY_COMPLETED, &s_completed, self,
                                    MHD_OPTION_END);
    if (!self->daemon) {
        log_error("desk http: cannot bind %s:%d", bind, port);
        desk_http_destroy(&self);
        return NULL;
    }
    log_info("desk http: serving on http://%s:%d/ (URL %s, cookies%s Secure)", bind, port, self->site.url,
             self->site.secure_cookie ? "" : " not");
    return self;
}

void desk_http_destroy(desk_http_t **self_p)
{
    desk_http_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->site.stopping, true);
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    desk_member_pages_stop();
    person_links_clear();
    while (self->site.pool_count)
        zsock_destroy(&self->site.pool[--self->site.pool_count]);
    pthread_mutex_destroy(&self->site.lock);
    sodium_memzero(self->site.inproc_key, sizeof self->site.inproc_key);
    free(self);
    *self_p = NULL;
}
