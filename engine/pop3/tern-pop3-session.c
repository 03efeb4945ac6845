/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-pop3"

#include <string.h>

#include "tern-net-error.h"
#include "tern-protocol-log.h"
#include "tern-pop3-session.h"

/* RFC 5034: an AUTH command with its initial response fits in 255 octets. */
#define MAX_AUTH_LINE 255

typedef struct _Command Command;
typedef void (*CommandDone) (TernPop3Session *self,
                             Command         *command,
                             const GError    *error);

struct _Command
{
  GBytes         *line;          /* %NULL: the greeting, nothing to write */
  char           *redacted;      /* a secret: what the log shows */
  TernPop3Parser *parser;
  gboolean        continuation;  /* a "+ " go-ahead ends this reply (AUTH) */
  gboolean        got_continuation;
  CommandDone     done;
  gpointer        data;
};

struct _TernPop3Session
{
  GObject             parent_instance;

  TernConnection     *connection;
  GStrv               capabilities;
  gboolean            use_pipelining;
  TernPop3AuthMethod  auth_method;
  gsize               max_message;

  GQueue              commands;     /* Command *, oldest first */
  guint               n_sent;       /* the first n_sent are written (or being written) */
  gboolean            writing;
  gboolean            reading;
  gboolean            in_tls;       /* STLS handshake: no I/O of ours */
  GTask              *tls_task;     /* STLS accepted, waiting for our write to end */
  gboolean            opened;
  GError             *failure;      /* once set, every call fails */

  char               *username;
  char               *password;
};

G_DEFINE_FINAL_TYPE (TernPop3Session, tern_pop3_session, G_TYPE_OBJECT)

static void maybe_write (TernPop3Session *self);
static void maybe_read (TernPop3Session *self);

static void
wipe_string (char **str)
{
  if (*str != NULL)
    {
      memset (*str, 0, strlen (*str));
      g_clear_pointer (str, g_free);
    }
}

static void
command_free (Command *command)
{
  g_clear_pointer (&command->line, g_bytes_unref);
  g_free (command->redacted);
  tern_pop3_parser_free (command->parser);
  g_free (command);
}

static void
tern_pop3_session_dispose (GObject *object)
{
  TernPop3Session *self = TERN_POP3_SESSION (object);

  g_clear_object (&self->connection);
  G_OBJECT_CLASS (tern_pop3_session_parent_class)->dispose (object);
}

static void
tern_pop3_session_finalize (GObject *object)
{
  TernPop3Session *self = TERN_POP3_SESSION (object);

  g_queue_clear_full (&self->commands, (GDestroyNotify) command_free);
  g_clear_pointer (&self->capabilities, g_strfreev);
  g_clear_error (&self->failure);
  wipe_string (&self->username);
  wipe_string (&self->password);
  G_OBJECT_CLASS (tern_pop3_session_parent_class)->finalize (object);
}

static void
tern_pop3_session_class_init (TernPop3SessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tern_pop3_session_dispose;
  object_class->finalize = tern_pop3_session_finalize;
}

static void
tern_pop3_session_init (TernPop3Session *self)
{
  g_queue_init (&self->commands);
  self->use_pipelining = TRUE;
  self->max_message = TERN_POP3_DEFAULT_MAX_MESSAGE;
}

TernPop3Session *
tern_pop3_session_new (TernConnection *connection)
{
  TernPop3Session *self;

  g_return_val_if_fail (TERN_IS_CONNECTION (connection), NULL);

  self = g_object_new (TERN_TYPE_POP3_SESSION, NULL);
  self->connection = g_object_ref (connection);
  return self;
}

TernConnection *
tern_pop3_session_get_connection (TernPop3Session *self)
{
  g_return_val_if_fail (TERN_IS_POP3_SESSION (self), NULL);
  return self->connection;
}

const char * const *
tern_pop3_session_get_capabilities (TernPop3Session *self)
{
  g_return_val_if_fail (TERN_IS_POP3_SESSION (self), NULL);
  return (const char * const *) self->capabilities;
}

gboolean
tern_pop3_session_has_capability (TernPop3Session *self,
                                  const char      *name)
{
  g_return_val_if_fail (TERN_IS_POP3_SESSION (self), FALSE);
  return tern_pop3_capabilities_has ((const char * const *) self->capabilities, name, NULL);
}

gboolean
tern_pop3_session_get_pipelining (TernPop3Session *self)
{
  g_return_val_if_fail (TERN_IS_POP3_SESSION (self), FALSE);
  return self->use_pipelining && tern_pop3_session_has_capability (self, "PIPELINING");
}

void
tern_pop3_session_set_use_pipelining (TernPop3Session *self,
                                      gboolean         use_pipelining)
{
  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  self->use_pipelining = !!use_pipelining;
}

TernPop3AuthMethod
tern_pop3_session_get_auth_method (TernPop3Session *self)
{
  g_return_val_if_fail (TERN_IS_POP3_SESSION (self), TERN_POP3_AUTH_NONE);
  return self->auth_method;
}

void
tern_pop3_session_set_max_message_size (TernPop3Session *self,
                                        gsize            max_size)
{
  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  self->max_message = max_size;
}

/* The command queue */

static void
connection_closed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  tern_connection_close_finish (TERN_CONNECTION (object), result, NULL);
  g_object_unref (user_data);
}

/* Fails the session (takes ERROR): every queued command fails with it and
 * the connection closes. */
static void
fail_session (TernPop3Session *self,
              GError          *error)
{
  Command *command;

  if (self->failure != NULL)
    {
      g_error_free (error);
      return;
    }
  g_debug ("session on %s failed: %s", tern_connection_get_host (self->connection), error->message);
  self->failure = error;
  self->opened = FALSE;
  tern_connection_close_async (self->connection, NULL, connection_closed_cb, g_object_ref (self));

  while ((command = g_queue_pop_head (&self->commands)) != NULL)
    {
      command->done (self, command, self->failure);
      command_free (command);
    }
  self->n_sent = 0;
}

static void
send_command (TernPop3Session   *self,
              const char        *line,
              const char        *redacted,
              TernPop3ReplyKind  kind,
              CommandDone        done,
              gpointer           data)
{
  Command *command = g_new0 (Command, 1);

  if (line != NULL)
    command->line = g_bytes_new_take (g_strconcat (line, "\r\n", NULL), strlen (line) + 2);
  command->redacted = g_strdup (redacted);
  command->parser = tern_pop3_parser_new (kind);
  if (kind == TERN_POP3_REPLY_MESSAGE)
    tern_pop3_parser_set_max_size (command->parser, self->max_message);
  command->done = done;
  command->data = data;

  if (self->failure != NULL)
    {
      done (self, command, self->failure);
      command_free (command);
      return;
    }
  g_queue_push_tail (&self->commands, command);
  maybe_write (self);
  maybe_read (self);
}

static guint
window (TernPop3Session *self)
{
  return tern_pop3_session_get_pipelining (self) ? TERN_POP3_SESSION_PIPELINE_WINDOW : 1;
}

static void start_tls (TernPop3Session *self,
                       GTask           *task);

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TernPop3Session) self = user_data;
  GError *error = NULL;

  self->writing = FALSE;
  if (!tern_connection_write_finish (TERN_CONNECTION (object), result, &error))
    {
      fail_session (self, error);
      return;
    }
  if (self->tls_task != NULL)
    {
      start_tls (self, g_steal_pointer (&self->tls_task));
      return;
    }
  maybe_write (self);
}

static void
maybe_write (TernPop3Session *self)
{
  g_autoptr(GByteArray) batch = NULL;
  const char *redacted = NULL;
  guint limit = window (self);

  if (self->writing || self->in_tls || self->failure != NULL)
    return;

  while (self->n_sent < self->commands.length && self->n_sent < limit)
    {
      Command *command = g_queue_peek_nth (&self->commands, self->n_sent);

      if (command->line == NULL)
        {
          self->n_sent++;
          continue;
        }
      /* A secret goes alone, so that its description covers exactly it. */
      if (command->redacted != NULL && batch != NULL)
        break;
      if (batch == NULL)
        batch = g_byte_array_new ();
      g_byte_array_append (batch, g_bytes_get_data (command->line, NULL), g_bytes_get_size (command->line));
      self->n_sent++;
      if (command->redacted != NULL)
        {
          redacted = command->redacted;
          break;
        }
    }

  if (batch != NULL)
    {
      g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&batch));

      self->writing = TRUE;
      tern_connection_write_async (self->connection, bytes, redacted, NULL, written_cb, g_object_ref (self));
    }
}

static void
line_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TernPop3Session) self = user_data;
  g_autoptr(GBytes) line = NULL;
  GError *error = NULL;
  Command *command;
  const char *data;
  gsize length;
  TernPop3ParseResult parsed;

  self->reading = FALSE;
  line = tern_connection_read_line_finish (TERN_CONNECTION (object), result, &error);
  if (self->failure != NULL)
    {
      g_clear_error (&error);
      return;
    }
  command = g_queue_peek_head (&self->commands);
  g_assert (command != NULL);

  if (line == NULL)
    {
      if (g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED))
        {
          g_clear_error (&error);
          tern_pop3_parser_end (command->parser, &error);
        }
      fail_session (self, error);
      return;
    }

  data = g_bytes_get_data (line, &length);
  if (command->continuation && !tern_pop3_parser_is_done (command->parser) &&
      length >= 1 && data[0] == '+' && (length == 1 || data[1] == ' '))
    {
      command->got_continuation = TRUE;
      parsed = TERN_POP3_PARSE_DONE;
    }
  else
    parsed = tern_pop3_parser_feed_line (command->parser, data, length, &error);

  switch (parsed)
    {
    case TERN_POP3_PARSE_MORE:
      break;
    case TERN_POP3_PARSE_DONE:
      g_queue_pop_head (&self->commands);
      self->n_sent--;
      command->done (self, command, NULL);
      command_free (command);
      maybe_write (self);
      break;
    case TERN_POP3_PARSE_ERROR:
    default:
      fail_session (self, error);
      return;
    }
  maybe_read (self);
}

static void
maybe_read (TernPop3Session *self)
{
  if (self->reading || self->in_tls || self->failure != NULL || self->n_sent == 0)
    return;
  self->reading = TRUE;
  tern_connection_read_line_async (self->connection, NULL, line_read_cb, g_object_ref (self));
}

/* Errors */

static GError *
status_error (TernPop3Session      *self,
              const TernPop3Status *status,
              TernPop3Error         fallback,
              const char           *what)
{
  const char *host = tern_connection_get_host (self->connection);

  switch (status->code)
    {
    case TERN_POP3_CODE_AUTH:
      return g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_AUTH,
                          "The server %s refused the user name or password. Check them in the account settings.",
                          host);
    case TERN_POP3_CODE_IN_USE:
      return g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_IN_USE,
                          "The mailbox on %s is in use by another program. Close it or try again later.", host);
    case TERN_POP3_CODE_LOGIN_DELAY:
    case TERN_POP3_CODE_SYS_TEMP:
      return g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_TEMPORARY,
                          "The server %s has a temporary problem. Try again later.", host);
    case TERN_POP3_CODE_NONE:
    case TERN_POP3_CODE_SYS_PERM:
    case TERN_POP3_CODE_OTHER:
    default:
      break;
    }
  if (fallback == TERN_POP3_ERROR_AUTH)
    return g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_AUTH,
                        "The server %s refused the user name or password. Check them in the account settings.",
                        host);
  return g_error_new (TERN_POP3_ERROR, fallback, "The server %s refused to %s.", host, what);
}

/* open */

static void capa_send (TernPop3Session *self,
                       GTask           *task);

static void
open_fail (TernPop3Session *self,
           GTask           *task,
           GError          *error)
{
  fail_session (self, g_error_copy (error));
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
tls_started_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  TernPop3Session *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->in_tls = FALSE;
  if (!tern_connection_start_tls_finish (TERN_CONNECTION (object), result, &error))
    {
      open_fail (self, task, error);
      return;
    }
  /* A hard reset: nothing learned before the handshake counts. */
  g_clear_pointer (&self->capabilities, g_strfreev);
  capa_send (self, task);
}

static void
start_tls (TernPop3Session *self,
           GTask           *task)
{
  tern_connection_start_tls_async (self->connection, g_task_get_cancellable (task), tls_started_cb, task);
}

static void
stls_done (TernPop3Session *self,
           Command         *command,
           const GError    *error)
{
  GTask *task = command->data;
  const TernPop3Status *status;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
      return;
    }
  status = tern_pop3_parser_get_status (command->parser);
  if (!status->ok)
    {
      open_fail (self, task,
                 g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_STLS_UNAVAILABLE,
                              "The server %s refused to start TLS, which this account requires. "
                              "Nothing was sent; check the security settings or use port 995.",
                              tern_connection_get_host (self->connection)));
      return;
    }
  self->in_tls = TRUE;
  /* No read or write may be pending when the handshake starts. */
  if (self->writing)
    self->tls_task = task;
  else
    start_tls (self, task);
}

static void
capa_done (TernPop3Session *self,
           Command         *command,
           const GError    *error)
{
  GTask *task = command->data;
  const TernPop3Status *status;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
      return;
    }
  status = tern_pop3_parser_get_status (command->parser);
  g_clear_pointer (&self->capabilities, g_strfreev);
  if (status->ok)
    self->capabilities = tern_pop3_parser_steal_capabilities (command->parser);

  if (tern_connection_get_security (self->connection) == TERN_SECURITY_STARTTLS &&
      !tern_connection_is_tls (self->connection))
    {
      if (!tern_pop3_session_has_capability (self, "STLS"))
        {
          open_fail (self, task,
                     g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_STLS_UNAVAILABLE,
                                  "The server %s does not offer TLS (STLS), which this account requires. "
                                  "Nothing was sent; check the security settings or use port 995.",
                                  tern_connection_get_host (self->connection)));
          return;
        }
      send_command (self, "STLS", NULL, TERN_POP3_REPLY_STATUS, stls_done, task);
      return;
    }

  self->opened = TRUE;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
capa_send (TernPop3Session *self,
           GTask           *task)
{
  send_command (self, "CAPA", NULL, TERN_POP3_REPLY_CAPA, capa_done, task);
}

static void
greeting_done (TernPop3Session *self,
               Command         *command,
               const GError    *error)
{
  GTask *task = command->data;
  const TernPop3Status *status = NULL;

  if (error == NULL)
    status = tern_pop3_parser_get_status (command->parser);
  if (error != NULL || !status->ok)
    {
      GError *greeting_error;

      if (error != NULL && !g_error_matches (error, TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT) &&
          error->domain == TERN_NET_ERROR && error->code != TERN_NET_ERROR_CLOSED)
        greeting_error = g_error_copy (error);
      else
        greeting_error = g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_GREETING,
                                      "The server %s (port %u) did not greet as a POP3 server. "
                                      "Check the server name, port and protocol in the account settings.",
                                      tern_connection_get_host (self->connection),
                                      tern_connection_get_port (self->connection));
      open_fail (self, task, greeting_error);
      return;
    }
  /* The greeting text (and an APOP timestamp in it) is not used. */
  capa_send (self, task);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  TernPop3Session *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!tern_connection_connect_finish (TERN_CONNECTION (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  send_command (self, NULL, NULL, TERN_POP3_REPLY_STATUS, greeting_done, task);
}

void
tern_pop3_session_open_async (TernPop3Session     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_pop3_session_open_async);
  if (self->commands.length > 0 || self->writing || self->reading || self->in_tls)
    {
      g_task_return_new_error (task, TERN_POP3_ERROR, TERN_POP3_ERROR_STATE,
                               "The POP3 session is busy.");
      return;
    }
  /* A session may be opened again after it failed or closed. */
  g_clear_error (&self->failure);
  g_clear_pointer (&self->capabilities, g_strfreev);
  self->auth_method = TERN_POP3_AUTH_NONE;
  self->opened = FALSE;

  if (tern_connection_is_connected (self->connection))
    send_command (self, NULL, NULL, TERN_POP3_REPLY_STATUS, greeting_done, g_steal_pointer (&task));
  else
    tern_connection_connect_async (self->connection, cancellable, connected_cb, g_steal_pointer (&task));
}

gboolean
tern_pop3_session_open_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_pop3_session_open_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* login */

static void
login_succeeded (TernPop3Session    *self,
                 GTask              *task,
                 TernPop3AuthMethod  method)
{
  wipe_string (&self->username);
  wipe_string (&self->password);
  self->auth_method = method;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
login_failed (TernPop3Session *self,
              GTask           *task,
              GError          *error)
{
  wipe_string (&self->username);
  wipe_string (&self->password);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
auth_done (TernPop3Session *self,
           Command         *command,
           const GError    *error)
{
  GTask *task = command->data;
  const TernPop3Status *status;

  if (error != NULL)
    {
      login_failed (self, task, g_error_copy (error));
      return;
    }
  status = tern_pop3_parser_get_status (command->parser);
  if (!status->ok)
    {
      login_failed (self, task, status_error (self, status, TERN_POP3_ERROR_AUTH, "log in"));
      return;
    }
  login_succeeded (self, task, TERN_POP3_AUTH_PLAIN);
}

static char *
make_plain_response (TernPop3Session *self)
{
  gsize user_length = strlen (self->username);
  gsize password_length = strlen (self->password);
  gsize length = 1 + user_length + 1 + password_length;
  char *plain = g_malloc0 (length);
  char *encoded;

  /* No authorization identity: \0 user \0 password. */
  memcpy (plain + 1, self->username, user_length);
  memcpy (plain + 2 + user_length, self->password, password_length);
  encoded = g_base64_encode ((const guchar *) plain, length);
  memset (plain, 0, length);
  g_free (plain);
  return encoded;
}

static void
auth_continued (TernPop3Session *self,
                Command         *command,
                const GError    *error)
{
  GTask *task = command->data;
  char *response;

  if (error != NULL)
    {
      login_failed (self, task, g_error_copy (error));
      return;
    }
  if (!command->got_continuation)
    {
      const TernPop3Status *status = tern_pop3_parser_get_status (command->parser);

      login_failed (self, task, status_error (self, status, TERN_POP3_ERROR_AUTH, "log in"));
      return;
    }
  response = make_plain_response (self);
  send_command (self, response, TERN_PROTOCOL_LOG_REDACTED, TERN_POP3_REPLY_STATUS, auth_done, task);
  memset (response, 0, strlen (response));
  g_free (response);
}

static void
pass_done (TernPop3Session *self,
           Command         *command,
           const GError    *error)
{
  GTask *task = command->data;
  const TernPop3Status *status;

  if (error != NULL)
    {
      login_failed (self, task, g_error_copy (error));
      return;
    }
  status = tern_pop3_parser_get_status (command->parser);
  if (!status->ok)
    {
      login_failed (self, task, status_error (self, status, TERN_POP3_ERROR_AUTH, "log in"));
      return;
    }
  login_succeeded (self, task, TERN_POP3_AUTH_USER_PASS);
}

static void
user_done (TernPop3Session *self,
           Command         *command,
           const GError    *error)
{
  GTask *task = command->data;
  const TernPop3Status *status;
  char *line;

  if (error != NULL)
    {
      login_failed (self, task, g_error_copy (error));
      return;
    }
  status = tern_pop3_parser_get_status (command->parser);
  if (!status->ok)
    {
      login_failed (self, task, status_error (self, status, TERN_POP3_ERROR_AUTH, "log in"));
      return;
    }
  line = g_strconcat ("PASS ", self->password, NULL);
  send_command (self, line, "PASS " TERN_PROTOCOL_LOG_REDACTED, TERN_POP3_REPLY_STATUS, pass_done, task);
  memset (line, 0, strlen (line));
  g_free (line);
}

static gboolean
is_credential_safe (const char *text)
{
  /* No line breaks: a credential must not smuggle in a second command. */
  return strpbrk (text, "\r\n") == NULL;
}

void
tern_pop3_session_login_async (TernPop3Session     *self,
                               const char          *username,
                               const char          *password,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char * const *capabilities;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_pop3_session_login_async);

  if (!self->opened || self->failure != NULL || self->auth_method != TERN_POP3_AUTH_NONE)
    {
      g_task_return_new_error (task, TERN_POP3_ERROR, TERN_POP3_ERROR_STATE,
                               "The POP3 session is not ready to log in.");
      return;
    }
  if (tern_connection_get_security (self->connection) != TERN_SECURITY_NONE &&
      !tern_connection_is_tls (self->connection))
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_INSECURE,
                               "The connection to %s is not encrypted; the password was not sent.",
                               tern_connection_get_host (self->connection));
      return;
    }
  if (!is_credential_safe (username) || !is_credential_safe (password) || *username == '\0')
    {
      g_task_return_new_error (task, TERN_POP3_ERROR, TERN_POP3_ERROR_AUTH,
                               "The user name or password contains characters POP3 cannot send.");
      return;
    }

  wipe_string (&self->username);
  wipe_string (&self->password);
  self->username = g_strdup (username);
  self->password = g_strdup (password);
  capabilities = (const char * const *) self->capabilities;

  if (tern_pop3_capabilities_has_sasl (capabilities, "PLAIN"))
    {
      char *response = make_plain_response (self);
      char *line = g_strconcat ("AUTH PLAIN ", response, NULL);

      if (strlen (line) + 2 <= MAX_AUTH_LINE)
        send_command (self, line, "AUTH PLAIN " TERN_PROTOCOL_LOG_REDACTED, TERN_POP3_REPLY_STATUS,
                      auth_done, g_steal_pointer (&task));
      else
        {
          Command *command;

          send_command (self, "AUTH PLAIN", NULL, TERN_POP3_REPLY_STATUS, auth_continued, g_steal_pointer (&task));
          command = g_queue_peek_tail (&self->commands);
          if (command != NULL && command->done == auth_continued)
            command->continuation = TRUE;
        }
      memset (response, 0, strlen (response));
      memset (line, 0, strlen (line));
      g_free (response);
      g_free (line);
    }
  else
    {
      g_autofree char *line = g_strconcat ("USER ", username, NULL);

      /* Given as a secret so that it never goes out without TLS. */
      send_command (self, line, line, TERN_POP3_REPLY_STATUS, user_done, g_steal_pointer (&task));
    }
}

gboolean
tern_pop3_session_login_finish (TernPop3Session  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_pop3_session_login_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Transaction commands */

static GTask *
command_task_new (TernPop3Session     *self,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  if (self->failure == NULL && self->auth_method == TERN_POP3_AUTH_NONE)
    {
      g_task_return_new_error (task, TERN_POP3_ERROR, TERN_POP3_ERROR_STATE,
                               "The POP3 session is not logged in.");
      g_object_unref (task);
      return NULL;
    }
  return task;
}

/* Common completion: NULL and the task returned, or the +OK parser. */
static TernPop3Parser *
command_check (TernPop3Session *self,
               Command         *command,
               const GError    *error,
               const char      *what)
{
  GTask *task = command->data;
  const TernPop3Status *status;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
      return NULL;
    }
  status = tern_pop3_parser_get_status (command->parser);
  if (!status->ok)
    {
      g_task_return_error (task, status_error (self, status, TERN_POP3_ERROR_COMMAND_FAILED, what));
      g_object_unref (task);
      return NULL;
    }
  return command->parser;
}

static void
boolean_done (TernPop3Session *self,
              Command         *command,
              const GError    *error)
{
  GTask *task = command->data;

  if (command_check (self, command, error, g_task_get_name (task)) == NULL)
    return;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
send_simple (TernPop3Session     *self,
             gpointer             source_tag,
             const char          *what,
             const char          *line,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = command_task_new (self, source_tag, cancellable, callback, user_data);

  if (task == NULL)
    return;
  g_task_set_name (task, what);
  send_command (self, line, NULL, TERN_POP3_REPLY_STATUS, boolean_done, task);
}

static gboolean
propagate_boolean (TernPop3Session  *self,
                   GAsyncResult     *result,
                   gpointer          source_tag,
                   GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  guint   count;
  guint64 size;
} StatResult;

static void
stat_done (TernPop3Session *self,
           Command         *command,
           const GError    *error)
{
  GTask *task = command->data;
  TernPop3Parser *parser = command_check (self, command, error, "report the mailbox size");
  StatResult *stat;
  GError *local_error = NULL;

  if (parser == NULL)
    return;
  stat = g_new0 (StatResult, 1);
  if (!tern_pop3_parse_stat (tern_pop3_parser_get_status (parser)->text, &stat->count, &stat->size, &local_error))
    {
      g_free (stat);
      g_task_return_error (task, local_error);
    }
  else
    g_task_return_pointer (task, stat, g_free);
  g_object_unref (task);
}

void
tern_pop3_session_stat_async (TernPop3Session     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  task = command_task_new (self, tern_pop3_session_stat_async, cancellable, callback, user_data);
  if (task != NULL)
    send_command (self, "STAT", NULL, TERN_POP3_REPLY_STATUS, stat_done, task);
}

gboolean
tern_pop3_session_stat_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               guint            *count,
                               guint64          *size,
                               GError          **error)
{
  g_autofree StatResult *stat = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_pop3_session_stat_async, FALSE);
  stat = g_task_propagate_pointer (G_TASK (result), error);
  if (stat == NULL)
    return FALSE;
  if (count != NULL)
    *count = stat->count;
  if (size != NULL)
    *size = stat->size;
  return TRUE;
}

static void
entries_done (TernPop3Session *self,
              Command         *command,
              const GError    *error)
{
  GTask *task = command->data;
  TernPop3Parser *parser = command_check (self, command, error, "list the messages");

  if (parser == NULL)
    return;
  g_task_return_pointer (task, tern_pop3_parser_steal_entries (parser), (GDestroyNotify) g_array_unref);
  g_object_unref (task);
}

void
tern_pop3_session_list_async (TernPop3Session     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  task = command_task_new (self, tern_pop3_session_list_async, cancellable, callback, user_data);
  if (task != NULL)
    send_command (self, "LIST", NULL, TERN_POP3_REPLY_LIST, entries_done, task);
}

GArray *
tern_pop3_session_list_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_pop3_session_list_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
tern_pop3_session_uidl_async (TernPop3Session     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  task = command_task_new (self, tern_pop3_session_uidl_async, cancellable, callback, user_data);
  if (task != NULL)
    send_command (self, "UIDL", NULL, TERN_POP3_REPLY_UIDL, entries_done, task);
}

GArray *
tern_pop3_session_uidl_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_pop3_session_uidl_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
message_done (TernPop3Session *self,
              Command         *command,
              const GError    *error)
{
  GTask *task = command->data;
  TernPop3Parser *parser = command_check (self, command, error, "send a message");

  if (parser == NULL)
    return;
  g_task_return_pointer (task, tern_pop3_parser_steal_message (parser), (GDestroyNotify) g_bytes_unref);
  g_object_unref (task);
}

static gboolean
check_number (GTask *task,
              guint  number)
{
  if (number == 0 || number > TERN_POP3_MAX_MESSAGE_NUMBER)
    {
      g_task_return_new_error (task, TERN_POP3_ERROR, TERN_POP3_ERROR_STATE,
                               "There is no message number %u.", number);
      g_object_unref (task);
      return FALSE;
    }
  return TRUE;
}

void
tern_pop3_session_top_async (TernPop3Session     *self,
                             guint                number,
                             guint                lines,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  g_autofree char *line = NULL;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  task = command_task_new (self, tern_pop3_session_top_async, cancellable, callback, user_data);
  if (task == NULL || !check_number (task, number))
    return;
  line = g_strdup_printf ("TOP %u %u", number, lines);
  send_command (self, line, NULL, TERN_POP3_REPLY_MESSAGE, message_done, task);
}

GBytes *
tern_pop3_session_top_finish (TernPop3Session  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_pop3_session_top_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
tern_pop3_session_retr_async (TernPop3Session     *self,
                              guint                number,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  g_autofree char *line = NULL;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  task = command_task_new (self, tern_pop3_session_retr_async, cancellable, callback, user_data);
  if (task == NULL || !check_number (task, number))
    return;
  line = g_strdup_printf ("RETR %u", number);
  send_command (self, line, NULL, TERN_POP3_REPLY_MESSAGE, message_done, task);
}

GBytes *
tern_pop3_session_retr_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_pop3_session_retr_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* retr_many: a window of RETRs; each message goes to the callback as its
 * reply completes. */

typedef struct
{
  GTask               *task;         /* %NULL once returned */
  guint               *numbers;
  guint                n_numbers;
  guint                next;         /* the next index to send */
  guint                outstanding;  /* sent, not answered */
  TernPop3MessageFunc  func;
  gpointer             func_data;
  GDestroyNotify       func_data_destroy;
} Batch;

typedef struct
{
  Batch *batch;
  guint  number;
} BatchItem;

static void
batch_free (Batch *batch)
{
  g_assert (batch->task == NULL);
  if (batch->func_data_destroy != NULL)
    batch->func_data_destroy (batch->func_data);
  g_free (batch->numbers);
  g_free (batch);
}

static void batch_fill (TernPop3Session *self,
                        Batch           *batch);

static void
batch_return (Batch  *batch,
              GError *error)
{
  GTask *task = g_steal_pointer (&batch->task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
batch_item_done (TernPop3Session *self,
                 Command         *command,
                 const GError    *error)
{
  BatchItem *item = command->data;
  Batch *batch = item->batch;
  guint number = item->number;

  g_free (item);
  batch->outstanding--;

  if (batch->task != NULL)
    {
      const TernPop3Status *status = error == NULL ? tern_pop3_parser_get_status (command->parser) : NULL;

      if (error != NULL)
        batch_return (batch, g_error_copy (error));
      else if (!status->ok)
        batch_return (batch, status_error (self, status, TERN_POP3_ERROR_COMMAND_FAILED, "send a message"));
      else if (g_task_return_error_if_cancelled (batch->task))
        g_clear_object (&batch->task);
      else
        {
          g_autoptr(GBytes) message = tern_pop3_parser_steal_message (command->parser);

          batch->func (self, number, message, batch->func_data);
          batch_fill (self, batch);
          if (batch->task != NULL && batch->outstanding == 0 && batch->next == batch->n_numbers)
            batch_return (batch, NULL);
        }
    }
  if (batch->task == NULL && batch->outstanding == 0)
    batch_free (batch);
}

static void
batch_fill (TernPop3Session *self,
            Batch           *batch)
{
  guint limit = window (self);

  while (batch->task != NULL && batch->next < batch->n_numbers && batch->outstanding < limit)
    {
      BatchItem *item = g_new0 (BatchItem, 1);
      char line[32];

      item->batch = batch;
      item->number = batch->numbers[batch->next++];
      batch->outstanding++;
      g_snprintf (line, sizeof line, "RETR %u", item->number);
      send_command (self, line, NULL, TERN_POP3_REPLY_MESSAGE, batch_item_done, item);
    }
}

void
tern_pop3_session_retr_many_async (TernPop3Session     *self,
                                   const guint         *numbers,
                                   guint                n_numbers,
                                   TernPop3MessageFunc  func,
                                   gpointer             func_data,
                                   GDestroyNotify       func_data_destroy,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  Batch *batch;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  g_return_if_fail (numbers != NULL || n_numbers == 0);
  g_return_if_fail (func != NULL);

  task = command_task_new (self, tern_pop3_session_retr_many_async, cancellable, callback, user_data);
  if (task == NULL)
    {
      if (func_data_destroy != NULL)
        func_data_destroy (func_data);
      return;
    }
  for (guint i = 0; i < n_numbers; i++)
    if (numbers[i] == 0 || numbers[i] > TERN_POP3_MAX_MESSAGE_NUMBER)
      {
        if (func_data_destroy != NULL)
          func_data_destroy (func_data);
        check_number (task, numbers[i]);
        return;
      }

  batch = g_new0 (Batch, 1);
  batch->task = task;
  batch->numbers = g_memdup2 (numbers, sizeof (guint) * n_numbers);
  batch->n_numbers = n_numbers;
  batch->func = func;
  batch->func_data = func_data;
  batch->func_data_destroy = func_data_destroy;

  if (n_numbers == 0)
    {
      batch_return (batch, NULL);
      batch_free (batch);
      return;
    }
  batch_fill (self, batch);
}

gboolean
tern_pop3_session_retr_many_finish (TernPop3Session  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  return propagate_boolean (self, result, tern_pop3_session_retr_many_async, error);
}

void
tern_pop3_session_dele_async (TernPop3Session     *self,
                              guint                number,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *line = NULL;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  if (number == 0 || number > TERN_POP3_MAX_MESSAGE_NUMBER)
    {
      g_task_report_new_error (self, callback, user_data, tern_pop3_session_dele_async,
                               TERN_POP3_ERROR, TERN_POP3_ERROR_STATE, "There is no message number %u.", number);
      return;
    }
  line = g_strdup_printf ("DELE %u", number);
  send_simple (self, tern_pop3_session_dele_async, "delete a message", line, cancellable, callback, user_data);
}

gboolean
tern_pop3_session_dele_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  return propagate_boolean (self, result, tern_pop3_session_dele_async, error);
}

void
tern_pop3_session_rset_async (TernPop3Session     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  send_simple (self, tern_pop3_session_rset_async, "undo deletions", "RSET", cancellable, callback, user_data);
}

gboolean
tern_pop3_session_rset_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  return propagate_boolean (self, result, tern_pop3_session_rset_async, error);
}

void
tern_pop3_session_noop_async (TernPop3Session     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  send_simple (self, tern_pop3_session_noop_async, "answer", "NOOP", cancellable, callback, user_data);
}

gboolean
tern_pop3_session_noop_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  return propagate_boolean (self, result, tern_pop3_session_noop_async, error);
}

static void
quit_closed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;

  tern_connection_close_finish (TERN_CONNECTION (object), result, NULL);
  if (g_task_get_task_data (task) != NULL)
    g_task_return_error (task, g_error_copy (g_task_get_task_data (task)));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
quit_done (TernPop3Session *self,
           Command         *command,
           const GError    *error)
{
  GTask *task = command->data;
  const TernPop3Status *status;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
      return;
    }
  status = tern_pop3_parser_get_status (command->parser);
  if (!status->ok)
    g_task_set_task_data (task,
                          g_error_new (TERN_POP3_ERROR, TERN_POP3_ERROR_COMMAND_FAILED,
                                       "The server %s could not delete the messages. They will be deleted next time.",
                                       tern_connection_get_host (self->connection)),
                          (GDestroyNotify) g_error_free);
  self->auth_method = TERN_POP3_AUTH_NONE;
  self->opened = FALSE;
  g_clear_pointer (&self->capabilities, g_strfreev);
  tern_connection_close_async (self->connection, NULL, quit_closed_cb, task);
}

void
tern_pop3_session_quit_async (TernPop3Session     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_pop3_session_quit_async);
  /* QUIT also ends a session that never logged in. */
  send_command (self, "QUIT", NULL, TERN_POP3_REPLY_STATUS, quit_done, task);
}

gboolean
tern_pop3_session_quit_finish (TernPop3Session  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  return propagate_boolean (self, result, tern_pop3_session_quit_async, error);
}

static void
close_closed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;

  tern_connection_close_finish (TERN_CONNECTION (object), result, NULL);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
tern_pop3_session_close_async (TernPop3Session     *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TERN_IS_POP3_SESSION (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_pop3_session_close_async);
  g_task_set_check_cancellable (task, FALSE);
  fail_session (self, g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_CLOSED,
                                   "The connection to %s was closed.", tern_connection_get_host (self->connection)));
  self->auth_method = TERN_POP3_AUTH_NONE;
  tern_connection_close_async (self->connection, NULL, close_closed_cb, task);
}

gboolean
tern_pop3_session_close_finish (TernPop3Session  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  return propagate_boolean (self, result, tern_pop3_session_close_async, error);
}
