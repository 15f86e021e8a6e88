/*  services/review/pending.c - see pending.h. */
#include "pending.h"

#include "ballots.h"
#include "members.h"
#include "queue.h"

#include "common/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*  The members a reply names at most: a committee is a few dozen. */
#define S_MEMBERS_MAX 1000

/*  One member with an e-mail, and the files found waiting for them,
 *  packed aside (the array header needs the count). */
typedef struct {
    msgpack_object member;
    msgpack_sbuffer files;
    msgpack_packer pk;
    size_t count;
} waiting_t;

typedef struct {
    waiting_t *members;
    size_t count;
    msgpack_zone zone;           /* the members' records */
    uint64_t since, older_than;
    bool has_older;
    int64_t now;
    bool more;                   /* the scan stopped before the last file */
} pending_walk_t;

bool pending_round_matches(uint64_t queued_at, uint64_t since, bool has_older, uint64_t older_than, int64_t now)
{
    if (queued_at < since)
        return false;
    if (!has_older)
        return true;
    /* Opened more than older_than seconds before now. */
    return now > 0 && queued_at < (uint64_t)now && (uint64_t)now - queued_at > older_than;
}

static void s_walk_free(pending_walk_t *w)
{
    for (size_t i = 0; i < w->count; i++)
        msgpack_sbuffer_destroy(&w->members[i].files);
    free(w->members);
    msgpack_zone_destroy(&w->zone);
}

/*  The members who have an e-mail, in byte order of their names. */
static int s_load_members(service_t *svc, MDB_txn *txn, pending_walk_t *w)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, REVIEW_DB_MEMBERS), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0 && w->count < S_MEMBERS_MAX;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        msgpack_object member;
        size_t offset = 0;
        if (msgpack_unpack(value.mv_data, value.mv_size, &offset, &w->zone, &member) != MSGPACK_UNPACK_SUCCESS
            || !doc_get(&member, "email") || doc_get(&member, "email")->type != MSGPACK_OBJECT_STR)
            continue;
        waiting_t *m = &w->members[w->count++];
        m->member = member;
        msgpack_sbuffer_init(&m->files);
        msgpack_packer_init(&m->pk, &m->files, msgpack_sbuffer_write);
        m->count = 0;
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

static void s_pack_file(msgpack_packer *pk, const msgpack_object *file, uint64_t queued_at)
{
    uint64_t round = 1;
    doc_uint(file, "round", &round);
    const msgpack_object *id = doc_get(file, "id"), *name = doc_get(file, "name");
    msgpack_pack_map(pk, 5);
    proto_pack_str(pk, "id");
    msgpack_pack_object(pk, *id);
    proto_pack_str(pk, "name");
    if (name && name->type == MSGPACK_OBJECT_STR)
        msgpack_pack_object(pk, *name);
    else
        proto_pack_str(pk, "");
    proto_pack_kv_str(pk, "kind", review_kind_of(file));
    proto_pack_kv_uint(pk, "round", round);
    proto_pack_kv_uint(pk, "queued_at", queued_at);
}

/*  The file's round opening, when it is open: false for a file that is
 *  not (decided, withdrawn) or unreadable. */
static bool s_open_round(const msgpack_object *file, uint64_t *queued_at)
{
    *queued_at = 0;
    doc_uint(file, "queued_at", queued_at);
    return doc_str_eq(file, "state", FILE_OPEN) && doc_get(file, "id");
}

/*  One file: added to the list of every member who has still to vote. */
static int s_visit(service_t *svc, MDB_txn *txn, pending_walk_t *w, const MDB_val *value)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 8192);
    msgpack_object file, votes;
    size_t offset = 0;
    uint64_t queued_at;
    int rc = 0;
    if (msgpack_unpack(value->mv_data, value->mv_size, &offset, &zone, &file) == MSGPACK_UNPACK_SUCCESS
        && s_open_round(&file, &queued_at)
        && pending_round_matches(queued_at, w->since, w->has_older, w->older_than, w->now)
        && (rc = ballots_round(svc, txn, &file, &zone, &votes)) == 0) {
        for (size_t i = 0; i < w->count; i++) {
            waiting_t *m = &w->members[i];
            char why[8];
            if (ballots_of(&votes, doc_get(&m->member, "name"))
                || members_recused(&m->member, &file, why, sizeof why))
                continue;
            s_pack_file(&m->pk, &file, queued_at);
            m->count++;
        }
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

static int s_scan_files(service_t *svc, MDB_txn *txn, pending_walk_t *w)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, service_db(svc, REVIEW_DB_FILES), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    size_t scanned = 0;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
        if (scanned++ == QUEUE_SCAN_MAX) {
            w->more = true;
            break;
        }
        if ((rc = s_visit(svc, txn, w, &value)))
            break;
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void s_pack_reply(service_request_t *req, const pending_walk_t *w)
{
    size_t named = 0;
    for (size_t i = 0; i < w->count; i++)
        named += w->members[i].count > 0;
    proto_pack_reply(req->reply, "pending", req->has_rid, req->rid, proto_entries(1, w->more));
    proto_pack_str(req->reply, "members");
    msgpack_pack_array(req->reply, named);
    for (size_t i = 0; i < w->count; i++) {
        const waiting_t *m = &w->members[i];
        if (!m->count)
            continue;
        msgpack_pack_map(req->reply, 4);
        proto_pack_str(req->reply, "name");
        msgpack_pack_object(req->reply, *doc_get(&m->member, "name"));
        proto_pack_str(req->reply, "email");
        msgpack_pack_object(req->reply, *doc_get(&m->member, "email"));
        proto_pack_kv_bool(req->reply, "digest", doc_bool(&m->member, "digest", true));
        proto_pack_str(req->reply, "files");
        msgpack_pack_array(req->reply, m->count);
        proto_pack_raw(req->reply, m->files.data, m->files.size);
    }
    if (w->more)
        proto_pack_kv_bool(req->reply, "more", true);
}

int pending_list(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    (void)self;
    pending_walk_t w = {.now = req->now};
    doc_uint(req->msg, "since", &w.since);
    w.has_older = doc_uint(req->msg, "older_than", &w.older_than);
    w.members = calloc(S_MEMBERS_MAX, sizeof *w.members);
    if (!w.members)
        return ENOMEM;
    msgpack_zone_init(&w.zone, 8192);
    int rc = s_load_members(svc, txn, &w);
    if (rc == 0 && w.count > 0)
        rc = s_scan_files(svc, txn, &w);
    if (rc == 0)
        s_pack_reply(req, &w);
    s_walk_free(&w);
    return rc;
}
