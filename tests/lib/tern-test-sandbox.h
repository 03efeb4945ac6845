/* tern-test-sandbox.h: real mail servers and a keyring for integration tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *name;      /* login, e.g. "alice" */
  char *password;  /* e.g. "alice-password-1" */
  char *email;     /* e.g. "alice@example.test" */
} TernTestSandboxUser;

/* A running `tests/sandbox/tern-sandbox`; the fields mirror sandbox.json.
 * Every server listens on @host (127.0.0.1) and presents a certificate for
 * "localhost" and 127.0.0.1 signed by the CA in @ca_file. */
typedef struct
{
  char *dir;           /* the sandbox directory, removed by _stop() */
  char *json_path;     /* @dir/sandbox.json */
  char *ca_file;       /* PEM of the test CA */
  char *host;          /* "127.0.0.1" */
  guint16 imap_port;   /* IMAP, STARTTLS required before LOGIN */
  guint16 imaps_port;  /* IMAP over implicit TLS */
  guint16 pop3_port;   /* POP3, STLS required before USER/PASS */
  guint16 pop3s_port;  /* POP3 over implicit TLS */
  guint16 smtp_port;   /* submission, STARTTLS required before AUTH */
  guint16 smtps_port;  /* submission over implicit TLS */
  char *dbus_address;  /* the keyring's session bus, NULL with --no-keyring */
  char *smtp_spool;    /* where the SMTP server writes NNNNNN.eml/.json */
  char *dovecot_conf;  /* pass as doveadm -c */
  char *doveadm;       /* path of doveadm */
  TernTestSandboxUser *users;
  guint n_users;
} TernTestSandbox;

/* Runs `$TERN_SANDBOX start --dir <fresh temporary dir> --exit-with <our pid>
 * EXTRA_ARGS` and parses sandbox.json.  EXTRA_ARGS is split like a shell
 * would, e.g. "--messages 50 --no-keyring"; may be %NULL.
 *
 * If the sandbox has a keyring, this sets DBUS_SESSION_BUS_ADDRESS in the
 * process environment so that libsecret (and any session-bus user) talks to
 * the sandbox's private bus: call it before anything in the process touches
 * the session bus (g_bus_get(), libsecret, GApplication, GSettings with the
 * dconf backend...), or they keep using the bus they found first.
 *
 * The servers stop by themselves if this process dies (--exit-with), and the
 * directory is then kept so its logs can be read.
 *
 * Fails (never skips) when TERN_SANDBOX is unset or start fails; the error
 * message then carries the failing server and the tail of its log. */
TernTestSandbox     *tern_test_sandbox_start      (const char       *extra_args,
                                                   GError          **error);

/* Stops every server (by PID), removes the directory and frees SANDBOX.
 * Call secret_service_disconnect() first if libsecret was used. */
void                 tern_test_sandbox_stop       (TernTestSandbox  *sandbox);

/* The user called NAME, or %NULL. */
const TernTestSandboxUser *
                     tern_test_sandbox_get_user   (TernTestSandbox  *sandbox,
                                                   const char       *name);

/* Runs `doveadm -c <dovecot_conf> ARG...` (a %NULL-terminated list of
 * strings).  On success stores its standard output in OUT (if not %NULL).
 * A non-zero exit is an error whose message holds doveadm's stderr. */
gboolean             tern_test_sandbox_doveadm    (TernTestSandbox  *sandbox,
                                                   char            **out,
                                                   GError          **error,
                                                   const char       *arg,
                                                   ...) G_GNUC_NULL_TERMINATED;

/* Waits up to TIMEOUT_MS for at least N messages in the SMTP spool and
 * returns the paths of the first N .eml files in arrival order (each has a
 * .json beside it with mail_from, rcpt_tos, user and listener), or %NULL on
 * timeout.  Free with g_strfreev(). */
char               **tern_test_sandbox_wait_smtp  (TernTestSandbox  *sandbox,
                                                   guint             n,
                                                   guint             timeout_ms);

/* Frees SANDBOX without stopping anything (tern_test_sandbox_stop() does both). */
void                 tern_test_sandbox_free       (TernTestSandbox  *sandbox);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernTestSandbox, tern_test_sandbox_stop)

G_END_DECLS
