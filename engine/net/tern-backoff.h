/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When to try again after a failed connection: exponential, capped, with
 * jitter so that many accounts (or many clients of one provider) do not
 * reconnect in step. Pure: time comes from an injectable clock.
 *
 * After the n-th failure in a row the delay is drawn uniformly from
 * [base / 2, base], base = min (initial × 2^(n-1), max). */
typedef struct _TernBackoff TernBackoff;

/* Monotonic time in microseconds, like g_get_monotonic_time(). */
typedef gint64 (*TernBackoffClockFunc) (gpointer user_data);

TernBackoff *tern_backoff_new            (guint                 initial_ms,
                                          guint                 max_ms);
void         tern_backoff_free           (TernBackoff          *self);

void         tern_backoff_set_clock      (TernBackoff          *self,
                                          TernBackoffClockFunc  func,
                                          gpointer              user_data);
/* The jitter is drawn from a GRand with this seed (random by default). */
void         tern_backoff_set_seed       (TernBackoff          *self,
                                          guint32               seed);

/* Records a failure now; returns the delay in milliseconds until the next
 * attempt may start. */
guint        tern_backoff_failed         (TernBackoff          *self);
/* Records a success: the next failure starts again from the initial delay. */
void         tern_backoff_succeeded      (TernBackoff          *self);

guint        tern_backoff_get_failures   (TernBackoff          *self);
/* Milliseconds until the next attempt may start; 0 when it may start now. */
guint        tern_backoff_get_remaining  (TernBackoff          *self);
gboolean     tern_backoff_is_ready       (TernBackoff          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernBackoff, tern_backoff_free)

G_END_DECLS
