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

/*  service_main fails with code, and its log names the cause (said);
 *  squatter, the test's socket on an endpoint the service wanted, goes;
 *  then the service's in-process endpoints are free for the next start. */
static void s_fails_saying(service_fixture_t *f, int code, const char *said, zsock_t **squatter)
{
    long mark = fixture_log_mark(f);
    assert_int_equal(service_main(&f->def), code);
    fixture_expect_logged(f, mark, said, true);
    if (squatter)
        zsock_destroy(squatter);
    fixture_wait_endpoints_free(f);
}

/*  service_main fails (1) saying why (said), at the step the lines it
 *  wrote place: after the last step it passed (reached, or NULL), before
 *  the next one (not_reached, or NULL); the count of the front end's
 *  attaches (which comes last) tells whether it got that far. */
static void s_fails_between(service_fixture_t *f, const char *said, const char *reached, const char *not_reached,
                            int attaches)
{
    long mark = fixture_log_mark(f);
    atomic_store(&f->attaches, 0);
    assert_int_equal(service_main(&f->def), 1);
    fixture_expect_logged(f, mark, said, true);
    if (reached)
        fixture_expect_logged(f, mark, reached, true);
    if (not_reached)
        fixture_expect_logged(f, mark, not_reached, false);
    assert_int_equal(atomic_load(&f->attaches), attaches);
    fixture_wait_endpoints_free(f);
}

/*  Not a port; the core's start fails; the store cannot be opened; its
 *  first transaction cannot begin; the front end fails to attach. */
static void s_start_failures(service_fixture_t *f)
{
    setenv("ESSP_PORT", "seventy", 1);
    s_fails_saying(f, 2, "ESSP_PORT must be a port number", NULL);
    fixture_free_port(f, 100 + f->run);
    /* The core ran in the first transaction, which was not committed. */
    f->start_rc = MDB_PANIC;
    store_fault_clear();
    s_fails_between(f, "the first transaction failed", "following ", "listening on", 0);
    assert_int_equal(store_fault_calls(STORE_FAULT_BEGIN), 1);
    assert_int_equal(store_fault_calls(STORE_FAULT_COMMIT), 0);
    f->start_rc = 0;
    char said[256];
    snprintf(said, sizeof said, "cannot open LMDB store %s/data/%s: MDB_PANIC", f->home,
             config_service_name(f->def.id));
    store_fault_set(STORE_FAULT_OPEN, 1, 1, MDB_PANIC);
    s_fails_saying(f, 1, said, NULL);
    store_fault_set(STORE_FAULT_BEGIN, 1, 1, MDB_PANIC);
    s_fails_between(f, "cannot begin the first transaction of the store", NULL, "following ", 0);
    assert_int_equal(store_fault_calls(STORE_FAULT_BEGIN), 1);
    store_fault_clear();
    /* The front end, which failed to attach, is not detached. */
    f->attach_rc = -1;
    s_fails_between(f, "cannot start the service's own threads", "listening on", NULL, 1);
    assert_int_equal(atomic_load(&f->detached), 0);
    f->attach_rc = 0;
}

/*  "cannot bind <endpoint>: " */
static void s_cannot_bind(const char *endpoint, char *said, size_t cap)
{
    snprintf(said, cap, "cannot bind %s: ", endpoint);
}

/*  The port is taken; an address that is none; the secure endpoint's port
 *  is taken; the in-process endpoint is taken. */
static void s_bind_failures(service_fixture_t *f)
{
    char endpoint[CONFIG_ENDPOINT_MAX], said[CONFIG_ENDPOINT_MAX + 32];
    fixture_free_port(f, 200 + f->run);
    config_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    zsock_t *squatter = zsock_new(ZMQ_ROUTER);
    assert_true(zsock_bind(squatter, "%s", endpoint) >= 0);
    s_cannot_bind(endpoint, said, sizeof said);
    s_fails_saying(f, 1, said, &squatter);
    setenv("ESSP_BIND", "256.0.0.1", 1);
    config_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    s_cannot_bind(endpoint, said, sizeof said);
    s_fails_saying(f, 1, said, NULL);
    unsetenv("ESSP_BIND");
    static const char *const secure[] = {"erase", NULL};
    f->def.secure_types = secure;
    fixture_free_port(f, 300 + f->run);
    config_secure_bind_endpoint(f->def.id, endpoint, sizeof endpoint);
    squatter = zsock_new(ZMQ_ROUTER);
    assert_true(zsock_bind(squatter, "%s", endpoint) >= 0);
    s_cannot_bind(endpoint, said, sizeof said);
    s_fails_saying(f, 1, said, &squatter);
    f->def.secure_types = NULL;
    fixture_free_port(f, 400 + f->run);
    snprintf(endpoint, sizeof endpoint, "inproc://essp-%s", config_service_name(f->def.id));
    squatter = zsock_new(ZMQ_ROUTER);
    assert_int_equal(zsock_bind(squatter, "%s", endpoint), 0);
    s_cannot_bind(endpoint, said, sizeof said);
    s_fails_saying(f, 1, said, &squatter);
}

/*  A file where the service wants the directory dir (under the home). */
static void s_make_file(service_fixture_t *f, const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "rm -rf %s/%s", f->home, dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/%s", f->home, dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
}

/*  No pid file: run/ is a file; the pid file is a directory.  Every
 *  endpoint was bound, the front end not attached.  No key: keys/ is a
 *  file, where the service's own key is made. */
static void s_file_failures(service_fixture_t *f)
{
    char path[128];
    s_make_file(f, "run");
    fixture_free_port(f, 500 + f->run);
    s_fails_between(f, "cannot write the pid file", "listening on", "cannot bind", 0);
    snprintf(path, sizeof path, "%s/run", f->home);
    unlink(path);
    snprintf(path, sizeof path, "%s/run/%s.pid", f->home, config_service_name(f->def.id));
    assert_int_equal(config_mkdirs(path), 0);
    fixture_free_port(f, 600 + f->run);
    s_fails_between(f, "cannot write the pid file", "listening on", "cannot bind", 0);
    rmdir(path);
    s_make_file(f, "keys");
    fixture_free_port(f, 700 + f->run);
    char said[256];
    snprintf(said, sizeof said, "cannot load or create the service key under %s/keys", f->home);
    s_fails_saying(f, 1, said, NULL);
    snprintf(path, sizeof path, "%s/keys", f->home);
    unlink(path);
}

/*  Each failure is checked by what the service's log says of it, so that
 *  a start that fails for another cause is seen. */
static void test_a_service_that_cannot_start_says_so(void **state)
{
    service_fixture_t *f = *state;
    s_start_failures(f);
    s_bind_failures(f);
    s_file_failures(f);
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
