/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

/* tern-cli sync: one full pass of IMAP accounts into the store. */

#include <stdio.h>
#include <string.h>

#include "tern-cli-private.h"

static gboolean
sync_imap_account (TernStore    *store,
                   TernAccount  *account,
                   gboolean      debug,
                   GError      **error)
{
  g_autoptr(TernAccountWorker) worker = tern_cli_new_worker (store, account, debug);
  guint n_new;

  if (!tern_account_worker_run_once (worker, TERN_WORKER_PASS_DEFAULT, NULL, error))
    return FALSE;
  n_new = tern_account_worker_get_n_new (worker);
  printf ("%s: %u new message%s", tern_account_get_name (account), n_new, n_new == 1 ? "" : "s");
  if (tern_account_worker_get_n_replayed (worker) > 0)
    printf (", %u queued change%s sent", tern_account_worker_get_n_replayed (worker),
            tern_account_worker_get_n_replayed (worker) == 1 ? "" : "s");
  printf ("\n");
  return TRUE;
}

int
tern_cli_sync (int    argc,
               char **argv)
{
  g_autofree char *account_opt = NULL;
  gboolean debug = FALSE;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_opt, "Only this account", "NAME" },
    { "debug", 0, 0, G_OPTION_ARG_NONE, &debug, "Print the protocol exchange (never passwords) on stderr", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- fetch folders and new mail from the servers");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernAccountManager) manager = NULL;
  g_autoptr(TernStore) store = NULL;
  g_autofree char *accounts_dir = tern_paths_get_accounts_dir ();
  int status = TERN_CLI_EXIT_OK;
  guint n;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }

  manager = tern_account_manager_new (accounts_dir);
  if (!tern_account_manager_load (manager, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }
  if (account_opt != NULL && tern_account_manager_lookup (manager, account_opt) == NULL)
    {
      tern_cli_error ("no account named “%s”; 'tern-cli account list' shows them", account_opt);
      return TERN_CLI_EXIT_FAILED;
    }
  store = tern_store_open (tern_paths_get_data_dir (), &error);
  if (store == NULL)
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (manager));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TernAccount) account = g_list_model_get_item (G_LIST_MODEL (manager), i);
      g_autoptr(GError) account_error = NULL;

      if (account_opt != NULL && account != tern_account_manager_lookup (manager, account_opt))
        continue;
      if (tern_account_get_protocol (account) != TERN_PROTOCOL_IMAP)
        {
          tern_cli_error ("%s: syncing POP3 accounts is not available yet (the POP3 worker is the next step)",
                          tern_account_get_name (account));
          status = TERN_CLI_EXIT_FAILED;
          continue;
        }
      if (!sync_imap_account (store, account, debug, &account_error))
        {
          tern_cli_error ("%s: %s", tern_account_get_name (account), account_error->message);
          status = TERN_CLI_EXIT_FAILED;
        }
    }
  tern_store_close (store);
  return status;
}
