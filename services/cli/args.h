/*  services/cli/args.h - the one prologue of every essp command.
 *
 *  A command declares its options in one string, "key=,renews=,follow":
 *  a name with '=' takes a value, '!' after it makes the option required,
 *  a bare name is a flag.  args_parse reads argv with getopt_long (options
 *  anywhere, "--name value" or "--name=value"); the positional arguments
 *  are kept in order.  An option given twice keeps every value (--tie,
 *  --network); args_value answers the first.
 */
#ifndef ESSP_CLI_ARGS_H
#define ESSP_CLI_ARGS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#define ARGS_POS_MAX 4           /* positionals kept (more are counted) */
#define ARGS_OPTIONS_MAX 8       /* options one command declares */
#define ARGS_VALUES_MAX 128      /* values kept (more are counted) */
#define ARGS_NAME_MAX 24

typedef struct {
    int positionals;                       /* how many were given */
    char *pos[ARGS_POS_MAX];
    size_t options;                        /* how many are declared */
    char name[ARGS_OPTIONS_MAX][ARGS_NAME_MAX];
    bool valued[ARGS_OPTIONS_MAX];
    bool required[ARGS_OPTIONS_MAX];
    size_t given[ARGS_OPTIONS_MAX];        /* times each was given */
    const char *first[ARGS_OPTIONS_MAX];   /* its first value */
    size_t values;
    int value_of[ARGS_VALUES_MAX];         /* which option each value is of */
    const char *value[ARGS_VALUES_MAX];
} args_t;

/*  Reads argv[1..argc) (argv[0] names the command) against the declared
 *  options.  Returns 0, or -1 with *problem set: "unknown option", "an
 *  option lacks its value" or, when a required option is absent, NULL
 *  (the command's own "expects ..." says it best). */
int args_parse(args_t *self, const char *options, int argc, char **argv, const char **problem);

/*  Whether argv[0..argc) asks for help: -h or --help where an option
 *  may stand, not as the value of a declared option that takes one
 *  (`--reason -h` is a reason), nor after "--". */
bool args_wants_help(const char *options, int argc, char **argv);

/*  The first value of --name, or NULL when it was not given. */
const char *args_value(const args_t *self, const char *name);

/*  True when --name was given. */
bool args_flag(const args_t *self, const char *name);

/*  How many times --name was given. */
size_t args_count(const args_t *self, const char *name);

/*  key: [every value of --name, in order]. */
void args_pack_values(const args_t *self, msgpack_packer *pk, const char *key, const char *name);

#endif
