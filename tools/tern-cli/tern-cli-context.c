/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

/* What most commands open first: the accounts and the store. */

#include "tern-cli-private.h"

void
tern_cli_context_clear (TernCliContext *ctx)
{
  if (ctx->store != NULL)
    tern_store_close (ctx->store);
  g_clear_object (&ctx->store);
  g_clear_object (&ctx->accounts);
}

gboolean
tern_cli_context_open (TernCliContext *ctx)
{
  g_autofree char *accounts_dir = tern_paths_get_accounts_dir ();
  g_autoptr(GError) error = NULL;

  ctx->accounts = tern_account_manager_new (accounts_dir);
  if (!tern_account_manager_load (ctx->accounts, &error))
    {
      tern_cli_error ("%s", error->message);
      return FALSE;
    }
  ctx->store = tern_store_open (tern_paths_get_data_dir (), &error);
  if (ctx->store == NULL)
    {
      tern_cli_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
tern_cli_context_resolve_account (TernCliContext  *ctx,
                                  const char      *name,
                                  const char     **account_id)
{
  TernAccount *account;

  *account_id = NULL;
  if (name == NULL)
    return TRUE;
  account = tern_account_manager_lookup (ctx->accounts, name);
  if (account == NULL)
    {
      tern_cli_error ("no account named “%s”; 'tern-cli account list' shows them", name);
      return FALSE;
    }
  *account_id = tern_account_get_id (account);
  return TRUE;
}

const char *
tern_cli_context_account_name (TernCliContext *ctx,
                               const char     *account_id)
{
  TernAccount *account = account_id ? tern_account_manager_lookup (ctx->accounts, account_id) : NULL;

  return account ? tern_account_get_name (account) : account_id;
}

static void
log_line_added_cb (TernProtocolLog *log,
                   guint            connection,
                   int              direction,
                   const char      *line,
                   gpointer         user_data)
{
  fprintf (stderr, "%s\n", line);
}

TernAccountWorker *
tern_cli_new_worker (TernStore   *store,
                     TernAccount *account,
                     gboolean     debug)
{
  TernAccountWorker *worker = tern_account_worker_new (account, store);

  if (debug)
    {
      g_autoptr(TernProtocolLog) log = tern_protocol_log_new (tern_account_get_name (account), 0);

      g_signal_connect (log, "line-added", G_CALLBACK (log_line_added_cb), NULL);
      tern_account_worker_set_protocol_log (worker, log);
    }
  return worker;
}
