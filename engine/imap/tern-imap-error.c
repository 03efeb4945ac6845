/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-error"

#include "tern-imap-error.h"

G_DEFINE_QUARK (tern-imap-error-quark, tern_imap_error)
