/*  services/notify/streams.c - see streams.h. */
#include "streams.h"

#include "letters.h"
#include "message.h"
#include "notify.h"
#include "outbox.h"

#include "common/log.h"
#include "common/store.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <sodium.h>

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY 86400
#define S_TOKEN_MAX 128

/* ---- what notify keeps of a file ------------------------------------------ */

/*  An erased file leaves its id in `files` with an empty value, nothing
 *  else: a tombstone.  The streams are read apart, so validation's or
 *  review's events about the file (whole applications) may come after
 *  intake's `erased`, before their own stream is redacted; the tombstone
 *  makes notify drop them instead of writing the person down again. */
static int s_tombstone_get(service_t *svc, MDB_txn *txn, const char *id, size_t id_len, bool *erased)
{
    MDB_val k = { id_len, (void *) id }, v;
    int rc = mdb_get(txn, service_db(svc, NOTIFY_DB_FILES), &k, &v);
    *erased = rc == 0 && v.mv_size == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_tombstone_put(service_t *svc, MDB_txn *txn, const char *id)
{
    return store_put(txn, service_db(svc, NOTIFY_DB_FILES), id, strlen(id), "", 0);
}

int notify_file_get(service_t *svc, MDB_txn *txn, const char *id, size_t id_len, letters_file_t *file)
{
    bool erased;
    int rc = s_tombstone_get(svc, txn, id, id_len, &erased);
    if (rc || erased)
        return rc ? rc : MDB_NOTFOUND;
    msgpack_zone zone;
    msgpack_object doc;
    if (!msgpack_zone_init(&zone, 1024))
        return ENOMEM;
    rc = store_get_doc(txn, service_db(svc, NOTIFY_DB_FILES), id, id_len, &zone, &doc);
    if (rc == 0) {
        memset(file, 0, sizeof *file);
        snprintf(file->id, sizeof file->id, "%.*s", (int) id_len, id);
        doc_strcpy(&doc, "name", file->name, sizeof file->name);
        doc_strcpy(&doc, "contact", file->contact, sizeof file->contact);
        doc_strcpy(&doc, "email", file->email, sizeof file->email);
        doc_uint(&doc, "revision", &file->revision);
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

static int s_file_put(service_t *svc, MDB_txn *txn, const letters_file_t *file)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    proto_pack_kv_str(&pk, "name", file->name);
    proto_pack_kv_str(&pk, "contact", file->contact);
    proto_pack_kv_str(&pk, "email", file->email);
    proto_pack_kv_uint(&pk, "revision", file->revision);
    int rc = store_put(txn, service_db(svc, NOTIFY_DB_FILES), file->id, strlen(file->id), buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/*  The file an event is about, or NULL when notify keeps none. */
static int s_event_file(service_t *svc, MDB_txn *txn, const msgpack_object *event, letters_file_t *file,
                        bool *found)
{
    const char *id;
    size_t len;
    *found = false;
    if (!doc_str(event, "id", &id, &len) || len >= OUTBOX_APP_MAX)
        return 0;
    int rc = notify_file_get(svc, txn, id, len, file);
    *found = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- listings and their reminders ------------------------------------------ */

static size_t s_reminder_key(unsigned char *out, int64_t expires, int days, const char *id)
{
    size_t len = strlen(id);
    store_u64_key((uint64_t) (expires - (int64_t) days * S_DAY), out);
    memcpy(out + 8, id, len);
    out[8 + len] = 0;
    out[9 + len] = (unsigned char) days;
    return 10 + len;
}

static int s_del(MDB_txn *txn, MDB_dbi db, const void *key, size_t len)
{
    MDB_val k = { len, (void *) key };
    int rc = mdb_del(txn, db, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_listing_get(service_t *svc, MDB_txn *txn, const char *id, int64_t *expires)
{
    uint64_t value = 0;
    MDB_val k = { strlen(id), (void *) id }, v;
    int rc = mdb_get(txn, service_db(svc, NOTIFY_DB_LISTINGS), &k, &v);
    if (rc == 0 && v.mv_size == 8)
        value = store_u64_from_key(v.mv_data);
    *expires = (int64_t) value;
    return rc;
}

/*  Drops a listing and the reminders planned for it. */
static int s_listing_drop(service_t *svc, MDB_txn *txn, const char *id)
{
    int64_t expires;
    int rc = s_listing_get(svc, txn, id, &expires);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    unsigned char key[10 + OUTBOX_APP_MAX];
    MDB_dbi reminders = service_db(svc, NOTIFY_DB_REMINDERS);
    if ((rc = s_del(txn, reminders, key, s_reminder_key(key, expires, 60, id)))
        || (rc = s_del(txn, reminders, key, s_reminder_key(key, expires, 14, id))))
        return rc;
    return s_del(txn, service_db(svc, NOTIFY_DB_LISTINGS), id, strlen(id));
}

/*  Keeps the listing's end and plans its reminders, but none that would
 *  already be unwanted now (a listing reinstated or imported with little
 *  time left). */
static int s_listing_put(service_t *svc, MDB_txn *txn, const char *id, int64_t expires, int64_t now)
{
    int rc = s_listing_drop(svc, txn, id);
    unsigned char key[10 + OUTBOX_APP_MAX], value[8];
    store_u64_key((uint64_t) expires, value);
    if (rc || (rc = store_put(txn, service_db(svc, NOTIFY_DB_LISTINGS), id, strlen(id), value, 8)))
        return rc;
    static const int days[] = { 60, 14 };
    for (size_t i = 0; rc == 0 && i < sizeof days / sizeof *days; i++)
        if (letters_reminder_wanted(days[i], expires, now))
            rc = store_put(txn, service_db(svc, NOTIFY_DB_REMINDERS), key,
                           s_reminder_key(key, expires, days[i], id), "", 0);
    return rc;
}

typedef struct {
    char id[OUTBOX_APP_MAX];
    int days;
} s_due_reminder_t;

int notify_reminders_due(void *ctx, service_t *svc, MDB_txn *txn, int64_t at, int64_t now, size_t *count)
{
    notify_t *self = ctx;
    MDB_dbi db = service_db(svc, NOTIFY_DB_REMINDERS);
    MDB_cursor *cursor;
    MDB_val k, v;
    s_due_reminder_t *due = NULL;
    size_t n = 0, cap = 0;
    *count = 0;
    int rc = mdb_cursor_open(txn, db, &cursor);
    if (rc)
        return rc;
    /* Collect first: each is deleted once its letter is written. */
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 11 || k.mv_size - 10 >= OUTBOX_APP_MAX || (int64_t) store_u64_from_key(k.mv_data) > at)
            break;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            void *grown = realloc(due, cap * sizeof *due);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            due = grown;
        }
        memcpy(due[n].id, (const char *) k.mv_data + 8, k.mv_size - 10);
        due[n].id[k.mv_size - 10] = 0;
        due[n++].days = ((const unsigned char *) k.mv_data)[k.mv_size - 1];
    }
    mdb_cursor_close(cursor);
    rc = rc == MDB_NOTFOUND ? 0 : rc;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t expires;
        letters_file_t file;
        unsigned char key[10 + OUTBOX_APP_MAX];
        if ((rc = s_listing_get(svc, txn, due[i].id, &expires)))
            break;
        if ((rc = s_del(txn, db, key, s_reminder_key(key, expires, due[i].days, due[i].id))))
            break;
        /* A tick missed or asked late: the days left decide, not the plan. */
        if (!letters_reminder_wanted(due[i].days, expires, at))
            continue;
        rc = notify_file_get(svc, txn, due[i].id, strlen(due[i].id), &file);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        letters_t letters;
        letters_init(&letters);
        if (!rc && letters_listing_reminder(&letters, notify_settings(self), &file, due[i].days, expires, at))
            rc = ENOMEM;
        if (!rc)
            rc = notify_post(self, svc, txn, &letters, now, count);
        letters_clear(&letters);
    }
    free(due);
    return rc;
}

/* ---- events that come before their file ----------------------------------- */

/*  The streams are read apart, so review's or validation's event about a
 *  file may be applied before intake's `submitted` that says who to write
 *  to.  Such an event waits, and is applied when the file is known. */
static bool s_may_wait(const char *type)
{
    static const char *const types[] = { "validated", "queued", "decided", "withdrawn", "upsert", "appealed", NULL };
    for (const char *const *t = types; *t; t++)
        if (!strcmp(*t, type))
            return true;
    return false;
}

static size_t s_waiting_key(unsigned char *out, const char *id, size_t id_len, const char *stream, uint64_t seq)
{
    size_t slen = strlen(stream);
    memcpy(out, id, id_len);
    out[id_len] = 0;
    memcpy(out + id_len + 1, stream, slen);
    out[id_len + 1 + slen] = 0;
    store_u64_key(seq, out + id_len + 2 + slen);
    return id_len + 10 + slen;
}

static int s_wait(service_t *svc, MDB_txn *txn, const char *stream, const char *type, const msgpack_object *event)
{
    const char *id;
    size_t len;
    uint64_t seq = 0;
    if (!doc_str(event, "id", &id, &len) || len >= OUTBOX_APP_MAX || !doc_uint(event, "seq", &seq))
        return 0;
    unsigned char key[OUTBOX_APP_MAX + 32];
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    proto_pack_kv_str(&pk, "stream", stream);
    proto_pack_kv_str(&pk, "type", type);
    proto_pack_str(&pk, "event");
    msgpack_pack_object(&pk, *event);
    int rc = store_put(txn, service_db(svc, NOTIFY_DB_WAITING), key, s_waiting_key(key, id, len, stream, seq),
                       buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

typedef struct {
    void *bytes;
    size_t len;
} s_blob_t;

/*  Takes the waiting events of a file out of the database (their bytes
 *  copied), in key order.  *out is malloc'd. */
static int s_take_waiting(service_t *svc, MDB_txn *txn, const char *id, s_blob_t **out, size_t *count)
{
    MDB_dbi db = service_db(svc, NOTIFY_DB_WAITING);
    size_t plen = strlen(id) + 1, n = 0, cap = 0;
    s_blob_t *blobs = NULL;
    MDB_cursor *cursor;
    MDB_val k = { plen, (void *) id }, v;
    int rc = mdb_cursor_open(txn, db, &cursor);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= plen || memcmp(k.mv_data, id, plen))
            break;
        if (n == cap) {
            cap = cap ? 2 * cap : 4;
            void *grown = realloc(blobs, cap * sizeof *blobs);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            blobs = grown;
        }
        if (!(blobs[n].bytes = malloc(v.mv_size))) {
            rc = ENOMEM;
            break;
        }
        memcpy(blobs[n].bytes, v.mv_data, v.mv_size);
        blobs[n++].len = v.mv_size;
        if ((rc = mdb_cursor_del(cursor, 0)))
            break;
    }
    mdb_cursor_close(cursor);
    *out = blobs;
    *count = n;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void s_free_blobs(s_blob_t *blobs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(blobs[i].bytes);
    free(blobs);
}

/*  Deletes what waits for a file: events carrying whole applications,
 *  that must not outlive its erasure. */
static int s_drop_waiting(service_t *svc, MDB_txn *txn, const char *id)
{
    s_blob_t *blobs = NULL;
    size_t count = 0;
    int rc = s_take_waiting(svc, txn, id, &blobs, &count);
    s_free_blobs(blobs, count);
    return rc;
}

static int s_apply(notify_t *self, service_t *svc, MDB_txn *txn, const char *stream, const char *type,
                   const msgpack_object *event, int64_t now);

/*  The file is known now: the events that waited for it are applied. */
static int s_replay(notify_t *self, service_t *svc, MDB_txn *txn, const char *id, int64_t now)
{
    s_blob_t *blobs = NULL;
    size_t count = 0;
    int rc = s_take_waiting(svc, txn, id, &blobs, &count);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        msgpack_zone zone;
        msgpack_object doc;
        char stream[16] = "", type[32] = "";
        if (!msgpack_zone_init(&zone, 4096)) {
            rc = ENOMEM;
            break;
        }
        if (wire_decode_stored(blobs[i].bytes, blobs[i].len, &zone, &doc, NULL) == 0
            && doc_strcpy(&doc, "stream", stream, sizeof stream) > 0 && doc_strcpy(&doc, "type", type, sizeof type) > 0
            && doc_map(&doc, "event"))
            rc = s_apply(self, svc, txn, stream, type, doc_map(&doc, "event"), now);
        msgpack_zone_destroy(&zone);
    }
    s_free_blobs(blobs, count);
    return rc;
}

/* ---- applying an event ------------------------------------------------------ */

/*  The tracking token of the event, opened; false when there is none or it
 *  does not open. */
static bool s_token(const notify_t *self, const msgpack_object *event, char *out, size_t cap)
{
    const msgpack_object *sealed = doc_get(event, "token_sealed");
    const notify_settings_t *settings = notify_settings(self);
    if (!sealed || sealed->type != MSGPACK_OBJECT_BIN || !settings->token_open)
        return false;
    if (settings->token_open(settings->token_open_arg, (const unsigned char *) sealed->via.bin.ptr,
                             sealed->via.bin.size, out, cap)) {
        log_warn("a sealed tracking token does not open with notify's key pair");
        return false;
    }
    /* What goes into a URL: the token's own alphabet only. */
    for (const char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return *out != 0;
}

/*  Erasure: the confirmation and the staff's notice are written first;
 *  then the address is suppressed and everything kept of the file goes,
 *  unsent letters about it included (but the confirmation). */
static int s_erase(service_t *svc, MDB_txn *txn, const letters_file_t *file, int64_t at)
{
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    size_t purged = 0;
    int rc = notify_suppress(svc, txn, file->email, at);
    if (!rc)
        rc = outbox_purge_application(txn, &dbs, file->id, "erased", &purged);
    if (!rc)
        rc = s_listing_drop(svc, txn, file->id);
    if (!rc)
        rc = s_tombstone_put(svc, txn, file->id);
    if (!rc)
        rc = s_drop_waiting(svc, txn, file->id);
    /* What was overwritten or deleted stays in LMDB's freed pages until
     * the store is compacted. */
    if (!rc)
        service_request_compact(svc);
    return rc;
}

static int s_apply(notify_t *self, service_t *svc, MDB_txn *txn, const char *stream, const char *type,
                   const msgpack_object *event, int64_t now)
{
    uint64_t seq = 0, at = 0;
    doc_uint(event, "seq", &seq);
    doc_uint(event, "at", &at);
    letters_file_t file;
    bool found = false;
    char token[S_TOKEN_MAX];
    bool has_token = false;
    int rc = 0;
    bool known = false;          /* the file is known from this very event */
    if (!strcmp(stream, "intake") && !strcmp(type, "submitted")) {
        if (letters_file_from_event(event, &file) == 0) {
            found = known = true;
            if ((rc = s_file_put(svc, txn, &file)))
                return rc;
        }
    } else if ((rc = s_event_file(svc, txn, event, &file, &found)))
        return rc;
    /* The streams are read apart: a later stage may come first.  Its
     * application, when it carries one, makes the file known; else the
     * event waits for the file. */
    if (!found && strcmp(type, "erased") && doc_map(event, "application")
        && letters_file_from_event(event, &file) == 0) {
        found = known = true;
        if ((rc = s_file_put(svc, txn, &file)))
            return rc;
    }
    if (!found && s_may_wait(type))
        return s_wait(svc, txn, stream, type, event);
    if (!strcmp(type, "submitted") || !strcmp(type, "token_reissued"))
        has_token = s_token(self, event, token, sizeof token);
    if (!strcmp(stream, "publication")) {
        const char *id = NULL;
        size_t len = 0;
        char idz[OUTBOX_APP_MAX];
        if (!doc_str(event, "id", &id, &len) || len >= sizeof idz)
            return 0;
        snprintf(idz, sizeof idz, "%.*s", (int) len, id);
        if (!strcmp(type, "withdraw"))
            return s_listing_drop(svc, txn, idz);
        if (!strcmp(type, "upsert") && found) {
            char until[16] = "";
            int32_t days;
            if (doc_strcpy(doc_map(event, "entry"), "listed_until", until, sizeof until) == 10
                && date_parse(until, 10, &days) == 0 && (rc = s_listing_put(svc, txn, idz, (int64_t) days * S_DAY, now)))
                return rc;
        }
    }
    /* Old news: what is kept is up to date, but nobody is written to. */
    bool stale = (int64_t) at + NOTIFY_STALE_AFTER < now;
    if (!stale) {
        letters_t letters;
        letters_init(&letters);
        letters_ctx_t lctx = { notify_settings(self), stream, seq, (int64_t) at };
        if (letters_from_event(&letters, &lctx, type, event, found ? &file : NULL, has_token ? token : NULL)) {
            letters_clear(&letters);
            rc = ENOMEM;
        } else
            rc = notify_post(self, svc, txn, &letters, now, NULL);
    }
    sodium_memzero(token, sizeof token);
    if (rc == 0 && known)
        rc = s_replay(self, svc, txn, file.id, now);
    if (rc == 0 && found && !strcmp(stream, "intake") && !strcmp(type, "erased"))
        rc = s_erase(svc, txn, &file, (int64_t) at);
    else if (rc == 0 && !strcmp(stream, "intake") && !strcmp(type, "erased")) {
        /* Erased before notify knew the file: what waited for it goes. */
        char id[OUTBOX_APP_MAX];
        if (doc_strcpy(event, "id", id, sizeof id) > 0 && !(rc = s_tombstone_put(svc, txn, id)))
            rc = s_drop_waiting(svc, txn, id);
        if (!rc)
            service_request_compact(svc);
    }
    return rc;
}

/*  A sign that the file is being erased, whatever stream says it first:
 *  an event redacted, or review's listing withdrawn for the erasure. */
static bool s_erasure_notice(const char *type, const msgpack_object *event)
{
    return !strcmp(type, "redacted") || (!strcmp(type, "withdrawn") && doc_str_eq(event, "kind", "erased"));
}

/*  An event about an erased file is dropped.  An erasure notice drops
 *  what waits for the file, and never waits itself: the `submitted` it
 *  would wait for is redacted; intake's `erased` does the rest. */
static int s_apply_event(notify_t *self, service_t *svc, MDB_txn *txn, const char *stream, const char *type,
                         const msgpack_object *event, int64_t now)
{
    const char *id;
    size_t len;
    if (!doc_str(event, "id", &id, &len) || len >= OUTBOX_APP_MAX)
        return s_apply(self, svc, txn, stream, type, event, now);
    bool erased;
    int rc = s_tombstone_get(svc, txn, id, len, &erased);
    if (rc || erased)
        return rc;
    if (s_erasure_notice(type, event)) {
        char idz[OUTBOX_APP_MAX];
        snprintf(idz, sizeof idz, "%.*s", (int) len, id);
        return s_drop_waiting(svc, txn, idz);
    }
    return s_apply(self, svc, txn, stream, type, event, now);
}

int notify_apply_intake(void *ctx, service_t *svc, MDB_txn *txn, const char *type, const msgpack_object *event,
                        int64_t now)
{
    return s_apply_event(ctx, svc, txn, "intake", type, event, now);
}

int notify_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now)
{
    /* Validation passes intake's appealed and erased on: intake's own are read. */
    if (strcmp(type, "validated") && strcmp(type, "redacted"))
        return 0;
    return s_apply_event(ctx, svc, txn, "validation", type, event, now);
}

int notify_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type, const msgpack_object *event,
                        int64_t now)
{
    return s_apply_event(ctx, svc, txn, "review", type, event, now);
}

int notify_apply_publication(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now)
{
    return s_apply_event(ctx, svc, txn, "publication", type, event, now);
}
