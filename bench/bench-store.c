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

static int
bench_search (const char *dir)
{
  g_autoptr(TernStore) store = open_store (dir);
  static const char * const queries[] = {
    "budget meeting", "release schedule", "quarterly report", "garden photos", "shipping receipt",
    "project deadline", "conference travel", "kernel patch", "holiday plan", "team lunch",
  };
  double times[G_N_ELEMENTS (queries) * 3];
  guint k = 0;
  guint hits = 0;

  for (guint round = 0; round < 3; round++)
    for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
      {
        g_autoptr(GError) error = NULL;
        double start = now_ms ();
        g_autoptr(TernMessageList) list = tern_message_list_new_for_search (store, queries[i], NULL, 0, &error);

        g_assert (list != NULL);
        hits += g_list_model_get_n_items (G_LIST_MODEL (list));
        times[k++] = now_ms () - start;
      }
  printf ("search-median %.2f\n", median (times, k));
  printf ("search-hits %u\n", hits / 3);
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
