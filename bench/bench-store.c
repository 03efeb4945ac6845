/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-store"

/* Measures the store and its models on a store made by tern-gen-store.
 * Prints "figure value" lines for bench/store/run.
 *
 *   bench-store open DIR     open + unified inbox + first 50 items, in ms
 *   bench-store items DIR    median get_item at random positions (ms), and
 *                            peak RSS (MB) with 1,000 items materialised
 *   bench-store search DIR   median two-word body search (ms)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern-engine.h"

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static long
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line ? atol (line + 6) : -1;
}

static TernStore *
open_store (const char *dir)
{
  g_autoptr(GError) error = NULL;
  TernStore *store;

  tern_paths_set_data_dir (dir);
  store = tern_store_open (tern_paths_get_data_dir (), &error);
  if (store == NULL)
    {
      g_printerr ("bench-store: %s\n", error->message);
      exit (1);
    }
  return store;
}

static int
bench_open (const char *dir)
{
  double start = now_ms ();
  g_autoptr(TernStore) store = open_store (dir);
  g_autoptr(TernMessageList) list = tern_message_list_new_unified (store, TERN_MESSAGE_LIST_ALL_INBOXES);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  double elapsed;

  for (guint i = 0; i < MIN (50, n); i++)
    {
      g_autoptr(TernMessage) message = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert (message != NULL);
    }
  elapsed = now_ms () - start;
  printf ("open-first-50 %.2f\n", elapsed);
  printf ("unified-items %u\n", n);
  return 0;
}

static void
wait_complete (TernMessageList *list)
{
  /* The background load finishes on the main context. */
  for (int i = 0; i < 200; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10 * 1000);
    }
}

static int
bench_items (const char *dir)
{
  g_autoptr(TernStore) store = open_store (dir);
  g_autoptr(TernMessageList) list = tern_message_list_new_unified (store, TERN_MESSAGE_LIST_ALL_INBOXES);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  double times[2000];

  wait_complete (list);
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      guint pos = g_rand_int_range (rand, 0, n);
      double start = now_ms ();
      TernMessage *message = g_list_model_get_item (G_LIST_MODEL (list), pos);

      times[i] = now_ms () - start;
      if (held->len < 1000)
        g_ptr_array_add (held, message);
      else
        g_object_unref (message);
    }
  printf ("get-item-median %.4f\n", median (times, G_N_ELEMENTS (times)));
  printf ("peak-rss %.1f\n", peak_rss_kb () / 1024.0);
  return 0;
}

/* Two words a person remembers from a message: taken from the indexed text
 * of random messages that have a body. */
static GPtrArray *
sample_queries (TernStore *store,
                guint      n)
{
  GPtrArray *queries = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);

  sqlite3_prepare_v2 (tern_store_get_reader (store),
                      "SELECT body FROM messages_fts WHERE rowid = (SELECT id FROM messages"
                      " WHERE id >= ? ORDER BY id LIMIT 1) AND length(body) > 0", -1, &stmt, NULL);
  for (guint tries = 0; queries->len < n && tries < n * 50; tries++)
    {
      g_auto(GStrv) words = NULL;
      guint len;
      const char *a, *b;

      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, g_rand_int_range (rand, 1, 1000000));
      if (sqlite3_step (stmt) != SQLITE_ROW)
        continue;
      words = g_strsplit_set ((const char *) sqlite3_column_text (stmt, 0), " .", -1);
      len = g_strv_length (words);
      if (len < 10)
        continue;
      a = words[g_rand_int_range (rand, 0, len)];
      b = words[g_rand_int_range (rand, 0, len)];
      if (strlen (a) < 4 || strlen (b) < 4 || g_str_equal (a, b))
        continue;
      g_ptr_array_add (queries, g_strdup_printf ("%s %s", a, b));
    }
  sqlite3_finalize (stmt);
  return queries;
}

static int
bench_search (const char *dir)
{
  g_autoptr(TernStore) store = open_store (dir);
  g_autoptr(GPtrArray) queries = sample_queries (store, 30);
  double times[30];
  guint k = 0;
  guint64 hits = 0;

  for (guint i = 0; i < queries->len; i++)
    {
      g_autoptr(GError) error = NULL;
      double start = now_ms ();
      g_autoptr(TernMessageList) list = tern_message_list_new_for_search (store, g_ptr_array_index (queries, i),
                                                                        NULL, 0, &error);

      g_assert (list != NULL);
      hits += g_list_model_get_n_items (G_LIST_MODEL (list));
      times[k++] = now_ms () - start;
    }
  if (k == 0)
    {
      g_printerr ("bench-store: no message has body text to search\n");
      return 1;
    }
  printf ("search-median %.2f\n", median (times, k));
  printf ("search-hits-mean %.0f\n", (double) hits / k);
  printf ("search-queries %u\n", k);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc != 3)
    {
      g_printerr ("usage: bench-store open|items|search DIR\n");
      return 2;
    }
  if (g_str_equal (argv[1], "open"))
    return bench_open (argv[2]);
  if (g_str_equal (argv[1], "items"))
    return bench_items (argv[2]);
  if (g_str_equal (argv[1], "search"))
    return bench_search (argv[2]);
  g_printerr ("bench-store: unknown figure %s\n", argv[1]);
  return 2;
}
