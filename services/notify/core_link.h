/*  services/notify/core_link.h - how notify's own threads (the sender,
 *  the schedule) speak to notify's core.
 *
 *  The core owns the LMDB environment and is reached only through the
 *  service's ROUTER: a thread packs the MessagePack request any client
 *  would send and sends it on a DEALER of its own (ZeroMQ sockets are not
 *  thread-safe) connected to service_inproc_endpoint().  The request joins
 *  the shell's batches and its reply comes after the commit: a reply means
 *  "durable".  Threads never write LMDB themselves.
 */
#ifndef ESSP_NOTIFY_CORE_LINK_H
#define ESSP_NOTIFY_CORE_LINK_H

#include <msgpack.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct core_link_t core_link_t;

/*  A reply of the core, decoded; msg lives as long as the reply. */
typedef struct {
    char *bytes;
    msgpack_zone zone;
    msgpack_object msg;
} core_reply_t;

/*  A link to the core at endpoint ("inproc://essp-notify"); the thread
 *  that calls it owns it.  stopping, when set, ends any wait at once. */
core_link_t *core_link_new(const char *endpoint, const atomic_bool *stopping);
void core_link_destroy(core_link_t **self_p);

/*  A request being packed: its buffer, its packer and its rid. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t rid;
} core_request_t;

/*  Starts a request map {v, type, rid, ...} with `fields` more entries. */
void core_request_init(core_link_t *self, core_request_t *request, const char *type, size_t fields);

/*  Sends the request (and frees it), waits for its reply up to timeout_ms.
 *  0 and *reply (free it with core_reply_free), 1 when the core refused
 *  it (an error reply, logged, already freed), or -1 when no reply came
 *  (timed out or stopping; the socket is replaced, so that a late reply is
 *  never read as the answer to another request). */
int core_link_call(core_link_t *self, core_request_t *request, int timeout_ms, core_reply_t *reply);

void core_reply_free(core_reply_t *reply);

#endif
