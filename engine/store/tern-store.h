/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "tern-message-info.h"
#include "tern-store-changes.h"

G_BEGIN_DECLS

#define TERN_STORE_ERROR (tern_store_error_quark ())

typedef enum
{
  TERN_STORE_ERROR_OPEN,          /* the database cannot be opened or created */
  TERN_STORE_ERROR_NEWER_SCHEMA,  /* made by a newer Tern; not touched */
  TERN_STORE_ERROR_CORRUPT,       /* the database is damaged */
  TERN_STORE_ERROR_NO_SPACE,      /* the disk is full; nothing was lost */
  TERN_STORE_ERROR_IO,            /* a message file could not be written or read */
  TERN_STORE_ERROR_NOT_FOUND,     /* no such message or folder */
  TERN_STORE_ERROR_CLOSED,        /* the store was closed */
  TERN_STORE_ERROR_FAILED,
} TernStoreError;

GQuark tern_store_error_quark (void);

/* The local cache: one SQLite database (WAL) and message files named by the
 * store. Every write runs on the store's own writer thread in batched
 * transactions; the main thread only reads, through tern_store_get_reader().
 * After each commit the store emits ::changed on the main context it was
 * opened on, coalesced. */
#define TERN_TYPE_STORE (tern_store_get_type ())
G_DECLARE_FINAL_TYPE (TernStore, tern_store, TERN, STORE, GObject)

TernStore  *tern_store_open              (const char     *data_dir,
                                          GError        **error);
void        tern_store_close             (TernStore      *self);
const char *tern_store_get_data_dir      (TernStore      *self);
int         tern_store_get_schema_version (TernStore     *self);
int         tern_store_get_latest_schema_version (void);

/* The read connection of the calling thread: the one the store was opened
 * with on its thread, a private one on any other (an account worker's),
 * closed by tern_store_release_thread_reader() or when the store closes. */
sqlite3    *tern_store_get_reader        (TernStore      *self);
void        tern_store_release_thread_reader (TernStore  *self);

/* Message files. */
char       *tern_store_dup_body_path     (TernStore      *self,
                                          gint64          message_id);
GBytes     *tern_store_load_body         (TernStore      *self,
                                          gint64          message_id,
                                          GError        **error);

/* Reads on the reader connection. */
gint64      tern_store_lookup_folder     (TernStore      *self,
                                          const char     *account_id,
                                          const char     *path);

/* What an IMAP sync remembered of a folder; FALSE if there is no such folder. */
gboolean    tern_store_get_folder_sync_state (TernStore  *self,
                                              gint64      folder_id,
                                              guint32    *uidvalidity,
                                              guint32    *uidnext,
                                              guint64    *highestmodseq);

/* One stored message of a folder as IMAP knows it. */
typedef struct
{
  guint32 uid;
  guint   flags;     /* TERN_FLAG_* */
  gint64  id;        /* the store's row id */
} TernStoreUid;

/* The folder's messages that have a UID, sorted by UID. */
GArray     *tern_store_list_uids         (TernStore      *self,
                                          gint64          folder_id);

/* Writes. Each _async completes on the caller's thread-default context. */
void        tern_store_ensure_account_async (TernStore           *self,
                                             const char          *account_id,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean    tern_store_ensure_account_finish (TernStore          *self,
                                              GAsyncResult       *result,
                                              GError            **error);
void        tern_store_remove_account_async (TernStore           *self,
                                             const char          *account_id,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean    tern_store_remove_account_finish (TernStore          *self,
                                              GAsyncResult       *result,
                                              GError            **error);

/* Creates the folder or updates its name, role and attributes; returns its id. */
void        tern_store_ensure_folder_async (TernStore            *self,
                                            const TernFolderInfo *info,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gint64      tern_store_ensure_folder_finish (TernStore           *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Inserts summaries (the path of a first sync). A message whose UID or UIDL
 * is already in the folder is skipped. Returns a GArray of gint64 row ids,
 * one per info, 0 where skipped. */
void        tern_store_insert_messages_async (TernStore          *self,
                                              gint64              folder_id,
                                              GPtrArray          *infos,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
GArray     *tern_store_insert_messages_finish (TernStore         *self,
                                               GAsyncResult      *result,
                                               GError           **error);

/* Stores a whole raw message: the file is written and made durable, then
 * summarised and committed with its row. When this completes the message is
 * safe on disk (the POP3 worker may then DELE it). */
void        tern_store_add_message_async (TernStore          *self,
                                          gint64              folder_id,
                                          const TernMessageInfo *server_info,
                                          GBytes             *raw,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gint64      tern_store_add_message_finish (TernStore         *self,
                                           GAsyncResult      *result,
                                           GError           **error);

/* Stores the body of a message whose summary exists (fetched when opened). */
void        tern_store_set_body_async    (TernStore          *self,
                                          gint64              message_id,
                                          GBytes             *raw,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean    tern_store_set_body_finish   (TernStore          *self,
                                          GAsyncResult       *result,
                                          GError            **error);

/* What the server says of flags; a person's changes go through
 * tern_store_apply_action_async(). Rows named by a queued action keep
 * their local flags until the server has heard of it. */
void        tern_store_update_flags_async (TernStore          *self,
                                           GArray             *message_ids,
                                           guint               add,
                                           guint               remove,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
gboolean    tern_store_update_flags_finish (TernStore         *self,
                                            GAsyncResult      *result,
                                            GError           **error);
void        tern_store_delete_messages_async (TernStore          *self,
                                              GArray             *message_ids,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
gboolean    tern_store_delete_messages_finish (TernStore         *self,
                                               GAsyncResult      *result,
                                               GError           **error);
void        tern_store_move_messages_async (TernStore          *self,
                                            GArray             *message_ids,
                                            gint64              folder_id,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
gboolean    tern_store_move_messages_finish (TernStore         *self,
                                             GAsyncResult      *result,
                                             GError           **error);

/* A person's action on messages (see tern_store_apply_action_async()). */
typedef enum
{
  TERN_STORE_ACTION_SET_FLAGS,   /* set and clear flags */
  TERN_STORE_ACTION_MOVE,        /* to another folder of the same account */
  TERN_STORE_ACTION_COPY,        /* into another folder of the same account */
  TERN_STORE_ACTION_TRASH,       /* to the account's Trash; for good from Trash or without one */
  TERN_STORE_ACTION_EXPUNGE,     /* for good */
  TERN_STORE_ACTION_CREATE_FOLDER,
  TERN_STORE_ACTION_RENAME_FOLDER,
  TERN_STORE_ACTION_DELETE_FOLDER,
} TernStoreActionKind;

void        tern_store_apply_action_async (TernStore           *self,
                                           TernStoreActionKind  kind,
                                           GArray              *message_ids,
                                           guint                add,
                                           guint                remove,
                                           gint64               folder_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    tern_store_apply_action_finish (TernStore          *self,
                                            GAsyncResult       *result,
                                            GError            **error);

void        tern_store_apply_folder_action_async (TernStore           *self,
                                                  TernStoreActionKind  kind,
                                                  const char          *account_id,
                                                  const char          *path,
                                                  const char          *new_path,
                                                  const char          *delimiter,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean    tern_store_apply_folder_action_finish (TernStore          *self,
                                                   GAsyncResult       *result,
                                                   GError            **error);

/* The server no longer lists these folders: they go, with their messages. */
void        tern_store_prune_folders_async (TernStore           *self,
                                            const char          *account_id,
                                            GPtrArray           *paths,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    tern_store_prune_folders_finish (TernStore          *self,
                                             GAsyncResult       *result,
                                             GError            **error);

/* One queued action for the server, oldest first. Rows are TernStoreUid
 * (flags unused): the message and its UID in FOLDER_ID, 0 while an earlier
 * queued move has not told it. KIND is SET_FLAGS, MOVE, COPY (rows: the copies, with their
 * source's UID) or EXPUNGE, or a
 * folder action (with PATH, and NEW_PATH for a rename; no rows). */
typedef struct
{
  gint64               id;
  char                *account_id;
  TernStoreActionKind  kind;
  gint64               folder_id;
  guint32              uidvalidity;   /* the rows' UIDs belong to this UIDVALIDITY only */
  GArray              *rows;
  guint                add;
  guint                remove;
  gint64               to_folder_id;
  guint                attempts;
  char                *last_error;
  char                *path;         /* folder actions: the folder, UTF-8 */
  char                *new_path;     /* a rename: the new path */
} TernStorePendingAction;

void        tern_store_pending_action_free (TernStorePendingAction *action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernStorePendingAction, tern_store_pending_action_free)

GPtrArray  *tern_store_list_pending_actions  (TernStore  *self,
                                              const char *account_id);
guint       tern_store_count_pending_actions (TernStore  *self,
                                              const char *account_id);
void        tern_store_complete_action_async (TernStore           *self,
                                              gint64               action_id,
                                              GArray              *mapping,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    tern_store_complete_action_finish (TernStore          *self,
                                               GAsyncResult       *result,
                                               GError            **error);
void        tern_store_fail_action_async (TernStore           *self,
                                          gint64               action_id,
                                          const char          *reason,
                                          gboolean             give_up,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    tern_store_fail_action_finish (TernStore          *self,
                                           GAsyncResult       *result,
                                           GError            **error);

/* The account's quota as the server last said it (KiB); FALSE if never. */
gboolean    tern_store_get_quota         (TernStore      *self,
                                          const char     *account_id,
                                          guint64        *used_kib,
                                          guint64        *limit_kib,
                                          gint64         *updated);
void        tern_store_set_quota_async   (TernStore           *self,
                                          const char          *account_id,
                                          guint64              used_kib,
                                          guint64              limit_kib,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    tern_store_set_quota_finish  (TernStore          *self,
                                          GAsyncResult       *result,
                                          GError            **error);

/* Remembers what the server said of a folder after a sync. */
void        tern_store_set_folder_sync_state_async (TernStore          *self,
                                                    gint64              folder_id,
                                                    guint32             uidvalidity,
                                                    guint32             uidnext,
                                                    guint64             highestmodseq,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
gboolean    tern_store_set_folder_sync_state_finish (TernStore         *self,
                                                     GAsyncResult      *result,
                                                     GError           **error);

/* The folder's UIDVALIDITY changed: its messages (and files) and the actions
 * queued for it are dropped, and the new UIDVALIDITY is kept with UIDNEXT
 * and HIGHESTMODSEQ cleared. */
void        tern_store_reset_folder_async (TernStore          *self,
                                           gint64              folder_id,
                                           guint32             uidvalidity,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
gboolean    tern_store_reset_folder_finish (TernStore         *self,
                                            GAsyncResult      *result,
                                            GError           **error);

/* Completes once every write queued before it is committed. */
void        tern_store_flush_async       (TernStore          *self,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean    tern_store_flush_finish      (TernStore          *self,
                                          GAsyncResult       *result,
                                          GError            **error);

G_END_DECLS
