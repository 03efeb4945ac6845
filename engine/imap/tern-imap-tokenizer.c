/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-tokenizer"

#include <stdarg.h>
#include <string.h>

#include "tern-imap-error.h"
#include "tern-imap-tokenizer.h"

/* How much of the input an error message quotes. */
#define CONTEXT_BYTES 24

TernImapFrame *
tern_imap_frame_new (void)
{
  TernImapFrame *frame = g_new0 (TernImapFrame, 1);

  frame->text = g_byte_array_new ();
  frame->literal_ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  frame->literals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return frame;
}

void
tern_imap_frame_free (TernImapFrame *frame)
{
  if (frame == NULL)
    return;
  g_byte_array_unref (frame->text);
  g_array_unref (frame->literal_ends);
  g_ptr_array_unref (frame->literals);
  g_free (frame);
}

void
tern_imap_tokenizer_init (TernImapTokenizer    *t,
                          const TernImapFrame  *frame,
                          const TernImapLimits *limits)
{
  *t = (TernImapTokenizer) { 0 };
  t->limits = limits;
  t->frame = frame;
  t->data = frame->text->data;
  t->len = frame->text->len;
}

static void
set_error_valist (TernImapTokenizer  *t,
                  GError            **error,
                  TernImapError       code,
                  const char         *format,
                  va_list             args) G_GNUC_PRINTF (4, 0);

static void
set_error_valist (TernImapTokenizer  *t,
                  GError            **error,
                  TernImapError       code,
                  const char         *format,
                  va_list             args)
{
  g_autofree char *what = NULL;
  g_autofree char *near = NULL;
  g_autofree char *context = NULL;
  gsize n;

  if (error == NULL)
    return;

  what = g_strdup_vprintf (format, args);
  n = MIN (t->len - t->pos, CONTEXT_BYTES);
  if (n == 0)
    {
      g_set_error (error, TERN_IMAP_ERROR, code,
                   "Malformed IMAP response: %s at its end", what);
      return;
    }
  context = g_strndup ((const char *) t->data + t->pos, n);
  near = g_strescape (context, NULL);
  g_set_error (error, TERN_IMAP_ERROR, code,
               "Malformed IMAP response: %s at byte %" G_GSIZE_FORMAT " (near “%s%s”)",
               what, t->pos, near, t->len - t->pos > n ? "…" : "");
}

/**
 * tern_imap_tokenizer_fail:
 *
 * Sets a %TERN_IMAP_ERROR_PROTOCOL error that names the position and quotes a
 * few escaped bytes from it. Always returns %FALSE.
 */
gboolean
tern_imap_tokenizer_fail (TernImapTokenizer  *t,
                          GError            **error,
                          const char         *format,
                          ...)
{
  va_list args;

  va_start (args, format);
  set_error_valist (t, error, TERN_IMAP_ERROR_PROTOCOL, format, args);
  va_end (args);
  return FALSE;
}

gboolean
tern_imap_tokenizer_fail_limit (TernImapTokenizer  *t,
                                GError            **error,
                                const char         *format,
                                ...)
{
  va_list args;

  va_start (args, format);
  set_error_valist (t, error, TERN_IMAP_ERROR_LIMIT, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
is_atom_char (int c)
{
  if (c <= 0x20 || c >= 0x7f)
    return FALSE;
  switch (c)
    {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return FALSE;
    default:
      return TRUE;
    }
}

static gboolean
is_kind_char (TernImapAtomKind kind,
              int              c)
{
  switch (kind)
    {
    case TERN_IMAP_ATOM:
      return is_atom_char (c);
    case TERN_IMAP_ATOM_ASTRING:
      return is_atom_char (c) || c == ']';
    case TERN_IMAP_ATOM_TAG:
      return (is_atom_char (c) || c == ']') && c != '+';
    case TERN_IMAP_ATOM_NAME:
      return is_atom_char (c) && c != '[' && c != '<';
    default:
      g_assert_not_reached ();
    }
}

int
tern_imap_tokenizer_peek (TernImapTokenizer *t)
{
  return t->pos < t->len ? t->data[t->pos] : -1;
}

gboolean
tern_imap_tokenizer_at_end (TernImapTokenizer *t)
{
  return t->pos >= t->len;
}

gboolean
tern_imap_tokenizer_skip_char (TernImapTokenizer *t,
                               char               c)
{
  if (t->pos < t->len && t->data[t->pos] == (guint8) c)
    {
      t->pos++;
      return TRUE;
    }
  return FALSE;
}

/* Servers are lenient writers: one or more spaces stand for SP. */
gboolean
tern_imap_tokenizer_skip_sp (TernImapTokenizer *t)
{
  gsize start = t->pos;

  while (t->pos < t->len && t->data[t->pos] == ' ')
    t->pos++;
  return t->pos > start;
}

gboolean
tern_imap_tokenizer_expect_char (TernImapTokenizer  *t,
                                 char                c,
                                 GError            **error)
{
  if (tern_imap_tokenizer_skip_char (t, c))
    return TRUE;
  return tern_imap_tokenizer_fail (t, error, "expected “%c”", c);
}

gboolean
tern_imap_tokenizer_expect_sp (TernImapTokenizer  *t,
                               GError            **error)
{
  if (tern_imap_tokenizer_skip_sp (t))
    return TRUE;
  return tern_imap_tokenizer_fail (t, error, "expected a space");
}

/* The end of the response, after trailing spaces some servers leave. */
gboolean
tern_imap_tokenizer_expect_end (TernImapTokenizer  *t,
                                GError            **error)
{
  tern_imap_tokenizer_skip_sp (t);
  if (t->pos < t->len)
    return tern_imap_tokenizer_fail (t, error, "unexpected data");
  return TRUE;
}

/* Whether the next token is the atom @word, in any case. */
gboolean
tern_imap_tokenizer_peek_word (TernImapTokenizer *t,
                               const char        *word)
{
  gsize n = strlen (word);

  if (t->len - t->pos < n || g_ascii_strncasecmp ((const char *) t->data + t->pos, word, n) != 0)
    return FALSE;
  return t->pos + n == t->len || !is_atom_char (t->data[t->pos + n]);
}

gboolean
tern_imap_tokenizer_skip_word (TernImapTokenizer *t,
                               const char        *word)
{
  if (!tern_imap_tokenizer_peek_word (t, word))
    return FALSE;
  t->pos += strlen (word);
  return TRUE;
}

gboolean
tern_imap_tokenizer_count_item (TernImapTokenizer  *t,
                                GError            **error)
{
  if (++t->items > t->limits->max_items)
    return tern_imap_tokenizer_fail_limit (t, error, "more than %u items in one response",
                                           t->limits->max_items);
  return TRUE;
}

gboolean
tern_imap_tokenizer_read_atom (TernImapTokenizer  *t,
                               TernImapAtomKind    kind,
                               const char        **start,
                               gsize              *len,
                               GError            **error)
{
  gsize begin = t->pos;

  while (t->pos < t->len && is_kind_char (kind, t->data[t->pos]))
    {
      if (t->pos - begin >= t->limits->max_atom_length)
        {
          t->pos = begin;
          return tern_imap_tokenizer_fail_limit (t, error, "an atom longer than %" G_GSIZE_FORMAT " bytes",
                                                 t->limits->max_atom_length);
        }
      t->pos++;
    }
  if (t->pos == begin)
    return tern_imap_tokenizer_fail (t, error, "expected an atom");

  *start = (const char *) t->data + begin;
  *len = t->pos - begin;
  return TRUE;
}

char *
tern_imap_tokenizer_dup_atom (TernImapTokenizer  *t,
                              TernImapAtomKind    kind,
                              GError            **error)
{
  const char *start;
  gsize len;

  if (!tern_imap_tokenizer_count_item (t, error) ||
      !tern_imap_tokenizer_read_atom (t, kind, &start, &len, error))
    return NULL;
  return g_strndup (start, len);
}

/* A flag: "\" atom, "\*", or a keyword (an atom). */
char *
tern_imap_tokenizer_dup_flag (TernImapTokenizer  *t,
                              GError            **error)
{
  gsize begin = t->pos;
  const char *start;
  gsize len;

  if (!tern_imap_tokenizer_count_item (t, error))
    return NULL;
  if (tern_imap_tokenizer_skip_char (t, '\\'))
    {
      if (tern_imap_tokenizer_skip_char (t, '*'))
        return g_strdup ("\\*");
    }
  if (!tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM, &start, &len, error))
    return NULL;
  return g_strndup ((const char *) t->data + begin, t->pos - begin);
}

gboolean
tern_imap_tokenizer_read_number (TernImapTokenizer  *t,
                                 guint64             max,
                                 guint64            *value,
                                 GError            **error)
{
  gsize begin = t->pos;
  guint64 n = 0;

  while (t->pos < t->len && g_ascii_isdigit (t->data[t->pos]))
    {
      guint digit = t->data[t->pos] - '0';

      if (n > (max - digit) / 10)
        {
          t->pos = begin;
          return tern_imap_tokenizer_fail (t, error, "a number above %" G_GUINT64_FORMAT, max);
        }
      n = n * 10 + digit;
      t->pos++;
    }
  if (t->pos == begin)
    return tern_imap_tokenizer_fail (t, error, "expected a number");
  if (t->pos < t->len && is_atom_char (t->data[t->pos]) && t->data[t->pos] != '>')
    {
      t->pos = begin;
      return tern_imap_tokenizer_fail (t, error, "expected a number");
    }
  *value = n;
  return TRUE;
}

gboolean
tern_imap_tokenizer_read_uint32 (TernImapTokenizer  *t,
                                 gboolean            nonzero,
                                 guint32            *value,
                                 GError            **error)
{
  gsize begin = t->pos;
  guint64 n;

  if (!tern_imap_tokenizer_read_number (t, G_MAXUINT32, &n, error))
    return FALSE;
  if (nonzero && n == 0)
    {
      t->pos = begin;
      return tern_imap_tokenizer_fail (t, error, "expected a number above 0");
    }
  *value = (guint32) n;
  return TRUE;
}

/* number64 and mod-sequence-value: up to 2^63 - 1. */
gboolean
tern_imap_tokenizer_read_uint64 (TernImapTokenizer  *t,
                                 guint64            *value,
                                 GError            **error)
{
  return tern_imap_tokenizer_read_number (t, G_MAXINT64, value, error);
}

static gboolean
read_quoted (TernImapTokenizer  *t,
             TernImapString     *string,
             GError            **error)
{
  gsize begin = t->pos + 1;
  GString *unescaped = NULL;
  gsize run = begin;

  t->pos++;
  for (;;)
    {
      int c = tern_imap_tokenizer_peek (t);

      if (c == -1 || c == '\n')
        {
          if (unescaped != NULL)
            g_string_free (unescaped, TRUE);
          t->pos = begin - 1;
          return tern_imap_tokenizer_fail (t, error, "an unterminated quoted string");
        }
      if (c == '"')
        break;
      if (c == '\\')
        {
          int next = t->pos + 1 < t->len ? t->data[t->pos + 1] : -1;

          if (next != '\\' && next != '"')
            {
              if (unescaped != NULL)
                g_string_free (unescaped, TRUE);
              return tern_imap_tokenizer_fail (t, error, "an invalid escape in a quoted string");
            }
          if (unescaped == NULL)
            unescaped = g_string_new (NULL);
          g_string_append_len (unescaped, (const char *) t->data + run, t->pos - run);
          g_string_append_c (unescaped, (char) next);
          t->pos += 2;
          run = t->pos;
          continue;
        }
      t->pos++;
    }

  if (unescaped != NULL)
    {
      g_string_append_len (unescaped, (const char *) t->data + run, t->pos - run);
      string->len = unescaped->len;
      string->buf = g_string_free (unescaped, FALSE);
      string->data = (const guint8 *) string->buf;
    }
  else
    {
      string->data = t->data + begin;
      string->len = t->pos - begin;
    }
  t->pos++;
  return TRUE;
}

static gboolean
read_literal (TernImapTokenizer  *t,
              gboolean            literal8,
              TernImapString     *string,
              GError            **error)
{
  gsize begin = t->pos;
  guint64 size = 0;
  gsize end;
  GBytes *bytes;
  const guint8 *data;
  gsize len;

  if (literal8)
    t->pos++;
  t->pos++;
  while (t->pos < t->len && g_ascii_isdigit (t->data[t->pos]))
    {
      size = MIN (size * 10 + (guint) (t->data[t->pos] - '0'), G_MAXUINT64 / 20);
      t->pos++;
    }
  tern_imap_tokenizer_skip_char (t, '+');
  if (!tern_imap_tokenizer_skip_char (t, '}') ||
      t->next_literal >= t->frame->literal_ends->len ||
      (end = g_array_index (t->frame->literal_ends, gsize, t->next_literal)) != t->pos)
    {
      t->pos = begin;
      return tern_imap_tokenizer_fail (t, error, "a literal that does not end its line");
    }

  bytes = g_ptr_array_index (t->frame->literals, t->next_literal);
  data = g_bytes_get_data (bytes, &len);
  if (len != size)
    {
      t->pos = begin;
      return tern_imap_tokenizer_fail (t, error, "a literal of the wrong size");
    }
  if (!literal8 && len > 0 && memchr (data, '\0', len) != NULL)
    {
      t->pos = begin;
      return tern_imap_tokenizer_fail (t, error, "a NUL byte in a literal");
    }

  t->pos++;   /* the separator */
  t->next_literal++;
  string->literal = bytes;
  string->data = data;
  string->len = len;
  return TRUE;
}

/**
 * tern_imap_tokenizer_read_string:
 *
 * Reads a quoted string or a literal, and with @flags also NIL, an atom or a
 * literal8. The result points into the response; clear it with
 * tern_imap_string_clear().
 */
gboolean
tern_imap_tokenizer_read_string (TernImapTokenizer    *t,
                                 TernImapStringFlags   flags,
                                 TernImapString       *string,
                                 GError              **error)
{
  int c = tern_imap_tokenizer_peek (t);

  *string = (TernImapString) { 0 };
  if (!tern_imap_tokenizer_count_item (t, error))
    return FALSE;

  if (c == '"')
    return read_quoted (t, string, error);
  if (c == '{')
    return read_literal (t, FALSE, string, error);
  if (c == '~' && (flags & TERN_IMAP_STRING_LITERAL8) != 0 &&
      t->pos + 1 < t->len && t->data[t->pos + 1] == '{')
    return read_literal (t, TRUE, string, error);
  if ((flags & TERN_IMAP_STRING_NIL) != 0 && tern_imap_tokenizer_skip_word (t, "NIL"))
    {
      string->nil = TRUE;
      return TRUE;
    }
  if ((flags & TERN_IMAP_STRING_ATOM) != 0 && c != -1 && is_kind_char (TERN_IMAP_ATOM_ASTRING, c))
    {
      const char *start;
      gsize len;

      if (!tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM_ASTRING, &start, &len, error))
        return FALSE;
      string->data = (const guint8 *) start;
      string->len = len;
      return TRUE;
    }
  return tern_imap_tokenizer_fail (t, error, (flags & TERN_IMAP_STRING_NIL) != 0 ?
                                   "expected a string or NIL" : "expected a string");
}

/* A string as raw bytes in a nul-terminated copy; NULL for NIL. */
gboolean
tern_imap_tokenizer_dup_string (TernImapTokenizer    *t,
                                TernImapStringFlags   flags,
                                char                **out,
                                GError              **error)
{
  TernImapString string;

  if (!tern_imap_tokenizer_read_string (t, flags, &string, error))
    return FALSE;
  g_free (*out);
  *out = tern_imap_string_dup (&string);
  tern_imap_string_clear (&string);
  return TRUE;
}

/* A string as UTF-8 text, invalid bytes replaced; NULL for NIL. */
gboolean
tern_imap_tokenizer_dup_text_string (TernImapTokenizer    *t,
                                     TernImapStringFlags   flags,
                                     char                **out,
                                     GError              **error)
{
  TernImapString string;

  if (!tern_imap_tokenizer_read_string (t, flags, &string, error))
    return FALSE;
  g_free (*out);
  *out = tern_imap_string_dup_utf8 (&string);
  tern_imap_string_clear (&string);
  return TRUE;
}

gboolean
tern_imap_tokenizer_read_sequence (TernImapTokenizer  *t,
                                   TernImapSequence  **sequence,
                                   GError            **error)
{
  gsize begin = t->pos;
  g_autoptr(GError) local_error = NULL;

  if (!tern_imap_tokenizer_count_item (t, error))
    return FALSE;
  while (t->pos < t->len &&
         (g_ascii_isdigit (t->data[t->pos]) || t->data[t->pos] == ':' ||
          t->data[t->pos] == ',' || t->data[t->pos] == '*'))
    t->pos++;
  *sequence = tern_imap_sequence_parse ((const char *) t->data + begin, t->pos - begin, &local_error);
  if (*sequence == NULL)
    {
      t->pos = begin;
      return tern_imap_tokenizer_fail (t, error, "%s", local_error->message);
    }
  return TRUE;
}

gboolean
tern_imap_tokenizer_open_list (TernImapTokenizer  *t,
                               GError            **error)
{
  if (!tern_imap_tokenizer_expect_char (t, '(', error))
    return FALSE;
  if (++t->depth > t->limits->max_depth)
    {
      t->pos--;
      return tern_imap_tokenizer_fail_limit (t, error, "lists nested more than %u deep",
                                             t->limits->max_depth);
    }
  return tern_imap_tokenizer_count_item (t, error);
}

gboolean
tern_imap_tokenizer_close_list (TernImapTokenizer  *t,
                                GError            **error)
{
  tern_imap_tokenizer_skip_sp (t);
  if (!tern_imap_tokenizer_expect_char (t, ')', error))
    return FALSE;
  g_assert (t->depth > 0);
  t->depth--;
  return TRUE;
}

/* Inside a list: skips spaces and reports whether another item follows, or
 * reads the closing parenthesis. */
gboolean
tern_imap_tokenizer_list_next (TernImapTokenizer  *t,
                               gboolean           *more,
                               GError            **error)
{
  gboolean spaced = tern_imap_tokenizer_skip_sp (t);
  int c = tern_imap_tokenizer_peek (t);

  if (c == ')')
    {
      *more = FALSE;
      return tern_imap_tokenizer_close_list (t, error);
    }
  if (c == -1 || c == '\n')
    return tern_imap_tokenizer_fail (t, error, "an unterminated list");
  /* items need a space between them, but lists may touch: "((a)(b))" */
  if (!spaced && t->pos > 0 && t->data[t->pos - 1] != '(' && t->data[t->pos - 1] != ')' && c != '(')
    return tern_imap_tokenizer_fail (t, error, "expected a space");
  *more = TRUE;
  return TRUE;
}

/* Skips "[…]" with its nested parentheses and quoted strings. */
static gboolean
skip_brackets (TernImapTokenizer  *t,
               GError            **error)
{
  gsize begin = t->pos;

  t->pos++;
  while (t->pos < t->len && t->data[t->pos] != ']')
    {
      if (t->data[t->pos] == '"')
        {
          TernImapString string = { 0 };

          if (!read_quoted (t, &string, error))
            return FALSE;
          tern_imap_string_clear (&string);
          continue;
        }
      if (t->data[t->pos] == '\n' || t->data[t->pos] == '[')
        break;
      t->pos++;
    }
  if (!tern_imap_tokenizer_skip_char (t, ']'))
    {
      t->pos = begin;
      return tern_imap_tokenizer_fail (t, error, "an unterminated “[”");
    }
  return TRUE;
}

/**
 * tern_imap_tokenizer_skip_value:
 *
 * Skips one value of any shape (an atom, number, string, literal or a list
 * of them) without recursion; the depth limit still applies.
 */
gboolean
tern_imap_tokenizer_skip_value (TernImapTokenizer  *t,
                                GError            **error)
{
  guint base = t->depth;

  do
    {
      int c;

      if (t->depth > base)
        tern_imap_tokenizer_skip_sp (t);
      c = tern_imap_tokenizer_peek (t);
      if (c == '(')
        {
          if (!tern_imap_tokenizer_open_list (t, error))
            return FALSE;
        }
      else if (c == ')' && t->depth > base)
        {
          if (!tern_imap_tokenizer_close_list (t, error))
            return FALSE;
        }
      else if (c == '"' || c == '{' || (c == '~' && t->pos + 1 < t->len && t->data[t->pos + 1] == '{'))
        {
          TernImapString string;

          if (!tern_imap_tokenizer_read_string (t, TERN_IMAP_STRING_LITERAL8, &string, error))
            return FALSE;
          tern_imap_string_clear (&string);
        }
      else if (c > 0x20 && c != ')' && c != '\n' && c != '[')
        {
          gsize begin = t->pos;

          if (!tern_imap_tokenizer_count_item (t, error))
            return FALSE;
          while (t->pos < t->len)
            {
              c = t->data[t->pos];
              if (c == '[')
                {
                  if (!skip_brackets (t, error))
                    return FALSE;
                  continue;
                }
              if (c <= 0x20 || c == '(' || c == ')' || c == '"' || c == '{' || c == ']')
                break;
              t->pos++;
            }
          if (t->pos == begin)
            return tern_imap_tokenizer_fail (t, error, "expected a value");
        }
      else
        return tern_imap_tokenizer_fail (t, error, "expected a value");
    }
  while (t->depth > base);
  return TRUE;
}

/* "[…]" after a FETCH item name, as text without the brackets. Sections are
 * ASCII: a part number, HEADER.FIELDS with a list of field names, … */
gboolean
tern_imap_tokenizer_read_bracketed (TernImapTokenizer  *t,
                                    char              **out,
                                    GError            **error)
{
  gsize begin = t->pos;

  if (tern_imap_tokenizer_peek (t) != '[')
    return tern_imap_tokenizer_fail (t, error, "expected “[”");
  if (!tern_imap_tokenizer_count_item (t, error) ||
      !skip_brackets (t, error))
    return FALSE;
  for (gsize i = begin + 1; i < t->pos - 1; i++)
    if (t->data[i] < 0x20 || t->data[i] >= 0x7f)
      {
        t->pos = i;
        return tern_imap_tokenizer_fail (t, error, "a byte outside printable ASCII in a section");
      }
  *out = g_strndup ((const char *) t->data + begin + 1, t->pos - begin - 2);
  return TRUE;
}

/**
 * tern_imap_tokenizer_read_text:
 * @stop: a byte that ends the text (not consumed), or 0 for the end of the
 *   response
 *
 * Human-readable text: UTF-8 with invalid bytes replaced and control
 * characters turned into spaces. With @stop 0, a literal a server put into
 * its text is taken in too rather than failing.
 */
char *
tern_imap_tokenizer_read_text (TernImapTokenizer *t,
                               char               stop)
{
  g_autoptr(GString) raw = g_string_new (NULL);

  for (;;)
    {
      gsize begin = t->pos;

      while (t->pos < t->len && t->data[t->pos] != '\n' && (stop == 0 || t->data[t->pos] != (guint8) stop))
        t->pos++;
      g_string_append_len (raw, (const char *) t->data + begin, t->pos - begin);
      if (stop != 0 || t->pos >= t->len || t->data[t->pos] != '\n')
        break;

      /* the literal after an announcement at the end of a text line */
      t->pos++;
      if (t->next_literal < t->frame->literals->len)
        {
          gsize len;
          const char *data = g_bytes_get_data (g_ptr_array_index (t->frame->literals, t->next_literal), &len);

          g_string_append_c (raw, ' ');
          g_string_append_len (raw, data, len);
          t->next_literal++;
        }
    }
  return tern_imap_make_valid_text (raw->str, raw->len);
}

void
tern_imap_string_clear (TernImapString *string)
{
  g_clear_pointer (&string->buf, g_free);
  *string = (TernImapString) { 0 };
}

char *
tern_imap_string_dup (const TernImapString *string)
{
  if (string->nil)
    return NULL;
  if (string->len == 0)
    return g_strdup ("");
  return g_strndup ((const char *) string->data, string->len);
}

char *
tern_imap_string_dup_utf8 (const TernImapString *string)
{
  if (string->nil)
    return NULL;
  return tern_imap_make_valid_text ((const char *) string->data, string->len);
}

/* The string's bytes: a literal is shared, not copied. NULL for NIL. */
GBytes *
tern_imap_string_to_bytes (const TernImapString *string)
{
  if (string->nil)
    return NULL;
  if (string->literal != NULL)
    return g_bytes_ref (string->literal);
  return g_bytes_new (string->data, string->len);
}

/* UTF-8 with invalid sequences as U+FFFD and C0 controls and DEL as spaces
 * (a tab too: text from a server is one line). */
char *
tern_imap_make_valid_text (const char *data,
                           gsize       len)
{
  char *text;

  if (len == 0)
    return g_strdup ("");
  text = g_utf8_make_valid (data, (gssize) len);

  for (char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return text;
}

/* A parenthesised list of flags into *OUT (replacing what it held). */
gboolean
tern_imap_tokenizer_read_flag_list (TernImapTokenizer   *t,
                                    char              ***out,
                                    GError             **error)
{
  g_autoptr(GPtrArray) flags = g_ptr_array_new_with_free_func (g_free);
  gboolean more;

  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  for (;;)
    {
      char *flag;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        break;
      flag = tern_imap_tokenizer_dup_flag (t, error);
      if (flag == NULL)
        return FALSE;
      g_ptr_array_add (flags, flag);
    }
  g_ptr_array_add (flags, NULL);
  g_strfreev (*out);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&flags), FALSE);
  return TRUE;
}
