/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-account-manager.h"
#include "tern-folder.h"
#include "tern-store.h"

G_BEGIN_DECLS

/* The sidebar's data: a GListModel of TernFolder with the unified section
 * first (All Inboxes, Unread, Flagged, Outbox), then one node per account
 * whose children (tern_folder_get_children()) are its folders, nested.
 * Wrap it in a GtkTreeListModel. Counts update live from the store. */
#define TERN_TYPE_FOLDER_TREE (tern_folder_tree_get_type ())
G_DECLARE_FINAL_TYPE (TernFolderTree, tern_folder_tree, TERN, FOLDER_TREE, GObject)

TernFolderTree *tern_folder_tree_new            (TernStore          *store,
                                                 TernAccountManager *accounts);
TernFolder     *tern_folder_tree_lookup_folder  (TernFolderTree     *self,
                                                 gint64              folder_id);
TernFolder     *tern_folder_tree_lookup_account (TernFolderTree     *self,
                                                 const char         *account_id);

G_END_DECLS
