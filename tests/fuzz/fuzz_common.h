/* Helpers shared by the fuzz targets (header only: each target is one
 * translation unit, built both for libFuzzer and for replay_main.c). */
#ifndef ESSP_TESTS_FUZZ_COMMON_H
#define ESSP_TESTS_FUZZ_COMMON_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts, naming the invariant, so that libFuzzer keeps the input. */
#define FUZZ_REQUIRE(condition, what)                                                    \
    do {                                                                                 \
        if (!(condition)) {                                                              \
            fprintf(stderr, "%s: invariant broken: %s\n", FUZZ_NAME, what);              \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* msgpack_object_equal, except that floats compare by their bits (a NaN
 * equals itself) and a float32 never equals a float64. */
static inline bool fuzz_same(const msgpack_object *a, const msgpack_object *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return memcmp(&a->via.f64, &b->via.f64, sizeof a->via.f64) == 0;
    case MSGPACK_OBJECT_STR:
        return a->via.str.size == b->via.str.size
            && (a->via.str.size == 0 || memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size) == 0);
    case MSGPACK_OBJECT_BIN:
        return a->via.bin.size == b->via.bin.size
            && (a->via.bin.size == 0 || memcmp(a->via.bin.ptr, b->via.bin.ptr, a->via.bin.size) == 0);
    case MSGPACK_OBJECT_ARRAY:
        if (a->via.array.size != b->via.array.size)
            return false;
        for (uint32_t i = 0; i < a->via.array.size; i++)
            if (!fuzz_same(&a->via.array.ptr[i], &b->via.array.ptr[i]))
                return false;
        return true;
    case MSGPACK_OBJECT_MAP:
        if (a->via.map.size != b->via.map.size)
            return false;
        for (uint32_t i = 0; i < a->via.map.size; i++)
            if (!fuzz_same(&a->via.map.ptr[i].key, &b->via.map.ptr[i].key)
                || !fuzz_same(&a->via.map.ptr[i].val, &b->via.map.ptr[i].val))
                return false;
        return true;
    default:
        return msgpack_object_equal(*a, *b);
    }
}

#endif
