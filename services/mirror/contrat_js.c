/*  contrat_js: writes, at build time, what essp-mirror's search script
 *  must agree on with proto/: the French labels of the coded values
 *  (proto/labels.h) and the text folding (proto/text.h), as JavaScript.
 *
 *    contrat_js OUT.js OUT.c repli.js
 *
 *  OUT.js is `var ESSP = {"libelles": {...}, "textes": {...}, "repli": {...}};`
 *  (textes: the script's French texts, texts.h) followed by
 *  repli.js (the folding function that reads the table); OUT.c holds the
 *  same bytes as site_asset_contrat_js, compiled into essp-mirror like
 *  its other assets.  The folding table is text_fold itself, asked about
 *  each character where it may differ from the character: U+0000..U+02FF
 *  and U+2000..U+20FF (tests/fold compares the two over these and more).
 */
#include "texts.h"

#include "proto/labels.h"
#include "proto/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The label sets under the names recherche.js gives them. */
static const char *const s_names[LABELS_SET_COUNT] = {
    [LABELS_THEME] = "theme",
    [LABELS_LEGAL_FORM] = "forme",
    [LABELS_FORMAT] = "format",
    [LABELS_SCOPE] = "perimetre",
    [LABELS_DEPARTMENT] = "departement",
    [LABELS_CI_TOPIC] = "volet",
};

typedef struct {
    char *data;
    size_t len, cap;
} text_t;

static void s_add(text_t *t, const char *bytes, size_t len)
{
    if (t->len + len + 1 > t->cap) {
        t->cap = (t->len + len + 1) * 2;
        t->data = realloc(t->data, t->cap);
        if (!t->data)
            exit(1);
    }
    memcpy(t->data + t->len, bytes, len);
    t->len += len;
    t->data[t->len] = '\0';
}

static void s_addz(text_t *t, const char *text)
{
    s_add(t, text, strlen(text));
}

/*  A JSON string: the labels hold no control character, only " and \
 *  need escaping. */
static void s_add_json(text_t *t, const char *text)
{
    s_addz(t, "\"");
    for (; *text; text++) {
        if (*text == '"' || *text == '\\')
            s_addz(t, "\\");
        s_add(t, text, 1);
    }
    s_addz(t, "\"");
}

static size_t s_utf8(uint32_t cp, char out[4])
{
    if (cp < 0x80)
        return out[0] = (char)cp, 1;
    if (cp < 0x800)
        return out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3F)), 2;
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/*  "\uXXXX":"folded" for the characters of [from, to] that text_fold
 *  changes; an empty fold is a space (the ends are trimmed). */
static void s_add_folds(text_t *t, uint32_t from, uint32_t to, bool *first)
{
    for (uint32_t cp = from; cp <= to; cp++) {
        char in[4], out[16], key[16];
        size_t len = s_utf8(cp, in);
        size_t n = text_fold(in, len, out, sizeof out);
        if (n == len && memcmp(in, out, len) == 0)
            continue;
        snprintf(key, sizeof key, "%s\"\\u%04X\":", *first ? "" : ",", (unsigned)cp);
        s_addz(t, key);
        s_add_json(t, n ? out : " ");
        *first = false;
    }
}

static int s_write(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "contrat_js: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: contrat_js OUT.js OUT.c repli.js\n");
        return 2;
    }
    text_t js = {0};
    s_addz(&js, "/* Généré depuis proto/labels.c et proto/text.c par services/mirror/contrat_js.c :\n"
                "   ne pas modifier.  Les libellés des codes de l’annuaire, les textes de la recherche\n"
                "   (services/mirror/texts.h) et le repli du texte. */\n"
                "var ESSP = {\"libelles\":{");
    for (int set = 0; set < LABELS_SET_COUNT; set++) {
        s_addz(&js, set ? ",\n" : "\n");
        s_add_json(&js, s_names[set]);
        s_addz(&js, ":{");
        size_t count;
        const label_t *table = labels_table((labels_set_t)set, &count);
        for (size_t i = 0; i < count; i++) {
            s_addz(&js, i ? "," : "");
            s_add_json(&js, table[i].code);
            s_addz(&js, ":");
            s_add_json(&js, table[i].label);
        }
        s_addz(&js, "}");
    }
    s_addz(&js, "},\n\"textes\":{");
    bool first_text = true;
#define S_TEXT(key, text)                            \
    s_addz(&js, first_text ? "\n" : ",\n");          \
    s_add_json(&js, #key);                           \
    s_addz(&js, ":");                                \
    s_add_json(&js, text);                           \
    first_text = false;
    MIRROR_SCRIPT_TEXTS(S_TEXT)
#undef S_TEXT
    s_addz(&js, "},\n\"repli\":{");
    bool first = true;
    s_add_folds(&js, 0x0000, 0x02FF, &first);
    s_add_folds(&js, 0x2000, 0x20FF, &first);
    s_addz(&js, "}};\n");
    FILE *f = fopen(argv[3], "rb");
    char chunk[4096];
    for (size_t n; f && (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
        s_add(&js, chunk, n);
    if (!f || ferror(f)) {
        fprintf(stderr, "contrat_js: cannot read %s\n", argv[3]);
        return 1;
    }
    fclose(f);

    text_t c = {0};
    s_addz(&c, "/* Generated by services/mirror/contrat_js.c: do not edit. */\n"
               "extern const unsigned char site_asset_contrat_js[];\n"
               "const unsigned char site_asset_contrat_js[] = {");
    for (size_t i = 0; i < js.len; i++) {
        char byte[8];
        snprintf(byte, sizeof byte, "%s0x%02x,", i % 16 ? "" : "\n", (unsigned char)js.data[i]);
        s_addz(&c, byte);
    }
    s_addz(&c, " 0x00};\n");
    int rc = s_write(argv[1], js.data, js.len) | s_write(argv[2], c.data, c.len);
    free(js.data);
    free(c.data);
    return rc;
}
