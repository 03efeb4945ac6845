/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-account"

#include <string.h>

#include "tern-account.h"

struct _TernAccount
{
  GObject       parent_instance;

  char         *id;
  char         *name;
  char         *display_name;
  char         *email;
  char         *color;

  TernProtocol  protocol;
  char         *host;
  guint16       port;
  TernSecurity  security;
  char         *username;
  char         *ca_file;
  char         *pinned_sha256;

  char         *smtp_host;
  guint16       smtp_port;
  TernSecurity  smtp_security;
  char         *smtp_username;

  gboolean      pop_keep;
  guint         pop_delete_after_days;
  gboolean      pop_delete_when_deleted;
};

G_DEFINE_FINAL_TYPE (TernAccount, tern_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_DISPLAY_NAME,
  PROP_EMAIL,
  PROP_COLOR,
  PROP_PROTOCOL,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_USERNAME,
  PROP_CA_FILE,
  PROP_PINNED_SHA256,
  PROP_SMTP_HOST,
  PROP_SMTP_PORT,
  PROP_SMTP_SECURITY,
  PROP_SMTP_USERNAME,
  PROP_POP_KEEP,
  PROP_POP_DELETE_AFTER_DAYS,
  PROP_POP_DELETE_WHEN_DELETED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The GNOME palette; an account without a chosen colour gets one from its id. */
static const char * const palette[] = {
  "#3584e4", "#33d17a", "#f6d32d", "#ff7800", "#e01b24", "#9141ac", "#986a44", "#2190a4",
};

G_DEFINE_QUARK (tern-account-error-quark, tern_account_error)

const char *
tern_protocol_to_string (TernProtocol protocol)
{
  switch (protocol)
    {
    case TERN_PROTOCOL_IMAP:
      return "imap";
    case TERN_PROTOCOL_POP3:
      return "pop3";
    default:
      g_return_val_if_reached ("imap");
    }
}

gboolean
tern_protocol_from_string (const char   *str,
                           TernProtocol *protocol)
{
  if (g_strcmp0 (str, "imap") == 0)
    *protocol = TERN_PROTOCOL_IMAP;
  else if (g_strcmp0 (str, "pop3") == 0 || g_strcmp0 (str, "pop") == 0)
    *protocol = TERN_PROTOCOL_POP3;
  else
    return FALSE;
  return TRUE;
}

const char *
tern_security_to_string (TernSecurity security)
{
  switch (security)
    {
    case TERN_SECURITY_TLS:
      return "tls";
    case TERN_SECURITY_STARTTLS:
      return "starttls";
    case TERN_SECURITY_NONE:
      return "none";
    default:
      g_return_val_if_reached ("tls");
    }
}

gboolean
tern_security_from_string (const char   *str,
                           TernSecurity *security)
{
  if (g_strcmp0 (str, "tls") == 0 || g_strcmp0 (str, "ssl") == 0)
    *security = TERN_SECURITY_TLS;
  else if (g_strcmp0 (str, "starttls") == 0)
    *security = TERN_SECURITY_STARTTLS;
  else if (g_strcmp0 (str, "none") == 0)
    *security = TERN_SECURITY_NONE;
  else
    return FALSE;
  return TRUE;
}

guint16
tern_security_default_port (TernProtocol protocol,
                            TernSecurity security)
{
  if (protocol == TERN_PROTOCOL_POP3)
    return security == TERN_SECURITY_TLS ? 995 : 110;
  return security == TERN_SECURITY_TLS ? 993 : 143;
}

guint16
tern_security_default_smtp_port (TernSecurity security)
{
  switch (security)
    {
    case TERN_SECURITY_TLS:
      return 465;
    case TERN_SECURITY_STARTTLS:
      return 587;
    case TERN_SECURITY_NONE:
      return 25;
    default:
      g_return_val_if_reached (465);
    }
}

char *
tern_account_generate_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *id = g_string_sized_new (32);

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (id, *p);
  return g_string_free (id, FALSE);
}

static gboolean
is_valid_id (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > 64)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static void
tern_account_finalize (GObject *object)
{
  TernAccount *self = (TernAccount *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->email, g_free);
  g_clear_pointer (&self->color, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->pinned_sha256, g_free);
  g_clear_pointer (&self->smtp_host, g_free);
  g_clear_pointer (&self->smtp_username, g_free);

  G_OBJECT_CLASS (tern_account_parent_class)->finalize (object);
}

static void
tern_account_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TernAccount *self = TERN_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;
    case PROP_COLOR:
      g_value_set_string (value, tern_account_get_color (self));
      break;
    case PROP_PROTOCOL:
      g_value_set_int (value, self->protocol);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_SECURITY:
      g_value_set_int (value, self->security);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_PINNED_SHA256:
      g_value_set_string (value, self->pinned_sha256);
      break;
    case PROP_SMTP_HOST:
      g_value_set_string (value, self->smtp_host);
      break;
    case PROP_SMTP_PORT:
      g_value_set_uint (value, self->smtp_port);
      break;
    case PROP_SMTP_SECURITY:
      g_value_set_int (value, self->smtp_security);
      break;
    case PROP_SMTP_USERNAME:
      g_value_set_string (value, tern_account_get_smtp_username (self));
      break;
    case PROP_POP_KEEP:
      g_value_set_boolean (value, self->pop_keep);
      break;
    case PROP_POP_DELETE_AFTER_DAYS:
      g_value_set_uint (value, self->pop_delete_after_days);
      break;
    case PROP_POP_DELETE_WHEN_DELETED:
      g_value_set_boolean (value, self->pop_delete_when_deleted);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_account_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TernAccount *self = TERN_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_NAME:
      tern_account_set_name (self, g_value_get_string (value));
      break;
    case PROP_DISPLAY_NAME:
      tern_account_set_display_name (self, g_value_get_string (value));
      break;
    case PROP_EMAIL:
      tern_account_set_email (self, g_value_get_string (value));
      break;
    case PROP_COLOR:
      tern_account_set_color (self, g_value_get_string (value));
      break;
    case PROP_PROTOCOL:
      tern_account_set_protocol (self, g_value_get_int (value));
      break;
    case PROP_HOST:
      tern_account_set_host (self, g_value_get_string (value));
      break;
    case PROP_PORT:
      tern_account_set_port (self, g_value_get_uint (value));
      break;
    case PROP_SECURITY:
      tern_account_set_security (self, g_value_get_int (value));
      break;
    case PROP_USERNAME:
      tern_account_set_username (self, g_value_get_string (value));
      break;
    case PROP_CA_FILE:
      tern_account_set_ca_file (self, g_value_get_string (value));
      break;
    case PROP_PINNED_SHA256:
      tern_account_set_pinned_sha256 (self, g_value_get_string (value));
      break;
    case PROP_SMTP_HOST:
      tern_account_set_smtp_host (self, g_value_get_string (value));
      break;
    case PROP_SMTP_PORT:
      tern_account_set_smtp_port (self, g_value_get_uint (value));
      break;
    case PROP_SMTP_SECURITY:
      tern_account_set_smtp_security (self, g_value_get_int (value));
      break;
    case PROP_SMTP_USERNAME:
      tern_account_set_smtp_username (self, g_value_get_string (value));
      break;
    case PROP_POP_KEEP:
      tern_account_set_pop_keep (self, g_value_get_boolean (value));
      break;
    case PROP_POP_DELETE_AFTER_DAYS:
      tern_account_set_pop_delete_after_days (self, g_value_get_uint (value));
      break;
    case PROP_POP_DELETE_WHEN_DELETED:
      tern_account_set_pop_delete_when_deleted (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_param (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
tern_account_class_init (TernAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tern_account_finalize;
  object_class->get_property = tern_account_get_property;
  object_class->set_property = tern_account_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = string_param ("name");
  properties[PROP_DISPLAY_NAME] = string_param ("display-name");
  properties[PROP_EMAIL] = string_param ("email");
  properties[PROP_COLOR] = string_param ("color");
  properties[PROP_PROTOCOL] =
    g_param_spec_int ("protocol", NULL, NULL,
                      TERN_PROTOCOL_IMAP, TERN_PROTOCOL_POP3, TERN_PROTOCOL_IMAP, flags);
  properties[PROP_HOST] = string_param ("host");
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 993, flags);
  properties[PROP_SECURITY] =
    g_param_spec_int ("security", NULL, NULL,
                      TERN_SECURITY_TLS, TERN_SECURITY_NONE, TERN_SECURITY_TLS, flags);
  properties[PROP_USERNAME] = string_param ("username");
  properties[PROP_CA_FILE] = string_param ("ca-file");
  properties[PROP_PINNED_SHA256] = string_param ("pinned-sha256");
  properties[PROP_SMTP_HOST] = string_param ("smtp-host");
  properties[PROP_SMTP_PORT] = g_param_spec_uint ("smtp-port", NULL, NULL, 0, G_MAXUINT16, 465, flags);
  properties[PROP_SMTP_SECURITY] =
    g_param_spec_int ("smtp-security", NULL, NULL,
                      TERN_SECURITY_TLS, TERN_SECURITY_NONE, TERN_SECURITY_TLS, flags);
  properties[PROP_SMTP_USERNAME] = string_param ("smtp-username");
  properties[PROP_POP_KEEP] = g_param_spec_boolean ("pop-keep", NULL, NULL, TRUE, flags);
  properties[PROP_POP_DELETE_AFTER_DAYS] =
    g_param_spec_uint ("pop-delete-after-days", NULL, NULL, 0, 36500, 14, flags);
  properties[PROP_POP_DELETE_WHEN_DELETED] =
    g_param_spec_boolean ("pop-delete-when-deleted", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tern_account_init (TernAccount *self)
{
  self->protocol = TERN_PROTOCOL_IMAP;
  self->port = 993;
  self->security = TERN_SECURITY_TLS;
  self->smtp_port = 465;
  self->smtp_security = TERN_SECURITY_TLS;
  self->pop_keep = TRUE;
  self->pop_delete_after_days = 14;
  self->pop_delete_when_deleted = FALSE;
}

/**
 * tern_account_new:
 * @id: (nullable): the account's id, or %NULL to make a new one
 */
TernAccount *
tern_account_new (const char *id)
{
  g_autofree char *generated = NULL;

  if (id == NULL)
    id = generated = tern_account_generate_id ();
  g_return_val_if_fail (is_valid_id (id), NULL);

  return g_object_new (TERN_TYPE_ACCOUNT, "id", id, NULL);
}

/* Setters: each stores, and notifies only on a real change. */
static void
set_string (TernAccount  *self,
            char        **field,
            const char   *value,
            guint         prop)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_uint (TernAccount *self,
          guint       *field,
          guint        value,
          guint        prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_port (TernAccount *self,
          guint16     *field,
          guint16      value,
          guint        prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_boolean (TernAccount *self,
             gboolean    *field,
             gboolean     value,
             guint        prop)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

const char *
tern_account_get_id (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->id;
}

const char *
tern_account_get_name (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->name;
}

void
tern_account_set_name (TernAccount *self,
                       const char  *name)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->name, name, PROP_NAME);
}

const char *
tern_account_get_display_name (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->display_name;
}

void
tern_account_set_display_name (TernAccount *self,
                               const char  *display_name)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->display_name, display_name, PROP_DISPLAY_NAME);
}

const char *
tern_account_get_email (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->email;
}

void
tern_account_set_email (TernAccount *self,
                        const char  *email)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->email, email, PROP_EMAIL);
}

const char *
tern_account_get_color (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  if (self->color != NULL)
    return self->color;
  return palette[g_str_hash (self->id) % G_N_ELEMENTS (palette)];
}

void
tern_account_set_color (TernAccount *self,
                        const char  *color)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->color, color, PROP_COLOR);
}

TernProtocol
tern_account_get_protocol (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), TERN_PROTOCOL_IMAP);
  return self->protocol;
}

void
tern_account_set_protocol (TernAccount  *self,
                           TernProtocol  protocol)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  if (self->protocol == protocol)
    return;
  self->protocol = protocol;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROTOCOL]);
}

const char *
tern_account_get_host (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->host;
}

void
tern_account_set_host (TernAccount *self,
                       const char  *host)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->host, host, PROP_HOST);
}

guint16
tern_account_get_port (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), 0);
  return self->port;
}

void
tern_account_set_port (TernAccount *self,
                       guint16      port)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_port (self, &self->port, port, PROP_PORT);
}

TernSecurity
tern_account_get_security (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), TERN_SECURITY_TLS);
  return self->security;
}

void
tern_account_set_security (TernAccount  *self,
                           TernSecurity  security)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  if (self->security == security)
    return;
  self->security = security;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECURITY]);
}

const char *
tern_account_get_username (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->username;
}

void
tern_account_set_username (TernAccount *self,
                           const char  *username)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->username, username, PROP_USERNAME);
}

const char *
tern_account_get_ca_file (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->ca_file;
}

void
tern_account_set_ca_file (TernAccount *self,
                          const char  *ca_file)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->ca_file, ca_file, PROP_CA_FILE);
}

const char *
tern_account_get_pinned_sha256 (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->pinned_sha256;
}

/* Accepts "AB:CD:…" or "abcd…"; stores 64 lower-case hex digits. Anything
 * else is kept as given so that validation can reject it with a reason. */
void
tern_account_set_pinned_sha256 (TernAccount *self,
                                const char  *pinned_sha256)
{
  g_autoptr(GString) normal = NULL;

  g_return_if_fail (TERN_IS_ACCOUNT (self));

  if (pinned_sha256 != NULL)
    {
      normal = g_string_new (NULL);
      for (const char *p = pinned_sha256; *p != '\0'; p++)
        if (*p != ':')
          g_string_append_c (normal, g_ascii_tolower (*p));
    }
  set_string (self, &self->pinned_sha256, normal ? normal->str : NULL, PROP_PINNED_SHA256);
}

const char *
tern_account_get_smtp_host (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->smtp_host;
}

void
tern_account_set_smtp_host (TernAccount *self,
                            const char  *host)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->smtp_host, host, PROP_SMTP_HOST);
}

guint16
tern_account_get_smtp_port (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), 0);
  return self->smtp_port;
}

void
tern_account_set_smtp_port (TernAccount *self,
                            guint16      port)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_port (self, &self->smtp_port, port, PROP_SMTP_PORT);
}

TernSecurity
tern_account_get_smtp_security (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), TERN_SECURITY_TLS);
  return self->smtp_security;
}

void
tern_account_set_smtp_security (TernAccount  *self,
                                TernSecurity  security)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  if (self->smtp_security == security)
    return;
  self->smtp_security = security;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMTP_SECURITY]);
}

/* The SMTP user name defaults to the incoming one. */
const char *
tern_account_get_smtp_username (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);
  return self->smtp_username ? self->smtp_username : self->username;
}

void
tern_account_set_smtp_username (TernAccount *self,
                                const char  *username)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_string (self, &self->smtp_username, username, PROP_SMTP_USERNAME);
}

gboolean
tern_account_get_pop_keep (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), TRUE);
  return self->pop_keep;
}

void
tern_account_set_pop_keep (TernAccount *self,
                           gboolean     keep)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_boolean (self, &self->pop_keep, keep, PROP_POP_KEEP);
}

guint
tern_account_get_pop_delete_after_days (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), 0);
  return self->pop_delete_after_days;
}

void
tern_account_set_pop_delete_after_days (TernAccount *self,
                                        guint        days)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_uint (self, &self->pop_delete_after_days, days, PROP_POP_DELETE_AFTER_DAYS);
}

gboolean
tern_account_get_pop_delete_when_deleted (TernAccount *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), FALSE);
  return self->pop_delete_when_deleted;
}

void
tern_account_set_pop_delete_when_deleted (TernAccount *self,
                                          gboolean     value)
{
  g_return_if_fail (TERN_IS_ACCOUNT (self));
  set_boolean (self, &self->pop_delete_when_deleted, value, PROP_POP_DELETE_WHEN_DELETED);
}

/* Validation: each failure says what is wrong and how to fix it. */

static gboolean
is_valid_host (const char *host)
{
  gsize len;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  if (len == 0 || len > 253)
    return FALSE;
  if (g_hostname_is_ip_address (host))
    return TRUE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && (guchar) *p < 0x80)
      return FALSE;
  return host[0] != '.' && host[0] != '-';
}

static gboolean
is_valid_email (const char *email)
{
  const char *at;

  if (email == NULL)
    return FALSE;
  at = strrchr (email, '@');
  if (at == NULL || at == email || at[1] == '\0')
    return FALSE;
  for (const char *p = email; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';')
      return FALSE;
  return is_valid_host (at + 1);
}

static gboolean
has_control_chars (const char *s)
{
  if (s == NULL)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

gboolean
tern_account_validate (TernAccount  *self,
                       GError      **error)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (self), FALSE);

  if (self->name == NULL || has_control_chars (self->name))
    return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                "The account needs a name"), FALSE;
  if (!g_utf8_validate (self->name, -1, NULL) ||
      (self->display_name != NULL && !g_utf8_validate (self->display_name, -1, NULL)))
    return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                "The account name is not valid UTF-8"), FALSE;
  if (has_control_chars (self->display_name))
    return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                "The sender name may not contain control characters"), FALSE;
  if (!is_valid_email (self->email))
    return g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                        "“%s” is not an email address; it should look like name@example.com",
                        self->email ? self->email : ""), FALSE;
  if (!is_valid_host (self->host))
    return g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                        "“%s” is not a valid server name for incoming mail",
                        self->host ? self->host : ""), FALSE;
  if (self->port == 0)
    return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                "The incoming server port must be between 1 and 65535"), FALSE;
  if (self->username == NULL || has_control_chars (self->username))
    return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                "The account needs a user name for the incoming server"), FALSE;
  if (self->ca_file != NULL && !g_path_is_absolute (self->ca_file))
    return g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                        "The CA file “%s” must be given as an absolute path", self->ca_file), FALSE;
  if (self->pinned_sha256 != NULL)
    {
      gboolean ok = strlen (self->pinned_sha256) == 64;

      for (const char *p = self->pinned_sha256; ok && *p != '\0'; p++)
        ok = g_ascii_isxdigit (*p);
      if (!ok)
        return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                    "A pinned certificate must be a SHA-256 fingerprint: 64 hexadecimal digits"), FALSE;
    }
  if (self->smtp_host != NULL)
    {
      if (!is_valid_host (self->smtp_host))
        return g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                            "“%s” is not a valid server name for outgoing mail", self->smtp_host), FALSE;
      if (self->smtp_port == 0)
        return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                    "The outgoing server port must be between 1 and 65535"), FALSE;
      if (has_control_chars (self->smtp_username))
        return g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                                    "The outgoing user name may not contain control characters"), FALSE;
    }
  return TRUE;
}

/* Key file form. No secret is ever part of it. */

#define GROUP_ACCOUNT  "Account"
#define GROUP_INCOMING "Incoming"
#define GROUP_OUTGOING "Outgoing"
#define GROUP_POP3     "POP3"

static void
set_key_string (GKeyFile   *key_file,
                const char *group,
                const char *key,
                const char *value)
{
  if (value != NULL)
    g_key_file_set_string (key_file, group, key, value);
}

GKeyFile *
tern_account_to_key_file (TernAccount *self)
{
  GKeyFile *key_file;

  g_return_val_if_fail (TERN_IS_ACCOUNT (self), NULL);

  key_file = g_key_file_new ();
  set_key_string (key_file, GROUP_ACCOUNT, "Name", self->name);
  set_key_string (key_file, GROUP_ACCOUNT, "DisplayName", self->display_name);
  set_key_string (key_file, GROUP_ACCOUNT, "Email", self->email);
  set_key_string (key_file, GROUP_ACCOUNT, "Color", self->color);

  g_key_file_set_string (key_file, GROUP_INCOMING, "Protocol", tern_protocol_to_string (self->protocol));
  set_key_string (key_file, GROUP_INCOMING, "Host", self->host);
  g_key_file_set_integer (key_file, GROUP_INCOMING, "Port", self->port);
  g_key_file_set_string (key_file, GROUP_INCOMING, "Security", tern_security_to_string (self->security));
  set_key_string (key_file, GROUP_INCOMING, "Username", self->username);
  set_key_string (key_file, GROUP_INCOMING, "CAFile", self->ca_file);
  set_key_string (key_file, GROUP_INCOMING, "PinnedSHA256", self->pinned_sha256);

  if (self->smtp_host != NULL)
    {
      set_key_string (key_file, GROUP_OUTGOING, "Host", self->smtp_host);
      g_key_file_set_integer (key_file, GROUP_OUTGOING, "Port", self->smtp_port);
      g_key_file_set_string (key_file, GROUP_OUTGOING, "Security", tern_security_to_string (self->smtp_security));
      set_key_string (key_file, GROUP_OUTGOING, "Username", self->smtp_username);
    }

  if (self->protocol == TERN_PROTOCOL_POP3)
    {
      g_key_file_set_boolean (key_file, GROUP_POP3, "KeepOnServer", self->pop_keep);
      g_key_file_set_integer (key_file, GROUP_POP3, "DeleteAfterDays", self->pop_delete_after_days);
      g_key_file_set_boolean (key_file, GROUP_POP3, "DeleteWhenDeleted", self->pop_delete_when_deleted);
    }

  return key_file;
}

static gboolean
read_port (GKeyFile    *key_file,
           const char  *group,
           guint16     *port,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  int value = g_key_file_get_integer (key_file, group, "Port", &local_error);

  if (local_error != NULL)
    {
      if (g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
          g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
        return TRUE;
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                   "[%s] Port: %s", group, local_error->message);
      return FALSE;
    }
  if (value <= 0 || value > G_MAXUINT16)
    {
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                   "[%s] Port %d is out of range", group, value);
      return FALSE;
    }
  *port = value;
  return TRUE;
}

static gboolean
read_security (GKeyFile      *key_file,
               const char    *group,
               TernSecurity  *security,
               GError       **error)
{
  g_autofree char *value = g_key_file_get_string (key_file, group, "Security", NULL);

  if (value == NULL)
    return TRUE;
  if (!tern_security_from_string (value, security))
    {
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                   "[%s] Security “%s” is not one of tls, starttls, none", group, value);
      return FALSE;
    }
  return TRUE;
}

TernAccount *
tern_account_new_from_key_file (const char  *id,
                                GKeyFile    *key_file,
                                GError     **error)
{
  g_autoptr(TernAccount) self = NULL;
  g_autofree char *protocol = NULL;

  g_return_val_if_fail (key_file != NULL, NULL);

  if (!is_valid_id (id))
    {
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                   "“%s” is not a valid account id", id ? id : "");
      return NULL;
    }

  self = tern_account_new (id);

  g_object_freeze_notify (G_OBJECT (self));
  self->name = g_key_file_get_string (key_file, GROUP_ACCOUNT, "Name", NULL);
  self->display_name = g_key_file_get_string (key_file, GROUP_ACCOUNT, "DisplayName", NULL);
  self->email = g_key_file_get_string (key_file, GROUP_ACCOUNT, "Email", NULL);
  self->color = g_key_file_get_string (key_file, GROUP_ACCOUNT, "Color", NULL);

  protocol = g_key_file_get_string (key_file, GROUP_INCOMING, "Protocol", NULL);
  if (protocol != NULL && !tern_protocol_from_string (protocol, &self->protocol))
    {
      g_set_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID,
                   "[Incoming] Protocol “%s” is not imap or pop3", protocol);
      return NULL;
    }
  self->host = g_key_file_get_string (key_file, GROUP_INCOMING, "Host", NULL);
  self->security = TERN_SECURITY_TLS;
  if (!read_security (key_file, GROUP_INCOMING, &self->security, error))
    return NULL;
  self->port = tern_security_default_port (self->protocol, self->security);
  if (!read_port (key_file, GROUP_INCOMING, &self->port, error))
    return NULL;
  self->username = g_key_file_get_string (key_file, GROUP_INCOMING, "Username", NULL);
  self->ca_file = g_key_file_get_string (key_file, GROUP_INCOMING, "CAFile", NULL);
  self->pinned_sha256 = g_key_file_get_string (key_file, GROUP_INCOMING, "PinnedSHA256", NULL);

  self->smtp_host = g_key_file_get_string (key_file, GROUP_OUTGOING, "Host", NULL);
  if (!read_security (key_file, GROUP_OUTGOING, &self->smtp_security, error))
    return NULL;
  self->smtp_port = tern_security_default_smtp_port (self->smtp_security);
  if (!read_port (key_file, GROUP_OUTGOING, &self->smtp_port, error))
    return NULL;
  self->smtp_username = g_key_file_get_string (key_file, GROUP_OUTGOING, "Username", NULL);

  if (g_key_file_has_key (key_file, GROUP_POP3, "KeepOnServer", NULL))
    self->pop_keep = g_key_file_get_boolean (key_file, GROUP_POP3, "KeepOnServer", NULL);
  if (g_key_file_has_key (key_file, GROUP_POP3, "DeleteAfterDays", NULL))
    self->pop_delete_after_days = CLAMP (g_key_file_get_integer (key_file, GROUP_POP3, "DeleteAfterDays", NULL), 0, 36500);
  if (g_key_file_has_key (key_file, GROUP_POP3, "DeleteWhenDeleted", NULL))
    self->pop_delete_when_deleted = g_key_file_get_boolean (key_file, GROUP_POP3, "DeleteWhenDeleted", NULL);
  g_object_thaw_notify (G_OBJECT (self));

  if (!tern_account_validate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}
