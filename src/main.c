/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern"

#include <locale.h>

#include <glib/gi18n.h>

#include "tern-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TernApplication) app = NULL;

  /* Before the options are parsed, so that --help is translated too. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = tern_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
