/*  services/intake/http.c - see http.h. */
#include "http.h"

#include "api.h"
#include "bridge.h"
#include "lost_link.h"
#include "request.h"
#include "site.h"
#include "texts.h"

#include "common/config.h"
#include "common/event_log.h"
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void http_config_from_env(http_config_t *config, const char *inproc)
{
    memset(config, 0, sizeof *config);
    snprintf(config->bind, sizeof config->bind, "%s", config_http_bind());
    config->port = config_http_port();
    snprintf(config->inproc, sizeof config->inproc, "%s", inproc);
    config->body_max = (size_t)config_env_long("ESSP_HTTP_BODY_MAX", 256 * 1024, 1024, 16 << 20);
    config->rate = (double)config_env_long("ESSP_HTTP_RATE", 5, 1, 1000000);
    config->burst = (double)config_env_long("ESSP_HTTP_BURST", 30, 1, 1000000);
    config->timeout_s = (unsigned)config_env_long("ESSP_HTTP_TIMEOUT", 30, 1, 3600);
    config->head_timeout_s = (unsigned)config_env_long("ESSP_HTTP_HEAD_TIMEOUT", 10, 1, 3600);
    config->body_timeout_s = (unsigned)config_env_long("ESSP_HTTP_BODY_TIMEOUT", 30, 1, 3600);
    const char *proxy = config_get("ESSP_TRUSTED_PROXY");
    snprintf(config->trusted_proxy, sizeof config->trusted_proxy, "%s", proxy ? proxy : "");
    config->threads = (unsigned)config_env_long("ESSP_HTTP_THREADS", 64, 1, 256);
    config->connections = (unsigned)config_env_long("ESSP_HTTP_CONNECTIONS", 4096, 1, 100000);
    /* 32 per address: a browser opens 6; 128 addresses at their cap fit
     * in the global one.  Behind a proxy every connection is the proxy's. */
    config->per_address = (unsigned)config_env_long("ESSP_HTTP_PER_ADDRESS",
                                                    *config->trusted_proxy ? (long)config->connections : 32,
                                                    1, 100000);
    config->core_timeout_ms = (int)config_env_long("ESSP_HTTP_CORE_TIMEOUT_MS", 15000, 100, 600000);
    config->reissue_per_hour = (double)config_env_long("ESSP_HTTP_REISSUE_PER_HOUR", 10, 1, 1000000);
    config_committee_meetings(config->pages.meetings, WEB_MEETINGS_MAX, &config->pages.meeting_count,
                              config->pages_error, sizeof config->pages_error);
    config->pages.retention_years = config_retention_years();
    snprintf(config->pages.contact_email, sizeof config->pages.contact_email, "%s", config_contact_email());
}

/* ------------------------------------------------------------ deadlines
 *
 *  libmicrohttpd's own timeout (MHD_OPTION_CONNECTION_TIMEOUT) is an idle
 *  timeout: a client that sends one byte a second is never idle.  So every
 *  connection is tracked from its accept to its close with the deadline of
 *  what it is sending: its first request's head (from the accept), a later
 *  request's head (from its request line), a body (from the end of the
 *  head), the next request (idle, between two).  A reaper thread closes,
 *  with shutdown(), the connections past their deadline; libmicrohttpd
 *  then sees the connection end and closes it itself.  The close
 *  notification takes the connection off the list, under the same lock,
 *  before libmicrohttpd closes its descriptor: the reaper never shuts down
 *  a descriptor that was reused. */

static conn_t *s_conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/*  Sets the deadline of c's connection: seconds from now, 0 for none. */
static void s_deadline(http_t *self, struct MHD_Connection *c, unsigned seconds, const char *phase)
{
    conn_t *conn = s_conn_of(c);
    if (!conn)
        return;
    pthread_mutex_lock(&self->conn_lock);
    conn->deadline_ms = seconds ? request_now_ms() + (int64_t)seconds * 1000 : 0;
    conn->phase = phase;
    pthread_mutex_unlock(&self->conn_lock);
}

static void s_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
    http_t *self = cls;
    conn_t *conn = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!info || !(conn = calloc(1, sizeof *conn)))
            return;
        conn->fd = info->connect_fd;
        conn->phase = "head";
        conn->deadline_ms = request_now_ms() + (int64_t)self->config.head_timeout_s * 1000;
        pthread_mutex_lock(&self->conn_lock);
        conn->next = self->conns;
        if (self->conns)
            self->conns->prev = conn;
        self->conns = conn;
        pthread_mutex_unlock(&self->conn_lock);
        *socket_context = conn;
    } else if (conn) {
        pthread_mutex_lock(&self->conn_lock);
        if (conn->prev)
            conn->prev->next = conn->next;
        else
            self->conns = conn->next;
        if (conn->next)
            conn->next->prev = conn->prev;
        pthread_mutex_unlock(&self->conn_lock);
        free(conn);
        *socket_context = NULL;
    }
}

/*  The request line is in: the request begins (its object is made here).
 *  The first request of a connection keeps the deadline of the accept, so
 *  that a request line sent slowly counts too. */
static void *s_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    http_t *self = cls;
    conn_t *conn = s_conn_of(c);
    bool later = false;
    if (conn) {
        pthread_mutex_lock(&self->conn_lock);
        later = conn->requests > 0;
        pthread_mutex_unlock(&self->conn_lock);
    }
    if (later)
        s_deadline(self, c, self->config.head_timeout_s, "head");
    request_t *r = calloc(1, sizeof *r);
    if (r) {
        r->started_ms = request_now_ms();
        r->received_us = event_log_clock_us();
    }
    return r;
}

static void *s_reaper(void *arg)
{
    http_t *self = arg;
    while (!atomic_load(&self->stopping)) {
        usleep(200 * 1000);
        int64_t now = request_now_ms();
        unsigned head = 0, body = 0, idle = 0;
        pthread_mutex_lock(&self->conn_lock);
        for (conn_t *conn = self->conns; conn; conn = conn->next) {
            if (conn->cut || !conn->deadline_ms || now < conn->deadline_ms)
                continue;
            shutdown(conn->fd, SHUT_RDWR);
            conn->cut = true;
            if (strcmp(conn->phase, "body") == 0)
                body++;
            else if (strcmp(conn->phase, "idle") == 0)
                idle++;
            else
                head++;
        }
        pthread_mutex_unlock(&self->conn_lock);
        if (head || body)
            log_info("http: closed %u connection(s) whose head took over %u s, %u whose body took over %u s",
                     head, self->config.head_timeout_s, body, self->config.body_timeout_s);
        if (idle)
            log_debug("http: closed %u idle connection(s)", idle);
    }
    return NULL;
}

/*  Each connection takes a descriptor: a soft limit below the caps would
 *  refuse connections before the caps do. */
static void s_raise_open_files(unsigned connections)
{
    struct rlimit limit;
    rlim_t want = (rlim_t)connections + 256;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= want)
        return;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > want ? want : limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < want)
        log_warn("http: %llu open files at most: fewer than ESSP_HTTP_CONNECTIONS (%u) + 256",
                 (unsigned long long)limit.rlim_cur, connections);
}

static enum MHD_Result s_dispatch(http_t *self, struct MHD_Connection *c, request_t *r)
{
    switch (r->route) {
    case R_HEALTH: return api_health(self, c);
    case R_CHARTER: return api_charter(c);
    case R_SUBMIT: return api_submit(self, c, r);
    case R_STATUS: return api_status(self, c, r);
    case R_AMEND: return api_amend(self, c, r);
    case R_APPEAL: return api_appeal(self, c, r);
    case R_STATIC: return site_static(c, r);
    case R_FORM: return site_page_form(self, c);
    case R_CHARTER_PAGE: {
        page_t page;
        request_page_open(&page);
        web_page_charter(page.out);
        return request_page_send(c, 200, &page);
    }
    case R_FORM_POST: return site_page_submit(self, c, r);
    case R_CHECK: return api_check(self, c, r);
    case R_CHECK_POST: return site_page_check(self, c, r);
    case R_FOLLOW: return site_page_follow(c, r, 200, NULL);
    case R_FOLLOW_POST: return site_page_follow_post(self, c, r);
    case R_AMEND_POST: return site_page_amend(self, c, r);
    case R_APPEAL_POST: return site_page_appeal(self, c, r);
    case R_REISSUE: return lost_link_api(self, c, r);
    case R_LOST_LINK: return lost_link_page(c, 200, NULL);
    case R_LOST_LINK_POST: return lost_link_post(self, c, r);
    case R_METHOD:
        if (r->api)
            return request_json_error(c, 405, "this method is not allowed on this resource", "", "method");
        return request_page_message(c, 405, TEXTS_METHOD_TITLE, TEXTS_METHOD);
    case R_API_NONE: return request_json_error(c, 404, "no such resource", "", "path");
    case R_NONE: break;
    }
    return request_page_message(c, 404, TEXTS_NOT_FOUND_TITLE, TEXTS_NOT_FOUND);
}

/*  Checks what can be checked from the headers alone. */
static enum MHD_Result s_on_headers(http_t *self, struct MHD_Connection *c, request_t *r)
{
    int64_t retry_ms = 1000;
    if (request_rate_limited(self, c, r, &retry_ms)) {
        char seconds[24];
        snprintf(seconds, sizeof seconds, "%lld", (long long)(retry_ms + 999) / 1000);
        return request_refuse(c, r, 429, "rate", "Retry-After", seconds);
    }
    if (!r->has_body)
        return MHD_YES;
    bool json = r->route == R_SUBMIT || r->route == R_AMEND || r->route == R_APPEAL || r->route == R_REISSUE
                || r->route == R_CHECK;
    if (!request_content_type_is(c, json ? "application/json" : "application/x-www-form-urlencoded"))
        return request_refuse(c, r, 415, "content_type", json ? "Accept-Post" : NULL, "application/json");
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (length && strtoull(length, NULL, 10) > self->config.body_max)
        return request_refuse(c, r, 413, "body_max", NULL, NULL);
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
    if (request_now_ms() - r->started_ms > (int64_t)self->config.body_timeout_s * 1000) {
        log_info("http: a request body still arriving after %u s: connection closed", self->config.body_timeout_s);
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

/*  One line per request (common/event_log.h): when its response is
 *  queued, or at its end without one (status 0); none for health checks,
 *  which a monitor sends every few seconds. */
static void s_log_request(request_t *r)
{
    if (r->logged || !r->routed || r->route == R_HEALTH)
        return;
    r->logged = true;
    event_log_http(r->method, r->path, (int)r->status, event_log_clock_us() - r->received_us, NULL);
}

static enum MHD_Result s_receive(http_t *self, struct MHD_Connection *c, request_t *r, const char *url,
                                 const char *method, const char *upload_data, size_t *upload_size)
{
    if (!r->routed) {
        /* The head is in: the body's deadline starts now.  libmicrohttpd
         * gives the URL without its query string; a token never is in the
         * path (the tracking link carries it after #, which no browser
         * sends). */
        r->routed = true;
        r->started_ms = request_now_ms();
        snprintf(r->method, sizeof r->method, "%s", method);
        event_log_path_without(url, SIZE_MAX, r->path, sizeof r->path);
        request_route(r, method, url);
        enum MHD_Result rc = s_on_headers(self, c, r);
        s_deadline(self, c, r->has_body ? self->config.body_timeout_s : 0, "body");
        return rc;
    }
    if (*upload_size)
        return s_on_upload(self, c, r, upload_data, upload_size);
    s_deadline(self, c, 0, "body");
    if (r->answered)
        return MHD_YES;
    if (r->too_large)
        return request_refuse(c, r, 413, "body_max", NULL, NULL);
    r->answered = true;
    return s_dispatch(self, c, r);
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                const char *version, const char *upload_data, size_t *upload_size,
                                void **con_cls)
{
    (void)version;
    request_t *r = *con_cls;
    if (!r) {
        /* s_uri_log made it; it failed to allocate. */
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        r->received_us = event_log_clock_us();
        *con_cls = r;
    }
    enum MHD_Result rc = s_receive(cls, c, r, url, method, upload_data, upload_size);
    /* A response was just queued: its line, before libmicrohttpd sends it
     * (whoever got a response finds its line in the log). */
    const union MHD_ConnectionInfo *info;
    if (!r->status && (info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS))) {
        r->status = info->http_status;
        s_log_request(r);
    }
    return rc;
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    http_t *self = cls;
    conn_t *conn = s_conn_of(c);
    if (conn) {
        pthread_mutex_lock(&self->conn_lock);
        conn->requests++;
        pthread_mutex_unlock(&self->conn_lock);
    }
    /* Kept alive: the next request line must come before the idle timeout. */
    s_deadline(self, c, self->config.timeout_s, "idle");
    request_t *r = *con_cls;
    if (!r)
        return;
    (void)toe;
    s_log_request(r);
    free(r->body);
    free(r);
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
    pthread_mutex_init(&self->conn_lock, NULL);
    self->limits = ratelimit_new(config->rate, config->burst, 4096);
    self->reissue_limits = ratelimit_new(config->reissue_per_hour / 3600.0, config->reissue_per_hour, 4096);
    self->web = web_new();
    if (*config->pages_error) {
        log_error("http: %s", config->pages_error);
        http_destroy(&self);
        return NULL;
    }
    if (self->web)
        web_set_settings(self->web, &config->pages);
    struct sockaddr_storage address;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (!self->web || config->port <= 0 || s_address(config, &address, &flags) != 0) {
        log_error("http: cannot serve on %s:%d", config->bind, config->port);
        http_destroy(&self);
        return NULL;
    }
    if (*config->trusted_proxy) {
        if (inet_pton(AF_INET, config->trusted_proxy, self->proxy) == 1)
            self->proxy_len = 4;
        else if (inet_pton(AF_INET6, config->trusted_proxy, self->proxy) == 1)
            self->proxy_len = 16;
        else {
            log_error("http: ESSP_TRUSTED_PROXY=%s is not an IPv4 or IPv6 address", config->trusted_proxy);
            http_destroy(&self);
            return NULL;
        }
    }
    s_raise_open_files(config->connections);
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
        MHD_OPTION_NOTIFY_CONNECTION, &s_connection, self,
        MHD_OPTION_URI_LOG_CALLBACK, &s_uri_log, self,
        MHD_OPTION_END);
    if (!self->daemon) {
        log_error("http: cannot bind %s:%d", config->bind, config->port);
        http_destroy(&self);
        return NULL;
    }
    if (pthread_create(&self->reaper, NULL, s_reaper, self) != 0) {
        log_error("http: cannot start the thread that enforces the deadlines");
        http_destroy(&self);
        return NULL;
    }
    self->reaper_running = true;
    log_info("http: serving on http://%s:%d/ (body max %zu bytes, %g requests/s per address, burst %g; "
             "head within %u s, body within %u s; %u connections, %u per address%s%s)",
             config->bind, config->port, config->body_max, config->rate, config->burst, config->head_timeout_s,
             config->body_timeout_s, config->connections, config->per_address,
             *config->trusted_proxy ? "; X-Real-IP trusted from " : "", config->trusted_proxy);
    return self;
}

void http_destroy(http_t **self_p)
{
    http_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stopping, true);
    if (self->reaper_running)
        pthread_join(self->reaper, NULL);
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    while (self->pool_count)
        zsock_destroy(&self->pool[--self->pool_count]);
    web_destroy(&self->web);
    ratelimit_destroy(&self->limits);
    ratelimit_destroy(&self->reissue_limits);
    pthread_mutex_destroy(&self->lock);
    pthread_mutex_destroy(&self->conn_lock);
    free(self);
    *self_p = NULL;
}
