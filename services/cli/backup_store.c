/*  services/cli/backup_store.c - see backup_store.h. */
#include "backup_store.h"

#include "common/config.h"
#include "common/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The shell's databases (common/service_impl.h): the service's own
 * stream, and a cursor per stream it follows. */
#define S_DB_EVENTS  "events"
#define S_DB_CURSORS "cursors"

static int s_fail(char *why, size_t cap, const char *what, const char *path, int rc)
{
    snprintf(why, cap, "%s %s: %s", what, path, rc > 0 || rc < -1 ? mdb_strerror(rc) : strerror(errno));
    return -1;
}

/*  Opens the environment in dir: read-only; `lock` false for a copy,
 *  which has no lock file and no writer. */
static int s_open(const char *dir, bool lock, MDB_env **env)
{
    int rc = mdb_env_create(env);
    if (rc)
        return rc;
    /* Map size 0: LMDB takes the size the writer recorded in the file. */
    rc = mdb_env_set_maxdbs(*env, STORE_DBS_MAX);
    if (!rc)
        rc = mdb_env_open(*env, dir, MDB_RDONLY | MDB_NOTLS | (lock ? 0 : MDB_NOLOCK), 0600);
    if (rc) {
        mdb_env_close(*env);
        *env = NULL;
    }
    return rc;
}

uint64_t backup_store_bytes(const char *dir)
{
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/*  True when the data file the environment has open is still the one at
 *  dir/data.mdb. */
static bool s_same_file(MDB_env *env, const char *dir)
{
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    mdb_filehandle_t fd;
    struct stat open_st, path_st;
    return mdb_env_get_fd(env, &fd) == 0 && fstat(fd, &open_st) == 0 && stat(path, &path_st) == 0
           && open_st.st_ino == path_st.st_ino && open_st.st_dev == path_st.st_dev;
}

int backup_store_copy(const char *live_dir, const char *copy_dir, char *why, size_t cap)
{
    if (config_mkdirs(copy_dir))
        return s_fail(why, cap, "cannot create", copy_dir, -1);
    char copy[CONFIG_PATH_MAX];
    snprintf(copy, sizeof copy, "%s/data.mdb", copy_dir);
    /* A compaction renames a new data file over the old one: a copy that
     * began before it would miss what was committed after.  Rare (an
     * erasure), so a few attempts always do. */
    for (int attempt = 0; attempt < 5; attempt++) {
        MDB_env *env = NULL;
        int rc = s_open(live_dir, true, &env);
        if (rc)
            return s_fail(why, cap, "cannot open the store", live_dir, rc);
        unlink(copy);
        rc = mdb_env_copy2(env, copy_dir, MDB_CP_COMPACT);
        bool same = rc == 0 && s_same_file(env, live_dir);
        mdb_env_close(env);
        if (rc)
            return s_fail(why, cap, "cannot copy the store", live_dir, rc);
        if (same)
            return chmod(copy, 0600) == 0 ? 0 : s_fail(why, cap, "cannot protect", copy, -1);
    }
    snprintf(why, cap, "the store %s was replaced during each of 5 copies", live_dir);
    return -1;
}

static int s_read_head(MDB_txn *txn, backup_store_t *out)
{
    MDB_dbi dbi;
    int rc = mdb_dbi_open(txn, S_DB_EVENTS, 0, &dbi);
    if (rc == MDB_NOTFOUND)
        return 0;   /* never appended: head 0 */
    MDB_cursor *cursor;
    if (rc || (rc = mdb_cursor_open(txn, dbi, &cursor)))
        return rc;
    MDB_val key, value;
    rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST);
    if (rc == 0 && key.mv_size == 8)
        out->head = store_u64_from_key(key.mv_data);
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_read_cursors(MDB_txn *txn, backup_store_t *out)
{
    MDB_dbi dbi;
    int rc = mdb_dbi_open(txn, S_DB_CURSORS, 0, &dbi);
    if (rc == MDB_NOTFOUND)
        return 0;
    MDB_cursor *cursor;
    if (rc || (rc = mdb_cursor_open(txn, dbi, &cursor)))
        return rc;
    MDB_val key, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        /* The cursor, then the fingerprint of its event (common/stream_mark.h),
         * absent from the stores of earlier versions. */
        if (out->cursor_count == BACKUP_CURSORS_MAX || value.mv_size < 8
            || key.mv_size >= sizeof out->cursors[0].stream) {
            rc = MDB_CORRUPTED;
            break;
        }
        backup_cursor_t *c = &out->cursors[out->cursor_count++];
        memcpy(c->stream, key.mv_data, key.mv_size);
        c->stream[key.mv_size] = '\0';
        c->seq = store_u64_from_key(value.mv_data);
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  True when the pages the meta page counts are all in the file.  LMDB
 *  maps the file and trusts its meta page: a page past the end of a file
 *  cut short is a SIGBUS when read, not an error. */
static bool s_pages_in_file(MDB_env *env, uint64_t bytes, char *why, size_t cap, const char *dir)
{
    MDB_envinfo info;
    MDB_stat stat;
    if (mdb_env_info(env, &info) || mdb_env_stat(env, &stat))
        return s_fail(why, cap, "cannot read the copy", dir, MDB_CORRUPTED), false;
    uint64_t end = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
    if (end <= bytes)
        return true;
    snprintf(why, cap, "%s/data.mdb is cut short: its pages run to byte %llu but it holds %llu bytes", dir,
             (unsigned long long)end, (unsigned long long)bytes);
    return false;
}

int backup_store_read(const char *dir, backup_store_t *out, char *why, size_t cap)
{
    *out = (backup_store_t){.bytes = backup_store_bytes(dir)};
    MDB_env *env = NULL;
    int rc = s_open(dir, false, &env);
    if (rc)
        return s_fail(why, cap, "cannot open the copy", dir, rc);
    if (!s_pages_in_file(env, out->bytes, why, cap, dir)) {
        mdb_env_close(env);
        return -1;
    }
    MDB_txn *txn;
    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (!rc) {
        rc = s_read_head(txn, out);
        if (!rc)
            rc = s_read_cursors(txn, out);
        mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    return rc ? s_fail(why, cap, "cannot read the copy", dir, rc) : 0;
}

bool backup_store_cursor(const backup_store_t *self, const char *stream, uint64_t *seq)
{
    for (size_t i = 0; i < self->cursor_count; i++)
        if (strcmp(self->cursors[i].stream, stream) == 0) {
            *seq = self->cursors[i].seq;
            return true;
        }
    return false;
}

int backup_copy_file(const char *from, const char *to, unsigned mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0700);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 || write(out, buf, (size_t)n) != n)
            rc = -1;
    }
    /* A backup is worth something only once it is on disk. */
    if (rc == 0 && fsync(out) != 0)
        rc = -1;
    close(in);
    if (close(out) != 0)
        rc = -1;
    return rc;
}

int backup_file_digest(const char *path, char hex[BACKUP_DIGEST_HEX])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    crypto_generichash_state state;
    unsigned char digest[crypto_generichash_BYTES];
    crypto_generichash_init(&state, NULL, 0, sizeof digest);
    unsigned char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        crypto_generichash_update(&state, buf, (unsigned long long)n);
    int saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    crypto_generichash_final(&state, digest, sizeof digest);
    sodium_bin2hex(hex, BACKUP_DIGEST_HEX, digest, sizeof digest);
    return 0;
}

/*  Called for each directory (before what it holds) and each regular
 *  file under the root of a walk, with its path relative to the root and
 *  what lstat said of it; non-zero stops the walk and is returned. */
typedef int (*s_visit_fn)(const char *rel, const struct stat *st, void *ctx);

/*  The walk under root/rel (rel "" for root itself). */
static int s_walk(const char *root, const char *rel, s_visit_fn visit, void *ctx, char *why, size_t cap)
{
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *dir = opendir(path);
    if (!dir)
        return s_fail(why, cap, "cannot read", path, -1);
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir(dir))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char sub[CONFIG_PATH_MAX], full[2 * CONFIG_PATH_MAX];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", entry->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0)
            rc = s_fail(why, cap, "cannot read", full, -1);
        else if (S_ISDIR(st.st_mode) && (rc = visit(sub, &st, ctx)) == 0)
            rc = s_walk(root, sub, visit, ctx, why, cap);
        else if (S_ISREG(st.st_mode))
            rc = visit(sub, &st, ctx);
    }
    closedir(dir);
    return rc;
}

typedef struct {
    backup_file_fn fn;
    void *ctx;
} s_files_t;

static int s_file_only(const char *rel, const struct stat *st, void *ctx)
{
    const s_files_t *files = ctx;
    return S_ISREG(st->st_mode) ? files->fn(rel, files->ctx) : 0;
}

int backup_walk(const char *root, backup_file_fn fn, void *ctx, char *why, size_t cap)
{
    if (cap)
        why[0] = '\0';
    s_files_t files = {fn, ctx};
    return s_walk(root, "", s_file_only, &files, why, cap);
}

typedef struct {
    const char *from, *to;
    char *why;
    size_t cap;
} s_copy_t;

/*  One directory made, or one file copied, under the copy's root. */
static int s_copy_one(const char *rel, const struct stat *st, void *ctx)
{
    const s_copy_t *copy = ctx;
    char src[2 * CONFIG_PATH_MAX], dst[2 * CONFIG_PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", copy->from, rel);
    snprintf(dst, sizeof dst, "%s/%s", copy->to, rel);
    if (S_ISDIR(st->st_mode))
        return mkdir(dst, 0700) != 0 && errno != EEXIST ? s_fail(copy->why, copy->cap, "cannot create", dst, -1) : 0;
    return backup_copy_file(src, dst, st->st_mode & 0700) != 0 ? s_fail(copy->why, copy->cap, "cannot copy", src, -1)
                                                               : 0;
}

int backup_copy_tree(const char *from, const char *to, char *why, size_t cap)
{
    if (mkdir(to, 0700) != 0 && errno != EEXIST)
        return s_fail(why, cap, "cannot create", to, -1);
    s_copy_t copy = {from, to, why, cap};
    return s_walk(from, "", s_copy_one, &copy, why, cap);
}

int backup_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    int rc = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char sub[2 * CONFIG_PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", path, entry->d_name);
        if (backup_remove_tree(sub) != 0)
            rc = -1;
    }
    closedir(dir);
    return rc == 0 ? rmdir(path) : rc;
}

bool backup_dir_empty(const char *path)
{
    DIR *dir = opendir(path);
    if (!dir)
        return errno == ENOENT;
    bool empty = true;
    struct dirent *entry;
    while (empty && (entry = readdir(dir)))
        empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0;
    closedir(dir);
    return empty;
}
