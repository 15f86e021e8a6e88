/*  services/cli/backup_store.h - one service's store in a backup.
 *
 *  The copy is LMDB's own hot backup, mdb_env_copy2 with MDB_CP_COMPACT,
 *  made by this process from a read transaction on the live environment
 *  (LMDB admits readers from other processes beside the service's
 *  writer): a snapshot of what the service had committed when the
 *  transaction began, written without its free pages.  What a backup
 *  tells about a store, its stream's head and its cursors on the streams
 *  it follows, is read back from the copy itself, so the manifest says
 *  what the files hold and not what the service said.
 */
#ifndef ESSP_CLI_BACKUP_STORE_H
#define ESSP_CLI_BACKUP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BACKUP_CURSORS_MAX 8

typedef struct {
    char stream[32];             /* the producer's name ("intake") */
    uint64_t seq;                /* the last of its events applied */
} backup_cursor_t;

typedef struct {
    uint64_t head;               /* the last seq of the service's own stream */
    size_t cursor_count;
    backup_cursor_t cursors[BACKUP_CURSORS_MAX];
    uint64_t bytes;              /* of data.mdb */
} backup_store_t;

/*  Copies the live store in live_dir into copy_dir (created, mode 0700;
 *  data.mdb mode 0600).  When the service replaced its data file while
 *  the copy was made (the compaction after an erasure renames a new file
 *  over it), the copy was of the old file: it is made again.  0, or -1
 *  with why filled. */
int backup_store_copy(const char *live_dir, const char *copy_dir, char *why, size_t cap);

/*  Reads the head and the cursors of the store in dir (a copy: opened
 *  read-only, without a lock file).  0, or -1 with why filled. */
int backup_store_read(const char *dir, backup_store_t *out, char *why, size_t cap);

/*  The cursor on `stream` (false when the store follows no such stream). */
bool backup_store_cursor(const backup_store_t *self, const char *stream, uint64_t *seq);

/*  The size of dir/data.mdb in bytes, 0 when there is none. */
uint64_t backup_store_bytes(const char *dir);

/*  Copies one file, its copy created with `mode` (never wider); 0 or -1
 *  (errno set). */
int backup_copy_file(const char *from, const char *to, unsigned mode);

/*  Copies a directory tree (the keys): directories 0700, files keeping
 *  their mode without any right for group and others.  0 or -1 with why
 *  filled. */
int backup_copy_tree(const char *from, const char *to, char *why, size_t cap);

/*  A file's BLAKE2b (crypto_generichash, 32 bytes) in hex. */
#define BACKUP_DIGEST_HEX 65

/*  The digest of the file at path into hex; 0 or -1 (errno set). */
int backup_file_digest(const char *path, char hex[BACKUP_DIGEST_HEX]);

/*  Calls fn with the path, relative to root, of each regular file under
 *  root ("keys/intake.cert"), until fn returns non-zero, which is
 *  returned (fn says why).  -1 with why filled when a directory cannot be
 *  read. */
typedef int (*backup_file_fn)(const char *rel, void *ctx);
int backup_walk(const char *root, backup_file_fn fn, void *ctx, char *why, size_t cap);

/*  Removes path and everything under it (a directory this process laid
 *  out); symbolic links are removed, never followed.  0 or -1 (errno). */
int backup_remove_tree(const char *path);

/*  True when path is missing or an empty directory. */
bool backup_dir_empty(const char *path);

#endif
