/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-account-manager"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "tern-account-manager.h"

struct _TernAccountManager
{
  GObject       parent_instance;

  char         *accounts_dir;
  GPtrArray    *accounts;       /* TernAccount, sorted by name */
  GFileMonitor *monitor;
  guint         reload_source;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TernAccountManager, tern_account_manager, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ACCOUNTS_DIR,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
tern_account_manager_get_item_type (GListModel *model)
{
  return TERN_TYPE_ACCOUNT;
}

static guint
tern_account_manager_get_n_items (GListModel *model)
{
  return TERN_ACCOUNT_MANAGER (model)->accounts->len;
}

static gpointer
tern_account_manager_get_item (GListModel *model,
                               guint       position)
{
  TernAccountManager *self = TERN_ACCOUNT_MANAGER (model);

  if (position >= self->accounts->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->accounts, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = tern_account_manager_get_item_type;
  iface->get_n_items = tern_account_manager_get_n_items;
  iface->get_item = tern_account_manager_get_item;
}

static void
tern_account_manager_dispose (GObject *object)
{
  TernAccountManager *self = (TernAccountManager *)object;

  g_clear_handle_id (&self->reload_source, g_source_remove);
  if (self->monitor != NULL)
    g_file_monitor_cancel (self->monitor);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (tern_account_manager_parent_class)->dispose (object);
}

static void
tern_account_manager_finalize (GObject *object)
{
  TernAccountManager *self = (TernAccountManager *)object;

  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->accounts_dir, g_free);

  G_OBJECT_CLASS (tern_account_manager_parent_class)->finalize (object);
}

static void
tern_account_manager_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TernAccountManager *self = TERN_ACCOUNT_MANAGER (object);

  switch (prop_id)
    {
    case PROP_ACCOUNTS_DIR:
      g_value_set_string (value, self->accounts_dir);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->accounts->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_account_manager_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  TernAccountManager *self = TERN_ACCOUNT_MANAGER (object);

  switch (prop_id)
    {
    case PROP_ACCOUNTS_DIR:
      self->accounts_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_account_manager_class_init (TernAccountManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tern_account_manager_dispose;
  object_class->finalize = tern_account_manager_finalize;
  object_class->get_property = tern_account_manager_get_property;
  object_class->set_property = tern_account_manager_set_property;

  properties[PROP_ACCOUNTS_DIR] =
    g_param_spec_string ("accounts-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tern_account_manager_init (TernAccountManager *self)
{
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
}

TernAccountManager *
tern_account_manager_new (const char *accounts_dir)
{
  g_return_val_if_fail (accounts_dir != NULL, NULL);

  return g_object_new (TERN_TYPE_ACCOUNT_MANAGER, "accounts-dir", accounts_dir, NULL);
}

const char *
tern_account_manager_get_accounts_dir (TernAccountManager *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (self), NULL);
  return self->accounts_dir;
}

static int
compare_accounts (gconstpointer a,
                  gconstpointer b)
{
  TernAccount *aa = *(TernAccount **)a;
  TernAccount *bb = *(TernAccount **)b;
  g_autofree char *ka = g_utf8_collate_key (tern_account_get_name (aa), -1);
  g_autofree char *kb = g_utf8_collate_key (tern_account_get_name (bb), -1);
  int cmp = strcmp (ka, kb);

  return cmp != 0 ? cmp : strcmp (tern_account_get_id (aa), tern_account_get_id (bb));
}

static GPtrArray *
read_accounts (const char  *dir,
               GError     **error)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &local_error);
  const char *name;

  if (d == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&accounts);
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_IO,
                   "Cannot read the accounts folder: %s", local_error->message);
      return NULL;
    }

  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *id = NULL;
      g_autoptr(GKeyFile) key_file = NULL;
      g_autoptr(GError) file_error = NULL;
      TernAccount *account;

      if (!g_str_has_suffix (name, ".ini") || name[0] == '.')
        continue;

      id = g_strndup (name, strlen (name) - 4);
      path = g_build_filename (dir, name, NULL);
      key_file = g_key_file_new ();
      if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &file_error) ||
          (account = tern_account_new_from_key_file (id, key_file, &file_error)) == NULL)
        {
          /* One broken file must not hide the other accounts. */
          g_warning ("Skipping account file %s: %s", path, file_error->message);
          continue;
        }
      g_ptr_array_add (accounts, account);
    }

  g_ptr_array_sort (accounts, compare_accounts);
  return g_steal_pointer (&accounts);
}

static void
copy_account_settings (TernAccount *to,
                       TernAccount *from)
{
  static const char * const props[] = {
    "name", "display-name", "email", "color", "protocol", "host", "port", "security",
    "username", "ca-file", "pinned-sha256", "smtp-host", "smtp-port", "smtp-security",
    "smtp-username", "pop-keep", "pop-delete-after-days", "pop-delete-when-deleted",
  };

  g_object_freeze_notify (G_OBJECT (to));
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_object_get_property (G_OBJECT (from), props[i], &value);
      g_object_set_property (G_OBJECT (to), props[i], &value);
    }
  g_object_thaw_notify (G_OBJECT (to));
}

static TernAccount *
find_by_id (GPtrArray  *accounts,
            const char *id)
{
  for (guint i = 0; i < accounts->len; i++)
    if (g_strcmp0 (tern_account_get_id (g_ptr_array_index (accounts, i)), id) == 0)
      return g_ptr_array_index (accounts, i);
  return NULL;
}

/* Replaces the list with @fresh, keeping the existing objects of accounts
 * that still exist so that whoever holds them sees updates, not new objects. */
static void
apply_accounts (TernAccountManager *self,
                GPtrArray          *fresh)
{
  g_autoptr(GPtrArray) old = g_steal_pointer (&self->accounts);
  gboolean same = old->len == fresh->len;
  guint old_len = old->len;


  for (guint i = 0; i < fresh->len; i++)
    {
      TernAccount *existing = find_by_id (old, tern_account_get_id (g_ptr_array_index (fresh, i)));

      if (existing != NULL)
        {
          copy_account_settings (existing, g_ptr_array_index (fresh, i));
          g_object_unref (g_ptr_array_index (fresh, i));
          fresh->pdata[i] = g_object_ref (existing);
        }
    }
  g_ptr_array_sort (fresh, compare_accounts);
  for (guint i = 0; i < fresh->len && same; i++)
    same = fresh->pdata[i] == old->pdata[i];

  self->accounts = g_ptr_array_ref (fresh);
  if (!same)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, fresh->len);
      if (old_len != fresh->len)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
}

/**
 * tern_account_manager_load:
 *
 * Reads every account file. A file that cannot be parsed is skipped with a
 * warning; only a folder that cannot be read at all is an error.
 */
gboolean
tern_account_manager_load (TernAccountManager  *self,
                           GError             **error)
{
  g_autoptr(GPtrArray) fresh = NULL;

  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (self), FALSE);

  fresh = read_accounts (self->accounts_dir, error);
  if (fresh == NULL)
    return FALSE;
  apply_accounts (self, fresh);
  return TRUE;
}

static gboolean
reload_cb (gpointer user_data)
{
  TernAccountManager *self = user_data;
  g_autoptr(GError) error = NULL;

  self->reload_source = 0;
  if (!tern_account_manager_load (self, &error))
    g_warning ("%s", error->message);
  return G_SOURCE_REMOVE;
}

static void
accounts_dir_changed_cb (GFileMonitor      *monitor,
                         GFile             *file,
                         GFile             *other_file,
                         GFileMonitorEvent  event,
                         gpointer           user_data)
{
  TernAccountManager *self = user_data;

  if (event == G_FILE_MONITOR_EVENT_CHANGED || event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED)
    return;  /* wait for CHANGES_DONE_HINT */
  if (self->reload_source == 0)
    self->reload_source = g_timeout_add (50, reload_cb, self);
}

static gboolean
ensure_dir (const char  *dir,
            GError     **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_IO,
                   "Cannot create the folder %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/**
 * tern_account_manager_watch:
 *
 * Follows changes other processes (tern-cli, another window) make to the
 * accounts folder, on the thread-default main context.
 */
void
tern_account_manager_watch (TernAccountManager *self)
{
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TERN_IS_ACCOUNT_MANAGER (self));

  if (self->monitor != NULL)
    return;
  if (!ensure_dir (self->accounts_dir, &error))
    {
      g_warning ("%s", error->message);
      return;
    }
  dir = g_file_new_for_path (self->accounts_dir);
  self->monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      g_warning ("Cannot watch %s for account changes: %s", self->accounts_dir, error->message);
      return;
    }
  g_file_monitor_set_rate_limit (self->monitor, 100);
  g_signal_connect_object (self->monitor, "changed",
                           G_CALLBACK (accounts_dir_changed_cb), self, 0);
}

TernAccount *
tern_account_manager_lookup (TernAccountManager *self,
                             const char         *name_or_id)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (self), NULL);
  g_return_val_if_fail (name_or_id != NULL, NULL);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      TernAccount *account = g_ptr_array_index (self->accounts, i);

      if (g_strcmp0 (tern_account_get_name (account), name_or_id) == 0 ||
          g_strcmp0 (tern_account_get_id (account), name_or_id) == 0)
        return account;
    }
  return NULL;
}

static char *
account_path (TernAccountManager *self,
              TernAccount        *account)
{
  g_autofree char *file = g_strconcat (tern_account_get_id (account), ".ini", NULL);

  return g_build_filename (self->accounts_dir, file, NULL);
}

static gboolean
write_account (TernAccountManager  *self,
               TernAccount         *account,
               GError             **error)
{
  g_autoptr(GKeyFile) key_file = NULL;
  g_autofree char *data = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;

  if (!tern_account_validate (account, error))
    return FALSE;
  if (!ensure_dir (self->accounts_dir, error))
    return FALSE;

  key_file = tern_account_to_key_file (account);
  data = g_key_file_to_data (key_file, &len, NULL);
  path = account_path (self, account);
  if (!g_file_set_contents_full (path, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_IO,
                   "Cannot save the account: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * tern_account_manager_add:
 *
 * Validates @account, refuses a second account of the same name, writes its
 * file and adds it to the model.
 */
gboolean
tern_account_manager_add (TernAccountManager  *self,
                          TernAccount         *account,
                          GError             **error)
{
  TernAccount *existing;
  g_autoptr(GPtrArray) fresh = NULL;

  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (self), FALSE);
  g_return_val_if_fail (TERN_IS_ACCOUNT (account), FALSE);

  if (!tern_account_validate (account, error))
    return FALSE;

  /* Read the folder again: another process may have added one meanwhile. */
  if (!tern_account_manager_load (self, error))
    return FALSE;

  existing = tern_account_manager_lookup (self, tern_account_get_name (account));
  if (existing == NULL)
    existing = find_by_id (self->accounts, tern_account_get_id (account));
  if (existing != NULL)
    {
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_EXISTS,
                   "An account named “%s” already exists", tern_account_get_name (account));
      return FALSE;
    }

  if (!write_account (self, account, error))
    return FALSE;

  fresh = g_ptr_array_copy (self->accounts, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  g_ptr_array_set_free_func (fresh, g_object_unref);
  g_ptr_array_add (fresh, g_object_ref (account));
  apply_accounts (self, fresh);
  return TRUE;
}

gboolean
tern_account_manager_save (TernAccountManager  *self,
                           TernAccount         *account,
                           GError             **error)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (self), FALSE);
  g_return_val_if_fail (TERN_IS_ACCOUNT (account), FALSE);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      TernAccount *other = g_ptr_array_index (self->accounts, i);

      if (other != account && g_strcmp0 (tern_account_get_name (other), tern_account_get_name (account)) == 0)
        {
          g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_EXISTS,
                       "An account named “%s” already exists", tern_account_get_name (account));
          return FALSE;
        }
    }
  if (!write_account (self, account, error))
    return FALSE;
  g_ptr_array_sort (self->accounts, compare_accounts);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, self->accounts->len, self->accounts->len);
  return TRUE;
}

/**
 * tern_account_manager_remove:
 *
 * Removes the account's file and the account from the model. Its password
 * is cleared separately with tern_credentials_clear_async().
 */
gboolean
tern_account_manager_remove (TernAccountManager  *self,
                             TernAccount         *account,
                             GError             **error)
{
  g_autofree char *path = NULL;
  guint position;

  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (self), FALSE);
  g_return_val_if_fail (TERN_IS_ACCOUNT (account), FALSE);

  path = account_path (self, account);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;

      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_IO,
                   "Cannot remove %s: %s", path, g_strerror (saved));
      return FALSE;
    }

  if (g_ptr_array_find (self->accounts, account, &position))
    {
      g_ptr_array_remove_index (self->accounts, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  return TRUE;
}
