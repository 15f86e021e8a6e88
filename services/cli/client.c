/*  services/cli/client.c - see client.h. */
#include "client.h"

#include "output.h"

#include "common/auth.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

uint64_t client_next_rid(void)
{
    static uint64_t rid;
    if (rid == 0)
        rid = ((uint64_t)getpid() << 20) + 1;
    return rid++;
}

/*  The key pair for the authenticated endpoints (review's, intake's,
 *  validation's), once chosen. */
static zcert_t *s_key;

int client_use_key(void *cert)
{
    zcert_destroy(&s_key);
    s_key = cert;
    return 0;
}

static bool s_secure(service_id_t service, bool plain)
{
    return !plain && s_key && service != SERVICE_PUBLICATION;
}

static void s_endpoint(service_id_t service, bool secure, char *endpoint, size_t cap)
{
    if (secure)
        config_secure_connect_endpoint(service, endpoint, cap);
    else
        config_connect_endpoint(service, endpoint, cap);
}

/*  The service's public key must be there before a CURVE handshake can
 *  start: without it, say so rather than "does not answer". */
static bool s_server_key_missing(service_id_t service)
{
    char path[CONFIG_PATH_MAX];
    auth_key_path("", config_service_name(service), ".cert", path, sizeof path);
    if (access(path, R_OK) == 0)
        return false;
    fprintf(stderr, "essp: no %s service key at %s (start the stack: deploy/up)\n",
            config_service_name(service), path);
    return true;
}

static zsock_t *s_connect(service_id_t service, bool secure)
{
    char endpoint[CONFIG_ENDPOINT_MAX];
    s_endpoint(service, secure, endpoint, sizeof endpoint);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    if (!dealer)
        return NULL;
    if (secure && auth_make_client(dealer, s_key, service) != 0) {
        zsock_destroy(&dealer);
        return NULL;
    }
    zsock_set_maxmsgsize(dealer, PROTO_REPLY_MAX);
    zsock_set_linger(dealer, 0);
    if (zsock_connect(dealer, "%s", endpoint) != 0) {
        zsock_destroy(&dealer);
        return NULL;
    }
    return dealer;
}

static void s_report_error(const msgpack_object *msg)
{
    char code[32] = "", field[PROTO_FIELD_MAX] = "", rule[PROTO_RULE_MAX] = "",
         message[PROTO_MESSAGE_MAX] = "";
    doc_strcpy(msg, "code", code, sizeof code);
    doc_strcpy(msg, "field", field, sizeof field);
    doc_strcpy(msg, "rule", rule, sizeof rule);
    doc_strcpy(msg, "message", message, sizeof message);
    if (*field)
        fprintf(stderr, "essp: %s: %s (field %s, rule %s)\n", code, message, field, rule);
    else
        fprintf(stderr, "essp: %s: %s (rule %s)\n", code, message, rule);
}

/*  Waits for the reply to rid on dealer.  Each try has a socket of its own,
 *  so a late reply to an earlier try never arrives here: a resent request
 *  is answered by the service's own idempotency (key, vote replay). */
static int s_await(zsock_t *dealer, uint64_t rid, int timeout_ms, reply_t *reply)
{
    zpoller_t *poller = zpoller_new(dealer, NULL);
    int64_t deadline = zclock_mono() + timeout_ms;
    int rc = EXIT_UNREACHABLE;
    while (rc == EXIT_UNREACHABLE && zclock_mono() < deadline && !zsys_interrupted) {
        if (!zpoller_wait(poller, (int)(deadline - zclock_mono())))
            break;
        zframe_t *frame = zframe_recv(dealer);
        if (!frame)
            break;
        proto_error_t err;
        msgpack_zone_clear(&reply->zone);
        uint64_t got = 0;
        if (wire_decode_reply(zframe_data(frame), zframe_size(frame), &reply->zone, &reply->msg, &err)
            || !doc_uint(&reply->msg, "rid", &got) || got != rid) {
            zframe_destroy(&frame);
            continue;
        }
        reply->frame = frame;
        rc = doc_str_eq(&reply->msg, "type", "error") ? EXIT_REFUSED : EXIT_OK;
        if (rc == EXIT_REFUSED && doc_str_eq(&reply->msg, "code", PROTO_E_UNAVAILABLE))
            rc = EXIT_UNAVAILABLE;   /* s_call says it, and may resend */
        else if (rc == EXIT_REFUSED)
            s_report_error(&reply->msg);
    }
    zpoller_destroy(&poller);
    return rc;
}

bool client_may_resend(const msgpack_object *request)
{
    static const char *const always[] = {"ping", "pull", "status", "history", "member_list", "queue",
                                         "directory", "hello", "vote", "recuse", "erase", "withdraw",
                                         "complaint", "tick", NULL};
    static const char *const keyed[] = {"submit", "amend", "appeal", NULL};
    for (const char *const *t = always; *t; t++)
        if (doc_str_eq(request, "type", *t))
            return true;
    for (const char *const *t = keyed; *t; t++)
        if (doc_str_eq(request, "type", *t))
            return doc_get(request, "key") != NULL;
    return false;
}

/*  One try after another on a new socket each, until a reply ("lazy
 *  pirate"). */
static int s_tries(service_id_t service, bool secure, const msgpack_sbuffer *request, uint64_t rid,
                   int timeout, reply_t *reply)
{
    int tries = (int)config_env_long("ESSP_RETRIES", 3, 1, 100);
    int rc = EXIT_UNREACHABLE;
    zframe_t *previous = reply->frame;   /* an `unavailable` reply before this resend */
    zframe_destroy(&previous);
    reply->frame = NULL;
    /* SIGINT or SIGTERM (zsys_interrupted) ends the wait at once: a
     * command that follows a stream stops cleanly. */
    for (int attempt = 0; attempt < tries && rc == EXIT_UNREACHABLE && !zsys_interrupted; attempt++) {
        zsock_t *dealer = s_connect(service, secure);
        if (!dealer)
            break;
        if (zsock_send(dealer, "b", request->data, request->size) == 0)
            rc = s_await(dealer, rid, timeout, reply);
        zsock_destroy(&dealer);
    }
    return rc;
}

/*  Sleeps ms, or less when SIGINT or SIGTERM comes. */
static void s_pause(int64_t ms)
{
    int64_t end = zclock_mono() + ms;
    while (!zsys_interrupted && zclock_mono() < end)
        zclock_sleep((int)(end - zclock_mono() < 100 ? end - zclock_mono() : 100));
}

/*  After an `unavailable` reply: says so, and pauses before the resend;
 *  false when the request is not resent (not safe, or time is up). */
static bool s_storage_backoff(service_id_t service, const msgpack_object *reply, bool resendable,
                              int64_t give_up_ms, int64_t *delay_ms)
{
    char message[PROTO_MESSAGE_MAX] = "";
    doc_strcpy(reply, "message", message, sizeof message);
    if (!resendable) {
        fprintf(stderr, "essp: unavailable: %s (rule storage); not resent: this request is not safe to "
                "resend, run the command again later\n", message);
        return false;
    }
    if (zclock_mono() + *delay_ms > give_up_ms || zsys_interrupted) {
        fprintf(stderr, "essp: unavailable: %s (rule storage); giving up: nothing was changed, run the "
                "command again later\n", message);
        return false;
    }
    fprintf(stderr, "essp: the %s service cannot store this for now (%s); retrying in %.1f s with the "
            "same request and idempotency key\n", config_service_name(service), message, *delay_ms / 1000.0);
    s_pause(*delay_ms);
    int64_t cap = config_env_long("ESSP_BACKOFF_MAX_MS", 30000, 100, 3600000);
    *delay_ms = *delay_ms * 2 > cap ? cap : *delay_ms * 2;
    return !zsys_interrupted;
}

/*  One request on the plain or the authenticated endpoint. */
static int s_call(service_id_t service, bool secure, const msgpack_sbuffer *request, uint32_t wait_ms,
                  reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    msgpack_zone_init(&reply->zone, 4096);
    reply->zone_live = true;
    if (secure && s_server_key_missing(service)) {
        reply_release(reply);
        return EXIT_UNREACHABLE;
    }
    msgpack_object req;
    proto_error_t err;
    msgpack_zone scratch;
    msgpack_zone_init(&scratch, 1024);
    uint64_t rid = 0;
    bool resendable = false;
    if (wire_decode(request->data, request->size, &scratch, &req, &err) == 0) {
        doc_uint(&req, "rid", &rid);
        resendable = client_may_resend(&req);
    }
    msgpack_zone_destroy(&scratch);
    int timeout = (int)config_env_long("ESSP_TIMEOUT_MS", 5000, 100, 3600000) + (int)wait_ms;
    int64_t give_up_ms = zclock_mono() + config_env_long("ESSP_RETRY_FOR_S", 600, 0, 86400) * 1000;
    int64_t delay_ms = config_env_long("ESSP_BACKOFF_MAX_MS", 30000, 100, 3600000) < 1000 ? 100 : 1000;
    int rc;
    while ((rc = s_tries(service, secure, request, rid, timeout, reply)) == EXIT_UNAVAILABLE
           && s_storage_backoff(service, &reply->msg, resendable, give_up_ms, &delay_ms))
        ;
    /* Nothing came: nothing is kept, whether or not the caller releases. */
    if (rc == EXIT_UNREACHABLE)
        reply_release(reply);
    if (rc == EXIT_UNREACHABLE && !zsys_interrupted) {
        char endpoint[CONFIG_ENDPOINT_MAX];
        s_endpoint(service, secure, endpoint, sizeof endpoint);
        if (secure)
            fprintf(stderr, "essp: the %s service does not answer at %s (is the stack running? "
                    "a key that is not, or no longer, in keys/allowed gets no answer)\n",
                    config_service_name(service), endpoint);
        else
            fprintf(stderr, "essp: the %s service does not answer at %s (is the stack running? deploy/up)\n",
                    config_service_name(service), endpoint);
    }
    return rc;
}

int client_call(service_id_t service, const msgpack_sbuffer *request, uint32_t wait_ms,
                reply_t *reply)
{
    return s_call(service, s_secure(service, false), request, wait_ms, reply);
}

int client_call_plain(service_id_t service, const msgpack_sbuffer *request, uint32_t wait_ms,
                      reply_t *reply)
{
    return s_call(service, false, request, wait_ms, reply);
}

void reply_release(reply_t *reply)
{
    zframe_t *frame = reply->frame;
    zframe_destroy(&frame);
    reply->frame = NULL;
    if (reply->zone_live)
        msgpack_zone_destroy(&reply->zone);
    reply->zone_live = false;
}

/* -------------------------------------------------------------- requests */

void request_init(request_t *r, const char *type, size_t fields)
{
    msgpack_sbuffer_init(&r->buf);
    msgpack_packer_init(&r->pk, &r->buf, msgpack_sbuffer_write);
    proto_pack_request(&r->pk, type, client_next_rid(), fields);
}

int request_call_and_print(service_id_t service, request_t *r, const char *list)
{
    reply_t reply;
    int rc = client_call(service, &r->buf, 0, &reply);
    if (rc == EXIT_OK) {
        if (list)
            output_each(doc_array(&reply.msg, list), stdout);
        else
            output_object(&reply.msg, stdout);
    }
    reply_release(&reply);
    msgpack_sbuffer_destroy(&r->buf);
    return rc;
}

void request_new_key(char out[33])
{
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2hex(out, 33, bytes, sizeof bytes);
}
