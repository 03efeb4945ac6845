/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-credentials"

#include <libsecret/secret.h>

#include "tern-engine.h"
#include "tern-test-sandbox.h"

/* Runs against a real gnome-keyring in the sandbox's private D-Bus session. */
static TernTestSandbox *sandbox;

static TernAccount *
make_account (const char *name)
{
  TernAccount *account = tern_account_new (NULL);

  tern_account_set_name (account, name);
  tern_account_set_email (account, "alice@example.test");
  tern_account_set_host (account, "imap.example.test");
  tern_account_set_username (account, "alice");
  tern_account_set_smtp_host (account, "smtp.example.test");
  return account;
}

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (tern_credentials_store_finish (result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **password = user_data;
  g_autoptr(GError) error = NULL;

  *password = tern_credentials_lookup_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async_roundtrip (void)
{
  g_autoptr(TernAccount) account = make_account ("Async");
  gboolean done = FALSE;
  char *password = NULL;

  tern_credentials_store_async (account, TERN_CREDENTIAL_INCOMING, "s3cret ✓ password", NULL,
                                stored_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  tern_credentials_lookup_async (account, TERN_CREDENTIAL_INCOMING, NULL, looked_up_cb, &password);
  while (password == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (password, ==, "s3cret ✓ password");
  tern_credentials_free_password (password);

  g_assert_true (tern_credentials_clear_sync (account, NULL, NULL));
}

static void
test_kinds_and_replace (void)
{
  g_autoptr(TernAccount) account = make_account ("Kinds");
  g_autoptr(TernAccount) other = make_account ("Other");
  g_autoptr(GError) error = NULL;
  char *password;

  g_assert_true (tern_credentials_store_sync (account, TERN_CREDENTIAL_INCOMING, "in-1", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (tern_credentials_store_sync (account, TERN_CREDENTIAL_OUTGOING, "out-1", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (tern_credentials_store_sync (other, TERN_CREDENTIAL_INCOMING, "other-1", NULL, &error));

  password = tern_credentials_lookup_sync (account, TERN_CREDENTIAL_INCOMING, NULL, &error);
  g_assert_cmpstr (password, ==, "in-1");
  tern_credentials_free_password (password);
  password = tern_credentials_lookup_sync (account, TERN_CREDENTIAL_OUTGOING, NULL, &error);
  g_assert_cmpstr (password, ==, "out-1");
  tern_credentials_free_password (password);

  /* A changed server must replace, not add: one item per account and kind. */
  tern_account_set_host (account, "new.example.test");
  g_assert_true (tern_credentials_store_sync (account, TERN_CREDENTIAL_INCOMING, "in-2", NULL, &error));
  password = tern_credentials_lookup_sync (account, TERN_CREDENTIAL_INCOMING, NULL, &error);
  g_assert_cmpstr (password, ==, "in-2");
  tern_credentials_free_password (password);
  {
    g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
    GList *items;

    g_hash_table_insert (attributes, (char *) "account", (char *) tern_account_get_id (account));
    g_hash_table_insert (attributes, (char *) "protocol", (char *) "imap");
    items = secret_password_searchv_sync (NULL, attributes, SECRET_SEARCH_ALL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_length (items), ==, 1);
    g_list_free_full (items, g_object_unref);
  }

  /* Clearing one account leaves the other alone. */
  g_assert_true (tern_credentials_clear_sync (account, NULL, &error));
  password = tern_credentials_lookup_sync (account, TERN_CREDENTIAL_INCOMING, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (password);
  password = tern_credentials_lookup_sync (account, TERN_CREDENTIAL_OUTGOING, NULL, &error);
  g_assert_null (password);
  password = tern_credentials_lookup_sync (other, TERN_CREDENTIAL_INCOMING, NULL, &error);
  g_assert_cmpstr (password, ==, "other-1");
  tern_credentials_free_password (password);
  g_assert_true (tern_credentials_clear_sync (other, NULL, &error));
}

static void
test_attributes_visible_to_secret_tool (void)
{
  g_autoptr(TernAccount) account = make_account ("Tool");
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;
  const char *argv[] = { "secret-tool", "lookup", "account", NULL, "protocol", "imap", NULL };

  g_assert_true (tern_credentials_store_sync (account, TERN_CREDENTIAL_INCOMING, "via-tool", NULL, &error));
  argv[3] = tern_account_get_id (account);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (out, ==, "via-tool");
  g_assert_true (tern_credentials_clear_sync (account, NULL, &error));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  /* Before anything touches the session bus. */
  sandbox = tern_test_sandbox_start ("--messages 0", &error);
  g_assert_no_error (error);
  g_assert_nonnull (sandbox);

  g_test_add_func ("/tern/credentials/async-roundtrip", test_async_roundtrip);
  g_test_add_func ("/tern/credentials/kinds-and-replace", test_kinds_and_replace);
  g_test_add_func ("/tern/credentials/visible-to-secret-tool", test_attributes_visible_to_secret_tool);

  ret = g_test_run ();
  /* Let go of the keyring's bus before it goes away. */
  secret_service_disconnect ();
  tern_test_sandbox_stop (sandbox);
  return ret;
}
