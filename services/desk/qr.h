/*  services/desk/qr.h - a QR code as an SVG element written into a page
 *  (libqrencode): the TOTP enrolment shows its otpauth:// URI so, for a
 *  phone's camera.  No inline style nor script: the colours come from
 *  desk.css (classes qr, qr-bg, qr-dots). */
#ifndef ESSP_DESK_QR_H
#define ESSP_DESK_QR_H

#include <stdio.h>

/*  Writes the QR code of text (error correction M, with its quiet zone)
 *  to out: 0, or -1 when it cannot be encoded. */
int qr_svg(const char *text, FILE *out);

#endif
