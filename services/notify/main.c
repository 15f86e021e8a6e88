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
#include "schedule.h"
#include "sender.h"

#include "common/auth.h"
#include "common/event_log.h"
#include "common/log.h"
#include "common/sealed_token.h"

#include <curl/curl.h>
#include <czmq.h>
#include <sodium.h>
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

/*  The core is told the time: it releases the letters the previous
 *  process's sender had in hand (a kill -9 delays no letter). */
static int s_start(void *ctx, service_t *svc, MDB_txn *txn)
{
    return notify_start_at(ctx, svc, txn, (int64_t)time(NULL));
}

int main(void)
{
    /* What the start says before the shell runs goes to the service's log. */
    log_set_name("notify");
    event_log_open("notify");
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
        .handle = notify_handle,
        .upstreams = {{SERVICE_INTAKE, notify_apply_intake, NULL},
                      {SERVICE_VALIDATION, notify_apply_validation, NULL},
                      {SERVICE_REVIEW, notify_apply_review, NULL},
                      {SERVICE_PUBLICATION, notify_apply_publication, NULL}},
        .upstream_count = 4,
        .attach = s_attach,
        .detach = s_detach,
        .secure_types = notify_secure_types,
        /* The sender thread asks for the letters due several times a
         * second: no log line each (a letter's fate is outbox_mark's). */
        .quiet_types = (const char *const[]){"outbox_due", NULL},
    };
    int code = service_main(&def);
    notify_destroy(&core);
    zcert_destroy(&s_cert);
    curl_global_cleanup();
    return code;
}
