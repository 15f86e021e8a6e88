/*  services/desk/people_page.h - « Personnes »: the committee and the
 *  staff, as the CRESS staff run them day to day.
 *
 *  The committee comes from review's `member_list` (name, college, ties by
 *  SIREN, networks, date added: proto/README.md 5.4); the accounts of the
 *  desk (e-mail, invited or active) from the desk's own `account_list`.
 *  A person is added with one form (name, e-mail, role, college chosen
 *  from a list, ties and networks one per line); each row carries its own
 *  buttons (resend the invitation, new keys, remove), so a name is never
 *  typed to act on someone.  Removal asks to confirm on a page of its own.
 */
#ifndef ESSP_DESK_PEOPLE_PAGE_H
#define ESSP_DESK_PEOPLE_PAGE_H

#include <msgpack.h>
#include <stddef.h>
#include <stdio.h>

#define PEOPLE_LINES_MAX 50      /* ties or networks of one member (member_add's limit) */

/*  What was typed in the add form, given back after a refusal. */
typedef struct {
    const char *name, *email, *role, *college, *ties, *networks;
} people_form_t;

typedef struct {
    const msgpack_object *members;    /* review's `members` reply, or NULL when it did not answer */
    const msgpack_object *accounts;   /* the desk's accounts: array of {email, name, role, state}, or NULL */
    const char *csrf;
    const char *notice;               /* what the last action did, or NULL */
    const char *error;                /* a refusal in French, or NULL */
    const people_form_t *form;        /* the add form's values, or NULL */
    const char *invitation;           /* an invitation link to show once, or NULL */
} people_view_t;

/*  Splits a text into its non-blank lines, trimmed, in place: up to cap
 *  pointers into text.  Returns how many, or -1 when there are more than
 *  cap. */
int people_split_lines(char *text, const char **lines, size_t cap);

void people_page_render(FILE *out, const people_view_t *view);

/*  The page that asks to confirm a removal. */
void people_page_confirm_remove(FILE *out, const char *name, const char *csrf);

#endif
