/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Modified UTF-7 (RFC 3501 §5.1.3), the mailbox-name encoding of IMAP
 * servers that have not enabled UTF8=ACCEPT.
 *
 * Printable ASCII stands for itself, "&" is written "&-", and everything else
 * is UTF-16BE in base64 (with "," for "/", no padding) between "&" and "-".
 *
 * Decoding is strict and fails with TERN_IMAP_ERROR_INVALID on: bytes outside
 * printable ASCII, a shift without its "-", characters outside the modified
 * base64 alphabet, left-over bits that are not zero or make up a partial
 * UTF-16 unit, unpaired surrogates, U+0000, and printable ASCII hidden in a
 * shift (so every name has a single encoding and two names that look alike
 * are alike). Encoding fails on invalid UTF-8.
 */

char *tern_imap_utf7_decode (const char  *text,
                             GError     **error);
char *tern_imap_utf7_encode (const char  *utf8,
                             GError     **error);

G_END_DECLS
