/*  services/desk/french.h - how the desk's pages write codes, dates and
 *  texts of the protocol for a French reader.
 *
 *  Every page of the desk (the committee's and the staff's) names a
 *  college, a decision, a round's kind, a state or an outcome with the
 *  words of this module, so that one thing has one name on every page.
 *  Dates are written as a French reader says them, in the time of the
 *  committee (Europe/Paris): « 6 décembre 2026 à 14 h 05 ».  Nothing here
 *  reads the clock or the environment: the time zone rule is computed
 *  (the European Union's summer time, since 1996), so a page renders the
 *  same on every machine and in every test.
 */
#ifndef ESSP_DESK_FRENCH_H
#define ESSP_DESK_FRENCH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*  A code and its French wording. */
typedef struct {
    const char *code;
    const char *label;
} french_word_t;

/*  The colleges of the committee, in display order, ended by {NULL, NULL}. */
extern const french_word_t french_colleges[];
/*  The states of an application (proto/README.md 7.2), in life order. */
extern const french_word_t french_states[];

/*  The wording of a code, or the code itself when it is not known (a
 *  newer service may send one: it is shown rather than hidden). */
const char *french_college(const char *code);
const char *french_state(const char *code);
/*  A vote's choice as a button says it: « Approuver », « Refuser »... */
const char *french_choice(const char *decision);
/*  The committee's decision as a result: « Candidature approuvée »... */
const char *french_decision(const char *decision);
/*  « Examen », « Appel », « Réclamation ». */
const char *french_round_kind(const char *kind);
/*  « Conforme », « Non conforme », « À examiner par le comité »... */
const char *french_outcome(const char *outcome);
/*  A conflict's role: « la structure candidate », « un client de référence »... */
const char *french_conflict_role(const char *role);

/*  A withdrawal's reason code (publication's: "withdrawn", "expired",
 *  "suspended", "renewed", "erased") in French; other text as it is. */
const char *french_withdrawal(const char *reason);

/*  The offset of Europe/Paris from UTC at time t, in seconds (3600 or 7200). */
int french_paris_offset(int64_t t);

/*  « 6 décembre 2026 à 14 h 05 », Paris time; « 1er » for the first of a month. */
void french_datetime(FILE *out, uint64_t at);
/*  « 6 décembre 2026 » for a day at 00:00 UTC (unix seconds). */
void french_day(FILE *out, uint64_t at);
/*  The same for a "YYYY-MM-DD" text; the text itself, escaped, when it is no date. */
void french_date_text(FILE *out, const char *text, size_t len);

/*  Writes a msgpack string, escaped; anything else writes nothing. */
void french_str(FILE *out, const msgpack_object *obj);
/*  The string at `key` of a map, escaped. */
void french_field(FILE *out, const msgpack_object *map, const char *key);
/*  Writes a string written to an attribute or a class: a word of [a-z_]
 *  or "other", so that a code from the wire never leaves its quotes. */
const char *french_word(const char *text);

/*  Copies the string at `key` into buf; "" when absent. */
const char *french_copy(const msgpack_object *map, const char *key, char *buf, size_t cap);

#endif
