/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-test-store"

#include <glib/gstdio.h>

#include "tern-test-store.h"

char *
tern_test_make_tmp_dir (const char *template)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  return dir;
}

void
tern_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          tern_test_remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

gint64
tern_test_ensure_folder (TernStore  *store,
                         const char *account_id,
                         const char *path,
                         const char *role)
{
  g_autoptr(TernFolderInfo) info = tern_folder_info_new (account_id, path, "/", role);
  g_autoptr(GError) error = NULL;
  TernWait wait;
  gint64 id;

  tern_wait_begin (&wait);
  tern_store_ensure_folder_async (store, info, NULL, tern_wait_cb, &wait);
  id = tern_store_ensure_folder_finish (store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

GArray *
tern_test_insert (TernStore *store,
                  gint64     folder_id,
                  GPtrArray *infos)
{
  g_autoptr(GError) error = NULL;
  TernWait wait;
  GArray *ids;

  tern_wait_begin (&wait);
  tern_store_insert_messages_async (store, folder_id, infos, NULL, tern_wait_cb, &wait);
  ids = tern_store_insert_messages_finish (store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_nonnull (ids);
  return ids;
}

gint64
tern_test_insert_one (TernStore       *store,
                      gint64           folder_id,
                      TernMessageInfo *info)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_message_info_free);
  g_autoptr(GArray) ids = NULL;

  g_ptr_array_add (infos, info);
  ids = tern_test_insert (store, folder_id, infos);
  return g_array_index (ids, gint64, 0);
}

gint64
tern_test_add_raw (TernStore   *store,
                   gint64       folder_id,
                   const char  *raw,
                   GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));
  TernWait wait;
  gint64 id;

  tern_wait_begin (&wait);
  tern_store_add_message_async (store, folder_id, NULL, bytes, NULL, tern_wait_cb, &wait);
  id = tern_store_add_message_finish (store, tern_wait_end (&wait), error);
  tern_wait_clear (&wait);
  return id;
}

static GArray *
one_id (gint64 id)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_array_append_val (ids, id);
  return ids;
}

void
tern_test_update_flags (TernStore *store,
                        gint64     id,
                        guint      add,
                        guint      remove)
{
  g_autoptr(GArray) ids = one_id (id);
  g_autoptr(GError) error = NULL;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_store_update_flags_async (store, ids, add, remove, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_update_flags_finish (store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

void
tern_test_delete (TernStore *store,
                  gint64     id)
{
  g_autoptr(GArray) ids = one_id (id);
  g_autoptr(GError) error = NULL;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_store_delete_messages_async (store, ids, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_delete_messages_finish (store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

void
tern_test_move (TernStore *store,
                gint64     id,
                gint64     folder_id)
{
  g_autoptr(GArray) ids = one_id (id);
  g_autoptr(GError) error = NULL;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_store_move_messages_async (store, ids, folder_id, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_move_messages_finish (store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

void
tern_test_flush (TernStore *store)
{
  g_autoptr(GError) error = NULL;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_store_flush_async (store, NULL, tern_wait_cb, &wait);
  g_assert_true (tern_store_flush_finish (store, tern_wait_end (&wait), &error));
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

void
tern_test_drain_changes (TernStore *store)
{
  tern_test_flush (store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

TernMessageInfo *
tern_test_message_info (const char *message_id,
                        const char *subject,
                        gint64      date)
{
  TernMessageInfo *info = tern_message_info_new ();

  info->message_id = g_strdup (message_id);
  info->subject = g_strdup (subject);
  info->from_name = g_strdup ("Test Sender");
  info->from_addr = g_strdup ("sender@example.test");
  info->date = date;
  info->internal_date = date;
  info->size = 1000;
  return info;
}

gint64
tern_test_query_int (TernStore  *store,
                     const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (tern_store_get_reader (store), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}
