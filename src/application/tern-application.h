/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tern-engine.h"

G_BEGIN_DECLS

#define TERN_TYPE_APPLICATION (tern_application_get_type ())
G_DECLARE_FINAL_TYPE (TernApplication, tern_application, TERN, APPLICATION, AdwApplication)

TernApplication    *tern_application_new                 (void);
TernAccountManager *tern_application_get_account_manager (TernApplication *self);

G_END_DECLS
