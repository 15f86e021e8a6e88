/*  common/health.h - whether a service is ready, and what it waits for.
 *
 *  Said from the figures of common/metrics.h, so that the `health` request
 *  (answered by the shell on the service's ROUTER), the metrics port's
 *  /healthz and the HTTP front ends' /healthz tell the same facts:
 *    ready     nothing below is waited for;
 *    waiting   one line per thing in the way, e.g.
 *              "following validation: not answered since 12 s",
 *              "producer key keys/intake.cert missing",
 *              "stopped: rewind of review (head 12 < cursor 40)";
 *    streams   every stream followed: producer, cursor, head, lag, rewound.
 */
#ifndef ESSP_COMMON_HEALTH_H
#define ESSP_COMMON_HEALTH_H

#include "metrics.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEALTH_LINE_MAX 256
#define HEALTH_WAITING_MAX (2 * METRICS_STREAMS_MAX)
/*  A producer answers a held pull at least every second (its wait): this
 *  long without an answer means it is stopped, gone or unreachable. */
#define HEALTH_SILENCE_MS 5000

/*  The lines of what s's service waits for at now_ms (monotonic); 0 when
 *  it is ready. */
size_t health_waiting(const metrics_snapshot_t *s, int64_t now_ms, char lines[][HEALTH_LINE_MAX], size_t max);

/*  Packs the reply `health` (proto/README.md section 5.1):
 *  {service, ready, head, waiting: [line...], streams: [{producer,
 *  cursor, head, lag, rewound, silence_ms}...]}. */
void health_pack(const metrics_snapshot_t *s, int64_t now_ms, msgpack_packer *pk, bool has_rid, uint64_t rid);

/*  The same reply (without rid) as JSON text, malloc'd (release with
 *  free); *ready set. */
char *health_json(const metrics_snapshot_t *s, int64_t now_ms, bool *ready);

/*  The body of an HTTP front end's /healthz (intake's gateway, the
 *  desk's site) from the reply its core gave to a `health` request sent
 *  in process (NULL when none came in time): that reply as JSON without
 *  "v" and "rid", plus "status" ("ok" when ready, "not_ready", or
 *  "unavailable" when the core did not answer).  malloc'd; *ready set:
 *  the front end answers 200 when ready, else 503. */
char *health_reply_json(const msgpack_object *reply, const char *service, bool *ready);

#endif
