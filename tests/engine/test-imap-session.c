/* test-imap-session.c: TernImapSession against the sandbox's Dovecot and
 * against a scripted fake server that misbehaves on purpose.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-imap-session"

#include <string.h>

#include "tern-engine.h"
#include "tern-imap-session.h"
#include "tern-test-fake-server.h"
#include "tern-test-sandbox.h"

static TernTestSandbox *sandbox;

static TernAccount *
make_account (const char   *host,
              guint16       port,
              TernSecurity  security,
              const char   *user)
{
  TernAccount *account = tern_account_new ("0123456789abcdef0123456789abcdef");

  tern_account_set_host (account, host);
  tern_account_set_port (account, port);
  tern_account_set_security (account, security);
  tern_account_set_username (account, user);
  if (sandbox != NULL)
    tern_account_set_ca_file (account, sandbox->ca_file);
  return account;
}

static gboolean
session_connect (TernImapSession  *session,
                 const char       *password,
                 GError          **error)
{
  TernWait wait;
  gboolean ok;

  tern_wait_begin (&wait);
  tern_imap_session_connect_async (session, password, NULL, tern_wait_cb, &wait);
  ok = tern_imap_session_connect_finish (session, tern_wait_end (&wait), error);
  tern_wait_clear (&wait);
  return ok;
}

static GPtrArray *
session_list (TernImapSession *session)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *list;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_imap_session_list_async (session, NULL, tern_wait_cb, &wait);
  list = tern_imap_session_list_finish (session, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  return list;
}

static void
session_logout (TernImapSession *session)
{
  TernWait wait;

  tern_wait_begin (&wait);
  tern_imap_session_logout_async (session, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_imap_session_logout_finish (session, tern_wait_end (&wait), NULL));
  tern_wait_clear (&wait);
}

static TernImapSession *
sandbox_session (TernSecurity security,
                 TernProtocolLog **log_out)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernAccount) account = make_account (sandbox->host,
                                                 security == TERN_SECURITY_TLS ? sandbox->imaps_port : sandbox->imap_port,
                                                 security, alice->name);
  TernImapSession *session = tern_imap_session_new (account);
  TernProtocolLog *log = tern_protocol_log_new ("imap", 10000);

  tern_connection_set_protocol_log (tern_imap_session_get_connection (session), log);
  if (log_out != NULL)
    *log_out = log;
  else
    g_object_unref (log);
  return session;
}

static void
test_login_imaps (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernProtocolLog) log = NULL;
  g_autoptr(TernImapSession) session = sandbox_session (TERN_SECURITY_TLS, &log);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint64 used = 0, limit = 0;
  TernWait wait;

  g_assert_true (session_connect (session, alice->password, &error));
  g_assert_no_error (error);
  g_assert_true (tern_imap_session_is_authenticated (session));
  g_assert_true (tern_imap_session_is_enabled (session, "QRESYNC"));
  g_assert_true (tern_imap_session_is_enabled (session, "CONDSTORE"));

  tern_wait_begin (&wait);
  tern_imap_session_get_quota_async (session, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_imap_session_get_quota_finish (session, tern_wait_end (&wait), &used, &limit, &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_cmpuint (limit, >, 0);

  tern_wait_begin (&wait);
  tern_imap_session_noop_async (session, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_imap_session_noop_finish (session, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  session_logout (session);

  text = tern_protocol_log_dup_text (log);
  g_assert_nonnull (strstr (text, "AUTHENTICATE PLAIN"));
  g_assert_null (strstr (text, alice->password));
}

static void
test_login_starttls (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernProtocolLog) log = NULL;
  g_autoptr(TernImapSession) session = sandbox_session (TERN_SECURITY_STARTTLS, &log);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true (session_connect (session, alice->password, &error));
  g_assert_no_error (error);
  g_assert_true (tern_connection_is_tls (tern_imap_session_get_connection (session)));
  g_assert_false (tern_imap_session_has_capability (session, "LOGINDISABLED"));
  session_logout (session);
  text = tern_protocol_log_dup_text (log);
  g_assert_nonnull (strstr (text, "STARTTLS"));
  g_assert_null (strstr (text, alice->password));
}

static void
test_wrong_password (void)
{
  g_autoptr(TernImapSession) session = sandbox_session (TERN_SECURITY_TLS, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (session_connect (session, "not-the-password", &error));
  g_assert_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "did not accept the user name or password"));
  g_assert_nonnull (strstr (error->message, sandbox->host));
}

static void
test_list_roles (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernImapSession) session = sandbox_session (TERN_SECURITY_TLS, NULL);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GHashTable) roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gboolean found_recus = FALSE;

  g_assert_true (session_connect (session, alice->password, NULL));
  list = session_list (session);
  for (guint i = 0; i < list->len; i++)
    {
      TernImapResponse *response = g_ptr_array_index (list, i);
      const char *role = tern_imap_mailbox_get_role (response->mailbox);

      if (role != NULL)
        g_hash_table_insert (roles, g_strdup (role), g_strdup (response->mailbox->name));
      if (g_strcmp0 (response->mailbox->name, "Reçus") == 0)
        found_recus = TRUE;
    }
  g_assert_true (found_recus);
  g_assert_cmpstr (g_hash_table_lookup (roles, "inbox"), ==, "INBOX");
  g_assert_cmpstr (g_hash_table_lookup (roles, "sent"), ==, "Sent");
  g_assert_cmpstr (g_hash_table_lookup (roles, "drafts"), ==, "Drafts");
  g_assert_cmpstr (g_hash_table_lookup (roles, "trash"), ==, "Trash");
  g_assert_cmpstr (g_hash_table_lookup (roles, "junk"), ==, "Junk");
  g_assert_cmpstr (g_hash_table_lookup (roles, "archive"), ==, "Archive");
  session_logout (session);
}

/* A fake server on loopback: each connection runs a script on a thread. */

typedef struct
{
  GSocketListener *listener;
  GThread        *thread;
  guint16         port;
  const char     *greeting;     /* sent first */
  const char * const *replies;  /* "prefix=reply" by command name, "*" tag stands for the tag */
  GMutex          mutex;
  GString        *received;
  gboolean        done;
} FakeServer;

static char *
fake_read_line (GInputStream *in)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char c;

  while (g_input_stream_read (in, &c, 1, NULL, NULL) == 1)
    {
      if (c == '\n')
        return g_string_free (g_steal_pointer (&line), FALSE);
      if (c != '\r')
        g_string_append_c (line, c);
    }
  return NULL;
}

/* Accepts one connection on its own thread (tests wait on private contexts). */
static gpointer
fake_thread (gpointer user_data)
{
  FakeServer *server = user_data;
  g_autoptr(GSocketConnection) connection = g_socket_listener_accept (server->listener, NULL, NULL, NULL);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  char *line;

  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  g_output_stream_write_all (out, server->greeting, strlen (server->greeting), NULL, NULL, NULL);
  while ((line = fake_read_line (in)) != NULL)
    {
      g_auto(GStrv) words = g_strsplit (line, " ", 3);
      gboolean answered = FALSE;

      g_mutex_lock (&server->mutex);
      g_string_append_printf (server->received, "%s\n", line);
      g_mutex_unlock (&server->mutex);
      for (guint i = 0; server->replies != NULL && server->replies[i] != NULL && words[0] != NULL && words[1] != NULL; i++)
        {
          const char *eq = strchr (server->replies[i], '=');
          g_autofree char *name = g_strndup (server->replies[i], eq - server->replies[i]);

          if (g_ascii_strcasecmp (name, words[1]) == 0)
            {
              g_autofree char *reply = NULL;
              g_auto(GStrv) parts = g_strsplit (eq + 1, "TAG", -1);

              reply = g_strjoinv (words[0], parts);
              g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
              answered = TRUE;
              break;
            }
        }
      if (!answered && words[0] != NULL)
        {
          g_autofree char *bad = g_strdup_printf ("%s BAD unexpected\r\n", words[0]);

          g_output_stream_write_all (out, bad, strlen (bad), NULL, NULL, NULL);
        }
      g_free (line);
    }
  g_mutex_lock (&server->mutex);
  server->done = TRUE;
  g_mutex_unlock (&server->mutex);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return NULL;
}

static FakeServer *
fake_server_new (const char         *greeting,
                 const char * const *replies)
{
  FakeServer *server = g_new0 (FakeServer, 1);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) effective = NULL;

  g_mutex_init (&server->mutex);
  server->greeting = greeting;
  server->replies = replies;
  server->received = g_string_new (NULL);
  server->listener = g_socket_listener_new ();
  g_assert_true (g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &effective, NULL));
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  server->thread = g_thread_new ("fake-imap", fake_thread, server);
  return server;
}

static char *
fake_server_received (FakeServer *server)
{
  char *text;

  g_mutex_lock (&server->mutex);
  text = g_strdup (server->received->str);
  g_mutex_unlock (&server->mutex);
  return text;
}

static void
fake_server_free (FakeServer *server)
{
  if (server->thread != NULL)
    g_thread_join (server->thread);
  g_socket_listener_close (server->listener);
  g_clear_object (&server->listener);
  g_string_free (server->received, TRUE);
  g_mutex_clear (&server->mutex);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

static void
alert_cb (TernImapSession *session,
          const char      *text,
          gpointer         user_data)
{
  guint *n = user_data;

  (*n)++;
}

/* Runs a connect of a starttls account against a fake server; returns the
 * error and what the server received. */
static GError *
fake_connect (const char         *greeting,
              const char * const *replies,
              TernSecurity        security,
              char              **received,
              guint              *alerts)
{
  g_autoptr(FakeServer) server = fake_server_new (greeting, replies);
  g_autoptr(TernAccount) account = make_account ("127.0.0.1", server->port, security, "alice");
  g_autoptr(TernImapSession) session = tern_imap_session_new (account);
  GError *error = NULL;
  gulong id = 0;

  if (alerts != NULL)
    id = g_signal_connect (session, "alert", G_CALLBACK (alert_cb), alerts);
  tern_connection_set_read_timeout (tern_imap_session_get_connection (session), 2000);
  g_assert_false (session_connect (session, "secret-password", &error));
  if (id != 0)
    g_signal_handler_disconnect (session, id);
  g_thread_join (server->thread);
  server->thread = NULL;
  *received = fake_server_received (server);
  g_assert_null (strstr (*received, "secret-password"));
  return error;
}

static void
assert_no_credentials (const char *received)
{
  g_assert_null (strstr (received, "LOGIN"));
  g_assert_null (strstr (received, "AUTHENTICATE"));
  g_assert_null (strstr (received, "SELECT"));
}

static void
test_starttls_stripped (void)
{
  static const char * const no_starttls[] = {
    "CAPABILITY=* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nTAG OK done\r\n", NULL };
  static const char * const refused[] = {
    "CAPABILITY=* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nTAG OK done\r\n",
    "STARTTLS=TAG NO not today\r\n", NULL };
  static const char * const bad[] = {
    "CAPABILITY=* CAPABILITY IMAP4rev1 STARTTLS\r\nTAG OK done\r\n",
    "STARTTLS=TAG BAD what\r\n", NULL };
  const char * const *cases[] = { no_starttls, refused, bad };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *received = NULL;
      g_autoptr(GError) error = fake_connect ("* OK ready\r\n", cases[i], TERN_SECURITY_STARTTLS, &received, NULL);

      g_assert_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_NO_TLS);
      g_assert_nonnull (strstr (error->message, "127.0.0.1"));
      assert_no_credentials (received);
    }
}

static void
test_starttls_injection (void)
{
  static const char * const injected[] = {
    "CAPABILITY=* CAPABILITY IMAP4rev1 STARTTLS\r\nTAG OK done\r\n",
    "STARTTLS=TAG OK Begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n", NULL };
  g_autofree char *received = NULL;
  g_autoptr(GError) error = fake_connect ("* OK ready\r\n", injected, TERN_SECURITY_STARTTLS, &received, NULL);

  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INJECTION);
  assert_no_credentials (received);
}

static void
test_preauth_plaintext (void)
{
  static const char * const replies[] = {
    "CAPABILITY=* CAPABILITY IMAP4rev1 STARTTLS\r\nTAG OK done\r\n", NULL };
  g_autofree char *received = NULL;
  g_autoptr(GError) error = fake_connect ("* PREAUTH [CAPABILITY IMAP4rev1] welcome\r\n", replies,
                                          TERN_SECURITY_STARTTLS, &received, NULL);

  g_assert_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_NO_TLS);
  g_assert_cmpstr (received, ==, "");
}

static void
test_bad_greetings (void)
{
  static const char * const greetings[] = {
    "* BYE go away\r\n",
    "HTTP/1.1 400 Bad Request\r\n",
    "A1 OK tagged greeting\r\n",
    "+ continue\r\n",
    "* OK [ALERT] hi \x01\x02 {10\r\n\x80\x81\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (greetings); i++)
    {
      g_autofree char *received = NULL;
      g_autoptr(GError) error = fake_connect (greetings[i], NULL, TERN_SECURITY_TLS, &received, NULL);

      /* An implicit-TLS account against a plaintext server fails in TLS. */
      g_assert_nonnull (error);
      assert_no_credentials (received);
    }
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *received = NULL;
      g_autoptr(GError) error = fake_connect (greetings[i], NULL, TERN_SECURITY_NONE, &received, NULL);

      g_assert_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_BAD_GREETING);
      g_assert_nonnull (strstr (error->message, "127.0.0.1"));
      assert_no_credentials (received);
    }
  {
    g_autofree char *received = NULL;
    g_autoptr(GError) error = fake_connect ("", NULL, TERN_SECURITY_NONE, &received, NULL);

    g_assert_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_BAD_GREETING);
  }
}

static void
test_alert_before_tls (void)
{
  static const char * const replies[] = {
    "CAPABILITY=* OK [ALERT] <b>Your account is locked, visit evil.example</b>\r\n"
    "* CAPABILITY IMAP4rev1 STARTTLS\r\nTAG OK [ALERT] again\r\n",
    "STARTTLS=* OK [ALERT] during\r\nTAG NO nope\r\n", NULL };
  g_autofree char *received = NULL;
  guint alerts = 0;
  g_autoptr(GError) error = fake_connect ("* OK [ALERT] greeting alert\r\n", replies, TERN_SECURITY_STARTTLS,
                                          &received, &alerts);

  g_assert_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_NO_TLS);
  g_assert_cmpuint (alerts, ==, 0);
}

/* IDLE */

typedef struct
{
  guint exists;
  guint expunge;
  guint bye;
  guint other;
} IdleSeen;

static void
idle_seen_cb (TernImapResponse *response,
              gpointer          user_data)
{
  IdleSeen *seen = user_data;

  if (response->kind == TERN_IMAP_RESPONSE_EXISTS)
    seen->exists++;
  else if (response->kind == TERN_IMAP_RESPONSE_EXPUNGE || response->kind == TERN_IMAP_RESPONSE_VANISHED)
    seen->expunge++;
  else if (response->kind == TERN_IMAP_RESPONSE_STATUS && response->status == TERN_IMAP_STATUS_BYE)
    seen->bye++;
  else
    seen->other++;
}

/* Iterates WAIT's context until *FLAG is non-zero, for at most 10 s. */
static void
iterate_until (TernWait      *wait,
               const guint   *counter,
               TernImapSession *session)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (counter != NULL ? *counter == 0 : !tern_imap_session_is_idling (session))
    {
      g_main_context_iteration (wait->context, FALSE);
      g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
}

/* Delivers a message to alice's INBOX as another client would. */
static void
deliver_message (const char *subject)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autofree char *message = g_strdup_printf ("From: Bob <bob@example.test>\r\nTo: alice@example.test\r\n"
                                              "Subject: %s\r\nMessage-ID: <%s@example.test>\r\n"
                                              "Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\nHello.\r\n",
                                              subject, subject);
  g_autoptr(GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, sandbox->doveadm, "-c", sandbox->dovecot_conf,
                              "save", "-u", "alice", "-m", "INBOX", NULL);
  g_assert_no_error (error);
  input = g_bytes_new (message, strlen (message));
  g_assert_true (g_subprocess_communicate (process, input, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
}

static void
session_select_inbox (TernImapSession *session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapSelected) selected = NULL;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_imap_session_select_async (session, "INBOX", FALSE, 0, 0, NULL, tern_wait_cb, &wait);
  selected = tern_imap_session_select_finish (session, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

static void
session_noop (TernImapSession *session)
{
  g_autoptr(GError) error = NULL;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_imap_session_noop_async (session, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_imap_session_noop_finish (session, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

static void
test_idle_new_mail (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernProtocolLog) log = NULL;
  g_autoptr(TernImapSession) session = sandbox_session (TERN_SECURITY_TLS, &log);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *text = NULL;
  IdleSeen seen = { 0 };
  TernWait wait;

  g_assert_true (session_connect (session, alice->password, &error));
  g_assert_no_error (error);
  g_assert_true (tern_imap_session_has_capability (session, "IDLE"));
  session_select_inbox (session);

  /* Another client delivers: EXISTS arrives during IDLE; stop → DONE → OK. */
  tern_wait_begin (&wait);
  tern_imap_session_idle_async (session, idle_seen_cb, &seen, NULL, tern_wait_cb, &wait);
  iterate_until (&wait, NULL, session);
  deliver_message ("idle-1");
  iterate_until (&wait, &seen.exists, session);
  g_assert_true (tern_imap_session_is_idling (session));
  tern_imap_session_idle_stop (session);
  tern_imap_session_idle_stop (session);  /* twice is harmless */
  g_assert_true (tern_imap_session_idle_finish (session, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_false (tern_imap_session_is_idling (session));
  session_noop (session);

  /* Again (callers loop), ended by the cancellable: DONE, OK, CANCELLED. */
  tern_wait_begin (&wait);
  tern_imap_session_idle_async (session, idle_seen_cb, &seen, cancellable, tern_wait_cb, &wait);
  iterate_until (&wait, NULL, session);
  g_cancellable_cancel (cancellable);
  g_assert_false (tern_imap_session_idle_finish (session, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  session_noop (session);

  /* Ended by another command, which runs after the server's OK. */
  {
    TernWait noop_wait;

    tern_wait_begin (&wait);
    tern_imap_session_idle_async (session, idle_seen_cb, &seen, NULL, tern_wait_cb, &wait);
    iterate_until (&wait, NULL, session);
    tern_imap_session_noop_async (session, NULL, tern_wait_cb, &noop_wait);
    g_assert_true (tern_imap_session_idle_finish (session, tern_wait_end (&wait), &error));
    g_assert_no_error (error);
    noop_wait.context = wait.context;
    noop_wait.result = NULL;
    g_main_context_push_thread_default (noop_wait.context);
    g_assert_true (tern_imap_session_noop_finish (session, tern_wait_end (&noop_wait), &error));
    g_assert_no_error (error);
    g_clear_object (&noop_wait.result);
    tern_wait_clear (&wait);
  }

  /* Polling, for servers without IDLE: NOOP hands over the news. */
  {
    IdleSeen polled = { 0 };

    deliver_message ("poll-1");
    tern_wait_begin (&wait);
    tern_imap_session_poll_async (session, idle_seen_cb, &polled, NULL, tern_wait_cb, &wait);
    g_assert_true (tern_imap_session_poll_finish (session, tern_wait_end (&wait), &error));
    tern_wait_clear (&wait);
    g_assert_no_error (error);
    g_assert_cmpuint (polled.exists, >, 0);
  }
  session_logout (session);

  text = tern_protocol_log_dup_text (log);
  g_assert_nonnull (strstr (text, " IDLE"));
  g_assert_nonnull (strstr (text, "DONE"));
}

/* A fake server that lets an account with security "none" log in, then
 * hands IDLE to SCRIPT's rest. */
static char *
fake_login (TernTestFakeServer *server,
            GIOStream          *stream)
{
  g_autofree char *login = NULL;
  g_autofree char *reply = NULL;

  tern_test_fake_server_write (stream, "* OK [CAPABILITY IMAP4rev1 IDLE] fake ready\r\n");
  login = tern_test_fake_server_read_line (server, stream);
  if (login == NULL || strchr (login, ' ') == NULL)
    return NULL;
  reply = g_strdup_printf ("%.*s OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n",
                           (int) (strchr (login, ' ') - login), login);
  tern_test_fake_server_write (stream, reply);
  return tern_test_fake_server_read_line (server, stream);  /* the IDLE */
}

static char *
tag_of (const char *line)
{
  return g_strndup (line, strchr (line, ' ') != NULL ? (gsize) (strchr (line, ' ') - line) : strlen (line));
}

static void
script_bye_mid_idle (TernTestFakeServer *server,
                     GIOStream          *stream)
{
  g_autofree char *idle = fake_login (server, stream);

  if (idle == NULL)
    return;
  tern_test_fake_server_write (stream, "+ idling\r\n* 4 EXISTS\r\n* BYE shutting down\r\n");
  tern_test_fake_server_wait_go (server);
}

static void
script_no_continuation (TernTestFakeServer *server,
                        GIOStream          *stream)
{
  g_autofree char *idle = fake_login (server, stream);

  if (idle == NULL)
    return;
  /* News, but never the "+": DONE must not be sent. */
  tern_test_fake_server_write (stream, "* 4 EXISTS\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

static void
script_crossing_done (TernTestFakeServer *server,
                      GIOStream          *stream)
{
  g_autofree char *idle = fake_login (server, stream);
  g_autofree char *tag = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *done = NULL;
  g_autofree char *noop = NULL;

  if (idle == NULL)
    return;
  tag = tag_of (idle);
  tern_test_fake_server_write (stream, "+ idling\r\n");
  tern_test_fake_server_wait_go (server);
  /* The server ends IDLE itself just as the client sends DONE. */
  reply = g_strdup_printf ("* 5 EXISTS\r\n%s OK IDLE over\r\n", tag);
  tern_test_fake_server_write (stream, reply);
  done = tern_test_fake_server_read_line (server, stream);
  tern_test_fake_server_write (stream, "DONE BAD unknown command\r\n");
  noop = tern_test_fake_server_read_line (server, stream);
  if (noop != NULL)
    {
      g_autofree char *noop_tag = tag_of (noop);
      g_autofree char *ok = g_strdup_printf ("%s OK NOOP done\r\n", noop_tag);

      tern_test_fake_server_write (stream, ok);
    }
  tern_test_fake_server_read_to_end (stream);
}

/* Like tern_wait_begin(), on the global default context: the fake server
 * accepts connections there. */
static void
wait_begin_default (TernWait *wait)
{
  wait->context = g_main_context_ref (g_main_context_default ());
  wait->result = NULL;
  g_main_context_push_thread_default (wait->context);
}

static TernImapSession *
fake_session (TernTestFakeServer *server)
{
  g_autoptr(TernAccount) account = make_account ("127.0.0.1", server->port, TERN_SECURITY_NONE, "alice");
  TernImapSession *session = tern_imap_session_new (account);
  g_autoptr(GError) error = NULL;
  TernWait wait;

  tern_connection_set_read_timeout (tern_imap_session_get_connection (session), 1000);
  wait_begin_default (&wait);
  tern_imap_session_connect_async (session, "secret-password", NULL, tern_wait_cb, &wait);
  g_assert_true (tern_imap_session_connect_finish (session, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  return session;
}

static void
test_idle_hostile (void)
{
  /* BYE during IDLE: handed over, then the error says the server ended it. */
  {
    g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_bye_mid_idle, NULL);
    g_autoptr(TernImapSession) session = fake_session (server);
    g_autoptr(GError) error = NULL;
    IdleSeen seen = { 0 };
    TernWait wait;

    wait_begin_default (&wait);
    tern_imap_session_idle_async (session, idle_seen_cb, &seen, NULL, tern_wait_cb, &wait);
    iterate_until (&wait, &seen.bye, session);
    tern_test_fake_server_go (server);
    g_assert_false (tern_imap_session_idle_finish (session, tern_wait_end (&wait), &error));
    tern_wait_clear (&wait);
    g_assert_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_BYE);
    g_assert_cmpuint (seen.exists, ==, 1);
    g_assert_false (tern_imap_session_is_authenticated (session));
  }

  /* No "+": a stop sends no DONE, and the silence ends in a timeout. */
  {
    g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_no_continuation, NULL);
    g_autoptr(TernImapSession) session = fake_session (server);
    g_autoptr(GError) error = NULL;
    IdleSeen seen = { 0 };
    TernWait wait;

    wait_begin_default (&wait);
    tern_imap_session_idle_async (session, idle_seen_cb, &seen, NULL, tern_wait_cb, &wait);
    iterate_until (&wait, &seen.exists, session);
    g_assert_false (tern_imap_session_is_idling (session));
    tern_imap_session_idle_stop (session);
    g_assert_false (tern_imap_session_idle_finish (session, tern_wait_end (&wait), &error));
    tern_wait_clear (&wait);
    g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT);
    tern_test_fake_server_wait (server, 1);
    g_assert_cmpint (server->bytes_after, ==, 0);
    g_assert_null (strstr (server->lines, "DONE"));
  }

  /* The server ends IDLE as DONE crosses it: its "DONE BAD" is no reply to
   * the next command. */
  {
    g_autoptr(TernTestFakeServer) server = tern_test_fake_server_new (script_crossing_done, NULL);
    g_autoptr(TernImapSession) session = fake_session (server);
    g_autoptr(GError) error = NULL;
    IdleSeen seen = { 0 };
    TernWait wait;

    wait_begin_default (&wait);
    tern_imap_session_idle_async (session, idle_seen_cb, &seen, NULL, tern_wait_cb, &wait);
    iterate_until (&wait, NULL, session);
    tern_imap_session_idle_stop (session);
    tern_test_fake_server_go (server);
    g_assert_true (tern_imap_session_idle_finish (session, tern_wait_end (&wait), &error));
    tern_wait_clear (&wait);
    g_assert_no_error (error);
    g_assert_cmpuint (seen.exists, ==, 1);
    {
      TernWait noop;

      wait_begin_default (&noop);
      tern_imap_session_noop_async (session, NULL, tern_wait_cb, &noop);
      g_assert_true (tern_imap_session_noop_finish (session, tern_wait_end (&noop), &error));
      tern_wait_clear (&noop);
      g_assert_no_error (error);
    }
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  sandbox = tern_test_sandbox_start ("--messages 30 --no-keyring", &error);
  g_assert_no_error (error);

  g_test_add_func ("/tern/imap/session/login-imaps", test_login_imaps);
  g_test_add_func ("/tern/imap/session/login-starttls", test_login_starttls);
  g_test_add_func ("/tern/imap/session/wrong-password", test_wrong_password);
  g_test_add_func ("/tern/imap/session/list-roles", test_list_roles);
  g_test_add_func ("/tern/imap/session/starttls-stripped", test_starttls_stripped);
  g_test_add_func ("/tern/imap/session/starttls-injection", test_starttls_injection);
  g_test_add_func ("/tern/imap/session/preauth-plaintext", test_preauth_plaintext);
  g_test_add_func ("/tern/imap/session/bad-greetings", test_bad_greetings);
  g_test_add_func ("/tern/imap/session/alert-before-tls", test_alert_before_tls);
  g_test_add_func ("/tern/imap/session/idle-new-mail", test_idle_new_mail);
  g_test_add_func ("/tern/imap/session/idle-hostile", test_idle_hostile);

  status = g_test_run ();
  tern_test_sandbox_stop (sandbox);
  return status;
}
