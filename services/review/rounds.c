/*  services/review/rounds.c - see rounds.h. */
#include "rounds.h"

#include "amended.h"
#include "ballots.h"
#include "members.h"

#include "proto/kept_report.h"
#include "common/log.h"
#include "common/store.h"

#include <stdio.h>
#include <string.h>

#define S_PARTIES_MAX 128

/*  A party of the file (who it is about, by SIREN): the applicant, its
 *  reference clients, and the organisations it declares ties with
 *  (charter LOY-COI: declared links feed conflict detection). */
static msgpack_object s_party(msgpack_zone *zone, const char *siren, const char *role,
                              const msgpack_object *name)
{
    char *copy = msgpack_zone_malloc(zone, REVIEW_SIREN_LEN + 1);
    memcpy(copy, siren, REVIEW_SIREN_LEN + 1);
    review_set_t set[3];
    size_t n = 0;
    set[n++] = (review_set_t){"siren", review_str(copy)};
    set[n++] = (review_set_t){"role", review_str(role)};
    if (name && name->type == MSGPACK_OBJECT_STR)
        set[n++] = (review_set_t){"name", *name};
    return review_map(zone, set, n);
}

static msgpack_object s_add_party(msgpack_zone *zone, const msgpack_object *list,
                                  const msgpack_object *number, const char *role,
                                  const msgpack_object *name)
{
    char siren[REVIEW_SIREN_LEN + 1];
    if (doc_len(list) >= S_PARTIES_MAX || !number || number->type != MSGPACK_OBJECT_STR
        || !review_siren_of(number->via.str.ptr, number->via.str.size, siren))
        return *list;
    return review_append(zone, list, s_party(zone, siren, role, name));
}

static msgpack_object s_parties(msgpack_zone *zone, const msgpack_object *application)
{
    const msgpack_object *org = doc_map(application, "organisation");
    const msgpack_object *refs = doc_array(application, "references");
    const msgpack_object *ties = doc_array(doc_map(application, "ties"), "organisations");
    msgpack_object list = {.type = MSGPACK_OBJECT_ARRAY};
    list = s_add_party(zone, &list, doc_get(org, "siret"), "applicant", doc_get(org, "name"));
    for (size_t i = 0; i < doc_len(refs); i++)
        list = s_add_party(zone, &list, doc_get(doc_at(refs, i), "client_siren"), "reference_client",
                           doc_get(doc_at(refs, i), "client"));
    for (size_t i = 0; i < doc_len(ties); i++)
        list = s_add_party(zone, &list, doc_at(ties, i), "declared_tie", NULL);
    return list;
}

size_t rounds_derived(msgpack_zone *zone, const msgpack_object *application, review_set_t *set)
{
    const msgpack_object *name = doc_path(application, "organisation.name");
    const msgpack_object *networks = doc_array(doc_map(application, "ties"), "networks");
    msgpack_object empty = {.type = MSGPACK_OBJECT_ARRAY};
    size_t n = 0;
    set[n++] = (review_set_t){"name", name && name->type == MSGPACK_OBJECT_STR ? *name : review_str("")};
    set[n++] = (review_set_t){"parties", s_parties(zone, application)};
    set[n++] = (review_set_t){"networks", networks ? *networks : empty};
    return n;
}

/*  What a validated event brings into the file: its revision, what is
 *  derived from the application, the renewed listing.  The application
 *  and the report go apart (s_store_content). */
static size_t s_content(msgpack_zone *zone, const msgpack_object *event, review_set_t *set)
{
    const msgpack_object *renews = doc_get(event, "renews");
    uint64_t revision = 1;
    doc_uint(event, "revision", &revision);
    size_t n = 0;
    set[n++] = (review_set_t){"revision", review_uint(revision)};
    n += rounds_derived(zone, doc_map(event, "application"), set + n);
    if (renews && renews->type == MSGPACK_OBJECT_STR)
        set[n++] = (review_set_t){"renews", *renews};
    return n;
}

static int s_del(MDB_txn *txn, MDB_dbi db, const msgpack_object *id)
{
    MDB_val key = {id->via.str.size, (void *)id->via.str.ptr};
    int rc = mdb_del(txn, db, &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int rounds_put_application(review_t *self, service_t *svc, MDB_txn *txn, const char *id,
                           const msgpack_object *application, const msgpack_object *listed)
{
    msgpack_object key = review_str(id);
    review_set_t set[] = {{"application", *application}, {"listed", listed ? *listed : review_nil()}};
    return review_put(self, txn, service_db(svc, REVIEW_DB_APPLICATIONS), &key, NULL, set, listed ? 2 : 1);
}

int rounds_put_content(review_t *self, service_t *svc, MDB_txn *txn, const char *id,
                       const msgpack_object *application, const msgpack_object *report,
                       const msgpack_object *listed)
{
    int rc = rounds_put_application(self, svc, txn, id, application, listed);
    if (rc)
        return rc;
    if (!report || report->type == MSGPACK_OBJECT_NIL) {
        msgpack_object key = review_str(id);
        return s_del(txn, service_db(svc, REVIEW_DB_REPORTS), &key);
    }
    kept_report_pack(&self->buf, report);
    return store_put_ordered(txn, service_db(svc, REVIEW_DB_REPORTS), id, strlen(id), self->buf.data,
                             self->buf.size);
}

/*  The event's application and report (none when it has none) under the
 *  file's id. */
static int s_store_content(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event)
{
    char id[PROTO_ID_MAX + 1];
    if (doc_strcpy(event, "id", id, sizeof id) <= 0)
        return MDB_INCOMPATIBLE;
    return rounds_put_content(self, svc, txn, id, doc_map(event, "application"), doc_get(event, "report"), NULL);
}

static bool s_key_is(const msgpack_object *key, const char *name)
{
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(name)
           && memcmp(key->via.str.ptr, name, key->via.str.size) == 0;
}

/*  A file stored before the application and the report went apart,
 *  without them (a copy in zone); any other file as it is. */
static msgpack_object s_without_content(msgpack_zone *zone, const msgpack_object *file)
{
    if (!doc_get(file, "application") && !doc_get(file, "report"))
        return *file;
    msgpack_object copy = *file;
    msgpack_object_kv *kv = msgpack_zone_malloc(zone, (file->via.map.size + 1) * sizeof *kv);
    uint32_t n = 0;
    for (uint32_t i = 0; i < file->via.map.size; i++) {
        const msgpack_object *key = &file->via.map.ptr[i].key;
        if (!s_key_is(key, "application") && !s_key_is(key, "report"))
            kv[n++] = file->via.map.ptr[i];
    }
    copy.via.map.ptr = kv;
    copy.via.map.size = n;
    return copy;
}

static msgpack_object s_field(const msgpack_object *map, const char *name)
{
    const msgpack_object *value = doc_get(map, name);
    return value ? *value : review_nil();
}

/*  The report kept apart for file `id`, decoded into zone; nil when
 *  there is none (or it cannot be read: a warning says so). */
static int s_kept_report(service_t *svc, MDB_txn *txn, const msgpack_object *id, msgpack_zone *zone,
                         msgpack_object *report)
{
    *report = review_nil();
    if (!id || id->type != MSGPACK_OBJECT_STR)
        return 0;
    MDB_val key = {id->via.str.size, (void *)id->via.str.ptr}, kept;
    int rc = mdb_get(txn, service_db(svc, REVIEW_DB_REPORTS), &key, &kept);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    proto_error_t err;
    if (kept_report_decode(kept.mv_data, kept.mv_size, zone, report, &err)) {
        log_warn("the kept report of file %.*s: %s", (int)key.mv_size, (const char *)key.mv_data, err.message);
        *report = review_nil();
    }
    return 0;
}

int rounds_content(service_t *svc, MDB_txn *txn, const msgpack_object *file, msgpack_zone *zone,
                   msgpack_object *application, msgpack_object *report)
{
    msgpack_object content;
    const msgpack_object *id = doc_get(file, "id");
    int rc = review_load(txn, service_db(svc, REVIEW_DB_APPLICATIONS), id, zone, &content);
    if (rc == MDB_NOTFOUND)
        content = *file;   /* stored before the content went apart */
    else if (rc)
        return rc;
    *application = s_field(&content, "application");
    if (!report)
        return 0;
    /* Stored with its application before the report went apart. */
    if (rc == MDB_NOTFOUND || doc_get(&content, "report")) {
        *report = s_field(&content, "report");
        return 0;
    }
    return s_kept_report(svc, txn, id, zone, report);
}

int rounds_forget_content(service_t *svc, MDB_txn *txn, const msgpack_object *id)
{
    int rc = s_del(txn, service_db(svc, REVIEW_DB_APPLICATIONS), id);
    return rc ? rc : s_del(txn, service_db(svc, REVIEW_DB_REPORTS), id);
}

static int s_queued(service_t *svc, MDB_txn *txn, const msgpack_object *id, uint64_t revision,
                    uint64_t round, const char *kind, int64_t now)
{
    review_set_t set[] = {{"id", *id}, {"revision", review_uint(revision)}, {"round", review_uint(round)},
                          {"kind", review_str(kind)}};
    return review_emit(svc, txn, "queued", now, set, 4);
}

int rounds_store_new(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event, int64_t now)
{
    const msgpack_object *id = doc_get(event, "id");
    msgpack_object empty = {.type = MSGPACK_OBJECT_ARRAY};
    review_set_t set[16];
    size_t n = 0;
    set[n++] = (review_set_t){"id", *id};
    set[n++] = (review_set_t){"round", review_uint(1)};
    set[n++] = (review_set_t){"kind", review_str("review")};
    set[n++] = (review_set_t){"state", review_str(FILE_OPEN)};
    set[n++] = (review_set_t){"decision", review_nil()};
    set[n++] = (review_set_t){"votes", empty};
    set[n++] = (review_set_t){"rounds", empty};
    set[n++] = (review_set_t){"recusals", empty};
    set[n++] = (review_set_t){"queued_at", review_uint((uint64_t)now)};
    n += s_content(&self->zone, event, set + n);
    int rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), id, NULL, set, n);
    return rc ? rc : s_store_content(self, svc, txn, event);
}

static int s_enter(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event, int64_t now)
{
    const msgpack_object *id = doc_get(event, "id");
    int rc = rounds_store_new(self, svc, txn, event, now);
    if (rc)
        return rc;
    uint64_t revision = 1;
    doc_uint(event, "revision", &revision);
    return s_queued(svc, txn, id, revision, 1, "review", now);
}

int rounds_apply_validated(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                           int64_t now)
{
    if (!doc_str_eq(event, "verdict", "review") || !doc_map(event, "application"))
        return 0;
    msgpack_object old;
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), doc_get(event, "id"), &self->zone, &old);
    if (rc == MDB_NOTFOUND)
        return s_enter(self, svc, txn, event, now);
    if (rc)
        return rc;
    uint64_t old_revision = 0, revision = 1;
    doc_uint(&old, "revision", &old_revision);
    doc_uint(event, "revision", &revision);
    if (doc_str_eq(&old, "state", FILE_WITHDRAWN) || old_revision >= revision)
        return 0;
    /* A listed file that comes back is an update of its listing. */
    if (review_is_listed(&old))
        return amended_apply_validated(self, svc, txn, &old, event, now);
    return rounds_reopen(self, svc, txn, &old, event, now);
}

int rounds_reopen(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *old,
                  const msgpack_object *event, int64_t now)
{
    review_set_t set[8];
    size_t n = s_content(&self->zone, event, set);
    msgpack_object file = s_without_content(&self->zone, old);
    int rc = rounds_open(self, svc, txn, &file, "review", set, n, now);
    return rc ? rc : s_store_content(self, svc, txn, event);
}

int rounds_apply_appealed(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *event,
                          int64_t now)
{
    msgpack_object file;
    int rc = review_load(txn, service_db(svc, REVIEW_DB_FILES), doc_get(event, "id"), &self->zone, &file);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (!doc_str_eq(&file, "state", FILE_DECIDED) || !doc_str_eq(&file, "decision", "reject")
        || doc_bool(&file, "appealed", false))
        return 0;
    review_set_t set[] = {{"appeal", *doc_get(event, "motivation")}, {"appealed", review_bool(true)}};
    return rounds_open(self, svc, txn, &file, "appeal", set, 2, now);
}

msgpack_object rounds_closed(msgpack_zone *zone, const msgpack_object *file, const msgpack_object *votes)
{
    uint64_t round = 1, revision = 1;
    doc_uint(file, "round", &round);
    doc_uint(file, "revision", &revision);
    const msgpack_object *decision = doc_get(file, "decision");
    review_set_t closed[] = {{"round", review_uint(round)},
                             {"revision", review_uint(revision)},
                             {"kind", review_str(review_kind_of(file))},
                             {"decision", decision ? *decision : review_nil()},
                             {"votes", *votes}};
    return review_append(zone, doc_array(file, "rounds"), review_map(zone, closed, 5));
}

int rounds_open(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                const char *kind, const review_set_t *extra, size_t n, int64_t now)
{
    uint64_t round = 1, revision = 1;
    doc_uint(file, "round", &round);
    msgpack_object empty = {.type = MSGPACK_OBJECT_ARRAY}, votes;
    int rc = ballots_round(svc, txn, file, &self->zone, &votes);
    if (rc)
        return rc;
    review_set_t set[24];
    size_t count = 0;
    set[count++] = (review_set_t){"round", review_uint(round + 1)};
    set[count++] = (review_set_t){"kind", review_str(kind)};
    set[count++] = (review_set_t){"state", review_str(FILE_OPEN)};
    set[count++] = (review_set_t){"decision", review_nil()};
    set[count++] = (review_set_t){"votes", empty};
    set[count++] = (review_set_t){"rounds", rounds_closed(&self->zone, file, &votes)};
    set[count++] = (review_set_t){"queued_at", review_uint((uint64_t)now)};
    doc_uint(file, "revision", &revision);
    for (size_t i = 0; i < n && count < 24; i++) {
        set[count++] = extra[i];
        if (strcmp(extra[i].key, "revision") == 0)
            revision = extra[i].val.via.u64;
    }
    const msgpack_object *id = doc_get(file, "id");
    /* The id is copied: the stored bytes it points to are replaced. */
    char key[PROTO_ID_MAX + 1];
    snprintf(key, sizeof key, "%.*s", (int)id->via.str.size, id->via.str.ptr);
    msgpack_object key_obj = review_str(key);
    rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key_obj, file, set, count);
    if (rc)
        return rc;
    return s_queued(svc, txn, &key_obj, revision, round + 1, kind, now);
}
