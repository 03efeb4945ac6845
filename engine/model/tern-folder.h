/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TERN_FOLDER_KIND_ALL_INBOXES,
  TERN_FOLDER_KIND_UNREAD,
  TERN_FOLDER_KIND_FLAGGED,
  TERN_FOLDER_KIND_OUTBOX,
  TERN_FOLDER_KIND_ACCOUNT,
  TERN_FOLDER_KIND_FOLDER,
} TernFolderKind;

/* A node of the folder tree: a unified view, an account, or a folder, with
 * live counts. Names come from the account or the server and are data. */
#define TERN_TYPE_FOLDER (tern_folder_get_type ())
G_DECLARE_FINAL_TYPE (TernFolder, tern_folder, TERN, FOLDER, GObject)

TernFolder     *tern_folder_new              (TernFolderKind  kind,
                                              gint64          folder_id,
                                              const char     *account_id,
                                              const char     *name);

TernFolderKind  tern_folder_get_kind         (TernFolder     *self);
gint64          tern_folder_get_folder_id    (TernFolder     *self);
const char     *tern_folder_get_account_id   (TernFolder     *self);
const char     *tern_folder_get_name         (TernFolder     *self);
void            tern_folder_set_name         (TernFolder     *self,
                                              const char     *name);
const char     *tern_folder_get_path         (TernFolder     *self);
void            tern_folder_set_path         (TernFolder     *self,
                                              const char     *path);
const char     *tern_folder_get_role         (TernFolder     *self);
void            tern_folder_set_role         (TernFolder     *self,
                                              const char     *role);
/* A symbolic icon name for the role or kind (an icon theme name, no GTK). */
const char     *tern_folder_get_icon_name    (TernFolder     *self);
guint           tern_folder_get_unread       (TernFolder     *self);
void            tern_folder_set_unread       (TernFolder     *self,
                                              guint           unread);
guint           tern_folder_get_total        (TernFolder     *self);
void            tern_folder_set_total        (TernFolder     *self,
                                              guint           total);
/* The sub-folders (or an account's folders); NULL for a leaf. */
GListModel     *tern_folder_get_children     (TernFolder     *self);
GListStore     *tern_folder_ensure_children  (TernFolder     *self);
void            tern_folder_clear_children   (TernFolder     *self);

G_END_DECLS
