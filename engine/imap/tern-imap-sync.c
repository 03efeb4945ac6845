/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-sync"

#include <string.h>

#include "tern-flags.h"
#include "tern-imap-sync.h"
#include "tern-wait.h"

struct _TernImapSync
{
  GObject          parent_instance;
  TernImapSession *session;
  TernStore       *store;
  guint            n_fetched;
};

G_DEFINE_FINAL_TYPE (TernImapSync, tern_imap_sync, G_TYPE_OBJECT)

static void
tern_imap_sync_finalize (GObject *object)
{
  TernImapSync *self = TERN_IMAP_SYNC (object);

  g_clear_object (&self->session);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (tern_imap_sync_parent_class)->finalize (object);
}

static void
tern_imap_sync_class_init (TernImapSyncClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tern_imap_sync_finalize;
}

static void
tern_imap_sync_init (TernImapSync *self)
{
}

TernImapSync *
tern_imap_sync_new (TernImapSession *session,
                    TernStore       *store)
{
  TernImapSync *self = g_object_new (TERN_TYPE_IMAP_SYNC, NULL);

  self->session = g_object_ref (session);
  self->store = g_object_ref (store);
  return self;
}

guint
tern_imap_sync_get_n_fetched (TernImapSync *self)
{
  g_return_val_if_fail (TERN_IS_IMAP_SYNC (self), 0);
  return self->n_fetched;
}

/* Mapping a FETCH */

static guint
flags_from_imap (char **flags,
                 char **keywords)
{
  g_autoptr(GString) other = g_string_new (NULL);
  guint result = 0;

  for (guint i = 0; flags != NULL && flags[i] != NULL; i++)
    {
      const char *f = flags[i];

      if (g_ascii_strcasecmp (f, "\\Seen") == 0)
        result |= TERN_FLAG_SEEN;
      else if (g_ascii_strcasecmp (f, "\\Answered") == 0)
        result |= TERN_FLAG_ANSWERED;
      else if (g_ascii_strcasecmp (f, "\\Flagged") == 0)
        result |= TERN_FLAG_FLAGGED;
      else if (g_ascii_strcasecmp (f, "\\Deleted") == 0)
        result |= TERN_FLAG_DELETED;
      else if (g_ascii_strcasecmp (f, "\\Draft") == 0)
        result |= TERN_FLAG_DRAFT;
      else if (f[0] != '\\')
        g_string_append_printf (other, "%s%s", other->len > 0 ? " " : "", f);
    }
  if (keywords != NULL)
    *keywords = other->len > 0 ? g_strdup (other->str) : NULL;
  return result;
}

static gboolean
has_attachments (const TernImapBodyPart *part)
{
  if (part == NULL)
    return FALSE;
  if (g_strcmp0 (part->disposition, "attachment") == 0)
    return TRUE;
  if (part->children != NULL)
    for (guint i = 0; i < part->children->len; i++)
      if (has_attachments (g_ptr_array_index (part->children, i)))
        return TRUE;
  if (g_strcmp0 (part->type, "multipart") != 0 && g_strcmp0 (part->type, "text") != 0 && part->section != NULL
      && g_strcmp0 (part->section, "1") != 0)
    return TRUE;
  return FALSE;
}

static char *
strip_angles (const char *raw)
{
  const char *start, *end;

  if (raw == NULL)
    return NULL;
  start = strchr (raw, '<');
  end = start != NULL ? strchr (start, '>') : NULL;
  if (start == NULL || end == NULL)
    return g_strstrip (g_strdup (raw));
  return g_strndup (start + 1, end - start - 1);
}

static char *
address_list_text (GPtrArray *addresses)
{
  InternetAddressList *list;
  char *text;

  if (addresses == NULL)
    return NULL;
  list = tern_imap_address_list_to_gmime (addresses);
  if (list == NULL)
    return NULL;
  text = internet_address_list_to_string (list, NULL, FALSE);
  g_object_unref (list);
  return text;
}

TernMessageInfo *
tern_imap_sync_message_info_from_fetch (const TernImapFetch *fetch)
{
  TernMessageInfo *info = tern_message_info_new ();
  const TernImapEnvelope *env = fetch->envelope;
  const TernImapFetchSection *headers = NULL;

  info->uid = fetch->uid;
  info->flags = flags_from_imap (fetch->flags, &info->keywords);
  info->internal_date = fetch->internaldate;
  info->size = (gint64) fetch->rfc822_size;
  info->has_attachments = has_attachments (fetch->body);

  if (env != NULL)
    {
      info->subject = env->subject != NULL ? tern_imap_decode_header_text (env->subject) : NULL;
      info->message_id = strip_angles (env->message_id);
      info->in_reply_to = strip_angles (env->in_reply_to);
      if (env->from != NULL && env->from->len > 0)
        {
          const TernImapAddress *from = g_ptr_array_index (env->from, 0);

          if (from->name != NULL)
            info->from_name = tern_imap_decode_header_phrase (from->name);
          if (from->mailbox != NULL && from->host != NULL)
            {
              g_autofree char *domain = g_ascii_strdown (from->host, -1);

              info->from_addr = g_strdup_printf ("%s@%s", from->mailbox, domain);
            }
        }
      info->to = address_list_text (env->to);
      info->cc = address_list_text (env->cc);
      if (env->date != NULL)
        {
          g_autoptr(GDateTime) date = g_mime_utils_header_decode_date (env->date);

          if (date != NULL)
            info->date = g_date_time_to_unix (date);
        }
    }
  if (info->date == 0)
    info->date = info->internal_date;

  for (guint i = 0; fetch->sections != NULL && i < fetch->sections->len; i++)
    {
      const TernImapFetchSection *section = g_ptr_array_index (fetch->sections, i);

      if (section->kind == TERN_IMAP_SECTION_BODY && g_str_has_prefix (section->section, "HEADER.FIELDS"))
        headers = section;
    }
  if (headers != NULL && headers->data != NULL)
    {
      GMimeParser *parser = g_mime_parser_new ();
      GMimeStream *stream = g_mime_stream_mem_new_with_buffer (g_bytes_get_data (headers->data, NULL),
                                                               g_bytes_get_size (headers->data));
      GMimeObject *part;

      /* Parse the header block as a message without a body. */
      g_mime_parser_init_with_stream (parser, stream);
      part = (GMimeObject *) g_mime_parser_construct_message (parser, NULL);
      g_object_unref (stream);
      g_object_unref (parser);
      if (part != NULL)
        {
          const char *refs = g_mime_object_get_header (part, "References");
          const char *list_id = g_mime_object_get_header (part, "List-Id");

          if (refs != NULL)
            {
              GMimeReferences *parsed = g_mime_references_parse (NULL, refs);
              g_autoptr(GPtrArray) ids = g_ptr_array_new ();

              for (int i = 0; parsed != NULL && i < g_mime_references_length (parsed); i++)
                g_ptr_array_add (ids, g_strdup (g_mime_references_get_message_id (parsed, i)));
              g_ptr_array_add (ids, NULL);
              if (parsed != NULL)
                g_mime_references_free (parsed);
              info->references = (char **) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
            }
          if (list_id != NULL)
            info->list_id = strip_angles (list_id);
          g_object_unref (part);
        }
    }
  return info;
}

/* One pass */

#define WAIT(call, finish) \
  G_STMT_START { TernWait wait_; tern_wait_begin (&wait_); call; finish; tern_wait_clear (&wait_); } G_STMT_END
#define RESULT (tern_wait_end (&wait_))

typedef struct
{
  GPtrArray *infos;
} Batch;

static void
summary_fetched_cb (const TernImapFetch *fetch,
                    gpointer             user_data)
{
  Batch *batch = user_data;

  g_ptr_array_add (batch->infos, tern_imap_sync_message_info_from_fetch (fetch));
}

static void
apply_flags (TernImapSync       *self,
             GHashTable         *local,
             guint32             uid,
             char              **imap_flags,
             GCancellable       *cancellable)
{
  TernStoreUid *row = g_hash_table_lookup (local, GUINT_TO_POINTER (uid));
  guint flags;
  g_autoptr(GArray) ids = NULL;

  if (row == NULL)
    return;
  flags = flags_from_imap (imap_flags, NULL);
  if (flags == row->flags)
    return;
  ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_val (ids, row->id);
  tern_store_update_flags_async (self->store, ids, flags & ~row->flags, row->flags & ~flags, cancellable, NULL, NULL);
  row->flags = flags;
}

typedef struct
{
  TernImapSync *self;
  GHashTable   *local;
  GCancellable *cancellable;
} FlagsFetch;

static void
flags_fetched_cb (const TernImapFetch *fetch,
                  gpointer             user_data)
{
  FlagsFetch *data = user_data;

  if (fetch->has & TERN_IMAP_FETCH_FLAGS)
    apply_flags (data->self, data->local, fetch->uid, fetch->flags, data->cancellable);
}

static gboolean
sync_folder (TernImapSync       *self,
             gint64              folder_id,
             const char         *raw_name,
             GCancellable       *cancellable,
             GError            **error)
{
  g_autoptr(TernImapSelected) selected = NULL;
  g_autoptr(GArray) local_rows = NULL;
  g_autoptr(GHashTable) local = NULL;
  g_autoptr(GArray) server = NULL;
  g_autoptr(GArray) gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) missing = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint32 stored_uidvalidity = 0, stored_uidnext = 0;
  guint64 stored_modseq = 0;
  gboolean qresync, ok = TRUE;
  FlagsFetch flags_data;

  tern_store_get_folder_sync_state (self->store, folder_id, &stored_uidvalidity, &stored_uidnext, &stored_modseq);
  WAIT (tern_imap_session_select_async (self->session, raw_name, TRUE, stored_uidvalidity, stored_modseq,
                                        cancellable, tern_wait_cb, &wait_),
        selected = tern_imap_session_select_finish (self->session, RESULT, error));
  if (selected == NULL)
    return FALSE;

  if (stored_uidvalidity != 0 && stored_uidvalidity != selected->uidvalidity)
    {
      /* The same UIDs may now name other messages: drop everything. */
      WAIT (tern_store_reset_folder_async (self->store, folder_id, selected->uidvalidity, cancellable,
                                           tern_wait_cb, &wait_),
            ok = tern_store_reset_folder_finish (self->store, RESULT, error));
      if (!ok)
        return FALSE;
      stored_modseq = 0;
      stored_uidnext = 0;
    }
  qresync = tern_imap_session_is_enabled (self->session, "QRESYNC") && stored_modseq != 0
            && stored_uidvalidity == selected->uidvalidity;

  local_rows = tern_store_list_uids (self->store, folder_id);
  local = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < local_rows->len; i++)
    {
      TernStoreUid *row = &g_array_index (local_rows, TernStoreUid, i);

      g_hash_table_insert (local, GUINT_TO_POINTER (row->uid), row);
    }

  flags_data.self = self;
  flags_data.local = local;
  flags_data.cancellable = cancellable;

  /* Flags and expunges of what is stored. */
  if (qresync)
    {
      for (guint i = 0; i < selected->changed->len; i++)
        {
          TernImapResponse *response = g_ptr_array_index (selected->changed, i);

          flags_fetched_cb (response->fetch, &flags_data);
        }
      for (guint i = 0; i < local_rows->len; i++)
        {
          TernStoreUid *row = &g_array_index (local_rows, TernStoreUid, i);

          if (tern_imap_sequence_contains (selected->vanished, row->uid, 0))
            {
              g_array_append_val (gone, row->id);
              g_hash_table_remove (local, GUINT_TO_POINTER (row->uid));
            }
        }
    }
  else if (local_rows->len > 0)
    {
      g_autoptr(TernImapSequence) all = tern_imap_sequence_new ();
      gboolean condstore = tern_imap_session_is_enabled (self->session, "CONDSTORE") && stored_modseq != 0
                           && selected->highestmodseq != 0;

      tern_imap_sequence_add_range (all, 1, TERN_IMAP_SEQUENCE_STAR);
      if (!condstore || selected->highestmodseq != stored_modseq)
        WAIT (tern_imap_session_uid_fetch_async (self->session, all, "(UID FLAGS)", condstore ? stored_modseq : 0,
                                                 flags_fetched_cb, &flags_data, cancellable, tern_wait_cb, &wait_),
              ok = tern_imap_session_uid_fetch_finish (self->session, RESULT, error));
      if (!ok)
        return FALSE;
    }

  /* What is new, and (without QRESYNC) what is gone. */
  if (selected->exists != g_hash_table_size (local) || selected->uidnext != stored_uidnext)
    {
      WAIT (tern_imap_session_search_all_async (self->session, cancellable, tern_wait_cb, &wait_),
            server = tern_imap_session_search_all_finish (self->session, RESULT, error));
      if (server == NULL)
        return FALSE;
      {
        g_autoptr(GHashTable) on_server = g_hash_table_new (NULL, NULL);

        for (guint i = 0; i < server->len; i++)
          {
            guint32 uid = g_array_index (server, guint32, i);

            g_hash_table_add (on_server, GUINT_TO_POINTER (uid));
            if (!g_hash_table_contains (local, GUINT_TO_POINTER (uid)))
              g_array_append_val (missing, uid);
          }
        for (guint i = 0; i < local_rows->len; i++)
          {
            TernStoreUid *row = &g_array_index (local_rows, TernStoreUid, i);

            if (g_hash_table_contains (local, GUINT_TO_POINTER (row->uid))
                && !g_hash_table_contains (on_server, GUINT_TO_POINTER (row->uid)))
              g_array_append_val (gone, row->id);
          }
      }
    }
  if (gone->len > 0)
    {
      WAIT (tern_store_delete_messages_async (self->store, gone, cancellable, tern_wait_cb, &wait_),
            ok = tern_store_delete_messages_finish (self->store, RESULT, error));
      if (!ok)
        return FALSE;
    }

  /* Newest first, in batches: the list fills from the top. */
  for (guint end = missing->len; end > 0;)
    {
      guint start = end > TERN_IMAP_SYNC_BATCH ? end - TERN_IMAP_SYNC_BATCH : 0;
      g_autoptr(TernImapSequence) uids = tern_imap_sequence_new_from_sorted (&g_array_index (missing, guint32, start),
                                                                             end - start);
      Batch batch = { g_ptr_array_new_with_free_func ((GDestroyNotify) tern_message_info_free) };
      g_autoptr(GArray) ids = NULL;

      WAIT (tern_imap_session_uid_fetch_async (self->session, uids, TERN_IMAP_SESSION_SUMMARY_ITEMS, 0,
                                               summary_fetched_cb, &batch, cancellable, tern_wait_cb, &wait_),
            ok = tern_imap_session_uid_fetch_finish (self->session, RESULT, error));
      if (ok)
        WAIT (tern_store_insert_messages_async (self->store, folder_id, batch.infos, cancellable, tern_wait_cb, &wait_),
              ids = tern_store_insert_messages_finish (self->store, RESULT, error));
      self->n_fetched += batch.infos->len;
      g_ptr_array_unref (batch.infos);
      if (!ok || ids == NULL)
        return FALSE;
      end = start;
    }

  WAIT (tern_store_set_folder_sync_state_async (self->store, folder_id, selected->uidvalidity, selected->uidnext,
                                                selected->highestmodseq, cancellable, tern_wait_cb, &wait_),
        ok = tern_store_set_folder_sync_state_finish (self->store, RESULT, error));
  return ok;
}

gboolean
tern_imap_sync_run (TernImapSync  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  const char *account_id = tern_account_get_id (tern_imap_session_get_account (self->session));
  g_autoptr(GPtrArray) list = NULL;

  g_return_val_if_fail (TERN_IS_IMAP_SYNC (self), FALSE);

  self->n_fetched = 0;
  WAIT (tern_imap_session_list_async (self->session, cancellable, tern_wait_cb, &wait_),
        list = tern_imap_session_list_finish (self->session, RESULT, error));
  if (list == NULL)
    return FALSE;

  /* Folders deleted on the server (by another client) go here too. */
  {
    g_autoptr(GPtrArray) listed = g_ptr_array_new ();
    gboolean ok;

    for (guint i = 0; i < list->len; i++)
      {
        TernImapMailbox *mailbox = ((TernImapResponse *) g_ptr_array_index (list, i))->mailbox;

        if (mailbox->name_valid && !(mailbox->attrs & TERN_IMAP_MAILBOX_NONEXISTENT))
          g_ptr_array_add (listed, mailbox->name);
      }
    WAIT (tern_store_prune_folders_async (self->store, account_id, listed, cancellable, tern_wait_cb, &wait_),
          ok = tern_store_prune_folders_finish (self->store, RESULT, error));
    if (!ok)
      return FALSE;
  }

  for (guint i = 0; i < list->len; i++)
    {
      TernImapMailbox *mailbox = ((TernImapResponse *) g_ptr_array_index (list, i))->mailbox;
      g_autoptr(TernFolderInfo) info = NULL;
      char delimiter[8] = { 0 };
      gint64 folder_id = 0;

      if (!mailbox->name_valid || (mailbox->attrs & (TERN_IMAP_MAILBOX_NOSELECT | TERN_IMAP_MAILBOX_NONEXISTENT)))
        continue;
      if (mailbox->delimiter != 0)
        g_unichar_to_utf8 (mailbox->delimiter, delimiter);
      info = tern_folder_info_new (account_id, mailbox->name, mailbox->delimiter != 0 ? delimiter : NULL,
                                   tern_imap_mailbox_get_role (mailbox));
      info->attributes = mailbox->attributes != NULL ? g_strjoinv (" ", mailbox->attributes) : NULL;
      WAIT (tern_store_ensure_folder_async (self->store, info, cancellable, tern_wait_cb, &wait_),
            folder_id = tern_store_ensure_folder_finish (self->store, RESULT, error));
      if (folder_id == 0)
        return FALSE;
      if (!sync_folder (self, folder_id, mailbox->raw_name, cancellable, error))
        return FALSE;
    }
  return TRUE;
}
