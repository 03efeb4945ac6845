/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * A sequence set or UID set ("1:5,7,9:*") as a list of ranges. Nothing here
 * expands a set into its members: "1:4294967295" is one range of eight bytes,
 * counted with 64-bit arithmetic and walked lazily by TernImapSequenceIter.
 *
 * "*" (the largest number in use) is kept as TERN_IMAP_SEQUENCE_STAR; 0 is
 * never a sequence number or UID, so it cannot be confused with one. Calls
 * that need to know what "*" stands for take it as @star.
 */

#define TERN_IMAP_SEQUENCE_STAR 0

/* Sets longer than this are refused by tern_imap_sequence_parse (). A server
 * sends sets in VANISHED, ESEARCH and COPYUID, all bounded by its line. */
#define TERN_IMAP_SEQUENCE_MAX_RANGES (1024 * 1024)

typedef struct _TernImapSequence TernImapSequence;

typedef struct
{
  /*< private >*/
  const TernImapSequence *sequence;
  guint                   range;
  guint64                 next;
  guint32                 star;
} TernImapSequenceIter;

#define TERN_TYPE_IMAP_SEQUENCE (tern_imap_sequence_get_type ())

GType             tern_imap_sequence_get_type      (void) G_GNUC_CONST;

TernImapSequence *tern_imap_sequence_new           (void);
TernImapSequence *tern_imap_sequence_parse         (const char              *text,
                                                    gssize                   len,
                                                    GError                 **error);
TernImapSequence *tern_imap_sequence_new_from_sorted (const guint32         *values,
                                                    gsize                    n_values);
TernImapSequence *tern_imap_sequence_copy          (const TernImapSequence  *self);
void              tern_imap_sequence_free          (TernImapSequence        *self);

void              tern_imap_sequence_add           (TernImapSequence        *self,
                                                    guint32                  value);
void              tern_imap_sequence_add_range     (TernImapSequence        *self,
                                                    guint32                  first,
                                                    guint32                  last);
void              tern_imap_sequence_normalize     (TernImapSequence        *self,
                                                    guint32                  star);

gboolean          tern_imap_sequence_is_empty      (const TernImapSequence  *self);
guint             tern_imap_sequence_get_n_ranges  (const TernImapSequence  *self);
void              tern_imap_sequence_get_range     (const TernImapSequence  *self,
                                                    guint                    index,
                                                    guint32                 *first,
                                                    guint32                 *last);
guint64           tern_imap_sequence_count         (const TernImapSequence  *self,
                                                    guint32                  star);
gboolean          tern_imap_sequence_contains      (const TernImapSequence  *self,
                                                    guint32                  value,
                                                    guint32                  star);
GArray           *tern_imap_sequence_to_array      (const TernImapSequence  *self,
                                                    guint32                  star,
                                                    guint                    max_values,
                                                    GError                 **error);
char             *tern_imap_sequence_to_string     (const TernImapSequence  *self);
GPtrArray        *tern_imap_sequence_to_strings    (const TernImapSequence  *self,
                                                    gsize                    max_length);
char             *tern_imap_sequence_compress      (const guint32           *sorted,
                                                    gsize                    n_values);

void              tern_imap_sequence_iter_init     (TernImapSequenceIter    *iter,
                                                    const TernImapSequence  *sequence,
                                                    guint32                  star);
gboolean          tern_imap_sequence_iter_next     (TernImapSequenceIter    *iter,
                                                    guint32                 *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapSequence, tern_imap_sequence_free)

G_END_DECLS
