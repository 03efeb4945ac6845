/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-message-list"

#include "tern-test-store.h"

typedef struct
{
  char      *dir;
  TernStore *store;
  gint64     inbox_a;
  gint64     inbox_b;
  gint64     archive_a;
  gint64     trash_a;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = tern_test_make_tmp_dir ("tern-list-XXXXXX");
  f->store = tern_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->inbox_a = tern_test_ensure_folder (f->store, "a", "INBOX", "inbox");
  f->inbox_b = tern_test_ensure_folder (f->store, "b", "INBOX", "inbox");
  f->archive_a = tern_test_ensure_folder (f->store, "a", "Archive", "archive");
  f->trash_a = tern_test_ensure_folder (f->store, "a", "Trash", "trash");
  tern_test_drain_changes (f->store);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  tern_store_close (f->store);
  g_assert_finalize_object (g_steal_pointer (&f->store));
  tern_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* A shadow of the list kept only from items-changed: if the model's
 * signals are right, it always equals what the store says. */
typedef struct
{
  GListModel *model;
  GArray     *ids;
  guint       signals;
} Shadow;

static gint64
item_id (GListModel *model,
         guint       position)
{
  g_autoptr(TernMessage) message = g_list_model_get_item (model, position);

  g_assert_nonnull (message);
  return tern_message_get_id (message);
}

static void
shadow_items_changed_cb (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         gpointer    user_data)
{
  Shadow *shadow = user_data;

  g_assert_cmpuint (position + removed, <=, shadow->ids->len);
  g_array_remove_range (shadow->ids, position, removed);
  for (guint i = 0; i < added; i++)
    {
      gint64 id = item_id (model, position + i);

      g_array_insert_val (shadow->ids, position + i, id);
    }
  shadow->signals++;
}

static Shadow *
shadow_new (GListModel *model)
{
  Shadow *shadow = g_new0 (Shadow, 1);
  guint n = g_list_model_get_n_items (model);

  shadow->model = model;
  shadow->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < n; i++)
    {
      gint64 id = item_id (model, i);

      g_array_append_val (shadow->ids, id);
    }
  g_signal_connect (model, "items-changed", G_CALLBACK (shadow_items_changed_cb), shadow);
  return shadow;
}

static void
shadow_free (Shadow *shadow)
{
  g_signal_handlers_disconnect_by_data (shadow->model, shadow);
  g_array_unref (shadow->ids);
  g_free (shadow);
}

/* The naive model: ask SQLite for the whole list. */
static void
assert_matches_sql (TernStore  *store,
                    Shadow     *shadow,
                    const char *where)
{
  g_autofree char *sql = g_strdup_printf ("SELECT id FROM messages m WHERE %s ORDER BY date DESC, id DESC", where);
  sqlite3_stmt *stmt = NULL;
  guint i = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (tern_store_get_reader (store), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_assert_cmpuint (i, <, shadow->ids->len);
      g_assert_cmpint (g_array_index (shadow->ids, gint64, i), ==, sqlite3_column_int64 (stmt, 0));
      i++;
    }
  sqlite3_finalize (stmt);
  g_assert_cmpuint (i, ==, shadow->ids->len);
  g_assert_cmpuint (g_list_model_get_n_items (shadow->model), ==, shadow->ids->len);
}

static void
fill (Fixture *f,
      gint64   folder,
      guint    n,
      gint64   base_date,
      guint    uid_base)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_message_info_free);
  g_autoptr(GArray) ids = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *mid = g_strdup_printf ("f%" G_GINT64_FORMAT "-%u@t", folder, uid_base + i);
      TernMessageInfo *info = tern_test_message_info (mid, "Subject", base_date + (gint64) i * 60);

      info->uid = uid_base + i + 1;
      info->flags = i % 3 == 0 ? 0 : TERN_FLAG_SEEN;
      g_ptr_array_add (infos, info);
    }
  ids = tern_test_insert (f->store, folder, infos);
}

static void
test_folder_order_and_laziness (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(TernMessageList) list = NULL;
  gint64 previous = G_MAXINT64;
  guint n;

  fill (f, f->inbox_a, 1500, 1000000, 0);
  tern_test_drain_changes (f->store);

  list = tern_message_list_new_for_folder (f->store, f->inbox_a);
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_assert_cmpuint (n, ==, 1500);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (list)) == TERN_TYPE_MESSAGE);
  g_assert_cmpuint (tern_message_list_get_n_cached (list), ==, 0);

  /* Reading one item materialises one item. */
  {
    g_autoptr(TernMessage) last = g_list_model_get_item (G_LIST_MODEL (list), n - 1);

    g_assert_cmpuint (tern_message_list_get_n_cached (list), ==, 1);
    g_assert_cmpint (tern_message_get_date (last), ==, 1000000);
  }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TernMessage) message = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_cmpint (tern_message_get_date (message), <=, previous);
      previous = tern_message_get_date (message);
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), n));
  g_assert_finalize_object (g_steal_pointer (&list));
}

static void
test_unified_inbox (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TernMessageList) list = NULL;
  Shadow *shadow;

  fill (f, f->inbox_a, 400, 1000000, 0);
  fill (f, f->inbox_b, 400, 1000030, 0);
  fill (f, f->archive_a, 50, 2000000, 0);
  tern_test_drain_changes (f->store);

  list = tern_message_list_new_unified (f->store, TERN_MESSAGE_LIST_ALL_INBOXES);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 800);
  shadow = shadow_new (G_LIST_MODEL (list));
  assert_matches_sql (f->store, shadow, "folder_id IN (SELECT id FROM folders WHERE role = 'inbox')");

  /* Both accounts interleave, newest first. */
  {
    g_autoptr(TernMessage) first = g_list_model_get_item (G_LIST_MODEL (list), 0);
    g_autoptr(TernMessage) second = g_list_model_get_item (G_LIST_MODEL (list), 1);

    g_assert_cmpstr (tern_message_get_account_id (first), ==, "b");
    g_assert_cmpstr (tern_message_get_account_id (second), ==, "a");
  }

  /* New mail in either inbox appears in place; archive mail does not. */
  tern_test_insert_one (f->store, f->inbox_a, tern_test_message_info ("new@t", "New", 3000000));
  tern_test_insert_one (f->store, f->archive_a, tern_test_message_info ("arch@t", "Archived", 3000001));
  tern_test_drain_changes (f->store);
  assert_matches_sql (f->store, shadow, "folder_id IN (SELECT id FROM folders WHERE role = 'inbox')");
  g_assert_cmpint (g_array_index (shadow->ids, gint64, 0), ==,
                   tern_test_query_int (f->store, "SELECT id FROM messages WHERE message_id = 'new@t'"));
  shadow_free (shadow);
}

/* Random inserts, flag changes, moves and deletes, checked after every
 * batch against SQLite for several kinds of list at once. */
static void
test_randomized (Fixture       *f,
                 gconstpointer  data)
{
  struct {
    TernMessageList *list;
    Shadow          *shadow;
    const char      *where;
  } views[4];
  gint64 folders[4] = { f->inbox_a, f->inbox_b, f->archive_a, f->trash_a };
  g_autoptr(GArray) live = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint uid = 1;

  fill (f, f->inbox_a, 300, 1000000, 100000);
  tern_test_drain_changes (f->store);

  views[0].list = tern_message_list_new_for_folder (f->store, f->inbox_a);
  views[0].where = g_strdup_printf ("folder_id = %" G_GINT64_FORMAT, f->inbox_a);
  views[1].list = tern_message_list_new_unified (f->store, TERN_MESSAGE_LIST_ALL_INBOXES);
  views[1].where = "folder_id IN (SELECT id FROM folders WHERE role = 'inbox')";
  views[2].list = tern_message_list_new_unified (f->store, TERN_MESSAGE_LIST_UNREAD);
  views[2].where = "(flags & 1) = 0 AND folder_id NOT IN (SELECT id FROM folders WHERE role IN ('trash', 'junk'))";
  views[3].list = tern_message_list_new_unified (f->store, TERN_MESSAGE_LIST_FLAGGED);
  views[3].where = "(flags & 4) != 0 AND folder_id NOT IN (SELECT id FROM folders WHERE role IN ('trash', 'junk'))";
  for (guint v = 0; v < G_N_ELEMENTS (views); v++)
    views[v].shadow = shadow_new (G_LIST_MODEL (views[v].list));

  {
    sqlite3_stmt *stmt = NULL;

    sqlite3_prepare_v2 (tern_store_get_reader (f->store), "SELECT id FROM messages", -1, &stmt, NULL);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        gint64 id = sqlite3_column_int64 (stmt, 0);

        g_array_append_val (live, id);
      }
    sqlite3_finalize (stmt);
  }

  for (guint round = 0; round < 60; round++)
    {
      guint ops = g_test_rand_int_range (1, 12);

      for (guint o = 0; o < ops; o++)
        {
          int what = g_test_rand_int_range (0, 100);

          if (what < 35 || live->len < 5)
            {
              g_autofree char *mid = g_strdup_printf ("r%u@t", uid);
              TernMessageInfo *info = tern_test_message_info (mid, "Random",
                                                              /* Equal dates happen: the id breaks ties. */
                                                              1000000 + g_test_rand_int_range (0, 400) * 30);
              gint64 id;

              info->uid = 500000 + uid++;
              info->flags = (g_test_rand_bit () ? TERN_FLAG_SEEN : 0) | (g_test_rand_int_range (0, 4) == 0 ? TERN_FLAG_FLAGGED : 0);
              id = tern_test_insert_one (f->store, folders[g_test_rand_int_range (0, 4)], info);
              g_array_append_val (live, id);
            }
          else
            {
              guint index = g_test_rand_int_range (0, live->len);
              gint64 id = g_array_index (live, gint64, index);

              if (what < 60)
                tern_test_update_flags (f->store, id, g_test_rand_bit () ? TERN_FLAG_SEEN : TERN_FLAG_FLAGGED,
                                        g_test_rand_bit () ? TERN_FLAG_SEEN : TERN_FLAG_FLAGGED);
              else if (what < 80)
                tern_test_move (f->store, id, folders[g_test_rand_int_range (0, 4)]);
              else
                {
                  tern_test_delete (f->store, id);
                  g_array_remove_index_fast (live, index);
                }
            }
        }
      tern_test_drain_changes (f->store);
      for (guint v = 0; v < G_N_ELEMENTS (views); v++)
        {
          g_test_message ("round %u, view %u", round, v);
          assert_matches_sql (f->store, views[v].shadow, views[v].where);
        }
    }

  /* Every change was told as a small splice, never as a reset. */
  for (guint v = 0; v < G_N_ELEMENTS (views); v++)
    {
      g_test_message ("view %u: %u items-changed", v, views[v].shadow->signals);
      shadow_free (views[v].shadow);
      g_assert_finalize_object (views[v].list);
    }
  g_free ((char *) views[0].where);
}

static void
test_conversations (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TernMessageList) list = NULL;
  const char *refs[] = { "root@t", NULL };
  TernMessageInfo *info;
  Shadow *shadow;

  tern_test_insert_one (f->store, f->inbox_a, tern_test_message_info ("root@t", "Topic", 100));
  tern_test_insert_one (f->store, f->inbox_a, tern_test_message_info ("alone@t", "Other", 150));
  info = tern_test_message_info ("reply@t", "Re: Topic", 200);
  info->in_reply_to = g_strdup ("root@t");
  info->references = g_strdupv ((char **) refs);
  tern_test_insert_one (f->store, f->inbox_a, info);
  tern_test_drain_changes (f->store);

  list = tern_message_list_new_for_folder (f->store, f->inbox_a);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
  tern_message_list_set_conversations (list, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  {
    g_autoptr(TernMessage) first = g_list_model_get_item (G_LIST_MODEL (list), 0);

    g_assert_cmpstr (tern_message_get_message_id (first), ==, "reply@t");
    g_assert_cmpuint (tern_message_get_thread_count (first), ==, 2);
  }

  /* A new reply moves its conversation to the top with one splice. */
  shadow = shadow_new (G_LIST_MODEL (list));
  info = tern_test_message_info ("reply2@t", "Re: Other", 300);
  info->in_reply_to = g_strdup ("alone@t");
  tern_test_insert_one (f->store, f->inbox_a, info);
  tern_test_drain_changes (f->store);
  g_assert_cmpuint (shadow->ids->len, ==, 2);
  g_assert_cmpint (g_array_index (shadow->ids, gint64, 0), ==,
                   tern_test_query_int (f->store, "SELECT id FROM messages WHERE message_id = 'reply2@t'"));
  g_assert_cmpuint (shadow->signals, ==, 1);
  shadow_free (shadow);

  tern_message_list_set_conversations (list, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 4);
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TernMessageList) list = NULL;
  g_autoptr(TernMessageList) unread = NULL;
  g_autoptr(GError) error = NULL;
  TernMessageInfo *info;
  Shadow *shadow;

  info = tern_test_message_info ("s1@t", "Quarterly invoice", 100);
  info->body_text = g_strdup ("Please find the invoice for the zeppelin hangar attached.");
  tern_test_insert_one (f->store, f->inbox_a, info);
  info = tern_test_message_info ("s2@t", "Lunch", 200);
  info->from_addr = g_strdup ("müller@example.test");
  info->flags = TERN_FLAG_SEEN;
  tern_test_insert_one (f->store, f->inbox_b, info);
  tern_test_drain_changes (f->store);

  list = tern_message_list_new_for_search (f->store, "zeppelin", NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_clear_object (&list);

  list = tern_message_list_new_for_search (f->store, "inv", NULL, 0, &error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_clear_object (&list);

  unread = tern_message_list_new_for_search (f->store, "is:unread", NULL, 0, &error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (unread)), ==, 1);

  list = tern_message_list_new_for_search (f->store, "is:unread", "b", 0, &error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_clear_object (&list);

  /* Results follow the store. */
  shadow = shadow_new (G_LIST_MODEL (unread));
  tern_test_update_flags (f->store, tern_test_query_int (f->store, "SELECT id FROM messages WHERE message_id = 's2@t'"),
                          0, TERN_FLAG_SEEN);
  tern_test_drain_changes (f->store);
  g_assert_cmpuint (shadow->ids->len, ==, 2);
  shadow_free (shadow);

  list = tern_message_list_new_for_search (f->store, "before:not-a-date", NULL, 0, &error);
  g_assert_null (list);
  g_assert_nonnull (error);
}

static void
test_folder_tree (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TernFolderTree) tree = tern_folder_tree_new (f->store, NULL);
  g_autoptr(TernFolder) all = NULL;
  g_autoptr(TernFolder) account = NULL;
  TernFolder *inbox;
  GListModel *children;

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tree)), ==, 4 + 2);
  all = g_list_model_get_item (G_LIST_MODEL (tree), 0);
  g_assert_cmpint (tern_folder_get_kind (all), ==, TERN_FOLDER_KIND_ALL_INBOXES);
  account = g_list_model_get_item (G_LIST_MODEL (tree), 4);
  g_assert_cmpint (tern_folder_get_kind (account), ==, TERN_FOLDER_KIND_ACCOUNT);
  children = tern_folder_get_children (account);
  g_assert_nonnull (children);
  g_assert_cmpuint (g_list_model_get_n_items (children), ==, 3);
  {
    g_autoptr(TernFolder) first = g_list_model_get_item (children, 0);

    g_assert_cmpstr (tern_folder_get_role (first), ==, "inbox");
  }

  /* Nested folders hang under their parent. */
  tern_test_ensure_folder (f->store, "a", "Archive/2024", NULL);
  tern_test_drain_changes (f->store);
  g_assert_cmpuint (g_list_model_get_n_items (children), ==, 3);
  inbox = tern_folder_tree_lookup_folder (tree, f->archive_a);
  g_assert_nonnull (tern_folder_get_children (inbox));
  g_assert_cmpuint (g_list_model_get_n_items (tern_folder_get_children (inbox)), ==, 1);

  /* Counts update live. */
  inbox = tern_folder_tree_lookup_folder (tree, f->inbox_a);
  fill (f, f->inbox_a, 9, 1000, 0);
  tern_test_drain_changes (f->store);
  g_assert_cmpuint (tern_folder_get_total (inbox), ==, 9);
  g_assert_cmpuint (tern_folder_get_unread (inbox), ==, 3);
  g_assert_cmpuint (tern_folder_get_unread (all), ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tern/message-list/folder-order-and-laziness", Fixture, NULL, fixture_set_up, test_folder_order_and_laziness, fixture_tear_down);
  g_test_add ("/tern/message-list/unified-inbox", Fixture, NULL, fixture_set_up, test_unified_inbox, fixture_tear_down);
  g_test_add ("/tern/message-list/randomized", Fixture, NULL, fixture_set_up, test_randomized, fixture_tear_down);
  g_test_add ("/tern/message-list/conversations", Fixture, NULL, fixture_set_up, test_conversations, fixture_tear_down);
  g_test_add ("/tern/message-list/search", Fixture, NULL, fixture_set_up, test_search, fixture_tear_down);
  g_test_add ("/tern/folder-tree/structure-and-counts", Fixture, NULL, fixture_set_up, test_folder_tree, fixture_tear_down);

  return g_test_run ();
}
