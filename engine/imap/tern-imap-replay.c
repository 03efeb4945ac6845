/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-replay"

#include "tern-flags.h"
#include "tern-imap-replay.h"
#include "tern-wait.h"

struct _TernImapReplay
{
  GObject          parent_instance;
  TernImapSession *session;
  TernStore       *store;
  gint64           selected_folder;
  guint            n_done;
  guint            n_dropped;
};

G_DEFINE_FINAL_TYPE (TernImapReplay, tern_imap_replay, G_TYPE_OBJECT)

static void
tern_imap_replay_finalize (GObject *object)
{
  TernImapReplay *self = TERN_IMAP_REPLAY (object);

  g_clear_object (&self->session);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (tern_imap_replay_parent_class)->finalize (object);
}

static void
tern_imap_replay_class_init (TernImapReplayClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tern_imap_replay_finalize;
}

static void
tern_imap_replay_init (TernImapReplay *self)
{
}

TernImapReplay *
tern_imap_replay_new (TernImapSession *session,
                      TernStore       *store)
{
  TernImapReplay *self = g_object_new (TERN_TYPE_IMAP_REPLAY, NULL);

  self->session = g_object_ref (session);
  self->store = g_object_ref (store);
  return self;
}

guint
tern_imap_replay_get_n_done (TernImapReplay *self)
{
  g_return_val_if_fail (TERN_IS_IMAP_REPLAY (self), 0);
  return self->n_done;
}

guint
tern_imap_replay_get_n_dropped (TernImapReplay *self)
{
  g_return_val_if_fail (TERN_IS_IMAP_REPLAY (self), 0);
  return self->n_dropped;
}

/* The mark of a copy sent but not known to be done. */
#define IN_FLIGHT "in flight"

#define WAIT(call, finish) \
  G_STMT_START { TernWait wait_; tern_wait_begin (&wait_); call; finish; tern_wait_clear (&wait_); } G_STMT_END
#define RESULT (tern_wait_end (&wait_))

/* The folder's name as the server's commands need it, and its UIDVALIDITY;
 * NULL if the folder is gone. */
static char *
folder_raw_name (TernImapReplay  *self,
                 gint64           folder_id,
                 guint32         *uidvalidity,
                 GError         **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *path = NULL;

  if (sqlite3_prepare_v2 (tern_store_get_reader (self->store),
                          "SELECT path, uidvalidity FROM folders WHERE id = ?", -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      path = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      if (uidvalidity != NULL)
        *uidvalidity = (guint32) sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);
  if (path == NULL)
    return NULL;
  return tern_imap_encode_mailbox (path, tern_imap_session_is_enabled (self->session, "UTF8=ACCEPT"), error);
}

static const char **
flag_names (guint flags)
{
  static const struct { guint flag; const char *name; } names[] = {
    { TERN_FLAG_SEEN, "\\Seen" },
    { TERN_FLAG_ANSWERED, "\\Answered" },
    { TERN_FLAG_FLAGGED, "\\Flagged" },
    { TERN_FLAG_DELETED, "\\Deleted" },
    { TERN_FLAG_DRAFT, "\\Draft" },
  };
  const char **result = g_new0 (const char *, G_N_ELEMENTS (names) + 1);
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].flag)
      result[n++] = names[i].name;
  return result;
}

/* Pairs each moved row with its new UID: COPYUID lists the source and the
 * new UIDs in the same order. */
static GArray *
map_copyuid (const TernStorePendingAction *action,
             const TernImapSequence       *source,
             const TernImapSequence       *dest)
{
  GArray *mapping = g_array_new (FALSE, TRUE, sizeof (TernStoreUid));
  TernImapSequenceIter si, di;
  guint32 s, d;

  if (source == NULL || dest == NULL)
    return mapping;
  tern_imap_sequence_iter_init (&si, source, 0);
  tern_imap_sequence_iter_init (&di, dest, 0);
  while (tern_imap_sequence_iter_next (&si, &s) && tern_imap_sequence_iter_next (&di, &d))
    for (guint i = 0; i < action->rows->len; i++)
      {
        const TernStoreUid *row = &g_array_index (action->rows, TernStoreUid, i);

        if (row->uid == s)
          {
            TernStoreUid mapped = { .id = row->id, .uid = d };

            g_array_append_val (mapping, mapped);
            break;
          }
      }
  return mapping;
}

static int
compare_uids (gconstpointer a,
              gconstpointer b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static gboolean
is_connection_error (const GError *error)
{
  /* NO and BAD are the server's answer to this action; anything else
   * (a dropped connection, a timeout, cancellation) ends the pass. */
  return !g_error_matches (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_COMMAND_FAILED) &&
         !g_error_matches (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_UNSUPPORTED);
}

static gboolean
finish_action (TernImapReplay              *self,
               const TernStorePendingAction *action,
               GArray                      *mapping,
               const GError                *failure,
               GCancellable                *cancellable,
               GError                     **error)
{
  gboolean ok;

  if (failure == NULL)
    {
      WAIT (tern_store_complete_action_async (self->store, action->id, mapping, cancellable, tern_wait_cb, &wait_),
            ok = tern_store_complete_action_finish (self->store, RESULT, error));
      self->n_done++;
    }
  else
    {
      gboolean give_up = action->attempts + 1 >= TERN_IMAP_REPLAY_MAX_ATTEMPTS ||
                         g_error_matches (failure, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_UNSUPPORTED);

      g_debug ("The server refused a queued action%s: %s", give_up ? " (given up)" : "", failure->message);
      WAIT (tern_store_fail_action_async (self->store, action->id, failure->message, give_up, cancellable,
                                          tern_wait_cb, &wait_),
            ok = tern_store_fail_action_finish (self->store, RESULT, error));
      if (give_up)
        self->n_dropped++;
    }
  return ok;
}

static gboolean
drop_action (TernImapReplay               *self,
             const TernStorePendingAction *action,
             GCancellable                 *cancellable,
             GError                      **error)
{
  gboolean ok;

  WAIT (tern_store_fail_action_async (self->store, action->id, "stale", TRUE, cancellable, tern_wait_cb, &wait_),
        ok = tern_store_fail_action_finish (self->store, RESULT, error));
  self->n_dropped++;
  return ok;
}

static void
count_list_cb (TernImapResponse *response,
               gpointer          user_data)
{
  guint *n = user_data;

  if (response->kind == TERN_IMAP_RESPONSE_LIST && response->mailbox != NULL &&
      !(response->mailbox->attrs & TERN_IMAP_MAILBOX_NONEXISTENT))
    (*n)++;
}

/* Whether the server has the folder PATH (LIST "" PATH). */
static gboolean
folder_exists (TernImapReplay  *self,
               const char      *path,
               gboolean        *exists,
               GCancellable    *cancellable,
               GError         **error)
{
  TernImapCommand *command = tern_imap_session_new_command (self->session, "LIST");
  g_autoptr(TernImapResponse) tagged = NULL;
  guint n = 0;

  if (!tern_imap_command_add_quoted (command, "", error) || !tern_imap_command_add_mailbox (command, path, error))
    {
      tern_imap_command_free (command);
      return FALSE;
    }
  WAIT (tern_imap_session_run_async (self->session, command, NULL, count_list_cb, &n, cancellable, tern_wait_cb, &wait_),
        tagged = tern_imap_session_run_finish (self->session, RESULT, error));
  *exists = n > 0;
  return tagged != NULL;
}

/* A folder command. Refused, it still counts as done when the server
 * already is as it should be (PATH exists or not, as WANT_PATH says): a
 * replay after a crash finds the folder made, renamed or gone. */
static gboolean
run_folder_command (TernImapReplay  *self,
                    const char      *name,
                    const char      *path,
                    const char      *new_path,
                    const char      *check_path,
                    gboolean         want_path,
                    GCancellable    *cancellable,
                    GError         **error)
{
  TernImapCommand *command = tern_imap_session_new_command (self->session, name);
  g_autoptr(TernImapResponse) tagged = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean exists = !want_path;

  if (!tern_imap_command_add_mailbox (command, path, error) ||
      (new_path != NULL && !tern_imap_command_add_mailbox (command, new_path, error)))
    {
      tern_imap_command_free (command);
      return FALSE;
    }
  WAIT (tern_imap_session_run_async (self->session, command, NULL, NULL, NULL, cancellable, tern_wait_cb, &wait_),
        tagged = tern_imap_session_run_finish (self->session, RESULT, &local_error));
  if (tagged != NULL)
    return TRUE;
  if (check_path != NULL &&
      g_error_matches (local_error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_COMMAND_FAILED) &&
      folder_exists (self, check_path, &exists, cancellable, NULL) && exists == want_path)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
replay_folder_action (TernImapReplay               *self,
                      const TernStorePendingAction *action,
                      GCancellable                 *cancellable,
                      GError                      **error)
{
  g_autoptr(GError) failure = NULL;
  gboolean ok;

  /* The selected folder may be the one that changes. */
  self->selected_folder = 0;
  switch (action->kind)
    {
    case TERN_STORE_ACTION_CREATE_FOLDER:
      /* Subscribing is a courtesy to other clients: its refusal is no failure. */
      ok = run_folder_command (self, "CREATE", action->path, NULL, action->path, TRUE, cancellable, &failure);
      if (ok)
        run_folder_command (self, "SUBSCRIBE", action->path, NULL, NULL, FALSE, cancellable, NULL);
      break;
    case TERN_STORE_ACTION_RENAME_FOLDER:
      ok = run_folder_command (self, "RENAME", action->path, action->new_path, action->new_path, TRUE, cancellable,
                               &failure);
      if (ok)
        {
          /* Subscriptions do not follow a rename everywhere. */
          run_folder_command (self, "UNSUBSCRIBE", action->path, NULL, NULL, FALSE, cancellable, NULL);
          run_folder_command (self, "SUBSCRIBE", action->new_path, NULL, NULL, FALSE, cancellable, NULL);
        }
      break;
    case TERN_STORE_ACTION_DELETE_FOLDER:
      ok = run_folder_command (self, "DELETE", action->path, NULL, action->path, FALSE, cancellable, &failure);
      if (ok)
        run_folder_command (self, "UNSUBSCRIBE", action->path, NULL, NULL, FALSE, cancellable, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
  if (ok)
    return finish_action (self, action, NULL, NULL, cancellable, error);
  if (is_connection_error (failure))
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
  return finish_action (self, action, NULL, failure, cancellable, error);
}

static gboolean
replay_one (TernImapReplay               *self,
            const TernStorePendingAction *action,
            GCancellable                 *cancellable,
            GError                      **error)
{
  g_autoptr(GError) failure = NULL;
  g_autoptr(GArray) known = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(TernImapSequence) uids = NULL;
  g_autoptr(GArray) mapping = NULL;
  g_autofree char *raw = NULL;
  guint32 uidvalidity = 0;
  gboolean ok = TRUE;

  if (action->kind == TERN_STORE_ACTION_CREATE_FOLDER || action->kind == TERN_STORE_ACTION_RENAME_FOLDER ||
      action->kind == TERN_STORE_ACTION_DELETE_FOLDER)
    return replay_folder_action (self, action, cancellable, error);

  raw = folder_raw_name (self, action->folder_id, &uidvalidity, &failure);
  if (raw == NULL || uidvalidity != action->uidvalidity)
    return drop_action (self, action, cancellable, error);

  for (guint i = 0; i < action->rows->len; i++)
    {
      guint32 uid = g_array_index (action->rows, TernStoreUid, i).uid;

      if (uid > 0)
        g_array_append_val (known, uid);
    }
  if (known->len == 0)
    return drop_action (self, action, cancellable, error);
  g_array_sort (known, compare_uids);
  uids = tern_imap_sequence_new_from_sorted ((const guint32 *) (gpointer) known->data, known->len);

  if (self->selected_folder != action->folder_id)
    {
      g_autoptr(TernImapSelected) selected = NULL;

      WAIT (tern_imap_session_select_async (self->session, raw, FALSE, 0, 0, cancellable, tern_wait_cb, &wait_),
            selected = tern_imap_session_select_finish (self->session, RESULT, &failure));
      if (selected == NULL)
        goto refused;
      self->selected_folder = action->folder_id;
      if (selected->uidvalidity != action->uidvalidity)
        return drop_action (self, action, cancellable, error);
    }

  switch (action->kind)
    {
    case TERN_STORE_ACTION_SET_FLAGS:
      for (guint pass = 0; pass < 2 && ok; pass++)
        {
          guint flags = pass == 0 ? action->add : action->remove;
          g_autofree const char **names = NULL;

          if (flags == 0)
            continue;
          names = flag_names (flags);
          WAIT (tern_imap_session_store_flags_async (self->session, uids, pass == 0, names, cancellable,
                                                     tern_wait_cb, &wait_),
                ok = tern_imap_session_store_flags_finish (self->session, RESULT, &failure));
        }
      break;

    case TERN_STORE_ACTION_MOVE:
      {
        g_autofree char *to = folder_raw_name (self, action->to_folder_id, NULL, &failure);
        g_autoptr(TernImapSequence) source = NULL;
        g_autoptr(TernImapSequence) dest = NULL;

        if (to == NULL)
          return drop_action (self, action, cancellable, error);
        WAIT (tern_imap_session_move_async (self->session, uids, to, cancellable, tern_wait_cb, &wait_),
              ok = tern_imap_session_move_finish_full (self->session, RESULT, NULL, &source, &dest, &failure));
        if (ok)
          mapping = map_copyuid (action, source, dest);
      }
      break;

    case TERN_STORE_ACTION_COPY:
      {
        g_autofree char *to = folder_raw_name (self, action->to_folder_id, NULL, &failure);
        TernImapCommand *command;
        g_autoptr(TernImapResponse) tagged = NULL;

        if (to == NULL)
          return drop_action (self, action, cancellable, error);
        /* A copy is the one action a second sending would repeat. One that
         * was under way when the pass ended is not sent again: the next
         * sync shows whether the server made it. */
        if (action->attempts > 0 && g_strcmp0 (action->last_error, IN_FLIGHT) == 0)
          return finish_action (self, action, NULL, NULL, cancellable, error);
        WAIT (tern_store_fail_action_async (self->store, action->id, IN_FLIGHT, FALSE, cancellable, tern_wait_cb, &wait_),
              ok = tern_store_fail_action_finish (self->store, RESULT, error));
        if (!ok)
          return FALSE;
        command = tern_imap_session_new_command (self->session, "UID COPY");
        tern_imap_command_add_sequence (command, uids);
        if (!tern_imap_command_add_raw_mailbox (command, to, &failure))
          {
            tern_imap_command_free (command);
            return drop_action (self, action, cancellable, error);
          }
        WAIT (tern_imap_session_run_async (self->session, command, NULL, NULL, NULL, cancellable, tern_wait_cb, &wait_),
              tagged = tern_imap_session_run_finish (self->session, RESULT, &failure));
        ok = tagged != NULL;
        if (ok && tagged->code != NULL && tagged->code->kind == TERN_IMAP_CODE_COPYUID)
          mapping = map_copyuid (action, tagged->code->uids, tagged->code->dest_uids);
      }
      break;

    case TERN_STORE_ACTION_EXPUNGE:
      {
        static const char * const deleted[] = { "\\Deleted", NULL };

        WAIT (tern_imap_session_store_flags_async (self->session, uids, TRUE, deleted, cancellable,
                                                   tern_wait_cb, &wait_),
              ok = tern_imap_session_store_flags_finish (self->session, RESULT, &failure));
        /* Only these UIDs: a bare EXPUNGE would also remove what other
         * clients marked. Without UIDPLUS they stay marked \Deleted. */
        if (ok && tern_imap_session_has_capability (self->session, "UIDPLUS"))
          {
            TernImapCommand *command = tern_imap_session_new_command (self->session, "UID EXPUNGE");
            g_autoptr(TernImapResponse) tagged = NULL;

            tern_imap_command_add_sequence (command, uids);
            WAIT (tern_imap_session_run_async (self->session, command, NULL, NULL, NULL, cancellable,
                                               tern_wait_cb, &wait_),
                  tagged = tern_imap_session_run_finish (self->session, RESULT, &failure));
            ok = tagged != NULL;
          }
      }
      break;

    default:
      return drop_action (self, action, cancellable, error);
    }
  if (ok)
    return finish_action (self, action, mapping, NULL, cancellable, error);

refused:
  if (is_connection_error (failure))
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
  return finish_action (self, action, NULL, failure, cancellable, error);
}

gboolean
tern_imap_replay_run (TernImapReplay  *self,
                      GCancellable    *cancellable,
                      GError         **error)
{
  const char *account_id = tern_account_get_id (tern_imap_session_get_account (self->session));
  gint64 last = 0;

  g_return_val_if_fail (TERN_IS_IMAP_REPLAY (self), FALSE);

  self->n_done = 0;
  self->n_dropped = 0;
  self->selected_folder = 0;

  /* One action at a time, read afresh: completing a move rewrites the
   * actions after it. */
  for (;;)
    {
      g_autoptr(GPtrArray) actions = tern_store_list_pending_actions (self->store, account_id);
      TernStorePendingAction *next = NULL;

      for (guint i = 0; i < actions->len && next == NULL; i++)
        if (((TernStorePendingAction *) g_ptr_array_index (actions, i))->id > last)
          next = g_ptr_array_index (actions, i);
      if (next == NULL)
        return TRUE;
      last = next->id;
      if (!replay_one (self, next, cancellable, error))
        return FALSE;
    }
}
