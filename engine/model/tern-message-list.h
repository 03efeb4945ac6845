/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-message.h"
#include "tern-store.h"

G_BEGIN_DECLS

typedef enum
{
  TERN_MESSAGE_LIST_FOLDER,       /* one folder */
  TERN_MESSAGE_LIST_ALL_INBOXES,  /* every account's inbox, merged */
  TERN_MESSAGE_LIST_UNREAD,       /* unread everywhere but Trash and Junk */
  TERN_MESSAGE_LIST_FLAGGED,      /* flagged everywhere but Trash and Junk */
  TERN_MESSAGE_LIST_SEARCH,       /* a search query, optionally scoped */
} TernMessageListKind;

/* The messages of a folder, of a unified view, or of a search, newest first
 * (date, then id). Lazy: the length comes from the store's counts and only
 * the rows asked for become TernMessage objects, kept in a bounded cache, so
 * a list of a million messages costs what the screen shows. The store's
 * ::changed becomes minimal items-changed. */
#define TERN_TYPE_MESSAGE_LIST (tern_message_list_get_type ())
G_DECLARE_FINAL_TYPE (TernMessageList, tern_message_list, TERN, MESSAGE_LIST, GObject)

TernMessageList    *tern_message_list_new_for_folder (TernStore       *store,
                                                      gint64           folder_id);
TernMessageList    *tern_message_list_new_unified    (TernStore       *store,
                                                      TernMessageListKind kind);
/* @account_id and @folder_id (0) narrow the search; both unset is everything. */
TernMessageList    *tern_message_list_new_for_search (TernStore       *store,
                                                      const char      *query,
                                                      const char      *account_id,
                                                      gint64           folder_id,
                                                      GError         **error);

TernMessageListKind tern_message_list_get_kind          (TernMessageList *self);
gint64              tern_message_list_get_folder_id     (TernMessageList *self);
gboolean            tern_message_list_get_conversations (TernMessageList *self);
/* Conversation mode: one item per thread, its newest message, with
 * tern_message_get_thread_count() set. */
void                tern_message_list_set_conversations (TernMessageList *self,
                                                         gboolean         conversations);
/* The position of a message, or G_MAXUINT. */
guint               tern_message_list_find              (TernMessageList *self,
                                                         gint64           message_id);
/* The cache bound, for tests and benchmarks. */
guint               tern_message_list_get_n_cached      (TernMessageList *self);

G_END_DECLS
