/*  proto/search.c - see search.h. */
#include "search.h"

#include "acronyms.h"
#include "doc.h"
#include "labels.h"
#include "networks.h"
#include "text.h"

#include <string.h>

/*  Appends the folding of text[0..len) to out[0..n), a space between. */
static size_t s_add(char *out, size_t n, size_t cap, const char *text, size_t len)
{
    if (len == 0 || n + 2 >= cap)
        return n;
    size_t start = n;
    if (n)
        out[n++] = ' ';
    size_t folded = text_fold(text, len, out + n, cap - n);
    if (folded == 0) {
        out[start] = '\0';      /* nothing but punctuation: no space either */
        return start;
    }
    return n + folded;
}

static size_t s_add_str(const msgpack_object *entry, const char *path, char *out, size_t n, size_t cap)
{
    const msgpack_object *value = doc_path(entry, path);
    if (!value || value->type != MSGPACK_OBJECT_STR)
        return n;
    return s_add(out, n, cap, value->via.str.ptr, value->via.str.size);
}

/*  The labels of the codes at path, and with codes_too the codes
 *  themselves (a visitor may paste "csr_iso26000" from a link). */
static size_t s_add_codes(const msgpack_object *entry, const char *path, labels_set_t set, bool codes_too,
                          char *out, size_t n, size_t cap)
{
    const msgpack_object *value = doc_path(entry, path);
    size_t count = value && value->type == MSGPACK_OBJECT_ARRAY ? value->via.array.size
                 : value && value->type == MSGPACK_OBJECT_STR ? 1 : 0;
    for (size_t i = 0; i < count; i++) {
        const msgpack_object *code = value->type == MSGPACK_OBJECT_ARRAY ? &value->via.array.ptr[i] : value;
        if (code->type != MSGPACK_OBJECT_STR)
            continue;
        const char *label = labels_find(set, code->via.str.ptr, code->via.str.size);
        if (label)
            n = s_add(out, n, cap, label, strlen(label));
        if (codes_too)
            n = s_add(out, n, cap, code->via.str.ptr, code->via.str.size);
    }
    return n;
}

/*  The networks the listing declares, each as written and, when the list
 *  of networks knows it (proto/networks.h), under its name and every other
 *  name it goes by: "URSCOP" finds "Union régionale des Scop de l'Ouest". */
static size_t s_add_networks(const msgpack_object *entry, char *out, size_t n, size_t cap)
{
    const msgpack_object *declared = doc_path(entry, "ties.networks");
    for (size_t i = 0; declared && declared->type == MSGPACK_OBJECT_ARRAY && i < declared->via.array.size; i++) {
        const msgpack_object *name = &declared->via.array.ptr[i];
        if (name->type != MSGPACK_OBJECT_STR)
            continue;
        n = s_add(out, n, cap, name->via.str.ptr, name->via.str.size);
        const network_t *known = networks_find(name->via.str.ptr, name->via.str.size);
        if (!known)
            continue;
        n = s_add(out, n, cap, known->name, strlen(known->name));
        for (const char *const *alias = known->aliases; *alias; alias++)
            n = s_add(out, n, cap, *alias, strlen(*alias));
    }
    return n;
}

/*  The listing's words before the acronyms' part. */
static size_t s_base_words(const msgpack_object *entry, char *out, size_t cap)
{
    /* "advisor": the person or team within the structure, when the entry
     * names one (a CAE's entrepreneurs each have their listing). */
    static const char *const texts[] = {"organisation.name", "advisor", "organisation.address.city",
                                        "organisation.address.postcode", "offer.description", NULL};
    size_t n = 0;
    if (cap == 0)
        return 0;
    out[0] = '\0';
    for (const char *const *p = texts; *p; p++)
        n = s_add_str(entry, *p, out, n, cap);
    n = s_add_codes(entry, "organisation.legal_form", LABELS_LEGAL_FORM, false, out, n, cap);
    n = s_add_codes(entry, "offer.themes", LABELS_THEME, true, out, n, cap);
    n = s_add_codes(entry, "offer.formats", LABELS_FORMAT, false, out, n, cap);
    return s_add_networks(entry, out, n, cap);
}

size_t search_entry_words(const msgpack_object *entry, char *out, size_t cap)
{
    size_t n = s_base_words(entry, out, cap);
    return cap ? acronyms_expand(out, n, cap) : 0;
}

/*  True when word[0..len) begins a word of words. */
static bool s_found(const char *words, const char *word, size_t len)
{
    for (const char *at = words; *at;) {
        if (strncmp(at, word, len) == 0)
            return true;
        at = strchr(at, ' ');
        if (!at)
            break;
        at++;
    }
    return false;
}

/*  The next word of query from q (its length in *len); "" at the end. */
static const char *s_next_word(const char *q, size_t *len)
{
    while (*q == ' ')
        q++;
    *len = strcspn(q, " ");
    return q;
}

bool search_words_match(const char *query, const char *words)
{
    size_t len;
    for (const char *w = s_next_word(query, &len); *w; w = s_next_word(w + len, &len))
        if (!s_found(words, w, len))
            return false;
    return true;
}

bool search_entry_matches(const char *query, const msgpack_object *entry)
{
    size_t len;
    const char *w = s_next_word(query, &len);
    if (!*w)
        return true;
    char words[SEARCH_WORDS_MAX];
    size_t n = s_base_words(entry, words, sizeof words);
    /* Most queries are names and communes: the acronyms' part is built
     * only when a word is missing that it could supply. */
    bool all = true;
    for (; *w; w = s_next_word(w + len, &len)) {
        if (s_found(words, w, len))
            continue;
        if (!acronyms_may_supply(w, len))
            return false;
        all = false;
    }
    if (all)
        return true;
    acronyms_expand(words, n, sizeof words);
    return search_words_match(query, words);
}
