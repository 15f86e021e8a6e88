/*  services/notify/requests.c - see requests.h. */
#include "requests.h"

#include "letters.h"
#include "message.h"
#include "outbox.h"

#include "common/store.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DUE_DEFAULT 20
#define S_DUE_MAX 100
#define S_FAILED_DEFAULT 100

bool requests_secret_ok(const notify_t *self, const service_request_t *req)
{
    const char *hex;
    size_t len, bin_len = 0;
    unsigned char given[NOTIFY_SECRET_BYTES];
    if (!doc_str(req->msg, "secret", &hex, &len) || len != 2 * NOTIFY_SECRET_BYTES
        || sodium_hex2bin(given, sizeof given, hex, len, NULL, &bin_len, NULL) || bin_len != sizeof given)
        return false;
    return sodium_memcmp(given, notify_settings(self)->sender_secret, sizeof given) == 0;
}

static int64_t s_at(const service_request_t *req)
{
    uint64_t at = 0;
    return doc_uint(req->msg, "at", &at) ? (int64_t) at : req->now;
}

/* ---- outbox_due ------------------------------------------------------------ */

typedef struct {
    outbox_record_t *records;
    size_t count, cap;
} s_due_t;

static int s_collect(void *arg, const outbox_record_t *record, const void *body, size_t len)
{
    (void) body;
    (void) len;
    s_due_t *due = arg;
    if (due->count == due->cap)
        return -1;
    due->records[due->count++] = *record;
    return 0;
}

int requests_outbox_due(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    uint64_t limit = S_DUE_DEFAULT;
    doc_uint(req->msg, "limit", &limit);
    if (limit > S_DUE_MAX)
        limit = S_DUE_MAX;
    int64_t at = s_at(req), next_at = 0;
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    s_due_t due = { .records = calloc(limit, sizeof(outbox_record_t)), .cap = limit };
    if (!due.records)
        return ENOMEM;
    int rc = outbox_due(txn, &dbs, at, limit, s_collect, &due, &next_at);
    /* An address erased after its letter was written gets nothing, except
     * the erasure's own confirmation. */
    size_t kept = 0;
    for (size_t i = 0; rc == 0 && i < due.count; i++) {
        bool suppressed = false;
        outbox_record_t *r = &due.records[i];
        if ((rc = notify_suppressed(svc, txn, r->to, &suppressed)))
            break;
        if (suppressed && strcmp(r->kind, "erased"))
            rc = outbox_mark_failed(txn, &dbs, r->message_id, at,
                                    "adresse effacée à la demande de la personne : courrier non envoyé");
        else if (!(rc = outbox_lease(txn, &dbs, r->message_id, at + REQUESTS_LEASE)))
            due.records[kept++] = *r;
    }
    if (rc) {
        free(due.records);
        return rc;
    }
    proto_pack_reply(req->reply, "outbox_due", req->has_rid, req->rid, 2);
    proto_pack_str(req->reply, "messages");
    msgpack_pack_array(req->reply, kept);
    for (size_t i = 0; i < kept; i++) {
        const outbox_record_t *r = &due.records[i];
        MDB_val k = { strlen(r->message_id), (void *) r->message_id }, body = { 0, NULL };
        if ((rc = mdb_get(txn, dbs.bodies, &k, &body)))
            break;
        msgpack_pack_map(req->reply, 5);
        proto_pack_kv_str(req->reply, "message_id", r->message_id);
        proto_pack_kv_str(req->reply, "to", r->to);
        proto_pack_kv_str(req->reply, "from", notify_settings(self)->from);
        proto_pack_str(req->reply, "bytes");
        msgpack_pack_bin(req->reply, body.mv_size);
        msgpack_pack_bin_body(req->reply, body.mv_data, body.mv_size);
        proto_pack_kv_uint(req->reply, "attempts", r->attempts);
    }
    free(due.records);
    if (rc)
        return rc;
    proto_pack_kv_uint(req->reply, "next_at", next_at > 0 ? (uint64_t) next_at : 0);
    return 0;
}

/* ---- outbox_mark ----------------------------------------------------------- */

/*  How many bytes of a UTF-8 text, at most cap, end on a whole character:
 *  a reply cut inside one could not be decoded. */
static size_t s_utf8_prefix(const char *text, size_t len, size_t cap)
{
    if (len <= cap)
        return len;
    while (cap > 0 && ((unsigned char) text[cap] & 0xC0) == 0x80)
        cap--;
    return cap;
}

/*  The jitter of a retry, from the letter and the attempt: a replayed mark
 *  computes the same time. */
static uint32_t s_jitter(const char *message_id, uint32_t attempts)
{
    unsigned char hash[4];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof hash);
    crypto_generichash_update(&st, (const unsigned char *) message_id, strlen(message_id));
    crypto_generichash_update(&st, (const unsigned char *) &attempts, sizeof attempts);
    crypto_generichash_final(&st, hash, sizeof hash);
    return (uint32_t) hash[0] << 24 | (uint32_t) hash[1] << 16 | (uint32_t) hash[2] << 8 | hash[3];
}

static void s_pack_marked(service_request_t *req, const outbox_record_t *r)
{
    bool retry = r->state == OUTBOX_PENDING;
    proto_pack_reply(req->reply, "outbox_marked", req->has_rid, req->rid, retry ? 3 : 2);
    proto_pack_kv_str(req->reply, "message_id", r->message_id);
    proto_pack_kv_str(req->reply, "state", outbox_state_name(r->state));
    if (retry)
        proto_pack_kv_uint(req->reply, "next_at", (uint64_t) (r->next_at > 0 ? r->next_at : 0));
}

int requests_outbox_mark(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    char id[OUTBOX_MESSAGE_ID_MAX] = "", error[OUTBOX_ERROR_MAX] = "";
    int id_len = doc_strcpy(req->msg, "message_id", id, sizeof id);
    const char *given;
    size_t given_len;
    if (doc_str(req->msg, "error", &given, &given_len)) {
        size_t keep = s_utf8_prefix(given, given_len, sizeof error - 1);    /* a longer one is cut */
        memcpy(error, given, keep);
        error[keep] = '\0';
    }
    bool sent = doc_str_eq(req->msg, "outcome", "sent"), retry = doc_str_eq(req->msg, "outcome", "retry");
    bool failed = doc_str_eq(req->msg, "outcome", "failed");
    bool release = doc_str_eq(req->msg, "outcome", "release");
    if (!sent && !retry && !failed && !release)
        return service_refuse(req, PROTO_E_INVALID, "outcome", "enum", "outcome is sent, retry, failed or release");
    int64_t at = s_at(req);
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    outbox_record_t r;
    int rc = id_len < 0 || (size_t) id_len >= sizeof id ? MDB_NOTFOUND : outbox_get(txn, &dbs, id, &r);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "message_id", "exists", "no letter with this Message-ID");
    if (rc)
        return rc;
    if (r.state != OUTBOX_PENDING) {
        s_pack_marked(req, &r);     /* a repeated mark: the state it already has */
        return 0;
    }
    if (retry && at - r.created_at > NOTIFY_RETRY_GIVE_UP) {
        retry = false;
        failed = true;
        char longer[OUTBOX_ERROR_MAX];
        snprintf(longer, sizeof longer, "abandonné après %u tentatives en trois jours ; dernière erreur : %.*s",
                 r.attempts + 1, (int) s_utf8_prefix(error, strlen(error), 400), error);
        snprintf(error, sizeof error, "%s", longer);
    }
    if (release)
        rc = outbox_release(txn, &dbs, id, at);
    else if (sent)
        rc = outbox_mark_sent(txn, &dbs, id, at);
    else if (retry)
        rc = outbox_mark_retry(txn, &dbs, id, at, error, outbox_next_attempt(r.attempts + 1, notify_settings(self)->retry_first_s, at, s_jitter(id, r.attempts + 1)));
    else if (!(rc = outbox_mark_failed(txn, &dbs, id, at, error)))
        rc = notify_tell_staff_failed(self, svc, txn, id, at);
    if (rc || (rc = outbox_get(txn, &dbs, id, &r)))
        return rc;
    s_pack_marked(req, &r);
    return 0;
}

/* ---- mail_tick, mail_digest --------------------------------------------- */

static void s_pack_count(service_request_t *req, const char *type, size_t count)
{
    proto_pack_reply(req->reply, type, req->has_rid, req->rid, 1);
    proto_pack_kv_uint(req->reply, "letters", count);
}

int requests_mail_tick(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    size_t count = 0;
    int rc = notify_reminders_due(self, svc, txn, s_at(req), req->now, &count);
    if (rc == 0)
        s_pack_count(req, "mail_ticked", count);
    return rc;
}

/*  members: hash16(address) ‖ id ‖ 0 ‖ be32(round) -> one byte of flags. */
#define S_ANNOUNCED 1u
#define S_RECALLED 2u

typedef struct {
    service_t *svc;
    MDB_txn *txn;
    int rc;
} s_members_t;

static size_t s_member_key(unsigned char *out, const char *email, const char *id, uint64_t round)
{
    char hash[17];
    message_address_hash16(email, hash);
    size_t ilen = strlen(id);
    memcpy(out, hash, 16);
    memcpy(out + 16, id, ilen);
    out[16 + ilen] = 0;
    for (int i = 0; i < 4; i++)
        out[17 + ilen + i] = (unsigned char) (round >> (24 - 8 * i));
    return 21 + ilen;
}

static unsigned s_flags(s_members_t *m, const char *email, const char *id, uint64_t round)
{
    unsigned char key[21 + OUTBOX_APP_MAX];
    MDB_val k = { s_member_key(key, email, id, round), key }, v;
    int rc = mdb_get(m->txn, service_db(m->svc, NOTIFY_DB_MEMBERS), &k, &v);
    if (rc && rc != MDB_NOTFOUND && !m->rc)
        m->rc = rc;
    return rc == 0 && v.mv_size == 1 ? *(const unsigned char *) v.mv_data : 0;
}

static bool s_is_new(void *arg, const char *email, const char *id, uint64_t round)
{
    return !(s_flags(arg, email, id, round) & S_ANNOUNCED);
}

static bool s_is_recalled(void *arg, const char *email, const char *id, uint64_t round)
{
    return s_flags(arg, email, id, round) & S_RECALLED;
}

/*  Marks the files a letter just written named, so that the next digest
 *  does not name them again. */
static int s_mark_files(s_members_t *m, const letters_member_filter_t *filter, const notify_settings_t *settings,
                        const letter_t *l, const msgpack_object *member, int64_t at)
{
    unsigned bit = strcmp(l->kind, "member_digest") ? S_RECALLED : S_ANNOUNCED;
    const msgpack_object *files = doc_array(member, "files");
    for (size_t i = 0; i < doc_len(files); i++) {
        const msgpack_object *f = doc_at(files, i);
        if (!letters_file_is_due(filter, settings, l->kind, l->to, f, at))
            continue;
        char id[OUTBOX_APP_MAX];
        uint64_t round = 0;
        doc_strcpy(f, "id", id, sizeof id);
        doc_uint(f, "round", &round);
        unsigned char key[21 + OUTBOX_APP_MAX], flags = (unsigned char) (s_flags(m, l->to, id, round) | bit);
        int rc = m->rc ? m->rc : store_put(m->txn, service_db(m->svc, NOTIFY_DB_MEMBERS), key,
                                           s_member_key(key, l->to, id, round), &flags, 1);
        if (rc)
            return rc;
    }
    return 0;
}

int requests_mail_digest(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    int64_t at = s_at(req);
    const notify_settings_t *settings = notify_settings(self);
    const msgpack_object *pending = doc_map(req->msg, "pending");
    s_members_t m = { svc, txn, 0 };
    letters_member_filter_t filter = { s_is_new, s_is_recalled, &m };
    letters_t letters;
    letters_init(&letters);
    int rc = letters_digest(&letters, settings, pending, at, &filter) ? ENOMEM : m.rc;
    size_t count = 0;
    const msgpack_object *members = doc_array(pending, "members");
    /* Marked only when the letter went in: a digest asked twice the same
     * day adds nothing, and a file it did not name stays new. */
    for (size_t i = 0; rc == 0 && i < letters.count; i++) {
        bool added = false;
        const letter_t *l = &letters.items[i];
        if (!(rc = notify_post_one(self, svc, txn, &letters, i, req->now, &added)) && added) {
            count++;
            rc = s_mark_files(&m, &filter, settings, l, doc_at(members, l->member), at);
        }
    }
    letters_clear(&letters);
    if (rc == 0)
        s_pack_count(req, "mail_digested", count);
    return rc;
}

/* ---- mail_failed -------------------------------------------------------- */

typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    size_t count;
    char last[OUTBOX_MESSAGE_ID_MAX];
} s_failed_t;

static int s_pack_failed(void *arg, const outbox_record_t *r, const void *body, size_t len)
{
    (void) body;
    (void) len;
    s_failed_t *f = arg;
    msgpack_pack_map(&f->pk, 8);
    proto_pack_kv_str(&f->pk, "message_id", r->message_id);
    proto_pack_kv_str(&f->pk, "to", r->to);
    proto_pack_kv_str(&f->pk, "kind", r->kind);
    proto_pack_kv_str(&f->pk, "id", r->app_id);
    proto_pack_kv_str(&f->pk, "error", r->error);
    proto_pack_kv_uint(&f->pk, "attempts", r->attempts);
    proto_pack_kv_int(&f->pk, "created_at", r->created_at);
    proto_pack_kv_int(&f->pk, "failed_at", r->done_at);
    snprintf(f->last, sizeof f->last, "%s", r->message_id);
    f->count++;
    return 0;
}

int requests_mail_failed(notify_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    (void) self;
    char after[OUTBOX_MESSAGE_ID_MAX] = "";
    uint64_t limit = S_FAILED_DEFAULT;
    doc_strcpy(req->msg, "after", after, sizeof after);
    doc_uint(req->msg, "limit", &limit);
    outbox_dbs_t dbs;
    notify_outbox_dbs(svc, &dbs);
    s_failed_t f = { .count = 0 };
    msgpack_sbuffer_init(&f.buf);
    msgpack_packer_init(&f.pk, &f.buf, msgpack_sbuffer_write);
    bool more = false;
    int rc = outbox_failed_page(txn, &dbs, after, limit, s_pack_failed, &f, &more);
    if (rc == 0) {
        proto_pack_reply(req->reply, "mail_failed", req->has_rid, req->rid, more ? 2 : 1);
        proto_pack_str(req->reply, "letters");
        msgpack_pack_array(req->reply, f.count);
        proto_pack_raw(req->reply, f.buf.data, f.buf.size);
        if (more)
            proto_pack_kv_str(req->reply, "next", f.last);
    }
    msgpack_sbuffer_destroy(&f.buf);
    return rc;
}
