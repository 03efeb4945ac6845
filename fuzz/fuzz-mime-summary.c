/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-mime-summary"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern-mime-summary.h"

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

static void
check_text (const char *text,
            gsize       max,
            gboolean    single_line)
{
  if (text == NULL || strlen (text) > max || !g_utf8_validate (text, -1, NULL))
    abort ();
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && !(c == '\n' && !single_line)) || (c >= 0x7F && c <= 0x9F) ||
          (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
        abort ();
    }
}

static void
check_strv (char **strv)
{
  if (strv == NULL || g_strv_length (strv) > TERN_MIME_MAX_ADDRESSES)
    abort ();
  for (guint i = 0; strv[i] != NULL; i++)
    check_text (strv[i], TERN_MIME_LINE_MAX, TRUE);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A GLib critical is a bug as much as a crash is. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  tern_mime_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr(TernMimeSummary) summary = tern_mime_summary_new_from_bytes (bytes);
  g_autofree char *html_text = tern_mime_html_to_text ((const char *) data, size);
  g_autofree char *raw_string = g_strndup ((const char *) data, size);
  g_autofree char *normalized = tern_mime_normalize_subject (raw_string);
  g_autofree char *normalized_subject = tern_mime_normalize_subject (summary->subject);

  /* The promises the store and the message list rely on. */
  check_text (summary->subject, TERN_MIME_LINE_MAX, TRUE);
  check_text (summary->from, TERN_MIME_LINE_MAX, TRUE);
  if (summary->from_name != NULL)
    check_text (summary->from_name, TERN_MIME_LINE_MAX, TRUE);
  if (summary->from_addr != NULL)
    check_text (summary->from_addr, TERN_MIME_LINE_MAX, TRUE);
  if (summary->to != NULL)
    check_text (summary->to, G_MAXSIZE, TRUE);
  if (summary->cc != NULL)
    check_text (summary->cc, G_MAXSIZE, TRUE);
  if (summary->reply_to != NULL)
    check_text (summary->reply_to, G_MAXSIZE, TRUE);
  check_strv (summary->to_addrs);
  check_strv (summary->cc_addrs);
  check_strv (summary->references);
  if (g_strv_length (summary->references) > TERN_MIME_REFERENCES_KEEP + 1)
    abort ();
  if (summary->message_id != NULL)
    check_text (summary->message_id, TERN_MIME_LINE_MAX, TRUE);
  if (summary->in_reply_to != NULL)
    check_text (summary->in_reply_to, TERN_MIME_LINE_MAX, TRUE);
  if (summary->list_id != NULL)
    check_text (summary->list_id, TERN_MIME_LINE_MAX, TRUE);
  check_text (summary->preview, TERN_MIME_LINE_MAX, TRUE);
  if (g_utf8_strlen (summary->preview, -1) > TERN_MIME_PREVIEW_MAX_CHARS)
    abort ();
  check_text (summary->body_text, TERN_MIME_BODY_TEXT_MAX, FALSE);
  check_text (html_text, TERN_MIME_BODY_TEXT_MAX, FALSE);
  check_text (normalized, TERN_MIME_LINE_MAX, TRUE);
  check_text (normalized_subject, TERN_MIME_LINE_MAX, TRUE);
  return 0;
}
