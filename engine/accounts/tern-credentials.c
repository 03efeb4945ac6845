/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-credentials"

#include <libsecret/secret.h>

#include "tern-credentials.h"

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.ternmail.Tern.Password", SECRET_SCHEMA_NONE,
    {
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "protocol", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, 0, 0, 0, 0, 0, 0, 0
  };
  return &schema;
}

static const char *
kind_protocol (TernAccount        *account,
               TernCredentialKind  kind)
{
  return kind == TERN_CREDENTIAL_OUTGOING ? "smtp" : tern_protocol_to_string (tern_account_get_protocol (account));
}

static const char *
kind_server (TernAccount        *account,
             TernCredentialKind  kind)
{
  const char *host = kind == TERN_CREDENTIAL_OUTGOING ? tern_account_get_smtp_host (account)
                                                      : tern_account_get_host (account);
  return host ? host : "";
}

static const char *
kind_user (TernAccount        *account,
           TernCredentialKind  kind)
{
  const char *user = kind == TERN_CREDENTIAL_OUTGOING ? tern_account_get_smtp_username (account)
                                                      : tern_account_get_username (account);
  return user ? user : "";
}

static char *
make_label (TernAccount        *account,
            TernCredentialKind  kind)
{
  return g_strdup_printf ("Tern: %s (%s %s)",
                          tern_account_get_name (account),
                          kind_protocol (account, kind),
                          kind_server (account, kind));
}

/* Matches what is stored for one account and kind, whatever server or user
 * it was stored with, so that a changed setting never leaves a stale copy. */
static GHashTable *
lookup_attributes (TernAccount        *account,
                   TernCredentialKind  kind)
{
  GHashTable *attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (attributes, (char *) "account", (char *) tern_account_get_id (account));
  g_hash_table_insert (attributes, (char *) "protocol", (char *) kind_protocol (account, kind));
  return attributes;
}

static GHashTable *
store_attributes (TernAccount        *account,
                  TernCredentialKind  kind)
{
  GHashTable *attributes = lookup_attributes (account, kind);

  g_hash_table_insert (attributes, (char *) "server", (char *) kind_server (account, kind));
  g_hash_table_insert (attributes, (char *) "user", (char *) kind_user (account, kind));
  return attributes;
}

static GError *
keyring_error (GError     *error,
               const char *what)
{
  return g_error_new (TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_KEYRING,
                      "%s: %s. Is the desktop keyring (Secret Service) running and unlocked?",
                      what, error->message);
}

/* Store */

typedef struct
{
  TernAccount        *account;
  TernCredentialKind  kind;
  char               *password;
} StoreData;

static void
store_data_free (StoreData *data)
{
  g_clear_object (&data->account);
  g_clear_pointer (&data->password, tern_credentials_free_password);
  g_free (data);
}

static void
store_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, keyring_error (error, "The password could not be saved"));
  else
    g_task_return_boolean (task, TRUE);
}

static void
store_cleared_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StoreData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      g_task_return_error (task, keyring_error (error, "The old password could not be replaced"));
      return;
    }

  attributes = store_attributes (data->account, data->kind);
  label = make_label (data->account, data->kind);
  secret_password_storev (get_schema (), attributes, SECRET_COLLECTION_DEFAULT, label,
                          data->password, g_task_get_cancellable (task),
                          store_done_cb, g_object_ref (task));
}

void
tern_credentials_store_async (TernAccount         *account,
                              TernCredentialKind   kind,
                              const char          *password,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  StoreData *data;

  g_return_if_fail (TERN_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_credentials_store_async);
  data = g_new0 (StoreData, 1);
  data->account = g_object_ref (account);
  data->kind = kind;
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) store_data_free);

  attributes = lookup_attributes (account, kind);
  secret_password_clearv (get_schema (), attributes, cancellable,
                          store_cleared_cb, g_steal_pointer (&task));
}

gboolean
tern_credentials_store_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Lookup */

static void
lookup_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *password = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, keyring_error (error, "The password could not be read"));
  else
    g_task_return_pointer (task, password, (GDestroyNotify) tern_credentials_free_password);
}

void
tern_credentials_lookup_async (TernAccount         *account,
                               TernCredentialKind   kind,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;

  g_return_if_fail (TERN_IS_ACCOUNT (account));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_credentials_lookup_async);
  attributes = lookup_attributes (account, kind);
  secret_password_lookupv (get_schema (), attributes, cancellable,
                           lookup_done_cb, g_steal_pointer (&task));
}

char *
tern_credentials_lookup_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Clear */

static void
clear_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_task_return_error (task, keyring_error (error, "The password could not be removed"));
  else
    g_task_return_boolean (task, TRUE);
}

void
tern_credentials_clear_async (TernAccount         *account,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_if_fail (TERN_IS_ACCOUNT (account));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_credentials_clear_async);
  g_hash_table_insert (attributes, (char *) "account", (char *) tern_account_get_id (account));
  secret_password_clearv (get_schema (), attributes, cancellable,
                          clear_done_cb, g_steal_pointer (&task));
}

gboolean
tern_credentials_clear_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Blocking variants: run the async call on a private main context. */

typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} SyncData;

static void
sync_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyncData *data = user_data;

  data->result = g_object_ref (result);
  g_main_context_wakeup (data->context);
}

static GAsyncResult *
wait_for_result (SyncData *data)
{
  while (data->result == NULL)
    g_main_context_iteration (data->context, TRUE);
  g_main_context_pop_thread_default (data->context);
  g_main_context_unref (data->context);
  return data->result;
}

static void
sync_begin (SyncData *data)
{
  data->context = g_main_context_new ();
  data->result = NULL;
  g_main_context_push_thread_default (data->context);
}

gboolean
tern_credentials_store_sync (TernAccount         *account,
                             TernCredentialKind   kind,
                             const char          *password,
                             GCancellable        *cancellable,
                             GError             **error)
{
  SyncData data;
  g_autoptr(GAsyncResult) result = NULL;

  sync_begin (&data);
  tern_credentials_store_async (account, kind, password, cancellable, sync_done_cb, &data);
  result = wait_for_result (&data);
  return tern_credentials_store_finish (result, error);
}

char *
tern_credentials_lookup_sync (TernAccount         *account,
                              TernCredentialKind   kind,
                              GCancellable        *cancellable,
                              GError             **error)
{
  SyncData data;
  g_autoptr(GAsyncResult) result = NULL;

  sync_begin (&data);
  tern_credentials_lookup_async (account, kind, cancellable, sync_done_cb, &data);
  result = wait_for_result (&data);
  return tern_credentials_lookup_finish (result, error);
}

gboolean
tern_credentials_clear_sync (TernAccount   *account,
                             GCancellable  *cancellable,
                             GError       **error)
{
  SyncData data;
  g_autoptr(GAsyncResult) result = NULL;

  sync_begin (&data);
  tern_credentials_clear_async (account, cancellable, sync_done_cb, &data);
  result = wait_for_result (&data);
  return tern_credentials_clear_finish (result, error);
}

void
tern_credentials_free_password (char *password)
{
  if (password != NULL)
    secret_password_free (password);
}
