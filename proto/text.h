/*  proto/text.h - French text folded for sorting and searching.
 *
 *  "École" and "ecole", "COOPÉRATIVE" and "coopérative" fold to the same
 *  bytes.  The folding, character by character (Unicode code points):
 *
 *    A-Z                    lower case; a-z and 0-9 kept
 *    any other ASCII        a space (punctuation, ' and -, controls)
 *    U+00A0..U+00BF         a space (no-break space, « », ¿, ° ...)
 *    U+00C0..U+017F         the letter without its accent, lower case
 *                           (À -> a, Ç -> c, Ł -> l, Ÿ -> y, ß -> s,
 *                           Þ -> t, Ð -> d); Æ æ -> ae, Œ œ -> oe,
 *                           Ĳ ĳ -> ij; × and ÷ -> a space
 *    U+2000..U+206F         a space (General Punctuation: typographic
 *                           spaces, hyphens and dashes ‐ – —, quotes
 *                           and apostrophes ‘ ’, ellipsis)
 *    anything else          kept as it is (so nothing is lost, only
 *                           compared loosely)
 *
 *  then every run of spaces becomes one space, none at either end.
 *  Invalid UTF-8 is kept byte for byte.  essp-mirror's search script
 *  folds with a table generated from this function at build time
 *  (services/mirror/contrat_js.c), and tests/fold (ctest fold.c_and_js)
 *  compares the two under node.
 */
#ifndef ESSP_PROTO_TEXT_H
#define ESSP_PROTO_TEXT_H

#include <stddef.h>

/*  Folds text[0..len) into out (NUL-terminated, truncated at cap-1 bytes
 *  on a character boundary); returns the folded length. */
size_t text_fold(const char *text, size_t len, char *out, size_t cap);

#endif
