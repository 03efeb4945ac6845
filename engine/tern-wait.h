/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs an _async call to completion on a private main context, for tern-cli,
 * tools and tests. Never use it on the UI thread.
 *
 *   TernWait wait;
 *   tern_wait_begin (&wait);
 *   tern_store_flush_async (store, NULL, tern_wait_cb, &wait);
 *   ok = tern_store_flush_finish (store, tern_wait_end (&wait), &error);
 *   tern_wait_clear (&wait);
 */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} TernWait;

void          tern_wait_begin (TernWait     *wait);
void          tern_wait_cb    (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data);
GAsyncResult *tern_wait_end   (TernWait     *wait);
void          tern_wait_clear (TernWait     *wait);

G_END_DECLS
