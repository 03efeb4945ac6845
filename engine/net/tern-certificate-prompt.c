/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-certificate-prompt"

#include "tern-certificate-prompt.h"

G_DEFINE_INTERFACE (TernCertificatePrompt, tern_certificate_prompt, G_TYPE_OBJECT)

static void
tern_certificate_prompt_default_init (TernCertificatePromptInterface *iface)
{
}

void
tern_certificate_prompt_ask_async (TernCertificatePrompt *self,
                                   TernCertificateInfo   *info,
                                   GTlsCertificateFlags   errors,
                                   const char            *host,
                                   GCancellable          *cancellable,
                                   GAsyncReadyCallback    callback,
                                   gpointer               user_data)
{
  TernCertificatePromptInterface *iface;

  g_return_if_fail (TERN_IS_CERTIFICATE_PROMPT (self));
  g_return_if_fail (TERN_IS_CERTIFICATE_INFO (info));
  g_return_if_fail (host != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  iface = TERN_CERTIFICATE_PROMPT_GET_IFACE (self);
  g_return_if_fail (iface->ask_async != NULL);
  iface->ask_async (self, info, errors, host, cancellable, callback, user_data);
}

TernCertificateDecision
tern_certificate_prompt_ask_finish (TernCertificatePrompt  *self,
                                    GAsyncResult           *result,
                                    GError                **error)
{
  TernCertificatePromptInterface *iface;

  g_return_val_if_fail (TERN_IS_CERTIFICATE_PROMPT (self), TERN_CERTIFICATE_DECISION_REJECT);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), TERN_CERTIFICATE_DECISION_REJECT);

  iface = TERN_CERTIFICATE_PROMPT_GET_IFACE (self);
  g_return_val_if_fail (iface->ask_finish != NULL, TERN_CERTIFICATE_DECISION_REJECT);
  return iface->ask_finish (self, result, error);
}
