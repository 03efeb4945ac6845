/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tern-imap-sequence.h"

G_BEGIN_DECLS

/*
 * Building one IMAP command line so that no string can change its shape.
 *
 * Every argument goes through a typed call. Strings are sent quoted when that
 * is safe and as literals otherwise (CR, LF, 8-bit without UTF8=ACCEPT, or
 * long); NUL is refused, as IMAP has no way to send it outside literal8.
 * Atoms, flags and raw syntax are checked, so a keyword or mailbox name from
 * a server or a person can never end the line or add a command.
 *
 * The result is a list of chunks: send each; after one with
 * wait_for_continuation, wait for the server's "+" before sending the next
 * (a synchronizing literal). With LITERAL+ (or LITERAL- and small literals)
 * no chunk waits.
 *
 *   g_autoptr(TernImapCommand) cmd = tern_imap_command_new (tag, "SELECT");
 *   if (!tern_imap_command_add_mailbox (cmd, "Entwürfe", &error)) …
 *   chunks = tern_imap_command_get_chunks (cmd, &n_chunks);
 */

typedef enum
{
  TERN_IMAP_LITERAL_SYNC,    /* {n}: wait for "+" before the bytes */
  TERN_IMAP_LITERAL_PLUS,    /* LITERAL+ (RFC 7888): {n+} of any size */
  TERN_IMAP_LITERAL_MINUS,   /* LITERAL- (RFC 7888, IMAP4rev2): {n+} up to 4096 bytes */
} TernImapLiteralMode;

/* Strings longer than this go as literals even when they could be quoted. */
#define TERN_IMAP_COMMAND_MAX_QUOTED 1024

typedef struct
{
  GBytes   *data;
  gboolean  wait_for_continuation;
} TernImapCommandChunk;

typedef struct _TernImapCommand TernImapCommand;

TernImapCommand *tern_imap_command_new              (const char         *tag,
                                                     const char         *name);
void             tern_imap_command_free             (TernImapCommand    *self);
const char      *tern_imap_command_get_tag          (TernImapCommand    *self);

void             tern_imap_command_set_literal_mode (TernImapCommand    *self,
                                                     TernImapLiteralMode mode);
void             tern_imap_command_set_utf8         (TernImapCommand    *self,
                                                     gboolean            utf8);

void             tern_imap_command_add_atom         (TernImapCommand    *self,
                                                     const char         *atom);
void             tern_imap_command_add_raw          (TernImapCommand    *self,
                                                     const char         *syntax);
void             tern_imap_command_add_number       (TernImapCommand    *self,
                                                     guint64             number);
void             tern_imap_command_add_sequence     (TernImapCommand    *self,
                                                     const TernImapSequence *sequence);
void             tern_imap_command_begin_list       (TernImapCommand    *self);
void             tern_imap_command_end_list         (TernImapCommand    *self);
gboolean         tern_imap_command_add_flag         (TernImapCommand    *self,
                                                     const char         *flag,
                                                     GError            **error);
gboolean         tern_imap_command_add_string       (TernImapCommand    *self,
                                                     const char         *data,
                                                     gssize              len,
                                                     GError            **error);
gboolean         tern_imap_command_add_secret       (TernImapCommand    *self,
                                                     const char         *secret,
                                                     GError            **error);
gboolean         tern_imap_command_add_quoted       (TernImapCommand    *self,
                                                     const char         *text,
                                                     GError            **error);
gboolean         tern_imap_command_add_mailbox      (TernImapCommand    *self,
                                                     const char         *name,
                                                     GError            **error);
gboolean         tern_imap_command_add_raw_mailbox  (TernImapCommand    *self,
                                                     const char         *raw_name,
                                                     GError            **error);
gboolean         tern_imap_command_add_literal      (TernImapCommand    *self,
                                                     GBytes             *data,
                                                     gboolean            binary,
                                                     GError            **error);

const TernImapCommandChunk *tern_imap_command_get_chunks (TernImapCommand *self,
                                                     guint              *n_chunks);
char            *tern_imap_command_to_string        (TernImapCommand    *self);

char            *tern_imap_encode_mailbox           (const char         *name,
                                                     gboolean            utf8,
                                                     GError            **error);

/* Tags "A1", "A2" …; each connection has its own generator. */
typedef struct
{
  /*< private >*/
  char    prefix[8];
  guint64 next;
} TernImapTags;

void             tern_imap_tags_init                (TernImapTags       *tags,
                                                     const char         *prefix);
char            *tern_imap_tags_next                (TernImapTags       *tags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapCommand, tern_imap_command_free)

G_END_DECLS
