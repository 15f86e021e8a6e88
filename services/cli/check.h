/*  services/cli/check.h - the charter run offline on an application file
 *  (essp check), callable in-process.
 */
#ifndef ESSP_CLI_CHECK_H
#define ESSP_CLI_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*  Reads the application at path ("-": standard input), checks it against
 *  the schema, then runs the charter as of `today` (days since 1970-01-01,
 *  UTC) and writes the report on out: one line of JSON, or the text for
 *  people when `text`.  Returns EXIT_OK when the verdict is not
 *  "incomplete", EXIT_REFUSED when it is or when the file is refused
 *  (said on err: the field and the rule). */
int check_file(const char *path, int32_t today, bool text, FILE *out, FILE *err);

#endif
