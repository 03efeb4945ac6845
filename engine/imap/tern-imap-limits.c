/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-limits"

#include "tern-imap-limits.h"

/**
 * tern_imap_limits_init_default:
 * @limits: limits to set
 *
 * Sets every field of @limits to its default.
 */
void
tern_imap_limits_init_default (TernImapLimits *limits)
{
  g_return_if_fail (limits != NULL);

  *limits = (TernImapLimits) { 0 };
  tern_imap_limits_fill_defaults (limits);
}

/**
 * tern_imap_limits_fill_defaults:
 * @limits: limits to complete
 *
 * Sets the fields of @limits that are 0 to their defaults.
 */
void
tern_imap_limits_fill_defaults (TernImapLimits *limits)
{
  g_return_if_fail (limits != NULL);

  if (limits->max_line_length == 0)
    limits->max_line_length = TERN_IMAP_DEFAULT_MAX_LINE_LENGTH;
  if (limits->max_literal_size == 0)
    limits->max_literal_size = TERN_IMAP_DEFAULT_MAX_LITERAL_SIZE;
  if (limits->max_response_size == 0)
    limits->max_response_size = TERN_IMAP_DEFAULT_MAX_RESPONSE_SIZE;
  if (limits->max_depth == 0)
    limits->max_depth = TERN_IMAP_DEFAULT_MAX_DEPTH;
  if (limits->max_atom_length == 0)
    limits->max_atom_length = TERN_IMAP_DEFAULT_MAX_ATOM_LENGTH;
  if (limits->max_items == 0)
    limits->max_items = TERN_IMAP_DEFAULT_MAX_ITEMS;

  /* the text of a response is a GByteArray, and the body-structure parser
   * recurses once per level */
  limits->max_line_length = MIN (limits->max_line_length, TERN_IMAP_MAX_LINE_LENGTH_CAP);
  limits->max_response_size = MIN (limits->max_response_size, TERN_IMAP_MAX_RESPONSE_SIZE_CAP);
  limits->max_depth = MIN (limits->max_depth, TERN_IMAP_MAX_DEPTH_CAP);
}
