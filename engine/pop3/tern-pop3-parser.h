/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TERN_POP3_ERROR (tern_pop3_error_quark ())

/* Each code names a situation a person can be told about; messages say what
 * happened and what to do, and never quote the server's line. */
typedef enum
{
  TERN_POP3_ERROR_PROTOCOL,          /* the server's reply is not POP3 (malformed, out of range, duplicate) */
  TERN_POP3_ERROR_GREETING,          /* the server did not greet as a POP3 server */
  TERN_POP3_ERROR_TOO_LARGE,         /* a line, listing or message beyond the limits */
  TERN_POP3_ERROR_TRUNCATED,         /* a multi-line reply ended without its final dot */
  TERN_POP3_ERROR_STLS_UNAVAILABLE,  /* STLS not offered or refused: nothing was sent */
  TERN_POP3_ERROR_AUTH,              /* user name or password refused */
  TERN_POP3_ERROR_IN_USE,            /* the mailbox is locked by another session */
  TERN_POP3_ERROR_TEMPORARY,         /* the server has a temporary problem: try later */
  TERN_POP3_ERROR_COMMAND_FAILED,    /* -ERR to a command (no such message, …) */
  TERN_POP3_ERROR_STATE,             /* the call does not fit the session's state */
} TernPop3Error;

GQuark tern_pop3_error_quark (void);

/* RFC 2449 / RFC 3206 response codes, in brackets after +OK or -ERR. */
typedef enum
{
  TERN_POP3_CODE_NONE,
  TERN_POP3_CODE_AUTH,         /* [AUTH] credentials refused */
  TERN_POP3_CODE_IN_USE,       /* [IN-USE] maildrop locked */
  TERN_POP3_CODE_LOGIN_DELAY,  /* [LOGIN-DELAY] logged in too recently */
  TERN_POP3_CODE_SYS_TEMP,     /* [SYS/TEMP] */
  TERN_POP3_CODE_SYS_PERM,     /* [SYS/PERM] */
  TERN_POP3_CODE_OTHER,        /* any other code, e.g. [UTF8] */
} TernPop3Code;

/* RFC 1939 limits with some tolerance. */
#define TERN_POP3_MAX_STATUS_LINE     4096                 /* RFC: 512 */
#define TERN_POP3_MAX_UID_LENGTH      70
#define TERN_POP3_MAX_MESSAGE_NUMBER  G_MAXINT32
#define TERN_POP3_DEFAULT_MAX_MESSAGE (128 * 1024 * 1024)
#define TERN_POP3_DEFAULT_MAX_LISTING (64 * 1024 * 1024)
#define TERN_POP3_DEFAULT_MAX_ENTRIES 4000000

typedef struct
{
  gboolean      ok;         /* +OK (else -ERR) */
  TernPop3Code  code;
  char         *code_text;  /* the code as sent, e.g. "SYS/TEMP", or %NULL */
  char         *text;       /* the rest of the line, never %NULL; data, not markup */
} TernPop3Status;

/* Parses "+OK …" or "-ERR …" (LINE without CR LF, LENGTH bytes, may hold
 * NULs: they are an error). Fills STATUS; clear it with
 * tern_pop3_status_clear(). */
gboolean     tern_pop3_parse_status           (const char      *line,
                                               gsize            length,
                                               TernPop3Status  *status,
                                               GError         **error);
void         tern_pop3_status_clear           (TernPop3Status  *status);

/* "+OK nn mm" from STAT: the message count and the maildrop size. */
gboolean     tern_pop3_parse_stat             (const char      *text,
                                               guint           *count,
                                               guint64         *size,
                                               GError         **error);

/* A UID is 1-70 characters 0x21-0x7E (RFC 1939 §7). It is data: the
 * session never makes a path of it. */
gboolean     tern_pop3_uid_is_valid           (const char      *uid,
                                               gsize            length);

/* One line of a LIST or UIDL listing. */
typedef struct
{
  guint    number;  /* message number, 1 … */
  guint64  size;    /* LIST: octets; UIDL: 0 */
  char    *uid;     /* UIDL: the unique id; LIST: %NULL */
} TernPop3Entry;

/* What a parser expects after the status line. */
typedef enum
{
  TERN_POP3_REPLY_STATUS,     /* one line: USER, PASS, DELE, STAT, … */
  TERN_POP3_REPLY_CAPA,       /* multi-line: capability lines */
  TERN_POP3_REPLY_LIST,       /* multi-line: "n size" */
  TERN_POP3_REPLY_UIDL,       /* multi-line: "n uid" */
  TERN_POP3_REPLY_MESSAGE,    /* multi-line: RETR, TOP; dot-unstuffed */
} TernPop3ReplyKind;

typedef enum
{
  TERN_POP3_PARSE_MORE,   /* feed more */
  TERN_POP3_PARSE_DONE,   /* the reply is complete (check the status) */
  TERN_POP3_PARSE_ERROR,  /* the reply is broken; the connection must close */
} TernPop3ParseResult;

/* A push parser for one reply. Pure and bounded: no I/O, memory limited by
 * the limits below, any input gives DONE or a TERN_POP3_ERROR, never a
 * crash. A -ERR status ends a multi-line reply at once. */
typedef struct _TernPop3Parser TernPop3Parser;

TernPop3Parser      *tern_pop3_parser_new           (TernPop3ReplyKind  kind);
void                 tern_pop3_parser_free          (TernPop3Parser    *self);
TernPop3ReplyKind    tern_pop3_parser_get_kind      (TernPop3Parser    *self);

/* Limits, before the first feed: the longest message (MESSAGE, in
 * unstuffed bytes), the largest listing (bytes) and most entries. */
void                 tern_pop3_parser_set_max_size  (TernPop3Parser    *self,
                                                     gsize              max_size);
void                 tern_pop3_parser_set_max_entries (TernPop3Parser  *self,
                                                     guint              max_entries);

/* One line without its CR LF (as TernConnection reads them). */
TernPop3ParseResult  tern_pop3_parser_feed_line     (TernPop3Parser    *self,
                                                     const char        *line,
                                                     gsize              length,
                                                     GError           **error);
/* Raw bytes in any chunking; lines end in LF (CR LF or bare LF). Sets
 * CONSUMED to the bytes used: after DONE the rest belongs to the next
 * reply. */
TernPop3ParseResult  tern_pop3_parser_feed          (TernPop3Parser    *self,
                                                     const guint8      *data,
                                                     gsize              length,
                                                     gsize             *consumed,
                                                     GError           **error);
/* The connection ended: an error unless the reply is complete. */
gboolean             tern_pop3_parser_end           (TernPop3Parser    *self,
                                                     GError           **error);

gboolean             tern_pop3_parser_is_done       (TernPop3Parser    *self);
/* After the status line; %NULL before. */
const TernPop3Status *tern_pop3_parser_get_status   (TernPop3Parser    *self);
/* After DONE with +OK. CAPA: the lines (upper-case keyword, arguments as
 * sent); LIST/UIDL: a GArray of TernPop3Entry (freed with the array);
 * MESSAGE: the unstuffed message with CR LF line ends. */
GStrv                tern_pop3_parser_steal_capabilities (TernPop3Parser *self);
GArray              *tern_pop3_parser_steal_entries (TernPop3Parser    *self);
GBytes              *tern_pop3_parser_steal_message (TernPop3Parser    *self);

/* Whether CAPABILITIES (from a CAPA reply) holds NAME (case-insensitive);
 * if so and ARGS is not %NULL, it points at the arguments ("" if none). */
gboolean             tern_pop3_capabilities_has     (const char * const *capabilities,
                                                     const char        *name,
                                                     const char       **args);
/* Whether the SASL capability lists MECHANISM. */
gboolean             tern_pop3_capabilities_has_sasl (const char * const *capabilities,
                                                     const char        *mechanism);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernPop3Parser, tern_pop3_parser_free)

G_END_DECLS
