/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tern-engine.h"

G_BEGIN_DECLS

#define TERN_TYPE_WINDOW (tern_window_get_type ())
G_DECLARE_FINAL_TYPE (TernWindow, tern_window, TERN, WINDOW, AdwApplicationWindow)

TernWindow         *tern_window_new                 (GtkApplication     *application,
                                                     TernAccountManager *account_manager);
TernAccountManager *tern_window_get_account_manager (TernWindow         *self);
void                tern_window_add_toast           (TernWindow         *self,
                                                     AdwToast           *toast);

G_END_DECLS
