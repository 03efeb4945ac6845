/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-account-dialog"

#include <glib/gi18n.h>

#include "tern-account-dialog.h"

/* Manual account entry: every server setting typed in by hand. Nothing the
 * person typed is ever cleared by an error; a save either completes (file
 * written, passwords in the keyring) or leaves nothing behind. */
struct _TernAccountDialog
{
  AdwWindow            parent_instance;

  TernAccountManager  *account_manager;
  TernAccount         *pending;
  GCancellable        *cancellable;
  char                *mirrored_email;
  guint16              incoming_auto_port;
  guint16              outgoing_auto_port;

  GtkRevealer         *error_revealer;
  GtkLabel            *error_label;
  GtkWidget           *form;
  GtkStack            *save_stack;
  GtkSpinner          *save_spinner;

  AdwEntryRow         *display_name_row;
  AdwEntryRow         *email_row;
  AdwEntryRow         *name_row;

  AdwComboRow         *protocol_row;
  AdwEntryRow         *host_row;
  AdwComboRow         *security_row;
  AdwEntryRow         *port_row;
  AdwEntryRow         *username_row;
  AdwEntryRow         *password_row;
  AdwActionRow        *pop_keep_row;
  GtkSwitch           *pop_keep_switch;
  GtkRevealer         *security_warning;

  AdwEntryRow         *smtp_host_row;
  AdwComboRow         *smtp_security_row;
  AdwEntryRow         *smtp_port_row;
  GtkSwitch           *same_login_switch;
  AdwEntryRow         *smtp_username_row;
  AdwEntryRow         *smtp_password_row;
  GtkRevealer         *smtp_security_warning;
};

G_DEFINE_FINAL_TYPE (TernAccountDialog, tern_account_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_ACCOUNT_MANAGER,
  N_PROPS
};

enum {
  ACCOUNT_ADDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The order of the security choices in the .ui file. */
static TernSecurity
get_security (AdwComboRow *row)
{
  switch (adw_combo_row_get_selected (row))
    {
    case 1:
      return TERN_SECURITY_STARTTLS;

    case 2:
      return TERN_SECURITY_NONE;

    case 0:
    default:
      return TERN_SECURITY_TLS;
    }
}

static TernProtocol
get_protocol (TernAccountDialog *self)
{
  return adw_combo_row_get_selected (self->protocol_row) == 1 ? TERN_PROTOCOL_POP3
                                                              : TERN_PROTOCOL_IMAP;
}

static char *
dup_stripped_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static gboolean
parse_port (const char *text,
            guint16    *port)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &value, NULL))
    return FALSE;
  *port = (guint16) value;
  return TRUE;
}

/* Puts the default port for the chosen protocol and security into @row,
 * unless the person typed a port of their own. */
static void
update_port_row (AdwEntryRow *row,
                 guint16     *auto_port,
                 guint16      default_port)
{
  g_autofree char *text = dup_stripped_text (row);
  guint16 current = 0;

  if (*text == '\0' || (parse_port (text, &current) && current == *auto_port))
    {
      g_autofree char *port = g_strdup_printf ("%u", default_port);

      gtk_editable_set_text (GTK_EDITABLE (row), port);
    }
  *auto_port = default_port;
}

static void
incoming_kind_changed_cb (TernAccountDialog *self)
{
  TernProtocol protocol = get_protocol (self);
  TernSecurity security = get_security (self->security_row);

  update_port_row (self->port_row, &self->incoming_auto_port,
                   tern_security_default_port (protocol, security));
  gtk_widget_set_visible (GTK_WIDGET (self->pop_keep_row), protocol == TERN_PROTOCOL_POP3);
  gtk_revealer_set_reveal_child (self->security_warning, security == TERN_SECURITY_NONE);
}

static void
outgoing_kind_changed_cb (TernAccountDialog *self)
{
  TernSecurity security = get_security (self->smtp_security_row);

  update_port_row (self->smtp_port_row, &self->outgoing_auto_port,
                   tern_security_default_smtp_port (security));
  gtk_revealer_set_reveal_child (self->smtp_security_warning, security == TERN_SECURITY_NONE);
}

static void
same_login_changed_cb (TernAccountDialog *self)
{
  gboolean same = gtk_switch_get_active (self->same_login_switch);

  gtk_widget_set_visible (GTK_WIDGET (self->smtp_username_row), !same);
  gtk_widget_set_visible (GTK_WIDGET (self->smtp_password_row), !same);
}

/* The user name follows the email address until it is edited. */
static void
email_changed_cb (TernAccountDialog *self)
{
  g_autofree char *email = dup_stripped_text (self->email_row);
  g_autofree char *username = dup_stripped_text (self->username_row);

  if (*username == '\0' || g_strcmp0 (username, self->mirrored_email) == 0)
    gtk_editable_set_text (GTK_EDITABLE (self->username_row), email);

  g_free (self->mirrored_email);
  self->mirrored_email = g_steal_pointer (&email);
}

static void
entry_row_changed_cb (GtkEditable       *editable,
                      TernAccountDialog *self)
{
  if (gtk_widget_has_css_class (GTK_WIDGET (editable), "error"))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (editable), "error");
      gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
    }
}

static void
show_error (TernAccountDialog *self,
            const char        *message,
            AdwEntryRow       *row)
{
  gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);

  if (row != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_grab_focus (GTK_WIDGET (row));
    }
}

static void
set_busy (TernAccountDialog *self,
          gboolean           busy)
{
  gtk_widget_set_sensitive (self->form, !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.save", !busy);
  gtk_stack_set_visible_child_name (self->save_stack, busy ? "spinner" : "label");
  gtk_spinner_set_spinning (self->save_spinner, busy);
}

static gpointer
fail_with (GError      **error,
           AdwEntryRow **bad_row,
           AdwEntryRow  *row,
           const char   *message)
{
  g_set_error_literal (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID, message);
  *bad_row = row;
  return NULL;
}

/* Builds the account from the form, or says what is missing and where. */
static TernAccount *
build_account (TernAccountDialog  *self,
               AdwEntryRow       **bad_row,
               GError            **error)
{
  g_autofree char *display_name = dup_stripped_text (self->display_name_row);
  g_autofree char *email = dup_stripped_text (self->email_row);
  g_autofree char *name = dup_stripped_text (self->name_row);
  g_autofree char *host = dup_stripped_text (self->host_row);
  g_autofree char *port_text = dup_stripped_text (self->port_row);
  g_autofree char *username = dup_stripped_text (self->username_row);
  g_autofree char *smtp_host = dup_stripped_text (self->smtp_host_row);
  g_autofree char *smtp_port_text = dup_stripped_text (self->smtp_port_row);
  g_autofree char *smtp_username = dup_stripped_text (self->smtp_username_row);
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  const char *smtp_password = gtk_editable_get_text (GTK_EDITABLE (self->smtp_password_row));
  gboolean same_login = gtk_switch_get_active (self->same_login_switch);
  g_autofree char *id = NULL;
  g_autoptr(TernAccount) account = NULL;
  guint16 port = 0;
  guint16 smtp_port = 0;

  *bad_row = NULL;

  if (*email == '\0')
    return fail_with (error, bad_row, self->email_row,
                      _("Enter your email address."));
  if (*host == '\0')
    return fail_with (error, bad_row, self->host_row,
                      _("Enter the incoming mail server, for example imap.example.com. Your mail provider’s help pages name it."));
  if (!parse_port (port_text, &port))
    return fail_with (error, bad_row, self->port_row,
                      _("The incoming server port must be a number from 1 to 65535."));
  if (*username == '\0')
    return fail_with (error, bad_row, self->username_row,
                      _("Enter the user name for the incoming mail server. Often it is your email address."));
  if (*password == '\0')
    return fail_with (error, bad_row, self->password_row,
                      _("Enter the password for the incoming mail server."));
  if (*smtp_host != '\0')
    {
      if (!parse_port (smtp_port_text, &smtp_port))
        return fail_with (error, bad_row, self->smtp_port_row,
                          _("The outgoing server port must be a number from 1 to 65535."));
      if (!same_login && *smtp_username == '\0')
        return fail_with (error, bad_row, self->smtp_username_row,
                          _("Enter the user name for the outgoing mail server, or use the same sign-in as for incoming mail."));
      if (!same_login && *smtp_password == '\0')
        return fail_with (error, bad_row, self->smtp_password_row,
                          _("Enter the password for the outgoing mail server, or use the same sign-in as for incoming mail."));
    }

  id = tern_account_generate_id ();
  account = tern_account_new (id);
  tern_account_set_name (account, *name != '\0' ? name : email);
  tern_account_set_display_name (account, display_name);
  tern_account_set_email (account, email);
  tern_account_set_protocol (account, get_protocol (self));
  tern_account_set_host (account, host);
  tern_account_set_port (account, port);
  tern_account_set_security (account, get_security (self->security_row));
  tern_account_set_username (account, username);
  if (get_protocol (self) == TERN_PROTOCOL_POP3)
    tern_account_set_pop_keep (account, gtk_switch_get_active (self->pop_keep_switch));
  if (*smtp_host != '\0')
    {
      tern_account_set_smtp_host (account, smtp_host);
      tern_account_set_smtp_port (account, smtp_port);
      tern_account_set_smtp_security (account, get_security (self->smtp_security_row));
      if (!same_login)
        tern_account_set_smtp_username (account, smtp_username);
    }

  /* The engine has the last word on what a valid account is. */
  if (!tern_account_validate (account, error))
    return NULL;

  return g_steal_pointer (&account);
}

static const char *
get_outgoing_password (TernAccountDialog *self)
{
  if (gtk_switch_get_active (self->same_login_switch))
    return gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  return gtk_editable_get_text (GTK_EDITABLE (self->smtp_password_row));
}

static void
fail_saving (TernAccountDialog *self,
             const char        *message,
             AdwEntryRow       *row)
{
  /* Drop any password already stored for an account that was not added. */
  if (self->pending != NULL)
    tern_credentials_clear_async (self->pending, NULL, NULL, NULL);
  g_clear_object (&self->pending);
  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  show_error (self, message, row);
}

static void
finish_saving (TernAccountDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TernAccount) account = NULL;

  if (!tern_account_manager_add (self->account_manager, self->pending, &error))
    {
      AdwEntryRow *row = NULL;

      if (g_error_matches (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_EXISTS))
        row = self->name_row;
      fail_saving (self, error->message, row);
      return;
    }

  account = g_steal_pointer (&self->pending);
  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  g_signal_emit (self, signals[ACCOUNT_ADDED], 0, account);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
keyring_failed (TernAccountDialog *self,
                const GError      *error)
{
  g_autofree char *message = NULL;

  /* Translators: %s says why the keyring refused. */
  message = g_strdup_printf (_("The password could not be stored in the keyring, so the account was not added: %s. Make sure a keyring (such as GNOME Keyring) is running and unlocked, then try again."),
                             error->message);
  fail_saving (self, message, NULL);
}

static void
outgoing_stored_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TernAccountDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean stored = tern_credentials_store_finish (result, &error);

  if (self->pending == NULL)
    return;  /* the dialog was closed meanwhile */
  if (!stored)
    {
      keyring_failed (self, error);
      return;
    }

  finish_saving (self);
}

static void
incoming_stored_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TernAccountDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean stored = tern_credentials_store_finish (result, &error);

  if (self->pending == NULL)
    return;  /* the dialog was closed meanwhile */
  if (!stored)
    {
      keyring_failed (self, error);
      return;
    }

  if (tern_account_get_smtp_host (self->pending) != NULL)
    {
      tern_credentials_store_async (self->pending,
                                    TERN_CREDENTIAL_OUTGOING,
                                    get_outgoing_password (self),
                                    self->cancellable,
                                    outgoing_stored_cb,
                                    g_object_ref (self));
      return;
    }

  finish_saving (self);
}

static void
save_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TernAccountDialog *self = TERN_ACCOUNT_DIALOG (widget);
  g_autoptr(TernAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  AdwEntryRow *bad_row = NULL;

  if (self->pending != NULL)
    return;

  account = build_account (self, &bad_row, &error);
  if (account == NULL)
    {
      show_error (self, error->message, bad_row);
      return;
    }

  if (tern_account_manager_lookup (self->account_manager, tern_account_get_name (account)) != NULL)
    {
      g_autofree char *message = NULL;

      /* Translators: %s is an account name. */
      message = g_strdup_printf (_("An account named “%s” exists already. Choose another account name."),
                                 tern_account_get_name (account));
      show_error (self, message, self->name_row);
      return;
    }

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  set_busy (self, TRUE);

  /* Passwords first: an account file without its password would be an
   * account that cannot sign in. */
  self->pending = g_steal_pointer (&account);
  self->cancellable = g_cancellable_new ();
  tern_credentials_store_async (self->pending,
                                TERN_CREDENTIAL_INCOMING,
                                gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                                self->cancellable,
                                incoming_stored_cb,
                                g_object_ref (self));
}

static gboolean
tern_account_dialog_close_request (GtkWindow *window)
{
  TernAccountDialog *self = TERN_ACCOUNT_DIALOG (window);

  if (self->pending != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      fail_saving (self, _("Adding the account was cancelled."), NULL);
    }

  return GTK_WINDOW_CLASS (tern_account_dialog_parent_class)->close_request (window);
}

static void
tern_account_dialog_dispose (GObject *object)
{
  TernAccountDialog *self = TERN_ACCOUNT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), TERN_TYPE_ACCOUNT_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pending);
  g_clear_object (&self->account_manager);
  g_clear_pointer (&self->mirrored_email, g_free);

  G_OBJECT_CLASS (tern_account_dialog_parent_class)->dispose (object);
}

static void
tern_account_dialog_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TernAccountDialog *self = TERN_ACCOUNT_DIALOG (object);

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
tern_account_dialog_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TernAccountDialog *self = TERN_ACCOUNT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT_MANAGER:
      self->account_manager = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_account_dialog_class_init (TernAccountDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = tern_account_dialog_dispose;
  object_class->get_property = tern_account_dialog_get_property;
  object_class->set_property = tern_account_dialog_set_property;

  window_class->close_request = tern_account_dialog_close_request;

  properties[PROP_ACCOUNT_MANAGER] =
    g_param_spec_object ("account-manager", NULL, NULL,
                         TERN_TYPE_ACCOUNT_MANAGER,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TernAccountDialog::account-added:
   * @self: the dialog
   * @account: the #TernAccount now in the account manager
   *
   * Emitted once the account file is written and its passwords are stored,
   * just before the dialog closes.
   */
  signals[ACCOUNT_ADDED] =
    g_signal_new ("account-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, TERN_TYPE_ACCOUNT);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/ternmail/Tern/accounts/tern-account-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, form);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, save_stack);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, save_spinner);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, protocol_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, host_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, security_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, port_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, username_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, pop_keep_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, pop_keep_switch);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, security_warning);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, smtp_host_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, smtp_security_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, smtp_port_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, same_login_switch);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, smtp_username_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, smtp_password_row);
  gtk_widget_class_bind_template_child (widget_class, TernAccountDialog, smtp_security_warning);
  gtk_widget_class_bind_template_callback (widget_class, incoming_kind_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, outgoing_kind_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, same_login_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, email_changed_cb);

  gtk_widget_class_install_action (widget_class, "account.save", NULL, save_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tern_account_dialog_init (TernAccountDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  {
    AdwEntryRow *entry_rows[] = {
      self->display_name_row, self->email_row, self->name_row, self->host_row,
      self->port_row, self->username_row, self->password_row, self->smtp_host_row,
      self->smtp_port_row, self->smtp_username_row, self->smtp_password_row,
    };

    for (guint i = 0; i < G_N_ELEMENTS (entry_rows); i++)
      g_signal_connect_object (entry_rows[i], "changed",
                               G_CALLBACK (entry_row_changed_cb), self, 0);
  }

  incoming_kind_changed_cb (self);
  outgoing_kind_changed_cb (self);
  same_login_changed_cb (self);
}

/**
 * tern_account_dialog_new:
 * @parent: (nullable): the window the dialog belongs to
 * @account_manager: where the new account goes
 *
 * Returns: (transfer none): a new dialog, owned by GTK
 */
TernAccountDialog *
tern_account_dialog_new (GtkWindow          *parent,
                         TernAccountManager *account_manager)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (TERN_IS_ACCOUNT_MANAGER (account_manager), NULL);

  return g_object_new (TERN_TYPE_ACCOUNT_DIALOG,
                       "transient-for", parent,
                       "account-manager", account_manager,
                       NULL);
}

/**
 * tern_account_dialog_get_account_manager:
 *
 * Returns: (transfer none): where the new account goes
 */
TernAccountManager *
tern_account_dialog_get_account_manager (TernAccountDialog *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_DIALOG (self), NULL);

  return self->account_manager;
}
