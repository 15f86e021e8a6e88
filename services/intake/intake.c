/*  services/intake/intake.c - see intake.h. */
#include "intake.h"

#include "contacts.h"
#include "erase.h"
#include "follow.h"
#include "import.h"
#include "index_batch.h"
#include "reissue.h"
#include "record.h"
#include "submit.h"

#include "proto/messages.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const char *const intake_dbs[] = {"applications", "documents", "keys", "sirets", "meta", "history", "reports",
                                  "contacts", "reissues", "listed", "trail", "index_log", "erased_listings",
                                  NULL};

#define S_SECRET_KEY "token_secret"

const char *const intake_secure_types[] = {"erase", "import", NULL};
const char *const intake_room_types[] = {"submit", "import", NULL};

/*  The trees index_batch.h writes, in the order of INTAKE_INDEX_*. */
static int s_index_start(scratch_t *s, service_t *svc, MDB_txn *txn)
{
    const MDB_dbi trees[] = {service_db(svc, INTAKE_DB_KEYS), service_db(svc, INTAKE_DB_SIRETS),
                             service_db(svc, INTAKE_DB_CONTACTS)};
    return index_batch_start(s->index, txn, service_db(svc, INTAKE_DB_INDEX_LOG), trees,
                             sizeof trees / sizeof *trees);
}

int intake_start(void *ctx, service_t *svc, MDB_txn *txn)
{
    scratch_t *s = ctx;
    MDB_dbi meta = service_db(svc, INTAKE_DB_META);
    MDB_val key = {strlen(S_SECRET_KEY), (void *)S_SECRET_KEY}, value;
    int rc = s_index_start(s, svc, txn);
    if (rc)
        return rc;
    rc = mdb_get(txn, meta, &key, &value);
    if (rc == 0 && value.mv_size == sizeof s->secret) {
        memcpy(s->secret, value.mv_data, sizeof s->secret);
        rc = record_trail_start(txn, svc, s);
        return rc ? rc : contacts_build(txn, svc, s);
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    crypto_generichash_keygen(s->secret);
    value = (MDB_val){sizeof s->secret, s->secret};
    rc = mdb_put(txn, meta, &key, &value, 0);
    if (!rc)
        rc = record_trail_start(txn, svc, s);
    return rc ? rc : contacts_build(txn, svc, s);
}

int intake_before_commit(void *ctx, service_t *svc, MDB_txn *txn)
{
    (void)svc;
    return index_batch_before_commit(((scratch_t *)ctx)->index, txn);
}

void intake_ended(void *ctx, service_t *svc, bool committed)
{
    (void)svc;
    index_batch_ended(((scratch_t *)ctx)->index, committed);
}

size_t intake_gauges(void *ctx, metrics_gauge_t *out, size_t max)
{
    if (!max)
        return 0;
    out[0] = (metrics_gauge_t){
        .name = "essp_intake_index_writes",
        .help = "Writes of intake's look-up indexes held in memory: waiting for a sweep, or swept with "
                "their log entries not yet cut.",
        .value = index_batch_waiting(((scratch_t *)ctx)->index)};
    return 1;
}

int intake_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    scratch_t *s = ctx;
    msgpack_zone_clear(&s->zone);
    if (strcmp(req->type, "submit") == 0)
        return submit_new(svc, txn, req, s);
    if (strcmp(req->type, "amend") == 0)
        return submit_amend(svc, txn, req, s);
    if (strcmp(req->type, "status") == 0)
        return follow_status(svc, txn, req, s);
    if (strcmp(req->type, "history") == 0)
        return follow_history(svc, txn, req, s);
    if (strcmp(req->type, "appeal") == 0)
        return follow_appeal(svc, txn, req, s);
    if (strcmp(req->type, "erase") == 0)
        return erase_application(svc, txn, req, s);
    if (strcmp(req->type, "import") == 0)
        return import_rows(svc, txn, req, s);
    if (strcmp(req->type, "token_reissue") == 0)
        return reissue_token(svc, txn, req, s);
    return service_refuse(req, PROTO_E_INVALID, "type", "unsupported",
                          "intake does not answer this message type");
}

void *intake_context_new(void)
{
    scratch_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    record_scratch_init(s);
    s->index = index_batch_new();
    if (!s->index) {
        record_scratch_fini(s);
        free(s);
        return NULL;
    }
    return s;
}

void intake_context_destroy(void **ctx_p)
{
    if (*ctx_p) {
        index_batch_destroy(&((scratch_t *)*ctx_p)->index);
        record_scratch_fini(*ctx_p);
    }
    free(*ctx_p);
    *ctx_p = NULL;
}
