/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-worker"

#include "tern-account-worker.h"
#include "tern-backoff.h"
#include "tern-credentials.h"
#include "tern-imap-replay.h"
#include "tern-imap-session.h"
#include "tern-imap-sync.h"
#include "tern-net-error.h"
#include "tern-wait.h"

#define DEFAULT_POLL_INTERVAL 300

struct _TernAccountWorker
{
  GObject          parent_instance;

  TernAccount     *account;
  TernStore       *store;
  TernProtocolLog *log;
  GMainContext    *main_context;
  guint            poll_interval;

  /* Counts of the last pass. */
  guint            n_new;
  guint            n_replayed;

  /* Shown on the main context. */
  TernWorkerState  state;
  char            *status_text;

  /* The background thread and what it is asked to do, under lock. */
  GThread         *thread;
  GMutex           lock;
  GCond            cond;
  gboolean         stopping;
  gboolean         woken;
  GCancellable    *wait_cancellable;   /* cancelled to end a wait (IDLE or sleep) */
  GCancellable    *stop_cancellable;   /* cancelled to end everything */
  GQueue           body_requests;      /* GTask */

  /* The background thread's own. */
  TernImapSession *session;
  gboolean         news;            /* the server said something during IDLE or a poll */
  gboolean         idle_timed_out;
  guint            polls;
};

G_DEFINE_FINAL_TYPE (TernAccountWorker, tern_account_worker, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_STATUS_TEXT,
  N_PROPS
};

enum
{
  NEW_MAIL,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define WAIT(call, finish) \
  G_STMT_START { TernWait wait_; tern_wait_begin (&wait_); call; finish; tern_wait_clear (&wait_); } G_STMT_END
#define RESULT (tern_wait_end (&wait_))

static void
tern_account_worker_dispose (GObject *object)
{
  tern_account_worker_stop (TERN_ACCOUNT_WORKER (object));
  G_OBJECT_CLASS (tern_account_worker_parent_class)->dispose (object);
}

static void
tern_account_worker_finalize (GObject *object)
{
  TernAccountWorker *self = TERN_ACCOUNT_WORKER (object);

  g_clear_object (&self->session);
  g_clear_object (&self->account);
  g_clear_object (&self->store);
  g_clear_object (&self->log);
  g_clear_object (&self->stop_cancellable);
  g_clear_object (&self->wait_cancellable);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_free (self->status_text);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (tern_account_worker_parent_class)->finalize (object);
}

static void
tern_account_worker_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TernAccountWorker *self = TERN_ACCOUNT_WORKER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_STATUS_TEXT:
      g_value_set_string (value, self->status_text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_account_worker_class_init (TernAccountWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tern_account_worker_dispose;
  object_class->finalize = tern_account_worker_finalize;
  object_class->get_property = tern_account_worker_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, TERN_WORKER_STATE_STOPPED, TERN_WORKER_STATE_ERROR,
                      TERN_WORKER_STATE_STOPPED, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATUS_TEXT] =
    g_param_spec_string ("status-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TernAccountWorker::new-mail:
   * @n: how many messages arrived
   *
   * New messages reached the store after the first pass (for notifications).
   */
  signals[NEW_MAIL] = g_signal_new ("new-mail", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
tern_account_worker_init (TernAccountWorker *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->body_requests);
  self->poll_interval = DEFAULT_POLL_INTERVAL;
  self->main_context = g_main_context_ref_thread_default ();
}

TernAccountWorker *
tern_account_worker_new (TernAccount *account,
                         TernStore   *store)
{
  TernAccountWorker *self;

  g_return_val_if_fail (TERN_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (TERN_IS_STORE (store), NULL);

  self = g_object_new (TERN_TYPE_ACCOUNT_WORKER, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (store);
  return self;
}

TernAccount *
tern_account_worker_get_account (TernAccountWorker *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_WORKER (self), NULL);
  return self->account;
}

void
tern_account_worker_set_protocol_log (TernAccountWorker *self,
                                      TernProtocolLog   *log)
{
  g_return_if_fail (TERN_IS_ACCOUNT_WORKER (self));
  g_set_object (&self->log, log);
}

void
tern_account_worker_set_poll_interval (TernAccountWorker *self,
                                       guint              seconds)
{
  g_return_if_fail (TERN_IS_ACCOUNT_WORKER (self));
  g_mutex_lock (&self->lock);
  self->poll_interval = MAX (seconds, 1);
  g_mutex_unlock (&self->lock);
}

guint
tern_account_worker_get_n_new (TernAccountWorker *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_WORKER (self), 0);
  return self->n_new;
}

guint
tern_account_worker_get_n_replayed (TernAccountWorker *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_WORKER (self), 0);
  return self->n_replayed;
}

TernWorkerState
tern_account_worker_get_state (TernAccountWorker *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_WORKER (self), TERN_WORKER_STATE_STOPPED);
  return self->state;
}

const char *
tern_account_worker_get_status_text (TernAccountWorker *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_WORKER (self), NULL);
  return self->status_text;
}

/* State, shown on the main context */

typedef struct
{
  TernAccountWorker *self;
  TernWorkerState    state;
  char              *text;
  guint              n_new;
} Report;

static gboolean
report_cb (gpointer user_data)
{
  Report *report = user_data;
  TernAccountWorker *self = report->self;

  if (report->n_new > 0)
    g_signal_emit (self, signals[NEW_MAIL], 0, report->n_new);
  else
    {
      gboolean text_changed = g_strcmp0 (self->status_text, report->text) != 0;

      if (text_changed)
        {
          g_free (self->status_text);
          self->status_text = g_steal_pointer (&report->text);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_TEXT]);
        }
      if (self->state != report->state)
        {
          self->state = report->state;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
        }
    }
  return G_SOURCE_REMOVE;
}

static void
report_free (Report *report)
{
  g_object_unref (report->self);
  g_free (report->text);
  g_free (report);
}

static void
report (TernAccountWorker *self,
        TernWorkerState    state,
        const char        *text,
        guint              n_new)
{
  Report *r = g_new0 (Report, 1);

  r->self = g_object_ref (self);
  r->state = state;
  r->text = g_strdup (text);
  r->n_new = n_new;
  g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT, report_cb, r, (GDestroyNotify) report_free);
}

/* One pass */

static gboolean
is_connected (TernAccountWorker *self)
{
  return self->session != NULL && tern_imap_session_is_authenticated (self->session);
}

static void
disconnect (TernAccountWorker *self,
            gboolean           logout)
{
  if (self->session == NULL)
    return;
  if (logout && tern_imap_session_is_authenticated (self->session))
    WAIT (tern_imap_session_logout_async (self->session, NULL, tern_wait_cb, &wait_),
          tern_imap_session_logout_finish (self->session, RESULT, NULL));
  g_clear_object (&self->session);
}

static gboolean
connect_session (TernAccountWorker  *self,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_autofree char *password = NULL;
  gboolean ok;

  if (is_connected (self))
    return TRUE;
  g_clear_object (&self->session);

  password = tern_credentials_lookup_sync (self->account, TERN_CREDENTIAL_INCOMING, cancellable, error);
  if (password == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_KEYRING,
                     "No password is stored for “%s”", tern_account_get_name (self->account));
      return FALSE;
    }
  self->session = tern_imap_session_new (self->account);
  if (self->log != NULL)
    tern_connection_set_protocol_log (tern_imap_session_get_connection (self->session), self->log);
  WAIT (tern_imap_session_connect_async (self->session, password, cancellable, tern_wait_cb, &wait_),
        ok = tern_imap_session_connect_finish (self->session, RESULT, error));
  tern_credentials_free_password (g_steal_pointer (&password));
  if (!ok)
    g_clear_object (&self->session);
  return ok;
}

static gboolean
replay (TernAccountWorker  *self,
        GCancellable       *cancellable,
        GError            **error)
{
  g_autoptr(TernImapReplay) replay = NULL;

  if (tern_store_count_pending_actions (self->store, tern_account_get_id (self->account)) == 0)
    return TRUE;
  replay = tern_imap_replay_new (self->session, self->store);
  if (!tern_imap_replay_run (replay, cancellable, error))
    return FALSE;
  self->n_replayed += tern_imap_replay_get_n_done (replay);
  return TRUE;
}

static void
learn_quota (TernAccountWorker *self,
             GCancellable      *cancellable)
{
  guint64 used = 0, limit = 0;
  gboolean ok;

  if (!tern_imap_session_has_capability (self->session, "QUOTA"))
    return;
  WAIT (tern_imap_session_get_quota_async (self->session, cancellable, tern_wait_cb, &wait_),
        ok = tern_imap_session_get_quota_finish (self->session, RESULT, &used, &limit, NULL));
  if (ok)
    WAIT (tern_store_set_quota_async (self->store, tern_account_get_id (self->account), used, limit, cancellable,
                                      tern_wait_cb, &wait_),
          tern_store_set_quota_finish (self->store, RESULT, NULL));
}

static gboolean
pass (TernAccountWorker    *self,
      TernWorkerPassFlags   flags,
      GCancellable         *cancellable,
      GError              **error)
{
  g_autoptr(TernImapSync) sync = NULL;

  if (!replay (self, cancellable, error))
    return FALSE;
  if (flags & TERN_WORKER_PASS_REPLAY_ONLY)
    {
      if (flags & TERN_WORKER_PASS_QUOTA)
        learn_quota (self, cancellable);
      return TRUE;
    }
  sync = tern_imap_sync_new (self->session, self->store);
  if (!tern_imap_sync_run (sync, cancellable, error))
    return FALSE;
  self->n_new += tern_imap_sync_get_n_fetched (sync);
  learn_quota (self, cancellable);
  /* Actions queued while the pass ran go out now, not at the next one. */
  return replay (self, cancellable, error);
}

gboolean
tern_account_worker_run_once (TernAccountWorker    *self,
                              TernWorkerPassFlags   flags,
                              GCancellable         *cancellable,
                              GError              **error)
{
  gboolean ok;

  g_return_val_if_fail (TERN_IS_ACCOUNT_WORKER (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  if (tern_account_get_protocol (self->account) != TERN_PROTOCOL_IMAP)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "“%s” is not an IMAP account", tern_account_get_name (self->account));
      return FALSE;
    }
  self->n_new = 0;
  self->n_replayed = 0;
  ok = connect_session (self, cancellable, error) &&
       pass (self, flags, cancellable, error);
  disconnect (self, ok);
  return ok;
}

/* Bodies on demand */

static gboolean
fetch_body (TernAccountWorker  *self,
            gint64              message_id,
            GCancellable       *cancellable,
            GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *path = NULL;
  g_autofree char *raw = NULL;
  g_autoptr(TernImapSelected) selected = NULL;
  g_autoptr(GBytes) body = NULL;
  guint32 uid = 0, uidvalidity = 0;
  gboolean ok;

  if (sqlite3_prepare_v2 (tern_store_get_reader (self->store),
                          "SELECT f.path, m.uid, f.uidvalidity FROM messages m JOIN folders f ON f.id = m.folder_id"
                          " WHERE m.id = ? AND f.account_id = ?", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, message_id);
      sqlite3_bind_text (stmt, 2, tern_account_get_id (self->account), -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          path = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
          uid = (guint32) sqlite3_column_int64 (stmt, 1);
          uidvalidity = (guint32) sqlite3_column_int64 (stmt, 2);
        }
    }
  sqlite3_finalize (stmt);
  if (path == NULL)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND, "The message is no longer here");
      return FALSE;
    }
  if (uid == 0)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND,
                   "The message is still being moved on the server; try again in a moment");
      return FALSE;
    }
  raw = tern_imap_encode_mailbox (path, tern_imap_session_is_enabled (self->session, "UTF8=ACCEPT"), error);
  if (raw == NULL)
    return FALSE;
  WAIT (tern_imap_session_select_async (self->session, raw, TRUE, 0, 0, cancellable, tern_wait_cb, &wait_),
        selected = tern_imap_session_select_finish (self->session, RESULT, error));
  if (selected == NULL)
    return FALSE;
  if (selected->uidvalidity != uidvalidity)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND,
                   "The folder changed on the server; the message list is being refreshed");
      return FALSE;
    }
  WAIT (tern_imap_session_fetch_body_async (self->session, uid, cancellable, tern_wait_cb, &wait_),
        body = tern_imap_session_fetch_body_finish (self->session, RESULT, error));
  if (body == NULL)
    return FALSE;
  WAIT (tern_store_set_body_async (self->store, message_id, body, cancellable, tern_wait_cb, &wait_),
        ok = tern_store_set_body_finish (self->store, RESULT, error));
  return ok;
}

static void
fetch_body_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  TernAccountWorker *self = source_object;
  GError *error = NULL;
  gboolean ok;

  ok = connect_session (self, cancellable, &error) &&
       fetch_body (self, *(gint64 *) task_data, cancellable, &error);
  disconnect (self, TRUE);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
tern_account_worker_fetch_body_async (TernAccountWorker   *self,
                                      gint64               message_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TERN_IS_ACCOUNT_WORKER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_account_worker_fetch_body_async);
  g_task_set_task_data (task, g_memdup2 (&message_id, sizeof message_id), g_free);

  g_mutex_lock (&self->lock);
  if (self->thread != NULL)
    {
      g_queue_push_tail (&self->body_requests, g_steal_pointer (&task));
      self->woken = TRUE;
      g_cancellable_cancel (self->wait_cancellable);
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      return;
    }
  g_mutex_unlock (&self->lock);
  /* Not started (tern-cli, tests): a connection of its own. */
  g_task_run_in_thread (task, fetch_body_thread);
}

gboolean
tern_account_worker_fetch_body_finish (TernAccountWorker  *self,
                                       GAsyncResult       *result,
                                       GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
serve_body_requests (TernAccountWorker *self)
{
  for (;;)
    {
      GTask *task;
      GError *error = NULL;

      g_mutex_lock (&self->lock);
      task = g_queue_pop_head (&self->body_requests);
      g_mutex_unlock (&self->lock);
      if (task == NULL)
        return;
      if (g_task_return_error_if_cancelled (task))
        ;
      else if (!is_connected (self))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                                 "Not connected to the server of “%s”; the message will be downloaded once it can be reached",
                                 tern_account_get_name (self->account));
      else if (fetch_body (self, *(gint64 *) g_task_get_task_data (task), self->stop_cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      g_object_unref (task);
    }
}

/* The background thread */

/* Waits up to SECONDS for a wake-up or a stop; TRUE if woken. */
static gboolean
sleep_until_woken (TernAccountWorker *self,
                   guint              seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  gboolean woken;

  g_mutex_lock (&self->lock);
  while (!self->woken && !self->stopping)
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  woken = self->woken;
  self->woken = FALSE;
  g_mutex_unlock (&self->lock);
  return woken;
}

static void
news_cb (TernImapResponse *response,
         gpointer          user_data)
{
  TernAccountWorker *self = user_data;

  switch (response->kind)
    {
    case TERN_IMAP_RESPONSE_EXISTS:
    case TERN_IMAP_RESPONSE_EXPUNGE:
    case TERN_IMAP_RESPONSE_VANISHED:
    case TERN_IMAP_RESPONSE_FETCH:
      self->news = TRUE;
      /* Ends IDLE now: the pass that follows fetches what arrived. */
      if (tern_imap_session_is_idling (self->session))
        tern_imap_session_idle_stop (self->session);
      break;
    default:
      break;
    }
}

static gboolean
idle_deadline_cb (gpointer user_data)
{
  TernAccountWorker *self = user_data;

  self->idle_timed_out = TRUE;
  tern_imap_session_idle_stop (self->session);
  return G_SOURCE_REMOVE;
}

/* IDLE on the inbox until the server has news, a wake-up or the poll
 * interval; *FULL_CHECK as for wait_for_news(). */
static gboolean
idle_on_inbox (TernAccountWorker  *self,
               GCancellable       *wait_cancellable,
               gboolean           *full_check,
               GError            **error)
{
  g_autoptr(TernImapSelected) selected = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) self->poll_interval * G_USEC_PER_SEC;

  WAIT (tern_imap_session_select_async (self->session, "INBOX", TRUE, 0, 0, self->stop_cancellable,
                                        tern_wait_cb, &wait_),
        selected = tern_imap_session_select_finish (self->session, RESULT, error));
  if (selected == NULL)
    return FALSE;

  self->news = FALSE;
  self->idle_timed_out = FALSE;
  while (!self->news && !self->idle_timed_out)
    {
      g_autoptr(GError) local_error = NULL;
      gint64 left = deadline - g_get_monotonic_time ();
      GSource *timeout;
      gboolean ok;
      TernWait wait;

      if (left <= 0)
        break;
      tern_wait_begin (&wait);
      timeout = g_timeout_source_new ((guint) MAX (left / 1000, 1));
      g_source_set_callback (timeout, idle_deadline_cb, self, NULL);
      g_source_attach (timeout, wait.context);
      tern_imap_session_idle_async (self->session, news_cb, self, wait_cancellable, tern_wait_cb, &wait);
      ok = tern_imap_session_idle_finish (self->session, tern_wait_end (&wait), &local_error);
      g_source_destroy (timeout);
      g_source_unref (timeout);
      tern_wait_clear (&wait);
      if (!ok)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !self->stopping)
            {
              *full_check = FALSE;   /* woken: the loop sees why */
              return TRUE;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  *full_check = TRUE;
  return TRUE;
}

/* Connected and in sync: waits for the server to say something, for a
 * wake-up or for the poll interval. Returns FALSE with ERROR when the
 * connection failed; *FULL_CHECK says whether a full pass is due. */
static gboolean
wait_for_news (TernAccountWorker  *self,
               gboolean           *full_check,
               GError            **error)
{
  g_autoptr(GCancellable) wait_cancellable = g_cancellable_new ();
  gboolean woken;
  gboolean ok;

  g_mutex_lock (&self->lock);
  woken = self->woken;
  self->woken = FALSE;
  g_set_object (&self->wait_cancellable, wait_cancellable);
  g_mutex_unlock (&self->lock);
  if (woken || self->stopping)
    {
      *full_check = FALSE;
      return TRUE;
    }

  if (tern_imap_session_has_capability (self->session, "IDLE"))
    {
      ok = idle_on_inbox (self, wait_cancellable, full_check, error);
      g_mutex_lock (&self->lock);
      self->woken = FALSE;
      g_mutex_unlock (&self->lock);
      return ok;
    }

  /* Without IDLE: sleep, then NOOP, which brings the server's news. */
  woken = sleep_until_woken (self, MIN (self->poll_interval, 60));
  if (self->stopping || woken)
    {
      *full_check = FALSE;
      return TRUE;
    }
  self->news = FALSE;
  WAIT (tern_imap_session_poll_async (self->session, news_cb, self, self->stop_cancellable, tern_wait_cb, &wait_),
        ok = tern_imap_session_poll_finish (self->session, RESULT, error));
  if (!ok)
    return FALSE;
  self->polls++;
  *full_check = self->news || self->polls * MIN (self->poll_interval, 60) >= self->poll_interval;
  if (*full_check)
    self->polls = 0;
  return TRUE;
}

static gboolean
needs_person (const GError *error)
{
  return g_error_matches (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_AUTH_FAILED) ||
         g_error_matches (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_LOGIN_DISABLED) ||
         g_error_matches (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_NO_TLS) ||
         g_error_matches (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_KEYRING) ||
         g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE) ||
         g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_INSECURE) ||
         g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_INJECTION);
}

static gpointer
worker_thread_main (gpointer user_data)
{
  TernAccountWorker *self = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(TernBackoff) backoff = tern_backoff_new (2000, 5 * 60 * 1000);
  gboolean first = TRUE;
  gboolean full_check = TRUE;

  g_main_context_push_thread_default (context);
  while (!self->stopping)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok;

      if (!is_connected (self))
        {
          report (self, TERN_WORKER_STATE_CONNECTING, NULL, 0);
          if (!connect_session (self, self->stop_cancellable, &error))
            goto failed;
          tern_backoff_succeeded (backoff);
          full_check = TRUE;
        }

      serve_body_requests (self);
      if (full_check)
        report (self, TERN_WORKER_STATE_SYNCING, NULL, 0);
      self->n_new = 0;
      ok = pass (self, full_check ? TERN_WORKER_PASS_DEFAULT : TERN_WORKER_PASS_REPLAY_ONLY,
                 self->stop_cancellable, &error);
      if (!ok)
        goto failed;
      if (!first && self->n_new > 0)
        report (self, TERN_WORKER_STATE_ONLINE, NULL, self->n_new);
      first = FALSE;
      report (self, TERN_WORKER_STATE_ONLINE, NULL, 0);
      serve_body_requests (self);

      if (!wait_for_news (self, &full_check, &error))
        goto failed;
      continue;

    failed:
      if (self->stopping)
        break;
      disconnect (self, FALSE);
      serve_body_requests (self);   /* each gets "not connected" */
      {
        guint delay = tern_backoff_failed (backoff);
        gboolean person = needs_person (error);

        g_debug ("%s: %s; next try in %u ms", tern_account_get_name (self->account), error->message, delay);
        report (self, person ? TERN_WORKER_STATE_ERROR : TERN_WORKER_STATE_OFFLINE, error->message, 0);
        /* A person must act on an error: wait for a wake-up (a new
         * password, "Retry"), with a slow retry meanwhile. */
        sleep_until_woken (self, person ? 30 * 60 : MAX (delay / 1000, 1));
      }
    }
  disconnect (self, TRUE);
  serve_body_requests (self);
  tern_store_release_thread_reader (self->store);
  g_main_context_pop_thread_default (context);
  report (self, TERN_WORKER_STATE_STOPPED, NULL, 0);
  return NULL;
}

void
tern_account_worker_start (TernAccountWorker *self)
{
  g_return_if_fail (TERN_IS_ACCOUNT_WORKER (self));

  if (self->thread != NULL)
    return;
  if (tern_account_get_protocol (self->account) != TERN_PROTOCOL_IMAP)
    {
      g_warning ("%s: only IMAP accounts have a background worker yet", tern_account_get_name (self->account));
      return;
    }
  self->stopping = FALSE;
  self->woken = FALSE;
  g_clear_object (&self->stop_cancellable);
  self->stop_cancellable = g_cancellable_new ();
  g_clear_object (&self->wait_cancellable);
  self->wait_cancellable = g_cancellable_new ();
  self->thread = g_thread_new ("tern-account-worker", worker_thread_main, self);
}

void
tern_account_worker_stop (TernAccountWorker *self)
{
  g_return_if_fail (TERN_IS_ACCOUNT_WORKER (self));

  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cancellable_cancel (self->stop_cancellable);
  g_cancellable_cancel (self->wait_cancellable);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (g_steal_pointer (&self->thread));
}

void
tern_account_worker_wake (TernAccountWorker *self)
{
  g_return_if_fail (TERN_IS_ACCOUNT_WORKER (self));

  g_mutex_lock (&self->lock);
  self->woken = TRUE;
  if (self->wait_cancellable != NULL)
    g_cancellable_cancel (self->wait_cancellable);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}
