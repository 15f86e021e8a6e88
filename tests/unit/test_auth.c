/* Unit tests of common/auth: names made safe as file names and back, where
 * keys are kept, and key pairs issued, loaded and revoked in a temporary
 * ESSP_HOME. */
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

static void s_round_trip(const char *name, const char *expected_file)
{
    char file[256], back[256];
    assert_int_equal(auth_file_name(name, file, sizeof file), 0);
    assert_string_equal(file, expected_file);
    assert_int_equal(auth_name_of_file(file, strlen(file), back, sizeof back), 0);
    assert_string_equal(back, name);
}

static void test_names_become_safe_file_names_and_back(void **state)
{
    (void)state;
    s_round_trip("operator", "operator");
    s_round_trip("Claire Moreau", "Claire%20Moreau");
    s_round_trip("Hervé Le Guen", "Herv%C3%A9%20Le%20Guen");
    s_round_trip("../../etc/passwd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd");
    s_round_trip(".hidden", "%2Ehidden");
    s_round_trip("a%b", "a%25b");
}

static void test_unsafe_or_foreign_file_names_are_refused(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(auth_file_name("", out, sizeof out), -1);
    assert_int_equal(auth_file_name("abcdefgh", out, 8), -1);     /* no room for the NUL */
    assert_int_equal(auth_file_name("é", out, 6), -1);            /* %C3%A9 needs 7 bytes */
    assert_int_equal(auth_file_name("é", out, 7), 0);
    static const char *const bad[] = {"", "a.b", "a/b", "%41", "%00", "%2e", "%2", "a%", "%G0", NULL};
    for (const char *const *b = bad; *b; b++)
        assert_int_equal(auth_name_of_file(*b, strlen(*b), out, sizeof out), -1);
}

static void test_keys_live_under_essp_home(void **state)
{
    (void)state;
    char path[CONFIG_PATH_MAX];
    setenv("ESSP_HOME", "/srv/essp", 1);
    assert_int_equal(auth_key_path("", "review", ".cert", path, sizeof path), 0);
    assert_string_equal(path, "/srv/essp/keys/review.cert");
    assert_int_equal(auth_key_path("members", "Claire Moreau", ".cert_secret", path, sizeof path), 0);
    assert_string_equal(path, "/srv/essp/keys/members/Claire%20Moreau.cert_secret");
    assert_int_equal(auth_key_path("members", "x", ".cert", path, 10), -1);
    assert_true(auth_is_role("member"));
    assert_true(auth_is_role("staff"));
    assert_false(auth_is_role("admin"));
    assert_false(auth_is_role(NULL));
}

static void test_issued_keys_are_installed_then_revoked(void **state)
{
    (void)state;
    char home[] = "/tmp/essp-auth-XXXXXX", allowed[CONFIG_PATH_MAX], name[64];
    assert_non_null(mkdtemp(home));
    setenv("ESSP_HOME", home, 1);
    unsetenv("ESSP_STAFF");
    assert_int_equal(auth_staff_name(name, sizeof name), 1);
    assert_int_equal(auth_issue("staff", "Accueil Nantes"), 0);
    assert_int_equal(auth_staff_name(name, sizeof name), 0);
    assert_string_equal(name, "Accueil Nantes");
    assert_int_equal(auth_issue("member", "Hervé Le Guen"), 0);
    assert_true(auth_has_key("member", "Hervé Le Guen"));
    assert_false(auth_has_key("member", "Accueil Nantes"));
    assert_int_equal(auth_issue("admin", "x"), -1);

    /* The pair carries name and role; the store holds the public half. */
    zcert_t *pair = auth_load("member", "Hervé Le Guen");
    assert_non_null(pair);
    assert_string_equal(zcert_meta(pair, "name"), "Hervé Le Guen");
    assert_string_equal(zcert_meta(pair, "role"), "member");
    snprintf(allowed, sizeof allowed, "%s/keys/allowed/member-Herv%%C3%%A9%%20Le%%20Guen.cert", home);
    zcert_t *public = zcert_load(allowed);
    assert_non_null(public);
    assert_string_equal(zcert_public_txt(public), zcert_public_txt(pair));
    assert_string_equal(zcert_secret_txt(public), "0000000000000000000000000000000000000000");
    assert_string_equal(zcert_meta(public, "role"), "member");
    zcert_destroy(&public);
    zcert_destroy(&pair);

    assert_int_equal(auth_revoke("member", "Hervé Le Guen"), 0);
    assert_int_equal(access(allowed, F_OK), -1);
    assert_int_equal(auth_revoke("member", "Hervé Le Guen"), 0);   /* already gone */
    assert_true(auth_has_key("member", "Hervé Le Guen"));           /* the pair itself stays */

    assert_int_equal(auth_issue("staff", "Siège"), 0);
    assert_int_equal(auth_staff_name(name, sizeof name), 2);        /* two: ESSP_STAFF chooses */
    setenv("ESSP_STAFF", "Siège", 1);
    assert_int_equal(auth_staff_name(name, sizeof name), 0);
    assert_string_equal(name, "Siège");
    unsetenv("ESSP_STAFF");

    /* The service key is created once, then loaded. */
    zcert_t *first = auth_server_cert(SERVICE_REVIEW);
    zcert_t *again = auth_server_cert(SERVICE_REVIEW);
    assert_non_null(first);
    assert_non_null(again);
    assert_string_equal(zcert_public_txt(first), zcert_public_txt(again));
    zcert_destroy(&first);
    zcert_destroy(&again);
    char command[CONFIG_PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s'", home);
    assert_int_equal(system(command), 0);
}

static void test_keys_that_cannot_be_made_or_found(void **state)
{
    (void)state;
    char home[] = "/tmp/essp-auth-XXXXXX", path[CONFIG_PATH_MAX], out[8];
    assert_non_null(mkdtemp(home));
    setenv("ESSP_HOME", home, 1);
    /* Names that do not fit, roles that are none. */
    assert_int_equal(auth_name_of_file("abcdefgh", 8, out, sizeof out), -1);
    char long_name[300];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(auth_key_path("members", long_name, ".cert", path, sizeof path), -1);
    assert_int_equal(auth_issue("member", long_name), -1);
    assert_int_equal(auth_revoke("admin", "x"), -1);
    assert_int_equal(auth_revoke("member", long_name), -1);
    assert_false(auth_has_key("admin", "x"));
    assert_null(auth_load("admin", "x"));
    assert_null(auth_load("member", long_name));
    /* A client of a service that never started: no server key to trust. */
    zcert_t *cert = zcert_new();
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_int_equal(auth_make_client(sock, cert, SERVICE_REVIEW), -1);
    zsock_destroy(&sock);
    zcert_destroy(&cert);
    /* zauth, verbose on request. */
    setenv("ESSP_AUTH_VERBOSE", "1", 1);
    zactor_t *auth = auth_start();
    unsetenv("ESSP_AUTH_VERBOSE");
    assert_non_null(auth);
    zactor_destroy(&auth);
    /* keys/ is a file: nothing can be kept under it. */
    char command[CONFIG_PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s/keys'", home);
    assert_int_equal(system(command), 0);
    snprintf(path, sizeof path, "%s/keys", home);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    assert_null(auth_start());
    assert_null(auth_server_cert(SERVICE_REVIEW));
    assert_int_equal(auth_issue("staff", "ops"), -1);
    snprintf(command, sizeof command, "rm -rf '%s'", home);
    assert_int_equal(system(command), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_become_safe_file_names_and_back),
        cmocka_unit_test(test_unsafe_or_foreign_file_names_are_refused),
        cmocka_unit_test(test_keys_live_under_essp_home),
        cmocka_unit_test(test_issued_keys_are_installed_then_revoked),
        cmocka_unit_test(test_keys_that_cannot_be_made_or_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
