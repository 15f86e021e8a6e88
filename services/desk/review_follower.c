/*  services/desk/review_follower.c - see review_follower.h. */
#include "review_follower.h"

#include "common/auth.h"
#include "common/config.h"
#include "common/log.h"
#include "common/stream_consumer.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <czmq.h>

struct review_follower_t {
    zactor_t *actor;
};

typedef struct {
    file_rounds_t *rounds;
    zcert_t *cert;
} s_args_t;

static void s_run(zsock_t *pipe, void *arg)
{
    s_args_t *args = arg;
    char endpoint[CONFIG_ENDPOINT_MAX], server[CONFIG_PATH_MAX];
    config_secure_connect_endpoint(SERVICE_REVIEW, endpoint, sizeof endpoint);
    auth_key_path("", config_service_name(SERVICE_REVIEW), ".cert", server, sizeof server);
    stream_consumer_t *consumer = stream_consumer_new_curve("review", endpoint, args->cert, server, 0,
                                                            PROTO_BATCH_MAX, 1000);
    zcert_destroy(&args->cert);
    stream_consumer_set_reader(consumer, "desk");
    zsock_signal(pipe, 0);
    bool told = false;
    zpoller_t *poller = zpoller_new(pipe, stream_consumer_socket(consumer), NULL);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 65536);
    while (true) {
        stream_consumer_poll(consumer, zclock_mono());
        void *which = zpoller_wait(poller, 500);
        if (which == pipe || zpoller_terminated(poller))
            break;
        if (which != stream_consumer_socket(consumer))
            continue;
        const msgpack_object *events;
        size_t first;
        msgpack_zone_clear(&zone);
        if (stream_consumer_receive(consumer, &zone, &events, &first, zclock_mono()) != 1) {
            /* The desk keeps the rounds in memory only and reads review's
             * stream from seq 0 at each start: a restart is its cure. */
            if (stream_consumer_rewound(consumer) && !told)
                log_error("desk: the rounds shown stay those read before review's stream went back; "
                          "restart essp-desk once review's store is the one to keep: it reads the stream "
                          "again from the start");
            told = told || stream_consumer_rewound(consumer);
            continue;
        }
        uint64_t seq = 0;
        for (size_t i = first; i < doc_len(events); i++) {
            file_rounds_apply(args->rounds, doc_at(events, i));
            doc_uint(doc_at(events, i), "seq", &seq);
        }
        stream_consumer_advance(consumer, seq, zclock_mono());
    }
    msgpack_zone_destroy(&zone);
    zpoller_destroy(&poller);
    stream_consumer_destroy(&consumer);
    free(args);
}

review_follower_t *review_follower_new(file_rounds_t *rounds)
{
    zcert_t *cert = auth_server_cert(SERVICE_DESK);
    if (!cert) {
        log_error("desk: no service key, review's stream is not followed");
        return NULL;
    }
    review_follower_t *self = calloc(1, sizeof *self);
    s_args_t *args = calloc(1, sizeof *args);
    if (!self || !args) {
        free(self);
        free(args);
        zcert_destroy(&cert);
        return NULL;
    }
    args->rounds = rounds;
    args->cert = cert;
    self->actor = zactor_new(s_run, args);
    return self;
}

void review_follower_destroy(review_follower_t **self_p)
{
    review_follower_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy(&self->actor);
    free(self);
    *self_p = NULL;
}
