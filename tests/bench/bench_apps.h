/*  tests/bench/bench_apps.h - realistic applications, as many as needed.
 *
 *  One valid application of the fixtures is the template (about 1.5 KB
 *  of MessagePack); each generated application gets its own organisation
 *  name, its own SIRET with a valid Luhn key and its own private e-mail,
 *  so that every one passes the charter and none collides with another on
 *  the "one open application per SIRET" rule.  SIRETs and e-mails are
 *  spread over their range, in no order, as applicants send them (intake
 *  indexes both).  They are fixed-width placeholders patched in place:
 *  making one application is three memcpy.
 */
#ifndef ESSP_BENCH_APPS_H
#define ESSP_BENCH_APPS_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    msgpack_sbuffer doc;         /* the template, patched for the last seed */
    size_t name_at;              /* offset of the six digits of the name */
    size_t siret_at;             /* offset of the fourteen digits of the SIRET */
    size_t contact_at;           /* offset of the eight digits of the private e-mail */
} bench_apps_t;

/*  Loads the JSON template; 0, or -1 with a message on stderr. */
int bench_apps_init(bench_apps_t *self, const char *json_path);
void bench_apps_fini(bench_apps_t *self);

/*  The application number `seed` (seed < 100,000,000): its msgpack bytes,
 *  valid until the next call. */
const char *bench_apps_make(bench_apps_t *self, uint32_t seed, size_t *size);

/*  A valid SIRET: 8 digits spread from seed and the SIREN's key, then
 *  "0001" and the SIRET's key. */
void bench_apps_siret(uint32_t seed, char out[15]);

#endif
