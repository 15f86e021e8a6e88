/*  services/desk/pages_staff.c - the staff's pages (/admin...): the home,
 *  « Personnes », « Candidatures », a file's page with the staff's actions,
 *  « Horloge et quorum ».  Every request goes to review, intake or the
 *  desk's own core as the staff person (desk_call, their key); the pages
 *  are drawn by people_page.h, applications_page.h, staff_file_page.h and
 *  clock_page.h. */
#include "site.h"

#include "applications_index.h"
#include "applications_page.h"
#include "clock_page.h"
#include "pages_people.h"
#include "people_page.h"
#include "refusal.h"
#include "staff_file_page.h"

#include "common/html.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/messages.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_PULLS_MAX 50           /* batches read per stream per page: 50,000 events */


/*  A request of `fields` fields after its type: the caller packs them. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} s_request_t;

static msgpack_packer *s_request(s_request_t *r, const char *type, size_t fields)
{
    msgpack_sbuffer_init(&r->buf);
    msgpack_packer_init(&r->pk, &r->buf, msgpack_sbuffer_write);
    proto_pack_request(&r->pk, type, desk_next_rid(), fields);
    return &r->pk;
}

/*  Sends it: 0 with the reply (the caller frees it), or -1 with
 *  reply->problem set, in French. */
static int s_call(desk_request_t *req, service_id_t service, s_request_t *r, desk_reply_t *reply)
{
    int rc = desk_call(req, service, &r->buf, reply);
    msgpack_sbuffer_destroy(&r->buf);
    return rc;
}

/*  The French text of what went wrong with a reply of `type` expected. */
static const char *s_problem(const char *request, int rc, const desk_reply_t *reply, char *buf, size_t cap)
{
    if (rc != 0)
        return reply->problem;
    return refusal_text(request, &reply->msg, buf, cap);
}

/* ------------------------------------------------------------------ home */

static int s_home(desk_request_t *req)
{
    desk_page_begin(req, "Accueil de l'équipe");
    fputs("<p class=\"lead\">Bonjour ", req->out);
    html_escape_z(req->out, req->session.name);
    fputs(".</p>\n<ul class=\"files\">\n"
          "<li class=\"file\"><h3><a href=\"/admin/personnes\">Personnes</a></h3><p>Le comité et l'équipe : ajouter, "
          "inviter, donner de nouvelles clés, retirer.</p></li>\n"
          "<li class=\"file\"><h3><a href=\"/admin/candidatures\">Candidatures</a></h3><p>Toutes les candidatures, "
          "dans tous les états, par nom, SIRET, numéro ou état ; retrait, réclamation, effacement.</p></li>\n"
          "<li class=\"file\"><h3><a href=\"/admin/horloge\">Horloge et quorum</a></h3><p>Retirer les inscriptions "
          "échues ; les règles de vote du comité.</p></li>\n</ul>\n", req->out);
    desk_page_end(req);
    return 0;
}

/* ------------------------------------------------------------------ applications */

static applications_index_t *s_index;
static pthread_mutex_t s_index_lock = PTHREAD_MUTEX_INITIALIZER;

static const service_id_t s_streams[APPS_STREAMS] = {SERVICE_INTAKE, SERVICE_VALIDATION, SERVICE_REVIEW};

/*  Reads what each stream appended since the index last looked, with the
 *  staff person's key.  One staff page at a time catches up: the others
 *  wait for it rather than pull the same events.  Returns the streams
 *  that did not answer, in French, or NULL. */
static const char *s_catch_up(desk_request_t *req)
{
    const char *problem = NULL;
    pthread_mutex_lock(&s_index_lock);
    if (!s_index)
        s_index = applications_index_new();
    for (int s = 0; s < APPS_STREAMS && s_index; s++) {
        for (int pulls = 0; pulls < S_PULLS_MAX; pulls++) {
            uint64_t after = applications_index_cursor(s_index, (apps_stream_t)s), head = 0, last = after;
            s_request_t r;
            msgpack_packer *pk = s_request(&r, "pull", 3);
            proto_pack_kv_uint(pk, "after", after);
            proto_pack_kv_uint(pk, "max", PROTO_BATCH_MAX);
            proto_pack_kv_uint(pk, "wait", 0);
            desk_reply_t reply;
            int rc = s_call(req, s_streams[s], &r, &reply);
            if (rc != 0 || !desk_reply_is(&reply, "batch")) {
                problem = "Une partie des candidatures n'a pas pu être lue (un service ne répond pas) : la liste "
                          "peut être incomplète. Réessayez dans un instant.";
                desk_reply_free(&reply);
                break;
            }
            const msgpack_object *events = doc_array(&reply.msg, "events");
            size_t count = doc_len(events);
            for (size_t i = 0; i < count; i++) {
                applications_index_apply(s_index, (apps_stream_t)s, doc_at(events, i));
                doc_uint(doc_at(events, i), "seq", &last);
            }
            doc_uint(&reply.msg, "head", &head);
            desk_reply_free(&reply);
            if (count == 0 || last >= head)
                break;
        }
    }
    pthread_mutex_unlock(&s_index_lock);
    return problem;
}

static int s_applications(desk_request_t *req)
{
    const char *problem = s_catch_up(req);
    apps_row_t *rows = calloc(APPLICATIONS_PAGE_ROWS, sizeof *rows);
    if (!rows || !s_index) {
        free(rows);
        return desk_error_page(req, 503, "Service indisponible", "Réessayez dans un instant.");
    }
    const char *offset_text = desk_query(req, "depuis");
    applications_view_t view = {.query = desk_query(req, "q"), .state = desk_query(req, "etat"),
                                .offset = offset_text ? strtoul(offset_text, NULL, 10) : 0, .rows = rows,
                                .error = problem};
    view.matched = applications_index_search(s_index, view.query, view.state, view.offset, rows,
                                             APPLICATIONS_PAGE_ROWS);
    view.count = view.matched > view.offset ? view.matched - view.offset : 0;
    if (view.count > APPLICATIONS_PAGE_ROWS)
        view.count = APPLICATIONS_PAGE_ROWS;
    desk_page_begin(req, "Candidatures");
    applications_page_render(req->out, &view);
    desk_page_end(req);
    free(rows);
    return 0;
}

/* ------------------------------------------------------------------ a file */

static void s_file(desk_request_t *req, const char *id, const char *notice, const char *error)
{
    s_request_t r;
    msgpack_packer *pk = s_request(&r, "status", 2);
    proto_pack_kv_str(pk, "id", id);
    proto_pack_kv_bool(pk, "with_application", true);
    desk_reply_t status, history;
    int rc = s_call(req, SERVICE_INTAKE, &r, &status);
    if (rc != 0 || !desk_reply_is(&status, "status")) {
        char text[600];
        int code = rc != 0 ? 503 : refusal_status(&status.msg);
        desk_error_page(req, code, code == 404 ? "Dossier inconnu" : "Dossier indisponible",
                        s_problem("status", rc, &status, text, sizeof text));
        desk_reply_free(&status);
        return;
    }
    pk = s_request(&r, "history", 1);
    proto_pack_kv_str(pk, "id", id);
    rc = s_call(req, SERVICE_INTAKE, &r, &history);
    staff_file_view_t view = {.id = id, .status = &status.msg, .csrf = req->session.csrf, .notice = notice,
                              .error = error};
    if (rc == 0 && desk_reply_is(&history, "history"))
        view.history = &history.msg;
    char title[160];
    staff_file_page_title(&status.msg, title, sizeof title);
    desk_page_begin(req, title);
    staff_file_page_render(req->out, &view);
    desk_page_end(req);
    desk_reply_free(&history);
    desk_reply_free(&status);
}

static bool s_id_ok(const char *id)
{
    return id && *id && strlen(id) <= PROTO_ID_MAX && strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz") == strlen(id);
}

static int s_file_page(desk_request_t *req)
{
    if (!s_id_ok(req->rest))
        return desk_error_page(req, 404, "Dossier inconnu",
                               "Aucun dossier ne porte ce numéro. Cherchez-le dans « Candidatures ».");
    s_file(req, req->rest, NULL, NULL);
    return 0;
}

/*  withdraw or complaint (review), then the file's page saying what happened. */
static int s_review_action(desk_request_t *req, const char *type, const char *done)
{
    const char *id = desk_form(req, "id"), *reason = desk_form(req, "reason");
    if (!s_id_ok(id))
        return desk_error_page(req, 404, "Dossier inconnu", "Aucun dossier ne porte ce numéro.");
    if (!reason || strspn(reason, " \t\r\n") == strlen(reason)) {
        req->status = 422;
        s_file(req, id, NULL, "Écrivez le motif dans le champ prévu, puis envoyez de nouveau : rien n'a été changé.");
        return 0;
    }
    s_request_t r;
    msgpack_packer *pk = s_request(&r, type, 2);
    proto_pack_kv_str(pk, "id", id);
    proto_pack_kv_str(pk, "reason", reason);
    desk_reply_t reply;
    int rc = s_call(req, SERVICE_REVIEW, &r, &reply);
    if (rc == 0 && desk_reply_is(&reply, "ack")) {
        s_file(req, id, done, NULL);
    } else {
        char text[600];
        req->status = rc != 0 ? 503 : refusal_status(&reply.msg);
        s_file(req, id, NULL, s_problem(type, rc, &reply, text, sizeof text));
    }
    desk_reply_free(&reply);
    return 0;
}

static int s_withdraw(desk_request_t *req)
{
    return s_review_action(req, "withdraw", "Le dossier est retiré ; le retrait est définitif.");
}

static int s_complaint(desk_request_t *req)
{
    return s_review_action(req, "complaint",
                           "La réclamation est ouverte : l'inscription est suspendue et le comité va voter.");
}

static int s_erase(desk_request_t *req)
{
    const char *id = desk_form(req, "id");
    if (!s_id_ok(id))
        return desk_error_page(req, 404, "Dossier inconnu", "Aucun dossier ne porte ce numéro.");
    if (!staff_file_erase_confirmed(id, desk_form(req, "confirm"))) {
        req->status = 422;
        s_file(req, id, NULL, "Pour effacer, recopiez exactement le numéro du dossier dans le champ de "
                              "confirmation : rien n'a été effacé.");
        return 0;
    }
    s_request_t r;
    msgpack_packer *pk = s_request(&r, "erase", 1);
    proto_pack_kv_str(pk, "id", id);
    desk_reply_t reply;
    int rc = s_call(req, SERVICE_INTAKE, &r, &reply);
    if (rc == 0 && desk_reply_is(&reply, "ack")) {
        s_file(req, id, "Les données personnelles de ce dossier sont effacées dans chaque service.", NULL);
    } else {
        char text[600];
        req->status = rc != 0 ? 503 : refusal_status(&reply.msg);
        s_file(req, id, NULL, s_problem("erase", rc, &reply, text, sizeof text));
    }
    desk_reply_free(&reply);
    return 0;
}

/* ------------------------------------------------------------------ clock */

static void s_clock(desk_request_t *req, const msgpack_object *ticked, const char *error)
{
    clock_view_t view = {.ticked = ticked, .csrf = req->session.csrf, .error = error};
    clock_settings_read(&view.settings);
    desk_page_begin(req, "Horloge et quorum");
    clock_page_render(req->out, &view);
    desk_page_end(req);
}

static int s_clock_page(desk_request_t *req)
{
    s_clock(req, NULL, NULL);
    return 0;
}

/*  tick, again while review says more are due; the expired ids of every
 *  answer are shown together. */
static int s_tick(desk_request_t *req)
{
    const char *day = desk_form(req, "now");
    int32_t days = 0;
    bool dated = day && *day;
    if (dated && date_parse(day, strlen(day), &days) != 0) {
        req->status = 422;
        s_clock(req, NULL, "La date n'est pas lisible : choisissez un jour dans le calendrier, ou laissez le "
                           "champ vide pour aujourd'hui.");
        return 0;
    }
    msgpack_sbuffer merged;
    msgpack_packer mp;
    msgpack_sbuffer_init(&merged);
    msgpack_packer_init(&mp, &merged, msgpack_sbuffer_write);
    msgpack_sbuffer ids;
    msgpack_sbuffer_init(&ids);
    msgpack_packer ip;
    msgpack_packer_init(&ip, &ids, msgpack_sbuffer_write);
    size_t count = 0;
    uint64_t now = 0;
    const char *error = NULL;
    char text[600];
    for (int rounds = 0; rounds < 100; rounds++) {
        s_request_t r;
        msgpack_packer *pk = s_request(&r, "tick", dated ? 1 : 0);
        if (dated)
            proto_pack_kv_uint(pk, "now", (uint64_t)days * 86400);
        desk_reply_t reply;
        int rc = s_call(req, SERVICE_REVIEW, &r, &reply);
        if (rc != 0 || !desk_reply_is(&reply, "ticked")) {
            req->status = rc != 0 ? 503 : refusal_status(&reply.msg);
            error = s_problem("tick", rc, &reply, text, sizeof text);
            desk_reply_free(&reply);
            break;
        }
        const msgpack_object *expired = doc_array(&reply.msg, "expired");
        for (size_t i = 0; i < doc_len(expired); i++, count++)
            msgpack_pack_object(&ip, *doc_at(expired, i));
        doc_uint(&reply.msg, "now", &now);
        bool more = doc_bool(&reply.msg, "more", false);
        desk_reply_free(&reply);
        if (!more)
            break;
    }
    msgpack_pack_map(&mp, 2);
    msgpack_pack_str_with_body(&mp, "now", 3);
    msgpack_pack_uint64(&mp, now);
    msgpack_pack_str_with_body(&mp, "expired", 7);
    msgpack_pack_array(&mp, count);
    msgpack_sbuffer_write(&merged, ids.data, ids.size);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object ticked;
    bool ok = !error && msgpack_unpack(merged.data, merged.size, NULL, &zone, &ticked) == MSGPACK_UNPACK_SUCCESS;
    s_clock(req, ok ? &ticked : NULL, error);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&ids);
    msgpack_sbuffer_destroy(&merged);
    return 0;
}

const desk_route_t desk_staff_routes[] = {
    {"GET", "/admin", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_home},
    {"GET", "/admin/personnes", DESK_MATCH_EXACT, DESK_ROLE_STAFF, pages_people},
    {"POST", "/admin/personnes", DESK_MATCH_EXACT, DESK_ROLE_STAFF, pages_people_add},
    {"POST", "/admin/personnes/retrait", DESK_MATCH_EXACT, DESK_ROLE_STAFF, pages_people_remove},
    {"POST", "/admin/personnes/cles", DESK_MATCH_EXACT, DESK_ROLE_STAFF, pages_people_rekey},
    {"POST", "/admin/personnes/invitation", DESK_MATCH_EXACT, DESK_ROLE_STAFF, pages_people_invite},
    {"GET", "/admin/candidatures", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_applications},
    {"GET", "/admin/dossier", DESK_MATCH_PREFIX, DESK_ROLE_STAFF, s_file_page},
    {"POST", "/admin/dossier/retrait", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_withdraw},
    {"POST", "/admin/dossier/reclamation", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_complaint},
    {"POST", "/admin/dossier/effacement", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_erase},
    {"GET", "/admin/horloge", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_clock_page},
    {"POST", "/admin/horloge", DESK_MATCH_EXACT, DESK_ROLE_STAFF, s_tick},
    {0}};
