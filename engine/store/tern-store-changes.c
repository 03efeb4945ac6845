/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-store-changes"

#include "tern-store-changes.h"

G_DEFINE_BOXED_TYPE (TernStoreChanges, tern_store_changes, tern_store_changes_ref, tern_store_changes_unref)

TernStoreChanges *
tern_store_changes_new (void)
{
  TernStoreChanges *changes = g_atomic_rc_box_new0 (TernStoreChanges);

  changes->messages = g_array_new (FALSE, FALSE, sizeof (TernStoreMessageChange));
  changes->folders = g_array_new (FALSE, FALSE, sizeof (gint64));
  return changes;
}

TernStoreChanges *
tern_store_changes_ref (TernStoreChanges *changes)
{
  return g_atomic_rc_box_acquire (changes);
}

static void
clear_changes (TernStoreChanges *changes)
{
  g_array_unref (changes->messages);
  g_array_unref (changes->folders);
}

void
tern_store_changes_unref (TernStoreChanges *changes)
{
  g_atomic_rc_box_release_full (changes, (GDestroyNotify) clear_changes);
}

void
tern_store_changes_add_message (TernStoreChanges   *changes,
                                TernStoreChangeKind kind,
                                gint64              message_id,
                                gint64              folder_id,
                                gint64              date,
                                guint               flags)
{
  TernStoreMessageChange change = { message_id, folder_id, date, flags, kind };

  g_array_append_val (changes->messages, change);
  tern_store_changes_add_folder (changes, folder_id);
}

void
tern_store_changes_add_folder (TernStoreChanges *changes,
                               gint64            folder_id)
{
  /* Usually a handful of folders: a linear check keeps the list short. */
  for (guint i = changes->folders->len; i > 0; i--)
    if (g_array_index (changes->folders, gint64, i - 1) == folder_id)
      return;
  g_array_append_val (changes->folders, folder_id);
}

void
tern_store_changes_merge (TernStoreChanges *into,
                          TernStoreChanges *from)
{
  g_array_append_vals (into->messages, from->messages->data, from->messages->len);
  for (guint i = 0; i < from->folders->len; i++)
    tern_store_changes_add_folder (into, g_array_index (from->folders, gint64, i));
  into->folders_added_or_removed |= from->folders_added_or_removed;
  into->accounts_changed |= from->accounts_changed;
}

gboolean
tern_store_changes_is_empty (TernStoreChanges *changes)
{
  return changes->messages->len == 0 && changes->folders->len == 0 &&
         !changes->folders_added_or_removed && !changes->accounts_changed;
}
