/*  services/mirror/follow.c - see follow.h. */
#include "follow.h"

#include "proto/doc.h"
#include "common/log.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <assert.h>

struct follow_t {
    char endpoint[256];
    zsock_t *dealer;
    uint32_t timeout_ms;
    unsigned tries;
    uint64_t rid;
};

static void s_connect(follow_t *self)
{
    zsock_destroy(&self->dealer);
    self->dealer = zsock_new(ZMQ_DEALER);
    assert(self->dealer);
    zsock_set_maxmsgsize(self->dealer, PROTO_REPLY_MAX);
    zsock_set_linger(self->dealer, 0);
    if (zsock_connect(self->dealer, "%s", self->endpoint) != 0)
        log_error("cannot connect to %s", self->endpoint);
}

follow_t *follow_new(const char *endpoint, uint32_t timeout_ms, unsigned tries)
{
    follow_t *self = calloc(1, sizeof *self);
    assert(self);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->timeout_ms = timeout_ms;
    self->tries = tries;
    s_connect(self);
    return self;
}

void follow_destroy(follow_t **self_p)
{
    assert(self_p);
    follow_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->dealer);
    free(self);
    *self_p = NULL;
}

void follow_reply_release(follow_reply_t *reply)
{
    zframe_destroy(&reply->frame);
    msgpack_zone_destroy(&reply->zone);
}

/*  Waits for the reply to `rid` until deadline; 1 with it decoded, 0 on
 *  silence, -1 when interrupted. */
static int s_await(follow_t *self, uint64_t rid, int64_t deadline, follow_reply_t *reply)
{
    zpoller_t *poller = zpoller_new(self->dealer, NULL);
    int found = 0;
    while (!found && !zsys_interrupted) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0 || !zpoller_wait(poller, (int)left))
            break;
        zframe_t *frame = zframe_recv(self->dealer);
        if (!frame)
            break;
        msgpack_zone_clear(&reply->zone);
        proto_error_t err;
        uint64_t got = 0;
        if (wire_decode_reply(zframe_data(frame), zframe_size(frame), &reply->zone, &reply->msg, &err) == 0
            && doc_uint(&reply->msg, "rid", &got) && got == rid) {
            reply->frame = frame;
            found = 1;
        } else {
            zframe_destroy(&frame);   /* a late answer to an earlier request */
        }
    }
    zpoller_destroy(&poller);
    return found ? 1 : zsys_interrupted ? -1 : 0;
}

static int s_call(follow_t *self, msgpack_sbuffer *request, uint64_t rid, uint32_t wait_ms,
                  follow_reply_t *reply)
{
    reply->frame = NULL;
    msgpack_zone_init(&reply->zone, 65536);
    for (unsigned attempt = 0; !zsys_interrupted && (self->tries == 0 || attempt < self->tries);
         attempt++) {
        zframe_t *frame = zframe_new(request->data, request->size);
        zframe_send(&frame, self->dealer, 0);
        int rc = s_await(self, rid, zclock_mono() + wait_ms + self->timeout_ms, reply);
        if (rc == 1) {
            if (doc_str_eq(&reply->msg, "type", "error")) {
                char message[PROTO_MESSAGE_MAX];
                doc_strcpy(&reply->msg, "message", message, sizeof message);
                log_error("%s refused the request: %s", self->endpoint, message);
                follow_reply_release(reply);
                return -1;
            }
            return 0;
        }
        if (rc < 0)
            break;
        log_warn("%s does not answer; asking again", self->endpoint);
        s_connect(self);
    }
    follow_reply_release(reply);
    return -1;
}

int follow_hello(follow_t *self, follow_reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    uint64_t rid = ++self->rid;
    proto_pack_request(&pk, "hello", rid, 0);
    int rc = s_call(self, &buf, rid, 0, reply);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

int follow_pull(follow_t *self, uint64_t after, size_t max, uint32_t wait_ms,
                follow_reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    uint64_t rid = ++self->rid;
    proto_pack_request(&pk, "pull", rid, 3);
    proto_pack_kv_uint(&pk, "after", after);
    proto_pack_kv_uint(&pk, "max", max);
    proto_pack_kv_uint(&pk, "wait", wait_ms);
    int rc = s_call(self, &buf, rid, wait_ms, reply);
    msgpack_sbuffer_destroy(&buf);
    if (rc == 0 && !doc_str_eq(&reply->msg, "type", "batch")) {
        log_error("%s answered a pull with something else than a batch", self->endpoint);
        follow_reply_release(reply);
        rc = -1;
    }
    return rc;
}
