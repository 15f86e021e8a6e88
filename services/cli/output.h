/*  services/cli/output.h - what essp prints and what it reads from files.
 *
 *  Replies are shown as JSON, one object per line; the envelope fields
 *  (v, rid, type) are left out.  Files are JSON, at most OUTPUT_FILE_MAX
 *  bytes, packed as msgpack for the wire.
 */
#ifndef ESSP_CLI_OUTPUT_H
#define ESSP_CLI_OUTPUT_H

#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>

#define OUTPUT_FILE_MAX (1u << 20)

/*  Beside every instant in unix seconds ("at", "*_at", "expires", at any
 *  depth), the same instant in ISO 8601 with the Paris offset under the
 *  name + "_iso": the protocol's raw field stays, a reader gets a date.
 *  Every reply essp prints goes through it. */
void output_add_iso(json_t *json);

/*  A msgpack map as one line of JSON, without the envelope fields (and
 *  with output_add_iso's dates). */
void output_object(const msgpack_object *obj, FILE *out);

/*  Each item of a msgpack array as one line of JSON. */
void output_each(const msgpack_object *array, FILE *out);

/*  A JSON string (quoted, escaped), or null for NULL. */
void output_json_string(const char *text, FILE *out);

/*  {"<k1>": v1, "<k2>": v2} on one line. */
void output_pair(const char *k1, const char *v1, const char *k2, const char *v2, FILE *out);

/*  Reads the JSON file at path ("-": standard input) and packs it as
 *  msgpack into out.  Returns EXIT_OK, or EXIT_REFUSED after saying why
 *  on err. */
int output_read_json(const char *path, msgpack_sbuffer *out, FILE *err);

#endif
