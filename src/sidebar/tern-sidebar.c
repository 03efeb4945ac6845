/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-sidebar"

#include "tern-account-row.h"
#include "tern-sidebar.h"

/* The left pane: the configured accounts (their folders join them later). */
struct _TernSidebar
{
  AdwBin       parent_instance;

  GListModel  *accounts;

  GtkListBox  *list_box;
};

G_DEFINE_FINAL_TYPE (TernSidebar, tern_sidebar, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ACCOUNTS,
  N_PROPS
};

enum {
  ACCOUNT_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GtkWidget *
create_account_row (gpointer item,
                    gpointer user_data)
{
  return tern_account_row_new (TERN_ACCOUNT (item));
}

static void
list_box_row_activated_cb (TernSidebar   *self,
                           GtkListBoxRow *row,
                           GtkListBox    *list_box)
{
  TernAccount *account;

  if (!TERN_IS_ACCOUNT_ROW (row))
    return;

  account = tern_account_row_get_account (TERN_ACCOUNT_ROW (row));
  g_signal_emit (self, signals[ACCOUNT_ACTIVATED], 0, account);
}

static void
tern_sidebar_dispose (GObject *object)
{
  TernSidebar *self = TERN_SIDEBAR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TERN_TYPE_SIDEBAR);
  g_clear_object (&self->accounts);

  G_OBJECT_CLASS (tern_sidebar_parent_class)->dispose (object);
}

static void
tern_sidebar_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TernSidebar *self = TERN_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_ACCOUNTS:
      g_value_set_object (value, self->accounts);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_sidebar_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TernSidebar *self = TERN_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_ACCOUNTS:
      tern_sidebar_set_accounts (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_sidebar_class_init (TernSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tern_sidebar_dispose;
  object_class->get_property = tern_sidebar_get_property;
  object_class->set_property = tern_sidebar_set_property;

  /**
   * TernSidebar:accounts:
   *
   * A #GListModel of #TernAccount, usually the #TernAccountManager.
   */
  properties[PROP_ACCOUNTS] =
    g_param_spec_object ("accounts", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TernSidebar::account-activated:
   * @self: the sidebar
   * @account: the #TernAccount whose row was activated
   */
  signals[ACCOUNT_ACTIVATED] =
    g_signal_new ("account-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, TERN_TYPE_ACCOUNT);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/ternmail/Tern/sidebar/tern-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, TernSidebar, list_box);
  gtk_widget_class_bind_template_callback (widget_class, list_box_row_activated_cb);
}

static void
tern_sidebar_init (TernSidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * tern_sidebar_get_accounts:
 *
 * Returns: (transfer none) (nullable): the accounts shown
 */
GListModel *
tern_sidebar_get_accounts (TernSidebar *self)
{
  g_return_val_if_fail (TERN_IS_SIDEBAR (self), NULL);

  return self->accounts;
}

void
tern_sidebar_set_accounts (TernSidebar *self,
                           GListModel  *accounts)
{
  g_return_if_fail (TERN_IS_SIDEBAR (self));
  g_return_if_fail (accounts == NULL || G_IS_LIST_MODEL (accounts));

  if (!g_set_object (&self->accounts, accounts))
    return;

  gtk_list_box_bind_model (self->list_box, accounts, create_account_row, NULL, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNTS]);
}
