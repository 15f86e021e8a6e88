/*  services/cli/cmd_committee.c - a committee member's commands: the
 *  queue of files waiting for their vote (once, or followed), the vote,
 *  and stepping aside from a file.  --as names the member's key.
 */
#include "commands.h"

#include "output.h"

#include "common/auth.h"
#include "proto/directory.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>

/*  The filters of a queue request, from the command line (NULL: none). */
typedef struct {
    const char *college;
    const char *department;
    const char *theme;
} queue_filter_t;

/*  One page of the member's queue (the key says who), filtered. */
static void s_queue_request(request_t *r, const queue_filter_t *filter, const char *after)
{
    request_init(r, "queue", proto_entries(2, filter->college, filter->department, filter->theme));
    proto_pack_kv_str(&r->pk, "after", after);
    proto_pack_kv_uint(&r->pk, "limit", 100);
    if (filter->college)
        proto_pack_kv_str(&r->pk, "college", filter->college);
    if (filter->department)
        proto_pack_kv_str(&r->pk, "department", filter->department);
    if (filter->theme)
        proto_pack_kv_str(&r->pk, "theme", filter->theme);
}

/*  Prints a queue item unless seen (a set of "id round" keys, or NULL)
 *  already holds it: a file is shown once per round. */
static void s_queue_item(const msgpack_object *item, zhash_t *seen)
{
    if (seen) {
        char id[PROTO_ID_MAX + 1] = "", key[PROTO_ID_MAX + 32];
        uint64_t round = 0;
        doc_strcpy(item, "id", id, sizeof id);
        doc_uint(item, "round", &round);
        snprintf(key, sizeof key, "%s %llu", id, (unsigned long long)round);
        if (zhash_lookup(seen, key))
            return;
        zhash_insert(seen, key, (void *)"printed");
    }
    msgpack_object one = {.type = MSGPACK_OBJECT_ARRAY, .via.array = {.size = 1, .ptr = (msgpack_object *)item}};
    output_each(&one, stdout);
}

/*  The whole queue, page by page, so that a long queue never makes one
 *  huge reply. */
static int s_queue_print(const queue_filter_t *filter, zhash_t *seen)
{
    char after[PROTO_ID_MAX + 1] = "";
    for (;;) {
        request_t r;
        s_queue_request(&r, filter, after);
        reply_t reply;
        int rc = client_call(SERVICE_REVIEW, &r.buf, 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        const msgpack_object *items = rc == EXIT_OK ? doc_array(&reply.msg, "items") : NULL;
        for (size_t i = 0; i < doc_len(items); i++)
            s_queue_item(doc_at(items, i), seen);
        bool more = rc == EXIT_OK && doc_strcpy(&reply.msg, "next", after, sizeof after) > 0;
        reply_release(&reply);
        if (!more)
            return rc;
    }
}

/*  The head of review's stream (its ping says it), on the plain endpoint. */
static int s_review_head(uint64_t *head)
{
    request_t r;
    request_init(&r, "ping", 0);
    reply_t reply;
    int rc = client_call_plain(SERVICE_REVIEW, &r.buf, 0, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    if (rc == EXIT_OK && !doc_uint(&reply.msg, "head", head)) {
        fprintf(stderr, "essp: review's pong has no head\n");
        rc = EXIT_REFUSED;
    }
    reply_release(&reply);
    return rc;
}

#define S_FOLLOW_POLL_MS 250

/*  Waits a moment, then reads review's head again (ping, on the plain
 *  endpoint): *changed when the stream grew past *cursor.  Review's stream
 *  itself is private (a member key may not pull it), and every change of
 *  the queue appends to it, so its head is enough to know when to read
 *  the queue again. */
static int s_review_wait(uint64_t *cursor, bool *changed)
{
    for (int waited = 0; waited < S_FOLLOW_POLL_MS && !zsys_interrupted; waited += 50)
        zclock_sleep(50);
    if (zsys_interrupted)
        return EXIT_OK;
    uint64_t head = *cursor;
    int rc = s_review_head(&head);
    *changed = rc == EXIT_OK && head != *cursor;
    if (rc == EXIT_OK)
        *cursor = head;
    return rc;
}

/*  The queue, then every file that enters it, as it enters: review's
 *  head is read before the queue (so that nothing queued in between is
 *  missed), then again every quarter of a second, and the queue read again
 *  when it moved.  Until SIGINT or SIGTERM, which end it with exit 0. */
static int s_queue_follow(const queue_filter_t *filter)
{
    zhash_t *seen = zhash_new();
    uint64_t cursor = 0;
    int rc = s_review_head(&cursor);
    if (rc == EXIT_OK)
        rc = s_queue_print(filter, seen);
    while (rc == EXIT_OK && !zsys_interrupted) {
        bool changed = false;
        rc = s_review_wait(&cursor, &changed);
        if (rc == EXIT_OK && changed)
            rc = s_queue_print(filter, seen);
    }
    zhash_destroy(&seen);
    return zsys_interrupted ? EXIT_OK : rc;
}

int cmd_queue(const args_t *args)
{
    queue_filter_t filter = {args_value(args, "college"), args_value(args, "department"),
                             args_value(args, "theme")};
    if (filter.college && !proto_is_college(filter.college, strlen(filter.college)))
        return cli_usage("--college is researchers, local_authorities or ess_networks");
    if (filter.department && !directory_label(DIRECTORY_DEPARTMENT, filter.department, strlen(filter.department)))
        return cli_usage("--department is a department number: 2 digits, 2A, 2B, or 97x");
    if (filter.theme && !*filter.theme)
        return cli_usage("--theme: a theme is required");
    int rc = cli_use_key(AUTH_ROLE_MEMBER, args_value(args, "as"));
    if (rc != EXIT_OK)
        return rc;
    return args_flag(args, "follow") ? s_queue_follow(&filter) : s_queue_print(&filter, NULL);
}

int cmd_vote(const args_t *args)
{
    const char *decision = args->pos[1];
    const char *motivation = args_value(args, "motivation");
    if (!proto_is_decision(decision, strlen(decision)))
        return cli_usage("the decision is approve, reject or changes (a review or an appeal), "
                         "reinstate or withdraw (a complaint)");
    /* --as chooses the key; the member is the one the key names. */
    int rc = cli_use_key(AUTH_ROLE_MEMBER, args_value(args, "as"));
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "vote", proto_entries(2, motivation != NULL));
    proto_pack_kv_str(&r.pk, "id", args->pos[0]);
    proto_pack_kv_str(&r.pk, "decision", decision);
    if (motivation)
        proto_pack_kv_str(&r.pk, "motivation", motivation);
    return request_call_and_print(SERVICE_REVIEW, &r, NULL);
}

/*  A member steps aside from a file, for this round and the next ones. */
int cmd_recuse(const args_t *args)
{
    const char *reason = args_value(args, "reason");
    if (!cli_has_text(reason))
        return cli_usage("--reason: the reason for stepping aside is required");
    int rc = cli_use_key(AUTH_ROLE_MEMBER, args_value(args, "as"));
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "recuse", 2);
    proto_pack_kv_str(&r.pk, "id", args->pos[0]);
    proto_pack_kv_str(&r.pk, "reason", reason);
    return request_call_and_print(SERVICE_REVIEW, &r, NULL);
}
