/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-search-query"

/* libFuzzer harness: whatever is typed into the search bar must parse or
 * fail with a documented error, and what it parses to must run on SQLite's
 * FTS5 without an SQL error. */

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern-search-query.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static const char schema[] =
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, folder_id INTEGER NOT NULL,"
  "  subject TEXT, addresses TEXT, body TEXT,"
  "  flags INTEGER NOT NULL, has_attachments INTEGER NOT NULL, date INTEGER NOT NULL);"
  "CREATE VIRTUAL TABLE messages_fts USING fts5 (subject, addresses, body,"
  "  content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
  "INSERT INTO messages VALUES"
  "  (1, 'acct', 1, 'Invoice', 'alice@example.com', 'Please pay', 1, 1, 1704067200),"
  "  (2, 'acct', 1, 'Re: Grüße', 'Jürgen Müller', 'Café NEAR AND OR', 0, 0, 1706745600),"
  "  (3, 'acct', 1, '会議', 'tanaka@example.jp', '明日の 会議', 5, 0, 1709251200);"
  "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');";

static sqlite3 *
open_db (void)
{
  static sqlite3 *db;

  if (db == NULL)
    {
      if (sqlite3_open (":memory:", &db) != SQLITE_OK ||
          sqlite3_exec (db, schema, NULL, NULL, NULL) != SQLITE_OK)
        {
          g_printerr ("cannot set up the database: %s\n", sqlite3_errmsg (db));
          abort ();
        }
    }
  return db;
}

/* User text reaches SQLite only as a parameter, never as an SQL literal. */
static gboolean
where_has_literal (TernSearchQuery *query)
{
  const char *where = tern_search_query_get_sql_where (query);

  return where != NULL && strpbrk (where, "'\";") != NULL;
}

static void
run (TernSearchQuery *query)
{
  sqlite3 *db = open_db ();
  g_autoptr(GString) sql = g_string_new ("SELECT m.id FROM messages m WHERE m.account_id = ?1");
  const char *fts = tern_search_query_get_fts_match (query);
  const char *where = tern_search_query_get_sql_where (query);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (fts != NULL)
    g_string_append (sql, " AND m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?2)");
  if (where != NULL)
    g_string_append_printf (sql, " AND (%s)", where);

  if (sqlite3_prepare_v2 (db, sql->str, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_printerr ("prepare failed: %s\n%s\n", sqlite3_errmsg (db), sql->str);
      abort ();
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
    ;
  if (rc != SQLITE_DONE)
    {
      g_printerr ("step failed: %s\nMATCH %s\nWHERE %s\n", sqlite3_errmsg (db), fts, where);
      abort ();
    }
  sqlite3_finalize (stmt);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_offset (0);
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(TernSearchQuery) query = NULL;
  g_autoptr(GError) error = NULL;

  query = tern_search_query_parse_full (text, utc, &error);
  if (query == NULL)
    {
      if (error == NULL ||
          !(g_error_matches (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_INVALID_DATE) ||
            g_error_matches (error, TERN_SEARCH_QUERY_ERROR, TERN_SEARCH_QUERY_ERROR_TOO_LONG)))
        abort ();
      return 0;
    }

  if (where_has_literal (query))
    abort ();
  run (query);
  return 0;
}
