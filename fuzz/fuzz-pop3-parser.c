/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-pop3-parser"

/* libFuzzer harness: whatever a POP3 server sends, in any chunking, the
 * reply parser ends in DONE or a TERN_POP3_ERROR, within its limits, and
 * feeding it line by line gives the same answer as byte chunks. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern-pop3-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define MAX_SIZE 4096

static void
check_result (TernPop3Parser      *parser,
              TernPop3ParseResult  result,
              GError              *error)
{
  if (result == TERN_POP3_PARSE_ERROR)
    {
      if (error == NULL || error->domain != TERN_POP3_ERROR)
        abort ();
      return;
    }
  if (error != NULL)
    abort ();
  if (result == TERN_POP3_PARSE_DONE)
    {
      const TernPop3Status *status = tern_pop3_parser_get_status (parser);

      if (status == NULL || status->text == NULL || !g_utf8_validate (status->text, -1, NULL))
        abort ();
      if (!status->ok)
        return;
      switch (tern_pop3_parser_get_kind (parser))
        {
        case TERN_POP3_REPLY_CAPA:
          {
            g_auto(GStrv) caps = tern_pop3_parser_steal_capabilities (parser);

            if (caps == NULL)
              abort ();
            tern_pop3_capabilities_has_sasl ((const char * const *) caps, "PLAIN");
          }
          break;
        case TERN_POP3_REPLY_LIST:
        case TERN_POP3_REPLY_UIDL:
          {
            g_autoptr(GArray) entries = tern_pop3_parser_steal_entries (parser);

            if (entries == NULL)
              abort ();
            for (guint i = 0; i < entries->len; i++)
              {
                TernPop3Entry *entry = &g_array_index (entries, TernPop3Entry, i);

                if (entry->number == 0)
                  abort ();
                if (entry->uid != NULL && !tern_pop3_uid_is_valid (entry->uid, strlen (entry->uid)))
                  abort ();
              }
          }
          break;
        case TERN_POP3_REPLY_MESSAGE:
          {
            g_autoptr(GBytes) message = tern_pop3_parser_steal_message (parser);

            if (message == NULL || g_bytes_get_size (message) > MAX_SIZE)
              abort ();
          }
          break;
        case TERN_POP3_REPLY_STATUS:
        default:
          break;
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  TernPop3ReplyKind kind;
  gsize chunk;

  if (size < 2)
    return 0;
  /* The first byte picks the mode, the second the chunk size. */
  kind = data[0] % 5;
  chunk = (data[1] % 16) + 1;
  data += 2;
  size -= 2;

  {
    g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (kind);
    g_autoptr(GError) error = NULL;
    TernPop3ParseResult result = TERN_POP3_PARSE_MORE;
    gsize offset = 0;

    tern_pop3_parser_set_max_size (parser, MAX_SIZE);
    tern_pop3_parser_set_max_entries (parser, 64);
    while (offset < size && result == TERN_POP3_PARSE_MORE)
      {
        gsize consumed = 0;
        gsize n = MIN (chunk, size - offset);

        result = tern_pop3_parser_feed (parser, data + offset, n, &consumed, &error);
        if (consumed > n || (result == TERN_POP3_PARSE_MORE && consumed != n))
          abort ();
        offset += consumed;
      }
    if (result == TERN_POP3_PARSE_MORE)
      {
        if (tern_pop3_parser_end (parser, &error) || error == NULL)
          abort ();
        result = TERN_POP3_PARSE_ERROR;
      }
    check_result (parser, result, error);
  }

  /* Line by line, as the session feeds it. */
  {
    g_autoptr(TernPop3Parser) parser = tern_pop3_parser_new (kind);
    g_autoptr(GError) error = NULL;
    TernPop3ParseResult result = TERN_POP3_PARSE_MORE;
    gsize offset = 0;

    tern_pop3_parser_set_max_size (parser, MAX_SIZE);
    tern_pop3_parser_set_max_entries (parser, 64);
    while (offset < size && result == TERN_POP3_PARSE_MORE)
      {
        const uint8_t *lf = memchr (data + offset, '\n', size - offset);
        gsize length = lf != NULL ? (gsize) (lf - (data + offset)) : size - offset;

        result = tern_pop3_parser_feed_line (parser, (const char *) data + offset, length, &error);
        offset += length + 1;
      }
    if (result == TERN_POP3_PARSE_MORE && !tern_pop3_parser_end (parser, &error))
      result = TERN_POP3_PARSE_ERROR;
    if (result != TERN_POP3_PARSE_MORE)
      check_result (parser, result, error);
  }
  return 0;
}
