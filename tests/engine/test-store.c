/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-store"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tern-store-private.h"
#include "tern-test-store.h"

typedef struct
{
  char      *dir;
  TernStore *store;
  gint64     inbox;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = tern_test_make_tmp_dir ("tern-store-XXXXXX");
  f->store = tern_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->inbox = tern_test_ensure_folder (f->store, "acct", "INBOX", "inbox");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_finalize_object (g_steal_pointer (&f->store));
  tern_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
test_open_empty (void)
{
  g_autofree char *dir = tern_test_make_tmp_dir ("tern-store-XXXXXX");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernStore) store = tern_store_open (dir, &error);
  g_autoptr(TernStore) again = NULL;
  g_autofree char *db = g_build_filename (dir, "tern.db", NULL);

  g_assert_no_error (error);
  g_assert_cmpint (tern_store_get_latest_schema_version (), >=, 2);
  g_assert_cmpint (tern_store_get_schema_version (store), ==, tern_store_get_latest_schema_version ());
  g_assert_cmpint (tern_test_query_int (store, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'"), ==, 1);
  g_assert_cmpint (tern_test_query_int (store, "SELECT count(*) FROM sqlite_master WHERE name = 'pending_ops'"), ==, 1);
  tern_store_close (store);

  /* Opening again changes nothing. */
  again = tern_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tern_store_get_schema_version (again), ==, tern_store_get_latest_schema_version ());
  tern_store_close (again);

  /* A cache written by a newer Tern is left alone, with a clear error. */
  {
    sqlite3 *raw = NULL;
    g_autoptr(TernStore) newer = NULL;

    g_assert_cmpint (sqlite3_open (db, &raw), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 999", NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (raw);
    newer = tern_store_open (dir, &error);
    g_assert_null (newer);
    g_assert_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NEWER_SCHEMA);
  }
  tern_test_remove_tree (dir);
}

static void
test_migrate_from_older (void)
{
  g_autofree char *dir = tern_test_make_tmp_dir ("tern-store-XXXXXX");
  g_autofree char *db_path = g_build_filename (dir, "tern.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TernStore) store = NULL;
  sqlite3 *db = NULL;

  /* A database as version 1 left it, with mail in it. */
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_true (tern_store_migrate (db, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_exec (db,
    "INSERT INTO accounts (id) VALUES ('old');"
    "INSERT INTO folders (id, account_id, path, name, role, total, unread) VALUES (1, 'old', 'INBOX', 'INBOX', 'inbox', 1, 1);"
    "INSERT INTO messages (account_id, folder_id, uid, subject, date, flags) VALUES ('old', 1, 7, 'Kept', 100, 0);"
    "INSERT INTO messages_fts (rowid, subject, addresses, body) VALUES (1, 'Kept', 'a@b', 'kept body');",
    NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "SELECT 1 FROM pending_ops", NULL, NULL, NULL), !=, SQLITE_OK);
  sqlite3_close (db);

  store = tern_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tern_store_get_schema_version (store), ==, tern_store_get_latest_schema_version ());
  g_assert_cmpint (tern_test_query_int (store, "SELECT count(*) FROM messages WHERE subject = 'Kept' AND uid = 7"), ==, 1);
  g_assert_cmpint (tern_test_query_int (store, "SELECT total FROM folders WHERE id = 1"), ==, 1);
  g_assert_cmpint (tern_test_query_int (store, "SELECT unread FROM folders WHERE id = 1"), ==, 1);
  g_assert_cmpint (tern_test_query_int (store, "SELECT count(*) FROM pending_ops"), ==, 0);
  g_assert_cmpint (tern_test_query_int (store, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'kept'"), ==, 1);
  tern_store_close (store);
  tern_test_remove_tree (dir);
}

typedef struct
{
  guint             emissions;
  TernStoreChanges *all;
} ChangeLog;

static void
changed_cb (TernStore        *store,
            TernStoreChanges *changes,
            gpointer          user_data)
{
  ChangeLog *log = user_data;

  log->emissions++;
  tern_store_changes_merge (log->all, changes);
}

static void
test_insert_and_counts (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_message_info_free);
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) again = NULL;
  ChangeLog log = { 0, tern_store_changes_new () };

  g_signal_connect (f->store, "changed", G_CALLBACK (changed_cb), &log);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *mid = g_strdup_printf ("m%u@test", i);
      TernMessageInfo *info = tern_test_message_info (mid, "Hello", 1000 + i);

      info->uid = i + 1;
      info->flags = i % 4 == 0 ? TERN_FLAG_SEEN : 0;
      g_ptr_array_add (infos, info);
    }
  ids = tern_test_insert (f->store, f->inbox, infos);
  g_assert_cmpuint (ids->len, ==, 100);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpint (g_array_index (ids, gint64, i), >, 0);

  g_assert_cmpint (tern_test_query_int (f->store, "SELECT total FROM folders WHERE role = 'inbox'"), ==, 100);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT unread FROM folders WHERE role = 'inbox'"), ==, 75);

  /* The same UIDs again are skipped, not duplicated. */
  again = tern_test_insert (f->store, f->inbox, infos);
  for (guint i = 0; i < again->len; i++)
    g_assert_cmpint (g_array_index (again, gint64, i), ==, 0);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 100);

  /* Changes arrive on the main context, coalesced. */
  tern_test_drain_changes (f->store);
  g_assert_cmpuint (log.all->messages->len, ==, 100);
  g_assert_cmpuint (log.emissions, >=, 1);
  g_assert_cmpuint (log.emissions, <=, 3);
  g_assert_cmpint (g_array_index (log.all->messages, TernStoreMessageChange, 0).kind, ==, TERN_STORE_CHANGE_ADDED);

  /* Flags keep the counters right. */
  tern_test_update_flags (f->store, g_array_index (ids, gint64, 1), TERN_FLAG_SEEN | TERN_FLAG_FLAGGED, 0);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT unread FROM folders WHERE role = 'inbox'"), ==, 74);
  tern_test_update_flags (f->store, g_array_index (ids, gint64, 0), 0, TERN_FLAG_SEEN);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT unread FROM folders WHERE role = 'inbox'"), ==, 75);

  /* Moves and deletes too. */
  {
    gint64 archive = tern_test_ensure_folder (f->store, "acct", "Archive", "archive");

    tern_test_move (f->store, g_array_index (ids, gint64, 2), archive);
    g_assert_cmpint (tern_test_query_int (f->store, "SELECT total FROM folders WHERE role = 'archive'"), ==, 1);
    g_assert_cmpint (tern_test_query_int (f->store, "SELECT unread FROM folders WHERE role = 'archive'"), ==, 1);
    g_assert_cmpint (tern_test_query_int (f->store, "SELECT total FROM folders WHERE role = 'inbox'"), ==, 99);
  }
  tern_test_delete (f->store, g_array_index (ids, gint64, 3));
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT total FROM folders WHERE role = 'inbox'"), ==, 98);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT unread FROM folders WHERE role = 'inbox'"), ==, 73);
  g_assert_cmpint (tern_test_query_int (f->store,
                                        "SELECT count(*) FROM folders f WHERE total != (SELECT count(*) FROM messages WHERE folder_id = f.id)"), ==, 0);

  /* The address book saw the sender. */
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT times_seen FROM addresses WHERE address = 'SENDER@example.test'"), ==, 100);

  /* An id never names a second message, even after the newest is deleted. */
  {
    gint64 newest = tern_test_query_int (f->store, "SELECT max(id) FROM messages");
    gint64 next;

    tern_test_delete (f->store, newest);
    next = tern_test_insert_one (f->store, f->inbox, tern_test_message_info ("again@t", "Again", 5));
    g_assert_cmpint (next, >, newest);
  }

  tern_test_drain_changes (f->store);
  g_signal_handlers_disconnect_by_data (f->store, &log);
  tern_store_changes_unref (log.all);
}

static const char raw_message[] =
  "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jurgen@example.test>\r\n"
  "To: alice@example.test\r\n"
  "Subject: =?ISO-8859-1?Q?Caf=E9?= plans\r\n"
  "Date: Tue, 03 Mar 2026 10:00:00 +0100\r\n"
  "Message-ID: <raw-1@example.test>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=b1\r\n"
  "\r\n"
  "--b1\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "\r\n"
  "Let us meet at the zeppelin museum on Friday.\r\n"
  "--b1\r\n"
  "Content-Type: application/pdf; name=plan.pdf\r\n"
  "Content-Disposition: attachment; filename=plan.pdf\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "JVBERi0xLjQK\r\n"
  "--b1--\r\n";

static void
test_add_raw_message (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *path = NULL;
  gint64 id = tern_test_add_raw (f->store, f->inbox, raw_message, &error);
  sqlite3_stmt *stmt = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);

  /* The file is byte-exact, named by the store, and visible only complete. */
  path = tern_store_dup_body_path (f->store, id);
  g_assert_nonnull (path);
  g_assert_true (g_str_has_prefix (path, f->dir));
  g_assert_true (g_str_has_suffix (path, ".eml"));
  body = tern_store_load_body (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), raw_message, strlen (raw_message));

  g_assert_cmpint (sqlite3_prepare_v2 (tern_store_get_reader (f->store),
                                       "SELECT subject, from_name, from_addr, has_attachments, body_state, size, message_id"
                                       " FROM messages WHERE id = ?", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "Café plans");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "Jürgen Müller");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "jurgen@example.test");
  g_assert_cmpint (sqlite3_column_int (stmt, 3), ==, 1);
  g_assert_cmpint (sqlite3_column_int (stmt, 4), ==, 2);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 5), ==, (gint64) strlen (raw_message));
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 6), ==, "raw-1@example.test");
  sqlite3_finalize (stmt);

  /* Body words, and accent-folded subject words, are searchable. */
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'zeppelin'"), ==, 1);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'cafe'"), ==, 1);

  /* Deleting removes the file after the commit. */
  tern_test_delete (f->store, id);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'zeppelin'"), ==, 0);
}

static void
test_set_body (Fixture       *f,
               gconstpointer  data)
{
  TernMessageInfo *info = tern_test_message_info ("raw-1@example.test", "Café plans", 1000);
  g_autoptr(GBytes) raw = g_bytes_new_static (raw_message, strlen (raw_message));
  g_autoptr(GError) error = NULL;
  gint64 id;
  TernWait wait;

  info->uid = 42;
  id = tern_test_insert_one (f->store, f->inbox, info);
  g_assert_null (tern_store_dup_body_path (f->store, id));
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'zeppelin'"), ==, 0);

  tern_wait_begin (&wait);
  tern_store_set_body_async (f->store, id, raw, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_set_body_finish (f->store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);

  g_assert_nonnull (tern_store_dup_body_path (f->store, id));
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT has_attachments FROM messages"), ==, 1);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'zeppelin'"), ==, 1);

  /* A body for a message that is gone is an error, not a crash. */
  tern_test_delete (f->store, id);
  tern_wait_begin (&wait);
  tern_store_set_body_async (f->store, id, raw, NULL, tern_wait_cb, &wait);
  g_assert_false (tern_store_set_body_finish (f->store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND);
}

static gint64
thread_of (TernStore  *store,
           const char *message_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT thread_id FROM messages WHERE message_id = '%s'", message_id);

  return tern_test_query_int (store, sql);
}

static TernMessageInfo *
reply (const char  *message_id,
       const char  *subject,
       gint64       date,
       const char  *in_reply_to,
       const char **references)
{
  TernMessageInfo *info = tern_test_message_info (message_id, subject, date);

  info->in_reply_to = g_strdup (in_reply_to);
  info->references = g_strdupv ((char **) references);
  return info;
}

static void
test_threads (Fixture       *f,
              gconstpointer  data)
{
  gint64 sent = tern_test_ensure_folder (f->store, "acct", "Sent", "sent");
  gint64 other = tern_test_ensure_folder (f->store, "other", "INBOX", "inbox");
  const char *refs_ab[] = { "a@t", NULL };
  const char *refs_abc[] = { "a@t", "b@t", NULL };
  const char *refs_xz[] = { "x@t", "y@t", NULL };
  gint64 day = 86400;

  /* A plain chain, with the reply filed in Sent. */
  tern_test_insert_one (f->store, f->inbox, tern_test_message_info ("a@t", "Plan", 1000));
  tern_test_insert_one (f->store, sent, reply ("b@t", "Re: Plan", 2000, "a@t", refs_ab));
  tern_test_insert_one (f->store, f->inbox, reply ("c@t", "Re: Plan", 3000, "b@t", refs_abc));
  g_assert_cmpint (thread_of (f->store, "a@t"), ==, thread_of (f->store, "b@t"));
  g_assert_cmpint (thread_of (f->store, "a@t"), ==, thread_of (f->store, "c@t"));

  /* A reply arriving before its parent; the parent joins it later. */
  tern_test_insert_one (f->store, f->inbox, reply ("z@t", "Re: Early", 5000, "y@t", refs_xz));
  tern_test_insert_one (f->store, f->inbox, tern_test_message_info ("x@t", "Early", 4000));
  g_assert_cmpint (thread_of (f->store, "x@t"), ==, thread_of (f->store, "z@t"));
  g_assert_cmpint (thread_of (f->store, "x@t"), !=, thread_of (f->store, "a@t"));

  /* The same subject without headers: a reply prefix within the window
   * joins; a new subject does not; an old one does not. */
  tern_test_insert_one (f->store, f->inbox, tern_test_message_info ("s1@t", "Lunch?", 100 * day));
  tern_test_insert_one (f->store, f->inbox, tern_test_message_info ("s2@t", "RE: lunch?", 101 * day));
  tern_test_insert_one (f->store, f->inbox, tern_test_message_info ("s3@t", "Lunch?", 102 * day));
  tern_test_insert_one (f->store, f->inbox, tern_test_message_info ("s4@t", "Re: Lunch?", 400 * day));
  g_assert_cmpint (thread_of (f->store, "s1@t"), ==, thread_of (f->store, "s2@t"));
  g_assert_cmpint (thread_of (f->store, "s3@t"), !=, thread_of (f->store, "s1@t"));
  g_assert_cmpint (thread_of (f->store, "s4@t"), !=, thread_of (f->store, "s1@t"));

  /* A message referring to itself does not loop. */
  {
    const char *self_ref[] = { "loop@t", NULL };

    tern_test_insert_one (f->store, f->inbox, reply ("loop@t", "Loop", 6000, "loop@t", self_ref));
    g_assert_cmpint (thread_of (f->store, "loop@t"), >, 0);
  }

  /* Threads never cross accounts. */
  tern_test_insert_one (f->store, other, reply ("o@t", "Re: Plan", 3500, "a@t", refs_ab));
  g_assert_cmpint (thread_of (f->store, "o@t"), !=, thread_of (f->store, "a@t"));
}

static void
test_remove_account (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = tern_test_add_raw (f->store, f->inbox, raw_message, &error);
  g_autofree char *path = tern_store_dup_body_path (f->store, id);
  gint64 other = tern_test_ensure_folder (f->store, "other", "INBOX", "inbox");
  TernWait wait;

  tern_test_insert_one (f->store, other, tern_test_message_info ("keep@t", "Keep", 1));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  tern_wait_begin (&wait);
  tern_store_remove_account_async (f->store, "acct", NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_remove_account_finish (f->store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages WHERE account_id = 'acct'"), ==, 0);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM folders WHERE account_id = 'acct'"), ==, 0);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 1);
}

static void
test_folder_sync_state (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GError) body_error = NULL;
  gint64 with_body = tern_test_add_raw (f->store, f->inbox, raw_message, &body_error);
  g_autofree char *path = tern_store_dup_body_path (f->store, with_body);
  guint32 uidvalidity, uidnext;
  guint64 modseq;
  TernWait wait;

  g_assert_no_error (body_error);
  for (guint i = 3; i > 0; i--)
    {
      TernMessageInfo *info = tern_test_message_info (NULL, "With UID", i);

      info->uid = i * 10;
      info->flags = i == 2 ? TERN_FLAG_SEEN : 0;
      tern_test_insert_one (f->store, f->inbox, info);
    }

  tern_wait_begin (&wait);
  tern_store_set_folder_sync_state_async (f->store, f->inbox, 77, 31, 9000, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_set_folder_sync_state_finish (f->store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_true (tern_store_get_folder_sync_state (f->store, f->inbox, &uidvalidity, &uidnext, &modseq));
  g_assert_cmpuint (uidvalidity, ==, 77);
  g_assert_cmpuint (uidnext, ==, 31);
  g_assert_cmpuint (modseq, ==, 9000);
  g_assert_false (tern_store_get_folder_sync_state (f->store, 424242, NULL, NULL, NULL));

  uids = tern_store_list_uids (f->store, f->inbox);
  g_assert_cmpuint (uids->len, ==, 3);
  g_assert_cmpuint (g_array_index (uids, TernStoreUid, 0).uid, ==, 10);
  g_assert_cmpuint (g_array_index (uids, TernStoreUid, 1).flags, ==, TERN_FLAG_SEEN);
  g_assert_cmpuint (g_array_index (uids, TernStoreUid, 2).uid, ==, 30);

  /* A new UIDVALIDITY drops every message of the folder, files included. */
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  tern_wait_begin (&wait);
  tern_store_reset_folder_async (f->store, f->inbox, 78, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_reset_folder_finish (f->store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 0);
  g_assert_true (tern_store_get_folder_sync_state (f->store, f->inbox, &uidvalidity, &uidnext, &modseq));
  g_assert_cmpuint (uidvalidity, ==, 78);
  g_assert_cmpuint (uidnext, ==, 0);
  g_assert_cmpuint (modseq, ==, 0);
  g_assert_cmpint (tern_test_query_int (f->store, "SELECT total FROM folders WHERE id = 1"), ==, 0);
}

/* Crash safety: a child writes whole messages as fast as it can and is
 * killed with SIGKILL at a random moment, several times over one store. */

static int
run_child_writer (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TernStore) store = tern_store_open (dir, &error);
  gint64 folder;
  guint n = 0;

  if (store == NULL)
    {
      g_printerr ("child: %s\n", error->message);
      return 1;
    }
  folder = tern_test_ensure_folder (store, "acct", "INBOX", "inbox");
  for (;;)
    {
      g_autofree char *raw = g_strdup_printf ("From: child@example.test\r\nSubject: child %u %d\r\n"
                                              "Message-ID: <child-%d-%u@t>\r\n\r\n%s\r\n",
                                              n, getpid (), getpid (), n,
                                              "A body line that makes the file a little longer than its headers.");
      g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));
      g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_message_info_free);

      /* Whole messages and summaries, interleaved, without waiting. */
      tern_store_add_message_async (store, folder, NULL, bytes, NULL, NULL, NULL);
      g_ptr_array_add (infos, tern_test_message_info ("summary@t", "summary", n));
      tern_store_insert_messages_async (store, folder, infos, NULL, NULL, NULL);
      if (++n % 64 == 0)
        tern_test_flush (store);
    }
  return 0;
}

static void
check_store_consistent (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TernStore) store = tern_store_open (dir, &error);
  sqlite3_stmt *stmt = NULL;
  g_autofree char *tmp = g_build_filename (dir, "messages", "tmp", NULL);
  g_autoptr(GDir) tmp_dir = NULL;
  guint files = 0;

  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_cmpint (tern_test_query_int (store, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), ==, 0);
  g_assert_cmpint (tern_test_query_int (store,
                                        "SELECT count(*) FROM folders f WHERE total != (SELECT count(*) FROM messages WHERE folder_id = f.id)"
                                        " OR unread != (SELECT count(*) FROM messages WHERE folder_id = f.id AND (flags & 1) = 0)"), ==, 0);

  /* Every committed message with a body names a complete file. */
  g_assert_cmpint (sqlite3_prepare_v2 (tern_store_get_reader (store),
                                       "SELECT id, size FROM messages WHERE body_state = 2", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(GBytes) body = tern_store_load_body (store, sqlite3_column_int64 (stmt, 0), &error);

      g_assert_no_error (error);
      g_assert_cmpint ((gint64) g_bytes_get_size (body), ==, sqlite3_column_int64 (stmt, 1));
      files++;
    }
  sqlite3_finalize (stmt);
  g_test_message ("%u complete message files", files);

  /* Half-written files never get a final name; open cleans them up. */
  tmp_dir = g_dir_open (tmp, 0, NULL);
  g_assert_nonnull (tmp_dir);
  g_assert_null (g_dir_read_name (tmp_dir));
  tern_store_close (store);
}

static void
test_crash_safety (void)
{
  g_autofree char *dir = tern_test_make_tmp_dir ("tern-store-crash-XXXXXX");
  const char *self_exe = g_test_get_filename (G_TEST_BUILT, "test-store", NULL);

  for (guint round = 0; round < 6; round++)
    {
      GPid pid;
      const char *argv[] = { self_exe, "--child-writer", dir, NULL };
      g_autoptr(GError) error = NULL;
      int status;

      g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                    NULL, NULL, &pid, &error));
      g_assert_no_error (error);
      g_usleep (g_test_rand_int_range (150, 700) * 1000);
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      g_assert_true (WIFSIGNALED (status));
      g_spawn_close_pid (pid);
      check_store_consistent (dir);
    }
  tern_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--child-writer"))
    return run_child_writer (argv[2]);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/store/open-empty", test_open_empty);
  g_test_add_func ("/tern/store/migrate-from-older", test_migrate_from_older);
  g_test_add ("/tern/store/insert-and-counts", Fixture, NULL, fixture_set_up, test_insert_and_counts, fixture_tear_down);
  g_test_add ("/tern/store/add-raw-message", Fixture, NULL, fixture_set_up, test_add_raw_message, fixture_tear_down);
  g_test_add ("/tern/store/set-body", Fixture, NULL, fixture_set_up, test_set_body, fixture_tear_down);
  g_test_add ("/tern/store/threads", Fixture, NULL, fixture_set_up, test_threads, fixture_tear_down);
  g_test_add ("/tern/store/remove-account", Fixture, NULL, fixture_set_up, test_remove_account, fixture_tear_down);
  g_test_add ("/tern/store/folder-sync-state", Fixture, NULL, fixture_set_up, test_folder_sync_state, fixture_tear_down);
  g_test_add_func ("/tern/store/crash-safety", test_crash_safety);

  return g_test_run ();
}
