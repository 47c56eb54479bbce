"""Unit tests of the pure parts: markers, truncation, link parsing, checksum files.
Run: `python3 -m unittest discover -s ci/tests -t ci` (the Rust suite runs it)."""

import os
import tempfile
import unittest

from hangar_ci import release, report, rest


class Markers(unittest.TestCase):
    def test_config_key_is_stable_across_spellings(self):
        for spelling in ["policies/prod", "./policies/prod", "policies/prod/", "policies\\prod"]:
            self.assertEqual(report.config_key(spelling), "policies/prod")
        self.assertEqual(report.config_key("."), ".")

    def test_marker_cannot_be_closed_by_the_key(self):
        mark = report.marker("plan", "a --> b")
        self.assertEqual(mark.count("-->"), 1)
        self.assertTrue(mark.endswith("-->"))

    def test_marker_counts_only_at_the_top(self):
        mark = report.marker("plan", "a")
        self.assertTrue(report.carries_marker(f"### hangar plan: `a`\n\n{mark}\n…", mark))
        self.assertFalse(report.carries_marker("x" * 1000 + mark, mark))
        self.assertFalse(report.carries_marker(None, mark))

    def test_artifact_slug_has_only_allowed_characters(self):
        self.assertEqual(report.artifact_slug("tenants/gcc high:prod"), "tenants-gcc-high-prod")
        self.assertEqual(report.artifact_slug("///"), "root")


class Truncation(unittest.TestCase):
    def test_short_text_is_kept(self):
        self.assertEqual(report.truncate("a\n", 100, "cut"), ("a\n", False))

    def test_cut_closes_fences_and_details(self):
        text = "intro\n<details><summary>x</summary>\n\n```diff\n" + "+ line\n" * 5000 + "```\n\n</details>\n"
        cut, was_cut = report.truncate(text, 3000, "NOTE")
        self.assertTrue(was_cut)
        self.assertLessEqual(len(cut), 3000)
        self.assertEqual(cut.count("```") % 2, 0, "fences balanced")
        self.assertEqual(cut.count("<details>"), cut.count("</details>"))
        self.assertTrue(cut.rstrip().endswith("NOTE"))

    def test_fenced_text_cannot_escape_its_block(self):
        block = report.fenced("a\n```\nb")
        self.assertTrue(block.startswith("````text"))
        self.assertTrue(block.endswith("````"))


class Links(unittest.TestCase):
    def test_next_link(self):
        header = '<https://api/x?page=2>; rel="next", <https://api/x?page=9>; rel="last"'
        self.assertEqual(rest.next_link(header), "https://api/x?page=2")
        self.assertIsNone(rest.next_link('<https://api/x?page=1>; rel="prev"'))
        self.assertIsNone(rest.next_link(None))

    def test_error_message_never_holds_the_query(self):
        error = rest.ApiError("GET", "https://blob/x?sig=SECRET", 403, "denied")
        self.assertNotIn("SECRET", str(error))


class Checksums(unittest.TestCase):
    def test_written_file_parses_back(self):
        with tempfile.TemporaryDirectory() as folder:
            for name, data in (("a.tar.gz", b"a"), ("b.zip", b"b")):
                with open(os.path.join(folder, name), "wb") as file:
                    file.write(data)
            path = release.checksums(folder)
            with open(path, encoding="utf-8") as file:
                table = release.parse_checksums(file.read())
            self.assertEqual(sorted(table), ["a.tar.gz", "b.zip"])
            self.assertEqual(table["a.tar.gz"], release.sha256_file(os.path.join(folder, "a.tar.gz")))

    def test_binary_mode_marker_is_read(self):
        table = release.parse_checksums("0" * 64 + " *x.zip\n")
        self.assertEqual(table, {"x.zip": "0" * 64})


if __name__ == "__main__":
    unittest.main()
