/*  services/intake/rules.c - see rules.h. */
#include "rules.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <stdio.h>
#include <string.h>

int intake_state_rank(const char *state, size_t len)
{
    static const struct { const char *state; int rank; } ranks[] = {
        {STATE_RECEIVED, 0}, {STATE_INCOMPLETE, 1}, {STATE_IN_REVIEW, 1},
        {STATE_CHANGES_REQUESTED, 2}, {STATE_REJECTED, 2}, {STATE_APPROVED, 2},
        {STATE_PUBLISHED, 3}, {STATE_SUSPENDED, 3}, {STATE_WITHDRAWN, 4},
    };
    for (size_t i = 0; i < sizeof ranks / sizeof *ranks; i++)
        if (strlen(ranks[i].state) == len && memcmp(ranks[i].state, state, len) == 0)
            return ranks[i].rank;
    return -1;
}

static int s_rank_of(const msgpack_object *record)
{
    const char *state;
    size_t len;
    return doc_str(record, "state", &state, &len) ? intake_state_rank(state, len) : -1;
}

const char *intake_forward(const msgpack_object *record, const char *state)
{
    return intake_state_rank(state, strlen(state)) > s_rank_of(record) ? state : NULL;
}

const char *intake_queued_state(const msgpack_object *record, const char *kind, size_t len)
{
    if (len == 6 && memcmp(kind, "review", 6) == 0)
        return intake_forward(record, STATE_IN_REVIEW);
    if (len == 6 && memcmp(kind, "appeal", 6) == 0 && doc_str_eq(record, "state", STATE_REJECTED)
        && doc_get(record, "appeal"))
        return STATE_IN_REVIEW;
    return NULL;
}

static bool s_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
            return false;
    return true;
}

const char *intake_appeal_refused(const msgpack_object *record, const char *motivation, size_t len,
                                  proto_error_t *err)
{
    if (!motivation || s_blank(motivation, len)) {
        proto_error_set(err, "motivation", "required", "motivation: say why the decision should be reconsidered");
        return PROTO_E_INVALID;
    }
    if (doc_get(record, "appeal")) {
        proto_error_set(err, "id", "appeal_used", "one appeal per application: this one was already appealed");
        return PROTO_E_CONFLICT;
    }
    if (!doc_str_eq(record, "state", STATE_REJECTED)) {
        char state[32] = "";
        doc_strcpy(record, "state", state, sizeof state);
        proto_error_set(err, "id", "state", "an application in state %s cannot be appealed: only a rejected one can",
                        state);
        return PROTO_E_CONFLICT;
    }
    return NULL;
}

void intake_record_listing(const msgpack_object *record, char out[INTAKE_LISTING_MAX])
{
    if (doc_strcpy(record, "listing", out, INTAKE_LISTING_MAX) <= 0 && doc_strcpy(record, "siret", out, INTAKE_LISTING_MAX) <= 0)
        out[0] = '\0';
}

const char *intake_renewal_refused(const msgpack_object *renewed, const char *renewed_id, const char *listing,
                                   proto_error_t *err)
{
    if (!renewed) {
        proto_error_set(err, "renews", "exists", "renews: no application has the id %s", renewed_id);
        return PROTO_E_INVALID;
    }
    char theirs[INTAKE_LISTING_MAX];
    intake_record_listing(renewed, theirs);
    if (!*listing || strcmp(theirs, listing) != 0) {
        proto_error_set(err, "renews", "same_siret",
                        "renews: %s is not a listing of this structure (SIRET) and this advisor", renewed_id);
        return PROTO_E_INVALID;
    }
    bool listed = doc_str_eq(renewed, "state", STATE_APPROVED) || doc_str_eq(renewed, "state", STATE_PUBLISHED);
    bool ended = doc_str_eq(renewed, "state", STATE_WITHDRAWN)
        && (doc_str_eq(renewed, "withdrawn_kind", "expired") || doc_str_eq(renewed, "withdrawn_kind", "renewed"));
    if (!listed && !ended) {
        char state[32] = "", kind[32] = "";
        doc_strcpy(renewed, "state", state, sizeof state);
        if (doc_strcpy(renewed, "withdrawn_kind", kind, sizeof kind) > 0)
            snprintf(state + strlen(state), sizeof state - strlen(state), " (%s)", kind);
        proto_error_set(err, "renews", "state",
                        "renews: %s is %s; only an approved or published listing, or one that expired, can be renewed",
                        renewed_id, state);
        return PROTO_E_INVALID;
    }
    return NULL;
}

bool intake_siret_free(const msgpack_object *holder, const char *holder_id, const char *renews)
{
    if (doc_str_eq(holder, "state", STATE_REJECTED) || doc_str_eq(holder, "state", STATE_WITHDRAWN))
        return true;
    return renews && strcmp(renews, holder_id) == 0
        && (doc_str_eq(holder, "state", STATE_APPROVED) || doc_str_eq(holder, "state", STATE_PUBLISHED));
}

void intake_suspensions(const msgpack_object *record, uint64_t *by_review, uint64_t *by_publication)
{
    const msgpack_object *counts = doc_array(record, "suspensions");
    *by_review = *by_publication = 0;
    if (doc_len(counts) == 2 && doc_at(counts, 0)->type == MSGPACK_OBJECT_POSITIVE_INTEGER
        && doc_at(counts, 1)->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *by_review = doc_at(counts, 0)->via.u64;
        *by_publication = doc_at(counts, 1)->via.u64;
    }
}

const char *intake_suspended_state(const msgpack_object *record, intake_stream_t by)
{
    if (doc_str_eq(record, "state", STATE_WITHDRAWN))
        return NULL;
    uint64_t by_review, by_publication;
    intake_suspensions(record, &by_review, &by_publication);
    uint64_t mine = by == INTAKE_BY_REVIEW ? by_review + 1 : by_publication + 1;
    uint64_t theirs = by == INTAKE_BY_REVIEW ? by_publication : by_review;
    /* The other stream showed this suspension already: if the file is no
     * longer suspended, it was reinstated since, and this event is late. */
    if (mine <= theirs && !doc_str_eq(record, "state", STATE_SUSPENDED))
        return NULL;
    return STATE_SUSPENDED;
}

const char *intake_listed_state(const msgpack_object *record)
{
    if (doc_str_eq(record, "state", STATE_SUSPENDED)) {
        uint64_t by_review, by_publication;
        intake_suspensions(record, &by_review, &by_publication);
        return by_publication >= by_review ? STATE_PUBLISHED : NULL;
    }
    return intake_forward(record, STATE_PUBLISHED);
}
