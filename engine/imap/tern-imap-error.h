/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TERN_IMAP_ERROR (tern_imap_error_quark ())

/* Errors of the IMAP layer. PROTOCOL, LIMIT and TRUNCATED come from what a
 * server sent and mean the connection must be dropped; INVALID comes from what
 * the program asked to encode. The messages name the problem and quote at most
 * a few escaped bytes of the input, never a whole line. */
typedef enum
{
  TERN_IMAP_ERROR_PROTOCOL,   /* the server broke the IMAP grammar */
  TERN_IMAP_ERROR_LIMIT,      /* the server went over one of TernImapLimits */
  TERN_IMAP_ERROR_TRUNCATED,  /* the connection ended inside a response */
  TERN_IMAP_ERROR_INVALID,    /* a name, string or set that cannot be encoded */
} TernImapError;

GQuark tern_imap_error_quark (void);

G_END_DECLS
