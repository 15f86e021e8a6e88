/*  services/review/review.c - see review.h. */
#include "review.h"

#include "common/auth.h"
#include "common/config.h"
#include "common/doc.h"
#include "common/log.h"
#include "common/store.h"
#include "proto/messages.h"

#include <stdlib.h>
#include <string.h>

const char *const review_dbs[] = {"members", "files", NULL};

#define S_FILE_OPEN      "open"
#define S_FILE_DECIDED   "decided"
#define S_FILE_WITHDRAWN "withdrawn"
#define S_SIREN_LEN      9
#define S_VOTES_MAX      256

typedef struct {
    review_rules_t rules;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_zone zone;
} review_t;

review_rules_t review_rules_from_env(void)
{
    review_rules_t rules;
    rules.quorum_votes = (unsigned)config_env_long("ESSP_QUORUM_VOTES", 3, 1, 1000);
    rules.quorum_colleges = (unsigned)config_env_long("ESSP_QUORUM_COLLEGES", 2, 1, 3);
    return rules;
}

void *review_context_new(review_rules_t rules)
{
    review_t *self = calloc(1, sizeof *self);
    self->rules = rules;
    msgpack_sbuffer_init(&self->buf);
    msgpack_packer_init(&self->pk, &self->buf, msgpack_sbuffer_write);
    msgpack_zone_init(&self->zone, 8192);
    return self;
}

void review_context_destroy(void **ctx_p)
{
    review_t *self = *ctx_p;
    if (self) {
        msgpack_sbuffer_destroy(&self->buf);
        msgpack_zone_destroy(&self->zone);
        free(self);
    }
    *ctx_p = NULL;
}

/* ------------------------------------------------------------ the quorum */

const char *review_outcome(const review_rules_t *rules, const char *const *decisions,
                           const char *const *colleges, size_t count)
{
    static const char *const options[] = {"approve", "reject", "changes"};
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(colleges[i], colleges[j]) == 0;
        distinct += !seen;
    }
    if (count < rules->quorum_votes || distinct < rules->quorum_colleges)
        return NULL;
    for (size_t o = 0; o < 3; o++) {
        size_t votes = 0;
        for (size_t i = 0; i < count; i++)
            votes += strcmp(decisions[i], options[o]) == 0;
        if (2 * votes > count)
            return options[o];
    }
    return NULL;
}

/* ---------------------------------------------------------------- helpers */

static int s_error(service_request_t *req, const char *code, const char *field, const char *rule,
                   const char *message)
{
    proto_error_t err;
    proto_error_set(&err, field, rule, "%s", message);
    proto_pack_error(req->reply, req->has_rid, req->rid, code, &err);
    return 0;
}

/*  The SIREN (9 digits) of a SIREN or SIRET typed with or without spaces;
 *  false when it is neither. */
static bool s_siren_of(const char *text, size_t len, char out[S_SIREN_LEN + 1])
{
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] >= '0' && text[i] <= '9') {
            if (digits < S_SIREN_LEN)
                out[digits] = text[i];
            digits++;
        } else if (text[i] != ' ') {
            return false;
        }
    }
    out[S_SIREN_LEN] = '\0';
    return digits == S_SIREN_LEN || digits == 14;
}

static int s_load(MDB_txn *txn, MDB_dbi db, const msgpack_object *key_str, msgpack_zone *zone,
                  msgpack_object *out)
{
    return store_get_doc(txn, db, key_str->via.str.ptr, key_str->via.str.size, zone, out);
}

static int s_store(MDB_txn *txn, MDB_dbi db, const msgpack_object *key_str, msgpack_sbuffer *buf)
{
    return store_put(txn, db, key_str->via.str.ptr, key_str->via.str.size, buf->data, buf->size);
}

/*  The member a request speaks for: the one its key names (the service
 *  shell put the name the certificate store gives in peer_name).  A
 *  "member" field, when sent, must name the same member; otherwise the
 *  refusal is packed and false returned. */
static bool s_member_of(service_request_t *req, msgpack_object *out)
{
    out->type = MSGPACK_OBJECT_STR;
    out->via.str.ptr = req->peer_name;
    out->via.str.size = (uint32_t)strlen(req->peer_name);
    const msgpack_object *claimed = doc_get(req->msg, "member");
    if (claimed && (claimed->via.str.size != out->via.str.size
                    || memcmp(claimed->via.str.ptr, out->via.str.ptr, out->via.str.size) != 0)) {
        s_error(req, PROTO_E_FORBIDDEN, "member", "identity",
                "this key belongs to another member: a member votes and reads a queue only as themself");
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- members */

static int s_member_add(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    const msgpack_object *name = doc_get(req->msg, "name");
    const msgpack_object *ties = doc_array(req->msg, "ties");
    char sirens[50][S_SIREN_LEN + 1];
    for (size_t i = 0; i < doc_len(ties); i++) {
        const msgpack_object *tie = doc_at(ties, i);
        if (!s_siren_of(tie->via.str.ptr, tie->via.str.size, sirens[i])) {
            char field[32];
            snprintf(field, sizeof field, "ties[%zu]", i);
            return s_error(req, PROTO_E_INVALID, field, "siren",
                           "a tie is a SIREN (9 digits) or a SIRET (14 digits)");
        }
    }
    msgpack_object existing;
    int rc = s_load(txn, service_db(svc, REVIEW_DB_MEMBERS), name, &self->zone, &existing);
    if (rc == 0) {
        char text[PROTO_NAME_MAX + 1], message[PROTO_MESSAGE_MAX];
        doc_strcpy(req->msg, "name", text, sizeof text);
        snprintf(message, sizeof message, "a member named '%s' already exists", text);
        return s_error(req, PROTO_E_CONFLICT, "name", "unique", message);
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    msgpack_sbuffer_clear(&self->buf);
    msgpack_packer *pk = &self->pk;
    msgpack_pack_map(pk, 4);
    proto_pack_str(pk, "name");
    msgpack_pack_object(pk, *name);
    proto_pack_str(pk, "college");
    msgpack_pack_object(pk, *doc_get(req->msg, "college"));
    proto_pack_str(pk, "ties");
    msgpack_pack_array(pk, doc_len(ties));
    for (size_t i = 0; i < doc_len(ties); i++)
        proto_pack_str(pk, sirens[i]);
    proto_pack_kv_uint(pk, "added_at", (uint64_t)req->now);
    rc = s_store(txn, service_db(svc, REVIEW_DB_MEMBERS), name, &self->buf);
    if (rc)
        return rc;
    proto_pack_reply(req->reply, "member", req->has_rid, req->rid, 3);
    proto_pack_str(req->reply, "name");
    msgpack_pack_object(req->reply, *name);
    proto_pack_str(req->reply, "college");
    msgpack_pack_object(req->reply, *doc_get(req->msg, "college"));
    proto_pack_str(req->reply, "ties");
    msgpack_pack_array(req->reply, doc_len(ties));
    for (size_t i = 0; i < doc_len(ties); i++)
        proto_pack_str(req->reply, sirens[i]);
    return 0;
}

static int s_member_list(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, REVIEW_DB_MEMBERS), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    size_t count = 0;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        count++;
    proto_pack_reply(req->reply, "members", req->has_rid, req->rid, 1);
    proto_pack_str(req->reply, "members");
    msgpack_pack_array(req->reply, count);
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        proto_pack_raw(req->reply, value.mv_data, value.mv_size);
    mdb_cursor_close(cursor);
    (void)self;
    return 0;
}

/*  Removes a member.  Their votes stay in the files they voted on; their
 *  key is refused once the CLI has taken it out of keys/allowed. */
static int s_member_remove(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    const msgpack_object *name = doc_get(req->msg, "name");
    MDB_dbi db = service_db(svc, REVIEW_DB_MEMBERS);
    msgpack_object member;
    int rc = s_load(txn, db, name, &self->zone, &member);
    if (rc == MDB_NOTFOUND)
        return s_error(req, PROTO_E_NOT_FOUND, "name", "exists", "no committee member has this name");
    if (rc)
        return rc;
    const msgpack_object *ties = doc_array(&member, "ties");
    proto_pack_reply(req->reply, "member", req->has_rid, req->rid, 3);
    proto_pack_str(req->reply, "name");
    msgpack_pack_object(req->reply, *name);
    proto_pack_str(req->reply, "college");
    msgpack_pack_object(req->reply, *doc_get(&member, "college"));
    proto_pack_str(req->reply, "ties");
    msgpack_pack_array(req->reply, doc_len(ties));
    for (size_t i = 0; i < doc_len(ties); i++)
        msgpack_pack_object(req->reply, *doc_at(ties, i));
    /* Packed before the delete: member points into the stored bytes. */
    MDB_val key = {name->via.str.size, (void *)name->via.str.ptr};
    return mdb_del(txn, db, &key, NULL);
}

/* -------------------------------------------------------------- conflicts */

/*  Packs the conflicts between a member's ties and a file (applicant SIREN,
 *  reference clients); returns how many, packing nothing when pk is NULL. */
static size_t s_conflicts(const msgpack_object *member, const msgpack_object *file,
                          msgpack_packer *pk)
{
    const msgpack_object *ties = doc_array(member, "ties");
    const msgpack_object *parties = doc_array(file, "parties");
    size_t count = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && pk)
            msgpack_pack_array(pk, count);
        if (pass == 1 && !pk)
            break;
        for (size_t p = 0; p < doc_len(parties); p++) {
            const msgpack_object *party = doc_at(parties, p);
            const msgpack_object *siren = doc_get(party, "siren");
            for (size_t t = 0; t < doc_len(ties) && siren; t++) {
                const msgpack_object *tie = doc_at(ties, t);
                if (tie->type != MSGPACK_OBJECT_STR || siren->type != MSGPACK_OBJECT_STR
                    || tie->via.str.size != siren->via.str.size
                    || memcmp(tie->via.str.ptr, siren->via.str.ptr, tie->via.str.size) != 0)
                    continue;
                if (pass == 0) {
                    count++;
                } else {
                    msgpack_pack_object(pk, *party);
                }
            }
        }
    }
    return count;
}

/*  Who a file is about, by SIREN: the applicant, its reference clients,
 *  and the organisations it declares ties with (charter LOY-COI: declared
 *  links feed conflict detection).  A member tied to any of them is
 *  recused. */
typedef struct {
    char siren[S_SIREN_LEN + 1];
    const char *role;
    const msgpack_object *name;   /* NULL when the file gives none */
} party_t;

#define S_PARTIES_MAX 128

static size_t s_add_party(party_t *parties, size_t count, const msgpack_object *number,
                          const char *role, const msgpack_object *name)
{
    if (count >= S_PARTIES_MAX || !number || number->type != MSGPACK_OBJECT_STR
        || !s_siren_of(number->via.str.ptr, number->via.str.size, parties[count].siren))
        return count;
    parties[count].role = role;
    parties[count].name = name && name->type == MSGPACK_OBJECT_STR ? name : NULL;
    return count + 1;
}

static void s_pack_parties(msgpack_packer *pk, const msgpack_object *application)
{
    party_t parties[S_PARTIES_MAX];
    const msgpack_object *org = doc_map(application, "organisation");
    const msgpack_object *refs = doc_array(application, "references");
    const msgpack_object *ties = doc_array(doc_map(application, "ties"), "organisations");
    size_t count = s_add_party(parties, 0, doc_get(org, "siret"), "applicant", doc_get(org, "name"));
    for (size_t i = 0; i < doc_len(refs); i++)
        count = s_add_party(parties, count, doc_get(doc_at(refs, i), "client_siren"), "reference_client",
                            doc_get(doc_at(refs, i), "client"));
    for (size_t i = 0; i < doc_len(ties); i++)
        count = s_add_party(parties, count, doc_at(ties, i), "declared_tie", NULL);
    msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++) {
        msgpack_pack_map(pk, parties[i].name ? 3 : 2);
        proto_pack_kv_str(pk, "siren", parties[i].siren);
        proto_pack_kv_str(pk, "role", parties[i].role);
        if (parties[i].name) {
            proto_pack_str(pk, "name");
            msgpack_pack_object(pk, *parties[i].name);
        }
    }
}

/* ------------------------------------------------------------------ files */

/*  Packs a file record.  Fields come from `base` (the previous record, may
 *  be NULL) unless given; votes/rounds are packed by the callers through
 *  the two callbacks' results, so each transition states what it changes. */
typedef struct {
    const msgpack_object *id;
    uint64_t revision;
    uint64_t round;
    const char *state;
    const char *decision;                 /* NULL: nil */
    const msgpack_object *application;
    const msgpack_object *report;
    const msgpack_object *old_votes;      /* votes kept */
    const msgpack_object *new_vote;       /* request of a vote to append, or NULL */
    const msgpack_object *new_vote_member; /* the member its key names */
    const char *new_vote_college;
    const msgpack_object *old_rounds;
    bool close_round;                     /* move the current votes into rounds */
    const msgpack_object *closing_votes;
    const char *closing_decision;
    uint64_t closing_round, closing_revision;
    int64_t now;
} file_t;

static void s_pack_vote(msgpack_packer *pk, const msgpack_object *vote_req, const msgpack_object *member,
                        const char *college, int64_t now)
{
    const msgpack_object *motivation = doc_get(vote_req, "motivation");
    msgpack_pack_map(pk, 5);
    proto_pack_str(pk, "member");
    msgpack_pack_object(pk, *member);
    proto_pack_kv_str(pk, "college", college);
    proto_pack_str(pk, "decision");
    msgpack_pack_object(pk, *doc_get(vote_req, "decision"));
    proto_pack_str(pk, "motivation");
    if (motivation)
        msgpack_pack_object(pk, *motivation);
    else
        msgpack_pack_str_with_body(pk, "", 0);
    proto_pack_kv_uint(pk, "at", (uint64_t)now);
}

static void s_pack_file(msgpack_packer *pk, const file_t *f)
{
    msgpack_pack_map(pk, 11);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *f->id);
    proto_pack_kv_uint(pk, "revision", f->revision);
    proto_pack_kv_uint(pk, "round", f->round);
    proto_pack_kv_str(pk, "state", f->state);
    proto_pack_str(pk, "decision");
    if (f->decision)
        proto_pack_str(pk, f->decision);
    else
        msgpack_pack_nil(pk);
    proto_pack_str(pk, "name");
    const msgpack_object *name = doc_path(f->application, "organisation.name");
    if (name)
        msgpack_pack_object(pk, *name);
    else
        msgpack_pack_str_with_body(pk, "", 0);
    proto_pack_str(pk, "parties");
    s_pack_parties(pk, f->application);
    proto_pack_str(pk, "application");
    msgpack_pack_object(pk, *f->application);
    proto_pack_str(pk, "report");
    msgpack_pack_object(pk, *f->report);
    proto_pack_str(pk, "votes");
    size_t kept = doc_len(f->old_votes);
    msgpack_pack_array(pk, kept + (f->new_vote != NULL));
    for (size_t i = 0; i < kept; i++)
        msgpack_pack_object(pk, *doc_at(f->old_votes, i));
    if (f->new_vote)
        s_pack_vote(pk, f->new_vote, f->new_vote_member, f->new_vote_college, f->now);
    proto_pack_str(pk, "rounds");
    size_t rounds = doc_len(f->old_rounds);
    msgpack_pack_array(pk, rounds + f->close_round);
    for (size_t i = 0; i < rounds; i++)
        msgpack_pack_object(pk, *doc_at(f->old_rounds, i));
    if (f->close_round) {
        msgpack_pack_map(pk, 4);
        proto_pack_kv_uint(pk, "round", f->closing_round);
        proto_pack_kv_uint(pk, "revision", f->closing_revision);
        proto_pack_str(pk, "decision");
        if (f->closing_decision)
            proto_pack_str(pk, f->closing_decision);
        else
            msgpack_pack_nil(pk);
        proto_pack_str(pk, "votes");
        if (f->closing_votes)
            msgpack_pack_object(pk, *f->closing_votes);
        else
            msgpack_pack_array(pk, 0);
    }
}

/*  A file that passed validation enters the queue; an amended one (higher
 *  revision) opens a new round that keeps the earlier ones. */
int review_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now)
{
    review_t *self = ctx;
    if (strcmp(type, "validated") != 0 || !doc_str_eq(event, "verdict", "review"))
        return 0;
    const msgpack_object *application = doc_map(event, "application");
    if (!application)
        return 0;
    msgpack_zone_clear(&self->zone);
    file_t f = {.id = doc_get(event, "id"), .round = 1, .state = S_FILE_OPEN,
                .application = application, .report = doc_get(event, "report"), .now = now};
    doc_uint(event, "revision", &f.revision);
    msgpack_object old;
    int rc = s_load(txn, service_db(svc, REVIEW_DB_FILES), f.id, &self->zone, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (rc == 0) {
        uint64_t old_revision = 0, old_round = 0;
        doc_uint(&old, "revision", &old_revision);
        doc_uint(&old, "round", &old_round);
        if (doc_str_eq(&old, "state", S_FILE_WITHDRAWN) || old_revision >= f.revision)
            return 0;
        f.round = old_round + 1;
        f.old_rounds = doc_array(&old, "rounds");
        f.close_round = true;
        f.closing_round = old_round;
        f.closing_revision = old_revision;
        f.closing_votes = doc_array(&old, "votes");
    }
    char closing[16];
    if (f.close_round && doc_strcpy(&old, "decision", closing, sizeof closing) > 0)
        f.closing_decision = closing;
    msgpack_sbuffer_clear(&self->buf);
    s_pack_file(&self->pk, &f);
    return s_store(txn, service_db(svc, REVIEW_DB_FILES), f.id, &self->buf);
}

/* ------------------------------------------------------------------ queue */

static bool s_has_voted(const msgpack_object *file, const msgpack_object *member)
{
    const msgpack_object *votes = doc_array(file, "votes");
    for (size_t i = 0; i < doc_len(votes); i++) {
        const msgpack_object *who = doc_get(doc_at(votes, i), "member");
        if (who && who->type == MSGPACK_OBJECT_STR && member->via.str.size == who->via.str.size
            && memcmp(who->via.str.ptr, member->via.str.ptr, who->via.str.size) == 0)
            return true;
    }
    return false;
}

static void s_pack_queue_item(msgpack_packer *pk, const msgpack_object *file,
                              const msgpack_object *member)
{
    static const char *const copied[] = {"id", "revision", "round", "name", "report", "application"};
    size_t conflicts = s_conflicts(member, file, NULL);
    msgpack_pack_map(pk, 9);
    for (size_t i = 0; i < 6; i++) {
        proto_pack_str(pk, copied[i]);
        msgpack_pack_object(pk, *doc_get(file, copied[i]));
    }
    /* Votes so far, without their motivations: members judge for themselves. */
    const msgpack_object *votes = doc_array(file, "votes");
    proto_pack_str(pk, "votes");
    msgpack_pack_array(pk, doc_len(votes));
    for (size_t i = 0; i < doc_len(votes); i++) {
        const msgpack_object *vote = doc_at(votes, i);
        msgpack_pack_map(pk, 3);
        static const char *const shown[] = {"member", "college", "decision"};
        for (size_t k = 0; k < 3; k++) {
            proto_pack_str(pk, shown[k]);
            msgpack_pack_object(pk, *doc_get(vote, shown[k]));
        }
    }
    proto_pack_kv_bool(pk, "recused", conflicts > 0);
    proto_pack_str(pk, "conflicts");
    s_conflicts(member, file, pk);
}

/*  Positions the cursor on the first file after the id `after` (or the
 *  first file). */
static int s_first_after(MDB_cursor *cursor, const msgpack_object *after, MDB_val *key, MDB_val *value)
{
    if (!after || after->via.str.size == 0)
        return mdb_cursor_get(cursor, key, value, MDB_FIRST);
    key->mv_size = after->via.str.size;
    key->mv_data = (void *)after->via.str.ptr;
    int rc = mdb_cursor_get(cursor, key, value, MDB_SET_RANGE);
    if (rc == 0 && key->mv_size == after->via.str.size
        && memcmp(key->mv_data, after->via.str.ptr, key->mv_size) == 0)
        rc = mdb_cursor_get(cursor, key, value, MDB_NEXT);
    return rc;
}

/*  The files waiting for a member's vote, a page at a time ("after" the id
 *  of the last item seen, at most "limit"), so that a reply stays bounded
 *  however long the queue. */
static int s_queue(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_object named;
    if (!s_member_of(req, &named))
        return 0;
    const msgpack_object *name = &named;
    uint64_t limit = 100;
    doc_uint(req->msg, "limit", &limit);
    msgpack_object member;
    int rc = s_load(txn, service_db(svc, REVIEW_DB_MEMBERS), name, &self->zone, &member);
    if (rc == MDB_NOTFOUND)
        return s_error(req, PROTO_E_NOT_FOUND, "member", "exists", "no committee member has this name");
    if (rc)
        return rc;
    MDB_cursor *cursor;
    if ((rc = mdb_cursor_open(txn, service_db(svc, REVIEW_DB_FILES), &cursor)))
        return rc;
    /* Items are packed aside first: the array header needs the count. */
    msgpack_sbuffer_clear(&self->buf);
    size_t count = 0;
    char last[PROTO_ID_MAX + 1] = "";
    bool more = false;
    MDB_val key, value;
    for (rc = s_first_after(cursor, doc_get(req->msg, "after"), &key, &value); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        msgpack_object file;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 8192);
        if (store_get_doc(txn, service_db(svc, REVIEW_DB_FILES), key.mv_data, key.mv_size, &zone,
                          &file) == 0
            && doc_str_eq(&file, "state", S_FILE_OPEN) && !s_has_voted(&file, name)) {
            if (count == limit)
                more = true;
            else {
                s_pack_queue_item(&self->pk, &file, &member);
                count++;
                snprintf(last, sizeof last, "%.*s", (int)key.mv_size, (const char *)key.mv_data);
            }
        }
        msgpack_zone_destroy(&zone);
        if (more)
            break;
    }
    mdb_cursor_close(cursor);
    proto_pack_reply(req->reply, "queue", req->has_rid, req->rid, more ? 3 : 2);
    proto_pack_str(req->reply, "member");
    msgpack_pack_object(req->reply, *name);
    proto_pack_str(req->reply, "items");
    msgpack_pack_array(req->reply, count);
    proto_pack_raw(req->reply, self->buf.data, self->buf.size);
    if (more)
        proto_pack_kv_str(req->reply, "next", last);
    return 0;
}

/* ------------------------------------------------------------------- vote */

typedef struct {
    size_t count;
    char decisions[S_VOTES_MAX][16];
    char colleges[S_VOTES_MAX][32];
} tally_t;

static void s_tally_add(tally_t *t, const msgpack_object *vote)
{
    doc_strcpy(vote, "decision", t->decisions[t->count], sizeof t->decisions[0]);
    doc_strcpy(vote, "college", t->colleges[t->count], sizeof t->colleges[0]);
    t->count++;
}

static const char *s_tally_outcome(const review_t *self, const tally_t *t)
{
    const char *decisions[S_VOTES_MAX], *colleges[S_VOTES_MAX];
    for (size_t i = 0; i < t->count; i++) {
        decisions[i] = t->decisions[i];
        colleges[i] = t->colleges[i];
    }
    return review_outcome(&self->rules, decisions, colleges, t->count);
}

static bool s_same_str(const msgpack_object *a, const msgpack_object *b)
{
    if (!a || !b)
        return !a && !b;
    return a->type == MSGPACK_OBJECT_STR && b->type == MSGPACK_OBJECT_STR
        && a->via.str.size == b->via.str.size && memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size) == 0;
}

static const msgpack_object *s_vote_of(const msgpack_object *file, const msgpack_object *member)
{
    const msgpack_object *votes = doc_array(file, "votes");
    for (size_t i = 0; i < doc_len(votes); i++)
        if (s_same_str(doc_get(doc_at(votes, i), "member"), member))
            return doc_at(votes, i);
    return NULL;
}

static bool s_blank(const msgpack_object *text)
{
    if (!text || text->type != MSGPACK_OBJECT_STR)
        return true;
    for (uint32_t i = 0; i < text->via.str.size; i++)
        if (text->via.str.ptr[i] != ' ' && text->via.str.ptr[i] != '\n' && text->via.str.ptr[i] != '\t')
            return false;
    return true;
}

static void s_pack_vote_ack(service_request_t *req, const msgpack_object *file, uint64_t round,
                            size_t votes, const char *outcome, bool duplicate)
{
    proto_pack_reply(req->reply, "vote_ack", req->has_rid, req->rid, outcome ? 6 : 5);
    proto_pack_str(req->reply, "id");
    msgpack_pack_object(req->reply, *doc_get(file, "id"));
    proto_pack_kv_uint(req->reply, "round", round);
    proto_pack_str(req->reply, "decision");
    msgpack_pack_object(req->reply, *doc_get(req->msg, "decision"));
    proto_pack_kv_uint(req->reply, "votes", votes);
    if (outcome)
        proto_pack_kv_str(req->reply, "outcome", outcome);
    proto_pack_kv_bool(req->reply, "duplicate", duplicate);
}

/*  Refusals of a vote, before anything is written; true when refused. */
static bool s_vote_refused(service_request_t *req, const msgpack_object *file,
                           const msgpack_object *member, const msgpack_object *who, uint64_t round)
{
    const msgpack_object *earlier = s_vote_of(file, who);
    if (earlier && s_same_str(doc_get(earlier, "decision"), doc_get(req->msg, "decision"))
        && s_same_str(doc_get(earlier, "motivation"), doc_get(req->msg, "motivation")
                      ? doc_get(req->msg, "motivation") : doc_get(earlier, "motivation"))) {
        /* The same vote again (a retry): acknowledged once more, counted
         * once, with the outcome when this round was decided, so a client
         * that lost the first acknowledgement learns it. */
        char outcome[16] = "";
        const char *decided = doc_str_eq(file, "state", S_FILE_DECIDED)
                                  && doc_strcpy(file, "decision", outcome, sizeof outcome) > 0
                              ? outcome : NULL;
        s_pack_vote_ack(req, file, round, doc_len(doc_array(file, "votes")), decided, true);
        return true;
    }
    if (!doc_str_eq(file, "state", S_FILE_OPEN)) {
        s_error(req, PROTO_E_CONFLICT, "id", "state", "this file is not open for votes (decided or withdrawn)");
        return true;
    }
    if (earlier) {
        s_error(req, PROTO_E_CONFLICT, "member", "already_voted",
                "this member has already voted in this round; a vote cannot be changed");
        return true;
    }
    if (s_conflicts(member, file, NULL) > 0) {
        s_error(req, PROTO_E_FORBIDDEN, "member", "recused",
                "this member is tied to the applicant or to one of its reference clients and is recused");
        return true;
    }
    if (!doc_str_eq(req->msg, "decision", "approve") && s_blank(doc_get(req->msg, "motivation"))) {
        s_error(req, PROTO_E_INVALID, "motivation", "required",
                "a rejection or a request for changes needs a written motivation, which the applicant will read");
        return true;
    }
    if (doc_len(doc_array(file, "votes")) >= S_VOTES_MAX) {
        s_error(req, PROTO_E_CONFLICT, "id", "votes_max", "this round has reached the maximum number of votes");
        return true;
    }
    return false;
}

static int s_emit_decided(service_t *svc, MDB_txn *txn, const msgpack_object *file,
                          const tally_t *t, const msgpack_object *new_vote,
                          const msgpack_object *new_voter, const char *outcome, uint64_t round,
                          int64_t now)
{
    bool approve = strcmp(outcome, "approve") == 0;
    msgpack_packer *pk = service_event_begin(svc, "decided", now, approve ? 7 : 6, NULL);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *doc_get(file, "id"));
    uint64_t revision = 1;
    doc_uint(file, "revision", &revision);
    proto_pack_kv_uint(pk, "revision", revision);
    proto_pack_kv_uint(pk, "round", round);
    proto_pack_kv_str(pk, "decision", outcome);
    /* The motivations of the votes that made the decision: what the
     * applicant reads. */
    const msgpack_object *votes = doc_array(file, "votes");
    const msgpack_object *all[S_VOTES_MAX];
    size_t n = 0;
    for (size_t i = 0; i < doc_len(votes); i++)
        all[n++] = doc_at(votes, i);
    size_t count = 0;
    for (size_t i = 0; i < t->count; i++) {
        const msgpack_object *m = i < n ? doc_get(all[i], "motivation") : doc_get(new_vote, "motivation");
        count += strcmp(t->decisions[i], outcome) == 0 && !s_blank(m);
    }
    proto_pack_str(pk, "motivations");
    msgpack_pack_array(pk, count);
    for (size_t i = 0; i < t->count; i++) {
        const msgpack_object *m = i < n ? doc_get(all[i], "motivation") : doc_get(new_vote, "motivation");
        if (strcmp(t->decisions[i], outcome) == 0 && !s_blank(m))
            msgpack_pack_object(pk, *m);
    }
    /* Who decided: every member who voted in the round (the audit trail). */
    proto_pack_str(pk, "voters");
    msgpack_pack_array(pk, t->count);
    for (size_t i = 0; i < t->count; i++) {
        /* The new vote's member is the one its key names, not a field. */
        const msgpack_object *who = i < n ? doc_get(all[i], "member") : new_voter;
        if (who)
            msgpack_pack_object(pk, *who);
        else
            msgpack_pack_str_with_body(pk, "", 0);
    }
    if (approve) {
        proto_pack_str(pk, "application");
        msgpack_pack_object(pk, *doc_get(file, "application"));
    }
    return service_event_end(svc, txn);
}

static int s_vote(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_object member, file, name;
    if (!s_member_of(req, &name))
        return 0;
    int rc = s_load(txn, service_db(svc, REVIEW_DB_MEMBERS), &name, &self->zone, &member);
    if (rc == MDB_NOTFOUND)
        return s_error(req, PROTO_E_NOT_FOUND, "member", "exists", "no committee member has this name");
    if (rc == 0)
        rc = s_load(txn, service_db(svc, REVIEW_DB_FILES), doc_get(req->msg, "id"), &self->zone, &file);
    if (rc == MDB_NOTFOUND)
        return s_error(req, PROTO_E_NOT_FOUND, "id", "exists", "no file with this id is before the committee");
    if (rc)
        return rc;
    uint64_t round = 1;
    doc_uint(&file, "round", &round);
    if (s_vote_refused(req, &file, &member, &name, round))
        return 0;

    tally_t tally;   /* 12 KiB: the votes of one round */
    tally.count = 0;
    const msgpack_object *votes = doc_array(&file, "votes");
    for (size_t i = 0; i < doc_len(votes); i++)
        s_tally_add(&tally, doc_at(votes, i));
    char college[32];
    doc_strcpy(&member, "college", college, sizeof college);
    doc_strcpy(req->msg, "decision", tally.decisions[tally.count], sizeof tally.decisions[0]);
    snprintf(tally.colleges[tally.count++], sizeof tally.colleges[0], "%s", college);
    const char *outcome = s_tally_outcome(self, &tally);

    file_t f = {.id = doc_get(req->msg, "id"), .round = round, .state = outcome ? S_FILE_DECIDED : S_FILE_OPEN,
                .decision = outcome, .application = doc_get(&file, "application"),
                .report = doc_get(&file, "report"), .old_votes = votes, .new_vote = req->msg,
                .new_vote_member = &name, .new_vote_college = college, .old_rounds = doc_array(&file, "rounds"), .now = req->now};
    doc_uint(&file, "revision", &f.revision);
    if (outcome && (rc = s_emit_decided(svc, txn, &file, &tally, req->msg, &name, outcome, round,
                                        req->now)))
        return rc;
    msgpack_sbuffer_clear(&self->buf);
    s_pack_file(&self->pk, &f);
    /* Reply before storing: the stored bytes replace what `file` points to. */
    s_pack_vote_ack(req, &file, round, tally.count, outcome, false);
    return s_store(txn, service_db(svc, REVIEW_DB_FILES), f.id, &self->buf);
}

/* --------------------------------------------------------------- withdraw */

static int s_withdraw(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    const msgpack_object *id = doc_get(req->msg, "id");
    msgpack_object file;
    int rc = s_load(txn, service_db(svc, REVIEW_DB_FILES), id, &self->zone, &file);
    if (rc == MDB_NOTFOUND)
        return s_error(req, PROTO_E_NOT_FOUND, "id", "exists", "no file with this id is before the committee");
    if (rc)
        return rc;
    if (!doc_str_eq(&file, "state", S_FILE_WITHDRAWN)) {
        file_t f = {.id = id, .round = 1, .state = S_FILE_WITHDRAWN,
                    .application = doc_get(&file, "application"), .report = doc_get(&file, "report"),
                    .old_votes = doc_array(&file, "votes"), .old_rounds = doc_array(&file, "rounds"),
                    .now = req->now};
        doc_uint(&file, "revision", &f.revision);
        doc_uint(&file, "round", &f.round);
        char decision[16];
        f.decision = doc_strcpy(&file, "decision", decision, sizeof decision) > 0 ? decision : NULL;
        msgpack_sbuffer_clear(&self->buf);
        s_pack_file(&self->pk, &f);
        if ((rc = s_store(txn, service_db(svc, REVIEW_DB_FILES), id, &self->buf)))
            return rc;
        msgpack_packer *pk = service_event_begin(svc, "withdrawn", req->now, 2, NULL);
        proto_pack_str(pk, "id");
        msgpack_pack_object(pk, *id);
        proto_pack_str(pk, "reason");
        msgpack_pack_object(pk, *doc_get(req->msg, "reason"));
        if ((rc = service_event_end(svc, txn)))
            return rc;
    }
    proto_pack_reply(req->reply, "ack", req->has_rid, req->rid, 2);
    proto_pack_str(req->reply, "id");
    msgpack_pack_object(req->reply, *id);
    proto_pack_kv_str(req->reply, "state", STATE_WITHDRAWN);
    return 0;
}

const char *const review_secure_types[] = {"member_add", "member_list", "member_remove", "queue",
                                            "vote", "withdraw", NULL};

/*  The role a request needs: members vote and read their queue; staff
 *  manage the committee and withdraw files. */
static const char *s_role_needed(const char *type)
{
    if (strcmp(type, "queue") == 0 || strcmp(type, "vote") == 0)
        return AUTH_ROLE_MEMBER;
    for (const char *const *t = review_secure_types; *t; t++)
        if (strcmp(*t, type) == 0)
            return AUTH_ROLE_STAFF;
    return NULL;
}

int review_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    review_t *self = ctx;
    msgpack_zone_clear(&self->zone);
    const char *role = s_role_needed(req->type);
    if (role && (!req->peer_role || !req->peer_name || strcmp(req->peer_role, role) != 0)) {
        char message[PROTO_MESSAGE_MAX];
        snprintf(message, sizeof message, "'%s' is for %s keys; this key is a %s key", req->type,
                 role, req->peer_role ? req->peer_role : "missing");
        return s_error(req, PROTO_E_FORBIDDEN, "type", "role", message);
    }
    if (strcmp(req->type, "member_remove") == 0)
        return s_member_remove(self, svc, txn, req);
    if (strcmp(req->type, "member_add") == 0)
        return s_member_add(self, svc, txn, req);
    if (strcmp(req->type, "member_list") == 0)
        return s_member_list(self, svc, txn, req);
    if (strcmp(req->type, "queue") == 0)
        return s_queue(self, svc, txn, req);
    if (strcmp(req->type, "vote") == 0)
        return s_vote(self, svc, txn, req);
    if (strcmp(req->type, "withdraw") == 0)
        return s_withdraw(self, svc, txn, req);
    return s_error(req, PROTO_E_INVALID, "type", "unsupported", "review does not answer this message type");
}
