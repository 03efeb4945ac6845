/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* One row of a message list: the summary the list shows. Items are made by
 * the models from the store and are read-only for their users; a change in
 * the store produces items-changed, and a new item for that position. */
#define TERN_TYPE_MESSAGE (tern_message_get_type ())
G_DECLARE_FINAL_TYPE (TernMessage, tern_message, TERN, MESSAGE, GObject)

/* The columns tern_message_new_from_row() reads, in order, from a table
 * or join aliased as m. */
#define TERN_MESSAGE_COLUMNS \
  "m.id, m.account_id, m.folder_id, m.uid, m.message_id, m.thread_id, m.subject, m.from_name," \
  " m.from_addr, m.to_list, m.cc_list, m.date, m.size, m.flags, m.has_attachments, m.preview," \
  " m.body_state, m.keywords, m.uidl"

TernMessage *tern_message_new_from_row  (sqlite3_stmt *stmt);

gint64       tern_message_get_id              (TernMessage *self);
const char  *tern_message_get_account_id      (TernMessage *self);
gint64       tern_message_get_folder_id       (TernMessage *self);
guint32      tern_message_get_uid             (TernMessage *self);
const char  *tern_message_get_uidl            (TernMessage *self);
const char  *tern_message_get_message_id      (TernMessage *self);
gint64       tern_message_get_thread_id       (TernMessage *self);
const char  *tern_message_get_subject         (TernMessage *self);
const char  *tern_message_get_from_name       (TernMessage *self);
const char  *tern_message_get_from_addr       (TernMessage *self);
const char  *tern_message_get_to              (TernMessage *self);
const char  *tern_message_get_cc              (TernMessage *self);
gint64       tern_message_get_date            (TernMessage *self);
gint64       tern_message_get_size            (TernMessage *self);
guint        tern_message_get_flags           (TernMessage *self);
const char  *tern_message_get_keywords        (TernMessage *self);
gboolean     tern_message_get_has_attachments (TernMessage *self);
const char  *tern_message_get_preview         (TernMessage *self);
int          tern_message_get_body_state      (TernMessage *self);
gboolean     tern_message_get_unread          (TernMessage *self);
gboolean     tern_message_get_flagged         (TernMessage *self);
/* In conversation lists: how many messages the thread has there. */
guint        tern_message_get_thread_count    (TernMessage *self);
void         tern_message_set_thread_count    (TernMessage *self,
                                               guint        count);

G_END_DECLS
