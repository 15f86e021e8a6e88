/*  proto/labels.c - see labels.h.  The wording rules: French as a
 *  reader of the directory sees it, a capital first, the typographic
 *  apostrophe (’), the acronym after the full name of a legal form. */
#include "labels.h"

#include <assert.h>
#include <string.h>

/*  The themes of the Guide des bonnes pratiques de l'ESS, as the schema
 *  codes them (offer.themes). */
static const label_t s_themes[] = {
    {"continuous_improvement", "Démarche d’amélioration continue"},
    {"csr_iso26000", "RSE, RSO et ISO 26000"},
    {"democratic_governance", "Gouvernance démocratique"},
    {"strategy_consultation", "Concertation dans l’élaboration de la stratégie"},
    {"territorial_anchoring", "Ancrage territorial de l’activité et des emplois"},
    {"wage_policy_social_exemplarity", "Politique salariale et exemplarité sociale"},
    {"users_unmet_needs", "Lien avec les usagers et réponse aux besoins non couverts"},
    {"diversity_equality", "Diversité, non-discrimination et égalité femmes-hommes"},
    {"sustainable_development", "Développement durable"},
    {"ethics_deontology", "Éthique et déontologie"},
    {NULL, NULL},
};

/*  Cooperatives first, as the charter lists them. */
static const label_t s_legal_forms[] = {
    {"scop", "Société coopérative et participative (SCOP)"},
    {"scic", "Société coopérative d’intérêt collectif (SCIC)"},
    {"cae", "Coopérative d’activité et d’emploi (CAE)"},
    {"cooperative", "Coopérative"},
    {"mutual", "Mutuelle"},
    {"association", "Association"},
    {"foundation", "Fondation"},
    {"commercial_company", "Société commerciale agréée ESUS"},
    {NULL, NULL},
};

static const label_t s_formats[] = {
    {"support", "Accompagnement"},
    {"training", "Formation"},
    {NULL, NULL},
};

static const label_t s_scopes[] = {
    {"whole", "Démarche d’amélioration continue dans son ensemble"},
    {"specific", "Actions spécifiques du plan d’actions"},
    {NULL, NULL},
};

/*  The parts of the continuous-improvement approach a reference covered
 *  (references[].ci_topics): the directory shows them beside each
 *  reference. */
static const label_t s_ci_topics[] = {
    {"rse", "RSE"},
    {"rso", "RSO"},
    {"guide", "Guide des bonnes pratiques"},
    {"iso26000", "ISO 26000"},
    {"whole_approach", "Démarche globale"},
    {NULL, NULL},
};

static const label_t s_departments[] = {
    {"01", "Ain"}, {"02", "Aisne"}, {"03", "Allier"}, {"04", "Alpes-de-Haute-Provence"},
    {"05", "Hautes-Alpes"}, {"06", "Alpes-Maritimes"}, {"07", "Ardèche"}, {"08", "Ardennes"},
    {"09", "Ariège"}, {"10", "Aube"}, {"11", "Aude"}, {"12", "Aveyron"},
    {"13", "Bouches-du-Rhône"}, {"14", "Calvados"}, {"15", "Cantal"}, {"16", "Charente"},
    {"17", "Charente-Maritime"}, {"18", "Cher"}, {"19", "Corrèze"}, {"2A", "Corse-du-Sud"},
    {"2B", "Haute-Corse"}, {"21", "Côte-d’Or"}, {"22", "Côtes-d’Armor"}, {"23", "Creuse"},
    {"24", "Dordogne"}, {"25", "Doubs"}, {"26", "Drôme"}, {"27", "Eure"},
    {"28", "Eure-et-Loir"}, {"29", "Finistère"}, {"30", "Gard"}, {"31", "Haute-Garonne"},
    {"32", "Gers"}, {"33", "Gironde"}, {"34", "Hérault"}, {"35", "Ille-et-Vilaine"},
    {"36", "Indre"}, {"37", "Indre-et-Loire"}, {"38", "Isère"}, {"39", "Jura"},
    {"40", "Landes"}, {"41", "Loir-et-Cher"}, {"42", "Loire"}, {"43", "Haute-Loire"},
    {"44", "Loire-Atlantique"}, {"45", "Loiret"}, {"46", "Lot"}, {"47", "Lot-et-Garonne"},
    {"48", "Lozère"}, {"49", "Maine-et-Loire"}, {"50", "Manche"}, {"51", "Marne"},
    {"52", "Haute-Marne"}, {"53", "Mayenne"}, {"54", "Meurthe-et-Moselle"}, {"55", "Meuse"},
    {"56", "Morbihan"}, {"57", "Moselle"}, {"58", "Nièvre"}, {"59", "Nord"},
    {"60", "Oise"}, {"61", "Orne"}, {"62", "Pas-de-Calais"}, {"63", "Puy-de-Dôme"},
    {"64", "Pyrénées-Atlantiques"}, {"65", "Hautes-Pyrénées"}, {"66", "Pyrénées-Orientales"},
    {"67", "Bas-Rhin"}, {"68", "Haut-Rhin"}, {"69", "Rhône"}, {"70", "Haute-Saône"},
    {"71", "Saône-et-Loire"}, {"72", "Sarthe"}, {"73", "Savoie"}, {"74", "Haute-Savoie"},
    {"75", "Paris"}, {"76", "Seine-Maritime"}, {"77", "Seine-et-Marne"}, {"78", "Yvelines"},
    {"79", "Deux-Sèvres"}, {"80", "Somme"}, {"81", "Tarn"}, {"82", "Tarn-et-Garonne"},
    {"83", "Var"}, {"84", "Vaucluse"}, {"85", "Vendée"}, {"86", "Vienne"},
    {"87", "Haute-Vienne"}, {"88", "Vosges"}, {"89", "Yonne"}, {"90", "Territoire de Belfort"},
    {"91", "Essonne"}, {"92", "Hauts-de-Seine"}, {"93", "Seine-Saint-Denis"},
    {"94", "Val-de-Marne"}, {"95", "Val-d’Oise"}, {"971", "Guadeloupe"}, {"972", "Martinique"},
    {"973", "Guyane"}, {"974", "La Réunion"}, {"975", "Saint-Pierre-et-Miquelon"},
    {"976", "Mayotte"}, {NULL, NULL},
};

static const struct {
    const char *name;
    const label_t *table;
} s_sets[LABELS_SET_COUNT] = {
    [LABELS_THEME] = {"theme", s_themes},
    [LABELS_LEGAL_FORM] = {"legal_form", s_legal_forms},
    [LABELS_FORMAT] = {"format", s_formats},
    [LABELS_SCOPE] = {"scope", s_scopes},
    [LABELS_DEPARTMENT] = {"department", s_departments},
    [LABELS_CI_TOPIC] = {"ci_topic", s_ci_topics},
};

const label_t *labels_table(labels_set_t set, size_t *count)
{
    assert(set < LABELS_SET_COUNT);
    const label_t *table = s_sets[set].table;
    if (count) {
        size_t n = 0;
        while (table[n].code)
            n++;
        *count = n;
    }
    return table;
}

const char *labels_find(labels_set_t set, const char *code, size_t len)
{
    for (const label_t *l = labels_table(set, NULL); l->code; l++)
        if (strlen(l->code) == len && memcmp(l->code, code, len) == 0)
            return l->label;
    return NULL;
}

const char *labels_set_name(labels_set_t set)
{
    assert(set < LABELS_SET_COUNT);
    return s_sets[set].name;
}
