/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tern-certificate-info.h"

G_BEGIN_DECLS

typedef enum
{
  TERN_CERTIFICATE_DECISION_REJECT,        /* do not connect */
  TERN_CERTIFICATE_DECISION_TRUST_ONCE,    /* this certificate, for this session only */
  TERN_CERTIFICATE_DECISION_TRUST_ALWAYS,  /* pin this certificate's SHA-256 in the account */
} TernCertificateDecision;

/* Asks a person whether to trust a certificate that failed verification,
 * after showing its details. The app implements it with a dialog, tern-cli
 * on the terminal; the engine only calls it.
 *
 * TernConnection calls ask_async() after the handshake has failed, so the
 * answer may take as long as the person needs. On TRUST_ALWAYS the
 * connection takes the certificate's pin (TernConnection:pinned-sha256
 * changes); the caller saves it in the account. */
#define TERN_TYPE_CERTIFICATE_PROMPT (tern_certificate_prompt_get_type ())
G_DECLARE_INTERFACE (TernCertificatePrompt, tern_certificate_prompt, TERN, CERTIFICATE_PROMPT, GObject)

struct _TernCertificatePromptInterface
{
  GTypeInterface parent_iface;

  void                    (*ask_async)  (TernCertificatePrompt *self,
                                         TernCertificateInfo   *info,
                                         GTlsCertificateFlags   errors,
                                         const char            *host,
                                         GCancellable          *cancellable,
                                         GAsyncReadyCallback    callback,
                                         gpointer               user_data);
  TernCertificateDecision (*ask_finish) (TernCertificatePrompt *self,
                                         GAsyncResult          *result,
                                         GError               **error);
};

void                    tern_certificate_prompt_ask_async  (TernCertificatePrompt *self,
                                                            TernCertificateInfo   *info,
                                                            GTlsCertificateFlags   errors,
                                                            const char            *host,
                                                            GCancellable          *cancellable,
                                                            GAsyncReadyCallback    callback,
                                                            gpointer               user_data);
/* An error counts as REJECT. */
TernCertificateDecision tern_certificate_prompt_ask_finish (TernCertificatePrompt *self,
                                                            GAsyncResult          *result,
                                                            GError               **error);

G_END_DECLS
