/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

/* Read commands over the local store: they work offline, on what is cached. */

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "tern-cli-private.h"

static char *
format_date (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_time);

  return dt ? g_date_time_format_iso8601 (dt) : g_strdup ("");
}

static void
add_flags (JsonBuilder *builder,
           guint        flags)
{
  static const struct {
    guint       flag;
    const char *name;
  } names[] = {
    { TERN_FLAG_SEEN, "seen" },
    { TERN_FLAG_ANSWERED, "answered" },
    { TERN_FLAG_FLAGGED, "flagged" },
    { TERN_FLAG_DELETED, "deleted" },
    { TERN_FLAG_DRAFT, "draft" },
  };

  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].flag)
      json_builder_add_string_value (builder, names[i].name);
  json_builder_end_array (builder);
}

static void
member_string (JsonBuilder *builder,
               const char  *name,
               const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static char *
folder_path (TernCliContext *ctx,
             gint64   folder_id)
{
  sqlite3_stmt *stmt = NULL;
  char *path = NULL;

  if (sqlite3_prepare_v2 (tern_store_get_reader (ctx->store), "SELECT path FROM folders WHERE id = ?",
                          -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, folder_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    path = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return path;
}

static char *
format_from (TernMessage *message)
{
  const char *name = tern_message_get_from_name (message);
  const char *addr = tern_message_get_from_addr (message);

  if (name != NULL && addr != NULL)
    return g_strdup_printf ("%s <%s>", name, addr);
  return g_strdup (addr ? addr : name ? name : "");
}

static void
print_message (TernCliContext *ctx,
               TernMessage    *message,
               gboolean        json)
{
  g_autofree char *date = format_date (tern_message_get_date (message));
  g_autofree char *from = format_from (message);
  g_autofree char *path = folder_path (ctx, tern_message_get_folder_id (message));

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, tern_message_get_id (message));
      member_string (builder, "account", tern_cli_context_account_name (ctx, tern_message_get_account_id (message)));
      member_string (builder, "account_id", tern_message_get_account_id (message));
      member_string (builder, "folder", path);
      json_builder_set_member_name (builder, "uid");
      if (tern_message_get_uid (message) != 0)
        json_builder_add_int_value (builder, tern_message_get_uid (message));
      else
        json_builder_add_null_value (builder);
      member_string (builder, "uidl", tern_message_get_uidl (message));
      member_string (builder, "message_id", tern_message_get_message_id (message));
      json_builder_set_member_name (builder, "thread_id");
      json_builder_add_int_value (builder, tern_message_get_thread_id (message));
      member_string (builder, "subject", tern_message_get_subject (message));
      member_string (builder, "from", from);
      member_string (builder, "to", tern_message_get_to (message));
      member_string (builder, "date", date);
      json_builder_set_member_name (builder, "flags");
      add_flags (builder, tern_message_get_flags (message));
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, tern_message_get_size (message));
      json_builder_set_member_name (builder, "has_attachments");
      json_builder_add_boolean_value (builder, tern_message_get_has_attachments (message));
      member_string (builder, "preview", tern_message_get_preview (message));
      if (tern_message_get_thread_count (message) > 1)
        {
          json_builder_set_member_name (builder, "thread_count");
          json_builder_add_int_value (builder, tern_message_get_thread_count (message));
        }
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      text = json_to_string (node, FALSE);
      printf ("%s\n", text);
    }
  else
    {
      printf ("%8" G_GINT64_FORMAT "  %c%c%c  %-19.19s  %-28.28s  %s\n",
              tern_message_get_id (message),
              tern_message_get_unread (message) ? 'N' : ' ',
              tern_message_get_flagged (message) ? '*' : ' ',
              tern_message_get_has_attachments (message) ? '@' : ' ',
              date, from, tern_message_get_subject (message));
    }
}

static void
print_list (TernCliContext *ctx,
            GListModel *list,
            int         limit,
            gboolean    json)
{
  guint n = g_list_model_get_n_items (list);

  if (limit >= 0 && (guint) limit < n)
    n = limit;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TernMessage) message = g_list_model_get_item (list, i);

      if (message != NULL)
        print_message (ctx, message, json);
    }
}

static gboolean
parse_options (GOptionContext  *context,
               GOptionEntry    *entries,
               int             *argc,
               char          ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      tern_cli_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

int
tern_cli_folders (int    argc,
                  char **argv)
{
  g_autofree char *account_opt = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_opt, "Only this account", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list folders with their counts");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  const char *account_id;
  sqlite3_stmt *stmt = NULL;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if (!tern_cli_context_open (&ctx) || !tern_cli_context_resolve_account (&ctx, account_opt, &account_id))
    return TERN_CLI_EXIT_FAILED;

  if (sqlite3_prepare_v2 (tern_store_get_reader (ctx.store),
                          "SELECT id, account_id, path, role, total, unread, uidvalidity FROM folders"
                          " WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, path",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      tern_cli_error ("cannot read the folders: %s", sqlite3_errmsg (tern_store_get_reader (ctx.store)));
      return TERN_CLI_EXIT_FAILED;
    }
  if (account_id != NULL)
    sqlite3_bind_text (stmt, 1, account_id, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *acc = (const char *) sqlite3_column_text (stmt, 1);
      const char *path = (const char *) sqlite3_column_text (stmt, 2);
      const char *role = (const char *) sqlite3_column_text (stmt, 3);

      if (json)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();
          g_autoptr(JsonNode) node = NULL;
          g_autofree char *text = NULL;

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 0));
          member_string (builder, "account", tern_cli_context_account_name (&ctx, acc));
          member_string (builder, "account_id", acc);
          member_string (builder, "path", path);
          member_string (builder, "role", role);
          json_builder_set_member_name (builder, "total");
          json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 4));
          json_builder_set_member_name (builder, "unread");
          json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 5));
          json_builder_set_member_name (builder, "uidvalidity");
          json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 6));
          json_builder_end_object (builder);
          node = json_builder_get_root (builder);
          text = json_to_string (node, FALSE);
          printf ("%s\n", text);
        }
      else
        printf ("%-20s %-40s %-8s %7d %7d\n", tern_cli_context_account_name (&ctx, acc), path, role ? role : "",
                sqlite3_column_int (stmt, 4), sqlite3_column_int (stmt, 5));
    }
  sqlite3_finalize (stmt);
  return TERN_CLI_EXIT_OK;
}

int
tern_cli_list (int    argc,
               char **argv)
{
  g_autofree char *account_opt = NULL;
  g_autofree char *folder_opt = NULL;
  gboolean unified = FALSE;
  gboolean unread = FALSE;
  gboolean flagged = FALSE;
  gboolean conversations = FALSE;
  int limit = -1;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_opt, "The account (with --folder; default: the only one)", "NAME" },
    { "folder", 0, 0, G_OPTION_ARG_STRING, &folder_opt, "The folder (default INBOX)", "PATH" },
    { "unified", 0, 0, G_OPTION_ARG_NONE, &unified, "Every account's inbox, merged", NULL },
    { "unread", 0, 0, G_OPTION_ARG_NONE, &unread, "Unread mail of every account", NULL },
    { "flagged", 0, 0, G_OPTION_ARG_NONE, &flagged, "Flagged mail of every account", NULL },
    { "conversations", 0, 0, G_OPTION_ARG_NONE, &conversations, "One line per conversation", NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "At most N messages", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list messages, newest first");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  g_autoptr(TernMessageList) list = NULL;
  const char *account_id;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if ((unified + unread + flagged + (folder_opt != NULL)) > 1)
    {
      tern_cli_error ("choose one of --folder, --unified, --unread and --flagged");
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_cli_context_open (&ctx) || !tern_cli_context_resolve_account (&ctx, account_opt, &account_id))
    return TERN_CLI_EXIT_FAILED;

  if (unified)
    list = tern_message_list_new_unified (ctx.store, TERN_MESSAGE_LIST_ALL_INBOXES);
  else if (unread)
    list = tern_message_list_new_unified (ctx.store, TERN_MESSAGE_LIST_UNREAD);
  else if (flagged)
    list = tern_message_list_new_unified (ctx.store, TERN_MESSAGE_LIST_FLAGGED);
  else
    {
      gint64 folder_id = 0;
      const char *path = folder_opt ? folder_opt : "INBOX";

      if (account_id == NULL)
        {
          if (g_list_model_get_n_items (G_LIST_MODEL (ctx.accounts)) != 1)
            {
              tern_cli_error ("give --account NAME (or --unified for every inbox)");
              return TERN_CLI_EXIT_USAGE;
            }
          {
            g_autoptr(TernAccount) only = g_list_model_get_item (G_LIST_MODEL (ctx.accounts), 0);

            account_id = tern_account_get_id (only);
            folder_id = tern_store_lookup_folder (ctx.store, account_id, path);
          }
        }
      else
        folder_id = tern_store_lookup_folder (ctx.store, account_id, path);
      if (folder_id == 0)
        {
          tern_cli_error ("no folder “%s” is stored for this account; 'tern-cli folders' lists them, 'tern-cli sync' fetches them", path);
          return TERN_CLI_EXIT_FAILED;
        }
      list = tern_message_list_new_for_folder (ctx.store, folder_id);
    }
  tern_message_list_set_conversations (list, conversations);
  print_list (&ctx, G_LIST_MODEL (list), limit, json);
  return TERN_CLI_EXIT_OK;
}

int
tern_cli_search (int    argc,
                 char **argv)
{
  g_autofree char *account_opt = NULL;
  int limit = -1;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_opt, "Only this account", "NAME" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "At most N messages", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("QUERY - search the stored mail (from: to: subject: is:unread has:attachment before: after:)");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  g_autoptr(TernMessageList) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *query = NULL;
  const char *account_id;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if (argc < 2)
    {
      tern_cli_error ("search needs a query, e.g. tern-cli search 'from:alice invoice'");
      return TERN_CLI_EXIT_USAGE;
    }
  query = g_strjoinv (" ", argv + 1);
  if (!tern_cli_context_open (&ctx) || !tern_cli_context_resolve_account (&ctx, account_opt, &account_id))
    return TERN_CLI_EXIT_FAILED;

  list = tern_message_list_new_for_search (ctx.store, query, account_id, 0, &error);
  if (list == NULL)
    {
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_USAGE;
    }
  print_list (&ctx, G_LIST_MODEL (list), limit, json);
  return TERN_CLI_EXIT_OK;
}

/* show: the headers and the readable text of one message. */

static void
print_text_part (GMimeObject *part,
                 gboolean    *printed)
{
  GMimeContentType *type;

  if (*printed)
    return;
  if (GMIME_IS_MULTIPART (part))
    {
      GMimeMultipart *multipart = GMIME_MULTIPART (part);
      int n = g_mime_multipart_get_count (multipart);
      gboolean alternative = g_mime_content_type_is_type (g_mime_object_get_content_type (part), "multipart", "alternative");

      /* In an alternative the plain part is preferred; it is usually first. */
      for (int i = 0; i < n && !*printed; i++)
        {
          GMimeObject *child = g_mime_multipart_get_part (multipart, i);

          if (alternative && !g_mime_content_type_is_type (g_mime_object_get_content_type (child), "text", "plain"))
            continue;
          print_text_part (child, printed);
        }
      for (int i = 0; i < n && !*printed; i++)
        print_text_part (g_mime_multipart_get_part (multipart, i), printed);
      return;
    }
  if (!GMIME_IS_TEXT_PART (part))
    return;
  type = g_mime_object_get_content_type (part);
  {
    g_autofree char *text = g_mime_text_part_get_text (GMIME_TEXT_PART (part));

    if (text == NULL)
      return;
    if (g_mime_content_type_is_type (type, "text", "html"))
      {
        g_autofree char *plain = tern_mime_html_to_text (text, strlen (text));

        printf ("\n%s\n", plain);
      }
    else
      printf ("\n%s\n", text);
    *printed = TRUE;
  }
}

int
tern_cli_show (int    argc,
               char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GOptionContext) context = g_option_context_new ("ID - show a stored message");
  g_auto(TernCliContext) ctx = { NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(TernMessage) message = NULL;
  g_autofree char *date = NULL;
  g_autofree char *from = NULL;
  gint64 id;
  char *end = NULL;

  if (!parse_options (context, entries, &argc, &argv))
    return TERN_CLI_EXIT_USAGE;
  if (argc != 2 || (id = g_ascii_strtoll (argv[1], &end, 10)) <= 0 || *end != '\0')
    {
      tern_cli_error ("show takes one message id, as 'tern-cli list' prints it");
      return TERN_CLI_EXIT_USAGE;
    }
  if (!tern_cli_context_open (&ctx))
    return TERN_CLI_EXIT_FAILED;

  if (sqlite3_prepare_v2 (tern_store_get_reader (ctx.store),
                          "SELECT " TERN_MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        message = tern_message_new_from_row (stmt);
      sqlite3_finalize (stmt);
    }
  if (message == NULL)
    {
      tern_cli_error ("no message %" G_GINT64_FORMAT " is stored", id);
      return TERN_CLI_EXIT_FAILED;
    }

  date = format_date (tern_message_get_date (message));
  from = format_from (message);
  printf ("From:    %s\n", from);
  if (tern_message_get_to (message) != NULL)
    printf ("To:      %s\n", tern_message_get_to (message));
  if (tern_message_get_cc (message) != NULL)
    printf ("Cc:      %s\n", tern_message_get_cc (message));
  printf ("Date:    %s\n", date);
  printf ("Subject: %s\n", tern_message_get_subject (message));

  raw = tern_store_load_body (ctx.store, id, &error);
  if (raw == NULL && g_error_matches (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND))
    {
      TernAccount *account = tern_account_manager_lookup (ctx.accounts, tern_message_get_account_id (message));

      /* Opening a message fetches its body, as in the app. */
      if (account != NULL && tern_account_get_protocol (account) == TERN_PROTOCOL_IMAP)
        {
          g_autoptr(TernAccountWorker) worker = tern_cli_new_worker (ctx.store, account, FALSE);
          g_autoptr(GError) fetch_error = NULL;
          TernWait wait;
          gboolean fetched;

          tern_wait_begin (&wait);
          tern_account_worker_fetch_body_async (worker, id, NULL, tern_wait_cb, &wait);
          fetched = tern_account_worker_fetch_body_finish (worker, tern_wait_end (&wait), &fetch_error);
          tern_wait_clear (&wait);
          if (fetched)
            {
              g_clear_error (&error);
              raw = tern_store_load_body (ctx.store, id, &error);
            }
          else
            tern_cli_warning ("cannot download the message: %s", fetch_error->message);
        }
    }
  if (raw == NULL)
    {
      if (g_error_matches (error, TERN_STORE_ERROR, TERN_STORE_ERROR_NOT_FOUND))
        {
          if (tern_message_get_preview (message) != NULL)
            printf ("\n%s…\n", tern_message_get_preview (message));
          printf ("\n(Only the summary is stored; the body is fetched when the message is opened"
                  " or with 'tern-cli sync --bodies'.)\n");
          return TERN_CLI_EXIT_OK;
        }
      tern_cli_error ("%s", error->message);
      return TERN_CLI_EXIT_FAILED;
    }

  tern_mime_init ();
  {
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
    GMimeParser *parser = g_mime_parser_new_with_stream (stream);
    GMimeMessage *parsed = g_mime_parser_construct_message (parser, NULL);
    gboolean printed = FALSE;

    if (parsed != NULL && g_mime_message_get_mime_part (parsed) != NULL)
      print_text_part (g_mime_message_get_mime_part (parsed), &printed);
    if (!printed)
      printf ("\n(This message has no text part.)\n");
    g_clear_object (&parsed);
    g_object_unref (parser);
    g_object_unref (stream);
  }
  return TERN_CLI_EXIT_OK;
}
