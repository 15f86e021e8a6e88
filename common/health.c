/*  common/health.c - see health.h. */
#include "health.h"

#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/*  Milliseconds since stream m's producer last answered (since the start
 *  when it never did). */
static int64_t s_silence_ms(const metrics_snapshot_t *s, const metrics_stream_t *m, int64_t now_ms)
{
    int64_t since = m->answered_ms ? m->answered_ms : s->started_ms;
    return now_ms > since ? now_ms - since : 0;
}

size_t health_waiting(const metrics_snapshot_t *s, int64_t now_ms, char lines[][HEALTH_LINE_MAX], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->stream_count && n < max; i++) {
        const metrics_stream_t *m = &s->streams[i];
        int64_t silence = s_silence_ms(s, m, now_ms);
        if (m->rewound && m->head < m->cursor)
            snprintf(lines[n++], HEALTH_LINE_MAX, "stopped: rewind of %s (head %llu < cursor %llu)", m->producer,
                     (unsigned long long)m->head, (unsigned long long)m->cursor);
        else if (m->rewound)   /* the head passed the cursor again, with other events */
            snprintf(lines[n++], HEALTH_LINE_MAX, "stopped: rewind of %s (its event at cursor %llu is another)",
                     m->producer, (unsigned long long)m->cursor);
        else if (m->key_missing)
            snprintf(lines[n++], HEALTH_LINE_MAX, "producer key keys/%s.cert missing", m->producer);
        else if (m->unlinked && m->keyed)
            snprintf(lines[n++], HEALTH_LINE_MAX,
                     "following %s: no connection for %lld s (%s down, or not admitting "
                     "keys/allowed/service-%s.cert)",
                     m->producer, (long long)(silence / 1000), m->producer, s->service);
        else if (m->unlinked)
            snprintf(lines[n++], HEALTH_LINE_MAX, "following %s: no connection for %lld s (%s down or unreachable)",
                     m->producer, (long long)(silence / 1000), m->producer);
        else if (!m->answered_ms)
            snprintf(lines[n++], HEALTH_LINE_MAX, "following %s: no answer yet (started %lld s ago)", m->producer,
                     (long long)(silence / 1000));
        else if (silence > HEALTH_SILENCE_MS)
            snprintf(lines[n++], HEALTH_LINE_MAX, "following %s: not answered since %lld s", m->producer,
                     (long long)(silence / 1000));
    }
    return n;
}

static void s_pack_stream(const metrics_snapshot_t *s, const metrics_stream_t *m, int64_t now_ms,
                          msgpack_packer *pk)
{
    msgpack_pack_map(pk, 6);
    proto_pack_kv_str(pk, "producer", m->producer);
    proto_pack_kv_uint(pk, "cursor", m->cursor);
    proto_pack_kv_uint(pk, "head", m->head);
    proto_pack_kv_uint(pk, "lag", m->head > m->cursor ? m->head - m->cursor : 0);
    proto_pack_kv_bool(pk, "rewound", m->rewound);
    proto_pack_kv_uint(pk, "silence_ms", (uint64_t)s_silence_ms(s, m, now_ms));
}

void health_pack(const metrics_snapshot_t *s, int64_t now_ms, msgpack_packer *pk, bool has_rid, uint64_t rid)
{
    char lines[HEALTH_WAITING_MAX][HEALTH_LINE_MAX];
    size_t n = health_waiting(s, now_ms, lines, HEALTH_WAITING_MAX);
    proto_pack_reply(pk, "health", has_rid, rid, 5);
    proto_pack_kv_str(pk, "service", s->service);
    proto_pack_kv_bool(pk, "ready", n == 0);
    proto_pack_kv_uint(pk, "head", s->head);
    proto_pack_str(pk, "waiting");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        proto_pack_str(pk, lines[i]);
    proto_pack_str(pk, "streams");
    msgpack_pack_array(pk, s->stream_count);
    for (size_t i = 0; i < s->stream_count; i++)
        s_pack_stream(s, &s->streams[i], now_ms, pk);
}

char *health_json(const metrics_snapshot_t *s, int64_t now_ms, bool *ready)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    health_pack(s, now_ms, &pk, false, 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object reply;
    char *text = NULL;
    *ready = false;
    if (msgpack_unpack(buf.data, buf.size, NULL, &zone, &reply) == MSGPACK_UNPACK_SUCCESS) {
        *ready = doc_bool(&reply, "ready", false);
        text = json_codec_dump(&reply, false);
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return text;
}

char *health_reply_json(const msgpack_object *reply, const char *service, bool *ready)
{
    json_t *body = NULL;
    *ready = false;
    if (reply && doc_str_eq(reply, "type", "health"))
        body = json_codec_from_object(reply);
    if (body) {
        *ready = doc_bool(reply, "ready", false);
        json_object_del(body, "v");
        json_object_del(body, "rid");
        json_object_set_new(body, "status", json_string(*ready ? "ok" : "not_ready"));
    } else {
        body = json_pack("{s:s, s:s, s:b, s:[s]}", "status", "unavailable", "service", service, "ready", 0,
                         "waiting", "the service's core did not answer the health request in time");
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}
