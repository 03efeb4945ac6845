/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The size of a SHA-256 digest, the form a certificate pin takes. */
#define TERN_CERTIFICATE_DIGEST_SIZE 32

/* What a person needs to see before trusting a certificate: read from the
 * DER with GnuTLS. Every string is safe to show as plain text (control
 * characters and invalid UTF-8 escaped), never as markup. */
#define TERN_TYPE_CERTIFICATE_INFO (tern_certificate_info_get_type ())
G_DECLARE_FINAL_TYPE (TernCertificateInfo, tern_certificate_info, TERN, CERTIFICATE_INFO, GObject)

TernCertificateInfo *tern_certificate_info_new              (GTlsCertificate     *certificate,
                                                             GError             **error);

GTlsCertificate     *tern_certificate_info_get_certificate  (TernCertificateInfo *self);
/* RFC 4514 distinguished names, e.g. "CN=localhost,O=Tern". */
const char          *tern_certificate_info_get_subject      (TernCertificateInfo *self);
const char          *tern_certificate_info_get_issuer       (TernCertificateInfo *self);
/* Hexadecimal, with colons. */
const char          *tern_certificate_info_get_serial       (TernCertificateInfo *self);
/* UTC; %NULL if the certificate has no readable date. */
GDateTime           *tern_certificate_info_get_not_before   (TernCertificateInfo *self);
GDateTime           *tern_certificate_info_get_not_after    (TernCertificateInfo *self);
/* SHA-256 over the DER, upper-case hex with colons: "AB:CD:…", for people. */
const char          *tern_certificate_info_get_sha256       (TernCertificateInfo *self);
/* The same digest as a pin: 64 lower-case hex digits, the form
 * TernAccount:pinned-sha256 stores. */
const char          *tern_certificate_info_get_pin          (TernCertificateInfo *self);
/* "DNS:localhost", "IP:127.0.0.1", "email:…", "URI:…"; never %NULL. */
const char * const  *tern_certificate_info_get_subject_alt_names (TernCertificateInfo *self);
/* The issuer names the subject itself (nobody vouches for it). */
gboolean             tern_certificate_info_is_self_signed   (TernCertificateInfo *self);
/* Constant-time comparison with a pin in any form tern_certificate_parse_pin()
 * accepts; %FALSE for a malformed pin. */
gboolean             tern_certificate_info_matches_pin      (TernCertificateInfo *self,
                                                             const char          *pin);
/* Several lines, "Subject: …", for a terminal or a details view. */
char                *tern_certificate_info_to_string        (TernCertificateInfo *self);

/* The verification errors as sentences a person can read, one per flag. */
char               **tern_certificate_errors_to_strv        (GTlsCertificateFlags errors);
char                *tern_certificate_errors_to_string      (GTlsCertificateFlags errors);

/* Pins. A pin is a SHA-256 digest over the certificate's DER. */
gboolean             tern_certificate_parse_pin             (const char          *pin,
                                                             guint8               digest[TERN_CERTIFICATE_DIGEST_SIZE]);
gboolean             tern_certificate_compute_digest        (GTlsCertificate     *certificate,
                                                             guint8               digest[TERN_CERTIFICATE_DIGEST_SIZE]);
/* Compares in time independent of where the digests differ. */
gboolean             tern_certificate_digest_equal          (const guint8        *a,
                                                             const guint8        *b);

G_END_DECLS
