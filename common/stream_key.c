/*  common/stream_key.c - see stream_key.h. */
#include "stream_key.h"

#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SEED_BYTES 32

/*  Writes text to path, created with `mode` (never over an existing file
 *  when exclusive), and fsyncs it. */
static int s_write_file(const char *path, const char *text, mode_t mode, bool exclusive)
{
    int fd = open(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC), mode);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int rc = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
    return close(fd) == 0 ? rc : -1;
}

static int s_read_seed(const char *path, unsigned char seed[S_SEED_BYTES])
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char text[2 * S_SEED_BYTES + 8];
    size_t len = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    size_t bin_len;
    if (len != 2 * S_SEED_BYTES
        || sodium_hex2bin(seed, S_SEED_BYTES, text, len, NULL, &bin_len, NULL) != 0
        || bin_len != S_SEED_BYTES)
        return -1;
    return 0;
}

int stream_sign_key_read(const char *path, stream_sign_key_t *key)
{
    unsigned char seed[S_SEED_BYTES];
    if (access(path, F_OK) != 0) {
        errno = ENOENT;
        return -1;
    }
    if (s_read_seed(path, seed) != 0) {
        errno = EINVAL;
        return -1;
    }
    crypto_sign_seed_keypair(key->public_key, key->secret, seed);
    sodium_memzero(seed, sizeof seed);
    return 0;
}

static int s_create_seed(const char *path, unsigned char seed[S_SEED_BYTES])
{
    char hex[2 * S_SEED_BYTES + 2];
    randombytes_buf(seed, S_SEED_BYTES);
    sodium_bin2hex(hex, sizeof hex - 1, seed, S_SEED_BYTES);
    strcat(hex, "\n");
    int rc = s_write_file(path, hex, 0600, true);
    sodium_memzero(hex, sizeof hex);
    return rc;
}

int stream_sign_key_load_or_create(const char *dir, stream_sign_key_t *key)
{
    if (sodium_init() < 0 || config_mkdirs(dir) != 0) {
        log_error("cannot prepare the key directory %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[CONFIG_PATH_MAX], pub_path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/publication.key", dir);
    snprintf(pub_path, sizeof pub_path, "%s/publication.pub", dir);
    unsigned char seed[S_SEED_BYTES];
    if (access(path, F_OK) != 0) {
        if (s_create_seed(path, seed) != 0 && errno != EEXIST) {
            log_error("cannot create the signing key %s: %s", path, strerror(errno));
            return -1;
        }
        log_info("created the stream signing key %s", path);
    }
    if (s_read_seed(path, seed) != 0) {
        log_error("%s does not hold a signing key (64 hex digits)", path);
        return -1;
    }
    crypto_sign_seed_keypair(key->public_key, key->secret, seed);
    sodium_memzero(seed, sizeof seed);
    char hex[STREAM_SIGN_HEX_MAX + 1];
    stream_sign_public_hex(key->public_key, hex);
    strcat(hex, "\n");
    if (s_write_file(pub_path, hex, 0644, false) != 0) {
        log_error("cannot write the public key %s: %s", pub_path, strerror(errno));
        return -1;
    }
    return 0;
}

/*  Writes the public key as hex to path (0644). */
static int s_write_public(const char *path, const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES])
{
    char hex[STREAM_SIGN_HEX_MAX + 1];
    stream_sign_public_hex(public_key, hex);
    strcat(hex, "\n");
    return s_write_file(path, hex, 0644, false);
}

int stream_sign_key_create_next(const char *dir, unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES])
{
    if (sodium_init() < 0 || config_mkdirs(dir) != 0)
        return -1;
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/publication.next", dir);
    unsigned char seed[S_SEED_BYTES], secret[STREAM_SIGN_SECRET_BYTES];
    if (s_create_seed(path, seed) != 0) {
        int saved = errno;
        if (saved != EEXIST)
            unlink(path);
        sodium_memzero(seed, sizeof seed);
        errno = saved;
        return -1;
    }
    crypto_sign_seed_keypair(public_key, secret, seed);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

/*  Makes the renames of dir durable. */
static int s_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int stream_sign_key_retire(const char *dir, unsigned n)
{
    char key[CONFIG_PATH_MAX], next[CONFIG_PATH_MAX], old[CONFIG_PATH_MAX], old_pub[CONFIG_PATH_MAX],
        pub[CONFIG_PATH_MAX];
    snprintf(key, sizeof key, "%s/publication.key", dir);
    snprintf(next, sizeof next, "%s/publication.next", dir);
    snprintf(old, sizeof old, "%s/publication.key.%u", dir, n);
    snprintf(old_pub, sizeof old_pub, "%s/publication.pub.%u", dir, n);
    snprintf(pub, sizeof pub, "%s/publication.pub", dir);
    stream_sign_key_t retired, adopted;
    if (stream_sign_key_read(next, &adopted) != 0) {
        log_error("cannot read the adopted key %s: %s", next, strerror(errno));
        return -1;
    }
    /* After a crash between the two steps the old key is already kept;
     * any other file of that name is never replaced. */
    stream_sign_key_t current;
    if (access(old, F_OK) == 0 && stream_sign_key_read(key, &current) == 0
        && (stream_sign_key_read(old, &retired) != 0
            || memcmp(current.public_key, retired.public_key, STREAM_SIGN_PUBLIC_BYTES) != 0)) {
        log_error("%s exists and is not the key being retired: nothing moved", old);
        sodium_memzero(&current, sizeof current);
        sodium_memzero(&retired, sizeof retired);
        sodium_memzero(&adopted, sizeof adopted);
        return -1;
    }
    sodium_memzero(&current, sizeof current);
    if (access(old, F_OK) != 0 && link(key, old) != 0) {
        log_error("cannot keep the retired key as %s: %s", old, strerror(errno));
        sodium_memzero(&adopted, sizeof adopted);
        return -1;
    }
    int rc = 0;
    if (stream_sign_key_read(old, &retired) != 0 || s_write_public(old_pub, retired.public_key) != 0
        || s_sync_dir(dir) != 0 || rename(next, key) != 0 || s_sync_dir(dir) != 0
        || s_write_public(pub, adopted.public_key) != 0) {
        log_error("cannot retire the stream key into %s: %s", old, strerror(errno));
        rc = -1;
    }
    sodium_memzero(&retired, sizeof retired);
    sodium_memzero(&adopted, sizeof adopted);
    return rc;
}
