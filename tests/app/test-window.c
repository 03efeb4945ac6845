/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-window"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tern-account-dialog.h"
#include "tern-application.h"
#include "tern-engine.h"
#include "tern-preferences-window.h"
#include "tern-window.h"

/* The app shell on a real display (Xvfb in CI): the window must show what
 * the accounts folder holds, follow it live, and adapt to narrow widths. */

#define WAIT_TIMEOUT_USEC (10 * G_USEC_PER_SEC)

typedef struct
{
  char               *dir;
  char               *accounts_dir;
  TernAccountManager *manager;
} Fixture;

/* Helpers: files, waiting, finding widgets */

static void
remove_recursively (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_recursively (child);
        }
    }
  g_remove (path);
}

/* Writes an account file the way tern-cli does: through its own manager. */
static void
write_account (const char *accounts_dir,
               const char *name,
               const char *email,
               const char *color)
{
  g_autoptr(TernAccountManager) writer = tern_account_manager_new (accounts_dir);
  g_autofree char *id = tern_account_generate_id ();
  g_autoptr(TernAccount) account = tern_account_new (id);
  g_autoptr(GError) error = NULL;

  tern_account_set_name (account, name);
  tern_account_set_email (account, email);
  tern_account_set_color (account, color);
  tern_account_set_host (account, "imap.example.com");
  tern_account_set_username (account, email);
  tern_account_set_smtp_host (account, "smtp.example.com");

  tern_account_manager_add (writer, account, &error);
  g_assert_no_error (error);
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

typedef gboolean (*Condition) (gconstpointer data);

/* Runs the main loop until @condition holds; FALSE after a timeout. */
static gboolean
wait_until (Condition     condition,
            gconstpointer data)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_USEC;
  guint tick = g_timeout_add (10, tick_cb, NULL);
  gboolean holds;

  while (!(holds = condition (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick);
  return holds;
}

typedef gboolean (*WidgetMatch) (GtkWidget     *widget,
                                 gconstpointer  data);

static GtkWidget *
find_widget (GtkWidget     *root,
             WidgetMatch    match,
             gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
match_type (GtkWidget     *widget,
            gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

static gboolean
match_label (GtkWidget     *widget,
             gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), data) == 0;
}

static gboolean
match_label_prefix (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), data);
}

static gboolean
match_status_page (GtkWidget     *widget,
                   gconstpointer  data)
{
  return ADW_IS_STATUS_PAGE (widget) &&
         g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (widget)), data) == 0;
}

static gboolean
match_row (GtkWidget     *widget,
           gconstpointer  data)
{
  return ADW_IS_PREFERENCES_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static gboolean
match_css_class (GtkWidget     *widget,
                 gconstpointer  data)
{
  return gtk_widget_has_css_class (widget, data);
}

static gboolean
match_mapped_menu_button (GtkWidget     *widget,
                          gconstpointer  data)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_widget_get_mapped (widget);
}

static GtkWidget *
find_by_type (gpointer root,
              GType    type)
{
  return find_widget (GTK_WIDGET (root), match_type, GSIZE_TO_POINTER (type));
}

static GtkWidget *
find_label (gpointer    root,
            const char *text)
{
  return find_widget (GTK_WIDGET (root), match_label, text);
}

static GtkWidget *
find_status_page (gpointer    root,
                  const char *title)
{
  return find_widget (GTK_WIDGET (root), match_status_page, title);
}

static GtkWidget *
find_row (gpointer    root,
          const char *title)
{
  GtkWidget *row = find_widget (GTK_WIDGET (root), match_row, title);

  g_assert_nonnull (row);
  return row;
}

/* The content leaflet, nested in the outer one. */
static GtkWidget *
find_nested_leaflet (GtkWidget *outer)
{
  for (GtkWidget *child = gtk_widget_get_first_child (outer);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_type (child, ADW_TYPE_LEAFLET);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_showing (GtkWidget *widget)
{
  return widget != NULL && gtk_widget_get_mapped (widget);
}

/* "Showing" and "hidden" are waited for, as stack and leaflet transitions
 * take a few frames. */
typedef struct
{
  GtkWidget  *root;
  const char *text;
} LabelQuery;

static gboolean
label_showing (gconstpointer data)
{
  const LabelQuery *query = data;

  return is_showing (find_label (query->root, query->text));
}

static gboolean
label_hidden (gconstpointer data)
{
  return !label_showing (data);
}

static gboolean
status_page_showing (gconstpointer data)
{
  const LabelQuery *query = data;

  return is_showing (find_status_page (query->root, query->text));
}

static gboolean
status_page_hidden (gconstpointer data)
{
  return !status_page_showing (data);
}

static void
assert_label_shows (gpointer    root,
                    const char *text)
{
  LabelQuery query = { GTK_WIDGET (root), text };

  if (!wait_until (label_showing, &query))
    g_error ("“%s” is not shown", text);
}

static void
assert_label_hidden (gpointer    root,
                     const char *text)
{
  LabelQuery query = { GTK_WIDGET (root), text };

  if (!wait_until (label_hidden, &query))
    g_error ("“%s” is still shown", text);
}

static void
assert_status_page_shows (gpointer    root,
                          const char *title)
{
  LabelQuery query = { GTK_WIDGET (root), title };

  if (!wait_until (status_page_showing, &query))
    g_error ("the “%s” page is not shown", title);
}

static void
assert_status_page_hidden (gpointer    root,
                           const char *title)
{
  LabelQuery query = { GTK_WIDGET (root), title };

  if (!wait_until (status_page_hidden, &query))
    g_error ("the “%s” page is still shown", title);
}

static gboolean
widget_mapped (gconstpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

/* Mapped and laid out: a widget is mapped before its first allocation. */
static gboolean
widget_allocated (gconstpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data)) && gtk_widget_get_width (GTK_WIDGET (data)) > 0;
}

static gboolean
pointer_cleared (gconstpointer data)
{
  return *(gpointer const *) data == NULL;
}

/* Fixture */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("tern-test-window-XXXXXX", &error);
  g_assert_no_error (error);
  tern_paths_set_data_dir (fixture->dir);
  fixture->accounts_dir = tern_paths_get_accounts_dir ();
  g_assert_true (g_str_has_prefix (fixture->accounts_dir, fixture->dir));
}

/* Loads and watches the folder the way TernApplication does. */
static void
fixture_start_manager (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->manager = tern_account_manager_new (fixture->accounts_dir);
  tern_account_manager_load (fixture->manager, &error);
  g_assert_no_error (error);
  tern_account_manager_watch (fixture->manager);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  /* Nothing the window made may still hold the accounts. */
  if (fixture->manager != NULL)
    g_assert_finalize_object (fixture->manager);
  tern_paths_set_data_dir (NULL);
  remove_recursively (fixture->dir);
  g_free (fixture->accounts_dir);
  g_free (fixture->dir);
}

static GtkWindow *
show_window (Fixture *fixture,
             int      width,
             int      height)
{
  GtkWindow *window = GTK_WINDOW (tern_window_new (NULL, fixture->manager));

  if (width > 0)
    gtk_window_set_default_size (window, width, height);
  gtk_window_present (window);
  g_assert_true (wait_until (widget_allocated, window));
  return window;
}

/* Closes or destroys @window and waits until it is finalized. */
static void
end_window (GtkWindow *window,
            gboolean   close)
{
  gpointer weak = window;
  g_autofree char *type_name = g_strdup (G_OBJECT_TYPE_NAME (window));

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  if (close)
    gtk_window_close (window);
  else
    gtk_window_destroy (window);
  if (!wait_until (pointer_cleared, &weak))
    g_error ("%s was not finalized", type_name);
}

static void
destroy_window (GtkWindow *window)
{
  end_window (window, FALSE);
}

/* Tests */

static void
test_window_welcome (Fixture       *fixture,
                     gconstpointer  data)
{
  GtkWindow *window;
  GtkWidget *button;

  fixture_start_manager (fixture);
  window = show_window (fixture, 1000, 700);

  assert_status_page_shows (window, "Welcome to Tern");
  assert_label_shows (window, "Add a mail account to start reading mail.");
  button = find_label (window, "Add Account");
  g_assert_nonnull (button);
  button = gtk_widget_get_ancestor (button, GTK_TYPE_BUTTON);
  g_assert_true (is_showing (button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "app.add-account");
  g_assert_true (gtk_widget_has_css_class (button, "suggested-action"));
  g_assert_false (is_showing (find_by_type (window, ADW_TYPE_LEAFLET)));

  /* An account added from elsewhere (tern-cli) replaces the welcome page. */
  write_account (fixture->accounts_dir, "Work", "me@work.example", "#3584e4");
  assert_label_shows (window, "Work");
  assert_status_page_hidden (window, "Welcome to Tern");

  destroy_window (window);
}

static void
test_window_accounts (Fixture       *fixture,
                      gconstpointer  data)
{
  GtkWindow *window;

  write_account (fixture->accounts_dir, "Work", "me@work.example", "#3584e4");
  write_account (fixture->accounts_dir, "Personal", "me@home.example", "#33d17a");
  fixture_start_manager (fixture);
  window = show_window (fixture, 1200, 800);

  assert_label_shows (window, "Work");
  assert_label_shows (window, "me@work.example");
  assert_label_shows (window, "Personal");
  assert_label_shows (window, "me@home.example");
  assert_status_page_hidden (window, "Welcome to Tern");

  /* A third account file appears while the window is open. */
  write_account (fixture->accounts_dir, "Club", "secretary@club.example", "#e01b24");
  assert_label_shows (window, "Club");
  assert_label_shows (window, "secretary@club.example");
  assert_label_shows (window, "Work");
  assert_label_shows (window, "Personal");

  destroy_window (window);
}

static void
collect_menu_actions (GMenuModel *model,
                      GPtrArray  *actions)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      g_autofree char *action = NULL;
      g_autofree char *label = NULL;

      if (section != NULL)
        {
          collect_menu_actions (section, actions);
          continue;
        }

      g_assert_true (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &label));
      g_assert_cmpstr (label, !=, "");
      g_assert_true (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &action));
      g_ptr_array_add (actions, g_steal_pointer (&action));
    }
}

static void
assert_primary_menu (GtkWidget *menu_button)
{
  g_autoptr(GPtrArray) actions = g_ptr_array_new_with_free_func (g_free);
  GMenuModel *model;

  g_assert_nonnull (menu_button);
  g_assert_true (gtk_menu_button_get_primary (GTK_MENU_BUTTON (menu_button)));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (menu_button), ==, "Main Menu");

  model = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button));
  g_assert_nonnull (model);
  collect_menu_actions (model, actions);

  g_assert_cmpuint (actions->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (actions, 0), ==, "app.add-account");
  g_assert_cmpstr (g_ptr_array_index (actions, 1), ==, "app.preferences");
  g_assert_cmpstr (g_ptr_array_index (actions, 2), ==, "app.shortcuts");
  g_assert_cmpstr (g_ptr_array_index (actions, 3), ==, "app.about");
}

static void
test_window_primary_menu (Fixture       *fixture,
                          gconstpointer  data)
{
  GtkWindow *window;

  /* On the welcome page … */
  fixture_start_manager (fixture);
  window = show_window (fixture, 1200, 800);
  assert_status_page_shows (window, "Welcome to Tern");
  assert_primary_menu (find_widget (GTK_WIDGET (window), match_mapped_menu_button, NULL));

  /* … and on the sidebar. */
  write_account (fixture->accounts_dir, "Work", "me@work.example", "#3584e4");
  assert_status_page_hidden (window, "Welcome to Tern");
  assert_primary_menu (find_widget (GTK_WIDGET (window), match_mapped_menu_button, NULL));

  destroy_window (window);
}

static void
test_window_wide (Fixture       *fixture,
                  gconstpointer  data)
{
  GtkWindow *window;
  GtkWidget *outer;
  GtkWidget *content;

  write_account (fixture->accounts_dir, "Work", "me@work.example", "#3584e4");
  fixture_start_manager (fixture);
  window = show_window (fixture, 1400, 900);

  assert_label_shows (window, "Work");
  outer = find_by_type (window, ADW_TYPE_LEAFLET);
  g_assert_nonnull (outer);
  content = find_nested_leaflet (outer);
  g_assert_nonnull (content);
  g_assert_false (adw_leaflet_get_folded (ADW_LEAFLET (outer)));
  g_assert_false (adw_leaflet_get_folded (ADW_LEAFLET (content)));

  /* All three panes at once. */
  assert_status_page_shows (window, "No Folder Selected");
  assert_status_page_shows (window, "No Message Selected");

  destroy_window (window);
}

static void
test_window_narrow (Fixture       *fixture,
                    gconstpointer  data)
{
  GtkWindow *window;
  GtkWidget *outer;
  GtkWidget *row;

  write_account (fixture->accounts_dir, "Work", "me@work.example", "#3584e4");
  fixture_start_manager (fixture);
  window = show_window (fixture, 360, 640);

  outer = find_by_type (window, ADW_TYPE_LEAFLET);
  g_assert_nonnull (outer);
  assert_label_shows (window, "Work");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 400);
  g_assert_true (adw_leaflet_get_folded (ADW_LEAFLET (outer)));

  /* One pane at a time: only the sidebar. */
  assert_status_page_hidden (window, "No Folder Selected");
  assert_status_page_hidden (window, "No Message Selected");

  /* Choosing the account goes forward, the back button returns. */
  row = gtk_widget_get_ancestor (find_label (window, "Work"), GTK_TYPE_LIST_BOX_ROW);
  g_assert_nonnull (row);
  gtk_widget_activate (row);
  assert_status_page_shows (window, "No Folder Selected");
  assert_label_hidden (window, "me@work.example");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "window.show-sidebar", NULL));
  assert_label_shows (window, "me@work.example");
  assert_status_page_hidden (window, "No Folder Selected");

  destroy_window (window);
}

static void
test_window_size_saved (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (TERN_APP_ID);
  GtkWindow *window;
  int width;
  int height;

  fixture_start_manager (fixture);
  window = show_window (fixture, 900, 600);
  end_window (window, TRUE);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 600);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));

  /* The next window starts at that size. */
  g_settings_set_int (settings, "window-width", 820);
  g_settings_set_int (settings, "window-height", 560);
  window = show_window (fixture, 0, 0);
  gtk_window_get_default_size (window, &width, &height);
  g_assert_cmpint (width, ==, 820);
  g_assert_cmpint (height, ==, 560);
  /* The window is that size, bar the decorations drawn around it. */
  g_assert_cmpint (ABS (gtk_widget_get_width (GTK_WIDGET (window)) - 820), <=, 40);
  destroy_window (window);

  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
}

/* The manual account dialog */

static const char *
row_text (gpointer    root,
          const char *title)
{
  return gtk_editable_get_text (GTK_EDITABLE (find_row (root, title)));
}

static void
set_row_text (gpointer    root,
              const char *title,
              const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (find_row (root, title)), text);
}

static void
set_combo (gpointer    root,
           const char *title,
           guint       selected)
{
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (root, title)), selected);
}

static GtkWindow *
show_account_dialog (Fixture *fixture)
{
  GtkWindow *dialog = GTK_WINDOW (tern_account_dialog_new (NULL, fixture->manager));

  gtk_window_present (dialog);
  g_assert_true (wait_until (widget_allocated, dialog));
  return dialog;
}

static gboolean
warning_revealed (GtkWidget  *root,
                  const char *prefix)
{
  GtkWidget *label = find_widget (root, match_label_prefix, prefix);

  g_assert_nonnull (label);
  return gtk_revealer_get_reveal_child (GTK_REVEALER (gtk_widget_get_ancestor (label, GTK_TYPE_REVEALER)));
}

static void
test_account_dialog_ports (Fixture       *fixture,
                           gconstpointer  data)
{
  GtkWindow *dialog;
  GtkWidget *root;

  fixture_start_manager (fixture);
  dialog = show_account_dialog (fixture);
  root = GTK_WIDGET (dialog);

  /* The first "Port", "Security" rows are the incoming server's. */
  g_assert_cmpstr (row_text (root, "Port"), ==, "993");
  set_combo (root, "Security", 1);
  g_assert_cmpstr (row_text (root, "Port"), ==, "143");
  set_combo (root, "Protocol", 1);
  g_assert_cmpstr (row_text (root, "Port"), ==, "110");
  g_assert_true (gtk_widget_get_visible (find_row (root, "Keep Messages on the Server")));
  set_combo (root, "Security", 0);
  g_assert_cmpstr (row_text (root, "Port"), ==, "995");
  set_combo (root, "Protocol", 0);
  g_assert_cmpstr (row_text (root, "Port"), ==, "993");
  g_assert_false (gtk_widget_get_visible (find_row (root, "Keep Messages on the Server")));

  /* Choosing no encryption warns. */
  g_assert_false (warning_revealed (root, "Without encryption, your password and your mail"));
  set_combo (root, "Security", 2);
  g_assert_true (warning_revealed (root, "Without encryption, your password and your mail"));
  g_assert_cmpstr (row_text (root, "Port"), ==, "143");

  /* A port typed by hand stays. */
  set_row_text (root, "Port", "10143");
  set_combo (root, "Security", 1);
  g_assert_cmpstr (row_text (root, "Port"), ==, "10143");
  g_assert_false (warning_revealed (root, "Without encryption, your password and your mail"));

  /* The user name follows the email address until edited. */
  set_row_text (root, "Email Address", "me@example.com");
  g_assert_cmpstr (row_text (root, "User Name"), ==, "me@example.com");
  set_row_text (root, "User Name", "me");
  set_row_text (root, "Email Address", "you@example.com");
  g_assert_cmpstr (row_text (root, "User Name"), ==, "me");

  destroy_window (dialog);
}

static const char *
error_text (GtkWidget *root)
{
  GtkWidget *banner = find_widget (root, match_css_class, "form-error");
  GtkWidget *revealer;
  GtkWidget *label;

  g_assert_nonnull (banner);
  revealer = gtk_widget_get_ancestor (banner, GTK_TYPE_REVEALER);
  if (!gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)))
    return NULL;
  label = find_by_type (banner, GTK_TYPE_LABEL);
  return gtk_label_get_text (GTK_LABEL (label));
}

static void
test_account_dialog_validation (Fixture       *fixture,
                                gconstpointer  data)
{
  GtkWindow *dialog;
  GtkWidget *root;

  fixture_start_manager (fixture);
  dialog = show_account_dialog (fixture);
  root = GTK_WIDGET (dialog);

  g_assert_null (error_text (root));
  g_assert_true (gtk_widget_activate_action (root, "account.save", NULL));
  g_assert_cmpstr (error_text (root), ==, "Enter your email address.");
  g_assert_true (gtk_widget_has_css_class (find_row (root, "Email Address"), "error"));

  set_row_text (root, "Email Address", "me@example.com");
  g_assert_false (gtk_widget_has_css_class (find_row (root, "Email Address"), "error"));
  set_row_text (root, "Server", "imap.example.com");
  gtk_widget_activate_action (root, "account.save", NULL);
  g_assert_cmpstr (error_text (root), ==, "Enter the password for the incoming mail server.");

  set_row_text (root, "Password", "secret");
  set_row_text (root, "Port", "99999");
  gtk_widget_activate_action (root, "account.save", NULL);
  g_assert_cmpstr (error_text (root), ==, "The incoming server port must be a number from 1 to 65535.");

  /* The engine's own validation speaks last. */
  set_row_text (root, "Port", "993");
  set_row_text (root, "Email Address", "not-an-address");
  gtk_widget_activate_action (root, "account.save", NULL);
  g_assert_nonnull (error_text (root));
  g_assert_nonnull (strstr (error_text (root), "not-an-address"));

  /* Nothing typed was lost, nothing was saved. */
  g_assert_cmpstr (row_text (root, "Server"), ==, "imap.example.com");
  g_assert_cmpstr (row_text (root, "Password"), ==, "secret");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->manager)), ==, 0);

  /* A name that is taken is refused before anything is stored. */
  write_account (fixture->accounts_dir, "Work", "me@work.example", "#3584e4");
  g_assert_true (tern_account_manager_load (fixture->manager, NULL));
  set_row_text (root, "Email Address", "me@example.com");
  set_row_text (root, "Account Name", "Work");
  gtk_widget_activate_action (root, "account.save", NULL);
  g_assert_nonnull (strstr (error_text (root), "“Work” exists already"));
  g_assert_true (gtk_widget_has_css_class (find_row (root, "Account Name"), "error"));

  destroy_window (dialog);
}

static void
test_preferences (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (TERN_APP_ID);
  GtkWindow *preferences = GTK_WINDOW (tern_preferences_window_new (NULL));
  GtkWidget *root = GTK_WIDGET (preferences);
  GtkWidget *dark_check;
  GtkWidget *conversation_switch;

  gtk_window_present (preferences);
  g_assert_true (wait_until (widget_mapped, preferences));

  dark_check = adw_action_row_get_activatable_widget (ADW_ACTION_ROW (find_row (root, "Dark Style")));
  gtk_widget_activate (dark_check);
  g_assert_cmpstr (g_settings_get_string (settings, "color-scheme"), ==, "force-dark");

  conversation_switch = adw_action_row_get_activatable_widget (ADW_ACTION_ROW (find_row (root, "Group into Conversations")));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (conversation_switch)));
  gtk_switch_set_active (GTK_SWITCH (conversation_switch), FALSE);
  g_assert_false (g_settings_get_boolean (settings, "conversation-mode"));

  set_combo (root, "Mark as Read", 4);
  g_assert_cmpint (g_settings_get_int (settings, "mark-read-delay"), ==, -1);
  g_settings_set_int (settings, "mark-read-delay", 3);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (find_row (root, "Mark as Read"))), ==, 2);

  destroy_window (preferences);
  g_settings_reset (settings, "color-scheme");
  g_settings_reset (settings, "conversation-mode");
  g_settings_reset (settings, "mark-read-delay");
}

/* The application: --data-dir, the actions, the window it opens */

typedef struct
{
  Fixture *fixture;
  gboolean checked;
} AppTest;

static gboolean
window_of_type_shown (gconstpointer data)
{
  GType type = GPOINTER_TO_SIZE (data);
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type) && gtk_widget_get_mapped (toplevel))
        return TRUE;
    }
  return FALSE;
}

static void
close_windows_of_type (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = g_list_model_get_n_items (toplevels); i > 0; i--)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i - 1);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type))
        gtk_window_destroy (GTK_WINDOW (toplevel));
    }
}

static void
app_activated_cb (GApplication *app,
                  AppTest      *test)
{
  g_auto(GStrv) accels = NULL;
  TernAccountManager *manager;
  GtkWindow *window;
  static const struct {
    const char *action;
    GType     (*get_type) (void);
  } dialogs[] = {
    { "preferences", tern_preferences_window_get_type },
    { "add-account", tern_account_dialog_get_type },
    { "about", adw_about_window_get_type },
    { "shortcuts", gtk_shortcuts_window_get_type },
  };

  /* --data-dir was applied before the accounts were read. */
  manager = tern_application_get_account_manager (TERN_APPLICATION (app));
  g_assert_nonnull (manager);
  g_assert_cmpstr (tern_account_manager_get_accounts_dir (manager), ==, test->fixture->accounts_dir);
  g_assert_true (g_application_get_flags (app) & G_APPLICATION_NON_UNIQUE);

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (TERN_IS_WINDOW (window));
  g_assert_true (wait_until (widget_mapped, window));
  assert_label_shows (window, "Work");

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_cmpstr (accels[0], ==, "<Control>q");
  g_clear_pointer (&accels, g_strfreev);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.preferences");
  g_assert_cmpstr (accels[0], ==, "<Control>comma");
  g_clear_pointer (&accels, g_strfreev);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.shortcuts");
  g_assert_cmpstr (accels[0], ==, "<Control>question");

  /* Each menu entry opens its window. */
  for (guint i = 0; i < G_N_ELEMENTS (dialogs); i++)
    {
      GType type = dialogs[i].get_type ();

      g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), dialogs[i].action));
      g_action_group_activate_action (G_ACTION_GROUP (app), dialogs[i].action, NULL);
      if (!wait_until (window_of_type_shown, GSIZE_TO_POINTER (type)))
        g_error ("app.%s did not show a %s", dialogs[i].action, g_type_name (type));
      close_windows_of_type (type);
    }

  test->checked = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
}

static void
test_application (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(TernApplication) app = tern_application_new ();
  char *argv[] = { (char *) "tern", (char *) "--data-dir", fixture->dir, NULL };
  AppTest test = { fixture, FALSE };

  write_account (fixture->accounts_dir, "Work", "me@work.example", "#3584e4");
  tern_paths_set_data_dir (NULL);

  g_signal_connect_after (app, "activate", G_CALLBACK (app_activated_cb), &test);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 3, argv), ==, 0);
  g_assert_true (test.checked);
}

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus;
  int status;

  /* Use the schema just built, never one installed on the machine. */
  g_setenv ("GSETTINGS_SCHEMA_DIR", TERN_BUILD_DATA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("TERN_DATA_DIR");
  /* The private bus below has no accessibility bus to offer. */
  g_setenv ("GTK_A11Y", "none", TRUE);

  g_test_init (&argc, &argv, NULL);


  /* A missing display is a failure, never a skip. */
  if (!gtk_init_check ())
    {
      g_printerr ("Bail out! No display: run under Xvfb (build-aux/check does).\n");
      return 1;
    }

  /* A session bus of our own, so the test needs none from its caller and
   * no desktop service (portals, keyring) is activated into it. Started
   * after the display is open, as it unsets DISPLAY. */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  adw_init ();

#define ADD_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD_TEST ("/tern/app/window/welcome", test_window_welcome);
  ADD_TEST ("/tern/app/window/accounts", test_window_accounts);
  ADD_TEST ("/tern/app/window/primary-menu", test_window_primary_menu);
  ADD_TEST ("/tern/app/window/wide", test_window_wide);
  ADD_TEST ("/tern/app/window/narrow", test_window_narrow);
  ADD_TEST ("/tern/app/window/size-saved", test_window_size_saved);
  ADD_TEST ("/tern/app/account-dialog/ports", test_account_dialog_ports);
  ADD_TEST ("/tern/app/account-dialog/validation", test_account_dialog_validation);
  ADD_TEST ("/tern/app/preferences", test_preferences);
  ADD_TEST ("/tern/app/application", test_application);

#undef ADD_TEST

  status = g_test_run ();

  /* Not g_test_dbus_down(): libadwaita's style manager keeps the session
   * connection for the life of the process. Stop the daemon, leak the rest. */
  g_test_dbus_stop (bus);
  return status;
}
