/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-account.h"

G_BEGIN_DECLS

/* The configured accounts, one GKeyFile per account under
 * <config dir>/accounts/<id>.ini, as a GListModel of TernAccount sorted by
 * name. It watches the folder, so an account added by tern-cli shows up in
 * a running app. No secret is ever written here: see TernCredentials. */
#define TERN_TYPE_ACCOUNT_MANAGER (tern_account_manager_get_type ())
G_DECLARE_FINAL_TYPE (TernAccountManager, tern_account_manager, TERN, ACCOUNT_MANAGER, GObject)

TernAccountManager *tern_account_manager_new    (const char          *accounts_dir);
gboolean            tern_account_manager_load   (TernAccountManager  *self,
                                                 GError             **error);
void                tern_account_manager_watch  (TernAccountManager  *self);
const char         *tern_account_manager_get_accounts_dir (TernAccountManager *self);
TernAccount        *tern_account_manager_lookup (TernAccountManager  *self,
                                                 const char          *name_or_id);
gboolean            tern_account_manager_add    (TernAccountManager  *self,
                                                 TernAccount         *account,
                                                 GError             **error);
gboolean            tern_account_manager_save   (TernAccountManager  *self,
                                                 TernAccount         *account,
                                                 GError             **error);
gboolean            tern_account_manager_remove (TernAccountManager  *self,
                                                 TernAccount         *account,
                                                 GError             **error);

G_END_DECLS
