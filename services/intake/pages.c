/*  services/intake/pages.c - see pages.h. */
#include "pages.h"
#include "fields.h"
#include "form.h"

#include "common/html.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proto/charter.h"

/*  The static files, compiled in (CMakeLists.txt, essp_embed). */
extern const unsigned char web_static_css[];
extern const size_t web_static_css_size;
extern const unsigned char web_static_js[];
extern const size_t web_static_js_size;

void pages_head(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", out);
    html_escape_z(out, title);
    fputs(" — Annuaire ESS Pratiques</title>\n<link rel=\"stylesheet\" href=\"/static/essp.css\">\n"
          "<script src=\"/static/essp.js\" defer></script>\n</head>\n<body>\n"
          "<header class=\"site\"><p><a href=\"/\">ESS Pratiques</a> · Annuaire des accompagnateurs "
          "et formateurs de l'ESS</p></header>\n<main id=\"contenu\">\n", out);
}

void pages_foot(FILE *out)
{
    fputs("</main>\n<footer class=\"site\"><p>ESS Pratiques — CRESS Pays de la Loire. "
          "<a href=\"/charte\">La charte</a></p></footer>\n</body>\n</html>\n", out);
}

void web_page_receipt(FILE *out, const char *id, const char *token, bool duplicate, int64_t at)
{
    pages_head(out, "Candidature reçue");
    fputs("<h1>Candidature reçue</h1>\n<p class=\"lead\">", out);
    fputs(duplicate ? "Cette candidature était déjà enregistrée : " : "Votre candidature est enregistrée : ", out);
    fputs("dossier n° <strong class=\"id\">", out);
    html_escape_z(out, id);
    fputs("</strong>, le ", out);
    pages_date(out, (uint64_t)at);
    fputs(".</p>\n<div class=\"token-box\">\n<p>Votre code de suivi personnel :</p>\n"
          "<p><code class=\"token\">", out);
    html_escape_z(out, token);
    fputs("</code></p>\n<p>Conservez-le : il vous sera demandé pour suivre et modifier votre dossier. "
          "Le lien de suivi est aussi envoyé par courriel à la personne à contacter pour le dossier ; "
          "si vous le perdez, <a href=\"/suivi/lien-perdu\">demandez un nouveau lien de suivi</a>.</p>\n</div>\n"
          "<p>Lien de suivi, à garder dans vos favoris : <a class=\"follow\" href=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("#jeton=", out);
    html_escape_z(out, token);
    fputs("\">suivre le dossier ", out);
    html_escape_z(out, id);
    fputs("</a></p>\n<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\">\n<input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\">\n<button type=\"submit\" class=\"primary\">Voir où en est ma candidature</button>\n</form>\n", out);
    pages_foot(out);
}

void web_page_follow(FILE *out, const char *id, const char *notice)
{
    pages_head(out, "Suivre une candidature");
    fputs("<h1>Suivre une candidature</h1>\n", out);
    if (notice) {
        fputs("<div class=\"summary\" role=\"alert\"><p>", out);
        html_escape_z(out, notice);
        fputs("</p></div>\n", out);
    }
    fputs("<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\" class=\"follow-form\">\n<p>Dossier n° <strong class=\"id\">", out);
    html_escape_z(out, id);
    fputs("</strong></p>\n<div class=\"field\">\n<label for=\"jeton\">Code de suivi</label>\n"
          "<p class=\"help\" id=\"h-jeton\">Le code reçu lors du dépôt de la candidature.</p>\n"
          "<input type=\"text\" id=\"jeton\" name=\"jeton\" autocomplete=\"off\" spellcheck=\"false\" "
          "aria-describedby=\"h-jeton\">\n</div>\n"
          "<p class=\"actions\"><button type=\"submit\" class=\"primary\">Voir le dossier</button></p>\n"
          "</form>\n<p><a href=\"/suivi/lien-perdu\">J'ai perdu mon lien de suivi</a></p>\n", out);
    pages_foot(out);
}

void web_page_lost_link(FILE *out, const char *notice)
{
    pages_head(out, "Lien de suivi perdu");
    fputs("<h1>J'ai perdu mon lien de suivi</h1>\n", out);
    if (notice) {
        fputs("<div class=\"summary\" role=\"alert\"><p>", out);
        html_escape_z(out, notice);
        fputs("</p></div>\n", out);
    }
    fputs("<p class=\"lead\">Indiquez l'adresse électronique de la personne à contacter pour le dossier, "
          "telle qu'elle figure dans la candidature. Si une candidature en cours ou publiée y correspond, "
          "un nouveau lien de suivi y sera envoyé et l'ancien ne fonctionnera plus.</p>\n"
          "<form method=\"post\" action=\"/suivi/lien-perdu\" class=\"follow-form\">\n"
          "<div class=\"field\">\n<label for=\"courriel\">Adresse électronique</label>\n"
          "<p class=\"help\" id=\"h-courriel\">Par exemple : prenom.nom@exemple.fr</p>\n"
          "<input type=\"email\" id=\"courriel\" name=\"courriel\" autocomplete=\"email\" required "
          "maxlength=\"254\" spellcheck=\"false\" aria-describedby=\"h-courriel\">\n</div>\n"
          "<p class=\"actions\"><button type=\"submit\" class=\"primary\">Recevoir un nouveau lien</button></p>\n"
          "</form>\n", out);
    pages_foot(out);
}

void pages_date(FILE *out, uint64_t at)
{
    char text[64];
    if (date_french((int64_t)at, text, sizeof text) > 0)
        html_escape_z(out, text);
}

void web_page_amended(FILE *out, const char *id, const char *token, unsigned long revision)
{
    pages_head(out, "Modification reçue");
    (void)revision;    /* a number for the protocol, not for the applicant */
    fputs("<h1>Modification reçue</h1>\n<p class=\"lead\">Votre modification du dossier n° "
          "<strong class=\"id\">", out);
    html_escape_z(out, id);
    fputs("</strong> est enregistrée ; elle va être vérifiée de nouveau.</p>\n<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\">\n<input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\">\n<button type=\"submit\" class=\"primary\">Voir où en est ma candidature</button>\n</form>\n", out);
    pages_foot(out);
}

void web_page_updated(FILE *out, const char *id, const char *token, bool substantive)
{
    pages_head(out, "Mise à jour reçue");
    fputs("<h1>Mise à jour reçue</h1>\n<p class=\"lead\">La mise à jour de votre fiche (dossier n° "
          "<strong class=\"id\">", out);
    html_escape_z(out, id);
    fputs("</strong>) est enregistrée.</p>\n<p class=\"update-next\" data-substantive=\"", out);
    fputs(substantive ? "true\">Elle touche des points que le comité examine : le Comité scientifique et "
                        "éthique va l'examiner. Votre fiche reste en ligne, telle qu'elle est publiée, "
                        "jusqu'à sa décision.</p>\n"
                      : "false\">Elle ne touche que des informations pratiques : elle sera publiée dès que "
                        "la vérification de la charte sera terminée, sans examen par le comité.</p>\n", out);
    fputs("<form method=\"post\" action=\"/suivi/", out);
    html_escape_z(out, id);
    fputs("\">\n<input type=\"hidden\" name=\"jeton\" value=\"", out);
    html_escape_z(out, token);
    fputs("\">\n<button type=\"submit\" class=\"primary\">Voir où en est ma fiche</button>\n</form>\n", out);
    pages_foot(out);
}

void web_page_charter(FILE *out)
{
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    pages_head(out, "La charte");
    fputs("<h1>La charte d'ESS Pratiques</h1>\n<p class=\"lead\">Chaque candidature est vérifiée "
          "critère par critère au regard de ces engagements, puis examinée par le Comité scientifique "
          "et éthique.</p>\n", out);
    for (int article = 1; article <= 4; article++) {
        fprintf(out, "<section aria-labelledby=\"a%d\">\n<h2 id=\"a%d\">", article, article);
        html_escape_z(out, web_groups[article]);
        fputs("</h2>\n<dl class=\"criteria\">\n", out);
        for (size_t i = 0; i < count; i++) {
            if (criteria[i].article != article)
                continue;
            const char *how = strcmp(criteria[i].check, CHARTER_CHECK_AUTOMATIC) == 0 ? "vérifié automatiquement"
                              : strcmp(criteria[i].check, CHARTER_CHECK_COMMITMENT) == 0 ? "engagement à cocher"
                                                                                          : "examiné par le comité";
            fputs("<dt><span class=\"code\">", out);
            html_escape_z(out, criteria[i].code);
            fputs("</span></dt>\n<dd>", out);
            html_escape_z(out, criteria[i].title_fr);
            fprintf(out, " <em>(%s)</em></dd>\n", how);
        }
        fputs("</dl>\n</section>\n", out);
    }
    fputs("<p><a href=\"/\">Déposer une candidature</a></p>\n", out);
    pages_foot(out);
}

void web_page_message(FILE *out, const char *title, const char *text)
{
    pages_head(out, title);
    fputs("<h1>", out);
    html_escape_z(out, title);
    fputs("</h1>\n<p class=\"lead\">", out);
    html_escape_z(out, text);
    fputs("</p>\n<p><a href=\"/\">Revenir au formulaire de candidature</a></p>\n", out);
    pages_foot(out);
}

const char *web_static(const char *name, size_t *len, const char **content_type)
{
    if (strcmp(name, "essp.css") == 0) {
        *len = web_static_css_size;
        *content_type = "text/css; charset=utf-8";
        return (const char *)web_static_css;
    }
    if (strcmp(name, "essp.js") == 0) {
        *len = web_static_js_size;
        *content_type = "text/javascript; charset=utf-8";
        return (const char *)web_static_js;
    }
    return NULL;
}
