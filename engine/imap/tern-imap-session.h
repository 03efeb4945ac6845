/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-account.h"
#include "tern-connection.h"
#include "tern-imap-command.h"
#include "tern-imap-parser.h"

G_BEGIN_DECLS

#define TERN_IMAP_SESSION_ERROR (tern_imap_session_error_quark ())

/* What went wrong in an IMAP dialogue, for choosing what to tell a person.
 * Messages name the server and never quote a protocol line. */
typedef enum
{
  TERN_IMAP_SESSION_ERROR_FAILED,
  TERN_IMAP_SESSION_ERROR_BAD_GREETING,    /* garbage, BYE, a tagged line or nothing */
  TERN_IMAP_SESSION_ERROR_NO_TLS,          /* STARTTLS missing or refused; PREAUTH without TLS */
  TERN_IMAP_SESSION_ERROR_LOGIN_DISABLED,  /* the server allows no login this way */
  TERN_IMAP_SESSION_ERROR_AUTH_FAILED,     /* user name or password refused */
  TERN_IMAP_SESSION_ERROR_COMMAND_FAILED,  /* a command got NO or BAD */
  TERN_IMAP_SESSION_ERROR_UNSUPPORTED,     /* the server lacks what the operation needs */
  TERN_IMAP_SESSION_ERROR_PROTOCOL,        /* the server broke IMAP; the connection is closed */
  TERN_IMAP_SESSION_ERROR_BYE,             /* the server ended the session */
  TERN_IMAP_SESSION_ERROR_NOT_CONNECTED,
} TernImapSessionError;

GQuark tern_imap_session_error_quark (void);

/* The items of a first sync: enough for the message list, threads and the
 * attachment icon, without the body. */
#define TERN_IMAP_SESSION_SUMMARY_ITEMS \
  "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (REFERENCES LIST-ID)])"

/* What SELECT or EXAMINE said. */
typedef struct
{
  guint32           exists;
  guint32           uidvalidity;
  guint32           uidnext;
  guint64           highestmodseq;     /* 0: NOMODSEQ or no CONDSTORE */
  gboolean          read_only;
  TernImapSequence *vanished;          /* QRESYNC: UIDs expunged since; may be NULL */
  GPtrArray        *changed;           /* QRESYNC: TernImapResponse FETCHes of changed flags */
} TernImapSelected;

void tern_imap_selected_free (TernImapSelected *selected);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapSelected, tern_imap_selected_free)

/* Called for each FETCH as soon as it is parsed (streaming, nothing kept). */
typedef void (*TernImapFetchFunc) (const TernImapFetch *fetch,
                                   gpointer             user_data);

/* One IMAP session on one TernConnection: greeting, capabilities, STARTTLS
 * (a hard reset: all learned before it is dropped), login only over TLS,
 * ENABLE, then commands one at a time (later calls wait their turn).
 *
 * Server text marked [ALERT] is emitted as ::alert (plain text, only once
 * TLS protects the connection). [REFERRAL] is never followed. */
#define TERN_TYPE_IMAP_SESSION (tern_imap_session_get_type ())
G_DECLARE_FINAL_TYPE (TernImapSession, tern_imap_session, TERN, IMAP_SESSION, GObject)

/* A session for the account's incoming server. */
TernImapSession *tern_imap_session_new             (TernAccount          *account);
TernAccount     *tern_imap_session_get_account     (TernImapSession      *self);
TernConnection  *tern_imap_session_get_connection  (TernImapSession      *self);
/* Capabilities of the current connection state (after STARTTLS, only those
 * asked again). */
gboolean         tern_imap_session_has_capability  (TernImapSession      *self,
                                                    const char           *capability);
/* Whether ENABLE turned on CONDSTORE (or QRESYNC, which implies it). */
gboolean         tern_imap_session_is_enabled      (TernImapSession      *self,
                                                    const char           *extension);
gboolean         tern_imap_session_is_authenticated (TernImapSession     *self);

/* Connects, reads the greeting, upgrades with STARTTLS when the account says
 * so, logs in with PASSWORD (AUTHENTICATE PLAIN, else LOGIN), then ID,
 * ENABLE and NAMESPACE when offered. PASSWORD may be %NULL after PREAUTH. */
void             tern_imap_session_connect_async   (TernImapSession      *self,
                                                    const char           *password,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_connect_finish  (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Runs one command built with tern_imap_session_new_command(). Untagged
 * responses go to FUNC (may be %NULL) after the session saw them. Returns
 * the tagged OK; NO and BAD are errors. */
typedef void (*TernImapUntaggedFunc) (TernImapResponse *response,
                                      gpointer          user_data);
TernImapCommand *tern_imap_session_new_command     (TernImapSession      *self,
                                                    const char           *name);
void             tern_imap_session_run_async       (TernImapSession      *self,
                                                    TernImapCommand      *command,
                                                    const char           *redacted,
                                                    TernImapUntaggedFunc  func,
                                                    gpointer              func_data,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TernImapResponse *tern_imap_session_run_finish     (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* LIST "" "*" (with RETURN (SPECIAL-USE) when offered): a GPtrArray of
 * TernImapResponse, one LIST each. */
void             tern_imap_session_list_async      (TernImapSession      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GPtrArray       *tern_imap_session_list_finish     (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* inbox sent drafts trash junk archive, from special-use attributes or the
 * usual names; %NULL for others. */
const char      *tern_imap_mailbox_get_role        (const TernImapMailbox *mailbox);

/* SELECT (or EXAMINE when READ_ONLY) by the raw name LIST gave. With
 * QRESYNC enabled and a known UIDVALIDITY and MODSEQ, asks for what changed
 * since. */
void             tern_imap_session_select_async    (TernImapSession      *self,
                                                    const char           *raw_name,
                                                    gboolean              read_only,
                                                    guint32               known_uidvalidity,
                                                    guint64               known_modseq,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TernImapSelected *tern_imap_session_select_finish  (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* UID FETCH UIDS ITEMS [(CHANGEDSINCE n)]; FUNC gets each FETCH. ITEMS is
 * IMAP syntax, e.g. TERN_IMAP_SESSION_SUMMARY_ITEMS or "(FLAGS)". */
void             tern_imap_session_uid_fetch_async (TernImapSession      *self,
                                                    const TernImapSequence *uids,
                                                    const char           *items,
                                                    guint64               changed_since,
                                                    TernImapFetchFunc     func,
                                                    gpointer              func_data,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_uid_fetch_finish (TernImapSession     *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* The whole message UID (BODY.PEEK[]). */
void             tern_imap_session_fetch_body_async (TernImapSession     *self,
                                                    guint32               uid,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GBytes          *tern_imap_session_fetch_body_finish (TernImapSession    *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* UID SEARCH ALL: the UIDs of the selected folder, sorted (GArray of guint32). */
void             tern_imap_session_search_all_async (TernImapSession     *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GArray          *tern_imap_session_search_all_finish (TernImapSession    *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* UID STORE UIDS +FLAGS.SILENT or -FLAGS.SILENT (FLAGS). */
void             tern_imap_session_store_flags_async (TernImapSession    *self,
                                                    const TernImapSequence *uids,
                                                    gboolean              add,
                                                    const char * const   *flags,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_store_flags_finish (TernImapSession   *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* UID MOVE, or with UIDPLUS: UID COPY, +FLAGS \Deleted and UID EXPUNGE of
 * exactly these UIDs. Never a bare EXPUNGE: without MOVE and UIDPLUS it
 * fails with UNSUPPORTED. */
void             tern_imap_session_move_async      (TernImapSession      *self,
                                                    const TernImapSequence *uids,
                                                    const char           *raw_destination,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_move_finish     (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* The same, with what COPYUID said (UIDPLUS): the destination's
 * UIDVALIDITY and the source UIDs with their new UIDs, in matching order;
 * 0 and %NULL when the server did not say. */
gboolean         tern_imap_session_move_finish_full (TernImapSession    *self,
                                                    GAsyncResult         *result,
                                                    guint32              *dest_uidvalidity,
                                                    TernImapSequence    **source_uids,
                                                    TernImapSequence    **dest_uids,
                                                    GError              **error);

/* APPEND; returns the new UID from APPENDUID, or 0 if the server did not say. */
void             tern_imap_session_append_async    (TernImapSession      *self,
                                                    const char           *raw_mailbox,
                                                    const char * const   *flags,
                                                    GBytes               *message,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
guint32          tern_imap_session_append_finish   (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* GETQUOTAROOT INBOX: STORAGE usage and limit in KiB. */
void             tern_imap_session_get_quota_async (TernImapSession      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_get_quota_finish (TernImapSession     *self,
                                                    GAsyncResult         *result,
                                                    guint64              *used_kib,
                                                    guint64              *limit_kib,
                                                    GError              **error);

/* IDLE (RFC 2177) on the selected folder: sends IDLE, and once the server
 * said "+", hands every untagged response (EXISTS, EXPUNGE, VANISHED, FETCH,
 * BYE…) to FUNC as it arrives. It ends with DONE when
 * tern_imap_session_idle_stop() is called, when CANCELLABLE fires, when
 * another command is queued on the session (that command runs after the
 * server's OK), or after TERN_IMAP_SESSION_IDLE_REFRESH_S (servers drop
 * idle clients after 30 minutes). Returns TRUE once the server answered
 * OK, also when the server ended IDLE by itself: callers loop, handling
 * what FUNC collected, then IDLE again. Cancelled: DONE, the server's OK,
 * then %G_IO_ERROR_CANCELLED with the session still usable. A server BYE
 * fails with %TERN_IMAP_SESSION_ERROR_BYE. IDLE is one command like the
 * others: it waits its turn, and one runs at a time.
 *
 * Without IDLE (UNSUPPORTED), poll instead: tern_imap_session_poll_async()
 * every minute or two, between other commands; its FUNC gets the same
 * responses. */
#define TERN_IMAP_SESSION_IDLE_REFRESH_S (25 * 60)
void             tern_imap_session_idle_async      (TernImapSession      *self,
                                                    TernImapUntaggedFunc  func,
                                                    gpointer              func_data,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_idle_finish     (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* Ends the current IDLE (DONE); nothing when none runs. Safe to call before
 * the server's "+" (DONE follows it) or before IDLE's turn (never sent). */
void             tern_imap_session_idle_stop       (TernImapSession      *self);
/* Between the server's "+" and DONE. */
gboolean         tern_imap_session_is_idling       (TernImapSession      *self);

/* NOOP, handing the untagged responses it brings (new mail, expunges, flag
 * changes) to FUNC: the way to hear news from a server without IDLE. */
void             tern_imap_session_poll_async      (TernImapSession      *self,
                                                    TernImapUntaggedFunc  func,
                                                    gpointer              func_data,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_poll_finish     (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

void             tern_imap_session_noop_async      (TernImapSession      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_noop_finish     (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* LOGOUT, then closes the connection. Never fails. */
void             tern_imap_session_logout_async    (TernImapSession      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         tern_imap_session_logout_finish   (TernImapSession      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

G_END_DECLS
