/*  services/notify/outbox.c - see outbox.h. */
#include "outbox.h"

#include "common/store.h"
#include "proto/doc.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BACKOFF_CAP 3600

const char *outbox_state_name(outbox_state_t state)
{
    return state == OUTBOX_SENT ? "sent" : state == OUTBOX_FAILED ? "failed" : "pending";
}

static outbox_state_t s_state_from(const char *name)
{
    return !strcmp(name, "sent") ? OUTBOX_SENT : !strcmp(name, "failed") ? OUTBOX_FAILED : OUTBOX_PENDING;
}

/*  be64(time) ‖ message_id: the keys of the due and failed indexes. */
static size_t s_time_key(unsigned char *out, int64_t t, const char *message_id)
{
    size_t len = strlen(message_id);
    store_u64_key((uint64_t) (t < 0 ? 0 : t), out);
    memcpy(out + 8, message_id, len);
    return 8 + len;
}

static size_t s_app_key(unsigned char *out, const char *app_id, const char *message_id)
{
    size_t a = strlen(app_id), m = strlen(message_id);
    memcpy(out, app_id, a);
    out[a] = 0;
    memcpy(out + a + 1, message_id, m);
    return a + 1 + m;
}

static int s_put_key(MDB_txn *txn, MDB_dbi db, const void *key, size_t len)
{
    return store_put(txn, db, key, len, "", 0);
}

static int s_del_key(MDB_txn *txn, MDB_dbi db, const void *key, size_t len)
{
    MDB_val k = { len, (void *) key };
    int rc = mdb_del(txn, db, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_put_record(MDB_txn *txn, const outbox_dbs_t *dbs, const outbox_record_t *r)
{
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 10);
    const char *strs[][2] = { { "to", r->to }, { "kind", r->kind }, { "app", r->app_id },
                              { "state", outbox_state_name(r->state) }, { "error", r->error } };
    for (size_t i = 0; i < 5; i++) {
        msgpack_pack_str_with_body(&pk, strs[i][0], strlen(strs[i][0]));
        msgpack_pack_str_with_body(&pk, strs[i][1], strlen(strs[i][1]));
    }
    const char *ints[] = { "attempts", "created_at", "next_at", "done_at" };
    int64_t values[] = { r->attempts, r->created_at, r->next_at, r->done_at };
    for (size_t i = 0; i < 4; i++) {
        msgpack_pack_str_with_body(&pk, ints[i], strlen(ints[i]));
        msgpack_pack_int64(&pk, values[i]);
    }
    msgpack_pack_str_with_body(&pk, "leased", 6);
    if (r->leased)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    int rc = store_put(txn, dbs->records, r->message_id, strlen(r->message_id), buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

int outbox_get(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, outbox_record_t *out)
{
    msgpack_zone zone;
    msgpack_object doc;
    if (!msgpack_zone_init(&zone, 1024))
        return ENOMEM;
    int rc = store_get_doc(txn, dbs->records, message_id, strlen(message_id), &zone, &doc);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        snprintf(out->message_id, sizeof out->message_id, "%s", message_id);
        char state[16] = "";
        doc_strcpy(&doc, "to", out->to, sizeof out->to);
        doc_strcpy(&doc, "kind", out->kind, sizeof out->kind);
        doc_strcpy(&doc, "app", out->app_id, sizeof out->app_id);
        doc_strcpy(&doc, "state", state, sizeof state);
        doc_strcpy(&doc, "error", out->error, sizeof out->error);
        out->state = s_state_from(state);
        int64_t v = 0;
        out->attempts = doc_int(&doc, "attempts", &v) ? (uint32_t) v : 0;
        out->created_at = doc_int(&doc, "created_at", &v) ? v : 0;
        out->next_at = doc_int(&doc, "next_at", &v) ? v : 0;
        out->done_at = doc_int(&doc, "done_at", &v) ? v : 0;
        out->leased = doc_bool(&doc, "leased", false);
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

static int s_known(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, bool *known)
{
    MDB_val k = { strlen(message_id), (void *) message_id }, v;
    int rc = mdb_get(txn, dbs->records, &k, &v);
    *known = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_index_app(MDB_txn *txn, const outbox_dbs_t *dbs, const outbox_record_t *r)
{
    unsigned char key[OUTBOX_APP_MAX + OUTBOX_MESSAGE_ID_MAX + 1];
    return r->app_id[0] ? s_put_key(txn, dbs->by_app, key, s_app_key(key, r->app_id, r->message_id)) : 0;
}

int outbox_add(MDB_txn *txn, const outbox_dbs_t *dbs, const outbox_record_t *record, const void *body,
               size_t len, bool *added)
{
    bool known;
    int rc = s_known(txn, dbs, record->message_id, &known);
    *added = false;
    if (rc || known)
        return rc;
    outbox_record_t r = *record;
    r.state = OUTBOX_PENDING;
    r.attempts = 0;
    r.next_at = r.created_at;
    r.done_at = 0;
    r.error[0] = 0;
    unsigned char key[8 + OUTBOX_MESSAGE_ID_MAX];
    if ((rc = s_put_record(txn, dbs, &r))
        || (rc = store_put(txn, dbs->bodies, r.message_id, strlen(r.message_id), body, len))
        || (rc = s_put_key(txn, dbs->due, key, s_time_key(key, r.next_at, r.message_id)))
        || (rc = s_index_app(txn, dbs, &r)))
        return rc;
    *added = true;
    return 0;
}

int outbox_add_failed(MDB_txn *txn, const outbox_dbs_t *dbs, const outbox_record_t *record, bool *added)
{
    bool known;
    int rc = s_known(txn, dbs, record->message_id, &known);
    *added = false;
    if (rc || known)
        return rc;
    outbox_record_t r = *record;
    r.state = OUTBOX_FAILED;
    r.done_at = r.created_at;
    unsigned char key[8 + OUTBOX_MESSAGE_ID_MAX];
    if ((rc = s_put_record(txn, dbs, &r))
        || (rc = s_put_key(txn, dbs->failed, key, s_time_key(key, r.done_at, r.message_id)))
        || (rc = s_index_app(txn, dbs, &r)))
        return rc;
    *added = true;
    return 0;
}

int outbox_due(MDB_txn *txn, const outbox_dbs_t *dbs, int64_t at, size_t limit, outbox_visit_fn fn, void *arg,
               int64_t *next_at)
{
    MDB_cursor *cursor;
    MDB_val k, v;
    *next_at = 0;
    int rc = mdb_cursor_open(txn, dbs->due, &cursor);
    if (rc)
        return rc;
    size_t seen = 0;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= 8 || k.mv_size - 8 >= OUTBOX_MESSAGE_ID_MAX) {
            rc = MDB_CORRUPTED;
            break;
        }
        int64_t due = (int64_t) store_u64_from_key(k.mv_data);
        if (due > at || seen == limit) {
            *next_at = due;
            break;
        }
        char id[OUTBOX_MESSAGE_ID_MAX];
        memcpy(id, (const char *) k.mv_data + 8, k.mv_size - 8);
        id[k.mv_size - 8] = 0;
        outbox_record_t r;
        MDB_val bk = { strlen(id), id }, body;
        if ((rc = outbox_get(txn, dbs, id, &r)) || (rc = mdb_get(txn, dbs->bodies, &bk, &body)))
            break;
        seen++;
        if ((rc = fn(arg, &r, body.mv_data, body.mv_size)))
            break;
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*  Leaves the pending state: out of the due index, body purged. */
/*  A letter of an erased file keeps of its error only the SMTP code. */
static void s_error_erased(outbox_record_t *r)
{
    if (!r->error[0])
        return;
    bool code = r->error[0] >= '2' && r->error[0] <= '5' && r->error[1] >= '0' && r->error[1] <= '9'
                && r->error[2] >= '0' && r->error[2] <= '9';
    char kept[4] = "";
    if (code)
        memcpy(kept, r->error, 3);
    snprintf(r->error, sizeof r->error, "%s%s%s", kept, code ? " : " : "", OUTBOX_ERASED_ERROR);
}

static int s_settle(MDB_txn *txn, const outbox_dbs_t *dbs, outbox_record_t *r, outbox_state_t state, int64_t at,
                    const char *error)
{
    unsigned char key[8 + OUTBOX_MESSAGE_ID_MAX];
    int rc = s_del_key(txn, dbs->due, key, s_time_key(key, r->next_at, r->message_id));
    if (!rc)
        rc = s_del_key(txn, dbs->bodies, r->message_id, strlen(r->message_id));
    r->state = state;
    r->done_at = at;
    r->leased = false;
    if (error)
        snprintf(r->error, sizeof r->error, "%s", error);
    /* The erasure's confirmation was the last use of the address, which
     * the server's answer may quote. */
    if (!strcmp(r->kind, "erased")) {
        snprintf(r->to, sizeof r->to, "%s", OUTBOX_ERASED_ADDRESS);
        s_error_erased(r);
    }
    if (!rc && state == OUTBOX_FAILED)
        rc = s_put_key(txn, dbs->failed, key, s_time_key(key, at, r->message_id));
    return rc ? rc : s_put_record(txn, dbs, r);
}

static int s_pending(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, outbox_record_t *r)
{
    int rc = outbox_get(txn, dbs, message_id, r);
    if (rc == 0 && r->state != OUTBOX_PENDING)
        return MDB_KEYEXIST;     /* settled already: the caller changes nothing */
    return rc;
}

int outbox_mark_sent(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at)
{
    outbox_record_t r;
    int rc = s_pending(txn, dbs, message_id, &r);
    if (!rc)
        r.attempts++;
    return rc ? rc : s_settle(txn, dbs, &r, OUTBOX_SENT, at, NULL);
}

int outbox_mark_failed(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at,
                       const char *error)
{
    outbox_record_t r;
    int rc = s_pending(txn, dbs, message_id, &r);
    if (!rc)
        r.attempts++;
    return rc ? rc : s_settle(txn, dbs, &r, OUTBOX_FAILED, at, error ? error : "");
}

/*  Moves a pending letter in the due index. */
static int s_reschedule(MDB_txn *txn, const outbox_dbs_t *dbs, outbox_record_t *r, int64_t next_at)
{
    unsigned char key[8 + OUTBOX_MESSAGE_ID_MAX];
    int rc = s_del_key(txn, dbs->due, key, s_time_key(key, r->next_at, r->message_id));
    r->next_at = next_at;
    if (!rc)
        rc = s_put_key(txn, dbs->due, key, s_time_key(key, r->next_at, r->message_id));
    return rc ? rc : s_put_record(txn, dbs, r);
}

int outbox_lease(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t until)
{
    outbox_record_t r;
    int rc = s_pending(txn, dbs, message_id, &r);
    r.leased = true;
    return rc ? rc : s_reschedule(txn, dbs, &r, until);
}

int outbox_release(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at)
{
    outbox_record_t r;
    int rc = s_pending(txn, dbs, message_id, &r);
    if (rc)
        return rc;
    r.leased = false;
    return s_reschedule(txn, dbs, &r, at);
}

int outbox_release_leases(MDB_txn *txn, const outbox_dbs_t *dbs, int64_t now, int64_t horizon, size_t *count)
{
    /* Collect first: rescheduling writes into the index being walked. */
    size_t n = 0, cap = 0;
    char (*ids)[OUTBOX_MESSAGE_ID_MAX] = NULL;
    MDB_cursor *cursor;
    MDB_val k, v;
    *count = 0;
    int rc = mdb_cursor_open(txn, dbs->due, &cursor);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= 8 || k.mv_size - 8 >= OUTBOX_MESSAGE_ID_MAX
            || (int64_t) store_u64_from_key(k.mv_data) > horizon)
            break;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            void *grown = realloc(ids, cap * sizeof *ids);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            ids = grown;
        }
        memcpy(ids[n], (const char *) k.mv_data + 8, k.mv_size - 8);
        ids[n++][k.mv_size - 8] = 0;
    }
    mdb_cursor_close(cursor);
    rc = rc == MDB_NOTFOUND ? 0 : rc;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        outbox_record_t r;
        if ((rc = s_pending(txn, dbs, ids[i], &r)) || !r.leased)
            continue;
        r.leased = false;
        if (!(rc = s_reschedule(txn, dbs, &r, now)))
            (*count)++;
    }
    free(ids);
    return rc;
}

int outbox_mark_retry(MDB_txn *txn, const outbox_dbs_t *dbs, const char *message_id, int64_t at,
                      const char *error, int64_t next_at)
{
    (void) at;
    outbox_record_t r;
    int rc = s_pending(txn, dbs, message_id, &r);
    if (rc)
        return rc;
    r.attempts++;
    r.leased = false;
    snprintf(r.error, sizeof r.error, "%s", error ? error : "");
    return s_reschedule(txn, dbs, &r, next_at);
}

int outbox_purge_application(MDB_txn *txn, const outbox_dbs_t *dbs, const char *app_id, const char *keep_kind,
                             size_t *count)
{
    /* Collect first: settling writes into the index being walked. */
    size_t n = 0, cap = 0;
    char (*ids)[OUTBOX_MESSAGE_ID_MAX] = NULL;
    unsigned char prefix[OUTBOX_APP_MAX + 1];
    size_t plen = strlen(app_id) + 1;
    memcpy(prefix, app_id, plen);
    MDB_cursor *cursor;
    MDB_val k = { plen, prefix }, v;
    int rc = mdb_cursor_open(txn, dbs->by_app, &cursor);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= plen || memcmp(k.mv_data, prefix, plen))
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            void *grown = realloc(ids, cap * sizeof *ids);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            ids = grown;
        }
        size_t len = k.mv_size - plen < OUTBOX_MESSAGE_ID_MAX ? k.mv_size - plen : OUTBOX_MESSAGE_ID_MAX - 1;
        memcpy(ids[n], (const char *) k.mv_data + plen, len);
        ids[n++][len] = 0;
    }
    mdb_cursor_close(cursor);
    *count = 0;
    if (rc == MDB_NOTFOUND || rc == 0)
        rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        outbox_record_t r;
        rc = outbox_get(txn, dbs, ids[i], &r);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc || (r.state == OUTBOX_PENDING && !strcmp(r.kind, keep_kind)))
            continue;
        /* The record stays (staff may need to know a letter existed), the
         * address does not. */
        snprintf(r.to, sizeof r.to, "%s", OUTBOX_ERASED_ADDRESS);
        s_error_erased(&r);
        if (r.state == OUTBOX_PENDING) {
            if (!(rc = s_settle(txn, dbs, &r, OUTBOX_FAILED, r.created_at, "dossier effacé : courrier non envoyé")))
                (*count)++;
        } else
            rc = s_put_record(txn, dbs, &r);
    }
    free(ids);
    return rc;
}

int outbox_failed_page(MDB_txn *txn, const outbox_dbs_t *dbs, const char *after, size_t limit, outbox_visit_fn fn,
                       void *arg, bool *more)
{
    unsigned char key[8 + OUTBOX_MESSAGE_ID_MAX];
    size_t klen = 0;
    *more = false;
    if (after && *after) {
        outbox_record_t prev;
        int rc = outbox_get(txn, dbs, after, &prev);
        if (rc == 0 && prev.state == OUTBOX_FAILED)
            klen = s_time_key(key, prev.done_at, after);
        else if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    MDB_cursor *cursor;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, dbs->failed, &cursor);
    if (rc)
        return rc;
    size_t seen = 0;
    for (rc = store_seek_after(cursor, key, klen, &k, &v); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        if (seen == limit) {
            *more = true;
            break;
        }
        char id[OUTBOX_MESSAGE_ID_MAX];
        size_t len = k.mv_size > 8 && k.mv_size - 8 < sizeof id ? k.mv_size - 8 : 0;
        memcpy(id, (const char *) k.mv_data + 8, len);
        id[len] = 0;
        outbox_record_t r;
        if ((rc = outbox_get(txn, dbs, id, &r)) || (rc = fn(arg, &r, NULL, 0)))
            break;
        seen++;
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int64_t outbox_next_attempt(uint32_t attempts, int64_t first, int64_t now, uint32_t jitter)
{
    int64_t delay = first;
    for (uint32_t i = 1; i < attempts && delay < S_BACKOFF_CAP; i++)
        delay *= 2;
    if (delay > S_BACKOFF_CAP)
        delay = S_BACKOFF_CAP;
    /* jitter % 4001 - 2000 is -2000..2000 ten-thousandths: +-20 %. */
    int64_t spread = (int64_t) (jitter % 4001) - 2000;
    return now + delay + delay * spread / 10000;
}
