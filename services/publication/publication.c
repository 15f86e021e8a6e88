/*  services/publication/publication.c - see publication.h. */
#include "publication.h"

#include "changes.h"
#include "keys.h"
#include "listed_since.h"
#include "proto/directory.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "common/config.h"
#include "common/log.h"
#include "common/store.h"
#include "common/stream_key.h"
#include "proto/messages.h"
#include "proto/schema.h"
#include "proto/wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const publication_dbs[] = {"entries", "names", "keys", NULL};

#define S_NAME_KEY_MAX 480   /* LMDB keys are at most 511 bytes */
#define S_SCAN_MAX 20000     /* entries one directory request may examine */

typedef struct {
    msgpack_sbuffer buf;      /* the entry being built */
    msgpack_packer pk;
    msgpack_sbuffer proj;     /* the public projection */
    msgpack_packer proj_pk;
    msgpack_sbuffer body;     /* the signed content of an event */
    msgpack_packer body_pk;
    msgpack_sbuffer record;   /* what "entries" keeps of an id */
    msgpack_packer record_pk;
    msgpack_zone zone;
    publication_keys_t keys;          /* the chain of keys and their seeds (keys.h) */
    publication_redactor_t redactor;  /* signs the redacted events of an erasure */
    char key_dir[CONFIG_PATH_MAX - 64]; /* "" : no rotation */
    int64_t looked_at;                /* when publication.next was last looked for */
    bool next_refused;                /* said why publication.next is not adopted (said once) */
} publication_t;

void *publication_context_new(const stream_sign_key_t *key)
{
    publication_t *self = calloc(1, sizeof *self);
    publication_keys_init(&self->keys, key);
    self->looked_at = -1;
    msgpack_sbuffer_init(&self->body);
    msgpack_packer_init(&self->body_pk, &self->body, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->record);
    msgpack_packer_init(&self->record_pk, &self->record, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->buf);
    msgpack_packer_init(&self->pk, &self->buf, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&self->proj);
    msgpack_packer_init(&self->proj_pk, &self->proj, msgpack_sbuffer_write);
    msgpack_zone_init(&self->zone, 8192);
    publication_redactor_init(&self->redactor, &self->keys.ring[0]);
    self->redactor.keys = &self->keys;
    return self;
}

void publication_set_key_dir(void *ctx, const char *dir)
{
    publication_t *self = ctx;
    snprintf(self->key_dir, sizeof self->key_dir, "%s", dir);
}

void publication_context_destroy(void **ctx_p)
{
    publication_t *self = *ctx_p;
    if (self) {
        msgpack_sbuffer_destroy(&self->buf);
        msgpack_sbuffer_destroy(&self->proj);
        msgpack_sbuffer_destroy(&self->body);
        msgpack_sbuffer_destroy(&self->record);
        msgpack_zone_destroy(&self->zone);
        publication_redactor_destroy(&self->redactor);
        publication_keys_clear(&self->keys);
        free(self);
    }
    *ctx_p = NULL;
}

static int s_keys(publication_t *self, service_t *svc, MDB_txn *txn, int64_t now, bool look);

/*  The sort key of an entry in the names index (proto/directory.h). */
static size_t s_name_key(const msgpack_object *entry, char *out, size_t cap)
{
    return directory_sort_key(entry, out, cap);
}

/* --------------------------------------------------------------- entries */

/*  Packs the entry: the public fields, then id, version, approved_at,
 *  listed_since (YYYY-MM-DD, the first day of the listing: listed_since.h)
 *  and, when review said until when the file is listed, listed_until
 *  (YYYY-MM-DD, the day the listing ends). */
static int s_pack_entry(publication_t *self, const msgpack_object *event, uint64_t version,
                        const char *since, msgpack_object *entry)
{
    msgpack_sbuffer_clear(&self->proj);
    const msgpack_object *application = doc_map(event, "application");
    if (!application || schema_pack_public(schema_application(), application, &self->proj_pk))
        return -1;
    msgpack_object projection;
    proto_error_t err;
    if (wire_decode(self->proj.data, self->proj.size, &self->zone, &projection, &err))
        return -1;
    uint64_t at = 0, expires = 0;
    /* A listing decided without a round (imported) was approved on the
     * day it says, not when review decided it. */
    if (!doc_uint(event, "approved_at", &at))
        doc_uint(event, "at", &at);
    bool until = doc_uint(event, "expires", &expires);
    msgpack_sbuffer_clear(&self->buf);
    doc_pack_map_except(&self->pk, &projection, NULL, proto_entries(4, until));
    proto_pack_str(&self->pk, "id");
    msgpack_pack_object(&self->pk, *doc_get(event, "id"));
    proto_pack_kv_uint(&self->pk, "version", version);
    proto_pack_kv_uint(&self->pk, "approved_at", at);
    proto_pack_kv_str(&self->pk, "listed_since", since);
    if (until) {
        char day[11];
        date_format((int32_t)(expires / 86400), day);
        proto_pack_kv_str(&self->pk, "listed_until", day);
    }
    return wire_decode(self->buf.data, self->buf.size, &self->zone, entry, &err);
}

static int s_remove_name(MDB_txn *txn, service_t *svc, const msgpack_object *stored)
{
    char key[S_NAME_KEY_MAX];
    size_t len = s_name_key(doc_map(stored, "entry"), key, sizeof key);
    MDB_val k = {len, key};
    int rc = mdb_del(txn, service_db(svc, PUBLICATION_DB_NAMES), &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  Appends one signed event of the publication stream (see stream_sign.h):
 *  the content is packed once into "signed", a bin, and the same fields are
 *  repeated decoded for readers that do not verify.  entry (upsert) is
 *  already packed in self->buf; reason (withdraw) is NULL for an upsert. */
static int s_emit(publication_t *self, service_t *svc, MDB_txn *txn, int64_t now,
                  const msgpack_object *id, uint64_t version, const char *reason)
{
    const char *type = reason ? "withdraw" : "upsert";
    bool upsert = reason == NULL;
    uint64_t at = now < 0 ? 0 : (uint64_t)now;
    msgpack_sbuffer_clear(&self->body);
    /* type, at, id; then reason (withdraw) or version and entry (upsert). */
    msgpack_pack_map(&self->body_pk, proto_entries(3, !upsert, upsert, upsert));
    proto_pack_kv_str(&self->body_pk, "type", type);
    proto_pack_kv_uint(&self->body_pk, "at", at);
    proto_pack_kv_strn(&self->body_pk, "id", id->via.str.ptr, id->via.str.size);
    if (reason) {
        proto_pack_kv_str(&self->body_pk, "reason", reason);
    } else {
        proto_pack_kv_uint(&self->body_pk, "version", version);
        proto_pack_kv_raw(&self->body_pk, "entry", self->buf.data, self->buf.size);
    }
    /* The seq is known before the fields are packed: it is signed too. */
    uint64_t seq;
    /* id, signed, sig; reason, or version and entry, as in the body. */
    size_t fields = proto_entries(3, !upsert, upsert, upsert);
    msgpack_packer *pk = service_event_begin(svc, type, now, fields, &seq);
    unsigned char sig[STREAM_SIGN_BYTES];
    const stream_sign_key_t *signer = publication_keys_at(&self->keys, seq);
    if (!signer || stream_sign(signer, seq, self->body.data, self->body.size, sig) != 0)
        return ENOMEM;  /* the batch is rolled back and tried again */
    proto_pack_kv_strn(pk, "id", id->via.str.ptr, id->via.str.size);
    if (reason) {
        proto_pack_kv_str(pk, "reason", reason);
    } else {
        proto_pack_kv_uint(pk, "version", version);
        proto_pack_kv_raw(pk, "entry", self->buf.data, self->buf.size);
    }
    proto_pack_str(pk, "signed");
    msgpack_pack_bin_with_body(pk, self->body.data, self->body.size);
    proto_pack_str(pk, "sig");
    msgpack_pack_bin_with_body(pk, sig, sizeof sig);
    return service_event_end(svc, txn);
}

/*  What "entries" keeps of an id: {version, entry} while it is listed
 *  (the entry already packed in self->buf), and once withdrawn a
 *  tombstone {version, withdrawn: reason, listed_since}: the entry goes,
 *  the version stays, so that an entry reinstated after a suspension
 *  comes back with a higher version (a site keeps the highest) and a
 *  withdrawal repeated for the same reason says nothing new; the first
 *  day of the listing stays (since: NULL when unknown, or erased) for a
 *  reinstatement or a renewal to count from it. */
static int s_put_record(publication_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *id,
                        uint64_t version, const char *withdrawn, const char *since)
{
    msgpack_sbuffer_clear(&self->record);
    msgpack_pack_map(&self->record_pk, proto_entries(2, withdrawn && since));
    proto_pack_kv_uint(&self->record_pk, "version", version);
    if (withdrawn && since)
        proto_pack_kv_str(&self->record_pk, "listed_since", since);
    if (withdrawn)
        proto_pack_kv_str(&self->record_pk, "withdrawn", withdrawn);
    else
        proto_pack_kv_raw(&self->record_pk, "entry", self->buf.data, self->buf.size);
    return store_put_ordered(txn, service_db(svc, PUBLICATION_DB_ENTRIES), id->via.str.ptr, id->via.str.size,
                             self->record.data, self->record.size);
}

static int s_upsert(publication_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                    int64_t now)
{
    const msgpack_object *id = doc_get(event, "id");
    msgpack_object stored, entry;
    uint64_t version = 1;
    char since[11];
    bool since_known = false;
    int rc = store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), id->via.str.ptr,
                           id->via.str.size, &self->zone, &stored);
    if (rc == 0) {
        if (doc_str_eq(&stored, "withdrawn", "erased")) {
            log_error("an entry whose data were erased is never listed again: not listed");
            return 0;
        }
        doc_uint(&stored, "version", &version);
        version++;
        /* stored points into the database: the first day of the listing
         * (a next version, a reinstatement) is copied before any write. */
        since_known = listed_since_of(&stored, since);
        if (doc_map(&stored, "entry") && (rc = s_remove_name(txn, svc, &stored)))
            return rc;
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    if (!since_known && (rc = listed_since_new(svc, txn, event, &self->zone, since)))
        return rc;
    if (s_pack_entry(self, event, version, since, &entry)) {
        log_error("approved file has no publishable application: not listed");
        return 0;
    }
    /* The stream event carries the entry; the stored record adds nothing
     * private, only what the stream already says. */
    if ((rc = s_emit(self, svc, txn, now, id, version, NULL)))
        return rc;
    char key[S_NAME_KEY_MAX];
    size_t key_len = s_name_key(&entry, key, sizeof key);
    MDB_val k = {key_len, key}, v = {id->via.str.size, (void *)id->via.str.ptr};
    if ((rc = mdb_put(txn, service_db(svc, PUBLICATION_DB_NAMES), &k, &v, 0)))
        return rc;
    return s_put_record(self, svc, txn, id, version, NULL, NULL);
}

/*  Erasure: every earlier event of the application in publication's own
 *  log becomes a signed "redacted" event (changes.h), before the withdraw
 *  that tells the sites to erase their copies is appended.  *published
 *  tells whether the stream ever spoke of this id. */
static int s_redact(publication_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *id,
                    bool *published)
{
    size_t count = 0;
    self->redactor.failed = false;
    int rc = service_log_redact(svc, txn, id->via.str.ptr, id->via.str.size, publication_pack_redacted,
                                &self->redactor, &count);
    if (rc == 0 && self->redactor.failed)
        rc = ENOMEM;  /* the batch is rolled back and tried again */
    *published = *published || count > 0;
    return rc;
}

static int s_withdraw(publication_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                      const char *reason, int64_t now)
{
    const msgpack_object *id = doc_get(event, "id");
    msgpack_object stored;
    int rc = store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), id->via.str.ptr,
                           id->via.str.size, &self->zone, &stored);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    /* stored points into the database: everything is read from it before
     * anything is written. */
    bool known = rc == 0, listed = known && doc_map(&stored, "entry");
    uint64_t version = 0;
    if (known && (doc_str_eq(&stored, "withdrawn", reason) || doc_str_eq(&stored, "withdrawn", "erased")))
        return 0;  /* said already, or nothing left to say */
    char since[11];
    bool kept = known && strcmp(reason, "erased") != 0 && listed_since_of(&stored, since);
    if (known)
        doc_uint(&stored, "version", &version);
    if (listed && (rc = s_remove_name(txn, svc, &stored)))
        return rc;
    if (strcmp(reason, "erased") == 0 && (rc = s_redact(self, svc, txn, id, &known)))
        return rc;
    if (!known)
        return 0;  /* never listed: nothing to take back */
    if ((rc = s_put_record(self, svc, txn, id, version, reason, kept ? since : NULL)))
        return rc;
    return s_emit(self, svc, txn, now, id, 0, reason);
}

int publication_apply_review(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                             const msgpack_object *event, int64_t now)
{
    publication_t *self = ctx;
    msgpack_zone_clear(&self->zone);
    int rc = s_keys(self, svc, txn, now, false);
    if (rc)
        return rc;
    const char *reason;
    switch (publication_change_of(type, event, &reason)) {
    case PUBLICATION_LIST:
        return s_upsert(self, svc, txn, event, now);
    case PUBLICATION_UNLIST:
        return s_withdraw(self, svc, txn, event, reason, now);
    case PUBLICATION_NOTHING:
        break;
    }
    return 0;
}

/* ------------------------------------------------------------- the keys */

/*  The path of a key file in the key folder. */
static void s_key_path(const publication_t *self, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", self->key_dir, name);
}

/*  Once the adoption of publication.next is committed (its key event at or
 *  below the committed head), the files follow: the old key is kept as
 *  publication.key.N, the new one becomes publication.key. */
static void s_retire(publication_t *self, service_t *svc, const stream_sign_key_t *next)
{
    const publication_key_link_t *current = publication_keys_current(&self->keys);
    if (memcmp(current->public_key, next->public_key, STREAM_SIGN_PUBLIC_BYTES) != 0
        || current->seq > service_log_head(svc))
        return;
    char path[CONFIG_PATH_MAX];
    stream_sign_key_t old;
    s_key_path(self, "publication.key", path, sizeof path);
    const publication_key_link_t *previous = &self->keys.links[self->keys.count > 1 ? self->keys.count - 2 : 0];
    if (stream_sign_key_read(path, &old) == 0 && memcmp(old.public_key, next->public_key, STREAM_SIGN_PUBLIC_BYTES) == 0) {
        /* A copy of the key in force: nothing left to move. */
        s_key_path(self, "publication.next", path, sizeof path);
        if (unlink(path) == 0)
            log_info("%s was a copy of publication.key: removed", path);
    } else if (self->keys.count < 2 || stream_sign_key_read(path, &old) != 0
               || memcmp(old.public_key, previous->public_key, STREAM_SIGN_PUBLIC_BYTES) != 0) {
        log_error("%s is not the key the stream was signed with before seq %llu: the files are left as they are",
                  path, (unsigned long long)current->since);
    } else if (stream_sign_key_retire(self->key_dir, (unsigned)(self->keys.count - 1)) == 0) {
        log_info("stream key rotated: the old key is kept as publication.key.%u, publication.key signs from seq %llu",
                 (unsigned)(self->keys.count - 1), (unsigned long long)current->since);
    }
    sodium_memzero(&old, sizeof old);
}

/*  Adopts next: a "key" event signed by the key in force names it and the
 *  seq from which it signs; the link goes into "keys" in the same
 *  transaction. */
static int s_adopt(publication_t *self, service_t *svc, MDB_txn *txn, int64_t now,
                   const stream_sign_key_t *next)
{
    if (self->keys.count == PUBLICATION_KEYS_MAX || publication_keys_add_seed(&self->keys, next) != 0) {
        log_error("the stream has had %d keys: no more rotations", PUBLICATION_KEYS_MAX);
        return 0;
    }
    uint64_t at = now < 0 ? 0 : (uint64_t)now, seq;
    msgpack_packer *pk = service_event_begin(svc, "key", now, 4, &seq);
    const stream_sign_key_t *signer = publication_keys_at(&self->keys, seq);
    unsigned char sig[STREAM_SIGN_BYTES];
    msgpack_sbuffer_clear(&self->body);
    stream_sign_pack_key(&self->body_pk, at, next->public_key, seq + 1);
    if (!signer || stream_sign(signer, seq, self->body.data, self->body.size, sig) != 0)
        return ENOMEM;  /* the batch is rolled back and tried again */
    char hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(next->public_key, hex);
    proto_pack_kv_str(pk, "key", hex);
    proto_pack_kv_uint(pk, "since", seq + 1);
    proto_pack_str(pk, "signed");
    msgpack_pack_bin_with_body(pk, self->body.data, self->body.size);
    proto_pack_str(pk, "sig");
    msgpack_pack_bin_with_body(pk, sig, sizeof sig);
    int rc = service_event_end(svc, txn);
    publication_key_link_t link = {.since = seq + 1, .seq = seq};
    memcpy(link.public_key, next->public_key, STREAM_SIGN_PUBLIC_BYTES);
    if (rc == 0)
        rc = publication_keys_append(&self->keys, txn, service_db(svc, PUBLICATION_DB_KEYS), &link);
    if (rc == 0)
        log_info("stream key: event %llu names the key %s, which signs from seq %llu", (unsigned long long)seq,
                 hex, (unsigned long long)(seq + 1));
    return rc;
}

int publication_rotate(void *ctx, service_t *svc, MDB_txn *txn, int64_t now)
{
    publication_t *self = ctx;
    if (!self->key_dir[0])
        return 0;
    char path[CONFIG_PATH_MAX];
    s_key_path(self, "publication.next", path, sizeof path);
    stream_sign_key_t next;
    if (stream_sign_key_read(path, &next) != 0) {
        if (errno == ENOENT)
            self->next_refused = false;
        else if (!self->next_refused)
            log_error("%s holds no key (64 hex digits): no rotation", path);
        self->next_refused = errno != ENOENT;
        return 0;
    }
    int rc = 0, index = publication_keys_index(&self->keys, next.public_key);
    if (index < 0) {
        rc = s_adopt(self, svc, txn, now, &next);
    } else if ((size_t)index + 1 == self->keys.count) {
        s_retire(self, svc, &next);
    } else if (!self->next_refused) {
        log_error("%s holds a key the stream was signed with before: not adopted again", path);
        self->next_refused = true;
    }
    sodium_memzero(&next, sizeof next);
    return rc;
}

/*  At each entry point: the chain as the transaction sees it, then
 *  publication.next looked for (at each hello, else at most once a
 *  second). */
static int s_keys(publication_t *self, service_t *svc, MDB_txn *txn, int64_t now, bool look)
{
    int rc = publication_keys_read(&self->keys, txn, service_db(svc, PUBLICATION_DB_KEYS));
    if (rc || !self->key_dir[0] || (!look && now == self->looked_at))
        return rc;
    self->looked_at = now;
    return publication_rotate(self, svc, txn, now);
}

int publication_start(void *ctx, service_t *svc, MDB_txn *txn)
{
    publication_t *self = ctx;
    char path[CONFIG_PATH_MAX];
    stream_sign_key_t seed;
    /* Every seed of the folder: the current key, the retired ones, the next. */
    for (unsigned n = 0; self->key_dir[0] && n <= PUBLICATION_KEYS_MAX; n++) {
        char name[32];
        snprintf(name, sizeof name, n ? "publication.key.%u" : "publication.next", n);
        s_key_path(self, name, path, sizeof path);
        if (stream_sign_key_read(path, &seed) == 0)
            publication_keys_add_seed(&self->keys, &seed);
        else if (errno != ENOENT)
            log_warn("%s holds no key (64 hex digits): ignored", path);
    }
    sodium_memzero(&seed, sizeof seed);
    int rc = publication_keys_read(&self->keys, txn, service_db(svc, PUBLICATION_DB_KEYS));
    if (rc)
        return rc;
    for (size_t i = 0; i < self->keys.count; i++) {
        if (publication_keys_seed(&self->keys, self->keys.links[i].public_key))
            continue;
        char hex[STREAM_SIGN_HEX_MAX];
        stream_sign_public_hex(self->keys.links[i].public_key, hex);
        log_error("the stream's key %zu (%s, from seq %llu) has no seed in %s (publication.key, "
                  "publication.key.N): restore the file", i + 1, hex,
                  (unsigned long long)self->keys.links[i].since, self->key_dir[0] ? self->key_dir : "the key folder");
        return -1;
    }
    self->looked_at = -1;
    /* The shell passes no time to a start: the key event of a rotation
     * adopted now is dated by the clock, once. */
    return publication_rotate(self, svc, txn, (int64_t)time(NULL));
}

int publication_attach(void *ctx, service_t *svc)
{
    publication_t *self = ctx;
    char path[CONFIG_PATH_MAX];
    s_key_path(self, "publication.next", path, sizeof path);
    stream_sign_key_t next;
    if (self->key_dir[0] && stream_sign_key_read(path, &next) == 0) {
        s_retire(self, svc, &next);
        sodium_memzero(&next, sizeof next);
    }
    return 0;
}

/* -------------------------------------------------------------- directory */

/*  Where a page of the directory stopped. */
typedef struct {
    size_t count;                 /* entries packed into self->buf */
    bool more;
    char last_key[S_NAME_KEY_MAX];
    size_t last_len;
} page_t;

/*  Packs into self->buf the entries that match, from the cursor's
 *  position (key, value) on; 0 or an LMDB code. */
static int s_scan(publication_t *self, service_t *svc, MDB_txn *txn, MDB_cursor *cursor, MDB_val *key,
                  MDB_val *value, const directory_filter_t *filter, uint64_t limit, page_t *page)
{
    size_t scanned = 0;
    int rc = 0;
    for (; rc == 0; rc = mdb_cursor_get(cursor, key, value, MDB_NEXT)) {
        if (page->count == limit || scanned == S_SCAN_MAX) {
            page->more = true;
            return 0;
        }
        scanned++;
        page->last_len = key->mv_size < sizeof page->last_key ? key->mv_size : sizeof page->last_key;
        memcpy(page->last_key, key->mv_data, page->last_len);
        msgpack_zone_clear(&self->zone);
        msgpack_object record;
        if (store_get_doc(txn, service_db(svc, PUBLICATION_DB_ENTRIES), value->mv_data, value->mv_size,
                          &self->zone, &record) != 0)
            continue;
        const msgpack_object *entry = doc_get(&record, "entry");
        if (!entry || !directory_matches(filter, entry))
            continue;
        msgpack_pack_object(&self->pk, *entry);
        page->count++;
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  One page: up to `limit` entries that match the filters, in name order,
 *  after examining at most S_SCAN_MAX entries, so that a request never
 *  costs more than a bounded amount of work however selective its filters.
 *  "next" is then where the scan stopped; a page may hold fewer entries
 *  than `limit`, even none, and still have a "next". */
static int s_directory(publication_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    directory_filter_t filter;
    proto_error_t err;
    if (directory_filter_from_request(req->msg, &filter, &err))
        return service_refuse_error(req, PROTO_E_INVALID, &err);
    uint64_t limit = 100;
    doc_uint(req->msg, "limit", &limit);
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, PUBLICATION_DB_NAMES), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    /* "next" of the previous page is a sort key: paging goes on even when
     * that entry was withdrawn in between. */
    const msgpack_object *after = doc_get(req->msg, "after");
    rc = store_seek_after(cursor, after ? after->via.str.ptr : NULL, after ? after->via.str.size : 0, &key,
                          &value);
    /* Entries are packed aside first: the array header needs the count. */
    msgpack_sbuffer_clear(&self->buf);
    page_t page = {0};
    if (rc == 0)
        rc = s_scan(self, svc, txn, cursor, &key, &value, &filter, limit, &page);
    mdb_cursor_close(cursor);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    proto_pack_reply(req->reply, "directory", req->has_rid, req->rid, proto_entries(1, page.more));
    proto_pack_str(req->reply, "entries");
    msgpack_pack_array(req->reply, page.count);
    proto_pack_raw(req->reply, self->buf.data, self->buf.size);
    if (page.more)
        proto_pack_kv_strn(req->reply, "next", page.last_key, page.last_len);
    return 0;
}

/*  The stream's hello: who signs it and with which key; "since", the
 *  first seq that key signs, and "keys", the chain from the first key on,
 *  so that a site that starts from 0 knows which key signed event 1. */
static int s_hello(publication_t *self, service_t *svc, service_request_t *req)
{
    char hex[STREAM_SIGN_HEX_MAX];
    const publication_key_link_t *current = publication_keys_current(&self->keys);
    stream_sign_public_hex(current->public_key, hex);
    proto_pack_reply(req->reply, "hello", req->has_rid, req->rid, 7);
    proto_pack_kv_str(req->reply, "service", "publication");
    proto_pack_kv_uint(req->reply, "head", service_log_head(svc));
    proto_pack_kv_str(req->reply, "algorithm", "ed25519");
    proto_pack_kv_str(req->reply, "context", STREAM_SIGN_CONTEXT);
    proto_pack_kv_str(req->reply, "key", hex);
    proto_pack_kv_uint(req->reply, "since", current->since);
    proto_pack_str(req->reply, "keys");
    msgpack_pack_array(req->reply, self->keys.count);
    for (size_t i = 0; i < self->keys.count; i++) {
        stream_sign_public_hex(self->keys.links[i].public_key, hex);
        msgpack_pack_map(req->reply, 2);
        proto_pack_kv_str(req->reply, "key", hex);
        proto_pack_kv_uint(req->reply, "since", self->keys.links[i].since);
    }
    return 0;
}

int publication_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    publication_t *self = ctx;
    msgpack_zone_clear(&self->zone);
    int rc = s_keys(self, svc, txn, req->now, strcmp(req->type, "hello") == 0);
    if (rc)
        return rc;
    if (strcmp(req->type, "directory") == 0)
        return s_directory(self, svc, txn, req);
    if (strcmp(req->type, "hello") == 0)
        return s_hello(self, svc, req);
    return service_refuse(req, PROTO_E_INVALID, "type", "unsupported",
                          "publication answers hello, directory, ping and pull");
}
