"""A seed CSV is checked when the project compiles, so validate (not apply) reports a broken one.

Streaming and cheap (a block or a line in memory; a clean file is checked at C speed,
a file with a bad byte again line by line to find it): the file must be UTF-8
text (a byte-order mark is fine), hold no NUL bytes (binary files and UTF-16
do), have a header row, and every record must have as many fields as the
header, split with the seed's own ``delimiter``. The first bad line is
reported as ``seeds/x.csv:LINE``.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from faborite.errors import ConfigError

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SAVE_AS_UTF8 = "save the file as UTF-8 CSV (a byte-order mark is fine)"


def check_seed_csv(path: Path, display: str, delimiter: str) -> None:
    """Raise a ConfigError at ``display:line`` for the first problem in the seed's CSV."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read seed: {exc.strerror}", file=display) from None
    with handle:
        head = handle.read(4)
        handle.seek(0)
        for bom, name in _BOMS:
            if head.startswith(bom):
                raise ConfigError(f"seed is {name} text, not UTF-8", file=display, line=1, hint=_SAVE_AS_UTF8)
        clean = _clean_utf8(handle)
        limit = csv.field_size_limit()
        csv.field_size_limit(sys.maxsize)  # a long field is fine (pyarrow reads it); only the shape is checked
        try:
            if clean:
                # The common case, at C speed: the csv module reads the decoded file itself, and
                # only a file that fails is read again record by record to say where.
                handle.seek(0)
                text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
                same = _same_widths(text, delimiter)
                text.detach()  # (a collected wrapper would close the file)
                if same:
                    return
                handle.seek(0)
                lines: Iterator[str] = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
            else:
                handle.seek(0)
                lines = _text_lines(handle, display)  # line by line, to say where the bad byte is
            _check_records(lines, display, delimiter)
        finally:
            csv.field_size_limit(limit)


def _clean_utf8(handle) -> bool:
    """Whether the whole file is UTF-8 text without NUL bytes (read in blocks, nothing kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := handle.read(1 << 20):
            if b"\0" in block:
                return False
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text_lines(handle, display: str) -> Iterator[str]:
    """The file's lines as text; a NUL byte or invalid UTF-8 is an error at its line."""
    number = 0
    for chunk in handle:
        # A lone '\r' ends a line too (old Mac files; pyarrow reads them): split there as well.
        for raw in chunk.splitlines(keepends=True) if b"\r" in chunk[:-2] else (chunk,):
            number += 1
            yield _decode(raw, number, display)


def _decode(raw: bytes, number: int, display: str) -> str:
    if b"\0" in raw:
        raise ConfigError("seed holds NUL bytes: it is a binary file, or text that is not UTF-8 (UTF-16?)",
                          file=display, line=number, hint=_SAVE_AS_UTF8)
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"seed is not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}",
                          file=display, line=number, hint=_SAVE_AS_UTF8) from None


def _same_widths(lines: Iterator[str], delimiter: str) -> bool:
    """Whether the records have a header and as many fields as it (blank lines aside), read without a
    Python step per record; False for anything else, which :func:`_check_records` then locates."""
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(filter(None, reader), None)
        return header is not None and set(map(len, reader)) <= {0, len(header)}
    except csv.Error:
        return False


def _check_records(lines: Iterator[str], display: str, delimiter: str) -> None:
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ConfigError(f"seed is not valid CSV: {exc}", file=display, line=start,
                              hint="check the quotes on this line") from None
        if not row:
            continue  # blank lines are skipped when the seed loads
        if header is None:
            header, header_line = row, start
            continue
        if len(row) != len(header):
            more = "more" if len(row) > len(header) else "fewer"
            raise ConfigError(
                f"seed row has {len(row)} field{'s' if len(row) != 1 else ''}, {more} than the header's "
                f"{len(header)} (line {header_line})",
                file=display, line=start,
                hint=f"fields are separated by {delimiter!r} (the seed's 'delimiter'); quote values that contain it",
            )
    if header is None:
        raise ConfigError("seed is empty: a seed needs a header row", file=display, line=1,
                          hint="write the column names on the first line, or delete the file")
