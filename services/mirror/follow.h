/*  services/mirror/follow.h - a reader of the publication stream.
 *
 *  The client side of proto/stream.md, kept small enough to be read as an
 *  example: one DEALER connected to the publication service, one request
 *  in flight, replies matched to their request by "rid" (a late reply to an
 *  earlier request is dropped), and on silence the socket closed and the
 *  same request sent again on a new one, so a publication service that
 *  restarted (and forgot the pulls it held) is simply asked again.
 */
#ifndef ESSP_MIRROR_FOLLOW_H
#define ESSP_MIRROR_FOLLOW_H

#include <czmq.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct follow_t follow_t;

/*  One decoded reply; its strings point into frame. */
typedef struct {
    zframe_t *frame;
    msgpack_zone zone;
    msgpack_object msg;
} follow_reply_t;

/*  timeout_ms: how long to wait for an answer beyond a pull's own wait;
 *  tries: how many times a request is sent before giving up (0: forever,
 *  until SIGTERM). */
follow_t *follow_new(const char *endpoint, uint32_t timeout_ms, unsigned tries);

void follow_destroy(follow_t **self_p);

/*  "hello": the stream's signing key and head.  0, or -1 when the service
 *  did not answer or answered with an error (logged). */
int follow_hello(follow_t *self, follow_reply_t *reply);

/*  "pull": the events after `after`, at most max, held up to wait_ms. */
int follow_pull(follow_t *self, uint64_t after, size_t max, uint32_t wait_ms,
                follow_reply_t *reply);

void follow_reply_release(follow_reply_t *reply);

#endif
