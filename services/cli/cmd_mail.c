/*  services/cli/cmd_mail.c - the staff's commands about e-mail (essp-notify):
 *  the letters the mail server refused for good, and the digest and the
 *  reminders asked for now instead of at their hour.
 */
#include "commands.h"

#include "output.h"

#include "proto/date.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <czmq.h>
#include <string.h>
#include <time.h>

/*  The scheduled requests carry a secret only essp-notify's own threads
 *  know; on the authenticated endpoint the staff key stands for it, and
 *  the field is filled with zeros. */
static const char s_no_secret[] = "0000000000000000000000000000000000000000000000000000000000000000";

/*  --at: a date YYYY-MM-DD (00:00 UTC) or unix seconds; default now. */
static int s_at(const args_t *args, uint64_t *at)
{
    const char *text = args_value(args, "at");
    *at = (uint64_t)time(NULL);
    if (!text)
        return EXIT_OK;
    int32_t days;
    if (strchr(text, '-')) {
        if (date_parse(text, strlen(text), &days) || days < 0)
            return cli_usage("--at takes a date YYYY-MM-DD (00:00 UTC) or unix seconds");
        *at = (uint64_t)days * 86400u;
        return EXIT_OK;
    }
    if (!cli_parse_u64(text, at) || *at > (uint64_t)INT64_MAX)
        return cli_usage("--at takes a date YYYY-MM-DD (00:00 UTC) or unix seconds");
    return EXIT_OK;
}

/*  The failed letters, one per line: when, to whom, which kind, which
 *  application, what the server said; every page. */
int cmd_mail_failed(const args_t *args)
{
    int rc = cli_as_staff();
    char after[256] = "";
    for (bool more = rc == EXIT_OK; more && !zsys_interrupted;) {
        request_t r;
        request_init(&r, "mail_failed", proto_entries(1, *after != '\0'));
        proto_pack_kv_uint(&r.pk, "limit", PROTO_PAGE_MAX);
        if (*after)
            proto_pack_kv_str(&r.pk, "after", after);
        reply_t reply;
        rc = client_call(SERVICE_NOTIFY, &r.buf, 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        if (rc == EXIT_OK)
            output_each(doc_array(&reply.msg, "letters"), stdout);
        more = rc == EXIT_OK && doc_strcpy(&reply.msg, "next", after, sizeof after) > 0;
        reply_release(&reply);
    }
    return rc;
}

int cmd_mail_tick(const args_t *args)
{
    uint64_t at;
    int rc = s_at(args, &at);
    if (rc == EXIT_OK)
        rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "mail_tick", 2);
    proto_pack_kv_str(&r.pk, "secret", s_no_secret);
    proto_pack_kv_uint(&r.pk, "at", at);
    return request_call_and_print(SERVICE_NOTIFY, &r, NULL);
}

/*  What review says waits for each member, handed to notify as is. */
int cmd_mail_digest(const args_t *args)
{
    uint64_t at;
    int rc = s_at(args, &at);
    if (rc == EXIT_OK)
        rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t ask;
    request_init(&ask, "pending", 0);
    reply_t pending;
    rc = client_call(SERVICE_REVIEW, &ask.buf, 0, &pending);
    msgpack_sbuffer_destroy(&ask.buf);
    if (rc != EXIT_OK) {
        reply_release(&pending);
        return rc;
    }
    const msgpack_object *members = doc_array(&pending.msg, "members");
    bool more = doc_bool(&pending.msg, "more", false);
    request_t r;
    request_init(&r, "mail_digest", 3);
    proto_pack_kv_str(&r.pk, "secret", s_no_secret);
    proto_pack_kv_uint(&r.pk, "at", at);
    proto_pack_str(&r.pk, "pending");
    msgpack_pack_map(&r.pk, more ? 2 : 1);
    proto_pack_str(&r.pk, "members");
    if (members)
        msgpack_pack_object(&r.pk, *members);
    else
        msgpack_pack_array(&r.pk, 0);
    if (more)
        proto_pack_kv_bool(&r.pk, "more", true);
    reply_release(&pending);
    return request_call_and_print(SERVICE_NOTIFY, &r, NULL);
}
