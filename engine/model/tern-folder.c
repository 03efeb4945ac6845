/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-folder"

#include "tern-folder.h"

struct _TernFolder
{
  GObject         parent_instance;

  TernFolderKind  kind;
  gint64          folder_id;
  char           *account_id;
  char           *name;
  char           *path;
  char           *role;
  guint           unread;
  guint           total;
  GListStore     *children;
};

G_DEFINE_FINAL_TYPE (TernFolder, tern_folder, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_NAME,
  PROP_ROLE,
  PROP_ICON_NAME,
  PROP_UNREAD,
  PROP_TOTAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tern_folder_finalize (GObject *object)
{
  TernFolder *self = (TernFolder *)object;

  g_free (self->account_id);
  g_free (self->name);
  g_free (self->path);
  g_free (self->role);
  g_clear_object (&self->children);

  G_OBJECT_CLASS (tern_folder_parent_class)->finalize (object);
}

static void
tern_folder_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TernFolder *self = TERN_FOLDER (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    case PROP_ICON_NAME:
      g_value_set_string (value, tern_folder_get_icon_name (self));
      break;
    case PROP_UNREAD:
      g_value_set_uint (value, self->unread);
      break;
    case PROP_TOTAL:
      g_value_set_uint (value, self->total);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_folder_class_init (TernFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tern_folder_finalize;
  object_class->get_property = tern_folder_get_property;

  properties[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, 0, TERN_FOLDER_KIND_FOLDER, 0, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  properties[PROP_ICON_NAME] = g_param_spec_string ("icon-name", NULL, NULL, NULL, flags);
  properties[PROP_UNREAD] = g_param_spec_uint ("unread", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_TOTAL] = g_param_spec_uint ("total", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tern_folder_init (TernFolder *self)
{
}

TernFolder *
tern_folder_new (TernFolderKind  kind,
                 gint64          folder_id,
                 const char     *account_id,
                 const char     *name)
{
  TernFolder *self = g_object_new (TERN_TYPE_FOLDER, NULL);

  self->kind = kind;
  self->folder_id = folder_id;
  self->account_id = g_strdup (account_id);
  self->name = g_strdup (name);
  return self;
}

TernFolderKind
tern_folder_get_kind (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), TERN_FOLDER_KIND_FOLDER);
  return self->kind;
}

gint64
tern_folder_get_folder_id (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), 0);
  return self->folder_id;
}

const char *
tern_folder_get_account_id (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), NULL);
  return self->account_id;
}

const char *
tern_folder_get_name (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), NULL);
  return self->name;
}

static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

void
tern_folder_set_name (TernFolder *self,
                      const char *name)
{
  g_return_if_fail (TERN_IS_FOLDER (self));
  if (replace_string (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

const char *
tern_folder_get_path (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), NULL);
  return self->path;
}

void
tern_folder_set_path (TernFolder *self,
                      const char *path)
{
  g_return_if_fail (TERN_IS_FOLDER (self));
  replace_string (&self->path, path);
}

const char *
tern_folder_get_role (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), NULL);
  return self->role;
}

void
tern_folder_set_role (TernFolder *self,
                      const char *role)
{
  g_return_if_fail (TERN_IS_FOLDER (self));
  if (replace_string (&self->role, role))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
    }
}

const char *
tern_folder_get_icon_name (TernFolder *self)
{
  static const struct {
    const char *role;
    const char *icon;
  } roles[] = {
    { "inbox", "mail-inbox-symbolic" },
    { "sent", "mail-send-symbolic" },
    { "drafts", "document-edit-symbolic" },
    { "trash", "user-trash-symbolic" },
    { "junk", "mail-mark-junk-symbolic" },
    { "archive", "folder-documents-symbolic" },
  };

  g_return_val_if_fail (TERN_IS_FOLDER (self), NULL);

  switch (self->kind)
    {
    case TERN_FOLDER_KIND_ALL_INBOXES:
      return "mail-inbox-symbolic";
    case TERN_FOLDER_KIND_UNREAD:
      return "mail-unread-symbolic";
    case TERN_FOLDER_KIND_FLAGGED:
      return "starred-symbolic";
    case TERN_FOLDER_KIND_OUTBOX:
      return "mail-outbox-symbolic";
    case TERN_FOLDER_KIND_ACCOUNT:
      return "avatar-default-symbolic";
    case TERN_FOLDER_KIND_FOLDER:
    default:
      break;
    }
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    if (g_strcmp0 (self->role, roles[i].role) == 0)
      return roles[i].icon;
  return "folder-symbolic";
}

guint
tern_folder_get_unread (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), 0);
  return self->unread;
}

void
tern_folder_set_unread (TernFolder *self,
                        guint       unread)
{
  g_return_if_fail (TERN_IS_FOLDER (self));
  if (self->unread == unread)
    return;
  self->unread = unread;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
}

guint
tern_folder_get_total (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), 0);
  return self->total;
}

void
tern_folder_set_total (TernFolder *self,
                       guint       total)
{
  g_return_if_fail (TERN_IS_FOLDER (self));
  if (self->total == total)
    return;
  self->total = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

GListModel *
tern_folder_get_children (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), NULL);
  /* An account is always expandable: its folders may arrive later. */
  if (self->kind == TERN_FOLDER_KIND_ACCOUNT)
    return G_LIST_MODEL (tern_folder_ensure_children (self));
  if (self->children == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->children)) == 0)
    return NULL;
  return G_LIST_MODEL (self->children);
}

GListStore *
tern_folder_ensure_children (TernFolder *self)
{
  g_return_val_if_fail (TERN_IS_FOLDER (self), NULL);
  if (self->children == NULL)
    self->children = g_list_store_new (TERN_TYPE_FOLDER);
  return self->children;
}

void
tern_folder_clear_children (TernFolder *self)
{
  g_return_if_fail (TERN_IS_FOLDER (self));
  if (self->children != NULL)
    g_list_store_remove_all (self->children);
}
