/*  services/notify/message.h - an e-mail as the SMTP server receives it
 *  (RFC 5322 and MIME), composed from trusted and untrusted parts.
 *
 *  Pure: the date is given, the boundary is derived from the bodies.  The
 *  result is multipart/alternative (text/plain then text/html, both UTF-8
 *  in quoted-printable, lines of at most 76 characters), CRLF line ends
 *  everywhere.  Applicant-provided text can reach a header only as an
 *  RFC 2047 encoded-word (the recipient's name, the subject): an encoded
 *  word holds no CR, LF or space, so no header can be injected.  The
 *  recipient's address itself is refused unless message_address_check
 *  accepts it.
 */
#ifndef ESSP_NOTIFY_MESSAGE_H
#define ESSP_NOTIFY_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t date;                  /* unix seconds: the Date header */
    const char *message_id;        /* without <>, checked by message_id_check */
    const char *from;              /* the sender's address (settings, trusted) */
    const char *to;                /* the recipient's address (message_address_check) */
    const char *to_name;           /* the recipient's name, any UTF-8, or NULL */
    const char *subject;           /* UTF-8; control characters become spaces */
    const char *text;              /* the plain text part, UTF-8, LF or CRLF lines */
    const char *html;              /* the HTML part */
    const char *list_unsubscribe;  /* an https/http URL for List-Unsubscribe, or NULL */
} message_t;

/*  Composes the message into a malloc'd buffer (*out, *len; free it).
 *  0, or -1 when an address or the Message-ID is refused (nothing
 *  allocated) or memory runs out. */
int message_compose(const message_t *message, char **out, size_t *len);

/*  Whether `address` may be a recipient or the sender: the rule of
 *  id_mail_address_check (proto/identifiers.h), which the schema's e-mail
 *  patterns and review's check of members' addresses also hold, so that
 *  no address taken upstream is refused here.  On refusal *reason (may be
 *  NULL) is a French sentence for staff. */
bool message_address_check(const char *address, const char **reason);

/*  Message-IDs are made, never taken from input; still checked (dot-atom
 *  text @ dot-atom text). */
bool message_id_check(const char *id);

/*  The domain of an address (what follows its last '@'), or "essp.invalid"
 *  when it has none. */
const char *message_address_domain(const char *address);

/*  16 lower-case hex digits of a hash of the address, lower-cased first
 *  (BLAKE2b): the recipient's part of a Message-ID. */
void message_address_hash16(const char *address, char out[17]);

/*  "<stream>.<seq>.<at>.<hash16 of recipient>@<domain>" into out: the
 *  same letter of an event applied again has the same id, and a letter of
 *  another event gets another one.  The event's time is in it because a
 *  seq alone names two events after a restore: intake restored from a
 *  backup numbers its next events as the lost ones were, and a mailbox
 *  that drops a Message-ID it has already seen (Gmail does) would drop
 *  the receipt of the new application, with its tracking link. */
void message_id_make(char *out, size_t cap, const char *stream, uint64_t seq, int64_t at, const char *recipient,
                     const char *domain);

/*  RFC 5322 date, UTC: "Sun, 06 Dec 2026 04:30:29 +0000". */
void message_date(int64_t t, char out[40]);

/*  The French date of a day: "6 décembre 2027" (UTC). */
void message_date_fr(int64_t t, char *out, size_t cap);

#endif
