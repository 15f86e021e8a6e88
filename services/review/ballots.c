/*  services/review/ballots.c - see ballots.h. */
#include "ballots.h"

#include "common/store.h"

#include <string.h>

#define S_KEY_MAX (PROTO_ID_MAX + 1 + 4 + 4)

static void s_be32(uint32_t value, unsigned char *out)
{
    for (int i = 3; i >= 0; i--, value >>= 8)
        out[i] = (unsigned char)value;
}

/*  The prefix of a file's votes (id NUL), of a round's (+ BE32 round) or
 *  one vote's key (+ BE32 rank); returns its length. */
static size_t s_key(unsigned char out[S_KEY_MAX], const msgpack_object *id, const uint64_t *round,
                    const size_t *rank)
{
    size_t len = id->via.str.size < PROTO_ID_MAX ? id->via.str.size : PROTO_ID_MAX;
    memcpy(out, id->via.str.ptr, len);
    out[len++] = '\0';
    if (round) {
        s_be32((uint32_t)*round, out + len);
        len += 4;
    }
    if (rank) {
        s_be32((uint32_t)*rank, out + len);
        len += 4;
    }
    return len;
}

/*  Calls fn on every record whose key starts with prefix; stops at the
 *  first non-zero return of fn. */
static int s_each(MDB_txn *txn, MDB_dbi db, const unsigned char *prefix, size_t prefix_len,
                  int (*fn)(void *arg, MDB_cursor *cursor, MDB_val *key, MDB_val *value), void *arg)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn, db, &cursor);
    if (rc)
        return rc;
    MDB_val key = {prefix_len, (void *)prefix}, value;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
         rc == 0 && key.mv_size >= prefix_len && memcmp(key.mv_data, prefix, prefix_len) == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT))
        if ((rc = fn(arg, cursor, &key, &value)))
            break;
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

typedef struct {
    msgpack_zone *zone;
    msgpack_object votes;
} collect_t;

static int s_collect(void *arg, MDB_cursor *cursor, MDB_val *key, MDB_val *value)
{
    (void)cursor;
    (void)key;
    collect_t *c = arg;
    msgpack_object vote;
    size_t offset = 0;
    if (msgpack_unpack(value->mv_data, value->mv_size, &offset, c->zone, &vote) != MSGPACK_UNPACK_SUCCESS)
        return MDB_CORRUPTED;
    c->votes = review_append(c->zone, &c->votes, vote);
    return 0;
}

int ballots_round(service_t *svc, MDB_txn *txn, const msgpack_object *file, msgpack_zone *zone,
                  msgpack_object *votes)
{
    uint64_t round = 1;
    doc_uint(file, "round", &round);
    const msgpack_object *earlier = doc_array(file, "votes");
    collect_t c = {zone, {.type = MSGPACK_OBJECT_ARRAY}};
    if (earlier)
        c.votes = *earlier;
    unsigned char prefix[S_KEY_MAX];
    size_t len = s_key(prefix, doc_get(file, "id"), &round, NULL);
    int rc = s_each(txn, service_db(svc, REVIEW_DB_VOTES), prefix, len, s_collect, &c);
    *votes = c.votes;
    return rc;
}

const msgpack_object *ballots_of(const msgpack_object *votes, const msgpack_object *member)
{
    for (size_t i = 0; i < doc_len(votes); i++)
        if (review_same_str(doc_get(doc_at(votes, i), "member"), member))
            return doc_at(votes, i);
    return NULL;
}

int ballots_put(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file, size_t rank,
                const msgpack_object *vote)
{
    uint64_t round = 1;
    doc_uint(file, "round", &round);
    unsigned char key[S_KEY_MAX];
    size_t len = s_key(key, doc_get(file, "id"), &round, &rank);
    msgpack_sbuffer_clear(&self->buf);
    msgpack_pack_object(&self->pk, *vote);
    return store_put_ordered(txn, service_db(svc, REVIEW_DB_VOTES), key, len, self->buf.data, self->buf.size);
}

typedef struct {
    review_t *self;
} strip_t;

static int s_strip_one(void *arg, MDB_cursor *cursor, MDB_val *key, MDB_val *value)
{
    static const char *const kept[] = {"member", "college", "decision", "at", NULL};
    strip_t *s = arg;
    msgpack_object vote;
    size_t offset = 0;
    msgpack_zone_clear(&s->self->zone);
    if (msgpack_unpack(value->mv_data, value->mv_size, &offset, &s->self->zone, &vote) != MSGPACK_UNPACK_SUCCESS)
        return MDB_CORRUPTED;
    msgpack_sbuffer_clear(&s->self->buf);
    msgpack_pack_object(&s->self->pk, review_keep(&s->self->zone, &vote, kept));
    /* The key is given from a copy: the node moves when the value shrinks. */
    unsigned char copy[S_KEY_MAX];
    memcpy(copy, key->mv_data, key->mv_size);
    MDB_val k = {key->mv_size, copy}, v = {s->self->buf.size, s->self->buf.data};
    return mdb_cursor_put(cursor, &k, &v, MDB_CURRENT);
}

int ballots_strip(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *id)
{
    unsigned char prefix[S_KEY_MAX];
    size_t len = s_key(prefix, id, NULL, NULL);
    strip_t s = {self};
    return s_each(txn, service_db(svc, REVIEW_DB_VOTES), prefix, len, s_strip_one, &s);
}
