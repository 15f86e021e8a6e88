/*  common/html.h - text written into an HTML page.
 *
 *  The one escaping of the project's pages (intake's forms and status
 *  pages, essp-mirror's directory): & < > " ' become entities, so that a
 *  value is inert both in an element and in a quoted attribute.  Bytes are
 *  copied as they are otherwise: the text is UTF-8 already checked by the
 *  decoders.
 */
#ifndef ESSP_COMMON_HTML_H
#define ESSP_COMMON_HTML_H

#include <stddef.h>
#include <stdio.h>

/*  Writes len bytes of text to out, escaped. */
void html_escape(FILE *out, const char *text, size_t len);

/*  The same for a NUL-terminated text; NULL writes nothing. */
void html_escape_z(FILE *out, const char *text);

/*  The ESS networks the conflict check knows under several names
 *  (proto/networks.h), as a folded <details> list placed under a form's
 *  networks field: the applicant's form (intake) and the member form of
 *  the desk offer the same names. */
void html_networks_list(FILE *out);

#endif
