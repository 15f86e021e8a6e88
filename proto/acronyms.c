/*  proto/acronyms.c - see acronyms.h.  The list is written as people read
 *  it (accents, apostrophes); it is folded once, on first use. */
#include "acronyms.h"

#include "text.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

/*  The acronyms an ESS organisation meets when it looks for an advisor:
 *  its own legal forms and agreements, the improvement approaches of the
 *  Guide des bonnes pratiques, the human resources and working-conditions
 *  actions advisors are asked for, and the support schemes of the field. */
static const acronym_t s_acronyms[] = {
    {"CAE", "coopérative d’activité et d’emploi",
     {"coopérative d’activités et d’emploi", "coopérative d’activités et d’emplois"}},
    {"CRESS", "chambre régionale de l’économie sociale et solidaire", {NULL}},
    {"CSE", "comité social et économique", {NULL}},
    {"DLA", "dispositif local d’accompagnement", {NULL}},
    {"DUERP", "document unique d’évaluation des risques professionnels", {NULL}},
    {"ESS", "économie sociale et solidaire", {NULL}},
    {"ESUS", "entreprise solidaire d’utilité sociale", {NULL}},
    {"GEPP", "gestion des emplois et des parcours professionnels", {NULL}},
    {"GPEC", "gestion prévisionnelle des emplois et des compétences",
     {"gestion prévisionnelle des compétences", "gestion prévisionnelle des emplois et compétences"}},
    {"IAE", "insertion par l’activité économique", {NULL}},
    {"OPCO", "opérateur de compétences", {NULL}},
    /* QVCT took over from QVT in 2020: who asks for one wants the other. */
    {"QVCT", "qualité de vie et des conditions de travail",
     {"qualité de vie et conditions de travail", "qualité de vie au travail"}},
    {"QVT", "qualité de vie au travail", {NULL}},
    {"RPS", "risques psychosociaux", {NULL}},
    {"RSE", "responsabilité sociétale des entreprises",
     {"responsabilité sociale des entreprises", "responsabilité sociale et environnementale"}},
    {"RSO", "responsabilité sociétale des organisations", {"responsabilité sociale des organisations"}},
    {"SCIC", "société coopérative d’intérêt collectif", {NULL}},
    {"SCOP", "société coopérative et participative",
     {"société coopérative ouvrière de production", "société coopérative de production"}},
    {"SIAE", "structure d’insertion par l’activité économique", {NULL}},
    {NULL, NULL, {NULL}},
};

#define S_COUNT (sizeof s_acronyms / sizeof *s_acronyms - 1)
#define S_PHRASE_MAX 96

/*  Each acronym folded, then its expansion, then its other wordings;
 *  an empty string after the last. */
typedef struct {
    char phrase[2 + ACRONYMS_ALSO_MAX][S_PHRASE_MAX];
    size_t len[2 + ACRONYMS_ALSO_MAX];
} folded_t;

static folded_t s_folded[S_COUNT];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

/*  The phrases (acronyms, expansions, other wordings) by their first
 *  byte: a word of the text is compared only with the phrases that begin
 *  like it, so the text is read once, not once per phrase. */
#define S_BUCKET_MAX 24
typedef struct {
    unsigned char rule, phrase;
} phrase_ref_t;
static phrase_ref_t s_by_first[256][S_BUCKET_MAX];
static unsigned char s_by_first_count[256];

static void s_fold_all(void)
{
    for (size_t i = 0; i < S_COUNT; i++) {
        const acronym_t *a = &s_acronyms[i];
        const char *texts[2 + ACRONYMS_ALSO_MAX] = {a->acronym, a->expansion};
        for (size_t k = 0; k < ACRONYMS_ALSO_MAX; k++)
            texts[2 + k] = a->also[k];
        for (size_t k = 0; k < 2 + ACRONYMS_ALSO_MAX && texts[k]; k++) {
            s_folded[i].len[k] = text_fold(texts[k], strlen(texts[k]), s_folded[i].phrase[k], S_PHRASE_MAX);
            unsigned char first = (unsigned char)s_folded[i].phrase[k][0];
            assert(s_by_first_count[first] < S_BUCKET_MAX);
            s_by_first[first][s_by_first_count[first]++] = (phrase_ref_t){(unsigned char)i, (unsigned char)k};
        }
    }
}

static const folded_t *s_rules(void)
{
    pthread_once(&s_once, s_fold_all);
    return s_folded;
}

const acronym_t *acronyms_table(size_t *count)
{
    if (count)
        *count = S_COUNT;
    return s_acronyms;
}

/*  The length of the word of hay at i when it is word or its plural (an
 *  s or an x more: « structures d’insertion » is SIAE too), else 0. */
static size_t s_same_word(const char *hay, size_t len, size_t i, const char *word, size_t wlen)
{
    if (i + wlen > len || memcmp(hay + i, word, wlen) != 0)
        return 0;
    size_t end = i + wlen;
    if (end < len && (hay[end] == 's' || hay[end] == 'x'))
        end++;
    return end == len || hay[end] == ' ' ? end - i : 0;
}

/*  True when the words of phrase follow one another in hay from i. */
static bool s_holds_at(const char *hay, size_t len, size_t i, const char *phrase, size_t plen)
{
    for (size_t p = 0; p < plen;) {
        size_t wlen = strcspn(phrase + p, " ");
        size_t used = s_same_word(hay, len, i, phrase + p, wlen);
        if (!used)
            return false;
        p += wlen + (phrase[p + wlen] == ' ');
        i += used + 1;
        if (p < plen && i > len)
            return false;
    }
    return true;
}

/*  Appends " acronym expansion" when it fits whole. */
static size_t s_append(const folded_t *rule, char *hay, size_t len, size_t cap)
{
    size_t need = (len ? 1 : 0) + rule->len[0] + 1 + rule->len[1];
    if (len + need + 1 > cap)
        return len;
    if (len)
        hay[len++] = ' ';
    memcpy(hay + len, rule->phrase[0], rule->len[0]);
    len += rule->len[0];
    hay[len++] = ' ';
    memcpy(hay + len, rule->phrase[1], rule->len[1]);
    len += rule->len[1];
    hay[len] = '\0';
    return len;
}

/*  The rules that hold at the word of hay beginning at i (hay[0..end)
 *  only), not added yet: their acronym and expansion appended. */
static size_t s_expand_at(const folded_t *rules, bool *added, char *hay, size_t i, size_t end, size_t len,
                          size_t cap)
{
    unsigned char first = (unsigned char)hay[i];
    for (size_t r = 0; r < s_by_first_count[first]; r++) {
        phrase_ref_t ref = s_by_first[first][r];
        const folded_t *rule = &rules[ref.rule];
        if (added[ref.rule] || !s_holds_at(hay, end, i, rule->phrase[ref.phrase], rule->len[ref.phrase]))
            continue;
        len = s_append(rule, hay, len, cap);
        added[ref.rule] = true;
    }
    return len;
}

size_t acronyms_expand(char *hay, size_t len, size_t cap)
{
    const folded_t *rules = s_rules();
    bool added[S_COUNT] = {false};
    /* The text once, then what that added, until nothing is added: what
     * one acronym brings may hold another's wording (SIAE's expansion
     * holds IAE's, QVT's is one of QVCT's). */
    for (size_t from = 0; from < len;) {
        size_t end = len;
        for (size_t i = from; i < end;) {
            len = s_expand_at(rules, added, hay, i, end, len, cap);
            const char *space = memchr(hay + i, ' ', end - i);
            if (!space)
                break;
            i = (size_t)(space - hay) + 1;
        }
        from = end + 1;     /* past the space before what was added */
    }
    return len;
}

/*  True when word[0..len) begins one of the words of phrase. */
static bool s_begins_a_word(const char *phrase, size_t plen, const char *word, size_t len)
{
    for (size_t i = 0; i + len <= plen; i++)
        if ((i == 0 || phrase[i - 1] == ' ') && memcmp(phrase + i, word, len) == 0)
            return true;
    return false;
}

bool acronyms_may_supply(const char *word, size_t len)
{
    const folded_t *rules = s_rules();
    for (size_t i = 0; i < S_COUNT; i++)
        if (s_begins_a_word(rules[i].phrase[0], rules[i].len[0], word, len)
            || s_begins_a_word(rules[i].phrase[1], rules[i].len[1], word, len))
            return true;
    return false;
}
