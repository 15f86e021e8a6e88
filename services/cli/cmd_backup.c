/*  services/cli/cmd_backup.c - essp backup DIR, essp restore DIR.
 *
 *  A backup holds every service's store (a compacted LMDB copy, see
 *  backup_store.h), the keys, the settings and manifest.json (the time,
 *  each stream's head, each cursor, what each copy took).
 *
 *  Why the copies are consistent.  A service's store is a snapshot of
 *  what it had committed when its copy began; call that time t(X).  A
 *  restored consumer C of a producer P is correct only if C's cursor on P
 *  in C's copy is at most P's head in P's copy: otherwise C has applied
 *  events that the restored P no longer has, and P would number its next,
 *  different, events with the same seqs.  Heads only grow, and a cursor
 *  never passes its producer's head (an event is applied only once it is
 *  committed by its producer), so
 *      cursor_C(t(C)) <= head_P(t(C)) <= head_P(t(P))   whenever t(C) <= t(P):
 *  copying every consumer before its producer is enough.  The streams
 *  form a cycle (validation follows intake, review follows validation,
 *  publication follows review, intake follows validation, review and
 *  publication), so no order puts every consumer first; one edge of the
 *  cycle is cut by freezing a cursor instead.  Intake's cursors are
 *  frozen: before anything is copied, intake is asked to take no more
 *  upstream batches (backup_hold; it still answers every request, so
 *  nobody waits), at t0.  Then
 *      notify, desk, publication, review, validation, intake
 *  are copied in that order, and intake released.  Every edge holds:
 *    notify (follows intake, validation, review, publication) and the
 *    desk (which keeps no cursor) come first: t(notify) < t(P) for all P;
 *    publication -> review, review -> validation, validation -> intake:
 *    consumer before producer;
 *    intake's cursors on validation, review and publication are those of
 *    t0, before any of them was copied: cursor_I = cursor_I(t0) <=
 *    head_P(t0) <= head_P(t(P)).
 *  The hold is checked rather than trusted: intake's cursors in its copy
 *  must be the ones it held at t0 (a restart of intake during the backup
 *  would have lost the hold), and every cursor of the finished backup is
 *  compared with its producer's head; a backup that fails either check
 *  gets no manifest, and restore refuses a directory without one.
 */
#include "backup_store.h"
#include "commands.h"

#include "common/config.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef ESSP_VERSION
#define ESSP_VERSION "unknown"
#endif

#define S_FORMAT 1
#define S_HOLD_MS 60000          /* a dead backup frees intake's streams after this */

/* Consumers before their producers (see above); intake last. */
static const service_id_t s_order[] = {SERVICE_NOTIFY, SERVICE_DESK, SERVICE_PUBLICATION,
                                       SERVICE_REVIEW, SERVICE_VALIDATION, SERVICE_INTAKE};
#define S_SERVICES (sizeof s_order / sizeof *s_order)

typedef struct {
    bool present;                /* deployed in this home (a data.mdb) */
    backup_store_t copy;
    uint64_t live_bytes;
    double copy_ms;
} s_copied_t;

static double s_ms_since(int64_t start_us)
{
    return (double)(zclock_usecs() - start_us) / 1000.0;
}

/*  backup_hold to intake: ms 0 releases.  Fills held (when not NULL) with
 *  the cursors intake holds. */
static int s_hold(uint64_t ms, backup_store_t *held)
{
    request_t r;
    request_init(&r, "backup_hold", 1);
    proto_pack_kv_uint(&r.pk, "ms", ms);
    reply_t reply;
    int rc = client_call(SERVICE_INTAKE, &r.buf, 0, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    if (rc != EXIT_OK) {
        reply_release(&reply);   /* a refusal holds its frame */
        return rc;
    }
    const msgpack_object *cursors = doc_get(&reply.msg, "cursors");
    if (held && cursors && cursors->type == MSGPACK_OBJECT_MAP) {
        *held = (backup_store_t){0};
        for (uint32_t i = 0; i < cursors->via.map.size && i < BACKUP_CURSORS_MAX; i++) {
            const msgpack_object_kv *kv = &cursors->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                continue;
            backup_cursor_t *c = &held->cursors[held->cursor_count++];
            snprintf(c->stream, sizeof c->stream, "%.*s", (int)kv->key.via.str.size, kv->key.via.str.ptr);
            c->seq = kv->val.via.u64;
        }
    }
    reply_release(&reply);
    return EXIT_OK;
}

static void s_live_dir(service_id_t service, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/%s", config_home(), config_service_name(service));
}

/*  True when every cursor of a is the same in b (a cursor not stored yet,
 *  on a stream never applied from, is 0). */
static bool s_cursors_in(const backup_store_t *a, const backup_store_t *b)
{
    for (size_t c = 0; c < a->cursor_count; c++) {
        uint64_t seq = 0;
        backup_store_cursor(b, a->cursors[c].stream, &seq);
        if (seq != a->cursors[c].seq)
            return false;
    }
    return true;
}

/*  Intake's cursors are the ones it held at the start. */
static bool s_same_cursors(const backup_store_t *a, const backup_store_t *b)
{
    return s_cursors_in(a, b) && s_cursors_in(b, a);
}

/*  Copies each deployed service's store, in s_order.  Before each copy
 *  the hold is renewed (a large store may take long) and its cursors
 *  compared with those held at the start: a restart of intake loses its
 *  hold, and the backup stops there. */
static int s_copy_stores(const char *dir, const backup_store_t *held, s_copied_t *copied)
{
    for (size_t i = 0; i < S_SERVICES; i++) {
        backup_store_t still;
        int rc = s_hold(S_HOLD_MS, &still);
        if (rc != EXIT_OK || !s_same_cursors(held, &still)) {
            fprintf(stderr, "essp backup: intake %s during the backup: run essp backup again\n",
                    rc != EXIT_OK ? "stopped answering" : "lost its hold (restarted?) and read its streams");
            return rc != EXIT_OK ? rc : EXIT_REFUSED;
        }
        const char *name = config_service_name(s_order[i]);
        char live[CONFIG_PATH_MAX], copy[CONFIG_PATH_MAX], why[CONFIG_PATH_MAX + 128];
        s_live_dir(s_order[i], live, sizeof live);
        snprintf(copy, sizeof copy, "%s/%s", dir, name);
        copied[i].live_bytes = backup_store_bytes(live);
        if (!copied[i].live_bytes)
            continue;   /* not deployed here (the desk and notify are optional) */
        int64_t start = zclock_usecs();
        if (backup_store_copy(live, copy, why, sizeof why) || backup_store_read(copy, &copied[i].copy, why, sizeof why)) {
            fprintf(stderr, "essp backup: %s\n", why);
            return EXIT_REFUSED;
        }
        copied[i].copy_ms = s_ms_since(start);
        copied[i].present = true;
    }
    return EXIT_OK;
}

static const s_copied_t *s_find(const s_copied_t *copied, const char *name)
{
    for (size_t i = 0; i < S_SERVICES; i++)
        if (copied[i].present && strcmp(config_service_name(s_order[i]), name) == 0)
            return &copied[i];
    return NULL;
}

/*  Every cursor at most its producer's head; "" or the first breach. */
static bool s_consistent(const s_copied_t *copied, char *why, size_t cap)
{
    for (size_t i = 0; i < S_SERVICES; i++) {
        for (size_t c = 0; copied[i].present && c < copied[i].copy.cursor_count; c++) {
            const backup_cursor_t *cursor = &copied[i].copy.cursors[c];
            const s_copied_t *producer = s_find(copied, cursor->stream);
            if (!producer || cursor->seq > producer->copy.head) {
                snprintf(why, cap, "%s has applied %s's stream up to seq %llu but %s's copy ends at %llu",
                         config_service_name(s_order[i]), cursor->stream, (unsigned long long)cursor->seq,
                         cursor->stream, (unsigned long long)(producer ? producer->copy.head : 0));
                return false;
            }
        }
    }
    return true;
}

static void s_iso_now(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct {
    const char *dir;             /* the backup */
    json_t *files;               /* its files' digests, by path under dir */
} s_files_t;

static int s_add_digest(const char *rel, void *arg)
{
    s_files_t *files = arg;
    char path[CONFIG_PATH_MAX], hex[BACKUP_DIGEST_HEX];
    snprintf(path, sizeof path, "%s/%s", files->dir, rel);
    if (backup_file_digest(path, hex) != 0) {
        fprintf(stderr, "essp backup: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    json_object_set_new(files->files, rel, json_string(hex));
    return 0;
}

/*  The digest of every file written into dir, for restore to find a copy
 *  damaged since (a flipped byte in a page LMDB opens without complaint
 *  loses applications).  NULL after saying why. */
static json_t *s_digests(const char *dir)
{
    s_files_t files = {dir, json_object()};
    char why[CONFIG_PATH_MAX + 64];
    int rc = backup_walk(dir, s_add_digest, &files, why, sizeof why);
    if (rc != 0) {
        if (why[0])
            fprintf(stderr, "essp backup: %s\n", why);
        json_decref(files.files);
        return NULL;
    }
    return files.files;
}

static json_t *s_manifest(const s_copied_t *copied, double hold_ms, json_t *files)
{
    char when[32];
    s_iso_now(when, sizeof when);
    json_t *services = json_object();
    for (size_t i = 0; i < S_SERVICES; i++) {
        if (!copied[i].present)
            continue;
        json_t *cursors = json_object();
        for (size_t c = 0; c < copied[i].copy.cursor_count; c++)
            json_object_set_new(cursors, copied[i].copy.cursors[c].stream,
                                json_integer((json_int_t)copied[i].copy.cursors[c].seq));
        json_object_set_new(services, config_service_name(s_order[i]),
                            json_pack("{s:I, s:o, s:I, s:I, s:f}", "head", (json_int_t)copied[i].copy.head,
                                      "cursors", cursors, "bytes", (json_int_t)copied[i].copy.bytes,
                                      "live_bytes", (json_int_t)copied[i].live_bytes, "copy_ms",
                                      copied[i].copy_ms));
    }
    return json_pack("{s:i, s:s, s:s, s:f, s:o, s:o}", "format", S_FORMAT, "version", ESSP_VERSION, "time", when,
                     "hold_ms", hold_ms, "services", services, "files", files);
}

/*  What deploy/up leaves in the home besides the stores: the demo loaded
 *  once (a restored home must not get it a second time) and the demo's
 *  desk accounts. */
static const char *const s_home_files[] = {"demo.loaded", "demo-accounts.txt", NULL};

/*  Copies the home's files of s_home_files that exist from `from` to `to`
 *  (two homes, or a home and a backup).  0, or -1 after saying why. */
static int s_copy_home_files(const char *from, const char *to, const char *who)
{
    for (const char *const *f = s_home_files; *f; f++) {
        char src[CONFIG_PATH_MAX], dst[CONFIG_PATH_MAX];
        snprintf(src, sizeof src, "%s/%s", from, *f);
        snprintf(dst, sizeof dst, "%s/%s", to, *f);
        if (access(src, F_OK) == 0 && backup_copy_file(src, dst, 0600) != 0) {
            fprintf(stderr, "essp %s: cannot copy %s: %s\n", who, src, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/*  The keys and the settings beside the stores. */
static int s_copy_rest(const char *dir, const char *env_file)
{
    char from[CONFIG_PATH_MAX], to[CONFIG_PATH_MAX], why[2 * CONFIG_PATH_MAX];
    config_path("keys", from, sizeof from);
    snprintf(to, sizeof to, "%s/keys", dir);
    if (backup_copy_tree(from, to, why, sizeof why)) {
        fprintf(stderr, "essp backup: %s\n", why);
        return EXIT_REFUSED;
    }
    config_file_path(from, sizeof from);
    snprintf(to, sizeof to, "%s/essp.conf", dir);
    if (access(from, F_OK) == 0 && backup_copy_file(from, to, 0600)) {
        fprintf(stderr, "essp backup: cannot copy the settings %s: %s\n", from, strerror(errno));
        return EXIT_REFUSED;
    }
    if (s_copy_home_files(config_home(), dir, "backup"))
        return EXIT_REFUSED;
    snprintf(to, sizeof to, "%s/essp.env", dir);
    if (env_file && backup_copy_file(env_file, to, 0600)) {
        fprintf(stderr, "essp backup: cannot copy the environment file %s: %s\n", env_file, strerror(errno));
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/*  The stores, under intake's hold; hold_ms gets how long it lasted. */
static int s_backup_stores(const char *dir, s_copied_t *copied, double *hold_ms)
{
    backup_store_t held;
    int rc = s_hold(S_HOLD_MS, &held);
    if (rc != EXIT_OK) {
        fprintf(stderr, "essp backup: intake did not hold its streams: nothing was copied\n");
        return rc;
    }
    int64_t start = zclock_usecs();
    rc = s_copy_stores(dir, &held, copied);
    int released = s_hold(0, NULL);
    *hold_ms = s_ms_since(start);
    if (released != EXIT_OK)
        fprintf(stderr, "essp backup: intake did not answer the release; its hold ends by itself within %d s\n",
                S_HOLD_MS / 1000);
    if (rc != EXIT_OK)
        return rc;
    char why[512];
    const s_copied_t *intake = s_find(copied, "intake");
    if (!intake || !s_same_cursors(&held, &intake->copy)) {
        fprintf(stderr, "essp backup: intake's copy does not hold the cursors it held (%s): "
                        "this copy is not consistent, run essp backup again\n",
                intake ? "it read its streams during the backup" : "no store of intake here");
        return EXIT_REFUSED;
    }
    /* Intake's hold was kept, so by the argument above the copies are
     * consistent unless the live stack itself has a cursor past its
     * producer's head: a rewind, which every new backup would copy too. */
    if (!s_consistent(copied, why, sizeof why)) {
        fprintf(stderr, "essp backup: the stack is in a rewound state: %s. No backup of it can be consistent "
                        "until the rewind is repaired (README « A rewind is refused », and the REWIND DETECTED "
                        "error in that reader's log): put back that producer's newer store, or restore the whole "
                        "stack from one backup; then back it up\n", why);
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/*  One JSON line per store copied, then one for the whole backup. */
static void s_print(const char *dir, const s_copied_t *copied, double hold_ms)
{
    json_int_t live = 0, copy = 0;
    for (size_t i = 0; i < S_SERVICES; i++) {
        if (!copied[i].present)
            continue;
        live += (json_int_t)copied[i].live_bytes;
        copy += (json_int_t)copied[i].copy.bytes;
        json_t *line = json_pack("{s:s, s:I, s:I, s:I, s:f}", "service", config_service_name(s_order[i]), "head",
                                 (json_int_t)copied[i].copy.head, "bytes", (json_int_t)copied[i].copy.bytes,
                                 "live_bytes", (json_int_t)copied[i].live_bytes, "copy_ms", copied[i].copy_ms);
        json_dumpf(line, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(line);
    }
    json_t *line = json_pack("{s:s, s:f, s:I, s:I}", "backup", dir, "hold_ms", hold_ms, "bytes", copy,
                             "live_bytes", live);
    json_dumpf(line, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(line);
}

int cmd_backup(const args_t *args)
{
    const char *dir = args->pos[0];
    if (!backup_dir_empty(dir)) {
        fprintf(stderr, "essp backup: %s is not empty: give a new directory (a backup never overwrites another)\n",
                dir);
        return EXIT_REFUSED;
    }
    if (config_mkdirs(dir) || chmod(dir, 0700)) {
        fprintf(stderr, "essp backup: cannot create %s: %s\n", dir, strerror(errno));
        return EXIT_REFUSED;
    }
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    s_copied_t copied[S_SERVICES] = {{0}};
    double hold_ms = 0;
    rc = s_backup_stores(dir, copied, &hold_ms);
    if (rc == EXIT_OK)
        rc = s_copy_rest(dir, args_value(args, "env"));
    json_t *files = rc == EXIT_OK ? s_digests(dir) : NULL;
    if (rc == EXIT_OK && !files)
        rc = EXIT_REFUSED;
    if (rc != EXIT_OK) {
        fprintf(stderr, "essp backup: %s holds an unfinished backup (no manifest.json): remove it\n", dir);
        return rc;
    }
    /* The manifest last: a directory without one is no backup. */
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_t *manifest = s_manifest(copied, hold_ms, files);
    if (json_dump_file(manifest, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || chmod(path, 0600) != 0) {
        fprintf(stderr, "essp backup: cannot write %s\n", path);
        rc = EXIT_REFUSED;
    }
    json_decref(manifest);
    if (rc == EXIT_OK)
        s_print(dir, copied, hold_ms);
    return rc;
}

/* ---------------------------------------------------------------- restore */

/*  True when the manifest's entry says what the copy holds. */
static bool s_matches(json_t *entry, const backup_store_t *copy)
{
    json_t *cursors = json_object_get(entry, "cursors");
    if (!json_is_integer(json_object_get(entry, "head"))
        || json_integer_value(json_object_get(entry, "head")) != (json_int_t)copy->head
        || json_object_size(cursors) != copy->cursor_count)
        return false;
    for (size_t c = 0; c < copy->cursor_count; c++) {
        json_t *seq = json_object_get(cursors, copy->cursors[c].stream);
        if (!json_is_integer(seq) || json_integer_value(seq) != (json_int_t)copy->cursors[c].seq)
            return false;
    }
    return true;
}

/*  True when copy/data.mdb has the size the manifest gives: a copy cut
 *  short is refused here, before LMDB maps it. */
static bool s_same_size(const char *copy, json_t *entry)
{
    json_t *bytes = json_object_get(entry, "bytes");
    uint64_t size = backup_store_bytes(copy);
    if (json_is_integer(bytes) && json_integer_value(bytes) == (json_int_t)size)
        return true;
    if (json_is_integer(bytes))
        fprintf(stderr, "essp restore: %s/data.mdb holds %llu bytes but manifest.json says %lld: the copy is cut "
                        "short or not the one of this backup\n", copy, (unsigned long long)size,
                (long long)json_integer_value(bytes));
    else
        fprintf(stderr, "essp restore: manifest.json gives no size (bytes) of %s/data.mdb\n", copy);
    return false;
}

static int s_check_format(const char *dir, json_t *manifest)
{
    json_int_t format = json_integer_value(json_object_get(manifest, "format"));
    if (format > S_FORMAT) {
        const char *version = json_string_value(json_object_get(manifest, "version"));
        fprintf(stderr, "essp restore: %s/manifest.json is of format %lld, written by a newer essp (%s); this essp "
                        "(%s) reads format %d: restore it with that essp or a later one\n", dir, (long long)format,
                version ? version : "version unknown", ESSP_VERSION, S_FORMAT);
        return EXIT_REFUSED;
    }
    if (json_integer_value(json_object_get(manifest, "format")) != S_FORMAT
        || !json_is_string(json_object_get(manifest, "time")) || !json_is_object(json_object_get(manifest, "services"))) {
        fprintf(stderr, "essp restore: %s/manifest.json is not a manifest of format %d (format, time, services)\n",
                dir, S_FORMAT);
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/*  The index in s_order of the service called name, S_SERVICES when none. */
static size_t s_index(const char *name)
{
    size_t i = 0;
    while (i < S_SERVICES && strcmp(config_service_name(s_order[i]), name) != 0)
        i++;
    return i;
}

/*  Every service the manifest lists is known and its copy has the size
 *  the manifest gives. */
static int s_check_sizes(const char *dir, json_t *services)
{
    const char *name;
    json_t *entry;
    json_object_foreach(services, name, entry) {
        char copy[CONFIG_PATH_MAX];
        snprintf(copy, sizeof copy, "%s/%s", dir, name);
        if (s_index(name) == S_SERVICES) {
            fprintf(stderr, "essp restore: the manifest names an unknown service '%s'\n", name);
            return EXIT_REFUSED;
        }
        if (!s_same_size(copy, entry))
            return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/*  The digests of a backup, against the files under its directory. */
static int s_check_listed(const char *rel, void *arg)
{
    const s_files_t *files = arg;
    if (strcmp(rel, "manifest.json") == 0 || json_object_get(files->files, rel))
        return 0;
    fprintf(stderr, "essp restore: %s/%s is not listed in manifest.json: not a file of this backup "
                    "(remove it, or restore another backup)\n", files->dir, rel);
    return -1;
}

static int s_check_digest(const char *dir, const char *rel, json_t *digest)
{
    char path[CONFIG_PATH_MAX], hex[BACKUP_DIGEST_HEX];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (!json_is_string(digest) || strstr(rel, "..")) {
        fprintf(stderr, "essp restore: %s/manifest.json: the digest of '%s' is malformed\n", dir, rel);
        return EXIT_REFUSED;
    }
    if (backup_file_digest(path, hex) != 0) {
        fprintf(stderr, "essp restore: cannot read %s, which manifest.json lists: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    if (strcmp(hex, json_string_value(digest)) != 0) {
        fprintf(stderr, "essp restore: %s does not match its BLAKE2b digest in manifest.json: the file is damaged; "
                        "restore another backup\n", path);
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/*  Every file of the backup is the one that was written: each listed file
 *  has its digest, and no file is there that the manifest does not list
 *  (the keys are laid out whole).  A backup made before the digests is
 *  restored as it is, and says so. */
static int s_check_files(const char *dir, json_t *manifest)
{
    json_t *digests = json_object_get(manifest, "files");
    if (!digests) {
        fprintf(stderr, "essp restore: %s/manifest.json holds no digests (a backup made by an earlier essp): its "
                        "files could not be verified\n", dir);
        return EXIT_OK;
    }
    if (!json_is_object(digests)) {
        fprintf(stderr, "essp restore: %s/manifest.json: files is not an object\n", dir);
        return EXIT_REFUSED;
    }
    const char *rel;
    json_t *digest;
    json_object_foreach(digests, rel, digest) {
        if (s_check_digest(dir, rel, digest) != EXIT_OK)
            return EXIT_REFUSED;
    }
    s_files_t files = {dir, digests};
    char why[CONFIG_PATH_MAX + 64];
    if (backup_walk(dir, s_check_listed, &files, why, sizeof why) != 0) {
        if (why[0])
            fprintf(stderr, "essp restore: %s\n", why);
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/*  Reads every copy the manifest lists and checks it against the
 *  manifest. */
static int s_read_copies(const char *dir, json_t *services, s_copied_t *copied)
{
    const char *name;
    json_t *entry;
    json_object_foreach(services, name, entry) {
        size_t i = s_index(name);
        char copy[CONFIG_PATH_MAX], why[CONFIG_PATH_MAX + 128];
        snprintf(copy, sizeof copy, "%s/%s", dir, name);
        if (backup_store_read(copy, &copied[i].copy, why, sizeof why)) {
            fprintf(stderr, "essp restore: %s\n", why);
            return EXIT_REFUSED;
        }
        if (!s_matches(entry, &copied[i].copy)) {
            fprintf(stderr, "essp restore: %s/data.mdb does not hold the head and cursors manifest.json gives "
                            "for %s: not the files of this backup\n", copy, name);
            return EXIT_REFUSED;
        }
        copied[i].present = true;
    }
    return EXIT_OK;
}

/*  The rule of the cursors, across the copies read. */
static int s_check_cursors(const s_copied_t *copied)
{
    if (!s_find(copied, "intake")) {
        fprintf(stderr, "essp restore: the backup holds no copy of intake\n");
        return EXIT_REFUSED;
    }
    char why[512];
    if (!s_consistent(copied, why, sizeof why)) {
        fprintf(stderr, "essp restore: refused: %s (a restored stack would lose or mix up events)\n", why);
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/*  The backup holds the keys: without them the services started on the
 *  home would make new ones, and nobody's key would be admitted. */
static int s_check_keys(const char *dir)
{
    char keys[CONFIG_PATH_MAX];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    struct stat st;
    if (stat(keys, &st) == 0 && S_ISDIR(st.st_mode))
        return EXIT_OK;
    fprintf(stderr, "essp restore: %s is missing or not a directory: a backup without its keys cannot be restored\n",
            keys);
    return EXIT_REFUSED;
}

/*  Everything is checked before anything is laid out, and the files
 *  before LMDB opens any of them: the sizes (a copy cut short), the
 *  digests (a copy damaged), then the copies read against the manifest
 *  and the rule of the cursors. */
static int s_check_backup(const char *dir, json_t *manifest, s_copied_t *copied)
{
    json_t *services = json_object_get(manifest, "services");
    int rc = s_check_format(dir, manifest);
    if (rc == EXIT_OK)
        rc = s_check_sizes(dir, services);
    if (rc == EXIT_OK)
        rc = s_check_files(dir, manifest);
    if (rc == EXIT_OK)
        rc = s_read_copies(dir, services, copied);
    if (rc == EXIT_OK)
        rc = s_check_cursors(copied);
    if (rc == EXIT_OK)
        rc = s_check_keys(dir);
    return rc;
}

/*  Lays the backup out in `into` (the staging directory): data/<service>/
 *  data.mdb, keys/, essp.conf, the home's files, log/. */
static int s_lay_out(const char *dir, const s_copied_t *copied, const char *into)
{
    char from[CONFIG_PATH_MAX], to[2 * CONFIG_PATH_MAX], why[3 * CONFIG_PATH_MAX];
    for (size_t i = 0; i < S_SERVICES; i++) {
        if (!copied[i].present)
            continue;
        const char *name = config_service_name(s_order[i]);
        snprintf(from, sizeof from, "%s/%s/data.mdb", dir, name);
        snprintf(to, sizeof to, "%s/data/%s", into, name);
        if (config_mkdirs(to) != 0)
            return fprintf(stderr, "essp restore: cannot create %s: %s\n", to, strerror(errno)), EXIT_REFUSED;
        snprintf(to + strlen(to), sizeof to - strlen(to), "/data.mdb");
        if (backup_copy_file(from, to, 0600) != 0)
            return fprintf(stderr, "essp restore: cannot copy %s: %s\n", from, strerror(errno)), EXIT_REFUSED;
    }
    snprintf(from, sizeof from, "%s/keys", dir);
    snprintf(to, sizeof to, "%s/keys", into);
    if (backup_copy_tree(from, to, why, sizeof why) != 0)
        return fprintf(stderr, "essp restore: %s\n", why), EXIT_REFUSED;
    snprintf(from, sizeof from, "%s/essp.conf", dir);
    snprintf(to, sizeof to, "%s/essp.conf", into);
    if (access(from, F_OK) == 0 && backup_copy_file(from, to, 0600) != 0)
        return fprintf(stderr, "essp restore: cannot copy %s: %s\n", from, strerror(errno)), EXIT_REFUSED;
    if (s_copy_home_files(dir, into, "restore"))
        return EXIT_REFUSED;
    snprintf(to, sizeof to, "%s/log", into);
    if (mkdir(to, 0700) != 0)
        return fprintf(stderr, "essp restore: cannot create %s: %s\n", to, strerror(errno)), EXIT_REFUSED;
    return EXIT_OK;
}

#define S_STAGING ".essp-restore"   /* in the home, while restore lays the backup out */
#define S_ENTRIES_MAX 16            /* what a home holds at its top: data, keys, log... */

/*  The names in dir (the staging directory's top), up to S_ENTRIES_MAX. */
static int s_names(const char *dir, char names[][256], size_t *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *entry;
    *count = 0;
    int rc = 0;
    while (rc == 0 && (entry = readdir(d))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (*count == S_ENTRIES_MAX) {
            errno = E2BIG;
            rc = -1;
        } else {
            snprintf(names[(*count)++], 256, "%s", entry->d_name);
        }
    }
    closedir(d);
    return rc;
}

static void s_rename_in(const char *from_dir, const char *to_dir, const char *name, char *from, char *to,
                        size_t cap)
{
    snprintf(from, cap, "%s/%s", from_dir, name);
    snprintf(to, cap, "%s/%s", to_dir, name);
}

/*  Renames each entry of staging into home: the services find a whole
 *  home or none (a rename in one filesystem does not fail half-done).  On
 *  a failure the entries moved go back to staging. */
static int s_move_in(const char *staging, const char *home)
{
    char names[S_ENTRIES_MAX][256], from[2 * CONFIG_PATH_MAX], to[2 * CONFIG_PATH_MAX];
    size_t count, moved = 0;
    if (s_names(staging, names, &count) != 0) {
        fprintf(stderr, "essp restore: cannot read %s: %s\n", staging, strerror(errno));
        return EXIT_REFUSED;
    }
    for (; moved < count; moved++) {
        s_rename_in(staging, home, names[moved], from, to, sizeof from);
        if (rename(from, to) != 0)
            break;
    }
    if (moved == count)
        return EXIT_OK;
    fprintf(stderr, "essp restore: cannot move %s to %s: %s\n", from, to, strerror(errno));
    while (moved-- > 0) {
        s_rename_in(home, staging, names[moved], from, to, sizeof from);
        rename(from, to);
    }
    return EXIT_REFUSED;
}

/*  Lays the backup out in a staging directory inside the home, then moves
 *  it into place: a restore that fails leaves the home as it was (empty,
 *  or not there), never half restored, which services started on it
 *  would take for a home and fill with new keys. */
static int s_restore_home(const char *dir, const s_copied_t *copied, const char *home)
{
    bool created = access(home, F_OK) != 0;
    if (config_mkdirs(home) || chmod(home, 0700)) {
        fprintf(stderr, "essp restore: cannot create %s: %s\n", home, strerror(errno));
        return EXIT_REFUSED;
    }
    char staging[CONFIG_PATH_MAX + 32];
    snprintf(staging, sizeof staging, "%s/" S_STAGING, home);
    if (mkdir(staging, 0700) != 0) {
        fprintf(stderr, "essp restore: cannot create %s: %s (another restore under way?)\n", staging,
                strerror(errno));
        return EXIT_REFUSED;
    }
    int rc = s_lay_out(dir, copied, staging);
    if (rc == EXIT_OK)
        rc = s_move_in(staging, home);
    if (rc == EXIT_OK) {
        rmdir(staging);
        return EXIT_OK;
    }
    if (backup_remove_tree(staging) != 0)
        fprintf(stderr, "essp restore: cannot remove %s: %s: remove it by hand\n", staging, strerror(errno));
    else if (created)
        rmdir(home);
    fprintf(stderr, "essp restore: nothing was restored; %s is as it was\n", home);
    return rc;
}

int cmd_restore(const args_t *args)
{
    const char *dir = args->pos[0];
    const char *home = config_home();
    if (!backup_dir_empty(home)) {
        fprintf(stderr, "essp restore: ESSP_HOME %s is not empty: restore into a new, empty home "
                        "(ESSP_HOME=/path/to/new essp restore %s), or move this one away first; "
                        "nothing was changed\n", home, dir);
        return EXIT_REFUSED;
    }
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_error_t error;
    json_t *manifest = json_load_file(path, 0, &error);
    if (!manifest) {
        fprintf(stderr, "essp restore: %s: %s (a backup without its manifest did not finish)\n", path,
                error.text);
        return EXIT_REFUSED;
    }
    s_copied_t copied[S_SERVICES] = {{0}};
    int rc = s_check_backup(dir, manifest, copied);
    if (rc == EXIT_OK)
        rc = s_restore_home(dir, copied, home);
    if (rc == EXIT_OK) {
        json_t *line = json_pack("{s:s, s:s, s:O}", "restored", dir, "home", home, "time",
                                 json_object_get(manifest, "time"));
        json_dumpf(line, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(line);
        snprintf(path, sizeof path, "%s/essp.env", dir);
        fprintf(stderr, "essp restore: done; start the stack on it (deploy/up, or systemctl start essp@...)%s\n",
                access(path, F_OK) == 0 ? "; the backup's environment file is essp.env beside the manifest: "
                                          "compare it with /etc/essp/essp.env" : "");
    }
    json_decref(manifest);
    return rc;
}
