/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-response"

#include <string.h>

#include "tern-imap-response.h"

/* How much of one string tern_imap_response_to_string() shows. */
#define DESCRIBE_MAX_STRING 200

G_DEFINE_BOXED_TYPE (TernImapResponse, tern_imap_response, tern_imap_response_ref, tern_imap_response_unref)

/* Constructors and destructors ------------------------------------------------ */

TernImapCode *
tern_imap_code_new (void)
{
  return g_new0 (TernImapCode, 1);
}

void
tern_imap_code_free (TernImapCode *code)
{
  if (code == NULL)
    return;
  g_free (code->name);
  g_free (code->text);
  g_strfreev (code->strv);
  g_clear_pointer (&code->uids, tern_imap_sequence_free);
  g_clear_pointer (&code->dest_uids, tern_imap_sequence_free);
  g_free (code);
}

TernImapAddress *
tern_imap_address_new (void)
{
  return g_new0 (TernImapAddress, 1);
}

void
tern_imap_address_free (TernImapAddress *address)
{
  if (address == NULL)
    return;
  g_free (address->name);
  g_free (address->adl);
  g_free (address->mailbox);
  g_free (address->host);
  g_free (address);
}

TernImapEnvelope *
tern_imap_envelope_new (void)
{
  return g_new0 (TernImapEnvelope, 1);
}

void
tern_imap_envelope_free (TernImapEnvelope *envelope)
{
  if (envelope == NULL)
    return;
  g_free (envelope->date);
  g_free (envelope->subject);
  g_clear_pointer (&envelope->from, g_ptr_array_unref);
  g_clear_pointer (&envelope->sender, g_ptr_array_unref);
  g_clear_pointer (&envelope->reply_to, g_ptr_array_unref);
  g_clear_pointer (&envelope->to, g_ptr_array_unref);
  g_clear_pointer (&envelope->cc, g_ptr_array_unref);
  g_clear_pointer (&envelope->bcc, g_ptr_array_unref);
  g_free (envelope->in_reply_to);
  g_free (envelope->message_id);
  g_free (envelope);
}

TernImapParam *
tern_imap_param_new (void)
{
  return g_new0 (TernImapParam, 1);
}

void
tern_imap_param_free (TernImapParam *param)
{
  if (param == NULL)
    return;
  g_free (param->name);
  g_free (param->value);
  g_free (param);
}

TernImapBodyPart *
tern_imap_body_part_new (void)
{
  TernImapBodyPart *part = g_new0 (TernImapBodyPart, 1);

  part->params = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_param_free);
  part->disposition_params = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_param_free);
  part->children = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_body_part_free);
  return part;
}

/* The parser bounds the depth of the tree, so the recursion is bounded. */
void
tern_imap_body_part_free (TernImapBodyPart *part)
{
  if (part == NULL)
    return;
  g_free (part->type);
  g_free (part->subtype);
  g_free (part->section);
  g_ptr_array_unref (part->params);
  g_free (part->id);
  g_free (part->description);
  g_free (part->encoding);
  g_free (part->md5);
  g_free (part->disposition);
  g_ptr_array_unref (part->disposition_params);
  g_strfreev (part->language);
  g_free (part->location);
  g_ptr_array_unref (part->children);
  g_clear_pointer (&part->envelope, tern_imap_envelope_free);
  g_clear_pointer (&part->body, tern_imap_body_part_free);
  g_free (part);
}

TernImapFetchSection *
tern_imap_fetch_section_new (void)
{
  return g_new0 (TernImapFetchSection, 1);
}

void
tern_imap_fetch_section_free (TernImapFetchSection *section)
{
  if (section == NULL)
    return;
  g_free (section->section);
  g_clear_pointer (&section->data, g_bytes_unref);
  g_free (section);
}

TernImapFetch *
tern_imap_fetch_new (void)
{
  TernImapFetch *fetch = g_new0 (TernImapFetch, 1);

  fetch->sections = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_fetch_section_free);
  return fetch;
}

void
tern_imap_fetch_free (TernImapFetch *fetch)
{
  if (fetch == NULL)
    return;
  g_strfreev (fetch->flags);
  g_clear_pointer (&fetch->envelope, tern_imap_envelope_free);
  g_clear_pointer (&fetch->body, tern_imap_body_part_free);
  g_ptr_array_unref (fetch->sections);
  g_strfreev (fetch->gm_labels);
  g_free (fetch->email_id);
  g_free (fetch->thread_id);
  g_free (fetch);
}

TernImapMailbox *
tern_imap_mailbox_new (void)
{
  return g_new0 (TernImapMailbox, 1);
}

void
tern_imap_mailbox_free (TernImapMailbox *mailbox)
{
  if (mailbox == NULL)
    return;
  g_strfreev (mailbox->attributes);
  g_free (mailbox->name);
  g_free (mailbox->raw_name);
  g_free (mailbox);
}

TernImapMailboxStatus *
tern_imap_mailbox_status_new (void)
{
  return g_new0 (TernImapMailboxStatus, 1);
}

void
tern_imap_mailbox_status_free (TernImapMailboxStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->name);
  g_free (status->raw_name);
  g_free (status);
}

TernImapEsearch *
tern_imap_esearch_new (void)
{
  return g_new0 (TernImapEsearch, 1);
}

void
tern_imap_esearch_free (TernImapEsearch *esearch)
{
  if (esearch == NULL)
    return;
  g_free (esearch->tag);
  g_clear_pointer (&esearch->all, tern_imap_sequence_free);
  g_free (esearch);
}

TernImapNamespace *
tern_imap_namespace_new (void)
{
  return g_new0 (TernImapNamespace, 1);
}

void
tern_imap_namespace_free (TernImapNamespace *ns)
{
  if (ns == NULL)
    return;
  g_free (ns->prefix);
  g_free (ns->raw_prefix);
  g_free (ns);
}

TernImapQuotaResource *
tern_imap_quota_resource_new (void)
{
  return g_new0 (TernImapQuotaResource, 1);
}

void
tern_imap_quota_resource_free (TernImapQuotaResource *resource)
{
  if (resource == NULL)
    return;
  g_free (resource->name);
  g_free (resource);
}

/**
 * tern_imap_response_new:
 * @kind: what the response is
 *
 * Returns: (transfer full): an empty response of @kind
 */
TernImapResponse *
tern_imap_response_new (TernImapResponseKind kind)
{
  TernImapResponse *self = g_new0 (TernImapResponse, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  return self;
}

TernImapResponse *
tern_imap_response_ref (TernImapResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
tern_imap_response_unref (TernImapResponse *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->tag);
  g_clear_pointer (&self->code, tern_imap_code_free);
  g_free (self->text);
  g_strfreev (self->strv);
  g_clear_pointer (&self->mailbox, tern_imap_mailbox_free);
  g_clear_pointer (&self->mailbox_status, tern_imap_mailbox_status_free);
  g_clear_pointer (&self->numbers, g_array_unref);
  g_clear_pointer (&self->esearch, tern_imap_esearch_free);
  g_clear_pointer (&self->uids, tern_imap_sequence_free);
  g_clear_pointer (&self->personal, g_ptr_array_unref);
  g_clear_pointer (&self->other, g_ptr_array_unref);
  g_clear_pointer (&self->shared, g_ptr_array_unref);
  g_free (self->quota_root);
  g_clear_pointer (&self->resources, g_ptr_array_unref);
  g_clear_pointer (&self->id, g_hash_table_unref);
  g_clear_pointer (&self->fetch, tern_imap_fetch_free);
  g_free (self->keyword);
  g_free (self);
}

const char *
tern_imap_response_kind_to_string (TernImapResponseKind kind)
{
  static const char * const names[] = {
    "TAGGED", "STATUS", "CONTINUATION", "CAPABILITY", "ENABLED", "FLAGS", "LIST", "LSUB",
    "STATUS_DATA", "EXISTS", "EXPUNGE", "RECENT", "SEARCH", "ESEARCH", "VANISHED",
    "NAMESPACE", "QUOTA", "QUOTAROOT", "ID", "FETCH", "UNKNOWN",
  };

  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (names), "?");
  return names[kind];
}

const char *
tern_imap_status_to_string (TernImapStatus status)
{
  static const char * const names[] = { "OK", "NO", "BAD", "BYE", "PREAUTH" };

  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (names), "?");
  return names[status];
}

/* Description -------------------------------------------------------------- */

/* A string in double quotes with quotes, backslashes, control characters and
 * bytes that are not UTF-8 escaped, cut after DESCRIBE_MAX_STRING bytes. */
static void
append_string (GString    *out,
               const char *s)
{
  const char *p;
  gsize len;

  if (s == NULL)
    {
      g_string_append (out, "NIL");
      return;
    }

  len = strlen (s);
  g_string_append_c (out, '"');
  for (p = s; *p != '\0' && (gsize) (p - s) < DESCRIBE_MAX_STRING;)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", (char) c);
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  if (*p != '\0')
    g_string_append_printf (out, "…(%" G_GSIZE_FORMAT " bytes)", len);
  g_string_append_c (out, '"');
}

static void
append_strv (GString    *out,
             char      **strv)
{
  g_string_append_c (out, '(');
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      append_string (out, strv[i]);
    }
  g_string_append_c (out, ')');
}

static void
append_sequence (GString                *out,
                 const TernImapSequence *sequence)
{
  g_autofree char *text = NULL;

  if (sequence == NULL)
    {
      g_string_append (out, "NIL");
      return;
    }
  text = tern_imap_sequence_to_string (sequence);
  if (strlen (text) > DESCRIBE_MAX_STRING)
    g_string_append_printf (out, "%.*s…(%u ranges)", DESCRIBE_MAX_STRING, text,
                            tern_imap_sequence_get_n_ranges (sequence));
  else
    g_string_append (out, text);
}

static void
append_code (GString            *out,
             const TernImapCode *code)
{
  g_string_append_printf (out, " [%s", code->name);
  switch (code->kind)
    {
    case TERN_IMAP_CODE_UIDNEXT:
    case TERN_IMAP_CODE_UIDVALIDITY:
    case TERN_IMAP_CODE_UNSEEN:
      g_string_append_printf (out, " %u", code->number);
      break;
    case TERN_IMAP_CODE_HIGHESTMODSEQ:
      g_string_append_printf (out, " %" G_GUINT64_FORMAT, code->modseq);
      break;
    case TERN_IMAP_CODE_APPENDUID:
    case TERN_IMAP_CODE_COPYUID:
      g_string_append_printf (out, " %u ", code->number);
      append_sequence (out, code->uids);
      if (code->kind == TERN_IMAP_CODE_COPYUID)
        {
          g_string_append_c (out, ' ');
          append_sequence (out, code->dest_uids);
        }
      break;
    case TERN_IMAP_CODE_MODIFIED:
      g_string_append_c (out, ' ');
      append_sequence (out, code->uids);
      break;
    case TERN_IMAP_CODE_BADCHARSET:
    case TERN_IMAP_CODE_CAPABILITY:
    case TERN_IMAP_CODE_PERMANENTFLAGS:
    case TERN_IMAP_CODE_REFERRAL:
      if (code->strv != NULL)
        {
          g_string_append_c (out, ' ');
          append_strv (out, code->strv);
        }
      break;
    case TERN_IMAP_CODE_UNKNOWN:
      if (code->text != NULL)
        {
          g_string_append_c (out, ' ');
          append_string (out, code->text);
        }
      break;
    default:
      break;
    }
  g_string_append_c (out, ']');
}

static void
append_addresses (GString   *out,
                  GPtrArray *addresses)
{
  if (addresses == NULL)
    {
      g_string_append (out, "NIL");
      return;
    }
  g_string_append_c (out, '(');
  for (guint i = 0; i < addresses->len; i++)
    {
      const TernImapAddress *a = g_ptr_array_index (addresses, i);

      if (i > 0)
        g_string_append_c (out, ' ');
      switch (a->kind)
        {
        case TERN_IMAP_ADDRESS_GROUP_START:
          g_string_append (out, "group:");
          append_string (out, a->mailbox);
          break;
        case TERN_IMAP_ADDRESS_GROUP_END:
          g_string_append (out, "end-group");
          break;
        case TERN_IMAP_ADDRESS_MAILBOX:
        default:
          g_string_append_c (out, '(');
          append_string (out, a->name);
          g_string_append_c (out, ' ');
          append_string (out, a->adl);
          g_string_append_c (out, ' ');
          append_string (out, a->mailbox);
          g_string_append_c (out, ' ');
          append_string (out, a->host);
          g_string_append_c (out, ')');
          break;
        }
    }
  g_string_append_c (out, ')');
}

static void
append_envelope (GString                *out,
                 const TernImapEnvelope *e)
{
  g_string_append_c (out, '(');
  append_string (out, e->date);
  g_string_append_c (out, ' ');
  append_string (out, e->subject);
  g_string_append_c (out, ' ');
  append_addresses (out, e->from);
  g_string_append_c (out, ' ');
  append_addresses (out, e->sender);
  g_string_append_c (out, ' ');
  append_addresses (out, e->reply_to);
  g_string_append_c (out, ' ');
  append_addresses (out, e->to);
  g_string_append_c (out, ' ');
  append_addresses (out, e->cc);
  g_string_append_c (out, ' ');
  append_addresses (out, e->bcc);
  g_string_append_c (out, ' ');
  append_string (out, e->in_reply_to);
  g_string_append_c (out, ' ');
  append_string (out, e->message_id);
  g_string_append_c (out, ')');
}

static void
append_params (GString   *out,
               GPtrArray *params)
{
  g_string_append_c (out, '(');
  for (guint i = 0; i < params->len; i++)
    {
      const TernImapParam *param = g_ptr_array_index (params, i);

      if (i > 0)
        g_string_append_c (out, ' ');
      append_string (out, param->name);
      g_string_append_c (out, '=');
      append_string (out, param->value);
    }
  g_string_append_c (out, ')');
}

static void
append_body (GString                *out,
             const TernImapBodyPart *part)
{
  g_string_append_printf (out, "(%s/%s", part->type, part->subtype);
  if (part->section != NULL)
    g_string_append_printf (out, " #%s", part->section);
  if (part->params->len > 0)
    {
      g_string_append_c (out, ' ');
      append_params (out, part->params);
    }
  if (g_strcmp0 (part->type, "multipart") == 0)
    {
      for (guint i = 0; i < part->children->len; i++)
        {
          g_string_append_c (out, ' ');
          append_body (out, g_ptr_array_index (part->children, i));
        }
    }
  else
    {
      g_string_append (out, " id=");
      append_string (out, part->id);
      g_string_append (out, " desc=");
      append_string (out, part->description);
      g_string_append (out, " enc=");
      append_string (out, part->encoding);
      g_string_append_printf (out, " size=%u lines=%" G_GUINT64_FORMAT, part->size, part->lines);
    }
  if (part->envelope != NULL)
    {
      g_string_append (out, " env=");
      append_envelope (out, part->envelope);
    }
  if (part->body != NULL)
    {
      g_string_append (out, " body=");
      append_body (out, part->body);
    }
  if (part->extended)
    {
      g_string_append (out, " md5=");
      append_string (out, part->md5);
      g_string_append (out, " disp=");
      append_string (out, part->disposition);
      if (part->disposition_params->len > 0)
        append_params (out, part->disposition_params);
      g_string_append (out, " lang=");
      if (part->language != NULL)
        append_strv (out, part->language);
      else
        g_string_append (out, "NIL");
      g_string_append (out, " loc=");
      append_string (out, part->location);
    }
  g_string_append_c (out, ')');
}

static const char *
get_section_kind_name (TernImapSectionKind kind)
{
  switch (kind)
    {
    case TERN_IMAP_SECTION_BINARY:
      return "BINARY";
    case TERN_IMAP_SECTION_BINARY_SIZE:
      return "BINARY.SIZE";
    case TERN_IMAP_SECTION_RFC822:
      return "RFC822";
    case TERN_IMAP_SECTION_RFC822_HEADER:
      return "RFC822.HEADER";
    case TERN_IMAP_SECTION_RFC822_TEXT:
      return "RFC822.TEXT";
    case TERN_IMAP_SECTION_BODY:
    default:
      return "BODY";
    }
}

static void
append_fetch (GString             *out,
              const TernImapFetch *f)
{
  if (f->has & TERN_IMAP_FETCH_UID)
    g_string_append_printf (out, " UID=%u", f->uid);
  if (f->has & TERN_IMAP_FETCH_FLAGS)
    {
      g_string_append (out, " FLAGS=");
      append_strv (out, f->flags);
    }
  if (f->has & TERN_IMAP_FETCH_INTERNALDATE)
    g_string_append_printf (out, " INTERNALDATE=%" G_GINT64_FORMAT, f->internaldate);
  if (f->has & TERN_IMAP_FETCH_RFC822_SIZE)
    g_string_append_printf (out, " RFC822.SIZE=%" G_GUINT64_FORMAT, f->rfc822_size);
  if (f->has & TERN_IMAP_FETCH_MODSEQ)
    g_string_append_printf (out, " MODSEQ=%" G_GUINT64_FORMAT, f->modseq);
  if (f->has & TERN_IMAP_FETCH_GM_MSGID)
    g_string_append_printf (out, " X-GM-MSGID=%" G_GUINT64_FORMAT, f->gm_msgid);
  if (f->has & TERN_IMAP_FETCH_GM_THRID)
    g_string_append_printf (out, " X-GM-THRID=%" G_GUINT64_FORMAT, f->gm_thrid);
  if (f->has & TERN_IMAP_FETCH_GM_LABELS)
    {
      g_string_append (out, " X-GM-LABELS=");
      append_strv (out, f->gm_labels);
    }
  if (f->has & TERN_IMAP_FETCH_EMAILID)
    {
      g_string_append (out, " EMAILID=");
      append_string (out, f->email_id);
    }
  if (f->has & TERN_IMAP_FETCH_THREADID)
    {
      g_string_append (out, " THREADID=");
      append_string (out, f->thread_id);
    }
  if (f->has & TERN_IMAP_FETCH_ENVELOPE)
    {
      g_string_append (out, " ENVELOPE=");
      append_envelope (out, f->envelope);
    }
  if (f->body != NULL)
    {
      g_string_append (out, (f->has & TERN_IMAP_FETCH_BODYSTRUCTURE) ? " BODYSTRUCTURE=" : " BODY=");
      append_body (out, f->body);
    }
  for (guint i = 0; i < f->sections->len; i++)
    {
      const TernImapFetchSection *s = g_ptr_array_index (f->sections, i);

      g_string_append_printf (out, " %s", get_section_kind_name (s->kind));
      if (s->section != NULL)
        {
          g_string_append_c (out, '[');
          append_string (out, s->section);
          g_string_append_c (out, ']');
        }
      if (s->has_origin)
        g_string_append_printf (out, "<%u>", s->origin);
      if (s->kind == TERN_IMAP_SECTION_BINARY_SIZE)
        g_string_append_printf (out, "=%" G_GUINT64_FORMAT, s->size);
      else if (s->data == NULL)
        g_string_append (out, "=NIL");
      else
        g_string_append_printf (out, "=<%" G_GSIZE_FORMAT " bytes>", g_bytes_get_size (s->data));
    }
}

static void
append_namespaces (GString   *out,
                   GPtrArray *list)
{
  if (list == NULL)
    {
      g_string_append (out, " NIL");
      return;
    }
  g_string_append (out, " (");
  for (guint i = 0; i < list->len; i++)
    {
      const TernImapNamespace *ns = g_ptr_array_index (list, i);
      char delimiter[8] = { 0 };

      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, '(');
      append_string (out, ns->prefix);
      g_string_append_c (out, ' ');
      if (ns->delimiter != 0)
        g_unichar_to_utf8 (ns->delimiter, delimiter);
      append_string (out, ns->delimiter != 0 ? delimiter : NULL);
      g_string_append_c (out, ')');
    }
  g_string_append_c (out, ')');
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
append_mailbox (GString               *out,
                const TernImapMailbox *mailbox)
{
  append_string (out, mailbox->name);
  if (g_strcmp0 (mailbox->name, mailbox->raw_name) != 0)
    {
      g_string_append (out, " raw=");
      append_string (out, mailbox->raw_name);
    }
  if (!mailbox->name_valid)
    g_string_append (out, " (undecodable)");
}

/**
 * tern_imap_response_to_string:
 * @self: a response
 *
 * Describes @self on one line for logs and tests. Strings are escaped and
 * cut short, and literals show only their size, so the result is safe to log
 * and never huge; but it does show mailbox names, addresses and subjects.
 *
 * Returns: (transfer full): the description
 */
char *
tern_imap_response_to_string (TernImapResponse *self)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (tern_imap_response_kind_to_string (self->kind));
  switch (self->kind)
    {
    case TERN_IMAP_RESPONSE_TAGGED:
    case TERN_IMAP_RESPONSE_STATUS:
      if (self->tag != NULL)
        {
          g_string_append_c (out, ' ');
          append_string (out, self->tag);
        }
      g_string_append_printf (out, " %s", tern_imap_status_to_string (self->status));
      if (self->code != NULL)
        append_code (out, self->code);
      g_string_append_c (out, ' ');
      append_string (out, self->text);
      break;
    case TERN_IMAP_RESPONSE_CONTINUATION:
      g_string_append_c (out, ' ');
      append_string (out, self->text);
      break;
    case TERN_IMAP_RESPONSE_CAPABILITY:
    case TERN_IMAP_RESPONSE_ENABLED:
    case TERN_IMAP_RESPONSE_FLAGS:
      g_string_append_c (out, ' ');
      append_strv (out, self->strv);
      break;
    case TERN_IMAP_RESPONSE_LIST:
    case TERN_IMAP_RESPONSE_LSUB:
      {
        char delimiter[8] = { 0 };

        g_string_append_c (out, ' ');
        append_strv (out, self->mailbox->attributes);
        g_string_append_printf (out, " attrs=0x%x ", self->mailbox->attrs);
        if (self->mailbox->delimiter != 0)
          g_unichar_to_utf8 (self->mailbox->delimiter, delimiter);
        append_string (out, self->mailbox->delimiter != 0 ? delimiter : NULL);
        g_string_append_c (out, ' ');
        append_mailbox (out, self->mailbox);
      }
      break;
    case TERN_IMAP_RESPONSE_STATUS_DATA:
      {
        const TernImapMailboxStatus *s = self->mailbox_status;

        g_string_append_c (out, ' ');
        append_string (out, s->name);
        if (g_strcmp0 (s->name, s->raw_name) != 0)
          {
            g_string_append (out, " raw=");
            append_string (out, s->raw_name);
          }
        if (s->has & TERN_IMAP_STATUS_MESSAGES)
          g_string_append_printf (out, " MESSAGES=%u", s->messages);
        if (s->has & TERN_IMAP_STATUS_RECENT)
          g_string_append_printf (out, " RECENT=%u", s->recent);
        if (s->has & TERN_IMAP_STATUS_UIDNEXT)
          g_string_append_printf (out, " UIDNEXT=%u", s->uidnext);
        if (s->has & TERN_IMAP_STATUS_UIDVALIDITY)
          g_string_append_printf (out, " UIDVALIDITY=%u", s->uidvalidity);
        if (s->has & TERN_IMAP_STATUS_UNSEEN)
          g_string_append_printf (out, " UNSEEN=%u", s->unseen);
        if (s->has & TERN_IMAP_STATUS_DELETED)
          g_string_append_printf (out, " DELETED=%u", s->deleted);
        if (s->has & TERN_IMAP_STATUS_SIZE)
          g_string_append_printf (out, " SIZE=%" G_GUINT64_FORMAT, s->size);
        if (s->has & TERN_IMAP_STATUS_HIGHESTMODSEQ)
          g_string_append_printf (out, " HIGHESTMODSEQ=%" G_GUINT64_FORMAT, s->highestmodseq);
      }
      break;
    case TERN_IMAP_RESPONSE_EXISTS:
    case TERN_IMAP_RESPONSE_EXPUNGE:
    case TERN_IMAP_RESPONSE_RECENT:
      g_string_append_printf (out, " %u", self->number);
      break;
    case TERN_IMAP_RESPONSE_SEARCH:
      for (guint i = 0; i < self->numbers->len && i < 50; i++)
        g_string_append_printf (out, " %u", g_array_index (self->numbers, guint32, i));
      if (self->numbers->len > 50)
        g_string_append_printf (out, " …(%u numbers)", self->numbers->len);
      if (self->modseq != 0)
        g_string_append_printf (out, " MODSEQ=%" G_GUINT64_FORMAT, self->modseq);
      break;
    case TERN_IMAP_RESPONSE_ESEARCH:
      {
        const TernImapEsearch *e = self->esearch;

        if (e->tag != NULL)
          {
            g_string_append (out, " TAG=");
            append_string (out, e->tag);
          }
        if (e->uid)
          g_string_append (out, " UID");
        if (e->has & TERN_IMAP_ESEARCH_MIN)
          g_string_append_printf (out, " MIN=%u", e->min);
        if (e->has & TERN_IMAP_ESEARCH_MAX)
          g_string_append_printf (out, " MAX=%u", e->max);
        if (e->has & TERN_IMAP_ESEARCH_COUNT)
          g_string_append_printf (out, " COUNT=%u", e->count);
        if (e->has & TERN_IMAP_ESEARCH_ALL)
          {
            g_string_append (out, " ALL=");
            append_sequence (out, e->all);
          }
        if (e->has & TERN_IMAP_ESEARCH_MODSEQ)
          g_string_append_printf (out, " MODSEQ=%" G_GUINT64_FORMAT, e->modseq);
      }
      break;
    case TERN_IMAP_RESPONSE_VANISHED:
      g_string_append (out, self->earlier ? " EARLIER " : " ");
      append_sequence (out, self->uids);
      break;
    case TERN_IMAP_RESPONSE_NAMESPACE:
      append_namespaces (out, self->personal);
      append_namespaces (out, self->other);
      append_namespaces (out, self->shared);
      break;
    case TERN_IMAP_RESPONSE_QUOTA:
      g_string_append_c (out, ' ');
      append_string (out, self->quota_root);
      for (guint i = 0; i < self->resources->len; i++)
        {
          const TernImapQuotaResource *r = g_ptr_array_index (self->resources, i);

          g_string_append_printf (out, " %s=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                  r->name, r->usage, r->limit);
        }
      break;
    case TERN_IMAP_RESPONSE_QUOTAROOT:
      g_string_append_c (out, ' ');
      append_mailbox (out, self->mailbox);
      g_string_append_c (out, ' ');
      append_strv (out, self->strv);
      break;
    case TERN_IMAP_RESPONSE_ID:
      if (self->id == NULL)
        g_string_append (out, " NIL");
      else
        {
          g_autofree gpointer *keys = g_hash_table_get_keys_as_array (self->id, NULL);
          guint n = g_hash_table_size (self->id);

          qsort (keys, n, sizeof (gpointer), compare_strings);
          for (guint i = 0; i < n; i++)
            {
              g_string_append_printf (out, " %s=", (const char *) keys[i]);
              append_string (out, g_hash_table_lookup (self->id, keys[i]));
            }
        }
      break;
    case TERN_IMAP_RESPONSE_FETCH:
      g_string_append_printf (out, " %u", self->number);
      append_fetch (out, self->fetch);
      break;
    case TERN_IMAP_RESPONSE_UNKNOWN:
      g_string_append_printf (out, " %s ", self->keyword);
      append_string (out, self->text);
      break;
    default:
      break;
    }
  return g_string_free (out, FALSE);
}

/* Lookups ------------------------------------------------------------------ */

gboolean
tern_imap_strv_contains_nocase (const char * const *strv,
                                const char         *atom)
{
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    if (g_ascii_strcasecmp (strv[i], atom) == 0)
      return TRUE;
  return FALSE;
}

/* A section spec compared the way servers echo it: in any case, with or
 * without quotes around header field names, with any spacing. */
static char *
normalize_section (const char *section)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = section; *p != '\0'; p++)
    {
      if (*p == '"')
        continue;
      if (*p == ' ')
        {
          space = TRUE;
          continue;
        }
      if (space && out->len > 0 && out->str[out->len - 1] != '(' && *p != ')')
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, g_ascii_toupper (*p));
    }
  return g_string_free (out, FALSE);
}

/**
 * tern_imap_fetch_find_section:
 * @fetch: a FETCH response's items
 * @kind: BODY, BINARY …
 * @section: (nullable): the section as requested ("" for BODY[]), %NULL for
 *   the RFC822 kinds
 *
 * Returns: (transfer none) (nullable): the first matching item
 */
const TernImapFetchSection *
tern_imap_fetch_find_section (const TernImapFetch *fetch,
                              TernImapSectionKind  kind,
                              const char          *section)
{
  g_autofree char *wanted = NULL;

  g_return_val_if_fail (fetch != NULL, NULL);

  wanted = section != NULL ? normalize_section (section) : NULL;
  for (guint i = 0; i < fetch->sections->len; i++)
    {
      const TernImapFetchSection *s = g_ptr_array_index (fetch->sections, i);
      g_autofree char *have = NULL;

      if (s->kind != kind)
        continue;
      if (wanted == NULL || s->section == NULL)
        {
          if (wanted == NULL && s->section == NULL)
            return s;
          continue;
        }
      have = normalize_section (s->section);
      if (strcmp (have, wanted) == 0)
        return s;
    }
  return NULL;
}

/**
 * tern_imap_body_part_get_param:
 * @part: a body part
 * @name: a parameter name, in any case
 *
 * Returns: (nullable): the raw value of the Content-Type parameter @name
 */
const char *
tern_imap_body_part_get_param (const TernImapBodyPart *part,
                               const char             *name)
{
  g_return_val_if_fail (part != NULL, NULL);

  for (guint i = 0; i < part->params->len; i++)
    {
      const TernImapParam *param = g_ptr_array_index (part->params, i);

      if (param->name != NULL && g_ascii_strcasecmp (param->name, name) == 0)
        return param->value;
    }
  return NULL;
}

/**
 * tern_imap_body_part_find:
 * @root: a BODYSTRUCTURE tree
 * @section: a part number such as "2.1"
 *
 * Returns: (transfer none) (nullable): the part @section names
 */
const TernImapBodyPart *
tern_imap_body_part_find (const TernImapBodyPart *root,
                          const char             *section)
{
  g_return_val_if_fail (section != NULL, NULL);

  if (root == NULL)
    return NULL;
  if (g_strcmp0 (root->section, section) == 0)
    return root;
  for (guint i = 0; i < root->children->len; i++)
    {
      const TernImapBodyPart *found = tern_imap_body_part_find (g_ptr_array_index (root->children, i), section);

      if (found != NULL)
        return found;
    }
  return tern_imap_body_part_find (root->body, section);
}

/* GMime helpers ------------------------------------------------------------- */

static void
ensure_gmime (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

static char *
clean_text (char *text)
{
  char *valid;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  g_free (text);
  for (char *p = valid; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return g_strstrip (valid);
}

/**
 * tern_imap_decode_header_text:
 * @raw: (nullable): an unstructured header value from an ENVELOPE, such as
 *   the subject
 *
 * Decodes RFC 2047 encoded words and 8-bit text in a guessed charset.
 *
 * Returns: (transfer full) (nullable): UTF-8 without control characters;
 *   %NULL for %NULL
 */
char *
tern_imap_decode_header_text (const char *raw)
{
  if (raw == NULL)
    return NULL;
  ensure_gmime ();
  return clean_text (g_mime_utils_header_decode_text (NULL, raw));
}

/**
 * tern_imap_decode_header_phrase:
 * @raw: (nullable): a display name from an ENVELOPE address
 *
 * Returns: (transfer full) (nullable): UTF-8 without control characters;
 *   %NULL for %NULL
 */
char *
tern_imap_decode_header_phrase (const char *raw)
{
  if (raw == NULL)
    return NULL;
  ensure_gmime ();
  return clean_text (g_mime_utils_header_decode_phrase (NULL, raw));
}

/**
 * tern_imap_address_list_to_gmime:
 * @addresses: (element-type TernImapAddress) (nullable): an ENVELOPE address
 *   list
 *
 * Builds GMime addresses with decoded display names; RFC 5322 groups become
 * groups. Source routes are dropped.
 *
 * Returns: (transfer full): the list, empty for %NULL
 */
InternetAddressList *
tern_imap_address_list_to_gmime (GPtrArray *addresses)
{
  InternetAddressList *list;
  InternetAddressGroup *group = NULL;

  ensure_gmime ();
  list = internet_address_list_new ();
  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    {
      const TernImapAddress *a = g_ptr_array_index (addresses, i);

      switch (a->kind)
        {
        case TERN_IMAP_ADDRESS_GROUP_START:
          {
            g_autofree char *name = tern_imap_decode_header_phrase (a->mailbox);
            InternetAddress *address = internet_address_group_new (name);

            internet_address_list_add (list, address);
            group = INTERNET_ADDRESS_GROUP (address);
            g_object_unref (address);   /* the list holds it */
          }
          break;
        case TERN_IMAP_ADDRESS_GROUP_END:
          group = NULL;
          break;
        case TERN_IMAP_ADDRESS_MAILBOX:
        default:
          {
            g_autofree char *name = tern_imap_decode_header_phrase (a->name);
            g_autofree char *raw_addr = NULL;
            g_autofree char *addr = NULL;
            InternetAddress *address;

            if (a->host != NULL)
              raw_addr = g_strdup_printf ("%s@%s", a->mailbox != NULL ? a->mailbox : "", a->host);
            else
              raw_addr = g_strdup (a->mailbox != NULL ? a->mailbox : "");
            addr = clean_text (g_steal_pointer (&raw_addr));
            address = internet_address_mailbox_new (name, addr);
            if (group != NULL)
              internet_address_group_add_member (group, address);
            else
              internet_address_list_add (list, address);
            g_object_unref (address);
          }
          break;
        }
    }
  return list;
}

static gboolean
is_token (const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr ("()<>@,;:\\\"/[]?=", *p) != NULL)
      return FALSE;
  return TRUE;
}

static void
append_param_list (GString   *out,
                   GPtrArray *params)
{
  for (guint i = 0; i < params->len; i++)
    {
      const TernImapParam *param = g_ptr_array_index (params, i);

      if (!is_token (param->name) || param->value == NULL)
        continue;
      g_string_append_printf (out, "; %s=\"", param->name);
      for (const char *p = param->value; *p != '\0'; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, (guchar) *p < 0x20 ? ' ' : *p);
        }
      g_string_append_c (out, '"');
    }
}

static char *
lookup_decoded_param (GPtrArray  *params,
                      const char *name)
{
  g_autoptr(GString) text = g_string_new (NULL);
  GMimeParamList *list;
  GMimeParam *param;
  char *value = NULL;

  append_param_list (text, params);
  if (text->len == 0)
    return NULL;
  list = g_mime_param_list_parse (NULL, text->str + 2);
  if (list == NULL)
    return NULL;
  param = g_mime_param_list_get_parameter (list, name);
  if (param != NULL && g_mime_param_get_value (param) != NULL)
    value = g_strdup (g_mime_param_get_value (param));
  g_object_unref (list);
  return value;
}

/**
 * tern_imap_body_part_dup_filename:
 * @part: a body part
 *
 * The part's file name from Content-Disposition's filename or else
 * Content-Type's name, with RFC 2231 and RFC 2047 decoded. It is a bare name:
 * "/" and "\\" are replaced by "_", control characters by spaces, and
 * "", "." and ".." give %NULL.
 *
 * Returns: (transfer full) (nullable): the name, or %NULL if there is none
 */
char *
tern_imap_body_part_dup_filename (const TernImapBodyPart *part)
{
  char *name;

  g_return_val_if_fail (part != NULL, NULL);

  ensure_gmime ();
  name = lookup_decoded_param (part->disposition_params, "filename");
  if (name == NULL)
    name = lookup_decoded_param (part->params, "name");
  name = clean_text (name);
  if (name == NULL)
    return NULL;
  g_strdelimit (name, "/\\", '_');
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    g_clear_pointer (&name, g_free);
  return name;
}
