/*  proto/text.c - see text.h. */
#include "text.h"

#include <stdint.h>
#include <string.h>

/*  ASCII for U+00C0..U+017F, lower case; ' ' for a sign (× ÷); '2'
 *  where two letters stand for one (Æ æ Ĳ ĳ Œ œ: s_pair). */
static const char s_latin[192 + 1] =
    "aaaaaa2ceeeeiiii"  /* C0-CF: À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï */
    "dnooooo ouuuuyts"  /* D0-DF: Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß */
    "aaaaaa2ceeeeiiii"  /* E0-EF */
    "dnooooo ouuuuyty"  /* F0-FF */
    "aaaaaaccccccccdd"  /* 100-10F: Ā ā Ă ă Ą ą Ć ... Ď ď */
    "ddeeeeeeeeeegggg"  /* 110-11F */
    "gggghhhhiiiiiiii"  /* 120-12F */
    "ii22jjkkklllllll"  /* 130-13F: İ ı Ĳ ĳ Ĵ ĵ Ķ ķ ĸ Ĺ ... */
    "lllnnnnnnnnnoooo"  /* 140-14F: ŀ Ł ł Ń ... */
    "oo22rrrrrrssssss"  /* 150-15F: Ő ő Œ œ Ŕ ... */
    "ssttttttuuuuuuuu"  /* 160-16F: Š š Ţ ... */
    "uuuuwwyyyzzzzzzs"; /* 170-17F: ... Ŷ ŷ Ÿ Ź ź Ż ż Ž ž ſ */

static const char *s_pair(uint32_t cp)
{
    switch (cp) {
    case 0xC6: case 0xE6:   return "ae";
    case 0x132: case 0x133: return "ij";
    default:                return "oe";   /* 0x152, 0x153 */
    }
}

/*  The code point at text[0..len) and its length in bytes; 0 bytes when
 *  the sequence is not valid UTF-8 (then the caller copies a byte). */
static size_t s_decode(const unsigned char *text, size_t len, uint32_t *cp)
{
    unsigned char c = text[0];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t value = n == 1 ? c : c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((text[i] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (text[i] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < least[n] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *cp = value;
    return n;
}

/*  What cp folds to: its ASCII (one or two letters), " " for a space, or
 *  NULL when it is kept as it is. */
static const char *s_fold_one(uint32_t cp, char one[2])
{
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z')
            cp += 32;
        one[0] = (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ? (char)cp : ' ';
        return one;
    }
    if ((cp >= 0xA0 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x206F))
        return " ";
    if (cp >= 0xC0 && cp <= 0x17F) {
        one[0] = s_latin[cp - 0xC0];
        return one[0] == '2' ? s_pair(cp) : one;
    }
    return NULL;
}

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
        uint32_t cp = 0;
        size_t used = s_decode((const unsigned char *)text + i, len - i, &cp);
        char one[2] = {0, 0};
        const char *folded = used ? s_fold_one(cp, one) : NULL;
        if (!used)
            used = 1;               /* not UTF-8: the byte, as it is */
        if (folded && folded[0] == ' ') {
            if (!space)
                n = s_put(out, cap, n, " ", 1);
            space = 1;
            i += used;
            continue;
        }
        const char *bytes = folded ? folded : text + i;
        size_t count = folded ? strlen(folded) : used;
        size_t before = n;
        n = s_put(out, cap, n, bytes, count);
        space = 0;
        i += used;
        if (n == before)
            break;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    if (cap > 0)
        out[n] = '\0';
    return n;
}
