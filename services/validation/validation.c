/*  services/validation/validation.c - see validation.h. */
#include "validation.h"

#include "proto/charter.h"
#include "proto/doc.h"
#include "proto/kept_report.h"
#include "proto/messages.h"

#include <string.h>

static int s_validate(service_t *svc, MDB_txn *txn, const msgpack_object *event, int64_t now)
{
    const msgpack_object *application = doc_map(event, "application");
    const msgpack_object *id = doc_get(event, "id");
    const msgpack_object *renews = doc_get(event, "renews");
    /* An imported listing (provenance, approved_at) goes on as such:
     * review decides it without a round. */
    const msgpack_object *provenance = doc_get(event, "provenance");
    const msgpack_object *approved_at = doc_get(event, "approved_at");
    uint64_t revision = 1, at = 0;
    doc_uint(event, "revision", &revision);
    doc_uint(event, "at", &at);
    /* Judged as on the day of submission, whenever this runs. */
    static charter_report_t report;
    charter_check(application, (int32_t)(at / 86400), &report);
    bool review = report.verdict == CHARTER_VERDICT_REVIEW;

    msgpack_packer *pk = service_event_begin(svc, "validated", now, proto_entries(4, review, renews != NULL, provenance != NULL, approved_at != NULL), NULL);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *id);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_str(pk, "verdict", charter_verdict_name(report.verdict));
    /* The report in its compact form (a sixth of the map's bytes): what
     * intake and review keep of it, sent as they keep it. */
    proto_pack_str(pk, "report");
    kept_report_pack_charter(pk, &report);
    if (review) {
        proto_pack_str(pk, "application");
        msgpack_pack_object(pk, *application);
    }
    if (renews) {
        proto_pack_str(pk, "renews");
        msgpack_pack_object(pk, *renews);
    }
    if (provenance) {
        proto_pack_str(pk, "provenance");
        msgpack_pack_object(pk, *provenance);
    }
    if (approved_at) {
        proto_pack_str(pk, "approved_at");
        msgpack_pack_object(pk, *approved_at);
    }
    return service_event_end(svc, txn);
}

/*  Appends intake's event as this service's own, every field but the
 *  envelope as it came (service_event_forward), and `at` kept: review
 *  reads the whole life of a file in one stream, with the moments intake
 *  saw. */
static int s_pass_on(service_t *svc, MDB_txn *txn, const char *type, const msgpack_object *event,
                     int64_t now)
{
    uint64_t at = (uint64_t)now;
    doc_uint(event, "at", &at);
    return service_event_forward(svc, txn, type, (int64_t)at, event);
}

/*  What validation keeps of an application is in its log alone (its
 *  reports, with the application when it went on to review, and the
 *  appeals it passed on): redacted there first, so that the `erased`
 *  appended next stays as it is. */
static int s_erase(service_t *svc, MDB_txn *txn, const msgpack_object *event, int64_t now)
{
    const msgpack_object *id = doc_get(event, "id");
    int rc = service_log_redact(svc, txn, id->via.str.ptr, id->via.str.size, NULL, NULL, NULL);
    return rc ? rc : s_pass_on(svc, txn, "erased", event, now);
}

int validation_apply_intake(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now)
{
    (void)ctx;
    if (strcmp(type, "submitted") == 0)
        return s_validate(svc, txn, event, now);
    if (strcmp(type, "appealed") == 0)
        return s_pass_on(svc, txn, type, event, now);
    if (strcmp(type, "erased") == 0)
        return s_erase(svc, txn, event, now);
    return 0;
}

int validation_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    return service_refuse(req, PROTO_E_INVALID, "type", "unsupported",
                          "validation answers ping and pull only: submit applications to intake");
}
