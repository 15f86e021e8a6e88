/*  services/notify/letters.c - see letters.h. */
#include "letters.h"

#include "message.h"

#include "proto/charter.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/error.h"
#include "proto/kept_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY 86400

/* ---- the kinds and their names --------------------------------------- */

/*  Every letter to an applicant knows these. */
#define S_APPLICANT "organisation", "contact", "dossier", "page_suivi", "site"

static const char *const s_none[] = { NULL };
static const char *const s_receipt_names[] = { S_APPLICANT, "revision", "lien_suivi", "lien_perdu", NULL };
static const char *const s_receipt_sections[] = { "modification", "lien", NULL };
static const char *const s_incomplete_names[] = { S_APPLICANT, "titre", "code", "motif", "champ", NULL };
static const char *const s_incomplete_sections[] = { "criteres", NULL };
static const char *const s_plain_names[] = { S_APPLICANT, NULL };
static const char *const s_decision_names[] = { S_APPLICANT, "motivation", NULL };
static const char *const s_decision_sections[] = { "motivations", NULL };
static const char *const s_rejected_sections[] = { "motivations", "appel", NULL };
static const char *const s_update_sections[] = { "motivations", "modifications", NULL };
static const char *const s_appeal_names[] = { S_APPLICANT, "motivation", NULL };
static const char *const s_approved_names[] = { S_APPLICANT, "motivation", "fin", NULL };
static const char *const s_published_names[] = { S_APPLICANT, "fiche", "fin", NULL };
static const char *const s_reminder_names[] = { S_APPLICANT, "fiche", "fin", "jours", "delai", "renouveler", NULL };
static const char *const s_reason_names[] = { S_APPLICANT, "motif", NULL };
static const char *const s_outcome_names[] = { S_APPLICANT, "fin", "motivation", NULL };
static const char *const s_outcome_sections[] = { "retablie", "retiree", "motivations", NULL };
static const char *const s_withdrawn_sections[] = { "expiree", NULL };
static const char *const s_token_names[] = { S_APPLICANT, "lien_suivi", "lien_perdu", NULL };
static const char *const s_token_sections[] = { "lien", NULL };
static const char *const s_member_names[] = { "membre", "bureau", "preferences", "jours", "dossier", "organisation",
                                              "tour", "examen", "depuis", NULL };
static const char *const s_member_sections[] = { "dossiers", NULL };
static const char *const s_staff_complaint_names[] = { "dossier", "organisation", "tour", "bureau", NULL };
static const char *const s_staff_erasure_names[] = { "dossier", "date", NULL };
static const char *const s_staff_undeliverable_names[] = { "destinataire", "courrier", "dossier", "erreur",
                                                           "message_id", "tentatives", "date", NULL };

static const template_spec_t s_specs[] = {
    { "receipt", s_receipt_names, s_receipt_sections },
    { "incomplete", s_incomplete_names, s_incomplete_sections },
    { "in_review", s_plain_names, s_none },
    { "changes", s_decision_names, s_decision_sections },
    { "rejected", s_decision_names, s_rejected_sections },
    { "update_refused", s_decision_names, s_update_sections },
    { "appeal_received", s_appeal_names, s_none },
    { "approved", s_approved_names, s_decision_sections },
    { "published", s_published_names, s_none },
    { "reminder_60", s_reminder_names, s_none },
    { "reminder_14", s_reminder_names, s_none },
    { "suspended", s_reason_names, s_none },
    { "complaint_outcome", s_outcome_names, s_outcome_sections },
    { "withdrawn", s_reason_names, s_withdrawn_sections },
    { "erased", s_plain_names, s_none },
    { "token_reissued", s_token_names, s_token_sections },
    { "member_digest", s_member_names, s_member_sections },
    { "member_reminder", s_member_names, s_member_sections },
    { "staff_complaint", s_staff_complaint_names, s_none },
    { "staff_erasure", s_staff_erasure_names, s_none },
    { "staff_undeliverable", s_staff_undeliverable_names, s_none },
};

size_t letters_specs(const template_spec_t **out)
{
    *out = s_specs;
    return sizeof s_specs / sizeof *s_specs;
}

/* ---- the list of letters --------------------------------------------- */

void letters_init(letters_t *self)
{
    memset(self, 0, sizeof *self);
}

void letters_clear(letters_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        vars_destroy(&self->items[i].vars);
    free(self->items);
    letters_init(self);
}

static letter_t *s_letter(letters_t *out, const char *kind, const char *to, const char *to_name,
                          const char *app_id)
{
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 4;
        letter_t *grown = realloc(out->items, cap * sizeof *grown);
        if (!grown)
            return NULL;
        out->items = grown;
        out->cap = cap;
    }
    letter_t *l = &out->items[out->count];
    memset(l, 0, sizeof *l);
    if (!(l->vars = vars_new()))
        return NULL;
    out->count++;
    snprintf(l->kind, sizeof l->kind, "%s", kind);
    snprintf(l->to, sizeof l->to, "%s", to);
    snprintf(l->to_name, sizeof l->to_name, "%s", to_name ? to_name : "");
    snprintf(l->app_id, sizeof l->app_id, "%s", app_id ? app_id : "");
    return l;
}

/*  An id as it may stand in a Message-ID: letters, digits, '-'. */
static void s_atom(char *out, size_t cap, const char *text)
{
    size_t i = 0;
    for (; text[i] && i + 1 < cap; i++) {
        char c = text[i];
        out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '-';
    }
    out[i] = 0;
}

static const char *s_domain(const notify_settings_t *settings)
{
    return settings->domain[0] ? settings->domain : message_address_domain(settings->from);
}

/*  Writes the letter's Message-ID from format: 0, or -1 when it does not
 *  fit (a cut Message-ID could name two letters). */
static int s_set_id(letter_t *l, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int s_set_id(letter_t *l, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int len = vsnprintf(l->message_id, sizeof l->message_id, format, args);
    va_end(args);
    return len < 0 || (size_t)len >= sizeof l->message_id ? -1 : 0;
}

/*  The letter of an event to one recipient: its Message-ID names the
 *  stream, the seq, the event's time and the recipient. */
static letter_t *s_event_letter(letters_t *out, const letters_ctx_t *ctx, const char *kind, const char *to,
                                const char *to_name, const char *app_id)
{
    letter_t *l = s_letter(out, kind, to, to_name, app_id);
    if (l)
        message_id_make(l->message_id, sizeof l->message_id, ctx->stream, ctx->seq, ctx->at, to,
                        s_domain(ctx->settings));
    return l;
}

static int s_applicant_vars(vars_t *v, const notify_settings_t *settings, const letters_file_t *file)
{
    return vars_set(v, "organisation", file->name) || vars_set(v, "contact", file->contact)
           || vars_set(v, "dossier", file->id) || vars_setf(v, "page_suivi", "%ssuivi/%s", settings->public_url, file->id)
           || vars_set(v, "site", settings->public_url) ? -1 : 0;
}

static letter_t *s_to_applicant(letters_t *out, const letters_ctx_t *ctx, const char *kind, const letters_file_t *file)
{
    letter_t *l = s_event_letter(out, ctx, kind, file->email, file->contact, file->id);
    return l && !s_applicant_vars(l->vars, ctx->settings, file) ? l : NULL;
}

/*  The tracking link when the token is known; else the letter says it was
 *  shown on screen, and where to ask for a new one. */
static int s_link(vars_t *v, const notify_settings_t *settings, const char *id, const char *token)
{
    if (vars_setf(v, "lien_perdu", "%ssuivi/lien-perdu", settings->public_url) || vars_flag(v, "lien", false))
        return -1;
    if (!token)
        return 0;
    vars_t *item = vars_add_item(v, "lien");
    return item && !vars_setf(item, "lien_suivi", "%ssuivi/%s#jeton=%s", settings->public_url, id, token) ? 0 : -1;
}

static int s_motivations(vars_t *v, const msgpack_object *event)
{
    if (vars_flag(v, "motivations", false))
        return -1;
    const msgpack_object *list = doc_array(event, "motivations");
    for (size_t i = 0; i < doc_len(list); i++) {
        const msgpack_object *m = doc_at(list, i);
        if (m->type != MSGPACK_OBJECT_STR)
            continue;
        vars_t *item = vars_add_item(v, "motivations");
        if (!item || vars_setn(item, "motivation", m->via.str.ptr, m->via.str.size))
            return -1;
    }
    return 0;
}

static int s_str_var(vars_t *v, const char *name, const msgpack_object *map, const char *key)
{
    const char *text;
    size_t len;
    if (!doc_str(map, key, &text, &len))
        text = "", len = 0;
    return vars_setn(v, name, text, len);
}

static int s_date_var(vars_t *v, const char *name, int64_t t)
{
    char text[40];
    message_date_fr(t, text, sizeof text);
    return vars_set(v, name, text);
}

/*  Each address of ESSP_STAFF_EMAIL (comma-separated). */
static int s_to_staff(letters_t *out, const letters_ctx_t *ctx, const notify_settings_t *settings,
                      const char *kind, letter_t **first, size_t *n)
{
    *n = out->count;
    *first = NULL;
    const char *p = settings->staff;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        if (len && len < OUTBOX_ADDRESS_MAX) {
            char to[OUTBOX_ADDRESS_MAX];
            memcpy(to, p, len);
            to[len] = 0;
            if (!(ctx ? s_event_letter(out, ctx, kind, to, NULL, NULL) : s_letter(out, kind, to, NULL, NULL)))
                return -1;
        }
        p += strcspn(p, ",");
    }
    *first = out->count > *n ? &out->items[*n] : NULL;
    return 0;
}

/* ---- the file ---------------------------------------------------------- */

int letters_file_from_event(const msgpack_object *event, letters_file_t *file)
{
    memset(file, 0, sizeof *file);
    const msgpack_object *org = doc_path(doc_map(event, "application"), "organisation");
    const msgpack_object *contact = doc_map(org, "private_contact");
    if (doc_strcpy(event, "id", file->id, sizeof file->id) < 0 || !doc_uint(event, "revision", &file->revision)
        || doc_strcpy(org, "name", file->name, sizeof file->name) < 0
        || doc_strcpy(contact, "email", file->email, sizeof file->email) < 0)
        return -1;
    doc_strcpy(contact, "name", file->contact, sizeof file->contact);
    return 0;
}

/* ---- one letter per kind of event -------------------------------------- */

static int s_receipt_letter(letters_t *out, const letters_ctx_t *ctx, const letters_file_t *file,
                            const char *kind, const char *token)
{
    letter_t *l = s_to_applicant(out, ctx, kind, file);
    if (!l || s_link(l->vars, ctx->settings, file->id, token))
        return -1;
    if (strcmp(kind, "receipt"))
        return 0;
    return vars_flag(l->vars, "modification", file->revision > 1)
           || vars_setf(l->vars, "revision", "%llu", (unsigned long long) file->revision) ? -1 : 0;
}

/*  A blocking criterion as an item of the letter's "criteres"
 *  (kept_report_each); 1 when out of memory. */
static int s_add_blocking(const kept_criterion_t *c, void *arg)
{
    letter_t *l = arg;
    if (!c->blocking)
        return 0;
    char code[32];
    snprintf(code, sizeof code, "%.*s", (int)c->code_len, c->code);
    const charter_criterion_t *known = charter_criterion_find(code);
    vars_t *item = vars_add_item(l->vars, "criteres");
    if (!item || vars_set(item, "code", code) || vars_set(item, "titre", known ? known->title_fr : code)
        || vars_setn(item, "motif", c->reason, c->reason_len) || vars_setn(item, "champ", c->field, c->field_len))
        return 1;
    return 0;
}

static int s_incomplete(letters_t *out, const letters_ctx_t *ctx, const msgpack_object *event,
                        const letters_file_t *file)
{
    if (!doc_str_eq(event, "verdict", "incomplete"))
        return 0;
    letter_t *l = s_to_applicant(out, ctx, "incomplete", file);
    if (!l || vars_flag(l->vars, "criteres", false))
        return -1;
    /* A report that cannot be read lists no criterion: the letter still
     * says the application is incomplete and where to complete it. */
    proto_error_t err;
    return kept_report_each(doc_get(event, "report"), s_add_blocking, l, &err) == 1 ? -1 : 0;
}

static int s_queued(letters_t *out, const letters_ctx_t *ctx, const msgpack_object *event, const letters_file_t *file)
{
    if (doc_str_eq(event, "kind", "review"))
        return file && s_to_applicant(out, ctx, "in_review", file) == NULL ? -1 : 0;
    if (!doc_str_eq(event, "kind", "complaint"))
        return 0;
    letter_t *first;
    size_t from;
    if (s_to_staff(out, ctx, ctx->settings, "staff_complaint", &first, &from))
        return -1;
    uint64_t round = 0;
    doc_uint(event, "round", &round);
    for (size_t i = from; i < out->count; i++) {
        vars_t *v = out->items[i].vars;
        if (s_str_var(v, "dossier", event, "id") || vars_set(v, "organisation", file ? file->name : "(inconnue)")
            || vars_setf(v, "tour", "%llu", (unsigned long long) round) || vars_set(v, "bureau", ctx->settings->desk_url))
            return -1;
    }
    return 0;
}

static int s_decided(letters_t *out, const letters_ctx_t *ctx, const msgpack_object *event, const letters_file_t *file)
{
    if (!file)
        return 0;
    bool complaint = doc_str_eq(event, "kind", "complaint");
    const char *text;
    size_t len;
    if (!doc_str(event, "decision", &text, &len))
        return 0;
    char decision[16];
    snprintf(decision, sizeof decision, "%.*s", (int) (len < 15 ? len : 15), text);
    uint64_t expires = 0;
    bool has_end = doc_uint(event, "expires", &expires);
    letter_t *l = NULL;
    /* An update of a published listing (review's "change"): its approval
     * is told by the letter of the next version's publication; a refusal
     * leaves the listing as it was, and cannot be appealed. */
    bool update = doc_get(event, "change") != NULL;
    if (update && !complaint) {
        if (strcmp(decision, "reject") != 0 && strcmp(decision, "changes") != 0)
            return 0;
        if (!(l = s_to_applicant(out, ctx, "update_refused", file))
            || vars_flag(l->vars, "modifications", !strcmp(decision, "changes")))
            return -1;
        return s_motivations(l->vars, event) ? -1 : 0;
    }
    if (complaint && (!strcmp(decision, "reinstate") || !strcmp(decision, "withdraw"))) {
        if (!(l = s_to_applicant(out, ctx, "complaint_outcome", file)))
            return -1;
        bool back = !strcmp(decision, "reinstate");
        if (vars_flag(l->vars, "retablie", back) || vars_flag(l->vars, "retiree", !back))
            return -1;
        if (s_date_var(l->vars, "fin", has_end ? (int64_t) expires : ctx->at))
            return -1;
    } else if (!complaint && !strcmp(decision, "approve")) {
        if (doc_str_eq(event, "provenance", "imported"))
            return 0;
        if (!(l = s_to_applicant(out, ctx, "approved", file))
            || s_date_var(l->vars, "fin", has_end ? (int64_t) expires : ctx->at))
            return -1;
    } else if (!complaint && !strcmp(decision, "changes")) {
        l = s_to_applicant(out, ctx, "changes", file);
    } else if (!complaint && !strcmp(decision, "reject")) {
        /* A rejection in review may be appealed once; after the appeal it is final. */
        if ((l = s_to_applicant(out, ctx, "rejected", file))
            && vars_flag(l->vars, "appel", !doc_str_eq(event, "kind", "appeal")))
            return -1;
    } else
        return 0;
    return l && !s_motivations(l->vars, event) ? 0 : -1;
}

static int s_withdrawn(letters_t *out, const letters_ctx_t *ctx, const msgpack_object *event,
                       const letters_file_t *file)
{
    const char *kind;
    size_t len;
    if (!file)
        return 0;
    if (!doc_str(event, "kind", &kind, &len))
        kind = "withdrawn", len = 9;
    letter_t *l;
    if (len == 9 && !memcmp(kind, "suspended", 9))
        l = s_to_applicant(out, ctx, "suspended", file);
    else if ((len == 9 && !memcmp(kind, "withdrawn", 9)) || (len == 7 && !memcmp(kind, "expired", 7))) {
        l = s_to_applicant(out, ctx, "withdrawn", file);
        if (l && vars_flag(l->vars, "expiree", len == 7))
            return -1;
    } else
        return 0;   /* renewed: the renewal's own letters say it; erased: the erasure's */
    return l && !s_str_var(l->vars, "motif", event, "reason") ? 0 : -1;
}

static int s_listing_vars(vars_t *v, const notify_settings_t *settings, const char *id, int64_t expires)
{
    return vars_setf(v, "fiche", "%saccompagnateurs/%s.html", settings->directory_url, id)
           || s_date_var(v, "fin", expires) ? -1 : 0;
}

static int s_upsert(letters_t *out, const letters_ctx_t *ctx, const msgpack_object *event, const letters_file_t *file)
{
    if (!file)
        return 0;
    char until[16] = "";
    int32_t days = 0;
    const msgpack_object *entry = doc_map(event, "entry");
    int64_t expires = doc_strcpy(entry, "listed_until", until, sizeof until) == 10
                              && date_parse(until, 10, &days) == 0
                          ? (int64_t) days * 86400
                          : 0;
    letter_t *l = s_to_applicant(out, ctx, "published", file);
    if (!l || s_listing_vars(l->vars, ctx->settings, file->id, expires))
        return -1;
    if (!expires)
        return vars_set(l->vars, "fin", "(non précisée)");
    return 0;
}

static int s_erased(letters_t *out, const letters_ctx_t *ctx, const msgpack_object *event, const letters_file_t *file)
{
    if (file && !s_to_applicant(out, ctx, "erased", file))
        return -1;
    letter_t *first;
    size_t from;
    if (s_to_staff(out, ctx, ctx->settings, "staff_erasure", &first, &from))
        return -1;
    for (size_t i = from; i < out->count; i++)
        if (s_str_var(out->items[i].vars, "dossier", event, "id") || s_date_var(out->items[i].vars, "date", ctx->at))
            return -1;
    return 0;
}

int letters_from_event(letters_t *out, const letters_ctx_t *ctx, const char *type, const msgpack_object *event,
                       const letters_file_t *file, const char *token)
{
    const char *stream = ctx->stream;
    if (!strcmp(stream, "intake")) {
        /* A listing imported by staff was approved before essp: no
         * receipt, no approval letter; the "published" letter tells its
         * advisor where it is and until when. */
        if (!strcmp(type, "submitted"))
            return file && !doc_str_eq(event, "provenance", "imported")
                       ? s_receipt_letter(out, ctx, file, "receipt", token) : 0;
        if (!strcmp(type, "token_reissued"))
            return file ? s_receipt_letter(out, ctx, file, "token_reissued", token) : 0;
        if (!strcmp(type, "appealed")) {
            letter_t *l = file ? s_to_applicant(out, ctx, "appeal_received", file) : NULL;
            return !file || (l && !s_str_var(l->vars, "motivation", event, "motivation")) ? 0 : -1;
        }
        if (!strcmp(type, "erased"))
            return s_erased(out, ctx, event, file);
    } else if (!strcmp(stream, "validation")) {
        if (!strcmp(type, "validated"))
            return file ? s_incomplete(out, ctx, event, file) : 0;
    } else if (!strcmp(stream, "review")) {
        if (!strcmp(type, "queued"))
            return s_queued(out, ctx, event, file);
        if (!strcmp(type, "decided"))
            return s_decided(out, ctx, event, file);
        if (!strcmp(type, "withdrawn"))
            return s_withdrawn(out, ctx, event, file);
    } else if (!strcmp(stream, "publication")) {
        if (!strcmp(type, "upsert"))
            return s_upsert(out, ctx, event, file);
    }
    return 0;
}

/* ---- letters of no event ----------------------------------------------- */

int letters_days_left(int64_t expires, int64_t at)
{
    if (at >= expires)
        return 0;
    return (int) ((expires - at + S_DAY - 1) / S_DAY);
}

bool letters_reminder_wanted(int days, int64_t expires, int64_t at)
{
    int left = letters_days_left(expires, at);
    return days == 60 ? left > LETTERS_REMINDER_60_MIN : left > 0;
}

/*  "dans deux mois (60 jours)", "dans 45 jours", "demain": the delay as a
 *  person says it, from the days really left. */
static void s_delay_fr(int left, char *out, size_t cap)
{
    if (left <= 1)
        snprintf(out, cap, "demain");
    else if (left == 60)
        snprintf(out, cap, "dans deux mois (60 jours)");
    else if (left == 14)
        snprintf(out, cap, "dans deux semaines (14 jours)");
    else if (left == 7)
        snprintf(out, cap, "dans une semaine (7 jours)");
    else
        snprintf(out, cap, "dans %d jours", left);
}

int letters_listing_reminder(letters_t *out, const notify_settings_t *settings, const letters_file_t *file,
                             int days, int64_t expires, int64_t at)
{
    char kind[16], atom[OUTBOX_APP_MAX], hash[17], delay[48];
    int left = letters_days_left(expires, at);
    snprintf(kind, sizeof kind, "reminder_%d", days);
    letter_t *l = s_letter(out, kind, file->email, file->contact, file->id);
    if (!l)
        return -1;
    s_atom(atom, sizeof atom, file->id);
    message_address_hash16(file->email, hash);
    if (s_set_id(l, "reminder%d.%lld.%s.%s@%s", days, (long long) expires, atom, hash, s_domain(settings)))
        return -1;
    s_delay_fr(left, delay, sizeof delay);
    return s_applicant_vars(l->vars, settings, file) || s_listing_vars(l->vars, settings, file->id, expires)
                   || vars_setf(l->vars, "jours", "%d", left) || vars_set(l->vars, "delai", delay)
                   || vars_set(l->vars, "renouveler", settings->public_url)
               ? -1
               : 0;
}

int letters_undeliverable(letters_t *out, const notify_settings_t *settings, const outbox_record_t *failed)
{
    letter_t *first;
    size_t from;
    if (s_to_staff(out, NULL, settings, "staff_undeliverable", &first, &from))
        return -1;
    char failed_hash[17];
    message_address_hash16(failed->message_id, failed_hash);
    for (size_t i = from; i < out->count; i++) {
        letter_t *l = &out->items[i];
        char hash[17];
        message_address_hash16(l->to, hash);
        if (s_set_id(l, "undeliverable.%s.%s@%s", failed_hash, hash, s_domain(settings)))
            return -1;
        vars_t *v = l->vars;
        if (vars_set(v, "destinataire", failed->to) || vars_set(v, "courrier", failed->kind)
            || vars_set(v, "dossier", failed->app_id[0] ? failed->app_id : "(aucun)")
            || vars_set(v, "erreur", failed->error) || vars_set(v, "message_id", failed->message_id)
            || vars_setf(v, "tentatives", "%u", failed->attempts) || s_date_var(v, "date", failed->done_at))
            return -1;
    }
    return 0;
}

/* ---- the members' digests ---------------------------------------------- */

static const char *s_round_kind_fr(const msgpack_object *file)
{
    return doc_str_eq(file, "kind", "appeal") ? "appel" : doc_str_eq(file, "kind", "complaint") ? "réclamation"
                                                                                                 : "examen";
}

bool letters_file_is_due(const letters_member_filter_t *filter, const notify_settings_t *settings, const char *kind,
                         const char *email, const msgpack_object *file, int64_t at)
{
    char id[OUTBOX_APP_MAX];
    uint64_t round = 0, queued_at = 0;
    int len = doc_strcpy(file, "id", id, sizeof id);
    if (len < 1 || (size_t) len >= sizeof id || !doc_uint(file, "round", &round))
        return false;
    if (!strcmp(kind, "member_digest"))
        return filter->is_new(filter->arg, email, id, round);
    doc_uint(file, "queued_at", &queued_at);
    return (int64_t) queued_at + settings->reminder_days * 86400 <= at
           && !filter->is_recalled(filter->arg, email, id, round);
}

static int s_member_letter(letters_t *out, const notify_settings_t *settings, const msgpack_object *member,
                           size_t index, const char *kind, int64_t at, const letters_member_filter_t *filter)
{
    char email[OUTBOX_ADDRESS_MAX], name[LETTERS_NAME_MAX] = "";
    if (doc_strcpy(member, "email", email, sizeof email) < 0)
        return 0;
    doc_strcpy(member, "name", name, sizeof name);
    const msgpack_object *files = doc_array(member, "files");
    size_t due = 0;
    for (size_t i = 0; i < doc_len(files); i++)
        due += letters_file_is_due(filter, settings, kind, email, doc_at(files, i), at);
    if (!due)
        return 0;
    letter_t *l = s_letter(out, kind, email, name, NULL);
    if (!l)
        return -1;
    l->member = index;
    l->unsubscribe = true;
    char day[11], hash[17];
    date_format((int32_t) (at / 86400), day);
    message_address_hash16(email, hash);
    if (s_set_id(l, "%s.%.4s%.2s%.2s.%s@%s", strcmp(kind, "member_digest") ? "recall" : "digest", day, day + 5,
                 day + 8, hash, s_domain(settings)))
        return -1;
    vars_t *v = l->vars;
    if (vars_set(v, "membre", name) || vars_set(v, "bureau", settings->desk_url)
        || vars_setf(v, "preferences", "%spreferences", settings->desk_url)
        || vars_setf(v, "jours", "%ld", settings->reminder_days) || vars_flag(v, "dossiers", false))
        return -1;
    for (size_t i = 0; i < doc_len(files); i++) {
        const msgpack_object *f = doc_at(files, i);
        if (!letters_file_is_due(filter, settings, kind, email, f, at))
            continue;
        uint64_t round = 0, queued_at = 0;
        doc_uint(f, "round", &round);
        doc_uint(f, "queued_at", &queued_at);
        vars_t *item = vars_add_item(v, "dossiers");
        if (!item || s_str_var(item, "dossier", f, "id") || s_str_var(item, "organisation", f, "name")
            || vars_setf(item, "tour", "%llu", (unsigned long long) round)
            || vars_set(item, "examen", s_round_kind_fr(f)) || s_date_var(item, "depuis", (int64_t) queued_at))
            return -1;
    }
    return 0;
}

int letters_digest(letters_t *out, const notify_settings_t *settings, const msgpack_object *pending, int64_t at,
                   const letters_member_filter_t *filter)
{
    const msgpack_object *members = doc_array(pending, "members");
    for (size_t i = 0; i < doc_len(members); i++) {
        const msgpack_object *m = doc_at(members, i);
        if (m->type != MSGPACK_OBJECT_MAP || !doc_bool(m, "digest", false))
            continue;
        if (s_member_letter(out, settings, m, i, "member_digest", at, filter)
            || s_member_letter(out, settings, m, i, "member_reminder", at, filter))
            return -1;
    }
    return 0;
}
