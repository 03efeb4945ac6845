/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-imap-utf7"

#include "tern-imap-error.h"
#include "tern-imap-utf7.h"

static const struct {
  const char *utf8;
  const char *utf7;
} pairs[] = {
  { "", "" },
  { "INBOX", "INBOX" },
  { "&", "&-" },
  { "a&b", "a&-b" },
  { "&&", "&-&-" },
  { "Entwürfe", "Entw&APw-rfe" },
  { "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },   /* RFC 3501 §5.1.3 */
  { "😀", "&2D3eAA-" },
  { "a😀b𝄞", "a&2D3eAA-b&2DTdHg-" },
  { "Ä&Ö", "&AMQ-&-&ANY-" },
  { "Корзина", "&BBoEPgRABDcEOAQ9BDA-" },
  { "Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-" },
  { "送信済み", "&kAFP4W4IMH8-" },
  { "[Gmail]/Alle Nachrichten", "[Gmail]/Alle Nachrichten" },
  { "€uro", "&IKw-uro" },
  { " ~", " ~" },
};

static void
test_pairs (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *encoded = tern_imap_utf7_encode (pairs[i].utf8, &error);
      g_autofree char *decoded = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (encoded, ==, pairs[i].utf7);
      decoded = tern_imap_utf7_decode (pairs[i].utf7, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (decoded, ==, pairs[i].utf8);
    }
}

static void
test_invalid (void)
{
  static const char * const invalid[] = {
    "&",              /* unterminated shift */
    "&Jjo",           /* unterminated shift */
    "abc&AMQ",        /* unterminated at the end */
    "&Jjo!-",         /* not modified base64 */
    "&Jj/o-",         /* "/" is "," in modified base64 */
    "&AGE-",          /* "a" must stand for itself */
    "&ACY-",          /* "&" must be "&-" */
    "&AAA-",          /* U+0000 */
    "&2D0-",          /* a lone high surrogate (partial) */
    "&2D3YPQ-",       /* a high surrogate followed by a high surrogate */
    "&3gA-",          /* a lone low surrogate */
    "&AMR-",          /* non-zero padding bits */
    "&AM-",           /* a partial UTF-16 unit */
    "&AMQA-",         /* 24 bits: a partial unit */
    "a\x80",          /* 8-bit */
    "caf\xc3\xa9",    /* raw UTF-8 is not modified UTF-7 */
    "a\tb",           /* a control character */
    "a\x7f",
    "&AMQ-&AMQ-",     /* two shifts in a row: "&AMQAxA-" is the one encoding */
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *decoded = tern_imap_utf7_decode (invalid[i], &error);

      if (decoded != NULL)
        g_error ("“%s” decoded to “%s”", invalid[i], decoded);
      g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
    }
}

static void
test_encode_invalid (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = tern_imap_utf7_encode ("bad \xff utf-8", &error);

  g_assert_null (encoded);
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
}

static gunichar
random_char (void)
{
  switch (g_test_rand_int_range (0, 5))
    {
    case 0:
      return g_test_rand_int_range (0x20, 0x7f);
    case 1:
      return '&';
    case 2:
      return g_test_rand_int_range (0xa0, 0xd800);
    case 3:
      return g_test_rand_int_range (0xe000, 0xfffe);
    default:
      return g_test_rand_int_range (0x10000, 0x110000);
    }
}

/* Encoding then decoding gives back any string, and the encoding is ASCII
 * that decodes strictly. */
static void
test_round_trip (void)
{
  for (guint i = 0; i < 5000; i++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *encoded = NULL;
      g_autofree char *decoded = NULL;
      guint n = g_test_rand_int_range (0, 20);

      for (guint j = 0; j < n; j++)
        g_string_append_unichar (text, random_char ());

      encoded = tern_imap_utf7_encode (text->str, &error);
      g_assert_no_error (error);
      for (const char *p = encoded; *p != '\0'; p++)
        g_assert_true (*p >= 0x20 && *p <= 0x7e);
      decoded = tern_imap_utf7_decode (encoded, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (decoded, ==, text->str);
    }
}

/* Whatever decodes encodes back to the same bytes: one encoding per name. */
static void
test_canonical (void)
{
  static const char alphabet[] = "&-AMQxAa,+/Z9 ~";

  for (guint i = 0; i < 20000; i++)
    {
      char text[12];
      guint n = g_test_rand_int_range (0, sizeof text);
      g_autofree char *decoded = NULL;
      g_autofree char *encoded = NULL;

      for (guint j = 0; j < n; j++)
        text[j] = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];
      text[n] = '\0';
      decoded = tern_imap_utf7_decode (text, NULL);
      if (decoded == NULL)
        continue;
      encoded = tern_imap_utf7_encode (decoded, NULL);
      g_assert_cmpstr (encoded, ==, text);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/imap/utf7/pairs", test_pairs);
  g_test_add_func ("/tern/imap/utf7/invalid", test_invalid);
  g_test_add_func ("/tern/imap/utf7/encode-invalid", test_encode_invalid);
  g_test_add_func ("/tern/imap/utf7/round-trip", test_round_trip);
  g_test_add_func ("/tern/imap/utf7/canonical", test_canonical);

  return g_test_run ();
}
