/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The bits of messages.flags in the store. The IMAP system flags map onto
 * them one to one; the values are stored on disk, so never renumber them. */
typedef enum
{
  TERN_FLAG_SEEN     = 1 << 0,
  TERN_FLAG_ANSWERED = 1 << 1,
  TERN_FLAG_FLAGGED  = 1 << 2,
  TERN_FLAG_DELETED  = 1 << 3,
  TERN_FLAG_DRAFT    = 1 << 4,
} TernFlags;

G_END_DECLS
