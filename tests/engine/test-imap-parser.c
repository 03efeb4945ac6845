/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-imap-parser"

#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tern-imap-parser.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#endif

/* Transcripts ----------------------------------------------------------------
 *
 * Server output in the shapes Dovecot, Cyrus, Gmail, Exchange, Courier and an
 * IMAP4rev2 server send, each followed by what Tern reads in it. */


/* Dovecot 2.3: greeting, login, QRESYNC, LIST-STATUS, select, fetch, idle. */
static const char dovecot[] =
  "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n"
  "a1 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
  "MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT "
  "SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY STATUS=SIZE SAVEDATE "
  "LITERAL+ NOTIFY SPECIAL-USE QUOTA] Logged in\r\n"
  "* ID (\"name\" \"Dovecot\")\r\n"
  "a2 OK ID completed (0.001 + 0.000 secs).\r\n"
  "* ENABLED QRESYNC\r\n"
  "a3 OK Enabled.\r\n"
  "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
  "a4 OK Namespace completed (0.001 + 0.000 secs).\r\n"
  "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
  "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 1700000000 UNSEEN 1 HIGHESTMODSEQ 7 SIZE 10240)\r\n"
  "* LIST (\\HasNoChildren \\Drafts) \"/\" \"Entw&APw-rfe\"\r\n"
  "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
  "* LIST (\\HasChildren \\Subscribed) \"/\" Archive (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
  "* LIST (\\HasNoChildren \\Archive) \"/\" Archive/2023\r\n"
  "a5 OK List completed (0.002 + 0.000 + 0.001 secs).\r\n"
  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk)\r\n"
  "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk \\*)] Flags permitted.\r\n"
  "* 3 EXISTS\r\n"
  "* 0 RECENT\r\n"
  "* OK [UNSEEN 2] First unseen.\r\n"
  "* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"
  "* OK [UIDNEXT 4] Predicted next UID\r\n"
  "* OK [HIGHESTMODSEQ 7] Highest\r\n"
  "* VANISHED (EARLIER) 5:7,9\r\n"
  "a6 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"
  "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (3) INTERNALDATE \"17-Jul-2023 02:44:25 -0700\" RFC822.SIZE 2345 "
  "ENVELOPE (\"Mon, 17 Jul 2023 11:44:20 +0200\" \"=?utf-8?q?Gr=C3=BC=C3=9Fe?=\" "
  "((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) "
  "((\"Alice Example\" NIL \"alice\" \"example.org\")) ((NIL NIL \"bob\" \"example.com\")(\"Carol\" "
  "NIL \"carol\" \"example.com\")) "
  "NIL NIL NIL \"<1234@example.org>\") "
  "BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" \"flowed\") NIL NIL \"8bit\" "
  "120 4 NIL NIL NIL NIL)"
  "(\"application\" \"pdf\" (\"name\" \"invoice.pdf\") NIL \"An invoice\" \"base64\" 1800 NIL "
  "(\"attachment\" (\"filename\" \"invoice.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n"
  "* 2 FETCH (UID 2 FLAGS () BODY[] {42}\r\n"
  "From: bob@example.com\r\n"
  "Subject: hi\r\n"
  "\r\n"
  "hi\r\n"
  ")\r\n"
  "* 3 FETCH (UID 3 BODY[HEADER.FIELDS (FROM SUBJECT)] {18}\r\n"
  "Subject: a {5}\r\n"
  "\r\n"
  " BODY[1]<0> \"partial\")\r\n"
  "a7 OK Fetch completed (0.001 + 0.000 secs).\r\n"
  "* ESEARCH (TAG \"a8\") UID ALL 1:3 COUNT 3 MIN 1 MAX 3\r\n"
  "a8 OK Search completed (0.001 + 0.000 secs).\r\n"
  "+ idling\r\n"
  "* 4 EXISTS\r\n"
  "* 1 EXPUNGE\r\n"
  "* 2 FETCH (FLAGS (\\Seen \\Flagged) MODSEQ (9))\r\n"
  "a9 OK Idle completed (0.001 + 1.000 secs).\r\n"
  "* QUOTAROOT INBOX User\r\n"
  "* QUOTA User (STORAGE 10 1048576 MESSAGE 3 100000)\r\n"
  "a10 OK Getquotaroot completed.\r\n"
  "* BYE Logging out\r\n"
  "a11 OK Logout completed (0.001 + 0.000 secs).\r\n";

/* Cyrus IMAP 3: STARTTLS, hierarchy ".", UIDPLUS codes, CONDSTORE SEARCH. */
static const char cyrus[] =
  "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN SASL-IR] imap.example.org Cyrus "
  "IMAP 3.6.1 server ready\r\n"
  "S1 OK Begin TLS negotiation now\r\n"
  "+ \r\n"
  "A1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE ACL RIGHTS=kxten QUOTA MAILBOX-REFERRALS NAMESPACE UIDPLUS "
  "NO_ATOMIC_RENAME UNSELECT CHILDREN MULTIAPPEND BINARY CATENATE CONDSTORE ESEARCH SORT THREAD=ORDEREDSUBJECT "
  "LIST-EXTENDED LIST-STATUS WITHIN QRESYNC SCAN XLIST URLAUTH URLAUTH=BINARY LOGINDISABLED "
  "COMPRESS=DEFLATE X-QUOTA=STORAGE "
  "IDLE] Success (tls protection) SESSIONID=<cyrus-12345-1700000000-1-123456789>\r\n"
  "* LIST (\\HasChildren) \".\" INBOX\r\n"
  "* LIST (\\HasNoChildren \\Sent) \".\" INBOX.Sent\r\n"
  "* LIST (\\HasNoChildren) \".\" \"INBOX.&ZeVnLIqe-\"\r\n"
  "A2 OK Completed (0.000 secs 3 calls)\r\n"
  "* 2 FETCH (FLAGS (\\Seen) UID 2 BODY[HEADER.FIELDS (\"From\" \"Subject\")] {35}\r\n"
  "From: x@example.org\r\n"
  "Subject: y\r\n"
  "\r\n"
  ")\r\n"
  "A3 OK Completed (0.000 sec)\r\n"
  "* SEARCH 1 2 5 (MODSEQ 917162500)\r\n"
  "A4 OK Completed (3 msgs in 0.000 secs)\r\n"
  "A5 OK [COPYUID 1700000001 1:3 100:102] Completed\r\n"
  "A6 NO [TRYCREATE] Mailbox does not exist\r\n"
  "A7 OK [APPENDUID 1700000001 103] Completed\r\n"
  "* OK [NOMODSEQ] Sorry, modsequences have not been enabled on this mailbox\r\n"
  "A8 OK [MODIFIED 7,9] Conditional STORE failed\r\n"
  "A9 NO [OVERQUOTA] Over quota\r\n"
  "* BYE LOGOUT received\r\n"
  "A10 OK Completed\r\n";

/* Gmail: XLIST-era attributes, X-GM extensions, AUTHENTICATIONFAILED. */
static const char gmail[] =
  "* OK Gimap ready for requests from 192.0.2.1 s9mb12345abc\r\n"
  "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR "
  "AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER AUTH=XOAUTH\r\n"
  "A0 OK Thats all she wrote! s9mb12345abc\r\n"
  "+ eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n"
  "A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n"
  "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE "
  "ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584\r\n"
  "A2 OK alice@gmail.com authenticated (Success)\r\n"
  "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
  "* LIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"\r\n"
  "* LIST (\\All \\HasNoChildren) \"/\" \"[Gmail]/All Mail\"\r\n"
  "* LIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"\r\n"
  "* LIST (\\Flagged \\HasNoChildren) \"/\" \"[Gmail]/Starred\"\r\n"
  "* LIST (\\HasNoChildren \\Trash) \"/\" \"[Gmail]/Trash\"\r\n"
  "* LIST (\\HasNoChildren) \"/\" \"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-\"\r\n"
  "A3 OK Success\r\n"
  "* STATUS \"[Gmail]/All Mail\" (MESSAGES 45012 UIDNEXT 98231 UIDVALIDITY 11)\r\n"
  "A4 OK Success\r\n"
  "* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334865 "
  "X-GM-LABELS (\\Important \\Inbox \"Work/Project &AOQ-\" Travel) UID 4 FLAGS (\\Seen))\r\n"
  "* 2 FETCH (X-GM-THRID 1278455344230334866 X-GM-MSGID 1278455344230334866 X-GM-LABELS () UID 5 FLAGS ())\r\n"
  "A5 OK Success\r\n"
  "* SEARCH 2 84 882\r\n"
  "A6 OK SEARCH completed (Success)\r\n"
  "* OK [ALERT] Please log in via your web browser: https://support.google.com/mail/accounts/answer/78754 (Failure)\r\n"
  "* BYE System Error\r\n";

/* Exchange Online: a base64 blob in the greeting, extra spaces, BODYSTRUCTURE
 * with "()" parameters, RFC 2047 and group syntax in ENVELOPE. */
static const char exchange[] =
  "* OK The Microsoft Exchange IMAP4 service is ready. "
  "[TQBXADIAUABSADEAMABDAEEAMAAwADMAMQAuAG4AYQBtAHAAcgBkADEAMAAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]\r\n"
  "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE "
  "NAMESPACE LITERAL+\r\n"
  "a OK CAPABILITY completed.\r\n"
  "+ \r\n"
  "b OK AUTHENTICATE completed.\r\n"
  "* 12 EXISTS\r\n"
  "* 0 RECENT\r\n"
  "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)\r\n"
  "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)] Permanent flags\r\n"
  "* OK [UNSEEN 9] Is the first unseen message\r\n"
  "* OK [UIDVALIDITY 14] UIDVALIDITY value\r\n"
  "* OK [UIDNEXT 101] The next unique identifier value\r\n"
  "c OK [READ-WRITE] SELECT completed.\r\n"
  "* 1 FETCH (UID 10 RFC822.SIZE 4711 FLAGS (\\Seen) BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" "
  "\"utf-8\") NIL NIL "
  "\"quoted-printable\" 120 5 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
  "\"quoted-printable\" 400 10 "
  "NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"_000_DB9PR_\") NIL NIL NIL))\r\n"
  "* 2 FETCH (UID 11 BODYSTRUCTURE (\"application\"  \"octet-stream\" () NIL NIL \"base64\" 10240 NIL "
  "(\"attachment\" (\"filename\" \"=?utf-8?B?w7xiZXIucGRm?=\" \"size\" \"7500\")) NIL NIL) )\r\n"
  "* 3 FETCH (UID 12 ENVELOPE (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"=?utf-8?B?R3LDvMOfZQ==?=\" "
  "((\"=?utf-8?Q?J=C3=BCrgen_M=C3=BCller?=\" NIL \"juergen\" \"example.de\")) NIL NIL "
  "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) ((\"Dana\" NIL \"dana\" \"example.de\")) NIL "
  "\"<parent@example.de>\" \"<abc@example.de>\"))\r\n"
  "d OK FETCH completed.\r\n"
  "e BAD Command Argument Error. 11\r\n"
  "* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n";

/* Courier: "INBOX." namespace, space-padded INTERNALDATE, empty SEARCH. */
static const char courier[] =
  "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE "
  "ACL ACL2=UNION STARTTLS] Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.  "
  "See COPYING for distribution information.\r\n"
  "* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#shared.\" \".\")(\"shared.\" \".\"))\r\n"
  "A1 OK NAMESPACE completed.\r\n"
  "* LIST (\\Unmarked \\HasChildren) \".\" \"INBOX\"\r\n"
  "* LIST (\\HasNoChildren) \".\" \"INBOX.Sent\"\r\n"
  "* LIST (\\HasNoChildren) \".\" \"INBOX.&AMQ-rger\"\r\n"
  "A2 OK LIST completed\r\n"
  "* 1 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE \" 7-Mar-2024 09:05:01 +0100\")\r\n"
  "* 2 FETCH (INTERNALDATE \"29-Feb-2024 23:59:59 -1130\" RFC822.SIZE 0 FLAGS ())\r\n"
  "A3 OK FETCH completed.\r\n"
  "* SEARCH\r\n"
  "A4 OK SEARCH done.\r\n";

/* An IMAP4rev2 server (RFC 9051): UTF-8 names once enabled, BINARY with a
 * literal8 that holds NUL, CLOSED, STATUS DELETED and SIZE, OBJECTID. */
static const char rev2[] =
  "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN LITERAL- BINARY OBJECTID] ready\r\n"
  "* ENABLED IMAP4REV2 UTF8=ACCEPT\r\n"
  "e1 OK enabled\r\n"
  "* LIST () \"/\" \"Entwürfe\"\r\n"
  "* LIST (\\NonExistent) \"/\" \"Gelöscht\"\r\n"
  "* STATUS \"Entwürfe\" (MESSAGES 2 DELETED 1 SIZE 99 UIDVALIDITY 7 APPENDLIMIT NIL MAILBOXID (M0123))\r\n"
  "e2 OK done\r\n"
  "* OK [CLOSED] Previous mailbox is now closed\r\n"
  "e3 OK [READ-ONLY] [EXAMINE] done\r\n"
  "* 1 FETCH (UID 5 EMAILID (Mabc123) THREADID (Tdef456) BINARY[1] ~{6}\r\n"
  "he\0llo BINARY.SIZE[2] 2048 SAVEDATE \"01-Jan-2024 00:00:00 +0000\")\r\n"
  "* 2 FETCH (UID 6 THREADID NIL BINARY[2]<100> NIL)\r\n"
  "e4 NO [UNKNOWN-CTE] can't decode\r\n"
  "* ESEARCH (TAG \"e5\") UID COUNT 0\r\n"
  "e5 OK done\r\n";

static const char * const dovecot_expected[] = {
  "STATUS OK [CAPABILITY (\"IMAP4rev1\" \"SASL-IR\" \"LOGIN-REFERRALS\" \"ID\" \"ENABLE\" \"IDLE\" "
    "\"LITERAL+\" \"STARTTLS\" \"AUTH=PLAIN\")] \"Dovecot ready.\"",
  "TAGGED \"a1\" OK [CAPABILITY (\"IMAP4rev1\" \"SASL-IR\" \"LOGIN-REFERRALS\" \"ID\" \"ENABLE\" "
    "\"IDLE\" \"SORT\" \"SORT=DISPLAY\" \"THREAD=REFERENCES\" \"MULTIAPPEND\" \"UNSELECT\" \"CHILDREN\" "
    "\"NAMESPACE\" \"UIDPLUS\" \"LIST-EXTENDED\" \"I18NLEVEL=1\" \"CONDSTORE\" \"QRESYNC\" \"ESEARCH\" "
    "\"ESORT\" \"SEARCHRES\" \"WITHIN\" \"CONTEXT=SEARCH\" \"LIST-STATUS\" \"BINARY\" \"MOVE\" "
    "\"SNIPPET=FUZZY\" \"PREVIEW=FUZZY\" \"STATUS=SIZE\" \"SAVEDATE\" \"LITERAL+\" \"NOTIFY\" "
    "\"SPECIAL-USE\" \"QUOTA\")] \"Logged in\"",
  "ID name=\"Dovecot\"",
  "TAGGED \"a2\" OK \"ID completed (0.001 + 0.000 secs).\"",
  "ENABLED (\"QRESYNC\")",
  "TAGGED \"a3\" OK \"Enabled.\"",
  "NAMESPACE ((\"\" \"/\")) NIL NIL",
  "TAGGED \"a4\" OK \"Namespace completed (0.001 + 0.000 secs).\"",
  "LIST (\"\\\\HasNoChildren\") attrs=0x10 \"/\" \"INBOX\"",
  "STATUS_DATA \"INBOX\" MESSAGES=3 UIDNEXT=4 UIDVALIDITY=1700000000 UNSEEN=1 SIZE=10240 HIGHESTMODSEQ=7",
  "LIST (\"\\\\HasNoChildren\" \"\\\\Drafts\") attrs=0x810 \"/\" \"Entwürfe\" raw=\"Entw&APw-rfe\"",
  "LIST (\"\\\\HasNoChildren\" \"\\\\Sent\") attrs=0x4010 \"/\" \"Sent\"",
  "LIST (\"\\\\HasChildren\" \"\\\\Subscribed\") attrs=0x88 \"/\" \"Archive\"",
  "LIST (\"\\\\HasNoChildren\" \"\\\\Archive\") attrs=0x410 \"/\" \"Archive/2023\"",
  "TAGGED \"a5\" OK \"List completed (0.002 + 0.000 + 0.001 secs).\"",
  "FLAGS (\"\\\\Answered\" \"\\\\Flagged\" \"\\\\Deleted\" \"\\\\Seen\" \"\\\\Draft\" \"$Forwarded\" "
    "\"$Junk\")",
  "STATUS OK [PERMANENTFLAGS (\"\\\\Answered\" \"\\\\Flagged\" \"\\\\Deleted\" \"\\\\Seen\" "
    "\"\\\\Draft\" \"$Forwarded\" \"$Junk\" \"\\\\*\")] \"Flags permitted.\"",
  "EXISTS 3",
  "RECENT 0",
  "STATUS OK [UNSEEN 2] \"First unseen.\"",
  "STATUS OK [UIDVALIDITY 1700000000] \"UIDs valid\"",
  "STATUS OK [UIDNEXT 4] \"Predicted next UID\"",
  "STATUS OK [HIGHESTMODSEQ 7] \"Highest\"",
  "VANISHED EARLIER 5:7,9",
  "TAGGED \"a6\" OK [READ-WRITE] \"Select completed (0.001 + 0.000 secs).\"",
  "FETCH 1 UID=1 FLAGS=(\"\\\\Seen\") INTERNALDATE=1689587065 RFC822.SIZE=2345 MODSEQ=3 "
    "ENVELOPE=(\"Mon, 17 Jul 2023 11:44:20 +0200\" \"=?utf-8?q?Gr=C3=BC=C3=9Fe?=\" ((\"Alice Example\" "
    "NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice "
    "Example\" NIL \"alice\" \"example.org\")) ((NIL NIL \"bob\" \"example.com\") (\"Carol\" NIL "
    "\"carol\" \"example.com\")) NIL NIL NIL \"<1234@example.org>\") BODYSTRUCTURE=(multipart/mixed "
    "(\"boundary\"=\"b1\") (text/plain #1 (\"charset\"=\"utf-8\" \"format\"=\"flowed\") id=NIL desc=NIL "
    "enc=\"8bit\" size=120 lines=4 md5=NIL disp=NIL lang=NIL loc=NIL) (application/pdf #2 "
    "(\"name\"=\"invoice.pdf\") id=NIL desc=\"An invoice\" enc=\"base64\" size=1800 lines=0 md5=NIL "
    "disp=\"attachment\"(\"filename\"=\"invoice.pdf\") lang=NIL loc=NIL) md5=NIL disp=NIL lang=NIL loc=NIL)",
  "FETCH 2 UID=2 FLAGS=() BODY[\"\"]=<42 bytes>",
  "FETCH 3 UID=3 BODY[\"HEADER.FIELDS (FROM SUBJECT)\"]=<18 bytes> BODY[\"1\"]<0>=<7 bytes>",
  "TAGGED \"a7\" OK \"Fetch completed (0.001 + 0.000 secs).\"",
  "ESEARCH TAG=\"a8\" UID MIN=1 MAX=3 COUNT=3 ALL=1:3",
  "TAGGED \"a8\" OK \"Search completed (0.001 + 0.000 secs).\"",
  "CONTINUATION \"idling\"",
  "EXISTS 4",
  "EXPUNGE 1",
  "FETCH 2 FLAGS=(\"\\\\Seen\" \"\\\\Flagged\") MODSEQ=9",
  "TAGGED \"a9\" OK \"Idle completed (0.001 + 1.000 secs).\"",
  "QUOTAROOT \"INBOX\" (\"User\")",
  "QUOTA \"User\" STORAGE=10/1048576 MESSAGE=3/100000",
  "TAGGED \"a10\" OK \"Getquotaroot completed.\"",
  "STATUS BYE \"Logging out\"",
  "TAGGED \"a11\" OK \"Logout completed (0.001 + 0.000 secs).\"",
  NULL
};

static const char * const cyrus_expected[] = {
  "STATUS OK [CAPABILITY (\"IMAP4rev1\" \"LITERAL+\" \"ID\" \"ENABLE\" \"STARTTLS\" \"AUTH=PLAIN\" "
    "\"SASL-IR\")] \"imap.example.org Cyrus IMAP 3.6.1 server ready\"",
  "TAGGED \"S1\" OK \"Begin TLS negotiation now\"",
  "CONTINUATION \"\"",
  "TAGGED \"A1\" OK [CAPABILITY (\"IMAP4rev1\" \"LITERAL+\" \"ID\" \"ENABLE\" \"ACL\" \"RIGHTS=kxten\" "
    "\"QUOTA\" \"MAILBOX-REFERRALS\" \"NAMESPACE\" \"UIDPLUS\" \"NO_ATOMIC_RENAME\" \"UNSELECT\" "
    "\"CHILDREN\" \"MULTIAPPEND\" \"BINARY\" \"CATENATE\" \"CONDSTORE\" \"ESEARCH\" \"SORT\" "
    "\"THREAD=ORDEREDSUBJECT\" \"LIST-EXTENDED\" \"LIST-STATUS\" \"WITHIN\" \"QRESYNC\" \"SCAN\" "
    "\"XLIST\" \"URLAUTH\" \"URLAUTH=BINARY\" \"LOGINDISABLED\" \"COMPRESS=DEFLATE\" \"X-QUOTA=STORAGE\" "
    "\"IDLE\")] \"Success (tls protection) SESSIONID=<cyrus-12345-1700000000-1-123456789>\"",
  "LIST (\"\\\\HasChildren\") attrs=0x8 \".\" \"INBOX\"",
  "LIST (\"\\\\HasNoChildren\" \"\\\\Sent\") attrs=0x4010 \".\" \"INBOX.Sent\"",
  "LIST (\"\\\\HasNoChildren\") attrs=0x10 \".\" \"INBOX.日本語\" raw=\"INBOX.&ZeVnLIqe-\"",
  "TAGGED \"A2\" OK \"Completed (0.000 secs 3 calls)\"",
  "FETCH 2 UID=2 FLAGS=(\"\\\\Seen\") BODY[\"HEADER.FIELDS (\\\"From\\\" \\\"Subject\\\")\"]=<35 bytes>",
  "TAGGED \"A3\" OK \"Completed (0.000 sec)\"",
  "SEARCH 1 2 5 MODSEQ=917162500",
  "TAGGED \"A4\" OK \"Completed (3 msgs in 0.000 secs)\"",
  "TAGGED \"A5\" OK [COPYUID 1700000001 1:3 100:102] \"Completed\"",
  "TAGGED \"A6\" NO [TRYCREATE] \"Mailbox does not exist\"",
  "TAGGED \"A7\" OK [APPENDUID 1700000001 103] \"Completed\"",
  "STATUS OK [NOMODSEQ] \"Sorry, modsequences have not been enabled on this mailbox\"",
  "TAGGED \"A8\" OK [MODIFIED 7,9] \"Conditional STORE failed\"",
  "TAGGED \"A9\" NO [OVERQUOTA] \"Over quota\"",
  "STATUS BYE \"LOGOUT received\"",
  "TAGGED \"A10\" OK \"Completed\"",
  NULL
};

static const char * const gmail_expected[] = {
  "STATUS OK \"Gimap ready for requests from 192.0.2.1 s9mb12345abc\"",
  "CAPABILITY (\"IMAP4rev1\" \"UNSELECT\" \"IDLE\" \"NAMESPACE\" \"QUOTA\" \"ID\" \"XLIST\" "
    "\"CHILDREN\" \"X-GM-EXT-1\" \"XYZZY\" \"SASL-IR\" \"AUTH=XOAUTH2\" \"AUTH=PLAIN\" "
    "\"AUTH=PLAIN-CLIENTTOKEN\" \"AUTH=OAUTHBEARER\" \"AUTH=XOAUTH\")",
  "TAGGED \"A0\" OK \"Thats all she wrote! s9mb12345abc\"",
  "CONTINUATION \"eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlL"
    "mNvbS8ifQ==\"",
  "TAGGED \"A1\" NO [AUTHENTICATIONFAILED] \"Invalid credentials (Failure)\"",
  "CAPABILITY (\"IMAP4rev1\" \"UNSELECT\" \"IDLE\" \"NAMESPACE\" \"QUOTA\" \"ID\" \"XLIST\" "
    "\"CHILDREN\" \"X-GM-EXT-1\" \"UIDPLUS\" \"COMPRESS=DEFLATE\" \"ENABLE\" \"MOVE\" \"CONDSTORE\" "
    "\"ESEARCH\" \"UTF8=ACCEPT\" \"LIST-EXTENDED\" \"LIST-STATUS\" \"LITERAL-\" \"SPECIAL-USE\" "
    "\"APPENDLIMIT=35651584\")",
  "TAGGED \"A2\" OK \"alice@gmail.com authenticated (Success)\"",
  "LIST (\"\\\\HasNoChildren\") attrs=0x10 \"/\" \"INBOX\"",
  "LIST (\"\\\\HasChildren\" \"\\\\Noselect\") attrs=0x9 \"/\" \"[Gmail]\"",
  "LIST (\"\\\\All\" \"\\\\HasNoChildren\") attrs=0x210 \"/\" \"[Gmail]/All Mail\"",
  "LIST (\"\\\\HasNoChildren\" \"\\\\Sent\") attrs=0x4010 \"/\" \"[Gmail]/Sent Mail\"",
  "LIST (\"\\\\Flagged\" \"\\\\HasNoChildren\") attrs=0x1010 \"/\" \"[Gmail]/Starred\"",
  "LIST (\"\\\\HasNoChildren\" \"\\\\Trash\") attrs=0x8010 \"/\" \"[Gmail]/Trash\"",
  "LIST (\"\\\\HasNoChildren\") attrs=0x10 \"/\" \"Отправленные\" "
    "raw=\"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-\"",
  "TAGGED \"A3\" OK \"Success\"",
  "STATUS_DATA \"[Gmail]/All Mail\" MESSAGES=45012 UIDNEXT=98231 UIDVALIDITY=11",
  "TAGGED \"A4\" OK \"Success\"",
  "FETCH 1 UID=4 FLAGS=(\"\\\\Seen\") X-GM-MSGID=1278455344230334865 X-GM-THRID=1278455344230334865 "
    "X-GM-LABELS=(\"\\\\Important\" \"\\\\Inbox\" \"Work/Project &AOQ-\" \"Travel\")",
  "FETCH 2 UID=5 FLAGS=() X-GM-MSGID=1278455344230334866 X-GM-THRID=1278455344230334866 X-GM-LABELS=()",
  "TAGGED \"A5\" OK \"Success\"",
  "SEARCH 2 84 882",
  "TAGGED \"A6\" OK \"SEARCH completed (Success)\"",
  "STATUS OK [ALERT] \"Please log in via your web browser: "
    "https://support.google.com/mail/accounts/answer/78754 (Failure)\"",
  "STATUS BYE \"System Error\"",
  NULL
};

static const char * const exchange_expected[] = {
  "STATUS OK \"The Microsoft Exchange IMAP4 service is ready. "
    "[TQBXADIAUABSADEAMABDAEEAMAAwADMAMQAuAG4AYQBtAHAAcgBkADEAMAAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwB"
    "vAG0A]\"",
  "CAPABILITY (\"IMAP4\" \"IMAP4rev1\" \"AUTH=PLAIN\" \"AUTH=XOAUTH2\" \"SASL-IR\" \"UIDPLUS\" \"ID\" "
    "\"UNSELECT\" \"CHILDREN\" \"IDLE\" \"NAMESPACE\" \"LITERAL+\")",
  "TAGGED \"a\" OK \"CAPABILITY completed.\"",
  "CONTINUATION \"\"",
  "TAGGED \"b\" OK \"AUTHENTICATE completed.\"",
  "EXISTS 12",
  "RECENT 0",
  "FLAGS (\"\\\\Seen\" \"\\\\Answered\" \"\\\\Flagged\" \"\\\\Deleted\" \"\\\\Draft\" \"$MDNSent\")",
  "STATUS OK [PERMANENTFLAGS (\"\\\\Seen\" \"\\\\Answered\" \"\\\\Flagged\" \"\\\\Deleted\" "
    "\"\\\\Draft\" \"$MDNSent\")] \"Permanent flags\"",
  "STATUS OK [UNSEEN 9] \"Is the first unseen message\"",
  "STATUS OK [UIDVALIDITY 14] \"UIDVALIDITY value\"",
  "STATUS OK [UIDNEXT 101] \"The next unique identifier value\"",
  "TAGGED \"c\" OK [READ-WRITE] \"SELECT completed.\"",
  "FETCH 1 UID=10 FLAGS=(\"\\\\Seen\") RFC822.SIZE=4711 BODYSTRUCTURE=(multipart/alternative "
    "(\"boundary\"=\"_000_DB9PR_\") (text/plain #1 (\"charset\"=\"utf-8\") id=NIL desc=NIL "
    "enc=\"quoted-printable\" size=120 lines=5 md5=NIL disp=NIL lang=NIL loc=NIL) (text/html #2 "
    "(\"charset\"=\"utf-8\") id=NIL desc=NIL enc=\"quoted-printable\" size=400 lines=10 md5=NIL disp=NIL "
    "lang=NIL loc=NIL) md5=NIL disp=NIL lang=NIL loc=NIL)",
  "FETCH 2 UID=11 BODYSTRUCTURE=(application/octet-stream #1 id=NIL desc=NIL enc=\"base64\" size=10240 "
    "lines=0 md5=NIL disp=\"attachment\"(\"filename\"=\"=?utf-8?B?w7xiZXIucGRm?=\" \"size\"=\"7500\") "
    "lang=NIL loc=NIL)",
  "FETCH 3 UID=12 ENVELOPE=(\"Mon, 1 Jan 2024 10:00:00 +0000\" \"=?utf-8?B?R3LDvMOfZQ==?=\" "
    "((\"=?utf-8?Q?J=C3=BCrgen_M=C3=BCller?=\" NIL \"juergen\" \"example.de\")) NIL NIL "
    "(group:\"undisclosed-recipients\" end-group) ((\"Dana\" NIL \"dana\" \"example.de\")) NIL "
    "\"<parent@example.de>\" \"<abc@example.de>\")",
  "TAGGED \"d\" OK \"FETCH completed.\"",
  "TAGGED \"e\" BAD \"Command Argument Error. 11\"",
  "STATUS BYE \"Microsoft Exchange Server IMAP4 server signing off.\"",
  NULL
};

static const char * const courier_expected[] = {
  "STATUS OK [CAPABILITY (\"IMAP4rev1\" \"UIDPLUS\" \"CHILDREN\" \"NAMESPACE\" "
    "\"THREAD=ORDEREDSUBJECT\" \"THREAD=REFERENCES\" \"SORT\" \"QUOTA\" \"IDLE\" \"ACL\" \"ACL2=UNION\" "
    "\"STARTTLS\")] \"Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.  See COPYING for "
    "distribution information.\"",
  "NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#shared.\" \".\") (\"shared.\" \".\"))",
  "TAGGED \"A1\" OK \"NAMESPACE completed.\"",
  "LIST (\"\\\\Unmarked\" \"\\\\HasChildren\") attrs=0x48 \".\" \"INBOX\"",
  "LIST (\"\\\\HasNoChildren\") attrs=0x10 \".\" \"INBOX.Sent\"",
  "LIST (\"\\\\HasNoChildren\") attrs=0x10 \".\" \"INBOX.Ärger\" raw=\"INBOX.&AMQ-rger\"",
  "TAGGED \"A2\" OK \"LIST completed\"",
  "FETCH 1 FLAGS=(\"\\\\Seen\" \"\\\\Recent\") INTERNALDATE=1709798701",
  "FETCH 2 FLAGS=() INTERNALDATE=1709292599 RFC822.SIZE=0",
  "TAGGED \"A3\" OK \"FETCH completed.\"",
  "SEARCH",
  "TAGGED \"A4\" OK \"SEARCH done.\"",
  NULL
};

static const char * const rev2_expected[] = {
  "STATUS OK [CAPABILITY (\"IMAP4rev2\" \"IMAP4rev1\" \"AUTH=PLAIN\" \"LITERAL-\" \"BINARY\" "
    "\"OBJECTID\")] \"ready\"",
  "ENABLED (\"IMAP4REV2\" \"UTF8=ACCEPT\")",
  "TAGGED \"e1\" OK \"enabled\"",
  "LIST () attrs=0x0 \"/\" \"Entwürfe\"",
  "LIST (\"\\\\NonExistent\") attrs=0x4 \"/\" \"Gelöscht\"",
  "STATUS_DATA \"Entwürfe\" MESSAGES=2 UIDVALIDITY=7 DELETED=1 SIZE=99",
  "TAGGED \"e2\" OK \"done\"",
  "STATUS OK [CLOSED] \"Previous mailbox is now closed\"",
  "TAGGED \"e3\" OK [READ-ONLY] \"[EXAMINE] done\"",
  "FETCH 1 UID=5 EMAILID=\"Mabc123\" THREADID=\"Tdef456\" BINARY[\"1\"]=<6 bytes> BINARY.SIZE[\"2\"]=2048",
  "FETCH 2 UID=6 THREADID=NIL BINARY[\"2\"]<100>=NIL",
  "TAGGED \"e4\" NO [UNKNOWN-CTE] \"can't decode\"",
  "ESEARCH TAG=\"e5\" UID COUNT=0",
  "TAGGED \"e5\" OK \"done\"",
  NULL
};

typedef struct
{
  const char         *name;
  const char         *data;
  gsize               len;
  const char * const *expected;
  gboolean            utf8_when_enabled;
} Transcript;

#define TRANSCRIPT(name, utf8) { #name, name, sizeof name - 1, name##_expected, utf8 }

static const Transcript transcripts[] = {
  TRANSCRIPT (dovecot, FALSE),
  TRANSCRIPT (cyrus, FALSE),
  TRANSCRIPT (gmail, FALSE),
  TRANSCRIPT (exchange, FALSE),
  TRANSCRIPT (courier, FALSE),
  TRANSCRIPT (rev2, TRUE),
};

/* Helpers ------------------------------------------------------------------ */

typedef enum
{
  FEED_WHOLE,
  FEED_BYTES,
  FEED_RANDOM,
} FeedMode;

/* A description with a checksum of each literal, so that two parses can be
 * compared byte for byte. */
static char *
describe (TernImapResponse *response)
{
  g_autofree char *text = tern_imap_response_to_string (response);
  GString *out = g_string_new (text);

  if (response->fetch != NULL)
    for (guint i = 0; i < response->fetch->sections->len; i++)
      {
        const TernImapFetchSection *s = g_ptr_array_index (response->fetch->sections, i);

        if (s->data != NULL)
          {
            g_autofree char *sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, s->data);

            g_string_append_printf (out, " sha256:%s", sum);
          }
      }
  return g_string_free (out, FALSE);
}

/* Feeds @data in pieces and takes responses out after every piece, as a
 * connection would. Returns the descriptions; @error gets the parser's
 * error, if any. */
static GPtrArray *
parse_stream (const char            *data,
              gsize                  len,
              FeedMode               mode,
              gboolean               utf8_when_enabled,
              const TernImapLimits  *limits,
              GError               **error)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (limits);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gsize pos = 0;
  gboolean done = FALSE;

  while (!done)
    {
      TernImapResponse *response;

      if (pos < len)
        {
          gsize n = mode == FEED_WHOLE ? len : mode == FEED_BYTES ? 1 : (gsize) g_test_rand_int_range (1, 64);

          n = MIN (n, len - pos);
          tern_imap_parser_feed (parser, (const guint8 *) data + pos, n);
          pos += n;
        }
      else
        {
          tern_imap_parser_feed_eof (parser);
          done = TRUE;
        }

      while ((response = tern_imap_parser_next (parser, error)) != NULL)
        {
          if (response->kind == TERN_IMAP_RESPONSE_ENABLED && utf8_when_enabled &&
              tern_imap_strv_contains_nocase ((const char * const *) response->strv, "UTF8=ACCEPT"))
            tern_imap_parser_set_utf8_accept (parser, TRUE);
          g_ptr_array_add (out, describe (response));
          tern_imap_response_unref (response);
        }
      if (error != NULL && *error != NULL)
        break;
    }
  return out;
}

/* Parses @text, which must hold exactly one response. */
static TernImapResponse *
parse_one_full (const char *text,
                gsize       len,
                gboolean    utf8)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(GError) error = NULL;
  TernImapResponse *response;
  TernImapResponse *more;

  tern_imap_parser_set_utf8_accept (parser, utf8);
  tern_imap_parser_feed (parser, (const guint8 *) text, len);
  response = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  more = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);
  g_assert_null (more);
  g_assert_false (tern_imap_parser_has_pending (parser));
  return response;
}

static TernImapResponse *
parse_one (const char *text)
{
  return parse_one_full (text, strlen (text), FALSE);
}

static void
assert_describes (const char *text,
                  const char *expected)
{
  g_autoptr(TernImapResponse) response = parse_one (text);
  g_autofree char *description = tern_imap_response_to_string (response);

  g_assert_cmpstr (description, ==, expected);
}

/* Feeds @text whole and byte by byte: both must fail with @code and the same
 * message, and the message must stay short. */
static void
expect_error_full (const char           *text,
                   gsize                 len,
                   const TernImapLimits *limits,
                   TernImapError         code)
{
  g_autoptr(GError) whole_error = NULL;
  g_autoptr(GError) bytes_error = NULL;
  g_autoptr(GPtrArray) whole = parse_stream (text, len, FEED_WHOLE, FALSE, limits, &whole_error);
  g_autoptr(GPtrArray) bytes = NULL;

  if (whole_error == NULL || !g_error_matches (whole_error, TERN_IMAP_ERROR, (int) code))
    {
      g_autofree char *escaped = g_strescape (text, NULL);

      g_test_message ("for “%.200s”", escaped);
    }
  g_assert_error (whole_error, TERN_IMAP_ERROR, (int) code);
  g_assert_cmpuint (strlen (whole_error->message), <, 300);

  if (len <= 64 * 1024)
    {
      bytes = parse_stream (text, len, FEED_BYTES, FALSE, limits, &bytes_error);
      g_assert_error (bytes_error, TERN_IMAP_ERROR, (int) code);
      g_assert_cmpstr (bytes_error->message, ==, whole_error->message);
      g_assert_cmpuint (bytes->len, ==, whole->len);
    }
}

static void
expect_error (const char    *text,
              TernImapError  code)
{
  expect_error_full (text, strlen (text), NULL, code);
}

/* Transcripts ---------------------------------------------------------------- */

static void
test_transcript (gconstpointer data)
{
  const Transcript *transcript = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) whole = parse_stream (transcript->data, transcript->len, FEED_WHOLE,
                                             transcript->utf8_when_enabled, NULL, &error);
  guint n_expected = g_strv_length ((char **) transcript->expected);

  g_assert_no_error (error);
  for (guint i = 0; i < whole->len && i < n_expected; i++)
    {
      g_autofree char *text = g_strdup (g_ptr_array_index (whole, i));
      char *sum = strstr (text, " sha256:");

      if (sum != NULL)
        *sum = '\0';
      g_assert_cmpstr (text, ==, transcript->expected[i]);
    }
  g_assert_cmpuint (whole->len, ==, n_expected);

  /* the same, whatever the pieces */
  for (guint round = 0; round < 21; round++)
    {
      g_autoptr(GPtrArray) pieces = parse_stream (transcript->data, transcript->len,
                                                  round == 0 ? FEED_BYTES : FEED_RANDOM,
                                                  transcript->utf8_when_enabled, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (pieces->len, ==, whole->len);
      for (guint i = 0; i < whole->len; i++)
        g_assert_cmpstr (g_ptr_array_index (pieces, i), ==, g_ptr_array_index (whole, i));
    }
}

/* FETCH ---------------------------------------------------------------------- */

static void
test_fetch_fields (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapResponse) response = NULL;
  const char *start = strstr (dovecot, "* 1 FETCH");
  const char *end = strstr (start, "\r\n") + 2;
  const TernImapFetch *fetch;
  const TernImapEnvelope *envelope;
  const TernImapBodyPart *body, *text, *pdf;
  g_autofree char *subject = NULL;
  g_autofree char *filename = NULL;

  tern_imap_parser_feed (parser, (const guint8 *) start, (gsize) (end - start));
  response = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);
  g_assert_cmpint (response->kind, ==, TERN_IMAP_RESPONSE_FETCH);
  g_assert_cmpuint (response->number, ==, 1);

  fetch = response->fetch;
  g_assert_cmpuint (fetch->has, ==, TERN_IMAP_FETCH_UID | TERN_IMAP_FETCH_FLAGS | TERN_IMAP_FETCH_MODSEQ |
                                    TERN_IMAP_FETCH_INTERNALDATE | TERN_IMAP_FETCH_RFC822_SIZE |
                                    TERN_IMAP_FETCH_ENVELOPE | TERN_IMAP_FETCH_BODYSTRUCTURE);
  g_assert_cmpuint (fetch->uid, ==, 1);
  g_assert_cmpstrv (fetch->flags, ((const char * const[]) { "\\Seen", NULL }));
  g_assert_cmpuint (fetch->modseq, ==, 3);
  g_assert_cmpint (fetch->internaldate, ==, 1689587065);   /* 2023-07-17 09:44:25 UTC */
  g_assert_cmpuint (fetch->rfc822_size, ==, 2345);

  envelope = fetch->envelope;
  g_assert_cmpstr (envelope->date, ==, "Mon, 17 Jul 2023 11:44:20 +0200");
  g_assert_cmpstr (envelope->subject, ==, "=?utf-8?q?Gr=C3=BC=C3=9Fe?=");
  subject = tern_imap_decode_header_text (envelope->subject);
  g_assert_cmpstr (subject, ==, "Grüße");
  g_assert_cmpuint (envelope->from->len, ==, 1);
  g_assert_cmpstr (((TernImapAddress *) g_ptr_array_index (envelope->from, 0))->name, ==, "Alice Example");
  g_assert_cmpstr (((TernImapAddress *) g_ptr_array_index (envelope->from, 0))->host, ==, "example.org");
  g_assert_cmpuint (envelope->to->len, ==, 2);
  g_assert_null (((TernImapAddress *) g_ptr_array_index (envelope->to, 0))->name);
  g_assert_null (envelope->cc);
  g_assert_null (envelope->in_reply_to);
  g_assert_cmpstr (envelope->message_id, ==, "<1234@example.org>");

  body = fetch->body;
  g_assert_cmpstr (body->type, ==, "multipart");
  g_assert_cmpstr (body->subtype, ==, "mixed");
  g_assert_null (body->section);
  g_assert_cmpstr (tern_imap_body_part_get_param (body, "BOUNDARY"), ==, "b1");
  g_assert_cmpuint (body->children->len, ==, 2);
  text = g_ptr_array_index (body->children, 0);
  g_assert_cmpstr (text->section, ==, "1");
  g_assert_cmpstr (text->encoding, ==, "8bit");
  g_assert_cmpuint (text->size, ==, 120);
  g_assert_cmpuint (text->lines, ==, 4);
  g_assert_cmpstr (tern_imap_body_part_get_param (text, "format"), ==, "flowed");
  pdf = tern_imap_body_part_find (body, "2");
  g_assert_nonnull (pdf);
  g_assert_cmpstr (pdf->type, ==, "application");
  g_assert_cmpstr (pdf->description, ==, "An invoice");
  g_assert_cmpstr (pdf->disposition, ==, "attachment");
  filename = tern_imap_body_part_dup_filename (pdf);
  g_assert_cmpstr (filename, ==, "invoice.pdf");
  g_assert_null (tern_imap_body_part_find (body, "3"));
}

static void
test_fetch_literals (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(TernImapResponse) body = NULL;
  g_autoptr(TernImapResponse) header = NULL;
  const char *start = strstr (dovecot, "* 2 FETCH");
  const char *end = strstr (dovecot, "a7 OK");
  const TernImapFetchSection *section;
  gsize len;
  const char *data;

  tern_imap_parser_feed (parser, (const guint8 *) start, (gsize) (end - start));
  body = tern_imap_parser_next (parser, &error);
  header = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);

  section = tern_imap_fetch_find_section (body->fetch, TERN_IMAP_SECTION_BODY, "");
  g_assert_nonnull (section);
  g_assert_false (section->has_origin);
  data = g_bytes_get_data (section->data, &len);
  g_assert_cmpmem (data, len, "From: bob@example.com\r\nSubject: hi\r\n\r\nhi\r\n", 42);

  /* "{5}" inside a literal is data, not an announcement */
  section = tern_imap_fetch_find_section (header->fetch, TERN_IMAP_SECTION_BODY,
                                          "header.fields (\"from\" \"subject\")");
  g_assert_nonnull (section);
  data = g_bytes_get_data (section->data, &len);
  g_assert_cmpmem (data, len, "Subject: a {5}\r\n\r\n", 18);

  section = tern_imap_fetch_find_section (header->fetch, TERN_IMAP_SECTION_BODY, "1");
  g_assert_nonnull (section);
  g_assert_true (section->has_origin);
  g_assert_cmpuint (section->origin, ==, 0);
  data = g_bytes_get_data (section->data, &len);
  g_assert_cmpmem (data, len, "partial", 7);

  g_assert_null (tern_imap_fetch_find_section (header->fetch, TERN_IMAP_SECTION_BINARY, "1"));
}

static void
test_fetch_binary (void)
{
  static const char text[] =
    "* 1 FETCH (UID 5 BINARY[1] ~{6}\r\nhe\0llo BINARY.SIZE[2] 2048 BINARY[3] {0}\r\n)\r\n";
  g_autoptr(TernImapResponse) response = parse_one_full (text, sizeof text - 1, FALSE);
  const TernImapFetchSection *section;
  gsize len;
  const char *data;

  section = tern_imap_fetch_find_section (response->fetch, TERN_IMAP_SECTION_BINARY, "1");
  data = g_bytes_get_data (section->data, &len);
  g_assert_cmpmem (data, len, "he\0llo", 6);
  section = tern_imap_fetch_find_section (response->fetch, TERN_IMAP_SECTION_BINARY_SIZE, "2");
  g_assert_cmpuint (section->size, ==, 2048);
  section = tern_imap_fetch_find_section (response->fetch, TERN_IMAP_SECTION_BINARY, "3");
  g_assert_nonnull (section->data);
  g_assert_cmpuint (g_bytes_get_size (section->data), ==, 0);

  /* literal8 only where binary data may be */
  expect_error ("* 1 FETCH (BODY[1] ~{3}\r\nabc)\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

static void
test_fetch_rfc822 (void)
{
  g_autoptr(TernImapResponse) response =
    parse_one ("* 4 FETCH (RFC822.HEADER {11}\r\nFrom: a\r\n\r\n RFC822.TEXT NIL UID 9 RFC822 \"x\")\r\n");
  const TernImapFetchSection *section;

  section = tern_imap_fetch_find_section (response->fetch, TERN_IMAP_SECTION_RFC822_HEADER, NULL);
  g_assert_cmpuint (g_bytes_get_size (section->data), ==, 11);
  section = tern_imap_fetch_find_section (response->fetch, TERN_IMAP_SECTION_RFC822_TEXT, NULL);
  g_assert_null (section->data);
  section = tern_imap_fetch_find_section (response->fetch, TERN_IMAP_SECTION_RFC822, NULL);
  g_assert_cmpuint (g_bytes_get_size (section->data), ==, 1);
  g_assert_cmpuint (response->fetch->uid, ==, 9);
}

/* Unknown items are skipped, whatever their shape. */
static void
test_fetch_unknown_items (void)
{
  assert_describes ("* 1 FETCH (PREVIEW \"Hi there\" UID 3 X-FOO[1.2]<5> (a \"b\" (c {1}\r\nx)) "
                    "ANNOTATION (/comment (value.priv \"x\")) SAVEDATE NIL "
                    "X-LIST ((1 2) (3 (4 (5)))) X-SET 1:3,5 FLAGS (\\Seen))\r\n",
                    "FETCH 1 UID=3 FLAGS=(\"\\\\Seen\")");
  /* a repeated item replaces the earlier one */
  assert_describes ("* 1 FETCH (UID 3 UID 4 FLAGS (a) FLAGS (b))\r\n",
                    "FETCH 1 UID=4 FLAGS=(\"b\")");
}

static void
test_internaldate (void)
{
  static const struct {
    const char *date;
    gint64      unix_time;
  } dates[] = {
    { "01-Jan-1970 00:00:00 +0000", 0 },
    { " 1-Jan-1970 01:00:00 +0100", 0 },
    { "1-jan-1970 00:00:00 -0000", 0 },
    { "31-Dec-1969 19:00:00 -0500", 0 },
    { "29-Feb-2024 12:00:00 +0000", 1709208000 },
    { "17-Jul-1996 02:44:25 -0700", 837596665 },
    { "31-Dec-2023 23:59:60 +0000", 1704067199 },   /* a leap second */
  };
  static const char * const invalid[] = {
    "", "32-Jan-2024 00:00:00 +0000", "29-Feb-2023 00:00:00 +0000", "01-Foo-2024 00:00:00 +0000",
    "01-Jan-2024 24:00:00 +0000", "01-Jan-2024 00:00:00", "01-Jan-2024 00:00:00 0000",
    "01-Jan-2024 00:00:00 +00", "01-Jan-24 00:00:00 +0000", "01-Jan-2024 00:00:00 +0000 ",
    "001-Jan-2024 00:00:00 +0000", "01-Jan-2024 00:60:00 +0000", "01-Jan-2024 00:00:00 +0060",
  };

  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    {
      g_autofree char *text = g_strdup_printf ("* 1 FETCH (INTERNALDATE \"%s\")\r\n", dates[i].date);
      g_autoptr(TernImapResponse) response = parse_one (text);

      g_assert_cmpint (response->fetch->internaldate, ==, dates[i].unix_time);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *text = g_strdup_printf ("* 1 FETCH (INTERNALDATE \"%s\")\r\n", invalid[i]);

      expect_error (text, TERN_IMAP_ERROR_PROTOCOL);
    }
}

/* BODYSTRUCTURE --------------------------------------------------------------- */

static const char nested_structure[] =
  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 25 1 NIL (\"inline\" NIL) NIL NIL)"
  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 900 "
  "(\"Tue, 2 Jan 2024 08:00:00 +0000\" \"Fwd\" ((NIL NIL \"x\" \"example.com\")) NIL NIL NIL NIL NIL NIL NIL) "
  "(((\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)(\"text\" \"html\" NIL NIL NIL "
  "\"7bit\" 20 2 NIL NIL NIL NIL) "
  "\"alternative\" (\"boundary\" \"inner\") NIL NIL NIL)"
  "(\"image\" \"png\" (\"name\" \"a.png\") \"<img1@x>\" NIL \"base64\" 300 NIL NIL NIL NIL) "
  "\"related\" NIL NIL NIL NIL) "
  "30 \"md5sum\" (\"attachment\" (\"filename\" \"fwd.eml\")) (\"en\" \"de\") \"http://example.com/loc\" "
  "(\"x\" 1 (2 \"y\")))"
  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 100 "
  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1) 3)"
  " \"mixed\" (\"boundary\" \"outer\") NIL \"fr\")";

static void
test_bodystructure_nested (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapBodyPart) root = tern_imap_parse_bodystructure (nested_structure, -1, NULL, &error);
  const TernImapBodyPart *part;
  static const struct {
    const char *section;
    const char *type;
    const char *subtype;
  } expected[] = {
    { "1", "text", "plain" },
    { "2", "message", "rfc822" },
    { "2.1", "multipart", "alternative" },
    { "2.1.1", "text", "plain" },
    { "2.1.2", "text", "html" },
    { "2.2", "image", "png" },
    { "3", "message", "rfc822" },
    { "3.1", "text", "plain" },
  };

  g_assert_no_error (error);
  g_assert_nonnull (root);
  g_assert_null (root->section);
  g_assert_cmpstrv (root->language, ((const char * const[]) { "fr", NULL }));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      part = tern_imap_body_part_find (root, expected[i].section);
      if (part == NULL)
        g_error ("no part %s", expected[i].section);
      g_assert_cmpstr (part->type, ==, expected[i].type);
      g_assert_cmpstr (part->subtype, ==, expected[i].subtype);
    }

  part = tern_imap_body_part_find (root, "2");
  g_assert_cmpstr (part->envelope->subject, ==, "Fwd");
  g_assert_cmpuint (part->lines, ==, 30);
  g_assert_cmpstr (part->md5, ==, "md5sum");
  g_assert_cmpstr (part->disposition, ==, "attachment");
  g_assert_cmpstrv (part->language, ((const char * const[]) { "en", "de", NULL }));
  g_assert_cmpstr (part->location, ==, "http://example.com/loc");
  /* the attached message's body is a multipart/related without a number */
  g_assert_cmpstr (part->body->subtype, ==, "related");
  g_assert_null (part->body->section);

  part = tern_imap_body_part_find (root, "2.2");
  g_assert_cmpstr (part->id, ==, "<img1@x>");
  part = tern_imap_body_part_find (root, "1");
  g_assert_cmpstr (part->disposition, ==, "inline");
  g_assert_cmpuint (part->disposition_params->len, ==, 0);
  part = tern_imap_body_part_find (root, "3");
  g_assert_false (part->extended);
  g_assert_null (part->envelope->subject);
  g_assert_false (part->body->extended);
}

static void
test_bodystructure_lenient (void)
{
  static const struct {
    const char *text;
    const char *expected;
  } cases[] = {
    /* a single part at the top is part 1 */
    { "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"BASE64\" 10 1)",
      "(text/plain #1 (\"CHARSET\"=\"UTF-8\") id=NIL desc=NIL enc=\"base64\" size=10 lines=1)" },
    /* NIL where a string belongs, "()" for NIL, lines missing */
    { "(NIL NIL () NIL NIL NIL 10)",
      "(application/octet-stream #1 id=NIL desc=NIL enc=NIL size=10 lines=0)" },
    { "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 NIL \"inline\" NIL)",
      "(text/plain #1 id=NIL desc=NIL enc=\"7bit\" size=10 lines=0 md5=NIL disp=\"inline\" lang=NIL loc=NIL)" },
    /* spaces between parts, extra spaces, a message/rfc822 without envelope */
    { "( (\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)  (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 9) \"MIXED\" )",
      "(multipart/mixed (text/plain #1 id=NIL desc=NIL enc=\"7bit\" size=1 lines=1) "
      "(message/rfc822 #2 id=NIL desc=NIL enc=\"7bit\" size=9 lines=0))" },
    /* a literal for a parameter value */
    { "(\"application\" \"pdf\" (\"name\" {5}\r\nx.pdf) NIL NIL \"base64\" 3)",
      "(application/pdf #1 (\"name\"=\"x.pdf\") id=NIL desc=NIL enc=\"base64\" size=3 lines=0)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TernImapBodyPart) part = tern_imap_parse_bodystructure (cases[i].text, -1, NULL, &error);
      g_autofree char *fetch = g_strdup_printf ("* 1 FETCH (BODY %s)\r\n", cases[i].text);
      g_autoptr(TernImapResponse) response = NULL;
      g_autofree char *description = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (part);
      response = parse_one (fetch);
      description = tern_imap_response_to_string (response);
      g_assert_true (g_str_has_prefix (description, "FETCH 1 BODY="));
      g_assert_cmpstr (description + strlen ("FETCH 1 BODY="), ==, cases[i].expected);
    }
}

static void
test_bodystructure_invalid (void)
{
  static const char * const invalid[] = {
    "",
    "(",
    "()",
    "(\"text\" \"plain\" NIL NIL NIL \"7bit\")",
    "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 10) trailing",
    "(\"text\" \"plain\" NIL NIL NIL \"7bit\" -1)",
    "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 4294967296)",
    "(\"text\" \"plain\" (\"a\") NIL NIL \"7bit\" 1)",
    "((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1)",
    "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1)\r\n(\"text\")",
    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 9 (NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 1) 1)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TernImapBodyPart) part = tern_imap_parse_bodystructure (invalid[i], -1, NULL, &error);

      if (part != NULL)
        g_error ("“%s” parsed", invalid[i]);
      g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_PROTOCOL);
    }
}

/* Envelopes and the GMime helpers ------------------------------------------------ */

static void
test_envelope_addresses (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(TernImapResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  const char *start = strstr (exchange, "* 3 FETCH");
  const char *end = strstr (start, "\r\n") + 2;
  const TernImapEnvelope *envelope;
  InternetAddressList *list;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *name = NULL;

  tern_imap_parser_feed (parser, (const guint8 *) start, (gsize) (end - start));
  response = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);
  envelope = response->fetch->envelope;

  subject = tern_imap_decode_header_text (envelope->subject);
  g_assert_cmpstr (subject, ==, "Grüße");
  name = tern_imap_decode_header_phrase (((TernImapAddress *) g_ptr_array_index (envelope->from, 0))->name);
  g_assert_cmpstr (name, ==, "Jürgen Müller");

  list = tern_imap_address_list_to_gmime (envelope->from);
  from = internet_address_list_to_string (list, NULL, FALSE);
  g_object_unref (list);
  g_assert_cmpstr (from, ==, "Jürgen Müller <juergen@example.de>");

  g_assert_cmpuint (envelope->to->len, ==, 2);
  g_assert_cmpint (((TernImapAddress *) g_ptr_array_index (envelope->to, 0))->kind, ==, TERN_IMAP_ADDRESS_GROUP_START);
  g_assert_cmpint (((TernImapAddress *) g_ptr_array_index (envelope->to, 1))->kind, ==, TERN_IMAP_ADDRESS_GROUP_END);
  list = tern_imap_address_list_to_gmime (envelope->to);
  to = internet_address_list_to_string (list, NULL, FALSE);
  g_object_unref (list);
  g_assert_cmpstr (to, ==, "undisclosed-recipients: ;");

  g_assert_null (tern_imap_decode_header_text (NULL));
}

static void
test_envelope_groups (void)
{
  g_autoptr(TernImapResponse) response =
    parse_one ("* 1 FETCH (ENVELOPE (NIL \"s\\\\x\" NIL NIL NIL "
               "((NIL NIL \"team\" NIL)(\"A\" NIL \"a\" \"x.org\")(\"B\" NIL \"b\" \"x.org\")(NIL NIL NIL NIL)"
               "(\"C\" \"@relay\" \"c\" \"y.org\")) NIL NIL NIL NIL))\r\n");
  const TernImapEnvelope *envelope = response->fetch->envelope;
  InternetAddressList *list = tern_imap_address_list_to_gmime (envelope->to);
  g_autofree char *text = internet_address_list_to_string (list, NULL, FALSE);

  g_object_unref (list);
  g_assert_cmpstr (envelope->subject, ==, "s\\x");
  g_assert_cmpstr (((TernImapAddress *) g_ptr_array_index (envelope->to, 4))->adl, ==, "@relay");
  g_assert_cmpstr (text, ==, "team: A <a@x.org>, B <b@x.org>;, C <c@y.org>");
}

static void
test_filename (void)
{
  static const struct {
    const char *structure;
    const char *filename;
  } cases[] = {
    { "(\"application\" \"pdf\" (\"name\" \"plain.pdf\") NIL NIL \"base64\" 3)", "plain.pdf" },
    { "(\"application\" \"pdf\" NIL NIL NIL \"base64\" 3 NIL (\"attachment\" (\"filename\" "
      "\"=?utf-8?B?w7xiZXIucGRm?=\")) NIL NIL)",
      "über.pdf" },
    { "(\"application\" \"pdf\" NIL NIL NIL \"base64\" 3 NIL (\"attachment\" (\"filename*\" "
      "\"utf-8''%E2%82%AC%20rate.pdf\")) NIL NIL)",
      "€ rate.pdf" },
    { "(\"application\" \"pdf\" NIL NIL NIL \"base64\" 3 NIL "
      "(\"attachment\" (\"filename*0*\" \"utf-8''long%20\" \"filename*1\" \"name.txt\")) NIL NIL)",
      "long name.txt" },
    { "(\"application\" \"pdf\" (\"name\" \"../../.bashrc\") NIL NIL \"base64\" 3)", ".._.._.bashrc" },
    { "(\"application\" \"pdf\" (\"name\" \"..\") NIL NIL \"base64\" 3)", NULL },
    { "(\"application\" \"pdf\" (\"name\" \"a\\\\b\") NIL NIL \"base64\" 3)", "a_b" },
    { "(\"application\" \"pdf\" NIL NIL NIL \"base64\" 3)", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TernImapBodyPart) part = tern_imap_parse_bodystructure (cases[i].structure, -1, NULL, &error);
      g_autofree char *filename = NULL;

      g_assert_no_error (error);
      filename = tern_imap_body_part_dup_filename (part);
      g_assert_cmpstr (filename, ==, cases[i].filename);
    }
}

/* Responses and codes ------------------------------------------------------------ */

static void
test_codes (void)
{
  static const struct {
    const char       *line;
    TernImapCodeKind  kind;
    const char       *description;
  } cases[] = {
    { "* OK [ALERT] <b>Disk</b> full\r\n", TERN_IMAP_CODE_ALERT,
      "STATUS OK [ALERT] \"<b>Disk</b> full\"" },
    { "a NO [BADCHARSET (UTF-8 \"US-ASCII\")] charset\r\n", TERN_IMAP_CODE_BADCHARSET,
      "TAGGED \"a\" NO [BADCHARSET (\"UTF-8\" \"US-ASCII\")] \"charset\"" },
    { "a NO [BADCHARSET] charset\r\n", TERN_IMAP_CODE_BADCHARSET, "TAGGED \"a\" NO [BADCHARSET] \"charset\"" },
    { "* NO [PARSE] bad header\r\n", TERN_IMAP_CODE_PARSE, "STATUS NO [PARSE] \"bad header\"" },
    { "* OK [READ-ONLY] ro\r\n", TERN_IMAP_CODE_READ_ONLY, "STATUS OK [READ-ONLY] \"ro\"" },
    { "* OK [UIDNOTSTICKY] x\r\n", TERN_IMAP_CODE_UIDNOTSTICKY, "STATUS OK [UIDNOTSTICKY] \"x\"" },
    { "* OK [UIDNEXT 0] x\r\n", TERN_IMAP_CODE_UIDNEXT, "STATUS OK [UIDNEXT 0] \"x\"" },
    { "a OK [APPENDUID 38505 3955:3957] done\r\n", TERN_IMAP_CODE_APPENDUID,
      "TAGGED \"a\" OK [APPENDUID 38505 3955:3957] \"done\"" },
    { "a NO [REFERRAL imap://user;AUTH=*@SERVER2/ imap://backup/] elsewhere\r\n", TERN_IMAP_CODE_REFERRAL,
      "TAGGED \"a\" NO [REFERRAL (\"imap://user;AUTH=*@SERVER2/\" \"imap://backup/\")] \"elsewhere\"" },
    { "* BYE [UNAVAILABLE] down\r\n", TERN_IMAP_CODE_UNAVAILABLE, "STATUS BYE [UNAVAILABLE] \"down\"" },
    { "a NO [AUTHORIZATIONFAILED] no\r\n", TERN_IMAP_CODE_AUTHORIZATIONFAILED,
      "TAGGED \"a\" NO [AUTHORIZATIONFAILED] \"no\"" },
    { "a NO [ALREADYEXISTS] exists\r\n", TERN_IMAP_CODE_ALREADYEXISTS, "TAGGED \"a\" NO [ALREADYEXISTS] \"exists\"" },
    { "a NO [NONEXISTENT] gone\r\n", TERN_IMAP_CODE_NONEXISTENT, "TAGGED \"a\" NO [NONEXISTENT] \"gone\"" },
    { "a OK [MODIFIED 1:5,*] x\r\n", TERN_IMAP_CODE_MODIFIED, "TAGGED \"a\" OK [MODIFIED 1:5,*] \"x\"" },
    /* unknown codes keep their name and text */
    { "* OK [X-FOO bar (baz) \"q\"] text\r\n", TERN_IMAP_CODE_UNKNOWN,
      "STATUS OK [X-FOO \"bar (baz) \\\"q\\\"\"] \"text\"" },
    { "* OK [xyzzy] text\r\n", TERN_IMAP_CODE_UNKNOWN, "STATUS OK [XYZZY] \"text\"" },
    /* known codes with broken data are kept as unknown, not fatal */
    { "* OK [UIDNEXT abc] x\r\n", TERN_IMAP_CODE_UNKNOWN, "STATUS OK [UIDNEXT \"abc\"] \"x\"" },
    { "* OK [UIDVALIDITY 4294967296] x\r\n", TERN_IMAP_CODE_UNKNOWN, "STATUS OK [UIDVALIDITY \"4294967296\"] \"x\"" },
    { "a OK [COPYUID 1 1:3] x\r\n", TERN_IMAP_CODE_UNKNOWN, "TAGGED \"a\" OK [COPYUID \"1 1:3\"] \"x\"" },
    { "a OK [APPENDUID 0 1] x\r\n", TERN_IMAP_CODE_UNKNOWN, "TAGGED \"a\" OK [APPENDUID \"0 1\"] \"x\"" },
    { "* OK [PERMANENTFLAGS \\Seen] x\r\n", TERN_IMAP_CODE_UNKNOWN,
      "STATUS OK [PERMANENTFLAGS \"\\\\Seen\"] \"x\"" },
    { "* OK [ALERT extra] x\r\n", TERN_IMAP_CODE_ALERT, "STATUS OK [ALERT] \"x\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TernImapResponse) response = parse_one (cases[i].line);
      g_autofree char *description = tern_imap_response_to_string (response);

      g_assert_nonnull (response->code);
      g_assert_cmpint (response->code->kind, ==, cases[i].kind);
      g_assert_cmpstr (description, ==, cases[i].description);
    }

  {
    g_autoptr(TernImapResponse) copyuid = parse_one ("a OK [COPYUID 7 1:3,9 100:103] x\r\n");
    TernImapSequenceIter iter;
    guint32 source, dest;
    guint n = 0;

    g_assert_cmpuint (copyuid->code->number, ==, 7);
    tern_imap_sequence_iter_init (&iter, copyuid->code->uids, 0);
    while (tern_imap_sequence_iter_next (&iter, &source))
      n++;
    g_assert_cmpuint (n, ==, tern_imap_sequence_count (copyuid->code->dest_uids, 0));
    g_assert_true (tern_imap_sequence_contains (copyuid->code->dest_uids, 103, 0));
    (void) dest;
  }

  /* "[" that never closes is text */
  assert_describes ("* OK [ALERT unterminated\r\n", "STATUS OK \"[ALERT unterminated\"");
  assert_describes ("* OK [] x\r\n", "STATUS OK \"[] x\"");
  /* the text after a code is optional */
  assert_describes ("a1 OK [READ-WRITE]\r\n", "TAGGED \"a1\" OK [READ-WRITE] \"\"");
}

static void
test_text (void)
{
  /* control characters become spaces, invalid UTF-8 U+FFFD, markup stays */
  assert_describes ("* OK a\x01" "b\tc\x7f" "d \xff\xfe <i>x</i> \xe2\x80\xae rtl\r\n",
                    "STATUS OK \"a b c d \xef\xbf\xbd\xef\xbf\xbd <i>x</i> \xe2\x80\xae rtl\"");
  assert_describes ("a1 OK\r\n", "TAGGED \"a1\" OK \"\"");
  assert_describes ("a1 ok done\r\n", "TAGGED \"a1\" OK \"done\"");
  assert_describes ("+\r\n", "CONTINUATION \"\"");
  assert_describes ("+ Ready for literal data\r\n", "CONTINUATION \"Ready for literal data\"");
  assert_describes ("* PREAUTH IMAP4rev1 server logged in as Smith\r\n",
                    "STATUS PREAUTH \"IMAP4rev1 server logged in as Smith\"");
  /* a literal at the end of a text line is taken into the text */
  assert_describes ("* OK see {5}\r\nthere and more\r\n", "STATUS OK \"see {5} there and more\"");
  /* tags may hold "]" but not "+" */
  assert_describes ("a]1 BAD x\r\n", "TAGGED \"a]1\" BAD \"x\"");
  expect_error ("a+1 OK x\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

static void
test_mailbox_names (void)
{
  static const struct {
    const char *line;
    gboolean    utf8;
    const char *name;
    const char *raw;
    gboolean    valid;
    gunichar    delimiter;
  } cases[] = {
    { "* LIST () \"/\" inbox\r\n", FALSE, "INBOX", "inbox", TRUE, '/' },
    { "* LIST () \"/\" \"Entw&APw-rfe\"\r\n", FALSE, "Entwürfe", "Entw&APw-rfe", TRUE, '/' },
    { "* LIST () \"/\" \"Entw&APw-rfe\"\r\n", TRUE, "Entw&APw-rfe", "Entw&APw-rfe", TRUE, '/' },
    { "* LIST () \"/\" \"Entwürfe\"\r\n", TRUE, "Entwürfe", "Entwürfe", TRUE, '/' },
    /* a server that sends raw UTF-8 without UTF8=ACCEPT: shown, flagged */
    { "* LIST () \"/\" \"Entwürfe\"\r\n", FALSE, "Entwürfe", "Entwürfe", FALSE, '/' },
    /* broken modified UTF-7 is shown as sent */
    { "* LIST () \"/\" \"&Jjo\"\r\n", FALSE, "&Jjo", "&Jjo", FALSE, '/' },
    { "* LIST () \"/\" \"\xff\"\r\n", TRUE, "\xef\xbf\xbd", "\xff", FALSE, '/' },
    { "* LIST () NIL Flat\r\n", FALSE, "Flat", "Flat", TRUE, 0 },
    { "* LIST () \"\\\\\" \"a\\\\b\"\r\n", FALSE, "a\\b", "a\\b", TRUE, '\\' },
    { "* LIST () \".\" {10}\r\nfoo\r\nbar\"x\r\n", FALSE, "foo  bar\"x", "foo\r\nbar\"x", FALSE, '.' },
    { "* LSUB (\\Noselect) \"/\" ~/Mail/foo]\r\n", FALSE, "~/Mail/foo]", "~/Mail/foo]", TRUE, '/' },
    { "* LIST () \"/\" \"../../.ssh\"\r\n", FALSE, "../../.ssh", "../../.ssh", TRUE, '/' },
    { "* LIST () \"/\" \"<a href=x>&ICw-\"\r\n", FALSE, "<a href=x>\xe2\x80\xac", "<a href=x>&ICw-", TRUE, '/' },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TernImapResponse) response = parse_one_full (cases[i].line, strlen (cases[i].line), cases[i].utf8);

      g_assert_nonnull (response->mailbox);
      g_assert_cmpstr (response->mailbox->name, ==, cases[i].name);
      g_assert_cmpstr (response->mailbox->raw_name, ==, cases[i].raw);
      g_assert_cmpint (response->mailbox->name_valid, ==, cases[i].valid);
      g_assert_cmpuint (response->mailbox->delimiter, ==, cases[i].delimiter);
    }

  {
    g_autoptr(TernImapResponse) response =
      parse_one ("* LIST (\\Marked \\NoInferiors \\Junk \\Important \\X-Custom Keyword) \"/\" Spam\r\n");

    g_assert_cmpuint (response->mailbox->attrs, ==, TERN_IMAP_MAILBOX_MARKED | TERN_IMAP_MAILBOX_NOINFERIORS |
                                                     TERN_IMAP_MAILBOX_JUNK | TERN_IMAP_MAILBOX_IMPORTANT);
    g_assert_cmpuint (g_strv_length (response->mailbox->attributes), ==, 6);
  }

  expect_error ("* LIST () \"//\" foo\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* LIST () \"\" foo\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* LIST () \"/\"\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* LIST \"/\" foo\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

static void
test_status_data (void)
{
  g_autoptr(TernImapResponse) response =
    parse_one ("* STATUS \"Entw&APw-rfe\" ( MESSAGES 231 UIDNEXT 44292 RECENT 0 UNSEEN 3 X-NEW (a b) "
               "HIGHESTMODSEQ 9223372036854775807 )\r\n");
  const TernImapMailboxStatus *status = response->mailbox_status;

  g_assert_cmpstr (status->name, ==, "Entwürfe");
  g_assert_cmpstr (status->raw_name, ==, "Entw&APw-rfe");
  g_assert_cmpuint (status->has, ==, TERN_IMAP_STATUS_MESSAGES | TERN_IMAP_STATUS_UIDNEXT | TERN_IMAP_STATUS_RECENT |
                                     TERN_IMAP_STATUS_UNSEEN | TERN_IMAP_STATUS_HIGHESTMODSEQ);
  g_assert_cmpuint (status->messages, ==, 231);
  g_assert_cmpuint (status->uidnext, ==, 44292);
  g_assert_cmpuint (status->highestmodseq, ==, G_MAXINT64);

  expect_error ("* STATUS INBOX (MESSAGES 4294967296)\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* STATUS INBOX (HIGHESTMODSEQ 9223372036854775808)\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* STATUS INBOX MESSAGES 1\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

static void
test_search (void)
{
  assert_describes ("* SEARCH 2 3 6\r\n", "SEARCH 2 3 6");
  assert_describes ("* SEARCH\r\n", "SEARCH");
  assert_describes ("* SEARCH \r\n", "SEARCH");
  assert_describes ("* SEARCH 4294967295 (MODSEQ 12)\r\n", "SEARCH 4294967295 MODSEQ=12");
  expect_error ("* SEARCH 0\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* SEARCH 4294967296\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* SEARCH 1 x\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* SEARCH 1 (MODSEQ 1) 2\r\n", TERN_IMAP_ERROR_PROTOCOL);

  assert_describes ("* ESEARCH (TAG \"a\") UID PARTIAL (1:10 1,3) ALL 1:3,5:*\r\n",
                    "ESEARCH TAG=\"a\" UID ALL=1:3,5:*");
  assert_describes ("* ESEARCH (TAG a) MIN 1 MAX 9 COUNT 2 MODSEQ 5\r\n",
                    "ESEARCH TAG=\"a\" MIN=1 MAX=9 COUNT=2 MODSEQ=5");
  assert_describes ("* ESEARCH\r\n", "ESEARCH");
  expect_error ("* ESEARCH (TAG \"a\") MIN 0\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* ESEARCH ALL 1:0\r\n", TERN_IMAP_ERROR_PROTOCOL);

  assert_describes ("* VANISHED 1:4294967295\r\n", "VANISHED 1:4294967295");
  expect_error ("* VANISHED (LATER) 1\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* VANISHED\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

static void
test_other_data (void)
{
  assert_describes ("* ID NIL\r\n", "ID NIL");
  assert_describes ("* ID (\"Name\" \"Cyrus\" \"version\" NIL \"name\" \"Again\")\r\n",
                    "ID name=\"Again\" version=NIL");
  assert_describes ("* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) "
                    "((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"Gemeinsam &AOQ-/\" NIL))\r\n",
                    "NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\") (\"#public/\" \"/\") "
                    "(\"Gemeinsam ä/\" NIL))");
  assert_describes ("* QUOTA \"\" (STORAGE 10 512)\r\n", "QUOTA \"\" STORAGE=10/512");
  assert_describes ("* QUOTA \"\" ()\r\n", "QUOTA \"\"");
  assert_describes ("* QUOTAROOT comp.mail.mime\r\n", "QUOTAROOT \"comp.mail.mime\" ()");
  assert_describes ("* ENABLED\r\n", "ENABLED ()");
  assert_describes ("* CAPABILITY IMAP4rev1 \r\n", "CAPABILITY (\"IMAP4rev1\")");
  assert_describes ("* 22 EXPUNGE\r\n", "EXPUNGE 22");
  assert_describes ("* 0 EXISTS\r\n", "EXISTS 0");
  assert_describes ("* 4294967295 EXISTS\r\n", "EXISTS 4294967295");
  /* what Tern does not know is kept, not fatal */
  assert_describes ("* XFOO bar (baz \"q\r\n", "UNKNOWN XFOO \"bar (baz \\\"q\"");
  assert_describes ("* 3 XWEIRD stuff\r\n", "UNKNOWN XWEIRD \"stuff\"");
  assert_describes ("* METADATA \"INBOX\" (/private/comment {3}\r\nabc)\r\n",
                    "UNKNOWN METADATA \"\\\"INBOX\\\" (/private/comment {3} abc)\"");

  expect_error ("* 0 EXPUNGE\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 0 FETCH (UID 1)\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* QUOTA \"\" (STORAGE 10)\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* ID (\"a\")\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* NAMESPACE ((\"\" \"/\")) NIL\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

/* Framing ---------------------------------------------------------------------- */

static void
test_lenient_framing (void)
{
  g_autoptr(GError) error = NULL;
  /* bare LF line ends, empty lines, several spaces, a server-side {n+} */
  static const char text[] =
    "* 1  EXISTS\n"
    "\r\n"
    "\n"
    "* 2 FETCH (UID  7   FLAGS ( \\Seen  ) BODY[] {3+}\r\nabc )  \n"
    "a1 OK  done\r\n";
  g_autoptr(GPtrArray) out = parse_stream (text, sizeof text - 1, FEED_BYTES, FALSE, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (out, 0), ==, "EXISTS 1");
  g_assert_true (g_str_has_prefix (g_ptr_array_index (out, 1),
                                   "FETCH 2 UID=7 FLAGS=(\"\\\\Seen\") BODY[\"\"]=<3 bytes>"));
  g_assert_cmpstr (g_ptr_array_index (out, 2), ==, "TAGGED \"a1\" OK \"done\"");
}

static void
test_strict (void)
{
  static const char * const malformed[] = {
    "* 1 FETCH (UID 0)\r\n",
    "* 1 FETCH (UID 1\r\n",
    "* 1 FETCH UID 1\r\n",
    "* 1 FETCH (FLAGS (\\Seen)) junk\r\n",
    "* 1 FETCH (FLAGS (\\Seen)\r\n",
    "* 1 FETCH (FLAGS \\Seen)\r\n",
    "* 1 FETCH (FLAGS (\\))\r\n",
    "* 1 FETCH (BODY[] \"unterminated)\r\n",
    "* 1 FETCH (BODY[] \"bad \\q escape\")\r\n",
    "* 1 FETCH (BODY[1 \"x\")\r\n",
    "* 1 FETCH (BODY[\xc3\xa9] \"x\")\r\n",
    "* 1 FETCH (BODY[]<x> \"x\")\r\n",
    "* 1 FETCH (BODY[] {3} )\r\n",
    "* 1 FETCH (BODY[] {3}\r\nabc {2}\r\nde)\r\n",
    "* 1 FETCH (X-GM-MSGID 18446744073709551616)\r\n",
    "* 1 FETCH (RFC822.SIZE 9223372036854775808)\r\n",
    "* 1 FETCH (MODSEQ 5)\r\n",
    "* 1 FETCH (EMAILID ())\r\n",
    "* 1 FETCH (X-UNKNOWN)\r\n",
    "* 1 FETCH ()) \r\n",
    "* 1 FETCH (UID 1)\r\n)\r\n",
    "a1 MAYBE ok\r\n",
    "a1\r\n",
    "a1 OKAY\r\n",
    "* \r\n",
    "*\r\n",
    "* 1\r\n",
    "(foo)\r\n",
    "a1 OK x\rmore\r\n",
    "* FLAGS (\\Seen \\*x)\r\n",
    "* FLAGS (\"quoted\")\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    expect_error (malformed[i], TERN_IMAP_ERROR_PROTOCOL);
}

/* Responses before a broken one come out first; then the error is final. */
static void
test_error_is_final (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(TernImapResponse) first = NULL;
  g_autoptr(TernImapResponse) none = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  static const char text[] = "* 1 EXISTS\r\n* 1 FETCH (UID x)\r\n* 2 EXISTS\r\n";

  tern_imap_parser_feed (parser, (const guint8 *) text, sizeof text - 1);
  first = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first->kind, ==, TERN_IMAP_RESPONSE_EXISTS);
  g_assert_null (tern_imap_parser_next (parser, &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "byte 15"));

  tern_imap_parser_feed (parser, (const guint8 *) "* 3 EXISTS\r\n", 12);
  none = tern_imap_parser_next (parser, &again);
  g_assert_null (none);
  g_assert_error (again, TERN_IMAP_ERROR, TERN_IMAP_ERROR_PROTOCOL);
  g_assert_cmpstr (again->message, ==, error->message);
}

/* The STARTTLS rule: nothing may be left once its OK is taken. */
static void
test_pending (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(TernImapParser) clean = tern_imap_parser_new (NULL);
  g_autoptr(TernImapResponse) ok = NULL;
  g_autoptr(TernImapResponse) clean_ok = NULL;
  g_autoptr(GError) error = NULL;
  static const char injected[] = "S1 OK Begin TLS negotiation now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n";
  static const char partial[] = "S1 OK Begin TLS negotiation now\r\n*";

  g_assert_false (tern_imap_parser_has_pending (parser));
  tern_imap_parser_feed (parser, (const guint8 *) injected, sizeof injected - 1);
  ok = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ok->kind, ==, TERN_IMAP_RESPONSE_TAGGED);
  g_assert_true (tern_imap_parser_has_pending (parser));

  tern_imap_parser_feed (clean, (const guint8 *) partial, sizeof partial - 2);
  clean_ok = tern_imap_parser_next (clean, &error);
  g_assert_no_error (error);
  g_assert_false (tern_imap_parser_has_pending (clean));
  tern_imap_parser_feed (clean, (const guint8 *) "*", 1);
  g_assert_true (tern_imap_parser_has_pending (clean));
}

static void
test_eof (void)
{
  g_autoptr(TernImapParser) clean = tern_imap_parser_new (NULL);
  g_autoptr(TernImapParser) cut = tern_imap_parser_new (NULL);
  g_autoptr(TernImapResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  tern_imap_parser_feed (clean, (const guint8 *) "* 1 EXISTS\r\n", 12);
  tern_imap_parser_feed_eof (clean);
  response = tern_imap_parser_next (clean, &error);
  g_assert_nonnull (response);
  g_assert_null (tern_imap_parser_next (clean, &error));
  g_assert_no_error (error);

  tern_imap_parser_feed (cut, (const guint8 *) "* 1 EXI", 7);
  g_assert_null (tern_imap_parser_next (cut, &error));
  g_assert_no_error (error);
  tern_imap_parser_feed_eof (cut);
  g_assert_null (tern_imap_parser_next (cut, &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_TRUNCATED);
}

/* Literal announced larger than sent: the parser waits, holds only what came,
 * and the end of the stream is a clean error. */
static void
test_short_literal (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(GError) error = NULL;
  static const char text[] = "* 1 FETCH (BODY[] {104857600}\r\nonly a few bytes";
  guint64 received, total;

  tern_imap_parser_feed (parser, (const guint8 *) text, sizeof text - 1);
  g_assert_null (tern_imap_parser_next (parser, &error));
  g_assert_no_error (error);
  g_assert_true (tern_imap_parser_get_literal_progress (parser, &received, &total));
  g_assert_cmpuint (received, ==, 16);
  g_assert_cmpuint (total, ==, 104857600);
  g_assert_true (tern_imap_parser_has_pending (parser));

  tern_imap_parser_feed_eof (parser);
  g_assert_null (tern_imap_parser_next (parser, &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "16 of 104857600"));
}

static void
test_utf8_switch (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapResponse) before = NULL;
  g_autoptr(TernImapResponse) after = NULL;
  static const char text[] = "* LIST () \"/\" \"R&-D\"\r\n* LIST () \"/\" \"R&-D\"\r\n";

  /* both lines are fed before the switch; the second is read the new way */
  tern_imap_parser_feed (parser, (const guint8 *) text, sizeof text - 1);
  before = tern_imap_parser_next (parser, &error);
  g_assert_false (tern_imap_parser_get_utf8_accept (parser));
  tern_imap_parser_set_utf8_accept (parser, TRUE);
  after = tern_imap_parser_next (parser, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (before->mailbox->name, ==, "R&D");
  g_assert_cmpstr (after->mailbox->name, ==, "R&-D");
}

static void
test_refcount (void)
{
  TernImapResponse *response = parse_one ("* 1 EXISTS\r\n");

  g_assert_true (tern_imap_response_ref (response) == response);
  tern_imap_response_unref (response);
  tern_imap_response_unref (response);
  g_assert_true (g_type_is_a (TERN_TYPE_IMAP_RESPONSE, G_TYPE_BOXED));
}

/* Abuse: every parser-abuse row of security.md ------------------------------------- */

static void
test_abuse_literal_sizes (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(GError) error = NULL;
  static const char huge[] = "* 1 FETCH (BODY[] {4294967295}\r\n";

  /* refused as soon as announced, before a byte of it is allocated */
  tern_imap_parser_feed (parser, (const guint8 *) huge, sizeof huge - 1);
  g_assert_false (tern_imap_parser_get_literal_progress (parser, NULL, NULL));
  g_assert_null (tern_imap_parser_next (parser, &error));
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_LIMIT);

  expect_error ("* 1 FETCH (BODY[] {4294967295}\r\n", TERN_IMAP_ERROR_LIMIT);
  expect_error ("* 1 FETCH (BODY[] {18446744073709551616}\r\n", TERN_IMAP_ERROR_LIMIT);
  expect_error ("* 1 FETCH (BODY[] {999999999999999999999999999999999999999999}\r\n", TERN_IMAP_ERROR_LIMIT);
  expect_error ("* 1 FETCH (BODY[] {104857601}\r\n", TERN_IMAP_ERROR_LIMIT);
  expect_error ("* 1 FETCH (BODY[] {-1}\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (BODY[] {-0}\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (BODY[] {1-2}\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (BODY[] {+}\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (BODY[] {5++}\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (BODY[] ~{-1}\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

static void
test_abuse_nesting (void)
{
  const gsize depth = 100000;
  g_autoptr(GString) fetch = g_string_new ("* 1 FETCH (X-DEEP ");
  g_autoptr(GString) structure = g_string_new ("* 1 FETCH (BODYSTRUCTURE ");
  g_autoptr(GString) flat = g_string_new (NULL);
  g_autoptr(GString) ok_depth = g_string_new ("* 1 FETCH (X-DEEP ");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapBodyPart) part = NULL;
  g_autoptr(TernImapResponse) response = NULL;

  for (gsize i = 0; i < depth; i++)
    {
      g_string_append_c (fetch, '(');
      g_string_append_c (structure, '(');
      g_string_append_c (flat, '(');
    }
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (fetch, ')');
  g_string_append (fetch, ")\r\n");
  g_string_append (structure, "\r\n");

  expect_error_full (fetch->str, fetch->len, NULL, TERN_IMAP_ERROR_LIMIT);
  expect_error_full (structure->str, structure->len, NULL, TERN_IMAP_ERROR_LIMIT);
  part = tern_imap_parse_bodystructure (flat->str, (gssize) flat->len, NULL, &error);
  g_assert_null (part);
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_LIMIT);

  /* up to the limit is fine (the FETCH list itself is one level) */
  for (guint i = 0; i < TERN_IMAP_DEFAULT_MAX_DEPTH - 1; i++)
    g_string_append_c (ok_depth, '(');
  for (guint i = 0; i < TERN_IMAP_DEFAULT_MAX_DEPTH - 1; i++)
    g_string_append_c (ok_depth, ')');
  g_string_append (ok_depth, " UID 1)\r\n");
  response = parse_one (ok_depth->str);
  g_assert_cmpuint (response->fetch->uid, ==, 1);

  /* parentheses in text are only text */
  g_string_prepend (flat, "* OK ");
  g_string_append (flat, "\r\n");
  g_clear_pointer (&response, tern_imap_response_unref);
  response = parse_one (flat->str);
  g_assert_cmpint (response->kind, ==, TERN_IMAP_RESPONSE_STATUS);
}

static void
test_abuse_deep_bodystructure (void)
{
  g_autoptr(GString) nested = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TernImapBodyPart) part = NULL;
  const TernImapBodyPart *leaf;
  const guint levels = 100;

  /* 100 levels of multipart, as deep as Dovecot nests MIME, fit */
  for (guint i = 0; i < levels; i++)
    g_string_append_c (nested, '(');
  g_string_append (nested, "\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)");
  for (guint i = 1; i < levels; i++)
    g_string_append (nested, " \"mixed\")");
  part = tern_imap_parse_bodystructure (nested->str, (gssize) nested->len, NULL, &error);
  g_assert_no_error (error);
  leaf = part;
  while (leaf->children->len > 0)
    leaf = g_ptr_array_index (leaf->children, 0);
  g_assert_cmpstr (leaf->type, ==, "text");
  g_assert_cmpuint (strlen (leaf->section), ==, 2 * (levels - 1) - 1);
}

static void
test_abuse_nul (void)
{
  static const char quoted[] = "* 1 FETCH (BODY[] \"a\0b\")\r\n";
  static const char literal[] = "* 1 FETCH (BODY[] {3}\r\na\0b)\r\n";
  static const char atom[] = "* FLAGS (a\0b)\r\n";
  static const char text[] = "* OK a\0b\r\n";
  static const char tag[] = "a\0 OK x\r\n";
  static const char envelope[] = "* 1 FETCH (ENVELOPE ({1}\r\n\0 NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n";

  expect_error_full (quoted, sizeof quoted - 1, NULL, TERN_IMAP_ERROR_PROTOCOL);
  expect_error_full (literal, sizeof literal - 1, NULL, TERN_IMAP_ERROR_PROTOCOL);
  expect_error_full (atom, sizeof atom - 1, NULL, TERN_IMAP_ERROR_PROTOCOL);
  expect_error_full (text, sizeof text - 1, NULL, TERN_IMAP_ERROR_PROTOCOL);
  expect_error_full (tag, sizeof tag - 1, NULL, TERN_IMAP_ERROR_PROTOCOL);
  expect_error_full (envelope, sizeof envelope - 1, NULL, TERN_IMAP_ERROR_PROTOCOL);
}

static void
test_abuse_atoms (void)
{
  g_autofree char *atom = g_strnfill (64 * 1024, 'a');
  g_autofree char *longest = g_strnfill (TERN_IMAP_DEFAULT_MAX_ATOM_LENGTH, 'k');
  g_autofree char *flags = g_strdup_printf ("* FLAGS (\\Seen %s)\r\n", atom);
  g_autofree char *capability = g_strdup_printf ("* CAPABILITY IMAP4rev1 %s\r\n", atom);
  g_autofree char *tagged = g_strdup_printf ("%s OK x\r\n", atom);
  g_autofree char *code = g_strdup_printf ("* OK [%s] x\r\n", atom);
  g_autofree char *mailbox = g_strdup_printf ("* LIST () \"/\" %s\r\n", atom);
  g_autofree char *fits = g_strdup_printf ("* FLAGS (%s)\r\n", longest);
  g_autoptr(TernImapResponse) response = NULL;

  expect_error (flags, TERN_IMAP_ERROR_LIMIT);
  expect_error (capability, TERN_IMAP_ERROR_LIMIT);
  expect_error (tagged, TERN_IMAP_ERROR_LIMIT);
  expect_error (code, TERN_IMAP_ERROR_LIMIT);
  expect_error (mailbox, TERN_IMAP_ERROR_LIMIT);

  response = parse_one (fits);
  g_assert_cmpuint (strlen (response->strv[0]), ==, TERN_IMAP_DEFAULT_MAX_ATOM_LENGTH);
}

static void
test_abuse_numbers (void)
{
  expect_error ("* 4294967296 FETCH (UID 1)\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 4294967296 EXISTS\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 99999999999999999999999999999 EXPUNGE\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (UID 4294967296)\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (BODY[]<4294967296> NIL)\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* 1 FETCH (MODSEQ (18446744073709551615))\r\n", TERN_IMAP_ERROR_PROTOCOL);
  expect_error ("* -1 EXISTS\r\n", TERN_IMAP_ERROR_PROTOCOL);
}

/* A line that never ends costs at most the line limit, and fails as soon as
 * it passes it, not when the sender stops. */
static void
test_abuse_endless_line (void)
{
  g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *chunk = g_malloc (64 * 1024);
  guint64 fed = 0;

  memset (chunk, 'a', 64 * 1024);
  while (error == NULL)
    {
      g_assert_cmpuint (fed, <=, TERN_IMAP_DEFAULT_MAX_LINE_LENGTH + 64 * 1024);
      tern_imap_parser_feed (parser, chunk, 64 * 1024);
      fed += 64 * 1024;
      g_assert_null (tern_imap_parser_next (parser, &error));
    }
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_LIMIT);
  g_assert_cmpuint (fed, >, TERN_IMAP_DEFAULT_MAX_LINE_LENGTH);
  g_assert_cmpuint (strlen (error->message), <, 200);

  /* the same with small limits, and the line's literals do not reset it */
  {
    TernImapLimits limits = { .max_line_length = 100 };
    g_autofree char *a = g_strnfill (60, 'a');
    g_autofree char *b = g_strnfill (60, 'b');
    g_autofree char *split = g_strdup_printf ("* 1 FETCH (%s {1}\r\nx %s)\r\n", a, b);

    expect_error_full (split, strlen (split), &limits, TERN_IMAP_ERROR_LIMIT);
  }
}

static void
test_abuse_items (void)
{
  TernImapLimits limits = { .max_items = 1000 };
  g_autoptr(GString) flags = g_string_new ("* FLAGS (");
  g_autoptr(GString) search = g_string_new ("* SEARCH");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = NULL;

  for (guint i = 0; i < 2000; i++)
    g_string_append (flags, " a");
  g_string_append (flags, ")\r\n");
  expect_error_full (flags->str, flags->len, &limits, TERN_IMAP_ERROR_LIMIT);

  /* SEARCH numbers do not count */
  for (guint i = 1; i <= 5000; i++)
    g_string_append_printf (search, " %u", i);
  g_string_append (search, "\r\n");
  out = parse_stream (search->str, search->len, FEED_WHOLE, FALSE, &limits, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1);
}

static void
test_abuse_response_size (void)
{
  TernImapLimits limits = { .max_literal_size = 1000, .max_response_size = 1500 };
  g_autofree char *one = g_strnfill (900, 'x');
  g_autofree char *two = g_strdup_printf ("* 1 FETCH (BODY[1] {900}\r\n%s BODY[2] {900}\r\n%s)\r\n", one, one);
  g_autofree char *fits = g_strdup_printf ("* 1 FETCH (BODY[1] {900}\r\n%s)\r\n", one);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = NULL;

  expect_error_full (two, strlen (two), &limits, TERN_IMAP_ERROR_LIMIT);
  out = parse_stream (fits, strlen (fits), FEED_WHOLE, FALSE, &limits, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1);
}

#if defined(__GLIBC__) && !defined(HAVE_ASAN)
static gsize
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  /* large blocks are mmapped and counted apart */
  return info.uordblks + info.hblkhd;
}
#endif

/* What the parser holds grows with what was received, never with what a
 * server announces or how it nests. */
static void
test_abuse_memory (void)
{
#if defined(__GLIBC__) && !defined(HAVE_ASAN)
  g_autofree guint8 *chunk = g_malloc (64 * 1024);
  gsize before, during;

  memset (chunk, 'x', 64 * 1024);

  /* a 100 MiB literal announced, 1 MiB sent */
  {
    g_autoptr(TernImapParser) parser = tern_imap_parser_new (NULL);
    static const char announce[] = "* 1 FETCH (BODY[] {104857600}\r\n";

    before = heap_in_use ();
    tern_imap_parser_feed (parser, (const guint8 *) announce, sizeof announce - 1);
    for (guint i = 0; i < 16; i++)
      tern_imap_parser_feed (parser, chunk, 64 * 1024);
    during = heap_in_use ();
    g_assert_cmpuint (during - before, <, 4 * 1024 * 1024);
  }

  /* a line that never ends, with a 1 MiB limit, 10 MiB sent */
  {
    TernImapLimits limits = { .max_line_length = 1024 * 1024 };
    g_autoptr(TernImapParser) parser = tern_imap_parser_new (&limits);
    g_autoptr(GError) error = NULL;

    before = heap_in_use ();
    for (guint i = 0; i < 160; i++)
      tern_imap_parser_feed (parser, chunk, 64 * 1024);
    during = heap_in_use ();
    g_assert_cmpuint (during - before, <, 3 * 1024 * 1024);
    g_assert_null (tern_imap_parser_next (parser, &error));
    g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_LIMIT);
  }
#else
  g_test_skip ("needs glibc's mallinfo2 and no AddressSanitizer");
#endif
}

/* The harness's limits, for its crashers. */
static const TernImapLimits fuzz_limits = {
  .max_line_length = 2048,
  .max_literal_size = 1024,
  .max_response_size = 4096,
  .max_depth = 16,
  .max_atom_length = 64,
  .max_items = 256,
};

/* Inputs that once broke fuzz/fuzz-imap-parser.c. Its first byte chose the
 * harness's cutting; here the rest is parsed whole, byte by byte and in
 * random pieces, with the harness's limits and the default ones, and must
 * give the same each time. */
static void
test_fuzz_regressions (void)
{
  const char *source_dir = g_getenv ("TERN_SOURCE_DIR");
  g_autofree char *path = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n_files = 0;

  if (source_dir == NULL)
    {
      g_test_skip ("TERN_SOURCE_DIR is not set");
      return;
    }
  path = g_build_filename (source_dir, "tests", "engine", "imap-fuzz-regressions", NULL);
  dir = g_dir_open (path, 0, NULL);
  g_assert_nonnull (dir);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *contents = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
      if (len == 0)
        continue;
      n_files++;
      for (guint l = 0; l < 2; l++)
        {
          const TernImapLimits *limits = l == 0 ? &fuzz_limits : NULL;
          g_autoptr(GError) whole_error = NULL;
          g_autoptr(GPtrArray) whole = parse_stream (contents + 1, len - 1, FEED_WHOLE, FALSE, limits, &whole_error);

          for (guint mode = FEED_BYTES; mode <= FEED_RANDOM; mode++)
            {
              g_autoptr(GError) error = NULL;
              g_autoptr(GPtrArray) other = parse_stream (contents + 1, len - 1, mode, FALSE, limits, &error);

              g_assert_cmpuint (other->len, ==, whole->len);
              for (guint i = 0; i < whole->len; i++)
                g_assert_cmpstr (g_ptr_array_index (other, i), ==, g_ptr_array_index (whole, i));
              g_assert_true ((error == NULL) == (whole_error == NULL));
              if (error != NULL)
                g_assert_cmpstr (error->message, ==, whole_error->message);
            }
        }
      g_clear_pointer (&contents, g_free);
    }
  g_assert_cmpuint (n_files, >, 0);
}

/* A big but honest response: a SEARCH of a million UIDs. */
static void
test_big_search (void)
{
  g_autoptr(GString) search = g_string_new ("* SEARCH");
  g_autoptr(TernImapResponse) response = NULL;

  for (guint i = 1; i <= 1000000; i++)
    g_string_append_printf (search, " %u", i * 3);
  g_string_append (search, "\r\n");
  response = parse_one (search->str);
  g_assert_cmpuint (response->numbers->len, ==, 1000000);
  g_assert_cmpuint (g_array_index (response->numbers, guint32, 999999), ==, 3000000);
}

/* Random damage to the transcripts: never a crash, never a warning, and the
 * same outcome whatever the pieces. */
static void
test_mutations (void)
{
  for (guint round = 0; round < 3000; round++)
    {
      const Transcript *transcript = &transcripts[g_test_rand_int_range (0, G_N_ELEMENTS (transcripts))];
      g_autofree char *data = g_memdup2 (transcript->data, transcript->len);
      g_autoptr(GError) whole_error = NULL;
      g_autoptr(GError) random_error = NULL;
      g_autoptr(GPtrArray) whole = NULL;
      g_autoptr(GPtrArray) pieces = NULL;
      guint n_changes = g_test_rand_int_range (1, 8);

      for (guint i = 0; i < n_changes; i++)
        {
          static const char interesting[] = "(){}[]\"\\ \r\n*+~0123456789%<>.:,";
          gsize at = g_test_rand_int_range (0, transcript->len);

          data[at] = g_test_rand_bit () ? interesting[g_test_rand_int_range (0, sizeof interesting - 1)]
                                        : (char) g_test_rand_int_range (0, 256);
        }

      whole = parse_stream (data, transcript->len, FEED_WHOLE, FALSE, NULL, &whole_error);
      pieces = parse_stream (data, transcript->len, FEED_RANDOM, FALSE, NULL, &random_error);
      g_assert_cmpuint (whole->len, ==, pieces->len);
      for (guint i = 0; i < whole->len; i++)
        g_assert_cmpstr (g_ptr_array_index (whole, i), ==, g_ptr_array_index (pieces, i));
      g_assert_true ((whole_error == NULL) == (random_error == NULL));
      if (whole_error != NULL)
        g_assert_cmpstr (whole_error->message, ==, random_error->message);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (transcripts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tern/imap/parser/transcript/%s", transcripts[i].name);

      g_test_add_data_func (path, &transcripts[i], test_transcript);
    }
  g_test_add_func ("/tern/imap/parser/fetch/fields", test_fetch_fields);
  g_test_add_func ("/tern/imap/parser/fetch/literals", test_fetch_literals);
  g_test_add_func ("/tern/imap/parser/fetch/binary", test_fetch_binary);
  g_test_add_func ("/tern/imap/parser/fetch/rfc822", test_fetch_rfc822);
  g_test_add_func ("/tern/imap/parser/fetch/unknown-items", test_fetch_unknown_items);
  g_test_add_func ("/tern/imap/parser/fetch/internaldate", test_internaldate);
  g_test_add_func ("/tern/imap/parser/bodystructure/nested", test_bodystructure_nested);
  g_test_add_func ("/tern/imap/parser/bodystructure/lenient", test_bodystructure_lenient);
  g_test_add_func ("/tern/imap/parser/bodystructure/invalid", test_bodystructure_invalid);
  g_test_add_func ("/tern/imap/parser/envelope/addresses", test_envelope_addresses);
  g_test_add_func ("/tern/imap/parser/envelope/groups", test_envelope_groups);
  g_test_add_func ("/tern/imap/parser/envelope/filename", test_filename);
  g_test_add_func ("/tern/imap/parser/codes", test_codes);
  g_test_add_func ("/tern/imap/parser/text", test_text);
  g_test_add_func ("/tern/imap/parser/mailbox-names", test_mailbox_names);
  g_test_add_func ("/tern/imap/parser/status", test_status_data);
  g_test_add_func ("/tern/imap/parser/search", test_search);
  g_test_add_func ("/tern/imap/parser/other-data", test_other_data);
  g_test_add_func ("/tern/imap/parser/framing/lenient", test_lenient_framing);
  g_test_add_func ("/tern/imap/parser/framing/strict", test_strict);
  g_test_add_func ("/tern/imap/parser/framing/error-is-final", test_error_is_final);
  g_test_add_func ("/tern/imap/parser/framing/pending", test_pending);
  g_test_add_func ("/tern/imap/parser/framing/eof", test_eof);
  g_test_add_func ("/tern/imap/parser/framing/short-literal", test_short_literal);
  g_test_add_func ("/tern/imap/parser/utf8-switch", test_utf8_switch);
  g_test_add_func ("/tern/imap/parser/refcount", test_refcount);
  g_test_add_func ("/tern/imap/parser/abuse/literal-sizes", test_abuse_literal_sizes);
  g_test_add_func ("/tern/imap/parser/abuse/nesting", test_abuse_nesting);
  g_test_add_func ("/tern/imap/parser/abuse/deep-bodystructure", test_abuse_deep_bodystructure);
  g_test_add_func ("/tern/imap/parser/abuse/nul", test_abuse_nul);
  g_test_add_func ("/tern/imap/parser/abuse/atoms", test_abuse_atoms);
  g_test_add_func ("/tern/imap/parser/abuse/numbers", test_abuse_numbers);
  g_test_add_func ("/tern/imap/parser/abuse/endless-line", test_abuse_endless_line);
  g_test_add_func ("/tern/imap/parser/abuse/items", test_abuse_items);
  g_test_add_func ("/tern/imap/parser/abuse/response-size", test_abuse_response_size);
  g_test_add_func ("/tern/imap/parser/abuse/memory", test_abuse_memory);
  g_test_add_func ("/tern/imap/parser/fuzz-regressions", test_fuzz_regressions);
  g_test_add_func ("/tern/imap/parser/big-search", test_big_search);
  g_test_add_func ("/tern/imap/parser/mutations", test_mutations);

  return g_test_run ();
}
