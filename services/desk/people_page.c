/*  services/desk/people_page.c - see people_page.h. */
#include "people_page.h"
#include "french.h"

#include "common/html.h"
#include "proto/doc.h"

#include <string.h>

int people_split_lines(char *text, const char **lines, size_t cap)
{
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        if (!len)
            continue;
        if (n == cap)
            return -1;
        lines[n++] = line;
    }
    return (int)n;
}

/*  The member account of a name, among the desk's accounts: a staff
 *  person may bear the same name, and this row is the member's. */
static const msgpack_object *s_account(const msgpack_object *accounts, const msgpack_object *name)
{
    for (size_t i = 0; i < doc_len(accounts); i++) {
        const msgpack_object *a = doc_at(accounts, i), *n = doc_get(a, "name");
        if (n && name && n->type == MSGPACK_OBJECT_STR && name->type == MSGPACK_OBJECT_STR
            && n->via.str.size == name->via.str.size
            && memcmp(n->via.str.ptr, name->via.str.ptr, n->via.str.size) == 0 && doc_str_eq(a, "role", "member"))
            return a;
    }
    return NULL;
}

static void s_hidden(FILE *out, const char *name, const msgpack_object *value)
{
    fprintf(out, "<input type=\"hidden\" name=\"%s\" value=\"", name);
    french_str(out, value);
    fputs("\">", out);
}

static void s_action(FILE *out, const char *action, const char *label, const msgpack_object *name, const char *csrf)
{
    fprintf(out, "<form method=\"post\" action=\"%s\" class=\"inline\">", action);
    fputs("<input type=\"hidden\" name=\"csrf\" value=\"", out);
    html_escape_z(out, csrf);
    fputs("\">", out);
    s_hidden(out, "name", name);
    fprintf(out, "<button type=\"submit\">%s</button></form>\n", label);
}

static void s_account_state(FILE *out, const msgpack_object *account)
{
    if (!account) {
        fputs("<span class=\"account\">Pas de compte sur le bureau (outil essp seulement)</span>", out);
        return;
    }
    fputs("<span class=\"account\">", out);
    french_field(out, account, "email");
    fputs(doc_str_eq(account, "state", "active") ? " · compte actif" : " · invitation envoyée, pas encore acceptée", out);
    fputs("</span>", out);
}

static void s_member(FILE *out, const msgpack_object *m, const people_view_t *view)
{
    char college[24];
    uint64_t added = 0;
    const msgpack_object *name = doc_get(m, "name"), *account = s_account(view->accounts, name);
    french_copy(m, "college", college, sizeof college);
    fputs("<tr><th scope=\"row\">", out);
    french_str(out, name);
    fputs("<br>", out);
    s_account_state(out, account);
    fputs("</th><td data-label=\"Collège\">", out);
    html_escape_z(out, french_college(college));
    fputs("</td><td data-label=\"Liens\">", out);
    const msgpack_object *ties = doc_array(m, "ties"), *networks = doc_array(m, "networks");
    for (size_t i = 0; i < doc_len(ties); i++) {
        fputs(i ? ", " : "SIREN ", out);
        french_str(out, doc_at(ties, i));
    }
    for (size_t i = 0; i < doc_len(networks); i++) {
        fputs(i ? " ; " : (doc_len(ties) ? "<br>Réseaux : " : "Réseaux : "), out);
        french_str(out, doc_at(networks, i));
    }
    if (!doc_len(ties) && !doc_len(networks))
        fputs("Aucun", out);
    fputs("</td><td data-label=\"Ajouté le\">", out);
    if (doc_uint(m, "added_at", &added))
        french_day(out, added - added % 86400);
    fputs("</td><td class=\"actions\" data-label=\"Actions\">", out);
    if (account && !doc_str_eq(account, "state", "active"))
        s_action(out, "/admin/personnes/invitation", "Renvoyer l'invitation", name, view->csrf);
    s_action(out, "/admin/personnes/cles", "Nouvelles clés", name, view->csrf);
    s_action(out, "/admin/personnes/retrait", "Retirer du comité…", name, view->csrf);
    fputs("</td></tr>\n", out);
}

static void s_staff(FILE *out, const people_view_t *view)
{
    size_t shown = 0;
    for (size_t i = 0; i < doc_len(view->accounts); i++) {
        const msgpack_object *a = doc_at(view->accounts, i);
        if (!doc_str_eq(a, "role", "staff"))
            continue;
        if (!shown++)
            fputs("<h2 id=\"equipe\">L'équipe de la CRESS</h2>\n<ul class=\"staff\">\n", out);
        fputs("<li>", out);
        french_field(out, a, "name");
        fputs(" — ", out);
        s_account_state(out, a);
        fputs("</li>\n", out);
    }
    if (shown)
        fputs("</ul>\n", out);
}

static void s_text_input(FILE *out, const char *id, const char *label, const char *type, const char *value,
                         const char *help, bool required)
{
    fprintf(out, "<div class=\"field\"><label for=\"%s\">%s</label>\n", id, label);
    if (help)
        fprintf(out, "<p class=\"help\" id=\"h-%s\">%s</p>\n", id, help);
    fprintf(out, "<input type=\"%s\" id=\"%s\" name=\"%s\"%s%s%s%s value=\"", type, id, id,
            required ? " required" : "", help ? " aria-describedby=\"h-" : "", help ? id : "", help ? "\"" : "");
    html_escape_z(out, value);
    fputs("\"></div>\n", out);
}

static void s_add_form(FILE *out, const people_view_t *view)
{
    const people_form_t none = {0}, *f = view->form ? view->form : &none;
    fputs("<section aria-labelledby=\"ajout\">\n<h2 id=\"ajout\">Ajouter une personne</h2>\n"
          "<form method=\"post\" action=\"/admin/personnes\" class=\"add-person\">\n"
          "<input type=\"hidden\" name=\"csrf\" value=\"", out);
    html_escape_z(out, view->csrf);
    fputs("\">\n", out);
    s_text_input(out, "nom", "Nom et prénom", "text", f->name,
                 "Tel qu'il apparaîtra aux autres membres et dans l'historique des dossiers.", true);
    s_text_input(out, "courriel", "Adresse électronique", "email", f->email,
                 "L'invitation à créer son mot de passe y est envoyée.", true);
    fputs("<div class=\"field\"><label for=\"role\">Rôle</label>\n<select id=\"role\" name=\"role\">\n", out);
    fprintf(out, "<option value=\"member\"%s>Membre du comité</option>\n",
            f->role && strcmp(f->role, "staff") == 0 ? "" : " selected");
    fprintf(out, "<option value=\"staff\"%s>Équipe de la CRESS</option>\n</select></div>\n",
            f->role && strcmp(f->role, "staff") == 0 ? " selected" : "");
    fputs("<div class=\"field\"><label for=\"college\">Collège (membres du comité)</label>\n"
          "<select id=\"college\" name=\"college\">\n", out);
    for (size_t c = 0; french_colleges[c].code; c++)
        fprintf(out, "<option value=\"%s\"%s>%s</option>\n", french_colleges[c].code,
                f->college && strcmp(f->college, french_colleges[c].code) == 0 ? " selected" : "",
                french_colleges[c].label);
    fputs("</select></div>\n<div class=\"field\"><label for=\"liens\">Organisations liées (SIREN ou SIRET, "
          "une par ligne)</label>\n<p class=\"help\" id=\"h-liens\">Un membre lié à une partie d'un dossier "
          "(la structure, un client de référence, une organisation qu'elle déclare) en est récusé.</p>\n"
          "<textarea id=\"liens\" name=\"ties\" rows=\"3\" aria-describedby=\"h-liens\">", out);
    html_escape_z(out, f->ties);
    fputs("</textarea></div>\n<div class=\"field\"><label for=\"reseaux\">Réseaux (un par ligne)</label>\n"
          "<p class=\"help\" id=\"h-reseaux\">Un membre d'un réseau que déclare une candidature en est "
          "récusé. Les réseaux de la liste sont reconnus sous leur sigle comme sous leur nom complet ; "
          "un autre nom n'est rapproché que d'un nom écrit de la même façon.</p>\n", out);
    html_networks_list(out);
    fputs("<textarea id=\"reseaux\" name=\"networks\" rows=\"3\" aria-describedby=\"h-reseaux\">", out);
    html_escape_z(out, f->networks);
    fputs("</textarea></div>\n<p class=\"actions\"><button type=\"submit\" class=\"primary\">Ajouter et "
          "inviter</button></p>\n</form>\n</section>\n", out);
}

void people_page_render(FILE *out, const people_view_t *view)
{
    if (view->notice) {
        fputs("<p class=\"notice\" role=\"status\">", out);
        html_escape_z(out, view->notice);
        fputs("</p>\n", out);
    }
    if (view->invitation) {
        /* Shown once, never stored: the staff passes it on. */
        fputs("<section aria-labelledby=\"lien\" class=\"invitation\">\n<h2 id=\"lien\">Lien d'invitation</h2>\n"
              "<p>Transmettez ce lien à la personne, et à elle seule : il lui permet de choisir son mot de passe "
              "pendant 7 jours. Il ne sera plus affiché.</p>\n<p><code class=\"secret\" id=\"lien-invitation\">", out);
        html_escape_z(out, view->invitation);
        fputs("</code></p>\n</section>\n", out);
    }
    if (view->error) {
        fputs("<p class=\"error\" role=\"alert\">", out);
        html_escape_z(out, view->error);
        fputs("</p>\n", out);
    }
    const msgpack_object *members = doc_array(view->members, "members");
    fputs("<section aria-labelledby=\"comite\">\n<h2 id=\"comite\">Le comité</h2>\n", out);
    if (!view->members)
        fputs("<p class=\"error\">Le service d'examen ne répond pas : la liste du comité ne peut pas être "
              "affichée. Réessayez dans un instant.</p>\n", out);
    else if (!doc_len(members))
        fputs("<p>Le comité n'a encore aucun membre : ajoutez-en avec le formulaire ci-dessous.</p>\n", out);
    else {
        fprintf(out, "<p>%zu membre%s.</p>\n<div class=\"table\"><table>\n<thead><tr><th scope=\"col\">Nom</th>"
                     "<th scope=\"col\">Collège</th><th scope=\"col\">Liens</th><th scope=\"col\">Ajouté le</th>"
                     "<th scope=\"col\">Actions</th></tr></thead>\n<tbody>\n",
                doc_len(members), doc_len(members) > 1 ? "s" : "");
        for (size_t i = 0; i < doc_len(members); i++)
            s_member(out, doc_at(members, i), view);
        fputs("</tbody></table></div>\n", out);
    }
    fputs("</section>\n", out);
    s_staff(out, view);
    s_add_form(out, view);
}

void people_page_confirm_remove(FILE *out, const char *name, const char *csrf)
{
    fputs("<p>", out);
    html_escape_z(out, name);
    fputs(" ne pourra plus voter ni se connecter ; ses votes passés restent dans les dossiers.</p>\n"
          "<form method=\"post\" action=\"/admin/personnes/retrait\">\n<input type=\"hidden\" name=\"csrf\" value=\"",
          out);
    html_escape_z(out, csrf);
    fputs("\">\n<input type=\"hidden\" name=\"name\" value=\"", out);
    html_escape_z(out, name);
    fputs("\">\n<input type=\"hidden\" name=\"confirm\" value=\"1\">\n<p class=\"actions\"><button type=\"submit\" "
          "class=\"danger\">Retirer ", out);
    html_escape_z(out, name);
    fputs("</button> <a href=\"/admin/personnes\">Annuler</a></p>\n</form>\n", out);
}
