/*  services/intake/pages.h - the pages an applicant goes through: the
 *  receipt, the page that asks for the token, the
 *  charter, and short messages; and the HTML every page shares (head,
 *  foot, dates in French).
 */
#ifndef ESSP_INTAKE_PAGES_H
#define ESSP_INTAKE_PAGES_H

#include "web.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*  The pages.  Each writes one whole HTML document. */

/*  After a submission: the id, the token, when it was received (`at`,
 *  unix seconds, written in French) and the way to follow. */
void web_page_receipt(FILE *out, const char *id, const char *token, bool duplicate, int64_t at);

/*  Asks for the token of application `id` (the link of the receipt fills
 *  it in with JavaScript); notice, when not NULL, says what went wrong. */
void web_page_follow(FILE *out, const char *id, const char *notice);

/*  What a request for a new tracking link answers, whatever happened. */
#define LOST_LINK_SENT_FR "Si une candidature en cours ou publiée correspond à cette adresse, un nouveau lien de " \
                          "suivi vient d'y être envoyé. L'ancien lien ne fonctionne plus."

/*  "J'ai perdu mon lien de suivi": the form that asks for the contact's
 *  address; notice, when not NULL, says what went wrong. */
void web_page_lost_link(FILE *out, const char *notice);

/*  After an amendment. */
void web_page_amended(FILE *out, const char *id, const char *token, unsigned long revision);

/*  The receipt of an update of a listing: published at once after the
 *  charter's check (minor), or before the committee while the listing
 *  stays as it is (substantive). */
void web_page_updated(FILE *out, const char *id, const char *token, bool substantive);

/*  The charter: its four articles and their criteria, in French. */
void web_page_charter(FILE *out);

/*  A page with a title and a sentence (errors: not found, too large...). */
void web_page_message(FILE *out, const char *title, const char *text);

/*  The static files: "essp.css", "essp.js"; NULL when unknown. */
const char *web_static(const char *name, size_t *len, const char **content_type);

/*  For the other pages: the head and foot of every page, a date in
 *  French. */
void pages_head(FILE *out, const char *title);
void pages_foot(FILE *out);
void pages_date(FILE *out, uint64_t at);

#endif
