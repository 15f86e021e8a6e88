/*  services/review/review.c - see review.h: the context, the rules, and
 *  the dispatch of requests and upstream events to the parts. */
#include "review.h"

#include "committee.h"
#include "direct.h"
#include "listing.h"
#include "members.h"
#include "pending.h"
#include "queue.h"
#include "rounds.h"
#include "votes.h"

#include "common/auth.h"
#include "common/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const review_dbs[] = {"members", "files", "expiry", "votes", "applications", "reports", NULL};

review_rules_t review_rules_from_env(void)
{
    review_rules_t rules;
    rules.quorum_votes = (unsigned)config_env_long("ESSP_QUORUM_VOTES", 3, 1, 1000);
    rules.quorum_colleges = (unsigned)config_env_long("ESSP_QUORUM_COLLEGES", 2, 1, 3);
    rules.listing_years = (unsigned)config_env_long("ESSP_LISTING_YEARS", 3, 1, 100);
    rules.expiry_follows = config_env_long("ESSP_EXPIRY_FOLLOWS_CERTIFICATES", 1, 0, 1) == 1;
    return rules;
}

void *review_context_new(review_rules_t rules)
{
    review_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
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

static size_t s_distinct(const char *const *values, size_t count)
{
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(values[i], values[j]) == 0;
        distinct += !seen;
    }
    return distinct;
}

const char *review_decision_reached(const review_rules_t *rules, const char *const *choices,
                                    const char *const *colleges, size_t count)
{
    if (count < rules->quorum_votes || s_distinct(colleges, count) < rules->quorum_colleges)
        return NULL;
    for (size_t c = 0; c < count; c++) {
        size_t votes = 0;
        for (size_t i = 0; i < count; i++)
            votes += strcmp(choices[i], choices[c]) == 0;
        if (2 * votes > count)
            return choices[c];
    }
    return NULL;
}

/* --------------------------------------------------------------- dispatch */

typedef int (*handler_fn)(review_t *self, service_t *svc, MDB_txn *txn, service_request_t *req);

typedef struct {
    const char *type;
    const char *role;      /* the role the sender's key must carry... */
    const char *also;      /* ...or this one (NULL: none) */
    const char *also_name; /* and then, when not NULL, this name (a service's) */
    handler_fn handle;
} route_t;

/*  Members vote, recuse themselves, read their queue and set their own
 *  e-mail and digest; staff manage the committee and the listings; the
 *  staff and essp-notify (its service key) read what waits for whom. */
static const route_t s_routes[] = {
    {"member_add", AUTH_ROLE_STAFF, NULL, NULL, members_add},
    {"member_list", AUTH_ROLE_STAFF, NULL, NULL, members_list},
    {"member_remove", AUTH_ROLE_STAFF, NULL, NULL, members_remove},
    {"member_update", AUTH_ROLE_STAFF, AUTH_ROLE_MEMBER, NULL, members_update},
    {"pending", AUTH_ROLE_STAFF, AUTH_ROLE_SERVICE, "notify", pending_list},
    {"queue", AUTH_ROLE_MEMBER, NULL, NULL, queue_list},
    {"vote", AUTH_ROLE_MEMBER, NULL, NULL, votes_vote},
    {"recuse", AUTH_ROLE_MEMBER, NULL, NULL, votes_recuse},
    {"withdraw", AUTH_ROLE_STAFF, NULL, NULL, listing_withdraw},
    {"complaint", AUTH_ROLE_STAFF, NULL, NULL, listing_complaint},
    {"tick", AUTH_ROLE_STAFF, NULL, NULL, listing_tick},
};

#define S_ROUTES (sizeof s_routes / sizeof *s_routes)

const char *const review_secure_types[] = {"member_add", "member_list", "member_remove", "member_update",
                                            "pending", "queue", "vote", "recuse", "withdraw", "complaint",
                                            "tick", NULL};

static bool s_may_send(const route_t *route, const service_request_t *req)
{
    if (!req->peer_role || !req->peer_name)
        return false;
    if (strcmp(req->peer_role, route->role) == 0)
        return true;
    return route->also && strcmp(req->peer_role, route->also) == 0
           && (!route->also_name || strcmp(req->peer_name, route->also_name) == 0);
}

static int s_refuse_role(const route_t *route, service_request_t *req)
{
    char who[96] = "";
    if (route->also_name)
        snprintf(who, sizeof who, " and %s's %s key", route->also_name, route->also);
    else if (route->also)
        snprintf(who, sizeof who, " and %s keys", route->also);
    return service_refuse(req, PROTO_E_FORBIDDEN, "type", "role", "'%s' is for %s keys%s; this key is a %s key%s%s",
                          req->type, route->role, who, req->peer_role ? req->peer_role : "missing",
                          req->peer_name ? " named " : "", req->peer_name ? req->peer_name : "");
}

int review_handle(void *ctx, service_t *svc, MDB_txn *txn, service_request_t *req)
{
    review_t *self = ctx;
    msgpack_zone_clear(&self->zone);
    for (size_t i = 0; i < S_ROUTES; i++) {
        const route_t *route = &s_routes[i];
        if (strcmp(route->type, req->type) != 0)
            continue;
        if (!s_may_send(route, req))
            return s_refuse_role(route, req);
        return route->handle(self, svc, txn, req);
    }
    return service_refuse(req, PROTO_E_INVALID, "type", "unsupported", "review does not answer this message type");
}

/*  Validation's stream: files that passed (validated; an imported one is
 *  decided at once, direct.h), and the events of
 *  intake it passes on (appealed, erased).  Everything else is ignored. */
int review_apply_validation(void *ctx, service_t *svc, MDB_txn *txn, const char *type,
                            const msgpack_object *event, int64_t now)
{
    review_t *self = ctx;
    msgpack_zone_clear(&self->zone);
    if (strcmp(type, "validated") == 0 && doc_str_eq(event, "provenance", "imported"))
        return direct_apply_imported(self, svc, txn, event, now);
    if (strcmp(type, "validated") == 0)
        return rounds_apply_validated(self, svc, txn, event, now);
    if (strcmp(type, "appealed") == 0)
        return rounds_apply_appealed(self, svc, txn, event, now);
    if (strcmp(type, "erased") == 0)
        return listing_apply_erased(self, svc, txn, event, now);
    return 0;
}
