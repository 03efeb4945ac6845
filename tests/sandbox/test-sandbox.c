/* test-sandbox.c: the test sandbox's servers really speak verified TLS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tern-test"

#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "tern-test-sandbox.h"

/* One sandbox for the whole binary. */
static TernTestSandbox *sandbox;

#define IO_TIMEOUT_SECONDS 15

/* A line-based connection that can be upgraded to TLS. */
typedef struct
{
  GSocketConnection *socket;
  GIOStream *stream;          /* socket or TLS on top of it */
  GDataInputStream *in;
} Conn;

static void
conn_free (Conn *conn)
{
  if (conn->stream != NULL)
    g_io_stream_close (conn->stream, NULL, NULL);
  g_clear_object (&conn->in);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->socket);
  g_free (conn);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_free)

static void
conn_set_stream (Conn      *conn,
                 GIOStream *stream)
{
  g_clear_object (&conn->in);
  g_set_object (&conn->stream, stream);
  conn->in = g_data_input_stream_new (g_io_stream_get_input_stream (stream));
  g_data_input_stream_set_newline_type (conn->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (conn->in), FALSE);
}

static Conn *
conn_open (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Conn *conn;

  /* Also the timeout of every later read and write: a hung server fails. */
  g_socket_client_set_timeout (client, IO_TIMEOUT_SECONDS);
  conn = g_new0 (Conn, 1);
  conn->socket = g_socket_client_connect_to_host (client, sandbox->host, port, NULL, &error);
  g_assert_no_error (error);
  conn_set_stream (conn, G_IO_STREAM (conn->socket));
  return conn;
}

static GTlsDatabase *
get_sandbox_database (void)
{
  static GTlsDatabase *database;

  if (database == NULL)
    {
      g_autoptr(GError) error = NULL;

      database = g_tls_file_database_new (sandbox->ca_file, &error);
      g_assert_no_error (error);
    }
  return database;
}

/* Starts TLS over CONN's current stream, verifying the server as IDENTITY
 * against DATABASE (NULL: the system's default database).  No
 * accept-certificate handler: a certificate that fails verification fails. */
static gboolean
conn_start_tls (Conn          *conn,
                GTlsDatabase  *database,
                const char    *identity,
                guint16        port,
                GError       **error)
{
  g_autoptr(GSocketConnectable) server = g_network_address_new (identity, port);
  g_autoptr(GIOStream) tls = NULL;

  tls = g_tls_client_connection_new (conn->stream, server, error);
  if (tls == NULL)
    return FALSE;
  if (database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (tls), database);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, error))
    return FALSE;

  g_assert_cmpint (g_tls_connection_get_peer_certificate_errors (G_TLS_CONNECTION (tls)), ==, 0);
  g_assert_nonnull (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)));
  conn_set_stream (conn, tls);
  return TRUE;
}

static void
conn_start_tls_verified (Conn    *conn,
                         guint16  port)
{
  g_autoptr(GError) error = NULL;

  conn_start_tls (conn, get_sandbox_database (), "localhost", port, &error);
  g_assert_no_error (error);
}

static Conn *
conn_open_tls (guint16 port)
{
  Conn *conn = conn_open (port);

  conn_start_tls_verified (conn, port);
  return conn;
}

static char *
conn_read_line (Conn *conn)
{
  g_autoptr(GError) error = NULL;
  char *line;

  line = g_data_input_stream_read_line (conn->in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_test_message ("S: %s", line);
  return line;
}

static void
conn_write (Conn       *conn,
            const void *data,
            gsize       len)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *out = g_io_stream_get_output_stream (conn->stream);

  g_output_stream_write_all (out, data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void G_GNUC_PRINTF (2, 3)
conn_send (Conn       *conn,
           const char *format,
           ...)
{
  g_autofree char *line = NULL;
  g_autofree char *wire = NULL;
  va_list ap;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_test_message ("C: %s", line);
  wire = g_strconcat (line, "\r\n", NULL);
  conn_write (conn, wire, strlen (wire));
}

/* Reads IMAP responses up to the one tagged TAG; returns all untagged lines
 * joined by "\n" and asserts the tagged one is OK. */
static char *
imap_wait (Conn       *conn,
           const char *tag)
{
  g_autoptr(GString) untagged = g_string_new (NULL);
  g_autofree char *prefix = g_strconcat (tag, " ", NULL);

  for (;;)
    {
      g_autofree char *line = conn_read_line (conn);

      if (g_str_has_prefix (line, prefix))
        {
          g_assert_true (g_str_has_prefix (line + strlen (prefix), "OK"));
          return g_string_free (g_steal_pointer (&untagged), FALSE);
        }
      g_string_append (untagged, line);
      g_string_append_c (untagged, '\n');
    }
}

/* Reads a (multi-line) SMTP reply, asserting its code is CODE. */
static char *
smtp_reply (Conn *conn,
            int   code)
{
  g_autoptr(GString) reply = g_string_new (NULL);

  for (;;)
    {
      g_autofree char *line = conn_read_line (conn);

      g_assert_cmpuint (strlen (line), >=, 3);
      g_assert_cmpint (atoi (line), ==, code);
      g_string_append (reply, line);
      g_string_append_c (reply, '\n');
      if (line[3] != '-')
        return g_string_free (g_steal_pointer (&reply), FALSE);
    }
}

/* Reads a POP3 multi-line body after a +OK line. */
static char *
pop3_multiline (Conn *conn)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *status = conn_read_line (conn);

  g_assert_true (g_str_has_prefix (status, "+OK"));
  for (;;)
    {
      g_autofree char *line = conn_read_line (conn);

      if (g_str_equal (line, "."))
        return g_string_free (g_steal_pointer (&body), FALSE);
      g_string_append (body, line);
      g_string_append_c (body, '\n');
    }
}

static void
assert_prefix (char       *line,
               const char *prefix)
{
  g_autofree char *owned = line;

  if (!g_str_has_prefix (owned, prefix))
    g_error ("Expected a line starting with \"%s\", got \"%s\"", prefix, owned);
}

static const TernTestSandboxUser *
get_alice (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");

  g_assert_nonnull (alice);
  return alice;
}

/* The value of KEY=N in doveadm's "mailbox status" output. */
static guint64
doveadm_status (const char *user,
                const char *field,
                const char *mailbox)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *key = g_strconcat (field, "=", NULL);
  const char *found;

  tern_test_sandbox_doveadm (sandbox, &out, &error, "mailbox", "status", "-u", user,
                             field, mailbox, NULL);
  g_assert_no_error (error);
  found = strstr (out, key);
  g_assert_nonnull (found);
  return g_ascii_strtoull (found + strlen (key), NULL, 10);
}

/* Implicit TLS ------------------------------------------------------------- */

static void
test_imaps_verified (void)
{
  g_autoptr(Conn) conn = conn_open_tls (sandbox->imaps_port);

  assert_prefix (conn_read_line (conn), "* OK");
  conn_send (conn, "z LOGOUT");
  g_free (imap_wait (conn, "z"));
}

static void
test_pop3s_verified (void)
{
  g_autoptr(Conn) conn = conn_open_tls (sandbox->pop3s_port);

  assert_prefix (conn_read_line (conn), "+OK");
  conn_send (conn, "QUIT");
  assert_prefix (conn_read_line (conn), "+OK");
}

static void
test_smtps_verified (void)
{
  g_autoptr(Conn) conn = conn_open_tls (sandbox->smtps_port);
  g_autofree char *ehlo = NULL;

  g_free (smtp_reply (conn, 220));
  conn_send (conn, "EHLO client.example");
  ehlo = smtp_reply (conn, 250);
  /* Already TLS: AUTH is offered and STARTTLS is not. */
  g_assert_nonnull (strstr (ehlo, "AUTH"));
  g_assert_null (strstr (ehlo, "STARTTLS"));
  conn_send (conn, "QUIT");
  g_free (smtp_reply (conn, 221));
}

/* Verification is real --------------------------------------------------- */

static void
test_tls_needs_ca (void)
{
  guint16 ports[] = { sandbox->imaps_port, sandbox->pop3s_port, sandbox->smtps_port };

  for (guint i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      g_autoptr(Conn) conn = conn_open (ports[i]);
      g_autoptr(GError) error = NULL;

      /* The system's trust store does not know the sandbox CA. */
      g_assert_false (conn_start_tls (conn, NULL, "localhost", ports[i], &error));
      g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
    }
}

static void
test_tls_checks_identity (void)
{
  g_autoptr(Conn) conn = conn_open (sandbox->imaps_port);
  g_autoptr(Conn) by_ip = conn_open (sandbox->imaps_port);
  g_autoptr(GError) error = NULL;

  /* The right CA but the wrong name. */
  g_assert_false (conn_start_tls (conn, get_sandbox_database (), "mail.example.org",
                                  sandbox->imaps_port, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  /* The certificate names 127.0.0.1 too. */
  conn_start_tls (by_ip, get_sandbox_database (), "127.0.0.1", sandbox->imaps_port, &error);
  g_assert_no_error (error);
  assert_prefix (conn_read_line (by_ip), "* OK");
}

/* STARTTLS ---------------------------------------------------------------- */

static void
test_imap_starttls (void)
{
  g_autoptr(Conn) conn = conn_open (sandbox->imap_port);
  g_autofree char *greeting = conn_read_line (conn);
  g_autofree char *caps = NULL;

  g_assert_true (g_str_has_prefix (greeting, "* OK"));
  g_assert_nonnull (strstr (greeting, "STARTTLS"));
  /* No password goes over the plain connection. */
  g_assert_nonnull (strstr (greeting, "LOGINDISABLED"));

  conn_send (conn, "a STARTTLS");
  g_free (imap_wait (conn, "a"));
  conn_start_tls_verified (conn, sandbox->imap_port);

  conn_send (conn, "b CAPABILITY");
  caps = imap_wait (conn, "b");
  g_assert_null (strstr (caps, "LOGINDISABLED"));
  g_assert_nonnull (strstr (caps, "AUTH=PLAIN"));
  conn_send (conn, "c LOGIN alice %s", get_alice ()->password);
  g_free (imap_wait (conn, "c"));
  conn_send (conn, "z LOGOUT");
  g_free (imap_wait (conn, "z"));
}

static void
test_pop3_stls (void)
{
  g_autoptr(Conn) conn = conn_open (sandbox->pop3_port);
  g_autofree char *capa = NULL;
  g_autofree char *capa_tls = NULL;

  assert_prefix (conn_read_line (conn), "+OK");
  conn_send (conn, "CAPA");
  capa = pop3_multiline (conn);
  g_assert_nonnull (strstr (capa, "STLS"));
  /* No password goes over the plain connection. */
  conn_send (conn, "USER alice");
  assert_prefix (conn_read_line (conn), "-ERR");

  conn_send (conn, "STLS");
  assert_prefix (conn_read_line (conn), "+OK");
  conn_start_tls_verified (conn, sandbox->pop3_port);

  conn_send (conn, "CAPA");
  capa_tls = pop3_multiline (conn);
  g_assert_null (strstr (capa_tls, "STLS"));
  g_assert_nonnull (strstr (capa_tls, "USER"));
  conn_send (conn, "QUIT");
  assert_prefix (conn_read_line (conn), "+OK");
}

static void
test_smtp_starttls (void)
{
  g_autoptr(Conn) conn = conn_open (sandbox->smtp_port);
  g_autofree char *ehlo = NULL;
  g_autofree char *ehlo_tls = NULL;

  g_free (smtp_reply (conn, 220));
  conn_send (conn, "EHLO client.example");
  ehlo = smtp_reply (conn, 250);
  g_assert_nonnull (strstr (ehlo, "STARTTLS"));
  g_assert_null (strstr (ehlo, "AUTH"));

  /* Mail and AUTH are refused before TLS. */
  conn_send (conn, "MAIL FROM:<alice@example.test>");
  g_free (smtp_reply (conn, 530));

  conn_send (conn, "STARTTLS");
  g_free (smtp_reply (conn, 220));
  conn_start_tls_verified (conn, sandbox->smtp_port);

  conn_send (conn, "EHLO client.example");
  ehlo_tls = smtp_reply (conn, 250);
  g_assert_nonnull (strstr (ehlo_tls, "AUTH LOGIN PLAIN"));
  g_assert_null (strstr (ehlo_tls, "STARTTLS"));
  conn_send (conn, "QUIT");
  g_free (smtp_reply (conn, 221));
}

/* Accounts ---------------------------------------------------------------- */

static void
test_imap_select_count (void)
{
  const TernTestSandboxUser *alice = get_alice ();
  g_autoptr(Conn) conn = conn_open_tls (sandbox->imaps_port);
  g_autoptr(GError) error = NULL;
  g_autofree char *search = NULL;
  g_autofree char *select = NULL;
  g_autofree char *expected = NULL;
  g_auto(GStrv) hits = NULL;
  guint64 count;

  count = doveadm_status ("alice", "messages", "INBOX");
  g_assert_cmpuint (count, >, 0);

  /* "doveadm search" prints one line per message. */
  tern_test_sandbox_doveadm (sandbox, &search, &error, "search", "-u", "alice",
                             "mailbox", "INBOX", "ALL", NULL);
  g_assert_no_error (error);
  hits = g_strsplit (g_strstrip (search), "\n", -1);
  g_assert_cmpuint (g_strv_length (hits), ==, count);

  g_free (conn_read_line (conn));
  conn_send (conn, "a LOGIN alice %s", alice->password);
  g_free (imap_wait (conn, "a"));
  conn_send (conn, "b SELECT INBOX");
  select = imap_wait (conn, "b");
  expected = g_strdup_printf ("* %" G_GUINT64_FORMAT " EXISTS\n", count);
  g_assert_nonnull (strstr (select, expected));
  conn_send (conn, "z LOGOUT");
  g_free (imap_wait (conn, "z"));
}

static void
test_imap_wrong_password (void)
{
  g_autoptr(Conn) conn = conn_open_tls (sandbox->imaps_port);
  g_autofree char *line = NULL;

  g_free (conn_read_line (conn));
  conn_send (conn, "a LOGIN alice not-the-password");
  line = conn_read_line (conn);
  g_assert_true (g_str_has_prefix (line, "a NO"));
}

static void
test_imap_list_non_ascii (void)
{
  g_autoptr(Conn) conn = conn_open_tls (sandbox->imaps_port);
  g_autofree char *list = NULL;

  g_free (conn_read_line (conn));
  conn_send (conn, "a LOGIN alice %s", get_alice ()->password);
  g_free (imap_wait (conn, "a"));
  conn_send (conn, "b LIST \"\" \"*\"");
  list = imap_wait (conn, "b");
  /* "Reçus" in modified UTF-7 (RFC 3501 5.1.3). */
  g_assert_nonnull (strstr (list, "\"/\" Re&AOc-us\n"));
  g_assert_nonnull (strstr (list, "\"/\" Lists/GNOME\n"));
  g_assert_nonnull (strstr (list, "\\Sent) \"/\" Sent\n"));
  conn_send (conn, "z LOGOUT");
  g_free (imap_wait (conn, "z"));
}

static void
test_pop3_stat (void)
{
  const TernTestSandboxUser *alice = get_alice ();
  g_autoptr(Conn) conn = conn_open_tls (sandbox->pop3s_port);
  g_autofree char *stat = NULL;
  g_autofree char *expected = NULL;
  guint64 count, vsize;

  count = doveadm_status ("alice", "messages", "INBOX");
  /* POP3 sizes count CRLF line ends, as Dovecot's vsize does. */
  vsize = doveadm_status ("alice", "vsize", "INBOX");

  assert_prefix (conn_read_line (conn), "+OK");
  conn_send (conn, "USER %s", alice->name);
  assert_prefix (conn_read_line (conn), "+OK");
  conn_send (conn, "PASS %s", alice->password);
  assert_prefix (conn_read_line (conn), "+OK");
  conn_send (conn, "STAT");
  stat = conn_read_line (conn);
  expected = g_strdup_printf ("+OK %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, count, vsize);
  g_assert_cmpstr (stat, ==, expected);
  conn_send (conn, "QUIT");
  assert_prefix (conn_read_line (conn), "+OK");
}

/* Submission -------------------------------------------------------------- */

static void
test_smtp_submission (void)
{
  const TernTestSandboxUser *alice = get_alice ();
  const TernTestSandboxUser *bob = tern_test_sandbox_get_user (sandbox, "bob");
  g_autoptr(Conn) conn = conn_open (sandbox->smtp_port);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) plain = g_string_new (NULL);
  g_autofree char *auth = NULL;
  g_autofree char *base = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *json = NULL;
  g_autofree char *spooled = NULL;
  g_auto(GStrv) files = NULL;
  gsize spooled_len;
  /* What the client means to send, and the same with dot-stuffing. */
  const char *message =
    "From: Alice <alice@example.test>\r\n"
    "To: Bob <bob@example.test>\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Grüße aus dem Sandkasten.\r\n"
    ".a line that starts with a dot\r\n"
    "..and one with two\r\n";
  const char *wire =
    "From: Alice <alice@example.test>\r\n"
    "To: Bob <bob@example.test>\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Grüße aus dem Sandkasten.\r\n"
    "..a line that starts with a dot\r\n"
    "...and one with two\r\n"
    ".\r\n";

  g_assert_nonnull (bob);

  g_free (smtp_reply (conn, 220));
  conn_send (conn, "EHLO client.example");
  g_free (smtp_reply (conn, 250));
  conn_send (conn, "STARTTLS");
  g_free (smtp_reply (conn, 220));
  conn_start_tls_verified (conn, sandbox->smtp_port);
  conn_send (conn, "EHLO client.example");
  g_free (smtp_reply (conn, 250));

  g_string_append_c (plain, '\0');
  g_string_append (plain, alice->name);
  g_string_append_c (plain, '\0');
  g_string_append (plain, alice->password);
  auth = g_base64_encode ((const guchar *) plain->str, plain->len);
  conn_send (conn, "AUTH PLAIN %s", auth);
  g_free (smtp_reply (conn, 235));

  conn_send (conn, "MAIL FROM:<%s>", alice->email);
  g_free (smtp_reply (conn, 250));
  conn_send (conn, "RCPT TO:<%s>", bob->email);
  g_free (smtp_reply (conn, 250));
  conn_send (conn, "DATA");
  g_free (smtp_reply (conn, 354));
  conn_write (conn, wire, strlen (wire));
  g_free (smtp_reply (conn, 250));
  conn_send (conn, "QUIT");
  g_free (smtp_reply (conn, 221));

  files = tern_test_sandbox_wait_smtp (sandbox, 1, 10000);
  g_assert_nonnull (files);
  g_file_get_contents (files[0], &spooled, &spooled_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (spooled, spooled_len, message, strlen (message));

  g_assert_true (g_str_has_suffix (files[0], ".eml"));
  base = g_strndup (files[0], strlen (files[0]) - strlen (".eml"));
  json_path = g_strconcat (base, ".json", NULL);
  g_file_get_contents (json_path, &json, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (json, "\"user\": \"alice\""));
  g_assert_nonnull (strstr (json, "\"listener\": \"smtp\""));
  g_assert_nonnull (strstr (json, "\"mail_from\": \"alice@example.test\""));
  g_assert_nonnull (strstr (json, "\"bob@example.test\""));
}

static void
test_smtp_wrong_password (void)
{
  g_autoptr(Conn) conn = conn_open_tls (sandbox->smtps_port);
  g_autofree char *auth = g_base64_encode ((const guchar *) "\0alice\0nope", 11);

  g_free (smtp_reply (conn, 220));
  conn_send (conn, "EHLO client.example");
  g_free (smtp_reply (conn, 250));
  conn_send (conn, "AUTH PLAIN %s", auth);
  g_free (smtp_reply (conn, 535));
  /* Still not authenticated. */
  conn_send (conn, "MAIL FROM:<alice@example.test>");
  g_free (smtp_reply (conn, 530));
}

/* Keyring ----------------------------------------------------------------- */

static const SecretSchema test_schema = {
  "io.github.ternmail.Tern.SandboxTest", SECRET_SCHEMA_NONE,
  {
    { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "NULL", 0 },
  }
};

static void
test_keyring_libsecret (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) env = NULL;
  const char *argv[] = { "secret-tool", "lookup", "user", "alice", "server", "imap.sandbox", NULL };
  int wait_status;

  g_assert_nonnull (sandbox->dbus_address);
  g_assert_cmpstr (g_getenv ("DBUS_SESSION_BUS_ADDRESS"), ==, sandbox->dbus_address);

  secret_password_store_sync (&test_schema, SECRET_COLLECTION_DEFAULT, "Tern sandbox test",
                              "s3cret ✓", NULL, &error,
                              "user", "alice", "server", "imap.sandbox", NULL);
  g_assert_no_error (error);

  found = secret_password_lookup_sync (&test_schema, NULL, &error,
                                       "user", "alice", "server", "imap.sandbox", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "s3cret ✓");

  /* Another client on the same bus sees it. */
  env = g_environ_setenv (g_get_environ (), "DBUS_SESSION_BUS_ADDRESS",
                          sandbox->dbus_address, TRUE);
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &wait_status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (wait_status, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "s3cret ✓");

  secret_password_clear_sync (&test_schema, NULL, &error,
                              "user", "alice", "server", "imap.sandbox", NULL);
  g_assert_no_error (error);
}

/* The helper -------------------------------------------------------------- */

static void
test_doveadm_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_false (tern_test_sandbox_doveadm (sandbox, &out, &error, "mailbox", "status",
                                             "-u", "alice", "messages", "No/Such/Folder",
                                             NULL));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (out);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  sandbox = tern_test_sandbox_start (NULL, &error);
  if (sandbox == NULL)
    g_error ("The test sandbox did not start: %s", error->message);

  g_test_add_func ("/tern/sandbox/imaps/verified", test_imaps_verified);
  g_test_add_func ("/tern/sandbox/pop3s/verified", test_pop3s_verified);
  g_test_add_func ("/tern/sandbox/smtps/verified", test_smtps_verified);
  g_test_add_func ("/tern/sandbox/tls/needs-ca", test_tls_needs_ca);
  g_test_add_func ("/tern/sandbox/tls/checks-identity", test_tls_checks_identity);
  g_test_add_func ("/tern/sandbox/imap/starttls", test_imap_starttls);
  g_test_add_func ("/tern/sandbox/pop3/stls", test_pop3_stls);
  g_test_add_func ("/tern/sandbox/smtp/starttls", test_smtp_starttls);
  g_test_add_func ("/tern/sandbox/imap/select-count", test_imap_select_count);
  g_test_add_func ("/tern/sandbox/imap/wrong-password", test_imap_wrong_password);
  g_test_add_func ("/tern/sandbox/imap/list-non-ascii", test_imap_list_non_ascii);
  g_test_add_func ("/tern/sandbox/pop3/stat", test_pop3_stat);
  g_test_add_func ("/tern/sandbox/smtp/submission", test_smtp_submission);
  g_test_add_func ("/tern/sandbox/smtp/wrong-password", test_smtp_wrong_password);
  g_test_add_func ("/tern/sandbox/keyring/libsecret", test_keyring_libsecret);
  g_test_add_func ("/tern/sandbox/doveadm/error", test_doveadm_error);

  ret = g_test_run ();

  secret_service_disconnect ();
  tern_test_sandbox_stop (sandbox);
  return ret;
}
