/*  services/intake/import.c - see import.h. */
#include "import.h"

#include "application.h"
#include "contacts.h"
#include "documents.h"
#include "erase.h"
#include "ids.h"
#include "rules.h"

#include "common/config.h"
#include "common/store.h"
#include "proto/charter.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/history.h"
#include "proto/import_row.h"
#include "proto/messages.h"
#include "proto/schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define S_DAY 86400

/*  What became of one row. */
typedef struct {
    const char *outcome;
    char id[PROTO_ID_MAX + 1];
    proto_error_t err;                 /* field, rule, message (French); rule "" when none */
} result_t;

static void s_pack_result(msgpack_packer *pk, uint64_t line, const result_t *r)
{
    bool has_error = r->err.rule[0] != '\0';
    msgpack_pack_map(pk, proto_entries(2, r->id[0] != '\0', has_error, has_error, has_error));
    proto_pack_kv_uint(pk, "line", line);
    proto_pack_kv_str(pk, "outcome", r->outcome);
    if (r->id[0])
        proto_pack_kv_str(pk, "id", r->id);
    if (has_error) {
        proto_pack_kv_str(pk, "field", r->err.field);
        proto_pack_kv_str(pk, "rule", r->err.rule);
        proto_pack_kv_str(pk, "message", r->err.message);
    }
}

/*  The schema first: the same check as a submission, its rule said in
 *  French. */
static bool s_schema_refuses(const msgpack_object *application, result_t *r)
{
    proto_error_t err;
    if (schema_validate(schema_application(), application, &err) == 0)
        return false;
    proto_error_set(&r->err, err.field, err.rule, "%s", import_rule_french(err.rule));
    return true;
}

/*  The charter as of today, as validation runs it: the first blocking
 *  failure, under its criterion's code. */
static bool s_charter_refuses(const msgpack_object *application, int32_t today, result_t *r)
{
    static charter_report_t report;
    charter_check(application, today, &report);
    if (report.verdict == CHARTER_VERDICT_REVIEW)
        return false;
    const criterion_result_t *c = charter_first_blocking(&report);
    if (c) {
        proto_error_set(&r->err, c->field, c->code, "charte, critère %s : %s", c->code, c->reason);
        proto_utf8_trim(r->err.message);
    } else
        proto_error_set(&r->err, "", "charter", "la charte n'est pas respectée");
    return true;
}

/*  A listing approved on `day` ends `years` later (review's rule for the
 *  years; an ESUS agreement or a Qualiopi certificate that ended is a
 *  failure of the charter already). */
static bool s_ended(int32_t day, int32_t today, result_t *r)
{
    int years = (int)config_env_long("ESSP_LISTING_YEARS", 3, 1, 100);
    int32_t end = date_add_years(day, years);
    if (end > today)
        return false;
    char when[64];
    date_french_day(end, when, sizeof when);
    proto_error_set(&r->err, "approved_at", "ended", "cette inscription a pris fin le %s (%d ans après son "
                    "approbation) : elle n'est pas importée", when, years);
    return true;
}

/*  An erasure keeps no holder of the listing, only its mark (erase.h):
 *  counted as here, so that the row is not imported again. */
static int s_erased(MDB_txn *txn, service_t *svc, scratch_t *s, const char *listing, result_t *r, bool *here)
{
    uint64_t at;
    int rc = erase_listing_erased(txn, svc, s, listing, here, &at);
    if (rc || !*here)
        return rc;
    char when[64];
    date_french_day((int32_t)(at / S_DAY), when, sizeof when);
    proto_error_set(&r->err, "organisation.siret", "already", "cette fiche (même SIRET, même conseiller) a été "
                    "effacée le %s à la demande de la personne : elle n'est pas importée de nouveau ; une nouvelle "
                    "candidature passe par le comité", when);
    return 0;
}

/*  The listing is here already (imported before, or applied for): its id.
 *  Unlike a submission (intake_siret_free), a withdrawn or rejected
 *  holder counts: an import is published without a vote, so it must not
 *  bring back a listing that the staff withdrew or the committee
 *  refused; that takes an application, which the committee decides. */
static int s_already(MDB_txn *txn, service_t *svc, scratch_t *s, const char *listing, result_t *r, bool *here)
{
    msgpack_object record;
    int rc = record_listing_holder(txn, svc, s, listing, r->id, &record, here);
    if (rc)
        return rc;
    if (!*here)
        return s_erased(txn, svc, s, listing, r, here);
    if (doc_str_eq(&record, "state", STATE_WITHDRAWN) || doc_str_eq(&record, "state", STATE_REJECTED))
        proto_error_set(&r->err, "organisation.siret", "already", "cette fiche (même SIRET, même conseiller) a "
                        "été %s, dossier %s : elle n'est pas importée de nouveau ; une nouvelle candidature passe "
                        "par le comité", doc_str_eq(&record, "state", STATE_WITHDRAWN) ? "retirée" : "refusée",
                        r->id);
    else
        proto_error_set(&r->err, "organisation.siret", "already", "cette fiche (même SIRET, même conseiller) "
                        "est déjà enregistrée, dossier %s : rien n'est ajouté", r->id);
    return 0;
}

/*  Stores one row that passed, as submit_new stores an application,
 *  with its provenance and approval date; `submitted` carries both and
 *  no sealed token (nobody is sent a receipt: the advisor asks for a
 *  link with their contact address when they want one). */
static int s_store(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s,
                   const msgpack_object *application, uint64_t approved_at, result_t *r)
{
    char siret[RECORD_SIRET_MAX], listing[INTAKE_LISTING_MAX], token[INTAKE_TOKEN_CHARS + 1];
    listing_siret(application, siret);
    listing_key(application, listing);
    MDB_val probe_key, probe;
    do {
        ids_new(r->id, req->now_ms);
        probe_key = (MDB_val){IDS_CHARS, r->id};
    } while (mdb_get(txn, service_db(svc, INTAKE_DB_APPLICATIONS), &probe_key, &probe) == 0);
    ids_token_new(s, r->id, NULL, 0, token);
    unsigned char contact[CONTACTS_HASH_BYTES];
    bool has_contact = contacts_hash_of(s, application, contact);
    record_head_t history;
    record_head_new(s, &history);
    char day[11];
    date_format((int32_t)(approved_at / S_DAY), day);
    text_set(&s->who, "staff");
    text_set(&s->why, "import, approved ");
    text_add(&s->why, day, strlen(day));
    record_history_prepare(s, &history, "submitted", STATE_RECEIVED, req->now);
    msgpack_sbuffer_clear(&s->buf);
    application_pack_normalized(&s->pk, application, "");
    size_t doc_len = s->buf.size;
    record_pack_new(&s->pk, &(record_new_t){.id = r->id, .siret = siret, .listing = listing, .token = token,
                                            .application = application, .history = &history, .scratch = s,
                                            .approved_at = approved_at, .now = req->now});
    const char *doc = s->buf.data;
    int rc = store_put_ordered(txn, service_db(svc, INTAKE_DB_APPLICATIONS), r->id, IDS_CHARS, doc + doc_len,
                               s->buf.size - doc_len);
    if (!rc && *listing)
        rc = index_batch_put(s->index, txn, INTAKE_INDEX_SIRETS, listing, strlen(listing), r->id, IDS_CHARS);
    if (!rc)
        rc = record_history_store(txn, svc, s);
    if (!rc && has_contact)
        rc = contacts_put(txn, s, contact, r->id, IDS_CHARS);
    if (rc)
        return rc;
    /* The event keeps the application (documents.h). */
    uint64_t seq;
    msgpack_packer *pk = service_event_begin(svc, "submitted", req->now, 5, &seq);
    proto_pack_kv_strn(pk, "id", r->id, IDS_CHARS);
    proto_pack_kv_uint(pk, "revision", 1);
    proto_pack_kv_raw(pk, "application", doc, doc_len);
    proto_pack_kv_str(pk, "provenance", "imported");
    proto_pack_kv_uint(pk, "approved_at", approved_at);
    rc = service_event_end(svc, txn);
    return rc ? rc : documents_put(txn, svc, r->id, IDS_CHARS, seq);
}

/*  One row: checked, then stored unless dry_run. */
static int s_row(MDB_txn *txn, service_t *svc, service_request_t *req, scratch_t *s, const msgpack_object *row,
                 bool dry_run, result_t *r)
{
    const msgpack_object *application = doc_map(row, "application");
    uint64_t approved_at = 0;
    int32_t today = (int32_t)(req->now / S_DAY);
    memset(r, 0, sizeof *r);
    r->outcome = "refused";
    if (!application || !doc_uint(row, "approved_at", &approved_at)) {
        proto_error_set(&r->err, application ? "approved_at" : "application", "required",
                        "chaque ligne donne « application » et « approved_at »");
        return 0;
    }
    if (s_schema_refuses(application, r))
        return 0;
    if ((int64_t)approved_at > req->now) {
        proto_error_set(&r->err, "approved_at", "future", "la date d'approbation est dans le futur");
        return 0;
    }
    if (s_charter_refuses(application, today, r))
        return 0;
    if (s_ended((int32_t)(approved_at / S_DAY), today, r)) {
        r->outcome = "ended";
        return 0;
    }
    char listing[INTAKE_LISTING_MAX];
    listing_key(application, listing);
    bool here;
    int rc = s_already(txn, svc, s, listing, r, &here);
    if (rc || here) {
        r->outcome = "already";
        return rc;
    }
    if (dry_run) {
        r->outcome = "would_import";
        return 0;
    }
    r->outcome = "imported";
    return s_store(txn, svc, req, s, application, approved_at, r);
}

int import_rows(service_t *svc, MDB_txn *txn, service_request_t *req, scratch_t *s)
{
    if (!req->peer_role || strcmp(req->peer_role, "staff") != 0)
        return service_refuse(req, PROTO_E_FORBIDDEN, "type", "role",
                              "'import' is for staff keys: importing listings is the staff's");
    const msgpack_object *rows = doc_array(req->msg, "rows");
    bool dry_run = doc_bool(req->msg, "dry_run", false);
    /* The results are packed apart: a row's checks use s->buf. */
    static msgpack_sbuffer results;
    static msgpack_packer rpk;
    if (!results.data)
        msgpack_sbuffer_init(&results);
    msgpack_sbuffer_clear(&results);
    msgpack_packer_init(&rpk, &results, msgpack_sbuffer_write);
    for (size_t i = 0; i < doc_len(rows); i++) {
        const msgpack_object *row = doc_at(rows, i);
        uint64_t line = 0;
        doc_uint(row, "line", &line);
        result_t r;
        msgpack_zone_clear(&s->zone);
        int rc = s_row(txn, svc, req, s, row, dry_run, &r);
        if (rc)
            return rc;
        s_pack_result(&rpk, line, &r);
    }
    proto_pack_reply(req->reply, "imported", req->has_rid, req->rid, 2);
    proto_pack_kv_bool(req->reply, "dry_run", dry_run);
    proto_pack_str(req->reply, "results");
    msgpack_pack_array(req->reply, doc_len(rows));
    return req->reply->callback(req->reply->data, results.data, results.size) ? ENOMEM : 0;
}
