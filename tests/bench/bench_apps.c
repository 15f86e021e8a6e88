/*  tests/bench/bench_apps.c - see bench_apps.h. */
#include "bench_apps.h"

#include "proto/identifiers.h"
#include "proto/json_codec.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_NAME_MARK "000000"
#define S_NAME_DIGITS 6
#define S_SIRET_MARK "99999999999999"
#define S_SIRET_DIGITS 14
#define S_CONTACT_MARK "88888888"
#define S_CONTACT_DIGITS 8


/*  Applicants send their SIRETs and e-mails in no order: application n
 *  gets n times an odd number not divisible by 5, modulo 10^8 (a
 *  one-to-one mapping, so the values of n < 10^8 stay distinct), not n,
 *  which would keep intake's indexes in order. */
#define S_SIRET_SPREAD 54435761u
#define S_CONTACT_SPREAD 40503u

static uint32_t s_spread(uint32_t seed, uint32_t factor)
{
    return (uint32_t)((uint64_t)(seed % 100000000u) * factor % 100000000u);
}

/*  The SIREN's eight digits are the spread seed, then its Luhn key; the
 *  establishment number 0001, then the digit the SIRET's check wants
 *  (La Poste's rule for the one seed whose SIREN is La Poste's). */
void bench_apps_siret(uint32_t seed, char out[15])
{
    snprintf(out, 15, "%08u000010", s_spread(seed, S_SIRET_SPREAD));
    for (char key = '0'; key <= '9' && (out[8] = key, !id_luhn(out, 9)); key++)
        ;
    for (char key = '0'; key <= '9' && (out[13] = key, id_siret_check(out, 14, NULL) != ID_OK); key++)
        ;
}

/*  Where the one occurrence of a placeholder string sits in the bytes. */
static long s_find(const msgpack_sbuffer *doc, const char *mark)
{
    size_t n = strlen(mark);
    long found = -1;
    for (size_t i = 0; i + n <= doc->size; i++)
        if (memcmp(doc->data + i, mark, n) == 0) {
            if (found >= 0)
                return -1;
            found = (long)i;
        }
    return found;
}

/*  The template with the placeholders in its name, SIRET and private
 *  contact (the address intake indexes to reissue a lost link). */
static int s_mark(json_t *root)
{
    json_t *organisation = json_object_get(root, "organisation");
    json_t *name = json_object_get(organisation, "name");
    json_t *contact = json_object_get(organisation, "private_contact");
    if (!json_is_string(name) || !json_is_string(json_object_get(organisation, "siret"))
        || !json_is_string(json_object_get(contact, "email")))
        return -1;
    json_object_set_new(contact, "email", json_string("b" S_CONTACT_MARK "@bench.example"));
    char marked[256];
    snprintf(marked, sizeof marked, "%.200s %s", json_string_value(name), S_NAME_MARK);
    json_object_set_new(organisation, "name", json_string(marked));
    json_object_set_new(organisation, "siret", json_string(S_SIRET_MARK));
    return 0;
}

int bench_apps_init(bench_apps_t *self, const char *json_path)
{
    msgpack_sbuffer_init(&self->doc);
    json_error_t jerr;
    json_t *root = json_load_file(json_path, 0, &jerr);
    if (!root || s_mark(root) != 0) {
        fprintf(stderr, "essp-bench: template %s: %s\n", json_path,
                root ? "no organisation name, SIRET and private contact e-mail" : jerr.text);
        json_decref(root);
        return -1;
    }
    char *text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(root);
    proto_error_t err;
    int rc = json_codec_to_msgpack(text, strlen(text), &self->doc, &err);
    free(text);
    long name_at = rc == 0 ? s_find(&self->doc, S_NAME_MARK) : -1;
    long siret_at = rc == 0 ? s_find(&self->doc, S_SIRET_MARK) : -1;
    long contact_at = rc == 0 ? s_find(&self->doc, S_CONTACT_MARK) : -1;
    if (name_at < 0 || siret_at < 0 || contact_at < 0) {
        fprintf(stderr, "essp-bench: template %s cannot be made into applications\n", json_path);
        return -1;
    }
    self->name_at = (size_t)name_at;
    self->contact_at = (size_t)contact_at;
    self->siret_at = (size_t)siret_at;
    return 0;
}

void bench_apps_fini(bench_apps_t *self)
{
    msgpack_sbuffer_destroy(&self->doc);
}

const char *bench_apps_make(bench_apps_t *self, uint32_t seed, size_t *size)
{
    char name[S_NAME_DIGITS + 1], siret[S_SIRET_DIGITS + 1];
    snprintf(name, sizeof name, "%06u", seed % 1000000u);
    bench_apps_siret(seed, siret);
    memcpy(self->doc.data + self->name_at, name, S_NAME_DIGITS);
    memcpy(self->doc.data + self->siret_at, siret, S_SIRET_DIGITS);
    /* each applicant's own address, in no order either */
    char contact[S_CONTACT_DIGITS + 1];
    snprintf(contact, sizeof contact, "%08u", s_spread(seed, S_CONTACT_SPREAD));
    memcpy(self->doc.data + self->contact_at, contact, S_CONTACT_DIGITS);
    *size = self->doc.size;
    return self->doc.data;
}
