/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-session"

#include <string.h>

#include "tern-imap-session.h"

G_DEFINE_QUARK (tern-imap-session-error-quark, tern_imap_session_error)

struct _TernImapSession
{
  GObject          parent_instance;

  TernAccount     *account;
  TernConnection  *connection;
  TernImapParser  *parser;
  TernImapTags     tags;

  char           **capabilities;      /* NULL: not known under this generation */
  guint            capability_generation;
  GPtrArray       *enabled;           /* of char*, upper case */
  gboolean         authenticated;
  gboolean         utf8;
  gboolean         in_starttls;       /* untagged data now is never believed */
  gboolean         bye;

  GTask           *current;
  GQueue           waiting;

  GTask           *idle_run;          /* the IDLE command's run, queued or running */
  gboolean         tolerate_done_bad; /* a DONE may have crossed the server's end of IDLE */
  gboolean         writing_done;      /* the next command waits for DONE's write */
};

G_DEFINE_FINAL_TYPE (TernImapSession, tern_imap_session, G_TYPE_OBJECT)

enum {
  ALERT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
server_name (TernImapSession *self)
{
  return tern_account_get_host (self->account);
}

static void
close_quietly (TernImapSession *self)
{
  if (tern_connection_is_connected (self->connection))
    tern_connection_close_async (self->connection, NULL, NULL, NULL);
}

static void
forget_state (TernImapSession *self)
{
  g_clear_pointer (&self->capabilities, g_strfreev);
  g_ptr_array_set_size (self->enabled, 0);
  self->utf8 = FALSE;
  g_clear_pointer (&self->parser, tern_imap_parser_free);
  self->parser = tern_imap_parser_new (NULL);
}

/* Reading one response */

static void read_step (GTask *task);

static void
got_line_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TernImapSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) line = tern_connection_read_line_finish (TERN_CONNECTION (object), result, &error);

  if (line == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  tern_imap_parser_feed (self->parser, g_bytes_get_data (line, NULL), g_bytes_get_size (line));
  tern_imap_parser_feed (self->parser, (const guint8 *) "\r\n", 2);
  read_step (g_steal_pointer (&task));
}

static void
got_bytes_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TernImapSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = tern_connection_read_bytes_finish (TERN_CONNECTION (object), result, &error);

  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  tern_imap_parser_feed (self->parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_step (g_steal_pointer (&task));
}

static void
read_step (GTask *task)
{
  TernImapSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  TernImapResponse *response = tern_imap_parser_next (self->parser, &error);
  guint64 received, total;

  if (response != NULL)
    {
      g_task_return_pointer (task, response, (GDestroyNotify) tern_imap_response_unref);
      g_object_unref (task);
      return;
    }
  if (error != NULL)
    {
      g_debug ("%s: unreadable response: %s", server_name (self), error->message);
      close_quietly (self);
      g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_PROTOCOL,
                               "The server %s sent a response Tern cannot read; the connection was closed",
                               server_name (self));
      g_object_unref (task);
      return;
    }
  if (tern_imap_parser_get_literal_progress (self->parser, &received, &total) && total > received)
    tern_connection_read_bytes_async (self->connection, (gsize) (total - received),
                                      g_task_get_cancellable (task), got_bytes_cb, task);
  else
    tern_connection_read_line_async (self->connection, g_task_get_cancellable (task), got_line_cb, task);
}

static void
read_response_async (TernImapSession     *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, read_response_async);
  read_step (task);
}

static TernImapResponse *
read_response_finish (TernImapSession  *self,
                      GAsyncResult     *result,
                      GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* What every response tells the session, whoever asked */

static void
set_capabilities (TernImapSession    *self,
                  const char * const *strv)
{
  if (self->in_starttls)
    return;
  g_strfreev (self->capabilities);
  self->capabilities = g_strdupv ((char **) strv);
  self->capability_generation = tern_connection_get_generation (self->connection);
}

static void
see_code (TernImapSession *self,
          TernImapCode    *code,
          const char      *text)
{
  if (code == NULL || self->in_starttls)
    return;
  if (code->kind == TERN_IMAP_CODE_CAPABILITY && code->strv != NULL)
    set_capabilities (self, (const char * const *) code->strv);
  /* An alert before TLS may come from anyone on the path. */
  else if (code->kind == TERN_IMAP_CODE_ALERT && tern_connection_is_tls (self->connection))
    g_signal_emit (self, signals[ALERT], 0, text != NULL ? text : "");
}

static void
see_untagged (TernImapSession  *self,
              TernImapResponse *response)
{
  switch (response->kind)
    {
    case TERN_IMAP_RESPONSE_CAPABILITY:
      if (response->strv != NULL)
        set_capabilities (self, (const char * const *) response->strv);
      break;
    case TERN_IMAP_RESPONSE_STATUS:
      if (response->status == TERN_IMAP_STATUS_BYE)
        self->bye = TRUE;
      see_code (self, response->code, response->text);
      break;
    case TERN_IMAP_RESPONSE_ENABLED:
      for (guint i = 0; response->strv != NULL && response->strv[i] != NULL; i++)
        g_ptr_array_add (self->enabled, g_ascii_strup (response->strv[i], -1));
      break;
    default:
      break;
    }
}

/* Running commands, one at a time */

typedef struct
{
  TernImapCommand       *command;
  char                  *name;
  char                  *redacted;
  GBytes                *continuation_reply;   /* AUTHENTICATE without SASL-IR */
  TernImapUntaggedFunc   func;
  gpointer               func_data;
  const TernImapCommandChunk *chunks;
  guint                  n_chunks;
  guint                  next_chunk;

  /* IDLE */
  gboolean               idle;
  gboolean               idling;          /* the server said "+": DONE may be sent */
  gboolean               stop_requested;
  gboolean               done_sent;
  guint                  saved_read_timeout;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_pointer (&data->command, tern_imap_command_free);
  g_free (data->name);
  g_free (data->redacted);
  g_clear_pointer (&data->continuation_reply, g_bytes_unref);
  g_free (data);
}

static void run_start (GTask *task);
static void run_internal_async (TernImapSession      *self,
                                TernImapCommand      *command,
                                const char           *redacted,
                                GBytes               *continuation_reply,
                                TernImapUntaggedFunc  func,
                                gpointer              func_data,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
static void run_send_chunk (GTask *task);

static void
run_complete (GTask *task)
{
  TernImapSession *self = g_task_get_source_object (task);
  GTask *next;

  g_assert (self->current == task);
  self->current = NULL;
  if (task == self->idle_run)
    {
      RunData *data = g_task_get_task_data (task);

      if (data->idling && !data->done_sent)
        tern_connection_set_read_timeout (self->connection, data->saved_read_timeout);
      self->tolerate_done_bad = data->done_sent;
      self->idle_run = NULL;
    }
  if (self->writing_done)
    return;
  next = g_queue_pop_head (&self->waiting);
  if (next != NULL)
    run_start (next);
}

static void
run_return_error (GTask  *task,
                  GError *error)
{
  g_object_ref (task);
  run_complete (task);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static GError *
wrap_read_error (TernImapSession *self,
                 GError          *error)
{
  if (self->bye && g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED))
    {
      g_error_free (error);
      return g_error_new (TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_BYE,
                          "The server %s ended the session", server_name (self));
    }
  return error;
}

/* IDLE (RFC 2177): DONE ends it. Between "+" and DONE, silence is normal,
 * so the read timeout is raised; DONE puts it back, so a server that does
 * not answer DONE is still caught in the usual time. */

#define IDLE_READ_TIMEOUT_MS ((TERN_IMAP_SESSION_IDLE_REFRESH_S + 120) * 1000)

static void
idle_done_written_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(TernImapSession) self = user_data;
  GTask *next;

  /* A failed write closes the connection; the pending read reports it. */
  tern_connection_write_finish (TERN_CONNECTION (object), result, NULL);
  self->writing_done = FALSE;
  if (self->current == NULL && (next = g_queue_pop_head (&self->waiting)) != NULL)
    run_start (next);
}

static void
idle_send_done (TernImapSession *self,
                RunData         *data)
{
  g_autoptr(GBytes) done = g_bytes_new_static ("DONE\r\n", 6);

  data->done_sent = TRUE;
  tern_connection_set_read_timeout (self->connection, data->saved_read_timeout);
  self->writing_done = TRUE;
  tern_connection_write_async (self->connection, done, NULL, NULL, idle_done_written_cb, g_object_ref (self));
}

static void
idle_begin (TernImapSession *self,
            RunData         *data)
{
  data->idling = TRUE;
  data->saved_read_timeout = tern_connection_get_read_timeout (self->connection);
  if (data->stop_requested)
    {
      idle_send_done (self, data);
      return;
    }
  if (data->saved_read_timeout != 0)
    tern_connection_set_read_timeout (self->connection, MAX (data->saved_read_timeout, IDLE_READ_TIMEOUT_MS));
}

static void
run_response_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  RunData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(TernImapResponse) response = read_response_finish (self, result, &error);

  if (response == NULL)
    {
      run_return_error (task, wrap_read_error (self, error));
      return;
    }

  switch (response->kind)
    {
    case TERN_IMAP_RESPONSE_TAGGED:
      if (g_strcmp0 (response->tag, tern_imap_command_get_tag (data->command)) != 0)
        {
          /* The server ended IDLE as Tern sent DONE: it answers the DONE
           * as a command of its own, once. */
          if (self->tolerate_done_bad && g_strcmp0 (response->tag, "DONE") == 0)
            {
              self->tolerate_done_bad = FALSE;
              read_response_async (self, g_task_get_cancellable (task), run_response_cb, task);
              return;
            }
          close_quietly (self);
          run_return_error (task, g_error_new (TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_PROTOCOL,
                                               "The server %s answered a command Tern did not send; "
                                               "the connection was closed", server_name (self)));
          return;
        }
      see_code (self, response->code, response->text);
      g_object_ref (task);
      run_complete (task);
      g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) tern_imap_response_unref);
      g_object_unref (task);
      return;

    case TERN_IMAP_RESPONSE_CONTINUATION:
      if (data->idle)
        {
          if (!data->idling)
            idle_begin (self, data);
          read_response_async (self, g_task_get_cancellable (task), run_response_cb, task);
          return;
        }
      if (data->next_chunk < data->n_chunks && data->chunks[data->next_chunk - 1].wait_for_continuation)
        {
          run_send_chunk (task);
          return;
        }
      if (data->continuation_reply != NULL)
        {
          g_autoptr(GBytes) reply = g_steal_pointer (&data->continuation_reply);

          data->n_chunks = 0;
          data->next_chunk = 0;
          /* Sent as a chunk of its own, redacted like the command. */
          tern_connection_write_async (self->connection, reply, data->redacted,
                                       g_task_get_cancellable (task), NULL, NULL);
          read_response_async (self, g_task_get_cancellable (task), run_response_cb, task);
          return;
        }
      close_quietly (self);
      run_return_error (task, g_error_new (TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_PROTOCOL,
                                           "The server %s asked for data Tern did not offer; "
                                           "the connection was closed", server_name (self)));
      return;

    default:
      if (!self->in_starttls)
        {
          see_untagged (self, response);
          if (data->func != NULL)
            data->func (response, data->func_data);
        }
      read_response_async (self, g_task_get_cancellable (task), run_response_cb, task);
      return;
    }
}

static void
run_wrote_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!tern_connection_write_finish (TERN_CONNECTION (object), result, &error))
    {
      run_return_error (task, error);
      return;
    }
  if (data->next_chunk < data->n_chunks && !data->chunks[data->next_chunk - 1].wait_for_continuation)
    run_send_chunk (task);
  else
    read_response_async (self, g_task_get_cancellable (task), run_response_cb, task);
}

static void
run_send_chunk (GTask *task)
{
  TernImapSession *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  const TernImapCommandChunk *chunk = &data->chunks[data->next_chunk++];

  tern_connection_write_async (self->connection, chunk->data, data->redacted,
                               g_task_get_cancellable (task), run_wrote_cb, task);
}

static void
run_start (GTask *task)
{
  TernImapSession *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);

  self->current = task;
  if (!tern_connection_is_connected (self->connection))
    {
      run_return_error (task, g_error_new (TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_NOT_CONNECTED,
                                           "Not connected to %s", server_name (self)));
      return;
    }
  data->chunks = tern_imap_command_get_chunks (data->command, &data->n_chunks);
  run_send_chunk (task);
}

static GTask *
run_task_new (TernImapSession      *self,
              TernImapCommand      *command,
              const char           *redacted,
              GBytes               *continuation_reply,
              TernImapUntaggedFunc  func,
              gpointer              func_data,
              GCancellable         *cancellable,
              GAsyncReadyCallback   callback,
              gpointer              user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RunData *data = g_new0 (RunData, 1);
  g_autofree char *text = tern_imap_command_to_string (command);
  const char *space = strchr (text, ' ');

  g_task_set_source_tag (task, run_internal_async);
  data->command = command;
  /* The command's name, for messages: "A7 UID FETCH 1:* …" → "UID FETCH". */
  data->name = g_strdup (space != NULL ? space + 1 : text);
  if (strchr (data->name, ' ') != NULL && !g_str_has_prefix (data->name, "UID "))
    *strchr (data->name, ' ') = '\0';
  else if (g_str_has_prefix (data->name, "UID ") && strchr (data->name + 4, ' ') != NULL)
    *strchr (data->name + 4, ' ') = '\0';
  data->redacted = g_strdup (redacted);
  data->continuation_reply = continuation_reply != NULL ? g_bytes_ref (continuation_reply) : NULL;
  data->func = func;
  data->func_data = func_data;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  return task;
}

static void
run_task_submit (TernImapSession *self,
                 GTask           *task)
{
  /* Another command ends IDLE first; it runs once the server said OK. */
  if (self->idle_run != NULL && task != self->idle_run)
    tern_imap_session_idle_stop (self);

  if (self->current != NULL || self->writing_done)
    g_queue_push_tail (&self->waiting, task);
  else
    run_start (task);
}

/* The tagged response, whatever its status; errors only for I/O. */
static void
run_internal_async (TernImapSession      *self,
                    TernImapCommand      *command,
                    const char           *redacted,
                    GBytes               *continuation_reply,
                    TernImapUntaggedFunc  func,
                    gpointer              func_data,
                    GCancellable         *cancellable,
                    GAsyncReadyCallback   callback,
                    gpointer              user_data)
{
  run_task_submit (self, run_task_new (self, command, redacted, continuation_reply, func, func_data,
                                       cancellable, callback, user_data));
}

static TernImapResponse *
run_internal_finish (TernImapSession  *self,
                     GAsyncResult     *result,
                     GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
run_get_name (GAsyncResult *result)
{
  RunData *data = g_task_get_task_data (G_TASK (result));

  return data->name;
}

/* The tagged OK, or an error for NO and BAD. */
static TernImapResponse *
run_ok_finish (TernImapSession  *self,
               GAsyncResult     *result,
               GError          **error)
{
  g_autoptr(TernImapResponse) tagged = run_internal_finish (self, result, error);

  if (tagged == NULL)
    return NULL;
  if (tagged->status != TERN_IMAP_STATUS_OK)
    {
      g_set_error (error, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_COMMAND_FAILED,
                   "The server %s refused the command %s", server_name (self), run_get_name (result));
      return NULL;
    }
  return g_steal_pointer (&tagged);
}

TernImapCommand *
tern_imap_session_new_command (TernImapSession *self,
                               const char      *name)
{
  g_autofree char *tag = NULL;
  TernImapCommand *command;

  g_return_val_if_fail (TERN_IS_IMAP_SESSION (self), NULL);

  tag = tern_imap_tags_next (&self->tags);
  command = tern_imap_command_new (tag, name);
  tern_imap_command_set_utf8 (command, self->utf8);
  if (tern_imap_session_has_capability (self, "LITERAL+"))
    tern_imap_command_set_literal_mode (command, TERN_IMAP_LITERAL_PLUS);
  else if (tern_imap_session_has_capability (self, "LITERAL-"))
    tern_imap_command_set_literal_mode (command, TERN_IMAP_LITERAL_MINUS);
  return command;
}

void
tern_imap_session_run_async (TernImapSession      *self,
                             TernImapCommand      *command,
                             const char           *redacted,
                             TernImapUntaggedFunc  func,
                             gpointer              func_data,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data)
{
  g_return_if_fail (TERN_IS_IMAP_SESSION (self));
  g_return_if_fail (command != NULL);

  run_internal_async (self, command, redacted, NULL, func, func_data, cancellable, callback, user_data);
}

TernImapResponse *
tern_imap_session_run_finish (TernImapSession  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return run_ok_finish (self, result, error);
}

/* GObject */

static void
tern_imap_session_finalize (GObject *object)
{
  TernImapSession *self = TERN_IMAP_SESSION (object);

  g_clear_object (&self->account);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->parser, tern_imap_parser_free);
  g_clear_pointer (&self->capabilities, g_strfreev);
  g_clear_pointer (&self->enabled, g_ptr_array_unref);
  G_OBJECT_CLASS (tern_imap_session_parent_class)->finalize (object);
}

static void
tern_imap_session_class_init (TernImapSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tern_imap_session_finalize;

  /**
   * TernImapSession::alert:
   * @text: what the server wants the person to read, plain text
   */
  signals[ALERT] = g_signal_new ("alert", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
tern_imap_session_init (TernImapSession *self)
{
  self->enabled = g_ptr_array_new_with_free_func (g_free);
  self->parser = tern_imap_parser_new (NULL);
  g_queue_init (&self->waiting);
  tern_imap_tags_init (&self->tags, "T");
}

TernImapSession *
tern_imap_session_new (TernAccount *account)
{
  TernImapSession *self;

  g_return_val_if_fail (TERN_IS_ACCOUNT (account), NULL);

  self = g_object_new (TERN_TYPE_IMAP_SESSION, NULL);
  self->account = g_object_ref (account);
  self->connection = tern_connection_new (tern_account_get_host (account),
                                          tern_account_get_port (account),
                                          tern_account_get_security (account),
                                          tern_account_get_ca_file (account),
                                          tern_account_get_pinned_sha256 (account));
  return self;
}

TernAccount *
tern_imap_session_get_account (TernImapSession *self)
{
  g_return_val_if_fail (TERN_IS_IMAP_SESSION (self), NULL);
  return self->account;
}

TernConnection *
tern_imap_session_get_connection (TernImapSession *self)
{
  g_return_val_if_fail (TERN_IS_IMAP_SESSION (self), NULL);
  return self->connection;
}

gboolean
tern_imap_session_has_capability (TernImapSession *self,
                                  const char      *capability)
{
  g_return_val_if_fail (TERN_IS_IMAP_SESSION (self), FALSE);

  if (self->capabilities == NULL
      || self->capability_generation != tern_connection_get_generation (self->connection))
    return FALSE;
  return tern_imap_strv_contains_nocase ((const char * const *) self->capabilities, capability);
}

gboolean
tern_imap_session_is_enabled (TernImapSession *self,
                              const char      *extension)
{
  g_return_val_if_fail (TERN_IS_IMAP_SESSION (self), FALSE);

  for (guint i = 0; i < self->enabled->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->enabled, i), extension) == 0)
      return TRUE;
  /* QRESYNC implies CONDSTORE (RFC 7162 §3.2.3). */
  if (g_ascii_strcasecmp (extension, "CONDSTORE") == 0)
    return tern_imap_session_is_enabled (self, "QRESYNC");
  return FALSE;
}

gboolean
tern_imap_session_is_authenticated (TernImapSession *self)
{
  g_return_val_if_fail (TERN_IS_IMAP_SESSION (self), FALSE);
  return self->authenticated && tern_connection_is_connected (self->connection);
}

static gboolean
capabilities_known (TernImapSession *self)
{
  return self->capabilities != NULL
         && self->capability_generation == tern_connection_get_generation (self->connection);
}

/* Connecting: greeting, STARTTLS, login, ID, ENABLE, NAMESPACE */

typedef enum
{
  STEP_CAPABILITY,
  STEP_STARTTLS,
  STEP_LOGIN,
  STEP_CAPABILITY_AFTER_LOGIN,
  STEP_ID,
  STEP_ENABLE,
  STEP_NAMESPACE,
  STEP_DONE,
} ConnectStep;

typedef struct
{
  char        *password;
  ConnectStep  step;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  if (data->password != NULL)
    memset (data->password, 0, strlen (data->password));
  g_free (data->password);
  g_free (data);
}

static void connect_next (GTask *task);

static void
connect_fail (GTask                *task,
              TernImapSessionError  code,
              const char           *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
connect_fail (GTask                *task,
              TernImapSessionError  code,
              const char           *format,
              ...)
{
  TernImapSession *self = g_task_get_source_object (task);
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  close_quietly (self);
  g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, code, "%s", message);
  g_object_unref (task);
}

static void
connect_error (GTask  *task,
               GError *error)
{
  TernImapSession *self = g_task_get_source_object (task);

  close_quietly (self);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
connect_step_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_internal_finish (self, result, &error);

  if (tagged == NULL)
    {
      connect_error (task, error);
      return;
    }

  switch (data->step)
    {
    case STEP_STARTTLS:
    default:
      g_assert_not_reached ();
      break;

    case STEP_LOGIN:
      if (tagged->status != TERN_IMAP_STATUS_OK)
        {
          if (tagged->code != NULL && tagged->code->kind == TERN_IMAP_CODE_UNAVAILABLE)
            connect_fail (task, TERN_IMAP_SESSION_ERROR_FAILED,
                          "The server %s cannot log you in right now; try again later", server_name (self));
          else
            connect_fail (task, TERN_IMAP_SESSION_ERROR_AUTH_FAILED,
                          "The server %s did not accept the user name or password for “%s”",
                          server_name (self), tern_account_get_username (self->account));
          return;
        }
      self->authenticated = TRUE;
      data->step = STEP_CAPABILITY_AFTER_LOGIN;
      break;

    case STEP_CAPABILITY:
    case STEP_CAPABILITY_AFTER_LOGIN:
      if (tagged->status != TERN_IMAP_STATUS_OK || !capabilities_known (self))
        {
          connect_fail (task, TERN_IMAP_SESSION_ERROR_PROTOCOL,
                        "The server %s did not say what it supports", server_name (self));
          return;
        }
      data->step = data->step == STEP_CAPABILITY ? STEP_STARTTLS : STEP_ID;
      break;

    case STEP_ID:
      data->step = STEP_ENABLE;
      break;

    case STEP_ENABLE:
      if (tern_imap_session_is_enabled (self, "UTF8=ACCEPT"))
        {
          self->utf8 = TRUE;
          tern_imap_parser_set_utf8_accept (self->parser, TRUE);
        }
      data->step = STEP_NAMESPACE;
      break;

    case STEP_NAMESPACE:
    case STEP_DONE:
      data->step = STEP_DONE;
      break;
    }
  connect_next (task);
}

static void
starttls_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!tern_connection_start_tls_finish (TERN_CONNECTION (object), result, &error))
    {
      connect_error (task, error);
      return;
    }
  /* A hard reset: nothing learned before the handshake counts. */
  forget_state (self);
  data->step = STEP_CAPABILITY;
  connect_next (task);
}

static void
starttls_reply_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_internal_finish (self, result, &error);

  self->in_starttls = FALSE;
  if (tagged == NULL)
    {
      connect_error (task, error);
      return;
    }
  if (tagged->status != TERN_IMAP_STATUS_OK)
    {
      connect_fail (task, TERN_IMAP_SESSION_ERROR_NO_TLS,
                    "The server %s refused to encrypt the connection; nothing was sent",
                    server_name (self));
      return;
    }
  if (tern_imap_parser_has_pending (self->parser))
    {
      connect_error (task, g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_INJECTION,
                                        "The server %s sent data before encryption started; "
                                        "the connection was closed", server_name (self)));
      return;
    }
  tern_connection_start_tls_async (self->connection, g_task_get_cancellable (task), starttls_done_cb, task);
}

static void
connect_login (GTask *task)
{
  TernImapSession *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);
  const char *user = tern_account_get_username (self->account);
  g_autoptr(GError) error = NULL;
  TernImapCommand *command;
  g_autofree char *redacted = NULL;

  if (!tern_connection_is_tls (self->connection)
      && tern_account_get_security (self->account) != TERN_SECURITY_NONE)
    {
      connect_fail (task, TERN_IMAP_SESSION_ERROR_NO_TLS,
                    "The connection to %s is not encrypted; the password was not sent", server_name (self));
      return;
    }
  if (tern_imap_session_has_capability (self, "LOGINDISABLED"))
    {
      connect_fail (task, TERN_IMAP_SESSION_ERROR_LOGIN_DISABLED,
                    "The server %s does not allow logging in on this connection", server_name (self));
      return;
    }
  if (data->password == NULL || user == NULL)
    {
      connect_fail (task, TERN_IMAP_SESSION_ERROR_AUTH_FAILED,
                    "No user name or password for %s", server_name (self));
      return;
    }

  if (tern_imap_session_has_capability (self, "AUTH=PLAIN"))
    {
      g_autofree char *plain = g_strdup_printf ("%c%s%c%s", 0, user, 0, data->password);
      gsize plain_len = 2 + strlen (user) + strlen (data->password);
      g_autofree char *encoded = g_base64_encode ((const guchar *) plain, plain_len);
      g_autoptr(GBytes) reply = NULL;

      memset (plain, 0, plain_len);
      command = tern_imap_session_new_command (self, "AUTHENTICATE");
      tern_imap_command_add_atom (command, "PLAIN");
      redacted = g_strdup_printf ("%s AUTHENTICATE PLAIN " TERN_PROTOCOL_LOG_REDACTED,
                                  tern_imap_command_get_tag (command));
      if (tern_imap_session_has_capability (self, "SASL-IR"))
        tern_imap_command_add_raw (command, encoded);
      else
        {
          char *line = g_strconcat (encoded, "\r\n", NULL);

          reply = g_bytes_new_with_free_func (line, strlen (line), g_free, line);
        }
      memset (encoded, 0, strlen (encoded));
      data->step = STEP_LOGIN;
      run_internal_async (self, command, redacted, reply, NULL, NULL, g_task_get_cancellable (task),
                          connect_step_done_cb, task);
      return;
    }

  command = tern_imap_session_new_command (self, "LOGIN");
  if (!tern_imap_command_add_string (command, user, -1, &error)
      || !tern_imap_command_add_secret (command, data->password, &error))
    {
      tern_imap_command_free (command);
      connect_fail (task, TERN_IMAP_SESSION_ERROR_AUTH_FAILED,
                    "The user name or password for %s cannot be sent to an IMAP server", server_name (self));
      return;
    }
  redacted = g_strdup_printf ("%s LOGIN " TERN_PROTOCOL_LOG_REDACTED, tern_imap_command_get_tag (command));
  data->step = STEP_LOGIN;
  run_internal_async (self, command, redacted, NULL, NULL, NULL, g_task_get_cancellable (task),
                      connect_step_done_cb, task);
}

static void
connect_next (GTask *task)
{
  TernImapSession *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  TernImapCommand *command;

  for (;;)
    {
      switch (data->step)
        {
        case STEP_CAPABILITY:
        case STEP_CAPABILITY_AFTER_LOGIN:
          if (capabilities_known (self))
            {
              data->step = data->step == STEP_CAPABILITY ? STEP_STARTTLS : STEP_ID;
              continue;
            }
          run_internal_async (self, tern_imap_session_new_command (self, "CAPABILITY"), NULL, NULL, NULL, NULL,
                              cancellable, connect_step_done_cb, task);
          return;

        case STEP_STARTTLS:
          if (tern_account_get_security (self->account) == TERN_SECURITY_STARTTLS
              && !tern_connection_is_tls (self->connection))
            {
              if (!tern_imap_session_has_capability (self, "STARTTLS"))
                {
                  connect_fail (task, TERN_IMAP_SESSION_ERROR_NO_TLS,
                                "The server %s does not offer encryption (STARTTLS); nothing was sent",
                                server_name (self));
                  return;
                }
              self->in_starttls = TRUE;
              run_internal_async (self, tern_imap_session_new_command (self, "STARTTLS"), NULL, NULL, NULL, NULL,
                                  cancellable, starttls_reply_cb, task);
              return;
            }
          data->step = self->authenticated ? STEP_ID : STEP_LOGIN;
          continue;

        case STEP_LOGIN:
          connect_login (task);
          return;

        case STEP_ID:
          if (!tern_imap_session_has_capability (self, "ID"))
            {
              data->step = STEP_ENABLE;
              continue;
            }
          command = tern_imap_session_new_command (self, "ID");
          tern_imap_command_add_raw (command, "(\"name\" \"Tern\")");
          run_internal_async (self, command, NULL, NULL, NULL, NULL, cancellable, connect_step_done_cb, task);
          return;

        case STEP_ENABLE:
          {
            static const char * const wanted[] = { "CONDSTORE", "QRESYNC", "UTF8=ACCEPT" };
            gboolean any = FALSE;

            if (!tern_imap_session_has_capability (self, "ENABLE"))
              {
                data->step = STEP_NAMESPACE;
                continue;
              }
            command = tern_imap_session_new_command (self, "ENABLE");
            for (guint i = 0; i < G_N_ELEMENTS (wanted); i++)
              if (tern_imap_session_has_capability (self, wanted[i]))
                {
                  tern_imap_command_add_atom (command, wanted[i]);
                  any = TRUE;
                }
            if (!any)
              {
                tern_imap_command_free (command);
                data->step = STEP_NAMESPACE;
                continue;
              }
            run_internal_async (self, command, NULL, NULL, NULL, NULL, cancellable, connect_step_done_cb, task);
            return;
          }

        case STEP_NAMESPACE:
          if (!tern_imap_session_has_capability (self, "NAMESPACE"))
            {
              data->step = STEP_DONE;
              continue;
            }
          run_internal_async (self, tern_imap_session_new_command (self, "NAMESPACE"), NULL, NULL, NULL, NULL,
                              cancellable, connect_step_done_cb, task);
          return;

        case STEP_DONE:
        default:
          g_task_return_boolean (task, TRUE);
          g_object_unref (task);
          return;
        }
    }
}

static void
greeting_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapResponse) greeting = read_response_finish (self, result, &error);

  if (greeting == NULL)
    {
      if (g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_CANCELLED))
        connect_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT))
        connect_fail (task, TERN_IMAP_SESSION_ERROR_BAD_GREETING,
                      "The server %s did not greet in time; it may not be an IMAP server", server_name (self));
      else
        connect_fail (task, TERN_IMAP_SESSION_ERROR_BAD_GREETING,
                      "The server %s did not greet as an IMAP server does", server_name (self));
      return;
    }
  if (greeting->kind != TERN_IMAP_RESPONSE_STATUS)
    {
      connect_fail (task, TERN_IMAP_SESSION_ERROR_BAD_GREETING,
                    "The server %s did not greet as an IMAP server does", server_name (self));
      return;
    }

  switch (greeting->status)
    {
    case TERN_IMAP_STATUS_OK:
      break;
    case TERN_IMAP_STATUS_NO:
    case TERN_IMAP_STATUS_BAD:
    default:
      connect_fail (task, TERN_IMAP_SESSION_ERROR_BAD_GREETING,
                    "The server %s did not greet as an IMAP server does", server_name (self));
      return;
    case TERN_IMAP_STATUS_PREAUTH:
      /* Already logged in, so STARTTLS is no longer possible. */
      if (!tern_connection_is_tls (self->connection)
          && tern_account_get_security (self->account) != TERN_SECURITY_NONE)
        {
          connect_fail (task, TERN_IMAP_SESSION_ERROR_NO_TLS,
                        "The server %s skipped encryption and login; Tern closed the connection",
                        server_name (self));
          return;
        }
      self->authenticated = TRUE;
      break;
    case TERN_IMAP_STATUS_BYE:
      connect_fail (task, TERN_IMAP_SESSION_ERROR_BAD_GREETING,
                    "The server %s refused the connection; it may be busy, try again later", server_name (self));
      return;
    }
  see_code (self, greeting->code, greeting->text);
  data->step = STEP_CAPABILITY;
  connect_next (task);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!tern_connection_connect_finish (TERN_CONNECTION (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  read_response_async (self, g_task_get_cancellable (task), greeting_cb, task);
}

void
tern_imap_session_connect_async (TernImapSession     *self,
                                 const char          *password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;
  ConnectData *data;

  g_return_if_fail (TERN_IS_IMAP_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_imap_session_connect_async);
  data = g_new0 (ConnectData, 1);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);

  forget_state (self);
  self->authenticated = FALSE;
  self->bye = FALSE;
  tern_connection_connect_async (self->connection, cancellable, connected_cb, task);
}

gboolean
tern_imap_session_connect_finish (TernImapSession  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Simple commands: a collecting handler, then a result */

static void
ok_done_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_ok_finish (TERN_IMAP_SESSION (object), result, &error);

  if (tagged == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static GTask *
new_task (TernImapSession     *self,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

static gboolean
check_authenticated (TernImapSession *self,
                     GTask           *task)
{
  if (tern_imap_session_is_authenticated (self))
    return TRUE;
  g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_NOT_CONNECTED,
                           "Not logged in to %s", server_name (self));
  g_object_unref (task);
  return FALSE;
}

/* LIST */

static void
list_untagged_cb (TernImapResponse *response,
                  gpointer          user_data)
{
  GPtrArray *mailboxes = user_data;

  if (response->kind == TERN_IMAP_RESPONSE_LIST && response->mailbox != NULL)
    g_ptr_array_add (mailboxes, tern_imap_response_ref (response));
}

static void
list_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_ok_finish (TERN_IMAP_SESSION (object), result, &error);
  GPtrArray *mailboxes = g_task_get_task_data (task);

  if (tagged == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_ptr_array_ref (mailboxes), (GDestroyNotify) g_ptr_array_unref);
}

void
tern_imap_session_list_async (TernImapSession     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_list_async, cancellable, callback, user_data);
  GPtrArray *mailboxes = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_response_unref);
  TernImapCommand *command;

  g_task_set_task_data (task, mailboxes, (GDestroyNotify) g_ptr_array_unref);
  if (!check_authenticated (self, task))
    return;
  command = tern_imap_session_new_command (self, "LIST");
  tern_imap_command_add_raw (command, "\"\" \"*\"");
  if (tern_imap_session_has_capability (self, "SPECIAL-USE"))
    tern_imap_command_add_raw (command, "RETURN (SPECIAL-USE)");
  run_internal_async (self, command, NULL, NULL, list_untagged_cb, mailboxes, cancellable, list_done_cb, task);
}

GPtrArray *
tern_imap_session_list_finish (TernImapSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
tern_imap_mailbox_get_role (const TernImapMailbox *mailbox)
{
  static const struct {
    TernImapMailboxAttrs  attr;
    const char           *role;
  } by_attr[] = {
    { TERN_IMAP_MAILBOX_SENT, "sent" },
    { TERN_IMAP_MAILBOX_DRAFTS, "drafts" },
    { TERN_IMAP_MAILBOX_TRASH, "trash" },
    { TERN_IMAP_MAILBOX_JUNK, "junk" },
    { TERN_IMAP_MAILBOX_ARCHIVE, "archive" },
  };
  static const struct {
    const char *name;
    const char *role;
  } by_name[] = {
    { "Sent", "sent" }, { "Sent Items", "sent" }, { "Sent Messages", "sent" }, { "Sent Mail", "sent" },
    { "Drafts", "drafts" }, { "Draft", "drafts" },
    { "Trash", "trash" }, { "Deleted Items", "trash" }, { "Deleted Messages", "trash" },
    { "Junk", "junk" }, { "Spam", "junk" }, { "Junk E-mail", "junk" },
    { "Archive", "archive" }, { "Archives", "archive" },
  };
  const char *last;

  g_return_val_if_fail (mailbox != NULL, NULL);

  if (g_strcmp0 (mailbox->name, "INBOX") == 0)
    return "inbox";
  for (guint i = 0; i < G_N_ELEMENTS (by_attr); i++)
    if (mailbox->attrs & by_attr[i].attr)
      return by_attr[i].role;
  if (mailbox->name == NULL)
    return NULL;
  /* The usual names, at the top level or right under INBOX. */
  last = mailbox->name;
  if (mailbox->delimiter != 0 && g_str_has_prefix (mailbox->name, "INBOX")
      && g_utf8_get_char (mailbox->name + 5) == mailbox->delimiter)
    last = g_utf8_next_char (mailbox->name + 5);
  for (guint i = 0; i < G_N_ELEMENTS (by_name); i++)
    if (g_ascii_strcasecmp (last, by_name[i].name) == 0)
      return by_name[i].role;
  return NULL;
}

/* SELECT and EXAMINE */

void
tern_imap_selected_free (TernImapSelected *selected)
{
  if (selected == NULL)
    return;
  g_clear_pointer (&selected->vanished, tern_imap_sequence_free);
  g_clear_pointer (&selected->changed, g_ptr_array_unref);
  g_free (selected);
}

static void
select_untagged_cb (TernImapResponse *response,
                    gpointer          user_data)
{
  TernImapSelected *selected = user_data;

  switch (response->kind)
    {
    case TERN_IMAP_RESPONSE_EXISTS:
      selected->exists = response->number;
      break;
    case TERN_IMAP_RESPONSE_STATUS:
      if (response->status != TERN_IMAP_STATUS_OK || response->code == NULL)
        break;
      switch (response->code->kind)
        {
        case TERN_IMAP_CODE_UIDVALIDITY:
          selected->uidvalidity = response->code->number;
          break;
        case TERN_IMAP_CODE_UIDNEXT:
          selected->uidnext = response->code->number;
          break;
        case TERN_IMAP_CODE_HIGHESTMODSEQ:
          selected->highestmodseq = response->code->modseq;
          break;
        case TERN_IMAP_CODE_NOMODSEQ:
          selected->highestmodseq = 0;
          break;
        default:
          break;
        }
      break;
    case TERN_IMAP_RESPONSE_VANISHED:
      if (response->uids != NULL)
        {
          for (guint i = 0; i < tern_imap_sequence_get_n_ranges (response->uids); i++)
            {
              guint32 first, last;

              tern_imap_sequence_get_range (response->uids, i, &first, &last);
              if (first != TERN_IMAP_SEQUENCE_STAR && last != TERN_IMAP_SEQUENCE_STAR)
                tern_imap_sequence_add_range (selected->vanished, first, last);
            }
        }
      break;
    case TERN_IMAP_RESPONSE_FETCH:
      if (response->fetch != NULL && (response->fetch->has & TERN_IMAP_FETCH_UID))
        g_ptr_array_add (selected->changed, tern_imap_response_ref (response));
      break;
    default:
      break;
    }
}

static void
select_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_ok_finish (TERN_IMAP_SESSION (object), result, &error);
  TernImapSelected *selected = g_task_get_task_data (task);

  if (tagged == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (tagged->code != NULL && tagged->code->kind == TERN_IMAP_CODE_READ_ONLY)
    selected->read_only = TRUE;
  /* Hand the contents over; the task data is freed empty with the task. */
  g_task_return_pointer (task, g_memdup2 (selected, sizeof *selected), (GDestroyNotify) tern_imap_selected_free);
  memset (selected, 0, sizeof *selected);
}

void
tern_imap_session_select_async (TernImapSession     *self,
                                const char          *raw_name,
                                gboolean             read_only,
                                guint32              known_uidvalidity,
                                guint64              known_modseq,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_select_async, cancellable, callback, user_data);
  TernImapSelected *selected = g_new0 (TernImapSelected, 1);
  TernImapCommand *command;
  GError *error = NULL;

  selected->vanished = tern_imap_sequence_new ();
  selected->changed = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_response_unref);
  g_task_set_task_data (task, selected, (GDestroyNotify) tern_imap_selected_free);
  if (!check_authenticated (self, task))
    return;
  command = tern_imap_session_new_command (self, read_only ? "EXAMINE" : "SELECT");
  if (!tern_imap_command_add_raw_mailbox (command, raw_name, &error))
    {
      tern_imap_command_free (command);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (tern_imap_session_is_enabled (self, "QRESYNC") && known_uidvalidity != 0 && known_modseq != 0)
    {
      g_autofree char *qresync = g_strdup_printf ("(QRESYNC (%u %" G_GUINT64_FORMAT "))",
                                                  known_uidvalidity, known_modseq);

      tern_imap_command_add_raw (command, qresync);
    }
  run_internal_async (self, command, NULL, NULL, select_untagged_cb, selected, cancellable, select_done_cb, task);
}

TernImapSelected *
tern_imap_session_select_finish (TernImapSession  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* UID FETCH */

typedef struct
{
  TernImapFetchFunc func;
  gpointer          func_data;
} FetchData;

static void
fetch_untagged_cb (TernImapResponse *response,
                   gpointer          user_data)
{
  FetchData *data = user_data;

  /* A FETCH without UID is an unsolicited flag change of another message. */
  if (response->kind == TERN_IMAP_RESPONSE_FETCH && response->fetch != NULL
      && (response->fetch->has & TERN_IMAP_FETCH_UID) && data->func != NULL)
    data->func (response->fetch, data->func_data);
}

void
tern_imap_session_uid_fetch_async (TernImapSession        *self,
                                   const TernImapSequence *uids,
                                   const char             *items,
                                   guint64                 changed_since,
                                   TernImapFetchFunc       func,
                                   gpointer                func_data,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  GTask *task = new_task (self, tern_imap_session_uid_fetch_async, cancellable, callback, user_data);
  FetchData *data = g_new0 (FetchData, 1);
  TernImapCommand *command;

  data->func = func;
  data->func_data = func_data;
  g_task_set_task_data (task, data, g_free);
  if (!check_authenticated (self, task))
    return;
  command = tern_imap_session_new_command (self, "UID FETCH");
  tern_imap_command_add_sequence (command, uids);
  tern_imap_command_add_raw (command, items);
  if (changed_since != 0)
    {
      g_autofree char *modifier = g_strdup_printf ("(CHANGEDSINCE %" G_GUINT64_FORMAT ")", changed_since);

      tern_imap_command_add_raw (command, modifier);
    }
  run_internal_async (self, command, NULL, NULL, fetch_untagged_cb, data, cancellable, ok_done_cb, task);
}

gboolean
tern_imap_session_uid_fetch_finish (TernImapSession  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
body_fetched_cb (const TernImapFetch *fetch,
                 gpointer             user_data)
{
  GBytes **body = user_data;
  const TernImapFetchSection *section = tern_imap_fetch_find_section (fetch, TERN_IMAP_SECTION_BODY, "");

  if (section != NULL && section->data != NULL && *body == NULL)
    *body = g_bytes_ref (section->data);
}

static void
body_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  GBytes **body = g_task_get_task_data (task);
  GError *error = NULL;

  if (!tern_imap_session_uid_fetch_finish (self, result, &error))
    g_task_return_error (task, error);
  else if (*body == NULL)
    g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_COMMAND_FAILED,
                             "The message is no longer on %s", server_name (self));
  else
    g_task_return_pointer (task, g_steal_pointer (body), (GDestroyNotify) g_bytes_unref);
}

static void
free_bytes_slot (GBytes **slot)
{
  g_clear_pointer (slot, g_bytes_unref);
  g_free (slot);
}

void
tern_imap_session_fetch_body_async (TernImapSession     *self,
                                    guint32              uid,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_fetch_body_async, cancellable, callback, user_data);
  GBytes **body = g_new0 (GBytes *, 1);
  g_autoptr(TernImapSequence) uids = tern_imap_sequence_new ();

  g_task_set_task_data (task, body, (GDestroyNotify) free_bytes_slot);
  tern_imap_sequence_add (uids, uid);
  tern_imap_session_uid_fetch_async (self, uids, "(UID BODY.PEEK[])", 0, body_fetched_cb, body,
                                     cancellable, body_done_cb, task);
}

GBytes *
tern_imap_session_fetch_body_finish (TernImapSession  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* UID SEARCH ALL */

static void
search_untagged_cb (TernImapResponse *response,
                    gpointer          user_data)
{
  GArray *uids = user_data;

  if (response->kind == TERN_IMAP_RESPONSE_SEARCH && response->numbers != NULL)
    g_array_append_vals (uids, response->numbers->data, response->numbers->len);
}

static int
compare_uids (gconstpointer a,
              gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static void
search_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_ok_finish (TERN_IMAP_SESSION (object), result, &error);
  GArray *uids = g_task_get_task_data (task);

  if (tagged == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_array_sort (uids, compare_uids);
  g_task_return_pointer (task, g_array_ref (uids), (GDestroyNotify) g_array_unref);
}

void
tern_imap_session_search_all_async (TernImapSession     *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_search_all_async, cancellable, callback, user_data);
  GArray *uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  TernImapCommand *command;

  g_task_set_task_data (task, uids, (GDestroyNotify) g_array_unref);
  if (!check_authenticated (self, task))
    return;
  command = tern_imap_session_new_command (self, "UID SEARCH");
  tern_imap_command_add_atom (command, "ALL");
  run_internal_async (self, command, NULL, NULL, search_untagged_cb, uids, cancellable, search_done_cb, task);
}

GArray *
tern_imap_session_search_all_finish (TernImapSession  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* UID STORE */

static TernImapCommand *
new_store_command (TernImapSession        *self,
                   const TernImapSequence *uids,
                   gboolean                add,
                   const char * const     *flags,
                   GError                **error)
{
  g_autoptr(TernImapCommand) command = tern_imap_session_new_command (self, "UID STORE");

  tern_imap_command_add_sequence (command, uids);
  tern_imap_command_add_atom (command, add ? "+FLAGS.SILENT" : "-FLAGS.SILENT");
  tern_imap_command_begin_list (command);
  for (guint i = 0; flags != NULL && flags[i] != NULL; i++)
    if (!tern_imap_command_add_flag (command, flags[i], error))
      return NULL;
  tern_imap_command_end_list (command);
  return g_steal_pointer (&command);
}

void
tern_imap_session_store_flags_async (TernImapSession        *self,
                                     const TernImapSequence *uids,
                                     gboolean                add,
                                     const char * const     *flags,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  GTask *task = new_task (self, tern_imap_session_store_flags_async, cancellable, callback, user_data);
  TernImapCommand *command;
  GError *error = NULL;

  if (!check_authenticated (self, task))
    return;
  command = new_store_command (self, uids, add, flags, &error);
  if (command == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  run_internal_async (self, command, NULL, NULL, NULL, NULL, cancellable, ok_done_cb, task);
}

gboolean
tern_imap_session_store_flags_finish (TernImapSession  *self,
                                      GAsyncResult     *result,
                                      GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* UID MOVE, or COPY + \Deleted + UID EXPUNGE of exactly those UIDs */

typedef struct
{
  TernImapSequence *uids;
  guint             step;
  guint32           copy_uidvalidity;   /* COPYUID: what the server said of the new UIDs */
  TernImapSequence *copy_source;
  TernImapSequence *copy_dest;
} MoveData;

static void
move_data_free (MoveData *data)
{
  tern_imap_sequence_free (data->uids);
  g_clear_pointer (&data->copy_source, tern_imap_sequence_free);
  g_clear_pointer (&data->copy_dest, tern_imap_sequence_free);
  g_free (data);
}

static void
move_keep_copyuid (MoveData     *data,
                   TernImapCode *code)
{
  if (code == NULL || code->kind != TERN_IMAP_CODE_COPYUID || code->uids == NULL || code->dest_uids == NULL)
    return;
  g_clear_pointer (&data->copy_source, tern_imap_sequence_free);
  g_clear_pointer (&data->copy_dest, tern_imap_sequence_free);
  data->copy_uidvalidity = code->number;
  data->copy_source = tern_imap_sequence_copy (code->uids);
  data->copy_dest = tern_imap_sequence_copy (code->dest_uids);
}

/* UID MOVE sends COPYUID in an untagged OK before its EXPUNGEs. */
static void
move_untagged_cb (TernImapResponse *response,
                  gpointer          user_data)
{
  if (response->kind == TERN_IMAP_RESPONSE_STATUS && response->status == TERN_IMAP_STATUS_OK)
    move_keep_copyuid (user_data, response->code);
}

static void
move_step_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  MoveData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_ok_finish (self, result, &error);
  static const char * const deleted[] = { "\\Deleted", NULL };
  TernImapCommand *command;

  if (tagged == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (data->step == 0 || data->step == 2)
    move_keep_copyuid (data, tagged->code);
  switch (++data->step)
    {
    case 1:
      command = new_store_command (self, data->uids, TRUE, deleted, NULL);
      break;
    case 2:
      command = tern_imap_session_new_command (self, "UID EXPUNGE");
      tern_imap_command_add_sequence (command, data->uids);
      break;
    default:
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  run_internal_async (self, command, NULL, NULL, NULL, NULL, g_task_get_cancellable (task), move_step_cb, task);
}

void
tern_imap_session_move_async (TernImapSession        *self,
                              const TernImapSequence *uids,
                              const char             *raw_destination,
                              GCancellable           *cancellable,
                              GAsyncReadyCallback     callback,
                              gpointer                user_data)
{
  GTask *task = new_task (self, tern_imap_session_move_async, cancellable, callback, user_data);
  TernImapCommand *command;
  MoveData *data;
  GError *error = NULL;
  gboolean move;

  if (!check_authenticated (self, task))
    return;
  move = tern_imap_session_has_capability (self, "MOVE");
  if (!move && !tern_imap_session_has_capability (self, "UIDPLUS"))
    {
      g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_UNSUPPORTED,
                               "The server %s cannot move messages without risking other messages",
                               server_name (self));
      g_object_unref (task);
      return;
    }
  command = tern_imap_session_new_command (self, move ? "UID MOVE" : "UID COPY");
  tern_imap_command_add_sequence (command, uids);
  if (!tern_imap_command_add_raw_mailbox (command, raw_destination, &error))
    {
      tern_imap_command_free (command);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  data = g_new0 (MoveData, 1);
  data->uids = tern_imap_sequence_copy (uids);
  data->step = move ? 2 : 0;
  g_task_set_task_data (task, data, (GDestroyNotify) move_data_free);
  run_internal_async (self, command, NULL, NULL, move_untagged_cb, data, cancellable, move_step_cb, task);
}

gboolean
tern_imap_session_move_finish (TernImapSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  return tern_imap_session_move_finish_full (self, result, NULL, NULL, NULL, error);
}

gboolean
tern_imap_session_move_finish_full (TernImapSession   *self,
                                    GAsyncResult      *result,
                                    guint32           *dest_uidvalidity,
                                    TernImapSequence **source_uids,
                                    TernImapSequence **dest_uids,
                                    GError           **error)
{
  MoveData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (dest_uidvalidity != NULL)
    *dest_uidvalidity = data->copy_uidvalidity;
  if (source_uids != NULL)
    *source_uids = data->copy_source != NULL ? tern_imap_sequence_copy (data->copy_source) : NULL;
  if (dest_uids != NULL)
    *dest_uids = data->copy_dest != NULL ? tern_imap_sequence_copy (data->copy_dest) : NULL;
  return TRUE;
}

/* APPEND */

static void
append_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_ok_finish (TERN_IMAP_SESSION (object), result, &error);
  guint32 uid = 0;

  if (tagged == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (tagged->code != NULL && tagged->code->kind == TERN_IMAP_CODE_APPENDUID && tagged->code->uids != NULL
      && tern_imap_sequence_get_n_ranges (tagged->code->uids) == 1)
    tern_imap_sequence_get_range (tagged->code->uids, 0, &uid, &(guint32) { 0 });
  g_task_return_int (task, uid);
}

void
tern_imap_session_append_async (TernImapSession     *self,
                                const char          *raw_mailbox,
                                const char * const  *flags,
                                GBytes              *message,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_append_async, cancellable, callback, user_data);
  g_autoptr(TernImapCommand) command = NULL;
  g_autofree char *redacted = NULL;
  GError *error = NULL;

  if (!check_authenticated (self, task))
    return;
  command = tern_imap_session_new_command (self, "APPEND");
  if (!tern_imap_command_add_raw_mailbox (command, raw_mailbox, &error))
    goto fail;
  tern_imap_command_begin_list (command);
  for (guint i = 0; flags != NULL && flags[i] != NULL; i++)
    if (!tern_imap_command_add_flag (command, flags[i], &error))
      goto fail;
  tern_imap_command_end_list (command);
  if (!tern_imap_command_add_literal (command, message, FALSE, &error))
    goto fail;
  /* A message is private: the log shows its size only. */
  redacted = g_strdup_printf ("%s APPEND <message of %" G_GSIZE_FORMAT " bytes>",
                              tern_imap_command_get_tag (command), g_bytes_get_size (message));
  run_internal_async (self, g_steal_pointer (&command), redacted, NULL, NULL, NULL, cancellable,
                      append_done_cb, task);
  return;

fail:
  g_task_return_error (task, error);
  g_object_unref (task);
}

guint32
tern_imap_session_append_finish (TernImapSession  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return (guint32) g_task_propagate_int (G_TASK (result), error);
}

/* GETQUOTAROOT */

typedef struct
{
  gboolean found;
  guint64  used;
  guint64  limit;
} QuotaData;

static void
quota_untagged_cb (TernImapResponse *response,
                   gpointer          user_data)
{
  QuotaData *data = user_data;

  if (response->kind != TERN_IMAP_RESPONSE_QUOTA || response->resources == NULL)
    return;
  for (guint i = 0; i < response->resources->len; i++)
    {
      TernImapQuotaResource *resource = g_ptr_array_index (response->resources, i);

      if (g_ascii_strcasecmp (resource->name, "STORAGE") == 0 && !data->found)
        {
          data->found = TRUE;
          data->used = resource->usage;
          data->limit = resource->limit;
        }
    }
}

static void
quota_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_ok_finish (self, result, &error);
  QuotaData *data = g_task_get_task_data (task);

  if (tagged == NULL)
    g_task_return_error (task, error);
  else if (!data->found)
    g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_UNSUPPORTED,
                             "The server %s sets no storage limit", server_name (self));
  else
    g_task_return_boolean (task, TRUE);
}

void
tern_imap_session_get_quota_async (TernImapSession     *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_get_quota_async, cancellable, callback, user_data);
  TernImapCommand *command;

  g_task_set_task_data (task, g_new0 (QuotaData, 1), g_free);
  if (!check_authenticated (self, task))
    return;
  if (!tern_imap_session_has_capability (self, "QUOTA"))
    {
      g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_UNSUPPORTED,
                               "The server %s does not report storage use", server_name (self));
      g_object_unref (task);
      return;
    }
  command = tern_imap_session_new_command (self, "GETQUOTAROOT");
  tern_imap_command_add_atom (command, "INBOX");
  run_internal_async (self, command, NULL, NULL, quota_untagged_cb, g_task_get_task_data (task),
                      cancellable, quota_done_cb, task);
}

gboolean
tern_imap_session_get_quota_finish (TernImapSession  *self,
                                    GAsyncResult     *result,
                                    guint64          *used_kib,
                                    guint64          *limit_kib,
                                    GError          **error)
{
  QuotaData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (used_kib != NULL)
    *used_kib = data->used;
  if (limit_kib != NULL)
    *limit_kib = data->limit;
  return TRUE;
}

/* IDLE, and NOOP for servers without it */

typedef struct
{
  GSource  *cancel_source;
  GSource  *refresh_timer;
  gboolean  cancelled;
} IdleData;

static void
idle_data_free (IdleData *data)
{
  if (data->cancel_source != NULL)
    g_source_destroy (data->cancel_source);
  g_clear_pointer (&data->cancel_source, g_source_unref);
  if (data->refresh_timer != NULL)
    g_source_destroy (data->refresh_timer);
  g_clear_pointer (&data->refresh_timer, g_source_unref);
  g_free (data);
}

static gboolean
idle_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  IdleData *data = g_task_get_task_data (task);

  data->cancelled = TRUE;
  g_clear_pointer (&data->cancel_source, g_source_unref);
  tern_imap_session_idle_stop (g_task_get_source_object (task));
  return G_SOURCE_REMOVE;
}

static gboolean
idle_refresh_cb (gpointer user_data)
{
  GTask *task = user_data;
  IdleData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->refresh_timer, g_source_unref);
  tern_imap_session_idle_stop (g_task_get_source_object (task));
  return G_SOURCE_REMOVE;
}

static void
idle_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  IdleData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(TernImapResponse) tagged = run_internal_finish (self, result, &error);

  if (data->cancel_source != NULL)
    g_source_destroy (data->cancel_source);
  if (data->refresh_timer != NULL)
    g_source_destroy (data->refresh_timer);

  /* Stopped while it still waited its turn: it never began. */
  if (tagged == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_clear_error (&error);
  else if (tagged == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  else if (tagged->status != TERN_IMAP_STATUS_OK)
    {
      g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_COMMAND_FAILED,
                               "The server %s refused the command IDLE", server_name (self));
      return;
    }
  if (data->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The operation was cancelled");
  else
    g_task_return_boolean (task, TRUE);
}

void
tern_imap_session_idle_async (TernImapSession      *self,
                              TernImapUntaggedFunc  func,
                              gpointer              func_data,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  GTask *task = new_task (self, tern_imap_session_idle_async, cancellable, callback, user_data);
  IdleData *data = g_new0 (IdleData, 1);
  GTask *run;

  /* Cancelling ends IDLE with DONE; the result waits for the server's OK. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, data, (GDestroyNotify) idle_data_free);
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (!check_authenticated (self, task))
    return;
  if (!tern_imap_session_has_capability (self, "IDLE"))
    {
      g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_UNSUPPORTED,
                               "The server %s cannot report new mail at once (no IDLE)", server_name (self));
      g_object_unref (task);
      return;
    }
  if (self->idle_run != NULL)
    {
      g_task_return_new_error (task, TERN_IMAP_SESSION_ERROR, TERN_IMAP_SESSION_ERROR_FAILED,
                               "Tern is already waiting for news from %s", server_name (self));
      g_object_unref (task);
      return;
    }

  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_static_name (data->cancel_source, "[tern] IDLE cancelled");
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (idle_cancelled_cb), task, NULL);
      g_source_attach (data->cancel_source, g_task_get_context (task));
    }
  data->refresh_timer = g_timeout_source_new_seconds (TERN_IMAP_SESSION_IDLE_REFRESH_S);
  g_source_set_static_name (data->refresh_timer, "[tern] IDLE refresh");
  g_source_set_callback (data->refresh_timer, idle_refresh_cb, task, NULL);
  g_source_attach (data->refresh_timer, g_task_get_context (task));

  /* The command itself is never cancelled: only DONE leaves IDLE cleanly. */
  run = run_task_new (self, tern_imap_session_new_command (self, "IDLE"), NULL, NULL, func, func_data, NULL,
                      idle_done_cb, task);
  ((RunData *) g_task_get_task_data (run))->idle = TRUE;
  self->idle_run = run;
  self->tolerate_done_bad = FALSE;
  run_task_submit (self, run);
}

gboolean
tern_imap_session_idle_finish (TernImapSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tern_imap_session_idle_stop (TernImapSession *self)
{
  GTask *run;
  RunData *data;

  g_return_if_fail (TERN_IS_IMAP_SESSION (self));

  run = self->idle_run;
  if (run == NULL)
    return;
  data = g_task_get_task_data (run);
  if (data->stop_requested)
    return;
  data->stop_requested = TRUE;

  if (run != self->current)
    {
      /* Still queued: it never reaches the server. */
      g_queue_remove (&self->waiting, run);
      self->idle_run = NULL;
      g_task_return_new_error (run, G_IO_ERROR, G_IO_ERROR_CANCELLED, "IDLE stopped before it began");
      g_object_unref (run);
      return;
    }
  /* Before the server's "+", DONE would be a command of its own: it is
   * sent when the "+" comes. */
  if (data->idling)
    idle_send_done (self, data);
}

gboolean
tern_imap_session_is_idling (TernImapSession *self)
{
  RunData *data;

  g_return_val_if_fail (TERN_IS_IMAP_SESSION (self), FALSE);

  if (self->idle_run == NULL || self->idle_run != self->current)
    return FALSE;
  data = g_task_get_task_data (self->idle_run);
  return data->idling && !data->done_sent;
}

void
tern_imap_session_poll_async (TernImapSession      *self,
                              TernImapUntaggedFunc  func,
                              gpointer              func_data,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  GTask *task = new_task (self, tern_imap_session_poll_async, cancellable, callback, user_data);

  if (!check_authenticated (self, task))
    return;
  run_internal_async (self, tern_imap_session_new_command (self, "NOOP"), NULL, NULL, func, func_data,
                      cancellable, ok_done_cb, task);
}

gboolean
tern_imap_session_poll_finish (TernImapSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* NOOP and LOGOUT */

void
tern_imap_session_noop_async (TernImapSession     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_noop_async, cancellable, callback, user_data);

  run_internal_async (self, tern_imap_session_new_command (self, "NOOP"), NULL, NULL, NULL, NULL,
                      cancellable, ok_done_cb, task);
}

gboolean
tern_imap_session_noop_finish (TernImapSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
logout_closed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  tern_connection_close_finish (TERN_CONNECTION (object), result, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
logout_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  TernImapSession *self = TERN_IMAP_SESSION (object);
  TernImapResponse *tagged = run_internal_finish (self, result, NULL);

  /* Whatever the server answered, the session ends here. */
  g_clear_pointer (&tagged, tern_imap_response_unref);
  self->authenticated = FALSE;
  tern_connection_close_async (self->connection, NULL, logout_closed_cb, task);
}

void
tern_imap_session_logout_async (TernImapSession     *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task = new_task (self, tern_imap_session_logout_async, cancellable, callback, user_data);

  run_internal_async (self, tern_imap_session_new_command (self, "LOGOUT"), NULL, NULL, NULL, NULL,
                      cancellable, logout_done_cb, task);
}

gboolean
tern_imap_session_logout_finish (TernImapSession  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
