/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tern-engine.h"

G_BEGIN_DECLS

#define TERN_TYPE_SIDEBAR (tern_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (TernSidebar, tern_sidebar, TERN, SIDEBAR, AdwBin)

GListModel *tern_sidebar_get_accounts (TernSidebar *self);
void        tern_sidebar_set_accounts (TernSidebar *self,
                                       GListModel  *accounts);

G_END_DECLS
