/*  services/intake/texts.c - see texts.h. */
#include "texts.h"
#include "fields.h"

#include "common/html.h"
#include "proto/date.h"
#include "proto/schema.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

static const struct {
    const char *state, *label, *sentence;
} s_states[] = {
    {"received", "Reçue",
     "Votre dossier est enregistré : la vérification automatique de la charte est en cours, "
     "revenez sur cette page dans quelques instants."},
    {"incomplete", "Incomplète",
     "Votre dossier ne remplit pas encore certains critères de la charte : corrigez les points "
     "signalés plus bas, puis envoyez la modification."},
    {"in_review", "En cours d'examen",
     "Votre dossier est complet : le Comité scientifique et éthique l'examinera lors de sa "
     "prochaine réunion ; vous n'avez rien à faire d'ici là."},
    {"changes_requested", "Modifications demandées",
     "Le comité vous demande de modifier votre dossier : lisez ses motivations ci-dessous, "
     "corrigez votre dossier et envoyez-le de nouveau."},
    {"rejected", "Refusée",
     "Le comité a refusé votre candidature ; ses motivations sont ci-dessous, et vous pouvez "
     "faire appel une fois de sa décision."},
    {"approved", "Acceptée",
     "Le comité a accepté votre candidature : votre structure va être publiée dans l'annuaire, "
     "vous n'avez rien à faire."},
    {"published", "Publiée",
     "Votre structure figure dans l'annuaire d'ESS Pratiques."},
    {"suspended", "Suspendue",
     "Votre inscription est suspendue : une réclamation est examinée par le comité."},
    {"withdrawn", "Retirée", "Votre dossier a été retiré de l'annuaire."},
};

const char *texts_state_label(const char *state)
{
    for (size_t i = 0; i < sizeof s_states / sizeof *s_states; i++)
        if (strcmp(s_states[i].state, state) == 0)
            return s_states[i].label;
    return state;
}

const char *texts_state_sentence(const char *state)
{
    for (size_t i = 0; i < sizeof s_states / sizeof *s_states; i++)
        if (strcmp(s_states[i].state, state) == 0)
            return s_states[i].sentence;
    return "";
}

const char *texts_outcome(const char *outcome)
{
    if (strcmp(outcome, "pass") == 0)
        return "Conforme";
    if (strcmp(outcome, "fail") == 0)
        return "Non conforme";
    if (strcmp(outcome, "review") == 0)
        return "À examiner par le comité";
    if (strcmp(outcome, "warn") == 0)
        return "Point d'attention";
    return outcome;
}

const char *texts_decision(const char *decision)
{
    if (strcmp(decision, "approve") == 0)
        return "Candidature acceptée";
    if (strcmp(decision, "reject") == 0)
        return "Candidature refusée";
    if (strcmp(decision, "changes") == 0)
        return "Modifications demandées";
    if (strcmp(decision, "reinstate") == 0)
        return "Inscription rétablie";
    if (strcmp(decision, "withdraw") == 0)
        return "Inscription retirée";
    return decision;
}

const char *texts_round_kind(const char *kind)
{
    if (strcmp(kind, "appeal") == 0)
        return "appel, ";
    if (strcmp(kind, "complaint") == 0)
        return "réclamation, ";
    return "";
}

const char *texts_withdrawal(const char *kind)
{
    if (strcmp(kind, "erased") == 0)
        return "Les données personnelles de ce dossier ont été effacées à votre demande ; il ne reste "
               "que son numéro, ses dates et les décisions du comité.";
    if (strcmp(kind, "expired") == 0)
        return "L'inscription a expiré : pour figurer de nouveau dans l'annuaire, déposez une "
               "candidature de renouvellement.";
    if (strcmp(kind, "renewed") == 0)
        return "Cette inscription a été remplacée par celle de son renouvellement.";
    return NULL;
}

/*  What comes next, by state: the step, and whether the committee's
 *  meetings matter to it. */
static const char *s_next(const char *state, bool *meetings)
{
    *meetings = false;
    if (strcmp(state, "received") == 0) {
        *meetings = true;
        return "Dès que la vérification automatique est terminée, un dossier complet est transmis au "
               "Comité scientifique et éthique, qui l'examine lors de sa prochaine réunion.";
    }
    if (strcmp(state, "incomplete") == 0 || strcmp(state, "changes_requested") == 0) {
        *meetings = true;
        return "Une fois votre modification envoyée, le dossier est vérifié de nouveau ; s'il est "
               "complet, le comité l'examine lors de sa prochaine réunion.";
    }
    if (strcmp(state, "in_review") == 0 || strcmp(state, "suspended") == 0) {
        *meetings = true;
        return "Le comité rend sa décision lors de sa prochaine réunion.";
    }
    if (strcmp(state, "rejected") == 0) {
        *meetings = true;
        return "Si vous faites appel, le comité réexamine votre candidature lors de sa prochaine "
               "réunion.";
    }
    if (strcmp(state, "approved") == 0)
        return "Votre fiche paraît dans l'annuaire dans les minutes qui suivent la décision.";
    if (strcmp(state, "published") == 0)
        return "Votre fiche reste publiée jusqu'à la fin de validité de l'inscription ; vous serez "
               "prévenu avant son échéance pour la renouveler.";
    return "Ce dossier est clos.";
}

void texts_next_steps(FILE *out, const web_settings_t *settings, const char *state, int64_t now,
                      const char *email)
{
    bool meetings;
    fputs("<section aria-labelledby=\"ensuite\" class=\"next\">\n<h2 id=\"ensuite\">Et ensuite ?</h2>\n<p>", out);
    html_escape_z(out, s_next(state, &meetings));
    fputs("</p>\n", out);
    if (meetings) {
        int32_t today = (int32_t)((now + date_paris_offset(now)) / 86400);
        size_t shown = 0;
        for (size_t i = 0; i < settings->meeting_count; i++) {
            if (settings->meetings[i] < today)
                continue;
            char day[48];
            date_french_day(settings->meetings[i], day, sizeof day);
            char iso[11];
            date_format(settings->meetings[i], iso);
            fputs(shown++ ? "<li>" : "<p>Prochaines réunions du comité :</p>\n<ul class=\"meetings\">\n<li>", out);
            fprintf(out, "<time datetime=\"%s\">", iso);
            html_escape_z(out, day);
            fputs("</time></li>\n", out);
        }
        if (shown)
            fputs("</ul>\n", out);
        else
            fputs("<p class=\"meetings\">Aucune date n'est encore fixée pour les prochaines réunions "
                  "du comité.</p>\n", out);
    }
    fputs("<p class=\"hear-back\">Vous serez prévenu par courriel à chaque étape", out);
    if (email && *email) {
        fputs(", à l'adresse <strong>", out);
        html_escape_z(out, email);
        fputs("</strong> indiquée pour la personne à contacter", out);
    }
    fputs(" ; cette page montre toujours où en est votre dossier.</p>\n</section>\n", out);
}

/*  Which fields of the schema are published: those marked x-public, or
 *  under an object marked so (what schema_pack_public keeps). */
typedef struct {
    char paths[160][96];         /* copies: the walk reuses its buffer */
    bool public[160];
    size_t count;
} s_marks_t;

static void s_mark(const char *path, bool is_public, const char *type, const char *description, void *arg)
{
    (void)type, (void)description;
    s_marks_t *marks = arg;
    if (marks->count < sizeof marks->paths / sizeof *marks->paths) {
        snprintf(marks->paths[marks->count], sizeof marks->paths[0], "%s", path);
        marks->public[marks->count++] = is_public;
    }
}

static s_marks_t s_marks;

static void s_marks_load(void)
{
    schema_foreach_field(schema_application(), s_mark, &s_marks);
}

static bool s_marked_public(const s_marks_t *marks, const char *path)
{
    char prefix[160];
    size_t len = strlen(path);
    for (size_t end = 1; end <= len; end++) {
        if (end < len && path[end] != '.')
            continue;
        snprintf(prefix, sizeof prefix, "%.*s", (int)end, path);
        for (size_t i = 0; i < marks->count; i++)
            if (marks->public[i] && strcmp(marks->paths[i], prefix) == 0)
                return true;
    }
    return false;
}

static void s_field_list(FILE *out, const s_marks_t *marks, bool published)
{
    fputs("<ul class=\"", out);
    fputs(published ? "published" : "private", out);
    fputs("\">\n", out);
    for (size_t f = 0; f < WEB_FIELD_COUNT; f++) {
        if (!web_fields[f].label || s_marked_public(marks, web_fields[f].path) != published)
            continue;
        size_t prefix;
        int a = fields_array_of(web_fields[f].path, &prefix);
        fputs("<li>", out);
        if (a >= 0) {
            html_escape_z(out, web_arrays[a].row_label);
            fputs(" : ", out);
        }
        html_escape_z(out, web_fields[f].label);
        fputs("</li>\n", out);
    }
    if (!published)
        fputs("<li>Vos engagements envers la charte, et les avis et votes du comité</li>\n", out);
    fputs("</ul>\n", out);
}

void texts_privacy_notice(FILE *out, const web_settings_t *settings)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, s_marks_load);     /* the schema is fixed: walked once */
    const s_marks_t *marks = &s_marks;
    fputs("<section aria-labelledby=\"donnees\" class=\"privacy\">\n"
          "<h2 id=\"donnees\">Vos données personnelles</h2>\n"
          "<p>Le responsable du traitement est la Chambre régionale de l'économie sociale et solidaire "
          "(CRESS) des Pays de la Loire, qui tient l'annuaire d'ESS Pratiques.</p>\n"
          "<p>Les informations de votre candidature servent à vérifier qu'elle respecte la charte, à la "
          "faire examiner par le Comité scientifique et éthique, à vous écrire au sujet de votre dossier "
          "et, si elle est acceptée, à publier votre fiche dans l'annuaire. Ce traitement repose sur "
          "votre demande de référencement.</p>\n"
          "<details>\n<summary>Ce qui est publié dans l'annuaire si votre candidature est acceptée"
          "</summary>\n", out);
    s_field_list(out, marks, true);
    fputs("</details>\n<details>\n<summary>Ce qui n'est jamais publié (lu seulement par l'équipe de la "
          "CRESS et le comité)</summary>\n", out);
    s_field_list(out, marks, false);
    fprintf(out, "</details>\n<p>Vos données sont conservées tant que votre dossier est ouvert ou votre "
                 "fiche publiée, puis %d an%s après la fin de l'inscription (ou après la dernière décision "
                 "du comité, si votre structure n'a pas été publiée), sauf si vous en demandez "
                 "l'effacement avant.</p>\n",
            settings->retention_years, settings->retention_years > 1 ? "s" : "");
    fputs("<p>Vous pouvez à tout moment consulter, faire corriger ou faire effacer vos données : écrivez "
          "à <a href=\"mailto:", out);
    html_escape_z(out, settings->contact_email);
    fputs("\">", out);
    html_escape_z(out, settings->contact_email);
    fputs("</a> en indiquant le numéro de votre dossier. L'équipe de la CRESS efface alors les données "
          "personnelles du dossier et retire votre fiche de l'annuaire ; il ne reste que le numéro du "
          "dossier, ses dates et les décisions du comité. Vous pouvez aussi saisir la Commission "
          "nationale de l'informatique et des libertés (CNIL).</p>\n</section>\n", out);
}
