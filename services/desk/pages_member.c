/*  services/desk/pages_member.c - the committee member's pages (/comite...):
 *  « Mes dossiers », its list alone for the page's script, « Le dossier »,
 *  the vote and the recusal.  Every request goes to review as the member
 *  (desk_call, the member's own key): the desk decides nothing.  The
 *  pages themselves are drawn by queue_page.h and file_page.h. */
#include "site.h"

#include "file_page.h"
#include "file_rounds.h"
#include "queue_page.h"
#include "refusal.h"
#include "review_follower.h"

#include "common/html.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_QUEUE_PAGES 20         /* 20 pages of 1,000 items: review examines 20,000 files a request */

/* ------------------------------------------------------------------ review's stream */

static file_rounds_t *s_rounds;
static review_follower_t *s_follower;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

/*  The follower starts with the first member page, in the process that
 *  serves it (not in tests of the renderers, which never come here). */
static void s_start_follower(void)
{
    s_rounds = file_rounds_new();
    if (s_rounds)
        s_follower = review_follower_new(s_rounds);
}

static file_rounds_t *pages_member_rounds(void)
{
    pthread_once(&s_once, s_start_follower);
    return s_rounds;
}

void desk_member_pages_stop(void)
{
    /* The follower's socket must close before czmq's context ends at
     * exit: a thread left running holds the process at exit. */
    review_follower_destroy(&s_follower);
    file_rounds_destroy(&s_rounds);
}

/* ------------------------------------------------------------------ the queue */

typedef struct {
    desk_reply_t replies[S_QUEUE_PAGES];
    size_t reply_count;
    const msgpack_object **items;
    size_t count, cap;
} s_queue_t;

static void s_queue_free(s_queue_t *q)
{
    for (size_t i = 0; i < q->reply_count; i++)
        desk_reply_free(&q->replies[i]);
    free(q->items);
}

/*  Every page of review's queue for the member.  0; or -1 with the page
 *  answered (the service did not answer, or refused). */
static int s_queue_fetch(desk_request_t *req, s_queue_t *q)
{
    char after[33] = "";
    memset(q, 0, sizeof *q);
    while (q->reply_count < S_QUEUE_PAGES) {
        msgpack_sbuffer buf;
        msgpack_packer pk;
        msgpack_sbuffer_init(&buf);
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        proto_pack_request(&pk, "queue", desk_next_rid(), proto_entries(1, after[0] != '\0'));
        proto_pack_kv_uint(&pk, "limit", 1000);
        if (after[0])
            proto_pack_kv_str(&pk, "after", after);
        desk_reply_t *reply = &q->replies[q->reply_count];
        int rc = desk_call(req, SERVICE_REVIEW, &buf, reply);
        msgpack_sbuffer_destroy(&buf);
        if (rc != 0) {
            desk_error_page(req, 503, "Service indisponible", reply->problem);
            desk_reply_free(reply);
            return -1;
        }
        q->reply_count++;
        if (!desk_reply_is(reply, "queue")) {
            char text[600];
            refusal_text("queue", &reply->msg, text, sizeof text);
            desk_error_page(req, refusal_status(&reply->msg), "Dossiers indisponibles", text);
            return -1;
        }
        const msgpack_object *items = doc_array(&reply->msg, "items");
        for (size_t i = 0; i < doc_len(items); i++) {
            if (q->count == q->cap) {
                size_t cap = q->cap ? q->cap * 2 : 64;
                const msgpack_object **grown = realloc(q->items, cap * sizeof *grown);
                if (!grown)
                    return desk_error_page(req, 503, "Service indisponible", "Réessayez dans un instant."), -1;
                q->items = grown;
                q->cap = cap;
            }
            q->items[q->count++] = doc_at(items, i);
        }
        if (doc_strcpy(&reply->msg, "next", after, sizeof after) <= 0)
            break;
    }
    return 0;
}

static const msgpack_object *s_queue_find(const s_queue_t *q, const char *id)
{
    for (size_t i = 0; i < q->count; i++)
        if (doc_str_eq(q->items[i], "id", id))
            return q->items[i];
    return NULL;
}

static void s_filter(const desk_request_t *req, queue_filter_t *filter)
{
    queue_filter_set(filter, desk_query(req, "college"), desk_query(req, "departement"), desk_query(req, "theme"));
}


static int s_home(desk_request_t *req)
{
    s_queue_t q;
    pages_member_rounds();
    if (s_queue_fetch(req, &q) != 0) {
        s_queue_free(&q);
        return 0;
    }
    queue_filter_t filter;
    s_filter(req, &filter);
    desk_page_begin(req, "Mes dossiers");
    queue_page_render(req->out, q.items, q.count, &filter);
    fputs("<script src=\"/static/comite.js\" defer></script>\n", req->out);
    desk_page_end(req);
    s_queue_free(&q);
    return 0;
}

/*  The list alone, for the page's script. */
static int s_list(desk_request_t *req)
{
    s_queue_t q;
    if (s_queue_fetch(req, &q) == 0) {
        queue_filter_t filter;
        s_filter(req, &filter);
        queue_page_list(req->out, q.items, q.count, &filter);
    }
    s_queue_free(&q);
    return 0;
}

/* ------------------------------------------------------------------ the file */

/*  Draws the file page for item with the rounds review's stream told. */
static void s_file(desk_request_t *req, const msgpack_object *item, const char *error, const char *motivation,
                   const char *reason)
{
    char id[33];
    msgpack_sbuffer events_buf;
    msgpack_sbuffer_init(&events_buf);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object events = {.type = MSGPACK_OBJECT_NIL};
    proto_error_t err;
    doc_strcpy(item, "id", id, sizeof id);
    file_rounds_t *rounds = pages_member_rounds();
    /* A file in the queue has its round's `queued` event in review's
     * stream: right after the desk started, the follower may not have
     * read it yet, so wait a little for it rather than show no dates. */
    for (int tries = 0; rounds && tries < 100; tries++) {
        msgpack_sbuffer_clear(&events_buf);
        if (file_rounds_pack(rounds, id, &events_buf) > 0)
            break;
        usleep(20000);
    }
    if (rounds && events_buf.size > 1)
        wire_decode_reply(events_buf.data, events_buf.size, &zone, &events, &err);
    file_view_t view = {.item = item, .csrf = req->session.csrf, .error = error, .motivation = motivation,
                        .reason = reason};
    if (events.type == MSGPACK_OBJECT_ARRAY) {
        view.rounds = &events;
        view.events = &events;
    }
    char title[160];
    if (doc_strcpy(item, "name", title, sizeof title) < 0)
        snprintf(title, sizeof title, "Le dossier");
    desk_page_begin(req, title);
    file_page_render(req->out, &view);
    desk_page_end(req);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&events_buf);
}

static int s_not_waiting(desk_request_t *req)
{
    return desk_error_page(req, 404, "Ce dossier n'attend pas votre vote",
                           "Ce dossier n'est pas dans votre liste : vous avez déjà voté dans ce tour, le tour est "
                           "décidé, ou le numéro est faux. Revenez à « Mes dossiers » pour voir ceux qui vous "
                           "attendent.");
}

static int s_file_page(desk_request_t *req)
{
    s_queue_t q;
    if (s_queue_fetch(req, &q) != 0) {
        s_queue_free(&q);
        return 0;
    }
    const msgpack_object *item = s_queue_find(&q, req->rest);
    if (item)
        s_file(req, item, NULL, NULL, NULL);
    else
        s_not_waiting(req);
    s_queue_free(&q);
    return 0;
}

/* ------------------------------------------------------------------ vote and recusal */

/*  Sends `request` to review: 0 with the reply, or -1 with the page
 *  answered when review did not answer. */
static int s_send(desk_request_t *req, msgpack_sbuffer *buf, desk_reply_t *reply)
{
    int rc = desk_call(req, SERVICE_REVIEW, buf, reply);
    msgpack_sbuffer_destroy(buf);
    if (rc != 0)
        desk_error_page(req, 503, "Service indisponible", reply->problem);
    return rc;
}

/*  The round of the page the vote came from (the form's hidden field), 0
 *  when the form has none: a page drawn before the field existed votes
 *  in the current round, as it did. */
static uint64_t s_round_read(const char *text)
{
    if (!text || !*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 9)
        return 0;
    return strtoull(text, NULL, 10);
}

static int s_vote(desk_request_t *req)
{
    const char *id = desk_form(req, "id"), *decision = desk_form(req, "decision");
    const char *motivation = desk_form(req, "motivation");
    s_queue_t q;
    if (!id || s_queue_fetch(req, &q) != 0) {
        if (id)
            s_queue_free(&q);
        return id ? 0 : s_not_waiting(req);
    }
    /* A file no longer in the queue (a vote sent twice, a round decided
     * meanwhile) still goes to review: its answer says what happened (the
     * same vote again is acknowledged, another is refused, saying why). */
    const msgpack_object *item = s_queue_find(&q, id);
    char kind[16] = "";
    doc_strcpy(item, "kind", kind, sizeof kind);
    /* A recused member's vote goes to review, which refuses it saying why. */
    const char *problem = !item || doc_bool(item, "recused", false) ? NULL
                                                                    : file_vote_check(kind, decision, motivation);
    if (problem) {
        req->status = 422;
        s_file(req, item, problem, motivation, NULL);
        s_queue_free(&q);
        return 0;
    }
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    bool motivated = motivation && strspn(motivation, " \t\r\n") != strlen(motivation);
    uint64_t round = s_round_read(desk_form(req, "round"));
    proto_pack_request(&pk, "vote", desk_next_rid(), proto_entries(2, motivated, round != 0));
    proto_pack_kv_str(&pk, "id", id);
    proto_pack_kv_str(&pk, "decision", decision ? decision : "");
    if (motivated)
        proto_pack_kv_str(&pk, "motivation", motivation);
    if (round)
        proto_pack_kv_uint(&pk, "round", round);
    desk_reply_t reply;
    if (s_send(req, &buf, &reply) == 0) {
        if (desk_reply_is(&reply, "vote_ack")) {
            desk_page_begin(req, "Vote enregistré");
            file_page_vote_result(req->out, &reply.msg);
            desk_page_end(req);
        } else {
            char text[600];
            refusal_text("vote", &reply.msg, text, sizeof text);
            if (item) {
                req->status = refusal_status(&reply.msg);
                s_file(req, item, text, motivation, NULL);
            } else {
                desk_error_page(req, refusal_status(&reply.msg), "Vote refusé", text);
            }
        }
    }
    desk_reply_free(&reply);
    s_queue_free(&q);
    return 0;
}

static int s_recuse(desk_request_t *req)
{
    const char *id = desk_form(req, "id"), *reason = desk_form(req, "reason");
    s_queue_t q;
    if (!id || s_queue_fetch(req, &q) != 0) {
        if (id)
            s_queue_free(&q);
        return id ? 0 : s_not_waiting(req);
    }
    const msgpack_object *item = s_queue_find(&q, id);
    if (!item) {
        s_queue_free(&q);
        return s_not_waiting(req);
    }
    if (!reason || strspn(reason, " \t\r\n") == strlen(reason)) {
        req->status = 422;
        s_file(req, item, "Écrivez le motif de votre récusation dans le champ « Motif de la récusation » : "
                          "les autres membres et l'équipe le liront.", NULL, reason);
        s_queue_free(&q);
        return 0;
    }
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    proto_pack_request(&pk, "recuse", desk_next_rid(), 2);
    proto_pack_kv_str(&pk, "id", id);
    proto_pack_kv_str(&pk, "reason", reason);
    desk_reply_t reply;
    if (s_send(req, &buf, &reply) == 0) {
        if (desk_reply_is(&reply, "recused")) {
            desk_page_begin(req, "Récusation enregistrée");
            file_page_recusal_result(req->out, &reply.msg);
            desk_page_end(req);
        } else {
            char text[600];
            req->status = refusal_status(&reply.msg);
            s_file(req, item, refusal_text("recuse", &reply.msg, text, sizeof text), NULL, reason);
        }
    }
    desk_reply_free(&reply);
    s_queue_free(&q);
    return 0;
}

const desk_route_t desk_member_routes[] = {
    {"GET", "/comite", DESK_MATCH_EXACT, DESK_ROLE_MEMBER, s_home},
    {"GET", "/comite/liste", DESK_MATCH_EXACT, DESK_ROLE_MEMBER, s_list},
    {"GET", "/comite/dossier", DESK_MATCH_PREFIX, DESK_ROLE_MEMBER, s_file_page},
    {"POST", "/comite/vote", DESK_MATCH_EXACT, DESK_ROLE_MEMBER, s_vote},
    {"POST", "/comite/recusation", DESK_MATCH_EXACT, DESK_ROLE_MEMBER, s_recuse},
    {0}};
