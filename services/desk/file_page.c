/*  services/desk/file_page.c - see file_page.h. */
#include "file_page.h"
#include "application_view.h"
#include "french.h"
#include "queue_page.h"

#include "common/html.h"
#include "proto/doc.h"

#include <string.h>

static const char *const s_review_choices[] = {"approve", "changes", "reject", NULL};
static const char *const s_complaint_choices[] = {"reinstate", "withdraw", NULL};

bool file_vote_allowed(const char *kind, const char *decision)
{
    const char *const *choices = strcmp(kind, "complaint") == 0 ? s_complaint_choices : s_review_choices;
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(choices[i], decision) == 0)
            return true;
    return false;
}

bool file_vote_needs_motivation(const char *decision)
{
    return strcmp(decision, "approve") != 0 && strcmp(decision, "reinstate") != 0;
}

const char *file_vote_check(const char *kind, const char *decision, const char *motivation)
{
    if (!decision || !file_vote_allowed(kind, decision))
        return strcmp(kind, "complaint") == 0
                   ? "Dans un tour de réclamation, choisissez « Rétablir l'inscription » ou « Retirer "
                     "l'inscription »."
                   : "Choisissez « Approuver », « Demander des modifications » ou « Refuser ».";
    if (file_vote_needs_motivation(decision)
        && (!motivation || strspn(motivation, " \t\r\n") == strlen(motivation)))
        return "Cette décision demande une motivation écrite, que la structure lira : écrivez-la dans le "
               "champ « Motivation », puis votez de nouveau.";
    return NULL;
}

/* ------------------------------------------------------------------ parts */

static void s_head(FILE *out, const msgpack_object *item)
{
    char kind[16];
    uint64_t round = 0, revision = 0;
    doc_uint(item, "round", &round);
    doc_uint(item, "revision", &revision);
    french_copy(item, "kind", kind, sizeof kind);
    /* The frame writes the title: the applicant's name. */
    fputs("<p class=\"lead\">Dossier n° <strong class=\"id\">", out);
    french_field(out, item, "id");
    fprintf(out, "</strong> · tour %llu (", (unsigned long long)round);
    html_escape_z(out, french_round_kind(kind));
    fprintf(out, ") · révision %llu</p>\n", (unsigned long long)revision);
    if (doc_get(item, "renews")) {
        fputs("<p class=\"notice\">Cette candidature renouvelle l'inscription n° ", out);
        french_field(out, item, "renews");
        fputs(".</p>\n", out);
    }
    if (strcmp(kind, "appeal") == 0) {
        fputs("<section class=\"round-why\" aria-labelledby=\"appel\"><h2 id=\"appel\">L'appel de la "
              "structure</h2>\n<p class=\"long\">", out);
        french_field(out, item, "appeal");
        fputs("</p>\n<p>Tout membre non récusé peut voter, y compris celles et ceux qui ont voté au tour "
              "précédent.</p></section>\n", out);
    } else if (strcmp(kind, "complaint") == 0) {
        fputs("<section class=\"round-why\" aria-labelledby=\"plainte\"><h2 id=\"plainte\">La réclamation"
              "</h2>\n<p class=\"long\">", out);
        french_field(out, item, "complaint");
        fputs("</p>\n<p>L'inscription est suspendue jusqu'à la décision du comité.</p></section>\n", out);
    }
}

static void s_votes(FILE *out, const msgpack_object *item)
{
    const msgpack_object *votes = doc_array(item, "votes");
    fputs("<section aria-labelledby=\"votes\">\n<h2 id=\"votes\">Les votes de ce tour</h2>\n", out);
    if (doc_len(votes) == 0) {
        fputs("<p>Personne n'a encore voté dans ce tour.</p>\n</section>\n", out);
        return;
    }
    fputs("<ul class=\"votes\">\n", out);
    for (size_t i = 0; i < doc_len(votes); i++) {
        const msgpack_object *v = doc_at(votes, i);
        char decision[16], college[24];
        french_copy(v, "decision", decision, sizeof decision);
        french_copy(v, "college", college, sizeof college);
        fputs("<li><strong>", out);
        french_field(out, v, "member");
        fputs("</strong> (", out);
        html_escape_z(out, french_college(college));
        fprintf(out, ") : <span class=\"decision decision-%s\">", french_word(decision));
        html_escape_z(out, french_choice(decision));
        fputs("</span>", out);
        if (doc_get(v, "motivation")) {
            fputs("<p class=\"long\">", out);
            french_field(out, v, "motivation");
            fputs("</p>", out);
        }
        fputs("</li>\n", out);
    }
    fputs("</ul>\n</section>\n", out);
}

static void s_conflicts(FILE *out, const msgpack_object *item)
{
    bool recused = doc_bool(item, "recused", false);
    fputs("<section aria-labelledby=\"conflits\">\n<h2 id=\"conflits\">Vos conflits d'intérêts</h2>\n", out);
    if (!recused && doc_len(doc_array(item, "conflicts")) == 0) {
        fputs("<p>Aucun lien n'a été détecté entre vous et les parties de ce dossier (la structure, ses "
              "clients de référence, les organisations et réseaux qu'elle déclare).</p>\n</section>\n", out);
        return;
    }
    fputs("<p class=\"error\" role=\"alert\">Vous êtes récusé·e sur ce dossier : vous ne pouvez pas voter.</p>\n",
          out);
    queue_page_recusal(out, item);
    fputs("</section>\n", out);
}

static void s_vote_form(FILE *out, const file_view_t *view, const char *kind)
{
    const char *const *choices = strcmp(kind, "complaint") == 0 ? s_complaint_choices : s_review_choices;
    fputs("<section aria-labelledby=\"voter\">\n<h2 id=\"voter\">Voter</h2>\n"
          "<form method=\"post\" action=\"/comite/vote\" class=\"vote\">\n"
          "<input type=\"hidden\" name=\"csrf\" value=\"", out);
    html_escape_z(out, view->csrf);
    fputs("\">\n<input type=\"hidden\" name=\"id\" value=\"", out);
    french_field(out, view->item, "id");
    /* The round read goes with the vote: review refuses it once another
     * round has opened, rather than count it for a revision not read. */
    uint64_t round = 0;
    if (doc_uint(view->item, "round", &round))
        fprintf(out, "\">\n<input type=\"hidden\" name=\"round\" value=\"%llu", (unsigned long long)round);
    fputs("\">\n<div class=\"field\"><label for=\"motivation\">Motivation</label>\n"
          "<p class=\"help\" id=\"h-motivation\">", out);
    fputs(strcmp(kind, "complaint") == 0
              ? "Obligatoire pour retirer l'inscription, facultative pour la rétablir. "
              : "Obligatoire pour refuser ou demander des modifications, facultative pour approuver. ", out);
    fputs("La structure la lira.</p>\n<textarea id=\"motivation\" name=\"motivation\" rows=\"5\" maxlength=\"4000\" "
          "required aria-describedby=\"h-motivation\">", out);
    html_escape_z(out, view->motivation);
    fputs("</textarea></div>\n<p class=\"actions choices\">\n", out);
    for (size_t i = 0; choices[i]; i++)
        fprintf(out, "<button type=\"submit\" name=\"decision\" value=\"%s\" class=\"decision-%s\"%s>%s</button>\n",
                choices[i], choices[i], file_vote_needs_motivation(choices[i]) ? "" : " formnovalidate",
                french_choice(choices[i]));
    fputs("</p>\n</form>\n</section>\n", out);
}

static void s_recusal_form(FILE *out, const file_view_t *view)
{
    fputs("<section aria-labelledby=\"recusation\">\n<h2 id=\"recusation\">Me récuser</h2>\n"
          "<p>Si vous avez un lien avec cette structure que le système n'a pas détecté, récusez-vous avant "
          "de voter. La récusation vaut aussi pour les tours suivants de ce dossier.</p>\n"
          "<form method=\"post\" action=\"/comite/recusation\">\n<input type=\"hidden\" name=\"csrf\" value=\"", out);
    html_escape_z(out, view->csrf);
    fputs("\">\n<input type=\"hidden\" name=\"id\" value=\"", out);
    french_field(out, view->item, "id");
    fputs("\">\n<div class=\"field\"><label for=\"raison\">Motif de la récusation</label>\n"
          "<textarea id=\"raison\" name=\"reason\" rows=\"3\" maxlength=\"4000\" required>", out);
    html_escape_z(out, view->reason);
    fputs("</textarea></div>\n<p class=\"actions\"><button type=\"submit\">Me récuser</button></p>\n"
          "</form>\n</section>\n", out);
}

/* ------------------------------------------------------------------ rounds */

static bool s_is_decided(const msgpack_object *event)
{
    return !doc_get(event, "type") || doc_str_eq(event, "type", "decided");
}

void file_page_rounds(FILE *out, const msgpack_object *rounds)
{
    size_t shown = 0;
    fputs("<section aria-labelledby=\"tours\">\n<h2 id=\"tours\">Les décisions du comité, tour par tour</h2>\n<ol class=\"rounds\">\n",
          out);
    for (size_t i = 0; i < doc_len(rounds); i++) {
        const msgpack_object *r = doc_at(rounds, i);
        if (!s_is_decided(r))
            continue;
        char kind[16] = "review", decision[16];
        uint64_t round = 0, revision = 0, at = 0;
        doc_uint(r, "round", &round);
        doc_uint(r, "revision", &revision);
        if (doc_get(r, "kind"))
            french_copy(r, "kind", kind, sizeof kind);
        french_copy(r, "decision", decision, sizeof decision);
        fprintf(out, "<li><p><strong>Tour %llu (", (unsigned long long)round);
        html_escape_z(out, french_round_kind(kind));
        fprintf(out, ", révision %llu) : ", (unsigned long long)revision);
        html_escape_z(out, french_decision(decision));
        fputs("</strong>", out);
        if (doc_uint(r, "at", &at)) {
            fputs(", le ", out);
            french_datetime(out, at);
        }
        fputs("</p>\n", out);
        const msgpack_object *voters = doc_array(r, "voters");
        for (size_t v = 0; v < doc_len(voters); v++) {
            fputs(v ? ", " : "<p class=\"facts\">Votants : ", out);
            french_str(out, doc_at(voters, v));
        }
        fputs(doc_len(voters) ? ".</p>\n" : "", out);
        const msgpack_object *motivations = doc_array(r, "motivations");
        if (doc_len(motivations)) {
            fputs("<ul class=\"motivations\">\n", out);
            for (size_t m = 0; m < doc_len(motivations); m++) {
                fputs("<li class=\"long\">« ", out);
                french_str(out, doc_at(motivations, m));
                fputs(" »</li>\n", out);
            }
            fputs("</ul>\n", out);
        }
        fputs("</li>\n", out);
        shown++;
    }
    fputs("</ol>\n", out);
    if (shown == 0)
        fputs("<p>Aucun tour n'a encore été décidé pour ce dossier.</p>\n", out);
    fputs("</section>\n", out);
}

void file_page_events(FILE *out, const msgpack_object *events)
{
    fputs("<section aria-labelledby=\"historique\">\n<h2 id=\"historique\">Historique</h2>\n<ol class=\"history\">\n",
          out);
    for (size_t i = 0; i < doc_len(events); i++) {
        const msgpack_object *e = doc_at(events, i);
        char type[16], kind[16] = "", decision[16] = "";
        uint64_t at = 0, round = 0;
        french_copy(e, "type", type, sizeof type);
        french_copy(e, "kind", kind, sizeof kind);
        french_copy(e, "decision", decision, sizeof decision);
        doc_uint(e, "round", &round);
        fputs("<li><time>", out);
        if (doc_uint(e, "at", &at))
            french_datetime(out, at);
        fputs("</time> — ", out);
        if (strcmp(type, "queued") == 0) {
            fprintf(out, "ouverture du tour %llu (", (unsigned long long)round);
            html_escape_z(out, french_round_kind(kind[0] ? kind : "review"));
            fputc(')', out);
        } else if (strcmp(type, "decided") == 0) {
            fprintf(out, "tour %llu décidé : ", (unsigned long long)round);
            html_escape_z(out, french_decision(decision));
        } else if (strcmp(type, "withdrawn") == 0) {
            fputs(strcmp(kind, "suspended") == 0 ? "inscription suspendue : " : "dossier retiré : ", out);
            french_field(out, e, "reason");
        } else {
            fputs("données personnelles effacées", out);
        }
        fputs("</li>\n", out);
    }
    fputs("</ol>\n</section>\n", out);
}

void file_page_render(FILE *out, const file_view_t *view)
{
    char kind[16];
    french_copy(view->item, "kind", kind, sizeof kind);
    s_head(out, view->item);
    if (view->error)
        fputs("<p class=\"error\" role=\"alert\" id=\"erreur\">", out), html_escape_z(out, view->error),
            fputs("</p>\n", out);
    bool recused = doc_bool(view->item, "recused", false);
    /* Read first, vote last: the vote's form closes the page, and a link
     * leads straight to it. */
    if (!recused)
        fputs("<p class=\"jump\"><a href=\"#voter\">Aller au vote</a></p>\n", out);
    s_conflicts(out, view->item);
    s_votes(out, view->item);
    fputs("<section aria-labelledby=\"candidature\">\n<h2 id=\"candidature\">La candidature</h2>\n", out);
    application_view_render(out, doc_map(view->item, "application"), doc_map(view->item, "report"));
    fputs("</section>\n", out);
    if (view->rounds)
        file_page_rounds(out, view->rounds);
    if (view->events)
        file_page_events(out, view->events);
    if (!recused) {
        if (view->error)
            fputs("<p class=\"error\">", out), html_escape_z(out, view->error), fputs("</p>\n", out);
        s_vote_form(out, view, kind);
        s_recusal_form(out, view);
    }
}

/* ------------------------------------------------------------------ answers */

/*  The vote sent again (a form resent, a reload): nothing changed, and
 *  the round's decision, when there is one, may have come from others. */
static void s_vote_again(FILE *out, const msgpack_object *ack)
{
    char outcome[16];
    fputs("<p class=\"notice\" role=\"status\">Ce vote était déjà enregistré sur le dossier n° ", out);
    french_field(out, ack, "id");
    if (!doc_get(ack, "outcome")) {
        fputs(" ; rien n'a changé.</p>\n", out);
        return;
    }
    french_copy(ack, "outcome", outcome, sizeof outcome);
    fprintf(out, " ; le tour est décidé : <strong class=\"decision-%s\">", french_word(outcome));
    html_escape_z(out, french_decision(outcome));
    fputs("</strong>.</p>\n", out);
}

void file_page_vote_result(FILE *out, const msgpack_object *ack)
{
    char decision[16], outcome[16];
    uint64_t votes = 0, round = 0;
    if (doc_bool(ack, "duplicate", false)) {
        s_vote_again(out, ack);
        fputs("<p><a href=\"/comite\">Revenir à « Mes dossiers »</a></p>\n", out);
        return;
    }
    french_copy(ack, "decision", decision, sizeof decision);
    doc_uint(ack, "votes", &votes);
    doc_uint(ack, "round", &round);
    fputs("<p class=\"notice\" role=\"status\">Votre vote « ", out);
    html_escape_z(out, french_choice(decision));
    fputs(" » sur le dossier n° ", out);
    french_field(out, ack, "id");
    fprintf(out, " est enregistré : %llu vote%s dans le tour %llu.</p>\n", (unsigned long long)votes,
            votes > 1 ? "s" : "", (unsigned long long)round);
    if (doc_get(ack, "outcome")) {
        french_copy(ack, "outcome", outcome, sizeof outcome);
        fprintf(out, "<p class=\"outcome decision-%s\">Votre vote a décidé le tour : <strong>", french_word(outcome));
        html_escape_z(out, french_decision(outcome));
        fputs("</strong>.</p>\n", out);
    } else {
        fputs("<p>Le tour reste ouvert : il faut encore d'autres votes pour atteindre le quorum et une "
              "majorité.</p>\n", out);
    }
    fputs("<p><a href=\"/comite\">Revenir à « Mes dossiers »</a></p>\n", out);
}

void file_page_recusal_result(FILE *out, const msgpack_object *recused)
{
    fputs("<p class=\"notice\" role=\"status\">Vous êtes récusé·e sur le "
          "dossier n° ", out);
    french_field(out, recused, "id");
    fputs(" pour ce tour et les suivants. Votre motif : « ", out);
    french_field(out, recused, "reason");
    fputs(" ».</p>\n<p><a href=\"/comite\">Revenir à « Mes dossiers »</a></p>\n", out);
}
