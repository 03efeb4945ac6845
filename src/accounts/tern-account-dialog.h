/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tern-engine.h"

G_BEGIN_DECLS

#define TERN_TYPE_ACCOUNT_DIALOG (tern_account_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TernAccountDialog, tern_account_dialog, TERN, ACCOUNT_DIALOG, AdwWindow)

TernAccountDialog  *tern_account_dialog_new                 (GtkWindow          *parent,
                                                             TernAccountManager *account_manager);
TernAccountManager *tern_account_dialog_get_account_manager (TernAccountDialog  *self);

G_END_DECLS
