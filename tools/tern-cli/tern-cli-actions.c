/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

/* Commands that change mail: flag, move, delete, and quota. A change is
 * made in the store and queued for the server in one step, then sent at
 * once when the server can be reached; otherwise the next sync sends it. */

#include <stdio.h>
#include <string.h>

#include "tern-cli-private.h"

static gboolean
parse_ids (int          argc,
           char       **argv,
           int          first,
           int          last,
           GArray     **ids)
{
  *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (int i = first; i < last; i++)
    {
      char *end = NULL;
      gint64 id = g_ascii_strtoll (argv[i], &end, 10);

      if (id <= 0 || end == argv[i] || *end != '\0')
        {
          tern_cli_error ("“%s” is not a message id; 'tern-cli list' prints them", argv[i]);
          return FALSE;
        }
      g_array_append_val (*ids, id);
    }
  return (*ids)->len > 0;
}

/* The account of each message, checking they all exist. */
static char *
messages_account (TernCliContext *ctx,
                  GArray         *ids)
{
  g_autofree char *account_id = NULL;

  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      sqlite3_stmt *stmt = NULL;
      g_autofree char *this_account = NULL;

      if (sqlite3_prepare_v2 (tern_store_get_reader (ctx->store), "SELECT account_id FROM messages WHERE id = ?",
                              -1, &stmt, NULL) == SQLITE_OK)
        {
          sqlite3_bind_int64 (stmt, 1, id);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            this_account = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
        }
      sqlite3_finalize (stmt);
      if (this_account == NULL)
        {
          tern_cli_error ("no message %" G_GINT64_FORMAT " is stored", id);
          return NULL;
        }
      if (account_id != NULL && strcmp (account_id, this_account) != 0)
        {
          tern_cli_error ("the messages belong to different accounts; change one account's at a time");
          return NULL;
        }
      g_free (account_id);
      account_id = g_steal_pointer (&this_account);
    }
  return g_steal_pointer (&account_id);
}

static int send_queued (TernCliContext *ctx,
                        TernAccount    *account,
                        gboolean        offline,
                        const char     *done);

/* Applies the action here, then tells the server if it can be reached. */
static int
apply_and_send (TernCliContext      *ctx,
                TernStoreActionKind  kind,
                GArray              *ids,
                guint                add,
                guint                remove,
                gint64               folder_id,
                gboolean             offline,
                const char          *done)
{
  g_autofree char *account_id = messages_account (ctx, ids);
  g_autoptr(GError) error = NULL;
  TernWait wait;
  gboolean ok;

  if (account_id == NULL)
    return TERN_CLI_EXIT_FAILED;
  tern_wait_begin (&wait);
  tern_store_apply_action_async (ctx->store, kind, ids, add, remove, folder_id, NULL, tern_wait_cb, &wait);
  ok = tern_store_apply_action_finish (ctx->store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  if (!ok)
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }

  return send_queued (ctx, tern_account_manager_lookup (ctx->accounts, account_id), offline, done);
}

/* Tells the server what is queued for ACCOUNT if it can be reached. */
static int
send_queued (TernCliContext *ctx,
             TernAccount    *account,
             gboolean        offline,
             const char     *done)
{
  g_autoptr(GError) error = NULL;

  if (account == NULL || tern_account_get_protocol (account) != TERN_PROTOCOL_IMAP ||
      tern_store_count_pending_actions (ctx->store, tern_account_get_id (account)) == 0)
    {
      printf ("%s\n", done);
      return TERN_CLI_EXIT_OK;
    }
  if (offline)
    {
      printf ("%s; the server is told at the next sync\n", done);
      return TERN_CLI_EXIT_OK;
    }

  {
    g_autoptr(TernAccountWorker) worker = tern_cli_new_worker (ctx->store, account, FALSE);

    if (!tern_account_worker_run_once (worker, TERN_WORKER_PASS_REPLAY_ONLY, NULL, &error))
      {
        /* Safe here and queued: not a failure of this command. */
        printf ("%s; the server could not be reached (%s), so it is told at the next sync\n", done, error->message);
        return TERN_CLI_EXIT_OK;
      }
  }
  printf ("%s\n", done);
  return TERN_CLI_EXIT_OK;
}

static gboolean
parse_options (GOptionContext  *context,
               GOptionEntry    *entries,
               int             *argc,
               char          ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static guint
flag_from_name (const char *name)
{
  if (g_ascii_strcasecmp (name, "seen") == 0 || g_ascii_strcasecmp (name, "read") == 0)
    return TERN_FLAG_SEEN;
  if (g_ascii_strcasecmp (name, "flagged") == 0 || g_ascii_strcasecmp (name, "starred") == 0)
    return TERN_FLAG_FLAGGED;
  if (g_ascii_strcasecmp (name, "answered") == 0)
    return TERN_FLAG_ANSWERED;
  if (g_ascii_strcasecmp (name, "draft") == 0)
    return TERN_FLAG_DRAFT;
  return 0;
}

int
tern_cli_flag (int    argc,
               char **argv)
{
  g_autofree char *set = NULL;
  g_autofree char *unset = NULL;
  gboolean offline = FALSE;
  GOptionEntry entries[] = {
    { "set", 0, 0, G_OPTION_ARG_STRING, &set, "Set the flag", "seen|flagged|answered|draft" },
    { "unset", 0, 0, G_OPTION_ARG_STRING, &unset, "Clear the flag", "seen|flagged|answered|draft" },
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline, "Only queue the change for the next sync", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("ID… - set or clear a flag");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  g_autoptr(GArray) ids = NULL;
  g_autofree char *done = NULL;
  guint flag;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if ((set == NULL) == (unset == NULL))
    {
      tern_cli_error ("flag takes exactly one of --set NAME or --unset NAME");
      return TERN_CLI_EXIT_USAGE;
    }
  flag = flag_from_name (set != NULL ? set : unset);
  if (flag == 0)
    {
      tern_cli_error ("unknown flag “%s”: use seen, flagged, answered or draft", set != NULL ? set : unset);
      return TERN_CLI_EXIT_USAGE;
    }
  if (!parse_ids (argc, argv, 1, argc, &ids))
    {
      if (argc < 2)
        tern_cli_error ("flag takes one or more message ids, as 'tern-cli list' prints them");
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_cli_context_open (&ctx))
    return TERN_CLI_EXIT_FAILED;
  done = g_strdup_printf ("%s %s on %u message%s", set != NULL ? "set" : "cleared", set != NULL ? set : unset,
                          ids->len, ids->len == 1 ? "" : "s");
  return apply_and_send (&ctx, TERN_STORE_ACTION_SET_FLAGS, ids, set != NULL ? flag : 0, set != NULL ? 0 : flag,
                         0, offline, done);
}

/* A folder of ACCOUNT_ID by path, or by role (inbox, archive, trash…). */
static gint64
lookup_folder (TernCliContext *ctx,
               const char     *account_id,
               const char     *name)
{
  sqlite3_stmt *stmt = NULL;
  gint64 folder_id = tern_store_lookup_folder (ctx->store, account_id, name);

  if (folder_id > 0)
    return folder_id;
  if (sqlite3_prepare_v2 (tern_store_get_reader (ctx->store),
                          "SELECT id FROM folders WHERE account_id = ?1 AND (role = lower(?2) OR path = ?2 COLLATE NOCASE)"
                          " ORDER BY role IS NULL, id LIMIT 1", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, account_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        folder_id = sqlite3_column_int64 (stmt, 0);
    }
  sqlite3_finalize (stmt);
  return folder_id;
}

static int
move_or_copy (int      argc,
              char   **argv,
              gboolean copy)
{
  gboolean offline = FALSE;
  GOptionEntry entries[] = {
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline, "Only queue the change for the next sync", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new (copy ? "ID… FOLDER - copy messages into a folder of their account"
                               : "ID… FOLDER - move messages to a folder of their account");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  g_autoptr(GArray) ids = NULL;
  g_autofree char *account_id = NULL;
  g_autofree char *done = NULL;
  gint64 folder_id;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if (argc < 3 || !parse_ids (argc, argv, 1, argc - 1, &ids))
    {
      if (argc < 3)
        tern_cli_error ("%s takes message ids and a folder: 'tern-cli %s ID… FOLDER'",
                        copy ? "copy" : "move", copy ? "copy" : "move");
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_cli_context_open (&ctx))
    return TERN_CLI_EXIT_FAILED;
  account_id = messages_account (&ctx, ids);
  if (account_id == NULL)
    return TERN_CLI_EXIT_FAILED;
  folder_id = lookup_folder (&ctx, account_id, argv[argc - 1]);
  if (folder_id <= 0)
    {
      tern_cli_error ("the account “%s” has no folder “%s”; 'tern-cli folders' lists them",
                      tern_cli_context_account_name (&ctx, account_id), argv[argc - 1]);
      return TERN_CLI_EXIT_FAILED;
    }
  done = g_strdup_printf ("%s %u message%s to %s", copy ? "copied" : "moved", ids->len, ids->len == 1 ? "" : "s",
                          argv[argc - 1]);
  return apply_and_send (&ctx, copy ? TERN_STORE_ACTION_COPY : TERN_STORE_ACTION_MOVE, ids, 0, 0, folder_id,
                         offline, done);
}

int
tern_cli_move (int    argc,
               char **argv)
{
  return move_or_copy (argc, argv, FALSE);
}

int
tern_cli_copy (int    argc,
               char **argv)
{
  return move_or_copy (argc, argv, TRUE);
}

int
tern_cli_delete (int    argc,
                 char **argv)
{
  gboolean offline = FALSE;
  gboolean expunge = FALSE;
  GOptionEntry entries[] = {
    { "permanently", 0, 0, G_OPTION_ARG_NONE, &expunge, "Delete for good instead of moving to Trash", NULL },
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline, "Only queue the change for the next sync", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("ID… - move messages to Trash (delete them for good when already there)");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  g_autoptr(GArray) ids = NULL;
  g_autofree char *done = NULL;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if (!parse_ids (argc, argv, 1, argc, &ids))
    {
      if (argc < 2)
        tern_cli_error ("delete takes one or more message ids, as 'tern-cli list' prints them");
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_cli_context_open (&ctx))
    return TERN_CLI_EXIT_FAILED;
  done = g_strdup_printf ("deleted %u message%s", ids->len, ids->len == 1 ? "" : "s");
  return apply_and_send (&ctx, expunge ? TERN_STORE_ACTION_EXPUNGE : TERN_STORE_ACTION_TRASH, ids, 0, 0, 0,
                         offline, done);
}

static void
print_quota (TernCliContext *ctx,
             TernAccount    *account)
{
  guint64 used = 0, limit = 0;
  gint64 updated = 0;
  g_autofree char *used_text = NULL;
  g_autofree char *limit_text = NULL;

  if (!tern_store_get_quota (ctx->store, tern_account_get_id (account), &used, &limit, &updated))
    {
      printf ("%s: the server does not report a quota\n", tern_account_get_name (account));
      return;
    }
  used_text = g_format_size (used * 1024);
  if (limit == 0)
    {
      printf ("%s: %s used, no limit\n", tern_account_get_name (account), used_text);
      return;
    }
  limit_text = g_format_size (limit * 1024);
  printf ("%s: %s of %s used (%.1f%%)\n", tern_account_get_name (account), used_text, limit_text,
          100.0 * (double) used / (double) limit);
}

int
tern_cli_quota (int    argc,
                char **argv)
{
  g_autofree char *account_opt = NULL;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_opt, "Only this account", "NAME" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- show how much of the server's space is used");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  const char *only = NULL;
  int status = TERN_CLI_EXIT_OK;
  guint n;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if (!tern_cli_context_open (&ctx) || !tern_cli_context_resolve_account (&ctx, account_opt, &only))
    return TERN_CLI_EXIT_FAILED;

  n = g_list_model_get_n_items (G_LIST_MODEL (ctx.accounts));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TernAccount) account = g_list_model_get_item (G_LIST_MODEL (ctx.accounts), i);
      g_autoptr(TernAccountWorker) worker = NULL;
      g_autoptr(GError) error = NULL;

      if (only != NULL && strcmp (only, tern_account_get_id (account)) != 0)
        continue;
      if (tern_account_get_protocol (account) != TERN_PROTOCOL_IMAP)
        {
          printf ("%s: POP3 servers do not report a quota\n", tern_account_get_name (account));
          continue;
        }
      worker = tern_cli_new_worker (ctx.store, account, FALSE);
      if (!tern_account_worker_run_once (worker, TERN_WORKER_PASS_REPLAY_ONLY | TERN_WORKER_PASS_QUOTA, NULL, &error))
        {
          tern_cli_error ("%s: %s", tern_account_get_name (account), error->message);
          status = TERN_CLI_EXIT_FAILED;
          continue;
        }
      print_quota (&ctx, account);
    }
  return status;
}

/* tern-cli folder create|rename|delete */

static TernAccount *
only_or_named_account (TernCliContext *ctx,
                       const char     *name)
{
  const char *account_id = NULL;

  if (name != NULL)
    return tern_cli_context_resolve_account (ctx, name, &account_id)
             ? tern_account_manager_lookup (ctx->accounts, account_id) : NULL;
  if (g_list_model_get_n_items (G_LIST_MODEL (ctx->accounts)) == 1)
    {
      g_autoptr(TernAccount) only = g_list_model_get_item (G_LIST_MODEL (ctx->accounts), 0);

      return only;   /* the manager keeps it */
    }
  tern_cli_error ("say which account with --account NAME");
  return NULL;
}

static char *
account_delimiter (TernCliContext *ctx,
                   const char     *account_id)
{
  sqlite3_stmt *stmt = NULL;
  char *delimiter = NULL;

  if (sqlite3_prepare_v2 (tern_store_get_reader (ctx->store),
                          "SELECT delimiter FROM folders WHERE account_id = ? AND delimiter IS NOT NULL"
                          " GROUP BY delimiter ORDER BY count(*) DESC LIMIT 1", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, account_id, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        delimiter = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);
  return delimiter != NULL ? delimiter : g_strdup ("/");
}

int
tern_cli_folder (int    argc,
                 char **argv)
{
  g_autofree char *account_opt = NULL;
  gboolean offline = FALSE;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_opt, "The account (needed when there are several)", "NAME" },
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline, "Only queue the change for the next sync", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("create PATH | rename PATH NEW-PATH | delete PATH - change an account's folders");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *delimiter = NULL;
  g_autofree char *done = NULL;
  TernStoreActionKind kind;
  TernAccount *account;
  const char *account_id;
  TernWait wait;
  gboolean ok;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if (argc == 3 && strcmp (argv[1], "create") == 0)
    kind = TERN_STORE_ACTION_CREATE_FOLDER;
  else if (argc == 4 && strcmp (argv[1], "rename") == 0)
    kind = TERN_STORE_ACTION_RENAME_FOLDER;
  else if (argc == 3 && strcmp (argv[1], "delete") == 0)
    kind = TERN_STORE_ACTION_DELETE_FOLDER;
  else
    {
      tern_cli_error ("use 'folder create PATH', 'folder rename PATH NEW-PATH' or 'folder delete PATH'");
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_cli_context_open (&ctx))
    return TERN_CLI_EXIT_FAILED;
  account = only_or_named_account (&ctx, account_opt);
  if (account == NULL)
    return TERN_CLI_EXIT_FAILED;
  account_id = tern_account_get_id (account);
  if (kind != TERN_STORE_ACTION_DELETE_FOLDER)
    {
      const char *name = argv[kind == TERN_STORE_ACTION_CREATE_FOLDER ? 2 : 3];

      if (!g_utf8_validate (name, -1, NULL) || *name == '\0' || strpbrk (name, "\r\n") != NULL ||
          g_ascii_strcasecmp (name, "INBOX") == 0)
        {
          tern_cli_error ("“%s” cannot be a folder name", name);
          return TERN_CLI_EXIT_USAGE;
        }
    }
  if (kind != TERN_STORE_ACTION_CREATE_FOLDER && g_ascii_strcasecmp (argv[2], "INBOX") == 0)
    {
      tern_cli_error ("the inbox cannot be renamed or deleted");
      return TERN_CLI_EXIT_USAGE;
    }

  delimiter = account_delimiter (&ctx, account_id);
  tern_wait_begin (&wait);
  tern_store_apply_folder_action_async (ctx.store, kind, account_id, argv[2],
                                        kind == TERN_STORE_ACTION_RENAME_FOLDER ? argv[3] : NULL, delimiter,
                                        NULL, tern_wait_cb, &wait);
  ok = tern_store_apply_folder_action_finish (ctx.store, tern_wait_end (&wait), &error);
  tern_wait_clear (&wait);
  if (!ok)
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }
  done = g_strdup_printf ("%s folder %s%s%s", kind == TERN_STORE_ACTION_CREATE_FOLDER ? "created"
                                              : kind == TERN_STORE_ACTION_RENAME_FOLDER ? "renamed" : "deleted",
                          argv[2], kind == TERN_STORE_ACTION_RENAME_FOLDER ? " to " : "",
                          kind == TERN_STORE_ACTION_RENAME_FOLDER ? argv[3] : "");
  return send_queued (&ctx, account, offline, done);
}
