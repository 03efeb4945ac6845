/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-protocol"

#include <string.h>

#include "tern-net-private.h"
#include "tern-protocol-log.h"

/* A line longer than this is cut in the log (not on the wire). */
#define MAX_LOGGED_LINE 2048

struct _TernProtocolLog
{
  GObject  parent_instance;

  char    *name;
  guint    max_lines;
  GMutex   mutex;
  GQueue   lines;
};

G_DEFINE_FINAL_TYPE (TernProtocolLog, tern_protocol_log, G_TYPE_OBJECT)

enum {
  LINE_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
tern_protocol_log_finalize (GObject *object)
{
  TernProtocolLog *self = TERN_PROTOCOL_LOG (object);

  g_queue_clear_full (&self->lines, g_free);
  g_mutex_clear (&self->mutex);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (tern_protocol_log_parent_class)->finalize (object);
}

static void
tern_protocol_log_class_init (TernProtocolLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tern_protocol_log_finalize;

  /**
   * TernProtocolLog::line-added:
   * @connection_id: which connection, as in "#3"
   * @direction: a #TernProtocolLogDirection
   * @text: the escaped line, without prefix
   *
   * Emitted on the thread that logged the line.
   */
  signals[LINE_ADDED] =
    g_signal_new ("line-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_INT, G_TYPE_STRING);
}

static void
tern_protocol_log_init (TernProtocolLog *self)
{
  g_mutex_init (&self->mutex);
  g_queue_init (&self->lines);
}

/**
 * tern_protocol_log_new:
 * @name: shown in every debug message, e.g. the account's name and protocol
 * @max_lines: how many lines to keep in memory (0: none, only g_debug())
 */
TernProtocolLog *
tern_protocol_log_new (const char *name,
                       guint       max_lines)
{
  TernProtocolLog *self = g_object_new (TERN_TYPE_PROTOCOL_LOG, NULL);

  self->name = g_strdup (name != NULL ? name : "");
  self->max_lines = max_lines;
  return self;
}

const char *
tern_protocol_log_get_name (TernProtocolLog *self)
{
  g_return_val_if_fail (TERN_IS_PROTOCOL_LOG (self), NULL);
  return self->name;
}

static const char *
get_direction_prefix (TernProtocolLogDirection direction)
{
  switch (direction)
    {
    case TERN_PROTOCOL_LOG_SENT:
      return "C:";
    case TERN_PROTOCOL_LOG_RECEIVED:
      return "S:";
    case TERN_PROTOCOL_LOG_EVENT:
    default:
      return "*";
    }
}

static void
add_line (TernProtocolLog          *self,
          guint                     connection_id,
          TernProtocolLogDirection  direction,
          const char               *data,
          gsize                     length)
{
  g_autofree char *text = tern_net_escape_text (data, length, MAX_LOGGED_LINE);

  if (self->max_lines > 0)
    {
      char *line = g_strdup_printf ("#%u %s %s", connection_id, get_direction_prefix (direction), text);

      g_mutex_lock (&self->mutex);
      g_queue_push_tail (&self->lines, line);
      while (self->lines.length > self->max_lines)
        g_free (g_queue_pop_head (&self->lines));
      g_mutex_unlock (&self->mutex);
    }

  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("%s #%u %s %s", self->name, connection_id, get_direction_prefix (direction), text);

  g_signal_emit (self, signals[LINE_ADDED], 0, connection_id, (int) direction, text);
}

void
tern_protocol_log_append (TernProtocolLog          *self,
                          guint                     connection_id,
                          TernProtocolLogDirection  direction,
                          const char               *data,
                          gssize                    length)
{
  const char *p;
  const char *end;

  g_return_if_fail (TERN_IS_PROTOCOL_LOG (self));
  g_return_if_fail (data != NULL || length == 0);

  if (length < 0)
    length = strlen (data);

  p = data;
  end = data + length;
  do
    {
      const char *lf = memchr (p, '\n', end - p);
      const char *line_end = lf != NULL ? lf : end;
      gsize n = line_end - p;

      if (n > 0 && p[n - 1] == '\r')
        n--;
      /* A write that ends with CR LF is one line, not a line and an empty one. */
      if (lf == NULL && n == 0 && p != data)
        break;
      add_line (self, connection_id, direction, p, n);
      p = lf != NULL ? lf + 1 : end;
    }
  while (p < end);
}

void
tern_protocol_log_append_printf (TernProtocolLog          *self,
                                 guint                     connection_id,
                                 TernProtocolLogDirection  direction,
                                 const char               *format,
                                 ...)
{
  g_autofree char *text = NULL;
  va_list args;

  g_return_if_fail (TERN_IS_PROTOCOL_LOG (self));

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  tern_protocol_log_append (self, connection_id, direction, text, -1);
}

char *
tern_protocol_log_dup_text (TernProtocolLog *self)
{
  GString *out;

  g_return_val_if_fail (TERN_IS_PROTOCOL_LOG (self), NULL);

  out = g_string_new (NULL);
  g_mutex_lock (&self->mutex);
  for (GList *l = self->lines.head; l != NULL; l = l->next)
    {
      g_string_append (out, l->data);
      g_string_append_c (out, '\n');
    }
  g_mutex_unlock (&self->mutex);
  return g_string_free (out, FALSE);
}

void
tern_protocol_log_clear (TernProtocolLog *self)
{
  g_return_if_fail (TERN_IS_PROTOCOL_LOG (self));

  g_mutex_lock (&self->mutex);
  g_queue_clear_full (&self->lines, g_free);
  g_mutex_unlock (&self->mutex);
}
