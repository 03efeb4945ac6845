/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to engine/imap: the lexical layer under the response parser. */

#include <glib.h>

#include "tern-imap-limits.h"
#include "tern-imap-sequence.h"

G_BEGIN_DECLS

/* One complete response as the framer cut it from the stream: its text
 * outside literals, with a '\n' after each literal announcement "{n}"
 * (and nowhere else), and the literals in order. The text holds no CR, no
 * LF other than those separators and no NUL. */
typedef struct
{
  GByteArray *text;
  GArray     *literal_ends;   /* of gsize: the offset of each separator '\n' */
  GPtrArray  *literals;       /* of GBytes */
} TernImapFrame;

TernImapFrame *tern_imap_frame_new  (void);
void           tern_imap_frame_free (TernImapFrame *frame);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapFrame, tern_imap_frame_free)

typedef struct
{
  const TernImapLimits *limits;
  const TernImapFrame  *frame;
  const guint8         *data;
  gsize                 len;
  gsize                 pos;
  guint                 next_literal;
  guint                 depth;
  guint                 items;
} TernImapTokenizer;

/* Which characters make up an atom-like token. */
typedef enum
{
  TERN_IMAP_ATOM,          /* ATOM-CHAR */
  TERN_IMAP_ATOM_ASTRING,  /* ASTRING-CHAR: ATOM-CHAR and "]" */
  TERN_IMAP_ATOM_TAG,      /* ASTRING-CHAR but "+" */
  TERN_IMAP_ATOM_NAME,     /* ATOM-CHAR but "[" and "<": a FETCH item name */
} TernImapAtomKind;

typedef enum
{
  TERN_IMAP_STRING_QUOTED   = 0,
  TERN_IMAP_STRING_NIL      = 1 << 0,   /* NIL reads as nil */
  TERN_IMAP_STRING_ATOM     = 1 << 1,   /* an astring: an atom is a string too */
  TERN_IMAP_STRING_LITERAL8 = 1 << 2,   /* ~{n} is allowed, and NUL with it */
} TernImapStringFlags;

/* A string token. data points into the frame, into a literal or into buf. */
typedef struct
{
  gboolean      nil;
  const guint8 *data;
  gsize         len;
  GBytes       *literal;   /* borrowed */
  char         *buf;       /* owned: a quoted string with escapes */
} TernImapString;

void     tern_imap_tokenizer_init          (TernImapTokenizer    *t,
                                            const TernImapFrame  *frame,
                                            const TernImapLimits *limits);
gboolean tern_imap_tokenizer_fail          (TernImapTokenizer    *t,
                                            GError              **error,
                                            const char           *format,
                                            ...) G_GNUC_PRINTF (3, 4);
gboolean tern_imap_tokenizer_fail_limit    (TernImapTokenizer    *t,
                                            GError              **error,
                                            const char           *format,
                                            ...) G_GNUC_PRINTF (3, 4);

int      tern_imap_tokenizer_peek          (TernImapTokenizer    *t);
gboolean tern_imap_tokenizer_at_end        (TernImapTokenizer    *t);
gboolean tern_imap_tokenizer_skip_char     (TernImapTokenizer    *t,
                                            char                  c);
gboolean tern_imap_tokenizer_skip_sp       (TernImapTokenizer    *t);
gboolean tern_imap_tokenizer_expect_char   (TernImapTokenizer    *t,
                                            char                  c,
                                            GError              **error);
gboolean tern_imap_tokenizer_expect_sp     (TernImapTokenizer    *t,
                                            GError              **error);
gboolean tern_imap_tokenizer_expect_end    (TernImapTokenizer    *t,
                                            GError              **error);
gboolean tern_imap_tokenizer_peek_word     (TernImapTokenizer    *t,
                                            const char           *word);
gboolean tern_imap_tokenizer_skip_word     (TernImapTokenizer    *t,
                                            const char           *word);
gboolean tern_imap_tokenizer_count_item    (TernImapTokenizer    *t,
                                            GError              **error);

gboolean tern_imap_tokenizer_read_atom     (TernImapTokenizer    *t,
                                            TernImapAtomKind      kind,
                                            const char          **start,
                                            gsize                *len,
                                            GError              **error);
char    *tern_imap_tokenizer_dup_atom      (TernImapTokenizer    *t,
                                            TernImapAtomKind      kind,
                                            GError              **error);
char    *tern_imap_tokenizer_dup_flag      (TernImapTokenizer    *t,
                                            GError              **error);
gboolean tern_imap_tokenizer_read_number   (TernImapTokenizer    *t,
                                            guint64               max,
                                            guint64              *value,
                                            GError              **error);
gboolean tern_imap_tokenizer_read_uint32   (TernImapTokenizer    *t,
                                            gboolean              nonzero,
                                            guint32              *value,
                                            GError              **error);
gboolean tern_imap_tokenizer_read_uint64   (TernImapTokenizer    *t,
                                            guint64              *value,
                                            GError              **error);
gboolean tern_imap_tokenizer_read_string   (TernImapTokenizer    *t,
                                            TernImapStringFlags   flags,
                                            TernImapString       *string,
                                            GError              **error);
gboolean tern_imap_tokenizer_dup_string    (TernImapTokenizer    *t,
                                            TernImapStringFlags   flags,
                                            char                **out,
                                            GError              **error);
gboolean tern_imap_tokenizer_dup_text_string (TernImapTokenizer  *t,
                                            TernImapStringFlags   flags,
                                            char                **out,
                                            GError              **error);
gboolean tern_imap_tokenizer_read_sequence (TernImapTokenizer    *t,
                                            TernImapSequence    **sequence,
                                            GError              **error);
gboolean tern_imap_tokenizer_open_list     (TernImapTokenizer    *t,
                                            GError              **error);
gboolean tern_imap_tokenizer_close_list    (TernImapTokenizer    *t,
                                            GError              **error);
gboolean tern_imap_tokenizer_list_next     (TernImapTokenizer    *t,
                                            gboolean             *more,
                                            GError              **error);
gboolean tern_imap_tokenizer_skip_value    (TernImapTokenizer    *t,
                                            GError              **error);
gboolean tern_imap_tokenizer_read_bracketed (TernImapTokenizer   *t,
                                            char                **out,
                                            GError              **error);
char    *tern_imap_tokenizer_read_text     (TernImapTokenizer    *t,
                                            char                  stop);

void     tern_imap_string_clear            (TernImapString       *string);
char    *tern_imap_string_dup              (const TernImapString *string);
char    *tern_imap_string_dup_utf8         (const TernImapString *string);
GBytes  *tern_imap_string_to_bytes         (const TernImapString *string);

char    *tern_imap_make_valid_text         (const char           *data,
                                            gsize                 len);

gboolean tern_imap_tokenizer_read_flag_list (TernImapTokenizer   *t,
                                             char              ***out,
                                             GError             **error);

G_END_DECLS
