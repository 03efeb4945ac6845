/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdio.h>

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

/* The accounts and the store, opened by most commands. */
typedef struct
{
  TernStore          *store;
  TernAccountManager *accounts;
} TernCliContext;

/* Prints the error itself; FALSE on failure. */
gboolean    tern_cli_context_open            (TernCliContext  *ctx);
void        tern_cli_context_clear           (TernCliContext  *ctx);
/* An account given by name or id, or NULL for all; FALSE (printed) if not found. */
gboolean    tern_cli_context_resolve_account (TernCliContext  *ctx,
                                              const char      *name,
                                              const char     **account_id);
const char *tern_cli_context_account_name    (TernCliContext  *ctx,
                                              const char      *account_id);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TernCliContext, tern_cli_context_clear)

/* A worker for ACCOUNT; with DEBUG its protocol log goes to stderr. */
TernAccountWorker *tern_cli_new_worker       (TernStore       *store,
                                              TernAccount     *account,
                                              gboolean         debug);

int   tern_cli_flag           (int      argc,
                               char   **argv);
int   tern_cli_move           (int      argc,
                               char   **argv);
int   tern_cli_copy           (int      argc,
                               char   **argv);
int   tern_cli_delete         (int      argc,
                               char   **argv);
int   tern_cli_folder         (int      argc,
                               char   **argv);
int   tern_cli_quota          (int      argc,
                               char   **argv);
int   tern_cli_watch          (int      argc,
                               char   **argv);

/* One clear line on stderr. */
void  tern_cli_error          (const char *format,
                               ...) G_GNUC_PRINTF (1, 2);
void  tern_cli_warning        (const char *format,
                               ...) G_GNUC_PRINTF (1, 2);
char *tern_cli_read_password_stdin (GError **error);

G_END_DECLS
