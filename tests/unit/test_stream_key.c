/* Unit tests of common/stream_key's failures (its round trip is in
 * test_stream_sign): a key directory that cannot be made, a key file that
 * cannot be read, a public key that cannot be written. */
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

#include "common/stream_key.h"

static void test_keys_that_cannot_be_kept(void **state)
{
    (void)state;
    char dir[] = "/tmp/essp-key-XXXXXX", path[256], keys[128];
    assert_non_null(mkdtemp(dir));
    stream_sign_key_t key;
    /* The key directory would be under a file. */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    snprintf(keys, sizeof keys, "%s/file/keys", dir);
    assert_int_equal(stream_sign_key_load_or_create(keys, &key), -1);
    /* The key file is a link to nowhere: neither created nor read. */
    snprintf(keys, sizeof keys, "%s/dangling", dir);
    assert_int_equal(mkdir(keys, 0700), 0);
    snprintf(path, sizeof path, "%s/publication.key", keys);
    assert_int_equal(symlink("/nonexistent/essp.key", path), 0);
    assert_int_equal(stream_sign_key_load_or_create(keys, &key), -1);
    /* The public key's place is taken by a directory. */
    snprintf(keys, sizeof keys, "%s/pub", dir);
    assert_int_equal(mkdir(keys, 0700), 0);
    snprintf(path, sizeof path, "%s/publication.pub", keys);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(stream_sign_key_load_or_create(keys, &key), -1);
    /* Once it is free, the key created then is the one read. */
    assert_int_equal(rmdir(path), 0);
    stream_sign_key_t again;
    assert_int_equal(stream_sign_key_load_or_create(keys, &again), 0);
    assert_int_equal(stream_sign_key_load_or_create(keys, &key), 0);
    assert_memory_equal(key.public_key, again.public_key, sizeof key.public_key);
    char command[64];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_that_cannot_be_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
