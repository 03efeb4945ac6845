/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * How much of a server's output the IMAP parser accepts before it gives up
 * with TERN_IMAP_ERROR_LIMIT. Each bound is far above what a real server
 * sends and low enough that a hostile one cannot make Tern allocate without
 * bound, recurse deeply or spin.
 *
 * max_line_length    bytes of one response outside its literals. The longest
 *                    real lines are SEARCH results: "UID SEARCH ALL" over a
 *                    folder of 1.5 million messages is about 12 MiB (Gmail
 *                    offers no ESEARCH). Default 16 MiB.
 * max_literal_size   bytes of one literal. A FETCH BODY[] of the largest
 *                    message any provider accepts (Gmail 50 MB, Fastmail 70 MB,
 *                    Exchange Online 150 MB with MIME growth) fits. Default
 *                    100 MiB; {4294967295} fails before anything is allocated.
 * max_response_size  bytes of one response with all its literals. Default
 *                    128 MiB.
 * max_depth          nesting of parenthesized lists. Dovecot stops MIME
 *                    nesting at 100 levels, and a BODYSTRUCTURE nests one list
 *                    per level, so any structure a server builds fits, while
 *                    100k opening parentheses fail at the 129th. Default 128.
 * max_atom_length    bytes of one atom: a flag, keyword, capability, tag or
 *                    unquoted mailbox name (Dovecot's mailbox-name limit is
 *                    4 KiB). Sequence sets are not atoms and are bounded by
 *                    the line. Default 8 KiB, so a 64 KiB atom fails.
 * max_items          strings, atoms and lists in one response, which bounds
 *                    what a response of tiny tokens ("* FLAGS (a a a …)")
 *                    costs in memory. Numbers of SEARCH, which are kept four
 *                    bytes apiece, do not count. Default 1 million.
 *
 * A field left at 0 takes its default. Whatever is asked, lines and
 * responses stay under 1 GiB and nesting under 1024 levels.
 */

#define TERN_IMAP_DEFAULT_MAX_LINE_LENGTH    (16 * 1024 * 1024)
#define TERN_IMAP_DEFAULT_MAX_LITERAL_SIZE   (100 * 1024 * 1024)
#define TERN_IMAP_DEFAULT_MAX_RESPONSE_SIZE  (128 * 1024 * 1024)
#define TERN_IMAP_DEFAULT_MAX_DEPTH          128
#define TERN_IMAP_DEFAULT_MAX_ATOM_LENGTH    (8 * 1024)
#define TERN_IMAP_DEFAULT_MAX_ITEMS          (1000 * 1000)

#define TERN_IMAP_MAX_LINE_LENGTH_CAP        (1024 * 1024 * 1024)
#define TERN_IMAP_MAX_RESPONSE_SIZE_CAP      ((gsize) 1024 * 1024 * 1024)
#define TERN_IMAP_MAX_DEPTH_CAP              1024

typedef struct
{
  gsize max_line_length;
  gsize max_literal_size;
  gsize max_response_size;
  guint max_depth;
  gsize max_atom_length;
  guint max_items;
} TernImapLimits;

void tern_imap_limits_init_default (TernImapLimits       *limits);
void tern_imap_limits_fill_defaults (TernImapLimits      *limits);

G_END_DECLS
