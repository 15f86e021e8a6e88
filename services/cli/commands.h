/*  services/cli/commands.h - the commands of essp and what they share.
 *
 *  Every command is a line of the table in essp.c: its name (and
 *  subcommand), its usage, its options (args.h), how many positional
 *  arguments it takes and what to say when they are wrong.  main() runs
 *  the one prologue (args_parse, the count checked) and then the command,
 *  which returns the exit code (client.h).
 */
#ifndef ESSP_CLI_COMMANDS_H
#define ESSP_CLI_COMMANDS_H

#include "args.h"
#include "client.h"

#include <stdbool.h>
#include <stdint.h>

/*  Prints the problem and the usage of the command running; EXIT_USAGE. */
int cli_usage(const char *problem);

/*  True when text holds something other than spaces. */
bool cli_has_text(const char *text);

/*  A decimal unsigned number, the whole text. */
bool cli_parse_u64(const char *text, uint64_t *out);

/*  Uses the key pair of role/name (common/auth.h) for the authenticated
 *  endpoints; EXIT_OK, or an exit code after saying why. */
int cli_use_key(const char *role, const char *name);

/*  Uses the staff key: $ESSP_STAFF, or the only one. */
int cli_as_staff(void);

/*  The applicant's commands (cmd_application.c). */
int cmd_submit(const args_t *args);
int cmd_amend(const args_t *args);
int cmd_status(const args_t *args);
int cmd_check(const args_t *args);

/*  The list of ESS networks, or the one a name designates
 *  (cmd_networks.c); and a note on stderr for each --network given that
 *  the list does not know. */
int cmd_networks(const args_t *args);
void cli_note_unknown_networks(const args_t *args);
int cmd_appeal(const args_t *args);
int cmd_history(const args_t *args);

/*  The committee's (cmd_committee.c). */
int cmd_queue(const args_t *args);
int cmd_vote(const args_t *args);
int cmd_recuse(const args_t *args);

/*  The staff's (cmd_staff.c). */
int cmd_staff_init(const args_t *args);
int cmd_member_add(const args_t *args);
int cmd_member_list(const args_t *args);
int cmd_member_update(const args_t *args);
int cmd_pending(const args_t *args);
int cmd_member_remove(const args_t *args);
int cmd_member_rekey(const args_t *args);
int cmd_withdraw(const args_t *args);
int cmd_complaint(const args_t *args);
int cmd_erase(const args_t *args);
int cmd_import(const args_t *args);   /* cmd_import.c */
int cmd_clock_tick(const args_t *args);

/*  Accounts on essp-desk (cmd_desk.c).  cli_desk_invite makes the
 *  account of role/name/email (a reset: a new key pair) and prints its
 *  invitation link; the staff key is in use. */
int cli_desk_invite(const char *role, const char *name, const char *email, bool reset);
/*  Removes the desk account of committee member `name`, when there is one
 *  (essp member remove: a removed member keeps no way in). */
int cli_desk_remove_member(const char *name);
/*  True when essp-desk runs in this stack (it wrote keys/desk.cert). */
bool cli_desk_deployed(void);
int cmd_desk_invite(const args_t *args);
int cmd_staff_add(const args_t *args);
int cmd_desk_list(const args_t *args);
int cmd_desk_remove(const args_t *args);
int cmd_desk_reset(const args_t *args);
int cmd_desk_demo_account(const args_t *args);
/*  E-mail: failed letters, the digest and the reminders now (cmd_mail.c). */
int cmd_mail_failed(const args_t *args);
int cmd_mail_digest(const args_t *args);
int cmd_mail_tick(const args_t *args);

/*  Backups of the whole stack, and restoring one (cmd_backup.c). */
int cmd_backup(const args_t *args);
int cmd_restore(const args_t *args);

/*  The published directory, the stream, the services (cmd_directory.c). */
int cmd_directory(const args_t *args);
int cmd_stream(const args_t *args);

/*  A new key for the publication stream, on the publication host
 *  (cmd_stream_key.c). */
int cmd_stream_rotate_key(const args_t *args);
int cmd_endpoints(const args_t *args);
/*  Every service's health as a table (cmd_ping.c). */
int cmd_ping(const args_t *args);

#endif
