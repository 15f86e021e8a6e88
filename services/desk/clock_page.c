/*  services/desk/clock_page.c - see clock_page.h. */
#include "clock_page.h"
#include "french.h"

#include "common/config.h"
#include "common/html.h"
#include "proto/doc.h"

void clock_settings_read(clock_settings_t *self)
{
    self->quorum_votes = config_env_long("ESSP_QUORUM_VOTES", 3, 1, 1000);
    self->quorum_colleges = config_env_long("ESSP_QUORUM_COLLEGES", 2, 1, 3);
    self->listing_years = config_env_long("ESSP_LISTING_YEARS", 3, 1, 100);
    self->expiry_follows = config_env_long("ESSP_EXPIRY_FOLLOWS_CERTIFICATES", 1, 0, 1);
}

static void s_result(FILE *out, const msgpack_object *ticked)
{
    uint64_t now = 0;
    const msgpack_object *expired = doc_array(ticked, "expired");
    fputs("<section aria-labelledby=\"resultat\" class=\"notice\" role=\"status\">\n<h2 id=\"resultat\">Résultat</h2>\n<p>",
          out);
    if (doc_uint(ticked, "now", &now)) {
        fputs("À la date du ", out);
        french_datetime(out, now);
        fputs(" : ", out);
    }
    if (doc_len(expired) == 0) {
        fputs("aucune inscription n'était arrivée à échéance.</p>\n</section>\n", out);
        return;
    }
    fprintf(out, "%zu inscription%s retirée%s car arrivée%s à échéance :</p>\n<ul>\n", doc_len(expired),
            doc_len(expired) > 1 ? "s" : "", doc_len(expired) > 1 ? "s" : "", doc_len(expired) > 1 ? "s" : "");
    for (size_t i = 0; i < doc_len(expired); i++) {
        fputs("<li><a href=\"/admin/dossier/", out);
        french_str(out, doc_at(expired, i));
        fputs("\">", out);
        french_str(out, doc_at(expired, i));
        fputs("</a></li>\n", out);
    }
    fputs("</ul>\n</section>\n", out);
}

void clock_page_render(FILE *out, const clock_view_t *view)
{
    const clock_settings_t *s = &view->settings;
    if (view->error) {
        fputs("<p class=\"error\" role=\"alert\">", out);
        html_escape_z(out, view->error);
        fputs("</p>\n", out);
    }
    if (view->ticked)
        s_result(out, view->ticked);
    fputs("<section aria-labelledby=\"horloge\">\n<h2 id=\"horloge\">Échéance des inscriptions</h2>\n"
          "<p>Retire de l'annuaire les inscriptions dont la date de fin est passée. Cela se fait aussi "
          "chaque nuit ; le faire ici ne retire rien deux fois.</p>\n"
          "<form method=\"post\" action=\"/admin/horloge\">\n<input type=\"hidden\" name=\"csrf\" value=\"", out);
    html_escape_z(out, view->csrf);
    fputs("\">\n<div class=\"field\"><label for=\"jour\">À la date du (facultatif)</label>\n"
          "<p class=\"help\" id=\"h-jour\">Laissez vide pour aujourd'hui ; une date choisie compte à 0 h (UTC) "
          "ce jour-là.</p>\n<input type=\"date\" id=\"jour\" name=\"now\" aria-describedby=\"h-jour\"></div>\n"
          "<p class=\"actions\"><button type=\"submit\" class=\"primary\">Retirer les inscriptions échues</button>"
          "</p>\n</form>\n</section>\n", out);
    fprintf(out, "<section aria-labelledby=\"quorum\">\n<h2 id=\"quorum\">Les règles du comité</h2>\n"
                 "<dl class=\"fields\">\n<dt>Votes nécessaires pour décider un tour</dt><dd>%ld</dd>\n"
                 "<dt>Collèges différents parmi ces votes</dt><dd>%ld</dd>\n"
                 "<dt>Majorité</dt><dd>strictement plus de la moitié des votes du tour</dd>\n"
                 "<dt>Durée d'une inscription</dt><dd>%ld an%s</dd>\n"
                 "<dt>Fin anticipée avec l'agrément ESUS ou la certification Qualiopi</dt><dd>%s</dd>\n</dl>\n"
                 "<p class=\"help\">Ces réglages sont lus par le service d'examen à son démarrage "
                 "(<code>ESSP_QUORUM_VOTES</code>, <code>ESSP_QUORUM_COLLEGES</code>, "
                 "<code>ESSP_LISTING_YEARS</code>, <code>ESSP_EXPIRY_FOLLOWS_CERTIFICATES</code> dans "
                 "<code>essp.conf</code>) ; pour les changer, l'équipe technique modifie ce fichier puis "
                 "redémarre les services.</p>\n</section>\n",
            s->quorum_votes, s->quorum_colleges, s->listing_years, s->listing_years > 1 ? "s" : "",
            s->expiry_follows ? "oui" : "non");
}
