/*  services/notify/schedule.c - see schedule.h. */
#include "schedule.h"

#include "core_link.h"

#include "common/auth.h"
#include "common/config.h"
#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <assert.h>
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  A digest that could not be made (review unreachable) is tried again
 *  this much later, the same day. */
#define S_RETRY_S 300
#define S_REVIEW_TIMEOUT_MS 10000
#define S_CORE_TIMEOUT_MS 30000

struct schedule_t {
    char inproc[256];
    char secret[65];
    int hour;
    pthread_t thread;
    atomic_bool stopping;
    core_link_t *core;
};

/* ------------------------------------------------------------- the clock */

/*  01:00 UTC on the last Sunday of `month` (1-12) of `year`. */
static int64_t s_last_sunday(int year, int month)
{
    struct tm first_of_next = {.tm_year = year - 1900, .tm_mon = month, .tm_mday = 1, .tm_hour = 1};
    int64_t t = (int64_t)timegm(&first_of_next) - 86400;   /* the month's last day, 01:00 */
    struct tm day;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &day);
    return t - (int64_t)day.tm_wday * 86400;
}

int schedule_paris_offset(int64_t t)
{
    struct tm utc;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &utc);
    int year = utc.tm_year + 1900;
    return t >= s_last_sunday(year, 3) && t < s_last_sunday(year, 10) ? 7200 : 3600;
}

int64_t schedule_next_at_hour(int64_t now, int hour)
{
    /* Paris's midnight of today, then hour:00 of today or of the next days
     * (a day of 23 or 25 hours moves the offset: computed again each time). */
    int64_t local = now + schedule_paris_offset(now);
    int64_t midnight_local = local - ((local % 86400) + 86400) % 86400;
    for (int day = 0; day < 3; day++) {
        int64_t wanted_local = midnight_local + (int64_t)day * 86400 + (int64_t)hour * 3600;
        int64_t guess = wanted_local - schedule_paris_offset(wanted_local - 3600);
        int64_t at = wanted_local - schedule_paris_offset(guess);
        if (at > now)
            return at;
    }
    return now + 86400;
}

/* --------------------------------------------------------- the requests */

/*  review's `pending`, asked with notify's service key on review's
 *  authenticated endpoint; 0 and the reply in *reply, or -1. */
static int s_fetch_pending(schedule_t *self, core_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    zcert_t *own = auth_server_cert(SERVICE_NOTIFY);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    assert(dealer);
    zsock_set_linger(dealer, 0);
    zsock_set_maxmsgsize(dealer, PROTO_REPLY_MAX);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_connect_endpoint(SERVICE_REVIEW, endpoint, sizeof endpoint);
    int rc = -1;
    if (own && auth_make_client(dealer, own, SERVICE_REVIEW) == 0
        && zsock_connect(dealer, "%s", endpoint) == 0) {
        msgpack_sbuffer buf;
        msgpack_packer pk;
        msgpack_sbuffer_init(&buf);
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        uint64_t rid = (uint64_t)zclock_mono();
        proto_pack_request(&pk, "pending", rid, 0);
        zsock_send(dealer, "b", buf.data, buf.size);
        msgpack_sbuffer_destroy(&buf);
        zpoller_t *poller = zpoller_new(dealer, NULL);
        int64_t deadline = zclock_mono() + S_REVIEW_TIMEOUT_MS;
        while (rc < 0 && !atomic_load(&self->stopping) && zclock_mono() < deadline) {
            if (!zpoller_wait(poller, 100))
                continue;
            zframe_t *frame = zframe_recv(dealer);
            if (!frame)
                break;
            reply->bytes = malloc(zframe_size(frame) + 1);
            assert(reply->bytes);
            memcpy(reply->bytes, zframe_data(frame), zframe_size(frame));
            msgpack_zone_init(&reply->zone, 4096);
            proto_error_t err;
            uint64_t got = 0;
            if (wire_decode_reply(reply->bytes, zframe_size(frame), &reply->zone, &reply->msg, &err) == 0
                && doc_uint(&reply->msg, "rid", &got) && got == rid
                && doc_str_eq(&reply->msg, "type", "pending"))
                rc = 0;
            else {
                if (got == rid)
                    log_warn("notify: review refused pending");
                core_reply_free(reply);
                if (got == rid)
                    deadline = 0;
            }
            zframe_destroy(&frame);
        }
        zpoller_destroy(&poller);
    }
    if (rc < 0)
        log_warn("notify: no answer from review's pending at %s: the digest waits", endpoint);
    zsock_destroy(&dealer);
    zcert_destroy(&own);
    return rc;
}

/*  Sends a scheduled request to the core: 0 once it is committed. */
static int s_core(schedule_t *self, core_request_t *request)
{
    core_reply_t reply;
    int rc = core_link_call(self->core, request, S_CORE_TIMEOUT_MS, &reply);
    if (rc == 0) {
        uint64_t letters = 0;
        doc_uint(&reply.msg, "letters", &letters);
        char type[32] = "";
        doc_strcpy(&reply.msg, "type", type, sizeof type);
        log_info("notify: %s: %llu letter(s) written", type, (unsigned long long)letters);
        core_reply_free(&reply);
    }
    return rc;
}

static int s_tick(schedule_t *self, int64_t at)
{
    core_request_t request;
    core_request_init(self->core, &request, "mail_tick", 2);
    proto_pack_kv_str(&request.pk, "secret", self->secret);
    proto_pack_kv_uint(&request.pk, "at", (uint64_t)at);
    return s_core(self, &request);
}

/*  The members' files from review, then the digests from the core. */
static int s_digest(schedule_t *self, int64_t at)
{
    core_reply_t pending;
    if (s_fetch_pending(self, &pending) != 0)
        return -1;
    core_request_t request;
    core_request_init(self->core, &request, "mail_digest", 3);
    proto_pack_kv_str(&request.pk, "secret", self->secret);
    proto_pack_kv_uint(&request.pk, "at", (uint64_t)at);
    /* Review's reply goes on as the core reads it: {members, [more]}. */
    const msgpack_object *members = doc_array(&pending.msg, "members");
    bool more = doc_bool(&pending.msg, "more", false);
    proto_pack_str(&request.pk, "pending");
    msgpack_pack_map(&request.pk, more ? 2 : 1);
    proto_pack_str(&request.pk, "members");
    if (members)
        msgpack_pack_object(&request.pk, *members);
    else
        msgpack_pack_array(&request.pk, 0);
    if (more)
        proto_pack_kv_bool(&request.pk, "more", true);
    core_reply_free(&pending);
    return s_core(self, &request);
}

/* ------------------------------------------------------------ the thread */

static void *s_run(void *arg)
{
    schedule_t *self = arg;
    self->core = core_link_new(self->inproc, &self->stopping);
    /* Reminders once at start: a day the service was down is caught up. */
    bool ticked = s_tick(self, (int64_t)time(NULL)) == 0;
    int64_t next = schedule_next_at_hour((int64_t)time(NULL), self->hour);
    if (!ticked)
        next = (int64_t)time(NULL) + 60;
    while (!atomic_load(&self->stopping)) {
        int64_t now = (int64_t)time(NULL);
        if (now < next) {
            zclock_sleep(now + 1 < next ? 1000 : 200);
            continue;
        }
        int rc = s_tick(self, now);
        if (rc == 0)
            rc = s_digest(self, now);
        next = rc == 0 ? schedule_next_at_hour(now, self->hour) : now + S_RETRY_S;
    }
    core_link_destroy(&self->core);
    return NULL;
}

schedule_t *schedule_new(const char *inproc, const char *secret_hex)
{
    schedule_t *self = calloc(1, sizeof *self);
    assert(self);
    snprintf(self->inproc, sizeof self->inproc, "%s", inproc);
    snprintf(self->secret, sizeof self->secret, "%s", secret_hex);
    self->hour = (int)config_env_long("ESSP_MAIL_DIGEST_HOUR", 8, 0, 23);
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        free(self);
        return NULL;
    }
    log_info("notify: digest and reminders daily at %02d:00 (Europe/Paris)", self->hour);
    return self;
}

void schedule_destroy(schedule_t **self_p)
{
    assert(self_p);
    schedule_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stopping, true);
    pthread_join(self->thread, NULL);
    explicit_bzero(self->secret, sizeof self->secret);
    free(self);
    *self_p = NULL;
}
