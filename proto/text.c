/*  proto/text.c - see text.h. */
#include "text.h"

#include <string.h>

/*  ASCII for U+00C0..U+00FF, lower case; '\0' where there is none. */
static const char s_latin1[64 + 1] =
    "aaaaaaaceeeeiiii"  /* C0-CF: À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï */
    "dnooooo\0ouuuuyts" /* D0-DF: Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß */
    "aaaaaaaceeeeiiii"  /* E0-EF */
    "dnooooo\0ouuuuyty"; /* F0-FF */

static size_t s_put(char *out, size_t cap, size_t n, const char *bytes, size_t len)
{
    if (n + len + 1 > cap)
        return n;
    memcpy(out + n, bytes, len);
    return n + len;
}


size_t text_fold(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    int space = 1;  /* no leading space */
    for (size_t i = 0; i < len && cap > 0;) {
        unsigned char c = (unsigned char)text[i];
        char ascii[3] = {0};
        size_t used = 1, emit = 1;
        if (c < 0x80) {
            ascii[0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (!((ascii[0] >= 'a' && ascii[0] <= 'z') || (ascii[0] >= '0' && ascii[0] <= '9')))
                ascii[0] = ' ';
        } else if (c == 0xC3 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80
                   && (unsigned char)text[i + 1] <= 0xBF) {
            unsigned char low = (unsigned char)text[i + 1];
            used = 2;
            ascii[0] = s_latin1[low - 0x80];
            if (low == 0x86 || low == 0xA6)
                ascii[1] = 'e', emit = 2;           /* Æ æ -> ae */
            if (!ascii[0])
                ascii[0] = ' ';
        } else if (c == 0xC5 && i + 1 < len && ((unsigned char)text[i + 1] == 0x92
                                               || (unsigned char)text[i + 1] == 0x93)) {
            used = 2, ascii[0] = 'o', ascii[1] = 'e', emit = 2;   /* Œ œ -> oe */
        } else if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80
                   && ((unsigned char)text[i + 2] == 0x99 || (unsigned char)text[i + 2] == 0x93
                       || (unsigned char)text[i + 2] == 0x94)) {
            used = 3, ascii[0] = ' ';               /* ’ – — */
        } else {
            /* Any other character: copied whole. */
            used = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (i + used > len)
                used = len - i;
            size_t before = n;
            n = s_put(out, cap, n, text + i, used);
            space = 0;
            i += used;
            if (n == before)
                break;
            continue;
        }
        i += used;
        if (ascii[0] == ' ') {
            if (!space)
                n = s_put(out, cap, n, " ", 1);
            space = 1;
            continue;
        }
        size_t before = n;
        n = s_put(out, cap, n, ascii, emit);
        space = 0;
        if (n == before)
            break;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    if (cap > 0)
        out[n] = '\0';
    return n;
}
