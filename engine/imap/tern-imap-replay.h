/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tern-imap-session.h"
#include "tern-store.h"

G_BEGIN_DECLS

/* Replays an account's queued offline actions (tern_store_apply_action_async)
 * to the server over a logged-in session, oldest first, each exactly once:
 * an action leaves the queue only after the server said OK, and every
 * action names UIDs, so replaying it again after a crash changes nothing.
 * A move learns the new UIDs from COPYUID and hands them to the rows and to
 * the actions queued after it. An action whose folder's UIDVALIDITY changed
 * is dropped; one the server refuses is retried on later passes and
 * dropped after TERN_IMAP_REPLAY_MAX_ATTEMPTS refusals. A lost connection
 * stops the pass with an error and keeps the rest queued. */
#define TERN_TYPE_IMAP_REPLAY (tern_imap_replay_get_type ())
G_DECLARE_FINAL_TYPE (TernImapReplay, tern_imap_replay, TERN, IMAP_REPLAY, GObject)

#define TERN_IMAP_REPLAY_MAX_ATTEMPTS 5

TernImapReplay *tern_imap_replay_new           (TernImapSession  *session,
                                                TernStore        *store);
/* Blocking, like tern_imap_sync_run(): on the thread that uses the store. */
gboolean        tern_imap_replay_run           (TernImapReplay   *self,
                                                GCancellable     *cancellable,
                                                GError          **error);
/* Actions the server accepted in the last run. */
guint           tern_imap_replay_get_n_done    (TernImapReplay   *self);
/* Actions dropped in the last run (refused for good, or stale). */
guint           tern_imap_replay_get_n_dropped (TernImapReplay   *self);

G_END_DECLS
