/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-pop3"

#include <string.h>

#include "tern-pop3-parser.h"

G_DEFINE_QUARK (tern-pop3-error-quark, tern_pop3_error)

struct _TernPop3Parser
{
  TernPop3ReplyKind  kind;
  gsize              max_size;
  guint              max_entries;

  gboolean           have_status;
  gboolean           done;
  gboolean           failed;
  TernPop3Status     status;

  GByteArray        *partial;   /* feed(): the line so far */
  gsize              size;      /* bytes accumulated (listing or message) */

  GPtrArray         *capabilities;
  GArray            *entries;
  GHashTable        *numbers;   /* listing: numbers seen */
  GHashTable        *uids;      /* UIDL: uids seen */
  GByteArray        *message;
};

static void
clear_entry (gpointer data)
{
  TernPop3Entry *entry = data;

  g_clear_pointer (&entry->uid, g_free);
}

TernPop3Parser *
tern_pop3_parser_new (TernPop3ReplyKind kind)
{
  TernPop3Parser *self = g_new0 (TernPop3Parser, 1);

  self->kind = kind;
  self->max_size = kind == TERN_POP3_REPLY_MESSAGE ? TERN_POP3_DEFAULT_MAX_MESSAGE : TERN_POP3_DEFAULT_MAX_LISTING;
  self->max_entries = TERN_POP3_DEFAULT_MAX_ENTRIES;
  return self;
}

void
tern_pop3_parser_free (TernPop3Parser *self)
{
  if (self == NULL)
    return;
  tern_pop3_status_clear (&self->status);
  g_clear_pointer (&self->partial, g_byte_array_unref);
  g_clear_pointer (&self->capabilities, g_ptr_array_unref);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->numbers, g_hash_table_unref);
  g_clear_pointer (&self->uids, g_hash_table_unref);
  g_clear_pointer (&self->message, g_byte_array_unref);
  g_free (self);
}

TernPop3ReplyKind
tern_pop3_parser_get_kind (TernPop3Parser *self)
{
  return self->kind;
}

void
tern_pop3_parser_set_max_size (TernPop3Parser *self,
                               gsize           max_size)
{
  self->max_size = max_size;
}

void
tern_pop3_parser_set_max_entries (TernPop3Parser *self,
                                  guint           max_entries)
{
  self->max_entries = max_entries;
}

gboolean
tern_pop3_parser_is_done (TernPop3Parser *self)
{
  return self->done;
}

const TernPop3Status *
tern_pop3_parser_get_status (TernPop3Parser *self)
{
  return self->have_status ? &self->status : NULL;
}

void
tern_pop3_status_clear (TernPop3Status *status)
{
  g_clear_pointer (&status->code_text, g_free);
  g_clear_pointer (&status->text, g_free);
  status->ok = FALSE;
  status->code = TERN_POP3_CODE_NONE;
}

static TernPop3Code
classify_code (const char *code)
{
  if (g_ascii_strcasecmp (code, "AUTH") == 0)
    return TERN_POP3_CODE_AUTH;
  if (g_ascii_strcasecmp (code, "IN-USE") == 0)
    return TERN_POP3_CODE_IN_USE;
  if (g_ascii_strcasecmp (code, "LOGIN-DELAY") == 0)
    return TERN_POP3_CODE_LOGIN_DELAY;
  if (g_ascii_strncasecmp (code, "SYS/TEMP", 8) == 0 && (code[8] == '\0' || code[8] == '/'))
    return TERN_POP3_CODE_SYS_TEMP;
  if (g_ascii_strncasecmp (code, "SYS/PERM", 8) == 0 && (code[8] == '\0' || code[8] == '/'))
    return TERN_POP3_CODE_SYS_PERM;
  return TERN_POP3_CODE_OTHER;
}

static gboolean
fail_protocol (GError    **error,
               const char *what)
{
  g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_PROTOCOL,
               "The server sent a malformed reply (%s). Try again later; if it persists, the server is at fault.",
               what);
  return FALSE;
}

gboolean
tern_pop3_parse_status (const char      *line,
                        gsize            length,
                        TernPop3Status  *status,
                        GError         **error)
{
  gsize offset;
  const char *rest;
  gsize rest_length;

  memset (status, 0, sizeof *status);
  if (length > TERN_POP3_MAX_STATUS_LINE)
    {
      g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE,
                   "The server sent a status line longer than %d bytes.", TERN_POP3_MAX_STATUS_LINE);
      return FALSE;
    }
  if (memchr (line, '\0', length) != NULL)
    return fail_protocol (error, "a NUL byte in a status line");

  if (length >= 3 && memcmp (line, "+OK", 3) == 0)
    {
      status->ok = TRUE;
      offset = 3;
    }
  else if (length >= 4 && memcmp (line, "-ERR", 4) == 0)
    offset = 4;
  else
    return fail_protocol (error, "no +OK or -ERR");

  if (offset < length && line[offset] != ' ')
    return fail_protocol (error, "no space after the status");
  while (offset < length && line[offset] == ' ')
    offset++;

  rest = line + offset;
  rest_length = length - offset;
  if (rest_length > 0 && rest[0] == '[')
    {
      const char *end = memchr (rest, ']', rest_length);

      if (end != NULL && end > rest + 1)
        {
          g_autofree char *code = g_strndup (rest + 1, end - rest - 1);
          gboolean valid = TRUE;

          for (const char *p = code; *p != '\0'; p++)
            if (*p <= 0x20 || *p >= 0x7f)
              valid = FALSE;
          if (valid)
            {
              status->code = classify_code (code);
              status->code_text = g_steal_pointer (&code);
              rest_length -= end + 1 - rest;
              rest = end + 1;
              while (rest_length > 0 && rest[0] == ' ')
                {
                  rest++;
                  rest_length--;
                }
            }
        }
    }
  status->text = g_utf8_make_valid (rest, rest_length);
  return TRUE;
}

static gboolean
parse_number (const char *str,
              gsize       length,
              guint64     max,
              guint64    *value)
{
  guint64 v = 0;

  if (length == 0 || length > 20)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (str[i]))
        return FALSE;
      if (v > (max - (guint64) (str[i] - '0')) / 10)
        return FALSE;
      v = v * 10 + (guint64) (str[i] - '0');
    }
  *value = v;
  return TRUE;
}

gboolean
tern_pop3_parse_stat (const char  *text,
                      guint       *count,
                      guint64     *size,
                      GError     **error)
{
  const char *space = strchr (text, ' ');
  const char *end;
  guint64 c;
  guint64 s;

  if (space == NULL)
    return fail_protocol (error, "STAT without a size");
  end = strchr (space + 1, ' ');
  if (end == NULL)
    end = space + 1 + strlen (space + 1);
  if (!parse_number (text, space - text, TERN_POP3_MAX_MESSAGE_NUMBER, &c) ||
      !parse_number (space + 1, end - space - 1, G_MAXINT64, &s))
    return fail_protocol (error, "STAT numbers out of range");
  *count = (guint) c;
  *size = s;
  return TRUE;
}

gboolean
tern_pop3_uid_is_valid (const char *uid,
                        gsize       length)
{
  if (length == 0 || length > TERN_POP3_MAX_UID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if ((guchar) uid[i] < 0x21 || (guchar) uid[i] > 0x7e)
      return FALSE;
  return TRUE;
}

static TernPop3ParseResult
fail (TernPop3Parser *self)
{
  self->failed = TRUE;
  return TERN_POP3_PARSE_ERROR;
}

static TernPop3ParseResult
finish (TernPop3Parser *self)
{
  self->done = TRUE;
  return TERN_POP3_PARSE_DONE;
}

static TernPop3ParseResult
feed_listing (TernPop3Parser  *self,
              const char      *line,
              gsize            length,
              GError         **error)
{
  const char *end = line + length;
  const char *space;
  const char *rest;
  guint64 number;
  TernPop3Entry entry = { 0, };

  if (self->entries->len >= self->max_entries)
    {
      g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE,
                   "The server listed more than %u messages.", self->max_entries);
      return fail (self);
    }
  space = memchr (line, ' ', length);
  if (space == NULL ||
      !parse_number (line, space - line, TERN_POP3_MAX_MESSAGE_NUMBER, &number) ||
      number == 0)
    {
      fail_protocol (error, "a listing line without a message number");
      return fail (self);
    }
  entry.number = (guint) number;
  rest = space + 1;
  /* Trailing blanks are tolerated; nothing else is. */
  while (end > rest && (end[-1] == ' ' || end[-1] == '\t'))
    end--;

  if (self->kind == TERN_POP3_REPLY_LIST)
    {
      const char *size_end = memchr (rest, ' ', end - rest);

      /* RFC 1939 allows more information after the size. */
      if (size_end == NULL)
        size_end = end;
      if (!parse_number (rest, size_end - rest, G_MAXINT64, &entry.size))
        {
          fail_protocol (error, "a message size out of range");
          return fail (self);
        }
    }
  else
    {
      if (!tern_pop3_uid_is_valid (rest, end - rest))
        {
          fail_protocol (error, "an invalid unique id");
          return fail (self);
        }
      entry.uid = g_strndup (rest, end - rest);
      /* Not g_hash_table_add(): it would replace the borrowed key. */
      if (g_hash_table_contains (self->uids, entry.uid))
        {
          g_free (entry.uid);
          fail_protocol (error, "a duplicate unique id");
          return fail (self);
        }
    }
  if (g_hash_table_contains (self->numbers, GUINT_TO_POINTER (entry.number)))
    {
      g_free (entry.uid);
      fail_protocol (error, "a duplicate message number");
      return fail (self);
    }
  g_hash_table_add (self->numbers, GUINT_TO_POINTER (entry.number));
  /* The set borrows the uid from the entry, which the array owns. */
  if (entry.uid != NULL)
    g_hash_table_add (self->uids, entry.uid);
  g_array_append_val (self->entries, entry);
  return TERN_POP3_PARSE_MORE;
}

static gboolean
add_size (TernPop3Parser  *self,
          gsize            length,
          GError         **error)
{
  if (length > self->max_size || self->size > self->max_size - length)
    {
      if (self->kind == TERN_POP3_REPLY_MESSAGE)
        g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE,
                     "A message on the server is larger than %" G_GSIZE_FORMAT " bytes.", self->max_size);
      else
        g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE,
                     "A listing from the server is larger than %" G_GSIZE_FORMAT " bytes.", self->max_size);
      return FALSE;
    }
  self->size += length;
  return TRUE;
}

static void
start_body (TernPop3Parser *self)
{
  switch (self->kind)
    {
    case TERN_POP3_REPLY_CAPA:
      self->capabilities = g_ptr_array_new_with_free_func (g_free);
      break;
    case TERN_POP3_REPLY_LIST:
    case TERN_POP3_REPLY_UIDL:
      self->entries = g_array_new (FALSE, TRUE, sizeof (TernPop3Entry));
      g_array_set_clear_func (self->entries, clear_entry);
      self->numbers = g_hash_table_new (NULL, NULL);
      self->uids = g_hash_table_new (g_str_hash, g_str_equal);
      break;
    case TERN_POP3_REPLY_MESSAGE:
      self->message = g_byte_array_new ();
      break;
    case TERN_POP3_REPLY_STATUS:
    default:
      break;
    }
}

TernPop3ParseResult
tern_pop3_parser_feed_line (TernPop3Parser  *self,
                            const char      *line,
                            gsize            length,
                            GError         **error)
{
  g_return_val_if_fail (!self->done && !self->failed, TERN_POP3_PARSE_ERROR);

  if (!self->have_status)
    {
      if (!tern_pop3_parse_status (line, length, &self->status, error))
        return fail (self);
      self->have_status = TRUE;
      if (!self->status.ok || self->kind == TERN_POP3_REPLY_STATUS)
        return finish (self);
      start_body (self);
      return TERN_POP3_PARSE_MORE;
    }

  if (length == 1 && line[0] == '.')
    return finish (self);
  /* Dot-unstuffing: a line that starts with a dot lost one on the wire. */
  if (length > 0 && line[0] == '.')
    {
      line++;
      length--;
    }

  if (self->kind == TERN_POP3_REPLY_MESSAGE)
    {
      if (!add_size (self, length + 2, error))
        return fail (self);
      g_byte_array_append (self->message, (const guint8 *) line, length);
      g_byte_array_append (self->message, (const guint8 *) "\r\n", 2);
      return TERN_POP3_PARSE_MORE;
    }

  if (length > TERN_POP3_MAX_STATUS_LINE)
    {
      g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE,
                   "The server sent a listing line longer than %d bytes.", TERN_POP3_MAX_STATUS_LINE);
      return fail (self);
    }
  if (memchr (line, '\0', length) != NULL)
    {
      fail_protocol (error, "a NUL byte in a listing");
      return fail (self);
    }
  if (!add_size (self, length + 2, error))
    return fail (self);

  if (self->kind == TERN_POP3_REPLY_CAPA)
    {
      if (self->capabilities->len >= 1024)
        {
          fail_protocol (error, "too many capabilities");
          return fail (self);
        }
      g_ptr_array_add (self->capabilities, g_utf8_make_valid (line, length));
      return TERN_POP3_PARSE_MORE;
    }
  return feed_listing (self, line, length, error);
}

static gsize
line_limit (TernPop3Parser *self)
{
  if (self->have_status && self->kind == TERN_POP3_REPLY_MESSAGE)
    return self->max_size + 2;
  return TERN_POP3_MAX_STATUS_LINE + 2;
}

TernPop3ParseResult
tern_pop3_parser_feed (TernPop3Parser  *self,
                       const guint8    *data,
                       gsize            length,
                       gsize           *consumed,
                       GError         **error)
{
  gsize used = 0;
  TernPop3ParseResult result = TERN_POP3_PARSE_MORE;

  g_return_val_if_fail (!self->done && !self->failed, TERN_POP3_PARSE_ERROR);

  if (self->partial == NULL)
    self->partial = g_byte_array_new ();

  while (used < length && result == TERN_POP3_PARSE_MORE)
    {
      const guint8 *lf = memchr (data + used, '\n', length - used);
      gsize chunk = lf != NULL ? (gsize) (lf - (data + used)) : length - used;

      if (self->partial->len + chunk > line_limit (self))
        {
          g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE,
                       "The server sent a line longer than the limit.");
          result = fail (self);
          break;
        }
      g_byte_array_append (self->partial, data + used, chunk);
      used += chunk;
      if (lf == NULL)
        break;
      used++;  /* the LF */
      {
        gsize line_length = self->partial->len;

        if (line_length > 0 && self->partial->data[line_length - 1] == '\r')
          line_length--;
        result = tern_pop3_parser_feed_line (self, (const char *) self->partial->data, line_length, error);
        g_byte_array_set_size (self->partial, 0);
      }
    }
  if (consumed != NULL)
    *consumed = used;
  return result;
}

gboolean
tern_pop3_parser_end (TernPop3Parser  *self,
                      GError         **error)
{
  if (self->done)
    return TRUE;
  if (self->have_status)
    g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TRUNCATED,
                 "The server closed the connection in the middle of a reply. Try again later.");
  else
    g_set_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TRUNCATED,
                 "The server closed the connection without replying. Try again later.");
  self->failed = TRUE;
  return FALSE;
}

GStrv
tern_pop3_parser_steal_capabilities (TernPop3Parser *self)
{
  if (!self->done || self->capabilities == NULL)
    return NULL;
  g_ptr_array_add (self->capabilities, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&self->capabilities), FALSE);
}

GArray *
tern_pop3_parser_steal_entries (TernPop3Parser *self)
{
  if (!self->done || self->entries == NULL)
    return NULL;
  g_clear_pointer (&self->uids, g_hash_table_unref);
  return g_steal_pointer (&self->entries);
}

GBytes *
tern_pop3_parser_steal_message (TernPop3Parser *self)
{
  if (!self->done || self->message == NULL)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&self->message));
}

gboolean
tern_pop3_capabilities_has (const char * const *capabilities,
                            const char         *name,
                            const char        **args)
{
  gsize name_length = strlen (name);

  if (capabilities == NULL)
    return FALSE;
  for (guint i = 0; capabilities[i] != NULL; i++)
    {
      const char *line = capabilities[i];

      if (g_ascii_strncasecmp (line, name, name_length) == 0 &&
          (line[name_length] == '\0' || line[name_length] == ' '))
        {
          if (args != NULL)
            {
              const char *rest = line + name_length;

              while (*rest == ' ')
                rest++;
              *args = rest;
            }
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
tern_pop3_capabilities_has_sasl (const char * const *capabilities,
                                 const char         *mechanism)
{
  const char *args = NULL;
  g_auto(GStrv) mechanisms = NULL;

  if (!tern_pop3_capabilities_has (capabilities, "SASL", &args))
    return FALSE;
  mechanisms = g_strsplit (args, " ", -1);
  for (guint i = 0; mechanisms[i] != NULL; i++)
    if (g_ascii_strcasecmp (mechanisms[i], mechanism) == 0)
      return TRUE;
  return FALSE;
}
