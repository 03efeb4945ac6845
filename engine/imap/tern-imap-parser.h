/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tern-imap-error.h"
#include "tern-imap-limits.h"
#include "tern-imap-response.h"

G_BEGIN_DECLS

/*
 * The IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) response parser. It does
 * no I/O: the connection feeds it bytes as they arrive, in pieces of any
 * size, and takes complete responses out:
 *
 *   tern_imap_parser_feed (parser, buffer, n_read);
 *   while ((response = tern_imap_parser_next (parser, &error)) != NULL)
 *     handle (response);
 *   if (error != NULL)
 *     drop the connection;
 *
 * Feeding byte by byte or all at once gives the same responses. Work happens
 * in two steps: feed() only cuts the stream into responses (lines and the
 * literals they announce, {n}, {n+} and ~{n}), checking the line, literal and
 * response limits before anything is allocated for them; next() parses one
 * response at a time, so a setting changed between two calls of next (UTF8=
 * ACCEPT) applies from the next response on.
 *
 * An error from next() is final: the server broke the protocol or a limit,
 * the parser keeps returning that error, and the connection must be dropped.
 * Error messages name the problem and quote a few escaped bytes, never a
 * whole line. A parser is used from one thread at a time.
 *
 * Parsing is strict where sloppiness could change meaning (numbers are range
 * checked, literals must be exactly as announced, NUL is refused outside
 * literal8, quoted strings allow only \" and \\ escapes) and lenient where
 * real servers are known to be sloppy but the meaning is clear (several
 * spaces for one, a trailing space, "()" for NIL parameter lists, missing
 * response text). Anything the parser does not know — untagged responses,
 * FETCH items, response codes, STATUS items, extension data — is skipped or
 * kept as text, never an error.
 */

typedef struct _TernImapParser TernImapParser;

TernImapParser   *tern_imap_parser_new              (const TernImapLimits *limits);
void              tern_imap_parser_free             (TernImapParser       *self);
const TernImapLimits *tern_imap_parser_get_limits   (TernImapParser       *self);

void              tern_imap_parser_set_utf8_accept  (TernImapParser       *self,
                                                     gboolean              utf8_accept);
gboolean          tern_imap_parser_get_utf8_accept  (TernImapParser       *self);

void              tern_imap_parser_feed             (TernImapParser       *self,
                                                     const guint8         *data,
                                                     gsize                 len);
void              tern_imap_parser_feed_eof         (TernImapParser       *self);
TernImapResponse *tern_imap_parser_next             (TernImapParser       *self,
                                                     GError              **error);

gboolean          tern_imap_parser_has_pending      (TernImapParser       *self);
gboolean          tern_imap_parser_get_literal_progress (TernImapParser   *self,
                                                     guint64              *received,
                                                     guint64              *total);

TernImapBodyPart *tern_imap_parse_bodystructure     (const char           *text,
                                                     gssize                len,
                                                     const TernImapLimits *limits,
                                                     GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapParser, tern_imap_parser_free)

G_END_DECLS
