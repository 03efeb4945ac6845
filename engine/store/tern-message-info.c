/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-message-info"

#include "tern-message-info.h"

G_DEFINE_BOXED_TYPE (TernMessageInfo, tern_message_info, tern_message_info_copy, tern_message_info_free)
G_DEFINE_BOXED_TYPE (TernFolderInfo, tern_folder_info, tern_folder_info_copy, tern_folder_info_free)

TernMessageInfo *
tern_message_info_new (void)
{
  return g_new0 (TernMessageInfo, 1);
}

TernMessageInfo *
tern_message_info_copy (const TernMessageInfo *info)
{
  TernMessageInfo *copy = g_new0 (TernMessageInfo, 1);

  *copy = *info;
  copy->uidl = g_strdup (info->uidl);
  copy->message_id = g_strdup (info->message_id);
  copy->in_reply_to = g_strdup (info->in_reply_to);
  copy->references = g_strdupv (info->references);
  copy->subject = g_strdup (info->subject);
  copy->from_name = g_strdup (info->from_name);
  copy->from_addr = g_strdup (info->from_addr);
  copy->to = g_strdup (info->to);
  copy->cc = g_strdup (info->cc);
  copy->keywords = g_strdup (info->keywords);
  copy->preview = g_strdup (info->preview);
  copy->list_id = g_strdup (info->list_id);
  copy->body_text = g_strdup (info->body_text);
  copy->error = g_strdup (info->error);
  return copy;
}

void
tern_message_info_free (TernMessageInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->uidl);
  g_free (info->message_id);
  g_free (info->in_reply_to);
  g_strfreev (info->references);
  g_free (info->subject);
  g_free (info->from_name);
  g_free (info->from_addr);
  g_free (info->to);
  g_free (info->cc);
  g_free (info->keywords);
  g_free (info->preview);
  g_free (info->list_id);
  g_free (info->body_text);
  g_free (info->error);
  g_free (info);
}

TernFolderInfo *
tern_folder_info_new (const char *account_id,
                      const char *path,
                      const char *delimiter,
                      const char *role)
{
  TernFolderInfo *info = g_new0 (TernFolderInfo, 1);

  info->account_id = g_strdup (account_id);
  info->path = g_strdup (path);
  info->delimiter = g_strdup (delimiter);
  info->role = g_strdup (role);
  return info;
}

TernFolderInfo *
tern_folder_info_copy (const TernFolderInfo *info)
{
  TernFolderInfo *copy = tern_folder_info_new (info->account_id, info->path, info->delimiter, info->role);

  copy->attributes = g_strdup (info->attributes);
  copy->local = info->local;
  return copy;
}

void
tern_folder_info_free (TernFolderInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->account_id);
  g_free (info->path);
  g_free (info->delimiter);
  g_free (info->role);
  g_free (info->attributes);
  g_free (info);
}
