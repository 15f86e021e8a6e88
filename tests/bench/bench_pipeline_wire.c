/*  tests/bench/bench_pipeline_wire.c - the pipeline's ids, sockets and
 *  messages: see bench_pipeline_parts.h. */
#include "bench_pipeline_parts.h"

#include "common/auth.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define S_PULL_MAX 1000          /* events asked for in one pull */

/* ------------------------------------------------------------------ ids */

static size_t s_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < PIPELINE_ID_LEN; i++)
        h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
    return (size_t)h;
}

void pipeline_remember(bench_pipeline_t *self, size_t index)
{
    size_t slot = s_hash(self->app[index].id) & self->slot_mask;
    while (self->slots[slot])
        slot = (slot + 1) & self->slot_mask;
    self->slots[slot] = (uint32_t)index + 1;
}

/*  The application with this id, or -1 (not yet receipted, or not ours). */
long pipeline_lookup(const bench_pipeline_t *self, const msgpack_object *id)
{
    if (!id || id->type != MSGPACK_OBJECT_STR || id->via.str.size != PIPELINE_ID_LEN)
        return -1;
    for (size_t slot = s_hash(id->via.str.ptr) & self->slot_mask; self->slots[slot];
         slot = (slot + 1) & self->slot_mask) {
        size_t index = self->slots[slot] - 1;
        if (memcmp(self->app[index].id, id->via.str.ptr, PIPELINE_ID_LEN) == 0)
            return (long)index;
    }
    return -1;
}

/* -------------------------------------------------------------- sockets */

/*  A DEALER that never drops nor blocks for a high-water mark, and takes
 *  replies up to the protocol's limit. */
static zsock_t *s_new_dealer(void)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert(sock);
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 0);
    zsock_set_rcvhwm(sock, 0);
    zsock_set_maxmsgsize(sock, PROTO_REPLY_MAX);
    return sock;
}

zsock_t *pipeline_dealer(const bench_pipeline_t *self, service_id_t service)
{
    char endpoint[CONFIG_ENDPOINT_MAX];
    bench_stack_endpoint(self->stack, service, endpoint, sizeof endpoint);
    zsock_t *sock = s_new_dealer();
    zsock_connect(sock, "%s", endpoint);
    return sock;
}

/*  A DEALER on service's authenticated endpoint with the key pair of
 *  role/name (written under the bench's ESSP_HOME); NULL without it. */
zsock_t *pipeline_secure_dealer(service_id_t service, const char *role, const char *name)
{
    zcert_t *cert = auth_load(role, name);
    if (!cert)
        return NULL;
    zsock_t *sock = s_new_dealer();
    int rc = auth_make_client(sock, cert, service);
    zcert_destroy(&cert);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_connect_endpoint(service, endpoint, sizeof endpoint);
    if (rc != 0 || zsock_connect(sock, "%s", endpoint) != 0)
        zsock_destroy(&sock);
    return sock;
}

void pipeline_begin(bench_pipeline_t *self)
{
    msgpack_sbuffer_clear(&self->buf);
}

int pipeline_send(bench_pipeline_t *self, zsock_t *sock)
{
    return zmq_send(zsock_resolve(sock), self->buf.data, self->buf.size, 0) < 0 ? -1 : 0;
}

int pipeline_staff_key(void)
{
    return auth_has_key(AUTH_ROLE_STAFF, "bench") ? 0 : auth_issue(AUTH_ROLE_STAFF, "bench");
}

/*  A reader of a stream: publication's anonymously, a private one (review's)
 *  with the staff key on the service's authenticated endpoint. */
void pipeline_reader_init(bench_pipeline_t *self, reader_t *reader, service_id_t service,
                          uint64_t cursor, uint32_t wait_ms)
{
    zsock_t *sock = auth_stream_is_public(service) ? pipeline_dealer(self, service)
        : pipeline_staff_key() == 0 ? pipeline_secure_dealer(service, AUTH_ROLE_STAFF, "bench") : NULL;
    if (!sock) {
        fprintf(stderr, "essp-bench: no staff key to read the %s stream\n", config_service_name(service));
        abort();
    }
    *reader = (reader_t){.sock = sock, .cursor = cursor, .wait_ms = wait_ms};
}

void pipeline_reader_pull(bench_pipeline_t *self, reader_t *reader)
{
    if (reader->in_flight)
        return;
    pipeline_begin(self);
    size_t omit = 0;
    while (reader->omit && reader->omit[omit])
        omit++;
    proto_pack_request(&self->pk, "pull", reader->cursor + 1, 3 + (omit > 0));
    proto_pack_kv_uint(&self->pk, "after", reader->cursor);
    proto_pack_kv_uint(&self->pk, "max", S_PULL_MAX);
    proto_pack_kv_uint(&self->pk, "wait", reader->wait_ms);
    if (omit) {
        proto_pack_str(&self->pk, "omit");
        msgpack_pack_array(&self->pk, omit);
        for (size_t i = 0; i < omit; i++)
            proto_pack_str(&self->pk, reader->omit[i]);
    }
    reader->in_flight = pipeline_send(self, reader->sock) == 0;
}

/*  Receives one message without waiting: 1 and *obj decoded into the
 *  pipeline's zone, 0 when none is ready, -1 on garbage.  The message
 *  stays valid until the next call (the zone and msg are reused). */
int pipeline_recv(bench_pipeline_t *self, zsock_t *sock, zmq_msg_t *msg, msgpack_object *obj)
{
    zmq_msg_close(msg);
    zmq_msg_init(msg);
    if (zmq_msg_recv(msg, zsock_resolve(sock), ZMQ_DONTWAIT) < 0)
        return 0;
    msgpack_zone_clear(&self->zone);
    size_t offset = 0;
    if (msgpack_unpack(zmq_msg_data(msg), zmq_msg_size(msg), &offset, &self->zone, obj)
        != MSGPACK_UNPACK_SUCCESS) {
        fprintf(stderr, "essp-bench: an undecodable reply\n");
        return -1;
    }
    return 1;
}

/*  Waits for the one reply to a request sent on sock (at most 10 s). */
int pipeline_wait_reply(bench_pipeline_t *self, zsock_t *sock, zmq_msg_t *msg, msgpack_object *reply)
{
    zpoller_t *poller = zpoller_new(sock, NULL);
    void *ready = zpoller_wait(poller, 10000);
    zpoller_destroy(&poller);
    return ready ? pipeline_recv(self, sock, msg, reply) : -1;
}

int pipeline_refused(const char *what, const msgpack_object *reply)
{
    char code[32] = "", message[PROTO_MESSAGE_MAX] = "";
    doc_strcpy(reply, "code", code, sizeof code);
    doc_strcpy(reply, "message", message, sizeof message);
    fprintf(stderr, "essp-bench: %s refused: %s: %s\n", what, code, message);
    return -1;
}
