/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "tern-cli-private.h"

static TernAccountManager *
load_manager (void)
{
  g_autofree char *dir = tern_paths_get_accounts_dir ();
  g_autoptr(TernAccountManager) manager = tern_account_manager_new (dir);
  g_autoptr(GError) error = NULL;

  if (!tern_account_manager_load (manager, &error))
    {
      tern_cli_error ("%s", error->message);
      return NULL;
    }
  return g_steal_pointer (&manager);
}

static gboolean
parse_yes_no (const char *option,
              const char *value,
              gboolean   *out)
{
  if (value == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (value, "yes") == 0 || g_ascii_strcasecmp (value, "true") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (value, "no") == 0 || g_ascii_strcasecmp (value, "false") == 0)
    *out = FALSE;
  else
    {
      tern_cli_error ("%s takes yes or no, not “%s”", option, value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_port (const char *option,
            int         value,
            guint16    *out)
{
  if (value == -1)
    return TRUE;
  if (value < 1 || value > 65535)
    {
      tern_cli_error ("%s must be between 1 and 65535", option);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static int
account_add (int    argc,
             char **argv)
{
  g_autofree char *name = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *email = NULL;
  g_autofree char *color = NULL;
  g_autofree char *protocol_str = NULL;
  g_autofree char *host = NULL;
  int port = -1;
  g_autofree char *security_str = NULL;
  g_autofree char *username = NULL;
  gboolean password_stdin = FALSE;
  g_autofree char *ca_file = NULL;
  g_autofree char *pinned = NULL;
  g_autofree char *smtp_host = NULL;
  int smtp_port = -1;
  g_autofree char *smtp_security_str = NULL;
  g_autofree char *smtp_username = NULL;
  g_autofree char *pop_keep = NULL;
  int pop_days = -1;
  g_autofree char *pop_delete_when_deleted = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "A name for the account (required)", "NAME" },
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &display_name, "Your name, as shown to recipients", "TEXT" },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, "The email address (required)", "ADDR" },
    { "color", 0, 0, G_OPTION_ARG_STRING, &color, "The account's colour, e.g. #3584e4", "COLOR" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &protocol_str, "imap or pop3 (required)", "imap|pop3" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "The incoming server (required)", "HOST" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "The incoming port (default from the security)", "PORT" },
    { "security", 0, 0, G_OPTION_ARG_STRING, &security_str, "tls (default), starttls or none", "tls|starttls|none" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username, "The user name (default: the email address)", "USER" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, "Read the password from the first line of standard input", NULL },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "Also trust the CA certificates in this PEM file", "PEM" },
    { "pin-sha256", 0, 0, G_OPTION_ARG_STRING, &pinned, "Accept the server certificate with this SHA-256 fingerprint", "HEX" },
    { "smtp-host", 0, 0, G_OPTION_ARG_STRING, &smtp_host, "The outgoing (submission) server", "HOST" },
    { "smtp-port", 0, 0, G_OPTION_ARG_INT, &smtp_port, "The outgoing port (default from the security)", "PORT" },
    { "smtp-security", 0, 0, G_OPTION_ARG_STRING, &smtp_security_str, "tls (default), starttls or none", "tls|starttls|none" },
    { "smtp-username", 0, 0, G_OPTION_ARG_STRING, &smtp_username, "The outgoing user name (default: the incoming one)", "USER" },
    { "pop-keep", 0, 0, G_OPTION_ARG_STRING, &pop_keep, "POP3: keep a copy on the server (default yes)", "yes|no" },
    { "pop-delete-after-days", 0, 0, G_OPTION_ARG_INT, &pop_days, "POP3: delete from the server after N days (default 14, 0 never)", "N" },
    { "pop-delete-when-deleted", 0, 0, G_OPTION_ARG_STRING, &pop_delete_when_deleted, "POP3: delete from the server when deleted here (default no)", "yes|no" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- add a mail account");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernAccountManager) manager = NULL;
  g_autoptr(TernAccount) account = NULL;
  g_autofree char *password = NULL;
  TernProtocol protocol = TERN_PROTOCOL_IMAP;
  TernSecurity security = TERN_SECURITY_TLS;
  TernSecurity smtp_security = TERN_SECURITY_TLS;
  guint16 port16;
  guint16 smtp_port16;
  gboolean keep = TRUE;
  gboolean delete_when_deleted = FALSE;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_help_enabled (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }
  if (argc > 1)
    {
      tern_cli_error ("unexpected argument “%s”", argv[1]);
      return TERN_CLI_EXIT_USAGE;
    }

  if (name == NULL || email == NULL || protocol_str == NULL || host == NULL)
    {
      tern_cli_error ("account add needs --name, --email, --protocol and --host");
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_protocol_from_string (protocol_str, &protocol))
    {
      tern_cli_error ("--protocol must be imap or pop3, not “%s”", protocol_str);
      return TERN_CLI_EXIT_USAGE;
    }
  if (security_str != NULL && !tern_security_from_string (security_str, &security))
    {
      tern_cli_error ("--security must be tls, starttls or none, not “%s”", security_str);
      return TERN_CLI_EXIT_USAGE;
    }
  if (smtp_security_str != NULL && !tern_security_from_string (smtp_security_str, &smtp_security))
    {
      tern_cli_error ("--smtp-security must be tls, starttls or none, not “%s”", smtp_security_str);
      return TERN_CLI_EXIT_USAGE;
    }
  port16 = tern_security_default_port (protocol, security);
  smtp_port16 = tern_security_default_smtp_port (smtp_security);
  if (!parse_port ("--port", port, &port16) || !parse_port ("--smtp-port", smtp_port, &smtp_port16))
    return TERN_CLI_EXIT_USAGE;
  if (!parse_yes_no ("--pop-keep", pop_keep, &keep) ||
      !parse_yes_no ("--pop-delete-when-deleted", pop_delete_when_deleted, &delete_when_deleted))
    return TERN_CLI_EXIT_USAGE;
  if (pop_days < -1 || pop_days > 36500)
    {
      tern_cli_error ("--pop-delete-after-days must be between 0 and 36500");
      return TERN_CLI_EXIT_USAGE;
    }
  if ((pop_keep || pop_days != -1 || pop_delete_when_deleted) && protocol != TERN_PROTOCOL_POP3)
    {
      tern_cli_error ("the --pop-* options apply only to --protocol pop3");
      return TERN_CLI_EXIT_USAGE;
    }
  if (ca_file != NULL)
    {
      g_autofree char *absolute = g_canonicalize_filename (ca_file, NULL);

      if (!g_file_test (absolute, G_FILE_TEST_IS_REGULAR))
        {
          tern_cli_error ("the CA file %s does not exist", absolute);
          return TERN_CLI_EXIT_FAILED;
        }
      g_free (ca_file);
      ca_file = g_steal_pointer (&absolute);
    }

  account = tern_account_new (NULL);
  tern_account_set_name (account, name);
  tern_account_set_display_name (account, display_name);
  tern_account_set_email (account, email);
  tern_account_set_color (account, color);
  tern_account_set_protocol (account, protocol);
  tern_account_set_host (account, host);
  tern_account_set_port (account, port16);
  tern_account_set_security (account, security);
  tern_account_set_username (account, username ? username : email);
  tern_account_set_ca_file (account, ca_file);
  tern_account_set_pinned_sha256 (account, pinned);
  tern_account_set_smtp_host (account, smtp_host);
  tern_account_set_smtp_port (account, smtp_port16);
  tern_account_set_smtp_security (account, smtp_security);
  tern_account_set_smtp_username (account, smtp_username);
  tern_account_set_pop_keep (account, keep);
  if (pop_days != -1)
    tern_account_set_pop_delete_after_days (account, pop_days);
  tern_account_set_pop_delete_when_deleted (account, delete_when_deleted);

  if (!tern_account_validate (account, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }
  if (security == TERN_SECURITY_NONE || (smtp_host != NULL && smtp_security == TERN_SECURITY_NONE))
    tern_cli_warning ("security is “none”: the password and mail will cross the network unencrypted");

  manager = load_manager ();
  if (manager == NULL)
    return TERN_CLI_EXIT_FAILED;
  if (tern_account_manager_lookup (manager, name) != NULL)
    {
      tern_cli_error ("an account named “%s” already exists", name);
      return TERN_CLI_EXIT_FAILED;
    }

  if (password_stdin)
    {
      password = tern_cli_read_password_stdin (&error);
      if (password == NULL)
        {
          tern_cli_error ("%s", error->message);
          return TERN_CLI_EXIT_USAGE;
        }
      /* The keyring first: an account file without its password is of no use. */
      if (!tern_credentials_store_sync (account, TERN_CREDENTIAL_INCOMING, password, NULL, &error) ||
          (smtp_host != NULL &&
           !tern_credentials_store_sync (account, TERN_CREDENTIAL_OUTGOING, password, NULL, &error)))
        {
          g_clear_pointer (&password, tern_credentials_free_password);
          tern_cli_error ("%s", error->message);
          tern_credentials_clear_sync (account, NULL, NULL);
          return TERN_CLI_EXIT_FAILED;
        }
      g_clear_pointer (&password, tern_credentials_free_password);
    }

  if (!tern_account_manager_add (manager, account, &error))
    {
      tern_cli_error ("%s", error->message);
      if (password_stdin)
        tern_credentials_clear_sync (account, NULL, NULL);
      return TERN_CLI_EXIT_FAILED;
    }

  printf ("Added account “%s” (%s)%s\n", name, tern_account_get_id (account),
          password_stdin ? ", password stored in the keyring" : "");
  if (!password_stdin)
    tern_cli_warning ("no password stored; set one with 'tern-cli account password %s --password-stdin'", name);
  return TERN_CLI_EXIT_OK;
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *member,
                   const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static JsonNode *
account_to_json (TernAccount *account,
                 int          password_stored)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string_member (builder, "id", tern_account_get_id (account));
  add_string_member (builder, "name", tern_account_get_name (account));
  add_string_member (builder, "display_name", tern_account_get_display_name (account));
  add_string_member (builder, "email", tern_account_get_email (account));
  add_string_member (builder, "color", tern_account_get_color (account));
  add_string_member (builder, "protocol", tern_protocol_to_string (tern_account_get_protocol (account)));
  add_string_member (builder, "host", tern_account_get_host (account));
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, tern_account_get_port (account));
  add_string_member (builder, "security", tern_security_to_string (tern_account_get_security (account)));
  add_string_member (builder, "username", tern_account_get_username (account));
  add_string_member (builder, "ca_file", tern_account_get_ca_file (account));
  add_string_member (builder, "pinned_sha256", tern_account_get_pinned_sha256 (account));

  json_builder_set_member_name (builder, "smtp");
  if (tern_account_get_smtp_host (account) != NULL)
    {
      json_builder_begin_object (builder);
      add_string_member (builder, "host", tern_account_get_smtp_host (account));
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, tern_account_get_smtp_port (account));
      add_string_member (builder, "security", tern_security_to_string (tern_account_get_smtp_security (account)));
      add_string_member (builder, "username", tern_account_get_smtp_username (account));
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);

  if (tern_account_get_protocol (account) == TERN_PROTOCOL_POP3)
    {
      json_builder_set_member_name (builder, "pop");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "keep");
      json_builder_add_boolean_value (builder, tern_account_get_pop_keep (account));
      json_builder_set_member_name (builder, "delete_after_days");
      json_builder_add_int_value (builder, tern_account_get_pop_delete_after_days (account));
      json_builder_set_member_name (builder, "delete_when_deleted");
      json_builder_add_boolean_value (builder, tern_account_get_pop_delete_when_deleted (account));
      json_builder_end_object (builder);
    }

  /* Whether a password is stored, never the password. */
  json_builder_set_member_name (builder, "password_stored");
  if (password_stored < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_boolean_value (builder, password_stored);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* 1 stored, 0 not, -1 the keyring could not be asked. */
static int
password_state (TernAccount *account)
{
  g_autoptr(GError) error = NULL;
  char *password = tern_credentials_lookup_sync (account, TERN_CREDENTIAL_INCOMING, NULL, &error);

  if (error != NULL)
    return -1;
  tern_credentials_free_password (password);
  return password != NULL;
}

static int
account_list (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the accounts");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernAccountManager) manager = NULL;
  guint n;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }

  manager = load_manager ();
  if (manager == NULL)
    return TERN_CLI_EXIT_FAILED;

  n = g_list_model_get_n_items (G_LIST_MODEL (manager));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TernAccount) account = g_list_model_get_item (G_LIST_MODEL (manager), i);

      if (json)
        {
          g_autoptr(JsonNode) node = account_to_json (account, password_state (account));
          g_autofree char *text = json_to_string (node, FALSE);

          printf ("%s\n", text);
        }
      else
        {
          printf ("%-20s %-30s %s %s:%u (%s)\n",
                  tern_account_get_name (account),
                  tern_account_get_email (account),
                  tern_protocol_to_string (tern_account_get_protocol (account)),
                  tern_account_get_host (account),
                  tern_account_get_port (account),
                  tern_security_to_string (tern_account_get_security (account)));
        }
    }
  if (n == 0 && !json)
    printf ("No accounts. Add one with 'tern-cli account add'.\n");
  return TERN_CLI_EXIT_OK;
}

static TernAccount *
find_account (TernAccountManager *manager,
              const char         *name)
{
  TernAccount *account = tern_account_manager_lookup (manager, name);

  if (account == NULL)
    tern_cli_error ("no account named “%s”; 'tern-cli account list' shows them", name);
  return account;
}

static int
account_remove (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME - remove an account and its password");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernAccountManager) manager = NULL;
  g_autoptr(TernAccount) account = NULL;

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }
  if (argc != 2)
    {
      tern_cli_error ("account remove takes one account name");
      return TERN_CLI_EXIT_USAGE;
    }

  manager = load_manager ();
  if (manager == NULL)
    return TERN_CLI_EXIT_FAILED;
  account = find_account (manager, argv[1]);
  if (account == NULL)
    return TERN_CLI_EXIT_FAILED;
  g_object_ref (account);

  if (!tern_account_manager_remove (manager, account, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }
  if (!tern_credentials_clear_sync (account, NULL, &error))
    {
      tern_cli_warning ("the account was removed, but its password could not be: %s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }
  printf ("Removed account “%s”\n", tern_account_get_name (account));
  return TERN_CLI_EXIT_OK;
}

static int
account_password (int    argc,
                  char **argv)
{
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, "Read the password from the first line of standard input", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME - store a new password");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernAccountManager) manager = NULL;
  TernAccount *account;
  g_autofree char *password = NULL;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }
  if (argc != 2 || !password_stdin)
    {
      tern_cli_error ("usage: tern-cli account password NAME --password-stdin");
      return TERN_CLI_EXIT_USAGE;
    }
  manager = load_manager ();
  if (manager == NULL)
    return TERN_CLI_EXIT_FAILED;
  account = find_account (manager, argv[1]);
  if (account == NULL)
    return TERN_CLI_EXIT_FAILED;

  password = tern_cli_read_password_stdin (&error);
  if (password == NULL)
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }
  ok = tern_credentials_store_sync (account, TERN_CREDENTIAL_INCOMING, password, NULL, &error) &&
       (tern_account_get_smtp_host (account) == NULL ||
        tern_credentials_store_sync (account, TERN_CREDENTIAL_OUTGOING, password, NULL, &error));
  g_clear_pointer (&password, tern_credentials_free_password);
  if (!ok)
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }
  printf ("Password for “%s” stored in the keyring\n", tern_account_get_name (account));
  return TERN_CLI_EXIT_OK;
}

int
tern_cli_account (int    argc,
                  char **argv)
{
  const char *sub;

  if (argc < 2)
    {
      tern_cli_error ("account needs a subcommand: add, list, remove or password");
      return TERN_CLI_EXIT_USAGE;
    }
  sub = argv[1];
  /* Hand the subcommand its own argv, with a program name GOption can print. */
  argv[1] = g_strdup_printf ("tern-cli account %s", sub);

  if (strcmp (sub, "add") == 0)
    return account_add (argc - 1, argv + 1);
  if (strcmp (sub, "list") == 0)
    return account_list (argc - 1, argv + 1);
  if (strcmp (sub, "remove") == 0)
    return account_remove (argc - 1, argv + 1);
  if (strcmp (sub, "password") == 0)
    return account_password (argc - 1, argv + 1);

  tern_cli_error ("unknown account subcommand “%s”; use add, list, remove or password", sub);
  return TERN_CLI_EXIT_USAGE;
}
