/*  services/review/members.c - see members.h. */
#include "members.h"

#include "proto/identifiers.h"
#include "proto/networks.h"

#include "common/auth.h"

#include <stdio.h>
#include <string.h>

#define S_TIES_MAX     50
#define S_MEMBER_FIELDS 6   /* name, college, ties, networks, email, digest */

bool review_siren_of(const char *text, size_t len, char out[REVIEW_SIREN_LEN + 1])
{
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] >= '0' && text[i] <= '9') {
            if (digits < REVIEW_SIREN_LEN)
                out[digits] = text[i];
            digits++;
        } else if (text[i] != ' ') {
            return false;
        }
    }
    out[REVIEW_SIREN_LEN] = '\0';
    return digits == REVIEW_SIREN_LEN || digits == 14;
}

bool review_network_matches(const char *a, size_t a_len, const char *b, size_t b_len)
{
    /* Through the one list of networks (proto/networks.h): "URSCOP Ouest"
     * and "Union régionale des Scop de l'Ouest" are one tie. */
    return networks_same(a, a_len, b, b_len);
}

int members_identity(service_request_t *req, msgpack_object *name)
{
    *name = review_str(req->peer_name);
    const msgpack_object *claimed = doc_get(req->msg, "member");
    if (claimed && !review_same_str(claimed, name))
        return service_refuse(req, PROTO_E_FORBIDDEN, "member", "identity",
                              "this key belongs to another member: a member votes, recuses themself and "
                              "reads a queue only as themself");
    return 0;
}

int members_load(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req,
                 const msgpack_object *name, msgpack_object *member)
{
    int rc = review_load(txn, service_db(svc, REVIEW_DB_MEMBERS), name, &self->zone, member);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "member", "exists", "no committee member has this name");
    return rc;
}

/* ---------------------------------------------------------------- requests */

/*  Checks the ties (SIREN or SIRET) and networks (not blank) of a
 *  member_add, keeping the SIREN of each tie: 0 or SERVICE_REFUSED. */
static int s_ties_valid(service_request_t *req, char sirens[][REVIEW_SIREN_LEN + 1])
{
    char field[32];   /* "ties[2]": copied into the refusal */
    const msgpack_object *ties = doc_array(req->msg, "ties");
    for (size_t i = 0; i < doc_len(ties) && i < S_TIES_MAX; i++) {
        const msgpack_object *tie = doc_at(ties, i);
        if (review_siren_of(tie->via.str.ptr, tie->via.str.size, sirens[i]))
            continue;
        snprintf(field, sizeof field, "ties[%zu]", i);
        return service_refuse(req, PROTO_E_INVALID, field, "siren",
                              "a tie is a SIREN (9 digits) or a SIRET (14 digits)");
    }
    const msgpack_object *networks = doc_array(req->msg, "networks");
    for (size_t i = 0; i < doc_len(networks); i++) {
        if (!review_blank(doc_at(networks, i)))
            continue;
        snprintf(field, sizeof field, "networks[%zu]", i);
        return service_refuse(req, PROTO_E_INVALID, field, "required", "a network is named");
    }
    return 0;
}

/*  The e-mail of a member_add or member_update, when given, is one an
 *  e-mail can be sent to (proto/identifiers.h): 0 or SERVICE_REFUSED. */
static int s_email_valid(service_request_t *req)
{
    const msgpack_object *email = doc_get(req->msg, "email");
    if (!email || id_email_valid(email->via.str.ptr, email->via.str.size))
        return 0;
    return service_refuse(req, PROTO_E_INVALID, "email", "email",
                          "not an address notify can write to: printable ASCII only, one '@', a '.' after "
                          "it, no space and none of <>()[]\\,;:\"");
}

/*  The member's fields, in the record and in the replies: the e-mail when
 *  there is one, the digest (members stored before it had none: true,
 *  the default). */
static size_t s_member_fields(review_set_t *set, msgpack_zone *zone, const msgpack_object *source,
                              char sirens[][REVIEW_SIREN_LEN + 1])
{
    const msgpack_object *ties = doc_array(source, "ties");
    msgpack_object list = {.type = MSGPACK_OBJECT_ARRAY};
    for (size_t i = 0; i < doc_len(ties) && i < S_TIES_MAX; i++)
        list = review_append(zone, &list, sirens ? review_str(sirens[i]) : *doc_at(ties, i));
    const msgpack_object *networks = doc_array(source, "networks");
    const msgpack_object *email = doc_get(source, "email");
    msgpack_object empty = {.type = MSGPACK_OBJECT_ARRAY};
    size_t n = 0;
    set[n++] = (review_set_t){"name", *doc_get(source, "name")};
    set[n++] = (review_set_t){"college", *doc_get(source, "college")};
    set[n++] = (review_set_t){"ties", list};
    set[n++] = (review_set_t){"networks", networks ? *networks : empty};
    if (email && email->type == MSGPACK_OBJECT_STR)
        set[n++] = (review_set_t){"email", *email};
    set[n++] = (review_set_t){"digest", review_bool(doc_bool(source, "digest", true))};
    return n;
}

static void s_pack_member_reply(service_request_t *req, const review_set_t *set, size_t n)
{
    proto_pack_reply(req->reply, "member", req->has_rid, req->rid, n);
    for (size_t i = 0; i < n; i++) {
        proto_pack_str(req->reply, set[i].key);
        msgpack_pack_object(req->reply, set[i].val);
    }
}

int members_add(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    char sirens[S_TIES_MAX][REVIEW_SIREN_LEN + 1];
    int rc = s_ties_valid(req, sirens);
    if (rc || (rc = s_email_valid(req)))
        return rc;
    const msgpack_object *name = doc_get(req->msg, "name");
    msgpack_object existing;
    rc = review_load(txn, service_db(svc, REVIEW_DB_MEMBERS), name, &self->zone, &existing);
    if (rc == 0)
        return service_refuse(req, PROTO_E_CONFLICT, "name", "unique", "a member named '%.*s' already exists",
                              (int)name->via.str.size, name->via.str.ptr);
    if (rc != MDB_NOTFOUND)
        return rc;
    review_set_t set[S_MEMBER_FIELDS + 1];
    size_t n = s_member_fields(set, &self->zone, req->msg, sirens);
    set[n] = (review_set_t){"added_at", review_uint((uint64_t)req->now)};
    if ((rc = review_put(self, txn, service_db(svc, REVIEW_DB_MEMBERS), name, NULL, set, n + 1)))
        return rc;
    s_pack_member_reply(req, set, n);
    return 0;
}

/*  A member's record as listed: members added before networks existed
 *  are listed with none, those added before digests with the default
 *  (true). */
static void s_pack_listed(msgpack_packer *pk, msgpack_zone *zone, const MDB_val *value)
{
    static const char *const none[] = {NULL};
    msgpack_object member;
    size_t offset = 0;
    msgpack_zone_clear(zone);
    if (msgpack_unpack(value->mv_data, value->mv_size, &offset, zone, &member) != MSGPACK_UNPACK_SUCCESS
        || (doc_array(&member, "networks") && doc_get(&member, "digest"))) {
        proto_pack_raw(pk, value->mv_data, value->mv_size);
        return;
    }
    bool networks = doc_array(&member, "networks") != NULL, digest = doc_get(&member, "digest") != NULL;
    doc_pack_map_except(pk, &member, none, proto_entries(0, !networks, !digest));
    if (!networks) {
        proto_pack_str(pk, "networks");
        msgpack_pack_array(pk, 0);
    }
    if (!digest)
        proto_pack_kv_bool(pk, "digest", true);
}

int members_list(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
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
        s_pack_listed(req->reply, &self->zone, &value);
    mdb_cursor_close(cursor);
    return 0;
}

/*  Removes a member.  Their votes stay in the files they voted on; their
 *  key is refused once the CLI has taken it out of keys/allowed. */
int members_remove(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    const msgpack_object *name = doc_get(req->msg, "name");
    MDB_dbi db = service_db(svc, REVIEW_DB_MEMBERS);
    msgpack_object member;
    int rc = review_load(txn, db, name, &self->zone, &member);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "name", "exists", "no committee member has this name");
    if (rc)
        return rc;
    review_set_t set[S_MEMBER_FIELDS];
    s_pack_member_reply(req, set, s_member_fields(set, &self->zone, &member, NULL));
    /* Packed before the delete: member points into the stored bytes. */
    MDB_val key = {name->via.str.size, (void *)name->via.str.ptr};
    return mdb_del(txn, db, &key, NULL);
}

/*  What a member may change of their own record: the e-mail and the
 *  digest; the rest is the staff's.  0 or SERVICE_REFUSED. */
static int s_update_allowed(service_request_t *req, const msgpack_object *name)
{
    static const char *const staff_only[] = {"college", "ties", "networks"};
    if (strcmp(req->peer_role, AUTH_ROLE_STAFF) == 0)
        return 0;
    msgpack_object own = review_str(req->peer_name);
    if (!review_same_str(name, &own))
        return service_refuse(req, PROTO_E_FORBIDDEN, "name", "identity",
                              "a member updates only their own record: this key belongs to another member");
    for (size_t i = 0; i < sizeof staff_only / sizeof *staff_only; i++)
        if (doc_get(req->msg, staff_only[i]))
            return service_refuse(req, PROTO_E_FORBIDDEN, staff_only[i], "role",
                                  "a member changes only their e-mail and digest; '%s' is changed by the staff",
                                  staff_only[i]);
    return 0;
}

/*  The fields a member_update changes, as given (ties reduced to their
 *  SIREN). */
static size_t s_update_fields(review_set_t *set, msgpack_zone *zone, const msgpack_object *msg,
                              char sirens[][REVIEW_SIREN_LEN + 1], int64_t now)
{
    static const char *const plain[] = {"college", "networks", "email", "digest"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        const msgpack_object *value = doc_get(msg, plain[i]);
        if (value)
            set[n++] = (review_set_t){plain[i], *value};
    }
    const msgpack_object *ties = doc_array(msg, "ties");
    if (ties) {
        msgpack_object list = {.type = MSGPACK_OBJECT_ARRAY};
        for (size_t i = 0; i < doc_len(ties) && i < S_TIES_MAX; i++)
            list = review_append(zone, &list, review_str(sirens[i]));
        set[n++] = (review_set_t){"ties", list};
    }
    set[n++] = (review_set_t){"updated_at", review_uint((uint64_t)now)};
    return n;
}

int members_update(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    const msgpack_object *name = doc_get(req->msg, "name");
    char sirens[S_TIES_MAX][REVIEW_SIREN_LEN + 1];
    int rc = s_update_allowed(req, name);
    if (rc || (rc = s_ties_valid(req, sirens)) || (rc = s_email_valid(req)))
        return rc;
    MDB_dbi db = service_db(svc, REVIEW_DB_MEMBERS);
    msgpack_object member;
    rc = review_load(txn, db, name, &self->zone, &member);
    if (rc == MDB_NOTFOUND)
        return service_refuse(req, PROTO_E_NOT_FOUND, "name", "exists", "no committee member has this name");
    if (rc)
        return rc;
    review_set_t set[S_MEMBER_FIELDS + 1];
    size_t n = s_update_fields(set, &self->zone, req->msg, sirens, req->now);
    if ((rc = review_put(self, txn, db, name, &member, set, n)))
        return rc;
    /* The reply from the record as stored now. */
    if ((rc = review_load(txn, db, name, &self->zone, &member)))
        return rc;
    s_pack_member_reply(req, set, s_member_fields(set, &self->zone, &member, NULL));
    return 0;
}

/* --------------------------------------------------------------- conflicts */

static size_t s_party_conflicts(const msgpack_object *member, const msgpack_object *file,
                                msgpack_packer *pk)
{
    const msgpack_object *ties = doc_array(member, "ties");
    const msgpack_object *parties = doc_array(file, "parties");
    size_t count = 0;
    for (size_t p = 0; p < doc_len(parties); p++) {
        const msgpack_object *siren = doc_get(doc_at(parties, p), "siren");
        for (size_t t = 0; t < doc_len(ties) && siren; t++) {
            if (!review_same_str(doc_at(ties, t), siren))
                continue;
            count++;
            if (pk)
                msgpack_pack_object(pk, *doc_at(parties, p));
        }
    }
    return count;
}

/*  The networks the application declares, kept in the file (files stored
 *  before that have them in their application). */
static const msgpack_object *s_declared_networks(const msgpack_object *file)
{
    if (doc_get(file, "networks"))
        return doc_array(file, "networks");
    return doc_array(doc_map(doc_map(file, "application"), "ties"), "networks");
}

static size_t s_network_conflicts(const msgpack_object *member, const msgpack_object *file,
                                  msgpack_packer *pk)
{
    const msgpack_object *mine = doc_array(member, "networks");
    const msgpack_object *declared = s_declared_networks(file);
    size_t count = 0;
    for (size_t d = 0; d < doc_len(declared); d++) {
        const msgpack_object *network = doc_at(declared, d);
        for (size_t m = 0; m < doc_len(mine) && network->type == MSGPACK_OBJECT_STR; m++) {
            const msgpack_object *own = doc_at(mine, m);
            if (own->type != MSGPACK_OBJECT_STR
                || !review_network_matches(own->via.str.ptr, own->via.str.size, network->via.str.ptr,
                                           network->via.str.size))
                continue;
            count++;
            if (pk) {
                msgpack_pack_map(pk, 2);
                proto_pack_kv_str(pk, "role", "network");
                proto_pack_str(pk, "network");
                msgpack_pack_object(pk, *network);
            }
            break;
        }
    }
    return count;
}

size_t members_conflicts(const msgpack_object *member, const msgpack_object *file, msgpack_packer *pk)
{
    size_t count = s_party_conflicts(member, file, NULL) + s_network_conflicts(member, file, NULL);
    if (pk) {
        msgpack_pack_array(pk, count);
        s_party_conflicts(member, file, pk);
        s_network_conflicts(member, file, pk);
    }
    return count;
}

const msgpack_object *members_self_recusal(const msgpack_object *file, const msgpack_object *name)
{
    const msgpack_object *recusals = doc_array(file, "recusals");
    for (size_t i = 0; i < doc_len(recusals); i++)
        if (review_same_str(doc_get(doc_at(recusals, i), "member"), name))
            return doc_at(recusals, i);
    return NULL;
}

/*  The first tie with a party, said for a person. */
static bool s_party_why(const msgpack_object *member, const msgpack_object *file, char *why, size_t cap)
{
    const msgpack_object *ties = doc_array(member, "ties");
    const msgpack_object *parties = doc_array(file, "parties");
    for (size_t p = 0; p < doc_len(parties); p++) {
        const msgpack_object *party = doc_at(parties, p);
        const msgpack_object *siren = doc_get(party, "siren");
        for (size_t t = 0; t < doc_len(ties) && siren; t++) {
            if (!review_same_str(doc_at(ties, t), siren))
                continue;
            char role[32] = "party";
            doc_strcpy(party, "role", role, sizeof role);
            snprintf(why, cap, "this member has a tie with SIREN %.*s (%s of the file) and is recused",
                     (int)siren->via.str.size, siren->via.str.ptr, role);
            return true;
        }
    }
    return false;
}

static bool s_network_why(const msgpack_object *member, const msgpack_object *file, char *why, size_t cap)
{
    const msgpack_object *mine = doc_array(member, "networks");
    const msgpack_object *declared = s_declared_networks(file);
    for (size_t d = 0; d < doc_len(declared); d++) {
        const msgpack_object *network = doc_at(declared, d);
        for (size_t m = 0; m < doc_len(mine) && network->type == MSGPACK_OBJECT_STR; m++) {
            const msgpack_object *own = doc_at(mine, m);
            if (own->type == MSGPACK_OBJECT_STR
                && review_network_matches(own->via.str.ptr, own->via.str.size, network->via.str.ptr,
                                          network->via.str.size)) {
                snprintf(why, cap, "this member belongs to the network '%.*s', which the applicant declares, "
                         "and is recused", (int)network->via.str.size, network->via.str.ptr);
                return true;
            }
        }
    }
    return false;
}

bool members_recused(const msgpack_object *member, const msgpack_object *file, char *why, size_t cap)
{
    if (s_party_why(member, file, why, cap) || s_network_why(member, file, why, cap))
        return true;
    const msgpack_object *own = members_self_recusal(file, doc_get(member, "name"));
    if (!own)
        return false;
    const msgpack_object *reason = doc_get(own, "reason");
    if (reason && reason->type == MSGPACK_OBJECT_STR)
        snprintf(why, cap, "this member recused themself from this file: \"%.*s\"",
                 (int)reason->via.str.size, reason->via.str.ptr);
    else
        snprintf(why, cap, "this member recused themself from this file");
    return true;
}
