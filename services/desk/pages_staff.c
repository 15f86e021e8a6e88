/*  services/desk/pages_staff.c - the staff's pages (/admin...).  The home
 *  below is the frame the staff's pages grow from. */
#include "site.h"

#include "common/html.h"

static int s_home(desk_request_t *req)
{
    desk_page_begin(req, "Accueil de l'équipe");
    fputs("<p>Bonjour ", req->out);
    html_escape_z(req->out, req->session.name);
    fputs(". Les personnes et les candidatures se gèrent depuis le menu.</p>", req->out);
    desk_page_end(req);
    return 0;
}

const desk_route_t desk_staff_routes[] = {
    {"GET", "/admin", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_home},
    {0}};
