/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

/* tern-cli sync: one full pass of IMAP accounts into the store. */

#include <stdio.h>
#include <string.h>

#include "tern-cli-private.h"
#include "tern-imap-session.h"
#include "tern-imap-sync.h"

static void
log_line_added_cb (TernProtocolLog *log,
                   guint            connection,
                   int              direction,
                   const char      *line,
                   gpointer         user_data)
{
  fprintf (stderr, "%s\n", line);
}

static gboolean
sync_imap_account (TernStore    *store,
                   TernAccount  *account,
                   gboolean      debug,
                   GError      **error)
{
  g_autoptr(TernImapSession) session = tern_imap_session_new (account);
  g_autoptr(TernImapSync) sync = NULL;
  g_autoptr(TernProtocolLog) log = NULL;
  g_autofree char *password = NULL;
  TernWait wait;
  gboolean ok;

  password = tern_credentials_lookup_sync (account, TERN_CREDENTIAL_INCOMING, NULL, error);
  if (password == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_KEYRING,
                     "no password is stored for “%s”; set one with 'tern-cli account password %s --password-stdin'",
                     tern_account_get_name (account), tern_account_get_name (account));
      return FALSE;
    }

  if (debug)
    {
      log = tern_protocol_log_new (tern_account_get_name (account), 0);
      g_signal_connect (log, "line-added", G_CALLBACK (log_line_added_cb), NULL);
      tern_connection_set_protocol_log (tern_imap_session_get_connection (session), log);
    }

  tern_wait_begin (&wait);
  tern_imap_session_connect_async (session, password, NULL, tern_wait_cb, &wait);
  ok = tern_imap_session_connect_finish (session, tern_wait_end (&wait), error);
  tern_wait_clear (&wait);
  g_clear_pointer (&password, tern_credentials_free_password);
  if (!ok)
    return FALSE;

  sync = tern_imap_sync_new (session, store);
  if (!tern_imap_sync_run (sync, NULL, error))
    return FALSE;

  printf ("%s: %u new message%s\n", tern_account_get_name (account),
          tern_imap_sync_get_n_fetched (sync), tern_imap_sync_get_n_fetched (sync) == 1 ? "" : "s");

  tern_wait_begin (&wait);
  tern_imap_session_logout_async (session, NULL, tern_wait_cb, &wait);
  tern_imap_session_logout_finish (session, tern_wait_end (&wait), NULL);
  tern_wait_clear (&wait);
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
