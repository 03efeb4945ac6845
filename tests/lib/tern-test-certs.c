/* tern-test-certs.c: certificates made on the spot for TLS tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tern-test"

#include <glib/gstdio.h>

#include "tern-test-certs.h"

static gboolean
run_certtool (TernTestCerts  *certs,
              GError        **error,
              ...) G_GNUC_NULL_TERMINATED;

static gboolean
run_certtool (TernTestCerts  *certs,
              GError        **error,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  int status;
  va_list args;

  g_ptr_array_add (argv, certs->certtool);
  va_start (args, error);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (certs->dir, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "certtool %s failed: %s",
                   (const char *) argv->pdata[1], err);
      return FALSE;
    }
  return TRUE;
}

static char *
write_template (TernTestCerts  *certs,
                const char     *name,
                const char     *contents,
                GError        **error)
{
  g_autofree char *file = g_strconcat (name, ".cfg", NULL);
  g_autofree char *path = g_build_filename (certs->dir, file, NULL);

  if (!g_file_set_contents (path, contents, -1, error))
    return NULL;
  return g_steal_pointer (&path);
}

static char *
make_key (TernTestCerts  *certs,
          const char     *name,
          GError        **error)
{
  g_autofree char *file = g_strconcat (name, ".key", NULL);
  g_autofree char *path = g_build_filename (certs->dir, file, NULL);

  /* P-256: generated in a millisecond. */
  if (!run_certtool (certs, error, "--generate-privkey", "--key-type=ecdsa", "--curve=secp256r1",
                     "--no-text", "--outfile", path, NULL))
    return NULL;
  return g_steal_pointer (&path);
}

static gboolean
make_ca (TernTestCerts  *certs,
         const char     *name,
         const char     *cn,
         char          **cert_file,
         char          **key_file,
         GError        **error)
{
  g_autofree char *template = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *file = g_strconcat (name, ".pem", NULL);

  contents = g_strdup_printf ("cn = \"%s\"\n"
                              "organization = \"Tern Test\"\n"
                              "serial = %u\n"
                              "ca\n"
                              "cert_signing_key\n"
                              "crl_signing_key\n"
                              "expiration_days = 30\n",
                              cn, ++certs->serial);
  template = write_template (certs, name, contents, error);
  if (template == NULL)
    return FALSE;
  *key_file = make_key (certs, name, error);
  if (*key_file == NULL)
    return FALSE;
  *cert_file = g_build_filename (certs->dir, file, NULL);
  return run_certtool (certs, error, "--generate-self-signed", "--load-privkey", *key_file,
                       "--template", template, "--no-text", "--outfile", *cert_file, NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

TernTestCerts *
tern_test_certs_new (GError **error)
{
  g_autoptr(TernTestCerts) certs = g_new0 (TernTestCerts, 1);

  certs->certtool = g_find_program_in_path ("certtool");
  if (certs->certtool == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "certtool not found: install gnutls-bin");
      return NULL;
    }

  certs->dir = g_dir_make_tmp ("tern-test-certs-XXXXXX", error);
  if (certs->dir == NULL)
    return NULL;

  if (!make_ca (certs, "ca", "Tern Test Root", &certs->ca_file, &certs->ca_key_file, error) ||
      !make_ca (certs, "untrusted-ca", "Tern Untrusted Root", &certs->untrusted_ca_file,
                &certs->untrusted_ca_key_file, error))
    return NULL;

  return g_steal_pointer (&certs);
}

void
tern_test_certs_free (TernTestCerts *certs)
{
  if (certs == NULL)
    return;
  if (certs->dir != NULL)
    remove_tree (certs->dir);
  g_free (certs->dir);
  g_free (certs->ca_file);
  g_free (certs->ca_key_file);
  g_free (certs->untrusted_ca_file);
  g_free (certs->untrusted_ca_key_file);
  g_free (certs->certtool);
  g_free (certs);
}

static char *
sha256_of_certificate (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

TernTestCert *
tern_test_certs_make (TernTestCerts     *certs,
                      TernTestCertKind   kind,
                      const char        *name,
                      GError           **error)
{
  g_autoptr(TernTestCert) cert = g_new0 (TernTestCert, 1);
  g_autofree char *template = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *file = g_strconcat (name, ".pem", NULL);
  const char *names = "dns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n";
  const char *validity = "expiration_days = 30\n";
  gboolean ok;

  switch (kind)
    {
    case TERN_TEST_CERT_WRONG_HOST:
      names = "dns_name = \"wronghost.test\"\n";
      break;
    case TERN_TEST_CERT_EXPIRED:
      validity = "activation_date = \"2020-01-01 00:00:00\"\nexpiration_date = \"2020-06-01 00:00:00\"\n";
      break;
    case TERN_TEST_CERT_NOT_YET_VALID:
      validity = "activation_date = \"2090-01-01 00:00:00\"\nexpiration_date = \"2091-01-01 00:00:00\"\n";
      break;
    case TERN_TEST_CERT_VALID:
    case TERN_TEST_CERT_SELF_SIGNED:
    case TERN_TEST_CERT_UNKNOWN_ROOT:
    default:
      break;
    }

  contents = g_strdup_printf ("cn = \"%s\"\n"
                              "organization = \"Tern Test\"\n"
                              "serial = %u\n"
                              "%s%s"
                              "tls_www_server\n"
                              "signing_key\n",
                              kind == TERN_TEST_CERT_WRONG_HOST ? "wronghost.test" : "localhost",
                              ++certs->serial, names, validity);
  template = write_template (certs, name, contents, error);
  if (template == NULL)
    return NULL;

  cert->key_file = make_key (certs, name, error);
  if (cert->key_file == NULL)
    return NULL;
  cert->cert_file = g_build_filename (certs->dir, file, NULL);

  if (kind == TERN_TEST_CERT_SELF_SIGNED)
    ok = run_certtool (certs, error, "--generate-self-signed", "--load-privkey", cert->key_file,
                       "--template", template, "--no-text", "--outfile", cert->cert_file, NULL);
  else
    ok = run_certtool (certs, error, "--generate-certificate", "--load-privkey", cert->key_file,
                       "--load-ca-certificate",
                       kind == TERN_TEST_CERT_UNKNOWN_ROOT ? certs->untrusted_ca_file : certs->ca_file,
                       "--load-ca-privkey",
                       kind == TERN_TEST_CERT_UNKNOWN_ROOT ? certs->untrusted_ca_key_file : certs->ca_key_file,
                       "--template", template, "--no-text", "--outfile", cert->cert_file, NULL);
  if (!ok)
    return NULL;

  cert->certificate = g_tls_certificate_new_from_files (cert->cert_file, cert->key_file, error);
  if (cert->certificate == NULL)
    return NULL;
  cert->sha256 = sha256_of_certificate (cert->certificate);
  return g_steal_pointer (&cert);
}

void
tern_test_cert_free (TernTestCert *cert)
{
  if (cert == NULL)
    return;
  g_free (cert->cert_file);
  g_free (cert->key_file);
  g_free (cert->sha256);
  g_clear_object (&cert->certificate);
  g_free (cert);
}

char *
tern_test_cert_file_sha256 (const char  *pem_file,
                            GError     **error)
{
  g_autoptr(GTlsCertificate) certificate = g_tls_certificate_new_from_file (pem_file, error);

  if (certificate == NULL)
    return NULL;
  return sha256_of_certificate (certificate);
}
