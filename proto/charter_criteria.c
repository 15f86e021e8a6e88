/*  proto/charter_criteria.c - see charter.h: the charter's criteria in
 *  charter order, their French texts, what each may give, and the names
 *  and labels of outcomes and verdicts.  The checks are in charter.c.
 */
#include "charter.h"

#include <string.h>

#define S_OUT(o) CRITERION_OUTCOME_BIT(CRITERION_##o)

static const charter_criterion_t s_criteria[] = {
    {"ESS-FORM", 1,
     "Être organisé sous statut juridique de coopérative, mutuelle, association, fondation "
     "ou société commerciale avec agrément ESUS",
     "Legal form is a cooperative, a mutual, an association, a foundation, or a commercial "
     "company holding the ESUS agreement",
     CHARTER_CHECK_AUTOMATIC, S_OUT(PASS) | S_OUT(FAIL)},
    {"ESS-ESUS", 1,
     "Pour une société commerciale, détenir un agrément ESUS en cours de validité",
     "A commercial company holds a current ESUS agreement",
     CHARTER_CHECK_AUTOMATIC, S_OUT(PASS) | S_OUT(FAIL)},
    {"ESS-ID", 1,
     "Être identifié par un numéro SIRET valide et, pour une association, par son numéro RNA "
     "(ou déclarer ne pas en avoir, en Alsace-Moselle)",
     "Valid SIRET; an association gives its RNA number or says it has none",
     CHARTER_CHECK_AUTOMATIC, S_OUT(PASS) | S_OUT(FAIL)},
    {"ESS-PURPOSE", 1,
     "Fonder son fonctionnement interne et ses activités sur un principe d'engagement "
     "collectif, de solidarité et d'utilité sociale",
     "Internal functioning and activities founded on collective engagement, solidarity and "
     "social utility",
     CHARTER_CHECK_COMMITTEE, S_OUT(FAIL) | S_OUT(REVIEW)},
    {"ESS-GOV", 1,
     "Mettre en œuvre des modes de gestion démocratiques et participatifs",
     "Democratic and participative governance",
     CHARTER_CHECK_COMMITTEE, S_OUT(FAIL) | S_OUT(REVIEW)},
    {"ESS-SURPLUS", 1,
     "Encadrer l'utilisation de ses excédents de gestion",
     "The use of surpluses is framed",
     CHARTER_CHECK_COMMITTEE, S_OUT(FAIL) | S_OUT(REVIEW)},
    {"REF-ESS", 2,
     "Présenter des références antérieures d'accompagnement / formation d'organisations de "
     "l'économie sociale et solidaire (ESS)",
     "At least one earlier reference of support or training for an ESS organisation",
     CHARTER_CHECK_COMMITTEE, S_OUT(FAIL) | S_OUT(REVIEW)},
    {"REF-CI", 2,
     "Présenter des références antérieures d'accompagnement sur tout ou partie de la démarche "
     "d'amélioration continue (RSE / RSO / Guide des bonnes pratiques)",
     "At least one earlier reference of support on all or part of continuous improvement "
     "(CSR / ISO 26000 / Guide des bonnes pratiques)",
     CHARTER_CHECK_COMMITTEE, S_OUT(FAIL) | S_OUT(REVIEW)},
    {"REF-DATES", 2,
     "Dater ses références : aucune dans le futur, celles de plus de 10 ans sont signalées",
     "References are dated and not in the future; those older than 10 years are flagged",
     CHARTER_CHECK_AUTOMATIC, S_OUT(PASS) | S_OUT(FAIL) | S_OUT(WARN)},
    {"CLI-CONTRACT", 3,
     "Analyser les besoins des structures, et établir préalablement à toute action un contrat "
     "ou une convention précisant l'objectif à atteindre, la méthodologie proposée, la "
     "facturation prévue, le recours éventuel à la sous-traitance ou co-traitance",
     "Analyse needs and sign, before any action, a contract stating the objective, the method, "
     "the planned billing and any sub- or co-contracting",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"CLI-SCOPE", 3,
     "Contractualiser dans les limites de ses compétences et de sa disponibilité et mettre en "
     "œuvre les moyens nécessaires pour atteindre les objectifs contractualisés",
     "Contract only within one's competence and availability, and provide the means to reach "
     "the objectives",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"CLI-CONFID", 3,
     "Respecter la confidentialité et la culture de l'organisation cliente",
     "Respect the confidentiality and the culture of the client organisation",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"CLI-TRAINING", 3,
     "Pour utiliser la partie privée d'ESS Pratiques en accompagnant la démarche dans son "
     "ensemble, suivre la formation à cette partie privée (demi-journée, 250 € TTC par personne)",
     "To use the private part of ESS Pratiques while supporting the whole approach, have each "
     "user trained (half-day session, 250 € incl. VAT per person)",
     CHARTER_CHECK_AUTOMATIC, S_OUT(PASS) | S_OUT(FAIL)},
    {"LOY-NODISCRIM", 4,
     "S'interdire toute forme de discrimination, selon les critères précisés par la loi",
     "No discrimination on the criteria set by law",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"LOY-COI", 4,
     "Faire connaître à ses clients et/ou bénéficiaires les éventuels liens susceptibles de "
     "générer des conflits d'intérêts dans le cadre de l'exécution de sa mission",
     "Disclose to clients the links that could create conflicts of interest",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"LOY-TAX", 4,
     "Être en règle par rapport à ses obligations fiscales",
     "Up to date with tax obligations",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"LOY-REG", 4,
     "Se tenir informé des évolutions réglementaires et appliquer les lois et règlements (en "
     "particulier, la partie VI du Code du travail pour les actions de formation "
     "professionnelle continue)",
     "Keep informed of and apply regulations, in particular part VI of the Code du travail for "
     "continuing vocational training",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"LOY-NDA", 4,
     "Pour proposer de la formation, donner son numéro de déclaration d'activité d'organisme "
     "de formation",
     "An applicant offering training gives its training-provider declaration number (NDA)",
     CHARTER_CHECK_AUTOMATIC, S_OUT(PASS) | S_OUT(FAIL) | S_OUT(WARN)},
    {"LOY-IP", 4,
     "Respecter la propriété intellectuelle et citer ses sources",
     "Respect intellectual property and cite sources",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"LOY-FAIR", 4,
     "S'interdire toute concurrence déloyale",
     "No unfair competition",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
    {"LOY-CHARTER", 4,
     "Communiquer cette charte à toute personne en faisant la demande",
     "Give this charter to anyone who asks for it",
     CHARTER_CHECK_COMMITMENT, S_OUT(PASS) | S_OUT(FAIL)},
};

#define S_CRITERIA_COUNT (sizeof s_criteria / sizeof *s_criteria)
_Static_assert(S_CRITERIA_COUNT <= CHARTER_CRITERIA_MAX, "CHARTER_CRITERIA_MAX too small");

const char *criterion_outcome_name(criterion_outcome_t outcome)
{
    switch (outcome) {
    case CRITERION_PASS:   return "pass";
    case CRITERION_FAIL:   return "fail";
    case CRITERION_REVIEW: return "review";
    case CRITERION_WARN:   return "warn";
    }
    return "unknown";
}

const char *criterion_outcome_label(criterion_outcome_t outcome)
{
    switch (outcome) {
    case CRITERION_PASS:   return "conforme";
    case CRITERION_FAIL:   return "non conforme";
    case CRITERION_REVIEW: return "à examiner par le comité";
    case CRITERION_WARN:   return "point d'attention";
    }
    return "inconnu";
}

const char *charter_verdict_name(charter_verdict_t verdict)
{
    return verdict == CHARTER_VERDICT_INCOMPLETE ? "incomplete" : "review";
}

size_t charter_criteria(const charter_criterion_t **out)
{
    if (out)
        *out = s_criteria;
    return S_CRITERIA_COUNT;
}

const charter_criterion_t *charter_criterion_find(const char *code)
{
    for (size_t i = 0; code && i < S_CRITERIA_COUNT; i++)
        if (strcmp(s_criteria[i].code, code) == 0)
            return &s_criteria[i];
    return NULL;
}
