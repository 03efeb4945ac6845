/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-mime-summary"

#include <string.h>

#include "tern-engine.h"

/* Checks -------------------------------------------------------------------- */

static gboolean
has_bidi_or_control (const char *text,
                     gboolean    allow_newline)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' && allow_newline)
        continue;
      if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
          (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
        return TRUE;
    }
  return FALSE;
}

static void
assert_line (const char *text)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_false (has_bidi_or_control (text, FALSE));
  g_assert_cmpuint (strlen (text), <=, TERN_MIME_LINE_MAX);
}

static void
assert_strv (char  **strv,
             guint   max)
{
  g_assert_nonnull (strv);
  g_assert_cmpuint (g_strv_length (strv), <=, max);
  for (guint i = 0; strv[i] != NULL; i++)
    {
      assert_line (strv[i]);
      g_assert_cmpstr (strv[i], !=, "");
    }
}

/* What every summary promises, whatever the input. */
static void
assert_summary_sane (const TernMimeSummary *summary)
{
  const char *lists[3];

  g_assert_nonnull (summary);
  lists[0] = summary->to;
  lists[1] = summary->cc;
  lists[2] = summary->reply_to;
  assert_line (summary->subject);
  assert_line (summary->from);
  if (summary->from_name != NULL)
    assert_line (summary->from_name);
  if (summary->from_addr != NULL)
    assert_line (summary->from_addr);
  if (summary->message_id != NULL)
    assert_line (summary->message_id);
  if (summary->in_reply_to != NULL)
    assert_line (summary->in_reply_to);
  if (summary->list_id != NULL)
    assert_line (summary->list_id);
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    if (lists[i] != NULL)
      {
        g_assert_true (g_utf8_validate (lists[i], -1, NULL));
        g_assert_false (has_bidi_or_control (lists[i], FALSE));
      }
  assert_strv (summary->to_addrs, TERN_MIME_MAX_ADDRESSES);
  assert_strv (summary->cc_addrs, TERN_MIME_MAX_ADDRESSES);
  assert_strv (summary->references, TERN_MIME_REFERENCES_KEEP + 1);

  assert_line (summary->preview);
  g_assert_cmpuint (g_utf8_strlen (summary->preview, -1), <=, TERN_MIME_PREVIEW_MAX_CHARS);
  g_assert_nonnull (summary->body_text);
  g_assert_true (g_utf8_validate (summary->body_text, -1, NULL));
  g_assert_false (has_bidi_or_control (summary->body_text, TRUE));
  g_assert_cmpuint (strlen (summary->body_text), <=, TERN_MIME_BODY_TEXT_MAX);
  if (summary->error != NULL)
    assert_line (summary->error);
}

static TernMimeSummary *
summarise_data (const char *data,
                gsize       len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  TernMimeSummary *summary = tern_mime_summary_new_from_bytes (bytes);

  assert_summary_sane (summary);
  return summary;
}

static TernMimeSummary *
summarise_string (const char *text)
{
  return summarise_data (text, strlen (text));
}

static char *
fixture_path (const char *name)
{
  return g_build_filename (TERN_MIME_FIXTURES, name, NULL);
}

static TernMimeSummary *
summarise_fixture (const char *name)
{
  g_autofree char *path = fixture_path (name);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return summarise_data (contents, len);
}

/* The corpus ---------------------------------------------------------------- */

typedef struct
{
  const char *file;
  const char *subject;
  const char *from_name;       /* NULL: no name */
  const char *from_addr;       /* NULL: no address */
  const char *from;
  const char *message_id;      /* NULL: none */
  gint64      date;
  gboolean    has_attachments;
  const char *preview;         /* the preview starts with this */
  const char *error;           /* NULL: no error; else a part of it */
  const char *body_has;        /* optional */
  const char *body_lacks;      /* optional */
} CorpusCase;

static const CorpusCase corpus[] = {
  { "01-plain-ascii.eml", "Lunch on Friday?", "Alice Example", "alice@example.test",
    "Alice Example <alice@example.test>", "lunch-1@example.test", 1677843000, FALSE,
    "Hi Bob, Shall we have lunch on Friday at the usual place? Alice", NULL,
    "Hi Bob,\n\nShall we", NULL },
  { "02-utf8-raw-headers.eml", "Grüße aus Köln — schön", "Jörg Müller", "joerg@beispiel.test",
    "Jörg Müller <joerg@beispiel.test>", "gruesse@beispiel.test", 1677916800, FALSE,
    "Schöne Grüße, Jörg.", NULL, NULL, NULL },
  { "03-latin1-raw-headers.eml", "Réunion déplacée – salle 2", "François Pérez",
    "francois@example.test", "François Pérez <francois@example.test>", "reunion@example.test",
    1678090500, FALSE, "La réunion est déplacée “demain” à 10 h.", NULL, NULL, NULL },
  { "04-windows-1252.eml", "Facture 20 € – réglée", "Billing", "billing@shop.test",
    "Billing <billing@shop.test>", "facture-42@shop.test", 1678183200, FALSE,
    "Le prix est de 20 € – “offert” à l’équipe.", NULL, NULL, NULL },
  { "05-koi8-r.eml", "Привет, мир", "Иван Петров", "ivan@example.test",
    "Иван Петров <ivan@example.test>", "privet@example.test", 1678262400, FALSE,
    "Добрый день! Как дела?", NULL, NULL, NULL },
  { "06-iso-2022-jp.eml", "会議の件", "田中太郎", "tanaka@example.test",
    "田中太郎 <tanaka@example.test>", "tesuto@example.test", 1678352400, FALSE,
    "明日の会議は十時からです。", NULL, NULL, NULL },
  { "07-big5.eml", "測試郵件", NULL, "chen@example.test", "chen@example.test",
    "big5@example.test", 1678410000, FALSE, "這是一封測試郵件。", NULL, NULL, NULL },
  { "08-encoded-words-split.eml", "Café crème brûlée and 🍰 tonight", "Renée",
    "renee@example.test", "Renée <renee@example.test>", "creme@example.test", 1678561200,
    FALSE, "Dessert?", NULL, NULL, NULL },
  { "09-bad-charset.eml", "café ok", "Bad Charset", "bad@example.test",
    "Bad Charset <bad@example.test>", "bad-charset@example.test", 1678615200, FALSE,
    "Body in é UTF-8 under a bogus label.", "undecodable charset x-no-such-charset", NULL, NULL },
  { "10-alternative.eml", "Weekly digest", "News", "news@example.test",
    "News <news@example.test>", "digest-10@example.test", 1678690800, FALSE,
    "This week: the plain text version — three articles.", NULL, NULL, "HTML" },
  { "11-html-only.eml", "Your order", "Shop", "shop@example.test", "Shop <shop@example.test>",
    "order-77@shop.example.test", 1678826700, FALSE,
    "Thanks for your order Fish & chips <2> été — €5 © &unknown;", NULL,
    "Line one\nLine two", "evil" },
  { "12-mixed-pdf.eml", "Invoice attached", "Carol", "carol@example.test",
    "Carol <carol@example.test>", "invoice-12@example.test", 1678881600, TRUE,
    "Please find the invoice attached.", NULL, NULL, "PDF" },
  { "13-rfc2231-filename.eml", "The report", "Erin", "erin@example.test",
    "Erin <erin@example.test>", "report-13@example.test", 1678968000, TRUE,
    "The report is attached.", NULL, NULL, NULL },
  { "14-related-cid.eml", "Pictures inside", "Newsletter", "letter@example.test",
    "Newsletter <letter@example.test>", "related-14@example.test", 1679054400, FALSE,
    "See the logo above.", NULL, NULL, NULL },
  { "15-forwarded-rfc822.eml", "Fwd: Minutes", "Grace", "grace@example.test",
    "Grace <grace@example.test>", "fwd-15@example.test", 1679140800, TRUE,
    "Forwarding the minutes, see below.", NULL, NULL, "INNERSECRETWORD" },
  { "16-missing-headers.eml", "", NULL, NULL, "", NULL, 0, FALSE,
    "A message without From, To, Subject, Date or Message-ID.", NULL, NULL, NULL },
  { "17-no-body.eml", "Headers only", NULL, "judy@example.test", "judy@example.test",
    "nobody@example.test", 1679227200, FALSE, "", NULL, NULL, NULL },
  { "18-broken-boundary.eml", "Broken boundary", NULL, "kim@example.test", "kim@example.test",
    "broken-18@example.test", 1679313600, FALSE,
    "Text behind a boundary that was never declared.", "boundary", NULL, "Content-Type" },
  { "19-references-chain.eml", "Re: Re: Long thread", NULL, "mallory@example.test",
    "mallory@example.test", "reply-121@example.test", 1679400000, FALSE,
    "Yet another reply.", NULL, NULL, NULL },
  { "20-message-id-odd.eml", "Odd ids", NULL, "nick@example.test", "nick@example.test",
    "no-brackets@example.test", 1679486400, FALSE, "Ids without angle brackets.", NULL,
    NULL, NULL },
  { "21-date-two-digit-year.eml", "Y2K", NULL, "old@example.test", "old@example.test",
    "y2k@example.test", 915202800, FALSE, "Party like it's 1999.", NULL, NULL, NULL },
  { "22-date-no-zone.eml", "No zone", NULL, "tz@example.test", "tz@example.test",
    "nozone@example.test", 1107263655, FALSE, "Which time zone?", NULL, NULL, NULL },
  { "23-format-flowed.eml", "Flowed text", "Peggy", "peggy@example.test",
    "Peggy <peggy@example.test>", "flowed@example.test", 1679572800, FALSE,
    "Yes, I am coming and I will bring the slides. This long line was wrapped with delsp. "
    "From the space-stuffed line.", NULL,
    "> Are you coming to the\n> meeting tomorrow?", "li ne" },
  { "24-spoofed-display-name.eml", "Verify your account", "paypal@paypal.com",
    "evil@evil.test", "\"paypal@paypal.com\" <evil@evil.test>", "phish@evil.test",
    1679659200, FALSE, "Click here.", NULL, NULL, NULL },
  { "25-rtl-override.eml", "Invoice fdp.exex", "Bankmoc.knab@", "attacker@example.test",
    "\"Bankmoc.knab@\" <attacker@example.test>", "rtl@example.test", 1679745600, FALSE,
    "Open the invoice please.", NULL, NULL, NULL },
  { "26-nul-bytes.eml", "Zero byte enc?oded", "Nul Name", "nul@example.test",
    "Nul Name <nul@example.test>", "nul@example.test", 1679832000, FALSE,
    "Before after the NUL.", NULL, NULL, NULL },
  { "27-list-reply.eml", "Re: [tern-devel] AW: Re: Build fails", "Rupert", "rupert@example.test",
    "Rupert <rupert@example.test>", "list-reply@example.test", 1679918400, FALSE,
    "It works for me after a clean build.", NULL, "> The build fails on Debian.", NULL },
  { "28-signed-pgp.eml", "Signed", "Uma", "uma@example.test", "Uma <uma@example.test>",
    "signed@example.test", 1680004800, FALSE, "This text is signed.", NULL, NULL,
    "PGP SIGNATURE" },
  { "29-multipart-no-boundary.eml", "No boundary parameter", NULL, "walter@example.test",
    "walter@example.test", "noboundary@example.test", 1680091200, FALSE, "Lost text.",
    "no boundary", NULL, "--whatever" },
  { "30-invalid-base64.eml", "Broken base64", NULL, "xena@example.test", "xena@example.test",
    "b64@example.test", 1680177600, FALSE, "Hello world", NULL, NULL, NULL },
  { "31-crlf.eml", "CRLF line endings", "Yves", "yves@example.test",
    "Yves <yves@example.test>", "crlf@example.test", 1680264000, TRUE,
    "Windows line endings throughout.", NULL, NULL, "\r" },
  { "32-group-addresses.eml", "Groups", "Zed", "zed@example.test", "Zed <zed@example.test>",
    "groups@example.test", 1680350400, FALSE, "Group syntax.", NULL, NULL, NULL },
  { "33-date-obsolete-zone.eml", "Obsolete zone", NULL, "pst@example.test", "pst@example.test",
    "pst@example.test", 1678122000, FALSE, "Pacific time.", NULL, NULL, NULL },
  { "34-mbox-from-line.eml", "Left over from an mbox", "Alice", "alice@example.test",
    "Alice <alice@example.test>", "mbox@example.test", 1680523200, FALSE,
    "The separator line is not a header.", NULL, NULL, NULL },
  { "35-html-reply-blockquote.eml", "RE: Plans", "Amy", "amy@example.test",
    "Amy <amy@example.test>", "html-reply@example.test", 1680609600, FALSE,
    "Sounds good, see you there.", NULL, "> Meet at noon?", NULL },
  { "36-text-attachment.eml", "Log file", "Cy", "cy@example.test", "Cy <cy@example.test>",
    "log@example.test", 1680696000, TRUE, "The log is attached.", NULL, NULL, "LOGLINE" },
  { "37-empty-plain-alternative.eml", "Spring sale", "Marketing", "promo@example.test",
    "Marketing <promo@example.test>", "sale@example.test", 1680782400, FALSE,
    "Everything −30% this week", NULL, NULL, NULL },
  { "38-bad-date.eml", "Bad date", NULL, "badday@example.test", "badday@example.test",
    "baddate@example.test", 0, FALSE, "The date is nonsense.", "date could not be read",
    NULL, NULL },
  /* Found by the mutation test: skipping the line left nothing, and nothing
   * was handed to the UTF-8 code as NULL. */
  { "39-only-mbox-from-line.eml", "", NULL, NULL, "", NULL, 0, FALSE, "",
    "the message is empty", NULL, NULL },
};

static void
test_corpus_case (gconstpointer data)
{
  const CorpusCase *c = data;
  g_autoptr(TernMimeSummary) summary = summarise_fixture (c->file);

  g_assert_cmpstr (summary->subject, ==, c->subject);
  g_assert_cmpstr (summary->from_name, ==, c->from_name);
  g_assert_cmpstr (summary->from_addr, ==, c->from_addr);
  g_assert_cmpstr (summary->from, ==, c->from);
  g_assert_cmpstr (summary->message_id, ==, c->message_id);
  g_assert_cmpint (summary->date, ==, c->date);
  g_assert_cmpint (summary->has_attachments, ==, c->has_attachments);
  if (*c->preview == '\0')
    g_assert_cmpstr (summary->preview, ==, "");
  else if (!g_str_has_prefix (summary->preview, c->preview))
    g_error ("%s: preview \"%s\" does not start with \"%s\"", c->file, summary->preview, c->preview);
  if (c->error == NULL)
    g_assert_null (summary->error);
  else if (summary->error == NULL || strstr (summary->error, c->error) == NULL)
    g_error ("%s: error \"%s\" does not say \"%s\"", c->file, summary->error, c->error);
  if (c->body_has != NULL && strstr (summary->body_text, c->body_has) == NULL)
    g_error ("%s: body \"%s\" lacks \"%s\"", c->file, summary->body_text, c->body_has);
  if (c->body_lacks != NULL && strstr (summary->body_text, c->body_lacks) != NULL)
    g_error ("%s: body \"%s\" has \"%s\"", c->file, summary->body_text, c->body_lacks);
}

static GPtrArray *
list_fixture_files (void)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  dir = g_dir_open (TERN_MIME_FIXTURES, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".eml"))
      g_ptr_array_add (files, g_strdup (name));
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
  return files;
}

/* Every fixture, the fuzzer's regressions too, is summarised sanely, and every
 * one of the corpus' files has its expectations in the table. */
static void
test_corpus_every_file (void)
{
  g_autoptr(GPtrArray) files = list_fixture_files ();

  g_assert_cmpuint (files->len, >=, 25);
  for (guint i = 0; i < files->len; i++)
    tern_mime_summary_free (summarise_fixture (g_ptr_array_index (files, i)));
  for (guint i = 0; i < G_N_ELEMENTS (corpus); i++)
    {
      g_autofree char *path = fixture_path (corpus[i].file);

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
}

/* A cheap, deterministic fuzzer over the corpus for machines without clang:
 * truncations, byte flips and spliced copies of every fixture. */
static void
test_corpus_mutations (void)
{
  g_autoptr(GPtrArray) files = list_fixture_files ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (20230301);
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *path = fixture_path (g_ptr_array_index (files, i));
      g_autofree char *contents = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      for (guint round = 0; round < 60 && len > 0; round++)
        {
          g_autofree char *copy = g_memdup2 (contents, len);
          gsize copy_len = len;
          g_autoptr(TernMimeSummary) summary = NULL;

          switch (round % 4)
            {
            case 0:
              copy_len = g_rand_int_range (rand, 0, len);
              break;
            case 1:
              for (guint k = 0; k < 8; k++)
                copy[g_rand_int_range (rand, 0, len)] = (char) g_rand_int_range (rand, 0, 256);
              break;
            case 2:
              for (guint k = 0; k < 4; k++)
                {
                  static const char specials[] = { '\n', '\r', '\0', '=', '?', '<', '>', '"', '-', ';', ':', '&' };

                  copy[g_rand_int_range (rand, 0, len)] = specials[g_rand_int_range (rand, 0, sizeof specials)];
                }
              break;
            default:
              {
                gsize from = g_rand_int_range (rand, 0, len);
                gsize to = g_rand_int_range (rand, 0, len);
                gsize n = MIN (len - from, len - to);

                memmove (copy + to, copy + from, g_rand_int_range (rand, 0, n + 1));
              }
              break;
            }
          summary = summarise_data (copy, copy_len);
        }
    }
  g_test_message ("mutations took %.2f s", (g_get_monotonic_time () - start) / 1e6);
}

/* Fields ---------------------------------------------------------------------- */

static void
test_addresses (void)
{
  g_autoptr(TernMimeSummary) list = summarise_fixture ("27-list-reply.eml");
  g_autoptr(TernMimeSummary) groups = summarise_fixture ("32-group-addresses.eml");
  g_autoptr(TernMimeSummary) spoof = summarise_fixture ("24-spoofed-display-name.eml");
  const char * const list_cc[] = { "sybil@example.test", "trent@example.test", NULL };
  const char * const group_cc[] = { "ann@example.test", "bob@example.test", "carl@example.test", NULL };

  g_assert_cmpstr (list->to, ==, "Tern Developers <tern-devel@lists.example.test>");
  g_assert_cmpstrv (list->to_addrs, ((const char * const[]) { "tern-devel@lists.example.test", NULL }));
  g_assert_cmpstr (list->cc, ==, "sybil@example.test, Trent <trent@example.test>");
  g_assert_cmpstrv (list->cc_addrs, list_cc);
  g_assert_null (list->reply_to);

  /* An empty group shows its name and has no addresses; members are flattened. */
  g_assert_cmpstr (groups->to, ==, "undisclosed-recipients");
  g_assert_cmpuint (g_strv_length (groups->to_addrs), ==, 0);
  g_assert_cmpstr (groups->cc, ==, "Ann <ann@example.test>, bob@example.test, carl@example.test");
  g_assert_cmpstrv (groups->cc_addrs, group_cc);

  /* The address in the display name is a name; the real address wins. */
  g_assert_cmpstr (spoof->from_addr, ==, "evil@evil.test");
  g_assert_cmpstr (spoof->reply_to, ==, "Support <support@evil.test>");
  g_assert_null (spoof->cc);
  g_assert_cmpuint (g_strv_length (spoof->cc_addrs), ==, 0);
}

#define LITERAL(s) s, sizeof (s) - 1

static void
test_sender_spoofing (void)
{
  struct {
    const char *from;
    gsize       len;
  } cases[] = {
    /* GMime would end the header at a raw NUL and show only PayPal. */
    { LITERAL ("From: paypal@paypal.com\0 <evil@evil.test>") },
    /* Encoded CR/LF and NUL in the name stay in the name. */
    { LITERAL ("From: =?utf-8?q?PayPal=0D=0AFrom:_paypal@paypal.com?= <evil@evil.test>") },
    { LITERAL ("From: =?utf-8?q?paypal@paypal.com=00?= <evil@evil.test>") },
    { LITERAL ("From: \"paypal@paypal.com\" <evil@EVIL.TEST>, paypal@paypal.com") },
    { LITERAL ("From: =?utf-8?b?cGF5cGFsQHBheXBhbC5jb20g4oCu?= <evil@evil.test>") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) raw = g_string_new (NULL);
      g_autoptr(TernMimeSummary) summary = NULL;

      g_string_append_len (raw, cases[i].from, cases[i].len);
      g_string_append (raw, "\nSubject: x\n\nbody\n");
      summary = summarise_data (raw->str, raw->len);
      g_assert_cmpstr (summary->from_addr, ==, "evil@evil.test");
      g_assert_true (g_str_has_suffix (summary->from, "\" <evil@evil.test>"));
    }
}

static void
test_references (void)
{
  g_autoptr(TernMimeSummary) summary = summarise_fixture ("19-references-chain.eml");
  guint n = g_strv_length (summary->references);

  /* 120 references: the root and the last 50 are kept, in order; the
   * garbage and the empty <> after them are not ids. */
  g_assert_cmpuint (n, ==, 1 + TERN_MIME_REFERENCES_KEEP);
  g_assert_cmpstr (summary->references[0], ==, "ref-1@example.test");
  g_assert_cmpstr (summary->references[1], ==, "ref-71@example.test");
  g_assert_cmpstr (summary->references[n - 1], ==, "ref-120@example.test");
  g_assert_cmpstr (summary->in_reply_to, ==, "ref-120@example.test");
}

static void
test_message_ids (void)
{
  g_autoptr(TernMimeSummary) odd = summarise_fixture ("20-message-id-odd.eml");
  g_autoptr(TernMimeSummary) list = summarise_fixture ("27-list-reply.eml");
  struct {
    const char *header;
    const char *id;
  } cases[] = {
    { "Message-ID: <a@b>", "a@b" },
    { "Message-ID:    <  spaced@example.test  >", "spaced@example.test" },
    { "Message-ID: <>", NULL },
    { "Message-ID:", NULL },
    { "Message-ID: <caf\xc3\xa9@example.test>", NULL },
    { "Message-ID: <\"quoted local\"@example.test>", "\"quoted local\"@example.test" },
    { "Message-ID: <a@b> <c@d>", "a@b" },
  };

  g_assert_cmpstr (odd->message_id, ==, "no-brackets@example.test");
  g_assert_cmpstr (odd->in_reply_to, ==, "parent@example.test");
  g_assert_cmpstr (list->in_reply_to, ==, "build-fails@example.test");
  g_assert_cmpstrv (list->references, ((const char * const[]) { "build-fails@example.test", NULL }));
  g_assert_cmpstr (list->list_id, ==, "tern-devel.lists.example.test");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *raw = g_strdup_printf ("From: a@b\n%s\n\nx\n", cases[i].header);
      g_autoptr(TernMimeSummary) summary = summarise_string (raw);

      g_assert_cmpstr (summary->message_id, ==, cases[i].id);
    }
}

static void
test_dates (void)
{
  struct {
    const char *date;
    gint64      unix_time;
  } cases[] = {
    { "Fri, 03 Mar 2023 12:30:00 +0100", 1677843000 },
    { "3 Mar 2023 12:30 +0100", 1677843000 },
    { "Fri, 03 Mar 23 11:30:00 GMT", 1677843000 },      /* obsolete 2-digit year */
    { "1 Jan 99 10:00 EST", 915202800 },
    { "Tue, 01 Feb 2005 13:14:15", 1107263655 },        /* no zone: UTC */
    { "Thu, 13 Feb 1969 23:32:54 -0330", -27723426 },   /* RFC 5322's example */
    { "Mon, 32 Foo 99999", 0 },
    { "yesterday", 0 },
    { "", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *raw = g_strdup_printf ("From: a@b\nDate: %s\n\nx\n", cases[i].date);
      g_autoptr(TernMimeSummary) summary = summarise_string (raw);

      g_assert_cmpint (summary->date, ==, cases[i].unix_time);
    }
}

static void
test_subject_cleaning (void)
{
  struct {
    const char *header;
    const char *subject;
  } cases[] = {
    { "Subject: =?utf-8?q?two=0D=0Alines=09tab?=", "two lines tab" },
    { "Subject: =?utf-8?q?bell=07_and_del=7F?=", "bell and del" },
    { "Subject: =?utf-8?b?4oCuZXZpbA==?=", "evil" },                 /* U+202E */
    { "Subject: a\xe2\x81\xa6" "b\xe2\x81\xa9" "c", "abc" },          /* isolates */
    { "Subject:    folded\n   over\n\tlines   ", "folded over lines" },
    { "Subject: \xff\xfe bytes", "ÿþ bytes" },                        /* windows-1252 */
    { "Subject: =?x-bogus?q?caf=E9?=", "café" },
    { "Subject: =?utf-8?q?unterminated", "=?utf-8?q?unterminated" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *raw = g_strdup_printf ("From: a@b\n%s\n\nx\n", cases[i].header);
      g_autoptr(TernMimeSummary) summary = summarise_string (raw);

      g_assert_cmpstr (summary->subject, ==, cases[i].subject);
    }
}

static void
test_normalize_subject (void)
{
  struct {
    const char *subject;
    const char *normalized;
  } cases[] = {
    { "Hello", "hello" },
    { "Re: Hello", "hello" },
    { "RE: re: Fwd:  Hello   World ", "hello world" },
    { "AW: SV: Réf: Rapport", "rapport" },
    { "Re[2]: Re^3: Re (4): Status", "status" },
    { "[tern-devel] Re: [tern-devel] Build fails", "build fails" },
    { "Re : espace", "espace" },
    { "回复：会议", "会议" },
    { "Reality: check", "reality: check" },
    { "[PATCH]", "[patch]" },
    { "Re:", "" },
    { "", "" },
    { NULL, "" },
    { "Straße", "strasse" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *normalized = tern_mime_normalize_subject (cases[i].subject);

      g_assert_cmpstr (normalized, ==, cases[i].normalized);
    }
}

/* HTML ------------------------------------------------------------------------ */

static char *
html_to_text (const char *html)
{
  char *text = tern_mime_html_to_text (html, strlen (html));

  g_assert_true (g_utf8_validate (text, -1, NULL));
  return text;
}

static void
test_html_drops (void)
{
  g_autofree char *text = html_to_text (
    "<html><head><title>T</title><meta charset=utf-8><style>b{x:1}</style></head>"
    "<body><script>var s = '</p>';</script>Visible<SCRIPT>x()</SCRIPT>"
    "<style type=\"text/css\">.a{}</style><!-- hidden --> text<template>no</template>"
    "\n<noscript>shown</noscript></body></html>");

  g_assert_cmpstr (text, ==, "Visible text shown");
}

static void
test_html_entities (void)
{
  g_autofree char *text = html_to_text (
    "&lt;a&gt; &amp;amp; &quot;q&quot; &apos;s&apos; caf&eacute; &Eacute;T&Eacute; "
    "&#65;&#x42;&#X43; &#x1F600; &euro;&mdash;&hellip; &#150; &#0; &#xD800; &#99999999999; "
    "&nosuch; & alone &amp");

  g_assert_cmpstr (text, ==,
                   "<a> &amp; \"q\" 's' café ÉTÉ ABC 😀 €—… – \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd "
                   "&nosuch; & alone &");
}

static void
test_html_blocks (void)
{
  g_autofree char *text = html_to_text (
    "<div>one</div><div>two<br>three</div><p>para</p><p>graph</p>"
    "<ul><li>a</li><li>b</li></ul><table><tr><td>c1</td><td>c2</td></tr></table>"
    "spaced   \n\t  out&nbsp;&nbsp;text");

  g_assert_cmpstr (text, ==, "one\ntwo\nthree\n\npara\n\ngraph\n\na\nb\n\nc1 c2\n\nspaced out text");
}

static void
test_html_blockquote (void)
{
  g_autofree char *text = html_to_text (
    "Yes.<blockquote>Was it?<blockquote>Inner</blockquote>Back</blockquote>After");

  g_assert_cmpstr (text, ==, "Yes.\n\n> Was it?\n\n>> Inner\n\n> Back\n\nAfter");
}

static void
test_html_broken (void)
{
  struct {
    const char *html;
    const char *text;
  } cases[] = {
    { "<p>unclosed <b>tags <i>everywhere", "unclosed tags everywhere" },
    { "text <!-- unclosed comment", "text" },
    { "text <script>never closed", "text" },
    { "a <img alt='unclosed>b", "a" },
    { "a <a href=x'y>b</a>", "a b" },
    { "1 < 2 and 3 <4", "1 < 2 and 3 <4" },
    { "<head><title>t</title>text ends the head", "text ends the head" },
    { "<head><title>t</title><p>body without body tag</p>", "body without body tag" },
    { "<", "<" },
    { "&", "&" },
    { "&#", "&#" },
    { "<!", "" },
    { "<verylongtagnamethatgoesonandon>x</verylongtagnamethatgoesonandon>", "x" },
    { "<o:p>office</o:p>", "office" },
    { "bad \xff utf-8", "bad \xef\xbf\xbd utf-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = html_to_text (cases[i].html);

      g_assert_cmpstr (text, ==, cases[i].text);
    }

  {
    g_autofree char *text = tern_mime_html_to_text ("a\0b<p>c", 7);

    g_assert_cmpstr (text, ==, "ab\n\nc");
  }
  {
    g_autofree char *text = tern_mime_html_to_text (NULL, 0);

    g_assert_cmpstr (text, ==, "");
  }
}

static void
test_html_huge (void)
{
  gsize n = 4 * 1024 * 1024;
  g_autoptr(GString) html = g_string_sized_new (n + 64);
  g_autofree char *text = NULL;
  gint64 start = g_get_monotonic_time ();

  /* A 4 MiB attribute value, then more text than the cap. */
  g_string_append (html, "<p title=\"");
  for (gsize i = 0; i < n / 8; i++)
    g_string_append (html, "&lt;&gt;>x");
  g_string_append (html, "\">after</p>");
  for (gsize i = 0; i < n / 8; i++)
    g_string_append (html, "<b>wörd</b> ");

  text = tern_mime_html_to_text (html->str, html->len);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_true (g_str_has_prefix (text, "after\n\nwörd wörd"));
  g_assert_cmpuint (strlen (text), <=, TERN_MIME_BODY_TEXT_MAX);
  g_assert_cmpuint (strlen (text), >, TERN_MIME_BODY_TEXT_MAX - 16);
  g_test_message ("8 MiB of HTML took %.2f s", (g_get_monotonic_time () - start) / 1e6);
}

/* Preview and body ------------------------------------------------------------ */

static void
test_preview_bounds (void)
{
  g_autoptr(GString) raw = g_string_new ("From: a@b\nContent-Type: text/plain; charset=utf-8\n\n");
  g_autoptr(TernMimeSummary) summary = NULL;

  /* 3- and 4-byte characters so a byte cut would land inside one. */
  for (guint i = 0; i < 150; i++)
    g_string_append (raw, "日本😀");
  summary = summarise_data (raw->str, raw->len);
  g_assert_cmpuint (g_utf8_strlen (summary->preview, -1), ==, TERN_MIME_PREVIEW_MAX_CHARS);
  g_assert_true (g_str_has_prefix (summary->preview, "日本😀日本😀"));
}

static void
test_preview_quotes (void)
{
  g_autoptr(TernMimeSummary) summary = summarise_string (
    "From: a@b\n\n"
    "> quoted first\n"
    "On Monday, B wrote:\n"
    ">> deeper\n"
    "\n"
    "Answer:\n"
    "  the   answer  \n"
    "-- \n"
    "signature\n");

  g_assert_cmpstr (summary->preview, ==, "Answer: the answer");
  g_assert_nonnull (strstr (summary->body_text, "signature"));
}

static void
test_body_bounded (void)
{
  g_autoptr(GString) raw = g_string_new ("From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n");
  g_autoptr(TernMimeSummary) summary = NULL;

  /* Three parts of 200 KiB each, the last in base64. */
  for (guint part = 0; part < 3; part++)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < 200 * 1024 / 10; i++)
        g_string_append (text, part == 1 ? "ééééé " : "word word ");
      if (part == 2)
        {
          g_autofree char *encoded = g_base64_encode ((const guchar *) text->str, text->len);

          g_string_append_printf (raw, "--B\nContent-Type: text/plain; charset=utf-8\n"
                                  "Content-Transfer-Encoding: base64\n\n%s\n", encoded);
        }
      else
        g_string_append_printf (raw, "--B\nContent-Type: text/plain; charset=utf-8\n\n%s\n", text->str);
    }
  g_string_append (raw, "--B--\n");

  summary = summarise_data (raw->str, raw->len);
  g_assert_cmpuint (strlen (summary->body_text), >, TERN_MIME_BODY_TEXT_MAX - 16);
  g_assert_true (g_str_has_prefix (summary->preview, "word word"));
}

static void
test_charset_fallbacks (void)
{
  struct {
    const char *content_type;
    const char *body;
    const char *text;
  } cases[] = {
    /* Undeclared: UTF-8 if it is, else windows-1252. */
    { "text/plain", "caf\xc3\xa9", "café" },
    { "text/plain", "caf\xe9 \x80", "café €" },
    { "text/plain; charset=us-ascii", "na\xefve", "naïve" },
    /* Latin-1 labels mean windows-1252. */
    { "text/plain; charset=iso-8859-1", "\x93q\x94", "“q”" },
    { "text/plain; charset=utf-8", "bad \xff byte", "bad \xef\xbf\xbd byte" },
    { "text/plain; charset=iso-8859-15", "\xa4", "€" },
    { "text/plain; charset=koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет" },
    { "text/html; charset=windows-1251", "<b>\xcf\xf0\xe8\xe2\xe5\xf2</b>", "Привет" },
    /* Unknown labels are noted and guessed. */
    { "text/plain; charset=\"x-\x01\xff<b>bogus\"", "caf\xc3\xa9", "café" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *raw = g_strdup_printf ("From: a@b\nContent-Type: %s\n\n%s\n",
                                              cases[i].content_type, cases[i].body);
      g_autoptr(TernMimeSummary) summary = summarise_string (raw);

      g_assert_cmpstr (summary->body_text, ==, cases[i].text);
    }
}

static void
test_attachments (void)
{
  struct {
    const char *mime;
    gboolean    has_attachments;
  } cases[] = {
    { "Content-Type: application/pdf; name=a.pdf\n\n%PDF", TRUE },
    { "Content-Type: application/octet-stream\n\nbytes", FALSE },
    { "Content-Type: text/plain\nContent-Disposition: attachment\n\nx", TRUE },
    { "Content-Type: text/calendar; name=invite.ics\n\nBEGIN:VCALENDAR", FALSE },
    { "Content-Type: image/png\nContent-Disposition: inline; filename=a.png\n\nx", TRUE },
    { "Content-Type: message/rfc822\n\nSubject: inner\n\nbody", TRUE },
    { "Content-Type: multipart/signed; boundary=s\n\n--s\nContent-Type: text/plain\n\nt\n"
      "--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\n"
      "Content-Disposition: attachment; filename=smime.p7s\n\nsig\n--s--\n", FALSE },
    { "Content-Type: multipart/encrypted; boundary=e\n\n--e\n"
      "Content-Type: application/pgp-encrypted\n\nVersion: 1\n--e\n"
      "Content-Type: application/octet-stream; name=encrypted.asc\n\nx\n--e--\n", FALSE },
    { "Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n<img src=cid:i>\n"
      "--r\nContent-Type: image/gif; name=i.gif\nContent-ID: <i>\n\nGIF\n--r--\n", FALSE },
    { "Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\nh\n"
      "--r\nContent-Type: image/gif; name=i.gif\nContent-ID: <i>\n"
      "Content-Disposition: attachment\n\nGIF\n--r--\n", TRUE },
    { "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: image/gif; name=i.gif\n"
      "Content-ID: <i>\n\nGIF\n--m--\n", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *raw = g_strdup_printf ("From: a@b\nMIME-Version: 1.0\n%s\n", cases[i].mime);
      g_autoptr(TernMimeSummary) summary = summarise_string (raw);

      g_assert_cmpint (summary->has_attachments, ==, cases[i].has_attachments);
    }
}

static void
test_from_message (void)
{
  GMimeMessage *message;
  GMimeTextPart *part;
  g_autoptr(GDateTime) date = g_date_time_new_utc (2023, 3, 1, 12, 0, 0);
  g_autoptr(TernMimeSummary) summary = NULL;

  tern_mime_init ();
  message = g_mime_message_new (TRUE);
  g_mime_message_set_subject (message, "Built \u202ein\u202c memory", "utf-8");
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_FROM, "Ann", "ann@Example.TEST");
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_TO, NULL, "bob@example.test");
  g_mime_message_set_date (message, date);
  g_mime_message_set_message_id (message, "built@example.test");
  part = g_mime_text_part_new_with_subtype ("plain");
  g_mime_text_part_set_text (part, "Grüße from memory.\n");
  g_mime_message_set_mime_part (message, GMIME_OBJECT (part));
  g_object_unref (part);

  summary = tern_mime_summary_new_from_message (message);
  assert_summary_sane (summary);
  g_assert_cmpstr (summary->subject, ==, "Built in memory");
  g_assert_cmpstr (summary->from, ==, "Ann <ann@example.test>");
  g_assert_cmpstrv (summary->to_addrs, ((const char * const[]) { "bob@example.test", NULL }));
  g_assert_cmpint (summary->date, ==, g_date_time_to_unix (date));
  g_assert_cmpstr (summary->message_id, ==, "built@example.test");
  g_assert_cmpstr (summary->preview, ==, "Grüße from memory.");
  g_assert_null (summary->error);

  /* Twice: the content stream is read from its start each time. */
  g_clear_pointer (&summary, tern_mime_summary_free);
  summary = tern_mime_summary_new_from_message (message);
  g_assert_cmpstr (summary->preview, ==, "Grüße from memory.");

  g_assert_finalize_object (message);
}

static void
test_null_input (void)
{
  g_autoptr(TernMimeSummary) summary = tern_mime_summary_new_from_bytes (NULL);

  assert_summary_sane (summary);
  g_assert_cmpstr (summary->error, ==, "the message is empty");
  g_assert_cmpstr (summary->subject, ==, "");
  g_assert_cmpstr (summary->preview, ==, "");
  g_assert_cmpstr (summary->body_text, ==, "");
  g_assert_null (summary->from_addr);
  g_assert_cmpint (summary->date, ==, 0);
}

static gpointer
init_thread (gpointer data)
{
  g_autoptr(TernMimeSummary) summary = NULL;

  tern_mime_init ();
  summary = summarise_string ("From: a@b\nSubject: thread\n\nx\n");
  g_assert_cmpstr (summary->subject, ==, "thread");
  return NULL;
}

static void
test_init_threads (void)
{
  GThread *threads[8];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("mime", init_thread, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  tern_mime_init ();
}

/* Never crash, never hang ----------------------------------------------------- */

typedef GString *(*StressFunc) (void);

typedef struct
{
  const char *name;
  StressFunc  func;
} StressCase;

static GString *
stress_empty (void)
{
  return g_string_new ("");
}

static GString *
stress_headers_only (void)
{
  return g_string_new ("From: a@b\nSubject: only headers\n");
}

static GString *
stress_no_blank_line (void)
{
  return g_string_new ("From: a@b\nSubject: s\nthis line is not a header\nnor this one\n");
}

static GString *
stress_binary_garbage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 256 * 1024; i++)
    g_string_append_c (s, (char) g_rand_int_range (rand, 0, 256));
  return s;
}

static GString *
stress_nul_bytes (void)
{
  GString *s = g_string_new (NULL);

  g_string_append_len (s, LITERAL ("\0\0From\0: a@b\0\nSub\0ject: \0\n\n\0body\0"));
  for (guint i = 0; i < 65536; i++)
    g_string_append_c (s, '\0');
  return s;
}

static GString *
stress_huge_header_line (void)
{
  GString *s = g_string_new ("From: a@b\nSubject: ");

  for (guint i = 0; i < 1024 * 1024 / 32; i++)
    g_string_append (s, "=?utf-8?q?caf=C3=A9?= x\xc3\xa9yz ");
  g_string_append (s, "\nTo: ");
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (s, "u%u@example.test, ", i);
  g_string_append (s, "\nReferences: ");
  for (guint i = 0; i < 40000; i++)
    g_string_append_printf (s, "<r%u@x> ", i);
  g_string_append (s, "\n\nbody\n");
  return s;
}

static GString *
stress_many_headers (void)
{
  GString *s = g_string_new ("From: a@b\n");

  for (guint i = 0; i < 10000; i++)
    g_string_append_printf (s, "X-Header-%u: value %u\nSubject: s%u\nReceived: from x by y\n", i, i, i);
  g_string_append (s, "\nbody\n");
  return s;
}

static GString *
stress_deep_nesting (void)
{
  GString *s = g_string_new ("From: a@b\nSubject: deep\nMIME-Version: 1.0\n");

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (s, "Content-Type: multipart/mixed; boundary=\"b%u\"\n\n--b%u\n", i, i);
  g_string_append (s, "Content-Type: text/plain\n\nthe bottom\n");
  for (guint i = 1000; i > 0; i--)
    g_string_append_printf (s, "--b%u--\n", i - 1);
  return s;
}

static GString *
stress_deep_messages (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 1000; i++)
    g_string_append (s, "From: a@b\nContent-Type: message/rfc822\n\n");
  g_string_append (s, "From: a@b\n\nthe bottom\n");
  return s;
}

static GString *
stress_many_parts (void)
{
  GString *s = g_string_new ("From: a@b\nContent-Type: multipart/mixed; boundary=p\n\n");

  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (s, "--p\nContent-Type: text/%s\n\npart %u\n", i % 2 ? "html" : "plain", i);
  g_string_append (s, "--p--\n");
  return s;
}

static GString *
stress_missing_boundaries (void)
{
  GString *s = g_string_new ("From: a@b\nContent-Type: multipart/mixed\n\n");

  for (guint i = 0; i < 1000; i++)
    g_string_append (s, "--\n--x\nContent-Type: multipart/alternative; boundary=\n\n--x--\n");
  return s;
}

static GString *
stress_wrong_charsets (void)
{
  GString *s = g_string_new ("From: =?\xff\xfe?q?x?= <a@b>\nSubject: =?utf-7?q?+AOk-?= =?utf-8?x?bad?= "
                             "=?iso-2022-jp?b?GyRC?= =?\xc3\xa9?b?====?= =?utf-8?b?!!!?=\n"
                             "Content-Type: multipart/mixed; boundary=c\n\n");
  static const char * const charsets[] = {
    "utf-7", "utf-16", "utf-32", "iso-2022-jp", "gb18030", "x-\xff", "", "\"\"", "utf-8\"; x=\"",
    "shift_jis", "euc-kr", "ucs-4",
  };

  for (guint i = 0; i < G_N_ELEMENTS (charsets); i++)
    {
      g_string_append_printf (s, "--c\nContent-Type: text/plain; charset=%s\n\n", charsets[i]);
      g_string_append_len (s, LITERAL ("\x1b$B\xff\xfe\0\xd8text\n"));
    }
  g_string_append (s, "--c--\n");
  return s;
}

static GString *
stress_invalid_base64 (void)
{
  GString *s = g_string_new ("From: a@b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n");

  for (guint i = 0; i < 100000; i++)
    g_string_append (s, "=!*@\xff\n");
  g_string_append (s, "\n--\nContent-Transfer-Encoding: quoted-printable\n=\n=Z=\n");
  return s;
}

static GString *
stress_html_unclosed (void)
{
  GString *s = g_string_new ("From: a@b\nContent-Type: text/html\n\n");

  for (guint i = 0; i < 20000; i++)
    g_string_append (s, "<div><p title='<blockquote><!--<script><style>&#x");
  return s;
}

static GString *
stress_bogus_encoded_words (void)
{
  GString *s = g_string_new ("From: ");

  for (guint i = 0; i < 5000; i++)
    g_string_append (s, "=?x-nope*en?Q?a=ZZ?==?utf-8?B?w?==?==?=?");
  g_string_append (s, " <a@b>\nSubject: ");
  for (guint i = 0; i < 5000; i++)
    g_string_append (s, "=?utf-8?q?=E2=80?=\n =?utf-8?q?=AE?=");
  g_string_append (s, "\n\nx\n");
  return s;
}

static GString *
stress_bad_dates (void)
{
  return g_string_new ("From: a@b\nDate: Mon, 32 Foo 99999 99:99:99 +99999\n"
                       "Date: -1 Jan -1 00:00 -2400\nDate: 9999999999999999999\n\nx\n");
}

static GString *
stress_many_addresses (void)
{
  GString *s = g_string_new ("From: ");

  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (s, "g%u: \"n,%u\" <a%u@b>, <;, @@@ ;, ", i, i, i);
  g_string_append (s, "\n\nx\n");
  return s;
}

static void
test_stress (gconstpointer data)
{
  const StressCase *c = data;
  g_autoptr(GString) input = c->func ();
  gint64 start = g_get_monotonic_time ();
  g_autoptr(TernMimeSummary) summary = summarise_data (input->str, input->len);

  g_test_message ("%zu bytes in %.3f s, error: %s", input->len,
                  (g_get_monotonic_time () - start) / 1e6, summary->error);
}

int
main (int   argc,
      char *argv[])
{
  static const StressCase stress[] = {
    { "empty", stress_empty },
    { "headers-only", stress_headers_only },
    { "no-blank-line", stress_no_blank_line },
    { "binary-garbage", stress_binary_garbage },
    { "nul-bytes", stress_nul_bytes },
    { "huge-header-line", stress_huge_header_line },
    { "many-headers", stress_many_headers },
    { "deep-nesting", stress_deep_nesting },
    { "deep-messages", stress_deep_messages },
    { "many-parts", stress_many_parts },
    { "missing-boundaries", stress_missing_boundaries },
    { "wrong-charsets", stress_wrong_charsets },
    { "invalid-base64", stress_invalid_base64 },
    { "html-unclosed", stress_html_unclosed },
    { "bogus-encoded-words", stress_bogus_encoded_words },
    { "bad-dates", stress_bad_dates },
    { "many-addresses", stress_many_addresses },
  };

  g_test_init (&argc, &argv, NULL);
  tern_mime_init ();

  for (guint i = 0; i < G_N_ELEMENTS (corpus); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tern/mime/corpus/%s", corpus[i].file);

      g_test_add_data_func (path, &corpus[i], test_corpus_case);
    }
  g_test_add_func ("/tern/mime/corpus/every-file", test_corpus_every_file);
  g_test_add_func ("/tern/mime/corpus/mutations", test_corpus_mutations);
  g_test_add_func ("/tern/mime/addresses/lists", test_addresses);
  g_test_add_func ("/tern/mime/addresses/sender-spoofing", test_sender_spoofing);
  g_test_add_func ("/tern/mime/threading/references", test_references);
  g_test_add_func ("/tern/mime/threading/message-ids", test_message_ids);
  g_test_add_func ("/tern/mime/date/variants", test_dates);
  g_test_add_func ("/tern/mime/subject/cleaning", test_subject_cleaning);
  g_test_add_func ("/tern/mime/subject/normalize", test_normalize_subject);
  g_test_add_func ("/tern/mime/html/drops", test_html_drops);
  g_test_add_func ("/tern/mime/html/entities", test_html_entities);
  g_test_add_func ("/tern/mime/html/blocks", test_html_blocks);
  g_test_add_func ("/tern/mime/html/blockquote", test_html_blockquote);
  g_test_add_func ("/tern/mime/html/broken", test_html_broken);
  g_test_add_func ("/tern/mime/html/huge", test_html_huge);
  g_test_add_func ("/tern/mime/preview/bounds", test_preview_bounds);
  g_test_add_func ("/tern/mime/preview/quotes", test_preview_quotes);
  g_test_add_func ("/tern/mime/body/bounded", test_body_bounded);
  g_test_add_func ("/tern/mime/body/charsets", test_charset_fallbacks);
  g_test_add_func ("/tern/mime/attachments", test_attachments);
  g_test_add_func ("/tern/mime/from-message", test_from_message);
  g_test_add_func ("/tern/mime/null-input", test_null_input);
  g_test_add_func ("/tern/mime/init/threads", test_init_threads);
  for (guint i = 0; i < G_N_ELEMENTS (stress); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tern/mime/stress/%s", stress[i].name);

      g_test_add_data_func (path, &stress[i], test_stress);
    }

  return g_test_run ();
}
