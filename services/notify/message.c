/*  services/notify/message.c - see message.h. */
#include "message.h"

#include "proto/identifiers.h"

#include <sodium.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  RFC 2047: an encoded-word is at most 75 characters, and we keep each
 *  header line within 76 like the parts: "=?UTF-8?B?" and "?=" take 12,
 *  the rest is base64, 4 characters per 3 bytes. */
#define S_HEADER_LINE 76
#define S_WORD_OVERHEAD 12
/*  RFC 2045: a quoted-printable line is at most 76 characters; a soft
 *  break adds '=', so at most 75 before it. */
#define S_QP_LINE 75

bool message_address_check(const char *address, const char **reason)
{
    return id_mail_address_check(address, address ? strlen(address) : 0, reason);
}

static bool s_atext(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~.", c);
}

bool message_id_check(const char *id)
{
    const char *at = id ? strchr(id, '@') : NULL;
    if (!at || at == id || !at[1] || strchr(at + 1, '@') || strlen(id) > 200)
        return false;
    for (const char *p = id; *p; p++)
        if (p != at && !s_atext((unsigned char) *p))
            return false;
    return id[0] != '.' && at[-1] != '.' && at[1] != '.' && id[strlen(id) - 1] != '.';
}

const char *message_address_domain(const char *address)
{
    const char *at = address ? strrchr(address, '@') : NULL;
    return at && at[1] ? at + 1 : "essp.invalid";
}

void message_address_hash16(const char *address, char out[17])
{
    unsigned char lower[256], hash[8];
    size_t len = strlen(address);
    if (len > sizeof lower)
        len = sizeof lower;
    for (size_t i = 0; i < len; i++)
        lower[i] = (unsigned char) tolower((unsigned char) address[i]);
    crypto_generichash(hash, sizeof hash, lower, len, NULL, 0);
    sodium_bin2hex(out, 17, hash, sizeof hash);
}

void message_id_make(char *out, size_t cap, const char *stream, uint64_t seq, int64_t at, const char *recipient,
                     const char *domain)
{
    char hash[17];
    message_address_hash16(recipient, hash);
    snprintf(out, cap, "%s.%llu.%lld.%s@%s", stream, (unsigned long long) seq, (long long) (at < 0 ? 0 : at), hash,
             domain);
}

void message_date(int64_t t, char out[40])
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t when = (time_t) t;
    struct tm tm;
    gmtime_r(&when, &tm);
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void message_date_fr(int64_t t, char *out, size_t cap)
{
    static const char *const months[] = { "janvier", "février", "mars", "avril", "mai", "juin",
                                          "juillet", "août", "septembre", "octobre", "novembre",
                                          "décembre" };
    time_t when = (time_t) t;
    struct tm tm;
    gmtime_r(&when, &tm);
    if (tm.tm_mday == 1)
        snprintf(out, cap, "1er %s %d", months[tm.tm_mon], tm.tm_year + 1900);
    else
        snprintf(out, cap, "%d %s %d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
}

/*  How many bytes of text (at most max) end on a whole UTF-8 character. */
static size_t s_utf8_cut(const unsigned char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && (text[cut] & 0xc0) == 0x80)
        cut--;
    return cut ? cut : max;
}

/*  The text as RFC 2047 B encoded-words, folded one per line; the first
 *  follows `lead` characters of its header line ("Subject: ").  Control
 *  characters (CR and LF among them) become spaces first: a name never
 *  carries a line break into a subject. */
static void s_encoded_words(FILE *out, const char *text, size_t lead)
{
    size_t len = strlen(text);
    unsigned char *clean = malloc(len + 1);
    if (!clean) {
        fputs("=?UTF-8?B?" "?=", out);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        clean[i] = c < 0x20 || c == 0x7f ? ' ' : c;
    }
    size_t done = 0;
    do {
        size_t room = S_HEADER_LINE - (done ? 1 : lead) - S_WORD_OVERHEAD;
        size_t n = s_utf8_cut(clean + done, len - done, room / 4 * 3);
        char b64[sodium_base64_ENCODED_LEN(S_HEADER_LINE, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, clean + done, n, sodium_base64_VARIANT_ORIGINAL);
        fprintf(out, "%s=?UTF-8?B?%s?=", done ? "\r\n " : "", b64);
        done += n;
    } while (done < len);
    free(clean);
}

/*  One line of text (no line end) in quoted-printable, soft-broken so that
 *  no line is over 76 characters. */
static void s_qp_line(FILE *out, const unsigned char *line, size_t len)
{
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = line[i];
        char piece[4];
        bool last = i + 1 == len;
        /* '=' and bytes outside printable ASCII are encoded; so is white
         * space at the end of a line (transports strip it), a '.' that
         * starts a line (SMTP's end of data) and the F of "From " (mbox). */
        if ((c >= 33 && c <= 126 && c != '=' && !(col == 0 && c == '.')
             && !(col == 0 && c == 'F' && len - i >= 5 && memcmp(line + i, "From ", 5) == 0))
            || ((c == ' ' || c == '\t') && !last))
            snprintf(piece, sizeof piece, "%c", c);
        else
            snprintf(piece, sizeof piece, "=%02X", c);
        size_t plen = strlen(piece);
        /* The last piece of a line may use the 76th column: no '=' follows. */
        size_t room = last ? S_QP_LINE + 1 : S_QP_LINE;
        if (col + plen > room) {
            fputs("=\r\n", out);
            col = 0;
        }
        fputs(piece, out);
        col += plen;
    }
    fputs("\r\n", out);
}

static void s_qp(FILE *out, const char *text)
{
    const unsigned char *p = (const unsigned char *) text;
    for (;;) {
        const unsigned char *nl = (const unsigned char *) strchr((const char *) p, '\n');
        size_t len = nl ? (size_t) (nl - p) : strlen((const char *) p);
        size_t body = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
        if (!nl && body == 0)
            break;
        s_qp_line(out, p, body);
        if (!nl)
            break;
        p = nl + 1;
    }
}

/*  The boundary begins with "=_": quoted-printable never writes '='
 *  followed by '_', so no line of either part can be taken for it. */
static void s_boundary(const message_t *m, char out[40])
{
    unsigned char hash[8];
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, sizeof hash);
    crypto_generichash_update(&state, (const unsigned char *) m->text, strlen(m->text));
    crypto_generichash_update(&state, (const unsigned char *) m->html, strlen(m->html));
    crypto_generichash_final(&state, hash, sizeof hash);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    snprintf(out, 40, "=_essp_%s", hex);
}

static void s_part(FILE *out, const char *boundary, const char *subtype, const char *body)
{
    fprintf(out, "--%s\r\nContent-Type: text/%s; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, subtype);
    s_qp(out, body);
}

static bool s_url_ok(const char *url)
{
    if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f || *p == '<' || *p == '>')
            return false;
    return strlen(url) < 900;
}

int message_compose(const message_t *m, char **out, size_t *len)
{
    if (!message_address_check(m->to, NULL) || !message_address_check(m->from, NULL)
        || !message_id_check(m->message_id) || (m->list_unsubscribe && !s_url_ok(m->list_unsubscribe)))
        return -1;
    *out = NULL;
    *len = 0;
    FILE *f = open_memstream(out, len);
    if (!f)
        return -1;
    char date[40], boundary[40];
    message_date(m->date, date);
    s_boundary(m, boundary);
    fprintf(f, "Date: %s\r\nMessage-ID: <%s>\r\nFrom: ESS Pratiques <%s>\r\nTo: ", date, m->message_id,
            m->from);
    if (m->to_name && *m->to_name) {
        s_encoded_words(f, m->to_name, 4);
        fprintf(f, "\r\n <%s>\r\n", m->to);
    } else
        fprintf(f, "<%s>\r\n", m->to);
    fputs("Subject: ", f);
    s_encoded_words(f, m->subject, 9);
    fputs("\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\nContent-Language: fr\r\n", f);
    if (m->list_unsubscribe)
        fprintf(f, "List-Unsubscribe: <%s>\r\n", m->list_unsubscribe);
    fprintf(f, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", boundary);
    s_part(f, boundary, "plain", m->text);
    s_part(f, boundary, "html", m->html);
    fprintf(f, "--%s--\r\n", boundary);
    if (fclose(f) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
