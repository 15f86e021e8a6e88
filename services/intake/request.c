/*  services/intake/request.c - see request.h. */
#include "request.h"
#include "texts.h"

#include "common/config.h"
#include "common/log.h"
#include "proto/charter.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/wire.h"

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

int64_t request_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

enum MHD_Result request_json(struct MHD_Connection *c, unsigned status, json_t *value,
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

enum MHD_Result request_json_error(struct MHD_Connection *c, unsigned status, const char *message,
                                   const char *field, const char *rule)
{
    json_t *error = json_pack("{s:s, s:s, s:s}", "error", message, "field", field ? field : "",
                              "rule", rule ? rule : "");
    if (status == 503)
        return request_json(c, status, error, "Retry-After", REQUEST_STORAGE_RETRY_AFTER);
    return request_json(c, status, error, status == 401 ? "WWW-Authenticate" : NULL, "Bearer realm=\"essp\"");
}

enum MHD_Result request_refuse_storage(struct MHD_Connection *c, request_t *r)
{
    r->answered = true;
    if (r->api)
        return request_json_error(c, 503, "the service cannot store anything for now (storage); nothing was "
                                  "changed, retry later", "", "storage");
    page_t page;
    request_page_open(&page);
    web_page_message(page.out, "Enregistrement impossible pour le moment",
                     "Le service ne peut pas enregistrer de candidature pour le moment : son espace de stockage "
                     "est presque plein. Rien n'a été enregistré. Revenez à la page précédente pour retrouver "
                     "votre saisie et renvoyez-la dans quelques minutes.");
    fclose(page.out);
    return s_respond(c, 503, "text/html; charset=utf-8", page.html, page.len, "Retry-After",
                     REQUEST_STORAGE_RETRY_AFTER);
}

enum MHD_Result request_refuse_unanswered(struct MHD_Connection *c, request_t *r)
{
    r->answered = true;
    if (r->api) {
        json_t *error = json_pack("{s:s, s:s, s:s}", "error",
                                  "the service did not answer in time; the request may still be recorded: resend it "
                                  "with the same Idempotency-Key to get its outcome, or read the application's status",
                                  "field", "", "rule", "unanswered");
        return request_json(c, 503, error, "Retry-After", "1");
    }
    page_t page;
    request_page_open(&page);
    web_page_message(page.out, TEXTS_UNANSWERED_TITLE,
                     "Le service n'a pas répondu à temps : votre envoi a peut-être été enregistré. "
                     "Revenez à la page précédente et renvoyez le même formulaire dans un instant : "
                     "s'il a déjà été enregistré, vous recevrez la même réponse, sans doublon.");
    fclose(page.out);
    return s_respond(c, 503, "text/html; charset=utf-8", page.html, page.len, "Retry-After", "1");
}

void request_page_open(page_t *page)
{
    page->html = NULL;
    page->len = 0;
    page->out = open_memstream(&page->html, &page->len);
    assert(page->out);
}

enum MHD_Result request_page_send(struct MHD_Connection *c, unsigned status, page_t *page)
{
    fclose(page->out);
    return s_respond(c, status, "text/html; charset=utf-8", page->html, page->len, NULL, NULL);
}

enum MHD_Result request_page_message(struct MHD_Connection *c, unsigned status, const char *title,
                                     const char *text)
{
    page_t page;
    request_page_open(&page);
    web_page_message(page.out, title, text);
    return request_page_send(c, status, &page);
}

/*  The refusals that come before a request is read, in the request's own
 *  language (JSON for the API, a page for people). */
enum MHD_Result request_refuse(struct MHD_Connection *c, request_t *r, unsigned status, const char *rule,
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
            return request_json(c, status, error, header, value);
        }
        page_t page;
        request_page_open(&page);
        web_page_message(page.out, texts[i].title, texts[i].fr);
        fclose(page.out);
        return s_respond(c, status, "text/html; charset=utf-8", page.html, page.len, header, value);
    }
    return MHD_NO;
}

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

void request_route(request_t *r, const char *method, const char *url)
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
    else if (strcmp(url, "/api/v1/check") == 0)
        r->route = post ? R_CHECK : R_METHOD;
    else if (strcmp(url, "/api/v1/token-reissue") == 0)
        r->route = post ? R_REISSUE : R_METHOD;
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
    else if (strcmp(url, "/candidature/verifier") == 0)
        r->route = post ? R_CHECK_POST : R_METHOD;
    else if (strcmp(url, "/suivi/lien-perdu") == 0)
        r->route = get ? R_LOST_LINK : post ? R_LOST_LINK_POST : R_METHOD;
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
                  || r->route == R_APPEAL_POST || r->route == R_REISSUE || r->route == R_LOST_LINK_POST
                  || r->route == R_CHECK || r->route == R_CHECK_POST;
}

static size_t s_sockaddr_bytes(const struct sockaddr *sa, unsigned char out[16])
{
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

size_t request_client_address(http_t *self, struct MHD_Connection *c, unsigned char out[16])
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return 0;
    size_t len = s_sockaddr_bytes(info->client_addr, out);
    if (!self->proxy_len || len != self->proxy_len || memcmp(out, self->proxy, len) != 0)
        return len;
    /* The proxy sets X-Real-IP to its own client's address: believed from
     * the proxy only, and only when it is an address. */
    const char *real = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
    if (real && inet_pton(AF_INET, real, out) == 1)
        return 4;
    if (real && inet_pton(AF_INET6, real, out) == 1)
        return 16;
    memcpy(out, self->proxy, self->proxy_len);
    return self->proxy_len;
}

/*  Health checks and static files are free; everything else counts. */
bool request_rate_limited(http_t *self, struct MHD_Connection *c, request_t *r, int64_t *retry_ms)
{
    if (r->route == R_HEALTH || r->route == R_STATIC)
        return false;
    unsigned char address[16];
    size_t len = request_client_address(self, c, address);
    return len && !ratelimit_take(self->limits, address, len, request_now_ms(), retry_ms);
}

bool request_content_type_is(struct MHD_Connection *c, const char *expected)
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
