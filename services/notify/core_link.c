/*  services/notify/core_link.c - see core_link.h. */
#include "core_link.h"

#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct core_link_t {
    char endpoint[256];
    const atomic_bool *stopping;
    zsock_t *dealer;
    uint64_t rid;
};

static zsock_t *s_connect(const char *endpoint)
{
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    assert(dealer);
    zsock_set_linger(dealer, 0);
    zsock_set_maxmsgsize(dealer, PROTO_REPLY_MAX);
    if (zsock_connect(dealer, "%s", endpoint) < 0)
        zsock_destroy(&dealer);
    return dealer;
}

core_link_t *core_link_new(const char *endpoint, const atomic_bool *stopping)
{
    core_link_t *self = calloc(1, sizeof *self);
    assert(self);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->stopping = stopping;
    self->rid = 1;
    return self;
}

void core_link_destroy(core_link_t **self_p)
{
    assert(self_p);
    core_link_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->dealer);
    free(self);
    *self_p = NULL;
}

void core_request_init(core_link_t *self, core_request_t *request, const char *type, size_t fields)
{
    msgpack_sbuffer_init(&request->buf);
    msgpack_packer_init(&request->pk, &request->buf, msgpack_sbuffer_write);
    request->rid = self->rid++;
    proto_pack_request(&request->pk, type, request->rid, fields);
}

void core_reply_free(core_reply_t *reply)
{
    if (reply->bytes)
        msgpack_zone_destroy(&reply->zone);
    free(reply->bytes);
    reply->bytes = NULL;
}

/*  The reply in msg, decoded into *reply when it answers rid: 1, else 0
 *  (a stale reply to a request that timed out is dropped). */
static int s_take(zmq_msg_t *msg, uint64_t rid, core_reply_t *reply)
{
    size_t size = zmq_msg_size(msg);
    reply->bytes = malloc(size + 1);
    assert(reply->bytes);
    memcpy(reply->bytes, zmq_msg_data(msg), size);
    msgpack_zone_init(&reply->zone, 4096);
    proto_error_t err;
    uint64_t got = 0;
    if (wire_decode_reply(reply->bytes, size, &reply->zone, &reply->msg, &err) == 0
        && reply->msg.type == MSGPACK_OBJECT_MAP) {
        bool has_rid = doc_uint(&reply->msg, "rid", &got);
        /* One request at a time per socket: an error without rid is the
         * answer to this one (the core could not read its rid). */
        if ((has_rid && got == rid) || (!has_rid && doc_str_eq(&reply->msg, "type", "error")))
            return 1;
    }
    core_reply_free(reply);
    return 0;
}

static int s_refused(core_reply_t *reply, const char *type)
{
    char code[32] = "", field[64] = "", rule[64] = "", message[256] = "";
    doc_strcpy(&reply->msg, "code", code, sizeof code);
    doc_strcpy(&reply->msg, "field", field, sizeof field);
    doc_strcpy(&reply->msg, "rule", rule, sizeof rule);
    doc_strcpy(&reply->msg, "message", message, sizeof message);
    log_error("notify: the core refused %s: %s (field %s, rule %s): %s", type, code, field, rule,
              message);
    core_reply_free(reply);
    return 1;
}

int core_link_call(core_link_t *self, core_request_t *request, int timeout_ms, core_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    char type[64] = "";
    msgpack_zone scratch;
    msgpack_zone_init(&scratch, 512);
    msgpack_object req;
    proto_error_t err;
    if (wire_decode(request->buf.data, request->buf.size, &scratch, &req, &err) == 0)
        doc_strcpy(&req, "type", type, sizeof type);
    msgpack_zone_destroy(&scratch);
    if (!self->dealer)
        self->dealer = s_connect(self->endpoint);
    int rc = -1;
    void *handle = self->dealer ? zsock_resolve(self->dealer) : NULL;
    if (handle && zmq_send(handle, request->buf.data, request->buf.size, 0) >= 0) {
        int64_t deadline = zclock_mono() + timeout_ms;
        while (rc < 0 && !atomic_load(self->stopping)) {
            int64_t left = deadline - zclock_mono();
            zmq_pollitem_t item = {handle, 0, ZMQ_POLLIN, 0};
            if (left <= 0 || zmq_poll(&item, 1, left < 100 ? left : 100) < 0)
                break;
            if (!(item.revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, handle, 0) >= 0 && s_take(&msg, request->rid, reply))
                rc = doc_str_eq(&reply->msg, "type", "error") ? s_refused(reply, type) : 0;
            zmq_msg_close(&msg);
        }
    }
    if (rc < 0)
        zsock_destroy(&self->dealer);
    msgpack_sbuffer_destroy(&request->buf);
    return rc;
}
