/*  common/stream_consumer.h - the pulling end of a durable stream.
 *
 *  A consumer holds one DEALER connected to the producer's ROUTER and at
 *  most one "pull" in flight (its credit: at most `max` events).  The
 *  producer holds a pull open until events arrive, so a new event reaches
 *  the consumer at once.  After a large batch, or one that ends below the
 *  producer's head, the pull for what follows leaves as soon as the batch
 *  is received, before the caller commits it, so that the producer sends
 *  the next batch during that commit (proto/README.md 6.5, "Pulling
 *  ahead"); if the batch is not applied, that pull's reply is dropped by
 *  its rid.  A pull not answered in time (the producer died
 *  and lost it) is sent again.  The cursor, the last seq applied, is owned
 *  by the caller, who commits it in the same transaction as the state the
 *  events changed; replies that repeat events at or below the cursor are
 *  skipped, so a duplicate reply is harmless.
 *
 *  Every batch carries the producer's head.  A head below the cursor means
 *  the producer's store is older than what this reader already applied (a
 *  store restored alone from an older copy, a reset installation): its
 *  next events would not be the ones the cursor counts, so the consumer
 *  stops for good (proto/README.md section 6.3): it logs an error saying
 *  what to do, pulls no more, hands over nothing, skips nothing.  Such a
 *  producer's head may have passed the cursor again by the time this
 *  reader asks (it restarted meanwhile, or the producer took events
 *  first): at a start, and after a pull was lost or could not leave, the
 *  consumer checks the producer's event at the cursor against the
 *  fingerprint of the one applied (stream_consumer_set_mark) and stops the
 *  same way when it is another.  Replies
 *  from one producer arrive in the order they were sent and its head never
 *  goes down, so a slow or restarted producer is never taken for a rewind.
 *
 *  A consumer through which no pull could leave for 2 s (no connection has
 *  finished its handshake) disconnects and connects anew, then waits twice
 *  as long before the next try, up to 30 s: libzmq gives up for good on a
 *  connection whose handshake the producer refused (a key not admitted yet).
 */
#ifndef ESSP_COMMON_STREAM_CONSUMER_H
#define ESSP_COMMON_STREAM_CONSUMER_H

#include "stream_mark.h"
#include "stream_omit.h"

#include <czmq.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct stream_consumer_t stream_consumer_t;

/*  `name` names the stream (the cursor key, the logs); `cursor` is the last
 *  seq already applied. */
stream_consumer_t *stream_consumer_new(const char *name, const char *endpoint, uint64_t cursor,
                                       size_t max, uint32_t wait_ms);

/*  The same, for a stream served on a CURVE endpoint: the DEALER speaks
 *  CURVE with the consumer's key pair `own` (copied) and the producer's
 *  public key, read from server_cert (keys/<producer>.cert).  While that
 *  file is missing (the producer never started with this ESSP_HOME, or
 *  the operator has not copied it yet) the consumer connects nowhere and
 *  looks for it again before each pull, about every second. */
stream_consumer_t *stream_consumer_new_curve(const char *name, const char *endpoint, zcert_t *own,
                                             const char *server_cert, uint64_t cursor, size_t max,
                                             uint32_t wait_ms);

void stream_consumer_destroy(stream_consumer_t **self_p);

const char *stream_consumer_name(const stream_consumer_t *self);
zsock_t *stream_consumer_socket(stream_consumer_t *self);
uint64_t stream_consumer_cursor(const stream_consumer_t *self);

/*  The producer's head in the last batch received (0 before any). */
uint64_t stream_consumer_head(const stream_consumer_t *self);

/*  True when the last batch received was a few events (fewer than sent
 *  a pull ahead of its commit) that reached the producer's head: the
 *  consumer keeps up, and the next reply is most likely a held pull
 *  answered with the few events committed since. */
bool stream_consumer_at_head(const stream_consumer_t *self);

/*  True once a batch said head < cursor: this stream is no longer read
 *  (until the process restarts on consistent stores). */
bool stream_consumer_rewound(const stream_consumer_t *self);

/*  True once the consumer has connected anew for want of a link (no pull
 *  could leave for 2 s) and until a pull leaves: the producer is down, or
 *  refuses this reader's key. */
bool stream_consumer_unlinked(const stream_consumer_t *self);

/*  The fingerprint of the event at the cursor, as applied (kept with the
 *  cursor, stream_mark.h): the first pull then asks from the cursor - 1
 *  and compares the producer's event at the cursor with it, and so does
 *  the first pull after a pull was lost or could not leave (the producer
 *  restarted, perhaps on an older store).  Another event there is a
 *  rewind.  Ignored unless mark->seq is the cursor (and not 0). */
void stream_consumer_set_mark(stream_consumer_t *self, const stream_mark_t *mark);

/*  Names the reading service in the rewind's error ("validation" reads
 *  "intake"); "this service" when never set. */
void stream_consumer_set_reader(stream_consumer_t *self, const char *reader);

/*  The fields to leave out of each event pulled (NULL-terminated names,
 *  see stream_omit.h); none when never set. */
void stream_consumer_set_omit(stream_consumer_t *self, const char *const *names);

/*  Sends a pull after the cursor unless one is in flight and still young.
 *  now_ms: a monotonic clock. */
void stream_consumer_poll(stream_consumer_t *self, int64_t now_ms);

/*  Receives one reply.  When it is a batch holding events after the
 *  cursor, returns 1 and sets *events to the array (decoded into zone; the
 *  bytes stay valid until the next receive) and *first to the index of the
 *  first new event.  Returns 0 when there is nothing to apply, -1 on a
 *  malformed reply or a gap (logged). */
int stream_consumer_receive(stream_consumer_t *self, msgpack_zone *zone,
                            const msgpack_object **events, size_t *first, int64_t now_ms);

/*  The bytes of event i of the array the last receive handed over, as
 *  the producer packed them: checked with the decoded events, and valid
 *  as long as they are.  Walked in order, so that a batch's events asked
 *  one after the other cost one walk.  False when there is no such event. */
bool stream_consumer_event_bytes(stream_consumer_t *self, size_t i, const void **event, size_t *len);

/*  After a failure to apply a batch: ask again from the cursor in a second,
 *  not at once, so a poisoned event cannot spin the loop. */
void stream_consumer_backoff(stream_consumer_t *self, int64_t now_ms);

/*  Records that everything up to `seq` is committed, and asks for more. */
void stream_consumer_advance(stream_consumer_t *self, uint64_t seq, int64_t now_ms);

#endif
