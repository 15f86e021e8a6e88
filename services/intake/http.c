/*  services/intake/http.c - see http.h. */
#include "http.h"

#include "intake.h"
#include "ratelimit.h"
#include "web.h"

#include "common/config.h"
#include "proto/doc.h"
#include "common/log.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/wire.h"
#include "proto/charter.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define S_POOL_MAX 256
#define S_KEY_MAX 64

typedef enum {
    R_NONE,          /* no such resource: 404 */
    R_METHOD,        /* the resource, another method: 405 */
    R_HEALTH,        /* GET /healthz */
    R_CHARTER,       /* GET /api/v1/charter */
    R_SUBMIT,        /* POST /api/v1/applications[?renews={id}] */
    R_STATUS,        /* GET /api/v1/applications/{id} */
    R_AMEND,         /* PUT /api/v1/applications/{id} */
    R_APPEAL,        /* POST /api/v1/applications/{id}/appeal */
    R_API_NONE,      /* anything else under /api/: a JSON 404 */
    R_STATIC,        /* GET /static/{name} */
    R_FORM,          /* GET / */
    R_CHARTER_PAGE,  /* GET /charte */
    R_FORM_POST,     /* POST /candidature */
    R_FOLLOW,        /* GET /suivi/{id} */
    R_FOLLOW_POST,   /* POST /suivi/{id} */
    R_AMEND_POST,    /* POST /suivi/{id}/modifier */
    R_APPEAL_POST,   /* POST /suivi/{id}/appel */
} route_t;

struct http_t {
    http_config_t config;
    struct MHD_Daemon *daemon;
    ratelimit_t *limits;
    web_t *web;
    pthread_mutex_t lock;
    zsock_t *pool[S_POOL_MAX];
    size_t pool_count;
    atomic_bool stopping;
    atomic_uint_fast64_t rid;
};

/*  One HTTP request, from its headers to its response. */
typedef struct {
    route_t route;
    char id[PROTO_ID_MAX + 1];
    char static_name[32];
    bool api;                    /* errors as JSON, not as pages */
    bool has_body;
    char *body;
    size_t len, cap;
    bool answered;               /* a response is queued: ignore the rest */
    bool too_large;              /* over the limit: the rest is read and dropped */
    size_t dropped;
    int64_t started_ms;
} request_t;

/*  What the core answered. */
typedef struct {
    char *bytes;
    msgpack_zone zone;
    msgpack_object msg;
} reply_t;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_config_from_env(http_config_t *config, const char *inproc)
{
    memset(config, 0, sizeof *config);
    const char *bind = getenv("ESSP_BIND");
    snprintf(config->bind, sizeof config->bind, "%s", bind && *bind ? bind : "127.0.0.1");
    config->port = config_http_port();
    snprintf(config->inproc, sizeof config->inproc, "%s", inproc);
    config->body_max = (size_t)config_env_long("ESSP_HTTP_BODY_MAX", 256 * 1024, 1024, 16 << 20);
    config->rate = (double)config_env_long("ESSP_HTTP_RATE", 5, 1, 1000000);
    config->burst = (double)config_env_long("ESSP_HTTP_BURST", 30, 1, 1000000);
    config->timeout_s = (unsigned)config_env_long("ESSP_HTTP_TIMEOUT", 30, 1, 3600);
    config->threads = (unsigned)config_env_long("ESSP_HTTP_THREADS", 64, 1, 256);
    config->connections = (unsigned)config_env_long("ESSP_HTTP_CONNECTIONS", 1000, 1, 100000);
    config->per_address = (unsigned)config_env_long("ESSP_HTTP_PER_ADDRESS", 64, 1, 100000);
    config->core_timeout_ms = (int)config_env_long("ESSP_HTTP_CORE_TIMEOUT_MS", 15000, 100, 600000);
}

/* ------------------------------------------------------------ the core */

static zsock_t *s_socket_take(http_t *self)
{
    zsock_t *socket = NULL;
    pthread_mutex_lock(&self->lock);
    if (self->pool_count)
        socket = self->pool[--self->pool_count];
    pthread_mutex_unlock(&self->lock);
    if (!socket) {
        socket = zsock_new(ZMQ_DEALER);
        assert(socket);
        zsock_set_linger(socket, 0);
        zsock_set_maxmsgsize(socket, PROTO_REPLY_MAX);
        if (zsock_connect(socket, "%s", self->config.inproc) < 0)
            zsock_destroy(&socket);
    }
    return socket;
}

static void s_socket_give(http_t *self, zsock_t *socket)
{
    pthread_mutex_lock(&self->lock);
    if (self->pool_count < S_POOL_MAX) {
        self->pool[self->pool_count++] = socket;
        socket = NULL;
    }
    pthread_mutex_unlock(&self->lock);
    zsock_destroy(&socket);
}

static void s_reply_free(reply_t *reply)
{
    if (reply->bytes)
        msgpack_zone_destroy(&reply->zone);
    free(reply->bytes);
    reply->bytes = NULL;
}

/*  Sends one request to the core and waits for its reply (same rid).
 *  Returns 0, or -1 when the core did not answer in time or the service is
 *  stopping; a socket that timed out is not reused (a late reply would be
 *  read as the answer to another request). */
static int s_core_call(http_t *self, const msgpack_sbuffer *request, uint64_t rid, int timeout_ms,
                       reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    zsock_t *socket = s_socket_take(self);
    if (!socket)
        return -1;
    void *handle = zsock_resolve(socket);
    if (zmq_send(handle, request->data, request->size, 0) < 0) {
        zsock_destroy(&socket);
        return -1;
    }
    int64_t deadline = s_now_ms() + timeout_ms;
    for (;;) {
        zmq_pollitem_t item = {handle, 0, ZMQ_POLLIN, 0};
        int64_t left = deadline - s_now_ms();
        if (left <= 0 || zmq_poll(&item, 1, left < 100 ? left : 100) < 0)
            break;
        if (!(item.revents & ZMQ_POLLIN)) {
            if (atomic_load(&self->stopping))
                break;
            continue;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, handle, 0) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        reply->bytes = malloc(zmq_msg_size(&msg) + 1);
        assert(reply->bytes);
        memcpy(reply->bytes, zmq_msg_data(&msg), zmq_msg_size(&msg));
        size_t size = zmq_msg_size(&msg);
        zmq_msg_close(&msg);
        msgpack_zone_init(&reply->zone, 4096);
        proto_error_t err;
        uint64_t got = 0;
        if (wire_decode(reply->bytes, size, &reply->zone, &reply->msg, &err) == 0
            && doc_uint(&reply->msg, "rid", &got) && got == rid) {
            s_socket_give(self, socket);
            return 0;
        }
        s_reply_free(reply);     /* not ours: keep waiting */
    }
    zsock_destroy(&socket);
    return -1;
}

static uint64_t s_next_rid(http_t *self)
{
    return atomic_fetch_add(&self->rid, 1) + 1;
}

static bool s_reply_is(const reply_t *reply, const char *type)
{
    return doc_str_eq(&reply->msg, "type", type);
}

/* ----------------------------------------------------------- responses */

static enum MHD_Result s_respond(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                                 size_t len, const char *header, const char *value)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(response, "Content-Type", type);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(response, "Cache-Control", "no-store");
    if (strncmp(type, "text/html", 9) == 0)
        MHD_add_response_header(response, "Content-Security-Policy",
                                "default-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; object-src 'none'");
    if (header)
        MHD_add_response_header(response, header, value);
    enum MHD_Result rc = MHD_queue_response(c, status, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result s_json(struct MHD_Connection *c, unsigned status, json_t *value,
                              const char *header, const char *header_value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(value);
    if (!text)
        return MHD_NO;
    size_t len = strlen(text);
    text[len] = '\n';            /* the NUL becomes the final newline */
    return s_respond(c, status, "application/json", text, len + 1, header, header_value);
}

static enum MHD_Result s_json_error(struct MHD_Connection *c, unsigned status, const char *message,
                                    const char *field, const char *rule)
{
    json_t *error = json_pack("{s:s, s:s, s:s}", "error", message, "field", field ? field : "",
                              "rule", rule ? rule : "");
    return s_json(c, status, error, status == 401 ? "WWW-Authenticate" : NULL, "Bearer realm=\"essp\"");
}

/*  Pages are written to a memory stream. */
typedef struct {
    char *html;
    size_t len;
    FILE *out;
} page_t;

static void s_page_open(page_t *page)
{
    page->html = NULL;
    page->len = 0;
    page->out = open_memstream(&page->html, &page->len);
    assert(page->out);
}

static enum MHD_Result s_page_send(struct MHD_Connection *c, unsigned status, page_t *page)
{
    fclose(page->out);
    return s_respond(c, status, "text/html; charset=utf-8", page->html, page->len, NULL, NULL);
}

static enum MHD_Result s_page_message(struct MHD_Connection *c, unsigned status, const char *title,
                                      const char *text)
{
    page_t page;
    s_page_open(&page);
    web_page_message(page.out, title, text);
    return s_page_send(c, status, &page);
}

/*  The refusals that come before a request is read, in the request's own
 *  language (JSON for the API, a page for people). */
static enum MHD_Result s_refuse(struct MHD_Connection *c, request_t *r, unsigned status, const char *rule,
                                const char *header, const char *value)
{
    r->answered = true;
    static const struct { unsigned status; const char *en, *title, *fr; } texts[] = {
        {413, "the body is larger than the limit", "Envoi trop volumineux",
         "Le formulaire envoyé dépasse la taille permise. Raccourcissez les textes les plus longs."},
        {415, "wrong Content-Type", "Format non pris en charge",
         "Ce formulaire doit être envoyé depuis la page de candidature."},
        {429, "too many requests from this address; retry later", "Trop de demandes",
         "Trop de demandes venues de votre adresse en peu de temps. Patientez quelques secondes, puis réessayez."},
        {503, "the service is not answering; nothing was changed, retry later", "Service indisponible",
         "Le service ne répond pas pour le moment ; rien n'a été enregistré. Réessayez dans un instant."},
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        if (texts[i].status != status)
            continue;
        if (r->api) {
            json_t *error = json_pack("{s:s, s:s, s:s}", "error", texts[i].en, "field", "", "rule", rule);
            return s_json(c, status, error, header, value);
        }
        page_t page;
        s_page_open(&page);
        web_page_message(page.out, texts[i].title, texts[i].fr);
        fclose(page.out);
        return s_respond(c, status, "text/html; charset=utf-8", page.html, page.len, header, value);
    }
    return MHD_NO;
}

/* -------------------------------------------------------------- routing */

static bool s_valid_id(const char *text, size_t len)
{
    if (len == 0 || len > PROTO_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'z')))
            return false;
    return true;
}

/*  "/prefix/{id}" + optional suffix: copies the id, returns what follows
 *  it, or NULL when url does not start so or the id is not one. */
static const char *s_take_id(const char *url, const char *prefix, char id[PROTO_ID_MAX + 1])
{
    size_t plen = strlen(prefix);
    if (strncmp(url, prefix, plen) != 0)
        return NULL;
    const char *start = url + plen, *end = start;
    while (*end && *end != '/')
        end++;
    if (!s_valid_id(start, (size_t)(end - start)))
        return NULL;
    snprintf(id, PROTO_ID_MAX + 1, "%.*s", (int)(end - start), start);
    return end;
}

static void s_route(request_t *r, const char *method, const char *url)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0, put = strcmp(method, "PUT") == 0;
    const char *rest;
    r->api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/healthz") == 0;
    if (strcmp(url, "/healthz") == 0)
        r->route = get ? R_HEALTH : R_METHOD;
    else if (strcmp(url, "/api/v1/charter") == 0)
        r->route = get ? R_CHARTER : R_METHOD;
    else if (strcmp(url, "/api/v1/applications") == 0)
        r->route = post ? R_SUBMIT : R_METHOD;
    else if ((rest = s_take_id(url, "/api/v1/applications/", r->id)) && !*rest)
        r->route = get ? R_STATUS : put ? R_AMEND : R_METHOD;
    else if (rest && strcmp(rest, "/appeal") == 0)
        r->route = post ? R_APPEAL : R_METHOD;
    else if (r->api)
        r->route = R_API_NONE;
    else if (strcmp(url, "/") == 0)
        r->route = get ? R_FORM : R_METHOD;
    else if (strcmp(url, "/charte") == 0)
        r->route = get ? R_CHARTER_PAGE : R_METHOD;
    else if (strcmp(url, "/candidature") == 0)
        r->route = post ? R_FORM_POST : R_METHOD;
    else if ((rest = s_take_id(url, "/suivi/", r->id)) && !*rest)
        r->route = get ? R_FOLLOW : post ? R_FOLLOW_POST : R_METHOD;
    else if (rest && strcmp(rest, "/modifier") == 0)
        r->route = post ? R_AMEND_POST : R_METHOD;
    else if (rest && strcmp(rest, "/appel") == 0)
        r->route = post ? R_APPEAL_POST : R_METHOD;
    else if (strncmp(url, "/static/", 8) == 0 && strlen(url + 8) < sizeof r->static_name) {
        snprintf(r->static_name, sizeof r->static_name, "%s", url + 8);
        r->route = get ? R_STATIC : R_METHOD;
    } else
        r->route = R_NONE;
    r->has_body = r->route == R_SUBMIT || r->route == R_AMEND || r->route == R_APPEAL
                  || r->route == R_FORM_POST || r->route == R_FOLLOW_POST || r->route == R_AMEND_POST
                  || r->route == R_APPEAL_POST;
}

/*  Health checks and static files are free; everything else counts. */
static bool s_rate_limited(http_t *self, struct MHD_Connection *c, request_t *r, int64_t *retry_ms)
{
    if (r->route == R_HEALTH || r->route == R_STATIC)
        return false;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return false;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return !ratelimit_take(self->limits, &in->sin_addr, 4, s_now_ms(), retry_ms);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return !ratelimit_take(self->limits, &in6->sin6_addr, 16, s_now_ms(), retry_ms);
    }
    return false;
}

static bool s_content_type_is(struct MHD_Connection *c, const char *expected)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    size_t len = strlen(expected);
    if (!type || strncasecmp(type, expected, len) != 0)
        return false;
    type += len;
    while (*type == ' ')
        type++;
    return *type == '\0' || *type == ';';
}

/* ------------------------------------------------------------ requests */

static void s_pack_init(msgpack_sbuffer *buf, msgpack_packer *pk)
{
    msgpack_sbuffer_init(buf);
    msgpack_packer_init(pk, buf, msgpack_sbuffer_write);
}

/*  The field of a core error as the HTTP client sees it: the body is the
 *  application, so "application.organisation.siret" is "organisation.siret". */
static const char *s_client_field(const char *field)
{
    if (strncmp(field, "application.", 12) == 0)
        return field + 12;
    if (strcmp(field, "application") == 0)
        return "";
    return field;
}

static unsigned s_status_of_error(const msgpack_object *reply)
{
    if (doc_str_eq(reply, "code", PROTO_E_INVALID))
        return 400;
    if (doc_str_eq(reply, "code", PROTO_E_NOT_FOUND))
        return 404;
    if (doc_str_eq(reply, "code", PROTO_E_CONFLICT))
        return 409;
    if (doc_str_eq(reply, "code", PROTO_E_FORBIDDEN))
        return 403;
    return 503;
}

static enum MHD_Result s_json_core_error(struct MHD_Connection *c, const reply_t *reply)
{
    char message[PROTO_MESSAGE_MAX], field[PROTO_FIELD_MAX], rule[PROTO_RULE_MAX];
    if (doc_strcpy(&reply->msg, "message", message, sizeof message) < 0)
        snprintf(message, sizeof message, "refused");
    if (doc_strcpy(&reply->msg, "field", field, sizeof field) < 0)
        field[0] = '\0';
    if (doc_strcpy(&reply->msg, "rule", rule, sizeof rule) < 0)
        rule[0] = '\0';
    return s_json_error(c, s_status_of_error(&reply->msg), message, s_client_field(field), rule);
}

/*  The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *s_bearer(struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    auth += 7;
    while (*auth == ' ')
        auth++;
    return *auth ? auth : NULL;
}

/*  A token of the wrong shape (length, characters, bytes that are not
 *  UTF-8) is no token of ours: the core gets one that matches nothing, so
 *  the answer is the same as for a wrong token. */
static void s_pack_token(msgpack_packer *pk, const char *token)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strnlen(token, INTAKE_TOKEN_CHARS + 1);
    if (len != INTAKE_TOKEN_CHARS || strspn(token, alphabet) != len)
        token = "-";
    proto_pack_kv_str(pk, "token", token);
}

static enum MHD_Result s_api_health(http_t *self, struct MHD_Connection *c)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    s_pack_init(&buf, &pk);
    uint64_t rid = s_next_rid(self), head = 0;
    proto_pack_request(&pk, "ping", rid, 0);
    reply_t reply;
    int rc = s_core_call(self, &buf, rid, 2000, &reply);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0 || !s_reply_is(&reply, "pong")) {
        s_reply_free(&reply);
        return s_json(c, 503, json_pack("{s:s}", "status", "unavailable"), NULL, NULL);
    }
    doc_uint(&reply.msg, "head", &head);
    s_reply_free(&reply);
    return s_json(c, 200, json_pack("{s:s, s:s, s:I}", "status", "ok", "service", "intake", "head",
                                    (json_int_t)head), NULL, NULL);
}

static enum MHD_Result s_api_charter(struct MHD_Connection *c)
{
    static const char *const articles[] = {
        "Relever de l'Économie Sociale et Solidaire",
        "Présenter son expérience et ses références",
        "Prendre en compte les intérêts des clients et/ou bénéficiaires",
        "Faire preuve de loyauté dans ses pratiques professionnelles"};
    json_t *list = json_array(), *arts = json_array();
    for (int a = 0; a < 4; a++)
        json_array_append_new(arts, json_pack("{s:i, s:s}", "article", a + 1, "title_fr", articles[a]));
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    for (size_t i = 0; i < count; i++) {
        json_t *outcomes = json_array();
        for (int o = CRITERION_PASS; o <= CRITERION_WARN; o++)
            if (criteria[i].outcomes & CRITERION_OUTCOME_BIT(o))
                json_array_append_new(outcomes, json_string(criterion_outcome_name((criterion_outcome_t)o)));
        json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:s, s:s, s:o}", "code", criteria[i].code,
                                              "article", criteria[i].article, "title_fr", criteria[i].title_fr,
                                              "title_en", criteria[i].title_en, "check", criteria[i].check,
                                              "outcomes", outcomes));
    }
    return s_json(c, 200, json_pack("{s:s, s:o, s:o}", "charter", CHARTER_VERSION, "articles", arts,
                                    "criteria", list), NULL, NULL);
}

/*  The JSON body as one msgpack object; answers 400 itself when it is not. */
static int s_json_body(struct MHD_Connection *c, request_t *r, msgpack_sbuffer *out, enum MHD_Result *result)
{
    proto_error_t err;
    if (json_codec_to_msgpack(r->body ? r->body : "", r->len, out, &err) != 0) {
        *result = s_json_error(c, 400, err.message, err.field, err.rule);
        return -1;
    }
    if (out->size == 0 || ((unsigned char)out->data[0] & 0xf0) != 0x80) {
        unsigned char head = out->size ? (unsigned char)out->data[0] : 0;
        if (head != 0xde && head != 0xdf) {
            *result = s_json_error(c, 400, "the body must be a JSON object: the application", "", "type");
            return -1;
        }
    }
    return 0;
}

/*  An Idempotency-Key header: resending with the same key gives the same
 *  receipt (and the same token) instead of a second application. */
static int s_idempotency_key(struct MHD_Connection *c, const char **key, enum MHD_Result *result)
{
    *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (*key && (!**key || strlen(*key) > S_KEY_MAX)) {
        *result = s_json_error(c, 400, "Idempotency-Key: 1 to 64 characters", "Idempotency-Key", "maxLength");
        return -1;
    }
    return 0;
}

/*  The common path of POST and PUT: the JSON body and the idempotency key
 *  read, a submit (with the id it renews, from the query's "renews") or an
 *  amend (with id and token) sent to the core.
 *  Returns 0 with the core's receipt in *reply, or -1 with *result the
 *  HTTP answer already queued (refused input, core unavailable, core
 *  error). */
static int s_send_application(http_t *self, struct MHD_Connection *c, request_t *r,
                              const char *token, reply_t *reply, enum MHD_Result *result)
{
    const char *key;
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    if (s_json_body(c, r, &application, result) || s_idempotency_key(c, &key, result)) {
        msgpack_sbuffer_destroy(&application);
        return -1;
    }
    msgpack_sbuffer buf;
    msgpack_packer pk;
    s_pack_init(&buf, &pk);
    uint64_t rid = s_next_rid(self);
    if (token) {
        proto_pack_request(&pk, "amend", rid, key ? 4 : 3);
        proto_pack_kv_str(&pk, "id", r->id);
        s_pack_token(&pk, token);
    } else {
        const char *renews = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "renews");
        proto_pack_request(&pk, "submit", rid, 1 + (key != NULL) + (renews != NULL));
        if (renews)
            proto_pack_kv_str(&pk, "renews", renews);
    }
    proto_pack_kv_raw(&pk, "application", application.data, application.size);
    if (key)
        proto_pack_kv_str(&pk, "key", key);
    msgpack_sbuffer_destroy(&application);
    int rc = s_core_call(self, &buf, rid, self->config.core_timeout_ms, reply);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0) {
        *result = s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        return -1;
    }
    if (!s_reply_is(reply, "receipt")) {
        *result = s_json_core_error(c, reply);
        s_reply_free(reply);
        return -1;
    }
    return 0;
}

static enum MHD_Result s_api_submit(http_t *self, struct MHD_Connection *c, request_t *r)
{
    enum MHD_Result result;
    reply_t reply;
    if (s_send_application(self, c, r, NULL, &reply, &result))
        return result;
    char id[PROTO_ID_MAX + 1], state[32], token[80], location[128], page[128];
    uint64_t revision = 1;
    doc_strcpy(&reply.msg, "id", id, sizeof id);
    doc_strcpy(&reply.msg, "state", state, sizeof state);
    doc_uint(&reply.msg, "revision", &revision);
    bool has_token = doc_strcpy(&reply.msg, "token", token, sizeof token) > 0;
    bool duplicate = doc_bool(&reply.msg, "duplicate", false);
    s_reply_free(&reply);
    snprintf(location, sizeof location, "/api/v1/applications/%s", id);
    snprintf(page, sizeof page, "/suivi/%s", id);
    json_t *receipt = json_pack("{s:s, s:s, s:I, s:b}", "id", id, "state", state, "revision",
                                (json_int_t)revision, "duplicate", duplicate);
    if (has_token)
        json_object_set_new(receipt, "token", json_string(token));
    json_object_set_new(receipt, "links", json_pack("{s:s, s:s}", "status", location, "page", page));
    return s_json(c, 201, receipt, "Location", location);
}

/*  Asks the core for the status of r->id with the token (and the
 *  application); 0 and the reply, or -1 (no answer). */
static int s_fetch_status(http_t *self, const char *id, const char *token, reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    s_pack_init(&buf, &pk);
    uint64_t rid = s_next_rid(self);
    proto_pack_request(&pk, "status", rid, 3);
    proto_pack_kv_str(&pk, "id", id);
    s_pack_token(&pk, token);
    proto_pack_kv_bool(&pk, "with_application", true);
    int rc = s_core_call(self, &buf, rid, self->config.core_timeout_ms, reply);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static enum MHD_Result s_api_status(http_t *self, struct MHD_Connection *c, request_t *r)
{
    const char *token = s_bearer(c);
    if (!token)
        return s_json_error(c, 401, "Authorization: Bearer <token of the receipt> is required",
                            "Authorization", "required");
    reply_t reply;
    if (s_fetch_status(self, r->id, token, &reply) != 0)
        return s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    if (!s_reply_is(&reply, "status")) {
        enum MHD_Result result = s_json_core_error(c, &reply);
        s_reply_free(&reply);
        return result;
    }
    json_t *status = json_object();
    for (uint32_t i = 0; i < reply.msg.via.map.size; i++) {
        const msgpack_object_kv *kv = &reply.msg.via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || doc_is(&kv->key, "v") || doc_is(&kv->key, "type")
            || doc_is(&kv->key, "rid"))
            continue;
        json_t *value = json_codec_from_object(&kv->val);
        if (value)
            json_object_setn_new(status, kv->key.via.str.ptr, kv->key.via.str.size, value);
    }
    s_reply_free(&reply);
    return s_json(c, 200, status, NULL, NULL);
}

static enum MHD_Result s_api_amend(http_t *self, struct MHD_Connection *c, request_t *r)
{
    const char *token = s_bearer(c);
    if (!token)
        return s_json_error(c, 401, "Authorization: Bearer <token of the receipt> is required",
                            "Authorization", "required");
    enum MHD_Result result;
    reply_t reply;
    if (s_send_application(self, c, r, token, &reply, &result))
        return result;
    char state[32];
    uint64_t revision = 1;
    doc_strcpy(&reply.msg, "state", state, sizeof state);
    doc_uint(&reply.msg, "revision", &revision);
    bool duplicate = doc_bool(&reply.msg, "duplicate", false);
    s_reply_free(&reply);
    return s_json(c, 200, json_pack("{s:s, s:s, s:I, s:b}", "id", r->id, "state", state, "revision",
                                    (json_int_t)revision, "duplicate", duplicate), NULL, NULL);
}

/*  Sends an appeal of r->id to the core: 0 with its reply, or -1 (no
 *  answer). */
static int s_send_appeal(http_t *self, const char *id, const char *token, const char *motivation,
                         const char *key, reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    s_pack_init(&buf, &pk);
    uint64_t rid = s_next_rid(self);
    proto_pack_request(&pk, "appeal", rid, key ? 4 : 3);
    proto_pack_kv_str(&pk, "id", id);
    s_pack_token(&pk, token);
    proto_pack_kv_str(&pk, "motivation", motivation);
    if (key)
        proto_pack_kv_str(&pk, "key", key);
    int rc = s_core_call(self, &buf, rid, self->config.core_timeout_ms, reply);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/*  The motivation of a JSON appeal body ({"motivation": "..."}), copied;
 *  NULL with a 400 queued when the body is not that. */
static char *s_appeal_motivation(struct MHD_Connection *c, request_t *r, enum MHD_Result *result)
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    char *motivation = NULL;
    if (s_json_body(c, r, &body, result) == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object map;
        proto_error_t err;
        const char *text;
        size_t len;
        if (wire_decode(body.data, body.size, &zone, &map, &err) == 0 && doc_str(&map, "motivation", &text, &len)
            && map.via.map.size == 1)
            motivation = strndup(text, len);
        else
            *result = s_json_error(c, 400, "the body must be {\"motivation\": \"...\"}: why the decision should be "
                                   "reconsidered", "motivation", "type");
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&body);
    return motivation;
}

static enum MHD_Result s_api_appeal(http_t *self, struct MHD_Connection *c, request_t *r)
{
    const char *token = s_bearer(c);
    if (!token)
        return s_json_error(c, 401, "Authorization: Bearer <token of the receipt> is required",
                            "Authorization", "required");
    enum MHD_Result result;
    const char *key;
    if (s_idempotency_key(c, &key, &result))
        return result;
    char *motivation = s_appeal_motivation(c, r, &result);
    if (!motivation)
        return result;
    if (!motivation[strspn(motivation, " \t\r\n")]) {
        free(motivation);
        return s_json_error(c, 400, "motivation: say why the decision should be reconsidered", "motivation",
                            "required");
    }
    reply_t reply;
    int rc = s_send_appeal(self, r->id, token, motivation, key, &reply);
    free(motivation);
    if (rc != 0)
        return s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    if (!s_reply_is(&reply, "ack")) {
        result = s_json_core_error(c, &reply);
        s_reply_free(&reply);
        return result;
    }
    char state[32];
    doc_strcpy(&reply.msg, "state", state, sizeof state);
    s_reply_free(&reply);
    return s_json(c, 200, json_pack("{s:s, s:s}", "id", r->id, "state", state), NULL, NULL);
}

/* ---------------------------------------------------------------- pages */

static void s_new_key(char key[33])
{
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2hex(key, 33, bytes, sizeof bytes);
}

static enum MHD_Result s_page_form(http_t *self, struct MHD_Connection *c)
{
    char key[33];
    s_new_key(key);
    page_t page;
    s_page_open(&page);
    web_page_apply(self->web, page.out, NULL, key);
    return s_page_send(c, 200, &page);
}

static web_form_t *s_parse_form(request_t *r)
{
    return web_form_parse(r->body ? r->body : "", r->len);
}

/*  The idempotency key the form carries (made when the form was served). */
static const char *s_form_key(const web_form_t *form)
{
    const char *key = web_form_get(form, "_key");
    return key && *key && strlen(key) <= S_KEY_MAX ? key : NULL;
}

static enum MHD_Result s_page_form_again(http_t *self, struct MHD_Connection *c, unsigned status,
                                         const web_form_t *form)
{
    char fresh[33];
    const char *key = s_form_key(form);
    if (!key) {
        s_new_key(fresh);
        key = fresh;
    }
    page_t page;
    s_page_open(&page);
    web_page_apply(self->web, page.out, form, key);
    return s_page_send(c, status, &page);
}

static enum MHD_Result s_page_unreadable(struct MHD_Connection *c)
{
    return s_page_message(c, 400, "Formulaire illisible",
                          "Le formulaire reçu n'a pas pu être lu. Revenez à la page de candidature et réessayez.");
}

static enum MHD_Result s_page_submit(http_t *self, struct MHD_Connection *c, request_t *r)
{
    web_form_t *form = s_parse_form(r);
    if (!form)
        return s_page_unreadable(c);
    enum MHD_Result result;
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    if (web_form_added_row(form)) {
        result = s_page_form_again(self, c, 200, form);
    } else if (web_form_application(self->web, form, &application) > 0) {
        result = s_page_form_again(self, c, 400, form);
    } else {
        const char *key = s_form_key(form);
        msgpack_sbuffer buf;
        msgpack_packer pk;
        s_pack_init(&buf, &pk);
        uint64_t rid = s_next_rid(self);
        proto_pack_request(&pk, "submit", rid, key ? 2 : 1);
        proto_pack_kv_raw(&pk, "application", application.data, application.size);
        if (key)
            proto_pack_kv_str(&pk, "key", key);
        reply_t reply;
        int rc = s_core_call(self, &buf, rid, self->config.core_timeout_ms, &reply);
        msgpack_sbuffer_destroy(&buf);
        char id[PROTO_ID_MAX + 1], token[80], field[PROTO_FIELD_MAX], rule[PROTO_RULE_MAX];
        if (rc != 0) {
            result = s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        } else if (s_reply_is(&reply, "receipt") && doc_strcpy(&reply.msg, "token", token, sizeof token) > 0) {
            doc_strcpy(&reply.msg, "id", id, sizeof id);
            page_t page;
            s_page_open(&page);
            web_page_receipt(page.out, id, token, doc_bool(&reply.msg, "duplicate", false));
            result = s_page_send(c, 201, &page);
        } else if (s_reply_is(&reply, "receipt")) {
            result = s_page_message(c, 409, "Candidature déjà enregistrée",
                                    "Cette candidature est déjà enregistrée. Utilisez le lien de suivi reçu lors du dépôt.");
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_INTERNAL)) {
            result = s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        } else {
            doc_strcpy(&reply.msg, "field", field, sizeof field);
            doc_strcpy(&reply.msg, "rule", rule, sizeof rule);
            web_form_error(self->web, form, s_client_field(field), rule);
            result = s_page_form_again(self, c, s_status_of_error(&reply.msg), form);
        }
        s_reply_free(&reply);
    }
    msgpack_sbuffer_destroy(&application);
    web_form_destroy(&form);
    return result;
}

static enum MHD_Result s_page_follow(struct MHD_Connection *c, request_t *r, unsigned status, const char *notice)
{
    page_t page;
    s_page_open(&page);
    web_page_follow(page.out, r->id, notice);
    return s_page_send(c, status, &page);
}

/*  The token of a posted tracking form, trimmed. */
static bool s_form_token(const web_form_t *form, char token[80])
{
    const char *value = web_form_get(form, "jeton");
    while (value && (*value == ' ' || *value == '\t'))
        value++;
    if (!value || !*value || strlen(value) >= 80)
        return false;
    snprintf(token, 80, "%s", value);
    size_t len = strlen(token);
    while (len && (token[len - 1] == ' ' || token[len - 1] == '\t' || token[len - 1] == '\r' || token[len - 1] == '\n'))
        token[--len] = '\0';
    return len > 0;
}

#define S_UNKNOWN_FR "Aucun dossier ne correspond à ce numéro et à ce code de suivi. Vérifiez le code reçu lors du dépôt."

/*  The status page, with the amendment form as posted when given. */
static enum MHD_Result s_page_status(http_t *self, struct MHD_Connection *c, request_t *r, const char *token,
                                     unsigned status, const web_form_t *amend)
{
    reply_t reply;
    if (s_fetch_status(self, r->id, token, &reply) != 0)
        return s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    enum MHD_Result result;
    if (s_reply_is(&reply, "status")) {
        page_t page;
        s_page_open(&page);
        web_page_status(self->web, page.out, &reply.msg, token, amend);
        result = s_page_send(c, status, &page);
    } else if (doc_str_eq(&reply.msg, "code", PROTO_E_NOT_FOUND)) {
        result = s_page_follow(c, r, 404, S_UNKNOWN_FR);
    } else {
        result = s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    }
    s_reply_free(&reply);
    return result;
}

static enum MHD_Result s_page_follow_post(http_t *self, struct MHD_Connection *c, request_t *r)
{
    web_form_t *form = s_parse_form(r);
    if (!form)
        return s_page_unreadable(c);
    char token[80];
    enum MHD_Result result;
    if (!s_form_token(form, token))
        result = s_page_follow(c, r, 401, "Indiquez votre code de suivi.");
    else
        result = s_page_status(self, c, r, token, 200, NULL);
    web_form_destroy(&form);
    return result;
}

static enum MHD_Result s_page_amend(http_t *self, struct MHD_Connection *c, request_t *r)
{
    web_form_t *form = s_parse_form(r);
    if (!form)
        return s_page_unreadable(c);
    char token[80];
    enum MHD_Result result;
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    if (!s_form_token(form, token)) {
        result = s_page_follow(c, r, 401, "Indiquez votre code de suivi.");
    } else if (web_form_added_row(form)) {
        result = s_page_status(self, c, r, token, 200, form);
    } else if (web_form_application(self->web, form, &application) > 0) {
        result = s_page_status(self, c, r, token, 400, form);
    } else {
        msgpack_sbuffer buf;
        msgpack_packer pk;
        s_pack_init(&buf, &pk);
        uint64_t rid = s_next_rid(self);
        proto_pack_request(&pk, "amend", rid, 3);
        proto_pack_kv_str(&pk, "id", r->id);
        s_pack_token(&pk, token);
        proto_pack_kv_raw(&pk, "application", application.data, application.size);
        reply_t reply;
        int rc = s_core_call(self, &buf, rid, self->config.core_timeout_ms, &reply);
        msgpack_sbuffer_destroy(&buf);
        char field[PROTO_FIELD_MAX], rule[PROTO_RULE_MAX];
        uint64_t revision = 0;
        if (rc != 0 || doc_str_eq(&reply.msg, "code", PROTO_E_INTERNAL)) {
            result = s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        } else if (s_reply_is(&reply, "receipt")) {
            doc_uint(&reply.msg, "revision", &revision);
            page_t page;
            s_page_open(&page);
            web_page_amended(page.out, r->id, token, (unsigned long)revision);
            result = s_page_send(c, 200, &page);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_NOT_FOUND)) {
            result = s_page_follow(c, r, 404, S_UNKNOWN_FR);
        } else if (doc_str_eq(&reply.msg, "code", PROTO_E_CONFLICT)) {
            result = s_page_message(c, 409, "Modification impossible",
                                    "Ce dossier ne peut pas être modifié dans son état actuel : seul un dossier "
                                    "incomplet, ou dont le comité demande des modifications, peut l'être.");
        } else {
            doc_strcpy(&reply.msg, "field", field, sizeof field);
            doc_strcpy(&reply.msg, "rule", rule, sizeof rule);
            web_form_error(self->web, form, s_client_field(field), rule);
            result = s_page_status(self, c, r, token, 400, form);
        }
        s_reply_free(&reply);
    }
    msgpack_sbuffer_destroy(&application);
    web_form_destroy(&form);
    return result;
}

/*  The appeal form of the status page: the same appeal as the API's.
 *  Sent twice (a double click), the second finds the appeal made and
 *  shows the status page like the first. */
static enum MHD_Result s_page_appeal(http_t *self, struct MHD_Connection *c, request_t *r)
{
    web_form_t *form = s_parse_form(r);
    if (!form)
        return s_page_unreadable(c);
    char token[80];
    const char *motivation = web_form_get(form, "motivation");
    enum MHD_Result result;
    reply_t reply;
    if (!s_form_token(form, token)) {
        result = s_page_follow(c, r, 401, "Indiquez votre code de suivi.");
    } else if (s_send_appeal(self, r->id, token, motivation ? motivation : "", NULL, &reply) != 0) {
        result = s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
    } else {
        if (s_reply_is(&reply, "ack") || doc_str_eq(&reply.msg, "rule", "appeal_used"))
            result = s_page_status(self, c, r, token, 200, NULL);
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_NOT_FOUND))
            result = s_page_follow(c, r, 404, S_UNKNOWN_FR);
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_INVALID) && doc_str_eq(&reply.msg, "rule", "max"))
            result = s_page_message(c, 400, "Motivation trop longue",
                                    "La motivation dépasse 4000 octets : raccourcissez-la, puis envoyez de nouveau "
                                    "votre appel depuis la page de suivi.");
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_INVALID))
            result = s_page_message(c, 400, "Motivation manquante",
                                    "Expliquez pourquoi la décision devrait être réexaminée, puis envoyez de nouveau "
                                    "votre appel depuis la page de suivi.");
        else if (doc_str_eq(&reply.msg, "code", PROTO_E_CONFLICT))
            result = s_page_message(c, 409, "Appel impossible",
                                    "Seule une candidature refusée peut faire l'objet d'un appel, et une seule fois.");
        else
            result = s_refuse(c, r, 503, "unavailable", "Retry-After", "1");
        s_reply_free(&reply);
    }
    web_form_destroy(&form);
    return result;
}

static enum MHD_Result s_static(struct MHD_Connection *c, request_t *r)
{
    size_t len;
    const char *type;
    const char *content = web_static(r->static_name, &len, &type);
    if (!content)
        return s_page_message(c, 404, "Page introuvable", "Cette page n'existe pas.");
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, (void *)content, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", type);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Cache-Control", "public, max-age=3600");
    enum MHD_Result rc = MHD_queue_response(c, 200, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result s_dispatch(http_t *self, struct MHD_Connection *c, request_t *r)
{
    switch (r->route) {
    case R_HEALTH: return s_api_health(self, c);
    case R_CHARTER: return s_api_charter(c);
    case R_SUBMIT: return s_api_submit(self, c, r);
    case R_STATUS: return s_api_status(self, c, r);
    case R_AMEND: return s_api_amend(self, c, r);
    case R_APPEAL: return s_api_appeal(self, c, r);
    case R_STATIC: return s_static(c, r);
    case R_FORM: return s_page_form(self, c);
    case R_CHARTER_PAGE: {
        page_t page;
        s_page_open(&page);
        web_page_charter(page.out);
        return s_page_send(c, 200, &page);
    }
    case R_FORM_POST: return s_page_submit(self, c, r);
    case R_FOLLOW: return s_page_follow(c, r, 200, NULL);
    case R_FOLLOW_POST: return s_page_follow_post(self, c, r);
    case R_AMEND_POST: return s_page_amend(self, c, r);
    case R_APPEAL_POST: return s_page_appeal(self, c, r);
    case R_METHOD:
        if (r->api)
            return s_json_error(c, 405, "this method is not allowed on this resource", "", "method");
        return s_page_message(c, 405, "Méthode non permise", "Cette adresse ne s'utilise pas ainsi.");
    case R_API_NONE: return s_json_error(c, 404, "no such resource", "", "path");
    case R_NONE: break;
    }
    return s_page_message(c, 404, "Page introuvable", "Cette page n'existe pas.");
}

/*  Checks what can be checked from the headers alone. */
static enum MHD_Result s_on_headers(http_t *self, struct MHD_Connection *c, request_t *r)
{
    int64_t retry_ms = 1000;
    if (s_rate_limited(self, c, r, &retry_ms)) {
        char seconds[24];
        snprintf(seconds, sizeof seconds, "%lld", (long long)(retry_ms + 999) / 1000);
        return s_refuse(c, r, 429, "rate", "Retry-After", seconds);
    }
    if (!r->has_body)
        return MHD_YES;
    bool json = r->route == R_SUBMIT || r->route == R_AMEND || r->route == R_APPEAL;
    if (!s_content_type_is(c, json ? "application/json" : "application/x-www-form-urlencoded"))
        return s_refuse(c, r, 415, "content_type", json ? "Accept-Post" : NULL, "application/json");
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (length && strtoull(length, NULL, 10) > self->config.body_max)
        return s_refuse(c, r, 413, "body_max", NULL, NULL);
    return MHD_YES;
}

static enum MHD_Result s_on_upload(http_t *self, struct MHD_Connection *c, request_t *r, const char *data,
                                   size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (r->answered || !r->has_body)
        return MHD_YES;
    /* libmicrohttpd takes a response only before the body or after it:
     * while it arrives, the only refusal is closing the connection. */
    if (s_now_ms() - r->started_ms > (int64_t)self->config.timeout_s * 1000) {
        log_info("http: a request body still arriving after %u s: connection closed", self->config.timeout_s);
        return MHD_NO;
    }
    if (r->too_large || r->len + n > self->config.body_max) {
        /* A body that was not announced (chunked) and is too large: read
         * and drop it, to answer 413 at its end; one that does not end
         * soon is cut off. */
        r->too_large = true;
        r->dropped += n;
        return r->dropped > 4 * self->config.body_max ? MHD_NO : MHD_YES;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *body = realloc(r->body, cap);
        if (!body)
            return MHD_NO;
        r->body = body;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return MHD_YES;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                const char *version, const char *upload_data, size_t *upload_size,
                                void **con_cls)
{
    http_t *self = cls;
    request_t *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->started_ms = s_now_ms();
        s_route(r, method, url);
        return s_on_headers(self, c, r);
    }
    if (*upload_size)
        return s_on_upload(self, c, r, upload_data, upload_size);
    if (r->answered)
        return MHD_YES;
    if (r->too_large)
        return s_refuse(c, r, 413, "body_max", NULL, NULL);
    r->answered = true;
    return s_dispatch(self, c, r);
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    request_t *r = *con_cls;
    if (!r)
        return;
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* ----------------------------------------------------------- life cycle */

static void s_logger(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t len = strlen(line);
    while (len && line[len - 1] == '\n')
        line[--len] = '\0';
    log_warn("http: %s", line);
}

static int s_address(const http_config_t *config, struct sockaddr_storage *storage, unsigned *flags)
{
    memset(storage, 0, sizeof *storage);
    struct sockaddr_in *in = (struct sockaddr_in *)storage;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)storage;
    if (inet_pton(AF_INET, config->bind, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)config->port);
        return 0;
    }
    if (inet_pton(AF_INET6, config->bind, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)config->port);
        *flags |= MHD_USE_IPv6;
        return 0;
    }
    return -1;
}

http_t *http_new(const http_config_t *config)
{
    http_t *self = calloc(1, sizeof *self);
    assert(self);
    self->config = *config;
    pthread_mutex_init(&self->lock, NULL);
    self->limits = ratelimit_new(config->rate, config->burst, 4096);
    self->web = web_new();
    struct sockaddr_storage address;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (!self->web || config->port <= 0 || s_address(config, &address, &flags) != 0) {
        log_error("http: cannot serve on %s:%d", config->bind, config->port);
        http_destroy(&self);
        return NULL;
    }
    self->daemon = MHD_start_daemon(
        flags, (uint16_t)config->port, NULL, NULL, &s_access, self,
        MHD_OPTION_EXTERNAL_LOGGER, &s_logger, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_THREAD_POOL_SIZE, config->threads,
        MHD_OPTION_CONNECTION_TIMEOUT, config->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, config->connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, config->per_address,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
        MHD_OPTION_NOTIFY_COMPLETED, &s_completed, self,
        MHD_OPTION_END);
    if (!self->daemon) {
        log_error("http: cannot bind %s:%d", config->bind, config->port);
        http_destroy(&self);
        return NULL;
    }
    log_info("http: serving on http://%s:%d/ (body max %zu bytes, %g requests/s per address, burst %g)",
             config->bind, config->port, config->body_max, config->rate, config->burst);
    return self;
}

void http_destroy(http_t **self_p)
{
    http_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stopping, true);
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    while (self->pool_count)
        zsock_destroy(&self->pool[--self->pool_count]);
    web_destroy(&self->web);
    ratelimit_destroy(&self->limits);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
