/*  services/desk/qr.c - see qr.h. */
#include "qr.h"

#include <qrencode.h>

#define S_QUIET 4                    /* modules of white around, as the standard asks */

int qr_svg(const char *text, FILE *out)
{
    QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code)
        return -1;
    int width = code->width, whole = width + 2 * S_QUIET;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "aria-label=\"Code QR de la clé\"><rect class=\"qr-bg\" width=\"%d\" height=\"%d\"/>"
            "<path class=\"qr-dots\" d=\"",
            whole, whole, whole, whole);
    /* One square per dark module (bit 0 of each byte). */
    for (int y = 0; y < width; y++)
        for (int x = 0; x < width; x++)
            if (code->data[y * width + x] & 1)
                fprintf(out, "M%d %dh1v1h-1z", x + S_QUIET, y + S_QUIET);
    fputs("\"/></svg>", out);
    QRcode_free(code);
    return 0;
}
