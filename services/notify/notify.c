/*  services/notify/notify.c - see notify.h: the context, the settings,
 *  and the post office that turns letters into outbox records. */
#include "notify.h"

#include "letters.h"
#include "message.h"
#include "outbox.h"
#include "requests.h"
#include "template.h"

#include "common/auth.h"
#include "common/config.h"
#include "common/log.h"
#include "common/store.h"
#include "proto/messages.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ESSP_NOTIFY_TEMPLATES_DIR
#define ESSP_NOTIFY_TEMPLATES_DIR "services/notify/templates"
#endif

const char *const notify_dbs[] = { "outbox", "bodies", "due", "by_app", "failed", "files", "listings",
                                   "reminders", "members", "suppressed", "waiting", NULL };

const char *const notify_secure_types[] = { "mail_failed", NULL };

#define S_SUPPRESSED "adresse effacée à la demande de la personne : plus aucun courriel ne lui est envoyé"

struct notify_t {
    notify_settings_t settings;
    const template_spec_t *specs;
    template_t **templates;
    size_t count;
};

/* ---- settings ---------------------------------------------------------- */

/*  A URL as the letters use it: always ending with '/'. */
static void s_url(char *out, size_t cap, const char *url)
{
    size_t len = strlen(url);
    snprintf(out, cap, "%s%s", url, len && url[len - 1] == '/' ? "" : "/");
}

void notify_settings_load(notify_settings_t *s)
{
    memset(s, 0, sizeof *s);
    const char *from = config_get("ESSP_MAIL_FROM");
    snprintf(s->from, sizeof s->from, "%s", from && *from ? from : "essp@localhost");
    /* Message-IDs name a domain of ours, or one that can be no one's. */
    snprintf(s->domain, sizeof s->domain, "%s", from && *from ? message_address_domain(from) : "essp.invalid");
    char gateway[CONFIG_ENDPOINT_MAX];
    config_http_connect_endpoint(gateway, sizeof gateway);
    const char *pub = config_get("ESSP_PUBLIC_URL");
    s_url(s->public_url, sizeof s->public_url, pub && *pub ? pub : gateway);
    const char *dir = config_get("ESSP_DIRECTORY_URL");
    if (dir && *dir)
        s_url(s->directory_url, sizeof s->directory_url, dir);
    else
        snprintf(s->directory_url, sizeof s->directory_url, "%.*sannuaire/", (int) sizeof s->directory_url - 10,
                 s->public_url);
    char desk[CONFIG_ENDPOINT_MAX];
    config_desk_url(desk, sizeof desk);
    s_url(s->desk_url, sizeof s->desk_url, desk);
    const char *staff = config_get("ESSP_STAFF_EMAIL");
    snprintf(s->staff, sizeof s->staff, "%s", staff ? staff : "");
    const char *templates = config_get("ESSP_MAIL_TEMPLATES");
    snprintf(s->templates, sizeof s->templates, "%s", templates && *templates ? templates : ESSP_NOTIFY_TEMPLATES_DIR);
    s->reminder_days = config_env_long("ESSP_MAIL_REMINDER_DAYS", 7, 1, 365);
    s->retry_first_s = config_env_long("ESSP_MAIL_RETRY_FIRST_S", 60, 1, 3600);
}

notify_t *notify_new(const notify_settings_t *settings)
{
    const char *why = NULL;
    if (!message_address_check(settings->from, &why)) {
        log_error("ESSP_MAIL_FROM '%s' is not an address: %s", settings->from, why);
        return NULL;
    }
    notify_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->settings = *settings;
    self->count = letters_specs(&self->specs);
    self->templates = calloc(self->count, sizeof *self->templates);
    for (size_t i = 0; self->templates && i < self->count; i++) {
        char err[512];
        if (!(self->templates[i] = template_load(settings->templates, &self->specs[i], err, sizeof err))) {
            log_error("mail template: %s", err);
            notify_destroy(&self);
            return NULL;
        }
    }
    if (!self->templates)
        notify_destroy(&self);
    return self;
}

void notify_destroy(notify_t **self_p)
{
    notify_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->templates && i < self->count; i++)
        template_destroy(&self->templates[i]);
    free(self->templates);
    sodium_memzero(self->settings.sender_secret, sizeof self->settings.sender_secret);
    free(self);
    *self_p = NULL;
}

const notify_settings_t *notify_settings(const notify_t *self)
{
    return &self->settings;
}

void notify_outbox_dbs(service_t *svc, outbox_dbs_t *dbs)
{
    dbs->records = service_db(svc, NOTIFY_DB_OUTBOX);
    dbs->bodies = service_db(svc, NOTIFY_DB_BODIES);
    dbs->due = service_db(svc, NOTIFY_DB_DUE);
    dbs->by_app = service_db(svc, NOTIFY_DB_BY_APP);
    dbs->failed = service_db(svc, NOTIFY_DB_FAILED);
}

/* ---- suppression ------------------------------------------------------- */

static void s_address_hash(const char *address, unsigned char hash[32])
{
    char lower[OUTBOX_ADDRESS_MAX];
    size_t len = 0;
    for (; address[len] && len + 1 < sizeof lower; len++)
        lower[len] = (char) tolower((unsigned char) address[len]);
    crypto_generichash(hash, 32, (const unsigned char *) lower, len, NULL, 0);
}

int notify_suppressed(service_t *svc, MDB_txn *txn, const char *address, bool *suppressed)
{
    unsigned char hash[32];
    s_address_hash(address, hash);
    MDB_val k = { sizeof hash, hash }, v;
    int rc = mdb_get(txn, service_db(svc, NOTIFY_DB_SUPPRESSED), &k, &v);
    *suppressed = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int notify_suppress(service_t *svc, MDB_txn *txn, const char *address, int64_t at)
{
    unsigned char hash[32], when[8];
    s_address_hash(address, hash);
    store_u64_key((uint64_t) at, when);
    return store_put(txn, service_db(svc, NOTIFY_DB_SUPPRESSED), hash, sizeof hash, when, sizeof when);
}

/* ---- the post office --------------------------------------------------- */

static const template_t *s_template(const notify_t *self, const char *kind)
{
    for (size_t i = 0; i < self->count; i++)
        if (!strcmp(self->specs[i].kind, kind))
            return self->templates[i];
    return NULL;
}

static void s_record(outbox_record_t *r, const letter_t *l, int64_t at)
{
    memset(r, 0, sizeof *r);
    snprintf(r->message_id, sizeof r->message_id, "%s", l->message_id);
    snprintf(r->to, sizeof r->to, "%s", l->to);
    snprintf(r->kind, sizeof r->kind, "%s", l->kind);
    snprintf(r->app_id, sizeof r->app_id, "%s", l->app_id);
    r->created_at = at;
}

/*  A letter that will not be sent: recorded failed (mail_failed lists
 *  it), and staff told by a letter when `tell`. */
static int s_refused(notify_t *self, service_t *svc, MDB_txn *txn, const letter_t *l, int64_t at, const char *why,
                     bool tell, bool *added)
{
    outbox_record_t r;
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    s_record(&r, l, at);
    /* The address itself may be what is wrong: kept printable for staff. */
    for (char *p = r.to; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = '?';
    snprintf(r.error, sizeof r.error, "%s", why);
    int rc = outbox_add_failed(txn, &dbs, &r, added);
    if (rc == 0 && *added && tell)
        rc = notify_tell_staff_failed(self, svc, txn, r.message_id, at);
    return rc;
}

int notify_post_one(notify_t *self, service_t *svc, MDB_txn *txn, const letters_t *letters, size_t i, int64_t at,
                    bool *added)
{
    const letter_t *l = &letters->items[i];
    *added = false;
    bool suppressed = false;
    const char *why = NULL;
    int rc = notify_suppressed(svc, txn, l->to, &suppressed);
    if (rc)
        return rc;
    /* Never again to an erased address: the letter is only a record, so
     * that staff see what was held back (no notice by mail: they asked). */
    if (suppressed && strcmp(l->kind, "erased"))
        return s_refused(self, svc, txn, l, at, S_SUPPRESSED, false, added);
    if (!message_address_check(l->to, &why))
        return s_refused(self, svc, txn, l, at, why, true, added);
    const template_t *t = s_template(self, l->kind);
    char *subject = NULL, *text = NULL, *html = NULL, *bytes = NULL, err[512] = "";
    size_t len = 0;
    if (!t || template_render(t, l->vars, &subject, &text, &html, err, sizeof err)) {
        log_error("letter %s (%s): %s", l->message_id, l->kind, t ? err : "no template");
        return s_refused(self, svc, txn, l, at, "Le courrier n’a pas pu être rédigé (gabarit).", true, added);
    }
    char unsubscribe[NOTIFY_TEXT_MAX + 16];
    snprintf(unsubscribe, sizeof unsubscribe, "%spreferences", self->settings.desk_url);
    message_t m = { .date = at, .message_id = l->message_id, .from = self->settings.from, .to = l->to,
                    .to_name = l->to_name, .subject = subject, .text = text, .html = html,
                    .list_unsubscribe = l->unsubscribe ? unsubscribe : NULL };
    if (message_compose(&m, &bytes, &len))
        rc = s_refused(self, svc, txn, l, at, "Le courrier n’a pas pu être composé.", true, added);
    else {
        outbox_record_t r;
        outbox_dbs_t dbs;
        notify_outbox_dbs(svc, &dbs);
        s_record(&r, l, at);
        rc = outbox_add(txn, &dbs, &r, bytes, len, added);
    }
    free(subject);
    free(text);
    free(html);
    free(bytes);
    return rc;
}

int notify_post(notify_t *self, service_t *svc, MDB_txn *txn, letters_t *letters, int64_t at, size_t *added)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < letters->count; i++) {
        bool one = false;
        rc = notify_post_one(self, svc, txn, letters, i, at, &one);
        if (added)
            *added += one;
    }
    letters_clear(letters);
    return rc;
}

int notify_tell_staff_failed(notify_t *self, service_t *svc, MDB_txn *txn, const char *message_id, int64_t at)
{
    outbox_record_t failed;
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    int rc = outbox_get(txn, &dbs, message_id, &failed);
    if (rc || !strncmp(failed.kind, "staff_", 6))
        return rc;
    letters_t letters;
    letters_init(&letters);
    if (letters_undeliverable(&letters, &self->settings, &failed)) {
        letters_clear(&letters);
        return ENOMEM;
    }
    return notify_post(self, svc, txn, &letters, at, NULL);
}

int notify_start_at(void *ctx, service_t *svc, MDB_txn *txn, int64_t now)
{
    (void) ctx;
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    size_t count = 0;
    int rc = outbox_release_leases(txn, &dbs, now, now + REQUESTS_LEASE, &count);
    if (rc == 0 && count)
        log_info("notify: %zu letter(s) handed out before the restart are due again", count);
    return rc;
}

/* ---- requests ------------------------------------------------------------ */

int notify_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    notify_t *self = ctx;
    /* The secure endpoint admits every known key (members' too); the
     * letters that failed name their recipients, which are for staff. */
    if (!strcmp(req->type, "mail_failed")) {
        if (!req->peer_role || strcmp(req->peer_role, AUTH_ROLE_STAFF) != 0)
            return service_refuse(req, PROTO_E_FORBIDDEN, "type", "role", "'mail_failed' is for staff keys");
        return requests_mail_failed(self, svc, txn, req);
    }
    bool sender = !strcmp(req->type, "outbox_due") || !strcmp(req->type, "outbox_mark")
                  || !strcmp(req->type, "mail_tick") || !strcmp(req->type, "mail_digest");
    if (!sender)
        return service_refuse(req, PROTO_E_INVALID, "type", "unsupported", "notify does not answer this message type");
    /* Staff may run the day's digest or reminders by hand (essp mail). */
    bool staff = req->peer_role && !strcmp(req->peer_role, AUTH_ROLE_STAFF)
                 && (!strcmp(req->type, "mail_tick") || !strcmp(req->type, "mail_digest"));
    if (!staff && !requests_secret_ok(self, req))
        return service_refuse(req, PROTO_E_FORBIDDEN, "secret", "secret",
                              "this request is for notify's own sender, with the secret it was given");
    if (!strcmp(req->type, "outbox_due"))
        return requests_outbox_due(self, svc, txn, req);
    if (!strcmp(req->type, "outbox_mark"))
        return requests_outbox_mark(self, svc, txn, req);
    if (!strcmp(req->type, "mail_tick"))
        return requests_mail_tick(self, svc, txn, req);
    return requests_mail_digest(self, svc, txn, req);
}
