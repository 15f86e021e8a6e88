/*  essp: the command-line tool for every user action.
 *
 *  Output is JSON on stdout: one object, or one object per line for lists.
 *  Errors go to stderr with the field and the rule that refused the input.
 *  Exit codes: 0 done, 1 refused input, 2 usage, 3 service unreachable.
 *  The stack is found through ESSP_HOME and ESSP_PORT, as the services do.
 */
#include "client.h"

#include "common/auth.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/messages.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "proto/history.h"
#include "proto/directory.h"
#include "proto/charter.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define S_FILE_MAX (1u << 20)

typedef struct {
    const char *name;
    const char *usage;
    int (*run)(int argc, char **argv);
} command_t;

static const command_t *s_command;

/* ------------------------------------------------------------ small tools */

static int s_usage(const char *problem)
{
    if (problem)
        fprintf(stderr, "essp %s: %s\n", s_command->name, problem);
    fprintf(stderr, "usage: essp %s\n", s_command->usage);
    return EXIT_USAGE;
}

static bool s_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/*  Value of --name in argv (NULL if absent); *bad set when it has none. */
static const char *s_option(int argc, char **argv, const char *name, bool *bad)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0) {
            if (i + 1 >= argc) {
                *bad = true;
                return NULL;
            }
            return argv[i + 1];
        }
    return NULL;
}

static bool s_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

/*  Positional arguments: those not an option nor an option's value. */
static int s_positionals(int argc, char **argv, const char *const *valued, char **out, int max)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            for (const char *const *v = valued; v && *v; v++)
                if (strcmp(argv[i], *v) == 0)
                    i++;
            continue;
        }
        if (n < max)
            out[n] = argv[i];
        n++;
    }
    return n;
}

/*  Unknown options are usage errors, not silently ignored. */
static const char *s_unknown_option(int argc, char **argv, const char *const *valued,
                                    const char *const *flags)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0)
            continue;
        bool known = false;
        for (const char *const *v = valued; v && *v && !known; v++)
            if (strcmp(argv[i], *v) == 0)
                known = true, i++;
        for (const char *const *f = flags; f && *f && !known; f++)
            known = strcmp(argv[i], *f) == 0;
        if (!known)
            return argv[i];
    }
    return NULL;
}

/*  How many times a valued option is given. */
static size_t s_count_option(int argc, char **argv, const char *name)
{
    size_t n = 0;
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            n++, i++;
    return n;
}

/*  key: [every value of the repeated option name]. */
static void s_pack_repeated(msgpack_packer *pk, const char *key, int argc, char **argv, const char *name)
{
    proto_pack_str(pk, key);
    msgpack_pack_array(pk, s_count_option(argc, argv, name));
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            proto_pack_str(pk, argv[++i]);
}

static bool s_parse_u64(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || !*text || *end || *text == '-')
        return false;
    *out = value;
    return true;
}

/*  Prints a msgpack map as one line of JSON, without the envelope fields. */
static void s_print(const msgpack_object *obj)
{
    json_t *json = json_codec_from_object(obj);
    if (!json) {
        fprintf(stderr, "essp: a reply could not be shown as JSON\n");
        return;
    }
    if (json_is_object(json)) {
        json_object_del(json, "v");
        json_object_del(json, "rid");
        json_object_del(json, "type");
    }
    char *text = json_dumps(json, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(json);
    fflush(stdout);
}

static void s_print_each(const msgpack_object *array)
{
    for (size_t i = 0; i < doc_len(array); i++) {
        const msgpack_object *item = doc_at(array, i);
        json_t *json = json_codec_from_object(item);
        char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(json);
    }
    fflush(stdout);
}

/*  Reads a JSON file (at most 1 MiB) and packs it as msgpack into out. */
static int s_read_json(const char *path, msgpack_sbuffer *out)
{
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "essp: cannot read %s: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    char *text = malloc(S_FILE_MAX + 1);
    size_t len = fread(text, 1, S_FILE_MAX + 1, file);
    if (file != stdin)
        fclose(file);
    int rc = EXIT_OK;
    proto_error_t err;
    if (len > S_FILE_MAX) {
        fprintf(stderr, "essp: %s: larger than %u bytes\n", path, S_FILE_MAX);
        rc = EXIT_REFUSED;
    } else if (json_codec_to_msgpack(text, len, out, &err)) {
        fprintf(stderr, "essp: %s: %s (field %s, rule %s)\n", path, err.message,
                *err.field ? err.field : "(document)", err.rule);
        rc = EXIT_REFUSED;
    }
    free(text);
    return rc;
}

/*  An idempotency key for this invocation: every retry inside it carries
 *  the same one, so the service applies the request once. */
static void s_new_key(char out[33])
{
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2hex(out, 33, bytes, sizeof bytes);
}

typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} request_t;

static void s_request_init(request_t *r, const char *type, size_t fields)
{
    msgpack_sbuffer_init(&r->buf);
    msgpack_packer_init(&r->pk, &r->buf, msgpack_sbuffer_write);
    proto_pack_request(&r->pk, type, client_next_rid(), fields);
}

/*  Sends, prints the reply (whole, or its `list` field one item per line),
 *  and returns the exit code. */
static int s_call_and_print(service_id_t service, request_t *r, const char *list)
{
    reply_t reply;
    int rc = client_call(service, &r->buf, 0, &reply);
    if (rc == EXIT_OK) {
        if (list)
            s_print_each(doc_array(&reply.msg, list));
        else
            s_print(&reply.msg);
    }
    reply_release(&reply);
    msgpack_sbuffer_destroy(&r->buf);
    return rc;
}

/* --------------------------------------------------------------- commands */

/*  submit (id NULL, renews: the earlier application it renews, or NULL)
 *  or amend (id). */
static int s_submit_or_amend(const char *id, const char *path, const char *key, const char *renews)
{
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    int rc = s_read_json(path, &application);
    if (rc == EXIT_OK) {
        char fresh[33];
        if (!key) {
            s_new_key(fresh);
            key = fresh;
        }
        request_t r;
        s_request_init(&r, id ? "amend" : "submit", id || renews ? 3 : 2);
        if (id)
            proto_pack_kv_str(&r.pk, "id", id);
        if (renews)
            proto_pack_kv_str(&r.pk, "renews", renews);
        proto_pack_kv_raw(&r.pk, "application", application.data, application.size);
        proto_pack_kv_str(&r.pk, "key", key);
        rc = s_call_and_print(SERVICE_INTAKE, &r, NULL);
    }
    msgpack_sbuffer_destroy(&application);
    return rc;
}

static int s_cmd_submit(int argc, char **argv)
{
    static const char *const valued[] = {"--key", "--renews", NULL};
    char *pos[2];
    bool bad = false;
    const char *key = s_option(argc, argv, "--key", &bad);
    const char *renews = s_option(argc, argv, "--renews", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || s_positionals(argc, argv, valued, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : bad ? "an option lacks its value" : "expects one FILE.json");
    if (renews && !*renews)
        return s_usage("--renews: the id of the earlier application is required");
    return s_submit_or_amend(NULL, pos[0], key, renews);
}

static int s_cmd_amend(int argc, char **argv)
{
    static const char *const valued[] = {"--key", NULL};
    char *pos[3];
    bool bad = false;
    const char *key = s_option(argc, argv, "--key", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || s_positionals(argc, argv, valued, pos, 3) != 2)
        return s_usage(unknown ? "unknown option" : "expects ID and FILE.json");
    return s_submit_or_amend(pos[0], pos[1], key, NULL);
}

static int s_cmd_status(int argc, char **argv)
{
    char *pos[2];
    const char *unknown = s_unknown_option(argc, argv, NULL, NULL);
    if (unknown || s_positionals(argc, argv, NULL, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects one ID");
    request_t r;
    s_request_init(&r, "status", 1);
    proto_pack_kv_str(&r.pk, "id", pos[0]);
    return s_call_and_print(SERVICE_INTAKE, &r, NULL);
}

/* ------------------------------------------------------------------ keys */

static void s_print_json_string(const char *text)
{
    json_t *value = json_string(text);
    char *dumped = value ? json_dumps(value, JSON_ENCODE_ANY) : NULL;
    printf("%s", dumped ? dumped : "null");
    free(dumped);
    json_decref(value);
}

/*  {"<k1>": v1, "<k2>": v2} on one line. */
static void s_print_pair(const char *k1, const char *v1, const char *k2, const char *v2)
{
    printf("{\"%s\":", k1);
    s_print_json_string(v1);
    printf(",\"%s\":", k2);
    s_print_json_string(v2);
    printf("}\n");
}

/*  The key pair of role/name for review's authenticated endpoint;
 *  EXIT_OK, or an exit code after saying why. */
static int s_use_key(const char *role, const char *name)
{
    zcert_t *cert = auth_load(role, name);
    if (!cert) {
        fprintf(stderr, "essp: no %s key named '%s' under %s/keys/%s\n", role, name, config_home(),
                strcmp(role, AUTH_ROLE_STAFF) == 0 ? "staff (essp staff init NAME)" : "members");
        return EXIT_USAGE;
    }
    return client_use_key(cert) == 0 ? EXIT_OK : EXIT_UNREACHABLE;
}

/*  Staff commands go with the staff key: $ESSP_STAFF, or the only one. */
static int s_as_staff(void)
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
    return s_use_key(AUTH_ROLE_STAFF, name);
}

static int s_cmd_staff(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[0], "init") != 0)
        return s_usage("expects init NAME");
    char path[CONFIG_PATH_MAX];
    if (auth_key_path("staff", argv[1], ".cert_secret", path, sizeof path))
        return s_usage("the name is too long");
    if (!auth_has_key(AUTH_ROLE_STAFF, argv[1]) && auth_issue(AUTH_ROLE_STAFF, argv[1]) != 0) {
        fprintf(stderr, "essp: cannot write the staff key %s: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    s_print_pair("staff", argv[1], "key", path);
    return EXIT_OK;
}

static int s_member_add(int argc, char **argv)
{
    static const char *const valued[] = {"--college", "--tie", "--network", NULL};
    char *pos[2];
    bool bad = false;
    const char *college = s_option(argc, argv, "--college", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || !college || s_positionals(argc, argv, valued, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects NAME and --college");
    if (!proto_is_college(college, strlen(college)))
        return s_usage("--college is researchers, local_authorities or ess_networks");
    if (s_count_option(argc, argv, "--tie") > 50 || s_count_option(argc, argv, "--network") > 50)
        return s_usage("--tie and --network: at most 50 each");
    int rc = s_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    s_request_init(&r, "member_add", 4);
    proto_pack_kv_str(&r.pk, "name", pos[0]);
    proto_pack_kv_str(&r.pk, "college", college);
    s_pack_repeated(&r.pk, "ties", argc, argv, "--tie");
    s_pack_repeated(&r.pk, "networks", argc, argv, "--network");
    rc = s_call_and_print(SERVICE_REVIEW, &r, NULL);
    /* The key pair once the member exists: a refused add leaves the keys
     * of an existing member as they are. */
    if (rc == EXIT_OK && auth_issue(AUTH_ROLE_MEMBER, pos[0]) != 0) {
        fprintf(stderr, "essp: the member is added but their key could not be written under %s/keys: %s\n",
                config_home(), strerror(errno));
        return EXIT_REFUSED;
    }
    return rc;
}

static int s_member_remove(int argc, char **argv)
{
    if (argc != 1)
        return s_usage("expects NAME");
    int rc = s_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    s_request_init(&r, "member_remove", 1);
    proto_pack_kv_str(&r.pk, "name", argv[0]);
    rc = s_call_and_print(SERVICE_REVIEW, &r, NULL);
    if (rc == EXIT_OK && auth_revoke(AUTH_ROLE_MEMBER, argv[0]) != 0) {
        fprintf(stderr, "essp: the member is removed but their key is still in %s/keys/allowed: %s\n",
                config_home(), strerror(errno));
        return EXIT_REFUSED;
    }
    return rc;
}

/*  True when review lists name among the members (staff key in use). */
static int s_member_exists(const char *name, bool *exists)
{
    request_t r;
    s_request_init(&r, "member_list", 0);
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

/*  czmq's certificate store reloads keys/allowed when the newest file
 *  time (in seconds), the number of files or their total size changes.  A
 *  new certificate has the size of the old one: written in the same
 *  second as the last change, it would go unnoticed and the old key would
 *  still be accepted.  So wait, at most a second, for a second later than
 *  every file there. */
static void s_wait_past_allowed(void)
{
    char dir[CONFIG_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/keys/allowed", config_home());
    time_t newest = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[CONFIG_PATH_MAX + 256];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime > newest)
            newest = st.st_mtime;
    }
    if (d)
        closedir(d);
    while (time(NULL) <= newest)
        zclock_sleep(20);
}

/*  A new key pair for a member: the old key is refused from the next
 *  connection on; votes stay theirs (review knows members by name). */
static int s_member_rekey(int argc, char **argv)
{
    if (argc != 1)
        return s_usage("expects NAME");
    int rc = s_as_staff();
    bool exists = false;
    if (rc == EXIT_OK)
        rc = s_member_exists(argv[0], &exists);
    if (rc != EXIT_OK)
        return rc;
    if (!exists) {
        fprintf(stderr, "essp: member: no member named '%s' on the committee (rule exists)\n", argv[0]);
        return EXIT_REFUSED;
    }
    char path[CONFIG_PATH_MAX];
    if (auth_key_path("members", argv[0], ".cert_secret", path, sizeof path))
        return s_usage("the name is too long");
    s_wait_past_allowed();
    if (auth_issue(AUTH_ROLE_MEMBER, argv[0]) != 0) {
        fprintf(stderr, "essp: cannot write the member's new key %s: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    s_print_pair("member", argv[0], "key", path);
    return EXIT_OK;
}

static int s_cmd_member(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "add") == 0)
        return s_member_add(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "remove") == 0)
        return s_member_remove(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "rekey") == 0)
        return s_member_rekey(argc - 1, argv + 1);
    if (argc == 1 && strcmp(argv[0], "list") == 0) {
        int rc = s_as_staff();
        if (rc != EXIT_OK)
            return rc;
        request_t r;
        s_request_init(&r, "member_list", 0);
        return s_call_and_print(SERVICE_REVIEW, &r, "members");
    }
    return s_usage("expects add, list, remove or rekey");
}

/*  The filters of a queue request, from the command line (NULL: none). */
typedef struct {
    const char *college;
    const char *department;
    const char *theme;
} queue_filter_t;

/*  One page of the member's queue (the key says who), filtered. */
static void s_queue_request(request_t *r, const queue_filter_t *filter, const char *after)
{
    size_t set = (filter->college != NULL) + (filter->department != NULL) + (filter->theme != NULL);
    s_request_init(r, "queue", 2 + set);
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
    s_print_each(&one);
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
    s_request_init(&r, "ping", 0);
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

#define S_FOLLOW_WAIT_MS 1000

/*  One held pull on review's stream after *cursor: *changed when a round
 *  opened ("queued": every kind of round appends one).  A file leaving
 *  the queue adds nothing to print. */
static int s_review_pull(uint64_t *cursor, bool *changed)
{
    request_t r;
    s_request_init(&r, "pull", 3);
    proto_pack_kv_uint(&r.pk, "after", *cursor);
    proto_pack_kv_uint(&r.pk, "max", PROTO_BATCH_MAX);
    proto_pack_kv_uint(&r.pk, "wait", S_FOLLOW_WAIT_MS);
    reply_t reply;
    int rc = client_call_plain(SERVICE_REVIEW, &r.buf, S_FOLLOW_WAIT_MS, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    const msgpack_object *events = rc == EXIT_OK ? doc_array(&reply.msg, "events") : NULL;
    for (size_t i = 0; i < doc_len(events); i++) {
        const msgpack_object *event = doc_at(events, i);
        doc_uint(event, "seq", cursor);
        *changed = *changed || doc_str_eq(event, "type", "queued");
    }
    reply_release(&reply);
    return rc;
}

/*  The queue, then every file that enters it, as it enters: review's
 *  stream is followed from its head (read before the queue, so that
 *  nothing queued in between is missed) and the queue read again when a
 *  round opens.  Until SIGINT or SIGTERM, which end it with exit 0. */
static int s_queue_follow(const queue_filter_t *filter)
{
    zhash_t *seen = zhash_new();
    uint64_t cursor = 0;
    int rc = s_review_head(&cursor);
    if (rc == EXIT_OK)
        rc = s_queue_print(filter, seen);
    while (rc == EXIT_OK && !zsys_interrupted) {
        bool changed = false;
        rc = s_review_pull(&cursor, &changed);
        if (rc == EXIT_OK && changed)
            rc = s_queue_print(filter, seen);
    }
    zhash_destroy(&seen);
    return zsys_interrupted ? EXIT_OK : rc;
}

static int s_cmd_queue(int argc, char **argv)
{
    static const char *const valued[] = {"--as", "--college", "--department", "--theme", NULL};
    static const char *const flags[] = {"--follow", NULL};
    char *pos[1];
    bool bad = false;
    const char *member = s_option(argc, argv, "--as", &bad);
    queue_filter_t filter = {s_option(argc, argv, "--college", &bad),
                             s_option(argc, argv, "--department", &bad),
                             s_option(argc, argv, "--theme", &bad)};
    const char *unknown = s_unknown_option(argc, argv, valued, flags);
    if (bad || unknown || !member || s_positionals(argc, argv, valued, pos, 1) != 0)
        return s_usage(unknown ? "unknown option" : bad ? "an option lacks its value" : "expects --as MEMBER");
    if (filter.college && !proto_is_college(filter.college, strlen(filter.college)))
        return s_usage("--college is researchers, local_authorities or ess_networks");
    if (filter.department && !directory_label(DIRECTORY_DEPARTMENT, filter.department, strlen(filter.department)))
        return s_usage("--department is a department number: 2 digits, 2A, 2B, or 97x");
    if (filter.theme && !*filter.theme)
        return s_usage("--theme: a theme is required");
    int rc = s_use_key(AUTH_ROLE_MEMBER, member);
    if (rc != EXIT_OK)
        return rc;
    return s_flag(argc, argv, "--follow") ? s_queue_follow(&filter) : s_queue_print(&filter, NULL);
}

static int s_cmd_vote(int argc, char **argv)
{
    static const char *const valued[] = {"--as", "--motivation", NULL};
    char *pos[3];
    bool bad = false;
    const char *member = s_option(argc, argv, "--as", &bad);
    const char *motivation = s_option(argc, argv, "--motivation", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || !member || s_positionals(argc, argv, valued, pos, 3) != 2)
        return s_usage(unknown ? "unknown option" : "expects ID, a decision and --as MEMBER");
    if (!proto_is_decision(pos[1], strlen(pos[1])))
        return s_usage("the decision is approve, reject or changes (a review or an appeal), "
                       "reinstate or withdraw (a complaint)");
    /* --as chooses the key; the member is the one the key names. */
    int rc = s_use_key(AUTH_ROLE_MEMBER, member);
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    s_request_init(&r, "vote", motivation ? 3 : 2);
    proto_pack_kv_str(&r.pk, "id", pos[0]);
    proto_pack_kv_str(&r.pk, "decision", pos[1]);
    if (motivation)
        proto_pack_kv_str(&r.pk, "motivation", motivation);
    return s_call_and_print(SERVICE_REVIEW, &r, NULL);
}

static int s_cmd_withdraw(int argc, char **argv)
{
    static const char *const valued[] = {"--reason", NULL};
    char *pos[2];
    bool bad = false;
    const char *reason = s_option(argc, argv, "--reason", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || !reason || s_positionals(argc, argv, valued, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects ID and --reason TEXT");
    int rc = s_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    s_request_init(&r, "withdraw", 2);
    proto_pack_kv_str(&r.pk, "id", pos[0]);
    proto_pack_kv_str(&r.pk, "reason", reason);
    return s_call_and_print(SERVICE_REVIEW, &r, NULL);
}

/*  The directory, filtered by the service, sorted by name: one JSON object
 *  per line, or CSV (RFC 4180, UTF-8, a header line).  Pages are followed
 *  with "next" until the service says there is no more. */
static int s_cmd_directory(int argc, char **argv)
{
    static const char *const valued[] = {"--department", "--theme", "--format", "--scope",
                                         "--legal-form", "--q", NULL};
    static const char *const fields[] = {"department", "theme", "format", "scope", "legal_form", "q"};
    static const char *const flags[] = {"--csv", NULL};
    char *pos[1];
    bool bad = false;
    const char *values[6];
    size_t set = 0;
    for (size_t f = 0; f < 6; f++)
        set += (values[f] = s_option(argc, argv, valued[f], &bad)) != NULL;
    const char *unknown = s_unknown_option(argc, argv, valued, flags);
    if (bad || unknown || s_positionals(argc, argv, valued, pos, 1) != 0)
        return s_usage(unknown ? "unknown option" : bad ? "an option lacks its value" : "takes no argument");
    bool csv = s_flag(argc, argv, "--csv");
    if (csv)
        directory_csv_header(stdout);
    char after[512 + 1] = "";
    for (;;) {
        request_t r;
        s_request_init(&r, "directory", 2 + set);
        proto_pack_kv_str(&r.pk, "after", after);
        proto_pack_kv_uint(&r.pk, "limit", PROTO_PAGE_MAX);
        for (size_t f = 0; f < 6; f++)
            if (values[f])
                proto_pack_kv_str(&r.pk, fields[f], values[f]);
        reply_t reply;
        int rc = client_call(SERVICE_PUBLICATION, &r.buf, 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        if (rc != EXIT_OK) {
            reply_release(&reply);
            return rc;
        }
        const msgpack_object *entries = doc_array(&reply.msg, "entries");
        if (csv)
            for (size_t i = 0; i < doc_len(entries); i++)
                directory_csv_row(stdout, doc_at(entries, i));
        else
            s_print_each(entries);
        bool more = doc_strcpy(&reply.msg, "next", after, sizeof after) > 0;
        reply_release(&reply);
        if (!more)
            break;
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
}

/*  The stream's hello: the public key its events are signed with. */
static int s_stream_pubkey(void)
{
    request_t r;
    s_request_init(&r, "hello", 0);
    return s_call_and_print(SERVICE_PUBLICATION, &r, NULL);
}

/*  Prints the publication stream from --from, then, with --follow, every
 *  new event as it is published; --pubkey prints the signing key. */
static int s_cmd_stream(int argc, char **argv)
{
    static const char *const valued[] = {"--from", NULL};
    static const char *const flags[] = {"--follow", "--pubkey", NULL};
    char *pos[1];
    bool bad = false;
    const char *from = s_option(argc, argv, "--from", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, flags);
    uint64_t cursor = 0;
    if (bad || unknown || s_positionals(argc, argv, valued, pos, 1) != 0
        || (from && !s_parse_u64(from, &cursor)))
        return s_usage(unknown ? "unknown option" : "--from takes a sequence number");
    if (s_flag(argc, argv, "--pubkey"))
        return from || s_flag(argc, argv, "--follow") ? s_usage("--pubkey goes alone") : s_stream_pubkey();
    bool follow = s_flag(argc, argv, "--follow");
    while (!zsys_interrupted) {
        request_t r;
        s_request_init(&r, "pull", 3);
        proto_pack_kv_uint(&r.pk, "after", cursor);
        proto_pack_kv_uint(&r.pk, "max", PROTO_BATCH_MAX);
        proto_pack_kv_uint(&r.pk, "wait", follow ? 10000 : 0);
        reply_t reply;
        int rc = client_call(SERVICE_PUBLICATION, &r.buf, follow ? 10000 : 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        if (rc != EXIT_OK) {
            reply_release(&reply);
            return rc;
        }
        const msgpack_object *events = doc_array(&reply.msg, "events");
        s_print_each(events);
        for (size_t i = 0; i < doc_len(events); i++)
            doc_uint(doc_at(events, i), "seq", &cursor);
        uint64_t head = 0;
        doc_uint(&reply.msg, "head", &head);
        reply_release(&reply);
        if (!follow && cursor >= head)
            return EXIT_OK;
    }
    return EXIT_OK;
}

static int s_cmd_endpoints(int argc, char **argv)
{
    if (argc != 0)
        return s_usage("takes no argument");
    for (int s = 0; s < SERVICE_COUNT; s++) {
        char endpoint[CONFIG_ENDPOINT_MAX];
        config_connect_endpoint((service_id_t)s, endpoint, sizeof endpoint);
        printf("{\"service\":\"%s\",\"endpoint\":\"%s\"}\n", config_service_name((service_id_t)s),
               endpoint);
    }
    printf("{\"service\":\"intake-http\",\"endpoint\":\"http://127.0.0.1:%d/\"}\n", config_http_port());
    static const service_id_t secured[] = {SERVICE_REVIEW, SERVICE_INTAKE};
    for (size_t i = 0; i < sizeof secured / sizeof *secured; i++) {
        char secure[CONFIG_ENDPOINT_MAX], key[CONFIG_PATH_MAX];
        config_secure_connect_endpoint(secured[i], secure, sizeof secure);
        auth_key_path("", config_service_name(secured[i]), ".cert", key, sizeof key);
        printf("{\"service\":\"%s-secure\",\"endpoint\":\"%s\",\"server_key\":",
               config_service_name(secured[i]), secure);
        s_print_json_string(key);
        printf("}\n");
    }
    return EXIT_OK;
}

/*  Pings every service (or one): one line each; exit 3 if one is down. */
static int s_cmd_ping(int argc, char **argv)
{
    if (argc > 1)
        return s_usage("takes at most a service name");
    int only = argc == 1 ? config_service_by_name(argv[0]) : -1;
    if (argc == 1 && only < 0)
        return s_usage("unknown service");
    int worst = EXIT_OK;
    for (int s = 0; s < SERVICE_COUNT; s++) {
        if (only >= 0 && s != only)
            continue;
        request_t r;
        s_request_init(&r, "ping", 0);
        int rc = s_call_and_print((service_id_t)s, &r, NULL);
        if (rc != EXIT_OK)
            worst = rc;
    }
    return worst;
}

/*  Runs the charter on a file, offline: the same rules as the service. */
static int s_cmd_check(int argc, char **argv)
{
    static const char *const valued[] = {"--today", NULL};
    static const char *const flags[] = {"--text", NULL};
    char *pos[2];
    bool bad = false;
    const char *today_text = s_option(argc, argv, "--today", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, flags);
    if (bad || unknown || s_positionals(argc, argv, valued, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects one FILE.json");
    int32_t today = date_today_utc();
    if (today_text && date_parse(today_text, strlen(today_text), &today))
        return s_usage("--today takes a date YYYY-MM-DD");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int rc = s_read_json(pos[0], &buf);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 8192);
    msgpack_object application;
    proto_error_t err;
    if (rc == EXIT_OK && (wire_decode(buf.data, buf.size, &zone, &application, &err)
                          || schema_validate(schema_application(), &application, &err))) {
        fprintf(stderr, "essp: %s: %s (field %s, rule %s)\n", pos[0], err.message, err.field, err.rule);
        rc = EXIT_REFUSED;
    }
    if (rc == EXIT_OK) {
        static charter_report_t report;
        charter_check(&application, today, &report);
        if (s_flag(argc, argv, "--text")) {
            charter_report_text(&report, stdout);
        } else {
            msgpack_sbuffer out;
            msgpack_sbuffer_init(&out);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
            charter_report_pack(&report, &pk);
            msgpack_object obj;
            if (wire_decode(out.data, out.size, &zone, &obj, &err) == 0)
                s_print(&obj);
            msgpack_sbuffer_destroy(&out);
        }
        rc = report.verdict == CHARTER_VERDICT_INCOMPLETE ? EXIT_REFUSED : EXIT_OK;
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static void s_hex(const void *bytes, size_t len, char *out, size_t cap)
{
    if (len * 2 + 1 > cap)
        len = (cap - 1) / 2;
    sodium_bin2hex(out, cap, bytes, len);
}

/*  One record of the trail as one JSON line: its fields and its hash. */
static void s_print_record(const msgpack_object *record, size_t index, msgpack_zone *zone)
{
    json_t *line = json_object();
    msgpack_object body;
    const msgpack_object *parts = record->type == MSGPACK_OBJECT_ARRAY && record->via.array.size == 2
        ? record->via.array.ptr : NULL;
    if (parts && parts[0].type == MSGPACK_OBJECT_BIN && parts[1].type == MSGPACK_OBJECT_BIN
        && history_body_decode(parts[0].via.bin.ptr, parts[0].via.bin.size, zone, &body) == 0) {
        static const char *const texts[] = {"who", "what", "why", "state"};
        uint64_t n = 0, at = 0;
        doc_uint(&body, "n", &n);
        doc_uint(&body, "at", &at);
        json_object_set_new(line, "n", json_integer((json_int_t)n));
        json_object_set_new(line, "at", json_integer((json_int_t)at));
        for (size_t i = 0; i < 4; i++) {
            const char *text = "";
            size_t len = 0;
            if (doc_str(&body, texts[i], &text, &len))
                json_object_set_new(line, texts[i], json_stringn(text, len));
        }
        char hex[HISTORY_HASH_BYTES * 2 + 1];
        s_hex(parts[1].via.bin.ptr, parts[1].via.bin.size, hex, sizeof hex);
        json_object_set_new(line, "hash", json_string(hex));
    } else {
        json_object_set_new(line, "position", json_integer((json_int_t)index + 1));
        json_object_set_new(line, "error", json_string("not a history record"));
    }
    char *text = json_dumps(line, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(line);
}

/*  Verifies again, from the bytes intake sent, what intake verified: a
 *  service that altered its own answer is caught too. */
static void s_verify_history(const msgpack_object *reply, history_verifier_t *v)
{
    const msgpack_object *records = doc_array(reply, "records");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    for (size_t i = 0; i < doc_len(records); i++) {
        const msgpack_object *record = doc_at(records, i);
        msgpack_zone_clear(&zone);
        s_print_record(record, i, &zone);
        const msgpack_object *parts = record->type == MSGPACK_OBJECT_ARRAY && record->via.array.size == 2
            ? record->via.array.ptr : NULL;
        if (parts && parts[0].type == MSGPACK_OBJECT_BIN && parts[1].type == MSGPACK_OBJECT_BIN)
            history_verify_record(v, parts[0].via.bin.ptr, parts[0].via.bin.size, parts[1].via.bin.ptr,
                                  parts[1].via.bin.size);
        else
            history_verify_record(v, "", 0, NULL, 0);
    }
    msgpack_zone_destroy(&zone);
    history_head_t expected = {0};
    const msgpack_object *head = doc_get(reply, "head");
    doc_uint(reply, "count", &expected.count);
    if (head && head->type == MSGPACK_OBJECT_BIN && head->via.bin.size == HISTORY_HASH_BYTES)
        memcpy(expected.head, head->via.bin.ptr, HISTORY_HASH_BYTES);
    history_verify_end(v, &expected);
}

/*  The audit trail of an application, one record per line, then the
 *  verification of its chain: exit 0 when it holds, 1 when it is broken. */
static int s_cmd_history(int argc, char **argv)
{
    char *pos[2];
    const char *unknown = s_unknown_option(argc, argv, NULL, NULL);
    if (unknown || s_positionals(argc, argv, NULL, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects one ID");
    request_t r;
    s_request_init(&r, "history", 1);
    proto_pack_kv_str(&r.pk, "id", pos[0]);
    reply_t reply;
    int rc = client_call(SERVICE_INTAKE, &r.buf, 0, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    if (rc != EXIT_OK) {
        reply_release(&reply);
        return rc;
    }
    history_verifier_t v;
    history_verifier_init(&v);
    s_verify_history(&reply.msg, &v);
    /* The service's finding comes first when it saw a break: it also
     * checks what it does not send (the stored head's form). */
    const msgpack_object *brk = doc_map(&reply.msg, "break");
    bool service_ok = doc_bool(&reply.msg, "verified", false);
    uint64_t n = v.brk.n;
    char reason[PROTO_TEXT_MAX];
    snprintf(reason, sizeof reason, "%s", v.brk.reason);
    if (!service_ok) {
        doc_uint(brk, "n", &n);
        if (doc_strcpy(brk, "reason", reason, sizeof reason) < 0)
            snprintf(reason, sizeof reason, "intake reports the chain broken");
    } else if (v.broken) {
        size_t len = strlen(reason);
        snprintf(reason + len, sizeof reason - len, " (intake said the chain holds)");
    }
    bool holds = service_ok && !v.broken;
    json_t *last = json_object();
    json_object_set_new(last, "verified", json_boolean(holds));
    json_object_set_new(last, "records", json_integer((json_int_t)doc_len(doc_array(&reply.msg, "records"))));
    char hex[HISTORY_HASH_BYTES * 2 + 1];
    s_hex(v.prev, sizeof v.prev, hex, sizeof hex);
    if (holds)
        json_object_set_new(last, "head", json_string(hex));
    else
        json_object_set_new(last, "break", json_pack("{s:I,s:s}", "n", (json_int_t)n, "reason", reason));
    char *text = json_dumps(last, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(last);
    fflush(stdout);
    if (!holds)
        fprintf(stderr, "essp history: the chain is broken at record %llu: %s\n", (unsigned long long)n,
                reason);
    history_verifier_fini(&v);
    reply_release(&reply);
    return holds ? EXIT_OK : EXIT_REFUSED;
}

/* ------------------------------------------------------- the committee */

/*  True when text holds something other than spaces. */
static bool s_has_text(const char *text)
{
    for (; *text; text++)
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r')
            return true;
    return false;
}

/*  The applicant appeals a rejection, once: a new round of the committee. */
static int s_cmd_appeal(int argc, char **argv)
{
    static const char *const valued[] = {"--motivation", "--token", "--key", NULL};
    char *pos[2];
    bool bad = false;
    const char *motivation = s_option(argc, argv, "--motivation", &bad);
    const char *token = s_option(argc, argv, "--token", &bad);
    const char *key = s_option(argc, argv, "--key", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || !motivation || s_positionals(argc, argv, valued, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : bad ? "an option lacks its value"
                                                        : "expects ID and --motivation TEXT");
    if (!s_has_text(motivation))
        return s_usage("--motivation: the applicant's reasons are required");
    char fresh[33];
    if (!key) {
        s_new_key(fresh);
        key = fresh;
    }
    request_t r;
    s_request_init(&r, "appeal", token ? 4 : 3);
    proto_pack_kv_str(&r.pk, "id", pos[0]);
    proto_pack_kv_str(&r.pk, "motivation", motivation);
    proto_pack_kv_str(&r.pk, "key", key);
    if (token)
        proto_pack_kv_str(&r.pk, "token", token);
    return s_call_and_print(SERVICE_INTAKE, &r, NULL);
}

/*  A request that names one file, sent with the staff key: erase (to
 *  intake's authenticated endpoint) or complaint (to review's). */
static int s_staff_on_file(service_id_t service, const char *type, const char *id, const char *reason)
{
    int rc = s_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    s_request_init(&r, type, reason ? 2 : 1);
    proto_pack_kv_str(&r.pk, "id", id);
    if (reason)
        proto_pack_kv_str(&r.pk, "reason", reason);
    return s_call_and_print(service, &r, NULL);
}

static int s_cmd_erase(int argc, char **argv)
{
    char *pos[2];
    const char *unknown = s_unknown_option(argc, argv, NULL, NULL);
    if (unknown || s_positionals(argc, argv, NULL, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects one ID");
    return s_staff_on_file(SERVICE_INTAKE, "erase", pos[0], NULL);
}

static int s_cmd_complaint(int argc, char **argv)
{
    static const char *const valued[] = {"--reason", NULL};
    char *pos[2];
    bool bad = false;
    const char *reason = s_option(argc, argv, "--reason", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || !reason || s_positionals(argc, argv, valued, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects ID and --reason TEXT");
    if (!s_has_text(reason))
        return s_usage("--reason: the complaint's reason is required");
    return s_staff_on_file(SERVICE_REVIEW, "complaint", pos[0], reason);
}

/*  A member steps aside from a file, for this round and the next ones. */
static int s_cmd_recuse(int argc, char **argv)
{
    static const char *const valued[] = {"--as", "--reason", NULL};
    char *pos[2];
    bool bad = false;
    const char *member = s_option(argc, argv, "--as", &bad);
    const char *reason = s_option(argc, argv, "--reason", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    if (bad || unknown || !member || !reason || s_positionals(argc, argv, valued, pos, 2) != 1)
        return s_usage(unknown ? "unknown option" : "expects ID, --as MEMBER and --reason TEXT");
    if (!s_has_text(reason))
        return s_usage("--reason: the reason for stepping aside is required");
    int rc = s_use_key(AUTH_ROLE_MEMBER, member);
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    s_request_init(&r, "recuse", 2);
    proto_pack_kv_str(&r.pk, "id", pos[0]);
    proto_pack_kv_str(&r.pk, "reason", reason);
    return s_call_and_print(SERVICE_REVIEW, &r, NULL);
}

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
    return s_parse_u64(text, now) && *now <= (uint64_t)INT64_MAX;
}

/*  One tick, then more while review says others are due (it withdraws at
 *  most 1000 listings per tick): one line per tick. */
static int s_clock_tick(int argc, char **argv)
{
    static const char *const valued[] = {"--now", NULL};
    char *pos[1];
    bool bad = false;
    const char *now_text = s_option(argc, argv, "--now", &bad);
    const char *unknown = s_unknown_option(argc, argv, valued, NULL);
    uint64_t now = 0;
    if (bad || unknown || s_positionals(argc, argv, valued, pos, 1) != 0)
        return s_usage(unknown ? "unknown option" : bad ? "--now lacks its value" : "takes no argument");
    if (now_text && !s_parse_now(now_text, &now))
        return s_usage("--now takes a date YYYY-MM-DD (00:00 UTC) or unix seconds");
    int rc = s_as_staff();
    for (bool more = rc == EXIT_OK; more && !zsys_interrupted;) {
        request_t r;
        s_request_init(&r, "tick", now_text ? 1 : 0);
        if (now_text)
            proto_pack_kv_uint(&r.pk, "now", now);
        reply_t reply;
        rc = client_call(SERVICE_REVIEW, &r.buf, 0, &reply);
        msgpack_sbuffer_destroy(&r.buf);
        if (rc == EXIT_OK)
            s_print(&reply.msg);
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

static int s_cmd_clock(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "tick") == 0)
        return s_clock_tick(argc - 1, argv + 1);
    return s_usage("expects tick");
}

static const command_t s_commands[] = {
    {"submit", "submit FILE.json [--key KEY] [--renews ID]  submit an application (JSON, see\n"
               "       proto/application.schema.json); --renews: the earlier application it renews", s_cmd_submit},
    {"amend", "amend ID FILE.json [--key KEY]  amend an incomplete application or one with changes requested", s_cmd_amend},
    {"status", "status ID                       the state of an application, its report and decisions", s_cmd_status},
    {"check", "check FILE.json [--today YYYY-MM-DD] [--text]  run the charter offline (exit 1 if something fails)", s_cmd_check},
    {"member", "member add NAME --college researchers|local_authorities|ess_networks [--tie SIREN]... [--network NAME]...\n"
               "       essp member list | member remove NAME | member rekey NAME\n"
               "       (staff key; add and rekey write the member's key pair, rekey refuses the old one)", s_cmd_member},
    {"staff", "staff init NAME                 create a staff key pair under $ESSP_HOME/keys/staff", s_cmd_staff},
    {"queue", "queue --as MEMBER [--follow] [--college C] [--department D] [--theme T]\n"
              "       the files waiting for this member's vote, one per line; --follow: then each file as it\n"
              "       enters the queue, until interrupted", s_cmd_queue},
    {"vote", "vote ID approve|reject|changes|reinstate|withdraw --as MEMBER [--motivation TEXT]", s_cmd_vote},
    {"recuse", "recuse ID --as MEMBER --reason TEXT  step aside from a file (this round and the next)", s_cmd_recuse},
    {"appeal", "appeal ID --motivation TEXT [--token T] [--key KEY]  appeal a rejection (once)", s_cmd_appeal},
    {"complaint", "complaint ID --reason TEXT     suspend a listing and open a complaint round (staff key)", s_cmd_complaint},
    {"clock", "clock tick [--now YYYY-MM-DD|SECONDS]  withdraw the listings expired by now (staff key)", s_cmd_clock},
    {"erase", "erase ID                        erase an application's personal data (staff key)", s_cmd_erase},
    {"withdraw", "withdraw ID --reason TEXT       withdraw a file before the committee, or a listing", s_cmd_withdraw},
    {"history", "history ID                      the audit trail of an application, its hash chain verified", s_cmd_history},
    {"directory", "directory [--department D] [--theme T] [--format support|training] [--scope whole|specific]\n"
                  "       [--legal-form F] [--q TEXT] [--csv]  the published directory, filtered, sorted by name", s_cmd_directory},
    {"stream", "stream [--from SEQ] [--follow] | --pubkey  the publication stream, one event per line; its signing key", s_cmd_stream},
    {"endpoints", "endpoints                       where each service listens", s_cmd_endpoints},
    {"ping", "ping [SERVICE]                  check that the services answer", s_cmd_ping},
};

static int s_help(FILE *out)
{
    fprintf(out, "essp: the ESS Pratiques directory pipeline\n\nusage:\n");
    for (size_t i = 0; i < sizeof s_commands / sizeof *s_commands; i++)
        fprintf(out, "  essp %s\n", s_commands[i].usage);
    fprintf(out, "\nenvironment: ESSP_HOME (default ./var), ESSP_PORT (default 7700),\n"
                 "  ESSP_<SERVICE>_ENDPOINT, ESSP_TIMEOUT_MS (5000), ESSP_RETRIES (3),\n"
                 "  ESSP_REVIEW_SECURE_ENDPOINT, ESSP_INTAKE_SECURE_ENDPOINT,\n"
                 "  ESSP_STAFF (the staff key to use); settings also in $ESSP_HOME/essp.conf\n"
                 "exit codes: 0 done, 1 refused, 2 usage, 3 service unreachable\n");
    return out == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return EXIT_REFUSED;
    if (argc < 2)
        return s_help(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
        return s_help(stdout);
    if (config_base_port() < 0) {
        fprintf(stderr, "essp: ESSP_PORT must be a port number\n");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof s_commands / sizeof *s_commands; i++) {
        if (strcmp(argv[1], s_commands[i].name) != 0)
            continue;
        s_command = &s_commands[i];
        if (s_wants_help(argc - 2, argv + 2)) {
            printf("usage: essp %s\n", s_command->usage);
            return EXIT_OK;
        }
        zsys_init();
        zsys_set_logsystem(false);
        return s_command->run(argc - 2, argv + 2);
    }
    fprintf(stderr, "essp: unknown command '%s'\n", argv[1]);
    return s_help(stderr);
}
