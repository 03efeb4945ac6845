/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-application"

#include <glib/gi18n.h>

#include "tern-account-dialog.h"
#include "tern-application.h"
#include "tern-preferences-window.h"
#include "tern-window.h"

struct _TernApplication
{
  AdwApplication      parent_instance;

  GSettings          *settings;
  TernAccountManager *account_manager;
};

G_DEFINE_FINAL_TYPE (TernApplication, tern_application, ADW_TYPE_APPLICATION)

static GtkWindow *
get_main_window (TernApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* The active window may be a dialog; its parent is the main window. */
  while (window != NULL && !TERN_IS_WINDOW (window))
    window = gtk_window_get_transient_for (window);
  if (window != NULL)
    return window;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      if (TERN_IS_WINDOW (l->data))
        return l->data;
    }
  return NULL;
}

static GtkWindow *
ensure_main_window (TernApplication *self)
{
  GtkWindow *window = get_main_window (self);

  if (window == NULL)
    window = GTK_WINDOW (tern_window_new (GTK_APPLICATION (self), self->account_manager));
  return window;
}

static void
quit_activated_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  TernApplication *self = user_data;
  g_autoptr(GList) windows = NULL;

  /* Closing (not destroying) lets each window save its state. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);

  g_application_quit (G_APPLICATION (self));
}

static void
preferences_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  TernApplication *self = user_data;
  GtkWindow *window = ensure_main_window (self);
  TernPreferencesWindow *preferences;

  preferences = tern_preferences_window_new (window);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
shortcuts_activated_cb (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  TernApplication *self = user_data;
  GtkWindow *window = ensure_main_window (self);

  /* GtkApplication attaches gtk/help-overlay.ui from our resources to each
   * application window as win.show-help-overlay. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static void
about_activated_cb (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  TernApplication *self = user_data;
  GtkWindow *window = ensure_main_window (self);
  static const char * const developers[] = { "The Tern developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", window,
                        "modal", TRUE,
                        "application-name", _("Tern"),
                        "application-icon", TERN_APP_ID,
                        "developer-name", "The Tern developers",
                        "developers", developers,
                        "version", TERN_VERSION,
                        "website", "https://github.com/ternmail/tern",
                        "issue-url", "https://github.com/ternmail/tern/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2026 The Tern developers",
                        /* Translators: Replace "translator-credits" with your name and email address, one per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
account_dialog_account_added_cb (TernWindow  *window,
                                 TernAccount *account,
                                 gpointer     dialog)
{
  g_autofree char *message = NULL;
  AdwToast *toast;

  /* Translators: %s is the name of the new account. */
  message = g_strdup_printf (_("Account “%s” added"), tern_account_get_name (account));
  toast = adw_toast_new (message);
  tern_window_add_toast (window, toast);
}

static void
add_account_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  TernApplication *self = user_data;
  GtkWindow *window = ensure_main_window (self);
  TernAccountDialog *dialog;

  gtk_window_present (window);
  dialog = tern_account_dialog_new (window, self->account_manager);
  g_signal_connect_object (dialog, "account-added",
                           G_CALLBACK (account_dialog_account_added_cb), window,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry app_entries[] = {
  { "quit", quit_activated_cb, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_activated_cb, NULL, NULL, NULL, { 0 } },
  { "shortcuts", shortcuts_activated_cb, NULL, NULL, NULL, { 0 } },
  { "about", about_activated_cb, NULL, NULL, NULL, { 0 } },
  { "add-account", add_account_activated_cb, NULL, NULL, NULL, { 0 } },
};

static int
tern_application_handle_local_options (GApplication *app,
                                       GVariantDict *options)
{
  const char *data_dir = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", "tern", TERN_VERSION);
      return 0;
    }

  if (g_variant_dict_lookup (options, "data-dir", "^&ay", &data_dir))
    tern_paths_set_data_dir (data_dir);

  /* With its own data folder this is a separate Tern: it must not hand its
   * work to an instance that is already running on other data. */
  if (data_dir != NULL || g_getenv ("TERN_DATA_DIR") != NULL)
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);

  return G_APPLICATION_CLASS (tern_application_parent_class)->handle_local_options (app, options);
}

static void
tern_application_startup (GApplication *app)
{
  TernApplication *self = TERN_APPLICATION (app);
  static const char * const quit_accels[] = { "<Control>q", NULL };
  static const char * const preferences_accels[] = { "<Control>comma", NULL };
  static const char * const shortcuts_accels[] = { "<Control>question", NULL };
  static const char * const no_accels[] = { NULL };
  g_autofree char *accounts_dir = NULL;
  g_autoptr(GError) error = NULL;

  G_APPLICATION_CLASS (tern_application_parent_class)->startup (app);

  gtk_window_set_default_icon_name (TERN_APP_ID);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries,
                                   G_N_ELEMENTS (app_entries), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  /* app.shortcuts takes over the accelerator GtkApplication gives to
   * win.show-help-overlay, so that only one action answers it. */
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", no_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.shortcuts", shortcuts_accels);

  self->settings = g_settings_new (TERN_APP_ID);
  g_settings_bind (self->settings, "color-scheme",
                   adw_style_manager_get_default (), "color-scheme",
                   G_SETTINGS_BIND_GET);

  accounts_dir = tern_paths_get_accounts_dir ();
  self->account_manager = tern_account_manager_new (accounts_dir);
  if (!tern_account_manager_load (self->account_manager, &error))
    g_warning ("%s", error->message);
  tern_account_manager_watch (self->account_manager);
}

static void
tern_application_activate (GApplication *app)
{
  TernApplication *self = TERN_APPLICATION (app);

  gtk_window_present (ensure_main_window (self));
}

static void
tern_application_open (GApplication  *app,
                       GFile        **files,
                       int            n_files,
                       const char    *hint)
{
  TernApplication *self = TERN_APPLICATION (app);
  GtkWindow *window = ensure_main_window (self);

  gtk_window_present (window);

  /* mailto: links arrive here. The composer is not there yet; say so rather
   * than dropping the request silently. */
  if (n_files > 0)
    tern_window_add_toast (TERN_WINDOW (window),
                           adw_toast_new (_("Writing messages is not available yet")));
}

static void
tern_application_dispose (GObject *object)
{
  TernApplication *self = TERN_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->account_manager);

  G_OBJECT_CLASS (tern_application_parent_class)->dispose (object);
}

static void
tern_application_class_init (TernApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = tern_application_dispose;

  app_class->handle_local_options = tern_application_handle_local_options;
  app_class->startup = tern_application_startup;
  app_class->activate = tern_application_activate;
  app_class->open = tern_application_open;
}

static void
tern_application_init (TernApplication *self)
{
  static const GOptionEntry entries[] = {
    { "data-dir", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, NULL,
      N_("Keep accounts and mail in DIR instead of the usual folders"), N_("DIR") },
    { "version", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
      N_("Show the version and exit"), NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[MAILTO-URI…]"));
  g_application_set_option_context_summary (G_APPLICATION (self), _("A mail client for GNOME"));
}

/**
 * tern_application_new:
 *
 * Returns: (transfer full): the application
 */
TernApplication *
tern_application_new (void)
{
  return g_object_new (TERN_TYPE_APPLICATION,
                       "application-id", TERN_APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/ternmail/Tern",
                       NULL);
}

/**
 * tern_application_get_account_manager:
 *
 * Returns: (transfer none) (nullable): the configured accounts, once the
 *   application has started up
 */
TernAccountManager *
tern_application_get_account_manager (TernApplication *self)
{
  g_return_val_if_fail (TERN_IS_APPLICATION (self), NULL);

  return self->account_manager;
}
