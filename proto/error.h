/*  proto/error.h - the error every decoder and checker reports.
 *
 *  A refusal always names the field (a dotted path such as
 *  "organisation.siret" or "references[2].year", empty for the whole
 *  message) and the rule that was broken (a stable machine word such as
 *  "type", "required", "maxLength"), plus a sentence for humans.  These three
 *  travel unchanged to the client in an error message (see proto/README.md).
 */
#ifndef ESSP_PROTO_ERROR_H
#define ESSP_PROTO_ERROR_H

#include <stddef.h>

#define PROTO_FIELD_MAX   128
#define PROTO_RULE_MAX    48
#define PROTO_MESSAGE_MAX 256

typedef struct {
    char field[PROTO_FIELD_MAX];
    char rule[PROTO_RULE_MAX];
    char message[PROTO_MESSAGE_MAX];
} proto_error_t;

/*  Fills err (when not NULL) and returns -1, so a checker can write
 *  `return proto_error_set(err, "siret", "pattern", "...");`. */
int proto_error_set(proto_error_t *err, const char *field, const char *rule,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*  The longest prefix of text[0..len) of at most max bytes that does not
 *  cut a UTF-8 sequence in two: quote user input in a message with
 *  "%.*s", (int)proto_utf8_prefix(text, len, 40), text. */
size_t proto_utf8_prefix(const char *text, size_t len, size_t max);

/*  Drops a partial UTF-8 sequence at the end of the NUL-terminated text:
 *  snprintf and vsnprintf cut by bytes and may leave half an "é" behind,
 *  which a client decoding UTF-8 would refuse.  Call it on a buffer they
 *  may have truncated; a text that ends on a whole character is left as is. */
void proto_utf8_trim(char *text);

/*  Clears err to "no error". */
void proto_error_clear(proto_error_t *err);

#endif
