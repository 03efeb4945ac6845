/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Text from a server or a certificate made safe to print as plain text:
 * valid UTF-8, control and format characters (U+202E…) escaped as \xNN or
 * \u{NNNN}. At most MAX_BYTES of DATA are read (G_MAXSIZE: all). */
char *tern_net_escape_text (const char *data,
                            gsize       length,
                            gsize       max_bytes);

G_END_DECLS
