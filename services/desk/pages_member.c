/*  services/desk/pages_member.c - the committee member's pages (/comite...).
 *  The home below is the frame the member's pages grow from. */
#include "site.h"

#include "common/html.h"

static int s_home(desk_request_t *req)
{
    desk_page_begin(req, "Mes dossiers");
    fputs("<p>Bonjour ", req->out);
    html_escape_z(req->out, req->session.name);
    fputs(". Les dossiers soumis au comité apparaîtront ici.</p>", req->out);
    desk_page_end(req);
    return 0;
}

const desk_route_t desk_member_routes[] = {
    {"GET", "/comite", DESK_MATCH_EXACT, DESK_ROLE_MEMBER, s_home},
    {0}};
