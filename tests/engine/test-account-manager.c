/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-account-manager"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "tern-engine.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("tern-accounts-XXXXXX", &error);

  g_assert_no_error (error);
  fixture->dir = g_build_filename (tmp, "accounts", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *parent = g_path_get_dirname (fixture->dir);

  remove_tree (parent);
  g_free (fixture->dir);
}

static TernAccount *
make_account (const char *name,
              const char *email)
{
  TernAccount *account = tern_account_new (NULL);

  tern_account_set_name (account, name);
  tern_account_set_email (account, email);
  tern_account_set_host (account, "127.0.0.1");
  tern_account_set_username (account, email);
  return account;
}

typedef struct
{
  guint position;
  guint removed;
  guint added;
  guint calls;
} ItemsChanged;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  ItemsChanged *changed = user_data;

  changed->position = position;
  changed->removed = removed;
  changed->added = added;
  changed->calls++;
}

static void
test_add_lookup_remove (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TernAccountManager) manager = tern_account_manager_new (fixture->dir);
  g_autoptr(TernAccount) work = make_account ("Work", "alice@example.test");
  g_autoptr(TernAccount) home = make_account ("Home", "alice@home.test");
  g_autoptr(TernAccount) again = make_account ("Work", "other@example.test");
  g_autoptr(TernAccount) first = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  ItemsChanged changed = { 0 };
  GStatBuf st;

  g_assert_true (tern_account_manager_load (manager, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (manager)) == TERN_TYPE_ACCOUNT);
  g_signal_connect (manager, "items-changed", G_CALLBACK (items_changed_cb), &changed);

  g_assert_true (tern_account_manager_add (manager, work, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed.calls, ==, 1);
  g_assert_true (tern_account_manager_add (manager, home, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 2);

  /* Sorted by name. */
  first = g_list_model_get_item (G_LIST_MODEL (manager), 0);
  g_assert_true (first == home);

  g_assert_false (tern_account_manager_add (manager, again, &error));
  g_assert_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_EXISTS);
  g_clear_error (&error);

  g_assert_true (tern_account_manager_lookup (manager, "Work") == work);
  g_assert_true (tern_account_manager_lookup (manager, tern_account_get_id (home)) == home);
  g_assert_null (tern_account_manager_lookup (manager, "Nope"));

  /* The file is private to its owner and holds no secret. */
  path = g_strdup_printf ("%s/%s.ini", fixture->dir, tern_account_get_id (work));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (fixture->dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  changed.calls = 0;
  g_assert_true (tern_account_manager_remove (manager, work, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed.calls, ==, 1);
  g_assert_cmpuint (changed.position, ==, 1);
  g_assert_cmpuint (changed.removed, ==, 1);
  g_assert_cmpuint (changed.added, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 1);

  g_clear_object (&first);
  g_assert_finalize_object (g_steal_pointer (&manager));
}

static void
test_persist (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TernAccountManager) manager = tern_account_manager_new (fixture->dir);
  g_autoptr(TernAccountManager) other = tern_account_manager_new (fixture->dir);
  g_autoptr(TernAccount) work = make_account ("Wörk ✉", "alice@example.test");
  g_autoptr(GError) error = NULL;
  TernAccount *loaded;

  tern_account_set_protocol (work, TERN_PROTOCOL_POP3);
  tern_account_set_port (work, 10995);
  g_assert_true (tern_account_manager_add (manager, work, &error));
  g_assert_no_error (error);

  g_assert_true (tern_account_manager_load (other, &error));
  g_assert_no_error (error);
  loaded = tern_account_manager_lookup (other, "Wörk ✉");
  g_assert_nonnull (loaded);
  g_assert_true (loaded != work);
  g_assert_cmpstr (tern_account_get_id (loaded), ==, tern_account_get_id (work));
  g_assert_cmpint (tern_account_get_protocol (loaded), ==, TERN_PROTOCOL_POP3);
  g_assert_cmpuint (tern_account_get_port (loaded), ==, 10995);

  /* A saved change reaches the other instance's existing object on reload. */
  tern_account_set_host (work, "mail.example.test");
  g_assert_true (tern_account_manager_save (manager, work, &error));
  g_assert_no_error (error);
  g_assert_true (tern_account_manager_load (other, &error));
  g_assert_true (tern_account_manager_lookup (other, "Wörk ✉") == loaded);
  g_assert_cmpstr (tern_account_get_host (loaded), ==, "mail.example.test");

  /* An invalid change is not saved. */
  tern_account_set_email (work, "not an address");
  g_assert_false (tern_account_manager_save (manager, work, &error));
  g_assert_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID);
}

static void
test_broken_file_skipped (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(TernAccountManager) manager = tern_account_manager_new (fixture->dir);
  g_autoptr(TernAccount) work = make_account ("Work", "alice@example.test");
  g_autoptr(GError) error = NULL;
  g_autofree char *broken = g_build_filename (fixture->dir, "broken.ini", NULL);
  g_autofree char *ignored = g_build_filename (fixture->dir, "notes.txt", NULL);

  g_assert_true (tern_account_manager_add (manager, work, &error));
  g_assert_true (g_file_set_contents (broken, "[Account]\nName=Broken\n", -1, NULL));
  g_assert_true (g_file_set_contents (ignored, "hello", -1, NULL));

  g_test_expect_message ("tern-account-manager", G_LOG_LEVEL_WARNING, "Skipping account file*broken.ini*");
  g_assert_true (tern_account_manager_load (manager, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 1);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for_items (TernAccountManager *manager,
                guint               n)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (10, timeout_cb, &timed_out);

  while (g_list_model_get_n_items (G_LIST_MODEL (manager)) != n && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
}

static void
test_watch (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(TernAccountManager) watched = tern_account_manager_new (fixture->dir);
  g_autoptr(TernAccountManager) writer = tern_account_manager_new (fixture->dir);
  g_autoptr(TernAccount) work = make_account ("Work", "alice@example.test");
  g_autoptr(GError) error = NULL;

  g_assert_true (tern_account_manager_load (watched, &error));
  tern_account_manager_watch (watched);

  /* Another process (here: another manager) adds and removes accounts. */
  g_assert_true (tern_account_manager_add (writer, work, &error));
  g_assert_no_error (error);
  wait_for_items (watched, 1);
  g_assert_nonnull (tern_account_manager_lookup (watched, "Work"));

  g_assert_true (tern_account_manager_remove (writer, work, &error));
  wait_for_items (watched, 0);

  g_assert_finalize_object (g_steal_pointer (&watched));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tern/account-manager/add-lookup-remove", Fixture, NULL,
              fixture_set_up, test_add_lookup_remove, fixture_tear_down);
  g_test_add ("/tern/account-manager/persist", Fixture, NULL,
              fixture_set_up, test_persist, fixture_tear_down);
  g_test_add ("/tern/account-manager/broken-file-skipped", Fixture, NULL,
              fixture_set_up, test_broken_file_skipped, fixture_tear_down);
  g_test_add ("/tern/account-manager/watch", Fixture, NULL,
              fixture_set_up, test_watch, fixture_tear_down);

  return g_test_run ();
}
