/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-account-row"

#include "tern-account-row.h"

/* One configured account in the sidebar: its colour, name and address. */
struct _TernAccountRow
{
  GtkListBoxRow    parent_instance;

  TernAccount     *account;

  GtkDrawingArea  *dot;
  GtkLabel        *name_label;
  GtkLabel        *email_label;
};

G_DEFINE_FINAL_TYPE (TernAccountRow, tern_account_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_ACCOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
draw_dot (GtkDrawingArea *area,
          cairo_t        *cr,
          int             width,
          int             height,
          gpointer        user_data)
{
  TernAccountRow *self = user_data;
  GdkRGBA color;
  double radius = MIN (width, height) / 2.0;

  if (self->account == NULL ||
      !gdk_rgba_parse (&color, tern_account_get_color (self->account)))
    gdk_rgba_parse (&color, "#3584e4");

  gdk_cairo_set_source_rgba (cr, &color);
  cairo_arc (cr, width / 2.0, height / 2.0, radius, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
account_color_changed_cb (TernAccountRow *self,
                          GParamSpec     *pspec,
                          TernAccount    *account)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->dot));
}

static void
set_account (TernAccountRow *self,
             TernAccount    *account)
{
  g_assert (self->account == NULL);

  if (account == NULL)
    return;

  self->account = g_object_ref (account);
  g_object_bind_property (account, "name", self->name_label, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (account, "email", self->email_label, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (account, "email", self, "tooltip-text", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (account, "notify::color",
                           G_CALLBACK (account_color_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
tern_account_row_dispose (GObject *object)
{
  TernAccountRow *self = TERN_ACCOUNT_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TERN_TYPE_ACCOUNT_ROW);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (tern_account_row_parent_class)->dispose (object);
}

static void
tern_account_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TernAccountRow *self = TERN_ACCOUNT_ROW (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_account_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TernAccountRow *self = TERN_ACCOUNT_ROW (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      set_account (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tern_account_row_class_init (TernAccountRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tern_account_row_dispose;
  object_class->get_property = tern_account_row_get_property;
  object_class->set_property = tern_account_row_set_property;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         TERN_TYPE_ACCOUNT,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/ternmail/Tern/sidebar/tern-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TernAccountRow, dot);
  gtk_widget_class_bind_template_child (widget_class, TernAccountRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, TernAccountRow, email_label);
}

static void
tern_account_row_init (TernAccountRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drawing_area_set_draw_func (self->dot, draw_dot, self, NULL);
}

GtkWidget *
tern_account_row_new (TernAccount *account)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT (account), NULL);

  return g_object_new (TERN_TYPE_ACCOUNT_ROW,
                       "account", account,
                       NULL);
}

TernAccount *
tern_account_row_get_account (TernAccountRow *self)
{
  g_return_val_if_fail (TERN_IS_ACCOUNT_ROW (self), NULL);

  return self->account;
}
