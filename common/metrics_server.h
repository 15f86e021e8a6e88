/*  common/metrics_server.h - a service's metrics and health over HTTP.
 *
 *  A small libmicrohttpd daemon, one thread of its own, started by the
 *  service shell on config_metrics_bind():config_metrics_port(service):
 *    GET /metrics   the last published snapshot (metrics_read) in
 *                   Prometheus' text format 0.0.4
 *    GET /healthz   health_json of the same snapshot: 200 when ready,
 *                   503 when not
 *  Anything else is 404 (405 for another method).  It reads the snapshot
 *  under metrics.h's mutex, never the loop's live figures.
 */
#ifndef ESSP_COMMON_METRICS_SERVER_H
#define ESSP_COMMON_METRICS_SERVER_H

#include "metrics.h"

typedef struct metrics_server_t metrics_server_t;

/*  Listens on bind:port; NULL (logged) when it cannot. */
metrics_server_t *metrics_server_new(metrics_t *metrics, const char *bind, int port);
void metrics_server_destroy(metrics_server_t **self_p);

#endif
