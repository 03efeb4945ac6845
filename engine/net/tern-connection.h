/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-account.h"
#include "tern-certificate-info.h"
#include "tern-certificate-prompt.h"
#include "tern-net-error.h"
#include "tern-protocol-log.h"

G_BEGIN_DECLS

/* One connection to a mail server, for IMAP, POP3 and SMTP alike: TCP,
 * implicit TLS or STARTTLS, certificate policy, and bounded line and
 * counted-byte I/O. Every call is asynchronous and cancellable and completes
 * on the thread-default main context of its caller.
 *
 * Security rules it enforces, whatever the protocol above does:
 * - Certificates are verified against the system's authorities and the
 *   account's CA file (if any), server name included; a failure is fatal
 *   unless the account pins exactly that certificate (SHA-256 over its DER),
 *   or a TernCertificatePrompt answers "trust" after seeing its details.
 * - STARTTLS is a hard reset: tern_connection_start_tls_async() fails with
 *   %TERN_NET_ERROR_INJECTION and closes if the server sent a single byte
 *   beyond the reply the protocol read; after the handshake the generation
 *   changes and the protocol must forget all it learned before (greeting,
 *   capabilities, anything untagged) and ask again.
 * - A write given a redacted description is a secret: it is logged only by
 *   that description and refused (%TERN_NET_ERROR_INSECURE, nothing sent)
 *   on a connection without TLS unless the account's security is "none".
 *
 * One read (read_line or read_bytes) and one write may be pending at a time;
 * they may overlap (IMAP IDLE: DONE is written while a read waits). Any
 * error other than the caller cancelling a read, or a write before its
 * first byte, is fatal: the connection closes and later calls fail with
 * %TERN_NET_ERROR_CLOSED. A closed or failed connection may be connected
 * again with tern_connection_connect_async(). */
#define TERN_TYPE_CONNECTION (tern_connection_get_type ())
G_DECLARE_FINAL_TYPE (TernConnection, tern_connection, TERN, CONNECTION, GObject)

#define TERN_CONNECTION_DEFAULT_CONNECT_TIMEOUT_MS  30000
#define TERN_CONNECTION_DEFAULT_READ_TIMEOUT_MS     60000
#define TERN_CONNECTION_DEFAULT_KEEPALIVE_S         60
#define TERN_CONNECTION_DEFAULT_MAX_LINE_LENGTH     (1024 * 1024)
#define TERN_CONNECTION_DEFAULT_MAX_READ_SIZE       (128 * 1024 * 1024)

/* CA_FILE: a PEM file of extra trusted authorities, or %NULL.
 * PINNED_SHA256: the account's pin, 64 hex digits with or without colons,
 * or %NULL; a malformed pin makes connect fail with %TERN_NET_ERROR_INVALID. */
TernConnection       *tern_connection_new                    (const char             *host,
                                                              guint16                 port,
                                                              TernSecurity            security,
                                                              const char             *ca_file,
                                                              const char             *pinned_sha256);

const char           *tern_connection_get_host               (TernConnection         *self);
guint16               tern_connection_get_port               (TernConnection         *self);
TernSecurity          tern_connection_get_security           (TernConnection         *self);
/* A number that names this connection in the protocol log ("#3"). */
guint                 tern_connection_get_id                 (TernConnection         *self);

/* The name the certificate must carry; the host by default. */
const char           *tern_connection_get_server_identity    (TernConnection         *self);
void                  tern_connection_set_server_identity    (TernConnection         *self,
                                                              const char             *server_identity);
/* The pin in its stored form (64 lower-case hex digits), or %NULL. It
 * changes (with notify) when a prompt answers TRUST_ALWAYS: save it then. */
const char           *tern_connection_get_pinned_sha256      (TernConnection         *self);
void                  tern_connection_set_pinned_sha256      (TernConnection         *self,
                                                              const char             *pinned_sha256);
TernCertificatePrompt *tern_connection_get_certificate_prompt (TernConnection        *self);
void                  tern_connection_set_certificate_prompt (TernConnection         *self,
                                                              TernCertificatePrompt  *prompt);
TernProtocolLog      *tern_connection_get_protocol_log       (TernConnection         *self);
void                  tern_connection_set_protocol_log       (TernConnection         *self,
                                                              TernProtocolLog        *log);

/* Limits; each applies from the next call (a new read timeout also restarts
 * the silence timer of a read waiting now). 0 means no timeout. The read
 * timeout is the longest silence allowed while a read (or a write) waits:
 * raise it for IMAP IDLE. The connect timeout covers name lookup, TCP and
 * the TLS handshake, and the STARTTLS handshake; not a prompt's question. */
guint                 tern_connection_get_connect_timeout    (TernConnection         *self);
void                  tern_connection_set_connect_timeout    (TernConnection         *self,
                                                              guint                   timeout_ms);
guint                 tern_connection_get_read_timeout       (TernConnection         *self);
void                  tern_connection_set_read_timeout       (TernConnection         *self,
                                                              guint                   timeout_ms);
/* TCP keep-alive probes after IDLE_SECONDS of silence (0: off). */
guint                 tern_connection_get_keepalive          (TernConnection         *self);
void                  tern_connection_set_keepalive          (TernConnection         *self,
                                                              guint                   idle_seconds);
gsize                 tern_connection_get_max_line_length    (TernConnection         *self);
void                  tern_connection_set_max_line_length    (TernConnection         *self,
                                                              gsize                   max_line_length);
gsize                 tern_connection_get_max_read_size      (TernConnection         *self);
void                  tern_connection_set_max_read_size      (TernConnection         *self,
                                                              gsize                   max_read_size);

/* State. The generation starts at 0 and grows by one on each successful
 * connect and each successful STARTTLS: anything a protocol learned under an
 * older generation is void. */
gboolean              tern_connection_is_connected           (TernConnection         *self);
gboolean              tern_connection_is_tls                 (TernConnection         *self);
guint                 tern_connection_get_generation         (TernConnection         *self);
/* Bytes received but not yet returned by a read. */
gsize                 tern_connection_get_buffered_size      (TernConnection         *self);
/* The server's certificate after the last handshake, successful or failed
 * with %TERN_NET_ERROR_CERTIFICATE (the details to show), else %NULL. */
TernCertificateInfo  *tern_connection_get_peer_certificate_info (TernConnection      *self);
GTlsCertificateFlags  tern_connection_get_peer_certificate_errors (TernConnection    *self);

/* TCP, then for implicit TLS the handshake. When a certificate fails and a
 * prompt is set, asks it and, if trusted, connects once more accepting
 * exactly that certificate. */
void                  tern_connection_connect_async          (TernConnection         *self,
                                                              GCancellable           *cancellable,
                                                              GAsyncReadyCallback     callback,
                                                              gpointer                user_data);
gboolean              tern_connection_connect_finish         (TernConnection         *self,
                                                              GAsyncResult           *result,
                                                              GError                **error);

/* After the server's go-ahead to STARTTLS/STLS, with no read or write
 * pending. On a certificate failure with a prompt set, asks it; if trusted,
 * fails with %TERN_NET_ERROR_RECONNECT: connect again (the same object
 * remembers the trust), redo the dialogue and start_tls again. */
void                  tern_connection_start_tls_async        (TernConnection         *self,
                                                              GCancellable           *cancellable,
                                                              GAsyncReadyCallback     callback,
                                                              gpointer                user_data);
gboolean              tern_connection_start_tls_finish       (TernConnection         *self,
                                                              GAsyncResult           *result,
                                                              GError                **error);

/* The next line without its CR LF (a bare LF also ends a line). The data
 * is followed by a NUL byte not counted in its size; it may contain NULs. */
void                  tern_connection_read_line_async        (TernConnection         *self,
                                                              GCancellable           *cancellable,
                                                              GAsyncReadyCallback     callback,
                                                              gpointer                user_data);
GBytes               *tern_connection_read_line_finish       (TernConnection         *self,
                                                              GAsyncResult           *result,
                                                              GError                **error);

/* Exactly SIZE bytes (an IMAP literal, a known length), at most
 * max-read-size; logged by size only. Reads nothing ahead. */
void                  tern_connection_read_bytes_async       (TernConnection         *self,
                                                              gsize                   size,
                                                              GCancellable           *cancellable,
                                                              GAsyncReadyCallback     callback,
                                                              gpointer                user_data);
GBytes               *tern_connection_read_bytes_finish      (TernConnection         *self,
                                                              GAsyncResult           *result,
                                                              GError                **error);

/* Writes all of DATA. REDACTED, if not %NULL, marks the write as secret
 * (credentials, message bodies) and is what the protocol log shows instead,
 * e.g. "a LOGIN alice " TERN_PROTOCOL_LOG_REDACTED. */
void                  tern_connection_write_async            (TernConnection         *self,
                                                              GBytes                 *data,
                                                              const char             *redacted,
                                                              GCancellable           *cancellable,
                                                              GAsyncReadyCallback     callback,
                                                              gpointer                user_data);
gboolean              tern_connection_write_finish           (TernConnection         *self,
                                                              GAsyncResult           *result,
                                                              GError                **error);

/* Cancels pending reads and writes (they fail with %TERN_NET_ERROR_CLOSED),
 * then closes (with a TLS close_notify when it can). Never fails; closing
 * a closed connection succeeds. */
void                  tern_connection_close_async            (TernConnection         *self,
                                                              GCancellable           *cancellable,
                                                              GAsyncReadyCallback     callback,
                                                              gpointer                user_data);
gboolean              tern_connection_close_finish           (TernConnection         *self,
                                                              GAsyncResult           *result,
                                                              GError                **error);

G_END_DECLS
