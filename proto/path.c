/*  proto/path.c - see path.h. */
#include "path.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/*  Bytes in the UTF-8 sequence that starts with c (1 for a stray byte). */
static size_t s_utf8_seq_len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

size_t proto_path_push(proto_path_t *path, const char *text, size_t len)
{
    size_t mark = path->len;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char) text[i];
        size_t n = s_utf8_seq_len(c);
        if (n > len - i || path->len + n >= PROTO_PATH_MAX)
            break;
        if (c < 0x20 || c == 0x7F)
            path->text[path->len] = '?';
        else
            memcpy(path->text + path->len, text + i, n);
        path->len += n;
        i += n;
    }
    path->text[path->len] = 0;
    return mark;
}

size_t proto_path_push_key(proto_path_t *path, const char *key, size_t len)
{
    size_t mark = path->len;
    if (mark > 0)
        proto_path_push(path, ".", 1);
    proto_path_push(path, key, len);
    return mark;
}

size_t proto_path_push_index(proto_path_t *path, size_t index)
{
    char text[24];
    int len = snprintf(text, sizeof text, "[%zu]", index);
    return proto_path_push(path, text, (size_t) len);
}

void proto_path_pop(proto_path_t *path, size_t mark)
{
    assert(mark <= path->len);
    path->len = mark;
    path->text[mark] = 0;
}

void proto_path_clear(proto_path_t *path)
{
    path->len = 0;
    path->text[0] = 0;
}
