/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where Tern keeps its files. By default the XDG locations
 * ($XDG_CONFIG_HOME/tern and $XDG_DATA_HOME/tern); a data directory given
 * with --data-dir or $TERN_DATA_DIR holds both (config/ and data/ inside it),
 * so the app and tern-cli pointed at one directory share everything. */
void         tern_paths_set_data_dir   (const char *dir);
const char  *tern_paths_get_config_dir (void);
const char  *tern_paths_get_data_dir   (void);
char        *tern_paths_get_accounts_dir (void);

G_END_DECLS
