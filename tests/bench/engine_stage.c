/*  essp-bench-stage: one stage of the engine alone (bench_engine.h), a
 *  service on the real shell (common/service.h) whose core only passes
 *  the record on.
 *
 *    essp-bench-stage first   takes "submit" requests and appends each
 *                             record to its stream as a "submitted" event,
 *                             answered once the turn's commit is durable
 *    essp-bench-stage next    follows the stream at
 *                             ESSP_PUBLICATION_ENDPOINT and appends every
 *                             event to its own, in the transaction that
 *                             keeps its cursor
 *
 *  Each stage runs as the publication service in a home and at a base
 *  port of its own (ESSP_HOME, ESSP_PORT): publication's stream is the
 *  one public stream (common/auth.c), so the stages pull each other on
 *  the plain ROUTER, with no key and no change to who may read the
 *  services' private streams.  The request and event types are the
 *  catalogue's (proto/messages.h), which the shell checks: a record goes
 *  in as the "application" of a "submit" whose "key" names it, and
 *  travels as a "submitted" event {id: that key, revision: 1,
 *  application}.  Nothing reads the application: the shell checks and
 *  decodes each event, and the next stages append it as its producer
 *  packed it (service_event_forward).
 */
#include "common/service.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <stdio.h>
#include <string.h>

/*  The first stage: a record in, the same record appended to the stream. */
static int s_take(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    (void)ctx;
    if (strcmp(req->type, "submit") != 0)
        return service_refuse(req, PROTO_E_INVALID, "type", "unsupported",
                              "a bench stage answers submit, ping and pull only");
    /* The catalogue made key a string when it is there. */
    const msgpack_object *key = doc_get(req->msg, "key");
    if (!key)
        return service_refuse(req, PROTO_E_INVALID, "key", "required",
                              "key: required, the record's name becomes the event's id");
    if (key->via.str.size > PROTO_ID_MAX)
        return service_refuse(req, PROTO_E_INVALID, "key", "max",
                              "key: at most %d bytes here, since it becomes the event's id", PROTO_ID_MAX);
    msgpack_packer *pk = service_event_begin(svc, "submitted", req->now, 3, NULL);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *key);
    proto_pack_kv_uint(pk, "revision", 1);
    proto_pack_str(pk, "application");
    msgpack_pack_object(pk, *doc_get(req->msg, "application"));
    int rc = service_event_end(svc, txn);
    if (rc)
        return rc;
    proto_pack_reply(req->reply, "receipt", req->has_rid, req->rid, 4);
    proto_pack_str(req->reply, "id");
    msgpack_pack_object(req->reply, *key);
    proto_pack_kv_str(req->reply, "state", STATE_RECEIVED);
    proto_pack_kv_uint(req->reply, "revision", 1);
    proto_pack_kv_bool(req->reply, "duplicate", false);
    return 0;
}

/*  The next stages take no request of their own. */
static int s_refuse(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    (void)ctx, (void)svc, (void)txn;
    return service_refuse(req, PROTO_E_INVALID, "type", "unsupported",
                          "this bench stage answers ping and pull only");
}

/*  The next stages: the upstream's event appended as this stage's own,
 *  its fields as they came (service_event_forward). */
static int s_pass_on(void *ctx, service_t *svc, MDB_txn *txn, const char *type, const msgpack_object *event,
                     int64_t now)
{
    (void)ctx;
    return service_event_forward(svc, txn, type, now, event);
}

int main(int argc, char **argv)
{
    bool first = argc == 2 && strcmp(argv[1], "first") == 0;
    if (!first && !(argc == 2 && strcmp(argv[1], "next") == 0)) {
        fprintf(stderr, "usage: essp-bench-stage first|next  (see tests/bench/bench_engine.h)\n");
        return 2;
    }
    /* The first stage brings new work in, as intake's submit does: it is
     * refused while the disk is under its reserve. */
    static const char *const room_types[] = {"submit", NULL};
    service_def_t def = {
        .id = SERVICE_PUBLICATION,
        .handle = first ? s_take : s_refuse,
        .room_types = first ? room_types : NULL,
    };
    if (!first) {
        def.upstreams[0] = (service_upstream_t){.from = SERVICE_PUBLICATION, .apply = s_pass_on};
        def.upstream_count = 1;
    }
    return service_main(&def);
}
