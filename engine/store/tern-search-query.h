/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * What a person types into the search bar, turned into SQL for the store.
 *
 * The store is expected to have
 *
 *   CREATE VIRTUAL TABLE messages_fts USING fts5 (subject, addresses, body,
 *       content='…', tokenize='unicode61 remove_diacritics 2');
 *
 * with rowid = messages.id, so that "cafe" finds "café" and "muller" finds
 * "Müller" (case and diacritics are folded by the tokenizer, not here).
 * unicode61 splits on spaces and punctuation only: a run of Chinese or
 * Japanese text without spaces is one token, found by its start ("会議"
 * finds "会議室" as the last word typed, or as a prefix) but not from its
 * middle.
 *
 * The language:
 *
 *   word             the word in any column; the last word of the query is a
 *                    prefix ("inv" finds "invoice") unless a space follows it
 *   "a phrase"       the words next to each other; an unclosed quote runs to
 *                    the end and is a prefix like a last word
 *   from:alice       alice in the addresses column (sender and recipients:
 *   to:bob           the index does not keep the roles apart, so from: and
 *   cc:bob           to: are the same search today)
 *   subject:report   report in the subject; subject:"two words" for a phrase
 *   is:unread        also is:read, is:flagged (is:starred), is:answered
 *                    (is:replied), is:draft
 *   has:attachment   (has:attachments too)
 *   after:2023-12-01 sent on that local day or later (inclusive)
 *   before:2024-01-31 sent before that local day began (exclusive), so
 *                    "after:2024-01-01 before:2024-01-02" is New Year's Day;
 *                    dates are YYYY-MM-DD or YYYY/MM/DD in the given time zone
 *   -term            negates any term above: -word, -"a phrase", -from:x,
 *                    -is:unread …
 *   a OR b           either; binds tighter than the implicit AND between
 *                    terms, so "a OR b c" is (a or b) and c; a dangling OR
 *                    is ignored, and so is a bare AND
 *
 * Keys are case-insensitive. An unknown key (or a known key with an unknown
 * value, like is:purple) is searched as plain words, "foo:bar" as the phrase
 * "foo bar". A word without a letter or digit ("-", "!!!") is ignored. Every
 * word reaches FTS5 as a quoted string, so no input can change the shape of
 * the MATCH expression, and no user text is ever put into the SQL: the WHERE
 * clause takes it as parameters.
 *
 * Limits: at most TERN_SEARCH_QUERY_MAX_LENGTH bytes and
 * TERN_SEARCH_QUERY_MAX_TERMS terms, else TERN_SEARCH_QUERY_ERROR_TOO_LONG.
 * Invalid UTF-8 is replaced, never rejected.
 *
 * How the store uses it (either part may be NULL; both NULL matches all):
 *
 *   SELECT … FROM messages m
 *    WHERE m.account_id = ?1 …
 *      AND m.id IN (SELECT rowid FROM messages_fts
 *                    WHERE messages_fts MATCH ?2)     -- bind get_fts_match ()
 *      AND (…get_sql_where ()…)                       -- bind the parameters
 *
 * The WHERE part refers to the message table as "m" and may itself contain
 * subqueries on messages_fts (for "-word" alone, or an OR that mixes words
 * with is:/has:/dates), so the FTS table must be called messages_fts.
 */

#define TERN_SEARCH_QUERY_MAX_LENGTH 1024
#define TERN_SEARCH_QUERY_MAX_TERMS  64

/* Parameter i of the WHERE clause is ?(TERN_SEARCH_QUERY_FIRST_PARAM + i),
 * which leaves ?1 … ?99 to the store's own statement. */
#define TERN_SEARCH_QUERY_FIRST_PARAM 100

#define TERN_SEARCH_QUERY_ERROR (tern_search_query_error_quark ())

typedef enum
{
  TERN_SEARCH_QUERY_ERROR_INVALID_DATE,  /* before:/after: with something that is no date */
  TERN_SEARCH_QUERY_ERROR_TOO_LONG,      /* over the length or term limit */
} TernSearchQueryError;

typedef enum
{
  TERN_SEARCH_PARAM_INT64,
  TERN_SEARCH_PARAM_TEXT,
} TernSearchParamType;

typedef struct _TernSearchQuery TernSearchQuery;

#define TERN_TYPE_SEARCH_QUERY (tern_search_query_get_type ())

GQuark               tern_search_query_error_quark  (void);
GType                tern_search_query_get_type     (void) G_GNUC_CONST;

TernSearchQuery     *tern_search_query_parse        (const char       *text,
                                                     GError          **error);
TernSearchQuery     *tern_search_query_parse_full   (const char       *text,
                                                     GTimeZone        *time_zone,
                                                     GError          **error);
TernSearchQuery     *tern_search_query_ref          (TernSearchQuery  *self);
void                 tern_search_query_unref        (TernSearchQuery  *self);

gboolean             tern_search_query_is_empty     (TernSearchQuery  *self);
const char          *tern_search_query_get_fts_match (TernSearchQuery *self);
const char          *tern_search_query_get_sql_where (TernSearchQuery *self);
guint                tern_search_query_get_n_params (TernSearchQuery  *self);
TernSearchParamType  tern_search_query_get_param    (TernSearchQuery  *self,
                                                     guint             index,
                                                     gint64           *int_value,
                                                     const char      **text_value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernSearchQuery, tern_search_query_unref)

G_END_DECLS
