/*  proto/networks.c - see networks.h.
 *
 *  Regional bodies of Pays de la Loire first, then national ones.  A
 *  regional branch that people name with the national name ("France
 *  Active Pays de la Loire", "France Active") is the same entry: a tie to
 *  either is a tie to the network.  Aliases are folded (text_fold): lower
 *  case, no accents, punctuation and apostrophes as one space.
 */
#include "networks.h"

#include "text.h"

#include <string.h>

#define S_FOLD_MAX 256

static const network_t s_networks[] = {
    {"cress-pdl", "CRESS Pays de la Loire",
     {"cress pays de la loire", "cress pdl", "cress des pays de la loire",
      "chambre regionale de l economie sociale et solidaire des pays de la loire",
      "chambre regionale de l ess des pays de la loire", NULL}},
    {"urscop-ouest", "URSCOP Ouest",
     {"urscop ouest", "union regionale des scop de l ouest", "union regionale des scop et scic de l ouest",
      "les scop de l ouest", "les scop ouest", "scop ouest", "urscop de l ouest", NULL}},
    {"france-active", "France Active",
     {"france active", "france active pays de la loire", "france active pdl", NULL}},
    {"mouvement-associatif", "Le Mouvement associatif",
     {"le mouvement associatif", "mouvement associatif", "lma",
      "le mouvement associatif des pays de la loire", "le mouvement associatif pays de la loire",
      "mouvement associatif pays de la loire", NULL}},
    {"uriopss-pdl", "URIOPSS Pays de la Loire",
     {"uriopss pays de la loire", "uriopss",
      "union regionale interfederale des organismes prives sanitaires et sociaux", NULL}},
    {"mutualite-francaise", "Mutualité Française",
     {"mutualite francaise", "fnmf", "federation nationale de la mutualite francaise",
      "mutualite francaise pays de la loire", NULL}},
    {"ess-france", "ESS France",
     {"ess france", "chambre francaise de l economie sociale et solidaire", "cncress",
      "conseil national des cress", NULL}},
    {"udes", "UDES",
     {"udes", "union des employeurs de l economie sociale et solidaire",
      "union des employeurs de l ess", NULL}},
    {"cg-scop", "Confédération générale des SCOP et des SCIC",
     {"confederation generale des scop et des scic", "confederation generale des scop", "cg scop",
      "cgscop", "les scop", NULL}},
    {"coop-fr", "Coop FR",
     {"coop fr", "coop fr les entreprises cooperatives", NULL}},
    {"cooperer-pour-entreprendre", "Coopérer pour entreprendre",
     {"cooperer pour entreprendre", "reseau cooperer pour entreprendre", "cpe", NULL}},
    {"copea", "Copea",
     {"copea", "reseau copea", "cooperatives d activite et d emploi copea", NULL}},
    {"cff", "Centre français des fonds et fondations",
     {"centre francais des fonds et fondations", "centre francais des fondations", "cff", NULL}},
    {"impact-france", "Impact France",
     {"impact france", "mouves", "mouvement des entrepreneurs sociaux", NULL}},
    {"fas", "Fédération des acteurs de la solidarité",
     {"federation des acteurs de la solidarite", "fas", "fnars", NULL}},
    {"fei", "Fédération des entreprises d'insertion",
     {"federation des entreprises d insertion", "fei", "les entreprises d insertion", NULL}},
    {"coorace", "COORACE",
     {"coorace", NULL}},
    {"chantier-ecole", "Chantier école",
     {"chantier ecole", "reseau chantier ecole", NULL}},
    {"avise", "Avise",
     {"avise", "agence de valorisation des initiatives socio economiques", NULL}},
    {"dla", "Dispositif local d'accompagnement (DLA)",
     {"dispositif local d accompagnement dla", "dispositif local d accompagnement", "dla", NULL}},
    {"rtes", "Réseau des collectivités territoriales pour une économie solidaire (RTES)",
     {"reseau des collectivites territoriales pour une economie solidaire rtes",
      "reseau des collectivites territoriales pour une economie solidaire", "rtes", NULL}},
    {"cigales", "Fédération des CIGALES",
     {"federation des cigales", "cigales", "reseau des cigales", NULL}},
    {"adie", "Adie",
     {"adie", "association pour le droit a l initiative economique", NULL}},
    {"cooperation-agricole", "La Coopération agricole",
     {"la cooperation agricole", "cooperation agricole", "coop de france", NULL}},
    {"fncuma", "Fédération nationale des CUMA",
     {"federation nationale des cuma", "fncuma", "reseau cuma", "cuma", NULL}},
    {"esper", "L'ESPER",
     {"l esper", "esper", "l economie sociale partenaire de l ecole de la republique", NULL}},
    {"france-tiers-lieux", "France Tiers-Lieux",
     {"france tiers lieux", NULL}},
    {"familles-rurales", "Familles rurales",
     {"familles rurales", "federation familles rurales", NULL}},
};

const network_t *networks_all(size_t *count)
{
    *count = sizeof s_networks / sizeof s_networks[0];
    return s_networks;
}

/*  The entry whose name, code or an alias folds to `folded`. */
static const network_t *s_find_folded(const char *folded, size_t len)
{
    char key[S_FOLD_MAX];
    for (size_t i = 0; i < sizeof s_networks / sizeof s_networks[0]; i++) {
        const network_t *n = &s_networks[i];
        for (const char *const *alias = n->aliases; *alias; alias++)
            if (strlen(*alias) == len && memcmp(*alias, folded, len) == 0)
                return n;
        size_t k = text_fold(n->name, strlen(n->name), key, sizeof key);
        if (k == len && memcmp(key, folded, len) == 0)
            return n;
        k = text_fold(n->code, strlen(n->code), key, sizeof key);
        if (k == len && memcmp(key, folded, len) == 0)
            return n;
    }
    return NULL;
}

const network_t *networks_find(const char *text, size_t len)
{
    char folded[S_FOLD_MAX];
    size_t n = text_fold(text, len, folded, sizeof folded);
    return n ? s_find_folded(folded, n) : NULL;
}

bool networks_same(const char *a, size_t a_len, const char *b, size_t b_len)
{
    char fa[S_FOLD_MAX], fb[S_FOLD_MAX];
    size_t na = text_fold(a, a_len, fa, sizeof fa);
    size_t nb = text_fold(b, b_len, fb, sizeof fb);
    if (na == 0 || nb == 0)
        return false;
    if (na == nb && memcmp(fa, fb, na) == 0)
        return true;
    const network_t *ka = s_find_folded(fa, na);
    return ka && ka == s_find_folded(fb, nb);
}
