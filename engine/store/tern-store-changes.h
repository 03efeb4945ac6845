/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  TERN_STORE_CHANGE_ADDED,    /* the message is now in folder_id */
  TERN_STORE_CHANGE_UPDATED,  /* flags, body or summary changed */
  TERN_STORE_CHANGE_REMOVED,  /* the message left folder_id (deleted or moved) */
} TernStoreChangeKind;

typedef struct
{
  gint64              message_id;
  gint64              folder_id;
  gint64              date;      /* the sort key, with message_id */
  guint               flags;     /* after the change */
  TernStoreChangeKind kind;
} TernStoreMessageChange;

/* What one or more commits changed, in commit order. */
typedef struct
{
  GArray   *messages;         /* TernStoreMessageChange */
  GArray   *folders;          /* gint64 ids whose counts or settings changed */
  gboolean  folders_added_or_removed;
  gboolean  accounts_changed;
} TernStoreChanges;

#define TERN_TYPE_STORE_CHANGES (tern_store_changes_get_type ())
GType             tern_store_changes_get_type (void) G_GNUC_CONST;
TernStoreChanges *tern_store_changes_new      (void);
TernStoreChanges *tern_store_changes_ref      (TernStoreChanges *changes);
void              tern_store_changes_unref    (TernStoreChanges *changes);
void              tern_store_changes_add_message (TernStoreChanges   *changes,
                                                  TernStoreChangeKind kind,
                                                  gint64              message_id,
                                                  gint64              folder_id,
                                                  gint64              date,
                                                  guint               flags);
void              tern_store_changes_add_folder (TernStoreChanges   *changes,
                                                 gint64              folder_id);
void              tern_store_changes_merge    (TernStoreChanges   *into,
                                               TernStoreChanges   *from);
gboolean          tern_store_changes_is_empty (TernStoreChanges   *changes);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernStoreChanges, tern_store_changes_unref)

G_END_DECLS
