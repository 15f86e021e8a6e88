/*  services/intake/streams.c - see streams.h. */
#include "streams.h"

#include "intake.h"
#include "record.h"
#include "rules.h"
#include "update.h"

#include "proto/doc.h"
#include "proto/history.h"
#include "proto/kept_report.h"
#include "proto/messages.h"
#include "common/log.h"
#include "common/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  Loads the record an event is about, when it concerns its current
 *  revision (events of an older revision are history, already superseded).
 *  Returns 0 and *current, or an LMDB code other than NOTFOUND. */
const char *const intake_validation_omit[] = {"application", NULL};
const char *const intake_review_omit[] = {"application", NULL};
const char *const intake_publication_omit[] = {"signed", "sig", NULL};

static int s_load_current(MDB_txn *txn, service_t *svc, scratch_t *s, const msgpack_object *event,
                          bool any_revision, msgpack_object *record, bool *current)
{
    const char *id;
    size_t id_len;
    *current = false;
    msgpack_zone_clear(&s->zone);
    if (!doc_str(event, "id", &id, &id_len))
        return 0;
    int rc = record_load(txn, svc, id, id_len, &s->zone, record);
    if (rc == MDB_NOTFOUND) {
        log_warn("event about unknown application %.*s ignored", (int)id_len, id);
        return 0;
    }
    if (rc)
        return rc;
    uint64_t mine = 0, theirs = 0;
    doc_uint(record, "revision", &mine);
    *current = any_revision || !doc_uint(event, "revision", &theirs) || theirs == mine;
    return 0;
}

/*  What an event changes in the record.  The handler decides the state
 *  from the record as it stands; s_rewrite writes it with the history
 *  record, and optionally a report, a decision appended, a reason, the
 *  kind of a withdrawal, an expiry date, one more suspension counted. */
typedef struct {
    const char *state;           /* the new state; NULL: it stays */
    const msgpack_object *report;
    const msgpack_object *decision_event;
    const char *reason;          /* with a state withdrawn or suspended */
    size_t reason_len;
    const char *kind;            /* withdrawn_kind, with the state withdrawn */
    const msgpack_object *expires;
    int suspended_by;            /* intake_stream_t, or 0: one more suspension seen on that stream */
    const char *what;            /* the history record's "what"; who and why are in scratch */
    bool recorded;               /* a fact of its own: recorded even when the state stays */
} change_t;

static void s_pack_decision(msgpack_packer *pk, const msgpack_object *event)
{
    static const char *const fields[] = {"round", "revision", "decision", "motivations", "at"};
    const msgpack_object *kind = doc_get(event, "kind"), *voters = doc_get(event, "voters");
    msgpack_pack_map(pk, proto_entries(5, kind, voters));
    for (size_t i = 0; i < 5; i++) {
        const msgpack_object *value = doc_get(event, fields[i]);
        proto_pack_str(pk, fields[i]);
        if (value)
            msgpack_pack_object(pk, *value);
        else
            msgpack_pack_nil(pk);
    }
    if (kind) {
        proto_pack_str(pk, "kind");
        msgpack_pack_object(pk, *kind);
    }
    if (voters) {
        proto_pack_str(pk, "voters");
        msgpack_pack_object(pk, *voters);
    }
}

static int s_rewrite(MDB_txn *txn, service_t *svc, scratch_t *s, const msgpack_object *record,
                     const change_t *change, int64_t now)
{
    bool moves = change->state && !record_is_state(record, change->state);
    if (!moves && !change->decision_event && !change->report && !change->recorded && !change->suspended_by
        && !change->expires)
        return 0;
    /* The history record first: it reads the head from `record`, which
     * must not be read after the first write. */
    record_head_t history;
    if (record_head_read(record, s, &history))
        return MDB_CORRUPTED;
    char state[32];
    doc_strcpy(record, "state", state, sizeof state);
    const char *after = moves ? change->state : state;
    record_history_prepare(s, &history, change->what, after, now);
    /* A reason belongs to a withdrawn or suspended file: set with such a
     * state, dropped when the file leaves it (reinstated). */
    bool ends = strcmp(after, STATE_WITHDRAWN) == 0 || strcmp(after, STATE_SUSPENDED) == 0;
    bool set_reason = moves && ends && change->reason;
    const char *skip[12] = {"updated_at", "history", NULL};
    size_t n = 2, extra = 2;
    if (moves)
        skip[n++] = "state", extra++;
    if (change->report)
        skip[n++] = "report", extra++;
    if (change->decision_event)
        skip[n++] = "decisions", extra++;
    if (set_reason || (moves && !ends))
        skip[n++] = "reason", extra += set_reason;
    if (moves && change->kind)
        skip[n++] = "withdrawn_kind", extra++;
    if (change->expires)
        skip[n++] = "expires", extra++;
    if (change->suspended_by)
        skip[n++] = "suspensions", extra++;
    uint64_t by_review, by_publication;
    intake_suspensions(record, &by_review, &by_publication);
    msgpack_sbuffer_clear(&s->buf);
    doc_pack_map_except(&s->pk, record, skip, extra);
    proto_pack_kv_uint(&s->pk, "updated_at", (uint64_t)now);
    record_head_pack(&s->pk, &history, s);
    if (moves)
        proto_pack_kv_str(&s->pk, "state", change->state);
    if (change->report)
        proto_pack_kv_bool(&s->pk, "report", true);
    if (change->decision_event) {
        const msgpack_object *old = doc_array(record, "decisions");
        proto_pack_str(&s->pk, "decisions");
        msgpack_pack_array(&s->pk, doc_len(old) + 1);
        for (size_t i = 0; i < doc_len(old); i++)
            msgpack_pack_object(&s->pk, *doc_at(old, i));
        s_pack_decision(&s->pk, change->decision_event);
    }
    if (set_reason)
        proto_pack_kv_strn(&s->pk, "reason", change->reason, change->reason_len);
    if (moves && change->kind)
        proto_pack_kv_str(&s->pk, "withdrawn_kind", change->kind);
    if (change->expires) {
        proto_pack_str(&s->pk, "expires");
        msgpack_pack_object(&s->pk, *change->expires);
    }
    if (change->suspended_by) {
        proto_pack_str(&s->pk, "suspensions");
        msgpack_pack_array(&s->pk, 2);
        msgpack_pack_uint64(&s->pk, by_review + (change->suspended_by == INTAKE_BY_REVIEW));
        msgpack_pack_uint64(&s->pk, by_publication + (change->suspended_by == INTAKE_BY_PUBLICATION));
    }
    char id[PROTO_ID_MAX + 1];
    int id_len = record_id(record, id);
    if (id_len < 0)
        return MDB_CORRUPTED;
    int rc = record_history_store(txn, svc, s);
    if (!rc && change->report)
        rc = record_put_report(txn, svc, id, (size_t)id_len, change->report, &s->hist);
    return rc ? rc : record_store(txn, svc, id, (size_t)id_len, &s->buf);
}

typedef struct {
    text_t *why;
    size_t failing;
} failing_t;

/*  Adds the code of a criterion that failed to a why (kept_report_each). */
static int s_add_failing(const kept_criterion_t *c, void *arg)
{
    failing_t *f = arg;
    if (c->outcome_len != 4 || memcmp(c->outcome, "fail", 4) != 0)
        return 0;
    const char *separator = f->failing++ ? ", " : "; failing: ";
    text_add(f->why, separator, strlen(separator));
    text_add(f->why, c->code, c->code_len);
    return 0;
}

/*  why of a validation: the verdict and the codes of the criteria that
 *  failed ("verdict incomplete; failing: C03, C07"), read from the report
 *  in whichever form it came. */
static void s_why_validated(text_t *why, const msgpack_object *event)
{
    const char *text;
    size_t len;
    text_set(why, "verdict ");
    if (doc_str(event, "verdict", &text, &len))
        text_add(why, text, len);
    proto_error_t err;
    failing_t failing = {why, 0};
    if (kept_report_each(doc_get(event, "report"), s_add_failing, &failing, &err))
        log_warn("a validated event: %s", err.message);
}

int intake_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now)
{
    if (strcmp(type, "validated") != 0)
        return 0;
    scratch_t *s = ctx;
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, false, &record, &current);
    if (rc || !current || record_is_erased(&record))
        return rc;
    /* A file that passed stays received (with its report) until review's
     * "queued" says the committee has it: in_review means votable. */
    bool incomplete = doc_str_eq(event, "verdict", "incomplete");
    change_t change = {.state = incomplete ? intake_forward(&record, STATE_INCOMPLETE) : NULL,
                       .report = doc_get(event, "report"), .what = "validated"};
    text_set(&s->who, "validation");
    s_why_validated(&s->why, event);
    return s_rewrite(txn, svc, s, &record, &change, now);
}

/*  A texts array joined with `separator`. */
static void s_text_join(text_t *t, const msgpack_object *texts, const char *separator)
{
    for (size_t i = 0; i < doc_len(texts); i++) {
        const msgpack_object *item = doc_at(texts, i);
        if (item->type != MSGPACK_OBJECT_STR)
            continue;
        if (i)
            text_add(t, separator, strlen(separator));
        text_add(t, item->via.str.ptr, item->via.str.size);
    }
}

/*  who of a decision: the members who voted in the round (events written
 *  before review named them say "committee"); why: the round, its kind
 *  when it is not a first review, the decision and its motivations. */
static void s_describe_decision(scratch_t *s, const msgpack_object *event)
{
    const msgpack_object *voters = doc_array(event, "voters");
    s->who.len = 0;
    s_text_join(&s->who, voters, ", ");
    if (!s->who.len)
        text_set(&s->who, "committee");
    uint64_t round = 0;
    doc_uint(event, "round", &round);
    text_set(&s->why, "");
    text_add_number(&s->why, "round ", round);
    const char *text = "";
    size_t len = 0;
    if (doc_str(event, "kind", &text, &len) && !doc_str_eq(event, "kind", "review")) {
        text_add(&s->why, " (", 2);
        text_add(&s->why, text, len);
        text_add(&s->why, ")", 1);
    }
    text_add(&s->why, ": ", 2);
    doc_str(event, "decision", &text, &len);
    text_add(&s->why, text, len);
    /* An update of a listing with minor changes only: nobody voted. */
    if (doc_str_eq(event, "change", "minor")) {
        text_set(&s->who, "review");
        const char *minor = " (minor update of the listing, no vote)";
        text_add(&s->why, minor, strlen(minor));
    }
    const msgpack_object *motivations = doc_array(event, "motivations");
    if (doc_len(motivations)) {
        text_add(&s->why, "; motivations: ", 15);
        s_text_join(&s->why, motivations, " | ");
    }
}

/*  A decision of the committee.  Review and appeal rounds decide approve,
 *  reject or changes on the current revision; complaint rounds reinstate a
 *  suspended listing or withdraw it (the motivations are the reason). */
static int s_apply_decided(scratch_t *s, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                           int64_t now)
{
    bool complaint = doc_str_eq(event, "decision", "reinstate") || doc_str_eq(event, "decision", "withdraw");
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, complaint, &record, &current);
    if (rc || !current || record_is_erased(&record))
        return rc;
    change_t change = {.decision_event = event, .what = "decided", .expires = doc_get(event, "expires")};
    if (doc_str_eq(event, "decision", "reinstate")) {
        change.state = record_is_state(&record, STATE_SUSPENDED) ? STATE_APPROVED : NULL;
    } else if (doc_str_eq(event, "decision", "withdraw")) {
        change.state = record_is_state(&record, STATE_WITHDRAWN) ? NULL : STATE_WITHDRAWN;
        change.kind = "withdrawn";
    } else {
        const char *state = doc_str_eq(event, "decision", "approve") ? STATE_APPROVED
            : doc_str_eq(event, "decision", "reject")                ? STATE_REJECTED
                                                                     : STATE_CHANGES_REQUESTED;
        change.state = intake_forward(&record, state);
    }
    /* The reason of a withdrawal: the committee's motivations. */
    text_set(&s->reason, "");
    s_text_join(&s->reason, doc_array(event, "motivations"), " | ");
    change.reason = s->reason.text;
    change.reason_len = s->reason.len;
    s_describe_decision(s, event);
    /* An approved update is the listing now: nothing left to compare
     * the next one with but the stored document. */
    bool listed = doc_str_eq(event, "decision", "approve") && update_is_for(&record, event);
    char id[PROTO_ID_MAX + 1];
    int id_len = record_id(&record, id);
    rc = s_rewrite(txn, svc, s, &record, &change, now);
    return rc || !listed || id_len < 0 ? rc : update_forget_listed(txn, svc, id, (size_t)id_len);
}

/*  who of review's withdrawals: the staff withdraws, erases, and files
 *  complaints; expiry and renewal come from review's own rules. */
static const char *s_withdrawer(const char *kind)
{
    return strcmp(kind, "expired") == 0 || strcmp(kind, "renewed") == 0 ? "review" : "staff";
}

/*  review's "withdrawn": kind suspended suspends the file (a complaint is
 *  before the committee); every other kind (withdrawn, expired, renewed,
 *  erased) ends it, with the reason review gives.  The withdrawal is
 *  recorded even when the publication stream withdrew the listing first. */
static int s_apply_withdrawn(scratch_t *s, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                             int64_t now)
{
    char kind[32] = "withdrawn";
    doc_strcpy(event, "kind", kind, sizeof kind);
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, true, &record, &current);
    if (rc || !current || (record_is_erased(&record) && strcmp(kind, "erased") != 0))
        return rc;
    const char *reason = "";
    size_t reason_len = 0;
    doc_str(event, "reason", &reason, &reason_len);
    change_t change = {.reason = reason, .reason_len = reason_len, .what = "withdrawn", .recorded = true};
    if (strcmp(kind, "suspended") == 0) {
        change.state = intake_suspended_state(&record, INTAKE_BY_REVIEW);
        change.suspended_by = INTAKE_BY_REVIEW;
        change.what = "suspended";
    } else {
        change.state = STATE_WITHDRAWN;
        change.kind = kind;
    }
    text_set(&s->who, s_withdrawer(kind));
    text_set(&s->why, "");
    text_add(&s->why, reason, reason_len);
    return s_rewrite(txn, svc, s, &record, &change, now);
}

/*  review's "queued": a round opens, so the committee has the file and
 *  members can vote.  This, not validation's report, moves a file to
 *  in_review: a review round of the current revision (a received file),
 *  or the appeal round of an appealed rejection.  A complaint round is
 *  recorded (the listing stays suspended); a review round that moves
 *  nothing (a late event) is not. */
static int s_apply_queued(scratch_t *s, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                          int64_t now)
{
    const char *kind = "review";
    size_t kind_len = 6;
    doc_str(event, "kind", &kind, &kind_len);
    bool review = kind_len == 6 && memcmp(kind, "review", 6) == 0;
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, !review, &record, &current);
    if (rc || !current || record_is_erased(&record))
        return rc;
    /* The round of an update is recorded too: the listing stays
     * published, but the committee now has the update. */
    change_t change = {.state = intake_queued_state(&record, kind, kind_len), .what = "queued",
                       .recorded = !review || update_is_for(&record, event)};
    uint64_t round = 0;
    doc_uint(event, "round", &round);
    text_set(&s->who, "review");
    text_set(&s->why, "");
    text_add_number(&s->why, "round ", round);
    if (!review) {
        text_add(&s->why, " (", 2);
        text_add(&s->why, kind, kind_len);
        text_add(&s->why, ")", 1);
    }
    text_add(&s->why, " opens", 6);
    return s_rewrite(txn, svc, s, &record, &change, now);
}

int intake_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                        const msgpack_object *event, int64_t now)
{
    scratch_t *s = ctx;
    if (strcmp(type, "decided") == 0)
        return s_apply_decided(s, svc, txn, event, now);
    if (strcmp(type, "withdrawn") == 0)
        return s_apply_withdrawn(s, svc, txn, event, now);
    if (strcmp(type, "queued") == 0)
        return s_apply_queued(s, svc, txn, event, now);
    return 0;
}

int intake_apply_publication(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now)
{
    scratch_t *s = ctx;
    bool upsert = strcmp(type, "upsert") == 0;
    if (!upsert && strcmp(type, "withdraw") != 0)
        return 0;
    char reason[32] = "withdrawn";
    doc_strcpy(event, "reason", reason, sizeof reason);
    msgpack_object record;
    bool current;
    int rc = s_load_current(txn, svc, s, event, true, &record, &current);
    if (rc || !current || (record_is_erased(&record) && (upsert || strcmp(reason, "erased") != 0)))
        return rc;
    text_set(&s->who, "publication");
    if (upsert) {
        change_t change = {.state = intake_listed_state(&record), .what = "published"};
        /* A published listing listed again: an update, the next version. */
        change.recorded = !change.state && record_is_state(&record, STATE_PUBLISHED);
        if (!change.state && !change.recorded)
            return 0;
        uint64_t version = 0;
        doc_uint(event, "version", &version);
        text_set(&s->why, "");
        text_add_number(&s->why, "listed in the directory, version ", version);
        return s_rewrite(txn, svc, s, &record, &change, now);
    }
    change_t change = {.reason = reason, .reason_len = strlen(reason), .what = "unlisted"};
    if (strcmp(reason, "suspended") == 0) {
        change.state = intake_suspended_state(&record, INTAKE_BY_PUBLICATION);
        change.suspended_by = INTAKE_BY_PUBLICATION;
    } else if (!record_is_state(&record, STATE_WITHDRAWN)) {
        change.state = STATE_WITHDRAWN;
        change.kind = reason;
    } else {
        return 0;
    }
    text_set(&s->why, "withdrawn from the directory: ");
    text_add(&s->why, reason, strlen(reason));
    return s_rewrite(txn, svc, s, &record, &change, now);
}
