/*  services/review/votes.c - see votes.h. */
#include "votes.h"

#include "amended.h"
#include "ballots.h"
#include "listing.h"
#include "members.h"
#include "rounds.h"

#include <stdio.h>
#include <string.h>

#define S_VOTES_MAX 256

bool review_decision_fits(const char *kind, const char *decision)
{
    bool complaint_decision = strcmp(decision, "reinstate") == 0 || strcmp(decision, "withdraw") == 0;
    return strcmp(kind, "complaint") == 0 ? complaint_decision
                                          : !complaint_decision && proto_is_decision(decision, strlen(decision));
}

bool review_needs_motivation(const char *decision)
{
    return strcmp(decision, "approve") != 0 && strcmp(decision, "reinstate") != 0;
}

/* ------------------------------------------------------------------ tally */

typedef struct {
    size_t count;
    char choices[S_VOTES_MAX][16];      /* what each vote chose */
    char colleges[S_VOTES_MAX][32];
} tally_t;

/*  The decision the votes of the round reached (review_decision_reached),
 *  or NULL while the round stays open. */
static const char *s_tally(const review_t *self, tally_t *t, const msgpack_object *votes)
{
    const char *choices[S_VOTES_MAX], *colleges[S_VOTES_MAX];
    t->count = 0;
    for (size_t i = 0; i < doc_len(votes) && i < S_VOTES_MAX; i++, t->count++) {
        doc_strcpy(doc_at(votes, i), "decision", t->choices[i], sizeof t->choices[i]);
        doc_strcpy(doc_at(votes, i), "college", t->colleges[i], sizeof t->colleges[i]);
        choices[i] = t->choices[i];
        colleges[i] = t->colleges[i];
    }
    return review_decision_reached(&self->rules, choices, colleges, t->count);
}

/* ------------------------------------------------------------------- vote */

/*  The acknowledgement of a vote: the vote's own decision, and the
 *  committee's decision when this vote made one (the wire calls that
 *  field "outcome": clients read it under that name). */
static void s_pack_ack(service_request_t *req, const msgpack_object *file, uint64_t round, size_t votes,
                       const char *decision, bool duplicate)
{
    proto_pack_reply(req->reply, "vote_ack", req->has_rid, req->rid, proto_entries(5, decision != NULL));
    proto_pack_str(req->reply, "id");
    msgpack_pack_object(req->reply, *doc_get(file, "id"));
    proto_pack_kv_uint(req->reply, "round", round);
    proto_pack_str(req->reply, "decision");
    msgpack_pack_object(req->reply, *doc_get(req->msg, "decision"));
    proto_pack_kv_uint(req->reply, "votes", votes);
    if (decision)
        proto_pack_kv_str(req->reply, "outcome", decision);
    proto_pack_kv_bool(req->reply, "duplicate", duplicate);
}

/*  The same vote again (a retry): acknowledged once more, counted once,
 *  with the committee's decision when this round was decided, so that a
 *  client that lost the first acknowledgement learns it.  True when the
 *  acknowledgement is packed (an answer, not a refusal). */
static bool s_retry(service_request_t *req, const msgpack_object *file, const msgpack_object *votes,
                    const msgpack_object *name, uint64_t round)
{
    const msgpack_object *earlier = ballots_of(votes, name);
    const msgpack_object *motivation = doc_get(req->msg, "motivation");
    if (!earlier || !review_same_str(doc_get(earlier, "decision"), doc_get(req->msg, "decision"))
        || !review_same_str(doc_get(earlier, "motivation"), motivation ? motivation : doc_get(earlier, "motivation")))
        return false;
    char decision[16] = "";
    bool decided = !doc_str_eq(file, "state", FILE_OPEN)
                   && doc_strcpy(file, "decision", decision, sizeof decision) > 0;
    s_pack_ack(req, file, round, doc_len(votes), decided ? decision : NULL, true);
    return true;
}

/*  Checks a vote before anything is written: 0, or SERVICE_REFUSED with
 *  the refusal packed. */
static int s_check_vote(service_request_t *req, const msgpack_object *file, const msgpack_object *votes,
                        const msgpack_object *member, const msgpack_object *name)
{
    char choice[16] = "", why[PROTO_MESSAGE_MAX];   /* the decision this vote asks for */
    doc_strcpy(req->msg, "decision", choice, sizeof choice);
    const char *kind = review_kind_of(file);
    if (!doc_str_eq(file, "state", FILE_OPEN))
        return service_refuse(req, PROTO_E_CONFLICT, "id", "state",
                              "this file is not open for votes (decided or withdrawn)");
    if (ballots_of(votes, name))
        return service_refuse(req, PROTO_E_CONFLICT, "member", "already_voted",
                              "this member has already voted in this round; a vote cannot be changed");
    if (members_recused(member, file, why, sizeof why))
        return service_refuse(req, PROTO_E_FORBIDDEN, "member", "recused", "%s", why);
    if (!review_decision_fits(kind, choice))
        return service_refuse(req, PROTO_E_INVALID, "decision", "round_kind", "%s",
                              strcmp(kind, "complaint") == 0
                                  ? "a complaint round decides only reinstate or withdraw"
                                  : "reinstate and withdraw are decided only in a complaint round; "
                                    "a review or appeal round decides approve, reject or changes");
    if (review_needs_motivation(choice) && review_blank(doc_get(req->msg, "motivation")))
        return service_refuse(req, PROTO_E_INVALID, "motivation", "required",
                              "this decision needs a written motivation, which the applicant will read");
    if (doc_len(votes) >= S_VOTES_MAX)
        return service_refuse(req, PROTO_E_CONFLICT, "id", "votes_max",
                              "this round has reached the maximum number of votes");
    return 0;
}

static bool s_lists(const char *decision)
{
    return decision && (strcmp(decision, "approve") == 0 || strcmp(decision, "reinstate") == 0);
}

review_decision_t votes_decision(const review_t *self, const msgpack_object *file,
                                 const msgpack_object *application, const char *decision, int64_t now)
{
    review_decision_t d = {.decision = decision, .approved_at = now};
    if (!decision)
        return d;
    d.listed = s_lists(decision);
    /* A reinstated listing keeps the term of its approval. */
    uint64_t approved_at;
    if ((strcmp(decision, "reinstate") == 0 || amended_keeps_term(file))
        && doc_uint(file, "approved_at", &approved_at))
        d.approved_at = (int64_t)approved_at;
    if (d.listed)
        d.expiry = listing_expiry_of(&self->rules, application, d.approved_at);
    return d;
}

static msgpack_object s_motivations(msgpack_zone *zone, const msgpack_object *votes, const char *decision)
{
    msgpack_object list = {.type = MSGPACK_OBJECT_ARRAY};
    for (size_t i = 0; i < doc_len(votes); i++) {
        const msgpack_object *m = doc_get(doc_at(votes, i), "motivation");
        if (doc_str_eq(doc_at(votes, i), "decision", decision) && !review_blank(m))
            list = review_append(zone, &list, *m);
    }
    return list;
}

static msgpack_object s_voters(msgpack_zone *zone, const msgpack_object *votes)
{
    msgpack_object list = {.type = MSGPACK_OBJECT_ARRAY};
    for (size_t i = 0; i < doc_len(votes); i++) {
        const msgpack_object *who = doc_get(doc_at(votes, i), "member");
        list = review_append(zone, &list, who ? *who : review_str(""));
    }
    return list;
}

int votes_emit_decided(review_t *self, service_t *svc, MDB_txn *txn, const msgpack_object *file,
                       const msgpack_object *application, const msgpack_object *votes,
                       const review_decision_t *d, const review_set_t *extra, size_t extra_n, int64_t now)
{
    uint64_t revision = 1, round = 1;
    doc_uint(file, "revision", &revision);
    doc_uint(file, "round", &round);
    const msgpack_object *renews = doc_get(file, "renews");
    review_set_t set[10 + VOTES_DECIDED_EXTRA_MAX];
    size_t n = 0;
    set[n++] = (review_set_t){"id", *doc_get(file, "id")};
    set[n++] = (review_set_t){"revision", review_uint(revision)};
    set[n++] = (review_set_t){"round", review_uint(round)};
    set[n++] = (review_set_t){"kind", review_str(review_kind_of(file))};
    set[n++] = (review_set_t){"decision", review_str(d->decision)};
    set[n++] = (review_set_t){"motivations", s_motivations(&self->zone, votes, d->decision)};
    set[n++] = (review_set_t){"voters", s_voters(&self->zone, votes)};
    if (renews)
        set[n++] = (review_set_t){"renews", *renews};
    if (d->listed && application->type != MSGPACK_OBJECT_NIL)
        set[n++] = (review_set_t){"application", *application};
    if (d->listed)
        set[n++] = (review_set_t){"expires", review_uint((uint64_t)d->expiry.expires)};
    for (size_t i = 0; i < extra_n && i < VOTES_DECIDED_EXTRA_MAX; i++)
        set[n++] = extra[i];
    return review_emit(svc, txn, "decided", now, set, n);
}

size_t votes_decided_file(const review_decision_t *d, review_set_t *set)
{
    size_t n = 0;
    bool withdrawn = strcmp(d->decision, "withdraw") == 0;
    set[n++] = (review_set_t){"state", review_str(withdrawn ? FILE_WITHDRAWN : FILE_DECIDED)};
    set[n++] = (review_set_t){"decision", review_str(d->decision)};
    if (withdrawn)
        set[n++] = (review_set_t){"ended", review_str("withdrawn")};
    if (d->listed) {
        set[n++] = (review_set_t){"approved_at", review_uint((uint64_t)d->approved_at)};
        set[n++] = (review_set_t){"expires", review_uint((uint64_t)d->expiry.expires)};
        set[n++] = (review_set_t){"expires_cause", review_str(listing_cause_name(d->expiry.cause))};
    }
    return n;
}

static msgpack_object s_new_vote(msgpack_zone *zone, const msgpack_object *msg, const msgpack_object *name,
                                 const msgpack_object *member, int64_t now)
{
    const msgpack_object *motivation = doc_get(msg, "motivation");
    review_set_t vote[] = {{"member", *name},
                           {"college", *doc_get(member, "college")},
                           {"decision", *doc_get(msg, "decision")},
                           {"motivation", motivation ? *motivation : review_str("")},
                           {"at", review_uint((uint64_t)now)}};
    return review_map(zone, vote, 5);
}

int votes_after_decision(review_t *self, service_t *svc, MDB_txn *txn, const review_decision_t *d,
                         const char *id, const char *renews, int64_t now)
{
    if (!d->listed)
        return 0;
    msgpack_object key = review_str(id);
    int rc = listing_index_add(svc, txn, &key, d->expiry.expires);
    if (rc == 0 && renews[0] && strcmp(d->decision, "approve") == 0)
        rc = listing_renewed(self, svc, txn, renews, id, now);
    return rc;
}

/*  Loads the voter, the file and the votes of its current round: 0,
 *  SERVICE_REFUSED (no such member or file) or an LMDB code. */
static int s_load_all(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req,
                      msgpack_object *name, msgpack_object *member, msgpack_object *file, msgpack_object *votes)
{
    int rc = members_load(self, svc, txn, req, name, member);
    if (rc == 0)
        rc = review_load_file(self, svc, txn, req, file);
    if (rc == 0)
        rc = ballots_round(svc, txn, file, &self->zone, votes);
    return rc;
}

/*  A vote that names the round its member read counts only in that
 *  round: after an amendment or an appeal opened another, it would count
 *  for a revision the member never saw.  Checked before a retry, whose
 *  earlier vote is then in another round.  0, or SERVICE_REFUSED. */
static int s_check_round(service_request_t *req, uint64_t current)
{
    uint64_t read;
    if (!doc_uint(req->msg, "round", &read) || read == current)
        return 0;
    return service_refuse(req, PROTO_E_CONFLICT, "round", "stale",
                          "round %llu is over: the file is in round %llu, read it again before voting",
                          (unsigned long long)read, (unsigned long long)current);
}

/*  A vote writes its own record; the file is written again only when the
 *  round is decided. */
int votes_vote(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_object name, member, file, earlier;
    int rc = members_identity(req, &name);
    if (rc == 0)
        rc = s_load_all(self, svc, txn, req, &name, &member, &file, &earlier);
    if (rc)
        return rc;
    uint64_t round = 1;
    doc_uint(&file, "round", &round);
    if ((rc = s_check_round(req, round)))
        return rc;
    if (s_retry(req, &file, &earlier, &name, round))
        return 0;
    if ((rc = s_check_vote(req, &file, &earlier, &member, &name)))
        return rc;
    msgpack_object vote = s_new_vote(&self->zone, req->msg, &name, &member, req->now);
    msgpack_object votes = review_append(&self->zone, &earlier, vote);
    tally_t tally;   /* 12 KiB: the votes of one round */
    const char *decision = s_tally(self, &tally, &votes);
    /* The application is read only when the file is listed: its expiry
     * and the "decided" event come from it. */
    msgpack_object application = review_nil();
    if (s_lists(decision) && (rc = rounds_content(svc, txn, &file, &self->zone, &application, NULL)))
        return rc;
    review_decision_t d = votes_decision(self, &file, &application, decision, req->now);
    review_set_t extra[2];
    size_t extra_n = amended_decided_extra(&file, &d, extra);
    if (d.decision
        && (rc = votes_emit_decided(self, svc, txn, &file, &application, &votes, &d, extra, extra_n, req->now)))
        return rc;
    char id[PROTO_ID_MAX + 1], renews[PROTO_ID_MAX + 1] = "";
    doc_strcpy(&file, "id", id, sizeof id);
    doc_strcpy(&file, "renews", renews, sizeof renews);
    s_pack_ack(req, &file, round, doc_len(&votes), d.decision, false);
    if ((rc = ballots_put(self, svc, txn, &file, doc_len(&earlier), &vote)) || !d.decision)
        return rc;
    review_set_t set[8];
    size_t n = votes_decided_file(&d, set);
    msgpack_object key = review_str(id);
    if ((rc = review_put(self, txn, service_db(svc, REVIEW_DB_FILES), &key, &file, set, n))
        || (rc = amended_decided(self, svc, txn, id, d.decision)))
        return rc;
    return votes_after_decision(self, svc, txn, &d, id, renews, req->now);
}

/* ----------------------------------------------------------------- recuse */

static void s_pack_recused(service_request_t *req, const msgpack_object *id, const msgpack_object *name,
                           const msgpack_object *round, const msgpack_object *reason, bool duplicate)
{
    proto_pack_reply(req->reply, "recused", req->has_rid, req->rid, 5);
    proto_pack_str(req->reply, "id");
    msgpack_pack_object(req->reply, *id);
    proto_pack_str(req->reply, "member");
    msgpack_pack_object(req->reply, *name);
    proto_pack_str(req->reply, "round");
    msgpack_pack_object(req->reply, *round);
    proto_pack_str(req->reply, "reason");
    msgpack_pack_object(req->reply, *reason);
    proto_pack_kv_bool(req->reply, "duplicate", duplicate);
}

/*  Checks a recusal before anything is written: 0, or SERVICE_REFUSED
 *  with the refusal packed. */
static int s_check_recusal(service_request_t *req, const msgpack_object *file, const msgpack_object *votes,
                           const msgpack_object *name)
{
    if (doc_str_eq(file, "state", FILE_WITHDRAWN))
        return service_refuse(req, PROTO_E_CONFLICT, "id", "state",
                              "this file is withdrawn: there is nothing to judge");
    if (ballots_of(votes, name))
        return service_refuse(req, PROTO_E_CONFLICT, "member", "already_voted",
                              "this member has already voted in the current round of this file and cannot "
                              "recuse themself from it any more");
    if (review_blank(doc_get(req->msg, "reason")))
        return service_refuse(req, PROTO_E_INVALID, "reason", "required", "a recusal says why");
    return 0;
}

int votes_recuse(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    msgpack_object name, member, file, votes;
    int rc = members_identity(req, &name);
    if (rc == 0)
        rc = s_load_all(self, svc, txn, req, &name, &member, &file, &votes);
    if (rc)
        return rc;
    /* The same recusal again (a retry) is acknowledged as a duplicate. */
    const msgpack_object *own = members_self_recusal(&file, &name);
    if (own) {
        s_pack_recused(req, doc_get(&file, "id"), &name, doc_get(own, "round"), doc_get(own, "reason"), true);
        return 0;
    }
    if ((rc = s_check_recusal(req, &file, &votes, &name)))
        return rc;
    uint64_t round = 1;
    doc_uint(&file, "round", &round);
    review_set_t recusal[] = {{"member", name},
                              {"reason", *doc_get(req->msg, "reason")},
                              {"at", review_uint((uint64_t)req->now)},
                              {"round", review_uint(round)}};
    msgpack_object added = review_map(&self->zone, recusal, 4);
    review_set_t set[] = {{"recusals", review_append(&self->zone, doc_array(&file, "recusals"), added)}};
    s_pack_recused(req, doc_get(req->msg, "id"), &name, &recusal[3].val, &recusal[1].val, false);
    return review_put(self, txn, service_db(svc, REVIEW_DB_FILES), doc_get(req->msg, "id"), &file, set, 1);
}
