-- SPDX-License-Identifier: GPL-3.0-or-later
-- Accounts, folders, messages, threads and the full-text index.

CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  quota_used    INTEGER,              -- KiB, from GETQUOTAROOT
  quota_limit   INTEGER,
  quota_updated INTEGER
);

CREATE TABLE folders (
  id            INTEGER PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  path          TEXT NOT NULL,        -- the server's name, decoded to UTF-8
  name          TEXT NOT NULL,        -- the last component, for display
  parent_path   TEXT,                 -- NULL at the top level
  delimiter     TEXT,
  role          TEXT,                 -- inbox sent drafts trash junk archive, or NULL
  attributes    TEXT,                 -- LIST attributes, space separated
  local         INTEGER NOT NULL DEFAULT 0,   -- exists only here (POP3 accounts)
  uidvalidity   INTEGER NOT NULL DEFAULT 0,
  uidnext       INTEGER NOT NULL DEFAULT 0,
  highestmodseq INTEGER NOT NULL DEFAULT 0,
  total         INTEGER NOT NULL DEFAULT 0,   -- kept by triggers
  unread        INTEGER NOT NULL DEFAULT 0,   -- kept by triggers
  sync_state    TEXT,
  UNIQUE (account_id, path)
);

CREATE TABLE threads (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id    TEXT NOT NULL
);

-- AUTOINCREMENT: an id never names a second message, so a stale reference
-- (a queued action, an open reader, a list's cache) cannot reach another one.
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id    TEXT NOT NULL,
  folder_id     INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
  uid           INTEGER,              -- IMAP UID within the folder's UIDVALIDITY
  uidl          TEXT,                 -- POP3 UIDL
  message_id    TEXT,
  in_reply_to   TEXT,
  refs          TEXT,                 -- References, space separated
  thread_id     INTEGER,
  thread_subject TEXT,                -- normalised subject, for the fallback
  subject       TEXT NOT NULL DEFAULT '',
  from_name     TEXT,
  from_addr     TEXT,
  to_list       TEXT,
  cc_list       TEXT,
  date          INTEGER NOT NULL DEFAULT 0,
  internal_date INTEGER NOT NULL DEFAULT 0,
  size          INTEGER NOT NULL DEFAULT 0,
  flags         INTEGER NOT NULL DEFAULT 0,
  keywords      TEXT,
  has_attachments INTEGER NOT NULL DEFAULT 0,
  preview       TEXT,
  list_id       TEXT,
  body_state    INTEGER NOT NULL DEFAULT 0,   -- 0 none, 1 partial, 2 full
  body_file     TEXT,                 -- chosen by the store, never by a server
  error         TEXT                  -- why the message could not be read fully
);

-- Covering indexes for the message lists: they read (date, id, thread) only.
CREATE INDEX messages_folder_date ON messages (folder_id, date DESC, id DESC, thread_id);
CREATE UNIQUE INDEX messages_folder_uid ON messages (folder_id, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX messages_folder_uidl ON messages (folder_id, uidl) WHERE uidl IS NOT NULL;
CREATE INDEX messages_message_id ON messages (account_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_thread ON messages (thread_id, date);
CREATE INDEX messages_thread_subject ON messages (account_id, thread_subject, date) WHERE thread_subject IS NOT NULL;

-- Which message ids a message refers to, so a parent arriving late finds its children.
CREATE TABLE message_refs (
  account_id    TEXT NOT NULL,
  ref           TEXT NOT NULL,
  message_row   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE
);
CREATE INDEX message_refs_ref ON message_refs (account_id, ref);
CREATE INDEX message_refs_row ON message_refs (message_row);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
  subject, addresses, body,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- Inserts add to the counters in bulk, once per write (tern-store.c): a
-- per-row trigger made first syncs several times slower.

CREATE TRIGGER messages_counts_delete AFTER DELETE ON messages BEGIN
  UPDATE folders SET total = total - 1, unread = unread - ((OLD.flags & 1) = 0)
   WHERE id = OLD.folder_id;
  DELETE FROM messages_fts WHERE rowid = OLD.id;
  DELETE FROM message_refs WHERE message_row = OLD.id;
END;

CREATE TRIGGER messages_counts_update AFTER UPDATE OF flags, folder_id ON messages BEGIN
  UPDATE folders SET total = total - 1, unread = unread - ((OLD.flags & 1) = 0)
   WHERE id = OLD.folder_id;
  UPDATE folders SET total = total + 1, unread = unread + ((NEW.flags & 1) = 0)
   WHERE id = NEW.folder_id;
END;

-- The unified views: unread and flagged messages of all accounts, newest first.
CREATE INDEX messages_unread ON messages (date DESC, id DESC, folder_id, thread_id) WHERE (flags & 1) = 0;
CREATE INDEX messages_flagged ON messages (date DESC, id DESC, folder_id, thread_id) WHERE (flags & 4) != 0;
