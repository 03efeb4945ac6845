/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tern-engine.h"

G_BEGIN_DECLS

#define TERN_TYPE_ACCOUNT_ROW (tern_account_row_get_type ())
G_DECLARE_FINAL_TYPE (TernAccountRow, tern_account_row, TERN, ACCOUNT_ROW, GtkListBoxRow)

GtkWidget   *tern_account_row_new         (TernAccount    *account);
TernAccount *tern_account_row_get_account (TernAccountRow *self);

G_END_DECLS
