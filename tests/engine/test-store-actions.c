/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A person's actions: applied here at once, queued for the server in the
 * same transaction, and settled by the replay's completions. */

#include "tern-engine.h"
#include "tern-test-store.h"

#define ACCOUNT "acct-1"

typedef struct
{
  char      *dir;
  TernStore *store;
  gint64     inbox;
  gint64     archive;
  gint64     trash;
  gint64     ids[4];   /* in the inbox, UIDs 11..14 */
} Fixture;

static void
set_state (Fixture *f,
           gint64   folder,
           guint32  uidvalidity)
{
  g_autoptr(GError) error = NULL;
  TernWait wait;

  tern_wait_begin (&wait);
  tern_store_set_folder_sync_state_async (f->store, folder, uidvalidity, 100, 0, NULL, tern_wait_cb, &wait);
  tern_store_set_folder_sync_state_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = tern_test_make_tmp_dir ("tern-store-actions-XXXXXX");
  f->store = tern_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->inbox = tern_test_ensure_folder (f->store, ACCOUNT, "INBOX", "inbox");
  f->archive = tern_test_ensure_folder (f->store, ACCOUNT, "Archive", "archive");
  f->trash = tern_test_ensure_folder (f->store, ACCOUNT, "Trash", "trash");
  set_state (f, f->inbox, 7);
  set_state (f, f->archive, 8);
  set_state (f, f->trash, 9);
  for (guint i = 0; i < G_N_ELEMENTS (f->ids); i++)
    {
      g_autofree char *mid = g_strdup_printf ("m%u@example.test", i);
      TernMessageInfo *info = tern_test_message_info (mid, "Hello", 1700000000 + i);

      info->uid = 11 + i;
      f->ids[i] = tern_test_insert_one (f->store, f->inbox, info);
    }
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  tern_store_close (f->store);
  g_clear_object (&f->store);
  tern_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
apply (Fixture             *f,
       TernStoreActionKind  kind,
       gint64               id,
       guint                add,
       guint                remove,
       gint64               folder)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  TernWait wait;

  g_array_append_val (ids, id);
  tern_wait_begin (&wait);
  tern_store_apply_action_async (f->store, kind, ids, add, remove, folder, NULL, tern_wait_cb, &wait);
  tern_store_apply_action_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

static void
complete (Fixture *f,
          gint64   action,
          gint64   row,
          guint32  new_uid)
{
  g_autoptr(GArray) mapping = g_array_new (FALSE, TRUE, sizeof (TernStoreUid));
  g_autoptr(GError) error = NULL;
  TernWait wait;

  if (new_uid > 0)
    g_array_append_val (mapping, ((TernStoreUid) { .id = row, .uid = new_uid }));
  tern_wait_begin (&wait);
  tern_store_complete_action_async (f->store, action, mapping, NULL, tern_wait_cb, &wait);
  tern_store_complete_action_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
}

static gint64
query (Fixture    *f,
       const char *format,
       ...) G_GNUC_PRINTF (2, 3);

static gint64
query (Fixture    *f,
       const char *format,
       ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return tern_test_query_int (f->store, sql);
}

static TernStorePendingAction *
action_at (GPtrArray *actions,
           guint      i)
{
  g_assert_cmpuint (actions->len, >, i);
  return g_ptr_array_index (actions, i);
}

static void
test_flags_queued_with_the_change (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GPtrArray) actions = NULL;
  TernStorePendingAction *a;

  apply (f, TERN_STORE_ACTION_SET_FLAGS, f->ids[0], TERN_FLAG_SEEN | TERN_FLAG_FLAGGED, 0, 0);
  g_assert_cmpint (query (f, "SELECT flags FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[0]), ==,
                   TERN_FLAG_SEEN | TERN_FLAG_FLAGGED);

  actions = tern_store_list_pending_actions (f->store, ACCOUNT);
  g_assert_cmpuint (actions->len, ==, 1);
  a = action_at (actions, 0);
  g_assert_cmpint (a->kind, ==, TERN_STORE_ACTION_SET_FLAGS);
  g_assert_cmpint (a->folder_id, ==, f->inbox);
  g_assert_cmpuint (a->uidvalidity, ==, 7);
  g_assert_cmpuint (a->add, ==, TERN_FLAG_SEEN | TERN_FLAG_FLAGGED);
  g_assert_cmpuint (a->remove, ==, 0);
  g_assert_cmpuint (a->rows->len, ==, 1);
  g_assert_cmpint (g_array_index (a->rows, TernStoreUid, 0).id, ==, f->ids[0]);
  g_assert_cmpuint (g_array_index (a->rows, TernStoreUid, 0).uid, ==, 11);
  g_assert_cmpuint (tern_store_count_pending_actions (f->store, ACCOUNT), ==, 1);
  g_assert_cmpuint (tern_store_count_pending_actions (f->store, "other"), ==, 0);

  /* Done on the server: gone from the queue; completing again is harmless. */
  complete (f, a->id, 0, 0);
  complete (f, a->id, 0, 0);
  g_assert_cmpuint (tern_store_count_pending_actions (f->store, ACCOUNT), ==, 0);
  g_assert_cmpint (query (f, "SELECT flags FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[0]), ==,
                   TERN_FLAG_SEEN | TERN_FLAG_FLAGGED);
}

static void
test_sync_leaves_queued_rows_alone (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(GPtrArray) actions = NULL;

  apply (f, TERN_STORE_ACTION_SET_FLAGS, f->ids[0], TERN_FLAG_SEEN, 0, 0);
  /* A sync that read the server before the action arrived. */
  tern_test_update_flags (f->store, f->ids[0], 0, TERN_FLAG_SEEN);
  tern_test_update_flags (f->store, f->ids[1], TERN_FLAG_ANSWERED, 0);
  tern_test_flush (f->store);
  g_assert_cmpint (query (f, "SELECT flags FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[0]), ==, TERN_FLAG_SEEN);
  g_assert_cmpint (query (f, "SELECT flags FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[1]), ==, TERN_FLAG_ANSWERED);

  /* Once the server heard of it, the server's word counts again. */
  actions = tern_store_list_pending_actions (f->store, ACCOUNT);
  complete (f, action_at (actions, 0)->id, 0, 0);
  tern_test_update_flags (f->store, f->ids[0], 0, TERN_FLAG_SEEN);
  tern_test_flush (f->store);
  g_assert_cmpint (query (f, "SELECT flags FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[0]), ==, 0);
}

static void
test_move_hands_uid_on (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) actions = NULL;
  g_autoptr(GPtrArray) after = NULL;
  TernStorePendingAction *move, *flag;

  apply (f, TERN_STORE_ACTION_MOVE, f->ids[1], 0, 0, f->archive);
  g_assert_cmpint (query (f, "SELECT folder_id FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[1]), ==, f->archive);
  g_assert_cmpint (query (f, "SELECT uid IS NULL FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[1]), ==, 1);

  /* Flagged in Archive before the server moved it: its UID there is owed. */
  apply (f, TERN_STORE_ACTION_SET_FLAGS, f->ids[1], TERN_FLAG_FLAGGED, 0, 0);
  actions = tern_store_list_pending_actions (f->store, ACCOUNT);
  g_assert_cmpuint (actions->len, ==, 2);
  move = action_at (actions, 0);
  flag = action_at (actions, 1);
  g_assert_cmpint (move->kind, ==, TERN_STORE_ACTION_MOVE);
  g_assert_cmpint (move->to_folder_id, ==, f->archive);
  g_assert_cmpuint (g_array_index (move->rows, TernStoreUid, 0).uid, ==, 12);
  g_assert_cmpint (flag->folder_id, ==, f->archive);
  g_assert_cmpuint (flag->uidvalidity, ==, 8);
  g_assert_cmpuint (g_array_index (flag->rows, TernStoreUid, 0).uid, ==, 0);

  /* A sync that read INBOX before the server moved it does not bring it back. */
  {
    g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_message_info_free);
    g_autoptr(GArray) inserted = NULL;
    TernMessageInfo *again = tern_test_message_info ("m1@example.test", "Hello", 1700000001);

    again->uid = 12;
    g_ptr_array_add (infos, again);
    inserted = tern_test_insert (f->store, f->inbox, infos);
    g_assert_cmpint (g_array_index (inserted, gint64, 0), ==, 0);
    g_assert_cmpint (query (f, "SELECT count(*) FROM messages WHERE folder_id = %" G_GINT64_FORMAT, f->inbox), ==, 3);
  }

  /* COPYUID said 501. */
  complete (f, move->id, f->ids[1], 501);
  after = tern_store_list_pending_actions (f->store, ACCOUNT);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_cmpuint (g_array_index (action_at (after, 0)->rows, TernStoreUid, 0).uid, ==, 501);
  g_assert_cmpint (query (f, "SELECT uid FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[1]), ==, 501);
}

static void
test_move_without_copyuid (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) actions = NULL;

  apply (f, TERN_STORE_ACTION_MOVE, f->ids[2], 0, 0, f->archive);
  actions = tern_store_list_pending_actions (f->store, ACCOUNT);
  /* The server did not say the new UID: the row goes, the next sync of
   * Archive brings the message back with its UID (never twice). */
  complete (f, action_at (actions, 0)->id, 0, 0);
  g_assert_cmpint (query (f, "SELECT count(*) FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[2]), ==, 0);
}

static void
test_trash_then_expunge (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) actions = NULL;
  g_autoptr(GPtrArray) later = NULL;

  apply (f, TERN_STORE_ACTION_TRASH, f->ids[3], 0, 0, 0);
  g_assert_cmpint (query (f, "SELECT folder_id FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[3]), ==, f->trash);
  actions = tern_store_list_pending_actions (f->store, ACCOUNT);
  g_assert_cmpint (action_at (actions, 0)->kind, ==, TERN_STORE_ACTION_MOVE);
  complete (f, action_at (actions, 0)->id, f->ids[3], 77);

  /* From Trash: for good, here at once and queued as an expunge of UID 77. */
  apply (f, TERN_STORE_ACTION_TRASH, f->ids[3], 0, 0, 0);
  g_assert_cmpint (query (f, "SELECT count(*) FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[3]), ==, 0);
  later = tern_store_list_pending_actions (f->store, ACCOUNT);
  g_assert_cmpuint (later->len, ==, 1);
  g_assert_cmpint (action_at (later, 0)->kind, ==, TERN_STORE_ACTION_EXPUNGE);
  g_assert_cmpint (action_at (later, 0)->folder_id, ==, f->trash);
  g_assert_cmpuint (g_array_index (action_at (later, 0)->rows, TernStoreUid, 0).uid, ==, 77);
}

static void
test_local_folders_queue_nothing (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(TernFolderInfo) info = tern_folder_info_new ("pop-1", "Inbox", "/", "inbox");
  g_autoptr(GError) error = NULL;
  TernMessageInfo *message;
  TernWait wait;
  gint64 local, id;

  info->local = TRUE;
  tern_wait_begin (&wait);
  tern_store_ensure_folder_async (f->store, info, NULL, tern_wait_cb, &wait);
  local = tern_store_ensure_folder_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  message = tern_test_message_info ("local@example.test", "Local", 1700000000);
  message->uidl = g_strdup ("uidl-1");
  id = tern_test_insert_one (f->store, local, message);

  apply (f, TERN_STORE_ACTION_SET_FLAGS, id, TERN_FLAG_SEEN, 0, 0);
  g_assert_cmpint (query (f, "SELECT flags FROM messages WHERE id = %" G_GINT64_FORMAT, id), ==, TERN_FLAG_SEEN);
  g_assert_cmpuint (tern_store_count_pending_actions (f->store, "pop-1"), ==, 0);
}

static void
test_refused_and_stale_actions (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) actions = NULL;
  g_autoptr(GPtrArray) retried = NULL;
  g_autoptr(GError) error = NULL;
  TernWait wait;
  gint64 id;

  apply (f, TERN_STORE_ACTION_SET_FLAGS, f->ids[0], TERN_FLAG_SEEN, 0, 0);
  actions = tern_store_list_pending_actions (f->store, ACCOUNT);
  id = action_at (actions, 0)->id;

  tern_wait_begin (&wait);
  tern_store_fail_action_async (f->store, id, "NO [CANNOT] not now", FALSE, NULL, tern_wait_cb, &wait);
  tern_store_fail_action_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  retried = tern_store_list_pending_actions (f->store, ACCOUNT);
  g_assert_cmpuint (action_at (retried, 0)->attempts, ==, 1);
  g_assert_cmpstr (action_at (retried, 0)->last_error, ==, "NO [CANNOT] not now");

  /* A new UIDVALIDITY: queued UIDs would hit other messages, so they go. */
  tern_wait_begin (&wait);
  tern_store_reset_folder_async (f->store, f->inbox, 70, NULL, tern_wait_cb, &wait);
  tern_store_reset_folder_finish (f->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  g_assert_no_error (error);
  g_assert_cmpuint (tern_store_count_pending_actions (f->store, ACCOUNT), ==, 0);
}

static void
test_copy_names_the_copy (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GPtrArray) actions = NULL;
  TernStorePendingAction *copy;
  gint64 copy_id;

  apply (f, TERN_STORE_ACTION_COPY, f->ids[0], 0, 0, f->archive);
  /* The original stays; a copy without a UID joins Archive. */
  g_assert_cmpint (query (f, "SELECT folder_id FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[0]), ==, f->inbox);
  g_assert_cmpint (query (f, "SELECT count(*) FROM messages WHERE folder_id = %" G_GINT64_FORMAT, f->archive), ==, 1);
  copy_id = query (f, "SELECT id FROM messages WHERE folder_id = %" G_GINT64_FORMAT, f->archive);
  g_assert_cmpint (copy_id, !=, f->ids[0]);
  g_assert_cmpint (query (f, "SELECT total FROM folders WHERE id = %" G_GINT64_FORMAT, f->archive), ==, 1);
  g_assert_cmpint (query (f, "SELECT count(*) FROM messages_fts WHERE rowid = %" G_GINT64_FORMAT, copy_id), ==, 1);

  /* Queued with the copy's row and the source's UID, so COPYUID names it. */
  actions = tern_store_list_pending_actions (f->store, ACCOUNT);
  copy = action_at (actions, 0);
  g_assert_cmpint (copy->kind, ==, TERN_STORE_ACTION_COPY);
  g_assert_cmpint (g_array_index (copy->rows, TernStoreUid, 0).id, ==, copy_id);
  g_assert_cmpuint (g_array_index (copy->rows, TernStoreUid, 0).uid, ==, 11);
  complete (f, copy->id, copy_id, 300);
  g_assert_cmpint (query (f, "SELECT uid FROM messages WHERE id = %" G_GINT64_FORMAT, copy_id), ==, 300);
  g_assert_cmpint (query (f, "SELECT uid FROM messages WHERE id = %" G_GINT64_FORMAT, f->ids[0]), ==, 11);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/store-actions/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("flags-queued-with-the-change", test_flags_queued_with_the_change);
  ADD ("sync-leaves-queued-rows-alone", test_sync_leaves_queued_rows_alone);
  ADD ("move-hands-uid-on", test_move_hands_uid_on);
  ADD ("move-without-copyuid", test_move_without_copyuid);
  ADD ("copy-names-the-copy", test_copy_names_the_copy);
  ADD ("trash-then-expunge", test_trash_then_expunge);
  ADD ("local-folders-queue-nothing", test_local_folders_queue_nothing);
  ADD ("refused-and-stale-actions", test_refused_and_stale_actions);
#undef ADD
  return g_test_run ();
}
