/* Unit tests of common/entropy: libsodium's random bytes through the
 * buffered implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "common/entropy.h"

static int s_setup(void **state)
{
    (void)state;
    entropy_install();
    entropy_install();   /* a second call changes nothing */
    return sodium_init() < 0 ? -1 : 0;
}

static void test_installed(void **state)
{
    (void)state;
    assert_string_equal(randombytes_implementation_name(), "essp-buffered-getrandom");
}

/*  Draws of every size, across the buffer's end many times over, never
 *  repeat a 16-byte block: 64 KiB in all. */
static void test_draws_do_not_repeat(void **state)
{
    (void)state;
    enum { TOTAL = 65536 };
    unsigned char *all = calloc(1, TOTAL);
    size_t at = 0;
    for (size_t size = 1; at < TOTAL; size = size % 700 + 7) {
        size_t n = size < TOTAL - at ? size : TOTAL - at;
        randombytes_buf(all + at, n);
        at += n;
    }
    size_t zeros = 0;
    for (size_t i = 0; i < TOTAL; i++)
        zeros += all[i] == 0;
    /* 256 expected; a buffer handed out twice after its wipe would give zeros */
    assert_in_range(zeros, 150, 380);
    for (size_t i = 0; i + 32 <= TOTAL; i += 16)
        for (size_t j = i + 16; j + 16 <= TOTAL && j < i + 4096; j += 16)
            assert_true(memcmp(all + i, all + j, 16) != 0);
    free(all);
}

/*  Every byte value comes about as often as the others. */
static void test_bytes_are_even(void **state)
{
    (void)state;
    enum { TOTAL = 256 * 1024 };
    unsigned char *all = malloc(TOTAL);
    for (size_t at = 0; at < TOTAL; at += 16)
        randombytes_buf(all + at, 16);
    unsigned counts[256] = {0};
    for (size_t i = 0; i < TOTAL; i++)
        counts[all[i]]++;
    double chi = 0, expected = TOTAL / 256.0;
    for (int b = 0; b < 256; b++)
        chi += (counts[b] - expected) * (counts[b] - expected) / expected;
    /* 255 degrees of freedom: above 350 happens once in 10,000 runs */
    assert_true(chi < 350);
    free(all);
}

static void test_uniform_stays_below(void **state)
{
    (void)state;
    unsigned seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint32_t r = randombytes_uniform(7);
        assert_true(r < 7);
        seen[r]++;
    }
    for (int i = 0; i < 7; i++)
        assert_in_range(seen[i], 800, 1200);
    assert_int_equal(randombytes_uniform(1), 0);
    assert_int_equal(randombytes_uniform(0), 0);
}

/*  A child made by fork draws its own bytes, not the parent's next ones. */
static void test_fork_does_not_share(void **state)
{
    (void)state;
    unsigned char first[8];
    randombytes_buf(first, sizeof first);   /* the buffer now holds bytes */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsigned char child[32];
        randombytes_buf(child, sizeof child);
        ssize_t n = write(fds[1], child, sizeof child);
        _exit(n == (ssize_t)sizeof child ? 0 : 1);
    }
    unsigned char parent[32], child[32];
    randombytes_buf(parent, sizeof parent);
    assert_int_equal(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(memcmp(parent, child, sizeof parent) != 0);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_installed),
        cmocka_unit_test(test_draws_do_not_repeat),
        cmocka_unit_test(test_bytes_are_even),
        cmocka_unit_test(test_uniform_stays_below),
        cmocka_unit_test(test_fork_does_not_share),
    };
    return cmocka_run_group_tests(tests, s_setup, NULL);
}
