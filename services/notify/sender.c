/*  services/notify/sender.c - see sender.h.
 *
 *  One e-mail per event and recipient, across crashes: never lost, and
 *  twice only in the two windows below (delivery is at least once).
 *
 *  The letter is created by the core in the very transaction that advances
 *  the stream's cursor, under a Message-ID made from the stream, the
 *  event's seq and the recipient: an event applied again after a crash
 *  finds that Message-ID and adds nothing.  So every letter exists once,
 *  pending, from the moment its event is applied.
 *
 *  This thread then works one letter at a time:
 *    1. outbox_due: the pending letters whose attempt is due;
 *    2. for one of them, the SMTP dialogue up to the server's 250 after
 *       DATA (or the file renamed into the Maildir's new/);
 *    3. outbox_mark sent, and the core's reply, which comes after the
 *       commit;
 *  and only then the next letter.  A kill -9 (or a power cut) before 3
 *  commits leaves the letter pending: it is sent again when notify starts.
 *    - Killed before the 250: the server has not taken the message (an
 *      SMTP server keeps a message only once it has answered 250 to its
 *      DATA), so the next attempt is the first delivery.
 *    - Killed between the 250 and the commit of 3: the server has it, and
 *      the next start sends it once more.  That is the first window: at most
 *      ONE duplicate per crash (the letter in hand: step 3 waits for its
 *      commit before the next letter starts), carrying the SAME
 *      Message-ID and the same bytes, so a mail reader or a server that
 *      removes duplicates by Message-ID shows it once.  No protocol can
 *      close it: SMTP has no way to ask a server whether it already has a
 *      message.  tests/stack/test_notify_chaos.py makes this window happen
 *      (notify stopped right after the server wrote its 250, then killed)
 *      and counts the copies.
 *    - Into the Maildir, the file's name comes from the Message-ID: the
 *      second delivery replaces the first, and there is no duplicate.
 *    - The server slow to answer the end of the data: when the dialogue
 *      outlasts ESSP_SMTP_TIMEOUT_MS after the data went, libcurl gives up
 *      and the letter is retried, though the server may have kept it and
 *      answer 250 later: the other window, again one copy more with the
 *      same Message-ID.
 *  A reply to outbox_mark that never comes is the same case: the letter
 *  stays pending and goes again.  So is a SIGTERM that lands in the first window
 *  (the shell ends its loop, which answers requests, before it stops this
 *  thread); the letters of the batch that were not tried are released by
 *  the core when notify starts again.
 *
 *  The outcome the core records: 250 = sent; a 4xx to RCPT TO or to the
 *  end of the data = retry, the core sets the next attempt with a capped
 *  exponential backoff and jitter; a 5xx to RCPT TO or to the end of the
 *  data = failed, never retried, kept with the server's words for `essp
 *  mail failed`.  No answer (refused, lost or timed-out connection) or a
 *  refusal of the session (smtp.h: a wrong password, a sender address or
 *  TLS the server will not have, a 4xx or 5xx to the greeting, EHLO, AUTH
 *  or MAIL FROM) is no verdict on the letter: it is retried like after a
 *  4xx, the rest of the batch is released untried, and the cause is
 *  logged once.  The core fails a letter still not sent three days after
 *  it was written.
 *
 *  Mail never holds the pipeline back: this thread only sends requests to
 *  the core, which answers them between its turns like any client's, and
 *  the core writes letters whether or not they leave.  A mail server down
 *  for an hour makes letters wait in the outbox; intake, validation,
 *  review and publication, and notify's own cursors, go on as before.
 */
#include "sender.h"

#include "core_link.h"
#include "maildir.h"
#include "smtp.h"

#include "common/config.h"
#include "common/log.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <assert.h>
#include <curl/curl.h>
#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*  Letters asked for at once: one round trip for many when the outbox is
 *  full.  The core leases them to this sender (requests.h): each is
 *  marked before the next round, and a start makes the leases of the
 *  process before it void (main.c). */
#define S_DUE_LIMIT 50
/*  How often an empty outbox is looked at again: a new letter waits at
 *  most this long. */
#define S_IDLE_MS 250
/*  After a connection that failed, the next round waits this long; the
 *  rest of the batch was released untried (the one tried is scheduled by
 *  the core with its backoff): a server that is down is not asked again
 *  for every letter in the outbox at once. */
#define S_DOWN_PAUSE_MS 1000
#define S_CORE_TIMEOUT_MS 30000
/*  One dialogue ends before the core's lease of its letter (requests.h):
 *  the letter is not handed out again while the server may still take it. */
#define S_TIMEOUT_MAX_MS 540000

struct sender_t {
    sender_config_t config;
    pthread_t thread;
    atomic_bool stopping;
    core_link_t *core;
    smtp_client_t *smtp;
    char unavailable[64];        /* why no letter leaves, as last logged; "" when they do */
};

void sender_config_from_env(sender_config_t *config, const char *inproc, const char *secret_hex)
{
    memset(config, 0, sizeof *config);
    const char *url = config_get("ESSP_SMTP_URL");
    snprintf(config->url, sizeof config->url, "%s", url ? url : "");
    const char *user = config_get("ESSP_SMTP_USER");
    snprintf(config->user, sizeof config->user, "%s", user ? user : "");
    /* A password never goes in clear unless the operator says so. */
    config->starttls = config_env_long("ESSP_SMTP_STARTTLS", *config->user ? 1 : 0, 0, 1) == 1;
    const char *password = config_get("ESSP_SMTP_PASSWORD");
    snprintf(config->password, sizeof config->password, "%s", password ? password : "");
    const char *from = config_get("ESSP_MAIL_FROM");
    snprintf(config->mail_from, sizeof config->mail_from, "%s", from ? from : "");
    config_path("mail", config->maildir, sizeof config->maildir);
    config->connect_timeout_ms = config_env_long("ESSP_SMTP_CONNECT_TIMEOUT_MS", 10000, 100, 600000);
    config->timeout_ms = config_env_long("ESSP_SMTP_TIMEOUT_MS", 60000, 100, S_TIMEOUT_MAX_MS);
    config->inproc = inproc;
    snprintf(config->secret, sizeof config->secret, "%s", secret_hex);
}

static int64_t s_now(void)
{
    return (int64_t)time(NULL);
}

/*  Sleeps ms, or less when the service is stopping. */
static void s_pause(sender_t *self, int64_t ms)
{
    for (int64_t end = zclock_mono() + ms; !atomic_load(&self->stopping) && zclock_mono() < end;)
        zclock_sleep(50);
}

/*  The bytes of a "bytes" field (bin, or str from an older core). */
static bool s_bytes(const msgpack_object *letter, const char **data, size_t *size)
{
    const msgpack_object *value = doc_get(letter, "bytes");
    if (value && value->type == MSGPACK_OBJECT_BIN) {
        *data = value->via.bin.ptr;
        *size = value->via.bin.size;
        return true;
    }
    return doc_str(letter, "bytes", data, size);
}

/*  Tells the core how the letter went; 0 once the outcome is committed. */
static int s_mark(sender_t *self, const char *message_id, const char *outcome, const char *error)
{
    core_request_t request;
    core_request_init(self->core, &request, "outbox_mark", proto_entries(4, error != NULL));
    proto_pack_kv_str(&request.pk, "secret", self->config.secret);
    proto_pack_kv_str(&request.pk, "message_id", message_id);
    proto_pack_kv_uint(&request.pk, "at", (uint64_t)s_now());
    proto_pack_kv_str(&request.pk, "outcome", outcome);
    if (error)
        proto_pack_kv_str(&request.pk, "error", error);
    core_reply_t reply;
    int rc = core_link_call(self->core, &request, S_CORE_TIMEOUT_MS, &reply);
    if (rc == 0)
        core_reply_free(&reply);
    return rc;
}

/*  Into the Maildir: a file written twice replaces itself. */
static void s_deliver_maildir(sender_t *self, const char *message_id, const char *data, size_t size,
                              smtp_result_t *result)
{
    memset(result, 0, sizeof *result);
    if (maildir_deliver(self->config.maildir, message_id, strlen(message_id), data, size) == 0) {
        result->outcome = SMTP_SENT;
        return;
    }
    result->outcome = SMTP_UNAVAILABLE;     /* no letter could go there either */
    snprintf(result->answer, sizeof result->answer, "Maildir %.300s: %.150s", self->config.maildir,
             strerror(errno));
}

/*  Says once why no letter leaves (the cause, not each letter: a wrong
 *  password would say it every second; libcurl's words change with each
 *  try, its milliseconds).  A refusal of the session is a setting to fix
 *  (password, sender address, TLS), no mere outage. */
static void s_server_unavailable(sender_t *self, const smtp_result_t *result)
{
    char cause[sizeof self->unavailable];
    snprintf(cause, sizeof cause, "%s %ld %s", result->refused ? "refused" : "stopped", result->code,
             result->stage ? result->stage : "");
    if (strcmp(self->unavailable, cause) == 0)
        return;
    snprintf(self->unavailable, sizeof self->unavailable, "%s", cause);
    if (!self->smtp)
        log_error("notify: no mail leaves: %s; letters kept, tried again later", result->answer);
    else if (result->refused)
        log_error("notify: the SMTP server refuses the session at %s (%s): check ESSP_SMTP_USER, "
                  "ESSP_SMTP_PASSWORD, ESSP_MAIL_FROM; letters kept, tried again later",
                  result->stage, result->answer);
    else
        log_error("notify: no mail leaves: the SMTP dialogue stopped at %s (%s); letters kept, tried "
                  "again later", result->stage, result->answer);
}

static void s_server_back(sender_t *self)
{
    if (!*self->unavailable)
        return;
    self->unavailable[0] = '\0';
    log_info("notify: the SMTP server takes letters again");
}

/*  The letter in hand when no letter can leave: retried, with the
 *  command the server stopped at, and the rest of the batch after it
 *  released (s_send_one). */
static int s_hold(sender_t *self, const char *message_id, const smtp_result_t *result, char *down,
                  size_t down_cap)
{
    s_server_unavailable(self, result);
    char error[sizeof result->answer];
    snprintf(error, sizeof error, "%s%s%.*s", result->stage ? result->stage : "", result->stage ? " : " : "",
             (int)(sizeof error - 40), result->answer);
    if (s_mark(self, message_id, "retry", error) != 0)
        return -1;
    snprintf(down, down_cap, "%s", error);
    return 1;
}

/*  Delivers one letter and records the outcome; -1 when the outcome could
 *  not be recorded, 1 when the server could not be reached or refused the
 *  session (its answer is then copied to `down`), 0 otherwise.  When
 *  `down` already holds an answer (from an earlier letter of this batch),
 *  the letter is not tried: it is released (due again, no attempt
 *  counted). */
static int s_send_one(sender_t *self, const msgpack_object *letter, char *down, size_t down_cap)
{
    char message_id[512], to[SENDER_ADDRESS_MAX], from[SENDER_ADDRESS_MAX];
    const char *data;
    size_t size;
    if (doc_strcpy(letter, "message_id", message_id, sizeof message_id) < 1
        || doc_strcpy(letter, "to", to, sizeof to) < 1 || !s_bytes(letter, &data, &size)) {
        log_error("notify: a due letter without message_id, to or bytes: skipped");
        return 0;
    }
    if (*down)
        return s_mark(self, message_id, "release", NULL) == 0 ? 1 : -1;
    /* The envelope's sender is the letter's From (ESSP_MAIL_FROM, which
     * the core composed it with). */
    if (doc_strcpy(letter, "from", from, sizeof from) < 1)
        snprintf(from, sizeof from, "%s", *self->config.mail_from ? self->config.mail_from : "essp@localhost");
    smtp_result_t result;
    if (self->smtp)
        smtp_client_send(self->smtp, from, to, data, size, &result);
    else
        s_deliver_maildir(self, message_id, data, size, &result);
    if (result.outcome == SMTP_SENT) {
        s_server_back(self);
        return s_mark(self, message_id, "sent", NULL) == 0 ? 0 : -1;
    }
    if (result.outcome == SMTP_FAILED) {
        /* Not the address nor the server's answer, which often quotes it:
         * both are kept with the letter (essp mail failed). */
        log_warn("notify: %s refused for good (SMTP %ld at %s): see essp mail failed", message_id,
                 result.code, result.stage);
        return s_mark(self, message_id, "failed", result.answer) == 0 ? 0 : -1;
    }
    if (result.outcome == SMTP_RETRY) {
        log_warn("notify: %s not delivered (SMTP %ld at %s), tried again later", message_id, result.code,
                 result.stage);
        return s_mark(self, message_id, "retry", result.answer) == 0 ? 0 : -1;
    }
    return s_hold(self, message_id, &result, down, down_cap);
}

/*  One round: the letters due, each delivered and marked.  Returns how
 *  long to wait before the next round. */
static int64_t s_round(sender_t *self)
{
    core_request_t request;
    core_request_init(self->core, &request, "outbox_due", 3);
    proto_pack_kv_str(&request.pk, "secret", self->config.secret);
    int64_t now = s_now();
    proto_pack_kv_uint(&request.pk, "at", (uint64_t)now);
    proto_pack_kv_uint(&request.pk, "limit", S_DUE_LIMIT);
    core_reply_t reply;
    if (core_link_call(self->core, &request, S_CORE_TIMEOUT_MS, &reply) != 0)
        return S_DOWN_PAUSE_MS;
    const msgpack_object *letters = doc_array(&reply.msg, "messages");
    size_t count = doc_len(letters);
    int64_t wait = 0;
    char down[sizeof ((smtp_result_t *)0)->answer] = "";
    for (size_t i = 0; i < count && !atomic_load(&self->stopping); i++) {
        int rc = s_send_one(self, doc_at(letters, i), down, sizeof down);
        if (rc != 0)
            wait = S_DOWN_PAUSE_MS;
        if (rc < 0)
            break;              /* the core does not answer: they are due again at its next start */
    }
    if (count == 0) {
        /* Nothing due: look again soon (a new letter), or when the next
         * retry is due if that comes first. */
        uint64_t next_at = 0;
        wait = S_IDLE_MS;
        if (doc_uint(&reply.msg, "next_at", &next_at) && next_at && (int64_t)next_at <= now)
            wait = 0;
    }
    core_reply_free(&reply);
    return wait;
}

static void *s_run(void *arg)
{
    sender_t *self = arg;
    self->core = core_link_new(self->config.inproc, &self->stopping);
    while (!atomic_load(&self->stopping)) {
        int64_t wait = s_round(self);
        if (wait)
            s_pause(self, wait);
    }
    core_link_destroy(&self->core);
    return NULL;
}

/*  Whether the password would cross the network in clear: a user (set,
 *  or in the URL) on smtp:// without STARTTLS, to another host than this
 *  one. */
static bool s_password_in_clear(const sender_config_t *config)
{
    if (config->starttls)
        return false;
    CURLU *url = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL;
    bool clear = *config->user != '\0';
    if (url && curl_url_set(url, CURLUPART_URL, config->url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK
        && curl_url_get(url, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
        && curl_url_get(url, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        clear = clear || curl_url_get(url, CURLUPART_USER, &user, 0) == CURLUE_OK;
        clear = clear && strcasecmp(scheme, "smtps") != 0 && !smtp_host_is_loopback(host);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(url);
    return clear;
}

sender_t *sender_new(const sender_config_t *config)
{
    if (*config->url && s_password_in_clear(config)) {
        log_error("notify: ESSP_SMTP_STARTTLS=0 would send ESSP_SMTP_USER's password in clear to %s: "
                  "set ESSP_SMTP_STARTTLS=1, or use smtps://; only a relay on loopback may go without",
                  config->url);
        return NULL;
    }
    sender_t *self = calloc(1, sizeof *self);
    assert(self);
    self->config = *config;
    if (*config->url) {
        self->smtp = smtp_client_new(config);
        if (!self->smtp) {
            log_error("notify: libcurl would not start");
            free(self);
            return NULL;
        }
        log_info("notify: mail goes to %s%s%s", config->url, config->starttls ? " (STARTTLS)" : "",
                 *config->user ? " with AUTH" : "");
    } else {
        if (maildir_prepare(config->maildir) != 0) {
            log_error("notify: cannot create the Maildir %s: %s", config->maildir, strerror(errno));
            free(self);
            return NULL;
        }
        log_info("notify: no SMTP server set (ESSP_SMTP_URL): mail goes to the Maildir %s/new",
                 config->maildir);
    }
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        smtp_client_destroy(&self->smtp);
        free(self);
        return NULL;
    }
    return self;
}

void sender_destroy(sender_t **self_p)
{
    assert(self_p);
    sender_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stopping, true);
    pthread_join(self->thread, NULL);
    smtp_client_destroy(&self->smtp);
    explicit_bzero(self->config.password, sizeof self->config.password);
    free(self);
    *self_p = NULL;
}
