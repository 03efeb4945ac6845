/* test-connection.c: TernConnection against the sandbox's real servers and
 * against a scripted fake server on loopback that misbehaves on purpose.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-connection"

#include <string.h>

#include "tern-engine.h"
#include "tern-test-certs.h"
#include "tern-test-fake-server.h"
#include "tern-test-sandbox.h"

static TernTestSandbox *sandbox;
static TernTestCerts *certs;

/* Blocking helpers over the async API, on the default main context. */

static void
got_result_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static gboolean
conn_connect (TernConnection  *conn,
              GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_connection_connect_async (conn, NULL, got_result_cb, &result);
  return tern_connection_connect_finish (conn, wait_for (&result), error);
}

static gboolean
conn_start_tls (TernConnection  *conn,
                GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_connection_start_tls_async (conn, NULL, got_result_cb, &result);
  return tern_connection_start_tls_finish (conn, wait_for (&result), error);
}

/* The line as a string (it is NUL-terminated), or %NULL on error. */
static char *
conn_read_line (TernConnection  *conn,
                GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) line = NULL;

  tern_connection_read_line_async (conn, NULL, got_result_cb, &result);
  line = tern_connection_read_line_finish (conn, wait_for (&result), error);
  if (line == NULL)
    return NULL;
  return g_strndup (g_bytes_get_data (line, NULL), g_bytes_get_size (line));
}

static GBytes *
conn_read_bytes (TernConnection  *conn,
                 gsize            size,
                 GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_connection_read_bytes_async (conn, size, NULL, got_result_cb, &result);
  return tern_connection_read_bytes_finish (conn, wait_for (&result), error);
}

static gboolean
conn_write (TernConnection  *conn,
            const char      *text,
            const char      *redacted,
            GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  tern_connection_write_async (conn, bytes, redacted, NULL, got_result_cb, &result);
  return tern_connection_write_finish (conn, wait_for (&result), error);
}

static void
conn_close (TernConnection *conn)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_connection_close_async (conn, NULL, got_result_cb, &result);
  g_assert_true (tern_connection_close_finish (conn, wait_for (&result), NULL));
  g_assert_false (tern_connection_is_connected (conn));
}

/* Reads lines until one starts with TAG; returns all of them joined. */
static char *
conn_read_until_tagged (TernConnection *conn,
                        const char     *tag)
{
  g_autoptr(GString) all = g_string_new (NULL);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = conn_read_line (conn, &error);

      g_assert_no_error (error);
      g_string_append (all, line);
      g_string_append_c (all, '\n');
      if (g_str_has_prefix (line, tag))
        return g_string_free (g_steal_pointer (&all), FALSE);
    }
}

/* A certificate prompt that answers as told and remembers the question. */

#define TEST_TYPE_PROMPT (test_prompt_get_type ())
G_DECLARE_FINAL_TYPE (TestPrompt, test_prompt, TEST, PROMPT, GObject)

struct _TestPrompt
{
  GObject                  parent_instance;
  TernCertificateDecision  decision;
  guint                    asked;
  char                    *pin;
  char                    *host;
  GTlsCertificateFlags     errors;
};

static void test_prompt_iface_init (TernCertificatePromptInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestPrompt, test_prompt, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TERN_TYPE_CERTIFICATE_PROMPT, test_prompt_iface_init))

static void
test_prompt_ask_async (TernCertificatePrompt *prompt,
                       TernCertificateInfo   *info,
                       GTlsCertificateFlags   errors,
                       const char            *host,
                       GCancellable          *cancellable,
                       GAsyncReadyCallback    callback,
                       gpointer               user_data)
{
  TestPrompt *self = TEST_PROMPT (prompt);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  self->asked++;
  g_free (self->pin);
  self->pin = g_strdup (tern_certificate_info_get_pin (info));
  g_free (self->host);
  self->host = g_strdup (host);
  self->errors = errors;
  g_task_return_int (task, self->decision);
}

static TernCertificateDecision
test_prompt_ask_finish (TernCertificatePrompt  *prompt,
                        GAsyncResult           *result,
                        GError                **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

static void
test_prompt_iface_init (TernCertificatePromptInterface *iface)
{
  iface->ask_async = test_prompt_ask_async;
  iface->ask_finish = test_prompt_ask_finish;
}

static void
test_prompt_finalize (GObject *object)
{
  TestPrompt *self = TEST_PROMPT (object);

  g_free (self->pin);
  g_free (self->host);
  G_OBJECT_CLASS (test_prompt_parent_class)->finalize (object);
}

static void
test_prompt_class_init (TestPromptClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_prompt_finalize;
}

static void
test_prompt_init (TestPrompt *self)
{
}

static TestPrompt *
test_prompt_new (TernCertificateDecision decision)
{
  TestPrompt *self = g_object_new (TEST_TYPE_PROMPT, NULL);

  self->decision = decision;
  return self;
}

static TernTestCert *
make_cert (TernTestCertKind kind,
           const char      *name)
{
  g_autoptr(GError) error = NULL;
  TernTestCert *cert = tern_test_certs_make (certs, kind, name, &error);

  g_assert_no_error (error);
  return cert;
}

static TernConnection *
fake_connection (TernTestFakeServer   *server,
                 TernSecurity  security,
                 const char   *ca_file,
                 const char   *pin)
{
  TernConnection *conn = tern_connection_new ("127.0.0.1", server->port, security, ca_file, pin);

  tern_connection_set_connect_timeout (conn, 15000);
  tern_connection_set_read_timeout (conn, 15000);
  return conn;
}

/* Scripts */

/* Implicit TLS: greet, answer one command, then expect nothing. */
static void
script_tls_greet (TernTestFakeServer *server,
                  GIOStream  *stream)
{
  g_autoptr(GIOStream) tls = tern_test_fake_server_start_tls (server, stream);
  g_autofree char *line = NULL;

  if (tls == NULL)
    return;
  tern_test_fake_server_write (tls, "* OK fake TLS server ready\r\n");
  line = tern_test_fake_server_read_line (server, tls);
  if (line != NULL)
    tern_test_fake_server_write (tls, "a OK done\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (tls));
}

/* STARTTLS the IMAP way: greet in plain text, go ahead, TLS, one command. */
static void
script_starttls (TernTestFakeServer *server,
                 GIOStream  *stream)
{
  g_autofree char *line = NULL;
  g_autofree char *command = NULL;
  g_autoptr(GIOStream) tls = NULL;

  tern_test_fake_server_write (stream, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake ready\r\n");
  line = tern_test_fake_server_read_line (server, stream);
  if (g_strcmp0 (line, "a STARTTLS") != 0)
    {
      tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
      return;
    }
  tern_test_fake_server_write (stream, "a OK Begin TLS negotiation now\r\n");
  tls = tern_test_fake_server_start_tls (server, stream);
  if (tls == NULL)
    return;
  command = tern_test_fake_server_read_line (server, tls);
  if (command != NULL)
    tern_test_fake_server_write (tls, "b OK done\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (tls));
}

/* The go-ahead and an injected line in ONE write. */
static void
script_starttls_injection (TernTestFakeServer *server,
                           GIOStream  *stream)
{
  g_autofree char *line = NULL;

  tern_test_fake_server_write (stream, "* OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready\r\n");
  line = tern_test_fake_server_read_line (server, stream);
  tern_test_fake_server_write (stream, "a OK Begin TLS\r\n* OK injected\r\n");
  /* A client that starts TLS now would send a ClientHello. */
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

/* The injected line comes in a second segment, a little later. */
static void
script_starttls_late_injection (TernTestFakeServer *server,
                                GIOStream  *stream)
{
  g_autofree char *line = NULL;

  tern_test_fake_server_write (stream, "* OK fake ready\r\n");
  line = tern_test_fake_server_read_line (server, stream);
  tern_test_fake_server_write (stream, "a OK Begin TLS\r\n");
  g_usleep (50 * 1000);
  tern_test_fake_server_write (stream, "* 3 EXISTS\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

static void
script_plain_greet (TernTestFakeServer *server,
                    GIOStream  *stream)
{
  tern_test_fake_server_write (stream, "* OK plain fake ready\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

static void
script_silent (TernTestFakeServer *server,
               GIOStream  *stream)
{
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

static void
script_long_lines (TernTestFakeServer *server,
                   GIOStream  *stream)
{
  g_autofree char *exact = g_strnfill (1024, 'x');
  g_autofree char *over = g_strnfill (1025, 'y');
  g_autofree char *text = g_strconcat (exact, "\r\n", over, "\r\n", NULL);

  tern_test_fake_server_write (stream, text);
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

static void
script_endless_line (TernTestFakeServer *server,
                     GIOStream  *stream)
{
  g_autofree char *chunk = g_strnfill (64 * 1024, 'z');

  /* 16 MiB without a newline, or until the client gives up. */
  for (guint i = 0; i < 256; i++)
    if (!tern_test_fake_server_write (stream, chunk))
      break;
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

static void
script_close_mid_line (TernTestFakeServer *server,
                       GIOStream  *stream)
{
  tern_test_fake_server_write (stream, "* OK complete line\r\n* OK partial");
}

static void
script_wait_then_line (TernTestFakeServer *server,
                       GIOStream  *stream)
{
  tern_test_fake_server_wait_go (server);
  tern_test_fake_server_write (stream, "* OK after the cancel\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

static void
script_pieces (TernTestFakeServer *server,
               GIOStream  *stream)
{
  static const char *const pieces[] = {
    "* OK one\r", "\n* OK two\r\n", "\r\n", "bare LF\n", "nul", "\0", "byte\r\n",
    "{5}\r\nhello", " world\r\n",
  };
  g_autofree char *big = g_strnfill (200 * 1024, 'b');
  g_autofree char *literal = g_strdup_printf ("{%d}\r\n", 200 * 1024);

  for (gsize i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      gsize length = pieces[i][0] == '\0' ? 1 : strlen (pieces[i]);

      g_output_stream_write_all (g_io_stream_get_output_stream (stream), pieces[i], length, NULL, NULL, NULL);
      g_usleep (5 * 1000);
    }
  tern_test_fake_server_write (stream, literal);
  tern_test_fake_server_write (stream, big);
  tern_test_fake_server_write (stream, "tail\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

/* IMAP IDLE: DONE is written while the client waits for a line. */
static void
script_idle (TernTestFakeServer *server,
             GIOStream  *stream)
{
  g_autofree char *idle = NULL;
  g_autofree char *done = NULL;

  idle = tern_test_fake_server_read_line (server, stream);
  tern_test_fake_server_write (stream, "+ idling\r\n");
  done = tern_test_fake_server_read_line (server, stream);
  if (g_strcmp0 (done, "DONE") == 0)
    tern_test_fake_server_write (stream, "a OK IDLE terminated\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

/* Tests: certificates and the error domain without a server */

static void
test_certificate_info (void)
{
  g_autoptr(TernTestCert) valid = make_cert (TERN_TEST_CERT_VALID, "info-valid");
  g_autoptr(TernTestCert) self_signed = make_cert (TERN_TEST_CERT_SELF_SIGNED, "info-self");
  g_autoptr(TernTestCert) expired = make_cert (TERN_TEST_CERT_EXPIRED, "info-expired");
  g_autoptr(TernCertificateInfo) info = NULL;
  g_autoptr(TernCertificateInfo) self_info = NULL;
  g_autoptr(TernCertificateInfo) expired_info = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *upper = NULL;
  const char * const *names;

  info = tern_certificate_info_new (valid->certificate, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tern_certificate_info_get_subject (info), ==, "CN=localhost,O=Tern Test");
  g_assert_cmpstr (tern_certificate_info_get_issuer (info), ==, "CN=Tern Test Root,O=Tern Test");
  g_assert_false (tern_certificate_info_is_self_signed (info));
  names = tern_certificate_info_get_subject_alt_names (info);
  g_assert_cmpuint (g_strv_length ((char **) names), ==, 2);
  g_assert_cmpstr (names[0], ==, "DNS:localhost");
  g_assert_cmpstr (names[1], ==, "IP:127.0.0.1");
  g_assert_cmpint (g_date_time_compare (tern_certificate_info_get_not_before (info), now), <, 0);
  g_assert_cmpint (g_date_time_compare (tern_certificate_info_get_not_after (info), now), >, 0);
  g_assert_cmpstr (tern_certificate_info_get_pin (info), ==, valid->sha256);
  g_assert_cmpuint (strlen (tern_certificate_info_get_sha256 (info)), ==, 32 * 3 - 1);
  upper = g_ascii_strup (tern_certificate_info_get_sha256 (info), -1);
  g_assert_cmpstr (upper, ==, tern_certificate_info_get_sha256 (info));
  g_assert_true (tern_certificate_info_matches_pin (info, valid->sha256));
  g_assert_true (tern_certificate_info_matches_pin (info, tern_certificate_info_get_sha256 (info)));
  g_assert_false (tern_certificate_info_matches_pin (info, self_signed->sha256));
  g_assert_false (tern_certificate_info_matches_pin (info, "not a pin"));
  g_assert_cmpstr (tern_certificate_info_get_serial (info), !=, "");

  text = tern_certificate_info_to_string (info);
  g_assert_nonnull (strstr (text, "Subject: CN=localhost,O=Tern Test\n"));
  g_assert_nonnull (strstr (text, tern_certificate_info_get_sha256 (info)));

  self_info = tern_certificate_info_new (self_signed->certificate, &error);
  g_assert_no_error (error);
  g_assert_true (tern_certificate_info_is_self_signed (self_info));
  g_assert_cmpstr (tern_certificate_info_get_subject (self_info), ==, tern_certificate_info_get_subject (info));

  expired_info = tern_certificate_info_new (expired->certificate, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_date_time_get_year (tern_certificate_info_get_not_after (expired_info)), ==, 2020);

  g_assert_finalize_object (g_steal_pointer (&info));
}

static void
test_certificate_pins (void)
{
  guint8 a[TERN_CERTIFICATE_DIGEST_SIZE];
  guint8 b[TERN_CERTIFICATE_DIGEST_SIZE];
  const char *hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
  g_autofree char *colons = NULL;
  g_autoptr(GString) s = g_string_new (NULL);

  g_assert_true (tern_certificate_parse_pin (hex, a));
  g_assert_cmpuint (a[0], ==, 0x00);
  g_assert_cmpuint (a[31], ==, 0xff);
  for (guint i = 0; i < 64; i += 2)
    g_string_append_printf (s, "%s%c%c", i == 0 ? "" : ":", hex[i], hex[i + 1]);
  colons = g_string_free (g_steal_pointer (&s), FALSE);
  g_assert_true (tern_certificate_parse_pin (colons, b));
  g_assert_true (tern_certificate_digest_equal (a, b));
  b[31] ^= 1;
  g_assert_false (tern_certificate_digest_equal (a, b));

  g_assert_false (tern_certificate_parse_pin (NULL, a));
  g_assert_false (tern_certificate_parse_pin ("", a));
  g_assert_false (tern_certificate_parse_pin ("0011", a));
  g_assert_false (tern_certificate_parse_pin ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg", a));
  g_assert_false (tern_certificate_parse_pin ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", a));
  g_assert_false (tern_certificate_parse_pin ("00:", a));
}

static void
test_certificate_errors_text (void)
{
  g_auto(GStrv) none = tern_certificate_errors_to_strv (0);
  g_auto(GStrv) two = tern_certificate_errors_to_strv (G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_EXPIRED);
  g_autofree char *text = tern_certificate_errors_to_string (G_TLS_CERTIFICATE_BAD_IDENTITY);

  g_assert_cmpuint (g_strv_length (none), ==, 0);
  g_assert_cmpuint (g_strv_length (two), ==, 2);
  g_assert_nonnull (strstr (two[1], "expired"));
  g_assert_nonnull (strstr (text, "different server name"));
}

static void
test_protocol_log_escapes (void)
{
  g_autoptr(TernProtocolLog) log = tern_protocol_log_new ("test", 3);
  g_autofree char *text = NULL;
  static const char data[] = "* OK \x1b[31mred\x1b[0m \xe2\x80\xae" "evil\r\n* BYE\r\n";

  tern_protocol_log_append (log, 7, TERN_PROTOCOL_LOG_RECEIVED, data, sizeof data - 1);
  tern_protocol_log_append (log, 7, TERN_PROTOCOL_LOG_SENT, "a LOGOUT\r\n", -1);
  text = tern_protocol_log_dup_text (log);
  g_assert_cmpstr (text, ==,
                   "#7 S: * OK \\x1b[31mred\\x1b[0m \\u{202E}evil\n"
                   "#7 S: * BYE\n"
                   "#7 C: a LOGOUT\n");

  /* Only the last max-lines are kept. */
  tern_protocol_log_append (log, 7, TERN_PROTOCOL_LOG_EVENT, "closed", -1);
  g_clear_pointer (&text, g_free);
  text = tern_protocol_log_dup_text (log);
  g_assert_cmpstr (text, ==, "#7 S: * BYE\n#7 C: a LOGOUT\n#7 * closed\n");
}

static void
test_invalid_settings (void)
{
  g_autoptr(TernConnection) bad_pin = tern_connection_new ("127.0.0.1", 993, TERN_SECURITY_TLS, NULL, "abc");
  g_autoptr(TernConnection) bad_ca = tern_connection_new ("127.0.0.1", 993, TERN_SECURITY_TLS,
                                                          "/nonexistent/ca.pem", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (conn_connect (bad_pin, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (conn_connect (bad_ca, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "/nonexistent/ca.pem"));
}

static void
test_refused (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(TernConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* A port that was free a moment ago and has no listener. */
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  conn = tern_connection_new ("127.0.0.1", port, TERN_SECURITY_TLS, NULL, NULL);
  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "port"));
  g_assert_false (tern_connection_is_connected (conn));
}

static void
test_host_not_found (void)
{
  g_autoptr(TernConnection) conn = tern_connection_new ("no-such-host.invalid", 993, TERN_SECURITY_TLS, NULL, NULL);
  g_autoptr(GError) error = NULL;

  tern_connection_set_connect_timeout (conn, 20000);
  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_HOST_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-host.invalid"));
}

/* Tests: the fake server */

static void
test_fake_implicit_tls (void)
{
  g_autoptr(TernTestCert) cert = make_cert (TERN_TEST_CERT_VALID, "implicit-valid");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_tls_greet, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *reply = NULL;

  g_assert_cmpuint (tern_connection_get_generation (conn), ==, 0);
  g_assert_true (conn_connect (conn, &error));
  g_assert_no_error (error);
  g_assert_true (tern_connection_is_connected (conn));
  g_assert_true (tern_connection_is_tls (conn));
  g_assert_cmpuint (tern_connection_get_generation (conn), ==, 1);
  g_assert_cmphex (tern_connection_get_peer_certificate_errors (conn), ==, 0);
  g_assert_cmpstr (tern_certificate_info_get_pin (tern_connection_get_peer_certificate_info (conn)), ==,
                   cert->sha256);

  greeting = conn_read_line (conn, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (greeting, ==, "* OK fake TLS server ready");
  g_assert_true (conn_write (conn, "a NOOP\r\n", NULL, &error));
  reply = conn_read_line (conn, &error);
  g_assert_cmpstr (reply, ==, "a OK done");
  g_assert_cmpuint (tern_connection_get_buffered_size (conn), ==, 0);

  conn_close (conn);
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpint (server->bytes_after, ==, 0);
  g_assert_cmpstr (server->lines, ==, "a NOOP\n");
  g_assert_finalize_object (g_steal_pointer (&conn));
}

static void
check_implicit_refused (TernTestCertKind     kind,
                        const char          *name,
                        GTlsCertificateFlags expected)
{
  g_autoptr(TernTestCert) cert = make_cert (kind, name);
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_tls_greet, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;
  TernCertificateInfo *info;

  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE);
  g_assert_false (tern_connection_is_connected (conn));
  g_assert_cmphex (tern_connection_get_peer_certificate_errors (conn), ==, expected);

  /* The details to show the person come with the failure. */
  info = tern_connection_get_peer_certificate_info (conn);
  g_assert_nonnull (info);
  g_assert_cmpstr (tern_certificate_info_get_pin (info), ==, cert->sha256);
  g_assert_nonnull (strstr (error->message, tern_certificate_info_get_sha256 (info)));
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));

  /* The server never got as far as application data. */
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpuint (server->handshakes_done, ==, 0);
  g_assert_cmpuint (server->handshakes_failed, ==, 1);
  g_assert_null (server->lines);
}

static void
test_fake_implicit_self_signed (void)
{
  check_implicit_refused (TERN_TEST_CERT_SELF_SIGNED, "implicit-self", G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_fake_implicit_unknown_root (void)
{
  check_implicit_refused (TERN_TEST_CERT_UNKNOWN_ROOT, "implicit-unknown", G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_fake_implicit_wrong_host (void)
{
  check_implicit_refused (TERN_TEST_CERT_WRONG_HOST, "implicit-wronghost", G_TLS_CERTIFICATE_BAD_IDENTITY);
}

static void
test_fake_implicit_expired (void)
{
  check_implicit_refused (TERN_TEST_CERT_EXPIRED, "implicit-expired", G_TLS_CERTIFICATE_EXPIRED);
}

static void
test_fake_implicit_not_yet_valid (void)
{
  check_implicit_refused (TERN_TEST_CERT_NOT_YET_VALID, "implicit-future", G_TLS_CERTIFICATE_NOT_ACTIVATED);
}

static void
test_fake_implicit_tls_on_plain_port (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_plain_greet, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_TLS_FAILED);
  g_assert_false (tern_connection_is_connected (conn));
}

/* The STARTTLS dialogue of script_starttls, from the client side. */
static gboolean
do_starttls (TernConnection  *conn,
             GError         **error)
{
  g_autofree char *greeting = NULL;
  g_autofree char *reply = NULL;

  if (!conn_connect (conn, error))
    return FALSE;
  greeting = conn_read_line (conn, error);
  g_assert_nonnull (greeting);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));
  g_assert_true (conn_write (conn, "a STARTTLS\r\n", NULL, error));
  reply = conn_read_line (conn, error);
  g_assert_nonnull (reply);
  g_assert_true (g_str_has_prefix (reply, "a OK"));
  return conn_start_tls (conn, error);
}

static void
test_fake_starttls (void)
{
  g_autoptr(TernTestCert) cert = make_cert (TERN_TEST_CERT_VALID, "starttls-valid");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_starttls, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_STARTTLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  g_assert_true (do_starttls (conn, &error));
  g_assert_no_error (error);
  g_assert_true (tern_connection_is_tls (conn));
  /* Connect, then the TLS upgrade: everything from before is void. */
  g_assert_cmpuint (tern_connection_get_generation (conn), ==, 2);

  g_assert_true (conn_write (conn, "b NOOP\r\n", NULL, &error));
  reply = conn_read_line (conn, &error);
  g_assert_cmpstr (reply, ==, "b OK done");
  conn_close (conn);

  tern_test_fake_server_wait (server, 1);
  g_assert_cmpstr (server->lines, ==, "a STARTTLS\nb NOOP\n");
  g_assert_cmpint (server->bytes_after, ==, 0);
}

static void
check_starttls_refused (TernTestCertKind     kind,
                        const char          *name,
                        GTlsCertificateFlags expected)
{
  g_autoptr(TernTestCert) cert = make_cert (kind, name);
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_starttls, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_STARTTLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (do_starttls (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE);
  g_assert_cmphex (tern_connection_get_peer_certificate_errors (conn), ==, expected);
  g_assert_false (tern_connection_is_connected (conn));
  g_assert_cmpuint (tern_connection_get_generation (conn), ==, 1);

  /* Nothing after the STARTTLS command reached the server. */
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpuint (server->handshakes_done, ==, 0);
  g_assert_cmpstr (server->lines, ==, "a STARTTLS\n");
}

static void
test_fake_starttls_self_signed (void)
{
  check_starttls_refused (TERN_TEST_CERT_SELF_SIGNED, "starttls-self", G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_fake_starttls_unknown_root (void)
{
  check_starttls_refused (TERN_TEST_CERT_UNKNOWN_ROOT, "starttls-unknown", G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_fake_starttls_wrong_host (void)
{
  check_starttls_refused (TERN_TEST_CERT_WRONG_HOST, "starttls-wronghost", G_TLS_CERTIFICATE_BAD_IDENTITY);
}

static void
test_fake_starttls_expired (void)
{
  check_starttls_refused (TERN_TEST_CERT_EXPIRED, "starttls-expired", G_TLS_CERTIFICATE_EXPIRED);
}

static void
test_fake_starttls_not_yet_valid (void)
{
  check_starttls_refused (TERN_TEST_CERT_NOT_YET_VALID, "starttls-future", G_TLS_CERTIFICATE_NOT_ACTIVATED);
}

static void
test_fake_starttls_injection (void)
{
  g_autoptr(TernTestCert) cert = make_cert (TERN_TEST_CERT_VALID, "injection");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_starttls_injection, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_STARTTLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  g_assert_false (do_starttls (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INJECTION);
  g_assert_nonnull (strstr (error->message, "before the TLS handshake"));
  g_assert_false (tern_connection_is_connected (conn));
  g_assert_false (tern_connection_is_tls (conn));
  g_assert_cmpuint (tern_connection_get_buffered_size (conn), ==, 0);
  g_clear_error (&error);

  /* Closed: the injected line is never handed to the protocol. */
  line = conn_read_line (conn, &error);
  g_assert_null (line);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED);

  /* And nothing more was sent: no ClientHello, no command. */
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpint (server->bytes_after, ==, 0);
  g_assert_cmpstr (server->lines, ==, "a STARTTLS\n");
}

static void
test_fake_starttls_late_injection (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_starttls_late_injection, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_STARTTLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *reply = NULL;
  gint64 until;

  g_assert_true (conn_connect (conn, &error));
  greeting = conn_read_line (conn, &error);
  g_assert_true (conn_write (conn, "a STARTTLS\r\n", NULL, &error));
  reply = conn_read_line (conn, &error);
  g_assert_cmpstr (reply, ==, "a OK Begin TLS");

  /* The injected bytes now wait in the kernel, not in our buffer. */
  until = g_get_monotonic_time () + 300 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);
  g_assert_cmpuint (tern_connection_get_buffered_size (conn), ==, 0);

  g_assert_false (conn_start_tls (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INJECTION);
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpint (server->bytes_after, ==, 0);
}

static void
test_fake_secret_before_tls (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_plain_greet, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_STARTTLS, certs->ca_file, NULL);
  g_autoptr(TernProtocolLog) log = tern_protocol_log_new ("secret", 100);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *text = NULL;

  tern_connection_set_protocol_log (conn, log);
  g_assert_true (conn_connect (conn, &error));
  greeting = conn_read_line (conn, &error);
  g_assert_false (conn_write (conn, "a LOGIN alice hunter2\r\n", "a LOGIN alice " TERN_PROTOCOL_LOG_REDACTED, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INSECURE);
  g_assert_false (tern_connection_is_connected (conn));

  tern_test_fake_server_wait (server, 1);
  g_assert_cmpint (server->bytes_after, ==, 0);
  text = tern_protocol_log_dup_text (log);
  g_assert_null (strstr (text, "hunter2"));
}

static void
test_fake_plaintext_when_chosen (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_plain_greet, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;

  g_assert_true (conn_connect (conn, &error));
  g_assert_false (tern_connection_is_tls (conn));
  greeting = conn_read_line (conn, &error);
  g_assert_cmpstr (greeting, ==, "* OK plain fake ready");
  /* The person chose no encryption for this account. */
  g_assert_true (conn_write (conn, "a LOGIN alice hunter2\r\n", "a LOGIN alice " TERN_PROTOCOL_LOG_REDACTED, &error));
  g_assert_no_error (error);
  conn_close (conn);
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpint (server->bytes_after, ==, strlen ("a LOGIN alice hunter2\r\n"));
}

static void
test_fake_pin_accepted (void)
{
  g_autoptr(TernTestCert) a = make_cert (TERN_TEST_CERT_SELF_SIGNED, "pin-a");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_tls_greet, a->certificate);
  /* No CA file: only the pin can make this certificate acceptable. */
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, NULL, a->sha256);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;

  g_assert_true (conn_connect (conn, &error));
  g_assert_no_error (error);
  g_assert_true (tern_connection_is_tls (conn));
  g_assert_cmphex (tern_connection_get_peer_certificate_errors (conn) & G_TLS_CERTIFICATE_UNKNOWN_CA, !=, 0);
  greeting = conn_read_line (conn, &error);
  g_assert_cmpstr (greeting, ==, "* OK fake TLS server ready");
  conn_close (conn);
}

static void
test_fake_pin_other_certificate (void)
{
  g_autoptr(TernTestCert) a = make_cert (TERN_TEST_CERT_SELF_SIGNED, "pin-a2");
  g_autoptr(TernTestCert) b = make_cert (TERN_TEST_CERT_SELF_SIGNED, "pin-b2");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_tls_greet, b->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, NULL, a->sha256);
  g_autoptr(GError) error = NULL;
  TernCertificateInfo *info;
  g_autoptr(TernCertificateInfo) info_a = tern_certificate_info_new (a->certificate, NULL);

  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE);

  /* B looks like A to a person reading the subject; it is not A. */
  info = tern_connection_get_peer_certificate_info (conn);
  g_assert_cmpstr (tern_certificate_info_get_subject (info), ==, tern_certificate_info_get_subject (info_a));
  g_assert_cmpstr (tern_certificate_info_get_pin (info), ==, b->sha256);
  g_assert_cmpstr (a->sha256, !=, b->sha256);
  tern_test_fake_server_wait (server, 1);
  g_assert_null (server->lines);
}

static void
test_fake_pin_starttls (void)
{
  g_autoptr(TernTestCert) a = make_cert (TERN_TEST_CERT_EXPIRED, "pin-starttls");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_starttls, a->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_STARTTLS, certs->ca_file, NULL);
  g_autoptr(GError) error = NULL;

  /* The colon form people copy from a dialog works too. */
  {
    g_autoptr(TernCertificateInfo) info = tern_certificate_info_new (a->certificate, NULL);

    tern_connection_set_pinned_sha256 (conn, tern_certificate_info_get_sha256 (info));
    g_assert_cmpstr (tern_connection_get_pinned_sha256 (conn), ==, a->sha256);
  }
  g_assert_true (do_starttls (conn, &error));
  g_assert_no_error (error);
  g_assert_cmphex (tern_connection_get_peer_certificate_errors (conn), ==, G_TLS_CERTIFICATE_EXPIRED);
  conn_close (conn);
}

static void
pinned_changed_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_fake_prompt_trust_once (void)
{
  g_autoptr(TernTestCert) cert = make_cert (TERN_TEST_CERT_SELF_SIGNED, "prompt-once");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_tls_greet, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, certs->ca_file, NULL);
  g_autoptr(TestPrompt) prompt = test_prompt_new (TERN_CERTIFICATE_DECISION_TRUST_ONCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  guint notified = 0;

  tern_connection_set_certificate_prompt (conn, TERN_CERTIFICATE_PROMPT (prompt));
  g_signal_connect (conn, "notify::pinned-sha256", G_CALLBACK (pinned_changed_cb), &notified);

  g_assert_true (conn_connect (conn, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (prompt->asked, ==, 1);
  g_assert_cmpstr (prompt->pin, ==, cert->sha256);
  g_assert_cmpstr (prompt->host, ==, "127.0.0.1");
  g_assert_cmphex (prompt->errors, ==, G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_cmpuint (notified, ==, 0);
  g_assert_null (tern_connection_get_pinned_sha256 (conn));
  greeting = conn_read_line (conn, &error);
  g_assert_cmpstr (greeting, ==, "* OK fake TLS server ready");
  conn_close (conn);

  /* Trusted for the session: reconnecting asks no more. */
  g_assert_true (conn_connect (conn, &error));
  g_assert_cmpuint (prompt->asked, ==, 1);
  conn_close (conn);
  tern_test_fake_server_wait (server, 3);
  g_assert_cmpuint (server->accepted, ==, 3);
}

static void
test_fake_prompt_reject (void)
{
  g_autoptr(TernTestCert) cert = make_cert (TERN_TEST_CERT_UNKNOWN_ROOT, "prompt-reject");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_tls_greet, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, certs->ca_file, NULL);
  g_autoptr(TestPrompt) prompt = test_prompt_new (TERN_CERTIFICATE_DECISION_REJECT);
  g_autoptr(GError) error = NULL;

  tern_connection_set_certificate_prompt (conn, TERN_CERTIFICATE_PROMPT (prompt));
  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE);
  g_assert_cmpuint (prompt->asked, ==, 1);
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpuint (server->accepted, ==, 1);
}

static void
test_fake_prompt_trust_always (void)
{
  g_autoptr(TernTestCert) cert = make_cert (TERN_TEST_CERT_WRONG_HOST, "prompt-always");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_tls_greet, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, certs->ca_file, NULL);
  g_autoptr(TernConnection) later = NULL;
  g_autoptr(TestPrompt) prompt = test_prompt_new (TERN_CERTIFICATE_DECISION_TRUST_ALWAYS);
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  tern_connection_set_certificate_prompt (conn, TERN_CERTIFICATE_PROMPT (prompt));
  g_signal_connect (conn, "notify::pinned-sha256", G_CALLBACK (pinned_changed_cb), &notified);
  g_assert_true (conn_connect (conn, &error));
  g_assert_no_error (error);
  g_assert_cmphex (prompt->errors, ==, G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpstr (tern_connection_get_pinned_sha256 (conn), ==, cert->sha256);
  conn_close (conn);

  /* What the app saves in the account: a new connection needs no prompt. */
  later = fake_connection (server, TERN_SECURITY_TLS, certs->ca_file, tern_connection_get_pinned_sha256 (conn));
  g_assert_true (conn_connect (later, &error));
  g_assert_no_error (error);
  conn_close (later);
}

static void
test_fake_prompt_starttls (void)
{
  g_autoptr(TernTestCert) cert = make_cert (TERN_TEST_CERT_SELF_SIGNED, "prompt-starttls");
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_starttls, cert->certificate);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_STARTTLS, certs->ca_file, NULL);
  g_autoptr(TestPrompt) prompt = test_prompt_new (TERN_CERTIFICATE_DECISION_TRUST_ONCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  tern_connection_set_certificate_prompt (conn, TERN_CERTIFICATE_PROMPT (prompt));
  g_assert_false (do_starttls (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_RECONNECT);
  g_assert_cmpuint (prompt->asked, ==, 1);
  g_assert_false (tern_connection_is_connected (conn));
  g_clear_error (&error);

  /* The protocol connects again and redoes its dialogue. */
  g_assert_true (do_starttls (conn, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (prompt->asked, ==, 1);
  g_assert_true (conn_write (conn, "b NOOP\r\n", NULL, &error));
  reply = conn_read_line (conn, &error);
  g_assert_cmpstr (reply, ==, "b OK done");
  conn_close (conn);
}

static void
test_fake_read_timeout (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_silent, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gint64 start;

  tern_connection_set_read_timeout (conn, 300);
  g_assert_true (conn_connect (conn, &error));
  start = g_get_monotonic_time ();
  line = conn_read_line (conn, &error);
  g_assert_null (line);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 290 * 1000);
  g_assert_false (tern_connection_is_connected (conn));
  tern_test_fake_server_wait (server, 1);
}

static void
test_fake_connect_timeout (void)
{
  /* TCP is accepted, the TLS handshake never answered. */
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_silent, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, NULL, NULL);
  g_autoptr(GError) error = NULL;

  tern_connection_set_connect_timeout (conn, 300);
  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT);
  g_assert_false (tern_connection_is_connected (conn));
}

static void
test_fake_line_too_long (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_long_lines, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *exact = NULL;
  g_autofree char *over = NULL;

  tern_connection_set_max_line_length (conn, 1024);
  g_assert_true (conn_connect (conn, &error));
  exact = conn_read_line (conn, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (exact), ==, 1024);
  over = conn_read_line (conn, &error);
  g_assert_null (over);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_LINE_TOO_LONG);
  g_assert_false (tern_connection_is_connected (conn));
}

static void
test_fake_endless_line (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_endless_line, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  tern_connection_set_max_line_length (conn, 4096);
  g_assert_true (conn_connect (conn, &error));
  line = conn_read_line (conn, &error);
  g_assert_null (line);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_LINE_TOO_LONG);
  tern_test_fake_server_wait (server, 1);
}

static void
test_fake_closed_mid_line (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_close_mid_line, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  g_assert_true (conn_connect (conn, &error));
  first = conn_read_line (conn, &error);
  g_assert_cmpstr (first, ==, "* OK complete line");
  second = conn_read_line (conn, &error);
  g_assert_null (second);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, "middle"));
  g_assert_false (tern_connection_is_connected (conn));
  g_clear_error (&error);
  third = conn_read_line (conn, &error);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static void
test_fake_cancel_read (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_wait_then_line, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  g_assert_true (conn_connect (conn, &error));
  g_timeout_add (50, cancel_cb, cancellable);
  tern_connection_read_line_async (conn, cancellable, got_result_cb, &result);
  bytes = tern_connection_read_line_finish (conn, wait_for (&result), &error);
  g_assert_null (bytes);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CANCELLED);
  g_clear_error (&error);

  /* A cancelled read loses nothing: the connection is still good. */
  g_assert_true (tern_connection_is_connected (conn));
  tern_test_fake_server_go (server);
  line = conn_read_line (conn, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "* OK after the cancel");
  conn_close (conn);
}

static void
test_fake_cancel_connect (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_silent, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_TLS, NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_timeout_add (100, cancel_cb, cancellable);
  tern_connection_connect_async (conn, cancellable, got_result_cb, &result);
  g_assert_false (tern_connection_connect_finish (conn, wait_for (&result), &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CANCELLED);
  g_assert_false (tern_connection_is_connected (conn));
}

static void
test_fake_close_while_reading (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_silent, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GAsyncResult) read_result = NULL;
  g_autoptr(GAsyncResult) close_result = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (conn_connect (conn, &error));
  tern_connection_read_line_async (conn, NULL, got_result_cb, &read_result);
  tern_connection_close_async (conn, NULL, got_result_cb, &close_result);
  g_assert_true (tern_connection_close_finish (conn, wait_for (&close_result), NULL));
  bytes = tern_connection_read_line_finish (conn, wait_for (&read_result), &error);
  g_assert_null (bytes);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED);
  g_assert_false (tern_connection_is_connected (conn));
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpint (server->bytes_after, ==, 0);
  g_clear_object (&read_result);
  g_clear_object (&close_result);
  g_assert_finalize_object (g_steal_pointer (&conn));
}

static void
test_fake_read_and_write_overlap (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_idle, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GAsyncResult) read_result = NULL;
  g_autoptr(GAsyncResult) write_result = NULL;
  g_autoptr(GBytes) done = g_bytes_new_static ("DONE\r\n", 6);
  g_autoptr(GBytes) line = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *continuation = NULL;

  g_assert_true (conn_connect (conn, &error));
  g_assert_true (conn_write (conn, "a IDLE\r\n", NULL, &error));
  continuation = conn_read_line (conn, &error);
  g_assert_cmpstr (continuation, ==, "+ idling");

  tern_connection_read_line_async (conn, NULL, got_result_cb, &read_result);
  tern_connection_write_async (conn, done, NULL, NULL, got_result_cb, &write_result);
  g_assert_true (tern_connection_write_finish (conn, wait_for (&write_result), &error));
  g_assert_no_error (error);
  line = tern_connection_read_line_finish (conn, wait_for (&read_result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_bytes_get_data (line, NULL), ==, "a OK IDLE terminated");
  conn_close (conn);
}

static void
test_fake_line_and_literal_reads (void)
{
  g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_pieces, NULL);
  g_autoptr(TernConnection) conn = fake_connection (server, TERN_SECURITY_NONE, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) nul_line = NULL;
  g_autoptr(GBytes) hello = NULL;
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GBytes) too_big = NULL;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *literal = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *big_literal = NULL;
  g_autofree char *tail = NULL;

  g_assert_true (conn_connect (conn, &error));
  one = conn_read_line (conn, &error);
  g_assert_cmpstr (one, ==, "* OK one");
  two = conn_read_line (conn, &error);
  g_assert_cmpstr (two, ==, "* OK two");
  empty = conn_read_line (conn, &error);
  g_assert_cmpstr (empty, ==, "");
  bare = conn_read_line (conn, &error);
  g_assert_cmpstr (bare, ==, "bare LF");

  tern_connection_read_line_async (conn, NULL, got_result_cb, &result);
  nul_line = tern_connection_read_line_finish (conn, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (nul_line, NULL), g_bytes_get_size (nul_line), "nul\0byte", 8);

  literal = conn_read_line (conn, &error);
  g_assert_cmpstr (literal, ==, "{5}");
  hello = conn_read_bytes (conn, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (hello, NULL), g_bytes_get_size (hello), "hello", 5);
  rest = conn_read_line (conn, &error);
  g_assert_cmpstr (rest, ==, " world");

  big_literal = conn_read_line (conn, &error);
  g_assert_cmpstr (big_literal, ==, "{204800}");
  big = conn_read_bytes (conn, 200 * 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (big), ==, 200 * 1024);
  g_assert_cmpint (((const char *) g_bytes_get_data (big, NULL))[200 * 1024 - 1], ==, 'b');
  tail = conn_read_line (conn, &error);
  g_assert_cmpstr (tail, ==, "tail");

  /* A literal larger than allowed is refused before anything is allocated. */
  tern_connection_set_max_read_size (conn, 1024);
  too_big = conn_read_bytes (conn, 1025, &error);
  g_assert_null (too_big);
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_TOO_LARGE);
  g_assert_false (tern_connection_is_connected (conn));
}

/* Tests: the sandbox's real servers */

static char *
sandbox_server_pin (void)
{
  g_autofree char *pem = g_build_filename (sandbox->dir, "tls", "server.pem", NULL);
  g_autoptr(GError) error = NULL;
  char *pin = tern_test_cert_file_sha256 (pem, &error);

  g_assert_no_error (error);
  return pin;
}

static void
test_sandbox_implicit_verified (void)
{
  static const struct
  {
    const char *name;
    gsize port_offset;
    const char *greeting;
  } servers[] = {
    { "imaps", G_STRUCT_OFFSET (TernTestSandbox, imaps_port), "* OK" },
    { "pop3s", G_STRUCT_OFFSET (TernTestSandbox, pop3s_port), "+OK" },
    { "smtps", G_STRUCT_OFFSET (TernTestSandbox, smtps_port), "220" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      guint16 port = G_STRUCT_MEMBER (guint16, sandbox, servers[i].port_offset);
      g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, port, TERN_SECURITY_TLS,
                                                            sandbox->ca_file, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *greeting = NULL;

      g_test_message ("%s on port %u", servers[i].name, port);
      g_assert_true (conn_connect (conn, &error));
      g_assert_no_error (error);
      g_assert_true (tern_connection_is_tls (conn));
      greeting = conn_read_line (conn, &error);
      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (greeting, servers[i].greeting));
      conn_close (conn);
    }
}

static void
test_sandbox_without_ca (void)
{
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->imaps_port, TERN_SECURITY_TLS,
                                                        NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *pin = sandbox_server_pin ();
  TernCertificateInfo *info;

  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE);
  g_assert_cmphex (tern_connection_get_peer_certificate_errors (conn) & G_TLS_CERTIFICATE_UNKNOWN_CA, !=, 0);
  info = tern_connection_get_peer_certificate_info (conn);
  g_assert_nonnull (info);
  g_assert_cmpstr (tern_certificate_info_get_subject (info), ==, "CN=localhost,O=Tern");
  g_assert_cmpstr (tern_certificate_info_get_issuer (info), ==, "CN=Tern Sandbox Test CA,O=Tern");
  g_assert_true (g_strv_contains (tern_certificate_info_get_subject_alt_names (info), "IP:127.0.0.1"));
  g_assert_cmpstr (tern_certificate_info_get_pin (info), ==, pin);
}

static void
test_sandbox_wrong_host (void)
{
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->imaps_port, TERN_SECURITY_TLS,
                                                        sandbox->ca_file, NULL);
  g_autoptr(GError) error = NULL;

  tern_connection_set_server_identity (conn, "wronghost.test");
  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE);
  g_assert_cmphex (tern_connection_get_peer_certificate_errors (conn), ==, G_TLS_CERTIFICATE_BAD_IDENTITY);
}

static void
test_sandbox_pinned (void)
{
  g_autofree char *pin = sandbox_server_pin ();
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->imaps_port, TERN_SECURITY_TLS,
                                                        NULL, pin);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;

  g_assert_true (conn_connect (conn, &error));
  g_assert_no_error (error);
  greeting = conn_read_line (conn, &error);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));
  conn_close (conn);
}

static void
test_sandbox_other_pin (void)
{
  g_autoptr(TernTestCert) other = make_cert (TERN_TEST_CERT_VALID, "sandbox-other-pin");
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->imaps_port, TERN_SECURITY_TLS,
                                                        NULL, other->sha256);
  g_autoptr(GError) error = NULL;

  g_assert_false (conn_connect (conn, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE);
}

static void
test_sandbox_starttls (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->imap_port, TERN_SECURITY_STARTTLS,
                                                        sandbox->ca_file, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *capabilities = NULL;
  g_autofree char *login = NULL;
  g_autofree char *logged_in = NULL;

  g_assert_true (conn_connect (conn, &error));
  g_assert_false (tern_connection_is_tls (conn));
  greeting = conn_read_line (conn, &error);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));
  g_assert_nonnull (strstr (greeting, "LOGINDISABLED"));

  g_assert_true (conn_write (conn, "a STARTTLS\r\n", NULL, &error));
  reply = conn_read_until_tagged (conn, "a ");
  g_assert_true (g_str_has_prefix (reply, "a OK"));
  g_assert_true (conn_start_tls (conn, &error));
  g_assert_no_error (error);
  g_assert_true (tern_connection_is_tls (conn));
  g_assert_cmpuint (tern_connection_get_generation (conn), ==, 2);

  /* Capabilities are asked again after the handshake. */
  g_assert_true (conn_write (conn, "b CAPABILITY\r\n", NULL, &error));
  capabilities = conn_read_until_tagged (conn, "b ");
  g_assert_nonnull (strstr (capabilities, "AUTH=PLAIN"));
  g_assert_null (strstr (capabilities, "LOGINDISABLED"));

  login = g_strdup_printf ("c LOGIN %s %s\r\n", alice->name, alice->password);
  g_assert_true (conn_write (conn, login, "c LOGIN alice " TERN_PROTOCOL_LOG_REDACTED, &error));
  logged_in = conn_read_until_tagged (conn, "c ");
  g_assert_true (g_str_has_prefix (logged_in, "c OK"));
  conn_close (conn);
}

static void
test_sandbox_stls_and_smtp_starttls (void)
{
  g_autoptr(TernConnection) pop = tern_connection_new (sandbox->host, sandbox->pop3_port, TERN_SECURITY_STARTTLS,
                                                       sandbox->ca_file, NULL);
  g_autoptr(TernConnection) smtp = tern_connection_new (sandbox->host, sandbox->smtp_port, TERN_SECURITY_STARTTLS,
                                                        sandbox->ca_file, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *pop_greeting = NULL;
  g_autofree char *pop_reply = NULL;
  g_autofree char *smtp_greeting = NULL;
  g_autofree char *smtp_ehlo = NULL;
  g_autofree char *smtp_reply = NULL;

  g_assert_true (conn_connect (pop, &error));
  pop_greeting = conn_read_line (pop, &error);
  g_assert_true (g_str_has_prefix (pop_greeting, "+OK"));
  g_assert_true (conn_write (pop, "STLS\r\n", NULL, &error));
  pop_reply = conn_read_line (pop, &error);
  g_assert_true (g_str_has_prefix (pop_reply, "+OK"));
  g_assert_true (conn_start_tls (pop, &error));
  g_assert_no_error (error);
  conn_close (pop);

  g_assert_true (conn_connect (smtp, &error));
  smtp_greeting = conn_read_line (smtp, &error);
  g_assert_true (g_str_has_prefix (smtp_greeting, "220"));
  g_assert_true (conn_write (smtp, "EHLO client.test\r\n", NULL, &error));
  smtp_ehlo = conn_read_until_tagged (smtp, "250 ");
  g_assert_nonnull (strstr (smtp_ehlo, "STARTTLS"));
  g_assert_true (conn_write (smtp, "STARTTLS\r\n", NULL, &error));
  smtp_reply = conn_read_line (smtp, &error);
  g_assert_true (g_str_has_prefix (smtp_reply, "220"));
  g_assert_true (conn_start_tls (smtp, &error));
  g_assert_no_error (error);
  conn_close (smtp);
}

static void
test_sandbox_protocol_log_redacts (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->imaps_port, TERN_SECURITY_TLS,
                                                        sandbox->ca_file, NULL);
  g_autoptr(TernProtocolLog) log = tern_protocol_log_new ("alice imap", 1000);
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *login = NULL;
  g_autofree char *login_reply = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *plain_b64 = NULL;
  g_autofree char *plain_line = NULL;
  g_autofree char *continuation = NULL;
  g_autofree char *auth_reply = NULL;
  g_autofree char *text = NULL;
  gsize plain_len;

  tern_connection_set_protocol_log (conn, log);
  g_assert_true (conn_connect (conn, &error));
  greeting = conn_read_line (conn, &error);

  login = g_strdup_printf ("a LOGIN %s %s\r\n", alice->name, alice->password);
  g_assert_true (conn_write (conn, login, "a LOGIN alice " TERN_PROTOCOL_LOG_REDACTED, &error));
  login_reply = conn_read_until_tagged (conn, "a ");
  g_assert_true (g_str_has_prefix (login_reply, "a OK"));
  conn_close (conn);

  /* SASL PLAIN: the payload is the secret, in base64. */
  g_assert_true (conn_connect (conn, &error));
  g_clear_pointer (&greeting, g_free);
  greeting = conn_read_line (conn, &error);
  g_assert_true (conn_write (conn, "b AUTHENTICATE PLAIN\r\n", NULL, &error));
  continuation = conn_read_line (conn, &error);
  g_assert_true (g_str_has_prefix (continuation, "+"));
  plain_len = strlen (alice->name) * 2 + strlen (alice->password) + 2;
  plain = g_strdup_printf ("%s%c%s%c%s", alice->name, '\0', alice->name, '\0', alice->password);
  plain_b64 = g_base64_encode ((const guchar *) plain, plain_len);
  plain_line = g_strconcat (plain_b64, "\r\n", NULL);
  g_assert_true (conn_write (conn, plain_line, TERN_PROTOCOL_LOG_REDACTED, &error));
  auth_reply = conn_read_until_tagged (conn, "b ");
  g_assert_true (g_str_has_prefix (auth_reply, "b OK"));
  conn_close (conn);

  text = tern_protocol_log_dup_text (log);
  g_test_message ("%s", text);
  g_assert_null (strstr (text, alice->password));
  g_assert_null (strstr (text, plain_b64));
  g_assert_nonnull (strstr (text, " C: a LOGIN alice <redacted>\n"));
  g_assert_nonnull (strstr (text, " C: <redacted>\n"));
  g_assert_nonnull (strstr (text, " C: b AUTHENTICATE PLAIN\n"));
  g_assert_nonnull (strstr (text, " S: * OK"));
  g_assert_nonnull (strstr (text, "certificate verified"));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  certs = tern_test_certs_new (&error);
  g_assert_no_error (error);
  sandbox = tern_test_sandbox_start ("--messages 2 --no-keyring", &error);
  g_assert_no_error (error);

  g_test_add_func ("/tern/net/certificate-info/details", test_certificate_info);
  g_test_add_func ("/tern/net/certificate-info/pins", test_certificate_pins);
  g_test_add_func ("/tern/net/certificate-info/errors-text", test_certificate_errors_text);
  g_test_add_func ("/tern/net/protocol-log/escapes", test_protocol_log_escapes);
  g_test_add_func ("/tern/net/connection/invalid-settings", test_invalid_settings);
  g_test_add_func ("/tern/net/connection/refused", test_refused);
  g_test_add_func ("/tern/net/connection/host-not-found", test_host_not_found);

  g_test_add_func ("/tern/net/fake/implicit-tls/valid", test_fake_implicit_tls);
  g_test_add_func ("/tern/net/fake/implicit-tls/self-signed", test_fake_implicit_self_signed);
  g_test_add_func ("/tern/net/fake/implicit-tls/unknown-root", test_fake_implicit_unknown_root);
  g_test_add_func ("/tern/net/fake/implicit-tls/wrong-host", test_fake_implicit_wrong_host);
  g_test_add_func ("/tern/net/fake/implicit-tls/expired", test_fake_implicit_expired);
  g_test_add_func ("/tern/net/fake/implicit-tls/not-yet-valid", test_fake_implicit_not_yet_valid);
  g_test_add_func ("/tern/net/fake/implicit-tls/plain-port", test_fake_implicit_tls_on_plain_port);
  g_test_add_func ("/tern/net/fake/starttls/valid", test_fake_starttls);
  g_test_add_func ("/tern/net/fake/starttls/self-signed", test_fake_starttls_self_signed);
  g_test_add_func ("/tern/net/fake/starttls/unknown-root", test_fake_starttls_unknown_root);
  g_test_add_func ("/tern/net/fake/starttls/wrong-host", test_fake_starttls_wrong_host);
  g_test_add_func ("/tern/net/fake/starttls/expired", test_fake_starttls_expired);
  g_test_add_func ("/tern/net/fake/starttls/not-yet-valid", test_fake_starttls_not_yet_valid);
  g_test_add_func ("/tern/net/fake/starttls/injection", test_fake_starttls_injection);
  g_test_add_func ("/tern/net/fake/starttls/late-injection", test_fake_starttls_late_injection);
  g_test_add_func ("/tern/net/fake/starttls/secret-before-tls", test_fake_secret_before_tls);
  g_test_add_func ("/tern/net/fake/plaintext-when-chosen", test_fake_plaintext_when_chosen);
  g_test_add_func ("/tern/net/fake/pin/accepted", test_fake_pin_accepted);
  g_test_add_func ("/tern/net/fake/pin/other-certificate", test_fake_pin_other_certificate);
  g_test_add_func ("/tern/net/fake/pin/starttls", test_fake_pin_starttls);
  g_test_add_func ("/tern/net/fake/prompt/trust-once", test_fake_prompt_trust_once);
  g_test_add_func ("/tern/net/fake/prompt/reject", test_fake_prompt_reject);
  g_test_add_func ("/tern/net/fake/prompt/trust-always", test_fake_prompt_trust_always);
  g_test_add_func ("/tern/net/fake/prompt/starttls", test_fake_prompt_starttls);
  g_test_add_func ("/tern/net/fake/read-timeout", test_fake_read_timeout);
  g_test_add_func ("/tern/net/fake/connect-timeout", test_fake_connect_timeout);
  g_test_add_func ("/tern/net/fake/line-too-long", test_fake_line_too_long);
  g_test_add_func ("/tern/net/fake/endless-line", test_fake_endless_line);
  g_test_add_func ("/tern/net/fake/closed-mid-line", test_fake_closed_mid_line);
  g_test_add_func ("/tern/net/fake/cancel-read", test_fake_cancel_read);
  g_test_add_func ("/tern/net/fake/cancel-connect", test_fake_cancel_connect);
  g_test_add_func ("/tern/net/fake/close-while-reading", test_fake_close_while_reading);
  g_test_add_func ("/tern/net/fake/lines-and-literals", test_fake_line_and_literal_reads);
  g_test_add_func ("/tern/net/fake/read-write-overlap", test_fake_read_and_write_overlap);

  g_test_add_func ("/tern/net/sandbox/implicit-tls-verified", test_sandbox_implicit_verified);
  g_test_add_func ("/tern/net/sandbox/without-ca", test_sandbox_without_ca);
  g_test_add_func ("/tern/net/sandbox/wrong-host", test_sandbox_wrong_host);
  g_test_add_func ("/tern/net/sandbox/pinned", test_sandbox_pinned);
  g_test_add_func ("/tern/net/sandbox/other-pin", test_sandbox_other_pin);
  g_test_add_func ("/tern/net/sandbox/imap-starttls", test_sandbox_starttls);
  g_test_add_func ("/tern/net/sandbox/pop3-stls-smtp-starttls", test_sandbox_stls_and_smtp_starttls);
  g_test_add_func ("/tern/net/sandbox/protocol-log-redacts", test_sandbox_protocol_log_redacts);

  ret = g_test_run ();

  tern_test_sandbox_stop (sandbox);
  tern_test_certs_free (certs);
  return ret;
}
