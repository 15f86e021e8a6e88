/*  services/cli/cmd_staff.c - the staff's commands, sent with the staff
 *  key: the staff key itself, the committee's members and their keys,
 *  withdrawal, complaint, erasure, and the clock that expires listings.
 */
#include "commands.h"

#include "output.h"

#include "common/auth.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/identifiers.h"
#include "proto/messages.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------------- keys */

int cli_use_key(const char *role, const char *name)
{
    zcert_t *cert = auth_load(role, name);
    if (!cert) {
        fprintf(stderr, "essp: no %s key named '%s' under %s/keys/%s\n", role, name, config_home(),
                strcmp(role, AUTH_ROLE_STAFF) == 0 ? "staff (essp staff init NAME)" : "members");
        return EXIT_USAGE;
    }
    return client_use_key(cert) == 0 ? EXIT_OK : EXIT_UNREACHABLE;
}

int cli_as_staff(void)
{
    char name[PROTO_NAME_MAX + 1];
    int found = auth_staff_name(name, sizeof name);
    if (found == 1) {
        fprintf(stderr, "essp: no staff key under %s/keys/staff (essp staff init NAME)\n", config_home());
        return EXIT_USAGE;
    }
    if (found == 2) {
        fprintf(stderr, "essp: several staff keys under %s/keys/staff: choose one with ESSP_STAFF=NAME\n",
                config_home());
        return EXIT_USAGE;
    }
    return cli_use_key(AUTH_ROLE_STAFF, name);
}

int cmd_staff_init(const args_t *args)
{
    const char *name = args->pos[0];
    char path[CONFIG_PATH_MAX];
    if (auth_key_path("staff", name, ".cert_secret", path, sizeof path))
        return cli_usage("the name is too long");
    if (!auth_has_key(AUTH_ROLE_STAFF, name) && auth_issue(AUTH_ROLE_STAFF, name) != 0) {
        fprintf(stderr, "essp: cannot write the staff key %s: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    output_pair("staff", name, "key", path, stdout);
    return EXIT_OK;
}

/* ---------------------------------------------------------------- members */

static bool s_parse_now(const char *text, uint64_t *now);

/*  The checks the tool makes before asking review: 0 or the usage exit. */
static int s_member_options(const args_t *args)
{
    const char *college = args_value(args, "college");
    const char *email = args_value(args, "email");
    const char *digest = args_value(args, "digest");
    if (college && !proto_is_college(college, strlen(college)))
        return cli_usage("--college is researchers, local_authorities or ess_networks");
    if (args_count(args, "tie") > 50 || args_count(args, "network") > 50)
        return cli_usage("--tie and --network: at most 50 each");
    if (email && !id_email_valid(email, strlen(email)))
        return cli_usage("--email takes an address such as prenom.nom@exemple.fr");
    if (digest && strcmp(digest, "on") != 0 && strcmp(digest, "off") != 0)
        return cli_usage("--digest is on or off");
    cli_note_unknown_networks(args);
    return EXIT_OK;
}

/*  The member_add request, sent with the staff key in use; prints the
 *  member. */
static int s_member_add_call(const args_t *args)
{
    const char *email = args_value(args, "email"), *digest = args_value(args, "digest");
    request_t r;
    request_init(&r, "member_add", proto_entries(4, email, digest));
    proto_pack_kv_str(&r.pk, "name", args->pos[0]);
    proto_pack_kv_str(&r.pk, "college", args_value(args, "college"));
    args_pack_values(args, &r.pk, "ties", "tie");
    args_pack_values(args, &r.pk, "networks", "network");
    if (email)
        proto_pack_kv_str(&r.pk, "email", email);
    if (digest)
        proto_pack_kv_bool(&r.pk, "digest", strcmp(digest, "on") == 0);
    return request_call_and_print(SERVICE_REVIEW, &r, NULL);
}

int cmd_member_add(const args_t *args)
{
    const char *name = args->pos[0];
    int rc = s_member_options(args);
    if (rc == EXIT_OK)
        rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    rc = s_member_add_call(args);
    /* The key pair once the member exists: a refused add leaves the keys
     * of an existing member as they are. */
    if (rc == EXIT_OK && auth_issue(AUTH_ROLE_MEMBER, name) != 0) {
        fprintf(stderr, "essp: the member is added but their key could not be written under %s/keys: %s\n",
                config_home(), strerror(errno));
        return EXIT_REFUSED;
    }
    /* With an e-mail address, their account on essp-desk too, when the
     * stack has one (else `essp desk invite` later). */
    if (rc == EXIT_OK && args_value(args, "email") && cli_desk_deployed())
        rc = cli_desk_invite(AUTH_ROLE_MEMBER, name, args_value(args, "email"), false);
    return rc;
}

/*  Changes what is given of a member; ties and networks given replace
 *  the member's. */
int cmd_member_update(const args_t *args)
{
    const char *college = args_value(args, "college"), *email = args_value(args, "email");
    const char *digest = args_value(args, "digest");
    bool ties = args_flag(args, "tie"), networks = args_flag(args, "network");
    int rc = s_member_options(args);
    if (rc != EXIT_OK)
        return rc;
    if (!college && !email && !digest && !ties && !networks)
        return cli_usage("give at least one of --email, --digest, --college, --tie, --network");
    if ((rc = cli_as_staff()) != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "member_update", proto_entries(1, college, email, digest, ties, networks));
    proto_pack_kv_str(&r.pk, "name", args->pos[0]);
    if (college)
        proto_pack_kv_str(&r.pk, "college", college);
    if (email)
        proto_pack_kv_str(&r.pk, "email", email);
    if (digest)
        proto_pack_kv_bool(&r.pk, "digest", strcmp(digest, "on") == 0);
    if (ties)
        args_pack_values(args, &r.pk, "ties", "tie");
    if (networks)
        args_pack_values(args, &r.pk, "networks", "network");
    return request_call_and_print(SERVICE_REVIEW, &r, NULL);
}

/*  What waits for whom: one line per member with an e-mail and files to
 *  vote on (review's pending). */
int cmd_pending(const args_t *args)
{
    const char *since_text = args_value(args, "since"), *older_text = args_value(args, "older-than");
    uint64_t since = 0, older_than = 0;
    if (since_text && !s_parse_now(since_text, &since))
        return cli_usage("--since takes a date YYYY-MM-DD (00:00 UTC) or unix seconds");
    if (older_text && !cli_parse_u64(older_text, &older_than))
        return cli_usage("--older-than takes a number of seconds");
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "pending", proto_entries(0, since_text, older_text));
    if (since_text)
        proto_pack_kv_uint(&r.pk, "since", since);
    if (older_text)
        proto_pack_kv_uint(&r.pk, "older_than", older_than);
    reply_t reply;
    rc = client_call(SERVICE_REVIEW, &r.buf, 0, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    if (rc == EXIT_OK) {
        output_each(doc_array(&reply.msg, "members"), stdout);
        if (doc_bool(&reply.msg, "more", false))
            fprintf(stderr, "essp pending: review examined its first 20,000 files only; later ones are not listed\n");
    }
    reply_release(&reply);
    return rc;
}

int cmd_member_list(const args_t *args)
{
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "member_list", 0);
    return request_call_and_print(SERVICE_REVIEW, &r, "members");
}

int cmd_member_remove(const args_t *args)
{
    const char *name = args->pos[0];
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "member_remove", 1);
    proto_pack_kv_str(&r.pk, "name", name);
    rc = request_call_and_print(SERVICE_REVIEW, &r, NULL);
    if (rc == EXIT_OK && auth_revoke(AUTH_ROLE_MEMBER, name) != 0) {
        fprintf(stderr, "essp: the member is removed but their key is still in %s/keys/allowed: %s\n",
                config_home(), strerror(errno));
        return EXIT_REFUSED;
    }
    /* Their account on the desk goes too: its key is revoked already, but
     * a login would still open pages they may no longer see. */
    if (rc == EXIT_OK && cli_desk_deployed() && cli_desk_remove_member(name) != EXIT_OK) {
        fprintf(stderr, "essp: the member is removed, but not their desk account: "
                        "essp desk list, then essp desk remove EMAIL\n");
        return EXIT_REFUSED;
    }
    return rc;
}

/*  True when review lists name among the members (staff key in use). */
static int s_member_exists(const char *name, bool *exists)
{
    request_t r;
    request_init(&r, "member_list", 0);
    reply_t reply;
    int rc = client_call(SERVICE_REVIEW, &r.buf, 0, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    const msgpack_object *members = rc == EXIT_OK ? doc_array(&reply.msg, "members") : NULL;
    *exists = false;
    for (size_t i = 0; i < doc_len(members) && !*exists; i++)
        *exists = doc_str_eq(doc_at(members, i), "name", name);
    reply_release(&reply);
    return rc;
}

/*  A new key pair for a member: the old key is refused from the next
 *  connection on; votes stay theirs (review knows members by name). */
int cmd_member_rekey(const args_t *args)
{
    const char *name = args->pos[0];
    int rc = cli_as_staff();
    bool exists = false;
    if (rc == EXIT_OK)
        rc = s_member_exists(name, &exists);
    if (rc != EXIT_OK)
        return rc;
    if (!exists) {
        fprintf(stderr, "essp: member: no member named '%s' on the committee (rule exists)\n", name);
        return EXIT_REFUSED;
    }
    char path[CONFIG_PATH_MAX];
    if (auth_key_path("members", name, ".cert_secret", path, sizeof path))
        return cli_usage("the name is too long");
    if (auth_issue(AUTH_ROLE_MEMBER, name) != 0) {
        fprintf(stderr, "essp: cannot write the member's new key %s: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    output_pair("member", name, "key", path, stdout);
    return EXIT_OK;
}

/* ------------------------------------------------------- files, listings */

/*  A request that names one file, sent with the staff key: withdraw and
 *  complaint (to review's authenticated endpoint) or erase (to intake's). */
static int s_staff_on_file(service_id_t service, const char *type, const char *id, const char *reason)
{
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, type, proto_entries(1, reason != NULL));
    proto_pack_kv_str(&r.pk, "id", id);
    if (reason)
        proto_pack_kv_str(&r.pk, "reason", reason);
    return request_call_and_print(service, &r, NULL);
}

int cmd_withdraw(const args_t *args)
{
    /* The reason is what the applicant and the history read: a blank
     * one says nothing, as for a complaint. */
    const char *reason = args_value(args, "reason");
    if (!cli_has_text(reason))
        return cli_usage("--reason: the withdrawal's reason is required");
    return s_staff_on_file(SERVICE_REVIEW, "withdraw", args->pos[0], reason);
}

int cmd_complaint(const args_t *args)
{
    const char *reason = args_value(args, "reason");
    if (!cli_has_text(reason))
        return cli_usage("--reason: the complaint's reason is required");
    return s_staff_on_file(SERVICE_REVIEW, "complaint", args->pos[0], reason);
}

int cmd_erase(const args_t *args)
{
    return s_staff_on_file(SERVICE_INTAKE, "erase", args->pos[0], NULL);
}

/* ------------------------------------------------------------------ clock */

/*  --now: YYYY-MM-DD (00:00 UTC that day) or unix seconds. */
static bool s_parse_now(const char *text, uint64_t *now)
{
    int32_t days;
    if (strchr(text, '-')) {
        if (date_parse(text, strlen(text), &days) || days < 0)
            return false;
        *now = (uint64_t)days * 86400u;
        return true;
    }
    return cli_parse_u64(text, now) && *now <= (uint64_t)INT64_MAX;
}

/*  One tick, then more while review says others are due (it withdraws at
 *  most 1000 listings per tick): one line per tick. */
int cmd_clock_tick(const args_t *args)
{
    const char *now_text = args_value(args, "now");
    uint64_t now = 0;
    if (now_text && !s_parse_now(now_text, &now))
        return cli_usage("--now takes a date YYYY-MM-DD (00:00 UTC) or unix seconds");
    int rc = cli_as_staff();
    for (bool more = rc == EXIT_OK; more && !zsys_interrupted;) {
        request_t r;
        request_init(&r, "tick", proto_entries(0, now_text != NULL));
        if (now_text)
            proto_pack_kv_uint(&r.pk, "now", now);
        reply_t reply;
        rc = client_call(SERVICE_REVIEW, &r.buf, 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        if (rc == EXIT_OK)
            output_object(&reply.msg, stdout);
        more = rc == EXIT_OK && doc_bool(&reply.msg, "more", false);
        /* More due but none withdrawn: asking again would loop. */
        if (more && doc_len(doc_array(&reply.msg, "expired")) == 0) {
            fprintf(stderr, "essp clock: review says more listings are due but withdrew none\n");
            rc = EXIT_REFUSED;
            more = false;
        }
        reply_release(&reply);
    }
    return rc;
}
