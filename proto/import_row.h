/*  proto/import_row.h - a listing of the directory that existed before
 *  essp, as a row of an import file (essp import, proto/README.md
 *  « Importer l'annuaire existant »).
 *
 *  Two forms of file:
 *    CSV   (RFC 4180, UTF-8, an optional BOM, ',' or ';' between cells):
 *          a header line of French headings, the columns of the
 *          directory's annuaire.csv (proto/directory.h) plus the private
 *          fields and "approuvé le", the original approval date; headings
 *          are matched folded (proto/text.h: case and accents do not
 *          matter), in any order;
 *    JSONL one object per line: {"approved_at": "YYYY-MM-DD",
 *          "application": {...}} (the application as the schema has it).
 *  A row becomes an application (a msgpack map) and an approval day;
 *  what cannot be read is an error naming the field (the schema's path)
 *  and the rule, with a French sentence.  The schema and the charter are
 *  checked afterwards, by whoever stores the row (intake), with the same
 *  code as every application.
 *
 *  Limits, so that a hostile file costs bounded work: a record (a CSV row
 *  or a JSONL line) of at most IMPORT_RECORD_MAX bytes, at most
 *  IMPORT_CELLS_MAX cells.
 */
#ifndef ESSP_PROTO_IMPORT_ROW_H
#define ESSP_PROTO_IMPORT_ROW_H

#include "proto/error.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPORT_RECORD_MAX (64u * 1024)
/*  Every documented column fits (37 headings and 9 references of 7
 *  columns, 100: import_row.c checks it), with room for a few more. */
#define IMPORT_CELLS_MAX 128
#define IMPORT_ROWS_MAX 500            /* rows in one import request */

/*  A file in memory, read record by record. */
typedef struct {
    const char *text;
    size_t len;
    size_t pos;
    unsigned line;                     /* the line the next record begins on */
    char sep;                          /* ',' or ';' (CSV) */
} import_reader_t;

/*  Starts reading text[0..len): skips a UTF-8 BOM. */
void import_reader_init(import_reader_t *r, const char *text, size_t len);

/*  The columns of a CSV file, from its header line. */
typedef struct {
    size_t count;
    int kind[IMPORT_CELLS_MAX];        /* what each column holds (import_row.c) */
    int ref[IMPORT_CELLS_MAX];         /* the reference's index, for its columns */
    char heading[IMPORT_CELLS_MAX][64];
} import_columns_t;

/*  One record's cells: pointers into cells_buf, unquoted. */
typedef struct {
    size_t count;
    const char *cell[IMPORT_CELLS_MAX];
    size_t cell_len[IMPORT_CELLS_MAX];
    char buf[IMPORT_RECORD_MAX];
} import_cells_t;

/*  The next CSV record: 1 and *line its first line; 0 at the end; -1
 *  with err (rule "too_long", "cells", "quote") when it cannot be read:
 *  the reader has gone past it, the next call reads the next one. */
int import_csv_next(import_reader_t *r, import_cells_t *cells, unsigned *line, proto_error_t *err);

/*  Reads the header line (the first record): 0, or -1 with err (field:
 *  the heading; rule "unknown_column", "duplicate_column",
 *  "missing_column", "empty"). */
int import_csv_columns(import_reader_t *r, import_columns_t *columns, proto_error_t *err);

/*  The next JSONL line (blank lines are skipped): 1 with text/len and
 *  *line; 0 at the end; -1 with err (rule "too_long"). */
int import_jsonl_next(import_reader_t *r, const char **text, size_t *len, unsigned *line, proto_error_t *err);

/*  A row as an application packed into out (one map) and its approval
 *  day (days since 1970-01-01).  0, or -1 with err: field the schema's
 *  path (or "approved_at"), rule "utf8", "date", "boolean", "enum",
 *  "integer", "cells", "required", or those of json_codec; message in
 *  French. */
int import_row_from_csv(const import_columns_t *columns, const import_cells_t *cells, msgpack_sbuffer *out,
                        int32_t *approved_day, proto_error_t *err);
int import_row_from_json(const char *text, size_t len, msgpack_sbuffer *out, int32_t *approved_day,
                         proto_error_t *err);

/*  The references of a CSV row that have a cell filled, bit N for
 *  « référence N+1 ».  The application lists them without the empty
 *  ones, so references[k] of what intake reports is the k-th set bit:
 *  import_ref_of gives N (or k itself when there is no such bit). */
unsigned import_row_refs(const import_columns_t *columns, const import_cells_t *cells);
int import_ref_of(unsigned refs, int k);

/*  The CSV heading of a schema path ("organisation.public_contact.email"
 *  -> "courriel", "references[1].year" -> "référence 2 : année") into
 *  out; "" when no column holds it. */
void import_column_of(const char *field, char *out, size_t cap);

/*  A French sentence for a broken rule of the schema (proto/schema.h)
 *  about a field: "required" -> « ce champ est obligatoire »... */
const char *import_rule_french(const char *rule);

#endif
