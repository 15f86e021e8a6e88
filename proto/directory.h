/*  proto/directory.h - a directory entry as people and
 *  searches see it.
 *
 *  One place for what the publication service, the essp tool and the
 *  downstream site (essp-mirror) must agree on about a published entry:
 *  the search filters and how they match, the French labels of its coded
 *  values (themes, legal forms, formats, scopes, départements), and its
 *  CSV form (RFC 4180, UTF-8).  An entry is the map published on the
 *  stream: the public fields of the application (see
 *  proto/application.schema.json, "x-public") plus id, version and
 *  approved_at.
 */
#ifndef ESSP_PROTO_DIRECTORY_H
#define ESSP_PROTO_DIRECTORY_H

#include "proto/error.h"
#include "proto/labels.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DIRECTORY_Q_MAX 201       /* bytes of free text in a search, and a NUL */

/*  The label sets are proto/labels.h's; these are their names here. */
typedef labels_set_t directory_kind_t;
#define DIRECTORY_THEME       LABELS_THEME
#define DIRECTORY_LEGAL_FORM  LABELS_LEGAL_FORM
#define DIRECTORY_FORMAT      LABELS_FORMAT
#define DIRECTORY_SCOPE       LABELS_SCOPE
#define DIRECTORY_DEPARTMENT  LABELS_DEPARTMENT
#define DIRECTORY_CI_TOPIC    LABELS_CI_TOPIC
#define DIRECTORY_KIND_COUNT  LABELS_SET_COUNT

/*  A search: every set criterion must hold (they combine with AND); an
 *  empty string is "any".  q holds folded words (proto/text.h), each of
 *  which must begin one of the entry's words (proto/search.h: name,
 *  commune, postcode, description, labels of its legal form, themes and
 *  formats, theme codes, and the acronyms and expansions of
 *  proto/acronyms.h). */
typedef struct {
    char department[4];
    char theme[48];
    char format[16];
    char scope[16];
    char legal_form[32];
    char q[DIRECTORY_Q_MAX];
} directory_filter_t;

/*  Reads the filter fields of a "directory" request (department, theme,
 *  format, scope, legal_form, q) into filter.  Refuses a value that is not
 *  one of the codes (rule "enum", the field named) or free text longer than
 *  DIRECTORY_Q_MAX - 1 bytes (rule "max"). */
int directory_filter_from_request(const msgpack_object *request, directory_filter_t *filter,
                                proto_error_t *err);

/*  True when the entry satisfies every criterion of filter. */
bool directory_matches(const directory_filter_t *filter, const msgpack_object *entry);

/*  The French label of a code ("democratic_governance" -> "Gouvernance
 *  démocratique", "44" -> "Loire-Atlantique"), or NULL for an unknown code:
 *  labels_find (proto/labels.h). */
const char *directory_label(directory_kind_t kind, const char *code, size_t len);

/*  The codes of a kind, in display order, and how many there are. */
size_t directory_codes(directory_kind_t kind, const char *const **codes);

/*  The sort key of an entry: its folded name (proto/text.h), a 0x01,
 *  its id; names then sort as a French reader expects and two equal names
 *  stay two.  Returns the key's length (at most cap - 1). */
size_t directory_sort_key(const msgpack_object *entry, char *out, size_t cap);

/*  The CSV header line and one line per entry, each ended by CRLF; fields
 *  are quoted when they hold a comma, a quote, CR or LF, quotes doubled;
 *  a field that begins with = + - @, TAB or CR is quoted after an
 *  apostrophe, so that no spreadsheet reads it as a formula.
 *  Returns 0, or -1 when writing failed. */
int directory_csv_header(FILE *out);
int directory_csv_row(FILE *out, const msgpack_object *entry);

#endif
