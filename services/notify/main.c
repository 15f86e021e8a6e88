/*  essp-notify: events into e-mails (see notify.h), delivered by the
 *  sender thread (sender.h), with the digest and the reminders of the
 *  schedule thread (schedule.h).
 *
 *  The shell draws a secret at each start and gives it to the core and to
 *  its two threads: the core answers the outbox's requests (letter bodies
 *  with tracking links, "mark sent") only to whoever carries it, and the
 *  plain ROUTER they go through also listens on TCP.
 */
#include "notify.h"
#include "outbox.h"
#include "requests.h"
#include "schedule.h"
#include "sender.h"

#include "common/auth.h"
#include "common/log.h"
#include "common/sealed_token.h"
#include "proto/doc.h"

#include <curl/curl.h>
#include <errno.h>
#include <czmq.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sender_t *s_sender;
static schedule_t *s_schedule;
static char s_secret_hex[2 * NOTIFY_SECRET_BYTES + 1];
static zcert_t *s_cert;                  /* notify's key pair: opens the sealed tokens */

/*  Opens a tracking token intake sealed to notify's public key. */
static int s_token_open(void *arg, const unsigned char *sealed, size_t len, char *out, size_t cap)
{
    zcert_t *cert = arg;
    if (cap == 0)
        return -1;
    int n = sealed_token_open(zcert_public_key(cert), zcert_secret_key(cert), sealed, len,
                              (uint8_t *)out, cap - 1);
    if (n < 0)
        return -1;
    out[n] = '\0';
    return 0;
}

/*  The threads start once the ROUTER they send to is bound. */
static int s_attach(void *ctx, service_t *svc)
{
    sender_config_t config;
    sender_config_from_env(&config, service_inproc_endpoint(svc), s_secret_hex);
    s_sender = sender_new(&config);
    explicit_bzero(config.password, sizeof config.password);
    if (!s_sender)
        return -1;
    s_schedule = schedule_new(service_inproc_endpoint(svc), s_secret_hex);
    return s_schedule ? 0 : -1;
}

static void s_detach(void *ctx, service_t *svc)
{
    schedule_destroy(&s_schedule);
    sender_destroy(&s_sender);
}

/*  Makes due at `now` every pending letter whose next attempt falls in
 *  [from, to] (the by-due index of notify.h: be64(next_at) ‖ message_id).
 *  *count: how many. */
static int s_due_now(service_t *svc, MDB_txn *txn, int64_t from, int64_t to, int64_t now, size_t *count)
{
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    unsigned char first[8];
    for (int i = 0; i < 8; i++)
        first[i] = (unsigned char)((uint64_t)from >> (56 - 8 * i));
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, dbs.due, &cursor);
    if (rc)
        return rc;
    size_t cap = 0;
    char (*ids)[OUTBOX_MESSAGE_ID_MAX] = NULL;
    MDB_val key = {sizeof first, first}, value;
    *count = 0;
    /* Collect first: leasing moves the keys being walked. */
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        const unsigned char *k = key.mv_data;
        uint64_t next_at = 0;
        for (int i = 0; i < 8 && key.mv_size > 8; i++)
            next_at = next_at << 8 | k[i];
        if (key.mv_size <= 8 || key.mv_size - 8 >= OUTBOX_MESSAGE_ID_MAX || (int64_t)next_at > to)
            break;
        if (*count == cap) {
            cap = cap ? 2 * cap : 64;
            void *grown = realloc(ids, cap * sizeof *ids);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            ids = grown;
        }
        memcpy(ids[*count], k + 8, key.mv_size - 8);
        ids[(*count)++][key.mv_size - 8] = '\0';
    }
    mdb_cursor_close(cursor);
    rc = rc == MDB_NOTFOUND ? 0 : rc;
    for (size_t i = 0; rc == 0 && i < *count; i++)
        rc = outbox_lease(txn, &dbs, ids[i], now);
    free(ids);
    return rc;
}

/*  No delivery is under way when notify starts, yet the letters the
 *  previous process's sender had in hand are leased (requests.h:
 *  REQUESTS_LEASE seconds): they are made due now, not ten minutes later,
 *  so that a crash delays no letter.  A letter whose retry was due within
 *  that time is tried now too: once per start, which backoff allows. */
static int s_start(void *ctx, service_t *svc, MDB_txn *txn)
{
    int64_t now = (int64_t)time(NULL);
    size_t count = 0;
    int rc = s_due_now(svc, txn, now + 1, now + REQUESTS_LEASE, now, &count);
    if (rc == 0 && count)
        log_info("notify: %zu letter(s) handed out before the restart are due again", count);
    return rc;
}

/*  Staff may ask for the day's digest and the reminders at any time
 *  (`essp mail digest`, `essp mail tick`): on the authenticated endpoint,
 *  a staff key stands for the secret of the scheduled requests, which the
 *  essp tool cannot know (it fills the field with zeros). */
static bool s_staff_scheduled(const service_request_t *req)
{
    return req->peer_role && strcmp(req->peer_role, AUTH_ROLE_STAFF) == 0
           && (strcmp(req->type, "mail_tick") == 0 || strcmp(req->type, "mail_digest") == 0);
}

#define S_FIELDS_MAX 16

static int s_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    const msgpack_object *msg = req->msg;
    if (!s_staff_scheduled(req) || msg->type != MSGPACK_OBJECT_MAP || msg->via.map.size > S_FIELDS_MAX)
        return notify_handle(ctx, svc, txn, req);
    msgpack_object_kv fields[S_FIELDS_MAX];
    msgpack_object copy = *msg;
    memcpy(fields, msg->via.map.ptr, msg->via.map.size * sizeof *fields);
    for (uint32_t i = 0; i < msg->via.map.size; i++) {
        const msgpack_object *key = &fields[i].key;
        if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == 6
            && memcmp(key->via.str.ptr, "secret", 6) == 0) {
            fields[i].val.type = MSGPACK_OBJECT_STR;
            fields[i].val.via.str.ptr = s_secret_hex;
            fields[i].val.via.str.size = (uint32_t)strlen(s_secret_hex);
        }
    }
    copy.via.map.ptr = fields;
    service_request_t staff = *req;
    staff.msg = &copy;
    log_info("notify: %s asked by staff (%s)", req->type, req->peer_name);
    int rc = notify_handle(ctx, svc, txn, &staff);
    /* Asked for another day (--at), the letters are dated that day, and
     * due then: they leave now. */
    uint64_t at = 0;
    size_t count = 0;
    if (rc == 0 && doc_uint(msg, "at", &at) && (int64_t)at > req->now)
        rc = s_due_now(svc, txn, (int64_t)at, (int64_t)at, req->now, &count);
    return rc;
}

int main(void)
{
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    notify_settings_t settings;
    notify_settings_load(&settings);
    randombytes_buf(settings.sender_secret, sizeof settings.sender_secret);
    sodium_bin2hex(s_secret_hex, sizeof s_secret_hex, settings.sender_secret,
                   sizeof settings.sender_secret);
    s_cert = auth_server_cert(SERVICE_NOTIFY);
    if (s_cert) {
        settings.token_open = s_token_open;
        settings.token_open_arg = s_cert;
    } else
        log_error("notify: no key pair under keys/: tracking links cannot be opened");
    notify_t *core = notify_new(&settings);
    explicit_bzero(&settings.sender_secret, sizeof settings.sender_secret);
    if (!core)
        return 1;
    service_def_t def = {
        .id = SERVICE_NOTIFY,
        .dbs = notify_dbs,
        .ctx = core,
        .start = s_start,
        .handle = s_handle,
        .upstreams = {{SERVICE_INTAKE, notify_apply_intake},
                      {SERVICE_VALIDATION, notify_apply_validation},
                      {SERVICE_REVIEW, notify_apply_review},
                      {SERVICE_PUBLICATION, notify_apply_publication}},
        .upstream_count = 4,
        .attach = s_attach,
        .detach = s_detach,
        .secure_types = notify_secure_types,
    };
    int code = service_main(&def);
    notify_destroy(&core);
    zcert_destroy(&s_cert);
    curl_global_cleanup();
    return code;
}
