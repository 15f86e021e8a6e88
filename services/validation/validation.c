/*  services/validation/validation.c - see validation.h. */
#include "validation.h"

#include "charter.h"
#include "common/doc.h"
#include "proto/messages.h"

#include <string.h>

int validation_apply_intake(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now)
{
    (void)ctx;
    if (strcmp(type, "submitted") != 0)
        return 0;
    const msgpack_object *application = doc_map(event, "application");
    const msgpack_object *id = doc_get(event, "id");
    uint64_t revision = 1, at = 0;
    doc_uint(event, "revision", &revision);
    doc_uint(event, "at", &at);
    /* Judged as on the day of submission, whenever this runs. */
    static charter_report_t report;
    charter_check(application, (int32_t)(at / 86400), &report);
    bool review = report.verdict == CHARTER_VERDICT_REVIEW;

    msgpack_packer *pk = service_event_begin(svc, "validated", now, review ? 5 : 4, NULL);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *id);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_str(pk, "verdict", charter_verdict_name(report.verdict));
    proto_pack_str(pk, "report");
    charter_report_pack(&report, pk);
    if (review) {
        proto_pack_str(pk, "application");
        msgpack_pack_object(pk, *application);
    }
    return service_event_end(svc, txn);
}

int validation_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    proto_error_t err;
    proto_error_set(&err, "type", "unsupported",
                    "validation answers ping and pull only: submit applications to intake");
    proto_pack_error(req->reply, req->has_rid, req->rid, PROTO_E_INVALID, &err);
    return 0;
}
