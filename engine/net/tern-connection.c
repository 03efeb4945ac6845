/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-connection"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "tern-connection.h"
#include "tern-tls-database.h"

/* How much one read asks the stream for; also the buffer's starting size. */
#define READ_CHUNK (32 * 1024)
/* A counted read larger than this goes straight into its destination. */
#define DIRECT_READ_CHUNK (1024 * 1024)
/* An empty buffer larger than this is given back after a long line. */
#define SHRINK_ABOVE (4 * READ_CHUNK)
/* How long a graceful close may spend sending the TLS close_notify. */
#define CLOSE_NOTIFY_TIMEOUT_MS 2000
/* A write larger than this is logged by its first line and size only. */
#define MAX_LOGGED_WRITE 4096

typedef enum
{
  STATE_DISCONNECTED,
  STATE_CONNECTING,
  STATE_CONNECTED,
  STATE_UPGRADING,   /* STARTTLS handshake */
  STATE_CLOSING,     /* waiting for pending operations, then closing */
} ConnState;

typedef enum
{
  OP_CONNECT,
  OP_START_TLS,
  OP_READ_LINE,
  OP_READ_BYTES,
  OP_WRITE,
} OpKind;

/* One pending operation: a GTask's data. */
typedef struct
{
  TernConnection *self;                /* borrowed: the task holds a reference */
  OpKind          kind;
  GCancellable   *cancellable;         /* ours: cancelled by the caller's, the timer and close */
  GCancellable   *caller_cancellable;
  gulong          caller_handler;
  GSource        *timer;
  GMainContext   *context;             /* the task's: borrowed, the task holds it */
  guint           timeout_ms;
  gboolean        timed_out;
  gboolean        aborted;             /* cancelled because the connection is closing */
  gboolean        finished;

  /* connect, start_tls */
  GTlsConnection *tls;                 /* during the handshake */
  gboolean        prompted;
  GError         *certificate_error;   /* while the prompt is asked */

  /* read_bytes */
  GByteArray     *dest;
  gsize           size;
  gsize           have;                /* bytes of dest filled */

  /* write */
  GBytes         *data;
  gsize           written;
} Op;

struct _TernConnection
{
  GObject                parent_instance;

  guint                  id;
  char                  *host;
  guint16                port;
  TernSecurity           security;
  char                  *ca_file;
  char                  *server_identity;
  char                  *pinned_sha256;
  gboolean               pin_valid;
  guint8                 pin[TERN_CERTIFICATE_DIGEST_SIZE];
  GArray                *session_pins;    /* of TERN_CERTIFICATE_DIGEST_SIZE-byte digests */

  TernCertificatePrompt *prompt;
  TernProtocolLog       *log;

  guint                  connect_timeout_ms;
  guint                  read_timeout_ms;
  guint                  keepalive_s;
  gsize                  max_line_length;
  gsize                  max_read_size;

  ConnState              state;
  guint                  generation;
  GTlsDatabase          *database;
  GSocketConnection     *socket_connection;
  GTlsConnection        *tls_connection;
  GIOStream             *stream;          /* borrowed: one of the two above */
  gboolean               graceful_close;
  gboolean               closing_stream;
  GSource               *close_timer;     /* bounds the close_notify */

  /* The read buffer: bytes [start, end) are received and not yet returned;
   * [start, scanned) are known to hold no LF. */
  guint8                *buffer;
  gsize                  buffer_size;
  gsize                  start;
  gsize                  end;
  gsize                  scanned;

  Op                    *connect_op;      /* connect or start_tls */
  Op                    *read_op;
  Op                    *write_op;
  GPtrArray             *close_tasks;

  /* Written by the accept-certificate handler, which may run on a TLS
   * thread while the main thread waits for the handshake. */
  GTlsCertificate       *peer_certificate;
  GTlsCertificateFlags   peer_errors;
  gboolean               peer_accepted;
  TernCertificateInfo   *peer_info;
};

G_DEFINE_FINAL_TYPE (TernConnection, tern_connection, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_SERVER_IDENTITY,
  PROP_PINNED_SHA256,
  PROP_CERTIFICATE_PROMPT,
  PROP_PROTOCOL_LOG,
  PROP_CONNECT_TIMEOUT,
  PROP_READ_TIMEOUT,
  PROP_CONNECTED,
  PROP_IS_TLS,
  PROP_GENERATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void maybe_tear_down (TernConnection *self);

/* Logging */

static void
log_event (TernConnection *self,
           const char     *format,
           ...) G_GNUC_PRINTF (2, 3);

static void
log_event (TernConnection *self,
           const char     *format,
           ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (self->log == NULL)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  tern_protocol_log_append (self->log, self->id, TERN_PROTOCOL_LOG_EVENT, text, -1);
}

static void
log_sent (TernConnection *self,
          GBytes         *data,
          const char     *redacted)
{
  const char *bytes;
  gsize size;
  const char *lf;

  if (self->log == NULL)
    return;

  if (redacted != NULL)
    {
      tern_protocol_log_append (self->log, self->id, TERN_PROTOCOL_LOG_SENT, redacted, -1);
      return;
    }

  bytes = g_bytes_get_data (data, &size);
  if (size <= MAX_LOGGED_WRITE)
    {
      tern_protocol_log_append (self->log, self->id, TERN_PROTOCOL_LOG_SENT, bytes, size);
      return;
    }

  lf = memchr (bytes, '\n', MIN (size, (gsize) MAX_LOGGED_WRITE));
  tern_protocol_log_append (self->log, self->id, TERN_PROTOCOL_LOG_SENT, bytes,
                            lf != NULL ? (gsize) (lf - bytes) : (gsize) 80);
  tern_protocol_log_append_printf (self->log, self->id, TERN_PROTOCOL_LOG_SENT,
                                   "<%" G_GSIZE_FORMAT " bytes in all>", size);
}

/* Errors */

static gboolean
is_caller_cancelled (Op *op)
{
  return op->caller_cancellable != NULL && g_cancellable_is_cancelled (op->caller_cancellable);
}

static GError *
make_timeout_error (TernConnection *self,
                    Op             *op)
{
  if (op->kind == OP_CONNECT || op->kind == OP_START_TLS)
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT,
                        "The server %s did not answer within %u seconds. Check your internet connection "
                        "and the server’s name and port, or try again later.",
                        self->host, (op->timeout_ms + 999) / 1000);
  return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT,
                      "The server %s stopped answering for %u seconds, so the connection was closed. "
                      "Check your internet connection, or try again later.",
                      self->host, (op->timeout_ms + 999) / 1000);
}

static GError *
make_closed_error (TernConnection *self)
{
  return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_CLOSED,
                      "The server %s closed the connection unexpectedly. Try again later.", self->host);
}

/* Takes ERROR (from GIO, or ours) and returns a TERN_NET_ERROR for OP. */
static GError *
translate_error (TernConnection *self,
                 Op             *op,
                 GError         *error)
{
  g_autoptr(GError) owned = error;

  if (op != NULL && op->timed_out)
    return make_timeout_error (self, op);
  if (op != NULL && op->aborted)
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_CLOSED, "The connection to %s was closed.", self->host);
  if (owned == NULL)
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_FAILED, "The connection to %s failed.", self->host);
  if (owned->domain == TERN_NET_ERROR)
    return g_steal_pointer (&owned);

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_new_literal (TERN_NET_ERROR, TERN_NET_ERROR_CANCELLED, "The operation was cancelled.");

  if (owned->domain == G_RESOLVER_ERROR || g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_HOST_NOT_FOUND,
                        "The server “%s” could not be found. Check the server name in the account "
                        "settings and your internet connection.",
                        self->host);

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_REFUSED,
                        "The server %s refused the connection on port %u. Check the port and security "
                        "settings, or try again later.",
                        self->host, self->port);

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_UNREACHABLE,
                        "The server %s cannot be reached. Check your internet connection.", self->host);

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return op != NULL ? make_timeout_error (self, op)
                      : g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_TIMEOUT,
                                     "The server %s did not answer in time.", self->host);

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
      g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
      g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED) ||
      g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
      g_error_matches (owned, G_TLS_ERROR, G_TLS_ERROR_EOF))
    return make_closed_error (self);

  if (g_error_matches (owned, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_TLS_FAILED,
                        "The server %s did not answer with TLS on port %u. Check the port and security "
                        "settings: implicit TLS usually uses port 993 (IMAP), 995 (POP3) or 465 (SMTP).",
                        self->host, self->port);

  if (owned->domain == G_TLS_ERROR)
    return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_TLS_FAILED,
                        "A secure connection to %s could not be set up (%s). Check the port and security "
                        "settings, or try again later.",
                        self->host, owned->message);

  return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                      "The connection to %s failed (%s). Try again later.", self->host, owned->message);
}

static GError *
make_certificate_error (TernConnection       *self,
                        TernCertificateInfo  *info,
                        GTlsCertificateFlags  errors)
{
  g_autofree char *reasons = tern_certificate_errors_to_string (errors);

  return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_CERTIFICATE,
                      "The identity of %s could not be verified. %s Someone may be impersonating the "
                      "server, so nothing was sent. If you trust this server, compare its certificate "
                      "(SHA-256 %s) with the one your provider publishes before trusting it.",
                      self->host, reasons,
                      info != NULL ? tern_certificate_info_get_sha256 (info) : "unknown");
}

/* Operations */

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
op_stop_timer (Op *op)
{
  if (op->timer != NULL)
    {
      g_source_destroy (op->timer);
      g_clear_pointer (&op->timer, g_source_unref);
    }
}

static gboolean
op_timer_fired_cb (gpointer user_data)
{
  Op *op = user_data;

  op->timed_out = TRUE;
  g_cancellable_cancel (op->cancellable);
  g_clear_pointer (&op->timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* (Re)starts the silence timer: each chunk of progress restarts it. */
static void
op_start_timer (Op    *op,
                guint  timeout_ms)
{
  op_stop_timer (op);
  op->timeout_ms = timeout_ms;
  if (timeout_ms == 0 || op->timed_out)
    return;
  op->timer = g_timeout_source_new (timeout_ms);
  g_source_set_static_name (op->timer, "[tern] connection timeout");
  g_source_set_callback (op->timer, op_timer_fired_cb, op, NULL);
  g_source_attach (op->timer, op->context);
}

static void
op_free (Op *op)
{
  op_stop_timer (op);
  if (op->caller_handler != 0)
    g_cancellable_disconnect (op->caller_cancellable, op->caller_handler);
  g_clear_object (&op->caller_cancellable);
  g_clear_object (&op->cancellable);
  g_clear_object (&op->tls);
  g_clear_error (&op->certificate_error);
  g_clear_pointer (&op->dest, g_byte_array_unref);
  g_clear_pointer (&op->data, g_bytes_unref);
  g_free (op);
}

static GTask *
op_task_new (TernConnection      *self,
             OpKind               kind,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  g_task_set_source_tag (task, source_tag);
  /* We map cancellation ourselves, and a read that completed as it was
   * cancelled must still hand over its data. */
  g_task_set_check_cancellable (task, FALSE);

  op->self = self;
  op->kind = kind;
  op->context = g_task_get_context (task);
  op->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      op->caller_cancellable = g_object_ref (cancellable);
      op->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                  g_object_ref (op->cancellable), g_object_unref);
    }
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  return task;
}

static Op **
op_slot (TernConnection *self,
         OpKind          kind)
{
  switch (kind)
    {
    case OP_CONNECT:
    case OP_START_TLS:
      return &self->connect_op;
    case OP_READ_LINE:
    case OP_READ_BYTES:
      return &self->read_op;
    case OP_WRITE:
    default:
      return &self->write_op;
    }
}

/* The operation no longer runs; its task is about to return. */
static void
op_finish (Op *op)
{
  Op **slot = op_slot (op->self, op->kind);

  op->finished = TRUE;
  op_stop_timer (op);
  if (*slot == op)
    *slot = NULL;
}

static void
op_abort (Op *op)
{
  if (op == NULL)
    return;
  op->aborted = TRUE;
  g_cancellable_cancel (op->cancellable);
}

static gboolean
has_pending_ops (TernConnection *self)
{
  return self->connect_op != NULL || self->read_op != NULL || self->write_op != NULL;
}

/* Connection state */

static void
notify_state (TernConnection *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_TLS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATION]);
}

static void
reset_buffer (TernConnection *self)
{
  self->start = self->end = self->scanned = 0;
  if (self->buffer_size > SHRINK_ABOVE)
    {
      g_clear_pointer (&self->buffer, g_free);
      self->buffer_size = 0;
    }
}

/* Closes the socket at once (no close_notify) and forgets the streams. */
static void
close_streams_now (TernConnection *self)
{
  if (self->tls_connection != NULL)
    g_signal_handlers_disconnect_by_data (self->tls_connection, self);

  /* The socket first: closing the TLS stream then cannot block on a
   * close_notify the server does not read. */
  if (self->socket_connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->socket_connection), NULL, NULL);
  if (self->tls_connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->tls_connection), NULL, NULL);

  self->stream = NULL;
  g_clear_object (&self->tls_connection);
  g_clear_object (&self->socket_connection);
  reset_buffer (self);
}

static void
complete_close_tasks (TernConnection *self)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->close_tasks);

  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}

static void
finish_teardown (TernConnection *self)
{
  gboolean was_connected = self->stream != NULL;

  close_streams_now (self);
  self->state = STATE_DISCONNECTED;
  self->graceful_close = FALSE;
  self->closing_stream = FALSE;
  if (was_connected)
    log_event (self, "closed");
  notify_state (self);
  complete_close_tasks (self);
}

static void
close_notify_sent_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(TernConnection) self = user_data;

  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
  if (self->close_timer != NULL)
    {
      g_source_destroy (self->close_timer);
      g_clear_pointer (&self->close_timer, g_source_unref);
    }
  finish_teardown (self);
}

static gboolean
close_notify_timeout_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* Once nothing is pending on a closing connection, closes it: with a TLS
 * close_notify if asked to close, bounded in time, else at once. */
static void
maybe_tear_down (TernConnection *self)
{
  if (self->state != STATE_CLOSING || has_pending_ops (self) || self->closing_stream)
    return;

  if (self->graceful_close && self->tls_connection != NULL)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      self->closing_stream = TRUE;
      self->close_timer = g_timeout_source_new (CLOSE_NOTIFY_TIMEOUT_MS);
      g_source_set_static_name (self->close_timer, "[tern] close_notify timeout");
      g_source_set_callback (self->close_timer, close_notify_timeout_cb, g_object_ref (cancellable), g_object_unref);
      g_source_attach (self->close_timer, g_main_context_get_thread_default ());
      g_signal_handlers_disconnect_by_data (self->tls_connection, self);
      g_io_stream_close_async (G_IO_STREAM (self->tls_connection), G_PRIORITY_DEFAULT, cancellable,
                               close_notify_sent_cb, g_object_ref (self));
      return;
    }

  finish_teardown (self);
}

/* A fatal error: cancel what is pending, close as soon as it has stopped. */
static void
abort_connection (TernConnection *self)
{
  if (self->state == STATE_DISCONNECTED)
    return;
  if (self->state != STATE_CLOSING)
    self->state = STATE_CLOSING;
  op_abort (self->connect_op);
  op_abort (self->read_op);
  op_abort (self->write_op);
  maybe_tear_down (self);
}

/* Ends OP with ERROR (owned). FATAL closes the connection first. */
static void
op_return_error (GTask    *task,
                 GError   *error,
                 gboolean  fatal)
{
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;

  op_finish (op);
  if (fatal)
    {
      log_event (self, "error: %s", error->message);
      abort_connection (self);
    }
  else
    maybe_tear_down (self);
  g_task_return_error (task, error);
}

/* A precondition for I/O; returns FALSE after returning an error on TASK. */
static gboolean
check_io (TernConnection *self,
          GTask          *task,
          Op            **slot)
{
  if (self->state == STATE_DISCONNECTED || self->state == STATE_CLOSING)
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED,
                               "The connection to %s is closed.", self->host);
      return FALSE;
    }
  if (self->state != STATE_CONNECTED)
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                               "The connection to %s is not ready yet.", self->host);
      return FALSE;
    }
  if (*slot != NULL)
    {
      g_critical ("TernConnection: another %s is already pending", slot == &self->read_op ? "read" : "write");
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                               "Another operation is already pending on the connection to %s.", self->host);
      return FALSE;
    }
  return TRUE;
}

/* Certificates */

static gboolean
is_pinned (TernConnection *self,
           const guint8   *digest)
{
  gboolean pinned = FALSE;

  /* No early exit: each comparison takes the same time. */
  if (self->pin_valid && tern_certificate_digest_equal (digest, self->pin))
    pinned = TRUE;
  for (guint i = 0; i < self->session_pins->len / TERN_CERTIFICATE_DIGEST_SIZE; i++)
    if (tern_certificate_digest_equal (digest, &g_array_index (self->session_pins, guint8,
                                                               i * TERN_CERTIFICATE_DIGEST_SIZE)))
      pinned = TRUE;
  return pinned;
}

/* Only called when verification failed: accept exactly a pinned certificate. */
static gboolean
tls_accept_certificate_cb (GTlsConnection       *tls,
                           GTlsCertificate      *peer_certificate,
                           GTlsCertificateFlags  errors,
                           gpointer              user_data)
{
  TernConnection *self = user_data;
  guint8 digest[TERN_CERTIFICATE_DIGEST_SIZE];

  g_set_object (&self->peer_certificate, peer_certificate);
  self->peer_errors = errors;
  self->peer_accepted = tern_certificate_compute_digest (peer_certificate, digest) && is_pinned (self, digest);
  return self->peer_accepted;
}

static void
forget_peer (TernConnection *self)
{
  g_clear_object (&self->peer_certificate);
  g_clear_object (&self->peer_info);
  self->peer_errors = 0;
  self->peer_accepted = FALSE;
}

static const char *
describe_protocol_version (GTlsProtocolVersion version)
{
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_SSL_3_0:
      return "SSL 3.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_0:
      return "TLS 1.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_1:
      return "TLS 1.1";
    case G_TLS_PROTOCOL_VERSION_TLS_1_2:
      return "TLS 1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3:
      return "TLS 1.3";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0:
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2:
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    default:
      return "TLS";
    }
}

static GTlsDatabase *
make_database (TernConnection  *self,
               GError         **error)
{
  g_autoptr(GTlsDatabase) system = g_tls_backend_get_default_database (g_tls_backend_get_default ());

  if (self->ca_file == NULL)
    return g_steal_pointer (&system);
  return tern_tls_database_new (system, self->ca_file, error);
}

/* Connect */

static void connect_tcp (GTask *task);

static void
connect_succeeded (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;

  op_finish (op);
  self->state = STATE_CONNECTED;
  self->generation++;
  notify_state (self);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);  /* the reference the caller handed us */
}

static void
prompt_answered_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  g_autoptr(GError) error = NULL;
  TernCertificateDecision decision;
  guint8 digest[TERN_CERTIFICATE_DIGEST_SIZE];
  const char *pin;

  decision = tern_certificate_prompt_ask_finish (TERN_CERTIFICATE_PROMPT (object), result, &error);

  if (op->aborted || is_caller_cancelled (op))
    {
      op_return_error (task, translate_error (self, op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "")),
                       TRUE);
      return;
    }
  if (error != NULL || decision == TERN_CERTIFICATE_DECISION_REJECT ||
      self->peer_info == NULL || decision > TERN_CERTIFICATE_DECISION_TRUST_ALWAYS)
    {
      log_event (self, "certificate rejected");
      op_return_error (task, g_steal_pointer (&op->certificate_error), TRUE);
      return;
    }

  pin = tern_certificate_info_get_pin (self->peer_info);
  if (decision == TERN_CERTIFICATE_DECISION_TRUST_ALWAYS)
    {
      log_event (self, "certificate %s pinned", tern_certificate_info_get_sha256 (self->peer_info));
      tern_connection_set_pinned_sha256 (self, pin);
    }
  else
    {
      log_event (self, "certificate %s trusted for this session", tern_certificate_info_get_sha256 (self->peer_info));
      if (tern_certificate_parse_pin (pin, digest))
        g_array_append_vals (self->session_pins, digest, TERN_CERTIFICATE_DIGEST_SIZE);
    }

  if (op->kind == OP_START_TLS)
    {
      op_return_error (task,
                       g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_RECONNECT,
                                    "The certificate of %s is now trusted; connect again to use it.", self->host),
                       TRUE);
      return;
    }

  /* Connect once more; this time exactly that certificate is accepted. */
  g_clear_error (&op->certificate_error);
  connect_tcp (g_steal_pointer (&task));
}

static void
handshake_done_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  g_autoptr(GTlsConnection) tls = g_steal_pointer (&op->tls);
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags errors;

  op_stop_timer (op);
  if (!g_tls_connection_handshake_finish (tls, result, &error))
    {
      g_signal_handlers_disconnect_by_data (tls, self);
      g_io_stream_close (G_IO_STREAM (self->socket_connection), NULL, NULL);
      g_io_stream_close (G_IO_STREAM (tls), NULL, NULL);

      if (self->peer_certificate != NULL && self->peer_errors != 0 && !self->peer_accepted &&
          !op->timed_out && !op->aborted && !is_caller_cancelled (op))
        {
          TernCertificateInfo *info = tern_connection_get_peer_certificate_info (self);
          g_autofree char *reasons = tern_certificate_errors_to_string (self->peer_errors);

          log_event (self, "certificate refused: %s (SHA-256 %s)", reasons,
                     info != NULL ? tern_certificate_info_get_sha256 (info) : "unknown");
          op->certificate_error = make_certificate_error (self, info, self->peer_errors);

          if (self->prompt != NULL && !op->prompted && info != NULL)
            {
              op->prompted = TRUE;
              op_stop_timer (op);
              /* The socket is dead after the failed handshake; a retry
               * starts from TCP. */
              g_clear_object (&self->socket_connection);
              self->stream = NULL;
              tern_certificate_prompt_ask_async (self->prompt, info, self->peer_errors,
                                                 self->server_identity, op->cancellable,
                                                 prompt_answered_cb, g_steal_pointer (&task));
              return;
            }
          op_return_error (task, g_steal_pointer (&op->certificate_error), TRUE);
          return;
        }

      op_return_error (task, translate_error (self, op, g_steal_pointer (&error)), TRUE);
      return;
    }

  /* Verified, or accepted by a pin (then the handler saw the errors). */
  errors = g_tls_connection_get_peer_certificate_errors (tls);
  g_clear_object (&self->peer_info);
  g_set_object (&self->peer_certificate, g_tls_connection_get_peer_certificate (tls));
  self->peer_errors = errors;

  self->tls_connection = g_steal_pointer (&tls);
  self->stream = G_IO_STREAM (self->tls_connection);
  {
    g_autofree char *cipher = g_tls_connection_get_ciphersuite_name (self->tls_connection);

    log_event (self, "%s established (%s); certificate %s",
               describe_protocol_version (g_tls_connection_get_protocol_version (self->tls_connection)),
               cipher != NULL ? cipher : "unknown cipher",
               self->peer_errors == 0 ? "verified" : "accepted by its pin");
  }

  connect_succeeded (g_steal_pointer (&task));
}

static void
start_handshake (GTask *task)
{
  g_autoptr(GTask) owned = task;  /* ours to drop or hand on */
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  identity = g_network_address_new (self->server_identity, self->port);
  tls = g_tls_client_connection_new (G_IO_STREAM (self->socket_connection), identity, &error);
  if (tls == NULL)
    {
      op_return_error (task,
                       g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_TLS_FAILED,
                                    "A secure connection to %s could not be set up: %s", self->host,
                                    error->message),
                       TRUE);
      return;
    }

  g_tls_connection_set_database (G_TLS_CONNECTION (tls), self->database);
  /* Mail protocols delimit their own data; a missing close_notify after a
   * server's BYE is normal and not a truncation. */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (tls_accept_certificate_cb), self);

  forget_peer (self);
  op->tls = G_TLS_CONNECTION (g_steal_pointer (&tls));
  g_tls_connection_handshake_async (op->tls, G_PRIORITY_DEFAULT, op->cancellable, handshake_done_cb,
                                    g_steal_pointer (&owned));
}

static void
configure_socket (TernConnection *self)
{
  GSocket *socket = g_socket_connection_get_socket (self->socket_connection);

  /* Commands are small and answered one at a time: do not wait to fill
   * segments. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  if (self->keepalive_s == 0)
    return;
  g_socket_set_keepalive (socket, TRUE);
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, (gint) MIN (self->keepalive_s, 32767u), NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, (gint) CLAMP (self->keepalive_s / 4, 1u, 32767u), NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, 4, NULL);
#endif
}

static void
tcp_connected_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    {
      op_return_error (task, translate_error (self, op, g_steal_pointer (&error)), TRUE);
      return;
    }

  self->socket_connection = connection;
  self->stream = G_IO_STREAM (connection);
  configure_socket (self);

  remote = g_socket_connection_get_remote_address (connection, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    {
      GInetAddress *address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
      g_autofree char *ip = g_inet_address_to_string (address);

      log_event (self, "connected to %s (%s) port %u", self->host, ip, self->port);
    }

  if (self->security == TERN_SECURITY_TLS)
    start_handshake (g_steal_pointer (&task));
  else
    connect_succeeded (g_steal_pointer (&task));
}

static void
connect_tcp (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = g_network_address_new (self->host, self->port);

  op_start_timer (op, self->connect_timeout_ms);
  log_event (self, "connecting to %s port %u (%s)", self->host, self->port,
             tern_security_to_string (self->security));
  g_socket_client_connect_async (client, address, op->cancellable, tcp_connected_cb, task);
}

void
tern_connection_connect_async (TernConnection      *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Op *op;

  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = op_task_new (self, OP_CONNECT, tern_connection_connect_async, cancellable, callback, user_data);
  op = g_task_get_task_data (task);

  if (self->state != STATE_DISCONNECTED || has_pending_ops (self))
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                               "The connection to %s is already open or opening.", self->host);
      return;
    }
  if (self->security != TERN_SECURITY_TLS && self->security != TERN_SECURITY_STARTTLS &&
      self->security != TERN_SECURITY_NONE)
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_INVALID,
                               "The account’s security setting is not valid. Choose TLS or STARTTLS.");
      return;
    }
  if (self->pinned_sha256 != NULL && !self->pin_valid)
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_INVALID,
                               "The account’s pinned certificate is not a SHA-256 fingerprint. Remove it "
                               "from the account settings, or enter the 64 hexadecimal digits again.");
      return;
    }

  g_clear_object (&self->database);
  if (self->security != TERN_SECURITY_NONE)
    {
      self->database = make_database (self, &error);
      if (self->database == NULL && error != NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  forget_peer (self);
  reset_buffer (self);
  self->state = STATE_CONNECTING;
  self->connect_op = op;
  connect_tcp (g_steal_pointer (&task));
}

gboolean
tern_connection_connect_finish (TernConnection  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_connection_connect_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* STARTTLS */

void
tern_connection_start_tls_async (TernConnection      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;
  gsize buffered;
  gssize available;

  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = op_task_new (self, OP_START_TLS, tern_connection_start_tls_async, cancellable, callback, user_data);
  op = g_task_get_task_data (task);

  if (self->state != STATE_CONNECTED)
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_CLOSED,
                               "The connection to %s is closed.", self->host);
      return;
    }
  if (self->tls_connection != NULL)
    {
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                               "The connection to %s is already secure.", self->host);
      return;
    }
  if (has_pending_ops (self))
    {
      g_critical ("TernConnection: start_tls with a read or write pending");
      g_task_return_new_error (task, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                               "Another operation is still pending on the connection to %s.", self->host);
      return;
    }

  /* The hard reset: anything the server sent after its go-ahead was
   * written before the handshake and could be taken for a reply from
   * inside TLS. Look in our buffer and in the kernel's. */
  buffered = self->end - self->start;
  available = g_socket_get_available_bytes (g_socket_connection_get_socket (self->socket_connection));
  if (buffered > 0 || available > 0)
    {
      log_event (self, "the server sent %" G_GSIZE_FORMAT " bytes before the TLS handshake",
                 buffered + (gsize) MAX (available, 0));
      self->connect_op = op;
      op_return_error (task,
                       g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_INJECTION,
                                    "The server %s sent data before the TLS handshake, which could be an "
                                    "attack on the connection, so it was closed. If this happens again, "
                                    "tell your provider.",
                                    self->host),
                       TRUE);
      return;
    }

  if (self->database == NULL)
    {
      g_autoptr(GError) error = NULL;

      self->database = make_database (self, &error);
      if (self->database == NULL && error != NULL)
        {
          self->connect_op = op;
          op_return_error (task, g_steal_pointer (&error), TRUE);
          return;
        }
    }

  log_event (self, "starting TLS");
  self->state = STATE_UPGRADING;
  self->connect_op = op;
  reset_buffer (self);
  op_start_timer (op, self->connect_timeout_ms);
  start_handshake (g_steal_pointer (&task));
}

gboolean
tern_connection_start_tls_finish (TernConnection  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_connection_start_tls_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Reading */

static GInputStream *
get_input (TernConnection *self)
{
  return g_io_stream_get_input_stream (self->stream);
}

/* Makes room for at least one byte at the end of the buffer, within
 * MAX (max-line-length + 2, READ_CHUNK) bytes in all. */
static void
prepare_buffer (TernConnection *self)
{
  gsize limit = MAX (self->max_line_length + 2, (gsize) READ_CHUNK);

  if (self->start == self->end)
    self->start = self->end = self->scanned = 0;

  if (self->buffer == NULL)
    {
      self->buffer_size = READ_CHUNK;
      self->buffer = g_malloc (self->buffer_size);
    }

  if (self->start > 0 && self->buffer_size - self->end < READ_CHUNK / 4)
    {
      memmove (self->buffer, self->buffer + self->start, self->end - self->start);
      self->end -= self->start;
      self->scanned -= self->start;
      self->start = 0;
    }

  if (self->end == self->buffer_size && self->buffer_size < limit)
    {
      self->buffer_size = MIN (self->buffer_size * 2, limit);
      self->buffer = g_realloc (self->buffer, self->buffer_size);
    }

  g_assert (self->end < self->buffer_size);
}

static void
fill_buffer (TernConnection      *self,
             GTask               *task,
             GAsyncReadyCallback  callback)
{
  Op *op = g_task_get_task_data (task);

  prepare_buffer (self);
  g_input_stream_read_async (get_input (self), self->buffer + self->end, self->buffer_size - self->end,
                             G_PRIORITY_DEFAULT, op->cancellable, callback, task);
}

/* Returns FALSE after ending the task if the read failed or hit the end. */
static gboolean
finish_fill (TernConnection *self,
             GTask          *task,
             GObject        *stream,
             GAsyncResult   *result)
{
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (stream), result, &error);
  if (n < 0)
    {
      GError *translated = translate_error (self, op, g_steal_pointer (&error));
      /* A cancelled line read leaves the buffer as it was: the caller may
       * read again. A counted read has consumed bytes already. */
      gboolean fatal = !g_error_matches (translated, TERN_NET_ERROR, TERN_NET_ERROR_CANCELLED) ||
                       (op->kind == OP_READ_BYTES && op->have > 0);

      op_return_error (task, translated, fatal);
      return FALSE;
    }
  if (n == 0)
    {
      if (self->end > self->start)
        op_return_error (task,
                         g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_CLOSED,
                                      "The server %s closed the connection in the middle of a reply. "
                                      "Try again later.",
                                      self->host),
                         TRUE);
      else
        op_return_error (task, make_closed_error (self), TRUE);
      return FALSE;
    }

  self->end += n;
  op_start_timer (op, op->timeout_ms);
  return TRUE;
}

static void read_line_step (GTask *task);

static void
read_line_filled_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);

  if (finish_fill (op->self, task, object, result))
    read_line_step (g_steal_pointer (&task));
}

static GError *
make_line_too_long_error (TernConnection *self)
{
  return g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_LINE_TOO_LONG,
                      "The server %s sent a line longer than %" G_GSIZE_FORMAT " bytes, which Tern does "
                      "not accept; the connection was closed. If this happens again, tell your provider.",
                      self->host, self->max_line_length);
}

static void
read_line_step (GTask *task)
{
  g_autoptr(GTask) owned = task;  /* ours to drop or hand on */
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  const guint8 *lf;

  lf = memchr (self->buffer + self->scanned, '\n', self->end - self->scanned);
  if (lf != NULL)
    {
      gsize line_end = lf - self->buffer;
      gsize length = line_end - self->start;
      guint8 *line;

      if (length > 0 && self->buffer[line_end - 1] == '\r')
        length--;
      if (length > self->max_line_length)
        {
          op_return_error (task, make_line_too_long_error (self), TRUE);
          return;
        }

      line = g_malloc (length + 1);
      memcpy (line, self->buffer + self->start, length);
      line[length] = '\0';
      self->start = line_end + 1;
      self->scanned = self->start;

      if (self->log != NULL)
        tern_protocol_log_append (self->log, self->id, TERN_PROTOCOL_LOG_RECEIVED, (const char *) line, length);

      op_finish (op);
      g_task_return_pointer (task, g_bytes_new_take (line, length), (GDestroyNotify) g_bytes_unref);
      maybe_tear_down (self);
      return;
    }

  self->scanned = self->end;
  if (self->end - self->start >= self->max_line_length + 2)
    {
      op_return_error (task, make_line_too_long_error (self), TRUE);
      return;
    }

  fill_buffer (self, g_steal_pointer (&owned), read_line_filled_cb);
}

void
tern_connection_read_line_async (TernConnection      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = op_task_new (self, OP_READ_LINE, tern_connection_read_line_async, cancellable, callback, user_data);
  if (!check_io (self, task, &self->read_op))
    return;

  op = g_task_get_task_data (task);
  self->read_op = op;
  op_start_timer (op, self->read_timeout_ms);
  if (self->buffer == NULL)
    prepare_buffer (self);
  read_line_step (g_steal_pointer (&task));
}

GBytes *
tern_connection_read_line_finish (TernConnection  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_connection_read_line_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void read_bytes_step (GTask *task);

static void
read_bytes_filled_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);

  if (finish_fill (op->self, task, object, result))
    read_bytes_step (g_steal_pointer (&task));
}

static void
read_bytes_direct_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n < 0)
    {
      op_return_error (task, translate_error (self, op, g_steal_pointer (&error)), TRUE);
      return;
    }
  if (n == 0)
    {
      op_return_error (task,
                       g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_CLOSED,
                                    "The server %s closed the connection in the middle of a message. "
                                    "Try again later.",
                                    self->host),
                       TRUE);
      return;
    }

  op->have += n;
  g_byte_array_set_size (op->dest, (guint) op->have);
  op_start_timer (op, op->timeout_ms);
  read_bytes_step (g_steal_pointer (&task));
}

static void
read_bytes_step (GTask *task)
{
  g_autoptr(GTask) owned = task;  /* ours to drop or hand on */
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  gsize take = MIN (self->end - self->start, op->size - op->have);
  gsize remaining;
  gsize chunk;

  if (take > 0)
    {
      g_byte_array_append (op->dest, self->buffer + self->start, (guint) take);
      op->have += take;
      self->start += take;
      self->scanned = MAX (self->scanned, self->start);
    }

  if (op->have == op->size)
    {
      GBytes *bytes = g_byte_array_free_to_bytes (g_steal_pointer (&op->dest));

      if (self->log != NULL)
        tern_protocol_log_append_printf (self->log, self->id, TERN_PROTOCOL_LOG_RECEIVED,
                                         "<%" G_GSIZE_FORMAT " bytes>", op->size);
      op_finish (op);
      g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
      maybe_tear_down (self);
      return;
    }

  remaining = op->size - op->have;
  if (remaining < READ_CHUNK)
    {
      fill_buffer (self, g_steal_pointer (&owned), read_bytes_filled_cb);
      return;
    }

  /* Large: straight into the destination, so nothing is read ahead. The
   * array grows with what arrives, not with what the server announced. */
  chunk = MIN (remaining, (gsize) DIRECT_READ_CHUNK);
  g_byte_array_set_size (op->dest, (guint) (op->have + chunk));
  g_input_stream_read_async (get_input (self), op->dest->data + op->have, chunk, G_PRIORITY_DEFAULT,
                             op->cancellable, read_bytes_direct_cb, g_steal_pointer (&owned));
}

void
tern_connection_read_bytes_async (TernConnection      *self,
                                  gsize                size,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = op_task_new (self, OP_READ_BYTES, tern_connection_read_bytes_async, cancellable, callback, user_data);
  if (!check_io (self, task, &self->read_op))
    return;

  op = g_task_get_task_data (task);
  self->read_op = op;
  if (size > self->max_read_size || size > G_MAXUINT)
    {
      op_return_error (task,
                       g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_TOO_LARGE,
                                    "The server %s announced %" G_GSIZE_FORMAT " bytes, more than Tern "
                                    "accepts at once (%" G_GSIZE_FORMAT "); the connection was closed.",
                                    self->host, size, self->max_read_size),
                       TRUE);
      return;
    }

  op->size = size;
  op->dest = g_byte_array_sized_new ((guint) MIN (size, (gsize) DIRECT_READ_CHUNK));
  op_start_timer (op, self->read_timeout_ms);
  if (self->buffer == NULL)
    prepare_buffer (self);
  read_bytes_step (g_steal_pointer (&task));
}

GBytes *
tern_connection_read_bytes_finish (TernConnection  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_connection_read_bytes_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Writing */

static void write_step (GTask *task);

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_output_stream_write_finish (G_OUTPUT_STREAM (object), result, &error);
  if (n < 0)
    {
      GError *translated = translate_error (self, op, g_steal_pointer (&error));
      /* Half a command on the wire cannot be taken back. */
      gboolean fatal = !g_error_matches (translated, TERN_NET_ERROR, TERN_NET_ERROR_CANCELLED) || op->written > 0;

      op_return_error (task, translated, fatal);
      return;
    }

  op->written += n;
  op_start_timer (op, op->timeout_ms);
  write_step (g_steal_pointer (&task));
}

static void
write_step (GTask *task)
{
  g_autoptr(GTask) owned = task;  /* ours to drop or hand on */
  Op *op = g_task_get_task_data (task);
  TernConnection *self = op->self;
  gsize size;
  const guint8 *data = g_bytes_get_data (op->data, &size);

  if (op->written == size)
    {
      op_finish (op);
      g_task_return_boolean (task, TRUE);
      maybe_tear_down (self);
      return;
    }

  g_output_stream_write_async (g_io_stream_get_output_stream (self->stream), data + op->written,
                               size - op->written, G_PRIORITY_DEFAULT, op->cancellable, written_cb,
                               g_steal_pointer (&owned));
}

void
tern_connection_write_async (TernConnection      *self,
                             GBytes              *data,
                             const char          *redacted,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (data != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = op_task_new (self, OP_WRITE, tern_connection_write_async, cancellable, callback, user_data);
  if (!check_io (self, task, &self->write_op))
    return;

  op = g_task_get_task_data (task);
  self->write_op = op;

  if (redacted != NULL && self->tls_connection == NULL && self->security != TERN_SECURITY_NONE)
    {
      log_event (self, "refused to send a secret without TLS: %s", redacted);
      op_return_error (task,
                       g_error_new (TERN_NET_ERROR, TERN_NET_ERROR_INSECURE,
                                    "Tern refused to send your password or mail to %s over a connection "
                                    "that is not encrypted, so nothing was sent. Check the account’s "
                                    "security setting.",
                                    self->host),
                       TRUE);
      return;
    }

  log_sent (self, data, redacted);
  op->data = g_bytes_ref (data);
  op_start_timer (op, self->read_timeout_ms);
  write_step (g_steal_pointer (&task));
}

gboolean
tern_connection_write_finish (TernConnection  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_connection_write_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Closing */

void
tern_connection_close_async (TernConnection      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tern_connection_close_async);
  g_task_set_check_cancellable (task, FALSE);

  if (self->state == STATE_DISCONNECTED && !has_pending_ops (self))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_ptr_array_add (self->close_tasks, task);
  if (self->state != STATE_CLOSING)
    self->graceful_close = TRUE;
  abort_connection (self);
}

gboolean
tern_connection_close_finish (TernConnection  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tern_connection_close_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Settings and state */

static void
set_pin (TernConnection *self,
         const char     *pinned_sha256)
{
  g_clear_pointer (&self->pinned_sha256, g_free);
  self->pin_valid = FALSE;
  memset (self->pin, 0, sizeof self->pin);

  if (pinned_sha256 == NULL || pinned_sha256[0] == '\0')
    return;

  self->pin_valid = tern_certificate_parse_pin (pinned_sha256, self->pin);
  if (self->pin_valid)
    {
      GString *normal = g_string_new (NULL);

      for (gsize i = 0; i < sizeof self->pin; i++)
        g_string_append_printf (normal, "%02x", self->pin[i]);
      self->pinned_sha256 = g_string_free (normal, FALSE);
    }
  else
    self->pinned_sha256 = g_strdup (pinned_sha256);
}

TernConnection *
tern_connection_new (const char   *host,
                     guint16       port,
                     TernSecurity  security,
                     const char   *ca_file,
                     const char   *pinned_sha256)
{
  static guint next_id;
  TernConnection *self;

  g_return_val_if_fail (host != NULL && host[0] != '\0', NULL);
  g_return_val_if_fail (port != 0, NULL);

  self = g_object_new (TERN_TYPE_CONNECTION, NULL);
  self->id = g_atomic_int_add (&next_id, 1) + 1;
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;
  self->ca_file = ca_file != NULL && ca_file[0] != '\0' ? g_strdup (ca_file) : NULL;
  self->server_identity = g_strdup (host);
  set_pin (self, pinned_sha256);
  return self;
}

const char *
tern_connection_get_host (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);
  return self->host;
}

guint16
tern_connection_get_port (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->port;
}

TernSecurity
tern_connection_get_security (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), TERN_SECURITY_TLS);
  return self->security;
}

guint
tern_connection_get_id (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->id;
}

const char *
tern_connection_get_server_identity (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);
  return self->server_identity;
}

void
tern_connection_set_server_identity (TernConnection *self,
                                     const char     *server_identity)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));

  if (server_identity == NULL || server_identity[0] == '\0')
    server_identity = self->host;
  if (g_strcmp0 (server_identity, self->server_identity) == 0)
    return;
  g_free (self->server_identity);
  self->server_identity = g_strdup (server_identity);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_IDENTITY]);
}

const char *
tern_connection_get_pinned_sha256 (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);
  return self->pinned_sha256;
}

void
tern_connection_set_pinned_sha256 (TernConnection *self,
                                   const char     *pinned_sha256)
{
  g_autofree char *before = NULL;

  g_return_if_fail (TERN_IS_CONNECTION (self));

  before = g_strdup (self->pinned_sha256);
  set_pin (self, pinned_sha256);
  if (g_strcmp0 (before, self->pinned_sha256) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED_SHA256]);
}

TernCertificatePrompt *
tern_connection_get_certificate_prompt (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);
  return self->prompt;
}

void
tern_connection_set_certificate_prompt (TernConnection        *self,
                                        TernCertificatePrompt *prompt)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (prompt == NULL || TERN_IS_CERTIFICATE_PROMPT (prompt));

  if (g_set_object (&self->prompt, prompt))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE_PROMPT]);
}

TernProtocolLog *
tern_connection_get_protocol_log (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);
  return self->log;
}

void
tern_connection_set_protocol_log (TernConnection  *self,
                                  TernProtocolLog *log)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (log == NULL || TERN_IS_PROTOCOL_LOG (log));

  if (g_set_object (&self->log, log))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROTOCOL_LOG]);
}

guint
tern_connection_get_connect_timeout (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->connect_timeout_ms;
}

void
tern_connection_set_connect_timeout (TernConnection *self,
                                     guint           timeout_ms)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));

  if (self->connect_timeout_ms == timeout_ms)
    return;
  self->connect_timeout_ms = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECT_TIMEOUT]);
}

guint
tern_connection_get_read_timeout (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->read_timeout_ms;
}

void
tern_connection_set_read_timeout (TernConnection *self,
                                  guint           timeout_ms)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));

  if (self->read_timeout_ms == timeout_ms)
    return;
  self->read_timeout_ms = timeout_ms;
  /* A read waiting now (IMAP IDLE) counts its silence anew from here. */
  if (self->read_op != NULL && !self->read_op->finished && !self->read_op->timed_out)
    op_start_timer (self->read_op, timeout_ms);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_TIMEOUT]);
}

guint
tern_connection_get_keepalive (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->keepalive_s;
}

void
tern_connection_set_keepalive (TernConnection *self,
                               guint           idle_seconds)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));
  self->keepalive_s = idle_seconds;
}

gsize
tern_connection_get_max_line_length (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->max_line_length;
}

void
tern_connection_set_max_line_length (TernConnection *self,
                                     gsize           max_line_length)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));
  g_return_if_fail (max_line_length > 0 && max_line_length < G_MAXSIZE / 4);
  g_return_if_fail (self->read_op == NULL);

  self->max_line_length = max_line_length;
}

gsize
tern_connection_get_max_read_size (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->max_read_size;
}

void
tern_connection_set_max_read_size (TernConnection *self,
                                   gsize           max_read_size)
{
  g_return_if_fail (TERN_IS_CONNECTION (self));
  self->max_read_size = max_read_size;
}

gboolean
tern_connection_is_connected (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), FALSE);
  return self->state == STATE_CONNECTED || self->state == STATE_UPGRADING;
}

gboolean
tern_connection_is_tls (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), FALSE);
  return self->tls_connection != NULL && self->state == STATE_CONNECTED;
}

guint
tern_connection_get_generation (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->generation;
}

gsize
tern_connection_get_buffered_size (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->end - self->start;
}

TernCertificateInfo *
tern_connection_get_peer_certificate_info (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), NULL);

  if (self->peer_info == NULL && self->peer_certificate != NULL)
    {
      g_autoptr(GError) error = NULL;

      self->peer_info = tern_certificate_info_new (self->peer_certificate, &error);
      if (self->peer_info == NULL)
        g_debug ("%s", error->message);
    }
  return self->peer_info;
}

GTlsCertificateFlags
tern_connection_get_peer_certificate_errors (TernConnection *self)
{
  g_return_val_if_fail (TERN_IS_CONNECTION (self), 0);
  return self->peer_errors;
}

/* GObject */

static void
tern_connection_dispose (GObject *object)
{
  TernConnection *self = TERN_CONNECTION (object);

  /* Pending operations hold a reference: nothing is pending here. */
  close_streams_now (self);
  self->state = STATE_DISCONNECTED;

  G_OBJECT_CLASS (tern_connection_parent_class)->dispose (object);
}

static void
tern_connection_finalize (GObject *object)
{
  TernConnection *self = TERN_CONNECTION (object);

  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->server_identity, g_free);
  g_clear_pointer (&self->pinned_sha256, g_free);
  g_clear_pointer (&self->session_pins, g_array_unref);
  g_clear_pointer (&self->buffer, g_free);
  g_clear_pointer (&self->close_tasks, g_ptr_array_unref);
  g_clear_object (&self->prompt);
  g_clear_object (&self->log);
  g_clear_object (&self->database);
  g_clear_object (&self->peer_certificate);
  g_clear_object (&self->peer_info);

  G_OBJECT_CLASS (tern_connection_parent_class)->finalize (object);
}

static void
tern_connection_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TernConnection *self = TERN_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_SERVER_IDENTITY:
      g_value_set_string (value, self->server_identity);
      break;
    case PROP_PINNED_SHA256:
      g_value_set_string (value, self->pinned_sha256);
      break;
    case PROP_CERTIFICATE_PROMPT:
      g_value_set_object (value, self->prompt);
      break;
    case PROP_PROTOCOL_LOG:
      g_value_set_object (value, self->log);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout_ms);
      break;
    case PROP_READ_TIMEOUT:
      g_value_set_uint (value, self->read_timeout_ms);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, tern_connection_is_connected (self));
      break;
    case PROP_IS_TLS:
      g_value_set_boolean (value, tern_connection_is_tls (self));
      break;
    case PROP_GENERATION:
      g_value_set_uint (value, self->generation);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_connection_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TernConnection *self = TERN_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_SERVER_IDENTITY:
      tern_connection_set_server_identity (self, g_value_get_string (value));
      break;
    case PROP_PINNED_SHA256:
      tern_connection_set_pinned_sha256 (self, g_value_get_string (value));
      break;
    case PROP_CERTIFICATE_PROMPT:
      tern_connection_set_certificate_prompt (self, g_value_get_object (value));
      break;
    case PROP_PROTOCOL_LOG:
      tern_connection_set_protocol_log (self, g_value_get_object (value));
      break;
    case PROP_CONNECT_TIMEOUT:
      tern_connection_set_connect_timeout (self, g_value_get_uint (value));
      break;
    case PROP_READ_TIMEOUT:
      tern_connection_set_read_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_connection_class_init (TernConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = tern_connection_dispose;
  object_class->finalize = tern_connection_finalize;
  object_class->get_property = tern_connection_get_property;
  object_class->set_property = tern_connection_set_property;

  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, ro);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, ro);
  properties[PROP_SERVER_IDENTITY] = g_param_spec_string ("server-identity", NULL, NULL, NULL, rw);
  properties[PROP_PINNED_SHA256] = g_param_spec_string ("pinned-sha256", NULL, NULL, NULL, rw);
  properties[PROP_CERTIFICATE_PROMPT] =
    g_param_spec_object ("certificate-prompt", NULL, NULL, TERN_TYPE_CERTIFICATE_PROMPT, rw);
  properties[PROP_PROTOCOL_LOG] = g_param_spec_object ("protocol-log", NULL, NULL, TERN_TYPE_PROTOCOL_LOG, rw);
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", NULL, NULL, 0, G_MAXUINT, TERN_CONNECTION_DEFAULT_CONNECT_TIMEOUT_MS, rw);
  properties[PROP_READ_TIMEOUT] =
    g_param_spec_uint ("read-timeout", NULL, NULL, 0, G_MAXUINT, TERN_CONNECTION_DEFAULT_READ_TIMEOUT_MS, rw);
  properties[PROP_CONNECTED] = g_param_spec_boolean ("connected", NULL, NULL, FALSE, ro);
  properties[PROP_IS_TLS] = g_param_spec_boolean ("is-tls", NULL, NULL, FALSE, ro);
  properties[PROP_GENERATION] = g_param_spec_uint ("generation", NULL, NULL, 0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tern_connection_init (TernConnection *self)
{
  self->connect_timeout_ms = TERN_CONNECTION_DEFAULT_CONNECT_TIMEOUT_MS;
  self->read_timeout_ms = TERN_CONNECTION_DEFAULT_READ_TIMEOUT_MS;
  self->keepalive_s = TERN_CONNECTION_DEFAULT_KEEPALIVE_S;
  self->max_line_length = TERN_CONNECTION_DEFAULT_MAX_LINE_LENGTH;
  self->max_read_size = TERN_CONNECTION_DEFAULT_MAX_READ_SIZE;
  self->session_pins = g_array_new (FALSE, FALSE, sizeof (guint8));
  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}
