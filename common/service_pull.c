/*  common/service_pull.c - the service's own log, pulled: replies to
 *  pulls, and the pulls held until an event arrives (see service_impl.h). */
#include "service_impl.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- replies */

/*  A batch this service packs stops at 480 KiB, under the protocol's 8 MiB
 *  (PROTO_BATCH_BYTES): its buffer, grown by doubling, then takes 512 KiB
 *  at most and stays under the allocator's mmap threshold of 1 MiB
 *  (service_room.c), so it comes from the heap and is used again by the
 *  next reply.  Over the threshold, each reply of a catch-up was a fresh
 *  mapping, faulted in page by page and unmapped once sent. */
#define S_BATCH_BYTES (480u << 10)

void service_send(zsock_t *router, zmsg_t *envelope, const void *data, size_t size)
{
    /* The routing frames, then the reply, sent as they are: no copy of
     * the envelope.  A ROUTER drops what it cannot route (client gone):
     * never blocks. */
    void *socket = zsock_resolve(router);
    for (zframe_t *frame = zmsg_first(envelope); frame; frame = zmsg_next(envelope))
        zmq_send(socket, zframe_data(frame), zframe_size(frame), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(socket, data, size, ZMQ_DONTWAIT);
}

static void s_pack_batch(service_t *self, MDB_txn *txn, msgpack_packer *pk, bool has_rid,
                         uint64_t rid, uint64_t after, size_t max, const stream_omit_t *omit)
{
    proto_pack_reply(pk, "batch", has_rid, rid, 2);
    proto_pack_kv_uint(pk, "head", stream_log_head(self->log));
    proto_pack_str(pk, "events");
    stream_log_pack_after(self->log, txn, after, max, S_BATCH_BYTES, omit, pk);
}

static void s_free_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

static void s_answer_pull(service_t *self, MDB_txn *txn, zsock_t *router, zmsg_t *envelope, bool has_rid,
                          uint64_t rid, uint64_t after, size_t max, const stream_omit_t *omit)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    s_pack_batch(self, txn, &pk, has_rid, rid, after, max, omit);
    /* A batch may weigh megabytes: ZeroMQ takes the buffer over and frees
     * it once sent, instead of sending a copy. */
    size_t size = buf.size;
    void *data = msgpack_sbuffer_release(&buf);
    zmq_msg_t msg;
    if (zmq_msg_init_data(&msg, data, size, s_free_buffer, NULL) != 0) {
        service_send(router, envelope, data, size);
        free(data);
        return;
    }
    void *socket = zsock_resolve(router);
    for (zframe_t *frame = zmsg_first(envelope); frame; frame = zmsg_next(envelope))
        zmq_send(socket, zframe_data(frame), zframe_size(frame), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (zmq_msg_send(&msg, socket, ZMQ_DONTWAIT) < 0)
        zmq_msg_close(&msg);
}

void service_unpark(service_t *self, size_t i)
{
    zmsg_destroy(&self->parked[i].envelope);
    self->parked[i] = self->parked[--self->parked_count];
}

void service_serve_parked(service_t *self, int64_t now_ms)
{
    uint64_t head = stream_log_head(self->log);
    MDB_txn *txn = NULL;
    for (size_t i = 0; i < self->parked_count;) {
        parked_pull_t *p = &self->parked[i];
        if (p->after >= head && now_ms < p->deadline_ms) {
            i++;
            continue;
        }
        if (!txn && store_begin(self->store, true, &txn) != 0)
            return;
        s_answer_pull(self, txn, p->router, p->envelope, p->has_rid, p->rid, p->after, p->max, &p->omit);
        service_unpark(self, i);
    }
    if (txn)
        mdb_txn_abort(txn);
}

/*  A pull whose "omit" breaks a rule: an error reply, nothing read. */
static void s_refuse_pull(pending_t *p, const proto_error_t *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_error(&pk, p->req.has_rid, p->req.rid, PROTO_E_INVALID, err);
    service_outcome_refused(&p->req.outcome, PROTO_E_INVALID, err->rule);
    service_send(p->router, p->envelope, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

uint64_t service_pull_after(const pending_t *p)
{
    uint64_t after = 0;
    doc_uint(p->req.msg, "after", &after);
    return after;
}

void service_handle_pull(service_t *self, MDB_txn **read_txn, pending_t *p, int64_t now_ms)
{
    uint64_t after = service_pull_after(p), max = 100, wait = 0;
    doc_uint(p->req.msg, "max", &max);
    doc_uint(p->req.msg, "wait", &wait);
    stream_omit_t omit;
    proto_error_t err;
    if (stream_omit_from_request(&omit, p->req.msg, &err)) {
        s_refuse_pull(p, &err);
        return;
    }
    if (after >= stream_log_head(self->log) && wait > 0 && self->parked_count < S_PARKED_MAX) {
        parked_pull_t *parked = &self->parked[self->parked_count++];
        parked->router = p->router;
        parked->envelope = p->envelope;
        p->envelope = NULL;
        parked->after = after;
        parked->max = max;
        parked->has_rid = p->req.has_rid;
        parked->rid = p->req.rid;
        parked->deadline_ms = now_ms + (int64_t)wait;
        parked->omit = omit;
        return;
    }
    if (!*read_txn && store_begin(self->store, true, read_txn) != 0)
        return;
    s_answer_pull(self, *read_txn, p->router, p->envelope, p->req.has_rid, p->req.rid, after, max, &omit);
}
