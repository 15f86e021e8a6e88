/*  services/mirror/site_trust.c - what makes a listing trustworthy, on
 *  its page: since and until when it is listed, the training the charter
 *  asks of the people who use the private part of ESS Pratiques, the
 *  committee's decision, and the references the structure gave.
 *
 *  Everything comes from the entry, that is from the fields the schema
 *  marks public: the references without their summary, the trained
 *  people's session dates without their names.
 */
#include "site_write.h"

#include "common/html.h"
#include "proto/date.h"
#include "proto/doc.h"

#include <stdio.h>
#include <string.h>

/*  A <time> element for a day number. */
static void s_time(FILE *f, int32_t days)
{
    char text[40], iso[11];
    site_french_date(days, text, sizeof text);
    date_format(days, iso);
    fprintf(f, "<time datetime=\"%s\">%s</time>", iso, text);
}

void site_training_of(const msgpack_object *entry, site_training_t *training)
{
    memset(training, 0, sizeof *training);
    uint64_t approved = 0;
    doc_uint(entry, "approved_at", &approved);
    int32_t decided = (int32_t)(approved / 86400);
    const msgpack_object *people = doc_array(entry, "trained_people");
    for (size_t i = 0; i < doc_len(people); i++) {
        const msgpack_object *date = doc_get(doc_at(people, i), "session_date");
        int32_t day;
        if (!date || date->type != MSGPACK_OBJECT_STR
            || date_parse(date->via.str.ptr, date->via.str.size, &day) != 0)
            continue;
        /* As the charter counts (CLI-TRAINING): a session is behind only
         * strictly before the day; here the day of the decision. */
        if (day < decided) {
            if (!training->done || day > training->last_done)
                training->last_done = day;
            if (training->done && day != training->first_done)
                training->several = true;
            if (!training->done || day < training->first_done)
                training->first_done = day;
            training->done++;
        } else {
            if (!training->planned || day < training->next_planned)
                training->next_planned = day;
            training->planned++;
        }
    }
}

static void s_training(FILE *f, const msgpack_object *entry)
{
    site_training_t t;
    site_training_of(entry, &t);
    if (!t.done && !t.planned)
        return;   /* nobody declared: the charter asks it only of the private part's users */
    fputs("<li class=\"formation\">" T_TRAINING, f);
    if (t.done) {
        fputs(t.several && !t.planned ? T_TRAINING_DONE_ALL : T_TRAINING_DONE, f);
        s_time(f, t.planned ? t.first_done : t.last_done);
        if (t.planned) {
            fputs(T_TRAINING_NEXT, f);
            s_time(f, t.next_planned);
        }
    } else {
        fputs(T_TRAINING_PLANNED, f);
        s_time(f, t.next_planned);
    }
    fputs(".</li>\n", f);
}

void site_listing(FILE *f, const msgpack_object *entry)
{
    fputs("<section aria-labelledby=\"inscription\" class=\"inscription\">\n"
          "<h2 id=\"inscription\">" T_LISTING "</h2>\n<ul>\n", f);
    uint64_t approved = 0;
    doc_uint(entry, "approved_at", &approved);
    /* An entry of an older publication service has no listed_since: its
     * approval is the first day known. */
    fputs("<li class=\"depuis\">" T_LISTED_SINCE, f);
    if (!site_time_at(f, entry, "listed_since"))
        s_time(f, (int32_t)(approved / 86400));
    fputs(".</li>\n", f);
    const msgpack_object *until = doc_get(entry, "listed_until");
    int32_t until_day;
    if (until && until->type == MSGPACK_OBJECT_STR
        && date_parse(until->via.str.ptr, until->via.str.size, &until_day) == 0) {
        fputs("<li class=\"jusqua\">" T_LISTED_UNTIL, f);
        s_time(f, until_day);
        fputs(T_LISTED_UNTIL_END "</li>\n", f);
    }
    s_training(f, entry);
    fputs("</ul>\n", f);
    char date[40], iso[32], when[128];
    site_french_date((int32_t)(approved / 86400), date, sizeof date);
    site_rfc3339(approved, iso);
    snprintf(when, sizeof when, "<time datetime=\"%s\">%s</time>", iso, date);
    fputs("<p class=\"meta\">", f);
    fprintf(f, T_APPROVED, when);
    fputs("</p>\n</section>\n", f);
}

/*  "Accompagnement en 2024, auprès d'une organisation de l'économie
 *  sociale et solidaire." and the parts of the approach it covered. */
static void s_reference(FILE *f, const msgpack_object *reference)
{
    fputs("<li><strong class=\"client\">", f);
    site_esc_at(f, reference, "client");
    fputs("</strong><br>", f);
    const char *kind = site_label_at(reference, "kind", DIRECTORY_FORMAT);
    html_escape_z(f, kind ? kind : T_REFERENCE_MISSION);
    uint64_t year;
    if (doc_uint(reference, "year", &year))
        fprintf(f, T_REFERENCE_IN "%llu", (unsigned long long)year);
    const msgpack_object *ess = doc_get(reference, "client_is_ess");
    if (ess && ess->type == MSGPACK_OBJECT_BOOLEAN && ess->via.boolean)
        fputs(T_REFERENCE_ESS, f);
    fputs(".", f);
    const msgpack_object *topics = doc_array(reference, "ci_topics");
    if (doc_len(topics)) {
        fputs("<br><span class=\"volets\">" T_REFERENCE_TOPICS, f);
        site_labels(f, topics, DIRECTORY_CI_TOPIC, false);
        fputs(".</span>", f);
    }
    fputs("</li>\n", f);
}

void site_references(FILE *f, const msgpack_object *entry)
{
    const msgpack_object *references = doc_array(entry, "references");
    size_t shown = 0;
    for (size_t i = 0; i < doc_len(references); i++) {
        const msgpack_object *reference = doc_at(references, i);
        if (reference->type != MSGPACK_OBJECT_MAP || !site_has_str(reference, "client"))
            continue;
        if (!shown++)
            fputs("<section aria-labelledby=\"references\" class=\"references\">\n"
                  "<h2 id=\"references\">" T_REFERENCES "</h2>\n<p>" T_REFERENCES_INTRO "</p>\n<ul>\n", f);
        s_reference(f, reference);
    }
    if (shown)
        fputs("</ul>\n</section>\n", f);
}
