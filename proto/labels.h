/*  proto/labels.h - the French label of every coded value, one table per
 *  label set, one wording each.
 *
 *  The codes are the schema's (proto/application.schema.json): themes
 *  (offer.themes), legal forms (organisation.legal_form), formats
 *  (offer.formats), scopes (offer.scope), départements (their INSEE
 *  number) and the parts of the continuous-improvement approach a
 *  reference covered (references[].ci_topics).  Every program shows
 *  these labels: intake's form, the charter's reasons, the directory,
 *  essp-mirror's pages, and the
 *  mirror's search script, whose copy is generated from these tables at
 *  build time (services/mirror/contrat_js.c).
 */
#ifndef ESSP_PROTO_LABELS_H
#define ESSP_PROTO_LABELS_H

#include <stddef.h>

typedef enum {
    LABELS_THEME,
    LABELS_LEGAL_FORM,
    LABELS_FORMAT,
    LABELS_SCOPE,
    LABELS_DEPARTMENT,
    LABELS_CI_TOPIC,
    LABELS_SET_COUNT
} labels_set_t;

typedef struct {
    const char *code;
    const char *label;
} label_t;

/*  The set's table, in display order, ended by {NULL, NULL}; *count (if
 *  not NULL) set to its length. */
const label_t *labels_table(labels_set_t set, size_t *count);

/*  The label of code[0..len), or NULL when the set has no such code. */
const char *labels_find(labels_set_t set, const char *code, size_t len);

/*  The set's name, as the schema's field: "theme", "legal_form",
 *  "format", "scope", "department", "ci_topic". */
const char *labels_set_name(labels_set_t set);

#endif
