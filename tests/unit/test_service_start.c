/*  Unit tests of common/service's endpoints and start: secure types
 *  answered only on the CurveZMQ ROUTER to a known key, and every way the
 *  service can fail to start (a bad port or address, a port or in-process
 *  endpoint taken, the core's start, the store, the pid file, the keys).
 *  The service runs in a thread (tests/unit/service_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/auth.h"
#include "common/config.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "service_fixture.h"

static void test_secure_types_are_answered_only_on_the_curve_router(void **state)
{
    service_fixture_t *f = *state;
    static const char *const secure[] = {"erase", NULL};
    f->def.secure_types = secure;
    f->def.attach = NULL;   /* no front end */
    f->def.detach = NULL;
    fixture_start(f);
    fixture_ask(f, "erase", "x", "error", PROTO_E_FORBIDDEN);
    /* A staff key, issued into the certificate store. */
    assert_int_equal(auth_issue(AUTH_ROLE_STAFF, "ops"), 0);
    zcert_t *cert = auth_load(AUTH_ROLE_STAFF, "ops");
    assert_non_null(cert);
    zsock_t *secure_client = zsock_new(ZMQ_DEALER);
    assert_int_equal(auth_make_client(secure_client, cert, f->def.id), 0);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    assert_int_equal(zsock_connect(secure_client, "%s", endpoint), 0);
    fixture_send(f, secure_client, "erase", 1, "y", NULL);
    msgpack_object reply;
    assert_true(fixture_reply(f, secure_client, 10000, &reply));
    assert_true(doc_str_eq(&reply, "type", "ack"));
    assert_true(doc_str_eq(&reply, "id", "ops"));   /* the handler saw who */
    zsock_destroy(&secure_client);
    zcert_destroy(&cert);
    /* A key in the store that names no one is refused. */
    cert = zcert_new();
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/keys/allowed/anonymous.cert", f->home);
    assert_int_equal(zcert_save_public(cert, path), 0);
    secure_client = zsock_new(ZMQ_DEALER);
    assert_int_equal(auth_make_client(secure_client, cert, f->def.id), 0);
    assert_int_equal(zsock_connect(secure_client, "%s", endpoint), 0);
    fixture_send(f, secure_client, "erase", 1, "z", NULL);
    assert_true(fixture_reply(f, secure_client, 10000, &reply));
    assert_true(doc_str_eq(&reply, "code", PROTO_E_FORBIDDEN));
    zsock_destroy(&secure_client);
    zcert_destroy(&cert);
    fixture_stop(f);
}

static void test_a_service_that_cannot_start_says_so(void **state)
{
    service_fixture_t *f = *state;
    /* Not a port. */
    setenv("ESSP_PORT", "seventy", 1);
    assert_int_equal(service_main(&f->def), 2);
    fixture_fresh_port(100 + f->run);
    /* The core's start fails; the store cannot be opened; its first
     * transaction cannot begin. */
    f->start_rc = MDB_PANIC;
    assert_int_equal(service_main(&f->def), 1);
    f->start_rc = 0;
    store_fault_set(STORE_FAULT_OPEN, 1, 1, MDB_PANIC);
    assert_int_equal(service_main(&f->def), 1);
    store_fault_set(STORE_FAULT_BEGIN, 1, 1, MDB_PANIC);
    assert_int_equal(service_main(&f->def), 1);
    store_fault_clear();
    /* The front end fails to attach (and is then not detached). */
    f->attach_rc = -1;
    assert_int_equal(service_main(&f->def), 1);
    assert_int_equal(atomic_load(&f->detached), 0);
    f->attach_rc = 0;
    usleep(100 * 1000);   /* ZeroMQ frees the in-process endpoint */
    /* The port is taken. */
    fixture_fresh_port(200 + f->run);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    zsock_t *squatter = zsock_new(ZMQ_ROUTER);
    assert_true(zsock_bind(squatter, "%s", endpoint) >= 0);
    assert_int_equal(service_main(&f->def), 1);
    zsock_destroy(&squatter);
    /* An address that is none. */
    setenv("ESSP_BIND", "256.0.0.1", 1);
    assert_int_equal(service_main(&f->def), 1);
    unsetenv("ESSP_BIND");
    /* The secure endpoint's port is taken. */
    static const char *const secure[] = {"erase", NULL};
    f->def.secure_types = secure;
    fixture_fresh_port(300 + f->run);
    config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    squatter = zsock_new(ZMQ_ROUTER);
    assert_true(zsock_bind(squatter, "%s", endpoint) >= 0);
    assert_int_equal(service_main(&f->def), 1);
    zsock_destroy(&squatter);
    f->def.secure_types = NULL;
    usleep(100 * 1000);
    /* No pid file: run/ is a file; the pid file is a directory. */
    char path[128];
    snprintf(path, sizeof path, "rm -rf %s/run", f->home);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/run", f->home);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    fixture_fresh_port(500 + f->run);
    assert_int_equal(service_main(&f->def), 1);
    unlink(path);
    usleep(100 * 1000);
    snprintf(path, sizeof path, "%s/run/%s.pid", f->home, config_service_name(f->def.id));
    assert_int_equal(config_mkdirs(path), 0);
    fixture_fresh_port(600 + f->run);
    assert_int_equal(service_main(&f->def), 1);
    rmdir(path);
    usleep(100 * 1000);
    /* The secure endpoint has no keys: keys/ is a file. */
    snprintf(path, sizeof path, "rm -rf %s/keys", f->home);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/keys", f->home);
    file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    f->def.secure_types = secure;
    fixture_fresh_port(700 + f->run);
    assert_int_equal(service_main(&f->def), 1);
    f->def.secure_types = NULL;
    unlink(path);
    usleep(100 * 1000);
    /* The in-process endpoint is taken. */
    fixture_fresh_port(400 + f->run);
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    squatter = zsock_new(ZMQ_ROUTER);
    assert_int_equal(zsock_bind(squatter, "%s", endpoint), 0);
    assert_int_equal(service_main(&f->def), 1);
    zsock_destroy(&squatter);
}

int main(void)
{
    zsys_init();
    zsys_set_logsystem(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_secure_types_are_answered_only_on_the_curve_router, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_service_that_cannot_start_says_so, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
