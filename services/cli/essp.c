/*  essp: the command-line tool for every user action.
 *
 *  Output is JSON on stdout: one object, or one object per line for lists.
 *  Errors go to stderr with the field and the rule that refused the input.
 *  Exit codes: 0 done, 1 refused input, 2 usage, 3 service unreachable,
 *  75 storage unavailable for now (nothing changed; resent by itself first).
 *  The stack is found through ESSP_HOME and ESSP_PORT, as the services do.
 *
 *  This file holds the table of commands and the one prologue they share;
 *  the commands live in cmd_application.c (the applicant's),
 *  cmd_committee.c (the members'), cmd_staff.c (the staff's) and
 *  cmd_directory.c (the public directory, the stream, the services),
 *  cmd_stream_key.c (the stream key's rotation), cmd_mail.c (e-mail) and
 *  cmd_backup.c (backup and restore of the whole stack).
 */
#include "commands.h"

#include <czmq.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *sub;             /* the subcommand, or NULL */
    const char *usage;           /* NULL: the usage of the group's first line */
    const char *options;         /* see args.h */
    int positionals;             /* how many, or -1: the command checks */
    const char *expects;         /* the problem when they are wrong */
    int (*run)(const args_t *args);
} command_t;

static const command_t s_commands[] = {
    {"submit", NULL, "submit FILE.json [--key KEY] [--renews ID]  submit an application (JSON, see\n"
                     "       proto/application.schema.json); --renews: the earlier application it renews",
     "key=,renews=", 1, "expects one FILE.json", cmd_submit},
    {"amend", NULL, "amend ID FILE.json [--token T] [--key KEY]  amend an incomplete application or one with changes\n"
                    "       requested, or update an approved or published listing (the receipt's token, or\n"
                    "       the staff key); an update's receipt lists the fields it changes (changed) and\n"
                    "       whether one is substantive (then the committee decides; else published at once)",
     "key=,token=", 2, "expects ID and FILE.json", cmd_amend},
    {"status", NULL, "status ID [--token T]           the state of an application, its report and decisions\n"
                     "       (the receipt's token, or the staff key)",
     "token=", 1, "expects one ID", cmd_status},
    {"check", NULL, "check FILE.json [--today YYYY-MM-DD] [--text]  run the charter offline (exit 1 if something fails)",
     "today=,text", 1, "expects one FILE.json", cmd_check},
    {"networks", NULL, "networks [NAME]                 the list of ESS networks --network chooses from, or the\n"
                       "       one NAME designates (exit 1 when the list does not know it)",
     NULL, -1, "expects at most one NAME", cmd_networks},
    {"member", "add", "member add NAME --college researchers|local_authorities|ess_networks [--tie SIREN]... [--network NAME]...\n"
                      "       [--email ADDRESS] [--digest on|off]\n"
                      "       essp member update NAME [--email ADDRESS] [--digest on|off] [--college C] [--tie SIREN]...\n"
                      "       [--network NAME]...  (ties and networks given replace the member's)\n"
                      "       essp member list | member remove NAME | member rekey NAME\n"
                      "       (staff key; add and rekey write the member's key pair, rekey refuses the old one)",
     "college=!,tie=,network=,email=,digest=", 1, "expects NAME and --college", cmd_member_add},
    {"member", "update", NULL, "email=,digest=,college=,tie=,network=", 1, "expects NAME", cmd_member_update},
    {"member", "list", NULL, NULL, 0, "expects add, update, list, remove or rekey", cmd_member_list},
    {"member", "remove", NULL, NULL, 1, "expects NAME", cmd_member_remove},
    {"member", "rekey", NULL, NULL, 1, "expects NAME", cmd_member_rekey},
    {"staff", "init", "staff init NAME                 create a staff key pair under $ESSP_HOME/keys/staff",
     NULL, 1, "expects init NAME", cmd_staff_init},
    {"staff", "add", "staff add NAME --email ADDRESS  a staff account on essp-desk (staff key): prints its invitation link",
     "email=!", 1, "expects NAME and --email ADDRESS", cmd_staff_add},
    {"desk", "invite", "desk invite member|staff NAME EMAIL  (staff key) an account on essp-desk: prints its invitation link\n"
                       "       (essp member add --email makes it already when the desk runs)",
     NULL, 3, "expects member|staff NAME EMAIL", cmd_desk_invite},
    {"desk", "list", "desk list | desk remove EMAIL | desk reset EMAIL  (staff key) the accounts of essp-desk; reset:\n"
                     "       a new key pair (the old one is refused) and a new invitation link",
     NULL, 0, "takes no argument", cmd_desk_list},
    {"desk", "remove", NULL, NULL, 1, "expects EMAIL", cmd_desk_remove},
    {"desk", "reset", NULL, NULL, 1, "expects EMAIL", cmd_desk_reset},
    {"desk", "demo-account", "desk demo-account member|staff NAME EMAIL --out FILE  (the demo only) an account with a\n"
                             "       random password, written with the staff's TOTP secret to FILE (mode 0600)",
     "out=!", 3, "expects member|staff NAME EMAIL and --out FILE", cmd_desk_demo_account},
    {"pending", NULL, "pending [--since YYYY-MM-DD|SECONDS] [--older-than SECONDS]  (staff key) the files each member\n"
                      "       with an e-mail has still to vote on, one member per line; --since: rounds opened since;\n"
                      "       --older-than: rounds opened more than that long ago",
     "since=,older-than=", 0, "takes no argument", cmd_pending},
    {"queue", NULL, "queue --as MEMBER [--follow] [--college C] [--department D] [--theme T]\n"
                    "       the files waiting for this member's vote, one per line; --follow: then each file as it\n"
                    "       enters the queue, until interrupted",
     "as=!,college=,department=,theme=,follow", 0, "expects --as MEMBER", cmd_queue},
    {"vote", NULL, "vote ID approve|reject|changes|reinstate|withdraw --as MEMBER [--motivation TEXT]",
     "as=!,motivation=", 2, "expects ID, a decision and --as MEMBER", cmd_vote},
    {"recuse", NULL, "recuse ID --as MEMBER --reason TEXT  step aside from a file (this round and the next)",
     "as=!,reason=!", 1, "expects ID, --as MEMBER and --reason TEXT", cmd_recuse},
    {"appeal", NULL, "appeal ID --motivation TEXT [--token T] [--key KEY]  appeal a rejection (once; the\n"
                     "       receipt's token, or the staff key)",
     "motivation=!,token=,key=", 1, "expects ID and --motivation TEXT", cmd_appeal},
    {"complaint", NULL, "complaint ID --reason TEXT     suspend a listing and open a complaint round (staff key)",
     "reason=!", 1, "expects ID and --reason TEXT", cmd_complaint},
    {"clock", "tick", "clock tick [--now YYYY-MM-DD|SECONDS]  withdraw the listings expired by now (staff key)",
     "now=", 0, "takes no argument", cmd_clock_tick},
    {"mail", "failed", "mail failed | mail digest [--at T] | mail tick [--at T]  (staff key) the letters the mail\n"
                       "       server refused for good; the committee's digest now; the listing reminders due at T\n"
                       "       (YYYY-MM-DD or unix seconds, default now)",
     NULL, 0, "takes no argument", cmd_mail_failed},
    {"mail", "digest", NULL, "at=", 0, "takes only --at", cmd_mail_digest},
    {"mail", "tick", NULL, "at=", 0, "takes only --at", cmd_mail_tick},
    {"erase", NULL, "erase ID                        erase an application's personal data (staff key)",
     NULL, 1, "expects one ID", cmd_erase},
    {"import", NULL, "import FILE.csv|FILE.jsonl [--dry-run] [--json]  (staff key) bring in listings approved before essp",
     "dry-run,json", 1, "expects one FILE.csv or FILE.jsonl", cmd_import},
    {"withdraw", NULL, "withdraw ID --reason TEXT       withdraw a file before the committee, or a listing",
     "reason=!", 1, "expects ID and --reason TEXT", cmd_withdraw},
    {"history", NULL, "history ID [--token T]          the audit trail of an application, its hash chain verified\n"
                      "       (the receipt's token, or the staff key)",
     "token=", 1, "expects one ID", cmd_history},
    {"directory", NULL, "directory [--department D] [--theme T] [--format support|training] [--scope whole|specific]\n"
                        "       [--legal-form F] [--q TEXT] [--csv]  the published directory, filtered, sorted by name",
     "department=,theme=,format=,scope=,legal-form=,q=,csv", 0, "takes no argument", cmd_directory},
    {"stream", "rotate-key", "stream [--from SEQ] [--follow] | --pubkey  the publication stream, one event per line; its signing key\n"
                             "       essp stream rotate-key  on the publication host: a new signing key, announced in the stream\n"
                             "       signed by the old one (keys/publication.next; the old key is kept as publication.key.N)",
     NULL, 0, "takes no argument", cmd_stream_rotate_key},
    {"stream", NULL, NULL, "from=,follow,pubkey", 0, "--from takes a sequence number", cmd_stream},
    {"endpoints", NULL, "endpoints                       where each service listens",
     NULL, 0, "takes no argument", cmd_endpoints},
    {"ping", NULL, "ping [SERVICE]                  whether each service answers and is ready: its streams, what it waits for",
     NULL, -1, "takes at most a service name", cmd_ping},
    {"backup", NULL, "backup DIR [--env FILE]         (staff key) a consistent copy of the whole stack: stores, keys, settings",
     "env=", 1, "expects one DIR (new or empty)", cmd_backup},
    {"restore", NULL, "restore DIR                     lay a backup out in a new, empty ESSP_HOME",
     NULL, 1, "expects one DIR (a backup)", cmd_restore},
};

#define S_COMMANDS (sizeof s_commands / sizeof *s_commands)

/*  What a group of subcommands says when none of them is named. */
static const struct {
    const char *name;
    const char *expects;
} s_groups[] = {
    {"member", "expects add, update, list, remove or rekey"},
    {"staff", "expects init NAME or add NAME --email ADDRESS"},
    {"desk", "expects invite, list, remove, reset or demo-account"},
    {"clock", "expects tick"},
    {"mail", "expects failed, digest or tick"},
};

/*  The command running: its name and usage, for cli_usage. */
static const char *s_name;
static const char *s_usage;

int cli_usage(const char *problem)
{
    if (problem)
        fprintf(stderr, "essp %s: %s\n", s_name, problem);
    fprintf(stderr, "usage: essp %s\n", s_usage);
    return EXIT_USAGE;
}

bool cli_has_text(const char *text)
{
    for (; *text; text++)
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r')
            return true;
    return false;
}

bool cli_parse_u64(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || !*text || *end || *text == '-')
        return false;
    *out = value;
    return true;
}

static int s_help(FILE *out)
{
    fprintf(out, "essp: the ESS Pratiques directory pipeline\n\nusage:\n");
    for (size_t i = 0; i < S_COMMANDS; i++)
        if (s_commands[i].usage)
            fprintf(out, "  essp %s\n", s_commands[i].usage);
    fprintf(out, "\nenvironment: ESSP_HOME (default ./var), ESSP_PORT (default 7700),\n"
                 "  ESSP_<SERVICE>_ENDPOINT, ESSP_TIMEOUT_MS (5000), ESSP_RETRIES (3),\n"
                 "  ESSP_REVIEW_SECURE_ENDPOINT, ESSP_INTAKE_SECURE_ENDPOINT, ESSP_VALIDATION_SECURE_ENDPOINT,\n"
                 "  ESSP_STAFF (the staff key to use); settings also in $ESSP_HOME/essp.conf\n"
                 "  ESSP_RETRY_FOR_S (600), ESSP_BACKOFF_MAX_MS (30000)\n"
                 "exit codes:\n"
                 "  0   done\n"
                 "  1   refused: the request breaks a rule, or the state does not allow it (see stderr)\n"
                 "  2   usage: a command or an option is wrong\n"
                 "  3   service unreachable: no answer after ESSP_RETRIES tries\n"
                 "  4   (essp ping) a service answers but is not ready: its health says what it waits for\n"
                 "  75  storage unavailable for now (code unavailable, rule storage): nothing was changed;\n"
                 "      reads, votes, recusals and submissions, amendments and appeals (they carry an\n"
                 "      idempotency key) are first resent by essp itself, with the same key, after\n"
                 "      growing pauses for ESSP_RETRY_FOR_S seconds, each said on stderr\n");
    return out == stdout ? EXIT_OK : EXIT_USAGE;
}

/*  The line of the table for argv (the command, then the subcommand if
 *  its group has any), or NULL with *group set when only the name
 *  matched. */
static const command_t *s_find(int argc, char **argv, const command_t **group)
{
    *group = NULL;
    for (size_t i = 0; i < S_COMMANDS; i++) {
        const command_t *c = &s_commands[i];
        if (strcmp(argv[0], c->name) != 0)
            continue;
        if (!*group)
            *group = c;
        if (!c->sub || (argc >= 2 && strcmp(argv[1], c->sub) == 0))
            return c;
    }
    return NULL;
}

/*  The one prologue: the options and the positionals checked, then the
 *  command.  argv[0] is the command's (or subcommand's) own name. */
static int s_run(const command_t *command, int argc, char **argv)
{
    args_t args;
    const char *problem;
    if (args_parse(&args, command->options, argc, argv, &problem))
        return cli_usage(problem ? problem : command->expects);
    if (command->positionals >= 0 && args.positionals != command->positionals)
        return cli_usage(command->expects);
    return command->run(&args);
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
    const command_t *group;
    const command_t *command = s_find(argc - 1, argv + 1, &group);
    if (!group) {
        fprintf(stderr, "essp: unknown command '%s'\n", argv[1]);
        return s_help(stderr);
    }
    s_name = group->name;
    s_usage = group->usage;
    /* A subcommand's options are read after it. */
    bool sub = command && command->sub;
    if (args_wants_help(command ? command->options : NULL, argc - 2 - sub, argv + 2 + sub)) {
        printf("usage: essp %s\n", s_usage);
        return EXIT_OK;
    }
    if (!command) {
        for (size_t i = 0; i < sizeof s_groups / sizeof *s_groups; i++)
            if (strcmp(s_groups[i].name, group->name) == 0)
                return cli_usage(s_groups[i].expects);
        return cli_usage(NULL);
    }
    zsys_init();
    zsys_set_logsystem(false);
    /* A subcommand's arguments start after it. */
    return command->sub ? s_run(command, argc - 2, argv + 2) : s_run(command, argc - 1, argv + 1);
}
