/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-store"
#define _GNU_SOURCE  /* syncfs() */

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern-flags.h"
#include "tern-mime-summary.h"
#include "tern-store-private.h"
#include "tern-store-resources.h"
#include "tern-thread-keys.h"

#define MIGRATIONS_PATH "/io/github/ternmail/Tern/engine/migrations"
#define MAX_BATCH_OPS   512

typedef struct _Txn Txn;
typedef gboolean (*WriteFunc) (TernStore  *self,
                               Txn        *txn,
                               gpointer    data,
                               GError    **error);

typedef enum
{
  RESULT_BOOLEAN,
  RESULT_INT,
  RESULT_POINTER,
} ResultKind;

typedef struct
{
  WriteFunc       func;        /* NULL: stop the writer */
  GTask          *task;        /* NULL for fire-and-forget */
  gpointer        data;
  GDestroyNotify  data_free;
  ResultKind      result_kind;
  gint64          result_int;
  gpointer        result_ptr;
  GDestroyNotify  result_free;
  GError         *error;
} WriteOp;

typedef struct
{
  char *tmp_path;
  char *final_path;
} PendingFile;

struct _Txn
{
  sqlite3          *db;
  TernStoreChanges *changes;
  GArray           *files;     /* PendingFile */
  GPtrArray        *unlink_after_commit;
  GHashTable       *added_counts;   /* folder id → CountDelta, for the running op */
  WriteOp          *op;
};

typedef struct
{
  gint64 total;
  gint64 unread;
} CountDelta;

struct _TernStore
{
  GObject           parent_instance;

  char             *data_dir;
  char             *messages_dir;
  char             *tmp_dir;
  int               schema_version;

  sqlite3          *reader;
  sqlite3          *writer;
  GHashTable       *writer_stmts;   /* SQL → sqlite3_stmt, writer thread only */
  GThread          *writer_thread;
  GAsyncQueue      *queue;
  gboolean          closed;

  GMainContext     *main_context;
  GMutex            changes_lock;
  TernStoreChanges *pending_changes;
  GSource          *changes_source;
};

G_DEFINE_FINAL_TYPE (TernStore, tern_store, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_QUARK (tern-store-error-quark, tern_store_error)

static void write_op_free (WriteOp *op);

/* SQLite helpers */

static GError *
sqlite_error (sqlite3    *db,
              int         rc,
              const char *what)
{
  int code = TERN_STORE_ERROR_FAILED;

  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      code = TERN_STORE_ERROR_NO_SPACE;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = TERN_STORE_ERROR_CORRUPT;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      code = TERN_STORE_ERROR_OPEN;
      break;
    case SQLITE_IOERR:
      code = TERN_STORE_ERROR_IO;
      break;
    default:
      break;
    }
  if (code == TERN_STORE_ERROR_NO_SPACE)
    return g_error_new (TERN_STORE_ERROR, code, "%s: the disk is full", what);
  return g_error_new (TERN_STORE_ERROR, code, "%s: %s", what,
                      db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, TERN_STORE_ERROR,
                   (rc & 0xff) == SQLITE_FULL ? TERN_STORE_ERROR_NO_SPACE : TERN_STORE_ERROR_FAILED,
                   "%s", message ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static int
get_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

/* Migrations: numbered SQL files in the engine's resources. */

static int
migration_number (const char *name)
{
  return g_ascii_isdigit (name[0]) ? atoi (name) : 0;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return migration_number (*(const char **)a) - migration_number (*(const char **)b);
}

static GPtrArray *
list_migrations (void)
{
  g_auto(GStrv) names = g_resources_enumerate_children (MIGRATIONS_PATH, 0, NULL);
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (migration_number (names[i]) > 0 && g_str_has_suffix (names[i], ".sql"))
      g_ptr_array_add (list, g_strdup (names[i]));
  g_ptr_array_sort (list, compare_names);
  return list;
}

int
tern_store_get_latest_schema_version (void)
{
  g_autoptr(GPtrArray) list = list_migrations ();

  return list->len ? migration_number (g_ptr_array_index (list, list->len - 1)) : 0;
}

gboolean
tern_store_migrate (sqlite3  *db,
                    int       target,
                    GError  **error)
{
  g_autoptr(GPtrArray) list = list_migrations ();
  int current = get_user_version (db);

  if (current < 0)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_CORRUPT,
                   "The mail cache cannot be read: %s", sqlite3_errmsg (db));
      return FALSE;
    }

  for (guint i = 0; i < list->len; i++)
    {
      const char *name = g_ptr_array_index (list, i);
      int number = migration_number (name);
      g_autofree char *path = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *sql = NULL;
      g_autofree char *set_version = NULL;
      g_autoptr(GError) local_error = NULL;

      if (number <= current || number > target)
        continue;

      path = g_build_path ("/", MIGRATIONS_PATH, name, NULL);
      bytes = g_resources_lookup_data (path, 0, &local_error);
      if (bytes == NULL)
        {
          g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_FAILED,
                       "Missing schema migration %s: %s", name, local_error->message);
          return FALSE;
        }
      sql = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      set_version = g_strdup_printf ("PRAGMA user_version = %d", number);

      /* One transaction per step: a crash leaves the last complete version. */
      if (!exec_sql (db, "BEGIN IMMEDIATE", &local_error) ||
          !exec_sql (db, sql, &local_error) ||
          !exec_sql (db, set_version, &local_error) ||
          !exec_sql (db, "COMMIT", &local_error))
        {
          exec_sql (db, "ROLLBACK", NULL);
          g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_FAILED,
                       "Upgrading the mail cache to version %d failed: %s", number, local_error->message);
          return FALSE;
        }
      current = number;
    }
  return TRUE;
}

/* Files */

char *
tern_store_body_file_name (gint64 message_id)
{
  return g_strdup_printf ("messages/%02x/%" G_GINT64_FORMAT ".eml",
                          (guint) (message_id & 0xff), message_id);
}

static gboolean
ensure_directory (const char  *path,
                  GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, TERN_STORE_ERROR,
                   saved == ENOSPC ? TERN_STORE_ERROR_NO_SPACE : TERN_STORE_ERROR_OPEN,
                   "Cannot create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* A crash can leave half-written files only in tmp/; they were never
 * visible under their final names, so they are simply dropped. */
static void
clean_tmp_dir (const char *tmp_dir)
{
  g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

      g_unlink (path);
    }
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len,
           int          *saved_errno)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *saved_errno = errno;
          return FALSE;
        }
      data += n;
      len -= n;
    }
  return TRUE;
}

/* Writes @bytes to tmp/ now; the file gets its final name, made durable,
 * just before the batch commits (see commit_files()). */
static gboolean
txn_write_file (TernStore   *self,
                Txn         *txn,
                const char  *relative_name,
                GBytes      *bytes,
                GError     **error)
{
  static gint counter;
  g_autofree char *tmp_name = g_strdup_printf ("%d-%d.tmp", getpid (), g_atomic_int_add (&counter, 1));
  PendingFile file;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  int saved_errno = 0;
  int fd;

  file.tmp_path = g_build_filename (self->tmp_dir, tmp_name, NULL);
  file.final_path = g_build_filename (self->data_dir, relative_name, NULL);

  fd = g_open (file.tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || !write_all (fd, data, len, &saved_errno))
    {
      if (saved_errno == 0)
        saved_errno = errno;
      if (fd >= 0)
        close (fd);
      g_unlink (file.tmp_path);
      g_set_error (error, TERN_STORE_ERROR,
                   saved_errno == ENOSPC ? TERN_STORE_ERROR_NO_SPACE : TERN_STORE_ERROR_IO,
                   "Cannot write a message file: %s", g_strerror (saved_errno));
      g_free (file.tmp_path);
      g_free (file.final_path);
      return FALSE;
    }
  close (fd);
  g_array_append_val (txn->files, file);
  return TRUE;
}

static void
pending_file_clear (PendingFile *file)
{
  g_clear_pointer (&file->tmp_path, g_free);
  g_clear_pointer (&file->final_path, g_free);
}

static gboolean
fsync_path (const char *path,
            int         flags)
{
  int fd = g_open (path, flags | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

/* Group commit for files: one flush for the whole batch, then the renames,
 * then the directories. Only after this does the batch's row commit, so a
 * committed row always names a complete, durable file. */
static gboolean
commit_files (TernStore  *self,
              Txn        *txn,
              GError    **error)
{
  g_autoptr(GHashTable) dirs = NULL;
  GHashTableIter iter;
  gpointer key;
  gboolean synced = FALSE;

  if (txn->files->len == 0)
    return TRUE;

#ifdef __linux__
  {
    int fd = g_open (self->tmp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

    if (fd >= 0)
      {
        synced = syncfs (fd) == 0;
        close (fd);
      }
  }
#endif
  for (guint i = 0; !synced && i < txn->files->len; i++)
    {
      PendingFile *file = &g_array_index (txn->files, PendingFile, i);

      if (!fsync_path (file->tmp_path, O_RDONLY))
        {
          int saved = errno;

          g_set_error (error, TERN_STORE_ERROR,
                       saved == ENOSPC ? TERN_STORE_ERROR_NO_SPACE : TERN_STORE_ERROR_IO,
                       "Cannot flush a message file to disk: %s", g_strerror (saved));
          return FALSE;
        }
    }

  dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < txn->files->len; i++)
    {
      PendingFile *file = &g_array_index (txn->files, PendingFile, i);
      g_autofree char *dir = g_path_get_dirname (file->final_path);

      if (!g_hash_table_contains (dirs, dir) && !ensure_directory (dir, error))
        return FALSE;
      if (g_rename (file->tmp_path, file->final_path) != 0)
        {
          int saved = errno;

          g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_IO,
                       "Cannot move a message file into place: %s", g_strerror (saved));
          return FALSE;
        }
      g_hash_table_add (dirs, g_steal_pointer (&dir));
    }

  g_hash_table_iter_init (&iter, dirs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    fsync_path (key, O_RDONLY | O_DIRECTORY);
  return TRUE;
}

static void
discard_files (Txn   *txn,
               guint  from)
{
  for (guint i = from; i < txn->files->len; i++)
    {
      PendingFile *file = &g_array_index (txn->files, PendingFile, i);

      g_unlink (file->tmp_path);
      pending_file_clear (file);
    }
  g_array_set_size (txn->files, from);
}

/* Statements on the writer connection, prepared once. */
static sqlite3_stmt *
writer_stmt (TernStore   *self,
             const char  *sql,
             GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->writer_stmts, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  rc = sqlite3_prepare_v3 (self->writer, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      g_propagate_error (error, sqlite_error (self->writer, rc, "Preparing a store statement failed"));
      return NULL;
    }
  g_hash_table_insert (self->writer_stmts, (gpointer) sql, stmt);
  return stmt;
}

static gboolean
step_done (TernStore     *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      g_propagate_error (error, sqlite_error (self->writer, rc, "Writing to the mail cache failed"));
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

/* Change notification: coalesced onto the main context. */

static gboolean
emit_changes_cb (gpointer user_data)
{
  TernStore *self = user_data;
  g_autoptr(TernStoreChanges) changes = NULL;

  g_mutex_lock (&self->changes_lock);
  changes = g_steal_pointer (&self->pending_changes);
  g_clear_pointer (&self->changes_source, g_source_unref);
  g_mutex_unlock (&self->changes_lock);

  if (changes != NULL && !tern_store_changes_is_empty (changes))
    g_signal_emit (self, signals[CHANGED], 0, changes);
  return G_SOURCE_REMOVE;
}

static void
post_changes (TernStore        *self,
              TernStoreChanges *changes)
{
  if (tern_store_changes_is_empty (changes))
    return;

  g_mutex_lock (&self->changes_lock);
  if (self->pending_changes == NULL)
    self->pending_changes = tern_store_changes_ref (changes);
  else
    tern_store_changes_merge (self->pending_changes, changes);
  if (self->changes_source == NULL)
    {
      self->changes_source = g_idle_source_new ();
      g_source_set_priority (self->changes_source, G_PRIORITY_DEFAULT);
      /* No reference: tern_store_close() destroys the source. */
      g_source_set_callback (self->changes_source, emit_changes_cb, self, NULL);
      g_source_set_static_name (self->changes_source, "[tern] store changes");
      g_source_attach (self->changes_source, self->main_context);
    }
  g_mutex_unlock (&self->changes_lock);
}

/* The writer thread */

static void
complete_op (WriteOp *op)
{
  if (op->task == NULL)
    return;
  if (op->error != NULL)
    g_task_return_error (op->task, g_steal_pointer (&op->error));
  else if (op->result_kind == RESULT_POINTER)
    {
      g_task_return_pointer (op->task, op->result_ptr, op->result_free);
      op->result_ptr = NULL;
    }
  else if (op->result_kind == RESULT_INT)
    g_task_return_int (op->task, op->result_int);
  else
    g_task_return_boolean (op->task, TRUE);
}

static gboolean flush_added_counts (TernStore  *self,
                                    Txn        *txn,
                                    GError    **error);

static void
run_batch (TernStore *self,
           GPtrArray *ops)
{
  Txn txn = {
    self->writer,
    tern_store_changes_new (),
    g_array_new (FALSE, FALSE, sizeof (PendingFile)),
    g_ptr_array_new_with_free_func (g_free),
    g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free),
    NULL
  };
  g_autoptr(GError) error = NULL;
  gboolean committed = FALSE;

  if (exec_sql (self->writer, "BEGIN IMMEDIATE", &error))
    {
      for (guint i = 0; i < ops->len; i++)
        {
          WriteOp *op = g_ptr_array_index (ops, i);
          guint n_files = txn.files->len;
          guint n_changes = txn.changes->messages->len;
          guint n_unlink = txn.unlink_after_commit->len;

          if (op->task != NULL && g_task_return_error_if_cancelled (op->task))
            {
              g_clear_object (&op->task);
              continue;
            }
          exec_sql (self->writer, "SAVEPOINT op", NULL);
          txn.op = op;
          g_hash_table_remove_all (txn.added_counts);
          if (!op->func (self, &txn, op->data, &op->error) ||
              !flush_added_counts (self, &txn, &op->error))
            {
              exec_sql (self->writer, "ROLLBACK TO op", NULL);
              discard_files (&txn, n_files);
              g_array_set_size (txn.changes->messages, n_changes);
              g_ptr_array_set_size (txn.unlink_after_commit, n_unlink);
              if (op->result_ptr != NULL && op->result_free != NULL)
                g_clear_pointer (&op->result_ptr, op->result_free);
            }
          txn.op = NULL;
          exec_sql (self->writer, "RELEASE op", NULL);
        }

      if (commit_files (self, &txn, &error) && exec_sql (self->writer, "COMMIT", &error))
        committed = TRUE;
      else
        exec_sql (self->writer, "ROLLBACK", NULL);
    }

  if (!committed)
    {
      /* Nothing of the batch happened: unlink files that were moved into
       * place for rows that now do not exist. */
      for (guint i = 0; i < txn.files->len; i++)
        {
          PendingFile *file = &g_array_index (txn.files, PendingFile, i);

          g_unlink (file->tmp_path);
          g_unlink (file->final_path);
        }
      for (guint i = 0; i < ops->len; i++)
        {
          WriteOp *op = g_ptr_array_index (ops, i);

          if (op->error == NULL)
            op->error = g_error_copy (error);
          if (op->result_ptr != NULL && op->result_free != NULL)
            g_clear_pointer (&op->result_ptr, op->result_free);
        }
    }
  else
    {
      for (guint i = 0; i < txn.unlink_after_commit->len; i++)
        g_unlink (g_ptr_array_index (txn.unlink_after_commit, i));
      post_changes (self, txn.changes);
    }

  for (guint i = 0; i < ops->len; i++)
    complete_op (g_ptr_array_index (ops, i));

  for (guint i = 0; i < txn.files->len; i++)
    pending_file_clear (&g_array_index (txn.files, PendingFile, i));
  g_array_unref (txn.files);
  g_ptr_array_unref (txn.unlink_after_commit);
  g_hash_table_unref (txn.added_counts);
  tern_store_changes_unref (txn.changes);
}

static gpointer
writer_thread_main (gpointer user_data)
{
  TernStore *self = user_data;
  gboolean running = TRUE;

  while (running)
    {
      g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) write_op_free);
      WriteOp *op = g_async_queue_pop (self->queue);

      do
        {
          if (op->func == NULL)
            {
              running = FALSE;
              write_op_free (op);
              break;
            }
          g_ptr_array_add (ops, op);
        }
      while (ops->len < MAX_BATCH_OPS && (op = g_async_queue_try_pop (self->queue)) != NULL);

      if (ops->len > 0)
        run_batch (self, ops);
    }
  return NULL;
}

static void
write_op_free (WriteOp *op)
{
  if (op->data_free != NULL && op->data != NULL)
    op->data_free (op->data);
  if (op->result_ptr != NULL && op->result_free != NULL)
    op->result_free (op->result_ptr);
  g_clear_error (&op->error);
  g_clear_object (&op->task);
  g_free (op);
}

static void
queue_op (TernStore      *self,
          WriteFunc       func,
          gpointer        data,
          GDestroyNotify  data_free,
          ResultKind      result_kind,
          GTask          *task)
{
  WriteOp *op = g_new0 (WriteOp, 1);

  op->func = func;
  op->data = data;
  op->data_free = data_free;
  op->result_kind = result_kind;
  op->task = task;

  if (self->closed)
    {
      if (task != NULL)
        g_task_return_new_error (task, TERN_STORE_ERROR, TERN_STORE_ERROR_CLOSED, "The mail cache is closed");
      write_op_free (op);
      return;
    }
  g_async_queue_push (self->queue, op);
}

/* Object */

static void
tern_store_dispose (GObject *object)
{
  tern_store_close (TERN_STORE (object));
  G_OBJECT_CLASS (tern_store_parent_class)->dispose (object);
}

static void
tern_store_finalize (GObject *object)
{
  TernStore *self = (TernStore *)object;

  g_clear_pointer (&self->pending_changes, tern_store_changes_unref);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_mutex_clear (&self->changes_lock);
  g_free (self->data_dir);
  g_free (self->messages_dir);
  g_free (self->tmp_dir);

  G_OBJECT_CLASS (tern_store_parent_class)->finalize (object);
}

static void
tern_store_class_init (TernStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tern_store_dispose;
  object_class->finalize = tern_store_finalize;

  /**
   * TernStore::changed:
   * @changes: a #TernStoreChanges
   *
   * Emitted on the store's main context after commits, coalesced.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TERN_TYPE_STORE_CHANGES | G_SIGNAL_TYPE_STATIC_SCOPE);

  /* Keeps the generated resource (and its constructor) linked in. */
  (void) tern_store_get_resource ();
}

static void
tern_store_init (TernStore *self)
{
  g_mutex_init (&self->changes_lock);
  self->queue = g_async_queue_new ();
  self->main_context = g_main_context_ref_thread_default ();
}

static sqlite3 *
open_connection (const char  *path,
                 gboolean     writer,
                 GError     **error)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_OPEN,
                   "Cannot open the mail cache %s: %s", path,
                   db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, 10000);

  /* The writer promises durability (a POP3 DELE follows its commit), so it
   * syncs the WAL on every commit; commits are batched to keep that cheap. */
  if (!exec_sql (db, "PRAGMA journal_mode = WAL", error) ||
      !exec_sql (db, writer ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", error) ||
      !exec_sql (db, "PRAGMA foreign_keys = ON", error) ||
      !exec_sql (db, "PRAGMA temp_store = MEMORY", error) ||
      !exec_sql (db, writer ? "PRAGMA cache_size = -16000" : "PRAGMA cache_size = -32000", error) ||
      (!writer && !exec_sql (db, "PRAGMA query_only = 1", error)))
    {
      g_prefix_error (error, "Cannot open the mail cache %s: ", path);
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

/**
 * tern_store_open:
 * @data_dir: the folder for tern.db and the message files
 *
 * Opens (creating if needed) and upgrades the store, and starts its writer
 * thread. ::changed is emitted on the thread-default main context of the
 * caller.
 */
TernStore *
tern_store_open (const char  *data_dir,
                 GError     **error)
{
  static gsize configured = 0;
  g_autoptr(TernStore) self = NULL;
  g_autofree char *db_path = NULL;
  int version;
  int latest = tern_store_get_latest_schema_version ();

  /* Each connection belongs to one thread; SQLite's global allocator
   * statistics would only add a mutex to every allocation. */
  if (g_once_init_enter (&configured))
    {
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&configured, 1);
    }
  self = g_object_new (TERN_TYPE_STORE, NULL);

  self->data_dir = g_strdup (data_dir);
  self->messages_dir = g_build_filename (data_dir, "messages", NULL);
  self->tmp_dir = g_build_filename (self->messages_dir, "tmp", NULL);
  if (!ensure_directory (self->tmp_dir, error))
    return NULL;
  clean_tmp_dir (self->tmp_dir);

  db_path = g_build_filename (data_dir, "tern.db", NULL);
  self->writer = open_connection (db_path, TRUE, error);
  if (self->writer == NULL)
    return NULL;

  version = get_user_version (self->writer);
  if (version > latest)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NEWER_SCHEMA,
                   "The mail cache in %s was made by a newer version of Tern (schema %d, this one knows %d)",
                   data_dir, version, latest);
      return NULL;
    }
  if (!tern_store_migrate (self->writer, latest, error))
    return NULL;
  self->schema_version = get_user_version (self->writer);

  self->reader = open_connection (db_path, FALSE, error);
  if (self->reader == NULL)
    return NULL;

  self->writer_stmts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) sqlite3_finalize);
  self->writer_thread = g_thread_new ("tern-store-writer", writer_thread_main, self);
  return g_steal_pointer (&self);
}

/**
 * tern_store_close:
 *
 * Commits what is queued, stops the writer thread and closes the database.
 * Safe to call more than once.
 */
void
tern_store_close (TernStore *self)
{
  g_return_if_fail (TERN_IS_STORE (self));

  if (self->writer_thread != NULL)
    {
      WriteOp *stop = g_new0 (WriteOp, 1);

      g_async_queue_push (self->queue, stop);
      g_thread_join (g_steal_pointer (&self->writer_thread));
    }
  self->closed = TRUE;
  g_clear_pointer (&self->writer_stmts, g_hash_table_unref);
  g_clear_pointer (&self->writer, sqlite3_close);
  g_clear_pointer (&self->reader, sqlite3_close);

  g_mutex_lock (&self->changes_lock);
  if (self->changes_source != NULL)
    {
      g_source_destroy (self->changes_source);
      g_clear_pointer (&self->changes_source, g_source_unref);
    }
  g_mutex_unlock (&self->changes_lock);
}

const char *
tern_store_get_data_dir (TernStore *self)
{
  g_return_val_if_fail (TERN_IS_STORE (self), NULL);
  return self->data_dir;
}

int
tern_store_get_schema_version (TernStore *self)
{
  g_return_val_if_fail (TERN_IS_STORE (self), 0);
  return self->schema_version;
}

sqlite3 *
tern_store_get_reader (TernStore *self)
{
  g_return_val_if_fail (TERN_IS_STORE (self), NULL);
  return self->reader;
}

char *
tern_store_dup_body_path (TernStore *self,
                          gint64     message_id)
{
  sqlite3_stmt *stmt = NULL;
  char *path = NULL;

  g_return_val_if_fail (TERN_IS_STORE (self), NULL);

  if (sqlite3_prepare_v2 (self->reader, "SELECT body_file FROM messages WHERE id = ? AND body_state = 2",
                          -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, message_id);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    path = g_build_filename (self->data_dir, (const char *) sqlite3_column_text (stmt, 0), NULL);
  sqlite3_finalize (stmt);
  return path;
}

GBytes *
tern_store_load_body (TernStore  *self,
                      gint64      message_id,
                      GError    **error)
{
  g_autofree char *path = tern_store_dup_body_path (self, message_id);
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) local_error = NULL;

  if (path == NULL)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND,
                   "The message has not been downloaded yet");
      return NULL;
    }
  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_IO,
                   "Cannot read the stored message: %s", local_error->message);
      return NULL;
    }
  return g_mapped_file_get_bytes (mapped);
}

gint64
tern_store_lookup_folder (TernStore  *self,
                          const char *account_id,
                          const char *path)
{
  sqlite3_stmt *stmt = NULL;
  gint64 id = 0;

  g_return_val_if_fail (TERN_IS_STORE (self), 0);

  if (sqlite3_prepare_v2 (self->reader, "SELECT id FROM folders WHERE account_id = ? AND path = ?",
                          -1, &stmt, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_text (stmt, 1, account_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, path, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return id;
}

gboolean
tern_store_get_folder_sync_state (TernStore *self,
                                  gint64     folder_id,
                                  guint32   *uidvalidity,
                                  guint32   *uidnext,
                                  guint64   *highestmodseq)
{
  sqlite3_stmt *stmt = NULL;
  gboolean found;

  g_return_val_if_fail (TERN_IS_STORE (self), FALSE);

  if (sqlite3_prepare_v2 (self->reader, "SELECT uidvalidity, uidnext, highestmodseq FROM folders WHERE id = ?",
                          -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  if (uidvalidity != NULL)
    *uidvalidity = found ? (guint32) sqlite3_column_int64 (stmt, 0) : 0;
  if (uidnext != NULL)
    *uidnext = found ? (guint32) sqlite3_column_int64 (stmt, 1) : 0;
  if (highestmodseq != NULL)
    *highestmodseq = found ? (guint64) sqlite3_column_int64 (stmt, 2) : 0;
  sqlite3_finalize (stmt);
  return found;
}

GArray *
tern_store_list_uids (TernStore *self,
                      gint64     folder_id)
{
  GArray *uids = g_array_new (FALSE, FALSE, sizeof (TernStoreUid));
  sqlite3_stmt *stmt = NULL;

  g_return_val_if_fail (TERN_IS_STORE (self), uids);

  if (sqlite3_prepare_v2 (self->reader, "SELECT uid, flags, id FROM messages WHERE folder_id = ?"
                          " AND uid IS NOT NULL AND uid > 0 ORDER BY uid",
                          -1, &stmt, NULL) != SQLITE_OK)
    return uids;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      TernStoreUid row = {
        .uid = (guint32) sqlite3_column_int64 (stmt, 0),
        .flags = (guint) sqlite3_column_int (stmt, 1),
        .id = sqlite3_column_int64 (stmt, 2),
      };

      g_array_append_val (uids, row);
    }
  sqlite3_finalize (stmt);
  return uids;
}

/* Write operations */

/* Tasks carry no reference to the store: they complete from the writer
 * thread, which must never drop the store's last reference (it would have
 * to join itself). Callbacks get a NULL source object. */
static GTask *
new_task (TernStore           *self,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

static void
set_result_int (Txn    *txn,
                gint64  value)
{
  txn->op->result_int = value;
}

static void
set_result_pointer (Txn            *txn,
                    gpointer        value,
                    GDestroyNotify  free_func)
{
  txn->op->result_ptr = value;
  txn->op->result_free = free_func;
}

static gint64
folder_account (TernStore   *self,
                gint64       folder_id,
                char       **account_id,
                GError     **error)
{
  sqlite3_stmt *stmt = writer_stmt (self, "SELECT account_id FROM folders WHERE id = ?", error);

  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND, "No folder %" G_GINT64_FORMAT, folder_id);
      return 0;
    }
  *account_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return folder_id;
}

/* Accounts */

static gboolean
ensure_account_func (TernStore  *self,
                     Txn        *txn,
                     gpointer    data,
                     GError    **error)
{
  sqlite3_stmt *stmt = writer_stmt (self, "INSERT OR IGNORE INTO accounts (id) VALUES (?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, data);
  if (!step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (txn->db) > 0)
    txn->changes->accounts_changed = TRUE;
  return TRUE;
}

void
tern_store_ensure_account_async (TernStore           *self,
                                 const char          *account_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (account_id != NULL);

  queue_op (self, ensure_account_func, g_strdup (account_id), g_free, RESULT_BOOLEAN,
            new_task (self, tern_store_ensure_account_async, cancellable, callback, user_data));
}

gboolean
tern_store_ensure_account_finish (TernStore     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
remove_account_func (TernStore  *self,
                     Txn        *txn,
                     gpointer    data,
                     GError    **error)
{
  const char *account_id = data;
  static const char * const deletes[] = {
    "DELETE FROM pending_ops WHERE account_id = ?",
    "DELETE FROM pop3_ledger WHERE account_id = ?",
    "DELETE FROM outbox WHERE account_id = ?",
    "DELETE FROM message_refs WHERE account_id = ?",
    "DELETE FROM messages WHERE account_id = ?",
    "DELETE FROM folders WHERE account_id = ?",
    "DELETE FROM threads WHERE account_id = ?",
    "DELETE FROM accounts WHERE id = ?",
  };
  sqlite3_stmt *stmt = writer_stmt (self, "SELECT body_file FROM messages WHERE account_id = ? AND body_file IS NOT NULL", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, account_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (txn->unlink_after_commit,
                     g_build_filename (self->data_dir, (const char *) sqlite3_column_text (stmt, 0), NULL));
  sqlite3_reset (stmt);

  stmt = writer_stmt (self, "SELECT file FROM outbox WHERE account_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, account_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (txn->unlink_after_commit,
                     g_build_filename (self->data_dir, (const char *) sqlite3_column_text (stmt, 0), NULL));
  sqlite3_reset (stmt);

  for (guint i = 0; i < G_N_ELEMENTS (deletes); i++)
    {
      stmt = writer_stmt (self, deletes[i], error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, account_id);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  txn->changes->accounts_changed = TRUE;
  txn->changes->folders_added_or_removed = TRUE;
  return TRUE;
}

/**
 * tern_store_remove_account_async:
 *
 * Deletes everything the store holds for the account: folders, messages and
 * their files, queued actions, the POP3 ledger and the outbox.
 */
void
tern_store_remove_account_async (TernStore           *self,
                                 const char          *account_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (account_id != NULL);

  queue_op (self, remove_account_func, g_strdup (account_id), g_free, RESULT_BOOLEAN,
            new_task (self, tern_store_remove_account_async, cancellable, callback, user_data));
}

gboolean
tern_store_remove_account_finish (TernStore     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Folders */

static gboolean
ensure_folder_func (TernStore  *self,
                    Txn        *txn,
                    gpointer    data,
                    GError    **error)
{
  TernFolderInfo *info = data;
  g_autofree char *name = NULL;
  g_autofree char *parent = NULL;
  sqlite3_stmt *stmt;
  gint64 id;
  gboolean existed;

  if (!ensure_account_func (self, txn, info->account_id, error))
    return FALSE;

  if (info->delimiter != NULL && *info->delimiter != '\0')
    {
      const char *last = g_strrstr (info->path, info->delimiter);

      if (last != NULL && last != info->path && last[strlen (info->delimiter)] != '\0')
        {
          name = g_strdup (last + strlen (info->delimiter));
          parent = g_strndup (info->path, last - info->path);
        }
    }
  if (name == NULL)
    name = g_strdup (info->path);

  stmt = writer_stmt (self, "SELECT id FROM folders WHERE account_id = ? AND path = ?", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, info->account_id);
  bind_text (stmt, 2, info->path);
  existed = sqlite3_step (stmt) == SQLITE_ROW;
  id = existed ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);

  if (existed)
    stmt = writer_stmt (self, "UPDATE folders SET name = ?3, parent_path = ?4, delimiter = ?5, role = ?6,"
                              " attributes = ?7, local = ?8 WHERE id = ?9", error);
  else
    stmt = writer_stmt (self, "INSERT INTO folders (account_id, path, name, parent_path, delimiter, role,"
                              " attributes, local) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
  if (stmt == NULL)
    return FALSE;
  if (!existed)
    {
      bind_text (stmt, 1, info->account_id);
      bind_text (stmt, 2, info->path);
    }
  bind_text (stmt, 3, name);
  bind_text (stmt, 4, parent);
  bind_text (stmt, 5, info->delimiter);
  bind_text (stmt, 6, info->role);
  bind_text (stmt, 7, info->attributes);
  sqlite3_bind_int (stmt, 8, info->local ? 1 : 0);
  if (existed)
    sqlite3_bind_int64 (stmt, 9, id);
  if (!step_done (self, stmt, error))
    return FALSE;

  if (!existed)
    {
      id = sqlite3_last_insert_rowid (txn->db);
      txn->changes->folders_added_or_removed = TRUE;
    }
  else if (sqlite3_changes (txn->db) > 0)
    tern_store_changes_add_folder (txn->changes, id);
  set_result_int (txn, id);
  return TRUE;
}

void
tern_store_ensure_folder_async (TernStore            *self,
                                const TernFolderInfo *info,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (info != NULL && info->account_id != NULL && info->path != NULL);

  queue_op (self, ensure_folder_func, tern_folder_info_copy (info), (GDestroyNotify) tern_folder_info_free,
            RESULT_INT, new_task (self, tern_store_ensure_folder_async, cancellable, callback, user_data));
}

gint64
tern_store_ensure_folder_finish (TernStore     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

/* Threads: where a message goes is decided by tern_thread_place() (pure,
 * tested alone); the store answers its lookups within one account and
 * applies the placement. */

typedef struct
{
  TernStore  *self;
  const char *account_id;
  GError    **error;
  gboolean    failed;
} ThreadLookupData;

static gint64
lookup_thread_by_message_id (const char *message_id,
                             gpointer    user_data)
{
  ThreadLookupData *data = user_data;
  sqlite3_stmt *stmt;
  gint64 thread = 0;

  if (data->failed)
    return 0;
  stmt = writer_stmt (data->self, "SELECT thread_id FROM messages WHERE account_id = ? AND message_id = ?"
                                  " AND thread_id IS NOT NULL LIMIT 1", data->error);
  if (stmt == NULL)
    {
      data->failed = TRUE;
      return 0;
    }
  bind_text (stmt, 1, data->account_id);
  bind_text (stmt, 2, message_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    thread = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return thread;
}

static void
lookup_threads_referencing (const char *message_id,
                            GArray     *thread_ids,
                            gpointer    user_data)
{
  ThreadLookupData *data = user_data;
  sqlite3_stmt *stmt;

  if (data->failed)
    return;
  stmt = writer_stmt (data->self, "SELECT DISTINCT m.thread_id FROM message_refs r JOIN messages m ON m.id = r.message_row"
                                  " WHERE r.account_id = ? AND r.ref = ? AND m.thread_id IS NOT NULL", data->error);
  if (stmt == NULL)
    {
      data->failed = TRUE;
      return;
    }
  bind_text (stmt, 1, data->account_id);
  bind_text (stmt, 2, message_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 thread = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (thread_ids, thread);
    }
  sqlite3_reset (stmt);
}

static gint64
lookup_thread_by_subject (const char *normalized_subject,
                          gint64      since,
                          gint64      until,
                          gpointer    user_data)
{
  ThreadLookupData *data = user_data;
  sqlite3_stmt *stmt;
  gint64 thread = 0;

  if (data->failed)
    return 0;
  stmt = writer_stmt (data->self, "SELECT thread_id FROM messages WHERE account_id = ?1 AND thread_subject = ?2"
                                  " AND date BETWEEN ?3 AND ?4 AND thread_id IS NOT NULL"
                                  " ORDER BY abs(date - (?3 + ?4) / 2) LIMIT 1", data->error);
  if (stmt == NULL)
    {
      data->failed = TRUE;
      return 0;
    }
  bind_text (stmt, 1, data->account_id);
  bind_text (stmt, 2, normalized_subject);
  sqlite3_bind_int64 (stmt, 3, since);
  sqlite3_bind_int64 (stmt, 4, until);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    thread = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return thread;
}

static gboolean
merge_thread (TernStore  *self,
              Txn        *txn,
              gint64      from,
              gint64      into,
              GError    **error)
{
  sqlite3_stmt *stmt;

  if (from == into || from == 0)
    return TRUE;
  stmt = writer_stmt (self, "SELECT id, folder_id, date, flags FROM messages WHERE thread_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, from);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_UPDATED,
                                    sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1),
                                    sqlite3_column_int64 (stmt, 2), sqlite3_column_int (stmt, 3));
  sqlite3_reset (stmt);

  stmt = writer_stmt (self, "UPDATE messages SET thread_id = ? WHERE thread_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, into);
  sqlite3_bind_int64 (stmt, 2, from);
  if (!step_done (self, stmt, error))
    return FALSE;
  stmt = writer_stmt (self, "DELETE FROM threads WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, from);
  return step_done (self, stmt, error);
}

static char *
bracket (const char *id)
{
  return id != NULL ? g_strdup_printf ("<%s>", id) : NULL;
}

/* Places the message in a thread, merging the threads it links. Returns the
 * placement (for the ids and subject the store keeps), or NULL on error. */
static TernThreadPlacement *
assign_thread (TernStore              *self,
               Txn                    *txn,
               const char             *account_id,
               const TernMessageInfo  *info,
               gint64                 *thread,
               GError                **error)
{
  ThreadLookupData data = { self, account_id, error, FALSE };
  TernThreadLookup lookup = { lookup_thread_by_message_id, lookup_threads_referencing, lookup_thread_by_subject };
  g_autofree char *message_id = bracket (info->message_id);
  g_autofree char *in_reply_to = bracket (info->in_reply_to);
  g_autoptr(GString) references = g_string_new (NULL);
  g_autoptr(TernThreadPlacement) placement = NULL;
  TernThreadMessage message;
  sqlite3_stmt *stmt;

  for (guint i = 0; info->references != NULL && info->references[i] != NULL; i++)
    g_string_append_printf (references, "<%s> ", info->references[i]);
  message.message_id = message_id;
  message.in_reply_to = in_reply_to;
  message.references = references->len ? references->str : NULL;
  message.subject = info->subject;
  message.date = info->date;

  placement = tern_thread_place (&message, &lookup, &data);
  if (data.failed)
    return NULL;

  *thread = placement->thread_id;
  if (*thread == 0)
    {
      stmt = writer_stmt (self, "INSERT INTO threads (account_id) VALUES (?)", error);
      if (stmt == NULL)
        return NULL;
      bind_text (stmt, 1, account_id);
      if (!step_done (self, stmt, error))
        return NULL;
      *thread = sqlite3_last_insert_rowid (txn->db);
    }
  for (guint i = 0; placement->merge_thread_ids != NULL && i < placement->merge_thread_ids->len; i++)
    if (!merge_thread (self, txn, g_array_index (placement->merge_thread_ids, gint64, i), *thread, error))
      return NULL;
  return g_steal_pointer (&placement);
}

/* Messages */

static void
count_added (Txn    *txn,
             gint64  folder_id,
             guint   flags)
{
  CountDelta *delta = g_hash_table_lookup (txn->added_counts, &folder_id);

  if (delta == NULL)
    {
      delta = g_new0 (CountDelta, 1);
      g_hash_table_insert (txn->added_counts, g_memdup2 (&folder_id, sizeof folder_id), delta);
    }
  delta->total++;
  if ((flags & TERN_FLAG_SEEN) == 0)
    delta->unread++;
}

/* The counters of the folders the op added to; deletes and updates keep
 * them with triggers. */
static gboolean
flush_added_counts (TernStore  *self,
                    Txn        *txn,
                    GError    **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, txn->added_counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      CountDelta *delta = value;
      sqlite3_stmt *stmt = writer_stmt (self, "UPDATE folders SET total = total + ?, unread = unread + ? WHERE id = ?", error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, delta->total);
      sqlite3_bind_int64 (stmt, 2, delta->unread);
      sqlite3_bind_int64 (stmt, 3, *(gint64 *) key);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  g_hash_table_remove_all (txn->added_counts);
  return TRUE;
}

static gboolean
message_exists (TernStore              *self,
                gint64                  folder_id,
                const TernMessageInfo  *info,
                GError                **error)
{
  sqlite3_stmt *stmt;
  gboolean exists = FALSE;

  if (info->uid != 0)
    {
      stmt = writer_stmt (self, "SELECT 1 FROM messages WHERE folder_id = ? AND uid = ?", error);
      if (stmt == NULL)
        return TRUE;
      sqlite3_bind_int64 (stmt, 1, folder_id);
      sqlite3_bind_int64 (stmt, 2, info->uid);
      exists = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_reset (stmt);
    }
  if (!exists && info->uidl != NULL)
    {
      stmt = writer_stmt (self, "SELECT 1 FROM messages WHERE folder_id = ? AND uidl = ?", error);
      if (stmt == NULL)
        return TRUE;
      sqlite3_bind_int64 (stmt, 1, folder_id);
      bind_text (stmt, 2, info->uidl);
      exists = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_reset (stmt);
    }
  return exists;
}

static char *
join_addresses (const TernMessageInfo *info)
{
  return g_strjoin (" ",
                    info->from_name ? info->from_name : "",
                    info->from_addr ? info->from_addr : "",
                    info->to ? info->to : "",
                    info->cc ? info->cc : "",
                    NULL);
}

/* Inserts one message row with its thread, references, index entry and
 * address-book entry. Returns the row id, or 0 on error. */
static gint64
insert_message (TernStore              *self,
                Txn                    *txn,
                gint64                  folder_id,
                const char             *account_id,
                const TernMessageInfo  *info,
                int                     body_state,
                GError                **error)
{
  g_autofree char *refs = info->references ? g_strjoinv (" ", info->references) : NULL;
  g_autofree char *addresses = NULL;
  g_autoptr(TernThreadPlacement) placement = NULL;
  const char *thread_subject;
  sqlite3_stmt *stmt;
  gint64 thread = 0;
  gint64 id;

  placement = assign_thread (self, txn, account_id, info, &thread, error);
  if (placement == NULL)
    return 0;
  thread_subject = placement->normalized_subject;
  if (thread_subject != NULL && *thread_subject == '\0')
    thread_subject = NULL;

  stmt = writer_stmt (self,
                      "INSERT INTO messages (account_id, folder_id, uid, uidl, message_id, in_reply_to, refs,"
                      " thread_id, thread_subject, subject, from_name, from_addr, to_list, cc_list, date,"
                      " internal_date, size, flags, keywords, has_attachments, preview, list_id, body_state, error)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
                      " ?19, ?20, ?21, ?22, ?23, ?24)", error);
  if (stmt == NULL)
    return 0;
  bind_text (stmt, 1, account_id);
  sqlite3_bind_int64 (stmt, 2, folder_id);
  if (info->uid != 0)
    sqlite3_bind_int64 (stmt, 3, info->uid);
  bind_text (stmt, 4, info->uidl);
  bind_text (stmt, 5, placement->message_id ? placement->message_id : info->message_id);
  bind_text (stmt, 6, info->in_reply_to);
  bind_text (stmt, 7, refs);
  sqlite3_bind_int64 (stmt, 8, thread);
  bind_text (stmt, 9, thread_subject);
  bind_text (stmt, 10, info->subject ? info->subject : "");
  bind_text (stmt, 11, info->from_name);
  bind_text (stmt, 12, info->from_addr);
  bind_text (stmt, 13, info->to);
  bind_text (stmt, 14, info->cc);
  sqlite3_bind_int64 (stmt, 15, info->date);
  sqlite3_bind_int64 (stmt, 16, info->internal_date);
  sqlite3_bind_int64 (stmt, 17, info->size);
  sqlite3_bind_int (stmt, 18, info->flags);
  bind_text (stmt, 19, info->keywords);
  sqlite3_bind_int (stmt, 20, info->has_attachments ? 1 : 0);
  bind_text (stmt, 21, info->preview);
  bind_text (stmt, 22, info->list_id);
  sqlite3_bind_int (stmt, 23, body_state);
  bind_text (stmt, 24, info->error);
  if (!step_done (self, stmt, error))
    return 0;
  id = sqlite3_last_insert_rowid (txn->db);

  /* The ids it names, as the thread lookups will ask for them. */
  for (guint i = 0; placement->references != NULL && i < placement->references->len; i++)
    {
      stmt = writer_stmt (self, "INSERT INTO message_refs (account_id, ref, message_row) VALUES (?, ?, ?)", error);
      if (stmt == NULL)
        return 0;
      bind_text (stmt, 1, account_id);
      bind_text (stmt, 2, g_ptr_array_index (placement->references, i));
      sqlite3_bind_int64 (stmt, 3, id);
      if (!step_done (self, stmt, error))
        return 0;
    }

  addresses = join_addresses (info);
  stmt = writer_stmt (self, "INSERT INTO messages_fts (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, info->subject);
  bind_text (stmt, 3, addresses);
  bind_text (stmt, 4, info->body_text);
  if (!step_done (self, stmt, error))
    return 0;

  if (info->from_addr != NULL)
    {
      stmt = writer_stmt (self, "INSERT INTO addresses (address, name, last_seen) VALUES (?1, ?2, ?3)"
                                " ON CONFLICT (address) DO UPDATE SET times_seen = times_seen + 1,"
                                " last_seen = max(last_seen, excluded.last_seen),"
                                " name = coalesce(excluded.name, name)", error);
      if (stmt == NULL)
        return 0;
      bind_text (stmt, 1, info->from_addr);
      bind_text (stmt, 2, info->from_name);
      sqlite3_bind_int64 (stmt, 3, info->date);
      if (!step_done (self, stmt, error))
        return 0;
    }

  count_added (txn, folder_id, info->flags);
  tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_ADDED, id, folder_id, info->date, info->flags);
  return id;
}

typedef struct
{
  gint64     folder_id;
  GPtrArray *infos;
} InsertData;

static void
insert_data_free (InsertData *data)
{
  g_ptr_array_unref (data->infos);
  g_free (data);
}

static gboolean
insert_messages_func (TernStore  *self,
                      Txn        *txn,
                      gpointer    user_data,
                      GError    **error)
{
  InsertData *data = user_data;
  g_autofree char *account_id = NULL;
  g_autoptr(GArray) ids = g_array_sized_new (FALSE, TRUE, sizeof (gint64), data->infos->len);

  if (folder_account (self, data->folder_id, &account_id, error) == 0)
    return FALSE;

  for (guint i = 0; i < data->infos->len; i++)
    {
      const TernMessageInfo *info = g_ptr_array_index (data->infos, i);
      gint64 id = 0;
      GError *local_error = NULL;

      if (!message_exists (self, data->folder_id, info, &local_error))
        id = insert_message (self, txn, data->folder_id, account_id, info, 0, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_array_append_val (ids, id);
    }
  set_result_pointer (txn, g_steal_pointer (&ids), (GDestroyNotify) g_array_unref);
  return TRUE;
}

void
tern_store_insert_messages_async (TernStore           *self,
                                  gint64               folder_id,
                                  GPtrArray           *infos,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  InsertData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (infos != NULL);

  data = g_new0 (InsertData, 1);
  data->folder_id = folder_id;
  data->infos = g_ptr_array_ref (infos);
  queue_op (self, insert_messages_func, data, (GDestroyNotify) insert_data_free, RESULT_POINTER,
            new_task (self, tern_store_insert_messages_async, cancellable, callback, user_data));
}

GArray *
tern_store_insert_messages_finish (TernStore     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Whole messages and bodies */

static TernMessageInfo *
info_from_summary (const TernMimeSummary *summary)
{
  TernMessageInfo *info = tern_message_info_new ();

  info->message_id = g_strdup (summary->message_id);
  info->in_reply_to = g_strdup (summary->in_reply_to);
  info->references = g_strdupv (summary->references);
  info->subject = g_strdup (summary->subject);
  info->from_name = g_strdup (summary->from_name);
  info->from_addr = g_strdup (summary->from_addr);
  info->to = g_strdup (summary->to);
  info->cc = g_strdup (summary->cc);
  info->date = summary->date;
  info->has_attachments = summary->has_attachments;
  info->preview = g_strdup (summary->preview);
  info->list_id = g_strdup (summary->list_id);
  info->body_text = g_strdup (summary->body_text);
  info->error = g_strdup (summary->error);
  return info;
}

typedef struct
{
  TernStore       *store;      /* held from the call until summarised */
  WriteFunc        write;      /* queued once the message is summarised */
  ResultKind       result_kind;
  gint64           folder_id;
  gint64           message_id;
  TernMessageInfo *info;
  GBytes          *raw;
} BodyData;

static void
body_data_free (BodyData *data)
{
  g_warn_if_fail (data->store == NULL);
  g_clear_pointer (&data->info, tern_message_info_free);
  g_clear_pointer (&data->raw, g_bytes_unref);
  g_free (data);
}

static gboolean
set_body_file (TernStore  *self,
               Txn        *txn,
               gint64      id,
               GBytes     *raw,
               GError    **error)
{
  g_autofree char *file_name = tern_store_body_file_name (id);
  sqlite3_stmt *stmt;

  if (!txn_write_file (self, txn, file_name, raw, error))
    return FALSE;
  stmt = writer_stmt (self, "UPDATE messages SET body_state = 2, body_file = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, file_name);
  sqlite3_bind_int64 (stmt, 2, id);
  return step_done (self, stmt, error);
}

static gboolean
add_message_func (TernStore  *self,
                  Txn        *txn,
                  gpointer    user_data,
                  GError    **error)
{
  BodyData *data = user_data;
  g_autofree char *account_id = NULL;
  gint64 id;

  if (folder_account (self, data->folder_id, &account_id, error) == 0)
    return FALSE;
  if (message_exists (self, data->folder_id, data->info, error))
    {
      if (error != NULL && *error != NULL)
        return FALSE;
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_FAILED,
                   "The message is already stored in this folder");
      return FALSE;
    }
  id = insert_message (self, txn, data->folder_id, account_id, data->info, 2, error);
  if (id == 0 || !set_body_file (self, txn, id, data->raw, error))
    return FALSE;
  set_result_int (txn, id);
  return TRUE;
}

static void
summarise_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  BodyData *data = task_data;
  g_autoptr(TernMimeSummary) summary = tern_mime_summary_new_from_bytes (data->raw);
  TernMessageInfo *server = data->info;

  data->info = info_from_summary (summary);
  if (server != NULL)
    {
      data->info->uid = server->uid;
      data->info->uidl = g_strdup (server->uidl);
      data->info->flags = server->flags;
      data->info->keywords = g_strdup (server->keywords);
      data->info->internal_date = server->internal_date;
      tern_message_info_free (server);
    }
  if (data->info->internal_date == 0)
    data->info->internal_date = g_get_real_time () / G_USEC_PER_SEC;
  data->info->size = g_bytes_get_size (data->raw);
  g_task_return_boolean (task, TRUE);
}

static void
summarised_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  BodyData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(TernStore) self = g_steal_pointer (&data->store);
  BodyData *copy = g_new0 (BodyData, 1);

  /* The summary is ready: hand the data to the writer, which completes @task. */
  copy->folder_id = data->folder_id;
  copy->message_id = data->message_id;
  copy->info = g_steal_pointer (&data->info);
  copy->raw = g_steal_pointer (&data->raw);
  queue_op (self, data->write, copy, (GDestroyNotify) body_data_free, data->result_kind,
            g_steal_pointer (&task));
}

/* Summarises DATA's message on a worker thread (GMime parsing of a large
 * message must not hold up the writer or the UI), then queues DATA->write. */
static void
summarise_then_write (TernStore    *self,
                      BodyData     *data,
                      GTask        *task,
                      GCancellable *cancellable)
{
  g_autoptr(GTask) summarise = g_task_new (NULL, cancellable, summarised_cb, task);

  data->store = g_object_ref (self);
  g_task_set_task_data (summarise, data, (GDestroyNotify) body_data_free);
  g_task_run_in_thread (summarise, summarise_thread);
}

/**
 * tern_store_add_message_async:
 * @server_info: (nullable): what the server said of the message (UID or
 *   UIDL, flags, internal date); the rest comes from the message itself
 *
 * Summarises @raw off the main thread and stores it with its file. When it
 * completes, the message is durable: the file was flushed before its row was
 * committed with synchronous=FULL.
 */
void
tern_store_add_message_async (TernStore              *self,
                              gint64                  folder_id,
                              const TernMessageInfo  *server_info,
                              GBytes                 *raw,
                              GCancellable           *cancellable,
                              GAsyncReadyCallback     callback,
                              gpointer                user_data)
{
  BodyData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (raw != NULL);

  data = g_new0 (BodyData, 1);
  data->write = add_message_func;
  data->result_kind = RESULT_INT;
  data->folder_id = folder_id;
  data->info = server_info ? tern_message_info_copy (server_info) : NULL;
  data->raw = g_bytes_ref (raw);
  summarise_then_write (self, data,
                        new_task (self, tern_store_add_message_async, cancellable, callback, user_data),
                        cancellable);
}

gint64
tern_store_add_message_finish (TernStore     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

static gboolean
set_body_func (TernStore  *self,
               Txn        *txn,
               gpointer    user_data,
               GError    **error)
{
  BodyData *data = user_data;
  sqlite3_stmt *stmt;
  gint64 folder_id;
  gint64 date;
  guint flags;

  stmt = writer_stmt (self, "SELECT folder_id, date, flags FROM messages WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, data->message_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND,
                   "The message was removed before its body arrived");
      return FALSE;
    }
  folder_id = sqlite3_column_int64 (stmt, 0);
  date = sqlite3_column_int64 (stmt, 1);
  flags = sqlite3_column_int (stmt, 2);
  sqlite3_reset (stmt);

  if (!set_body_file (self, txn, data->message_id, data->raw, error))
    return FALSE;

  stmt = writer_stmt (self, "UPDATE messages SET has_attachments = ?, preview = coalesce(?, preview),"
                            " error = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, data->info->has_attachments ? 1 : 0);
  bind_text (stmt, 2, data->info->preview);
  bind_text (stmt, 3, data->info->error);
  sqlite3_bind_int64 (stmt, 4, data->message_id);
  if (!step_done (self, stmt, error))
    return FALSE;

  stmt = writer_stmt (self, "UPDATE messages_fts SET body = ? WHERE rowid = ?", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, data->info->body_text);
  sqlite3_bind_int64 (stmt, 2, data->message_id);
  if (!step_done (self, stmt, error))
    return FALSE;

  tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_UPDATED, data->message_id, folder_id, date, flags);
  return TRUE;
}

void
tern_store_set_body_async (TernStore           *self,
                           gint64               message_id,
                           GBytes              *raw,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  BodyData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (raw != NULL);

  data = g_new0 (BodyData, 1);
  data->write = set_body_func;
  data->result_kind = RESULT_BOOLEAN;
  data->message_id = message_id;
  data->raw = g_bytes_ref (raw);
  summarise_then_write (self, data,
                        new_task (self, tern_store_set_body_async, cancellable, callback, user_data),
                        cancellable);
}

gboolean
tern_store_set_body_finish (TernStore     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Flags, deletes and moves */

typedef struct
{
  GArray *ids;
  guint   add;
  guint   remove;
  gint64  folder_id;
} ChangeData;

static void
change_data_free (ChangeData *data)
{
  g_array_unref (data->ids);
  g_free (data);
}

static gboolean
update_flags_func (TernStore  *self,
                   Txn        *txn,
                   gpointer    user_data,
                   GError    **error)
{
  ChangeData *data = user_data;

  for (guint i = 0; i < data->ids->len; i++)
    {
      gint64 id = g_array_index (data->ids, gint64, i);
      sqlite3_stmt *stmt = writer_stmt (self, "UPDATE messages SET flags = (flags | ?1) & ~?2"
                                              " WHERE id = ?3 AND flags != ((flags | ?1) & ~?2)"
                                              " RETURNING folder_id, date, flags", error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int (stmt, 1, data->add);
      sqlite3_bind_int (stmt, 2, data->remove);
      sqlite3_bind_int64 (stmt, 3, id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_UPDATED, id,
                                        sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1),
                                        sqlite3_column_int (stmt, 2));
      if (rc == SQLITE_ROW)
        rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          g_propagate_error (error, sqlite_error (self->writer, rc, "Changing flags failed"));
          return FALSE;
        }
    }
  return TRUE;
}

void
tern_store_update_flags_async (TernStore           *self,
                               GArray              *message_ids,
                               guint                add,
                               guint                remove,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  ChangeData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (message_ids != NULL);

  data = g_new0 (ChangeData, 1);
  data->ids = g_array_ref (message_ids);
  data->add = add;
  data->remove = remove;
  queue_op (self, update_flags_func, data, (GDestroyNotify) change_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_update_flags_async, cancellable, callback, user_data));
}

gboolean
tern_store_update_flags_finish (TernStore     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
delete_messages_func (TernStore  *self,
                      Txn        *txn,
                      gpointer    user_data,
                      GError    **error)
{
  ChangeData *data = user_data;

  for (guint i = 0; i < data->ids->len; i++)
    {
      gint64 id = g_array_index (data->ids, gint64, i);
      sqlite3_stmt *stmt = writer_stmt (self, "DELETE FROM messages WHERE id = ? RETURNING folder_id, date, flags, body_file", error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_REMOVED, id,
                                          sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1),
                                          sqlite3_column_int (stmt, 2));
          if (sqlite3_column_text (stmt, 3) != NULL)
            g_ptr_array_add (txn->unlink_after_commit,
                             g_build_filename (self->data_dir, (const char *) sqlite3_column_text (stmt, 3), NULL));
          rc = sqlite3_step (stmt);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          g_propagate_error (error, sqlite_error (self->writer, rc, "Deleting a message failed"));
          return FALSE;
        }
    }
  return TRUE;
}

void
tern_store_delete_messages_async (TernStore           *self,
                                  GArray              *message_ids,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ChangeData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (message_ids != NULL);

  data = g_new0 (ChangeData, 1);
  data->ids = g_array_ref (message_ids);
  queue_op (self, delete_messages_func, data, (GDestroyNotify) change_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_delete_messages_async, cancellable, callback, user_data));
}

gboolean
tern_store_delete_messages_finish (TernStore     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
move_messages_func (TernStore  *self,
                    Txn        *txn,
                    gpointer    user_data,
                    GError    **error)
{
  ChangeData *data = user_data;
  g_autofree char *account_id = NULL;

  if (folder_account (self, data->folder_id, &account_id, error) == 0)
    return FALSE;

  for (guint i = 0; i < data->ids->len; i++)
    {
      gint64 id = g_array_index (data->ids, gint64, i);
      sqlite3_stmt *stmt;
      gint64 old_folder;
      gint64 date;
      guint flags;
      int rc;

      stmt = writer_stmt (self, "SELECT folder_id, date, flags FROM messages WHERE id = ? AND account_id = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      bind_text (stmt, 2, account_id);
      rc = sqlite3_step (stmt);
      old_folder = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
      date = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 1) : 0;
      flags = rc == SQLITE_ROW ? sqlite3_column_int (stmt, 2) : 0;
      sqlite3_reset (stmt);
      if (old_folder == 0 || old_folder == data->folder_id)
        continue;

      /* The UID in the new folder is unknown until the server says it. */
      stmt = writer_stmt (self, "UPDATE messages SET folder_id = ?, uid = NULL WHERE id = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, data->folder_id);
      sqlite3_bind_int64 (stmt, 2, id);
      if (!step_done (self, stmt, error))
        return FALSE;
      tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_REMOVED, id, old_folder, date, flags);
      tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_ADDED, id, data->folder_id, date, flags);
    }
  return TRUE;
}

void
tern_store_move_messages_async (TernStore           *self,
                                GArray              *message_ids,
                                gint64               folder_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  ChangeData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (message_ids != NULL);

  data = g_new0 (ChangeData, 1);
  data->ids = g_array_ref (message_ids);
  data->folder_id = folder_id;
  queue_op (self, move_messages_func, data, (GDestroyNotify) change_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_move_messages_async, cancellable, callback, user_data));
}

gboolean
tern_store_move_messages_finish (TernStore     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
flush_func (TernStore  *self,
            Txn        *txn,
            gpointer    data,
            GError    **error)
{
  return TRUE;
}

void
tern_store_flush_async (TernStore           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (TERN_IS_STORE (self));

  queue_op (self, flush_func, NULL, NULL, RESULT_BOOLEAN,
            new_task (self, tern_store_flush_async, cancellable, callback, user_data));
}

gboolean
tern_store_flush_finish (TernStore     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* IMAP folder state */

typedef struct
{
  gint64  folder_id;
  guint32 uidvalidity;
  guint32 uidnext;
  guint64 highestmodseq;
} SyncStateData;

static gboolean
set_folder_sync_state_func (TernStore  *self,
                            Txn        *txn,
                            gpointer    user_data,
                            GError    **error)
{
  SyncStateData *data = user_data;
  sqlite3_stmt *stmt = writer_stmt (self, "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ?"
                                          " WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, data->uidvalidity);
  sqlite3_bind_int64 (stmt, 2, data->uidnext);
  sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) data->highestmodseq);
  sqlite3_bind_int64 (stmt, 4, data->folder_id);
  if (!step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (txn->db) == 0)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND, "No folder %" G_GINT64_FORMAT, data->folder_id);
      return FALSE;
    }
  return TRUE;
}

void
tern_store_set_folder_sync_state_async (TernStore           *self,
                                        gint64               folder_id,
                                        guint32              uidvalidity,
                                        guint32              uidnext,
                                        guint64              highestmodseq,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  SyncStateData *data;

  g_return_if_fail (TERN_IS_STORE (self));

  data = g_new0 (SyncStateData, 1);
  data->folder_id = folder_id;
  data->uidvalidity = uidvalidity;
  data->uidnext = uidnext;
  data->highestmodseq = highestmodseq;
  queue_op (self, set_folder_sync_state_func, data, g_free, RESULT_BOOLEAN,
            new_task (self, tern_store_set_folder_sync_state_async, cancellable, callback, user_data));
}

gboolean
tern_store_set_folder_sync_state_finish (TernStore     *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
reset_folder_func (TernStore  *self,
                   Txn        *txn,
                   gpointer    user_data,
                   GError    **error)
{
  SyncStateData *data = user_data;
  ChangeData remove = { 0 };
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = writer_stmt (self, "SELECT id FROM messages WHERE folder_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  remove.ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_bind_int64 (stmt, 1, data->folder_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (remove.ids, id);
    }
  sqlite3_reset (stmt);
  ok = delete_messages_func (self, txn, &remove, error);
  g_array_unref (remove.ids);
  if (!ok)
    return FALSE;

  /* Queued actions name UIDs of the old UIDVALIDITY: they must never reach
   * the messages that now carry those UIDs. */
  stmt = writer_stmt (self, "DELETE FROM pending_ops WHERE folder_id = ? AND uids IS NOT NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, data->folder_id);
  if (!step_done (self, stmt, error))
    return FALSE;

  data->uidnext = 0;
  data->highestmodseq = 0;
  if (!set_folder_sync_state_func (self, txn, data, error))
    return FALSE;
  tern_store_changes_add_folder (txn->changes, data->folder_id);
  return TRUE;
}

void
tern_store_reset_folder_async (TernStore           *self,
                               gint64               folder_id,
                               guint32              uidvalidity,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  SyncStateData *data;

  g_return_if_fail (TERN_IS_STORE (self));

  data = g_new0 (SyncStateData, 1);
  data->folder_id = folder_id;
  data->uidvalidity = uidvalidity;
  queue_op (self, reset_folder_func, data, g_free, RESULT_BOOLEAN,
            new_task (self, tern_store_reset_folder_async, cancellable, callback, user_data));
}

gboolean
tern_store_reset_folder_finish (TernStore     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
