/* Unit tests of common/config: the config file (NAME=value lines, the
 * environment wins) and the ports derived from ESSP_PORT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/config.h"

static char s_path[64];

/* The file is read once per process, on the first lookup: every test of
 * this program reads the same file, written before the first. */
static int s_write_file(void **state)
{
    (void)state;
    snprintf(s_path, sizeof s_path, "/tmp/essp-config-XXXXXX");
    int fd = mkstemp(s_path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    fputs("# the committee\n"
          "ESSP_QUORUM_VOTES=5\n"
          "  ESSP_QUORUM_COLLEGES = 3  \n"
          "ESSP_LISTING_YEARS=\"2\"\n"
          "not a setting\n"
          "=orphan\n"
          "ESSP_DURABLE=maybe\n"
          "ESSP_HTTP_RATE=7\n"
          "ESSP_HTTP_RATE=9\n"
          "ESSP_SMTP_PASSWORD_FILE=/tmp/essp-config-secret-conf\n", file);
    fclose(file);
    setenv("ESSP_CONFIG", s_path, 1);
    return 0;
}

static int s_remove_file(void **state)
{
    (void)state;
    unlink(s_path);
    return 0;
}

static void test_file_settings_are_read(void **state)
{
    (void)state;
    assert_int_equal(config_env_long("ESSP_QUORUM_VOTES", 3, 1, 1000), 5);
    assert_int_equal(config_env_long("ESSP_QUORUM_COLLEGES", 2, 1, 3), 3);
    assert_int_equal(config_env_long("ESSP_LISTING_YEARS", 3, 1, 100), 2);
    /* The last line wins, as in a shell. */
    assert_int_equal(config_env_long("ESSP_HTTP_RATE", 5, 1, 1000), 9);
    assert_null(config_get("ESSP_UNSET_SETTING"));
    assert_null(config_get("not a setting"));
}

static void test_environment_wins_over_the_file(void **state)
{
    (void)state;
    setenv("ESSP_QUORUM_VOTES", "4", 1);
    assert_int_equal(config_env_long("ESSP_QUORUM_VOTES", 3, 1, 1000), 4);
    unsetenv("ESSP_QUORUM_VOTES");
    assert_int_equal(config_env_long("ESSP_QUORUM_VOTES", 3, 1, 1000), 5);
}

static void test_bad_values_fall_back_to_the_default(void **state)
{
    (void)state;
    assert_int_equal(config_env_long("ESSP_DURABLE", 1, 0, 1), 1);
    /* Out of range. */
    assert_int_equal(config_env_long("ESSP_QUORUM_COLLEGES", 2, 1, 2), 2);
}

/* ESSP_HEARTBEAT_MS: 1 s unless set; 0 turns it off; a value under
 * 100 ms is raised to 100 (a heartbeat every few ms would be a load). */
static void test_heartbeat(void **state)
{
    (void)state;
    assert_int_equal(config_heartbeat_ms(), 1000);
    const char *set[] = {"250", "0", "50", "abc", "-5", "700000"};
    const int want[] = {250, 0, 100, 1000, 1000, 1000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        setenv("ESSP_HEARTBEAT_MS", set[i], 1);
        assert_int_equal(config_heartbeat_ms(), want[i]);
    }
    unsetenv("ESSP_HEARTBEAT_MS");
}

static void test_secure_ports_follow_the_base_port(void **state)
{
    (void)state;
    setenv("ESSP_PORT", "9000", 1);
    assert_int_equal(config_secure_port(SERVICE_REVIEW), 9005);
    assert_int_equal(config_secure_port(SERVICE_INTAKE), 9006);
    char endpoint[CONFIG_ENDPOINT_MAX];
    config_secure_connect_endpoint(SERVICE_INTAKE, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://127.0.0.1:9006");
    setenv("ESSP_INTAKE_SECURE_ENDPOINT", "tcp://10.0.0.2:7706", 1);
    config_secure_connect_endpoint(SERVICE_INTAKE, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://10.0.0.2:7706");
    config_secure_connect_endpoint(SERVICE_REVIEW, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://127.0.0.1:9005");
    setenv("ESSP_PORT", "not a port", 1);
    assert_int_equal(config_secure_port(SERVICE_REVIEW), -1);
    unsetenv("ESSP_PORT");
    unsetenv("ESSP_INTAKE_SECURE_ENDPOINT");
}

static void test_http_port_and_directories(void **state)
{
    (void)state;
    setenv("ESSP_PORT", "9000", 1);
    assert_int_equal(config_http_port(), 9004);
    /* Every port of the stack is distinct (config.h's table). */
    int seen[32] = {0};
    for (int s = 0; s < SERVICE_COUNT; s++) {
        assert_in_range(config_port((service_id_t)s) - 9000, 0, 31);
        seen[config_port((service_id_t)s) - 9000]++;
        if (config_secure_port((service_id_t)s) >= 0)
            seen[config_secure_port((service_id_t)s) - 9000]++;
    }
    seen[config_http_port() - 9000]++;
    seen[config_desk_http_port() - 9000]++;
    for (int i = 0; i < 32; i++)
        assert_in_range(seen[i], 0, 1);
    assert_int_equal(config_port(SERVICE_DESK), 9009);
    assert_int_equal(config_desk_http_port(), 9011);
    assert_int_equal(config_port(SERVICE_NOTIFY), 9012);
    assert_int_equal(config_secure_port(SERVICE_NOTIFY), 9013);
    assert_int_equal(config_service_by_name("notify"), SERVICE_NOTIFY);
    char url[CONFIG_ENDPOINT_MAX];
    config_desk_url(url, sizeof url);
    assert_string_equal(url, "http://127.0.0.1:9011/");
    setenv("ESSP_PORT", "70000", 1);
    assert_int_equal(config_http_port(), -1);
    assert_int_equal(config_port(SERVICE_REVIEW), -1);
    unsetenv("ESSP_PORT");
    assert_string_equal(config_service_name(SERVICE_COUNT), "unknown");
    /* Directories and their parents; a path too long, or under a file. */
    char dir[] = "/tmp/essp-config-XXXXXX", path[CONFIG_PATH_MAX + 8];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    assert_int_equal(config_mkdirs(path), 0);
    assert_int_equal(config_mkdirs(path), 0);   /* already there */
    memset(path, 'x', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    assert_int_equal(config_mkdirs(path), -1);
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    snprintf(path, sizeof path, "%s/file/sub/dir", dir);
    assert_int_equal(config_mkdirs(path), -1);
    snprintf(path, sizeof path, "%s/file/leaf", dir);
    assert_int_equal(config_mkdirs(path), -1);
    char command[64];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

static void s_write_secret(const char *path, const char *content, mode_t mode)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(content, file);
    fclose(file);
    assert_int_equal(chmod(path, mode), 0);
}

/*  NAME_FILE=path gives NAME the file's content, its trailing newline
 *  stripped; NAME itself wins; a file open to every user is refused. */
static void test_settings_given_as_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/essp-config-XXXXXX", path[128], open_path[128], command[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/token", dir);
    s_write_secret(path, "s3cret with spaces\n", 0600);
    setenv("ESSP_TEST_TOKEN_FILE", path, 1);
    assert_string_equal(config_get("ESSP_TEST_TOKEN"), "s3cret with spaces");
    setenv("ESSP_TEST_TOKEN", "plain", 1);
    assert_string_equal(config_get("ESSP_TEST_TOKEN"), "plain");
    unsetenv("ESSP_TEST_TOKEN");
    assert_string_equal(config_get("ESSP_TEST_TOKEN"), "s3cret with spaces");
    unsetenv("ESSP_TEST_TOKEN_FILE");
    assert_null(config_get("ESSP_TEST_TOKEN"));

    /* Numbers too, and a file readable by its group (0640) is accepted. */
    snprintf(path, sizeof path, "%s/rate", dir);
    s_write_secret(path, "12\r\n", 0640);
    setenv("ESSP_TEST_RATE_FILE", path, 1);
    assert_int_equal(config_env_long("ESSP_TEST_RATE", 5, 1, 100), 12);
    unsetenv("ESSP_TEST_RATE_FILE");

    /* World-readable, missing, not a regular file: unset, the default holds. */
    snprintf(open_path, sizeof open_path, "%s/open", dir);
    s_write_secret(open_path, "exposed\n", 0644);
    setenv("ESSP_TEST_OPEN_FILE", open_path, 1);
    assert_null(config_get("ESSP_TEST_OPEN"));
    setenv("ESSP_TEST_MISSING_FILE", "/nonexistent/essp-secret", 1);
    assert_null(config_get("ESSP_TEST_MISSING"));
    setenv("ESSP_TEST_DIR_FILE", dir, 1);
    assert_null(config_get("ESSP_TEST_DIR"));
    unsetenv("ESSP_TEST_OPEN_FILE");
    unsetenv("ESSP_TEST_MISSING_FILE");
    unsetenv("ESSP_TEST_DIR_FILE");

    /* NAME_FILE in the config file. */
    s_write_secret("/tmp/essp-config-secret-conf", "from the conf\n", 0600);
    assert_string_equal(config_get("ESSP_SMTP_PASSWORD"), "from the conf");
    unlink("/tmp/essp-config-secret-conf");
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

/*  The public gateway binds apart from the services: ESSP_BIND never
 *  moves it, ESSP_HTTP_BIND does, and never the services. */
static void test_http_binds_apart(void **state)
{
    (void)state;
    char endpoint[CONFIG_ENDPOINT_MAX];
    setenv("ESSP_PORT", "9000", 1);
    setenv("ESSP_BIND", "0.0.0.0", 1);
    assert_string_equal(config_http_bind(), "127.0.0.1");
    config_http_connect_endpoint(endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "http://127.0.0.1:9004/");
    unsetenv("ESSP_BIND");
    setenv("ESSP_HTTP_BIND", "0.0.0.0", 1);
    assert_string_equal(config_http_bind(), "0.0.0.0");
    config_bind_endpoint(SERVICE_INTAKE, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://127.0.0.1:9000");
    config_secure_bind_endpoint(SERVICE_REVIEW, endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "tcp://127.0.0.1:9005");
    config_http_connect_endpoint(endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "http://127.0.0.1:9004/");
    setenv("ESSP_HTTP_BIND", "10.1.2.3", 1);
    config_http_connect_endpoint(endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "http://10.1.2.3:9004/");
    setenv("ESSP_HTTP_BIND", "::", 1);
    config_http_connect_endpoint(endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "http://[::1]:9004/");
    setenv("ESSP_INTAKE_HTTP_ENDPOINT", "https://essp.example/", 1);
    config_http_connect_endpoint(endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "https://essp.example/");
    unsetenv("ESSP_INTAKE_HTTP_ENDPOINT");
    unsetenv("ESSP_HTTP_BIND");
    unsetenv("ESSP_PORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_settings_are_read),
        cmocka_unit_test(test_environment_wins_over_the_file),
        cmocka_unit_test(test_bad_values_fall_back_to_the_default),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_secure_ports_follow_the_base_port),
        cmocka_unit_test(test_http_port_and_directories),
        cmocka_unit_test(test_settings_given_as_files),
        cmocka_unit_test(test_http_binds_apart),
    };
    return cmocka_run_group_tests(tests, s_write_file, s_remove_file);
}
