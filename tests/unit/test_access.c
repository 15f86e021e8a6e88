/* Unit tests of who may pull which stream (common/auth.c, proto/README.md
 * 6.1): the rule itself, the service keys registered in the certificate
 * store with the role "service" on first start, the peer a ZAP reply
 * names, and a stream consumer that speaks CURVE with its service's key,
 * waiting for the producer's public key before it connects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/auth.h"
#include "common/stream_consumer.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

static char s_home[64];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_home, sizeof s_home, "/tmp/essp-access-XXXXXX");
    assert_non_null(mkdtemp(s_home));
    setenv("ESSP_HOME", s_home, 1);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", s_home);
    assert_int_equal(system(command), 0);
    return 0;
}

static void test_who_may_pull_which_stream(void **state)
{
    (void)state;
    /* Publication's stream is public: anyone, with a key or without. */
    assert_true(auth_stream_is_public(SERVICE_PUBLICATION));
    assert_true(auth_may_pull(SERVICE_PUBLICATION, NULL, NULL));
    assert_true(auth_may_pull(SERVICE_PUBLICATION, "Claire", AUTH_ROLE_MEMBER));
    /* The others carry private data: never anonymous. */
    static const service_id_t private_streams[] = {SERVICE_INTAKE, SERVICE_VALIDATION, SERVICE_REVIEW};
    for (size_t i = 0; i < 3; i++) {
        service_id_t s = private_streams[i];
        assert_false(auth_stream_is_public(s));
        assert_false(auth_may_pull(s, NULL, NULL));
        assert_false(auth_may_pull(s, "intake", NULL));
        assert_false(auth_may_pull(s, NULL, AUTH_ROLE_STAFF));
        /* staff: every stream; members: none; an unknown role: none. */
        assert_true(auth_may_pull(s, "ops", AUTH_ROLE_STAFF));
        assert_false(auth_may_pull(s, "Claire", AUTH_ROLE_MEMBER));
        assert_false(auth_may_pull(s, "validation", "admin"));
        /* a service name that is none, a service pulling its own stream */
        assert_false(auth_may_pull(s, "mirror", AUTH_ROLE_SERVICE));
        assert_false(auth_may_pull(s, config_service_name(s), AUTH_ROLE_SERVICE));
    }
    /* Each private stream, to its consumers only (each main.c's upstreams). */
    assert_true(auth_may_pull(SERVICE_INTAKE, "validation", AUTH_ROLE_SERVICE));
    assert_false(auth_may_pull(SERVICE_INTAKE, "review", AUTH_ROLE_SERVICE));
    assert_false(auth_may_pull(SERVICE_INTAKE, "publication", AUTH_ROLE_SERVICE));
    assert_true(auth_may_pull(SERVICE_VALIDATION, "review", AUTH_ROLE_SERVICE));
    assert_true(auth_may_pull(SERVICE_VALIDATION, "intake", AUTH_ROLE_SERVICE));
    assert_false(auth_may_pull(SERVICE_VALIDATION, "publication", AUTH_ROLE_SERVICE));
    assert_true(auth_may_pull(SERVICE_REVIEW, "publication", AUTH_ROLE_SERVICE));
    assert_true(auth_may_pull(SERVICE_REVIEW, "intake", AUTH_ROLE_SERVICE));
    assert_false(auth_may_pull(SERVICE_REVIEW, "validation", AUTH_ROLE_SERVICE));
    /* A member named like a service is still a member. */
    assert_false(auth_may_pull(SERVICE_INTAKE, "validation", AUTH_ROLE_MEMBER));
    assert_false(auth_may_pull(SERVICE_COUNT, "ops", AUTH_ROLE_STAFF));
}

static void test_a_service_key_is_registered_with_the_role_service(void **state)
{
    (void)state;
    zcert_t *cert = auth_server_cert(SERVICE_VALIDATION);
    assert_non_null(cert);
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/keys/allowed/service-validation.cert", s_home);
    zcert_t *entry = zcert_load(path);
    assert_non_null(entry);
    assert_string_equal(zcert_public_txt(entry), zcert_public_txt(cert));
    assert_string_equal(zcert_meta(entry, "name"), "validation");
    assert_string_equal(zcert_meta(entry, "role"), AUTH_ROLE_SERVICE);
    /* Only the public half is in the store. */
    char secret[CONFIG_PATH_MAX + 8];
    snprintf(secret, sizeof secret, "%s_secret", path);
    assert_int_equal(access(secret, F_OK), -1);
    zcert_destroy(&entry);
    /* Replaced by another key (an operator's mistake, a copy from another
     * host): the next start registers the service's own key again. */
    zcert_t *stranger = zcert_new();
    zcert_set_meta(stranger, "name", "validation");
    zcert_set_meta(stranger, "role", AUTH_ROLE_SERVICE);
    assert_int_equal(zcert_save_public(stranger, path), 0);
    zcert_destroy(&stranger);
    zcert_t *again = auth_server_cert(SERVICE_VALIDATION);
    assert_non_null(again);
    assert_string_equal(zcert_public_txt(again), zcert_public_txt(cert));
    entry = zcert_load(path);
    assert_non_null(entry);
    assert_string_equal(zcert_public_txt(entry), zcert_public_txt(cert));
    zcert_destroy(&entry);
    zcert_destroy(&again);
    zcert_destroy(&cert);
    /* allowed/ cannot be written: no key, the service does not start. */
    char command[CONFIG_PATH_MAX + 32];
    snprintf(command, sizeof command, "rm -rf '%s/keys/allowed'", s_home);
    assert_int_equal(system(command), 0);
    snprintf(path, sizeof path, "%s/keys/allowed", s_home);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    assert_null(auth_server_cert(SERVICE_INTAKE));
    unlink(path);
}

/*  A producer's secure ROUTER over TCP behind zauth, and a consumer with
 *  its service's key: the consumer waits for keys/<producer>.cert, then
 *  connects and pulls; the ZAP reply names it (name and role service). */
static void test_a_consumer_pulls_with_its_service_key(void **state)
{
    (void)state;
    int port = 20000 + (int)(getpid() % 9000);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    zcert_t *own = auth_server_cert(SERVICE_REVIEW);
    assert_non_null(own);
    char server_path[CONFIG_PATH_MAX];
    assert_int_equal(auth_key_path("", "validation", ".cert", server_path, sizeof server_path), 0);
    stream_consumer_t *consumer = stream_consumer_new_curve("validation", endpoint, own, server_path, 0, 8, 100);
    zcert_destroy(&own);   /* the consumer keeps its own copy of the keys */
    assert_non_null(consumer);
    zsock_t *dealer = stream_consumer_socket(consumer);
    /* No producer key yet: it connects nowhere (and looks again a second
     * later). */
    stream_consumer_poll(consumer, 0);
    /* The producer starts: its key, zauth, the CURVE ROUTER. */
    zcert_t *server = auth_server_cert(SERVICE_VALIDATION);
    assert_non_null(server);
    zactor_t *auth = auth_start();
    assert_non_null(auth);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    auth_make_server(router, server);
    zcert_destroy(&server);
    assert_true(zsock_bind(router, "%s", endpoint) >= 0);
    /* A poll after the back-off finds the key, connects and pulls (a pull
     * sent before the handshake ends is dropped and sent again). */
    int64_t now = 1000;
    for (int i = 0; i < 100 && !(zsock_events(router) & ZMQ_POLLIN); i++) {
        stream_consumer_poll(consumer, now += 1200);
        zclock_sleep(50);
    }
    zsock_set_rcvtimeo(router, 5000);
    zmsg_t *msg = zmsg_recv(router);
    assert_non_null(msg);
    zframe_t *identity = zmsg_pop(msg);
    zframe_t *payload = zmsg_pop(msg);
    const char *name, *role;
    auth_peer(payload, &name, &role);
    assert_non_null(name);
    assert_string_equal(name, "review");
    assert_string_equal(role, AUTH_ROLE_SERVICE);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object request;
    proto_error_t err;
    assert_int_equal(wire_decode(zframe_data(payload), zframe_size(payload), &zone, &request, &err), 0);
    assert_true(doc_str_eq(&request, "type", "pull"));
    assert_true(auth_may_pull(SERVICE_VALIDATION, name, role));
    assert_false(auth_may_pull(SERVICE_INTAKE, name, role));
    /* An empty batch back reaches the consumer. */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    uint64_t rid = 0;
    doc_uint(&request, "rid", &rid);
    proto_pack_reply(&pk, "batch", true, rid, 2);
    proto_pack_kv_uint(&pk, "head", 0);
    proto_pack_str(&pk, "events");
    msgpack_pack_array(&pk, 0);
    zsock_send(router, "fb", identity, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    zsock_set_rcvtimeo(dealer, 10000);
    msgpack_zone_clear(&zone);
    const msgpack_object *events;
    size_t first;
    assert_int_equal(stream_consumer_receive(consumer, &zone, &events, &first, now), 0);
    msgpack_zone_destroy(&zone);
    zframe_destroy(&identity);
    zframe_destroy(&payload);
    zmsg_destroy(&msg);
    stream_consumer_destroy(&consumer);
    zsock_destroy(&router);
    zactor_destroy(&auth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who_may_pull_which_stream),
        cmocka_unit_test_setup_teardown(test_a_service_key_is_registered_with_the_role_service, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_consumer_pulls_with_its_service_key, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
