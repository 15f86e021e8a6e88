/*  proto/text.h - French text folded for sorting and searching.
 *
 *  "École" and "ecole", "COOPÉRATIVE" and "coopérative" fold to the same
 *  bytes: lower case, accents removed (À..ÿ, Œ, Æ, typographic apostrophe),
 *  runs of spaces and punctuation made one space.  Other characters are
 *  kept as they are, so nothing is lost, only compared loosely.
 */
#ifndef ESSP_PROTO_TEXT_H
#define ESSP_PROTO_TEXT_H

#include <stddef.h>

/*  Folds text[0..len) into out (NUL-terminated, truncated at cap-1 bytes
 *  on a character boundary); returns the folded length. */
size_t text_fold(const char *text, size_t len, char *out, size_t cap);

#endif
