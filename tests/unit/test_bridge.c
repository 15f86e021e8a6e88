/* Unit tests of intake's bridge from the HTTP threads to the core: a
 * reply is matched to its request by rid, and an error without rid (a
 * request the core could not read, so could not take the rid from) is the
 * answer to the one request in flight on the socket: answered at once,
 * never by the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "services/intake/bridge.h"
#include "services/intake/request.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"


typedef struct {
    zsock_t *router;
    int replies;                 /* what the fake core answers, in order */
    const char *kinds[4];        /* "foreign", "error-no-rid", "pong-no-rid", "ours" */
} core_t;

/*  The fake core: reads one request and sends the replies of `kinds`. */
static void *s_core(void *arg)
{
    core_t *core = arg;
    zmsg_t *msg = zmsg_recv(core->router);
    assert_non_null(msg);
    zframe_t *identity = zmsg_pop(msg);
    zframe_t *payload = zmsg_last(msg);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object request;
    proto_error_t err;
    assert_int_equal(wire_decode(zframe_data(payload), zframe_size(payload), &zone, &request, &err), 0);
    uint64_t rid = 0;
    assert_true(doc_uint(&request, "rid", &rid));
    for (int i = 0; i < core->replies; i++) {
        msgpack_sbuffer buf;
        msgpack_packer pk;
        msgpack_sbuffer_init(&buf);
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        const char *kind = core->kinds[i];
        if (strcmp(kind, "error-no-rid") == 0) {
            proto_error_set(&err, "application.organisation.deep[0][0]", "depth", "nested too deep");
            proto_pack_error(&pk, false, 0, PROTO_E_INVALID, &err);
        } else if (strcmp(kind, "pong-no-rid") == 0) {
            proto_pack_reply(&pk, "pong", false, 0, 0);
        } else {
            proto_pack_reply(&pk, "pong", true, strcmp(kind, "ours") == 0 ? rid : rid + 1000, 0);
        }
        zmsg_t *reply = zmsg_new();
        zmsg_addmem(reply, zframe_data(identity), zframe_size(identity));
        zmsg_addmem(reply, buf.data, buf.size);
        assert_int_equal(zmsg_send(&reply, core->router), 0);
        msgpack_sbuffer_destroy(&buf);
    }
    msgpack_zone_destroy(&zone);
    zframe_destroy(&identity);
    zmsg_destroy(&msg);
    return NULL;
}

/*  Sends a ping through the bridge to a fake core answering `kinds`;
 *  returns what bridge_core_call returned, the reply and the time taken. */
static int s_call(const char **kinds, int count, int timeout_ms, reply_t *reply, int64_t *took_ms)
{
    static int calls;
    http_t *self = calloc(1, sizeof *self);
    assert_non_null(self);
    snprintf(self->config.inproc, sizeof self->config.inproc, "inproc://test-bridge-%d", ++calls);
    pthread_mutex_init(&self->lock, NULL);
    core_t core = {.router = zsock_new_router(self->config.inproc), .replies = count};
    assert_non_null(core.router);
    for (int i = 0; i < count; i++)
        core.kinds[i] = kinds[i];
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_core, &core), 0);
    msgpack_sbuffer buf;
    msgpack_packer pk;
    bridge_pack_init(&buf, &pk);
    uint64_t rid = bridge_next_rid(self);
    proto_pack_request(&pk, "ping", rid, 0);
    int64_t started = request_now_ms();
    int rc = bridge_core_call(self, &buf, rid, timeout_ms, reply);
    *took_ms = request_now_ms() - started;
    msgpack_sbuffer_destroy(&buf);
    pthread_join(thread, NULL);
    while (self->pool_count)
        zsock_destroy(&self->pool[--self->pool_count]);
    zsock_destroy(&core.router);
    pthread_mutex_destroy(&self->lock);
    free(self);
    return rc;
}

static void test_an_error_without_rid_answers_at_once(void **state)
{
    (void)state;
    const char *kinds[] = {"foreign", "error-no-rid"};
    reply_t reply;
    int64_t took;
    assert_int_equal(s_call(kinds, 2, 5000, &reply, &took), 0);
    assert_true(took < 1000);
    assert_true(bridge_reply_is(&reply, "error"));
    assert_true(doc_str_eq(&reply.msg, "rule", "depth"));
    assert_true(doc_str_eq(&reply.msg, "field", "application.organisation.deep[0][0]"));
    bridge_reply_free(&reply);
}

static void test_the_reply_with_our_rid_is_taken(void **state)
{
    (void)state;
    const char *kinds[] = {"foreign", "ours"};
    reply_t reply;
    int64_t took;
    assert_int_equal(s_call(kinds, 2, 5000, &reply, &took), 0);
    assert_true(took < 1000);
    assert_true(bridge_reply_is(&reply, "pong"));
    bridge_reply_free(&reply);
}

/*  Only an error stands for a request without rid: anything else that
 *  is not ours is not taken, and the call ends at its timeout, the
 *  request handed over and unanswered (the core may still do it). */
static void test_other_replies_are_not_taken(void **state)
{
    (void)state;
    const char *kinds[] = {"foreign", "pong-no-rid"};
    reply_t reply;
    int64_t took;
    assert_int_equal(s_call(kinds, 2, 300, &reply, &took), BRIDGE_UNANSWERED);
    assert_true(took >= 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_error_without_rid_answers_at_once),
        cmocka_unit_test(test_the_reply_with_our_rid_is_taken),
        cmocka_unit_test(test_other_replies_are_not_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
