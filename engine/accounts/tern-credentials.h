/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-account.h"

G_BEGIN_DECLS

/* Passwords live only in the Secret Service (libsecret), stored under the
 * schema "io.github.ternmail.Tern.Password" with the attributes
 * account (id), protocol (imap, pop3 or smtp), server and user. */
typedef enum
{
  TERN_CREDENTIAL_INCOMING,  /* the IMAP or POP3 server */
  TERN_CREDENTIAL_OUTGOING,  /* the SMTP submission server */
} TernCredentialKind;

void      tern_credentials_store_async   (TernAccount         *account,
                                          TernCredentialKind   kind,
                                          const char          *password,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  tern_credentials_store_finish  (GAsyncResult        *result,
                                          GError             **error);
void      tern_credentials_lookup_async  (TernAccount         *account,
                                          TernCredentialKind   kind,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* Returns NULL without an error when no password is stored. Free with
 * tern_credentials_free_password(), which wipes it. */
char     *tern_credentials_lookup_finish (GAsyncResult        *result,
                                          GError             **error);
void      tern_credentials_clear_async   (TernAccount         *account,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  tern_credentials_clear_finish  (GAsyncResult        *result,
                                          GError             **error);

/* Blocking variants for tern-cli and tests; never call them on the UI thread. */
gboolean  tern_credentials_store_sync    (TernAccount         *account,
                                          TernCredentialKind   kind,
                                          const char          *password,
                                          GCancellable        *cancellable,
                                          GError             **error);
char     *tern_credentials_lookup_sync   (TernAccount         *account,
                                          TernCredentialKind   kind,
                                          GCancellable        *cancellable,
                                          GError             **error);
gboolean  tern_credentials_clear_sync    (TernAccount         *account,
                                          GCancellable        *cancellable,
                                          GError             **error);
void      tern_credentials_free_password (char                *password);

G_END_DECLS
