/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-imap-parser"

#include <string.h>

#include "tern-imap-fetch-parser.h"
#include "tern-imap-parser.h"
#include "tern-imap-tokenizer.h"
#include "tern-imap-utf7.h"

/* The first allocation for a literal; it then doubles as bytes arrive, so a
 * literal announced but never sent costs nothing. */
#define LITERAL_FIRST_CHUNK (64 * 1024)

/* How much of a line a framing error quotes. */
#define CONTEXT_BYTES 24

struct _TernImapParser
{
  TernImapLimits  limits;
  gboolean        utf8_accept;

  /* framing: the response being received */
  TernImapFrame  *frame;
  gsize           segment_start;   /* where the current line starts in frame->text */
  guint64         literal_bytes;   /* of the frame's literals so far */
  gboolean        in_literal;
  guint8         *literal;
  gsize           literal_len;
  gsize           literal_alloc;
  gsize           literal_size;

  GQueue          frames;          /* of TernImapFrame: complete, not parsed yet */
  GError         *frame_error;     /* reported after the frames before it */
  gboolean        eof;
  GError         *error;           /* final: next() has failed */
};

/**
 * tern_imap_parser_new:
 * @limits: (nullable): the bounds to enforce; %NULL, or any field 0, for the
 *   defaults of tern-imap-limits.h
 *
 * Returns: (transfer full): a parser at the start of a stream
 */
TernImapParser *
tern_imap_parser_new (const TernImapLimits *limits)
{
  TernImapParser *self = g_new0 (TernImapParser, 1);

  if (limits != NULL)
    self->limits = *limits;
  tern_imap_limits_fill_defaults (&self->limits);
  g_queue_init (&self->frames);
  return self;
}

void
tern_imap_parser_free (TernImapParser *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->frame, tern_imap_frame_free);
  g_free (self->literal);
  g_queue_clear_full (&self->frames, (GDestroyNotify) tern_imap_frame_free);
  g_clear_error (&self->frame_error);
  g_clear_error (&self->error);
  g_free (self);
}

const TernImapLimits *
tern_imap_parser_get_limits (TernImapParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->limits;
}

/**
 * tern_imap_parser_set_utf8_accept:
 * @self: a parser
 * @utf8_accept: whether the server has enabled UTF8=ACCEPT (or IMAP4rev2)
 *
 * Mailbox names are modified UTF-7 until the server answers ENABLE with
 * "ENABLED UTF8=ACCEPT" (or IMAP4REV2); after that they are UTF-8. Responses
 * returned by next() from now on are read the new way.
 */
void
tern_imap_parser_set_utf8_accept (TernImapParser *self,
                                  gboolean        utf8_accept)
{
  g_return_if_fail (self != NULL);

  self->utf8_accept = !!utf8_accept;
}

gboolean
tern_imap_parser_get_utf8_accept (TernImapParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->utf8_accept;
}

/* Framing ------------------------------------------------------------------ */

static void
set_frame_error (TernImapParser *self,
                 TernImapError   code,
                 const char     *what,
                 ...) G_GNUC_PRINTF (3, 4);

static void
set_frame_error (TernImapParser *self,
                 TernImapError   code,
                 const char     *what,
                 ...)
{
  g_autofree char *message = NULL;
  g_autofree char *context = NULL;
  g_autofree char *escaped = NULL;
  va_list args;

  va_start (args, what);
  message = g_strdup_vprintf (what, args);
  va_end (args);

  if (self->frame != NULL && self->frame->text->len > 0)
    {
      gsize n = MIN (self->frame->text->len, CONTEXT_BYTES);

      context = g_strndup ((const char *) self->frame->text->data, n);
      escaped = g_strescape (context, NULL);
      g_set_error (&self->frame_error, TERN_IMAP_ERROR, code,
                   "Malformed IMAP response: %s (in the response starting “%s%s”)",
                   message, escaped, self->frame->text->len > n ? "…" : "");
    }
  else
    g_set_error (&self->frame_error, TERN_IMAP_ERROR, code, "Malformed IMAP response: %s", message);

  g_clear_pointer (&self->frame, tern_imap_frame_free);
  g_clear_pointer (&self->literal, g_free);
  self->in_literal = FALSE;
}

static void
start_literal (TernImapParser *self,
               gsize           size)
{
  if (size == 0)
    {
      g_ptr_array_add (self->frame->literals, g_bytes_new (NULL, 0));
      return;
    }
  self->in_literal = TRUE;
  self->literal = NULL;
  self->literal_len = 0;
  self->literal_alloc = 0;
  self->literal_size = size;
}

static void
finish_literal (TernImapParser *self)
{
  g_assert (self->literal_len == self->literal_size);

  g_ptr_array_add (self->frame->literals,
                   g_bytes_new_take (g_steal_pointer (&self->literal), self->literal_len));
  self->literal_bytes += self->literal_len;
  self->in_literal = FALSE;
}

/* Whether the line ends in a literal announcement; FALSE with frame_error set
 * if it ends in a malformed or oversized one. */
static gboolean
find_literal (TernImapParser *self,
              const guint8   *line,
              gsize           len,
              gboolean       *is_literal,
              guint64        *size)
{
  gsize close, open, i, digits_end;
  gboolean overflow = FALSE;
  guint64 n = 0;

  *is_literal = FALSE;
  if (len < 3 || line[len - 1] != '}')
    return TRUE;

  close = len - 1;
  open = close;
  while (open > 0 && (g_ascii_isdigit (line[open - 1]) || line[open - 1] == '+' || line[open - 1] == '-'))
    open--;
  if (open == 0 || line[open - 1] != '{' || open == close)
    return TRUE;   /* "{" absent or "{}": text, not a literal */

  *is_literal = TRUE;
  for (i = open; i < close && g_ascii_isdigit (line[i]); i++)
    {
      if (n > (G_MAXUINT64 - 9) / 10)
        overflow = TRUE;
      else
        n = n * 10 + (line[i] - '0');
    }
  digits_end = i;
  if (i < close && line[i] == '+')
    i++;
  if (digits_end == open || i != close)
    {
      set_frame_error (self, TERN_IMAP_ERROR_PROTOCOL, "a malformed literal length");
      return FALSE;
    }
  if (overflow || n > self->limits.max_literal_size)
    {
      set_frame_error (self, TERN_IMAP_ERROR_LIMIT,
                       "a literal of %s%.*s bytes, over the limit of %" G_GSIZE_FORMAT,
                       close - open > 24 ? "…" : "",
                       (int) MIN (close - open, 24), (const char *) line + close - MIN (close - open, 24),
                       self->limits.max_literal_size);
      return FALSE;
    }
  if (self->frame->text->len + self->literal_bytes + n > self->limits.max_response_size)
    {
      set_frame_error (self, TERN_IMAP_ERROR_LIMIT,
                       "a response of more than %" G_GSIZE_FORMAT " bytes",
                       self->limits.max_response_size);
      return FALSE;
    }
  *size = n;
  return TRUE;
}

/* A line (up to LF) is complete in frame->text from segment_start. */
static gboolean
end_line (TernImapParser *self)
{
  GByteArray *text = self->frame->text;
  const guint8 *line = text->len > 0 ? text->data + self->segment_start : NULL;
  gsize len = text->len - self->segment_start;
  gboolean is_literal;
  guint64 size = 0;

  if (len > 0 && line[len - 1] == '\r')
    {
      len--;
      g_byte_array_set_size (text, text->len - 1);
    }
  if (len > 0 && memchr (line, '\r', len) != NULL)
    {
      set_frame_error (self, TERN_IMAP_ERROR_PROTOCOL, "a CR that does not end a line");
      return FALSE;
    }
  if (len > 0 && memchr (line, '\0', len) != NULL)
    {
      set_frame_error (self, TERN_IMAP_ERROR_PROTOCOL, "a NUL byte outside a literal");
      return FALSE;
    }
  if (!find_literal (self, line, len, &is_literal, &size))
    return FALSE;

  if (is_literal)
    {
      gsize end = text->len;

      g_byte_array_append (text, (const guint8 *) "\n", 1);
      g_array_append_val (self->frame->literal_ends, end);
      self->segment_start = text->len;
      start_literal (self, (gsize) size);
      return TRUE;
    }

  if (text->len == 0)
    {
      /* an empty line: nothing to parse, nothing lost */
      g_clear_pointer (&self->frame, tern_imap_frame_free);
      return TRUE;
    }

  g_queue_push_tail (&self->frames, g_steal_pointer (&self->frame));
  return TRUE;
}

/**
 * tern_imap_parser_feed:
 * @self: a parser
 * @data: (array length=len): bytes from the server
 * @len: how many
 *
 * Takes the next bytes of the stream. Limits on lines, literals and responses
 * are checked here, before memory is allocated for them; a violation is
 * reported by tern_imap_parser_next() once the responses before it are
 * taken, and the rest of the stream is ignored.
 */
void
tern_imap_parser_feed (TernImapParser *self,
                       const guint8   *data,
                       gsize           len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (!self->eof);

  if (self->frame_error != NULL || self->error != NULL)
    return;

  while (len > 0)
    {
      const guint8 *newline;
      gsize n;

      if (self->in_literal)
        {
          n = MIN (len, self->literal_size - self->literal_len);
          if (self->literal_len + n > self->literal_alloc)
            {
              gsize alloc = MAX (self->literal_alloc * 2, LITERAL_FIRST_CHUNK);

              alloc = MAX (alloc, self->literal_len + n);
              self->literal_alloc = MIN (alloc, self->literal_size);
              self->literal = g_realloc (self->literal, self->literal_alloc);
            }
          memcpy (self->literal + self->literal_len, data, n);
          self->literal_len += n;
          data += n;
          len -= n;
          if (self->literal_len == self->literal_size)
            finish_literal (self);
          continue;
        }

      if (self->frame == NULL)
        {
          self->frame = tern_imap_frame_new ();
          self->segment_start = 0;
          self->literal_bytes = 0;
        }

      newline = memchr (data, '\n', len);
      n = newline != NULL ? (gsize) (newline - data) : len;
      if (self->frame->text->len + n > self->limits.max_line_length)
        {
          /* quote the start of the line, the same however it was cut: the
           * line is longer than the limit, so the bytes are there */
          gsize quote = MIN (CONTEXT_BYTES, self->limits.max_line_length) + 1;
          GByteArray *text = self->frame->text;

          if (text->len < quote)
            g_byte_array_append (text, data, (guint) MIN (n, quote - text->len));
          g_byte_array_set_size (text, (guint) MIN (text->len, quote));
          set_frame_error (self, TERN_IMAP_ERROR_LIMIT,
                           "a line longer than %" G_GSIZE_FORMAT " bytes", self->limits.max_line_length);
          return;
        }
      if (self->frame->text->len + n + self->literal_bytes > self->limits.max_response_size)
        {
          set_frame_error (self, TERN_IMAP_ERROR_LIMIT,
                           "a response of more than %" G_GSIZE_FORMAT " bytes", self->limits.max_response_size);
          return;
        }
      g_byte_array_append (self->frame->text, data, (guint) n);
      if (newline == NULL)
        return;
      data += n + 1;
      len -= n + 1;
      if (!end_line (self))
        return;
    }
}

/**
 * tern_imap_parser_feed_eof:
 * @self: a parser
 *
 * Tells the parser the stream has ended. Once the complete responses are
 * taken, tern_imap_parser_next() fails with %TERN_IMAP_ERROR_TRUNCATED if
 * the stream ended inside a response (such as a literal announced larger than
 * what was sent), or returns %NULL without error if it ended between two.
 */
void
tern_imap_parser_feed_eof (TernImapParser *self)
{
  g_return_if_fail (self != NULL);

  self->eof = TRUE;
}

/**
 * tern_imap_parser_has_pending:
 * @self: a parser
 *
 * Whether any byte fed has not yet come out as a response. After the tagged
 * OK to STARTTLS this must be %FALSE: anything buffered before the handshake
 * was injected.
 */
gboolean
tern_imap_parser_has_pending (TernImapParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->frame != NULL || self->in_literal || !g_queue_is_empty (&self->frames);
}

/**
 * tern_imap_parser_get_literal_progress:
 * @self: a parser
 * @received: (out) (optional): bytes of the literal received so far
 * @total: (out) (optional): its announced size
 *
 * For progress of a large download.
 *
 * Returns: whether a literal is being received
 */
gboolean
tern_imap_parser_get_literal_progress (TernImapParser *self,
                                       guint64        *received,
                                       guint64        *total)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (received != NULL)
    *received = self->in_literal ? self->literal_len : 0;
  if (total != NULL)
    *total = self->in_literal ? self->literal_size : 0;
  return self->in_literal;
}

/* Parsing ------------------------------------------------------------------ */

static TernImapCodeKind
lookup_code_kind (const char *name)
{
  static const struct {
    const char       *name;
    TernImapCodeKind  kind;
  } codes[] = {
    { "ALERT", TERN_IMAP_CODE_ALERT },
    { "BADCHARSET", TERN_IMAP_CODE_BADCHARSET },
    { "CAPABILITY", TERN_IMAP_CODE_CAPABILITY },
    { "PARSE", TERN_IMAP_CODE_PARSE },
    { "PERMANENTFLAGS", TERN_IMAP_CODE_PERMANENTFLAGS },
    { "READ-ONLY", TERN_IMAP_CODE_READ_ONLY },
    { "READ-WRITE", TERN_IMAP_CODE_READ_WRITE },
    { "TRYCREATE", TERN_IMAP_CODE_TRYCREATE },
    { "UIDNEXT", TERN_IMAP_CODE_UIDNEXT },
    { "UIDVALIDITY", TERN_IMAP_CODE_UIDVALIDITY },
    { "UNSEEN", TERN_IMAP_CODE_UNSEEN },
    { "APPENDUID", TERN_IMAP_CODE_APPENDUID },
    { "COPYUID", TERN_IMAP_CODE_COPYUID },
    { "UIDNOTSTICKY", TERN_IMAP_CODE_UIDNOTSTICKY },
    { "HIGHESTMODSEQ", TERN_IMAP_CODE_HIGHESTMODSEQ },
    { "NOMODSEQ", TERN_IMAP_CODE_NOMODSEQ },
    { "MODIFIED", TERN_IMAP_CODE_MODIFIED },
    { "CLOSED", TERN_IMAP_CODE_CLOSED },
    { "REFERRAL", TERN_IMAP_CODE_REFERRAL },
    { "UNKNOWN-CTE", TERN_IMAP_CODE_UNKNOWN_CTE },
    { "UNAVAILABLE", TERN_IMAP_CODE_UNAVAILABLE },
    { "AUTHENTICATIONFAILED", TERN_IMAP_CODE_AUTHENTICATIONFAILED },
    { "AUTHORIZATIONFAILED", TERN_IMAP_CODE_AUTHORIZATIONFAILED },
    { "EXPIRED", TERN_IMAP_CODE_EXPIRED },
    { "PRIVACYREQUIRED", TERN_IMAP_CODE_PRIVACYREQUIRED },
    { "CONTACTADMIN", TERN_IMAP_CODE_CONTACTADMIN },
    { "NOPERM", TERN_IMAP_CODE_NOPERM },
    { "INUSE", TERN_IMAP_CODE_INUSE },
    { "EXPUNGEISSUED", TERN_IMAP_CODE_EXPUNGEISSUED },
    { "CORRUPTION", TERN_IMAP_CODE_CORRUPTION },
    { "SERVERBUG", TERN_IMAP_CODE_SERVERBUG },
    { "CLIENTBUG", TERN_IMAP_CODE_CLIENTBUG },
    { "CANNOT", TERN_IMAP_CODE_CANNOT },
    { "LIMIT", TERN_IMAP_CODE_LIMIT },
    { "OVERQUOTA", TERN_IMAP_CODE_OVERQUOTA },
    { "ALREADYEXISTS", TERN_IMAP_CODE_ALREADYEXISTS },
    { "NONEXISTENT", TERN_IMAP_CODE_NONEXISTENT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (strcmp (codes[i].name, name) == 0)
      return codes[i].kind;
  return TERN_IMAP_CODE_UNKNOWN;
}

static gboolean
read_atoms (TernImapTokenizer   *t,
            char              ***out,
            GError             **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  int c;

  for (;;)
    {
      char *item;

      tern_imap_tokenizer_skip_sp (t);
      c = tern_imap_tokenizer_peek (t);
      if (c == -1 || c == ']')
        break;
      item = tern_imap_tokenizer_dup_atom (t, TERN_IMAP_ATOM, error);
      if (item == NULL)
        return FALSE;
      g_ptr_array_add (items, item);
    }
  g_ptr_array_add (items, NULL);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&items), FALSE);
  return TRUE;
}


/* The data of a known response code; FALSE leaves the code to be read as
 * unknown. */
static gboolean
parse_code_data (TernImapTokenizer  *t,
                 TernImapCode       *code,
                 GError            **error)
{
  switch (code->kind)
    {
    case TERN_IMAP_CODE_BADCHARSET:
      {
        g_autoptr(GPtrArray) charsets = g_ptr_array_new_with_free_func (g_free);
        gboolean more;

        if (!tern_imap_tokenizer_skip_sp (t) || tern_imap_tokenizer_peek (t) != '(')
          return TRUE;
        if (!tern_imap_tokenizer_open_list (t, error))
          return FALSE;
        for (;;)
          {
            char *charset = NULL;

            if (!tern_imap_tokenizer_list_next (t, &more, error))
              return FALSE;
            if (!more)
              break;
            if (!tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_ATOM, &charset, error))
              return FALSE;
            g_ptr_array_add (charsets, charset);
          }
        g_ptr_array_add (charsets, NULL);
        code->strv = (char **) g_ptr_array_free (g_steal_pointer (&charsets), FALSE);
        return TRUE;
      }
    case TERN_IMAP_CODE_CAPABILITY:
      return read_atoms (t, &code->strv, error);
    case TERN_IMAP_CODE_PERMANENTFLAGS:
      return tern_imap_tokenizer_expect_sp (t, error) && tern_imap_tokenizer_read_flag_list (t, &code->strv, error);
    case TERN_IMAP_CODE_UIDNEXT:
    case TERN_IMAP_CODE_UIDVALIDITY:
    case TERN_IMAP_CODE_UNSEEN:
      return tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_uint32 (t, FALSE, &code->number, error);
    case TERN_IMAP_CODE_APPENDUID:
      return tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_uint32 (t, TRUE, &code->number, error) &&
             tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_sequence (t, &code->uids, error);
    case TERN_IMAP_CODE_COPYUID:
      return tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_uint32 (t, TRUE, &code->number, error) &&
             tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_sequence (t, &code->uids, error) &&
             tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_sequence (t, &code->dest_uids, error);
    case TERN_IMAP_CODE_HIGHESTMODSEQ:
      return tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_uint64 (t, &code->modseq, error);
    case TERN_IMAP_CODE_MODIFIED:
      return tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_sequence (t, &code->uids, error);
    case TERN_IMAP_CODE_REFERRAL:
      {
        g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
        int c;

        for (;;)
          {
            const char *start;
            gsize len = 0;

            tern_imap_tokenizer_skip_sp (t);
            c = tern_imap_tokenizer_peek (t);
            if (c == -1 || c == ']' || c == '\n')
              break;
            start = (const char *) t->data + t->pos;

            if (!tern_imap_tokenizer_count_item (t, error))
              return FALSE;
            while (t->pos < t->len && t->data[t->pos] > 0x20 && t->data[t->pos] != ']')
              {
                t->pos++;
                len++;
              }
            if (len == 0)
              return tern_imap_tokenizer_fail (t, error, "expected a URL");
            g_ptr_array_add (urls, tern_imap_make_valid_text (start, len));
          }
        g_ptr_array_add (urls, NULL);
        code->strv = (char **) g_ptr_array_free (g_steal_pointer (&urls), FALSE);
        return TRUE;
      }
    default:
      return TRUE;
    }
}

/* "[" resp-text-code "]" with the tokenizer at "[". NULL and no error if the
 * brackets never close: then it was text that happened to start with "[". */
static TernImapCode *
parse_code (TernImapTokenizer  *t,
            GError            **error)
{
  g_autoptr(TernImapCode) code = tern_imap_code_new ();
  g_autoptr(GError) local_error = NULL;
  TernImapTokenizer start = *t;
  TernImapTokenizer after_name;
  const char *name;
  gsize len;

  t->pos++;
  if (!tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM, &name, &len, &local_error))
    {
      if (g_error_matches (local_error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_LIMIT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      *t = start;
      return NULL;
    }
  code->name = g_ascii_strup (name, (gssize) len);
  code->kind = lookup_code_kind (code->name);
  after_name = *t;

  if (!parse_code_data (t, code, &local_error))
    {
      if (g_error_matches (local_error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_LIMIT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_debug ("Keeping a malformed [%s] as an unknown code: %s", code->name, local_error->message);
      g_clear_error (&local_error);
      *t = after_name;
      code->kind = TERN_IMAP_CODE_UNKNOWN;
      g_clear_pointer (&code->strv, g_strfreev);
      g_clear_pointer (&code->uids, tern_imap_sequence_free);
      g_clear_pointer (&code->dest_uids, tern_imap_sequence_free);
      code->number = 0;
      code->modseq = 0;
    }

  if (tern_imap_tokenizer_peek (t) != ']')
    {
      tern_imap_tokenizer_skip_sp (t);
      g_free (code->text);
      code->text = tern_imap_tokenizer_read_text (t, ']');
    }
  if (!tern_imap_tokenizer_skip_char (t, ']'))
    {
      *t = start;
      return NULL;
    }
  return g_steal_pointer (&code);
}

/* resp-text after a status word: [SP ["[" code "]" [SP]] text]. */
static gboolean
parse_resp_text (TernImapTokenizer  *t,
                 TernImapResponse   *response,
                 GError            **error)
{
  if (!tern_imap_tokenizer_skip_sp (t) && !tern_imap_tokenizer_at_end (t))
    return tern_imap_tokenizer_fail (t, error, "expected a space after the status");

  if (tern_imap_tokenizer_peek (t) == '[')
    {
      g_autoptr(GError) local_error = NULL;

      response->code = parse_code (t, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (response->code != NULL)
        tern_imap_tokenizer_skip_sp (t);
    }
  response->text = tern_imap_tokenizer_read_text (t, 0);
  return TRUE;
}

static gboolean
read_status_word (TernImapTokenizer *t,
                  gboolean           untagged,
                  TernImapStatus    *status)
{
  static const char * const words[] = { "OK", "NO", "BAD", "BYE", "PREAUTH" };

  for (guint i = 0; i < (untagged ? G_N_ELEMENTS (words) : 3); i++)
    if (tern_imap_tokenizer_skip_word (t, words[i]))
      {
        *status = (TernImapStatus) i;
        return TRUE;
      }
  return FALSE;
}

/* A mailbox name as sent, and as UTF-8 for people. */
static void
decode_mailbox_name (TernImapParser  *self,
                     const char      *raw,
                     char           **name,
                     gboolean        *valid)
{
  g_autoptr(GError) error = NULL;
  char *decoded;

  *valid = TRUE;
  if (g_ascii_strcasecmp (raw, "INBOX") == 0)
    {
      *name = g_strdup ("INBOX");
      return;
    }
  if (self->utf8_accept)
    {
      *valid = g_utf8_validate (raw, -1, NULL);
      *name = tern_imap_make_valid_text (raw, strlen (raw));
      return;
    }
  decoded = tern_imap_utf7_decode (raw, &error);
  if (decoded != NULL)
    {
      *name = tern_imap_make_valid_text (decoded, strlen (decoded));
      g_free (decoded);
      return;
    }
  g_debug ("A mailbox name in broken modified UTF-7: %s", error->message);
  *valid = FALSE;
  *name = tern_imap_make_valid_text (raw, strlen (raw));
}

static gboolean
read_mailbox (TernImapParser     *self,
              TernImapTokenizer  *t,
              char              **raw_name,
              char              **name,
              gboolean           *valid,
              GError            **error)
{
  gboolean ignored;

  if (!tern_imap_tokenizer_dup_string (t, TERN_IMAP_STRING_ATOM, raw_name, error))
    return FALSE;
  g_free (*name);
  decode_mailbox_name (self, *raw_name, name, valid != NULL ? valid : &ignored);
  return TRUE;
}

/* A hierarchy delimiter: NIL or one quoted character. */
static gboolean
read_delimiter (TernImapTokenizer  *t,
                gunichar           *delimiter,
                GError            **error)
{
  TernImapString string;
  g_autofree char *text = NULL;

  if (!tern_imap_tokenizer_read_string (t, TERN_IMAP_STRING_NIL, &string, error))
    return FALSE;
  if (string.nil)
    {
      *delimiter = 0;
      return TRUE;
    }
  text = tern_imap_string_dup (&string);
  tern_imap_string_clear (&string);
  if (!g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) != 1)
    return tern_imap_tokenizer_fail (t, error, "a hierarchy delimiter that is not one character");
  *delimiter = g_utf8_get_char (text);
  return TRUE;
}

static TernImapMailboxAttrs
lookup_mailbox_attr (const char *name)
{
  static const struct {
    const char           *name;
    TernImapMailboxAttrs  attr;
  } attrs[] = {
    { "\\Noselect", TERN_IMAP_MAILBOX_NOSELECT },
    { "\\Noinferiors", TERN_IMAP_MAILBOX_NOINFERIORS },
    { "\\NonExistent", TERN_IMAP_MAILBOX_NONEXISTENT },
    { "\\HasChildren", TERN_IMAP_MAILBOX_HAS_CHILDREN },
    { "\\HasNoChildren", TERN_IMAP_MAILBOX_HAS_NO_CHILDREN },
    { "\\Marked", TERN_IMAP_MAILBOX_MARKED },
    { "\\Unmarked", TERN_IMAP_MAILBOX_UNMARKED },
    { "\\Subscribed", TERN_IMAP_MAILBOX_SUBSCRIBED },
    { "\\Remote", TERN_IMAP_MAILBOX_REMOTE },
    { "\\All", TERN_IMAP_MAILBOX_ALL },
    { "\\AllMail", TERN_IMAP_MAILBOX_ALL },        /* Gmail's XLIST */
    { "\\Archive", TERN_IMAP_MAILBOX_ARCHIVE },
    { "\\Drafts", TERN_IMAP_MAILBOX_DRAFTS },
    { "\\Flagged", TERN_IMAP_MAILBOX_FLAGGED },
    { "\\Starred", TERN_IMAP_MAILBOX_FLAGGED },    /* Gmail's XLIST */
    { "\\Junk", TERN_IMAP_MAILBOX_JUNK },
    { "\\Spam", TERN_IMAP_MAILBOX_JUNK },          /* Gmail's XLIST */
    { "\\Sent", TERN_IMAP_MAILBOX_SENT },
    { "\\Trash", TERN_IMAP_MAILBOX_TRASH },
    { "\\Important", TERN_IMAP_MAILBOX_IMPORTANT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
    if (g_ascii_strcasecmp (attrs[i].name, name) == 0)
      return attrs[i].attr;
  return 0;
}

static gboolean
parse_list (TernImapParser     *self,
            TernImapTokenizer  *t,
            TernImapResponse   *response,
            GError            **error)
{
  TernImapMailbox *mailbox = tern_imap_mailbox_new ();

  response->mailbox = mailbox;
  if (!tern_imap_tokenizer_expect_sp (t, error) ||
      !tern_imap_tokenizer_read_flag_list (t, &mailbox->attributes, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_delimiter (t, &mailbox->delimiter, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !read_mailbox (self, t, &mailbox->raw_name, &mailbox->name, &mailbox->name_valid, error))
    return FALSE;

  for (guint i = 0; mailbox->attributes[i] != NULL; i++)
    mailbox->attrs |= lookup_mailbox_attr (mailbox->attributes[i]);

  /* LIST-EXTENDED data: ("CHILDINFO" ("SUBSCRIBED")) … */
  if (tern_imap_tokenizer_skip_sp (t) && tern_imap_tokenizer_peek (t) == '(' &&
      !tern_imap_tokenizer_skip_value (t, error))
    return FALSE;
  return tern_imap_tokenizer_expect_end (t, error);
}

static const struct {
  const char          *name;
  TernImapStatusItems  flag;
  glong                offset;
  gboolean             wide;
} status_items[] = {
  { "MESSAGES", TERN_IMAP_STATUS_MESSAGES, G_STRUCT_OFFSET (TernImapMailboxStatus, messages), FALSE },
  { "RECENT", TERN_IMAP_STATUS_RECENT, G_STRUCT_OFFSET (TernImapMailboxStatus, recent), FALSE },
  { "UIDNEXT", TERN_IMAP_STATUS_UIDNEXT, G_STRUCT_OFFSET (TernImapMailboxStatus, uidnext), FALSE },
  { "UIDVALIDITY", TERN_IMAP_STATUS_UIDVALIDITY, G_STRUCT_OFFSET (TernImapMailboxStatus, uidvalidity), FALSE },
  { "UNSEEN", TERN_IMAP_STATUS_UNSEEN, G_STRUCT_OFFSET (TernImapMailboxStatus, unseen), FALSE },
  { "DELETED", TERN_IMAP_STATUS_DELETED, G_STRUCT_OFFSET (TernImapMailboxStatus, deleted), FALSE },
  { "SIZE", TERN_IMAP_STATUS_SIZE, G_STRUCT_OFFSET (TernImapMailboxStatus, size), TRUE },
  { "HIGHESTMODSEQ", TERN_IMAP_STATUS_HIGHESTMODSEQ, G_STRUCT_OFFSET (TernImapMailboxStatus, highestmodseq), TRUE },
};

static gboolean
parse_status_data (TernImapParser     *self,
                   TernImapTokenizer  *t,
                   TernImapResponse   *response,
                   GError            **error)
{
  TernImapMailboxStatus *status = tern_imap_mailbox_status_new ();
  gboolean more;

  response->mailbox_status = status;
  if (!tern_imap_tokenizer_expect_sp (t, error) ||
      !read_mailbox (self, t, &status->raw_name, &status->name, NULL, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !tern_imap_tokenizer_open_list (t, error))
    return FALSE;

  for (;;)
    {
      const char *start;
      gsize len;
      g_autofree char *name = NULL;
      gboolean found, ok;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        break;
      if (!tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM, &start, &len, error) ||
          !tern_imap_tokenizer_expect_sp (t, error))
        return FALSE;
      name = g_ascii_strup (start, (gssize) len);

      found = FALSE;
      ok = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (status_items) && !found; i++)
        if (strcmp (name, status_items[i].name) == 0)
          {
            gpointer field = G_STRUCT_MEMBER_P (status, status_items[i].offset);

            found = TRUE;
            if (status_items[i].wide)
              ok = tern_imap_tokenizer_read_uint64 (t, field, error);
            else
              ok = tern_imap_tokenizer_read_uint32 (t, FALSE, field, error);
            status->has |= status_items[i].flag;
          }
      if (!found)
        ok = tern_imap_tokenizer_skip_value (t, error);

      if (!ok)
        return FALSE;
    }
  return tern_imap_tokenizer_expect_end (t, error);
}

/* SEARCH numbers are kept four bytes apiece and do not count as items. */
static gboolean
parse_search (TernImapTokenizer  *t,
              TernImapResponse   *response,
              GError            **error)
{
  response->numbers = g_array_new (FALSE, FALSE, sizeof (guint32));
  while (tern_imap_tokenizer_skip_sp (t) && !tern_imap_tokenizer_at_end (t))
    {
      guint32 n;

      if (tern_imap_tokenizer_peek (t) == '(')
        {
          if (!tern_imap_tokenizer_open_list (t, error))
            return FALSE;
          if (!tern_imap_tokenizer_skip_word (t, "MODSEQ"))
            return tern_imap_tokenizer_fail (t, error, "expected MODSEQ");
          if (!tern_imap_tokenizer_expect_sp (t, error) ||
              !tern_imap_tokenizer_read_uint64 (t, &response->modseq, error) ||
              !tern_imap_tokenizer_close_list (t, error))
            return FALSE;
          break;
        }
      if (!tern_imap_tokenizer_read_uint32 (t, TRUE, &n, error))
        return FALSE;
      g_array_append_val (response->numbers, n);
    }
  return tern_imap_tokenizer_expect_end (t, error);
}

static gboolean
parse_esearch (TernImapTokenizer  *t,
               TernImapResponse   *response,
               GError            **error)
{
  TernImapEsearch *esearch = tern_imap_esearch_new ();

  response->esearch = esearch;
  tern_imap_tokenizer_skip_sp (t);
  if (tern_imap_tokenizer_peek (t) == '(')
    {
      if (!tern_imap_tokenizer_open_list (t, error))
        return FALSE;
      if (!tern_imap_tokenizer_skip_word (t, "TAG"))
        return tern_imap_tokenizer_fail (t, error, "expected TAG");
      if (!tern_imap_tokenizer_expect_sp (t, error) ||
          !tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_ATOM, &esearch->tag, error) ||
          !tern_imap_tokenizer_close_list (t, error))
        return FALSE;
    }

  for (;;)
    {
      const char *start;
      gsize len;
      g_autofree char *name = NULL;
      gboolean ok;

      tern_imap_tokenizer_skip_sp (t);
      if (tern_imap_tokenizer_at_end (t))
        break;
      if (!tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM, &start, &len, error))
        return FALSE;
      name = g_ascii_strup (start, (gssize) len);
      if (strcmp (name, "UID") == 0)
        {
          esearch->uid = TRUE;
          continue;
        }
      if (!tern_imap_tokenizer_expect_sp (t, error))
        return FALSE;

      if (strcmp (name, "MIN") == 0)
        {
          esearch->has |= TERN_IMAP_ESEARCH_MIN;
          ok = tern_imap_tokenizer_read_uint32 (t, TRUE, &esearch->min, error);
        }
      else if (strcmp (name, "MAX") == 0)
        {
          esearch->has |= TERN_IMAP_ESEARCH_MAX;
          ok = tern_imap_tokenizer_read_uint32 (t, TRUE, &esearch->max, error);
        }
      else if (strcmp (name, "COUNT") == 0)
        {
          esearch->has |= TERN_IMAP_ESEARCH_COUNT;
          ok = tern_imap_tokenizer_read_uint32 (t, FALSE, &esearch->count, error);
        }
      else if (strcmp (name, "ALL") == 0)
        {
          esearch->has |= TERN_IMAP_ESEARCH_ALL;
          g_clear_pointer (&esearch->all, tern_imap_sequence_free);
          ok = tern_imap_tokenizer_read_sequence (t, &esearch->all, error);
        }
      else if (strcmp (name, "MODSEQ") == 0)
        {
          esearch->has |= TERN_IMAP_ESEARCH_MODSEQ;
          ok = tern_imap_tokenizer_read_uint64 (t, &esearch->modseq, error);
        }
      else
        ok = tern_imap_tokenizer_skip_value (t, error);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_vanished (TernImapTokenizer  *t,
                TernImapResponse   *response,
                GError            **error)
{
  if (!tern_imap_tokenizer_expect_sp (t, error))
    return FALSE;
  if (tern_imap_tokenizer_peek (t) == '(')
    {
      if (!tern_imap_tokenizer_open_list (t, error))
        return FALSE;
      if (!tern_imap_tokenizer_skip_word (t, "EARLIER"))
        return tern_imap_tokenizer_fail (t, error, "expected EARLIER");
      if (!tern_imap_tokenizer_close_list (t, error) ||
          !tern_imap_tokenizer_expect_sp (t, error))
        return FALSE;
      response->earlier = TRUE;
    }
  return tern_imap_tokenizer_read_sequence (t, &response->uids, error) &&
         tern_imap_tokenizer_expect_end (t, error);
}

static gboolean
parse_namespace_list (TernImapParser     *self,
                      TernImapTokenizer  *t,
                      GPtrArray         **out,
                      GError            **error)
{
  g_autoptr(GPtrArray) list = NULL;
  gboolean more;

  if (tern_imap_tokenizer_skip_word (t, "NIL"))
    return TRUE;
  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_namespace_free);
  for (;;)
    {
      TernImapNamespace *ns;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        break;
      ns = tern_imap_namespace_new ();
      g_ptr_array_add (list, ns);
      if (!tern_imap_tokenizer_open_list (t, error) ||
          !tern_imap_tokenizer_dup_string (t, TERN_IMAP_STRING_QUOTED, &ns->raw_prefix, error) ||
          !tern_imap_tokenizer_expect_sp (t, error) ||
          !read_delimiter (t, &ns->delimiter, error))
        return FALSE;
      if (ns->raw_prefix[0] == '\0')
        ns->prefix = g_strdup ("");
      else
        {
          gboolean valid;

          decode_mailbox_name (self, ns->raw_prefix, &ns->prefix, &valid);
        }
      /* Namespace-Response-Extensions */
      for (;;)
        {
          if (!tern_imap_tokenizer_list_next (t, &more, error))
            return FALSE;
          if (!more)
            break;
          if (!tern_imap_tokenizer_skip_value (t, error))
            return FALSE;
        }
    }
  *out = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
parse_namespace (TernImapParser     *self,
                 TernImapTokenizer  *t,
                 TernImapResponse   *response,
                 GError            **error)
{
  return tern_imap_tokenizer_expect_sp (t, error) &&
         parse_namespace_list (self, t, &response->personal, error) &&
         tern_imap_tokenizer_expect_sp (t, error) &&
         parse_namespace_list (self, t, &response->other, error) &&
         tern_imap_tokenizer_expect_sp (t, error) &&
         parse_namespace_list (self, t, &response->shared, error) &&
         tern_imap_tokenizer_expect_end (t, error);
}

static gboolean
parse_quota (TernImapTokenizer  *t,
             TernImapResponse   *response,
             GError            **error)
{
  gboolean more;

  response->resources = g_ptr_array_new_with_free_func ((GDestroyNotify) tern_imap_quota_resource_free);
  if (!tern_imap_tokenizer_expect_sp (t, error) ||
      !tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_ATOM, &response->quota_root, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  for (;;)
    {
      TernImapQuotaResource *resource;
      const char *start;
      gsize len;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        break;
      resource = tern_imap_quota_resource_new ();
      g_ptr_array_add (response->resources, resource);
      if (!tern_imap_tokenizer_count_item (t, error) ||
          !tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM, &start, &len, error))
        return FALSE;
      resource->name = g_ascii_strup (start, (gssize) len);
      if (!tern_imap_tokenizer_expect_sp (t, error) ||
          !tern_imap_tokenizer_read_uint64 (t, &resource->usage, error) ||
          !tern_imap_tokenizer_expect_sp (t, error) ||
          !tern_imap_tokenizer_read_uint64 (t, &resource->limit, error))
        return FALSE;
    }
  return tern_imap_tokenizer_expect_end (t, error);
}

static gboolean
parse_quotaroot (TernImapParser     *self,
                 TernImapTokenizer  *t,
                 TernImapResponse   *response,
                 GError            **error)
{
  TernImapMailbox *mailbox = tern_imap_mailbox_new ();
  g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func (g_free);

  response->mailbox = mailbox;
  if (!tern_imap_tokenizer_expect_sp (t, error) ||
      !read_mailbox (self, t, &mailbox->raw_name, &mailbox->name, &mailbox->name_valid, error))
    return FALSE;
  while (tern_imap_tokenizer_skip_sp (t) && !tern_imap_tokenizer_at_end (t))
    {
      char *root = NULL;

      if (!tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_ATOM, &root, error))
        return FALSE;
      g_ptr_array_add (roots, root);
    }
  g_ptr_array_add (roots, NULL);
  response->strv = (char **) g_ptr_array_free (g_steal_pointer (&roots), FALSE);
  return tern_imap_tokenizer_expect_end (t, error);
}

static gboolean
parse_id (TernImapTokenizer  *t,
          TernImapResponse   *response,
          GError            **error)
{
  gboolean more;

  if (!tern_imap_tokenizer_expect_sp (t, error))
    return FALSE;
  if (tern_imap_tokenizer_skip_word (t, "NIL"))
    return tern_imap_tokenizer_expect_end (t, error);

  response->id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!tern_imap_tokenizer_open_list (t, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *key = NULL;
      char *value = NULL;

      if (!tern_imap_tokenizer_list_next (t, &more, error))
        return FALSE;
      if (!more)
        break;
      if (!tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_QUOTED, &key, error) ||
          !tern_imap_tokenizer_expect_sp (t, error) ||
          !tern_imap_tokenizer_dup_text_string (t, TERN_IMAP_STRING_NIL, &value, error))
        return FALSE;
      g_hash_table_replace (response->id, g_ascii_strdown (key, -1), value);
    }
  return tern_imap_tokenizer_expect_end (t, error);
}

static gboolean
parse_atoms_response (TernImapTokenizer  *t,
                      TernImapResponse   *response,
                      GError            **error)
{
  return read_atoms (t, &response->strv, error) &&
         tern_imap_tokenizer_expect_end (t, error);
}

/* "* " number SP name … */
static gboolean
parse_numbered (TernImapTokenizer  *t,
                TernImapResponse   *response,
                GError            **error)
{
  g_autofree char *name = NULL;
  const char *start;
  gsize len;
  guint32 number;

  if (!tern_imap_tokenizer_read_uint32 (t, FALSE, &number, error) ||
      !tern_imap_tokenizer_expect_sp (t, error) ||
      !tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM, &start, &len, error))
    return FALSE;
  name = g_ascii_strup (start, (gssize) len);
  response->number = number;

  if (strcmp (name, "EXISTS") == 0)
    response->kind = TERN_IMAP_RESPONSE_EXISTS;
  else if (strcmp (name, "RECENT") == 0)
    response->kind = TERN_IMAP_RESPONSE_RECENT;
  else if (strcmp (name, "EXPUNGE") == 0 || strcmp (name, "FETCH") == 0)
    {
      if (number == 0)
        return tern_imap_tokenizer_fail (t, error, "message number 0");
      if (name[1] == 'X')
        response->kind = TERN_IMAP_RESPONSE_EXPUNGE;
      else
        {
          response->kind = TERN_IMAP_RESPONSE_FETCH;
          response->fetch = tern_imap_fetch_new ();
          return tern_imap_tokenizer_expect_sp (t, error) &&
                 tern_imap_parse_fetch_items (t, response->fetch, error) &&
                 tern_imap_tokenizer_expect_end (t, error);
        }
    }
  else
    {
      response->kind = TERN_IMAP_RESPONSE_UNKNOWN;
      response->keyword = g_steal_pointer (&name);
      tern_imap_tokenizer_skip_sp (t);
      response->text = tern_imap_tokenizer_read_text (t, 0);
      return TRUE;
    }
  return tern_imap_tokenizer_expect_end (t, error);
}

static gboolean
parse_untagged (TernImapParser     *self,
                TernImapTokenizer  *t,
                TernImapResponse   *response,
                GError            **error)
{
  g_autofree char *name = NULL;
  const char *start;
  gsize len;

  if (!tern_imap_tokenizer_expect_sp (t, error))
    return FALSE;
  if (g_ascii_isdigit (tern_imap_tokenizer_peek (t)))
    return parse_numbered (t, response, error);

  if (read_status_word (t, TRUE, &response->status))
    {
      response->kind = TERN_IMAP_RESPONSE_STATUS;
      return parse_resp_text (t, response, error);
    }

  if (!g_ascii_isalpha (tern_imap_tokenizer_peek (t)))
    return tern_imap_tokenizer_fail (t, error, "expected the name of a response");
  if (!tern_imap_tokenizer_read_atom (t, TERN_IMAP_ATOM, &start, &len, error))
    return FALSE;
  name = g_ascii_strup (start, (gssize) len);

  if (strcmp (name, "CAPABILITY") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_CAPABILITY;
      return parse_atoms_response (t, response, error);
    }
  if (strcmp (name, "ENABLED") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_ENABLED;
      return parse_atoms_response (t, response, error);
    }
  if (strcmp (name, "FLAGS") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_FLAGS;
      return tern_imap_tokenizer_expect_sp (t, error) &&
             tern_imap_tokenizer_read_flag_list (t, &response->strv, error) &&
             tern_imap_tokenizer_expect_end (t, error);
    }
  if (strcmp (name, "LIST") == 0 || strcmp (name, "XLIST") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_LIST;
      return parse_list (self, t, response, error);
    }
  if (strcmp (name, "LSUB") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_LSUB;
      return parse_list (self, t, response, error);
    }
  if (strcmp (name, "STATUS") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_STATUS_DATA;
      return parse_status_data (self, t, response, error);
    }
  if (strcmp (name, "SEARCH") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_SEARCH;
      return parse_search (t, response, error);
    }
  if (strcmp (name, "ESEARCH") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_ESEARCH;
      return parse_esearch (t, response, error);
    }
  if (strcmp (name, "VANISHED") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_VANISHED;
      return parse_vanished (t, response, error);
    }
  if (strcmp (name, "NAMESPACE") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_NAMESPACE;
      return parse_namespace (self, t, response, error);
    }
  if (strcmp (name, "QUOTA") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_QUOTA;
      return parse_quota (t, response, error);
    }
  if (strcmp (name, "QUOTAROOT") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_QUOTAROOT;
      return parse_quotaroot (self, t, response, error);
    }
  if (strcmp (name, "ID") == 0)
    {
      response->kind = TERN_IMAP_RESPONSE_ID;
      return parse_id (t, response, error);
    }

  response->kind = TERN_IMAP_RESPONSE_UNKNOWN;
  response->keyword = g_steal_pointer (&name);
  tern_imap_tokenizer_skip_sp (t);
  response->text = tern_imap_tokenizer_read_text (t, 0);
  return TRUE;
}

static TernImapResponse *
parse_frame (TernImapParser  *self,
             TernImapFrame   *frame,
             GError         **error)
{
  g_autoptr(TernImapResponse) response = tern_imap_response_new (TERN_IMAP_RESPONSE_UNKNOWN);
  TernImapTokenizer t;
  int c;

  tern_imap_tokenizer_init (&t, frame, &self->limits);
  c = tern_imap_tokenizer_peek (&t);

  if (c == '+')
    {
      t.pos++;
      tern_imap_tokenizer_skip_char (&t, ' ');
      response->kind = TERN_IMAP_RESPONSE_CONTINUATION;
      response->text = tern_imap_tokenizer_read_text (&t, 0);
    }
  else if (c == '*')
    {
      t.pos++;
      if (!parse_untagged (self, &t, response, error))
        return NULL;
    }
  else
    {
      response->kind = TERN_IMAP_RESPONSE_TAGGED;
      response->tag = tern_imap_tokenizer_dup_atom (&t, TERN_IMAP_ATOM_TAG, error);
      if (response->tag == NULL || !tern_imap_tokenizer_expect_sp (&t, error))
        return NULL;
      if (!read_status_word (&t, FALSE, &response->status))
        {
          tern_imap_tokenizer_fail (&t, error, "expected OK, NO or BAD after the tag");
          return NULL;
        }
      if (!parse_resp_text (&t, response, error))
        return NULL;
    }

  if (t.next_literal != frame->literals->len)
    {
      tern_imap_tokenizer_fail (&t, error, "a literal where none belongs");
      return NULL;
    }
  return g_steal_pointer (&response);
}

/**
 * tern_imap_parser_next:
 * @self: a parser
 * @error: return location for a %TERN_IMAP_ERROR
 *
 * Parses the next complete response.
 *
 * Returns: (transfer full) (nullable): the response; or %NULL without
 *   @error set when more bytes are needed (or the stream ended cleanly); or
 *   %NULL with @error set when the server broke the protocol, which is final
 */
TernImapResponse *
tern_imap_parser_next (TernImapParser  *self,
                       GError         **error)
{
  g_autoptr(TernImapFrame) frame = NULL;
  TernImapResponse *response;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }

  frame = g_queue_pop_head (&self->frames);
  if (frame != NULL)
    {
      response = parse_frame (self, frame, &self->error);
      if (response == NULL)
        {
          g_assert (self->error != NULL);
          g_propagate_error (error, g_error_copy (self->error));
          /* nothing after a broken response can be trusted */
          g_queue_clear_full (&self->frames, (GDestroyNotify) tern_imap_frame_free);
          g_clear_pointer (&self->frame, tern_imap_frame_free);
          g_clear_pointer (&self->literal, g_free);
          self->in_literal = FALSE;
        }
      return response;
    }

  if (self->frame_error != NULL)
    {
      self->error = g_steal_pointer (&self->frame_error);
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }

  if (self->eof && self->in_literal)
    {
      g_set_error (&self->error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_TRUNCATED,
                   "The connection ended inside a literal: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                   " bytes received", self->literal_len, self->literal_size);
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }
  if (self->eof && self->frame != NULL)
    {
      g_set_error_literal (&self->error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_TRUNCATED,
                           "The connection ended inside a response");
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }
  return NULL;
}

/**
 * tern_imap_parse_bodystructure:
 * @text: a body structure as in a FETCH response, "(\"text\" \"plain\" …)",
 *   possibly with literals
 * @len: length of @text, or -1 if it is nul-terminated
 * @limits: (nullable): limits, %NULL for the defaults
 * @error: return location for a %TERN_IMAP_ERROR
 *
 * Parses a BODYSTRUCTURE (or BODY) value on its own, as the store might
 * keep it.
 *
 * Returns: (transfer full) (nullable): the tree, or %NULL
 */
TernImapBodyPart *
tern_imap_parse_bodystructure (const char           *text,
                               gssize                len,
                               const TernImapLimits *limits,
                               GError              **error)
{
  g_autoptr(TernImapParser) parser = NULL;
  g_autoptr(TernImapFrame) frame = NULL;
  g_autoptr(TernImapBodyPart) part = NULL;
  TernImapTokenizer t;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (len < 0)
    len = (gssize) strlen (text);
  parser = tern_imap_parser_new (limits);
  tern_imap_parser_feed (parser, (const guint8 *) text, (gsize) len);
  tern_imap_parser_feed (parser, (const guint8 *) "\r\n", 2);
  tern_imap_parser_feed_eof (parser);

  if (parser->frame_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&parser->frame_error));
      return NULL;
    }
  if (g_queue_get_length (&parser->frames) != 1 || parser->frame != NULL)
    {
      g_set_error_literal (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_PROTOCOL,
                           "Malformed body structure: not exactly one line");
      return NULL;
    }

  frame = g_queue_pop_head (&parser->frames);
  tern_imap_tokenizer_init (&t, frame, &parser->limits);
  if (!tern_imap_parse_body (&t, &part, error) ||
      !tern_imap_tokenizer_expect_end (&t, error))
    return NULL;
  if (t.next_literal != frame->literals->len)
    {
      tern_imap_tokenizer_fail (&t, error, "a literal where none belongs");
      return NULL;
    }
  return g_steal_pointer (&part);
}
