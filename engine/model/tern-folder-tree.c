/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-folder-tree"

#include <string.h>

#include "tern-flags.h"
#include "tern-folder-tree.h"

#define N_UNIFIED 4

struct _TernFolderTree
{
  GObject             parent_instance;

  TernStore          *store;
  TernAccountManager *accounts;
  GListStore         *top;          /* unified nodes, then accounts */
  TernFolder         *unified[N_UNIFIED];
  GHashTable         *folders;      /* folder id → TernFolder, reused across rebuilds */
  gulong              store_changed_id;
  gulong              accounts_changed_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TernFolderTree, tern_folder_tree, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
tern_folder_tree_get_item_type (GListModel *model)
{
  return TERN_TYPE_FOLDER;
}

static guint
tern_folder_tree_get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (TERN_FOLDER_TREE (model)->top));
}

static gpointer
tern_folder_tree_get_item (GListModel *model,
                           guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (TERN_FOLDER_TREE (model)->top), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = tern_folder_tree_get_item_type;
  iface->get_n_items = tern_folder_tree_get_n_items;
  iface->get_item = tern_folder_tree_get_item;
}

static gint64
query_int (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = 0;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return 0;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static void
update_unified_counts (TernFolderTree *self)
{
  sqlite3 *db = tern_store_get_reader (self->store);
  gint64 unread = query_int (db, "SELECT coalesce(sum(unread), 0) FROM folders"
                                 " WHERE role IS NULL OR role NOT IN ('trash', 'junk')");

  tern_folder_set_unread (self->unified[0],
                          query_int (db, "SELECT coalesce(sum(unread), 0) FROM folders WHERE role = 'inbox'"));
  tern_folder_set_total (self->unified[0],
                         query_int (db, "SELECT coalesce(sum(total), 0) FROM folders WHERE role = 'inbox'"));
  tern_folder_set_unread (self->unified[1], unread);
  tern_folder_set_total (self->unified[1], unread);
  tern_folder_set_total (self->unified[2],
                         query_int (db, "SELECT count(*) FROM messages INDEXED BY messages_flagged"
                                        " WHERE (flags & 4) != 0 AND folder_id NOT IN"
                                        " (SELECT id FROM folders WHERE role IN ('trash', 'junk'))"));
  tern_folder_set_total (self->unified[3],
                         query_int (db, "SELECT count(*) FROM outbox WHERE state != 'sent'"));
}

static int
role_rank (const char *role)
{
  static const char * const order[] = { "inbox", "drafts", "sent", "archive", "junk", "trash" };

  for (guint i = 0; role != NULL && i < G_N_ELEMENTS (order); i++)
    if (g_str_equal (role, order[i]))
      return i;
  return G_N_ELEMENTS (order);
}

static int
compare_folders (gconstpointer a,
                 gconstpointer b)
{
  TernFolder *fa = *(TernFolder **)a;
  TernFolder *fb = *(TernFolder **)b;
  int ra = role_rank (tern_folder_get_role (fa));
  int rb = role_rank (tern_folder_get_role (fb));
  g_autofree char *ka = NULL;
  g_autofree char *kb = NULL;

  if (ra != rb)
    return ra - rb;
  ka = g_utf8_collate_key_for_filename (tern_folder_get_name (fa), -1);
  kb = g_utf8_collate_key_for_filename (tern_folder_get_name (fb), -1);
  return strcmp (ka, kb);
}

/* Puts @items into @store, touching it only if something differs. */
static void
set_store_items (GListStore *store,
                 GPtrArray  *items)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
  gboolean same = n == items->len;

  for (guint i = 0; same && i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (store), i);

      same = item == g_ptr_array_index (items, i);
    }
  if (!same)
    g_list_store_splice (store, 0, n, items->pdata, items->len);
}

/* Rebuilds an account's folder hierarchy from the store. */
static void
rebuild_account (TernFolderTree *self,
                 TernFolder     *account_node)
{
  sqlite3 *db = tern_store_get_reader (self->store);
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) children = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *top = g_ptr_array_new ();

  if (sqlite3_prepare_v2 (db, "SELECT id, path, name, parent_path, role, unread, total FROM folders"
                              " WHERE account_id = ?", -1, &stmt, NULL) != SQLITE_OK)
    {
      g_ptr_array_unref (top);
      return;
    }
  sqlite3_bind_text (stmt, 1, tern_folder_get_account_id (account_node), -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      TernFolder *folder = g_hash_table_lookup (self->folders, &id);

      if (folder == NULL)
        {
          gint64 *key = g_memdup2 (&id, sizeof id);

          folder = tern_folder_new (TERN_FOLDER_KIND_FOLDER, id, tern_folder_get_account_id (account_node),
                                    (const char *) sqlite3_column_text (stmt, 2));
          g_hash_table_insert (self->folders, key, folder);
        }
      tern_folder_set_path (folder, (const char *) sqlite3_column_text (stmt, 1));
      tern_folder_set_name (folder, (const char *) sqlite3_column_text (stmt, 2));
      tern_folder_set_role (folder, (const char *) sqlite3_column_text (stmt, 4));
      tern_folder_set_unread (folder, sqlite3_column_int (stmt, 5));
      tern_folder_set_total (folder, sqlite3_column_int (stmt, 6));
      g_ptr_array_add (all, g_object_ref (folder));
      g_hash_table_insert (by_path, (gpointer) tern_folder_get_path (folder), folder);
      g_object_set_data_full (G_OBJECT (folder), "tern-parent-path",
                              g_strdup ((const char *) sqlite3_column_text (stmt, 3)), g_free);
    }
  sqlite3_finalize (stmt);

  /* A folder whose parent is not listed (not subscribed, say) goes to the top. */
  for (guint i = 0; i < all->len; i++)
    {
      TernFolder *folder = g_ptr_array_index (all, i);
      const char *parent_path = g_object_get_data (G_OBJECT (folder), "tern-parent-path");
      TernFolder *parent = parent_path ? g_hash_table_lookup (by_path, parent_path) : NULL;

      if (parent != NULL && parent != folder)
        {
          GPtrArray *list = g_hash_table_lookup (children, parent);

          if (list == NULL)
            {
              list = g_ptr_array_new ();
              g_hash_table_insert (children, parent, list);
            }
          g_ptr_array_add (list, folder);
        }
      else
        g_ptr_array_add (top, folder);
    }

  for (guint i = 0; i < all->len; i++)
    {
      TernFolder *folder = g_ptr_array_index (all, i);
      GPtrArray *list = g_hash_table_lookup (children, folder);

      if (list != NULL)
        {
          g_ptr_array_sort (list, compare_folders);
          set_store_items (tern_folder_ensure_children (folder), list);
        }
      else
        tern_folder_clear_children (folder);
    }
  g_ptr_array_sort (top, compare_folders);
  set_store_items (tern_folder_ensure_children (account_node), top);
  g_ptr_array_unref (top);
}

static TernFolder *
find_account_node (TernFolderTree *self,
                   const char     *account_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->top));

  for (guint i = N_UNIFIED; i < n; i++)
    {
      g_autoptr(TernFolder) node = g_list_model_get_item (G_LIST_MODEL (self->top), i);

      if (g_strcmp0 (tern_folder_get_account_id (node), account_id) == 0)
        return node;
    }
  return NULL;
}

static void
rebuild_top (TernFolderTree *self)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = self->accounts ? g_list_model_get_n_items (G_LIST_MODEL (self->accounts)) : 0;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < N_UNIFIED; i++)
    g_ptr_array_add (items, g_object_ref (self->unified[i]));

  if (self->accounts != NULL)
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(TernAccount) account = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);

        g_ptr_array_add (ids, g_strdup (tern_account_get_id (account)));
        g_ptr_array_add (names, g_strdup (tern_account_get_name (account)));
      }
  else
    {
      /* Without configured accounts (tools, tests): the store's. */
      sqlite3_stmt *stmt = NULL;

      if (sqlite3_prepare_v2 (tern_store_get_reader (self->store), "SELECT id FROM accounts ORDER BY id",
                              -1, &stmt, NULL) == SQLITE_OK)
        while (sqlite3_step (stmt) == SQLITE_ROW)
          {
            g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
            g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
          }
      sqlite3_finalize (stmt);
    }

  for (guint i = 0; i < ids->len; i++)
    {
      TernFolder *node = find_account_node (self, g_ptr_array_index (ids, i));

      if (node == NULL)
        node = tern_folder_new (TERN_FOLDER_KIND_ACCOUNT, 0, g_ptr_array_index (ids, i), g_ptr_array_index (names, i));
      else
        g_object_ref (node);
      tern_folder_set_name (node, g_ptr_array_index (names, i));
      rebuild_account (self, node);
      g_ptr_array_add (items, node);
    }
  set_store_items (self->top, items);
  update_unified_counts (self);
}

static void
update_folder_counts (TernFolderTree *self,
                      GArray         *ids)
{
  sqlite3 *db = tern_store_get_reader (self->store);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT unread, total, name, role FROM folders WHERE id = ?", -1, &stmt, NULL) != SQLITE_OK)
    return;
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      TernFolder *folder = g_hash_table_lookup (self->folders, &id);

      if (folder == NULL)
        continue;
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, id);
      if (sqlite3_step (stmt) != SQLITE_ROW)
        continue;
      tern_folder_set_unread (folder, sqlite3_column_int (stmt, 0));
      tern_folder_set_total (folder, sqlite3_column_int (stmt, 1));
      tern_folder_set_name (folder, (const char *) sqlite3_column_text (stmt, 2));
      tern_folder_set_role (folder, (const char *) sqlite3_column_text (stmt, 3));
    }
  sqlite3_finalize (stmt);
}

static void
store_changed_cb (TernStore        *store,
                  TernStoreChanges *changes,
                  gpointer          user_data)
{
  TernFolderTree *self = user_data;

  if (changes->folders_added_or_removed || changes->accounts_changed)
    rebuild_top (self);
  else
    {
      update_folder_counts (self, changes->folders);
      update_unified_counts (self);
    }
}

static void
accounts_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     gpointer    user_data)
{
  rebuild_top (user_data);
}

static void
tern_folder_tree_dispose (GObject *object)
{
  TernFolderTree *self = (TernFolderTree *)object;

  g_clear_signal_handler (&self->store_changed_id, self->store);
  g_clear_signal_handler (&self->accounts_changed_id, self->accounts);
  g_clear_object (&self->store);
  g_clear_object (&self->accounts);

  G_OBJECT_CLASS (tern_folder_tree_parent_class)->dispose (object);
}

static void
tern_folder_tree_finalize (GObject *object)
{
  TernFolderTree *self = (TernFolderTree *)object;

  for (guint i = 0; i < N_UNIFIED; i++)
    g_clear_object (&self->unified[i]);
  g_clear_object (&self->top);
  g_clear_pointer (&self->folders, g_hash_table_unref);

  G_OBJECT_CLASS (tern_folder_tree_parent_class)->finalize (object);
}

static void
tern_folder_tree_class_init (TernFolderTreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tern_folder_tree_dispose;
  object_class->finalize = tern_folder_tree_finalize;
}

static void
tern_folder_tree_init (TernFolderTree *self)
{
  self->top = g_list_store_new (TERN_TYPE_FOLDER);
  self->folders = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  g_signal_connect_swapped (self->top, "items-changed", G_CALLBACK (g_list_model_items_changed), self);
}

/**
 * tern_folder_tree_new:
 * @accounts: (nullable): the configured accounts, for names and order
 *
 * The unified nodes' names are set by the app (they are translatable there);
 * the engine gives them English names.
 */
TernFolderTree *
tern_folder_tree_new (TernStore          *store,
                      TernAccountManager *accounts)
{
  TernFolderTree *self;

  g_return_val_if_fail (TERN_IS_STORE (store), NULL);

  self = g_object_new (TERN_TYPE_FOLDER_TREE, NULL);
  self->store = g_object_ref (store);
  self->accounts = accounts ? g_object_ref (accounts) : NULL;
  self->unified[0] = tern_folder_new (TERN_FOLDER_KIND_ALL_INBOXES, 0, NULL, "All Inboxes");
  self->unified[1] = tern_folder_new (TERN_FOLDER_KIND_UNREAD, 0, NULL, "Unread");
  self->unified[2] = tern_folder_new (TERN_FOLDER_KIND_FLAGGED, 0, NULL, "Flagged");
  self->unified[3] = tern_folder_new (TERN_FOLDER_KIND_OUTBOX, 0, NULL, "Outbox");

  self->store_changed_id = g_signal_connect (store, "changed", G_CALLBACK (store_changed_cb), self);
  if (accounts != NULL)
    self->accounts_changed_id = g_signal_connect (accounts, "items-changed", G_CALLBACK (accounts_changed_cb), self);
  rebuild_top (self);
  return self;
}

TernFolder *
tern_folder_tree_lookup_folder (TernFolderTree *self,
                                gint64          folder_id)
{
  g_return_val_if_fail (TERN_IS_FOLDER_TREE (self), NULL);
  return g_hash_table_lookup (self->folders, &folder_id);
}

TernFolder *
tern_folder_tree_lookup_account (TernFolderTree *self,
                                 const char     *account_id)
{
  g_return_val_if_fail (TERN_IS_FOLDER_TREE (self), NULL);
  return find_account_node (self, account_id);
}
