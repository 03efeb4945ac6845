/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-message"

#include "tern-flags.h"
#include "tern-message.h"

struct _TernMessage
{
  GObject  parent_instance;

  gint64   id;
  char    *account_id;
  gint64   folder_id;
  guint32  uid;
  char    *uidl;
  char    *message_id;
  gint64   thread_id;
  char    *subject;
  char    *from_name;
  char    *from_addr;
  char    *to;
  char    *cc;
  gint64   date;
  gint64   size;
  guint    flags;
  char    *keywords;
  gboolean has_attachments;
  char    *preview;
  int      body_state;
  guint    thread_count;
};

G_DEFINE_FINAL_TYPE (TernMessage, tern_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SUBJECT,
  PROP_FROM_NAME,
  PROP_FROM_ADDR,
  PROP_DATE,
  PROP_FLAGS,
  PROP_UNREAD,
  PROP_FLAGGED,
  PROP_HAS_ATTACHMENTS,
  PROP_PREVIEW,
  PROP_THREAD_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tern_message_finalize (GObject *object)
{
  TernMessage *self = (TernMessage *)object;

  g_free (self->account_id);
  g_free (self->uidl);
  g_free (self->message_id);
  g_free (self->subject);
  g_free (self->from_name);
  g_free (self->from_addr);
  g_free (self->to);
  g_free (self->cc);
  g_free (self->keywords);
  g_free (self->preview);

  G_OBJECT_CLASS (tern_message_parent_class)->finalize (object);
}

static void
tern_message_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TernMessage *self = TERN_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_SUBJECT:
      g_value_set_string (value, self->subject);
      break;
    case PROP_FROM_NAME:
      g_value_set_string (value, self->from_name);
      break;
    case PROP_FROM_ADDR:
      g_value_set_string (value, self->from_addr);
      break;
    case PROP_DATE:
      g_value_set_int64 (value, self->date);
      break;
    case PROP_FLAGS:
      g_value_set_uint (value, self->flags);
      break;
    case PROP_UNREAD:
      g_value_set_boolean (value, tern_message_get_unread (self));
      break;
    case PROP_FLAGGED:
      g_value_set_boolean (value, tern_message_get_flagged (self));
      break;
    case PROP_HAS_ATTACHMENTS:
      g_value_set_boolean (value, self->has_attachments);
      break;
    case PROP_PREVIEW:
      g_value_set_string (value, self->preview);
      break;
    case PROP_THREAD_COUNT:
      g_value_set_uint (value, self->thread_count);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_message_class_init (TernMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tern_message_finalize;
  object_class->get_property = tern_message_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_SUBJECT] = g_param_spec_string ("subject", NULL, NULL, NULL, flags);
  properties[PROP_FROM_NAME] = g_param_spec_string ("from-name", NULL, NULL, NULL, flags);
  properties[PROP_FROM_ADDR] = g_param_spec_string ("from-addr", NULL, NULL, NULL, flags);
  properties[PROP_DATE] = g_param_spec_int64 ("date", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_FLAGS] = g_param_spec_uint ("flags", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_UNREAD] = g_param_spec_boolean ("unread", NULL, NULL, FALSE, flags);
  properties[PROP_FLAGGED] = g_param_spec_boolean ("flagged", NULL, NULL, FALSE, flags);
  properties[PROP_HAS_ATTACHMENTS] = g_param_spec_boolean ("has-attachments", NULL, NULL, FALSE, flags);
  properties[PROP_PREVIEW] = g_param_spec_string ("preview", NULL, NULL, NULL, flags);
  properties[PROP_THREAD_COUNT] = g_param_spec_uint ("thread-count", NULL, NULL, 0, G_MAXUINT, 1, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tern_message_init (TernMessage *self)
{
  self->thread_count = 1;
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  const unsigned char *text = sqlite3_column_text (stmt, column);

  return text ? g_strdup ((const char *) text) : NULL;
}

/**
 * tern_message_new_from_row:
 * @stmt: a statement positioned on a row that selects %TERN_MESSAGE_COLUMNS
 */
TernMessage *
tern_message_new_from_row (sqlite3_stmt *stmt)
{
  TernMessage *self = g_object_new (TERN_TYPE_MESSAGE, NULL);

  self->id = sqlite3_column_int64 (stmt, 0);
  self->account_id = dup_column (stmt, 1);
  self->folder_id = sqlite3_column_int64 (stmt, 2);
  self->uid = (guint32) sqlite3_column_int64 (stmt, 3);
  self->message_id = dup_column (stmt, 4);
  self->thread_id = sqlite3_column_int64 (stmt, 5);
  self->subject = dup_column (stmt, 6);
  self->from_name = dup_column (stmt, 7);
  self->from_addr = dup_column (stmt, 8);
  self->to = dup_column (stmt, 9);
  self->cc = dup_column (stmt, 10);
  self->date = sqlite3_column_int64 (stmt, 11);
  self->size = sqlite3_column_int64 (stmt, 12);
  self->flags = sqlite3_column_int (stmt, 13);
  self->has_attachments = sqlite3_column_int (stmt, 14) != 0;
  self->preview = dup_column (stmt, 15);
  self->body_state = sqlite3_column_int (stmt, 16);
  self->keywords = dup_column (stmt, 17);
  self->uidl = dup_column (stmt, 18);
  return self;
}

gint64
tern_message_get_id (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->id;
}

const char *
tern_message_get_account_id (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->account_id;
}

gint64
tern_message_get_folder_id (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->folder_id;
}

guint32
tern_message_get_uid (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->uid;
}

const char *
tern_message_get_uidl (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->uidl;
}

const char *
tern_message_get_message_id (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->message_id;
}

gint64
tern_message_get_thread_id (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->thread_id;
}

const char *
tern_message_get_subject (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->subject ? self->subject : "";
}

const char *
tern_message_get_from_name (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->from_name;
}

const char *
tern_message_get_from_addr (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->from_addr;
}

const char *
tern_message_get_to (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->to;
}

const char *
tern_message_get_cc (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->cc;
}

gint64
tern_message_get_date (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->date;
}

gint64
tern_message_get_size (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->size;
}

guint
tern_message_get_flags (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->flags;
}

const char *
tern_message_get_keywords (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->keywords;
}

gboolean
tern_message_get_has_attachments (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), FALSE);
  return self->has_attachments;
}

const char *
tern_message_get_preview (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), NULL);
  return self->preview;
}

int
tern_message_get_body_state (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 0);
  return self->body_state;
}

gboolean
tern_message_get_unread (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), FALSE);
  return (self->flags & TERN_FLAG_SEEN) == 0;
}

gboolean
tern_message_get_flagged (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), FALSE);
  return (self->flags & TERN_FLAG_FLAGGED) != 0;
}

guint
tern_message_get_thread_count (TernMessage *self)
{
  g_return_val_if_fail (TERN_IS_MESSAGE (self), 1);
  return self->thread_count;
}

void
tern_message_set_thread_count (TernMessage *self,
                               guint        count)
{
  g_return_if_fail (TERN_IS_MESSAGE (self));
  if (self->thread_count == count)
    return;
  self->thread_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THREAD_COUNT]);
}
