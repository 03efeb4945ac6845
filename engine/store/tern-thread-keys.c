/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-thread-keys"

#include <string.h>

#include "tern-thread-keys.h"

/* RFC 5322 lines stop at 998 bytes; a longer "id" is junk. */
#define MAX_MESSAGE_ID_LENGTH 998

/* A [list-tag] longer than this is more likely words than a tag. */
#define MAX_TAG_LENGTH 64

/* Casefolded, NFKC. Replies in the languages mail clients write them in. */
static const char * const reply_prefixes[] = {
  "re", "aw", "sv", "vs", "antw", "réf", "odp", "rif", "回复", "回覆", "答复",
};

static const char * const forward_prefixes[] = {
  "fwd", "fw", "wg", "转发", "轉寄",
};

static gboolean
is_header_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
add_id (GPtrArray  *ids,
        GHashTable *seen,
        const char *start,
        gsize       len)
{
  GString *id = g_string_sized_new (len);

  /* Folding and broken mailers put spaces inside ids; they are never part of one. */
  for (gsize i = 0; i < len; i++)
    if (!is_header_space (start[i]) && start[i] != '<' && start[i] != '>')
      g_string_append_c (id, start[i]);

  if (id->len == 0 || id->len > MAX_MESSAGE_ID_LENGTH || g_hash_table_contains (seen, id->str))
    {
      g_string_free (id, TRUE);
      return;
    }
  g_hash_table_add (seen, id->str);
  g_ptr_array_add (ids, g_string_free (id, FALSE));
}

/* Skips a (comment), nested and with \-escapes, or a "quoted string". */
static const char *
skip_comment_or_quote (const char *p)
{
  char open = *p;
  int depth = 0;

  for (; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (open == '(' && *p == '(')
        depth++;
      else if (open == '(' && *p == ')' && --depth == 0)
        return p + 1;
      else if (open == '"' && *p == '"' && depth++ > 0)
        return p + 1;
    }
  return p;
}

/**
 * tern_thread_parse_message_ids:
 * @header: (nullable): a References, In-Reply-To or Message-ID value
 *
 * The ids in @header without their angle brackets, in order, each once.
 * Real headers are forgiving: spaces inside an id are dropped, (comments)
 * and "quoted words" are skipped, an id whose closing bracket was cut off is
 * dropped, and when there is no <id> at all, words with an @ are taken as
 * ids written without brackets.
 *
 * Returns: (transfer full) (element-type utf8): the ids, maybe none
 */
GPtrArray *
tern_thread_parse_message_ids (const char *header)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) bare = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen_bare = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *valid = NULL;
  const char *p;

  if (header == NULL)
    return g_steal_pointer (&ids);

  valid = g_utf8_make_valid (header, -1);
  p = valid;
  while (*p != '\0')
    {
      if (*p == '<')
        {
          const char *start = p + 1;
          const char *end = start;

          /* "<cut-off <next@id>": the first was truncated. */
          while (*end != '\0' && *end != '>')
            if (*end++ == '<')
              start = end;
          if (*end == '\0')
            break;
          add_id (ids, seen, start, end - start);
          p = end + 1;
        }
      else if (*p == '(' || *p == '"')
        p = skip_comment_or_quote (p);
      else if (is_header_space (*p) || *p == ',' || *p == '>' || *p == ')')
        p++;
      else
        {
          const char *start = p;
          const char *at;

          while (*p != '\0' && !is_header_space (*p) && strchr ("<(\",", *p) == NULL)
            p++;
          at = memchr (start, '@', p - start);
          if (at != NULL && at > start && at < p - 1)
            add_id (bare, seen_bare, start, p - start);
        }
    }

  return ids->len > 0 ? g_steal_pointer (&ids) : g_steal_pointer (&bare);
}

/**
 * tern_thread_normalize_message_id:
 * @message_id: (nullable): a Message-ID header value
 *
 * Returns: (transfer full) (nullable): the id as the lookups see it, or
 *   %NULL when there is none
 */
char *
tern_thread_normalize_message_id (const char *message_id)
{
  g_autoptr(GPtrArray) ids = tern_thread_parse_message_ids (message_id);

  if (ids->len == 0)
    return NULL;
  return g_strdup (g_ptr_array_index (ids, 0));
}

static gboolean
in_list (const char         *word,
         const char * const *list,
         gsize               n)
{
  for (gsize i = 0; i < n; i++)
    if (strcmp (word, list[i]) == 0)
      return TRUE;
  return FALSE;
}

/* One "Re:", "AW:", "Re[2]:", "RE :", "回复：" or "[list]" at p: returns the
 * text after it, or NULL. */
static const char *
skip_one_prefix (const char *p,
                 gboolean   *is_reply)
{
  g_autofree char *word = NULL;
  const char *q = p;

  if (*p == '[')
    {
      const char *end = strchr (p, ']');

      if (end == NULL || end - p > MAX_TAG_LENGTH)
        return NULL;
      return end + 1;
    }

  while (*q != '\0' && g_unichar_isalpha (g_utf8_get_char (q)) && q - p < 16)
    q = g_utf8_next_char (q);
  if (q == p)
    return NULL;
  word = g_utf8_casefold (p, q - p);

  if (*q == '[' || *q == '(' || *q == '^')
    {
      const char *digits = ++q;

      while (g_ascii_isdigit (*q))
        q++;
      if (q == digits)
        return NULL;
      if (digits[-1] == '[' && *q++ != ']')
        return NULL;
      if (digits[-1] == '(' && *q++ != ')')
        return NULL;
    }
  while (*q == ' ' || *q == '\t')
    q++;
  if (*q == ':')
    q++;
  else if (g_utf8_get_char (q) == 0xFF1A)  /* FULLWIDTH COLON */
    q = g_utf8_next_char (q);
  else
    return NULL;

  if (in_list (word, reply_prefixes, G_N_ELEMENTS (reply_prefixes)))
    *is_reply = TRUE;
  else if (!in_list (word, forward_prefixes, G_N_ELEMENTS (forward_prefixes)))
    return NULL;
  return q;
}

/* Returns the subject (NFKC, valid UTF-8) past its prefixes. */
static char *
strip_prefixes (const char *subject,
                gboolean   *is_reply)
{
  g_autofree char *valid = g_utf8_make_valid (subject != NULL ? subject : "", -1);
  /* NFKC: "Ｒｅ：" is "Re:", a decomposed "Réf" is "Réf". */
  g_autofree char *nfkc = g_utf8_normalize (valid, -1, G_NORMALIZE_ALL_COMPOSE);
  const char *p = nfkc;

  *is_reply = FALSE;
  for (;;)
    {
      const char *next;

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if ((next = skip_one_prefix (p, is_reply)) == NULL)
        break;
      p = next;
    }
  return g_strdup (p);
}

/**
 * tern_thread_normalize_subject:
 * @subject: (nullable): the decoded Subject
 *
 * The subject as threads compare it: without reply and forward prefixes in
 * the usual languages (Re:, RE :, Re[2]:, Fwd:, FW:, AW:, WG:, SV:, VS:,
 * Réf:, Antw:, Odp:, Rif:, 回复:, 答复:, 转发: …) and [list-tags], however
 * many and in whatever order, casefolded, with runs of spaces made one.
 *
 * Returns: (transfer full): the normalized subject, maybe ""
 */
char *
tern_thread_normalize_subject (const char *subject)
{
  g_autofree char *stripped = NULL;
  g_autofree char *folded = NULL;
  GString *out;
  gboolean is_reply;
  gboolean space = FALSE;

  stripped = strip_prefixes (subject, &is_reply);
  folded = g_utf8_casefold (stripped, -1);

  out = g_string_sized_new (strlen (folded));
  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        {
          space = TRUE;
          continue;
        }
      if (space && out->len > 0)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/**
 * tern_thread_subject_is_reply:
 * @subject: (nullable): the decoded Subject
 *
 * Returns: %TRUE when one of the prefixes of @subject says reply ("Re:",
 *   "[list] AW:", "Fwd: Re:"); a forward alone is no reply
 */
gboolean
tern_thread_subject_is_reply (const char *subject)
{
  g_autofree char *stripped = NULL;
  gboolean is_reply;

  stripped = strip_prefixes (subject, &is_reply);
  return is_reply;
}

void
tern_thread_placement_free (TernThreadPlacement *placement)
{
  if (placement == NULL)
    return;
  g_clear_pointer (&placement->merge_thread_ids, g_array_unref);
  g_clear_pointer (&placement->message_id, g_free);
  g_clear_pointer (&placement->references, g_ptr_array_unref);
  g_clear_pointer (&placement->normalized_subject, g_free);
  g_free (placement);
}

/* References root first, then the In-Reply-To parent if missing, never the
 * message itself, at most TERN_THREAD_MAX_REFERENCES. */
static GPtrArray *
collect_references (const TernThreadMessage *message,
                    const char              *message_id)
{
  g_autoptr(GPtrArray) references = tern_thread_parse_message_ids (message->references);
  g_autoptr(GPtrArray) in_reply_to = tern_thread_parse_message_ids (message->in_reply_to);
  GPtrArray *result = g_ptr_array_new_with_free_func (g_free);
  guint first_kept;

  /* In-Reply-To may be "Message from Alice <alice@example.com> of …
   * <id@host>": its last id is the parent, an address before it is not. */
  if (in_reply_to->len > 0)
    {
      const char *parent = g_ptr_array_index (in_reply_to, in_reply_to->len - 1);

      if (!g_ptr_array_find_with_equal_func (references, parent, g_str_equal, NULL))
        g_ptr_array_add (references, g_strdup (parent));
    }
  if (message_id != NULL)
    {
      guint self_index;

      while (g_ptr_array_find_with_equal_func (references, message_id, g_str_equal, &self_index))
        g_ptr_array_remove_index (references, self_index);
    }

  first_kept = references->len > TERN_THREAD_MAX_REFERENCES
               ? references->len - (TERN_THREAD_MAX_REFERENCES - 1) : 1;
  for (guint i = 0; i < references->len; i++)
    if (i == 0 || i >= first_kept)
      g_ptr_array_add (result, g_strdup (g_ptr_array_index (references, i)));
  return result;
}

static void
add_thread (GArray *threads,
            gint64  thread_id)
{
  if (thread_id > 0)
    g_array_append_val (threads, thread_id);
}

static void
add_threads_referencing (GArray                 *threads,
                         const TernThreadLookup *lookup,
                         const char             *message_id,
                         gpointer                user_data)
{
  g_autoptr(GArray) referencing = g_array_new (FALSE, FALSE, sizeof (gint64));

  lookup->find_threads_referencing (message_id, referencing, user_data);
  for (guint i = 0; i < referencing->len; i++)
    add_thread (threads, g_array_index (referencing, gint64, i));
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gint64
saturating_add (gint64 a,
                gint64 b)
{
  if (b > 0 && a > G_MAXINT64 - b)
    return G_MAXINT64;
  if (b < 0 && a < G_MININT64 - b)
    return G_MININT64;
  return a + b;
}

/**
 * tern_thread_place:
 * @message: the new message, not stored yet
 * @lookup: answers about the stored messages of the same account
 * @user_data: for @lookup
 *
 * Decides where @message goes. The store then puts it in thread_id (or a
 * new thread), moves the messages of merge_thread_ids there too, and keeps
 * message_id, references and normalized_subject for later lookups.
 *
 * Returns: (transfer full): the placement
 */
TernThreadPlacement *
tern_thread_place (const TernThreadMessage *message,
                   const TernThreadLookup  *lookup,
                   gpointer                 user_data)
{
  g_autoptr(TernThreadPlacement) placement = NULL;
  g_autoptr(GArray) found = NULL;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (lookup != NULL, NULL);
  g_return_val_if_fail (lookup->find_thread_by_message_id != NULL, NULL);
  g_return_val_if_fail (lookup->find_threads_referencing != NULL, NULL);

  placement = g_new0 (TernThreadPlacement, 1);
  found = g_array_new (FALSE, FALSE, sizeof (gint64));
  placement->merge_thread_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  placement->message_id = tern_thread_normalize_message_id (message->message_id);
  placement->references = collect_references (message, placement->message_id);
  placement->normalized_subject = tern_thread_normalize_subject (message->subject);
  placement->subject_is_reply = tern_thread_subject_is_reply (message->subject);

  /* The same message seen in another folder, and replies that came first. */
  if (placement->message_id != NULL)
    {
      add_thread (found, lookup->find_thread_by_message_id (placement->message_id, user_data));
      add_threads_referencing (found, lookup, placement->message_id, user_data);
    }
  /* Its ancestors, and the messages that name the same ancestors: they are
   * one conversation even while the ancestor itself is missing. */
  for (guint i = 0; i < placement->references->len; i++)
    {
      const char *id = g_ptr_array_index (placement->references, i);

      add_thread (found, lookup->find_thread_by_message_id (id, user_data));
      add_threads_referencing (found, lookup, id, user_data);
    }

  if (found->len == 0 &&
      placement->references->len == 0 &&
      placement->subject_is_reply &&
      placement->normalized_subject[0] != '\0' &&
      lookup->find_thread_by_subject != NULL)
    {
      gint64 since = saturating_add (message->date, -TERN_THREAD_SUBJECT_WINDOW);
      gint64 until = saturating_add (message->date, TERN_THREAD_SUBJECT_WINDOW);

      add_thread (found, lookup->find_thread_by_subject (placement->normalized_subject,
                                                         since, until, user_data));
    }

  /* The oldest thread (smallest id) stays; sorted, so duplicates are adjacent. */
  g_array_sort (found, compare_int64);
  for (guint i = 0; i < found->len; i++)
    {
      gint64 thread_id = g_array_index (found, gint64, i);

      if (i == 0)
        placement->thread_id = thread_id;
      else if (thread_id != g_array_index (found, gint64, i - 1))
        g_array_append_val (placement->merge_thread_ids, thread_id);
    }

  return g_steal_pointer (&placement);
}
