/*  services/review/queue.c - see queue.h. */
#include "queue.h"

#include "ballots.h"
#include "members.h"
#include "rounds.h"

#include "common/store.h"
#include "proto/identifiers.h"

#include <stdio.h>
#include <string.h>

#define S_COLLEGES_MAX 8
#define S_THEMES_MAX   32
#define S_WORD_MAX     64

static bool s_listed(const char *const *list, size_t count, const char *value)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i], value) == 0)
            return true;
    return false;
}

bool review_filter_matches(const review_filter_t *filter, const review_facts_t *facts)
{
    if (filter->college && s_listed(facts->voted_colleges, facts->voted_count, filter->college))
        return false;
    if (filter->department && strcmp(filter->department, facts->department) != 0)
        return false;
    if (filter->theme && !s_listed(facts->themes, facts->theme_count, filter->theme))
        return false;
    return true;
}

/* ------------------------------------------------------------------ facts */

typedef struct {
    char colleges[S_COLLEGES_MAX][S_WORD_MAX];
    char themes[S_THEMES_MAX][S_WORD_MAX];
    const char *college_ptrs[S_COLLEGES_MAX];
    const char *theme_ptrs[S_THEMES_MAX];
    char department[4];
    review_facts_t facts;
} facts_buf_t;

static void s_voted_colleges(facts_buf_t *b, const msgpack_object *votes)
{
    size_t n = 0;
    for (size_t i = 0; i < doc_len(votes) && n < S_COLLEGES_MAX; i++) {
        char college[S_WORD_MAX];
        if (doc_strcpy(doc_at(votes, i), "college", college, sizeof college) < 0
            || s_listed(b->college_ptrs, n, college))
            continue;
        memcpy(b->colleges[n], college, sizeof college);
        b->college_ptrs[n] = b->colleges[n];
        n++;
    }
    b->facts.voted_colleges = b->college_ptrs;
    b->facts.voted_count = n;
}

static void s_facts(facts_buf_t *b, const msgpack_object *application, const msgpack_object *votes)
{
    const msgpack_object *postcode = doc_path(application, "organisation.address.postcode");
    if (!postcode || postcode->type != MSGPACK_OBJECT_STR
        || id_postcode_department(postcode->via.str.ptr, postcode->via.str.size, b->department) != 0)
        b->department[0] = '\0';
    b->facts.department = b->department;
    const msgpack_object *themes = doc_array(doc_map(application, "offer"), "themes");
    size_t n = 0;
    for (size_t i = 0; i < doc_len(themes) && n < S_THEMES_MAX; i++) {
        const msgpack_object *theme = doc_at(themes, i);
        if (theme->type != MSGPACK_OBJECT_STR || theme->via.str.size >= S_WORD_MAX)
            continue;
        snprintf(b->themes[n], S_WORD_MAX, "%.*s", (int)theme->via.str.size, theme->via.str.ptr);
        b->theme_ptrs[n] = b->themes[n];
        n++;
    }
    b->facts.themes = b->theme_ptrs;
    b->facts.theme_count = n;
    s_voted_colleges(b, votes);
}

/* ------------------------------------------------------------------ items */

/*  Votes so far, with their motivations when they have one: a member
 *  about to vote reads why the others decided as they did, as the
 *  committee would around a table. */
static void s_pack_votes(msgpack_packer *pk, const msgpack_object *votes)
{
    static const char *const shown[] = {"member", "college", "decision"};
    proto_pack_str(pk, "votes");
    msgpack_pack_array(pk, doc_len(votes));
    for (size_t i = 0; i < doc_len(votes); i++) {
        const msgpack_object *vote = doc_at(votes, i);
        const msgpack_object *motivation = doc_get(vote, "motivation");
        bool motivated = motivation && motivation->type == MSGPACK_OBJECT_STR && motivation->via.str.size > 0;
        msgpack_pack_map(pk, 3 + (motivated ? 1 : 0));
        for (size_t k = 0; k < 3; k++) {
            const msgpack_object *value = doc_get(vote, shown[k]);
            proto_pack_str(pk, shown[k]);
            if (value)
                msgpack_pack_object(pk, *value);
            else
                msgpack_pack_nil(pk);
        }
        if (motivated) {
            proto_pack_str(pk, "motivation");
            msgpack_pack_object(pk, *motivation);
        }
    }
}

/*  The optional parts of an item: own recusal, renewal, the applicant's
 *  appeal in an appeal round, the staff's complaint in a complaint round. */
static size_t s_item_extras(const msgpack_object *file, const msgpack_object *name, review_set_t *set,
                            msgpack_zone *zone)
{
    static const char *const recusal_keys[] = {"reason", "at", NULL};
    const char *kind = review_kind_of(file);
    const msgpack_object *own = members_self_recusal(file, name);
    const msgpack_object *renews = doc_get(file, "renews");
    const msgpack_object *appeal = doc_get(file, "appeal");
    const msgpack_object *complaint = doc_get(file, "complaint");
    size_t n = 0;
    if (own)
        set[n++] = (review_set_t){"recusal", review_keep(zone, own, recusal_keys)};
    if (renews)
        set[n++] = (review_set_t){"renews", *renews};
    if (appeal && strcmp(kind, "appeal") == 0)
        set[n++] = (review_set_t){"appeal", *appeal};
    if (complaint && strcmp(kind, "complaint") == 0)
        set[n++] = (review_set_t){"complaint", *complaint};
    return n;
}

/*  The application and the report are stored apart from the file
 *  (rounds.h); the item carries them as the file's own fields. */
static void s_pack_item(msgpack_packer *pk, msgpack_zone *zone, const msgpack_object *file,
                        const msgpack_object *content, const msgpack_object *votes, const msgpack_object *member)
{
    static const char *const copied[] = {"id", "revision", "round", "name"};
    const msgpack_object *name = doc_get(member, "name");
    review_set_t extras[4];
    size_t n = s_item_extras(file, name, extras, zone);
    char why[8];
    bool recused = members_recused(member, file, why, sizeof why);
    msgpack_pack_map(pk, 10 + n);
    for (size_t i = 0; i < 4; i++) {
        const msgpack_object *value = doc_get(file, copied[i]);
        proto_pack_str(pk, copied[i]);
        if (value)
            msgpack_pack_object(pk, *value);
        else
            msgpack_pack_nil(pk);
    }
    proto_pack_str(pk, "report");
    msgpack_pack_object(pk, content[1]);
    proto_pack_str(pk, "application");
    msgpack_pack_object(pk, content[0]);
    s_pack_votes(pk, votes);
    proto_pack_kv_str(pk, "kind", review_kind_of(file));
    proto_pack_kv_bool(pk, "recused", recused);
    proto_pack_str(pk, "conflicts");
    members_conflicts(member, file, pk);
    for (size_t i = 0; i < n; i++) {
        proto_pack_str(pk, extras[i].key);
        msgpack_pack_object(pk, extras[i].val);
    }
}

/* ------------------------------------------------------------------- list */

typedef struct {
    service_t *svc;
    MDB_txn *txn;
    review_filter_t filter;
    char college[S_WORD_MAX], department[4], theme[S_WORD_MAX];
    const msgpack_object *name;
    const msgpack_object *member;
    uint64_t limit;
    size_t count;
    size_t scanned;
    char last[PROTO_ID_MAX + 1];
    bool more;
} queue_walk_t;

static void s_read_filter(queue_walk_t *w, const msgpack_object *msg)
{
    w->filter.college = doc_strcpy(msg, "college", w->college, sizeof w->college) > 0 ? w->college : NULL;
    w->filter.department = doc_strcpy(msg, "department", w->department, sizeof w->department) > 0
                               ? w->department : NULL;
    w->filter.theme = doc_strcpy(msg, "theme", w->theme, sizeof w->theme) > 0 ? w->theme : NULL;
}

/*  True when the file belongs in the member's queue; *votes gets the
 *  votes of its current round, *application and *report its content. */
static bool s_waiting(const queue_walk_t *w, const msgpack_object *file, msgpack_zone *zone,
                      msgpack_object *votes, msgpack_object *application, msgpack_object *report)
{
    if (!doc_str_eq(file, "state", FILE_OPEN) || ballots_round(w->svc, w->txn, file, zone, votes)
        || ballots_of(votes, w->name) || rounds_content(w->svc, w->txn, file, zone, application, report))
        return false;
    facts_buf_t facts;
    s_facts(&facts, application, votes);
    return review_filter_matches(&w->filter, &facts.facts);
}

/*  Looks at one file; false when the page is full (that file is left for
 *  the next page) or the scan is over. */
static bool s_visit(review_t *self, queue_walk_t *w, MDB_dbi db, const MDB_val *key)
{
    if (w->scanned == QUEUE_SCAN_MAX) {
        w->more = true;
        return false;
    }
    w->scanned++;
    msgpack_object file, votes, content[2];   /* application, report */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 8192);
    bool go_on = true;
    if (store_get_doc(w->txn, db, key->mv_data, key->mv_size, &zone, &file) == 0
        && s_waiting(w, &file, &zone, &votes, &content[0], &content[1])) {
        if (w->count == w->limit) {
            w->more = true;
            go_on = false;
        } else {
            s_pack_item(&self->pk, &zone, &file, content, &votes, w->member);
            w->count++;
        }
    }
    msgpack_zone_destroy(&zone);
    if (go_on)
        snprintf(w->last, sizeof w->last, "%.*s", (int)key->mv_size, (const char *)key->mv_data);
    return go_on;
}

int queue_list(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_object name, member;
    int rc = members_identity(req, &name);
    if (rc == 0)
        rc = members_load(self, svc, txn, req, &name, &member);
    if (rc)
        return rc;
    queue_walk_t w = {.svc = svc, .txn = txn, .name = &name, .member = &member, .limit = 100};
    doc_uint(req->msg, "limit", &w.limit);
    s_read_filter(&w, req->msg);
    MDB_dbi db = service_db(svc, REVIEW_DB_FILES);
    MDB_cursor *cursor;
    if ((rc = mdb_cursor_open(txn, db, &cursor)))
        return rc;
    /* Items are packed aside first: the array header needs the count. */
    msgpack_sbuffer_clear(&self->buf);
    MDB_val key, value;
    const msgpack_object *after = doc_get(req->msg, "after");
    for (rc = store_seek_after(cursor, after ? after->via.str.ptr : NULL, after ? after->via.str.size : 0,
                               &key, &value);
         rc == 0 && s_visit(self, &w, db, &key); rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        ;
    mdb_cursor_close(cursor);
    proto_pack_reply(req->reply, "queue", req->has_rid, req->rid, proto_entries(2, w.more));
    proto_pack_str(req->reply, "member");
    msgpack_pack_object(req->reply, name);
    proto_pack_str(req->reply, "items");
    msgpack_pack_array(req->reply, w.count);
    proto_pack_raw(req->reply, self->buf.data, self->buf.size);
    if (w.more)
        proto_pack_kv_str(req->reply, "next", w.last);
    return 0;
}
