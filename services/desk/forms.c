/*  services/desk/forms.c - see forms.h. */
#include "forms.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int s_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*  Strict UTF-8 (no overlong forms, no surrogates). */
static bool s_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!n || i + n > len || (n == 2 && c < 0xc2) || c > 0xf4)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        if (n == 3 && ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] >= 0xa0)))
            return false;
        if (n == 4 && ((c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] >= 0x90)))
            return false;
        i += n;
    }
    return true;
}

/*  Decodes text[0..len) into a new string; NULL when it breaks a rule. */
static char *s_decode(const char *text, size_t len)
{
    if (len > 3 * DESK_FIELD_MAX)
        return NULL;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '+')
            c = ' ';
        else if (c == '%') {
            if (i + 2 >= len) {
                free(out);
                return NULL;
            }
            int h = s_hex(text[i + 1]), l = s_hex(text[i + 2]);
            if (h < 0 || l < 0) {
                free(out);
                return NULL;
            }
            c = (char)(h << 4 | l);
            i += 2;
        }
        if (c == '\0') {
            free(out);
            return NULL;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    if (n > DESK_FIELD_MAX || !s_utf8((const unsigned char *)out, n)) {
        free(out);
        return NULL;
    }
    return out;
}

int forms_parse(const char *text, size_t len, desk_field_t *fields, size_t cap)
{
    size_t count = 0, start = 0;
    while (start < len) {
        const char *amp = memchr(text + start, '&', len - start);
        size_t end = amp ? (size_t)(amp - text) : len;
        if (end > start) {
            if (count == cap)
                return -1;
            const char *eq = memchr(text + start, '=', end - start);
            size_t name_end = eq ? (size_t)(eq - text) : end;
            char *name = s_decode(text + start, name_end - start);
            char *value = s_decode(eq ? eq + 1 : text + end, eq ? end - name_end - 1 : 0);
            if (!name || !value) {
                free(name);
                free(value);
                return -1;
            }
            fields[count].name = name;
            fields[count].value = value;
            count++;
        }
        start = end + 1;
    }
    return (int)count;
}

void forms_free(desk_field_t *fields, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (fields[i].value)
            sodium_memzero(fields[i].value, strlen(fields[i].value));   /* passwords */
        free(fields[i].name);
        free(fields[i].value);
        fields[i].name = fields[i].value = NULL;
    }
}

int forms_cookie(const char *header, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > name_len && !strncmp(p, name, name_len) && p[name_len] == '=') {
            size_t vlen = len - name_len - 1;
            while (vlen && p[name_len + 1 + vlen - 1] == ' ')
                vlen--;
            if (vlen + 1 > cap)
                return -1;
            memcpy(out, p + name_len + 1, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = end;
    }
    return -1;
}

bool forms_token_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la == lb && la > 0 && sodium_memcmp(a, b, la) == 0;
}
