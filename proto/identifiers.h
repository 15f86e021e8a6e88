/*  proto/identifiers.h - French identifiers, checked offline.
 *
 *  Pure functions over text: no registry is queried (the SIRENE and RNA
 *  directories are the committee's business), so only what the number
 *  itself can prove is checked here.
 *
 *  - SIREN: 9 digits, Luhn checksum.
 *  - SIRET: 14 digits (SIREN + establishment number): its SIREN passes
 *    its own Luhn key, and the 14 digits theirs.  La Poste (SIREN
 *    356000000) numbers its thousands of establishments without a Luhn
 *    key: for it the sum of the 14 digits must be a multiple of 5 instead
 *    (its head office 35600000000048 passes Luhn only).
 *  - RNA: "W" + 9 characters, `^W[0-9][0-9AB][0-9]{7}$` (the Corsican
 *    départements 2A / 2B put a letter in third place), no check digit.
 *    The literal "none" (or the French "aucun", in any case, as the form
 *    and the reasons say it) is how an association without RNA number
 *    says so (Alsace-Moselle associations are registered at the local
 *    court).
 *  - NDA (training provider declaration): 11 digits, no published key.
 *    The observed layout is region (2) + département (2) + sequence (5) +
 *    département again (2), e.g. "52 44 12563 44".  Since the layout is
 *    observed rather than published, a mismatch is only a status the
 *    caller reports as a warning.
 *
 *  Applicants type numbers with spaces ("356 000 000 00048"): every check
 *  accepts digits and spaces, and gives back the digits only, which is the
 *  form to store.  Any other character makes the number invalid.
 */
#ifndef ESSP_PROTO_IDENTIFIERS_H
#define ESSP_PROTO_IDENTIFIERS_H

#include <stdbool.h>
#include <stddef.h>

#define ID_SIREN_LEN 9
#define ID_SIRET_LEN 14
#define ID_NDA_LEN   11
#define ID_RNA_LEN   10

/*  The SIREN of La Poste, the one exception to the SIRET Luhn rule. */
#define ID_LA_POSTE_SIREN "356000000"
/*  Its head office, whose SIRET passes Luhn but not the digit-sum rule. */
#define ID_LA_POSTE_HEAD_OFFICE "35600000000048"

typedef enum {
    ID_OK = 0,
    ID_BAD_CHARS,      /* something else than digits and spaces */
    ID_BAD_LENGTH,     /* not the expected number of digits */
    ID_BAD_CHECKSUM,   /* the Luhn key (or La Poste's rule) does not hold */
    ID_BAD_SHAPE       /* RNA: not W + 9; NDA: 11 digits off the observed layout */
} id_status_t;

/*  A stable English word for logs: "ok", "chars", "length", "checksum",
 *  "shape". */
const char *id_status_name(id_status_t status);

/*  Copies the digits of `text` (len bytes, no terminator needed) into
 *  `out`, dropping spaces, and NUL-terminates it.  Returns the number of
 *  digits, or -1 when the text holds anything but digits and spaces or
 *  has more than cap - 1 digits (out is then the empty string).
 *  "356 000 000 00048" -> "35600000000048", 14. */
int id_digits(const char *text, size_t len, char *out, size_t cap);

/*  Luhn checksum over n ASCII digits (from the right, every second digit
 *  doubled).  False when a character is not a digit. */
bool id_luhn(const char *digits, size_t n);

/*  SIREN: 9 digits with a valid Luhn key.  `digits` (may be NULL) receives
 *  the digits read, at most 9 (empty when a character is refused). */
id_status_t id_siren_check(const char *text, size_t len, char digits[ID_SIREN_LEN + 1]);

/*  SIRET: 14 digits with a valid Luhn key, or La Poste's digit-sum rule.
 *  `digits` (may be NULL) receives the digits read, at most 14 (empty when
 *  a character is refused), whatever the checksum. */
id_status_t id_siret_check(const char *text, size_t len, char digits[ID_SIRET_LEN + 1]);

/*  The SIREN of a SIRET: its first 9 digits.  Returns 0, or -1 when
 *  `siret` is not 14 digits (spaces allowed); the checksum is not looked
 *  at, so a caller that needs it checks with id_siret_check first. */
int id_siret_siren(const char *siret, size_t len, char siren[ID_SIREN_LEN + 1]);

/*  RNA: ID_OK for `^W[0-9][0-9AB][0-9]{7}$` or the literal "none",
 *  ID_BAD_SHAPE otherwise.  No spaces, no lower case: the number is
 *  copied from the registration receipt as printed. */
id_status_t id_rna_check(const char *text, size_t len);

/*  True when the RNA field is the literal "none" (no RNA number). */
bool id_rna_is_none(const char *text, size_t len);

/*  NDA: ID_BAD_CHARS / ID_BAD_LENGTH when it is not 11 digits (spaces
 *  allowed), ID_BAD_SHAPE when the 11 digits do not follow the observed
 *  layout (the two département pairs differ, or the region or the
 *  département is 00), else
 *  ID_OK.  `digits` (may be NULL) receives the digits read, at most 11
 *  (empty when a character is refused). */
id_status_t id_nda_check(const char *text, size_t len, char digits[ID_NDA_LEN + 1]);

/*  The département of a French postcode (5 digits): its first two digits,
 *  except Corsica (20000-20199 -> "2A", 20200-20999 -> "2B") and overseas
 *  (97xxx, 98xxx -> three digits, "974").  Returns 0, or -1 when the
 *  postcode is not 5 digits or starts with 00 or 96, which no département
 *  uses. */
int id_postcode_department(const char *postcode, size_t len, char department[4]);

/*  An address essp-notify can write to, as recipient or sender: 3 to 254
 *  bytes of printable ASCII, one '@' with something on both sides, and
 *  none of <>()[]\,;:" (what would quote, comment or split it in a
 *  header).  Internationalised addresses (bytes >= 0x80) are refused:
 *  notify writes no SMTPUTF8.  On refusal *reason (may be NULL) is a
 *  French sentence saying what breaks the rule; text may be NULL. */
bool id_mail_address_check(const char *text, size_t len, const char **reason);

/*  An e-mail address as people give it (an application's contacts, a
 *  committee member, staff): one notify can write to
 *  (id_mail_address_check) with a '.' in its domain, something on both
 *  sides of it.  application.schema.json's email patterns say the same in
 *  POSIX ERE, so that intake takes no address notify would refuse.  Not
 *  RFC 5322: the address is only ever mailed to. */
bool id_email_valid(const char *text, size_t len);

/*  An e-mail address as a login of essp-desk: 3 to 254 bytes, one '@' with
 *  something on both sides, and none of: space, control characters,
 *  '<', '>', '"', ',' and ';' (what would split or quote it in a header
 *  or a list).  The desk and the essp tool check logins with it. */
bool id_login_valid(const char *text, size_t len);

#endif
