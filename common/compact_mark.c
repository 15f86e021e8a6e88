/*  common/compact_mark.c - see compact_mark.h. */
#include "compact_mark.h"

#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_MARK "compact-pending"

static void s_path(const char *data_dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/" S_MARK, data_dir);
}

/*  The mark's creation or removal reaches the disk with its directory. */
static void s_sync_dir(const char *data_dir)
{
    int fd = open(data_dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

void compact_mark_set(const char *data_dir)
{
    char path[CONFIG_PATH_MAX + 32];
    s_path(data_dir, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    if (fd < 0) {
        log_error("cannot write %s (%s): a crash before the compaction would leave erased bytes in free pages",
                  path, strerror(errno));
        return;
    }
    fsync(fd);
    close(fd);
    s_sync_dir(data_dir);
}

void compact_mark_clear(const char *data_dir)
{
    char path[CONFIG_PATH_MAX + 32];
    s_path(data_dir, path, sizeof path);
    unlink(path);
    s_sync_dir(data_dir);
}

bool compact_mark_present(const char *data_dir)
{
    char path[CONFIG_PATH_MAX + 32];
    s_path(data_dir, path, sizeof path);
    return access(path, F_OK) == 0;
}
