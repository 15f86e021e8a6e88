/*  services/desk/client.c - the desk's two kinds of call: to its own core
 *  in process (site_core_call, site_impl.h), and to review or intake as
 *  the logged-in person (desk_call, site.h). */
#include "site_impl.h"

#include "person_links.h"

#include "common/auth.h"
#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <assert.h>
#include <string.h>
#include <time.h>

static atomic_uint_fast64_t s_rid;

uint64_t desk_next_rid(void)
{
    return atomic_fetch_add(&s_rid, 1) + 1;
}

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void desk_reply_free(desk_reply_t *reply)
{
    if (reply->bytes)
        msgpack_zone_destroy(&reply->zone);
    free(reply->bytes);
    reply->bytes = NULL;
}

bool desk_reply_is(const desk_reply_t *reply, const char *type)
{
    return reply->bytes && doc_str_eq(&reply->msg, "type", type);
}

/*  Waits on socket for the reply with rid (or an error without rid: the
 *  answer to the one request the socket carries).  0 or -1. */
static int s_wait_reply(void *handle, uint64_t rid, int timeout_ms, const atomic_bool *stopping, desk_reply_t *reply)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    for (;;) {
        zmq_pollitem_t item = {handle, 0, ZMQ_POLLIN, 0};
        int64_t left = deadline - s_now_ms();
        if (left <= 0 || zmq_poll(&item, 1, left < 100 ? left : 100) < 0)
            return -1;
        if (!(item.revents & ZMQ_POLLIN)) {
            if (stopping && atomic_load(stopping))
                return -1;
            continue;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, handle, 0) < 0) {
            zmq_msg_close(&msg);
            return -1;
        }
        size_t size = zmq_msg_size(&msg);
        reply->bytes = malloc(size + 1);
        assert(reply->bytes);
        memcpy(reply->bytes, zmq_msg_data(&msg), size);
        zmq_msg_close(&msg);
        msgpack_zone_init(&reply->zone, 4096);
        proto_error_t err;
        uint64_t got = 0;
        if (wire_decode_reply(reply->bytes, size, &reply->zone, &reply->msg, &err) == 0
            && reply->msg.type == MSGPACK_OBJECT_MAP) {
            bool has_rid = doc_uint(&reply->msg, "rid", &got);
            if ((has_rid && got == rid) || (!has_rid && desk_reply_is(reply, "error")))
                return 0;
        }
        desk_reply_free(reply);
    }
}

/* ------------------------------------------------------- the desk's core */

static zsock_t *s_take(desk_site_t *site)
{
    zsock_t *socket = NULL;
    pthread_mutex_lock(&site->lock);
    if (site->pool_count)
        socket = site->pool[--site->pool_count];
    pthread_mutex_unlock(&site->lock);
    if (!socket) {
        socket = zsock_new(ZMQ_DEALER);
        assert(socket);
        zsock_set_linger(socket, 0);
        zsock_set_maxmsgsize(socket, PROTO_REPLY_MAX);
        if (zsock_connect(socket, "%s", site->inproc) < 0)
            zsock_destroy(&socket);
    }
    return socket;
}

static void s_give(desk_site_t *site, zsock_t *socket)
{
    pthread_mutex_lock(&site->lock);
    if (site->pool_count < SITE_POOL_MAX) {
        site->pool[site->pool_count++] = socket;
        socket = NULL;
    }
    pthread_mutex_unlock(&site->lock);
    zsock_destroy(&socket);
}

int site_core_call(desk_site_t *site, const msgpack_sbuffer *request, uint64_t rid, desk_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    zsock_t *socket = s_take(site);
    if (!socket)
        return -1;
    void *handle = zsock_resolve(socket);
    if (zmq_send(handle, request->data, request->size, 0) < 0
        || s_wait_reply(handle, rid, site->core_timeout_ms, &site->stopping, reply) != 0) {
        /* A late reply must never be read as another request's. */
        zsock_destroy(&socket);
        reply->problem = "Le service du comité ne répond pas pour l'instant. Réessayez dans une minute ; "
                         "si cela dure, prévenez l'équipe.";
        return -1;
    }
    s_give(site, socket);
    return 0;
}

void site_core_begin(desk_site_t *site, msgpack_sbuffer *buf, msgpack_packer *pk, const char *type, size_t fields,
                     uint64_t *rid)
{
    msgpack_sbuffer_init(buf);
    msgpack_packer_init(pk, buf, msgpack_sbuffer_write);
    *rid = desk_next_rid();
    proto_pack_request(pk, type, *rid, fields + 1);
    proto_pack_str(pk, "inproc");
    msgpack_pack_bin(pk, 32);
    msgpack_pack_bin_body(pk, site->inproc_key, 32);
}

/* ------------------------------------------- review and intake, as the person */

/*  A new CURVE connection to service with the person's key pair, or NULL. */
static zsock_t *s_connect_as(const session_secrets_t *secrets, service_id_t service)
{
    zcert_t *cert = zcert_new_from(secrets->public_key, secrets->secret_key);
    zsock_t *socket = zsock_new(ZMQ_DEALER);
    assert(socket && cert);
    zsock_set_linger(socket, 0);
    zsock_set_maxmsgsize(socket, PROTO_REPLY_MAX);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_connect_endpoint(service, endpoint, sizeof endpoint);
    if (auth_make_client(socket, cert, service) != 0 || zsock_connect(socket, "%s", endpoint) != 0)
        zsock_destroy(&socket);
    zcert_destroy(&cert);
    return socket;
}

int desk_call(desk_request_t *req, service_id_t service, const msgpack_sbuffer *request, desk_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    session_secrets_t secrets;
    if (!req->session.has_keys || !session_keys_get(req->session.id_hash, &secrets)) {
        reply->problem = "Votre session ne permet plus d'agir en votre nom. Déconnectez-vous puis "
                         "reconnectez-vous.";
        return -1;
    }
    int rc = -1;
    uint64_t rid = 0;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object head;
    proto_error_t err;
    /* The rid is the one the caller packed: read it back. */
    if (wire_decode_reply(request->data, request->size, &zone, &head, &err) == 0)
        doc_uint(&head, "rid", &rid);
    msgpack_zone_destroy(&zone);
    zsock_t *socket = person_links_take(req->session.id_hash, service, s_now_ms());
    if (!socket)
        socket = s_connect_as(&secrets, service);
    sodium_memzero(&secrets, sizeof secrets);
    if (socket && zmq_send(zsock_resolve(socket), request->data, request->size, 0) >= 0)
        rc = s_wait_reply(zsock_resolve(socket), rid, req->site->call_timeout_ms, &req->site->stopping, reply);
    if (rc == 0)
        person_links_give(req->session.id_hash, service, &socket, s_now_ms());
    zsock_destroy(&socket);
    if (rc != 0) {
        log_warn("desk: %s did not answer %s in time", config_service_name(service), req->session.name);
        reply->problem = service == SERVICE_INTAKE
                             ? "Le service des candidatures ne répond pas pour l'instant. Réessayez dans une "
                               "minute ; si cela dure, prévenez l'équipe."
                             : "Le service du comité ne répond pas pour l'instant. Réessayez dans une minute ; "
                               "si cela dure, prévenez l'équipe.";
    }
    return rc;
}
