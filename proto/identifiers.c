/*  proto/identifiers.c - see identifiers.h. */
#include "identifiers.h"

#include <string.h>
#include <strings.h>

const char *id_status_name(id_status_t status)
{
    switch (status) {
    case ID_OK:           return "ok";
    case ID_BAD_CHARS:    return "chars";
    case ID_BAD_LENGTH:   return "length";
    case ID_BAD_CHECKSUM: return "checksum";
    case ID_BAD_SHAPE:    return "shape";
    }
    return "unknown";
}

static bool s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int id_digits(const char *text, size_t len, char *out, size_t cap)
{
    if (!out || cap == 0)
        return -1;
    out[0] = '\0';
    if (!text)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ')
            continue;
        if (!s_is_digit(text[i]) || n + 1 >= cap) {
            out[0] = '\0';
            return -1;
        }
        out[n++] = text[i];
    }
    out[n] = '\0';
    return (int)n;
}

bool id_luhn(const char *digits, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        char c = digits[n - 1 - i];
        if (!s_is_digit(c))
            return false;
        unsigned d = (unsigned)(c - '0');
        if (i % 2 == 1)
            d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return sum % 10 == 0;
}

static unsigned s_digit_sum(const char *digits, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (unsigned)(digits[i] - '0');
    return sum;
}

/*  Reads exactly `expected` digits (spaces skipped) into buf, which has
 *  room for expected + 1 bytes; a longer input is truncated in buf but
 *  still counted, so it reads as a length error. */
static id_status_t s_normalise(const char *text, size_t len, size_t expected, char *buf)
{
    size_t n = 0;
    buf[0] = '\0';
    if (!text)
        return ID_BAD_LENGTH;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ')
            continue;
        if (!s_is_digit(text[i])) {
            buf[0] = '\0';
            return ID_BAD_CHARS;
        }
        if (n < expected)
            buf[n] = text[i];
        n++;
    }
    buf[n < expected ? n : expected] = '\0';
    return n == expected ? ID_OK : ID_BAD_LENGTH;
}

static void s_copy_out(char *digits, const char *buf)
{
    if (digits)
        memcpy(digits, buf, strlen(buf) + 1);
}

id_status_t id_siren_check(const char *text, size_t len, char digits[ID_SIREN_LEN + 1])
{
    char buf[ID_SIREN_LEN + 1];
    id_status_t status = s_normalise(text, len, ID_SIREN_LEN, buf);
    s_copy_out(digits, buf);
    if (status != ID_OK)
        return status;
    return id_luhn(buf, ID_SIREN_LEN) ? ID_OK : ID_BAD_CHECKSUM;
}

id_status_t id_siret_check(const char *text, size_t len, char digits[ID_SIRET_LEN + 1])
{
    char buf[ID_SIRET_LEN + 1];
    id_status_t status = s_normalise(text, len, ID_SIRET_LEN, buf);
    s_copy_out(digits, buf);
    if (status != ID_OK)
        return status;
    if (memcmp(buf, ID_LA_POSTE_SIREN, ID_SIREN_LEN) == 0)
        return s_digit_sum(buf, ID_SIRET_LEN) % 5 == 0 || strcmp(buf, ID_LA_POSTE_HEAD_OFFICE) == 0
                   ? ID_OK : ID_BAD_CHECKSUM;
    /* Both keys: a 14-digit number that passes Luhn is not a SIRET unless
     * its first nine digits are a SIREN. */
    return id_luhn(buf, ID_SIREN_LEN) && id_luhn(buf, ID_SIRET_LEN) ? ID_OK : ID_BAD_CHECKSUM;
}

int id_siret_siren(const char *siret, size_t len, char siren[ID_SIREN_LEN + 1])
{
    char buf[ID_SIRET_LEN + 1];
    if (s_normalise(siret, len, ID_SIRET_LEN, buf) != ID_OK) {
        siren[0] = '\0';
        return -1;
    }
    memcpy(siren, buf, ID_SIREN_LEN);
    siren[ID_SIREN_LEN] = '\0';
    return 0;
}

bool id_rna_is_none(const char *text, size_t len)
{
    return text && ((len == 4 && strncasecmp(text, "none", 4) == 0) || (len == 5 && strncasecmp(text, "aucun", 5) == 0));
}

id_status_t id_rna_check(const char *text, size_t len)
{
    if (id_rna_is_none(text, len))
        return ID_OK;
    if (!text || len != ID_RNA_LEN || text[0] != 'W' || !s_is_digit(text[1]))
        return ID_BAD_SHAPE;
    if (!s_is_digit(text[2]) && text[2] != 'A' && text[2] != 'B')
        return ID_BAD_SHAPE;
    for (size_t i = 3; i < ID_RNA_LEN; i++)
        if (!s_is_digit(text[i]))
            return ID_BAD_SHAPE;
    return ID_OK;
}

id_status_t id_nda_check(const char *text, size_t len, char digits[ID_NDA_LEN + 1])
{
    char buf[ID_NDA_LEN + 1];
    id_status_t status = s_normalise(text, len, ID_NDA_LEN, buf);
    s_copy_out(digits, buf);
    if (status != ID_OK)
        return status;
    /* region(2) département(2) sequence(5) département(2) */
    bool region_zero = buf[0] == '0' && buf[1] == '0';
    bool department_zero = buf[2] == '0' && buf[3] == '0';
    bool departments_equal = buf[2] == buf[9] && buf[3] == buf[10];
    return region_zero || department_zero || !departments_equal ? ID_BAD_SHAPE : ID_OK;
}

int id_postcode_department(const char *postcode, size_t len, char department[4])
{
    department[0] = '\0';
    if (!postcode || len != 5)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!s_is_digit(postcode[i]))
            return -1;
    int head = (postcode[0] - '0') * 10 + (postcode[1] - '0');
    if (head == 0 || head == 96)
        return -1;
    if (head == 20) {
        /* Corse-du-Sud uses 20000-20199, Haute-Corse 20200 and above. */
        bool south = postcode[2] < '2';
        memcpy(department, south ? "2A" : "2B", 3);
    } else if (head >= 97) {
        memcpy(department, postcode, 3);
        department[3] = '\0';
    } else {
        memcpy(department, postcode, 2);
        department[2] = '\0';
    }
    return 0;
}

/*  What a header could be made of: quotes, comments, routes, lists. */
#define S_ADDRESS_SPECIALS "<>()[]\\,;:\""

bool id_mail_address_check(const char *text, size_t len, const char **reason)
{
    const char *why = NULL;
    size_t at = len, ats = 0;
    if (!text)
        len = 0;
    /* What could break a header first: it is the reason staff must read. */
    for (size_t i = 0; !why && i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= 0x20 || c >= 0x7f)
            why = "L’adresse contient un espace, un retour à la ligne, un caractère de contrôle "
                  "ou un caractère non ASCII (une lettre accentuée, par exemple).";
        else if (strchr(S_ADDRESS_SPECIALS, c))
            why = "L’adresse contient un caractère interdit (<>()[]\\,;:\").";
        else if (c == '@') {
            ats++;
            at = i;
        }
    }
    if (why)
        ;
    else if (len < 3 || len > 254)
        why = "L’adresse est vide ou trop longue.";
    else if (ats != 1 || at == 0 || at + 1 == len)
        why = "L’adresse doit contenir un seul « @ », avec un nom avant et un domaine après.";
    if (reason)
        *reason = why;
    return why == NULL;
}

bool id_email_valid(const char *text, size_t len)
{
    if (!id_mail_address_check(text, len, NULL))
        return false;
    const char *at = memchr(text, '@', len);
    /* A dot in the domain, neither first nor last. */
    for (size_t i = (size_t)(at - text) + 2; i + 1 < len; i++)
        if (text[i] == '.')
            return true;
    return false;
}

bool id_login_valid(const char *text, size_t len)
{
    if (!text || len < 3 || len > 254)
        return false;
    size_t at = 0, ats = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';')
            return false;
        if (c == '@') {
            ats++;
            at = i;
        }
    }
    return ats == 1 && at > 0 && at + 1 < len;
}
