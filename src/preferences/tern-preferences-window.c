/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-preferences-window"

#include "tern-preferences-window.h"

/* Every control here is bound to a GSettings key; the application applies
 * color-scheme to AdwStyleManager, the message list and reader read the
 * reading keys. */
struct _TernPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  GtkSwitch            *conversation_switch;
  AdwComboRow          *mark_read_row;
};

G_DEFINE_FINAL_TYPE (TernPreferencesWindow, tern_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The choices of the mark_read_row, in order, as mark-read-delay values. */
static const int mark_read_delays[] = { 0, 1, 3, 5, -1 };

static gboolean
mark_read_delay_to_selected (GValue   *value,
                             GVariant *variant,
                             gpointer  user_data)
{
  int delay = g_variant_get_int32 (variant);
  guint best = 0;

  if (delay < 0)
    best = G_N_ELEMENTS (mark_read_delays) - 1;
  else
    {
      /* A value set elsewhere picks the nearest choice. */
      for (guint i = 1; i < G_N_ELEMENTS (mark_read_delays) - 1; i++)
        {
          if (ABS (mark_read_delays[i] - delay) < ABS (mark_read_delays[best] - delay))
            best = i;
        }
    }

  g_value_set_uint (value, best);
  return TRUE;
}

static GVariant *
selected_to_mark_read_delay (const GValue       *value,
                             const GVariantType *expected_type,
                             gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (mark_read_delays))
    return NULL;
  return g_variant_new_int32 (mark_read_delays[selected]);
}

static void
tern_preferences_window_dispose (GObject *object)
{
  TernPreferencesWindow *self = TERN_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TERN_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tern_preferences_window_parent_class)->dispose (object);
}

static void
tern_preferences_window_class_init (TernPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tern_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/ternmail/Tern/preferences/tern-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TernPreferencesWindow, conversation_switch);
  gtk_widget_class_bind_template_child (widget_class, TernPreferencesWindow, mark_read_row);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tern_preferences_window_init (TernPreferencesWindow *self)
{
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GAction) color_scheme = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (TERN_APP_ID);

  /* A stateful action drives the three style check buttons as radios. */
  color_scheme = g_settings_create_action (self->settings, "color-scheme");
  g_action_map_add_action (G_ACTION_MAP (group), color_scheme);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "prefs", G_ACTION_GROUP (group));

  g_settings_bind (self->settings, "conversation-mode",
                   self->conversation_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "mark-read-delay",
                                self->mark_read_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                mark_read_delay_to_selected,
                                selected_to_mark_read_delay,
                                NULL, NULL);
}

/**
 * tern_preferences_window_new:
 * @parent: (nullable): the window the preferences belong to
 *
 * Returns: (transfer none): a new preferences window, owned by GTK
 */
TernPreferencesWindow *
tern_preferences_window_new (GtkWindow *parent)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (TERN_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
}
