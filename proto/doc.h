/*  proto/doc.h - read access to a decoded MessagePack document.
 *
 *  Messages arrive as a msgpack_object tree (see proto/wire.h for the safe
 *  decoder).  These accessors look fields up by name and type without ever
 *  trusting the input: a missing field or a field of another type reads as
 *  absent (NULL / false / the default), never as a crash.  Strings in a
 *  msgpack_object are not NUL-terminated: doc_str returns pointer + length.
 */
#ifndef ESSP_PROTO_DOC_H
#define ESSP_PROTO_DOC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  The value of `key` in a map, or NULL (also when map is not a map). */
const msgpack_object *doc_get(const msgpack_object *map, const char *key);

/*  Follows a dotted path of map keys: doc_path(app, "organisation.siret"). */
const msgpack_object *doc_path(const msgpack_object *root, const char *path);

/*  The string at `key`: true and (*text, *len) when it is a string. */
bool doc_str(const msgpack_object *map, const char *key, const char **text, size_t *len);

/*  Copies the string at `key` into buf (NUL-terminated, truncated to at
 *  most cap-1 bytes, at the end of the last whole UTF-8 character).
 *  Returns its full length, or -1 when absent or not a string. */
int doc_strcpy(const msgpack_object *map, const char *key, char *buf, size_t cap);

/*  True when the string at `key` equals `expected` exactly. */
bool doc_str_eq(const msgpack_object *map, const char *key, const char *expected);

/*  True when obj is a string equal to `expected`. */
bool doc_is(const msgpack_object *obj, const char *expected);

/*  The boolean at `key`, or `fallback` when absent or not a boolean. */
bool doc_bool(const msgpack_object *map, const char *key, bool fallback);

/*  The integer at `key` (positive or negative fixint/int/uint that fits in
 *  int64): true and *out, else false. */
bool doc_int(const msgpack_object *map, const char *key, int64_t *out);

/*  The unsigned integer at `key`: true and *out, else false. */
bool doc_uint(const msgpack_object *map, const char *key, uint64_t *out);

/*  The array at `key`, or NULL. */
const msgpack_object *doc_array(const msgpack_object *map, const char *key);

/*  The map at `key`, or NULL. */
const msgpack_object *doc_map(const msgpack_object *map, const char *key);

/*  Element count of an array object, 0 for NULL or non-arrays. */
size_t doc_len(const msgpack_object *array);

/*  Element i of an array object (no bounds check beyond doc_len). */
const msgpack_object *doc_at(const msgpack_object *array, size_t i);

/*  True when the array of strings at `key` contains `value`. */
bool doc_array_has(const msgpack_object *map, const char *key, const char *value);

/*  Packs `map` with its pairs whose key is in `skip` (NULL-terminated)
 *  left out, announcing `extra` more pairs that the caller packs next: the
 *  way a stored record is rewritten with some fields changed. */
void doc_pack_map_except(msgpack_packer *pk, const msgpack_object *map, const char *const *skip,
                         size_t extra);

/*  The same in two steps, for a map whose header the caller packs: how
 *  many pairs of `map` are not in `skip`, then those pairs alone. */
size_t doc_count_except(const msgpack_object *map, const char *const *skip);
void doc_pack_pairs_except(msgpack_packer *pk, const msgpack_object *map, const char *const *skip);

#endif
