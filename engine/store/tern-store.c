/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-store"
#define _GNU_SOURCE  /* syncfs() */

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
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
  GThread          *reader_thread;    /* the thread that opened the store */
  GMutex            readers_lock;
  GHashTable       *thread_readers;   /* GThread → sqlite3, for worker threads */
  char             *db_path;
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
  g_mutex_clear (&self->readers_lock);
  g_free (self->db_path);
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
  g_mutex_init (&self->readers_lock);
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
  self->reader_thread = g_thread_self ();
  self->db_path = g_strdup (db_path);

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
  g_mutex_lock (&self->readers_lock);
  g_clear_pointer (&self->thread_readers, g_hash_table_unref);
  g_mutex_unlock (&self->readers_lock);

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

/* The thread that opened the store reads through self->reader; another
 * thread (an account worker) gets a connection of its own, kept until
 * tern_store_release_thread_reader() or the store closes. */
sqlite3 *
tern_store_get_reader (TernStore *self)
{
  GThread *thread = g_thread_self ();
  sqlite3 *reader;

  g_return_val_if_fail (TERN_IS_STORE (self), NULL);

  if (thread == self->reader_thread || self->db_path == NULL)
    return self->reader;

  g_mutex_lock (&self->readers_lock);
  if (self->thread_readers == NULL && !self->closed)
    self->thread_readers = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                                  (GDestroyNotify) sqlite3_close);
  reader = self->thread_readers != NULL ? g_hash_table_lookup (self->thread_readers, thread) : NULL;
  if (reader == NULL && self->thread_readers != NULL)
    {
      g_autoptr(GError) error = NULL;

      reader = open_connection (self->db_path, FALSE, &error);
      if (reader == NULL)
        g_warning ("%s", error->message);
      else
        g_hash_table_insert (self->thread_readers, thread, reader);
    }
  g_mutex_unlock (&self->readers_lock);
  return reader;
}

void
tern_store_release_thread_reader (TernStore *self)
{
  g_return_if_fail (TERN_IS_STORE (self));

  g_mutex_lock (&self->readers_lock);
  if (self->thread_readers != NULL)
    g_hash_table_remove (self->thread_readers, g_thread_self ());
  g_mutex_unlock (&self->readers_lock);
}

char *
tern_store_dup_body_path (TernStore *self,
                          gint64     message_id)
{
  sqlite3_stmt *stmt = NULL;
  char *path = NULL;

  g_return_val_if_fail (TERN_IS_STORE (self), NULL);

  if (sqlite3_prepare_v2 (tern_store_get_reader (self), "SELECT body_file FROM messages WHERE id = ? AND body_state = 2",
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

  if (sqlite3_prepare_v2 (tern_store_get_reader (self), "SELECT id FROM folders WHERE account_id = ? AND path = ?",
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

  if (sqlite3_prepare_v2 (tern_store_get_reader (self), "SELECT uidvalidity, uidnext, highestmodseq FROM folders WHERE id = ?",
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

  if (sqlite3_prepare_v2 (tern_store_get_reader (self), "SELECT uid, flags, id FROM messages WHERE folder_id = ?"
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
      if (!exists)
        {
          /* Moved or expunged here while a sync read the server: the
           * queued action removes it there too; it must not come back. */
          stmt = writer_stmt (self, "SELECT 1 FROM pending_ops WHERE folder_id = ?1 AND kind IN ('move', 'expunge')"
                                    " AND (' ' || message_rows || ' ') LIKE ('%:' || ?2 || ' %')", error);
          if (stmt == NULL)
            return TRUE;
          sqlite3_bind_int64 (stmt, 1, folder_id);
          sqlite3_bind_int64 (stmt, 2, info->uid);
          exists = sqlite3_step (stmt) == SQLITE_ROW;
          sqlite3_reset (stmt);
        }
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
  GArray  *ids;
  guint    add;
  guint    remove;
  gint64   folder_id;
  gboolean keep_queued;   /* leave rows with queued actions alone (a sync's view is older) */
} ChangeData;

/* Whether a queued action names row ID: its local state is newer than
 * what a sync read from the server. */
static gboolean
row_has_queued_action (TernStore  *self,
                       gint64      id,
                       gboolean   *queued,
                       GError    **error)
{
  sqlite3_stmt *stmt = writer_stmt (self, "SELECT 1 FROM pending_ops"
                                          " WHERE (' ' || message_rows || ' ') LIKE ('% ' || ? || ':%') LIMIT 1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      g_propagate_error (error, sqlite_error (self->writer, rc, "Reading the queued actions failed"));
      return FALSE;
    }
  *queued = rc == SQLITE_ROW;
  return TRUE;
}

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
      sqlite3_stmt *stmt;
      gboolean queued = FALSE;
      int rc;

      if (data->keep_queued && !row_has_queued_action (self, id, &queued, error))
        return FALSE;
      if (queued)
        continue;
      stmt = writer_stmt (self, "UPDATE messages SET flags = (flags | ?1) & ~?2"
                                              " WHERE id = ?3 AND flags != ((flags | ?1) & ~?2)"
                                              " RETURNING folder_id, date, flags", error);
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
  data->keep_queued = TRUE;
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

/* Offline actions: applied here at once, queued for the server in the same
 * transaction, replayed by the worker and completed (or given up) by it. */

typedef struct
{
  TernStoreActionKind kind;
  GArray             *ids;
  guint               add;
  guint               remove;
  gint64              folder_id;
} ActionData;

static void
action_data_free (ActionData *data)
{
  g_array_unref (data->ids);
  g_free (data);
}

/* "id:uid id:uid", the rows an action names and their UIDs in its folder
 * (0 while an earlier queued move has not told the UID yet). */
static char *
format_action_rows (GArray *rows)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++)
    {
      TernStoreUid *row = &g_array_index (rows, TernStoreUid, i);

      g_string_append_printf (text, "%s%" G_GINT64_FORMAT ":%u", i ? " " : "", row->id, row->uid);
    }
  return g_string_free (text, FALSE);
}

static GArray *
parse_action_rows (const char *text)
{
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (TernStoreUid));
  g_auto(GStrv) items = g_strsplit (text != NULL ? text : "", " ", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      TernStoreUid row = { 0 };
      char *end = NULL;

      row.id = g_ascii_strtoll (items[i], &end, 10);
      if (row.id <= 0 || end == NULL || *end != ':')
        continue;
      row.uid = (guint32) g_ascii_strtoull (end + 1, NULL, 10);
      g_array_append_val (rows, row);
    }
  return rows;
}

/* Whether an earlier queued action (a move into a folder) still owes the
 * UID of row ID. */
static gboolean
row_awaits_uid (TernStore   *self,
                const char  *account_id,
                gint64       id,
                gboolean    *awaits,
                GError     **error)
{
  sqlite3_stmt *stmt = writer_stmt (self, "SELECT 1 FROM pending_ops WHERE account_id = ?1 AND kind IN ('move', 'copy')"
                                          " AND (' ' || message_rows || ' ') LIKE ('% ' || ?2 || ':%')", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, account_id);
  sqlite3_bind_int64 (stmt, 2, id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      g_propagate_error (error, sqlite_error (self->writer, rc, "Reading the queued actions failed"));
      return FALSE;
    }
  *awaits = rc == SQLITE_ROW;
  return TRUE;
}

typedef struct
{
  gint64  folder_id;
  char   *account_id;
  guint32 uidvalidity;
  char   *role;
  gboolean local;
  GArray *rows;        /* TernStoreUid of the rows the server must hear of */
  GArray *all_ids;     /* every row, for the local change */
} ActionGroup;

static void
action_group_free (ActionGroup *group)
{
  g_free (group->account_id);
  g_free (group->role);
  g_array_unref (group->rows);
  g_array_unref (group->all_ids);
  g_free (group);
}

/* The rows of IDS grouped by the folder they are in. */
static GPtrArray *
group_rows_by_folder (TernStore  *self,
                      GArray     *ids,
                      GError    **error)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) action_group_free);
  g_autoptr(GHashTable) by_folder = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      sqlite3_stmt *stmt = writer_stmt (self, "SELECT m.folder_id, m.uid, f.account_id, f.uidvalidity, f.role, f.local"
                                              " FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?", error);
      ActionGroup *group;
      TernStoreUid row = { .id = id };
      gint64 folder_id;
      gboolean has_uid;

      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, id);
      if (sqlite3_step (stmt) != SQLITE_ROW)
        {
          sqlite3_reset (stmt);
          continue;   /* gone meanwhile: nothing to do */
        }
      folder_id = sqlite3_column_int64 (stmt, 0);
      has_uid = sqlite3_column_type (stmt, 1) != SQLITE_NULL && sqlite3_column_int64 (stmt, 1) > 0;
      row.uid = has_uid ? (guint32) sqlite3_column_int64 (stmt, 1) : 0;
      group = g_hash_table_lookup (by_folder, &folder_id);
      if (group == NULL)
        {
          group = g_new0 (ActionGroup, 1);
          group->folder_id = folder_id;
          group->account_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
          group->uidvalidity = (guint32) sqlite3_column_int64 (stmt, 3);
          group->role = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
          group->local = sqlite3_column_int (stmt, 5) != 0;
          group->rows = g_array_new (FALSE, TRUE, sizeof (TernStoreUid));
          group->all_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_ptr_array_add (groups, group);
          g_hash_table_insert (by_folder, &group->folder_id, group);
        }
      sqlite3_reset (stmt);
      g_array_append_val (group->all_ids, id);

      if (group->local)
        continue;
      if (!has_uid)
        {
          gboolean awaits = FALSE;

          /* A message without a UID that no queued move will name is not
           * on the server (yet): the change stays here. */
          if (!row_awaits_uid (self, group->account_id, id, &awaits, error))
            return NULL;
          if (!awaits)
            continue;
        }
      g_array_append_val (group->rows, row);
    }
  return g_steal_pointer (&groups);
}

static gboolean
queue_pending_op (TernStore    *self,
                  ActionGroup  *group,
                  const char   *kind,
                  const char   *args,
                  GError      **error)
{
  g_autofree char *rows = NULL;
  sqlite3_stmt *stmt;

  if (group->local || group->rows->len == 0)
    return TRUE;
  rows = format_action_rows (group->rows);
  stmt = writer_stmt (self, "INSERT INTO pending_ops (account_id, kind, folder_id, uidvalidity, message_rows, args, created)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, group->account_id);
  bind_text (stmt, 2, kind);
  sqlite3_bind_int64 (stmt, 3, group->folder_id);
  sqlite3_bind_int64 (stmt, 4, group->uidvalidity);
  bind_text (stmt, 5, rows);
  bind_text (stmt, 6, args);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time () / G_USEC_PER_SEC);
  return step_done (self, stmt, error);
}

/* The account's folder with ROLE, or 0. */
static gint64
account_role_folder (TernStore   *self,
                     const char  *account_id,
                     const char  *role,
                     GError     **error)
{
  sqlite3_stmt *stmt = writer_stmt (self, "SELECT id FROM folders WHERE account_id = ? AND role = ? ORDER BY id LIMIT 1", error);
  gint64 id = 0;

  if (stmt == NULL)
    return -1;
  bind_text (stmt, 1, account_id);
  bind_text (stmt, 2, role);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return id;
}

/* Copies row ID into TO_FOLDER (no UID yet, its body file copied);
 * returns the new row's id. */
static gint64
copy_row (TernStore   *self,
          Txn         *txn,
          gint64       id,
          gint64       to_folder,
          GError     **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *body_file = NULL;
  gint64 copy = 0;
  gint64 date = 0;
  guint flags = 0;

  stmt = writer_stmt (self, "INSERT INTO messages (account_id, folder_id, message_id, in_reply_to, refs, thread_id,"
                            " thread_subject, subject, from_name, from_addr, to_list, cc_list, date, internal_date,"
                            " size, flags, keywords, has_attachments, preview, list_id, error)"
                            " SELECT account_id, ?1, message_id, in_reply_to, refs, thread_id, thread_subject, subject,"
                            " from_name, from_addr, to_list, cc_list, date, internal_date, size, flags, keywords,"
                            " has_attachments, preview, list_id, error FROM messages WHERE id = ?2"
                            " RETURNING id, date, flags", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, to_folder);
  sqlite3_bind_int64 (stmt, 2, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      copy = sqlite3_column_int64 (stmt, 0);
      date = sqlite3_column_int64 (stmt, 1);
      flags = (guint) sqlite3_column_int (stmt, 2);
      sqlite3_step (stmt);
    }
  sqlite3_reset (stmt);
  if (copy == 0)
    {
      g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND, "The message is no longer here");
      return 0;
    }
  count_added (txn, to_folder, flags);
  tern_store_changes_add_message (txn->changes, TERN_STORE_CHANGE_ADDED, copy, to_folder, date, flags);

  stmt = writer_stmt (self, "INSERT INTO messages_fts (rowid, subject, addresses, body)"
                            " SELECT ?1, subject, addresses, body FROM messages_fts WHERE rowid = ?2", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, copy);
  sqlite3_bind_int64 (stmt, 2, id);
  if (!step_done (self, stmt, error))
    return 0;
  stmt = writer_stmt (self, "INSERT INTO message_refs (account_id, ref, message_row)"
                            " SELECT account_id, ref, ?1 FROM message_refs WHERE message_row = ?2", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, copy);
  sqlite3_bind_int64 (stmt, 2, id);
  if (!step_done (self, stmt, error))
    return 0;

  stmt = writer_stmt (self, "SELECT body_file FROM messages WHERE id = ? AND body_state = 2", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    body_file = g_build_filename (self->data_dir, (const char *) sqlite3_column_text (stmt, 0), NULL);
  sqlite3_reset (stmt);
  if (body_file != NULL)
    {
      g_autoptr(GMappedFile) mapped = g_mapped_file_new (body_file, FALSE, NULL);
      g_autoptr(GBytes) bytes = mapped != NULL ? g_mapped_file_get_bytes (mapped) : NULL;

      /* Without its file the copy is a summary, fetched again when opened. */
      if (bytes != NULL && !set_body_file (self, txn, copy, bytes, error))
        return 0;
    }
  return copy;
}

static gboolean
apply_copy (TernStore    *self,
            Txn          *txn,
            ActionGroup  *group,
            gint64        to_folder,
            GError      **error)
{
  g_autoptr(GArray) copies = g_array_new (FALSE, TRUE, sizeof (TernStoreUid));
  g_autofree char *args = NULL;
  g_autofree char *rows = NULL;
  sqlite3_stmt *stmt;

  for (guint i = 0; i < group->all_ids->len; i++)
    {
      gint64 id = g_array_index (group->all_ids, gint64, i);
      gint64 copy = copy_row (self, txn, id, to_folder, error);

      if (copy == 0)
        return FALSE;
      /* The server hears of the rows that have a UID: the copy's row with
       * its source's UID, so COPYUID names the copy's new UID. */
      for (guint j = 0; j < group->rows->len; j++)
        if (g_array_index (group->rows, TernStoreUid, j).id == id && g_array_index (group->rows, TernStoreUid, j).uid > 0)
          {
            TernStoreUid row = { .id = copy, .uid = g_array_index (group->rows, TernStoreUid, j).uid };

            g_array_append_val (copies, row);
          }
    }
  if (group->local || copies->len == 0)
    return TRUE;
  rows = format_action_rows (copies);
  args = g_strdup_printf ("{\"to\":%" G_GINT64_FORMAT "}", to_folder);
  stmt = writer_stmt (self, "INSERT INTO pending_ops (account_id, kind, folder_id, uidvalidity, message_rows, args, created)"
                            " VALUES (?, 'copy', ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, group->account_id);
  sqlite3_bind_int64 (stmt, 2, group->folder_id);
  sqlite3_bind_int64 (stmt, 3, group->uidvalidity);
  bind_text (stmt, 4, rows);
  bind_text (stmt, 5, args);
  sqlite3_bind_int64 (stmt, 6, g_get_real_time () / G_USEC_PER_SEC);
  return step_done (self, stmt, error);
}

static gboolean
apply_move (TernStore    *self,
            Txn          *txn,
            ActionGroup  *group,
            gint64        to_folder,
            GError      **error)
{
  ChangeData change = { .ids = group->all_ids, .folder_id = to_folder };
  g_autofree char *args = NULL;

  if (to_folder == group->folder_id)
    return TRUE;
  args = g_strdup_printf ("{\"to\":%" G_GINT64_FORMAT "}", to_folder);
  return queue_pending_op (self, group, "move", args, error) &&
         move_messages_func (self, txn, &change, error);
}

static gboolean
apply_expunge (TernStore    *self,
               Txn          *txn,
               ActionGroup  *group,
               GError      **error)
{
  ChangeData change = { .ids = group->all_ids };

  return queue_pending_op (self, group, "expunge", NULL, error) &&
         delete_messages_func (self, txn, &change, error);
}

static gboolean
apply_action_func (TernStore  *self,
                   Txn        *txn,
                   gpointer    user_data,
                   GError    **error)
{
  ActionData *data = user_data;
  g_autoptr(GPtrArray) groups = group_rows_by_folder (self, data->ids, error);
  g_autofree char *to_account = NULL;

  if (groups == NULL)
    return FALSE;
  if ((data->kind == TERN_STORE_ACTION_MOVE || data->kind == TERN_STORE_ACTION_COPY) &&
      folder_account (self, data->folder_id, &to_account, error) == 0)
    return FALSE;

  for (guint i = 0; i < groups->len; i++)
    {
      ActionGroup *group = g_ptr_array_index (groups, i);

      switch (data->kind)
        {
        case TERN_STORE_ACTION_SET_FLAGS:
          {
            ChangeData change = { .ids = group->all_ids, .add = data->add, .remove = data->remove };
            g_autofree char *args = g_strdup_printf ("{\"add\":%u,\"remove\":%u}", data->add, data->remove);

            if (!queue_pending_op (self, group, "flags", args, error) ||
                !update_flags_func (self, txn, &change, error))
              return FALSE;
          }
          break;

        case TERN_STORE_ACTION_MOVE:
          if (g_strcmp0 (to_account, group->account_id) != 0)
            {
              g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_FAILED,
                           "Messages can only be moved within their account");
              return FALSE;
            }
          if (!apply_move (self, txn, group, data->folder_id, error))
            return FALSE;
          break;

        case TERN_STORE_ACTION_COPY:
          if (g_strcmp0 (to_account, group->account_id) != 0)
            {
              g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_FAILED,
                           "Messages can only be copied within their account");
              return FALSE;
            }
          if (!apply_copy (self, txn, group, data->folder_id, error))
            return FALSE;
          break;

        case TERN_STORE_ACTION_TRASH:
          {
            gint64 trash = account_role_folder (self, group->account_id, "trash", error);

            if (trash < 0)
              return FALSE;
            if (trash == 0 || trash == group->folder_id)
              {
                if (!apply_expunge (self, txn, group, error))
                  return FALSE;
              }
            else if (!apply_move (self, txn, group, trash, error))
              return FALSE;
          }
          break;

        case TERN_STORE_ACTION_EXPUNGE:
          if (!apply_expunge (self, txn, group, error))
            return FALSE;
          break;

        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

/**
 * tern_store_apply_action_async:
 * @kind: what to do
 * @message_ids: (element-type gint64): the messages
 * @add: %TERN_STORE_ACTION_SET_FLAGS: the flags to set
 * @remove: %TERN_STORE_ACTION_SET_FLAGS: the flags to clear
 * @folder_id: %TERN_STORE_ACTION_MOVE: the destination, in the same account
 *
 * A person's action. In one transaction the store changes here (so every
 * view shows it at once) and, for messages that live on a server, queues
 * what the server must be told; the account worker replays the queue.
 */
void
tern_store_apply_action_async (TernStore           *self,
                               TernStoreActionKind  kind,
                               GArray              *message_ids,
                               guint                add,
                               guint                remove,
                               gint64               folder_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  ActionData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (message_ids != NULL);

  data = g_new0 (ActionData, 1);
  data->kind = kind;
  data->ids = g_array_ref (message_ids);
  data->add = add;
  data->remove = remove;
  data->folder_id = folder_id;
  queue_op (self, apply_action_func, data, (GDestroyNotify) action_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_apply_action_async, cancellable, callback, user_data));
}

gboolean
tern_store_apply_action_finish (TernStore     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tern_store_pending_action_free (TernStorePendingAction *action)
{
  if (action == NULL)
    return;
  g_free (action->account_id);
  g_free (action->last_error);
  g_free (action->path);
  g_free (action->new_path);
  g_clear_pointer (&action->rows, g_array_unref);
  g_free (action);
}

static gint64
json_int_member (const char *args,
                 const char *name)
{
  g_autofree char *key = g_strdup_printf ("\"%s\":", name);
  const char *found = args != NULL ? strstr (args, key) : NULL;

  return found != NULL ? g_ascii_strtoll (found + strlen (key), NULL, 10) : 0;
}

static gboolean
parse_folder_args (const char             *args,
                   TernStorePendingAction *action)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  if (args == NULL || !json_parser_load_from_data (parser, args, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  object = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (object, "path"))
    return FALSE;
  action->path = g_strdup (json_object_get_string_member (object, "path"));
  if (json_object_has_member (object, "to"))
    action->new_path = g_strdup (json_object_get_string_member (object, "to"));
  return action->path != NULL;
}

GPtrArray *
tern_store_list_pending_actions (TernStore  *self,
                                 const char *account_id)
{
  GPtrArray *actions = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_store_pending_action_free);
  sqlite3_stmt *stmt = NULL;

  g_return_val_if_fail (TERN_IS_STORE (self), actions);

  if (sqlite3_prepare_v2 (tern_store_get_reader (self),
                          "SELECT id, account_id, kind, folder_id, uidvalidity, message_rows, args, attempts, last_error"
                          " FROM pending_ops WHERE account_id = ? ORDER BY id",
                          -1, &stmt, NULL) != SQLITE_OK)
    return actions;
  bind_text (stmt, 1, account_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      TernStorePendingAction *action = g_new0 (TernStorePendingAction, 1);
      const char *kind = (const char *) sqlite3_column_text (stmt, 2);
      const char *args = (const char *) sqlite3_column_text (stmt, 6);

      action->id = sqlite3_column_int64 (stmt, 0);
      action->account_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      action->folder_id = sqlite3_column_int64 (stmt, 3);
      action->uidvalidity = (guint32) sqlite3_column_int64 (stmt, 4);
      action->rows = parse_action_rows ((const char *) sqlite3_column_text (stmt, 5));
      action->attempts = (guint) sqlite3_column_int (stmt, 7);
      action->last_error = g_strdup ((const char *) sqlite3_column_text (stmt, 8));
      if (g_strcmp0 (kind, "flags") == 0)
        {
          action->kind = TERN_STORE_ACTION_SET_FLAGS;
          action->add = (guint) json_int_member (args, "add");
          action->remove = (guint) json_int_member (args, "remove");
        }
      else if (g_strcmp0 (kind, "move") == 0 || g_strcmp0 (kind, "copy") == 0)
        {
          action->kind = g_strcmp0 (kind, "move") == 0 ? TERN_STORE_ACTION_MOVE : TERN_STORE_ACTION_COPY;
          action->to_folder_id = json_int_member (args, "to");
        }
      else if (g_strcmp0 (kind, "expunge") == 0)
        action->kind = TERN_STORE_ACTION_EXPUNGE;
      else if (g_str_has_suffix (kind != NULL ? kind : "", "-folder") && parse_folder_args (args, action))
        action->kind = g_str_equal (kind, "create-folder") ? TERN_STORE_ACTION_CREATE_FOLDER :
                       g_str_equal (kind, "rename-folder") ? TERN_STORE_ACTION_RENAME_FOLDER :
                       TERN_STORE_ACTION_DELETE_FOLDER;
      else
        {
          /* Written by a newer Tern: left for it. */
          tern_store_pending_action_free (action);
          continue;
        }
      g_ptr_array_add (actions, action);
    }
  sqlite3_finalize (stmt);
  return actions;
}

guint
tern_store_count_pending_actions (TernStore  *self,
                                  const char *account_id)
{
  sqlite3_stmt *stmt = NULL;
  guint n = 0;

  g_return_val_if_fail (TERN_IS_STORE (self), 0);

  if (sqlite3_prepare_v2 (tern_store_get_reader (self),
                          "SELECT count(*) FROM pending_ops WHERE account_id = ?", -1, &stmt, NULL) != SQLITE_OK)
    return 0;
  bind_text (stmt, 1, account_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

typedef struct
{
  gint64  action_id;
  GArray *mapping;     /* TernStoreUid: row and its UID in the destination */
  char   *error;
  gboolean give_up;
} FinishActionData;

static void
finish_action_data_free (FinishActionData *data)
{
  g_clear_pointer (&data->mapping, g_array_unref);
  g_free (data->error);
  g_free (data);
}

/* Gives ROW's new UID to the later queued actions that wait for it; TRUE if
 * one did. */
static gboolean
hand_uid_to_later_actions (TernStore   *self,
                           const char  *account_id,
                           gint64       after,
                           gint64       to_folder,
                           TernStoreUid *row,
                           gboolean    *handed,
                           GError     **error)
{
  g_autofree char *needle = g_strdup_printf ("%" G_GINT64_FORMAT ":0", row->id);
  g_autofree char *replacement = g_strdup_printf ("%" G_GINT64_FORMAT ":%u", row->id, row->uid);
  sqlite3_stmt *stmt;

  stmt = writer_stmt (self, "UPDATE pending_ops SET message_rows = trim(replace(' ' || message_rows || ' ', ' ' || ?1 || ' ', ' ' || ?2 || ' '))"
                            " WHERE account_id = ?3 AND id > ?4 AND folder_id = ?5"
                            " AND (' ' || message_rows || ' ') LIKE ('% ' || ?1 || ' %')", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, needle);
  bind_text (stmt, 2, replacement);
  bind_text (stmt, 3, account_id);
  sqlite3_bind_int64 (stmt, 4, after);
  sqlite3_bind_int64 (stmt, 5, to_folder);
  if (!step_done (self, stmt, error))
    return FALSE;
  *handed = sqlite3_changes (self->writer) > 0;
  return TRUE;
}

static gboolean
complete_action_func (TernStore  *self,
                      Txn        *txn,
                      gpointer    user_data,
                      GError    **error)
{
  FinishActionData *data = user_data;
  sqlite3_stmt *stmt;
  g_autofree char *account_id = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *args = NULL;
  g_autofree char *rows_text = NULL;
  g_autoptr(GArray) rows = NULL;
  gint64 to_folder;

  stmt = writer_stmt (self, "DELETE FROM pending_ops WHERE id = ? RETURNING account_id, kind, args, message_rows", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, data->action_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      account_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      kind = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      args = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      rows_text = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      sqlite3_step (stmt);
    }
  sqlite3_reset (stmt);
  if (account_id == NULL)
    return TRUE;   /* completed before (a replay after a crash) */
  /* Given up, a move or copy leaves no row behind without a UID: the next
   * sync shows the server's truth. */
  if (g_strcmp0 (kind, "move") != 0 && g_strcmp0 (kind, "copy") != 0)
    return TRUE;

  /* A move: the moved rows learn their UIDs in the destination, or hand
   * them to the actions queued after this one. A row the server named no
   * UID for is dropped here; the next sync brings it back with its UID. */
  to_folder = json_int_member (args, "to");
  rows = parse_action_rows (rows_text);
  for (guint i = 0; i < rows->len; i++)
    {
      TernStoreUid *row = &g_array_index (rows, TernStoreUid, i);
      TernStoreUid *mapped = NULL;
      gboolean handed = FALSE;

      for (guint j = 0; data->mapping != NULL && j < data->mapping->len; j++)
        if (g_array_index (data->mapping, TernStoreUid, j).id == row->id)
          mapped = &g_array_index (data->mapping, TernStoreUid, j);

      if (mapped != NULL && mapped->uid > 0)
        {
          if (!hand_uid_to_later_actions (self, account_id, data->action_id, to_folder, mapped, &handed, error))
            return FALSE;
          stmt = writer_stmt (self, "UPDATE OR IGNORE messages SET uid = ? WHERE id = ? AND folder_id = ? AND uid IS NULL", error);
          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_int64 (stmt, 1, mapped->uid);
          sqlite3_bind_int64 (stmt, 2, mapped->id);
          sqlite3_bind_int64 (stmt, 3, to_folder);
          if (!step_done (self, stmt, error))
            return FALSE;
        }
      else
        {
          gboolean awaits = FALSE;

          if (!row_awaits_uid (self, account_id, row->id, &awaits, error))
            return FALSE;
          if (!awaits)
            {
              ChangeData change = { .ids = g_array_new (FALSE, FALSE, sizeof (gint64)) };
              gboolean ok;

              stmt = writer_stmt (self, "SELECT 1 FROM messages WHERE id = ? AND folder_id = ? AND uid IS NULL", error);
              if (stmt == NULL)
                {
                  g_array_unref (change.ids);
                  return FALSE;
                }
              sqlite3_bind_int64 (stmt, 1, row->id);
              sqlite3_bind_int64 (stmt, 2, to_folder);
              if (sqlite3_step (stmt) == SQLITE_ROW)
                g_array_append_val (change.ids, row->id);
              sqlite3_reset (stmt);
              ok = delete_messages_func (self, txn, &change, error);
              g_array_unref (change.ids);
              if (!ok)
                return FALSE;
            }
        }
    }
  return TRUE;
}

/**
 * tern_store_complete_action_async:
 * @action_id: a #TernStorePendingAction's id
 * @mapping: (nullable) (element-type TernStoreUid): for a move, each row's
 *   UID in the destination, as the server told (COPYUID)
 *
 * The server has done the action: it leaves the queue. Completing an
 * action twice does nothing.
 */
void
tern_store_complete_action_async (TernStore           *self,
                                  gint64               action_id,
                                  GArray              *mapping,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  FinishActionData *data;

  g_return_if_fail (TERN_IS_STORE (self));

  data = g_new0 (FinishActionData, 1);
  data->action_id = action_id;
  data->mapping = mapping != NULL ? g_array_ref (mapping) : NULL;
  queue_op (self, complete_action_func, data, (GDestroyNotify) finish_action_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_complete_action_async, cancellable, callback, user_data));
}

gboolean
tern_store_complete_action_finish (TernStore     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
fail_action_func (TernStore  *self,
                  Txn        *txn,
                  gpointer    user_data,
                  GError    **error)
{
  FinishActionData *data = user_data;
  sqlite3_stmt *stmt;

  if (data->give_up)
    return complete_action_func (self, txn, data, error);
  stmt = writer_stmt (self, "UPDATE pending_ops SET attempts = attempts + 1, last_error = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, data->error);
  sqlite3_bind_int64 (stmt, 2, data->action_id);
  return step_done (self, stmt, error);
}

/**
 * tern_store_fail_action_async:
 * @reason: what the server said, for the person
 * @give_up: drop the action (the server will never accept it)
 *
 * The server refused the action: it is counted and kept for the next
 * replay, or dropped when @give_up.
 */
void
tern_store_fail_action_async (TernStore           *self,
                              gint64               action_id,
                              const char          *reason,
                              gboolean             give_up,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  FinishActionData *data;

  g_return_if_fail (TERN_IS_STORE (self));

  data = g_new0 (FinishActionData, 1);
  data->action_id = action_id;
  data->error = g_strdup (reason);
  data->give_up = give_up;
  queue_op (self, fail_action_func, data, (GDestroyNotify) finish_action_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_fail_action_async, cancellable, callback, user_data));
}

gboolean
tern_store_fail_action_finish (TernStore     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Folder actions: created, renamed or deleted here at once and, for a
 * server's folders, queued like message actions. */

typedef struct
{
  TernStoreActionKind kind;
  char               *account_id;
  char               *path;
  char               *new_path;
  char               *delimiter;
} FolderActionData;

static void
folder_action_data_free (FolderActionData *data)
{
  g_free (data->account_id);
  g_free (data->path);
  g_free (data->new_path);
  g_free (data->delimiter);
  g_free (data);
}

static char *
folder_action_args (const char *path,
                    const char *new_path)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  if (new_path != NULL)
    {
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, new_path);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
queue_folder_op (TernStore   *self,
                 const char  *account_id,
                 const char  *kind,
                 const char  *path,
                 const char  *new_path,
                 GError     **error)
{
  g_autofree char *args = folder_action_args (path, new_path);
  sqlite3_stmt *stmt = writer_stmt (self, "INSERT INTO pending_ops (account_id, kind, args, created) VALUES (?, ?, ?, ?)",
                                    error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, account_id);
  bind_text (stmt, 2, kind);
  bind_text (stmt, 3, args);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  return step_done (self, stmt, error);
}

/* The folder PATH and those below it, deepest first: (id, path, local). */
static GPtrArray *
folder_and_children (TernStore   *self,
                     const char  *account_id,
                     const char  *path,
                     gint64      *folder_id,
                     gboolean    *local,
                     char       **delimiter,
                     GError     **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = writer_stmt (self, "SELECT id, local, delimiter FROM folders WHERE account_id = ? AND path = ?", error);

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, account_id);
  bind_text (stmt, 2, path);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *folder_id = sqlite3_column_int64 (stmt, 0);
      *local = sqlite3_column_int (stmt, 1) != 0;
      *delimiter = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  if (*folder_id == 0)
    {
      /* A parent the server lists only as a name (\Noselect): its children
       * say what it is. */
      stmt = writer_stmt (self, "SELECT local, delimiter FROM folders WHERE account_id = ?1 AND delimiter IS NOT NULL"
                                " AND substr(path, 1, length(?2) + length(delimiter)) = ?2 || delimiter LIMIT 1", error);
      if (stmt == NULL)
        return NULL;
      bind_text (stmt, 1, account_id);
      bind_text (stmt, 2, path);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          *local = sqlite3_column_int (stmt, 0) != 0;
          *delimiter = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
        }
      sqlite3_reset (stmt);
      if (*delimiter == NULL)
        {
          g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND, "There is no folder “%s”", path);
          return NULL;
        }
    }

  if (*delimiter != NULL && **delimiter != '\0')
    {
      g_autofree char *prefix = g_strconcat (path, *delimiter, NULL);

      stmt = writer_stmt (self, "SELECT path FROM folders WHERE account_id = ? AND substr(path, 1, length(?2)) = ?2"
                                " ORDER BY length(path) DESC", error);
      if (stmt == NULL)
        return NULL;
      bind_text (stmt, 1, account_id);
      bind_text (stmt, 2, prefix);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (paths, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      sqlite3_reset (stmt);
    }
  g_ptr_array_add (paths, g_strdup (path));
  return g_steal_pointer (&paths);
}

static gboolean
delete_folder_rows (TernStore   *self,
                    Txn         *txn,
                    const char  *account_id,
                    const char  *path,
                    GError     **error)
{
  ChangeData remove = { 0 };
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = writer_stmt (self, "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id"
                            " WHERE f.account_id = ? AND f.path = ?", error);
  if (stmt == NULL)
    return FALSE;
  remove.ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  bind_text (stmt, 1, account_id);
  bind_text (stmt, 2, path);
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

  /* Queued actions on its messages cannot happen any more. */
  stmt = writer_stmt (self, "DELETE FROM pending_ops WHERE folder_id IN"
                            " (SELECT id FROM folders WHERE account_id = ? AND path = ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, account_id);
  bind_text (stmt, 2, path);
  if (!step_done (self, stmt, error))
    return FALSE;

  stmt = writer_stmt (self, "DELETE FROM folders WHERE account_id = ? AND path = ?", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, account_id);
  bind_text (stmt, 2, path);
  if (!step_done (self, stmt, error))
    return FALSE;
  txn->changes->folders_added_or_removed = TRUE;
  return TRUE;
}

static gboolean
rename_folder_rows (TernStore   *self,
                    Txn         *txn,
                    const char  *account_id,
                    const char  *path,
                    const char  *new_path,
                    const char  *delimiter,
                    GPtrArray   *paths,
                    GError     **error)
{
  for (guint i = 0; i < paths->len; i++)
    {
      const char *old = g_ptr_array_index (paths, i);
      g_autofree char *renamed = g_strconcat (new_path, old + strlen (path), NULL);
      g_autofree char *name = NULL;
      g_autofree char *parent = NULL;
      const char *last = delimiter != NULL && *delimiter ? g_strrstr (renamed, delimiter) : NULL;
      sqlite3_stmt *stmt;

      if (last != NULL && last != renamed && last[strlen (delimiter)] != '\0')
        {
          name = g_strdup (last + strlen (delimiter));
          parent = g_strndup (renamed, last - renamed);
        }
      else
        name = g_strdup (renamed);
      stmt = writer_stmt (self, "UPDATE folders SET path = ?, name = ?, parent_path = ? WHERE account_id = ? AND path = ?",
                          error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, renamed);
      bind_text (stmt, 2, name);
      bind_text (stmt, 3, parent);
      bind_text (stmt, 4, account_id);
      bind_text (stmt, 5, old);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  txn->changes->folders_added_or_removed = TRUE;
  return TRUE;
}

static gboolean
apply_folder_action_func (TernStore  *self,
                          Txn        *txn,
                          gpointer    user_data,
                          GError    **error)
{
  FolderActionData *data = user_data;
  g_autoptr(GPtrArray) paths = NULL;
  g_autofree char *delimiter = NULL;
  gboolean local = FALSE;
  gint64 folder_id = 0;

  if (data->kind == TERN_STORE_ACTION_CREATE_FOLDER)
    {
      g_autoptr(TernFolderInfo) info = tern_folder_info_new (data->account_id, data->path, data->delimiter, NULL);
      sqlite3_stmt *stmt = writer_stmt (self, "SELECT max(local) FROM folders WHERE account_id = ?", error);

      if (stmt == NULL)
        return FALSE;
      /* An account whose folders are all here (POP3) gets a local one. */
      bind_text (stmt, 1, data->account_id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        info->local = sqlite3_column_int (stmt, 0) != 0;
      sqlite3_reset (stmt);
      stmt = writer_stmt (self, "SELECT 1 FROM folders WHERE account_id = ? AND path = ?", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, data->account_id);
      bind_text (stmt, 2, data->path);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          sqlite3_reset (stmt);
          g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_FAILED, "A folder “%s” exists already", data->path);
          return FALSE;
        }
      sqlite3_reset (stmt);
      if (!ensure_folder_func (self, txn, info, error))
        return FALSE;
      return info->local || queue_folder_op (self, data->account_id, "create-folder", data->path, NULL, error);
    }

  paths = folder_and_children (self, data->account_id, data->path, &folder_id, &local, &delimiter, error);
  if (paths == NULL)
    return FALSE;
  if (data->kind == TERN_STORE_ACTION_RENAME_FOLDER)
    {
      sqlite3_stmt *stmt = writer_stmt (self, "SELECT 1 FROM folders WHERE account_id = ? AND path = ?", error);
      gboolean taken;

      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, data->account_id);
      bind_text (stmt, 2, data->new_path);
      taken = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_reset (stmt);
      if (taken)
        {
          g_set_error (error, TERN_STORE_ERROR, TERN_STORE_ERROR_FAILED, "A folder “%s” exists already", data->new_path);
          return FALSE;
        }
      return rename_folder_rows (self, txn, data->account_id, data->path, data->new_path, delimiter, paths, error) &&
             (local || queue_folder_op (self, data->account_id, "rename-folder", data->path, data->new_path, error));
    }

  /* Deepest first, so the server never holds a child of a deleted folder. */
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);

      if (!delete_folder_rows (self, txn, data->account_id, path, error))
        return FALSE;
      if (!local && !queue_folder_op (self, data->account_id, "delete-folder", path, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * tern_store_apply_folder_action_async:
 * @kind: %TERN_STORE_ACTION_CREATE_FOLDER, _RENAME_FOLDER or _DELETE_FOLDER
 * @path: the folder (UTF-8, full path)
 * @new_path: (nullable): for a rename, the new full path
 * @delimiter: (nullable): for a create, the hierarchy delimiter
 *
 * Like tern_store_apply_action_async() for folders: done here at once, and
 * queued for the server unless the account's folders are local (POP3).
 * Renaming and deleting take the folders below along; deleting removes
 * their messages here.
 */
void
tern_store_apply_folder_action_async (TernStore           *self,
                                      TernStoreActionKind  kind,
                                      const char          *account_id,
                                      const char          *path,
                                      const char          *new_path,
                                      const char          *delimiter,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  FolderActionData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (kind == TERN_STORE_ACTION_CREATE_FOLDER || kind == TERN_STORE_ACTION_RENAME_FOLDER ||
                    kind == TERN_STORE_ACTION_DELETE_FOLDER);
  g_return_if_fail (account_id != NULL && path != NULL && *path != '\0');
  g_return_if_fail (kind != TERN_STORE_ACTION_RENAME_FOLDER || (new_path != NULL && *new_path != '\0'));

  data = g_new0 (FolderActionData, 1);
  data->kind = kind;
  data->account_id = g_strdup (account_id);
  data->path = g_strdup (path);
  data->new_path = g_strdup (new_path);
  data->delimiter = g_strdup (delimiter);
  queue_op (self, apply_folder_action_func, data, (GDestroyNotify) folder_action_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_apply_folder_action_async, cancellable, callback, user_data));
}

gboolean
tern_store_apply_folder_action_finish (TernStore     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  char      *account_id;
  GPtrArray *paths;
} PruneData;

static void
prune_data_free (PruneData *data)
{
  g_free (data->account_id);
  g_ptr_array_unref (data->paths);
  g_free (data);
}

static gboolean
prune_folders_func (TernStore  *self,
                    Txn        *txn,
                    gpointer    user_data,
                    GError    **error)
{
  PruneData *data = user_data;
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;

  for (guint i = 0; i < data->paths->len; i++)
    g_hash_table_add (listed, g_ptr_array_index (data->paths, i));

  /* A folder made here and not yet on the server stays. */
  stmt = writer_stmt (self, "SELECT path FROM folders WHERE account_id = ?1 AND local = 0 AND NOT EXISTS"
                            " (SELECT 1 FROM pending_ops p WHERE p.account_id = ?1"
                            "  AND p.kind IN ('create-folder', 'rename-folder'))", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, data->account_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *path = (const char *) sqlite3_column_text (stmt, 0);

      if (!g_hash_table_contains (listed, path))
        g_ptr_array_add (gone, g_strdup (path));
    }
  sqlite3_reset (stmt);
  for (guint i = 0; i < gone->len; i++)
    if (!delete_folder_rows (self, txn, data->account_id, g_ptr_array_index (gone, i), error))
      return FALSE;
  return TRUE;
}

/**
 * tern_store_prune_folders_async:
 * @paths: (element-type utf8): every folder the server listed
 *
 * Removes the account's server folders (and their messages) that the
 * server no longer lists. Does nothing while folder actions are queued.
 */
void
tern_store_prune_folders_async (TernStore           *self,
                                const char          *account_id,
                                GPtrArray           *paths,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  PruneData *data;

  g_return_if_fail (TERN_IS_STORE (self));
  g_return_if_fail (paths != NULL);

  data = g_new0 (PruneData, 1);
  data->account_id = g_strdup (account_id);
  data->paths = g_ptr_array_ref (paths);
  queue_op (self, prune_folders_func, data, (GDestroyNotify) prune_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_prune_folders_async, cancellable, callback, user_data));
}

gboolean
tern_store_prune_folders_finish (TernStore     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Quota */

typedef struct
{
  char   *account_id;
  guint64 used;
  guint64 limit;
} QuotaData;

static void
quota_data_free (QuotaData *data)
{
  g_free (data->account_id);
  g_free (data);
}

static gboolean
set_quota_func (TernStore  *self,
                Txn        *txn,
                gpointer    user_data,
                GError    **error)
{
  QuotaData *data = user_data;
  sqlite3_stmt *stmt = writer_stmt (self, "UPDATE accounts SET quota_used = ?, quota_limit = ?, quota_updated = ?"
                                          " WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) data->used);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) data->limit);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  bind_text (stmt, 4, data->account_id);
  return step_done (self, stmt, error);
}

/**
 * tern_store_set_quota_async:
 * @used_kib: storage in use, KiB
 * @limit_kib: the limit, KiB
 *
 * Remembers what the server said of the account's quota.
 */
void
tern_store_set_quota_async (TernStore           *self,
                            const char          *account_id,
                            guint64              used_kib,
                            guint64              limit_kib,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  QuotaData *data;

  g_return_if_fail (TERN_IS_STORE (self));

  data = g_new0 (QuotaData, 1);
  data->account_id = g_strdup (account_id);
  data->used = used_kib;
  data->limit = limit_kib;
  queue_op (self, set_quota_func, data, (GDestroyNotify) quota_data_free, RESULT_BOOLEAN,
            new_task (self, tern_store_set_quota_async, cancellable, callback, user_data));
}

gboolean
tern_store_set_quota_finish (TernStore     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
tern_store_get_quota (TernStore  *self,
                      const char *account_id,
                      guint64    *used_kib,
                      guint64    *limit_kib,
                      gint64     *updated)
{
  sqlite3_stmt *stmt = NULL;
  gboolean found = FALSE;

  g_return_val_if_fail (TERN_IS_STORE (self), FALSE);

  if (sqlite3_prepare_v2 (tern_store_get_reader (self),
                          "SELECT quota_used, quota_limit, quota_updated FROM accounts"
                          " WHERE id = ? AND quota_updated IS NOT NULL", -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  bind_text (stmt, 1, account_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      if (used_kib != NULL)
        *used_kib = (guint64) sqlite3_column_int64 (stmt, 0);
      if (limit_kib != NULL)
        *limit_kib = (guint64) sqlite3_column_int64 (stmt, 1);
      if (updated != NULL)
        *updated = sqlite3_column_int64 (stmt, 2);
    }
  sqlite3_finalize (stmt);
  return found;
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
  stmt = writer_stmt (self, "DELETE FROM pending_ops WHERE folder_id = ?", error);
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
