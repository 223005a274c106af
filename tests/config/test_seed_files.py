"""A broken seed CSV fails validate at ``seeds/x.csv:LINE``, not apply.

Binary files, UTF-16, invalid UTF-8 and ragged rows (more or fewer fields than
the header, split with the seed's own delimiter) used to pass validate and
plan, and failed apply with pyarrow's message.
"""

from __future__ import annotations

import codecs
import io
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faborite.errors import ConfigError
from tests.config.projects import check_error, compile_, error_of, line_with, write

SEED = "seeds/codes.csv"


def _seed(root: Path, data: bytes) -> None:
    (root / SEED).write_bytes(data)


def test_a_binary_file_is_refused_at_its_first_nul(proj):
    _seed(proj, b"id,name\n1,a\n\x89PNG\x00\x01\x02\n")
    check_error(error_of(proj), ConfigError, file=SEED, line=3, message="NUL bytes", hint="UTF-8")


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_with_a_byte_order_mark_are_named(proj, encoding, name):
    _seed(proj, "id,name\n1,a\n".encode(encoding))
    check_error(error_of(proj), ConfigError, file=SEED, line=1, message=f"seed is {name} text, not UTF-8",
                hint="save the file as UTF-8")


def test_utf16_without_a_byte_order_mark_is_refused(proj):
    _seed(proj, "id,name\n1,a\n".encode("utf-16-le"))
    check_error(error_of(proj), ConfigError, file=SEED, line=1, message="NUL bytes")


def test_invalid_utf8_is_refused_at_its_line(proj):
    _seed(proj, b"id,name\n1,a\n2,caf\xe9\n")
    check_error(error_of(proj), ConfigError, file=SEED, line=3, message="byte 0xe9 at column 6")


@pytest.mark.parametrize("row, fields, more", [("3,c,extra", 3, "more"), ("3", 1, "fewer")])
def test_a_ragged_row_is_refused_at_its_line(proj, row, fields, more):
    _seed(proj, f"id,name\n1,a\n\n2,b\n{row}\n4,d\n".encode())
    check_error(error_of(proj), ConfigError, file=SEED, line=5,
                message=f"seed row has {fields} field{'s' if fields > 1 else ''}, {more} than the header's 2 (line 1)",
                hint="separated by ','")


def test_the_seeds_own_delimiter_is_used(proj):
    write(proj, "seeds/properties.yml", "seeds:\n  - name: codes\n    config:\n      delimiter: ';'\n")
    _seed(proj, b"id;label\n1;a,b\n2;c\n")  # commas inside values are data
    compile_(proj)
    _seed(proj, b"id;label\n1;a,b\n2;c;d\n")
    check_error(error_of(proj), ConfigError, file=SEED, line=3, message="3 fields", hint="';'")


def test_a_delimiter_from_folder_defaults(proj):
    with (proj / "faborite.yml").open("a", encoding="utf-8") as handle:
        handle.write("seeds:\n  +delimiter: \"\\t\"\n")
    _seed(proj, b"id\tname\n1\ta\n2\n")
    check_error(error_of(proj), ConfigError, file=SEED, line=3, message="fewer than the header's 2")


def test_quoted_fields_may_hold_delimiters_and_line_breaks(proj):
    _seed(proj, b'\xef\xbb\xbfid,note\r\n1,"a, b"\r\n2,"two\r\nlines"\r\n3,x,y\r\n')
    check_error(error_of(proj), ConfigError, file=SEED, line=5, message="3 fields")


def test_a_well_formed_seed_with_a_bom_crlf_and_blank_lines_passes(proj):
    _seed(proj, codecs.BOM_UTF8 + b"id,name\r\n1,\"a\"\"b\"\r\n\r\n2,c\r\n")
    compile_(proj)


def test_old_mac_line_endings_are_lines(proj):
    _seed(proj, b"id,name\r1,a\r2\r")
    check_error(error_of(proj), ConfigError, file=SEED, line=3, message="fewer")


def test_an_empty_seed_is_refused(proj):
    _seed(proj, b"")
    check_error(error_of(proj), ConfigError, file=SEED, line=1, message="seed is empty")


def test_a_delimiter_that_is_not_one_character_is_refused_where_it_is_set(proj):
    rel = "seeds/properties.yml"
    write(proj, rel, "seeds:\n  - name: codes\n    config:\n      delimiter: '||'\n")
    _seed(proj, b"id,name\n1,a\n")
    error = error_of(proj)
    assert isinstance(error, ConfigError) and "delimiter" in error.message, error
    assert (error.file, error.line) == (rel, line_with(proj, rel, "- name: codes")), str(error)


def test_a_large_seed_is_checked_quickly(proj):
    rows = b"".join(b"%d,name %d,%d.5\n" % (i, i, i) for i in range(200_000))
    _seed(proj, b"id,name,amount\n" + rows + b"1,2\n")  # ~5 MB, the bad row last
    started = time.monotonic()
    check_error(error_of(proj), ConfigError, file=SEED, line=200_002, message="2 fields")
    assert time.monotonic() - started < 10


def test_a_long_field_is_fine(proj):
    _seed(proj, b"id,blob\n1," + b"x" * 300_000 + b"\n")
    compile_(proj)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=',;"ab \r\n', max_size=40), st.sampled_from([",", ";"]))
def test_the_fast_pass_accepts_exactly_what_the_record_by_record_check_accepts(text, delimiter):
    # check_seed_csv reads a clean file at C speed first; its verdict must be the slow check's.
    from faborite.config import seed_check

    def slow() -> bool:
        try:
            seed_check._check_records(io.StringIO(text, newline=""), "x.csv", delimiter)
            return True
        except ConfigError:
            return False

    assert seed_check._same_widths(io.StringIO(text, newline=""), delimiter) == slow()
