/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-paths"

#include "tern-paths.h"

static char *override_dir;
static char *config_dir;
static char *data_dir;

static void
reset_cached_dirs (void)
{
  g_clear_pointer (&config_dir, g_free);
  g_clear_pointer (&data_dir, g_free);
}

/**
 * tern_paths_set_data_dir:
 * @dir: (nullable): a directory that holds all of Tern's files, or %NULL
 *
 * Redirects config and data into @dir (as `@dir/config` and `@dir/data`).
 * A relative @dir is taken from the current directory.
 */
void
tern_paths_set_data_dir (const char *dir)
{
  g_clear_pointer (&override_dir, g_free);
  if (dir != NULL && *dir != '\0')
    {
      if (g_path_is_absolute (dir))
        override_dir = g_strdup (dir);
      else
        override_dir = g_canonicalize_filename (dir, NULL);
    }
  reset_cached_dirs ();
}

static const char *
get_override_dir (void)
{
  if (override_dir == NULL)
    {
      const char *env = g_getenv ("TERN_DATA_DIR");

      if (env != NULL && *env != '\0')
        override_dir = g_canonicalize_filename (env, NULL);
    }
  return override_dir;
}

const char *
tern_paths_get_config_dir (void)
{
  if (config_dir == NULL)
    {
      const char *base = get_override_dir ();

      if (base != NULL)
        config_dir = g_build_filename (base, "config", NULL);
      else
        config_dir = g_build_filename (g_get_user_config_dir (), "tern", NULL);
    }
  return config_dir;
}

const char *
tern_paths_get_data_dir (void)
{
  if (data_dir == NULL)
    {
      const char *base = get_override_dir ();

      if (base != NULL)
        data_dir = g_build_filename (base, "data", NULL);
      else
        data_dir = g_build_filename (g_get_user_data_dir (), "tern", NULL);
    }
  return data_dir;
}

char *
tern_paths_get_accounts_dir (void)
{
  return g_build_filename (tern_paths_get_config_dir (), "accounts", NULL);
}
