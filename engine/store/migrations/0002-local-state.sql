-- SPDX-License-Identifier: GPL-3.0-or-later
-- What exists only here: queued user actions, the POP3 ledger, the outbox and
-- the addresses seen, for autocompletion.

-- A user action, saved before it is shown done and replayed to the server once.
CREATE TABLE pending_ops (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id    TEXT NOT NULL,
  kind          TEXT NOT NULL,        -- flag unflag move copy delete expunge create-folder rename-folder delete-folder append
  folder_id     INTEGER,
  uidvalidity   INTEGER,              -- the UIDs below belong to this UIDVALIDITY only
  uids          TEXT,                 -- an IMAP UID set
  message_rows  TEXT,                 -- local message ids, space separated
  args          TEXT,                 -- JSON
  created       INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT
);
CREATE INDEX pending_ops_account ON pending_ops (account_id, id);

-- What a POP3 account has downloaded, so nothing is fetched twice.
CREATE TABLE pop3_ledger (
  account_id    TEXT NOT NULL,
  uidl          TEXT NOT NULL,
  message_row   INTEGER,              -- NULL once the message was deleted here
  downloaded    INTEGER NOT NULL,     -- Unix time
  size          INTEGER NOT NULL DEFAULT 0,
  on_server     INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, uidl)
);

CREATE TABLE outbox (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id    TEXT NOT NULL,
  created       INTEGER NOT NULL,
  send_after    INTEGER NOT NULL DEFAULT 0,   -- undo-send delay
  state         TEXT NOT NULL DEFAULT 'queued', -- queued sending sent uncertain failed
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_attempt  INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  mail_from     TEXT NOT NULL,
  recipients    TEXT NOT NULL,        -- space separated addr-specs, Bcc included
  subject       TEXT,
  file          TEXT NOT NULL,        -- the message bytes, named by the store
  saved_to_sent INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE addresses (
  address       TEXT PRIMARY KEY COLLATE NOCASE,
  name          TEXT,
  last_seen     INTEGER NOT NULL,
  times_seen    INTEGER NOT NULL DEFAULT 1
);
