/* test-imap-sync.c: a sync pass of alice's mailboxes on the sandbox's
 * Dovecot into a TernStore, and the passes after changes by another client.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-imap-sync"

#include <string.h>

#include "tern-engine.h"
#include "tern-imap-sync.h"
#include "tern-test-sandbox.h"
#include "tern-test-store.h"

#define ACCOUNT_ID "0123456789abcdef0123456789abcdef"

static TernTestSandbox *sandbox;

typedef struct
{
  char            *dir;
  TernStore       *store;
  TernImapSession *session;
  TernProtocolLog *log;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const TernTestSandboxUser *alice = tern_test_sandbox_get_user (sandbox, "alice");
  g_autoptr(TernAccount) account = tern_account_new (ACCOUNT_ID);
  g_autoptr(GError) error = NULL;
  TernWait wait;

  f->dir = tern_test_make_tmp_dir ("tern-imap-sync-XXXXXX");
  f->store = tern_store_open (f->dir, &error);
  g_assert_no_error (error);
  tern_account_set_host (account, sandbox->host);
  tern_account_set_port (account, sandbox->imaps_port);
  tern_account_set_security (account, TERN_SECURITY_TLS);
  tern_account_set_username (account, alice->name);
  tern_account_set_ca_file (account, sandbox->ca_file);
  f->session = tern_imap_session_new (account);
  f->log = tern_protocol_log_new ("imap", 100000);
  tern_connection_set_protocol_log (tern_imap_session_get_connection (f->session), f->log);
  tern_wait_begin (&wait);
  tern_imap_session_connect_async (f->session, alice->password, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_imap_session_connect_finish (f->session, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->session);
  g_clear_object (&f->log);
  tern_store_close (f->store);
  g_clear_object (&f->store);
  tern_test_remove_tree (f->dir);
  g_free (f->dir);
}

static guint
run_sync (Fixture *f)
{
  g_autoptr(TernImapSync) sync = tern_imap_sync_new (f->session, f->store);
  g_autoptr(GError) error = NULL;

  g_assert_true (tern_imap_sync_run (sync, NULL, &error));
  g_assert_no_error (error);
  tern_test_flush (f->store);
  return tern_imap_sync_get_n_fetched (sync);
}

/* Checks every folder's message and unread counts against doveadm. */
static void
assert_counts_match (Fixture *f)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint checked = 0;

  g_assert_true (tern_test_sandbox_doveadm (sandbox, &out, &error, "-f", "tab", "mailbox", "status", "-u", "alice",
                                            "messages unseen", "*", NULL));
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) cols = g_strsplit (lines[i], "\t", -1);
      g_autofree char *sql_total = NULL;
      g_autofree char *sql_unread = NULL;
      char *escaped;

      if (g_strv_length (cols) < 3)
        continue;
      escaped = sqlite3_mprintf ("%Q", cols[0]);
      sql_total = g_strdup_printf ("SELECT count(*) FROM messages m JOIN folders f ON f.id = m.folder_id"
                                   " WHERE f.path = %s", escaped);
      sql_unread = g_strdup_printf ("SELECT count(*) FROM messages m JOIN folders f ON f.id = m.folder_id"
                                    " WHERE f.path = %s AND (m.flags & 1) = 0", escaped);
      sqlite3_free (escaped);
      g_assert_cmpint (tern_test_query_int (f->store, sql_total), ==, g_ascii_strtoll (cols[1], NULL, 10));
      g_assert_cmpint (tern_test_query_int (f->store, sql_unread), ==, g_ascii_strtoll (cols[2], NULL, 10));
      checked++;
    }
  g_assert_cmpuint (checked, >=, 8);
}

static void
test_first_and_second_sync (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  guint fetched = run_sync (f);

  g_assert_cmpuint (fetched, >, 30);
  assert_counts_match (f);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM folders WHERE path = 'Reçus'"), ==, 1);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM folders WHERE role = 'sent'"), ==, 1);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages WHERE subject = ''"), <, 3);

  /* Nothing changed: no message data is fetched. */
  tern_protocol_log_clear (f->log);
  g_assert_cmpuint (run_sync (f), ==, 0);
  text = tern_protocol_log_dup_text (f->log);
  g_assert_null (strstr (text, "ENVELOPE"));
  g_assert_null (strstr (text, "BODY.PEEK"));
  assert_counts_match (f);

  /* Another client flags, expunges and saves: the next pass follows. */
  g_assert_true (tern_test_sandbox_doveadm (sandbox, NULL, &error, "flags", "add", "-u", "alice", "\\Seen",
                                            "mailbox", "INBOX", "all", NULL));
  g_assert_no_error (error);
  g_assert_true (tern_test_sandbox_doveadm (sandbox, NULL, &error, "expunge", "-u", "alice",
                                            "mailbox", "Work", "all", NULL));
  g_assert_no_error (error);
  run_sync (f);
  assert_counts_match (f);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT unread FROM folders WHERE path = 'INBOX'"), ==, 0);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT total FROM folders WHERE path = 'Work'"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  sandbox = tern_test_sandbox_start ("--messages 40 --no-keyring", &error);
  g_assert_no_error (error);

  g_test_add ("/tern/imap/sync/first-and-second", Fixture, NULL, fixture_set_up, test_first_and_second_sync,
              fixture_tear_down);

  status = g_test_run ();
  tern_test_sandbox_stop (sandbox);
  return status;
}
