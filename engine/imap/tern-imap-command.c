/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-command"

#include <string.h>

#include "tern-imap-command.h"
#include "tern-imap-error.h"
#include "tern-imap-utf7.h"

/* RFC 7888: LITERAL- allows non-synchronizing literals up to this size. */
#define LITERAL_MINUS_MAX 4096

/* Longest flag, tag or atom accepted from a caller. */
#define MAX_ATOM 1024

struct _TernImapCommand
{
  char                *tag;
  TernImapLiteralMode  literal_mode;
  gboolean             utf8;
  GByteArray          *buffer;        /* the current chunk */
  GArray              *chunks;        /* of TernImapCommandChunk */
  GString             *description;   /* for logs: no literal data, no secrets */
  gboolean             need_space;
  guint                depth;
  gboolean             finished;
};

static gboolean
is_atom_char (guchar c)
{
  return c > 0x20 && c < 0x7f && strchr ("(){%*\"\\]", c) == NULL;
}

static gboolean
is_atom (const char *s,
         gboolean    allow_bracket)
{
  gsize n = 0;

  for (const char *p = s; *p != '\0'; p++, n++)
    if (!is_atom_char ((guchar) *p) && !(allow_bracket && *p == ']'))
      return FALSE;
  return n > 0 && n <= MAX_ATOM;
}

static void
clear_chunk (TernImapCommandChunk *chunk)
{
  g_clear_pointer (&chunk->data, g_bytes_unref);
}

/**
 * tern_imap_command_new:
 * @tag: the command's tag (from tern_imap_tags_next())
 * @name: the command, one atom or several separated by single spaces
 *   ("UID FETCH")
 *
 * Returns: (transfer full): a command without arguments
 */
TernImapCommand *
tern_imap_command_new (const char *tag,
                       const char *name)
{
  TernImapCommand *self;
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (tag != NULL && is_atom (tag, TRUE) && strchr (tag, '+') == NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  words = g_strsplit (name, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    g_return_val_if_fail (is_atom (words[i], FALSE), NULL);

  self = g_new0 (TernImapCommand, 1);
  self->tag = g_strdup (tag);
  self->buffer = g_byte_array_new ();
  self->chunks = g_array_new (FALSE, TRUE, sizeof (TernImapCommandChunk));
  g_array_set_clear_func (self->chunks, (GDestroyNotify) clear_chunk);
  self->description = g_string_new (NULL);

  g_byte_array_append (self->buffer, (const guint8 *) tag, strlen (tag));
  g_byte_array_append (self->buffer, (const guint8 *) " ", 1);
  g_byte_array_append (self->buffer, (const guint8 *) name, strlen (name));
  g_string_append_printf (self->description, "%s %s", tag, name);
  self->need_space = TRUE;
  return self;
}

void
tern_imap_command_free (TernImapCommand *self)
{
  if (self == NULL)
    return;
  g_free (self->tag);
  g_byte_array_unref (self->buffer);
  g_array_unref (self->chunks);
  g_string_free (self->description, TRUE);
  g_free (self);
}

const char *
tern_imap_command_get_tag (TernImapCommand *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->tag;
}

void
tern_imap_command_set_literal_mode (TernImapCommand    *self,
                                    TernImapLiteralMode mode)
{
  g_return_if_fail (self != NULL);

  self->literal_mode = mode;
}

/**
 * tern_imap_command_set_utf8:
 * @self: a command
 * @utf8: whether UTF8=ACCEPT is enabled (or the connection is IMAP4rev2)
 *
 * Mailbox names are then sent as UTF-8, and quoted strings may hold UTF-8.
 */
void
tern_imap_command_set_utf8 (TernImapCommand *self,
                            gboolean         utf8)
{
  g_return_if_fail (self != NULL);

  self->utf8 = !!utf8;
}

static void
append (TernImapCommand *self,
        const char      *text,
        gsize            len)
{
  g_byte_array_append (self->buffer, (const guint8 *) text, (guint) len);
}

static void
begin_argument (TernImapCommand *self)
{
  g_return_if_fail (!self->finished);

  if (self->need_space)
    {
      append (self, " ", 1);
      g_string_append_c (self->description, ' ');
    }
  self->need_space = TRUE;
}

static void
push_chunk (TernImapCommand *self,
            GBytes          *data,
            gboolean         wait)
{
  TernImapCommandChunk chunk = { data, wait };

  g_array_append_val (self->chunks, chunk);
}

static void
flush_buffer (TernImapCommand *self,
              gboolean         wait)
{
  GBytes *data = g_byte_array_free_to_bytes (self->buffer);

  self->buffer = g_byte_array_new ();
  push_chunk (self, data, wait);
}

/**
 * tern_imap_command_add_atom:
 * @self: a command
 * @atom: a keyword of the program's own, such as "UID" or "ALL"
 *
 * For the program's own words: an invalid atom is a programming error.
 */
void
tern_imap_command_add_atom (TernImapCommand *self,
                            const char      *atom)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (atom != NULL && is_atom (atom, FALSE));

  begin_argument (self);
  append (self, atom, strlen (atom));
  g_string_append (self->description, atom);
}

/**
 * tern_imap_command_add_raw:
 * @self: a command
 * @syntax: constant syntax of the program's own, such as
 *   "(UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)])"
 *
 * Printable ASCII only; never for data from a server or a person.
 */
void
tern_imap_command_add_raw (TernImapCommand *self,
                           const char      *syntax)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (syntax != NULL && *syntax != '\0');
  for (const char *p = syntax; *p != '\0'; p++)
    g_return_if_fail ((guchar) *p >= 0x20 && (guchar) *p < 0x7f);

  begin_argument (self);
  append (self, syntax, strlen (syntax));
  g_string_append (self->description, syntax);
}

void
tern_imap_command_add_number (TernImapCommand *self,
                              guint64          number)
{
  char text[24];
  int len;

  g_return_if_fail (self != NULL);

  len = g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, number);
  begin_argument (self);
  append (self, text, (gsize) len);
  g_string_append (self->description, text);
}

void
tern_imap_command_add_sequence (TernImapCommand        *self,
                                const TernImapSequence *sequence)
{
  g_autofree char *text = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (sequence != NULL && !tern_imap_sequence_is_empty (sequence));

  text = tern_imap_sequence_to_string (sequence);
  begin_argument (self);
  append (self, text, strlen (text));
  g_string_append (self->description, text);
}

void
tern_imap_command_begin_list (TernImapCommand *self)
{
  g_return_if_fail (self != NULL);

  begin_argument (self);
  append (self, "(", 1);
  g_string_append_c (self->description, '(');
  self->need_space = FALSE;
  self->depth++;
}

void
tern_imap_command_end_list (TernImapCommand *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->depth > 0);

  append (self, ")", 1);
  g_string_append_c (self->description, ')');
  self->need_space = TRUE;
  self->depth--;
}

/**
 * tern_imap_command_add_flag:
 * @self: a command
 * @flag: a system flag ("\\Seen") or keyword ("$Junk"), possibly from a
 *   server or a person
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Returns: %FALSE if @flag is not a valid flag
 */
gboolean
tern_imap_command_add_flag (TernImapCommand  *self,
                            const char       *flag,
                            GError          **error)
{
  const char *atom;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (flag != NULL, FALSE);

  atom = flag[0] == '\\' ? flag + 1 : flag;
  if (!is_atom (atom, FALSE))
    {
      g_set_error_literal (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                           "A flag or keyword may only contain printable ASCII other than ()]{%*\"\\ and spaces");
      return FALSE;
    }
  begin_argument (self);
  append (self, flag, strlen (flag));
  g_string_append (self->description, flag);
  return TRUE;
}

static gboolean
can_quote (TernImapCommand *self,
           const char      *data,
           gsize            len)
{
  gboolean eight_bit = FALSE;

  if (len > TERN_IMAP_COMMAND_MAX_QUOTED)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) data[i];

      if (c == '\r' || c == '\n')
        return FALSE;
      if (c >= 0x80)
        eight_bit = TRUE;
    }
  return !eight_bit || (self->utf8 && g_utf8_validate (data, (gssize) len, NULL));
}

static void
append_quoted (TernImapCommand *self,
               const char      *data,
               gsize            len,
               gboolean         secret)
{
  append (self, "\"", 1);
  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == '"' || data[i] == '\\')
        append (self, "\\", 1);
      append (self, data + i, 1);
    }
  append (self, "\"", 1);

  if (secret)
    g_string_append (self->description, "\"***\"");
  else
    {
      g_autofree char *copy = g_strndup (data, len);
      g_autofree char *escaped = g_strescape (copy, NULL);

      g_string_append_printf (self->description, "\"%s\"", escaped);
    }
}

static void
append_literal (TernImapCommand *self,
                GBytes          *data,
                gboolean         binary)
{
  gsize size = g_bytes_get_size (data);
  gboolean sync = self->literal_mode == TERN_IMAP_LITERAL_SYNC ||
                  (self->literal_mode == TERN_IMAP_LITERAL_MINUS && size > LITERAL_MINUS_MAX);
  char header[40];
  int len;

  len = g_snprintf (header, sizeof header, "%s{%" G_GSIZE_FORMAT "%s}\r\n",
                    binary ? "~" : "", size, sync ? "" : "+");
  append (self, header, (gsize) len);
  g_string_append_printf (self->description, "%s{%" G_GSIZE_FORMAT "%s} <%" G_GSIZE_FORMAT " bytes>",
                          binary ? "~" : "", size, sync ? "" : "+", size);
  flush_buffer (self, sync);
  if (size > 0)
    push_chunk (self, g_bytes_ref (data), FALSE);
}

static gboolean
add_string (TernImapCommand  *self,
            const char       *data,
            gsize             len,
            gboolean          secret,
            GError          **error)
{
  if (len > 0 && memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                           "A string with a NUL byte cannot be sent to an IMAP server");
      return FALSE;
    }

  begin_argument (self);
  if (can_quote (self, data, len))
    append_quoted (self, data, len, secret);
  else
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data, len);

      append_literal (self, bytes, FALSE);
      if (secret)
        g_string_append (self->description, " (secret)");
    }
  return TRUE;
}

/**
 * tern_imap_command_add_string:
 * @self: a command
 * @data: (array length=len): any bytes but NUL
 * @len: length of @data, or -1 if it is nul-terminated
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Adds a string, quoted if it can be, else as a literal.
 *
 * Returns: %FALSE if @data holds NUL
 */
gboolean
tern_imap_command_add_string (TernImapCommand  *self,
                              const char       *data,
                              gssize            len,
                              GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  return add_string (self, data, len < 0 ? strlen (data) : (gsize) len, FALSE, error);
}

/**
 * tern_imap_command_add_secret:
 *
 * Like tern_imap_command_add_string(), for a password: the description for
 * logs shows "***" instead.
 */
gboolean
tern_imap_command_add_secret (TernImapCommand  *self,
                              const char       *secret,
                              GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (secret != NULL, FALSE);

  return add_string (self, secret, strlen (secret), TRUE, error);
}

/**
 * tern_imap_command_add_quoted:
 *
 * Adds a quoted string where a literal would not do; fails with
 * %TERN_IMAP_ERROR_INVALID if @text cannot be quoted (CR, LF, NUL, 8-bit
 * without UTF-8 mode, or longer than %TERN_IMAP_COMMAND_MAX_QUOTED).
 */
gboolean
tern_imap_command_add_quoted (TernImapCommand  *self,
                              const char       *text,
                              GError          **error)
{
  gsize len;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  len = strlen (text);
  if (!can_quote (self, text, len))
    {
      g_set_error_literal (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                           "The text cannot be sent as a quoted string");
      return FALSE;
    }
  begin_argument (self);
  append_quoted (self, text, len, FALSE);
  return TRUE;
}

/**
 * tern_imap_encode_mailbox:
 * @name: a mailbox name in UTF-8
 * @utf8: whether the server takes UTF-8 names (UTF8=ACCEPT, IMAP4rev2)
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * "INBOX" in any case becomes "INBOX"; other names become modified UTF-7
 * unless @utf8. Invalid UTF-8 and control characters are refused: no server
 * should be asked to make such a name.
 *
 * Returns: (transfer full) (nullable): the name to send
 */
char *
tern_imap_encode_mailbox (const char  *name,
                          gboolean     utf8,
                          GError     **error)
{
  g_return_val_if_fail (name != NULL, NULL);

  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                           "The mailbox name is not valid UTF-8");
      return NULL;
    }
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029)
        {
          g_set_error_literal (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                               "A mailbox name cannot contain control characters");
          return NULL;
        }
    }
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    return g_strdup ("INBOX");
  if (utf8)
    return g_strdup (name);
  return tern_imap_utf7_encode (name, error);
}

/**
 * tern_imap_command_add_mailbox:
 * @self: a command
 * @name: a mailbox name in UTF-8, as a person sees it
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Encodes @name with tern_imap_encode_mailbox() for the command's UTF-8
 * mode. To name a mailbox the server listed, prefer
 * tern_imap_command_add_raw_mailbox() with the name as it was sent.
 */
gboolean
tern_imap_command_add_mailbox (TernImapCommand  *self,
                               const char       *name,
                               GError          **error)
{
  g_autofree char *encoded = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  encoded = tern_imap_encode_mailbox (name, self->utf8, error);
  if (encoded == NULL)
    return FALSE;
  return add_string (self, encoded, strlen (encoded), FALSE, error);
}

/**
 * tern_imap_command_add_raw_mailbox:
 * @self: a command
 * @raw_name: a mailbox name exactly as a server sent it (raw_name of
 *   TernImapMailbox)
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 */
gboolean
tern_imap_command_add_raw_mailbox (TernImapCommand  *self,
                                   const char       *raw_name,
                                   GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (raw_name != NULL, FALSE);

  return add_string (self, raw_name, strlen (raw_name), FALSE, error);
}

/**
 * tern_imap_command_add_literal:
 * @self: a command
 * @data: the bytes, such as a message for APPEND
 * @binary: send as literal8 "~{n}" (RFC 3516 BINARY), which may hold NUL
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Always a literal; @data is shared, not copied.
 *
 * Returns: %FALSE if @data holds NUL and @binary is %FALSE
 */
gboolean
tern_imap_command_add_literal (TernImapCommand  *self,
                               GBytes           *data,
                               gboolean          binary,
                               GError          **error)
{
  gsize len;
  const char *bytes;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  bytes = g_bytes_get_data (data, &len);
  if (!binary && len > 0 && memchr (bytes, '\0', len) != NULL)
    {
      g_set_error_literal (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                           "Data with a NUL byte needs a binary literal");
      return FALSE;
    }
  begin_argument (self);
  append_literal (self, data, binary);
  return TRUE;
}

/**
 * tern_imap_command_get_chunks:
 * @self: a command
 * @n_chunks: (out): how many
 *
 * Ends the command with CRLF; nothing can be added after.
 *
 * Returns: (array length=n_chunks) (transfer none): what to send
 */
const TernImapCommandChunk *
tern_imap_command_get_chunks (TernImapCommand *self,
                              guint           *n_chunks)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (n_chunks != NULL, NULL);

  if (!self->finished)
    {
      g_warn_if_fail (self->depth == 0);
      append (self, "\r\n", 2);
      flush_buffer (self, FALSE);
      self->finished = TRUE;
    }
  *n_chunks = self->chunks->len;
  return (const TernImapCommandChunk *) (gpointer) self->chunks->data;
}

/**
 * tern_imap_command_to_string:
 * @self: a command
 *
 * Returns: (transfer full): the command for logs: literals as their size,
 *   secrets as "***", control characters escaped
 */
char *
tern_imap_command_to_string (TernImapCommand *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_strdup (self->description->str);
}

/**
 * tern_imap_tags_init:
 * @tags: a generator
 * @prefix: one to seven ASCII letters, such as "A"
 */
void
tern_imap_tags_init (TernImapTags *tags,
                     const char   *prefix)
{
  gsize len;

  g_return_if_fail (tags != NULL);
  g_return_if_fail (prefix != NULL);

  len = strlen (prefix);
  g_return_if_fail (len >= 1 && len < sizeof tags->prefix);
  for (gsize i = 0; i < len; i++)
    g_return_if_fail (g_ascii_isalpha (prefix[i]));

  memset (tags, 0, sizeof *tags);
  memcpy (tags->prefix, prefix, len);
  tags->next = 1;
}

char *
tern_imap_tags_next (TernImapTags *tags)
{
  g_return_val_if_fail (tags != NULL, NULL);

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT, tags->prefix, tags->next++);
}
