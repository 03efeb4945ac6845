/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TERN_ACCOUNT_ERROR (tern_account_error_quark ())

typedef enum
{
  TERN_ACCOUNT_ERROR_INVALID,      /* a setting is missing or malformed */
  TERN_ACCOUNT_ERROR_NOT_FOUND,    /* no account by that name or id */
  TERN_ACCOUNT_ERROR_EXISTS,       /* an account by that name exists */
  TERN_ACCOUNT_ERROR_IO,           /* the config file could not be read or written */
  TERN_ACCOUNT_ERROR_KEYRING,      /* the Secret Service refused or is missing */
} TernAccountError;

typedef enum
{
  TERN_PROTOCOL_IMAP,
  TERN_PROTOCOL_POP3,
} TernProtocol;

typedef enum
{
  TERN_SECURITY_TLS,       /* implicit TLS (993, 995, 465) */
  TERN_SECURITY_STARTTLS,  /* upgrade on the plain port; failure is fatal */
  TERN_SECURITY_NONE,      /* plaintext, only when a person chose it */
} TernSecurity;

GQuark        tern_account_error_quark      (void);

const char   *tern_protocol_to_string       (TernProtocol  protocol);
gboolean      tern_protocol_from_string     (const char   *str,
                                             TernProtocol *protocol);
const char   *tern_security_to_string       (TernSecurity  security);
gboolean      tern_security_from_string     (const char   *str,
                                             TernSecurity *security);
guint16       tern_security_default_port    (TernProtocol  protocol,
                                             TernSecurity  security);
guint16       tern_security_default_smtp_port (TernSecurity security);

#define TERN_TYPE_ACCOUNT (tern_account_get_type ())
G_DECLARE_FINAL_TYPE (TernAccount, tern_account, TERN, ACCOUNT, GObject)

TernAccount  *tern_account_new              (const char   *id);
TernAccount  *tern_account_new_from_key_file (const char  *id,
                                             GKeyFile     *key_file,
                                             GError      **error);
GKeyFile     *tern_account_to_key_file      (TernAccount  *self);
gboolean      tern_account_validate         (TernAccount  *self,
                                             GError      **error);
char         *tern_account_generate_id      (void);

const char   *tern_account_get_id           (TernAccount  *self);
const char   *tern_account_get_name         (TernAccount  *self);
void          tern_account_set_name         (TernAccount  *self,
                                             const char   *name);
const char   *tern_account_get_display_name (TernAccount  *self);
void          tern_account_set_display_name (TernAccount  *self,
                                             const char   *display_name);
const char   *tern_account_get_email        (TernAccount  *self);
void          tern_account_set_email        (TernAccount  *self,
                                             const char   *email);
const char   *tern_account_get_color        (TernAccount  *self);
void          tern_account_set_color        (TernAccount  *self,
                                             const char   *color);
TernProtocol  tern_account_get_protocol     (TernAccount  *self);
void          tern_account_set_protocol     (TernAccount  *self,
                                             TernProtocol  protocol);
const char   *tern_account_get_host         (TernAccount  *self);
void          tern_account_set_host         (TernAccount  *self,
                                             const char   *host);
guint16       tern_account_get_port         (TernAccount  *self);
void          tern_account_set_port         (TernAccount  *self,
                                             guint16       port);
TernSecurity  tern_account_get_security     (TernAccount  *self);
void          tern_account_set_security     (TernAccount  *self,
                                             TernSecurity  security);
const char   *tern_account_get_username     (TernAccount  *self);
void          tern_account_set_username     (TernAccount  *self,
                                             const char   *username);
const char   *tern_account_get_ca_file      (TernAccount  *self);
void          tern_account_set_ca_file      (TernAccount  *self,
                                             const char   *ca_file);
const char   *tern_account_get_pinned_sha256 (TernAccount *self);
void          tern_account_set_pinned_sha256 (TernAccount *self,
                                             const char   *pinned_sha256);
const char   *tern_account_get_smtp_host    (TernAccount  *self);
void          tern_account_set_smtp_host    (TernAccount  *self,
                                             const char   *host);
guint16       tern_account_get_smtp_port    (TernAccount  *self);
void          tern_account_set_smtp_port    (TernAccount  *self,
                                             guint16       port);
TernSecurity  tern_account_get_smtp_security (TernAccount *self);
void          tern_account_set_smtp_security (TernAccount *self,
                                             TernSecurity  security);
const char   *tern_account_get_smtp_username (TernAccount *self);
void          tern_account_set_smtp_username (TernAccount *self,
                                             const char   *username);
gboolean      tern_account_get_pop_keep     (TernAccount  *self);
void          tern_account_set_pop_keep     (TernAccount  *self,
                                             gboolean      keep);
guint         tern_account_get_pop_delete_after_days (TernAccount *self);
void          tern_account_set_pop_delete_after_days (TernAccount *self,
                                                      guint        days);
gboolean      tern_account_get_pop_delete_when_deleted (TernAccount *self);
void          tern_account_set_pop_delete_when_deleted (TernAccount *self,
                                                        gboolean     value);

G_END_DECLS
