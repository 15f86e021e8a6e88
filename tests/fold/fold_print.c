/*  fold_print: folds each line of standard input with proto/text.c.
 *  A line is the hex of a UTF-8 string (so that any byte, newline
 *  included, can be fed); the answer is the hex of its folding, one line
 *  each.  tests/fold/compare.js drives it. */
#include "proto/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_nibble(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int main(void)
{
    static char line[1 << 16], text[1 << 15], folded[1 << 16];
    while (fgets(line, sizeof line, stdin)) {
        size_t len = strcspn(line, "\r\n"), n = 0;
        for (size_t i = 0; i + 1 < len && n < sizeof text; i += 2) {
            int hi = s_nibble(line[i]), lo = s_nibble(line[i + 1]);
            if (hi < 0 || lo < 0) {
                fprintf(stderr, "fold_print: not hex: %s\n", line);
                return 2;
            }
            text[n++] = (char)(hi << 4 | lo);
        }
        size_t out = text_fold(text, n, folded, sizeof folded);
        for (size_t i = 0; i < out; i++)
            printf("%02x", (unsigned char)folded[i]);
        putchar('\n');
    }
    return ferror(stdout) ? 1 : 0;
}
