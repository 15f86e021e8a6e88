/*  services/desk/application_view.h - an application, as a committee
 *  member or a staff person reads it: in French, grouped by article of the
 *  charter, each article followed by what validation found on its
 *  criteria.
 *
 *  The application is the map of proto/README.md 7.1 (a queue item's
 *  `application`, or intake's `status` with `with_application`); the
 *  report the map of section 6.6.  Codes are written with proto's labels
 *  (legal forms, themes, formats, scopes, départements), dates as a
 *  French reader writes them, identifiers as given.  A field the
 *  applicant left out is not shown.
 */
#ifndef ESSP_DESK_APPLICATION_VIEW_H
#define ESSP_DESK_APPLICATION_VIEW_H

#include <msgpack.h>
#include <stdio.h>

/*  The group of the application that comes before the articles (the
 *  organisation's details and contacts), then articles 1 to 4. */
#define APPLICATION_VIEW_GROUPS 5

/*  The title of group g: "La structure", "Article 1 — …". */
const char *application_view_group(int g);

/*  Writes the application (may be NULL: « dossier effacé ») and, under
 *  each article, the report's criteria of that article (report may be
 *  NULL) as <section>s. */
void application_view_render(FILE *out, const msgpack_object *application, const msgpack_object *report);

/*  The report's criteria of one article (0: every criterion), as a list:
 *  code, the criterion's French title, the outcome, the reason and the
 *  field to change. */
void application_view_criteria(FILE *out, const msgpack_object *report, int article);

#endif
