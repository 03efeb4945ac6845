/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-gen-store"

/* Fills a store directly with synthetic mail for benchmarks and tests:
 * several accounts with the usual folders, realistic sizes, threads, dates
 * over several years, flags, previews and (for a fraction) body text for the
 * search index. Deterministic for a given --seed.
 *
 *   tern-gen-store --data-dir DIR --messages 1000000 [--accounts 3]
 *                  [--bodies 100000] [--seed 1] [--no-config]
 */

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tern-engine.h"

#define BATCH 5000

static const char * const first_names[] = {
  "Alice", "Bob", "Carol", "Dmitri", "Eve", "François", "Grace", "Hiro", "Ingrid", "José", "Kofi",
  "Lena", "Mateo", "Nadia", "Olaf", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Ursula", "Viktor",
  "Wen", "Xavier", "Yara", "Zoë", "Jürgen", "Ólafur", "Søren", "Małgorzata",
};
static const char * const last_names[] = {
  "Anders", "Baker", "Chen", "Dubois", "Evans", "Fischer", "García", "Huber", "Ivanova", "Jensen",
  "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt", "Tanaka", "Weber",
};
static const char * const domains[] = {
  "example.com", "example.org", "mail.example.net", "lists.example.org", "corp.example.com", "uni.example.edu",
};
static const char * const words[] = {
  "invoice", "meeting", "report", "quarterly", "budget", "release", "schedule", "review", "draft",
  "proposal", "lunch", "travel", "conference", "update", "question", "project", "deadline", "contract",
  "design", "feedback", "server", "backup", "holiday", "team", "plan", "notes", "agenda", "summary",
  "café", "naïve", "résumé", "Straße", "garden", "photos", "weekend", "birthday", "tickets", "order",
  "shipping", "receipt", "security", "password", "newsletter", "patch", "kernel", "build", "tests",
};
static const char * const folder_names[] = { "INBOX", "Archive", "Sent", "Lists/GNOME", "Lists/Debian", "Work", "Trash" };
static const char * const folder_roles[] = { "inbox", "archive", "sent", NULL, NULL, NULL, "trash" };
/* Share of messages per folder, in percent. */
static const guint folder_share[] = { 55, 20, 10, 6, 4, 4, 1 };

/* Real mail has a large vocabulary with a few very common words (Zipf):
 * the listed words first, then pseudo-words made of syllables, chosen with a
 * log-uniform rank so that frequency falls off as 1/rank. */
#define VOCABULARY_SIZE 30000

static const char * const syllables[] = {
  "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ber", "dan", "fel", "gor", "han", "jus",
  "kel", "lin", "mor", "nor", "pel", "quin", "ros", "sten", "tor", "ul", "ven", "wyn", "zed",
  "ar", "el", "is", "on", "ush", "ent", "ing", "ter", "ly", "al", "ic", "ous", "ment",
};

static GPtrArray *vocabulary;

static void
build_vocabulary (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  vocabulary = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      g_ptr_array_add (vocabulary, g_strdup (words[i]));
      g_hash_table_add (seen, g_ptr_array_index (vocabulary, i));
    }
  while (vocabulary->len < VOCABULARY_SIZE)
    {
      GString *word = g_string_new (NULL);
      guint n = 2 + g_rand_int_range (rand, 0, 3);

      for (guint i = 0; i < n; i++)
        g_string_append (word, syllables[g_rand_int_range (rand, 0, G_N_ELEMENTS (syllables))]);
      if (g_hash_table_contains (seen, word->str))
        {
          g_string_free (word, TRUE);
          continue;
        }
      g_ptr_array_add (vocabulary, g_string_free (word, FALSE));
      g_hash_table_add (seen, g_ptr_array_index (vocabulary, vocabulary->len - 1));
    }
}

static const char *
pick_word (GRand *rand)
{
  guint rank = (guint) pow (VOCABULARY_SIZE, g_rand_double (rand)) - 1;

  return g_ptr_array_index (vocabulary, MIN (rank, VOCABULARY_SIZE - 1));
}

static const char *
pick (GRand              *rand,
      const char * const *list,
      guint               n)
{
  return list[g_rand_int_range (rand, 0, n)];
}

#define PICK(rand, list) pick (rand, list, G_N_ELEMENTS (list))

static char *
make_sentence (GRand *rand,
               guint  n_words)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n_words; i++)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, pick_word (rand));
    }
  if (s->len > 0)
    s->str[0] = g_ascii_toupper (s->str[0]);
  return g_string_free (s, FALSE);
}

typedef struct
{
  TernStore *store;
  guint      in_flight;
  GError    *error;
} Pipeline;

static void
inserted_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Pipeline *pipeline = user_data;
  GArray *ids = tern_store_insert_messages_finish (pipeline->store, result,
                                                   pipeline->error ? NULL : &pipeline->error);

  g_clear_pointer (&ids, g_array_unref);
  pipeline->in_flight--;
}

typedef struct
{
  char   *message_id;
  char   *subject;
  char  **references;
} ThreadTip;

static void
thread_tip_clear (ThreadTip *tip)
{
  g_clear_pointer (&tip->message_id, g_free);
  g_clear_pointer (&tip->subject, g_free);
  g_clear_pointer (&tip->references, g_strfreev);
}

/* Whole messages, as a POP3 download stores them: file and summary. */
static gboolean
import_messages (TernStore   *store,
                 gint64       folder_id,
                 const char  *dir,
                 GError     **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".eml"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GBytes) raw = NULL;
      gsize len;
      TernWait wait;
      gint64 id;

      if (!g_file_get_contents (path, &contents, &len, error))
        return FALSE;
      raw = g_bytes_new_take (g_steal_pointer (&contents), len);
      tern_wait_begin (&wait);
      tern_store_add_message_async (store, folder_id, NULL, raw, NULL, tern_wait_cb, &wait);
      id = tern_store_add_message_finish (store, tern_wait_end (&wait), error);
      tern_wait_clear (&wait);
      if (id == 0)
        {
          g_prefix_error (error, "%s: ", path);
          return FALSE;
        }
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_dir = NULL;
  gint64 n_messages = 10000;
  int n_accounts = 3;
  gint64 n_bodies = 0;
  int seed = 1;
  gboolean no_config = FALSE;
  g_autofree char *import_dir = NULL;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "The data dir to fill (as tern --data-dir)", "DIR" },
    { "messages", 0, 0, G_OPTION_ARG_INT64, &n_messages, "Messages in all (default 10000)", "N" },
    { "accounts", 0, 0, G_OPTION_ARG_INT, &n_accounts, "Accounts (default 3)", "N" },
    { "bodies", 0, 0, G_OPTION_ARG_INT64, &n_bodies, "Messages with body text in the search index", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "N" },
    { "no-config", 0, 0, G_OPTION_ARG_NONE, &no_config, "Do not write account config files", NULL },
    { "import", 0, 0, G_OPTION_ARG_FILENAME, &import_dir, "Also store each *.eml file of DIR whole in the first account's INBOX", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- fill a Tern store with synthetic mail");
  g_autoptr(GError) error = NULL;
  g_autoptr(TernStore) store = NULL;
  g_autoptr(GRand) rand = NULL;
  g_autoptr(TernAccountManager) manager = NULL;
  g_autofree char *accounts_dir = NULL;
  ThreadTip tips[64] = { { 0 } };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 span = 5 * 365 * 86400LL;
  gint64 done = 0;
  gint64 start_us;
  guint n_folders = G_N_ELEMENTS (folder_names);
  g_autofree gint64 *folder_ids = NULL;
  Pipeline pipeline = { NULL, 0, NULL };
  gint64 bodies_done_us = 0;
  gint64 bodies_done_n = 0;

  setlocale (LC_ALL, "");
  build_vocabulary ();
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tern-gen-store: %s\n", error->message);
      return 2;
    }
  if (data_dir == NULL || n_messages < 0 || n_accounts < 1 || n_accounts > 26)
    {
      g_printerr ("tern-gen-store: --data-dir is required; --accounts is 1 to 26\n");
      return 2;
    }

  tern_paths_set_data_dir (data_dir);
  g_mkdir_with_parents (tern_paths_get_data_dir (), 0700);
  store = tern_store_open (tern_paths_get_data_dir (), &error);
  if (store == NULL)
    {
      g_printerr ("tern-gen-store: %s\n", error->message);
      return 1;
    }
  pipeline.store = store;
  rand = g_rand_new_with_seed (seed);
  folder_ids = g_new0 (gint64, n_accounts * n_folders);

  accounts_dir = tern_paths_get_accounts_dir ();
  manager = tern_account_manager_new (accounts_dir);
  tern_account_manager_load (manager, NULL);

  for (int a = 0; a < n_accounts; a++)
    {
      g_autofree char *id = g_strdup_printf ("gen%c", 'a' + a);
      g_autofree char *name = g_strdup_printf ("Account %c", 'A' + a);

      if (!no_config && tern_account_manager_lookup (manager, id) == NULL)
        {
          g_autoptr(TernAccount) account = tern_account_new (id);
          g_autofree char *email = g_strdup_printf ("me%c@example.com", 'a' + a);

          tern_account_set_name (account, name);
          tern_account_set_email (account, email);
          tern_account_set_host (account, "imap.example.com");
          tern_account_set_username (account, email);
          if (!tern_account_manager_add (manager, account, &error))
            {
              g_printerr ("tern-gen-store: %s\n", error->message);
              return 1;
            }
        }
      for (guint f = 0; f < n_folders; f++)
        {
          g_autoptr(TernFolderInfo) info = tern_folder_info_new (id, folder_names[f], "/", folder_roles[f]);
          TernWait wait;

          tern_wait_begin (&wait);
          tern_store_ensure_folder_async (store, info, NULL, tern_wait_cb, &wait);
          folder_ids[a * n_folders + f] = tern_store_ensure_folder_finish (store, tern_wait_end (&wait), &error);
          tern_wait_clear (&wait);
          if (error != NULL)
            {
              g_printerr ("tern-gen-store: %s\n", error->message);
              return 1;
            }
        }
    }

  if (import_dir != NULL && !import_messages (store, folder_ids[0], import_dir, &error))
    {
      g_printerr ("tern-gen-store: %s\n", error->message);
      return 1;
    }

  start_us = g_get_monotonic_time ();
  while (done < n_messages)
    {
      /* One batch per (account, folder) so each insert op targets one folder. */
      int a = g_rand_int_range (rand, 0, n_accounts);
      guint share = g_rand_int_range (rand, 0, 100);
      guint f = 0;
      /* Small stores still spread over every account and folder. */
      gint64 batch = MIN (CLAMP (n_messages / 64, 1, BATCH), n_messages - done);
      g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_message_info_free);

      for (guint acc = folder_share[0]; share >= acc && f + 1 < n_folders; acc += folder_share[++f])
        ;

      for (gint64 i = 0; i < batch; i++)
        {
          TernMessageInfo *info = tern_message_info_new ();
          gint64 n = done + i;
          ThreadTip *tip = &tips[g_rand_int_range (rand, 0, G_N_ELEMENTS (tips))];
          double age = pow (g_rand_double (rand), 2.5);   /* recent mail is denser */
          const char *first = PICK (rand, first_names);
          const char *last = PICK (rand, last_names);
          g_autofree char *sentence = make_sentence (rand, 4 + g_rand_int_range (rand, 0, 12));

          info->message_id = g_strdup_printf ("gen-%d-%" G_GINT64_FORMAT "@%s", seed, n, PICK (rand, domains));
          if (tip->message_id != NULL && g_rand_int_range (rand, 0, 100) < 30)
            {
              /* A reply continuing an earlier conversation. */
              GStrvBuilder *refs = g_strv_builder_new ();

              if (tip->references != NULL)
                g_strv_builder_addv (refs, (const char **) tip->references);
              g_strv_builder_add (refs, tip->message_id);
              info->references = g_strv_builder_end (refs);
              g_strv_builder_unref (refs);
              info->in_reply_to = g_strdup (tip->message_id);
              info->subject = g_strdup_printf ("Re: %s", tip->subject);
            }
          else
            {
              thread_tip_clear (tip);
              info->subject = make_sentence (rand, 2 + g_rand_int_range (rand, 0, 6));
              tip->subject = g_strdup (info->subject);
            }
          /* Most conversations are short; a long one starts over. */
          if (info->references == NULL || g_strv_length (info->references) < 6)
            {
              char **old_refs = tip->references;

              tip->references = g_strdupv (info->references);
              g_strfreev (old_refs);
              g_free (tip->message_id);
              tip->message_id = g_strdup (info->message_id);
            }

          info->uid = (guint32) (n + 1);
          info->from_name = g_strdup_printf ("%s %s", first, last);
          info->from_addr = g_ascii_strdown (first, -1);
          {
            char *addr = g_strdup_printf ("%s.%s@%s", info->from_addr, last, PICK (rand, domains));

            g_free (info->from_addr);
            info->from_addr = addr;
          }
          info->to = g_strdup_printf ("me%c@example.com", 'a' + a);
          info->date = now - (gint64) (age * span) - g_rand_int_range (rand, 0, 3600);
          info->internal_date = info->date + g_rand_int_range (rand, 0, 120);
          info->size = 1500 + (gint64) (exp (g_rand_double_range (rand, 0, 9))) * 40;
          info->flags = (g_rand_int_range (rand, 0, 100) < 80 ? TERN_FLAG_SEEN : 0) |
                        (g_rand_int_range (rand, 0, 100) < 5 ? TERN_FLAG_FLAGGED : 0) |
                        (g_rand_int_range (rand, 0, 100) < 3 ? TERN_FLAG_ANSWERED : 0);
          info->has_attachments = g_rand_int_range (rand, 0, 100) < 12;
          info->preview = g_strdup (sentence);
          if (n < n_bodies)
            {
              g_autofree char *more = make_sentence (rand, 40 + g_rand_int_range (rand, 0, 200));

              info->body_text = g_strconcat (sentence, ". ", more, NULL);
            }
          g_ptr_array_add (infos, info);
        }

      /* Keep the writer busy while the next batch is made. */
      pipeline.in_flight++;
      tern_store_insert_messages_async (store, folder_ids[a * n_folders + f], infos, NULL, inserted_cb, &pipeline);
      while (pipeline.in_flight >= 3)
        g_main_context_iteration (NULL, TRUE);
      if (pipeline.error != NULL)
        {
          g_printerr ("tern-gen-store: %s\n", pipeline.error->message);
          return 1;
        }
      done += batch;
      if (bodies_done_us == 0 && done >= n_bodies)
        {
          /* From here on only summaries: the path a first IMAP sync takes. */
          while (pipeline.in_flight > 0)
            g_main_context_iteration (NULL, TRUE);
          bodies_done_us = g_get_monotonic_time ();
          bodies_done_n = done;
        }
    }
  while (pipeline.in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
  if (pipeline.error != NULL)
    {
      g_printerr ("tern-gen-store: %s\n", pipeline.error->message);
      return 1;
    }

  for (guint i = 0; i < G_N_ELEMENTS (tips); i++)
    thread_tip_clear (&tips[i]);

  {
    double seconds = (g_get_monotonic_time () - start_us) / 1e6;

    double summary_seconds = bodies_done_us ? (g_get_monotonic_time () - bodies_done_us) / 1e6 : 0;

    printf ("generated %" G_GINT64_FORMAT " messages in %d accounts in %.2f s (%.0f msgs/s)\n",
            n_messages, n_accounts, seconds, seconds > 0 ? n_messages / seconds : 0.0);
    if (summary_seconds > 0 && n_messages > bodies_done_n)
      printf ("summaries only: %" G_GINT64_FORMAT " in %.2f s (%.0f summaries/s)\n",
              n_messages - bodies_done_n, summary_seconds, (n_messages - bodies_done_n) / summary_seconds);
  }
  tern_store_close (store);
  g_ptr_array_unref (vocabulary);
  return 0;
}
