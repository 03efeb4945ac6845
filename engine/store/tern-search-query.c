/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-search-query"

#include <string.h>

#include "tern-flags.h"
#include "tern-search-query.h"

struct _TernSearchQuery
{
  char   *fts_match;
  char   *sql_where;
  GArray *params;       /* of Param */
};

typedef struct
{
  TernSearchParamType  type;
  gint64               int_value;
  char                *text_value;
} Param;

typedef enum
{
  TERM_TEXT,    /* words for FTS5 */
  TERM_SQL,     /* a condition on messages m */
  TERM_OR,      /* the OR operator between two terms */
} TermKind;

typedef struct
{
  TermKind     kind;
  gboolean     negated;

  /* TERM_TEXT */
  const char  *column;      /* NULL for every column */
  char        *text;
  gboolean     prefix;

  /* TERM_SQL: the condition, followed by a parameter when has_value */
  char        *condition;
  gboolean     has_value;
  gint64       value;
} Term;

typedef struct
{
  const char  *p;
  GTimeZone   *time_zone;
  GPtrArray   *terms;       /* of Term */
  guint        n_terms;
} Parser;

typedef struct
{
  GString     *where;
  GArray      *params;
} SqlBuilder;

static const char fts_subquery[] = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ";

G_DEFINE_QUARK (tern-search-query-error-quark, tern_search_query_error)

G_DEFINE_BOXED_TYPE (TernSearchQuery, tern_search_query, tern_search_query_ref, tern_search_query_unref)

static void
term_free (Term *term)
{
  g_free (term->text);
  g_free (term->condition);
  g_free (term);
}

static void
param_clear (Param *param)
{
  g_clear_pointer (&param->text_value, g_free);
}

static gboolean
is_separator_at (const char *p)
{
  gunichar c = g_utf8_get_char (p);

  return g_unichar_isspace (c) || g_unichar_iscntrl (c);
}

/* Roughly unicode61's token characters (L*, N*, Co): a word with none of them
 * would be no FTS5 token at all, so it is better left out than searched. */
static gboolean
has_token_chars (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    switch (g_unichar_type (g_utf8_get_char (p)))
      {
      case G_UNICODE_LOWERCASE_LETTER:
      case G_UNICODE_MODIFIER_LETTER:
      case G_UNICODE_OTHER_LETTER:
      case G_UNICODE_TITLECASE_LETTER:
      case G_UNICODE_UPPERCASE_LETTER:
      case G_UNICODE_DECIMAL_NUMBER:
      case G_UNICODE_LETTER_NUMBER:
      case G_UNICODE_OTHER_NUMBER:
      case G_UNICODE_PRIVATE_USE:
        return TRUE;
      default:
        break;
      }
  return FALSE;
}

static gboolean
add_term (Parser  *parser,
          Term    *term,
          GError **error)
{
  if (term->kind != TERM_OR && ++parser->n_terms > TERN_SEARCH_QUERY_MAX_TERMS)
    {
      term_free (term);
      g_set_error (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_TOO_LONG,
                   "The search has too many words; use at most %d", TERN_SEARCH_QUERY_MAX_TERMS);
      return FALSE;
    }
  g_ptr_array_add (parser->terms, term);
  return TRUE;
}

static gboolean
add_text (Parser      *parser,
          gboolean     negated,
          const char  *column,
          const char  *text,
          gsize        len,
          gboolean     prefix,
          GError     **error)
{
  g_autofree char *copy = g_strndup (text, len);
  Term *term;

  if (!has_token_chars (copy))
    return TRUE;

  term = g_new0 (Term, 1);
  term->kind = TERM_TEXT;
  term->negated = negated;
  term->column = column;
  /* A word is half-typed until a space follows it, even inside a quote; and
   * excluding everything that starts with a half-typed word would surprise. */
  term->prefix = prefix && !negated && !is_separator_at (g_utf8_prev_char (copy + strlen (copy)));
  term->text = g_steal_pointer (&copy);
  return add_term (parser, term, error);
}

static gboolean
add_condition (Parser    *parser,
               gboolean   negated,
               char      *condition,
               gboolean   has_value,
               gint64     value,
               GError   **error)
{
  Term *term = g_new0 (Term, 1);

  term->kind = TERM_SQL;
  term->negated = negated;
  term->condition = condition;
  term->has_value = has_value;
  term->value = value;
  return add_term (parser, term, error);
}

/* YYYY-MM-DD or YYYY/MM/DD, month and day with one or two digits. */
static gboolean
parse_date (const char  *text,
            GTimeZone   *time_zone,
            gint64      *unix_time)
{
  g_autoptr(GDateTime) dt = NULL;
  const char *p = text;
  int year = 0, month = 0, day = 0;
  char sep;
  int n;

  for (n = 0; n < 4 && g_ascii_isdigit (*p); n++, p++)
    year = year * 10 + (*p - '0');
  if (n != 4 || (*p != '-' && *p != '/'))
    return FALSE;
  sep = *p++;
  for (n = 0; n < 2 && g_ascii_isdigit (*p); n++, p++)
    month = month * 10 + (*p - '0');
  if (n == 0 || *p != sep)
    return FALSE;
  p++;
  for (n = 0; n < 2 && g_ascii_isdigit (*p); n++, p++)
    day = day * 10 + (*p - '0');
  if (n == 0 || *p != '\0')
    return FALSE;
  if (year < 1 || !g_date_valid_dmy (day, month, year))
    return FALSE;

  dt = g_date_time_new (time_zone, year, month, day, 0, 0, 0);
  if (dt == NULL)
    return FALSE;
  *unix_time = g_date_time_to_unix (dt);
  return TRUE;
}

static const char *
column_for_key (const char *key)
{
  if (g_ascii_strcasecmp (key, "from") == 0 ||
      g_ascii_strcasecmp (key, "to") == 0 ||
      g_ascii_strcasecmp (key, "cc") == 0)
    return "addresses";
  if (g_ascii_strcasecmp (key, "subject") == 0)
    return "subject";
  if (g_ascii_strcasecmp (key, "body") == 0)
    return "body";
  return NULL;
}

static gboolean
is_known_key (const char *key)
{
  return column_for_key (key) != NULL ||
         g_ascii_strcasecmp (key, "is") == 0 ||
         g_ascii_strcasecmp (key, "has") == 0 ||
         g_ascii_strcasecmp (key, "before") == 0 ||
         g_ascii_strcasecmp (key, "after") == 0;
}

static char *
condition_for_is (const char *value)
{
  if (g_ascii_strcasecmp (value, "unread") == 0)
    return g_strdup_printf ("(m.flags & %d) = 0", TERN_FLAG_SEEN);
  if (g_ascii_strcasecmp (value, "read") == 0)
    return g_strdup_printf ("(m.flags & %d) <> 0", TERN_FLAG_SEEN);
  if (g_ascii_strcasecmp (value, "flagged") == 0 || g_ascii_strcasecmp (value, "starred") == 0)
    return g_strdup_printf ("(m.flags & %d) <> 0", TERN_FLAG_FLAGGED);
  if (g_ascii_strcasecmp (value, "answered") == 0 || g_ascii_strcasecmp (value, "replied") == 0)
    return g_strdup_printf ("(m.flags & %d) <> 0", TERN_FLAG_ANSWERED);
  if (g_ascii_strcasecmp (value, "draft") == 0)
    return g_strdup_printf ("(m.flags & %d) <> 0", TERN_FLAG_DRAFT);
  return NULL;
}

/* p is at an opening quote; returns the text inside and moves p past the
 * closing quote, or to the end when there is none. */
static const char *
read_quoted (const char **p,
             gsize       *len,
             gboolean    *closed)
{
  const char *start = *p + 1;
  const char *end = strchr (start, '"');

  *closed = end != NULL;
  if (end == NULL)
    end = start + strlen (start);
  *len = end - start;
  *p = *closed ? end + 1 : end;
  return start;
}

/* Reads the key:value term in run (of run_len bytes, at parser->p). */
static gboolean
read_key_value (Parser      *parser,
                gboolean     negated,
                const char  *run,
                gsize        run_len,
                const char  *colon,
                GError     **error)
{
  g_autofree char *key = g_strndup (run, colon - run);
  g_autofree char *value = NULL;
  const char *column = column_for_key (key);
  const char *value_start = colon + 1;
  gboolean prefix;
  gint64 date;
  char *condition;

  if (*value_start == '"')
    {
      const char *p = value_start;
      gboolean closed;
      gsize len;
      const char *inner = read_quoted (&p, &len, &closed);

      parser->p = p;
      value = g_strndup (inner, len);
      prefix = !closed && *p == '\0';
    }
  else
    {
      parser->p = run + run_len;
      value = g_strndup (value_start, run + run_len - value_start);
      prefix = *parser->p == '\0';
    }

  /* "from:" with nothing yet: the person is still typing. */
  if (*value == '\0')
    return TRUE;

  if (column != NULL)
    return add_text (parser, negated, column, value, strlen (value), prefix, error);

  if (g_ascii_strcasecmp (key, "is") == 0)
    {
      if ((condition = condition_for_is (value)) != NULL)
        return add_condition (parser, negated, condition, FALSE, 0, error);
    }
  else if (g_ascii_strcasecmp (key, "has") == 0)
    {
      if (g_ascii_strcasecmp (value, "attachment") == 0 || g_ascii_strcasecmp (value, "attachments") == 0)
        return add_condition (parser, negated, g_strdup ("m.has_attachments <> 0"), FALSE, 0, error);
    }
  else
    {
      gboolean before = g_ascii_strcasecmp (key, "before") == 0;

      if (!parse_date (value, parser->time_zone, &date))
        {
          g_set_error (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_INVALID_DATE,
                       "“%s” is not a date; write it as year-month-day, like %s:2024-01-31",
                       value, before ? "before" : "after");
          return FALSE;
        }
      return add_condition (parser, negated, g_strdup (before ? "m.date < " : "m.date >= "), TRUE, date, error);
    }

  /* is:purple, has:dog: words after all. */
  return add_text (parser, negated, NULL, run, parser->p - run, prefix, error);
}

static gboolean
read_term (Parser  *parser,
           GError **error)
{
  gboolean negated = FALSE;
  const char *run;
  const char *colon;
  gsize run_len;

  if (*parser->p == '-')
    {
      negated = TRUE;
      parser->p++;
      if (*parser->p == '\0' || is_separator_at (parser->p))
        return TRUE;
    }

  if (*parser->p == '"')
    {
      gboolean closed;
      gsize len;
      const char *text = read_quoted (&parser->p, &len, &closed);

      return add_text (parser, negated, NULL, text, len, !closed && *parser->p == '\0', error);
    }

  run = parser->p;
  while (*parser->p != '\0' && !is_separator_at (parser->p))
    parser->p = g_utf8_next_char (parser->p);
  run_len = parser->p - run;

  if (!negated && run_len == 2 && strncmp (run, "OR", 2) == 0)
    {
      Term *term = g_new0 (Term, 1);

      term->kind = TERM_OR;
      return add_term (parser, term, error);
    }
  if (!negated && run_len == 3 && strncmp (run, "AND", 3) == 0)
    return TRUE;

  colon = memchr (run, ':', run_len);
  if (colon != NULL && colon > run)
    {
      g_autofree char *key = g_strndup (run, colon - run);

      if (is_known_key (key))
        return read_key_value (parser, negated, run, run_len, colon, error);
    }

  return add_text (parser, negated, NULL, run, run_len, *parser->p == '\0', error);
}

/* FTS5 string syntax: everything between double quotes, quotes doubled. */
static void
append_fts_term (GString    *out,
                 const Term *term)
{
  if (term->column != NULL)
    g_string_append_printf (out, "%s : ", term->column);
  g_string_append_c (out, '"');
  for (const char *p = term->text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  if (term->prefix)
    g_string_append (out, " *");
}

static guint
add_param (SqlBuilder *builder,
           Param      *param)
{
  g_array_append_vals (builder->params, param, 1);
  return TERN_SEARCH_QUERY_FIRST_PARAM + builder->params->len - 1;
}

static void
append_fts_subquery (SqlBuilder *builder,
                     gboolean    negated,
                     char       *match)
{
  Param param = { TERN_SEARCH_PARAM_TEXT, 0, match };

  g_string_append_printf (builder->where, "m.id %sIN (%s?%u)",
                          negated ? "NOT " : "", fts_subquery, add_param (builder, &param));
}

static void
append_condition (SqlBuilder *builder,
                  const Term *term)
{
  if (term->negated)
    g_string_append (builder->where, "NOT (");
  g_string_append (builder->where, term->condition);
  if (term->has_value)
    {
      Param param = { TERN_SEARCH_PARAM_INT64, term->value, NULL };

      g_string_append_printf (builder->where, "?%u", add_param (builder, &param));
    }
  if (term->negated)
    g_string_append_c (builder->where, ')');
}

static void
begin_where_part (SqlBuilder *builder)
{
  if (builder->where->len > 0)
    g_string_append (builder->where, " AND ");
}

static char *
term_to_fts (const Term *term)
{
  GString *out = g_string_new (NULL);

  append_fts_term (out, term);
  return g_string_free (out, FALSE);
}

/* An OR group that FTS5 cannot say alone (a negated word, or a condition
 * beside words) becomes SQL with one FTS5 subquery per word. */
static void
append_mixed_group (SqlBuilder *builder,
                    GPtrArray  *group)
{
  begin_where_part (builder);
  g_string_append_c (builder->where, '(');
  for (guint i = 0; i < group->len; i++)
    {
      const Term *term = g_ptr_array_index (group, i);

      if (i > 0)
        g_string_append (builder->where, " OR ");
      if (term->kind == TERM_TEXT)
        append_fts_subquery (builder, term->negated, term_to_fts (term));
      else
        append_condition (builder, term);
    }
  g_string_append_c (builder->where, ')');
}

static void
compile (TernSearchQuery *self,
         GPtrArray       *groups)
{
  g_autoptr(GString) positive = g_string_new (NULL);
  g_autoptr(GString) negative = g_string_new (NULL);
  g_autoptr(GString) where = g_string_new (NULL);
  SqlBuilder builder = { where, self->params };
  guint n_positive = 0;

  for (guint i = 0; i < groups->len; i++)
    {
      GPtrArray *group = g_ptr_array_index (groups, i);
      const Term *first = g_ptr_array_index (group, 0);
      gboolean all_positive_text = TRUE;

      for (guint j = 0; j < group->len; j++)
        {
          const Term *term = g_ptr_array_index (group, j);

          all_positive_text &= term->kind == TERM_TEXT && !term->negated;
        }

      if (group->len == 1 && first->kind == TERM_SQL)
        {
          begin_where_part (&builder);
          append_condition (&builder, first);
        }
      else if (group->len == 1 && first->negated)
        {
          if (negative->len > 0)
            g_string_append (negative, " OR ");
          append_fts_term (negative, first);
        }
      else if (all_positive_text)
        {
          if (n_positive++ > 0)
            g_string_append (positive, " AND ");
          if (group->len > 1)
            g_string_append_c (positive, '(');
          for (guint j = 0; j < group->len; j++)
            {
              if (j > 0)
                g_string_append (positive, " OR ");
              append_fts_term (positive, g_ptr_array_index (group, j));
            }
          if (group->len > 1)
            g_string_append_c (positive, ')');
        }
      else
        {
          append_mixed_group (&builder, group);
        }
    }

  if (positive->len > 0 && negative->len > 0)
    self->fts_match = g_strdup_printf ("(%s) NOT (%s)", positive->str, negative->str);
  else if (positive->len > 0)
    self->fts_match = g_strdup (positive->str);
  else if (negative->len > 0)
    {
      /* FTS5's NOT needs something on its left. */
      begin_where_part (&builder);
      append_fts_subquery (&builder, TRUE, g_strdup (negative->str));
    }

  if (where->len > 0)
    self->sql_where = g_strdup (where->str);
}

/* a OR b c → [[a, b], [c]]; an OR with nothing on one side is dropped. */
static GPtrArray *
group_terms (GPtrArray *terms)
{
  GPtrArray *groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  gboolean pending_or = FALSE;

  for (guint i = 0; i < terms->len; i++)
    {
      Term *term = g_ptr_array_index (terms, i);

      if (term->kind == TERM_OR)
        pending_or = groups->len > 0;
      else if (pending_or)
        {
          g_ptr_array_add (g_ptr_array_index (groups, groups->len - 1), term);
          pending_or = FALSE;
        }
      else
        {
          GPtrArray *group = g_ptr_array_new ();

          g_ptr_array_add (group, term);
          g_ptr_array_add (groups, group);
        }
    }
  return groups;
}

/**
 * tern_search_query_parse_full:
 * @text: (nullable): what was typed
 * @time_zone: (nullable): the zone of before:/after: days; %NULL for local
 * @error: %TERN_SEARCH_QUERY_ERROR_INVALID_DATE or _TOO_LONG
 *
 * Returns: (transfer full): the query; an empty text gives an empty query
 */
TernSearchQuery *
tern_search_query_parse_full (const char  *text,
                              GTimeZone   *time_zone,
                              GError     **error)
{
  g_autoptr(TernSearchQuery) self = NULL;
  g_autoptr(GPtrArray) terms = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GTimeZone) local = NULL;
  g_autofree char *valid = NULL;
  Parser parser = { NULL, };

  if (text == NULL)
    text = "";
  if (strlen (text) > TERN_SEARCH_QUERY_MAX_LENGTH)
    {
      g_set_error (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_TOO_LONG,
                   "The search is too long; use at most %d characters",
                   TERN_SEARCH_QUERY_MAX_LENGTH);
      return NULL;
    }
  if (time_zone == NULL)
    time_zone = local = g_time_zone_new_local ();

  valid = g_utf8_make_valid (text, -1);
  terms = g_ptr_array_new_with_free_func ((GDestroyNotify) term_free);
  parser.p = valid;
  parser.time_zone = time_zone;
  parser.terms = terms;

  for (;;)
    {
      while (*parser.p != '\0' && is_separator_at (parser.p))
        parser.p = g_utf8_next_char (parser.p);
      if (*parser.p == '\0')
        break;
      if (!read_term (&parser, error))
        return NULL;
    }

  self = g_atomic_rc_box_new0 (TernSearchQuery);
  self->params = g_array_new (FALSE, TRUE, sizeof (Param));
  g_array_set_clear_func (self->params, (GDestroyNotify) param_clear);

  groups = group_terms (terms);
  compile (self, groups);
  return g_steal_pointer (&self);
}

/**
 * tern_search_query_parse:
 *
 * tern_search_query_parse_full() in the local time zone.
 */
TernSearchQuery *
tern_search_query_parse (const char  *text,
                         GError     **error)
{
  return tern_search_query_parse_full (text, NULL, error);
}

TernSearchQuery *
tern_search_query_ref (TernSearchQuery *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

static void
tern_search_query_clear (TernSearchQuery *self)
{
  g_clear_pointer (&self->fts_match, g_free);
  g_clear_pointer (&self->sql_where, g_free);
  g_clear_pointer (&self->params, g_array_unref);
}

void
tern_search_query_unref (TernSearchQuery *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, (GDestroyNotify) tern_search_query_clear);
}

/**
 * tern_search_query_is_empty:
 *
 * Returns: %TRUE when the query puts no condition at all (it matches every
 *   message), as for "" or "   " or "!!!"
 */
gboolean
tern_search_query_is_empty (TernSearchQuery *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->fts_match == NULL && self->sql_where == NULL;
}

/**
 * tern_search_query_get_fts_match:
 *
 * Returns: (nullable): the FTS5 MATCH expression for messages_fts, or %NULL
 *   when the query has no words that need one
 */
const char *
tern_search_query_get_fts_match (TernSearchQuery *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->fts_match;
}

/**
 * tern_search_query_get_sql_where:
 *
 * Returns: (nullable): a condition over messages m to AND with the store's
 *   own, its parameters numbered from %TERN_SEARCH_QUERY_FIRST_PARAM
 */
const char *
tern_search_query_get_sql_where (TernSearchQuery *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->sql_where;
}

guint
tern_search_query_get_n_params (TernSearchQuery *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->params->len;
}

/**
 * tern_search_query_get_param:
 * @index: from 0; it binds to ?(TERN_SEARCH_QUERY_FIRST_PARAM + @index)
 * @int_value: (out) (optional): set for %TERN_SEARCH_PARAM_INT64
 * @text_value: (out) (optional) (transfer none): set for %TERN_SEARCH_PARAM_TEXT
 *
 * Returns: the type of the parameter, which says which out value was set
 */
TernSearchParamType
tern_search_query_get_param (TernSearchQuery  *self,
                             guint             index,
                             gint64           *int_value,
                             const char      **text_value)
{
  const Param *param;

  g_return_val_if_fail (self != NULL, TERN_SEARCH_PARAM_INT64);
  g_return_val_if_fail (index < self->params->len, TERN_SEARCH_PARAM_INT64);

  param = &g_array_index (self->params, Param, index);
  if (param->type == TERN_SEARCH_PARAM_INT64 && int_value != NULL)
    *int_value = param->int_value;
  if (param->type == TERN_SEARCH_PARAM_TEXT && text_value != NULL)
    *text_value = param->text_value;
  return param->type;
}
