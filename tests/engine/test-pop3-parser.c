/* test-pop3-parser.c: the POP3 reply parser, fed whole lines, raw bytes in
 * every chunking, and abuse.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-pop3-parser"

#include <string.h>

#include "tern-engine.h"
#include "tern-pop3-parser.h"

/* Feeds TEXT in chunks of CHUNK bytes (0: all at once). Returns the final
 * result; the parser is left in *OUT. */
static TernPop3ParseResult
feed_all (TernPop3ReplyKind   kind,
          const char         *text,
          gsize               length,
          gsize               chunk,
          TernPop3Parser    **out,
          GError            **error)
{
  TernPop3Parser *parser = tern_pop3_parser_new (kind);
  TernPop3ParseResult result = TERN_POP3_PARSE_MORE;
  gsize offset = 0;

  if (chunk == 0)
    chunk = length;
  while (offset < length && result == TERN_POP3_PARSE_MORE)
    {
      gsize n = MIN (chunk, length - offset);
      gsize consumed = 0;

      result = tern_pop3_parser_feed (parser, (const guint8 *) text + offset, n, &consumed, error);
      g_assert_cmpuint (consumed, <=, n);
      if (result == TERN_POP3_PARSE_MORE)
        g_assert_cmpuint (consumed, ==, n);
      offset += consumed;
    }
  *out = parser;
  return result;
}

static void
test_status (void)
{
  TernPop3Status status;
  g_autoptr(GError) error = NULL;

  g_assert_true (tern_pop3_parse_status ("+OK", 3, &status, &error));
  g_assert_true (status.ok);
  g_assert_cmpstr (status.text, ==, "");
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_NONE);
  tern_pop3_status_clear (&status);

  g_assert_true (tern_pop3_parse_status ("+OK Dovecot ready. <1.2@host>", 29, &status, &error));
  g_assert_cmpstr (status.text, ==, "Dovecot ready. <1.2@host>");
  tern_pop3_status_clear (&status);

  g_assert_true (tern_pop3_parse_status ("-ERR [AUTH] Authentication failed.", 34, &status, &error));
  g_assert_false (status.ok);
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_AUTH);
  g_assert_cmpstr (status.code_text, ==, "AUTH");
  g_assert_cmpstr (status.text, ==, "Authentication failed.");
  tern_pop3_status_clear (&status);

  g_assert_true (tern_pop3_parse_status ("-ERR [IN-USE] locked", 20, &status, &error));
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_IN_USE);
  tern_pop3_status_clear (&status);

  g_assert_true (tern_pop3_parse_status ("-ERR [SYS/TEMP] try later", 25, &status, &error));
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_SYS_TEMP);
  tern_pop3_status_clear (&status);

  g_assert_true (tern_pop3_parse_status ("-ERR [SYS/PERM] no", 18, &status, &error));
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_SYS_PERM);
  tern_pop3_status_clear (&status);

  g_assert_true (tern_pop3_parse_status ("-ERR [LOGIN-DELAY] wait", 23, &status, &error));
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_LOGIN_DELAY);
  tern_pop3_status_clear (&status);

  g_assert_true (tern_pop3_parse_status ("+OK [UTF8] fine", 15, &status, &error));
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_OTHER);
  tern_pop3_status_clear (&status);

  /* An unclosed bracket is just text. */
  g_assert_true (tern_pop3_parse_status ("-ERR [AUTH no", 13, &status, &error));
  g_assert_cmpint (status.code, ==, TERN_POP3_CODE_NONE);
  g_assert_cmpstr (status.text, ==, "[AUTH no");
  tern_pop3_status_clear (&status);

  /* Markup is data, kept as sent; invalid UTF-8 is made valid. */
  g_assert_true (tern_pop3_parse_status ("+OK <b>\xff</b>", 12, &status, &error));
  g_assert_true (g_utf8_validate (status.text, -1, NULL));
  tern_pop3_status_clear (&status);
  g_assert_no_error (error);

  {
    const char *bad[] = { "", "OK", "+ok", "+OKAY", "-ER", "-ERROR", "* OK", "+", "garbage" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_clear_error (&error);
        g_assert_false (tern_pop3_parse_status (bad[i], strlen (bad[i]), &status, &error));
        g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_PROTOCOL);
        tern_pop3_status_clear (&status);
      }
  }
  g_clear_error (&error);
  g_assert_false (tern_pop3_parse_status ("+OK a\0b", 7, &status, &error));
  g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_PROTOCOL);
  tern_pop3_status_clear (&status);
}

static void
test_stat (void)
{
  guint count = 0;
  guint64 size = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (tern_pop3_parse_stat ("2 320", &count, &size, &error));
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpuint (size, ==, 320);
  g_assert_true (tern_pop3_parse_stat ("0 0 extra", &count, &size, &error));
  g_assert_no_error (error);
  g_assert_false (tern_pop3_parse_stat ("x 3", &count, &size, &error));
  g_clear_error (&error);
  g_assert_false (tern_pop3_parse_stat ("4294967296 3", &count, &size, &error));
  g_clear_error (&error);
  g_assert_false (tern_pop3_parse_stat ("3", &count, &size, &error));
  g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_PROTOCOL);
}

static void
test_capa (void)
{
  static const char reply[] = "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nSTLS\r\nSASL PLAIN LOGIN\r\nUSER\r\n.\r\n";
  g_autoptr(TernPop3Parser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) caps = NULL;
  const char *args = NULL;

  g_assert_cmpint (feed_all (TERN_POP3_REPLY_CAPA, reply, strlen (reply), 0, &parser, &error), ==, TERN_POP3_PARSE_DONE);
  g_assert_no_error (error);
  caps = tern_pop3_parser_steal_capabilities (parser);
  g_assert_cmpuint (g_strv_length (caps), ==, 8);
  g_assert_true (tern_pop3_capabilities_has ((const char * const *) caps, "pipelining", NULL));
  g_assert_true (tern_pop3_capabilities_has ((const char * const *) caps, "SASL", &args));
  g_assert_cmpstr (args, ==, "PLAIN LOGIN");
  g_assert_true (tern_pop3_capabilities_has_sasl ((const char * const *) caps, "plain"));
  g_assert_false (tern_pop3_capabilities_has_sasl ((const char * const *) caps, "CRAM-MD5"));
  g_assert_false (tern_pop3_capabilities_has ((const char * const *) caps, "STL", NULL));
  g_assert_false (tern_pop3_capabilities_has (NULL, "STLS", NULL));
}

static void
test_err_ends_multiline (void)
{
  g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (TERN_POP3_REPLY_CAPA);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (tern_pop3_parser_feed_line (parser, "-ERR no CAPA", 12, &error), ==, TERN_POP3_PARSE_DONE);
  g_assert_false (tern_pop3_parser_get_status (parser)->ok);
  g_assert_null (tern_pop3_parser_steal_capabilities (parser));
}

static void
test_listings (void)
{
  static const char uidl[] = "+OK\r\n1 000000017a5b\r\n2 abc-._~!\r\n10 ../../x\r\n.\r\n";
  static const char list[] = "+OK 3 messages\r\n1 120\r\n2 4096 extra info\r\n3 0\r\n.\r\n";
  g_autoptr(GError) error = NULL;
  TernPop3Parser *parser = NULL;
  g_autoptr(GArray) entries = NULL;

  g_assert_cmpint (feed_all (TERN_POP3_REPLY_UIDL, uidl, strlen (uidl), 0, &parser, &error), ==, TERN_POP3_PARSE_DONE);
  g_assert_no_error (error);
  entries = tern_pop3_parser_steal_entries (parser);
  tern_pop3_parser_free (parser);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpuint (g_array_index (entries, TernPop3Entry, 0).number, ==, 1);
  g_assert_cmpstr (g_array_index (entries, TernPop3Entry, 0).uid, ==, "000000017a5b");
  g_assert_cmpuint (g_array_index (entries, TernPop3Entry, 2).number, ==, 10);
  /* A UID that looks like a path is just data. */
  g_assert_cmpstr (g_array_index (entries, TernPop3Entry, 2).uid, ==, "../../x");
  g_clear_pointer (&entries, g_array_unref);

  g_assert_cmpint (feed_all (TERN_POP3_REPLY_LIST, list, strlen (list), 0, &parser, &error), ==, TERN_POP3_PARSE_DONE);
  g_assert_no_error (error);
  entries = tern_pop3_parser_steal_entries (parser);
  tern_pop3_parser_free (parser);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpuint (g_array_index (entries, TernPop3Entry, 1).size, ==, 4096);
  g_assert_null (g_array_index (entries, TernPop3Entry, 1).uid);
}

static void
test_dot_unstuffing (void)
{
  /* On the wire: a lone dot in the body is "..", a line starting with ".."
   * is "...". */
  static const char wire[] = "+OK 42 octets\r\nSubject: x\r\n\r\n..\r\n...dots\r\n.x\r\nend\r\n.\r\n";
  static const char expected[] = "Subject: x\r\n\r\n.\r\n..dots\r\nx\r\nend\r\n";
  g_autoptr(GError) error = NULL;

  for (gsize chunk = 0; chunk <= 7; chunk++)
    {
      g_autoptr(TernPop3Parser) parser = NULL;
      g_autoptr(GBytes) message = NULL;

      g_assert_cmpint (feed_all (TERN_POP3_REPLY_MESSAGE, wire, strlen (wire), chunk, &parser, &error), ==,
                       TERN_POP3_PARSE_DONE);
      g_assert_no_error (error);
      message = tern_pop3_parser_steal_message (parser);
      g_assert_cmpmem (g_bytes_get_data (message, NULL), g_bytes_get_size (message), expected, strlen (expected));
    }
}

static void
test_byte_at_a_time (void)
{
  static const char wire[] = "+OK\r\n1 a\r\n2 b\r\n.\r\n+OK next";
  g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (TERN_POP3_REPLY_UIDL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) entries = NULL;
  gsize i;

  for (i = 0; i < strlen (wire); i++)
    {
      gsize consumed = 0;
      TernPop3ParseResult result = tern_pop3_parser_feed (parser, (const guint8 *) wire + i, 1, &consumed, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (consumed, ==, 1);
      if (result == TERN_POP3_PARSE_DONE)
        break;
      g_assert_cmpint (result, ==, TERN_POP3_PARSE_MORE);
    }
  /* It stops at the end of its reply. */
  g_assert_cmpuint (i + 1, ==, strlen ("+OK\r\n1 a\r\n2 b\r\n.\r\n"));
  entries = tern_pop3_parser_steal_entries (parser);
  g_assert_cmpuint (entries->len, ==, 2);

  /* Bare LF ends a line too, and the rest of a chunk is left over. */
  {
    static const char two[] = "+OK\n.\n+OK\n";
    g_autoptr(TernPop3Parser) p2 = tern_pop3_parser_new (TERN_POP3_REPLY_MESSAGE);
    gsize consumed = 0;

    g_assert_cmpint (tern_pop3_parser_feed (p2, (const guint8 *) two, strlen (two), &consumed, &error), ==,
                     TERN_POP3_PARSE_DONE);
    g_assert_cmpuint (consumed, ==, 6);
  }
}

static void
expect_error (TernPop3ReplyKind  kind,
              const char        *text,
              gsize              length,
              gint               code)
{
  for (gsize chunk = 0; chunk <= 3; chunk++)
    {
      g_autoptr(TernPop3Parser) parser = NULL;
      g_autoptr(GError) error = NULL;
      TernPop3ParseResult result = feed_all (kind, text, length, chunk == 3 ? 4096 : chunk, &parser, &error);

      if (result == TERN_POP3_PARSE_MORE)
        {
          g_assert_false (tern_pop3_parser_end (parser, &error));
          g_assert_error (error, TERN_POP3_ERROR, code);
        }
      else
        {
          g_assert_cmpint (result, ==, TERN_POP3_PARSE_ERROR);
          g_assert_error (error, TERN_POP3_ERROR, code);
        }
    }
}

static void
test_abuse (void)
{
  GString *huge;
  static const char nul_uid[] = "+OK\r\n1 a\0b\r\n.\r\n";

  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1 a\r\n2 a\r\n.\r\n", 19, TERN_POP3_ERROR_PROTOCOL);  /* duplicate uid */
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1 a\r\n1 b\r\n.\r\n", 19, TERN_POP3_ERROR_PROTOCOL);  /* duplicate number */
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1 a\r\n1 a\r\n.\r\n", 19, TERN_POP3_ERROR_PROTOCOL);  /* both */
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1 \r\n.\r\n", 12, TERN_POP3_ERROR_PROTOCOL);          /* empty uid */
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1\r\n.\r\n", 11, TERN_POP3_ERROR_PROTOCOL);           /* no uid */
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1 a b\r\n.\r\n", 15, TERN_POP3_ERROR_PROTOCOL);       /* space */
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1 caf\xc3\xa9\r\n.\r\n", 17, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_UIDL, nul_uid, sizeof nul_uid - 1, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n0 a\r\n.\r\n", 13, TERN_POP3_ERROR_PROTOCOL);         /* number 0 */
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n-1 a\r\n.\r\n", 14, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n2147483648 a\r\n.\r\n", 22, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n99999999999999999999999 a\r\n.\r\n", 35, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_LIST, "+OK\r\n1 -5\r\n.\r\n", 14, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_LIST, "+OK\r\n1 99999999999999999999999\r\n.\r\n", 35, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_LIST, "+OK\r\nx 5\r\n.\r\n", 13, TERN_POP3_ERROR_PROTOCOL);
  expect_error (TERN_POP3_REPLY_STATUS, "garbage\r\n", 9, TERN_POP3_ERROR_PROTOCOL);

  /* A 71-character UID. */
  {
    g_autofree char *uid = g_strnfill (71, 'u');
    g_autofree char *text = g_strdup_printf ("+OK\r\n1 %s\r\n.\r\n", uid);

    expect_error (TERN_POP3_REPLY_UIDL, text, strlen (text), TERN_POP3_ERROR_PROTOCOL);
  }
  /* 70 is still fine. */
  {
    g_autofree char *uid = g_strnfill (70, 'u');
    g_autofree char *text = g_strdup_printf ("+OK\r\n1 %s\r\n.\r\n", uid);
    g_autoptr(TernPop3Parser) parser = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint (feed_all (TERN_POP3_REPLY_UIDL, text, strlen (text), 0, &parser, &error), ==,
                     TERN_POP3_PARSE_DONE);
    g_assert_no_error (error);
  }

  /* Without the final dot, then the connection ends. */
  expect_error (TERN_POP3_REPLY_MESSAGE, "+OK\r\nSubject: x\r\n\r\nbody\r\n", 25, TERN_POP3_ERROR_TRUNCATED);
  expect_error (TERN_POP3_REPLY_UIDL, "+OK\r\n1 a\r\n", 10, TERN_POP3_ERROR_TRUNCATED);
  expect_error (TERN_POP3_REPLY_CAPA, "+OK\r\nSTLS\r\n", 11, TERN_POP3_ERROR_TRUNCATED);
  expect_error (TERN_POP3_REPLY_STATUS, "+OK no end", 10, TERN_POP3_ERROR_TRUNCATED);
  expect_error (TERN_POP3_REPLY_STATUS, "", 0, TERN_POP3_ERROR_TRUNCATED);

  /* A 1 MiB UIDL line. */
  huge = g_string_new ("+OK\r\n1 ");
  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_string_append (huge, "\r\n.\r\n");
  expect_error (TERN_POP3_REPLY_UIDL, huge->str, huge->len, TERN_POP3_ERROR_TOO_LARGE);
  {
    g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (TERN_POP3_REPLY_UIDL);
    g_autoptr(GError) error = NULL;

    tern_pop3_parser_feed_line (parser, "+OK", 3, &error);
    g_assert_cmpint (tern_pop3_parser_feed_line (parser, huge->str + 5, huge->len - 10, &error), ==,
                     TERN_POP3_PARSE_ERROR);
    g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE);
  }
  /* A 1 MiB status line. */
  g_string_overwrite (huge, 0, "-ERR ");
  expect_error (TERN_POP3_REPLY_STATUS, huge->str, huge->len, TERN_POP3_ERROR_TOO_LARGE);
  g_string_free (huge, TRUE);
}

static void
test_limits (void)
{
  static const char message[] = "+OK\r\n0123456789\r\n0123456789\r\n.\r\n";
  static const char listing[] = "+OK\r\n1 a\r\n2 b\r\n3 c\r\n.\r\n";
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (TERN_POP3_REPLY_MESSAGE);
    gsize consumed;

    tern_pop3_parser_set_max_size (parser, 20);
    g_assert_cmpint (tern_pop3_parser_feed (parser, (const guint8 *) message, strlen (message), &consumed, &error), ==,
                     TERN_POP3_PARSE_ERROR);
    g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
  {
    g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (TERN_POP3_REPLY_MESSAGE);
    gsize consumed;

    tern_pop3_parser_set_max_size (parser, 24);
    g_assert_cmpint (tern_pop3_parser_feed (parser, (const guint8 *) message, strlen (message), &consumed, &error), ==,
                     TERN_POP3_PARSE_DONE);
    g_assert_no_error (error);
  }
  {
    g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (TERN_POP3_REPLY_UIDL);
    gsize consumed;

    tern_pop3_parser_set_max_entries (parser, 2);
    g_assert_cmpint (tern_pop3_parser_feed (parser, (const guint8 *) listing, strlen (listing), &consumed, &error), ==,
                     TERN_POP3_PARSE_ERROR);
    g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TOO_LARGE);
  }
}

static void
test_uid_valid (void)
{
  g_assert_true (tern_pop3_uid_is_valid ("!", 1));
  g_assert_true (tern_pop3_uid_is_valid ("~~", 2));
  g_assert_false (tern_pop3_uid_is_valid ("", 0));
  g_assert_false (tern_pop3_uid_is_valid (" ", 1));
  g_assert_false (tern_pop3_uid_is_valid ("\x7f", 1));
  g_assert_false (tern_pop3_uid_is_valid ("a\0", 2));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/pop3/parser/status", test_status);
  g_test_add_func ("/tern/pop3/parser/stat", test_stat);
  g_test_add_func ("/tern/pop3/parser/capa", test_capa);
  g_test_add_func ("/tern/pop3/parser/err-ends-multiline", test_err_ends_multiline);
  g_test_add_func ("/tern/pop3/parser/listings", test_listings);
  g_test_add_func ("/tern/pop3/parser/dot-unstuffing", test_dot_unstuffing);
  g_test_add_func ("/tern/pop3/parser/byte-at-a-time", test_byte_at_a_time);
  g_test_add_func ("/tern/pop3/parser/abuse", test_abuse);
  g_test_add_func ("/tern/pop3/parser/limits", test_limits);
  g_test_add_func ("/tern/pop3/parser/uid-valid", test_uid_valid);

  return g_test_run ();
}
