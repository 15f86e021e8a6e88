/*  proto/acronyms.h - the acronyms of the social and solidarity economy
 *  that the directory's search understands, in one list.
 *
 *  People type "GPEC" where a listing says « gestion prévisionnelle des
 *  emplois et des compétences », or the other way round.  Each acronym of
 *  the list comes with its expansion (the wording shown to people) and,
 *  when usage has others, the other wordings that mean the same thing
 *  (« gestion prévisionnelle des compétences » for GPEC).  The search
 *  (proto/search.h) adds to a listing's words the acronym and its
 *  expansion whenever the listing holds any of them, so that typing either
 *  finds it.  The same list serves publication's `directory` request and
 *  essp-mirror's page (whose index is written by proto/search.c).
 */
#ifndef ESSP_PROTO_ACRONYMS_H
#define ESSP_PROTO_ACRONYMS_H

#include <stdbool.h>
#include <stddef.h>

#define ACRONYMS_ALSO_MAX 4

typedef struct {
    const char *acronym;                    /* as written: "GPEC" */
    const char *expansion;                  /* as people read it */
    const char *also[ACRONYMS_ALSO_MAX];     /* other wordings, NULL after the last */
} acronym_t;

/*  The list, in alphabetical order of acronyms, ended by a {NULL} item;
 *  *count (if not NULL) set to its length. */
const acronym_t *acronyms_table(size_t *count);

/*  hay[0..len) is folded text (proto/text.h: words separated by one space).
 *  For every acronym of the list that hay holds as a word, or whose
 *  expansion or other wording hay holds as consecutive words (each
 *  maybe with an s or an x more: « structures d’insertion »), appends
 *  " acronym expansion" (folded), once; what is appended is searched too,
 *  so that an expansion holding another acronym's expansion (SIAE, IAE)
 *  brings both.  Stops adding at cap - 1 bytes; returns the new length
 *  (hay stays NUL-terminated). */
size_t acronyms_expand(char *hay, size_t len, size_t cap);

/*  True when the folded word[0..len) begins a word of an acronym or of an
 *  expansion of the list: only such a word can be found among what
 *  acronyms_expand adds. */
bool acronyms_may_supply(const char *word, size_t len);

#endif
