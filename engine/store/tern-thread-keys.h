/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Which conversation a new message belongs to. Pure logic: the store answers
 * the lookups from its tables, within one account (across its folders), and
 * applies the placement.
 *
 * Messages are linked by Message-ID through References and In-Reply-To, and
 * a link is a link whichever message arrived first: two threads are merged
 * as soon as one message is found to connect them (a reply naming both, or
 * a parent arriving after its children, or siblings naming the same parent
 * that never arrived). So a thread is exactly a connected group of messages
 * and the ids they name, and the order of arrival does not matter.
 *
 * Only a message with no usable id in In-Reply-To or References, whose
 * subject has a reply prefix ("Re: hello", not "hello" or "Fwd: hello"), is
 * placed by subject: into a thread with a message of the same normalized
 * subject dated within TERN_THREAD_SUBJECT_WINDOW of it. The window keeps
 * this year's "Re: hello" apart from last year's.
 */

#define TERN_THREAD_SUBJECT_WINDOW (30 * G_GINT64_CONSTANT (86400))

/* References of more ids keep the first (the root) and the last ones. */
#define TERN_THREAD_MAX_REFERENCES 64

typedef struct
{
  const char  *message_id;    /* Message-ID header as received; may be NULL */
  const char  *in_reply_to;   /* In-Reply-To header as received; may be NULL */
  const char  *references;    /* References header as received; may be NULL */
  const char  *subject;       /* Subject, decoded to UTF-8; may be NULL */
  gint64       date;          /* unix time */
} TernThreadMessage;

/* Thread ids are the store's, > 0; 0 means none. The ids given to the
 * lookups are normalized (tern_thread_parse_message_ids()), and are the ones
 * the store keeps from earlier placements. */
typedef struct
{
  /* The thread of a stored message with this Message-ID. */
  gint64 (*find_thread_by_message_id) (const char *message_id,
                                       gpointer    user_data);
  /* Appends (gint64) the threads of stored messages whose references
   * (TernThreadPlacement.references) name this id. */
  void   (*find_threads_referencing)  (const char *message_id,
                                       GArray     *thread_ids,
                                       gpointer    user_data);
  /* The thread of a stored message with this normalized subject and a date
   * in [since, until], the nearest in date first; may be NULL to never
   * thread by subject. */
  gint64 (*find_thread_by_subject)    (const char *normalized_subject,
                                       gint64      since,
                                       gint64      until,
                                       gpointer    user_data);
} TernThreadLookup;

typedef struct
{
  /* The thread to put the message in; 0 to start a new one. */
  gint64      thread_id;
  /* (gint64) threads to fold into thread_id, never containing it; empty
   * when thread_id is 0. The store moves their messages to thread_id. */
  GArray     *merge_thread_ids;
  /* What the store keeps with the message for later lookups. */
  char       *message_id;          /* normalized; NULL when it had none */
  GPtrArray  *references;          /* normalized ids it names, root first */
  char       *normalized_subject;
  gboolean    subject_is_reply;
} TernThreadPlacement;

TernThreadPlacement *tern_thread_place              (const TernThreadMessage *message,
                                                     const TernThreadLookup  *lookup,
                                                     gpointer                 user_data);
void                 tern_thread_placement_free     (TernThreadPlacement     *placement);

GPtrArray           *tern_thread_parse_message_ids  (const char              *header);
char                *tern_thread_normalize_message_id (const char            *message_id);
char                *tern_thread_normalize_subject  (const char              *subject);
gboolean             tern_thread_subject_is_reply   (const char              *subject);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernThreadPlacement, tern_thread_placement_free)

G_END_DECLS
