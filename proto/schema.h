/*  proto/schema.h - the application schema, enforced on msgpack objects.
 *
 *  proto/application.schema.json is the one definition of an application:
 *  its fields, their types, their limits and which of them are published.
 *  This module compiles that JSON Schema (2020-12) once into a tree of C
 *  structs, with every regex compiled up front, and checks decoded messages
 *  against it.  Only the keywords the schema uses are supported, and an
 *  unknown keyword is a compile error: nobody can add a rule to the schema
 *  that the C code would silently skip.
 *
 *  Supported keywords
 *    type                  "object" "array" "string" "integer" "number"
 *                          "boolean" "null", or an array of them
 *    properties, required, additionalProperties (false or true; absent is
 *                          true)
 *    items (a schema), minItems, maxItems, uniqueItems
 *    minLength, maxLength  counted in Unicode code points
 *    pattern               POSIX ERE (regcomp REG_EXTENDED|REG_NOSUB); like
 *                          JSON Schema it is not anchored implicitly.  A
 *                          string that contains a NUL byte never matches.
 *    enum                  strings only
 *    format                "date" only (YYYY-MM-DD, a real calendar date)
 *    minimum, maximum      integers
 *    x-public              true marks a property as publishable
 *    x-change              "minor" or "substantive": what a change of the
 *                          field means for a published listing
 *                          (proto/schema_change.h)
 *    x-multiline           true: the text may hold line breaks (\n, \r)
 *    description, title, $schema, $id   documentation, not checked
 *
 *  Control characters
 *    Every string of a document, whatever its schema, is refused with rule
 *    "control" when it holds NUL, a C0 control character other than tab
 *    (line feed and carriage return are allowed under x-multiline only) or
 *    DEL: they have no place in a name or an address, and XML 1.0 (the
 *    public Atom feed) forbids most of them.  The check comes before the
 *    string's other keywords.
 *
 *  Deliberate differences from JSON Schema
 *    - "integer" means a MessagePack integer: a float such as 3.0 is a
 *      number, not an integer, so every value that passes reads through
 *      doc_int (proto/doc.h).
 *    - uniqueItems compares maps key by key in their stored order.
 *
 *  schema_validate expects a document from wire_decode or
 *  json_codec_to_msgpack (valid UTF-8, nesting within WIRE_DEPTH_MAX).
 */
#ifndef ESSP_PROTO_SCHEMA_H
#define ESSP_PROTO_SCHEMA_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto/error.h"

typedef struct schema_t schema_t;

/*  Compiles a schema from JSON text (len bytes, no terminator needed).
 *  NULL on error, with err->field the schema path of the offending node
 *  ("organisation.siret", "references[].year"), err->rule "json_syntax",
 *  "unknown_keyword" or "schema" (a keyword with a value we cannot use). */
schema_t *schema_new(const char *json_text, size_t len, proto_error_t *err);

/*  Frees the schema and sets *self_p to NULL; NULL and *NULL are fine. */
void schema_destroy(schema_t **self_p);

/*  proto/application.schema.json as it was compiled in (generated from the
 *  file by proto/CMakeLists.txt), NUL-terminated: for a program that reads
 *  the schema's annotations (titles, help, x-public) itself. */
extern const unsigned char application_schema_text[];
extern const size_t application_schema_size;

/*  The compiled application schema, built on first call (thread-safe) from
 *  the text embedded at build time.  Aborts if the embedded schema does not
 *  compile: that is a build defect, not an input error.  Never freed. */
const schema_t *schema_application(void);

/*  Checks doc against the schema.  Returns 0, or -1 with the first
 *  violation in document order: the children of an object are checked in
 *  the order they appear, and its missing required properties after them.
 *  err->field is the dotted path ("organisation.siret", "references[2].year",
 *  "offer.themes[0]"; "" for the whole document), err->rule is the JSON
 *  Schema keyword broken ("type", "required", "additionalProperties",
 *  "minLength", "maxLength", "pattern", "enum", "format", "minItems",
 *  "maxItems", "uniqueItems", "minimum", "maximum"), or "control" (see
 *  above), err->message a sentence
 *  naming the limit ("organisation.name: at most 200 characters, got 250"). */
int schema_validate(const schema_t *self, const msgpack_object *doc, proto_error_t *err);

/*  Packs the public projection of doc, which must already be valid: a
 *  property is kept when it is marked "x-public": true or when one of its
 *  declared descendants is.  Inside a kept object only such properties
 *  remain (undeclared keys are dropped); the items of an array whose item
 *  schema declares properties (itself, or its own items, through any
 *  number of nested arrays) are projected the same way; any other kept
 *  value is copied whole when its property is marked, replaced by nil when
 *  not (so nothing unmarked is ever published).  Keys stay in document
 *  order.  Returns 0, or -1 when doc does not have the declared shape or
 *  the packer fails. */
int schema_pack_public(const schema_t *self, const msgpack_object *doc, msgpack_packer *pk);

/*  Calls fn for every declared property, parents before children, in
 *  schema order: path is dotted with "[]" for array items
 *  ("organisation.esus.granted", "references[].year"), is_public its own
 *  x-public flag, type its JSON type name ("string", "string|null", "any"
 *  when untyped), description its description ("" when absent).  Used to
 *  generate documentation and to test which fields are public. */
void schema_foreach_field(const schema_t *self,
                          void (*fn)(const char *path, bool is_public, const char *type,
                                     const char *description, void *arg),
                          void *arg);

#endif
