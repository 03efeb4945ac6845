/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-sequence"

#include <string.h>

#include "tern-imap-error.h"
#include "tern-imap-sequence.h"

typedef struct
{
  guint32 first;
  guint32 last;
} Range;

struct _TernImapSequence
{
  GArray *ranges;   /* of Range, as given: first may be above last, either may be STAR */
};

G_DEFINE_BOXED_TYPE (TernImapSequence, tern_imap_sequence, tern_imap_sequence_copy, tern_imap_sequence_free)

/* What a range stands for once "*" is known; FALSE if it is empty (only "*"
 * in an empty mailbox). */
static gboolean
resolve_range (const Range *range,
               guint32      star,
               guint32     *lo,
               guint32     *hi)
{
  guint32 a = range->first == TERN_IMAP_SEQUENCE_STAR ? star : range->first;
  guint32 b = range->last == TERN_IMAP_SEQUENCE_STAR ? star : range->last;

  *lo = MIN (a, b);
  *hi = MAX (a, b);
  if (*hi == 0)
    return FALSE;
  if (*lo == 0)
    *lo = 1;
  return TRUE;
}

/**
 * tern_imap_sequence_new:
 *
 * Returns: (transfer full): an empty set
 */
TernImapSequence *
tern_imap_sequence_new (void)
{
  TernImapSequence *self = g_new0 (TernImapSequence, 1);

  self->ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  return self;
}

TernImapSequence *
tern_imap_sequence_copy (const TernImapSequence *self)
{
  TernImapSequence *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = tern_imap_sequence_new ();
  g_array_append_vals (copy->ranges, self->ranges->data, self->ranges->len);
  return copy;
}

void
tern_imap_sequence_free (TernImapSequence *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->ranges);
  g_free (self);
}

static gboolean
parse_number (const char  *text,
              gsize        len,
              gsize       *pos,
              guint32     *value,
              GError     **error)
{
  guint64 n = 0;
  gsize start = *pos;

  if (*pos < len && text[*pos] == '*')
    {
      (*pos)++;
      *value = TERN_IMAP_SEQUENCE_STAR;
      return TRUE;
    }
  if (*pos < len && text[*pos] == '0')
    {
      g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                   "Invalid sequence set: a number with a leading zero at byte %" G_GSIZE_FORMAT, start);
      return FALSE;
    }
  while (*pos < len && g_ascii_isdigit (text[*pos]))
    {
      n = n * 10 + (guint64) (text[*pos] - '0');
      if (n > G_MAXUINT32)
        {
          g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                       "Invalid sequence set: a number above 4294967295 at byte %" G_GSIZE_FORMAT, start);
          return FALSE;
        }
      (*pos)++;
    }
  if (*pos == start || n == 0)
    {
      g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                   "Invalid sequence set: expected a number above 0 or “*” at byte %" G_GSIZE_FORMAT, start);
      return FALSE;
    }
  *value = (guint32) n;
  return TRUE;
}

/**
 * tern_imap_sequence_parse:
 * @text: a sequence set such as "1:5,7,9:*"
 * @len: length of @text, or -1 if it is nul-terminated
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Parses the sequence-set of RFC 9051 strictly: no spaces, no empty
 * elements, no 0 or leading zeros, nothing above 4294967295, at most
 * %TERN_IMAP_SEQUENCE_MAX_RANGES ranges. "$" (SEARCHRES) is not supported.
 *
 * Returns: (transfer full) (nullable): the set, or %NULL
 */
TernImapSequence *
tern_imap_sequence_parse (const char  *text,
                          gssize       len,
                          GError     **error)
{
  g_autoptr(TernImapSequence) self = NULL;
  gsize n, pos = 0;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  n = len < 0 ? strlen (text) : (gsize) len;
  self = tern_imap_sequence_new ();
  for (;;)
    {
      Range range;

      if (self->ranges->len >= TERN_IMAP_SEQUENCE_MAX_RANGES)
        {
          g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                       "Invalid sequence set: more than %u ranges", TERN_IMAP_SEQUENCE_MAX_RANGES);
          return NULL;
        }
      if (!parse_number (text, n, &pos, &range.first, error))
        return NULL;
      range.last = range.first;
      if (pos < n && text[pos] == ':')
        {
          pos++;
          if (!parse_number (text, n, &pos, &range.last, error))
            return NULL;
        }
      g_array_append_val (self->ranges, range);

      if (pos == n)
        break;
      if (text[pos] != ',')
        {
          g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                       "Invalid sequence set: unexpected character at byte %" G_GSIZE_FORMAT, pos);
          return NULL;
        }
      pos++;
    }
  return g_steal_pointer (&self);
}

/**
 * tern_imap_sequence_new_from_sorted:
 * @values: (array length=n_values): numbers in ascending order
 * @n_values: how many
 *
 * Compresses @values into ranges: 1,2,3,5 becomes 1:3,5. Duplicates are
 * fine; zeros are skipped. Values out of order still give the right set,
 * only a longer one.
 *
 * Returns: (transfer full): the set
 */
TernImapSequence *
tern_imap_sequence_new_from_sorted (const guint32 *values,
                                    gsize          n_values)
{
  TernImapSequence *self = tern_imap_sequence_new ();
  Range current = { 0, 0 };

  g_return_val_if_fail (values != NULL || n_values == 0, self);

  for (gsize i = 0; i < n_values; i++)
    {
      guint32 v = values[i];

      if (v == 0)
        continue;
      if (current.first != 0 && v >= current.first && v <= current.last)
        continue;
      if (current.first != 0 && current.last != G_MAXUINT32 && v == current.last + 1)
        {
          current.last = v;
          continue;
        }
      if (current.first != 0)
        g_array_append_val (self->ranges, current);
      current.first = current.last = v;
    }
  if (current.first != 0)
    g_array_append_val (self->ranges, current);
  return self;
}

/**
 * tern_imap_sequence_add:
 * @self: a set
 * @value: a number, or %TERN_IMAP_SEQUENCE_STAR
 *
 * Appends @value, merging it into the last range when it follows it.
 */
void
tern_imap_sequence_add (TernImapSequence *self,
                        guint32           value)
{
  g_return_if_fail (self != NULL);

  if (value != TERN_IMAP_SEQUENCE_STAR && self->ranges->len > 0)
    {
      Range *last = &g_array_index (self->ranges, Range, self->ranges->len - 1);

      if (last->first != TERN_IMAP_SEQUENCE_STAR && last->last != TERN_IMAP_SEQUENCE_STAR &&
          last->first <= last->last)
        {
          if (value >= last->first && value <= last->last)
            return;
          if (last->last != G_MAXUINT32 && value == last->last + 1)
            {
              last->last = value;
              return;
            }
        }
    }
  tern_imap_sequence_add_range (self, value, value);
}

/**
 * tern_imap_sequence_add_range:
 * @self: a set
 * @first: a number, or %TERN_IMAP_SEQUENCE_STAR
 * @last: a number, or %TERN_IMAP_SEQUENCE_STAR
 *
 * Appends the range @first:@last as it is.
 */
void
tern_imap_sequence_add_range (TernImapSequence *self,
                              guint32           first,
                              guint32           last)
{
  Range range = { first, last };

  g_return_if_fail (self != NULL);

  g_array_append_val (self->ranges, range);
}

static int
compare_ranges (gconstpointer a,
                gconstpointer b)
{
  const Range *ra = a;
  const Range *rb = b;

  if (ra->first != rb->first)
    return ra->first < rb->first ? -1 : 1;
  if (ra->last != rb->last)
    return ra->last < rb->last ? -1 : 1;
  return 0;
}

/**
 * tern_imap_sequence_normalize:
 * @self: a set
 * @star: what "*" stands for (the largest UID or sequence number in use)
 *
 * Replaces "*" by @star, then sorts and merges the ranges so that each
 * member is in exactly one range, in ascending order.
 */
void
tern_imap_sequence_normalize (TernImapSequence *self,
                              guint32           star)
{
  g_autoptr(GArray) resolved = NULL;
  Range *out = NULL;

  g_return_if_fail (self != NULL);

  resolved = g_array_sized_new (FALSE, FALSE, sizeof (Range), self->ranges->len);
  for (guint i = 0; i < self->ranges->len; i++)
    {
      Range r;

      if (resolve_range (&g_array_index (self->ranges, Range, i), star, &r.first, &r.last))
        g_array_append_val (resolved, r);
    }
  g_array_sort (resolved, compare_ranges);

  g_array_set_size (self->ranges, 0);
  for (guint i = 0; i < resolved->len; i++)
    {
      const Range *r = &g_array_index (resolved, Range, i);

      if (out != NULL && (guint64) r->first <= (guint64) out->last + 1)
        {
          out->last = MAX (out->last, r->last);
          continue;
        }
      g_array_append_val (self->ranges, *r);
      out = &g_array_index (self->ranges, Range, self->ranges->len - 1);
    }
}

gboolean
tern_imap_sequence_is_empty (const TernImapSequence *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->ranges->len == 0;
}

guint
tern_imap_sequence_get_n_ranges (const TernImapSequence *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->ranges->len;
}

/**
 * tern_imap_sequence_get_range:
 * @self: a set
 * @index: which range
 * @first: (out): its first number as given, or %TERN_IMAP_SEQUENCE_STAR
 * @last: (out): its last number as given, or %TERN_IMAP_SEQUENCE_STAR
 */
void
tern_imap_sequence_get_range (const TernImapSequence *self,
                              guint                   index,
                              guint32                *first,
                              guint32                *last)
{
  const Range *r;

  g_return_if_fail (self != NULL);
  g_return_if_fail (index < self->ranges->len);

  r = &g_array_index (self->ranges, Range, index);
  if (first != NULL)
    *first = r->first;
  if (last != NULL)
    *last = r->last;
}

/**
 * tern_imap_sequence_count:
 * @self: a set
 * @star: what "*" stands for
 *
 * Returns: the sum of the sizes of the ranges; a number in two overlapping
 *   ranges counts twice unless the set was normalized
 */
guint64
tern_imap_sequence_count (const TernImapSequence *self,
                          guint32                 star)
{
  guint64 count = 0;

  g_return_val_if_fail (self != NULL, 0);

  for (guint i = 0; i < self->ranges->len; i++)
    {
      guint32 lo, hi;

      if (resolve_range (&g_array_index (self->ranges, Range, i), star, &lo, &hi))
        count += (guint64) hi - lo + 1;
    }
  return count;
}

gboolean
tern_imap_sequence_contains (const TernImapSequence *self,
                             guint32                 value,
                             guint32                 star)
{
  g_return_val_if_fail (self != NULL, FALSE);

  for (guint i = 0; i < self->ranges->len; i++)
    {
      guint32 lo, hi;

      if (resolve_range (&g_array_index (self->ranges, Range, i), star, &lo, &hi) &&
          value >= lo && value <= hi)
        return TRUE;
    }
  return FALSE;
}

/**
 * tern_imap_sequence_to_array:
 * @self: a set
 * @star: what "*" stands for
 * @max_values: the most members the caller will take
 * @error: return location for a %TERN_IMAP_ERROR_INVALID error
 *
 * Returns: (transfer full) (nullable) (element-type guint32): the members in
 *   the set's order, or %NULL if there are more than @max_values
 */
GArray *
tern_imap_sequence_to_array (const TernImapSequence  *self,
                             guint32                  star,
                             guint                    max_values,
                             GError                 **error)
{
  TernImapSequenceIter iter;
  guint64 count;
  GArray *values;
  guint32 value;

  g_return_val_if_fail (self != NULL, NULL);

  count = tern_imap_sequence_count (self, star);
  if (count > max_values)
    {
      g_set_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID,
                   "The set has %" G_GUINT64_FORMAT " members, more than %u", count, max_values);
      return NULL;
    }

  values = g_array_sized_new (FALSE, FALSE, sizeof (guint32), (guint) count);
  tern_imap_sequence_iter_init (&iter, self, star);
  while (tern_imap_sequence_iter_next (&iter, &value))
    g_array_append_val (values, value);
  return values;
}

static void
append_number (GString *out,
               guint32  value)
{
  if (value == TERN_IMAP_SEQUENCE_STAR)
    g_string_append_c (out, '*');
  else
    g_string_append_printf (out, "%" G_GUINT32_FORMAT, value);
}

static void
append_range (GString     *out,
              const Range *r)
{
  append_number (out, r->first);
  if (r->last != r->first)
    {
      g_string_append_c (out, ':');
      append_number (out, r->last);
    }
}

/**
 * tern_imap_sequence_to_string:
 * @self: a set
 *
 * Returns: (transfer full): the set as IMAP writes it, "" if it is empty
 */
char *
tern_imap_sequence_to_string (const TernImapSequence *self)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < self->ranges->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_range (out, &g_array_index (self->ranges, Range, i));
    }
  return g_string_free (out, FALSE);
}

/**
 * tern_imap_sequence_to_strings:
 * @self: a set
 * @max_length: the longest string wanted (at least 23, the longest range)
 *
 * Splits the set into several sets of at most @max_length bytes each, so
 * that a command over a huge set can be sent as several commands that stay
 * under a server's line limit.
 *
 * Returns: (transfer full) (element-type utf8): the strings; none if the set
 *   is empty
 */
GPtrArray *
tern_imap_sequence_to_strings (const TernImapSequence *self,
                               gsize                   max_length)
{
  GPtrArray *strings;
  g_autoptr(GString) current = NULL;
  g_autoptr(GString) piece = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  max_length = MAX (max_length, 23);
  strings = g_ptr_array_new_with_free_func (g_free);
  current = g_string_new (NULL);
  piece = g_string_new (NULL);
  for (guint i = 0; i < self->ranges->len; i++)
    {
      g_string_truncate (piece, 0);
      append_range (piece, &g_array_index (self->ranges, Range, i));
      if (current->len > 0 && current->len + 1 + piece->len > max_length)
        {
          g_ptr_array_add (strings, g_strdup (current->str));
          g_string_truncate (current, 0);
        }
      if (current->len > 0)
        g_string_append_c (current, ',');
      g_string_append_len (current, piece->str, piece->len);
    }
  if (current->len > 0)
    g_ptr_array_add (strings, g_strdup (current->str));
  return strings;
}

/**
 * tern_imap_sequence_compress:
 * @sorted: (array length=n_values): numbers in ascending order
 * @n_values: how many
 *
 * Returns: (transfer full): "1:3,5" for 1,2,3,5; "" for none
 */
char *
tern_imap_sequence_compress (const guint32 *sorted,
                             gsize          n_values)
{
  g_autoptr(TernImapSequence) set = tern_imap_sequence_new_from_sorted (sorted, n_values);

  return tern_imap_sequence_to_string (set);
}

/**
 * tern_imap_sequence_iter_init:
 * @iter: an uninitialized iterator
 * @sequence: the set, which must outlive the iteration unchanged
 * @star: what "*" stands for
 *
 * Walks every member, range by range and upwards within a range, without
 * allocating.
 */
void
tern_imap_sequence_iter_init (TernImapSequenceIter   *iter,
                              const TernImapSequence *sequence,
                              guint32                 star)
{
  g_return_if_fail (iter != NULL);
  g_return_if_fail (sequence != NULL);

  iter->sequence = sequence;
  iter->range = 0;
  iter->next = 0;
  iter->star = star;
}

gboolean
tern_imap_sequence_iter_next (TernImapSequenceIter *iter,
                              guint32              *value)
{
  g_return_val_if_fail (iter != NULL, FALSE);

  while (iter->range < iter->sequence->ranges->len)
    {
      guint32 lo, hi;

      if (resolve_range (&g_array_index (iter->sequence->ranges, Range, iter->range),
                         iter->star, &lo, &hi))
        {
          if (iter->next < lo)
            iter->next = lo;
          if (iter->next <= hi)
            {
              if (value != NULL)
                *value = (guint32) iter->next;
              iter->next++;
              return TRUE;
            }
        }
      iter->range++;
      iter->next = 0;
    }
  return FALSE;
}
