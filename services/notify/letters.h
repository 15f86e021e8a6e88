/*  services/notify/letters.h - which letters an event makes: to whom, of
 *  which kind, with which values.
 *
 *  Pure: what notify keeps of the application (letters_file_t) and the
 *  settings come in, letters come out; notify.c renders them (template.h),
 *  composes them (message.h) and puts them in the outbox.  The kinds, and
 *  the names each kind's templates may use, are declared here once
 *  (letters_specs): the templates are checked against them at start.
 */
#ifndef ESSP_NOTIFY_LETTERS_H
#define ESSP_NOTIFY_LETTERS_H

#include "notify.h"
#include "outbox.h"
#include "template.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  A name of the application: the schema allows 200 characters, up to 4
 *  bytes each in UTF-8, and the NUL. */
#define LETTERS_NAME_MAX (4 * 200 + 1)

/*  What notify keeps of an application between its events (from the
 *  latest `submitted`): the organisation's name, the private contact's
 *  name and address.  Never the token. */
typedef struct letters_file_t {
    char id[OUTBOX_APP_MAX];
    char name[LETTERS_NAME_MAX];          /* organisation.name */
    char contact[LETTERS_NAME_MAX];       /* organisation.private_contact.name */
    char email[OUTBOX_ADDRESS_MAX];       /* organisation.private_contact.email */
    uint64_t revision;
} letters_file_t;


/*  Reads the file's fields from an event that carries the application
 *  (`submitted`; also `validated` review and `decided` approve, so that a
 *  file whose `submitted` notify has not applied yet, the streams being
 *  read apart, is still known); 0, or -1 when they are missing. */
int letters_file_from_event(const msgpack_object *event, letters_file_t *file);

typedef struct {
    char kind[OUTBOX_KIND_MAX];
    char to[OUTBOX_ADDRESS_MAX];
    char to_name[LETTERS_NAME_MAX];       /* "" when none */
    char app_id[OUTBOX_APP_MAX];
    char message_id[OUTBOX_MESSAGE_ID_MAX];
    bool unsubscribe;                     /* a digest: List-Unsubscribe */
    size_t member;                        /* digests: the member's index in the reply */
    vars_t *vars;
} letter_t;

typedef struct letters_t {
    letter_t *items;
    size_t count, cap;
} letters_t;

void letters_init(letters_t *self);
void letters_clear(letters_t *self);

/*  The kinds of letters and their templates' names. */
size_t letters_specs(const template_spec_t **out);

/*  What every letter needs besides the event. */
typedef struct {
    const notify_settings_t *settings;
    const char *stream;                   /* "intake", "validation", "review", "publication" */
    uint64_t seq;                         /* the event's seq (Message-IDs) */
    int64_t at;                           /* the event's time */
} letters_ctx_t;

/*  The letters of one stream event.  file is what notify keeps of the
 *  application (NULL when nothing: only staff letters are then written);
 *  token is the opened tracking token of `submitted` or `token_reissued`
 *  (NULL when there is none).  0, or -1 when memory runs out. */
int letters_from_event(letters_t *out, const letters_ctx_t *ctx, const char *type,
                       const msgpack_object *event, const letters_file_t *file, const char *token);

/*  The days left at `at` before a listing ends at `expires`, a day begun
 *  counting whole (0 once it has ended). */
int letters_days_left(int64_t expires, int64_t at);

/*  Whether the reminder `days` (60 or 14) before `expires` is still worth
 *  writing at `at`: it is planned at its moment, but a listing published,
 *  reinstated or imported late, or a tick missed, may reach that moment
 *  with less time left.  The 60-day one needs more than
 *  LETTERS_REMINDER_60_MIN days left (with less, the 14-day one comes soon
 *  enough); the 14-day one, any day left. */
#define LETTERS_REMINDER_60_MIN 30
bool letters_reminder_wanted(int days, int64_t expires, int64_t at);

/*  A listing's reminder `days` (60 or 14) before it ends at `expires`,
 *  written at `at`: its delay is worded from the days really left then. */
int letters_listing_reminder(letters_t *out, const notify_settings_t *settings,
                             const letters_file_t *file, int days, int64_t expires, int64_t at);

/*  The staff's notice that a letter could not be delivered. */
int letters_undeliverable(letters_t *out, const notify_settings_t *settings,
                          const outbox_record_t *failed);

/*  Which files of a member's list are news.  notify.c answers from its
 *  members database: digest = not yet announced to this member, reminder =
 *  waiting for more than the reminder days and not yet recalled. */
typedef struct {
    bool (*is_new)(void *arg, const char *email, const char *id, uint64_t round);
    bool (*is_recalled)(void *arg, const char *email, const char *id, uint64_t round);
    void *arg;
} letters_member_filter_t;

/*  Review's `pending` reply into letters for the day of `at`: per member
 *  with "digest": true, one member_digest of the new files and one
 *  member_reminder of the files waiting for more than
 *  settings->reminder_days days (letter_t.member says whose).  -1 when
 *  memory runs out; a member or a file of the wrong shape is skipped.
 *  letters_digest_files gives which files of a member a letter named, so
 *  that notify.c marks them once the letter is in the outbox. */
int letters_digest(letters_t *out, const notify_settings_t *settings, const msgpack_object *pending,
                   int64_t at, const letters_member_filter_t *filter);

/*  Whether a file of a member's list belongs in a digest (new) or in a
 *  reminder (old enough, not recalled yet) of the day of `at`. */
bool letters_file_is_due(const letters_member_filter_t *filter, const notify_settings_t *settings,
                         const char *kind, const char *email, const msgpack_object *file, int64_t at);

#endif
