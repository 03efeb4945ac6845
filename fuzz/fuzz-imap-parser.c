/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-imap-parser"

/* libFuzzer harness: whatever a server sends, fed in pieces of any size,
 * the IMAP parser must return responses or one clean error, the same ones
 * however the bytes are cut, without crashing, leaking or warning. The same
 * bytes also go through the standalone BODYSTRUCTURE parser, the modified
 * UTF-7 decoder and the sequence-set parser, whose round trips must hold. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern-imap-parser.h"
#include "tern-imap-sequence.h"
#include "tern-imap-utf7.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Small limits, so that inputs of a few KiB reach every limit. */
static const TernImapLimits limits = {
  .max_line_length = 2048,
  .max_literal_size = 1024,
  .max_response_size = 4096,
  .max_depth = 16,
  .max_atom_length = 64,
  .max_items = 256,
};

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static guint32
next_random (guint32 *state)
{
  *state ^= *state << 13;
  *state ^= *state >> 17;
  *state ^= *state << 5;
  return *state;
}

/* Uses what a caller of the parser would use, so that the helpers run too. */
static void
exercise (TernImapResponse *response,
          GString          *out)
{
  g_autofree char *text = tern_imap_response_to_string (response);

  g_string_append (out, text);
  g_string_append_c (out, '\n');

  if (response->fetch != NULL)
    {
      const TernImapFetch *fetch = response->fetch;

      for (guint i = 0; i < fetch->sections->len; i++)
        {
          const TernImapFetchSection *s = g_ptr_array_index (fetch->sections, i);

          if (s->data != NULL)
            g_string_append_printf (out, "%u:%08x\n", i, g_bytes_hash (s->data));
          g_assert (tern_imap_fetch_find_section (fetch, s->kind, s->section) != NULL);
        }
      if (fetch->envelope != NULL)
        {
          g_autofree char *subject = tern_imap_decode_header_text (fetch->envelope->subject);
          InternetAddressList *list = tern_imap_address_list_to_gmime (fetch->envelope->from);

          g_assert (subject == NULL || g_utf8_validate (subject, -1, NULL));
          g_object_unref (list);
        }
      if (fetch->body != NULL)
        {
          g_autofree char *filename = tern_imap_body_part_dup_filename (fetch->body);

          g_assert (filename == NULL || strchr (filename, '/') == NULL);
          (void) tern_imap_body_part_find (fetch->body, "1.2");
        }
    }
  if (response->text != NULL)
    g_assert (g_utf8_validate (response->text, -1, NULL));
  if (response->mailbox != NULL)
    g_assert (g_utf8_validate (response->mailbox->name, -1, NULL));
}

/* Parses @data fed in pieces whose sizes come from @seed (0: all at once). */
static char *
parse (const guint8 *data,
       gsize         size,
       guint32       seed,
       gboolean      utf8)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (&limits);
  g_autoptr(GError) error = NULL;
  GString *out = g_string_new (NULL);
  gsize pos = 0;

  tern_imap_parser_set_utf8_accept (parser, utf8);
  for (gboolean eof = FALSE; !eof && error == NULL;)
    {
      TernImapResponse *response;

      if (pos < size)
        {
          gsize n = seed == 0 ? size : 1 + next_random (&seed) % 17;

          n = MIN (n, size - pos);
          tern_imap_parser_feed (parser, data + pos, n);
          pos += n;
        }
      else
        {
          tern_imap_parser_feed_eof (parser);
          eof = TRUE;
        }

      while ((response = tern_imap_parser_next (parser, &error)) != NULL)
        {
          exercise (response, out);
          tern_imap_response_unref (response);
        }
    }
  if (error != NULL)
    {
      g_assert (error->domain == TERN_IMAP_ERROR);
      g_assert (strlen (error->message) < 400);
      g_string_append_printf (out, "error %d: %s\n", error->code, error->message);
    }
  else
    g_assert (!tern_imap_parser_has_pending (parser));
  return g_string_free (out, FALSE);
}

static void
check_other_parsers (const guint8 *data,
                     gsize         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(TernImapBodyPart) part = NULL;
  g_autoptr(TernImapSequence) set = NULL;
  g_autofree char *decoded = NULL;

  part = tern_imap_parse_bodystructure ((const char *) data, (gssize) size, &limits, NULL);
  if (part != NULL)
    {
      g_autofree char *filename = tern_imap_body_part_dup_filename (part);

      (void) filename;
    }

  decoded = tern_imap_utf7_decode (text, NULL);
  if (decoded != NULL)
    {
      g_autofree char *encoded = tern_imap_utf7_encode (decoded, NULL);

      if (g_strcmp0 (encoded, text) != 0)
        abort ();
    }

  set = tern_imap_sequence_parse ((const char *) data, (gssize) size, NULL);
  if (set != NULL)
    {
      g_autofree char *formatted = tern_imap_sequence_to_string (set);
      g_autoptr(TernImapSequence) again = tern_imap_sequence_parse (formatted, -1, NULL);
      g_autofree char *reformatted = NULL;

      /* "5:5" comes back as "5", but nothing else changes */
      if (again == NULL)
        abort ();
      reformatted = tern_imap_sequence_to_string (again);
      if (strcmp (formatted, reformatted) != 0 ||
          tern_imap_sequence_count (set, 77) != tern_imap_sequence_count (again, 77) ||
          strlen (formatted) > size)
        abort ();
      tern_imap_sequence_normalize (set, 1000);
      (void) tern_imap_sequence_count (set, 1000);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *whole = NULL;
  guint32 seed;
  gboolean utf8;

  if (size < 1)
    return 0;

  /* the first byte picks the mode and the cutting */
  seed = 0x9e3779b9u ^ (guint32) data[0] * 2654435761u;
  utf8 = (data[0] & 1) != 0;
  data++;
  size--;

  whole = parse (data, size, 0, utf8);
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *pieces = parse (data, size, seed + round, utf8);

      if (strcmp (whole, pieces) != 0)
        {
          g_printerr ("whole:\n%s\npieces:\n%s\n", whole, pieces);
          abort ();
        }
    }

  check_other_parsers (data, size);
  return 0;
}
