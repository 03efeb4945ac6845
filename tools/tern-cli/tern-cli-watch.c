/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

/* tern-cli watch: the accounts' workers in the background, as in the app;
 * prints each message as it reaches an inbox and each change of a
 * connection's state, until interrupted. */

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include "tern-cli-private.h"

typedef struct
{
  TernCliContext  ctx;
  GMainLoop      *loop;
  GPtrArray      *workers;
} Watch;

static const char *
state_text (TernWorkerState state)
{
  switch (state)
    {
    case TERN_WORKER_STATE_STOPPED: return "stopped";
    case TERN_WORKER_STATE_CONNECTING: return "connecting";
    case TERN_WORKER_STATE_SYNCING: return "syncing";
    case TERN_WORKER_STATE_ONLINE: return "online";
    case TERN_WORKER_STATE_OFFLINE: return "offline";
    case TERN_WORKER_STATE_ERROR: return "error";
    default: return "?";
    }
}

static void
state_changed_cb (TernAccountWorker *worker,
                  GParamSpec        *pspec,
                  Watch             *watch)
{
  const char *text = tern_account_worker_get_status_text (worker);
  TernWorkerState state = tern_account_worker_get_state (worker);
  TernWorkerState shown = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (worker), "tern-cli-shown-state"));

  /* The steps of every check would drown the arrivals: only what a person
   * watching needs (up, down, why). */
  if (state == TERN_WORKER_STATE_CONNECTING || state == TERN_WORKER_STATE_SYNCING || state == shown)
    return;
  g_object_set_data (G_OBJECT (worker), "tern-cli-shown-state", GINT_TO_POINTER (state));
  printf ("%s: %s%s%s\n", tern_account_get_name (tern_account_worker_get_account (worker)),
          state_text (tern_account_worker_get_state (worker)), text ? ": " : "", text ? text : "");
  fflush (stdout);
}

static void
store_changed_cb (TernStore        *store,
                  TernStoreChanges *changes,
                  Watch            *watch)
{
  for (guint i = 0; i < changes->messages->len; i++)
    {
      TernStoreMessageChange *change = &g_array_index (changes->messages, TernStoreMessageChange, i);
      sqlite3_stmt *stmt = NULL;

      if (change->kind != TERN_STORE_CHANGE_ADDED)
        continue;
      if (sqlite3_prepare_v2 (tern_store_get_reader (store),
                              "SELECT m.id, m.account_id, coalesce(m.from_name, m.from_addr, ''), m.subject"
                              " FROM messages m JOIN folders f ON f.id = m.folder_id"
                              " WHERE m.id = ? AND f.role = 'inbox' AND m.uid IS NOT NULL", -1, &stmt, NULL) != SQLITE_OK)
        continue;
      sqlite3_bind_int64 (stmt, 1, change->message_id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        printf ("%s: new %" G_GINT64_FORMAT " from %s: %s\n",
                tern_cli_context_account_name (&watch->ctx, (const char *) sqlite3_column_text (stmt, 1)),
                (gint64) sqlite3_column_int64 (stmt, 0), (const char *) sqlite3_column_text (stmt, 2),
                (const char *) sqlite3_column_text (stmt, 3));
      sqlite3_finalize (stmt);
    }
  fflush (stdout);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
tern_cli_watch (int    argc,
                char **argv)
{
  g_autofree char *account_opt = NULL;
  int interval = 0;
  gboolean debug = FALSE;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_opt, "Only this account", "NAME" },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval, "Seconds between full checks (default 300)", "SECONDS" },
    { "debug", 0, 0, G_OPTION_ARG_NONE, &debug, "Print the protocol exchange (never passwords) on stderr", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- stay connected and print new mail as it arrives");
  g_autoptr(GError) error = NULL;
  Watch watch = { { NULL, NULL }, NULL, NULL };
  const char *only = NULL;
  guint n;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_cli_context_open (&watch.ctx) || !tern_cli_context_resolve_account (&watch.ctx, account_opt, &only))
    {
      tern_cli_context_clear (&watch.ctx);
      return TERN_CLI_EXIT_FAILED;
    }

  watch.loop = g_main_loop_new (NULL, FALSE);
  watch.workers = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (watch.ctx.store, "changed", G_CALLBACK (store_changed_cb), &watch);
  n = g_list_model_get_n_items (G_LIST_MODEL (watch.ctx.accounts));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TernAccount) account = g_list_model_get_item (G_LIST_MODEL (watch.ctx.accounts), i);
      TernAccountWorker *worker;

      if (only != NULL && strcmp (only, tern_account_get_id (account)) != 0)
        continue;
      if (tern_account_get_protocol (account) != TERN_PROTOCOL_IMAP)
        {
          tern_cli_warning ("%s: watching works for IMAP accounts; POP3 accounts are checked with 'tern-cli sync'",
                            tern_account_get_name (account));
          continue;
        }
      worker = tern_cli_new_worker (watch.ctx.store, account, debug);
      if (interval > 0)
        tern_account_worker_set_poll_interval (worker, (guint) interval);
      g_signal_connect (worker, "notify::state", G_CALLBACK (state_changed_cb), &watch);
      g_ptr_array_add (watch.workers, worker);
      tern_account_worker_start (worker);
    }
  if (watch.workers->len == 0)
    {
      tern_cli_error ("no account to watch");
      g_ptr_array_unref (watch.workers);
      g_main_loop_unref (watch.loop);
      tern_cli_context_clear (&watch.ctx);
      return TERN_CLI_EXIT_FAILED;
    }

  g_unix_signal_add (SIGINT, quit_cb, watch.loop);
  g_unix_signal_add (SIGTERM, quit_cb, watch.loop);
  g_main_loop_run (watch.loop);

  for (guint i = 0; i < watch.workers->len; i++)
    tern_account_worker_stop (g_ptr_array_index (watch.workers, i));
  g_ptr_array_unref (watch.workers);
  g_main_loop_unref (watch.loop);
  g_signal_handlers_disconnect_by_data (watch.ctx.store, &watch);
  tern_cli_context_clear (&watch.ctx);
  return TERN_CLI_EXIT_OK;
}
