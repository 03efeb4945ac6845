/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tern-engine.h"

G_BEGIN_DECLS

/* Small blocking helpers over the store's async API, for tests. */
char            *tern_test_make_tmp_dir      (const char    *template);
void             tern_test_remove_tree       (const char    *path);
gint64           tern_test_ensure_folder     (TernStore     *store,
                                              const char    *account_id,
                                              const char    *path,
                                              const char    *role);
GArray          *tern_test_insert            (TernStore     *store,
                                              gint64         folder_id,
                                              GPtrArray     *infos);
gint64           tern_test_insert_one        (TernStore     *store,
                                              gint64         folder_id,
                                              TernMessageInfo *info);
gint64           tern_test_add_raw           (TernStore     *store,
                                              gint64         folder_id,
                                              const char    *raw,
                                              GError       **error);
void             tern_test_update_flags      (TernStore     *store,
                                              gint64         id,
                                              guint          add,
                                              guint          remove);
void             tern_test_delete            (TernStore     *store,
                                              gint64         id);
void             tern_test_move              (TernStore     *store,
                                              gint64         id,
                                              gint64         folder_id);
void             tern_test_flush             (TernStore     *store);
/* Runs the default main context until ::changed was delivered for what is
 * committed so far. */
void             tern_test_drain_changes     (TernStore     *store);
TernMessageInfo *tern_test_message_info      (const char    *message_id,
                                              const char    *subject,
                                              gint64         date);
gint64           tern_test_query_int         (TernStore     *store,
                                              const char    *sql);

G_END_DECLS
