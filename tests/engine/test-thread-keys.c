/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-thread-keys"

#include <string.h>

#include "tern-thread-keys.h"

#define DAY (G_GINT64_CONSTANT (86400))

/* A store in miniature: what the real one keeps, answered from memory. */

typedef struct
{
  char       *message_id;
  GPtrArray  *references;
  char       *subject;
  gint64      date;
  gint64      thread_id;
} Stored;

typedef struct
{
  GPtrArray   *messages;      /* of Stored */
  GHashTable  *by_id;         /* message id → GPtrArray of Stored */
  GHashTable  *by_reference;  /* referenced id → GPtrArray of Stored */
  gint64       next_thread_id;
  guint        n_lookups;
} Store;

static void
stored_free (Stored *stored)
{
  g_free (stored->message_id);
  g_ptr_array_unref (stored->references);
  g_free (stored->subject);
  g_free (stored);
}

static Store *
store_new (void)
{
  Store *store = g_new0 (Store, 1);

  store->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) stored_free);
  store->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  store->by_reference = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  store->next_thread_id = 1;
  return store;
}

static void
store_free (Store *store)
{
  g_hash_table_unref (store->by_id);
  g_hash_table_unref (store->by_reference);
  g_ptr_array_unref (store->messages);
  g_free (store);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Store, store_free)

static void
index_add (GHashTable *index,
           const char *key,
           Stored     *stored)
{
  GPtrArray *list = g_hash_table_lookup (index, key);

  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (index, g_strdup (key), list);
    }
  g_ptr_array_add (list, stored);
}

static gint64
find_thread_by_message_id_cb (const char *message_id,
                              gpointer    user_data)
{
  Store *store = user_data;
  GPtrArray *list = g_hash_table_lookup (store->by_id, message_id);

  store->n_lookups++;
  if (list == NULL)
    return 0;
  return ((Stored *) g_ptr_array_index (list, 0))->thread_id;
}

static void
find_threads_referencing_cb (const char *message_id,
                             GArray     *thread_ids,
                             gpointer    user_data)
{
  Store *store = user_data;
  GPtrArray *list = g_hash_table_lookup (store->by_reference, message_id);

  store->n_lookups++;
  for (guint i = 0; list != NULL && i < list->len; i++)
    g_array_append_val (thread_ids, ((Stored *) g_ptr_array_index (list, i))->thread_id);
}

static gint64
find_thread_by_subject_cb (const char *normalized_subject,
                           gint64      since,
                           gint64      until,
                           gpointer    user_data)
{
  Store *store = user_data;
  gint64 middle = since / 2 + until / 2;
  Stored *best = NULL;

  store->n_lookups++;
  for (guint i = 0; i < store->messages->len; i++)
    {
      Stored *stored = g_ptr_array_index (store->messages, i);

      if (strcmp (stored->subject, normalized_subject) != 0 || stored->date < since || stored->date > until)
        continue;
      if (best == NULL || ABS (stored->date - middle) < ABS (best->date - middle))
        best = stored;
    }
  return best != NULL ? best->thread_id : 0;
}

static const TernThreadLookup lookup = {
  find_thread_by_message_id_cb,
  find_threads_referencing_cb,
  find_thread_by_subject_cb,
};

/* Places the message as the store will and applies the placement. */
static Stored *
store_add_full (Store                *store,
                const char           *message_id,
                const char           *in_reply_to,
                const char           *references,
                const char           *subject,
                gint64                date,
                TernThreadPlacement **placement_out)
{
  TernThreadMessage message = { message_id, in_reply_to, references, subject, date };
  g_autoptr(TernThreadPlacement) placement = tern_thread_place (&message, &lookup, store);
  Stored *stored;
  gint64 thread_id;

  g_assert_nonnull (placement);
  if (placement->thread_id == 0)
    g_assert_cmpuint (placement->merge_thread_ids->len, ==, 0);
  for (guint i = 0; i < placement->merge_thread_ids->len; i++)
    {
      gint64 merged = g_array_index (placement->merge_thread_ids, gint64, i);

      g_assert_cmpint (merged, >, placement->thread_id);
      if (i > 0)
        g_assert_cmpint (merged, >, g_array_index (placement->merge_thread_ids, gint64, i - 1));
    }
  if (placement->message_id != NULL)
    g_assert_false (g_ptr_array_find_with_equal_func (placement->references, placement->message_id,
                                                      g_str_equal, NULL));

  thread_id = placement->thread_id != 0 ? placement->thread_id : store->next_thread_id++;
  for (guint i = 0; i < placement->merge_thread_ids->len; i++)
    {
      gint64 merged = g_array_index (placement->merge_thread_ids, gint64, i);

      for (guint j = 0; j < store->messages->len; j++)
        {
          Stored *other = g_ptr_array_index (store->messages, j);

          if (other->thread_id == merged)
            other->thread_id = thread_id;
        }
    }

  stored = g_new0 (Stored, 1);
  stored->message_id = g_strdup (placement->message_id);
  stored->references = g_ptr_array_ref (placement->references);
  stored->subject = g_strdup (placement->normalized_subject);
  stored->date = date;
  stored->thread_id = thread_id;
  g_ptr_array_add (store->messages, stored);
  if (stored->message_id != NULL)
    index_add (store->by_id, stored->message_id, stored);
  for (guint i = 0; i < stored->references->len; i++)
    index_add (store->by_reference, g_ptr_array_index (stored->references, i), stored);

  if (placement_out != NULL)
    *placement_out = g_steal_pointer (&placement);
  return stored;
}

static Stored *
store_add (Store      *store,
           const char *message_id,
           const char *in_reply_to,
           const char *references,
           const char *subject,
           gint64      date)
{
  return store_add_full (store, message_id, in_reply_to, references, subject, date, NULL);
}

static gint64
jan (int year,
     int day)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc (year, 1, 1, 12, 0, 0);

  return g_date_time_to_unix (dt) + (day - 1) * DAY;
}

static char *
join_ids (GPtrArray *ids)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "|" : "", (char *) g_ptr_array_index (ids, i));
  return g_string_free (out, FALSE);
}

static void
test_parse_message_ids (void)
{
  struct {
    const char *header;
    const char *ids;
  } cases[] = {
    { NULL, "" },
    { "", "" },
    { "   \r\n ", "" },
    { "<>", "" },
    { "<a@b> <c@d>", "a@b|c@d" },
    { "<a@b>\r\n\t<c@d>", "a@b|c@d" },
    { "<a@b><c@d>", "a@b|c@d" },
    { "<a@b>, <c@d>", "a@b|c@d" },
    { "a@b c@d", "a@b|c@d" },
    { "<a b@c>", "ab@c" },
    { "<CAF=3D1234\r\n  abcd@mail.example.com>", "CAF=3D1234abcd@mail.example.com" },
    { "<a@b> <a@b> <c@d> <a@b>", "a@b|c@d" },
    { "<a@b> <c@d> <trunc@exa", "a@b|c@d" },
    { "<cut-off <c@d>", "c@d" },
    { "<id@x> (Alice's message of \"Mon, 1 Jan 2024 10:00:00 +0100\")", "id@x" },
    { "(comment <not@id> (nested)) <real@id>", "real@id" },
    { "\"quoted <not@id>\" <real@id>", "real@id" },
    { "Message from Alice <alice@example.com> of \"Mon\" <id@host>", "alice@example.com|id@host" },
    { "<12345.67890.JavaMail>", "12345.67890.JavaMail" },
    { "foo bar baz", "" },
    { "@ a@ @b", "" },
    { "<a@b> stray@words are ignored", "a@b" },
    { "<caf\xe9@x>", "caf\xef\xbf\xbd@x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) ids = tern_thread_parse_message_ids (cases[i].header);
      g_autofree char *joined = join_ids (ids);
      g_autofree char *escaped = g_strescape (cases[i].header ? cases[i].header : "(null)", NULL);

      g_test_message ("header: %s", escaped);
      g_assert_cmpstr (joined, ==, cases[i].ids);
    }

  {
    g_autofree char *id = tern_thread_normalize_message_id ("  <abc@example.com> ");
    g_autofree char *none = tern_thread_normalize_message_id ("garbage");

    g_assert_cmpstr (id, ==, "abc@example.com");
    g_assert_null (none);
  }
}

static void
test_normalize_subject (void)
{
  struct {
    const char *subject;
    const char *normalized;
    gboolean    is_reply;
  } cases[] = {
    { NULL, "", FALSE },
    { "", "", FALSE },
    { "hello", "hello", FALSE },
    { "Re: hello", "hello", TRUE },
    { "RE: RE: Hello   World ", "hello world", TRUE },
    { "re:hello", "hello", TRUE },
    { "Fwd: hello", "hello", FALSE },
    { "FW: Re: hello", "hello", TRUE },
    { "AW: WG: Termin", "termin", TRUE },
    { "SV: VS: Möte", "möte", TRUE },
    { "Réf: Réunion", "réunion", TRUE },
    { "Re\xcc\x81" "f: x", "x", TRUE },
    { "Antw: Vergadering", "vergadering", TRUE },
    { "回复: 会议", "会议", TRUE },
    { "回复：会议", "会议", TRUE },
    { "转发: 通知", "通知", FALSE },
    { "RE : Bonjour", "bonjour", TRUE },
    { "Re[2]: x", "x", TRUE },
    { "Re(3): x", "x", TRUE },
    { "Re^2: x", "x", TRUE },
    { "[list] Re: Topic", "topic", TRUE },
    { "Re: [list] Re: [list] Topic", "topic", TRUE },
    { "[list] Topic", "topic", FALSE },
    { "[PATCH v2 1/3] fix the frobnicator", "fix the frobnicator", FALSE },
    { "Rebase: conflicts", "rebase: conflicts", FALSE },
    { "Re x", "re x", FALSE },
    { "Re:", "", TRUE },
    { "Re: Re: Re:", "", TRUE },
    { "Müller\t\tSTRASSE\r\n stuff", "müller strasse stuff", FALSE },
    { "Straße", "strasse", FALSE },
    { "Re: caf\xe9", "caf\xef\xbf\xbd", TRUE },
    { "[not closed Re: x", "[not closed re: x", FALSE },
    { "Ｒｅ: full width", "full width", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *normalized = tern_thread_normalize_subject (cases[i].subject);
      g_autofree char *escaped = g_strescape (cases[i].subject ? cases[i].subject : "(null)", NULL);

      g_test_message ("subject: %s", escaped);
      g_assert_cmpstr (normalized, ==, cases[i].normalized);
      g_assert_cmpint (tern_thread_subject_is_reply (cases[i].subject), ==, cases[i].is_reply);
    }
}

static void
test_chain (void)
{
  g_autoptr(Store) store = store_new ();
  Stored *a = store_add (store, "<a@example.com>", NULL, NULL, "Plans", jan (2024, 1));
  Stored *b = store_add (store, "<b@example.com>", "<a@example.com>", "<a@example.com>", "Re: Plans", jan (2024, 2));
  Stored *c = store_add (store, "<c@example.com>", "<b@example.com>",
                         "<a@example.com> <b@example.com>", "Re: Re: Plans", jan (2024, 3));
  Stored *other = store_add (store, "<z@example.com>", NULL, NULL, "Other", jan (2024, 3));

  g_assert_cmpint (a->thread_id, ==, b->thread_id);
  g_assert_cmpint (a->thread_id, ==, c->thread_id);
  g_assert_cmpint (a->thread_id, !=, other->thread_id);
  g_assert_cmpint (store->next_thread_id, ==, 3);
}

static void
test_reply_before_parent (void)
{
  g_autoptr(Store) store = store_new ();
  g_autoptr(TernThreadPlacement) placement = NULL;
  Stored *c, *b, *a, *y, *x, *z;

  /* Full References: each later message finds the earlier ones. */
  c = store_add (store, "<c@x>", "<b@x>", "<a@x> <b@x>", "Re: Re: Plans", jan (2024, 3));
  b = store_add (store, "<b@x>", "<a@x>", "<a@x>", "Re: Plans", jan (2024, 2));
  a = store_add (store, "<a@x>", NULL, NULL, "Plans", jan (2024, 1));
  g_assert_cmpint (a->thread_id, ==, c->thread_id);
  g_assert_cmpint (b->thread_id, ==, c->thread_id);

  /* Only In-Reply-To: the middle message arrives last and joins two threads. */
  z = store_add (store, "<z@x>", "<y@x>", NULL, "Re: Re: Q", jan (2024, 3));
  x = store_add (store, "<x@x>", NULL, NULL, "Q", jan (2024, 1));
  g_assert_cmpint (z->thread_id, !=, x->thread_id);
  y = store_add_full (store, "<y@x>", "<x@x>", NULL, "Re: Q", jan (2024, 2), &placement);
  g_assert_cmpint (placement->thread_id, ==, MIN (z->thread_id, x->thread_id));
  g_assert_cmpuint (placement->merge_thread_ids->len, ==, 1);
  g_assert_cmpint (x->thread_id, ==, y->thread_id);
  g_assert_cmpint (z->thread_id, ==, y->thread_id);
  g_assert_cmpint (y->thread_id, !=, a->thread_id);
}

static void
test_siblings_of_missing_parent (void)
{
  g_autoptr(Store) store = store_new ();
  Stored *b = store_add (store, "<b@x>", "<lost@x>", "<lost@x>", "Re: lost", jan (2024, 2));
  Stored *c = store_add (store, "<c@x>", "<lost@x>", NULL, "Re: lost", jan (2024, 2));

  g_assert_cmpint (b->thread_id, ==, c->thread_id);
}

static void
test_broken_references (void)
{
  g_autoptr(Store) store = store_new ();
  g_autoptr(TernThreadPlacement) placement = NULL;
  g_autofree char *refs = NULL;
  Stored *a, *b, *c, *d, *e, *self, *loop1, *loop2, *dup, *cut;

  a = store_add (store, "<a@x>", NULL, NULL, "Topic", jan (2024, 1));
  /* Truncated: the cut id names nothing, the whole ones still link. */
  b = store_add_full (store, "<b@x>", NULL, "<a@x> <gone@x> <tru", "Re: Topic", jan (2024, 2), &placement);
  refs = join_ids (placement->references);
  g_assert_cmpstr (refs, ==, "a@x|gone@x");
  g_assert_cmpint (b->thread_id, ==, a->thread_id);
  /* Written without angle brackets. */
  c = store_add (store, "c@x", "b@x", "a@x b@x", "Re: Topic", jan (2024, 3));
  g_assert_cmpint (c->thread_id, ==, a->thread_id);
  g_assert_cmpstr (c->message_id, ==, "c@x");
  /* Spaces inside the id, from folding gone wrong. */
  d = store_add (store, "<d@x>", "<c\r\n @x>", NULL, "Re: Topic", jan (2024, 4));
  g_assert_cmpint (d->thread_id, ==, a->thread_id);
  /* Duplicates. */
  e = store_add (store, "<e@x>", "<d@x>", "<a@x> <a@x> <d@x> <d@x>", "Re: Topic", jan (2024, 5));
  g_assert_cmpint (e->thread_id, ==, a->thread_id);
  g_assert_cmpuint (e->references->len, ==, 2);

  /* A message that names itself is alone, and names nothing. */
  self = store_add (store, "<self@x>", "<self@x>", "<self@x>", "Re: Me", jan (2024, 1));
  g_assert_cmpint (self->thread_id, !=, a->thread_id);
  g_assert_cmpuint (self->references->len, ==, 0);
  g_assert_cmpint (store_add (store, "<self@x>", NULL, "<self@x>", "Me", jan (2024, 1))->thread_id,
                   ==, self->thread_id);

  /* Two messages naming each other: one thread, no endless walk. */
  loop1 = store_add (store, "<l1@x>", "<l2@x>", "<l2@x>", "Loop", jan (2024, 1));
  loop2 = store_add (store, "<l2@x>", "<l1@x>", "<l1@x>", "Loop", jan (2024, 1));
  g_assert_cmpint (loop1->thread_id, ==, loop2->thread_id);

  /* The same message in a second folder. */
  dup = store_add (store, "<a@x>", NULL, NULL, "Topic", jan (2024, 1));
  g_assert_cmpint (dup->thread_id, ==, a->thread_id);

  /* A References header of hundreds of ids keeps the root and the last ones. */
  {
    g_autoptr(GString) many = g_string_new ("<a@x>");
    g_autoptr(TernThreadPlacement) long_placement = NULL;

    for (guint i = 0; i < 300; i++)
      g_string_append_printf (many, " <r%u@x>", i);
    cut = store_add_full (store, "<long@x>", NULL, many->str, "Re: Topic", jan (2024, 6), &long_placement);
    g_assert_cmpuint (long_placement->references->len, ==, TERN_THREAD_MAX_REFERENCES);
    g_assert_cmpstr (g_ptr_array_index (long_placement->references, 0), ==, "a@x");
    g_assert_cmpstr (g_ptr_array_index (long_placement->references, TERN_THREAD_MAX_REFERENCES - 1), ==, "r299@x");
    g_assert_cmpint (cut->thread_id, ==, a->thread_id);
  }

  /* No Message-ID at all. */
  g_assert_cmpint (store_add (store, NULL, "<a@x>", NULL, "Re: Topic", jan (2024, 7))->thread_id, ==, a->thread_id);
  g_assert_cmpint (store_add (store, "", NULL, NULL, "Nothing", jan (2024, 7))->thread_id, !=, a->thread_id);
}

static void
test_outlook_in_reply_to_only (void)
{
  g_autoptr(Store) store = store_new ();
  Stored *a = store_add (store, "<AM0PR01MB1234@eurprd01.prod.outlook.com>", NULL, NULL,
                         "Budget", jan (2024, 1));
  Stored *b = store_add (store, "<AM0PR01MB5678@eurprd01.prod.outlook.com>",
                         "<AM0PR01MB1234@eurprd01.prod.outlook.com>", NULL, "AW: Budget", jan (2024, 2));
  Stored *c = store_add (store, "<AM0PR01MB9999@eurprd01.prod.outlook.com>",
                         "<AM0PR01MB5678@eurprd01.prod.outlook.com>", NULL, "AW: AW: Budget", jan (2024, 3));
  /* Old Emacs: the address before the id is no parent. */
  Stored *d = store_add (store, "<d@x>",
                         "Message from Bob <AM0PR01MB9999@eurprd01.prod.outlook.com> of \"Tue\" <unrelated@x>",
                         NULL, "Re: elsewhere", jan (2024, 3));

  g_assert_cmpint (a->thread_id, ==, b->thread_id);
  g_assert_cmpint (a->thread_id, ==, c->thread_id);
  g_assert_cmpint (a->thread_id, !=, d->thread_id);
}

static void
test_mailing_list (void)
{
  g_autoptr(Store) store = store_new ();
  Stored *root = store_add (store, "<root@lists>", NULL, NULL, "[gnome-devel] Release notes", jan (2024, 1));
  Stored *reply = store_add (store, "<r1@x>", "<root@lists>", "<root@lists>",
                             "[gnome-devel] Re: Release notes", jan (2024, 2));
  /* A digest reply with no headers: found by subject, tag and all. */
  Stored *headerless = store_add (store, "<r2@x>", NULL, NULL, "Re: [gnome-devel] Release notes", jan (2024, 4));

  g_assert_cmpint (root->thread_id, ==, reply->thread_id);
  g_assert_cmpint (root->thread_id, ==, headerless->thread_id);
}

static void
test_subject_fallback (void)
{
  g_autoptr(Store) store = store_new ();
  Stored *hello_2023, *reply_2023, *reply_2024, *reply_2024b, *plain, *forward, *unknown_refs, *empty;

  hello_2023 = store_add (store, "<h1@x>", NULL, NULL, "hello", jan (2023, 10));
  reply_2023 = store_add (store, "<h2@x>", NULL, NULL, "Re: hello", jan (2023, 12));
  g_assert_cmpint (reply_2023->thread_id, ==, hello_2023->thread_id);

  /* Same words, a year later: another conversation. */
  reply_2024 = store_add (store, "<h3@x>", NULL, NULL, "RE: Hello", jan (2024, 60));
  g_assert_cmpint (reply_2024->thread_id, !=, hello_2023->thread_id);
  reply_2024b = store_add (store, "<h4@x>", NULL, NULL, "Re: hello", jan (2024, 65));
  g_assert_cmpint (reply_2024b->thread_id, ==, reply_2024->thread_id);

  /* Just inside and just outside the window. */
  g_assert_cmpint (store_add (store, "<h5@x>", NULL, NULL, "Re: hello",
                              jan (2024, 65) + TERN_THREAD_SUBJECT_WINDOW)->thread_id, ==, reply_2024->thread_id);
  g_assert_cmpint (store_add (store, "<h6@x>", NULL, NULL, "Re: hello",
                              jan (2024, 65) + 3 * TERN_THREAD_SUBJECT_WINDOW)->thread_id, !=, reply_2024->thread_id);

  /* Only replies are placed by subject. */
  plain = store_add (store, "<h7@x>", NULL, NULL, "hello", jan (2023, 11));
  g_assert_cmpint (plain->thread_id, !=, hello_2023->thread_id);
  forward = store_add (store, "<h8@x>", NULL, NULL, "Fwd: hello", jan (2023, 11));
  g_assert_cmpint (forward->thread_id, !=, hello_2023->thread_id);
  /* References that name only unknown messages are still headers. */
  unknown_refs = store_add (store, "<h9@x>", "<nowhere@x>", NULL, "Re: hello", jan (2023, 11));
  g_assert_cmpint (unknown_refs->thread_id, !=, hello_2023->thread_id);
  /* "Re:" alone says nothing. */
  store_add (store, "<e1@x>", NULL, NULL, "Re:", jan (2023, 11));
  empty = store_add (store, "<e2@x>", NULL, NULL, "Re:", jan (2023, 11));
  g_assert_cmpint (empty->thread_id, ==, store->next_thread_id - 1);

  /* Without a subject lookup the store never threads by subject. */
  {
    TernThreadLookup no_subject = lookup;
    TernThreadMessage message = { "<h10@x>", NULL, NULL, "Re: hello", jan (2023, 11) };
    g_autoptr(TernThreadPlacement) placement = NULL;

    no_subject.find_thread_by_subject = NULL;
    placement = tern_thread_place (&message, &no_subject, store);
    g_assert_cmpint (placement->thread_id, ==, 0);
  }
}

static void
test_merge_two_threads (void)
{
  g_autoptr(Store) store = store_new ();
  g_autoptr(TernThreadPlacement) placement = NULL;
  Stored *a, *a2, *x, *x2, *m;

  a = store_add (store, "<a@x>", NULL, NULL, "Trip", jan (2024, 1));
  a2 = store_add (store, "<a2@x>", "<a@x>", "<a@x>", "Re: Trip", jan (2024, 2));
  x = store_add (store, "<x@x>", NULL, NULL, "Hotel", jan (2024, 1));
  x2 = store_add (store, "<x2@x>", "<x@x>", "<x@x>", "Re: Hotel", jan (2024, 2));
  g_assert_cmpint (a->thread_id, !=, x->thread_id);

  m = store_add_full (store, "<m@x>", "<x2@x>", "<a@x> <a2@x> <x@x> <x2@x>", "Re: Trip and hotel",
                      jan (2024, 3), &placement);
  g_assert_cmpint (placement->thread_id, ==, a->thread_id);
  g_assert_cmpuint (placement->merge_thread_ids->len, ==, 1);
  g_assert_cmpint (g_array_index (placement->merge_thread_ids, gint64, 0), ==, 2);
  g_assert_cmpint (m->thread_id, ==, a->thread_id);
  g_assert_cmpint (a2->thread_id, ==, a->thread_id);
  g_assert_cmpint (x->thread_id, ==, a->thread_id);
  g_assert_cmpint (x2->thread_id, ==, a->thread_id);
}

/* Randomized: the store's threads against connected components. */

typedef struct
{
  GArray      *parent;    /* of guint */
  GHashTable  *index;     /* id → node */
} UnionFind;

static guint
uf_node (UnionFind  *uf,
         const char *id)
{
  gpointer value;
  guint node;

  if (g_hash_table_lookup_extended (uf->index, id, NULL, &value))
    return GPOINTER_TO_UINT (value);
  node = uf->parent->len;
  g_array_append_val (uf->parent, node);
  g_hash_table_insert (uf->index, g_strdup (id), GUINT_TO_POINTER (node));
  return node;
}

static guint
uf_find (UnionFind *uf,
         guint      node)
{
  while (g_array_index (uf->parent, guint, node) != node)
    node = g_array_index (uf->parent, guint, node) = g_array_index (uf->parent, guint,
                                                                     g_array_index (uf->parent, guint, node));
  return node;
}

static void
uf_union (UnionFind *uf,
          guint      a,
          guint      b)
{
  a = uf_find (uf, a);
  b = uf_find (uf, b);
  if (a != b)
    g_array_index (uf->parent, guint, a) = b;
}

typedef struct
{
  char       *id;
  GPtrArray  *links;      /* the ids its headers name, as the parser must find them */
  char       *in_reply_to;
  char       *references;
} Generated;

static void
generated_clear (Generated *g)
{
  g_free (g->id);
  g_ptr_array_unref (g->links);
  g_free (g->in_reply_to);
  g_free (g->references);
}

static char *
id_of (guint n)
{
  return g_strdup_printf ("m%u.%u@test.example", n, n * 7919 % 1000);
}

/* Writes the ancestors of a message in one of the shapes real mail has. */
static void
generate_headers (Generated *g,
                  GPtrArray *ancestors)
{
  GString *refs = g_string_new (NULL);
  const char *parent = ancestors->len > 0 ? g_ptr_array_index (ancestors, ancestors->len - 1) : NULL;
  guint shape = g_test_rand_int_range (0, 8);

  if (parent == NULL)
    shape = 7;

  switch (shape)
    {
    case 0: /* well formed */
    case 1:
      for (guint i = 0; i < ancestors->len; i++)
        g_string_append_printf (refs, "%s<%s>", i > 0 ? "\r\n\t" : "", (char *) g_ptr_array_index (ancestors, i));
      g->in_reply_to = g_strdup_printf ("<%s>", parent);
      break;
    case 2: /* Outlook: In-Reply-To only */
      g->in_reply_to = g_strdup_printf ("<%s> (message of \"Mon, 1 Jan\")", parent);
      g_ptr_array_add (g->links, g_strdup (parent));
      g_string_free (refs, TRUE);
      return;
    case 3: /* truncated: the last id cut off, In-Reply-To still there */
      for (guint i = 0; i < ancestors->len; i++)
        g_string_append_printf (refs, "<%s> ", (char *) g_ptr_array_index (ancestors, i));
      g_string_append (refs, "<cut-off@tes");
      g->in_reply_to = g_strdup_printf ("<%s>", parent);
      break;
    case 4: /* no angle brackets, duplicates, and the message itself */
      for (guint i = 0; i < ancestors->len; i++)
        g_string_append_printf (refs, "%s %s ", (char *) g_ptr_array_index (ancestors, i),
                                (char *) g_ptr_array_index (ancestors, i));
      g_string_append (refs, g->id);
      break;
    case 5: /* spaces inside the ids */
      for (guint i = 0; i < ancestors->len; i++)
        {
          const char *id = g_ptr_array_index (ancestors, i);

          g_string_append_printf (refs, "<%.3s %s> ", id, id + MIN (3, strlen (id)));
        }
      break;
    case 6: /* References only, and a link to an unrelated conversation */
      for (guint i = 0; i < ancestors->len; i++)
        g_string_append_printf (refs, "<%s> ", (char *) g_ptr_array_index (ancestors, i));
      {
        g_autofree char *stray = id_of (g_test_rand_int_range (0, 1000));

        g_string_append_printf (refs, "<%s>", stray);
        if (strcmp (stray, g->id) != 0)
          g_ptr_array_add (g->links, g_strdup (stray));
      }
      break;
    case 7: /* no headers: a new conversation */
    default:
      g_string_free (refs, TRUE);
      return;
    }

  for (guint i = 0; i < ancestors->len; i++)
    g_ptr_array_add (g->links, g_strdup (g_ptr_array_index (ancestors, i)));
  g->references = g_string_free (refs, FALSE);
}

static void
check_partition (Store     *store,
                 UnionFind *uf)
{
  g_autoptr(GHashTable) root_to_thread = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) thread_to_root = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < store->messages->len; i++)
    {
      Stored *stored = g_ptr_array_index (store->messages, i);
      guint root = uf_find (uf, uf_node (uf, stored->message_id));
      gpointer thread, other_root;

      if (g_hash_table_lookup_extended (root_to_thread, GUINT_TO_POINTER (root), NULL, &thread))
        g_assert_cmpint (*(gint64 *) thread, ==, stored->thread_id);
      else
        g_hash_table_insert (root_to_thread, GUINT_TO_POINTER (root), &stored->thread_id);

      if (g_hash_table_lookup_extended (thread_to_root, &stored->thread_id, NULL, &other_root))
        g_assert_cmpuint (GPOINTER_TO_UINT (other_root), ==, root);
      else
        g_hash_table_insert (thread_to_root, &stored->thread_id, GUINT_TO_POINTER (root));
    }
}

static void
test_randomized (void)
{
  g_autoptr(Store) store = store_new ();
  g_autoptr(GArray) generated = g_array_new (FALSE, TRUE, sizeof (Generated));
  g_autoptr(GArray) parents = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  UnionFind uf = {
    g_array_new (FALSE, FALSE, sizeof (guint)),
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
  };
  guint n_threads;

  g_array_set_clear_func (generated, (GDestroyNotify) generated_clear);

  /* Conversations as trees: each message answers an earlier one or starts anew. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(GPtrArray) ancestors = g_ptr_array_new_with_free_func (g_free);
      int parent = i > 0 && g_test_rand_int_range (0, 10) >= 3 ? g_test_rand_int_range (0, i) : -1;
      Generated g = { id_of (i), g_ptr_array_new_with_free_func (g_free), NULL, NULL };

      g_array_append_val (parents, parent);
      for (int p = parent; p >= 0; p = g_array_index (parents, int, p))
        g_ptr_array_insert (ancestors, 0, id_of (p));
      generate_headers (&g, ancestors);
      g_array_append_val (generated, g);
    }

  /* Arrival in any order, and some messages twice (a copy in another folder). */
  for (guint i = 0; i < 1000; i++)
    {
      g_array_append_val (order, i);
      if (g_test_rand_int_range (0, 20) == 0)
        g_array_append_val (order, i);
    }
  for (guint i = order->len - 1; i > 0; i--)
    {
      guint j = g_test_rand_int_range (0, i + 1);
      guint tmp = g_array_index (order, guint, i);

      g_array_index (order, guint, i) = g_array_index (order, guint, j);
      g_array_index (order, guint, j) = tmp;
    }

  for (guint i = 0; i < order->len; i++)
    {
      Generated *g = &g_array_index (generated, Generated, g_array_index (order, guint, i));
      g_autofree char *subject = g_strdup_printf ("Topic %u", g_array_index (order, guint, i));
      g_autofree char *message_id = g_strdup_printf ("<%s>", g->id);
      guint node = uf_node (&uf, g->id);

      store_add (store, message_id, g->in_reply_to, g->references, subject, jan (2024, 1));
      for (guint j = 0; j < g->links->len; j++)
        uf_union (&uf, node, uf_node (&uf, g_ptr_array_index (g->links, j)));
      check_partition (store, &uf);
    }

  {
    g_autoptr(GHashTable) threads = g_hash_table_new (g_int64_hash, g_int64_equal);

    for (guint i = 0; i < store->messages->len; i++)
      g_hash_table_add (threads, &((Stored *) g_ptr_array_index (store->messages, i))->thread_id);
    n_threads = g_hash_table_size (threads);
  }
  g_test_message ("%u messages in %u threads, %u lookups", store->messages->len, n_threads, store->n_lookups);
  g_assert_cmpuint (n_threads, >, 1);
  g_assert_cmpuint (n_threads, <, 1000);

  g_array_unref (uf.parent);
  g_hash_table_unref (uf.index);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/thread/parse-message-ids", test_parse_message_ids);
  g_test_add_func ("/tern/thread/normalize-subject", test_normalize_subject);
  g_test_add_func ("/tern/thread/chain", test_chain);
  g_test_add_func ("/tern/thread/reply-before-parent", test_reply_before_parent);
  g_test_add_func ("/tern/thread/siblings-of-missing-parent", test_siblings_of_missing_parent);
  g_test_add_func ("/tern/thread/broken-references", test_broken_references);
  g_test_add_func ("/tern/thread/outlook-in-reply-to-only", test_outlook_in_reply_to_only);
  g_test_add_func ("/tern/thread/mailing-list", test_mailing_list);
  g_test_add_func ("/tern/thread/subject-fallback", test_subject_fallback);
  g_test_add_func ("/tern/thread/merge-two-threads", test_merge_two_threads);
  g_test_add_func ("/tern/thread/randomized", test_randomized);

  return g_test_run ();
}
