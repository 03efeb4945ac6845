/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The system's trusted authorities plus an account's own CA file: a chain
 * is trusted if either database verifies it (server name, dates and all).
 * Nothing here turns a check off. */
#define TERN_TYPE_TLS_DATABASE (tern_tls_database_get_type ())
G_DECLARE_FINAL_TYPE (TernTlsDatabase, tern_tls_database, TERN, TLS_DATABASE, GTlsDatabase)

/* SYSTEM may be %NULL (then only CA_FILE is trusted); fails with
 * %TERN_NET_ERROR_INVALID if CA_FILE cannot be read. */
GTlsDatabase *tern_tls_database_new (GTlsDatabase  *system,
                                     const char    *ca_file,
                                     GError       **error);

G_END_DECLS
