/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* A message summary on its way into the store, filled by whoever learned it:
 * an IMAP FETCH of ENVELOPE and BODYSTRUCTURE, a POP3 download summarised by
 * GMime, or a generator. Strings are UTF-8 and owned by the struct. */
typedef struct
{
  guint32   uid;              /* IMAP UID, 0 if none */
  char     *uidl;             /* POP3 UIDL, NULL if none */
  char     *message_id;       /* without <> */
  char     *in_reply_to;
  char    **references;       /* in order, NULL-terminated, may be NULL */
  char     *subject;
  char     *from_name;
  char     *from_addr;
  char     *to;               /* display form of the To list */
  char     *cc;
  gint64    date;             /* Date header, Unix time */
  gint64    internal_date;    /* when the server received it */
  gint64    size;
  guint     flags;            /* TERN_FLAG_* */
  char     *keywords;         /* other IMAP keywords, space separated */
  gboolean  has_attachments;
  char     *preview;
  char     *list_id;
  char     *body_text;        /* text for the search index, may be NULL */
  char     *error;            /* why the message could not be read fully */
} TernMessageInfo;

#define TERN_TYPE_MESSAGE_INFO (tern_message_info_get_type ())
GType            tern_message_info_get_type (void) G_GNUC_CONST;
TernMessageInfo *tern_message_info_new      (void);
TernMessageInfo *tern_message_info_copy     (const TernMessageInfo *info);
void             tern_message_info_free     (TernMessageInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernMessageInfo, tern_message_info_free)

/* A folder as a server (or the POP3 local layout) describes it. */
typedef struct
{
  char     *account_id;
  char     *path;             /* UTF-8, the full name */
  char     *delimiter;        /* e.g. "/" or ".", NULL for a flat name */
  char     *role;             /* inbox sent drafts trash junk archive, or NULL */
  char     *attributes;       /* LIST attributes */
  gboolean  local;
} TernFolderInfo;

#define TERN_TYPE_FOLDER_INFO (tern_folder_info_get_type ())
GType            tern_folder_info_get_type  (void) G_GNUC_CONST;
TernFolderInfo  *tern_folder_info_new       (const char           *account_id,
                                             const char           *path,
                                             const char           *delimiter,
                                             const char           *role);
TernFolderInfo  *tern_folder_info_copy      (const TernFolderInfo *info);
void             tern_folder_info_free      (TernFolderInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernFolderInfo, tern_folder_info_free)

G_END_DECLS
