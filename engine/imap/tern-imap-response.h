/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gmime/gmime.h>

#include "tern-imap-sequence.h"

G_BEGIN_DECLS

/*
 * What one server response says, as the parser (tern-imap-parser.h) makes
 * it. Everything is owned by the response and read-only; fields a kind does
 * not use are 0 or NULL.
 *
 * Strings meant for people (response text, mailbox names, header-like FETCH
 * items other than ENVELOPE) are valid UTF-8, invalid bytes replaced by
 * U+FFFD and control characters by spaces. ENVELOPE and BODYSTRUCTURE
 * strings are the raw bytes the server sent (never containing NUL), because
 * they are message headers that may still hold RFC 2047 encoded words or
 * 8-bit text in an unknown charset: decode them with
 * tern_imap_decode_header_text() and friends. Mailbox names come twice: as
 * UTF-8 for people and raw, as the server wrote them, for commands.
 */

typedef enum
{
  TERN_IMAP_RESPONSE_TAGGED,         /* tag OK/NO/BAD [code] text */
  TERN_IMAP_RESPONSE_STATUS,         /* * OK/NO/BAD/BYE/PREAUTH [code] text */
  TERN_IMAP_RESPONSE_CONTINUATION,   /* + text (or SASL base64) */
  TERN_IMAP_RESPONSE_CAPABILITY,     /* strv */
  TERN_IMAP_RESPONSE_ENABLED,        /* strv */
  TERN_IMAP_RESPONSE_FLAGS,          /* strv */
  TERN_IMAP_RESPONSE_LIST,           /* mailbox (also for Gmail's XLIST) */
  TERN_IMAP_RESPONSE_LSUB,           /* mailbox */
  TERN_IMAP_RESPONSE_STATUS_DATA,    /* mailbox_status */
  TERN_IMAP_RESPONSE_EXISTS,         /* number */
  TERN_IMAP_RESPONSE_EXPUNGE,        /* number */
  TERN_IMAP_RESPONSE_RECENT,         /* number */
  TERN_IMAP_RESPONSE_SEARCH,         /* numbers, modseq */
  TERN_IMAP_RESPONSE_ESEARCH,        /* esearch */
  TERN_IMAP_RESPONSE_VANISHED,       /* uids, earlier */
  TERN_IMAP_RESPONSE_NAMESPACE,      /* personal, other, shared */
  TERN_IMAP_RESPONSE_QUOTA,          /* quota_root, resources */
  TERN_IMAP_RESPONSE_QUOTAROOT,      /* mailbox (name only), strv (the roots) */
  TERN_IMAP_RESPONSE_ID,             /* id */
  TERN_IMAP_RESPONSE_FETCH,          /* number, fetch */
  TERN_IMAP_RESPONSE_UNKNOWN,        /* keyword, text: untagged data Tern does not know */
} TernImapResponseKind;

typedef enum
{
  TERN_IMAP_STATUS_OK,
  TERN_IMAP_STATUS_NO,
  TERN_IMAP_STATUS_BAD,
  TERN_IMAP_STATUS_BYE,
  TERN_IMAP_STATUS_PREAUTH,
} TernImapStatus;

typedef enum
{
  TERN_IMAP_CODE_UNKNOWN,            /* name and text as sent */
  TERN_IMAP_CODE_ALERT,              /* the text must be shown to the person */
  TERN_IMAP_CODE_BADCHARSET,         /* strv: the charsets the server offers, if it said */
  TERN_IMAP_CODE_CAPABILITY,         /* strv */
  TERN_IMAP_CODE_PARSE,
  TERN_IMAP_CODE_PERMANENTFLAGS,     /* strv, with "\\*" if new keywords may be made */
  TERN_IMAP_CODE_READ_ONLY,
  TERN_IMAP_CODE_READ_WRITE,
  TERN_IMAP_CODE_TRYCREATE,
  TERN_IMAP_CODE_UIDNEXT,            /* number */
  TERN_IMAP_CODE_UIDVALIDITY,        /* number */
  TERN_IMAP_CODE_UNSEEN,             /* number */
  TERN_IMAP_CODE_APPENDUID,          /* number (UIDVALIDITY), uids */
  TERN_IMAP_CODE_COPYUID,            /* number (UIDVALIDITY), uids (source), dest_uids */
  TERN_IMAP_CODE_UIDNOTSTICKY,
  TERN_IMAP_CODE_HIGHESTMODSEQ,      /* modseq */
  TERN_IMAP_CODE_NOMODSEQ,
  TERN_IMAP_CODE_MODIFIED,           /* uids: what a conditional STORE left alone */
  TERN_IMAP_CODE_CLOSED,
  TERN_IMAP_CODE_REFERRAL,           /* strv: the URLs; data only, never followed */
  TERN_IMAP_CODE_UNKNOWN_CTE,
  /* RFC 5530, for choosing what to tell the person */
  TERN_IMAP_CODE_UNAVAILABLE,
  TERN_IMAP_CODE_AUTHENTICATIONFAILED,
  TERN_IMAP_CODE_AUTHORIZATIONFAILED,
  TERN_IMAP_CODE_EXPIRED,
  TERN_IMAP_CODE_PRIVACYREQUIRED,
  TERN_IMAP_CODE_CONTACTADMIN,
  TERN_IMAP_CODE_NOPERM,
  TERN_IMAP_CODE_INUSE,
  TERN_IMAP_CODE_EXPUNGEISSUED,
  TERN_IMAP_CODE_CORRUPTION,
  TERN_IMAP_CODE_SERVERBUG,
  TERN_IMAP_CODE_CLIENTBUG,
  TERN_IMAP_CODE_CANNOT,
  TERN_IMAP_CODE_LIMIT,
  TERN_IMAP_CODE_OVERQUOTA,
  TERN_IMAP_CODE_ALREADYEXISTS,
  TERN_IMAP_CODE_NONEXISTENT,
} TernImapCodeKind;

/* A response code, "[UIDNEXT 4392]". A known code whose data does not parse
 * is kept as TERN_IMAP_CODE_UNKNOWN rather than failing the connection. */
typedef struct
{
  TernImapCodeKind   kind;
  char              *name;       /* the code's atom upper-cased: "UIDNEXT", "X-FOO" */
  char              *text;       /* UNKNOWN: what followed the name as text; NULL if nothing */
  guint32            number;
  guint64            modseq;
  char             **strv;
  TernImapSequence  *uids;
  TernImapSequence  *dest_uids;
} TernImapCode;

typedef enum
{
  TERN_IMAP_ADDRESS_MAILBOX,
  TERN_IMAP_ADDRESS_GROUP_START,     /* mailbox is the group's display name */
  TERN_IMAP_ADDRESS_GROUP_END,
} TernImapAddressKind;

/* One address of an ENVELOPE list, raw bytes, NULL for NIL. */
typedef struct
{
  TernImapAddressKind  kind;
  char                *name;
  char                *adl;
  char                *mailbox;
  char                *host;
} TernImapAddress;

/* ENVELOPE, raw bytes, NULL for NIL. Address lists are GPtrArrays of
 * TernImapAddress, NULL for NIL. */
typedef struct
{
  char       *date;
  char       *subject;
  GPtrArray  *from;
  GPtrArray  *sender;
  GPtrArray  *reply_to;
  GPtrArray  *to;
  GPtrArray  *cc;
  GPtrArray  *bcc;
  char       *in_reply_to;
  char       *message_id;
} TernImapEnvelope;

/* A body or disposition parameter, raw bytes (RFC 2231 not decoded). */
typedef struct
{
  char *name;
  char *value;
} TernImapParam;

typedef struct _TernImapBodyPart TernImapBodyPart;

/* One part of a BODYSTRUCTURE (or BODY) tree, raw bytes, NULL for NIL. */
struct _TernImapBodyPart
{
  char              *type;          /* ASCII lower-cased: "text", "multipart" … */
  char              *subtype;       /* ASCII lower-cased: "plain", "mixed" … */
  char              *section;       /* what BODY[…] calls the part: "1", "2.1"; NULL for a
                                     * multipart that is a whole message or attached message's body */
  GPtrArray         *params;        /* of TernImapParam, never NULL */
  char              *id;
  char              *description;
  char              *encoding;      /* ASCII lower-cased: "base64" … */
  guint32            size;          /* octets of the encoded body */
  guint64            lines;         /* text and message parts */
  char              *md5;
  char              *disposition;   /* ASCII lower-cased: "attachment" … */
  GPtrArray         *disposition_params;  /* of TernImapParam, never NULL */
  char             **language;
  char              *location;
  GPtrArray         *children;      /* multipart: of TernImapBodyPart, never NULL */
  TernImapEnvelope  *envelope;      /* message/rfc822 and message/global */
  TernImapBodyPart  *body;          /* message/rfc822 and message/global */
  gboolean           extended;      /* BODYSTRUCTURE's extension data was there */
};

typedef enum
{
  TERN_IMAP_FETCH_UID           = 1 << 0,
  TERN_IMAP_FETCH_FLAGS         = 1 << 1,
  TERN_IMAP_FETCH_INTERNALDATE  = 1 << 2,
  TERN_IMAP_FETCH_RFC822_SIZE   = 1 << 3,
  TERN_IMAP_FETCH_MODSEQ        = 1 << 4,
  TERN_IMAP_FETCH_ENVELOPE      = 1 << 5,
  TERN_IMAP_FETCH_BODYSTRUCTURE = 1 << 6,   /* body came from BODYSTRUCTURE */
  TERN_IMAP_FETCH_BODY          = 1 << 7,   /* body came from BODY, without extension data */
  TERN_IMAP_FETCH_GM_MSGID      = 1 << 8,
  TERN_IMAP_FETCH_GM_THRID      = 1 << 9,
  TERN_IMAP_FETCH_GM_LABELS     = 1 << 10,
  TERN_IMAP_FETCH_EMAILID       = 1 << 11,
  TERN_IMAP_FETCH_THREADID      = 1 << 12,
} TernImapFetchItems;

typedef enum
{
  TERN_IMAP_SECTION_BODY,            /* BODY[section]<origin> */
  TERN_IMAP_SECTION_BINARY,          /* BINARY[section]<origin> */
  TERN_IMAP_SECTION_BINARY_SIZE,     /* BINARY.SIZE[section]: size only */
  TERN_IMAP_SECTION_RFC822,          /* RFC822, RFC822.HEADER and RFC822.TEXT */
  TERN_IMAP_SECTION_RFC822_HEADER,   /* (IMAP4rev1 only) have no section */
  TERN_IMAP_SECTION_RFC822_TEXT,
} TernImapSectionKind;

typedef struct
{
  TernImapSectionKind  kind;
  char                *section;      /* between the brackets as sent: "", "1.2", "HEADER.FIELDS (FROM)" */
  gboolean             has_origin;
  guint32              origin;       /* <origin>: the offset of a partial fetch */
  GBytes              *data;         /* NULL for NIL; a literal is shared, not copied */
  guint64              size;         /* BINARY.SIZE */
} TernImapFetchSection;

typedef struct
{
  TernImapFetchItems   has;
  guint32              uid;
  char               **flags;        /* as sent: "\\Seen", "$Forwarded" */
  gint64               internaldate; /* Unix time */
  guint64              rfc822_size;
  guint64              modseq;
  TernImapEnvelope    *envelope;
  TernImapBodyPart    *body;
  GPtrArray           *sections;     /* of TernImapFetchSection, in the order sent, never NULL */
  guint64              gm_msgid;
  guint64              gm_thrid;
  char               **gm_labels;    /* as sent (modified UTF-7 where not ASCII) */
  char                *email_id;     /* RFC 8474 OBJECTID */
  char                *thread_id;
} TernImapFetch;

typedef enum
{
  TERN_IMAP_MAILBOX_NOSELECT        = 1 << 0,
  TERN_IMAP_MAILBOX_NOINFERIORS     = 1 << 1,
  TERN_IMAP_MAILBOX_NONEXISTENT     = 1 << 2,
  TERN_IMAP_MAILBOX_HAS_CHILDREN    = 1 << 3,
  TERN_IMAP_MAILBOX_HAS_NO_CHILDREN = 1 << 4,
  TERN_IMAP_MAILBOX_MARKED          = 1 << 5,
  TERN_IMAP_MAILBOX_UNMARKED        = 1 << 6,
  TERN_IMAP_MAILBOX_SUBSCRIBED      = 1 << 7,
  TERN_IMAP_MAILBOX_REMOTE          = 1 << 8,
  TERN_IMAP_MAILBOX_ALL             = 1 << 9,   /* RFC 6154 special use */
  TERN_IMAP_MAILBOX_ARCHIVE         = 1 << 10,
  TERN_IMAP_MAILBOX_DRAFTS          = 1 << 11,
  TERN_IMAP_MAILBOX_FLAGGED         = 1 << 12,
  TERN_IMAP_MAILBOX_JUNK            = 1 << 13,
  TERN_IMAP_MAILBOX_SENT            = 1 << 14,
  TERN_IMAP_MAILBOX_TRASH           = 1 << 15,
  TERN_IMAP_MAILBOX_IMPORTANT       = 1 << 16,  /* RFC 8457 */
} TernImapMailboxAttrs;

/* A mailbox of LIST or LSUB. */
typedef struct
{
  TernImapMailboxAttrs   attrs;
  char                 **attributes;  /* as sent */
  gunichar               delimiter;   /* 0 for NIL: a flat namespace */
  char                  *name;        /* UTF-8 for people; "INBOX" in any case becomes "INBOX" */
  char                  *raw_name;    /* as sent: what commands must use */
  gboolean               name_valid;  /* FALSE if the server's encoding was broken */
} TernImapMailbox;

typedef enum
{
  TERN_IMAP_STATUS_MESSAGES      = 1 << 0,
  TERN_IMAP_STATUS_RECENT        = 1 << 1,
  TERN_IMAP_STATUS_UIDNEXT       = 1 << 2,
  TERN_IMAP_STATUS_UIDVALIDITY   = 1 << 3,
  TERN_IMAP_STATUS_UNSEEN        = 1 << 4,
  TERN_IMAP_STATUS_DELETED       = 1 << 5,
  TERN_IMAP_STATUS_SIZE          = 1 << 6,
  TERN_IMAP_STATUS_HIGHESTMODSEQ = 1 << 7,
} TernImapStatusItems;

typedef struct
{
  char                *name;
  char                *raw_name;
  TernImapStatusItems  has;
  guint32              messages;
  guint32              recent;
  guint32              uidnext;
  guint32              uidvalidity;
  guint32              unseen;
  guint32              deleted;
  guint64              size;
  guint64              highestmodseq;
} TernImapMailboxStatus;

typedef enum
{
  TERN_IMAP_ESEARCH_MIN    = 1 << 0,
  TERN_IMAP_ESEARCH_MAX    = 1 << 1,
  TERN_IMAP_ESEARCH_COUNT  = 1 << 2,
  TERN_IMAP_ESEARCH_ALL    = 1 << 3,
  TERN_IMAP_ESEARCH_MODSEQ = 1 << 4,
} TernImapEsearchItems;

typedef struct
{
  char                 *tag;     /* the command's tag, if the server said (TAG "…") */
  gboolean              uid;
  TernImapEsearchItems  has;
  guint32               min;
  guint32               max;
  guint32               count;
  TernImapSequence     *all;
  guint64               modseq;
} TernImapEsearch;

typedef struct
{
  char     *prefix;      /* UTF-8 */
  char     *raw_prefix;  /* as sent */
  gunichar  delimiter;
} TernImapNamespace;

typedef struct
{
  char    *name;         /* "STORAGE" (in KiB), "MESSAGE" … */
  guint64  usage;
  guint64  limit;
} TernImapQuotaResource;

typedef struct _TernImapResponse TernImapResponse;

struct _TernImapResponse
{
  /*< private >*/
  gatomicrefcount         ref_count;

  /*< public >*/
  TernImapResponseKind    kind;
  char                   *tag;             /* TAGGED */
  TernImapStatus          status;          /* TAGGED, STATUS */
  TernImapCode           *code;            /* TAGGED, STATUS; NULL if none */
  char                   *text;            /* TAGGED, STATUS, CONTINUATION, UNKNOWN */
  guint32                 number;          /* EXISTS, EXPUNGE, RECENT, FETCH */
  char                  **strv;            /* CAPABILITY, ENABLED, FLAGS, QUOTAROOT */
  TernImapMailbox        *mailbox;         /* LIST, LSUB, QUOTAROOT */
  TernImapMailboxStatus  *mailbox_status;  /* STATUS_DATA */
  GArray                 *numbers;         /* SEARCH: of guint32 */
  guint64                 modseq;          /* SEARCH with (MODSEQ n), else 0 */
  TernImapEsearch        *esearch;         /* ESEARCH */
  TernImapSequence       *uids;            /* VANISHED */
  gboolean                earlier;         /* VANISHED (EARLIER) */
  GPtrArray              *personal;        /* NAMESPACE: of TernImapNamespace, NULL for NIL */
  GPtrArray              *other;
  GPtrArray              *shared;
  char                   *quota_root;      /* QUOTA */
  GPtrArray              *resources;       /* QUOTA: of TernImapQuotaResource */
  GHashTable             *id;              /* ID: lower-cased field → value (NULL for NIL); NULL for ID NIL */
  TernImapFetch          *fetch;           /* FETCH */
  char                   *keyword;         /* UNKNOWN: the response's name, upper-cased */
};

#define TERN_TYPE_IMAP_RESPONSE (tern_imap_response_get_type ())

GType                 tern_imap_response_get_type     (void) G_GNUC_CONST;
TernImapResponse     *tern_imap_response_new          (TernImapResponseKind   kind);
TernImapResponse     *tern_imap_response_ref          (TernImapResponse      *self);
void                  tern_imap_response_unref        (TernImapResponse      *self);
char                 *tern_imap_response_to_string    (TernImapResponse      *self);
const char           *tern_imap_response_kind_to_string (TernImapResponseKind kind);
const char           *tern_imap_status_to_string      (TernImapStatus         status);

TernImapCode         *tern_imap_code_new              (void);
void                  tern_imap_code_free             (TernImapCode          *code);

TernImapAddress      *tern_imap_address_new           (void);
void                  tern_imap_address_free          (TernImapAddress       *address);
TernImapEnvelope     *tern_imap_envelope_new          (void);
void                  tern_imap_envelope_free         (TernImapEnvelope      *envelope);
TernImapParam        *tern_imap_param_new             (void);
void                  tern_imap_param_free            (TernImapParam         *param);
TernImapBodyPart     *tern_imap_body_part_new         (void);
void                  tern_imap_body_part_free        (TernImapBodyPart      *part);
TernImapFetchSection *tern_imap_fetch_section_new     (void);
void                  tern_imap_fetch_section_free    (TernImapFetchSection  *section);
TernImapFetch        *tern_imap_fetch_new             (void);
void                  tern_imap_fetch_free            (TernImapFetch         *fetch);
TernImapMailbox      *tern_imap_mailbox_new           (void);
void                  tern_imap_mailbox_free          (TernImapMailbox       *mailbox);
TernImapMailboxStatus *tern_imap_mailbox_status_new   (void);
void                  tern_imap_mailbox_status_free   (TernImapMailboxStatus *status);
TernImapEsearch      *tern_imap_esearch_new           (void);
void                  tern_imap_esearch_free          (TernImapEsearch       *esearch);
TernImapNamespace    *tern_imap_namespace_new         (void);
void                  tern_imap_namespace_free        (TernImapNamespace     *ns);
TernImapQuotaResource *tern_imap_quota_resource_new   (void);
void                  tern_imap_quota_resource_free   (TernImapQuotaResource *resource);

gboolean              tern_imap_strv_contains_nocase  (const char * const    *strv,
                                                       const char            *atom);

const TernImapFetchSection *tern_imap_fetch_find_section (const TernImapFetch *fetch,
                                                       TernImapSectionKind    kind,
                                                       const char            *section);
const char           *tern_imap_body_part_get_param   (const TernImapBodyPart *part,
                                                       const char            *name);
const TernImapBodyPart *tern_imap_body_part_find      (const TernImapBodyPart *root,
                                                       const char            *section);
char                 *tern_imap_body_part_dup_filename (const TernImapBodyPart *part);

char                 *tern_imap_decode_header_text    (const char            *raw);
char                 *tern_imap_decode_header_phrase  (const char            *raw);
InternetAddressList  *tern_imap_address_list_to_gmime (GPtrArray            *addresses);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapResponse, tern_imap_response_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapCode, tern_imap_code_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapEnvelope, tern_imap_envelope_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapBodyPart, tern_imap_body_part_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapFetch, tern_imap_fetch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernImapMailbox, tern_imap_mailbox_free)

G_END_DECLS
