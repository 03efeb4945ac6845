/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TERN_NET_ERROR (tern_net_error_quark ())

/* Each code names a situation a person can be told about; the messages say
 * what happened and what to do, and never quote a server's protocol line. */
typedef enum
{
  TERN_NET_ERROR_FAILED,          /* anything not below; the message says what */
  TERN_NET_ERROR_INVALID,         /* the settings cannot work: a malformed pin, an unreadable CA file */
  TERN_NET_ERROR_HOST_NOT_FOUND,  /* the server's name does not resolve */
  TERN_NET_ERROR_REFUSED,         /* nothing listens on that port */
  TERN_NET_ERROR_UNREACHABLE,     /* no route to the server: offline? */
  TERN_NET_ERROR_TIMEOUT,         /* connecting, or waiting for the server, took too long */
  TERN_NET_ERROR_TLS_FAILED,      /* the TLS handshake or a TLS record failed */
  TERN_NET_ERROR_CERTIFICATE,     /* the certificate failed verification and is not pinned */
  TERN_NET_ERROR_RECONNECT,       /* STARTTLS: the person just trusted the certificate; connect again */
  TERN_NET_ERROR_INJECTION,       /* the server sent data before the TLS handshake */
  TERN_NET_ERROR_INSECURE,        /* a secret was to be sent without TLS on an account that requires it */
  TERN_NET_ERROR_CLOSED,          /* the server closed the connection, or it was closed here */
  TERN_NET_ERROR_LINE_TOO_LONG,   /* a line longer than max-line-length */
  TERN_NET_ERROR_TOO_LARGE,       /* a counted read larger than max-read-size */
  TERN_NET_ERROR_CANCELLED,       /* the caller cancelled; nothing to show */
} TernNetError;

GQuark tern_net_error_quark (void);

G_END_DECLS
