/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tern-engine.h"

G_BEGIN_DECLS

/* Each command returns the process exit status: 0 done, 1 failed, 2 usage. */
#define TERN_CLI_EXIT_OK      0
#define TERN_CLI_EXIT_FAILED  1
#define TERN_CLI_EXIT_USAGE   2

int   tern_cli_account        (int      argc,
                               char   **argv);
int   tern_cli_folders        (int      argc,
                               char   **argv);
int   tern_cli_list           (int      argc,
                               char   **argv);
int   tern_cli_search         (int      argc,
                               char   **argv);
int   tern_cli_show           (int      argc,
                               char   **argv);
int   tern_cli_sync           (int      argc,
                               char   **argv);

/* One clear line on stderr. */
void  tern_cli_error          (const char *format,
                               ...) G_GNUC_PRINTF (1, 2);
void  tern_cli_warning        (const char *format,
                               ...) G_GNUC_PRINTF (1, 2);
char *tern_cli_read_password_stdin (GError **error);

G_END_DECLS
