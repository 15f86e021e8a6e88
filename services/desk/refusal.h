/*  services/desk/refusal.h - a service's refusal, said in French to the
 *  person who clicked, with what to do.
 *
 *  review and intake answer an `error` reply whose `code`, `field` and
 *  `rule` are stable machine words and whose `message` is English
 *  (proto/README.md 4.4).  The desk never shows that message: it writes
 *  its own sentence from the three words, naming the field as the page
 *  names it and the next step.  An unknown triple still gets a sentence
 *  that says nothing was changed and what to check.
 */
#ifndef ESSP_DESK_REFUSAL_H
#define ESSP_DESK_REFUSAL_H

#include <msgpack.h>
#include <stddef.h>

/*  The French sentence for an error reply `error` (the decoded map)
 *  answered to a request of type `request` ("vote", "member_add"…),
 *  written into buf (NUL-terminated, cut to cap).  Returns buf. */
const char *refusal_text(const char *request, const msgpack_object *error, char *buf, size_t cap);

/*  The same from the three words (tests and callers that have them). */
const char *refusal_words(const char *request, const char *code, const char *field, const char *rule,
                          char *buf, size_t cap);

/*  The HTTP status a page answers with for that refusal: 403 for
 *  `forbidden`, 404 for `not_found`, 409 for `conflict`, 503 for
 *  `internal`, 422 otherwise. */
int refusal_status(const msgpack_object *error);

#endif
