/*  services/mirror/texts.h - every text a visitor reads on the site
 *  essp-mirror writes, in one place, so that a proofreader reads them all
 *  here: the pages (site_index.c, site_pages.c, site_html.c), the Atom
 *  feed (site_feed.c) and the search script (recherche.js reads
 *  ESSP.textes, which contrat_js.c writes from MIRROR_SCRIPT_TEXTS).
 *
 *  The labels of coded values (themes, formats, départements...) are
 *  proto/labels.c's; the texts a listing's owner wrote are theirs.
 *  Rules: plain French, vouvoiement, « guillemets », the typographic
 *  apostrophe (’), acronyms in capitals, « économie sociale et solidaire »
 *  in lower case, « Comité scientifique et éthique » with one capital.
 *  Texts with a % are printf formats: keep their conversions as they are.
 */
#ifndef ESSP_MIRROR_TEXTS_H
#define ESSP_MIRROR_TEXTS_H

/* ---------------------------------------------------------- every page */
#define T_SITE_TITLE        "Annuaire des accompagnateurs ESS Pratiques"
#define T_SKIP_LINK         "Aller au contenu"
#define T_FEED_LINK_TITLE   "Nouvelles inscriptions et retraits"
#define T_FOOT_WHO          "L’annuaire des accompagnateurs et formateurs référencés par le Comité " \
                            "scientifique et éthique d’ESS Pratiques (CRESS Pays de la Loire)."
/* %s: the charter page's address */
#define T_FOOT_CHARTER      "Chaque structure référencée s’engage à respecter " \
                            "<a href=\"%s\">la charte d’ESS Pratiques</a>."
/* %s: the application form's address */
#define T_FOOT_APPLY        "Vous accompagnez ou formez des organisations de l’économie sociale et " \
                            "solidaire ? <a href=\"%s\">Demandez à figurer dans l’annuaire</a>."
/* %s three times: the site's root, for the files */
#define T_FOOT_DATA         "Télécharger l’annuaire <a href=\"%sannuaire.csv\">au format tableur (CSV)</a> " \
                            "ou <a href=\"%sannuaire.json\">sous forme de données pour les sites et " \
                            "logiciels</a> ; suivre les inscriptions et les retraits " \
                            "<a href=\"%sannuaire.atom\">dans un lecteur de flux</a>."

/* --------------------------------------------------------- the search */
#define T_INDEX_H1          "Trouver un accompagnateur ou un formateur de l’ESS"
#define T_INDEX_INTRO_NONE  "Aucune structure n’est encore référencée par le Comité scientifique et " \
                            "éthique d’ESS Pratiques."
#define T_INDEX_INTRO_ONE   "Une structure référencée par le Comité scientifique et éthique d’ESS " \
                            "Pratiques accompagne et forme les organisations de l’économie sociale et " \
                            "solidaire dans leur démarche d’amélioration continue."
/* %zu: how many (2 or more) */
#define T_INDEX_INTRO_MANY  "%zu structures référencées par le Comité scientifique et éthique d’ESS " \
                            "Pratiques accompagnent et forment les organisations de l’économie sociale " \
                            "et solidaire dans leur démarche d’amélioration continue."
#define T_SEARCH_LABEL      "Rechercher"
#define T_SEARCH_HELP       "Un nom, une commune, un code postal, un thème ou une action (par exemple " \
                            "GPEC, RSE, QVCT) ; les accents et les majuscules sont sans importance."
#define T_FILTERS           "Filtrer"
#define T_DEPARTMENT        "Département d’intervention"
#define T_DEPARTMENT_ANY    "Tous les départements"
#define T_THEME             "Thème"
#define T_THEME_ANY         "Tous les thèmes"
#define T_FORMAT            "Format"
#define T_FORMAT_ANY        "Accompagnement ou formation"
#define T_SCOPE             "Périmètre"
#define T_SCOPE_ANY         "Tous les périmètres"
#define T_LEGAL_FORM        "Forme juridique"
#define T_LEGAL_FORM_ANY    "Toutes les formes juridiques"
/* after "Loire-Atlantique (44)" in the list of départements */
#define T_COUNT_ONE         " : 1 structure"
#define T_COUNT_MANY        " : %zu structures"
#define T_RESET             "Effacer la recherche"
#define T_RESULTS           "Résultats"
#define T_MORE              "Afficher plus de résultats"
#define T_NOSCRIPT          "La recherche a besoin de JavaScript. L’annuaire complet reste disponible " \
                            "<a href=\"annuaire.csv\">au format tableur (CSV)</a>."

/*  The search script's texts: X(key, text); {n}, {d} and {a} (a year)
 *  are replaced by the script. */
#define MIRROR_SCRIPT_TEXTS(X)                                                      \
    X(aucune, "Aucune structure ne correspond à cette recherche.")                 \
    X(une, "1 structure correspond à cette recherche.")                            \
    X(plusieurs, "{n} structures correspondent à cette recherche.")                \
    X(themes, "Thèmes : ")                                                         \
    X(formats, "Formats : ")                                                       \
    X(departements, "Départements : ")                                             \
    X(departement_vide, "{d} : aucune structure")                              \
    X(depuis, "Dans l’annuaire depuis {a}.")

/* ------------------------------------------------- an advisor's page */
#define T_BREADCRUMB        "Fil d’Ariane"
#define T_BREADCRUMB_HOME   "Annuaire"
#define T_OFFER             "Son offre"
#define T_FORMATS           "Formats"
#define T_SCOPE_OF_OFFER    "Périmètre"
#define T_THEMES            "Thèmes du Guide des bonnes pratiques"
#define T_DEPARTMENTS       "Départements d’intervention"
#define T_CONTACT           "Contact"
#define T_EMAIL             "Courriel"
#define T_PHONE             "Téléphone"
#define T_WEBSITE           "Site web"
#define T_ADDRESS           "Adresse"
#define T_STRUCTURE         "La structure"
#define T_SIRET             "SIRET"
#define T_RNA               "Numéro RNA"
#define T_CREATED           "Création"
#define T_NETWORKS          "Réseaux"
#define T_ESUS              "Agrément ESUS"
#define T_ESUS_PREFECTURE   "Préfecture : "
#define T_VALID_UNTIL       "valable jusqu’au "
#define T_VALID_UNTIL_CAP   "Valable jusqu’au "
#define T_NDA               "Déclaration d’activité de formation"
#define T_QUALIOPI          "Certification Qualiopi"
/* What makes a listing trustworthy (site_trust.c): since and until when
 * it is listed, the training the charter asks for, its references. */
#define T_LISTING           "Son inscription à l’annuaire"
#define T_LISTED_SINCE      "Dans l’annuaire depuis le "
#define T_LISTED_UNTIL      "L’inscription prend fin le "
#define T_LISTED_UNTIL_END  ", sauf renouvellement."
#define T_TRAINING          "Formation exigée par la charte (partie privée d’ESS Pratiques) : "
/* then a <time> */
#define T_TRAINING_DONE     "suivie le "
#define T_TRAINING_DONE_ALL "suivie par chaque personne déclarée, la dernière fois le "
#define T_TRAINING_PLANNED  "prévue le "
/* between a T_TRAINING_DONE date and the planned one */
#define T_TRAINING_NEXT     " ; une autre session est prévue le "
/* %s: the <time> of the decision */
#define T_APPROVED          "Fiche approuvée par le Comité scientifique et éthique le %s."
#define T_REFERENCES        "Ses références"
#define T_REFERENCES_INTRO  "Missions d’accompagnement ou de formation que la structure a présentées au " \
                            "comité avec sa candidature."
/* a reference of a kind the labels do not know */
#define T_REFERENCE_MISSION "Mission"
/* after the kind of mission ("Accompagnement", "Formation") */
#define T_REFERENCE_IN      " en "
#define T_REFERENCE_ESS     ", auprès d’une organisation de l’économie sociale et solidaire"
#define T_REFERENCE_TOPICS  "Volets de la démarche d’amélioration continue : "
#define T_PROOF_SUMMARY     "Fiche signée par ESS Pratiques (CRESS Pays de la Loire) : la vérifier"
#define T_PROOF_WHY         "ESS Pratiques signe électroniquement chaque fiche publiée : un site ou un " \
                            "logiciel qui reprend l’annuaire peut ainsi vérifier que la fiche n’a pas " \
                            "été modifiée en chemin."
#define T_PROOF_HOW         "Pour les informaticiens : signature Ed25519 portant sur « essp-stream-v1 », " \
                            "un saut de ligne, le numéro de publication sur 8 octets (gros-boutiste) puis " \
                            "le contenu signé ci-dessous, décodé du base64."
#define T_PROOF_SEQ         "Numéro de publication"
#define T_PROOF_KEY         "Clé publique d’ESS Pratiques"
#define T_PROOF_SIGNED      "Contenu signé"
#define T_PROOF_SIG         "Signature"

/* ------------------------------------------------------- the feed */
#define T_FEED_TITLE        T_SITE_TITLE " : inscriptions et retraits"
#define T_FEED_NEW          "Nouvelle inscription : "
#define T_FEED_GONE         "Retrait de l’annuaire"
#define T_FEED_SOMEONE      "Une structure"
#define T_FEED_JOINS        " rejoint l’annuaire des accompagnateurs ESS Pratiques."
/* %s: one of the reasons below */
#define T_FEED_LEFT         " ne figure plus dans l’annuaire : %s."
#define T_REASON_EXPIRED    "son inscription est arrivée à échéance"
#define T_REASON_SUSPENDED  "son inscription est suspendue"
#define T_REASON_ERASED     "ses données ont été effacées à sa demande"
#define T_REASON_RENEWED    "son inscription a été renouvelée sous une nouvelle fiche"
#define T_REASON_WITHDRAWN  "son inscription a été retirée"

#endif
