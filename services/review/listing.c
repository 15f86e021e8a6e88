/*  services/review/listing.c - see listing.h. */
#include "listing.h"

#include "amended.h"
#include "ballots.h"
#include "rounds.h"

#include "proto/date.h"
#include "common/store.h"

#include <stdio.h>
#include <string.h>

#define S_DAY 86400
#define S_KEY_MAX REVIEW_EXPIRY_KEY_MAX

/* ----------------------------------------------------------------- expiry */

static int64_t s_day_of(int64_t at)
{
    return at >= 0 ? at / S_DAY : -((-at + S_DAY - 1) / S_DAY);
}

/*  Lowers *e to the end date `text` when it parses and comes earlier. */
static void s_earlier(review_expiry_t *e, const char *text, review_expiry_cause_t cause)
{
    int32_t days;
    if (text && date_parse(text, strlen(text), &days) == 0 && (int64_t)days * S_DAY < e->expires) {
        e->expires = (int64_t)days * S_DAY;
        e->cause = cause;
    }
}

review_expiry_t review_expiry(int64_t approved_at, unsigned years, bool follows, const char *esus,
                              const char *qualiopi)
{
    int32_t day = (int32_t)s_day_of(approved_at);
    review_expiry_t e = {(int64_t)date_add_years(day, (int)years) * S_DAY, EXPIRY_YEARS};
    if (follows) {
        s_earlier(&e, esus, EXPIRY_ESUS);
        s_earlier(&e, qualiopi, EXPIRY_QUALIOPI);
    }
    return e;
}

review_expiry_t listing_expiry_of(const review_rules_t *rules, const msgpack_object *application,
                                  int64_t approved_at)
{
    const msgpack_object *org = doc_map(application, "organisation");
    char esus[16], qualiopi[16];
    bool has_esus = doc_strcpy(doc_map(org, "esus"), "expires", esus, sizeof esus) == 10;
    bool has_qualiopi = doc_strcpy(doc_map(org, "qualiopi"), "expires", qualiopi, sizeof qualiopi) == 10;
    return review_expiry(approved_at, rules->listing_years, rules->expiry_follows, has_esus ? esus : NULL,
                         has_qualiopi ? qualiopi : NULL);
}

const char *listing_cause_name(review_expiry_cause_t cause)
{
    static const char *const names[] = {"years", "esus", "qualiopi"};
    return names[cause];
}

/* ------------------------------------------------------------------ index */

static size_t s_index_key(unsigned char key[S_KEY_MAX], int64_t expires, const msgpack_object *id)
{
    size_t len = id->via.str.size < PROTO_ID_MAX ? id->via.str.size : PROTO_ID_MAX;
    store_u64_key((uint64_t)expires, key);
    memcpy(key + 8, id->via.str.ptr, len);
    return 8 + len;
}

int listing_index_add(service_t *svc, MDB_txn *txn, const msgpack_object *id, int64_t expires)
{
    unsigned char key[S_KEY_MAX];
    size_t len = s_index_key(key, expires, id);
    return store_put(txn, service_db(svc, REVIEW_DB_EXPIRY), key, len, "", 0);
}

int listing_index_forget(service_t *svc, MDB_txn *txn, const msgpack_object *file)
{
    uint64_t expires;
    if (!doc_uint(file, "expires", &expires))
        return 0;
    unsigned char key[S_KEY_MAX];
    MDB_val k = {s_index_key(key, (int64_t)expires, doc_get(file, "id")), key};
    int rc = mdb_del(txn, service_db(svc, REVIEW_DB_EXPIRY), &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ------------------------------------------------------------------- ends */

/*  Ends a listing (or a file): state withdrawn, kind `ended`, out of the
 *  expiry index, and `withdrawn` appended with the reason for people. */
static int s_end(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                 const char *kind, const msgpack_object *reason, int64_t now)
{
    char id[PROTO_ID_MAX + 1];
    doc_strcpy(file, "id", id, sizeof id);
    msgpack_object key = review_str(id);
    review_set_t event[] = {{"id", key}, {"reason", *reason}, {"kind", review_str(kind)}};
    int rc = listing_index_forget(svc, txn, file);
    if (rc == 0)
        rc = review_emit(svc, txn, "withdrawn", now, event, 3);
    review_set_t set[] = {{"state", review_str(FILE_WITHDRAWN)}, {"ended", review_str(kind)},
                          {"ended_at", review_uint((uint64_t)now)}};
    if (rc == 0)
        rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, file, set, 3);
    return rc;
}

static void s_pack_ack(service_request_t *req, const char *state)
{
    proto_pack_reply(req->reply, "ack", req->has_rid, req->rid, 2);
    proto_pack_str(req->reply, "id");
    msgpack_pack_object(req->reply, *doc_get(req->msg, "id"));
    proto_pack_kv_str(req->reply, "state", state);
}

int listing_withdraw(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_object file;
    int rc = review_load_file(self, svc, txn, req, &file);
    if (rc)
        return rc;
    s_pack_ack(req, STATE_WITHDRAWN);
    if (doc_str_eq(&file, "state", FILE_WITHDRAWN))
        return 0;
    return s_end(self, svc, txn, &file, "withdrawn", doc_get(req->msg, "reason"), req->now);
}

/* -------------------------------------------------------------- complaint */

int listing_complaint(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_object file;
    int rc = review_load_file(self, svc, txn, req, &file);
    if (rc)
        return rc;
    if (review_is_suspended(&file)) {
        s_pack_ack(req, STATE_SUSPENDED);
        return 0;
    }
    if (!review_is_listed(&file))
        return service_refuse(req, PROTO_E_CONFLICT, "id", "state",
                              "only a listed file (approved or reinstated, not withdrawn, suspended or expired) "
                              "can be the subject of a complaint");
    char day[11], text[160];
    date_format((int32_t)s_day_of(req->now), day);
    snprintf(text, sizeof text,
             "Inscription suspendue le %s : une réclamation est soumise au comité, qui décidera de la "
             "rétablir ou de la retirer.", day);
    msgpack_object reason = review_str(text);
    review_set_t event[] = {{"id", *doc_get(req->msg, "id")}, {"reason", reason}, {"kind", review_str("suspended")}};
    if ((rc = listing_index_forget(svc, txn, &file)) || (rc = review_emit(svc, txn, "withdrawn", req->now, event, 3)))
        return rc;
    review_set_t extra[] = {{"complaint", *doc_get(req->msg, "reason")},
                            {"complained_at", review_uint((uint64_t)req->now)}};
    s_pack_ack(req, STATE_SUSPENDED);
    char id[PROTO_ID_MAX + 1];
    doc_strcpy(&file, "id", id, sizeof id);
    if ((rc = rounds_open(self, svc, txn, &file, "complaint", extra, 2, req->now)))
        return rc;
    return amended_drop_update(self, svc, txn, id);
}

/* ------------------------------------------------------------------- tick */

static const char *s_years_words(unsigned years, char *buf, size_t cap)
{
    static const char *const words[] = {"zéro an", "un an", "deux ans", "trois ans", "quatre ans", "cinq ans",
                                        "six ans", "sept ans", "huit ans", "neuf ans", "dix ans"};
    if (years <= 10)
        return words[years];
    snprintf(buf, cap, "%u ans", years);
    return buf;
}

/*  "L'inscription a expiré le AAAA-MM-JJ (cause)." */
static void s_expired_reason(const review_rules_t *rules, const msgpack_object *file, char *out, size_t cap)
{
    uint64_t expires = 0;
    doc_uint(file, "expires", &expires);
    char day[11], years[32], cause[96];
    date_format((int32_t)s_day_of((int64_t)expires), day);
    if (doc_str_eq(file, "expires_cause", "esus"))
        snprintf(cause, sizeof cause, "échéance de l'agrément ESUS");
    else if (doc_str_eq(file, "expires_cause", "qualiopi"))
        snprintf(cause, sizeof cause, "fin de validité du certificat Qualiopi");
    else
        snprintf(cause, sizeof cause, "%s après l'approbation",
                 s_years_words(rules->listing_years, years, sizeof years));
    snprintf(out, cap, "L'inscription a expiré le %s (%s).", day, cause);
}

/*  One due key of the index: forgets it and, when its file is still
 *  listed with that expiry, withdraws the listing.  *expired tells. */
static int s_expire(review_t *self, service_t *svc, MDB_txn *txn, const MDB_val *key, int64_t now,
                    bool *expired)
{
    msgpack_object file, id = review_strn((const char *)key->mv_data + 8, key->mv_size - 8);
    uint64_t expires = 0;
    *expired = false;
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), &id, &self->zone, &file);
    if (rc == 0 && review_is_listed(&file) && doc_uint(&file, "expires", &expires)
        && expires == store_u64_from_key(key->mv_data)) {
        char text[200];
        s_expired_reason(&self->rules, &file, text, sizeof text);
        msgpack_object reason = review_str(text);
        *expired = true;
        return s_end(self, svc, txn, &file, "expired", &reason, now);
    }
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    MDB_val k = *key;
    return mdb_del(txn, service_db(svc, REVIEW_DB_EXPIRY), &k, NULL);
}

/*  Reads the due keys (expires <= now) into keys, at most REVIEW_TICK_MAX;
 *  *more says whether others are due. */
static int s_due(MDB_txn *txn, MDB_dbi db, int64_t now, unsigned char (*keys)[S_KEY_MAX], size_t *lens,
                 size_t *count, bool *more)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, db, &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    *count = 0;
    *more = false;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        if (key.mv_size < 9 || key.mv_size > S_KEY_MAX || (int64_t)store_u64_from_key(key.mv_data) > now)
            break;
        if (*count == REVIEW_TICK_MAX) {
            *more = true;
            break;
        }
        memcpy(keys[*count], key.mv_data, key.mv_size);
        lens[(*count)++] = key.mv_size;
    }
    mdb_cursor_close(cursor);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc;
}

int listing_tick(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    unsigned char (*keys)[S_KEY_MAX] = self->due_keys;
    size_t *lens = self->due_lens;
    uint64_t now = (uint64_t)req->now;
    doc_uint(req->msg, "now", &now);
    size_t count;
    bool more;
    int rc = s_due(txn, service_db(svc, REVIEW_DB_EXPIRY), (int64_t)now, keys, lens, &count, &more);
    if (rc)
        return rc;
    /* Which due keys were listings withdrawn now (the others were out of
     * date); the ids are read back from the keys, which outlive the zone
     * each expiry clears. */
    bool withdrawn[REVIEW_TICK_MAX];
    size_t expired = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        MDB_val key = {lens[i], keys[i]};
        msgpack_zone_clear(&self->zone);
        rc = s_expire(self, svc, txn, &key, (int64_t)now, &withdrawn[i]);
        expired += rc == 0 && withdrawn[i];
    }
    if (rc)
        return rc;
    proto_pack_reply(req->reply, "ticked", req->has_rid, req->rid, 3);
    proto_pack_kv_uint(req->reply, "now", now);
    proto_pack_str(req->reply, "expired");
    msgpack_pack_array(req->reply, expired);
    for (size_t i = 0; i < count; i++)
        if (withdrawn[i])
            msgpack_pack_str_with_body(req->reply, keys[i] + 8, lens[i] - 8);
    proto_pack_kv_bool(req->reply, "more", more);
    return 0;
}

/* ---------------------------------------------------------------- renewal */

int listing_renewed(review_t *self, service_t *svc, MDB_txn *txn, const char *old_id, const char *new_id,
                    int64_t now)
{
    msgpack_object file, key = review_str(old_id);
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), &key, &self->zone, &file);
    if (rc == MDB_NOTFOUND || (rc == 0 && !review_is_listed(&file)))
        return 0;
    if (rc)
        return rc;
    char text[200];
    snprintf(text, sizeof text, "Inscription renouvelée : elle est remplacée par celle du dossier %s.", new_id);
    msgpack_object reason = review_str(text);
    return s_end(self, svc, txn, &file, "renewed", &reason, now);
}

/* ---------------------------------------------------------------- erasure */

static const char *const s_vote_keys[] = {"member", "college", "decision", "at", NULL};

/*  The votes without their motivations. */
static msgpack_object s_plain_votes(msgpack_zone *zone, const msgpack_object *votes)
{
    msgpack_object list = {.type = MSGPACK_OBJECT_ARRAY};
    for (size_t i = 0; i < doc_len(votes); i++)
        list = review_append(zone, &list, review_keep(zone, doc_at(votes, i), s_vote_keys));
    return list;
}

static msgpack_object s_plain_rounds(msgpack_zone *zone, const msgpack_object *rounds)
{
    static const char *const round_keys[] = {"round", "revision", "kind", "decision", NULL};
    msgpack_object list = {.type = MSGPACK_OBJECT_ARRAY};
    for (size_t i = 0; i < doc_len(rounds); i++) {
        const msgpack_object *round = doc_at(rounds, i);
        review_set_t pairs[5];
        size_t n = 0;
        for (size_t k = 0; round_keys[k]; k++)
            if (doc_get(round, round_keys[k]))
                pairs[n++] = (review_set_t){round_keys[k], *doc_get(round, round_keys[k])};
        pairs[n++] = (review_set_t){"votes", s_plain_votes(zone, doc_array(round, "votes"))};
        list = review_append(zone, &list, review_map(zone, pairs, n));
    }
    return list;
}

/*  What is kept of an erased file: who decided what, when. */
static size_t s_pseudonymised(msgpack_zone *zone, const msgpack_object *file, int64_t now, review_set_t *set)
{
    static const char *const kept[] = {"id", "revision", "round", "kind", "decision", "appealed", "renews",
                                       "approved_at", "expires", "complained_at", NULL};
    static const char *const recusal_keys[] = {"member", "at", "round", NULL};
    size_t n = 0;
    for (size_t i = 0; kept[i]; i++)
        if (doc_get(file, kept[i]))
            set[n++] = (review_set_t){kept[i], *doc_get(file, kept[i])};
    const msgpack_object *recusals = doc_array(file, "recusals");
    msgpack_object plain = {.type = MSGPACK_OBJECT_ARRAY};
    for (size_t i = 0; i < doc_len(recusals); i++)
        plain = review_append(zone, &plain, review_keep(zone, doc_at(recusals, i), recusal_keys));
    set[n++] = (review_set_t){"recusals", plain};
    set[n++] = (review_set_t){"votes", s_plain_votes(zone, doc_array(file, "votes"))};
    set[n++] = (review_set_t){"rounds", s_plain_rounds(zone, doc_array(file, "rounds"))};
    set[n++] = (review_set_t){"state", review_str(FILE_WITHDRAWN)};
    set[n++] = (review_set_t){"ended", review_str("erased")};
    set[n++] = (review_set_t){"ended_at", review_uint((uint64_t)now)};
    set[n++] = (review_set_t){"erased", review_bool(true)};
    return n;
}

int listing_apply_erased(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                         int64_t now)
{
    char id[PROTO_ID_MAX + 1];
    if (doc_strcpy(event, "id", id, sizeof id) <= 0)
        return 0;
    msgpack_object file, key = review_str(id);
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), &key, &self->zone, &file);
    if (rc == MDB_NOTFOUND || (rc == 0 && doc_bool(&file, "erased", false)))
        return 0;
    if (rc || (rc = listing_index_forget(svc, txn, &file)))
        return rc;
    review_set_t set[24];
    size_t n = s_pseudonymised(&self->zone, &file, now, set);
    if ((rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, NULL, set, n))
        || (rc = ballots_strip(self, svc, txn, &key)) || (rc = rounds_forget_content(svc, txn, &key)))
        return rc;
    /* Redact first, then append: the withdrawn event says why and stays. */
    if ((rc = service_log_redact(svc, txn, id, strlen(id), NULL, NULL, NULL)))
        return rc;
    review_set_t withdrawn[] = {
        {"id", key},
        {"reason", review_str("Données effacées à la demande de l'accompagnateur (RGPD).")},
        {"kind", review_str("erased")}};
    return review_emit(svc, txn, "withdrawn", now, withdrawn, 3);
}
