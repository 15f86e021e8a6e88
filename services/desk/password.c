/*  services/desk/password.c - see password.h. */
#include "password.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The list, compiled in (CMakeLists.txt embeds common-passwords.txt). */
extern const unsigned char desk_common_passwords[];
extern const size_t desk_common_passwords_size;

static char **s_words;
static size_t s_count;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static int s_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void s_lower(char *text)
{
    for (; *text; text++)
        if (*text >= 'A' && *text <= 'Z')
            *text = (char)(*text - 'A' + 'a');
}

/*  Lines of the list, '#' lines are its header; lowered and sorted once. */
static void s_load(void)
{
    char *copy = malloc(desk_common_passwords_size + 1);
    size_t lines = 1;
    if (!copy)
        return;
    memcpy(copy, desk_common_passwords, desk_common_passwords_size);
    copy[desk_common_passwords_size] = '\0';
    for (size_t i = 0; i < desk_common_passwords_size; i++)
        lines += copy[i] == '\n';
    s_words = calloc(lines, sizeof *s_words);
    if (!s_words)
        return;
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (!len || line[0] == '#')
            continue;
        s_lower(line);
        s_words[s_count++] = line;
    }
    qsort(s_words, s_count, sizeof *s_words, s_compare);
}

bool password_is_common(const char *password)
{
    pthread_once(&s_once, s_load);
    char lowered[PASSWORD_MAX_BYTES + 1];
    if (strlen(password) > PASSWORD_MAX_BYTES)
        return false;
    strcpy(lowered, password);
    s_lower(lowered);
    const char *key = lowered;
    return s_count && bsearch(&key, s_words, s_count, sizeof *s_words, s_compare) != NULL;
}

size_t password_common_count(void)
{
    pthread_once(&s_once, s_load);
    return s_count;
}

static size_t s_chars(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += ((unsigned char)*text & 0xc0) != 0x80;
    return n;
}

const char *password_problem(const char *password, const char *email, const char *name)
{
    if (!password || s_chars(password) < PASSWORD_MIN_CHARS)
        return "Le mot de passe doit compter au moins 12 caractères. Choisissez-en un plus long : une phrase "
               "de plusieurs mots convient très bien.";
    if (strlen(password) > PASSWORD_MAX_BYTES)
        return "Le mot de passe dépasse 200 octets. Choisissez-en un plus court.";
    if ((email && !strcasecmp(password, email)) || (name && !strcasecmp(password, name)))
        return "Le mot de passe ne peut pas être votre adresse électronique ni votre nom. Choisissez-en un "
               "autre.";
    if (password_is_common(password))
        return "Ce mot de passe figure dans la liste des mots de passe les plus courants : il serait vite "
               "deviné. Choisissez-en un autre.";
    return NULL;
}
