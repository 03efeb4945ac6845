/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replaying queued actions to servers that lack MOVE and UIDPLUS, refuse
 * commands or drop the connection (a scripted server; the sandbox Dovecot
 * cases are in tests/tools/test-cli-actions). */

#include <string.h>

#include "tern-engine.h"
#include "tern-test-certs.h"
#include "tern-test-fake-server.h"
#include "tern-test-store.h"

#define ACCOUNT "0123456789abcdef0123456789abcdef"

static TernTestCerts *certs;

/* The fake server accepts on the default main context, while the engine's
 * blocking calls run private ones: a thread keeps accepting. */
typedef struct
{
  char               *dir;
  TernStore          *store;
  TernTestFakeServer *server;
  GThread            *acceptor;
  gint                stop_accepting;
  char               *lines;       /* what the server read, once it is done */
  TernImapSession    *session;
  gint64              inbox;
  gint64              archive;
  gint64              ids[2];
} Fixture;

static gpointer
accept_thread (gpointer data)
{
  Fixture *f = data;

  g_main_context_acquire (NULL);
  while (!g_atomic_int_get (&f->stop_accepting))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_main_context_release (NULL);
  return NULL;
}

/* How the scripted server answers. */
typedef struct
{
  const char *capabilities;
  gboolean    refuse_store;     /* UID STORE gets NO */
  gboolean    drop_on_store;    /* the connection ends at the first UID STORE */
} Behaviour;

static const Behaviour *behaviour;

static void
reply (GIOStream  *stream,
       const char *tag,
       const char *text)
{
  g_autofree char *line = g_strdup_printf ("%s %s\r\n", tag, text);

  tern_test_fake_server_write (stream, line);
}

static void
imap_script (TernTestFakeServer *server,
             GIOStream          *stream)
{
  g_autoptr(GIOStream) tls = tern_test_fake_server_start_tls (server, stream);
  g_autofree char *greeting = NULL;
  char *line;

  if (tls == NULL)
    return;
  greeting = g_strdup_printf ("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR %s] fake ready\r\n",
                              behaviour->capabilities);
  tern_test_fake_server_write (tls, greeting);
  while ((line = tern_test_fake_server_read_line (server, tls)) != NULL)
    {
      g_auto(GStrv) words = g_strsplit (line, " ", 4);
      const char *tag = words[0];
      const char *command = words[0] != NULL ? words[1] : NULL;

      g_free (line);
      if (command == NULL)
        break;
      if (g_ascii_strcasecmp (command, "LOGOUT") == 0)
        {
          tern_test_fake_server_write (tls, "* BYE bye\r\n");
          reply (tls, tag, "OK done");
          break;
        }
      if (g_ascii_strcasecmp (command, "SELECT") == 0 || g_ascii_strcasecmp (command, "EXAMINE") == 0)
        {
          tern_test_fake_server_write (tls, "* 4 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 15] ok\r\n");
          reply (tls, tag, "OK [READ-WRITE] selected");
        }
      else if (g_ascii_strcasecmp (command, "UID") == 0 && words[2] != NULL &&
               g_ascii_strcasecmp (words[2], "STORE") == 0)
        {
          if (behaviour->drop_on_store)
            break;
          reply (tls, tag, behaviour->refuse_store ? "NO [CANNOT] not today" : "OK stored");
        }
      else
        reply (tls, tag, "OK done");
    }
  g_io_stream_close (tls, NULL, NULL);
}

static void
set_up (Fixture         *f,
        const Behaviour *b)
{
  g_autoptr(TernTestCert) cert = NULL;
  g_autoptr(TernAccount) account = tern_account_new (ACCOUNT);
  g_autoptr(GError) error = NULL;
  TernWait wait;
  gboolean ok;

  behaviour = b;
  cert = tern_test_certs_make (certs, TERN_TEST_CERT_VALID, "imap", &error);
  g_assert_no_error (error);
  f->server = tern_test_fake_server_new (imap_script, cert->certificate);
  f->acceptor = g_thread_new ("accept", accept_thread, f);

  f->dir = tern_test_make_tmp_dir ("tern-imap-replay-XXXXXX");
  f->store = tern_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->inbox = tern_test_ensure_folder (f->store, ACCOUNT, "INBOX", "inbox");
  f->archive = tern_test_ensure_folder (f->store, ACCOUNT, "Archive", "archive");
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *mid = g_strdup_printf ("r%u@example.test", i);
      TernMessageInfo *info = tern_test_message_info (mid, "Hi", 1700000000 + i);

      info->uid = 11 + i;
      f->ids[i] = tern_test_insert_one (f->store, f->inbox, info);
    }
  tern_wait_begin (&wait);
  tern_store_set_folder_sync_state_async (f->store, f->inbox, 7, 15, 0, NULL, tern_wait_cb, &wait);
  tern_store_set_folder_sync_state_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);

  tern_account_set_host (account, "127.0.0.1");
  tern_account_set_port (account, f->server->port);
  tern_account_set_security (account, TERN_SECURITY_TLS);
  tern_account_set_username (account, "alice");
  tern_account_set_ca_file (account, certs->ca_file);
  f->session = tern_imap_session_new (account);
  tern_connection_set_read_timeout (tern_imap_session_get_connection (f->session), 10000);
  tern_wait_begin (&wait);
  tern_imap_session_connect_async (f->session, "secret-password", NULL, tern_wait_cb, &wait);
  ok = tern_imap_session_connect_finish (f->session, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
tear_down (Fixture *f)
{
  g_clear_object (&f->session);
  g_mutex_lock (&f->server->mutex);
  while (f->server->finished < 1)
    g_cond_wait (&f->server->cond, &f->server->mutex);
  f->lines = g_strdup (f->server->lines != NULL ? f->server->lines : "");
  g_mutex_unlock (&f->server->mutex);
  g_atomic_int_set (&f->stop_accepting, 1);
  g_thread_join (f->acceptor);
  tern_test_fake_server_free (f->server);
  tern_store_close (f->store);
  g_clear_object (&f->store);
  tern_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
fixture_free_lines (Fixture *f)
{
  g_free (f->lines);
}

static void
apply (Fixture             *f,
       TernStoreActionKind  kind,
       gint64               id,
       guint                add,
       gint64               folder)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  TernWait wait;

  g_array_append_val (ids, id);
  tern_wait_begin (&wait);
  tern_store_apply_action_async (f->store, kind, ids, add, 0, folder, NULL, tern_wait_cb, &wait);
  tern_store_apply_action_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

static gboolean
replay (Fixture  *f,
        guint    *done,
        guint    *dropped,
        GError  **error)
{
  g_autoptr(TernImapReplay) replay = tern_imap_replay_new (f->session, f->store);
  gboolean ok = tern_imap_replay_run (replay, NULL, error);

  *done = tern_imap_replay_get_n_done (replay);
  *dropped = tern_imap_replay_get_n_dropped (replay);
  return ok;
}

static void
logout (Fixture *f)
{
  TernWait wait;

  tern_wait_begin (&wait);
  tern_imap_session_logout_async (f->session, NULL, tern_wait_cb, &wait);
  tern_imap_session_logout_finish (f->session, tern_wait_end (&wait), NULL);
  tern_wait_clear (&wait);
}

static void
test_no_uidplus_never_bare_expunge (void)
{
  static const Behaviour plain = { "IDLE" };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  const char *lines;
  guint done, dropped;

  set_up (&f, &plain);
  apply (&f, TERN_STORE_ACTION_EXPUNGE, f.ids[0], 0, 0);
  apply (&f, TERN_STORE_ACTION_MOVE, f.ids[1], 0, f.archive);
  g_assert_true (replay (&f, &done, &dropped, &error));
  g_assert_no_error (error);
  logout (&f);
  tear_down (&f);
  lines = f.lines;

  /* The expunge: marked \Deleted, and no EXPUNGE that could take other
   * clients' \Deleted messages with it. */
  g_assert_nonnull (strstr (lines, "UID STORE 11 +FLAGS.SILENT (\\Deleted)"));
  g_assert_null (strstr (lines, "EXPUNGE"));
  /* The move cannot be done safely: nothing is sent for it, it is dropped. */
  g_assert_null (strstr (lines, "COPY"));
  g_assert_null (strstr (lines, "MOVE"));
  g_assert_cmpuint (done, ==, 1);
  g_assert_cmpuint (dropped, ==, 1);
  g_assert_null (strstr (lines, "secret-password"));
  g_free (f.lines);
}

static void
test_refused_kept_then_given_up (void)
{
  static const Behaviour refusing = { "UIDPLUS MOVE", TRUE };
  Fixture f = { 0 };
  guint done = 0, dropped = 0;

  set_up (&f, &refusing);
  apply (&f, TERN_STORE_ACTION_SET_FLAGS, f.ids[0], TERN_FLAG_SEEN, 0);
  for (guint attempt = 1; attempt <= TERN_IMAP_REPLAY_MAX_ATTEMPTS; attempt++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (replay (&f, &done, &dropped, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (done, ==, 0);
      g_assert_cmpuint (tern_store_count_pending_actions (f.store, ACCOUNT), ==,
                        attempt < TERN_IMAP_REPLAY_MAX_ATTEMPTS ? 1 : 0);
    }
  g_assert_cmpuint (dropped, ==, 1);
  /* The local change stays: the person sees what they did. */
  g_assert_cmpint (tern_test_query_int (f.store, "SELECT flags FROM messages WHERE uid = 11"), ==, TERN_FLAG_SEEN);
  logout (&f);
  tear_down (&f);
  fixture_free_lines (&f);
}

static void
test_dropped_connection_keeps_the_queue (void)
{
  static const Behaviour dropping = { "UIDPLUS MOVE", FALSE, TRUE };
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  guint done, dropped;

  set_up (&f, &dropping);
  apply (&f, TERN_STORE_ACTION_SET_FLAGS, f.ids[0], TERN_FLAG_FLAGGED, 0);
  apply (&f, TERN_STORE_ACTION_SET_FLAGS, f.ids[1], TERN_FLAG_SEEN, 0);
  g_assert_false (replay (&f, &done, &dropped, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (done, ==, 0);
  g_assert_cmpuint (dropped, ==, 0);
  /* Nothing was lost and nothing counted as refused. */
  g_assert_cmpuint (tern_store_count_pending_actions (f.store, ACCOUNT), ==, 2);
  g_assert_cmpint (tern_test_query_int (f.store, "SELECT max(attempts) FROM pending_ops"), ==, 0);
  tear_down (&f);
  fixture_free_lines (&f);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  certs = tern_test_certs_new (&error);
  g_assert_no_error (error);

  g_test_add_func ("/imap-replay/no-uidplus-never-bare-expunge", test_no_uidplus_never_bare_expunge);
  g_test_add_func ("/imap-replay/refused-kept-then-given-up", test_refused_kept_then_given_up);
  g_test_add_func ("/imap-replay/dropped-connection-keeps-the-queue", test_dropped_connection_keeps_the_queue);
  status = g_test_run ();
  tern_test_certs_free (certs);
  return status;
}
