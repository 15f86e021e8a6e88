/*  proto/networks.h - the ESS networks and federations, one list.
 *
 *  A committee member declares the networks they are tied to; an applicant
 *  declares the networks it belongs to (charter LOY-COI).  Both may write
 *  "URSCOP Ouest", "Union régionale des Scop de l'Ouest" or "les Scop de
 *  l'Ouest": the same network.  This list gives each network one code, one
 *  French name as people write it, and the other names it goes by
 *  (expansions, abbreviations, former names).  The web forms offer the
 *  names; the conflict check (services/review) compares what was declared
 *  through it, so that a tie declared under one name is found under any
 *  other.  Free text stays accepted: a name that is not in the list is
 *  compared with the other side's, folded (proto/text.h).
 *
 *  The aliases are stored already folded (lower case, no accents, one
 *  space between words): the unit test test_networks checks that each is
 *  its own fold and that no folded name belongs to two networks.
 */
#ifndef ESSP_PROTO_NETWORKS_H
#define ESSP_PROTO_NETWORKS_H

#include <stdbool.h>
#include <stddef.h>

#define NETWORK_ALIASES_MAX 8

typedef struct {
    const char *code;                          /* stable, e.g. "urscop-ouest" */
    const char *name;                          /* as people write it */
    const char *aliases[NETWORK_ALIASES_MAX];  /* folded, NULL-terminated */
} network_t;

/*  The whole list, in the order the forms offer it, and its length. */
const network_t *networks_all(size_t *count);

/*  The network a declared name designates (its name, its code or one of
 *  its aliases, compared folded), or NULL when the name is not in the
 *  list. */
const network_t *networks_find(const char *text, size_t len);

/*  True when two declared names designate the same network: the same entry
 *  of the list, or, for names outside it, the same folded text. */
bool networks_same(const char *a, size_t a_len, const char *b, size_t b_len);

#endif
