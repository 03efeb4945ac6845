/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-backoff"

#include "tern-engine.h"

static gint64
fake_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

static void
test_grows_and_caps (void)
{
  g_autoptr(TernBackoff) backoff = tern_backoff_new (1000, 60000);
  gint64 now = 5 * G_USEC_PER_SEC;
  guint previous_base = 0;

  tern_backoff_set_clock (backoff, fake_clock, &now);
  tern_backoff_set_seed (backoff, 42);
  g_assert_true (tern_backoff_is_ready (backoff));
  g_assert_cmpuint (tern_backoff_get_failures (backoff), ==, 0);

  for (guint i = 1; i <= 20; i++)
    {
      guint base = MIN (1000u << MIN (i - 1, 20u), 60000u);
      guint delay = tern_backoff_failed (backoff);

      g_assert_cmpuint (tern_backoff_get_failures (backoff), ==, i);
      /* Jitter: within [base / 2, base], never above the cap. */
      g_assert_cmpuint (delay, >=, base - base / 2);
      g_assert_cmpuint (delay, <=, base);
      g_assert_cmpuint (delay, <=, 60000);
      g_assert_cmpuint (base, >=, previous_base);
      previous_base = base;

      g_assert_false (tern_backoff_is_ready (backoff));
      g_assert_cmpuint (tern_backoff_get_remaining (backoff), ==, delay);
      now += (gint64) delay * 1000 - 1;
      g_assert_false (tern_backoff_is_ready (backoff));
      g_assert_cmpuint (tern_backoff_get_remaining (backoff), ==, 1);
      now += 1;
      g_assert_true (tern_backoff_is_ready (backoff));
      g_assert_cmpuint (tern_backoff_get_remaining (backoff), ==, 0);
    }
}

static void
test_jitter_spreads (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  gint64 now = 0;

  /* Many clients failing at once must not all come back at once. */
  for (guint seed = 0; seed < 50; seed++)
    {
      g_autoptr(TernBackoff) backoff = tern_backoff_new (1000, 60000);

      tern_backoff_set_clock (backoff, fake_clock, &now);
      tern_backoff_set_seed (backoff, seed);
      tern_backoff_failed (backoff);
      tern_backoff_failed (backoff);
      g_hash_table_add (seen, GUINT_TO_POINTER (tern_backoff_failed (backoff)));
    }
  g_assert_cmpuint (g_hash_table_size (seen), >, 25);
}

static void
test_same_seed_same_delays (void)
{
  g_autoptr(TernBackoff) a = tern_backoff_new (500, 30000);
  g_autoptr(TernBackoff) b = tern_backoff_new (500, 30000);

  tern_backoff_set_seed (a, 7);
  tern_backoff_set_seed (b, 7);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (tern_backoff_failed (a), ==, tern_backoff_failed (b));
}

static void
test_success_resets (void)
{
  g_autoptr(TernBackoff) backoff = tern_backoff_new (1000, 60000);
  gint64 now = 0;

  tern_backoff_set_clock (backoff, fake_clock, &now);
  for (guint i = 0; i < 8; i++)
    tern_backoff_failed (backoff);
  g_assert_cmpuint (tern_backoff_get_remaining (backoff), >=, 30000);

  tern_backoff_succeeded (backoff);
  g_assert_true (tern_backoff_is_ready (backoff));
  g_assert_cmpuint (tern_backoff_get_failures (backoff), ==, 0);
  g_assert_cmpuint (tern_backoff_failed (backoff), <=, 1000);
}

static void
test_many_failures_do_not_overflow (void)
{
  g_autoptr(TernBackoff) backoff = tern_backoff_new (1, G_MAXUINT);
  gint64 now = 0;

  tern_backoff_set_clock (backoff, fake_clock, &now);
  for (guint i = 0; i < 200; i++)
    {
      guint delay = tern_backoff_failed (backoff);

      g_assert_cmpuint (delay, >=, 1);
    }
  g_assert_cmpuint (tern_backoff_get_remaining (backoff), >=, G_MAXUINT / 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/net/backoff/grows-and-caps", test_grows_and_caps);
  g_test_add_func ("/tern/net/backoff/jitter-spreads", test_jitter_spreads);
  g_test_add_func ("/tern/net/backoff/same-seed-same-delays", test_same_seed_same_delays);
  g_test_add_func ("/tern/net/backoff/success-resets", test_success_resets);
  g_test_add_func ("/tern/net/backoff/many-failures", test_many_failures_do_not_overflow);

  return g_test_run ();
}
