/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-imap-command"

#include <string.h>

#include "tern-imap-command.h"
#include "tern-imap-error.h"
#include "tern-imap-parser.h"

/* The bytes of all chunks, with "|" after each chunk that waits for "+"
 * when @markers. */
static char *
dump_full (TernImapCommand *cmd,
           gboolean         markers)
{
  const TernImapCommandChunk *chunks;
  GString *out = g_string_new (NULL);
  guint n;

  chunks = tern_imap_command_get_chunks (cmd, &n);
  for (guint i = 0; i < n; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (chunks[i].data, &len);

      g_string_append_len (out, data, len);
      if (chunks[i].wait_for_continuation && markers)
        g_string_append_c (out, '|');
    }
  return g_string_free (out, FALSE);
}

static char *
dump (TernImapCommand *cmd)
{
  return dump_full (cmd, TRUE);
}

static void
test_simple (void)
{
  g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "UID STORE");
  g_autoptr(TernImapSequence) set = tern_imap_sequence_parse ("1:3,7", -1, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;

  tern_imap_command_add_sequence (cmd, set);
  tern_imap_command_add_atom (cmd, "+FLAGS.SILENT");
  tern_imap_command_begin_list (cmd);
  g_assert_true (tern_imap_command_add_flag (cmd, "\\Seen", &error));
  g_assert_true (tern_imap_command_add_flag (cmd, "$Junk", &error));
  g_assert_no_error (error);
  tern_imap_command_end_list (cmd);
  text = dump (cmd);
  g_assert_cmpstr (text, ==, "A1 UID STORE 1:3,7 +FLAGS.SILENT (\\Seen $Junk)\r\n");
  description = tern_imap_command_to_string (cmd);
  g_assert_cmpstr (description, ==, "A1 UID STORE 1:3,7 +FLAGS.SILENT (\\Seen $Junk)");
  g_assert_cmpstr (tern_imap_command_get_tag (cmd), ==, "A1");
}

static void
test_fetch_raw (void)
{
  g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A7", "UID FETCH");
  g_autofree char *text = NULL;

  tern_imap_command_add_raw (cmd, "1:*");
  tern_imap_command_add_raw (cmd, "(UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)])");
  tern_imap_command_begin_list (cmd);
  tern_imap_command_add_atom (cmd, "CHANGEDSINCE");
  tern_imap_command_add_number (cmd, G_GUINT64_CONSTANT (9223372036854775807));
  tern_imap_command_end_list (cmd);
  text = dump (cmd);
  g_assert_cmpstr (text, ==,
                   "A7 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)]) "
                   "(CHANGEDSINCE 9223372036854775807)\r\n");
}

static void
test_strings (void)
{
  static const struct {
    const char          *input;
    gboolean             utf8;
    TernImapLiteralMode  mode;
    const char          *expected;
  } cases[] = {
    { "plain", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X \"plain\"\r\n" },
    { "", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X \"\"\r\n" },
    { "NIL", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X \"NIL\"\r\n" },
    { "a\"b\\c", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X \"a\\\"b\\\\c\"\r\n" },
    { "tab\there", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X \"tab\there\"\r\n" },
    { "x\r\nA2 DELETE INBOX", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X {18}\r\n|x\r\nA2 DELETE INBOX\r\n" },
    { "x\r\nA2 DELETE INBOX", FALSE, TERN_IMAP_LITERAL_PLUS, "A1 X {18+}\r\nx\r\nA2 DELETE INBOX\r\n" },
    { "x\r\nA2 DELETE INBOX", FALSE, TERN_IMAP_LITERAL_MINUS, "A1 X {18+}\r\nx\r\nA2 DELETE INBOX\r\n" },
    { "lf\n", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X {3}\r\n|lf\n\r\n" },
    { "Grüße", FALSE, TERN_IMAP_LITERAL_SYNC, "A1 X {7}\r\n|Grüße\r\n" },
    { "Grüße", TRUE, TERN_IMAP_LITERAL_SYNC, "A1 X \"Grüße\"\r\n" },
    { "bad \xff", TRUE, TERN_IMAP_LITERAL_SYNC, "A1 X {5}\r\n|bad \xff\r\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "X");
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;

      tern_imap_command_set_utf8 (cmd, cases[i].utf8);
      tern_imap_command_set_literal_mode (cmd, cases[i].mode);
      g_assert_true (tern_imap_command_add_string (cmd, cases[i].input, -1, &error));
      g_assert_no_error (error);
      text = dump (cmd);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_long_strings (void)
{
  g_autofree char *long_text = g_strnfill (TERN_IMAP_COMMAND_MAX_QUOTED + 1, 'a');
  g_autofree char *huge_text = g_strnfill (5000, 'b');
  g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "X");
  g_autoptr(TernImapCommand) minus = tern_imap_command_new ("A2", "X");
  g_autoptr(GError) error = NULL;
  const TernImapCommandChunk *chunks;
  guint n;

  g_assert_true (tern_imap_command_add_string (cmd, long_text, -1, &error));
  chunks = tern_imap_command_get_chunks (cmd, &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (chunks[0].wait_for_continuation);
  g_assert_cmpuint (g_bytes_get_size (chunks[1].data), ==, TERN_IMAP_COMMAND_MAX_QUOTED + 1);

  /* LITERAL- allows {n+} only up to 4096 bytes */
  tern_imap_command_set_literal_mode (minus, TERN_IMAP_LITERAL_MINUS);
  g_assert_true (tern_imap_command_add_string (minus, huge_text, -1, &error));
  chunks = tern_imap_command_get_chunks (minus, &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (chunks[0].wait_for_continuation);
  g_assert_no_error (error);
}

static void
test_refused (void)
{
  g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "X");
  static const char * const bad_flags[] = {
    "", "\\", "foo bar", "a)", "(a", "x\r\ny", "a\"", "b]", "{5}", "%", "*", "\\*", "caf\xc3\xa9", "a\\b",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_flags); i++)
    {
      g_assert_false (tern_imap_command_add_flag (cmd, bad_flags[i], &error));
      g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
      g_clear_error (&error);
    }

  g_assert_false (tern_imap_command_add_string (cmd, "a\0b", 3, &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (tern_imap_command_add_quoted (cmd, "two\r\nlines", &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (tern_imap_command_add_quoted (cmd, "8-bit \xc3\xa9", &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (tern_imap_command_add_mailbox (cmd, "a\nb", &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (tern_imap_command_add_mailbox (cmd, "bad \xff", &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (tern_imap_command_add_mailbox (cmd, "c1 \xc2\x85", &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
  g_clear_error (&error);

  /* nothing refused was added */
  text = dump (cmd);
  g_assert_cmpstr (text, ==, "A1 X\r\n");
}

static void
test_mailboxes (void)
{
  static const struct {
    const char *name;
    gboolean    utf8;
    const char *expected;
  } cases[] = {
    { "inbox", FALSE, "A1 SELECT \"INBOX\"\r\n" },
    { "Entwürfe", FALSE, "A1 SELECT \"Entw&APw-rfe\"\r\n" },
    { "Entwürfe", TRUE, "A1 SELECT \"Entwürfe\"\r\n" },
    { "R&D", FALSE, "A1 SELECT \"R&-D\"\r\n" },
    { "R&D", TRUE, "A1 SELECT \"R&D\"\r\n" },
    { "a \"quoted\" \\ name", FALSE, "A1 SELECT \"a \\\"quoted\\\" \\\\ name\"\r\n" },
    { "[Gmail]/Sent Mail", FALSE, "A1 SELECT \"[Gmail]/Sent Mail\"\r\n" },
    { "😀", FALSE, "A1 SELECT \"&2D3eAA-\"\r\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "SELECT");
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;

      tern_imap_command_set_utf8 (cmd, cases[i].utf8);
      g_assert_true (tern_imap_command_add_mailbox (cmd, cases[i].name, &error));
      g_assert_no_error (error);
      text = dump (cmd);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }

  {
    g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "SELECT");
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;

    /* a raw name from the server goes back byte for byte */
    g_assert_true (tern_imap_command_add_raw_mailbox (cmd, "Caf\xe9", &error));
    text = dump (cmd);
    g_assert_cmpstr (text, ==, "A1 SELECT {4}\r\n|Caf\xe9\r\n");
  }
}

static void
test_secret (void)
{
  g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "LOGIN");
  g_autoptr(TernImapCommand) literal = tern_imap_command_new ("A2", "LOGIN");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;
  g_autofree char *literal_description = NULL;

  g_assert_true (tern_imap_command_add_string (cmd, "joe", -1, &error));
  g_assert_true (tern_imap_command_add_secret (cmd, "s3cr\"t", &error));
  text = dump (cmd);
  g_assert_cmpstr (text, ==, "A1 LOGIN \"joe\" \"s3cr\\\"t\"\r\n");
  description = tern_imap_command_to_string (cmd);
  g_assert_cmpstr (description, ==, "A1 LOGIN \"joe\" \"***\"");

  g_assert_true (tern_imap_command_add_string (literal, "joe", -1, &error));
  g_assert_true (tern_imap_command_add_secret (literal, "pässwörd", &error));
  literal_description = tern_imap_command_to_string (literal);
  g_assert_null (strstr (literal_description, "pässwörd"));
  g_assert_nonnull (strstr (literal_description, "<10 bytes>"));
}

static void
test_append (void)
{
  g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A3", "APPEND");
  g_autoptr(TernImapCommand) binary = tern_imap_command_new ("A4", "APPEND");
  g_autoptr(GBytes) message = g_bytes_new_static ("From: a\r\n\r\nhi\r\n", 15);
  g_autoptr(GBytes) with_nul = g_bytes_new_static ("a\0b", 3);
  g_autoptr(GError) error = NULL;
  const TernImapCommandChunk *chunks;
  g_autofree char *text = NULL;
  g_autofree char *binary_text = NULL;
  guint n;

  g_assert_true (tern_imap_command_add_mailbox (cmd, "Sent", &error));
  tern_imap_command_begin_list (cmd);
  tern_imap_command_add_raw (cmd, "\\Seen");
  tern_imap_command_end_list (cmd);
  g_assert_true (tern_imap_command_add_literal (cmd, message, FALSE, &error));
  text = dump (cmd);
  g_assert_cmpstr (text, ==, "A3 APPEND \"Sent\" (\\Seen) {15}\r\n|From: a\r\n\r\nhi\r\n\r\n");
  /* the message is shared, not copied */
  chunks = tern_imap_command_get_chunks (cmd, &n);
  g_assert_true (chunks[1].data == message);

  g_assert_false (tern_imap_command_add_literal (binary, with_nul, FALSE, &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
  g_clear_error (&error);
  tern_imap_command_set_literal_mode (binary, TERN_IMAP_LITERAL_PLUS);
  g_assert_true (tern_imap_command_add_literal (binary, with_nul, TRUE, &error));
  binary_text = dump (binary);
  g_assert_cmpmem (binary_text, 17, "A4 APPEND ~{3+}\r\n", 17);
}

static void
test_tags (void)
{
  TernImapTags tags;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  tern_imap_tags_init (&tags, "T");
  a = tern_imap_tags_next (&tags);
  b = tern_imap_tags_next (&tags);
  g_assert_cmpstr (a, ==, "T1");
  g_assert_cmpstr (b, ==, "T2");
}

/* Whatever bytes a string holds, the command stays one command: read back
 * with the response parser, the argument is the same bytes, and nothing
 * follows it. */
static void
test_no_injection (void)
{
  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr(TernImapCommand) cmd = tern_imap_command_new ("A1", "X");
      g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
      g_autoptr(TernImapResponse) response = NULL;
      g_autoptr(TernImapResponse) after = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) input = g_string_new (NULL);
      g_autoptr(GString) wrapped = g_string_new ("* 1 FETCH (ENVELOPE (");
      g_autofree char *text = NULL;
      guint len = g_test_rand_int_range (0, 300);

      for (guint i = 0; i < len; i++)
        {
          /* favour the dangerous bytes */
          static const char special[] = "\r\n\"\\{}()[]* +~%";
          char c = g_test_rand_bit () ? special[g_test_rand_int_range (0, sizeof special - 1)]
                                      : (char) g_test_rand_int_range (1, 256);

          g_string_append_c (input, c);
        }

      tern_imap_command_set_utf8 (cmd, g_test_rand_bit ());
      tern_imap_command_set_literal_mode (cmd, g_test_rand_int_range (0, 3));
      g_assert_true (tern_imap_command_add_string (cmd, input->str, (gssize) input->len, &error));
      g_assert_no_error (error);
      text = dump_full (cmd, FALSE);

      /* strip "A1 X " and the final CRLF */
      g_assert_true (g_str_has_prefix (text, "A1 X "));
      g_assert_true (g_str_has_suffix (text, "\r\n"));
      g_string_append_len (wrapped, text + 5, (gssize) strlen (text) - 7);
      g_string_append (wrapped, " NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");

      tern_imap_parser_feed (parser, (const guint8 *) wrapped->str, wrapped->len);
      response = tern_imap_parser_next (parser, &error);
      g_assert_no_error (error);
      g_assert_nonnull (response);
      g_assert_cmpint (response->kind, ==, TERN_IMAP_RESPONSE_FETCH);
      g_assert_cmpmem (response->fetch->envelope->date, strlen (response->fetch->envelope->date),
                       input->str, input->len);
      after = tern_imap_parser_next (parser, &error);
      g_assert_no_error (error);
      g_assert_null (after);
      g_assert_false (tern_imap_parser_has_pending (parser));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/imap/command/simple", test_simple);
  g_test_add_func ("/tern/imap/command/fetch-raw", test_fetch_raw);
  g_test_add_func ("/tern/imap/command/strings", test_strings);
  g_test_add_func ("/tern/imap/command/long-strings", test_long_strings);
  g_test_add_func ("/tern/imap/command/refused", test_refused);
  g_test_add_func ("/tern/imap/command/mailboxes", test_mailboxes);
  g_test_add_func ("/tern/imap/command/secret", test_secret);
  g_test_add_func ("/tern/imap/command/append", test_append);
  g_test_add_func ("/tern/imap/command/tags", test_tags);
  g_test_add_func ("/tern/imap/command/no-injection", test_no_injection);

  return g_test_run ();
}
