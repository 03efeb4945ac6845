/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gmime/gmime.h>

G_BEGIN_DECLS

/* Bounds of a summary. Everything here is read from untrusted bytes, so every
 * loop over them has a limit. */
#define TERN_MIME_PREVIEW_MAX_CHARS   200          /* characters, not bytes */
#define TERN_MIME_BODY_TEXT_MAX       (256 * 1024) /* bytes of body_text */
#define TERN_MIME_LINE_MAX            4096         /* bytes of subject, a name, a msg-id */
#define TERN_MIME_MAX_DEPTH           32           /* MIME nesting walked */
#define TERN_MIME_MAX_PARTS           1000         /* MIME parts walked */
#define TERN_MIME_MAX_ADDRESSES       1000         /* addresses kept per list */
#define TERN_MIME_REFERENCES_KEEP     50           /* References: the first one and the last 50 */

/**
 * TernMimeSummary:
 * @subject: decoded, whitespace-folded UTF-8; never %NULL ("" if missing)
 * @from_name: display name of the first From mailbox; %NULL if none
 * @from_addr: addr-spec of the first From mailbox, domain lower-cased; %NULL if none
 * @from: "Name <addr>" for display (the name quoted when it looks like an
 *   address, shortened when long, the address always whole); never %NULL
 *   ("" if no From)
 * @to: the To list as one display string ("Name <addr>, addr, …", groups
 *   flattened, at most %TERN_MIME_MAX_ADDRESSES and 64 KiB); %NULL if
 *   missing or empty
 * @cc: the Cc list, as @to
 * @reply_to: the Reply-To list, as @to
 * @to_addrs: bare addr-specs of To (domain lower-cased), %NULL-terminated;
 *   never %NULL
 * @cc_addrs: bare addr-specs of Cc, as @to_addrs
 * @message_id: Message-ID without <>; %NULL if missing or invalid
 * @in_reply_to: first msg-id of In-Reply-To without <>; %NULL if none
 * @references: msg-ids of References in order, %NULL-terminated, never %NULL;
 *   at most the first one and the last %TERN_MIME_REFERENCES_KEEP
 * @list_id: the id of List-Id (the part in <>), lower-cased; %NULL if none
 * @date: Date as Unix time (UTC); 0 if missing or unreadable
 * @has_attachments: a part with Content-Disposition attachment, a non-text
 *   leaf with a file name, or an attached message; cid images of an HTML
 *   body and signatures do not count
 * @preview: up to %TERN_MIME_PREVIEW_MAX_CHARS characters of the first
 *   readable text part (text/plain preferred), quotes and signature dropped,
 *   on one line; never %NULL
 * @body_text: all readable text for the search index, at most
 *   %TERN_MIME_BODY_TEXT_MAX bytes; never %NULL
 * @error: %NULL, or a note saying how the message is broken
 *
 * The row the store writes for a message and the search index reads. Every
 * string is valid UTF-8 and free of control characters (body_text keeps
 * newlines). Strings are data: nothing here is escaped for markup.
 */
typedef struct
{
  char    *subject;
  char    *from_name;
  char    *from_addr;
  char    *from;
  char    *to;
  char    *cc;
  char    *reply_to;
  char   **to_addrs;
  char   **cc_addrs;
  char    *message_id;
  char    *in_reply_to;
  char   **references;
  char    *list_id;
  gint64   date;
  gboolean has_attachments;
  char    *preview;
  char    *body_text;
  char    *error;
} TernMimeSummary;

void             tern_mime_init                     (void);

TernMimeSummary *tern_mime_summary_new_from_bytes   (GBytes          *raw);
TernMimeSummary *tern_mime_summary_new_from_message (GMimeMessage    *message);
void             tern_mime_summary_free             (TernMimeSummary *summary);

char            *tern_mime_html_to_text             (const char      *html,
                                                     gsize            len);
char            *tern_mime_normalize_subject        (const char      *subject);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernMimeSummary, tern_mime_summary_free)

G_END_DECLS
