/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-backoff"

#include "tern-backoff.h"

struct _TernBackoff
{
  guint                initial_ms;
  guint                max_ms;
  guint                failures;
  gint64               ready_time;   /* monotonic µs; 0: ready */
  TernBackoffClockFunc clock;
  gpointer             clock_data;
  GRand               *rand;
};

static gint64
default_clock (gpointer user_data)
{
  return g_get_monotonic_time ();
}

TernBackoff *
tern_backoff_new (guint initial_ms,
                  guint max_ms)
{
  TernBackoff *self;

  g_return_val_if_fail (initial_ms > 0, NULL);
  g_return_val_if_fail (max_ms >= initial_ms, NULL);

  self = g_new0 (TernBackoff, 1);
  self->initial_ms = initial_ms;
  self->max_ms = max_ms;
  self->clock = default_clock;
  self->rand = g_rand_new ();
  return self;
}

void
tern_backoff_free (TernBackoff *self)
{
  if (self == NULL)
    return;
  g_rand_free (self->rand);
  g_free (self);
}

void
tern_backoff_set_clock (TernBackoff          *self,
                        TernBackoffClockFunc  func,
                        gpointer              user_data)
{
  g_return_if_fail (self != NULL);

  self->clock = func != NULL ? func : default_clock;
  self->clock_data = func != NULL ? user_data : NULL;
}

void
tern_backoff_set_seed (TernBackoff *self,
                       guint32      seed)
{
  g_return_if_fail (self != NULL);
  g_rand_set_seed (self->rand, seed);
}

static guint
compute_base (TernBackoff *self)
{
  guint64 base = self->initial_ms;

  /* Saturate rather than overflow: after enough failures it is the cap. */
  for (guint i = 1; i < self->failures && base < self->max_ms; i++)
    base *= 2;
  return (guint) MIN (base, (guint64) self->max_ms);
}

guint
tern_backoff_failed (TernBackoff *self)
{
  guint base;
  guint delay;

  g_return_val_if_fail (self != NULL, 0);

  if (self->failures < G_MAXUINT)
    self->failures++;

  base = compute_base (self);
  delay = base - base / 2;
  delay += (guint) g_rand_int_range (self->rand, 0, (gint32) MIN (base / 2, (guint) G_MAXINT32 - 1) + 1);

  self->ready_time = self->clock (self->clock_data) + (gint64) delay * 1000;
  return delay;
}

void
tern_backoff_succeeded (TernBackoff *self)
{
  g_return_if_fail (self != NULL);

  self->failures = 0;
  self->ready_time = 0;
}

guint
tern_backoff_get_failures (TernBackoff *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->failures;
}

guint
tern_backoff_get_remaining (TernBackoff *self)
{
  gint64 now;

  g_return_val_if_fail (self != NULL, 0);

  if (self->ready_time == 0)
    return 0;
  now = self->clock (self->clock_data);
  if (now >= self->ready_time)
    return 0;
  /* Round up: "ready in 0 ms" must mean ready. */
  return (guint) MIN ((self->ready_time - now + 999) / 1000, (gint64) G_MAXUINT);
}

gboolean
tern_backoff_is_ready (TernBackoff *self)
{
  return tern_backoff_get_remaining (self) == 0;
}
