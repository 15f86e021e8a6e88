/*  services/notify/maildir.c - see maildir.h. */
#include "maildir.h"

#include "common/config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int maildir_prepare(const char *root)
{
    static const char *const subs[] = {"tmp", "new", "cur"};
    char path[CONFIG_PATH_MAX];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", root, subs[i]);
        if (config_mkdirs(path) != 0)
            return -1;
    }
    return 0;
}

/*  The host part of a Maildir name: no '/' nor ':' (Maildir's own
 *  separators), nothing a shell would trip on. */
static void s_host(char *out, size_t cap)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    size_t n = 0;
    for (const char *p = host; *p && n + 1 < cap; p++)
        out[n++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                                  || *p == '-' || *p == '.'
                              ? *p
                              : '_');
    out[n] = '\0';
}

static int s_write_all(int fd, const char *data, size_t size)
{
    while (size) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

static int s_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int maildir_deliver(const char *root, const void *key, size_t key_len, const char *data, size_t size)
{
    unsigned char digest[16];
    char hex[33], host[128], name[256], tmp[CONFIG_PATH_MAX + 256], final[CONFIG_PATH_MAX + 256],
        dir[CONFIG_PATH_MAX + 8];
    crypto_generichash(digest, sizeof digest, key, key_len, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    s_host(host, sizeof host);
    snprintf(name, sizeof name, "%s.%s.eml", hex, host);
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", root, name);
    snprintf(final, sizeof final, "%s/new/%s", root, name);
    snprintf(dir, sizeof dir, "%s/new", root);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (s_write_all(fd, data, size) != 0 || fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, final) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return s_sync_dir(dir);
}
