/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-tls-database"

#include "tern-net-error.h"
#include "tern-tls-database.h"

struct _TernTlsDatabase
{
  GTlsDatabase  parent_instance;

  /* Both immutable after construction: verify_chain runs on TLS threads. */
  GTlsDatabase *system;
  GTlsDatabase *extra;
};

G_DEFINE_FINAL_TYPE (TernTlsDatabase, tern_tls_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
verify_with (GTlsDatabase            *database,
             GTlsCertificate         *chain,
             const char              *purpose,
             GSocketConnectable      *identity,
             GTlsInteraction         *interaction,
             GTlsDatabaseVerifyFlags  flags,
             GCancellable            *cancellable,
             GError                 **error)
{
  if (database == NULL)
    return G_TLS_CERTIFICATE_UNKNOWN_CA;
  return g_tls_database_verify_chain (database, chain, purpose, identity, interaction, flags, cancellable, error);
}

static GTlsCertificateFlags
tern_tls_database_verify_chain (GTlsDatabase             *database,
                                GTlsCertificate          *chain,
                                const char               *purpose,
                                GSocketConnectable       *identity,
                                GTlsInteraction          *interaction,
                                GTlsDatabaseVerifyFlags   flags,
                                GCancellable             *cancellable,
                                GError                  **error)
{
  TernTlsDatabase *self = TERN_TLS_DATABASE (database);
  GTlsCertificateFlags system_errors;
  GTlsCertificateFlags extra_errors;

  system_errors = verify_with (self->system, chain, purpose, identity, interaction, flags, cancellable, error);
  if (system_errors == 0 || self->extra == NULL)
    return system_errors;
  if (error != NULL && *error != NULL)
    return system_errors;

  extra_errors = verify_with (self->extra, chain, purpose, identity, interaction, flags, cancellable, error);
  if (extra_errors == 0)
    return 0;

  /* Report what is wrong with the chain as seen from the authority it is
   * anchored in: a certificate from the account's CA that has expired is
   * "expired", not "unknown authority". */
  if ((extra_errors & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
    return extra_errors;
  if ((system_errors & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
    return system_errors;
  return system_errors | extra_errors;
}

static GTlsCertificate *
tern_tls_database_lookup_certificate_issuer (GTlsDatabase             *database,
                                             GTlsCertificate          *certificate,
                                             GTlsInteraction          *interaction,
                                             GTlsDatabaseLookupFlags   flags,
                                             GCancellable             *cancellable,
                                             GError                  **error)
{
  TernTlsDatabase *self = TERN_TLS_DATABASE (database);
  GTlsCertificate *issuer = NULL;

  if (self->extra != NULL)
    issuer = g_tls_database_lookup_certificate_issuer (self->extra, certificate, interaction, flags,
                                                       cancellable, error);
  if (issuer == NULL && self->system != NULL && (error == NULL || *error == NULL))
    issuer = g_tls_database_lookup_certificate_issuer (self->system, certificate, interaction, flags,
                                                       cancellable, error);
  return issuer;
}

static GList *
tern_tls_database_lookup_certificates_issued_by (GTlsDatabase             *database,
                                                 GByteArray               *issuer_raw_dn,
                                                 GTlsInteraction          *interaction,
                                                 GTlsDatabaseLookupFlags   flags,
                                                 GCancellable             *cancellable,
                                                 GError                  **error)
{
  TernTlsDatabase *self = TERN_TLS_DATABASE (database);
  GList *result = NULL;

  if (self->system != NULL)
    result = g_tls_database_lookup_certificates_issued_by (self->system, issuer_raw_dn, interaction, flags,
                                                           cancellable, error);
  if (self->extra != NULL && (error == NULL || *error == NULL))
    result = g_list_concat (result,
                            g_tls_database_lookup_certificates_issued_by (self->extra, issuer_raw_dn,
                                                                          interaction, flags,
                                                                          cancellable, error));
  return result;
}

static char *
tern_tls_database_create_certificate_handle (GTlsDatabase    *database,
                                             GTlsCertificate *certificate)
{
  TernTlsDatabase *self = TERN_TLS_DATABASE (database);
  char *handle = NULL;

  if (self->system != NULL)
    handle = g_tls_database_create_certificate_handle (self->system, certificate);
  if (handle == NULL && self->extra != NULL)
    handle = g_tls_database_create_certificate_handle (self->extra, certificate);
  return handle;
}

static GTlsCertificate *
tern_tls_database_lookup_certificate_for_handle (GTlsDatabase             *database,
                                                 const char               *handle,
                                                 GTlsInteraction          *interaction,
                                                 GTlsDatabaseLookupFlags   flags,
                                                 GCancellable             *cancellable,
                                                 GError                  **error)
{
  TernTlsDatabase *self = TERN_TLS_DATABASE (database);
  GTlsCertificate *certificate = NULL;

  if (self->system != NULL)
    certificate = g_tls_database_lookup_certificate_for_handle (self->system, handle, interaction, flags,
                                                                cancellable, error);
  if (certificate == NULL && self->extra != NULL && (error == NULL || *error == NULL))
    certificate = g_tls_database_lookup_certificate_for_handle (self->extra, handle, interaction, flags,
                                                                cancellable, error);
  return certificate;
}

static void
tern_tls_database_finalize (GObject *object)
{
  TernTlsDatabase *self = TERN_TLS_DATABASE (object);

  g_clear_object (&self->system);
  g_clear_object (&self->extra);

  G_OBJECT_CLASS (tern_tls_database_parent_class)->finalize (object);
}

static void
tern_tls_database_class_init (TernTlsDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = tern_tls_database_finalize;

  database_class->verify_chain = tern_tls_database_verify_chain;
  database_class->lookup_certificate_issuer = tern_tls_database_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = tern_tls_database_lookup_certificates_issued_by;
  database_class->create_certificate_handle = tern_tls_database_create_certificate_handle;
  database_class->lookup_certificate_for_handle = tern_tls_database_lookup_certificate_for_handle;
}

static void
tern_tls_database_init (TernTlsDatabase *self)
{
}

GTlsDatabase *
tern_tls_database_new (GTlsDatabase  *system,
                       const char    *ca_file,
                       GError       **error)
{
  g_autoptr(TernTlsDatabase) self = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (system == NULL || G_IS_TLS_DATABASE (system), NULL);
  g_return_val_if_fail (ca_file != NULL, NULL);

  self = g_object_new (TERN_TYPE_TLS_DATABASE, NULL);
  self->system = system != NULL ? g_object_ref (system) : NULL;
  self->extra = g_tls_file_database_new (ca_file, &local_error);
  if (self->extra == NULL)
    {
      g_set_error (error, TERN_NET_ERROR, TERN_NET_ERROR_INVALID,
                   "The certificate authority file “%s” could not be read (%s). "
                   "Check the account’s CA file setting.",
                   ca_file, local_error->message);
      return NULL;
    }
  return G_TLS_DATABASE (g_steal_pointer (&self));
}
