/*  proto/messages.c - see messages.h.  The tables below are the catalogue;
 *  proto/README.md documents the same messages for people. */
#include "messages.h"

#include "proto/doc.h"
#include "proto/import_row.h"

#include <stdio.h>
#include <string.h>

const char *const proto_envelope_keys[] = {"seq", "v", "type", "at", NULL};

/*  F_REPORT: a validation report, the map or its compact form (an array,
 *  proto/kept_report.h). */
typedef enum { F_STR, F_UINT, F_INT, F_BOOL, F_MAP, F_ARRAY, F_ARRAY_STR, F_ANY, F_BIN, F_REPORT } field_kind_t;

typedef struct {
    const char *name;
    field_kind_t kind;
    bool required;
    uint32_t min;                           /* bytes of a string, items of an array */
    uint64_t max;                           /* idem; for F_UINT the largest value */
    bool (*allowed)(const char *, size_t);  /* enum check of a string, or NULL */
} field_t;

typedef struct {
    const char *type;
    const char *kind;                       /* "request", "reply", "event" */
    field_t fields[24];
} message_t;

#define REQ(n, k, lo, hi) {n, k, true, lo, hi, NULL}
#define OPT(n, k, lo, hi) {n, k, false, lo, hi, NULL}
#define ENUM(n, fn) {n, F_STR, true, 1, 64, fn}

static bool s_is_state(const char *text, size_t len);
static bool s_is_account_role(const char *text, size_t len);
static bool s_is_desk_op(const char *text, size_t len);

/*  decided's "change": the decision is on an update of a listing, "minor"
 *  (decided without a round) or "substantive" (a round's). */
static bool s_is_change(const char *text, size_t len)
{
    return (len == 5 && memcmp(text, "minor", 5) == 0) || (len == 11 && memcmp(text, "substantive", 11) == 0);
}

static const message_t s_catalogue[] = {
    /* requests */
    {"ping", "request", {{0}}},
    {"health", "request", {{0}}},
    {"pull", "request", {REQ("after", F_UINT, 0, UINT64_MAX), OPT("max", F_UINT, 1, PROTO_BATCH_MAX),
                         OPT("wait", F_UINT, 0, PROTO_WAIT_MAX_MS),
                         OPT("omit", F_ARRAY_STR, 1, PROTO_OMIT_MAX)}},
    {"submit", "request", {REQ("application", F_MAP, 0, 0), OPT("key", F_STR, 1, 64),
                           OPT("renews", F_STR, 1, PROTO_ID_MAX)}},
    {"amend", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("application", F_MAP, 0, 0),
                          OPT("key", F_STR, 1, 64), OPT("token", F_STR, 1, 64)}},
    {"status", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), OPT("token", F_STR, 1, 64),
                           OPT("with_application", F_BOOL, 0, 0)}},
    {"history", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), OPT("token", F_STR, 1, 64)}},
    {"appeal", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("motivation", F_STR, 1, PROTO_TEXT_MAX),
                           OPT("token", F_STR, 1, 64), OPT("key", F_STR, 1, 64)}},
    {"erase", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX)}},
    /* essp import (staff key, intake's CURVE endpoint): rows of
     * {line, application, approved_at} (proto/import_row.h). */
    {"import", "request", {REQ("rows", F_ARRAY, 1, IMPORT_ROWS_MAX), OPT("dry_run", F_BOOL, 0, 0)}},
    {"member_add", "request", {REQ("name", F_STR, 1, PROTO_NAME_MAX),
                               {"college", F_STR, true, 1, 64, proto_is_college},
                               OPT("ties", F_ARRAY_STR, 0, 50), OPT("networks", F_ARRAY_STR, 0, 50),
                               OPT("email", F_STR, 1, PROTO_EMAIL_MAX), OPT("digest", F_BOOL, 0, 0)}},
    {"member_update", "request", {REQ("name", F_STR, 1, PROTO_NAME_MAX),
                                  {"college", F_STR, false, 1, 64, proto_is_college},
                                  OPT("ties", F_ARRAY_STR, 0, 50), OPT("networks", F_ARRAY_STR, 0, 50),
                                  OPT("email", F_STR, 1, PROTO_EMAIL_MAX), OPT("digest", F_BOOL, 0, 0)}},
    {"pending", "request", {OPT("since", F_UINT, 0, INT64_MAX), OPT("older_than", F_UINT, 0, INT64_MAX)}},
    {"token_reissue", "request", {REQ("contact", F_STR, 1, PROTO_EMAIL_MAX)}},
    {"member_list", "request", {{0}}},
    {"member_remove", "request", {REQ("name", F_STR, 1, PROTO_NAME_MAX)}},
    {"queue", "request", {OPT("member", F_STR, 1, PROTO_NAME_MAX), OPT("after", F_STR, 0, PROTO_ID_MAX),
                          OPT("limit", F_UINT, 1, PROTO_PAGE_MAX),
                          {"college", F_STR, false, 1, 64, proto_is_college},
                          OPT("department", F_STR, 2, 3), OPT("theme", F_STR, 1, 64)}},
    {"recuse", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), OPT("member", F_STR, 1, PROTO_NAME_MAX),
                           REQ("reason", F_STR, 1, PROTO_TEXT_MAX)}},
    {"complaint", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("reason", F_STR, 1, PROTO_TEXT_MAX)}},
    {"tick", "request", {OPT("now", F_UINT, 0, INT64_MAX)}},
    {"vote", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), OPT("member", F_STR, 1, PROTO_NAME_MAX),
                         ENUM("decision", proto_is_decision), OPT("motivation", F_STR, 0, PROTO_TEXT_MAX),
                         OPT("round", F_UINT, 1, UINT64_MAX)}},
    {"withdraw", "request", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("reason", F_STR, 1, PROTO_TEXT_MAX)}},
    {"directory", "request", {OPT("after", F_STR, 0, 512), OPT("limit", F_UINT, 1, PROTO_PAGE_MAX),
                              OPT("department", F_STR, 0, 3), OPT("theme", F_STR, 0, 64),
                              OPT("format", F_STR, 0, 16), OPT("scope", F_STR, 0, 16),
                              OPT("legal_form", F_STR, 0, 32), OPT("q", F_STR, 0, 200)}},
    {"hello", "request", {{0}}},
    /* essp-desk's accounts, asked by the staff on the desk's CURVE
     * endpoint: an invitation (or a reset: the key pair is issued again),
     * the list, a removal.  pwhash, salt and totp_sealed set the password
     * directly (the demo accounts only). */
    {"account_invite", "request", {REQ("email", F_STR, 3, 254), REQ("name", F_STR, 1, PROTO_NAME_MAX),
                                   {"role", F_STR, true, 1, 16, s_is_account_role},
                                   REQ("public_key", F_BIN, 32, 32), REQ("sealed_secret", F_BIN, 72, 72),
                                   OPT("token_hash", F_BIN, 32, 32), OPT("expires", F_UINT, 0, INT64_MAX),
                                   OPT("reset", F_BOOL, 0, 0), OPT("pwhash", F_STR, 1, 128),
                                   OPT("salt", F_BIN, 16, 16), OPT("totp_sealed", F_BIN, 41, 72)}},
    {"account_list", "request", {{0}}},
    {"account_remove", "request", {REQ("email", F_STR, 3, 254)}},
    /* essp-desk's web threads to its own core (in process only: "inproc"
     * is the process's random key, so that nothing outside it reads an
     * account or opens a session). */
    {"desk_get", "request", {REQ("inproc", F_BIN, 32, 32), OPT("email", F_STR, 1, 254),
                             OPT("token_hash", F_BIN, 32, 32), OPT("session", F_BIN, 32, 32),
                             OPT("address", F_STR, 0, 64)}},
    {"desk_write", "request", {REQ("inproc", F_BIN, 32, 32), {"op", F_STR, true, 1, 32, s_is_desk_op},
                               OPT("email", F_STR, 1, 254), OPT("token_hash", F_BIN, 32, 32),
                               OPT("session", F_BIN, 32, 32), OPT("csrf", F_STR, 1, 64),
                               OPT("address", F_STR, 0, 64), OPT("pwhash", F_STR, 1, 128),
                               OPT("salt", F_BIN, 16, 16), OPT("sealed_secret", F_BIN, 72, 72),
                               OPT("totp_sealed", F_BIN, 41, 72), OPT("recovery", F_ARRAY, 0, 20),
                               OPT("code_hash", F_BIN, 32, 32), OPT("stage", F_STR, 1, 8),
                               OPT("step", F_UINT, 0, INT64_MAX)}},
    /* essp-notify (services/notify/notify.h): the sender thread's requests
     * carry the secret the shell drew at start; mail_failed is for staff. */
    {"outbox_due", "request", {REQ("secret", F_STR, 64, 64), REQ("at", F_UINT, 0, INT64_MAX),
                               OPT("limit", F_UINT, 1, 100)}},
    {"outbox_mark", "request", {REQ("secret", F_STR, 64, 64), REQ("message_id", F_STR, 1, 200),
                                REQ("at", F_UINT, 0, INT64_MAX), REQ("outcome", F_STR, 1, 16),
                                OPT("error", F_STR, 0, PROTO_TEXT_MAX)}},
    {"mail_tick", "request", {REQ("secret", F_STR, 64, 64), REQ("at", F_UINT, 0, INT64_MAX)}},
    {"mail_digest", "request", {REQ("secret", F_STR, 64, 64), REQ("at", F_UINT, 0, INT64_MAX),
                                REQ("pending", F_MAP, 0, 0)}},
    {"mail_failed", "request", {OPT("after", F_STR, 0, 200), OPT("limit", F_UINT, 1, PROTO_PAGE_MAX)}},
    /* essp backup (staff key, any service's CURVE endpoint, answered by
     * the shell): take no upstream batch for ms milliseconds; 0 ends it. */
    {"backup_hold", "request", {REQ("ms", F_UINT, 0, PROTO_HOLD_MAX_MS)}},
    /* replies */
    {"pong", "reply", {REQ("service", F_STR, 1, 32), REQ("head", F_UINT, 0, UINT64_MAX)}},
    {"health", "reply", {REQ("service", F_STR, 1, 32), REQ("ready", F_BOOL, 0, 0),
                         REQ("head", F_UINT, 0, UINT64_MAX), REQ("waiting", F_ARRAY_STR, 0, 16),
                         REQ("streams", F_ARRAY, 0, 16)}},
    {"hello", "reply", {REQ("service", F_STR, 1, 32), REQ("head", F_UINT, 0, UINT64_MAX),
                        REQ("algorithm", F_STR, 1, 32), REQ("context", F_STR, 1, 64),
                        REQ("key", F_STR, 64, 64), OPT("since", F_UINT, 1, UINT64_MAX),
                        OPT("keys", F_ARRAY, 1, 1000)}},
    {"batch", "reply", {REQ("head", F_UINT, 0, UINT64_MAX), REQ("events", F_ARRAY, 0, PROTO_BATCH_MAX)}},
    {"imported", "reply", {REQ("dry_run", F_BOOL, 0, 0), REQ("results", F_ARRAY, 0, IMPORT_ROWS_MAX)}},
    {"receipt", "reply", {REQ("id", F_STR, 1, PROTO_ID_MAX), {"state", F_STR, true, 1, 32, s_is_state},
                          REQ("revision", F_UINT, 1, UINT32_MAX), REQ("duplicate", F_BOOL, 0, 0),
                          OPT("token", F_STR, 1, 64), OPT("changed", F_ARRAY_STR, 0, 64),
                          OPT("substantive", F_BOOL, 0, 0)}},
    {"status", "reply", {REQ("id", F_STR, 1, PROTO_ID_MAX), {"state", F_STR, true, 1, 32, s_is_state},
                         REQ("revision", F_UINT, 1, UINT32_MAX), OPT("name", F_STR, 0, 1000),
                         OPT("submitted_at", F_UINT, 0, UINT32_MAX), OPT("updated_at", F_UINT, 0, UINT32_MAX),
                         OPT("report", F_MAP, 0, 0), OPT("decisions", F_ARRAY, 0, 10000),
                         OPT("reason", F_STR, 0, PROTO_TEXT_MAX), OPT("application", F_MAP, 0, 0),
                         OPT("renews", F_STR, 1, PROTO_ID_MAX), OPT("expires", F_UINT, 0, INT64_MAX),
                         OPT("appeal", F_MAP, 0, 0), {"withdrawn_kind", F_STR, false, 1, 32, proto_is_withdraw_reason},
                         OPT("erased_at", F_UINT, 0, INT64_MAX), OPT("update", F_MAP, 0, 0)}},
    {"history", "reply", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("count", F_UINT, 0, UINT64_MAX),
                          REQ("head", F_BIN, 32, 32), REQ("records", F_ARRAY, 0, UINT32_MAX),
                          REQ("verified", F_BOOL, 0, 0), OPT("break", F_MAP, 0, 0)}},
    {"member", "reply", {REQ("name", F_STR, 1, PROTO_NAME_MAX), REQ("college", F_STR, 1, 64),
                         OPT("ties", F_ARRAY_STR, 0, 50), OPT("networks", F_ARRAY_STR, 0, 50),
                         OPT("email", F_STR, 1, PROTO_EMAIL_MAX), OPT("digest", F_BOOL, 0, 0)}},
    {"pending", "reply", {REQ("members", F_ARRAY, 0, 100000), OPT("more", F_BOOL, 0, 0)}},
    {"reissue_ack", "reply", {{0}}},
    {"recused", "reply", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("member", F_STR, 1, PROTO_NAME_MAX),
                          REQ("round", F_UINT, 1, UINT32_MAX), REQ("reason", F_STR, 1, PROTO_TEXT_MAX),
                          REQ("duplicate", F_BOOL, 0, 0)}},
    {"ticked", "reply", {REQ("now", F_UINT, 0, INT64_MAX), REQ("expired", F_ARRAY_STR, 0, PROTO_PAGE_MAX),
                         REQ("more", F_BOOL, 0, 0)}},
    {"members", "reply", {REQ("members", F_ARRAY, 0, 100000)}},
    {"queue", "reply", {REQ("member", F_STR, 1, PROTO_NAME_MAX), REQ("items", F_ARRAY, 0, PROTO_PAGE_MAX),
                        OPT("next", F_STR, 1, PROTO_ID_MAX)}},
    {"vote_ack", "reply", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("round", F_UINT, 1, UINT32_MAX),
                           REQ("decision", F_STR, 1, 64), REQ("votes", F_UINT, 0, UINT32_MAX),
                           OPT("outcome", F_STR, 1, 64), REQ("duplicate", F_BOOL, 0, 0)}},
    {"ack", "reply", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("state", F_STR, 1, 32)}},
    {"directory", "reply", {REQ("entries", F_ARRAY, 0, PROTO_PAGE_MAX), OPT("next", F_STR, 0, 512)}},
    {"account", "reply", {REQ("email", F_STR, 3, 254), REQ("state", F_STR, 1, 16)}},
    {"accounts", "reply", {REQ("accounts", F_ARRAY, 0, 100000)}},
    {"desk_record", "reply", {OPT("account", F_MAP, 0, 0), OPT("invitation", F_MAP, 0, 0),
                              OPT("session", F_MAP, 0, 0), OPT("expired", F_BOOL, 0, 0),
                              OPT("locked", F_BOOL, 0, 0), OPT("failures", F_UINT, 0, UINT32_MAX)}},
    {"desk_done", "reply", {REQ("op", F_STR, 1, 32)}},
    {"outbox_due", "reply", {REQ("messages", F_ARRAY, 0, 100), REQ("next_at", F_UINT, 0, INT64_MAX)}},
    {"outbox_marked", "reply", {REQ("message_id", F_STR, 1, 200), REQ("state", F_STR, 1, 16),
                                OPT("next_at", F_UINT, 0, INT64_MAX)}},
    {"mail_ticked", "reply", {REQ("letters", F_UINT, 0, UINT32_MAX)}},
    {"mail_digested", "reply", {REQ("letters", F_UINT, 0, UINT32_MAX)}},
    {"mail_failed", "reply", {REQ("letters", F_ARRAY, 0, PROTO_PAGE_MAX), OPT("next", F_STR, 1, 200)}},
    {"held", "reply", {REQ("service", F_STR, 1, 32), REQ("ms", F_UINT, 0, PROTO_HOLD_MAX_MS),
                       REQ("cursors", F_MAP, 0, 0)}},
    {"error", "reply", {REQ("code", F_STR, 1, 32), REQ("field", F_STR, 0, PROTO_FIELD_MAX),
                        REQ("rule", F_STR, 0, PROTO_RULE_MAX), REQ("message", F_STR, 0, PROTO_MESSAGE_MAX)}},
    /* events of the durable streams */
    {"submitted", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("revision", F_UINT, 1, UINT32_MAX),
                            REQ("at", F_UINT, 0, INT64_MAX), REQ("application", F_MAP, 0, 0),
                            OPT("renews", F_STR, 1, PROTO_ID_MAX), OPT("token_sealed", F_BIN, 1, 256),
                            OPT("provenance", F_STR, 1, 16), OPT("approved_at", F_UINT, 0, INT64_MAX)}},
    /* A new token for an application whose contact asked for it (intake),
     * sealed to notify's key. */
    {"token_reissued", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("at", F_UINT, 0, INT64_MAX),
                                 OPT("token_sealed", F_BIN, 1, 256)}},
    {"validated", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("revision", F_UINT, 1, UINT32_MAX),
                            REQ("at", F_UINT, 0, INT64_MAX), REQ("verdict", F_STR, 1, 32),
                            REQ("report", F_REPORT, 0, 0), OPT("application", F_MAP, 0, 0),
                            OPT("renews", F_STR, 1, PROTO_ID_MAX), OPT("provenance", F_STR, 1, 16),
                            OPT("approved_at", F_UINT, 0, INT64_MAX)}},
    /* An applicant appeals a rejection (intake; validation passes it on). */
    {"appealed", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("revision", F_UINT, 1, UINT32_MAX),
                           REQ("at", F_UINT, 0, INT64_MAX), REQ("motivation", F_STR, 1, PROTO_TEXT_MAX)}},
    /* Personal data erased on request (intake; validation passes it on). */
    {"erased", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("at", F_UINT, 0, INT64_MAX)}},
    /* What an erased application's earlier events became in every log. */
    {"redacted", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("at", F_UINT, 0, INT64_MAX),
                           OPT("signed", F_BIN, 1, PROTO_REQUEST_MAX), OPT("sig", F_BIN, 64, 64)}},
    /* A file (re)enters the committee's queue: a new round opens. */
    {"queued", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("revision", F_UINT, 1, UINT32_MAX),
                         REQ("at", F_UINT, 0, INT64_MAX), REQ("round", F_UINT, 1, UINT32_MAX),
                         {"kind", F_STR, true, 1, 16, proto_is_round_kind}}},
    {"decided", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("revision", F_UINT, 1, UINT32_MAX),
                          REQ("at", F_UINT, 0, INT64_MAX), REQ("round", F_UINT, 1, UINT32_MAX),
                          ENUM("decision", proto_is_decision), REQ("motivations", F_ARRAY_STR, 0, 1000),
                          OPT("application", F_MAP, 0, 0), OPT("voters", F_ARRAY_STR, 0, 1000),
                          {"kind", F_STR, false, 1, 16, proto_is_round_kind},
                          OPT("renews", F_STR, 1, PROTO_ID_MAX), OPT("expires", F_UINT, 0, INT64_MAX),
                          OPT("provenance", F_STR, 1, 16), OPT("approved_at", F_UINT, 0, INT64_MAX),
                          {"change", F_STR, false, 1, 16, s_is_change}}},
    {"withdrawn", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("at", F_UINT, 0, INT64_MAX),
                            REQ("reason", F_STR, 1, PROTO_TEXT_MAX),
                            {"kind", F_STR, false, 1, 32, proto_is_withdraw_reason}}},
    {"upsert", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("version", F_UINT, 1, UINT32_MAX),
                         REQ("at", F_UINT, 0, INT64_MAX), REQ("entry", F_MAP, 0, 0),
                         OPT("signed", F_BIN, 1, PROTO_REQUEST_MAX), OPT("sig", F_BIN, 64, 64)}},
    {"withdraw", "event", {REQ("id", F_STR, 1, PROTO_ID_MAX), REQ("at", F_UINT, 0, INT64_MAX),
                           {"reason", F_STR, true, 1, 32, proto_is_withdraw_reason},
                           OPT("signed", F_BIN, 1, PROTO_REQUEST_MAX), OPT("sig", F_BIN, 64, 64)}},
    /* The stream's key changes: signed by the key in force, names the next
     * one and the seq from which it signs (proto/stream.md section 2.1).
     * signed and sig are optional here as in the other signed events; a
     * verifying reader refuses a key event without them. */
    {"key", "event", {REQ("key", F_STR, 64, 64), REQ("since", F_UINT, 2, UINT64_MAX),
                      REQ("at", F_UINT, 0, INT64_MAX), OPT("signed", F_BIN, 1, 1024),
                      OPT("sig", F_BIN, 64, 64)}},
};

#define S_CATALOGUE_SIZE (sizeof s_catalogue / sizeof *s_catalogue)

static bool s_in_list(const char *const *list, const char *text, size_t len)
{
    for (; *list; list++)
        if (strlen(*list) == len && memcmp(*list, text, len) == 0)
            return true;
    return false;
}

bool proto_is_college(const char *text, size_t len)
{
    static const char *const colleges[] = {"researchers", "local_authorities", "ess_networks", NULL};
    return s_in_list(colleges, text, len);
}

bool proto_is_decision(const char *text, size_t len)
{
    static const char *const decisions[] = {"approve", "reject", "changes", "reinstate", "withdraw", NULL};
    return s_in_list(decisions, text, len);
}

bool proto_is_round_kind(const char *text, size_t len)
{
    static const char *const kinds[] = {"review", "appeal", "complaint", NULL};
    return s_in_list(kinds, text, len);
}

bool proto_is_withdraw_reason(const char *text, size_t len)
{
    static const char *const reasons[] = {"withdrawn", "expired", "suspended", "erased", "renewed", NULL};
    return s_in_list(reasons, text, len);
}

static bool s_is_account_role(const char *text, size_t len)
{
    static const char *const roles[] = {"member", "staff", NULL};
    return s_in_list(roles, text, len);
}

/*  What essp-desk's web threads write through its core (services/desk/core.h). */
static bool s_is_desk_op(const char *text, size_t len)
{
    static const char *const ops[] = {"password_set", "password_change", "session_open", "session_stage",
                                      "session_close", "login_failed", "totp_set", "recovery_use", NULL};
    return s_in_list(ops, text, len);
}

static bool s_is_state(const char *text, size_t len)
{
    static const char *const states[] = {STATE_RECEIVED, STATE_INCOMPLETE, STATE_IN_REVIEW,
                                         STATE_CHANGES_REQUESTED, STATE_REJECTED, STATE_APPROVED,
                                         STATE_PUBLISHED, STATE_SUSPENDED, STATE_WITHDRAWN, NULL};
    return s_in_list(states, text, len);
}

static const message_t *s_find(const msgpack_object *type, const char *kind)
{
    for (size_t i = 0; i < S_CATALOGUE_SIZE; i++)
        if (strcmp(s_catalogue[i].kind, kind) == 0 && doc_is(type, s_catalogue[i].type))
            return &s_catalogue[i];
    return NULL;
}

static const field_t *s_field(const message_t *message, const msgpack_object *key)
{
    for (const field_t *f = message->fields; f->name; f++)
        if (doc_is(key, f->name))
            return f;
    return NULL;
}

static const char *s_kind_name(field_kind_t kind)
{
    static const char *const names[] = {"string", "unsigned integer", "integer", "boolean",
                                        "map", "array", "array of strings", "any", "bin",
                                        "map or array (a report's compact form)"};
    return names[kind];
}

static int s_check_count(const field_t *f, uint32_t count, const char *unit, proto_error_t *err)
{
    if (count < f->min)
        return proto_error_set(err, f->name, "min", "%s: at least %u %s", f->name, f->min, unit);
    if (f->max && count > f->max)
        return proto_error_set(err, f->name, "max", "%s: at most %llu %s, got %u", f->name, (unsigned long long)f->max,
                               unit, count);
    return 0;
}

static bool s_kind_matches(field_kind_t kind, const msgpack_object *value)
{
    switch (kind) {
    case F_STR: return value->type == MSGPACK_OBJECT_STR;
    case F_UINT: return value->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
    case F_INT: return value->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                    || value->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
    case F_BOOL: return value->type == MSGPACK_OBJECT_BOOLEAN;
    case F_MAP: return value->type == MSGPACK_OBJECT_MAP;
    case F_ARRAY:
    case F_ARRAY_STR: return value->type == MSGPACK_OBJECT_ARRAY;
    case F_ANY: return true;
    case F_BIN: return value->type == MSGPACK_OBJECT_BIN;
    case F_REPORT: return value->type == MSGPACK_OBJECT_MAP || value->type == MSGPACK_OBJECT_ARRAY;
    }
    return false;
}

static int s_check_field(const field_t *f, const msgpack_object *value, proto_error_t *err)
{
    if (!s_kind_matches(f->kind, value))
        return proto_error_set(err, f->name, "type", "%s: must be of type %s", f->name, s_kind_name(f->kind));
    if (f->kind == F_STR) {
        if (s_check_count(f, value->via.str.size, "bytes", err))
            return -1;
        if (f->allowed && !f->allowed(value->via.str.ptr, value->via.str.size))
            return proto_error_set(err, f->name, "enum", "%s: '%.*s' is not one of the allowed values",
                                   f->name, (int)proto_utf8_prefix(value->via.str.ptr, value->via.str.size, 40),
                                   value->via.str.ptr);
    } else if (f->kind == F_BIN) {
        if (s_check_count(f, value->via.bin.size, "bytes", err))
            return -1;
    } else if (f->kind == F_UINT) {
        if (value->via.u64 < f->min || value->via.u64 > f->max)
            return proto_error_set(err, f->name, "range", "%s: must be between %u and %llu", f->name,
                                   f->min, (unsigned long long)f->max);
    } else if (f->kind == F_ARRAY || f->kind == F_ARRAY_STR) {
        if (s_check_count(f, value->via.array.size, "items", err))
            return -1;
        for (uint32_t i = 0; f->kind == F_ARRAY_STR && i < value->via.array.size; i++)
            if (value->via.array.ptr[i].type != MSGPACK_OBJECT_STR
                || value->via.array.ptr[i].via.str.size > PROTO_TEXT_MAX) {
                char path[PROTO_FIELD_MAX];
                snprintf(path, sizeof path, "%s[%u]", f->name, i);
                return proto_error_set(err, path, "type", "%s: must be a string of at most %d bytes",
                                       path, PROTO_TEXT_MAX);
            }
    }
    return 0;
}

static int s_check_fields(const message_t *message, const msgpack_object *msg, proto_error_t *err)
{
    for (uint32_t i = 0; i < msg->via.map.size; i++) {
        const msgpack_object_kv *kv = &msg->via.map.ptr[i];
        /* The envelope.  "seq" is ignored on any message (proto/README.md section 4.1):
         * an event's is checked by proto_event_check, a request's means nothing. */
        if (doc_is(&kv->key, "v") || doc_is(&kv->key, "type") || doc_is(&kv->key, "rid")
            || doc_is(&kv->key, "seq"))
            continue;
        const field_t *f = s_field(message, &kv->key);
        if (!f) {
            size_t len = kv->key.type == MSGPACK_OBJECT_STR ? kv->key.via.str.size : 0;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)proto_utf8_prefix(kv->key.via.str.ptr, len, 60),
                     len ? kv->key.via.str.ptr : "");
            return proto_error_set(err, name, "unknown_field", "'%s' is not a field of '%s'", name,
                                   message->type);
        }
        if (s_check_field(f, &kv->val, err))
            return -1;
    }
    for (const field_t *f = message->fields; f->name; f++)
        if (f->required && !doc_get(msg, f->name))
            return proto_error_set(err, f->name, "required", "%s: required in '%s'", f->name,
                                   message->type);
    return 0;
}

static const message_t *s_check_envelope(const msgpack_object *msg, const char *kind,
                                         proto_error_t *err)
{
    if (msg->type != MSGPACK_OBJECT_MAP) {
        proto_error_set(err, "", "type", "a message must be a map");
        return NULL;
    }
    uint64_t version;
    if (!doc_uint(msg, "v", &version)) {
        proto_error_set(err, "v", "required", "v: the protocol version (an unsigned integer) is required");
        return NULL;
    }
    if (version != PROTO_VERSION) {
        proto_error_set(err, "v", "version", "v: version %llu is not supported, this service speaks %d",
                        (unsigned long long)version, PROTO_VERSION);
        return NULL;
    }
    const msgpack_object *type = doc_get(msg, "type");
    if (!type || type->type != MSGPACK_OBJECT_STR) {
        proto_error_set(err, "type", "required", "type: the message type (a string) is required");
        return NULL;
    }
    const message_t *message = s_find(type, kind);
    if (!message) {
        /* msgpack-c leaves ptr NULL for an empty str: printf must not get it. */
        const char *name = type->via.str.size ? type->via.str.ptr : "";
        int len = (int)proto_utf8_prefix(name, type->via.str.size, 40);
        proto_error_set(err, "type", "unknown_type", "type: '%.*s' is not a known %s", len, name, kind);
    }
    return message;
}

int proto_request_check(const msgpack_object *msg, const char **type, uint64_t *rid,
                        bool *has_rid, proto_error_t *err)
{
    *has_rid = false;
    *rid = 0;
    if (msg->type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *r = doc_get(msg, "rid");
        if (r && r->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return proto_error_set(err, "rid", "type", "rid: must be an unsigned integer");
        if (r) {
            *rid = r->via.u64;
            *has_rid = true;
        }
    }
    const message_t *message = s_check_envelope(msg, "request", err);
    if (!message || s_check_fields(message, msg, err))
        return -1;
    *type = message->type;
    return 0;
}

int proto_event_check(const msgpack_object *event, const char **type, uint64_t *seq,
                      proto_error_t *err)
{
    const message_t *message = s_check_envelope(event, "event", err);
    if (!message)
        return -1;
    if (!doc_uint(event, "seq", seq) || *seq == 0)
        return proto_error_set(err, "seq", "required", "seq: events carry a sequence number >= 1");
    if (s_check_fields(message, event, err))
        return -1;
    *type = message->type;
    return 0;
}

void proto_foreach_message(void (*fn)(const char *, const char *, void *), void *arg)
{
    for (size_t i = 0; i < S_CATALOGUE_SIZE; i++)
        fn(s_catalogue[i].type, s_catalogue[i].kind, arg);
}

void proto_pack_str(msgpack_packer *pk, const char *text)
{
    size_t len = strlen(text);
    msgpack_pack_str_with_body(pk, text, len);
}

void proto_pack_kv_str(msgpack_packer *pk, const char *key, const char *value)
{
    proto_pack_str(pk, key);
    proto_pack_str(pk, value);
}

void proto_pack_kv_strn(msgpack_packer *pk, const char *key, const char *value, size_t len)
{
    proto_pack_str(pk, key);
    msgpack_pack_str_with_body(pk, value, len);
}

void proto_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t value)
{
    proto_pack_str(pk, key);
    msgpack_pack_uint64(pk, value);
}

void proto_pack_kv_int(msgpack_packer *pk, const char *key, int64_t value)
{
    proto_pack_str(pk, key);
    msgpack_pack_int64(pk, value);
}

void proto_pack_kv_bool(msgpack_packer *pk, const char *key, bool value)
{
    proto_pack_str(pk, key);
    if (value)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

void proto_pack_raw(msgpack_packer *pk, const void *bytes, size_t len)
{
    pk->callback(pk->data, bytes, len);
}

void proto_pack_kv_raw(msgpack_packer *pk, const char *key, const void *bytes, size_t len)
{
    proto_pack_str(pk, key);
    proto_pack_raw(pk, bytes, len);
}

static void s_pack_head(msgpack_packer *pk, const char *type, bool has_rid, uint64_t rid,
                        size_t fields)
{
    msgpack_pack_map(pk, fields + 2 + (has_rid ? 1 : 0));
    proto_pack_kv_uint(pk, "v", PROTO_VERSION);
    proto_pack_kv_str(pk, "type", type);
    if (has_rid)
        proto_pack_kv_uint(pk, "rid", rid);
}

void proto_pack_reply(msgpack_packer *pk, const char *type, bool has_rid, uint64_t rid,
                      size_t fields)
{
    s_pack_head(pk, type, has_rid, rid, fields);
}

size_t proto_count_present(const bool *present, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += present[i];
    return count;
}

void proto_pack_request(msgpack_packer *pk, const char *type, uint64_t rid, size_t fields)
{
    s_pack_head(pk, type, true, rid, fields);
}

void proto_pack_error(msgpack_packer *pk, bool has_rid, uint64_t rid, const char *code,
                      const proto_error_t *err)
{
    s_pack_head(pk, "error", has_rid, rid, 4);
    proto_pack_kv_str(pk, "code", code);
    proto_pack_kv_str(pk, "field", err->field);
    proto_pack_kv_str(pk, "rule", err->rule);
    proto_pack_kv_str(pk, "message", err->message);
}
