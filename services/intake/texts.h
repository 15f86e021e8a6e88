/*  services/intake/texts.h - the sentences an applicant reads on intake's
 *  pages, in one place so that a proofreader can read them all.
 *
 *  What is here: where an application stands (one sentence per state),
 *  the committee's decisions and the outcomes of the charter as words,
 *  what happens next and how the applicant hears back, the notice on
 *  personal data (RGPD, article 13), and the answers of the check before
 *  sending.  The form's labels are in fields.c (web_fields, web_groups,
 *  web_arrays), their help texts in proto/application.schema.json
 *  ("description"), the charter's criteria and reasons in
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

#endif
