/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-window"

#include "tern-sidebar.h"
#include "tern-window.h"

/* The main window: accounts and folders | message list | reader, as two
 * nested leaflets so that a narrow window shows one pane at a time. With no
 * account configured it shows a welcome page instead. */
struct _TernWindow
{
  AdwApplicationWindow  parent_instance;

  TernAccountManager   *account_manager;
  GSettings            *settings;

  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  AdwLeaflet           *outer_leaflet;
  AdwLeaflet           *content_leaflet;
  GtkWidget            *sidebar_pane;
  TernSidebar          *sidebar;
  GtkWidget            *message_list_pane;
  AdwWindowTitle       *message_list_title;
};

G_DEFINE_FINAL_TYPE (TernWindow, tern_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ACCOUNT_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_main_page (TernWindow *self)
{
  gboolean has_accounts = FALSE;

  if (self->account_manager != NULL)
    has_accounts = g_list_model_get_n_items (G_LIST_MODEL (self->account_manager)) > 0;

  gtk_stack_set_visible_child_name (self->main_stack, has_accounts ? "mail" : "welcome");
}

static void
account_manager_items_changed_cb (TernWindow *self,
                                  guint       position,
                                  guint       removed,
                                  guint       added,
                                  GListModel *model)
{
  update_main_page (self);
}

static void
sidebar_account_activated_cb (TernWindow  *self,
                              TernAccount *account,
                              TernSidebar *sidebar)
{
  adw_window_title_set_subtitle (ADW_WINDOW_TITLE (self->message_list_title),
                                 tern_account_get_name (account));

  /* When folded, go forward to the messages of what was chosen. */
  adw_leaflet_set_visible_child (self->content_leaflet, self->message_list_pane);
  adw_leaflet_set_visible_child (self->outer_leaflet, GTK_WIDGET (self->content_leaflet));
}

static void
show_sidebar_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TernWindow *self = TERN_WINDOW (widget);

  adw_leaflet_set_visible_child (self->outer_leaflet, self->sidebar_pane);
}

static void
show_message_list_activated (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  TernWindow *self = TERN_WINDOW (widget);

  adw_leaflet_set_visible_child (self->content_leaflet, self->message_list_pane);
}

static void
set_account_manager (TernWindow         *self,
                     TernAccountManager *account_manager)
{
  g_assert (self->account_manager == NULL);

  if (account_manager == NULL)
    return;

  self->account_manager = g_object_ref (account_manager);
  g_signal_connect_object (account_manager, "items-changed",
                           G_CALLBACK (account_manager_items_changed_cb), self,
                           G_CONNECT_SWAPPED);
  tern_sidebar_set_accounts (self->sidebar, G_LIST_MODEL (account_manager));
  update_main_page (self);
}

static void
save_window_state (TernWindow *self)
{
  int width;
  int height;

  /* The default size follows the real size while the window is neither
   * maximized nor fullscreen, so it is what the next start restores. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", MAX (width, 360));
      g_settings_set_int (self->settings, "window-height", MAX (height, 294));
    }
  g_settings_apply (self->settings);
}

static void
restore_window_state (TernWindow *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
tern_window_close_request (GtkWindow *window)
{
  TernWindow *self = TERN_WINDOW (window);

  save_window_state (self);

  return GTK_WINDOW_CLASS (tern_window_parent_class)->close_request (window);
}

static void
tern_window_dispose (GObject *object)
{
  TernWindow *self = TERN_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TERN_TYPE_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->account_manager);

  G_OBJECT_CLASS (tern_window_parent_class)->dispose (object);
}

static void
tern_window_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TernWindow *self = TERN_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT_MANAGER:
      g_value_set_object (value, self->account_manager);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_window_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TernWindow *self = TERN_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT_MANAGER:
      set_account_manager (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_window_class_init (TernWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = tern_window_dispose;
  object_class->get_property = tern_window_get_property;
  object_class->set_property = tern_window_set_property;

  window_class->close_request = tern_window_close_request;

  properties[PROP_ACCOUNT_MANAGER] =
    g_param_spec_object ("account-manager", NULL, NULL,
                         TERN_TYPE_ACCOUNT_MANAGER,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TERN_TYPE_SIDEBAR);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/ternmail/Tern/window/tern-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TernWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TernWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TernWindow, outer_leaflet);
  gtk_widget_class_bind_template_child (widget_class, TernWindow, content_leaflet);
  gtk_widget_class_bind_template_child (widget_class, TernWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, TernWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, TernWindow, message_list_pane);
  gtk_widget_class_bind_template_child (widget_class, TernWindow, message_list_title);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_account_activated_cb);

  gtk_widget_class_install_action (widget_class, "window.show-sidebar", NULL, show_sidebar_activated);
  gtk_widget_class_install_action (widget_class, "window.show-message-list", NULL, show_message_list_activated);
}

static void
tern_window_init (TernWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (TERN_APP_ID);
  restore_window_state (self);
  update_main_page (self);
}

/**
 * tern_window_new:
 * @application: (nullable): the application
 * @account_manager: the configured accounts
 *
 * Returns: (transfer none): a new main window, owned by GTK
 */
TernWindow *
tern_window_new (GtkApplication     *application,
                 TernAccountManager *account_manager)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (account_manager), NULL);

  return g_object_new (TERN_TYPE_WINDOW,
                       "application", application,
                       "account-manager", account_manager,
                       NULL);
}

/**
 * tern_window_get_account_manager:
 *
 * Returns: (transfer none): the accounts the window shows
 */
TernAccountManager *
tern_window_get_account_manager (TernWindow *self)
{
  g_return_val_if_fail (TERN_IS_WINDOW (self), NULL);

  return self->account_manager;
}

/**
 * tern_window_add_toast:
 * @toast: (transfer full): the toast to show
 */
void
tern_window_add_toast (TernWindow *self,
                       AdwToast   *toast)
{
  g_return_if_fail (TERN_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
