/*  services/cli/args.c - see args.h. */
#include "args.h"

#include "proto/messages.h"

#include <assert.h>
#include <getopt.h>
#include <string.h>

/*  The declared options into self: names, which take a value, which are
 *  required. */
static void s_declare(args_t *self, const char *options)
{
    for (const char *p = options; p && *p;) {
        size_t len = strcspn(p, ",");
        assert(self->options < ARGS_OPTIONS_MAX && len > 0);
        size_t i = self->options++;
        size_t name_len = strcspn(p, "=!,");
        assert(name_len < ARGS_NAME_MAX);
        memcpy(self->name[i], p, name_len);
        self->name[i][name_len] = '\0';
        self->valued[i] = memchr(p, '=', len) != NULL;
        self->required[i] = memchr(p, '!', len) != NULL;
        p += len + (p[len] == ',');
    }
}

static int s_find(const args_t *self, const char *name)
{
    for (size_t i = 0; i < self->options; i++)
        if (strcmp(self->name[i], name) == 0)
            return (int)i;
    return -1;
}

int args_parse(args_t *self, const char *options, int argc, char **argv, const char **problem)
{
    memset(self, 0, sizeof *self);
    s_declare(self, options);
    struct option longopts[ARGS_OPTIONS_MAX + 1];
    memset(longopts, 0, sizeof longopts);
    for (size_t i = 0; i < self->options; i++)
        longopts[i] = (struct option){self->name[i], self->valued[i] ? required_argument : no_argument,
                                      NULL, (int)i + 2};
    opterr = 0;    /* the command says what is wrong, in its own words */
    optind = 1;
    *problem = NULL;
    for (;;) {
        /* "-": every positional comes back as 1, in order. */
        int c = getopt_long(argc, argv, "-:", longopts, NULL);
        if (c == -1)
            break;
        if (c == 1) {
            if (self->positionals < ARGS_POS_MAX)
                self->pos[self->positionals] = optarg;
            self->positionals++;
        } else if (c == ':') {
            *problem = "an option lacks its value";
            return -1;
        } else if (c < 2 || c > (int)self->options + 1) {
            *problem = "unknown option";
            return -1;
        } else {
            size_t i = (size_t)c - 2;
            if (self->given[i]++ == 0)
                self->first[i] = optarg;
            if (self->valued[i] && self->values < ARGS_VALUES_MAX) {
                self->value_of[self->values] = (int)i;
                self->value[self->values++] = optarg;
            }
        }
    }
    /* After "--", the rest are positionals. */
    for (; optind < argc; optind++) {
        if (self->positionals < ARGS_POS_MAX)
            self->pos[self->positionals] = argv[optind];
        self->positionals++;
    }
    for (size_t i = 0; i < self->options; i++)
        if (self->required[i] && !self->given[i])
            return -1;
    return 0;
}

/*  Whether `arg` is "--NAME" (no "=") for an option of `options` that
 *  takes a value: then the next argument is that value. */
static bool s_takes_next(const char *options, const char *arg)
{
    if (strncmp(arg, "--", 2) != 0 || strchr(arg, '='))
        return false;
    args_t declared;
    memset(&declared, 0, sizeof declared);
    s_declare(&declared, options);
    int i = s_find(&declared, arg + 2);
    return i >= 0 && declared.valued[i];
}

bool args_wants_help(const char *options, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
        if (options && s_takes_next(options, argv[i]))
            i++;
    }
    return false;
}

const char *args_value(const args_t *self, const char *name)
{
    int i = s_find(self, name);
    assert(i >= 0);
    return self->first[i];
}

bool args_flag(const args_t *self, const char *name)
{
    return args_count(self, name) > 0;
}

size_t args_count(const args_t *self, const char *name)
{
    int i = s_find(self, name);
    assert(i >= 0);
    return self->given[i];
}

void args_pack_values(const args_t *self, msgpack_packer *pk, const char *key, const char *name)
{
    int which = s_find(self, name);
    assert(which >= 0);
    size_t n = 0;
    for (size_t v = 0; v < self->values; v++)
        n += self->value_of[v] == which;
    proto_pack_str(pk, key);
    msgpack_pack_array(pk, n);
    for (size_t v = 0; v < self->values; v++)
        if (self->value_of[v] == which)
            proto_pack_str(pk, self->value[v]);
}
