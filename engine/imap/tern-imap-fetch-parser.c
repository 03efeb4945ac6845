/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-fetch-parser"

#include <string.h>

#include "tern-imap-fetch-parser.h"

/* INTERNALDATE ------------------------------------------------------------- */

static gboolean
read_digits (const char **p,
             const char  *end,
             guint        min,
             guint        max,
             int         *value)
{
  guint n = 0;

  *value = 0;
  while (*p < end && n < max && g_ascii_isdigit (**p))
    {
      *value = *value * 10 + (**p - '0');
      (*p)++;
      n++;
    }
  return n >= min;
}

static gboolean
read_literal_char (const char **p,
                   const char  *end,
                   char         c)
{
  if (*p < end && **p == c)
    {
      (*p)++;
      return TRUE;
    }
  return FALSE;
}

/**
 * tern_imap_parse_internaldate:
 *
 * "17-Jul-1996 02:44:25 -0700" (the day may also be " 7" or "7") as Unix
 * time.
 */
gboolean
tern_imap_parse_internaldate (const char *text,
                              gsize       len,
                              gint64     *unix_time)
{
  static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
  const char *p = text;
  const char *end = text + len;
  g_autoptr(GDateTime) dt = NULL;
  int day, month = 0, year, hour, minute, second, zone_hours, zone_minutes;
  int sign;

  read_literal_char (&p, end, ' ');
  if (!read_digits (&p, end, 1, 2, &day) || !read_literal_char (&p, end, '-'))
    return FALSE;
  if (end - p < 4)
    return FALSE;
  for (int i = 0; i < 12; i++)
    if (g_ascii_strncasecmp (p, months + i * 3, 3) == 0)
      month = i + 1;
  if (month == 0)
    return FALSE;
  p += 3;
  if (!read_literal_char (&p, end, '-') ||
      !read_digits (&p, end, 4, 4, &year) || !read_literal_char (&p, end, ' ') ||
      !read_digits (&p, end, 2, 2, &hour) || !read_literal_char (&p, end, ':') ||
      !read_digits (&p, end, 2, 2, &minute) || !read_literal_char (&p, end, ':') ||
      !read_digits (&p, end, 2, 2, &second) || !read_literal_char (&p, end, ' '))
    return FALSE;
  if (read_literal_char (&p, end, '+'))
    sign = 1;
  else if (read_literal_char (&p, end, '-'))
    sign = -1;
  else
    return FALSE;
  if (!read_digits (&p, end, 2, 2, &zone_hours) || !read_digits (&p, end, 2, 2, &zone_minutes) || p != end)
    return FALSE;

  if (year < 1 || !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year) ||
      hour > 23 || minute > 59 || second > 60 || zone_minutes > 59)
    return FALSE;
  second = MIN (second, 59);   /* a leap second */

  dt = g_date_time_new_utc (year, month, day, hour, minute, second);
  if (dt == NULL)
    return FALSE;
  *unix_time = g_date_time_to_unix (dt) - sign * (zone_hours * 3600 + zone_minutes * 60);
  return TRUE;
}

/* ENVELOPE ---------------------------------------------------------------- */

static gboolean
read_nstring (TernImapTokenizer  *t,
              char              **out,
              GError            **error)
{
  return tern_imap_tokenizer_dup_string (t, TERN_IMAP_STRING_NIL, out, error);
}

static gboolean
parse_address (TernImapTokenizer  *t,
               TernImapAddress    *address,
               GError            **error)
{
  if (!tern_imap_tokenizer_open_list (t, error) ||
      !read_nstring (t, &address->name, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &address->adl, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &address->mailbox, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &address->host, error) ||
      !tern_imap_tokenizer_close_list (t, error))
    return FALSE;

  if (address->host == NULL && address->mailbox != NULL)
    address->kind = TERN_IMAP_ADDRESS_GROUP_START;
  else if (address->host == NULL && address->mailbox == NULL)
    address->kind = TERN_IMAP_ADDRESS_GROUP_END;
  else
    address->kind = TERN_IMAP_ADDRESS_MAILBOX;
  return TRUE;
}

/* "(" 1*address ")" or NIL; "()" from lenient servers is an empty list. */
static gboolean
parse_address_list (TernImapTokenizer  *t,
                    GPtrArray         **out,
                    GError            **error)
{
  g_autoptr(GPtrArray) list = NULL;
  gboolean more;

  if (tern_imap_tokenizer_skip_word (t, "NIL"))
    return TRUE;
  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_address_free);
  for (;;)
    {
      TernImapAddress *address;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        break;
      address = tern_imap_address_new ();
      g_ptr_array_add (list, address);
      if (!parse_address (t, address, error))
        return FALSE;
    }
  *out = g_steal_pointer (&list);
  return TRUE;
}

gboolean
tern_imap_parse_envelope (TernImapTokenizer  *t,
                          TernImapEnvelope  **envelope,
                          GError            **error)
{
  g_autoptr(TernImapEnvelope) e = tern_imap_envelope_new ();

  if (!tern_imap_tokenizer_open_list (t, error) ||
      !read_nstring (t, &e->date, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &e->subject, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !parse_address_list (t, &e->from, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !parse_address_list (t, &e->sender, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !parse_address_list (t, &e->reply_to, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !parse_address_list (t, &e->to, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !parse_address_list (t, &e->cc, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !parse_address_list (t, &e->bcc, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &e->in_reply_to, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &e->message_id, error) ||
      !tern_imap_tokenizer_close_list (t, error))
    return FALSE;

  *envelope = g_steal_pointer (&e);
  return TRUE;
}

/* BODYSTRUCTURE ----------------------------------------------------------- */

/* A token of the structure (type, subtype, encoding, disposition) as
 * lower-case UTF-8; NIL, which some servers send, gives @fallback. */
static gboolean
read_token (TernImapTokenizer  *t,
            const char         *fallback,
            char              **out,
            GError            **error)
{
  TernImapString string;

  if (!tern_imap_tokenizer_read_string (t, TERN_IMAP_STRING_NIL, &string, error))
    return FALSE;
  g_free (*out);
  if (string.nil)
    *out = g_strdup (fallback);
  else
    {
      g_autofree char *text = tern_imap_string_dup_utf8 (&string);

      *out = g_ascii_strdown (text, -1);
    }
  tern_imap_string_clear (&string);
  return TRUE;
}

/* Another item before the closing parenthesis? */
static gboolean
has_more (TernImapTokenizer *t)
{
  int c;

  tern_imap_tokenizer_skip_sp (t);
  c = tern_imap_tokenizer_peek (t);
  return c != ')' && c != -1;
}

/* body-fld-param: NIL or "(" string SP string … ")"; also "()". */
static gboolean
parse_params (TernImapTokenizer  *t,
              GPtrArray          *params,
              GError            **error)
{
  gboolean more;

  if (tern_imap_tokenizer_skip_word (t, "NIL"))
    return TRUE;
  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  for (;;)
    {
      TernImapParam *param;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        return TRUE;
      param = tern_imap_param_new ();
      g_ptr_array_add (params, param);
      if (!tern_imap_tokenizer_dup_string (t, TERN_IMAP_STRING_QUOTED, &param->name, error) ||
          !tern_imap_tokenizer_expect_sp (t, error) ||
          !read_nstring (t, &param->value, error))
        return FALSE;
    }
}

/* body-fld-dsp: NIL or "(" string SP body-fld-param ")"; a bare string
 * too, which some servers send. */
static gboolean
parse_disposition (TernImapTokenizer  *t,
                   TernImapBodyPart   *part,
                   GError            **error)
{
  if (tern_imap_tokenizer_peek (t) != '(')
    return read_token (t, NULL, &part->disposition, error);

  if (!tern_imap_tokenizer_open_list (t, error) ||
      !read_token (t, NULL, &part->disposition, error))
    return FALSE;
  if (has_more (t) && !parse_params (t, part->disposition_params, error))
    return FALSE;
  return tern_imap_tokenizer_close_list (t, error);
}

/* body-fld-lang: nstring or "(" string *(SP string) ")". */
static gboolean
parse_language (TernImapTokenizer  *t,
                TernImapBodyPart   *part,
                GError            **error)
{
  g_autoptr(GPtrArray) languages = g_ptr_array_new_with_free_func (g_free);
  gboolean more;

  if (tern_imap_tokenizer_peek (t) != '(')
    {
      char *language = NULL;

      if (!tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_NIL, &language, error))
        return FALSE;
      if (language == NULL)
        return TRUE;
      g_ptr_array_add (languages, language);
    }
  else
    {
      if (!tern_imap_tokenizer_open_list (t, error))
        return FALSE;
      for (;;)
        {
          char *language = NULL;

          if (!tern_imap_tokenizer_list_next (t, &more, error))
            return FALSE;
          if (!more)
            break;
          if (!tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_QUOTED, &language, error))
            return FALSE;
          g_ptr_array_add (languages, language);
        }
    }
  g_ptr_array_add (languages, NULL);
  g_strfreev (part->language);
  part->language = (char **) g_ptr_array_free (g_steal_pointer (&languages), FALSE);
  return TRUE;
}

/* What follows md5 (one part) or the parameters (multipart). */
static gboolean
parse_extension_tail (TernImapTokenizer  *t,
                      TernImapBodyPart   *part,
                      GError            **error)
{
  if (!has_more (t))
    return TRUE;
  if (!parse_disposition (t, part, error))
    return FALSE;
  if (!has_more (t))
    return TRUE;
  if (!parse_language (t, part, error))
    return FALSE;
  if (!has_more (t))
    return TRUE;
  if (!tern_imap_tokenizer_dup_string (t, TERN_IMAP_STRING_NIL, &part->location, error))
    return FALSE;
  while (has_more (t))
    if (!tern_imap_tokenizer_skip_value (t, error))
      return FALSE;
  return TRUE;
}

static char *
make_child_section (const char *number,
               const char *prefix,
               guint       index)
{
  const char *base = number != NULL ? number : prefix;

  if (base == NULL)
    return g_strdup_printf ("%u", index);
  return g_strdup_printf ("%s.%u", base, index);
}

/*
 * @number: the part's own number, or NULL at the top of a message
 * @prefix: at the top of an attached message, the number of the
 *   message/rfc822 part; NULL at the top of the fetched message
 *
 * Recursion is bounded: every level opens a list, and the tokenizer refuses
 * lists nested deeper than max_depth.
 */
static gboolean
parse_body_part (TernImapTokenizer  *t,
                 const char         *number,
                 const char         *prefix,
                 TernImapBodyPart  **out,
                 GError            **error)
{
  g_autoptr(TernImapBodyPart) part = tern_imap_body_part_new ();
  gboolean is_message;

  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;

  tern_imap_tokenizer_skip_sp (t);
  if (tern_imap_tokenizer_peek (t) == '(')
    {
      part->type = g_strdup ("multipart");
      part->section = g_strdup (number);
      for (;;)
        {
          g_autofree char *section = NULL;
          TernImapBodyPart *child = NULL;

          tern_imap_tokenizer_skip_sp (t);
          if (tern_imap_tokenizer_peek (t) != '(')
            break;
          section = make_child_section (number, prefix, part->children->len + 1);
          if (!parse_body_part (t, section, NULL, &child, error))
            return FALSE;
          g_ptr_array_add (part->children, child);
        }
      if (!read_token (t, "mixed", &part->subtype, error))
        return FALSE;
      if (has_more (t))
        {
          part->extended = TRUE;
          if (!parse_params (t, part->params, error) ||
              !parse_extension_tail (t, part, error))
            return FALSE;
        }
      if (!tern_imap_tokenizer_close_list (t, error))
        return FALSE;
      *out = g_steal_pointer (&part);
      return TRUE;
    }

  if (number != NULL)
    part->section = g_strdup (number);
  else
    part->section = make_child_section (NULL, prefix, 1);

  if (!read_token (t, "application", &part->type, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_token (t, "octet-stream", &part->subtype, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !parse_params (t, part->params, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &part->id, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_nstring (t, &part->description, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_token (t, NULL, &part->encoding, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !tern_imap_tokenizer_read_uint32 (t, FALSE, &part->size, error))
    return FALSE;

  is_message = strcmp (part->type, "message") == 0 &&
               (strcmp (part->subtype, "rfc822") == 0 || strcmp (part->subtype, "global") == 0);
  if (is_message && has_more (t) && tern_imap_tokenizer_peek (t) == '(')
    {
      if (!tern_imap_parse_envelope (t, &part->envelope, error) ||
          !tern_imap_tokenizer_expect_sp (t, error) ||
          !parse_body_part (t, NULL, part->section, &part->body, error) ||
          !tern_imap_tokenizer_expect_sp (t, error) ||
          !tern_imap_tokenizer_read_uint64 (t, &part->lines, error))
        return FALSE;
    }
  else if (strcmp (part->type, "text") == 0 && has_more (t) &&
           g_ascii_isdigit (tern_imap_tokenizer_peek (t)))
    {
      if (!tern_imap_tokenizer_read_uint64 (t, &part->lines, error))
        return FALSE;
    }

  if (has_more (t))
    {
      part->extended = TRUE;
      if (!read_nstring (t, &part->md5, error) ||
          !parse_extension_tail (t, part, error))
        return FALSE;
    }
  if (!tern_imap_tokenizer_close_list (t, error))
    return FALSE;
  *out = g_steal_pointer (&part);
  return TRUE;
}

gboolean
tern_imap_parse_body (TernImapTokenizer  *t,
                      TernImapBodyPart  **part,
                      GError            **error)
{
  return parse_body_part (t, NULL, NULL, part, error);
}

/* FETCH ------------------------------------------------------------------- */


/* X-GM-LABELS: astrings and system-flag-like atoms ("\\Inbox"). */
static gboolean
parse_label_list (TernImapTokenizer   *t,
                  char              ***out,
                  GError             **error)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  gboolean more;

  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  for (;;)
    {
      char *label = NULL;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        break;
      if (tern_imap_tokenizer_peek (t) == '\\')
        label = tern_imap_tokenizer_dup_flag (t, error);
      else if (!tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_ATOM, &label, error))
        label = NULL;
      if (label == NULL)
        return FALSE;
      g_ptr_array_add (labels, label);
    }
  g_ptr_array_add (labels, NULL);
  g_strfreev (*out);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&labels), FALSE);
  return TRUE;
}

/* "(" objectid ")", or NIL when @allow_nil. */
static gboolean
parse_object_id (TernImapTokenizer  *t,
                 gboolean            allow_nil,
                 char              **out,
                 GError            **error)
{
  if (allow_nil && tern_imap_tokenizer_skip_word (t, "NIL"))
    {
      g_clear_pointer (out, g_free);
      return TRUE;
    }
  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  g_free (*out);
  *out = tern_imap_tokenizer_dup_atom (t, TERN_IMAP_ATOM, error);
  if (*out == NULL)
    return FALSE;
  return tern_imap_tokenizer_close_list (t, error);
}

/* BODY[section]<origin>, BINARY[…]<…> and BINARY.SIZE[…]. */
static gboolean
parse_section_item (TernImapTokenizer    *t,
                    TernImapSectionKind   kind,
                    TernImapFetch        *fetch,
                    GError              **error)
{
  TernImapFetchSection *item = tern_imap_fetch_section_new ();
  TernImapString string;

  item->kind = kind;
  g_ptr_array_add (fetch->sections, item);

  if (kind != TERN_IMAP_SECTION_RFC822 && kind != TERN_IMAP_SECTION_RFC822_HEADER &&
      kind != TERN_IMAP_SECTION_RFC822_TEXT)
    {
      if (!tern_imap_tokenizer_read_bracketed (t, &item->section, error))
        return FALSE;
      if (kind != TERN_IMAP_SECTION_BINARY_SIZE && tern_imap_tokenizer_skip_char (t, '<'))
        {
          item->has_origin = TRUE;
          if (!tern_imap_tokenizer_read_uint32 (t, FALSE, &item->origin, error) ||
              !tern_imap_tokenizer_expect_char (t, '>', error))
            return FALSE;
        }
    }
  if (!tern_imap_tokenizer_expect_sp (t, error))
    return FALSE;

  if (kind == TERN_IMAP_SECTION_BINARY_SIZE)
    return tern_imap_tokenizer_read_uint64 (t, &item->size, error);

  if (!tern_imap_tokenizer_read_string (t, TERN_IMAP_STRING_NIL |
                                        (kind == TERN_IMAP_SECTION_BINARY ? TERN_IMAP_STRING_LITERAL8 : 0),
                                        &string, error))
    return FALSE;
  item->data = tern_imap_string_to_bytes (&string);
  tern_imap_string_clear (&string);
  return TRUE;
}

static gboolean
parse_fetch_item (TernImapTokenizer  *t,
                  TernImapFetch      *fetch,
                  GError            **error)
{
  g_autofree char *name = NULL;
  const char *start;
  gsize len;

  if (!tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM_NAME, &start, &len, error))
    return FALSE;
  name = g_ascii_strup (start, (gssize) len);

  if (strcmp (name, "BODY") == 0 && tern_imap_tokenizer_peek (t) == '[')
    return parse_section_item (t, TERN_IMAP_SECTION_BODY, fetch, error);
  if (strcmp (name, "BINARY") == 0)
    return parse_section_item (t, TERN_IMAP_SECTION_BINARY, fetch, error);
  if (strcmp (name, "BINARY.SIZE") == 0)
    return parse_section_item (t, TERN_IMAP_SECTION_BINARY_SIZE, fetch, error);
  if (strcmp (name, "RFC822") == 0)
    return parse_section_item (t, TERN_IMAP_SECTION_RFC822, fetch, error);
  if (strcmp (name, "RFC822.HEADER") == 0)
    return parse_section_item (t, TERN_IMAP_SECTION_RFC822_HEADER, fetch, error);
  if (strcmp (name, "RFC822.TEXT") == 0)
    return parse_section_item (t, TERN_IMAP_SECTION_RFC822_TEXT, fetch, error);

  if (tern_imap_tokenizer_peek (t) == '[' || tern_imap_tokenizer_peek (t) == '<')
    {
      /* an unknown item with a section, like ANNOTATION-ish extensions */
      g_autofree char *ignored = NULL;

      if (tern_imap_tokenizer_peek (t) == '[' && !tern_imap_tokenizer_read_bracketed (t, &ignored, error))
        return FALSE;
      if (tern_imap_tokenizer_skip_char (t, '<'))
        {
          guint32 origin;

          if (!tern_imap_tokenizer_read_uint32 (t, FALSE, &origin, error) ||
              !tern_imap_tokenizer_expect_char (t, '>', error))
            return FALSE;
        }
      return tern_imap_tokenizer_expect_sp (t, error) && tern_imap_tokenizer_skip_value (t, error);
    }

  if (!tern_imap_tokenizer_expect_sp (t, error))
    return FALSE;

  if (strcmp (name, "UID") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_UID;
      return tern_imap_tokenizer_read_uint32 (t, TRUE, &fetch->uid, error);
    }
  if (strcmp (name, "FLAGS") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_FLAGS;
      return tern_imap_tokenizer_read_flag_list (t, &fetch->flags, error);
    }
  if (strcmp (name, "INTERNALDATE") == 0)
    {
      TernImapString string;
      gboolean ok;

      if (!tern_imap_tokenizer_read_string (t, TERN_IMAP_STRING_QUOTED, &string, error))
        return FALSE;
      ok = tern_imap_parse_internaldate ((const char *) string.data, string.len, &fetch->internaldate);
      tern_imap_string_clear (&string);
      if (!ok)
        return tern_imap_tokenizer_fail (t, error, "an INTERNALDATE that is no date");
      fetch->has |= TERN_IMAP_FETCH_INTERNALDATE;
      return TRUE;
    }
  if (strcmp (name, "RFC822.SIZE") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_RFC822_SIZE;
      return tern_imap_tokenizer_read_uint64 (t, &fetch->rfc822_size, error);
    }
  if (strcmp (name, "MODSEQ") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_MODSEQ;
      return tern_imap_tokenizer_open_list (t, error) &&
             tern_imap_tokenizer_read_uint64 (t, &fetch->modseq, error) &&
             tern_imap_tokenizer_close_list (t, error);
    }
  if (strcmp (name, "ENVELOPE") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_ENVELOPE;
      g_clear_pointer (&fetch->envelope, tern_imap_envelope_free);
      return tern_imap_parse_envelope (t, &fetch->envelope, error);
    }
  if (strcmp (name, "BODYSTRUCTURE") == 0 || strcmp (name, "BODY") == 0)
    {
      fetch->has &= ~(TERN_IMAP_FETCH_BODYSTRUCTURE | TERN_IMAP_FETCH_BODY);
      fetch->has |= name[4] == 'S' ? TERN_IMAP_FETCH_BODYSTRUCTURE : TERN_IMAP_FETCH_BODY;
      g_clear_pointer (&fetch->body, tern_imap_body_part_free);
      return tern_imap_parse_body (t, &fetch->body, error);
    }
  if (strcmp (name, "X-GM-MSGID") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_GM_MSGID;
      return tern_imap_tokenizer_read_number (t, G_MAXUINT64, &fetch->gm_msgid, error);
    }
  if (strcmp (name, "X-GM-THRID") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_GM_THRID;
      return tern_imap_tokenizer_read_number (t, G_MAXUINT64, &fetch->gm_thrid, error);
    }
  if (strcmp (name, "X-GM-LABELS") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_GM_LABELS;
      return parse_label_list (t, &fetch->gm_labels, error);
    }
  if (strcmp (name, "EMAILID") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_EMAILID;
      return parse_object_id (t, FALSE, &fetch->email_id, error);
    }
  if (strcmp (name, "THREADID") == 0)
    {
      fetch->has |= TERN_IMAP_FETCH_THREADID;
      return parse_object_id (t, TRUE, &fetch->thread_id, error);
    }

  return tern_imap_tokenizer_skip_value (t, error);
}

/* msg-att: "(" item *(SP item) ")". A repeated item replaces the earlier. */
gboolean
tern_imap_parse_fetch_items (TernImapTokenizer  *t,
                             TernImapFetch      *fetch,
                             GError            **error)
{
  gboolean more;

  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  for (;;)
    {
      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        return TRUE;
      if (!parse_fetch_item (t, fetch, error))
        return FALSE;
    }
}
