/*  proto/search.h - the directory's free-text search: what a listing is
 *  found by, and when a visitor's words find it.
 *
 *  The same rules answer publication's `directory` request and
 *  essp-mirror's page: the mirror writes, for each listing, the words
 *  search_entry_words gives, and its script only folds what the visitor
 *  types (the same text_fold, from a table generated at build time) and
 *  checks each word as search_words_match does.
 *
 *  A listing is found by the folded words (proto/text.h) of
 *    its name, its advisor (the person or team named, when there is one),
 *    its commune, postcode and presentation (offer.description,
 *      where advisors name the specific actions they support),
 *    its legal form's label, its themes' labels and codes
 *      ("csr_iso26000" folds to "csr iso26000"), its formats' labels,
 *    and, for every acronym of proto/acronyms.h that any of these holds,
 *      or whose expansion or other wording they hold, the acronym and its
 *      expansion: "gpec" finds « gestion prévisionnelle des compétences »
 *      and « gestion prévisionnelle » finds "GPEC".
 *  A query finds a listing when every word of the folded query begins a
 *  word of the listing: "nant" finds Nantes, "44" finds 44000, "rse" does
 *  not find « diverse ».
 */
#ifndef ESSP_PROTO_SEARCH_H
#define ESSP_PROTO_SEARCH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#define SEARCH_WORDS_MAX 16384    /* bytes of a listing's words, and a NUL */

/*  The words entry is found by, folded, separated by one space, none at
 *  either end, NUL-terminated; returns their length (at most cap - 1:
 *  what does not fit is left out, word by word). */
size_t search_entry_words(const msgpack_object *entry, char *out, size_t cap);

/*  True when every word of query (folded text) begins a word of words
 *  (folded text, as search_entry_words writes it).  An empty query finds
 *  everything. */
bool search_words_match(const char *query, const char *words);

/*  search_words_match(query, the entry's words), without building the
 *  acronyms' part unless one of the query's words could be found there. */
bool search_entry_matches(const char *query, const msgpack_object *entry);

#endif
