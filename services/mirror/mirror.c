/*  services/mirror/mirror.c - see mirror.h. */
#include "mirror.h"

#include "proto/doc.h"
#include "common/store.h"
#include "proto/messages.h"
#include "proto/wire.h"
#include "proto/directory.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

const char *const mirror_dbs[] = {"meta", "entries", "names", "feed", "pages", NULL};

#define S_KEY_MAX 480

struct mirror_t {
    unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES];
    msgpack_zone zone;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    bool erased;    /* the last event applied erased an entry (mirror_erased) */
};

mirror_t *mirror_new(const unsigned char public_key[STREAM_SIGN_PUBLIC_BYTES])
{
    mirror_t *self = calloc(1, sizeof *self);
    assert(self);
    memcpy(self->public_key, public_key, STREAM_SIGN_PUBLIC_BYTES);
    msgpack_zone_init(&self->zone, 16384);
    msgpack_sbuffer_init(&self->buf);
    msgpack_packer_init(&self->pk, &self->buf, msgpack_sbuffer_write);
    return self;
}

void mirror_destroy(mirror_t **self_p)
{
    assert(self_p);
    mirror_t *self = *self_p;
    if (!self)
        return;
    msgpack_zone_destroy(&self->zone);
    msgpack_sbuffer_destroy(&self->buf);
    free(self);
    *self_p = NULL;
}

bool mirror_id_is_safe(const char *id, size_t len)
{
    if (len == 0 || len > PROTO_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
              || c == '_'))
            return false;
    }
    return true;
}

/*  The key trusted now: the one the transaction's "key" says (a key event
 *  applied in this very batch changed it), else the one given at start. */
static const unsigned char *s_trusted(mirror_t *self, MDB_txn *txn, const MDB_dbi *dbs)
{
    MDB_val k = {3, "key"}, v;
    if (mdb_get(txn, dbs[MIRROR_DB_META], &k, &v) == 0 && v.mv_size == STREAM_SIGN_PUBLIC_BYTES)
        memcpy(self->public_key, v.mv_data, STREAM_SIGN_PUBLIC_BYTES);
    return self->public_key;
}

/*  A key event: verified with the key trusted until now, it names the key
 *  that signs from the next seq on (proto/stream_sign.h), which becomes
 *  the trusted key in the same transaction as the cursor. */
static int s_follow_key(mirror_t *self, MDB_txn *txn, const MDB_dbi *dbs, const msgpack_object *event,
                        uint64_t seq, proto_error_t *err)
{
    unsigned char next[STREAM_SIGN_PUBLIC_BYTES];
    uint64_t since;
    if (stream_sign_follow_key(s_trusted(self, txn, dbs), event, seq, &self->zone, next, &since, err))
        return MIRROR_REFUSED;
    int rc = store_put(txn, dbs[MIRROR_DB_META], "key", 3, next, sizeof next);
    if (rc == 0)
        rc = store_put_u64(txn, dbs[MIRROR_DB_META], "key_since", since);
    if (rc == 0)
        memcpy(self->public_key, next, sizeof next);
    return rc;
}

/*  The verified content of an event: its signature checked against the
 *  trusted key and its "signed" bytes decoded; the decoded copies beside
 *  them must say the same type and id. */
static int s_verify(mirror_t *self, const unsigned char *trusted, const msgpack_object *event, const char *type,
                    uint64_t seq, msgpack_object *body, proto_error_t *err)
{
    if (stream_sign_open(trusted, event, seq, &self->zone, body, "the event",
                         "the signature does not verify with the publication key", err))
        return -1;
    const char *id;
    size_t id_len;
    if (!doc_str_eq(body, "type", type) || !doc_str(body, "id", &id, &id_len))
        return proto_error_set(err, "signed", "mismatch", "seq %llu: signed content is not the event's",
                               (unsigned long long)seq);
    const msgpack_object *event_id = doc_get(event, "id");
    if (event_id->via.str.size != id_len || memcmp(event_id->via.str.ptr, id, id_len) != 0)
        return proto_error_set(err, "signed", "mismatch", "seq %llu: signed id differs from the event's",
                               (unsigned long long)seq);
    if (!mirror_id_is_safe(id, id_len))
        return proto_error_set(err, "id", "pattern", "seq %llu: id is not 1 to 32 of [A-Za-z0-9_-]",
                               (unsigned long long)seq);
    return 0;
}

static int s_mark_page(MDB_txn *txn, const MDB_dbi *dbs, const char *id, size_t len, const char *what)
{
    return store_put(txn, dbs[MIRROR_DB_PAGES], id, len, what, 1);
}

/*  Removes every key of the names index that files id: what is left of
 *  a record stored before records kept their key, filed by an older text
 *  folding.  A scan, but only for such records, once. */
static int s_remove_name_scan(MDB_txn *txn, const MDB_dbi *dbs, const char *id, size_t id_len)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, dbs[MIRROR_DB_NAMES], &cursor);
    if (rc)
        return rc;
    MDB_val k, v;
    for (int get = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); get == 0 && rc == 0;
         get = mdb_cursor_get(cursor, &k, &v, MDB_NEXT))
        if (v.mv_size == id_len && memcmp(v.mv_data, id, id_len) == 0)
            rc = mdb_cursor_del(cursor, 0);
    mdb_cursor_close(cursor);
    return rc;
}

/*  Takes the entry of record out of the names index, by the key it was
 *  filed under (names_key): the key directory_sort_key makes now may
 *  differ once proto's text folding changed.  A record without it (stored
 *  before) is looked for under the key made now, else everywhere. */
static int s_remove_name(MDB_txn *txn, const MDB_dbi *dbs, const msgpack_object *record)
{
    char key[S_KEY_MAX];
    MDB_val k;
    const msgpack_object *kept = doc_get(record, "names_key");
    if (kept && kept->type == MSGPACK_OBJECT_BIN) {
        k.mv_size = kept->via.bin.size;
        k.mv_data = (void *)kept->via.bin.ptr;
    } else {
        k.mv_size = directory_sort_key(doc_map(record, "entry"), key, sizeof key);
        k.mv_data = key;
    }
    int rc = mdb_del(txn, dbs[MIRROR_DB_NAMES], &k, NULL);
    const msgpack_object *id = doc_path(record, "entry.id");
    if (rc == MDB_NOTFOUND && !kept && id && id->type == MSGPACK_OBJECT_STR)
        return s_remove_name_scan(txn, dbs, id->via.str.ptr, id->via.str.size);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  Keeps the feed to its last MIRROR_FEED_MAX items; with `forget` (an id
 *  that was erased) also drops every item about that id. */
static int s_trim_feed(MDB_txn *txn, const MDB_dbi *dbs, msgpack_zone *zone, const char *forget,
                       size_t forget_len)
{
    MDB_stat st;
    int rc = mdb_stat(txn, dbs[MIRROR_DB_FEED], &st);
    MDB_cursor *cursor;
    if (rc || (rc = mdb_cursor_open(txn, dbs[MIRROR_DB_FEED], &cursor)))
        return rc;
    size_t excess = st.ms_entries > MIRROR_FEED_MAX ? st.ms_entries - MIRROR_FEED_MAX : 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        bool drop = excess > 0;
        if (!drop && forget) {
            msgpack_object item;
            proto_error_t err;
            const char *id;
            size_t id_len;
            drop = wire_decode(v.mv_data, v.mv_size, zone, &item, &err) == 0
                   && doc_str(&item, "id", &id, &id_len) && id_len == forget_len
                   && memcmp(id, forget, id_len) == 0 && doc_get(&item, "name");
        }
        if (drop) {
            if ((rc = mdb_cursor_del(cursor, 0)))
                break;
            if (excess)
                excess--;
        } else if (!forget) {
            break;
        }
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  One item of the feed: what a reader of "new and withdrawn listings"
 *  needs, the name left out when the entry was erased. */
static int s_feed(mirror_t *self, MDB_txn *txn, const MDB_dbi *dbs, uint64_t seq, const char *kind,
                  const msgpack_object *body, const msgpack_object *entry, const char *reason)
{
    bool erased = reason && strcmp(reason, "erased") == 0;
    const msgpack_object *org = doc_map(entry, "organisation");
    const msgpack_object *name = doc_get(org, "name");
    const msgpack_object *city = doc_path(org, "address.city");
    msgpack_sbuffer_clear(&self->buf);
    msgpack_pack_map(&self->pk, proto_entries(3, reason != NULL, !erased && name, !erased && city));
    proto_pack_kv_str(&self->pk, "kind", kind);
    proto_pack_str(&self->pk, "id");
    msgpack_pack_object(&self->pk, *doc_get(body, "id"));
    uint64_t at = 0;
    doc_uint(body, "at", &at);
    proto_pack_kv_uint(&self->pk, "at", at);
    if (reason)
        proto_pack_kv_str(&self->pk, "reason", reason);
    if (!erased && name) {
        proto_pack_str(&self->pk, "name");
        msgpack_pack_object(&self->pk, *name);
    }
    if (!erased && city) {
        proto_pack_str(&self->pk, "city");
        msgpack_pack_object(&self->pk, *city);
    }
    unsigned char key[8];
    store_u64_key(seq, key);
    int rc = store_put(txn, dbs[MIRROR_DB_FEED], key, 8, self->buf.data, self->buf.size);
    if (rc)
        return rc;
    const msgpack_object *id = doc_get(body, "id");
    return s_trim_feed(txn, dbs, &self->zone, erased ? id->via.str.ptr : NULL,
                       erased ? id->via.str.size : 0);
}

static int s_upsert(mirror_t *self, MDB_txn *txn, const MDB_dbi *dbs, const msgpack_object *event,
                    uint64_t seq, const msgpack_object *body, proto_error_t *err)
{
    const msgpack_object *entry = doc_map(body, "entry");
    const msgpack_object *id = doc_get(body, "id");
    uint64_t version;
    if (!entry || !doc_uint(body, "version", &version))
        return proto_error_set(err, "signed", "required", "seq %llu: an upsert signs a version and an entry",
                               (unsigned long long)seq);
    const msgpack_object *entry_id = doc_get(entry, "id");
    if (!entry_id || entry_id->type != MSGPACK_OBJECT_STR || entry_id->via.str.size != id->via.str.size
        || memcmp(entry_id->via.str.ptr, id->via.str.ptr, id->via.str.size) != 0)
        return proto_error_set(err, "signed", "mismatch", "seq %llu: the entry's id is not the event's",
                               (unsigned long long)seq);
    msgpack_object previous;
    int rc = store_get_doc(txn, dbs[MIRROR_DB_ENTRIES], id->via.str.ptr, id->via.str.size, &self->zone,
                           &previous);
    bool is_new = rc == MDB_NOTFOUND;
    if (rc == 0)
        rc = s_remove_name(txn, dbs, &previous);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    char key[S_KEY_MAX];
    size_t key_len = directory_sort_key(entry, key, sizeof key);
    MDB_val k = {key_len, key}, v = {id->via.str.size, (void *)id->via.str.ptr};
    if ((rc = mdb_put(txn, dbs[MIRROR_DB_NAMES], &k, &v, 0)))
        return rc;
    /* The record keeps the signed bytes: whoever doubts an entry can check
     * it against the publication key. */
    const msgpack_object *signed_bytes = doc_get(event, "signed");
    const msgpack_object *sig = doc_get(event, "sig");
    msgpack_sbuffer_clear(&self->buf);
    msgpack_pack_map(&self->pk, 7);
    proto_pack_kv_uint(&self->pk, "seq", seq);
    proto_pack_kv_uint(&self->pk, "version", version);
    proto_pack_str(&self->pk, "entry");
    msgpack_pack_object(&self->pk, *entry);
    proto_pack_str(&self->pk, "signed");
    msgpack_pack_object(&self->pk, *signed_bytes);
    proto_pack_str(&self->pk, "sig");
    msgpack_pack_object(&self->pk, *sig);
    /* The key that verified it: after a rotation, not the key in force. */
    proto_pack_str(&self->pk, "key");
    msgpack_pack_bin_with_body(&self->pk, self->public_key, STREAM_SIGN_PUBLIC_BYTES);
    /* The key it is filed under in the names index, which removes it from
     * there whatever the text folding has become. */
    proto_pack_str(&self->pk, "names_key");
    msgpack_pack_bin_with_body(&self->pk, key, key_len);
    if ((rc = store_put(txn, dbs[MIRROR_DB_ENTRIES], id->via.str.ptr, id->via.str.size, self->buf.data,
                        self->buf.size))
        || (rc = s_mark_page(txn, dbs, id->via.str.ptr, id->via.str.size, "w")))
        return rc;
    return is_new ? s_feed(self, txn, dbs, seq, "new", body, entry, NULL) : 0;
}

static int s_withdraw(mirror_t *self, MDB_txn *txn, const MDB_dbi *dbs, uint64_t seq,
                      const msgpack_object *body, proto_error_t *err)
{
    const msgpack_object *id = doc_get(body, "id");
    char reason[16];
    if (doc_strcpy(body, "reason", reason, sizeof reason) < 0
        || !proto_is_withdraw_reason(reason, strlen(reason)))
        return proto_error_set(err, "signed", "enum", "seq %llu: a withdrawal signs one of the reasons",
                               (unsigned long long)seq);
    self->erased = strcmp(reason, "erased") == 0;
    msgpack_object previous;
    int rc = store_get_doc(txn, dbs[MIRROR_DB_ENTRIES], id->via.str.ptr, id->via.str.size, &self->zone,
                           &previous);
    if (rc == MDB_NOTFOUND && strcmp(reason, "erased") == 0)
        return s_trim_feed(txn, dbs, &self->zone, id->via.str.ptr, id->via.str.size);
    if (rc == MDB_NOTFOUND)
        return 0;  /* never listed here: nothing to take back */
    /* previous points into the entries database: read it before that
     * database is written. */
    MDB_val k = {id->via.str.size, (void *)id->via.str.ptr};
    if (rc || (rc = s_feed(self, txn, dbs, seq, "withdrawn", body, doc_map(&previous, "entry"), reason))
        || (rc = s_remove_name(txn, dbs, &previous)))
        return rc;
    if ((rc = mdb_del(txn, dbs[MIRROR_DB_ENTRIES], &k, NULL)))
        return rc;
    return s_mark_page(txn, dbs, id->via.str.ptr, id->via.str.size, "d");
}

int mirror_apply(mirror_t *self, MDB_txn *txn, const MDB_dbi *dbs, const msgpack_object *event,
                 proto_error_t *err)
{
    msgpack_zone_clear(&self->zone);
    self->erased = false;
    const char *type;
    uint64_t seq;
    if (proto_event_check(event, &type, &seq, err))
        return MIRROR_REFUSED;
    bool redacted = strcmp(type, "redacted") == 0;
    if (strcmp(type, "key") == 0) {
        int rc = s_follow_key(self, txn, dbs, event, seq, err);
        return rc == -1 ? MIRROR_REFUSED : rc;
    }
    if (strcmp(type, "upsert") != 0 && strcmp(type, "withdraw") != 0 && !redacted) {
        proto_error_set(err, "type", "stream", "seq %llu: '%s' is not an event of the publication stream",
                        (unsigned long long)seq, type);
        return MIRROR_REFUSED;
    }
    msgpack_object body;
    if (s_verify(self, s_trusted(self, txn, dbs), event, type, seq, &body, err))
        return MIRROR_REFUSED;
    /* What an erased entry's events became: verified like any other (the
     * seqs stay signed without a gap), and nothing to apply, since the
     * withdraw "erased" that follows does the erasing. */
    if (redacted)
        return 0;
    int rc = strcmp(type, "upsert") == 0 ? s_upsert(self, txn, dbs, event, seq, &body, err)
                                         : s_withdraw(self, txn, dbs, seq, &body, err);
    if (rc)
        self->erased = false;
    return rc == -1 ? MIRROR_REFUSED : rc;
}

bool mirror_erased(const mirror_t *self)
{
    return self->erased;
}
