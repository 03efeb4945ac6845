/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-certificate-info"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tern-certificate-info.h"
#include "tern-net-error.h"
#include "tern-net-private.h"

struct _TernCertificateInfo
{
  GObject          parent_instance;

  GTlsCertificate *certificate;
  char            *subject;
  char            *issuer;
  char            *serial;
  GDateTime       *not_before;
  GDateTime       *not_after;
  char            *sha256;
  char            *pin;
  char           **subject_alt_names;
  gboolean         self_signed;
  guint8           digest[TERN_CERTIFICATE_DIGEST_SIZE];
};

G_DEFINE_FINAL_TYPE (TernCertificateInfo, tern_certificate_info, G_TYPE_OBJECT)

static void
tern_certificate_info_finalize (GObject *object)
{
  TernCertificateInfo *self = TERN_CERTIFICATE_INFO (object);

  g_clear_object (&self->certificate);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->serial, g_free);
  g_clear_pointer (&self->not_before, g_date_time_unref);
  g_clear_pointer (&self->not_after, g_date_time_unref);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->pin, g_free);
  g_clear_pointer (&self->subject_alt_names, g_strfreev);

  G_OBJECT_CLASS (tern_certificate_info_parent_class)->finalize (object);
}

static void
tern_certificate_info_class_init (TernCertificateInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tern_certificate_info_finalize;
}

static void
tern_certificate_info_init (TernCertificateInfo *self)
{
}

static char *
format_hex (const guint8 *data,
            gsize         length,
            gboolean      colons)
{
  GString *out = g_string_sized_new (length * 3);

  for (gsize i = 0; i < length; i++)
    {
      if (colons)
        g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", data[i]);
      else
        g_string_append_printf (out, "%02x", data[i]);
    }
  return g_string_free (out, FALSE);
}

static char *
take_dn (int             ret,
         gnutls_datum_t *datum)
{
  char *dn;

  if (ret < 0)
    return g_strdup ("");
  dn = tern_net_escape_text ((const char *) datum->data, datum->size, G_MAXSIZE);
  gnutls_free (datum->data);
  return dn;
}

static GDateTime *
date_from_time (time_t t)
{
  if (t == (time_t) -1)
    return NULL;
  return g_date_time_new_from_unix_utc ((gint64) t);
}

static char *
format_alt_name (int           type,
                 const guint8 *data,
                 gsize         size)
{
  g_autofree char *text = NULL;
  const char *prefix;

  switch (type)
    {
    case GNUTLS_SAN_DNSNAME:
      prefix = "DNS";
      break;
    case GNUTLS_SAN_RFC822NAME:
      prefix = "email";
      break;
    case GNUTLS_SAN_URI:
      prefix = "URI";
      break;
    case GNUTLS_SAN_IPADDRESS:
      if (size == 4 || size == 16)
        {
          g_autoptr(GInetAddress) address =
            g_inet_address_new_from_bytes (data, size == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
          g_autofree char *ip = g_inet_address_to_string (address);

          return g_strconcat ("IP:", ip, NULL);
        }
      return NULL;
    default:
      return NULL;
    }

  text = tern_net_escape_text ((const char *) data, size, G_MAXSIZE);
  return g_strconcat (prefix, ":", text, NULL);
}

static char **
read_alt_names (gnutls_x509_crt_t crt)
{
  GPtrArray *names = g_ptr_array_new ();

  /* Bounded: a hostile certificate is still read into memory once only. */
  for (unsigned int seq = 0; seq < 1024; seq++)
    {
      g_autofree guint8 *buffer = NULL;
      size_t size = 0;
      unsigned int critical = 0;
      char *name;
      int ret;

      ret = gnutls_x509_crt_get_subject_alt_name (crt, seq, NULL, &size, &critical);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret != GNUTLS_E_SHORT_MEMORY_BUFFER && ret < 0)
        continue;

      size += 1;
      buffer = g_malloc0 (size);
      ret = gnutls_x509_crt_get_subject_alt_name (crt, seq, buffer, &size, &critical);
      if (ret < 0)
        continue;

      name = format_alt_name (ret, buffer, size);
      if (name != NULL)
        g_ptr_array_add (names, name);
    }

  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

static GBytes *
dup_der (GTlsCertificate *certificate)
{
  GByteArray *der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  return g_byte_array_free_to_bytes (der);
}

/**
 * tern_certificate_info_new:
 *
 * Reads @certificate's details. Fails with %TERN_NET_ERROR_FAILED if the DER
 * cannot be parsed.
 */
TernCertificateInfo *
tern_certificate_info_new (GTlsCertificate  *certificate,
                           GError          **error)
{
  g_autoptr(TernCertificateInfo) self = NULL;
  g_autoptr(GBytes) der = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum;
  gnutls_datum_t dn;
  guint8 serial[64];
  size_t size;
  int ret;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  der = dup_der (certificate);
  if (der == NULL)
    {
      g_set_error_literal (error, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                           "The server’s certificate could not be read");
      return NULL;
    }

  datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
  datum.size = g_bytes_get_size (der);
  if (gnutls_x509_crt_init (&crt) < 0)
    {
      g_set_error_literal (error, TERN_NET_ERROR, TERN_NET_ERROR_FAILED, "Out of memory");
      return NULL;
    }
  ret = gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      g_set_error (error, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                   "The server’s certificate could not be read: %s", gnutls_strerror (ret));
      gnutls_x509_crt_deinit (crt);
      return NULL;
    }

  self = g_object_new (TERN_TYPE_CERTIFICATE_INFO, NULL);
  self->certificate = g_object_ref (certificate);

  ret = gnutls_x509_crt_get_dn3 (crt, &dn, 0);
  self->subject = take_dn (ret, &dn);
  ret = gnutls_x509_crt_get_issuer_dn3 (crt, &dn, 0);
  self->issuer = take_dn (ret, &dn);

  size = sizeof serial;
  if (gnutls_x509_crt_get_serial (crt, serial, &size) >= 0)
    self->serial = format_hex (serial, size, TRUE);
  else
    self->serial = g_strdup ("");

  self->not_before = date_from_time (gnutls_x509_crt_get_activation_time (crt));
  self->not_after = date_from_time (gnutls_x509_crt_get_expiration_time (crt));

  size = sizeof self->digest;
  ret = gnutls_x509_crt_get_fingerprint (crt, GNUTLS_DIG_SHA256, self->digest, &size);
  if (ret < 0 || size != sizeof self->digest)
    {
      g_set_error (error, TERN_NET_ERROR, TERN_NET_ERROR_FAILED,
                   "The server’s certificate could not be read: %s", gnutls_strerror (ret));
      gnutls_x509_crt_deinit (crt);
      return NULL;
    }
  self->sha256 = format_hex (self->digest, sizeof self->digest, TRUE);
  self->pin = format_hex (self->digest, sizeof self->digest, FALSE);

  self->subject_alt_names = read_alt_names (crt);
  self->self_signed = gnutls_x509_crt_check_issuer (crt, crt) == 1;

  gnutls_x509_crt_deinit (crt);
  return g_steal_pointer (&self);
}

GTlsCertificate *
tern_certificate_info_get_certificate (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->certificate;
}

const char *
tern_certificate_info_get_subject (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->subject;
}

const char *
tern_certificate_info_get_issuer (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->issuer;
}

const char *
tern_certificate_info_get_serial (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->serial;
}

GDateTime *
tern_certificate_info_get_not_before (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->not_before;
}

GDateTime *
tern_certificate_info_get_not_after (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->not_after;
}

const char *
tern_certificate_info_get_sha256 (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->sha256;
}

const char *
tern_certificate_info_get_pin (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return self->pin;
}

const char * const *
tern_certificate_info_get_subject_alt_names (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);
  return (const char * const *) self->subject_alt_names;
}

gboolean
tern_certificate_info_is_self_signed (TernCertificateInfo *self)
{
  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), FALSE);
  return self->self_signed;
}

gboolean
tern_certificate_info_matches_pin (TernCertificateInfo *self,
                                   const char          *pin)
{
  guint8 digest[TERN_CERTIFICATE_DIGEST_SIZE];

  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), FALSE);

  if (!tern_certificate_parse_pin (pin, digest))
    return FALSE;
  return tern_certificate_digest_equal (digest, self->digest);
}

static char *
format_date (GDateTime *date)
{
  if (date == NULL)
    return g_strdup ("unknown");
  return g_date_time_format (date, "%Y-%m-%d %H:%M:%S UTC");
}

char *
tern_certificate_info_to_string (TernCertificateInfo *self)
{
  g_autofree char *not_before = NULL;
  g_autofree char *not_after = NULL;
  g_autofree char *names = NULL;

  g_return_val_if_fail (TERN_IS_CERTIFICATE_INFO (self), NULL);

  not_before = format_date (self->not_before);
  not_after = format_date (self->not_after);
  names = g_strjoinv (", ", self->subject_alt_names);

  return g_strdup_printf ("Subject: %s\n"
                          "Issuer: %s%s\n"
                          "Names: %s\n"
                          "Valid from: %s\n"
                          "Valid until: %s\n"
                          "Serial: %s\n"
                          "SHA-256: %s\n",
                          self->subject,
                          self->issuer, self->self_signed ? " (self-signed)" : "",
                          names[0] != '\0' ? names : "none",
                          not_before,
                          not_after,
                          self->serial,
                          self->sha256);
}

char **
tern_certificate_errors_to_strv (GTlsCertificateFlags errors)
{
  static const struct
  {
    GTlsCertificateFlags flag;
    const char *text;
  } texts[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "It is not signed by a certificate authority this computer trusts." },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "It was issued for a different server name." },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "It is not valid yet (is this computer’s clock right?)." },
    { G_TLS_CERTIFICATE_EXPIRED, "It has expired." },
    { G_TLS_CERTIFICATE_REVOKED, "It has been revoked by its issuer." },
    { G_TLS_CERTIFICATE_INSECURE, "It uses cryptography that is no longer safe." },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "It could not be checked." },
  };
  GPtrArray *out = g_ptr_array_new ();
  GTlsCertificateFlags known = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      known |= texts[i].flag;
      if (errors & texts[i].flag)
        g_ptr_array_add (out, g_strdup (texts[i].text));
    }
  if ((errors & ~known) != 0)
    g_ptr_array_add (out, g_strdup ("It failed a check this version of Tern does not know."));

  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

char *
tern_certificate_errors_to_string (GTlsCertificateFlags errors)
{
  g_auto(GStrv) strv = tern_certificate_errors_to_strv (errors);

  return g_strjoinv (" ", strv);
}

/* Accepts 64 hex digits in either case, with or without colons between
 * pairs ("ab:cd:…" or "abcd…"). */
gboolean
tern_certificate_parse_pin (const char *pin,
                            guint8      digest[TERN_CERTIFICATE_DIGEST_SIZE])
{
  gsize n = 0;
  const char *p = pin;

  if (pin == NULL)
    return FALSE;

  while (*p != '\0')
    {
      int hi, lo;

      if (*p == ':' && n > 0)
        p++;
      if (n == TERN_CERTIFICATE_DIGEST_SIZE)
        return FALSE;
      hi = g_ascii_xdigit_value (p[0]);
      lo = hi < 0 ? -1 : g_ascii_xdigit_value (p[1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      digest[n++] = (guint8) (hi << 4 | lo);
      p += 2;
    }

  return n == TERN_CERTIFICATE_DIGEST_SIZE;
}

gboolean
tern_certificate_compute_digest (GTlsCertificate *certificate,
                                 guint8           digest[TERN_CERTIFICATE_DIGEST_SIZE])
{
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  gsize size = TERN_CERTIFICATE_DIGEST_SIZE;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), FALSE);

  der = dup_der (certificate);
  if (der == NULL)
    return FALSE;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &size);
  return size == TERN_CERTIFICATE_DIGEST_SIZE;
}

gboolean
tern_certificate_digest_equal (const guint8 *a,
                               const guint8 *b)
{
  /* Accumulate the difference over every byte, through volatile so that
   * the compiler cannot stop at the first mismatch. */
  volatile guint8 difference = 0;

  for (gsize i = 0; i < TERN_CERTIFICATE_DIGEST_SIZE; i++)
    difference |= a[i] ^ b[i];
  return difference == 0;
}
