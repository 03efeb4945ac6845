/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-mime"

#include <string.h>

#include "tern-mime-summary.h"

/* GMime 3.2 declares no autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeObject, g_object_unref)

#define LIST_DISPLAY_MAX     (64 * 1024)        /* bytes of a To/Cc display string */
#define DISPLAY_NAME_MAX     256                /* bytes of a name in a display string */
#define HTML_READ_MAX        (4 * TERN_MIME_BODY_TEXT_MAX) /* markup outweighs its text */
#define HTML_INPUT_MAX       (16 * 1024 * 1024) /* tern_mime_html_to_text reads no further */
#define TEXT_READ_BUDGET     (8 * 1024 * 1024)  /* decoded bytes read over all text parts */
#define PREVIEW_SOURCE_MAX   4096               /* bytes of kept lines a preview is cut from */
#define QUOTE_PREFIX_MAX     16                 /* '>' written for nested blockquotes */
#define MAX_NOTES            4

/* Characters ---------------------------------------------------------------- */

static gboolean
is_bidi_control (gunichar c)
{
  /* security.md "RTL override": U+202E in a name or subject reverses what
   * follows it, so "moc.lapyap@" reads as an address it is not and
   * "invoice\u202Efdp.exe" as a PDF. Embeddings and isolates do the same. */
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

static gboolean
is_dropped_char (gunichar c)
{
  /* C0 and C1 controls (whitespace is handled before this), DEL, the bidi
   * controls, and the invisible characters mailers pad previews with. */
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
         is_bidi_control (c) ||
         c == 0x00AD || c == 0x034F || (c >= 0x200B && c <= 0x200D) ||
         c == 0x2060 || c == 0xFEFF;
}

/* Windows-1252 bytes 0x80–0x9F. The five unassigned bytes map to the C1
 * controls, as in the WHATWG encoding standard; those are dropped later. */
static const gunichar windows_1252_high[32] = {
  0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
  0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static char *
decode_windows_1252 (const guchar *data,
                     gsize         len)
{
  GString *out = g_string_sized_new (len + len / 4 + 1);

  for (gsize i = 0; i < len; i++)
    {
      guchar byte = data[i];

      if (byte < 0x80)
        g_string_append_c (out, (char) byte);
      else if (byte < 0xA0)
        g_string_append_unichar (out, windows_1252_high[byte - 0x80]);
      else
        g_string_append_unichar (out, byte);
    }
  return g_string_free (out, FALSE);
}

/* Length of @data without a UTF-8 sequence cut off at its end. */
static gsize
complete_utf8_length (const char *data,
                      gsize       len)
{
  gsize start = len;
  guint continuation = 0;
  guchar lead;
  gsize need;

  while (start > 0 && continuation < 3 && ((guchar) data[start - 1] & 0xC0) == 0x80)
    {
      start--;
      continuation++;
    }
  if (start == 0)
    return len;
  lead = (guchar) data[start - 1];
  if (lead < 0xC0)
    return len;
  need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  return (len - (start - 1)) < need ? start - 1 : len;
}

/* Undeclared 8-bit text: UTF-8 when it is UTF-8, else the legacy charset
 * such mail almost always is. */
static char *
decode_guess (const char *data,
              gsize       len,
              gboolean    truncated)
{
  gsize valid_len;

  if (len == 0)
    return g_strdup ("");
  valid_len = truncated ? complete_utf8_length (data, len) : len;
  if (g_utf8_validate_len (data, valid_len, NULL))
    return g_strndup (data, valid_len);
  return decode_windows_1252 ((const guchar *) data, len);
}

/* Text builder ---------------------------------------------------------------- */

typedef enum
{
  BREAK_NONE,
  BREAK_SPACE,
  BREAK_LINE,
  BREAK_PARAGRAPH,
} BreakKind;

/* Collapses whitespace, drops what must not be shown and stops at a byte
 * limit on a character boundary. Its output is valid UTF-8 by construction. */
typedef struct
{
  GString   *out;
  gsize      max;
  BreakKind  pending;
  guint      quote_depth;
  gboolean   at_line_start;
  gboolean   single_line;
  gboolean   full;
} TextBuilder;

static void
builder_init (TextBuilder *b,
              gsize        max,
              gboolean     single_line)
{
  b->out = g_string_sized_new (MIN (max, 256));
  b->max = max;
  b->pending = BREAK_NONE;
  b->quote_depth = 0;
  b->at_line_start = TRUE;
  b->single_line = single_line;
  b->full = FALSE;
}

static char *
builder_finish (TextBuilder *b)
{
  return g_string_free (g_steal_pointer (&b->out), FALSE);
}

static void
builder_break (TextBuilder *b,
               BreakKind    kind)
{
  if (b->single_line && kind > BREAK_SPACE)
    kind = BREAK_SPACE;
  if (kind > b->pending)
    b->pending = kind;
}

static void
builder_append (TextBuilder *b,
                gunichar     c)
{
  char prefix[2 + QUOTE_PREFIX_MAX + 1];
  gsize prefix_len = 0;
  char utf8[6];
  gint utf8_len;

  if (b->full)
    return;
  if (g_unichar_isspace (c))
    {
      builder_break (b, c == '\n' ? BREAK_LINE : BREAK_SPACE);
      return;
    }
  if (is_dropped_char (c))
    return;

  if (b->out->len > 0)
    {
      switch (b->pending)
        {
        case BREAK_SPACE:
          prefix[prefix_len++] = ' ';
          break;
        case BREAK_PARAGRAPH:
          prefix[prefix_len++] = '\n';
          G_GNUC_FALLTHROUGH;
        case BREAK_LINE:
          prefix[prefix_len++] = '\n';
          b->at_line_start = TRUE;
          break;
        case BREAK_NONE:
        default:
          break;
        }
    }
  if (b->at_line_start && b->quote_depth > 0)
    {
      guint depth = MIN (b->quote_depth, QUOTE_PREFIX_MAX);

      memset (prefix + prefix_len, '>', depth);
      prefix_len += depth;
      prefix[prefix_len++] = ' ';
    }

  utf8_len = g_unichar_to_utf8 (c, utf8);
  if (b->out->len + prefix_len + (gsize) utf8_len > b->max)
    {
      b->full = TRUE;
      return;
    }
  g_string_append_len (b->out, prefix, prefix_len);
  g_string_append_len (b->out, utf8, utf8_len);
  b->pending = BREAK_NONE;
  b->at_line_start = FALSE;
}

/* @text must be valid UTF-8. Keeps line structure (one blank line at most). */
static void
builder_append_text (TextBuilder *b,
                     const char  *text,
                     gsize        len)
{
  const char *p = text;
  const char *end = text + len;
  guint newlines = 0;

  while (p < end && !b->full)
    {
      gunichar c = g_utf8_get_char (p);

      p = g_utf8_next_char (p);
      if (c == '\r')
        {
          if (p < end && *p == '\n')
            continue;
          c = '\n';
        }
      if (c == '\n')
        {
          newlines++;
          builder_break (b, newlines >= 2 ? BREAK_PARAGRAPH : BREAK_LINE);
          continue;
        }
      if (g_unichar_isspace (c))
        {
          builder_break (b, BREAK_SPACE);
          continue;
        }
      if (is_dropped_char (c))
        continue;
      newlines = 0;
      builder_append (b, c);
    }
}

/* One line of display text from anything: valid UTF-8, no controls, no bidi
 * overrides, whitespace collapsed and trimmed, at most TERN_MIME_LINE_MAX
 * bytes. Never returns NULL. */
static char *
clean_line (const char *text,
            gssize      len)
{
  g_autofree char *valid = NULL;
  TextBuilder b;

  if (text == NULL)
    return g_strdup ("");
  if (len < 0)
    len = strlen (text);
  /* Bounds the copy too: a 1 MiB header makes no longer line. */
  if ((gsize) len > (gsize) TERN_MIME_LINE_MAX * 4)
    len = complete_utf8_length (text, TERN_MIME_LINE_MAX * 4);
  valid = g_utf8_make_valid (text, len);

  builder_init (&b, TERN_MIME_LINE_MAX, TRUE);
  for (const char *p = valid; *p != '\0' && !b.full; p = g_utf8_next_char (p))
    builder_append (&b, g_utf8_get_char (p));
  return builder_finish (&b);
}

static gboolean
is_blank (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

/* An addr-spec for display and lookups: cleaned, the domain lower-cased. */
static char *
clean_address (const char *addr)
{
  g_autofree char *clean = clean_line (addr, -1);
  const char *at = strrchr (clean, '@');
  g_autofree char *domain = NULL;

  if (at == NULL)
    return g_steal_pointer (&clean);
  domain = g_utf8_strdown (at + 1, -1);
  return g_strdup_printf ("%.*s@%s", (int) (at - clean), clean, domain);
}

/* A msg-id (or list id) without <>: printable ASCII, no angle brackets,
 * trimmed, not empty. Anything else is not an id Tern can match on. */
static char *
dup_message_id (const char *id)
{
  gsize len;

  if (id == NULL)
    return NULL;
  while (*id == ' ' || *id == '\t')
    id++;
  len = strlen (id);
  while (len > 0 && (id[len - 1] == ' ' || id[len - 1] == '\t'))
    len--;
  if (len == 0 || len > TERN_MIME_LINE_MAX)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) id[i];

      if (c < 0x20 || c >= 0x7F || c == '<' || c == '>')
        return NULL;
    }
  return g_strndup (id, len);
}

/* HTML to text ---------------------------------------------------------------- */

/* HTML 4 Latin-1 entities, U+00A0 to U+00FF in order. */
static const char * const latin1_entities[] = {
  "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
  "uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr",
  "deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot",
  "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
  "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil",
  "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml",
  "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times",
  "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig",
  "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
  "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml",
  "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide",
  "oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
};
G_STATIC_ASSERT (G_N_ELEMENTS (latin1_entities) == 96);

static const struct
{
  const char *name;
  gunichar    c;
} other_entities[] = {
  { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
  { "OElig", 0x152 }, { "oelig", 0x153 }, { "Scaron", 0x160 }, { "scaron", 0x161 },
  { "Yuml", 0x178 }, { "fnof", 0x192 }, { "circ", 0x2C6 }, { "tilde", 0x2DC },
  { "ensp", 0x2002 }, { "emsp", 0x2003 }, { "thinsp", 0x2009 }, { "zwnj", 0x200C },
  { "zwj", 0x200D }, { "lrm", 0x200E }, { "rlm", 0x200F }, { "ndash", 0x2013 },
  { "mdash", 0x2014 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201A },
  { "ldquo", 0x201C }, { "rdquo", 0x201D }, { "bdquo", 0x201E }, { "dagger", 0x2020 },
  { "Dagger", 0x2021 }, { "bull", 0x2022 }, { "hellip", 0x2026 }, { "permil", 0x2030 },
  { "prime", 0x2032 }, { "lsaquo", 0x2039 }, { "rsaquo", 0x203A }, { "euro", 0x20AC },
  { "trade", 0x2122 }, { "larr", 0x2190 }, { "uarr", 0x2191 }, { "rarr", 0x2192 },
  { "darr", 0x2193 }, { "harr", 0x2194 }, { "minus", 0x2212 }, { "infin", 0x221E },
  { "ne", 0x2260 }, { "le", 0x2264 }, { "ge", 0x2265 }, { "hearts", 0x2665 },
};

static gunichar
lookup_entity (const char *name,
               gsize       len)
{
  for (guint i = 0; i < G_N_ELEMENTS (latin1_entities); i++)
    if (strlen (latin1_entities[i]) == len && memcmp (latin1_entities[i], name, len) == 0)
      return 0xA0 + i;
  for (guint i = 0; i < G_N_ELEMENTS (other_entities); i++)
    if (strlen (other_entities[i].name) == len && memcmp (other_entities[i].name, name, len) == 0)
      return other_entities[i].c;
  return 0;
}

/* @p is at '&'. Returns where the text goes on; *c is 0 for a lone '&'. */
static const char *
decode_entity (const char  *p,
               const char  *end,
               gunichar    *c)
{
  const char *q = p + 1;

  *c = 0;
  if (q < end && *q == '#')
    {
      gboolean hex = FALSE;
      guint32 value = 0;
      guint digits = 0;

      q++;
      if (q < end && (*q == 'x' || *q == 'X'))
        {
          hex = TRUE;
          q++;
        }
      for (; q < end && (hex ? g_ascii_isxdigit (*q) : g_ascii_isdigit (*q)); q++)
        {
          /* Overlong numbers still end at their last digit but stay invalid. */
          if (value <= 0x10FFFF)
            value = value * (hex ? 16 : 10) + (hex ? g_ascii_xdigit_value (*q) : *q - '0');
          digits++;
        }
      if (digits == 0)
        return p + 1;
      if (q < end && *q == ';')
        q++;
      if (value >= 0x80 && value <= 0x9F)
        *c = windows_1252_high[value - 0x80];
      else if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        *c = 0xFFFD;
      else
        *c = value;
      return q;
    }
  else
    {
      const char *name = q;
      gunichar found;

      while (q < end && q - name < 32 && g_ascii_isalnum (*q))
        q++;
      if (q == name || (found = lookup_entity (name, q - name)) == 0)
        return p + 1;
      if (q < end && *q == ';')
        q++;
      *c = found;
      return q;
    }
}

static gboolean
name_in (const char         *name,
         const char * const *list,
         gsize               n)
{
  for (gsize i = 0; i < n; i++)
    if (strcmp (name, list[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Elements whose content is never text. The head's text is all in these;
 * other text in a head is shown, as browsers do. Outlook puts <xml> there. */
static const char * const raw_text_tags[] = { "script", "style", "title", "template", "xml" };
static const char * const paragraph_tags[] = {
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
  "dl", "hr", "section", "article", "header", "footer", "address", "center", "form",
  "figure", "fieldset", "main", "nav", "aside", "details", "summary",
};
static const char * const line_tags[] = {
  "br", "div", "li", "tr", "dt", "dd", "option", "caption", "figcaption", "body", "html",
};
static const char * const cell_tags[] = { "td", "th" };

/* @p is after a tag's name; returns after its '>'. Quotes count only as
 * attribute values, so a stray apostrophe cannot swallow the document. */
static const char *
skip_tag_attributes (const char *p,
                     const char *end)
{
  char quote = 0;
  gboolean after_equals = FALSE;

  for (; p < end; p++)
    {
      char c = *p;

      if (quote != 0)
        {
          if (c == quote)
            quote = 0;
          continue;
        }
      if (c == '>')
        return p + 1;
      if (after_equals && (c == '"' || c == '\''))
        {
          quote = c;
          after_equals = FALSE;
        }
      else if (c == '=')
        after_equals = TRUE;
      else if (!g_ascii_isspace (c))
        after_equals = FALSE;
    }
  return end;
}

/* Skips the content of a raw-text element up to and including </@name …>. */
static const char *
skip_raw_text (const char *p,
               const char *end,
               const char *name)
{
  gsize n = strlen (name);

  while (p < end)
    {
      const char *lt = memchr (p, '<', end - p);

      if (lt == NULL)
        return end;
      if ((gsize) (end - lt) >= n + 2 && lt[1] == '/' &&
          g_ascii_strncasecmp (lt + 2, name, n) == 0)
        {
          const char *gt = memchr (lt, '>', end - lt);

          return gt != NULL ? gt + 1 : end;
        }
      p = lt + 1;
    }
  return end;
}

static const char *
skip_comment (const char *p,
              const char *end)
{
  const char *q = p + 4;   /* after "<!--" */

  while (q < end)
    {
      const char *gt = memchr (q, '>', end - q);

      if (gt == NULL)
        return end;
      if (gt - 2 >= p + 2 && gt[-1] == '-' && gt[-2] == '-')
        return gt + 1;
      q = gt + 1;
    }
  return end;
}

/* @p is at '<'. */
static const char *
handle_markup (TextBuilder *b,
               const char  *p,
               const char  *end)
{
  const char *q = p + 1;
  gboolean closing = FALSE;
  char name[16];
  gsize name_len = 0;
  gboolean name_fits = TRUE;

  if (q < end && *q == '!')
    {
      if (end - p >= 4 && memcmp (p, "<!--", 4) == 0)
        return skip_comment (p, end);
      q = memchr (q, '>', end - q);
      return q != NULL ? q + 1 : end;
    }
  if (q < end && *q == '?')
    {
      q = memchr (q, '>', end - q);
      return q != NULL ? q + 1 : end;
    }
  if (q < end && *q == '/')
    {
      closing = TRUE;
      q++;
    }
  if (q >= end || !g_ascii_isalpha (*q))
    {
      /* Not a tag: a literal '<'. */
      builder_append (b, '<');
      return p + 1;
    }

  for (; q < end && (g_ascii_isalnum (*q) || *q == '-' || *q == ':' || *q == '_'); q++)
    {
      if (name_len + 1 < sizeof name)
        name[name_len++] = g_ascii_tolower (*q);
      else
        name_fits = FALSE;
    }
  name[name_len] = '\0';
  if (!name_fits)
    name[0] = '\0';
  q = skip_tag_attributes (q, end);

  if (!closing && name_in (name, raw_text_tags, G_N_ELEMENTS (raw_text_tags)))
    return skip_raw_text (q, end, name);

  if (strcmp (name, "blockquote") == 0)
    {
      if (closing && b->quote_depth > 0)
        b->quote_depth--;
      else if (!closing && b->quote_depth < G_MAXUINT16)
        b->quote_depth++;
    }

  if (name_in (name, paragraph_tags, G_N_ELEMENTS (paragraph_tags)))
    builder_break (b, BREAK_PARAGRAPH);
  else if (name_in (name, line_tags, G_N_ELEMENTS (line_tags)))
    builder_break (b, BREAK_LINE);
  else if (name_in (name, cell_tags, G_N_ELEMENTS (cell_tags)))
    builder_break (b, BREAK_SPACE);
  return q;
}

/**
 * tern_mime_html_to_text:
 * @html: (array length=len): HTML, UTF-8 (invalid bytes become U+FFFD)
 * @len: bytes of @html; at most 16 MiB are read
 *
 * Reduces HTML to text for previews and the search index: drops
 * script, style, title and the head, decodes entities, turns block elements
 * into line breaks and blockquotes into "> " lines, collapses whitespace.
 * Linear in @len; the result holds at most %TERN_MIME_BODY_TEXT_MAX bytes.
 *
 * Returns: (transfer full): valid UTF-8, never %NULL
 */
char *
tern_mime_html_to_text (const char *html,
                        gsize       len)
{
  TextBuilder b;
  const char *p = html;
  const char *end;

  builder_init (&b, TERN_MIME_BODY_TEXT_MAX, FALSE);
  if (html == NULL)
    return builder_finish (&b);
  end = html + MIN (len, (gsize) HTML_INPUT_MAX);

  while (p < end && !b.full)
    {
      gunichar c;

      if (*p == '<')
        {
          p = handle_markup (&b, p, end);
          continue;
        }
      if (*p == '&')
        {
          p = decode_entity (p, end, &c);
          if (c == 0)
            c = '&';
        }
      else if (*p == '\0')
        {
          p++;
          continue;
        }
      else
        {
          c = g_utf8_get_char_validated (p, end - p);
          if (c == (gunichar) -1 || c == (gunichar) -2)
            {
              c = 0xFFFD;
              p++;
            }
          else
            p = g_utf8_next_char (p);
        }
      /* Source newlines are spaces in HTML; only elements break lines. */
      builder_append (&b, g_unichar_isspace (c) ? ' ' : c);
    }

  return builder_finish (&b);
}

/* Subjects -------------------------------------------------------------------- */

/* Reply and forward markers, case-folded: English, German (AW, WG),
 * Scandinavian (SV, VS), Dutch (Antw), French (Réf, TR), Italian (Rif),
 * Polish (Odp), Spanish and Portuguese (RV, Enc, Res), Chinese. */
static const char * const subject_prefixes[] = {
  "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "réf", "ref", "rif", "tr",
  "odp", "enc", "res", "rv", "回复", "回覆", "答复", "转发", "轉寄",
};

/* If @p starts with a marker and its colon, returns what follows. */
static const char *
skip_subject_prefix (const char *p)
{
  for (guint i = 0; i < G_N_ELEMENTS (subject_prefixes); i++)
    {
      gsize n = strlen (subject_prefixes[i]);
      const char *q = p + n;

      if (strncmp (p, subject_prefixes[i], n) != 0)
        continue;
      while (*q == ' ')
        q++;
      /* A counter: "Re[2]:", "Re(2):", "Re^2:". */
      if (*q == '[' || *q == '(' || *q == '^')
        {
          const char *digits = q + 1;
          const char *r = digits;

          while (g_ascii_isdigit (*r))
            r++;
          if (r > digits && (*q == '^' || (*q == '[' && *r == ']') || (*q == '(' && *r == ')')))
            q = *q == '^' ? r : r + 1;
          while (*q == ' ')
            q++;
        }
      if (*q == ':')
        return q + 1;
      if (strncmp (q, "\xEF\xBC\x9A", 3) == 0)   /* U+FF1A FULLWIDTH COLON */
        return q + 3;
    }
  return NULL;
}

/**
 * tern_mime_normalize_subject:
 * @subject: (nullable): a decoded subject
 *
 * The key that threads messages without references: reply and forward
 * markers ("Re:", "Fwd:", "AW:", "SV:", "Réf:", counters like "Re[2]:") and
 * leading "[list]" tags are stripped as often as they repeat, the rest is
 * case-folded with whitespace collapsed.
 *
 * Returns: (transfer full): never %NULL
 */
char *
tern_mime_normalize_subject (const char *subject)
{
  g_autofree char *clean = clean_line (subject, -1);
  g_autofree char *composed = g_utf8_normalize (clean, -1, G_NORMALIZE_DEFAULT_COMPOSE);
  g_autofree char *folded = g_utf8_casefold (composed != NULL ? composed : clean, -1);
  const char *p = folded;

  for (;;)
    {
      const char *next;

      while (*p == ' ')
        p++;
      if (*p == '[')
        {
          const char *close = strchr (p, ']');

          /* "[list] Re: x" but not a subject that is only "[PATCH]". */
          if (close != NULL && close - p <= 64 && close[1] != '\0' &&
              memchr (p + 1, '[', close - p - 1) == NULL)
            {
              p = close + 1;
              continue;
            }
        }
      next = skip_subject_prefix (p);
      if (next == NULL)
        break;
      p = next;
    }

  /* clean_line has collapsed whitespace; only the end may have a space left. */
  return g_strchomp (g_strdup (p));
}

/* The summariser -------------------------------------------------------------- */

typedef struct
{
  TernMimeSummary *summary;
  GString         *body;
  char            *preview;
  GPtrArray       *notes;
  gsize            read_budget;
  guint            text_nodes;
  guint            attachment_nodes;
  gboolean         repaired;
} Summariser;

static void
summariser_init (Summariser *self)
{
  self->summary = g_new0 (TernMimeSummary, 1);
  self->body = g_string_new (NULL);
  self->preview = NULL;
  self->notes = g_ptr_array_new_with_free_func (g_free);
  self->read_budget = TEXT_READ_BUDGET;
  self->text_nodes = 0;
  self->attachment_nodes = 0;
  self->repaired = FALSE;
}

static char **
empty_strv (void)
{
  return g_new0 (char *, 1);
}

static TernMimeSummary *
summariser_finish (Summariser *self)
{
  TernMimeSummary *summary = g_steal_pointer (&self->summary);

  if (summary->subject == NULL)
    summary->subject = g_strdup ("");
  if (summary->from == NULL)
    summary->from = g_strdup ("");
  if (summary->to_addrs == NULL)
    summary->to_addrs = empty_strv ();
  if (summary->cc_addrs == NULL)
    summary->cc_addrs = empty_strv ();
  if (summary->references == NULL)
    summary->references = empty_strv ();
  summary->preview = self->preview != NULL ? g_steal_pointer (&self->preview) : g_strdup ("");
  summary->body_text = g_string_free (g_steal_pointer (&self->body), FALSE);

  if (self->notes->len > 0)
    {
      g_ptr_array_add (self->notes, NULL);
      summary->error = g_strjoinv ("; ", (char **) self->notes->pdata);
    }
  g_clear_pointer (&self->notes, g_ptr_array_unref);
  return summary;
}

static void
add_note (Summariser *self,
          const char *note)
{
  if (self->notes->len >= MAX_NOTES)
    return;
  for (guint i = 0; i < self->notes->len; i++)
    if (strcmp (g_ptr_array_index (self->notes, i), note) == 0)
      return;
  g_ptr_array_add (self->notes, g_strdup (note));
}

static void
parser_warned_cb (gint64              offset,
                  GMimeParserWarning  errcode,
                  const char         *item,
                  gpointer            user_data)
{
  Summariser *self = user_data;

  /* Only what loses content is worth a note; duplicated headers, raw 8-bit
   * headers and odd parameters are everyday mail, and "truncated" only means
   * a header block ended the input, which is a message without a body. */
  switch ((int) errcode)
    {
    case GMIME_CRIT_NESTING_OVERFLOW:
      add_note (self, "the MIME structure is nested too deeply");
      break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      add_note (self, "a multipart part has no boundary");
      break;
    case GMIME_WARN_MALFORMED_MULTIPART:
      add_note (self, "a multipart part has no parts (wrong boundary?)");
      break;
    default:
      break;
    }
}

/* Text ------------------------------------------------------------------------- */

/* @text: valid UTF-8 cleaned by a TextBuilder. */
static char *
make_preview (const char *text)
{
  g_autoptr(GString) kept = g_string_new (NULL);
  g_autofree char *line_text = NULL;
  const char *line = text;
  char *cut;

  while (*line != '\0' && kept->len < PREVIEW_SOURCE_MAX)
    {
      const char *eol = strchr (line, '\n');
      const char *next = eol != NULL ? eol + 1 : line + strlen (line);
      gsize len = (eol != NULL ? eol : next) - line;

      /* The signature ends what is worth showing; "-- " lost its space to
       * whitespace cleaning. */
      if (len == 2 && memcmp (line, "--", 2) == 0)
        break;
      if (line[0] == '>')
        {
          line = next;
          continue;
        }
      /* "On Monday, Ann wrote:" introduces quoted lines. */
      if (len > 0 && line[len - 1] == ':')
        {
          const char *after = next;

          while (*after == '\n')
            after++;
          if (*after == '>')
            {
              line = next;
              continue;
            }
        }
      g_string_append_len (kept, line, len);
      g_string_append_c (kept, ' ');
      line = next;
    }

  line_text = clean_line (kept->str, kept->len);
  if (g_utf8_strlen (line_text, -1) > TERN_MIME_PREVIEW_MAX_CHARS)
    {
      cut = g_utf8_offset_to_pointer (line_text, TERN_MIME_PREVIEW_MAX_CHARS);
      *cut = '\0';
    }
  return g_strchomp (g_steal_pointer (&line_text));
}

/* Adds one part's text (valid UTF-8) to body_text and maybe the preview.
 * Returns whether it had any text. */
static gboolean
add_text (Summariser *self,
          const char *text)
{
  g_autofree char *cleaned = NULL;
  TextBuilder b;
  gsize len;
  gsize room;
  const char *separator = self->body->len > 0 ? "\n\n" : "";

  builder_init (&b, TERN_MIME_BODY_TEXT_MAX, FALSE);
  builder_append_text (&b, text, strlen (text));
  cleaned = builder_finish (&b);
  if (*cleaned == '\0')
    return FALSE;

  if (self->preview == NULL)
    {
      char *preview = make_preview (cleaned);

      if (*preview != '\0')
        self->preview = preview;
      else
        g_free (preview);
    }

  room = TERN_MIME_BODY_TEXT_MAX - self->body->len;
  if (room > strlen (separator))
    {
      room -= strlen (separator);
      len = strlen (cleaned);
      if (len > room)
        {
          /* Never cut inside a UTF-8 sequence. */
          len = room;
          while (len > 0 && ((guchar) cleaned[len] & 0xC0) == 0x80)
            len--;
        }
      if (len > 0)
        {
          g_string_append (self->body, separator);
          g_string_append_len (self->body, cleaned, len);
        }
    }
  return TRUE;
}

/* RFC 3676: joins soft line breaks, removes space-stuffing, keeps quote
 * markers so quoted lines stay recognisable. */
static char *
unflow_text (const char *text,
             gboolean    delsp)
{
  GString *out = g_string_sized_new (strlen (text) + 1);
  const char *line = text;
  gboolean continuing = FALSE;
  gsize previous_depth = 0;

  while (*line != '\0')
    {
      const char *eol = strchr (line, '\n');
      const char *next = eol != NULL ? eol + 1 : line + strlen (line);
      gsize len = (eol != NULL ? eol : next) - line;
      gsize depth = 0;
      const char *content;
      gsize content_len;
      gboolean signature;
      gboolean soft;

      if (len > 0 && line[len - 1] == '\r')
        len--;
      while (depth < len && line[depth] == '>')
        depth++;
      content = line + depth;
      content_len = len - depth;
      if (content_len > 0 && content[0] == ' ')
        {
          content++;
          content_len--;
        }
      signature = content_len == 3 && memcmp (content, "-- ", 3) == 0;
      soft = !signature && content_len > 0 && content[content_len - 1] == ' ';

      if (continuing && depth != previous_depth)
        {
          g_string_append_c (out, '\n');
          continuing = FALSE;
        }
      if (!continuing && depth > 0)
        {
          for (gsize i = 0; i < depth; i++)
            g_string_append_c (out, '>');
          g_string_append_c (out, ' ');
        }
      if (soft && delsp)
        content_len--;
      g_string_append_len (out, content, content_len);
      if (!soft)
        g_string_append_c (out, '\n');
      continuing = soft;
      previous_depth = depth;
      line = next;
    }
  return g_string_free (out, FALSE);
}

typedef enum
{
  CHARSET_GUESS,
  CHARSET_UTF8,
  CHARSET_WINDOWS_1252,
  CHARSET_OTHER,
} CharsetKind;

static gboolean
charset_in (const char         *charset,
            const char * const *list,
            gsize               n)
{
  for (gsize i = 0; i < n; i++)
    if (g_ascii_strcasecmp (charset, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static CharsetKind
classify_charset (const char *charset)
{
  /* Labels that say nothing about 8-bit bytes, so the bytes decide. */
  static const char * const guess[] = {
    "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "unknown-8bit",
    "x-unknown", "unknown", "8bit", "default", "none",
  };
  static const char * const utf8[] = { "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8" };
  /* Latin-1 labels are read as windows-1252, as browsers do: that is what
   * mailers writing them meant (curly quotes, euro sign). */
  static const char * const windows_1252[] = {
    "windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "iso_8859-1",
    "latin1", "latin-1", "l1", "cp819", "ibm819", "iso-ir-100", "csisolatin1",
  };

  if (charset == NULL || *charset == '\0' || charset_in (charset, guess, G_N_ELEMENTS (guess)))
    return CHARSET_GUESS;
  if (charset_in (charset, utf8, G_N_ELEMENTS (utf8)))
    return CHARSET_UTF8;
  if (charset_in (charset, windows_1252, G_N_ELEMENTS (windows_1252)))
    return CHARSET_WINDOWS_1252;
  return CHARSET_OTHER;
}

static void
note_bad_charset (Summariser *self,
                  const char *charset)
{
  GString *safe = g_string_new (NULL);
  g_autofree char *note = NULL;

  /* The label is data from the message: keep it short and plain. */
  for (const char *p = charset; *p != '\0' && safe->len < 40; p++)
    if (g_ascii_isalnum (*p) || strchr ("-_.:+", *p) != NULL)
      g_string_append_c (safe, *p);
  note = g_strdup_printf ("undecodable charset %s", safe->len > 0 ? safe->str : "?");
  g_string_free (safe, TRUE);
  add_note (self, note);
}

/* Reads at most @max decoded bytes of a part through its transfer decoding
 * and, when given, a charset filter. */
static GByteArray *
read_part_content (GMimePart   *part,
                   GMimeFilter *charset_filter,
                   gsize        max,
                   gboolean    *truncated)
{
  GMimeDataWrapper *content = g_mime_part_get_content (part);
  GMimeStream *source;
  g_autoptr(GMimeStream) filtered = NULL;
  GByteArray *bytes;
  char buffer[4096];

  *truncated = FALSE;
  if (content == NULL || (source = g_mime_data_wrapper_get_stream (content)) == NULL)
    return NULL;

  g_mime_stream_reset (source);
  filtered = g_mime_stream_filter_new (source);
  switch (g_mime_data_wrapper_get_encoding (content))
    {
    case GMIME_CONTENT_ENCODING_BASE64:
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
    case GMIME_CONTENT_ENCODING_UUENCODE:
      {
        g_autoptr(GMimeFilter) decoder =
          g_mime_filter_basic_new (g_mime_data_wrapper_get_encoding (content), FALSE);

        g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), decoder);
      }
      break;
    default:
      break;
    }
  if (charset_filter != NULL)
    g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), charset_filter);

  bytes = g_byte_array_new ();
  while (bytes->len < max)
    {
      gssize n = g_mime_stream_read (filtered, buffer, MIN (sizeof buffer, max - bytes->len));

      if (n <= 0)
        break;
      g_byte_array_append (bytes, (const guint8 *) buffer, n);
    }
  *truncated = bytes->len >= max;
  return bytes;
}

/* Text as UTF-8 from bytes in @kind's charset (already UTF-8 for
 * CHARSET_OTHER, converted by GMime). NUL bytes are dropped. */
static char *
decode_text_bytes (GByteArray  *bytes,
                   CharsetKind  kind,
                   gboolean     truncated)
{
  gsize len = 0;

  if (bytes->len == 0)
    return g_strdup ("");
  for (gsize i = 0; i < bytes->len; i++)
    if (bytes->data[i] != '\0')
      bytes->data[len++] = bytes->data[i];

  switch (kind)
    {
    case CHARSET_GUESS:
      return decode_guess ((const char *) bytes->data, len, truncated);
    case CHARSET_WINDOWS_1252:
      return decode_windows_1252 (bytes->data, len);
    case CHARSET_UTF8:
    case CHARSET_OTHER:
    default:
      if (truncated)
        len = complete_utf8_length ((const char *) bytes->data, len);
      return g_utf8_make_valid ((const char *) bytes->data, len);
    }
}

static gboolean
is_crypto_type (GMimeContentType *content_type)
{
  static const char * const subtypes[] = {
    "pgp-signature", "pgp-encrypted", "pkcs7-signature", "x-pkcs7-signature",
    "pkcs7-mime", "x-pkcs7-mime",
  };

  for (guint i = 0; i < G_N_ELEMENTS (subtypes); i++)
    if (g_mime_content_type_is_type (content_type, "application", subtypes[i]))
      return TRUE;
  return FALSE;
}

static gboolean
is_attachment_part (GMimePart *part,
                    gboolean   in_related)
{
  GMimeObject *object = GMIME_OBJECT (part);
  GMimeContentType *content_type = g_mime_object_get_content_type (object);
  GMimeContentDisposition *disposition = g_mime_object_get_content_disposition (object);
  const char *content_id;
  const char *filename;

  /* Signatures and encryption wrappers are how the message travels. */
  if (content_type != NULL && is_crypto_type (content_type))
    return FALSE;
  if (disposition != NULL && g_mime_content_disposition_is_attachment (disposition))
    return TRUE;
  /* An image the HTML body shows through cid: is part of the body. */
  content_id = g_mime_object_get_content_id (object);
  if (in_related && content_id != NULL && *content_id != '\0')
    return FALSE;
  if (content_type != NULL && g_mime_content_type_is_type (content_type, "text", "*"))
    return FALSE;
  filename = g_mime_part_get_filename (part);
  return filename != NULL && *filename != '\0';
}

static gboolean
collect_part_text (Summariser *self,
                   GMimePart  *part)
{
  GMimeObject *object = GMIME_OBJECT (part);
  GMimeContentType *content_type = g_mime_object_get_content_type (object);
  g_autoptr(GMimeFilter) charset_filter = NULL;
  g_autoptr(GByteArray) bytes = NULL;
  g_autofree char *text = NULL;
  const char *charset;
  CharsetKind kind;
  gboolean html;
  gboolean truncated;
  gsize room;
  gsize max;

  if (content_type == NULL || is_attachment_part (part, FALSE))
    return FALSE;
  html = g_mime_content_type_is_type (content_type, "text", "html");
  if (!html && !g_mime_content_type_is_type (content_type, "text", "plain"))
    return FALSE;

  room = TERN_MIME_BODY_TEXT_MAX - self->body->len;
  if (room == 0 && self->preview != NULL)
    return FALSE;
  max = html ? HTML_READ_MAX : 2 * room + 4096;
  max = MIN (max, self->read_budget);
  if (max == 0)
    return FALSE;

  charset = g_mime_object_get_content_type_parameter (object, "charset");
  kind = classify_charset (charset);
  if (kind == CHARSET_OTHER)
    {
      charset_filter = g_mime_filter_charset_new (charset, "UTF-8");
      if (charset_filter == NULL)
        {
          note_bad_charset (self, charset);
          kind = CHARSET_GUESS;
        }
    }

  bytes = read_part_content (part, charset_filter, max, &truncated);
  if (bytes == NULL)
    return FALSE;
  self->read_budget -= MIN (self->read_budget, bytes->len);
  text = decode_text_bytes (bytes, kind, truncated);

  if (html)
    {
      g_autofree char *plain = tern_mime_html_to_text (text, strlen (text));

      return add_text (self, plain);
    }
  else
    {
      const char *format = g_mime_object_get_content_type_parameter (object, "format");
      const char *delsp = g_mime_object_get_content_type_parameter (object, "delsp");

      if (format != NULL && g_ascii_strcasecmp (format, "flowed") == 0)
        {
          g_autofree char *unflowed =
            unflow_text (text, delsp != NULL && g_ascii_strcasecmp (delsp, "yes") == 0);

          return add_text (self, unflowed);
        }
      return add_text (self, text);
    }
}

static gboolean
is_plain_text_leaf (GMimeObject *object)
{
  GMimeContentType *content_type = g_mime_object_get_content_type (object);

  return GMIME_IS_PART (object) && content_type != NULL &&
         g_mime_content_type_is_type (content_type, "text", "plain") &&
         !is_attachment_part (GMIME_PART (object), FALSE);
}

static void scan_attachments (Summariser  *self,
                              GMimeObject *object,
                              gboolean     in_related,
                              guint        depth);

static GMimeParserOptions *
new_parser_options (void)
{
  static const char *fallback_charsets[] = { "utf-8", "windows-1252", NULL };
  GMimeParserOptions *options = g_mime_parser_options_new ();

  g_mime_parser_options_set_fallback_charsets (options, fallback_charsets);
  return options;
}

static gboolean
is_boundary_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("'()+_,-./:=?", c) != NULL;
}

/* A multipart whose boundary parameter is missing or wrong has all its parts
 * in the prologue. If the prologue starts a line with a delimiter
 * ("--token"), parse it once more with that token as the boundary. */
static GMimeObject *
reparse_with_found_boundary (const char *prologue)
{
  const char *line = prologue;

  while (*line != '\0')
    {
      const char *eol = strchr (line, '\n');
      const char *next = eol != NULL ? eol + 1 : line + strlen (line);
      gsize len = (eol != NULL ? eol : next) - line;

      if (len > 0 && line[len - 1] == '\r')
        len--;
      if (len > 2 && line[0] == '-' && line[1] == '-')
        {
          const char *token = line + 2;
          gsize token_len = len - 2;
          g_autoptr(GByteArray) buffer = NULL;
          g_autoptr(GMimeStream) stream = NULL;
          g_autoptr(GMimeParser) parser = NULL;
          GMimeParserOptions *options;
          GMimeObject *object;
          g_autofree char *header = NULL;

          if (token_len > 2 && memcmp (token + token_len - 2, "--", 2) == 0)
            token_len -= 2;
          if (token_len == 0 || token_len > 70)
            return NULL;
          for (gsize i = 0; i < token_len; i++)
            if (!is_boundary_char (token[i]))
              return NULL;

          header = g_strdup_printf ("Content-Type: multipart/mixed; boundary=\"%.*s\"\n\n",
                                    (int) token_len, token);
          buffer = g_byte_array_new ();
          g_byte_array_append (buffer, (const guint8 *) header, strlen (header));
          g_byte_array_append (buffer, (const guint8 *) prologue, strlen (prologue));
          stream = g_mime_stream_mem_new_with_byte_array (g_steal_pointer (&buffer));
          parser = g_mime_parser_new_with_stream (stream);
          options = new_parser_options ();
          object = g_mime_parser_construct_part (parser, options);
          g_mime_parser_options_free (options);
          if (object != NULL && GMIME_IS_MULTIPART (object) &&
              g_mime_multipart_get_count (GMIME_MULTIPART (object)) > 0)
            return object;
          g_clear_object (&object);
          return NULL;
        }
      line = next;
    }
  return NULL;
}

static gboolean
collect_text (Summariser  *self,
              GMimeObject *object,
              guint        depth)
{
  GMimeMultipart *multipart;
  GMimeContentType *content_type;
  gboolean produced = FALSE;
  int n;

  if (object == NULL)
    return FALSE;
  if (depth > TERN_MIME_MAX_DEPTH)
    {
      add_note (self, "the MIME structure is nested too deeply");
      return FALSE;
    }
  if (++self->text_nodes > TERN_MIME_MAX_PARTS)
    {
      add_note (self, "the message has too many parts");
      return FALSE;
    }

  /* An attached message is an attachment; its text is not this message's. */
  if (GMIME_IS_MESSAGE_PART (object) || GMIME_IS_MULTIPART_ENCRYPTED (object))
    return FALSE;
  if (GMIME_IS_PART (object))
    return collect_part_text (self, GMIME_PART (object));
  if (!GMIME_IS_MULTIPART (object))
    return FALSE;

  multipart = GMIME_MULTIPART (object);
  n = g_mime_multipart_get_count (multipart);
  if (n <= 0)
    {
      /* With a wrong boundary, the whole body ends up in the prologue. */
      const char *prologue = g_mime_multipart_get_prologue (multipart);
      g_autofree char *text = NULL;

      if (prologue == NULL)
        return FALSE;
      if (!self->repaired)
        {
          g_autoptr(GMimeObject) repaired = NULL;

          /* Once per message: the repair is a second parse. */
          self->repaired = TRUE;
          repaired = reparse_with_found_boundary (prologue);
          if (repaired != NULL)
            {
              add_note (self, "a multipart part's boundary does not match its content");
              scan_attachments (self, repaired, FALSE, depth + 1);
              if (collect_text (self, repaired, depth + 1))
                return TRUE;
            }
        }
      text = decode_guess (prologue, MIN (strlen (prologue), (gsize) TERN_MIME_BODY_TEXT_MAX), TRUE);
      return add_text (self, text);
    }
  if (GMIME_IS_MULTIPART_SIGNED (object))
    return collect_text (self, g_mime_multipart_get_part (multipart, GMIME_MULTIPART_SIGNED_CONTENT), depth + 1);

  content_type = g_mime_object_get_content_type (object);
  if (content_type != NULL && g_mime_content_type_is_type (content_type, "multipart", "alternative"))
    {
      /* The plain text is what the sender wrote; the HTML a rendering of it.
       * One alternative is enough, or the index holds everything twice. */
      for (int i = 0; i < n; i++)
        {
          GMimeObject *child = g_mime_multipart_get_part (multipart, i);

          if (is_plain_text_leaf (child) && collect_text (self, child, depth + 1))
            return TRUE;
        }
      for (int i = 0; i < n; i++)
        {
          GMimeObject *child = g_mime_multipart_get_part (multipart, i);

          if (!is_plain_text_leaf (child) && collect_text (self, child, depth + 1))
            return TRUE;
        }
      return FALSE;
    }
  if (content_type != NULL && g_mime_content_type_is_type (content_type, "multipart", "related"))
    return collect_text (self, g_mime_multipart_get_part (multipart, 0), depth + 1);

  for (int i = 0; i < n; i++)
    produced |= collect_text (self, g_mime_multipart_get_part (multipart, i), depth + 1);
  return produced;
}

static void
scan_attachments (Summariser  *self,
                  GMimeObject *object,
                  gboolean     in_related,
                  guint        depth)
{
  GMimeMultipart *multipart;
  GMimeContentType *content_type;
  gboolean related;
  int n;

  if (object == NULL || self->summary->has_attachments)
    return;
  if (depth > TERN_MIME_MAX_DEPTH || ++self->attachment_nodes > TERN_MIME_MAX_PARTS)
    return;

  if (GMIME_IS_MESSAGE_PART (object))
    {
      self->summary->has_attachments = TRUE;
      return;
    }
  if (GMIME_IS_PART (object))
    {
      if (is_attachment_part (GMIME_PART (object), in_related))
        self->summary->has_attachments = TRUE;
      return;
    }
  if (!GMIME_IS_MULTIPART (object) || GMIME_IS_MULTIPART_ENCRYPTED (object))
    return;

  multipart = GMIME_MULTIPART (object);
  n = g_mime_multipart_get_count (multipart);
  if (GMIME_IS_MULTIPART_SIGNED (object))
    n = MIN (n, 1);
  content_type = g_mime_object_get_content_type (object);
  related = content_type != NULL && g_mime_content_type_is_type (content_type, "multipart", "related");
  for (int i = 0; i < n; i++)
    scan_attachments (self, g_mime_multipart_get_part (multipart, i), related, depth + 1);
}

/* Headers --------------------------------------------------------------------- */

/* "Name <addr>" for display, at most TERN_MIME_LINE_MAX bytes. Whatever the
 * name, the address is shown whole. */
static char *
format_mailbox (const char *name,
                const char *addr)
{
  GString *out;
  gsize name_len = strlen (name);

  if (*name == '\0' || g_ascii_strcasecmp (name, addr) == 0)
    return g_strdup (addr);
  if (*addr == '\0')
    return g_strdup (name);

  if (name_len > DISPLAY_NAME_MAX)
    {
      name_len = DISPLAY_NAME_MAX;
      while (name_len > 0 && ((guchar) name[name_len] & 0xC0) == 0x80)
        name_len--;
    }
  out = g_string_new (NULL);
  /* Quote a name that looks like an address or a list, so that
   * "paypal@paypal.com" <evil@evil.test> cannot pass for PayPal. */
  if (strpbrk (name, "@<>\",;") != NULL)
    {
      g_string_append_c (out, '"');
      for (gsize i = 0; i < name_len; i++)
        {
          if (name[i] == '"' || name[i] == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, name[i]);
        }
      if (name_len < strlen (name))
        g_string_append (out, "…");
      g_string_append_c (out, '"');
    }
  else
    {
      g_string_append_len (out, name, name_len);
      if (name_len < strlen (name))
        g_string_append (out, "…");
    }
  g_string_append_printf (out, " <%s>", addr);

  if (out->len > TERN_MIME_LINE_MAX)
    {
      g_string_free (out, TRUE);
      return g_strdup (addr);
    }
  return g_string_free (out, FALSE);
}

static void
append_addresses (InternetAddressList *list,
                  GString             *display,
                  GPtrArray           *addrs,
                  guint               *count,
                  guint                depth)
{
  int n = internet_address_list_length (list);

  for (int i = 0; i < n && *count < TERN_MIME_MAX_ADDRESSES && display->len < LIST_DISPLAY_MAX; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);
      g_autofree char *name = clean_line (internet_address_get_name (address), -1);
      g_autofree char *item = NULL;

      (*count)++;
      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          InternetAddressList *members =
            internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address));

          /* Groups are flattened; an empty one ("undisclosed-recipients:;")
           * shows its name. */
          if (members != NULL && internet_address_list_length (members) > 0 && depth < 2)
            {
              append_addresses (members, display, addrs, count, depth + 1);
              continue;
            }
          item = g_steal_pointer (&name);
        }
      else if (INTERNET_ADDRESS_IS_MAILBOX (address))
        {
          g_autofree char *addr =
            clean_address (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)));

          item = format_mailbox (name, addr);
          if (*addr != '\0' && addrs != NULL)
            g_ptr_array_add (addrs, g_steal_pointer (&addr));
        }

      if (item != NULL && *item != '\0')
        {
          if (display->len > 0)
            g_string_append (display, ", ");
          g_string_append (display, item);
        }
    }
}

/* The display string of an address list, or NULL if it has none;
 * @addrs_out gets its addr-specs. */
static char *
format_address_list (InternetAddressList   *list,
                     char                ***addrs_out)
{
  GString *display = g_string_new (NULL);
  GPtrArray *addrs = g_ptr_array_new ();
  guint count = 0;

  if (list != NULL)
    append_addresses (list, display, addrs, &count, 0);
  g_ptr_array_add (addrs, NULL);
  if (addrs_out != NULL)
    *addrs_out = (char **) g_ptr_array_free (addrs, FALSE);
  else
    g_strfreev ((char **) g_ptr_array_free (addrs, FALSE));

  if (display->len == 0)
    {
      g_string_free (display, TRUE);
      return NULL;
    }
  return g_string_free (display, FALSE);
}

static InternetAddressMailbox *
find_first_mailbox (InternetAddressList *list,
                    guint                depth)
{
  int n = list != NULL ? internet_address_list_length (list) : 0;

  for (int i = 0; i < n && i < TERN_MIME_MAX_ADDRESSES; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        return INTERNET_ADDRESS_MAILBOX (address);
      if (INTERNET_ADDRESS_IS_GROUP (address) && depth < 2)
        {
          InternetAddressMailbox *mailbox =
            find_first_mailbox (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address)),
                                depth + 1);

          if (mailbox != NULL)
            return mailbox;
        }
    }
  return NULL;
}

static void
summarise_from (Summariser   *self,
                GMimeMessage *message)
{
  TernMimeSummary *summary = self->summary;
  InternetAddressMailbox *mailbox = find_first_mailbox (g_mime_message_get_from (message), 0);
  g_autofree char *name = NULL;
  g_autofree char *addr = NULL;

  if (mailbox == NULL)
    {
      /* "From: Mail System" parses to no mailbox; show what it says. */
      summary->from = clean_line (g_mime_object_get_header (GMIME_OBJECT (message), "From"), -1);
      return;
    }

  name = clean_line (internet_address_get_name (INTERNET_ADDRESS (mailbox)), -1);
  addr = clean_address (internet_address_mailbox_get_addr (mailbox));
  summary->from = format_mailbox (name, addr);
  if (*name != '\0')
    summary->from_name = g_steal_pointer (&name);
  if (*addr != '\0')
    summary->from_addr = g_steal_pointer (&addr);
}

static char **
parse_references (const char *value,
                  guint       max_ids)
{
  GPtrArray *ids = g_ptr_array_new ();

  if (value != NULL)
    {
      GMimeReferences *refs = g_mime_references_parse (g_mime_parser_options_get_default (), value);
      int n = refs != NULL ? g_mime_references_length (refs) : 0;

      for (int i = 0; i < n && ids->len < max_ids; i++)
        {
          char *id = dup_message_id (g_mime_references_get_message_id (refs, i));

          if (id != NULL)
            g_ptr_array_add (ids, id);
        }
      if (refs != NULL)
        g_mime_references_free (refs);
    }

  /* Keep the thread's root and the nearest ancestors. */
  if (ids->len > 1 + TERN_MIME_REFERENCES_KEEP)
    {
      guint drop = ids->len - 1 - TERN_MIME_REFERENCES_KEEP;

      for (guint i = 1; i <= drop; i++)
        g_free (g_ptr_array_index (ids, i));
      g_ptr_array_remove_range (ids, 1, drop);
    }
  g_ptr_array_add (ids, NULL);
  return (char **) g_ptr_array_free (ids, FALSE);
}

static char *
parse_list_id (const char *value)
{
  const char *lt;
  g_autofree char *inner = NULL;
  g_autofree char *id = NULL;

  if (value == NULL)
    return NULL;
  /* "Tern developers <tern-devel.lists.example.org>" or a bare id. */
  lt = strrchr (value, '<');
  if (lt != NULL)
    {
      const char *gt = strchr (lt, '>');

      inner = gt != NULL ? g_strndup (lt + 1, gt - lt - 1) : g_strdup (lt + 1);
    }
  else
    inner = g_strdup (value);

  id = dup_message_id (inner);
  if (id == NULL || strchr (id, ' ') != NULL)
    return NULL;
  return g_ascii_strdown (id, -1);
}

static void
summarise_headers (Summariser   *self,
                   GMimeMessage *message)
{
  TernMimeSummary *summary = self->summary;
  GMimeObject *object = GMIME_OBJECT (message);
  GMimeHeaderList *headers = g_mime_object_get_header_list (object);
  const char *date_value;
  GDateTime *date;

  if (headers == NULL || g_mime_header_list_get_count (headers) == 0)
    add_note (self, "the message has no headers");

  summary->subject = clean_line (g_mime_message_get_subject (message), -1);
  summarise_from (self, message);
  summary->to = format_address_list (g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_TO),
                                     &summary->to_addrs);
  summary->cc = format_address_list (g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_CC),
                                     &summary->cc_addrs);
  summary->reply_to = format_address_list (g_mime_message_get_reply_to (message), NULL);

  summary->message_id = dup_message_id (g_mime_message_get_message_id (message));
  {
    g_auto(GStrv) in_reply_to = parse_references (g_mime_object_get_header (object, "In-Reply-To"), 1);

    summary->in_reply_to = g_strdup (in_reply_to[0]);
  }
  summary->references = parse_references (g_mime_object_get_header (object, "References"), G_MAXUINT);
  summary->list_id = parse_list_id (g_mime_object_get_header (object, "List-Id"));

  date = g_mime_message_get_date (message);
  date_value = g_mime_object_get_header (object, "Date");
  if (date != NULL)
    summary->date = g_date_time_to_unix (date);
  else if (date_value != NULL && !is_blank (date_value))
    add_note (self, "the date could not be read");
}

static void
summarise_message (Summariser   *self,
                   GMimeMessage *message)
{
  GMimeObject *body = g_mime_message_get_mime_part (message);

  summarise_headers (self, message);
  scan_attachments (self, body, FALSE, 0);
  collect_text (self, body, 0);
}

/* API ------------------------------------------------------------------------- */

/**
 * tern_mime_init:
 *
 * Initialises GMime once per process; safe from any thread.
 */
void
tern_mime_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

/**
 * tern_mime_summary_new_from_message:
 * @message: a parsed message
 *
 * Summarises @message. It reads the parts' content streams, so @message
 * must not be used from another thread meanwhile.
 *
 * Returns: (transfer full): the summary
 */
TernMimeSummary *
tern_mime_summary_new_from_message (GMimeMessage *message)
{
  Summariser self;

  g_return_val_if_fail (GMIME_IS_MESSAGE (message), NULL);

  tern_mime_init ();
  summariser_init (&self);
  summarise_message (&self, message);
  return summariser_finish (&self);
}

/**
 * tern_mime_summary_new_from_bytes:
 * @raw: (nullable): the message as received (RFC 5322, possibly broken)
 *
 * Parses and summarises a message. Any input gives a summary in bounded
 * time and memory; what was wrong with it is in the summary's error.
 *
 * Returns: (transfer full): the summary, never %NULL
 */
TernMimeSummary *
tern_mime_summary_new_from_bytes (GBytes *raw)
{
  Summariser self;
  const char *data;
  gsize size = 0;
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  GByteArray *buffer;
  GMimeParserOptions *options;

  tern_mime_init ();
  summariser_init (&self);

  data = raw != NULL ? g_bytes_get_data (raw, &size) : NULL;

  /* An mbox "From " line left at the top is not a header. */
  if (data != NULL && size > 5 && memcmp (data, "From ", 5) == 0)
    {
      const char *p = data + 5;

      while (p < data + size && *p == ' ')
        p++;
      if (p < data + size && *p != ':')
        {
          const char *eol = memchr (data, '\n', size);
          gsize skip = eol != NULL ? (gsize) (eol + 1 - data) : size;

          data += skip;
          size -= skip;
        }
    }
  if (data == NULL || size == 0)
    {
      add_note (&self, "the message is empty");
      return summariser_finish (&self);
    }

  /* GMime keeps header values as C strings, so a NUL would end a header
   * early: "From: paypal@paypal.com\0 <evil@evil.test>" would show PayPal.
   * As a space, the real address wins. Only text is read from the body,
   * where a NUL means nothing either. */
  buffer = g_byte_array_sized_new (size);
  g_byte_array_append (buffer, (const guint8 *) data, size);
  for (guint8 *nul = memchr (buffer->data, '\0', size);
       nul != NULL;
       nul = memchr (nul, '\0', buffer->data + size - nul))
    *nul = ' ';
  stream = g_mime_stream_mem_new_with_byte_array (g_steal_pointer (&buffer));
  parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);

  /* The options are copied into the message; the warning callback only runs
   * while @self lives, as the message does not outlive this function. */
  options = new_parser_options ();
  g_mime_parser_options_set_warning_callback (options, parser_warned_cb, &self);
  message = g_mime_parser_construct_message (parser, options);

  if (message != NULL)
    {
      summarise_message (&self, message);
    }
  else
    {
      GByteArray *copy = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
      gsize len = MIN (copy->len, (gsize) TERN_MIME_BODY_TEXT_MAX);
      g_autofree char *text = NULL;

      /* Not a message at all; its text may still be what someone wrote. */
      add_note (&self, "the message has no headers");
      text = decode_guess ((const char *) copy->data, len, len < copy->len);
      add_text (&self, text);
    }

  g_clear_object (&message);
  g_mime_parser_options_free (options);
  return summariser_finish (&self);
}

/**
 * tern_mime_summary_free:
 * @summary: (nullable): a summary
 */
void
tern_mime_summary_free (TernMimeSummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->subject);
  g_free (summary->from_name);
  g_free (summary->from_addr);
  g_free (summary->from);
  g_free (summary->to);
  g_free (summary->cc);
  g_free (summary->reply_to);
  g_strfreev (summary->to_addrs);
  g_strfreev (summary->cc_addrs);
  g_free (summary->message_id);
  g_free (summary->in_reply_to);
  g_strfreev (summary->references);
  g_free (summary->list_id);
  g_free (summary->preview);
  g_free (summary->body_text);
  g_free (summary->error);
  g_free (summary);
}
