/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-account"

#include <string.h>

#include "tern-engine.h"

static TernAccount *
make_valid_account (void)
{
  TernAccount *account = tern_account_new (NULL);

  tern_account_set_name (account, "Work");
  tern_account_set_email (account, "alice@example.test");
  tern_account_set_host (account, "imap.example.test");
  tern_account_set_username (account, "alice");
  return account;
}

static void
test_defaults (void)
{
  g_autoptr(TernAccount) account = tern_account_new (NULL);

  g_assert_nonnull (tern_account_get_id (account));
  g_assert_cmpuint (strlen (tern_account_get_id (account)), ==, 32);
  g_assert_cmpint (tern_account_get_protocol (account), ==, TERN_PROTOCOL_IMAP);
  g_assert_cmpint (tern_account_get_security (account), ==, TERN_SECURITY_TLS);
  g_assert_cmpuint (tern_account_get_port (account), ==, 993);
  g_assert_true (tern_account_get_pop_keep (account));
  g_assert_cmpuint (tern_account_get_pop_delete_after_days (account), ==, 14);
  g_assert_false (tern_account_get_pop_delete_when_deleted (account));
  g_assert_cmpstr (tern_account_get_color (account), !=, NULL);

  g_assert_finalize_object (g_steal_pointer (&account));
}

static void
test_ports (void)
{
  g_assert_cmpuint (tern_security_default_port (TERN_PROTOCOL_IMAP, TERN_SECURITY_TLS), ==, 993);
  g_assert_cmpuint (tern_security_default_port (TERN_PROTOCOL_IMAP, TERN_SECURITY_STARTTLS), ==, 143);
  g_assert_cmpuint (tern_security_default_port (TERN_PROTOCOL_POP3, TERN_SECURITY_TLS), ==, 995);
  g_assert_cmpuint (tern_security_default_port (TERN_PROTOCOL_POP3, TERN_SECURITY_STARTTLS), ==, 110);
  g_assert_cmpuint (tern_security_default_smtp_port (TERN_SECURITY_TLS), ==, 465);
  g_assert_cmpuint (tern_security_default_smtp_port (TERN_SECURITY_STARTTLS), ==, 587);
}

static void
test_strings (void)
{
  TernProtocol protocol;
  TernSecurity security;

  g_assert_true (tern_protocol_from_string ("pop3", &protocol));
  g_assert_cmpint (protocol, ==, TERN_PROTOCOL_POP3);
  g_assert_true (tern_protocol_from_string ("imap", &protocol));
  g_assert_cmpint (protocol, ==, TERN_PROTOCOL_IMAP);
  g_assert_false (tern_protocol_from_string ("smtp", &protocol));
  g_assert_false (tern_protocol_from_string (NULL, &protocol));
  g_assert_true (tern_security_from_string ("starttls", &security));
  g_assert_cmpint (security, ==, TERN_SECURITY_STARTTLS);
  g_assert_false (tern_security_from_string ("TLS1.0", &security));
  g_assert_cmpstr (tern_security_to_string (TERN_SECURITY_NONE), ==, "none");
}

static void
test_validate (void)
{
  g_autoptr(TernAccount) account = make_valid_account ();
  g_autoptr(GError) error = NULL;
  struct {
    const char *email;
    const char *host;
    gboolean    ok;
  } cases[] = {
    { "alice@example.test", "imap.example.test", TRUE },
    { "alice@example.test", "127.0.0.1", TRUE },
    { "alice@example.test", "::1", TRUE },
    { "alice@bücher.example", "mail.bücher.example", TRUE },
    { "alice", "imap.example.test", FALSE },
    { "@example.test", "imap.example.test", FALSE },
    { "alice@", "imap.example.test", FALSE },
    { "a lice@example.test", "imap.example.test", FALSE },
    { "<alice@example.test>", "imap.example.test", FALSE },
    { "alice@example.test", "imap example", FALSE },
    { "alice@example.test", "imap/example", FALSE },
    { "alice@example.test", "-imap.example", FALSE },
    { "alice@example.test", "", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean ok;

      tern_account_set_email (account, cases[i].email);
      tern_account_set_host (account, cases[i].host);
      ok = tern_account_validate (account, &error);
      g_test_message ("%s / %s: %s", cases[i].email, cases[i].host, error ? error->message : "ok");
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        {
          g_assert_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID);
          g_assert_cmpstr (error->message, !=, "");
        }
      g_clear_error (&error);
    }

  tern_account_set_email (account, "alice@example.test");
  tern_account_set_host (account, "imap.example.test");
  tern_account_set_name (account, NULL);
  g_assert_false (tern_account_validate (account, &error));
  g_assert_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID);
  g_clear_error (&error);

  tern_account_set_name (account, "Work\nEvil");
  g_assert_false (tern_account_validate (account, &error));
  g_clear_error (&error);

  tern_account_set_name (account, "Work");
  tern_account_set_port (account, 0);
  g_assert_false (tern_account_validate (account, &error));
  g_clear_error (&error);
  tern_account_set_port (account, 993);

  tern_account_set_ca_file (account, "relative/ca.pem");
  g_assert_false (tern_account_validate (account, &error));
  g_clear_error (&error);
  tern_account_set_ca_file (account, "/etc/ssl/ca.pem");
  g_assert_true (tern_account_validate (account, NULL));

  tern_account_set_pinned_sha256 (account, "not-a-fingerprint");
  g_assert_false (tern_account_validate (account, &error));
  g_clear_error (&error);
  tern_account_set_pinned_sha256 (account,
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");
  g_assert_cmpstr (tern_account_get_pinned_sha256 (account), ==,
                   "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  g_assert_true (tern_account_validate (account, NULL));

  tern_account_set_smtp_host (account, "smtp example");
  g_assert_false (tern_account_validate (account, &error));
  g_clear_error (&error);
  tern_account_set_smtp_host (account, "smtp.example.test");
  g_assert_true (tern_account_validate (account, NULL));
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_notify (void)
{
  g_autoptr(TernAccount) account = make_valid_account ();
  guint count = 0;

  g_signal_connect (account, "notify::host", G_CALLBACK (notify_cb), &count);
  tern_account_set_host (account, "imap.example.test");
  g_assert_cmpuint (count, ==, 0);
  tern_account_set_host (account, "other.example.test");
  g_assert_cmpuint (count, ==, 1);
  g_object_set (account, "host", "third.example.test", NULL);
  g_assert_cmpuint (count, ==, 2);
}

static void
test_key_file_roundtrip (void)
{
  g_autoptr(TernAccount) account = make_valid_account ();
  g_autoptr(TernAccount) copy = NULL;
  g_autoptr(GKeyFile) key_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;

  tern_account_set_display_name (account, "Alice Ådahl");
  tern_account_set_protocol (account, TERN_PROTOCOL_POP3);
  tern_account_set_security (account, TERN_SECURITY_STARTTLS);
  tern_account_set_port (account, 1110);
  tern_account_set_ca_file (account, "/tmp/ca.pem");
  tern_account_set_smtp_host (account, "smtp.example.test");
  tern_account_set_smtp_port (account, 1587);
  tern_account_set_smtp_security (account, TERN_SECURITY_STARTTLS);
  tern_account_set_pop_keep (account, FALSE);
  tern_account_set_pop_delete_after_days (account, 3);
  tern_account_set_pop_delete_when_deleted (account, TRUE);
  tern_account_set_color (account, "#e01b24");

  key_file = tern_account_to_key_file (account);
  data = g_key_file_to_data (key_file, NULL, NULL);
  g_test_message ("%s", data);
  copy = tern_account_new_from_key_file (tern_account_get_id (account), key_file, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (tern_account_get_id (copy), ==, tern_account_get_id (account));
  g_assert_cmpstr (tern_account_get_name (copy), ==, "Work");
  g_assert_cmpstr (tern_account_get_display_name (copy), ==, "Alice Ådahl");
  g_assert_cmpstr (tern_account_get_email (copy), ==, "alice@example.test");
  g_assert_cmpstr (tern_account_get_color (copy), ==, "#e01b24");
  g_assert_cmpint (tern_account_get_protocol (copy), ==, TERN_PROTOCOL_POP3);
  g_assert_cmpint (tern_account_get_security (copy), ==, TERN_SECURITY_STARTTLS);
  g_assert_cmpuint (tern_account_get_port (copy), ==, 1110);
  g_assert_cmpstr (tern_account_get_username (copy), ==, "alice");
  g_assert_cmpstr (tern_account_get_ca_file (copy), ==, "/tmp/ca.pem");
  g_assert_cmpstr (tern_account_get_smtp_host (copy), ==, "smtp.example.test");
  g_assert_cmpuint (tern_account_get_smtp_port (copy), ==, 1587);
  g_assert_cmpint (tern_account_get_smtp_security (copy), ==, TERN_SECURITY_STARTTLS);
  g_assert_cmpstr (tern_account_get_smtp_username (copy), ==, "alice");
  g_assert_false (tern_account_get_pop_keep (copy));
  g_assert_cmpuint (tern_account_get_pop_delete_after_days (copy), ==, 3);
  g_assert_true (tern_account_get_pop_delete_when_deleted (copy));

  g_assert_null (strstr (data, "assword"));
}

static void
test_key_file_bad (void)
{
  static const struct {
    const char *text;
    const char *reason;
  } bad[] = {
    { "[Account]\nName=W\nEmail=a@b.test\n[Incoming]\nProtocol=nntp\nHost=h\nUsername=u\n", "Protocol" },
    { "[Account]\nName=W\nEmail=a@b.test\n[Incoming]\nProtocol=imap\nHost=h\nUsername=u\nPort=70000\n", "out of range" },
    { "[Account]\nName=W\nEmail=a@b.test\n[Incoming]\nProtocol=imap\nHost=h\nUsername=u\nPort=abc\n", "Port" },
    { "[Account]\nName=W\nEmail=a@b.test\n[Incoming]\nProtocol=imap\nHost=h\nUsername=u\nSecurity=maybe\n", "Security" },
    { "[Account]\nName=W\nEmail=a@b.test\n[Incoming]\nProtocol=imap\nUsername=u\n", "server name" },
    { "[Account]\nEmail=a@b.test\n[Incoming]\nProtocol=imap\nHost=h\nUsername=u\n", "needs a name" },
    { "[Account]\nName=W\nEmail=a@b.test\n[Incoming]\nProtocol=imap\nHost=h\n", "user name" },
    { "[Account]\nName=W\nEmail=a@b.test\n[Incoming]\nHost=h\nUsername=u\n[Outgoing]\nHost=s\nPort=0\n", "out of range" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GKeyFile) key_file = g_key_file_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(TernAccount) account = NULL;

      g_assert_true (g_key_file_load_from_data (key_file, bad[i].text, -1, G_KEY_FILE_NONE, NULL));
      account = tern_account_new_from_key_file ("abc", key_file, &error);
      g_test_message ("case %u: %s", i, error ? error->message : "(accepted)");
      g_assert_null (account);
      g_assert_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, bad[i].reason));
    }

  {
    g_autoptr(GKeyFile) key_file = g_key_file_new ();
    g_autoptr(GError) error = NULL;
    g_autoptr(TernAccount) account = NULL;

    g_assert_true (g_key_file_load_from_data (key_file, "[Account]\nName=W\nEmail=a@b.test\n"
                                              "[Incoming]\nProtocol=pop3\nHost=h\nUsername=u\n",
                                              -1, G_KEY_FILE_NONE, NULL));
    /* An id that could be a path is refused. */
    account = tern_account_new_from_key_file ("../evil", key_file, &error);
    g_assert_null (account);
    g_assert_error (error, TERN_ACCOUNT_ERROR, TERN_ACCOUNT_ERROR_INVALID);
    g_clear_error (&error);

    /* The default port follows the protocol and security. */
    account = tern_account_new_from_key_file ("abc", key_file, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (tern_account_get_port (account), ==, 995);
  }
}

static void
test_paths (void)
{
  g_autofree char *accounts = NULL;

  tern_paths_set_data_dir ("/tmp/tern-test-paths");
  g_assert_cmpstr (tern_paths_get_config_dir (), ==, "/tmp/tern-test-paths/config");
  g_assert_cmpstr (tern_paths_get_data_dir (), ==, "/tmp/tern-test-paths/data");
  accounts = tern_paths_get_accounts_dir ();
  g_assert_cmpstr (accounts, ==, "/tmp/tern-test-paths/config/accounts");

  tern_paths_set_data_dir (NULL);
  g_setenv ("TERN_DATA_DIR", "/tmp/tern-env", TRUE);
  g_assert_cmpstr (tern_paths_get_data_dir (), ==, "/tmp/tern-env/data");
  g_unsetenv ("TERN_DATA_DIR");
  tern_paths_set_data_dir (NULL);
  g_assert_true (g_str_has_suffix (tern_paths_get_config_dir (), "/tern"));
  g_assert_true (g_str_has_prefix (tern_paths_get_config_dir (), g_get_user_config_dir ()));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/account/defaults", test_defaults);
  g_test_add_func ("/tern/account/ports", test_ports);
  g_test_add_func ("/tern/account/strings", test_strings);
  g_test_add_func ("/tern/account/validate", test_validate);
  g_test_add_func ("/tern/account/notify", test_notify);
  g_test_add_func ("/tern/account/key-file/roundtrip", test_key_file_roundtrip);
  g_test_add_func ("/tern/account/key-file/bad", test_key_file_bad);
  g_test_add_func ("/tern/paths/data-dir", test_paths);

  return g_test_run ();
}
