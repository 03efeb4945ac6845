/* tern-test-certs.h: certificates made on the spot for TLS tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What a certificate is wrong with. All are for "localhost" and 127.0.0.1
 * (but WRONG_HOST), ECDSA P-256, subject "CN=localhost,O=Tern Test". */
typedef enum
{
  TERN_TEST_CERT_VALID,          /* signed by the trusted test CA */
  TERN_TEST_CERT_SELF_SIGNED,    /* signed by its own key */
  TERN_TEST_CERT_UNKNOWN_ROOT,   /* signed by a second CA that nobody trusts */
  TERN_TEST_CERT_WRONG_HOST,     /* for wronghost.test only, signed by the trusted CA */
  TERN_TEST_CERT_EXPIRED,        /* valid only in the first half of 2020, trusted CA */
  TERN_TEST_CERT_NOT_YET_VALID,  /* valid only from 2090, trusted CA */
} TernTestCertKind;

typedef struct
{
  char            *cert_file;    /* PEM */
  char            *key_file;     /* PEM */
  char            *sha256;       /* 64 lower-case hex digits, over the DER: a pin */
  GTlsCertificate *certificate;  /* with its private key, for a GTlsServerConnection */
} TernTestCert;

/* A temporary directory with the trusted CA (ca_file: give it to the
 * client) and an untrusted one. */
typedef struct
{
  char *dir;
  char *ca_file;
  char *ca_key_file;
  char *untrusted_ca_file;
  char *untrusted_ca_key_file;
  char *certtool;
  guint serial;
} TernTestCerts;

/* Needs certtool (gnutls-bin). Fails, never skips. */
TernTestCerts *tern_test_certs_new        (GError          **error);
/* Removes the directory and frees CERTS. */
void           tern_test_certs_free       (TernTestCerts    *certs);

/* A new key and certificate of KIND; NAME names the files. Two calls give
 * two different keys with the same subject. */
TernTestCert  *tern_test_certs_make       (TernTestCerts    *certs,
                                           TernTestCertKind  kind,
                                           const char       *name,
                                           GError          **error);
void           tern_test_cert_free        (TernTestCert     *cert);

/* The SHA-256 pin (64 lower-case hex digits) of the first certificate in a
 * PEM file, e.g. the sandbox's tls/server.pem. */
char          *tern_test_cert_file_sha256 (const char       *pem_file,
                                           GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernTestCerts, tern_test_certs_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TernTestCert, tern_test_cert_free)

G_END_DECLS
