/* test-pop3-session.c: TernPop3Session against the sandbox's Dovecot and
 * against a scripted fake POP3 server on loopback that misbehaves on
 * purpose.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-pop3-session"

#include <string.h>

#include "tern-engine.h"
#include "tern-pop3-session.h"
#include "tern-test-certs.h"
#include "tern-test-fake-server.h"
#include "tern-test-sandbox.h"

static TernTestSandbox *sandbox;
static TernTestCerts *certs;

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

/* Blocking helpers over the session's async API. */

static gboolean
session_open (TernPop3Session  *session,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_open_async (session, NULL, got_result_cb, &result);
  return tern_pop3_session_open_finish (session, wait_for (&result), error);
}

static gboolean
session_login (TernPop3Session  *session,
               const char       *user,
               const char       *password,
               GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_login_async (session, user, password, NULL, got_result_cb, &result);
  return tern_pop3_session_login_finish (session, wait_for (&result), error);
}

static gboolean
session_stat (TernPop3Session  *session,
              guint            *count,
              guint64          *size,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_stat_async (session, NULL, got_result_cb, &result);
  return tern_pop3_session_stat_finish (session, wait_for (&result), count, size, error);
}

static GArray *
session_uidl (TernPop3Session  *session,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_uidl_async (session, NULL, got_result_cb, &result);
  return tern_pop3_session_uidl_finish (session, wait_for (&result), error);
}

static GArray *
session_list (TernPop3Session  *session,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_list_async (session, NULL, got_result_cb, &result);
  return tern_pop3_session_list_finish (session, wait_for (&result), error);
}

static GBytes *
session_retr (TernPop3Session  *session,
              guint             number,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_retr_async (session, number, NULL, got_result_cb, &result);
  return tern_pop3_session_retr_finish (session, wait_for (&result), error);
}

static GBytes *
session_top (TernPop3Session  *session,
             guint             number,
             GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_top_async (session, number, 0, NULL, got_result_cb, &result);
  return tern_pop3_session_top_finish (session, wait_for (&result), error);
}

static void
collect_message (TernPop3Session *session,
                 guint            number,
                 GBytes          *message,
                 gpointer         user_data)
{
  GPtrArray *messages = user_data;

  g_assert_cmpuint (number, ==, messages->len + 1);
  g_ptr_array_add (messages, g_bytes_ref (message));
}

/* RETR 1 … N; the messages in order. */
static GPtrArray *
session_retr_all (TernPop3Session  *session,
                  guint             n,
                  GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree guint *numbers = g_new (guint, n + 1);

  for (guint i = 0; i < n; i++)
    numbers[i] = i + 1;
  tern_pop3_session_retr_many_async (session, numbers, n, collect_message, messages, NULL, NULL,
                                     got_result_cb, &result);
  if (!tern_pop3_session_retr_many_finish (session, wait_for (&result), error))
    return NULL;
  return g_steal_pointer (&messages);
}

static gboolean
session_dele (TernPop3Session  *session,
              guint             number,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_dele_async (session, number, NULL, got_result_cb, &result);
  return tern_pop3_session_dele_finish (session, wait_for (&result), error);
}

static gboolean
session_noop (TernPop3Session  *session,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_noop_async (session, NULL, got_result_cb, &result);
  return tern_pop3_session_noop_finish (session, wait_for (&result), error);
}

static gboolean
session_rset (TernPop3Session  *session,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_rset_async (session, NULL, got_result_cb, &result);
  return tern_pop3_session_rset_finish (session, wait_for (&result), error);
}

static gboolean
session_quit (TernPop3Session  *session,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_quit_async (session, NULL, got_result_cb, &result);
  return tern_pop3_session_quit_finish (session, wait_for (&result), error);
}

static void
session_close (TernPop3Session *session)
{
  g_autoptr(GAsyncResult) result = NULL;

  tern_pop3_session_close_async (session, NULL, got_result_cb, &result);
  g_assert_true (tern_pop3_session_close_finish (session, wait_for (&result), NULL));
}

/* The sandbox */

static TernPop3Session *
sandbox_session (guint16       port,
                 TernSecurity  security,
                 const char   *user,
                 const char   *password)
{
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, port, security, sandbox->ca_file, NULL);
  g_autoptr(TernPop3Session) session = tern_pop3_session_new (conn);
  g_autoptr(GError) error = NULL;

  g_assert_true (session_open (session, &error));
  g_assert_no_error (error);
  if (user != NULL)
    {
      g_assert_true (session_login (session, user, password, &error));
      g_assert_no_error (error);
    }
  return g_steal_pointer (&session);
}

static TernPop3Session *
alice_session (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");

  return sandbox_session (sandbox->pop3s_port, TERN_SECURITY_TLS, alice->name, alice->password);
}

typedef struct
{
  guint   uid;
  guint64 size;
  char   *guid;  /* the maildir base name */
} DoveMessage;

static void
dove_message_clear (gpointer data)
{
  DoveMessage *message = data;

  g_free (message->guid);
}

/* INBOX as doveadm sees it, in UID order, and its UIDVALIDITY. */
static GArray *
doveadm_inbox (const char *user,
               guint      *uidvalidity)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;
  GArray *messages = g_array_new (FALSE, TRUE, sizeof (DoveMessage));
  const char *v;

  g_array_set_clear_func (messages, dove_message_clear);
  g_assert_true (tern_test_sandbox_doveadm (sandbox, &out, &error, "-f", "flow", "fetch", "-u", user,
                                            "uid size.virtual guid", "mailbox", "INBOX", NULL));
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      DoveMessage message = { 0, };
      char guid[256];
      guint64 size;

      if (*lines[i] == '\0')
        continue;
      g_assert_cmpint (sscanf (lines[i], "uid=%u size.virtual=%" G_GUINT64_FORMAT " guid=%255s",
                               &message.uid, &size, guid), ==, 3);
      message.size = size;
      message.guid = g_strdup (guid);
      g_array_append_val (messages, message);
    }
  g_assert_true (tern_test_sandbox_doveadm (sandbox, &status, &error, "-f", "flow", "mailbox", "status", "-u", user,
                                            "uidvalidity", "INBOX", NULL));
  v = strstr (status, "uidvalidity=");
  g_assert_nonnull (v);
  *uidvalidity = (guint) g_ascii_strtoull (v + strlen ("uidvalidity="), NULL, 10);
  return messages;
}

/* The maildir file's bytes with every bare LF made CR LF: the message as
 * Dovecot serves it over POP3. */
static GBytes *
maildir_message (const char *user,
                 const char *guid)
{
  const char *subdirs[] = { "cur", "new" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir_path = g_build_filename (sandbox->dir, "mail", user, "Maildir", subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          if (g_str_has_prefix (name, guid) && (name[strlen (guid)] == ':' || name[strlen (guid)] == '\0'))
            {
              g_autofree char *path = g_build_filename (dir_path, name, NULL);
              g_autofree char *contents = NULL;
              gsize length;
              GByteArray *crlf = g_byte_array_new ();

              g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
              for (gsize j = 0; j < length; j++)
                {
                  if (contents[j] == '\n' && (j == 0 || contents[j - 1] != '\r'))
                    g_byte_array_append (crlf, (const guint8 *) "\r", 1);
                  g_byte_array_append (crlf, (const guint8 *) contents + j, 1);
                }
              return g_byte_array_free_to_bytes (crlf);
            }
        }
    }
  g_assert_not_reached ();
}

static void
test_sandbox_pop3s (void)
{
  g_autoptr(TernPop3Session) session = alice_session ();
  g_autoptr(GArray) dove = NULL;
  g_autoptr(GArray) uidl = NULL;
  g_autoptr(GArray) list = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  guint uidvalidity = 0;
  guint count = 0;
  guint64 size = 0;
  guint64 total = 0;

  g_assert_true (tern_connection_is_tls (tern_pop3_session_get_connection (session)));
  g_assert_cmpint (tern_pop3_session_get_auth_method (session), ==, TERN_POP3_AUTH_PLAIN);
  g_assert_true (tern_pop3_session_get_pipelining (session));
  g_assert_true (tern_pop3_session_has_capability (session, "UIDL"));

  dove = doveadm_inbox ("alice", &uidvalidity);
  g_assert_cmpuint (dove->len, >, 0);
  g_assert_true (session_stat (session, &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, dove->len);

  uidl = session_uidl (session, &error);
  g_assert_no_error (error);
  list = session_list (session, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, dove->len);
  g_assert_cmpuint (list->len, ==, dove->len);
  for (guint i = 0; i < dove->len; i++)
    {
      DoveMessage *d = &g_array_index (dove, DoveMessage, i);
      TernPop3Entry *u = &g_array_index (uidl, TernPop3Entry, i);
      TernPop3Entry *l = &g_array_index (list, TernPop3Entry, i);
      g_autofree char *expected_uid = g_strdup_printf ("%08x%08x", d->uid, uidvalidity);

      g_assert_cmpuint (u->number, ==, i + 1);
      g_assert_cmpuint (l->number, ==, i + 1);
      g_assert_cmpstr (u->uid, ==, expected_uid);
      g_assert_cmpuint (l->size, ==, d->size);
      total += l->size;
    }
  g_assert_cmpuint (size, ==, total);

  /* Every message byte for byte, pipelined. */
  messages = session_retr_all (session, count, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, count);
  for (guint i = 0; i < count; i++)
    {
      DoveMessage *d = &g_array_index (dove, DoveMessage, i);
      g_autoptr(GBytes) expected = maildir_message ("alice", d->guid);
      GBytes *got = g_ptr_array_index (messages, i);

      g_assert_cmpuint (g_bytes_get_size (got), ==, d->size);
      g_assert_true (g_bytes_equal (got, expected));
    }

  /* One at a time gives the same, and TOP 0 is the header. */
  {
    g_autoptr(GBytes) one = session_retr (session, 1, &error);
    g_autoptr(GBytes) top = session_top (session, 1, &error);
    const char *data = g_bytes_get_data (one, NULL);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (one, g_ptr_array_index (messages, 0)));
    g_assert_cmpuint (g_bytes_get_size (top), <, g_bytes_get_size (one));
    g_assert_cmpmem (g_bytes_get_data (top, NULL), g_bytes_get_size (top), data, g_bytes_get_size (top));
  }

  /* A message that is not there fails that call only. */
  {
    g_autoptr(GBytes) none = session_retr (session, count + 1, &error);

    g_assert_null (none);
    g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_COMMAND_FAILED);
    g_clear_error (&error);
    g_assert_true (session_noop (session, &error));
    g_assert_no_error (error);
  }
  g_assert_true (session_quit (session, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&session));
}

static void
test_sandbox_pipelined_equals_lockstep (void)
{
  g_autoptr(TernPop3Session) fast = alice_session ();
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->pop3s_port, TERN_SECURITY_TLS,
                                                        sandbox->ca_file, NULL);
  g_autoptr(TernPop3Session) slow = tern_pop3_session_new (conn);
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;
  g_autoptr(GError) error = NULL;
  guint count = 0;
  gint64 t0, t1, t2;

  tern_pop3_session_set_use_pipelining (slow, FALSE);
  g_assert_true (session_open (slow, &error));
  g_assert_true (session_login (slow, alice->name, alice->password, &error));
  g_assert_no_error (error);
  g_assert_false (tern_pop3_session_get_pipelining (slow));
  g_assert_true (session_stat (fast, &count, NULL, &error));

  t0 = g_get_monotonic_time ();
  a = session_retr_all (fast, count, &error);
  g_assert_no_error (error);
  t1 = g_get_monotonic_time ();
  b = session_retr_all (slow, count, &error);
  g_assert_no_error (error);
  t2 = g_get_monotonic_time ();
  g_test_message ("%u messages: pipelined %" G_GINT64_FORMAT " µs, lock-step %" G_GINT64_FORMAT " µs",
                  count, t1 - t0, t2 - t1);

  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_true (g_bytes_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)));
  g_assert_true (session_quit (fast, &error));
  g_assert_true (session_quit (slow, &error));
  g_assert_no_error (error);
}

static void
test_sandbox_stls (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernPop3Session) session = sandbox_session (sandbox->pop3_port, TERN_SECURITY_STARTTLS,
                                                        alice->name, alice->password);
  g_autoptr(GError) error = NULL;
  guint count = 0;

  g_assert_true (tern_connection_is_tls (tern_pop3_session_get_connection (session)));
  /* The capabilities are the ones asked after TLS. */
  g_assert_false (tern_pop3_session_has_capability (session, "STLS"));
  g_assert_true (session_stat (session, &count, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, >, 0);
  g_assert_true (session_quit (session, &error));
  g_assert_no_error (error);
}

static void
test_sandbox_wrong_password (void)
{
  g_autoptr(TernPop3Session) session = sandbox_session (sandbox->pop3s_port, TERN_SECURITY_TLS, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (session_login (session, "alice", "not-the-password", &error));
  g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, sandbox->host));
  g_assert_cmpint (tern_pop3_session_get_auth_method (session), ==, TERN_POP3_AUTH_NONE);
  g_clear_error (&error);
  g_assert_false (session_stat (session, NULL, NULL, &error));
  g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_STATE);
  session_close (session);
}

static void
test_sandbox_log_redacts (void)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernConnection) conn = tern_connection_new (sandbox->host, sandbox->pop3s_port, TERN_SECURITY_TLS,
                                                        sandbox->ca_file, NULL);
  g_autoptr(TernProtocolLog) log = tern_protocol_log_new ("alice pop3", 1000);
  g_autoptr(TernPop3Session) session = tern_pop3_session_new (conn);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  tern_connection_set_protocol_log (conn, log);
  g_assert_true (session_open (session, &error));
  g_assert_true (session_login (session, alice->name, alice->password, &error));
  g_assert_no_error (error);
  g_assert_true (session_quit (session, &error));
  text = tern_protocol_log_dup_text (log);
  g_assert_null (strstr (text, alice->password));
  g_assert_nonnull (strstr (text, "C: AUTH PLAIN <redacted>"));
  g_assert_nonnull (strstr (text, "C: CAPA"));
}

static guint
doveadm_count (const char *user)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *v;

  g_assert_true (tern_test_sandbox_doveadm (sandbox, &out, &error, "-f", "flow", "mailbox", "status", "-u", user,
                                            "messages", "INBOX", NULL));
  g_assert_no_error (error);
  v = strstr (out, "messages=");
  g_assert_nonnull (v);
  return (guint) g_ascii_strtoull (v + strlen ("messages="), NULL, 10);
}

static void
test_sandbox_dele (void)
{
  const TernTestSandboxUser *bob = tern_test_sandbox_get_user (sandbox, "bob");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;
  guint n = doveadm_count ("bob");
  guint count = 0;

  g_assert_cmpuint (n, >=, 3);

  /* DELE, then the connection drops: nothing is deleted. */
  {
    g_autoptr(TernPop3Session) session = sandbox_session (sandbox->pop3s_port, TERN_SECURITY_TLS,
                                                          bob->name, bob->password);

    before = session_uidl (session, &error);
    g_assert_true (session_dele (session, 1, &error));
    g_assert_true (session_dele (session, 2, &error));
    g_assert_no_error (error);
    g_assert_false (session_dele (session, 1, &error));
    g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_COMMAND_FAILED);
    g_clear_error (&error);
    session_close (session);
  }
  g_assert_cmpuint (doveadm_count ("bob"), ==, n);

  /* DELE then RSET, QUIT: nothing deleted. */
  {
    g_autoptr(TernPop3Session) session = sandbox_session (sandbox->pop3s_port, TERN_SECURITY_TLS,
                                                          bob->name, bob->password);

    g_assert_true (session_dele (session, 1, &error));
    g_assert_true (session_rset (session, &error));
    g_assert_true (session_quit (session, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (doveadm_count ("bob"), ==, n);

  /* DELE, QUIT: gone. */
  {
    g_autoptr(TernPop3Session) session = sandbox_session (sandbox->pop3s_port, TERN_SECURITY_TLS,
                                                          bob->name, bob->password);

    g_assert_true (session_dele (session, 1, &error));
    g_assert_true (session_quit (session, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (doveadm_count ("bob"), ==, n - 1);
  {
    g_autoptr(TernPop3Session) session = sandbox_session (sandbox->pop3s_port, TERN_SECURITY_TLS,
                                                          bob->name, bob->password);

    g_assert_true (session_stat (session, &count, NULL, &error));
    g_assert_cmpuint (count, ==, n - 1);
    after = session_uidl (session, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (g_array_index (after, TernPop3Entry, 0).uid, ==, g_array_index (before, TernPop3Entry, 1).uid);
    g_assert_true (session_quit (session, &error));
  }
}

/* The fake server */

static const char *fake_reply;   /* what the script answers, per test */
static const char *fake_caps;    /* CAPA lines before TLS, "" for -ERR */
static const char *fake_caps_tls; /* CAPA lines after STLS */

static void
serve_capa (GIOStream  *stream,
            const char *caps)
{
  if (caps == NULL || *caps == '\0')
    tern_test_fake_server_write (stream, "-ERR no CAPA here\r\n");
  else
    {
      tern_test_fake_server_write (stream, "+OK capabilities follow\r\n");
      tern_test_fake_server_write (stream, caps);
      tern_test_fake_server_write (stream, ".\r\n");
    }
}

/* Answers CAPA, USER, PASS and AUTH PLAIN (both forms) with +OK; returns
 * the first other command, or %NULL when the client went away. */
static char *
serve_login (TernTestFakeServer *server,
             GIOStream  *stream,
             const char *caps)
{
  for (;;)
    {
      g_autofree char *line = tern_test_fake_server_read_line (server, stream);

      if (line == NULL)
        return NULL;
      if (strcmp (line, "CAPA") == 0)
        serve_capa (stream, caps);
      else if (g_str_has_prefix (line, "USER ") || g_str_has_prefix (line, "PASS ") ||
               g_str_has_prefix (line, "AUTH PLAIN "))
        tern_test_fake_server_write (stream, "+OK\r\n");
      else if (strcmp (line, "AUTH PLAIN") == 0)
        {
          g_autofree char *response = NULL;

          tern_test_fake_server_write (stream, "+ \r\n");
          response = tern_test_fake_server_read_line (server, stream);
          tern_test_fake_server_write (stream, response != NULL && *response != '\0' ? "+OK welcome\r\n" : "-ERR [AUTH] no\r\n");
        }
      else
        return g_steal_pointer (&line);
    }
}

/* Greets with fake_reply and records what comes. */
static void
script_greeting (TernTestFakeServer *server,
                 GIOStream  *stream)
{
  if (fake_reply != NULL)
    tern_test_fake_server_write (stream, fake_reply);
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
}

/* Plain text: greeting, login, then fake_reply to the first other
 * command, then close. */
static void
script_reply (TernTestFakeServer *server,
              GIOStream  *stream)
{
  g_autofree char *command = NULL;

  tern_test_fake_server_write (stream, "+OK fake POP3 ready <1896.697170952@fake>\r\n");
  command = serve_login (server, stream, fake_caps);
  if (command != NULL)
    tern_test_fake_server_write (stream, fake_reply);
}

/* STLS: fake_reply answers STLS; if it is +OK, TLS and a login. */
static void
script_stls (TernTestFakeServer *server,
             GIOStream  *stream)
{
  g_autofree char *command = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GIOStream) tls = NULL;

  tern_test_fake_server_write (stream, "+OK fake POP3 ready\r\n");
  command = serve_login (server, stream, fake_caps);
  if (g_strcmp0 (command, "STLS") != 0)
    {
      tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
      return;
    }
  tern_test_fake_server_write (stream, fake_reply);
  if (!g_str_has_prefix (fake_reply, "+OK") || strchr (fake_reply, '\n')[1] != '\0')
    {
      /* A client that starts TLS now would send a ClientHello. */
      tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (stream));
      return;
    }
  tls = tern_test_fake_server_start_tls (server, stream);
  if (tls == NULL)
    return;
  after = serve_login (server, tls, fake_caps_tls);
  if (after != NULL)
    tern_test_fake_server_write (tls, "+OK 2 320\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (tls));
}

/* Implicit TLS, then a login. */
static void
script_tls_login (TernTestFakeServer *server,
                  GIOStream  *stream)
{
  g_autoptr(GIOStream) tls = tern_test_fake_server_start_tls (server, stream);
  g_autofree char *after = NULL;

  if (tls == NULL)
    return;
  tern_test_fake_server_write (tls, "+OK fake POP3S ready\r\n");
  after = serve_login (server, tls, fake_caps);
  if (after != NULL)
    tern_test_fake_server_write (tls, "+OK 2 320\r\n");
  tern_test_fake_server_record_after (server, tern_test_fake_server_read_to_end (tls));
}

static TernTestFakeServer *
fake_server (TernTestFakeScript script)
{
  g_autoptr(TernTestCert) cert = NULL;
  g_autoptr(GError) error = NULL;

  cert = tern_test_certs_make (certs, TERN_TEST_CERT_VALID, "pop3", &error);
  g_assert_no_error (error);
  return tern_test_fake_server_new (script, cert->certificate);
}

static TernPop3Session *
fake_session (TernTestFakeServer   *server,
              TernSecurity  security)
{
  g_autoptr(TernConnection) conn = tern_connection_new ("127.0.0.1", server->port, security, certs->ca_file, NULL);

  tern_connection_set_connect_timeout (conn, 15000);
  tern_connection_set_read_timeout (conn, 15000);
  return tern_pop3_session_new (conn);
}

static gboolean
lines_have_credentials (TernTestFakeServer *server)
{
  const char *lines = server->lines != NULL ? server->lines : "";

  return strstr (lines, "USER") != NULL || strstr (lines, "PASS") != NULL || strstr (lines, "AUTH") != NULL ||
         strstr (lines, "secret") != NULL;
}

/* Opens and logs in; both must fail with DOMAIN/CODE (login then STATE or
 * the open's error) and the server never sees a credential. */
static void
expect_open_fails (TernSecurity security,
                   GQuark       domain,
                   gint         code)
{
  g_autoptr(TernTestFakeServer) server = fake_server (script_stls);
  g_autoptr(TernPop3Session) session = fake_session (server, security);
  g_autoptr(GError) error = NULL;

  g_assert_false (session_open (session, &error));
  g_assert_error (error, domain, code);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_clear_error (&error);
  g_assert_false (session_login (session, "alice", "secret", &error));
  g_assert_nonnull (error);
  tern_test_fake_server_wait (server, 1);
  g_assert_false (lines_have_credentials (server));
  g_assert_false (tern_connection_is_connected (tern_pop3_session_get_connection (session)));
}

static void
test_fake_stls_stripped (void)
{
  fake_caps = "USER\r\nSASL PLAIN\r\nPIPELINING\r\n";
  fake_reply = "+OK Begin TLS\r\n";
  expect_open_fails (TERN_SECURITY_STARTTLS, TERN_POP3_ERROR, TERN_POP3_ERROR_STLS_UNAVAILABLE);

  /* No CAPA at all is no STLS either. */
  fake_caps = "";
  expect_open_fails (TERN_SECURITY_STARTTLS, TERN_POP3_ERROR, TERN_POP3_ERROR_STLS_UNAVAILABLE);
}

static void
test_fake_stls_refused (void)
{
  fake_caps = "USER\r\nSTLS\r\n";
  fake_reply = "-ERR [SYS/TEMP] TLS not available\r\n";
  expect_open_fails (TERN_SECURITY_STARTTLS, TERN_POP3_ERROR, TERN_POP3_ERROR_STLS_UNAVAILABLE);
}

static void
test_fake_stls_injection (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;

  fake_caps = "USER\r\nSTLS\r\n";
  fake_reply = "+OK Begin TLS\r\n+OK injected\r\n";
  server = fake_server (script_stls);
  session = fake_session (server, TERN_SECURITY_STARTTLS);
  g_assert_false (session_open (session, &error));
  g_assert_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INJECTION);
  g_clear_error (&error);
  g_assert_false (session_login (session, "alice", "secret", &error));
  tern_test_fake_server_wait (server, 1);
  g_assert_false (lines_have_credentials (server));
}

/* STLS works, and what was learned before it is forgotten: SASL PLAIN was
 * offered before TLS only, so the login is USER/PASS (the fallback). */
static void
test_fake_stls_reset_and_user_pass (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  guint count = 0;

  fake_caps = "SASL PLAIN\r\nSTLS\r\nPIPELINING\r\n";
  fake_caps_tls = "USER\r\nUIDL\r\n";
  fake_reply = "+OK Begin TLS\r\n";
  server = fake_server (script_stls);
  session = fake_session (server, TERN_SECURITY_STARTTLS);
  g_assert_true (session_open (session, &error));
  g_assert_no_error (error);
  g_assert_false (tern_pop3_session_get_pipelining (session));
  g_assert_false (tern_pop3_session_has_capability (session, "STLS"));
  g_assert_true (session_login (session, "alice", "secret", &error));
  g_assert_no_error (error);
  g_assert_cmpint (tern_pop3_session_get_auth_method (session), ==, TERN_POP3_AUTH_USER_PASS);
  g_assert_true (session_stat (session, &count, NULL, &error));
  g_assert_cmpuint (count, ==, 2);
  session_close (session);
  tern_test_fake_server_wait (server, 1);
  g_assert_cmpstr (server->lines, ==, "CAPA\nSTLS\nCAPA\nUSER alice\nPASS secret\nSTAT\n");
}

/* AUTH PLAIN with a long password uses the continuation form. */
static void
test_fake_auth_plain_continuation (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = g_strnfill (200, 'p');
  g_auto(GStrv) lines = NULL;
  g_autofree guchar *decoded = NULL;
  gsize length = 0;

  fake_caps = "SASL PLAIN\r\nUSER\r\n";
  server = fake_server (script_tls_login);
  session = fake_session (server, TERN_SECURITY_TLS);
  g_assert_true (session_open (session, &error));
  g_assert_true (session_login (session, "alice", password, &error));
  g_assert_no_error (error);
  g_assert_cmpint (tern_pop3_session_get_auth_method (session), ==, TERN_POP3_AUTH_PLAIN);
  session_close (session);
  tern_test_fake_server_wait (server, 1);
  lines = g_strsplit (server->lines, "\n", -1);
  g_assert_cmpstr (lines[1], ==, "AUTH PLAIN");
  decoded = g_base64_decode (lines[2], &length);
  g_assert_cmpuint (length, ==, 1 + 5 + 1 + 200);
  g_assert_cmpmem (decoded, 7, "\0alice\0", 7);
}

static void
test_fake_bad_greetings (void)
{
  const char *greetings[] = { "garbage\r\n", "-ERR go away\r\n", "* OK [CAPABILITY IMAP4rev1] imap\r\n",
                              "220 smtp.example ESMTP\r\n", "", "+OK\0hidden\r\n" };

  for (guint i = 0; i < G_N_ELEMENTS (greetings); i++)
    {
      g_autoptr(TernTestFakeServer) server = NULL;
      g_autoptr(TernPop3Session) session = NULL;
      g_autoptr(GError) error = NULL;

      fake_reply = greetings[i];
      server = fake_server (script_greeting);
      session = fake_session (server, TERN_SECURITY_NONE);
      /* Silence is a bad greeting too, once the read times out. */
      tern_connection_set_read_timeout (tern_pop3_session_get_connection (session), 1500);
      g_assert_false (session_open (session, &error));
      g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_GREETING);
      g_assert_nonnull (strstr (error->message, "127.0.0.1"));
      g_clear_error (&error);
      g_assert_false (session_login (session, "alice", "secret", &error));
      tern_test_fake_server_wait (server, 1);
      g_assert_null (server->lines);
    }
}

/* The greeting's +OK and "\0hidden" arrive together: the NUL is an error. */

static void
test_fake_tls_account_plain_server (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;

  fake_reply = "+OK plaintext POP3 ready\r\n";
  server = fake_server (script_greeting);
  session = fake_session (server, TERN_SECURITY_TLS);
  g_assert_false (session_open (session, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (session_login (session, "alice", "secret", &error));
  tern_test_fake_server_wait (server, 1);
  g_assert_null (server->lines);
}

/* Logs in on a plain-text fake (security "none"), sends COMMAND's reply
 * fake_reply; returns the session for more checks. */
static TernPop3Session *
fake_logged_in (TernTestFakeServer *server)
{
  TernPop3Session *session = fake_session (server, TERN_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (session_open (session, &error));
  g_assert_true (session_login (session, "alice", "secret", &error));
  g_assert_no_error (error);
  return session;
}

static void
expect_uidl_error (const char *reply,
                   gint        code)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) entries = NULL;

  fake_caps = "USER\r\nUIDL\r\n";
  fake_reply = reply;
  server = fake_server (script_reply);
  session = fake_logged_in (server);
  entries = session_uidl (session, &error);
  g_assert_null (entries);
  g_assert_nonnull (error);
  if (code >= 0)
    g_assert_error (error, TERN_POP3_ERROR, code);
  g_clear_error (&error);
  /* The session is over: no DELE can follow. */
  g_assert_false (session_dele (session, 1, &error));
  g_assert_nonnull (error);
  tern_test_fake_server_wait (server, 1);
  g_assert_null (strstr (server->lines, "DELE"));
}

static void
test_fake_uidl_abuse (void)
{
  GString *huge = g_string_new ("+OK\r\n1 ");

  expect_uidl_error ("+OK\r\n1 a\r\n2 a\r\n.\r\n", TERN_POP3_ERROR_PROTOCOL);
  expect_uidl_error ("+OK\r\n1 a\r\n2 \r\n.\r\n", TERN_POP3_ERROR_PROTOCOL);
  expect_uidl_error ("+OK\r\n1 a\r\n1 b\r\n.\r\n", TERN_POP3_ERROR_PROTOCOL);
  expect_uidl_error ("+OK\r\n4294967296 a\r\n.\r\n", TERN_POP3_ERROR_PROTOCOL);
  expect_uidl_error ("+OK\r\n1 a\r\n", TERN_POP3_ERROR_TRUNCATED);
  /* 1 MiB: either the connection's or the parser's limit stops it. */
  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_string_append (huge, "\r\n.\r\n");
  expect_uidl_error (huge->str, -1);
  g_string_free (huge, TRUE);
}

static void
test_fake_uid_as_data (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) entries = NULL;

  fake_caps = "USER\r\nUIDL\r\n";
  fake_reply = "+OK\r\n1 ../../x\r\n2 /etc/passwd\r\n.\r\n";
  server = fake_server (script_reply);
  session = fake_logged_in (server);
  entries = session_uidl (session, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_cmpstr (g_array_index (entries, TernPop3Entry, 0).uid, ==, "../../x");
  g_assert_cmpstr (g_array_index (entries, TernPop3Entry, 1).uid, ==, "/etc/passwd");
}

static void
test_fake_retr_truncated (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;

  fake_caps = "USER\r\n";
  fake_reply = "+OK 30 octets\r\nSubject: x\r\n\r\n..\r\nbody\r\n";
  server = fake_server (script_reply);
  session = fake_logged_in (server);
  message = session_retr (session, 1, &error);
  g_assert_null (message);
  g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_TRUNCATED);
}

static void
test_fake_retr_unstuffed (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  static const char expected[] = "Subject: x\r\n\r\n.\r\n..x\r\nbody\r\n";

  fake_caps = "USER\r\n";
  fake_reply = "+OK\r\nSubject: x\r\n\r\n..\r\n...x\r\nbody\r\n.\r\n";
  server = fake_server (script_reply);
  session = fake_logged_in (server);
  message = session_retr (session, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (message, NULL), g_bytes_get_size (message), expected, strlen (expected));
}

/* Plain text is refused for credentials unless the account chose it. */
static void
test_fake_plain_requires_none (void)
{
  g_autoptr(TernTestFakeServer) server = NULL;
  g_autoptr(TernPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;

  fake_caps = "USER\r\n";
  fake_reply = "+OK\r\n";
  server = fake_server (script_reply);
  /* A "starttls" connection made to look connected in plain text is what
   * open refuses; here: login before open. */
  session = fake_session (server, TERN_SECURITY_TLS);
  g_assert_false (session_login (session, "alice", "secret", &error));
  g_assert_error (error, TERN_POP3_ERROR, TERN_POP3_ERROR_STATE);
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
  sandbox = tern_test_sandbox_start ("--messages 12 --no-keyring", &error);
  g_assert_no_error (error);

  g_test_add_func ("/tern/pop3/sandbox/pop3s", test_sandbox_pop3s);
  g_test_add_func ("/tern/pop3/sandbox/pipelined-equals-lockstep", test_sandbox_pipelined_equals_lockstep);
  g_test_add_func ("/tern/pop3/sandbox/stls", test_sandbox_stls);
  g_test_add_func ("/tern/pop3/sandbox/wrong-password", test_sandbox_wrong_password);
  g_test_add_func ("/tern/pop3/sandbox/log-redacts", test_sandbox_log_redacts);
  g_test_add_func ("/tern/pop3/sandbox/dele", test_sandbox_dele);

  g_test_add_func ("/tern/pop3/fake/stls-stripped", test_fake_stls_stripped);
  g_test_add_func ("/tern/pop3/fake/stls-refused", test_fake_stls_refused);
  g_test_add_func ("/tern/pop3/fake/stls-injection", test_fake_stls_injection);
  g_test_add_func ("/tern/pop3/fake/stls-reset-user-pass", test_fake_stls_reset_and_user_pass);
  g_test_add_func ("/tern/pop3/fake/auth-plain-continuation", test_fake_auth_plain_continuation);
  g_test_add_func ("/tern/pop3/fake/bad-greetings", test_fake_bad_greetings);
  g_test_add_func ("/tern/pop3/fake/tls-account-plain-server", test_fake_tls_account_plain_server);
  g_test_add_func ("/tern/pop3/fake/uidl-abuse", test_fake_uidl_abuse);
  g_test_add_func ("/tern/pop3/fake/uid-as-data", test_fake_uid_as_data);
  g_test_add_func ("/tern/pop3/fake/retr-truncated", test_fake_retr_truncated);
  g_test_add_func ("/tern/pop3/fake/retr-unstuffed", test_fake_retr_unstuffed);
  g_test_add_func ("/tern/pop3/fake/login-before-open", test_fake_plain_requires_none);

  ret = g_test_run ();

  tern_test_sandbox_stop (sandbox);
  tern_test_certs_free (certs);
  return ret;
}
