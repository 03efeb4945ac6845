/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-account.h"
#include "tern-protocol-log.h"
#include "tern-store.h"

G_BEGIN_DECLS

typedef enum
{
  TERN_WORKER_STATE_STOPPED,
  TERN_WORKER_STATE_CONNECTING,
  TERN_WORKER_STATE_SYNCING,
  TERN_WORKER_STATE_ONLINE,     /* in sync, waiting for the server (IDLE) or the next check */
  TERN_WORKER_STATE_OFFLINE,    /* the server cannot be reached; trying again later */
  TERN_WORKER_STATE_ERROR,      /* the person must act (password, certificate); see the status text */
} TernWorkerState;

/* What one pass does besides folders, summaries, flags and queued actions. */
typedef enum
{
  TERN_WORKER_PASS_DEFAULT = 0,
  TERN_WORKER_PASS_BODIES  = 1 << 0,   /* every body, whatever the offline policy */
  TERN_WORKER_PASS_REPLAY_ONLY = 1 << 1, /* only the queued actions, no sync */
  TERN_WORKER_PASS_QUOTA  = 1 << 2,   /* learn the quota even with REPLAY_ONLY (a sync always does) */
} TernWorkerPassFlags;

/* One per account: keeps the account's store in step with its server.
 *
 * tern_account_worker_run_once() is one blocking pass (tern-cli, tests):
 * connect, replay the queued actions, sync, learn the quota, log out.
 *
 * tern_account_worker_start() runs the account in the background on a
 * thread of its own (its network I/O is GIO's async sockets on that
 * thread's main context; the UI thread never waits for it): passes, then
 * IDLE on the inbox where the server offers it (polling otherwise) with a
 * full check every poll interval, queued actions replayed as soon as
 * tern_account_worker_wake() says there are some, bodies fetched on demand,
 * reconnection with backoff. Its properties and signals are emitted on the
 * main context the worker was made on. */
#define TERN_TYPE_ACCOUNT_WORKER (tern_account_worker_get_type ())
G_DECLARE_FINAL_TYPE (TernAccountWorker, tern_account_worker, TERN, ACCOUNT_WORKER, GObject)

TernAccountWorker *tern_account_worker_new          (TernAccount         *account,
                                                     TernStore           *store);
TernAccount       *tern_account_worker_get_account  (TernAccountWorker   *self);
void               tern_account_worker_set_protocol_log (TernAccountWorker *self,
                                                     TernProtocolLog     *log);
/* Seconds between full checks (and NOOP polls without IDLE); default 300. */
void               tern_account_worker_set_poll_interval (TernAccountWorker *self,
                                                     guint                seconds);

gboolean           tern_account_worker_run_once     (TernAccountWorker   *self,
                                                     TernWorkerPassFlags  flags,
                                                     GCancellable        *cancellable,
                                                     GError             **error);
/* Counts of the last pass. */
guint              tern_account_worker_get_n_new     (TernAccountWorker  *self);
guint              tern_account_worker_get_n_replayed (TernAccountWorker *self);

void               tern_account_worker_start        (TernAccountWorker   *self);
/* Stops the background thread and waits for it. */
void               tern_account_worker_stop         (TernAccountWorker   *self);
/* Queued actions or "check now": the background thread acts at once. */
void               tern_account_worker_wake         (TernAccountWorker   *self);

TernWorkerState    tern_account_worker_get_state    (TernAccountWorker   *self);
/* Why the state is OFFLINE or ERROR, for a person; NULL otherwise. */
const char        *tern_account_worker_get_status_text (TernAccountWorker *self);

/* The body of MESSAGE_ID, fetched by the background thread (or by a
 * connection of its own when the worker is not started) and stored. */
void               tern_account_worker_fetch_body_async  (TernAccountWorker  *self,
                                                          gint64              message_id,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
gboolean           tern_account_worker_fetch_body_finish (TernAccountWorker  *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

G_END_DECLS
