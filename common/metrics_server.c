/*  common/metrics_server.c - see metrics_server.h. */
#include "metrics_server.h"

#include "health.h"
#include "log.h"

#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct metrics_server_t {
    metrics_t *metrics;
    struct MHD_Daemon *daemon;
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result s_send(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                              size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result s_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return s_send(c, status, "text/plain; charset=utf-8", strdup(text), strlen(text));
}

static enum MHD_Result s_metrics(metrics_server_t *self, struct MHD_Connection *c)
{
    /* The snapshot is large: on the heap, not on this thread's stack. */
    metrics_snapshot_t *s = malloc(sizeof *s);
    assert(s);
    metrics_read(self->metrics, s);
    char *body = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&body, &len);
    assert(out);
    metrics_write_text(s, out);
    fclose(out);
    free(s);
    return s_send(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

static enum MHD_Result s_health(metrics_server_t *self, struct MHD_Connection *c)
{
    metrics_snapshot_t *s = malloc(sizeof *s);
    assert(s);
    metrics_read(self->metrics, s);
    bool ready = false;
    char *body = health_json(s, s_now_ms(), &ready);
    free(s);
    if (!body)
        return s_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot write the health\n");
    return s_send(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", body, strlen(body));
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                const char *version, const char *upload_data, size_t *upload_data_size,
                                void **con_cls)
{
    (void)version;
    (void)upload_data;
    metrics_server_t *self = cls;
    /* A body is never wanted: the first call (head only) answers. */
    if (*upload_data_size)
        *upload_data_size = 0;
    (void)con_cls;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (strcmp(url, "/metrics") != 0 && strcmp(url, "/healthz") != 0)
        return s_text(c, MHD_HTTP_NOT_FOUND, "not found: /metrics and /healthz only\n");
    if (!get)
        return s_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");
    return strcmp(url, "/metrics") == 0 ? s_metrics(self, c) : s_health(self, c);
}

static void s_logger(void *cls, const char *format, va_list args)
{
    (void)cls;
    char line[256];
    vsnprintf(line, sizeof line, format, args);
    size_t len = strlen(line);
    while (len && line[len - 1] == '\n')
        line[--len] = '\0';
    log_warn("metrics http: %s", line);
}

metrics_server_t *metrics_server_new(metrics_t *metrics, const char *bind, int port)
{
    struct sockaddr_storage address;
    memset(&address, 0, sizeof address);
    struct sockaddr_in *in = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (port > 0 && inet_pton(AF_INET, bind, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
    } else if (port > 0 && inet_pton(AF_INET6, bind, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        log_error("metrics: cannot serve on %s:%d (ESSP_METRICS_BIND must be an IPv4 or IPv6 address)", bind,
                  port);
        return NULL;
    }
    metrics_server_t *self = calloc(1, sizeof *self);
    assert(self);
    self->metrics = metrics;
    /* Few clients (Prometheus, an operator's curl): a handful of
     * connections, and no slow one may hold the thread for long. */
    self->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, &s_access, self,
                                    MHD_OPTION_EXTERNAL_LOGGER, &s_logger, self,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                                    MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                                    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                    MHD_OPTION_END);
    if (!self->daemon) {
        log_error("metrics: cannot bind %s:%d", bind, port);
        free(self);
        return NULL;
    }
    log_info("metrics and health on http://%s%s%s:%d/metrics", flags & MHD_USE_IPv6 ? "[" : "", bind,
             flags & MHD_USE_IPv6 ? "]" : "", port);
    return self;
}

void metrics_server_destroy(metrics_server_t **self_p)
{
    assert(self_p);
    metrics_server_t *self = *self_p;
    if (!self)
        return;
    MHD_stop_daemon(self->daemon);
    free(self);
    *self_p = NULL;
}
