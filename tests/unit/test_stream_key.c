/* Unit tests of common/stream_key's failures (its round trip is in
 * test_stream_sign): a key directory that cannot be made, a key file that
 * cannot be read, a public key that cannot be written; and the files of a
 * rotation: the next key written once, the old one kept, a retirement
 * finished after a crash, a stale file never overwritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
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

static void s_public_of(const char *dir, const char *name, unsigned char out[STREAM_SIGN_PUBLIC_BYTES])
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    stream_sign_key_t key;
    assert_int_equal(stream_sign_key_read(path, &key), 0);
    memcpy(out, key.public_key, STREAM_SIGN_PUBLIC_BYTES);
}

static void s_assert_pub_file(const char *dir, const char *name, const unsigned char key[STREAM_SIGN_PUBLIC_BYTES])
{
    char path[256], text[80] = "", hex[STREAM_SIGN_HEX_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    assert_non_null(fgets(text, sizeof text, file));
    fclose(file);
    stream_sign_public_hex(key, hex);
    assert_memory_equal(text, hex, 64);
}

static void test_the_files_of_a_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/essp-rotation-XXXXXX", path[256], command[300];
    assert_non_null(mkdtemp(dir));
    stream_sign_key_t first;
    assert_int_equal(stream_sign_key_load_or_create(dir, &first), 0);
    unsigned char second[STREAM_SIGN_PUBLIC_BYTES], third[STREAM_SIGN_PUBLIC_BYTES], fourth[STREAM_SIGN_PUBLIC_BYTES],
        got[STREAM_SIGN_PUBLIC_BYTES];
    /* Nothing to retire without a next key. */
    assert_int_equal(stream_sign_key_retire(dir, 1), -1);
    assert_int_equal(stream_sign_key_create_next(dir, second), 0);
    assert_int_equal(stream_sign_key_create_next(dir, third), -1);
    assert_int_equal(errno, EEXIST);
    s_public_of(dir, "publication.next", got);
    assert_memory_equal(got, second, sizeof got);

    assert_int_equal(stream_sign_key_retire(dir, 1), 0);
    s_public_of(dir, "publication.key", got);
    assert_memory_equal(got, second, sizeof got);
    s_public_of(dir, "publication.key.1", got);
    assert_memory_equal(got, first.public_key, sizeof got);
    s_assert_pub_file(dir, "publication.pub", second);
    s_assert_pub_file(dir, "publication.pub.1", first.public_key);
    snprintf(path, sizeof path, "%s/publication.next", dir);
    assert_int_equal(access(path, F_OK), -1);
    struct stat st;
    snprintf(path, sizeof path, "%s/publication.key.1", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A crash after the old key was kept: the retirement finishes. */
    assert_int_equal(stream_sign_key_create_next(dir, third), 0);
    snprintf(command, sizeof command, "ln %s/publication.key %s/publication.key.2", dir, dir);
    assert_int_equal(system(command), 0);
    assert_int_equal(stream_sign_key_retire(dir, 2), 0);
    s_public_of(dir, "publication.key", got);
    assert_memory_equal(got, third, sizeof got);
    s_public_of(dir, "publication.key.2", got);
    assert_memory_equal(got, second, sizeof got);

    /* Another key already under the name: nothing moves. */
    assert_int_equal(stream_sign_key_create_next(dir, fourth), 0);
    snprintf(command, sizeof command, "cp %s/publication.key.1 %s/publication.key.3", dir, dir);
    assert_int_equal(system(command), 0);
    assert_int_equal(stream_sign_key_retire(dir, 3), -1);
    s_public_of(dir, "publication.key", got);
    assert_memory_equal(got, third, sizeof got);
    s_public_of(dir, "publication.next", got);
    assert_memory_equal(got, fourth, sizeof got);

    /* A file that holds no key. */
    snprintf(path, sizeof path, "%s/junk", dir);
    FILE *junk = fopen(path, "w");
    assert_non_null(junk);
    fputs("not a key\n", junk);
    fclose(junk);
    stream_sign_key_t none;
    assert_int_equal(stream_sign_key_read(path, &none), -1);
    assert_int_equal(errno, EINVAL);
    snprintf(path, sizeof path, "%s/absent", dir);
    assert_int_equal(stream_sign_key_read(path, &none), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_that_cannot_be_kept),
        cmocka_unit_test(test_the_files_of_a_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
