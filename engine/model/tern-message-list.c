/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-message-list"

#include <string.h>

#include "tern-flags.h"
#include "tern-message-list.h"
#include "tern-search-query.h"

/* Rows read synchronously when a list is made; the rest loads in a thread. */
#define PREFIX_ROWS 256
#define CACHE_SIZE  4096

typedef struct
{
  gint64 date;
  gint64 id;
  gint64 thread;
} Key;

typedef struct
{
  gint64 id;
  guint  count;
} ConvEntry;

/* What to load, copied so a thread can use it. */
typedef struct
{
  TernMessageListKind  kind;
  GArray              *folders;   /* gint64: FOLDER, ALL_INBOXES */
  char                *db_path;
} LoadSpec;

struct _TernMessageList
{
  GObject              parent_instance;

  TernStore           *store;
  gulong               changed_id;
  TernMessageListKind  kind;
  gint64               folder_id;
  char                *account_id;
  TernSearchQuery     *query;

  GArray              *keys;          /* Key, newest first */
  gboolean             complete;      /* keys hold every member */
  guint                n_total;       /* the length while !complete */
  GHashTable          *folders;       /* ALL_INBOXES: members; UNREAD/FLAGGED: excluded */

  gboolean             conversations;
  GArray              *conv;          /* ConvEntry, one per thread, newest first */

  GHashTable          *cache;         /* message id → TernMessage */
  GQueue              *cache_order;
  sqlite3_stmt        *item_stmt;
  sqlite3_stmt        *current_stmt;

  GCancellable        *load_cancellable;
  guint                generation;
  guint                reset_source;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TernMessageList, tern_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_N_ITEMS,
  PROP_CONVERSATIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static int
compare_keys (const Key *a,
              const Key *b)
{
  if (a->date != b->date)
    return a->date > b->date ? -1 : 1;
  if (a->id != b->id)
    return a->id > b->id ? -1 : 1;
  return 0;
}

/* The position where @key is, or where it would go. */
static guint
bsearch_key (GArray    *keys,
             const Key *key,
             gboolean  *found)
{
  guint lo = 0, hi = keys->len;

  *found = FALSE;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      int cmp = compare_keys (&g_array_index (keys, Key, mid), key);

      if (cmp == 0)
        {
          *found = TRUE;
          return mid;
        }
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Loading */

static void
load_spec_free (LoadSpec *spec)
{
  g_clear_pointer (&spec->folders, g_array_unref);
  g_free (spec->db_path);
  g_free (spec);
}

static gboolean
read_keys (sqlite3_stmt *stmt,
           GArray       *keys)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Key key = { sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 2) };

      g_array_append_val (keys, key);
    }
  return rc == SQLITE_DONE;
}

static GArray *
merge_keys (GArray *a,
            GArray *b)
{
  GArray *out = g_array_sized_new (FALSE, FALSE, sizeof (Key), a->len + b->len);
  guint i = 0, j = 0;

  while (i < a->len && j < b->len)
    {
      if (compare_keys (&g_array_index (a, Key, i), &g_array_index (b, Key, j)) <= 0)
        g_array_append_val (out, g_array_index (a, Key, i++));
      else
        g_array_append_val (out, g_array_index (b, Key, j++));
    }
  if (i < a->len)
    g_array_append_vals (out, &g_array_index (a, Key, i), a->len - i);
  if (j < b->len)
    g_array_append_vals (out, &g_array_index (b, Key, j), b->len - j);
  return out;
}

/* Keys of FOLDER, ALL_INBOXES, UNREAD and FLAGGED lists, at most @limit
 * (0: all), from @db. Each folder comes from its own index range; several
 * are merged here rather than sorted by SQLite. */
static GArray *
load_keys (sqlite3   *db,
           LoadSpec  *spec,
           guint      limit)
{
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (Key));
  sqlite3_stmt *stmt = NULL;
  const char *sql = NULL;
  gint64 sql_limit = limit ? (gint64) limit : -1;

  switch (spec->kind)
    {
    case TERN_MESSAGE_LIST_FOLDER:
    case TERN_MESSAGE_LIST_ALL_INBOXES:
      if (sqlite3_prepare_v2 (db, "SELECT date, id, thread_id FROM messages WHERE folder_id = ?"
                                  " ORDER BY date DESC, id DESC LIMIT ?", -1, &stmt, NULL) != SQLITE_OK)
        break;
      for (guint i = 0; i < spec->folders->len; i++)
        {
          GArray *one = g_array_new (FALSE, FALSE, sizeof (Key));
          GArray *merged;

          sqlite3_reset (stmt);
          sqlite3_bind_int64 (stmt, 1, g_array_index (spec->folders, gint64, i));
          sqlite3_bind_int64 (stmt, 2, sql_limit);
          if (!read_keys (stmt, one))
            g_warning ("Reading a message list failed: %s", sqlite3_errmsg (db));
          merged = merge_keys (keys, one);
          g_array_unref (keys);
          g_array_unref (one);
          keys = merged;
        }
      if (limit && keys->len > limit)
        g_array_set_size (keys, limit);
      sqlite3_finalize (stmt);
      return keys;

    case TERN_MESSAGE_LIST_UNREAD:
      sql = "SELECT date, id, thread_id FROM messages INDEXED BY messages_unread WHERE (flags & 1) = 0"
            " AND folder_id NOT IN (SELECT id FROM folders WHERE role IN ('trash', 'junk'))"
            " ORDER BY date DESC, id DESC LIMIT ?";
      break;
    case TERN_MESSAGE_LIST_FLAGGED:
      sql = "SELECT date, id, thread_id FROM messages INDEXED BY messages_flagged WHERE (flags & 4) != 0"
            " AND folder_id NOT IN (SELECT id FROM folders WHERE role IN ('trash', 'junk'))"
            " ORDER BY date DESC, id DESC LIMIT ?";
      break;
    case TERN_MESSAGE_LIST_SEARCH:
    default:
      g_return_val_if_reached (keys);
    }

  if (sql != NULL && sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, sql_limit);
      if (!read_keys (stmt, keys))
        g_warning ("Reading a message list failed: %s", sqlite3_errmsg (db));
    }
  sqlite3_finalize (stmt);
  return keys;
}

static char *
search_sql (TernMessageList *self)
{
  GString *sql = g_string_new ("SELECT m.date, m.id, m.thread_id FROM messages m WHERE 1");

  if (self->account_id != NULL)
    g_string_append (sql, " AND m.account_id = ?1");
  if (self->folder_id != 0)
    g_string_append (sql, " AND m.folder_id = ?2");
  if (tern_search_query_get_fts_match (self->query) != NULL)
    g_string_append (sql, " AND m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?3)");
  if (tern_search_query_get_sql_where (self->query) != NULL)
    g_string_append_printf (sql, " AND (%s)", tern_search_query_get_sql_where (self->query));
  return g_string_free (sql, FALSE);
}

static void
bind_search (TernMessageList *self,
             sqlite3_stmt    *stmt)
{
  guint n = tern_search_query_get_n_params (self->query);

  if (self->account_id != NULL)
    sqlite3_bind_text (stmt, 1, self->account_id, -1, SQLITE_STATIC);
  if (self->folder_id != 0)
    sqlite3_bind_int64 (stmt, 2, self->folder_id);
  if (tern_search_query_get_fts_match (self->query) != NULL)
    sqlite3_bind_text (stmt, 3, tern_search_query_get_fts_match (self->query), -1, SQLITE_STATIC);
  for (guint i = 0; i < n; i++)
    {
      gint64 value = 0;
      const char *text = NULL;

      if (tern_search_query_get_param (self->query, i, &value, &text) == TERN_SEARCH_PARAM_TEXT)
        sqlite3_bind_text (stmt, TERN_SEARCH_QUERY_FIRST_PARAM + i, text, -1, SQLITE_STATIC);
      else
        sqlite3_bind_int64 (stmt, TERN_SEARCH_QUERY_FIRST_PARAM + i, value);
    }
}

static GArray *
load_search_keys (TernMessageList *self,
                  gint64           only_id)
{
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (Key));
  g_autofree char *base = search_sql (self);
  g_autofree char *sql = g_strconcat (base, only_id ? " AND m.id = ?4" : "",
                                      " ORDER BY m.date DESC, m.id DESC", NULL);
  sqlite3 *db = tern_store_get_reader (self->store);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("Cannot search: %s", sqlite3_errmsg (db));
      return keys;
    }
  bind_search (self, stmt);
  if (only_id)
    sqlite3_bind_int64 (stmt, 4, only_id);
  if (!read_keys (stmt, keys))
    g_warning ("Searching failed: %s", sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
  return keys;
}

static LoadSpec *
make_spec (TernMessageList *self)
{
  LoadSpec *spec = g_new0 (LoadSpec, 1);

  spec->kind = self->kind;
  spec->folders = g_array_new (FALSE, FALSE, sizeof (gint64));
  spec->db_path = g_build_filename (tern_store_get_data_dir (self->store), "tern.db", NULL);
  if (self->kind == TERN_MESSAGE_LIST_FOLDER)
    g_array_append_val (spec->folders, self->folder_id);
  else if (self->kind == TERN_MESSAGE_LIST_ALL_INBOXES)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, self->folders);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          gint64 id = *(gint64 *) key;

          g_array_append_val (spec->folders, id);
        }
    }
  return spec;
}

/* The folder set: inboxes for ALL_INBOXES, Trash and Junk (excluded) for
 * UNREAD and FLAGGED. */
static void
load_folder_set (TernMessageList *self)
{
  sqlite3 *db = tern_store_get_reader (self->store);
  sqlite3_stmt *stmt = NULL;
  const char *sql;

  g_hash_table_remove_all (self->folders);
  if (self->kind == TERN_MESSAGE_LIST_ALL_INBOXES)
    sql = "SELECT id FROM folders WHERE role = 'inbox'";
  else if (self->kind == TERN_MESSAGE_LIST_UNREAD || self->kind == TERN_MESSAGE_LIST_FLAGGED)
    sql = "SELECT id FROM folders WHERE role IN ('trash', 'junk')";
  else
    return;
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 *id = g_new (gint64, 1);

      *id = sqlite3_column_int64 (stmt, 0);
      g_hash_table_add (self->folders, id);
    }
  sqlite3_finalize (stmt);
}

/* How many members the store's counters say there are. */
static guint
count_members (TernMessageList *self)
{
  sqlite3 *db = tern_store_get_reader (self->store);
  sqlite3_stmt *stmt = NULL;
  const char *sql;
  gint64 n = 0;

  switch (self->kind)
    {
    case TERN_MESSAGE_LIST_FOLDER:
      sql = "SELECT total FROM folders WHERE id = ?";
      break;
    case TERN_MESSAGE_LIST_ALL_INBOXES:
      sql = "SELECT coalesce(sum(total), 0) FROM folders WHERE role = 'inbox'";
      break;
    case TERN_MESSAGE_LIST_UNREAD:
      sql = "SELECT coalesce(sum(unread), 0) FROM folders WHERE role IS NULL OR role NOT IN ('trash', 'junk')";
      break;
    case TERN_MESSAGE_LIST_FLAGGED:
    case TERN_MESSAGE_LIST_SEARCH:
    default:
      return 0;
    }
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return 0;
  if (self->kind == TERN_MESSAGE_LIST_FOLDER)
    sqlite3_bind_int64 (stmt, 1, self->folder_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return (guint) CLAMP (n, 0, G_MAXUINT - 1);
}

static guint
get_n_items (TernMessageList *self)
{
  if (self->conversations)
    return self->conv->len;
  return self->complete ? self->keys->len : self->n_total;
}

/* Conversations: the newest message of each thread, in list order. */
static GArray *
build_conversations (GArray *keys)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  GArray *conv = g_array_new (FALSE, FALSE, sizeof (ConvEntry));

  for (guint i = 0; i < keys->len; i++)
    {
      Key *key = &g_array_index (keys, Key, i);
      gpointer index_plus_one;

      if (key->thread == 0)
        {
          ConvEntry alone = { key->id, 1 };

          g_array_append_val (conv, alone);
          continue;
        }
      /* Entries are addressed by index (plus one): the array may move. */
      index_plus_one = g_hash_table_lookup (seen, &key->thread);
      if (index_plus_one != NULL)
        {
          g_array_index (conv, ConvEntry, GPOINTER_TO_UINT (index_plus_one) - 1).count++;
          continue;
        }
      {
        ConvEntry first = { key->id, 1 };

        g_array_append_val (conv, first);
        g_hash_table_insert (seen, &key->thread, GUINT_TO_POINTER (conv->len));
      }
    }
  return conv;
}

static void
cache_remove (TernMessageList *self,
              gint64           id)
{
  g_hash_table_remove (self->cache, &id);
}

static void
cache_clear (TernMessageList *self)
{
  g_hash_table_remove_all (self->cache);
  while (!g_queue_is_empty (self->cache_order))
    g_free (g_queue_pop_head (self->cache_order));
}

static void
notify_n_items (TernMessageList *self,
                guint            old_n)
{
  if (old_n != get_n_items (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Replaces the conversation list and tells what changed in one range. */
static void
update_conversations (TernMessageList *self,
                      gboolean         emit)
{
  g_autoptr(GArray) old = self->conv;
  guint prefix = 0, suffix = 0;

  self->conv = build_conversations (self->keys);
  if (!emit || old == NULL)
    return;

  while (prefix < old->len && prefix < self->conv->len &&
         memcmp (&g_array_index (old, ConvEntry, prefix), &g_array_index (self->conv, ConvEntry, prefix), sizeof (ConvEntry)) == 0)
    prefix++;
  while (suffix < old->len - prefix && suffix < self->conv->len - prefix &&
         memcmp (&g_array_index (old, ConvEntry, old->len - 1 - suffix),
                 &g_array_index (self->conv, ConvEntry, self->conv->len - 1 - suffix), sizeof (ConvEntry)) == 0)
    suffix++;
  if (prefix == old->len && prefix == self->conv->len)
    return;

  for (guint i = prefix; i < old->len - suffix; i++)
    cache_remove (self, g_array_index (old, ConvEntry, i).id);
  g_list_model_items_changed (G_LIST_MODEL (self), prefix,
                              old->len - prefix - suffix, self->conv->len - prefix - suffix);
  if (old->len != self->conv->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Everything changed, or we cannot tell what: one reset. */
static void
reset_with_keys (TernMessageList *self,
                 GArray          *keys)
{
  guint old_n = get_n_items (self);

  g_clear_pointer (&self->keys, g_array_unref);
  self->keys = keys;
  self->complete = TRUE;
  self->n_total = keys->len;
  cache_clear (self);
  if (self->conversations)
    {
      g_clear_pointer (&self->conv, g_array_unref);
      self->conv = build_conversations (self->keys);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, get_n_items (self));
  notify_n_items (self, old_n);
}

static GArray *
load_all_sync (TernMessageList *self)
{
  LoadSpec *spec;
  GArray *keys;

  if (self->kind == TERN_MESSAGE_LIST_SEARCH)
    return load_search_keys (self, 0);
  spec = make_spec (self);
  keys = load_keys (tern_store_get_reader (self->store), spec, 0);
  load_spec_free (spec);
  return keys;
}

/* Makes the key array complete without telling anyone: for get_item()
 * past the prefix before the background load finished. The counts said how
 * many there are; the load agrees unless the counters are off. */
static gboolean
extends_prefix (GArray *full,
                GArray *prefix)
{
  if (full->len < prefix->len)
    return FALSE;
  for (guint i = 0; i < prefix->len; i++)
    if (compare_keys (&g_array_index (full, Key, i), &g_array_index (prefix, Key, i)) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
deferred_reset_cb (gpointer user_data)
{
  TernMessageList *self = user_data;
  guint old_n = self->n_total;

  self->reset_source = 0;
  /* Listeners were told n_total; the keys are the store's now. */
  cache_clear (self);
  if (self->conversations)
    {
      g_clear_pointer (&self->conv, g_array_unref);
      self->conv = build_conversations (self->keys);
    }
  self->n_total = self->keys->len;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, get_n_items (self));
  notify_n_items (self, old_n);
  return G_SOURCE_REMOVE;
}

static void
complete_silently (TernMessageList *self)
{
  GArray *keys;
  gboolean consistent;

  if (self->complete)
    return;
  g_cancellable_cancel (self->load_cancellable);
  self->generation++;
  keys = load_all_sync (self);
  consistent = keys->len == self->n_total && extends_prefix (keys, self->keys);
  g_clear_pointer (&self->keys, g_array_unref);
  self->keys = keys;
  self->complete = TRUE;
  /* The store moved on before its ::changed arrived: no signal may be sent
   * from inside get_item(), so the correction follows from an idle. */
  if (!consistent && self->reset_source == 0)
    self->reset_source = g_idle_add (deferred_reset_cb, self);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadSpec *spec = task_data;
  sqlite3 *db = NULL;
  GArray *keys;

  if (sqlite3_open_v2 (spec->db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_task_return_new_error (task, TERN_STORE_ERROR, TERN_STORE_ERROR_OPEN, "%s", sqlite3_errmsg (db));
      sqlite3_close (db);
      return;
    }
  sqlite3_busy_timeout (db, 10000);
  keys = load_keys (db, spec, 0);
  sqlite3_close (db);
  g_task_return_pointer (task, keys, (GDestroyNotify) g_array_unref);
}

typedef struct
{
  GWeakRef list;
  guint    generation;
} LoadRequest;


static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  LoadRequest *request = user_data;
  g_autoptr(TernMessageList) self = g_weak_ref_get (&request->list);
  guint generation = request->generation;
  g_autoptr(GError) error = NULL;
  GArray *keys = g_task_propagate_pointer (G_TASK (result), &error);

  g_weak_ref_clear (&request->list);
  g_free (request);
  if (self == NULL)
    {
      g_clear_pointer (&keys, g_array_unref);
      return;
    }
  if (keys == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Loading a message list failed: %s", error->message);
      return;
    }
  if (generation != self->generation || self->complete)
    {
      g_array_unref (keys);
      return;
    }
  /* No change was delivered meanwhile (that would have bumped the
   * generation), but the thread may have seen commits whose ::changed is
   * still on its way: take the list silently only if it extends what was
   * handed out; otherwise tell everyone. */
  if (keys->len == self->n_total && extends_prefix (keys, self->keys))
    {
      g_clear_pointer (&self->keys, g_array_unref);
      self->keys = keys;
      self->complete = TRUE;
    }
  else
    reset_with_keys (self, keys);
}

static void
start_background_load (TernMessageList *self)
{
  g_autoptr(GTask) task = NULL;
  LoadRequest *request = g_new0 (LoadRequest, 1);

  /* The load holds no reference: a list dropped meanwhile just goes away. */
  g_weak_ref_init (&request->list, self);
  request->generation = self->generation;
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->load_cancellable, loaded_cb, request);
  g_task_set_source_tag (task, start_background_load);
  g_task_set_task_data (task, make_spec (self), (GDestroyNotify) load_spec_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, load_thread);
}

/* The first look: a prefix and the count, or everything when it is small. */
static void
populate (TernMessageList *self)
{
  g_clear_pointer (&self->keys, g_array_unref);
  self->generation++;
  load_folder_set (self);

  if (self->kind == TERN_MESSAGE_LIST_SEARCH || self->kind == TERN_MESSAGE_LIST_FLAGGED)
    {
      self->keys = load_all_sync (self);
      self->complete = TRUE;
      self->n_total = self->keys->len;
    }
  else
    {
      LoadSpec *spec = make_spec (self);

      self->keys = load_keys (tern_store_get_reader (self->store), spec, PREFIX_ROWS);
      load_spec_free (spec);
      self->n_total = count_members (self);
      self->complete = self->keys->len < PREFIX_ROWS;
      if (self->complete)
        self->n_total = self->keys->len;
      else
        start_background_load (self);
    }
  if (self->conversations)
    {
      complete_silently (self);
      g_clear_pointer (&self->conv, g_array_unref);
      self->conv = build_conversations (self->keys);
    }
}

/* Changes */

static gboolean
search_matches (TernMessageList *self,
                gint64           id)
{
  g_autoptr(GArray) keys = load_search_keys (self, id);

  return keys->len > 0;
}

static gboolean
is_member (TernMessageList              *self,
           const TernStoreMessageChange *change)
{
  switch (self->kind)
    {
    case TERN_MESSAGE_LIST_FOLDER:
      return change->folder_id == self->folder_id;
    case TERN_MESSAGE_LIST_ALL_INBOXES:
      return g_hash_table_contains (self->folders, &change->folder_id);
    case TERN_MESSAGE_LIST_UNREAD:
      return !g_hash_table_contains (self->folders, &change->folder_id) && (change->flags & TERN_FLAG_SEEN) == 0;
    case TERN_MESSAGE_LIST_FLAGGED:
      return !g_hash_table_contains (self->folders, &change->folder_id) && (change->flags & TERN_FLAG_FLAGGED) != 0;
    case TERN_MESSAGE_LIST_SEARCH:
      return search_matches (self, change->message_id);
    default:
      return FALSE;
    }
}

/* The message as the store holds it now; FALSE if it is gone. */
static gboolean
lookup_current (TernMessageList        *self,
                gint64                  id,
                TernStoreMessageChange *current,
                gint64                 *thread)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  /* Once per changed message, on the UI thread: prepared once per list. */
  if (self->current_stmt == NULL &&
      sqlite3_prepare_v3 (tern_store_get_reader (self->store),
                          "SELECT folder_id, date, flags, thread_id FROM messages WHERE id = ?",
                          -1, SQLITE_PREPARE_PERSISTENT, &self->current_stmt, NULL) != SQLITE_OK)
    return FALSE;
  stmt = self->current_stmt;
  sqlite3_reset (stmt);
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      current->message_id = id;
      current->folder_id = sqlite3_column_int64 (stmt, 0);
      current->date = sqlite3_column_int64 (stmt, 1);
      current->flags = sqlite3_column_int (stmt, 2);
      current->kind = TERN_STORE_CHANGE_UPDATED;
      *thread = sqlite3_column_int64 (stmt, 3);
      found = TRUE;
    }
  sqlite3_reset (stmt);
  return found;
}

/* Brings one message's row in line with the store. Several changes to one
 * message may arrive together (added, then deleted), so the store's current
 * state decides, not the changes one by one. */
static void
apply_change (TernMessageList              *self,
              const TernStoreMessageChange *change,
              gboolean                      emit)
{
  Key key = { change->date, change->message_id, 0 };
  TernStoreMessageChange current = { 0 };
  gint64 thread = 0;
  gboolean present;
  gboolean member = FALSE;
  guint pos = bsearch_key (self->keys, &key, &present);

  if (lookup_current (self, change->message_id, &current, &thread))
    member = is_member (self, &current);

  if (present)
    cache_remove (self, change->message_id);

  if (present && member && current.date != change->date)
    {
      /* Its sort key moved: out of the old place, into the new one. */
      g_array_remove_index (self->keys, pos);
      if (emit)
        g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
      key.date = current.date;
      key.thread = thread;
      pos = bsearch_key (self->keys, &key, &present);
      g_array_insert_val (self->keys, pos, key);
      if (emit)
        g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
    }
  else if (present && member)
    {
      g_array_index (self->keys, Key, pos).thread = thread;
      if (emit)
        g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 1);
    }
  else if (present)
    {
      g_array_remove_index (self->keys, pos);
      if (emit)
        g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
    }
  else if (member)
    {
      key.date = current.date;
      key.thread = thread;
      pos = bsearch_key (self->keys, &key, &present);
      g_array_insert_val (self->keys, pos, key);
      if (emit)
        g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
    }
}

static void
store_changed_cb (TernStore        *store,
                  TernStoreChanges *changes,
                  gpointer          user_data)
{
  TernMessageList *self = user_data;
  guint old_n = get_n_items (self);

  if (changes->folders_added_or_removed)
    {
      load_folder_set (self);
      reset_with_keys (self, load_all_sync (self));
      self->generation++;
      return;
    }

  if (!self->complete)
    {
      /* The counts already include the change; the prefix does not. */
      self->generation++;
      g_cancellable_cancel (self->load_cancellable);
      reset_with_keys (self, load_all_sync (self));
      return;
    }

  {
    g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);

    for (guint i = 0; i < changes->messages->len; i++)
      {
        TernStoreMessageChange *change = &g_array_index (changes->messages, TernStoreMessageChange, i);

        if (g_hash_table_add (seen, &change->message_id))
          apply_change (self, change, !self->conversations);
      }
  }

  if (self->conversations)
    update_conversations (self, TRUE);
  else
    notify_n_items (self, old_n);
}

/* GListModel */

static GType
tern_message_list_get_item_type (GListModel *model)
{
  return TERN_TYPE_MESSAGE;
}

static guint
tern_message_list_get_n_items (GListModel *model)
{
  return get_n_items (TERN_MESSAGE_LIST (model));
}

static TernMessage *
fetch_message (TernMessageList *self,
               gint64           id)
{
  TernMessage *message = NULL;

  if (self->item_stmt == NULL &&
      sqlite3_prepare_v3 (tern_store_get_reader (self->store),
                          "SELECT " TERN_MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?",
                          -1, SQLITE_PREPARE_PERSISTENT, &self->item_stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_reset (self->item_stmt);
  sqlite3_bind_int64 (self->item_stmt, 1, id);
  if (sqlite3_step (self->item_stmt) == SQLITE_ROW)
    message = tern_message_new_from_row (self->item_stmt);
  sqlite3_reset (self->item_stmt);
  return message;
}

static gpointer
tern_message_list_get_item (GListModel *model,
                            guint       position)
{
  TernMessageList *self = TERN_MESSAGE_LIST (model);
  TernMessage *message;
  gint64 id;
  guint count = 1;

  if (position >= get_n_items (self))
    return NULL;
  if (!self->complete && position >= self->keys->len)
    complete_silently (self);

  if (self->conversations)
    {
      ConvEntry *entry = &g_array_index (self->conv, ConvEntry, position);

      id = entry->id;
      count = entry->count;
    }
  else
    {
      if (position >= self->keys->len)
        return NULL;
      id = g_array_index (self->keys, Key, position).id;
    }

  message = g_hash_table_lookup (self->cache, &id);
  if (message != NULL)
    return g_object_ref (message);

  message = fetch_message (self, id);
  if (message == NULL)
    return NULL;
  tern_message_set_thread_count (message, count);

  {
    gint64 *key = g_new (gint64, 1);

    *key = id;
    g_hash_table_insert (self->cache, key, g_object_ref (message));
    g_queue_push_tail (self->cache_order, g_memdup2 (&id, sizeof id));
    while (g_queue_get_length (self->cache_order) > CACHE_SIZE)
      {
        g_autofree gint64 *old = g_queue_pop_head (self->cache_order);

        g_hash_table_remove (self->cache, old);
      }
  }
  return message;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = tern_message_list_get_item_type;
  iface->get_n_items = tern_message_list_get_n_items;
  iface->get_item = tern_message_list_get_item;
}

/* Object */

static void
tern_message_list_dispose (GObject *object)
{
  TernMessageList *self = (TernMessageList *)object;

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_handle_id (&self->reset_source, g_source_remove);
  g_clear_pointer (&self->item_stmt, sqlite3_finalize);
  g_clear_pointer (&self->current_stmt, sqlite3_finalize);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (tern_message_list_parent_class)->dispose (object);
}

static void
tern_message_list_finalize (GObject *object)
{
  TernMessageList *self = (TernMessageList *)object;

  cache_clear (self);
  g_hash_table_unref (self->cache);
  g_queue_free (self->cache_order);
  g_clear_pointer (&self->keys, g_array_unref);
  g_clear_pointer (&self->conv, g_array_unref);
  g_clear_pointer (&self->folders, g_hash_table_unref);
  g_clear_pointer (&self->query, tern_search_query_unref);
  g_free (self->account_id);

  G_OBJECT_CLASS (tern_message_list_parent_class)->finalize (object);
}

static void
tern_message_list_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TernMessageList *self = TERN_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_N_ITEMS:
      g_value_set_uint (value, get_n_items (self));
      break;
    case PROP_CONVERSATIONS:
      g_value_set_boolean (value, self->conversations);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_message_list_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TernMessageList *self = TERN_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CONVERSATIONS:
      tern_message_list_set_conversations (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_message_list_class_init (TernMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tern_message_list_dispose;
  object_class->finalize = tern_message_list_finalize;
  object_class->get_property = tern_message_list_get_property;
  object_class->set_property = tern_message_list_set_property;

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONVERSATIONS] =
    g_param_spec_boolean ("conversations", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tern_message_list_init (TernMessageList *self)
{
  self->cache = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->cache_order = g_queue_new ();
  self->folders = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

static TernMessageList *
create (TernStore           *store,
        TernMessageListKind  kind)
{
  TernMessageList *self = g_object_new (TERN_TYPE_MESSAGE_LIST, NULL);

  self->store = g_object_ref (store);
  self->kind = kind;
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (store_changed_cb), self);
  return self;
}

TernMessageList *
tern_message_list_new_for_folder (TernStore *store,
                                  gint64     folder_id)
{
  TernMessageList *self;

  g_return_val_if_fail (TERN_IS_STORE (store), NULL);

  self = create (store, TERN_MESSAGE_LIST_FOLDER);
  self->folder_id = folder_id;
  populate (self);
  return self;
}

TernMessageList *
tern_message_list_new_unified (TernStore           *store,
                               TernMessageListKind  kind)
{
  TernMessageList *self;

  g_return_val_if_fail (TERN_IS_STORE (store), NULL);
  g_return_val_if_fail (kind == TERN_MESSAGE_LIST_ALL_INBOXES || kind == TERN_MESSAGE_LIST_UNREAD ||
                        kind == TERN_MESSAGE_LIST_FLAGGED, NULL);

  self = create (store, kind);
  populate (self);
  return self;
}

TernMessageList *
tern_message_list_new_for_search (TernStore   *store,
                                  const char  *query,
                                  const char  *account_id,
                                  gint64       folder_id,
                                  GError     **error)
{
  g_autoptr(TernSearchQuery) parsed = NULL;
  TernMessageList *self;

  g_return_val_if_fail (TERN_IS_STORE (store), NULL);

  parsed = tern_search_query_parse (query ? query : "", error);
  if (parsed == NULL)
    return NULL;
  self = create (store, TERN_MESSAGE_LIST_SEARCH);
  self->query = g_steal_pointer (&parsed);
  self->account_id = g_strdup (account_id);
  self->folder_id = folder_id;
  populate (self);
  return self;
}

TernMessageListKind
tern_message_list_get_kind (TernMessageList *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE_LIST (self), TERN_MESSAGE_LIST_FOLDER);
  return self->kind;
}

gint64
tern_message_list_get_folder_id (TernMessageList *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE_LIST (self), 0);
  return self->folder_id;
}

gboolean
tern_message_list_get_conversations (TernMessageList *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE_LIST (self), FALSE);
  return self->conversations;
}

void
tern_message_list_set_conversations (TernMessageList *self,
                                     gboolean         conversations)
{
  guint old_n;

  g_return_if_fail (TERN_IS_MESSAGE_LIST (self));

  conversations = !!conversations;
  if (self->conversations == conversations)
    return;

  old_n = get_n_items (self);
  complete_silently (self);
  self->conversations = conversations;
  g_clear_pointer (&self->conv, g_array_unref);
  if (conversations)
    self->conv = build_conversations (self->keys);
  cache_clear (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, get_n_items (self));
  notify_n_items (self, old_n);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATIONS]);
}

guint
tern_message_list_find (TernMessageList *self,
                        gint64           message_id)
{
  g_return_val_if_fail (TERN_IS_MESSAGE_LIST (self), G_MAXUINT);

  complete_silently (self);
  if (self->conversations)
    {
      for (guint i = 0; i < self->conv->len; i++)
        if (g_array_index (self->conv, ConvEntry, i).id == message_id)
          return i;
      return G_MAXUINT;
    }
  for (guint i = 0; i < self->keys->len; i++)
    if (g_array_index (self->keys, Key, i).id == message_id)
      return i;
  return G_MAXUINT;
}

guint
tern_message_list_get_n_cached (TernMessageList *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE_LIST (self), 0);
  return g_hash_table_size (self->cache);
}
