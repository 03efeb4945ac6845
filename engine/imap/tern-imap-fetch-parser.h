/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to engine/imap: FETCH items, ENVELOPE and BODYSTRUCTURE. */

#include "tern-imap-response.h"
#include "tern-imap-tokenizer.h"

G_BEGIN_DECLS

gboolean tern_imap_parse_fetch_items  (TernImapTokenizer  *t,
                                       TernImapFetch      *fetch,
                                       GError            **error);
gboolean tern_imap_parse_envelope     (TernImapTokenizer  *t,
                                       TernImapEnvelope  **envelope,
                                       GError            **error);
gboolean tern_imap_parse_body         (TernImapTokenizer  *t,
                                       TernImapBodyPart  **part,
                                       GError            **error);
gboolean tern_imap_parse_internaldate (const char         *text,
                                       gsize               len,
                                       gint64             *unix_time);

G_END_DECLS
