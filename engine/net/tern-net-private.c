/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-net"

#include "tern-net-private.h"

char *
tern_net_escape_text (const char *data,
                      gsize       length,
                      gsize       max_bytes)
{
  GString *out = g_string_sized_new (MIN (length, max_bytes) + 16);
  const char *p = data;
  const char *end = data + MIN (length, max_bytes);

  while (p < end)
    {
      guchar c = (guchar) *p;
      gunichar u;

      if (c < 0x80)
        {
          if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\x%02x", c);
          else
            g_string_append_c (out, (char) c);
          p++;
          continue;
        }

      u = g_utf8_get_char_validated (p, end - p);
      if (u == (gunichar) -1 || u == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", c);
          p++;
          continue;
        }

      switch (g_unichar_type (u))
        {
        case G_UNICODE_CONTROL:
        case G_UNICODE_FORMAT:
        case G_UNICODE_LINE_SEPARATOR:
        case G_UNICODE_PARAGRAPH_SEPARATOR:
          g_string_append_printf (out, "\\u{%04X}", u);
          break;
        default:
          g_string_append_unichar (out, u);
          break;
        }
      p = g_utf8_next_char (p);
    }

  if (length > max_bytes)
    g_string_append_printf (out, "… (%" G_GSIZE_FORMAT " bytes)", length);

  return g_string_free (out, FALSE);
}
