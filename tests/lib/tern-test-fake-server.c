/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-test-fake-server"

#include <string.h>

#include "tern-test-fake-server.h"

gboolean
tern_test_fake_server_write (GIOStream  *stream,
                             const char *text)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (stream), text, strlen (text), NULL, NULL, NULL);
}

/* One byte at a time: the server never reads ahead of a line. */
char *
tern_test_fake_server_read_line (TernTestFakeServer *server,
                                 GIOStream  *stream)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char c;

  while (g_input_stream_read (g_io_stream_get_input_stream (stream), &c, 1, NULL, NULL) == 1)
    {
      if (c == '\n')
        {
          if (line->len > 0 && line->str[line->len - 1] == '\r')
            g_string_truncate (line, line->len - 1);
          g_mutex_lock (&server->mutex);
          {
            char *joined = g_strconcat (server->lines != NULL ? server->lines : "", line->str, "\n", NULL);

            g_free (server->lines);
            server->lines = joined;
          }
          g_mutex_unlock (&server->mutex);
          return g_string_free (g_steal_pointer (&line), FALSE);
        }
      g_string_append_c (line, c);
    }
  return NULL;
}

/* Reads until the client closes; returns how many bytes came. */
gssize
tern_test_fake_server_read_to_end (GIOStream *stream)
{
  gssize total = 0;
  char buffer[4096];
  gssize n;

  while ((n = g_input_stream_read (g_io_stream_get_input_stream (stream), buffer, sizeof buffer, NULL, NULL)) > 0)
    total += n;
  return total;
}

void
tern_test_fake_server_record_after (TernTestFakeServer *server,
                                    gssize      n)
{
  g_mutex_lock (&server->mutex);
  server->bytes_after = n;
  g_mutex_unlock (&server->mutex);
}

void
tern_test_fake_server_wait_go (TernTestFakeServer *server)
{
  g_mutex_lock (&server->mutex);
  while (!server->go)
    g_cond_wait (&server->cond, &server->mutex);
  g_mutex_unlock (&server->mutex);
}

void
tern_test_fake_server_go (TernTestFakeServer *server)
{
  g_mutex_lock (&server->mutex);
  server->go = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->mutex);
}

GIOStream *
tern_test_fake_server_start_tls (TernTestFakeServer *server,
                                 GIOStream  *base)
{
  g_autoptr(GIOStream) tls = NULL;
  gboolean ok;

  tls = g_tls_server_connection_new (base, server->certificate, NULL);
  g_assert_nonnull (tls);
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  ok = g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL);

  g_mutex_lock (&server->mutex);
  if (ok)
    server->handshakes_done++;
  else
    server->handshakes_failed++;
  g_mutex_unlock (&server->mutex);
  return ok ? g_steal_pointer (&tls) : NULL;
}

static gboolean
fake_server_run_cb (GThreadedSocketService *service,
                    GSocketConnection      *connection,
                    GObject                *source_object,
                    gpointer                user_data)
{
  TernTestFakeServer *server = user_data;

  /* A script never waits forever for a client that went away. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 10);
  g_mutex_lock (&server->mutex);
  server->accepted++;
  g_mutex_unlock (&server->mutex);

  server->script (server, G_IO_STREAM (connection));
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_mutex_lock (&server->mutex);
  server->finished++;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->mutex);
  return TRUE;
}

TernTestFakeServer *
tern_test_fake_server_new (TernTestFakeScript       script,
                           GTlsCertificate *certificate)
{
  TernTestFakeServer *server = g_new0 (TernTestFakeServer, 1);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_init (&server->mutex);
  g_cond_init (&server->cond);
  server->script = script;
  server->certificate = certificate != NULL ? g_object_ref (certificate) : NULL;
  server->bytes_after = -1;
  server->service = g_threaded_socket_service_new (4);
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (server->service, "run", G_CALLBACK (fake_server_run_cb), server);
  g_socket_service_start (server->service);
  return server;
}

/* Waits (running the main context) until N scripts have ended. */
void
tern_test_fake_server_wait (TernTestFakeServer *server,
                            guint       n)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_mutex_lock (&server->mutex);
  while (server->finished < n)
    {
      g_mutex_unlock (&server->mutex);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_mutex_lock (&server->mutex);
    }
  g_mutex_unlock (&server->mutex);
}

void
tern_test_fake_server_free (TernTestFakeServer *server)
{
  tern_test_fake_server_go (server);
  tern_test_fake_server_wait (server, server->accepted);
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_clear_object (&server->service);
  g_clear_object (&server->certificate);
  g_free (server->lines);
  g_mutex_clear (&server->mutex);
  g_cond_clear (&server->cond);
  g_free (server);
}


