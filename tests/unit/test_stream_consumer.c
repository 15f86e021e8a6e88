/* Unit tests of common/stream_consumer: the pulling end of a durable
 * stream, against a producer played by the test on an inproc ROUTER.  The
 * producer answers in order, repeats itself, skips events, refuses, sends
 * what is not a batch, a batch too large to decode, or nothing at all; each
 * time the test checks what the consumer hands over and what it asks next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/stream_consumer.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

typedef struct {
    char endpoint[64];
    zsock_t *router;
    stream_consumer_t *consumer;
    zframe_t *identity;          /* the consumer's, from its last pull */
    uint64_t rid;                /* that pull's, which a reply repeats */
    msgpack_zone zone;
} fixture_t;

static int s_setup(void **state)
{
    static int instance;
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->endpoint, sizeof f->endpoint, "inproc://consumer-test-%d", ++instance);
    f->router = zsock_new(ZMQ_ROUTER);
    assert_non_null(f->router);
    zsock_set_rcvtimeo(f->router, 2000);
    assert_int_equal(zsock_bind(f->router, "%s", f->endpoint), 0);
    f->consumer = stream_consumer_new("upstream", f->endpoint, 3, 8, 100);
    assert_non_null(f->consumer);
    zsock_set_rcvtimeo(stream_consumer_socket(f->consumer), 2000);
    msgpack_zone_init(&f->zone, 4096);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    stream_consumer_destroy(&f->consumer);
    assert_null(f->consumer);
    zframe_destroy(&f->identity);
    zsock_destroy(&f->router);
    msgpack_zone_destroy(&f->zone);
    free(f);
    return 0;
}

typedef struct {
    bool got;
    uint64_t rid, after, max, wait;
} pull_t;

/*  The next pull the producer receives, within timeout_ms (got false when
 *  none came). */
static pull_t s_next_pull(fixture_t *f, int timeout_ms)
{
    pull_t pull = {0};
    zsock_set_rcvtimeo(f->router, timeout_ms);
    zmsg_t *msg = zmsg_recv(f->router);
    if (!msg)
        return pull;
    assert_int_equal(zmsg_size(msg), 2);
    zframe_destroy(&f->identity);
    f->identity = zmsg_pop(msg);
    zframe_t *payload = zmsg_pop(msg);
    zmsg_destroy(&msg);
    msgpack_object request;
    proto_error_t err;
    const char *type;
    bool has_rid;
    msgpack_zone_clear(&f->zone);
    assert_int_equal(wire_decode(zframe_data(payload), zframe_size(payload), &f->zone, &request, &err), 0);
    assert_int_equal(proto_request_check(&request, &type, &pull.rid, &has_rid, &err), 0);
    assert_string_equal(type, "pull");
    assert_true(has_rid);
    assert_true(doc_uint(&request, "after", &pull.after));
    assert_true(doc_uint(&request, "max", &pull.max));
    assert_true(doc_uint(&request, "wait", &pull.wait));
    zframe_destroy(&payload);
    pull.got = true;
    f->rid = pull.rid;
    return pull;
}

/*  The producer answers the consumer's last pull with these bytes. */
static void s_answer(fixture_t *f, const void *data, size_t size)
{
    assert_non_null(f->identity);
    zframe_t *identity = zframe_dup(f->identity);
    assert_int_equal(zframe_send(&identity, f->router, ZFRAME_MORE), 0);
    zframe_t *payload = zframe_new(data, size);
    assert_int_equal(zframe_send(&payload, f->router, 0), 0);
}

/*  One event as a producer packs it (seq 0: none). */
static void s_pack_event(msgpack_packer *pk, uint64_t seq, const char *type, const char *id)
{
    msgpack_pack_map(pk, seq ? 5 : 4);
    if (seq)
        proto_pack_kv_uint(pk, "seq", seq);
    proto_pack_kv_uint(pk, "v", 1);
    proto_pack_kv_str(pk, "type", type);
    proto_pack_kv_uint(pk, "at", 1700000000);
    proto_pack_kv_str(pk, "id", id);
}

/*  A batch reply from a producer whose head is `head`, holding events of
 *  this type about this id with these seqs. */
static void s_answer_events(fixture_t *f, uint64_t head, const uint64_t *seqs, size_t count, const char *type,
                            const char *id)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_reply(&pk, "batch", true, f->rid, 2);
    proto_pack_kv_uint(&pk, "head", head);
    proto_pack_str(&pk, "events");
    msgpack_pack_array(&pk, count);
    for (size_t i = 0; i < count; i++)
        s_pack_event(&pk, seqs[i], type, id);
    s_answer(f, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

/*  A batch reply from a producer whose head is `head`, holding events with
 *  these seqs (0 = an event without). */
static void s_answer_batch_at(fixture_t *f, uint64_t head, const uint64_t *seqs, size_t count)
{
    s_answer_events(f, head, seqs, count, "erased", "a1");
}

static void s_answer_batch(fixture_t *f, const uint64_t *seqs, size_t count)
{
    s_answer_batch_at(f, 100, seqs, count);
}

static int s_receive(fixture_t *f, const msgpack_object **events, size_t *first, int64_t now_ms)
{
    msgpack_zone_clear(&f->zone);
    return stream_consumer_receive(f->consumer, &f->zone, events, first, now_ms);
}

static uint64_t s_seq_at(const msgpack_object *events, size_t i)
{
    uint64_t seq = 0;
    assert_true(doc_uint(doc_at(events, i), "seq", &seq));
    return seq;
}

static void test_a_pull_asks_after_the_cursor(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(stream_consumer_name(f->consumer), "upstream");
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
    stream_consumer_poll(f->consumer, 0);
    pull_t pull = s_next_pull(f, 2000);
    assert_true(pull.got);
    assert_int_equal(pull.after, 3);
    assert_int_equal(pull.max, 8);
    assert_int_equal(pull.wait, 100);
    /* One pull in flight: a second poll while it is young asks nothing. */
    stream_consumer_poll(f->consumer, 500);
    assert_false(s_next_pull(f, 50).got);
}

static void test_silence_sends_the_pull_again(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    pull_t first = s_next_pull(f, 2000);
    assert_true(first.got);
    /* The producer holds a pull at most wait_ms (100): a second more and
     * the pull is taken for lost (the producer restarted). */
    stream_consumer_poll(f->consumer, 1100);
    assert_false(s_next_pull(f, 50).got);
    stream_consumer_poll(f->consumer, 1101);
    pull_t again = s_next_pull(f, 2000);
    assert_true(again.got);
    assert_int_equal(again.after, 3);
    assert_true(again.rid > first.rid);
}

static void test_a_batch_is_handed_over_and_the_cursor_advances(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    s_answer_batch(f, (uint64_t[]){4, 5, 6}, 3);
    const msgpack_object *events = NULL;
    size_t first = 99;
    assert_int_equal(s_receive(f, &events, &first, 10), 1);
    assert_non_null(events);
    assert_int_equal(doc_len(events), 3);
    assert_int_equal(first, 0);
    assert_int_equal(s_seq_at(events, 2), 6);
    /* The cursor moves only when the caller says the batch is committed. */
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
    stream_consumer_advance(f->consumer, 6, 20);
    assert_int_equal(stream_consumer_cursor(f->consumer), 6);
    pull_t next = s_next_pull(f, 2000);
    assert_true(next.got);
    assert_int_equal(next.after, 6);
    /* An advance to an older seq never moves the cursor back. */
    stream_consumer_advance(f->consumer, 2, 30);
    assert_int_equal(stream_consumer_cursor(f->consumer), 6);
    assert_int_equal(s_next_pull(f, 2000).after, 6);
}

static void test_duplicates_are_skipped(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    /* A reply that repeats events 2 and 3 (cursor 3) before new ones. */
    s_answer_batch(f, (uint64_t[]){2, 3, 4, 5}, 4);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 10), 1);
    assert_int_equal(first, 2);
    assert_int_equal(s_seq_at(events, first), 4);
    /* A reply that holds nothing new (a stale duplicate): nothing to apply. */
    stream_consumer_poll(f->consumer, 20);
    s_answer_batch(f, (uint64_t[]){1, 2, 3}, 3);
    assert_int_equal(s_receive(f, &events, &first, 30), 0);
    /* And an empty batch, the answer to a pull whose wait expired. */
    s_answer_batch(f, NULL, 0);
    assert_int_equal(s_receive(f, &events, &first, 40), 0);
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
}

/*  After an error the consumer waits a second before it asks again. */
static void s_assert_backed_off(fixture_t *f, int64_t failed_at)
{
    stream_consumer_poll(f->consumer, failed_at + 999);
    assert_false(s_next_pull(f, 50).got);
    stream_consumer_poll(f->consumer, failed_at + 1000);
    pull_t pull = s_next_pull(f, 2000);
    assert_true(pull.got);
    assert_int_equal(pull.after, stream_consumer_cursor(f->consumer));
}

/*  The pull for what follows a batch leaves as soon as the batch is in
 *  hand when the producer holds more (its head), so that the producer
 *  sends the next while this one is committed; the commit then asks
 *  nothing more.  When the batch is not applied, the
 *  answer to that pull is dropped, and the consumer asks again from its
 *  cursor a second later. */
static void test_the_next_pull_leaves_before_the_commit(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    pull_t asked = s_next_pull(f, 2000);
    assert_true(asked.got);
    s_answer_batch(f, (uint64_t[]){4, 5, 6}, 3);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 10), 1);
    pull_t ahead = s_next_pull(f, 2000);
    assert_true(ahead.got);
    assert_int_equal(ahead.after, 6);
    assert_true(ahead.rid > asked.rid);
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
    stream_consumer_advance(f->consumer, 6, 20);
    assert_int_equal(stream_consumer_cursor(f->consumer), 6);
    assert_false(s_next_pull(f, 50).got);
    /* The next batch comes, is not applied. */
    s_answer_batch(f, (uint64_t[]){7, 8}, 2);
    assert_int_equal(s_receive(f, &events, &first, 30), 1);
    assert_int_equal(s_next_pull(f, 2000).after, 8);
    stream_consumer_backoff(f->consumer, 40);
    s_answer_batch(f, (uint64_t[]){9}, 1);
    assert_int_equal(s_receive(f, &events, &first, 50), 0);
    assert_int_equal(stream_consumer_cursor(f->consumer), 6);
    s_assert_backed_off(f, 40);
    /* A batch up to the producer's head: the next pull would only be
     * held, and leaves after the commit. */
    s_answer_batch_at(f, 9, (uint64_t[]){7, 8, 9}, 3);
    assert_int_equal(s_receive(f, &events, &first, 1100), 1);
    assert_int_equal(first, 0);
    assert_int_equal(s_seq_at(events, 0), 7);
    assert_false(s_next_pull(f, 50).got);
    stream_consumer_advance(f->consumer, 9, 1200);
    assert_int_equal(s_next_pull(f, 2000).after, 9);
}

/*  A commit that stops short of the batch a pull was sent ahead of (the
 *  caller applied part of it): that pull asked past the cursor, so the
 *  consumer asks again from the cursor at once; the earlier pull's reply
 *  is dropped and the new pull stays the one in flight. */
static void test_a_commit_short_of_the_pull_sent_ahead_asks_again(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    s_answer_batch(f, (uint64_t[]){4, 5, 6}, 3);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 10), 1);
    pull_t ahead = s_next_pull(f, 2000);
    assert_int_equal(ahead.after, 6);
    stream_consumer_advance(f->consumer, 5, 20);
    pull_t again = s_next_pull(f, 2000);
    assert_true(again.got);
    assert_int_equal(again.after, 5);
    /* The producer answers the pull sent ahead: dropped. */
    uint64_t again_rid = f->rid;
    f->rid = ahead.rid;
    s_answer_batch(f, (uint64_t[]){7}, 1);
    assert_int_equal(s_receive(f, &events, &first, 30), 0);
    assert_int_equal(stream_consumer_cursor(f->consumer), 5);
    stream_consumer_poll(f->consumer, 40);
    assert_false(s_next_pull(f, 50).got);
    /* Then the pull asked again: from 6 on. */
    f->rid = again_rid;
    s_answer_batch(f, (uint64_t[]){6, 7}, 2);
    assert_int_equal(s_receive(f, &events, &first, 50), 1);
    assert_int_equal(s_seq_at(events, first), 6);
}

static void test_a_gap_is_an_error_and_the_pull_waits(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    /* Cursor 3: seq 5 after 4 missing. */
    s_answer_batch(f, (uint64_t[]){5, 6}, 2);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 100), -1);
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
    s_assert_backed_off(f, 100);
    /* A gap inside a batch too. */
    s_answer_batch(f, (uint64_t[]){4, 6}, 2);
    assert_int_equal(s_receive(f, &events, &first, 2000), -1);
    s_assert_backed_off(f, 2000);
}

static void test_the_producers_refusal_is_an_error(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_error_t err;
    proto_error_set(&err, "after", "range", "after is beyond the head");
    proto_pack_error(&pk, true, f->rid, PROTO_E_INVALID, &err);
    s_answer(f, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 100), -1);
    s_assert_backed_off(f, 100);
}

static void test_what_is_not_a_batch_is_an_error(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    const msgpack_object *events;
    size_t first;
    /* A pong. */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_reply(&pk, "pong", true, f->rid, 2);
    proto_pack_kv_str(&pk, "service", "validation");
    proto_pack_kv_uint(&pk, "head", 0);
    s_answer(f, buf.data, buf.size);
    assert_int_equal(s_receive(f, &events, &first, 100), -1);
    s_assert_backed_off(f, 100);
    /* A batch whose event has no seq. */
    s_answer_batch(f, (uint64_t[]){4, 0}, 2);
    assert_int_equal(s_receive(f, &events, &first, 2000), -1);
    s_assert_backed_off(f, 2000);
    /* Bytes that are not msgpack at all (0xc1 is never used). */
    s_answer(f, "\xc1", 1);
    assert_int_equal(s_receive(f, &events, &first, 4000), -1);
    s_assert_backed_off(f, 4000);
    msgpack_sbuffer_destroy(&buf);
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
}

/*  A batch reply whose events array has more elements than a reply may
 *  hold objects (WIRE_REPLY_NODES_MAX). */
static void s_answer_oversize(fixture_t *f)
{
    size_t count = WIRE_REPLY_NODES_MAX + 1;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_reply(&pk, "batch", true, f->rid, 2);
    proto_pack_kv_uint(&pk, "head", 100);
    proto_pack_str(&pk, "events");
    msgpack_pack_array(&pk, count);
    size_t head = buf.size;
    char *data = malloc(head + count);
    assert_non_null(data);
    memcpy(data, buf.data, head);
    memset(data + head, 0, count);   /* positive fixints */
    s_answer(f, data, head + count);
    free(data);
    msgpack_sbuffer_destroy(&buf);
}

static void test_an_oversize_batch_halves_the_pull(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_int_equal(s_next_pull(f, 2000).max, 8);
    const msgpack_object *events;
    size_t first;
    /* Too large to decode: nothing to apply, and the next pull asks for
     * half as many events, at once (no back-off: it is no error). */
    s_answer_oversize(f);
    assert_int_equal(s_receive(f, &events, &first, 100), 0);
    stream_consumer_poll(f->consumer, 100);
    assert_int_equal(s_next_pull(f, 2000).max, 4);
    s_answer_oversize(f);
    assert_int_equal(s_receive(f, &events, &first, 200), 0);
    stream_consumer_poll(f->consumer, 200);
    assert_int_equal(s_next_pull(f, 2000).max, 2);
    s_answer_oversize(f);
    assert_int_equal(s_receive(f, &events, &first, 300), 0);
    stream_consumer_poll(f->consumer, 300);
    assert_int_equal(s_next_pull(f, 2000).max, 1);
    /* One event at a time that still does not decode: an error. */
    s_answer_oversize(f);
    assert_int_equal(s_receive(f, &events, &first, 400), -1);
    s_assert_backed_off(f, 400);
}

static void test_the_head_is_kept_from_every_batch(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(stream_consumer_head(f->consumer), 0);
    assert_false(stream_consumer_rewound(f->consumer));
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    /* Head equal to the cursor (3): nothing new, nothing wrong. */
    s_answer_batch_at(f, 3, NULL, 0);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 10), 0);
    assert_int_equal(stream_consumer_head(f->consumer), 3);
    assert_false(stream_consumer_rewound(f->consumer));
    s_answer_batch_at(f, 9, (uint64_t[]){4, 5}, 2);
    assert_int_equal(s_receive(f, &events, &first, 20), 1);
    assert_int_equal(stream_consumer_head(f->consumer), 9);
}

/*  Runs fn with stderr sent to a temporary file; returns what it wrote. */
static char *s_stderr_of(void (*fn)(fixture_t *), fixture_t *f)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 2);
    fn(f);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(tmp, 0, SEEK_END);
    long size = ftell(tmp);
    rewind(tmp);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, tmp), (size_t)size);
    fclose(tmp);
    return text;
}

/*  The producer's store went back to seq 2 while this reader applied up
 *  to 3: its first reply after start says so. */
static void s_rewound_reply(fixture_t *f)
{
    const msgpack_object *events;
    size_t first;
    s_answer_batch_at(f, 2, (uint64_t[]){1, 2}, 2);
    assert_int_equal(s_receive(f, &events, &first, 100), -1);
}

static void test_a_head_below_the_cursor_stops_the_stream(void **state)
{
    fixture_t *f = *state;
    stream_consumer_set_reader(f->consumer, "downstream");
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    char *logged = s_stderr_of(s_rewound_reply, f);
    assert_true(stream_consumer_rewound(f->consumer));
    assert_int_equal(stream_consumer_head(f->consumer), 2);
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
    /* One error naming both services, both numbers and what to do. */
    assert_non_null(strstr(logged, "\"level\":\"error\",\"msg\":\"stream upstream: REWIND DETECTED"));
    assert_non_null(strstr(logged, "upstream's stream ends at seq 2"));
    assert_non_null(strstr(logged, "downstream has already applied it up to seq 3"));
    assert_non_null(strstr(logged, "restore both from the same backup"));
    free(logged);
    /* Stopped: no pull, however long it waits, even after an advance. */
    stream_consumer_poll(f->consumer, 5000);
    stream_consumer_poll(f->consumer, 60000);
    assert_false(s_next_pull(f, 100).got);
    stream_consumer_advance(f->consumer, 3, 60001);
    assert_false(s_next_pull(f, 100).got);
    /* A late reply that holds events after the cursor is not handed over
     * (the stream behind it is not the one the cursor counts), nor is the
     * error logged again. */
    const msgpack_object *events = NULL;
    size_t first;
    s_answer_batch_at(f, 7, (uint64_t[]){4, 5}, 2);
    assert_int_equal(s_receive(f, &events, &first, 60002), 0);
    assert_true(stream_consumer_rewound(f->consumer));
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
}

/*  The fingerprint of an event of s_pack_event's. */
static stream_mark_t s_mark(uint64_t seq, const char *type, const char *id)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    s_pack_event(&pk, seq, type, id);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object event;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(buf.data, buf.size, &off, &zone, &event), MSGPACK_UNPACK_SUCCESS);
    stream_mark_t mark;
    stream_mark_of(&event, &mark);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return mark;
}

/*  With the fingerprint of the event at its cursor, the first pull asks
 *  from the cursor - 1: the producer's event at the cursor comes back
 *  first, is compared, and is not handed over again.  The pulls that
 *  follow ask from the cursor, until one is lost (the producer may have
 *  restarted on an older store): the next checks again. */
static void test_the_event_at_the_cursor_is_checked(void **state)
{
    fixture_t *f = *state;
    stream_mark_t mark = s_mark(3, "erased", "a1");
    stream_consumer_set_mark(f->consumer, &mark);
    stream_consumer_poll(f->consumer, 0);
    assert_int_equal(s_next_pull(f, 2000).after, 2);
    s_answer_batch_at(f, 5, (uint64_t[]){3, 4, 5}, 3);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 10), 1);
    assert_int_equal(first, 1);
    assert_int_equal(s_seq_at(events, first), 4);
    stream_consumer_advance(f->consumer, 5, 20);
    assert_int_equal(s_next_pull(f, 2000).after, 5);
    /* Lost: asked again from 4, the event at 5 (the last applied) first.
     * A late reply to the lost pull is dropped: it was not checked. */
    uint64_t lost_rid = f->rid;
    stream_consumer_poll(f->consumer, 1200);
    pull_t again = s_next_pull(f, 2000);
    assert_int_equal(again.after, 4);
    f->rid = lost_rid;
    s_answer_batch_at(f, 6, (uint64_t[]){6}, 1);
    assert_int_equal(s_receive(f, &events, &first, 1300), 0);
    /* Redacted since by an erasure: still the event applied. */
    f->rid = again.rid;
    s_answer_events(f, 6, (uint64_t[]){5, 6}, 2, "redacted", "a1");
    assert_int_equal(s_receive(f, &events, &first, 1400), 1);
    assert_int_equal(first, 1);
    assert_false(stream_consumer_rewound(f->consumer));
}

static void s_another_event_at_the_cursor(fixture_t *f)
{
    const msgpack_object *events;
    size_t first;
    s_answer_events(f, 4, (uint64_t[]){3, 4}, 2, "erased", "b7");
    assert_int_equal(s_receive(f, &events, &first, 100), -1);
}

/*  The producer's store went back to an older copy and its head passed
 *  the cursor again before this reader asked (or it held the pull until
 *  it did): its event at the cursor is another, and the stream stops as
 *  on a head below the cursor. */
static void test_another_event_at_the_cursor_stops_the_stream(void **state)
{
    fixture_t *f = *state;
    stream_consumer_set_reader(f->consumer, "downstream");
    stream_mark_t mark = s_mark(3, "erased", "a1");
    stream_consumer_set_mark(f->consumer, &mark);
    stream_consumer_poll(f->consumer, 0);
    assert_int_equal(s_next_pull(f, 2000).after, 2);
    char *logged = s_stderr_of(s_another_event_at_the_cursor, f);
    assert_true(stream_consumer_rewound(f->consumer));
    assert_int_equal(stream_consumer_cursor(f->consumer), 3);
    assert_non_null(strstr(logged, "\"level\":\"error\",\"msg\":\"stream upstream: REWIND DETECTED: upstream's "
                                   "event at seq 3 is not the one downstream applied under that seq"));
    assert_non_null(strstr(logged, "restore both from the same backup"));
    free(logged);
    stream_consumer_poll(f->consumer, 60000);
    assert_false(s_next_pull(f, 100).got);
}

/*  Without a fingerprint (cursor 0, or a cursor an earlier version
 *  stored alone) there is nothing to compare: the pull asks from the
 *  cursor, as before. */
static void test_no_fingerprint_no_check(void **state)
{
    fixture_t *f = *state;
    stream_mark_t other = s_mark(2, "erased", "a1");
    stream_consumer_set_mark(f->consumer, &other);
    stream_consumer_poll(f->consumer, 0);
    assert_int_equal(s_next_pull(f, 2000).after, 3);
}

static void test_a_batch_without_head_is_an_error(void **state)
{
    fixture_t *f = *state;
    stream_consumer_poll(f->consumer, 0);
    assert_true(s_next_pull(f, 2000).got);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_reply(&pk, "batch", true, f->rid, 1);
    proto_pack_str(&pk, "events");
    msgpack_pack_array(&pk, 0);
    s_answer(f, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(s_receive(f, &events, &first, 100), -1);
    assert_false(stream_consumer_rewound(f->consumer));
    s_assert_backed_off(f, 100);
}

static void test_a_producer_not_there_gets_no_pull(void **state)
{
    /* With no producer bound, a pull cannot leave (ZMQ_IMMEDIATE): it is
     * not in flight, and each poll tries again until one is there. */
    stream_consumer_t *consumer = stream_consumer_new("nobody", "inproc://consumer-test-nobody", 0, 4, 100);
    stream_consumer_poll(consumer, 0);
    stream_consumer_poll(consumer, 1);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_rcvtimeo(router, 2000);
    assert_int_equal(zsock_bind(router, "inproc://consumer-test-nobody"), 0);
    zmsg_t *msg = NULL;
    for (int i = 0; i < 100 && !msg; i++) {
        stream_consumer_poll(consumer, 2 + i);
        zsock_set_rcvtimeo(router, 20);
        msg = zmsg_recv(router);
    }
    assert_non_null(msg);
    zmsg_destroy(&msg);
    zsock_destroy(&router);
    stream_consumer_destroy(&consumer);
    /* An endpoint ZeroMQ cannot parse: logged, and the consumer still
     * stands (it never receives anything). */
    consumer = stream_consumer_new("broken", "no-such-transport://x", 0, 4, 100);
    assert_non_null(consumer);
    stream_consumer_poll(consumer, 0);
    stream_consumer_destroy(&consumer);
    stream_consumer_destroy(&consumer);
}

/*  The first ZAP refusal of the consumer's key, as the producer's monitor
 *  reports it (false when none came within 5 s). */
static bool s_refused(zsock_t *monitor)
{
    zsock_set_rcvtimeo(monitor, 5000);
    zmsg_t *event = zmsg_recv(monitor);
    if (!event)
        return false;
    zframe_t *head = zmsg_first(event);
    uint16_t kind = 0;
    if (zframe_size(head) >= 2)
        memcpy(&kind, zframe_data(head), 2);
    zmsg_destroy(&event);
    return kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
}

static void test_a_refused_key_is_tried_again(void **state)
{
    /* A producer on CURVE whose keys/allowed/ does not hold the consumer's
     * key yet refuses the handshake, and libzmq then drops the connection
     * for good.  Once the key is admitted (the operator copied it), the
     * consumer must get through by connecting anew: its pulls reach the
     * producer without a restart. */
    (void)state;
    char dir[] = "/tmp/essp-consumer-XXXXXX", allowed[128], server_path[128], client_path[160];
    assert_non_null(mkdtemp(dir));
    snprintf(allowed, sizeof allowed, "%s/allowed", dir);
    assert_int_equal(mkdir(allowed, 0700), 0);
    snprintf(server_path, sizeof server_path, "%s/producer.cert", dir);
    snprintf(client_path, sizeof client_path, "%s/consumer.cert", allowed);
    zcert_t *server = zcert_new(), *client = zcert_new();
    assert_int_equal(zcert_save_public(server, server_path), 0);

    zactor_t *auth = zactor_new(zauth, NULL);
    assert_non_null(auth);
    zstr_sendx(auth, "CURVE", allowed, NULL);
    zsock_wait(auth);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zcert_apply(server, router);
    zsock_set_curve_server(router, 1);
    zsock_set_zap_domain(router, "test");
    int port = zsock_bind(router, "tcp://127.0.0.1:*");
    assert_true(port > 0);
    assert_int_equal(zmq_socket_monitor(zsock_resolve(router), "inproc://consumer-test-monitor",
                                        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 0);
    zsock_t *monitor = zsock_new_pair(">inproc://consumer-test-monitor");
    assert_non_null(monitor);

    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    stream_consumer_t *consumer = stream_consumer_new_curve("upstream", endpoint, client, server_path, 0, 4, 100);
    stream_consumer_poll(consumer, 0);
    assert_true(s_refused(monitor));

    /* Admitted now; the dropped connection alone never tries again. */
    assert_int_equal(zcert_save_public(client, client_path), 0);
    zsock_set_rcvtimeo(router, 200);
    for (int64_t now = 1; now < 2000; now += 600) {
        stream_consumer_poll(consumer, now);
        zmsg_t *none = zmsg_recv(router);
        assert_null(none);
    }
    assert_false(stream_consumer_unlinked(consumer));
    /* Two seconds without a link: the consumer connects anew and its
     * next pulls get through. */
    zmsg_t *pull = NULL;
    zsock_set_rcvtimeo(router, 20);
    stream_consumer_poll(consumer, 2000);
    assert_true(stream_consumer_unlinked(consumer));    /* health says so */
    for (int i = 1; i < 250 && !pull; i++) {
        stream_consumer_poll(consumer, 2000 + i);
        pull = zmsg_recv(router);
    }
    assert_non_null(pull);
    assert_false(stream_consumer_unlinked(consumer));
    assert_int_equal(zmsg_size(pull), 2);
    zmsg_destroy(&pull);

    stream_consumer_destroy(&consumer);
    zsock_destroy(&monitor);
    zsock_destroy(&router);
    zactor_destroy(&auth);
    zcert_destroy(&server);
    zcert_destroy(&client);
    unlink(client_path);
    unlink(server_path);
    rmdir(allowed);
    rmdir(dir);
}

int main(void)
{
    zsys_init();
    zsys_set_logsystem(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_pull_asks_after_the_cursor, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_silence_sends_the_pull_again, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_is_handed_over_and_the_cursor_advances, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_are_skipped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_next_pull_leaves_before_the_commit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_commit_short_of_the_pull_sent_ahead_asks_again, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_gap_is_an_error_and_the_pull_waits, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_producers_refusal_is_an_error, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_what_is_not_a_batch_is_an_error, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_oversize_batch_halves_the_pull, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_head_is_kept_from_every_batch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_head_below_the_cursor_stops_the_stream, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_without_head_is_an_error, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_event_at_the_cursor_is_checked, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_another_event_at_the_cursor_stops_the_stream, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_fingerprint_no_check, s_setup, s_teardown),
        cmocka_unit_test(test_a_producer_not_there_gets_no_pull),
        cmocka_unit_test(test_a_refused_key_is_tried_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
