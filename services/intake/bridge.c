/*  services/intake/bridge.c - see bridge.h. */
#include "bridge.h"

#include "intake.h"

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
    if (self->pool_count < REQUEST_POOL_MAX) {
        self->pool[self->pool_count++] = socket;
        socket = NULL;
    }
    pthread_mutex_unlock(&self->lock);
    zsock_destroy(&socket);
}

void bridge_reply_free(reply_t *reply)
{
    if (reply->bytes)
        msgpack_zone_destroy(&reply->zone);
    free(reply->bytes);
    reply->bytes = NULL;
}

/*  Sends one request to the core and waits for its reply: the one with
 *  the same rid, or an error without rid (a request the core could not
 *  read).  See bridge.h for what it returns. */
int bridge_core_call(http_t *self, const msgpack_sbuffer *request, uint64_t rid, int timeout_ms,
                     reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    zsock_t *socket = s_socket_take(self);
    if (!socket)
        return BRIDGE_UNSENT;
    void *handle = zsock_resolve(socket);
    if (zmq_send(handle, request->data, request->size, 0) < 0) {
        zsock_destroy(&socket);
        return BRIDGE_UNSENT;
    }
    int64_t deadline = request_now_ms() + timeout_ms;
    for (;;) {
        zmq_pollitem_t item = {handle, 0, ZMQ_POLLIN, 0};
        int64_t left = deadline - request_now_ms();
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
        if (wire_decode_reply(reply->bytes, size, &reply->zone, &reply->msg, &err) == 0
            && reply->msg.type == MSGPACK_OBJECT_MAP) {
            bool has_rid = doc_uint(&reply->msg, "rid", &got);
            /* The socket carries one request at a time (a socket that
             * timed out is never reused), so an error without rid is the
             * answer to this one: the core could not read its rid. */
            if ((has_rid && got == rid) || (!has_rid && bridge_reply_is(reply, "error"))) {
                s_socket_give(self, socket);
                return 0;
            }
        }
        bridge_reply_free(reply);     /* not ours: keep waiting */
    }
    zsock_destroy(&socket);
    return BRIDGE_UNANSWERED;
}

enum MHD_Result bridge_refuse(struct MHD_Connection *c, request_t *r, int rc)
{
    if (rc == BRIDGE_UNANSWERED)
        return request_refuse_unanswered(c, r);
    return request_refuse(c, r, 503, "unavailable", "Retry-After", "1");
}

uint64_t bridge_next_rid(http_t *self)
{
    return atomic_fetch_add(&self->rid, 1) + 1;
}

bool bridge_reply_is(const reply_t *reply, const char *type)
{
    return doc_str_eq(&reply->msg, "type", type);
}

void bridge_pack_init(msgpack_sbuffer *buf, msgpack_packer *pk)
{
    msgpack_sbuffer_init(buf);
    msgpack_packer_init(pk, buf, msgpack_sbuffer_write);
}

/*  A token of the wrong shape (length, characters, bytes that are not
 *  UTF-8) is no token of ours: the core gets one that matches nothing, so
 *  the answer is the same as for a wrong token. */
void bridge_pack_token(msgpack_packer *pk, const char *token)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strnlen(token, INTAKE_TOKEN_CHARS + 1);
    if (len != INTAKE_TOKEN_CHARS || strspn(token, alphabet) != len)
        token = "-";
    proto_pack_kv_str(pk, "token", token);
}

/*  Asks the core for the status of r->id with the token (and the
 *  application); 0 and the reply, or as bridge_core_call. */
int bridge_fetch_status(http_t *self, const char *id, const char *token, reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    bridge_pack_init(&buf, &pk);
    uint64_t rid = bridge_next_rid(self);
    proto_pack_request(&pk, "status", rid, 3);
    proto_pack_kv_str(&pk, "id", id);
    bridge_pack_token(&pk, token);
    proto_pack_kv_bool(&pk, "with_application", true);
    int rc = bridge_core_call(self, &buf, rid, self->config.core_timeout_ms, reply);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/*  Sends an appeal of r->id to the core: 0 with its reply, or as
 *  bridge_core_call. */
int bridge_send_appeal(http_t *self, const char *id, const char *token, const char *motivation,
                       const char *key, reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    bridge_pack_init(&buf, &pk);
    uint64_t rid = bridge_next_rid(self);
    proto_pack_request(&pk, "appeal", rid, proto_entries(3, key));
    proto_pack_kv_str(&pk, "id", id);
    bridge_pack_token(&pk, token);
    proto_pack_kv_str(&pk, "motivation", motivation);
    if (key)
        proto_pack_kv_str(&pk, "key", key);
    int rc = bridge_core_call(self, &buf, rid, self->config.core_timeout_ms, reply);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}
