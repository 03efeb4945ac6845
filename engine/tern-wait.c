/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-wait"

#include "tern-wait.h"

void
tern_wait_begin (TernWait *wait)
{
  wait->context = g_main_context_new ();
  wait->result = NULL;
  g_main_context_push_thread_default (wait->context);
}

void
tern_wait_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TernWait *wait = user_data;

  wait->result = g_object_ref (result);
}

/* Returns the result, owned by @wait until tern_wait_clear(). */
GAsyncResult *
tern_wait_end (TernWait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (wait->context, TRUE);
  g_main_context_pop_thread_default (wait->context);
  return wait->result;
}

void
tern_wait_clear (TernWait *wait)
{
  g_clear_object (&wait->result);
  g_clear_pointer (&wait->context, g_main_context_unref);
}
