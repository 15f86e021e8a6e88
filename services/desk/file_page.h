/*  services/desk/file_page.h - « Le dossier »: one file as a committee
 *  member reads it and votes on it.
 *
 *  From review's queue item (proto/README.md 5.4): the application in
 *  French, article by article, with the validation report's criteria under
 *  each article (application_view.h); the conflicts found for this member;
 *  the votes of the current round; the applicant's appeal or the staff's
 *  complaint when the round is one.  From the rounds the desk reads in
 *  review's stream (file_rounds.h): the earlier rounds with their
 *  decisions and motivations, and the file's dates.
 *
 *  The vote is one form: a motivation box and one button per decision the
 *  round allows.  The box is `required` for the browser, and the buttons
 *  of the decisions that need no motivation (approve, reinstate) carry
 *  `formnovalidate`, so the browser asks for a motivation exactly where
 *  review does (services/review/votes.c); the desk checks it again before
 *  sending (file_vote_check), for a browser that does not.  « Me
 *  récuser » is a second form, with its reason.  Both work without
 *  JavaScript and with the keyboard alone.
 */
#ifndef ESSP_DESK_FILE_PAGE_H
#define ESSP_DESK_FILE_PAGE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const msgpack_object *item;       /* the queue item (required) */
    const msgpack_object *rounds;     /* decided rounds, oldest first (file_rounds.h), or NULL */
    const msgpack_object *events;     /* the file's dated events, oldest first (file_rounds.h), or NULL */
    const char *csrf;                 /* the session's CSRF token */
    const char *error;                /* a French sentence to show above the forms, or NULL */
    const char *motivation;           /* the motivation posted, given back after a refusal */
    const char *reason;               /* the recusal reason posted, given back */
} file_view_t;

/*  True when a decision may be voted in a round of this kind (review's
 *  rule: approve, reject, changes in review and appeal rounds; reinstate,
 *  withdraw in complaint rounds). */
bool file_vote_allowed(const char *kind, const char *decision);

/*  True when the decision needs a motivation (all but approve and
 *  reinstate). */
bool file_vote_needs_motivation(const char *decision);

/*  The desk's own check of a vote before it is sent: NULL when it may go,
 *  else the French sentence that says what to do. */
const char *file_vote_check(const char *kind, const char *decision, const char *motivation);

/*  The page body. */
void file_page_render(FILE *out, const file_view_t *view);

/*  The answer to a vote: what was recorded, the count, and the
 *  committee's decision when this vote decided the round (`vote_ack`).
 *  The same vote sent again (`duplicate`) is said to be recorded already,
 *  with the round's decision when there is one, whoever's vote made it. */
void file_page_vote_result(FILE *out, const msgpack_object *ack);

/*  The answer to a recusal (`recused`). */
void file_page_recusal_result(FILE *out, const msgpack_object *recused);

/*  The decided rounds, each with its kind, revision, decision, date,
 *  voters and motivations (shared with the staff's file page). */
void file_page_rounds(FILE *out, const msgpack_object *rounds);

/*  The dated events of a file as a list. */
void file_page_events(FILE *out, const msgpack_object *events);

#endif
