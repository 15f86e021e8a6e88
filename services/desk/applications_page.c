/*  services/desk/applications_page.c - see applications_page.h. */
#include "applications_page.h"
#include "french.h"

#include "common/html.h"

#include <string.h>

/*  A query value in a link: letters and digits as they are, the rest %XX. */
static void s_url_value(FILE *out, const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; p && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'
            || *p == '-')
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

static void s_link(FILE *out, const applications_view_t *view, size_t offset, const char *label)
{
    fputs("<a href=\"/admin/candidatures?q=", out);
    s_url_value(out, view->query);
    fputs("&amp;etat=", out);
    s_url_value(out, view->state);
    fprintf(out, "&amp;depuis=%zu\">%s</a>", offset, label);
}

static void s_form(FILE *out, const applications_view_t *view)
{
    fputs("<form method=\"get\" action=\"/admin/candidatures\" class=\"filters\" role=\"search\">\n"
          "<div class=\"field\"><label for=\"q\">Nom, SIRET ou numéro de dossier</label>\n"
          "<input type=\"search\" id=\"q\" name=\"q\" value=\"", out);
    html_escape_z(out, view->query);
    fputs("\"></div>\n<div class=\"field\"><label for=\"etat\">État</label>\n<select id=\"etat\" name=\"etat\">\n"
          "<option value=\"\">Tous les états</option>\n", out);
    for (size_t i = 0; french_states[i].code; i++) {
        /* publication's stream is not read: a listed application is "approved" here. */
        if (strcmp(french_states[i].code, "published") == 0)
            continue;
        fprintf(out, "<option value=\"%s\"%s>%s</option>\n", french_states[i].code,
                view->state && strcmp(view->state, french_states[i].code) == 0 ? " selected" : "",
                strcmp(french_states[i].code, "approved") == 0 ? "Approuvée ou publiée" : french_states[i].label);
    }
    fputs("</select></div>\n<p class=\"actions\"><button type=\"submit\" class=\"primary\">Chercher</button> "
          "<a href=\"/admin/candidatures\">Tout afficher</a></p>\n</form>\n", out);
}

void applications_page_render(FILE *out, const applications_view_t *view)
{
    s_form(out, view);
    if (view->error) {
        fputs("<p class=\"error\" role=\"alert\">", out);
        html_escape_z(out, view->error);
        fputs("</p>\n", out);
    }
    if (view->matched == 0) {
        fputs("<p>Aucune candidature ne correspond à cette recherche.</p>\n", out);
        return;
    }
    fprintf(out, "<p>%zu candidature%s", view->matched, view->matched > 1 ? "s" : "");
    if (view->matched > view->count)
        fprintf(out, " ; de la %zu<sup>e</sup> à la %zu<sup>e</sup>", view->offset + 1, view->offset + view->count);
    fputs(".</p>\n<div class=\"table\"><table>\n<thead><tr><th scope=\"col\">Structure</th><th scope=\"col\">SIRET"
          "</th><th scope=\"col\">État</th><th scope=\"col\">Déposée le</th><th scope=\"col\">Dossier</th></tr></thead>\n"
          "<tbody>\n", out);
    for (size_t i = 0; i < view->count; i++) {
        const apps_row_t *r = &view->rows[i];
        fputs("<tr><th scope=\"row\"><a href=\"/admin/dossier/", out);
        html_escape_z(out, r->id);
        fputs("\">", out);
        if (r->name[0])
            html_escape_z(out, r->name);
        else
            fputs("(données effacées)", out);
        fputs("</a></th><td data-label=\"SIRET\">", out);
        html_escape_z(out, r->siret);
        fprintf(out, "</td><td data-label=\"État\"><span class=\"state state-%s\">", french_word(r->state));
        /* publication's stream is not read here: "approved" may be listed already. */
        html_escape_z(out, strcmp(r->state, "approved") == 0 ? "Approuvée ou publiée" : french_state(r->state));
        fputs("</span></td><td data-label=\"Déposée le\">", out);
        if (r->submitted_at)
            french_datetime(out, r->submitted_at);
        fputs("</td><td class=\"id\" data-label=\"Dossier\">", out);
        html_escape_z(out, r->id);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table></div>\n<p class=\"pages\">", out);
    if (view->offset > 0)
        s_link(out, view, view->offset > APPLICATIONS_PAGE_ROWS ? view->offset - APPLICATIONS_PAGE_ROWS : 0,
               "← Précédentes");
    if (view->offset + view->count < view->matched) {
        fputs(view->offset > 0 ? " · " : "", out);
        s_link(out, view, view->offset + view->count, "Suivantes →");
    }
    fputs("</p>\n", out);
}
