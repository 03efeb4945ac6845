/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tern-imap-session.h"
#include "tern-store.h"

G_BEGIN_DECLS

#define TERN_IMAP_SYNC_BATCH 500

/* One sync pass of an account into the store, over a logged-in session:
 * LIST into folders (roles, UTF-8 names), then per folder EXAMINE, a changed
 * UIDVALIDITY drops the folder's cache, new messages' summaries newest first
 * in batches of TERN_IMAP_SYNC_BATCH, flag changes (CHANGEDSINCE or QRESYNC
 * when enabled) and messages gone from the server removed here. A pass with
 * no change on the server fetches no message data. */
#define TERN_TYPE_IMAP_SYNC (tern_imap_sync_get_type ())
G_DECLARE_FINAL_TYPE (TernImapSync, tern_imap_sync, TERN, IMAP_SYNC, GObject)

TernImapSync *tern_imap_sync_new           (TernImapSession  *session,
                                            TernStore        *store);
/* Blocking: runs each call on a private main context (tern-cli, tests, a
 * worker). Must run on the thread that opened the store. */
gboolean      tern_imap_sync_run           (TernImapSync     *self,
                                            GCancellable     *cancellable,
                                            GError          **error);
/* Messages inserted by the last run. */
guint         tern_imap_sync_get_n_fetched (TernImapSync     *self);

/* The store's summary of one FETCH (ENVELOPE, BODYSTRUCTURE, header fields). */
TernMessageInfo *tern_imap_sync_message_info_from_fetch (const TernImapFetch *fetch);

G_END_DECLS
