/*  services/intake/texts.h - the sentences an applicant reads on intake's
 *  pages, in one place so that a proofreader can read them all.
 *
 *  What is here: where an application stands (one sentence per state),
 *  the committee's decisions and the outcomes of the charter as words,
 *  what happens next and how the applicant hears back, the notice on
 *  personal data (RGPD, article 13), and the answers of the check before
 *  sending, and the short pages and notices of the gateway.  The form's
 *  labels are in fields.c (web_fields, web_groups, web_arrays), their
 *  help texts in proto/application.schema.json ("description"), the
 *  messages of a field that breaks the schema in form_check.c (s_message),
 *  the paragraphs of the receipt, the follow and lost-link pages, /charte
 *  and the form's introduction beside their HTML in pages.c and
 *  form_page.c, the refusals of too large or too many requests in
 *  request.c, the charter's criteria and reasons in
 *  proto/charter_criteria.c and proto/charter.c, the labels of codes in
 *  proto/labels.c.  Nothing here reads the clock or the environment: the
 *  settings and "now" are passed in.
 */
#ifndef ESSP_INTAKE_TEXTS_H
#define ESSP_INTAKE_TEXTS_H

#include "web.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*  The state of an application in a word ("Modifications demandées") and
 *  in one sentence that says what to do; the code itself and "" for a
 *  state this version does not know. */
const char *texts_state_label(const char *state);
const char *texts_state_sentence(const char *state);

/*  "Conforme", "Non conforme"... for a criterion's outcome code. */
const char *texts_outcome(const char *outcome);
/*  "Candidature acceptée"... for a committee's decision code. */
const char *texts_decision(const char *decision);
/*  "appel, ", "réclamation, " or "" for a round's kind. */
const char *texts_round_kind(const char *kind);
/*  Why a withdrawn file was withdrawn (erased, expired, renewed); NULL
 *  when the kind says nothing more. */
const char *texts_withdrawal(const char *kind);

/*  "Et ensuite ?": what happens next for this state, the committee's next
 *  meetings after `now` (or "Aucune date n'est encore fixée"), and how the
 *  applicant hears back (by e-mail at `email`, "" when unknown, and on the
 *  status page). */
void texts_next_steps(FILE *out, const web_settings_t *settings, const char *state, int64_t now,
                      const char *email);

/*  The notice on personal data: the controller, the purposes, what is
 *  published and what stays private (from the schema's x-public marks),
 *  how long data are kept, the right to erasure and how to use it. */
void texts_privacy_notice(FILE *out, const web_settings_t *settings);

/*  The pre-check's answer when no blocking criterion fails. */
#define TEXTS_CHECK_READY "Votre candidature remplit les critères que la vérification automatique " \
                          "peut contrôler : vous pouvez l'envoyer. Le Comité scientifique et éthique " \
                          "examinera ensuite son contenu."
/*  Its title when some fail (count, plural). */
#define TEXTS_CHECK_FAILED "La vérification signale des points à corriger avant l'envoi."

/*  Renewal from the status page: a listing that ends within 90 days, or
 *  has ended. */
#define TEXTS_RENEW_SOON "Votre inscription arrive à son terme. Pour rester dans l'annuaire, " \
    "renouvelez-la : votre dossier est repris ci-dessous, mettez-le à jour puis envoyez-le. Il est " \
    "vérifié puis examiné comme une première candidature ; votre inscription actuelle reste publiée " \
    "jusqu'à la décision."
#define TEXTS_RENEW_EXPIRED "Votre inscription a pris fin. Pour figurer de nouveau dans l'annuaire, " \
    "renouvelez-la : votre dossier est repris ci-dessous, mettez-le à jour puis envoyez-le. Il est " \
    "vérifié puis examiné comme une première candidature."

/*  Short pages and notices of the gateway (site.c, lost_link.c, http.c):
 *  a title, and what to do. */
#define TEXTS_UNREADABLE_TITLE "Formulaire illisible"
#define TEXTS_UNREADABLE "Le formulaire reçu n'a pas pu être lu. Revenez à la page de candidature et réessayez."
#define TEXTS_UNREADABLE_FIELD "Le formulaire reçu n'a pas pu être lu : le champ « %s » contient un " \
    "caractère qui ne peut pas être lu (un caractère nul). Corrigez ce champ, puis renvoyez le formulaire."
#define TEXTS_ALREADY_TITLE "Candidature déjà enregistrée"
#define TEXTS_ALREADY "Cette candidature est déjà enregistrée. Utilisez le lien de suivi reçu lors du dépôt."
#define TEXTS_UNKNOWN_FILE "Aucun dossier ne correspond à ce numéro et à ce code de suivi. Vérifiez le code reçu lors du dépôt."
#define TEXTS_TOKEN_MISSING "Indiquez votre code de suivi."
#define TEXTS_AMEND_REFUSED_TITLE "Modification impossible"
#define TEXTS_AMEND_REFUSED "Ce dossier ne peut pas être modifié dans son état actuel : seul un dossier " \
    "incomplet, ou dont le comité demande des modifications, peut l'être, et une fiche approuvée ou " \
    "publiée peut être mise à jour (pas pendant l'examen d'une réclamation)."
#define TEXTS_AMEND_SENT_TITLE "Formulaire déjà envoyé"
#define TEXTS_AMEND_SENT "Ce formulaire a déjà été envoyé et enregistré : il ne sert pas une seconde fois " \
    "avec d'autres réponses. Pour une nouvelle modification, rouvrez la page de suivi de votre dossier."

/*  Updating a listing from its status page (update.h): what happens to
 *  minor and to substantive changes, said before the form. */
#define TEXTS_UPDATE_INTRO "Votre fiche est reprise ci-dessous : corrigez ce qui a changé, puis envoyez. " \
    "La mise à jour est vérifiée au regard de la charte ; tant qu'elle n'est pas publiée, votre fiche " \
    "reste en ligne telle qu'elle est."
#define TEXTS_UPDATE_MINOR "Si vous ne changez que des informations pratiques (contacts, adresse, " \
    "site web, départements où vous intervenez, formats, personnes formées et dates de leur session, " \
    "agrément ESUS, numéro de déclaration d'activité, certificat Qualiopi), la mise à jour est publiée " \
    "aussitôt la vérification de la charte passée, sans examen par le comité."
#define TEXTS_UPDATE_SUBSTANTIVE "Si vous changez un point que le comité examine (nom ou statut " \
    "juridique, personne qui accompagne, principes de l'ESS, gouvernance, usage des excédents, " \
    "références, périmètre, thèmes, description de votre offre, liens déclarés), le Comité scientifique " \
    "et éthique examine la mise à jour ; votre fiche actuelle reste en ligne, inchangée, jusqu'à sa " \
    "décision, et elle le reste si le comité ne retient pas la mise à jour."
#define TEXTS_UPDATE_UNCHANGED "Cette mise à jour ne change rien à votre fiche : modifiez au moins un champ."
#define TEXTS_APPEAL_LONG_TITLE "Motivation trop longue"
#define TEXTS_APPEAL_LONG "La motivation dépasse 4000 octets : raccourcissez-la, puis envoyez de nouveau " \
    "votre appel depuis la page de suivi."
#define TEXTS_APPEAL_EMPTY_TITLE "Motivation manquante"
#define TEXTS_APPEAL_EMPTY "Expliquez pourquoi la décision devrait être réexaminée, puis envoyez de nouveau " \
    "votre appel depuis la page de suivi."
#define TEXTS_APPEAL_REFUSED_TITLE "Appel impossible"
#define TEXTS_APPEAL_REFUSED "Seule une candidature refusée peut faire l'objet d'un appel, et une seule fois."
#define TEXTS_NOT_FOUND_TITLE "Page introuvable"
#define TEXTS_NOT_FOUND "Cette page n'existe pas."
#define TEXTS_METHOD_TITLE "Méthode non permise"
#define TEXTS_METHOD "Cette adresse ne s'utilise pas ainsi."
#define TEXTS_LOST_UNREADABLE "Le formulaire reçu n'a pas pu être lu. Réessayez depuis cette page."
#define TEXTS_LOST_EMPTY "Indiquez l'adresse électronique de la personne à contacter pour le dossier."
#define TEXTS_LOST_LONG "Cette adresse est trop longue : 254 caractères au plus."
#define TEXTS_LOST_LIMITED "Trop de demandes de nouveau lien depuis votre connexion en moins d'une " \
    "heure. Réessayez plus tard."
#define TEXTS_LOST_BAD "Cette adresse n'a pas pu être lue. Vérifiez-la, puis réessayez."
#define TEXTS_LOST_SENT_TITLE "Demande reçue"
#define TEXTS_UNANSWERED_TITLE "Réponse en attente"
#define TEXTS_LOST_UNANSWERED "Le service n'a pas répondu à temps : un nouveau lien vous a peut-être été envoyé. " \
    "Consultez votre messagerie dans quelques minutes avant d'en demander un autre."

#endif
