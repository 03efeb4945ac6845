/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-utf7"

#include <string.h>

#include "tern-imap-error.h"
#include "tern-imap-utf7.h"

static const char base64_chars[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
get_base64_value (guchar c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == ',')
    return 63;
  return -1;
}

static gboolean
is_direct (gunichar c)
{
  return c >= 0x20 && c <= 0x7e;
}

static gboolean
set_invalid (GError     **error,
      const char  *text,
      gsize        offset,
      const char  *what)
{
  g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
               "Invalid modified UTF-7 mailbox name at byte %" G_GSIZE_FORMAT ": %s",
               offset, what);
  return FALSE;
}

/* Decodes the base64 between "&" and "-" (exclusive) into @out. */
static gboolean
decode_shift (const char  *text,
              gsize        start,
              gsize        end,
              GString     *out,
              GError     **error)
{
  guint32 bits = 0;
  guint n_bits = 0;
  gunichar high = 0;

  for (gsize i = start; i < end; i++)
    {
      int value = get_base64_value ((guchar) text[i]);

      if (value < 0)
        return set_invalid (error, text, i, "a character outside modified base64 in a shift");

      bits = (bits << 6) | (guint32) value;
      n_bits += 6;
      if (n_bits >= 16)
        {
          gunichar unit = (bits >> (n_bits - 16)) & 0xffff;

          n_bits -= 16;
          bits &= (1u << n_bits) - 1;

          if (high != 0)
            {
              if (unit < 0xdc00 || unit > 0xdfff)
                return set_invalid (error, text, i, "a high surrogate without its low surrogate");
              g_string_append_unichar (out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
              high = 0;
            }
          else if (unit >= 0xd800 && unit <= 0xdbff)
            high = unit;
          else if (unit >= 0xdc00 && unit <= 0xdfff)
            return set_invalid (error, text, i, "a low surrogate without its high surrogate");
          else if (unit == 0)
            return set_invalid (error, text, i, "an encoded U+0000");
          else if (is_direct (unit))
            return set_invalid (error, text, i, "printable ASCII inside a shift");
          else
            g_string_append_unichar (out, unit);
        }
    }

  if (high != 0)
    return set_invalid (error, text, end, "a high surrogate at the end of a shift");
  if (n_bits >= 6)
    return set_invalid (error, text, end, "a partial UTF-16 unit at the end of a shift");
  if (bits != 0)
    return set_invalid (error, text, end, "non-zero padding bits at the end of a shift");
  return TRUE;
}

/**
 * tern_imap_utf7_decode:
 * @text: a mailbox name as a server sent it
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Returns: (transfer full) (nullable): the name in UTF-8, or %NULL
 */
char *
tern_imap_utf7_decode (const char  *text,
                       GError     **error)
{
  g_autoptr(GString) out = NULL;
  gsize after_shift = G_MAXSIZE;   /* where the last base64 shift ended */
  gsize len;

  g_return_val_if_fail (text != NULL, NULL);

  len = strlen (text);
  out = g_string_sized_new (len);
  for (gsize i = 0; i < len;)
    {
      guchar c = (guchar) text[i];

      if (c == '&')
        {
          const char *dash = memchr (text + i + 1, '-', len - i - 1);
          gsize end;

          if (dash == NULL)
            {
              set_invalid (error, text, i, "a shift without its closing “-”");
              return NULL;
            }
          end = (gsize) (dash - text);
          if (end == i + 1)
            g_string_append_c (out, '&');
          else if (i == after_shift)
            {
              set_invalid (error, text, i, "a shift right after another, which should have been one");
              return NULL;
            }
          else if (!decode_shift (text, i + 1, end, out, error))
            return NULL;
          else
            after_shift = end + 1;
          i = end + 1;
        }
      else if (is_direct (c))
        {
          g_string_append_c (out, (char) c);
          i++;
        }
      else
        {
          set_invalid (error, text, i, "a byte outside printable ASCII");
          return NULL;
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
flush_shift (GString *out,
             guint32 *bits,
             guint   *n_bits)
{
  if (*n_bits > 0)
    g_string_append_c (out, base64_chars[(*bits << (6 - *n_bits)) & 0x3f]);
  g_string_append_c (out, '-');
  *bits = 0;
  *n_bits = 0;
}

static void
append_unit (GString *out,
             guint32 *bits,
             guint   *n_bits,
             guint32  unit)
{
  *bits = (*bits << 16) | unit;
  *n_bits += 16;
  while (*n_bits >= 6)
    {
      *n_bits -= 6;
      g_string_append_c (out, base64_chars[(*bits >> *n_bits) & 0x3f]);
    }
  *bits &= (1u << *n_bits) - 1;
}

/**
 * tern_imap_utf7_encode:
 * @utf8: a mailbox name in UTF-8
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Returns: (transfer full) (nullable): the name in modified UTF-7, or %NULL
 *   if @utf8 is not valid UTF-8
 */
char *
tern_imap_utf7_encode (const char  *utf8,
                       GError     **error)
{
  g_autoptr(GString) out = NULL;
  const char *end = NULL;
  gboolean shifted = FALSE;
  guint32 bits = 0;
  guint n_bits = 0;

  g_return_val_if_fail (utf8 != NULL, NULL);

  if (!g_utf8_validate (utf8, -1, &end))
    {
      g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                   "The mailbox name is not valid UTF-8 at byte %" G_GSIZE_FORMAT,
                   (gsize) (end - utf8));
      return NULL;
    }

  out = g_string_sized_new (strlen (utf8) + 8);
  for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_direct (c))
        {
          if (shifted)
            {
              flush_shift (out, &bits, &n_bits);
              shifted = FALSE;
            }
          if (c == '&')
            g_string_append (out, "&-");
          else
            g_string_append_c (out, (char) c);
          continue;
        }

      if (!shifted)
        {
          g_string_append_c (out, '&');
          shifted = TRUE;
        }
      if (c >= 0x10000)
        {
          append_unit (out, &bits, &n_bits, 0xd800 + ((c - 0x10000) >> 10));
          append_unit (out, &bits, &n_bits, 0xdc00 + ((c - 0x10000) & 0x3ff));
        }
      else
        append_unit (out, &bits, &n_bits, c);
    }
  if (shifted)
    flush_shift (out, &bits, &n_bits);

  return g_string_free (g_steal_pointer (&out), FALSE);
}
