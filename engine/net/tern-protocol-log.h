/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  TERN_PROTOCOL_LOG_SENT,      /* "C:" what Tern sent */
  TERN_PROTOCOL_LOG_RECEIVED,  /* "S:" what the server sent */
  TERN_PROTOCOL_LOG_EVENT,     /* "*": connected, TLS, closed, errors */
} TernProtocolLogDirection;

/* The text written where a secret was: what a protocol passes as the
 * redacted form of a write, or part of it ("a LOGIN alice <redacted>"). */
#define TERN_PROTOCOL_LOG_REDACTED "<redacted>"

/* A record of what went over the wire, for --debug and for bug reports:
 * the last max-lines lines in memory, each also written with g_debug() in
 * the log domain "tern-protocol" (shown with G_MESSAGES_DEBUG=tern-protocol).
 *
 * Secrets never get here: TernConnection logs a write by its redacted
 * description when it has one. Server text is escaped: no control
 * characters or terminal escapes reach a terminal or a file. Message bodies
 * read or written as counted bytes are logged by size only. */
#define TERN_TYPE_PROTOCOL_LOG (tern_protocol_log_get_type ())
G_DECLARE_FINAL_TYPE (TernProtocolLog, tern_protocol_log, TERN, PROTOCOL_LOG, GObject)

TernProtocolLog *tern_protocol_log_new       (const char               *name,
                                              guint                     max_lines);
const char      *tern_protocol_log_get_name  (TernProtocolLog          *self);

/* Logs DATA (LENGTH bytes, or NUL-terminated if -1) as one or more lines
 * (split at LF, CR LF dropped) and emits ::line-added for each. */
void             tern_protocol_log_append    (TernProtocolLog          *self,
                                              guint                     connection_id,
                                              TernProtocolLogDirection  direction,
                                              const char               *data,
                                              gssize                    length);
void             tern_protocol_log_append_printf (TernProtocolLog      *self,
                                              guint                     connection_id,
                                              TernProtocolLogDirection  direction,
                                              const char               *format,
                                              ...) G_GNUC_PRINTF (4, 5);

/* The lines kept, one per line: "#3 C: a LOGIN alice <redacted>". */
char            *tern_protocol_log_dup_text  (TernProtocolLog          *self);
void             tern_protocol_log_clear     (TernProtocolLog          *self);

G_END_DECLS
