/* tern-test-sandbox.c: real mail servers and a keyring for integration tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tern-test-sandbox"

#include "tern-test-sandbox.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

static const char *
get_script (GError **error)
{
  const char *script = g_getenv ("TERN_SANDBOX");

  if (script == NULL || *script == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "TERN_SANDBOX is not set: run this test with `meson test` "
                           "(tests/meson.build points it at tests/sandbox/tern-sandbox) "
                           "or set it by hand");
      return NULL;
    }

  if (!g_file_test (script, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "TERN_SANDBOX=%s is not an executable file", script);
      return NULL;
    }

  return script;
}

/* Runs ARGV, returning its stdout; on a non-zero exit the error holds WHAT
 * and the program's stderr. */
static char *
run_sync (const char * const  *argv,
          const char          *what,
          GError             **error)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) local_error = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &wait_status, error))
    return NULL;

  if (!g_spawn_check_wait_status (wait_status, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed (%s):\n%s",
                   what, local_error->message, g_strstrip (err));
      return NULL;
    }

  return g_steal_pointer (&out);
}

static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;

  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      if (g_rmdir (path) != 0)
        g_message ("Could not remove %s: %s", path, g_strerror (errno));
    }
  else if (g_unlink (path) != 0)
    {
      g_message ("Could not remove %s: %s", path, g_strerror (errno));
    }
}

static char *
dup_string_member (JsonObject  *object,
                   const char  *member,
                   gboolean     nullable,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node) && nullable)
    return NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "sandbox.json: \"%s\" is missing or not a string", member);
      return NULL;
    }

  return g_strdup (json_node_get_string (node));
}

static gboolean
get_port_member (JsonObject  *object,
                 const char  *member,
                 guint16     *port,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "sandbox.json: \"%s\" is missing or not a number", member);
      return FALSE;
    }

  value = json_node_get_int (node);
  if (value <= 0 || value > G_MAXUINT16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "sandbox.json: \"%s\" is not a port: %" G_GINT64_FORMAT,
                   member, value);
      return FALSE;
    }

  *port = (guint16) value;
  return TRUE;
}

static gboolean
parse_json (TernTestSandbox  *self,
            GError          **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *users;
  g_autoptr(GError) local_error = NULL;

  if (!json_parser_load_from_file (parser, self->json_path, error))
    return FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is not a JSON object", self->json_path);
      return FALSE;
    }
  root = json_node_get_object (json_parser_get_root (parser));

  if (!(self->ca_file = dup_string_member (root, "ca_file", FALSE, error)) ||
      !(self->host = dup_string_member (root, "host", FALSE, error)) ||
      !(self->smtp_spool = dup_string_member (root, "smtp_spool", FALSE, error)) ||
      !(self->dovecot_conf = dup_string_member (root, "dovecot_conf", FALSE, error)) ||
      !(self->doveadm = dup_string_member (root, "doveadm", FALSE, error)))
    return FALSE;

  self->dbus_address = dup_string_member (root, "dbus_address", TRUE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!get_port_member (root, "imap_port", &self->imap_port, error) ||
      !get_port_member (root, "imaps_port", &self->imaps_port, error) ||
      !get_port_member (root, "pop3_port", &self->pop3_port, error) ||
      !get_port_member (root, "pop3s_port", &self->pop3s_port, error) ||
      !get_port_member (root, "smtp_port", &self->smtp_port, error) ||
      !get_port_member (root, "smtps_port", &self->smtps_port, error))
    return FALSE;

  if (!json_object_has_member (root, "users") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "users")))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "sandbox.json: \"users\" is missing or not an array");
      return FALSE;
    }
  users = json_object_get_array_member (root, "users");
  self->n_users = json_array_get_length (users);
  self->users = g_new0 (TernTestSandboxUser, self->n_users);
  for (guint i = 0; i < self->n_users; i++)
    {
      JsonNode *node = json_array_get_element (users, i);
      TernTestSandboxUser *user = &self->users[i];
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "sandbox.json: a user is not an object");
          return FALSE;
        }
      object = json_node_get_object (node);
      if (!(user->name = dup_string_member (object, "name", FALSE, error)) ||
          !(user->password = dup_string_member (object, "password", FALSE, error)) ||
          !(user->email = dup_string_member (object, "email", FALSE, error)))
        return FALSE;
    }

  return TRUE;
}

void
tern_test_sandbox_free (TernTestSandbox *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < self->n_users; i++)
    {
      g_free (self->users[i].name);
      g_free (self->users[i].password);
      g_free (self->users[i].email);
    }
  g_free (self->users);
  g_free (self->dir);
  g_free (self->json_path);
  g_free (self->ca_file);
  g_free (self->host);
  g_free (self->dbus_address);
  g_free (self->smtp_spool);
  g_free (self->dovecot_conf);
  g_free (self->doveadm);
  g_free (self);
}

TernTestSandbox *
tern_test_sandbox_start (const char  *extra_args,
                         GError     **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) extra = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *pid = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) local_error = NULL;
  TernTestSandbox *self;
  const char *script;

  if (!(script = get_script (error)))
    return NULL;

  if (extra_args != NULL && *extra_args != '\0' &&
      !g_shell_parse_argv (extra_args, NULL, &extra, error))
    return NULL;

  if (!(dir = g_dir_make_tmp ("tern-sandbox-XXXXXX", error)))
    return NULL;

  pid = g_strdup_printf ("%d", (int) getpid ());
  g_ptr_array_add (argv, (char *) script);
  g_ptr_array_add (argv, (char *) "start");
  g_ptr_array_add (argv, (char *) "--dir");
  g_ptr_array_add (argv, dir);
  g_ptr_array_add (argv, (char *) "--exit-with");
  g_ptr_array_add (argv, pid);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, extra[i]);
  g_ptr_array_add (argv, NULL);

  if (!(out = run_sync ((const char * const *) argv->pdata, "tern-sandbox start",
                        &local_error)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s (the sandbox directory %s is kept for its logs)",
                   local_error->message, dir);
      return NULL;
    }

  self = g_new0 (TernTestSandbox, 1);
  self->dir = g_steal_pointer (&dir);
  self->json_path = g_build_filename (self->dir, "sandbox.json", NULL);
  if (!parse_json (self, error))
    {
      tern_test_sandbox_stop (self);
      return NULL;
    }

  if (self->dbus_address != NULL)
    g_setenv ("DBUS_SESSION_BUS_ADDRESS", self->dbus_address, TRUE);

  return self;
}

void
tern_test_sandbox_stop (TernTestSandbox *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *script;

  if (self == NULL)
    return;

  if (self->dbus_address != NULL)
    {
      g_autoptr(GDBusConnection) bus = NULL;

      /* The shared session-bus connection raises SIGTERM when its bus goes
       * away; ours is about to. */
      bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
      if (bus != NULL)
        g_dbus_connection_set_exit_on_close (bus, FALSE);
    }

  if ((script = get_script (&error)) != NULL)
    {
      const char *argv[] = { script, "stop", "--dir", self->dir, NULL };

      out = run_sync (argv, "tern-sandbox stop", &error);
    }

  if (error != NULL)
    g_message ("Could not stop the sandbox in %s: %s", self->dir, error->message);
  else
    remove_tree (self->dir);

  tern_test_sandbox_free (self);
}

const TernTestSandboxUser *
tern_test_sandbox_get_user (TernTestSandbox *self,
                            const char      *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->n_users; i++)
    {
      if (g_strcmp0 (self->users[i].name, name) == 0)
        return &self->users[i];
    }

  return NULL;
}

gboolean
tern_test_sandbox_doveadm (TernTestSandbox  *self,
                           char            **out,
                           GError          **error,
                           const char       *arg,
                           ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GString) what = g_string_new ("doveadm");
  g_autofree char *output = NULL;
  va_list ap;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (arg != NULL, FALSE);

  g_ptr_array_add (argv, self->doveadm);
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, self->dovecot_conf);
  va_start (ap, arg);
  for (const char *a = arg; a != NULL; a = va_arg (ap, const char *))
    {
      g_ptr_array_add (argv, (char *) a);
      g_string_append_printf (what, " %s", a);
    }
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  if (!(output = run_sync ((const char * const *) argv->pdata, what->str, error)))
    return FALSE;

  if (out != NULL)
    *out = g_steal_pointer (&output);

  return TRUE;
}

static gboolean
is_spool_name (const char *name)
{
  /* NNNNNN.eml: temporary files start with a dot and never match. */
  if (strlen (name) != 10 || !g_str_has_suffix (name, ".eml"))
    return FALSE;
  for (guint i = 0; i < 6; i++)
    {
      if (!g_ascii_isdigit (name[i]))
        return FALSE;
    }
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  /* g_ptr_array_sort() passes pointers to the elements. */
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

char **
tern_test_sandbox_wait_smtp (TernTestSandbox *self,
                             guint            n,
                             guint            timeout_ms)
{
  gint64 deadline;

  g_return_val_if_fail (self != NULL, NULL);

  deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;)
    {
      g_autoptr(GDir) dir = g_dir_open (self->smtp_spool, 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          if (is_spool_name (name))
            g_ptr_array_add (names, g_strdup (name));
        }

      if (names->len >= n)
        {
          char **paths = g_new0 (char *, n + 1);

          g_ptr_array_sort (names, compare_names);
          for (guint i = 0; i < n; i++)
            paths[i] = g_build_filename (self->smtp_spool, names->pdata[i], NULL);
          return paths;
        }

      if (g_get_monotonic_time () >= deadline)
        return NULL;
      g_usleep (20 * 1000);
    }
}
