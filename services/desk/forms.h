/*  services/desk/forms.h - what a browser sends, parsed with limits: an
 *  application/x-www-form-urlencoded body or query, and the session
 *  cookie.  Pure functions (unit-tested). */
#ifndef ESSP_DESK_FORMS_H
#define ESSP_DESK_FORMS_H

#include "site.h"

#include <stddef.h>

/*  Parses "a=1&b=x%20y" into fields (copies, percent- and '+'-decoded),
 *  at most cap of them, each name and value at most DESK_FIELD_MAX bytes
 *  and valid UTF-8 without NUL.  Returns the count, or -1 when the text
 *  breaks a limit (the fields parsed so far are kept: free them). */
int forms_parse(const char *text, size_t len, desk_field_t *fields, size_t cap);
void forms_free(desk_field_t *fields, size_t count);

/*  The value of the cookie `name` in a Cookie header into out (cap
 *  bytes): 0, or -1 when absent or longer than cap - 1. */
int forms_cookie(const char *header, const char *name, char *out, size_t cap);

/*  True when a and b are the same token (constant time). */
bool forms_token_eq(const char *a, const char *b);

#endif
