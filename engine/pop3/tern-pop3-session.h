/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-connection.h"
#include "tern-pop3-parser.h"

G_BEGIN_DECLS

/* One POP3 session (RFC 1939, 2449, 2595, 5034) on a TernConnection.
 *
 * open: connect (unless connected), read the greeting (an APOP timestamp is
 * ignored), CAPA; on a "starttls" account STLS — if it is not offered or is
 * refused, the session fails with %TERN_POP3_ERROR_STLS_UNAVAILABLE and
 * nothing else is sent — then forget everything and CAPA again.
 * login: AUTH PLAIN when the server offers SASL PLAIN, else USER/PASS.
 * Credentials are written only as redacted secrets, so the connection
 * refuses them without TLS unless the account's security is "none"; the
 * session also refuses by itself.
 *
 * Commands queue: when CAPA offers PIPELINING, up to
 * TERN_POP3_SESSION_PIPELINE_WINDOW are in flight, else one at a time. Any
 * call may be made while others are pending; replies complete in order.
 * A broken reply or a lost connection fails the session: every pending
 * call fails and the connection closes. Cancelling a call does not cut its
 * reply short (POP3 cannot skip one): the call fails with
 * %G_IO_ERROR_CANCELLED once its reply is read and the session goes on;
 * retr_many stops sending more RETRs. To stop at once, close the session.
 *
 * DELE only marks a message; the server removes it when QUIT succeeds. A
 * session that ends any other way (connection lost, process killed,
 * tern_pop3_session_close_async()) deletes nothing. The caller must DELE a
 * message only after it is durably stored (tern_store_add_message_async()
 * completed).
 *
 * UIDs are data: never a file name or a path. */
#define TERN_TYPE_POP3_SESSION (tern_pop3_session_get_type ())
G_DECLARE_FINAL_TYPE (TernPop3Session, tern_pop3_session, TERN, POP3_SESSION, GObject)

#define TERN_POP3_SESSION_PIPELINE_WINDOW 32

typedef enum
{
  TERN_POP3_AUTH_NONE,        /* not logged in */
  TERN_POP3_AUTH_PLAIN,       /* AUTH PLAIN (RFC 5034) */
  TERN_POP3_AUTH_USER_PASS,   /* USER/PASS (RFC 1939) */
} TernPop3AuthMethod;

TernPop3Session     *tern_pop3_session_new              (TernConnection      *connection);
TernConnection      *tern_pop3_session_get_connection   (TernPop3Session     *self);

/* After open: the capabilities (CAPA lines) learned on the current
 * connection generation; %NULL if the server has no CAPA. */
const char * const  *tern_pop3_session_get_capabilities (TernPop3Session     *self);
gboolean             tern_pop3_session_has_capability   (TernPop3Session     *self,
                                                         const char          *name);
gboolean             tern_pop3_session_get_pipelining   (TernPop3Session     *self);
/* Use PIPELINING when offered (the default) or always lock-step. */
void                 tern_pop3_session_set_use_pipelining (TernPop3Session   *self,
                                                         gboolean             use_pipelining);
TernPop3AuthMethod   tern_pop3_session_get_auth_method  (TernPop3Session     *self);
/* Limit for one message (RETR/TOP) in bytes. */
void                 tern_pop3_session_set_max_message_size (TernPop3Session *self,
                                                         gsize                max_size);

void                 tern_pop3_session_open_async       (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_open_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* %TERN_POP3_ERROR_AUTH for refused credentials, _IN_USE, _TEMPORARY. */
void                 tern_pop3_session_login_async      (TernPop3Session     *self,
                                                         const char          *username,
                                                         const char          *password,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_login_finish     (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

void                 tern_pop3_session_stat_async       (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_stat_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         guint               *count,
                                                         guint64             *size,
                                                         GError             **error);

/* LIST and UIDL: a GArray of TernPop3Entry in the server's order. */
void                 tern_pop3_session_list_async       (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GArray              *tern_pop3_session_list_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void                 tern_pop3_session_uidl_async       (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GArray              *tern_pop3_session_uidl_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* TOP n LINES (LINES 0: the header) and RETR n: the unstuffed message,
 * lines ending in CR LF. */
void                 tern_pop3_session_top_async        (TernPop3Session     *self,
                                                         guint                number,
                                                         guint                lines,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GBytes              *tern_pop3_session_top_finish       (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void                 tern_pop3_session_retr_async       (TernPop3Session     *self,
                                                         guint                number,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GBytes              *tern_pop3_session_retr_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* Called once per message, in the order of NUMBERS, as each arrives. */
typedef void (*TernPop3MessageFunc) (TernPop3Session *self,
                                     guint            number,
                                     GBytes          *message,
                                     gpointer         user_data);

/* RETR each of NUMBERS (N_NUMBERS), keeping up to the pipeline window in
 * flight when the server offers PIPELINING. Fails at the first -ERR or
 * error; FUNC has then seen every message before it. */
void                 tern_pop3_session_retr_many_async  (TernPop3Session     *self,
                                                         const guint         *numbers,
                                                         guint                n_numbers,
                                                         TernPop3MessageFunc  func,
                                                         gpointer             func_data,
                                                         GDestroyNotify       func_data_destroy,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_retr_many_finish (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* DELE n (effective only at QUIT), RSET, NOOP. */
void                 tern_pop3_session_dele_async       (TernPop3Session     *self,
                                                         guint                number,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_dele_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void                 tern_pop3_session_rset_async       (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_rset_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void                 tern_pop3_session_noop_async       (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_noop_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* QUIT: the server applies the DELEs (UPDATE state) and the connection
 * closes. Fails if the server reports that the update failed. */
void                 tern_pop3_session_quit_async       (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_quit_finish      (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* Drops the connection without QUIT: nothing marked with DELE is deleted.
 * Pending calls fail. Never fails. */
void                 tern_pop3_session_close_async      (TernPop3Session     *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             tern_pop3_session_close_finish     (TernPop3Session     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

G_END_DECLS
