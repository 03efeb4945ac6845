/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A scripted fake server for hostile-server tests: each accepted connection
 * runs SCRIPT on its own thread with blocking I/O, so a script reads like
 * the conversation. */
typedef struct _TernTestFakeServer TernTestFakeServer;
typedef void (*TernTestFakeScript) (TernTestFakeServer *server,
                                    GIOStream          *stream);

struct _TernTestFakeServer
{
  GSocketService  *service;
  guint16          port;
  TernTestFakeScript script;
  GTlsCertificate *certificate;
  GMutex           mutex;
  GCond            cond;
  guint            accepted;
  guint            finished;
  gboolean         go;                /* the test lets the script go on */
  guint            handshakes_failed;
  guint            handshakes_done;
  gssize           bytes_after;       /* what a script read where nothing was expected */
  char            *lines;             /* lines the script read, joined by \n */
};

/* Blocking I/O for scripts, on the server's thread. */
gboolean            tern_test_fake_server_write       (GIOStream          *stream,
                                                       const char         *text);
char               *tern_test_fake_server_read_line   (TernTestFakeServer *server,
                                                       GIOStream          *stream);
gssize              tern_test_fake_server_read_to_end (GIOStream          *stream);
void                tern_test_fake_server_record_after (TernTestFakeServer *server,
                                                       gssize              n);
void                tern_test_fake_server_wait_go     (TernTestFakeServer *server);
GIOStream          *tern_test_fake_server_start_tls   (TernTestFakeServer *server,
                                                       GIOStream          *base);

/* For the test's own thread. */
TernTestFakeServer *tern_test_fake_server_new         (TernTestFakeScript  script,
                                                       GTlsCertificate    *certificate);
void                tern_test_fake_server_go          (TernTestFakeServer *server);
void                tern_test_fake_server_wait        (TernTestFakeServer *server,
                                                       guint               n);
void                tern_test_fake_server_free        (TernTestFakeServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernTestFakeServer, tern_test_fake_server_free)

G_END_DECLS
