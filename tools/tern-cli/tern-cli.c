/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-cli"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tern-cli-private.h"

#define MAX_PASSWORD_LENGTH 4096

static const char usage[] =
  "Usage: tern-cli [--data-dir DIR] COMMAND [OPTIONS…]\n"
  "\n"
  "Commands:\n"
  "  account add       Add an account (see 'tern-cli account add --help')\n"
  "  account list      List the accounts [--json]\n"
  "  account remove    Remove an account and its stored password\n"
  "  account password  Store a new password for an account\n"
  "  folders           List the stored folders and their counts [--account NAME] [--json]\n"
  "  list              List messages [--account NAME] [--folder PATH | --unified] [--limit N] [--json]\n"
  "  show ID           Show a stored message\n"
  "  search QUERY      Search the stored mail [--limit N] [--json]\n"
  "  sync              Send queued changes, fetch folders and new mail [--account NAME] [--bodies] [--debug]\n"
  "  watch             Stay connected and print new mail as it arrives [--account NAME]\n"
  "  flag ID…          Set or clear a flag: --set|--unset seen|flagged|answered|draft\n"
  "  move ID… FOLDER   Move messages to another folder of their account\n"
  "  copy ID… FOLDER   Copy messages into another folder of their account\n"
  "  delete ID…        Move messages to Trash (for good from Trash) [--permanently]\n"
  "  folder create|rename|delete PATH [NEW-PATH]  Change an account's folders [--account NAME]\n"
  "  quota             Show the server's storage quota [--account NAME]\n"
  "\n"
  "Options:\n"
  "  --data-dir DIR    Keep config and data in DIR (also $TERN_DATA_DIR)\n"
  "  --version         Print the version\n"
  "  -h, --help        Show this help\n";

void
tern_cli_error (const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "tern-cli: error: %s\n", message);
}

void
tern_cli_warning (const char *format,
                  ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "tern-cli: warning: %s\n", message);
}

/* Reads one line from standard input as the password; the line ending is
 * not part of it. The buffer is wiped on every path. */
char *
tern_cli_read_password_stdin (GError **error)
{
  char buffer[MAX_PASSWORD_LENGTH + 2];
  gsize len = 0;
  int c;

  while ((c = getchar ()) != EOF && c != '\n')
    {
      if (len > MAX_PASSWORD_LENGTH)
        {
          memset (buffer, 0, sizeof buffer);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The password on standard input is longer than %d bytes", MAX_PASSWORD_LENGTH);
          return NULL;
        }
      buffer[len++] = (char) c;
    }
  if (len > 0 && buffer[len - 1] == '\r')
    len--;
  buffer[len] = '\0';

  if (len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "No password was given on standard input");
      return NULL;
    }
  if (memchr (buffer, '\0', len) != NULL || !g_utf8_validate (buffer, len, NULL))
    {
      memset (buffer, 0, sizeof buffer);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The password on standard input is not valid UTF-8 text");
      return NULL;
    }

  {
    char *password = g_strndup (buffer, len);

    memset (buffer, 0, sizeof buffer);
    return password;
  }
}

int
main (int   argc,
      char *argv[])
{
  int i = 1;

  setlocale (LC_ALL, "");

  /* Global options come before the command. */
  while (i < argc && argv[i][0] == '-')
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--data-dir") == 0 && i + 1 < argc)
        {
          tern_paths_set_data_dir (argv[i + 1]);
          i += 2;
        }
      else if (g_str_has_prefix (arg, "--data-dir="))
        {
          tern_paths_set_data_dir (arg + strlen ("--data-dir="));
          i++;
        }
      else if (strcmp (arg, "--version") == 0)
        {
          printf ("tern-cli %s\n", TERN_VERSION);
          return TERN_CLI_EXIT_OK;
        }
      else if (strcmp (arg, "-h") == 0 || strcmp (arg, "--help") == 0)
        {
          fputs (usage, stdout);
          return TERN_CLI_EXIT_OK;
        }
      else
        {
          tern_cli_error ("unknown option “%s”; see 'tern-cli --help'", arg);
          return TERN_CLI_EXIT_USAGE;
        }
    }

  if (i >= argc)
    {
      fputs (usage, stderr);
      return TERN_CLI_EXIT_USAGE;
    }

  {
    static const struct {
      const char *name;
      int       (*run) (int, char **);
    } commands[] = {
      { "account", tern_cli_account },
      { "folders", tern_cli_folders },
      { "list", tern_cli_list },
      { "search", tern_cli_search },
      { "show", tern_cli_show },
      { "sync", tern_cli_sync },
      { "watch", tern_cli_watch },
      { "flag", tern_cli_flag },
      { "move", tern_cli_move },
      { "copy", tern_cli_copy },
      { "delete", tern_cli_delete },
      { "quota", tern_cli_quota },
      { "folder", tern_cli_folder },
    };

    for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
      if (strcmp (argv[i], commands[c].name) == 0)
        {
          /* GOption prints this as the program name in errors and help. */
          argv[i] = g_strdup_printf ("tern-cli %s", commands[c].name);
          return commands[c].run (argc - i, argv + i);
        }
  }

  tern_cli_error ("unknown command “%s”; see 'tern-cli --help'", argv[i]);
  return TERN_CLI_EXIT_USAGE;
}
