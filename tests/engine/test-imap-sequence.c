/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-imap-sequence"

#include "tern-imap-error.h"
#include "tern-imap-sequence.h"

static TernImapSequence *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  TernImapSequence *set = tern_imap_sequence_parse (text, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (set);
  return set;
}

static char *
join_members (const TernImapSequence *set,
              guint32                 star)
{
  g_autoptr(GString) out = g_string_new (NULL);
  TernImapSequenceIter iter;
  guint32 value;

  tern_imap_sequence_iter_init (&iter, set, star);
  while (tern_imap_sequence_iter_next (&iter, &value))
    g_string_append_printf (out, "%s%u", out->len > 0 ? "," : "", value);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_parse_format (void)
{
  static const char * const sets[] = {
    "1", "1:5", "1:5,7,9:*", "*", "*:4", "5:1", "4294967295", "1:4294967295", "2,4:7,9,12:*",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sets); i++)
    {
      g_autoptr(TernImapSequence) set = parse_ok (sets[i]);
      g_autofree char *text = tern_imap_sequence_to_string (set);

      g_assert_cmpstr (text, ==, sets[i]);
    }
}

static void
test_parse_invalid (void)
{
  static const char * const invalid[] = {
    "", "0", "1:0", "0:5", ",", "1,", ",1", "1,,2", "1::2", "1:", ":1", "a", "1 2", " 1", "1-5",
    "4294967296", "1:4294967296", "99999999999999999999", "$", "1:*:3", "**", "01", "1:007",
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TernImapSequence) set = tern_imap_sequence_parse (invalid[i], -1, &error);

      if (set != NULL)
        g_error ("“%s” parsed", invalid[i]);
      g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);
    }
}

static void
test_iterate (void)
{
  g_autoptr(TernImapSequence) set = parse_ok ("1:3,7,9:*");
  g_autoptr(TernImapSequence) reversed = parse_ok ("5:3");
  g_autoptr(TernImapSequence) star_only = parse_ok ("*");
  g_autofree char *a = join_members (set, 11);
  g_autofree char *b = join_members (reversed, 0);
  g_autofree char *c = join_members (star_only, 0);
  g_autofree char *d = join_members (star_only, 8);

  g_assert_cmpstr (a, ==, "1,2,3,7,9,10,11");
  g_assert_cmpstr (b, ==, "3,4,5");
  g_assert_cmpstr (c, ==, "");     /* "*" in an empty mailbox */
  g_assert_cmpstr (d, ==, "8");
  g_assert_cmpuint (tern_imap_sequence_count (set, 11), ==, 7);
  g_assert_true (tern_imap_sequence_contains (set, 10, 11));
  g_assert_false (tern_imap_sequence_contains (set, 8, 11));
  g_assert_false (tern_imap_sequence_contains (set, 12, 11));
}

/* The widest set is counted and walked lazily: nothing is expanded. */
static void
test_huge (void)
{
  g_autoptr(TernImapSequence) set = parse_ok ("1:4294967295");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) array = NULL;
  TernImapSequenceIter iter;
  guint32 value = 0;

  g_assert_cmpuint (tern_imap_sequence_count (set, 0), ==, G_GUINT64_CONSTANT (4294967295));
  g_assert_cmpuint (tern_imap_sequence_get_n_ranges (set), ==, 1);
  g_assert_true (tern_imap_sequence_contains (set, G_MAXUINT32, 0));

  array = tern_imap_sequence_to_array (set, 0, 100000, &error);
  g_assert_null (array);
  g_assert_error (error, TERN_IMAP_ERROR, TERN_IMAP_ERROR_INVALID);

  tern_imap_sequence_iter_init (&iter, set, 0);
  for (guint i = 0; i < 3; i++)
    g_assert_true (tern_imap_sequence_iter_next (&iter, &value));
  g_assert_cmpuint (value, ==, 3);

  /* The iterator must stop after the largest UID, not wrap around. */
  {
    g_autoptr(TernImapSequence) top = parse_ok ("4294967294:*");
    g_autofree char *members = join_members (top, G_MAXUINT32);

    g_assert_cmpstr (members, ==, "4294967294,4294967295");
  }
}

static void
test_compress (void)
{
  static const guint32 values[] = { 1, 2, 3, 5, 7, 8, 9, 9, 10, 20, 4294967294, 4294967295 };
  g_autofree char *text = tern_imap_sequence_compress (values, G_N_ELEMENTS (values));
  g_autofree char *empty = tern_imap_sequence_compress (NULL, 0);
  g_autofree char *single = tern_imap_sequence_compress ((const guint32[]) { 42 }, 1);

  g_assert_cmpstr (text, ==, "1:3,5,7:10,20,4294967294:4294967295");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (single, ==, "42");
}

static void
test_normalize (void)
{
  g_autoptr(TernImapSequence) set = parse_ok ("9:*,2,1,3:5,7:6,4,20");
  g_autofree char *text = NULL;
  g_autoptr(GArray) array = NULL;
  g_autoptr(GError) error = NULL;

  tern_imap_sequence_normalize (set, 12);
  text = tern_imap_sequence_to_string (set);
  g_assert_cmpstr (text, ==, "1:7,9:12,20");
  g_assert_cmpuint (tern_imap_sequence_count (set, 12), ==, 12);

  array = tern_imap_sequence_to_array (set, 12, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (array->len, ==, 12);
  g_assert_cmpuint (g_array_index (array, guint32, 7), ==, 9);
}

static void
test_add (void)
{
  g_autoptr(TernImapSequence) set = tern_imap_sequence_new ();
  g_autoptr(TernImapSequence) copy = NULL;
  g_autofree char *text = NULL;
  g_autofree char *copied = NULL;

  g_assert_true (tern_imap_sequence_is_empty (set));
  tern_imap_sequence_add (set, 4);
  tern_imap_sequence_add (set, 5);
  tern_imap_sequence_add (set, 6);
  tern_imap_sequence_add (set, 6);
  tern_imap_sequence_add (set, 10);
  tern_imap_sequence_add_range (set, 12, TERN_IMAP_SEQUENCE_STAR);
  text = tern_imap_sequence_to_string (set);
  g_assert_cmpstr (text, ==, "4:6,10,12:*");

  copy = tern_imap_sequence_copy (set);
  copied = tern_imap_sequence_to_string (copy);
  g_assert_cmpstr (copied, ==, text);
}

static void
test_split (void)
{
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(TernImapSequence) set = NULL;
  g_autoptr(GPtrArray) strings = NULL;
  guint64 total = 0;

  for (guint32 i = 1; i < 20000; i += 2)
    g_array_append_val (values, i);
  set = tern_imap_sequence_new_from_sorted (&g_array_index (values, guint32, 0), values->len);
  strings = tern_imap_sequence_to_strings (set, 1000);
  g_assert_cmpuint (strings->len, >, 1);
  for (guint i = 0; i < strings->len; i++)
    {
      const char *s = g_ptr_array_index (strings, i);
      g_autoptr(TernImapSequence) part = parse_ok (s);

      g_assert_cmpuint (strlen (s), <=, 1000);
      total += tern_imap_sequence_count (part, 0);
    }
  g_assert_cmpuint (total, ==, values->len);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tern/imap/sequence/parse-format", test_parse_format);
  g_test_add_func ("/tern/imap/sequence/parse-invalid", test_parse_invalid);
  g_test_add_func ("/tern/imap/sequence/iterate", test_iterate);
  g_test_add_func ("/tern/imap/sequence/huge", test_huge);
  g_test_add_func ("/tern/imap/sequence/compress", test_compress);
  g_test_add_func ("/tern/imap/sequence/normalize", test_normalize);
  g_test_add_func ("/tern/imap/sequence/add", test_add);
  g_test_add_func ("/tern/imap/sequence/split", test_split);

  return g_test_run ();
}
