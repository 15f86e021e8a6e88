/*  proto/schema_check.c - see schema.h: schema_validate.
 *
 *  Validation walks the document and the compiled tree (schema_node.h)
 *  together, so its recursion follows the schema (a few levels), never the
 *  input.
 */
#include "schema.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/date.h"
#include "proto/path.h"
#include "proto/schema_node.h"

/*  Below this size a string under a pattern is copied on the stack. */
#define SCHEMA_PATTERN_STACK 256

/*  ----------------------------------------------------------------------
 *  Validation
 */

typedef struct {
    proto_path_t path;          /* path of the value being checked */
    proto_error_t *err;
} schema_checker_t;

static int s_violation(schema_checker_t *self, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*  Reports "path: sentence", the document itself being "document". */
static int s_violation(schema_checker_t *self, const char *rule, const char *fmt, ...)
{
    char sentence[768];
    va_list args;
    va_start(args, fmt);
    vsnprintf(sentence, sizeof sentence, fmt, args);
    va_end(args);
    return schema_fail(self->err, self->path.text, rule, "%s: %s",
                  self->path.len ? self->path.text : "document", sentence);
}

static unsigned s_type_of(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:              return SCHEMA_NULL;
    case MSGPACK_OBJECT_BOOLEAN:          return SCHEMA_BOOLEAN;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return SCHEMA_INTEGER | SCHEMA_NUMBER;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:          return SCHEMA_NUMBER;
    case MSGPACK_OBJECT_STR:              return SCHEMA_STRING;
    case MSGPACK_OBJECT_ARRAY:            return SCHEMA_ARRAY;
    case MSGPACK_OBJECT_MAP:              return SCHEMA_OBJECT;
    default:                              return 0;
    }
}

static const char *s_type_name(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:              return "null";
    case MSGPACK_OBJECT_BOOLEAN:          return "boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:          return "number";
    case MSGPACK_OBJECT_STR:              return "string";
    case MSGPACK_OBJECT_ARRAY:            return "array";
    case MSGPACK_OBJECT_MAP:              return "object";
    case MSGPACK_OBJECT_BIN:              return "binary";
    default:                              return "ext";
    }
}

static int s_check(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj);

static bool s_map_has(const msgpack_object *map, const char *name)
{
    size_t len = strlen(name);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *key = &map->via.map.ptr[i].key;
        if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == len
            && memcmp(schema_bytes(key->via.str.ptr), name, len) == 0)
            return true;
    }
    return false;
}

static size_t s_push_key(proto_path_t *path, const msgpack_object *key)
{
    if (key->type == MSGPACK_OBJECT_STR)
        return proto_path_push_key(path, schema_bytes(key->via.str.ptr), key->via.str.size);
    return proto_path_push_key(path, "?", 1);
}

static int s_check_object(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        const schema_node_t *child = schema_node_property(node, &kv->key);
        if (!child && !node->closed)
            continue;
        size_t mark = s_push_key(&self->path, &kv->key);
        if (!child)
            return s_violation(self, "additionalProperties", "unknown property");
        if (s_check(self, child, &kv->val))
            return -1;
        proto_path_pop(&self->path, mark);
    }
    for (size_t r = 0; r < node->nrequired; r++) {
        if (s_map_has(obj, node->required[r]))
            continue;
        proto_path_push_key(&self->path, node->required[r], strlen(node->required[r]));
        return s_violation(self, "required", "is required");
    }
    return 0;
}

static int s_cmp_object(const msgpack_object *x, const msgpack_object *y, int depth);

/*  Rank of a type in the total order used to sort items. */
static int s_type_rank(const msgpack_object *obj)
{
    unsigned type = s_type_of(obj);
    return type & SCHEMA_NUMBER ? SCHEMA_NUMBER : type ? (int) type : 100 + (int) obj->type;
}

static long double s_number(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return (long double) obj->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (long double) obj->via.i64;
    default:                              return (long double) obj->via.f64;
    }
}

/*  Numbers compare by value (1 equals 1.0, as in JSON Schema); NaN sorts
 *  last and equals NaN, so the order stays total. */
static int s_cmp_number(const msgpack_object *x, const msgpack_object *y)
{
    long double a = s_number(x), b = s_number(y);
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return a < b ? -1 : a > b;
}

static int s_cmp_bytes(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
    int diff = memcmp(a, b, alen < blen ? alen : blen);
    return diff ? diff : alen < blen ? -1 : alen > blen;
}

static int s_cmp_array(const msgpack_object_array *x, const msgpack_object_array *y, int depth)
{
    for (uint32_t i = 0; i < x->size && i < y->size; i++) {
        int diff = s_cmp_object(&x->ptr[i], &y->ptr[i], depth + 1);
        if (diff)
            return diff;
    }
    return x->size < y->size ? -1 : x->size > y->size;
}

static int s_cmp_map(const msgpack_object_map *x, const msgpack_object_map *y, int depth)
{
    for (uint32_t i = 0; i < x->size && i < y->size; i++) {
        int diff = s_cmp_object(&x->ptr[i].key, &y->ptr[i].key, depth + 1);
        if (!diff)
            diff = s_cmp_object(&x->ptr[i].val, &y->ptr[i].val, depth + 1);
        if (diff)
            return diff;
    }
    return x->size < y->size ? -1 : x->size > y->size;
}

/*  A total order on values, for uniqueItems.  Nesting beyond what
 *  wire_prescan allows compares equal rather than recursing further. */
static int s_cmp_object(const msgpack_object *x, const msgpack_object *y, int depth)
{
    int rx = s_type_rank(x), ry = s_type_rank(y);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (depth > 2 * 32)
        return 0;
    switch (x->type) {
    case MSGPACK_OBJECT_BOOLEAN:  return (int) x->via.boolean - (int) y->via.boolean;
    case MSGPACK_OBJECT_STR:      return s_cmp_bytes(schema_bytes(x->via.str.ptr), x->via.str.size, schema_bytes(y->via.str.ptr), y->via.str.size);
    case MSGPACK_OBJECT_BIN:      return s_cmp_bytes(schema_bytes(x->via.bin.ptr), x->via.bin.size, schema_bytes(y->via.bin.ptr), y->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:    return s_cmp_array(&x->via.array, &y->via.array, depth);
    case MSGPACK_OBJECT_MAP:      return s_cmp_map(&x->via.map, &y->via.map, depth);
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_EXT:      return 0;
    default:                      return s_cmp_number(x, y);
    }
}

/*  qsort order for pointers to items: by value, then by position, so the
 *  first of equal items comes first. */
static int s_cmp_item(const void *a, const void *b)
{
    const msgpack_object *x = *(const msgpack_object *const *) a;
    const msgpack_object *y = *(const msgpack_object *const *) b;
    int diff = s_cmp_object(x, y, 0);
    return diff ? diff : x < y ? -1 : x > y;
}

/*  Index of the earliest item equal to an earlier one, or -1.  Sorting
 *  keeps this O(n log n) on hostile arrays. */
static int64_t s_first_duplicate(const msgpack_object_array *array, bool *nomem)
{
    *nomem = false;
    if (array->size < 2)
        return -1;
    const msgpack_object **sorted = malloc(array->size * sizeof *sorted);
    if (!sorted) {
        *nomem = true;
        return -1;
    }
    for (uint32_t i = 0; i < array->size; i++)
        sorted[i] = &array->ptr[i];
    qsort(sorted, array->size, sizeof *sorted, s_cmp_item);
    int64_t first = -1;
    for (uint32_t i = 1; i < array->size; i++) {
        int64_t index = sorted[i] - array->ptr;
        if (s_cmp_object(sorted[i - 1], sorted[i], 0) == 0 && (first < 0 || index < first))
            first = index;
    }
    free(sorted);
    return first;
}

static int s_check_unique(schema_checker_t *self, const msgpack_object_array *array)
{
    bool nomem;
    int64_t dup = s_first_duplicate(array, &nomem);
    if (nomem)
        return s_violation(self, "uniqueItems", "could not be checked (out of memory)");
    if (dup < 0)
        return 0;
    proto_path_push_index(&self->path, (size_t) dup);
    return s_violation(self, "uniqueItems", "repeats an earlier item");
}

static int s_check_array(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    int64_t count = obj->via.array.size;
    if (node->max_items >= 0 && count > node->max_items)
        return s_violation(self, "maxItems", "at most %lld items, got %lld",
                           (long long) node->max_items, (long long) count);
    if (node->min_items >= 0 && count < node->min_items)
        return s_violation(self, "minItems", "at least %lld item%s, got %lld",
                           (long long) node->min_items, node->min_items == 1 ? "" : "s", (long long) count);
    for (uint32_t i = 0; node->items && i < obj->via.array.size; i++) {
        size_t mark = proto_path_push_index(&self->path, i);
        if (s_check(self, node->items, &obj->via.array.ptr[i]))
            return -1;
        proto_path_pop(&self->path, mark);
    }
    return node->unique_items ? s_check_unique(self, &obj->via.array) : 0;
}

/*  Code points in a UTF-8 text: every byte that is not a continuation. */
static int64_t s_code_points(const char *text, uint32_t len)
{
    int64_t count = 0;
    for (uint32_t i = 0; i < len; i++)
        count += ((unsigned char) text[i] & 0xC0) != 0x80;
    return count;
}

/*  regexec needs a terminated copy; a NUL inside never matches, since the
 *  regex would only see the text before it (s_check_control has refused
 *  it already; this stays true without it). */
static int s_check_pattern(schema_checker_t *self, const schema_node_t *node, const char *text, uint32_t len)
{
    if (memchr(text, 0, len))
        return s_violation(self, "pattern", "must not contain a NUL character");
    char stack[SCHEMA_PATTERN_STACK];
    char *copy = len < sizeof stack ? stack : malloc((size_t) len + 1);
    if (!copy)
        return s_violation(self, "pattern", "could not be checked (out of memory)");
    memcpy(copy, text, len);
    copy[len] = 0;
    int rc = regexec(&node->pattern, copy, 0, NULL, 0);
    if (copy != stack)
        free(copy);
    if (rc != 0)
        return s_violation(self, "pattern", "does not match the pattern %s", node->pattern_text);
    return 0;
}

static int s_check_enum(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    for (size_t i = 0; obj->type == MSGPACK_OBJECT_STR && i < node->nenums; i++)
        if (strlen(node->enums[i]) == obj->via.str.size
            && memcmp(node->enums[i], schema_bytes(obj->via.str.ptr), obj->via.str.size) == 0)
            return 0;
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < node->nenums && used < sizeof list; i++)
        used += (size_t) snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", node->enums[i]);
    return s_violation(self, "enum", "must be one of: %s", list);
}

/*  A byte no text may hold: NUL and the C0 controls but tab, line breaks
 *  outside a multi-line text, and DEL.  They are invisible to the people
 *  who read a listing, and XML 1.0 (the public Atom feed) forbids most. */
static bool s_forbidden(unsigned char byte, bool multiline)
{
    if (byte == '\t')
        return false;
    if (byte == '\n' || byte == '\r')
        return !multiline;
    return byte < 0x20 || byte == 0x7F;
}

static int s_check_control(schema_checker_t *self, const schema_node_t *node, const char *text, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        unsigned char byte = (unsigned char) text[i];
        if (!s_forbidden(byte, node->multiline))
            continue;
        long long at = (long long) s_code_points(text, i) + 1;
        if (byte == '\n' || byte == '\r')
            return s_violation(self, "control", "must be a single line, got a line break at character %lld", at);
        return s_violation(self, "control", "must not contain the control character U+%04X (character %lld)",
                           byte, at);
    }
    return 0;
}

static int s_check_string(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    const char *text = schema_bytes(obj->via.str.ptr);
    uint32_t len = obj->via.str.size;
    if (s_check_control(self, node, text, len))
        return -1;
    if (node->max_length >= 0 || node->min_length >= 0) {
        int64_t chars = s_code_points(text, len);
        if (node->max_length >= 0 && chars > node->max_length)
            return s_violation(self, "maxLength", "at most %lld characters, got %lld",
                               (long long) node->max_length, (long long) chars);
        if (node->min_length >= 0 && chars < node->min_length)
            return s_violation(self, "minLength", "at least %lld character%s, got %lld",
                               (long long) node->min_length, node->min_length == 1 ? "" : "s",
                               (long long) chars);
    }
    if (node->pattern_text && s_check_pattern(self, node, text, len))
        return -1;
    int32_t days;
    if (node->format_date && date_parse(text, len, &days) != 0)
        return s_violation(self, "format", "must be a real date written YYYY-MM-DD");
    return 0;
}

/*  -1, 0 or 1 as obj is below, equal to or above the integer limit. */
static int s_cmp_limit(const msgpack_object *obj, int64_t limit)
{
    if (obj->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return limit < 0 || obj->via.u64 > (uint64_t) limit ? 1 : obj->via.u64 < (uint64_t) limit ? -1 : 0;
    if (obj->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return obj->via.i64 < limit ? -1 : obj->via.i64 > limit;
    double value = obj->via.f64;
    if (isnan(value))
        return 2;           /* fails both limits */
    return value < (double) limit ? -1 : value > (double) limit;
}

static void s_format_number(const msgpack_object *obj, char *buf, size_t cap)
{
    if (obj->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(buf, cap, "%llu", (unsigned long long) obj->via.u64);
    else if (obj->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        snprintf(buf, cap, "%lld", (long long) obj->via.i64);
    else
        snprintf(buf, cap, "%.17g", obj->via.f64);
}

static int s_check_number(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    char got[40];
    s_format_number(obj, got, sizeof got);
    int below = node->has_minimum ? s_cmp_limit(obj, node->minimum) : 0;
    if (node->has_minimum && (below < 0 || below == 2))
        return s_violation(self, "minimum", "at least %lld, got %s", (long long) node->minimum, got);
    int above = node->has_maximum ? s_cmp_limit(obj, node->maximum) : 0;
    if (node->has_maximum && above > 0)
        return s_violation(self, "maximum", "at most %lld, got %s", (long long) node->maximum, got);
    return 0;
}

static int s_check(schema_checker_t *self, const schema_node_t *node, const msgpack_object *obj)
{
    unsigned type = s_type_of(obj);
    if (node->types && !(node->types & type))
        return s_violation(self, "type", "must be %s, got %s", node->type_name, s_type_name(obj));
    switch (obj->type) {
    case MSGPACK_OBJECT_MAP:
        if (s_check_object(self, node, obj))
            return -1;
        break;
    case MSGPACK_OBJECT_ARRAY:
        if (s_check_array(self, node, obj))
            return -1;
        break;
    case MSGPACK_OBJECT_STR:
        if (s_check_string(self, node, obj))
            return -1;
        break;
    default:
        if ((type & SCHEMA_NUMBER) && s_check_number(self, node, obj))
            return -1;
        break;
    }
    return node->nenums ? s_check_enum(self, node, obj) : 0;
}

int schema_validate(const schema_t *self, const msgpack_object *doc, proto_error_t *err)
{
    assert(self && doc);
    schema_checker_t checker = { .err = err };
    if (s_check(&checker, self->root, doc))
        return -1;
    proto_error_clear(err);
    return 0;
}

