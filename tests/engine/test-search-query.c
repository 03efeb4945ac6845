/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-search-query"

#include <sqlite3.h>
#include <string.h>

#include "tern-flags.h"
#include "tern-search-query.h"

/* The day boundaries of before:/after: are checked in UTC. */
static GTimeZone *
utc (void)
{
  return g_time_zone_new_offset (0);
}

static gint64
unix_time (const char *iso)
{
  g_autoptr(GTimeZone) tz = utc ();
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, tz);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

static TernSearchQuery *
parse_ok (const char *text)
{
  g_autoptr(GTimeZone) tz = utc ();
  g_autoptr(GError) error = NULL;
  TernSearchQuery *query = tern_search_query_parse_full (text, tz, &error);

  g_assert_no_error (error);
  g_assert_nonnull (query);
  return query;
}

/* The parameters as "i:123" and "t:text", joined by "|". */
static char *
describe_params (TernSearchQuery *query)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < tern_search_query_get_n_params (query); i++)
    {
      gint64 int_value = 0;
      const char *text_value = NULL;

      if (i > 0)
        g_string_append_c (out, '|');
      if (tern_search_query_get_param (query, i, &int_value, &text_value) == TERN_SEARCH_PARAM_INT64)
        g_string_append_printf (out, "i:%" G_GINT64_FORMAT, int_value);
      else
        g_string_append_printf (out, "t:%s", text_value);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_parse_table (void)
{
  struct {
    const char *text;
    const char *fts;
    const char *where;
    const char *params;
  } cases[] = {
    { "", NULL, NULL, "" },
    { "   \t\n ", NULL, NULL, "" },
    { "invoice", "\"invoice\" *", NULL, "" },
    { "invoice ", "\"invoice\"", NULL, "" },
    { "hello world", "\"hello\" AND \"world\" *", NULL, "" },
    { "\"annual report\"", "\"annual report\"", NULL, "" },
    { "\"annual rep", "\"annual rep\" *", NULL, "" },
    { "\"annual report\" x ", "\"annual report\" AND \"x\"", NULL, "" },
    { "from:alice", "addresses : \"alice\" *", NULL, "" },
    { "FROM:alice@example.com ", "addresses : \"alice@example.com\"", NULL, "" },
    { "to:bob cc:carol ", "addresses : \"bob\" AND addresses : \"carol\"", NULL, "" },
    { "subject:report", "subject : \"report\" *", NULL, "" },
    { "subject:\"two words\" x", "subject : \"two words\" AND \"x\" *", NULL, "" },
    { "subject:\"two wo", "subject : \"two wo\" *", NULL, "" },
    { "body:hello ", "body : \"hello\"", NULL, "" },
    { "from:", NULL, NULL, "" },
    { "is:unread", NULL, "(m.flags & 1) = 0", "" },
    { "is:read", NULL, "(m.flags & 1) <> 0", "" },
    { "is:flagged is:Starred", NULL, "(m.flags & 4) <> 0 AND (m.flags & 4) <> 0", "" },
    { "IS:ANSWERED", NULL, "(m.flags & 2) <> 0", "" },
    { "is:draft", NULL, "(m.flags & 16) <> 0", "" },
    { "has:attachment", NULL, "m.has_attachments <> 0", "" },
    { "-has:attachments", NULL, "NOT (m.has_attachments <> 0)", "" },
    { "before:2024-01-31", NULL, "m.date < ?100", "i:1706659200" },
    { "after:2023-12-01", NULL, "m.date >= ?100", "i:1701388800" },
    { "after:2023/12/1 before:2024-1-31", NULL, "m.date >= ?100 AND m.date < ?101", "i:1701388800|i:1706659200" },
    { "-before:2024-01-31", NULL, "NOT (m.date < ?100)", "i:1706659200" },
    { "is:unread invoice", "\"invoice\" *", "(m.flags & 1) = 0", "" },
    { "-spam", NULL,
      "m.id NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?100)", "t:\"spam\"" },
    { "-spam -\"buy now\" is:unread", NULL,
      "(m.flags & 1) = 0 AND m.id NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?100)",
      "t:\"spam\" OR \"buy now\"" },
    { "report -fwd", "(\"report\") NOT (\"fwd\")", NULL, "" },
    { "report -from:alice -x", "(\"report\") NOT (addresses : \"alice\" OR \"x\")", NULL, "" },
    { "a OR b", "(\"a\" OR \"b\" *)", NULL, "" },
    { "a OR b c", "(\"a\" OR \"b\") AND \"c\" *", NULL, "" },
    { "a OR b OR c ", "(\"a\" OR \"b\" OR \"c\")", NULL, "" },
    { "OR a OR", "\"a\"", NULL, "" },
    { "a AND b ", "\"a\" AND \"b\"", NULL, "" },
    { "a or b ", "\"a\" AND \"or\" AND \"b\"", NULL, "" },
    { "is:flagged OR has:attachment", NULL, "((m.flags & 4) <> 0 OR m.has_attachments <> 0)", "" },
    { "is:flagged OR invoice ", NULL,
      "((m.flags & 4) <> 0 OR m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?100))",
      "t:\"invoice\"" },
    { "a OR -b ", NULL,
      "(m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?100) OR "
      "m.id NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?101))",
      "t:\"a\"|t:\"b\"" },
    { "foo:bar", "\"foo:bar\" *", NULL, "" },
    { "is:purple ", "\"is:purple\"", NULL, "" },
    { "re:tickets", "\"re:tickets\" *", NULL, "" },
    { "a\"b", "\"a\"\"b\" *", NULL, "" },
    { "NEAR(a b) ", "\"NEAR(a\" AND \"b)\"", NULL, "" },
    { "^start* ", "\"^start*\"", NULL, "" },
    { "- -- !!! \"\" \" ", NULL, NULL, "" },
    { "Müller café ", "\"Müller\" AND \"café\"", NULL, "" },
    { "会議", "\"会議\" *", NULL, "" },
    { "-\"a phrase\" b ", "(\"b\") NOT (\"a phrase\")", NULL, "" },
    { "\"a phrase ", "\"a phrase \"", NULL, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TernSearchQuery) query = parse_ok (cases[i].text);
      g_autofree char *params = describe_params (query);
      g_autofree char *escaped = g_strescape (cases[i].text, NULL);

      g_test_message ("query: %s", escaped);
      g_assert_cmpstr (tern_search_query_get_fts_match (query), ==, cases[i].fts);
      g_assert_cmpstr (tern_search_query_get_sql_where (query), ==, cases[i].where);
      g_assert_cmpstr (params, ==, cases[i].params);
      g_assert_cmpint (tern_search_query_is_empty (query), ==, cases[i].fts == NULL && cases[i].where == NULL);
    }
}

static void
test_parse_errors (void)
{
  g_autoptr(GTimeZone) tz = utc ();
  g_autoptr(GString) long_text = g_string_new (NULL);
  g_autoptr(GString) many_terms = g_string_new (NULL);
  const char *bad_dates[] = {
    "before:2024-02-30", "after:2024-13-01", "before:yesterday", "after:24-01-01",
    "before:2024-01", "after:2024-01-01x", "before:2024-01/01", "after:0000-01-01",
    "before:\"2024 01 01\"", "-after:2024--01",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad_dates); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TernSearchQuery) query = tern_search_query_parse_full (bad_dates[i], tz, &error);

      g_test_message ("query: %s: %s", bad_dates[i], error ? error->message : "no error");
      g_assert_error (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_INVALID_DATE);
      g_assert_null (query);
    }

  while (long_text->len <= TERN_SEARCH_QUERY_MAX_LENGTH)
    g_string_append (long_text, "word ");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TernSearchQuery) query = tern_search_query_parse (long_text->str, &error);

    g_assert_error (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_TOO_LONG);
    g_assert_null (query);
  }

  for (guint i = 0; i < TERN_SEARCH_QUERY_MAX_TERMS; i++)
    g_string_append (many_terms, "w ");
  {
    g_autoptr(TernSearchQuery) query = parse_ok (many_terms->str);
    g_autoptr(GError) error = NULL;

    g_assert_nonnull (tern_search_query_get_fts_match (query));
    g_string_append (many_terms, "w");
    g_assert_null (tern_search_query_parse (many_terms->str, &error));
    g_assert_error (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_TOO_LONG);
  }

  /* Half-typed keys are no error. */
  {
    g_autoptr(TernSearchQuery) query = parse_ok ("before: after:");

    g_assert_true (tern_search_query_is_empty (query));
  }
}

static void
test_time_zone (void)
{
  g_autoptr(GTimeZone) berlin = g_time_zone_new_offset (3600);
  g_autoptr(GError) error = NULL;
  g_autoptr(TernSearchQuery) query = tern_search_query_parse_full ("after:2024-01-01", berlin, &error);
  g_autoptr(TernSearchQuery) local = tern_search_query_parse ("after:2024-01-01", &error);
  gint64 value = 0;

  g_assert_no_error (error);
  g_assert_cmpint (tern_search_query_get_param (query, 0, &value, NULL), ==, TERN_SEARCH_PARAM_INT64);
  g_assert_cmpint (value, ==, unix_time ("2023-12-31T23:00:00Z"));
  g_assert_nonnull (local);
}

static void
test_boxed (void)
{
  g_autoptr(TernSearchQuery) query = parse_ok ("is:unread");
  TernSearchQuery *copy = g_boxed_copy (TERN_TYPE_SEARCH_QUERY, query);

  g_assert_true (copy == query);
  g_boxed_free (TERN_TYPE_SEARCH_QUERY, copy);
  g_assert_cmpstr (tern_search_query_get_sql_where (query), ==, "(m.flags & 1) = 0");
}

static void
test_null_text (void)
{
  g_autoptr(TernSearchQuery) query = parse_ok (NULL);

  g_assert_true (tern_search_query_is_empty (query));
  g_assert_cmpuint (tern_search_query_get_n_params (query), ==, 0);
}

/* A store in miniature: the schema the store is expected to have. */

typedef struct
{
  guint        id;
  const char  *account;
  const char  *subject;
  const char  *addresses;
  const char  *body;
  int          flags;
  int          has_attachments;
  const char  *date;
} Message;

enum { S = TERN_FLAG_SEEN, A = TERN_FLAG_ANSWERED, F = TERN_FLAG_FLAGGED, DEL = TERN_FLAG_DELETED, DR = TERN_FLAG_DRAFT };

static const Message messages[] = {
  { 1, "acct", "Invoice 2024-001", "billing@acme.example Alice Smith alice@example.com", "Please find the invoice attached.", S, 1, "2024-01-15T10:00:00Z" },
  { 2, "acct", "Re: Invoice 2024-001", "alice@example.com bob@example.org", "Thanks, paid.", S | A, 0, "2024-01-16T10:00:00Z" },
  { 3, "acct", "Quarterly report", "carol@example.net team@example.com", "The quarterly report draft is ready", 0, 1, "2023-12-01T09:00:00Z" },
  { 4, "acct", "Report on the meeting", "dave@example.com", "Minutes: we discussed the annual report", S | F, 0, "2023-11-30T23:30:00Z" },
  { 5, "acct", "Grüße aus München", "Jürgen Müller juergen@beispiel.de", "Das Café war geschlossen.", S, 0, "2024-02-01T12:00:00Z" },
  { 6, "acct", "Lunch at the café", "eve@example.com", "Shall we meet at Café Olé?", 0, 0, "2024-02-02T12:00:00Z" },
  { 7, "acct", "会議の予定", "tanaka@example.jp 田中 太郎", "明日の 会議 は 10時 から です", S, 0, "2024-03-01T01:00:00Z" },
  { 8, "acct", "Weekly newsletter", "news@lists.example.org", "Unsubscribe here. NEAR the end AND more", S, 0, "2024-03-05T08:00:00Z" },
  { 9, "acct", "Party invitation", "frank@example.com", "Invitation to the summer party; bring snacks", F, 0, "2024-06-01T18:00:00Z" },
  { 10, "acct", "Spam offer", "spammer@bad.example", "Buy now cheap pills", 0, 0, "2024-06-02T03:00:00Z" },
  { 11, "acct", "Draft: proposal", "me@example.com", "Proposal for the new project", DR | S, 1, "2024-06-03T10:00:00Z" },
  { 12, "acct", "Re: Party invitation", "grace@example.com frank@example.com", "Count me in for the party", S, 0, "2024-06-02T20:00:00Z" },
  { 13, "acct", "Holiday photos", "heidi@example.com", "Photos from Ålesund and Zürich", S, 1, "2024-07-10T10:00:00Z" },
  { 14, "acct", "Server down", "ops@example.com alerts@example.com", "The server \"db-1\" is down (again)", 0, 0, "2024-07-11T02:00:00Z" },
  { 15, "acct", "Re: Server down", "ivan@example.com ops@example.com", "Rebooted db-1, back up", S | A, 0, "2024-07-11T03:00:00Z" },
  { 16, "acct", "Résumé attached", "judy@example.fr", "Voici mon résumé pour le poste", S, 1, "2024-08-01T10:00:00Z" },
  { 17, "acct", "Naïve question", "kim@example.com", "What is a coöperative?", 0, 0, "2024-08-02T10:00:00Z" },
  { 18, "acct", "Invoice overdue", "billing@acme.example", "Your invoice is overdue", 0, 0, "2024-09-01T10:00:00Z" },
  { 19, "acct", "Tickets", "leo@example.com", "Concert tickets for Björk", S, 1, "2024-09-15T10:00:00Z" },
  { 20, "acct", "Re: Tickets", "mia@example.com leo@example.com", "I'd love to come", S, 0, "2024-09-16T10:00:00Z" },
  { 21, "acct", "Year end", "alice@example.com", "Happy new year", S, 0, "2023-12-31T23:59:59Z" },
  { 22, "acct", "New year", "bob@example.org", "New year plans", S, 0, "2024-01-01T00:00:00Z" },
  { 23, "acct", "Code review", "nina@example.com", "Please review foo_bar() and baz*qux", S, 0, "2024-10-01T10:00:00Z" },
  { 24, "acct", "Meeting notes", "oscar@example.com", "Notes: action items", F | S, 1, "2024-10-02T10:00:00Z" },
  { 25, "acct", "Встреча завтра", "petrov@example.ru Пётр Петров", "Встреча в 10 утра", 0, 0, "2024-10-03T10:00:00Z" },
  { 26, "acct", "Quote test", "quinn@example.com", "He said \"hello world\" loudly", S, 0, "2024-10-04T10:00:00Z" },
  { 27, "acct", "Invoices for March", "billing@acme.example", "All invoices", S, 0, "2024-03-31T10:00:00Z" },
  { 28, "acct", "Fwd: report", "rose@example.com alice@example.com", "Forwarding the report", S, 0, "2024-04-01T10:00:00Z" },
  { 29, "acct", "Deleted", "sam@example.com", "old stuff", DEL | S, 0, "2024-04-02T10:00:00Z" },
  { 30, "other", "Other account", "alice@example.com", "invoice invoice spam", 0, 1, "2024-04-03T10:00:00Z" },
};

static const char schema[] =
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, folder_id INTEGER NOT NULL,"
  "  subject TEXT, addresses TEXT, body TEXT,"
  "  flags INTEGER NOT NULL, has_attachments INTEGER NOT NULL, date INTEGER NOT NULL);"
  "CREATE VIRTUAL TABLE messages_fts USING fts5 (subject, addresses, body,"
  "  content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');";

static sqlite3 *
open_store (void)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO messages VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      const Message *m = &messages[i];

      sqlite3_bind_int (stmt, 1, m->id);
      sqlite3_bind_text (stmt, 2, m->account, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, m->subject, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, m->addresses, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, m->body, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 6, m->flags);
      sqlite3_bind_int (stmt, 7, m->has_attachments);
      sqlite3_bind_int64 (stmt, 8, unix_time (m->date));
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  return db;
}

/* Runs query the way the store will; returns the ids as "1,2,3", or NULL
 * with sql_error set when SQLite refused. */
static char *
run_query (sqlite3          *db,
           TernSearchQuery  *query,
           char            **sql_error)
{
  g_autoptr(GString) sql = g_string_new ("SELECT m.id FROM messages m WHERE m.account_id = ?1");
  g_autoptr(GString) ids = g_string_new (NULL);
  const char *fts = tern_search_query_get_fts_match (query);
  const char *where = tern_search_query_get_sql_where (query);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (fts != NULL)
    g_string_append (sql, " AND m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?2)");
  if (where != NULL)
    g_string_append_printf (sql, " AND (%s)", where);
  g_string_append (sql, " ORDER BY m.id");

  if (sqlite3_prepare_v2 (db, sql->str, -1, &stmt, NULL) != SQLITE_OK)
    {
      *sql_error = g_strdup_printf ("%s in %s", sqlite3_errmsg (db), sql->str);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, "acct", -1, SQLITE_STATIC);
  if (fts != NULL)
    sqlite3_bind_text (stmt, 2, fts, -1, SQLITE_STATIC);
  for (guint i = 0; i < tern_search_query_get_n_params (query); i++)
    {
      gint64 int_value = 0;
      const char *text_value = NULL;
      int index = TERN_SEARCH_QUERY_FIRST_PARAM + i;

      if (tern_search_query_get_param (query, i, &int_value, &text_value) == TERN_SEARCH_PARAM_INT64)
        sqlite3_bind_int64 (stmt, index, int_value);
      else
        sqlite3_bind_text (stmt, index, text_value, -1, SQLITE_STATIC);
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_string_append_printf (ids, "%s%d", ids->len > 0 ? "," : "", sqlite3_column_int (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      *sql_error = g_strdup_printf ("%s; MATCH %s; WHERE %s", sqlite3_errmsg (db), fts, where);
      sqlite3_finalize (stmt);
      return NULL;
    }
  sqlite3_finalize (stmt);
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static void
test_fts_results (void)
{
  sqlite3 *db = open_store ();
  struct {
    const char *text;
    const char *ids;
  } cases[] = {
    { "", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29" },
    { "invoice", "1,2,18,27" },
    { "inv", "1,2,9,12,18,27" },
    { "invoice ", "1,2,18" },
    { "\"quarterly report\"", "3" },
    { "\"annual report\"", "4" },
    { "subject:\"annual report\"", "" },
    { "report", "3,4,28" },
    { "subject:meeting", "4,24" },
    { "from:alice", "1,2,21,28" },
    { "to:frank", "9,12" },
    { "from:alice@example.com invoice", "1,2" },
    { "muller", "5" },
    { "MÜLLER ", "5" },
    { "cafe", "5,6" },
    { "café ", "5,6" },
    { "zurich alesund", "13" },
    { "resume", "16" },
    { "naive coop", "17" },
    { "bjork", "19" },
    { "会議", "7" },
    { "田中", "7" },
    { "встреча ", "25" },
    { "is:unread", "3,6,9,10,14,17,18,25" },
    { "-is:read", "3,6,9,10,14,17,18,25" },
    { "is:unread invoice", "18" },
    { "is:flagged", "4,9,24" },
    { "is:starred", "4,9,24" },
    { "is:answered", "2,15" },
    { "is:draft", "11" },
    { "has:attachment", "1,3,11,13,16,19,24" },
    { "-has:attachment is:unread", "6,9,10,14,17,18,25" },
    { "before:2024-01-01", "3,4,21" },
    { "after:2024-01-01 before:2024-01-02", "22" },
    { "after:2023-12-01 before:2023-12-02", "3" },
    { "after:2024-10-01", "23,24,25,26" },
    { "report -fwd", "3,4" },
    { "-spam", "1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29" },
    { "-from:alice invoice ", "18" },
    { "invoice OR party ", "1,2,9,12,18" },
    { "is:flagged OR has:attachment", "1,3,4,9,11,13,16,19,24" },
    { "is:flagged OR invoice ", "1,2,4,9,18,24" },
    { "foo_bar", "23" },
    { "baz*qux", "23" },
    { "\"NEAR the end\"", "8" },
    { "NEAR AND", "8" },
    { "db-1", "14,15" },
    { "\"hello world", "26" },
    { "\"said \"\"hello ", "26" },
    { "\"said hello", "26" },
    { "\"said world", "" },
    { "re:tickets", "20" },
    { "is:purple", "" },
    { "!!!", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TernSearchQuery) query = parse_ok (cases[i].text);
      g_autofree char *sql_error = NULL;
      g_autofree char *ids = run_query (db, query, &sql_error);

      g_autofree char *escaped = g_strescape (cases[i].text, "\"");

      g_test_message ("query: %s → MATCH %s WHERE %s", escaped,
                      tern_search_query_get_fts_match (query),
                      tern_search_query_get_sql_where (query));
      g_assert_cmpstr (sql_error, ==, NULL);
      g_assert_cmpstr (ids, ==, cases[i].ids);
    }

  sqlite3_close (db);
}

static const char * const hostile_pieces[] = {
  "\"", "\"\"", "(", ")", "*", "^", "NEAR", "NEAR(", "NEAR/2", "AND", "OR", "NOT", ":", "-", "--",
  "+", "{", "}", "{subject}", "subject:", "from:", "to:", "is:", "is:unread", "has:attachment",
  "before:", "after:", "2024-01-01", "body:", "\\", "'", ";", "/*", "*/", "?", "?1", "$a", "@a",
  "%", "_", ",", ".", "é", "会議", "Müller", "\xf0\x9f\x98\x80", "a", "inv", "x y",
  " ", " ", " ", "\t", "\n", "\r", "\x01", "\x7f", "\xff", "\xc3", "\xe2\x80\xae", "\xef\xbf\xbd",
};

static char *
make_hostile_text (void)
{
  GString *text = g_string_new (NULL);
  guint n = g_test_rand_int_range (0, 40);

  for (guint i = 0; i < n; i++)
    {
      if (g_test_rand_int_range (0, 5) == 0)
        g_string_append_c (text, (char) g_test_rand_int_range (1, 256));
      else
        g_string_append (text, hostile_pieces[g_test_rand_int_range (0, G_N_ELEMENTS (hostile_pieces))]);
    }
  /* Now and then, over the length limit. */
  if (g_test_rand_int_range (0, 200) == 0)
    while (text->len <= TERN_SEARCH_QUERY_MAX_LENGTH)
      g_string_append (text, "a\"b ");
  return g_string_free (text, FALSE);
}

static void
test_hostile_input (void)
{
  g_autoptr(GTimeZone) tz = utc ();
  sqlite3 *db = open_store ();
  guint n_ok = 0;

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *text = make_hostile_text ();
      g_autoptr(GError) error = NULL;
      g_autoptr(TernSearchQuery) query = tern_search_query_parse_full (text, tz, &error);
      g_autofree char *sql_error = NULL;
      g_autofree char *ids = NULL;
      const char *where;

      if (query == NULL)
        {
          g_assert_error (error, TERN_SEARCH_QUERY_ERROR, error->code);
          g_assert_true (error->code == TERN_SEARCH_QUERY_ERROR_INVALID_DATE ||
                         error->code == TERN_SEARCH_QUERY_ERROR_TOO_LONG);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          continue;
        }
      g_assert_no_error (error);

      /* User text only ever reaches SQLite as a parameter. */
      where = tern_search_query_get_sql_where (query);
      g_assert_true (where == NULL || strpbrk (where, "'\";") == NULL);

      ids = run_query (db, query, &sql_error);
      if (sql_error != NULL)
        {
          g_autofree char *escaped = g_strescape (text, NULL);

          g_error ("“%s” made SQLite fail: %s", escaped, sql_error);
        }
      g_assert_nonnull (ids);
      n_ok++;
    }
  g_test_message ("%u of 10000 hostile queries parsed", n_ok);
  g_assert_cmpuint (n_ok, >, 5000);

  sqlite3_close (db);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/search/query/parse", test_parse_table);
  g_test_add_func ("/tern/search/query/errors", test_parse_errors);
  g_test_add_func ("/tern/search/query/time-zone", test_time_zone);
  g_test_add_func ("/tern/search/query/boxed", test_boxed);
  g_test_add_func ("/tern/search/query/null", test_null_text);
  g_test_add_func ("/tern/search/query/fts5", test_fts_results);
  g_test_add_func ("/tern/search/query/hostile", test_hostile_input);

  return g_test_run ();
}
