/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tern-store.h"

G_BEGIN_DECLS

/* For tests: bring a database to schema version @target (0 < target <=
 * latest) with the bundled migrations, as an older Tern would have left it. */
gboolean tern_store_migrate (sqlite3  *db,
                             int       target,
                             GError  **error);

/* The file name of a message body, relative to the data dir. */
char    *tern_store_body_file_name (gint64 message_id);

G_END_DECLS
